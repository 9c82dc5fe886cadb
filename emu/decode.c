/* decode: x86-64 (64-bit mode) instruction decoder.
 *
 * decode_insn() turns the bytes of one instruction into an insn_t: length, operand size, the
 * ModRM/SIB operand (registers, or base/index/scale/displacement for memory, RIP-relative
 * included), the immediate, and the handler that executes it. The handler is chosen here, once,
 * specialised by operation, operand size and operand form (emu/exec.h), so execution never looks
 * at instruction bytes again.
 *
 * Decoding runs in three steps:
 *   1. Prefixes: legacy prefixes in any order (66 operand size, 67 address size, F0 lock, F2/F3
 *      repeat or mandatory prefix, 64/65 FS/GS; 2E/3E/26/36 are accepted and ignored as in 64-bit
 *      mode), then an optional REX prefix, which counts only when it immediately precedes the
 *      opcode.
 *   2. Opcode and operands: the opcode map (one-byte, 0F, 0F 38, 0F 3A) gives, through the
 *      attribute tables below, whether a ModRM byte follows, the kind of immediate, whether the
 *      operation works on bytes, and the default operand size (64 for stack operations and near
 *      branches). The length of every valid encoding, and of most invalid ones, comes from these
 *      tables alone.
 *   3. Handler selection: a switch per opcode map picks the handler from the tables exported by
 *      emu/exec_*.c. Opcodes that are undefined, not implemented (MMX, SSE3 and later, AVX
 *      and everything else CPUID does not advertise) or used with an illegal LOCK prefix get the
 *      #UD handler. Privileged instructions get their handlers (emu/exec_priv.c), which check CPL
 *      when they run and raise #GP(0) at CPL 3 (so SE mode, at CPL 3, sees #GP as before).
 */
#include "emu/exec.h"

/* Attributes of an opcode. */
#define A_M 0x01   /* a ModRM byte follows */
#define A_B 0x02   /* byte operation: osz = 1, byte registers for reg and rm */
#define A_D64 0x04 /* default operand size 64 (66 selects 16) */
#define A_F64 0x08 /* operand size 64 whatever the prefixes */
#define A_INV 0x10 /* invalid in 64-bit mode */
/* Immediate kinds (bits 8..11). */
enum { I_0, I_B, I_W, I_Z, I_V, I_MO, I_WB, I_J32 };
#define IMM(k) ((k) << 8)

/* Later entries refine ranges given earlier (GNU range designators). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const uint16_t attr1[256] = {
    /* ALU blocks 00-3F: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  eAX,Iz */
#define ALU_ROW(b) [b + 0] = A_M | A_B, [b + 1] = A_M, [b + 2] = A_M | A_B, [b + 3] = A_M, \
                   [b + 4] = A_B | IMM(I_B), [b + 5] = IMM(I_Z)
    ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
    ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
