/* arch/x86/kernel/setup_percpu.c: per-CPU areas on each CPU's node.
 *
 * Linux's setup_per_cpu_areas() copies the per-CPU section once per CPU into memory of that CPU's
 * node (pcpu_embed_first_chunk() with pcpu_fc_alloc() on cpu_to_node()), so a CPU's own data is
 * local. Here the core per-CPU structure (struct pcpu: GDT, TSS, call block) is a static array,
 * which lives on node 0 with the kernel image; what a CPU uses heavily and what can be large is
 * allocated from memblock on the CPU's node before the page allocator starts:
 *   - its kernel, entry and IST stacks (cpu_alloc_stacks(); CPU 0 keeps its .bss stacks);
 *   - its cross-CPU call data (call_single_data for every CPU);
 *   - its per-CPU page lists, one struct per_cpu_pages per zone of every node
 *     (zone->per_cpu_pageset[cpu]: Linux's per_cpu_ptr(zone->per_cpu_pageset, cpu));
 *   - its mm-annotation ring (mm/annot.c);
 *   - its copy of the DEFINE_PER_CPU section (linux/percpu-defs.h), taken from the original's
 *     current values, and __per_cpu_offset[cpu] / struct pcpu's this_cpu_off pointing at it.
 * The kilobytes spent are meminfo's Percpu (the stacks are KernelStack).
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <linux/percpu-defs.h>
#include <linux/string.h>
#include <asm/smp.h>
#include <asm/setup.h>

unsigned long pcpu_nr_pages;
unsigned long __per_cpu_offset[NR_CPUS];

void setup_per_cpu_areas(void)
{
    unsigned int cpu;
    for_each_possible_cpu(cpu) {
        struct pcpu *p = cpu_pcpu(cpu);
        int nid = (int)boot_info.cpu[cpu].node;
        if (cpu) {
            setup_per_cpu_area(cpu, (unsigned int)nid);
            cpu_alloc_stacks(p);
        }
        size_t bytes = nr_cpu_ids * sizeof(struct call_single_data);
        p->cfd = memblock_alloc_node(bytes, 64, nid);
        pcpu_nr_pages += PFN_UP(bytes);

        size_t pcp_bytes = (size_t)nr_node_ids * MAX_NR_ZONES * sizeof(struct per_cpu_pages);
        struct per_cpu_pages *pcp = memblock_alloc_node(pcp_bytes, 64, nid);
        pcpu_nr_pages += PFN_UP(pcp_bytes);
        for (unsigned int n = 0; n < nr_node_ids; n++)
            for (int z = 0; z < MAX_NR_ZONES; z++)
                NODE_DATA(n)->node_zones[z].per_cpu_pageset[cpu] = &pcp[n * MAX_NR_ZONES + z];

        mm_annot_alloc_ring(cpu, nid);

        size_t sect = (size_t)(__per_cpu_end - __per_cpu_start);
        if (sect) {
            char *copy = memblock_alloc_node(sect, PAGE_SIZE, nid);
            memcpy(copy, __per_cpu_start, sect);
            pcpu_nr_pages += PFN_UP(sect);
            __per_cpu_offset[cpu] = (unsigned long)copy - (unsigned long)__per_cpu_start;
            p->this_cpu_off = __per_cpu_offset[cpu];
        }
    }
    pr_info("percpu: %u CPUs, %lu pages of per-CPU data on their nodes\n", nr_cpu_ids, pcpu_nr_pages);
}
