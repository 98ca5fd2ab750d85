/* Memory shared as Linux shares it between a process and its forked children: MAP_SHARED
 * anonymous memory (and through /dev/zero, a memfd or a file) is one memory for both,
 * MAP_PRIVATE memory is each one's own after the fork, and a child's munmap or mprotect is
 * its own business.
 * mremap grows a mapping as Linux does: a file mapping into the file's next pages, a shared
 * anonymous one into pages past the end of its object, which are a bus error.
 *   shmem anon | devzero | memfd | file DIR | private | unmap | grow DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L
#define ROUNDS 20000

static int fails;

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        fails++;
}

/* Runs `child` in a forked child and waits for it; its exit status, or -1. */
static int in_child(int (*child)(void *), void *arg) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(child(arg));
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static void *map(void *at, long len, int flags, int fd) {
    void *p = mmap(at, len, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap: %s\n", strerror(errno));
        exit(1);
    }
    return p;
}

/* Both sides add one ROUNDS times, at the same time. */
static void count(_Atomic long *c) {
    for (int i = 0; i < ROUNDS; i++)
        atomic_fetch_add(c, 1);
}

static int child_counts(void *p) {
    count(p);
    strcpy((char *)p + 2 * PG, "written by the child");
    return 0;
}

/* The child sees what the parent wrote before the fork, both increment one counter, and the
 * parent reads what the child wrote in the third page. */
static void shared_with_child(char *p, const char *what) {
    char line[128];
    strcpy(p + PG, "written before the fork");
    atomic_store((_Atomic long *)p, 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(strcmp(p + PG, "written before the fork") != 0 || child_counts(p));
    count((_Atomic long *)p);
    int st;
    waitpid(pid, &st, 0);
    snprintf(line, sizeof line, "%s: child exited 0", what);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, line);
    printf("%s: counter %ld (of %d)\n", what, atomic_load((_Atomic long *)p), 2 * ROUNDS);
    printf("%s: parent reads \"%s\"\n", what, p + 2 * PG);
}

