/* SSE/SSE2 floating-point arithmetic, double and float: + - * / sqrt min max and comparisons over
 * special values (±0, ±inf, quiet and signalling NaNs, denormals, the largest and smallest normals,
 * values that round differently), in the four rounding modes, with FTZ and DAZ, and the
 * exception flags as fenv reports them. Results are printed as bit patterns (and some with %a).
 * Arguments choose a part: "arith" (default: all), "round", "flags", "daz". */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progs.h"

static const uint64_t dbits[] = {
    0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000000, 0x7ff8000000012345, 0x7ff4000000000000, 0xfff0000000000001, 0x0000000000000001,
    0x8000000000000001, 0x000fffffffffffff, 0x0008000000000000, 0x0010000000000000, 0x8010000000000000,
    0x7fefffffffffffff, 0xffefffffffffffff, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000000000001,
    0x3fefffffffffffff, 0x4008000000000000, 0x3fb999999999999a, 0x3fd5555555555555, 0x400921fb54442d18,
    0x4340000000000001, 0x3ca0000000000000, 0x1ff0000000000000, 0x5ff0000000000000, 0xc0934a456d5cfaad,
};
static const uint32_t fbits[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7fa00000,
    0xff800001, 0x00000001, 0x80000001, 0x007fffff, 0x00400000, 0x00800000, 0x80800000, 0x7f7fffff,
    0xff7fffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x40400000, 0x3dcccccd, 0x3eaaaaab,
    0x40490fdb, 0x4b800001, 0x33800000, 0x1f800000, 0x5f800000, 0xc49a522b,
};
#define ND (sizeof dbits / sizeof dbits[0])
#define NF (sizeof fbits / sizeof fbits[0])

