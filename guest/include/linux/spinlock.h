/* include/linux/spinlock.h: spinlocks.
 *
 * Linux's spinlock_t is a queued ticket lock (asm/qspinlock.h); ours is the simplest correct one:
 * an xchg test-and-set with a read-only spin in between, which is enough for a non-preemptible
 * kernel with a handful of CPUs. The spin uses `pause` (cpu_relax()), which in this emulator ends
 * the CPU's quantum so that the lock holder gets to run. The _irqsave forms disable interrupts on
 * this CPU first, for locks an interrupt handler also takes.
 */
#ifndef _LINUX_SPINLOCK_H
#define _LINUX_SPINLOCK_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/processor.h>
#include <asm/irqflags.h>

typedef struct {
    volatile u32 locked;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED { 0 }
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED

static inline void spin_lock_init(spinlock_t *l) { l->locked = 0; }

static inline int spin_trylock(spinlock_t *l)
{
    u32 v = 1;
    __asm__ __volatile__("xchgl %0, %1" : "+r"(v), "+m"(l->locked) : : "memory");
    return v == 0;
}

static inline void spin_lock(spinlock_t *l)
{
    while (!spin_trylock(l))
        while (READ_ONCE(l->locked))
            cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
    barrier();                   /* x86 stores are release stores: a compiler barrier suffices */
    WRITE_ONCE(l->locked, 0);
}

#define spin_lock_irqsave(l, flags) do { (flags) = arch_local_irq_save(); spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, flags) do { spin_unlock(l); arch_local_irq_restore(flags); } while (0)

#endif
