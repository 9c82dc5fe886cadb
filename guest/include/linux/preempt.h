/* include/linux/preempt.h: the preemption count.
 *
 * The kernel is not preemptible (Linux's CONFIG_PREEMPT_NONE), so preempt_count changes nothing
 * about scheduling: it is kept, per CPU, so that code can assert what context it runs in
 * (in_atomic(), might_sleep()), as Linux's debugging checks do. Interrupt handlers run with
 * interrupts disabled, which also counts as atomic.
 */
#ifndef _LINUX_PREEMPT_H
#define _LINUX_PREEMPT_H

#include <asm/percpu.h>
#include <asm/irqflags.h>

static inline int preempt_count(void) { return this_cpu()->preempt_count; }
#define preempt_disable() do { this_cpu()->preempt_count++; barrier(); } while (0)
#define preempt_enable() do { barrier(); this_cpu()->preempt_count--; } while (0)
#define in_atomic() (preempt_count() != 0)

/* A function that may sleep was called where it must not (Linux's __might_sleep()). */
void __might_sleep(const char *file, int line);
#define might_sleep() __might_sleep(__FILE__, __LINE__)
#define might_sleep_if(cond) do { if (cond) might_sleep(); } while (0)

#endif
