/* x87 FPU (emu/exec_x87.c) against the host CPU.
 *
 * The main test runs every x87 encoding (all 512 register forms, every memory form, with the 66
 * prefix for the environment instructions) from many machine states, on the emulator and natively,
 * and compares the complete result: the FNSAVE image of the x87 state (control, status and tag
 * words, TOP, the eight registers, the last opcode), the memory operand, RAX (fnstsw ax) and the
 * arithmetic flags (fcomi). Both sides run the same three instructions
 *
 *     frstor [rdi]; <instruction>; fnsave [rdi]
 *
 * with rsi pointing at the memory operand, so the state is loaded and read back the same way; the
 * native side runs them from an executable page, and an encoding the host rejects (SIGILL) must be
 * #UD on the emulator too. The states cover every rounding mode and precision control (each form is
 * run under all 16 combinations), masked and unmasked exceptions, flags already raised, empty and
 * full registers (stack overflow and underflow), and operands from a pool of special values: signed
 * zeros, infinities, quiet and signalling NaNs, the indefinite, denormals and pseudo-denormals,
 * unnormals, pseudo-infinities and pseudo-NaNs, the largest and smallest normals, values around
 * integer limits and 2^63, multiples of pi, and random numbers.
 *
 * Then: the census (docs/x87-census.txt: every form in musl's libc.a decodes to a handler), stack
 * overflow and underflow spelled out, FXSAVE/FXRSTOR (layout against the host's, round trip,
 * alignment and MXCSR faults), and #MF delivery at the next waiting instruction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu/exec.h"
#include "tests/unit/cpu_harness.h"

static th_t *h;

static int setup(void **s)
{
    (void)s;
    h = th_new();
    return 0;
}
static int teardown(void **s)
{
    (void)s;
    th_free(h);
    return 0;
}

/* ---- random numbers and values ---------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

typedef struct f80 {
    uint64_t m;
    uint16_t se;
} f80_t;

static f80_t mk(uint16_t se, uint64_t m)
{
    f80_t v = {m, se};
    return v;
}

/* An 80-bit value from the pool of interesting ones. */
static f80_t rnd_f80(void)
{
    uint16_t s = (uint16_t)(rndn(2) << 15);
    uint64_t r = rnd();
    switch (rndn(24)) {
    case 0: return mk(s, 0);                                              /* zero */
    case 1: return mk(s | 0x3fff, 1ull << 63);                            /* 1 */
    case 2: return mk(s | 0x7fff, 1ull << 63);                            /* infinity */
    case 3: return mk(s | 0x7fff, (3ull << 62) | (r >> 2));               /* QNaN */
    case 4: return mk(s | 0x7fff, (1ull << 63) | ((r >> 2) | 1));         /* SNaN */
    case 5: return mk(0xffff, 3ull << 62);                                /* indefinite */
    case 6: return mk(s | 0x7ffe, ~0ull);                                 /* largest normal */
    case 7: return mk(s | 0x0001, 1ull << 63);                            /* smallest normal */
    case 8: return mk(s, r >> rndn(64));                                  /* denormal */
    case 9: return mk(s, (1ull << 63) | (r >> 1));                        /* pseudo-denormal */
    case 10: return mk(s | (uint16_t)(1 + rndn(0x7ffe)), r >> 1);         /* unnormal */
    case 11: return mk(s | 0x7fff, rndn(2) ? 0 : (r >> 1) | 1);           /* pseudo-inf, pseudo-NaN */
    case 12: return mk(s | (uint16_t)(0x403c + rndn(4)), rndn(2) ? ~0ull : 1ull << 63 | (r & 0xff)); /* ~2^63 */
    case 13: {                                                            /* integers near the limits */
        static const uint16_t e[] = {0x400d, 0x400e, 0x401d, 0x401e, 0x403d, 0x403e};
        return mk(s | e[rndn(6)], (1ull << 63) | (rndn(2) ? r & 0xff : ~(r & 0xff)));
    }
    case 14: {                                                            /* small integers and halves */
        long double x = (long double)((int)rndn(64) - 32) / (rndn(2) ? 1 : 2);
        f80_t v;
        memcpy(&v, &x, 10);
        return v;
    }
    case 15: {                                                            /* multiples of pi/4 */
        long double x = 0.78539816339744830961566084581987572L * (long double)((int)rndn(400) - 200);
        f80_t v;
        memcpy(&v, &x, 10);
        return v;
    }
    case 16: return mk(s | (uint16_t)(0x3fff - 70 + rndn(140)), (1ull << 63) | r); /* moderate */
    case 17: return mk(s | (uint16_t)(0x3fff - 3 + rndn(6)), (1ull << 63) | r); /* near 1 */
    case 18: return mk(s | (uint16_t)(1 + rndn(0x7ffe)), (1ull << 63) | r); /* any normal */
    case 19: return mk(s | (uint16_t)(0x3fff + 0x3ff - 4 + rndn(8)), (1ull << 63) | r); /* near double max */
    case 20: return mk(s | (uint16_t)(0x3fff - 0x3fe - 70 + rndn(80)), (1ull << 63) | r); /* near double min */
    case 21: return mk(s | (uint16_t)(0x3fff - 126 - 30 + rndn(40)), (1ull << 63) | r); /* near float min */
    case 22: return mk(s | (uint16_t)(0x7ffe - rndn(64)), (1ull << 63) | r); /* huge */
    default: return mk(s | (uint16_t)(1 + rndn(64)), (1ull << 63) | r); /* tiny */
    }
}

