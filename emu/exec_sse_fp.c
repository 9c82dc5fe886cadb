/* exec_sse_fp: SSE and SSE2 floating point: arithmetic (add sub mul div sqrt min max, rcp and
 * rsqrt), comparisons (cmpps/pd/ss/sd with the 8 predicates, comiss/comisd/ucomiss/ucomisd) and
 * conversions (cvt* and cvtt*), packed and scalar, single and double precision, with MXCSR:
 * rounding control, DAZ, FTZ, the six sticky exception flags and their masks. (Moves, logic,
 * shuffles, unpacks and movmskps/pd are in exec_sse.c: they compute nothing.)
 *
 * How: every instruction is executed by the same instruction on the host, with the guest's MXCSR
 * in force. That gives results, exception flags, NaN propagation, DAZ/FTZ and the approximations
 * of rcpps/rsqrtps bit-identical to this hardware, by construction (docs/SSE.md).
 *
 * What costs is the MXCSR: the emulator's own C code may use SSE and must never run with the
 * guest's MXCSR, and reading the host MXCSR (stmxcsr) waits for every FP operation in flight. So
 * there are three paths, from the most common:
 *   - the fast path (fp_run) reads no MXCSR: the guest masks every exception, its control bits
 *     equal the host's, and the operands and result show that no flag but PE can have been raised
 *     (or none at all), while PE is already set in the guest (see "the fast path" below);
 *   - the protocol path (fp_run) switches the MXCSR around the operation when needed and reads
 *     the flags it raised;
 *   - the unmasked path (fp_slow) for a guest that unmasks exceptions.
 * The operation itself is an asm volatile statement, ordered with the volatile MXCSR accesses, so
 * the compiler never folds or moves the arithmetic.
 *
 * Unmasked exceptions (the guest cleared a mask bit, e.g. feenableexcept) take a slow path,
 * fp_slow(), that never lets the host trap: it runs the operation with every mask set and applies
 * the rules of the SDM (vol. 1, 11.5.2) as this hardware implements them (checked against it by
 * tests/unit/test_sse_fp.c, with real traps):
 *   - each element of a packed operation is run alone (the other lanes hold 1.0, or the integer
 *     1, which raise nothing), giving its flags;
 *   - pre-computation exceptions (IE, DE, ZE) come first: if one of them is unmasked in any
 *     element, the flags of the pre-computation exceptions of all elements are set, the
 *     destination is not written and #XM is raised;
 *   - otherwise the post-computation exceptions (OE, UE, PE) are added; with UE unmasked, a tiny
 *     result raises UE even when it is exact (a masked UE requires tiny and inexact), and FTZ has
 *     no effect. If one of those is unmasked, all flags are set, nothing is written, #XM;
 *   - otherwise the result is written and the flags ORed in, as in the fast path.
 * #XM is delivered with cpu_fault(X86_XM) after the host MXCSR is restored; SE mode turns it into
 * SIGFPE. Memory operands are read (and may fault) before anything else happens.
 *
 * Instructions (opcode 0F xx, by mandatory prefix none/66/F3/F2):
 *   2A -/-/cvtsi2ss/cvtsi2sd   2C -/-/cvttss2si/cvttsd2si   2D -/-/cvtss2si/cvtsd2si
 *   2E ucomiss/ucomisd   2F comiss/comisd   51 sqrt ps/pd/ss/sd   52 rsqrtps/-/rsqrtss/-
 *   53 rcpps/-/rcpss/-   58 add   59 mul   5C sub   5D min   5E div   5F max (ps/pd/ss/sd)
 *   5A cvtps2pd/cvtpd2ps/cvtss2sd/cvtsd2ss   5B cvtdq2ps/cvtps2dq/cvttps2dq/-
 *   C2 cmp ps/pd/ss/sd (predicate imm8[2:0])   E6 -/cvttpd2dq/cvtdq2pd/cvtpd2dq
 * The MMX forms (cvtpi2ps, cvtps2pi, cvttps2pi and the pd ones) are not implemented (#UD), like
 * every MMX instruction.
 */
#include "emu/exec.h"

#define MXCSR_FLAGS 0x003fu
#define MXCSR_MASKS 0x1f80u
#define MXCSR_FTZ 0x8000u
#define MXCSR_DAZ 0x0040u
#define MX_IE 0x01u
#define MX_DE 0x02u
#define MX_ZE 0x04u
#define MX_OE 0x08u
#define MX_UE 0x10u
#define MX_PE 0x20u
#define MX_PRE (MX_IE | MX_DE | MX_ZE)

static inline uint32_t host_stmxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static inline void host_ldmxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }

/* ---- kernels ------------------------------------------------------------------------------------
 * A kernel is the host instruction: r = op(a, b), a being the destination register's old value
 * (scalar forms merge into it) and b the source operand (an XMM register, or memory loaded into
 * the low bits with the rest zero; an integer source in b->q[0]). Conversions to an integer write
 * r->q[0]; comparisons into EFLAGS write the flags in r->d[0]. */
