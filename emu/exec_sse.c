/* exec_sse: the SSE/SSE2 instructions that integer programs contain: moves between XMM
 * registers, memory and general registers (movd, movq, movdqa/movdqu, movaps/movups/movapd/movupd, movss, movsd, movhps/movlps/movhpd/movlpd),
 * the bitwise operations (pand/por/pxor/pandn and their ps/pd forms), and the SSE2 integer
 * arithmetic, comparisons, shifts, shuffles, unpacks and packs that gcc -O2 vectorises with.
 *
 * Floating-point arithmetic, comparisons and conversions are in exec_sse_fp.c (sse_select() asks
 * it first). Not implemented (#UD): MMX forms (no 66 prefix), SSE3 and later. Legacy SSE
 * instructions with a 128-bit memory operand raise #GP(0) on a misaligned address, except the
 * explicitly unaligned moves.
 */
#include "emu/exec.h"

/* ---- 16-byte memory accesses ----------------------------------------------------------------- */

void mem_rd128(cpu_t *c, uint64_t va, xmm_t *v, int aligned)
{
    if (aligned && (va & 15)) cpu_fault(c, X86_GP, 0, 0);
    if ((va & 0xfff) <= 0xff0) {
        v->q[0] = mem_rd64(c, va);
        v->q[1] = mem_rd64(c, va + 8);
    } else {
        mem_read_buf(c, va, v, 16);
    }
}

void mem_wr128(cpu_t *c, uint64_t va, const xmm_t *v, int aligned)
{
    if (aligned && (va & 15)) cpu_fault(c, X86_GP, 0, 0);
    if ((va & 0xfff) <= 0xff0) {
        /* Both halves lie in one page: if the first store succeeds the second does too. */
        mem_wr64(c, va, v->q[0]);
        mem_wr64(c, va + 8, v->q[1]);
    } else {
        int n1 = (int)(0x1000 - (va & 0xfff));
        uint8_t *p1 = mem_write_ptr(c, va, n1);
        uint8_t *p2 = mem_write_ptr(c, va + (uint64_t)n1, 16 - n1);
        memcpy(p1, v->b, (size_t)n1);
        memcpy(p2, v->b + n1, (size_t)(16 - n1));
    }
}

/* Source operand of a 128-bit operation: an XMM register or aligned memory. */
static inline const xmm_t *src128(cpu_t *c, const insn_t *i, xmm_t *tmp)
{
    if (i->flags & INSN_MEM) {
        mem_rd128(c, insn_ea(c, i), tmp, 1);
        return tmp;
    }
    return &c->xmm[i->rm];
}

/* ---- moves ------------------------------------------------------------------------------------ */

/* 128-bit load/move into xmm[reg]: aligned (movaps/movapd/movdqa) or not (movups/movupd/movdqu). */
static void mov_load_a(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) mem_rd128(c, insn_ea(c, i), &c->xmm[i->reg], 1);
    else c->xmm[i->reg] = c->xmm[i->rm];
}
static void mov_load_u(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) mem_rd128(c, insn_ea(c, i), &c->xmm[i->reg], 0);
    else c->xmm[i->reg] = c->xmm[i->rm];
}
/* 128-bit store/move from xmm[reg] to r/m. */
static void mov_store_a(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) mem_wr128(c, insn_ea(c, i), &c->xmm[i->reg], 1);
    else c->xmm[i->rm] = c->xmm[i->reg];
}
static void mov_store_u(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) mem_wr128(c, insn_ea(c, i), &c->xmm[i->reg], 0);
    else c->xmm[i->rm] = c->xmm[i->reg];
}

/* movss: a load zero-extends, a register move merges the low dword. */
static void movss_load(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) {
        uint32_t v = mem_rd32(c, insn_ea(c, i));
        xmm_t *d = &c->xmm[i->reg];
        d->q[0] = v;
        d->q[1] = 0;
    } else {
        c->xmm[i->reg].d[0] = c->xmm[i->rm].d[0];
    }
}
static void movss_store(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) mem_wr32(c, insn_ea(c, i), c->xmm[i->reg].d[0]);
    else c->xmm[i->rm].d[0] = c->xmm[i->reg].d[0];
}
static void movsd_load(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) {
        uint64_t v = mem_rd64(c, insn_ea(c, i));
        c->xmm[i->reg].q[0] = v;
        c->xmm[i->reg].q[1] = 0;
    } else {
        c->xmm[i->reg].q[0] = c->xmm[i->rm].q[0];
    }
}
static void movsd_store(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) mem_wr64(c, insn_ea(c, i), c->xmm[i->reg].q[0]);
    else c->xmm[i->rm].q[0] = c->xmm[i->reg].q[0];
}

