/* args: the initial process state the loader builds: argc/argv, the environment (only
 * variables named MIMIC_TEST_*, sorted, so the test controls exactly what is compared)
 * and the auxiliary vector read with getauxval. Only deterministic auxv facts are
 * printed: values for AT_PAGESZ, AT_HWCAP (hex and ISA letters), AT_SECURE, AT_CLKTCK,
 * and only "non-zero?" for the address-valued entries (AT_RANDOM, AT_PHDR, AT_ENTRY,
 * AT_EXECFN), plus a few consistency checks that hold for any correct loader.
 * Exit status 0. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        /* argv[0] is whatever the runner passed as the program path; print only its basename */
        const char *a = argv[i];
        if (i == 0) {
            const char *slash = strrchr(a, '/');
            a = slash ? slash + 1 : a;
        }
        if (i == 0)
            printf("argv[0] basename=[%s]\n", a); /* its length depends on the checkout path */
        else
            printf("argv[%d]=[%s] len=%zu\n", i, a, strlen(argv[i]));
    }
    printf("argv[argc]==NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    printf("envp==environ: %s\n", envp == environ ? "yes" : "no");
    printf("envp follows argv: %s\n", envp == argv + argc + 1 ? "yes" : "no");

    /* collect MIMIC_TEST_* and sort */
    size_t n = 0, total = 0;
    for (char **e = envp; *e; e++) {
        total++;
        if (strncmp(*e, "MIMIC_TEST_", 11) == 0)
            n++;
    }
    char **sel = calloc(n + 1, sizeof *sel);
    size_t k = 0;
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "MIMIC_TEST_", 11) == 0)
            sel[k++] = *e;
    qsort(sel, n, sizeof *sel, cmp_str);
    printf("MIMIC_TEST_ variables: %zu\n", n);
    for (size_t i = 0; i < n; i++)
        printf("env: %s\n", sel[i]);
    const char *g = getenv("MIMIC_TEST_GREETING");
    printf("getenv(MIMIC_TEST_GREETING)=%s\n", g ? g : "(null)");
    free(sel);
    (void)total;

    /* auxiliary vector */
    unsigned long pagesz = getauxval(AT_PAGESZ);
    unsigned long hwcap = getauxval(AT_HWCAP);
    printf("AT_PAGESZ=%lu\n", pagesz);
    printf("AT_HWCAP=0x%lx letters=", hwcap);
    for (int b = 0; b < 26; b++)
        if (hwcap & (1UL << b))
            putchar('a' + b);
    putchar('\n');
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    unsigned long rnd = getauxval(AT_RANDOM), phdr = getauxval(AT_PHDR);
    unsigned long entry = getauxval(AT_ENTRY), execfn = getauxval(AT_EXECFN);
    printf("AT_RANDOM nonzero=%d\n", rnd != 0);
    printf("AT_PHDR nonzero=%d\n", phdr != 0);
    printf("AT_ENTRY nonzero=%d\n", entry != 0);
    printf("AT_EXECFN nonzero=%d\n", execfn != 0);
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));

    /* consistency checks that hold for every correct loader */
    if (phdr) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)phdr;
        unsigned long phnum = getauxval(AT_PHNUM);
        int has_load = 0;
        for (unsigned long i = 0; i < phnum; i++)
            has_load |= ph[i].p_type == PT_LOAD;
        printf("AT_PHDR points at program headers with a PT_LOAD: %s\n", has_load ? "yes" : "no");
    }
    if (execfn) {
        const char *fn = (const char *)execfn;
        const char *slash = strrchr(fn, '/');
        printf("AT_EXECFN basename=%s\n", slash ? slash + 1 : fn);
    }
    extern void _start(void);
    printf("AT_ENTRY==&_start: %s\n", entry == (unsigned long)&_start ? "yes" : "no");
    printf("argv is 8-byte aligned: %s\n", ((unsigned long)argv % 8) == 0 ? "yes" : "no");
    return 0;
}
