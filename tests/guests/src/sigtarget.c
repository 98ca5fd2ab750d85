/* sigtarget: which thread takes a signal sent to the whole process. The main thread blocks
 * the signal and a worker does not: Linux gives it to the worker, whether it comes from
 * kill(getpid()), sigqueue, setitimer, a POSIX timer (SIGEV_SIGNAL) or another process. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int taker, ready, done;

static void handler(int sig)
{
    (void)sig;
    atomic_store(&taker, (int)syscall(SYS_gettid));
}

static void *worker(void *arg)
{
    (void)arg;
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, 0);
    atomic_store(&ready, (int)syscall(SYS_gettid));
    while (!atomic_load(&done))
        usleep(1000);
    return 0;
}

/* Waits up to two seconds for the handler, then says which thread ran it. */
static void report(const char *how, int worker_tid)
{
    for (int i = 0; i < 2000 && !atomic_load(&taker); i++)
        usleep(1000);
    int t = atomic_exchange(&taker, 0);
    printf("%-10s %s\n", how,
           t == worker_tid ? "taken by the worker"
           : t == 0        ? "not delivered"
                           : "taken by a thread that blocks it");
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGUSR1, &sa, 0);
    sigaction(SIGALRM, &sa, 0);
    sigaction(SIGUSR2, &sa, 0);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, 0);

    pthread_t th;
    pthread_create(&th, 0, worker, 0);
    while (!atomic_load(&ready))
        usleep(1000);
    int w = atomic_load(&ready);
    usleep(20000); /* the worker is asleep in nanosleep with nothing blocked */

    kill(getpid(), SIGUSR1);
    report("kill", w);

    union sigval v = {.sival_int = 7};
    sigqueue(getpid(), SIGUSR1, v);
    report("sigqueue", w);

    struct itimerval it = {{0, 0}, {0, 10000}};
    setitimer(ITIMER_REAL, &it, 0);
    report("setitimer", w);

    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    struct itimerspec once = {{0, 0}, {0, 10000000}};
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) == 0 && timer_settime(t, 0, &once, 0) == 0)
        report("timer", w);

    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        kill(parent, SIGUSR2);
        _exit(0);
    }
    waitpid(child, 0, 0);
    report("other", w);

    atomic_store(&done, 1);
    pthread_join(th, 0);
    /* Still blocked in the only thread left: kill leaves it pending there. */
    kill(getpid(), SIGUSR1);
    sigset_t pending;
    sigpending(&pending);
    printf("%-10s %s\n", "blocked", sigismember(&pending, SIGUSR1) ? "pending" : "lost");
    return 0;
}
