/* wild: argv[1] selects one wild memory access; each must kill the process with SIGSEGV
 * (status 139) after the line announcing it has been flushed to stdout.
 *   load0 / store0           address 0
 *   loadmax / storemax       address ~0UL (the last byte of the address space)
 *   pastbrk                  the first page above the current program break (sbrk(0))
 *   far                      0x3f00000000, far above any mapping of a small program
 *   bit47                    1UL << 47, above the 47/48-bit user address space
 *   bit63                    1UL << 63, a non-canonical address
 *   jump0                    an indirect jump to address 0 (instruction fetch fault)
 *   storetext                a store into the program's own read-only code
 * Exit status 2 for an unknown selector, 1 if the access unexpectedly succeeded. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void announce(const char *what)
{
    printf("wild access: %s\n", what);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *sel = argc > 1 ? argv[1] : "load0";
    volatile uintptr_t addr;
    int store = 0;
    if (!strcmp(sel, "load0") || !strcmp(sel, "store0")) {
        addr = 0;
        store = sel[0] == 's';
    } else if (!strcmp(sel, "loadmax") || !strcmp(sel, "storemax")) {
        addr = ~(uintptr_t)0;
        store = sel[0] == 's';
    } else if (!strcmp(sel, "pastbrk")) {
        uintptr_t brk_end = (uintptr_t)sbrk(0);
        addr = (brk_end + 4095) & ~(uintptr_t)4095;
        store = 1;
    } else if (!strcmp(sel, "far")) {
        addr = 0x3f00000000UL;
    } else if (!strcmp(sel, "bit47")) {
        addr = (uintptr_t)1 << 47;
    } else if (!strcmp(sel, "bit63")) {
        addr = (uintptr_t)1 << 63;
    } else if (!strcmp(sel, "jump0")) {
        announce(sel);
        void (*volatile fn)(void) = 0;
        fn();
        printf("survived %s\n", sel);
        return 1;
    } else if (!strcmp(sel, "storetext")) {
        addr = (uintptr_t)&main;
        store = 1;
    } else {
        printf("unknown selector %s\n", sel);
        return 2;
    }
    announce(sel);
    if (store)
        *(volatile unsigned char *)addr = 0x5a;
    else
        (void)*(volatile unsigned char *)addr;
    printf("survived %s\n", sel);
    return 1;
}
