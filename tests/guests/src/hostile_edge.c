/* hostile_edge: loads, stores, atomics and FP accesses at the last bytes below 1<<38 (the end
 * of an Sv39 user space, and of mimic's guest space), across it, and at wrapping addresses.
 *
 * The last page is mapped read-write and filled with a pattern. Each access runs with
 * SIGSEGV and SIGBUS caught (siglongjmp back); a line says what happened: the value read,
 * "stored", or the signal. Accesses that stay inside the page succeed; one that runs past
 * the end faults, and no byte beyond it is touched (a store that faults leaves the page as
 * it was, checked after the run: its checksum is printed). argv[1] = "beyond": accesses
 * past the end by a page or more, which tests/hostile.rs holds to SIGSEGV. argv[1] = "exec":
 * code in the last page that runs off the end (compressed and full-size nops, a 32-bit
 * instruction whose upper half would be at 1<<38, a branch and a jal to 1<<38): each a
 * SIGSEGV whose si_addr is the first address past the end it fetched. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096UL
#define END (1UL << 38)

static sigjmp_buf back;
static volatile int caught;
static volatile long fault_at;
static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    caught = sig;
    fault_at = (long)((unsigned long)si->si_addr - END);
    siglongjmp(back, 1);
}

#define LOAD(name, insn, type)                                                            \
    static uint64_t name(uint64_t a)                                                      \
    {                                                                                     \
        uint64_t v;                                                                       \
        __asm__ volatile(insn " %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");                \
        return v;                                                                         \
    }
LOAD(lb, "lbu", uint8_t)
LOAD(lh, "lhu", uint16_t)
LOAD(lw, "lwu", uint32_t)
LOAD(ld, "ld", uint64_t)

static uint64_t fld(uint64_t a)
{
    double d;
    __asm__ volatile("fld %0, 0(%1)" : "=f"(d) : "r"(a) : "memory");
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
}
static uint64_t amoadd_w(uint64_t a)
{
    uint64_t v;
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(v) : "r"(a), "r"(1L) : "memory");
    return v & 0xffffffff;
}
static uint64_t amoadd_d(uint64_t a)
{
    uint64_t v;
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(v) : "r"(a), "r"(1L) : "memory");
    return v;
}
static uint64_t lr_sc_d(uint64_t a)
{
    uint64_t v, fail;
    __asm__ volatile("lr.d %0, (%2)\n\tsc.d %1, %0, (%2)" : "=&r"(v), "=&r"(fail) : "r"(a) : "memory");
    return v;
}
static uint64_t sd(uint64_t a)
{
    __asm__ volatile("sd %1, 0(%0)" ::"r"(a), "r"(0x1122334455667788UL) : "memory");
    return 0;
}
static uint64_t fsd(uint64_t a)
{
    double d = 1.5;
    __asm__ volatile("fsd %1, 0(%0)" ::"r"(a), "f"(d) : "memory");
    return 0;
}

static void try(const char *what, uint64_t (*f)(uint64_t), uint64_t a, int is_store)
{
    caught = 0;
    volatile uint64_t v = 0;
    if (sigsetjmp(back, 1) == 0)
        v = f(a);
    if (caught)
        printf("%-10s END-%-5ld %s\n", what, (long)(END - a), caught == SIGSEGV ? "SIGSEGV" : caught == SIGBUS ? "SIGBUS" : "signal");
    else if (is_store)
        printf("%-10s END-%-5ld stored\n", what, (long)(END - a));
    else
        printf("%-10s END-%-5ld 0x%lx\n", what, (long)(END - a), (unsigned long)v);
}

static uint64_t sum(const unsigned char *p)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < PAGE; i++)
        s = s * 31 + p[i];
    return s;
}

/* Calls `at`, which must fault; prints where. */
static void run_off(const char *what, uint64_t at)
{
    caught = 0;
    if (sigsetjmp(back, 1) == 0)
        ((void (*)(void))at)();
    printf("%-32s %s at END%+ld\n", what, caught == SIGSEGV ? "SIGSEGV" : "no SIGSEGV", fault_at);
}

static void exec_at_end(uint16_t *last)
{
    mprotect(last, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    for (unsigned i = 0; i < PAGE / 2; i++)
        last[i] = 0x0001; /* c.nop */
    __builtin___clear_cache((char *)last, (char *)last + PAGE);
    run_off("c.nops off the end", END - 16);
    for (unsigned i = 0; i < PAGE / 4; i++)
        ((uint32_t *)last)[i] = 0x00000013; /* nop */
    __builtin___clear_cache((char *)last, (char *)last + PAGE);
    run_off("nops off the end", END - 64);
    for (unsigned i = 0; i < PAGE / 2; i++)
        last[i] = 0x0001;
    last[PAGE / 2 - 1] = 0x0013; /* the low half of a 32-bit addi */
    __builtin___clear_cache((char *)last, (char *)last + PAGE);
    run_off("c.nops into a straddling insn", END - 8);
    run_off("a straddling insn", END - 2);
    ((uint32_t *)last)[PAGE / 4 - 1] = 0x00000463; /* beq x0, x0, +8 */
    __builtin___clear_cache((char *)last, (char *)last + PAGE);
    run_off("beq to END+4", END - 4);
    ((uint32_t *)last)[PAGE / 4 - 1] = 0x0040006f; /* jal x0, +4 */
    __builtin___clear_cache((char *)last, (char *)last + PAGE);
    run_off("jal to END", END - 4);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IONBF, 0);
    unsigned char *last = mmap((void *)(END - PAGE), PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (last != (unsigned char *)(END - PAGE)) {
        printf("no last page\n");
        return 1;
    }
    for (unsigned i = 0; i < PAGE; i++)
        last[i] = (unsigned char)(i * 7 + 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);

    if (argc > 1 && !strcmp(argv[1], "exec")) {
        exec_at_end((uint16_t *)last);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "beyond")) {
        /* just past mimic's guard page, and further: qemu-riscv64's space goes on (it may
         * have something mapped there), an Sv39 one does not */
        try("ld", ld, END + PAGE, 0);
        try("sd", sd, END + PAGE + 8, 1);
        try("amoadd.d", amoadd_d, END + 2 * PAGE, 0);
        try("fld", fld, END + (1UL << 20), 0);
        return 0;
    }
    /* aligned, inside the page: all succeed */
    try("lbu", lb, END - 1, 0);
    try("lhu", lh, END - 2, 0);
    try("lwu", lw, END - 4, 0);
    try("ld", ld, END - 8, 0);
    try("fld", fld, END - 8, 0);
    try("amoadd.w", amoadd_w, END - 4, 0);
    try("amoadd.d", amoadd_d, END - 8, 0);
    try("lr/sc.d", lr_sc_d, END - 8, 0);
    try("sd", sd, END - 16, 1);
    /* at the end and past it */
    try("lbu", lb, END, 0);
    try("ld", ld, END, 0);
    try("sd", sd, END, 1);
    try("fsd", fsd, END, 1);
    try("amoadd.d", amoadd_d, END, 0);
    try("ld", ld, 2 * END, 0);
    try("ld", ld, -8UL, 0);
    try("sd", sd, -8UL, 1);
    /* sums before the accesses that would run past the end, and after */
    uint64_t before = sum(last);
    try("ld", ld, END - 4, 0);
    try("lwu", lw, END - 2, 0);
    printf("page unchanged by the faulting loads: %s\n", sum(last) == before ? "yes" : "no");
    return 0;
}
