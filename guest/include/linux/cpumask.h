/* include/linux/cpumask.h: sets of CPUs (Linux's struct cpumask, as a plain bitmap of NR_CPUS). */
#ifndef _LINUX_CPUMASK_H
#define _LINUX_CPUMASK_H

#include <linux/types.h>
#include <linux/smp.h>

struct cpumask {
    unsigned long bits[NR_CPUS / 64];
};

static inline void cpumask_set_cpu(unsigned int cpu, struct cpumask *m)
{
    __atomic_or_fetch(&m->bits[cpu / 64], 1ul << (cpu % 64), __ATOMIC_RELAXED);
}
static inline void cpumask_clear_cpu(unsigned int cpu, struct cpumask *m)
{
    __atomic_and_fetch(&m->bits[cpu / 64], ~(1ul << (cpu % 64)), __ATOMIC_RELAXED);
}
static inline int cpumask_test_cpu(unsigned int cpu, const struct cpumask *m)
{
    return (int)((READ_ONCE(m->bits[cpu / 64]) >> (cpu % 64)) & 1);
}
static inline void cpumask_clear(struct cpumask *m)
{
    for (unsigned int i = 0; i < NR_CPUS / 64; i++)
        m->bits[i] = 0;
}
/* The first CPU of the mask other than `cpu`, or nr_cpu_ids. */
static inline unsigned int cpumask_any_but(const struct cpumask *m, unsigned int cpu)
{
    for (unsigned int c = 0; c < nr_cpu_ids; c++)
        if (c != cpu && cpumask_test_cpu(c, m))
            return c;
    return nr_cpu_ids;
}
static inline unsigned int cpumask_weight(const struct cpumask *m)
{
    unsigned int n = 0;
    for (unsigned int c = 0; c < nr_cpu_ids; c++)
        n += (unsigned int)cpumask_test_cpu(c, m);
    return n;
}
#define for_each_cpu(cpu, mask) \
    for ((cpu) = 0; (cpu) < nr_cpu_ids; (cpu)++) if (cpumask_test_cpu((cpu), (mask)))

/* Run func(info) on the online CPUs of mask (this one included if it is in the mask, with
 * interrupts disabled); wait: until every one has returned (kernel/smp.c). */
void on_each_cpu_mask(const struct cpumask *mask, smp_call_func_t func, void *info, int wait);
/* ... and on every online CPU. */
void on_each_cpu(smp_call_func_t func, void *info, int wait);
/* The other CPUs of mask only (Linux's smp_call_function_many()). */
void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func, void *info, int wait);

#endif
