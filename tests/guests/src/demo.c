/* mimic tui's demo guest: a few threads render the frames of a Mandelbrot zoom, the main
 * thread prints each frame. Embedded in mimic (`mimic tui` with no program), so a newcomer
 * sees registers, floats, blocks and syscalls move.
 *
 *   demo [frames [delay_ms]]     default: 60 frames, 40 ms apart
 *
 * stdout does not depend on how many threads ran (each thread owns whole rows, the main
 * thread sums after joining), so it has a qemu golden; when pthread_create fails (mimic
 * before clone lands) a worker's rows are rendered by the main thread, said on stderr. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define W 64
#define H 20
#define THREADS 4

static char rows[H][W + 1];

struct job {
    int id, maxit;
    double cx, cy, scale;
    long iterations;
};

static int escape(double cr, double ci, int maxit)
{
    double zr = 0, zi = 0;
    int n = 0;
    while (n < maxit && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        n++;
    }
    return n;
}

static void *render(void *arg)
{
    static const char shades[] = " .:-=+*#%@";
    struct job *j = arg;
    for (int y = j->id; y < H; y += THREADS) {
        for (int x = 0; x < W; x++) {
            double cr = j->cx + (x - W / 2) * j->scale / W;
            double ci = j->cy + (y - H / 2) * j->scale / W * 2;
            int n = escape(cr, ci, j->maxit);
            j->iterations += n;
            rows[y][x] = n == j->maxit ? '@' : shades[n % 9];
        }
        rows[y][W] = 0;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 60;
    int delay_ms = argc > 2 ? atoi(argv[2]) : 40;
    double scale = 3.0;
    int inline_jobs = 0;
    for (int f = 0; f < frames; f++) {
        pthread_t tid[THREADS];
        int started[THREADS];
        struct job jobs[THREADS];
        for (int t = 0; t < THREADS; t++) {
            jobs[t] = (struct job){ t, 64 + 8 * f, -0.743643887037151, 0.13182590420533, scale, 0 };
            started[t] = pthread_create(&tid[t], NULL, render, &jobs[t]) == 0;
            if (!started[t]) {
                render(&jobs[t]);
                inline_jobs++;
            }
        }
        long total = 0;
        for (int t = 0; t < THREADS; t++) {
            if (started[t])
                pthread_join(tid[t], NULL);
            total += jobs[t].iterations;
        }
        printf("frame %d/%d  scale %.3e  iterations %ld\n", f + 1, frames, scale, total);
        for (int y = 0; y < H; y++)
            printf("|%s|\n", rows[y]);
        fflush(stdout);
        scale *= 0.85;
        if (delay_ms > 0) {
            struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    fprintf(stderr, "demo: %d of %d jobs ran on the main thread (pthread_create failed)\n",
            inline_jobs, frames * THREADS);
    return 0;
}
