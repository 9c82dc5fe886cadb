/* exec_move: data movement handlers: mov in all forms, movzx/movsx/movsxd, lea, xchg, cmovcc,
 * setcc, xadd, cmpxchg (8/16/32/64, 8b, 16b), push/pop, enter/leave, xlat.
 */
#include "emu/exec.h"

/* ---- mov ------------------------------------------------------------------------------------ */

AI void mov_do(cpu_t *c, const insn_t *i, int form, int s)
{
    switch (form) {
    case F_RR: wrr(c, i->rm, s, rdr(c, i->reg, s)); break;
    case F_MR: wrm(c, insn_ea(c, i), s, rdr(c, i->reg, s)); break;
    case F_RM: wrr(c, i->rm, s, rdm(c, insn_ea(c, i), s)); break;
    case F_RI: wrr(c, i->rm, s, i->imm); break;
    default: wrm(c, insn_ea(c, i), s, i->imm); break;
    }
}
#define MOV_DEF(f, s) static void mov_##f##_##s(cpu_t *c, const insn_t *i) { mov_do(c, i, f, s); }
#define MOV_DEF_S(f) MOV_DEF(f, 0) MOV_DEF(f, 1) MOV_DEF(f, 2) MOV_DEF(f, 3)
MOV_DEF_S(0) MOV_DEF_S(1) MOV_DEF_S(2) MOV_DEF_S(3) MOV_DEF_S(4)
#define MOV_ROW(f) {mov_##f##_0, mov_##f##_1, mov_##f##_2, mov_##f##_3}
const insn_fn h_mov[F_NR_FORMS][4] = {MOV_ROW(0), MOV_ROW(1), MOV_ROW(2), MOV_ROW(3), MOV_ROW(4)};

void h_mov_r64_imm(cpu_t *c, const insn_t *i) { c->r[i->rm] = i->imm; }

/* A0-A3: the address is a full-width offset (in imm) plus the segment base. */
static uint64_t moffs_ea(const cpu_t *c, const insn_t *i)
{
    uint64_t a = i->imm;
    if (i->seg) a += i->seg == SEG_FS ? c->fs_base : c->gs_base;
    return a;
}
void h_mov_moffs_load(cpu_t *c, const insn_t *i)
{
    int s = i->osz == 1 ? 0 : i->osz == 2 ? 1 : i->osz == 4 ? 2 : 3;
    uint64_t ea = moffs_ea(c, i);
    switch (s) {
    case 0: wrr(c, R_RAX, 0, rdm(c, ea, 0)); break;
    case 1: wrr(c, R_RAX, 1, rdm(c, ea, 1)); break;
    case 2: wrr(c, R_RAX, 2, rdm(c, ea, 2)); break;
    default: wrr(c, R_RAX, 3, rdm(c, ea, 3)); break;
    }
}
void h_mov_moffs_store(cpu_t *c, const insn_t *i)
{
    uint64_t ea = moffs_ea(c, i);
    switch (i->osz) {
    case 1: wrm(c, ea, 0, c->r[R_RAX]); break;
    case 2: wrm(c, ea, 1, c->r[R_RAX]); break;
    case 4: wrm(c, ea, 2, c->r[R_RAX]); break;
    default: wrm(c, ea, 3, c->r[R_RAX]); break;
    }
}

/* 8C (mov r/m, Sreg) is in exec_priv.c with the other segment-register moves. */

/* ---- movzx movsx movsxd lea ------------------------------------------------------------------ */

/* src: 0 byte, 1 word; dst size d (1..3) in reg. */
AI void movx_do(cpu_t *c, const insn_t *i, int sign, int src, int mem, int d)
{
    uint64_t v = mem ? rdm(c, insn_ea(c, i), src) : rdr(c, i->rm, src);
    if (sign) v = (uint64_t)sext(v, src);
    wrr(c, i->reg, d, v);
}
#define MX_DEF(g, k, mm, d) static void mx_##g##_##k##_##mm##_##d(cpu_t *c, const insn_t *i) { movx_do(c, i, g, k, mm, d); }
#define MX_DEF_D(g, k, mm) MX_DEF(g, k, mm, 1) MX_DEF(g, k, mm, 2) MX_DEF(g, k, mm, 3)
#define MX_DEF_G(g) MX_DEF_D(g, 0, 0) MX_DEF_D(g, 0, 1) MX_DEF_D(g, 1, 0) MX_DEF_D(g, 1, 1)
MX_DEF_G(0) MX_DEF_G(1)
#define MX_ROW(g, k, mm) {mx_##g##_##k##_##mm##_1, mx_##g##_##k##_##mm##_2, mx_##g##_##k##_##mm##_3}
const insn_fn h_movzx[2][2][3] = {{MX_ROW(0, 0, 0), MX_ROW(0, 0, 1)}, {MX_ROW(0, 1, 0), MX_ROW(0, 1, 1)}};
const insn_fn h_movsx[2][2][3] = {{MX_ROW(1, 0, 0), MX_ROW(1, 0, 1)}, {MX_ROW(1, 1, 0), MX_ROW(1, 1, 1)}};

