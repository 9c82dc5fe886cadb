/* musl's long double libm (x87: fsin-free C kernels with __rem_pio2l, and the x86_64 assembly
 * functions built on fyl2x, f2xm1, fscale, fpatan, fprem, frndint, fsqrt, fistp) over special
 * values, a grid and random arguments. Every result is folded into a per-function checksum of its
 * exact bits, with the results at the special values printed in hex. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progs.h"

static uint64_t ld_bits(long double x, uint64_t h)
{
    unsigned char b[10];
    memcpy(b, &x, 10);
    return fnv1a(b, 10, h);
}

static long double specials[] = {0.0L, -0.0L, 1.0L, -1.0L, 0.5L, -0.5L, 2.0L, 10.0L, -10.0L, 0.75L,
                                 3.14159265358979323846264338327950288L, 1.57079632679489661923132169163975144L,
                                 1e-5L, 1e-300L, 1e-4940L, LDBL_MIN, LDBL_TRUE_MIN, 1e300L, 1e4000L, LDBL_MAX,
                                 -LDBL_MAX, 88.5L, 11356.5L, -11400.0L, 1e19L, 9.3e18L, 0x1p63L, 0x1p64L, 1e22L,
                                 INFINITY, -INFINITY, NAN, -NAN};
#define NSPEC (sizeof specials / sizeof specials[0])

/* Arguments: the specials, a grid, random values of every magnitude. */
static long double arg(int i, uint64_t *s)
{
    if (i < (int)NSPEC) return specials[i];
    i -= (int)NSPEC;
    if (i < 200) return -25.0L + (long double)i * 0.25L + 1.0L / 7;
    uint64_t m = rng_next(s) | 1ull << 63;
    int e = (int)(rng_next(s) % 140) - 70;
    if (rng_next(s) % 16 == 0) e = (int)(rng_next(s) % 32000) - 16000;
    long double x = ldexpl((long double)m, e - 63);
    return (rng_next(s) & 1) ? -x : x;
}
#define NARGS (int)(NSPEC + 200 + 2500)

typedef long double (*f1_t)(long double);
typedef long double (*f2_t)(long double, long double);

static void run1(const char *name, f1_t f)
{
    uint64_t s = 99, h = FNV_INIT;
    printf("%s:", name);
    for (int i = 0; i < NARGS; i++) {
        long double x = arg(i, &s);
        long double r = f(x);
        h = ld_bits(r, h);
        if (i < (int)NSPEC) printf(" %La", r);
    }
    printf("\n");
    report(name, h, (unsigned long)NARGS);
}

static void run2(const char *name, f2_t f)
{
    uint64_t s = 77, h = FNV_INIT;
    unsigned long n = 0;
    printf("%s:", name);
    for (int i = 0; i < (int)NSPEC; i += 2)
        for (int j = 0; j < (int)NSPEC; j += 3) {
            long double r = f(specials[i], specials[j]);
            h = ld_bits(r, h);
            n++;
            if (i % 6 == 0 && j % 9 == 0) printf(" %La", r);
        }
    for (int i = 0; i < 5000; i++) {
        long double x = arg(NSPEC + 200 + (i % 2500), &s), y = arg(NSPEC + (i % 2700), &s);
        h = ld_bits(f(x, y), h);
        n++;
    }
    printf("\n");
    report(name, h, n);
}

static long double w_ldexpl(long double x, long double y) { return ldexpl(x, (int)fmaxl(fminl(y, 20000), -20000)); }
static long double w_scalbnl(long double x, long double y) { return scalbnl(x, (int)fmaxl(fminl(y * 100, 40000), -40000)); }
static long double w_frexpl(long double x)
{
    int e;
    long double m = frexpl(x, &e);
    return m + e;
}
static long double w_modfl(long double x)
{
    long double ip;
    long double fr = modfl(x, &ip);
    return fr * 3 + ip;
}
static long double w_remquol(long double x, long double y)
{
    int q;
    long double r = remquol(x, y, &q);
    return r + (q & 7);
}
static long double w_lrintl(long double x) { return (long double)lrintl(x); }
static long double w_llrintl(long double x) { return (long double)llrintl(x); }
static long double w_lroundl(long double x) { return (long double)lroundl(x); }
static long double w_fmal(long double x, long double y) { return fmal(x, y, 0.1L); }
static long double w_lgammal(long double x)
{
    int sg;
    long double r = lgammal_r(x, &sg);
    return r * sg;
}
static long double w_sincosl(long double x)
{
    long double s, c;
    sincosl(x, &s, &c);
    return s - c * 3;
}

int main(void)
{
    run1("sinl", sinl);
    run1("cosl", cosl);
    run1("tanl", tanl);
    run1("sincosl", w_sincosl);
    run1("asinl", asinl);
    run1("acosl", acosl);
    run1("atanl", atanl);
    run2("atan2l", atan2l);
    run1("expl", expl);
    run1("exp2l", exp2l);
    run1("exp10l", exp10l);
    run1("expm1l", expm1l);
    run1("logl", logl);
    run1("log2l", log2l);
    run1("log10l", log10l);
    run1("log1pl", log1pl);
    run2("powl", powl);
    run1("sqrtl", sqrtl);
    run1("cbrtl", cbrtl);
    run2("hypotl", hypotl);
    run2("fmodl", fmodl);
    run2("remainderl", remainderl);
    run2("remquol", w_remquol);
    run1("rintl", rintl);
    run1("nearbyintl", nearbyintl);
    run1("lrintl", w_lrintl);
    run1("llrintl", w_llrintl);
    run1("lroundl", w_lroundl);
    run1("floorl", floorl);
    run1("ceill", ceill);
    run1("truncl", truncl);
    run1("roundl", roundl);
    run1("frexpl", w_frexpl);
    run2("ldexpl", w_ldexpl);
    run2("scalbnl", w_scalbnl);
    run1("modfl", w_modfl);
    run1("fabsl", fabsl);
    run2("copysignl", copysignl);
    run2("fmal", w_fmal);
    run1("sinhl", sinhl);
    run1("coshl", coshl);
    run1("tanhl", tanhl);
    run1("asinhl", asinhl);
    run1("acoshl", acoshl);
    run1("atanhl", atanhl);
    run1("erfl", erfl);
    run1("erfcl", erfcl);
    run1("lgammal", w_lgammal);
    run1("tgammal", tgammal);
    /* the rounding functions in every rounding mode */
    static const int modes[] = {FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO, FE_TONEAREST};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        printf("mode %d\n", m);
        run1("rintl", rintl);
        run1("lrintl", w_lrintl);
        run1("expl", expl);
        run1("sqrtl", sqrtl);
    }
    /* errno and exceptions of a few domain and range errors */
    static const struct { const char *what; long double (*f)(long double); long double x; } errs[] = {
        {"logl(0)", logl, 0.0L}, {"logl(-1)", logl, -1.0L}, {"expl(20000)", expl, 20000.0L},
        {"expl(-20000)", expl, -20000.0L}, {"sqrtl(-1)", sqrtl, -1.0L}, {"acosl(2)", acosl, 2.0L},
        {"atanhl(1)", atanhl, 1.0L}, {"tgammal(-1)", tgammal, -1.0L}, {"lgammal(0)", lgammal, 0.0L},
    };
    for (size_t k = 0; k < sizeof errs / sizeof errs[0]; k++) {
        feclearexcept(FE_ALL_EXCEPT);
        errno = 0;
        long double r = errs[k].f(errs[k].x);
        printf("%s = %La errno %d flags %x\n", errs[k].what, r, errno, fetestexcept(FE_ALL_EXCEPT));
    }
    return 0;
}
