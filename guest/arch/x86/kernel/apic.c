/* arch/x86/kernel/apic.c: the local timer and inter-processor interrupts.
 *
 * As Linux's apic.c (setup_APIC_timer(), local_apic_timer_interrupt()) with the x2APIC back end
 * (x2apic_send_IPI*(), the ICR written with one WRMSR). The emulated controller is reached only
 * through the x2APIC MSR numbers of guest/abi.h section 3. Each CPU's timer is periodic, divide
 * by 1, on LOCAL_TIMER_VECTOR, with an initial count of boot_info.timer_hz / HZ ticks of the
 * machine's clock (Linux calibrates the APIC timer against another clock; here the boot
 * information tells the frequency). Every handler ends with an EOI (apic_eoi()). CPU 0's tick
 * advances jiffies (Linux's tick_do_timer_cpu); every CPU counts its own ticks.
 */
#define pr_fmt(fmt) "APIC: " fmt
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/jiffies.h>
#include <asm/apic.h>
#include <asm/traps.h>
#include <asm/setup.h>
#include <asm/irq_vectors.h>
#include <asm/percpu.h>

int apic_timer_running;   /* CPU 0's timer is armed: waiting for a tick cannot hang */

void apic_send_IPI(unsigned int cpu, unsigned int vector)
{
    wrmsr(EMU_MSR_ICR, vector | EMU_ICR_DEST_CPU | ((u64)cpu << 32));
}

void apic_send_IPI_self(unsigned int vector)
{
    wrmsr(EMU_MSR_ICR, vector | EMU_ICR_DEST_SELF);
}

void apic_send_IPI_allbutself(unsigned int vector)
{
    wrmsr(EMU_MSR_ICR, vector | EMU_ICR_DEST_OTHERS);
}

static void local_apic_timer_interrupt(struct pt_regs *regs, unsigned long vector)
{
    (void)vector;
    struct pcpu *p = this_cpu();
    p->timer_ticks++;
    if (p->cpu_number == 0)
        do_timer(1);
    update_process_times();
    apic_eoi();
    if (user_mode(regs))
        user_timer_tick(regs);
}

static void spurious_interrupt(struct pt_regs *regs, unsigned long vector)
{
    (void)regs;
    (void)vector;
    this_cpu()->irq_spurious_count++;   /* no EOI for a spurious interrupt */
}

void setup_APIC_timer(void)
{
    if (!boot_info.timer_hz)
        return;
    u64 count = boot_info.timer_hz / HZ;
    if (!count)
        count = 1;
    wrmsr(EMU_MSR_LVT_TIMER, LOCAL_TIMER_VECTOR | EMU_TIMER_PERIODIC);
    wrmsr(EMU_MSR_TIMER_DIV, 0xb);   /* divide by 1 */
    wrmsr(EMU_MSR_TIMER_INIT, count);
    if (smp_processor_id() == 0)
        apic_timer_running = 1;
}

void apic_init(void)
{
    set_vector_handler(LOCAL_TIMER_VECTOR, local_apic_timer_interrupt);
    set_vector_handler(SPURIOUS_APIC_VECTOR, spurious_interrupt);
    if (!boot_info.timer_hz) {
        pr_warn("timer frequency unknown (timer_hz 0): no timer interrupts\n");
        return;
    }
    pr_info("x2APIC-style MSR interface; timer %llu Hz (%s clock), HZ %d, initial count %llu\n",
            (unsigned long long)boot_info.timer_hz, boot_info.timer_clock == EMU_TIMER_CYCLES ? "cycle" : "virtual",
            HZ, (unsigned long long)(boot_info.timer_hz / HZ ? boot_info.timer_hz / HZ : 1));
}
