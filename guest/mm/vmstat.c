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
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/vmalloc.h>
#include <linux/memblock.h>
#include <asm/emu.h>
#include <asm/pgtable.h>
#include "internal.h"

DEFINE_PER_CPU(struct vm_event_state, vm_event_states);

void all_vm_events(unsigned long *ret)
{
    unsigned int cpu;
    memset(ret, 0, NR_VM_EVENT_ITEMS * sizeof(unsigned long));
    for_each_possible_cpu(cpu)
        for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
            ret[i] += per_cpu(vm_event_states, cpu).event[i];
}

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

/* The node counters that are modelled: slab pages, page tables, kernel stacks (in kB, as Linux
 * counts nr_kernel_stack; the boot stacks are on the CPUs' nodes). LRU lists and the page cache
 * come later. */
static unsigned long node_stat_value(int nid, const char *name)
{
    if (nid < 0)   /* what is not kept per node: the kernel stacks (kB) */
        return !strcmp(name, "nr_kernel_stack") ? memblock_stack_pages << (PAGE_SHIFT - 10) : 0;
    if (!strcmp(name, "nr_slab_reclaimable")) return (unsigned long)node_page_state(nid, NR_SLAB_RECLAIMABLE);
    if (!strcmp(name, "nr_slab_unreclaimable")) return (unsigned long)node_page_state(nid, NR_SLAB_UNRECLAIMABLE);
    if (!strcmp(name, "nr_page_table_pages")) return (unsigned long)node_page_state(nid, NR_PAGETABLE);
    return 0;
}

/* Linux's vm_event names after the node and zone counters, in /proc/vmstat's order. */
static const char *const vm_event_names[] = {
    "pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_dma", "pgalloc_dma32",
    "pgalloc_normal", "pgalloc_movable", "pgalloc_device", "allocstall_dma", "allocstall_dma32", "allocstall_normal",
    "allocstall_movable", "allocstall_device", "pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_movable",
    "pgskip_device", "pgfree", "pgactivate", "pgdeactivate", "pglazyfree", "pgfault",
    "pgmajfault", "pglazyfreed", "pgrefill", "pgreuse", "pgsteal_kswapd", "pgsteal_direct",
    "pgsteal_khugepaged", "pgsteal_proactive", "pgscan_kswapd", "pgscan_direct", "pgscan_khugepaged", "pgscan_proactive",
    "pgscan_direct_throttle", "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file", "zone_reclaim_success",
    "zone_reclaim_failed", "pginodesteal", "slabs_scanned", "kswapd_inodesteal", "kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly",
    "pageoutrun", "pgrotated", "drop_pagecache", "drop_slab", "oom_kill", "numa_pte_updates",
    "numa_huge_pte_updates", "numa_hint_faults", "numa_hint_faults_local", "numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail",
    "thp_migration_success", "thp_migration_fail", "thp_migration_split", "compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
    "compact_stall", "compact_fail", "compact_success", "compact_daemon_wake", "compact_daemon_migrate_scanned", "compact_daemon_free_scanned",
    "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail", "unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued", "unevictable_pgs_mlocked",
    "unevictable_pgs_munlocked", "unevictable_pgs_cleared", "unevictable_pgs_stranded", "thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge",
    "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc", "thp_file_fallback", "thp_file_fallback_charge", "thp_file_mapped",
    "thp_split_page", "thp_split_page_failed", "thp_deferred_split_page", "thp_underused_split_page", "thp_split_pmd", "thp_scan_exceed_none_pte",
    "thp_scan_exceed_swap_pte", "thp_scan_exceed_share_pte", "thp_split_pud", "thp_zero_page_alloc", "thp_zero_page_alloc_failed", "thp_swpout",
    "thp_swpout_fallback", "balloon_inflate", "balloon_deflate", "balloon_migrate", "swap_ra", "swap_ra_hit",
    "swpin_zero", "swpout_zero", "ksm_swpin_copy", "cow_ksm", "zswpin", "zswpout",
    "zswpwb", "direct_map_level2_splits", "direct_map_level3_splits", "direct_map_level2_collapses", "direct_map_level3_collapses", "nr_unstable",
};

