/* include/linux/smp.h: symmetric multiprocessing.
 *
 * As Linux's linux/smp.h and linux/cpumask.h (reduced to what this kernel needs):
 * smp_processor_id(), the online CPUs, and cross-CPU function calls
 * (smp_call_function_single(), smp_call_function()) implemented in kernel/smp.c over the IPIs of
 * arch/x86/kernel/smp.c. A call_single_data is one queued request.
 */
#ifndef _LINUX_SMP_H
#define _LINUX_SMP_H

#include <linux/types.h>
#include <asm/percpu.h>

#define NR_CPUS 256

typedef void (*smp_call_func_t)(void *info);

#define CSD_FLAG_LOCK 1u   /* queued or running: the owner must not reuse it yet */

struct call_single_data {
    struct call_single_data *next;
    smp_call_func_t func;
    void *info;
    volatile u32 flags;
};

extern unsigned int nr_cpu_ids;       /* CPUs the machine has (boot_info.nr_cpus) */
extern unsigned int num_online_cpus_count;
extern volatile u8 cpu_online_map[NR_CPUS];

static inline int cpu_online(unsigned int cpu) { return cpu < NR_CPUS && cpu_online_map[cpu]; }
static inline unsigned int num_online_cpus(void) { return num_online_cpus_count; }
#define for_each_online_cpu(cpu) for ((cpu) = 0; (cpu) < nr_cpu_ids; (cpu)++) if (cpu_online(cpu))
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < nr_cpu_ids; (cpu)++)

/* Run func(info) on `cpu` (interrupts disabled there); wait: until it has returned. 0 or -ENXIO. */
int smp_call_function_single(unsigned int cpu, smp_call_func_t func, void *info, int wait);
/* Run func(info) on every other online CPU. */
void smp_call_function(smp_call_func_t func, void *info, int wait);
/* kernel/smp.c: the IPI handler's work: run this CPU's queued calls. */
void generic_smp_call_function_interrupt(void);
void call_function_init(void);

/* init/main.c, arch/x86/kernel/smpboot.c */
void smp_prepare_cpus(void);
void smp_init(void);

#define ENXIO 6
#define ENOSYS 38
#define EINVAL 22
#define EFAULT 14
#define ENOMEM 12
#define EBUSY 16

#endif
