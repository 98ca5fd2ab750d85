/* exitcode: exits with the status given in argv[1] (default 42), via exit(), so the
 * exit_group syscall's argument must become the emulator's own exit status.
 * Values above 255 are truncated by the kernel (status & 0xff). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 42;
    printf("exiting with status %d\n", status);
    return status;
}
