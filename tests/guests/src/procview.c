/* /proc/self as a riscv64 process sees it: maps, mem, exe, cmdline, environ, auxv, stat,
 * status, reached by every spelling, and nothing of the emulator's host process through it.
 *
 * Prints one "name: yes|no" line per fact checked; exits 1 if any is "no".
 *   procview DIR        every check, DIR a scratch directory (mimic: tests/procview.rs)
 *   procview basic      only what qemu-riscv64 also emulates (the golden case)
 *   procview child      what execve("/proc/self/exe", {.., "child"}) runs: one line */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The machine this program is built for: riscv64, or the host when tests/oracle.rs builds it
 * to run natively (the "exe is riscv" lines then check the host's machine). */
#ifdef __riscv
#define EM_SELF EM_RISCV
#else
#define EM_SELF EM_X86_64
#endif

extern char **environ;

static int failures;
static void check(const char *name, int ok) {
    printf("%s: %s\n", name, ok ? "yes" : "no");
    if (!ok)
        failures++;
}

#define GUEST_TOP (1ULL << 38)

/* Reads a whole file (up to 1 MiB) opened as fd; returns its length, -1 on error. */
static long slurp_fd(int fd, char *buf, long cap) {
    long n = 0, r;
    while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += r;
    buf[n] = 0;
    close(fd);
    return r < 0 ? -1 : n;
}
static long slurp(const char *path, char *buf, long cap) {
    int fd = open(path, O_RDONLY);
    return fd < 0 ? -1 : slurp_fd(fd, buf, cap);
}

static char text[1 << 20];

/* The maps line holding addr, copied to line; 0 if none. */
static int maps_line(const char *maps, uintptr_t addr, char *line, size_t cap) {
    const char *p = maps;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        unsigned long lo, hi;
        if (sscanf(p, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi) {
            len = len < cap - 1 ? len : cap - 1;
            memcpy(line, p, len);
            line[len] = 0;
            return 1;
        }
        p = nl ? nl + 1 : p + len;
    }
    return 0;
}

/* Every range in maps text lies below the guest's address limit; and there is at least one. */
static int maps_all_guest(const char *maps) {
    int n = 0;
    for (const char *p = maps; *p;) {
        unsigned long lo, hi;
        if (sscanf(p, "%lx-%lx", &lo, &hi) != 2 || lo >= GUEST_TOP || hi > GUEST_TOP || lo >= hi)
            return 0;
        n++;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return n > 0;
}

/* Whether fd holds the guest's maps: guest addresses only, its own [stack]. */
static int is_guest_maps(int fd) {
    static char buf[1 << 20];
    if (fd < 0 || slurp_fd(fd, buf, sizeof buf) <= 0)
        return 0;
    return maps_all_guest(buf) && strstr(buf, "[stack]") != NULL;
}

static volatile uint64_t secret = 0x1122334455667788ULL;

/* Whether fd is the guest's memory: secret reads back through it. */
static int is_guest_mem(int fd) {
    uint64_t v = 0;
    int ok = fd >= 0 && pread(fd, &v, 8, (off_t)(uintptr_t)&secret) == 8 && v == secret;
    if (fd >= 0)
        close(fd);
    return ok;
}

static volatile int sink;

/* Long enough to hold the replacement (li a0,N ; ret): two stores and the return. */
__attribute__((noinline, aligned(16))) static int patched(int x) {
    sink = x;
    sink = x + 1;
    return x + 2;
}

/* Writes "li a0,n ; ret" over fn through /proc/self/mem. */
static int patch(int fd, void *fn, int n) {
    uint32_t code[2] = {0x00000513u | ((uint32_t)n << 20), 0x00008067u};
    return pwrite(fd, code, sizeof code, (off_t)(uintptr_t)fn) == sizeof code;
}

static void basic(int argc, char **argv) {
    /* maps */
    check("maps read", slurp("/proc/self/maps", text, sizeof text) > 0);
    char line[512], exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = 0;
    check("readlink exe", el > 0 && realpath(argv[0], line) && strcmp(line, exe) == 0);
    int own = maps_line(text, (uintptr_t)&basic, line, sizeof line);
    check("maps text r-xp", own && strstr(line, " r-xp ") != NULL);
    check("maps text names the program", own && strstr(line, exe) != NULL);
    int local;
    own = maps_line(text, (uintptr_t)&local, line, sizeof line);
    check("maps stack", own && strstr(line, "rw-p") && strstr(line, "[stack]"));

    /* exe */
    unsigned char h[64];
    int fd = open("/proc/self/exe", O_RDONLY);
    check("exe is riscv", fd >= 0 && read(fd, h, 64) == 64 && memcmp(h, ELFMAG, 4) == 0 &&
                              ((Elf64_Ehdr *)h)->e_machine == EM_SELF);
    if (fd >= 0)
        close(fd);

    /* cmdline */
    long n = slurp("/proc/self/cmdline", text, sizeof text);
    long want = 0;
    int same = 1;
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        same &= want + (long)l <= n && memcmp(text + want, argv[i], l) == 0;
        want += l;
    }
    check("cmdline is argv", n == want && same);

    /* auxv */
    n = slurp("/proc/self/auxv", text, sizeof text);
    unsigned long pagesz = 0, phdr = 0;
    int terminated = 0;
    for (long i = 0; i + 16 <= n; i += 16) {
        unsigned long k, v;
        memcpy(&k, text + i, 8);
        memcpy(&v, text + i + 8, 8);
        if (k == AT_PAGESZ)
            pagesz = v;
        if (k == AT_PHDR)
            phdr = v;
        if (k == AT_NULL)
            terminated = i + 16 == n;
    }
    check("auxv AT_PAGESZ 4096", pagesz == 4096);
    check("auxv AT_PHDR", phdr != 0 && phdr == getauxval(AT_PHDR));
    check("auxv ends with AT_NULL", terminated);
}

/* Where qemu-riscv64 7.2 differs from Linux: it puts the guest stack at 1 << 38, above
 * the Sv39 user space, and its /proc/self/environ is its own host environment, in the
 * opposite order from the guest's. */
static void beyond_qemu(char **env0) {
    check("maps only guest addresses",
          slurp("/proc/self/maps", text, sizeof text) > 0 && maps_all_guest(text));
    long n = slurp("/proc/self/environ", text, sizeof text), want = 0;
    int same = 1;
    for (char **e = env0; *e; e++) {
        size_t l = strlen(*e) + 1;
        same &= want + (long)l <= n && memcmp(text + want, *e, l) == 0;
        want += l;
    }
    check("environ is the initial environment", n == want && same);
}

static void stat_checks(const char *argv0) {
    long n = slurp("/proc/self/stat", text, sizeof text);
    char comm[16];
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    snprintf(comm, sizeof comm, "%s", base);
    char want[64];
    snprintf(want, sizeof want, "%d (%s) R %d ", getpid(), comm, getppid());
    check("stat pid comm state ppid", n > 0 && strncmp(text, want, strlen(want)) == 0);
    /* Fields 26..28 (startcode, endcode, startstack) are guest addresses. */
    const char *p = strrchr(text, ')');
    unsigned long f[60] = {0};
    int k = 3;
    for (p = p ? p + 2 : text; *p && k < 60; k++) {
        f[k] = strtoul(p, (char **)&p, 10);
        while (*p == ' ' || (*p >= 'A' && *p <= 'Z'))
            p++;
    }
    int local;
    check("stat code and stack are the guest's",
          f[26] <= (uintptr_t)&stat_checks && (uintptr_t)&stat_checks < f[27] &&
              f[28] > (uintptr_t)&local && f[28] < GUEST_TOP && f[20] == 1);
    n = slurp("/proc/self/status", text, sizeof text);
    char name[64], pid[64];
    snprintf(name, sizeof name, "Name:\t%s\n", comm);
    snprintf(pid, sizeof pid, "\nPid:\t%d\n", getpid());
    check("status name pid", n > 0 && strncmp(text, name, strlen(name)) == 0 && strstr(text, pid));
    check("status VmSize", strstr(text, "\nVmSize:") && strstr(text, "\nThreads:\t1\n"));
    n = slurp("/proc/self/comm", text, sizeof text);
    snprintf(name, sizeof name, "%s\n", comm);
    check("comm", n > 0 && strcmp(text, name) == 0);
}

static void maps_more(void) {
    void *heap = sbrk(0);
    sbrk(8192);
    void *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *rw = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(rw + 4096, 4096, PROT_NONE);
    check("maps read again", slurp("/proc/self/maps", text, sizeof text) > 0);
    char line[512];
    check("maps heap", maps_line(text, (uintptr_t)heap, line, sizeof line) &&
                           strstr(line, "rw-p") && strstr(line, "[heap]"));
    check("maps anonymous r--p", maps_line(text, (uintptr_t)ro, line, sizeof line) &&
                                     strstr(line, " r--p 00000000 00:00 0 ") &&
                                     line[strlen(line) - 1] == ' ');
    check("maps split by mprotect",
          maps_line(text, (uintptr_t)rw, line, sizeof line) && strstr(line, " rw-p ") &&
              maps_line(text, (uintptr_t)rw + 4096, line, sizeof line) && strstr(line, " ---p ") &&
              maps_line(text, (uintptr_t)rw + 8192, line, sizeof line) && strstr(line, " rw-p "));
    int fd = open("/proc/self/exe", O_RDONLY);
    unsigned char *m = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    check("mmap exe is riscv", m != MAP_FAILED && memcmp(m, ELFMAG, 4) == 0 &&
                                   ((Elf64_Ehdr *)m)->e_machine == EM_SELF);
    char exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[el > 0 ? el : 0] = 0;
    slurp("/proc/self/maps", text, sizeof text);
    check("maps file mapping", m != MAP_FAILED && maps_line(text, (uintptr_t)m, line, sizeof line) &&
                                   strstr(line, " r--p 00000000 ") && strstr(line, exe));
    struct stat a, b;
    check("stat exe is the program", stat("/proc/self/exe", &a) == 0 && stat(exe, &b) == 0 &&
                                         a.st_ino == b.st_ino && a.st_size == b.st_size);
    if (fd >= 0)
        close(fd);
    munmap(ro, 8192);
    slurp("/proc/self/maps", text, sizeof text);
    check("maps forgets munmap", !maps_line(text, (uintptr_t)ro, line, sizeof line));
}

static void mem_checks(void) {
    int fd = open("/proc/self/mem", O_RDWR);
    uint64_t v = 0;
    check("mem read", fd >= 0 && pread(fd, &v, 8, (off_t)(uintptr_t)&secret) == 8 &&
                          v == 0x1122334455667788ULL);
    uint64_t nv = 0xdeadbeefcafef00dULL;
    check("mem write", pwrite(fd, &nv, 8, (off_t)(uintptr_t)&secret) == 8 && secret == nv);
    secret = 0x1122334455667788ULL;
    v = 0;
    check("mem lseek read", lseek(fd, (off_t)(uintptr_t)&secret, SEEK_SET) == (off_t)(uintptr_t)&secret &&
                                read(fd, &v, 8) == 8 && v == secret &&
                                lseek(fd, 0, SEEK_CUR) == (off_t)(uintptr_t)&secret + 8);
    char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mem writes a read-only page", pwrite(fd, "abc", 4, (off_t)(uintptr_t)ro) == 4 &&
                                             strcmp(ro, "abc") == 0);
    check("mem reaches a no-access page", pwrite(fd, "xyz", 4, (off_t)(uintptr_t)none) == 4 &&
                                              pread(fd, text, 4, (off_t)(uintptr_t)none) == 4 &&
                                              strcmp(text, "xyz") == 0);
    munmap(none, 4096);
    errno = 0;
    check("mem unmapped is EIO", pread(fd, &v, 8, (off_t)(uintptr_t)none) == -1 && errno == EIO);
    errno = 0;
    check("mem write unmapped is EIO", pwrite(fd, &v, 8, (off_t)(uintptr_t)none) == -1 && errno == EIO);
    /* A read running into an unmapped page stops there. */
    check("mem short read at a hole", pread(fd, text, 8192, (off_t)(uintptr_t)ro) == 4096);

    int (*volatile fn)(int) = patched;
    int before = fn(1);
    check("mem patches code", before == 3 && patch(fd, (void *)patched, 42) && fn(1) == 42 &&
                                  patch(fd, (void *)patched, 7) && fn(1) == 7);
    int rd = open("/proc/self/mem", O_RDONLY);
    errno = 0;
    check("mem read-only fd refuses writes", pwrite(rd, &nv, 8, (off_t)(uintptr_t)&secret) == -1 &&
                                                 errno == EBADF);
    char link[64], want[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", rd);
    snprintf(want, sizeof want, "/proc/%d/mem", getpid());
    ssize_t l = readlink(link, text, 64);
    check("mem fd link", l == (ssize_t)strlen(want) && memcmp(text, want, l) == 0);
    int maps = -1;
    errno = 0;
    check("mem and maps have no mmap",
          mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, rd, 0) == MAP_FAILED && errno == ENODEV &&
              (maps = open("/proc/self/maps", O_RDONLY)) >= 0 &&
              mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, maps, 0) == MAP_FAILED && errno == ENODEV);
    close(maps);
    int dup_fd = dup(rd);
    check("mem dup", is_guest_mem(dup_fd));
    close(rd);
    close(fd);
}

