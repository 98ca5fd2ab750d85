/* hostile_random: random instruction words, executed.
 *
 * A 4 MiB PROT_NONE reservation at 0x2000000000 with one RWX page in its middle (jal and
 * branches cannot leave the reservation). Each trial fills the page from a fixed-seed PRNG
 * (argv[1] trials of 32-bit words, then as many of 16-bit halfwords), flushes the
 * instruction cache, zeroes every register and jumps in. SIGILL, SIGSEGV, SIGBUS, SIGTRAP,
 * SIGFPE and SIGALRM (a watchdog thread sends it when a trial runs half a second: loops) are
 * caught on a sigaltstack by a handler that first
 * restores gp and tp, then siglongjmps back.
 *
 * Words that could reach outside the page's own world are replaced before the run: SYSTEM
 * (ecall, ebreak, CSRs), stores, AMOs and indirect jumps, 32-bit and compressed. Loads stay:
 * they can only fault or read.
 *
 * stdout: one line, the number of trials that came back (all of them). stderr: how many
 * ended by each signal and, with argv[2] = "trace", how each trial ended (signal, si_code,
 * si_addr): the engines of one emulator must agree on every trial but those a watchdog
 * SIGALRM ended. (qemu-riscv64 agrees too, run as -cpu rv64,zba=false,zbb=false,zbc=false,
 * zbs=false: its default CPU has the bit-manipulation extensions, RV64GC does not.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define RESERVE (4UL << 20)
#define BASE 0x2000000000UL
#define PAGE 4096

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t next32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static int bad32(uint32_t w)
{
    uint32_t op = w & 0x7f;
    return op == 0x73 || op == 0x23 || op == 0x27 || op == 0x2f || op == 0x67;
}

static int bad16(uint16_t h)
{
    unsigned q = h & 3, f3 = h >> 13, rs2 = (h >> 2) & 31;
    if (q == 0)
        return f3 >= 5; /* c.fsd c.sw c.sd */
    if (q == 2)
        return f3 >= 5 || (f3 == 4 && rs2 == 0); /* c.fsdsp c.swsp c.sdsp; c.jr c.jalr c.ebreak */
    return 0;
}

/* Fills the page with a mix of compressed and full-size encodings such that a linear
 * decode from its start never meets a filtered one. */
static void fill_mixed(uint16_t *p)
{
    const int n = PAGE / 2;
    for (int i = 0; i < n;) {
        uint32_t w = next32();
        uint16_t h = (uint16_t)w;
        if ((h & 3) != 3) {
            if (!bad16(h))
                p[i++] = h;
        } else if (i + 1 < n && (w & 0x1f) != 0x1f && !bad32(w)) {
            p[i] = (uint16_t)w;
            p[i + 1] = (uint16_t)(w >> 16);
            i += 2;
        }
    }
}

/* Full-size encodings only (48-bit and longer ones are reserved: left out). */
static void fill_words(uint32_t *p)
{
    for (int i = 0; i < PAGE / 4; i++) {
        uint32_t w;
        do
            w = next32() | 3;
        while (bad32(w) || (w & 0x1f) == 0x1f);
        p[i] = w;
    }
}

static sigjmp_buf back;
static volatile sig_atomic_t counts[65];
uint64_t saved_gp, saved_tp;

static atomic_int trial, main_tid;
static int trace;

void on_signal(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (sig == SIGALRM && !(atomic_load(&trial) & 1))
        return; /* the watchdog lost a race with the end of a trial */
    counts[sig]++;
    if (trace) {
        if (sig == SIGALRM)
            fprintf(stderr, "trial %d: SIGALRM\n", atomic_load(&trial) / 2);
        else
            fprintf(stderr, "trial %d: signal %d code %d addr 0x%lx\n", atomic_load(&trial) / 2, sig,
                    si->si_code, (unsigned long)si->si_addr);
    }
    siglongjmp(back, 1);
}

/* The handler's entry: gp and tp back before any C code, then on_signal. */
__asm__(".text\n.option push\n.option norelax\n.globl entry_stub\nentry_stub:\n"
        "  lla t0, saved_gp\n  ld gp, 0(t0)\n"
        "  lla t0, saved_tp\n  ld tp, 0(t0)\n"
        "  j on_signal\n.option pop\n");
void entry_stub(int, siginfo_t *, void *);

/* Zeroes every register but t6 (the target) and jumps. */
static void __attribute__((noinline, noreturn)) jump(void *code)
{
    register void *t6 __asm__("t6") = code;
    __asm__ volatile(
        "li x1,0\n li x2,0\n li x3,0\n li x4,0\n li x5,0\n li x6,0\n li x7,0\n li x8,0\n"
        "li x9,0\n li x10,0\n li x11,0\n li x12,0\n li x13,0\n li x14,0\n li x15,0\n"
        "li x16,0\n li x17,0\n li x18,0\n li x19,0\n li x20,0\n li x21,0\n li x22,0\n"
        "li x23,0\n li x24,0\n li x25,0\n li x26,0\n li x27,0\n li x28,0\n li x29,0\n"
        "li x30,0\n jr t6\n" ::"r"(t6)
        : "memory");
    __builtin_unreachable();
}

/* Sends SIGALRM to the main thread when one trial (`trial` is odd while one runs) has run
 * for 20 checks 25 ms apart: a loop. Slow engines (a debug build's translator) take tens of
 * milliseconds for a trial that ends on its own, so the bound is generous. */
static void *watchdog(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, 0);
    int last = -1, same = 0;
    for (;;) {
        struct timespec ms25 = {0, 25 * 1000 * 1000};
        nanosleep(&ms25, 0);
        int now = atomic_load(&trial);
        same = now == last ? same + 1 : 0;
        last = now;
        if (now & 1 && same >= 20) {
            syscall(SYS_tgkill, getpid(), atomic_load(&main_tid), SIGALRM);
            same = 0;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int trials = argc > 1 ? atoi(argv[1]) : 500;
    trace = argc > 2 && !strcmp(argv[2], "trace");
    __asm__ volatile("mv %0, gp\n mv %1, tp" : "=r"(saved_gp), "=r"(saved_tp));
    char *res = mmap((void *)BASE, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (res != (char *)BASE) {
        printf("reservation at 0x%lx failed\n", BASE);
        return 1;
    }
    char *page = res + RESERVE / 2;
    mprotect(page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);

    static char alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = entry_stub;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE, SIGALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, 0);

    atomic_store(&main_tid, (int)syscall(SYS_gettid));
    pthread_t w;
    pthread_create(&w, 0, watchdog, 0);
    int back_count = 0;
    for (int t = 0; t < 2 * trials; t++) {
        if (t < trials)
            fill_words((uint32_t *)page);
        else
            fill_mixed((uint16_t *)page);
        __builtin___clear_cache(page, page + PAGE);
        if (sigsetjmp(back, 1) == 0) {
            atomic_fetch_add(&trial, 1);
            jump(page);
        }
        atomic_fetch_add(&trial, 1);
        back_count++;
    }
    printf("random: %d of %d trials came back\n", back_count, 2 * trials);
    fprintf(stderr, "SIGILL %d SIGSEGV %d SIGBUS %d SIGTRAP %d SIGFPE %d SIGALRM %d\n",
            counts[SIGILL], counts[SIGSEGV], counts[SIGBUS], counts[SIGTRAP], counts[SIGFPE],
            counts[SIGALRM]);
    return 0;
}
