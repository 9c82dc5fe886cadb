/* long double (x87) end to end: printf of long double values in every conversion (musl's printf
 * formats every floating-point argument through long double), strtold, arithmetic loops,
 * conversions to and from the integer and the other floating types, comparisons, and the four
 * rounding modes (fesetround: the x87 control word). Long double arithmetic only (the double and
 * float values printed are conversions done by the x87). */
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progs.h"

#pragma GCC diagnostic ignored "-Wformat"

static uint64_t ld_bits(long double x, uint64_t h)
{
    unsigned char b[10];
    memcpy(b, &x, 10);
    return fnv1a(b, 10, h);
}

static long double mk(uint16_t se, uint64_t m)
{
    long double x = 0;
    memcpy(&x, &m, 8);
    memcpy((char *)&x + 8, &se, 2);
    return x;
}

/* A random long double: random sign, a 64-bit significand and an exponent in [lo, hi]. */
static long double rnd_ld(uint64_t *s, int lo, int hi)
{
    uint64_t m = rng_next(s) | 1ull << 63;
    int e = lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1));
    long double x = ldexpl((long double)m, e - 63);
    return (rng_next(s) & 1) ? -x : x;
}

static const char *const fmts[] = {"%Lf", "%.0Lf", "%.30Lf", "%Le", "%.18Le", "%.0Le", "%Lg", "%.21Lg", "%La",
                                   "%.3La", "%#Lg", "%+Lf", "% Le", "%20.10Lf", "%-24Lg|", "%010.3Lf", "%#.0Lf",
                                   "%.40Lg", "%LG", "%LE", "%LA"};
#define NFMTS (sizeof fmts / sizeof fmts[0])

static void print_values(void)
{
    long double vals[] = {0.0L, -0.0L, 1.0L, -1.0L, 0.5L, 0.1L, 1.0L / 3.0L, 2.0L / 3.0L, 3.14159265358979323846264338327950288L,
                          2.71828182845904523536028747135266250L, 1e10L, 123456789.125L, 9.999999999999999999e20L,
                          0.000123456789L, 1e-10L, 1e300L, 1e-300L, 1e4000L, 1e-4000L, LDBL_MAX, -LDBL_MAX, LDBL_MIN,
                          LDBL_TRUE_MIN, LDBL_MIN / 3, 18446744073709551615.0L, 9223372036854775807.0L, 0.05L, 0.25L,
                          1.5L, 2.5L, 99.95L, 0.995L, 1e19L, 1e20L, 1e21L, 5e-324L, 1.7976931348623157e308L,
                          INFINITY, -INFINITY, NAN, -NAN};
    for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
        printf("[%zu]", v);
        for (size_t f = 0; f < NFMTS; f++) {
            /* %f of huge values prints thousands of digits: once below is enough */
            if (strchr(fmts[f], 'f') && fabsl(vals[v]) > 1e30L && !isinf(vals[v])) continue;
            putchar(' ');
            printf(fmts[f], vals[v]);
        }
        /* the same value as double and float (converted by the x87) */
        printf(" d=%.17g f=%.9g\n", (double)vals[v], (double)(float)vals[v]);
    }
    /* many random values, in checksums, with a few printed */
    uint64_t s = 0x1234567, h = FNV_INIT;
    char buf[256];
    for (int i = 0; i < 200; i++) {
        long double x = rnd_ld(&s, -200, 200);
        for (size_t f = 0; f < NFMTS; f++) {
            int n = snprintf(buf, sizeof buf, fmts[f], x);
            h = fnv1a(buf, (size_t)n, h);
            if (i % 40 == 0 && f % 4 == 0) printf("rnd %d %s: %s\n", i, fmts[f], buf);
        }
        int n = snprintf(buf, sizeof buf, "%.17g %.9g %g %a", (double)x, (double)(float)x, (double)x, (double)x);
        h = fnv1a(buf, (size_t)n, h);
    }
    report("printf random", h, 200);
    /* huge and tiny exponents: the slow paths of fmt_fp */
    h = FNV_INIT;
    for (int i = 0; i < 12; i++) {
        long double x = rnd_ld(&s, -16440, 16383);
        int n = snprintf(buf, sizeof buf, "%.25Le %.30Lg %La", x, x, x);
        h = fnv1a(buf, (size_t)n, h);
        if (i % 4 == 0) printf("wide %d: %s\n", i, buf);
    }
    report("printf wide exponents", h, 12);
    /* values with all their digits */
    printf("%.4950Lf\n", LDBL_TRUE_MIN * 4);
    printf("%Lf\n", -LDBL_MAX);
}

