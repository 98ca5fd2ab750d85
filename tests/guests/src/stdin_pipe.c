/* stdin_pipe: reads standard input to EOF with read(2) in small chunks (so short reads
 * and EOF handling matter), then prints the byte, line and word counts, an FNV-1a
 * checksum, and the lines in reverse order. Exit status 0 (3 on a read error). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    size_t cap = 256, len = 0;
    char *data = malloc(cap);
    for (;;) {
        if (len + 100 > cap) {
            cap *= 2;
            data = realloc(data, cap);
        }
        ssize_t r = read(0, data + len, 100);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            printf("read error: %s\n", strerror(errno));
            return 3;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    size_t lines = 0, words = 0;
    int in_word = 0;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        h = (h ^ ch) * 1099511628211ULL;
        if (ch == '\n')
            lines++;
        if (isspace(ch))
            in_word = 0;
        else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    printf("bytes=%zu lines=%zu words=%zu fnv1a=%016llx\n", len, lines, words, (unsigned long long)h);

    /* split into lines (a final line without '\n' counts too) and print them reversed */
    size_t nl = 0, lcap = 16;
    char **ls = malloc(lcap * sizeof *ls);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len ? i > start : data[i] == '\n') {
            if (nl == lcap)
                ls = realloc(ls, (lcap *= 2) * sizeof *ls);
            data[i] = 0; /* i == len is fine: cap > len */
            ls[nl++] = data + start;
            start = i + 1;
        }
    }
    printf("--- %zu lines, reversed ---\n", nl);
    for (size_t i = nl; i-- > 0;)
        printf("%s\n", ls[i]);
    return 0;
}
