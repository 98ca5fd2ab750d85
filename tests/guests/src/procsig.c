// Signals between guest processes: SIGCHLD and a kill() from a child reach the parent's
// handlers while it waits in sigsuspend; SIGPIPE ignored gives EPIPE, by default kills.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t got_chld, got_usr1;
static void on_chld(int s) { (void)s; got_chld++; }
static void on_usr1(int s) { (void)s; got_usr1++; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld; sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = on_usr1; sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, old; sigemptyset(&block); sigaddset(&block, SIGCHLD); sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0) { kill(parent, SIGUSR1); usleep(50000); _exit(3); }
    while (!got_chld || !got_usr1) sigsuspend(&old);
    int st; waitpid(p, &st, 0);
    printf("chld %d usr1 %d exit %d\n", got_chld, got_usr1, WEXITSTATUS(st));
    // SIGPIPE default: killed
    int fd[2]; pipe(fd); close(fd[0]);
    signal(SIGPIPE, SIG_IGN);
    printf("write to closed pipe with SIGPIPE ignored: %zd\n", write(fd[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    write(fd[1], "x", 1);
    printf("not reached\n");
    return 0;
}
