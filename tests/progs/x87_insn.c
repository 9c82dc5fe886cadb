/* x87 instructions that compilers rarely emit, run directly (inline assembly) over special values:
 * the transcendental instructions and their condition codes (fsin, fcos, fsincos, fptan with an
 * operand out of range, fpatan, fyl2x, fyl2xp1, f2xm1, fscale, fxtract, fprem/fprem1 and their
 * quotient bits), fxam and ftst, fcom/fucom/fcomi/fucomi, fcmovcc, BCD (fbld, fbstp), fisttp and
 * fist overflow, the environment (fnstenv, fldenv, fnsave, frstor, fxsave, fxrstor), stack
 * overflow and underflow, and unmasked exceptions.
 *   x87_insn        everything above, printed
 *   x87_insn mf     an unmasked zero-divide, then fwait: the program dies of SIGFPE (status 136)
 */
// ARGS:
// ARGS: mf
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progs.h"

typedef struct {
    uint64_t m;
    uint16_t se;
} f80_t;

static long double mk(uint16_t se, uint64_t m)
{
    long double x = 0;
    memcpy(&x, &m, 8);
    memcpy((char *)&x + 8, &se, 2);
    return x;
}

static void pr(const char *what, long double x)
{
    f80_t v;
    memcpy(&v.m, &x, 8);
    memcpy(&v.se, (char *)&x + 8, 2);
    printf(" %s=%04x:%016llx", what, v.se, (unsigned long long)v.m);
}

static const long double *vals;
static int nvals;

static void init_vals(void)
{
    static long double v[40];
    int n = 0;
    v[n++] = 0.0L;
    v[n++] = -0.0L;
    v[n++] = 1.0L;
    v[n++] = -1.5L;
    v[n++] = 0.1L;
    v[n++] = 3.14159265358979323846264338327950288L;
    v[n++] = 1e10L;
    v[n++] = -1e-10L;
    v[n++] = 1e300L;
    v[n++] = 1e-4000L;
    v[n++] = mk(0x403d, ~0ull);                 /* 2^63 - 1 */
    v[n++] = mk(0x403e, 1ull << 63);            /* 2^63: out of range for fsin */
    v[n++] = mk(0x7ffe, ~0ull);                 /* largest */
    v[n++] = mk(0x0001, 1ull << 63);            /* smallest normal */
    v[n++] = mk(0x0000, 0x123456789abcdefull);  /* denormal */
    v[n++] = mk(0x0000, 0x8000000000000001ull); /* pseudo-denormal */
    v[n++] = mk(0x4000, 0x4000000000000000ull); /* unnormal */
    v[n++] = mk(0x7fff, 1ull << 63);            /* infinity */
    v[n++] = mk(0xffff, 1ull << 63);
    v[n++] = mk(0x7fff, 0xc000000000000001ull); /* QNaN */
    v[n++] = mk(0x7fff, 0x8000000000000001ull); /* SNaN */
    v[n++] = mk(0xffff, 0xc000000000000000ull); /* indefinite */
    v[n++] = mk(0x7fff, 0x4000000000000000ull); /* pseudo-NaN */
    v[n++] = mk(0x7fff, 0);                     /* pseudo-infinity */
    v[n++] = 123456789012345678.0L;
    v[n++] = -32768.5L;
    v[n++] = 2147483647.5L;
    v[n++] = 9.2233720368547758e18L;
    v[n++] = 0.5L;
    v[n++] = -0.75L;
    vals = v;
    nvals = n;
}

static uint16_t fsw(void)
{
    uint16_t sw;
    __asm__ volatile("fnstsw %0" : "=m"(sw));
    return sw;
}
static void fclex(void) { __asm__ volatile("fnclex"); }

/* One-operand instructions that replace st(0). */
#define UNARY(name, insn)                                                                         \
    static long double name(long double x, uint16_t *sw)                                          \
    {                                                                                             \
        long double r;                                                                            \
        fclex();                                                                                  \
        __asm__ volatile(insn : "=t"(r) : "0"(x));                                                \
        *sw = fsw();                                                                              \
        return r;                                                                                 \
    }
UNARY(x_fsin, "fsin")
UNARY(x_fcos, "fcos")
UNARY(x_f2xm1, "f2xm1")
UNARY(x_frndint, "frndint")
UNARY(x_fsqrt, "fsqrt")
UNARY(x_fabs, "fabs")
UNARY(x_fchs, "fchs")

