/* Single-precision arithmetic in hot loops, so that the translator's native float paths run
 * (and, under --jit, every block is translated): + - * / sqrt, fused multiply-add, compares,
 * conversions to and from integers and doubles, sign injection, under each rounding mode,
 * with the accrued exception flags printed after each section. Results are printed in hex
 * (%a) so any difference in the last bit shows. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile float seeds[] = {1.0f, -3.5f, 0.1f, 1e-30f, 3e38f, -0.0f, 1.17549435e-38f, 7.0f};
static const int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
static const char *names[] = {"rne", "rtz", "rdn", "rup"};

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void flags(const char *what)
{
    printf("  %s flags:%s%s%s%s%s\n", what, fetestexcept(FE_INVALID) ? " NV" : "",
           fetestexcept(FE_DIVBYZERO) ? " DZ" : "", fetestexcept(FE_OVERFLOW) ? " OF" : "",
           fetestexcept(FE_UNDERFLOW) ? " UF" : "", fetestexcept(FE_INEXACT) ? " NX" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void)
{
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        feclearexcept(FE_ALL_EXCEPT);
        printf("%s\n", names[m]);
        float s = 0.0f, p = 1.0f, q = 1.0f, r = 0.0f;
        for (int i = 0; i < 20000; i++) {
            float a = seeds[i & 7], b = seeds[(i >> 3) & 7];
            s = s * 0.999f + a;
            p = fmaf(p, 1.0001f, b * 1e-6f);
            q = q / 1.0003f + sqrtf(fabsf(a));
            r += copysignf(a - b, b) * 0.5f;
        }
        printf("  sum %a fma %a div %a sgn %a\n", (double)s, (double)p, (double)q, (double)r);
        flags("arith");
        long li = 0;
        int ii = 0, lt = 0, le = 0, eq = 0;
        double d = 0;
        for (int i = 0; i < 20000; i++) {
            float a = seeds[i & 7] * (float)(i % 97), b = seeds[(i >> 2) & 7];
            ii += (int)lrintf(a);
            li += (long)(a * 1000.0f);
            lt += a < b;
            le += a <= b;
            eq += a == b;
            d += (double)a + (double)(float)(i * 3.3);
            float back = (float)(d * 1e-9);
            ii ^= (int)bits(back);
            unsigned u = (unsigned)i * 2654435761u;
            a = (float)u + (float)(long)u + (float)(int)u;
            li ^= bits(a);
        }
        printf("  int %d long %ld lt %d le %d eq %d double %a\n", ii, li, lt, le, eq, d);
        flags("convert");
        volatile float inf = 1.0f / seeds[5], nan = inf - inf;
        printf("  inf %a nan<1 %d nan==nan %d sqrt(-1) %08x 1/-0 %a\n", (double)inf, nan < 1.0f,
               nan == nan, bits(sqrtf(seeds[1])), (double)(1.0f / seeds[5]));
        flags("special");
    }
    return 0;
}
