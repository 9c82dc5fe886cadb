/* exec_alu: integer arithmetic and logic handlers: the eight ALU operations, test, inc/dec,
 * not/neg, shifts and rotates, shld/shrd, mul/imul/div/idiv, bit tests and scans, popcnt, bswap,
 * sign extensions of the accumulator, and the instructions that read or write flags directly.
 *
 * Every handler with a memory destination does its loads and its store before it records flags
 * or writes a register, so an instruction that faults has no effect (emu/cpu.h).
 */
#include "emu/exec.h"

/* ---- add or adc sbb and sub xor cmp --------------------------------------------------------- */

AI uint64_t alu_res(int op, uint64_t a, uint64_t b, uint64_t cin, int s)
{
    uint64_t m = SZ_MASK(s);
    switch (op) {
    case 0: return (a + b) & m;
    case 1: return a | b;
    case 2: return (a + b + cin) & m;
    case 3: return (a - b - cin) & m;
    case 4: return a & b;
    case 5: case 7: return (a - b) & m;
    default: return a ^ b;
    }
}

AI void alu_flags(cpu_t *c, int op, uint64_t a, uint64_t b, uint64_t r, uint64_t cin, int s)
{
    switch (op) {
    case 0: lf_set(c, LFK_ADD, s, a, b, r); break;
    case 2: lf_set(c, LFK_ADC, s, a, b, r); c->lf_aux = (uint32_t)cin; break;
    case 3: lf_set(c, LFK_SBB, s, a, b, r); c->lf_aux = (uint32_t)cin; break;
    case 5: case 7: lf_set(c, LFK_SUB, s, a, b, r); break;
    default: lf_set_logic(c, s, r); break;
    }
}

AI void alu_do(cpu_t *c, const insn_t *i, int op, int form, int s)
{
    uint64_t cin = (op == 2 || op == 3) ? flags_cf(c) : 0;
    uint64_t a, b, ea = 0;
    switch (form) {
    case F_RR: a = rdr(c, i->rm, s); b = rdr(c, i->reg, s); break;
    case F_MR: ea = insn_ea(c, i); a = rdm(c, ea, s); b = rdr(c, i->reg, s); break;
    case F_RM: ea = insn_ea(c, i); b = rdm(c, ea, s); a = rdr(c, i->rm, s); break;
    case F_RI: a = rdr(c, i->rm, s); b = i->imm & SZ_MASK(s); break;
    default: ea = insn_ea(c, i); a = rdm(c, ea, s); b = i->imm & SZ_MASK(s); break;
    }
    uint64_t r = alu_res(op, a, b, cin, s);
    if (op != 7) {
        if (form == F_MR || form == F_MI) wrm(c, ea, s, r);
        else wrr(c, i->rm, s, r);
    }
    alu_flags(c, op, a, b, r, cin, s);
}

#define ALU_DEF(f, o, s) \
    static void alu_##f##_##o##_##s(cpu_t *c, const insn_t *i) { alu_do(c, i, o, f, s); }
#define ALU_DEF_S(f, o) ALU_DEF(f, o, 0) ALU_DEF(f, o, 1) ALU_DEF(f, o, 2) ALU_DEF(f, o, 3)
#define ALU_DEF_O(f) ALU_DEF_S(f, 0) ALU_DEF_S(f, 1) ALU_DEF_S(f, 2) ALU_DEF_S(f, 3) \
                     ALU_DEF_S(f, 4) ALU_DEF_S(f, 5) ALU_DEF_S(f, 6) ALU_DEF_S(f, 7)
ALU_DEF_O(0) ALU_DEF_O(1) ALU_DEF_O(2) ALU_DEF_O(3) ALU_DEF_O(4)
#define ALU_ROW_S(f, o) {alu_##f##_##o##_0, alu_##f##_##o##_1, alu_##f##_##o##_2, alu_##f##_##o##_3}
#define ALU_ROW_O(f) {ALU_ROW_S(f, 0), ALU_ROW_S(f, 1), ALU_ROW_S(f, 2), ALU_ROW_S(f, 3), \
                      ALU_ROW_S(f, 4), ALU_ROW_S(f, 5), ALU_ROW_S(f, 6), ALU_ROW_S(f, 7)}
const insn_fn h_alu[F_NR_FORMS][8][4] = {ALU_ROW_O(0), ALU_ROW_O(1), ALU_ROW_O(2), ALU_ROW_O(3), ALU_ROW_O(4)};

