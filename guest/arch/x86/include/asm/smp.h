/* asm/smp.h: the x86 side of SMP: CPU bring-up and per-CPU set-up.
 *
 * As Linux's asm/smp.h and asm/cpu.h: cpu_init() loads this CPU's GDT, TSS, IDT and GS base
 * (arch/x86/kernel/cpu.c), start_secondary() is where an application processor starts
 * (arch/x86/kernel/smpboot.c), secondary_startup_64 its assembly entry (head_64.S).
 */
#ifndef _ASM_X86_SMP_H
#define _ASM_X86_SMP_H

#include <linux/types.h>
#include <asm/percpu.h>

void setup_per_cpu_area(unsigned int cpu, unsigned int node);
void cpu_init(struct pcpu *p);
void cpu_alloc_stacks(struct pcpu *p);
void secondary_startup_64(void);
__noreturn void cpu_idle_loop(void);
void smp_ipi_init(void);
/* arch/x86/kernel/setup_percpu.c: stacks, call data, per-CPU page lists and annotation rings of
 * every CPU, on its node (after free_area_init(), before the page allocator starts). */
void setup_per_cpu_areas(void);
extern unsigned long pcpu_nr_pages;
static inline void pcpu_nr_pages_add(unsigned long n) { pcpu_nr_pages += n; }   /* arch/x86/kernel/smp.c: the IPI handlers */

extern char boot_stack_top[];

#endif
