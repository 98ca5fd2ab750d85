/* For the peak-RSS table of scripts/bench: `pool N` runs N worker threads (N = 0: the main
 * thread does the one share of work itself), all alive together, each hashing its own
 * 64 KiB buffer and calling a handful of functions so every thread has translated code to
 * run; a barrier holds them until all have started and again until all are done. Prints
 * the combined result, identical for every N >= 1. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
enum { BUF = 1 << 16, ROUNDS = 200 };
static pthread_barrier_t start, done;
static int nthreads;
static uint64_t mix(uint64_t h, uint8_t b) { return (h ^ b) * 0x100000001b3ull; }
static uint64_t work(long id)
{
    uint8_t *buf = malloc(BUF);
    uint64_t h = 0xcbf29ce484222325ull, x = (uint64_t)id * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < BUF; i++) x ^= x << 13, x ^= x >> 7, x ^= x << 17, buf[i] = (uint8_t)x;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < BUF; i++) h = mix(h, buf[i] ^ (uint8_t)r);
    free(buf);
    return h;
}
static void *worker(void *arg)
{
    pthread_barrier_wait(&start);
    uint64_t h = work((long)arg);
    pthread_barrier_wait(&done);
    return (void *)(uintptr_t)h;
}
int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atoi(argv[1]) : 8;
    if (nthreads < 0 || nthreads > 64) {
        fprintf(stderr, "pool: thread count %d out of 0..64\n", nthreads);
        return 2;
    }
    uint64_t total = 0;
    if (nthreads == 0) {
        total = work(0);
    } else {
        pthread_t t[64];
        pthread_barrier_init(&start, NULL, (unsigned)nthreads);
        pthread_barrier_init(&done, NULL, (unsigned)nthreads);
        for (long i = 0; i < nthreads; i++)
            if (pthread_create(&t[i], NULL, worker, (void *)i)) {
                perror("pthread_create");
                return 1;
            }
        for (int i = 0; i < nthreads; i++) {
            void *h;
            pthread_join(t[i], &h);
            total ^= (uint64_t)(uintptr_t)h;
        }
    }
    printf("pool %d %016llx\n", nthreads, (unsigned long long)total);
    return 0;
}
