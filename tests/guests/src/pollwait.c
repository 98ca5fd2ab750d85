// select and poll: a timeout with nothing ready clears the sets, a thread's write wakes a
// wait without one (in --deterministic mode both are waits the scheduler multiplexes).
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/select.h>
#include <unistd.h>
static int fd[2];
static void *w(void *a) { (void)a; usleep(30000); write(fd[1], "x", 1); return NULL; }
int main(void) {
    pipe(fd);
    fd_set r; FD_ZERO(&r); FD_SET(fd[0], &r);
    struct timeval tv = {0, 10000};
    int n = select(fd[0] + 1, &r, NULL, NULL, &tv);
    printf("select timeout: %d isset %d\n", n, FD_ISSET(fd[0], &r));
    struct pollfd p = {fd[0], POLLIN, 0};
    printf("poll timeout: %d revents %d\n", poll(&p, 1, 10), p.revents);
    pthread_t t; pthread_create(&t, NULL, w, NULL);
    FD_ZERO(&r); FD_SET(fd[0], &r);
    n = select(fd[0] + 1, &r, NULL, NULL, NULL);
    printf("select ready: %d isset %d\n", n, FD_ISSET(fd[0], &r));
    pthread_join(t, NULL);
    char c; read(fd[0], &c, 1);
    pthread_create(&t, NULL, w, NULL);
    printf("poll ready: %d", poll(&p, 1, -1)); printf(" revents %d\n", p.revents);
    pthread_join(t, NULL);
    return 0;
}
