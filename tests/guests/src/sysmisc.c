// Credentials, scheduling, prctl, file locks and ownership, mincore: the calls real programs
// (coreutils, grep, xz, bash) make in passing. Every line is a yes/no or a value that is the same
// on every Linux run, so the golden from qemu-riscv64 holds mimic to it.
//
// `sysmisc DIR --beyond-qemu` adds the checks qemu-riscv64 (7.2) gets wrong or lacks, which
// tests/cli.rs runs under mimic alone: PR_GET_TID_ADDRESS (qemu: EINVAL) and PR_GET_SECCOMP
// (qemu passes the host's mode through, 2 inside a container's seccomp filter; a guest cannot
// install filters under mimic, so it is told it has none).
//
// `sysmisc DIR --strict` checks seccomp strict mode in forked children, which qemu-riscv64
// refuses with EINVAL: a case without a golden, held to Linux by tests/oracle.rs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok) {
    printf("%-62s %s\n", what, ok ? "yes" : "NO");
    if (!ok)
        failures++;
}

// A child enters seccomp strict mode, writes one byte to the pipe, then makes `nr` (raw,
// through syscall(), which makes no other call). Returns its wait status; the byte read, if
// any, goes to *byte. A child that cannot enter strict mode exits with 3.
static int strict_child(long nr, char *byte) {
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (prctl(PR_SET_SECCOMP, 1) != 0)
            _exit(3);
        syscall(SYS_write, fds[1], "w", 1);
        syscall(nr, 7);
        syscall(SYS_exit, 9);
    }
    close(fds[1]);
    *byte = 0;
    if (read(fds[0], byte, 1) != 1)
        *byte = 0;
    close(fds[0]);
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

