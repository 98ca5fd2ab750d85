// epoll over a pipe and an eventfd (level and edge triggered, one-shot, MOD and DEL, data
// with the high bits set, timeouts, errors), eventfd's semaphore mode, a timerfd firing, and
// a thread's eventfd write waking an epoll_pwait (in --deterministic mode a parked wait).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int ep, efd, pfd[2];

static void show(const char *what, int n, struct epoll_event *ev)
{
    printf("%s: %d", what, n);
    if (n < 0)
        printf(" %s", strerror(errno));
    for (int i = 0; i < n; i++)
        printf(" {0x%x, 0x%016llx}", ev[i].events, (unsigned long long)ev[i].data.u64);
    printf("\n");
}

static int wait_ms(const char *what, int ms)
{
    struct epoll_event ev[4];
    memset(ev, 0, sizeof ev);
    int n = epoll_wait(ep, ev, 4, ms);
    show(what, n, ev);
    return n;
}

static void err(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "-");
}

static void *writer(void *a)
{
    (void)a;
    usleep(30000);
    uint64_t one = 7;
    write(efd, &one, 8);
    return NULL;
}

int main(void)
{
    ep = epoll_create1(EPOLL_CLOEXEC);
    efd = eventfd(0, EFD_NONBLOCK);
    pipe(pfd);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0xfedcba9876543210ull};
    err("add pipe", epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &e));
    e.events = EPOLLIN | EPOLLET;
    e.data.u64 = 0x8000000100000002ull;
    err("add eventfd (edge)", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));

    wait_ms("nothing ready, timeout 0", 0);
    wait_ms("nothing ready, timeout 20ms", 20);

    // Level triggered: reported on every wait until read.
    write(pfd[1], "ab", 2);
    wait_ms("pipe ready", 0);
    wait_ms("pipe still ready (level)", 0);
    char buf[8];
    read(pfd[0], buf, 2);
    wait_ms("pipe drained", 0);

    // Edge triggered: reported once per write.
    uint64_t v = 5;
    write(efd, &v, 8);
    wait_ms("eventfd written", 0);
    wait_ms("eventfd again (edge: nothing)", 0);
    write(efd, &v, 8);
    wait_ms("eventfd written again", 0);
    read(efd, &v, 8);
    printf("eventfd counter %llu\n", (unsigned long long)v);

    // One-shot: reported once, then disabled until MOD re-arms it.
    e.events = EPOLLIN | EPOLLONESHOT;
    e.data.u64 = 0xffffffffffffffffull;
    err("mod pipe (oneshot)", epoll_ctl(ep, EPOLL_CTL_MOD, pfd[0], &e));
    write(pfd[1], "c", 1);
    wait_ms("oneshot fires", 0);
    wait_ms("oneshot disarmed", 0);
    e.data.u64 = 0x0123456789abcdefull;
    err("mod re-arms", epoll_ctl(ep, EPOLL_CTL_MOD, pfd[0], &e));
    wait_ms("re-armed", 0);
    err("del pipe", epoll_ctl(ep, EPOLL_CTL_DEL, pfd[0], NULL));
    wait_ms("after del", 0);
    read(pfd[0], buf, 1);

    // Errors.
    e.events = EPOLLIN;
    err("add twice (EEXIST)", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));
    err("mod absent (ENOENT)", epoll_ctl(ep, EPOLL_CTL_MOD, pfd[0], &e));
    err("del absent (ENOENT)", epoll_ctl(ep, EPOLL_CTL_DEL, pfd[0], &e));
    err("bad fd (EBADF)", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e));
    err("bad epfd (EBADF)", epoll_ctl(999, EPOLL_CTL_ADD, efd, &e));
    err("epfd not epoll (EINVAL)", epoll_ctl(pfd[0], EPOLL_CTL_ADD, efd, &e));
    err("self (EINVAL)", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
    err("bad op (EINVAL)", epoll_ctl(ep, 77, pfd[0], &e));
    err("bad event (EFAULT)", epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], (void *)8));
    struct epoll_event ev[2];
    // Through syscall(): the compiler rejects these arguments to epoll_wait itself.
    err("maxevents 0 (EINVAL)", syscall(SYS_epoll_pwait, ep, ev, 0, 0, NULL, 8));
    err("maxevents -1 (EINVAL)", syscall(SYS_epoll_pwait, ep, ev, -1, 0, NULL, 8));
    err("maxevents too large (EINVAL)", syscall(SYS_epoll_pwait, ep, ev, 0x7fffffff, 0, NULL, 8));
    err("wait bad epfd (EBADF)", epoll_wait(999, ev, 2, 0));
    err("wait not epoll (EINVAL)", epoll_wait(pfd[0], ev, 2, 0));
    v = 1;
    write(efd, &v, 8);
    err("wait bad buffer (EFAULT)", syscall(SYS_epoll_pwait, ep, 8, 2, 0, NULL, 8));
    read(efd, &v, 8);
    err("create1 bad flags (EINVAL)", epoll_create1(1));

    // epoll_pwait's signal mask (epoll_pwait2, which qemu-riscv64 lacks, is epoll2.c).
    sigset_t mask;
    sigemptyset(&mask);
    int n = epoll_pwait(ep, ev, 2, 1, &mask);
    show("pwait with a mask", n, ev);
    err("pwait bad sigsetsize (EINVAL)", syscall(SYS_epoll_pwait, ep, ev, 2, 0, &mask, 4));

    // eventfd semaphore mode: each read takes one.
    int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    for (int i = 0; i < 4; i++) {
        uint64_t x = 0;
        int r = read(sem, &x, 8);
        printf("semaphore read %d: %d value %llu%s\n", i, r, (unsigned long long)x,
               r < 0 && errno == EAGAIN ? " EAGAIN" : "");
    }
    err("eventfd short read (EINVAL)", read(sem, buf, 4));

    // A timerfd: in an epoll set, then read for its expiration count.
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec it = {{0, 0}, {0, 10000000}};
    err("timerfd_settime", timerfd_settime(tfd, 0, &it, NULL));
    struct itimerspec cur;
    timerfd_gettime(tfd, &cur);
    printf("armed: interval %ld, value set %d\n", (long)cur.it_interval.tv_nsec,
           cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
    e.events = EPOLLIN;
    e.data.u64 = 0xa5a5a5a5a5a5a5a5ull;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e);
    wait_ms("timer fires", -1);
    uint64_t expirations = 0;
    int r = read(tfd, &expirations, 8);
    printf("timerfd read %d, expirations >= 1: %d\n", r, expirations >= 1);
    epoll_ctl(ep, EPOLL_CTL_DEL, tfd, NULL);
    it.it_value.tv_nsec = 5000000;
    timerfd_settime(tfd, 0, &it, NULL);
    r = read(tfd, &expirations, 8);
    printf("blocking timerfd read %d, expirations >= 1: %d\n", r, expirations >= 1);
    err("timerfd bad clock (EINVAL)", timerfd_create(12345, 0));

    // A thread's write wakes the wait.
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    wait_ms("woken by a thread", -1);
    pthread_join(t, NULL);
    read(efd, &v, 8);
    printf("eventfd counter %llu\n", (unsigned long long)v);
    return 0;
}
