/* hostile_mmap: mappings at and past the end of the guest address space.
 *
 * mmap with MAP_FIXED, MAP_FIXED_NOREPLACE and plain hints at the last page below 1<<38 (the
 * end of an Sv39 user space), at 1<<38, 1<<47, 1<<63, ranges that wrap past 2^64 and huge
 * lengths; mremap growing into the end; munmap, mprotect and madvise of ranges crossing it.
 * One line per call: what came back ("ok", "ok at hint", "ok elsewhere" or the errno name).
 *
 * qemu-riscv64 on an x86-64 host gives the guest a 47-bit space, so these answers are held
 * to what an Sv39 riscv64 kernel gives, in tests/hostile.rs, not to a qemu golden. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define PAGE 4096UL
#define END (1UL << 38)

static const char *ename(long r)
{
    static char buf[32];
    switch (-r) {
#define E(x) case x: return #x;
        E(EFAULT) E(EINVAL) E(ENOMEM) E(EEXIST) E(EPERM) E(EACCES) E(EAGAIN)
#undef E
    }
    snprintf(buf, sizeof buf, "errno %ld", -r);
    return buf;
}

static long sys(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    long r = syscall(nr, a0, a1, a2, a3, a4, a5);
    return r == -1 ? -errno : r;
}

static void show(const char *what, long r)
{
    printf("%-44s %s\n", what, r < 0 && r > -4096 ? ename(r) : "ok");
}

/* mmap, telling whether a success landed at the address asked for. */
static long map(const char *what, unsigned long addr, unsigned long len, int flags)
{
    long r = sys(SYS_mmap, addr, len, PROT_READ | PROT_WRITE, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0 && r > -4096)
        printf("%-44s %s\n", what, ename(r));
    else
        printf("%-44s %s\n", what, (unsigned long)r == addr ? "ok at hint" : "ok elsewhere");
    return r;
}

int main(void)
{
    setvbuf(stdout, 0, _IOLBF, 0);
    const unsigned long last = END - PAGE;

    long r = map("fixed last page", last, PAGE, MAP_FIXED);
    if ((unsigned long)r == last) {
        volatile char *p = (char *)last;
        p[PAGE - 1] = 42;
        printf("%-44s %d\n", "last byte written and read", p[PAGE - 1]);
    }
    map("fixed_noreplace over last page", last, PAGE, MAP_FIXED_NOREPLACE);
    map("fixed last page + 1 past end", last, 2 * PAGE, MAP_FIXED);
    map("fixed at end", END, PAGE, MAP_FIXED);
    map("fixed_noreplace at end", END, PAGE, MAP_FIXED_NOREPLACE);
    map("fixed at 1<<47", 1UL << 47, PAGE, MAP_FIXED);
    map("fixed at 1<<63", 1UL << 63, PAGE, MAP_FIXED);
    map("fixed wrapping 2^64", -PAGE, 2 * PAGE, MAP_FIXED);
    map("fixed_noreplace wrapping 2^64", -PAGE, 2 * PAGE, MAP_FIXED_NOREPLACE);
    map("fixed at 0 len 1<<62", 0, 1UL << 62, MAP_FIXED);
    map("hint at end", END, PAGE, 0);
    map("hint at last page, 2 pages", last, 2 * PAGE, 0);
    map("hint at 1<<47", 1UL << 47, PAGE, 0);
    map("hint at 1<<63", 1UL << 63, PAGE, 0);
    map("len 0", 0, 0, 0);
    map("len ~0", 0, ~0UL, 0);
    map("len ~0-4095", 0, ~0UL - 4095, 0);
    map("len 1<<62", 0, 1UL << 62, 0);
    map("len 1<<38", 0, END, 0);
    map("fixed unaligned", last + 1, PAGE, MAP_FIXED);

    /* mremap: the last page cannot grow in place past the end; moving it works */
    show("mremap last page grow in place", sys(SYS_mremap, last, PAGE, 2 * PAGE, 0, 0, 0));
    long moved = sys(SYS_mremap, last, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0, 0);
    show("mremap last page grow, may move", moved);
    if (moved > 0)
        printf("%-44s %d\n", "moved page keeps its byte", ((char *)moved)[PAGE - 1]);
    long page = map("a page to move", 0, PAGE, 0);
    show("mremap to fixed past end", sys(SYS_mremap, page, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, last, 0));
    show("mremap to fixed at 1<<47", sys(SYS_mremap, page, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, 1L << 47, 0));
    show("mremap from past end", sys(SYS_mremap, END, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0, 0));
    show("mremap to len 1<<62", sys(SYS_mremap, page, PAGE, 1UL << 62, MREMAP_MAYMOVE, 0, 0));

    /* the last page again, then calls on ranges that cross the end */
    map("fixed last page again", last, PAGE, MAP_FIXED);
    show("mprotect last page", sys(SYS_mprotect, last, PAGE, PROT_READ, 0, 0, 0));
    show("mprotect across end", sys(SYS_mprotect, last, 2 * PAGE, PROT_READ, 0, 0, 0));
    show("mprotect at end", sys(SYS_mprotect, END, PAGE, PROT_READ, 0, 0, 0));
    show("mprotect wrapping", sys(SYS_mprotect, -PAGE, 2 * PAGE, PROT_READ, 0, 0, 0));
    show("madvise across end", sys(SYS_madvise, last, 2 * PAGE, MADV_DONTNEED, 0, 0, 0));
    show("madvise wrapping", sys(SYS_madvise, -PAGE, 2 * PAGE, MADV_DONTNEED, 0, 0, 0));
    show("munmap across end", sys(SYS_munmap, last, 2 * PAGE, 0, 0, 0, 0));
    show("munmap at end", sys(SYS_munmap, END, PAGE, 0, 0, 0, 0));
    show("munmap at 1<<63", sys(SYS_munmap, 1L << 63, PAGE, 0, 0, 0, 0));
    show("munmap wrapping", sys(SYS_munmap, -PAGE, 2 * PAGE, 0, 0, 0, 0));
    show("munmap len ~0", sys(SYS_munmap, PAGE, ~0UL, 0, 0, 0, 0));
    show("munmap last page", sys(SYS_munmap, last, PAGE, 0, 0, 0, 0));
    /* brk answers a refusal with the old break */
    long brk0 = sys(SYS_brk, 0, 0, 0, 0, 0, 0);
    printf("%-44s %s\n", "brk to end", sys(SYS_brk, END, 0, 0, 0, 0, 0) == brk0 ? "refused" : "moved");
    printf("%-44s %s\n", "brk to ~0", sys(SYS_brk, ~0UL, 0, 0, 0, 0, 0) == brk0 ? "refused" : "moved");

    /* the program still runs: malloc and a fresh mapping work */
    char *p = mmap(0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 7, 3 * PAGE);
    printf("%-44s %d\n", "fresh mapping works", p[3 * PAGE - 1]);
    return 0;
}