#undef ALU_ROW
    [0x06] = A_INV, [0x07] = A_INV, [0x0e] = A_INV, [0x16] = A_INV, [0x17] = A_INV,
    [0x1e] = A_INV, [0x1f] = A_INV, [0x27] = A_INV, [0x2f] = A_INV, [0x37] = A_INV, [0x3f] = A_INV,
    [0x50 ... 0x5f] = A_D64,
    [0x60] = A_INV, [0x61] = A_INV, [0x62] = A_INV,
    [0x63] = A_M,
    [0x68] = A_D64 | IMM(I_Z), [0x69] = A_M | IMM(I_Z), [0x6a] = A_D64 | IMM(I_B), [0x6b] = A_M | IMM(I_B),
    [0x6c] = A_B, [0x6e] = A_B,
    [0x70 ... 0x7f] = A_F64 | IMM(I_B),
    [0x80] = A_M | A_B | IMM(I_B), [0x81] = A_M | IMM(I_Z), [0x82] = A_INV, [0x83] = A_M | IMM(I_B),
    [0x84] = A_M | A_B, [0x85] = A_M, [0x86] = A_M | A_B, [0x87] = A_M,
    [0x88] = A_M | A_B, [0x89] = A_M, [0x8a] = A_M | A_B, [0x8b] = A_M,
    [0x8c] = A_M, [0x8d] = A_M, [0x8e] = A_M, [0x8f] = A_M | A_D64,
    [0x9a] = A_INV, [0x9c] = A_D64, [0x9d] = A_D64,
    [0xa0] = A_B | IMM(I_MO), [0xa1] = IMM(I_MO), [0xa2] = A_B | IMM(I_MO), [0xa3] = IMM(I_MO),
    [0xa4] = A_B, [0xa6] = A_B, [0xa8] = A_B | IMM(I_B), [0xa9] = IMM(I_Z),
    [0xaa] = A_B, [0xac] = A_B, [0xae] = A_B,
    [0xb0 ... 0xb7] = A_B | IMM(I_B), [0xb8 ... 0xbf] = IMM(I_V),
    [0xc0] = A_M | A_B | IMM(I_B), [0xc1] = A_M | IMM(I_B), [0xc2] = A_F64 | IMM(I_W), [0xc3] = A_F64,
    [0xc4] = A_INV, [0xc5] = A_INV, /* VEX: no AVX */
    [0xc6] = A_M | A_B | IMM(I_B), [0xc7] = A_M | IMM(I_Z),
    [0xc8] = IMM(I_WB), [0xc9] = A_D64, [0xca] = IMM(I_W), [0xcd] = IMM(I_B), [0xce] = A_INV,
    [0xd0] = A_M | A_B, [0xd1] = A_M, [0xd2] = A_M | A_B, [0xd3] = A_M,
    [0xd4] = A_INV, [0xd5] = A_INV, [0xd6] = A_INV,
    [0xd8 ... 0xdf] = A_M,
    [0xe0 ... 0xe3] = A_F64 | IMM(I_B),
    [0xe4] = A_B | IMM(I_B), [0xe5] = IMM(I_B), [0xe6] = A_B | IMM(I_B), [0xe7] = IMM(I_B),
    [0xe8] = A_F64 | IMM(I_J32), [0xe9] = A_F64 | IMM(I_J32), [0xea] = A_INV, [0xeb] = A_F64 | IMM(I_B),
    [0xec] = A_B, [0xee] = A_B,
    [0xf6] = A_M | A_B, [0xf7] = A_M, [0xfe] = A_M | A_B, [0xff] = A_M,
};

static const uint16_t attr0f[256] = {
    [0x00 ... 0x03] = A_M, [0x0d] = A_M, [0x0f] = A_M | IMM(I_B),
    [0x10 ... 0x1f] = A_M, [0x20 ... 0x23] = A_M, [0x28 ... 0x2f] = A_M,
    [0x40 ... 0x76] = A_M, [0x78 ... 0x7f] = A_M,
    [0x70 ... 0x73] = A_M | IMM(I_B),
    [0x80 ... 0x8f] = A_F64 | IMM(I_J32),
    [0x90 ... 0x9f] = A_M | A_B,
    [0xa0] = A_D64, [0xa1] = A_D64, [0xa8] = A_D64, [0xa9] = A_D64,
    [0xa3] = A_M, [0xa4] = A_M | IMM(I_B), [0xa5] = A_M, [0xab] = A_M, [0xac] = A_M | IMM(I_B),
    [0xad] = A_M, [0xae] = A_M, [0xaf] = A_M,
    [0xb0 ... 0xbf] = A_M, [0xb0] = A_M | A_B, [0xba] = A_M | IMM(I_B),
    [0xc0 ... 0xc7] = A_M, [0xc0] = A_M | A_B,
    [0xc2] = A_M | IMM(I_B), [0xc4] = A_M | IMM(I_B), [0xc5] = A_M | IMM(I_B), [0xc6] = A_M | IMM(I_B),
    [0xd0 ... 0xff] = A_M,
};
#pragma GCC diagnostic pop

