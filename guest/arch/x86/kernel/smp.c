/* arch/x86/kernel/smp.c: the inter-processor interrupts' handlers.
 *
 * As Linux's arch/x86/kernel/smp.c: sysvec_call_function() and sysvec_call_function_single() run
 * the cross-CPU calls queued for this CPU (kernel/smp.c), sysvec_reschedule_ipi() only counts
 * (there is no scheduler yet; it wakes an idle CPU, which is all Linux's does when nothing is
 * runnable). Each handler ends with an EOI.
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <asm/apic.h>
#include <asm/traps.h>
#include <asm/irq_vectors.h>

static void sysvec_call_function(struct pt_regs *regs, unsigned long vector)
{
    (void)regs;
    (void)vector;
    this_cpu()->irq_call_count++;
    generic_smp_call_function_interrupt();
    apic_eoi();
}

static void sysvec_reschedule_ipi(struct pt_regs *regs, unsigned long vector)
{
    (void)regs;
    (void)vector;
    this_cpu()->irq_resched_count++;
    apic_eoi();
}

void smp_ipi_init(void)
{
    set_vector_handler(CALL_FUNCTION_VECTOR, sysvec_call_function);
    set_vector_handler(CALL_FUNCTION_SINGLE_VECTOR, sysvec_call_function);
    set_vector_handler(RESCHEDULE_VECTOR, sysvec_reschedule_ipi);
}