/* ---- test ----------------------------------------------------------------------------------- */

AI void test_do(cpu_t *c, const insn_t *i, int form, int s)
{
    uint64_t a, b;
    switch (form) {
    case F_RR: a = rdr(c, i->rm, s); b = rdr(c, i->reg, s); break;
    case F_MR: a = rdm(c, insn_ea(c, i), s); b = rdr(c, i->reg, s); break;
    case F_RI: a = rdr(c, i->rm, s); b = i->imm; break;
    default: a = rdm(c, insn_ea(c, i), s); b = i->imm; break;
    }
    lf_set_logic(c, s, a & b & SZ_MASK(s));
}
#define TEST_DEF(f, s) static void test_##f##_##s(cpu_t *c, const insn_t *i) { test_do(c, i, f, s); }
#define TEST_DEF_S(f) TEST_DEF(f, 0) TEST_DEF(f, 1) TEST_DEF(f, 2) TEST_DEF(f, 3)
TEST_DEF_S(0) TEST_DEF_S(1) TEST_DEF_S(3) TEST_DEF_S(4)
#define TEST_ROW(f) {test_##f##_0, test_##f##_1, test_##f##_2, test_##f##_3}
const insn_fn h_test[F_NR_FORMS][4] = {
    [F_RR] = TEST_ROW(0), [F_MR] = TEST_ROW(1), [F_RM] = {h_ud, h_ud, h_ud, h_ud},
    [F_RI] = TEST_ROW(3), [F_MI] = TEST_ROW(4)};

/* ---- inc dec not neg ------------------------------------------------------------------------ */

AI void unary_do(cpu_t *c, const insn_t *i, int op, int mem, int s)
{
    uint64_t ea = 0, a, r, m = SZ_MASK(s);
    if (mem) a = rdm(c, ea = insn_ea(c, i), s);
    else a = rdr(c, i->rm, s);
    switch (op) {
    case 0: r = (a + 1) & m; break;  /* inc */
    case 1: r = (a - 1) & m; break;  /* dec */
    case 2: r = ~a & m; break;       /* not */
    default: r = (0 - a) & m; break; /* neg */
    }
    uint64_t cf = op < 2 ? flags_cf(c) : 0;
    if (mem) wrm(c, ea, s, r);
    else wrr(c, i->rm, s, r);
    switch (op) {
    case 0: lf_set(c, LFK_INC, s, a, 1, r); c->lf_aux = (uint32_t)cf; break;
    case 1: lf_set(c, LFK_DEC, s, a, 1, r); c->lf_aux = (uint32_t)cf; break;
    case 2: break;
    default: lf_set(c, LFK_SUB, s, 0, a, r); break;
    }
}
#define UN_DEF(o, m, s) static void un_##o##_##m##_##s(cpu_t *c, const insn_t *i) { unary_do(c, i, o, m, s); }
#define UN_DEF_S(o, m) UN_DEF(o, m, 0) UN_DEF(o, m, 1) UN_DEF(o, m, 2) UN_DEF(o, m, 3)
UN_DEF_S(0, 0) UN_DEF_S(0, 1) UN_DEF_S(1, 0) UN_DEF_S(1, 1)
UN_DEF_S(2, 0) UN_DEF_S(2, 1) UN_DEF_S(3, 0) UN_DEF_S(3, 1)
#define UN_ROW(o, m) {un_##o##_##m##_0, un_##o##_##m##_1, un_##o##_##m##_2, un_##o##_##m##_3}
const insn_fn h_incdec[2][2][4] = {{UN_ROW(0, 0), UN_ROW(0, 1)}, {UN_ROW(1, 0), UN_ROW(1, 1)}};
const insn_fn h_notneg[2][2][4] = {{UN_ROW(2, 0), UN_ROW(2, 1)}, {UN_ROW(3, 0), UN_ROW(3, 1)}};

/* ---- shifts and rotates ----------------------------------------------------------------------
 * The count is masked to 5 bits (6 for 64-bit operands). A masked count of 0 changes nothing,
 * flags included (a 32-bit register destination still has its upper half cleared, as on
 * hardware). SHL/SHR/SAR record lazy flags; rotates change only CF and OF, so they materialise
 * the flags and patch those two. RCL/RCR rotate through CF over w+1 bits (count mod 9 and mod
 * 17 for bytes and words). OF is defined by the SDM for a count of 1; for other counts we use the
 * same formula, as Intel hardware does.
 */
