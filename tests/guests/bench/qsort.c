#include "common.h"
static void sort(int *a, long lo, long hi)
{
    while (lo < hi) {
        int p = a[(lo + hi) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { sort(a, lo, j); lo = i; } else { sort(a, i, hi); hi = j; }
    }
}
int main(void)
{
    enum { N = 1000000 };
    int *a = malloc(N * sizeof *a);
    long ok = 1, h = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) a[i] = (int)rng();
        sort(a, 0, N - 1);
        for (int i = 1; i < N; i++) { ok &= a[i - 1] <= a[i]; h = h * 31 + a[i]; }
    }
    printf("qsort sorted=%ld %ld\n", ok, h);
    return 0;
}
