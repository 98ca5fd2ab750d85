/* smc: self-modifying code. Writes a small function into an mmap'd buffer, makes it
 * executable, flushes the instruction cache (__builtin___clear_cache: riscv_flush_icache on
 * Linux) and calls it in a loop (so an emulator translates it), then rewrites one
 * instruction, flushes again and calls again: the new code must run. Also re-protects the
 * buffer RW -> RX between rewrites, as JITs that keep W^X do. Exit status 0 if all agree. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef long (*fn)(long);

/* addi a0,a0,IMM ; ret */
static void emit(uint32_t *p, int imm)
{
    p[0] = ((uint32_t)(imm & 0xfff) << 20) | (10 << 15) | (10 << 7) | 0x13;
    p[1] = 0x00008067;
}

static long run(fn f, int times)
{
    long acc = 0;
    for (int i = 0; i < times; i++)
        acc = f(acc);
    return acc;
}

int main(void)
{
    int failures = 0;
    uint32_t *rwx = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rwx == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    for (int imm = 1; imm <= 4; imm++) {
        emit(rwx, imm);
        __builtin___clear_cache((char *)rwx, (char *)(rwx + 2));
        long got = run((fn)rwx, 1000);
        printf("rwx pass %d: %ld (expect %d)\n", imm, got, imm * 1000);
        failures += got != imm * 1000;
    }
    uint32_t *wx = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int imm = 7; imm <= 9; imm++) {
        mprotect(wx, 4096, PROT_READ | PROT_WRITE);
        emit(wx, imm);
        mprotect(wx, 4096, PROT_READ | PROT_EXEC);
        __builtin___clear_cache((char *)wx, (char *)(wx + 2));
        long got = run((fn)wx, 500);
        printf("w^x pass %d: %ld (expect %d)\n", imm, got, imm * 500);
        failures += got != imm * 500;
    }
    printf("smc: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