static int anon(void) {
    char *p = map(0, 4 * PG, MAP_SHARED | MAP_ANONYMOUS, -1);
    shared_with_child(p, "anon");
    /* Shared anonymous memory is a file of its own: MADV_DONTNEED drops the page tables, not
     * the contents (a private mapping would read zero again). */
    check(madvise(p, 4 * PG, MADV_DONTNEED) == 0, "anon: madvise DONTNEED");
    check(strcmp(p + 2 * PG, "written by the child") == 0, "anon: contents survive DONTNEED");
    /* Moved by mremap it stays shared. */
    char *to = mmap(0, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *q = mremap(p, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    check(q == to, "anon: mremap moved it");
    memset(q + 2 * PG, 0, PG);
    shared_with_child(q, "anon moved");
    /* A shared mapping made with MAP_FIXED over private memory. */
    char *r = map(q, 4 * PG, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1);
    check(r == q && r[PG] == 0, "anon: MAP_FIXED replaces with zeroes");
    shared_with_child(r, "anon fixed");
    return 0;
}

static int devzero(void) {
    int fd = open("/dev/zero", O_RDWR);
    if (fd < 0)
        return printf("open /dev/zero: %s\n", strerror(errno)), 1;
    char *p = map(0, 4 * PG, MAP_SHARED, fd);
    close(fd);
    shared_with_child(p, "/dev/zero");
    return 0;
}

static int child_writes_map(void *p) {
    strcpy((char *)p + 100, "the child wrote the mapping");
    return 0;
}

static int child_writes_fd(void *arg) {
    int fd = *(int *)arg;
    const char s[] = "the child wrote the fd";
    return pwrite(fd, s, sizeof s, PG + 200) != sizeof s;
}

static int memfd(void) {
    if (memfd_create("shmem-test", ~0u) >= 0 || errno != EINVAL)
        fails++, printf("memfd_create with unknown flags: not EINVAL\n");
    /* Linux takes names of up to 249 bytes. Longer ones start at every 16-byte offset (an
     * emulator reading strings in aligned chunks must not depend on where one starts). */
    char longname[600];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    int too_long = 0;
    for (int k = 0; k < 16; k++) {
        errno = 0;
        too_long += memfd_create(longname + 16 * k, 0) < 0 && errno == EINVAL;
    }
    check(too_long == 16, "memfd: names of 359 to 599 bytes are EINVAL");
    int longest = memfd_create(longname + sizeof longname - 250, 0);
    check(longest >= 0, "memfd: a 249-byte name is fine");
    close(longest);
    errno = 0;
    check(memfd_create((char *)8, 0) < 0 && errno == EFAULT, "memfd: a wild name is EFAULT");
    int fd = memfd_create("shmem-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return printf("memfd_create: %s\n", strerror(errno)), 1;
    char link[64], target[128] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if (readlink(link, target, sizeof target - 1) < 0)
        strcpy(target, strerror(errno));
    printf("memfd: %s\n", target);
    printf("memfd: FD_CLOEXEC %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
    check(ftruncate(fd, 2 * PG) == 0, "memfd: ftruncate to 2 pages");
    char *p = map(0, 2 * PG, MAP_SHARED, fd);
    check(in_child(child_writes_map, p) == 0, "memfd: child wrote through the mapping");
    char buf[64] = "";
    pread(fd, buf, sizeof buf, 100);
    printf("memfd: read through the fd \"%s\"\n", buf);
    check(in_child(child_writes_fd, &fd) == 0, "memfd: child wrote through the fd");
    printf("memfd: mapping reads \"%s\"\n", p + PG + 200);
    printf("memfd: seals %#x\n", fcntl(fd, F_GET_SEALS));
    check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "memfd: add seals");
    printf("memfd: seals %#x\n", fcntl(fd, F_GET_SEALS));
    errno = 0;
    check(ftruncate(fd, 3 * PG) < 0 && errno == EPERM, "memfd: sealed grow is EPERM");
    errno = 0;
    check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EBUSY,
          "memfd: SEAL_WRITE with a writable mapping is EBUSY");
    int plain = memfd_create("plain", 0);
    errno = 0;
    check(fcntl(plain, F_ADD_SEALS, F_SEAL_GROW) < 0 && errno == EPERM,
          "memfd: sealing without MFD_ALLOW_SEALING is EPERM");
    printf("memfd: plain seals %#x\n", fcntl(plain, F_GET_SEALS));
    return 0;
}

static int child_writes_file(void *p) {
    memcpy((char *)p + PG, "CHILD", 5);
    return 0;
}

static int child_reads_file(void *path) {
    /* The host's (or qemu's host's) cat: a native program reading the file the parent's
     * mapping wrote. */
    execl("/bin/cat", "cat", (char *)path, (char *)0);
    return 127;
}

static int file(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/shared-file", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 2 * PG) < 0)
        return printf("file: %s\n", strerror(errno)), 1;
    char *p = map(0, 2 * PG, MAP_SHARED, fd);
    check(in_child(child_writes_file, p) == 0, "file: child wrote the mapping");
    char buf[8] = "";
    pread(fd, buf, 5, PG);
    printf("file: parent's read() \"%s\", parent's mapping \"%.5s\"\n", buf, p + PG);
    /* The parent writes the mapping; another process reads the file with read(). */
    char *text = "written through a shared mapping\n";
    memcpy(p, text, strlen(text));
    check(ftruncate(fd, strlen(text)) == 0, "file: truncated to the text");
    printf("file: cat says: ");
    check(in_child(child_reads_file, path) == 0, "file: cat exited 0");
    return 0;
}

static int child_scribbles(void *p) {
    strcpy(p, "child's own copy");
    return strcmp(p, "child's own copy") != 0;
}

static int private(void) {
    char *p = map(0, PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    strcpy(p, "parent's");
    check(in_child(child_scribbles, p) == 0, "private: child wrote its copy");
    printf("private: parent still reads \"%s\"\n", p);
    int fd = open("/dev/zero", O_RDWR);
    char *z = map(0, PG, MAP_PRIVATE, fd);
    strcpy(z, "parent's /dev/zero");
    check(in_child(child_scribbles, z) == 0, "private /dev/zero: child wrote its copy");
    printf("private /dev/zero: parent still reads \"%s\"\n", z);
    return 0;
}

static int child_unmaps(void *p) {
    if (munmap(p, 2 * PG) != 0)
        return 1;
    /* A fresh mapping at the same place is the child's alone. */
    char *q = mmap(p, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (q != p)
        return 2;
    strcpy(q, "child's private page");
    return 0;
}

static int child_protects(void *p) {
    return mprotect(p, 2 * PG, PROT_NONE) != 0;
}

static int unmap(void) {
    char *p = map(0, 2 * PG, MAP_SHARED | MAP_ANONYMOUS, -1);
    strcpy(p, "still mapped in the parent");
    check(in_child(child_unmaps, p) == 0, "unmap: child unmapped and remapped");
    printf("unmap: parent reads \"%s\"\n", p);
    check(in_child(child_protects, p) == 0, "unmap: child made it PROT_NONE");
    strcpy(p + PG, "and writable");
    printf("unmap: parent writes and reads \"%s\"\n", p + PG);
    return 0;
}

static sigjmp_buf bus_jump;

static void on_bus(int sig) {
    siglongjmp(bus_jump, sig);
}

/* What reading p[0] does: the byte, or the signal. */
static void touch(const char *what, volatile char *p) {
    int sig = sigsetjmp(bus_jump, 1);
    if (sig)
        printf("%s: signal %d\n", what, sig);
    else
        printf("%s: reads %d\n", what, *p);
}

/* A free range of `len` bytes with nothing mapped after its first page. */
static char *with_room(long len) {
    char *p = map(0, len, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    munmap(p + PG, len - PG);
    return p;
}

static int grow(const char *dir) {
    signal(SIGBUS, on_bus);
    char *p = with_room(3 * PG);
    char *s = map(p, PG, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1);
    s[0] = 42;
    check(mremap(s, PG, 3 * PG, 0) == s, "shared anon: grown in place");
    touch("shared anon: first page", s);
    touch("shared anon: grown page", s + PG);
    char *to = with_room(4 * PG);
    munmap(to, PG);
    char *m = mremap(s, 3 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    check(m == to, "shared anon: grown and moved");
    touch("shared anon moved: first page", m);
    touch("shared anon moved: grown page", m + 3 * PG);

    char *o = map(0, 2 * PG, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    o[0] = 7;
    errno = 0;
    check(mremap(o, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, o + PG) == MAP_FAILED &&
              errno == EINVAL,
          "mremap onto itself is EINVAL");
    touch("mremap onto itself: first page", o);

    char path[4096];
    snprintf(path, sizeof path, "%s/grow-file", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 3 * PG) < 0 || pwrite(fd, "\1", 1, PG) != 1 ||
        pwrite(fd, "\2", 1, 2 * PG) != 1)
        return printf("grow: %s\n", strerror(errno)), 1;
    for (int shared = 0; shared < 2; shared++) {
        const char *kind = shared ? "shared file" : "private file";
        char line[64];
        p = with_room(2 * PG);
        char *f = mmap(p, PG, PROT_READ, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, 0);
        snprintf(line, sizeof line, "%s: grown in place", kind);
        check(f == p && mremap(f, PG, 2 * PG, 0) == f, line);
        snprintf(line, sizeof line, "%s: grown page", kind);
        touch(line, f + PG);
        to = with_room(3 * PG);
        munmap(to, PG);
        char *g = mremap(f, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
        snprintf(line, sizeof line, "%s: grown and moved", kind);
        check(g == to, line);
        snprintf(line, sizeof line, "%s moved: grown page", kind);
        touch(line, g + 2 * PG);
    }
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "";
    int r;
    if (!strcmp(mode, "anon"))
        r = anon();
    else if (!strcmp(mode, "devzero"))
        r = devzero();
    else if (!strcmp(mode, "memfd"))
        r = memfd();
    else if (!strcmp(mode, "file") && argc > 2)
        r = file(argv[2]);
    else if (!strcmp(mode, "private"))
        r = private();
    else if (!strcmp(mode, "unmap"))
        r = unmap();
    else if (!strcmp(mode, "grow") && argc > 2)
        r = grow(argv[2]);
    else
        return printf("usage: shmem anon|devzero|memfd|file DIR|private|unmap|grow DIR\n"), 2;
    return r || fails;
}