/* movlps/movlpd xmm, m64 (load low) and movhlps xmm, xmm (low = source high). */
static void movlps_load(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) c->xmm[i->reg].q[0] = mem_rd64(c, insn_ea(c, i));
    else c->xmm[i->reg].q[0] = c->xmm[i->rm].q[1];
}
/* movhps/movhpd xmm, m64 (load high) and movlhps xmm, xmm (high = source low). */
static void movhps_load(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM) c->xmm[i->reg].q[1] = mem_rd64(c, insn_ea(c, i));
    else c->xmm[i->reg].q[1] = c->xmm[i->rm].q[0];
}
static void movlps_store(cpu_t *c, const insn_t *i) { mem_wr64(c, insn_ea(c, i), c->xmm[i->reg].q[0]); }
static void movhps_store(cpu_t *c, const insn_t *i) { mem_wr64(c, insn_ea(c, i), c->xmm[i->reg].q[1]); }

/* movd/movq xmm, r/m32/64 (66 0F 6E): zero-extend into the register. */
static void movd_to_xmm(cpu_t *c, const insn_t *i)
{
    uint32_t v = (i->flags & INSN_MEM) ? mem_rd32(c, insn_ea(c, i)) : (uint32_t)c->r[i->rm];
    c->xmm[i->reg].q[0] = v;
    c->xmm[i->reg].q[1] = 0;
}
static void movq_to_xmm(cpu_t *c, const insn_t *i)
{
    uint64_t v = (i->flags & INSN_MEM) ? mem_rd64(c, insn_ea(c, i)) : c->r[i->rm];
    c->xmm[i->reg].q[0] = v;
    c->xmm[i->reg].q[1] = 0;
}
/* movd/movq r/m32/64, xmm (66 0F 7E). */
static void movd_from_xmm(cpu_t *c, const insn_t *i)
{
    uint32_t v = c->xmm[i->reg].d[0];
    if (i->flags & INSN_MEM) mem_wr32(c, insn_ea(c, i), v);
    else c->r[i->rm] = v;
}
static void movq_from_xmm(cpu_t *c, const insn_t *i)
{
    uint64_t v = c->xmm[i->reg].q[0];
    if (i->flags & INSN_MEM) mem_wr64(c, insn_ea(c, i), v);
    else c->r[i->rm] = v;
}
/* movq xmm, xmm/m64 (F3 0F 7E): zero the upper half. */
static void movq_load(cpu_t *c, const insn_t *i)
{
    uint64_t v = (i->flags & INSN_MEM) ? mem_rd64(c, insn_ea(c, i)) : c->xmm[i->rm].q[0];
    c->xmm[i->reg].q[0] = v;
    c->xmm[i->reg].q[1] = 0;
}
/* movq xmm/m64, xmm (66 0F D6). */
static void movq_store(cpu_t *c, const insn_t *i)
{
    uint64_t v = c->xmm[i->reg].q[0];
    if (i->flags & INSN_MEM) {
        mem_wr64(c, insn_ea(c, i), v);
    } else {
        c->xmm[i->rm].q[0] = v;
        c->xmm[i->rm].q[1] = 0;
    }
}

static void movmskps(cpu_t *c, const insn_t *i)
{
    const xmm_t *s = &c->xmm[i->rm];
    uint32_t m = 0;
    for (int k = 0; k < 4; k++) m |= (s->d[k] >> 31) << k;
    c->r[i->reg] = m;
}
static void movmskpd(cpu_t *c, const insn_t *i)
{
    const xmm_t *s = &c->xmm[i->rm];
    c->r[i->reg] = (s->q[0] >> 63) | ((s->q[1] >> 63) << 1);
}
static void pmovmskb(cpu_t *c, const insn_t *i)
{
    const xmm_t *s = &c->xmm[i->rm];
    uint32_t m = 0;
    for (int k = 0; k < 16; k++) m |= (uint32_t)(s->b[k] >> 7) << k;
    c->r[i->reg] = m;
}