typedef void (*fp_kernel)(xmm_t *r, const xmm_t *a, const xmm_t *b);
typedef long long v2di __attribute__((vector_size(16)));

static inline v2di xld(const xmm_t *p)
{
    v2di v;
    memcpy(&v, p, 16);
    return v;
}
static inline void xst(xmm_t *p, v2di v) { memcpy(p, &v, 16); }

/* dst op= src, the whole register (packed binary, and scalar forms that merge into a). */
#define K_BIN(name, insn)                                                                         \
    static inline void name(xmm_t *r, const xmm_t *a, const xmm_t *b)                            \
    {                                                                                            \
        v2di x = xld(a), y = xld(b);                                                             \
        __asm__ volatile(insn " %1, %0" : "+x"(x) : "x"(y));                                     \
        xst(r, x);                                                                               \
    }
/* dst = op(src), the whole register written (packed unary forms). */
#define K_UN(name, insn)                                                                          \
    static inline void name(xmm_t *r, const xmm_t *a, const xmm_t *b)                            \
    {                                                                                            \
        (void)a;                                                                                 \
        v2di x, y = xld(b);                                                                      \
        __asm__ volatile(insn " %1, %0" : "=x"(x) : "x"(y));                                     \
        xst(r, x);                                                                               \
    }
/* Scalar unary forms merge into a, so they are K_BIN. */

K_BIN(k_addps, "addps") K_BIN(k_addpd, "addpd") K_BIN(k_addss, "addss") K_BIN(k_addsd, "addsd")
K_BIN(k_subps, "subps") K_BIN(k_subpd, "subpd") K_BIN(k_subss, "subss") K_BIN(k_subsd, "subsd")
K_BIN(k_mulps, "mulps") K_BIN(k_mulpd, "mulpd") K_BIN(k_mulss, "mulss") K_BIN(k_mulsd, "mulsd")
K_BIN(k_divps, "divps") K_BIN(k_divpd, "divpd") K_BIN(k_divss, "divss") K_BIN(k_divsd, "divsd")
K_BIN(k_minps, "minps") K_BIN(k_minpd, "minpd") K_BIN(k_minss, "minss") K_BIN(k_minsd, "minsd")
K_BIN(k_maxps, "maxps") K_BIN(k_maxpd, "maxpd") K_BIN(k_maxss, "maxss") K_BIN(k_maxsd, "maxsd")
K_UN(k_sqrtps, "sqrtps") K_UN(k_sqrtpd, "sqrtpd") K_BIN(k_sqrtss, "sqrtss") K_BIN(k_sqrtsd, "sqrtsd")
K_UN(k_rsqrtps, "rsqrtps") K_BIN(k_rsqrtss, "rsqrtss")
K_UN(k_rcpps, "rcpps") K_BIN(k_rcpss, "rcpss")
K_UN(k_cvtps2pd, "cvtps2pd") K_UN(k_cvtpd2ps, "cvtpd2ps")
K_BIN(k_cvtss2sd, "cvtss2sd") K_BIN(k_cvtsd2ss, "cvtsd2ss")
K_UN(k_cvtdq2ps, "cvtdq2ps") K_UN(k_cvtps2dq, "cvtps2dq") K_UN(k_cvttps2dq, "cvttps2dq")
K_UN(k_cvttpd2dq, "cvttpd2dq") K_UN(k_cvtdq2pd, "cvtdq2pd") K_UN(k_cvtpd2dq, "cvtpd2dq")

