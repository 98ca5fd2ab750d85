/* segv: prints a line, flushes, then stores through a NULL pointer. The process must die
 * from SIGSEGV: status 139 (128+11), with the line printed before on stdout. */
#include <stdio.h>

int main(void)
{
    printf("about to write through NULL\n");
    fflush(stdout);
    volatile int *p = (volatile int *)0;
    *p = 42;
    printf("not reached\n");
    return 0;
}
