/* Sockets as a program sees them: argv[1] picks one part (default: all but gai).
 *   tcp udp mmsg ipv6 unix rights creds pair nonblock pipe shutdown opts intr netlink gai ctrunc
 * Prints only facts that do not depend on ports, pids or the host's interfaces, and exits
 * 1 if one of its checks fails. Portable: the same output natively and under qemu-riscv64. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            printf("FAIL line %d: %s (errno %s)\n", __LINE__, #cond, strerrorname_np(errno)); \
            failed = 1;                                                                 \
        }                                                                               \
    } while (0)

static const char *err(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static struct sockaddr_in loopback4(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* A listening TCP socket on 127.0.0.1, port chosen by the kernel; its address in *a. */
static int tcp_listener(struct sockaddr_in *a)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    *a = loopback4();
    CHECK(bind(s, (struct sockaddr *)a, sizeof *a) == 0);
    socklen_t len = sizeof *a;
    CHECK(getsockname(s, (struct sockaddr *)a, &len) == 0 && len == sizeof *a);
    CHECK(a->sin_port != 0);
    CHECK(listen(s, 8) == 0);
    return s;
}

static void tcp(void)
{
    struct sockaddr_in a, peer, local;
    int l = tcp_listener(&a);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof peer;
    int s = accept(l, (struct sockaddr *)&peer, &len);
    CHECK(s >= 0);
    len = sizeof local;
    CHECK(getsockname(c, (struct sockaddr *)&local, &len) == 0);
    printf("tcp: accepted from 127.0.0.1: %d, peer port is the client's: %d\n",
           peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), peer.sin_port == local.sin_port);
    len = sizeof peer;
    CHECK(getpeername(c, (struct sockaddr *)&peer, &len) == 0);
    printf("tcp: getpeername is the listener: %d\n", peer.sin_port == a.sin_port);
    /* A short address buffer gets the start of the address and the full length. */
    char tiny[4];
    len = sizeof tiny;
    CHECK(getsockname(c, (struct sockaddr *)tiny, &len) == 0);
    printf("tcp: getsockname into 4 bytes: len %u\n", len);
    const char msg[] = "hello over tcp";
    CHECK(send(c, msg, sizeof msg, 0) == sizeof msg);
    char buf[64] = { 0 };
    ssize_t n = recv(s, buf, sizeof buf, MSG_WAITALL & 0);
    CHECK(send(s, buf, n, 0) == n);
    memset(buf, 0, sizeof buf);
    CHECK(recv(c, buf, sizeof buf, 0) == (ssize_t)sizeof msg);
    printf("tcp: echo \"%s\"\n", buf);
    CHECK(write(c, "ab", 2) == 2);
    CHECK(recv(s, buf, 2, MSG_PEEK) == 2);
    CHECK(read(s, buf + 2, 2) == 2);
    printf("tcp: peek then read: %.4s\n", buf);
    close(c);
    printf("tcp: recv after the peer closed: %zd\n", recv(s, buf, sizeof buf, 0));
    close(s);
    close(l);
}

