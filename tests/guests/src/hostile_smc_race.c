/* hostile_smc_race: self-modifying code raced by other threads.
 *
 * A function in an RWX page returns 1 or 2 (`li a0, K; ret`). One thread rewrites the `li`
 * word between the two versions and flushes the instruction cache
 * (__builtin___clear_cache: riscv_flush_icache) 200 times, while three threads call the
 * function in a loop. Every result must be one of the two constants; the threads count the
 * others. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#define ROUNDS 200
#define READERS 3

typedef long (*fn)(void);
static uint32_t *code;
static atomic_int done, wrong, started;
static atomic_long calls;

/* addi a0, zero, imm */
static uint32_t li_a0(int imm) { return ((uint32_t)imm << 20) | (10 << 7) | 0x13; }

static void *reader(void *arg)
{
    (void)arg;
    long n = 0, bad = 0;
    long first = ((fn)code)();
    bad += first != 1 && first != 2;
    atomic_fetch_add(&started, 1);
    while (!atomic_load_explicit(&done, memory_order_relaxed)) {
        __asm__ volatile("fence.i" ::: "memory");
        for (int i = 0; i < 64; i++) {
            long r = ((fn)code)();
            bad += r != 1 && r != 2;
            n++;
        }
    }
    atomic_fetch_add(&wrong, (int)bad);
    atomic_fetch_add(&calls, n);
    return 0;
}

int main(void)
{
    code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    code[0] = li_a0(1);
    code[1] = 0x00008067; /* ret */
    __builtin___clear_cache((char *)code, (char *)(code + 2));
    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++)
        pthread_create(&t[i], 0, reader, 0);
    while (atomic_load(&started) < READERS)
        ;
    for (int round = 0; round < ROUNDS; round++) {
        atomic_store_explicit((_Atomic uint32_t *)&code[0], li_a0(1 + (round & 1)), memory_order_release);
        __builtin___clear_cache((char *)code, (char *)(code + 2));
        /* the writer calls it too: its own call after the flush must see its own write */
        long mine = ((fn)code)();
        if (mine != 1 + (round & 1))
            atomic_fetch_add(&wrong, 1);
    }
    atomic_store(&done, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], 0);
    printf("smc race: %d wrong results, readers called it: %s\n", atomic_load(&wrong),
           atomic_load(&calls) > 0 ? "yes" : "no");
    return atomic_load(&wrong) != 0;
}
