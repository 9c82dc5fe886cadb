/* kernel/time/timer.c: jiffies.
 *
 * As Linux's kernel/time/timer.c and tick-common.c, reduced to the tick counter: CPU 0's timer
 * interrupt calls do_timer() (Linux's tick_do_timer_cpu does it), every CPU's calls
 * update_process_times() (which will account time to tasks and run timers once there are any).
 * wait_jiffies() sleeps in `sti; hlt` until enough ticks have passed: a halted CPU costs the
 * emulator nothing, and when all CPUs are halted the machine's clock jumps to the next timer.
 */
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <asm/processor.h>
#include <asm/irqflags.h>
#include <asm/apic.h>

volatile unsigned long jiffies;

void do_timer(unsigned long ticks)
{
    jiffies += ticks;
}

void update_process_times(void)
{
}

void wait_jiffies(unsigned long n)
{
    if (!apic_timer_running)
        panic("wait_jiffies: the timer is not running");
    unsigned long flags = native_save_fl();
    unsigned long target = jiffies + n;
    while (time_before(jiffies, target)) {
        local_irq_disable();
        if (time_before(jiffies, target))
            safe_halt();
    }
    if (!(flags & X86_EFLAGS_IF))
        local_irq_disable();
}