static uint32_t rnd_f32(void)
{
    uint32_t s = (uint32_t)rndn(2) << 31, r = (uint32_t)rnd();
    switch (rndn(10)) {
    case 0: return s;
    case 1: return s | 0x7f800000u;
    case 2: return s | 0x7fc00000u | (r & 0x3fffff);
    case 3: return s | 0x7f800000u | ((r & 0x3fffff) | 1);
    case 4: return s | (r & 0x7fffff);
    case 5: return s | 0x7f7fffffu;
    case 6: return s | 0x00800000u;
    case 7: return s | ((uint32_t)(127 + rndn(40) - 20) << 23) | (r & 0x7fffff);
    default: return r;
    }
}

static uint64_t rnd_f64(void)
{
    uint64_t s = (uint64_t)rndn(2) << 63, r = rnd();
    switch (rndn(10)) {
    case 0: return s;
    case 1: return s | 0x7ff0000000000000ull;
    case 2: return s | 0x7ff8000000000000ull | (r & 0x7ffffffffffffull);
    case 3: return s | 0x7ff0000000000000ull | ((r & 0x7ffffffffffffull) | 1);
    case 4: return s | (r & 0xfffffffffffffull);
    case 5: return s | 0x7fefffffffffffffull;
    case 6: return s | 0x0010000000000000ull;
    case 7: return s | ((uint64_t)(1023 + rndn(80) - 40) << 52) | (r & 0xfffffffffffffull);
    default: return r;
    }
}

static uint64_t rnd_int(int bits)
{
    uint64_t r = rnd();
    uint64_t lim = bits == 64 ? ~0ull : (1ull << bits) - 1;
    switch (rndn(6)) {
    case 0: return 0;
    case 1: return lim; /* -1 */
    case 2: return 1ull << (bits - 1); /* most negative */
    case 3: return (1ull << (bits - 1)) - 1; /* most positive */
    case 4: return (uint64_t)((int64_t)rndn(200) - 100) & lim;
    default: return r & lim;
    }
}

/* ---- states ----------------------------------------------------------------------------------- */

/* An FNSAVE image (32-bit protected-mode layout, 108 bytes). */
typedef struct img {
    uint8_t b[108];
} img_t;

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void p16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* A random x87 state with no exception pending. k chooses the precision and rounding control. */
static void rnd_state(img_t *im, unsigned k)
{
    memset(im->b, 0, sizeof(im->b));
    uint16_t cw = (uint16_t)(0x40 | (k & 3) << 8 | ((k >> 2) & 3) << 10);
    cw |= rndn(3) ? 0x3f : (uint16_t)(rnd() & 0x3f);
    if (rndn(8) == 0) cw |= 0x1000;
    unsigned top = rndn(8);
    uint16_t sw = (uint16_t)(rnd() & 0x477f & ~0x80);
    sw &= (uint16_t)~(~cw & 0x3f); /* only masked exceptions may be raised already */
    sw |= (uint16_t)(top << 11);
    uint16_t tw = 0;
    int pempty = (int)rndn(4); /* 0: none empty ... */
    for (int p = 0; p < 8; p++) {
        int st = (int)((p - top) & 7);
        int empty = pempty && rndn(8) < (unsigned)(st < 2 ? 1 : 2 * pempty);
        if (empty) tw |= (uint16_t)(3 << (2 * p));
    }
    p16(im->b + 0, cw);
    p16(im->b + 2, 0xffff);
    p16(im->b + 4, sw);
    p16(im->b + 6, 0xffff);
    p16(im->b + 8, tw);
    p16(im->b + 10, 0xffff);
    p16(im->b + 16, 0x33);
    p16(im->b + 18, (uint16_t)(rnd() & 0x7ff));
    p16(im->b + 26, 0xffff);
    for (int st = 0; st < 8; st++) {
        f80_t v = rnd_f80();
        memcpy(im->b + 28 + 10 * st, &v.m, 8);
        memcpy(im->b + 36 + 10 * st, &v.se, 2);
    }
}

/* ---- the forms -------------------------------------------------------------------------------- */

enum { T_NONE, T_M16I, T_M32I, T_M64I, T_M32F, T_M64F, T_M80F, T_BCD, T_CW, T_ENV, T_SAVE, T_OUT };

typedef struct form {
    uint8_t b[4];
    int n;
    int type;   /* memory operand: what to put there */
    int envout; /* the instruction stores an environment (n bytes of header; 0: none) */
    int o16;
} form_t;

static int nforms;
static form_t forms[700];

static void add_form(const uint8_t *b, int n, int type, int envout, int o16)
{
    form_t *f = &forms[nforms++];
    memcpy(f->b, b, (size_t)n);
    f->n = n;
    f->type = type;
    f->envout = envout;
    f->o16 = o16;
}

