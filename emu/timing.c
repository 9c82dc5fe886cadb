/* timing: the class of an instruction, from its opcode bytes.
 *
 * Prefixes (legacy and REX) are skipped, then the opcode map and opcode decide: F6/F7 /4-/5 and
 * IMUL (0F AF, 69, 6B) are multiplies, F6/F7 /6-/7 divides; D8-DF are x87 (FDIV/FDIVR, FSQRT and
 * the transcendentals cost as a divide); in the 0F map, SQRT (51) and DIV (5E) are FP divides and
 * the other SSE floating-point arithmetic, comparison and conversion opcodes are FP; SYSCALL is its
 * own class. The costs are latencies on Skylake from Agner Fog's instruction tables (docs/CONFIG.md
 * cites each); this is a cycle-approximate base cost, not a pipeline model.
 */
#include "emu/timing.h"

enum insn_class timing_insn_class(const uint8_t *code, int len)
{
    int pos = 0;
    while (pos < len) {
        uint8_t b = code[pos];
        if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x3e ||
            b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65 || (b & 0xf0) == 0x40)
            pos++;
        else
            break;
    }
    if (pos >= len)
        return IC_SIMPLE;
    uint8_t op = code[pos++];
    int reg = pos < len ? (code[pos] >> 3) & 7 : 0;
    if (op != 0x0f) {
        if (op == 0xf6 || op == 0xf7)
            return reg >= 6 ? IC_DIV : (reg == 4 || reg == 5) ? IC_MUL : IC_SIMPLE;
        if (op == 0x69 || op == 0x6b)
            return IC_MUL;
        if (op >= 0xd8 && op <= 0xdf) {
            uint8_t modrm = pos < len ? code[pos] : 0;
            int arith = op == 0xd8 || op == 0xdc || op == 0xda || op == 0xde || (op == 0xdf && modrm < 0xc0);
            if (arith && (reg == 6 || reg == 7))
                return IC_FP_DIV; /* fdiv, fdivr and their forms */
            if (op == 0xd9 && modrm >= 0xf0)
                return IC_FP_DIV; /* f2xm1 ... fcos: fsqrt, fsin, fpatan and friends */
            return IC_FP;
        }
        return IC_SIMPLE;
    }
    if (pos >= len)
        return IC_SIMPLE;
    op = code[pos];
    switch (op) {
    case 0x05: return IC_SYSCALL;
    case 0xaf: return IC_MUL;
    case 0x51: case 0x5e: return IC_FP_DIV;
    case 0x2a: case 0x2c: case 0x2d: case 0x2e: case 0x2f:
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5f:
    case 0xc2: case 0xe6:
        return IC_FP;
    default: return IC_SIMPLE;
    }
}

void timing_class_cycles(const config_t *cfg, uint8_t out[IC_NR])
{
    out[IC_SIMPLE] = (uint8_t)config_get(cfg, CFG_cpu_cycles_simple);
    out[IC_MUL] = (uint8_t)config_get(cfg, CFG_cpu_cycles_mul);
    out[IC_DIV] = (uint8_t)config_get(cfg, CFG_cpu_cycles_div);
    out[IC_FP] = (uint8_t)config_get(cfg, CFG_cpu_cycles_fp);
    out[IC_FP_DIV] = (uint8_t)config_get(cfg, CFG_cpu_cycles_fp_div);
    out[IC_SYSCALL] = (uint8_t)config_get(cfg, CFG_cpu_cycles_syscall);
}

/* ---- registers read and written (the scoreboard of --timing=full) ----------------------------- */

#include "emu/cpu.h"

#define RB(r) (1u << (r))
#define RF RB(TREG_FLAGS)
#define RV RB(TREG_VEC)

/* The register bit of a decoded register number (byte registers AH..BH are 16..19). */
static inline uint32_t gbit(unsigned r) { return RB(r >= 16 ? r - 16 : r & 15); }

