/* apic: the local interrupt controller of each CPU in full-system mode (guest/abi.h section 3,
 * docs/DEVICES.md): its id, a timer, inter-processor interrupts and end of interrupt, programmed
 * through RDMSR and WRMSR with the x2APIC MSR numbers (Intel SDM vol. 3, 11.12). Only the subset
 * guest/abi.h lists exists; other MSRs of 0x800-0x8ff raise #GP, as do delivery modes other than
 * fixed.
 *
 * The timer counts ticks of the machine's virtual clock (retired instructions, the default) or of
 * the CPU's time-stamp counter (machine.timer_clock = cycles). A write of the initial count sets a
 * deadline = the clock now + count x divider; the machine's round-robin loop (emu/fs.c) ends every
 * round at the earliest virtual-clock deadline it knows, so an interrupt is requested exactly at its
 * deadline when the deadline was set before the round began, and at the end of the round (at most
 * one quantum late) when it was set during the round. A TSC-clocked timer is checked between
 * rounds. A periodic timer reloads from its deadline, so its period does not drift; periods that
 * passed unseen (a TSC-clocked timer on a halted CPU) are merged into one interrupt, as an APIC's
 * single IRR bit merges them.
 */
#include "emu/fs.h"

#include <stdint.h>

/* The divider of the divide configuration register (SDM vol. 3, Figure 11-10). */
static uint64_t divider(uint32_t dcr)
{
    unsigned v = ((dcr >> 1) & 4u) | (dcr & 3u);
    return v == 7 ? 1 : 2ull << v;
}

/* The clock c's timer counts. */
static uint64_t timer_clock(cpu_t *c)
{
    fs_t *f = c->m->fs;
    return f->timer_cycles ? cpu_tsc(c) : fs_cpu_clock(c->m, c);
}

void apic_reset(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    s->lapic_on = 1;
    for (int k = 0; k < 4; k++)
        s->isr[k] = 0;
    s->lvt_timer = EMU_LVT_MASKED;
    s->timer_div = 0xb;
    s->timer_init = 0;
    s->timer_deadline = 0;
    s->timer_period = 0;
    s->timer_running = 0;
}

/* Request vector on CPU t on behalf of c (an IPI). */
static void send_ipi(cpu_t *c, int t, int vector)
{
    machine_t *m = c->m;
    fs_t *f = m->fs;
    if (t < 0 || t >= m->nr_cpus || !f->cpu[t].started) {
        f->st.ipis_dropped++;
        return;
    }
    cpu_raise_interrupt(m->cpus[t], vector);
    m->cpus[t]->sys.cnt.ipis_received++;
    c->sys.cnt.ipis_sent++;
}

int apic_rdmsr(cpu_t *c, uint32_t msr, uint64_t *v)
{
    cpu_sys_t *s = &c->sys;
    if (!s->lapic_on)
        return -1;
    switch (msr) {
    case EMU_MSR_APIC_ID: *v = (uint64_t)c->id; return 0;
    case EMU_MSR_LVT_TIMER: *v = s->lvt_timer; return 0;
    case EMU_MSR_TIMER_INIT: *v = s->timer_init; return 0;
    case EMU_MSR_TIMER_DIV: *v = s->timer_div; return 0;
    case EMU_MSR_TIMER_CUR: {
        if (!s->timer_running) {
            *v = 0;
            return 0;
        }
        uint64_t now = timer_clock(c), d = divider(s->timer_div);
        uint64_t left = s->timer_deadline > now ? s->timer_deadline - now : 0;
        *v = (left + d - 1) / d;
        return 0;
    }
    default: return -1;
    }
}

int apic_wrmsr(cpu_t *c, uint32_t msr, uint64_t v)
{
    cpu_sys_t *s = &c->sys;
    if (!s->lapic_on)
        return -1;
    switch (msr) {
    case EMU_MSR_EOI:
        if (v != 0)
            return -1; /* x2APIC: a nonzero EOI value raises #GP */
        cpu_eoi(c);
        s->cnt.eois++;
        return 0;
    case EMU_MSR_ICR: {
        int vector = (int)(v & 0xff);
        unsigned mode = (unsigned)(v >> 8) & 7u;
        if (mode != 0 || (v & (1u << 11)) || vector < 32)
            return -1; /* only fixed delivery, physical destination, vectors 32..255 */
        switch ((uint32_t)v & (3u << 18)) {
        case EMU_ICR_DEST_CPU: send_ipi(c, (int)(v >> 32), vector); break;
        case EMU_ICR_DEST_SELF: send_ipi(c, c->id, vector); break;
        case EMU_ICR_DEST_ALL:
            for (int t = 0; t < c->m->nr_cpus; t++)
                send_ipi(c, t, vector);
            break;
        default:
            for (int t = 0; t < c->m->nr_cpus; t++)
                if (t != c->id && c->m->fs->cpu[t].started)
                    send_ipi(c, t, vector);
            break;
        }
        return 0;
    }
    case EMU_MSR_LVT_TIMER: {
        unsigned mode = (unsigned)(v >> 17) & 3u;
        if (mode > 1 || (v >> 32))
            return -1; /* TSC-deadline mode and the reserved mode are not modelled */
        s->lvt_timer = (uint32_t)v & (0xffu | EMU_LVT_MASKED | EMU_TIMER_PERIODIC);
        return 0;
    }
    case EMU_MSR_TIMER_DIV:
        if (v & ~0xbull)
            return -1;
        s->timer_div = (uint32_t)v;
        return 0;
    case EMU_MSR_TIMER_INIT:
        if (v >> 32)
            return -1;
        s->timer_init = v;
        s->timer_running = v != 0;
        if (v) {
            s->timer_period = v * divider(s->timer_div);
            s->timer_deadline = timer_clock(c) + s->timer_period;
        }
        return 0;
    default:
        return -1; /* includes the read-only ID and current count */
    }
}

uint64_t apic_next_event(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    if (!s->lapic_on || !s->timer_running)
        return UINT64_MAX;
    fs_t *f = c->m->fs;
    if (!f->timer_cycles)
        return s->timer_deadline;
    /* A TSC-clocked timer: while the CPU is halted its TSC follows the virtual clock. */
    uint64_t tsc = cpu_tsc(c);
    return f->now + (s->timer_deadline > tsc ? s->timer_deadline - tsc : 0);
}

void apic_tick(cpu_t *c, uint64_t now)
{
    cpu_sys_t *s = &c->sys;
    if (!s->lapic_on || !s->timer_running)
        return;
    uint64_t t = c->m->fs->timer_cycles ? cpu_tsc(c) : now;
    if (t < s->timer_deadline)
        return;
    s->cnt.timer_fires++;
    if (!(s->lvt_timer & EMU_LVT_MASKED) && (s->lvt_timer & 0xff) >= 32)
        cpu_raise_interrupt(c, (int)(s->lvt_timer & 0xff));
    if (s->lvt_timer & EMU_TIMER_PERIODIC) {
        do
            s->timer_deadline += s->timer_period;
        while (s->timer_deadline <= t);
    } else {
        s->timer_running = 0;
    }
}
