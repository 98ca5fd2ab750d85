/* The program the gdb stub is tested with (the scripts in tests/gdb and tests/gdb_protocol.rs): built
 * -O0 -g and not stripped, so gdb has its lines, functions and variables.
 * argv[1] picks what it does after the common part:
 *   plain    (default) scale, bump twice, peek, print, exit status 3
 *   threads  two threads call mark(1) and mark(2) once both exist; joined; exit status 3
 *   segv     a store through NULL after the common part (SIGSEGV)
 *   abort    abort() after the common part (SIGABRT)
 *   spin     loops for ever after the common part (for an interrupt)
 *   wait     blocks in pause() after the common part (for an interrupt) */
#include <stdlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile long counter; /* written by bump, read by peek: the watchpoints' target */
volatile long sink;
volatile int go; /* set once both threads exist: main is past pthread_create at mark */
double ratio = 1.5;

__attribute__((noinline)) double scale(double x) {
    return x * ratio; /* x arrives in fa0 */
}

__attribute__((noinline)) void bump(int n) {
    counter += n;
}

__attribute__((noinline)) long peek(void) {
    return counter;
}

__attribute__((noinline)) void mark(long id) {
    sink = id;
}

static void *worker(void *arg) {
    while (!go)
        ;
    mark((long)arg);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "plain";
    double d = scale(2.0);
    bump(5);
    bump(7);
    sink = peek();
    if (!strcmp(mode, "threads")) {
        pthread_t t[2];
        for (long i = 0; i < 2; i++)
            pthread_create(&t[i], 0, worker, (void *)(i + 1));
        go = 1;
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], 0);
    }
    if (!strcmp(mode, "abort"))
        abort();
    if (!strcmp(mode, "wait"))
        pause();
    if (!strcmp(mode, "spin"))
        for (;;)
            sink++;
    if (!strcmp(mode, "segv"))
        *(volatile long *)(sink - 12) = 1;
    printf("counter=%ld d=%g sink=%ld\n", counter, d, sink);
    return 3;
}
