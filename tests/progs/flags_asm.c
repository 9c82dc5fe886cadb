/* Instruction semantics through inline assembly, one instruction at a time, with the arithmetic
 * flags going in (popfq) and coming out (pushfq). Flags that the architecture leaves undefined for an
 * instruction are masked out; flags it leaves unchanged are kept (the input flags vary, so a wrong
 * "unchanged" shows). 8- and 16-bit forms run on registers with garbage in the upper bits, which
 * must survive; 32-bit forms must zero the upper half.
 * Prints one checksum per (instruction, width); `flags_asm -v` prints every case instead. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "progs.h"

#define NOINLINE __attribute__((noinline))
typedef uint64_t u64;

#define CF 0x001ULL
#define PF 0x004ULL
#define AF 0x010ULL
#define ZF 0x040ULL
#define SF 0x080ULL
#define OF 0x800ULL
#define ALL (CF | PF | AF | ZF | SF | OF)

static int verbose;

/* Enter with the given flags, leave with the flags in f; the red zone is stepped over. */
#define FIN "lea -128(%%rsp), %%rsp\n\tpushq %[fin]\n\tpopfq\n\t"
#define FOUT "\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"

/* ---- instruction wrappers ----------------------------------------------------------------------- */

/* dst op= src */
#define DEF_BIN(FN, TEXT)                                                                               \
    static NOINLINE void FN(u64 *rp, u64 b, u64 fin, u64 *fp)                                           \
    {                                                                                                   \
        u64 r = *rp, f;                                                                                 \
        __asm__ volatile(FIN TEXT FOUT : [r] "+r"(r), [f] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc", "memory"); \
        *rp = r;                                                                                        \
        *fp = f;                                                                                        \
    }
#define DEF_BIN4(NAME, MN)                                                                              \
    DEF_BIN(NAME##8, MN "b %b[b], %b[r]")                                                               \
    DEF_BIN(NAME##16, MN "w %w[b], %w[r]")                                                              \
    DEF_BIN(NAME##32, MN "l %k[b], %k[r]")                                                              \
    DEF_BIN(NAME##64, MN "q %q[b], %q[r]")
#define DEF_BIN3(NAME, MN)                                                                              \
    DEF_BIN(NAME##16, MN "w %w[b], %w[r]")                                                              \
    DEF_BIN(NAME##32, MN "l %k[b], %k[r]")                                                              \
    DEF_BIN(NAME##64, MN "q %q[b], %q[r]")

DEF_BIN4(add, "add")
DEF_BIN4(adc, "adc")
DEF_BIN4(sub, "sub")
DEF_BIN4(sbb, "sbb")
DEF_BIN4(and, "and")
DEF_BIN4(or, "or")
DEF_BIN4(xor, "xor")
DEF_BIN4(cmp, "cmp")
DEF_BIN4(test, "test")
DEF_BIN4(mov, "mov")
DEF_BIN3(imul2, "imul")
DEF_BIN3(bt, "bt")
DEF_BIN3(bts, "bts")
DEF_BIN3(btr, "btr")
DEF_BIN3(btc, "btc")
DEF_BIN3(bsf, "bsf")
DEF_BIN3(bsr, "bsr")
/* operations with an immediate */
DEF_BIN(addi8, "addb $0x81, %b[r]")
DEF_BIN(subi16, "subw $0x7fff, %w[r]")
DEF_BIN(andi32, "andl $0xfff0000f, %k[r]")
DEF_BIN(ori64, "orq $-16, %q[r]")
DEF_BIN(xori64, "xorq $0x7fffffff, %q[r]")
DEF_BIN(cmpi64, "cmpq $-1, %q[r]")
DEF_BIN(adci32s, "adcl $-1, %k[r]")
DEF_BIN(sbbi64s, "sbbq $1, %q[r]")
DEF_BIN(imul3w, "imulw $-3, %w[b], %w[r]")
DEF_BIN(imul3l, "imull $0x12345, %k[b], %k[r]")
DEF_BIN(imul3q, "imulq $-128, %q[b], %q[r]")
DEF_BIN(imul3q7, "imulq $0x7f, %q[b], %q[r]")
DEF_BIN(bti32, "btl $17, %k[r]")
DEF_BIN(btsi64, "btsq $63, %q[r]")
DEF_BIN(btri64, "btrq $70, %q[r]")
DEF_BIN(btci16, "btcw $5, %w[r]")
DEF_BIN(testi8, "testb $0x80, %b[r]")
/* movsx / movzx: b is the source */
DEF_BIN(movsbw, "movsbw %b[b], %w[r]")
DEF_BIN(movsbl, "movsbl %b[b], %k[r]")
DEF_BIN(movsbq, "movsbq %b[b], %q[r]")
DEF_BIN(movswl, "movswl %w[b], %k[r]")
DEF_BIN(movswq, "movswq %w[b], %q[r]")
DEF_BIN(movslq, "movslq %k[b], %q[r]")
DEF_BIN(movzbw, "movzbw %b[b], %w[r]")
DEF_BIN(movzbl, "movzbl %b[b], %k[r]")
DEF_BIN(movzwl, "movzwl %w[b], %k[r]")
DEF_BIN(movzwq, "movzwq %w[b], %q[r]")
/* lea in several sizes and forms */
DEF_BIN(leaq, "leaq -1(%q[r],%q[b],8), %q[r]")
DEF_BIN(leal, "leal 0x7fffffff(%q[r],%q[b],2), %k[r]")
DEF_BIN(leaw, "leaw 3(%q[b],%q[r],4), %w[r]")
DEF_BIN(leal32, "leal (%k[r],%k[b]), %k[r]")

/* unary, in place */
#define DEF_UN(FN, TEXT)                                                                                \
    static NOINLINE void FN(u64 *rp, u64 b, u64 fin, u64 *fp)                                           \
    {                                                                                                   \
        (void)b;                                                                                        \
        u64 r = *rp, f;                                                                                 \
        __asm__ volatile(FIN TEXT FOUT : [r] "+r"(r), [f] "=&r"(f) : [fin] "r"(fin) : "cc");            \
        *rp = r;                                                                                        \
        *fp = f;                                                                                        \
    }
#define DEF_UN4(NAME, MN)                                                                               \
    DEF_UN(NAME##8, MN "b %b[r]")                                                                       \
    DEF_UN(NAME##16, MN "w %w[r]")                                                                      \
    DEF_UN(NAME##32, MN "l %k[r]")                                                                      \
    DEF_UN(NAME##64, MN "q %q[r]")
DEF_UN4(inc, "inc")
DEF_UN4(dec, "dec")
DEF_UN4(neg, "neg")
DEF_UN4(not, "not")
DEF_UN(bswap32, "bswap %k[r]")
DEF_UN(bswap64, "bswap %q[r]")
DEF_UN(sbbself32, "sbbl %k[r], %k[r]")
DEF_UN(sbbself64, "sbbq %q[r], %q[r]")
DEF_UN(adczero64, "adcq $0, %q[r]")
DEF_UN(setc_cmc, "cmc\n\tsetc %b[r]")
DEF_UN(stc_op, "stc\n\tadcq $0, %q[r]")
DEF_UN(clc_op, "clc\n\tsbbq $0, %q[r]")
/* shifts and rotates by 1 and by an immediate */
#define DEF_SHI4(NAME, MN, IMM)                                                                         \
    DEF_UN(NAME##8, MN "b $" #IMM ", %b[r]")                                                            \
    DEF_UN(NAME##16, MN "w $" #IMM ", %w[r]")                                                           \
    DEF_UN(NAME##32, MN "l $" #IMM ", %k[r]")                                                           \
    DEF_UN(NAME##64, MN "q $" #IMM ", %q[r]")
DEF_SHI4(shl1_, "shl", 1)
DEF_SHI4(shr1_, "shr", 1)
DEF_SHI4(sar1_, "sar", 1)
DEF_SHI4(rol1_, "rol", 1)
DEF_SHI4(ror1_, "ror", 1)
DEF_SHI4(rcl1_, "rcl", 1)
DEF_SHI4(rcr1_, "rcr", 1)
DEF_SHI4(shl5_, "shl", 5)
DEF_SHI4(sar7_, "sar", 7)
DEF_SHI4(ror3_, "ror", 3)

/* shifts and rotates by %cl */
#define DEF_SH(FN, TEXT)                                                                                \
    static NOINLINE void FN(u64 *rp, u64 b, u64 c, u64 fin, u64 *fp)                                    \
    {                                                                                                   \
        u64 r = *rp, f;                                                                                 \
        __asm__ volatile(FIN TEXT FOUT : [r] "+r"(r), [f] "=&r"(f) : [b] "r"(b), [c] "c"(c), [fin] "r"(fin) : "cc"); \
        *rp = r;                                                                                        \
        *fp = f;                                                                                        \
    }
#define DEF_SH4(NAME, MN)                                                                               \
    DEF_SH(NAME##8, MN "b %%cl, %b[r]")                                                                 \
    DEF_SH(NAME##16, MN "w %%cl, %w[r]")                                                                \
    DEF_SH(NAME##32, MN "l %%cl, %k[r]")                                                                \
    DEF_SH(NAME##64, MN "q %%cl, %q[r]")
DEF_SH4(shl, "shl")
DEF_SH4(shr, "shr")
DEF_SH4(sar, "sar")
DEF_SH4(rol, "rol")
DEF_SH4(ror, "ror")
DEF_SH4(rcl, "rcl")
DEF_SH4(rcr, "rcr")
DEF_SH(shld16, "shldw %%cl, %w[b], %w[r]")
DEF_SH(shld32, "shldl %%cl, %k[b], %k[r]")
DEF_SH(shld64, "shldq %%cl, %q[b], %q[r]")
DEF_SH(shrd16, "shrdw %%cl, %w[b], %w[r]")
DEF_SH(shrd32, "shrdl %%cl, %k[b], %k[r]")
DEF_SH(shrd64, "shrdq %%cl, %q[b], %q[r]")
DEF_SH(shldi32, "shldl $7, %k[b], %k[r]")
DEF_SH(shrdi64, "shrdq $63, %q[b], %q[r]")

/* rdx:rax forms: mul, imul, div, idiv, cbw/cwd family, cmpxchg, xadd */
#define DEF_AD(FN, TEXT)                                                                                \
    static NOINLINE void FN(u64 *ap, u64 *dp, u64 b, u64 fin, u64 *fp)                                  \
    {                                                                                                   \
        u64 a = *ap, d = *dp, f;                                                                        \
        __asm__ volatile(FIN TEXT FOUT : "+a"(a), "+d"(d), [b] "+r"(b), [f] "=&r"(f) : [fin] "r"(fin) : "cc", "memory"); \
        *ap = a;                                                                                        \
        *dp = d;                                                                                        \
        *fp = f;                                                                                        \
    }
#define DEF_AD4(NAME, MN)                                                                               \
    DEF_AD(NAME##8, MN "b %b[b]")                                                                       \
    DEF_AD(NAME##16, MN "w %w[b]")                                                                      \
    DEF_AD(NAME##32, MN "l %k[b]")                                                                      \
    DEF_AD(NAME##64, MN "q %q[b]")
DEF_AD4(mul, "mul")
DEF_AD4(imul1, "imul")
DEF_AD4(div, "div")
DEF_AD4(idiv, "idiv")
DEF_AD(cbw, "cbw")
DEF_AD(cwde, "cwde")
DEF_AD(cdqe, "cdqe")
DEF_AD(cwd, "cwd")
DEF_AD(cdq, "cdq")
DEF_AD(cqo, "cqo")
DEF_AD(cmpxchg8, "cmpxchgb %b[b], %%dl")
DEF_AD(cmpxchg16, "cmpxchgw %w[b], %%dx")
DEF_AD(cmpxchg32, "cmpxchgl %k[b], %%edx")
DEF_AD(cmpxchg64, "cmpxchgq %q[b], %%rdx")
DEF_AD(xadd8, "xaddb %b[b], %%dl")
DEF_AD(xadd16, "xaddw %w[b], %%dx")
DEF_AD(xadd32, "xaddl %k[b], %%edx")
DEF_AD(xadd64, "xaddq %q[b], %%rdx")
DEF_AD(xchg8, "xchgb %b[b], %%dl")
DEF_AD(xchg16, "xchgw %w[b], %%dx")
DEF_AD(xchg32, "xchgl %k[b], %%edx")
DEF_AD(xchg64, "xchgq %q[b], %%rdx")

/* ---- flag masks ---------------------------------------------------------------------------------- */

static u64 width_mask(int w)
{
    return w == 64 ? ~0ULL : (1ULL << w) - 1;
}

/* Which flags a shift or rotate by count defines. */
enum { SH_SHL, SH_SHR, SH_SAR, SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHLD, SH_SHRD };
static u64 shift_mask(int kind, int w, unsigned count)
{
    unsigned m = count & (w == 64 ? 63 : 31);
    if (m == 0)
        return ALL; /* nothing changes */
    u64 one = m == 1 ? OF : 0;
    switch (kind) {
    case SH_SHL:
    case SH_SHR:
    case SH_SAR:
        return SF | ZF | PF | one | ((int)m < w ? CF : 0);
    case SH_ROL:
    case SH_ROR:
    case SH_RCL:
    case SH_RCR:
        return (ALL & ~OF) | one; /* SF ZF AF PF unchanged, CF defined */
    default: /* shld, shrd */
        return SF | ZF | PF | CF | one;
    }
}

/* ---- running the tables -------------------------------------------------------------------------- */

static const u64 base_vals[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
                                0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
                                0x8000000000000000ULL, 0xffffffffffffffffULL, 0xfffffffffffffffeULL,
                                0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL, 0x0123456789abcdefULL,
                                0x00000000deadbeefULL, 0x8000000000000001ULL, 0x40, 0x3f, 0x1f, 0x21};
#define NB (sizeof base_vals / sizeof base_vals[0])
static const u64 flag_ins[] = {0, ALL, CF | SF | PF | OF};
#define NF (sizeof flag_ins / sizeof flag_ins[0])
static const u64 garbage = 0xc3d2e1f00f1e2d3cULL;

/* An operand for width w: the value in the low bits, garbage above (for 8/16-bit forms). */
static u64 operand(u64 v, int w)
{
    if (w >= 32)
        return v;
    return (garbage & ~width_mask(w)) | (v & width_mask(w));
}

struct acc {
    u64 h;
    unsigned long n;
};

static void acc_case(struct acc *a, const char *name, int w, u64 x, u64 y, u64 fin, u64 r1, u64 r2, u64 f)
{
    a->h = mix64(mix64(mix64(a->h, r1), r2), f);
    a->n++;
    if (verbose)
        printf("%s/%d %016llx %016llx f=%03llx -> %016llx %016llx f=%03llx\n", name, w, (unsigned long long)x,
               (unsigned long long)y, (unsigned long long)fin, (unsigned long long)r1, (unsigned long long)r2,
               (unsigned long long)f);
}

static void acc_report(struct acc *a, const char *name, int w)
{
    if (!verbose) {
        char label[64];
        snprintf(label, sizeof label, "%s/%d", name, w);
        report(label, a->h, a->n);
    }
}

typedef void (*binfn)(u64 *, u64, u64, u64 *);
struct bin {
    const char *name;
    int w;
    binfn fn;
    u64 mask;
    int kind; /* 0 plain, 1 bsf/bsr (destination kept for source 0, compared in the operand width) */
};

#define B4(NAME, MASK) {#NAME, 8, NAME##8, MASK, 0}, {#NAME, 16, NAME##16, MASK, 0}, {#NAME, 32, NAME##32, MASK, 0}, {#NAME, 64, NAME##64, MASK, 0}
#define B3(NAME, MASK, K) {#NAME, 16, NAME##16, MASK, K}, {#NAME, 32, NAME##32, MASK, K}, {#NAME, 64, NAME##64, MASK, K}

static const struct bin bins[] = {
    B4(add, ALL), B4(adc, ALL), B4(sub, ALL), B4(sbb, ALL), B4(and, ALL & ~AF), B4(or, ALL & ~AF),
    B4(xor, ALL & ~AF), B4(cmp, ALL), B4(test, ALL & ~AF), B4(mov, ALL), B3(imul2, CF | OF, 0),
    B3(bt, CF | ZF, 0), B3(bts, CF | ZF, 0), B3(btr, CF | ZF, 0), B3(btc, CF | ZF, 0), B3(bsf, ZF, 1),
    B3(bsr, ZF, 1),
    {"add $0x81", 8, addi8, ALL, 0}, {"sub $0x7fff", 16, subi16, ALL, 0},
    {"and $0xfff0000f", 32, andi32, ALL & ~AF, 0}, {"or $-16", 64, ori64, ALL & ~AF, 0},
    {"xor $0x7fffffff", 64, xori64, ALL & ~AF, 0}, {"cmp $-1", 64, cmpi64, ALL, 0},
    {"adc $-1", 32, adci32s, ALL, 0}, {"sbb $1", 64, sbbi64s, ALL, 0},
    {"imul $-3", 16, imul3w, CF | OF, 0}, {"imul $0x12345", 32, imul3l, CF | OF, 0},
    {"imul $-128", 64, imul3q, CF | OF, 0}, {"imul $0x7f", 64, imul3q7, CF | OF, 0},
    {"bt $17", 32, bti32, CF | ZF, 0}, {"bts $63", 64, btsi64, CF | ZF, 0}, {"btr $70", 64, btri64, CF | ZF, 0},
    {"btc $5", 16, btci16, CF | ZF, 0}, {"test $0x80", 8, testi8, ALL & ~AF, 0},
    {"movsbw", 16, movsbw, ALL, 0}, {"movsbl", 32, movsbl, ALL, 0}, {"movsbq", 64, movsbq, ALL, 0},
    {"movswl", 32, movswl, ALL, 0}, {"movswq", 64, movswq, ALL, 0}, {"movslq", 64, movslq, ALL, 0},
    {"movzbw", 16, movzbw, ALL, 0}, {"movzbl", 32, movzbl, ALL, 0}, {"movzwl", 32, movzwl, ALL, 0},
    {"movzwq", 64, movzwq, ALL, 0},
    {"leaq", 64, leaq, ALL, 0}, {"leal", 32, leal, ALL, 0}, {"leaw", 16, leaw, ALL, 0},
    {"leal32", 32, leal32, ALL, 0},
#define U4(NAME, MASK) {#NAME, 8, NAME##8, MASK, 0}, {#NAME, 16, NAME##16, MASK, 0}, {#NAME, 32, NAME##32, MASK, 0}, {#NAME, 64, NAME##64, MASK, 0}
    U4(inc, ALL), U4(dec, ALL), U4(neg, ALL), U4(not, ALL),
    {"bswap", 32, bswap32, ALL, 0}, {"bswap", 64, bswap64, ALL, 0},
    {"sbb r,r", 32, sbbself32, ALL, 0}, {"sbb r,r", 64, sbbself64, ALL, 0},
    {"adc $0", 64, adczero64, ALL, 0}, {"cmc; setc", 8, setc_cmc, ALL, 0},
    {"stc; adc $0", 64, stc_op, ALL, 0}, {"clc; sbb $0", 64, clc_op, ALL, 0},
    U4(shl1_, SF | ZF | PF | CF | OF), U4(shr1_, SF | ZF | PF | CF | OF), U4(sar1_, SF | ZF | PF | CF | OF),
    U4(rol1_, ALL), U4(ror1_, ALL), U4(rcl1_, ALL), U4(rcr1_, ALL),
    U4(shl5_, SF | ZF | PF | CF), U4(sar7_, SF | ZF | PF | CF), U4(ror3_, ALL & ~OF),
};

static void run_bins(void)
{
    for (size_t t = 0; t < sizeof bins / sizeof bins[0]; t++) {
        const struct bin *op = &bins[t];
        struct acc a = {FNV_INIT, 0};
        for (size_t i = 0; i < NB; i++)
            for (size_t j = 0; j < NB; j++)
                for (size_t k = 0; k < NF; k++) {
                    u64 x = operand(base_vals[i], op->w), y = operand(base_vals[j] ^ (j & 1 ? garbage : 0), op->w);
                    u64 r = x, f;
                    op->fn(&r, y, flag_ins[k] | 2, &f);
                    u64 mask = op->mask;
                    if (op->kind == 1 && (y & width_mask(op->w)) == 0)
                        r &= width_mask(op->w); /* bsf/bsr of 0: only the operand width is compared */
                    acc_case(&a, op->name, op->w, x, y, flag_ins[k], r, 0, f & mask);
                }
        acc_report(&a, op->name, op->w);
    }
}

typedef void (*shfn)(u64 *, u64, u64, u64, u64 *);
struct sh {
    const char *name;
    int w;
    shfn fn;
    int kind;
};
#define S4(NAME, K) {#NAME, 8, NAME##8, K}, {#NAME, 16, NAME##16, K}, {#NAME, 32, NAME##32, K}, {#NAME, 64, NAME##64, K}
static const struct sh shs[] = {
    S4(shl, SH_SHL), S4(shr, SH_SHR), S4(sar, SH_SAR), S4(rol, SH_ROL), S4(ror, SH_ROR), S4(rcl, SH_RCL),
    S4(rcr, SH_RCR), {"shld", 16, shld16, SH_SHLD}, {"shld", 32, shld32, SH_SHLD}, {"shld", 64, shld64, SH_SHLD},
    {"shrd", 16, shrd16, SH_SHRD}, {"shrd", 32, shrd32, SH_SHRD}, {"shrd", 64, shrd64, SH_SHRD},
    {"shld $7", 32, shldi32, -1}, {"shrd $63", 64, shrdi64, -2},
};

static void run_shifts(void)
{
    for (size_t t = 0; t < sizeof shs / sizeof shs[0]; t++) {
        const struct sh *op = &shs[t];
        struct acc a = {FNV_INIT, 0};
        for (size_t i = 0; i < NB; i++)
            for (unsigned c = 0; c < 72; c++)
                for (size_t k = 0; k < NF; k++) {
                    unsigned m = c & (op->w == 64 ? 63 : 31);
                    if ((op->kind == SH_SHLD || op->kind == SH_SHRD) && (int)m > op->w)
                        continue; /* 16-bit double shifts by more than 16: undefined */
                    u64 x = operand(base_vals[i], op->w), y = base_vals[(i * 7 + c) % NB] ^ garbage;
                    /* the count register gets garbage above cl */
                    u64 cnt = 0xabcdef00ULL | c, r = x, f;
                    op->fn(&r, y, cnt, flag_ins[k] | 2, &f);
                    u64 mask = op->kind >= 0 ? shift_mask(op->kind, op->w, c) : (SF | ZF | PF | CF);
                    acc_case(&a, op->name, op->w, x, c, flag_ins[k], r, 0, f & mask);
                    if (op->kind < 0)
                        break; /* immediate count: once is enough */
                }
        acc_report(&a, op->name, op->w);
    }
}

typedef void (*adfn)(u64 *, u64 *, u64, u64, u64 *);
struct ad {
    const char *name;
    int w;
    adfn fn;
    u64 mask;
    int kind; /* 0 plain, 1 unsigned divide, 2 signed divide */
};
#define A4(NAME, MASK, K) {#NAME, 8, NAME##8, MASK, K}, {#NAME, 16, NAME##16, MASK, K}, {#NAME, 32, NAME##32, MASK, K}, {#NAME, 64, NAME##64, MASK, K}
static const struct ad ads[] = {
    A4(mul, CF | OF, 0), A4(imul1, CF | OF, 0), A4(div, 0, 1), A4(idiv, 0, 2),
    {"cbw", 16, cbw, ALL, 0}, {"cwde", 32, cwde, ALL, 0}, {"cdqe", 64, cdqe, ALL, 0},
    {"cwd", 16, cwd, ALL, 0}, {"cdq", 32, cdq, ALL, 0}, {"cqo", 64, cqo, ALL, 0},
    A4(cmpxchg, ALL, 0), A4(xadd, ALL, 0), A4(xchg, ALL, 0),
};

static __int128 sext(u64 v, int w)
{
    if (w == 64)
        return (int64_t)v;
    int s = 64 - w;
    return (int64_t)(v << s) >> s;
}

/* Would a divide of (hi:lo of width w) by d fault? */
static int div_faults(u64 a, u64 d, u64 b, int w, int is_signed)
{
    u64 m = width_mask(w);
    if ((b & m) == 0)
        return 1;
    if (w == 8) {
        u64 n = a & 0xffff;
        if (!is_signed)
            return n / (b & 0xff) > 0xff;
        __int128 q = (__int128)(int16_t)n / (__int128)(int8_t)b;
        return q < -128 || q > 127;
    }
    if (!is_signed) {
        unsigned __int128 n = ((unsigned __int128)(d & m) << w) | (a & m);
        return n / (b & m) > m;
    }
    __int128 n = (__int128)(((unsigned __int128)(d & m) << w) | (a & m));
    if (w < 64)
        n = (n << (128 - 2 * w)) >> (128 - 2 * w);
    else if (((d >> 63) & 1) == 0 && (n >> 127) != 0)
        return 1; /* not representable: treat as faulting */
    __int128 q = n / sext(b, w);
    __int128 lim = (__int128)1 << (w - 1);
    return q < -lim || q >= lim;
}

static void run_ads(void)
{
    for (size_t t = 0; t < sizeof ads / sizeof ads[0]; t++) {
        const struct ad *op = &ads[t];
        struct acc h = {FNV_INIT, 0};
        for (size_t i = 0; i < NB; i++)
            for (size_t j = 0; j < NB; j++)
                for (size_t k = 0; k < NF; k++) {
                    u64 a = operand(base_vals[i], op->w), d = operand(base_vals[(i + j) % NB], op->w);
                    u64 b = operand(base_vals[j], op->w), f;
                    if (op->kind == 0 && (strcmp(op->name, "cmpxchg") == 0) && (j % 3 == 0))
                        d = a; /* make some compare-exchanges succeed */
                    if (op->kind == 2 && op->w == 64 && (d == 0 || d == ~0ULL))
                        ; /* fine */
                    else if (op->kind == 2 && op->w == 64)
                        d = (a >> 63) ? ~0ULL : 0; /* keep signed 128-bit dividends representable */
                    if (op->kind && div_faults(a, d, b, op->w, op->kind == 2))
                        continue;
                    op->fn(&a, &d, b, flag_ins[k] | 2, &f);
                    acc_case(&h, op->name, op->w, a, b, flag_ins[k], a, d, f & op->mask);
                }
        acc_report(&h, op->name, op->w);
    }
}

/* setcc, cmovcc and jcc for every condition and every combination of CF PF ZF SF OF. */
#define CCS(X) X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)
#define DEF_CC(C)                                                                                       \
    static NOINLINE u64 cc_##C(u64 fin, u64 x, u64 y)                                                   \
    {                                                                                                   \
        u64 s = 0x1122334455667788ULL, m32 = x, m16 = x, m64 = x, j;                                    \
        __asm__ volatile(FIN "set" #C " %b[s]\n\t"                                                       \
                         "cmov" #C "l %k[y], %k[m32]\n\t"                                               \
                         "cmov" #C "w %w[y], %w[m16]\n\t"                                               \
                         "cmov" #C "q %q[y], %q[m64]\n\t"                                               \
                         "movl $1, %k[j]\n\t"                                                           \
                         "j" #C " 1f\n\t"                                                               \
                         "movl $0, %k[j]\n"                                                             \
                         "1:\n\t"                                                                       \
                         "pushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                                 \
                         : [s] "+r"(s), [m32] "+r"(m32), [m16] "+r"(m16), [m64] "+r"(m64), [j] "=&r"(j), [f] "=&r"(fin) \
                         : [y] "r"(y), [fin] "[f]"(fin)                                                 \
                         : "cc");                                                                       \
        return mix64(mix64(mix64(mix64(mix64(s, m32), m16), m64), j), fin);                            \
    }
CCS(DEF_CC)

static void run_cc(void)
{
    typedef u64 (*ccfn)(u64, u64, u64);
#define CC_ENTRY(C) {#C, cc_##C},
    static const struct {
        const char *name;
        ccfn fn;
    } ccs[] = {CCS(CC_ENTRY)};
    static const u64 bits[] = {CF, PF, ZF, SF, OF};
    for (size_t c = 0; c < sizeof ccs / sizeof ccs[0]; c++) {
        struct acc h = {FNV_INIT, 0};
        for (unsigned combo = 0; combo < 32; combo++) {
            u64 fin = 2;
            for (int b = 0; b < 5; b++)
                if (combo & (1u << b))
                    fin |= bits[b];
            u64 r = ccs[c].fn(fin, 0xfedcba9876543210ULL, 0x0123456789abcdefULL);
            acc_case(&h, ccs[c].name, 0, fin, 0, fin, r, 0, 0);
        }
        char label[32];
        snprintf(label, sizeof label, "set/cmov/j%s", ccs[c].name);
        acc_report(&h, label, 0);
    }
}

/* High-byte registers: ah, bh, ch, dh alongside al..dl. */
static NOINLINE void high_bytes(struct acc *h)
{
    for (size_t i = 0; i < NB; i++) {
        u64 a = base_vals[i] ^ 0x1111111111111111ULL, b = base_vals[(i + 3) % NB] ^ garbage, c = base_vals[(i + 5) % NB],
            d = base_vals[(i + 11) % NB] ^ 0x8080808080808080ULL, f, x1 = 0, x2 = 0;
        __asm__ volatile(FIN "addb %%ah, %%bl\n\t"
                             "subb %%bh, %%ch\n\t"
                             "xchgb %%ah, %%al\n\t"
                             "movzbl %%bh, %%esi\n\t"
                             "movsbl %%dh, %%edi\n\t"
                             "incb %%ch\n\t"
                             "shlb $3, %%dh\n\t"
                             "negb %%bh\n\t"
                             "adcb %%dh, %%ah\n\t"
                             "movb %%ch, %%dl" FOUT
                         : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(x1), "+D"(x2), [f] "=&r"(f)
                         : [fin] "r"(CF | 2)
                         : "cc");
        h->h = mix64(mix64(mix64(mix64(mix64(mix64(mix64(h->h, a), b), c), d), x1), x2), f & ALL);
        h->n++;
    }
}

/* Bit tests on memory with register offsets: the offset addresses a bit string, and may be negative. */
static NOINLINE void bt_memory(struct acc *h)
{
    static u64 buf[16];
    for (int i = 0; i < 16; i++)
        buf[i] = 0x0123456789abcdefULL * (u64)(i + 1);
    u64 *mid = &buf[8];
    for (long off = -500; off < 500; off += 7) {
        u64 f1, f2, f3, f4;
        int32_t off32 = (int32_t)off;
        int16_t off16 = (int16_t)(off / 4);
        __asm__ volatile(FIN "btq %[o], (%[p])" FOUT : [f] "=&r"(f1) : [o] "r"(off), [p] "r"(mid), [fin] "r"(2ULL) : "cc", "memory");
        __asm__ volatile(FIN "btsq %[o], (%[p])" FOUT : [f] "=&r"(f2) : [o] "r"(off), [p] "r"(mid), [fin] "r"(2ULL) : "cc", "memory");
        __asm__ volatile(FIN "btcl %[o], (%[p])" FOUT : [f] "=&r"(f3) : [o] "r"(off32), [p] "r"(mid), [fin] "r"(2ULL) : "cc", "memory");
        __asm__ volatile(FIN "btrw %[o], (%[p])" FOUT : [f] "=&r"(f4) : [o] "r"(off16), [p] "r"(mid), [fin] "r"(2ULL) : "cc", "memory");
        h->h = mix64(mix64(mix64(mix64(h->h, f1 & CF), f2 & CF), f3 & CF), f4 & CF);
        h->n++;
    }
    h->h = fnv1a(buf, sizeof buf, h->h);
    /* immediate offsets on memory use only the operand width */
    u64 f5, v = 0;
    __asm__ volatile(FIN "btsl $35, (%[p])\n\tbtrq $1, (%[p])" FOUT : [f] "=&r"(f5) : [p] "r"(&v), [fin] "r"(2ULL) : "cc", "memory");
    h->h = mix64(mix64(h->h, v), f5 & CF);
}

/* Memory forms of read-modify-write arithmetic, with and without lock. */
static NOINLINE void rmw_memory(struct acc *h)
{
    static u64 m[4];
    for (size_t i = 0; i < NB; i++) {
        u64 v = base_vals[i], f;
        m[0] = m[1] = m[2] = m[3] = base_vals[(i + 9) % NB] ^ garbage;
        __asm__ volatile(FIN "addq %[v], (%[p])\n\t"
                             "adcl %k[v], 8(%[p])\n\t"
                             "sbbw %w[v], 16(%[p])\n\t"
                             "lock xorb %b[v], 24(%[p])\n\t"
                             "lock incq 8(%[p])\n\t"
                             "lock decw 2(%[p])\n\t"
                             "lock negq 16(%[p])\n\t"
                             "notl 28(%[p])\n\t"
                             "shlq $3, 24(%[p])\n\t"
                             "rorw %%cl, 12(%[p])\n\t"
                             "cmpq %[v], (%[p])" FOUT
                         : [f] "=&r"(f)
                         : [v] "r"(v), [p] "r"(m), "c"(v & 31), [fin] "r"(CF | 2)
                         : "cc", "memory");
        h->h = fnv1a(m, sizeof m, mix64(h->h, f & (CF | ZF | SF)));
        h->n++;
    }
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0); /* if an instruction kills it, the output shows how far it got */
    run_bins();
    run_shifts();
    run_ads();
    run_cc();
    struct acc h = {FNV_INIT, 0};
    high_bytes(&h);
    acc_report(&h, "high-byte registers", 8);
    h = (struct acc){FNV_INIT, 0};
    bt_memory(&h);
    acc_report(&h, "bt* on memory", 64);
    h = (struct acc){FNV_INIT, 0};
    rmw_memory(&h);
    acc_report(&h, "read-modify-write memory", 64);
    return 0;
}