static void udp(void)
{
    struct sockaddr_in a = loopback4(), b = loopback4(), from;
    int x = socket(AF_INET, SOCK_DGRAM, 0), y = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof a;
    CHECK(bind(x, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(x, (struct sockaddr *)&a, &len) == 0);
    CHECK(bind(y, (struct sockaddr *)&b, sizeof b) == 0);
    len = sizeof b;
    CHECK(getsockname(y, (struct sockaddr *)&b, &len) == 0);
    CHECK(sendto(y, "ping", 4, 0, (struct sockaddr *)&a, sizeof a) == 4);
    char buf[16] = { 0 };
    len = sizeof from;
    CHECK(recvfrom(x, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 4);
    printf("udp: got %s from the sender's port: %d, addrlen %u\n", buf, from.sin_port == b.sin_port, len);
    CHECK(sendto(x, "pong", 4, 0, (struct sockaddr *)&from, len) == 4);
    memset(buf, 0, sizeof buf);
    CHECK(recv(y, buf, sizeof buf, 0) == 4);
    printf("udp: echo %s\n", buf);
    /* A datagram longer than the buffer is cut, and MSG_TRUNC says so. */
    CHECK(sendto(y, "0123456789", 10, 0, (struct sockaddr *)&a, sizeof a) == 10);
    struct iovec iov = { buf, 4 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n = recvmsg(x, &m, 0);
    printf("udp: recvmsg of 10 into 4: %zd, MSG_TRUNC %d\n", n, !!(m.msg_flags & MSG_TRUNC));
    /* connect fixes the peer: send without an address. */
    CHECK(connect(y, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(send(y, "c", 1, 0) == 1);
    printf("udp: connected send: %zd\n", recv(x, buf, sizeof buf, 0));
    close(x);
    close(y);
}

static void mmsg(void)
{
    struct sockaddr_in a = loopback4();
    int x = socket(AF_INET, SOCK_DGRAM, 0), y = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof a;
    CHECK(bind(x, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(x, (struct sockaddr *)&a, &len) == 0);
    CHECK(connect(y, (struct sockaddr *)&a, sizeof a) == 0);
    char *words[3] = { "one", "three", "seventeen" };
    struct mmsghdr out[3], in[4];
    struct iovec oiov[3], iiov[4];
    char bufs[4][16];
    memset(out, 0, sizeof out);
    memset(in, 0, sizeof in);
    memset(bufs, 0, sizeof bufs);
    for (int i = 0; i < 3; i++) {
        oiov[i] = (struct iovec){ words[i], strlen(words[i]) };
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    for (int i = 0; i < 4; i++) {
        iiov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    printf("mmsg: sendmmsg %d:", sendmmsg(y, out, 3, 0));
    for (int i = 0; i < 3; i++)
        printf(" %u", out[i].msg_len);
    printf("\n");
    printf("mmsg: recvmmsg %d:", recvmmsg(x, in, 4, MSG_DONTWAIT, NULL));
    for (int i = 0; i < 3; i++)
        printf(" %s/%u", bufs[i], in[i].msg_len);
    printf("\n");
    int r = recvmmsg(x, in, 4, MSG_DONTWAIT, NULL);
    printf("mmsg: recvmmsg on nothing: %d %s\n", r, err(r));
    close(x);
    close(y);
}

static void ipv6(void)
{
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    if (l < 0 && errno == EAFNOSUPPORT) {
        printf("ipv6: not supported here (skipped)\n");
        return;
    }
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 && errno == EADDRNOTAVAIL) {
        printf("ipv6: not supported here (skipped)\n");
        close(l);
        return;
    }
    socklen_t len = sizeof a;
    CHECK(getsockname(l, (struct sockaddr *)&a, &len) == 0 && len == sizeof a);
    CHECK(listen(l, 1) == 0);
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    struct sockaddr_in6 peer;
    len = sizeof peer;
    int s = accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    CHECK(s >= 0);
    char text[64];
    inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
    CHECK(send(c, "six", 3, 0) == 3);
    char buf[8] = { 0 };
    CHECK(recv(s, buf, sizeof buf, 0) == 3);
    printf("ipv6: %s from %s, cloexec %d\n", buf, text, !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
    int v6only = -1;
    len = sizeof v6only;
    CHECK(getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == 0);
    printf("ipv6: IPV6_V6ONLY %d\n", v6only);
    close(s);
    close(c);
    close(l);
}

static char dir[64];

/* A unix address: a path in the scratch directory, or (abstract) a name unique to this
 * process, both without the pid in what is printed. */
static socklen_t unix_addr(struct sockaddr_un *a, const char *name, int abstract)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) {
        int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "mimic-%d-%s", getpid(), name);
        return offsetof(struct sockaddr_un, sun_path) + 1 + n;
    }
    snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
    return sizeof *a;
}

static void unix_kind(int type, const char *tname, int abstract)
{
    struct sockaddr_un a, got;
    socklen_t alen = unix_addr(&a, tname, abstract);
    const char *kind = abstract ? "abstract" : "path";
    int srv = socket(AF_UNIX, type, 0);
    CHECK(bind(srv, (struct sockaddr *)&a, alen) == 0);
    socklen_t len = sizeof got;
    CHECK(getsockname(srv, (struct sockaddr *)&got, &len) == 0);
    printf("unix %s %s: name back: %d", tname, kind, len == (abstract ? alen : offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1) && memcmp(&got, &a, len) == 0);
    if (type == SOCK_DGRAM) {
        int c = socket(AF_UNIX, SOCK_DGRAM, 0);
        CHECK(sendto(c, "dgram", 5, 0, (struct sockaddr *)&a, alen) == 5);
        char buf[16] = { 0 };
        len = sizeof got;
        CHECK(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&got, &len) == 5);
        printf(", got %s from an unbound sender (addrlen %u)\n", buf, len);
        close(c);
    } else {
        CHECK(listen(srv, 4) == 0);
        int c = socket(AF_UNIX, type, 0);
        CHECK(connect(c, (struct sockaddr *)&a, alen) == 0);
        int s = accept(srv, NULL, NULL);
        CHECK(s >= 0);
        CHECK(send(c, "ab", 2, 0) == 2);
        CHECK(send(c, "cde", 3, 0) == 3);
        char buf[16] = { 0 };
        usleep(1000);
        ssize_t n1 = recv(s, buf, sizeof buf, 0);
        ssize_t n2 = n1 == 5 ? 0 : recv(s, buf + n1, sizeof buf - n1, 0);
        printf(", reads %zd+%zd: %s\n", type == SOCK_STREAM ? n1 + n2 : n1, type == SOCK_STREAM ? (ssize_t)0 : n2, buf);
        close(s);
        close(c);
    }
    close(srv);
    if (!abstract)
        CHECK(unlink(a.sun_path) == 0);
}

static void unix_sockets(void)
{
    strcpy(dir, "/tmp/mimic-sockets-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    for (int abstract = 0; abstract < 2; abstract++) {
        unix_kind(SOCK_STREAM, "stream", abstract);
        unix_kind(SOCK_DGRAM, "dgram", abstract);
        unix_kind(SOCK_SEQPACKET, "seqpacket", abstract);
    }
    struct sockaddr_un a;
    socklen_t alen = unix_addr(&a, "nobody", 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("unix: connect to a missing path: %s\n", err(connect(c, (struct sockaddr *)&a, alen)));
    close(c);
    CHECK(rmdir(dir) == 0);
}

static void rights(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        int p[2];
        if (pipe(p) != 0 || write(p[1], "through a passed fd", 19) != 19)
            _exit(2);
        close(p[1]);
        char byte = 'R';
        struct iovec iov = { &byte, 1 };
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(int))];
        } u;
        memset(&u, 0, sizeof u);
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &p[0], sizeof(int));
        _exit(sendmsg(sv[1], &m, 0) == 1 ? 0 : 3);
    }
    close(sv[1]);
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n = recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    int ok = n == 1 && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
             && c->cmsg_len == CMSG_LEN(sizeof(int));
    printf("rights: recvmsg %zd byte %c, one SCM_RIGHTS: %d, controllen %zu\n", n, byte, ok, (size_t)m.msg_controllen);
    if (ok) {
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        char buf[32] = { 0 };
        CHECK(read(fd, buf, sizeof buf) == 19);
        printf("rights: read \"%s\", cloexec %d\n", buf, !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
        close(fd);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("rights: child exit %d\n", WEXITSTATUS(status));
    close(sv[0]);
}

/* A control buffer too small for the descriptor: MSG_CTRUNC and no control data, as Linux
 * does. Not in the default run: qemu-riscv64 receives into a larger host buffer and reports
 * the truncated header without MSG_CTRUNC (tests/net.rs checks mimic against Linux). */
static void ctrunc(void)
{
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    struct cmsghdr *c;
    int p[2];
    CHECK(pipe(p) == 0);
    int sv2[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv2) == 0);
    char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
    struct msghdr s = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    c = CMSG_FIRSTHDR(&s);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    CHECK(sendmsg(sv2[0], &s, 0) == 1);
    char small[sizeof(struct cmsghdr)];
    struct msghdr r = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = small, .msg_controllen = sizeof small };
    CHECK(recvmsg(sv2[1], &r, 0) == 1);
    printf("rights: short control buffer: MSG_CTRUNC %d, controllen %zu\n", !!(r.msg_flags & MSG_CTRUNC), (size_t)r.msg_controllen);
    close(p[0]);
    close(p[1]);
    close(sv2[0]);
    close(sv2[1]);
}

