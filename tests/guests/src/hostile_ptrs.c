/* hostile_ptrs: every pointer-taking syscall of mimic's table called raw with wild pointers.
 *
 * Each pointer argument in turn gets: 0 (where NULL is not a valid "none"), 1, ~0-7, 1<<38
 * (the end of an Sv39 guest space), 1<<63, a PROT_NONE page, a read-only page (output
 * buffers only), a buffer whose last bytes run past the end of a mapping, and buffer
 * lengths of ~0 and 1<<62. One line per call: the call, the variant and what came back
 * ("ok", or the errno's name). Where Linux may legitimately copy part of a straddling buffer
 * before faulting, the line says "efault-or-short" for either answer.
 *
 * argv[1] picks a group:
 *   efault  calls where Linux and qemu-riscv64 agree (recorded as a golden)
 *   linux   calls where qemu-riscv64 differs from Linux: it checks the whole length a
 *           pointer might cover before the call, Linux only what it touches. Run by
 *           tests/hostile.rs, which holds the lines to what Linux gives.
 *   zerolen zero-length reads and writes at wild pointers (a golden): fine inside the user
 *           address space, EFAULT past its end whatever its size (~0-7, 1<<63)
 *   lookupfirst  calls where qemu-riscv64 differs from Linux 6.x in what it checks first
 *           (a case with no golden: Linux, run natively, is its reference)
 *   exitptrs  set_tid_address with a wild pointer, then exit: the kernel's write of the
 *           clear-child-tid word at exit must fail quietly. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

/* The call itself, raw: riscv64's ecall, or x86-64's syscall for tests/oracle.rs's native
 * run (the SYS_ names are the host's; the group run natively uses no riscv64-only call). */
static long raw(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
#ifdef __x86_64__
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
#else
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a3 __asm__("a3") = a3;
    register long r_a4 __asm__("a4") = a4;
    register long r_a5 __asm__("a5") = a5;
    register long r_a7 __asm__("a7") = nr;
    __asm__ volatile("ecall"
                     : "+r"(r_a0)
                     : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7)
                     : "memory");
    return r_a0;
#endif
}

static const char *ename(long r)
{
    static char buf[32];
    if (r >= 0)
        return "ok";
    switch (-r) {
#define E(x) case x: return #x;
        E(EFAULT) E(EINVAL) E(ENOENT) E(EBADF) E(ENOTTY) E(ENOTDIR) E(ECHILD) E(ENOMEM)
        E(ERANGE) E(ENOSYS) E(EPERM) E(EACCES) E(EEXIST) E(ESRCH) E(EAGAIN) E(EINTR)
        E(ENAMETOOLONG) E(E2BIG) E(ESPIPE) E(EISDIR) E(EXDEV) E(ENOTEMPTY) E(EOVERFLOW)
#undef E
    }
    snprintf(buf, sizeof buf, "errno %ld", -r);
    return buf;
}

/* The wild pointers. */
enum { P0, P1, PMAX, P38, P63, PNONE, PRO, PSTRADDLE, NPTR };
static const char *pname[NPTR] = {"0", "1", "~0-7", "1<<38", "1<<63", "prot_none", "read_only", "straddle"};
static long ptr[NPTR];

/* Where an output buffer of this many bytes is tested with PSTRADDLE, only its last 8 bytes
 * fall in the unmapped page. */
static long straddle(long len) { return ptr[PSTRADDLE] + 8 - len; }

static const char *self;
static int fd_file, fd_dir, pipe_r, pipe_w;
static char good[4096];

static void show(const char *call, const char *variant, long r)
{
    printf("%-28s %-10s %s\n", call, variant, ename(r));
}

/* A straddling buffer: Linux may copy part of it, qemu checks the whole range first. */
static void show_partial(const char *call, long r, long len)
{
    const char *what = r == -EFAULT || (r > 0 && r < len) ? "efault-or-short" : ename(r);
    printf("%-28s %-10s %s\n", call, "straddle", what);
}

static void ioctl_fionread(int *n);

static void refill_pipe(void)
{
    int n;
    while (ioctl_fionread(&n), n < 64)
        write(pipe_w, "0123456789abcdef", 16);
}

/* FIONREAD with a good pointer, to keep the pipe stocked for reads. */
static void ioctl_fionread(int *n) { *n = 0; raw(SYS_ioctl, pipe_r, 0x541B /* FIONREAD */, (long)n, 0, 0, 0); }

