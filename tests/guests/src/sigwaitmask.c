/* sigwaitmask: the signal mask that ppoll, pselect6 and epoll_pwait wait under. The program
 * blocks SIGUSR1 and SIGCHLD and waits with a mask that lets them through while a thread (which
 * blocks everything) sends SIGUSR1 to the process, or a child exits: the signal ends the wait
 * with EINTR, its handler runs while the wait's mask is in force, and the program's own mask
 * is back afterwards. A wait that ends otherwise leaves the mask as it was. `child` uses a
 * child's exit instead of a thread (not for --deterministic, whose virtual clock does not wait
 * for another process). `late` (after `child` or alone) sends 200 ms later, after the timeout of the
 * wait with no mask: what a loaded machine may do to any sender. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int handled, usr2_blocked_in_handler;

static void handler(int sig)
{
    (void)sig;
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    /* The wait's mask blocks SIGUSR2; the program's own does not. */
    atomic_store(&usr2_blocked_in_handler, sigismember(&now, SIGUSR2));
    atomic_fetch_add(&handled, 1);
}

static int use_child;
static useconds_t send_delay = 20000;

/* The pending signal's sender, until await_sender has seen it send. */
static pid_t sender_pid;
static pthread_t sender_thread;
static int sender_running;

static void *send_soon(void *arg)
{
    (void)arg;
    usleep(send_delay);
    kill(getpid(), SIGUSR1);
    return 0;
}

/* A signal for the process in 20 ms: SIGUSR1 from a thread, or SIGCHLD from a child. */
static void signal_soon(void)
{
    sender_running = 1;
    if (use_child) {
        sender_pid = fork();
        if (sender_pid == 0) {
            usleep(send_delay);
            _exit(0);
        }
        return;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&sender_thread, 0, send_soon, 0);
    pthread_sigmask(SIG_SETMASK, &old, 0);
}

/* Waits until the sender has sent: a wait that does not end at the signal (a timeout under a mask
 * that blocks it) may return before the sender even ran, and a loaded machine can delay it past
 * any timeout. Reaping a child leaves its SIGCHLD pending, as it does on Linux. */
static void await_sender(void)
{
    if (!sender_running)
        return;
    sender_running = 0;
    if (use_child)
        waitpid(sender_pid, 0, 0);
    else
        pthread_join(sender_thread, 0);
}

static const char *mask_state(void)
{
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    if (!sigismember(&now, SIGCHLD) || !sigismember(&now, SIGUSR1))
        return "own mask lost";
    return sigismember(&now, SIGUSR2) ? "wait mask leaked" : "own mask back";
}

static void report(const char *how, int r, int err)
{
    await_sender();
    printf("%-12s %s, handled %d%s, %s\n", how,
           r == -1 && err == EINTR ? "EINTR" : r == -1 ? strerror(err) : "returned",
           atomic_exchange(&handled, 0),
           atomic_exchange(&usr2_blocked_in_handler, 0) ? " under the wait's mask" : "",
           mask_state());
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "child"))
            use_child = 1;
        else if (!strcmp(argv[i], "late"))
            send_delay = 200000;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGCHLD, &sa, 0);
    sigaction(SIGUSR1, &sa, 0);

    sigset_t own, wait_mask;
    sigemptyset(&own);
    sigaddset(&own, SIGCHLD);
    sigaddset(&own, SIGUSR1);
    sigprocmask(SIG_SETMASK, &own, 0);
    sigemptyset(&wait_mask);
    sigaddset(&wait_mask, SIGUSR2);

    struct timespec five = {5, 0};
    signal_soon();
    int r = pselect(0, 0, 0, 0, &five, &wait_mask);
    report("pselect", r, errno);

    signal_soon();
    r = ppoll(0, 0, &five, &wait_mask);
    report("ppoll", r, errno);

    int ep = epoll_create1(0);
    struct epoll_event ev;
    signal_soon();
    r = epoll_pwait(ep, &ev, 1, 5000, &wait_mask);
    report("epoll_pwait", r, errno);

    /* Pending before the call: the wait ends at once. */
    raise(SIGUSR1);
    r = ppoll(0, 0, &five, &wait_mask);
    report("pending", r, errno);

    /* A ready descriptor: the wait returns, the signal raised meanwhile stays blocked. */
    int fds[2];
    pipe(fds);
    write(fds[1], "x", 1);
    struct pollfd pfd = {fds[0], POLLIN, 0};
    sigset_t still_blocks = own;
    r = ppoll(&pfd, 1, &five, &still_blocks);
    report("ready", r, errno);

    /* No mask: the wait runs under the program's own (the signal blocked): the timeout ends it. */
    signal_soon();
    struct timespec short_wait = {0, 100000000};
    r = ppoll(0, 0, &short_wait, 0);
    report("no mask", r, errno);
    sigset_t pending;
    sigpending(&pending);
    printf("%-12s %s\n", "afterwards",
           sigismember(&pending, use_child ? SIGCHLD : SIGUSR1) ? "pending" : "gone");
    return 0;
}