static void creds(void)
{
    int sv[2], on = 1;
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
    /* Sent explicitly: the receiver gets what was sent, checked by the kernel. */
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } u;
    memset(&u, 0, sizeof u);
    char byte = 'C';
    struct iovec iov = { &byte, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred mine = { getpid(), getuid(), getgid() };
    memcpy(CMSG_DATA(c), &mine, sizeof mine);
    CHECK(sendmsg(sv[0], &m, 0) == 1);
    /* Not sent: with SO_PASSCRED the kernel adds the sender's. */
    CHECK(send(sv[0], "D", 1, 0) == 1);
    for (int i = 0; i < 2; i++) {
        memset(&u, 0, sizeof u);
        struct msghdr r = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
        ssize_t n = recvmsg(sv[1], &r, 0);
        c = CMSG_FIRSTHDR(&r);
        struct ucred got = { 0 };
        int ok = c && c->cmsg_type == SCM_CREDENTIALS;
        if (ok)
            memcpy(&got, CMSG_DATA(c), sizeof got);
        printf("creds: %zd byte %c, SCM_CREDENTIALS %d, pid %d uid %d gid %d\n", n, byte, ok,
               got.pid == getpid(), got.uid == getuid(), got.gid == getgid());
    }
    /* A pid that is not the sender's is refused. */
    struct ucred other = { 1, getuid(), getgid() };
    memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &other, sizeof other);
    if (getuid() != 0)
        printf("creds: someone else's pid: %s\n", err(sendmsg(sv[0], &m, 0)));
    else
        printf("creds: someone else's pid: EPERM\n");
    struct ucred peer;
    socklen_t len = sizeof peer;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0);
    printf("creds: SO_PEERCRED len %u pid %d uid %d\n", len, peer.pid == getpid(), peer.uid == getuid());
    close(sv[0]);
    close(sv[1]);
}

