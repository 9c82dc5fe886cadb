/* insn_sweep: test-only helper that checks the decoder against real code.
 *
 * insn_sweep_file() walks every executable section of an ELF file, or of every member of an ar
 * archive of ELF objects (musl's libc.a), with a capstone linear sweep (a byte capstone cannot
 * decode, padding or data, is skipped), and decodes every instruction with decode_insn(). Each
 * must have capstone's length and an implemented handler usable at CPL 3 (neither h_ud nor h_gp0,
 * and not privileged: see insn_privileged()), unless the allow-list of insn_sweep.c names it: the
 * instructions programs execute on purpose to fault.
 *
 * Used by tests/unit/test_decode.c (musl's libc.a), tests/census/test_coverage.c (every test
 * binary) and tests/census/census.c (insn_privileged).
 */
#ifndef TESTS_UNIT_INSN_SWEEP_H
#define TESTS_UNIT_INSN_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "emu/cpu.h"

#define INSN_SWEEP_ALLOWED 8 /* room in the allow-list */

typedef struct insn_sweep {
    long files, sections;
    long insns;         /* instructions decoded and checked */
    long bytes_skipped; /* bytes capstone could not decode (padding, data in text) */
    long branch66;      /* 66-prefixed near branches: length not compared (see insn_sweep.c) */
    long allowed;       /* #UD or #GP on the allow-list */
    long allowed_by[INSN_SWEEP_ALLOWED]; /* per allow-list entry */
    long len_bad;       /* length differs from capstone's */
    long impl_bad;      /* #UD, #GP or privileged, not allowed */
} insn_sweep_t;

/* Sweep path, adding to *st. Problems are reported on log, at most max_reports lines per call.
 * Returns 0, or -1 when path cannot be read as ELF (reported on log). */
int insn_sweep_file(const char *path, insn_sweep_t *st, FILE *log, int max_reports);

/* Is the implemented instruction i (decoded from code) privileged: does it raise #GP(0) at CPL 3
 * whatever its operands, so that only full-system code at CPL 0 can run it? It is run once at
 * CPL 3 on the machine of tests/unit/cpu_harness.c from each of three states in which a user-mode
 * instruction has no reason to fault with #GP(0): the registers point to 16-byte aligned data
 * holding a valid user data selector (0x2b), rcx is 1, and the stack holds a valid far-return or
 * iret frame of 8-, 4- or 2-byte slots (iretq, iretd, iretw and the far returns of each size
 * succeed in one of them); a memory operand is made [rax] first. Privileged: #GP(0) in all three.
 * The answer is cached by handler and operand size (the CPL check is the handler's; sysret checks
 * its operand size first). */
int insn_privileged(const insn_t *i, const uint8_t *code);

/* "MNEMONIC in FILE-GLOB" of allow-list entry k, or NULL past the end. */
const char *insn_sweep_allowed_name(int k);

/* Add the counts of b to a. */
void insn_sweep_add(insn_sweep_t *a, const insn_sweep_t *b);

/* The musl libc.a of this machine (Debian's musl-dev), or NULL. */
const char *insn_sweep_musl_libc(void);

#endif
