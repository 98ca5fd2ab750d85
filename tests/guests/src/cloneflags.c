/* cloneflags: the raw clone system call with flag sets an emulator that runs threads as
 * host threads and processes as host forks can and cannot honour. Like qemu-user, mimic
 * shares memory only with a whole thread (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|
 * CLONE_THREAD|CLONE_SYSVSEM), runs vfork (CLONE_VM|CLONE_VFORK) as a fork, and answers
 * EINVAL to the rest (CLONE_VM alone would be a process sharing memory that no host fork
 * can give). Then posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) and pthread_create.
 * The child of every clone here runs only `exit(7)` (or exit(tp & 0xff)), in assembly,
 * touching no stack. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err_name(long e)
{
    switch (e) {
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static int tid_word; /* CLONE_PARENT_SETTID writes it, CLONE_CHILD_CLEARTID clears it */
static char stack[4096] __attribute__((aligned(16)));

/* clone(flags, stack, &tid_word, 0, &tid_word): the child calls exit(7) at once. */
static long raw_clone(unsigned long flags)
{
    register long a0 __asm__("a0") = (long)flags;
    register long a1 __asm__("a1") = (long)(stack + sizeof stack);
    register long a2 __asm__("a2") = (long)&tid_word;
    register long a3 __asm__("a3") = 0;
    register long a4 __asm__("a4") = (long)&tid_word;
    register long a7 __asm__("a7") = SYS_clone;
    __asm__ volatile("ecall\n\t"
                     "bnez a0, 1f\n\t"
                     "li a0, 7\n\t"
                     "li a7, %[exit]\n\t"
                     "ecall\n"
                     "1:"
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7), [exit] "i"(SYS_exit)
                     : "memory");
    return a0;
}

/* clone(SIGCHLD|CLONE_SETTLS, 0, 0, tls, 0): the child exits with its tp's low byte. */
static long raw_fork_settls(long tls)
{
    register long a0 __asm__("a0") = SIGCHLD | CLONE_SETTLS;
    register long a1 __asm__("a1") = 0;
    register long a2 __asm__("a2") = 0;
    register long a3 __asm__("a3") = tls;
    register long a4 __asm__("a4") = 0;
    register long a7 __asm__("a7") = SYS_clone;
    __asm__ volatile("ecall\n\t"
                     "bnez a0, 1f\n\t"
                     "andi a0, tp, 0xff\n\t"
                     "li a7, %[exit]\n\t"
                     "ecall\n"
                     "1:"
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7), [exit] "i"(SYS_exit)
                     : "memory");
    return a0;
}

#define THREAD_SET (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static void try(const char *what, unsigned long flags)
{
    tid_word = 0;
    long r = raw_clone(flags);
    if (r < 0 && r > -4096) {
        printf("%-52s %s\n", what, err_name(-r));
        return;
    }
    if (flags & CLONE_THREAD) {
        /* The thread's exit clears the word and wakes us. */
        int w;
        while ((w = __atomic_load_n(&tid_word, __ATOMIC_SEQ_CST)) != 0)
            syscall(SYS_futex, &tid_word, FUTEX_WAIT, w, NULL, NULL, 0);
        printf("%-52s a thread, ran and left\n", what);
        return;
    }
    int st;
    pid_t p = waitpid((pid_t)r, &st, __WALL);
    if (p != r)
        printf("%-52s a child wait4 cannot find (%s)\n", what, strerror(errno));
    else if (WIFEXITED(st))
        printf("%-52s a child, exited %d\n", what, WEXITSTATUS(st));
    else
        printf("%-52s a child, status 0x%x\n", what, st);
}

static void *thread_main(void *arg)
{
    return (char *)arg + 1;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    try("SIGCHLD (fork)", SIGCHLD);
    try("CLONE_VM|CLONE_VFORK|SIGCHLD (vfork)", CLONE_VM | CLONE_VFORK | SIGCHLD);
    try("CLONE_VM|SIGCHLD", CLONE_VM | SIGCHLD);
    try("CLONE_VM|CLONE_FS|CLONE_FILES|SIGCHLD", CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD);
    try("CLONE_VM|CLONE_SIGHAND|SIGCHLD", CLONE_VM | CLONE_SIGHAND | SIGCHLD);
    try("CLONE_VM|CLONE_SIGHAND|CLONE_THREAD", CLONE_VM | CLONE_SIGHAND | CLONE_THREAD);
    try("thread set without CLONE_SYSVSEM", THREAD_SET & ~CLONE_SYSVSEM);
    try("CLONE_THREAD|CLONE_SIGHAND (no CLONE_VM)", CLONE_THREAD | CLONE_SIGHAND);
    try("CLONE_SIGHAND|SIGCHLD (no CLONE_VM)", CLONE_SIGHAND | SIGCHLD);
    try("CLONE_FILES|SIGCHLD", CLONE_FILES | SIGCHLD);
    try("no exit signal", 0);
    try("CLONE_VFORK|SIGCHLD", CLONE_VFORK | SIGCHLD);
    try("thread set|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID",
        THREAD_SET | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID);

    long r = raw_fork_settls(0x1234);
    int st = 0;
    if (r > 0 && waitpid((pid_t)r, &st, 0) == r && WIFEXITED(st))
        printf("%-52s a child whose tp is 0x..%02x\n", "SIGCHLD|CLONE_SETTLS 0x1234", WEXITSTATUS(st));
    else
        printf("%-52s failed (%ld)\n", "SIGCHLD|CLONE_SETTLS 0x1234", r);

    /* glibc's posix_spawn: clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on a stack of its own. */
    char *argv[] = {"sh", "-c", "exit 3", NULL};
    char *envp[] = {NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, envp);
    if (rc == 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
        printf("posix_spawn sh -c 'exit 3': exited %d\n", WEXITSTATUS(st));
    else
        printf("posix_spawn sh -c 'exit 3': failed (%s)\n", strerror(rc));

    /* glibc's pthread_create: the thread set with CLONE_SETTLS and the tid words. */
    static char token;
    pthread_t t;
    void *ret = NULL;
    rc = pthread_create(&t, NULL, thread_main, &token);
    if (rc == 0)
        pthread_join(t, &ret);
    printf("pthread_create + join: %s\n", rc == 0 && ret == &token + 1 ? "ok" : "failed");
    return 0;
}
