/* The TUI debugger's guest (tui/tests/debugger.rs): built -O0 -g and not stripped, so the
 * TUI has its symbols, line table and unwind tables. Calls two and three deep (a leaf, a
 * loop of calls, a recursion) for step over, finish and the backtrace; `segv` stores
 * through NULL three calls deep (post-mortem); `echo` copies stdin upper-cased (stdin
 * passthrough). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int square(int x)
{
    return x * x;
}

static int sum_squares(int n)
{
    int s = 0;
    for (int i = 1; i <= n; i++)
        s += square(i);
    return s;
}

static int depth(int n)
{
    if (n == 0)
        return 0;
    return 1 + depth(n - 1);
}

static void poke(int *p, int v)
{
    *p = v;
}

static void crash(int *p)
{
    poke(p, 42);
}

static int echo(void)
{
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
        for (char *c = line; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        fputs(line, stdout);
        n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "calls";
    if (strcmp(mode, "segv") == 0) {
        printf("about to store through NULL\n");
        fflush(stdout);
        crash(NULL);
        return 1;
    }
    if (strcmp(mode, "echo") == 0) {
        int n = echo();
        printf("%d lines\n", n);
        return 0;
    }
    int s = sum_squares(10);
    printf("sum of squares 1..10 = %d\n", s);
    printf("depth %d\n", depth(5));
    return 0;
}