static void pinsrw(cpu_t *c, const insn_t *i)
{
    uint16_t v = (i->flags & INSN_MEM) ? mem_rd16(c, insn_ea(c, i)) : (uint16_t)c->r[i->rm];
    c->xmm[i->reg].w[i->imm & 7] = v;
}
static void pextrw(cpu_t *c, const insn_t *i) { c->r[i->reg] = c->xmm[i->rm].w[i->imm & 7]; }

/* maskmovdqu xmm1, xmm2: store the bytes of xmm1 whose mask byte (xmm2) has its top bit set, at
 * [rdi] (ds, overridable). All addressed bytes are checked before any is written. */
static void maskmovdqu(cpu_t *c, const insn_t *i)
{
    uint64_t a = i->asz == 4 ? (uint32_t)c->r[R_RDI] : c->r[R_RDI];
    if (i->seg) a += i->seg == SEG_FS ? c->fs_base : c->gs_base;
    const xmm_t *v = &c->xmm[i->reg], *m = &c->xmm[i->rm];
    uint8_t *p[16];
    for (int k = 0; k < 16; k++) p[k] = (m->b[k] & 0x80) ? mem_write_ptr(c, a + (uint64_t)k, 1) : NULL;
    for (int k = 0; k < 16; k++)
        if (p[k]) *p[k] = v->b[k];
}

/* ---- element-wise binary operations ----------------------------------------------------------- */

static inline int sat_s8(int v) { return v > 127 ? 127 : v < -128 ? -128 : v; }
static inline int sat_u8(int v) { return v > 255 ? 255 : v < 0 ? 0 : v; }
static inline int sat_s16(int v) { return v > 32767 ? 32767 : v < -32768 ? -32768 : v; }
static inline int sat_u16(int v) { return v > 65535 ? 65535 : v < 0 ? 0 : v; }

#define SSE_BIN(name, M, N, T, EXPR)                                                              \
    static void name(cpu_t *c, const insn_t *i)                                                  \
    {                                                                                            \
        xmm_t tmp, r;                                                                            \
        const xmm_t *sp = src128(c, i, &tmp), *dp = &c->xmm[i->reg];                             \
        for (int k = 0; k < N; k++) {                                                            \
            T a = (T)dp->M[k], b = (T)sp->M[k];                                                  \
            r.M[k] = (EXPR);                                                                     \
        }                                                                                        \
        c->xmm[i->reg] = r;                                                                      \
    }

/* The plain element-wise operations use GCC vector extensions, which compile to the host's own
 * SSE2 instructions. */
typedef uint8_t v16u8 __attribute__((vector_size(16)));
typedef int8_t v16s8 __attribute__((vector_size(16)));
typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef int16_t v8s16 __attribute__((vector_size(16)));
typedef uint32_t v4u32 __attribute__((vector_size(16)));
typedef int32_t v4s32 __attribute__((vector_size(16)));
typedef uint64_t v2u64 __attribute__((vector_size(16)));

#define VEC_BIN(name, VT, EXPR)                                                                   \
    static void name(cpu_t *c, const insn_t *i)                                                  \
    {                                                                                            \
        xmm_t tmp;                                                                               \
        const xmm_t *sp = src128(c, i, &tmp);                                                    \
        VT a, b, r;                                                                              \
        memcpy(&a, &c->xmm[i->reg], 16);                                                         \
        memcpy(&b, sp, 16);                                                                      \
        r = (VT)(EXPR);                                                                          \
        memcpy(&c->xmm[i->reg], &r, 16);                                                         \
    }
VEC_BIN(pand, v2u64, a & b)
VEC_BIN(pandn, v2u64, ~a & b)
VEC_BIN(por, v2u64, a | b)
VEC_BIN(pxor, v2u64, a ^ b)
VEC_BIN(paddb, v16u8, a + b)
VEC_BIN(paddw, v8u16, a + b)
VEC_BIN(paddd, v4u32, a + b)
VEC_BIN(paddq, v2u64, a + b)
VEC_BIN(psubb, v16u8, a - b)
VEC_BIN(psubw, v8u16, a - b)
VEC_BIN(psubd, v4u32, a - b)
VEC_BIN(psubq, v2u64, a - b)
VEC_BIN(pcmpeqb, v16u8, a == b)
VEC_BIN(pcmpeqw, v8u16, a == b)
VEC_BIN(pcmpeqd, v4u32, a == b)
VEC_BIN(pcmpgtb, v16s8, a > b)
VEC_BIN(pcmpgtw, v8s16, a > b)
VEC_BIN(pcmpgtd, v4s32, a > b)
VEC_BIN(pmullw, v8u16, a * b)