static void spellings(const char *tmp) {
    char path[256];
    check("spelling /proc/./self/maps", is_guest_maps(open("/proc/./self/maps", O_RDONLY)));
    check("spelling /proc//self/mem", is_guest_mem(open("/proc//self/mem", O_RDONLY)));
    check("spelling /proc/thread-self/mem", is_guest_mem(open("/proc/thread-self/mem", O_RDONLY)));
    int dir = open("/proc/self", O_RDONLY | O_DIRECTORY);
    check("spelling openat(/proc/self, mem)", is_guest_mem(openat(dir, "mem", O_RDONLY)));
    check("spelling openat(/proc/self, maps)", is_guest_maps(openat(dir, "maps", O_RDONLY)));
    close(dir);
    dir = open("/proc", O_RDONLY | O_DIRECTORY);
    check("spelling openat(/proc, self/mem)", is_guest_mem(openat(dir, "self/mem", O_RDONLY)));
    close(dir);
    snprintf(path, sizeof path, "/proc/%d/task/%ld/mem", getpid(), syscall(SYS_gettid));
    check("spelling /proc/pid/task/tid/mem", is_guest_mem(open(path, O_RDONLY)));
    snprintf(path, sizeof path, "/proc/%d/maps", getpid());
    check("spelling /proc/pid/maps", is_guest_maps(open(path, O_RDONLY)));
    snprintf(path, sizeof path, "%s/link", tmp);
    check("spelling symlink to /proc/self/mem",
          symlink("/proc/self/mem", path) == 0 && is_guest_mem(open(path, O_RDONLY)));
    unlink(path);
    char cwd[4096];
    check("spelling chdir(/proc/self) maps", getcwd(cwd, sizeof cwd) && chdir("/proc/self") == 0 &&
                                                 is_guest_maps(open("maps", O_RDONLY)) &&
                                                 is_guest_mem(open("mem", O_RDONLY)) &&
                                                 chdir(cwd) == 0);
    char exe[4096], other[4096];
    ssize_t a = readlink("/proc/self/exe", exe, sizeof exe);
    ssize_t b = readlink("/proc/self/task/../exe", other, sizeof other);
    check("spelling readlink self/task/../exe", a > 0 && a == b && memcmp(exe, other, a) == 0);
}

