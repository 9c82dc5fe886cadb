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
 * and, in supervisor-only pages at TH_K (the "kernel"), a GDT with Linux's layout, an IDT, a
 * 64-bit TSS (RSP0 = TH_KSTACK_TOP, IST1 = TH_IST_TOP) and two sets of handler stubs.
 *
 * User mode (th_new): the CPU runs at CPL 3 in full-system mode, with the system state of a Linux
 * process; every IDT gate leads to a stub that halts (DPL 3 for int3 and into, as Linux's IDT).
 * th_run() executes instructions with cpu_run() and returns the vector of the exception that
 * stopped it (or -1): the exception is really delivered through the IDT, then th_run() undoes the
 * delivery from the stack frame, so rip, rsp and rflags are those of the faulting instruction (past
 * it for a trap), and c->fault_vector, fault_error (the pushed error code) and fault_addr (CR2 for
 * #PF) describe it. A run the machine stopped (a triple fault) returns c->fault_vector.
 *
 * Kernel mode (th_kernel): the CPU runs at CPL 0 (code at TH_KCODE, th_kcode); every gate leads to
 * a recording stub (16 bytes per vector at TH_KSTUB: push $-1 unless the vector has an error code,
 * push $vector, jump to a common routine) that stores the vector, error code, frame and CR2 into
 * the th_rec_t at TH_REC, then halts or, when rec->action is 1, returns with iretq after adding
 * rec->skip to the saved rip. th_run() returns -1 unless the machine stopped.
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

/* The kernel area (supervisor pages). */
#define TH_K 0xffffffff80000000ull
#define TH_KCODE (TH_K + 0x0000)      /* 2 pages: code run at CPL 0 */
#define TH_KSTUB (TH_K + 0x2000)      /* recording stubs, 16 bytes per vector */
#define TH_KCOMMON (TH_K + 0x3000)    /* their common routine */
#define TH_KHALT (TH_K + 0x4000)      /* halt stubs (user mode), 16 bytes per vector */
#define TH_GDT (TH_K + 0x5000)
#define TH_IDT (TH_K + 0x6000)
#define TH_TSS (TH_K + 0x7000)
#define TH_REC (TH_K + 0x8000)        /* th_rec_t */
#define TH_KDATA (TH_K + 0x9000)      /* 2 pages, read + write */
#define TH_KSTACK (TH_K + 0xb000)     /* 4 pages */
#define TH_KSTACK_TOP (TH_K + 0xf000) /* TSS.RSP0; TH_KSTACK_TOP..+0x1000 is not mapped */
#define TH_IST (TH_K + 0x10000)       /* 2 pages */
#define TH_IST_TOP (TH_K + 0x12000)   /* TSS.IST1 */
#define TH_KUNMAPPED (TH_K + 0x20000)

/* Selectors: Linux's GDT layout. STAR = 0x23 << 48 | 0x10 << 32 (sysret to 0x33/0x2b). */
#define TH_KCS 0x10
#define TH_KDS 0x18
#define TH_UCS32 0x23
#define TH_UDS 0x2b
#define TH_UCS 0x33
#define TH_TSS_SEL 0x40

/* What the recording stubs store (at TH_REC). error is -1 for a vector without error code. */
typedef struct th_rec {
    uint64_t count, vector, error, rip, cs, rflags, rsp, ss;
    uint64_t frame;   /* address of the pushed rip (the handler's rsp past the error code) */
    uint64_t cr2;
    uint64_t action;  /* set by the test: 0 halt in the handler, 1 iretq */
    uint64_t skip;    /* set by the test: added to the saved rip before iretq */
    uint64_t hcs;     /* CS inside the handler */
    uint64_t pad[3];
    uint64_t log[16]; /* vectors, in order (count - 1) & 15 */
} th_rec_t;

typedef struct th {
    machine_t *m;
    cpu_t *c;
    int kernel;       /* th_kernel() was called */
    uint64_t cr3;     /* the harness's page tables */
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

/* Kernel mode: CPL 0 (CS TH_KCS, SS TH_KDS), rsp TH_KSTACK_TOP - 0x1000, IF = 0, EFER NXE|SCE,
 * the IDT gates to the recording stubs (interrupt gates, DPL 0 except vectors 3, 4 and 0x80), the
 * record cleared, rip TH_KCODE. Undone by th_reset() (back to user mode). */
void th_kernel(th_t *h);
/* Put code at TH_KCODE, followed by hlt instructions (so kernel code that does not fault ends
 * halted), drop decoded code and point rip at it. */
void th_kcode(th_t *h, const void *bytes, size_t n);
/* Write IDT entry v: offset, selector TH_KCS, type 14 (interrupt gate) or 15 (trap gate), dpl,
 * ist, present. th_stub(v) is the recording stub of vector v. */
void th_set_gate(th_t *h, int v, uint64_t offset, int type, int dpl, int ist, int present);
#define th_stub(v) (TH_KSTUB + 16ull * (unsigned)(v))
/* The record of the recording stubs. */
th_rec_t *th_rec(th_t *h);
/* Go to CPL 3 as if by iretq: rip, rsp, CS TH_UCS, SS TH_UDS, IF = 1. */
void th_to_user(th_t *h, uint64_t rip, uint64_t rsp);

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
