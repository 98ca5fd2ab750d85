/* abort: prints a line, flushes it, then calls abort(). glibc's abort() raises SIGABRT
 * (via rt_sigprocmask + tgkill); the process must die from SIGABRT: status 134 (128+6),
 * and the line printed before must reach stdout. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("about to abort\n");
    fflush(stdout);
    abort();
    printf("not reached\n");
    return 0;
}
