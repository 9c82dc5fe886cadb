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

/* The cost of each class from the configuration (cpu.cycles_*). */
void timing_class_cycles(const config_t *cfg, uint8_t out[IC_NR]);

#endif
