/* sigframe: what a signal handler finds in its ucontext, and what sigreturn takes back.
 *
 *   sigframe            runs every check below and prints one yes/no line per fact:
 *     segv      a SIGSEGV handler reads uc_mcontext.__gregs[REG_PC] (the faulting load or
 *               store), si_addr, and advances the saved pc past the 4- or 2-byte instruction
 *               (length from its low bits); the program continues after it
 *     ill       a SIGILL handler skips `unimp` (4 bytes) and c.unimp (2 bytes) the same way
 *     edit      a handler reads and edits saved a0, s2, fa0 and frm/fflags in fcsr; the
 *               interrupted code sees the edits
 *     fpfault   a load faults right after FP arithmetic of the same straight-line code (one
 *               translated block, whose FP results are still in host registers): the
 *               SIGSEGV handler finds every result in __fpregs, and they survive sigreturn
 *     mask      uc_sigmask is the interrupted code's mask; a handler's edit of it is what
 *               sigreturn restores; uc_stack without and with sigaltstack
 *     restack   sigreturn applies uc_stack as sigaltstack would: a handler's edit of it
 *               installs or disables the alternate stack
 *     nested    a fault inside a handler, a second signal inside a handler, SA_NODEFER
 *               recursion: every frame is 16-byte aligned and each return lands right
 *   sigframe badreturn   rt_sigreturn with sp on an unmapped page: the kernel kills with
 *                        SIGSEGV (status 139); surviving would exit 7
 *
 * Nothing printed depends on addresses. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define FAULT_ADDR 0x10UL

static int failures;
static void check(const char *what, int ok)
{
    printf("%-62s %s\n", what, ok ? "yes" : "no");
    failures += !ok;
}

static ucontext_t *ctx(void *p) { return (ucontext_t *)p; }

/* The length of the instruction at pc: 32-bit when its low two bits are 11. */
static unsigned insn_len(uintptr_t pc) { return (*(const uint16_t *)pc & 3) == 3 ? 4 : 2; }

static void on_signal(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(2);
    }
}

/* ---- segv ------------------------------------------------------------------------ */
extern char load4[], store4[], load2[];
static volatile uintptr_t seen_pc, seen_addr;
static volatile unsigned seen_len;
static volatile int segv_count;

static void segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    uintptr_t pc = ctx(uc)->uc_mcontext.__gregs[REG_PC];
    seen_pc = pc;
    seen_addr = (uintptr_t)si->si_addr;
    seen_len = insn_len(pc);
    segv_count++;
    ctx(uc)->uc_mcontext.__gregs[REG_PC] = pc + seen_len;
}

static void test_segv(void)
{
    on_signal(SIGSEGV, segv, 0);
    long v = 77;
    __asm__ volatile(".option push\n.option norvc\n"
                     ".globl load4\nload4: ld %0, 0(%1)\n"
                     ".option pop\n"
                     : "+r"(v)
                     : "r"(FAULT_ADDR)
                     : "memory");
    check("segv load: saved pc is the faulting ld", seen_pc == (uintptr_t)load4);
    check("segv load: si_addr is the faulting address", seen_addr == FAULT_ADDR);
    check("segv load: 4-byte instruction skipped, program continues", seen_len == 4 && v == 77);

    __asm__ volatile(".option push\n.option norvc\n"
                     ".globl store4\nstore4: sd %0, 8(%1)\n"
                     ".option pop\n"
                     :
                     : "r"(v), "r"(FAULT_ADDR)
                     : "memory");
    check("segv store: saved pc is the faulting sd", seen_pc == (uintptr_t)store4);
    check("segv store: si_addr is the faulting address", seen_addr == FAULT_ADDR + 8);

    register long dst __asm__("a0") = 55;
    register uintptr_t base __asm__("a1") = FAULT_ADDR;
    __asm__ volatile(".globl load2\nload2: c.ld a0, 16(a1)\n" : "+r"(dst) : "r"(base) : "memory");
    /* Copied at once: a call may reuse a0 and GCC keeps no register variable across it. */
    long after = dst;
    check("segv c.ld: saved pc is the faulting c.ld", seen_pc == (uintptr_t)load2);
    check("segv c.ld: 2-byte instruction skipped, program continues",
          seen_len == 2 && after == 55 && seen_addr == FAULT_ADDR + 16);
    check("segv: three faults, three handler runs", segv_count == 3);
    signal(SIGSEGV, SIG_DFL);
}