/* Two operands (st0 = x, st1 = y), the result in st(0), st(1) kept. */
#define BINARY(name, insn)                                                                        \
    static long double name(long double x, long double y, uint16_t *sw)                           \
    {                                                                                             \
        long double r;                                                                            \
        fclex();                                                                                  \
        __asm__ volatile(insn : "=t"(r) : "0"(x), "u"(y));                                        \
        *sw = fsw();                                                                              \
        return r;                                                                                 \
    }
BINARY(x_fscale, "fscale")
BINARY(x_fprem, "fprem")
BINARY(x_fprem1, "fprem1")
/* Two operands, st(1) = f(st0, st1), pop. */
#define BINPOP(name, insn)                                                                        \
    static long double name(long double x, long double y, uint16_t *sw)                           \
    {                                                                                             \
        long double r;                                                                            \
        fclex();                                                                                  \
        __asm__ volatile(insn : "=t"(r) : "0"(x), "u"(y) : "st(1)");                              \
        *sw = fsw();                                                                              \
        return r;                                                                                 \
    }
BINPOP(x_fpatan, "fpatan")
BINPOP(x_fyl2x, "fyl2x")
BINPOP(x_fyl2xp1, "fyl2xp1")

static void transcendental(void)
{
    uint16_t sw;
    for (int i = 0; i < nvals; i++) {
        long double x = vals[i];
        printf("v%d", i);
        pr("sin", x_fsin(x, &sw));
        printf("/%04x", sw);
        pr("cos", x_fcos(x, &sw));
        printf("/%04x", sw);
        pr("2xm1", x_f2xm1(x, &sw));
        printf("/%04x", sw);
        pr("rnd", x_frndint(x, &sw));
        printf("/%04x", sw);
        pr("sqrt", x_fsqrt(x, &sw));
        printf("/%04x", sw);
        pr("abs", x_fabs(x, &sw));
        pr("chs", x_fchs(x, &sw));
        /* fptan, fsincos, fxtract push: done with fnsave so an operand out of range (no push)
         * is visible too */
        static const char *const names[] = {"fptan", "fsincos", "fxtract"};
        for (int k = 0; k < 3; k++) {
            unsigned char env[108];
            fclex();
            if (k == 0) __asm__ volatile("fldt %1\n\tfptan\n\tfnsave %0" : "=m"(env) : "m"(x));
            else if (k == 1) __asm__ volatile("fldt %1\n\tfsincos\n\tfnsave %0" : "=m"(env) : "m"(x));
            else __asm__ volatile("fldt %1\n\tfxtract\n\tfnsave %0" : "=m"(env) : "m"(x));
            uint16_t esw, etw;
            memcpy(&esw, env + 4, 2);
            memcpy(&etw, env + 8, 2);
            long double a, b;
            memcpy(&a, env + 28, 10);
            memcpy(&b, env + 38, 10);
            printf(" %s sw %04x tw %04x", names[k], esw, etw);
            pr("st0", a);
            pr("st1", b);
        }
        printf("\n");
    }
    /* two operands over pairs */
    uint64_t h = FNV_INIT;
    int n = 0;
    for (int i = 0; i < nvals; i++)
        for (int j = 0; j < nvals; j++) {
            long double x = vals[i], y = vals[j], r[5];
            uint16_t s[5];
            r[0] = x_fscale(x, y, &s[0]);
            r[1] = x_fprem(x, y, &s[1]);
            r[2] = x_fprem1(x, y, &s[2]);
            r[3] = x_fpatan(x, y, &s[3]);
            r[4] = x_fyl2x(x, y, &s[4]);
            for (int k = 0; k < 5; k++) {
                h = fnv1a(&r[k], 10, h);
                h = fnv1a(&s[k], 2, h);
            }
            long double p = x_fyl2xp1(x * 0.25L, y, &s[0]);
            h = fnv1a(&p, 10, h);
            h = fnv1a(&s[0], 2, h);
            n++;
            if ((i * nvals + j) % 97 == 0) {
                printf("pair %d %d:", i, j);
                for (int k = 0; k < 5; k++) {
                    pr("r", r[k]);
                    printf("/%04x", s[k]);
                }
                printf("\n");
            }
        }
    report("two-operand instructions", h, (unsigned long)n);
    /* fprem until complete: the quotient bits */
    long double a = 1e300L, b = 3.0L;
    int rounds = 0;
    uint16_t s;
    do {
        a = x_fprem(a, b, &s);
        rounds++;
    } while (s & 0x400);
    printf("fprem 1e300 mod 3: %d rounds, q bits C0 %d C3 %d C1 %d", rounds, !!(s & 0x100), !!(s & 0x4000),
           !!(s & 0x200));
    pr("r", a);
    printf("\n");
}