SSE_BIN(paddsb, b, 16, int8_t, (uint8_t)sat_s8(a + b))
SSE_BIN(paddsw, w, 8, int16_t, (uint16_t)sat_s16(a + b))
SSE_BIN(psubsb, b, 16, int8_t, (uint8_t)sat_s8(a - b))
SSE_BIN(psubsw, w, 8, int16_t, (uint16_t)sat_s16(a - b))
SSE_BIN(paddusb, b, 16, uint8_t, (uint8_t)sat_u8(a + b))
SSE_BIN(paddusw, w, 8, uint16_t, (uint16_t)sat_u16(a + b))
SSE_BIN(psubusb, b, 16, uint8_t, (uint8_t)sat_u8(a - b))
SSE_BIN(psubusw, w, 8, uint16_t, (uint16_t)sat_u16(a - b))
SSE_BIN(pminub, b, 16, uint8_t, a < b ? a : b)
SSE_BIN(pmaxub, b, 16, uint8_t, a > b ? a : b)
SSE_BIN(pminsw, w, 8, int16_t, (uint16_t)(a < b ? a : b))
SSE_BIN(pmaxsw, w, 8, int16_t, (uint16_t)(a > b ? a : b))
SSE_BIN(pavgb, b, 16, unsigned, (uint8_t)((a + b + 1) >> 1))
SSE_BIN(pavgw, w, 8, unsigned, (uint16_t)((a + b + 1) >> 1))
SSE_BIN(pmulhw, w, 8, int16_t, (uint16_t)(((int32_t)a * b) >> 16))
SSE_BIN(pmulhuw, w, 8, uint32_t, (uint16_t)((a * b) >> 16))

static void pmuludq(cpu_t *c, const insn_t *i)
{
    xmm_t tmp;
    const xmm_t *s = src128(c, i, &tmp);
    xmm_t *d = &c->xmm[i->reg];
    uint64_t r0 = (uint64_t)d->d[0] * s->d[0], r1 = (uint64_t)d->d[2] * s->d[2];
    d->q[0] = r0;
    d->q[1] = r1;
}
static void pmaddwd(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    for (int k = 0; k < 4; k++) {
        int64_t v = (int64_t)(int16_t)d->w[2 * k] * (int16_t)s->w[2 * k] +
                    (int64_t)(int16_t)d->w[2 * k + 1] * (int16_t)s->w[2 * k + 1];
        r.d[k] = (uint32_t)v; /* 0x8000 * 0x8000 * 2 wraps to 0x80000000, as on hardware */
    }
    c->xmm[i->reg] = r;
}
static void psadbw(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    for (int h = 0; h < 2; h++) {
        unsigned sum = 0;
        for (int k = 0; k < 8; k++) {
            int a = d->b[8 * h + k], b = s->b[8 * h + k];
            sum += (unsigned)(a > b ? a - b : b - a);
        }
        r.q[h] = sum;
    }
    c->xmm[i->reg] = r;
}

/* ---- packs and unpacks ------------------------------------------------------------------------ */

static void packsswb(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    for (int k = 0; k < 8; k++) {
        r.b[k] = (uint8_t)sat_s8((int16_t)d->w[k]);
        r.b[k + 8] = (uint8_t)sat_s8((int16_t)s->w[k]);
    }
    c->xmm[i->reg] = r;
}
static void packuswb(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    for (int k = 0; k < 8; k++) {
        r.b[k] = (uint8_t)sat_u8((int16_t)d->w[k]);
        r.b[k + 8] = (uint8_t)sat_u8((int16_t)s->w[k]);
    }
    c->xmm[i->reg] = r;
}
static void packssdw(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    for (int k = 0; k < 4; k++) {
        int32_t a = (int32_t)d->d[k], b = (int32_t)s->d[k];
        r.w[k] = (uint16_t)(a > 32767 ? 32767 : a < -32768 ? -32768 : a);
        r.w[k + 4] = (uint16_t)(b > 32767 ? 32767 : b < -32768 ? -32768 : b);
    }
    c->xmm[i->reg] = r;
}