/* ---- ill ------------------------------------------------------------------------- */
extern char ill4[], ill2[];
static volatile int ill_count, ill_code;

static void ill(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    uintptr_t pc = ctx(uc)->uc_mcontext.__gregs[REG_PC];
    seen_pc = pc;
    seen_addr = (uintptr_t)si->si_addr;
    seen_len = insn_len(pc);
    ill_code = si->si_code;
    ill_count++;
    ctx(uc)->uc_mcontext.__gregs[REG_PC] = pc + seen_len;
}

static void test_ill(void)
{
    on_signal(SIGILL, ill, 0);
    __asm__ volatile(".option push\n.option norvc\n.globl ill4\nill4: unimp\n.option pop\n");
    check("sigill unimp: saved pc and si_addr are the instruction",
          seen_pc == (uintptr_t)ill4 && seen_addr == (uintptr_t)ill4);
    check("sigill unimp: si_code is ILL_ILLOPC", ill_code == ILL_ILLOPC);
    check("sigill unimp: 4 bytes skipped", seen_len == 4);
    __asm__ volatile(".globl ill2\nill2: .hword 0\n");
    check("sigill c.unimp: saved pc is the instruction", seen_pc == (uintptr_t)ill2);
    check("sigill c.unimp: 2 bytes skipped, program continues", seen_len == 2 && ill_count == 2);
    signal(SIGILL, SIG_DFL);
}

/* ---- edit ------------------------------------------------------------------------ */
static volatile int saw_a0, saw_s2, saw_fa0, saw_frm;

static uint64_t bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static void edit(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    mcontext_t *m = &ctx(uc)->uc_mcontext;
    saw_a0 = m->__gregs[REG_A0] == 1111;
    saw_s2 = m->__gregs[REG_S2] == 2222;
    saw_fa0 = m->__fpregs.__d.__f[10] == bits(1.5);
    saw_frm = (m->__fpregs.__d.__fcsr >> 5 & 7) == 2; /* RDN, set before the trap */
    m->__gregs[REG_A0] = 3333;
    m->__gregs[REG_S2] = 4444;
    m->__fpregs.__d.__f[10] = bits(2.75);
    m->__fpregs.__d.__fcsr = 1 << 5 | 0x10; /* frm = RTZ, fflags = NV */
    m->__gregs[REG_PC] += insn_len(m->__gregs[REG_PC]);
}

static void test_edit(void)
{
    on_signal(SIGILL, edit, 0);
    register long a0 __asm__("a0") = 1111;
    register long s2 __asm__("s2") = 2222;
    uint64_t fin = bits(1.5), fout;
    unsigned long frm, fflags;
    __asm__ volatile("fmv.d.x fa0, %[fin]\n"
                     "fsrmi 2\n"
                     "csrwi fflags, 0\n"
                     ".option push\n.option norvc\nunimp\n.option pop\n"
                     "fmv.x.d %[fout], fa0\n"
                     "frrm %[frm]\n"
                     "frflags %[fflags]\n"
                     "fsrmi 0\n"
                     "csrwi fflags, 0\n"
                     : "+r"(a0), "+r"(s2), [fout] "=r"(fout), [frm] "=r"(frm),
                       [fflags] "=r"(fflags)
                     : [fin] "r"(fin)
                     : "fa0", "memory");
    long a0_after = a0, s2_after = s2;
    check("edit: handler sees saved a0", saw_a0);
    check("edit: handler sees saved s2", saw_s2);
    check("edit: handler sees saved fa0 in __fpregs.__d.__f[10]", saw_fa0);
    check("edit: handler sees saved frm in __fcsr", saw_frm);
    check("edit: a0 edited by the handler", a0_after == 3333);
    check("edit: s2 edited by the handler", s2_after == 4444);
    check("edit: fa0 edited by the handler", fout == bits(2.75));
    check("edit: frm edited by the handler", frm == 1);
    check("edit: fflags edited by the handler", fflags == 0x10);
    signal(SIGILL, SIG_DFL);
}

static volatile int fp_seen;

static uint64_t bits_f(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static void fpsegv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    mcontext_t *m = &ctx(uc)->uc_mcontext;
    uint64_t *f = m->__fpregs.__d.__f;
    fp_seen = (f[10] == bits(0.375)) | (f[11] == bits(0.25)) << 1 | (f[12] == bits(2.125)) << 2 |
              (f[13] == (bits_f(1.5f) | 0xffffffff00000000)) << 3;
    m->__gregs[REG_PC] += insn_len(m->__gregs[REG_PC]);
}