/* Nothing of the emulator's own process is reachable through /proc. */
static void hostile(void) {
    const char *refused[] = {"smaps", "smaps_rollup", "pagemap", "map_files", "numa_maps",
                             "syscall", "stack"};
    int all = 1;
    char path[128];
    for (unsigned i = 0; i < sizeof refused / sizeof *refused; i++) {
        snprintf(path, sizeof path, "/proc/self/%s", refused[i]);
        errno = 0;
        int fd = open(path, O_RDONLY);
        all &= fd < 0 && (errno == EACCES || errno == ENOENT);
        if (fd >= 0)
            close(fd);
        snprintf(path, sizeof path, "/proc/thread-self/%s", refused[i]);
        fd = open(path, O_RDONLY);
        all &= fd < 0;
        if (fd >= 0)
            close(fd);
    }
    check("host layout entries refused", all);
    int fd = open("/proc/self/mem", O_RDWR);
    /* Where an x86-64 host keeps a process's binary, heap, libraries, stack; and the first
     * address past the guest's. */
    const uint64_t host[] = {GUEST_TOP, GUEST_TOP + 4096, 0x400000000ULL, 0x555555554000ULL,
                             0x7f0000000000ULL, 0x7ffffffde000ULL, 0xffffffffff600000ULL};
    int none = 1;
    uint64_t v;
    for (unsigned i = 0; i < sizeof host / sizeof *host; i++) {
        errno = 0;
        none &= pread(fd, &v, 8, (off_t)host[i]) == -1 && errno == EIO;
        errno = 0;
        none &= pwrite(fd, &v, 8, (off_t)host[i]) == -1 && errno == EIO;
        if ((off_t)host[i] > 0)
            none &= lseek(fd, (off_t)host[i], SEEK_SET) == (off_t)host[i] && read(fd, &v, 8) == -1;
    }
    check("mem reaches no host address", none);
    close(fd);

    /* A child is another emulated process: its mem and layout are no more reachable. */
    int p[2];
    char c;
    if (pipe(p) != 0)
        return;
    pid_t child = fork();
    if (child == 0) {
        close(p[1]);
        _exit(read(p[0], &c, 1) == 1 ? 0 : 1);
    }
    close(p[0]);
    int refused_all = 1;
    const char *entries[] = {"mem", "maps", "smaps", "auxv", "stat"};
    for (unsigned i = 0; i < sizeof entries / sizeof *entries; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", child, entries[i]);
        errno = 0;
        fd = open(path, O_RDONLY);
        refused_all &= fd < 0 && errno == EACCES;
        if (fd >= 0)
            close(fd);
    }
    check("child process layout refused", refused_all);
    (void)!write(p[1], "x", 1);
    close(p[1]);
    waitpid(child, NULL, 0);
}