static void movsxd_r(cpu_t *c, const insn_t *i) { c->r[i->reg] = (uint64_t)(int64_t)(int32_t)c->r[i->rm]; }
static void movsxd_m(cpu_t *c, const insn_t *i)
{
    c->r[i->reg] = (uint64_t)(int64_t)(int32_t)mem_rd32(c, insn_ea(c, i));
}
const insn_fn h_movsxd[2][3] = {{h_ud, h_ud, movsxd_r}, {h_ud, h_ud, movsxd_m}};

static void lea_16(cpu_t *c, const insn_t *i) { wrr(c, i->reg, 1, insn_ea(c, i)); }
static void lea_32(cpu_t *c, const insn_t *i) { c->r[i->reg] = (uint32_t)insn_ea(c, i); }
static void lea_64(cpu_t *c, const insn_t *i) { c->r[i->reg] = insn_ea(c, i); }
const insn_fn h_lea[3] = {lea_16, lea_32, lea_64};

/* ---- xchg ----------------------------------------------------------------------------------- */

AI void xchg_do(cpu_t *c, const insn_t *i, int mem, int s)
{
    if (mem) {
        uint64_t ea = insn_ea(c, i), v = rdm(c, ea, s);
        wrm(c, ea, s, rdr(c, i->reg, s));
        wrr(c, i->reg, s, v);
    } else {
        uint64_t a = rdr(c, i->rm, s), b = rdr(c, i->reg, s);
        wrr(c, i->rm, s, b);
        wrr(c, i->reg, s, a);
    }
}
#define XC_DEF(mm, s) static void xc_##mm##_##s(cpu_t *c, const insn_t *i) { xchg_do(c, i, mm, s); }
XC_DEF(0, 0) XC_DEF(0, 1) XC_DEF(0, 2) XC_DEF(0, 3) XC_DEF(1, 0) XC_DEF(1, 1) XC_DEF(1, 2) XC_DEF(1, 3)
const insn_fn h_xchg[2][4] = {{xc_0_0, xc_0_1, xc_0_2, xc_0_3}, {xc_1_0, xc_1_1, xc_1_2, xc_1_3}};

/* ---- cmovcc setcc ----------------------------------------------------------------------------
 * cmov reads its source whatever the condition (a bad address faults), and a 32-bit destination
 * has its upper half cleared even when the condition is false. */
AI void cmov_do(cpu_t *c, const insn_t *i, int cc, int mem, int s)
{
    uint64_t v = mem ? rdm(c, insn_ea(c, i), s) : rdr(c, i->rm, s);
    if (flags_cond(c, cc)) wrr(c, i->reg, s, v);
    else if (s == 2) c->r[i->reg] = (uint32_t)c->r[i->reg];
}
#define CM_DEF(cc, mm, s) static void cm_##cc##_##mm##_##s(cpu_t *c, const insn_t *i) { cmov_do(c, i, cc, mm, s); }
#define CM_DEF_S(cc, mm) CM_DEF(cc, mm, 1) CM_DEF(cc, mm, 2) CM_DEF(cc, mm, 3)
#define CM_DEF_C(cc) CM_DEF_S(cc, 0) CM_DEF_S(cc, 1)
CM_DEF_C(0) CM_DEF_C(1) CM_DEF_C(2) CM_DEF_C(3) CM_DEF_C(4) CM_DEF_C(5) CM_DEF_C(6) CM_DEF_C(7)
CM_DEF_C(8) CM_DEF_C(9) CM_DEF_C(10) CM_DEF_C(11) CM_DEF_C(12) CM_DEF_C(13) CM_DEF_C(14) CM_DEF_C(15)
#define CM_ROW(cc) {{cm_##cc##_0_1, cm_##cc##_0_2, cm_##cc##_0_3}, {cm_##cc##_1_1, cm_##cc##_1_2, cm_##cc##_1_3}}
const insn_fn h_cmov[16][2][3] = {CM_ROW(0), CM_ROW(1), CM_ROW(2), CM_ROW(3), CM_ROW(4), CM_ROW(5),
                                  CM_ROW(6), CM_ROW(7), CM_ROW(8), CM_ROW(9), CM_ROW(10), CM_ROW(11),
                                  CM_ROW(12), CM_ROW(13), CM_ROW(14), CM_ROW(15)};