static void test_fpfault(void)
{
    on_signal(SIGSEGV, fpsegv, 0);
    uint64_t a = bits(1.5), b = bits(0.25), r0, r2, r3;
    long v = 0;
    __asm__ volatile("fmv.d.x fa0, %[a]\n"
                     "fmv.d.x fa1, %[b]\n"
                     "fadd.d fa2, fa0, fa1\n"   /* 1.75 */
                     "fmul.d fa0, fa0, fa1\n"   /* 0.375 */
                     "fadd.d fa2, fa2, fa0\n"   /* 2.125 */
                     "fcvt.s.d fa3, fa0\n"
                     "fadd.s fa3, fa3, fa3\n"   /* 0.75f */
                     "fadd.s fa3, fa3, fa3\n"   /* 1.5f, NaN-boxed */
                     ".option push\n.option norvc\n"
                     "ld %[v], 0(%[addr])\n"
                     ".option pop\n"
                     "fmv.x.d %[r0], fa0\n"
                     "fmv.x.d %[r2], fa2\n"
                     "fmv.x.d %[r3], fa3\n"
                     : [v] "+r"(v), [r0] "=r"(r0), [r2] "=r"(r2), [r3] "=r"(r3)
                     : [a] "r"(a), [b] "r"(b), [addr] "r"(FAULT_ADDR)
                     : "fa0", "fa1", "fa2", "fa3", "memory");
    check("fpfault: handler sees fa0 = fa0*fa1 in __fpregs", fp_seen & 1);
    check("fpfault: handler sees fa1 as moved in", fp_seen >> 1 & 1);
    check("fpfault: handler sees fa2 = fa0+fa1+fa0*fa1", fp_seen >> 2 & 1);
    check("fpfault: handler sees the single in fa3 NaN-boxed", fp_seen >> 3 & 1);
    uint64_t boxed = bits_f(1.5f) | 0xffffffff00000000;
    check("fpfault: the results survive sigreturn",
          r0 == bits(0.375) && r2 == bits(2.125) && r3 == boxed && v == 0);
    signal(SIGSEGV, SIG_DFL);
}

/* ---- mask ------------------------------------------------------------------------ */
static volatile int mask_has_usr2, mask_has_usr1, stack_flags, stack_size_ok, stack_sp_ok;
static volatile int on_alt, usr2_runs;
static char altstack[65536] __attribute__((aligned(16)));

static void usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    usr2_runs++;
}

static void mask(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    ucontext_t *u = ctx(uc);
    char here;
    mask_has_usr2 = sigismember(&u->uc_sigmask, SIGUSR2);
    mask_has_usr1 = sigismember(&u->uc_sigmask, SIGUSR1);
    stack_flags = u->uc_stack.ss_flags;
    stack_sp_ok = u->uc_stack.ss_sp == (void *)altstack;
    stack_size_ok = u->uc_stack.ss_size == sizeof altstack;
    on_alt = &here >= altstack && &here < altstack + sizeof altstack;
    /* sigreturn restores this mask: SIGUSR2 (pending) is delivered after the return. */
    sigdelset(&u->uc_sigmask, SIGUSR2);
}

