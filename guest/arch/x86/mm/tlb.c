/* arch/x86/mm/tlb.c: TLB flushes and shootdowns.
 *
 * A CPU caches translations in its TLBs (and the upper levels of the walk in its paging-structure
 * caches); nothing keeps them coherent with the page tables in memory. After a mapping changes,
 * the kernel must invalidate every cached copy before the old page can be reused, or some CPU may
 * go on reading and writing the old frame. On the CPU that changed the mapping that is an INVLPG
 * per page (or a full flush); on the others it takes a TLB shootdown: an IPI asking each CPU that
 * may hold the translation to flush it, and waiting until every one has answered, since only then
 * is the old translation gone everywhere.
 *
 * Which CPUs may hold it: for an address space, those in mm_cpumask(mm), the CPUs that have used
 * its page tables (Linux sets the bit in switch_mm_irqs_off() and clears it lazily); for kernel
 * mappings, which every CPU shares (init_mm, global pages), all online CPUs. The request travels in
 * a struct flush_tlb_info through smp_call_function_many() (kernel/smp.c: one IPI per target, a
 * call_single_data each); the acknowledgement is the target unlocking its csd after
 * flush_tlb_func() returned, which the sender waits for.
 *
 * Flushing a range page by page costs an INVLPG each; beyond tlb_single_page_flush_ceiling (33)
 * pages a full flush is cheaper. Kernel mappings are global (_PAGE_GLOBAL, CR4.PGE), which a CR3
 * reload does not flush, so a full flush toggles CR4.PGE (Linux's native_flush_tlb_global()).
 * INVLPG also drops the paging-structure-cache entries, which matters when page tables are freed.
 * Linux also tracks lazy TLB mode and generations per mm to skip idle CPUs; there are no processes
 * yet, so every CPU in the mask is asked.
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/vmstat.h>
#include <asm/tlbflush.h>
#include <asm/processor.h>
#include <asm/pgtable.h>

struct mm_struct init_mm;
DEFINE_PER_CPU(struct tlb_state, cpu_tlbstate);
unsigned long tlb_single_page_flush_ceiling = 33;

void switch_mm_on_this_cpu(struct mm_struct *mm)
{
    if (mm == &init_mm && !init_mm.pgd_pa) {
        init_mm.pgd_pa = init_top_pgt_pa;
        init_mm.pgd = init_top_pgt;
    }
    cpumask_set_cpu(smp_processor_id(), mm_cpumask(mm));
    this_cpu_write(cpu_tlbstate.loaded_mm, mm);
}

/* Everything, global entries included: clearing CR4.PGE flushes the whole TLB. */
static void __flush_tlb_global(void)
{
    unsigned long cr4 = read_cr4();
    write_cr4(cr4 & ~X86_CR4_PGE);
    write_cr4(cr4);
}

void flush_tlb_one_kernel(unsigned long addr)
{
    __flush_tlb_one(addr);
    count_vm_event(NR_TLB_LOCAL_FLUSH_ONE);
}

/* Runs on each CPU asked (interrupts disabled). */
static void flush_tlb_func(void *arg)
{
    const struct flush_tlb_info *f = arg;
    if (f->initiator != smp_processor_id())
        count_vm_event(NR_TLB_REMOTE_FLUSH_RECEIVED);
    if (f->mm && f->mm != this_cpu_read(cpu_tlbstate.loaded_mm))
        return;   /* not running that mm: nothing of it is cached here */
    if (f->end == TLB_FLUSH_ALL) {
        __flush_tlb_global();
        count_vm_event(NR_TLB_LOCAL_FLUSH_ALL);
        return;
    }
    for (unsigned long a = f->start; a < f->end; a += 1ul << f->stride_shift) {
        __flush_tlb_one(a);
        count_vm_event(NR_TLB_LOCAL_FLUSH_ONE);
    }
}

static void flush_on_cpus(const struct cpumask *mask, struct flush_tlb_info *info)
{
    info->initiator = smp_processor_id();
    if (cpumask_any_but(mask, info->initiator) < nr_cpu_ids)
        count_vm_event(NR_TLB_REMOTE_FLUSH);
    on_each_cpu_mask(mask, flush_tlb_func, info, 1);
}

static struct cpumask *online_mask(void)
{
    static struct cpumask m;
    unsigned int cpu;
    cpumask_clear(&m);
    for_each_online_cpu(cpu)
        cpumask_set_cpu(cpu, &m);
    return &m;
}

void flush_tlb_all(void)
{
    struct flush_tlb_info info = { .mm = NULL, .start = 0, .end = TLB_FLUSH_ALL, .stride_shift = PAGE_SHIFT };
    flush_on_cpus(online_mask(), &info);
}

void flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
    struct flush_tlb_info info = { .mm = NULL, .start = start & PAGE_MASK, .end = end, .stride_shift = PAGE_SHIFT };
    if (end == TLB_FLUSH_ALL || (end - start) >> PAGE_SHIFT > tlb_single_page_flush_ceiling) {
        info.start = 0;
        info.end = TLB_FLUSH_ALL;
    }
    flush_on_cpus(online_mask(), &info);
}

void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start, unsigned long end, unsigned int stride_shift,
                        bool freed_tables)
{
    struct flush_tlb_info info = { .mm = mm, .start = start & ~((1ul << stride_shift) - 1), .end = end,
                                   .stride_shift = stride_shift, .freed_tables = freed_tables };
    if (end == TLB_FLUSH_ALL || ((end - start) >> stride_shift) > tlb_single_page_flush_ceiling) {
        info.start = 0;
        info.end = TLB_FLUSH_ALL;
    }
    preempt_disable();
    flush_on_cpus(mm_cpumask(mm), &info);
    preempt_enable();
}

void tlb_flush_counts(unsigned long *remote, unsigned long *received, unsigned long *local_all, unsigned long *local_one)
{
    unsigned int cpu;
    *remote = *received = *local_all = *local_one = 0;
    for_each_possible_cpu(cpu) {
        const struct vm_event_state *v = &per_cpu(vm_event_states, cpu);
        *remote += v->event[NR_TLB_REMOTE_FLUSH];
        *received += v->event[NR_TLB_REMOTE_FLUSH_RECEIVED];
        *local_all += v->event[NR_TLB_LOCAL_FLUSH_ALL];
        *local_one += v->event[NR_TLB_LOCAL_FLUSH_ONE];
    }
}
