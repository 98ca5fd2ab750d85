// The Linux ABI's less common families, one part per argv[1]:
//   files DIR   sendfile, splice, tee, vmsplice, copy_file_range, readahead, sync_file_range,
//               mknodat (FIFO, regular, refused types), statfs/fstatfs, name_to_handle_at /
//               open_by_handle_at
//   tty         a pseudo-terminal: posix_openpt, grantpt/unlockpt/ptsname (TIOCGPTN,
//               TIOCSPTLCK), termios, window size, FIONREAD, a controlling terminal (TIOCSCTTY,
//               TIOCGPGRP, TIOCGSID, TIOCNOTTY) in a new session
//   proc        capget/capset, getcpu, membarrier, unshare, waitid(P_PIDFD), a child
//               subreaper adopting an orphan, PR_SET_PDEATHSIG
//   clock       every clock against sleeps and timeouts: a sleep of d is seen to take at
//               least d on each clock, absolute sleeps end at their time; timerfds
//   beyond DIR  what qemu-riscv64 7.2 lacks or answers as the host (tests/abi.rs holds mimic
//               to Linux's answers): openat2, fchmodat2, membarrier's rseq commands,
//               unshare in a lone thread and with two, TIOCGPTPEER
//   rawclock    the clocks' values (tests/abi.rs: the same on two --deterministic runs)
// Every line is a yes/no or a value the same on every Linux run.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
    printf("%-66s %s\n", what, ok ? "yes" : "NO");
    if (!ok)
        failures++;
}

static int fails(long r, int err) { return r == -1 && errno == err; }

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        exit(3);
    close(fd);
}

static int pipe_has(int fd, const char *want)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    return n == (ssize_t)strlen(want) && memcmp(buf, want, n) == 0;
}

