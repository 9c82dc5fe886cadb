/* asm/msr.h: model-specific registers.
 *
 * As Linux's asm/msr.h and asm/msr-index.h: rdmsr/wrmsr and the MSR numbers this kernel uses.
 * The local-APIC registers are reached through their x2APIC MSR numbers (guest/abi.h section 3).
 */
#ifndef _ASM_X86_MSR_H
#define _ASM_X86_MSR_H

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

#define EFER_SCE (1ul << 0)
#define EFER_LME (1ul << 8)
#define EFER_LMA (1ul << 10)
#define EFER_NX (1ul << 11)

#ifndef __ASSEMBLY__
#include <linux/types.h>

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#endif
#endif