static void rot_flags(cpu_t *c, uint64_t cf, uint64_t of)
{
    flags_materialize(c);
    c->rflags = (c->rflags & ~(uint64_t)(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
}

AI void shift_do(cpu_t *c, const insn_t *i, int op, int mem, int cl, int s)
{
    const int w = SZ_BITS(s);
    const uint64_t m = SZ_MASK(s), msb = 1ull << (w - 1);
    uint64_t ea = 0, a, r, n = (cl ? c->r[R_RCX] : i->imm) & (s == 3 ? 63 : 31);
    if (mem) a = rdm(c, ea = insn_ea(c, i), s);
    else a = rdr(c, i->rm, s);
    if (n == 0) {
        if (!mem && s == 2) wrr(c, i->rm, s, a);
        return;
    }
    uint64_t cf = 0, of;
    switch (op) {
    case 4: case 6: /* shl/sal */
        r = n < (uint64_t)w ? (a << n) & m : 0;
        break;
    case 5: /* shr */
        r = n < (uint64_t)w ? a >> n : 0;
        break;
    case 7: /* sar */
        r = (uint64_t)(sext(a, s) >> n) & m;
        break;
    case 0: { /* rol */
        unsigned k = (unsigned)(n & (w - 1));
        r = k ? ((a << k) | (a >> (w - k))) & m : a;
        cf = r & 1;
        break;
    }
    case 1: { /* ror */
        unsigned k = (unsigned)(n & (w - 1));
        r = k ? ((a >> k) | (a << (w - k))) & m : a;
        cf = (r & msb) != 0;
        break;
    }
    case 2: case 3: { /* rcl, rcr */
        uint64_t cin = flags_cf(c);
        if (s == 0) n %= 9;
        else if (s == 1) n %= 17;
        if (n == 0) {
            if (!mem && s == 2) wrr(c, i->rm, s, a);
            return;
        }
        if (s < 3) {
            uint64_t wide = a | cin << w, wm = (1ull << (w + 1)) - 1, rw;
            if (op == 2) rw = ((wide << n) | (wide >> (w + 1 - n))) & wm;
            else rw = ((wide >> n) | (wide << (w + 1 - n))) & wm;
            r = rw & m;
            cf = (rw >> w) & 1;
        } else if (op == 2) {
            r = (a << n) | (cin << (n - 1)) | (n > 1 ? a >> (65 - n) : 0);
            cf = (a >> (64 - n)) & 1;
        } else {
            r = (a >> n) | (cin << (64 - n)) | (n > 1 ? a << (65 - n) : 0);
            cf = (a >> (n - 1)) & 1;
        }
        break;
    }
    default: r = a; break;
    }
    if (mem) wrm(c, ea, s, r);
    else wrr(c, i->rm, s, r);
    switch (op) {
    case 4: case 6: lf_set(c, LFK_SHL, s, a, n, r); break;
    case 5: lf_set(c, LFK_SHR, s, a, n, r); break;
    case 7: lf_set(c, LFK_SAR, s, a, n, r); break;
    case 0: case 2: /* rol, rcl: OF = msb(result) ^ CF */
        of = ((r & msb) != 0) ^ cf;
        rot_flags(c, cf, of);
        break;
    default: /* ror, rcr: OF = xor of the two top bits of the result */
        of = (((r << 1) ^ r) & msb) != 0;
        rot_flags(c, cf, of);
        break;
    }
}
#define SH_DEF(o, m, k, s) \
    static void sh_##o##_##m##_##k##_##s(cpu_t *c, const insn_t *i) { shift_do(c, i, o, m, k, s); }
#define SH_DEF_S(o, m, k) SH_DEF(o, m, k, 0) SH_DEF(o, m, k, 1) SH_DEF(o, m, k, 2) SH_DEF(o, m, k, 3)
#define SH_DEF_O(o) SH_DEF_S(o, 0, 0) SH_DEF_S(o, 0, 1) SH_DEF_S(o, 1, 0) SH_DEF_S(o, 1, 1)
SH_DEF_O(0) SH_DEF_O(1) SH_DEF_O(2) SH_DEF_O(3) SH_DEF_O(4) SH_DEF_O(5) SH_DEF_O(6) SH_DEF_O(7)
#define SH_ROW(o, m, k) {sh_##o##_##m##_##k##_0, sh_##o##_##m##_##k##_1, sh_##o##_##m##_##k##_2, sh_##o##_##m##_##k##_3}
#define SH_ROW_O(o) {{SH_ROW(o, 0, 0), SH_ROW(o, 0, 1)}, {SH_ROW(o, 1, 0), SH_ROW(o, 1, 1)}}
const insn_fn h_shift[8][2][2][4] = {SH_ROW_O(0), SH_ROW_O(1), SH_ROW_O(2), SH_ROW_O(3),
                                     SH_ROW_O(4), SH_ROW_O(5), SH_ROW_O(6), SH_ROW_O(7)};

/* ---- shld / shrd -----------------------------------------------------------------------------
 * 16-bit operands with a count above 16 (undefined in the SDM) shift the 48-bit value
 * dst:src:dst, as P6 and later processors do. */
static uint32_t szp_flags(uint64_t r, int s)
{
    uint32_t f = __builtin_parity((unsigned)(r & 0xff)) ? 0 : FL_PF;
    if (r == 0) f |= FL_ZF;
    if (r >> (SZ_BITS(s) - 1) & 1) f |= FL_SF;
    return f;
}

AI void shxd_do(cpu_t *c, const insn_t *i, int right, int mem, int cl, int s)
{
    const int w = SZ_BITS(s);
    const uint64_t m = SZ_MASK(s);
    uint64_t ea = 0, a, b = rdr(c, i->reg, s), r, cf;
    uint64_t n = (cl ? c->r[R_RCX] : i->imm) & (s == 3 ? 63 : 31);
    if (mem) a = rdm(c, ea = insn_ea(c, i), s);
    else a = rdr(c, i->rm, s);
    if (n == 0) {
        if (!mem && s == 2) wrr(c, i->rm, s, a);
        return;
    }
    if (s == 1) {
        uint64_t x = a << 32 | b << 16 | a;
        if (!right) {
            r = (x >> (32 - n)) & 0xffff;
            cf = (x >> (48 - n)) & 1;
        } else {
            r = (x >> n) & 0xffff;
            cf = (x >> (n - 1)) & 1;
        }
    } else if (!right) {
        r = ((a << n) | (b >> (w - n))) & m;
        cf = (a >> (w - n)) & 1;
    } else {
        r = ((a >> n) | (b << (w - n))) & m;
        cf = (a >> (n - 1)) & 1;
    }
    if (mem) wrm(c, ea, s, r);
    else wrr(c, i->rm, s, r);
    uint32_t f = szp_flags(r, s) | (cf ? FL_CF : 0);
    if ((r ^ a) >> (w - 1) & 1) f |= FL_OF;
    flags_set_arith(c, f);
}
#define SX_DEF(o, m, k, s) \
    static void sx_##o##_##m##_##k##_##s(cpu_t *c, const insn_t *i) { shxd_do(c, i, o, m, k, s); }
#define SX_DEF_S(o, m, k) SX_DEF(o, m, k, 1) SX_DEF(o, m, k, 2) SX_DEF(o, m, k, 3)
SX_DEF_S(0, 0, 0) SX_DEF_S(0, 0, 1) SX_DEF_S(0, 1, 0) SX_DEF_S(0, 1, 1)
SX_DEF_S(1, 0, 0) SX_DEF_S(1, 0, 1) SX_DEF_S(1, 1, 0) SX_DEF_S(1, 1, 1)
#define SX_ROW(o, m, k) {sx_##o##_##m##_##k##_1, sx_##o##_##m##_##k##_2, sx_##o##_##m##_##k##_3}
const insn_fn h_shxd[2][2][2][3] = {{{SX_ROW(0, 0, 0), SX_ROW(0, 0, 1)}, {SX_ROW(0, 1, 0), SX_ROW(0, 1, 1)}},
                                    {{SX_ROW(1, 0, 0), SX_ROW(1, 0, 1)}, {SX_ROW(1, 1, 0), SX_ROW(1, 1, 1)}}};

/* ---- mul imul div idiv ---------------------------------------------------------------------- */

static _Noreturn void divide_error(cpu_t *c) { cpu_fault(c, X86_DE, 0, 0); }

static void mul_flags(cpu_t *c, int s, uint64_t low, int overflow)
{
    lf_set(c, LFK_MUL, s, 0, 0, low);
    c->lf_aux = (uint32_t)overflow;
}

AI void muldiv_do(cpu_t *c, const insn_t *i, int op, int mem, int s)
{
    uint64_t src = mem ? rdm(c, insn_ea(c, i), s) : rdr(c, i->rm, s);
    uint64_t m = SZ_MASK(s);
    switch (op) {
    case 0: { /* mul */
        if (s == 3) {
            unsigned __int128 p = (unsigned __int128)c->r[R_RAX] * src;
            uint64_t lo = (uint64_t)p, hi = (uint64_t)(p >> 64);
            c->r[R_RAX] = lo;
            c->r[R_RDX] = hi;
            mul_flags(c, s, lo, hi != 0);
        } else {
            uint64_t p = rdr(c, R_RAX, s) * src, lo = p & m, hi = p >> SZ_BITS(s);
            if (s == 0) wrr(c, R_RAX, 1, p);
            else {
                wrr(c, R_RAX, s, lo);
                wrr(c, R_RDX, s, hi);
            }
            mul_flags(c, s, lo, hi != 0);
        }
        break;
    }
    case 1: { /* imul */
        if (s == 3) {
            __int128 p = (__int128)(int64_t)c->r[R_RAX] * (int64_t)src;
            uint64_t lo = (uint64_t)p, hi = (uint64_t)((unsigned __int128)p >> 64);
            c->r[R_RAX] = lo;
            c->r[R_RDX] = hi;
            mul_flags(c, s, lo, p != (__int128)(int64_t)lo);
        } else {
            int64_t p = sext(rdr(c, R_RAX, s), s) * sext(src, s);
            uint64_t lo = (uint64_t)p & m, hi = ((uint64_t)p >> SZ_BITS(s)) & m;
            if (s == 0) wrr(c, R_RAX, 1, (uint64_t)p);
            else {
                wrr(c, R_RAX, s, lo);
                wrr(c, R_RDX, s, hi);
            }
            mul_flags(c, s, lo, p != sext(lo, s));
        }
        break;
    }
    case 2: { /* div */
        if (src == 0) divide_error(c);
        if (s == 3) {
            uint64_t hi = c->r[R_RDX];
            if (hi >= src) divide_error(c);
            unsigned __int128 n = (unsigned __int128)hi << 64 | c->r[R_RAX];
            c->r[R_RAX] = (uint64_t)(n / src);
            c->r[R_RDX] = (uint64_t)(n % src);
        } else if (s == 0) {
            uint64_t n = rdr(c, R_RAX, 1), q = n / src;
            if (q > 0xff) divide_error(c);
            wrr(c, R_RAX, 1, (n % src) << 8 | q);
        } else {
            uint64_t n = rdr(c, R_RDX, s) << SZ_BITS(s) | rdr(c, R_RAX, s), q = n / src;
            if (q > m) divide_error(c);
            wrr(c, R_RAX, s, q);
            wrr(c, R_RDX, s, n % src);
        }
        break;
    }
    default: { /* idiv */
        if (src == 0) divide_error(c);
        int64_t d = sext(src, s);
        if (s == 3) {
            __int128 n = (__int128)((unsigned __int128)c->r[R_RDX] << 64 | c->r[R_RAX]);
            __int128 q, rem;
            if (d == -1) {
                if (n < -(__int128)INT64_MAX || n > (__int128)INT64_MAX + 1) divide_error(c);
                q = -n;
                rem = 0;
            } else {
                q = n / d;
                rem = n % d;
            }
            if (q > INT64_MAX || q < INT64_MIN) divide_error(c);
            c->r[R_RAX] = (uint64_t)(int64_t)q;
            c->r[R_RDX] = (uint64_t)(int64_t)rem;
        } else if (s == 0) {
            int64_t n = (int16_t)rdr(c, R_RAX, 1), q = n / d;
            if (q > 127 || q < -128) divide_error(c);
            wrr(c, R_RAX, 1, ((uint64_t)(n % d) & 0xff) << 8 | ((uint64_t)q & 0xff));
        } else {
            int64_t n = sext(rdr(c, R_RDX, s) << SZ_BITS(s) | rdr(c, R_RAX, s), s + 1);
            int64_t lim = (int64_t)(m >> 1);
            if (s == 2) n = (int64_t)(rdr(c, R_RDX, 2) << 32 | rdr(c, R_RAX, 2));
            int64_t q, rem;
            if (d == -1) {
                if (n == INT64_MIN) divide_error(c);
                q = -n;
                rem = 0;
            } else {
                q = n / d;
                rem = n % d;
            }
            if (q > lim || q < -lim - 1) divide_error(c);
            wrr(c, R_RAX, s, (uint64_t)q);
            wrr(c, R_RDX, s, (uint64_t)rem);
        }
        break;
    }
    }
}
#define MD_DEF(o, mm, s) static void md_##o##_##mm##_##s(cpu_t *c, const insn_t *i) { muldiv_do(c, i, o, mm, s); }
#define MD_DEF_S(o, mm) MD_DEF(o, mm, 0) MD_DEF(o, mm, 1) MD_DEF(o, mm, 2) MD_DEF(o, mm, 3)
MD_DEF_S(0, 0) MD_DEF_S(0, 1) MD_DEF_S(1, 0) MD_DEF_S(1, 1)
MD_DEF_S(2, 0) MD_DEF_S(2, 1) MD_DEF_S(3, 0) MD_DEF_S(3, 1)
#define MD_ROW(o, mm) {md_##o##_##mm##_0, md_##o##_##mm##_1, md_##o##_##mm##_2, md_##o##_##mm##_3}
const insn_fn h_muldiv[4][2][4] = {{MD_ROW(0, 0), MD_ROW(0, 1)}, {MD_ROW(1, 0), MD_ROW(1, 1)},
                                   {MD_ROW(2, 0), MD_ROW(2, 1)}, {MD_ROW(3, 0), MD_ROW(3, 1)}};

/* imul r, r/m (imm: 0) and imul r, r/m, imm (imm: 1). */
AI void imul_do(cpu_t *c, const insn_t *i, int mem, int imm, int s)
{
    uint64_t src = mem ? rdm(c, insn_ea(c, i), s) : rdr(c, i->rm, s);
    uint64_t other = imm ? i->imm : rdr(c, i->reg, s);
    uint64_t lo;
    int ov;
    if (s == 3) {
        __int128 p = (__int128)(int64_t)src * (int64_t)other;
        lo = (uint64_t)p;
        ov = p != (__int128)(int64_t)lo;
    } else {
        int64_t p = sext(src, s) * sext(other & SZ_MASK(s), s);
        lo = (uint64_t)p & SZ_MASK(s);
        ov = p != sext(lo, s);
    }
    wrr(c, i->reg, s, lo);
    mul_flags(c, s, lo, ov);
}
#define IM_DEF(mm, k, s) static void im_##mm##_##k##_##s(cpu_t *c, const insn_t *i) { imul_do(c, i, mm, k, s); }
#define IM_DEF_S(mm, k) IM_DEF(mm, k, 1) IM_DEF(mm, k, 2) IM_DEF(mm, k, 3)
IM_DEF_S(0, 0) IM_DEF_S(1, 0) IM_DEF_S(0, 1) IM_DEF_S(1, 1)
#define IM_ROW(mm, k) {im_##mm##_##k##_1, im_##mm##_##k##_2, im_##mm##_##k##_3}
const insn_fn h_imul2[2][3] = {IM_ROW(0, 0), IM_ROW(1, 0)};
const insn_fn h_imul3[2][3] = {IM_ROW(0, 1), IM_ROW(1, 1)};

/* ---- bt bts btr btc ---------------------------------------------------------------------------
 * With a register bit offset and a memory operand, the offset is a signed number of bits from
 * the operand's address and may select any bit within +-2^63 of it; with an immediate or a
 * register operand it is taken modulo the operand width. Only CF changes (the other arithmetic
 * flags are undefined in the SDM and left as they were, ZF included). */
AI void bt_do(cpu_t *c, const insn_t *i, int op, int mem, int immoff, int s)
{
    const int w = SZ_BITS(s);
    uint64_t off = immoff ? i->imm : rdr(c, i->reg, s), v, nv, ea = 0;
    if (mem) {
        ea = insn_ea(c, i);
        if (!immoff) {
            int64_t so = sext(off, s);
            ea += (uint64_t)((so >> (s + 3)) * (int64_t)(1 << s));
        }
        off &= (uint64_t)(w - 1);
        v = rdm(c, ea, s);
    } else {
        off &= (uint64_t)(w - 1);
        v = rdr(c, i->rm, s);
    }
    uint64_t bit = (v >> off) & 1;
    switch (op) {
    case 1: nv = v | (1ull << off); break;
    case 2: nv = v & ~(1ull << off); break;
    case 3: nv = v ^ (1ull << off); break;
    default: nv = v; break;
    }
    if (op) {
        if (mem) wrm(c, ea, s, nv);
        else wrr(c, i->rm, s, nv);
    }
    flags_materialize(c);
    c->rflags = (c->rflags & ~(uint64_t)FL_CF) | bit;
}
#define BT_DEF(o, mm, k, s) static void bt_##o##_##mm##_##k##_##s(cpu_t *c, const insn_t *i) { bt_do(c, i, o, mm, k, s); }
#define BT_DEF_S(o, mm, k) BT_DEF(o, mm, k, 1) BT_DEF(o, mm, k, 2) BT_DEF(o, mm, k, 3)
#define BT_DEF_O(o) BT_DEF_S(o, 0, 0) BT_DEF_S(o, 0, 1) BT_DEF_S(o, 1, 0) BT_DEF_S(o, 1, 1)
BT_DEF_O(0) BT_DEF_O(1) BT_DEF_O(2) BT_DEF_O(3)
#define BT_ROW(o, mm, k) {bt_##o##_##mm##_##k##_1, bt_##o##_##mm##_##k##_2, bt_##o##_##mm##_##k##_3}
#define BT_ROW_O(o) {{BT_ROW(o, 0, 0), BT_ROW(o, 0, 1)}, {BT_ROW(o, 1, 0), BT_ROW(o, 1, 1)}}
const insn_fn h_bt[4][2][2][3] = {BT_ROW_O(0), BT_ROW_O(1), BT_ROW_O(2), BT_ROW_O(3)};

/* ---- bsf bsr popcnt --------------------------------------------------------------------------
 * A zero source sets ZF and leaves the destination unchanged (documented by AMD, and what Intel
 * processors do); otherwise ZF = 0 and CF, OF, SF, AF are cleared, PF follows the index. */
AI void bscan_do(cpu_t *c, const insn_t *i, int rev, int mem, int s)
{
    uint64_t src = mem ? rdm(c, insn_ea(c, i), s) : rdr(c, i->rm, s);
    if (src == 0) {
        flags_materialize(c);
        c->rflags |= FL_ZF;
        return;
    }
    uint64_t idx = rev ? (uint64_t)(63 - __builtin_clzll(src)) : (uint64_t)__builtin_ctzll(src);
    wrr(c, i->reg, s, idx);
    flags_set_arith(c, __builtin_parity((unsigned)idx) ? 0 : FL_PF);
}
#define BS_DEF(o, mm, s) static void bs_##o##_##mm##_##s(cpu_t *c, const insn_t *i) { bscan_do(c, i, o, mm, s); }
#define BS_DEF_S(o, mm) BS_DEF(o, mm, 1) BS_DEF(o, mm, 2) BS_DEF(o, mm, 3)
BS_DEF_S(0, 0) BS_DEF_S(0, 1) BS_DEF_S(1, 0) BS_DEF_S(1, 1)
#define BS_ROW(o, mm) {bs_##o##_##mm##_1, bs_##o##_##mm##_2, bs_##o##_##mm##_3}
const insn_fn h_bsf[2][3] = {BS_ROW(0, 0), BS_ROW(0, 1)};
const insn_fn h_bsr[2][3] = {BS_ROW(1, 0), BS_ROW(1, 1)};

AI void popcnt_do(cpu_t *c, const insn_t *i, int mem, int s)
{
    uint64_t src = mem ? rdm(c, insn_ea(c, i), s) : rdr(c, i->rm, s);
    wrr(c, i->reg, s, (uint64_t)__builtin_popcountll(src));
    flags_set_arith(c, src ? 0 : FL_ZF);
}
#define PC_DEF(mm, s) static void pc_##mm##_##s(cpu_t *c, const insn_t *i) { popcnt_do(c, i, mm, s); }
PC_DEF(0, 1) PC_DEF(0, 2) PC_DEF(0, 3) PC_DEF(1, 1) PC_DEF(1, 2) PC_DEF(1, 3)
const insn_fn h_popcnt[2][3] = {{pc_0_1, pc_0_2, pc_0_3}, {pc_1_1, pc_1_2, pc_1_3}};

/* ---- bswap, cbw/cwde/cdqe, cwd/cdq/cqo -------------------------------------------------------- */

void h_bswap32(cpu_t *c, const insn_t *i) { c->r[i->reg] = __builtin_bswap32((uint32_t)c->r[i->reg]); }
void h_bswap64(cpu_t *c, const insn_t *i) { c->r[i->reg] = __builtin_bswap64(c->r[i->reg]); }
/* bswap with a 16-bit operand is undefined; processors clear the low word. */
void h_bswap16(cpu_t *c, const insn_t *i) { wrr(c, i->reg, 1, 0); }

void h_cbw(cpu_t *c, const insn_t *i)
{
    switch (i->osz) {
    case 2: wrr(c, R_RAX, 1, (uint64_t)(int64_t)(int8_t)c->r[R_RAX]); break;
    case 4: wrr(c, R_RAX, 2, (uint64_t)(int64_t)(int16_t)c->r[R_RAX]); break;
    default: c->r[R_RAX] = (uint64_t)(int64_t)(int32_t)c->r[R_RAX]; break;
    }
}

void h_cwd(cpu_t *c, const insn_t *i)
{
    switch (i->osz) {
    case 2: wrr(c, R_RDX, 1, (int16_t)c->r[R_RAX] < 0 ? 0xffff : 0); break;
    case 4: wrr(c, R_RDX, 2, (int32_t)c->r[R_RAX] < 0 ? 0xffffffff : 0); break;
    default: c->r[R_RDX] = (int64_t)c->r[R_RAX] < 0 ? ~0ull : 0; break;
    }
}

/* ---- direct flag instructions ---------------------------------------------------------------- */

void h_clc(cpu_t *c, const insn_t *i) { (void)i; flags_materialize(c); c->rflags &= ~(uint64_t)FL_CF; }
void h_stc(cpu_t *c, const insn_t *i) { (void)i; flags_materialize(c); c->rflags |= FL_CF; }
void h_cmc(cpu_t *c, const insn_t *i) { (void)i; flags_materialize(c); c->rflags ^= FL_CF; }
void h_cld(cpu_t *c, const insn_t *i) { (void)i; c->rflags &= ~(uint64_t)FL_DF; }
void h_std(cpu_t *c, const insn_t *i) { (void)i; c->rflags |= FL_DF; }

#define LAHF_MASK (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)
void h_lahf(cpu_t *c, const insn_t *i)
{
    (void)i;
    flags_materialize(c);
    *reg8p(c, REG8_AH) = (uint8_t)((c->rflags & LAHF_MASK) | 2);
}
void h_sahf(cpu_t *c, const insn_t *i)
{
    (void)i;
    flags_materialize(c);
    c->rflags = (c->rflags & ~(uint64_t)LAHF_MASK) | (*reg8p(c, REG8_AH) & LAHF_MASK);
}

/* pushf/popf. At CPL 3 with IOPL 0, popf leaves IF and IOPL alone; at CPL 0 it loads them
 * (emu/exec_priv.c treats IOPL as 0 for I/O). VM and RF are never set from the stack. TF is not
 * taken either: single-stepping is not emulated, so a program cannot turn it on (noted in docs).
 * The 66 prefix selects the 16-bit forms. */
#define POPF_MASK (FL_ARITH | FL_DF | (1u << 14) /* NT */ | (1u << 18) /* AC */ | FL_ID)
void h_pushf(cpu_t *c, const insn_t *i)
{
    uint64_t f = cpu_get_rflags(c) & ~(uint64_t)0x30000; /* RF, VM read as 0 */
    if (i->osz == 2) {
        uint64_t sp = c->r[R_RSP] - 2;
        mem_wr16(c, sp, (uint16_t)f);
        c->r[R_RSP] = sp;
    } else {
        push64(c, f);
    }
}
void h_popf(cpu_t *c, const insn_t *i)
{
    uint64_t v, mask = POPF_MASK | (c->sys.cpl == 0 ? FL_IF | FL_IOPL : 0);
    if (i->osz == 2) {
        v = mem_rd16(c, c->r[R_RSP]);
        c->r[R_RSP] += 2;
        mask &= 0xffff;
    } else {
        v = pop64(c);
    }
    uint64_t f = cpu_get_rflags(c);
    cpu_set_rflags(c, (f & ~mask) | (v & mask));
}
