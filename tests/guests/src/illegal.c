/* illegal: prints a line, flushes, then executes an illegal instruction. The all-zero
 * 32-bit word (.word 0, also the defined-illegal 16-bit c.unimp 0x0000) must raise
 * SIGILL: status 132 (128+4). argv[1] == "unimp" uses the `unimp` pseudo-instruction
 * instead (csrrw x0, cycle, x0: a write to a read-only CSR, also illegal). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int use_unimp = argc > 1 && strcmp(argv[1], "unimp") == 0;
    printf("about to execute an illegal instruction (%s)\n", use_unimp ? "unimp" : ".word 0");
    fflush(stdout);
    if (use_unimp)
        __asm__ volatile(".option push\n.option norvc\nunimp\n.option pop\n");
    else
        __asm__ volatile(".word 0");
    printf("not reached\n");
    return 0;
}
