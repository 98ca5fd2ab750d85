// pthreads under mimic: each argument names one test; the output is exact (no timing, no
// thread ids), so it is compared with qemu-riscv64's golden byte for byte.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT 8

static void spawn_all(int n, void *(*fn)(void *)) {
    pthread_t t[64];
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i)) {
            perror("pthread_create");
            exit(1);
        }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

// ---- mutex ----------------------------------------------------------------------------
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long mutex_total;
static void *mutex_fn(void *arg) {
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&mu);
        mutex_total++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

// ---- condvar: bounded buffer, 4 producers, 4 consumers ---------------------------------
#define QN 16
#define ITEMS 5000
static int q[QN], qhead, qcount;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static long consumed_sum;
static void *producer(void *arg) {
    long id = (long)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&mu);
        while (qcount == QN)
            pthread_cond_wait(&notfull, &mu);
        q[(qhead + qcount++) % QN] = i + (int)id * ITEMS;
        pthread_cond_signal(&notempty);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}
static void *consumer(void *arg) {
    (void)arg;
    long sum = 0;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&mu);
        while (qcount == 0)
            pthread_cond_wait(&notempty, &mu);
        sum += q[qhead];
        qhead = (qhead + 1) % QN;
        qcount--;
        pthread_cond_signal(&notfull);
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    consumed_sum += sum;
    pthread_mutex_unlock(&mu);
    return NULL;
}
static void *condvar_fn(void *arg) {
    long i = (long)arg;
    return i < 4 ? producer(arg) : consumer(arg);
}

