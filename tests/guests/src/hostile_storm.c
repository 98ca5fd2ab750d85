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
 *   nodefer    an SA_NODEFER handler raises its own signal again, 200 levels deep
 *   clobber    a thread floods the main thread with signals while it runs integer and FP
 *              loops (translated code keeps registers in host registers); the handler
 *              changes the rounding mode and every FP and temporary register it can: the
 *              loops' results must be exactly those of a run without signals
 *   beforecall a thread signals the main thread while it spins; the main thread, once it
 *              sees the signal sent, reads a pipe that only the handler writes: the signal
 *              arrived while the guest computed and must still end the blocking call that
 *              follows, 200 times over (a lost one is unblocked after 100 ms and counted)
 *   forktimers 30 periodic timers (qemu-riscv64 has room for 32) keep the emulator's timer thread busy while the process forks
 *              300 times; each child reads an interval timer and exits: no child may hang on
 *              a lock the timer thread held at the fork */
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int handled;
static void count(int s) { (void)s; atomic_fetch_add(&handled, 1); }

static int tgkill(pid_t tid, int sig) { return syscall(SYS_tgkill, getpid(), tid, sig); }

static void handle_usr1(void (*handler)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, 0);
}

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
    handle_usr1(on_alt, SA_ONSTACK);
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
    handle_usr1(recurse, SA_NODEFER);
    raise(SIGUSR1);
    printf("nodefer: deepest %d, back to depth %d\n", deepest, depth);
}

static atomic_int clobbers, flood_on;
static void clobber(int s)
{
    (void)s;
    fesetround(FE_TOWARDZERO);
    volatile double d = 1.0;
    double a = d / 3, b = d / 7, c = a * b + d, e = c - a / b;
#ifdef __riscv
    __asm__ volatile("fmv.d.x ft0, zero\n fmv.d.x ft1, zero\n fmv.d.x ft2, zero\n"
                     "fmv.d.x fa0, zero\n fmv.d.x fa1, zero\n fmv.d.x ft8, zero\n"
                     "li t0, -1\n li t1, -1\n li t2, -1\n li t3, -1\n li t4, -1\n"
                     "li a6, -1\n li a7, -1\n" ::: "ft0", "ft1", "ft2", "fa0", "fa1", "ft8",
                     "t0", "t1", "t2", "t3", "t4", "a6", "a7");
#endif
    if (e == 0)
        atomic_fetch_add(&clobbers, 1000000);
    atomic_fetch_add(&clobbers, 1);
}

static void *clobber_sender(void *arg)
{
    pid_t main_tid = (pid_t)(intptr_t)arg;
    while (atomic_load(&flood_on)) {
        tgkill(main_tid, SIGUSR1);
        sched_yield();
    }
    return 0;
}

/* Integer and FP loops whose results do not depend on timing: sums of exactly
 * representable values, divisions rounded to nearest. */
static void loops(uint64_t *ih, double *fsum, double *fdiv)
{
    uint64_t h = 1469598103934665603ULL;
    double s = 0, q = 0;
    for (int i = 0; i < 1000000; i++) {
        h = (h ^ (uint64_t)i) * 1099511628211ULL;
        s += (double)(i & 1023) * 0.5;
        q += 1.0 / (double)(1 + (i & 7));
    }
    *ih = h;
    *fsum = s;
    *fdiv = q;
}

static void mode_clobber(void)
{
    uint64_t h0, h1;
    double s0, s1, q0, q1;
    loops(&h0, &s0, &q0);
    signal(SIGUSR1, clobber);
    atomic_store(&flood_on, 1);
    pthread_t t;
    pthread_create(&t, 0, clobber_sender, (void *)(intptr_t)syscall(SYS_gettid));
    while (atomic_load(&clobbers) < 20)
        ;
    loops(&h1, &s1, &q1);
    int during = atomic_load(&clobbers);
    atomic_store(&flood_on, 0);
    pthread_join(t, 0);
    printf("clobber: integer %s, FP sum %s, FP divisions %s, rounding mode %s, handler saw %s\n",
           h0 == h1 ? "same" : "DIFFERS", s0 == s1 ? "same" : "DIFFERS",
           q0 == q1 ? "same" : "DIFFERS", fegetround() == FE_TONEAREST ? "kept" : "CHANGED",
           during >= 20 && during < 1000000 ? "signals" : "nothing right");
}

static atomic_int sent, done;
static int beforecall_fd;
static void note(int s)
{
    (void)s;
    write(beforecall_fd, "h", 1);
}

static void *beforecall_sender(void *arg)
{
    pid_t tid = (pid_t)(intptr_t)arg;
    usleep(500); /* the main thread is spinning by now, in the middle of its work */
    tgkill(tid, SIGUSR1);
    atomic_store(&sent, 1);
    /* A lost signal would leave the main thread's read blocked: unblock it after 100 ms. */
    for (int i = 0; i < 1000 && !atomic_load(&done); i++)
        usleep(100);
    if (!atomic_load(&done))
        write(beforecall_fd, "f", 1);
    return 0;
}

static void mode_beforecall(void)
{
    handle_usr1(note, SA_RESTART);
    int late = 0;
    for (int i = 0; i < 200; i++) {
        int p[2];
        if (pipe(p))
            exit(3);
        beforecall_fd = p[1];
        atomic_store(&sent, 0);
        atomic_store(&done, 0);
        pthread_t t;
        pthread_create(&t, 0, beforecall_sender, (void *)(intptr_t)syscall(SYS_gettid));
        while (!atomic_load(&sent))
            ;
        char c = 0;
        if (read(p[0], &c, 1) != 1)
            exit(4);
        atomic_store(&done, 1);
        late += c != 'h';
        pthread_join(t, 0);
        close(p[0]);
        close(p[1]);
    }
    printf("beforecall: signal lost %d of 200 times\n", late);
}

static void mode_forktimers(void)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    struct itimerspec every = {{0, 20000}, {0, 20000}};
    for (int i = 0; i < 30; i++) {
        timer_t t;
        if (timer_create(CLOCK_MONOTONIC, &ev, &t) || timer_settime(t, 0, &every, 0)) {
            perror("forktimers: timer");
            exit(1);
        }
    }
    int exited = 0;
    for (int i = 0; i < 300; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct itimerval v;
            _exit(getitimer(ITIMER_REAL, &v) ? 1 : 0);
        }
        int status;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status))
            exited++;
    }
    printf("forktimers: %d of 300 children exited\n", exited);
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
    else if (!strcmp(argv[1], "clobber"))
        mode_clobber();
    else if (!strcmp(argv[1], "beforecall"))
        mode_beforecall();
    else if (!strcmp(argv[1], "forktimers"))
        mode_forktimers();
    else
        return 2;
    return 0;
}
