/* sort_string: qsort of a fixed-seed array (integers, doubles, strings), and string.h /
 * stdio string functions: strlen, strcmp/strncmp, strchr/strrchr, strstr, memcpy,
 * memmove with overlap in both directions, memset, memcmp, strtok, strtol/strtoul/strtod,
 * snprintf truncation, sprintf. glibc implements many of these with word-at-a-time
 * tricks, so they stress shifts, unaligned loads and bit manipulation.
 * Exit status 0 if every check passed, 1 otherwise. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            printf("FAILED: %s (line %d)\n", #cond, __LINE__);         \
            failures++;                                               \
        }                                                             \
    } while (0)

static uint32_t lcg = 12345;
static uint32_t rnd(void)
{
    lcg = lcg * 1103515245u + 12345u;
    return lcg >> 1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    /* qsort of 10000 ints */
    enum { N = 10000 };
    static int a[N];
    for (int i = 0; i < N; i++)
        a[i] = (int)(rnd() % 200001) - 100000;
    qsort(a, N, sizeof a[0], cmp_int);
    int sorted = 1;
    long long sum = 0;
    for (int i = 0; i < N; i++) {
        sum += a[i];
        if (i && a[i - 1] > a[i])
            sorted = 0;
    }
    printf("qsort ints: sorted=%d min=%d max=%d median=%d sum=%lld\n", sorted, a[0], a[N - 1], a[N / 2], sum);
    printf("first 8:");
    for (int i = 0; i < 8; i++)
        printf(" %d", a[i]);
    printf("\n");
    CHECK(sorted);

    /* qsort of doubles */
    double d[16];
    for (int i = 0; i < 16; i++)
        d[i] = ((int)(rnd() % 2001) - 1000) / 8.0;
    qsort(d, 16, sizeof d[0], cmp_dbl);
    printf("qsort doubles:");
    for (int i = 0; i < 16; i++)
        printf(" %g", d[i]);
    printf("\n");

    /* qsort of strings */
    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "apricot", "date", "Zebra", "kiwi", "", "app"};
    enum { W = sizeof words / sizeof words[0] };
    const char *w[W];
    memcpy(w, words, sizeof w);
    qsort(w, W, sizeof w[0], cmp_str);
    printf("qsort strings:");
    for (int i = 0; i < W; i++)
        printf(" [%s]", w[i]);
    printf("\n");

    /* strlen at every alignment and length (word-at-a-time implementations) */
    char buf[128];
    unsigned long lensum = 0;
    for (int off = 0; off < 16; off++)
        for (int len = 0; len < 64; len++) {
            memset(buf, 'x', sizeof buf);
            buf[off + len] = 0;
            size_t l = strlen(buf + off);
            CHECK(l == (size_t)len);
            lensum += l;
        }
    printf("strlen: sum over alignments=%lu\n", lensum);

    /* comparisons */
    printf("strcmp: %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("abc", "abc") == 0, strcmp("b", "abc") > 0);
    printf("strcmp high bit: %d\n", strcmp("\x80", "\x01") > 0); /* compares as unsigned char */
    printf("strncmp: %d %d\n", strncmp("abcdef", "abcxyz", 3) == 0, strncmp("abcdef", "abcxyz", 4) < 0);
    printf("memcmp: %d %d\n", memcmp("\x00\xff", "\x00\x01", 2) > 0, memcmp("same", "same", 4) == 0);
    printf("strchr: %s | strrchr: %s\n", strchr("a/b/c", '/'), strrchr("a/b/c", '/'));
    const char *hay = "the quick brown fox jumps over the lazy dog";
    const char *hit = strstr(hay, "fox");
    printf("strstr: offset=%td [%s]\n", hit ? hit - hay : -1, hit ? hit : "");
    printf("strstr miss: %s\n", strstr(hay, "cat") ? "found" : "NULL");
    printf("strstr empty needle: offset=%td\n", strstr(hay, "") - hay);
    printf("strspn=%zu strcspn=%zu\n", strspn("aaabbbccc", "ab"), strcspn("hello world", " "));

    /* memmove overlap, both directions */
    char m[32] = "0123456789abcdef";
    memmove(m + 4, m, 10);
    printf("memmove forward overlap:  [%s]\n", m);
    strcpy(m, "0123456789abcdef");
    memmove(m, m + 4, 10);
    printf("memmove backward overlap: [%s]\n", m);
    CHECK(strcmp(m, "456789abcdabcdef") == 0);
    /* larger memmove at odd alignments */
    static unsigned char big[4096];
    for (int i = 0; i < 4096; i++)
        big[i] = (unsigned char)i;
    memmove(big + 3, big + 1, 3000);
    unsigned long ms = 0;
    for (int i = 0; i < 4096; i++)
        ms = ms * 31 + big[i];
    printf("memmove 3000 bytes +1->+3: hash=%lu\n", ms);
    memset(big + 5, 0x5a, 1000);
    CHECK(big[4] != 0x5a && big[5] == 0x5a && big[1004] == 0x5a && big[1005] != 0x5a);

    /* strtok */
    char line[] = "alpha, beta;gamma,,delta ; epsilon";
    printf("strtok:");
    for (char *t = strtok(line, ",; "); t; t = strtok(NULL, ",; "))
        printf(" <%s>", t);
    printf("\n");

    /* snprintf truncation and return value */
    char small[8];
#pragma GCC diagnostic ignored "-Wformat-truncation" /* truncation is the point */
    int n = snprintf(small, sizeof small, "%s-%d", "truncated", 12345);
    printf("snprintf: returned %d, buffer [%s]\n", n, small);
    n = snprintf(NULL, 0, "%d %s %.2f", 42, "abc", 3.14159);
    printf("snprintf(NULL, 0): %d\n", n);
    sprintf(buf, "%08.3f|%-6s|%x", 3.14159, "ab", 48879);
    printf("sprintf: [%s]\n", buf);

    /* number parsing */
    char *end;
    printf("strtol: %ld %ld %ld\n", strtol("  -1234xyz", &end, 10), strtol("0x7f", NULL, 16), strtol("777", NULL, 8));
    printf("strtol rest: [%s]\n", end);
    printf("strtoul: %lu\n", strtoul("18446744073709551615", NULL, 10));
    printf("strtod: %.17g %.17g %.17g\n", strtod("3.14159", NULL), strtod("1e-5", NULL), strtod("0x1.8p1", NULL));
    printf("atoi: %d\n", atoi("  -77"));

    /* ctype + case conversion */
    char up[] = "Mixed Case 123!";
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    printf("toupper: %s\n", up);

    printf("sort_string: %s (%d failures)\n", failures ? "FAILED" : "all checks passed", failures);
    return failures ? 1 : 0;
}
