/* A small program for the Debian gcc driver to compile and link inside the sysroot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(int argc, char **argv) {
    qsort(argv + 1, argc - 1, sizeof *argv, cmp);
    for (int i = 1; i < argc; i++) printf("%s%c", argv[i], i + 1 < argc ? ' ' : '\n');
    double x = 0; for (int i = 1; i <= 1000; i++) x += 1.0 / ((double)i * i);
    printf("%.9f\n", x);
    return argc;
}