static void compares(void)
{
    uint64_t h = FNV_INIT;
    for (int i = 0; i < nvals; i++) {
        long double x = vals[i];
        uint16_t s1, s2, s3;
        fclex();
        __asm__ volatile("fxam\n\tfnstsw %0" : "=m"(s1) : "t"(x));
        fclex();
        __asm__ volatile("ftst\n\tfnstsw %0" : "=m"(s2) : "t"(x));
        printf("v%d fxam %04x ftst %04x\n", i, s1 & 0x4700, s2);
        for (int j = 0; j < nvals; j++) {
            long double y = vals[j];
            uint8_t zf, pf, cf, zf2, pf2, cf2;
            fclex();
            __asm__ volatile("fcom %%st(1)\n\tfnstsw %0" : "=m"(s1) : "t"(x), "u"(y));
            fclex();
            __asm__ volatile("fucom %%st(1)\n\tfnstsw %0" : "=m"(s2) : "t"(x), "u"(y));
            fclex();
            __asm__ volatile("fcomi %%st(1), %%st\n\tsetz %0\n\tsetp %1\n\tsetc %2" : "=q"(zf), "=q"(pf), "=q"(cf) : "t"(x), "u"(y) : "cc");
            __asm__ volatile("fucomi %%st(1), %%st\n\tsetz %0\n\tsetp %1\n\tsetc %2" : "=q"(zf2), "=q"(pf2), "=q"(cf2) : "t"(x), "u"(y) : "cc");
            s3 = fsw();
            long double mv;
            __asm__ volatile("fcmovu %%st(1), %%st\n\tfcmovb %%st(1), %%st" : "=t"(mv) : "0"(x), "u"(y), "r"(0) : "cc");
            h = mix64(h, (uint64_t)s1 << 48 | (uint64_t)s2 << 32 | (uint64_t)s3 << 16 |
                             (uint64_t)(zf | pf << 1 | cf << 2 | zf2 << 3 | pf2 << 4 | cf2 << 5));
            h = fnv1a(&mv, 10, h);
        }
    }
    report("fcom fucom fcomi fucomi fcmov", h, (unsigned long)(nvals * nvals));
}

static void conversions(void)
{
    for (int i = 0; i < nvals; i++) {
        long double x = vals[i];
        int16_t i16, t16;
        int32_t i32, t32;
        int64_t t64;
        unsigned char bcd[10];
        uint16_t s1, s2, s3;
        fclex();
        __asm__ volatile("fists %0\n\tfistl %1\n\tfnstsw %2" : "=m"(i16), "=m"(i32), "=m"(s1) : "t"(x));
        fclex();
        __asm__ volatile("fld %%st(0)\n\tfisttps %0\n\tfld %%st(0)\n\tfisttpl %1\n\tfld %%st(0)\n\tfisttpll %2\n\tfnstsw %3"
                         : "=m"(t16), "=m"(t32), "=m"(t64), "=m"(s2) : "t"(x));
        fclex();
        __asm__ volatile("fld %%st(0)\n\tfbstp %0\n\tfnstsw %1" : "=m"(bcd), "=m"(s3) : "t"(x));
        long double back;
        __asm__ volatile("fbld %1" : "=t"(back) : "m"(bcd));
        float f;
        double d;
        uint16_t s4;
        fclex();
        __asm__ volatile("fsts %0\n\tfstl %1\n\tfnstsw %2" : "=m"(f), "=m"(d), "=m"(s4) : "t"(x));
        uint32_t fb;
        uint64_t db;
        memcpy(&fb, &f, 4);
        memcpy(&db, &d, 8);
        printf("v%d fist %d %d/%04x fisttp %d %d %lld/%04x bcd ", i, i16, i32, s1, t16, t32, (long long)t64, s2);
        for (int k = 9; k >= 0; k--) printf("%02x", bcd[k]);
        printf("/%04x", s3);
        pr("back", back);
        printf(" f %08x d %016llx/%04x\n", fb, (unsigned long long)db, s4);
    }
    /* BCD input with invalid digits */
    unsigned char bad[10] = {0xab, 0xcd, 0xef, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xff, 0x80};
    long double r;
    __asm__ volatile("fbld %1" : "=t"(r) : "m"(bad));
    pr("fbld invalid", r);
    printf("\n");
}

