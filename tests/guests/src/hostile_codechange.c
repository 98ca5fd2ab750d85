/* hostile_codechange: code that changes under a translator without a guest store to it.
 *
 * Each mode runs a function (`li a0, K; ret`) hot enough to be translated, changes the code
 * at that address by a means other than a store through the executing mapping, and calls it
 * again; the new constant must come back.
 *   remap    munmap the code, mmap a file holding other code at the same address (what
 *            dlclose + dlopen do): no fence.i, the kernel keeps the new page coherent
 *   read     read() new code from a file over the RWX page, then fence.i
 *   alias    a file mapped twice, MAP_SHARED RW and RX (a JIT's double mapping): the RW
 *            alias is written, the RX range flushed (__builtin___clear_cache). qemu-riscv64
 *            7.2 keeps running the first code here, so tests/hostile.rs asserts it.
 *   mremap   mremap the code page elsewhere, map other code at the old address (MAP_FIXED,
 *            from a file), call both
 *   straddle a 32-bit instruction whose second half lies on a PROT_NONE page: SIGSEGV
 *            (caught), then the page made executable with the rest of it: it runs */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

typedef long (*fn)(void);

/* addi a0, zero, imm ; ret */
static void emit(uint32_t *p, int imm)
{
    p[0] = ((uint32_t)imm << 20) | (10 << 7) | 0x13;
    p[1] = 0x00008067;
}

static long hot(void *code)
{
    long r = 0;
    for (int i = 0; i < 3000; i++)
        r = ((fn)code)();
    return r;
}

/* A file of one page holding `li a0, imm; ret` at its start. */
static int code_file(const char *name, int imm)
{
    uint32_t page[PAGE / 4];
    memset(page, 0, sizeof page);
    emit(page, imm);
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(fd, page, PAGE) != PAGE)
        return -1;
    return fd;
}

static int remap(void)
{
    int a = code_file("a.code", 11), b = code_file("b.code", 22);
    char *at = mmap(0, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, a, 0);
    printf("first: %ld\n", hot(at));
    munmap(at, PAGE);
    char *again = mmap(at, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, b, 0);
    printf("same address: %s\n", again == at ? "yes" : "no");
    printf("after remap: %ld\n", hot(again));
    /* and MAP_FIXED straight over the live mapping, no munmap */
    mmap(at, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, a, 0);
    printf("after map over: %ld\n", hot(at));
    return 0;
}

static int read_over(void)
{
    int b = code_file("b.code", 33);
    char *at = mmap(0, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    emit((uint32_t *)at, 3);
    __builtin___clear_cache(at, at + 8);
    printf("first: %ld\n", hot(at));
    lseek(b, 0, SEEK_SET);
    if (read(b, at, PAGE) != PAGE)
        return 1;
    __asm__ volatile("fence.i" ::: "memory");
    printf("after read: %ld\n", hot(at));
    return 0;
}

static int alias(void)
{
    int fd = code_file("jit.code", 0);
    uint32_t *rw = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *rx = mmap(0, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    for (int k = 1; k <= 3; k++) {
        emit(rw, 40 + k);
        __builtin___clear_cache(rx, rx + 8);
        printf("alias pass %d: %ld\n", k, hot(rx));
    }
    return 0;
}

static int move(void)
{
    int b = code_file("b.code", 55);
    char *at = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(at + PAGE, PAGE);
    emit((uint32_t *)at, 44);
    __builtin___clear_cache(at, at + 8);
    printf("first: %ld\n", hot(at));
    char *far = mmap(0, 64 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *moved = mremap(at, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, far + 32 * PAGE);
    printf("moved: %ld\n", hot(moved));
    mmap(at, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, b, 0);
    printf("old address, new file: %ld\n", hot(at));
    printf("moved again: %ld\n", hot(moved));
    return 0;
}

static sigjmp_buf back;
static void on_segv(int s, siginfo_t *si, void *c)
{
    (void)c;
    (void)s;
    (void)si;
    siglongjmp(back, 1);
}

static int straddle(void)
{
    char *two = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t insn[2];
    emit(insn, 66);
    /* li a0, 66 across the boundary, ret after it */
    memcpy(two + PAGE - 2, insn, 8);
    mprotect(two + PAGE, PAGE, PROT_NONE);
    __builtin___clear_cache(two, two + 2 * PAGE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    if (sigsetjmp(back, 1) == 0) {
        ((fn)(two + PAGE - 2))();
        printf("straddling fetch: ran\n");
    } else {
        printf("straddling fetch: SIGSEGV\n");
    }
    mprotect(two + PAGE, PAGE, PROT_READ | PROT_EXEC);
    printf("straddling, page back: %ld\n", ((fn)(two + PAGE - 2))());
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc < 2)
        return 2;
    if (!strcmp(argv[1], "remap"))
        return remap();
    if (!strcmp(argv[1], "read"))
        return read_over();
    if (!strcmp(argv[1], "alias"))
        return alias();
    if (!strcmp(argv[1], "mremap"))
        return move();
    if (!strcmp(argv[1], "straddle"))
        return straddle();
    return 2;
}