/* Decoder state for one instruction. */
typedef struct dec {
    insn_t *out;
    int pfx66, rep, lock, rex, mem;
    int regf;       /* ModRM.reg without REX.R (the group selector) */
    int mod;
    int s;          /* log2 of the operand size */
    int ends;
    int lockable;   /* the opcode accepts LOCK (with a memory destination) */
} dec_t;

void h_ud(cpu_t *c, const insn_t *i) { (void)i; cpu_ud(c); }
void h_gp0(cpu_t *c, const insn_t *i) { (void)i; cpu_fault(c, X86_GP, 0, 0); }
void h_nop(cpu_t *c, const insn_t *i) { (void)c; (void)i; }
void h_gp_len(cpu_t *c, const insn_t *i) { (void)i; cpu_fault(c, X86_GP, 0, 0); }

static int size_log2(int osz) { return osz == 1 ? 0 : osz == 2 ? 1 : osz == 4 ? 2 : 3; }

/* Map a byte-register number as encoded (0..15) to the insn_t convention (AH..BH = 16..19). */
static int byte_reg(const dec_t *d, int n)
{
    return (!d->rex && n >= 4 && n < 8) ? REG8_AH + (n - 4) : n;
}

/* For "G, E" forms: move the register destination into rm so the handler sees dst = rm. For a
 * register source, swap reg and rm. Returns the form. */
static int form_gE(dec_t *d)
{
    insn_t *o = d->out;
    if (d->mem) {
        o->rm = o->reg;
        return F_RM;
    }
    uint8_t t = o->rm;
    o->rm = o->reg;
    o->reg = t;
    return F_RR;
}

