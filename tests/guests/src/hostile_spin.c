/* hostile_spin: loops that never make a system call, left only because a signal handler
 * runs: SIGALRM from a repeating interval timer. A vCPU must look for signals often enough
 * whatever the loop is made of, however translated code checks its budget.
 *   poll   — a loop waiting for a flag the handler sets
 *   forward — a loop of forward branches on a pseudo-random state and one back edge, left
 *            by siglongjmp from the handler
 *   calls  — a loop calling a small function, left by siglongjmp
 * Each prints one line once it has left its loop; the output never depends on timing. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t flag, polling;
static sigjmp_buf out;
volatile unsigned long sink;
static volatile int jump;

static void on_alrm(int s)
{
    (void)s;
    /* Only once the poll loop runs: on a loaded machine the first tick may come before it
     * starts, and the next one ends it. */
    if (polling)
        flag = 1;
    if (jump)
        siglongjmp(out, 1);
}

static void arm(void)
{
    struct itimerval it = {{0, 5000}, {0, 5000}};
    flag = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
}

static unsigned long __attribute__((noinline)) mix(unsigned long x)
{
    return (x ^ (x >> 7)) * 0x9e3779b97f4a7c15UL;
}

static void poll_loop(void)
{
    unsigned long n = 0;
    jump = 0;
    arm();
    while (!flag) {
        n++;
        polling = 1;
    }
    polling = 0;
    disarm();
    printf("poll: left the loop%s\n", n > 0 ? "" : " (no iteration)");
}

static void forward_loop(void)
{
    jump = 1;
    if (sigsetjmp(out, 1) == 0) {
        unsigned long x = 1;
        arm();
        for (;;) {
            if (x & 1)
                x = x * 5 + 1;
            if (x & 2)
                x ^= x << 13;
            if (x & 4)
                x ^= x >> 7;
            if (x & 8)
                x += 0x1234567;
            sink = x;
        }
    }
    jump = 0;
    disarm();
    printf("forward: left the loop\n");
}

static void calls_loop(void)
{
    jump = 1;
    if (sigsetjmp(out, 1) == 0) {
        unsigned long x = 3;
        arm();
        for (;;) {
            x = mix(x);
            sink = x;
        }
    }
    jump = 0;
    disarm();
    printf("calls: left the loop\n");
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sigaction(SIGALRM, &sa, NULL);
    const char *only = argc > 1 ? argv[1] : "";
    if (!*only || !strcmp(only, "poll"))
        poll_loop();
    if (!*only || !strcmp(only, "forward"))
        forward_loop();
    if (!*only || !strcmp(only, "calls"))
        calls_loop();
    return 0;
}
