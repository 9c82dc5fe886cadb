/* asm/processor.h: CPU control: control registers, CPUID, pause, halt.
 *
 * As Linux's asm/processor.h, asm/special_insns.h and asm/processor-flags.h: the CR0/CR4/EFER bit
 * names of the SDM, native_read_cr*() / native_write_cr*(), cpuid(), cpu_relax() (`pause`, which
 * in this emulator also ends the CPU's scheduling quantum) and the halt helpers.
 */
#ifndef _ASM_X86_PROCESSOR_H
#define _ASM_X86_PROCESSOR_H

#define X86_CR0_WP (1ul << 16)
#define X86_CR0_PG (1ul << 31)
#define X86_CR4_PAE (1ul << 5)
#define X86_CR4_PGE (1ul << 7)
#define X86_CR4_LA57 (1ul << 12)

#define X86_EFLAGS_TF (1ul << 8)
#define X86_EFLAGS_IF (1ul << 9)
#define X86_EFLAGS_DF (1ul << 10)
#define X86_EFLAGS_IOPL (3ul << 12)
#define X86_EFLAGS_NT (1ul << 14)
#define X86_EFLAGS_AC (1ul << 18)
#define X86_EFLAGS_FIXED (1ul << 1)

#ifndef __ASSEMBLY__
#include <linux/types.h>

static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

static inline unsigned long read_cr2(void)
{
    unsigned long v;
    __asm__ __volatile__("mov %%cr2, %0" : "=r"(v));
    return v;
}
static inline unsigned long read_cr3(void)
{
    unsigned long v;
    __asm__ __volatile__("mov %%cr3, %0" : "=r"(v) : : "memory");
    return v;
}
static inline void write_cr3(unsigned long v) { __asm__ __volatile__("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline unsigned long read_cr4(void)
{
    unsigned long v;
    __asm__ __volatile__("mov %%cr4, %0" : "=r"(v) : : "memory");
    return v;
}
static inline void write_cr4(unsigned long v) { __asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline unsigned long read_cr0(void)
{
    unsigned long v;
    __asm__ __volatile__("mov %%cr0, %0" : "=r"(v) : : "memory");
    return v;
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ __volatile__("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline void __flush_tlb_one(unsigned long va)
{
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* Halt with interrupts enabled: the STI shadow guarantees that no interrupt is taken between sti
 * and hlt, so a wake-up cannot be missed (Linux's native_safe_halt()). */
static inline void safe_halt(void) { __asm__ __volatile__("sti; hlt" ::: "memory"); }
static inline void halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }

#endif /* __ASSEMBLY__ */
#endif
