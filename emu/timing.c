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