/* Calls f(p) for every wild pointer p (PRO too when `out` is 0: a read-only page is a
 * valid input). `len` is the buffer length the call is given, for the straddle variant. */
#define EACH_PTR(call, out, len, expr)                                                    \
    for (int i = 0; i < NPTR; i++) {                                                      \
        if (i == PRO && !(out))                                                           \
            continue;                                                                     \
        long p = i == PSTRADDLE ? straddle(len) : ptr[i];                                 \
        (void)p;                                                                          \
        long r = (expr);                                                                  \
        if (i == PSTRADDLE && (len) > 8)                                                  \
            show_partial(call, r, len);                                                   \
        else                                                                              \
            show(call, pname[i], r);                                                      \
    }

/* A path argument: every wild pointer, and a path whose bytes run into an unmapped page. */
#define EACH_PATH(call, expr)                                                             \
    for (int i = 0; i < NPTR; i++) {                                                      \
        long p = i == PSTRADDLE ? ptr[PSTRADDLE] - 8 : ptr[i];                            \
        long r = (expr);                                                                  \
        show(call, pname[i], r);                                                          \
    }

static void setup(void)
{
    char *m = mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'a', 4 * PAGE);
    ptr[P0] = 0;
    ptr[P1] = 1;
    ptr[PMAX] = (long)(~0UL - 7);
    ptr[P38] = 1L << 38;
    ptr[P63] = (long)(1UL << 63);
    ptr[PNONE] = (long)m;
    mprotect(m, PAGE, PROT_NONE);
    /* read-only and zero-filled: an empty path, a zero struct */
    memset(m + PAGE, 0, PAGE);
    ptr[PRO] = (long)(m + PAGE);
    mprotect(m + PAGE, PAGE, PROT_READ);
    /* m+2P is 'a'-filled and writable, m+3P is unmapped */
    munmap(m + 3 * PAGE, PAGE);
    ptr[PSTRADDLE] = (long)(m + 3 * PAGE);

    fd_file = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 64; i++)
        write(fd_file, "0123456789abcdef", 16);
    lseek(fd_file, 0, SEEK_SET);
    mkdir("dir", 0755);
    fd_dir = open("dir", O_RDONLY | O_DIRECTORY);
    int p[2];
    pipe(p);
    pipe_r = p[0];
    pipe_w = p[1];
    refill_pipe();
}

static void usr1(int s) { (void)s; }

