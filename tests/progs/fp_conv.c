/* Conversions: printf of float and double (%e %f %g %a with flags, widths and precisions) over
 * special and tricky values; strtod/strtof/atof/sscanf of decimal and hexadecimal strings
 * (halfway cases, denormals, overflow, nan and inf spellings); float/int conversions at the edges
 * (the 0x80000000 and 0x8000000000000000 "integer indefinite" of cvttsd2si and friends, unsigned
 * conversions, rounding with lrint in each mode). musl's printf and strtod use long double, so the
 * x87 is exercised too. Arguments choose a part: "printf" (default), "strtod", "int". */
#include <fenv.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progs.h"

#pragma GCC diagnostic ignored "-Wformat"

static const double dvals[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 1e-5, 123.456, 1e15, 1e16, 1e21, 1e22,
                               1e23, 9007199254740993.0, 1.7976931348623157e308, 2.2250738585072014e-308,
                               4.9406564584124654e-324, 1e-320, 3.141592653589793, 2.718281828459045, 1.0 / 3,
                               2.0 / 3, 0.125, 999999.5, 9.9999999999999995e-1, 5e-5, 12345678.9, INFINITY,
                               -INFINITY, NAN, -NAN, 100.0, 0.0009765625, 6.02214076e23};
#define NDV (sizeof dvals / sizeof dvals[0])

static void part_printf(void)
{
    static const char *fmts[] = {"%e", "%f", "%g", "%a", "%.0e", "%.0f", "%.0g", "%.3e", "%.3f", "%.3g", "%.17g",
                                 "%.20e", "%#.0f", "%#g", "%+.2e", "% .5f", "%-12.4g|", "%012.3f", "%.40f",
                                 "%.13a", "%.1a", "%A", "%G", "%E", "%F"};
    char buf[512];
    for (size_t i = 0; i < NDV; i++) {
        for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
            snprintf(buf, sizeof buf, fmts[f], dvals[i]);
            printf("%s ", buf);
        }
        printf("\n");
    }
    /* floats go through double in varargs; the float value is what is rounded */
    static const float fvals[] = {0.1f, 1.0f / 3, 16777217.0f, 3.4028235e38f, 1.17549435e-38f, 1e-45f, 0.3f};
    for (size_t i = 0; i < sizeof fvals / sizeof fvals[0]; i++) printf("%.9g %a %e\n", fvals[i], fvals[i], fvals[i]);
    /* many values, hashed */
    uint64_t seed = 4242, h = FNV_INIT;
    for (int k = 0; k < 3000; k++) {
        uint64_t r = rng_next(&seed);
        double d;
        uint64_t b = (r & 0x800fffffffffffffull) | ((uint64_t)(0x300 + (r >> 52) % 0x200) << 52);
        memcpy(&d, &b, 8);
        int n = snprintf(buf, sizeof buf, "%.17g %.6e %f %a", d, d, d / 1e100, d);
        h = fnv1a(buf, (size_t)n, h);
    }
    report("printf sweep", h, 3000);
    printf("long double: %Lg %.20Lg %La\n", (long double)1 / 3, (long double)0.1, (long double)2.5);
}

