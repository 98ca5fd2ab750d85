/* math: libm results printed with %.17g (bit-exact), fused multiply-add, and the
 * floating-point environment: lrint/rint/nearbyint under each rounding mode set with
 * fesetround (FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO), and the exception
 * flags (fetestexcept) raised by 1/0, 0/0, DBL_MAX*2, underflow and an inexact operation.
 * On RISC-V these read/write fcsr (frm, fflags), and the F/D instructions must honour the
 * dynamic rounding mode and accumulate flags exactly. Exit status 0. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>

/* volatile so that nothing is constant-folded at compile time */
static volatile double v_one = 1.0, v_zero = 0.0, v_max = DBL_MAX, v_min = DBL_MIN;

static void print_flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%-14s flags:%s%s%s%s%s%s\n", what, f & FE_INVALID ? " INVALID" : "", f & FE_DIVBYZERO ? " DIVBYZERO" : "",
           f & FE_OVERFLOW ? " OVERFLOW" : "", f & FE_UNDERFLOW ? " UNDERFLOW" : "", f & FE_INEXACT ? " INEXACT" : "",
           f ? "" : " none");
}

int main(void)
{
    volatile double x[] = {0.5, 1.0, 2.0, 10.0, -3.25, 1e-10, 100.5};
    enum { NX = sizeof x / sizeof x[0] };
    for (int i = 0; i < NX; i++) {
        double v = x[i];
        printf("x=%.17g\n", v);
        printf("  sin=%.17g cos=%.17g tan=%.17g\n", sin(v), cos(v), tan(v));
        printf("  exp=%.17g log=%.17g log10=%.17g\n", exp(v), log(fabs(v)), log10(fabs(v)));
        printf("  sqrt=%.17g cbrt=%.17g pow(v,1.5)=%.17g pow(2,v)=%.17g\n", sqrt(fabs(v)), cbrt(v), pow(fabs(v), 1.5),
               pow(2.0, v));
        printf("  floor=%.17g ceil=%.17g round=%.17g trunc=%.17g\n", floor(v), ceil(v), round(v), trunc(v));
        printf("  atan2(v,3)=%.17g hypot(v,4)=%.17g fmod(v,0.7)=%.17g\n", atan2(v, 3.0), hypot(v, 4.0), fmod(v, 0.7));
    }
    printf("sqrt(2)=%.17g sqrt(-1) isnan=%d\n", sqrt(2.0 * v_one), isnan(sqrt(-v_one)));
    printf("sqrtf(2)=%.9g sinf(1)=%.9g expf(1)=%.9g\n", (double)sqrtf(2.0f * (float)v_one),
           (double)sinf((float)v_one), (double)expf((float)v_one));
    printf("pow(10,-2)=%.17g pow(-8,1/3.)=%.17g pow(0,0)=%.17g\n", pow(10.0, -2.0 * v_one),
           pow(-8.0, 1.0 / 3.0 * v_one), pow(v_zero, v_zero));
    printf("exp(710)=%.17g log(0)=%.17g\n", exp(710.0 * v_one), log(v_zero));

    /* fma: a*b+c rounded once. 0.1*10-1 is exactly 2^-54 with fma, 0 without */
    volatile double a = 0.1, b = 10.0, c = -1.0;
    printf("fma(0.1,10,-1)=%.17g  0.1*10-1=%.17g\n", fma(a, b, c), a * b + c);
    volatile double e = 1.0 + DBL_EPSILON;
    printf("fma(1+eps,1+eps,-(1+2eps))=%.17g\n", fma(e, e, -(1.0 + 2 * DBL_EPSILON)));
    volatile float fa = 0.1f, fb = 10.0f, fc = -1.0f;
    printf("fmaf(0.1f,10,-1)=%.9g\n", (double)fmaf(fa, fb, fc));
    printf("round(2.5)=%.17g round(-2.5)=%.17g round(0.49999999999999994)=%.17g\n", round(2.5 * v_one),
           round(-2.5 * v_one), round(0.49999999999999994 * v_one));
    printf("copysign(3,-0.0)=%.17g signbit(-0.0)=%d fabs(-0.0)=%.17g\n", copysign(3.0, -v_zero),
           !!signbit(-v_zero), fabs(-v_zero));
    printf("fmin(nan,1)=%.17g fmax(-0.0,0.0)=%.17g\n", fmin(v_zero / v_zero, v_one), fmax(-v_zero, v_zero));
    printf("ldexp(1,-1074)=%.17g frexp(48)=", ldexp(v_one, -1074));
    int ex;
    double mant = frexp(48.0 * v_one, &ex);
    printf("%.17g*2^%d\n", mant, ex);
    printf("conversions: (long)-2.9=%ld (unsigned long)3.9=%lu (int)-0.5=%d (float)1e40 isinf=%d\n",
           (long)(-2.9 * v_one), (unsigned long)(3.9 * v_one), (int)(-0.5 * v_one), isinf((float)(1e40 * v_one)));

    /* rounding modes */
    static const struct { int mode; const char *name; } modes[] = {
        {FE_TONEAREST, "FE_TONEAREST"}, {FE_UPWARD, "FE_UPWARD"},
        {FE_DOWNWARD, "FE_DOWNWARD"},   {FE_TOWARDZERO, "FE_TOWARDZERO"},
    };
    volatile double rv[] = {2.5, -2.5, 3.5, -3.5, 0.5, 1e10 + 0.5, -1.4999, 2.4999999};
    enum { NR = sizeof rv / sizeof rv[0] };
    for (int m = 0; m < 4; m++) {
        int rc = fesetround(modes[m].mode);
        printf("%s (fesetround rc=%d, fegetround ok=%d)\n", modes[m].name, rc, fegetround() == modes[m].mode);
        for (int i = 0; i < NR; i++) {
            double v = rv[i];
            printf("  v=%-12.17g lrint=%ld rint=%.17g nearbyint=%.17g llrint=%lld\n", v, lrint(v), rint(v),
                   nearbyint(v), llrint(v));
        }
        /* rounding of arithmetic itself: 1/3 and -1/3, and a sum that is inexact */
        volatile double three = 3.0;
        printf("  1/3=%.17g -1/3=%.17g 1+2^-53=%.17g sqrt(2)=%.17g\n", v_one / three, -v_one / three,
               v_one + 0x1p-53, sqrt(2.0 * v_one));
        volatile float ft = 3.0f;
        printf("  1f/3f=%.9g (float)0.1=%.9g\n", (double)((float)v_one / ft), (double)(float)(0.1 * v_one));
    }
    fesetround(FE_TONEAREST);

    /* exception flags */
    volatile double r;
    feclearexcept(FE_ALL_EXCEPT);
    print_flags("cleared");
    r = v_one / v_zero;
    print_flags("1/0.0");
    feclearexcept(FE_ALL_EXCEPT);
    r = v_zero / v_zero;
    print_flags("0/0.0");
    feclearexcept(FE_ALL_EXCEPT);
    r = v_max * 2.0;
    print_flags("DBL_MAX*2");
    feclearexcept(FE_ALL_EXCEPT);
    r = v_min * v_min;
    print_flags("DBL_MIN^2");
    feclearexcept(FE_ALL_EXCEPT);
    r = v_one / 3.0;
    print_flags("1/3.0");
    feclearexcept(FE_ALL_EXCEPT);
    r = v_one + 1.0;
    print_flags("1+1");
    feclearexcept(FE_ALL_EXCEPT);
    r = sqrt(-v_one);
    print_flags("sqrt(-1)");
    feclearexcept(FE_ALL_EXCEPT);
    long l = lrint(1e30 * v_one);
    (void)l;
    print_flags("lrint(1e30)");
    feclearexcept(FE_ALL_EXCEPT);
    r = v_one / v_zero;
    r = v_one / 3.0;
    print_flags("1/0, 1/3");
    feraiseexcept(FE_OVERFLOW);
    print_flags("+feraise OVF");
    feclearexcept(FE_DIVBYZERO);
    print_flags("-clear DZ");
    (void)r;
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}
