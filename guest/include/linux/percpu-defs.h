/* include/linux/percpu-defs.h: per-CPU variables.
 *
 * As Linux's percpu-defs.h. A per-CPU variable is declared once, like a global, but every CPU
 * has its own copy:
 *
 *     DEFINE_PER_CPU(struct tlb_state, cpu_tlbstate);
 *     this_cpu_inc(vm_event_states.event[PGFREE]);          this CPU's copy, interrupt-safe
 *     per_cpu(cpu_tlbstate, cpu).loaded_mm                   another CPU's copy
 *     p = get_cpu_ptr(&stats); ...; put_cpu_ptr(&stats);     a pointer, preemption disabled
 *
 * How it works (Linux's "embedded first chunk" without the dynamic allocator): the compiler puts
 * every DEFINE_PER_CPU variable in the section .data..percpu, which the linker script gathers
 * between __per_cpu_start and __per_cpu_end. That original is a template: setup_per_cpu_areas()
 * (arch/x86/kernel/setup_percpu.c) copies it once per CPU into memory of the CPU's node and
 * records, for each CPU, the distance from the original to its copy, __per_cpu_offset[cpu]. The
 * address of CPU c's copy of `var` is therefore &var + __per_cpu_offset[c] (per_cpu_ptr()), and
 * this CPU's offset is kept in its struct pcpu (this_cpu_off, one %gs-relative load), where
 * Linux keeps it in the per-CPU variable this_cpu_off and makes %gs itself point at the copy.
 * Before setup_per_cpu_areas() every offset is 0: the boot CPU uses the original, whose values
 * are then copied to every CPU.
 *
 * this_cpu_read/write/add/inc are safe against interrupts on this CPU: the read and the write
 * are one load or store, the add is one read-modify-write instruction (no lock prefix: only this
 * CPU touches its copy), and since the kernel is not preemptible the CPU cannot change between
 * reading the offset and using it. get_cpu_var/get_cpu_ptr disable preemption (here: count it, for
 * the assertions of linux/preempt.h) until put_cpu_var/put_cpu_ptr.
 */
#ifndef _LINUX_PERCPU_DEFS_H
#define _LINUX_PERCPU_DEFS_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/preempt.h>
#include <asm/percpu.h>

#define PER_CPU_SECTION ".data..percpu"
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name
#define DEFINE_PER_CPU(type, name) __attribute__((section(PER_CPU_SECTION))) __typeof__(type) name
#define DEFINE_PER_CPU_ALIGNED(type, name) \
    __attribute__((section(PER_CPU_SECTION), aligned(64))) __typeof__(type) name

extern unsigned long __per_cpu_offset[];
extern char __per_cpu_start[], __per_cpu_end[];

#define per_cpu_offset(cpu) (__per_cpu_offset[(cpu)])
#define per_cpu_ptr(ptr, cpu) ((__typeof__(ptr))((unsigned long)(ptr) + per_cpu_offset(cpu)))
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), (cpu)))
#define raw_cpu_ptr(ptr) ((__typeof__(ptr))((unsigned long)(ptr) + this_cpu_off()))
#define this_cpu_ptr(ptr) raw_cpu_ptr(ptr)

#define get_cpu_var(var) (*({ preempt_disable(); this_cpu_ptr(&(var)); }))
#define put_cpu_var(var) do { (void)&(var); preempt_enable(); } while (0)
#define get_cpu_ptr(ptr) ({ preempt_disable(); this_cpu_ptr(ptr); })
#define put_cpu_ptr(ptr) do { (void)(ptr); preempt_enable(); } while (0)

#define this_cpu_read(pcp) READ_ONCE(*raw_cpu_ptr(&(pcp)))
#define this_cpu_write(pcp, val) WRITE_ONCE(*raw_cpu_ptr(&(pcp)), (val))

/* One add instruction of the variable's size on this CPU's copy. */
#define this_cpu_add(pcp, val)                                                                    \
    do {                                                                                          \
        __typeof__(pcp) *__p = raw_cpu_ptr(&(pcp));                                               \
        switch (sizeof(pcp)) {                                                                    \
        case 1: __asm__ __volatile__("addb %1, %0" : "+m"(*(u8 *)__p) : "qi"((u8)(val))); break; \
        case 2: __asm__ __volatile__("addw %1, %0" : "+m"(*(u16 *)__p) : "ri"((u16)(val))); break; \
        case 4: __asm__ __volatile__("addl %1, %0" : "+m"(*(u32 *)__p) : "ri"((u32)(val))); break; \
        default: __asm__ __volatile__("addq %1, %0" : "+m"(*(u64 *)__p) : "re"((u64)(val))); break; \
        }                                                                                         \
    } while (0)
#define this_cpu_sub(pcp, val) this_cpu_add(pcp, -(__typeof__(pcp))(val))
#define this_cpu_inc(pcp) this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp) this_cpu_sub(pcp, 1)
#define __this_cpu_read this_cpu_read
#define __this_cpu_write this_cpu_write
#define __this_cpu_add this_cpu_add
#define __this_cpu_inc this_cpu_inc

#endif
