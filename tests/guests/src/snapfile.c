/* An open file kept across a snapshot (tests/snapshot.rs): in directory argv[1] the guest
 * opens data.txt and, STEPS times (argv[2], default 30), appends a record through its
 * descriptor, reads the whole file back through the same descriptor and prints the line
 * count and a checksum, then sleeps 20 ms. argv[3] == "socket" also holds a UDP socket
 * (a fixed resource a snapshot refuses). Output names no path. */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    int steps = argc > 2 ? atoi(argv[2]) : 30;
    char path[4096];
    snprintf(path, sizeof path, "%s/data.txt", argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int sock = -1;
    if (argc > 3 && strcmp(argv[3], "socket") == 0) {
        sock = socket(AF_INET, SOCK_DGRAM, 0);
        if (sock < 0)
            return 3;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 4;
    for (int step = 1; step <= steps; step++) {
        char rec[64];
        int n = snprintf(rec, sizeof rec, "record %d of %d\n", step, steps);
        if (lseek(fd, 0, SEEK_END) < 0 || write(fd, rec, n) != n)
            return 5;
        if (lseek(fd, 0, SEEK_SET) != 0)
            return 6;
        char buf[4096];
        unsigned long sum = 0, lines = 0;
        ssize_t got;
        while ((got = read(fd, buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < got; i++) {
                sum = sum * 31 + (unsigned char)buf[i];
                lines += buf[i] == '\n';
            }
        printf("step %d: %lu lines, sum %lx\n", step, lines, sum);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (sock >= 0)
        close(sock);
    close(fd);
    printf("done\n");
    return 0;
}
