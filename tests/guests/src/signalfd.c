/* Signals as data: signalfd reads after blocking + raise, kill and sigqueue, signalfd in
 * poll and epoll (also woken by a timer while epoll waits), a new mask on an existing
 * signalfd, its errors; pidfd_open on a forked child and pidfd_send_signal to it and to
 * this process itself. Output never depends on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *yesno(int c) { return c ? "yes" : "no"; }

static const char *code(int c)
{
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TIMER: return "SI_TIMER";
    default: return "other";
    }
}

/* Reads one signal from `fd` and describes it. */
static void take(int fd, const char *what)
{
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    if (n != sizeof si) {
        printf("%s: read %zd %s\n", what, n, strerror(errno));
        return;
    }
    printf("%s: signo %d code %s pid is mine %s int %d\n", what, si.ssi_signo, code(si.ssi_code),
           yesno(si.ssi_pid == (unsigned)getpid()), si.ssi_int);
}

static int readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void signalfds(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int fd = signalfd(-1, &mask, SFD_CLOEXEC);
    printf("signalfd: %s\n", yesno(fd >= 0));
    printf("readable with nothing pending: %s\n", yesno(readable(fd)));

    raise(SIGUSR1);
    printf("readable after raise: %s\n", yesno(readable(fd)));
    take(fd, "raise");
    printf("readable after the read: %s\n", yesno(readable(fd)));

    kill(getpid(), SIGUSR2);
    take(fd, "kill");

    union sigval v = {.sival_int = 99};
    sigqueue(getpid(), SIGUSR1, v);
    take(fd, "sigqueue");

    /* Two pending, one read of two records. */
    raise(SIGUSR1);
    raise(SIGUSR2);
    struct signalfd_siginfo two[2];
    ssize_t n = read(fd, two, sizeof two);
    printf("two at once: %zd bytes, signos %d %d\n", n, two[0].ssi_signo, two[1].ssi_signo);

    /* Errors and non-blocking reads. */
    int nb = signalfd(-1, &mask, SFD_NONBLOCK);
    errno = 0;
    n = read(nb, two, sizeof two);
    printf("non-blocking, nothing pending: %zd %s\n", n, strerror(errno));
    raise(SIGUSR1);
    errno = 0;
    n = read(nb, two, 10);
    printf("buffer smaller than a record: %zd %s\n", n, strerror(errno));
    take(nb, "non-blocking");
    errno = 0;
    int r = signalfd(-1, &mask, 0x12345);
    printf("bad flags: %d %s\n", r, strerror(errno));
    errno = 0;
    r = signalfd(1, &mask, 0);
    printf("not a signalfd: %d %s\n", r, strerror(errno));

    /* A new mask on the same descriptor: SIGUSR1 no longer reads. */
    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    printf("new mask keeps the fd: %s\n", yesno(signalfd(nb, &only2, 0) == nb));
    raise(SIGUSR1);
    printf("SIGUSR1 outside the new mask readable: %s\n", yesno(readable(nb)));
    take(fd, "the other signalfd still reads it");
    close(nb);

    /* epoll. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    printf("epoll with nothing pending: %d\n", epoll_wait(ep, &out, 1, 0));
    v.sival_int = 5;
    sigqueue(getpid(), SIGUSR2, v);
    n = epoll_wait(ep, &out, 1, 0);
    printf("epoll after sigqueue: %zd data %llu\n", n, (unsigned long long)out.data.u64);
    take(fd, "epoll");

    /* A timer's signal wakes an epoll_wait that waits for ever. */
    timer_t t;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 31;
    timer_create(CLOCK_MONOTONIC, &sev, &t);
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    timer_settime(t, 0, &its, NULL);
    n = epoll_wait(ep, &out, 1, -1);
    printf("epoll woken by a timer: %zd\n", n);
    take(fd, "timer");
    timer_delete(t);

    /* A blocking read woken by a timer. */
    timer_create(CLOCK_MONOTONIC, &sev, &t);
    timer_settime(t, 0, &its, NULL);
    take(fd, "blocking read, timer");
    timer_delete(t);
    close(ep);
    close(fd);
}

static void pidfds(void)
{
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    int pfd = syscall(SYS_pidfd_open, child, 0);
    printf("pidfd_open(child): %s\n", yesno(pfd >= 0));
    printf("child pidfd readable while it runs: %s\n", yesno(readable(pfd)));
    printf("pidfd_send_signal(child, 0): %ld\n", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
    printf("pidfd_send_signal(child, SIGTERM): %ld\n", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
    int status;
    waitpid(child, &status, 0);
    printf("child killed by SIGTERM: %s\n", yesno(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
    close(pfd);

    errno = 0;
    long r = syscall(SYS_pidfd_open, getpid(), 0x1234);
    printf("pidfd_open bad flags: %ld %s\n", r, strerror(errno));

    /* To this process itself: the signal is pending, blocked, and reads from a signalfd. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, 0);
    int me = syscall(SYS_pidfd_open, getpid(), 0);
    printf("pidfd_send_signal(self): %ld\n", syscall(SYS_pidfd_send_signal, me, SIGUSR1, NULL, 0));
    sigset_t pending;
    sigpending(&pending);
    printf("pending after pidfd_send_signal: %s\n", yesno(sigismember(&pending, SIGUSR1)));
    take(sfd, "pidfd to self");
    errno = 0;
    r = syscall(SYS_pidfd_send_signal, me, SIGUSR1, NULL, 0x100);
    printf("pidfd_send_signal bad flags: %ld %s\n", r, strerror(errno));
    errno = 0;
    r = syscall(SYS_pidfd_send_signal, 1, SIGUSR1, NULL, 0);
    printf("pidfd_send_signal on stdout: %ld %s\n", r, strerror(errno));
    close(me);
    close(sfd);
}

/* A program that closes every descriptor (close_range) and opens new ones in their place
 * must find them untouched when a signal arrives. */
static void closed_behind_its_back(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    signalfd(-1, &m, 0);
    syscall(SYS_close_range, 3, ~0U, 0);
    int p[4][2];
    for (int i = 0; i < 4; i++)
        pipe(p[i]);
    raise(SIGUSR2);
    int quiet = 1;
    for (int i = 0; i < 4; i++)
        quiet &= !readable(p[i][0]);
    printf("new descriptors untouched by a signal: %s\n", yesno(quiet));
    sigset_t pending;
    sigpending(&pending);
    printf("the signal is pending: %s\n", yesno(sigismember(&pending, SIGUSR2)));
}

/* A forked child has its own pending signals: it reads its own from the inherited
 * signalfd, and its signals never make the parent's readable. */
static void across_fork(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = signalfd(-1, &m, SFD_NONBLOCK);
    int st;
    pid_t c = fork();
    if (c == 0) {
        struct signalfd_siginfo si;
        raise(SIGUSR1);
        _exit(read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR1 ? 0 : 1);
    }
    waitpid(c, &st, 0);
    printf("the child reads its own signal: %s\n", yesno(WIFEXITED(st) && WEXITSTATUS(st) == 0));
    c = fork();
    if (c == 0) {
        raise(SIGUSR1);
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("the parent's signalfd readable after a child's signal: %s\n", yesno(readable(sfd)));
    close(sfd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signalfds();
    pidfds();
    across_fork();
    closed_behind_its_back();
    return 0;
}