AI void setcc_do(cpu_t *c, const insn_t *i, int cc, int mem)
{
    uint64_t v = (uint64_t)flags_cond(c, cc);
    if (mem) mem_wr8(c, insn_ea(c, i), (uint8_t)v);
    else *reg8p(c, i->rm) = (uint8_t)v;
}
#define SC_DEF(cc) \
    static void sc_##cc##_0(cpu_t *c, const insn_t *i) { setcc_do(c, i, cc, 0); } \
    static void sc_##cc##_1(cpu_t *c, const insn_t *i) { setcc_do(c, i, cc, 1); }
SC_DEF(0) SC_DEF(1) SC_DEF(2) SC_DEF(3) SC_DEF(4) SC_DEF(5) SC_DEF(6) SC_DEF(7)
SC_DEF(8) SC_DEF(9) SC_DEF(10) SC_DEF(11) SC_DEF(12) SC_DEF(13) SC_DEF(14) SC_DEF(15)
#define SC_ROW(cc) {sc_##cc##_0, sc_##cc##_1}
const insn_fn h_setcc[16][2] = {SC_ROW(0), SC_ROW(1), SC_ROW(2), SC_ROW(3), SC_ROW(4), SC_ROW(5),
                                SC_ROW(6), SC_ROW(7), SC_ROW(8), SC_ROW(9), SC_ROW(10), SC_ROW(11),
                                SC_ROW(12), SC_ROW(13), SC_ROW(14), SC_ROW(15)};

/* ---- xadd cmpxchg ---------------------------------------------------------------------------- */

AI void xadd_do(cpu_t *c, const insn_t *i, int mem, int s)
{
    uint64_t ea = 0, a, b = rdr(c, i->reg, s);
    a = mem ? rdm(c, ea = insn_ea(c, i), s) : rdr(c, i->rm, s);
    uint64_t r = (a + b) & SZ_MASK(s);
    if (mem) {
        wrm(c, ea, s, r);
        wrr(c, i->reg, s, a);
    } else {
        wrr(c, i->reg, s, a);
        wrr(c, i->rm, s, r);
    }
    lf_set(c, LFK_ADD, s, a, b, r);
}
#define XA_DEF(mm, s) static void xa_##mm##_##s(cpu_t *c, const insn_t *i) { xadd_do(c, i, mm, s); }
XA_DEF(0, 0) XA_DEF(0, 1) XA_DEF(0, 2) XA_DEF(0, 3) XA_DEF(1, 0) XA_DEF(1, 1) XA_DEF(1, 2) XA_DEF(1, 3)
const insn_fn h_xadd[2][4] = {{xa_0_0, xa_0_1, xa_0_2, xa_0_3}, {xa_1_0, xa_1_1, xa_1_2, xa_1_3}};

/* cmpxchg: compare the accumulator with the destination; equal: destination = source, else
 * accumulator = destination. A memory destination is always written (with its own value on
 * failure), as the processor does. Flags as cmp accumulator, destination. */
AI void cmpxchg_do(cpu_t *c, const insn_t *i, int mem, int s)
{
    uint64_t ea = 0, acc = rdr(c, R_RAX, s), d, src = rdr(c, i->reg, s);
    d = mem ? rdm(c, ea = insn_ea(c, i), s) : rdr(c, i->rm, s);
    int eq = acc == d;
    if (mem) {
        wrm(c, ea, s, eq ? src : d);
        if (!eq) wrr(c, R_RAX, s, d);
    } else if (eq) {
        wrr(c, i->rm, s, src);
    } else {
        wrr(c, R_RAX, s, d);
    }
    lf_set(c, LFK_SUB, s, acc, d, (acc - d) & SZ_MASK(s));
}
#define CX_DEF(mm, s) static void cx_##mm##_##s(cpu_t *c, const insn_t *i) { cmpxchg_do(c, i, mm, s); }
CX_DEF(0, 0) CX_DEF(0, 1) CX_DEF(0, 2) CX_DEF(0, 3) CX_DEF(1, 0) CX_DEF(1, 1) CX_DEF(1, 2) CX_DEF(1, 3)
const insn_fn h_cmpxchg[2][4] = {{cx_0_0, cx_0_1, cx_0_2, cx_0_3}, {cx_1_0, cx_1_1, cx_1_2, cx_1_3}};

static void set_zf(cpu_t *c, int z)
{
    flags_materialize(c);
    c->rflags = (c->rflags & ~(uint64_t)FL_ZF) | (z ? FL_ZF : 0);
}

void h_cmpxchg8b(cpu_t *c, const insn_t *i)
{
    uint64_t ea = insn_ea(c, i), v = mem_rd64(c, ea);
    uint64_t cmp = (uint32_t)c->r[R_RAX] | (c->r[R_RDX] << 32);
    int eq = v == cmp;
    mem_wr64(c, ea, eq ? ((uint32_t)c->r[R_RBX] | (c->r[R_RCX] << 32)) : v);
    if (!eq) {
        c->r[R_RAX] = (uint32_t)v;
        c->r[R_RDX] = v >> 32;
    }
    set_zf(c, eq);
}

