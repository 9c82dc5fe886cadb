/* timing: instruction classes and their base cost in cycles. Private to emu/.
 *
 * The translation-timing model charges each retired instruction a base cost by class, plus what
 * its memory accesses cost in the modelled TLBs and page walks. The class comes from the opcode
 * alone (emu/timing.c), once per decoded instruction.
 */
#ifndef EMU_TIMING_H
#define EMU_TIMING_H

#include <stdint.h>

#include "emu/config.h"

enum insn_class {
    IC_SIMPLE,  /* moves, integer ALU, branches, everything else */
    IC_MUL,     /* integer multiply */
    IC_DIV,     /* integer divide */
    IC_FP,      /* x87 and SSE floating-point arithmetic, conversions, comparisons */
    IC_FP_DIV,  /* floating-point divide and square root */
    IC_SYSCALL, /* syscall: the entry into and exit from the kernel */
    IC_NR
};

/* The class of the instruction whose len bytes are at code. */
enum insn_class timing_insn_class(const uint8_t *code, int len);

/* The registers an instruction reads and writes, for the scoreboard of --timing=full (emu/memsys.c,
 * docs/TIMING.md "Memory-level parallelism"). Bits 0-15: the general registers (RAX..R15, a byte
 * register counts as its whole register), TREG_FLAGS: the arithmetic flags, TREG_VEC: all of the SSE
 * and x87 state as one register. rd: every register read; addr: those the memory operand's address
 * needs (the instruction cannot issue its loads and stores before they are ready); wr: registers
 * written; ld: those of wr that receive data loaded from memory (the others are computed from rd).
 * Found once per decoded instruction from its bytes and decoded operands; implicit operands of
 * rarely used instructions are approximated (the unknown default: reads and writes its operands). */
#define TREG_FLAGS 16
#define TREG_VEC 17
#define TREG_ALL_GPR 0xffffu
/* ai, ri, wi: the same as indices into cpu_t.sb_ready for the run loop's inline check: up to 2
 * address registers, 3 other inputs, 3 outputs; unused slots are TREG_NONE_RD (always 0) or
 * TREG_NONE_WR (a scratch slot); slow: more than that, use the masks. */
#define TREG_NONE_RD 18
#define TREG_NONE_WR 19
typedef struct insn_regs {
    uint32_t rd, addr, wr, ld;
    uint8_t ai[2], ri[3], wi[3];
    uint8_t slow;
} insn_regs_t;
struct insn;
void timing_insn_regs(const uint8_t *code, int len, const struct insn *in, insn_regs_t *out);

/* The cost of each class from the configuration (cpu.cycles_*). */
void timing_class_cycles(const config_t *cfg, uint8_t out[IC_NR]);

#endif
