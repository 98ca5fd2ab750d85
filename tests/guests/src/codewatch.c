/* codewatch: code pages written by every path a translator watching them for stores must
 * see, each after the code ran hot enough to be translated.
 *   thread    another thread rewrites the code (stores), the caller joins it, fence.i
 *   syscalls  read(), pread(), readv() and a pipe's read() write new code into the page, the
 *             buffer running on into the next (data) page; then fence.i
 *   mprotect  a read-only code page made writable (mprotect RX -> RWX), rewritten, fence.i;
 *             made PROT_NONE (a call faults: SIGSEGV, caught), executable again: it runs
 *   mixed     one page holding code and data the program keeps writing, and code rewritten
 *             now and then
 * Every result is printed; the program checks them too and exits 1 on a wrong one. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096

typedef long (*fn)(void);
static int failed;

/* addi a0, zero, imm ; ret */
static void emit(uint32_t *p, int imm)
{
    p[0] = ((uint32_t)imm << 20) | (10 << 7) | 0x13;
    p[1] = 0x00008067;
}

static void flush(void *p)
{
    (void)p;
    __asm__ volatile("fence.i" ::: "memory");
}

/* Calls the code often enough to be translated; returns what it returned last. */
static long hot(void *code)
{
    long r = 0;
    for (int i = 0; i < 3000; i++)
        r = ((fn)code)();
    return r;
}

static void check(const char *what, long got, long want)
{
    printf("%s: %ld\n", what, got);
    if (got != want) {
        printf("  wrong: want %ld\n", want);
        failed = 1;
    }
}

static void *rewrite(void *code)
{
    emit(code, 77);
    return 0;
}

static void thread(void)
{
    uint32_t *code = mmap(0, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    emit(code, 7);
    flush(code);
    check("thread before", hot(code), 7);
    for (int round = 0; round < 3; round++) {
        pthread_t t;
        emit(code + 16, 100 + round); /* the same page, another function, from this thread */
        pthread_create(&t, 0, rewrite, code);
        pthread_join(t, 0);
        flush(code);
        check("thread after", hot(code), 77);
        check("thread other", hot(code + 16), 100 + round);
        emit(code, 7);
        flush(code);
        check("thread back", hot(code), 7);
    }
}

/* A file of two pages: `li a0, imm; ret` at the start of the first, zeroes after. */
static int code_file(int imm)
{
    static uint32_t pages[2 * PAGE / 4];
    memset(pages, 0, sizeof pages);
    emit(pages, imm);
    char name[] = "codewatch.XXXXXX";
    int fd = mkstemp(name);
    unlink(name);
    if (write(fd, pages, sizeof pages) != sizeof pages)
        return -1;
    return fd;
}

static void syscalls(void)
{
    /* The code page, then a data page. */
    char *at = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *code = at + PAGE - 64;
    emit((uint32_t *)code, 1);
    flush(code);
    check("syscalls before", hot(code), 1);

    int fd = code_file(2);
    lseek(fd, 0, SEEK_SET);
    check("read bytes", read(fd, code, 128), 128);
    flush(code);
    check("after read", hot(code), 2);

    int fd3 = code_file(3);
    check("pread bytes", pread(fd3, code, 128, 0), 128);
    flush(code);
    check("after pread", hot(code), 3);

    int fd4 = code_file(4);
    lseek(fd4, 0, SEEK_SET);
    struct iovec iov[2] = {{code, 4}, {code + 4, 124}};
    check("readv bytes", readv(fd4, iov, 2), 128);
    flush(code);
    check("after readv", hot(code), 4);

    int p[2];
    uint32_t words[2];
    emit(words, 5);
    pipe(p);
    write(p[1], words, sizeof words);
    check("pipe bytes", read(p[0], code, sizeof words), sizeof words);
    flush(code);
    check("after pipe", hot(code), 5);
}

static sigjmp_buf env;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(env, 1);
}

static void mprotect_code(void)
{
    uint32_t *code = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    emit(code, 8);
    mprotect(code, PAGE, PROT_READ | PROT_EXEC);
    flush(code);
    check("mprotect before", hot(code), 8);
    mprotect(code, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    check("still", hot(code), 8);
    emit(code, 9);
    flush(code);
    check("after RWX store", hot(code), 9);
    emit(code, 10);
    flush(code);
    check("again", hot(code), 10);

    signal(SIGSEGV, on_segv);
    mprotect(code, PAGE, PROT_NONE);
    if (sigsetjmp(env, 1) == 0) {
        ((fn)code)();
        check("call of PROT_NONE code returned", 1, 0);
    } else {
        printf("call of PROT_NONE code: SIGSEGV\n");
    }
    signal(SIGSEGV, SIG_DFL);
    mprotect(code, PAGE, PROT_READ | PROT_EXEC);
    check("executable again", hot(code), 10);
}

/* Code at the start of the page, a counter and a table later in it. */
static void mixed(void)
{
    char *page = mmap(0, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t *code = (uint32_t *)page;
    volatile long *data = (volatile long *)(page + 2048);
    long sum = 0, want = 0, imm = 0, shadow[64] = {0};
    emit(code, 0);
    flush(code);
    for (int i = 0; i < 20000; i++) {
        data[i % 64] += i;
        shadow[i % 64] += i;
        sum += ((fn)code)() + data[(i * 7) % 64];
        want += imm + shadow[(i * 7) % 64];
        if (i % 1000 == 999) {
            imm = i / 1000;
            emit(code, imm);
            flush(code);
        }
    }
    check("mixed sum", sum, want);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    setvbuf(stdout, 0, _IONBF, 0);
    if (!strcmp(mode, "thread"))
        thread();
    else if (!strcmp(mode, "syscalls"))
        syscalls();
    else if (!strcmp(mode, "mprotect"))
        mprotect_code();
    else if (!strcmp(mode, "mixed"))
        mixed();
    else {
        printf("usage: codewatch thread|syscalls|mprotect|mixed\n");
        return 2;
    }
    return failed;
}