static void build_forms(void)
{
    if (nforms) return;
    for (int op = 0xd8; op <= 0xdf; op++)
        for (int m = 0xc0; m <= 0xff; m++) {
            uint8_t b[2] = {(uint8_t)op, (uint8_t)m};
            add_form(b, 2, T_NONE, 0, 0);
        }
    /* memory forms with [rsi]: ModRM = reg << 3 | 6 */
    static const int mt[8][8] = {
        /* D8 */ {T_M32F, T_M32F, T_M32F, T_M32F, T_M32F, T_M32F, T_M32F, T_M32F},
        /* D9 */ {T_M32F, T_M32F, T_OUT, T_OUT, T_ENV, T_CW, T_OUT, T_OUT},
        /* DA */ {T_M32I, T_M32I, T_M32I, T_M32I, T_M32I, T_M32I, T_M32I, T_M32I},
        /* DB */ {T_M32I, T_OUT, T_OUT, T_OUT, T_M80F, T_M80F, T_M80F, T_OUT},
        /* DC */ {T_M64F, T_M64F, T_M64F, T_M64F, T_M64F, T_M64F, T_M64F, T_M64F},
        /* DD */ {T_M64F, T_OUT, T_OUT, T_OUT, T_SAVE, T_OUT, T_OUT, T_OUT},
        /* DE */ {T_M16I, T_M16I, T_M16I, T_M16I, T_M16I, T_M16I, T_M16I, T_M16I},
        /* DF */ {T_M16I, T_OUT, T_OUT, T_OUT, T_BCD, T_M64I, T_OUT, T_OUT},
    };
    for (int op = 0xd8; op <= 0xdf; op++)
        for (int r = 0; r < 8; r++) {
            uint8_t b[3] = {(uint8_t)op, (uint8_t)(r << 3 | 6)};
            int env = (op == 0xd9 && r == 6) || (op == 0xdd && r == 6);
            add_form(b, 2, mt[op - 0xd8][r], env, 0);
            if ((op == 0xd9 || op == 0xdd) && (r == 4 || r == 6)) {
                uint8_t b16[3] = {0x66, (uint8_t)op, (uint8_t)(r << 3 | 6)};
                add_form(b16, 3, mt[op - 0xd8][r], env, 1);
            }
        }
    /* REX prefixes change nothing for x87 (REX.B does not extend st(i); REX.W no operand size). */
    static const uint8_t rex[][3] = {{0x41, 0xd8, 0xc3}, {0x49, 0xdd, 0xda}, {0x48, 0xdb, 0x2e}, {0x41, 0xde, 0xf9}};
    for (size_t k = 0; k < sizeof(rex) / sizeof(rex[0]); k++)
        add_form(rex[k], 3, rex[k][1] == 0xdb ? T_M80F : T_NONE, 0, 0);
}

static void fill_mem(uint8_t *mem, int type)
{
    for (int k = 0; k < 128; k++) mem[k] = (uint8_t)rnd();
    uint64_t v;
    switch (type) {
    case T_M16I: v = rnd_int(16); memcpy(mem, &v, 2); break;
    case T_M32I: v = rnd_int(32); memcpy(mem, &v, 4); break;
    case T_M64I: v = rnd_int(64); memcpy(mem, &v, 8); break;
    case T_M32F: { uint32_t f = rnd_f32(); memcpy(mem, &f, 4); break; }
    case T_M64F: v = rnd_f64(); memcpy(mem, &v, 8); break;
    case T_M80F: { f80_t x = rnd_f80(); memcpy(mem, &x.m, 8); memcpy(mem + 8, &x.se, 2); break; }
    case T_BCD:
        for (int k = 0; k < 9; k++) {
            int lo = (int)rndn(rndn(8) ? 10 : 16), hi = (int)rndn(rndn(8) ? 10 : 16);
            mem[k] = (uint8_t)(hi << 4 | lo);
        }
        mem[9] = rndn(2) ? 0x80 : 0;
        if (rndn(8) == 0) mem[9] |= (uint8_t)(rnd() & 0x7f);
        break;
    case T_CW: if (rndn(2)) p16(mem, (uint16_t)(0x037f & ~(rnd() & 0x3f))); break;
    case T_ENV: case T_SAVE: {
        /* a 108-byte image with no exception pending, also read as the 16-bit forms */
        img_t im;
        rnd_state(&im, rndn(16));
        memcpy(mem, im.b, 108);
        break;
    }
    default: break;
    }
}

/* ---- native execution ------------------------------------------------------------------------- */

static uint8_t *npage;
static sigjmp_buf ill_jmp;

static void on_ill(int sig)
{
    (void)sig;
    siglongjmp(ill_jmp, 1);
}

typedef struct nout {
    uint64_t flags, rax;
} nout_t;

/* Run `frstor (rdi); insn; fnsave (rdi)` natively with EFLAGS = flags and RAX = 0. Returns 0, -1
 * when the host raised SIGILL, -2 when native execution is unavailable. */
static int native_run(const form_t *f, uint8_t img[108], uint8_t *mem, uint64_t flags, nout_t *o)
{
    if (!npage) {
        npage = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (npage == MAP_FAILED) npage = NULL;
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_ill;
        sigaction(SIGILL, &sa, NULL);
    }
    if (!npage) return -2;
    static const uint8_t pro[] = {0x51, 0x9d, 0xb8, 0, 0, 0, 0, 0xdd, 0x27}; /* push rcx; popfq; mov eax, 0; frstor (rdi) */
    static const uint8_t epi[] = {0xdd, 0x37, 0x9c, 0x59, 0x48, 0x89, 0x0a, 0x48, 0x89, 0x42, 0x08, 0xc3};
    uint8_t *p = npage;
    memcpy(p, pro, sizeof(pro));
    p += sizeof(pro);
    memcpy(p, f->b, (size_t)f->n);
    p += f->n;
    memcpy(p, epi, sizeof(epi));
    void (*fn)(uint8_t *, uint8_t *, nout_t *, uint64_t) = (void (*)(uint8_t *, uint8_t *, nout_t *, uint64_t))(void *)npage;
    if (sigsetjmp(ill_jmp, 1)) {
        __asm__ volatile("fninit");
        return -1;
    }
    fn(img, mem, o, flags);
    return 0;
}

