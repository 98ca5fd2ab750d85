/* hello_dyn: a hello world linked dynamically (default linking), so running it needs
 * the ELF interpreter /lib/ld-linux-riscv64-lp64d.so.1 and libc.so.6 from the sysroot
 * (qemu-riscv64 -L /usr/riscv64-linux-gnu). Exercises PT_INTERP loading, the dynamic
 * loader's mmap/mprotect/openat usage, relocation and lazy binding. Exit status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    (void)argv;
    printf("Hello from a dynamically linked riscv64 program!\n");
    char *s = strdup("libc.so.6 is working");
    printf("%s (argc=%d, strlen=%zu)\n", s, argc, strlen(s));
    free(s);
    puts("puts works too");
    return 0;
}
