/* exec: private interface between the decoder (emu/decode.c) and the instruction handlers
 * (emu/exec_*.c). Private to emu/.
 *
 * Handlers are specialised at decode time by operation, operand size and form, so the common
 * ones contain no switch on either. They are stamped out from always-inline generic functions
 * that take the size and form as compile-time constants (s = log2 of the operand size in bytes:
 * 0..3), and collected into tables the decoder indexes.
 *
 * Operand forms (the "form" index of the tables):
 *   F_RR  destination register rm, source register reg
 *   F_MR  destination memory,      source register reg
 *   F_RM  destination register rm, source memory (the decoder moves ModRM.reg into rm)
 *   F_RI  destination register rm, source immediate
 *   F_MI  destination memory,      source immediate
 * For instructions with a single r/m operand the forms are R (register rm) and M (memory).
 */
#ifndef EMU_EXEC_H
#define EMU_EXEC_H

#include <stdint.h>
#include <string.h>

#include "emu/cpu.h"
#include "emu/flags.h"

#define AI static inline __attribute__((always_inline))

enum { F_RR, F_MR, F_RM, F_RI, F_MI, F_NR_FORMS };

/* ---- registers ------------------------------------------------------------------------------ */

/* Byte register n: 0..15 low bytes, 16..19 AH CH DH BH (little-endian host). */
AI uint8_t *reg8p(cpu_t *c, int n) { return (uint8_t *)c->r + (((n & 15) << 3) | (n >> 4)); }

/* Read register n as size s (zero-extended). */
AI uint64_t rdr(cpu_t *c, int n, int s)
{
    switch (s) {
    case 0: return *reg8p(c, n);
    case 1: return (uint16_t)c->r[n];
    case 2: return (uint32_t)c->r[n];
    default: return c->r[n];
    }
}

/* Write register n as size s: 8/16-bit writes merge, 32-bit writes zero the upper half. */
AI void wrr(cpu_t *c, int n, int s, uint64_t v)
{
    switch (s) {
    case 0: *reg8p(c, n) = (uint8_t)v; break;
    case 1: {
        uint16_t w = (uint16_t)v;
        memcpy(&c->r[n], &w, 2);
        break;
    }
    case 2: c->r[n] = (uint32_t)v; break;
    default: c->r[n] = v; break;
    }
}

/* ---- memory --------------------------------------------------------------------------------- */

AI uint64_t rdm(cpu_t *c, uint64_t va, int s)
{
    switch (s) {
    case 0: return mem_rd8(c, va);
    case 1: return mem_rd16(c, va);
    case 2: return mem_rd32(c, va);
    default: return mem_rd64(c, va);
    }
}

AI void wrm(cpu_t *c, uint64_t va, int s, uint64_t v)
{
    switch (s) {
    case 0: mem_wr8(c, va, (uint8_t)v); break;
    case 1: mem_wr16(c, va, (uint16_t)v); break;
    case 2: mem_wr32(c, va, (uint32_t)v); break;
    default: mem_wr64(c, va, v); break;
    }
}

/* Sign-extend a size-s value to 64 bits. */
AI int64_t sext(uint64_t v, int s) { return (int64_t)(v << SZ_SHIFT(s)) >> SZ_SHIFT(s); }

/* 16-byte guest memory accesses (SSE). aligned: #GP(0) unless 16-byte aligned. The write checks
 * both pages before storing anything, so a faulting store has no effect. */
void mem_rd128(cpu_t *c, uint64_t va, xmm_t *v, int aligned);
void mem_wr128(cpu_t *c, uint64_t va, const xmm_t *v, int aligned);

/* ---- stack ---------------------------------------------------------------------------------- */

AI void push64(cpu_t *c, uint64_t v)
{
    uint64_t sp = c->r[R_RSP] - 8;
    mem_wr64(c, sp, v);
    c->r[R_RSP] = sp;
}

AI uint64_t pop64(cpu_t *c)
{
    uint64_t v = mem_rd64(c, c->r[R_RSP]);
    c->r[R_RSP] += 8;
    return v;
}

/* ---- common handlers and handler tables ----------------------------------------------------- */

void h_ud(cpu_t *c, const insn_t *i);   /* #UD */
void h_gp0(cpu_t *c, const insn_t *i);  /* #GP(0): privileged instruction at CPL 3 */
void h_nop(cpu_t *c, const insn_t *i);