/* ---- emulated execution ---------------------------------------------------------------------- */

#define E_IMG TH_DATA
#define E_MEM (TH_DATA + 0x200)

static const form_t *loaded;

/* The same three instructions on the emulator. Returns th_run's result. */
static int xemu_run(const form_t *f, const uint8_t img[108], const uint8_t *mem, uint64_t flags, nout_t *o,
                   uint8_t out_img[108], uint8_t *out_mem)
{
    cpu_t *c = h->c;
    if (loaded != f) {
        uint8_t code[32];
        int n = 0;
        code[n++] = 0xdd;
        code[n++] = 0x27;
        memcpy(code + n, f->b, (size_t)f->n);
        n += f->n;
        code[n++] = 0xdd;
        code[n++] = 0x37;
        th_code(h, code, (size_t)n);
        loaded = f;
    }
    c->rip = TH_CODE;
    memcpy(th_ptr(h, E_IMG), img, 108);
    memcpy(th_ptr(h, E_MEM), mem, 128);
    c->r[R_RDI] = E_IMG;
    c->r[R_RSI] = E_MEM;
    c->r[R_RAX] = 0;
    cpu_set_rflags(c, flags | 0x202);
    int v = th_run(h, 3);
    memcpy(out_img, th_ptr(h, E_IMG), 108);
    memcpy(out_mem, th_ptr(h, E_MEM), 128);
    o->flags = cpu_get_rflags(c);
    o->rax = c->r[R_RAX];
    return v;
}

static void dump_img(const char *what, const uint8_t *b)
{
    fprintf(stderr, "  %s: cw %04x sw %04x tw %04x fop %03x\n", what, g16(b), g16(b + 4), g16(b + 8), g16(b + 18) & 0x7ff);
    for (int st = 0; st < 8; st++) {
        uint64_t m;
        memcpy(&m, b + 28 + 10 * st, 8);
        fprintf(stderr, "    st%d %04x %016llx\n", st, g16(b + 36 + 10 * st), (unsigned long long)m);
    }
}

static int last_ud;

/* Compare one case; returns 0 when identical, 1 when not (printed), -1 without native execution. */
static int compare_case(const form_t *f, const img_t *in, const uint8_t *mem, uint64_t flags)
{
    uint8_t nimg[108], nmem[128], eimg[108], emem[128];
    nout_t no, eo;
    memcpy(nimg, in->b, 108);
    memcpy(nmem, mem, 128);
    int nv = native_run(f, nimg, nmem, flags, &no);
    if (nv == -2) return -1;
    int ev = xemu_run(f, in->b, mem, flags, &eo, eimg, emem);
    char why[256] = "";
    last_ud = nv == -1;
    if (nv == -1 || ev != -1) {
        if (!(nv == -1 && ev == X86_UD)) snprintf(why, sizeof(why), "native %s, emulator vector %d", nv ? "SIGILL" : "ok", ev);
    } else {
        /* Everything but the instruction and data pointers (host addresses natively) and their
         * selectors (deprecated in 64-bit mode; the emulator only approximates them). */
        static const int skip[][2] = {{12, 18}, {20, 26}};
        for (int k = 0; k < 108 && !why[0]; k++) {
            int sk = 0;
            for (size_t j = 0; j < 2; j++) sk |= k >= skip[j][0] && k < skip[j][1];
            if (k == 18 || k == 19) {
                /* FOP: 11 bits. A context switch between the instruction and fnsave loses it
                 * natively (AMD's XSAVE keeps FOP only with an exception pending): 0 matches. */
                unsigned nf = g16(nimg + 18) & 0x7ff, ef = g16(eimg + 18) & 0x7ff;
                if (nf && nf != ef) snprintf(why, sizeof(why), "FOP native %03x emulator %03x", nf, ef);
                continue;
            }
            if (!sk && nimg[k] != eimg[k]) snprintf(why, sizeof(why), "image byte %d", k);
        }
        for (int k = 0; k < 128 && !why[0]; k++) {
            if (f->envout) {
                int ip = f->o16 ? k >= 6 && k < 14 : (k >= 12 && k < 18) || (k >= 20 && k < 26);
                if (ip) continue;
                if (!f->o16 && k >= 18 && k < 20) { /* FOP in the stored environment */
                    if (((nmem[k] ^ emem[k]) & (k == 19 ? 7 : 0xff))) snprintf(why, sizeof(why), "memory byte %d", k);
                    continue;
                }
            }
            if (nmem[k] != emem[k]) snprintf(why, sizeof(why), "memory byte %d: native %02x emulator %02x", k, nmem[k], emem[k]);
        }
        if (!why[0] && no.rax != eo.rax) snprintf(why, sizeof(why), "rax native %llx emulator %llx", (unsigned long long)no.rax, (unsigned long long)eo.rax);
        if (!why[0] && (no.flags & FL_ARITH) != (eo.flags & FL_ARITH))
            snprintf(why, sizeof(why), "flags native %llx emulator %llx", (unsigned long long)(no.flags & FL_ARITH), (unsigned long long)(eo.flags & FL_ARITH));
    }
    if (!why[0]) return 0;
    fprintf(stderr, "x87 mismatch:");
    for (int k = 0; k < f->n; k++) fprintf(stderr, " %02x", f->b[k]);
    fprintf(stderr, ": %s; eflags in %llx\n", why, (unsigned long long)flags);
    dump_img("before", in->b);
    fprintf(stderr, "  memory:");
    for (int k = 0; k < 16; k++) fprintf(stderr, " %02x", mem[k]);
    fprintf(stderr, "\n");
    dump_img("native", nimg);
    dump_img("emulator", eimg);
    fprintf(stderr, "  memory native/emulator:");
    for (int k = 0; k < 16; k++) fprintf(stderr, " %02x/%02x", nmem[k], emem[k]);
    fprintf(stderr, "\n");
    return 1;
}

