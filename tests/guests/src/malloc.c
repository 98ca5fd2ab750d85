/* malloc: glibc allocator stress driven by a fixed-seed PRNG (xorshift64*), so the
 * sequence of brk/mmap/munmap/mremap calls is the same on every run. Blocks range from a
 * few bytes to several MiB (>= 128 KiB goes through mmap, realloc of those through
 * mremap). Every block is filled with a pattern derived from its slot and generation and
 * verified before it is freed or after realloc; calloc memory must be zero, including
 * reused memory. Prints checksums of the contents, never addresses.
 * Exit status 0 if every check passed, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#define SLOTS 256
#define ROUNDS 1500
struct slot {
    unsigned char *p;
    size_t size;
    uint8_t seed;
};
static struct slot slots[SLOTS];
static int errors;
static uint64_t checksum = 1469598103934665603ULL; /* FNV-1a over verified contents */

static size_t pick_size(void)
{
    uint64_t r = rng();
    switch (r % 16) {
    case 0:  return 1 + (r >> 8) % 8;                     /* tiny */
    case 1:  return (1u << 20) + (r >> 8) % (3u << 20);   /* 1..4 MiB: mmap */
    case 2:  return 128 * 1024 + (r >> 8) % (256 * 1024); /* around the mmap threshold */
    case 3:
    case 4:  return 1024 + (r >> 8) % 16384;              /* medium */
    default: return 8 + (r >> 8) % 512;                   /* small */
    }
}

static void fill(unsigned char *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 31 + (i >> 8));
}

static void verify(const unsigned char *p, size_t n, uint8_t seed, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char want = (unsigned char)(seed + i * 31 + (i >> 8));
        if (p[i] != want) {
            printf("corruption in %s at offset %zu of %zu: got %u want %u\n", what, i, n, p[i], want);
            errors++;
            return;
        }
        checksum = (checksum ^ p[i]) * 1099511628211ULL;
    }
}

int main(void)
{
    size_t total_allocated = 0, big_blocks = 0, reallocs = 0, frees = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int i = (int)(rng() % SLOTS);
        struct slot *s = &slots[i];
        uint64_t op = rng() % 10;
        if (s->p == NULL) {
            s->size = pick_size();
            s->seed = (uint8_t)rng();
            s->p = malloc(s->size);
            if (!s->p) {
                printf("malloc(%zu) failed\n", s->size);
                return 1;
            }
            fill(s->p, s->size, s->seed);
            total_allocated += s->size;
            big_blocks += s->size >= (1u << 20);
        } else if (op < 4) {
            size_t nsize = pick_size();
            unsigned char *np = realloc(s->p, nsize);
            if (!np) {
                printf("realloc(%zu) failed\n", nsize);
                return 1;
            }
            size_t keep = nsize < s->size ? nsize : s->size;
            verify(np, keep, s->seed, "realloc");
            s->p = np;
            s->size = nsize;
            fill(s->p, s->size, s->seed);
            total_allocated += nsize;
            big_blocks += nsize >= (1u << 20);
            reallocs++;
        } else {
            verify(s->p, s->size, s->seed, "free");
            free(s->p);
            s->p = NULL;
            frees++;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            verify(slots[i].p, slots[i].size, slots[i].seed, "final");
            free(slots[i].p);
            slots[i].p = NULL;
        }
    }
    printf("rounds=%d total_allocated=%zu big_blocks(>=1MiB)=%zu reallocs=%zu frees=%zu\n",
           ROUNDS, total_allocated, big_blocks, reallocs, frees);
    printf("content checksum=%016llx\n", (unsigned long long)checksum);

    /* calloc: small (from dirtied heap memory) and large (fresh mmap) must be zeroed */
    for (int k = 0; k < 3; k++) {
        size_t sizes[] = {24, 4000, 100000, 3u << 20};
        for (unsigned j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            unsigned char *d = malloc(sizes[j]);
            memset(d, 0xAB, sizes[j]);
            free(d);
            unsigned char *c = calloc(sizes[j], 1);
            size_t nonzero = 0;
            for (size_t b = 0; b < sizes[j]; b++)
                nonzero += c[b] != 0;
            if (k == 0)
                printf("calloc(%zu): nonzero bytes=%zu\n", sizes[j], nonzero);
            errors += nonzero != 0;
            free(c);
        }
    }
    /* calloc overflow must fail cleanly */
    volatile size_t huge_n = (size_t)1 << 40;
    void *ov = calloc(huge_n, huge_n);
    printf("calloc overflow returned %s\n", ov ? "non-NULL" : "NULL");
    errors += ov != NULL;

    /* a 64 MiB block, touched sparsely, then shrunk with realloc */
    size_t huge = 64u << 20;
    unsigned char *h = malloc(huge);
    uint64_t hsum = 0;
    for (size_t off = 0; off < huge; off += 4096)
        h[off] = (unsigned char)(off >> 12);
    for (size_t off = 0; off < huge; off += 4096)
        hsum += h[off];
    h = realloc(h, 4096 * 3);
    printf("64MiB block page-sum=%llu after shrink first bytes=%u,%u,%u\n", (unsigned long long)hsum, h[0], h[4096],
           h[8192]);
    free(h);

    /* posix_memalign / aligned_alloc */
    void *al = NULL;
    int rc = posix_memalign(&al, 4096, 10000);
    printf("posix_memalign(4096): rc=%d aligned=%d\n", rc, ((uintptr_t)al % 4096) == 0);
    free(al);
    void *al2 = aligned_alloc(64, 640);
    printf("aligned_alloc(64): aligned=%d\n", ((uintptr_t)al2 % 64) == 0);
    free(al2);

    printf("malloc: %s (%d errors)\n", errors ? "FAILED" : "all checks passed", errors);
    return errors ? 1 : 0;
}