/* exec_alu.c */
extern const insn_fn h_alu[F_NR_FORMS][8][4];   /* [form][op: add or adc sbb and sub xor cmp][s] */
extern const insn_fn h_test[F_NR_FORMS][4];     /* F_RR, F_MR, F_RI, F_MI */
extern const insn_fn h_incdec[2][2][4];         /* [inc/dec][R/M][s] */
extern const insn_fn h_notneg[2][2][4];         /* [not/neg][R/M][s] */
extern const insn_fn h_shift[8][2][2][4];       /* [rol ror rcl rcr shl shr sal sar][R/M][imm/CL][s] */
extern const insn_fn h_shxd[2][2][2][3];        /* [shld/shrd][R/M][imm/CL][s-1] */
extern const insn_fn h_muldiv[4][2][4];         /* [mul imul div idiv][R/M][s] (F6/F7 /4../7) */
extern const insn_fn h_imul2[2][3];             /* [R/M][s-1]: imul r, r/m */
extern const insn_fn h_imul3[2][3];             /* [R/M][s-1]: imul r, r/m, imm */
extern const insn_fn h_bt[4][2][2][3];          /* [bt bts btr btc][R/M][reg/imm offset][s-1] */
extern const insn_fn h_bsf[2][3], h_bsr[2][3];  /* [R/M][s-1] */
extern const insn_fn h_popcnt[2][3];            /* [R/M][s-1] */
void h_cbw(cpu_t *c, const insn_t *i);          /* 98: cbw/cwde/cdqe by osz */
void h_cwd(cpu_t *c, const insn_t *i);          /* 99: cwd/cdq/cqo by osz */
void h_bswap32(cpu_t *c, const insn_t *i);
void h_bswap64(cpu_t *c, const insn_t *i);
void h_bswap16(cpu_t *c, const insn_t *i);
void h_clc(cpu_t *c, const insn_t *i);
void h_stc(cpu_t *c, const insn_t *i);
void h_cmc(cpu_t *c, const insn_t *i);
void h_cld(cpu_t *c, const insn_t *i);
void h_std(cpu_t *c, const insn_t *i);
void h_lahf(cpu_t *c, const insn_t *i);
void h_sahf(cpu_t *c, const insn_t *i);
void h_pushf(cpu_t *c, const insn_t *i);
void h_popf(cpu_t *c, const insn_t *i);

/* exec_move.c */
extern const insn_fn h_mov[F_NR_FORMS][4];
extern const insn_fn h_movzx[2][2][3];          /* [src 8/16][R/M][dst s-1] */
extern const insn_fn h_movsx[2][2][3];
extern const insn_fn h_movsxd[2][3];            /* [R/M][dst s-1] */
extern const insn_fn h_lea[3];                  /* [s-1] */
extern const insn_fn h_xchg[2][4];              /* [R/M][s] */
extern const insn_fn h_cmov[16][2][3];          /* [cc][R/M][s-1] */
extern const insn_fn h_setcc[16][2];            /* [cc][R/M] */
extern const insn_fn h_xadd[2][4];
extern const insn_fn h_cmpxchg[2][4];
void h_cmpxchg8b(cpu_t *c, const insn_t *i);
void h_cmpxchg16b(cpu_t *c, const insn_t *i);
void h_mov_moffs_load(cpu_t *c, const insn_t *i);  /* A0/A1: size by osz */
void h_mov_moffs_store(cpu_t *c, const insn_t *i); /* A2/A3 */
void h_mov_r64_imm(cpu_t *c, const insn_t *i);
void h_push_r64(cpu_t *c, const insn_t *i);
void h_push_r16(cpu_t *c, const insn_t *i);
void h_pop_r64(cpu_t *c, const insn_t *i);
void h_pop_r16(cpu_t *c, const insn_t *i);
void h_push_imm64(cpu_t *c, const insn_t *i);
void h_push_imm16(cpu_t *c, const insn_t *i);
void h_push_m64(cpu_t *c, const insn_t *i);
void h_push_m16(cpu_t *c, const insn_t *i);
void h_pop_m64(cpu_t *c, const insn_t *i);
void h_pop_m16(cpu_t *c, const insn_t *i);
void h_leave(cpu_t *c, const insn_t *i);
void h_enter(cpu_t *c, const insn_t *i);
void h_xlat(cpu_t *c, const insn_t *i);
void h_mov_from_sreg(cpu_t *c, const insn_t *i);

/* exec_ctrl.c */
extern const insn_fn h_jcc[16];
void h_jmp_rel(cpu_t *c, const insn_t *i);
void h_jmp_r(cpu_t *c, const insn_t *i);
void h_jmp_m(cpu_t *c, const insn_t *i);
void h_call_rel(cpu_t *c, const insn_t *i);
void h_call_r(cpu_t *c, const insn_t *i);
void h_call_m(cpu_t *c, const insn_t *i);
void h_ret(cpu_t *c, const insn_t *i);
void h_ret_imm(cpu_t *c, const insn_t *i);
void h_loop(cpu_t *c, const insn_t *i);         /* cc: 0 loopne, 1 loope, 2 loop, 3 jrcxz */
void h_syscall(cpu_t *c, const insn_t *i);
void h_int3(cpu_t *c, const insn_t *i);
void h_int1(cpu_t *c, const insn_t *i);
void h_int(cpu_t *c, const insn_t *i);
void h_cpuid(cpu_t *c, const insn_t *i);
void h_rdtsc(cpu_t *c, const insn_t *i);
void h_pause(cpu_t *c, const insn_t *i);
void h_ldmxcsr(cpu_t *c, const insn_t *i);
void h_stmxcsr(cpu_t *c, const insn_t *i);
void h_gp_len(cpu_t *c, const insn_t *i);       /* instruction longer than 15 bytes */