static void test_against_host(void **s)
{
    (void)s;
    build_forms();
    th_reset(h);
    cpu_fpu_reset(h->c);
    unsigned iters = 256;
    const char *e = getenv("X87_TEST_ITERS");
    if (e) iters = (unsigned)atoi(e);
    e = getenv("X87_TEST_SEED");
    if (e) rng = strtoull(e, NULL, 0) | 1;
    int bad = 0, cases = 0;
    for (int fi = 0; fi < nforms && bad < 20; fi++) {
        const form_t *f = &forms[fi];
        for (unsigned it = 0; it < iters && bad < 20; it++) {
            img_t in;
            uint8_t mem[128];
            rnd_state(&in, it);
            fill_mem(mem, f->type);
            uint64_t flags = rnd() & (FL_CF | FL_ZF | FL_PF | FL_SF | FL_OF | FL_AF);
            int r = compare_case(f, &in, mem, flags);
            if (r < 0) skip();
            bad += r;
            cases++;
            if (last_ud) break; /* an invalid encoding: once is enough */
        }
    }
    fprintf(stderr, "x87: %d forms, %d cases compared with the host\n", nforms, cases);
    assert_int_equal(bad, 0);
}

/* ---- explicit cases ----------------------------------------------------------------------------- */

#define R(n) (h->c->r[n])
#define RUN(code, n) assert_int_equal(run_code(code, sizeof(code) - 1, n), -1)
static int run_code(const char *code, size_t len, int n)
{
    th_code(h, code, len);
    loaded = NULL;
    return th_run(h, (uint64_t)n);
}

/* Run code natively with rsi = buf (the code must leave the x87 stack empty). */
static int native_code(const uint8_t *code, size_t n, uint8_t *buf)
{
    if (!npage) {
        nout_t o;
        form_t f = {{0x90}, 1, 0, 0, 0};
        uint8_t img[108];
        memset(img, 0, sizeof(img));
        p16(img, 0x37f);
        p16(img + 8, 0xffff);
        native_run(&f, img, buf, 0, &o);
    }
    if (!npage) return -1;
    memcpy(npage, code, n);
    npage[n] = 0xc3;
    ((void (*)(void *, uint8_t *))(void *)npage)(NULL, buf);
    return 0;
}

static f80_t ld80(long double x)
{
    f80_t v;
    memcpy(&v.m, &x, 8);
    memcpy(&v.se, (char *)&x + 8, 2);
    return v;
}

/* Arithmetic, square root, rounding to integer and the conversions to memory under all 16
 * combinations of rounding and precision control, on the emulator and natively. */
