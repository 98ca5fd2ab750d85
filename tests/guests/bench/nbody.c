#include "common.h"
#include <math.h>
enum { N = 5 };
static double x[N], y[N], z[N], vx[N], vy[N], vz[N], m[N];
int main(void)
{
    for (int i = 0; i < N; i++) { x[i] = i; y[i] = i * 0.5; z[i] = -i * 0.25; vx[i] = 0.01 * i; vy[i] = 0; vz[i] = 0.02; m[i] = 1.0 + i; }
    for (int step = 0; step < 1000000; step++) {
        for (int i = 0; i < N; i++)
            for (int j = i + 1; j < N; j++) {
                double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double mag = 0.001 / (d2 * sqrt(d2));
                vx[i] -= dx * m[j] * mag; vy[i] -= dy * m[j] * mag; vz[i] -= dz * m[j] * mag;
                vx[j] += dx * m[i] * mag; vy[j] += dy * m[i] * mag; vz[j] += dz * m[i] * mag;
            }
        for (int i = 0; i < N; i++) { x[i] += 0.001 * vx[i]; y[i] += 0.001 * vy[i]; z[i] += 0.001 * vz[i]; }
    }
    printf("nbody %.9f %.9f\n", x[0], vz[4]);
    return 0;
}