/* cmp with predicate P (0 eq, 1 lt, 2 le, 3 unord, 4 neq, 5 nlt, 6 nle, 7 ord). */
#define K_CMP(P)                                                                                  \
    K_BIN(k_cmpps##P, "cmpps $" #P ",") K_BIN(k_cmppd##P, "cmppd $" #P ",")                       \
    K_BIN(k_cmpss##P, "cmpss $" #P ",") K_BIN(k_cmpsd##P, "cmpsd $" #P ",")
K_CMP(0) K_CMP(1) K_CMP(2) K_CMP(3) K_CMP(4) K_CMP(5) K_CMP(6) K_CMP(7)

/* Integer to scalar float: b->q[0] is the integer. */
#define K_FROM_INT(name, insn, T, MOD)                                                            \
    static inline void name(xmm_t *r, const xmm_t *a, const xmm_t *b)                            \
    {                                                                                            \
        v2di x = xld(a);                                                                         \
        T v = (T)b->q[0];                                                                        \
        __asm__ volatile(insn " %" MOD "1, %0" : "+x"(x) : "r"(v));                              \
        xst(r, x);                                                                               \
    }
K_FROM_INT(k_cvtsi2ss32, "cvtsi2ssl", uint32_t, "k")
K_FROM_INT(k_cvtsi2ss64, "cvtsi2ssq", uint64_t, "q")
K_FROM_INT(k_cvtsi2sd32, "cvtsi2sdl", uint32_t, "k")
K_FROM_INT(k_cvtsi2sd64, "cvtsi2sdq", uint64_t, "q")

/* Scalar float to integer: r->q[0] (a 32-bit result zero-extended). */
#define K_TO_INT(name, insn, T, MOD)                                                              \
    static inline void name(xmm_t *r, const xmm_t *a, const xmm_t *b)                            \
    {                                                                                            \
        (void)a;                                                                                 \
        v2di y = xld(b);                                                                         \
        T v;                                                                                     \
        __asm__ volatile(insn " %1, %" MOD "0" : "=r"(v) : "x"(y));                              \
        r->q[0] = v;                                                                             \
    }
K_TO_INT(k_cvtss2si32, "cvtss2si", uint32_t, "k")
K_TO_INT(k_cvtss2si64, "cvtss2si", uint64_t, "q")
K_TO_INT(k_cvttss2si32, "cvttss2si", uint32_t, "k")
K_TO_INT(k_cvttss2si64, "cvttss2si", uint64_t, "q")
K_TO_INT(k_cvtsd2si32, "cvtsd2si", uint32_t, "k")
K_TO_INT(k_cvtsd2si64, "cvtsd2si", uint64_t, "q")
K_TO_INT(k_cvttsd2si32, "cvttsd2si", uint32_t, "k")
K_TO_INT(k_cvttsd2si64, "cvttsd2si", uint64_t, "q")

/* (u)comis(s/d) a, b: ZF PF CF into r->d[0]. */
#define K_COMI(name, insn)                                                                        \
    static inline void name(xmm_t *r, const xmm_t *a, const xmm_t *b)                            \
    {                                                                                            \
        v2di x = xld(a), y = xld(b);                                                             \
        uint8_t zf, pf, cf;                                                                      \
        __asm__ volatile(insn " %4, %3" : "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf) : "x"(x), "x"(y)); \
        r->d[0] = (zf ? FL_ZF : 0) | (pf ? FL_PF : 0) | (cf ? FL_CF : 0);                        \
    }
K_COMI(k_comiss, "comiss")
K_COMI(k_ucomiss, "ucomiss")
K_COMI(k_comisd, "comisd")
K_COMI(k_ucomisd, "ucomisd")

/* ---- the MXCSR protocol ----------------------------------------------------------------------- */

/* What fp_slow() needs to know about an instruction: how many elements it computes, the type of
 * its input elements (to isolate one), and, when a result can overflow or underflow, the type of
 * its output elements and the operation (to tell, with that exception unmasked, whether the
 * result rounded with an unbounded exponent is inexact: that decides PE). */
enum { T_NONE, T_F32, T_F64, T_I32 };
enum { U_NONE, U_ADD, U_SUB, U_MUL, U_DIV, U_CVT };
typedef struct fp_desc {
    uint8_t n;   /* elements computed (1: scalar) */
    uint8_t in;  /* input element type (T_F32, T_F64, T_I32) */
    uint8_t out; /* output element type when an overflow or underflow is possible, else T_NONE */
    uint8_t uop; /* that operation (U_*) */
} fp_desc_t;

static const fp_desc_t D_PS = {4, T_F32, T_NONE, U_NONE}, D_PD = {2, T_F64, T_NONE, U_NONE};
static const fp_desc_t D_S = {1, T_NONE, T_NONE, U_NONE};
#define DU(op, U)                                                                                 \
    static const fp_desc_t D_##op##ps = {4, T_F32, T_F32, U}, D_##op##pd = {2, T_F64, T_F64, U};  \
    static const fp_desc_t D_##op##ss = {1, T_F32, T_F32, U}, D_##op##sd = {1, T_F64, T_F64, U};
DU(add, U_ADD) DU(sub, U_SUB) DU(mul, U_MUL) DU(div, U_DIV)
static const fp_desc_t D_PS2 = {2, T_F32, T_NONE, U_NONE};  /* cvtps2pd */
static const fp_desc_t D_PD2PS = {2, T_F64, T_F32, U_CVT};  /* cvtpd2ps */
static const fp_desc_t D_SD2SS = {1, T_F64, T_F32, U_CVT};  /* cvtsd2ss */
static const fp_desc_t D_DQ4 = {4, T_I32, T_NONE, U_NONE};  /* cvtdq2ps */
static const fp_desc_t D_DQ2 = {2, T_I32, T_NONE, U_NONE};  /* cvtdq2pd */

static int elem_size(int t) { return t == T_F64 ? 8 : 4; }

/* v with every element of type t replaced by a value that raises no exception, except element k. */
static void isolate(xmm_t *out, const xmm_t *v, int t, int k)
{
    int sz = elem_size(t);
    for (int j = 0; j < 16 / sz; j++) {
        if (j == k) memcpy(out->b + j * sz, v->b + j * sz, (size_t)sz);
        else if (t == T_F64) out->q[j] = 0x3ff0000000000000ull;
        else out->d[j] = t == T_F32 ? 0x3f800000u : 1u;
    }
}

static uint64_t elem(const xmm_t *v, int t, int k) { return t == T_F64 ? v->q[k] : v->d[k]; }

static int is_denormal(const xmm_t *v, int t, int k)
{
    if (t == T_F64) return (v->q[k] & 0x7ff0000000000000ull) == 0 && (v->q[k] & 0x000fffffffffffffull) != 0;
    return (v->d[k] & 0x7f800000u) == 0 && (v->d[k] & 0x007fffffu) != 0;
}

/* Run kernel k with the host MXCSR = ctl (flags clear); returns the flags it raised. */
static uint32_t run_ctl(fp_kernel k, uint32_t ctl, xmm_t *r, const xmm_t *a, const xmm_t *b)
{
    host_ldmxcsr(ctl);
    k(r, a, b);
    return host_stmxcsr() & MXCSR_FLAGS;
}

/* A finite nonzero value of a format with f fraction bits: sign, unbiased exponent, and the
 * fraction normalised to f bits (denormals shifted up). */
typedef struct fp_parts {
    uint64_t sign, frac;
    int exp;
} fp_parts_t;
static fp_parts_t fp_split(uint64_t x, int f, int ebits)
{
    fp_parts_t p;
    int bias = (1 << (ebits - 1)) - 1;
    p.sign = x >> (f + ebits) & 1;
    uint64_t e = (x >> f) & ((1u << ebits) - 1), m = x & ((1ull << f) - 1);
    if (e == 0) {
        int sh = 0;
        while (!(m & (1ull << f))) m <<= 1, sh++;
        p.exp = 1 - bias - sh;
    } else {
        p.exp = (int)e - bias;
    }
    p.frac = m & ((1ull << f) - 1);
    return p;
}
/* The bits of (-1)^sign * 1.frac * 2^e (e within the normal range). */
static uint64_t fp_join(uint64_t sign, uint64_t frac, int e, int f, int ebits)
{
    int bias = (1 << (ebits - 1)) - 1;
    return sign << (f + ebits) | (uint64_t)(e + bias) << f | frac;
}

/* With OE or UE unmasked, PE tells whether the result rounded to the destination's precision
 * but with an unbounded exponent is inexact (what a trap handler would receive). Computed on
 * the host from the operands scaled by powers of two into the normal range, which is exact. */
static int unbounded_inexact(const fp_desc_t *d, uint64_t a, uint64_t b, int daz)
{
    int dbl = d->out == T_F64, f = dbl ? 52 : 23, eb = dbl ? 11 : 8;
    uint64_t absmask = dbl ? 0x7fffffffffffffffull : 0x7fffffffu, expmask = dbl ? 0x7ff0000000000000ull : 0x7f800000u;
    if (d->uop == U_CVT) { /* double to float: more than 24 significant bits? */
        if (!(b & 0x7fffffffffffffffull) || (daz && !(b & 0x7ff0000000000000ull))) return 0;
        return (fp_split(b, 52, 11).frac & ((1ull << 29) - 1)) != 0;
    }
    if (!(a & absmask) || !(b & absmask) || (daz && (!(a & expmask) || !(b & expmask)))) return 0;
    fp_parts_t pa = fp_split(a, f, eb), pb = fp_split(b, f, eb);
    xmm_t xa = {{0}}, xb = {{0}}, xr;
    int e1 = 0, e2 = 0;
    fp_kernel k;
    switch (d->uop) {
    case U_MUL: k = dbl ? k_mulsd : k_mulss; break;
    case U_DIV: k = dbl ? k_divsd : k_divss; break;
    case U_ADD: k = dbl ? k_addsd : k_addss; break;
    default: k = dbl ? k_subsd : k_subss; break;
    }
    if (d->uop == U_ADD || d->uop == U_SUB) {
        /* scale both by 2^-max(exponent); a much smaller one only makes the sum inexact */
        int big = pa.exp > pb.exp ? pa.exp : pb.exp;
        e1 = pa.exp - big;
        e2 = pb.exp - big;
        if (e1 < -(f + 3) || e2 < -(f + 3)) return 1;
    }
    uint64_t va = fp_join(pa.sign, pa.frac, e1, f, eb), vb = fp_join(pb.sign, pb.frac, e2, f, eb);
    if (dbl) xa.q[0] = va, xb.q[0] = vb;
    else xa.d[0] = (uint32_t)va, xb.d[0] = (uint32_t)vb;
    return (run_ctl(k, MXCSR_MASKS, &xr, &xa, &xb) & MX_PE) != 0;
}

/* The guest unmasks at least one exception: see the comment at the top. */
static __attribute__((noinline)) void fp_slow(cpu_t *c, fp_kernel k, const fp_desc_t *d, xmm_t *r, const xmm_t *a,
                                              const xmm_t *b)
{
    uint32_t g = c->mxcsr, host = host_stmxcsr();
    uint32_t ctl = (g | MXCSR_MASKS) & ~MXCSR_FLAGS;
    uint32_t unmasked = ~(g >> 7) & MXCSR_FLAGS;
    if (unmasked & MX_UE) ctl &= ~MXCSR_FTZ; /* FTZ works only with underflow masked */
    uint32_t pre = 0, post = 0;
    xmm_t ta, tb, tr;
    for (int e = 0; e < d->n; e++) {
        const xmm_t *pa = a, *pb = b;
        if (d->n > 1) {
            isolate(&ta, a, d->in, e);
            isolate(&tb, b, d->in, e);
            pa = &ta;
            pb = &tb;
        }
        uint32_t f = run_ctl(k, ctl, &tr, pa, pb);
        pre |= f & MX_PRE;
        if (d->out != T_NONE && (unmasked & (MX_OE | MX_UE))) {
            int tiny = (f & MX_UE) || is_denormal(&tr, d->out, e);
            if (((unmasked & MX_UE) && tiny) || ((unmasked & MX_OE) && (f & MX_OE))) {
                if (unmasked & MX_UE && tiny) f |= MX_UE;
                f &= ~MX_PE;
                if (unbounded_inexact(d, elem(a, d->in, e), elem(b, d->in, e), (ctl & MXCSR_DAZ) != 0))
                    f |= MX_PE;
            }
        }
        post |= f & ~MX_PRE;
    }
    run_ctl(k, ctl, r, a, b);
    host_ldmxcsr(host);
    if (pre & unmasked) {
        c->mxcsr = g | pre;
        cpu_fault(c, X86_XM, 0, 0);
    }
    c->mxcsr = g | pre | post;
    if (post & unmasked) cpu_fault(c, X86_XM, 0, 0);
}

/* ---- the fast path ----------------------------------------------------------------------------
 * Reading the host MXCSR (stmxcsr) waits for every floating-point operation in flight: two of
 * them per instruction halve the speed of FP code. So the common case reads nothing. It needs:
 *   - the guest's control bits (rounding, DAZ, FTZ, masks) equal the host's. The host's are
 *     cached per thread in host_ctl by the protocol path below, from a real stmxcsr; the contract
 *     is that no emulator code changes the host's control bits (nothing calls fesetround; this file
 *     always restores what it loads), only its flags;
 *   - every flag the operation can raise is already set in the guest's MXCSR. For operands and
 *     results that are "ordinary" the only possible flag is PE (and none for comparisons, min,
 *     max, widening conversions): finite, not denormal (zero is fine), results neither tiny nor
 *     near overflow, divisors not zero, square roots of non-negative numbers, conversions to an
 *     integer well inside its range. Such operations cannot raise IE, DE, ZE, OE or UE, whatever
 *     the rounding mode, DAZ or FTZ.
 * So the operation runs directly on the host; its operands and result are checked afterwards
 * (integer instructions only: they do not touch the MXCSR); anything unusual, or PE not yet set
 * in the guest, goes through the protocol path, which recomputes the operation exactly. */
enum { C_EXACT, C_PE, C_IN, C_ADD, C_MUL, C_DIV, C_SQRT, C_FF, C_I32, C_I64 };
/* A check: class C_*, element type, lanes, binary (a is an operand too). */
#define CK(cls, t, n, bin) ((cls) | (t) << 4 | (n) << 8 | (bin) << 12)

#define HOST_CTL_UNKNOWN 0xffff0000u /* never equal to a guest MXCSR (bits 16-31 are 0) */
static _Thread_local uint32_t host_ctl = HOST_CTL_UNKNOWN;

/* One lane: does the operation raise nothing but (possibly) PE? */
AI int fast_lane(int cls, int t, uint64_t a, uint64_t b, uint64_t r, uint32_t g)
{
    const int dbl = t == T_F64, sh = dbl ? 52 : 23;
    const uint32_t emax = dbl ? 0x7ff : 0xff, bias = emax >> 1;
    const uint64_t absm = dbl ? 0x7fffffffffffffffull : 0x7fffffffu;
    uint32_t ea = (uint32_t)(a >> sh) & emax, eb = (uint32_t)(b >> sh) & emax;
    int za = (a & absm) == 0, zb = (b & absm) == 0;
    int oka = ea - 1 < emax - 1 || za, okb = eb - 1 < emax - 1 || zb; /* finite, not denormal */
    if (cls == C_FF) { /* double to float: result lane r is a float */
        uint32_t er = (uint32_t)(r >> 23) & 0xff;
        return okb && (er - 2 < 0xff - 3 || zb);
    }
    if (cls == C_I32 || cls == C_I64) /* |b| < 2^30 or 2^62: no rounding reaches the limits */
        return eb - 1 < bias + (cls == C_I32 ? 29 : 61) || zb;
    if (cls == C_SQRT) return okb && (!(b >> (dbl ? 63 : 31)) || zb);
    if (cls == C_IN) return oka && okb;
    uint32_t er = (uint32_t)(r >> sh) & emax;
    int rok = er - 2 < emax - 3, zr = (r & absm) == 0;
    switch (cls) {
    case C_ADD: return oka && okb && (rok || (zr && !(g & MXCSR_FTZ))); /* x + -x = 0 exactly */
    case C_MUL: return oka && okb && (rok || za || zb);
    default: return oka && okb && !zb && (rok || za); /* C_DIV */
    }
}

AI uint64_t lane(const xmm_t *v, int t, int k) { return t == T_F64 ? v->q[k] : v->d[k]; }

AI int fast_ok(uint32_t chk, const xmm_t *a, const xmm_t *b, const xmm_t *r, uint32_t g)
{
    int cls = chk & 15, t = (chk >> 4) & 15, n = (chk >> 8) & 15, bin = (int)(chk >> 12);
    if (cls == C_EXACT || cls == C_PE) return 1;
    int ok = 1;
    for (int k = 0; k < n; k++) {
        uint64_t rv = cls == C_FF ? r->d[k] : lane(r, t, k);
        ok &= fast_lane(cls, t, bin ? lane(a, t, k) : 0, lane(b, t, k), rv, g);
    }
    return ok;
}

/* Execute kernel k on (a, b) into r under the guest's MXCSR; updates the guest's flags, or raises
 * #XM (r is then unspecified and must not be written back: cpu_fault does not return). */
AI void fp_run(cpu_t *c, fp_kernel k, const fp_desc_t *d, uint32_t chk, xmm_t *r, const xmm_t *a, const xmm_t *b)
{
    uint32_t g = c->mxcsr;
    int cls = chk & 15, may_pe = cls != C_EXACT && cls != C_IN;
    if (LIKELY(((g ^ host_ctl) & ~MXCSR_FLAGS) == 0 && (!may_pe || (g & MX_PE)))) {
        k(r, a, b);
        if (LIKELY(fast_ok(chk, a, b, r, g))) return;
    }
    if (UNLIKELY((g & MXCSR_MASKS) != MXCSR_MASKS)) {
        fp_slow(c, k, d, r, a, b);
        return;
    }
    /* The protocol path: run with the guest's MXCSR in the host, read the flags raised. If the
     * host's control bits equal the guest's and every host flag is also set in the guest's MXCSR,
     * nothing needs loading: the flags the host had are already in the guest's, so ORing the host
     * flags after the operation into the guest's is exact. Otherwise load the guest's MXCSR (which
     * also makes the host flags a subset of the guest's for next time) and restore the host's
     * control bits afterwards if they differed. */
    uint32_t h = host_stmxcsr();
    host_ctl = (h & MXCSR_MASKS) == MXCSR_MASKS ? h & ~MXCSR_FLAGS : HOST_CTL_UNKNOWN;
    uint32_t diff = (h ^ g) & (h | ~MXCSR_FLAGS);
    if (UNLIKELY(diff)) host_ldmxcsr(g);
    k(r, a, b);
    uint32_t f = host_stmxcsr();
    if (UNLIKELY(diff & ~MXCSR_FLAGS)) host_ldmxcsr(h);
    c->mxcsr = g | (f & MXCSR_FLAGS);
}

/* ---- handlers -----------------------------------------------------------------------------------
 * Source kinds: an XMM register or memory of 16 bytes (aligned), 8 or 4 bytes; a general register
 * or memory of 4 or 8 bytes. Destination kinds: the XMM register reg, the general register reg
 * (32 bits, zero-extended, or 64), or EFLAGS. */
enum { S_X128, S_X64, S_X32, S_G32, S_G64 };
enum { D_X, D_G32, D_G64, D_FL };

AI void fp_insn(cpu_t *c, const insn_t *i, int mem, int src, int dst, fp_kernel k, const fp_desc_t *d,
                uint32_t chk)
{
    xmm_t tmp, r;
    const xmm_t *b = &tmp;
    if (mem) {
        uint64_t ea = insn_ea(c, i);
        switch (src) {
        case S_X128: mem_rd128(c, ea, &tmp, 1); break;
        case S_X64: case S_G64: tmp.q[0] = mem_rd64(c, ea); tmp.q[1] = 0; break;
        default: tmp.q[0] = mem_rd32(c, ea); tmp.q[1] = 0; break;
        }
    } else if (src == S_G32 || src == S_G64) {
        tmp.q[0] = c->r[i->rm];
        tmp.q[1] = 0;
    } else {
        b = &c->xmm[i->rm];
    }
    fp_run(c, k, d, chk, &r, &c->xmm[i->reg], b);
    switch (dst) {
    case D_X: c->xmm[i->reg] = r; break;
    case D_G32: c->r[i->reg] = r.d[0]; break;
    case D_G64: c->r[i->reg] = r.q[0]; break;
    default: flags_set_arith(c, r.d[0]); break;
    }
}

/* A register-form and a memory-form handler: name_r, name_m. */
#define H(name, src, dst, k, desc, chk)                                                           \
    static void name##_r(cpu_t *c, const insn_t *i) { fp_insn(c, i, 0, src, dst, k, &desc, chk); } \
    static void name##_m(cpu_t *c, const insn_t *i) { fp_insn(c, i, 1, src, dst, k, &desc, chk); }
/* The four forms ps, pd, ss, sd of an operation: descriptors, check class, binary. */
#define H4(op, dps, dpd, dss, dsd, cls, bin)                                                      \
    H(op##ps, S_X128, D_X, k_##op##ps, dps, CK(cls, T_F32, 4, bin))                               \
    H(op##pd, S_X128, D_X, k_##op##pd, dpd, CK(cls, T_F64, 2, bin))                               \
    H(op##ss, S_X32, D_X, k_##op##ss, dss, CK(cls, T_F32, 1, bin))                                \
    H(op##sd, S_X64, D_X, k_##op##sd, dsd, CK(cls, T_F64, 1, bin))

H4(add, D_addps, D_addpd, D_addss, D_addsd, C_ADD, 1)
H4(sub, D_subps, D_subpd, D_subss, D_subsd, C_ADD, 1)
H4(mul, D_mulps, D_mulpd, D_mulss, D_mulsd, C_MUL, 1)
H4(div, D_divps, D_divpd, D_divss, D_divsd, C_DIV, 1)
H4(min, D_PS, D_PD, D_S, D_S, C_IN, 1)
H4(max, D_PS, D_PD, D_S, D_S, C_IN, 1)
H4(sqrt, D_PS, D_PD, D_S, D_S, C_SQRT, 0)
H(rsqrtps, S_X128, D_X, k_rsqrtps, D_PS, C_EXACT) H(rsqrtss, S_X32, D_X, k_rsqrtss, D_S, C_EXACT)
H(rcpps, S_X128, D_X, k_rcpps, D_PS, C_EXACT) H(rcpss, S_X32, D_X, k_rcpss, D_S, C_EXACT)
#define H4CMP(P)                                                                                  \
    H(cmpps##P, S_X128, D_X, k_cmpps##P, D_PS, CK(C_IN, T_F32, 4, 1))                             \
    H(cmppd##P, S_X128, D_X, k_cmppd##P, D_PD, CK(C_IN, T_F64, 2, 1))                             \
    H(cmpss##P, S_X32, D_X, k_cmpss##P, D_S, CK(C_IN, T_F32, 1, 1))                               \
    H(cmpsd##P, S_X64, D_X, k_cmpsd##P, D_S, CK(C_IN, T_F64, 1, 1))
H4CMP(0) H4CMP(1) H4CMP(2) H4CMP(3) H4CMP(4) H4CMP(5) H4CMP(6) H4CMP(7)

H(cvtps2pd, S_X64, D_X, k_cvtps2pd, D_PS2, CK(C_IN, T_F32, 2, 0))
H(cvtpd2ps, S_X128, D_X, k_cvtpd2ps, D_PD2PS, CK(C_FF, T_F64, 2, 0))
H(cvtss2sd, S_X32, D_X, k_cvtss2sd, D_S, CK(C_IN, T_F32, 1, 0))
H(cvtsd2ss, S_X64, D_X, k_cvtsd2ss, D_SD2SS, CK(C_FF, T_F64, 1, 0))
H(cvtdq2ps, S_X128, D_X, k_cvtdq2ps, D_DQ4, C_PE)
H(cvtps2dq, S_X128, D_X, k_cvtps2dq, D_PS, CK(C_I32, T_F32, 4, 0))
H(cvttps2dq, S_X128, D_X, k_cvttps2dq, D_PS, CK(C_I32, T_F32, 4, 0))
H(cvtdq2pd, S_X64, D_X, k_cvtdq2pd, D_DQ2, C_EXACT)
H(cvtpd2dq, S_X128, D_X, k_cvtpd2dq, D_PD, CK(C_I32, T_F64, 2, 0))
H(cvttpd2dq, S_X128, D_X, k_cvttpd2dq, D_PD, CK(C_I32, T_F64, 2, 0))
H(cvtsi2ss32, S_G32, D_X, k_cvtsi2ss32, D_S, C_PE) H(cvtsi2ss64, S_G64, D_X, k_cvtsi2ss64, D_S, C_PE)
H(cvtsi2sd32, S_G32, D_X, k_cvtsi2sd32, D_S, C_EXACT) H(cvtsi2sd64, S_G64, D_X, k_cvtsi2sd64, D_S, C_PE)
#define HI(name, src, dst, t, cls) H(name, src, dst, k_##name, D_S, CK(cls, t, 1, 0))
HI(cvtss2si32, S_X32, D_G32, T_F32, C_I32) HI(cvtss2si64, S_X32, D_G64, T_F32, C_I64)
HI(cvttss2si32, S_X32, D_G32, T_F32, C_I32) HI(cvttss2si64, S_X32, D_G64, T_F32, C_I64)
HI(cvtsd2si32, S_X64, D_G32, T_F64, C_I32) HI(cvtsd2si64, S_X64, D_G64, T_F64, C_I64)
HI(cvttsd2si32, S_X64, D_G32, T_F64, C_I32) HI(cvttsd2si64, S_X64, D_G64, T_F64, C_I64)
H(comiss, S_X32, D_FL, k_comiss, D_S, CK(C_IN, T_F32, 1, 1))
H(ucomiss, S_X32, D_FL, k_ucomiss, D_S, CK(C_IN, T_F32, 1, 1))
H(comisd, S_X64, D_FL, k_comisd, D_S, CK(C_IN, T_F64, 1, 1))
H(ucomisd, S_X64, D_FL, k_ucomisd, D_S, CK(C_IN, T_F64, 1, 1))

/* ---- selection ------------------------------------------------------------------------------- */

#define SEL(name) (mem ? name##_m : name##_r)
#define SEL4(op) (pfx == 0 ? SEL(op##ps) : pfx == 1 ? SEL(op##pd) : pfx == 2 ? SEL(op##ss) : SEL(op##sd))

insn_fn sse_fp_select(int opc, int pfx, int mem, int rexw)
{
    switch (opc) {
    case 0x2a:
        if (pfx == 2) return rexw ? SEL(cvtsi2ss64) : SEL(cvtsi2ss32);
        if (pfx == 3) return rexw ? SEL(cvtsi2sd64) : SEL(cvtsi2sd32);
        return NULL; /* cvtpi2ps/cvtpi2pd: MMX */
    case 0x2c:
        if (pfx == 2) return rexw ? SEL(cvttss2si64) : SEL(cvttss2si32);
        if (pfx == 3) return rexw ? SEL(cvttsd2si64) : SEL(cvttsd2si32);
        return NULL;
    case 0x2d:
        if (pfx == 2) return rexw ? SEL(cvtss2si64) : SEL(cvtss2si32);
        if (pfx == 3) return rexw ? SEL(cvtsd2si64) : SEL(cvtsd2si32);
        return NULL;
    case 0x2e: return pfx == 0 ? SEL(ucomiss) : pfx == 1 ? SEL(ucomisd) : NULL;
    case 0x2f: return pfx == 0 ? SEL(comiss) : pfx == 1 ? SEL(comisd) : NULL;
    case 0x51: return SEL4(sqrt);
    case 0x52: return pfx == 0 ? SEL(rsqrtps) : pfx == 2 ? SEL(rsqrtss) : NULL;
    case 0x53: return pfx == 0 ? SEL(rcpps) : pfx == 2 ? SEL(rcpss) : NULL;
    case 0x58: return SEL4(add);
    case 0x59: return SEL4(mul);
    case 0x5a:
        switch (pfx) {
        case 0: return SEL(cvtps2pd);
        case 1: return SEL(cvtpd2ps);
        case 2: return SEL(cvtss2sd);
        default: return SEL(cvtsd2ss);
        }
    case 0x5b:
        switch (pfx) {
        case 0: return SEL(cvtdq2ps);
        case 1: return SEL(cvtps2dq);
        case 2: return SEL(cvttps2dq);
        default: return NULL;
        }
    case 0x5c: return SEL4(sub);
    case 0x5d: return SEL4(min);
    case 0x5e: return SEL4(div);
    case 0x5f: return SEL4(max);
    case 0xe6:
        switch (pfx) {
        case 1: return SEL(cvttpd2dq);
        case 2: return SEL(cvtdq2pd);
        case 3: return SEL(cvtpd2dq);
        default: return NULL;
        }
    default: return NULL;
    }
}

insn_fn sse_fp_cmp_select(int pfx, int mem, int pred)
{
    switch (pred & 7) {
    case 0: return pfx == 0 ? SEL(cmpps0) : pfx == 1 ? SEL(cmppd0) : pfx == 2 ? SEL(cmpss0) : SEL(cmpsd0);
    case 1: return pfx == 0 ? SEL(cmpps1) : pfx == 1 ? SEL(cmppd1) : pfx == 2 ? SEL(cmpss1) : SEL(cmpsd1);
    case 2: return pfx == 0 ? SEL(cmpps2) : pfx == 1 ? SEL(cmppd2) : pfx == 2 ? SEL(cmpss2) : SEL(cmpsd2);
    case 3: return pfx == 0 ? SEL(cmpps3) : pfx == 1 ? SEL(cmppd3) : pfx == 2 ? SEL(cmpss3) : SEL(cmpsd3);
    case 4: return pfx == 0 ? SEL(cmpps4) : pfx == 1 ? SEL(cmppd4) : pfx == 2 ? SEL(cmpss4) : SEL(cmpsd4);
    case 5: return pfx == 0 ? SEL(cmpps5) : pfx == 1 ? SEL(cmppd5) : pfx == 2 ? SEL(cmpss5) : SEL(cmpsd5);
    case 6: return pfx == 0 ? SEL(cmpps6) : pfx == 1 ? SEL(cmppd6) : pfx == 2 ? SEL(cmpss6) : SEL(cmpsd6);
    default: return pfx == 0 ? SEL(cmpps7) : pfx == 1 ? SEL(cmppd7) : pfx == 2 ? SEL(cmpss7) : SEL(cmpsd7);
    }
}
