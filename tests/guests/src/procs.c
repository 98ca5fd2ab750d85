// Processes under mimic. `procs fork`: fork + wait with exit codes and signals, copied memory.
// `procs exec`: fork + execve of a riscv64 program (this one, with other arguments), vfork,
// and a pipeline between two guest processes. (qemu-riscv64 without binfmt_misc cannot
// execve a riscv64 program, so `exec` has no qemu golden: tests/threads.rs checks it.)
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self;

static void report(const char *what, int st) {
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status 0x%x\n", what, st);
}

// Child roles, reached through execve.
static int child_role(int argc, char **argv) {
    if (!strcmp(argv[1], "child-exit"))
        return atoi(argv[2]);
    if (!strcmp(argv[1], "child-gen")) { // writes numbers to stdout
        for (int i = 1; i <= 500; i++)
            printf("%d\n", i);
        return 0;
    }
    if (!strcmp(argv[1], "child-sum")) { // sums numbers from stdin
        long sum = 0, v, n = 0;
        while (scanf("%ld", &v) == 1)
            sum += v, n++;
        printf("sum of %ld numbers from the pipe: %ld\n", n, sum);
        return 0;
    }
    (void)argc;
    return 99;
}

int main(int argc, char **argv) {
    self = argv[0];
    if (argc > 1 && !strncmp(argv[1], "child-", 6))
        return child_role(argc, argv);
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    pid_t p;
    if (argc > 1 && !strcmp(argv[1], "exec"))
        goto exec;

    // fork + wait with exit codes
    for (int code = 0; code < 4; code++) {
        pid_t p = fork();
        if (p == 0)
            _exit(code * 7);
        int st;
        if (waitpid(p, &st, 0) != p)
            return 1;
        char what[32];
        snprintf(what, sizeof what, "fork %d", code);
        report(what, st);
    }
    // a child killed by a signal
    p = fork();
    if (p == 0) {
        raise(SIGKILL);
        _exit(1);
    }
    waitpid(p, &st, 0);
    report("raise(SIGKILL)", st);
    // the child's memory is a copy
    int shared = 1;
    p = fork();
    if (p == 0) {
        shared = 2;
        _exit(shared);
    }
    waitpid(p, &st, 0);
    printf("after the child wrote 2: parent sees %d, child exited %d\n", shared, WEXITSTATUS(st));
    printf("wait with no children: %d\n", (int)wait(&st));
    return 0;

exec:
    // fork + execve of a riscv64 program
    p = fork();
    if (p == 0) {
        char *args[] = {(char *)self, "child-exit", "42", NULL};
        execv(self, args);
        _exit(127);
    }
    waitpid(p, &st, 0);
    report("execve child-exit 42", st);
    // execve of something missing
    p = fork();
    if (p == 0) {
        char *args[] = {"nope", NULL};
        execv("/nonexistent/program", args);
        _exit(100 + 2);
    }
    waitpid(p, &st, 0);
    report("execve missing", st);
    // vfork + execve
    p = vfork();
    if (p == 0) {
        char *args[] = {(char *)self, "child-exit", "5", NULL};
        execv(self, args);
        _exit(127);
    }
    waitpid(p, &st, 0);
    report("vfork execve child-exit 5", st);

    // a pipeline: child-gen | child-sum
    int fd[2];
    if (pipe(fd))
        return 1;
    pid_t a = fork();
    if (a == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        char *args[] = {(char *)self, "child-gen", NULL};
        execv(self, args);
        _exit(127);
    }
    pid_t b = fork();
    if (b == 0) {
        dup2(fd[0], 0);
        close(fd[0]);
        close(fd[1]);
        char *args[] = {(char *)self, "child-sum", NULL};
        execv(self, args);
        _exit(127);
    }
    close(fd[0]);
    close(fd[1]);
    int sa, sb;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    report("pipeline writer", sa);
    report("pipeline reader", sb);
    return 0;
}