static void part_strtod(void)
{
    static const char *strs[] = {"0", "-0", "1", "0.1", "1e-400", "1e400", "-1e400", "2.2250738585072011e-308",
                                 "2.2250738585072012e-308", "4.9e-324", "2.4703282292062327e-324",
                                 "2.4703282292062328e-324", "9007199254740993", "9007199254740992.5000001",
                                 "1.7976931348623158e308", "1.7976931348623159e308", "0x1p-1074",
                                 "0x1.fffffffffffffp1023",
                                 "0x1.8p1", "0X.8P-3", "inf", "-Infinity", "nan", "NAN(123)", "-nan", "  +12.5e+3xyz",
                                 "1e", ".e1", "3.14159265358979323846264338327950288", "123456789012345678901234567890",
                                 "0.000000000000000000000000000000000000001", "1e-45", "3.4028235e38", "3.4028236e38",
                                 "1.1754943e-38", "7.006492321624085e-46", "0x1.fffffep127", "5e-324",
                                 "1.0000000000000002",
                                 "0.30000000000000004", "100000000000000000000000", "2.5", "-2.5e-3"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char *end;
        double d = strtod(strs[i], &end);
        float f = strtof(strs[i], NULL);
        long double ld = strtold(strs[i], NULL);
        printf("%-40s %a %a %La rest \"%s\"\n", strs[i], d, (double)f, ld, end);
    }
    double a;
    float b;
    int n = sscanf("3.25 -1e-3", "%lf %f", &a, &b);
    printf("sscanf %d %a %a atof %a\n", n, a, (double)b, atof("6.25e2"));
    /* round trips of many values */
    uint64_t seed = 777, h = FNV_INIT;
    int bad = 0;
    char buf[64];
    for (int k = 0; k < 2000; k++) {
        uint64_t r = rng_next(&seed), back;
        double d;
        memcpy(&d, &r, 8);
        if (!isfinite(d)) continue;
        snprintf(buf, sizeof buf, "%.17g", d);
        double e = strtod(buf, NULL);
        memcpy(&back, &e, 8);
        bad += back != r;
        h = fnv1a(buf, strlen(buf), h);
    }
    report("round trip %.17g", h, 2000);
    printf("round trip mismatches: %d\n", bad);
}

static volatile double vd;
static volatile float vf;

static void part_int(void)
{
    static const double edges[] = {0.0, -0.0, 0.5, -0.5, 0.9999999999999999, 2147483647.0, 2147483647.5, 2147483648.0,
                                   -2147483648.0, -2147483648.5, -2147483649.0, 4294967295.0, 4294967296.0,
                                   9223372036854774784.0, 9223372036854775808.0, -9223372036854775808.0,
                                   -9223372036854777856.0, 18446744073709549568.0, 18446744073709551616.0, 1e30, -1e30,
                                   INFINITY, -INFINITY, NAN, 1e-310, 2.5, 3.5, -2.5, -3.5};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        vd = edges[i];
        double d = vd;
        vf = (float)d;
        float f = vf;
        int i32 = (int)d;
        long long i64 = (long long)d;
        unsigned u32 = (unsigned)d;
        unsigned long long u64 = (unsigned long long)d;
        int fi32 = (int)f;
        long long fi64 = (long long)f;
        printf("%-24.17g int %d long %lld uint %u ulong %llu | float int %d long %lld | lrint %ld llrint %lld\n", d,
               i32, i64, u32, u64, fi32, fi64, lrint(d), llrint(d));
    }
    static const long long ivals[] = {0, 1, -1, 16777217, -16777217, 9007199254740993LL, LLONG_MAX, LLONG_MIN,
                                      INT_MAX, INT_MIN, 0x7ffffffffffffc00LL, 0x4000000000000401LL};
    static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        uint64_t h = FNV_INIT;
        for (size_t i = 0; i < sizeof ivals / sizeof ivals[0]; i++) {
            volatile long long v = ivals[i];
            volatile unsigned long long uv = (unsigned long long)ivals[i];
            double d = (double)v, ud = (double)uv;
            float f = (float)v, uf = (float)uv;
            volatile int iv = (int)ivals[i];
            float fi = (float)iv;
            memcpy(&v, &d, 8);
            h = mix64(h, (uint64_t)v);
            memcpy(&v, &ud, 8);
            h = mix64(h, (uint64_t)v);
            uint32_t b;
            memcpy(&b, &f, 4);
            h = mix64(h, b);
            memcpy(&b, &uf, 4);
            h = mix64(h, b);
            memcpy(&b, &fi, 4);
            h = mix64(h, b);
        }
        for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
            vd = edges[i] / 3;
            h = mix64(h, (uint64_t)lrint(vd));
            h = mix64(h, (uint64_t)lrintf((float)vd));
            h = mix64(h, (uint64_t)(long long)rint(vd));
        }
        printf("mode %d: int->fp and lrint %016llx\n", m, (unsigned long long)h);
    }
    fesetround(FE_TONEAREST);
}

// ARGS:
// ARGS: strtod
// ARGS: int
int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "printf";
    if (!strcmp(part, "printf")) part_printf();
    else if (!strcmp(part, "strtod")) part_strtod();
    else part_int();
    return 0;
}
