/* clone3: the structure-based clone as Linux checks it (sizes, the trailing bytes, the exit
 * signal, the flags clone3 forbids, the stack, set_tid), then forks through it (with
 * CLONE_PARENT_SETTID and CLONE_PIDFD) and a thread whose child runs only exit(7), in
 * assembly, touching no stack. Plain C but for that helper, so the native run is the
 * reference (tests/oracle.rs).
 *
 * argv[1] "refused": the flags mimic cannot honour, which Linux takes (tests/clone3.rs). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#define CLONE_CLEAR_SIGHAND_ 0x100000000ULL
#define CLONE_INTO_CGROUP_ 0x200000000ULL

struct args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
};

static const char *ename(long r)
{
    static char buf[32];
    if (r >= 0)
        return "ok";
    switch (-r) {
#define E(x) case x: return #x;
        E(EFAULT) E(EINVAL) E(E2BIG) E(ENOSYS) E(EPERM) E(EEXIST) E(EBADF)
#undef E
    }
    snprintf(buf, sizeof buf, "errno %ld", -r);
    return buf;
}

static long clone3(struct args *a, size_t size)
{
    long r = syscall(SYS_clone3, a, size);
    return r < 0 ? -errno : r;
}

/* A call that must fail: a child it makes anyway exits at once and is reaped. */
static void refused(const char *what, struct args *a, size_t size)
{
    long r = clone3(a, size);
    if (r == 0)
        _exit(0);
    if (r > 0)
        waitpid(r, 0, 0);
    printf("%-32s %s\n", what, ename(r));
}

static int tid_word, ptid_word; /* CLONE_CHILD_CLEARTID's, CLONE_PARENT_SETTID's */
static char stack[4096] __attribute__((aligned(16)));

/* clone3(a, size) whose child calls exit(7) at once. */
static long raw_clone3(struct args *a, size_t size)
{
#ifdef __x86_64__
    long r;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "mov $7, %%edi\n\t"
                     "syscall\n"
                     "1:"
                     : "=a"(r)
                     : "a"((long)SYS_clone3), "D"(a), "S"(size)
                     : "rcx", "r11", "memory");
    return r;
#else
    register long a0 __asm__("a0") = (long)a;
    register long a1 __asm__("a1") = (long)size;
    register long a7 __asm__("a7") = SYS_clone3;
    __asm__ volatile("ecall\n\t"
                     "bnez a0, 1f\n\t"
                     "li a0, 7\n\t"
                     "li a7, %[exit]\n\t"
                     "ecall\n"
                     "1:"
                     : "+r"(a0)
                     : "r"(a1), "r"(a7), [exit] "i"(SYS_exit)
                     : "memory");
    return a0;
#endif
}

static void checks(void)
{
    struct args a;
    unsigned char big[128];
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    refused("size 63", &a, 63);
    refused("size 4097", &a, 4097);
    refused("args NULL", 0, 64);
    refused("args 1<<63", (struct args *)(1UL << 63), 64);
    memset(big, 0, sizeof big);
    memcpy(big, &a, sizeof a);
    big[100] = 1;
    refused("size 128, byte 100 set", (struct args *)big, 128);

    memset(&a, 0, sizeof a);
    a.exit_signal = 0x100;
    refused("exit_signal 0x100", &a, 64);
    a.exit_signal = 0;
    a.flags = SIGCHLD;
    refused("SIGCHLD in flags", &a, 64);
    a.flags = 0x400000; /* CLONE_DETACHED */
    refused("CLONE_DETACHED", &a, 64);
    a.flags = 1ULL << 40;
    refused("flag 1<<40", &a, 64);
    a.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    a.exit_signal = SIGCHLD;
    refused("thread with exit_signal", &a, 64);
    a.flags = CLONE_SIGHAND | CLONE_CLEAR_SIGHAND_;
    a.exit_signal = SIGCHLD;
    refused("SIGHAND and CLEAR_SIGHAND", &a, 64);
    a.flags = 0;
    a.stack = (uint64_t)stack;
    refused("stack without size", &a, 64);
    a.stack = 0;
    a.stack_size = sizeof stack;
    refused("size without stack", &a, 64);
    a.stack_size = 0;

    int tids[33] = {1};
    a.set_tid = (uint64_t)tids;
    refused("set_tid without size", &a, 80);
    a.set_tid = 0;
    a.set_tid_size = 1;
    refused("set_tid_size without set_tid", &a, 80);
    a.set_tid = (uint64_t)tids;
    a.set_tid_size = 33;
    refused("set_tid_size 33", &a, 80);
    a.set_tid_size = 1;
    a.set_tid = 1UL << 63;
    refused("set_tid 1<<63", &a, 80);
    a.set_tid = (uint64_t)tids;
    tids[0] = 0x7fffffff;
    refused("set_tid 0x7fffffff", &a, 80);
    tids[0] = 0;
    refused("set_tid 0", &a, 80);
    /* pid 1 exists: EPERM without CAP_CHECKPOINT_RESTORE, EEXIST with it */
    tids[0] = 1;
    long r = clone3(&a, 80);
    if (r == 0)
        _exit(0);
    printf("%-32s %s\n", "set_tid 1", r == -EPERM || r == -EEXIST ? "refused" : ename(r));
    a.set_tid = 0;
    a.set_tid_size = 0;
    a.flags = CLONE_PIDFD;
    a.pidfd = 1UL << 63;
    refused("pidfd 1<<63", &a, 64);
}