/* exec_string.c: [op][s], op: 0 movs 1 cmps 2 stos 3 lods 4 scas; rep/repe/repne by flags */
extern const insn_fn h_string[5][4];
extern const insn_fn h_string_rep[5][4];

/* exec_sse.c: selected by opcode and mandatory prefix. pfx: 0 none, 1 66, 2 F3, 3 F2.
 * Returns NULL for an opcode that is not implemented (the decoder uses #UD). */
insn_fn sse_select(int opc, int pfx, int mem, int modrm_reg, int rexw);

/* exec_sse_fp.c: SSE/SSE2 floating point (arithmetic, comparisons, conversions), by opcode and
 * mandatory prefix as above; sse_select() asks it first. cmpps/pd/ss/sd (0F C2) are selected by
 * the decoder with their predicate (imm8 & 7). NULL: not implemented. */
insn_fn sse_fp_select(int opc, int pfx, int mem, int rexw);
insn_fn sse_fp_cmp_select(int pfx, int mem, int pred);

/* exec_x87.c: the x87 FPU. x87_select() picks the handler of a D8-DF opcode from ModRM (mod,
 * reg; the register operand is o->rm) and fills o->aux (ST index) and o->imm (the FOP value);
 * NULL: an invalid encoding. */
insn_fn x87_select(insn_t *o, int op, int mod, int reg);
void h_fwait(cpu_t *c, const insn_t *i);   /* 9B */
void h_fxsave(cpu_t *c, const insn_t *i);  /* 0F AE /0 */
void h_fxrstor(cpu_t *c, const insn_t *i); /* 0F AE /1 */

/* exec_priv.c: system instructions (CPL checked at execution; #GP(0) at CPL 3). i->cc selects the
 * register where one handler serves two (h_sdt, h_ldt_reg: 0 GDTR, 1 IDTR; h_sldt_str: 0 LDTR, 1
 * TR; h_push_sreg, h_pop_sreg: SREG_FS or SREG_GS); i->aux is 1 for in/out with the port in dx. */
void h_mov_from_cr(cpu_t *c, const insn_t *i);
void h_mov_to_cr(cpu_t *c, const insn_t *i);
void h_mov_from_dr(cpu_t *c, const insn_t *i);
void h_mov_to_dr(cpu_t *c, const insn_t *i);
void h_rdmsr(cpu_t *c, const insn_t *i);
void h_wrmsr(cpu_t *c, const insn_t *i);
void h_rdtscp(cpu_t *c, const insn_t *i);
void h_clts(cpu_t *c, const insn_t *i);
void h_wbinvd(cpu_t *c, const insn_t *i);      /* also invd */
void h_sdt(cpu_t *c, const insn_t *i);         /* sgdt, sidt */
void h_ldt_reg(cpu_t *c, const insn_t *i);     /* lgdt, lidt */
void h_smsw(cpu_t *c, const insn_t *i);
void h_lmsw(cpu_t *c, const insn_t *i);
void h_sldt_str(cpu_t *c, const insn_t *i);
void h_lldt(cpu_t *c, const insn_t *i);
void h_ltr(cpu_t *c, const insn_t *i);
void h_invlpg(cpu_t *c, const insn_t *i);
void h_invpcid(cpu_t *c, const insn_t *i);
void h_cli(cpu_t *c, const insn_t *i);
void h_sti(cpu_t *c, const insn_t *i);
void h_hlt(cpu_t *c, const insn_t *i);
void h_in(cpu_t *c, const insn_t *i);
void h_out(cpu_t *c, const insn_t *i);
void h_ins(cpu_t *c, const insn_t *i);
void h_outs(cpu_t *c, const insn_t *i);
void h_mov_to_sreg(cpu_t *c, const insn_t *i);
void h_push_sreg(cpu_t *c, const insn_t *i);
void h_pop_sreg(cpu_t *c, const insn_t *i);
void h_swapgs(cpu_t *c, const insn_t *i);
void h_sysret(cpu_t *c, const insn_t *i);
void h_iret(cpu_t *c, const insn_t *i);
void h_lret(cpu_t *c, const insn_t *i);
/* 1 when fn is a handler of a privileged instruction (#GP(0) at CPL 3 whatever the operands; IOPL
 * is treated as 0), for tools such as the opcode census. h_gp0 counts (rdpmc, sysenter, sysexit). */
int insn_fn_privileged(insn_fn fn);

/* CPUID result for leaf/subleaf (exec_ctrl.c; also used by the tests). */
void cpu_cpuid(const cpu_t *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

#endif
