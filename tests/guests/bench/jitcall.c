/* A JIT-style guest: rewrites a few instructions of a small function in an executable page,
 * makes them visible to instruction fetch (fence.i, or the flush syscall through
 * __builtin___clear_cache on alternate rounds) and calls it, many thousands of times; the
 * rest of the code stays the same. The native build writes the same function as x86-64. */
#include "common.h"
#include <sys/mman.h>

typedef uint64_t (*fn_t)(uint64_t);

/* f(x) = (x + a) ^ b, a and b in 0..2047, as machine code at p; returns its end. */
static uint8_t *emit(uint8_t *p, uint32_t a, uint32_t b)
{
#if defined(__riscv)
    uint32_t code[] = {
        0x00050513u | a << 20, /* addi a0, a0, a */
        0x00054513u | b << 20, /* xori a0, a0, b */
        0x00008067u,           /* ret */
    };
#else
    uint8_t code[] = {
        0x48, 0x89, 0xf8,                                 /* mov rax, rdi */
        0x48, 0x05, a, a >> 8, 0, 0,                      /* add rax, a */
        0x48, 0x35, b, b >> 8, 0, 0,                      /* xor rax, b */
        0xc3,                                             /* ret */
    };
#endif
    memcpy(p, code, sizeof code);
    return p + sizeof code;
}

int main(void)
{
    uint8_t *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    uint64_t sum = 1;
    for (uint32_t i = 0; i < 40000; i++) {
        uint8_t *f = page + (i % 4) * 64;
        uint8_t *end = emit(f, (uint32_t)rng() & 0x7ff, i & 0x7ff);
#if defined(__riscv)
        if (i & 1)
            __builtin___clear_cache((char *)f, (char *)end);
        else
            __asm__ volatile("fence.i" ::: "memory");
#else
        (void)end;
#endif
        sum = sum * 31 + ((fn_t)f)(sum);
    }
    printf("jitcall %016llx\n", (unsigned long long)sum);
    return 0;
}