// ---- barrier --------------------------------------------------------------------------
static pthread_barrier_t bar;
static atomic_int arrived;
static atomic_int barrier_bad;
static void *barrier_fn(void *arg) {
    (void)arg;
    for (int round = 1; round <= 50; round++) {
        atomic_fetch_add(&arrived, 1);
        pthread_barrier_wait(&bar);
        if (atomic_load(&arrived) != round * NT)
            atomic_fetch_add(&barrier_bad, 1);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

// ---- rwlock ---------------------------------------------------------------------------
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b;
static atomic_long rw_reads, rw_torn;
static void *rwlock_fn(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < 5000; i++) {
        if (id < 2) {
            pthread_rwlock_wrlock(&rw);
            rw_a++;
            rw_b++;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            if (rw_a != rw_b)
                atomic_fetch_add(&rw_torn, 1);
            atomic_fetch_add(&rw_reads, 1);
            pthread_rwlock_unlock(&rw);
        }
    }
    return NULL;
}

// ---- __thread TLS and key destructors --------------------------------------------------
static __thread long tls_counter = 100;
static pthread_key_t key;
static atomic_long destructed;
static atomic_long tls_bad;
static void destructor(void *p) { atomic_fetch_add(&destructed, (long)(intptr_t)p); }
static void *tls_fn(void *arg) {
    long id = (long)arg;
    if (tls_counter != 100)
        atomic_fetch_add(&tls_bad, 1);
    for (int i = 0; i < 1000; i++)
        tls_counter += id;
    pthread_setspecific(key, (void *)(intptr_t)(id + 1));
    if (tls_counter != 100 + 1000 * id)
        atomic_fetch_add(&tls_bad, 1);
    return NULL;
}

// ---- producer/consumer over a pipe between threads ------------------------------------
static int pfd[2];
static void *pipe_writer(void *arg) {
    (void)arg;
    char line[32];
    for (int i = 1; i <= 2000; i++) {
        int n = snprintf(line, sizeof line, "%d\n", i);
        if (write(pfd[1], line, n) != n)
            exit(3);
    }
    close(pfd[1]);
    return NULL;
}

// ---- big writes through a pipe between threads (a blocking write longer than the pipe) ---
#define BIG (1 << 20)
static void *bigpipe_writer(void *arg) {
    (void)arg;
    static unsigned char buf[BIG];
    for (int i = 0; i < BIG; i++)
        buf[i] = (unsigned char)(i * 7);
    for (size_t done = 0; done < BIG;) {
        ssize_t n = write(pfd[1], buf + done, BIG - done);
        if (n <= 0)
            exit(3);
        done += (size_t)n;
    }
    close(pfd[1]);
    return NULL;
}

// ---- atomics: AMO and LR/SC increments -------------------------------------------------
#define INCS 1000000
static int amo_counter;
static void *amo_fn(void *arg) {
    (void)arg;
    for (int i = 0; i < INCS; i++)
        __atomic_fetch_add(&amo_counter, 1, __ATOMIC_RELAXED); // amoadd.w
    return NULL;
}
static int lrsc_counter;
static void *lrsc_fn(void *arg) {
    (void)arg;
    for (int i = 0; i < INCS; i++) {
#ifdef __riscv
        int tmp, fail;
        __asm__ volatile("1: lr.w %0, (%2)\n"
                         "   addi %0, %0, 1\n"
                         "   sc.w %1, %0, (%2)\n"
                         "   bnez %1, 1b\n"
                         : "=&r"(tmp), "=&r"(fail)
                         : "r"(&lrsc_counter)
                         : "memory");
#else
        // The host build (tests/oracle.rs): the same retry loop as a compare-and-swap.
        int old = __atomic_load_n(&lrsc_counter, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&lrsc_counter, &old, old + 1, 1, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
            ;
#endif
    }
    return NULL;
}

// ---- a lock-free bounded MPMC queue (Vyukov), 4 producers, 4 consumers -----------------
#define LFQ_N 1024
#define LFQ_ITEMS 50000
static struct cell {
    atomic_size_t seq;
    long val;
} cells[LFQ_N];
static atomic_size_t enq_pos, deq_pos;
static atomic_long lfq_sum, lfq_count;
static void lfq_push(long v) {
    for (;;) {
        size_t pos = atomic_load_explicit(&enq_pos, memory_order_relaxed);
        struct cell *c = &cells[pos % LFQ_N];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0 && atomic_compare_exchange_weak(&enq_pos, &pos, pos + 1)) {
            c->val = v;
            atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
            return;
        }
        if (dif < 0)
            sched_yield(); // full
    }
}
static long lfq_pop(void) {
    for (;;) {
        size_t pos = atomic_load_explicit(&deq_pos, memory_order_relaxed);
        struct cell *c = &cells[pos % LFQ_N];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
        if (dif == 0 && atomic_compare_exchange_weak(&deq_pos, &pos, pos + 1)) {
            long v = c->val;
            atomic_store_explicit(&c->seq, pos + LFQ_N, memory_order_release);
            return v;
        }
        if (dif < 0)
            sched_yield(); // empty
    }
}
static void *lfq_fn(void *arg) {
    long id = (long)arg;
    if (id < 4) {
        for (long i = 1; i <= LFQ_ITEMS; i++)
            lfq_push(i);
    } else {
        long sum = 0;
        for (long i = 0; i < LFQ_ITEMS; i++)
            sum += lfq_pop();
        atomic_fetch_add(&lfq_sum, sum);
        atomic_fetch_add(&lfq_count, LFQ_ITEMS);
    }
    return NULL;
}

// ---- stress: malloc/free, mutexes, condvar ping-pong between pairs ---------------------
static pthread_mutex_t pair_mu[NT / 2];
static pthread_cond_t pair_cv[NT / 2];
static int pair_turn[NT / 2];
static long pair_rounds[NT / 2];
static atomic_long stress_bytes;
static void *stress_fn(void *arg) {
    long id = (long)arg, pair = id / 2, me = id % 2;
    unsigned seed = (unsigned)id * 2654435761u + 1;
    void *keep[64] = {0};
    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245 + 12345;
        int slot = (seed >> 8) % 64;
        size_t size = 1 + (seed >> 16) % 2000;
        free(keep[slot]);
        keep[slot] = malloc(size);
        memset(keep[slot], (int)id, size);
        atomic_fetch_add(&stress_bytes, (long)size);
        pthread_mutex_lock(&pair_mu[pair]);
        while (pair_turn[pair] != me)
            pthread_cond_wait(&pair_cv[pair], &pair_mu[pair]);
        pair_rounds[pair]++;
        pair_turn[pair] = !me;
        pthread_cond_signal(&pair_cv[pair]);
        pthread_mutex_unlock(&pair_mu[pair]);
        pthread_mutex_lock(&mu);
        mutex_total++;
        pthread_mutex_unlock(&mu);
    }
    for (int s = 0; s < 64; s++)
        free(keep[s]);
    return NULL;
}