void h_cmpxchg16b(cpu_t *c, const insn_t *i)
{
    uint64_t ea = insn_ea(c, i);
    xmm_t v;
    if (ea & 15) cpu_fault(c, X86_GP, 0, 0);
    mem_rd128(c, ea, &v, 1);
    int eq = v.q[0] == c->r[R_RAX] && v.q[1] == c->r[R_RDX];
    xmm_t nv = v;
    if (eq) {
        nv.q[0] = c->r[R_RBX];
        nv.q[1] = c->r[R_RCX];
    }
    mem_wr128(c, ea, &nv, 1);
    if (!eq) {
        c->r[R_RAX] = v.q[0];
        c->r[R_RDX] = v.q[1];
    }
    set_zf(c, eq);
}

/* ---- push pop enter leave xlat -------------------------------------------------------------- */

void h_push_r64(cpu_t *c, const insn_t *i) { push64(c, c->r[i->reg]); }
void h_pop_r64(cpu_t *c, const insn_t *i)
{
    uint64_t v = mem_rd64(c, c->r[R_RSP]);
    c->r[R_RSP] += 8;
    c->r[i->reg] = v; /* pop rsp loads the popped value */
}
static void push16(cpu_t *c, uint16_t v)
{
    uint64_t sp = c->r[R_RSP] - 2;
    mem_wr16(c, sp, v);
    c->r[R_RSP] = sp;
}
void h_push_r16(cpu_t *c, const insn_t *i) { push16(c, (uint16_t)c->r[i->reg]); }
void h_pop_r16(cpu_t *c, const insn_t *i)
{
    uint16_t v = mem_rd16(c, c->r[R_RSP]);
    c->r[R_RSP] += 2;
    wrr(c, i->reg, 1, v);
}
void h_push_imm64(cpu_t *c, const insn_t *i) { push64(c, i->imm); }
void h_push_imm16(cpu_t *c, const insn_t *i) { push16(c, (uint16_t)i->imm); }
void h_push_m64(cpu_t *c, const insn_t *i) { push64(c, mem_rd64(c, insn_ea(c, i))); }
void h_push_m16(cpu_t *c, const insn_t *i) { push16(c, mem_rd16(c, insn_ea(c, i))); }

/* pop r/m: an address based on rsp uses the value rsp has after the pop (SDM, POP). */
static uint64_t pop_ea(cpu_t *c, const insn_t *i, int bytes)
{
    uint64_t old = c->r[R_RSP];
    c->r[R_RSP] = old + (uint64_t)bytes;
    uint64_t ea = insn_ea(c, i);
    c->r[R_RSP] = old;
    return ea;
}
void h_pop_m64(cpu_t *c, const insn_t *i)
{
    uint64_t v = mem_rd64(c, c->r[R_RSP]);
    mem_wr64(c, pop_ea(c, i, 8), v);
    c->r[R_RSP] += 8;
}
void h_pop_m16(cpu_t *c, const insn_t *i)
{
    uint16_t v = mem_rd16(c, c->r[R_RSP]);
    mem_wr16(c, pop_ea(c, i, 2), v);
    c->r[R_RSP] += 2;
}

void h_leave(cpu_t *c, const insn_t *i)
{
    (void)i;
    uint64_t bp = c->r[R_RBP], v = mem_rd64(c, bp);
    c->r[R_RSP] = bp + 8;
    c->r[R_RBP] = v;
}

/* enter size, level (64-bit operand size). Registers change only once every store is done. */
void h_enter(cpu_t *c, const insn_t *i)
{
    uint64_t size = i->imm & 0xffff;
    int level = i->aux & 31;
    uint64_t sp = c->r[R_RSP] - 8, bp = c->r[R_RBP];
    mem_wr64(c, sp, bp);
    uint64_t frame = sp;
    if (level > 0) {
        for (int k = 1; k < level; k++) {
            bp -= 8;
            uint64_t v = mem_rd64(c, bp);
            sp -= 8;
            mem_wr64(c, sp, v);
        }
        sp -= 8;
        mem_wr64(c, sp, frame);
    }
    c->r[R_RBP] = frame;
    c->r[R_RSP] = sp - size;
}

/* xlat: al = [rbx + al] */
void h_xlat(cpu_t *c, const insn_t *i)
{
    uint64_t a = c->r[R_RBX] + (uint8_t)c->r[R_RAX];
    if (i->asz == 4) a = (uint32_t)a;
    if (i->seg) a += i->seg == SEG_FS ? c->fs_base : c->gs_base;
    *reg8p(c, R_RAX) = mem_rd8(c, a);
}
