/* Code and hot data on one page: a small function at the start of an executable page, a
 * table the loop keeps writing in its second half, and the function rewritten (then
 * fence.i, or the flush syscall on alternate rounds) every few thousand calls. A translator
 * that write-protects the pages it translated from must not fault on every store here. The
 * native build writes the same function as x86-64. */
#include "common.h"
#include <sys/mman.h>

typedef uint64_t (*fn_t)(uint64_t);

/* f(x) = x + a, a in 0..2047, as machine code at p; returns its end. */
static uint8_t *emit(uint8_t *p, uint32_t a)
{
#if defined(__riscv)
    uint32_t code[] = {
        0x00050513u | a << 20, /* addi a0, a0, a */
        0x00008067u,           /* ret */
    };
#else
    uint8_t code[] = {
        0x48, 0x89, 0xf8,            /* mov rax, rdi */
        0x48, 0x05, a, a >> 8, 0, 0, /* add rax, a */
        0xc3,                        /* ret */
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
    volatile uint64_t *table = (volatile uint64_t *)(page + 2048);
    fn_t f = (fn_t)page;
    uint64_t sum = 1;
    for (uint32_t i = 0; i < 20000; i++) {
        if (i % 1000 == 0) {
            uint8_t *end = emit(page, (uint32_t)rng() & 0x7ff);
#if defined(__riscv)
            if ((i / 1000) & 1)
                __builtin___clear_cache((char *)page, (char *)end);
            else
                __asm__ volatile("fence.i" ::: "memory");
#else
            (void)end;
#endif
        }
        table[sum & 255] += i;
        sum = sum * 31 + f(sum) + table[(sum >> 8) & 255];
    }
    printf("codedata %016llx\n", (unsigned long long)sum);
    return 0;
}
