/* asm/apic.h: the local interrupt controller.
 *
 * The emulated machine has an x2APIC-like controller programmed only through MSRs
 * (guest/abi.h section 3): timer, inter-processor interrupts, end of interrupt, APIC id. As
 * Linux's asm/apic.h with the x2APIC back end (x2apic_send_IPI..., apic_eoi()), reduced to that.
 */
#ifndef _ASM_X86_APIC_H
#define _ASM_X86_APIC_H

#include <linux/types.h>
#include <asm/msr.h>
#include "abi.h"

static inline void apic_eoi(void) { wrmsr(EMU_MSR_EOI, 0); }
static inline u32 read_apic_id(void) { return (u32)rdmsr(EMU_MSR_APIC_ID); }

/* Send `vector` to one CPU, to this CPU, or to all others (the ICR's destination shorthands). */
void apic_send_IPI(unsigned int cpu, unsigned int vector);
void apic_send_IPI_self(unsigned int vector);
void apic_send_IPI_allbutself(unsigned int vector);

extern int apic_timer_running;   /* CPU 0's timer is armed */
void apic_init(void);             /* register the timer and spurious handlers */

/* Program this CPU's timer: periodic, HZ per second, on LOCAL_TIMER_VECTOR. */
void setup_APIC_timer(void);

#endif
