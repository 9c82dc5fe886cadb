/* asm/percpu.h: the per-CPU area.
 *
 * Linux places each per-CPU variable (DEFINE_PER_CPU) in a per-CPU section copied once per CPU,
 * and addresses this CPU's copy through %gs (GS_BASE = the CPU's area). This kernel has both:
 * the core per-CPU state the entry code and the descriptor tables need (GDT, TSS, call block,
 * stacks) is one struct pcpu per CPU, an array in .bss (per_cpu_area[NR_CPUS]); GS_BASE points
 * to this CPU's element, whose first field points to itself, so this_cpu() is one %gs-relative
 * load. Everything else uses Linux's API (DEFINE_PER_CPU, per_cpu(), this_cpu_*():
 * linux/percpu-defs.h), whose section is copied once per CPU onto the CPU's node; the copy's
 * offset is struct pcpu's this_cpu_off (Linux's this_cpu_off). The assembly code uses
 * the PCPU_* offsets below (checked with _Static_assert in arch/x86/kernel/cpu.c).
 */
#ifndef _ASM_X86_PERCPU_H
#define _ASM_X86_PERCPU_H

#define PCPU_self 0
#define PCPU_cpu_number 8
#define PCPU_top_of_stack 16      /* the entry stack of CPL 3 -> 0 transitions (TSS.RSP0) */
#define PCPU_user_rsp 24          /* scratch: the user RSP at SYSCALL entry */
#define PCPU_user_return_sp 32    /* the kernel RSP run_user() returns on */
#define PCPU_this_cpu_off 40      /* this CPU's copy of the DEFINE_PER_CPU section minus the original */

#ifndef __ASSEMBLY__
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/spinlock.h>
#include <asm/desc.h>
#include <asm/irq_vectors.h>
#include "abi.h"

struct call_single_data;

/* What the last exception taken under an exception-table fixup was (arch/x86/mm/extable.c). */
struct fault_info {
    unsigned long vector, error_code, cr2, ip;
};

struct pcpu {
    struct pcpu *self;
    unsigned int cpu_number;
    unsigned int node;
    unsigned long top_of_stack;
    unsigned long user_rsp;
    unsigned long user_return_sp;
    unsigned long this_cpu_off;            /* linux/percpu-defs.h: __per_cpu_offset[cpu_number] */

    struct emu_call call __aligned(64);   /* this CPU's emulator call block (kernel/printk.c...) */

    /* Stacks (kernel virtual addresses; [base, base + size)). */
    unsigned long stack_base;              /* the idle task's kernel stack (THREAD_SIZE) */
    unsigned long entry_stack_base;        /* CPL 3 -> 0 entries (THREAD_SIZE) */
    unsigned long ist_base[N_EXCEPTION_STACKS + 1];   /* index = IST slot 1..4 */

    volatile int online;
    int preempt_count;                     /* linux/preempt.h: for assertions only */

    /* mm (mm/annot.c): this CPU's annotation ring, on its node. */
    struct emu_annot_ring *annot_ring;
    u64 annot_ring_pa;
    u32 annot_nr;
    int annot_registered;

    /* Interrupt statistics (Linux's irq_stat). */
    volatile unsigned long timer_ticks;
    volatile unsigned long irq_call_count;
    volatile unsigned long irq_resched_count;
    volatile unsigned long irq_spurious_count;

    /* Cross-CPU calls queued for this CPU (kernel/smp.c; Linux uses a lock-less llist). */
    spinlock_t call_lock;
    struct call_single_data *call_head, *call_tail;
    struct call_single_data *cfd;          /* nr_cpu_ids requests for smp_call_function() */

    /* Tests and fixups. */
    struct fault_info last_fault;
    volatile unsigned long int3_count, int3_ip;
    volatile unsigned long ist_test_sp;    /* regs address seen by the TEST_IST_VECTOR handler */
    int expect_int3;

    u64 gdt[GDT_ENTRIES] __aligned(16);
    struct x86_hw_tss tss __aligned(16);
};

extern struct pcpu per_cpu_area[];

static inline struct pcpu *this_cpu(void)
{
    struct pcpu *p;
    __asm__("movq %%gs:%c1, %0" : "=r"(p) : "i"(PCPU_self));
    return p;
}

static inline unsigned int smp_processor_id(void)
{
    unsigned int id;
    __asm__("movl %%gs:%c1, %0" : "=r"(id) : "i"(PCPU_cpu_number));
    return id;
}

/* The core per-CPU structure of `cpu` (Linux's per_cpu(var, cpu) for DEFINE_PER_CPU variables is
 * in linux/percpu-defs.h). */
#define cpu_pcpu(cpu) (&per_cpu_area[(cpu)])

static inline unsigned long this_cpu_off(void)
{
    unsigned long off;
    __asm__("movq %%gs:%c1, %0" : "=r"(off) : "i"(PCPU_this_cpu_off));
    return off;
}

#endif
#endif
