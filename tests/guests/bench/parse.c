#include "common.h"
int main(void)
{
    /* Builds a CSV-like text of numbers and words, then tokenizes and parses it repeatedly. */
    enum { LEN = 1 << 20 };
    char *text = malloc(LEN + 1);
    size_t n = 0;
    while (n < LEN - 32) {
        if (rng() % 3) n += sprintf(text + n, "%ld,", (long)(rng() % 2000000) - 1000000);
        else { int w = 1 + rng() % 8; for (int i = 0; i < w; i++) text[n++] = 'a' + rng() % 26; text[n++] = ';'; }
    }
    text[n] = 0;
    long sum = 0, words = 0, letters = 0;
    for (int r = 0; r < 60; r++) {
        const char *p = text;
        while (*p) {
            if (*p == '-' || (*p >= '0' && *p <= '9')) {
                int neg = *p == '-'; if (neg) p++;
                long v = 0; while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
                sum += neg ? -v : v;
            } else if (*p >= 'a' && *p <= 'z') {
                words++; while (*p >= 'a' && *p <= 'z') { letters += *p - 'a'; p++; }
            } else p++;
        }
    }
    printf("parse %ld %ld %ld\n", sum, words, letters);
    return 0;
}