static insn_fn select_1byte(dec_t *d, int op)
{
    insn_t *o = d->out;
    int s = d->s, mem = d->mem, rf = d->regf;
    if (op < 0x40 && (op & 7) < 6) {
        int aop = op >> 3, form;
        switch (op & 7) {
        case 0: case 1: form = mem ? F_MR : F_RR; d->lockable = aop != 7; break;
        case 2: case 3: form = form_gE(d); break;
        default: form = F_RI; o->rm = R_RAX; break;
        }
        return h_alu[form][aop][s];
    }
    switch (op) {
    case 0x50 ... 0x57: return s == 1 ? h_push_r16 : h_push_r64;
    case 0x58 ... 0x5f: return s == 1 ? h_pop_r16 : h_pop_r64;
    case 0x63:
        if (s == 3) return h_movsxd[mem][2];
        return h_mov[form_gE(d)][s];
    case 0x68: case 0x6a: return s == 1 ? h_push_imm16 : h_push_imm64;
    case 0x69: case 0x6b: return h_imul3[mem][s - 1];
    case 0x6c ... 0x6f: d->ends = 1; return op < 0x6e ? h_ins : h_outs;
    case 0x70 ... 0x7f: d->ends = 1; return h_jcc[op & 15];
    case 0x80: case 0x81: case 0x83:
        d->lockable = rf != 7;
        return h_alu[mem ? F_MI : F_RI][rf][s];
    case 0x84: case 0x85: return h_test[mem ? F_MR : F_RR][s];
    case 0x86: case 0x87: d->lockable = 1; return h_xchg[mem][s];
    case 0x88: case 0x89: return h_mov[mem ? F_MR : F_RR][s];
    case 0x8a: case 0x8b: return h_mov[form_gE(d)][s];
    case 0x8c: return rf <= 5 ? h_mov_from_sreg : NULL;
    case 0x8e:
        if (rf == SREG_CS || rf > SREG_GS) return NULL;
        if (rf == SREG_SS) d->ends = 1; /* the interrupt shadow */
        return h_mov_to_sreg;
    case 0x8d:
        if (!mem) return NULL;
        o->seg = SEG_NONE; /* LEA computes the offset, without a segment base */
        if (o->asz == 8) o->flags &= (uint8_t)~INSN_EA_SLOW;
        return h_lea[s - 1];
    case 0x8f:
        if (rf != 0) return NULL;
        if (!mem) return s == 1 ? h_pop_r16 : h_pop_r64; /* reg is taken from rm below */
        return s == 1 ? h_pop_m16 : h_pop_m64;
    case 0x90 ... 0x97:
        if (o->reg == 0) return d->rep == 0xf3 ? h_pause : h_nop;
        o->rm = R_RAX;
        return h_xchg[0][s];
    case 0x98: return h_cbw;
    case 0x99: return h_cwd;
    case 0x9b: return h_fwait; /* fwait: delivers a pending unmasked x87 exception (#MF) */
    case 0x9c: return h_pushf;
    case 0x9d: return h_popf;
    case 0x9e: return h_sahf;
    case 0x9f: return h_lahf;
    case 0xa0: case 0xa1: return h_mov_moffs_load;
    case 0xa2: case 0xa3: return h_mov_moffs_store;
    case 0xa4 ... 0xa7: case 0xaa ... 0xaf: {
        static const int8_t sop[] = {0, 0, 1, 1, -1, -1, 2, 2, 3, 3, 4, 4};
        int k = sop[op - 0xa4];
        return d->rep ? h_string_rep[k][s] : h_string[k][s];
    }
    case 0xa8: case 0xa9: o->rm = R_RAX; return h_test[F_RI][s];
    case 0xb0 ... 0xb7: o->rm = o->reg; return h_mov[F_RI][0];
    case 0xb8 ... 0xbf: o->rm = o->reg; return h_mov[F_RI][s];
    case 0xc0: case 0xc1: case 0xd0 ... 0xd3: {
        int cl = op == 0xd2 || op == 0xd3;
        if (op == 0xd0 || op == 0xd1) o->imm = 1;
        return h_shift[rf][mem][cl][s];
    }
    case 0xc2: d->ends = 1; return h_ret_imm;
    case 0xc3: d->ends = 1; return h_ret;
    case 0xc6: case 0xc7:
        if (rf != 0) return NULL;
        return h_mov[mem ? F_MI : F_RI][s];
    case 0xc8: return h_enter;
    case 0xc9: return h_leave;
    case 0xca: case 0xcb: d->ends = 1; return h_lret;
    case 0xcc: d->ends = 1; return h_int3;
    case 0xcd: d->ends = 1; return h_int;
    case 0xcf: d->ends = 1; return h_iret;
    case 0xd7: return h_xlat;
    case 0xd8 ... 0xdf: return x87_select(o, op, d->mod, rf); /* x87 (emu/exec_x87.c) */
    case 0xe0 ... 0xe3: d->ends = 1; o->cc = op - 0xe0; return h_loop;
    case 0xe4 ... 0xe7: case 0xec ... 0xef:
        d->ends = 1;
        o->aux = op >= 0xec; /* port in dx */
        return (op & 2) ? h_out : h_in;
    case 0xe8: d->ends = 1; return h_call_rel;
    case 0xe9: case 0xeb: d->ends = 1; return h_jmp_rel;
    case 0xf1: d->ends = 1; return h_int1;
    case 0xf4: d->ends = 1; return h_hlt;
    case 0xfa: d->ends = 1; return h_cli;
    case 0xfb: d->ends = 1; return h_sti;
    case 0xf5: return h_cmc;
    case 0xf6: case 0xf7:
        switch (rf) {
        case 0: case 1: return h_test[mem ? F_MI : F_RI][s];
        case 2: d->lockable = 1; return h_notneg[0][mem][s];
        case 3: d->lockable = 1; return h_notneg[1][mem][s];
        default: return h_muldiv[rf - 4][mem][s];
        }
    case 0xf8: return h_clc;
    case 0xf9: return h_stc;
    case 0xfc: return h_cld;
    case 0xfd: return h_std;
    case 0xfe: case 0xff:
        switch (rf) {
        case 0: case 1: d->lockable = 1; return h_incdec[rf][mem][s];
        case 2: if (op == 0xfe) return NULL; d->ends = 1; return mem ? h_call_m : h_call_r;
        case 4: if (op == 0xfe) return NULL; d->ends = 1; return mem ? h_jmp_m : h_jmp_r;
        case 6:
            if (op == 0xfe) return NULL;
            if (!mem) return s == 1 ? h_push_r16 : h_push_r64;
            return s == 1 ? h_push_m16 : h_push_m64;
        default: return NULL;
        }
    default: return NULL;
    }
}