// Strict mode allows read, write, exit and rt_sigreturn; any other call kills with SIGKILL,
// exit_group (what _exit and exit make) included.
static int strict_mode(void) {
    char byte;
    int st = strict_child(SYS_exit, &byte);
    check("seccomp strict: write works", byte == 'w');
    check("seccomp strict: exit(7) ends the child with 7", WIFEXITED(st) && WEXITSTATUS(st) == 7);
    st = strict_child(SYS_getpid, &byte);
    check("seccomp strict: getpid kills with SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    st = strict_child(SYS_exit_group, &byte);
    check("seccomp strict: exit_group kills with SIGKILL",
          WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    printf("sysmisc: %d failures\n", failures);
    return failures != 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sysmisc SCRATCH-DIR\n");
        return 2;
    }
    if (chdir(argv[1]) != 0)
        return 2;
    if (argc > 2 && strcmp(argv[2], "--strict") == 0)
        return strict_mode();

    uid_t r, e, s;
    check("getresuid", getresuid(&r, &e, &s) == 0);
    check("getresuid: real and effective are getuid/geteuid", r == getuid() && e == geteuid());
    gid_t rg, eg, sg;
    check("getresgid", getresgid(&rg, &eg, &sg) == 0);
    check("getresgid: real and effective are getgid/getegid", rg == getgid() && eg == getegid());
    check("getresuid to an unmapped pointer is EFAULT",
          syscall(SYS_getresuid, (void *)8, &e, &s) == -1 && errno == EFAULT);
    int n = getgroups(0, NULL);
    check("getgroups(0, NULL) counts", n >= 0);
    gid_t groups[256];
    check("getgroups(n, list) returns n", getgroups(256, groups) == n);
    check("getgroups(-1) is EINVAL", syscall(SYS_getgroups, -1, groups) == -1 && errno == EINVAL);
    /* 0 is a valid answer: Linux gives it when the session leader lives in an ancestor pid
     * namespace, as in a container whose init started the session. */
    check("getsid(0) is getsid(getpid())", getsid(0) == getsid(getpid()) && getsid(0) >= 0);

    errno = 0;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    check("getpriority", errno == 0);
    check("setpriority(nice + 1)", setpriority(PRIO_PROCESS, 0, nice0 + 1) == 0);
    check("getpriority reads nice + 1", getpriority(PRIO_PROCESS, 0) == nice0 + 1);

    check("sched_getscheduler(0) is SCHED_OTHER", sched_getscheduler(0) == SCHED_OTHER);
    struct sched_param sp = { 99 };
    check("sched_getparam(0)", sched_getparam(0, &sp) == 0 && sp.sched_priority == 0);
    check("sched_get_priority_max(SCHED_FIFO) is 99", sched_get_priority_max(SCHED_FIFO) == 99);
    check("sched_get_priority_min(SCHED_FIFO) is 1", sched_get_priority_min(SCHED_FIFO) == 1);
    cpu_set_t set;
    check("sched_getaffinity(0)", sched_getaffinity(0, sizeof set, &set) == 0);
    check("sched_setaffinity(0, the same set)", sched_setaffinity(0, sizeof set, &set) == 0);
    check("sched_setaffinity(gettid(), the same set)",
          syscall(SYS_sched_setaffinity, gettid(), sizeof set, &set) == 0);

    char name[32] = { 0 };
    check("prctl(PR_SET_NAME, a long name)", prctl(PR_SET_NAME, "sysmisc-a-very-long-name") == 0);
    check("prctl(PR_GET_NAME)", prctl(PR_GET_NAME, name) == 0);
    printf("PR_GET_NAME: [%s]\n", name);
    check("prctl(PR_GET_DUMPABLE) is 1", prctl(PR_GET_DUMPABLE) == 1);
    check("prctl(PR_SET_SECCOMP, filter) without a filter is an error",
          prctl(PR_SET_SECCOMP, 2, NULL) == -1);
    int sig = -1;
    check("prctl(PR_SET_PDEATHSIG, SIGTERM)", prctl(PR_SET_PDEATHSIG, 15) == 0);
    check("prctl(PR_GET_PDEATHSIG) reads SIGTERM", prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == 15);
    check("prctl(PR_GET_PDEATHSIG, unmapped) is EFAULT",
          prctl(PR_GET_PDEATHSIG, (int *)8) == -1 && errno == EFAULT);
    check("prctl(unknown option) is EINVAL", prctl(0x7fff0000) == -1 && errno == EINVAL);
    check("personality(query) is PER_LINUX", (syscall(SYS_personality, 0xffffffffUL) & 0xff) == 0);

    int fd = open("locked", O_CREAT | O_RDWR | O_TRUNC, 0644);
    check("open(locked)", fd >= 0);
    check("flock(LOCK_EX)", flock(fd, LOCK_EX) == 0);
    check("flock(LOCK_UN)", flock(fd, LOCK_UN) == 0);
    check("flock(bad op) is EINVAL", flock(fd, 0) == -1 && errno == EINVAL);
    check("fallocate(0, 8192)", fallocate(fd, 0, 0, 8192) == 0);
    struct stat st;
    check("fstat: size 8192", fstat(fd, &st) == 0 && st.st_size == 8192);
    check("posix_fadvise(SEQUENTIAL)", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
    check("posix_fadvise(bad advice) is EINVAL", posix_fadvise(fd, 0, 0, 99) == EINVAL);
    check("fchown(fd, me, my group)", fchown(fd, getuid(), getgid()) == 0);
    check("fchownat(locked, -1, -1)", fchownat(AT_FDCWD, "locked", -1, -1, 0) == 0);
    check("fchownat(missing) is ENOENT",
          fchownat(AT_FDCWD, "missing", -1, -1, 0) == -1 && errno == ENOENT);
    sync();
    check("syncfs(fd)", syncfs(fd) == 0);
    int dup1 = dup(fd), dup2_ = dup(fd);
    check("close_range(dup, dup, CLOEXEC) sets FD_CLOEXEC",
          syscall(SYS_close_range, dup1, dup1, 4) == 0 && fcntl(dup1, F_GETFD) == FD_CLOEXEC);
    check("close_range(dup1, dup2) closes both",
          syscall(SYS_close_range, dup1, dup2_, 0) == 0 && fcntl(dup1, F_GETFD) == -1 &&
              fcntl(dup2_, F_GETFD) == -1 && errno == EBADF);
    check("close_range(5, 3) is EINVAL", syscall(SYS_close_range, 5, 3, 0) == -1 && errno == EINVAL);
    close(fd);

    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char vec[4] = { 9, 9, 9, 9 };
    m[0] = 1;
    check("mincore(mapped)", mincore(m, 4 * page, vec) == 0);
    check("mincore: the touched page is resident", vec[0] & 1);
    check("mincore(misaligned) is EINVAL", mincore(m + 1, page, vec) == -1 && errno == EINVAL);
    munmap(m + 2 * page, page);
    check("mincore over a hole is ENOMEM", mincore(m, 4 * page, vec) == -1 && errno == ENOMEM);
    check("mincore to an unmapped vector is EFAULT",
          mincore(m, page, (unsigned char *)8) == -1 && errno == EFAULT);

    if (argc > 2 && strcmp(argv[2], "--beyond-qemu") == 0) {
        int *tidp = NULL;
        check("prctl(PR_GET_TID_ADDRESS) names a word holding the tid",
              prctl(PR_GET_TID_ADDRESS, &tidp) == 0 && tidp && *tidp == gettid());
        check("prctl(PR_GET_SECCOMP) is 0", prctl(PR_GET_SECCOMP) == 0);
    }

    printf("sysmisc: %d failures\n", failures);
    return failures != 0;
}
