/* cpu_harness: test-only scaffolding to execute instructions on one emulated CPU.
 *
 * A harness owns a machine built by emu_new() with the default configuration and hand-made
 * 4-level page tables in its physical memory that map:
 *
 *   TH_CODE   2 pages  user, read + execute     (instruction bytes go here)
 *   TH_DATA   4 pages  user, read + write, NX
 *   TH_RO     1 page   user, read-only, NX      (stores fault)
 *   TH_STACK  4 pages  user, read + write, NX   (rsp starts at TH_STACK_TOP)
 *   TH_UNMAPPED        nothing (accesses fault)
 *
 * th_run() executes instructions with cpu_run() and returns the exception vector that stopped it,
 * or -1. Exceptions end the run through the machine's full-system path, which prints one "emu:"
 * line: expected in tests that provoke faults.
 */
#ifndef TESTS_UNIT_CPU_HARNESS_H
#define TESTS_UNIT_CPU_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "emu/cpu.h"
#include "emu/machine.h"

#define TH_CODE 0x400000ull
#define TH_DATA 0x600000ull
#define TH_RO 0x700000ull
#define TH_UNMAPPED 0x800000ull
#define TH_STACK 0x7fff0000ull
#define TH_STACK_TOP (TH_STACK + 0x4000)

typedef struct th {
    machine_t *m;
    cpu_t *c;
} th_t;

th_t *th_new(void);
void th_free(th_t *h);

/* Zero the registers, xmm registers and data pages; rflags = 0x202, rsp = TH_STACK_TOP. */
void th_reset(th_t *h);

/* Put code at TH_CODE (dropping previously decoded code) and point rip at it. */
void th_code(th_t *h, const void *bytes, size_t n);

/* Run up to n instructions. Returns the exception vector that stopped the run, or -1. */
int th_run(th_t *h, uint64_t n);

/* Load code and run one instruction. */
int th_exec1(th_t *h, const void *bytes, size_t n);

/* Host pointer to guest virtual address va (inside one of the mapped areas). */
uint8_t *th_ptr(th_t *h, uint64_t va);

uint64_t th_rd64(th_t *h, uint64_t va);
void th_wr64(th_t *h, uint64_t va, uint64_t v);

/* Register state exchanged with th_native(): rsp is neither loaded nor stored. */
typedef struct th_state {
    uint64_t r[16];
    uint64_t flags; /* arithmetic flags and DF are loaded; all of RFLAGS is stored back */
    uint64_t pad;
    xmm_t xmm[16];
} th_state_t;

/* Execute code (one or more instructions that do not touch rsp) natively on the host with the
 * registers of *st, and store the registers back into *st. The host maps the harness data area
 * (TH_DATA, 4 pages) at the same address, so memory operands there work too: th_native_sync
 * copies the emulated data pages to the native ones (to = 1) or compares them (to = 0, returns 0
 * when identical). Returns -1 when native execution is unavailable (not x86-64, no executable
 * mapping); tests then skip their native comparison. */
int th_native(const void *code, size_t n, th_state_t *st);
int th_native_sync(th_t *h, int to);

/* Copy the harness CPU's registers to or from a th_state_t. */
void th_get_state(th_t *h, th_state_t *st);
void th_set_state(th_t *h, const th_state_t *st);

/* The full RFLAGS and its arithmetic part. */
uint64_t th_flags(th_t *h);
#define TH_ARITH(h) (th_flags(h) & FL_ARITH)

#endif