/* Interleave the low (hi = 0) or high (hi = 1) halves of destination and source, by element. */
#define UNPCK(name, M, N, HI)                                                                     \
    static void name(cpu_t *c, const insn_t *i)                                                  \
    {                                                                                            \
        xmm_t tmp, r;                                                                            \
        const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];                               \
        for (int k = 0; k < N / 2; k++) {                                                        \
            r.M[2 * k] = d->M[k + (HI) * (N / 2)];                                               \
            r.M[2 * k + 1] = s->M[k + (HI) * (N / 2)];                                           \
        }                                                                                        \
        c->xmm[i->reg] = r;                                                                      \
    }
UNPCK(punpcklbw, b, 16, 0)
UNPCK(punpcklwd, w, 8, 0)
UNPCK(punpckldq, d, 4, 0)
UNPCK(punpcklqdq, q, 2, 0)
UNPCK(punpckhbw, b, 16, 1)
UNPCK(punpckhwd, w, 8, 1)
UNPCK(punpckhdq, d, 4, 1)
UNPCK(punpckhqdq, q, 2, 1)

/* ---- shuffles --------------------------------------------------------------------------------- */

static void pshufd(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp);
    for (int k = 0; k < 4; k++) r.d[k] = s->d[(i->imm >> (2 * k)) & 3];
    c->xmm[i->reg] = r;
}
static void pshuflw(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp);
    for (int k = 0; k < 4; k++) r.w[k] = s->w[(i->imm >> (2 * k)) & 3];
    r.q[1] = s->q[1];
    c->xmm[i->reg] = r;
}
static void pshufhw(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp);
    r.q[0] = s->q[0];
    for (int k = 0; k < 4; k++) r.w[4 + k] = s->w[4 + ((i->imm >> (2 * k)) & 3)];
    c->xmm[i->reg] = r;
}
static void shufps(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    unsigned m = (unsigned)i->imm;
    r.d[0] = d->d[m & 3];
    r.d[1] = d->d[(m >> 2) & 3];
    r.d[2] = s->d[(m >> 4) & 3];
    r.d[3] = s->d[(m >> 6) & 3];
    c->xmm[i->reg] = r;
}
static void shufpd(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    r.q[0] = d->q[i->imm & 1];
    r.q[1] = s->q[(i->imm >> 1) & 1];
    c->xmm[i->reg] = r;
}

/* ---- shifts ------------------------------------------------------------------------------------
 * Counts above the element width give 0 (logical) or the sign (arithmetic). The register forms
 * take the count from the low quadword of the source; the immediate forms (0F 71-73 groups)
 * shift xmm[rm]. */
/* kind: 0 srl, 1 sra, 2 sll */
#define SHIFT_LANES(VT, ST, BITS)                                                                 \
    do {                                                                                         \
        VT v;                                                                                    \
        memcpy(&v, x, 16);                                                                       \
        if (kind == 1) {                                                                         \
            ST sv = (ST)v;                                                                       \
            sv = sv >> (int)(n > BITS - 1 ? BITS - 1 : n);                                       \
            v = (VT)sv;                                                                          \
        } else if (n > BITS - 1) {                                                               \
            v = (VT){0};                                                                         \
        } else {                                                                                 \
            v = kind == 0 ? v >> (int)n : v << (int)n;                                           \
        }                                                                                        \
        memcpy(x, &v, 16);                                                                       \
    } while (0)
typedef int64_t v2s64 __attribute__((vector_size(16)));
AI void shift_elems(xmm_t *x, int bits, int kind, uint64_t n)
{
    switch (bits) {
    case 16: SHIFT_LANES(v8u16, v8s16, 16); break;
    case 32: SHIFT_LANES(v4u32, v4s32, 32); break;
    default: SHIFT_LANES(v2u64, v2s64, 64); break;
    }
}
#define SSE_SHIFT(name, bits, kind)                                                               \
    static void name(cpu_t *c, const insn_t *i)                                                  \
    {                                                                                            \
        xmm_t tmp;                                                                               \
        uint64_t n = src128(c, i, &tmp)->q[0];                                                   \
        shift_elems(&c->xmm[i->reg], bits, kind, n);                                             \
    }                                                                                            \
    static void name##_imm(cpu_t *c, const insn_t *i) { shift_elems(&c->xmm[i->rm], bits, kind, i->imm & 0xff); }
