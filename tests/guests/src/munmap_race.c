/* One thread unmaps and remaps a buffer in a loop while others use it: write() it to a
 * pipe, read() a pipe into it, getrandom() into it, and load and store it (a SIGSEGV
 * handler with siglongjmp counts the faults). Every system call must return a byte count,
 * EAGAIN (the pipes do not block) or EFAULT, and the emulator must survive: a check of
 * the page followed by an access it does not protect turns the race into a host crash.
 * Only deterministic lines are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <fcntl.h>

#define LEN (16 * 4096)
/* Rounds of unmapping: argv[1], else a few hundred. */
#define ROUNDS 300

static unsigned char *buf;
static atomic_int stop, started;
static __thread sigjmp_buf jb;

static void on_segv(int sig) {
    (void)sig;
    siglongjmp(jb, 1);
}

/* 1 when every result was a count, EAGAIN or EFAULT. */
static int fine(long r) {
    return r >= 0 || errno == EFAULT || errno == EAGAIN;
}

static void *writer(void *arg) {
    int p[2], ok = 1;
    char sink[4096];
    (void)arg;
    pipe2(p, O_NONBLOCK);
    atomic_fetch_add(&started, 1);
    while (!atomic_load(&stop)) {
        ok &= fine(write(p[1], buf + 4096, 4096));
        while (read(p[0], sink, sizeof sink) > 0) {
        }
    }
    return (void *)(long)ok;
}

static void *reader(void *arg) {
    int p[2], ok = 1;
    char src[4096];
    (void)arg;
    memset(src, 'r', sizeof src);
    pipe2(p, O_NONBLOCK);
    atomic_fetch_add(&started, 1);
    while (!atomic_load(&stop)) {
        write(p[1], src, sizeof src);
        ok &= fine(read(p[0], buf + 8192, 4096));
    }
    return (void *)(long)ok;
}

static void *randomer(void *arg) {
    int ok = 1;
    (void)arg;
    atomic_fetch_add(&started, 1);
    while (!atomic_load(&stop))
        ok &= fine(getrandom(buf, LEN, GRND_NONBLOCK));
    return (void *)(long)ok;
}

static void *accessor(void *arg) {
    volatile long loads = 0, faults = 0;
    (void)arg;
    atomic_fetch_add(&started, 1);
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        volatile unsigned char *b = buf;
        if (sigsetjmp(jb, 1) == 0) {
            unsigned char v = b[(i * 64) % LEN];
            b[(i * 64 + 8) % LEN] = v + 1;
            loads++;
        } else {
            faults++;
        }
    }
    return (void *)1L;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : ROUNDS;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, 0);
    buf = mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return 1;
    void *(*fns[])(void *) = {writer, reader, randomer, accessor};
    const char *names[] = {"write", "read", "getrandom"};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], 0, fns[i], 0);
    while (atomic_load(&started) < 4)
        sched_yield();
    int remapped = 1;
    for (int i = 0; i < rounds; i++) {
        munmap(buf, LEN);
        sched_yield();
        remapped &= mmap(buf, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                         -1, 0) == buf;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++) {
        void *ok;
        pthread_join(t[i], &ok);
        if (i < 3)
            printf("%s: %s\n", names[i], ok ? "every result a byte count, EAGAIN or EFAULT" : "WRONG");
    }
    printf("load/store: each completed or faulted\n");
    printf("remapped: %s\n", remapped ? "yes" : "no");
    printf("done\n");
    return 0;
}
