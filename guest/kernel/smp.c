/* kernel/smp.c: cross-CPU function calls.
 *
 * As Linux's kernel/smp.c: smp_call_function_single() queues a call_single_data (csd) on the
 * target CPU and sends it CALL_FUNCTION_SINGLE_VECTOR; smp_call_function() queues one on every
 * other online CPU and sends CALL_FUNCTION_VECTOR (with the all-but-self shorthand when every CPU
 * is online). The target's IPI handler runs generic_smp_call_function_interrupt(), which runs its
 * queue and clears each csd's CSD_FLAG_LOCK; a waiting caller spins on that flag. Linux queues on
 * a lock-less llist; here each CPU's queue is a list under a spinlock taken with interrupts off.
 * The csds live in the caller's per-CPU cfd array (one per target CPU), reused once unlocked, so
 * asynchronous calls need no allocation. As in Linux, a caller must not wait with interrupts
 * disabled for a CPU that may be waiting for it.
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/spinlock.h>
#include <asm/apic.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/irq_vectors.h>

unsigned int nr_cpu_ids = 1;
unsigned int num_online_cpus_count;
volatile u8 cpu_online_map[NR_CPUS];

static void csd_lock_wait(struct call_single_data *csd)
{
    while (READ_ONCE(csd->flags) & CSD_FLAG_LOCK)
        cpu_relax();
}

/* Take the caller's csd for `cpu` (waiting until its previous use is done) and queue it there. */
static void queue_call(unsigned int cpu, smp_call_func_t func, void *info)
{
    struct call_single_data *csd = &this_cpu()->cfd[cpu];
    csd_lock_wait(csd);
    csd->func = func;
    csd->info = info;
    csd->next = NULL;
    csd->flags = CSD_FLAG_LOCK;
    struct pcpu *t = cpu_pcpu(cpu);
    unsigned long flags;
    spin_lock_irqsave(&t->call_lock, flags);
    if (t->call_tail)
        t->call_tail->next = csd;
    else
        t->call_head = csd;
    t->call_tail = csd;
    spin_unlock_irqrestore(&t->call_lock, flags);
}

void generic_smp_call_function_interrupt(void)
{
    struct pcpu *p = this_cpu();
    for (;;) {
        spin_lock(&p->call_lock);
        struct call_single_data *csd = p->call_head;
        p->call_head = p->call_tail = NULL;
        spin_unlock(&p->call_lock);
        if (!csd)
            return;
        while (csd) {
            struct call_single_data *next = csd->next;   /* read before the owner may reuse it */
            csd->func(csd->info);
            barrier();
            WRITE_ONCE(csd->flags, 0);
            csd = next;
        }
    }
}

int smp_call_function_single(unsigned int cpu, smp_call_func_t func, void *info, int wait)
{
    if (!cpu_online(cpu))
        return -ENXIO;
    if (cpu == smp_processor_id()) {
        unsigned long flags;
        local_irq_save(flags);
        func(info);
        local_irq_restore(flags);
        return 0;
    }
    queue_call(cpu, func, info);
    apic_send_IPI(cpu, CALL_FUNCTION_SINGLE_VECTOR);
    if (wait)
        csd_lock_wait(&this_cpu()->cfd[cpu]);
    return 0;
}

void smp_call_function(smp_call_func_t func, void *info, int wait)
{
    unsigned int me = smp_processor_id(), cpu, n = 0;
    for_each_online_cpu(cpu) {
        if (cpu == me)
            continue;
        queue_call(cpu, func, info);
        n++;
    }
    if (!n)
        return;
    if (num_online_cpus() == nr_cpu_ids) {
        apic_send_IPI_allbutself(CALL_FUNCTION_VECTOR);
    } else {
        for_each_online_cpu(cpu)
            if (cpu != me)
                apic_send_IPI(cpu, CALL_FUNCTION_VECTOR);
    }
    if (wait)
        for_each_online_cpu(cpu)
            if (cpu != me)
                csd_lock_wait(&this_cpu()->cfd[cpu]);
}

/* Linux's smp_call_function_many(): a call on each other online CPU of the mask, each sent its own
 * CALL_FUNCTION_VECTOR; with wait, return once every one has run it (its csd unlocked: the
 * acknowledgement a TLB shootdown waits for). Interrupts must be enabled when waiting, or two CPUs
 * calling each other would wait for ever. */
void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func, void *info, int wait)
{
    unsigned int me = smp_processor_id(), cpu;
    if (wait && irqs_disabled())
        pr_warn("smp_call_function_many() waits with interrupts disabled\n");
    for_each_cpu(cpu, mask) {
        if (cpu == me || !cpu_online(cpu))
            continue;
        queue_call(cpu, func, info);
        apic_send_IPI(cpu, CALL_FUNCTION_VECTOR);
    }
    if (wait)
        for_each_cpu(cpu, mask)
            if (cpu != me && cpu_online(cpu))
                csd_lock_wait(&this_cpu()->cfd[cpu]);
}

void on_each_cpu_mask(const struct cpumask *mask, smp_call_func_t func, void *info, int wait)
{
    unsigned long flags;
    smp_call_function_many(mask, func, info, wait);
    if (cpumask_test_cpu(smp_processor_id(), mask)) {
        local_irq_save(flags);
        func(info);
        local_irq_restore(flags);
    }
}

void on_each_cpu(smp_call_func_t func, void *info, int wait)
{
    unsigned long flags;
    smp_call_function(func, info, wait);
    local_irq_save(flags);
    func(info);
    local_irq_restore(flags);
}
