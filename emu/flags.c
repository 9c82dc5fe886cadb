/* flags: computing the lazy arithmetic flags (see emu/flags.h for the representation).
 *
 * Formulas (w = operand width, msb = bit w-1, all values zero-extended to 64 bits):
 *   ADD/ADC  CF = res < a (with carry-in: res <= a); OF = msb((a ^ res) & (b ^ res))
 *   SUB/SBB  CF = a < b (with borrow-in: a <= b);   OF = msb((a ^ b) & (a ^ res))
 *   AF = bit 4 of (a ^ b ^ res) for add and subtract; ZF, SF, PF from res for every kind.
 * The shift kinds follow the SDM where it defines a flag and what Intel hardware (and Bochs) do
 * where it does not: SHL OF = CF ^ msb(res); SHR OF = msb(res) ^ bit w-2 of res (which is the
 * original msb when the count is 1); SAR OF = 0; AF = 0 after shifts, multiplies and logic.
 */
#include "emu/flags.h"

static inline uint32_t parity_flag(uint64_t res)
{
    return __builtin_parity((unsigned)(res & 0xff)) ? 0 : FL_PF;
}

uint32_t flags_compute(const cpu_t *c)
{
    uint32_t k = c->lf_op >> 2;
    if (k == LFK_NONE)
        return (uint32_t)c->rflags & FL_ARITH;
    int s = c->lf_op & 3, w = SZ_BITS(s);
    uint64_t a = c->lf_a, b = c->lf_b, r = c->lf_res;
    uint64_t msb = 1ull << (w - 1);
    uint32_t f = parity_flag(r);
    if (r == 0)
        f |= FL_ZF;
    if (r & msb)
        f |= FL_SF;
    switch (k) {
    case LFK_ADD:
        if (r < a) f |= FL_CF;
        if ((a ^ r) & (b ^ r) & msb) f |= FL_OF;
        f |= (uint32_t)((a ^ b ^ r) & FL_AF);
        break;
    case LFK_ADC:
        if (c->lf_aux ? r <= a : r < a) f |= FL_CF;
        if ((a ^ r) & (b ^ r) & msb) f |= FL_OF;
        f |= (uint32_t)((a ^ b ^ r) & FL_AF);
        break;
    case LFK_SUB:
        if (a < b) f |= FL_CF;
        if ((a ^ b) & (a ^ r) & msb) f |= FL_OF;
        f |= (uint32_t)((a ^ b ^ r) & FL_AF);
        break;
    case LFK_SBB:
        if (c->lf_aux ? a <= b : a < b) f |= FL_CF;
        if ((a ^ b) & (a ^ r) & msb) f |= FL_OF;
        f |= (uint32_t)((a ^ b ^ r) & FL_AF);
        break;
    case LFK_LOGIC:
        break;
    case LFK_INC:
        if (c->lf_aux) f |= FL_CF;
        if (r == msb) f |= FL_OF;
        f |= (uint32_t)((a ^ r) & FL_AF);
        break;
    case LFK_DEC:
        if (c->lf_aux) f |= FL_CF;
        if (a == msb) f |= FL_OF;
        f |= (uint32_t)((a ^ r) & FL_AF);
        break;
    case LFK_SHL: {
        uint64_t cf = b <= (uint64_t)w ? (a >> (w - b)) & 1 : 0;
        if (cf) f |= FL_CF;
        if (cf ^ ((r & msb) != 0)) f |= FL_OF;
        break;
    }
    case LFK_SHR:
        if ((a >> (b - 1)) & 1) f |= FL_CF;
        if (((r << 1) ^ r) & msb) f |= FL_OF;
        break;
    case LFK_SAR: {
        int64_t sa = (int64_t)(a << SZ_SHIFT(s)) >> SZ_SHIFT(s);
        uint64_t n = b - 1 > 63 ? 63 : b - 1;
        if ((sa >> n) & 1) f |= FL_CF;
        break;
    }
    case LFK_MUL:
        if (c->lf_aux) f |= FL_CF | FL_OF;
        break;
    default:
        break;
    }
    return f;
}

uint64_t cpu_get_rflags(cpu_t *c)
{
    uint64_t f = c->rflags & ~(uint64_t)FL_ARITH;
    f |= c->lf_op ? flags_compute(c) : (c->rflags & FL_ARITH);
    return f | 2; /* bit 1 is always set */
}

void cpu_set_rflags(cpu_t *c, uint64_t v)
{
    c->rflags = v | 2;
    c->lf_op = 0;
}
