// futex(2) directly: results and errno of each operation, the same under Linux and mimic.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long fx(void *uaddr, int op, uint32_t val, const void *t, void *uaddr2, uint32_t val3) {
    long r = syscall(SYS_futex, uaddr, op, val, t, uaddr2, val3);
    return r < 0 ? -errno : r;
}
static const char *name(long r) {
    static char buf[32];
    switch (r) {
    case -EAGAIN: return "EAGAIN";
    case -ETIMEDOUT: return "ETIMEDOUT";
    case -EFAULT: return "EFAULT";
    case -EINVAL: return "EINVAL";
    case -ENOSYS: return "ENOSYS";
    case -EINTR: return "EINTR";
    }
    snprintf(buf, sizeof buf, "%ld", r);
    return buf;
}

static uint32_t word, word2;
static volatile int stage;
static void *waker(void *arg) {
    (void)arg;
    while (stage == 0)
        ;
    usleep(20000);
    while (fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0)
        usleep(1000);
    return NULL;
}
static uint32_t q1, q2;
static volatile int waiting;
static void *requeue_waiter(void *arg) {
    uint32_t *w = arg;
    __atomic_fetch_add(&waiting, 1, __ATOMIC_SEQ_CST);
    long r = fx(w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    (void)r;
    return NULL;
}

int main(void) {
    struct timespec rel = {0, 1000000}, bad = {0, 1000000000};
    printf("wait, value differs: %s\n", name(fx(&word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0)));
    printf("wait, 1ms timeout: %s\n", name(fx(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0)));
    printf("wait, bad timeout: %s\n", name(fx(&word, FUTEX_WAIT_PRIVATE, 0, &bad, NULL, 0)));
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 1000000;
    if (abs.tv_nsec >= 1000000000)
        abs.tv_sec++, abs.tv_nsec -= 1000000000;
    printf("wait_bitset, absolute monotonic: %s\n",
           name(fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY)));
    clock_gettime(CLOCK_REALTIME, &abs);
    printf("wait_bitset, realtime in the past: %s\n",
           name(fx(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL,
                   FUTEX_BITSET_MATCH_ANY)));
    printf("wait_bitset, bitset 0: %s\n", name(fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0)));
    printf("wait, misaligned: %s\n", name(fx((char *)&word + 1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
    printf("wait, unmapped: %s\n", name(fx((void *)0x1000, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
    printf("wake, nobody: %s\n", name(fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
    printf("unknown op: %s\n", name(fx(&word, 99, 0, NULL, NULL, 0)));
    // a real wait, woken by another thread
    pthread_t t;
    pthread_create(&t, NULL, waker, NULL);
    stage = 1;
    long r;
    do
        r = fx(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    while (r == -EAGAIN || r == -EINTR);
    printf("wait, woken: %s\n", name(r));
    pthread_join(t, NULL);
    // wake_op: word2 += 5, wake waiters of word2 if old == 0
    printf("wake_op: %s\n",
           name(fx(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2,
                   FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0))));
    printf("word2 after wake_op: %u\n", word2);
    // requeue: 3 waiters on q1, wake 1, move 2 to q2, then wake q2
    pthread_t w[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, requeue_waiter, &q1);
    while (waiting < 3)
        usleep(1000);
    usleep(50000);
    printf("cmp_requeue, value differs: %s\n",
           name(fx(&q1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &q2, 7)));
    long moved = fx(&q1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &q2, 0);
    printf("cmp_requeue: %s\n", name(moved));
    long woke = 0;
    while (woke < 2)
        woke += fx(&q2, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0);
    printf("woken on q2: %ld\n", woke);
    for (int i = 0; i < 3; i++)
        pthread_join(w[i], NULL);
    return 0;
}
