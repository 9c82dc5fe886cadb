/* asm/tlbflush.h: TLB flushing (arch/x86/mm/tlb.c), as Linux's asm/tlbflush.h.
 *
 *   flush_tlb_all()                      every translation on every CPU (global ones too)
 *   flush_tlb_kernel_range(start, end)   kernel mappings: every online CPU
 *   flush_tlb_mm_range(mm, ...)          an address space: the CPUs of mm_cpumask(mm)
 *   flush_tlb_page(vma, addr), flush_tlb_range(vma, start, end)   the notes' interface
 *   flush_tlb_one_kernel(addr)           this CPU only (no shootdown)
 */
#ifndef _ASM_X86_TLBFLUSH_H
#define _ASM_X86_TLBFLUSH_H

#include <linux/mm_types.h>
#include <linux/percpu-defs.h>

#define TLB_FLUSH_ALL (~0ul)

struct flush_tlb_info {
    struct mm_struct *mm;             /* NULL: kernel mappings (every CPU) */
    unsigned long start, end;         /* end == TLB_FLUSH_ALL: everything */
    unsigned int stride_shift;
    bool freed_tables;
    unsigned int initiator;           /* the CPU that asked */
};

/* Per-CPU TLB state (Linux's cpu_tlbstate): the address space this CPU runs on. */
struct tlb_state {
    struct mm_struct *loaded_mm;
};
DECLARE_PER_CPU(struct tlb_state, cpu_tlbstate);

/* Beyond this many pages, a range flush flushes everything (Linux's default, 33). */
extern unsigned long tlb_single_page_flush_ceiling;

void flush_tlb_all(void);
void flush_tlb_kernel_range(unsigned long start, unsigned long end);
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start, unsigned long end, unsigned int stride_shift,
                        bool freed_tables);
static inline void flush_tlb_page(struct vm_area_struct *vma, unsigned long addr)
{
    flush_tlb_mm_range(vma->vm_mm, addr, addr + (1ul << 12), 12, false);
}
static inline void flush_tlb_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
    flush_tlb_mm_range(vma->vm_mm, start, end, 12, false);
}
void flush_tlb_one_kernel(unsigned long addr);
/* This CPU starts using mm's page tables (sets its bit in mm_cpumask). */
void switch_mm_on_this_cpu(struct mm_struct *mm);
/* Shootdowns sent and received, local flushes: the sums over CPUs (vm events). */
void tlb_flush_counts(unsigned long *remote, unsigned long *received, unsigned long *local_all, unsigned long *local_one);

#endif