static void parse_values(void)
{
    static const char *strs[] = {"0", "-0", "1", "0.1", "3.14159265358979323846264338327950288419716939937510",
                                 "1.18973149535723176508e+4932", "1e-4950",
                                 "3.6451995318824746025e-4951", "1.8225997659412373012e-4951", "0x1p-16445",
                                 "0x1.fffffffffffffffep16383", "0x1.23456789abcdef01p+3", "inf", "-Infinity", "nan",
                                 "-nan(123)", "  +12.5e-3xyz", "1e", ".e1", "0x", "123456789012345678901234567890",
                                 "0.000000000000000000000000000000000000001", "4.9406564584124654e-324",
                                 "2.2250738585072011e-308", "9007199254740993", "18446744073709551617",
                                 "1.00000000000000000005421010862427522170037264004349708557128906250",
                                 "1.000000000000000000054210108624275221700372640043497085571289062501"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char *end;
        errno = 0;
        long double x = strtold(strs[i], &end);
        int e = errno;
        errno = 0;
        /* (strtod and strtof of the huge exponents cost millions of instructions each: skipped) */
        int huge = strstr(strs[i], "e4") || strstr(strs[i], "e+4") || strstr(strs[i], "e-4") || strstr(strs[i], "e-5");
        double d = huge ? 0 : strtod(strs[i], NULL);
        float f = huge ? 0 : strtof(strs[i], NULL);
        printf("strtold(\"%s\") = %La (%.21Lg) end+%d errno %d; strtod %a strtof %a\n", strs[i], x, x,
               (int)(end - strs[i]), e, d, (double)f);
    }
    /* random decimal strings: parse, print, parse again */
    uint64_t s = 42, h = FNV_INIT;
    char buf[128], out[128];
    int same = 0;
    for (int i = 0; i < 300; i++) {
        int digits = 1 + (int)(rng_next(&s) % 25), k = 0;
        if (rng_next(&s) & 1) buf[k++] = '-';
        for (int j = 0; j < digits; j++) {
            buf[k++] = (char)('0' + rng_next(&s) % 10);
            if (j == 0) buf[k++] = '.';
        }
        k += snprintf(buf + k, sizeof buf - (size_t)k, "e%d", (int)(rng_next(&s) % 600) - 300);
        long double x = strtold(buf, NULL);
        h = ld_bits(x, h);
        snprintf(out, sizeof out, "%.21Lg", x);
        long double y = strtold(out, NULL);
        same += memcmp(&x, &y, 10) == 0;
        h = fnv1a(out, strlen(out), h);
        if (i % 60 == 0) printf("parse %s -> %s\n", buf, out);
    }
    printf("round trips exact: %d of 300\n", same);
    report("strtold random", h, 300);
}