/* A second thread's own views: thread-self and task/<tid> are that thread. */
static void *thread_views(void *arg) {
    static char buf[8192];
    int *ok = arg;
    long tid = syscall(SYS_gettid);
    char want[64], path[128];
    snprintf(want, sizeof want, "%ld (", tid);
    *ok = slurp("/proc/thread-self/stat", buf, sizeof buf) > 0 && strncmp(buf, want, strlen(want)) == 0;
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    *ok &= slurp(path, buf, sizeof buf) > 0 && strncmp(buf, want, strlen(want)) == 0;
    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    snprintf(want, sizeof want, "\nPid:\t%ld\n", tid);
    *ok &= slurp(path, buf, sizeof buf) > 0 && strstr(buf, want) && strstr(buf, "\nThreads:\t2\n");
    snprintf(path, sizeof path, "/proc/self/task/%ld/mem", tid);
    *ok &= is_guest_mem(open(path, O_RDONLY));
    snprintf(path, sizeof path, "/proc/%d/task/%ld/maps", getpid(), tid);
    *ok &= is_guest_maps(open(path, O_RDONLY));
    return NULL;
}

static void threads(void) {
    pthread_t t;
    int ok = 0;
    check("thread views", pthread_create(&t, NULL, thread_views, &ok) == 0 &&
                              pthread_join(t, NULL) == 0 && ok);
}

static void exec_self(const char *argv0) {
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {(char *)argv0, "child", NULL};
        execve("/proc/self/exe", args, environ);
        _exit(99);
    }
    int status = 0;
    fflush(stdout);
    waitpid(pid, &status, 0);
    check("execve /proc/self/exe runs the program", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("exec child: yes\n");
        return 0;
    }
    /* The initial environment, before anything may change it. */
    static char *env0[4096];
    int ne = 0;
    for (char **e = environ; *e && ne < 4095; e++)
        env0[ne++] = *e;
    setvbuf(stdout, NULL, _IOLBF, 0);
    basic(argc, argv);
    if (argc > 1 && strcmp(argv[1], "basic") == 0)
        return failures != 0;
    beyond_qemu(env0);
    stat_checks(argv[0]);
    maps_more();
    mem_checks();
    spellings(argc > 1 ? argv[1] : ".");
    hostile();
    threads();
    exec_self(argv[0]);
    return failures != 0;
}