static void test_mask(void)
{
    on_signal(SIGUSR2, usr2, 0);
    on_signal(SIGUSR1, mask, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    raise(SIGUSR1);
    check("mask: uc_sigmask holds the interrupted mask (SIGUSR2)", mask_has_usr2 == 1);
    check("mask: uc_sigmask lacks the signal itself", mask_has_usr1 == 0);
    check("mask: uc_stack.ss_flags is SS_DISABLE without sigaltstack", stack_flags == SS_DISABLE);
    check("mask: handler ran on the normal stack", !on_alt);
    check("mask: the handler's edit of uc_sigmask is restored", usr2_runs == 1);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    check("mask: SIGUSR2 unblocked after the return", !sigismember(&now, SIGUSR2));

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    on_signal(SIGUSR1, mask, SA_ONSTACK);
    raise(SIGUSR1);
    check("altstack: handler ran on the alternate stack", on_alt);
    check("altstack: uc_stack.ss_sp and ss_size are the alternate stack",
          stack_sp_ok && stack_size_ok);
    check("altstack: uc_stack.ss_flags is 0 (interrupted off the stack)", stack_flags == 0);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

/* ---- restack --------------------------------------------------------------------- */
static volatile int restack_mode;

static void restack(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    stack_t *st = &ctx(uc)->uc_stack;
    if (restack_mode == 0) {
        st->ss_sp = altstack;
        st->ss_size = sizeof altstack;
        st->ss_flags = 0;
    } else {
        st->ss_flags = SS_DISABLE;
    }
}

static void test_restack(void)
{
    stack_t old;
    on_signal(SIGUSR1, restack, 0);
    restack_mode = 0;
    raise(SIGUSR1);
    sigaltstack(NULL, &old);
    check("restack: uc_stack edited to a stack installs it at sigreturn",
          old.ss_sp == (void *)altstack && old.ss_size == sizeof altstack && old.ss_flags == 0);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    restack_mode = 1;
    raise(SIGUSR1);
    sigaltstack(NULL, &old);
    check("restack: uc_stack edited to SS_DISABLE disables it at sigreturn",
          old.ss_flags == SS_DISABLE);
}

/* ---- nested ---------------------------------------------------------------------- */
static volatile int depth, max_depth, aligned = 1, order_ok = 1, inner_pc_ok;
static volatile char trace[32];
static volatile int ntrace;
extern char nested_load[];

static void note(char c)
{
    if (ntrace < 31)
        trace[ntrace++] = c;
}

static void frame_aligned(void *uc)
{
    if (((uintptr_t)uc & 15) != 0 || ((uintptr_t)&ctx(uc)->uc_mcontext & 15) != 0)
        aligned = 0;
}

static void nested_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    frame_aligned(uc);
    note('S');
    inner_pc_ok = ctx(uc)->uc_mcontext.__gregs[REG_PC] == (uintptr_t)nested_load;
    ctx(uc)->uc_mcontext.__gregs[REG_PC] += insn_len(ctx(uc)->uc_mcontext.__gregs[REG_PC]);
}

static void nested_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    frame_aligned(uc);
    note('2');
}

static void nested_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    frame_aligned(uc);
    note('1');
    register long keep __asm__("s3") = 99;
    long v = 5;
    __asm__ volatile(".option push\n.option norvc\n"
                     ".globl nested_load\nnested_load: ld %0, 0(%1)\n"
                     ".option pop\n"
                     : "+r"(v)
                     : "r"(FAULT_ADDR), "r"(keep)
                     : "memory");
    raise(SIGUSR2);
    __asm__ volatile("" : "+r"(keep));
    if (keep != 99 || v != 5)
        order_ok = 0;
    note('e');
}

static void recurse(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    frame_aligned(uc);
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    note('0' + depth);
    if (depth < 3)
        raise(sig);
    depth--;
}

static void test_nested(void)
{
    on_signal(SIGSEGV, nested_segv, 0);
    on_signal(SIGUSR2, nested_usr2, 0);
    on_signal(SIGUSR1, nested_usr1, 0);
    raise(SIGUSR1);
    note('|');
    on_signal(SIGUSR1, recurse, SA_NODEFER);
    raise(SIGUSR1);
    trace[ntrace] = 0;
    printf("nested: handler trace %s\n", (const char *)trace);
    check("nested: fault inside a handler has its own pc", inner_pc_ok);
    check("nested: outer handler's registers intact after inner returns", order_ok);
    check("nested: SA_NODEFER recursion reached depth 3", max_depth == 3 && depth == 0);
    check("nested: every frame 16-byte aligned", aligned);
    signal(SIGSEGV, SIG_DFL);
}

/* ---- badreturn ------------------------------------------------------------------- */
static void badreturn(void)
{
    printf("badreturn: rt_sigreturn with sp at 0x10\n");
    fflush(stdout);
    __asm__ volatile("mv s1, sp\n"
                     "li sp, 0x10\n"
                     "li a7, %0\n"
                     "ecall\n"
                     "mv sp, s1\n"
                     :
                     : "i"(SYS_rt_sigreturn)
                     : "s1", "a0", "a7", "memory");
    printf("survived\n");
    exit(7);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "badreturn") == 0)
        badreturn();
    test_segv();
    test_ill();
    test_edit();
    test_fpfault();
    test_mask();
    test_restack();
    test_nested();
    printf("failures: %d\n", failures);
    return failures != 0;
}
