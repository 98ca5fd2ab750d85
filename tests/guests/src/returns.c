/* returns: calls and returns that a return-address predictor must get right or leave alone:
 * recursion 20000 deep, longjmp out of nested calls, signal handlers that call and return
 * inside nested calls, coroutines switching stacks with swapcontext, a callee that moves
 * its return address on, and threads doing all that at once. Each part prints its results;
 * exit status 0 if every one is right. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>

static int failed;

static void check(const char *what, long got, long want)
{
    printf("%s: %ld%s\n", what, got, got == want ? "" : " WRONG");
    if (got != want)
        failed = 1;
}

__attribute__((noinline)) static long deep(long n)
{
    volatile long frame = n;
    if (n == 0)
        return 0;
    return deep(n - 1) + frame;
}

__attribute__((noinline)) static long fib(long n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* longjmp from `depth` calls down, back to the setjmp in jumps(). */
__attribute__((noinline)) static long dive(jmp_buf *env, int depth, long acc)
{
    if (depth == 0)
        longjmp(*env, (int)(acc & 0x7fff) + 1);
    if (depth < 0)
        return acc;
    return dive(env, depth - 1, acc * 3 + depth) + 1;
}

static long jumps(int rounds)
{
    volatile long sum = 0;
    for (int i = 0; i < rounds; i++) {
        jmp_buf env;
        volatile int depth = 1 + i % 40;
        int v = setjmp(env);
        if (v) {
            sum += v + fib(5);
            continue;
        }
        sum += dive(&env, depth, i);
    }
    return sum;
}

static volatile long handled;

static void on_usr1(int sig)
{
    handled += fib(10) + sig;
}

__attribute__((noinline)) static long nest_and_raise(int depth)
{
    if (depth == 0) {
        raise(SIGUSR1);
        return 1;
    }
    return nest_and_raise(depth - 1) + 1;
}

static ucontext_t main_ctx, co_ctx;
static volatile long yielded;

static void coroutine(void)
{
    for (long i = 0;; i++) {
        yielded = deep(i % 50);
        swapcontext(&co_ctx, &main_ctx);
    }
}

static long coroutines(int rounds)
{
    static char stack[64 * 1024];
    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = stack;
    co_ctx.uc_stack.ss_size = sizeof stack;
    co_ctx.uc_link = NULL;
    makecontext(&co_ctx, coroutine, 0);
    long sum = 0;
    for (int i = 0; i < rounds; i++) {
        swapcontext(&main_ctx, &co_ctx);
        sum += yielded + fib(3);
    }
    return sum;
}

/* Returns x: the inner call's callee returns one instruction past its call, skipping the
 * addition. */
__attribute__((noinline)) static long moved_return(long x)
{
    long r = x;
#ifdef __riscv
    __asm__ volatile(".option push\n"
                     ".option norvc\n"
                     "jal ra, 1f\n"
                     "addi %0, %0, 1000\n"
                     "j 2f\n"
                     "1: addi ra, ra, 4\n"
                     "ret\n"
                     "2:\n"
                     ".option pop\n"
                     : "+r"(r)
                     :
                     : "ra");
#endif
    return r;
}

static long moved_returns(int rounds)
{
    long sum = 0;
    for (int i = 0; i < rounds; i++)
        sum += moved_return(i) + fib(2);
    return sum;
}

static void *worker(void *arg)
{
    long k = (long)arg;
    long r = deep(5000 + k) + jumps(200) + moved_returns(500) + fib(18 + k);
    return (void *)r;
}

/* What jumps(rounds) returns, computed without calls. */
static long jumps_want(int rounds)
{
    long sum = 0;
    for (int i = 0; i < rounds; i++) {
        long acc = i;
        for (int d = 1 + i % 40; d > 0; d--)
            acc = acc * 3 + d;
        sum += (acc & 0x7fff) + 1 + 5;
    }
    return sum;
}

int main(void)
{
    check("deep", deep(20000), 20000L * 20001 / 2);
    check("fib", fib(25), 75025);
    check("jumps", jumps(3000), jumps_want(3000));
    signal(SIGUSR1, on_usr1);
    long nested = 0, nested_want = 0;
    for (int i = 0; i < 200; i++) {
        nested += nest_and_raise(i % 30);
        nested_want += i % 30 + 1;
    }
    check("signals", nested, nested_want);
    check("handled", handled, 200L * (55 + SIGUSR1));
    long co_want = 0;
    for (long i = 0; i < 2000; i++)
        co_want += (i % 50) * (i % 50 + 1) / 2 + 2;
    check("coroutines", coroutines(2000), co_want);
    check("moved returns", moved_returns(10000), 10000L * 9999 / 2 + 10000);
    pthread_t t[4];
    for (long k = 0; k < 4; k++)
        pthread_create(&t[k], NULL, worker, (void *)k);
    long want[4];
    for (long k = 0; k < 4; k++) {
        long n = 5000 + k;
        want[k] = n * (n + 1) / 2 + jumps_want(200) + 500L * 499 / 2 + 500 + fib(18 + k);
    }
    for (long k = 0; k < 4; k++) {
        void *r;
        pthread_join(t[k], &r);
        char name[32];
        snprintf(name, sizeof name, "thread %ld", k);
        check(name, (long)r, want[k]);
    }
    return failed;
}