static void group_efault(void)
{
    long at = AT_FDCWD;
    EACH_PATH("mkdirat", raw(SYS_mkdirat, at, p, 0755, 0, 0, 0));
    EACH_PATH("unlinkat", raw(SYS_unlinkat, at, p, 0, 0, 0, 0));
    EACH_PATH("symlinkat target", raw(SYS_symlinkat, p, at, (long)"no/link", 0, 0, 0));
    EACH_PATH("symlinkat link", raw(SYS_symlinkat, (long)"t", at, p, 0, 0, 0));
    EACH_PATH("linkat old", raw(SYS_linkat, at, p, at, (long)"no/new", 0, 0));
    EACH_PATH("renameat2 old", raw(SYS_renameat2, at, p, at, (long)"no/new", 0, 0));
    EACH_PATH("statfs path", raw(SYS_statfs, p, (long)good, 0, 0, 0, 0));
    EACH_PATH("truncate", raw(SYS_truncate, p, 0, 0, 0, 0, 0));
    EACH_PATH("faccessat", raw(SYS_faccessat, at, p, 0, 0, 0, 0));
    EACH_PATH("faccessat2", raw(SYS_faccessat2, at, p, 0, 0, 0, 0));
    EACH_PATH("chdir", raw(SYS_chdir, p, 0, 0, 0, 0, 0));
    EACH_PATH("fchmodat", raw(SYS_fchmodat, at, p, 0644, 0, 0, 0));
    EACH_PATH("openat", raw(SYS_openat, at, p, O_RDONLY, 0, 0, 0));
    EACH_PATH("readlinkat path", raw(SYS_readlinkat, at, p, (long)good, 64, 0, 0));
    EACH_PATH("newfstatat path", raw(SYS_newfstatat, at, p, (long)good, 0, 0, 0));
    EACH_PATH("statx path", raw(SYS_statx, at, p, 0, 0x7ff, (long)good, 0));
    EACH_PATH("utimensat path", raw(SYS_utimensat, at, p, 0, 0, 0, 0));
    EACH_PATH("execve path", raw(SYS_execve, p, 0, 0, 0, 0, 0));
    /* NULL argv and envp are valid (empty), so they start at 1 */
    for (int i = P1; i < NPTR; i++) {
        if (i == PRO)
            continue;
        long p = i == PSTRADDLE ? ptr[PSTRADDLE] - 8 : ptr[i];
        show("execve argv", pname[i], raw(SYS_execve, (long)self, p, 0, 0, 0, 0));
        show("execve envp", pname[i], raw(SYS_execve, (long)self, (long)(char *[]){"x", 0}, p, 0, 0, 0));
    }

    EACH_PTR("statfs buf", 1, 120, raw(SYS_statfs, (long)".", p, 0, 0, 0, 0));
    EACH_PTR("fstatfs", 1, 120, raw(SYS_fstatfs, fd_file, p, 0, 0, 0, 0));
    EACH_PTR("fstat", 1, 128, raw(SYS_fstat, fd_file, p, 0, 0, 0, 0));
    EACH_PTR("newfstatat buf", 1, 128, raw(SYS_newfstatat, at, (long)"file", p, 0, 0, 0));
    EACH_PTR("statx buf", 1, 256, raw(SYS_statx, at, (long)"file", 0, 0x7ff, p, 0));
    EACH_PTR("fcntl F_GETLK", 1, 32, raw(SYS_fcntl, fd_file, F_GETLK, p, 0, 0, 0));
    EACH_PTR("fcntl F_SETLK", 0, 32, raw(SYS_fcntl, fd_file, F_SETLK, p, 0, 0, 0));
    EACH_PTR("pipe2", 1, 8, raw(SYS_pipe2, p, 0, 0, 0, 0, 0));
    EACH_PTR("getdents64", 1, 4096, raw(SYS_getdents64, fd_dir, p, 4096, 0, 0, 0));
    EACH_PTR("utimensat times", 0, 32, raw(SYS_utimensat, at, (long)"file", p, 0, 0, 0));
    EACH_PTR("clock_gettime", 1, 16, raw(SYS_clock_gettime, CLOCK_MONOTONIC, p, 0, 0, 0, 0));
    EACH_PTR("clock_nanosleep", 0, 16, raw(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, 0, 0, 0));
    EACH_PTR("sched_getaffinity", 1, 128, raw(SYS_sched_getaffinity, 0, 128, p, 0, 0, 0));
    EACH_PTR("sigaltstack ss", 0, 24, raw(SYS_sigaltstack, p, 0, 0, 0, 0, 0));
    EACH_PTR("sigaltstack old", 1, 24, raw(SYS_sigaltstack, 0, p, 0, 0, 0, 0));
    EACH_PTR("rt_sigaction act", 0, 24, raw(SYS_rt_sigaction, SIGUSR1, p, 0, 8, 0, 0));
    EACH_PTR("rt_sigaction old", 1, 24, raw(SYS_rt_sigaction, SIGUSR1, 0, p, 8, 0, 0));
    EACH_PTR("rt_sigprocmask set", 0, 8, raw(SYS_rt_sigprocmask, SIG_BLOCK, p, 0, 8, 0, 0));
    EACH_PTR("rt_sigprocmask old", 1, 8, raw(SYS_rt_sigprocmask, SIG_BLOCK, 0, p, 8, 0, 0));
    EACH_PTR("rt_sigpending", 1, 8, raw(SYS_rt_sigpending, p, 8, 0, 0, 0, 0));
    EACH_PTR("rt_sigsuspend", 0, 8, raw(SYS_rt_sigsuspend, p, 8, 0, 0, 0, 0));
    EACH_PTR("times", 1, 32, raw(SYS_times, p ? p : 1, 0, 0, 0, 0, 0));
    EACH_PTR("uname", 1, 390, raw(SYS_uname, p, 0, 0, 0, 0, 0));
    EACH_PTR("getrlimit", 1, 16, raw(SYS_getrlimit, RLIMIT_STACK, p, 0, 0, 0, 0));
    EACH_PTR("prlimit64 new", 0, 16, raw(SYS_prlimit64, 0, RLIMIT_CORE, p, 0, 0, 0));
    EACH_PTR("prlimit64 old", 1, 16, raw(SYS_prlimit64, 0, RLIMIT_STACK, 0, p, 0, 0));
    EACH_PTR("getrusage", 1, 144, raw(SYS_getrusage, 0, p, 0, 0, 0, 0));
    EACH_PTR("gettimeofday tv", 1, 16, raw(SYS_gettimeofday, p ? p : 1, 0, 0, 0, 0, 0));
    EACH_PTR("sysinfo", 1, 112, raw(SYS_sysinfo, p ? p : 1, 0, 0, 0, 0, 0));

    /* fd-taking buffers, each with a stocked pipe so no call blocks */
    EACH_PTR("write", 0, 16, raw(SYS_write, pipe_w, p, 16, 0, 0, 0));
    refill_pipe();
    EACH_PTR("pwrite64", 0, 16, raw(SYS_pwrite64, fd_file, p, 16, 0, 0, 0));

    /* iovecs: the array itself wild, then one entry's base wild */
    EACH_PTR("readv iov", 0, 16, raw(SYS_readv, pipe_r, p, 1, 0, 0, 0));
    EACH_PTR("writev iov", 0, 16, raw(SYS_writev, pipe_w, p, 1, 0, 0, 0));
    for (int i = 0; i < NPTR; i++) {
        if (i == PSTRADDLE)
            continue; /* Linux reads up to the fault */
        struct { long base, len; } iov = {ptr[i], 16};
        refill_pipe();
        show("readv base", pname[i], raw(SYS_readv, pipe_r, (long)&iov, 1, 0, 0, 0));
        if (i != PRO)
            show("writev base", pname[i], raw(SYS_writev, pipe_w, (long)&iov, 1, 0, 0, 0));
    }
    show("readv 1<<30 iovs", "-", raw(SYS_readv, pipe_r, (long)good, 1L << 30, 0, 0, 0));

    /* polls and selects: each must fail before it waits */
    struct { int fd; short ev, rev; } pfd = {pipe_r, POLLIN, 0};
    long zero_ts[2] = {0, 0};
    EACH_PTR("ppoll fds", 1, 8, raw(SYS_ppoll, p, 1, (long)zero_ts, 0, 8, 0));
    EACH_PTR("ppoll ts", 0, 16, raw(SYS_ppoll, (long)&pfd, 1, p ? p : (long)zero_ts, 0, 8, 0));
    EACH_PTR("ppoll sigmask", 0, 8, raw(SYS_ppoll, (long)&pfd, 1, (long)zero_ts, p, 8, 0));
    EACH_PTR("pselect6 readfds", 1, 8, raw(SYS_pselect6, pipe_r + 1, p, 0, 0, (long)zero_ts, 0));
    /* a NULL timeout waits forever */
    EACH_PTR("pselect6 ts", 0, 16, raw(SYS_pselect6, 1, 0, 0, 0, p ? p : (long)zero_ts, 0));
    EACH_PTR("pselect6 sigdata", 0, 16, raw(SYS_pselect6, 1, 0, 0, 0, (long)zero_ts, p));
    for (int i = 0; i < NPTR; i++) {
        if (i == P0 || i == PRO || i == PSTRADDLE)
            continue; /* a NULL sigset means "none"; the others are ordinary reads */
        long sigdata[2] = {ptr[i], 8};
        show("pselect6 sigset", pname[i], raw(SYS_pselect6, 1, 0, 0, 0, (long)zero_ts, (long)sigdata));
    }

    /* futex: a wild word, and a good word whose value matches with a wild timeout */
    int word = 7;
    EACH_PTR("futex wait word", 0, 4, raw(SYS_futex, p, 0 /* WAIT */, 7, 0, 0, 0));
    for (int i = 0; i < NPTR; i++) {
        if (i == P0 || i == PRO || i == PSTRADDLE)
            continue;
        show("futex wait timeout", pname[i], raw(SYS_futex, (long)&word, 0, 7, ptr[i], 0, 0));
    }

    /* wait4 with a wild status: the child is reaped, the copy fails */
    for (int i = 0; i < NPTR; i++) {
        if (i == P0 || i == PSTRADDLE)
            continue;
        pid_t child = fork();
        if (child == 0)
            _exit(3);
        show("wait4 status", pname[i], raw(SYS_wait4, child, ptr[i], 0, 0, 0, 0));
        show("wait4 again", pname[i], raw(SYS_wait4, child, 0, 0, 0, 0, 0));
    }

    /* huge lengths with a good buffer */
    long huge[2] = {-1L, 1L << 62};
    const char *hname[2] = {"len ~0", "len 1<<62"};
    for (int h = 0; h < 2; h++) {
        show("read", hname[h], raw(SYS_read, pipe_r, (long)good, huge[h], 0, 0, 0));
        show("write", hname[h], raw(SYS_write, pipe_w, (long)good, huge[h], 0, 0, 0));
        show("pread64", hname[h], raw(SYS_pread64, fd_file, (long)good, huge[h], 0, 0, 0));
        show("pwrite64", hname[h], raw(SYS_pwrite64, fd_file, (long)good, huge[h], 0, 0, 0));
        if (h == 0) {
            struct { long base, len; } iov = {(long)good, huge[h]};
            show("writev", hname[h], raw(SYS_writev, pipe_w, (long)&iov, 1, 0, 0, 0));
        }
        refill_pipe();
    }
    int sig_seen = 0;
    (void)sig_seen;
}

