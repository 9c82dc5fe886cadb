/* asm/irqflags.h: enabling and disabling interrupts on this CPU (RFLAGS.IF), as Linux's
 * asm/irqflags.h: local_irq_enable/disable and the save/restore pair. */
#ifndef _ASM_X86_IRQFLAGS_H
#define _ASM_X86_IRQFLAGS_H

#include <linux/types.h>

static inline unsigned long native_save_fl(void)
{
    unsigned long f;
    __asm__ __volatile__("pushfq; popq %0" : "=rm"(f) : : "memory");
    return f;
}
static inline void local_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline void local_irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static inline unsigned long arch_local_irq_save(void)
{
    unsigned long f = native_save_fl();
    local_irq_disable();
    return f;
}
static inline void arch_local_irq_restore(unsigned long f)
{
    if (f & (1ul << 9))
        local_irq_enable();
}
static inline int irqs_disabled(void) { return !(native_save_fl() & (1ul << 9)); }
#define local_irq_save(f) ((f) = arch_local_irq_save())
#define local_irq_restore(f) arch_local_irq_restore(f)

#endif