static unsigned long vm_event_value(const char *name, const unsigned long *ev)
{
    static const struct {
        const char *name;
        enum vm_event_item item;
    } modelled[] = {
        { "pgalloc_dma", PGALLOC_DMA }, { "pgalloc_dma32", PGALLOC_DMA32 }, { "pgalloc_normal", PGALLOC_NORMAL },
        { "pgalloc_movable", PGALLOC_MOVABLE }, { "pgfree", PGFREE },
        { "direct_map_level2_splits", DIRECT_MAP_LEVEL2_SPLITS }, { "direct_map_level3_splits", DIRECT_MAP_LEVEL3_SPLITS },
    };
    for (size_t i = 0; i < ARRAY_SIZE(modelled); i++)
        if (!strcmp(name, modelled[i].name))
            return ev[modelled[i].item];
    return 0;
}

/* /proc/vmstat: the zone counters summed over zones, the node counters over nodes, the dirty
 * thresholds (Linux's defaults: 20% and 10% of dirtyable memory, here free pages minus the high
 * watermarks, there being no page cache), the memmap, then the events summed over CPUs. Every
 * name is Linux's (6.x); what is not modelled prints 0. nr_free_pages is MemFree. */
void vmstat_show(struct seq_buf *m)
{
    static unsigned long ev[NR_VM_EVENT_ITEMS];
    for (size_t i = 0; i < ARRAY_SIZE(zone_stat_names); i++) {
        unsigned long v = 0;
        struct zone *zone;
        for_each_populated_zone(zone)
            v += zone_stat_value(zone, zone_stat_names[i]);
        seq_printf(m, "%s %lu\n", zone_stat_names[i], v);
    }
    for (size_t i = 0; i < ARRAY_SIZE(node_stat_names); i++) {
        unsigned long v = 0;
        for (int nid = 0; nid < (int)nr_node_ids; nid++)
            v += node_stat_value(nid, node_stat_names[i]);
        v += node_stat_value(-1, node_stat_names[i]);
        seq_printf(m, "%s %lu\n", node_stat_names[i], v);
    }
    unsigned long free = nr_free_pages();
    unsigned long dirtyable = free > totalreserve_pages ? free - totalreserve_pages : 0;
    seq_printf(m, "nr_dirty_threshold %lu\n", dirtyable * 20 / 100);
    seq_printf(m, "nr_dirty_background_threshold %lu\n", dirtyable * 10 / 100);
    seq_printf(m, "nr_memmap_pages %lu\n", 0ul);
    seq_printf(m, "nr_memmap_boot_pages %lu\n", memmap_pages_total());
    all_vm_events(ev);
    for (size_t i = 0; i < ARRAY_SIZE(vm_event_names); i++)
        seq_printf(m, "%s %lu\n", vm_event_names[i], vm_event_value(vm_event_names[i], ev));
}

/* /sys/devices/system/node/nodeN/numastat: the page allocator's NUMA counters of the node's zones
 * (mm/page_alloc.c zone_statistics()); there is no interleave policy yet, so interleave_hit is 0. */
void node_numastat_show(struct seq_buf *m, int nid)
{
    unsigned long v[NR_VM_ZONE_STAT_ITEMS] = { 0 };
    for (int z = 0; z < MAX_NR_ZONES; z++)
        for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
            v[i] += (unsigned long)NODE_DATA(nid)->node_zones[z].vm_stat[i];
    seq_printf(m, "numa_hit %lu\nnuma_miss %lu\nnuma_foreign %lu\ninterleave_hit %lu\nlocal_node %lu\nother_node %lu\n",
               v[NUMA_HIT], v[NUMA_MISS], v[NUMA_FOREIGN], 0ul, v[NUMA_LOCAL], v[NUMA_OTHER]);
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
        { "slabinfo", slabinfo_show },
        { "vmstat", vmstat_show },
    };
    for (size_t i = 0; i < ARRAY_SIZE(reports); i++) {
        struct seq_buf s;
        seq_buf_init(&s, report_buf, sizeof(report_buf));
        reports[i].show(&s);
        emu_report(reports[i].name, report_buf, s.len);
    }
    /* /sys/devices/system/node/nodeN/numastat, as files named nodeN_numastat */
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        static char name[32];
        struct seq_buf s;
        seq_buf_init(&s, report_buf, sizeof(report_buf));
        node_numastat_show(&s, nid);
        scnprintf(name, sizeof(name), "node%d_numastat", nid);
        emu_report(name, report_buf, s.len);
    }
}