// ---- racy: unsynchronised increments, output depends on the interleaving ---------------
// The threads wait at a gate until all four run: without it a fast engine finishes each
// thread's loop before the next thread is created, and the runs never interleave.
static volatile long racy_counter;
static long racy_seen[4];
static atomic_int racy_ready;
static void *racy_fn(void *arg) {
    long id = (long)arg;
    atomic_fetch_add(&racy_ready, 1);
    while (atomic_load(&racy_ready) < 4)
        ;
    for (int i = 0; i < 300000; i++)
        racy_counter = racy_counter + 1;
    racy_seen[id] = racy_counter;
    return NULL;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int a = 1; a < argc; a++) {
        const char *t = argv[a];
        if (!strcmp(t, "mutex")) {
            mutex_total = 0;
            spawn_all(NT, mutex_fn);
            printf("mutex: %ld\n", mutex_total);
        } else if (!strcmp(t, "condvar")) {
            spawn_all(8, condvar_fn);
            long want = 0;
            for (long p = 0; p < 4; p++)
                for (long i = 1; i <= ITEMS; i++)
                    want += i + p * ITEMS;
            printf("condvar: sum %ld %s\n", consumed_sum, consumed_sum == want ? "ok" : "WRONG");
        } else if (!strcmp(t, "barrier")) {
            pthread_barrier_init(&bar, NULL, NT);
            spawn_all(NT, barrier_fn);
            printf("barrier: %d arrivals, %d early\n", atomic_load(&arrived),
                   atomic_load(&barrier_bad));
        } else if (!strcmp(t, "rwlock")) {
            spawn_all(NT, rwlock_fn);
            printf("rwlock: a=%ld b=%ld reads=%ld torn=%ld\n", rw_a, rw_b, atomic_load(&rw_reads),
                   atomic_load(&rw_torn));
        } else if (!strcmp(t, "tls")) {
            pthread_key_create(&key, destructor);
            spawn_all(NT, tls_fn);
            printf("tls: main %ld, destructors %ld, bad %ld\n", tls_counter,
                   atomic_load(&destructed), atomic_load(&tls_bad));
        } else if (!strcmp(t, "pipe")) {
            if (pipe(pfd))
                return 2;
            pthread_t w;
            pthread_create(&w, NULL, pipe_writer, NULL);
            FILE *f = fdopen(pfd[0], "r");
            long sum = 0, lines = 0, v;
            while (fscanf(f, "%ld", &v) == 1)
                sum += v, lines++;
            pthread_join(w, NULL);
            printf("pipe: %ld lines, sum %ld\n", lines, sum);
        } else if (!strcmp(t, "bigpipe")) {
            if (pipe(pfd))
                return 2;
            pthread_t w;
            pthread_create(&w, NULL, bigpipe_writer, NULL);
            static unsigned char in[65536 * 3];
            unsigned long sum = 0, total = 0;
            ssize_t n;
            while ((n = read(pfd[0], in, sizeof in)) > 0)
                for (ssize_t i = 0; i < n; i++)
                    sum = sum * 31 + in[i], total++;
            pthread_join(w, NULL);
            printf("bigpipe: %lu bytes, hash %lu\n", total, sum);
        } else if (!strcmp(t, "amo")) {
            spawn_all(NT, amo_fn);
            printf("amo: %d\n", amo_counter);
        } else if (!strcmp(t, "lrsc")) {
            spawn_all(NT, lrsc_fn);
            printf("lrsc: %d\n", lrsc_counter);
        } else if (!strcmp(t, "lfq")) {
            for (size_t i = 0; i < LFQ_N; i++)
                atomic_store(&cells[i].seq, i);
            spawn_all(8, lfq_fn);
            printf("lfq: %ld items, sum %ld\n", atomic_load(&lfq_count), atomic_load(&lfq_sum));
        } else if (!strcmp(t, "stress")) {
            mutex_total = 0;
            for (int i = 0; i < NT / 2; i++) {
                pthread_mutex_init(&pair_mu[i], NULL);
                pthread_cond_init(&pair_cv[i], NULL);
            }
            spawn_all(NT, stress_fn);
            long rounds = 0;
            for (int i = 0; i < NT / 2; i++)
                rounds += pair_rounds[i];
            printf("stress: %ld locked increments, %ld ping-pong rounds, %ld bytes\n", mutex_total,
                   rounds, atomic_load(&stress_bytes));
        } else if (!strcmp(t, "racy")) {
            spawn_all(4, racy_fn);
            printf("racy: %ld [%ld %ld %ld %ld]\n", racy_counter, racy_seen[0], racy_seen[1],
                   racy_seen[2], racy_seen[3]);
        } else {
            fprintf(stderr, "threads: unknown test %s\n", t);
            return 2;
        }
    }
    return 0;
}
