/* A program patches its own text and then drops the patched page with MADV_DONTNEED: the
 * text is a private mapping of the executable, so the original code runs again (Linux
 * reads the page from the file again; treating it as anonymous memory would run zeroes,
 * SIGILL, and keeping stale translations would run the patch). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Alone at the start of a page in the middle of the text. */
__attribute__((noinline, aligned(4096))) int answer(void) {
    return 42;
}

int main(void) {
    int (*volatile f)(void) = answer;
    uintptr_t page = (uintptr_t)answer & ~(uintptr_t)4095;
    printf("original: %d\n", f());
    if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
        return perror("mprotect"), 1;
    /* li a0, 99 ; ret */
    uint32_t patch[2] = {0x06300513, 0x00008067};
    memcpy((void *)answer, patch, sizeof patch);
    __builtin___clear_cache((char *)answer, (char *)answer + sizeof patch);
    printf("patched: %d\n", f());
    if (madvise((void *)page, 4096, MADV_DONTNEED))
        return perror("madvise"), 1;
    printf("after MADV_DONTNEED: %d\n", f());
    return 0;
}
