/* hostile_storm: signal and thread storms.
 *
 *   raise      20000 raise(SIGUSR1) to self: every one delivered (the handler counts)
 *   tgkill     a worker thread handles SIGUSR1; the main thread tgkills it 500 times, each
 *              after the previous one was handled, while a third thread creates and joins
 *              100 short threads: every signal counted once
 *   flood      4 threads tgkill each other SIGUSR2 500 times each with no handshake while
 *              threads come and go: no count is promised (standard signals merge), only
 *              that every thread ends and the process exits 0
 *   altstack   1000 signals handled on a sigaltstack: every handler's frame lies inside it
 *   nodefer    an SA_NODEFER handler raises its own signal again, 200 levels deep */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int handled;
static void count(int s) { (void)s; atomic_fetch_add(&handled, 1); }

static int tgkill(pid_t tid, int sig) { return syscall(SYS_tgkill, getpid(), tid, sig); }

static atomic_int worker_tid, stop;

static void *worker(void *arg)
{
    (void)arg;
    atomic_store(&worker_tid, (int)syscall(SYS_gettid));
    while (!atomic_load(&stop))
        ;
    return 0;
}

static void *short_lived(void *arg) { return arg; }

static void *churn(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, 0, short_lived, (void *)(intptr_t)i) == 0)
            pthread_join(t, 0);
    }
    return 0;
}

static void mode_tgkill(void)
{
    signal(SIGUSR1, count);
    pthread_t w, c;
    pthread_create(&w, 0, worker, 0);
    pthread_create(&c, 0, churn, (void *)100);
    while (!atomic_load(&worker_tid))
        ;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, 0); /* only the worker takes them */
    for (int i = 0; i < 500; i++) {
        tgkill(atomic_load(&worker_tid), SIGUSR1);
        while (atomic_load(&handled) != i + 1)
            sched_yield();
    }
    atomic_store(&stop, 1);
    pthread_join(w, 0);
    pthread_join(c, 0);
    printf("tgkill: %d of 500 handled\n", atomic_load(&handled));
}

static atomic_int tids[4];
static void *flooder(void *arg)
{
    int me = (int)(intptr_t)arg;
    atomic_store(&tids[me], (int)syscall(SYS_gettid));
    for (int k = 0; k < 4; k++)
        while (!atomic_load(&tids[k]))
            ;
    for (int i = 0; i < 500; i++)
        tgkill(atomic_load(&tids[(me + 1 + i % 3) % 4]), SIGUSR2);
    return 0;
}

static void mode_flood(void)
{
    signal(SIGUSR2, count);
    pthread_t t[4], c;
    pthread_create(&c, 0, churn, (void *)50);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], 0, flooder, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], 0);
    pthread_join(c, 0);
    int n = atomic_load(&handled);
    printf("flood: %s\n", n >= 1 && n <= 2000 ? "between 1 and 2000 handled" : "wrong count");
}

static char *alt_lo, *alt_hi;
static atomic_int inside, outside;
static void on_alt(int s)
{
    (void)s;
    char here;
    if (&here >= alt_lo && &here < alt_hi)
        atomic_fetch_add(&inside, 1);
    else
        atomic_fetch_add(&outside, 1);
}

static void mode_altstack(void)
{
    size_t size = 64 * 1024;
    alt_lo = malloc(size);
    alt_hi = alt_lo + size;
    stack_t ss = {.ss_sp = alt_lo, .ss_size = size, .ss_flags = 0};
    sigaltstack(&ss, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, 0);
    for (int i = 0; i < 1000; i++)
        raise(SIGUSR1);
    stack_t now;
    sigaltstack(0, &now);
    printf("altstack: %d inside, %d outside, SS_ONSTACK after: %d\n", atomic_load(&inside),
           atomic_load(&outside), !!(now.ss_flags & SS_ONSTACK));
}

static volatile int depth, deepest;
static void recurse(int s)
{
    depth++;
    if (depth > deepest)
        deepest = depth;
    if (depth < 200)
        raise(s);
    depth--;
}

static void mode_nodefer(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = recurse;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    printf("nodefer: deepest %d, back to depth %d\n", deepest, depth);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "raise")) {
        signal(SIGUSR1, count);
        for (int i = 0; i < 20000; i++)
            raise(SIGUSR1);
        printf("raise: %d of 20000 handled\n", atomic_load(&handled));
    } else if (!strcmp(argv[1], "tgkill"))
        mode_tgkill();
    else if (!strcmp(argv[1], "flood"))
        mode_flood();
    else if (!strcmp(argv[1], "altstack"))
        mode_altstack();
    else if (!strcmp(argv[1], "nodefer"))
        mode_nodefer();
    else
        return 2;
    return 0;
}