static void environment(void)
{
    unsigned char env[28], sv[108], fx[512] __attribute__((aligned(16)));
    uint16_t cw = 0x0a7f; /* round up, 53-bit precision */
    __asm__ volatile("fninit\n\tfldcw %0" : : "m"(cw));
    long double one = 1, three = 3, r;
    __asm__ volatile("fdivr %2, %0" : "=t"(r) : "0"(three), "u"(one));
    pr("1/3 (pc53, up)", r);
    __asm__ volatile("fldpi\n\tfld1\n\tfnstenv %0\n\tfldenv %0\n\tfnsave %1\n\tfrstor %1" : "=m"(env), "=m"(sv));
    uint32_t w[7];
    memcpy(w, env, 28);
    printf("\nfnstenv: cw %08x sw %08x tw %08x fop %03x cs %04x ds %08x\n", w[0], w[1], w[2], w[4] >> 16, w[4] & 0xffff, w[6]);
    uint16_t scw, ssw, stw;
    memcpy(&scw, sv, 2);
    memcpy(&ssw, sv + 4, 2);
    memcpy(&stw, sv + 8, 2);
    printf("fnsave: cw %04x sw %04x tw %04x", scw, ssw, stw);
    for (int k = 0; k < 3; k++) {
        long double v;
        memcpy(&v, sv + 28 + 10 * k, 10);
        pr("st", v);
    }
    uint16_t after;
    __asm__ volatile("fnstcw %0" : "=m"(after));
    printf(" cw after frstor %04x\n", after);
    memset(fx, 0x5a, sizeof fx);
    __asm__ volatile("fxsave %0" : "=m"(fx));
    uint16_t fcw, fsw_;
    uint32_t mxcsr;
    memcpy(&fcw, fx, 2);
    memcpy(&fsw_, fx + 2, 2);
    memcpy(&mxcsr, fx + 24, 4);
    printf("fxsave: fcw %04x fsw %04x ftw %02x mxcsr %08x tail %02x", fcw, fsw_, fx[4], mxcsr, fx[500]);
    for (int k = 0; k < 3; k++) {
        long double v;
        memcpy(&v, fx + 32 + 16 * k, 10);
        pr("st", v);
    }
    printf("\n");
    fx[4] = 0x00; /* fxrstor with every register empty */
    __asm__ volatile("fxrstor %0" : : "m"(fx));
    uint16_t sw0 = fsw();
    long double x;
    __asm__ volatile("fld %%st(3)" : "=t"(x)); /* stack underflow: the indefinite */
    printf("after fxrstor: sw %04x then %04x", sw0, fsw());
    pr("fld empty", x);
    printf("\n");
    /* stack overflow: nine pushes */
    __asm__ volatile("fninit\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfldpi\n\tfnsave %0"
                     : "=m"(sv));
    memcpy(&ssw, sv + 4, 2);
    memcpy(&stw, sv + 8, 2);
    long double top;
    memcpy(&top, sv + 28, 10);
    printf("overflow: sw %04x tw %04x", ssw, stw);
    pr("st0", top);
    printf("\n");
    /* an unmasked exception is only reported at the next waiting instruction: fnstsw and fnclex
     * do not wait */
    uint16_t ucw = 0x037b, s1, s2;
    __asm__ volatile("fninit\n\tfldcw %2\n\tfld1\n\tfldz\n\tfdivrp\n\tfnstsw %0\n\tfnclex\n\tfnstsw %1\n\tfstp %%st(0)\n\tfninit"
                     : "=m"(s1), "=m"(s2) : "m"(ucw));
    printf("unmasked zero-divide: sw %04x, after fnclex %04x\n", s1, s2);
    __asm__ volatile("fninit");
}

int main(int argc, char **argv)
{
    init_vals();
    if (argc > 1 && !strcmp(argv[1], "mf")) {
        uint16_t cw = 0x037b, sw;
        __asm__ volatile("fninit\n\tfldcw %1\n\tfld1\n\tfldz\n\tfdivrp\n\tfnstsw %0" : "=m"(sw) : "m"(cw));
        printf("status word %04x; fwait now\n", sw);
        fflush(stdout);
        __asm__ volatile("fwait");
        printf("not reached\n");
        return 0;
    }
    transcendental();
    compares();
    conversions();
    environment();
    return 0;
}