static void forks(void)
{
    struct args a;
    int status = 0;
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    long pid = clone3(&a, 64);
    if (pid == 0)
        _exit(5);
    printf("%-32s %s, status %d\n", "fork", ename(pid), waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);

    /* a longer structure whose extra bytes are zero */
    unsigned char big[128];
    memset(big, 0, sizeof big);
    memcpy(big, &a, sizeof a);
    pid = clone3((struct args *)big, sizeof big);
    if (pid == 0)
        _exit(6);
    printf("%-32s %s, status %d\n", "fork, size 128", ename(pid), waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);

    int ptid = 0, pidfd = -1;
    a.flags = CLONE_PARENT_SETTID | CLONE_PIDFD;
    a.parent_tid = (uint64_t)&ptid;
    a.pidfd = (uint64_t)&pidfd;
    pid = clone3(&a, 64);
    if (pid == 0)
        _exit(9);
    struct pollfd p = {pidfd, POLLIN, 0};
    int ready = poll(&p, 1, 10000);
    printf("%-32s %s, parent_tid %s, pidfd %s, readable %d, status %d\n", "fork, PARENT_SETTID|PIDFD",
           ename(pid), ptid == pid ? "= pid" : "wrong", pidfd > 2 ? "open" : "none", ready,
           waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);
    close(pidfd);
}

static void thread(void)
{
    struct args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
              CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    a.parent_tid = (uint64_t)&ptid_word;
    a.child_tid = (uint64_t)&tid_word;
    tid_word = -1;
    a.stack = (uint64_t)stack;
    a.stack_size = sizeof stack;
    long tid = raw_clone3(&a, 64);
    int seen = __atomic_load_n(&ptid_word, __ATOMIC_SEQ_CST) == tid;
    int w;
    while (tid > 0 && (w = __atomic_load_n(&tid_word, __ATOMIC_SEQ_CST)) != 0)
        syscall(SYS_futex, &tid_word, FUTEX_WAIT, w, 0, 0, 0);
    printf("%-32s %s, parent_tid %s, cleared at exit\n", "thread", tid > 0 ? "ok" : ename(tid),
           seen ? "= tid" : "wrong");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "refused")) {
        struct args a;
        memset(&a, 0, sizeof a);
        a.exit_signal = SIGCHLD;
        a.flags = CLONE_INTO_CGROUP_;
        refused("CLONE_INTO_CGROUP", &a, 88);
        a.flags = CLONE_CLEAR_SIGHAND_;
        refused("CLONE_CLEAR_SIGHAND", &a, 64);
        a.flags = CLONE_NEWTIME;
        refused("CLONE_NEWTIME", &a, 64);
        return 0;
    }
    checks();
    forks();
    thread();
    printf("done\n");
    return 0;
}