static void test_rounding_precision(void **s)
{
    (void)s;
    static const struct { const char *name; uint8_t b[4]; int n; } ops[] = {
        {"fadd", {0xd8, 0xc1}, 2}, {"fsub", {0xd8, 0xe1}, 2}, {"fsubr", {0xd8, 0xe9}, 2},
        {"fmul", {0xd8, 0xc9}, 2}, {"fdiv", {0xd8, 0xf1}, 2}, {"fdivr", {0xd8, 0xf9}, 2},
        {"fsqrt", {0xd9, 0xfa}, 2}, {"frndint", {0xd9, 0xfc}, 2}, {"fscale", {0xd9, 0xfd}, 2},
        {"fprem1", {0xd9, 0xf5}, 2}, {"fyl2x", {0xd9, 0xf1}, 2}, {"fpatan", {0xd9, 0xf3}, 2},
        {"f2xm1", {0xd9, 0xf0}, 2}, {"fsin", {0xd9, 0xfe}, 2}, {"fldpi", {0xd9, 0xeb}, 2},
        {"fldl2e", {0xd9, 0xea}, 2},
    };
    const long double vals[] = {1.0L, 3.0L, -7.0L, 0.1L, 2.5L, -0.5L, 1e4000L, 1e-4000L, 0x1p-16440L,
                                1.0L / 3.0L, 1e308L, 3.4e38L, 1e-310L, -2.5e-40L, 12345678901234567.5L,
                                9.2233720368547758075e18L, 0.0L, -0.0L};
    const int nv = (int)(sizeof(vals) / sizeof(vals[0]));
    int bad = 0, cases = 0;
    th_reset(h);
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        /* fninit; fldcw [rsi+0x40]; fld tbyte [rsi+0x10]; fld tbyte [rsi]; OP; fst dword [rsi+0x50];
         * fst qword [rsi+0x58]; fist dword [rsi+0x60]; fistp qword [rsi+0x68] (when st0 is left)...
         * fstp tbyte [rsi+0x20]; fnstsw [rsi+0x30]; fninit */
        uint8_t code[64];
        size_t n = 0;
        static const uint8_t pro[] = {0xdb, 0xe3, 0xd9, 0x6e, 0x40, 0xdb, 0x6e, 0x10, 0xdb, 0x2e};
        static const uint8_t epi[] = {0xd9, 0x56, 0x50, 0xdd, 0x56, 0x58, 0xdb, 0x56, 0x60, 0xdf, 0x7e, 0x68,
                                      0xdb, 0x7e, 0x20, 0xdd, 0x7e, 0x30, 0xdb, 0xe3};
        memcpy(code, pro, sizeof(pro));
        n = sizeof(pro);
        memcpy(code + n, ops[o].b, (size_t)ops[o].n);
        n += (size_t)ops[o].n;
        memcpy(code + n, epi, sizeof(epi));
        n += sizeof(epi);
        for (int k = 0; k < 16; k++)
            for (int x = 0; x < nv; x++)
                for (int y = 0; y < nv; y += 3) {
                    uint8_t nb[128], eb[128];
                    memset(nb, 0, sizeof(nb));
                    f80_t a = ld80(vals[x]), b = ld80(vals[y]);
                    memcpy(nb, &a.m, 8);
                    memcpy(nb + 8, &a.se, 2);
                    memcpy(nb + 16, &b.m, 8);
                    memcpy(nb + 24, &b.se, 2);
                    p16(nb + 0x40, (uint16_t)(0x037f & ~0xf00u) | (uint16_t)(k << 8));
                    memcpy(eb, nb, sizeof(eb));
                    if (native_code(code, n, nb) < 0) skip();
                    memcpy(th_ptr(h, TH_DATA + 0x400), eb, sizeof(eb));
                    R(R_RSI) = TH_DATA + 0x400;
                    th_code(h, code, n);
                    assert_int_equal(th_run(h, 12), -1);
                    memcpy(eb, th_ptr(h, TH_DATA + 0x400), sizeof(eb));
                    cases++;
                    if (memcmp(nb, eb, sizeof(nb)) && bad++ < 10) {
                        fprintf(stderr, "%s cw %04x a %La b %La:", ops[o].name, g16(nb + 0x40), vals[x], vals[y]);
                        for (int j = 0x20; j < 0x70; j++)
                            if (nb[j] != eb[j]) fprintf(stderr, " [%02x] %02x/%02x", j, nb[j], eb[j]);
                        fprintf(stderr, "\n");
                    }
                }
    }
    loaded = NULL;
    fprintf(stderr, "x87: %d rounding/precision cases\n", cases);
    assert_int_equal(bad, 0);
}

static uint16_t fsw(void) { return (uint16_t)((h->c->fpu_sw & ~0x3800u) | (unsigned)h->c->fpu_top << 11); }
static f80_t stv(int k) { return ld80(h->c->fpr[(h->c->fpu_top + k) & 7]); }
#define IS_INDEF(v) ((v).se == 0xffff && (v).m == 0xc000000000000000ull)

/* Stack overflow and underflow, masked and unmasked (SDM vol. 1, 8.5.1.1). */
static void test_stack_faults(void **s)
{
    (void)s;
    th_reset(h);
    cpu_fpu_reset(h->c);
    /* nine pushes: the ninth overflows: IE, SF, C1; the indefinite is pushed */
    RUN("\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8", 8);
    assert_int_equal(fsw() & 0x3fff, 0);
    RUN("\xd9\xee", 1); /* fldz */
    assert_int_equal(fsw() & 0x7f, 0x41);
    assert_true(fsw() & 0x200);
    assert_true(IS_INDEF(stv(0)));
    assert_int_equal(h->c->fpu_ftw, 0xff);
    /* underflow: fadd st(0), st(1) with st(1) empty: IE, SF, C1 = 0, st(0) = indefinite */
    th_reset(h);
    cpu_fpu_reset(h->c);
    RUN("\xd9\xe8\xdd\xc1\xd8\xc1", 3); /* fld1; ffree st1; fadd st0, st1 */
    assert_int_equal(fsw() & 0x2ff, 0x41);
    assert_true(IS_INDEF(stv(0)));
    /* fcomi with an empty operand: unordered (ZF, PF, CF) */
    RUN("\xdb\xf1", 1);
    assert_int_equal(TH_ARITH(h), FL_ZF | FL_PF | FL_CF);
    /* fstp to memory from an empty register stores the indefinite of the format */
    R(R_RBX) = TH_DATA;
    RUN("\xdd\xd8\xd9\x1b", 2); /* fstp st0 (pop); fstp dword [rbx] (empty) */
    assert_int_equal(th_rd64(h, TH_DATA) & 0xffffffff, 0xffc00000u);
    /* unmasked IE: an overflowing push changes nothing but the status word; the next waiting
     * instruction takes #MF */
    th_reset(h);
    cpu_fpu_reset(h->c);
    h->c->fpu_cw = 0x37e;
    RUN("\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8", 8);
    RUN("\xd9\xee", 1);
    assert_int_equal(fsw(), 0x8000 | 0x0200 | 0x80 | 0x41); /* B, C1, ES, SF, IE; TOP 0 */
    assert_int_equal(stv(0).se, 0x3fff); /* still 1.0 */
    assert_int_equal(run_code("\xd9\xee", 2, 1), X86_MF);
    assert_int_equal(h->c->rip, TH_CODE);
}

