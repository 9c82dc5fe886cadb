/* mm/vmstat.c: /proc/buddyinfo, /proc/pagetypeinfo and /proc/zoneinfo.
 *
 * The formats are Linux's, byte for byte (samples in ../shared/reference/proc/): buddyinfo lists,
 * per populated zone, the free blocks of each order; pagetypeinfo the same per migrate type, then
 * the pageblocks of each type; zoneinfo each zone's free pages, watermarks, spans, protection
 * (lowmem_reserve), counters and per-CPU lists. All three count the buddy's free pages only (the
 * pages on per-CPU lists are not free in Linux's accounting either), so buddyinfo's sum of
 * count << order, zoneinfo's "pages free" and meminfo's MemFree agree.
 * Counters the kernel does not model yet (LRU, slab, file pages, reclaim and migration events)
 * print as 0; docs/GUEST_MM.md lists them.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/seq_buf.h>
#include <asm/emu.h>
#include "internal.h"

void seq_printf(struct seq_buf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (s->len < s->size) {
        int n = vsnprintf(s->buffer + s->len, s->size - s->len, fmt, ap);
        s->len = min(s->len + (size_t)n, s->size - 1);
    }
    va_end(ap);
}

void seq_puts(struct seq_buf *s, const char *str)
{
    seq_printf(s, "%s", str);
}

void buddyinfo_show(struct seq_buf *s)
{
    for (unsigned int n = 0; n < nr_node_ids; n++)
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            struct zone *zone = &NODE_DATA(n)->node_zones[z];
            if (!populated_zone(zone))
                continue;
            seq_printf(s, "Node %u, zone %8s ", n, zone->name);
            for (int o = 0; o < MAX_ORDER; o++)
                seq_printf(s, "%6lu ", zone->free_area[o].nr_free);
            seq_puts(s, "\n");
        }
}

void pagetypeinfo_show(struct seq_buf *s)
{
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        pg_data_t *pgdat = NODE_DATA(n);
        if (!pgdat->node_present_pages)
            continue;
        seq_printf(s, "Page block order: %d\n", pageblock_order);
        seq_printf(s, "Pages per block:  %lu\n", pageblock_nr_pages);
        seq_puts(s, "\n");
        seq_printf(s, "%-43s ", "Free pages count per migrate type at order");
        for (int o = 0; o < MAX_ORDER; o++)
            seq_printf(s, "%6d ", o);
        seq_puts(s, "\n");
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            struct zone *zone = &pgdat->node_zones[z];
            if (!populated_zone(zone))
                continue;
            for (int t = 0; t < MIGRATE_TYPES; t++) {
                seq_printf(s, "Node %4u, zone %8s, type %12s ", n, zone->name, migratetype_names[t]);
                for (int o = 0; o < MAX_ORDER; o++)
                    seq_printf(s, "%6lu ", zone_free_count(zone, (unsigned int)o, t));
                seq_puts(s, "\n");
            }
        }
        seq_printf(s, "\n%-23s", "Number of blocks type ");
        for (int t = 0; t < MIGRATE_TYPES; t++)
            seq_printf(s, "%12s ", migratetype_names[t]);
        seq_puts(s, "\n");
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            struct zone *zone = &pgdat->node_zones[z];
            if (!populated_zone(zone))
                continue;
            unsigned long count[MIGRATE_TYPES] = { 0 };
            unsigned long start = ALIGN(zone->zone_start_pfn, pageblock_nr_pages);
            for (unsigned long pfn = start; pfn < zone_end_pfn(zone); pfn += pageblock_nr_pages) {
                if (!pfn_valid(pfn) || page_zone(pfn_to_page(pfn)) != zone)
                    continue;
                count[get_pageblock_migratetype(pfn_to_page(pfn))]++;
            }
            seq_printf(s, "Node %u, zone %8s ", n, zone->name);
            for (int t = 0; t < MIGRATE_TYPES; t++)
                seq_printf(s, "%12lu ", count[t]);
            seq_puts(s, "\n");
        }
    }
}

static const char *const node_stat_names[] = {
    "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
    "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file", "workingset_nodes",
    "workingset_refault_anon", "workingset_refault_file", "workingset_activate_anon", "workingset_activate_file",
    "workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
    "nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped",
    "nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages", "nr_vmscan_write",
    "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable",
    "nr_foll_pin_acquired", "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages",
    "nr_sec_page_table_pages", "nr_iommu_pages", "nr_swapcached", "pgpromote_success", "pgpromote_candidate",
    "pgpromote_candidate_nrl", "pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged", "pgdemote_proactive",
    "nr_hugetlb", "nr_balloon_pages", "nr_kernel_file_pages",
};

static const char *const zone_stat_names[] = {
    "nr_free_pages", "nr_free_pages_blocks", "nr_zone_inactive_anon", "nr_zone_active_anon",
    "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock",
    "nr_zspages", "nr_free_cma", "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local",
    "numa_other",
};

static unsigned long zone_stat_value(const struct zone *zone, const char *name)
{
    if (!strcmp(name, "nr_free_pages")) return (unsigned long)zone->vm_stat[NR_FREE_PAGES];
    if (!strcmp(name, "nr_free_pages_blocks")) return (unsigned long)zone->vm_stat[NR_FREE_PAGES_BLOCKS];
    if (!strcmp(name, "numa_hit")) return (unsigned long)zone->vm_stat[NUMA_HIT];
    if (!strcmp(name, "numa_miss")) return (unsigned long)zone->vm_stat[NUMA_MISS];
    if (!strcmp(name, "numa_foreign")) return (unsigned long)zone->vm_stat[NUMA_FOREIGN];
    if (!strcmp(name, "numa_local")) return (unsigned long)zone->vm_stat[NUMA_LOCAL];
    if (!strcmp(name, "numa_other")) return (unsigned long)zone->vm_stat[NUMA_OTHER];
    return 0;
}

/* No node counter is modelled yet (LRU lists, slab, page cache come later). */
static unsigned long node_stat_value(int nid, const char *name)
{
    (void)nid;
    (void)name;
    return 0;
}

