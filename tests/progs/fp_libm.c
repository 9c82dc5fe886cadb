/* musl's libm over many arguments, special values included: the double functions (C code on
 * SSE2: sin cos tan asin acos atan atan2 exp exp2 expm1 log log2 log10 log1p pow cbrt hypot sinh
 * cosh tanh erf lgamma tgamma fmod remainder, floor ceil round trunc rint nearbyint lrint, sqrt
 * and fabs as instructions, frexp ldexp modf) and some float ones. Results are printed with %a for
 * a few arguments and hashed for the sweeps. Arguments choose a part: "double" (default), "float",
 * "two" (functions of two arguments). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progs.h"

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static uint32_t bitsf(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static double from(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static const double specials[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, 10.0,
                                  1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1,
                                  0.7853981633974483, 1.5707963267948966, 3.141592653589793, 6.283185307179586,
                                  1e22, 1e300, -1e300, 700.0, 709.78, -745.0, 1e-10, 100.5, -3.75, 0.999999,
                                  1.000001, 64.0, 1e15 + 0.5, 4503599627370495.5, -2.5, 2.5};
#define NS (sizeof specials / sizeof specials[0])

typedef double (*f1)(double);
static const struct {
    const char *name;
    f1 f;
} funcs[] = {
    {"sin", sin},     {"cos", cos},       {"tan", tan},     {"asin", asin},   {"acos", acos},   {"atan", atan},
    {"exp", exp},     {"exp2", exp2},     {"expm1", expm1}, {"log", log},     {"log2", log2},   {"log10", log10},
    {"log1p", log1p}, {"cbrt", cbrt},     {"sinh", sinh},   {"cosh", cosh},   {"tanh", tanh},   {"asinh", asinh},
    {"acosh", acosh}, {"atanh", atanh},   {"erf", erf},     {"erfc", erfc},   {"lgamma", lgamma}, {"tgamma", tgamma},
    {"floor", floor}, {"ceil", ceil},     {"round", round}, {"trunc", trunc}, {"rint", rint},
    {"nearbyint", nearbyint},
    {"sqrt", sqrt},   {"fabs", fabs},     {"logb", logb},   {"expm1", expm1},
};
#define NFN (sizeof funcs / sizeof funcs[0])

static void part_double(void)
{
    uint64_t seed = 99;
    for (size_t f = 0; f < NFN; f++) {
        uint64_t h = FNV_INIT;
        unsigned long n = 0;
        for (size_t i = 0; i < NS; i++, n++) h = mix64(h, bits(funcs[f].f(specials[i])));
        /* a sweep over a wide range: random bit patterns with moderate exponents, and a fine
         * sweep near small values */
        for (int k = 0; k < 1500; k++, n++) {
            uint64_t r = rng_next(&seed);
            double x = from((r & 0x800fffffffffffffull) | ((uint64_t)(0x3c0 + (r >> 52) % 0x90) << 52));
            h = mix64(h, bits(funcs[f].f(x)));
        }
        for (int k = -500; k < 500; k++, n++) h = mix64(h, bits(funcs[f].f(k * 0.0123)));
        printf("%-10s %016llx (%lu)  f(0.1) %a  f(-2.5) %a  f(700) %a\n", funcs[f].name, (unsigned long long)h, n,
               funcs[f].f(0.1), funcs[f].f(-2.5), funcs[f].f(700.0));
    }
    /* integer results and decompositions */
    uint64_t h = FNV_INIT;
    for (size_t i = 0; i < NS; i++) {
        int e;
        double ip, fr = frexp(specials[i], &e);
        h = mix64(h, bits(fr));
        h = mix64(h, (uint64_t)e);
        h = mix64(h, bits(modf(specials[i], &ip)));
        h = mix64(h, bits(ip));
        h = mix64(h, bits(ldexp(specials[i], 7)));
        h = mix64(h, bits(ldexp(specials[i], -1070)));
        h = mix64(h, (uint64_t)ilogb(specials[i]));
        if (isfinite(specials[i]) && fabs(specials[i]) < 1e18) {
            h = mix64(h, (uint64_t)lrint(specials[i]));
            h = mix64(h, (uint64_t)llround(specials[i]));
        }
    }
    report("frexp modf ldexp ilogb lrint", h, NS);
}

static void part_float(void)
{
    typedef float (*ff)(float);
    static const struct {
        const char *name;
        ff f;
    } ffuncs[] = {{"sinf", sinf},   {"cosf", cosf},   {"tanf", tanf},     {"expf", expf},   {"logf", logf},
                  {"log2f", log2f}, {"exp2f", exp2f}, {"sqrtf", sqrtf},   {"atanf", atanf}, {"cbrtf", cbrtf},
                  {"floorf", floorf}, {"roundf", roundf}, {"tanhf", tanhf}, {"erff", erff},  {"asinf", asinf}};
    uint64_t seed = 7;
    for (size_t f = 0; f < sizeof ffuncs / sizeof ffuncs[0]; f++) {
        uint64_t h = FNV_INIT;
        for (size_t i = 0; i < NS; i++) h = mix64(h, bitsf(ffuncs[f].f((float)specials[i])));
        for (int k = 0; k < 3000; k++) {
            uint32_t r = (uint32_t)rng_next(&seed);
            float x;
            uint32_t b = (r & 0x807fffffu) | ((0x60u + (r >> 23) % 0x40u) << 23);
            memcpy(&x, &b, 4);
            h = mix64(h, bitsf(ffuncs[f].f(x)));
        }
        printf("%-8s %016llx  f(0.1f) %a\n", ffuncs[f].name, (unsigned long long)h, (double)ffuncs[f].f(0.1f));
    }
}

static void part_two(void)
{
    typedef double (*f2)(double, double);
    static const struct {
        const char *name;
        f2 f;
    } f2s[] = {{"pow", pow}, {"atan2", atan2}, {"hypot", hypot}, {"fmod", fmod}, {"remainder", remainder},
               {"fmin", fmin}, {"fmax", fmax}, {"fdim", fdim}, {"copysign", copysign}, {"nextafter", nextafter}};
    for (size_t f = 0; f < sizeof f2s / sizeof f2s[0]; f++) {
        uint64_t h = FNV_INIT;
        for (size_t i = 0; i < NS; i++)
            for (size_t j = 0; j < NS; j++) h = mix64(h, bits(f2s[f].f(specials[i], specials[j])));
        for (int k = 1; k < 400; k++) h = mix64(h, bits(f2s[f].f(k * 0.37 - 50, (k % 13) * 1.7 - 9)));
        printf("%-10s %016llx  f(2,0.5) %a  f(-3,2) %a  f(10,-1.5) %a\n", f2s[f].name, (unsigned long long)h,
               f2s[f].f(2, 0.5), f2s[f].f(-3, 2), f2s[f].f(10, -1.5));
    }
    uint64_t h = FNV_INIT;
    for (size_t i = 0; i < NS; i++)
        for (size_t j = 0; j < NS; j++) {
            int q;
            h = mix64(h, bits(remquo(specials[i], specials[j], &q)));
            h = mix64(h, (uint64_t)q);
            h = mix64(h, bits(fma(specials[i], specials[j], 1.0)));
            h = mix64(h, bitsf(powf((float)specials[i], (float)specials[j])));
        }
    report("remquo fma powf", h, NS * NS);
}

// ARGS:
// ARGS: float
// ARGS: two
int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "double";
    if (!strcmp(part, "double")) part_double();
    else if (!strcmp(part, "float")) part_float();
    else part_two();
    return 0;
}