SSE_SHIFT(psrlw, 16, 0)
SSE_SHIFT(psrld, 32, 0)
SSE_SHIFT(psrlq, 64, 0)
SSE_SHIFT(psraw, 16, 1)
SSE_SHIFT(psrad, 32, 1)
SSE_SHIFT(psllw, 16, 2)
SSE_SHIFT(pslld, 32, 2)
SSE_SHIFT(psllq, 64, 2)

static void psrldq(cpu_t *c, const insn_t *i)
{
    xmm_t *x = &c->xmm[i->rm], r;
    unsigned n = (unsigned)(i->imm & 0xff);
    for (unsigned k = 0; k < 16; k++) r.b[k] = k + n < 16 ? x->b[k + n] : 0;
    *x = r;
}
static void pslldq(cpu_t *c, const insn_t *i)
{
    xmm_t *x = &c->xmm[i->rm], r;
    unsigned n = (unsigned)(i->imm & 0xff);
    for (unsigned k = 0; k < 16; k++) r.b[k] = k >= n ? x->b[k - n] : 0;
    *x = r;
}

/* ---- float-format logic, unpacks ---------------------------------------------------------------- */

static void unpcklps(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    r.d[0] = d->d[0];
    r.d[1] = s->d[0];
    r.d[2] = d->d[1];
    r.d[3] = s->d[1];
    c->xmm[i->reg] = r;
}
static void unpckhps(cpu_t *c, const insn_t *i)
{
    xmm_t tmp, r;
    const xmm_t *s = src128(c, i, &tmp), *d = &c->xmm[i->reg];
    r.d[0] = d->d[2];
    r.d[1] = s->d[2];
    r.d[2] = d->d[3];
    r.d[3] = s->d[3];
    c->xmm[i->reg] = r;
}

/* ---- selection -------------------------------------------------------------------------------- */

