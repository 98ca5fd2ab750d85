/* inotify on a scratch directory (argv[1]): create, modify, close, move and delete events
 * with their names and a shared move cookie; a non-blocking read with nothing queued is
 * EAGAIN; poll and epoll see the descriptor readable; a blocking read waits for a forked
 * child's change or another thread's; inotify_rm_watch queues IN_IGNORED; errors for bad paths, watches, flags.
 *   inotify DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails;

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        fails++;
}

static const struct {
    unsigned bit;
    const char *name;
} names[] = {
    {IN_ACCESS, "ACCESS"},       {IN_MODIFY, "MODIFY"},         {IN_ATTRIB, "ATTRIB"},
    {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},     {IN_CREATE, "CREATE"},
    {IN_DELETE, "DELETE"},       {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_UNMOUNT, "UNMOUNT"},     {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"},
    {IN_ISDIR, "ISDIR"},
};

static unsigned last_cookie;

/* Prints every event one read returns; the number of events. */
static int show(int fd, int wd) {
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
        printf("  read: %s\n", strerror(errno));
        return 0;
    }
    int count = 0;
    for (char *at = buf; at < buf + n; count++) {
        struct inotify_event *e = (struct inotify_event *)at;
        printf("  %s", e->wd == wd ? "wd" : "other wd");
        for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
            if (e->mask & names[i].bit)
                printf(" %s", names[i].name);
        if (e->len)
            printf(" \"%s\" (len %u)", e->name, e->len);
        if (e->cookie) {
            printf(" cookie %s", e->mask & IN_MOVED_TO && e->cookie == last_cookie ? "same" : "new");
            last_cookie = e->cookie;
        }
        printf("\n");
        at += sizeof *e + e->len;
    }
    return count;
}

static char c_path[4200];

static void *creator(void *arg) {
    (void)arg;
    usleep(50000);
    close(open(c_path, O_WRONLY | O_CREAT, 0600));
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IOLBF, 0);
    if (argc < 2)
        return printf("usage: inotify DIR\n"), 2;
    char dir[4096], a[4200], b[4200];
    snprintf(dir, sizeof dir, "%s/watched", argv[1]);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    if (mkdir(dir, 0700) < 0)
        return printf("mkdir: %s\n", strerror(errno)), 1;

    errno = 0;
    check(inotify_init1(~0) < 0 && errno == EINVAL, "init1 with unknown flags is EINVAL");
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return printf("inotify_init1: %s\n", strerror(errno)), 1;
    check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "IN_CLOEXEC sets FD_CLOEXEC");
    check((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, "IN_NONBLOCK sets O_NONBLOCK");
    errno = 0;
    check(inotify_add_watch(fd, "/nonexistent/dir", IN_CREATE) < 0 && errno == ENOENT,
          "watching a missing path is ENOENT");
    errno = 0;
    check(inotify_add_watch(fd, (char *)8, IN_CREATE) < 0 && errno == EFAULT,
          "a wild path is EFAULT");
    errno = 0;
    check(inotify_add_watch(fd, dir, 0) < 0 && errno == EINVAL, "an empty mask is EINVAL");
    int wd = inotify_add_watch(fd, dir,
                               IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO |
                                   IN_DELETE | IN_DELETE_SELF);
    if (wd < 0)
        return printf("inotify_add_watch: %s\n", strerror(errno)), 1;

    char buf[256];
    errno = 0;
    check(read(fd, buf, sizeof buf) < 0 && errno == EAGAIN, "nothing queued: read is EAGAIN");
    struct pollfd pfd = {fd, POLLIN, 0};
    check(poll(&pfd, 1, 0) == 0, "nothing queued: poll says not ready");

    int f = open(a, O_WRONLY | O_CREAT, 0600);
    write(f, "x", 1);
    close(f);
    rename(a, b);
    unlink(b);
    check(poll(&pfd, 1, 1000) == 1 && pfd.revents == POLLIN, "after changes: poll says POLLIN");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    check(epoll_wait(ep, &got, 1, 1000) == 1 && got.data.u64 == 77 && got.events == EPOLLIN,
          "after changes: epoll says EPOLLIN");
    errno = 0;
    check(read(fd, buf, sizeof(struct inotify_event)) < 0 && errno == EINVAL,
          "a buffer too small for a named event is EINVAL");
    printf("events:\n");
    int n = show(fd, wd);
    printf("%d events\n", n);

    /* A blocking read waits for the child's change. */
    int blocking = inotify_init1(0);
    int wd2 = inotify_add_watch(blocking, dir, IN_CREATE);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        close(open(a, O_WRONLY | O_CREAT, 0600));
        _exit(0);
    }
    printf("blocking read:\n");
    show(blocking, wd2);
    int st;
    waitpid(pid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited 0");

    /* The same with another thread of this process making the change: a blocking read
     * must not stop the other thread (in deterministic mode both run on one host thread). */
    snprintf(c_path, sizeof c_path, "%s/c", dir);
    pthread_t t;
    pthread_create(&t, 0, creator, 0);
    printf("blocking read, another thread creates:\n");
    show(blocking, wd2);
    pthread_join(t, 0);

    errno = 0;
    check(inotify_rm_watch(fd, wd + 1000) < 0 && errno == EINVAL, "removing a bad wd is EINVAL");
    check(inotify_rm_watch(fd, wd) == 0, "rm_watch");
    printf("after rm_watch:\n");
    show(fd, wd);
    errno = 0;
    check(inotify_rm_watch(fd, wd) < 0 && errno == EINVAL, "removing it again is EINVAL");
    unlink(a);
    unlink(c_path);
    errno = 0;
    check(read(fd, buf, sizeof buf) < 0 && errno == EAGAIN, "no watch: nothing more queued");
    return fails != 0;
}
