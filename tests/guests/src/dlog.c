/* dlog: a small freestanding program for mimic's `-d` log tests, built with its symbol
 * table so that blocks are named. It calls a function in a loop long enough for the
 * tiered engine to translate it, maps, protects and unmaps a page (`page`), makes a
 * system call no kernel has (`unimp`), sends itself SIGUSR1 to a handler (`int`), and
 * prints what it saw. With argv[1] == "ill" it then executes an illegal instruction
 * (`.word 0`): SIGILL, status 132; with argv[1] == "quick" the loop runs twice and the
 * program exits, printing nothing (a short register trace). Raw system calls only. */
#include <stddef.h>

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
    register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d, a4 __asm__("a4") = e, a5 __asm__("a5") = f;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
                     : "memory");
    return a0;
}

static void put(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    sys(64 /* write */, 1, (long)s, (long)n, 0, 0, 0);
}

static void putd(long v)
{
    char buf[24], *p = buf + sizeof buf;
    int neg = v < 0;
    unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;
    *--p = 0;
    do {
        *--p = '0' + u % 10;
        u /= 10;
    } while (u);
    if (neg)
        *--p = '-';
    put(p);
    put("\n");
}

__attribute__((noinline)) long step(long acc, long i)
{
    return acc * 3 + i;
}

static volatile int got;

void on_usr1(int sig)
{
    got = sig;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && argv[1][0] == 'q';
    long acc = 0;
    for (long i = 0; i < (quick ? 2 : 60); i++)
        acc = step(acc, i) & 0xffff;
    if (quick)
        return acc != 1;
    put("loop ");
    putd(acc);

    long page = sys(222 /* mmap */, 0, 4096, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
    *(volatile char *)page = 1;
    put("mprotect ");
    putd(sys(226 /* mprotect */, page, 4096, 1 /* R */, 0, 0, 0));
    put("munmap ");
    putd(sys(215 /* munmap */, page, 4096, 0, 0, 0, 0));

    put("unsupported ");
    putd(sys(500, 1, 2, 3, 0, 0, 0));

    /* The kernel's struct sigaction on riscv64: handler, flags, mask. */
    unsigned long act[3] = {(unsigned long)on_usr1, 0, 0};
    sys(134 /* rt_sigaction */, 10 /* SIGUSR1 */, (long)act, 0, 8, 0, 0);
    long pid = sys(172 /* getpid */, 0, 0, 0, 0, 0, 0);
    sys(129 /* kill */, pid, 10, 0, 0, 0, 0);
    put("signal ");
    putd(got);

    if (argc > 1 && argv[1][0] == 'i')
        __asm__ volatile(".word 0");
    return 0;
}

__attribute__((naked, noreturn)) void _start(void)
{
    __asm__ volatile("ld a0, 0(sp)\n"
                     "addi a1, sp, 8\n"
                     "andi sp, sp, -16\n"
                     "call main\n"
                     "li a7, 94\n" /* exit_group */
                     "ecall\n");
}