static volatile int usr1_count;
static void count_usr1(int s) { (void)s; usr1_count++; }

/* Calls where qemu-riscv64 checks every pointer before the call and Linux does not:
 * hostile.rs holds these lines to what Linux gives, and so does tests/oracle.rs (a case of
 * cases.txt with no qemu golden). Linux resolves a path before it touches the other
 * pointers (linkat's new path, readlinkat's buffer: ENOENT wins), has clone3 (EFAULT), caps
 * a writev at MAX_RW_COUNT and writes up to the first fault, and reads only the 48 bytes of
 * a siginfo it keeps unless the si_code is one it does not know. */
static void group_lookup_first(void)
{
    long at = AT_FDCWD;
    EACH_PATH("linkat new", raw(SYS_linkat, at, (long)"no/old", at, p, 0, 0));
    EACH_PTR("readlinkat buf", 1, 64, raw(SYS_readlinkat, at, (long)"link", p, 64, 0, 0));
    EACH_PTR("clone3", 0, 88, raw(SYS_clone3, p, 88, 0, 0, 0, 0));
    /* to a file: a pipe would take only what fits */
    struct { long base, len; } iov = {(long)good, 1L << 62};
    long r = raw(SYS_writev, fd_file, (long)&iov, 1, 0, 0, 0);
    show("writev", "len 1<<62", r >= (long)sizeof good ? 0 : r < 0 ? r : -EINVAL);
    /* 128 bytes of which the last 8 are unmapped: the kernel reads its 48 bytes, and the
     * other 80 only for an si_code it does not know (which they must leave zero) */
    usr1_count = 0;
    signal(SIGUSR1, count_usr1);
    int *info = (int *)straddle(128);
    memset(info, 'a', 120);
    show("rt_sigqueueinfo", "unknown", raw(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (long)info, 0, 0, 0));
    info[0] = SIGUSR1;
    info[2] = -1; /* SI_QUEUE */
    show("rt_sigqueueinfo", "SI_QUEUE", raw(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (long)info, 0, 0, 0));
    int whole[32];
    memset(whole, 'a', sizeof whole);
    show("rt_sigqueueinfo", "unknown", raw(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (long)whole, 0, 0, 0));
    memset(whole + 12, 0, sizeof whole - 48);
    show("rt_sigqueueinfo", "unknown 0", raw(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (long)whole, 0, 0, 0));
    printf("%-28s %-10s %d\n", "SIGUSR1 delivered", "-", usr1_count);
}