static void arithmetic(void)
{
    /* series */
    long double e = 0, term = 1, pi = 0, harm = 0, prod = 1;
    for (int n = 0; n < 30; n++) {
        e += term;
        term /= n + 1;
    }
    for (int n = 0; n < 200000; n++) pi += (n & 1 ? -4.0L : 4.0L) / (2 * n + 1);
    for (int n = 1; n <= 100000; n++) harm += 1.0L / n;
    for (int n = 1; n <= 1000; n++) prod *= 1.0L + 1.0L / (n * (long double)n);
    printf("e %.21Lg pi~ %.21Lg H %.21Lg prod %.21Lg\n", e, pi, harm, prod);
    /* Newton's square roots */
    long double x = 2;
    for (int i = 0; i < 10; i++) x = (x + 2 / x) / 2;
    printf("sqrt2 %La %.25Lg\n", x, x);
    /* random operations, conversions and comparisons */
    uint64_t s = 7, h = FNV_INIT;
    long double acc = 1;
    for (int i = 0; i < 60000; i++) {
        long double a = rnd_ld(&s, -80, 80), b = rnd_ld(&s, -80, 80);
        long double r;
        switch (rng_next(&s) % 8) {
        case 0: r = a + b; break;
        case 1: r = a - b; break;
        case 2: r = a * b; break;
        case 3: r = a / b; break;
        case 4: r = a * b + acc; break;
        case 5: r = (a > b) ? a : b; break;
        case 6: r = (a < b) ? a - b : b - a; break;
        default: r = -a / (b * b); break;
        }
        acc = acc * 0.5L + r * 1e-20L;
        h = ld_bits(r, h);
        h = mix64(h, (uint64_t)(a < b) | (uint64_t)(a == b) << 1 | (uint64_t)(a >= r) << 2);
        /* conversions */
        long double c = rnd_ld(&s, -10, 70);
        h = mix64(h, (uint64_t)(long long)c);
        h = mix64(h, (uint64_t)(int)(c / 1e12L));
        h = mix64(h, (uint64_t)(short)(c / 1e17L));
        h = mix64(h, (unsigned long long)(c < 0 ? -c : c));
        double d = (double)c;
        float f = (float)c;
        uint64_t db;
        uint32_t fb;
        memcpy(&db, &d, 8);
        memcpy(&fb, &f, 4);
        h = mix64(h, db ^ fb);
        long long ll = (long long)(rng_next(&s) >> (rng_next(&s) % 64));
        h = ld_bits((long double)ll + (long double)(unsigned long long)rng_next(&s), h);
        h = ld_bits((long double)d * (long double)f, h);
    }
    printf("acc %La\n", acc);
    report("random arithmetic", h, 60000);
    /* overflow, underflow, NaN propagation, signed zeros */
    long double big = LDBL_MAX, tiny = LDBL_TRUE_MIN, z = 0;
    printf("%La %La %La %La %La %La %La\n", big * 2, -big * 2, tiny / 2, tiny * 0.75L, big / tiny, z / z, -z * 5);
    printf("%La %La %La %d %d %d\n", big + big - big, tiny * (1 / tiny), (big * 2) - (big * 2), big * 2 > big,
           z == -z, (z / z) != (z / z));
}

static void rounding_modes(void)
{
    static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    static const char *names[] = {"nearest", "down", "up", "zero"};
    long double vals[] = {2.5L, 3.5L, -2.5L, -3.5L, 0.5L, -0.5L, 1.0L / 3.0L, -1.0L / 3.0L, 1e20L / 3.0L,
                          12345.6789L, -0.0L, 9.2233720368547758075e18L};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        printf("%s (%d):", names[m], fegetround() == modes[m]);
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            long double v = vals[i];
            printf(" %La/%ld/%lld/%La/%lld", rintl(v), lrintl(v), llrintl(v), nearbyintl(v), (long long)v);
        }
        /* arithmetic rounds in the mode too */
        volatile long double one = 1, three = 3, ten = 10;
        printf("\n  1/3 %La -1/3 %La 2/3 %.25Lg sqrt %La print %.3Lf %.2Le\n", one / three, -one / three,
               (one + one) / three, sqrtl(ten), one / three, -(one + one) / three);
        feclearexcept(FE_ALL_EXCEPT);
        volatile long double r = one / three;
        (void)r;
        printf("  inexact %d\n", fetestexcept(FE_INEXACT) != 0);
    }
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    volatile long double z = 0, o = 1, big = LDBL_MAX;
    volatile long double r1 = o / z;
    printf("divbyzero %d\n", fetestexcept(FE_DIVBYZERO) != 0);
    volatile long double r2 = big * big;
    printf("overflow %d\n", fetestexcept(FE_OVERFLOW) != 0);
    volatile long double r3 = z / z;
    printf("invalid %d %La %La %La\n", fetestexcept(FE_INVALID) != 0, (long double)r1, (long double)r2, (long double)r3);
    fenv_t env;
    fegetenv(&env);
    feclearexcept(FE_ALL_EXCEPT);
    fesetenv(&env);
    printf("restored flags %x\n", fetestexcept(FE_ALL_EXCEPT));
}

int main(void)
{
    print_values();
    parse_values();
    arithmetic();
    rounding_modes();
    return 0;
}
