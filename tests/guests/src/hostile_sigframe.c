/* hostile_sigframe: signal frames a handler corrupts, and rt_sigreturn with no frame.
 *
 * argv[1] picks the corruption; each is a SIGUSR1 handler that scribbles over its own
 * ucontext and returns, or a direct rt_sigreturn:
 *   pc0        pc = 0: the return lands at 0, SIGSEGV (139)
 *   pcwild     pc = 1<<63: SIGSEGV
 *   pcodd      pc = an odd address inside the text: SIGSEGV or SIGBUS on Linux,
 *              never a successful return (the instruction fetch is misaligned)
 *   spwild     sp = 1<<38 - 8 and pc = a function that pushes: SIGSEGV
 *   mask       the saved mask all ones (SIGKILL and SIGSTOP included): the mask after
 *              return blocks SIGUSR2 but not SIGKILL/SIGSTOP; the program goes on
 *   garbage    the whole ucontext filled with 0xa5 bytes: SIGSEGV
 *   noframe    rt_sigreturn with sp at a zero-filled page, as if a frame of zeros: pc = 0,
 *              SIGSEGV
 *   spnone     rt_sigreturn with sp at a PROT_NONE page: SIGSEGV
 *   spwildret  rt_sigreturn with sp = 1<<63: SIGSEGV
 *   wildhandler  a handler at 0x1234: its delivery jumps there, SIGSEGV
 *   datahandler  a handler in non-executable data: SIGSEGV
 *   altwild    a sigaltstack at 1<<38 (accepted), then one at 0x1000 (unmapped) and an
 *              SA_ONSTACK handler: the frame cannot be written, SIGSEGV
 *   altoverflow an SA_ONSTACK|SA_NODEFER handler that raises itself on an 8 KiB
 *              sigaltstack above a PROT_NONE page: the frames run into it, SIGSEGV
 *              (qemu-riscv64 7.2 hangs here: tests/hostile.rs asserts it) */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static const char *mode;

static void __attribute__((noinline)) pusher(void)
{
    volatile char buf[256];
    memset((char *)buf, 1, sizeof buf);
    printf("pusher returned %d\n", buf[3]);
    exit(3);
}

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    unsigned long *gregs = (unsigned long *)uc->uc_mcontext.__gregs; /* [0] is pc, [2] sp */
    if (!strcmp(mode, "pc0"))
        gregs[0] = 0;
    else if (!strcmp(mode, "pcwild"))
        gregs[0] = 1UL << 63;
    else if (!strcmp(mode, "pcodd"))
        gregs[0] = (unsigned long)pusher + 1;
    else if (!strcmp(mode, "spwild")) {
        gregs[0] = (unsigned long)pusher;
        gregs[2] = (1UL << 38) - 8;
    } else if (!strcmp(mode, "mask"))
        memset(&uc->uc_sigmask, 0xff, sizeof uc->uc_sigmask);
    else if (!strcmp(mode, "garbage"))
        memset(uc, 0xa5, sizeof *uc);
}

static void again(int s) { raise(s); }

static void __attribute__((noreturn)) sigreturn_with_sp(unsigned long sp)
{
    register unsigned long a7 __asm__("a7") = SYS_rt_sigreturn;
    register unsigned long s __asm__("t0") = sp;
    __asm__ volatile("mv sp, t0\n\tecall" ::"r"(a7), "r"(s) : "memory");
    __builtin_unreachable();
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    mode = argv[1];
    setvbuf(stdout, 0, _IONBF, 0);
    char *pages = mmap(0, 3 * 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!strcmp(mode, "noframe"))
        sigreturn_with_sp((unsigned long)pages + 65536);
    if (!strcmp(mode, "spnone")) {
        mprotect(pages, 3 * 65536, PROT_NONE);
        sigreturn_with_sp((unsigned long)pages + 65536);
    }
    if (!strcmp(mode, "spwildret"))
        sigreturn_with_sp(1UL << 63);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (!strcmp(mode, "wildhandler") || !strcmp(mode, "datahandler")) {
        static char data[64];
        sa.sa_handler = !strcmp(mode, "wildhandler") ? (void (*)(int))0x1234 : (void (*)(int))data;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        return 1;
    }
    if (!strcmp(mode, "altwild") || !strcmp(mode, "altoverflow")) {
        stack_t ss = {.ss_sp = (void *)(1UL << 38), .ss_size = 65536};
        if (!strcmp(mode, "altwild")) {
            printf("sigaltstack at 1<<38: %d\n", sigaltstack(&ss, 0));
            ss.ss_sp = (void *)0x1000;
        } else {
            mprotect(pages, 65536, PROT_NONE);
            ss.ss_sp = pages + 65536;
            ss.ss_size = 8192;
        }
        printf("sigaltstack: %d\n", sigaltstack(&ss, 0));
        sa.sa_handler = again;
        sa.sa_flags = SA_ONSTACK | SA_NODEFER;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        return 1;
    }
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    raise(SIGUSR1);
    printf("returned from the handler\n");
    if (!strcmp(mode, "mask")) {
        sigset_t now;
        sigprocmask(SIG_BLOCK, 0, &now);
        printf("SIGUSR2 blocked: %d, SIGKILL blocked: %d, SIGSTOP blocked: %d\n",
               sigismember(&now, SIGUSR2), sigismember(&now, SIGKILL), sigismember(&now, SIGSTOP));
        return 0;
    }
    return 1;
}
