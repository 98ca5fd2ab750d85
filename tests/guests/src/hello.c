/* hello: printf formatting of integers, strings and doubles (%f %e %g %.17g, %a),
 * including the awkward values: -0.0, subnormals, inf, nan, huge and tiny numbers.
 * Exercises glibc's printf machinery (which uses integer and FP arithmetic heavily).
 * Exit status 0. */
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    printf("Hello, world!\n");

    /* integers */
    printf("int: %d %d %d %d\n", 0, 42, -42, INT_MAX);
    printf("int_min: %d\n", INT_MIN);
    printf("long: %ld %ld\n", LONG_MAX, LONG_MIN);
    printf("ulong: %lu %lx %lo\n", ULONG_MAX, ULONG_MAX, 8UL);
    printf("u64: %" PRIu64 " i64: %" PRId64 "\n", (uint64_t)1 << 63, (int64_t)-1);
    printf("widths: [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42);
    printf("hex: %x %X %#x %#o\n", 0xdeadbeef, 0xcafe, 255, 8);
    printf("char: %c%c%c\n", 'r', 'v', '!');

    /* strings */
    printf("str: [%s] [%10s] [%-10s] [%.3s]\n", "mimic", "right", "left", "truncate");
    printf("empty: [%s]\n", "");

    /* doubles: volatile so the compiler cannot fold the arithmetic away */
    volatile double one = 1.0, three = 3.0, zero = 0.0;
    double vals[] = {
        0.1, 1.0 / 3.0, one / three, 1e300, 1e-300, -0.0, 0.0,
        DBL_MIN, DBL_MIN / 4.0, 4.9406564584124654e-324, DBL_MAX, DBL_EPSILON,
        123456789.125, -2.5, 0.5, 1e21, 1e-7, 100.0,
    };
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v = vals[i];
        printf("d[%2u]: %%f=%f %%e=%e %%g=%g %%.17g=%.17g %%a=%a\n", i, v, v, v, v, v);
    }

    double inf = one / zero, ninf = -one / zero, nan = zero / zero;
    printf("inf: %f %e %g %.17g\n", inf, inf, inf, inf);
    printf("-inf: %f %e %g %.17g\n", ninf, ninf, ninf, ninf);
    /* 0/0 gives the default NaN; print its sign-insensitively via fabs */
    printf("nan: %f %e %g isnan=%d\n", fabs(nan), fabs(nan), fabs(nan), isnan(nan));
    printf("NAN macro: %f\n", (double)NAN);

    /* float -> double promotion */
    volatile float f = 0.1f;
    printf("float 0.1f: %.17g %a\n", (double)f, (double)f);
    printf("precision: %.0f %.1f %.10f %.20f\n", 2.5, 0.05, 1.0 / 7.0, 0.1);
    printf("rounding: %.0f %.0f %.0f %.0f\n", 0.5, 1.5, 2.5, 3.5);
    printf("long double: %.20Lg\n", (long double)1.0L / 3.0L);
    return 0;
}
