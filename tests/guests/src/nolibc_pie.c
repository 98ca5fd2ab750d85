/* nolibc_pie: a static-pie (ET_DYN, no PT_INTERP) built without any C library, because
 * Debian's riscv64 glibc 2.36 cannot link -static-pie (no rcrt1.o, no
 * _dl_relocate_static_pie). The loader must map it at some base address and enter at
 * base + e_entry with the standard initial stack; the program then relocates itself
 * (applies its R_RISCV_RELATIVE relocations, as glibc's static-pie start code does),
 * and prints: hello, argc/argv, the MIMIC_TEST_* environment (sorted),
 * deterministic auxv entries, and checks that its pointer table was relocated.
 * Only raw syscalls (write, exit_group) are used. Exit status 0, 1 if a check failed. */
#pragma GCC visibility push(hidden)
#include <elf.h>
#include <stddef.h>
#include <stdint.h>

static long sys3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c, a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}
static void put(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    sys3(64 /* write */, 1, (long)s, (long)n);
}
static void putu(unsigned long v, int base)
{
    char buf[32], *p = buf + sizeof buf;
    *--p = 0;
    do {
        *--p = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16)
        put("0x");
    put(p);
}
static int cmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
static int starts_with(const char *s, const char *pre)
{
    while (*pre)
        if (*s++ != *pre++)
            return 0;
    return 1;
}

/* pointers in initialised data: each one needs an R_RISCV_RELATIVE relocation */
static const char *const greetings[] = {"Hello", "from", "a", "static-pie", "without", "libc!"};
static const char *(*const self_ptr)[6] = (const char *(*)[6])&greetings;

extern const Elf64_Ehdr __ehdr_start;
extern Elf64_Dyn _DYNAMIC[];

static void relocate(uintptr_t base)
{
    Elf64_Rela *rela = 0;
    size_t relasz = 0;
    for (Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_RELA)
            rela = (Elf64_Rela *)(base + d->d_un.d_ptr);
        else if (d->d_tag == DT_RELASZ)
            relasz = d->d_un.d_val;
    }
    for (size_t i = 0; rela && i < relasz / sizeof *rela; i++)
        if (ELF64_R_TYPE(rela[i].r_info) == R_RISCV_RELATIVE)
            *(uint64_t *)(base + rela[i].r_offset) = base + rela[i].r_addend;
}

__attribute__((used)) static void cmain(uintptr_t *sp)
{
    /* link-time address of the ELF header is 0, so its run-time address is the base */
    uintptr_t base = (uintptr_t)&__ehdr_start;
    relocate(base);
    __asm__ volatile("fence.i" ::: "memory");

    long argc = (long)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **e = envp;
    while (*e)
        e++;
    Elf64_auxv_t *auxv = (Elf64_auxv_t *)(e + 1);

    int bad = 0;
    for (int i = 0; i < 6; i++) {
        put((*self_ptr)[i]);
        put(i < 5 ? " " : "\n");
    }
    put("loaded at a non-zero base: ");
    put(base ? "yes\n" : "no\n");
    put("argc=");
    putu(argc, 10);
    put("\n");
    for (long i = 1; i < argc; i++) {
        put("argv[");
        putu(i, 10);
        put("]=[");
        put(argv[i]);
        put("]\n");
    }
    /* MIMIC_TEST_* sorted (insertion sort): environment order is not something to pin
     * down here (qemu-user passes it in reverse, Linux in the order given) */
    char *sel[16];
    int n = 0;
    for (char **p = envp; *p && n < 16; p++)
        if (starts_with(*p, "MIMIC_TEST_")) {
            int j = n++;
            for (; j > 0 && cmp(sel[j - 1], *p) > 0; j--)
                sel[j] = sel[j - 1];
            sel[j] = *p;
        }
    for (int i = 0; i < n; i++) {
        put("env: ");
        put(sel[i]);
        put("\n");
    }
    uintptr_t entry = 0, phdr = 0;
    for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++) {
        switch (a->a_type) {
        case AT_PAGESZ: put("AT_PAGESZ="); putu(a->a_un.a_val, 10); put("\n"); break;
        case AT_HWCAP: put("AT_HWCAP="); putu(a->a_un.a_val, 16); put("\n"); break;
        case AT_PHENT: put("AT_PHENT="); putu(a->a_un.a_val, 10); put("\n"); break;
        case AT_PHNUM: put("AT_PHNUM="); putu(a->a_un.a_val, 10); put("\n"); break;
        case AT_ENTRY: entry = a->a_un.a_val; break;
        case AT_PHDR: phdr = a->a_un.a_val; break;
        }
    }
    extern void _start(void);
    int entry_ok = entry == (uintptr_t)&_start && entry == base + __ehdr_start.e_entry;
    int phdr_ok = phdr == base + __ehdr_start.e_phoff;
    put("AT_ENTRY == base + e_entry == &_start: ");
    put(entry_ok ? "yes\n" : "no\n");
    put("AT_PHDR == base + e_phoff: ");
    put(phdr_ok ? "yes\n" : "no\n");
    bad += !entry_ok + !phdr_ok;
    sys3(94 /* exit_group */, bad ? 1 : 0, 0, 0);
    for (;;)
        ;
}

/* entry: a0 = sp (argc, argv..., 0, envp..., 0, auxv...), keep sp 16-byte aligned */
__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "  mv a0, sp\n"
        "  andi sp, sp, -16\n"
        "  call cmain\n"
        "  unimp\n");