static void pair(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == 0);
    printf("pair: nonblock %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
    struct iovec iov[3] = { { "gather", 6 }, { "-", 1 }, { "write", 5 } };
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 3 };
    CHECK(sendmsg(sv[0], &m, 0) == 12);
    char a[4] = { 0 }, b[16] = { 0 };
    struct iovec in[2] = { { a, 3 }, { b, sizeof b } };
    struct msghdr r = { .msg_iov = in, .msg_iovlen = 2 };
    printf("pair: scatter %zd: %s|%s\n", recvmsg(sv[1], &r, 0), a, b);
    printf("pair: empty: %s\n", err(recv(sv[1], b, sizeof b, 0)));
    int other[2];
    printf("pair: socketpair(AF_INET): %s\n", err(socketpair(AF_INET, SOCK_STREAM, 0, other)));
    printf("pair: not a socket: %s\n", err(send(0, "x", 1, 0)));
    printf("pair: bad fd: %s\n", err(send(99, "x", 1, 0)));
    /* A bad buffer is EFAULT, not a crash. */
    printf("pair: send from a bad pointer: %s\n", err(send(sv[0], (void *)16, 4, 0)));
    printf("pair: sendmsg with a bad msghdr: %s\n", err(sendmsg(sv[0], (void *)16, 0)));
    printf("pair: bind with a bad address: %s\n", err(bind(sv[0], (void *)16, 16)));
    close(sv[0]);
    close(sv[1]);
}

static void nonblock(void)
{
    struct sockaddr_in a;
    int l = tcp_listener(&a);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    printf("nonblock: connect: %s\n", r == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS" : err(r));
    struct pollfd p = { c, POLLOUT, 0 };
    CHECK(poll(&p, 1, 5000) == 1);
    int e = -1;
    socklen_t len = sizeof e;
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len) == 0);
    printf("nonblock: writable, SO_ERROR %d\n", e);
    int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    printf("nonblock: accepted: %d, nonblock %d\n", s >= 0, !!(fcntl(s, F_GETFL) & O_NONBLOCK));
    CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0);
    printf("nonblock: accept with none waiting: %s\n", err(accept(l, NULL, NULL)));
    char buf[4];
    printf("nonblock: recv with nothing: %s\n", err(recv(s, buf, sizeof buf, 0)));
    printf("nonblock: MSG_DONTWAIT on a blocking socket: %s\n", err(recv(c, buf, sizeof buf, MSG_DONTWAIT)));
    close(s);
    close(c);
    /* A port nobody listens on: refused, at once or through SO_ERROR. */
    int port = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in dead = loopback4();
    len = sizeof dead;
    CHECK(bind(port, (struct sockaddr *)&dead, sizeof dead) == 0);
    CHECK(getsockname(port, (struct sockaddr *)&dead, &len) == 0);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    r = connect(c, (struct sockaddr *)&dead, sizeof dead);
    if (r < 0 && errno == EINPROGRESS) {
        p = (struct pollfd){ c, POLLOUT, 0 };
        poll(&p, 1, 5000);
        len = sizeof e;
        getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len);
        errno = e;
        r = -1;
    }
    printf("nonblock: connect to a closed port: %s\n", err(r));
    close(c);
    c = socket(AF_INET, SOCK_STREAM, 0);
    printf("nonblock: blocking connect to a closed port: %s\n", err(connect(c, (struct sockaddr *)&dead, sizeof dead)));
    close(c);
    close(port);
    close(l);
}

