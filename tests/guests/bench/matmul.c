#include "common.h"
enum { N = 200 };
static int32_t a[N][N], b[N][N], c[N][N];
int main(void)
{
    for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { a[i][j] = rng() % 100; b[i][j] = rng() % 100; }
    for (int r = 0; r < 15; r++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int32_t s = 0;
                for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
                c[i][j] = s + r;
            }
    int64_t t = 0;
    for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) t += c[i][j] * (i ^ j);
    printf("matmul %lld\n", (long long)t);
    return 0;
}