static double d_of(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static float f_of(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static uint64_t b_of(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
static uint32_t bf_of(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

/* Keep the compiler from folding: operations go through volatile values. */
static volatile double vd1, vd2;
static volatile float vf1, vf2;

static double dmin(double a, double b) { return a < b ? a : b; } /* minsd */
static double dmax(double a, double b) { return a > b ? a : b; } /* maxsd */
static float fmin_(float a, float b) { return a < b ? a : b; }
static float fmax_(float a, float b) { return a > b ? a : b; }

static uint64_t sweep_double(int verbose)
{
    uint64_t h = FNV_INIT;
    for (size_t i = 0; i < ND; i++) {
        for (size_t j = 0; j < ND; j++) {
            vd1 = d_of(dbits[i]);
            vd2 = d_of(dbits[j]);
            double a = vd1, b = vd2;
            uint64_t r[6] = {b_of(a + b), b_of(a - b), b_of(a * b), b_of(a / b), b_of(dmin(a, b)), b_of(dmax(a, b))};
            unsigned cmp = (a < b) | (a <= b) << 1 | (a == b) << 2 | (a != b) << 3 | (a > b) << 4 |
                           (a >= b) << 5 | isunordered(a, b) << 6 | isless(a, b) << 7 | isgreaterequal(a, b) << 8;
            for (int k = 0; k < 6; k++) h = mix64(h, r[k]);
            h = mix64(h, cmp);
            if (verbose && i % 7 == 3 && j % 5 == 1)
                printf("d %016llx %016llx: + %016llx - %016llx * %016llx / %016llx cmp %03x\n",
                       (unsigned long long)dbits[i], (unsigned long long)dbits[j], (unsigned long long)r[0],
                       (unsigned long long)r[1], (unsigned long long)r[2], (unsigned long long)r[3], cmp);
        }
        vd1 = d_of(dbits[i]);
        h = mix64(h, b_of(__builtin_sqrt(vd1)));
        h = mix64(h, bf_of((float)vd1));
        h = mix64(h, (uint64_t)(long long)vd1); /* cvttsd2si: integer indefinite when out of range */
        h = mix64(h, (uint64_t)(int)vd1);
    }
    return h;
}

static uint64_t sweep_float(int verbose)
{
    uint64_t h = FNV_INIT;
    for (size_t i = 0; i < NF; i++) {
        for (size_t j = 0; j < NF; j++) {
            vf1 = f_of(fbits[i]);
            vf2 = f_of(fbits[j]);
            float a = vf1, b = vf2;
            uint32_t r[6] = {bf_of(a + b), bf_of(a - b), bf_of(a * b),
                             bf_of(a / b), bf_of(fmin_(a, b)), bf_of(fmax_(a, b))};
            unsigned cmp = (a < b) | (a <= b) << 1 | (a == b) << 2 | (a != b) << 3 | (a > b) << 4 |
                           (a >= b) << 5 | isunordered(a, b) << 6;
            for (int k = 0; k < 6; k++) h = mix64(h, r[k]);
            h = mix64(h, cmp);
            if (verbose && i % 7 == 2 && j % 5 == 4)
                printf("f %08x %08x: + %08x - %08x * %08x / %08x min %08x max %08x cmp %02x\n", fbits[i], fbits[j],
                       r[0], r[1], r[2], r[3], r[4], r[5], cmp);
        }
        vf1 = f_of(fbits[i]);
        h = mix64(h, bf_of(__builtin_sqrtf(vf1)));
        h = mix64(h, b_of((double)vf1));
        h = mix64(h, (uint64_t)(long long)vf1);
        h = mix64(h, (uint64_t)(int)vf1);
    }
    return h;
}

/* Values whose rounding depends on the mode. */
static void rounding(void)
{
    static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    static const char *names[] = {"nearest", "down", "up", "zero"};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        vd1 = 1.0;
        vd2 = 3.0;
        double q = vd1 / vd2, nq = -vd1 / vd2;
        vf1 = 2.0f;
        vf2 = 3.0f;
        float fq = vf1 / vf2;
        vd1 = 0x1.fffffffffffffp1023;
        double ovf = vd1 * 2.0;
        vd1 = 0x1p-1074;
        double unf = vd1 / 2.0;
        vd1 = 2.5;
        long long l = llrint(vd1);
        vd1 = -2.5;
        long long l2 = llrint(vd1);
        vd1 = 1e20;
        double s = __builtin_sqrt(vd1 * 3.0);
        vd1 = 16777217.0;
        float fl = (float)vd1;
        volatile long long big = 9007199254740993LL;
        double cv = (double)big;
        float cvf = (float)big;
        printf("%-7s 1/3 %016llx -1/3 %016llx 2f/3f %08x ovf %016llx unf %016llx llrint(2.5) %lld llrint(-2.5) %lld\n",
               names[m], (unsigned long long)b_of(q), (unsigned long long)b_of(nq), bf_of(fq),
               (unsigned long long)b_of(ovf), (unsigned long long)b_of(unf), l, l2);
        printf("%-7s sqrt %016llx (float)16777217 %08x (double)2^53+1 %016llx (float) %08x\n", names[m],
               (unsigned long long)b_of(s), bf_of(fl), (unsigned long long)b_of(cv), bf_of(cvf));
        printf("%-7s sweeps: double %016llx float %016llx  rint(2.5) %.1f nearbyint(-0.5) %.1f\n", names[m],
               (unsigned long long)sweep_double(0), (unsigned long long)sweep_float(0), rint(2.5), nearbyint(-0.5));
    }
    fesetround(FE_TONEAREST);
    printf("back to %s\n", fegetround() == FE_TONEAREST ? "nearest" : "?");
}

/* The exception flags each kind of operation raises, as fetestexcept reports them. */
static void show_flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%-24s %s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "", f & FE_DIVBYZERO ? " divbyzero" : "",
           f & FE_OVERFLOW ? " overflow" : "", f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

static void flags(void)
{
    feclearexcept(FE_ALL_EXCEPT);
    show_flags("nothing");
    vd1 = 1.0, vd2 = 0.0;
    vd1 = vd1 / vd2;
    show_flags("1/0");
    vd1 = 0.0, vd2 = 0.0;
    vd1 = vd1 / vd2;
    show_flags("0/0");
    vd1 = DBL_MAX;
    vd1 = vd1 * 2;
    show_flags("DBL_MAX*2");
    vd1 = DBL_MIN;
    vd1 = vd1 / 3;
    show_flags("DBL_MIN/3");
    vd1 = 0x1p-1074;
    vd1 = vd1 * 1.0;
    show_flags("denormal*1");
    vd1 = 1.0, vd2 = 3.0;
    vd1 = vd1 / vd2;
    show_flags("1/3");
    vd1 = 1.0, vd2 = 4.0;
    vd1 = vd1 / vd2;
    show_flags("1/4");
    vd1 = -1.0;
    vd1 = __builtin_sqrt(vd1);
    show_flags("sqrt(-1)");
    vd1 = 1e300;
    vf1 = (float)vd1;
    show_flags("(float)1e300");
    vd1 = 1e-300;
    vf1 = (float)vd1;
    show_flags("(float)1e-300");
    vd1 = 1e10;
    volatile int i = (int)vd1;
    show_flags("(int)1e10");
    vd1 = 2.5;
    i = (int)vd1;
    show_flags("(int)2.5");
    vd1 = d_of(0x7ff4000000000000);
    vd2 = vd1 + 1.0;
    show_flags("snan+1");
    vd1 = d_of(0x7ff8000000000000);
    vd2 = vd1 + 1.0;
    show_flags("qnan+1");
    i = vd1 < 1.0;
    show_flags("qnan<1 (comisd)");
    i = vd1 == 1.0;
    show_flags("qnan==1 (ucomisd)");
    vf1 = f_of(0x7fc00000);
    i = vf1 < 1.0f;
    show_flags("qnanf<1 (comiss)");
    feraiseexcept(FE_OVERFLOW | FE_INEXACT);
    show_flags("feraiseexcept(ovf|inx)");
    fexcept_t saved;
    vd1 = 1.0, vd2 = 0.0;
    vd1 = vd1 / vd2;
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    fesetexceptflag(&saved, FE_ALL_EXCEPT);
    show_flags("fesetexceptflag(1/0)");
    fenv_t env;
    feholdexcept(&env);
    vd1 = 0.0, vd2 = 0.0;
    vd1 = vd1 / vd2;
    feupdateenv(&env);
    show_flags("feholdexcept/update");
    (void)i;
}

/* FTZ (bit 15) and DAZ (bit 6) set directly in the MXCSR. */
static void daz_ftz(void)
{
    unsigned mx0;
    __asm__ volatile("stmxcsr %0" : "=m"(mx0));
    static const unsigned modes[] = {0, 0x8000, 0x40, 0x8040};
    static volatile double r[4];
    static volatile float rf[2];
    for (int m = 0; m < 4; m++) {
        unsigned mx = mx0 | modes[m];
        vd1 = 0x1p-1070;
        vd2 = 0x1p-1060;
        vf1 = 0x1p-140f;
        vf2 = 0.75f;
        __asm__ volatile("ldmxcsr %0" : : "m"(mx) : "memory");
        r[0] = vd1 + vd2;
        r[1] = vd1 * 1.0;
        r[2] = vd2 / 1024.0;
        r[3] = (vd1 + DBL_MIN) * vf2;
        rf[0] = vf1 * 2.0f;
        rf[1] = (float)(vd2 * 0x1p920);
        unsigned after;
        __asm__ volatile("stmxcsr %0" : "=m"(after) : : "memory");
        __asm__ volatile("ldmxcsr %0" : : "m"(mx0) : "memory");
        printf("mxcsr %04x: %016llx %016llx %016llx %016llx %08x %08x flags %02x\n", mx, (unsigned long long)b_of(r[0]),
               (unsigned long long)b_of(r[1]), (unsigned long long)b_of(r[2]), (unsigned long long)b_of(r[3]),
               bf_of(rf[0]), bf_of(rf[1]), after & 0x3f);
        feclearexcept(FE_ALL_EXCEPT);
    }
}

// ARGS:
// ARGS: round
// ARGS: flags
// ARGS: daz
int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "arith";
    if (!strcmp(part, "arith")) {
        uint64_t hd = sweep_double(1), hf = sweep_float(1);
        report("double sweep", hd, ND * ND);
        report("float sweep", hf, NF * NF);
        printf("%a %a %a %a\n", d_of(dbits[22]) * 3, d_of(dbits[23]) + 1, (double)f_of(fbits[22]), 1.0 / 3);
    } else if (!strcmp(part, "round")) {
        rounding();
    } else if (!strcmp(part, "flags")) {
        flags();
    } else {
        daz_ftz();
    }
    return 0;
}
