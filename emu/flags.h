/* flags: lazy evaluation of the x86 arithmetic flags (CF PF AF ZF SF OF). Private to emu/.
 *
 * A flag-setting instruction does not compute flags. It records what it did in the CPU:
 *
 *     lf_op  = LF_OP(kind, s)   kind of operation (LFK_*) and operand size s = log2(bytes)
 *     lf_a   = first operand, lf_b = second operand (or shift count), lf_res = result
 *     lf_aux = carry-in (ADC/SBB), the CF before the instruction (INC/DEC), CF|OF (MUL)
 *
 * every value zero-extended from its operand size. The flags are computed only when something
 * reads them: a conditional instruction (flags_cond), adc/sbb/rcl/rcr (flags_cf), pushf/lahf or
 * an instruction that changes only some flags (flags_materialize). lf_op == 0 means "the
 * arithmetic bits of c->rflags are current". The non-arithmetic bits (DF, IF, ID, ...) always
 * live in c->rflags.
 *
 * Condition evaluation takes a short path for the usual pairs: after CMP/SUB (kind SUB) every
 * condition is one comparison of the recorded operands (signed ones after shifting the operand's
 * sign bit to bit 63); after TEST/AND/OR/XOR (kind LOGIC) CF = OF = 0; ZF and SF come from the
 * result for every kind. Everything else computes the six flags (flags_compute) and tests bits.
 */
#ifndef EMU_FLAGS_H
#define EMU_FLAGS_H

#include <stdint.h>

#include "emu/cpu.h"

enum lf_kind {
    LFK_NONE = 0, /* rflags holds the arithmetic flags */
    LFK_ADD,      /* res = a + b */
    LFK_ADC,      /* res = a + b + aux */
    LFK_SUB,      /* res = a - b (also CMP, NEG with a = 0, CMPXCHG) */
    LFK_SBB,      /* res = a - b - aux */
    LFK_LOGIC,    /* AND OR XOR TEST: CF = OF = AF = 0 */
    LFK_INC,      /* res = a + 1, CF = aux */
    LFK_DEC,      /* res = a - 1, CF = aux */
    LFK_SHL,      /* res = a << b, b = masked count (not 0) */
    LFK_SHR,      /* res = a >> b */
    LFK_SAR,      /* res = a >>s b */
    LFK_MUL,      /* MUL/IMUL: CF = OF = aux; SF ZF PF from res (undefined in the SDM); AF = 0 */
};

#define LF_OP(kind, s) (((uint32_t)(kind) << 2) | (uint32_t)(s))

/* Mask of an operand of size s (log2 of bytes) and the shift that moves its sign bit to bit 63. */
#define SZ_MASK(s) ((s) == 3 ? ~0ull : (1ull << (8 << (s))) - 1)
#define SZ_SHIFT(s) (64 - (8 << (s)))
#define SZ_BITS(s) (8 << (s))

/* Compute the six arithmetic flags from the lazy state (any kind, including LFK_NONE). */
uint32_t flags_compute(const cpu_t *c);

/* Record an operation. */
static inline void lf_set(cpu_t *c, uint32_t kind, int s, uint64_t a, uint64_t b, uint64_t res)
{
    c->lf_op = LF_OP(kind, s);
    c->lf_a = a;
    c->lf_b = b;
    c->lf_res = res;
}
static inline void lf_set_logic(cpu_t *c, int s, uint64_t res)
{
    c->lf_op = LF_OP(LFK_LOGIC, s);
    c->lf_res = res;
}

/* Make c->rflags hold the current arithmetic flags (lf_op becomes 0). */
static inline void flags_materialize(cpu_t *c)
{
    if (c->lf_op) {
        c->rflags = (c->rflags & ~(uint64_t)FL_ARITH) | flags_compute(c);
        c->lf_op = 0;
    }
}

/* Replace the arithmetic flags by f (only FL_ARITH bits of f are used). */
static inline void flags_set_arith(cpu_t *c, uint32_t f)
{
    c->rflags = (c->rflags & ~(uint64_t)FL_ARITH) | (f & FL_ARITH);
    c->lf_op = 0;
}

/* The carry flag (0 or 1). */
static inline uint64_t flags_cf(const cpu_t *c)
{
    uint32_t k = c->lf_op >> 2;
    switch (k) {
    case LFK_NONE: return c->rflags & FL_CF;
    case LFK_SUB: return c->lf_a < c->lf_b;
    case LFK_ADD: return c->lf_res < c->lf_a;
    case LFK_LOGIC: return 0;
    default: return flags_compute(c) & FL_CF;
    }
}

/* Condition codes as encoded in jcc/setcc/cmovcc (low nibble of the opcode). */
enum { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

/* Evaluate a condition from a computed flags word. */
static inline int flags_cond_bits(uint32_t f, int cc)
{
    int r;
    switch (cc >> 1) {
    case 0: r = (f & FL_OF) != 0; break;
    case 1: r = (f & FL_CF) != 0; break;
    case 2: r = (f & FL_ZF) != 0; break;
    case 3: r = (f & (FL_CF | FL_ZF)) != 0; break;
    case 4: r = (f & FL_SF) != 0; break;
    case 5: r = (f & FL_PF) != 0; break;
    case 6: r = !(f & FL_SF) != !(f & FL_OF); break;
    default: r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF)); break;
    }
    return r ^ (cc & 1);
}

/* Evaluate condition cc (0..15). Inlined with a constant cc, this folds into a few instructions
 * for the common producers. */
static inline int flags_cond(const cpu_t *c, int cc)
{
    uint32_t op = c->lf_op, k = op >> 2;
    int s = op & 3, sh = SZ_SHIFT(s), r;
    if (k != LFK_NONE) {
        switch (cc >> 1) {
        case 2: /* E */
            return (c->lf_res == 0) ^ (cc & 1);
        case 4: /* S */
            return ((int64_t)(c->lf_res << sh) < 0) ^ (cc & 1);
        case 1: /* B */
            if (k == LFK_SUB) return (c->lf_a < c->lf_b) ^ (cc & 1);
            if (k == LFK_LOGIC) return cc & 1;
            break;
        case 3: /* BE */
            if (k == LFK_SUB) return (c->lf_a <= c->lf_b) ^ (cc & 1);
            if (k == LFK_LOGIC) return (c->lf_res == 0) ^ (cc & 1);
            break;
        case 6: /* L */
            if (k == LFK_SUB) {
                r = (int64_t)(c->lf_a << sh) < (int64_t)(c->lf_b << sh);
                return r ^ (cc & 1);
            }
            if (k == LFK_LOGIC) return ((int64_t)(c->lf_res << sh) < 0) ^ (cc & 1);
            break;
        case 7: /* LE */
            if (k == LFK_SUB) {
                r = (int64_t)(c->lf_a << sh) <= (int64_t)(c->lf_b << sh);
                return r ^ (cc & 1);
            }
            if (k == LFK_LOGIC) return (c->lf_res == 0 || (int64_t)(c->lf_res << sh) < 0) ^ (cc & 1);
            break;
        default: break;
        }
        return flags_cond_bits(flags_compute(c), cc);
    }
    return flags_cond_bits((uint32_t)c->rflags, cc);
}

#endif
