/* File mappings as Linux makes them: pages read when touched (a huge private mapping of
 * /dev/zero or of a large sparse file costs nothing until then), MADV_DONTNEED on a private
 * file mapping reads the file again (anonymous memory reads zero), madvise's errors, and an
 * access past the end of the file is SIGBUS.
 *   mmapfile lazy DIR | dontneed DIR | eof DIR | advice-errors DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096L

static char path[4096];

static int make_file(const char *dir, const char *name, long size, const char *text) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, size) < 0)
        return -1;
    if (text && pwrite(fd, text, strlen(text), 0) < 0)
        return -1;
    return fd;
}

static int lazy(const char *dir) {
    long gib = 1L << 30;
    int z = open("/dev/zero", O_RDONLY);
    unsigned char *a = mmap(0, gib, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    if (a == MAP_FAILED)
        return printf("mmap /dev/zero: %s\n", strerror(errno)), 1;
    long sum = 0;
    for (long off = 0; off < gib; off += gib / 8) {
        sum += a[off];
        a[off + 1] = 7;
        sum += a[off + 1];
    }
    printf("/dev/zero 1 GiB: sum of touched bytes %ld\n", sum);
    long big = 512L << 20;
    int fd = make_file(dir, "big", big, "head of a big file");
    unsigned char *f = mmap(0, big, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f == MAP_FAILED)
        return printf("mmap big: %s\n", strerror(errno)), 1;
    printf("big file starts: %.18s\n", f);
    sum = 0;
    for (long off = PG; off < big; off += big / 16)
        sum += f[off];
    printf("big file: sum of touched bytes %ld\n", sum);
    return 0;
}

static int dontneed(const char *dir) {
    int fd = make_file(dir, "text", 2 * PG, "original file bytes");
    char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return printf("mmap: %s\n", strerror(errno)), 1;
    memcpy(p, "changed", 7);
    printf("private copy: %.19s\n", p);
    printf("madvise DONTNEED: %d\n", madvise(p, 2 * PG, MADV_DONTNEED));
    printf("after DONTNEED: %.19s\n", p);

    char *s = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(s, "shared", 6);
    msync(s, PG, MS_SYNC);
    char back[20] = {0};
    pread(fd, back, 19, 0);
    printf("shared write reaches the file: %s\n", back);
    madvise(s, PG, MADV_DONTNEED);
    printf("shared after DONTNEED: %.19s\n", s);

    char *anon = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    anon[5] = 9;
    madvise(anon, PG, MADV_DONTNEED);
    printf("anonymous after DONTNEED: %d\n", anon[5]);

    int r = madvise(p + 1, PG, MADV_NORMAL);
    printf("unaligned: %d %s\n", r, r ? strerror(errno) : "");
    r = madvise(p, PG, MADV_SEQUENTIAL);
    printf("SEQUENTIAL: %d\n", r);

    int wo = open(path, O_WRONLY);
    void *w = mmap(0, PG, PROT_READ, MAP_PRIVATE, wo, 0);
    printf("write-only fd: %s\n", w == MAP_FAILED ? strerror(errno) : "mapped");
    int ro = open(path, O_RDONLY);
    w = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("shared writable of a read-only fd: %s\n", w == MAP_FAILED ? strerror(errno) : "mapped");
    w = mmap(0, PG, PROT_READ, MAP_SHARED, ro, 0);
    r = mprotect(w, PG, PROT_READ | PROT_WRITE);
    printf("mprotect it writable: %d %s\n", r, r ? strerror(errno) : "");
    int d = open(dir, O_RDONLY);
    w = mmap(0, PG, PROT_READ, MAP_PRIVATE, d, 0);
    printf("directory: %s\n", w == MAP_FAILED ? strerror(errno) : "mapped");
    int pp[2];
    pipe(pp);
    w = mmap(0, PG, PROT_READ, MAP_PRIVATE, pp[0], 0);
    printf("pipe: %s\n", w == MAP_FAILED ? strerror(errno) : "mapped");
    return 0;
}

/* What qemu-user does not do (its madvise accepts anything): Linux's errors. */
static int advice_errors(void) {
    char *anon = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int r = madvise(anon, PG, 12345);
    printf("unknown advice: %d %s\n", r, r ? strerror(errno) : "");
    r = madvise(anon, 0, 12345);
    printf("unknown advice, empty range: %d %s\n", r, r ? strerror(errno) : "");
    munmap(anon + PG, PG);
    anon[0] = 1;
    r = madvise(anon, 2 * PG, MADV_DONTNEED);
    printf("DONTNEED over a hole: %d %s, mapped part dropped: %d\n", r, r ? strerror(errno) : "",
           anon[0] == 0);
    return 0;
}

static sigjmp_buf jb;
static volatile char *eof_base;

static void on_bus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("signal %s code %d at page %ld\n", sig == SIGBUS ? "SIGBUS" : "other", si->si_code,
           (long)((char *)si->si_addr - (char *)eof_base) / PG);
    siglongjmp(jb, 1);
}

static int eof(const char *dir) {
    int fd = make_file(dir, "short", 100, "a short file");
    volatile char *p = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    eof_base = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, 0);
    printf("in the file: %c, rest of its page: %d\n", p[0], p[PG - 1]);
    if (sigsetjmp(jb, 1) == 0)
        printf("read past the end: %d\n", p[PG + 10]);
    if (sigsetjmp(jb, 1) == 0) {
        p[2 * PG] = 1;
        printf("wrote past the end\n");
    }
    char buf[16];
    ssize_t n = write(open("/dev/null", O_WRONLY), (char *)p + PG, 16);
    printf("write() from past the end: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    (void)buf;
    /* No handler: the process dies of it. */
    signal(SIGBUS, SIG_DFL);
    return p[PG];
}

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    setvbuf(stdout, 0, _IONBF, 0);
    if (!strcmp(argv[1], "lazy"))
        return lazy(argv[2]);
    if (!strcmp(argv[1], "dontneed"))
        return dontneed(argv[2]);
    if (!strcmp(argv[1], "advice-errors"))
        return advice_errors();
    if (!strcmp(argv[1], "eof"))
        return eof(argv[2]);
    return 2;
}
