/* A computation with a progress counter, for snapshots (tests/snapshot.rs): STEPS steps
 * (argv[1], default 40), each mixing a state of 64 words through many rounds and printing
 * the step and a checksum, then sleeping 20 ms (a blocking call a snapshot may land in,
 * rolled back to its restart point). Heap, stack and globals all carry state across the
 * steps, so a resume that lost any of them prints a different final line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t global_state[64];

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 40;
    uint64_t *heap = malloc(4096 * sizeof *heap);
    double acc = 1.0;
    if (!heap)
        return 1;
    for (int i = 0; i < 4096; i++)
        heap[i] = mix(i);
    for (int i = 0; i < 64; i++)
        global_state[i] = i * 0x9e3779b97f4a7c15ULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int step = 1; step <= steps; step++) {
        uint64_t local[16];
        memset(local, step, sizeof local);
        for (int round = 0; round < 20000; round++) {
            uint64_t *w = &global_state[round & 63];
            *w = mix(*w + heap[(round * 7 + step) & 4095] + local[round & 15]);
            local[round & 15] ^= *w;
            heap[(*w >> 7) & 4095] += *w | 1;
        }
        acc = acc * 1.0000001 + (double)(global_state[step & 63] & 0xffff) / 65536.0;
        uint64_t sum = 0;
        for (int i = 0; i < 64; i++)
            sum += global_state[i];
        printf("step %d/%d sum %016llx acc %.6f\n", step, steps, (unsigned long long)sum, acc);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    uint64_t h = 0;
    for (int i = 0; i < 4096; i++)
        h = mix(h ^ heap[i]);
    printf("done: heap hash %016llx\n", (unsigned long long)h);
    free(heap);
    return 0;
}