static void files(void)
{
    put("src", "0123456789abcdef");
    int src = open("src", O_RDONLY), p[2];
    if (src < 0 || pipe(p) != 0)
        exit(3);

    off_t off = 4;
    check("sendfile file->pipe at an offset: 6 bytes", sendfile(p[1], src, &off, 6) == 6);
    check("sendfile: the offset advanced, the file's own did not",
          off == 10 && lseek(src, 0, SEEK_CUR) == 0);
    check("sendfile: the pipe holds 456789", pipe_has(p[0], "456789"));
    check("sendfile without an offset moves the file's", sendfile(p[1], src, NULL, 3) == 3 &&
                                                             lseek(src, 0, SEEK_CUR) == 3);
    check("sendfile: the pipe holds 012", pipe_has(p[0], "012"));
    check("sendfile with an unmapped offset pointer is EFAULT",
          fails(sendfile(p[1], src, (off_t *)8, 1), EFAULT));
    check("sendfile from a closed descriptor is EBADF", fails(sendfile(p[1], 99, NULL, 1), EBADF));

    loff_t in = 10;
    check("splice file->pipe at an offset: 6 bytes", splice(src, &in, p[1], NULL, 6, 0) == 6);
    check("splice: the offset advanced", in == 16);
    int dst = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t out = 2;
    check("splice pipe->file at an offset", splice(p[0], NULL, dst, &out, 6, 0) == 6 && out == 8);
    char buf[64] = {0};
    check("splice: the file holds \\0\\0abcdef",
          pread(dst, buf, sizeof buf, 0) == 8 && buf[0] == 0 && memcmp(buf + 2, "abcdef", 6) == 0);
    check("splice with an offset on a pipe is ESPIPE",
          fails(splice(p[0], &in, dst, NULL, 1, 0), ESPIPE));
    check("splice of an empty pipe with SPLICE_F_NONBLOCK is EAGAIN",
          fails(splice(p[0], NULL, dst, NULL, 1, SPLICE_F_NONBLOCK), EAGAIN));

    int q[2];
    if (pipe(q) != 0)
        exit(3);
    check("write to a pipe", write(p[1], "teedata", 7) == 7);
    check("tee copies 7 bytes to a second pipe", tee(p[0], q[1], 64, 0) == 7);
    check("tee: both pipes hold the bytes", pipe_has(q[0], "teedata") && pipe_has(p[0], "teedata"));
    check("tee from a file is EINVAL", fails(tee(src, q[1], 1, 0), EINVAL));

    char a[] = "vm", b[] = "splice";
    struct iovec iov[2] = {{a, 2}, {b, 6}};
    check("vmsplice two iovecs into a pipe", vmsplice(p[1], iov, 2, 0) == 8);
    char r1[3] = {0}, r2[6] = {0};
    struct iovec back[2] = {{r1, 3}, {r2, 5}};
    check("vmsplice out of a pipe into two iovecs", vmsplice(p[0], back, 2, 0) == 8);
    check("vmsplice: the bytes arrived", memcmp(r1, "vms", 3) == 0 && memcmp(r2, "plice", 5) == 0);
    struct iovec bad = {(void *)8, 4};
    check("vmsplice of an unmapped buffer is EFAULT", fails(vmsplice(p[1], &bad, 1, 0), EFAULT));

    int cp = open("copy", O_RDWR | O_CREAT | O_TRUNC, 0644);
    loff_t ci = 3, co = 0;
    check("copy_file_range 5 bytes at offsets", copy_file_range(src, &ci, cp, &co, 5, 0) == 5);
    check("copy_file_range: both offsets advanced", ci == 8 && co == 5);
    memset(buf, 0, sizeof buf);
    check("copy_file_range: the copy holds 34567", pread(cp, buf, 64, 0) == 5 && !strcmp(buf, "34567"));
    check("copy_file_range with flags is EINVAL",
          fails(copy_file_range(src, NULL, cp, NULL, 1, 1), EINVAL));
    check("copy_file_range from a pipe is EINVAL",
          fails(copy_file_range(p[0], NULL, cp, NULL, 1, 0), EINVAL));

    check("readahead of a file", readahead(src, 0, 4096) == 0);
    check("readahead of a pipe is EINVAL", fails(readahead(p[0], 0, 10), EINVAL));
    check("sync_file_range of a file", sync_file_range(dst, 0, 0, SYNC_FILE_RANGE_WRITE) == 0);
    check("sync_file_range with unknown flags is EINVAL", fails(sync_file_range(dst, 0, 0, 8), EINVAL));

    struct stat st;
    check("mknodat a FIFO", mknodat(AT_FDCWD, "fifo", S_IFIFO | 0600, 0) == 0);
    check("mknodat: it is a FIFO", stat("fifo", &st) == 0 && S_ISFIFO(st.st_mode));
    check("mknodat a regular file", mknodat(AT_FDCWD, "plain", S_IFREG | 0600, 0) == 0);
    check("mknodat: it is an empty regular file",
          stat("plain", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    check("mknodat over an existing file is EEXIST", fails(mknodat(AT_FDCWD, "plain", S_IFIFO | 0600, 0), EEXIST));
    check("mknodat of a directory is EPERM", fails(mknodat(AT_FDCWD, "d", S_IFDIR | 0700, 0), EPERM));
    check("mknodat of an unknown type is EINVAL", fails(mknodat(AT_FDCWD, "u", 0170000 | 0600, 0), EINVAL));

    struct statfs a1, a2, pr;
    check("statfs of the directory", statfs(".", &a1) == 0);
    check("fstatfs of a file in it agrees", fstatfs(src, &a2) == 0 && a1.f_type == a2.f_type &&
                                                a1.f_bsize == a2.f_bsize && a1.f_namelen == a2.f_namelen);
    check("statfs: block size and name length are set", a1.f_bsize > 0 && a1.f_namelen > 0);
    check("statfs of /proc is procfs", statfs("/proc", &pr) == 0 && pr.f_type == 0x9fa0);
    check("statfs of a missing path is ENOENT", fails(statfs("missing", &a1), ENOENT));
    check("statfs to an unmapped buffer is EFAULT", fails(statfs(".", (struct statfs *)8), EFAULT));

    struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
    int mount_id;
    fh->handle_bytes = 0;
    int r = name_to_handle_at(AT_FDCWD, "src", fh, &mount_id, 0);
    int unsupported = r == -1 && errno == EOPNOTSUPP;
    check("name_to_handle_at with no room is EOVERFLOW (or EOPNOTSUPP)",
          unsupported || (r == -1 && errno == EOVERFLOW && fh->handle_bytes > 0));
    if (!unsupported) {
        fh->handle_bytes = MAX_HANDLE_SZ;
        check("name_to_handle_at", name_to_handle_at(AT_FDCWD, "src", fh, &mount_id, 0) == 0);
        int h = open_by_handle_at(src, fh, O_RDONLY);
        int ok = (h < 0 && errno == EPERM) ||
                 (h >= 0 && read(h, buf, 4) == 4 && memcmp(buf, "0123", 4) == 0);
        check("open_by_handle_at reads the file (or EPERM unprivileged)", ok);
    } else {
        check("name_to_handle_at", 1);
        check("open_by_handle_at reads the file (or EPERM unprivileged)", 1);
    }
    fh->handle_bytes = 0;
    check("open_by_handle_at of an empty handle is EINVAL", fails(open_by_handle_at(src, fh, O_RDONLY), EINVAL));
}

static void tty(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    check("posix_openpt", m >= 0);
    check("grantpt and unlockpt", grantpt(m) == 0 && unlockpt(m) == 0);
    unsigned n;
    check("TIOCGPTN", ioctl(m, TIOCGPTN, &n) == 0);
    char name[64], want[64];
    snprintf(want, sizeof want, "/dev/pts/%u", n);
    check("ptsname_r names /dev/pts/N", ptsname_r(m, name, sizeof name) == 0 && !strcmp(name, want));
    int s = open(name, O_RDWR | O_NOCTTY);
    check("open the slave", s >= 0);
    check("isatty of both sides", isatty(m) && isatty(s));

    struct termios t;
    check("tcgetattr", tcgetattr(s, &t) == 0);
    check("a new pty echoes and is canonical", (t.c_lflag & ECHO) && (t.c_lflag & ICANON));
    cfmakeraw(&t);
    check("tcsetattr TCSANOW raw", tcsetattr(s, TCSANOW, &t) == 0);
    struct termios u;
    check("tcgetattr sees raw mode", tcgetattr(s, &u) == 0 && !(u.c_lflag & (ECHO | ICANON)));
    check("tcsetattr TCSADRAIN and TCSAFLUSH", tcsetattr(s, TCSADRAIN, &t) == 0 && tcsetattr(s, TCSAFLUSH, &t) == 0);
    struct winsize w = {.ws_row = 33, .ws_col = 101}, w2;
    check("TIOCSWINSZ", ioctl(m, TIOCSWINSZ, &w) == 0);
    check("TIOCGWINSZ on the slave: 33x101", ioctl(s, TIOCGWINSZ, &w2) == 0 && w2.ws_row == 33 && w2.ws_col == 101);
    check("write to the master", write(m, "hello", 5) == 5);
    /* The pty moves the bytes to the slave asynchronously: wait until they are there (a
     * sleep would not do: deterministic mode's sleeps take no real time). */
    struct pollfd pf = {s, POLLIN, 0};
    check("poll: the slave becomes readable", poll(&pf, 1, 5000) == 1 && (pf.revents & POLLIN));
    int avail = -1;
    check("FIONREAD on the slave: 5", ioctl(s, FIONREAD, &avail) == 0 && avail == 5);
    char buf[16] = {0};
    check("read on the slave", read(s, buf, sizeof buf) == 5 && !memcmp(buf, "hello", 5));
    check("TIOCGPTN on the slave is ENOTTY", fails(ioctl(s, TIOCGPTN, &n), ENOTTY));
    int lock = 1;
    check("TIOCSPTLCK relocks the master", ioctl(m, TIOCSPTLCK, &lock) == 0);
    check("opening a locked slave is EIO", fails(open(name, O_RDWR | O_NOCTTY), EIO));
    lock = 0;
    check("TIOCSPTLCK unlocks it", ioctl(m, TIOCSPTLCK, &lock) == 0);

    int res[2];
    if (pipe(res) != 0)
        exit(3);
    pid_t c = fork();
    if (c == 0) {
        char r[5] = "nnnn";
        r[0] = setsid() == getpid() ? 'y' : 'n';
        r[1] = ioctl(s, TIOCSCTTY, 0) == 0 ? 'y' : 'n';
        r[2] = tcgetpgrp(s) == getpid() ? 'y' : 'n';
        /* A session leader giving up its terminal gets SIGHUP and SIGCONT sent to its
         * foreground group, itself: ignore the hang-up. */
        signal(SIGHUP, SIG_IGN);
        r[3] = ioctl(s, TIOCNOTTY) == 0 && fails(tcgetpgrp(s), ENOTTY) ? 'y' : 'n';
        write(res[1], r, 4);
        _exit(0);
    }
    char r[5] = {0};
    int status;
    check("a child's read of its results", read(res[0], r, 4) == 4 && waitpid(c, &status, 0) == c);
    check("the child made a new session", r[0] == 'y');
    check("TIOCSCTTY makes the slave its controlling terminal", r[1] == 'y');
    check("tcgetpgrp is the child's", r[2] == 'y');
    check("TIOCNOTTY gives the terminal up", r[3] == 'y');
    check("TIOCSCTTY on a non-terminal is ENOTTY", fails(ioctl(res[0], TIOCSCTTY, 0), ENOTTY));
}

static int flag_child;
static void on_usr1(int sig) { (void)sig; flag_child = 1; }

static void proc_part(void)
{
    struct __user_cap_header_struct h = {0, 0};
    struct __user_cap_data_struct d[2], d2[2];
    check("capget of an unknown version is EINVAL", fails(syscall(SYS_capget, &h, d), EINVAL));
    check("capget wrote the kernel's version", h.version == _LINUX_CAPABILITY_VERSION_3);
    h.pid = 0;
    check("capget v3 of the caller", syscall(SYS_capget, &h, d) == 0);
    h.pid = getpid();
    check("capget by pid is the same", syscall(SYS_capget, &h, d2) == 0 && !memcmp(d, d2, sizeof d));
    check("capget with NULL data", syscall(SYS_capget, &h, NULL) == 0);
    check("permitted includes effective",
          (d[0].effective & ~d[0].permitted) == 0 && (d[1].effective & ~d[1].permitted) == 0);
    h.pid = 0;
    check("capset to the same sets", syscall(SYS_capset, &h, d) == 0);
    struct __user_cap_data_struct more[2] = {d[0], d[1]};
    more[0].permitted = ~0u;
    more[1].permitted = ~0u;
    check("capset raising permitted is EPERM",
          d[0].permitted == ~0u || fails(syscall(SYS_capset, &h, more), EPERM));
    check("capget to an unmapped header is EFAULT", fails(syscall(SYS_capget, (void *)8, d), EFAULT));

    unsigned cpu = ~0u, node = ~0u;
    check("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL) == 0);
    check("getcpu: a configured CPU", cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF) && node != ~0u);
    check("getcpu with NULLs", syscall(SYS_getcpu, NULL, NULL, NULL) == 0);

    long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    check("membarrier QUERY has the private expedited commands",
          q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) && (q & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED));
    check("membarrier PRIVATE_EXPEDITED before registering is EPERM",
          fails(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM));
    check("membarrier REGISTER_PRIVATE_EXPEDITED",
          syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0);
    check("membarrier PRIVATE_EXPEDITED", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0);
    if (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) {
        check("membarrier REGISTER_PRIVATE_EXPEDITED_SYNC_CORE",
              syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0);
        check("membarrier PRIVATE_EXPEDITED_SYNC_CORE",
              syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0);
    } else {
        check("membarrier REGISTER_PRIVATE_EXPEDITED_SYNC_CORE", 1);
        check("membarrier PRIVATE_EXPEDITED_SYNC_CORE", 1);
    }
    check("membarrier of an unknown command is EINVAL", fails(syscall(SYS_membarrier, 1 << 20, 0, 0), EINVAL));
    check("membarrier with unknown flags is EINVAL", fails(syscall(SYS_membarrier, 0, 4, 0), EINVAL));

    check("unshare(0)", unshare(0) == 0);
    check("unshare(CLONE_FILES) in a lone thread", unshare(CLONE_FILES) == 0);
    check("unshare of an unknown flag is EINVAL", fails(unshare(0x1), EINVAL));

    pid_t c = fork();
    if (c == 0)
        _exit(9);
    int pfd = syscall(SYS_pidfd_open, c, 0);
    siginfo_t si = {0};
    check("waitid(P_PIDFD) reaps the child",
          pfd >= 0 && waitid(P_PIDFD, pfd, &si, WEXITED) == 0 && si.si_pid == c && si.si_status == 9);
    check("waitid(P_PIDFD) again is ECHILD", fails(waitid(P_PIDFD, pfd, &si, WEXITED), ECHILD));
    check("waitid(P_PIDFD) of a closed fd is EBADF", fails(waitid(P_PIDFD, 99, &si, WEXITED), EBADF));

    /* PDEATHSIG is reset in a forked child. */
    signal(SIGUSR1, on_usr1);
    check("PR_SET_PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1) == 0);
    c = fork();
    if (c == 0) {
        int s = -1;
        _exit(prctl(PR_GET_PDEATHSIG, &s) == 0 && s == 0 ? 0 : 1);
    }
    int status;
    check("a forked child does not inherit it", waitpid(c, &status, 0) == c && WEXITSTATUS(status) == 0);
    check("PR_SET_PDEATHSIG of a bad signal is EINVAL", fails(prctl(PR_SET_PDEATHSIG, 99), EINVAL));
    check("no stray SIGUSR1", flag_child == 0);

    /* The value-only prctls qemu passes to the host. */
    check("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS) >= 0);
    check("PR_CAPBSET_DROP of an unknown capability is EINVAL", fails(prctl(PR_CAPBSET_DROP, 200), EINVAL));
    check("PR_MCE_KILL_GET", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) >= 0);
    check("PR_CAP_AMBIENT IS_SET of CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) >= 0);
    check("PR_CAP_AMBIENT of an unknown operation is EINVAL", fails(prctl(PR_CAP_AMBIENT, 9, 0, 0, 0), EINVAL));

}

static long long ns(clockid_t id)
{
    struct timespec t;
    if (clock_gettime(id, &t) != 0)
        return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void spin(void)
{
    for (volatile int i = 0; i < 200000; i++)
        ;
}

static void timerfds(void);

static void clocks(void)
{
    static const struct { clockid_t id; const char *name; } wall[] = {
        {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"}, {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
        {CLOCK_BOOTTIME, "BOOTTIME"}, {CLOCK_TAI, "TAI"},
    };
    char what[128];
    for (unsigned i = 0; i < sizeof wall / sizeof wall[0]; i++) {
        long long a = ns(wall[i].id);
        struct timespec d = {0, 20000000};
        nanosleep(&d, NULL);
        long long b = ns(wall[i].id);
        snprintf(what, sizeof what, "%s: a 20 ms nanosleep takes at least 20 ms", wall[i].name);
        check(what, a >= 0 && b - a >= 20000000 && b - a < 5000000000LL);
    }
    struct timespec res;
    check("clock_getres of MONOTONIC", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
    long long c1 = ns(CLOCK_REALTIME_COARSE), m1 = ns(CLOCK_MONOTONIC_COARSE);
    check("the coarse clocks read", c1 > 0 && m1 >= 0);

    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_nsec += 30000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    long long target = t.tv_sec * 1000000000LL + t.tv_nsec;
    check("clock_nanosleep TIMER_ABSTIME on MONOTONIC", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == 0);
    check("MONOTONIC after an absolute sleep is past its time", ns(CLOCK_MONOTONIC) >= target);
    clock_gettime(CLOCK_REALTIME, &t);
    long long rtarget = t.tv_sec * 1000000000LL + t.tv_nsec + 15000000;
    t.tv_nsec += 15000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    check("clock_nanosleep TIMER_ABSTIME on REALTIME", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == 0);
    check("REALTIME after an absolute sleep is past its time", ns(CLOCK_REALTIME) >= rtarget);
    check("clock_nanosleep of an unknown clock is EINVAL", clock_nanosleep(99, 0, &res, NULL) == EINVAL);

    struct timeval tv;
    long long r0 = ns(CLOCK_REALTIME);
    check("gettimeofday", gettimeofday(&tv, NULL) == 0);
    long long tvns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
    check("gettimeofday agrees with REALTIME", tvns >= r0 - 1000 && tvns - r0 < 1000000000LL);
    time_t now = time(NULL);
    /* time() reads CLOCK_REALTIME_COARSE, up to a tick behind. */
    check("time agrees with REALTIME", now >= r0 / 1000000000LL - 1 && now - r0 / 1000000000LL < 2);
    check("REALTIME is after 2020", r0 / 1000000000LL > 1577836800LL);

    long long p0 = ns(CLOCK_PROCESS_CPUTIME_ID), th0 = ns(CLOCK_THREAD_CPUTIME_ID);
    spin();
    long long p1 = ns(CLOCK_PROCESS_CPUTIME_ID), th1 = ns(CLOCK_THREAD_CPUTIME_ID);
    check("PROCESS_CPUTIME advances with work", p0 >= 0 && p1 > p0);
    check("THREAD_CPUTIME advances with work", th0 >= 0 && th1 > th0);
    clockid_t pc;
    check("clock_getcpuclockid of the process reads", clock_getcpuclockid(0, &pc) == 0 && ns(pc) >= p1);
    check("clock_gettime of an unknown clock is EINVAL",
          syscall(SYS_clock_gettime, 99, &t) == -1 && errno == EINVAL);
    check("clock_gettime to an unmapped buffer is EFAULT",
          syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8) == -1 && errno == EFAULT);

    /* A poll timeout and a timed futex-based wait run on the same clock. */
    long long a = ns(CLOCK_MONOTONIC);
    usleep(10000);
    check("usleep 10 ms takes at least 10 ms", ns(CLOCK_MONOTONIC) - a >= 10000000);
    a = ns(CLOCK_MONOTONIC);
    select(0, NULL, NULL, NULL, &(struct timeval){0, 25000});
    check("a select timeout of 25 ms takes at least 25 ms", ns(CLOCK_MONOTONIC) - a >= 25000000);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&mu);
    clock_gettime(CLOCK_REALTIME, &t);
    rtarget = t.tv_sec * 1000000000LL + t.tv_nsec + 12000000;
    t.tv_nsec += 12000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    check("pthread_cond_timedwait times out", pthread_cond_timedwait(&cv, &mu, &t) == ETIMEDOUT);
    check("REALTIME after the timed wait is past its deadline", ns(CLOCK_REALTIME) >= rtarget);
    pthread_mutex_unlock(&mu);
    timerfds();
}

/* timerfds against the clocks they are set on. */
static void timerfds(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec it = {{0, 0}, {0, 20000000}}, cur;
    uint64_t n = 0;
    long long a = ns(CLOCK_MONOTONIC);
    check("timerfd_settime 20 ms one-shot", fd >= 0 && timerfd_settime(fd, 0, &it, NULL) == 0);
    check("timerfd_gettime: armed, at most 20 ms left",
          timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
              cur.it_value.tv_nsec <= 20000000);
    check("a blocking read: 1 expiration", read(fd, &n, 8) == 8 && n == 1);
    check("MONOTONIC saw the 20 ms pass", ns(CLOCK_MONOTONIC) - a >= 20000000);
    check("timerfd_gettime: disarmed after a one-shot",
          timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    check("a read with a 4-byte buffer is EINVAL", read(fd, &n, 4) == -1 && errno == EINVAL);

    it = (struct itimerspec){{0, 10000000}, {0, 10000000}};
    timerfd_settime(fd, 0, &it, NULL);
    struct timespec d = {0, 55000000};
    nanosleep(&d, NULL);
    check("a 10 ms periodic timer read after 55 ms: at least 5 expirations", read(fd, &n, 8) == 8 && n >= 5);
    struct itimerspec old;
    it = (struct itimerspec){{0, 0}, {0, 0}};
    check("disarming reports the interval", timerfd_settime(fd, 0, &it, &old) == 0 &&
                                               old.it_interval.tv_nsec == 10000000);
    close(fd);

    fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    long long target = t.tv_sec * 1000000000LL + t.tv_nsec + 15000000;
    it = (struct itimerspec){{0, 0}, {target / 1000000000LL, target % 1000000000LL}};
    check("timerfd_settime TFD_TIMER_ABSTIME on REALTIME", timerfd_settime(fd, TFD_TIMER_ABSTIME, &it, NULL) == 0);
    check("a non-blocking read before it expires is EAGAIN", read(fd, &n, 8) == -1 && errno == EAGAIN);
    struct pollfd pf = {fd, POLLIN, 0};
    check("poll sees it expire", poll(&pf, 1, 5000) == 1 && (pf.revents & POLLIN));
    check("REALTIME is past the absolute time", ns(CLOCK_REALTIME) >= target);
    check("then a read: 1 expiration", read(fd, &n, 8) == 8 && n == 1);
    check("timerfd_settime of unknown flags is EINVAL", timerfd_settime(fd, 4, &it, NULL) == -1 && errno == EINVAL);
    it.it_value.tv_nsec = 1000000000;
    check("timerfd_settime of a bad timespec is EINVAL", timerfd_settime(fd, 0, &it, NULL) == -1 && errno == EINVAL);
    close(fd);
    check("timerfd_create of an unknown clock is EINVAL", timerfd_create(99, 0) == -1 && errno == EINVAL);
}

static void rawclock(void)
{
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                                    CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI};
    for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++)
        printf("clock %d: %lld\n", ids[i], ns(ids[i]));
    struct timespec d = {0, 5000000};
    nanosleep(&d, NULL);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("gettimeofday: %lld.%06lld\n", (long long)tv.tv_sec, (long long)tv.tv_usec);
    printf("time: %lld\n", (long long)time(NULL));
    printf("monotonic after 5 ms: %lld\n", ns(CLOCK_MONOTONIC));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("getrusage self: utime %lld.%06lld stime %lld.%06lld\n", (long long)ru.ru_utime.tv_sec,
           (long long)ru.ru_utime.tv_usec, (long long)ru.ru_stime.tv_sec, (long long)ru.ru_stime.tv_usec);
    struct tms tm;
    clock_t ticks = times(&tm);
    printf("times: %lld utime %lld\n", (long long)ticks, (long long)tm.tms_utime);
}

static void *idle_thread(void *arg)
{
    int *fd = arg;
    char x;
    read(*fd, &x, 1);
    return NULL;
}

/* A child subreaper adopts its orphaned grandchild, which dies of its PR_SET_PDEATHSIG
 * signal when its parent exits (qemu-riscv64 7.2 refuses the subreaper prctls). */
static void subreaper(void)
{
    int v = -1;
    check("PR_GET_CHILD_SUBREAPER is 0", prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 0);
    check("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    check("PR_GET_CHILD_SUBREAPER is 1", prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 1);
    int ready[2], hold[2];
    if (pipe(ready) != 0 || pipe(hold) != 0)
        exit(3);
    pid_t c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            /* The grandchild: dies with SIGTERM when its parent does, after checking that
             * the subreaper (not init) adopts it. */
            close(ready[0]);
            if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
                _exit(20);
            int sig = 0;
            if (prctl(PR_GET_PDEATHSIG, &sig) != 0 || sig != SIGTERM)
                _exit(21);
            write(ready[1], "r", 1);
            /* Blocks until the signal ends it: the subreaper holds the pipe's write end
             * (a sleep would not do: deterministic mode's sleeps take no real time). */
            char y;
            read(hold[0], &y, 1);
            _exit(22);
        }
        char x;
        close(ready[1]);
        read(ready[0], &x, 1);
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    int status;
    check("the middle child exits", waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pid_t g = waitpid(-1, &status, 0);
    check("the subreaper reaps the orphaned grandchild", g > 0 && g != c);
    check("the grandchild died of its PR_SET_PDEATHSIG signal", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    check("no child is left", fails(waitpid(-1, &status, 0), ECHILD));
    close(hold[1]);

}

static void beyond(void)
{
    struct open_how how = {.flags = O_RDONLY};
    put("inside", "in");
    check("openat2 of a file", syscall(SYS_openat2, AT_FDCWD, "inside", &how, sizeof how) >= 0);
    how.resolve = RESOLVE_BENEATH;
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    check("openat2 RESOLVE_BENEATH inside", syscall(SYS_openat2, dir, "inside", &how, sizeof how) >= 0);
    check("openat2 RESOLVE_BENEATH escaping is EXDEV",
          fails(syscall(SYS_openat2, dir, "../inside", &how, sizeof how), EXDEV));
    symlink("inside", "link");
    how.resolve = RESOLVE_NO_SYMLINKS;
    check("openat2 RESOLVE_NO_SYMLINKS through a symlink is ELOOP",
          fails(syscall(SYS_openat2, AT_FDCWD, "link", &how, sizeof how), ELOOP));
    how.resolve = 0;
    check("openat2 with a short open_how is EINVAL", fails(syscall(SYS_openat2, AT_FDCWD, "inside", &how, 8), EINVAL));
    struct { struct open_how h; unsigned long long extra; } big = {{.flags = O_RDONLY}, 0};
    check("openat2 with a bigger zero-tailed open_how", syscall(SYS_openat2, AT_FDCWD, "inside", &big, sizeof big) >= 0);
    big.extra = 1;
    check("openat2 with a non-zero tail is E2BIG", fails(syscall(SYS_openat2, AT_FDCWD, "inside", &big, sizeof big), E2BIG));
    how.flags = O_RDONLY;
    how.mode = 0600;
    check("openat2 with a mode but no O_CREAT is EINVAL",
          fails(syscall(SYS_openat2, AT_FDCWD, "inside", &how, sizeof how), EINVAL));
    how.mode = 0;
    how.flags = 1ULL << 40;
    check("openat2 with unknown flags is EINVAL", fails(syscall(SYS_openat2, AT_FDCWD, "inside", &how, sizeof how), EINVAL));
    how.flags = O_WRONLY | O_CREAT | O_EXCL;
    how.mode = 0640;
    long fd = syscall(SYS_openat2, AT_FDCWD, "made", &how, sizeof how);
    struct stat st;
    check("openat2 O_CREAT makes the file with its mode",
          fd >= 0 && stat("made", &st) == 0 && (st.st_mode & 0777) == (0640 & ~umask(022)));
    check("openat2 to an unmapped open_how is EFAULT",
          fails(syscall(SYS_openat2, AT_FDCWD, "inside", (void *)8, sizeof how), EFAULT));

    check("fchmodat2 of a file", syscall(452, AT_FDCWD, "inside", 0600, 0) == 0 &&
                                       stat("inside", &st) == 0 && (st.st_mode & 0777) == 0600);
    check("fchmodat2 AT_SYMLINK_NOFOLLOW of a file", syscall(452, AT_FDCWD, "inside", 0640, AT_SYMLINK_NOFOLLOW) == 0 &&
                                                         stat("inside", &st) == 0 && (st.st_mode & 0777) == 0640);
    check("fchmodat2 AT_SYMLINK_NOFOLLOW of a symlink is EOPNOTSUPP",
          fails(syscall(452, AT_FDCWD, "link", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP));
    check("fchmodat2 with unknown flags is EINVAL", fails(syscall(452, AT_FDCWD, "inside", 0600, 1), EINVAL));

    long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    check("membarrier QUERY offers no rseq commands (no rseq)",
          q > 0 && !(q & (MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)));
    check("membarrier REGISTER_PRIVATE_EXPEDITED_RSEQ is EINVAL",
          fails(syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0), EINVAL));

    check("unshare(CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) in a lone thread",
          unshare(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD) == 0);
    check("unshare(CLONE_NEWUTS) unprivileged-style is refused",
          fails(unshare(CLONE_NEWUTS), EPERM));
    int p[2];
    pipe(p);
    pthread_t th;
    pthread_create(&th, NULL, idle_thread, &p[0]);
    check("unshare(CLONE_VM) with two threads is EINVAL", fails(unshare(CLONE_VM), EINVAL));
    check("unshare(CLONE_SYSVSEM) with two threads", unshare(CLONE_SYSVSEM) == 0);
    write(p[1], "x", 1);
    pthread_join(th, NULL);

    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    check("TIOCGPTPEER opens the slave", s >= 0 && isatty(s));
    pid_t c = fork();
    if (c == 0) {
        pid_t sid = 0;
        _exit(setsid() == getpid() && ioctl(s, TIOCSCTTY, 0) == 0 && ioctl(s, TIOCGSID, &sid) == 0 &&
                      sid == getpid()
                  ? 0
                  : 1);
    }
    int status;
    check("TIOCGSID of a controlling terminal is its session",
          waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    subreaper();
    /* Value-only prctls qemu-riscv64 7.2 refuses (EINVAL) and Linux has. */
    check("PR_GET_THP_DISABLE is 0", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0);
    check("PR_SET_THP_DISABLE", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0);
    check("PR_GET_THP_DISABLE is 1", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1);
    check("PR_TASK_PERF_EVENTS_DISABLE and ENABLE",
          prctl(PR_TASK_PERF_EVENTS_DISABLE) == 0 && prctl(PR_TASK_PERF_EVENTS_ENABLE) == 0);
    check("PR_GET_SPECULATION_CTRL of an unknown control is ENODEV",
          fails(prctl(PR_GET_SPECULATION_CTRL, 99, 0, 0, 0), ENODEV));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: abicalls files|tty|proc|clock|beyond|rawclock [DIR]\n");
        return 2;
    }
    if (argc > 2 && chdir(argv[2]) != 0)
        return 2;
    umask(022);
    const char *part = argv[1];
    if (!strcmp(part, "files"))
        files();
    else if (!strcmp(part, "tty"))
        tty();
    else if (!strcmp(part, "proc"))
        proc_part();
    else if (!strcmp(part, "clock"))
        clocks();
    else if (!strcmp(part, "beyond"))
        beyond();
    else if (!strcmp(part, "rawclock"))
        rawclock();
    else
        return 2;
    return failures ? 1 : 0;
}