insn_fn sse_select(int opc, int pfx, int mem, int rf, int rexw)
{
    enum { NP = 0, P66 = 1, PF3 = 2, PF2 = 3 };
    insn_fn fp = sse_fp_select(opc, pfx, mem, rexw); /* floating point: exec_sse_fp.c */
    if (fp) return fp;
    /* Instructions without a 66 form and only a no-prefix form accept 66 as an operand-size
     * override that the ps/pd pairs below use to select the pd form. */
    switch (opc) {
    case 0x10:
        switch (pfx) {
        case NP: case P66: return mov_load_u;
        case PF3: return movss_load;
        default: return movsd_load;
        }
    case 0x11:
        switch (pfx) {
        case NP: case P66: return mov_store_u;
        case PF3: return movss_store;
        default: return movsd_store;
        }
    case 0x12:
        if (pfx == NP) return movlps_load;
        if (pfx == P66 && mem) return movlps_load;
        return NULL;
    case 0x13: return (pfx <= P66 && mem) ? movlps_store : NULL;
    case 0x14:
        if (pfx == NP) return unpcklps;
        return pfx == P66 ? punpcklqdq : NULL;
    case 0x15:
        if (pfx == NP) return unpckhps;
        return pfx == P66 ? punpckhqdq : NULL;
    case 0x16:
        if (pfx == NP) return movhps_load;
        if (pfx == P66 && mem) return movhps_load;
        return NULL;
    case 0x17: return (pfx <= P66 && mem) ? movhps_store : NULL;
    case 0x28: return pfx <= P66 ? mov_load_a : NULL;
    case 0x29: return pfx <= P66 ? mov_store_a : NULL;
    case 0x2b: return (pfx <= P66 && mem) ? mov_store_a : NULL;
    case 0x50: return mem ? NULL : pfx == NP ? movmskps : pfx == P66 ? movmskpd : NULL;
    case 0x54: return pfx <= P66 ? pand : NULL;
    case 0x55: return pfx <= P66 ? pandn : NULL;
    case 0x56: return pfx <= P66 ? por : NULL;
    case 0x57: return pfx <= P66 ? pxor : NULL;
    case 0xc6: return pfx == NP ? shufps : pfx == P66 ? shufpd : NULL;
    default: break;
    }
    /* The rest are SSE2 integer instructions: 66 prefix only (no prefix is MMX: not
     * implemented), except a few F3/F2 moves and shuffles. */
    if (pfx == PF3) {
        switch (opc) {
        case 0x6f: return mov_load_u;   /* movdqu */
        case 0x7f: return mov_store_u;  /* movdqu */
        case 0x70: return pshufhw;
        case 0x7e: return movq_load;    /* movq xmm, xmm/m64 */
        default: return NULL;
        }
    }
    if (pfx == PF2) return opc == 0x70 ? pshuflw : NULL;
    if (pfx != P66) return NULL;
    switch (opc) {
    case 0x60: return punpcklbw;
    case 0x61: return punpcklwd;
    case 0x62: return punpckldq;
    case 0x63: return packsswb;
    case 0x64: return pcmpgtb;
    case 0x65: return pcmpgtw;
    case 0x66: return pcmpgtd;
    case 0x67: return packuswb;
    case 0x68: return punpckhbw;
    case 0x69: return punpckhwd;
    case 0x6a: return punpckhdq;
    case 0x6b: return packssdw;
    case 0x6c: return punpcklqdq;
    case 0x6d: return punpckhqdq;
    case 0x6e: return rexw ? movq_to_xmm : movd_to_xmm;
    case 0x6f: return mov_load_a;   /* movdqa */
    case 0x70: return pshufd;
    case 0x71:
        if (mem) return NULL;
        return rf == 2 ? psrlw_imm : rf == 4 ? psraw_imm : rf == 6 ? psllw_imm : NULL;
    case 0x72:
        if (mem) return NULL;
        return rf == 2 ? psrld_imm : rf == 4 ? psrad_imm : rf == 6 ? pslld_imm : NULL;
    case 0x73:
        if (mem) return NULL;
        switch (rf) {
        case 2: return psrlq_imm;
        case 3: return psrldq;
        case 6: return psllq_imm;
        case 7: return pslldq;
        default: return NULL;
        }
    case 0x74: return pcmpeqb;
    case 0x75: return pcmpeqw;
    case 0x76: return pcmpeqd;
    case 0x7e: return rexw ? movq_from_xmm : movd_from_xmm;
    case 0x7f: return mov_store_a;  /* movdqa */
    case 0xc4: return pinsrw;
    case 0xc5: return mem ? NULL : pextrw;
    case 0xd1: return psrlw;
    case 0xd2: return psrld;
    case 0xd3: return psrlq;
    case 0xd4: return paddq;
    case 0xd5: return pmullw;
    case 0xd6: return movq_store;
    case 0xd7: return mem ? NULL : pmovmskb;
    case 0xd8: return psubusb;
    case 0xd9: return psubusw;
    case 0xda: return pminub;
    case 0xdb: return pand;
    case 0xdc: return paddusb;
    case 0xdd: return paddusw;
    case 0xde: return pmaxub;
    case 0xdf: return pandn;
    case 0xe0: return pavgb;
    case 0xe1: return psraw;
    case 0xe2: return psrad;
    case 0xe3: return pavgw;
    case 0xe4: return pmulhuw;
    case 0xe5: return pmulhw;
    case 0xe7: return mem ? mov_store_a : NULL; /* movntdq */
    case 0xe8: return psubsb;
    case 0xe9: return psubsw;
    case 0xea: return pminsw;
    case 0xeb: return por;
    case 0xec: return paddsb;
    case 0xed: return paddsw;
    case 0xee: return pmaxsw;
    case 0xef: return pxor;
    case 0xf1: return psllw;
    case 0xf2: return pslld;
    case 0xf3: return psllq;
    case 0xf4: return pmuludq;
    case 0xf5: return pmaddwd;
    case 0xf6: return psadbw;
    case 0xf7: return mem ? NULL : maskmovdqu;
    case 0xf8: return psubb;
    case 0xf9: return psubw;
    case 0xfa: return psubd;
    case 0xfb: return psubq;
    case 0xfc: return paddb;
    case 0xfd: return paddw;
    case 0xfe: return paddd;
    default: return NULL;
    }
}