static insn_fn select_0f(dec_t *d, int op, int pfx)
{
    int s = d->s, mem = d->mem, rf = d->regf;
    switch (op) {
    case 0x00: /* group 6: sldt, str, lldt, ltr; verr and verw are not implemented (#UD) */
        d->ends = 1;
        switch (rf) {
        case 0: case 1: d->out->cc = (uint8_t)rf; return h_sldt_str;
        case 2: return h_lldt;
        case 3: return h_ltr;
        default: return NULL;
        }
    case 0x01: /* group 7 */
        d->ends = 1;
        if (mem) {
            switch (rf) {
            case 0: case 1: d->out->cc = (uint8_t)rf; return h_sdt;
            case 2: case 3: d->out->cc = (uint8_t)(rf - 2); return h_ldt_reg;
            case 4: return h_smsw;
            case 6: return h_lmsw;
            case 7: return h_invlpg;
            default: return NULL;
            }
        }
        if (rf == 4) return h_smsw;
        if (rf == 6) return h_lmsw;
        if (rf == 7 && (d->out->rm & 7) == 0) return h_swapgs;
        if (rf == 7 && (d->out->rm & 7) == 1) return h_rdtscp;
        return NULL; /* VMX, monitor/mwait, clac/stac, xgetbv...: not advertised */
    case 0x05: d->ends = 1; return h_syscall;
    case 0x06: d->ends = 1; return h_clts;
    case 0x07: d->ends = 1; return h_sysret;
    case 0x08: case 0x09: d->ends = 1; return h_wbinvd; /* invd, wbinvd */
    case 0x20: case 0x22: {
        int n = d->out->reg;
        d->ends = 1;
        if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8) return NULL; /* CR1, CR5-7, CR9-15 */
        return op == 0x20 ? h_mov_from_cr : h_mov_to_cr;
    }
    case 0x21: case 0x23:
        d->ends = 1;
        if (d->out->reg > 7) return NULL; /* DR8-15 */
        return op == 0x21 ? h_mov_from_dr : h_mov_to_dr;
    case 0x30: d->ends = 1; return h_wrmsr;
    case 0x32: d->ends = 1; return h_rdmsr;
    case 0x33: case 0x34: case 0x35: /* rdpmc (no counters exist), sysenter, sysexit (SEP not advertised) */
        d->ends = 1; return h_gp0;
    case 0xa0: case 0xa8: d->out->cc = op == 0xa0 ? SREG_FS : SREG_GS; return h_push_sreg;
    case 0xa1: case 0xa9: d->out->cc = op == 0xa1 ? SREG_FS : SREG_GS; return h_pop_sreg;
    case 0x1f:
        /* The emulator's magic NOPs: nopw 0x454d55XX(%rax,%rax,1) (include/emu_roi.h). */
        if (mem && rf == 0 && ((uint32_t)d->out->disp & 0xffffff00u) == 0x454d5500u) {
            d->out->imm = (uint32_t)d->out->disp & 0xff;
            d->ends = 1;
            return h_emu_marker;
        }
        return h_nop;
    case 0x0d: case 0x18 ... 0x1e: return h_nop; /* prefetch, hint nops, endbr64 */
    case 0x31: return h_rdtsc;
    case 0x40 ... 0x4f: return h_cmov[op & 15][mem][s - 1];
    case 0x80 ... 0x8f: d->ends = 1; return h_jcc[op & 15];
    case 0x90 ... 0x9f: return h_setcc[op & 15][mem];
    case 0xa2: d->ends = 1; return h_cpuid;
    case 0xa3: return h_bt[0][mem][0][s - 1];
    case 0xab: d->lockable = 1; return h_bt[1][mem][0][s - 1];
    case 0xb3: d->lockable = 1; return h_bt[2][mem][0][s - 1];
    case 0xbb: d->lockable = 1; return h_bt[3][mem][0][s - 1];
    case 0xba:
        if (rf < 4) return NULL;
        d->lockable = rf != 4;
        return h_bt[rf - 4][mem][1][s - 1];
    case 0xa4: case 0xa5: return h_shxd[0][mem][op & 1][s - 1];
    case 0xac: case 0xad: return h_shxd[1][mem][op & 1][s - 1];
    case 0xae:
        if (mem) {
            if (pfx != 0) return NULL;
            if (rf == 2) return h_ldmxcsr;
            if (rf == 3) return h_stmxcsr;
            if (rf == 0) return h_fxsave;  /* fxsave, fxsave64 (REX.W) */
            if (rf == 1) return h_fxrstor; /* fxrstor, fxrstor64 */
            return NULL; /* xsave*: not advertised; clflush: not advertised */
        }
        return (pfx == 0 && rf >= 5) ? h_nop : NULL; /* lfence, mfence, sfence */
    case 0xaf: return h_imul2[mem][s - 1];
    case 0xb0: case 0xb1: d->lockable = 1; return h_cmpxchg[mem][s];
    case 0xb6: case 0xb7: return h_movzx[op & 1][mem][s - 1];
    case 0xbe: case 0xbf: return h_movsx[op & 1][mem][s - 1];
    case 0xb8: return pfx == 2 ? h_popcnt[mem][s - 1] : NULL;
    case 0xbc: return h_bsf[mem][s - 1]; /* F3 (tzcnt) runs as bsf: BMI1 not advertised */
    case 0xbd: return h_bsr[mem][s - 1]; /* F3 (lzcnt) runs as bsr: ABM not advertised */
    case 0xc0: case 0xc1: d->lockable = 1; return h_xadd[mem][s];
    case 0xc2: return sse_fp_cmp_select(pfx, mem, (int)(d->out->imm & 7)); /* cmpps/pd/ss/sd */
    case 0xc3: return (mem && pfx == 0) ? h_mov[F_MR][s] : NULL; /* movnti */
    case 0xc7:
        if (rf == 1 && mem && pfx == 0) {
            d->lockable = 1;
            return s == 3 ? h_cmpxchg16b : h_cmpxchg8b;
        }
        return NULL;
    case 0xc8 ... 0xcf:
        return s == 3 ? h_bswap64 : s == 2 ? h_bswap32 : h_bswap16;
    case 0x0b: case 0xb9: case 0xff: d->ends = 1; return NULL; /* ud2, ud1, ud0 */
    default:
        return sse_select(op, pfx, mem, rf, (d->rex & 8) != 0);
    }
}