/* #MF: an unmasked exception sets ES and B; the next waiting x87 instruction (or fwait) raises
 * #MF before doing anything; the non-waiting ones (fnstsw, fnstcw, fnclex, fninit, fnstenv,
 * fnsave) and fxsave run. */
static void test_mf(void **s)
{
    (void)s;
    th_reset(h);
    cpu_fpu_reset(h->c);
    R(R_RBX) = TH_DATA;
    th_wr64(h, TH_DATA, 0x37b); /* ZE unmasked */
    RUN("\xd9\x2b\xd9\xe8\xd9\xee\xde\xf9", 4); /* fldcw [rbx]; fld1; fldz; fdivp st1, st0 */
    assert_int_equal(fsw() & 0x80ff, 0x8084); /* B, ES, ZE */
    assert_int_equal(h->c->fpu_top, 6);       /* not popped: the division was not done */
    RUN("\xdf\xe0", 1);                       /* fnstsw ax */
    assert_int_equal(R(R_RAX) & 0xffff, fsw());
    RUN("\xd9\x7b\x08", 1);                   /* fnstcw [rbx+8] */
    assert_int_equal(th_rd64(h, TH_DATA + 8) & 0xffff, 0x37b);
    RUN("\x0f\xae\x43\x40", 1);               /* fxsave [rbx+0x40] */
    assert_int_equal(run_code("\x9b", 1, 1), X86_MF);         /* fwait */
    assert_int_equal(run_code("\xd9\xe8", 2, 1), X86_MF);     /* fld1 */
    assert_int_equal(run_code("\xd9\x2b", 2, 1), X86_MF);     /* fldcw */
    assert_int_equal(h->c->fpu_top, 6);
    RUN("\xdb\xe2\x9b\xd9\xe8", 3);                           /* fnclex; fwait; fld1 */
    assert_int_equal(fsw() & 0x80ff, 0);
    /* fldcw unmasking a flag already raised makes it pending */
    RUN("\xdb\xe3\xd9\xe8\xd9\xeb\xde\xf9", 4);               /* fninit; fld1; fldpi; fdivp: PE */
    assert_int_equal(fsw() & 0xff, 0x20);
    th_wr64(h, TH_DATA, 0x35f);                               /* PE unmasked */
    RUN("\xd9\x2b", 1);
    assert_int_equal(fsw() & 0x80ff, 0x80a0);
    assert_int_equal(run_code("\xd9\xe8", 2, 1), X86_MF);
    /* fnstenv masks everything, which clears ES and B */
    RUN("\xd9\x73\x20", 1);
    assert_int_equal(h->c->fpu_cw, 0x37f);
    assert_int_equal(fsw() & 0x80ff, 0x20);
    RUN("\xd9\x63\x20", 1);                                   /* fldenv: pending again */
    assert_int_equal(fsw() & 0x80ff, 0x80a0);
    RUN("\xdb\xe3", 1);                                       /* fninit */
    assert_int_equal(fsw(), 0);
    assert_int_equal(h->c->fpu_cw, 0x37f);
}

/* FXSAVE/FXRSTOR: the image against the host's for the same x87 state, the round trip, the
 * bytes left alone, and the faults. */
static void test_fxsave(void **s)
{
    (void)s;
    th_reset(h);
    cpu_fpu_reset(h->c);
    R(R_RBX) = TH_DATA;
    RUN("\xd9\xeb\xd9\xe8\xd9\xee\xd9\xe0\xdd\xc1\xd9\xea", 6); /* fldpi; fld1; fldz; fchs; ffree st1; fldl2e */
    uint8_t *img = th_ptr(h, TH_DATA + 0x100);
    memset(img, 0xaa, 512);
    RUN("\x48\x0f\xae\x83\x00\x01\x00\x00", 1); /* fxsave64 [rbx+0x100] */
    uint8_t ref[512];
    cpu_fxsave(h->c, ref);
    assert_memory_equal(img, ref, 416);
    for (int k = 416; k < 512; k++) assert_int_equal(img[k], 0xaa);
    /* the host's fxsave of the same x87 state (loaded with frstor from the emulator's fnsave) */
    RUN("\xdd\xb3\x00\x03\x00\x00", 1); /* fnsave [rbx+0x300] (then fninit) */
    uint8_t sv[108];
    memcpy(sv, th_ptr(h, TH_DATA + 0x300), 108);
    static uint8_t nat[512] __attribute__((aligned(16)));
    __asm__ volatile("frstor %1\n\tfxsave64 %0\n\tfninit" : "=m"(nat) : "m"(sv));
    assert_memory_equal(nat, img, 6);             /* FCW, FSW, FTW (abridged) */
    assert_memory_equal(nat + 32, img + 32, 128); /* ST0..ST7 */
    /* round trip: fxrstor the image, change things, fxrstor again */
    RUN("\x0f\xae\x8b\x00\x01\x00\x00", 1); /* fxrstor [rbx+0x100] */
    cpu_fxsave(h->c, ref);
    assert_memory_equal(img, ref, 416);
    /* alignment and reserved MXCSR bits: #GP, nothing changed */
    uint16_t cw = h->c->fpu_cw;
    R(R_RBX) = TH_DATA + 8;
    assert_int_equal(run_code("\x0f\xae\x03", 3, 1), X86_GP);
    assert_int_equal(run_code("\x0f\xae\x0b", 3, 1), X86_GP);
    R(R_RBX) = TH_DATA + 0x100;
    img[24 + 2] = 0x01; /* MXCSR bit 16 */
    img[0] = 0x40;      /* a different FCW: must not be loaded */
    assert_int_equal(run_code("\x0f\xae\x0b", 3, 1), X86_GP);
    assert_int_equal(h->c->fpu_cw, cw);
    /* across a page boundary */
    R(R_RBX) = TH_DATA + 0x1000 - 0x80;
    RUN("\x0f\xae\x03\x0f\xae\x0b", 2);
    assert_memory_equal(th_ptr(h, TH_DATA + 0x1000 - 0x80), ref, 0x80);
    assert_memory_equal(th_ptr(h, TH_DATA + 0x1000), ref + 0x80, 416 - 0x80);
}

