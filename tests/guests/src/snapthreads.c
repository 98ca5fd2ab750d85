/* Threads for snapshots (tests/snapshot.rs): two workers add to a mutex-protected total in
 * steps, one thread blocks in a condition-variable (futex) wait, another in a read of a
 * pipe the main thread writes to only at the end. The main thread ticks TICKS times
 * (argv[1], default 30) with a 20 ms sleep; a snapshot taken meanwhile finds every thread
 * blocked or between steps, and a resume must wake each where it waits. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int released;
static unsigned long long total;
static int pipefd[2];

static void nap(int ms) {
    struct timespec ts = {0, ms * 1000L * 1000L};
    nanosleep(&ts, NULL);
}

static void *worker(void *arg) {
    unsigned long long k = (unsigned long long)(long)arg;
    for (int step = 0; step < 20; step++) {
        unsigned long long local = 0;
        for (unsigned long long i = 0; i < 20000; i++)
            local += (i * k) ^ (i >> 3);
        pthread_mutex_lock(&lock);
        total += local;
        pthread_mutex_unlock(&lock);
        nap(10);
    }
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!released)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return (void *)"waiter woke";
}

static void *reader(void *arg) {
    (void)arg;
    static char buf[64];
    long tid = syscall(SYS_gettid);
    ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    /* The ids a thread sees do not change under it, resumed or not. */
    if (syscall(SYS_gettid) != tid || tid == getpid())
        strcpy(buf, "tid changed");
    return buf;
}

int main(int argc, char **argv) {
    int ticks = argc > 1 ? atoi(argv[1]) : 30;
    pthread_t w1, w2, wt, rd;
    pid_t pid = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe(pipefd) != 0)
        return 1;
    pthread_create(&w1, NULL, worker, (void *)3L);
    pthread_create(&w2, NULL, worker, (void *)5L);
    pthread_create(&wt, NULL, waiter, NULL);
    pthread_create(&rd, NULL, reader, NULL);
    for (int i = 1; i <= ticks; i++) {
        printf("tick %d/%d\n", i, ticks);
        nap(20);
    }
    pthread_join(w1, NULL);
    pthread_join(w2, NULL);
    printf("workers done: total %llu\n", total);
    pthread_mutex_lock(&lock);
    released = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    void *r;
    pthread_join(wt, &r);
    printf("%s\n", (char *)r);
    if (write(pipefd[1], "through the pipe", 16) != 16)
        return 1;
    pthread_join(rd, &r);
    printf("reader got: %s\n", (char *)r);
    printf("pid stable: %s\n", getpid() == pid && kill(pid, 0) == 0 ? "yes" : "no");
    return 0;
}