void zoneinfo_show(struct seq_buf *s)
{
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        pg_data_t *pgdat = NODE_DATA(n);
        int first = 1;
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            struct zone *zone = &pgdat->node_zones[z];
            seq_printf(s, "Node %u, zone %8s", n, zone->name);
            if (populated_zone(zone) && first) {
                first = 0;
                seq_puts(s, "\n  per-node stats");
                for (size_t i = 0; i < ARRAY_SIZE(node_stat_names); i++)
                    seq_printf(s, "\n      %-12s %lu", node_stat_names[i], node_stat_value((int)n, node_stat_names[i]));
            }
            seq_printf(s, "\n  pages free     %lu\n        boost    %lu\n        min      %lu\n        low      %lu"
                          "\n        high     %lu\n        promo    %lu\n        spanned  %lu\n        present  %lu"
                          "\n        managed  %lu\n        cma      %lu",
                       (unsigned long)zone->vm_stat[NR_FREE_PAGES], zone->watermark_boost, min_wmark_pages(zone),
                       low_wmark_pages(zone), high_wmark_pages(zone), wmark_pages(zone, WMARK_PROMO),
                       zone->spanned_pages, zone->present_pages, zone_managed_pages(zone), 0ul);
            seq_printf(s, "\n        protection: (%ld", zone->lowmem_reserve[0]);
            for (int j = 1; j < MAX_NR_ZONES; j++)
                seq_printf(s, ", %ld", zone->lowmem_reserve[j]);
            seq_puts(s, ")");
            if (!populated_zone(zone)) {
                seq_puts(s, "\n");
                continue;
            }
            for (size_t i = 0; i < ARRAY_SIZE(zone_stat_names); i++)
                seq_printf(s, "\n      %-12s %lu", zone_stat_names[i], zone_stat_value(zone, zone_stat_names[i]));
            seq_puts(s, "\n  pagesets");
            for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
                struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
                seq_printf(s, "\n    cpu: %u\n              count:    %d\n              high:     %d"
                              "\n              batch:    %d\n              high_min: %d\n              high_max: %d",
                           cpu, pcp->count, pcp->high, pcp->batch, pcp->high_min, pcp->high_max);
                seq_printf(s, "\n  vm stats threshold: %d", 0);
            }
            seq_printf(s, "\n  node_unreclaimable:  %u\n  start_pfn:           %lu\n", 0u, zone->zone_start_pfn);
        }
    }
}

static char report_buf[256 * 1024];

void mm_reports_emit(void)
{
    static const struct {
        const char *name;
        void (*show)(struct seq_buf *);
    } reports[] = {
        { "buddyinfo", buddyinfo_show },
        { "zoneinfo", zoneinfo_show },
        { "pagetypeinfo", pagetypeinfo_show },
        { "meminfo", meminfo_show },
    };
    for (size_t i = 0; i < ARRAY_SIZE(reports); i++) {
        struct seq_buf s;
        seq_buf_init(&s, report_buf, sizeof(report_buf));
        reports[i].show(&s);
        emu_report(reports[i].name, report_buf, s.len);
    }
}
