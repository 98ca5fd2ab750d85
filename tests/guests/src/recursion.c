/* recursion: deep recursion that uses a lot of stack: 100000 nested calls, each with a
 * non-trivial frame (a local array that is written and read back after the recursive
 * call, so neither the frame nor the recursion can be optimised away), about 6 MB of
 * stack in total, well within the usual 8 MB limit. Also Ackermann A(2,n) = 2n+3 and
 * A(3,n) = 2^(n+3)-3 and naive Fibonacci, which make many short calls and returns.
 * Exit status 0 if every result is right, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>

__attribute__((noinline)) static uint64_t deep(int n, uint64_t acc)
{
    volatile uint64_t frame[4];
    for (int i = 0; i < 4; i++)
        frame[i] = acc + (uint64_t)n * (uint64_t)(i + 1);
    if (n == 0)
        return acc;
    uint64_t below = deep(n - 1, acc * 6364136223846793005ULL + (uint64_t)n);
    /* use the frame after the call returns: the frame must have survived */
    return below ^ (frame[0] + frame[1] + frame[2] + frame[3]);
}

__attribute__((noinline)) static unsigned long ack(unsigned long m, unsigned long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static unsigned long fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* mutual recursion through function pointers */
static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n)
{
    return n == 0 ? 1 : is_odd(n - 1);
}
__attribute__((noinline)) static int is_odd(unsigned n)
{
    int (*volatile f)(unsigned) = is_even;
    return n == 0 ? 0 : f(n - 1);
}

int main(void)
{
    int bad = 0;
    uint64_t d = deep(100000, 1);
    printf("deep(100000) = %016llx\n", (unsigned long long)d);
    uint64_t d2 = deep(100000, 1);
    bad += d != d2;
    printf("deep(100000) again equal: %s\n", d == d2 ? "yes" : "no");

    for (unsigned long n = 0; n <= 10; n++) {
        unsigned long a = ack(2, n);
        printf("A(2,%lu) = %lu\n", n, a);
        bad += a != 2 * n + 3;
    }
    for (unsigned long n = 0; n <= 6; n++) {
        unsigned long a = ack(3, n);
        printf("A(3,%lu) = %lu\n", n, a);
        bad += a != (1UL << (n + 3)) - 3;
    }
    unsigned long f = fib(27);
    printf("fib(27) = %lu\n", f);
    bad += f != 196418;
    printf("is_even(10001) = %d, is_odd(10001) = %d\n", is_even(10001), is_odd(10001));
    printf("recursion: %s\n", bad ? "FAILED" : "all results correct");
    return bad ? 1 : 0;
}
