/* mm/show_mem.c: show_free_areas(), the zones' state in a page allocation failure report.
 *
 * As Linux's __show_free_areas(): the global counters, then per node and per zone the free
 * memory against the watermarks, the lowmem_reserve ("lowmem_reserve[]"), and the free blocks by
 * order with the migrate types present ("4*4kB (UM) ... = 1234kB"). Values not modelled are 0.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include "internal.h"

#define K(x) ((x) << (PAGE_SHIFT - 10))

void show_free_areas(int nid_filter)
{
    struct zone *zone;
    printk(KERN_WARNING "Mem-Info:\n");
    printk(KERN_WARNING "active_anon:0 inactive_anon:0 isolated_anon:0\n active_file:0 inactive_file:0 isolated_file:0\n"
                        " unevictable:0 dirty:0 writeback:0\n slab_reclaimable:0 slab_unreclaimable:0\n"
                        " mapped:0 shmem:0 pagetables:0\n sec_pagetables:0 bounce:0\n kernel_misc_reclaimable:0\n"
                        " free:%lu free_pcp:%lu free_cma:0\n",
           nr_free_pages(), nr_free_pcp_pages());
    for_each_populated_zone(zone) {
        if (nid_filter >= 0 && zone->node != nid_filter)
            continue;
        unsigned long free_pcp = 0;
        for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
            free_pcp += (unsigned long)zone_pcp(zone, cpu)->count;
        printk(KERN_WARNING "Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB reserved_highatomic:0KB "
                            "active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB "
                            "writepending:0kB present:%lukB managed:%lukB mlocked:0kB bounce:0kB free_pcp:%lukB "
                            "local_pcp:%ukB free_cma:0kB\n",
               zone->node, zone->name, K((unsigned long)zone->vm_stat[NR_FREE_PAGES]), K(zone->watermark_boost),
               K(min_wmark_pages(zone)), K(low_wmark_pages(zone)), K(high_wmark_pages(zone)), K(zone->present_pages),
               K(zone->managed_pages), K(free_pcp), (unsigned int)K(zone_pcp(zone, smp_processor_id())->count));
        char line[256];
        int n = scnprintf(line, sizeof(line), "lowmem_reserve[]:");
        for (int j = 0; j < MAX_NR_ZONES; j++)
            n += scnprintf(line + n, sizeof(line) - (size_t)n, " %ld", zone->lowmem_reserve[j]);
        printk(KERN_WARNING "%s\n", line);
    }
    for_each_populated_zone(zone) {
        if (nid_filter >= 0 && zone->node != nid_filter)
            continue;
        char line[512];
        unsigned long total = 0;
        int n = scnprintf(line, sizeof(line), "Node %d %s:", zone->node, zone->name);
        for (int o = 0; o < MAX_ORDER; o++) {
            unsigned long nr = zone->free_area[o].nr_free;
            total += nr << o;
            char types[8];
            int t = 0;
            static const char letters[MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'I' };
            for (int mt = 0; mt < MIGRATE_TYPES; mt++)
                if (!list_empty(&zone->free_area[o].free_list[mt]))
                    types[t++] = letters[mt];
            types[t] = 0;
            n += scnprintf(line + n, sizeof(line) - (size_t)n, " %lu*%lukB", nr, K(1ul << o));
            if (t)
                n += scnprintf(line + n, sizeof(line) - (size_t)n, " (%s)", types);
        }
        printk(KERN_WARNING "%s = %lukB\n", line, K(total));
    }
    unsigned long physpages = 0;
    for (unsigned int nid = 0; nid < nr_node_ids; nid++)
        physpages += NODE_DATA(nid)->node_present_pages;
    printk(KERN_WARNING "0 total pagecache pages\n0 pages in swap cache\nFree swap  = 0kB\nTotal swap = 0kB\n");
    printk(KERN_WARNING "%lu pages RAM\n0 pages HighMem/MovableOnly\n%lu pages reserved\n", physpages,
           physpages - totalram_pages());
}
