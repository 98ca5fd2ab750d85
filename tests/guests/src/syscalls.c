/* syscalls: the system calls the other guest programs do not reach, each checked and
 * reported with deterministic facts only (no times, sizes of the host, pids or paths):
 * statx, getdents64 (opendir/readdir), renameat2, faccessat2, umask, getcwd/chdir, dup3,
 * pipe2(O_CLOEXEC), ppoll and pselect6 on a pipe with a timeout, clock_getres,
 * clock_nanosleep, sysinfo, times, getrusage, prlimit64/getrlimit, sched_getaffinity,
 * uname, sigaltstack, isatty on /dev/null (ENOTTY) and FIONREAD on a pipe.
 * argv[1] is an empty scratch directory. Exit status 0 if every check passed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;
static void check(const char *what, int ok)
{
    printf("%-62s %s\n", what, ok ? "yes" : "NO");
    if (!ok)
        failures++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void files(const char *dir)
{
    char path[512];
    check("chdir(scratch)", chdir(dir) == 0);
    char cwd[512];
    check("getcwd ends in the scratch dir's name",
          getcwd(cwd, sizeof cwd) != NULL && strcmp(strrchr(cwd, '/'), strrchr(dir, '/')) == 0);
    errno = 0;
    check("getcwd with a 1-byte buffer is ERANGE", getcwd(cwd, 1) == NULL && errno == ERANGE);

    mode_t old = umask(077);
    check("umask(077) returns the previous mask, then 077 reads back", umask(077) == 077);
    (void)old;
    int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0666);
    check("open(a.txt, O_CREAT, 0666)", fd >= 0);
    check("write 5 bytes", write(fd, "hello", 5) == 5);
    close(fd);

    struct statx sx;
    check("statx(a.txt) succeeds", statx(AT_FDCWD, "a.txt", 0, STATX_BASIC_STATS, &sx) == 0);
    printf("statx: size=%llu mode=%o regular=%d mask_has_size=%d\n", (unsigned long long)sx.stx_size,
           sx.stx_mode & 07777, S_ISREG(sx.stx_mode), !!(sx.stx_mask & STATX_SIZE));
    errno = 0;
    check("statx(missing) is ENOENT", statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx) == -1 && errno == ENOENT);

    check("mkdir(sub)", mkdir("sub", 0755) == 0);
    fd = open("b.txt", O_CREAT | O_WRONLY, 0644);
    close(fd);
    check("renameat2(a.txt -> c.txt, 0)", renameat2(AT_FDCWD, "a.txt", AT_FDCWD, "c.txt", 0) == 0);
    errno = 0;
    check("renameat2(b.txt -> c.txt, RENAME_NOREPLACE) is EEXIST",
          renameat2(AT_FDCWD, "b.txt", AT_FDCWD, "c.txt", RENAME_NOREPLACE) == -1 && errno == EEXIST);
    check("renameat2(b.txt <-> c.txt, RENAME_EXCHANGE)",
          renameat2(AT_FDCWD, "b.txt", AT_FDCWD, "c.txt", RENAME_EXCHANGE) == 0);
    struct stat st;
    check("after the exchange b.txt has the 5 bytes", stat("b.txt", &st) == 0 && st.st_size == 5);

    DIR *d = opendir(".");
    check("opendir(.)", d != NULL);
    char *names[16];
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < 16)
        names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    printf("readdir:");
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");

    check("faccessat2(b.txt, R_OK|W_OK, AT_EACCESS)",
          syscall(SYS_faccessat2, AT_FDCWD, "b.txt", R_OK | W_OK, AT_EACCESS) == 0);
    errno = 0;
    check("faccessat2(missing, F_OK) is ENOENT",
          syscall(SYS_faccessat2, AT_FDCWD, "missing", F_OK, 0) == -1 && errno == ENOENT);
    errno = 0;
    check("faccessat2 with bad flags is EINVAL",
          syscall(SYS_faccessat2, AT_FDCWD, "b.txt", F_OK, 0x4) == -1 && errno == EINVAL);

    unlink("b.txt");
    unlink("c.txt");
    rmdir("sub");
    snprintf(path, sizeof path, "%s", "..");
    check("chdir(..)", chdir(path) == 0);
}

static void descriptors(void)
{
    int p[2];
    check("pipe2(O_CLOEXEC)", pipe2(p, O_CLOEXEC) == 0);
    check("pipe2: both ends FD_CLOEXEC",
          fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC);
    int d = dup3(p[1], 20, 0);
    check("dup3(w, 20, 0) = 20 without FD_CLOEXEC", d == 20 && fcntl(20, F_GETFD) == 0);
    check("dup3(w, 21, O_CLOEXEC) has FD_CLOEXEC", dup3(p[1], 21, O_CLOEXEC) == 21 && fcntl(21, F_GETFD) == FD_CLOEXEC);
    errno = 0;
    check("dup3(w, w, 0) is EINVAL", dup3(p[1], p[1], 0) == -1 && errno == EINVAL);
    close(20);
    close(21);

    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    struct timespec ts = {0, 20 * 1000 * 1000};
    check("ppoll on an empty pipe times out (0)", ppoll(&pf, 1, &ts, NULL) == 0);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    ts.tv_nsec = 20 * 1000 * 1000;
    check("pselect6 on an empty pipe times out (0)", pselect(p[0] + 1, &rs, NULL, NULL, &ts, NULL) == 0);

    check("write 7 bytes into the pipe", write(p[1], "1234567", 7) == 7);
    int avail = -1;
    check("ioctl(FIONREAD) on the pipe", ioctl(p[0], FIONREAD, &avail) == 0);
    printf("FIONREAD: %d\n", avail);
    pf.revents = 0;
    ts.tv_sec = 5;
    int r = ppoll(&pf, 1, &ts, NULL);
    check("ppoll on a non-empty pipe: 1, POLLIN", r == 1 && (pf.revents & POLLIN));
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    r = pselect(p[0] + 1, &rs, NULL, NULL, &ts, NULL);
    check("pselect6 on a non-empty pipe: 1, readable", r == 1 && FD_ISSET(p[0], &rs));
    close(p[0]);
    close(p[1]);

    int nul = open("/dev/null", O_RDWR);
    errno = 0;
    check("isatty(/dev/null) is 0 with ENOTTY", isatty(nul) == 0 && errno == ENOTTY);
    close(nul);
}

static void time_and_limits(void)
{
    struct timespec res;
    check("clock_getres(CLOCK_MONOTONIC) succeeds", clock_getres(CLOCK_MONOTONIC, &res) == 0);
    check("clock_getres: 0 < resolution <= 1ms", res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    struct timespec t0, t1, req = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check("clock_nanosleep(relative 10ms)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
    check("clock_nanosleep slept at least 10ms", ns >= 10 * 1000 * 1000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t0.tv_nsec += 5 * 1000 * 1000;
    if (t0.tv_nsec >= 1000000000L) {
        t0.tv_sec++;
        t0.tv_nsec -= 1000000000L;
    }
    check("clock_nanosleep(TIMER_ABSTIME)", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t0, NULL) == 0);

    struct sysinfo si;
    check("sysinfo succeeds", sysinfo(&si) == 0);
    check("sysinfo: totalram > 0, mem_unit >= 1, procs >= 1", si.totalram > 0 && si.mem_unit >= 1 && si.procs >= 1);
    struct tms tm;
    check("times() does not fail", times(&tm) != (clock_t)-1);
    struct rusage ru;
    check("getrusage(RUSAGE_SELF) succeeds", getrusage(RUSAGE_SELF, &ru) == 0);
    check("getrusage: maxrss > 0", ru.ru_maxrss > 0);

    struct rlimit rl, rl2;
    check("getrlimit(RLIMIT_NOFILE)", getrlimit(RLIMIT_NOFILE, &rl) == 0);
    check("prlimit64(0, RLIMIT_NOFILE) agrees", prlimit(0, RLIMIT_NOFILE, NULL, &rl2) == 0 &&
                                                    rl.rlim_cur == rl2.rlim_cur && rl.rlim_max == rl2.rlim_max);
    struct rlimit lower = {.rlim_cur = 64, .rlim_max = rl.rlim_max};
    check("setrlimit(RLIMIT_NOFILE, 64) via prlimit64", prlimit(0, RLIMIT_NOFILE, &lower, NULL) == 0);
    check("getrlimit reads back 64", getrlimit(RLIMIT_NOFILE, &rl2) == 0 && rl2.rlim_cur == 64);
    errno = 0;
    check("getrlimit(bad resource) is EINVAL", getrlimit(1000, &rl2) == -1 && errno == EINVAL);
}

static void process(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    check("sched_getaffinity(0) succeeds", sched_getaffinity(0, sizeof set, &set) == 0);
    printf("sched_getaffinity: count>=1 %d\n", CPU_COUNT(&set) >= 1);
    check("sched_yield", sched_yield() == 0);
    struct utsname u;
    check("uname succeeds", uname(&u) == 0);
    printf("uname: sysname=%s machine=%s\n", u.sysname, u.machine);
    check("gettid() == getpid() in a single thread", gettid() == getpid());
    check("getppid() > 0", getppid() > 0);

    stack_t ss, old;
    check("sigaltstack(NULL, &old): disabled at start",
          sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE));
    ss.ss_sp = malloc(SIGSTKSZ);
    ss.ss_size = SIGSTKSZ;
    ss.ss_flags = 0;
    check("sigaltstack(set)", sigaltstack(&ss, NULL) == 0);
    check("sigaltstack reads back size, not disabled",
          sigaltstack(NULL, &old) == 0 && old.ss_size == (size_t)SIGSTKSZ && old.ss_sp == ss.ss_sp &&
              !(old.ss_flags & SS_DISABLE));
    ss.ss_size = 1;
    errno = 0;
    check("sigaltstack with a tiny stack is ENOMEM", sigaltstack(&ss, NULL) == -1 && errno == ENOMEM);
    ss.ss_flags = SS_DISABLE;
    check("sigaltstack(SS_DISABLE)", sigaltstack(&ss, NULL) == 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: syscalls SCRATCH-DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    files(argv[1]);
    descriptors();
    time_and_limits();
    process();
    printf("syscalls: %s (%d failures)\n", failures ? "FAILED" : "all checks passed", failures);
    return failures ? 1 : 0;
}
