// epoll_pwait2: its timespec timeout, with nothing ready and with an eventfd ready (data with
// the high bits set), and its errors. qemu-riscv64 answers ENOSYS to epoll_pwait2, so no golden
// is recorded: tests/events.rs holds mimic's output to what Linux gives.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long pwait2(int ep, struct epoll_event *ev, int max, struct timespec *ts)
{
    return syscall(SYS_epoll_pwait2, ep, ev, max, ts, NULL, 8);
}

static void show(const char *what, long n, struct epoll_event *ev)
{
    printf("%s: %ld", what, n);
    if (n < 0)
        printf(" %s", strerror(errno));
    for (long i = 0; i < n; i++)
        printf(" {0x%x, 0x%016llx}", ev[i].events, (unsigned long long)ev[i].data.u64);
    printf("\n");
}

int main(void)
{
    int ep = epoll_create1(0), efd = eventfd(0, 0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x8877665544332211ull}, ev[2];
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e);
    struct timespec ts = {0, 5000000};
    show("5ms, nothing ready", pwait2(ep, ev, 2, &ts), ev);
    uint64_t one = 1;
    write(efd, &one, 8);
    show("ready, no timeout", pwait2(ep, ev, 2, NULL), ev);
    ts.tv_nsec = 0;
    show("ready, timeout 0", pwait2(ep, ev, 2, &ts), ev);
    ts.tv_nsec = 2000000000;
    show("bad timespec (EINVAL)", pwait2(ep, ev, 2, &ts), ev);
    show("bad timespec pointer (EFAULT)", pwait2(ep, ev, 2, (void *)8), ev);
    ts.tv_nsec = 0;
    show("maxevents 0 (EINVAL)", pwait2(ep, ev, 0, &ts), ev);
    return 0;
}
