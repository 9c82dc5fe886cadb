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
 *   - its mm-annotation ring (mm/annot.c).
 * The kilobytes spent are meminfo's Percpu (the stacks are KernelStack).
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <asm/smp.h>
#include <asm/setup.h>

unsigned long pcpu_nr_pages;

void setup_per_cpu_areas(void)
{
    unsigned int cpu;
    for_each_possible_cpu(cpu) {
        struct pcpu *p = per_cpu(cpu);
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
    }
    pr_info("percpu: %u CPUs, %lu pages of per-CPU data on their nodes\n", nr_cpu_ids, pcpu_nr_pages);
}