/* FXRSTOR then FXSAVE of random images (any control and status word, tags, registers): the x87
 * part of the image written back, and the MXCSR, against the host's. */
static void test_fxrstor_vs_host(void **s)
{
    (void)s;
    static const uint8_t code[] = {0x48, 0x0f, 0xae, 0x0f, 0x48, 0x0f, 0xae, 0x07, /* fxrstor64 [rdi]; fxsave64 [rdi] */
                                   0xdb, 0xe3, 0x0f, 0xae, 0x16};                  /* fninit; ldmxcsr [rsi] */
    static uint8_t nat[512] __attribute__((aligned(16)));
    uint32_t mx = 0x1f80;
    th_reset(h);
    cpu_fpu_reset(h->c);
    int bad = 0;
    for (int it = 0; it < 2000 && bad < 5; it++) {
        uint8_t im[512];
        memset(im, 0, sizeof(im));
        p16(im, (uint16_t)rnd());
        p16(im + 2, (uint16_t)rnd());
        im[4] = (uint8_t)rnd();
        p16(im + 6, (uint16_t)(rnd() & 0x7ff));
        uint32_t m = 0x1f80 | (uint32_t)(rnd() & 0x3f);
        memcpy(im + 24, &m, 4);
        for (int k = 0; k < 8; k++) {
            f80_t v = rnd_f80();
            memcpy(im + 32 + 16 * k, &v.m, 8);
            memcpy(im + 40 + 16 * k, &v.se, 2);
        }
        memcpy(nat, im, 512);
        if (!npage) native_code((const uint8_t *)"\x90", 1, nat);
        if (!npage) skip();
        memcpy(npage, code, sizeof(code));
        npage[sizeof(code)] = 0xc3;
        ((void (*)(void *, void *))(void *)npage)(nat, &mx);
        memcpy(th_ptr(h, TH_DATA), im, 512);
        memcpy(th_ptr(h, TH_DATA + 0x800), &mx, 4);
        R(R_RDI) = TH_DATA;
        R(R_RSI) = TH_DATA + 0x800;
        th_code(h, code, sizeof(code));
        assert_int_equal(th_run(h, 4), -1);
        const uint8_t *e = th_ptr(h, TH_DATA);
        if (memcmp(nat, e, 6) || memcmp(nat + 24, e + 24, 4) || memcmp(nat + 32, e + 32, 128)) {
            bad++;
            fprintf(stderr, "fxrstor/fxsave: in fcw %04x fsw %04x ftw %02x: host %04x %04x %02x, emulator %04x %04x %02x\n",
                    g16(im), g16(im + 2), im[4], g16(nat), g16(nat + 2), nat[4], g16(e), g16(e + 2), e[4]);
        }
    }
    loaded = NULL;
    assert_int_equal(bad, 0);
}

/* Every form of the census decodes to an implemented handler. */
static void test_census(void **s)
{
    (void)s;
    FILE *f = fopen("docs/x87-census.txt", "r");
    assert_non_null(f);
    char line[512];
    int forms = 0, declared = -1;
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, "forms, ");
        if (line[0] == '#') {
            if (p && declared < 0) {
                while (p > line && p[-1] == ' ') p--;
                while (p > line && p[-1] >= '0' && p[-1] <= '9') p--;
                declared = atoi(p);
            }
            continue;
        }
        char *ex = NULL;
        for (char *q = strstr(line, "  "); q; q = strstr(q + 1, "  ")) ex = q;
        assert_non_null(ex);
        uint8_t b[16];
        int n = 0;
        for (char *t = strtok(ex, " \n"); t && n < 16; t = strtok(NULL, " \n")) b[n++] = (uint8_t)strtoul(t, NULL, 16);
        insn_t ins;
        int ends;
        assert_int_equal(decode_insn(b, n, &ins, &ends), n);
        if (ins.fn == h_ud) fail_msg("census form not implemented: %s", line);
        forms++;
    }
    fclose(f);
    assert_int_equal(forms, declared);
    assert_true(forms >= 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_census),
        cmocka_unit_test(test_against_host),
        cmocka_unit_test(test_rounding_precision),
        cmocka_unit_test(test_stack_faults),
        cmocka_unit_test(test_mf),
        cmocka_unit_test(test_fxsave),
        cmocka_unit_test(test_fxrstor_vs_host),
    };
    return cmocka_run_group_tests_name("x87", tests, setup, teardown);
}
