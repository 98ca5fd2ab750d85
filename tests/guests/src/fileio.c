/* fileio: file-system system calls, all inside a fresh directory made with mkdtemp under
 * argv[1] (default /tmp), which is removed again at the end. Nothing printed depends on
 * the directory's name, the file system type, the user or the time.
 * Covers: openat/creat, write, read, lseek (SET/CUR/END, holes), pread/pwrite, fstat/stat/
 * lstat (size, permission bits, file type), rename, mkdir, opendir/readdir (sorted),
 * symlink/readlink, access, dup/dup2/dup3, fcntl (F_GETFL, F_GETFD/F_SETFD, F_DUPFD),
 * pipe/pipe2, ftruncate, unlink, rmdir, getcwd/chdir, and errno + strerror for ENOENT,
 * EEXIST, ENOTDIR, ENOTEMPTY, EBADF. Exit status 0 if every check passed, 1 otherwise. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        int ok_ = (cond);                                                    \
        printf("%-60s %s\n", #cond, ok_ ? "ok" : "FAILED");                  \
        if (!ok_)                                                            \
            failures++;                                                      \
    } while (0)

static void show_errno(const char *what, int ret)
{
    int e = errno;
    printf("%s -> %d, errno=%d (%s)\n", what, ret, ret < 0 ? e : 0, ret < 0 ? strerror(e) : "no error");
}

static const char *ftype(mode_t m)
{
    if (S_ISREG(m)) return "regular";
    if (S_ISDIR(m)) return "directory";
    if (S_ISLNK(m)) return "symlink";
    if (S_ISFIFO(m)) return "fifo";
    if (S_ISCHR(m)) return "chardev";
    return "other";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir(%s) failed: %s\n", path, strerror(errno));
        failures++;
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64)
        names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    printf("listing of %s (%d entries):", path, n);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp";
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/mimic-fileio-XXXXXX", base);
    umask(022); /* so permission bits are deterministic */
    char *dir = mkdtemp(tmpl);
    if (!dir) {
        printf("mkdtemp under %s failed: %s\n", base, strerror(errno));
        return 2;
    }
    printf("made temp dir (name not printed)\n");
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
    /* work relative to the temp dir from now on */
    CHECK(chdir(dir) == 0);
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd + strlen(cwd) - strlen(strrchr(dir, '/')), strrchr(dir, '/')) == 0);

    /* create + write */
    int fd = open("a.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
    CHECK(fd >= 0);
    const char msg[] = "hello, file\nsecond line\n";
    ssize_t w = write(fd, msg, sizeof msg - 1);
    printf("write returned %zd\n", w);
    CHECK(w == (ssize_t)(sizeof msg - 1));

    /* lseek + read back */
    CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)(sizeof msg - 1));
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    char buf[256] = {0};
    ssize_t r = read(fd, buf, sizeof buf);
    printf("read returned %zd: [%.*s]\n", r, (int)(r > 0 ? r - 1 : 0), buf);
    CHECK(r == w && memcmp(buf, msg, (size_t)r) == 0);
    CHECK(read(fd, buf, sizeof buf) == 0); /* EOF */
    CHECK(lseek(fd, 7, SEEK_SET) == 7);
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, 4) == 4 && memcmp(buf, "file", 4) == 0);
    CHECK(lseek(fd, -5, SEEK_END) == (off_t)(sizeof msg - 1 - 5));
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "line\n", 5) == 0);

    /* pwrite / pread do not move the offset */
    off_t here = lseek(fd, 0, SEEK_CUR);
    CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
    CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "HELLO", 5) == 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == here);

    /* a hole: write past the end, the gap reads as zeros */
    CHECK(lseek(fd, 100, SEEK_SET) == 100);
    CHECK(write(fd, "X", 1) == 1);
    CHECK(pread(fd, buf, 4, 60) == 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0);

    /* fstat */
    CHECK(fstat(fd, &st) == 0);
    printf("fstat a.txt: size=%lld type=%s perms=%04o\n", (long long)st.st_size, ftype(st.st_mode),
           (unsigned)(st.st_mode & 07777));
    CHECK(st.st_size == 101);
    CHECK(ftruncate(fd, 24) == 0 && fstat(fd, &st) == 0 && st.st_size == 24);
    printf("after ftruncate: size=%lld\n", (long long)st.st_size);

    /* fcntl flags */
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL: accmode=%s append=%d nonblock=%d\n",
           (fl & O_ACCMODE) == O_RDWR ? "O_RDWR" : (fl & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "O_WRONLY",
           !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    CHECK(fcntl(fd, F_SETFL, fl | O_APPEND) == 0);
    fl = fcntl(fd, F_GETFL);
    printf("F_GETFL after F_SETFL O_APPEND: append=%d\n", !!(fl & O_APPEND));
    CHECK(write(fd, "!", 1) == 1 && fstat(fd, &st) == 0 && st.st_size == 25);
    printf("F_GETFD: cloexec=%d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0);
    printf("F_GETFD after F_SETFD: cloexec=%d\n", !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));

    /* dup / dup2 / dup3 / F_DUPFD share the file offset */
    int d1 = dup(fd);
    CHECK(d1 > fd);
    printf("dup'd fd has cloexec=%d\n", !!(fcntl(d1, F_GETFD) & FD_CLOEXEC));
    CHECK(dup2(fd, 50) == 50);
    CHECK(dup3(fd, 51, O_CLOEXEC) == 51 && (fcntl(51, F_GETFD) & FD_CLOEXEC));
    CHECK(fcntl(fd, F_DUPFD, 60) == 60);
    CHECK(lseek(fd, 3, SEEK_SET) == 3 && lseek(50, 0, SEEK_CUR) == 3 && lseek(d1, 0, SEEK_CUR) == 3);
    close(d1);
    close(50);
    close(51);
    close(60);
    CHECK(close(fd) == 0);
    errno = 0;
    int rc = close(fd);
    show_errno("close(already closed fd)", rc);

    /* O_EXCL on an existing file: EEXIST */
    errno = 0;
    rc = open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644);
    show_errno("open(a.txt, O_CREAT|O_EXCL)", rc);
    /* missing file: ENOENT */
    errno = 0;
    rc = open("does-not-exist", O_RDONLY);
    show_errno("open(does-not-exist)", rc);
    errno = 0;
    rc = stat("does-not-exist", &st);
    show_errno("stat(does-not-exist)", rc);
    FILE *fp = fopen("no/such/dir/file", "r");
    printf("fopen(no/such/dir/file) -> %s, errno=%d (%s)\n", fp ? "FILE" : "NULL", errno, strerror(errno));

    /* stat by path, then rename */
    CHECK(stat("a.txt", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 25);
    CHECK(rename("a.txt", "b.txt") == 0);
    errno = 0;
    rc = stat("a.txt", &st);
    show_errno("stat(a.txt) after rename", rc);
    CHECK(stat("b.txt", &st) == 0 && st.st_size == 25);

    /* creat with a different mode */
    fd = creat("c.bin", 0600);
    CHECK(fd >= 0 && write(fd, "\0\1\2\3", 4) == 4 && close(fd) == 0);
    CHECK(stat("c.bin", &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(chmod("c.bin", 0640) == 0 && stat("c.bin", &st) == 0 && (st.st_mode & 07777) == 0640);
    printf("c.bin perms=%04o\n", (unsigned)(st.st_mode & 07777));

    /* directories */
    CHECK(mkdir("sub", 0755) == 0);
    errno = 0;
    rc = mkdir("sub", 0755);
    show_errno("mkdir(sub) again", rc);
    CHECK(stat("sub", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
    fd = open("sub/inner.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "inner\n", 6) == 6 && close(fd) == 0);
    errno = 0;
    rc = open("b.txt/x", O_RDONLY);
    show_errno("open(b.txt/x)", rc);

    /* symlinks */
    CHECK(symlink("b.txt", "link-to-b") == 0);
    char target[256];
    ssize_t tl = readlink("link-to-b", target, sizeof target - 1);
    if (tl >= 0)
        target[tl] = 0;
    printf("readlink(link-to-b) -> %zd [%s]\n", tl, tl >= 0 ? target : "");
    CHECK(lstat("link-to-b", &st) == 0);
    printf("lstat(link-to-b): type=%s size=%lld\n", ftype(st.st_mode), (long long)st.st_size);
    CHECK(stat("link-to-b", &st) == 0);
    printf("stat(link-to-b): type=%s size=%lld\n", ftype(st.st_mode), (long long)st.st_size);
    errno = 0;
    rc = (int)readlink("b.txt", target, sizeof target);
    show_errno("readlink(b.txt) (not a link)", rc);

    /* access */
    show_errno("access(b.txt, F_OK)", access("b.txt", F_OK));
    show_errno("access(b.txt, R_OK)", access("b.txt", R_OK));
    errno = 0;
    show_errno("access(missing, F_OK)", access("missing", F_OK));

    list_dir(".");
    list_dir("sub");

    /* pipes */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "through the pipe", 16) == 16);
    memset(buf, 0, sizeof buf);
    r = read(p[0], buf, sizeof buf);
    printf("pipe read %zd: [%s]\n", r, buf);
    close(p[1]);
    CHECK(read(p[0], buf, sizeof buf) == 0); /* EOF after the write end closes */
    close(p[0]);
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    errno = 0;
    rc = (int)read(p[0], buf, 1);
    show_errno("read(empty nonblocking pipe)", rc);
    close(p[0]);
    close(p[1]);

    /* stdio on a file */
    fp = fopen("stdio.txt", "w+");
    CHECK(fp != NULL);
    fprintf(fp, "%d %s %.3f\n", 7, "seven", 7.0);
    rewind(fp);
    int iv;
    char sv[16];
    double dv;
    CHECK(fscanf(fp, "%d %15s %lf", &iv, sv, &dv) == 3 && iv == 7 && strcmp(sv, "seven") == 0 && dv == 7.0);
    fclose(fp);

    /* cleanup: ENOTEMPTY first, then remove everything */
    errno = 0;
    rc = rmdir("sub");
    show_errno("rmdir(sub) while not empty", rc);
    CHECK(unlink("sub/inner.txt") == 0);
    CHECK(rmdir("sub") == 0);
    CHECK(unlink("link-to-b") == 0);
    CHECK(unlink("b.txt") == 0);
    CHECK(unlink("c.bin") == 0);
    CHECK(unlink("stdio.txt") == 0);
    errno = 0;
    rc = unlink("b.txt");
    show_errno("unlink(b.txt) twice", rc);
    list_dir(".");
    CHECK(chdir("..") == 0);
    CHECK(rmdir(dir) == 0);
    errno = 0;
    rc = stat(dir, &st);
    show_errno("stat(tempdir) after rmdir", rc);

    printf("fileio: %s (%d failures)\n", failures ? "FAILED" : "all checks passed", failures);
    return failures ? 1 : 0;
}