void timing_insn_regs(const uint8_t *code, int len, const insn_t *in, insn_regs_t *o)
{
    int pos = 0, p66 = 0, pf3 = 0, pf2 = 0;
    while (pos < len) {
        uint8_t b = code[pos];
        if (b == 0x66)
            p66 = 1;
        else if (b == 0xf3)
            pf3 = 1;
        else if (b == 0xf2)
            pf2 = 1;
        else if (!(b == 0x67 || b == 0xf0 || b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36 || b == 0x64 ||
                   b == 0x65 || (b & 0xf0) == 0x40))
            break;
        pos++;
    }
    (void)p66;
    int mem = (in->flags & INSN_MEM) != 0;
    uint32_t a = 0;
    if (mem) {
        if (in->base < 16)
            a |= RB(in->base);
        if (in->index < 16)
            a |= RB(in->index);
    }
    uint32_t G = gbit(in->reg);              /* the ModRM.reg (or opcode) register */
    uint32_t E = mem ? 0 : gbit(in->rm);     /* the ModRM.rm register operand, if not memory */
    uint32_t rd = 0, wr = 0, ld = 0, addr = a;
    const uint32_t SP = RB(R_RSP), AX = RB(R_RAX), CX = RB(R_RCX), DX = RB(R_RDX);
    uint8_t op = pos < len ? code[pos] : 0x90;
    int digit = pos + 1 < len ? (code[pos + 1] >> 3) & 7 : 0;
    if (op != 0x0f) {
        if (op < 0x40 && (op & 7) < 6) {
            /* ALU: add or adc sbb and sub xor cmp */
            int alu = op >> 3, form = op & 7;
            uint32_t src = (form == 0 || form == 1) ? G : (form == 2 || form == 3) ? E : 0;
            uint32_t dst = (form == 0 || form == 1) ? E : (form == 2 || form == 3) ? G : AX;
            rd = src | dst | (alu == 2 || alu == 3 ? RF : 0);
            wr = (alu == 7 ? 0 : dst) | RF;
            ld = mem ? ((form == 2 || form == 3) ? wr : RF) : 0;
        } else if (op >= 0x50 && op <= 0x57) { /* push r */
            rd = G | SP; addr = SP; wr = SP;
        } else if (op >= 0x58 && op <= 0x5f) { /* pop r */
            rd = SP; addr = SP; wr = G | SP; ld = G;
        } else if (op == 0x63 || op == 0x8a || op == 0x8b) { /* movsxd, mov G, E */
            rd = E; wr = G; ld = mem ? G : 0;
        } else if (op == 0x68 || op == 0x6a) { /* push imm */
            rd = SP; addr = SP; wr = SP;
        } else if (op == 0x69 || op == 0x6b) { /* imul G, E, imm */
            rd = E; wr = G | RF; ld = mem ? G : 0;
        } else if (op >= 0x70 && op <= 0x7f) {
            rd = RF;
        } else if (op >= 0x80 && op <= 0x83) { /* group 1: E op imm */
            rd = E | (digit == 2 || digit == 3 ? RF : 0);
            wr = (digit == 7 ? 0 : E) | RF;
            ld = mem ? RF : 0;
        } else if (op == 0x84 || op == 0x85 || op == 0xa8 || op == 0xa9) { /* test */
            rd = op >= 0xa8 ? AX : (G | E); wr = RF; ld = mem ? RF : 0;
        } else if (op == 0x86 || op == 0x87) { /* xchg E, G */
            rd = G | E; wr = G | E; ld = mem ? G : 0;
        } else if (op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7) { /* mov E, G / imm */
            rd = op <= 0x89 ? G : 0; wr = E;
        } else if (op == 0x8d) { /* lea: no memory access; its address registers are plain inputs */
            rd = a; addr = 0; wr = G;
        } else if (op == 0x90) {
            /* nop (or xchg eax, r8d with REX.B: G) */
            if (in->reg & 7 || in->flags & INSN_REX) {
                rd = wr = G | AX;
            }
        } else if (op > 0x90 && op <= 0x97) {
            rd = wr = G | AX;
        } else if (op == 0x98) {
            rd = wr = AX;
        } else if (op == 0x99) {
            rd = AX; wr = DX;
        } else if (op == 0x9c) { /* pushf */
            rd = RF | SP; addr = SP; wr = SP;
        } else if (op == 0x9d) { /* popf */
            rd = SP; addr = SP; wr = RF | SP; ld = RF;
        } else if ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf)) { /* string instructions */
            const uint32_t SI = RB(R_RSI), DI = RB(R_RDI);
            uint32_t ptr = (op == 0xaa || op == 0xab || op == 0xae || op == 0xaf) ? DI
                           : (op == 0xac || op == 0xad) ? SI : (SI | DI);
            addr = ptr;
            rd = ptr | RF | (pf3 || pf2 ? CX : 0) | (op == 0xaa || op == 0xab || op == 0xae || op == 0xaf ? AX : 0);
            wr = ptr | (pf3 || pf2 ? CX : 0) | (op == 0xac || op == 0xad ? AX : 0) |
                 (op == 0xa6 || op == 0xa7 || op == 0xae || op == 0xaf ? RF : 0);
            ld = (op == 0xac || op == 0xad ? AX : 0) | (op == 0xa6 || op == 0xa7 || op == 0xae || op == 0xaf ? RF : 0);
        } else if (op >= 0xb0 && op <= 0xbf) { /* mov r, imm */
            wr = G;
        } else if (op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3)) { /* shifts and rotates */
            rd = E | (op >= 0xd2 ? CX : 0) | (digit == 2 || digit == 3 ? RF : 0);
            wr = E | RF;
            ld = mem ? RF : 0;
        } else if (op == 0xc2 || op == 0xc3) { /* ret: the target is predicted */
            rd = SP; addr = SP; wr = SP;
        } else if (op == 0xc9) { /* leave */
            rd = RB(R_RBP); addr = RB(R_RBP); wr = SP | RB(R_RBP); ld = RB(R_RBP);
        } else if (op == 0xe8) { /* call */
            rd = SP; addr = SP; wr = SP;
        } else if (op == 0xe9 || op == 0xeb || op == 0xcc || op == 0xf4) {
            /* jmp, int3, hlt */
        } else if (op >= 0xe0 && op <= 0xe3) { /* loop, jrcxz */
            rd = CX | RF; wr = CX;
        } else if (op == 0xf6 || op == 0xf7) { /* group 3 */
            if (digit <= 1) {
                rd = E; wr = RF; ld = mem ? RF : 0;
            } else if (digit <= 3) {
                rd = E; wr = E | RF;
            } else {
                rd = E | AX | (digit >= 6 ? DX : 0); wr = AX | DX | RF; ld = mem ? (AX | DX | RF) : 0;
            }
        } else if (op == 0xfe || op == 0xff) { /* group 4/5 */
            if (digit <= 1) {
                rd = E; wr = E | RF; ld = mem ? RF : 0;
            } else if (digit == 2 || digit == 3) { /* call E: the target is predicted */
                rd = E | SP; addr |= SP; wr = SP;
            } else if (digit == 4 || digit == 5) { /* jmp E */
                rd = E;
            } else if (digit == 6) { /* push E */
                rd = E | SP; addr |= SP; wr = SP;
            } else {
                rd = E; wr = E;
            }
        } else if (op >= 0xd8 && op <= 0xdf) { /* x87 */
            rd = RV; wr = RV; ld = mem ? RV : 0;
            if (op == 0xdf && in->rm == 0 && !mem && digit == 4) { /* fnstsw ax */
                wr = AX; ld = 0;
            }
            if ((op == 0xdb || op == 0xdf) && !mem && (digit == 5 || digit == 6))
                wr |= RF; /* fucomi, fcomi */
        } else if (op == 0xcd) { /* int n: serialising */
            addr = rd = TREG_ALL_GPR;
        } else {
            /* The default: reads and writes its register operands and the flags. */
            rd = G | E | RF; wr = G | E | RF; ld = mem ? wr : 0;
        }
    } else {
        pos++;
        uint8_t o2 = pos < len ? code[pos] : 0;
        int d2 = pos + 1 < len ? (code[pos + 1] >> 3) & 7 : 0;
        if (o2 == 0x38 || o2 == 0x3a) { /* SSSE3/SSE4: vector registers (the few GPR forms approximated) */
            rd = RV; wr = RV; ld = mem ? RV : 0;
        } else if (o2 >= 0x80 && o2 <= 0x8f) {
            rd = RF;
        } else if (o2 >= 0x90 && o2 <= 0x9f) { /* setcc */
            rd = RF; wr = E;
        } else if (o2 >= 0x40 && o2 <= 0x4f) { /* cmovcc */
            rd = G | E | RF; wr = G; ld = mem ? G : 0;
        } else if (o2 == 0xb6 || o2 == 0xb7 || o2 == 0xbe || o2 == 0xbf || o2 == 0xbc || o2 == 0xbd ||
                   o2 == 0xb8) { /* movzx, movsx, bsf/tzcnt, bsr/lzcnt, popcnt */
            rd = E; wr = G | (o2 >= 0xb8 && o2 <= 0xbd ? RF : 0); ld = mem ? G : 0;
        } else if (o2 == 0xaf) { /* imul G, E */
            rd = G | E; wr = G | RF; ld = mem ? G : 0;
        } else if (o2 == 0x05 || o2 == 0xa2 || o2 == 0x34 || o2 == 0x07) {
            /* syscall, cpuid, sysenter, sysret: serialising, they wait for every register */
            addr = rd = TREG_ALL_GPR | RF | RV;
            wr = AX | CX | DX | RB(R_RBX) | RB(R_R11);
        } else if (o2 == 0x31 || o2 == 0x01) { /* rdtsc(p) and system group */
            wr = AX | DX | CX;
        } else if (o2 == 0x1f || o2 == 0x18 || o2 == 0x0d || o2 == 0xae) {
            /* nop, prefetch, fences and fxsave/ldmxcsr group: memory operands only */
            if (o2 == 0xae && mem && (d2 == 1 || d2 == 2)) { /* fxrstor, ldmxcsr */
                wr = RV; ld = RV;
            }
            rd = RV;
        } else if (o2 == 0xa3 || o2 == 0xab || o2 == 0xb3 || o2 == 0xbb || o2 == 0xba) { /* bt* */
            rd = G | E | (o2 == 0xba ? 0 : G); wr = RF | ((o2 == 0xa3 || (o2 == 0xba && d2 == 4)) ? 0 : E);
            ld = mem ? RF : 0;
        } else if (o2 == 0xa4 || o2 == 0xa5 || o2 == 0xac || o2 == 0xad) { /* shld, shrd */
            rd = G | E | (o2 & 1 ? CX : 0); wr = E | RF; ld = mem ? RF : 0;
        } else if (o2 == 0xb0 || o2 == 0xb1) { /* cmpxchg */
            rd = G | E | AX; wr = E | AX | RF; ld = mem ? (AX | RF) : 0;
        } else if (o2 == 0xc0 || o2 == 0xc1) { /* xadd */
            rd = G | E; wr = G | E | RF; ld = mem ? (G | RF) : 0;
        } else if (o2 == 0xc7) { /* cmpxchg8b/16b, rdrand */
            rd = AX | DX | CX | RB(R_RBX); wr = AX | DX | RF | E; ld = mem ? (AX | DX | RF) : 0;
        } else if (o2 >= 0xc8 && o2 <= 0xcf) { /* bswap */
            rd = wr = G;
        } else if (o2 == 0x0b || o2 == 0xa0 || o2 == 0xa1 || o2 == 0xa8 || o2 == 0xa9) {
            /* ud2, push/pop fs/gs: nothing tracked */
        } else {
            /* SSE and MMX: the vector state; a few forms move between it and general registers. */
            uint32_t gin = 0, gout = 0;
            if (o2 == 0x2a || o2 == 0x6e || o2 == 0xc4)
                gin = E; /* cvtsi2s*, movd/movq xmm, r; pinsrw */
            if (o2 == 0x2c || o2 == 0x2d || o2 == 0x50 || o2 == 0xd7 || o2 == 0xc5)
                gout = G; /* cvt*2si, movmsk, pmovmskb, pextrw */
            if (o2 == 0x7e && !pf3)
                gout = E; /* movd/movq r, xmm */
            if (o2 == 0x2e || o2 == 0x2f)
                gout = RF; /* ucomis, comis */
            rd = RV | gin;
            int store_form = o2 == 0x11 || o2 == 0x13 || o2 == 0x17 || o2 == 0x29 || o2 == 0x2b || o2 == 0x7f ||
                             o2 == 0xe7 || o2 == 0xd6 || (o2 == 0x7e && !pf3 && mem);
            wr = store_form && mem ? 0 : (gout ? gout : RV);
            ld = mem && !store_form ? wr : 0;
        }
    }
    o->rd = rd | addr;
    o->addr = addr;
    o->wr = wr;
    o->ld = ld & wr;
    /* The index form. */
    uint32_t masks[3] = {addr, (rd | addr) & ~addr, wr};
    uint8_t *slots[3] = {o->ai, o->ri, o->wi};
    const int cap[3] = {2, 3, 3};
    o->slow = 0;
    for (int k = 0; k < 3; k++) {
        int n = 0;
        for (uint32_t m = masks[k]; m; m &= m - 1) {
            if (n == cap[k]) {
                o->slow = 1;
                break;
            }
            slots[k][n++] = (uint8_t)__builtin_ctz(m);
        }
        while (n < cap[k])
            slots[k][n++] = k == 2 ? TREG_NONE_WR : TREG_NONE_RD;
    }
}