static volatile sig_atomic_t pipes;
static void on_pipe(int sig) { (void)sig; pipes++; }

static void pipe_signal(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    close(sv[1]);
    signal(SIGPIPE, on_pipe);
    int r = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("pipe: MSG_NOSIGNAL: %s, SIGPIPEs %d\n", err(r), (int)pipes);
    r = send(sv[0], "x", 1, 0);
    printf("pipe: send: %s, SIGPIPEs %d\n", err(r), (int)pipes);
    struct iovec iov = { "x", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    r = sendmsg(sv[0], &m, 0);
    printf("pipe: sendmsg: %s, SIGPIPEs %d\n", err(r), (int)pipes);
    r = write(sv[0], "x", 1);
    printf("pipe: write: %s, SIGPIPEs %d\n", err(r), (int)pipes);
    signal(SIGPIPE, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        send(sv[0], "x", 1, 0);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("pipe: default action: killed by SIGPIPE %d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
    close(sv[0]);
}

static void shut(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(send(sv[0], "bye", 3, 0) == 3);
    CHECK(shutdown(sv[0], SHUT_WR) == 0);
    char buf[8] = { 0 };
    ssize_t n1 = recv(sv[1], buf, sizeof buf, 0);
    ssize_t n2 = recv(sv[1], buf + 3, sizeof buf - 3, 0);
    printf("shutdown: read %zd %s, then %zd\n", n1, buf, n2);
    printf("shutdown: send after SHUT_WR: %s\n", err(send(sv[0], "x", 1, MSG_NOSIGNAL)));
    CHECK(send(sv[1], "back", 4, 0) == 4);
    printf("shutdown: the other way still works: %zd\n", recv(sv[0], buf, sizeof buf, 0));
    printf("shutdown: bad how: %s\n", err(shutdown(sv[0], 7)));
    struct sockaddr_in a;
    int l = tcp_listener(&a);
    printf("shutdown: unconnected tcp: %s\n", err(shutdown(socket(AF_INET, SOCK_STREAM, 0), SHUT_RDWR)));
    close(l);
    close(sv[0]);
    close(sv[1]);
}

static void opts(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), v = 1, got = -1;
    socklen_t len = sizeof got;
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &got, &len) == 0);
    printf("opts: SO_REUSEADDR %d len %u\n", got, len);
    len = sizeof got;
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &got, &len) == 0);
    printf("opts: SO_TYPE %d (SOCK_STREAM %d)\n", got, SOCK_STREAM);
    len = sizeof got;
    CHECK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &got, &len) == 0);
    printf("opts: SO_DOMAIN %d\n", got == AF_INET);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0);
    len = sizeof got;
    CHECK(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &got, &len) == 0);
    printf("opts: TCP_NODELAY %d\n", got);
    v = 33;
    CHECK(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v) == 0);
    len = sizeof got;
    CHECK(getsockopt(s, IPPROTO_IP, IP_TTL, &got, &len) == 0);
    printf("opts: IP_TTL %d\n", got);
    v = 65536;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) == 0);
    len = sizeof got;
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0);
    printf("opts: SO_RCVBUF at least 65536: %d\n", got >= 65536);
    struct linger lg = { 1, 7 }, lgot;
    CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    len = sizeof lgot;
    CHECK(getsockopt(s, SOL_SOCKET, SO_LINGER, &lgot, &len) == 0);
    printf("opts: SO_LINGER {%d, %d} len %u\n", lgot.l_onoff, lgot.l_linger, len);
    printf("opts: SO_LINGER too short: %s\n", err(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4)));
    struct timeval tv = { 2, 500000 }, tvgot;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    len = sizeof tvgot;
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tvgot, &len) == 0);
    printf("opts: SO_RCVTIMEO {%ld, %ld} len %u\n", (long)tvgot.tv_sec, (long)tvgot.tv_usec, len);
    /* A short buffer gets the start of the value and the shorter length. */
    char one = 9;
    len = 1;
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &one, &len) == 0);
    printf("opts: SO_TYPE into 1 byte: %d len %u\n", one, len);
    len = sizeof got;
    printf("opts: unknown option: %s\n", err(getsockopt(s, SOL_SOCKET, 9999, &got, &len)));
    printf("opts: unknown level: %s\n", err(setsockopt(s, 9999, 1, &v, sizeof v)));
    printf("opts: bad value pointer: %s\n", err(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (void *)16, 4)));
    len = sizeof got;
    printf("opts: bad length pointer: %s\n", err(getsockopt(s, SOL_SOCKET, SO_TYPE, &got, (void *)16)));
    close(s);
    /* SO_RCVTIMEO bounds a blocking receive: EAGAIN when nothing came in time. */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    struct timeval shortwait = { 0, 50000 };
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &shortwait, sizeof shortwait) == 0);
    char b;
    printf("opts: recv past SO_RCVTIMEO: %s\n", err(recv(sv[0], &b, 1, 0)));
    struct iovec iov = { &b, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    printf("opts: recvmsg past SO_RCVTIMEO: %s\n", err(recvmsg(sv[0], &m, 0)));
    CHECK(send(sv[1], "t", 1, 0) == 1);
    printf("opts: recv within SO_RCVTIMEO: %s\n", err(recv(sv[0], &b, 1, 0)));
    close(sv[0]);
    close(sv[1]);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

struct poke {
    pthread_t target;
    int fd;
};

static void *poker(void *arg)
{
    struct poke *k = arg;
    struct timespec t = { 0, 50 * 1000 * 1000 };
    nanosleep(&t, NULL);
    pthread_kill(k->target, SIGUSR1);
    nanosleep(&t, NULL);
    if (write(k->fd, "late", 4) != 4)
        return (void *)1;
    return NULL;
}

/* A blocked recv and accept meet a signal: EINTR without SA_RESTART, and with it the call
 * goes on and gets what comes later. */
static void intr(void)
{
    for (int restart = 0; restart < 2; restart++) {
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        struct poke k = { pthread_self(), sv[1] };
        pthread_t t;
        pthread_create(&t, NULL, poker, &k);
        char buf[8] = { 0 };
        ssize_t n = recv(sv[0], buf, sizeof buf, 0);
        printf("intr: recv %s: %s %s, handler ran %d\n", restart ? "SA_RESTART" : "no restart",
               n < 0 ? strerrorname_np(errno) : "got", n < 0 ? "" : buf, (int)usr1);
        pthread_join(t, NULL);
        usr1 = 0;
        close(sv[0]);
        close(sv[1]);
    }
}

static void netlink(void)
{
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl a = { .nl_family = AF_NETLINK };
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    printf("netlink: bound, family %d len %u\n", a.nl_family == AF_NETLINK, len);
    close(s);
    /* getifaddrs asks the kernel through NETLINK_ROUTE (RTM_GETLINK, RTM_GETADDR). */
    struct ifaddrs *ifs;
    CHECK(getifaddrs(&ifs) == 0);
    int lo = 0;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, "lo") == 0
            && ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
            lo = 1;
    freeifaddrs(ifs);
    printf("netlink: getifaddrs finds lo 127.0.0.1: %d\n", lo);
}

static void gai(void)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
    int r = getaddrinfo("localhost", "80", &hints, &res);
    printf("gai: localhost: %s\n", r == 0 ? "ok" : gai_strerror(r));
    if (r != 0)
        return;
    char text[64];
    struct sockaddr_in *a = (struct sockaddr_in *)res->ai_addr;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    printf("gai: first %s port %d\n", text, ntohs(a->sin_port));
    freeaddrinfo(res);
}

static const struct {
    const char *name;
    void (*run)(void);
} parts[] = {
    { "tcp", tcp }, { "udp", udp }, { "mmsg", mmsg }, { "ipv6", ipv6 }, { "unix", unix_sockets },
    { "rights", rights }, { "creds", creds }, { "pair", pair }, { "nonblock", nonblock },
    { "pipe", pipe_signal }, { "shutdown", shut }, { "opts", opts }, { "intr", intr },
    { "netlink", netlink }, { "gai", gai }, { "ctrunc", ctrunc },
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        int all = argc < 2 && strcmp(parts[i].name, "gai") != 0 && strcmp(parts[i].name, "ctrunc") != 0;
        if (all || (argc >= 2 && strcmp(argv[1], parts[i].name) == 0))
            parts[i].run();
    }
    return failed;
}