/* Calls where qemu-riscv64 checks a whole buffer length up front but Linux touches only
 * what it writes or reads: hostile.rs holds these lines to what Linux gives. */
static void group_linux(void)
{
    show("getcwd", "len ~0", raw(SYS_getcwd, (long)good, -1L, 0, 0, 0, 0));
    show("getcwd", "len 1<<62", raw(SYS_getcwd, (long)good, 1L << 62, 0, 0, 0, 0));
    EACH_PTR("getcwd", 1, 4096, raw(SYS_getcwd, p, 4096, 0, 0, 0, 0));
    refill_pipe();
    EACH_PTR("read", 1, 16, raw(SYS_read, pipe_r, p, 16, 0, 0, 0));
    EACH_PTR("pread64", 1, 16, raw(SYS_pread64, fd_file, p, 16, 0, 0, 0));
    EACH_PTR("getrandom", 1, 16, raw(SYS_getrandom, p, 16, 0, 0, 0, 0));
    show_partial("getrandom 1<<62", raw(SYS_getrandom, straddle(64), 1L << 62, 0, 0, 0, 0), 64);
    /* riscv64 has no renameat (asm-generic's __ARCH_WANT_RENAMEAT is not set): ENOSYS */
    show("renameat", "-", raw(38, AT_FDCWD, (long)"file", AT_FDCWD, (long)"file2", 0, 0));
    /* qemu 7.2 answers EINVAL for an unreadable nanosleep request */
    EACH_PTR("nanosleep req", 0, 16, raw(SYS_nanosleep, p, 0, 0, 0, 0, 0));
    /* qemu 7.2 succeeds on sysinfo(NULL) */
    show("sysinfo", "NULL", raw(SYS_sysinfo, 0, 0, 0, 0, 0, 0));
    /* riscv64's struct sigaction has no sa_restorer: 24 bytes, which fit before the hole
     * (qemu 7.2 reads 32) */
    show("rt_sigaction act", "24 fit", raw(SYS_rt_sigaction, SIGUSR2, straddle(32), 0, 8, 0, 0));
    show("rt_sigaction old", "24 fit", raw(SYS_rt_sigaction, SIGUSR2, 0, straddle(32), 8, 0, 0));
    /* qemu 7.2 has no set_robust_list; Linux takes any pointer with the right length */
    show("set_robust_list", "1<<63", raw(SYS_set_robust_list, (long)(1UL << 63), 24, 0, 0, 0, 0));
    show("set_robust_list", "len 23", raw(SYS_set_robust_list, (long)good, 23, 0, 0, 0, 0));
    /* NULL means "none" for these */
    show("clock_getres", "NULL", raw(SYS_clock_getres, CLOCK_MONOTONIC, 0, 0, 0, 0, 0));
    show("clock_getres", "1<<38", raw(SYS_clock_getres, CLOCK_MONOTONIC, 1L << 38, 0, 0, 0, 0));
    show("nanosleep rem", "1<<63", raw(SYS_nanosleep, (long)(long[2]){0, 1}, (long)(1UL << 63), 0, 0, 0, 0));
    show("riscv_flush_icache", "0..~0", raw(259, 0, -1L, 0, 0, 0, 0));
    show("riscv_flush_icache", "~0..0", raw(259, -1L, 0, 0, 0, 0, 0));
    show("riscv_flush_icache", "1<<63..", raw(259, (long)(1UL << 63), (long)(1UL << 63) + 4096, 0, 0, 0, 0));
    /* a wild siginfo must not send the signal */
    signal(SIGUSR1, count_usr1);
    show("rt_sigqueueinfo", "1<<38", raw(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, 1L << 38, 0, 0, 0));
    printf("%-28s %-10s %d\n", "SIGUSR1 delivered", "-", usr1_count);
}

