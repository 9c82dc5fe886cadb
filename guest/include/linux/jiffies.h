/* include/linux/jiffies.h: the tick counter.
 *
 * As Linux's linux/jiffies.h: `jiffies` counts timer ticks (HZ per second of the machine's virtual
 * clock), advanced by CPU 0's tick (Linux's tick_do_timer_cpu). time_after() compares with
 * wrap-around.
 */
#ifndef _LINUX_JIFFIES_H
#define _LINUX_JIFFIES_H

#include <linux/types.h>

#define HZ 250

extern volatile unsigned long jiffies;

#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)

/* kernel/time/timer.c */
void do_timer(unsigned long ticks);
void update_process_times(void);
/* Sleep (sti; hlt) until `n` more jiffies have passed. Interrupts must be enabled by the caller
 * only if it wants them after; they are restored. */
void wait_jiffies(unsigned long n);

#endif
