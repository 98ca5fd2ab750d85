/* clock: time system calls, printing only booleans so the output is deterministic.
 * clock_gettime(MONOTONIC, REALTIME, PROCESS_CPUTIME_ID, BOOTTIME) succeed, are
 * normalised and non-decreasing; clock_getres is sane; REALTIME agrees with
 * gettimeofday and time() to within 2 s and is after 2020; nanosleep(10 ms) takes at
 * least 10 ms of monotonic time (and less than 5 s); times() and clock() are sane.
 * (On riscv64 glibc these go through the vDSO if the auxv offers one, else ecall.)
 * Exit status 0 if every check passed, 1 otherwise. */
#include <stdio.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static int failures;
static void check(const char *what, int ok)
{
    printf("%-55s %s\n", what, ok ? "yes" : "NO");
    if (!ok)
        failures++;
}

static long long ns(struct timespec t)
{
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
static int normalised(struct timespec t)
{
    return t.tv_nsec >= 0 && t.tv_nsec < 1000000000L && t.tv_sec >= 0;
}

int main(void)
{
    struct timespec m1, m2, r1, res, cpu, boot;
    check("clock_gettime(CLOCK_MONOTONIC) succeeds", clock_gettime(CLOCK_MONOTONIC, &m1) == 0);
    check("clock_gettime(CLOCK_REALTIME) succeeds", clock_gettime(CLOCK_REALTIME, &r1) == 0);
    check("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) succeeds", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0);
    check("clock_gettime(CLOCK_BOOTTIME) succeeds", clock_gettime(CLOCK_BOOTTIME, &boot) == 0);
    check("timespecs are normalised", normalised(m1) && normalised(r1) && normalised(cpu) && normalised(boot));
    check("REALTIME is after 2020-01-01", r1.tv_sec > 1577836800);
    check("clock_getres(CLOCK_MONOTONIC) is in (0, 10ms]",
          clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(res) > 0 && ns(res) <= 10000000);

    int monotone = 1;
    struct timespec prev = m1;
    for (int i = 0; i < 1000; i++) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (ns(t) < ns(prev))
            monotone = 0;
        prev = t;
    }
    check("CLOCK_MONOTONIC never goes backwards (1000 reads)", monotone);

    struct timeval tv;
    check("gettimeofday succeeds", gettimeofday(&tv, NULL) == 0);
    check("tv_usec in [0, 1e6)", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t t0 = time(NULL);
    time_t t1;
    time(&t1);
    check("time(NULL) and time(&t) agree within 1 s", t1 - t0 >= 0 && t1 - t0 <= 1);
    check("gettimeofday ~ time() ~ REALTIME (within 2 s)",
          tv.tv_sec - t0 <= 2 && t0 - tv.tv_sec <= 2 && r1.tv_sec - t0 <= 2 && t0 - r1.tv_sec <= 2);

    struct timespec req = {0, 10 * 1000 * 1000}, rem = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &m1);
    int rc = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    long long slept = ns(m2) - ns(m1);
    check("nanosleep(10 ms) returns 0", rc == 0);
    check("nanosleep(10 ms) took >= 10 ms", slept >= 10000000LL);
    check("nanosleep(10 ms) took < 5 s", slept < 5000000000LL);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    usleep(5000);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    check("usleep(5 ms) took >= 5 ms", ns(m2) - ns(m1) >= 5000000LL);

    /* burn some CPU so process time advances */
    volatile unsigned long acc = 0;
    for (unsigned long i = 0; i < 3000000; i++)
        acc += i * i;
    struct tms tm;
    clock_t ticks = times(&tm);
    check("times() does not fail", ticks != (clock_t)-1);
    check("times(): utime/stime/cutime/cstime >= 0",
          tm.tms_utime >= 0 && tm.tms_stime >= 0 && tm.tms_cutime >= 0 && tm.tms_cstime >= 0);
    check("sysconf(_SC_CLK_TCK) == 100", sysconf(_SC_CLK_TCK) == 100);
    clock_t c = clock();
    check("clock() is >= 0 and < 60 s of CPU", c >= 0 && c < 60 * (clock_t)CLOCKS_PER_SEC);
    struct timespec cpu2;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu2);
    check("process CPU time did not go backwards", ns(cpu2) >= ns(cpu));
    struct tm utc;
    time_t fixed = 1700000000;
    gmtime_r(&fixed, &utc);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &utc);
    printf("gmtime(1700000000) = %s\n", buf);

    printf("clock: %s (%d failures)\n", failures ? "FAILED" : "all checks passed", failures);
    return failures ? 1 : 0;
}