/* Make sure k more bytes are available: an instruction longer than 15 bytes is #GP(0) however
 * many bytes follow; otherwise too few bytes means "call again with more". */
#define NEED(k)                                   \
    do {                                          \
        if (pos + (k) > 15) goto too_long;        \
        if (pos + (k) > avail) return 0;          \
    } while (0)

_Static_assert(sizeof(insn_t) == 32, "insn_t must stay 32 bytes");

int decode_insn(const uint8_t *code, int avail, insn_t *out, int *ends_block)
{
    dec_t d = {.out = out};
    int pos = 0, asz = 8, seg = SEG_NONE, map = 0, op;
    uint16_t a;

    memset(out, 0, sizeof(*out));
    /* 1. prefixes */
    for (;;) {
        NEED(1);
        uint8_t b = code[pos];
        switch (b) {
        case 0x66: d.pfx66 = 1; break;
        case 0x67: asz = 4; break;
        case 0xf0: d.lock = 1; break;
        case 0xf2: case 0xf3: d.rep = b; break;
        case 0x64: seg = SEG_FS; break;
        case 0x65: seg = SEG_GS; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e: break;
        default:
            if ((b & 0xf0) == 0x40) {
                d.rex = b;
                pos++;
                continue;
            }
            goto prefixes_done;
        }
        d.rex = 0; /* a REX prefix followed by a legacy prefix is ignored */
        pos++;
    }
prefixes_done:
    /* 2. opcode */
    op = code[pos++];
    if (op == 0x0f) {
        NEED(1);
        op = code[pos++];
        map = 1;
        if (op == 0x38 || op == 0x3a) {
            NEED(1);
            map = op == 0x38 ? 2 : 3;
            op = code[pos++];
        }
    }
    if (map == 0) a = attr1[op];
    else if (map == 1) a = attr0f[op];
    else a = map == 2 ? A_M : A_M | IMM(I_B);

    int rex_w = (d.rex >> 3) & 1, rex_r = (d.rex >> 2) & 1, rex_x = (d.rex >> 1) & 1, rex_b = d.rex & 1;
    int osz;
    if (a & A_B) osz = 1;
    else if (a & A_F64) osz = 8;
    else if (rex_w) osz = 8;
    else if (d.pfx66) osz = 2;
    else osz = (a & A_D64) ? 8 : 4;

    /* ModRM, SIB, displacement */
    out->base = EA_NONE;
    out->index = EA_NONE;
    if (a & A_M) {
        NEED(1);
        uint8_t modrm = code[pos++];
        d.mod = modrm >> 6;
        d.regf = (modrm >> 3) & 7;
        out->reg = (uint8_t)(d.regf | rex_r << 3);
        int rm = modrm & 7;
        if (map == 1 && op >= 0x20 && op <= 0x23)
            d.mod = 3; /* mov to/from control and debug registers: always register operands */
        if (d.mod == 3) {
            out->rm = (uint8_t)(rm | rex_b << 3);
        } else {
            int disp_bytes = d.mod == 1 ? 1 : d.mod == 2 ? 4 : 0;
            d.mem = 1;
            out->flags |= INSN_MEM;
            if (rm == 4) {
                NEED(1);
                uint8_t sib = code[pos++];
                int idx = ((sib >> 3) & 7) | rex_x << 3, base = sib & 7;
                out->scale = sib >> 6;
                if (idx != 4) out->index = (uint8_t)idx;
                if (base == 5 && d.mod == 0) disp_bytes = 4;
                else out->base = (uint8_t)(base | rex_b << 3);
            } else if (rm == 5 && d.mod == 0) {
                out->base = EA_RIP;
                disp_bytes = 4;
            } else {
                out->base = (uint8_t)(rm | rex_b << 3);
            }
            NEED(disp_bytes);
            if (disp_bytes == 1) out->disp = (int8_t)code[pos];
            else if (disp_bytes == 4) {
                uint32_t v;
                memcpy(&v, code + pos, 4);
                out->disp = (int32_t)v;
            }
            pos += disp_bytes;
        }
    }
    /* Group opcodes whose operand size or immediate depends on ModRM.reg. */
    if (map == 0 && op == 0xff && (d.regf == 2 || d.regf == 4)) osz = 8;
    if (map == 0 && op == 0xff && d.regf == 6 && !rex_w && !d.pfx66) osz = 8;
    int ik = (a >> 8) & 15;
    if (map == 0 && (op == 0xf6 || op == 0xf7) && d.regf < 2) ik = op == 0xf6 ? I_B : I_Z;
    if (map == 1 && op == 0x0f) ik = I_B; /* 3DNow! suffix */

    /* immediates */
    int n = 0;
    switch (ik) {
    case I_B: n = 1; break;
    case I_W: n = 2; break;
    case I_Z: n = osz == 2 ? 2 : 4; break;
    case I_V: n = osz; break;
    case I_MO: n = asz; break;
    case I_WB: n = 3; break;
    case I_J32: n = 4; break;
    default: break;
    }
    NEED(n);
    if (n) {
        uint64_t v = 0;
        memcpy(&v, code + pos, (size_t)n);
        switch (ik) {
        case I_B: out->imm = (uint64_t)(int64_t)(int8_t)v; break;
        case I_W: out->imm = v; break;
        case I_Z: case I_J32: out->imm = n == 2 ? (uint64_t)(int64_t)(int16_t)v : (uint64_t)(int64_t)(int32_t)v; break;
        case I_WB: out->imm = v & 0xffff; out->aux = (uint8_t)(v >> 16); break;
        default: out->imm = v; break;
        }
        pos += n;
    }

    /* fill the common fields */
    out->len = (uint8_t)pos;
    out->osz = (uint8_t)osz;
    out->asz = (uint8_t)asz;
    out->seg = (uint8_t)seg;
    if (d.mem && (asz == 4 || seg)) out->flags |= INSN_EA_SLOW;
    if (d.lock) out->flags |= INSN_LOCK;
    if (d.rep == 0xf3) out->flags |= INSN_REP;
    if (d.rep == 0xf2) out->flags |= INSN_REPNE;
    if (d.rex) out->flags |= INSN_REX;
    d.s = size_log2(osz);

    /* Registers encoded in the opcode byte. */
    if (!(a & A_M)) {
        if ((map == 0 && ((op >= 0x50 && op <= 0x5f) || (op >= 0x90 && op <= 0x97) || (op >= 0xb0 && op <= 0xbf))) ||
            (map == 1 && op >= 0xc8 && op <= 0xcf))
            out->reg = (uint8_t)((op & 7) | rex_b << 3);
    }
    /* pop r/m and push r/m with a register operand use the register in rm. */
    if (map == 0 && !d.mem && ((op == 0x8f && d.regf == 0) || (op == 0xff && d.regf == 6)))
        out->reg = out->rm;
    /* byte registers */
    if (a & A_B) {
        if (map == 0 && op >= 0xb0 && op <= 0xb7) out->reg = (uint8_t)byte_reg(&d, out->reg);
        if (a & A_M) {
            out->reg = (uint8_t)byte_reg(&d, out->reg);
            if (!d.mem) out->rm = (uint8_t)byte_reg(&d, out->rm);
        }
    }
    /* byte source register of movzx/movsx Gv, Eb */
    if (map == 1 && (op == 0xb6 || op == 0xbe) && !d.mem) out->rm = (uint8_t)byte_reg(&d, out->rm);

    insn_fn fn = NULL;
    int pfx = d.rep == 0xf3 ? 2 : d.rep == 0xf2 ? 3 : d.pfx66 ? 1 : 0;
    if (a & A_INV) fn = NULL;
    else if (map == 0) fn = select_1byte(&d, op);
    else if (map == 1) fn = select_0f(&d, op, pfx);
    else if (map == 2 && op == 0x82 && pfx == 1 && d.mem) { fn = h_invpcid; d.ends = 1; } /* 66 0F 38 82 */
    else fn = NULL; /* the rest of 0F 38 and 0F 3A: SSSE3 and later, not advertised */

    if (d.lock && !(d.lockable && d.mem)) fn = NULL;
    if (!fn) {
        fn = h_ud;
        d.ends = 1;
    }
    out->fn = fn;
    *ends_block = d.ends;
    return pos;

too_long:
    /* More than 15 bytes: #GP(0). */
    memset(out, 0, sizeof(*out));
    out->fn = h_gp_len;
    out->len = 15;
    out->base = out->index = EA_NONE;
    *ends_block = 1;
    return 15;
}