int main(int argc, char **argv)
{
    if (argc == 0)
        return 99; /* an execve that ignored its wild argv */
    if (argc < 2)
        return 2;
    setvbuf(stdout, 0, _IOLBF, 0);
    self = argv[0];
    setup();
    signal(SIGUSR1, usr1);
    if (!strcmp(argv[1], "efault"))
        group_efault();
    else if (!strcmp(argv[1], "linux"))
        group_linux();
    else if (!strcmp(argv[1], "lookupfirst"))
        group_lookup_first();
    else if (!strcmp(argv[1], "exitptrs")) {
        show("set_tid_address", "1<<38", raw(SYS_set_tid_address, 1L << 38, 0, 0, 0, 0, 0) > 0 ? 0 : -1);
        return 0;
    } else if (!strcmp(argv[1], "zerolen")) {
        /* a zero length touches nothing, but a pointer past the end of the user address
         * space is still EFAULT (access_ok), and a pointer inside it is not */
        int which[] = {P1, PNONE, PMAX, P63};
        for (unsigned k = 0; k < sizeof which / sizeof *which; k++) {
            int i = which[k];
            show("read len 0", pname[i], raw(SYS_read, pipe_r, ptr[i], 0, 0, 0, 0));
            show("write len 0", pname[i], raw(SYS_write, pipe_w, ptr[i], 0, 0, 0, 0));
            show("getrandom len 0", pname[i], raw(SYS_getrandom, ptr[i], 0, 0, 0, 0, 0));
        }
    } else
        return 2;
    printf("done\n");
    return 0;
}
