/* include/linux/mmzone.h: nodes, zones, free areas and per-CPU page lists.
 *
 * Physical memory is split three ways, as in Linux:
 *   - by NUMA node: one pg_data_t per node (NODE_DATA(nid)), allocated on that node, holding the
 *     node's zones and its zonelists;
 *   - by zone within a node, by what the memory can be used for:
 *       ZONE_DMA      below 16 MiB (ISA DMA),
 *       ZONE_DMA32    below 4 GiB (32-bit DMA),
 *       ZONE_NORMAL   everything else,
 *       ZONE_MOVABLE  a pseudo-zone carved from the top of each node's highest zone by the
 *                     kernelcore= (or movablecore=) boot option, for movable allocations only.
 *     There is no ZONE_HIGHMEM: x86-64 maps all RAM in the direct map (the notes' HIGHMEM is the
 *     32-bit layout), so kmap() is page_address() (linux/highmem.h).
 *   - within a zone, by pageblock (2 MiB, pageblock_order 9), each tagged with a migrate type.
 * Each zone has a buddy allocator (free_area[], mm/page_alloc.c), watermarks, a lowmem reserve
 * against allocations that could have used a higher zone, and per-CPU lists of single pages.
 *
 * MAX_ORDER is used in its pre-6.4 meaning: the number of orders, 11 (orders 0 to 10, blocks up to
 * 4 MiB). Linux 6.4+ calls this NR_PAGE_ORDERS and the largest order MAX_PAGE_ORDER; both names
 * are defined too.
 */
#ifndef _LINUX_MMZONE_H
#define _LINUX_MMZONE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/numa.h>
#include <linux/smp.h>

#define MAX_ORDER 11
#define NR_PAGE_ORDERS MAX_ORDER
#define MAX_PAGE_ORDER (MAX_ORDER - 1)
#define MAX_ORDER_NR_PAGES (1ul << (MAX_ORDER - 1))
#define pageblock_order 9
#define pageblock_nr_pages (1ul << pageblock_order)
#define PAGE_ALLOC_COSTLY_ORDER 3

enum migratetype {
    MIGRATE_UNMOVABLE,
    MIGRATE_MOVABLE,
    MIGRATE_RECLAIMABLE,
    MIGRATE_PCPTYPES,                     /* the number of types on the per-CPU lists */
    MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,   /* reserved for high-order atomic allocations (unused yet) */
    MIGRATE_ISOLATE,                      /* being isolated (memory offlining; unused) */
    MIGRATE_TYPES
};
extern const char *const migratetype_names[MIGRATE_TYPES];

struct free_area {
    struct list_head free_list[MIGRATE_TYPES];
    unsigned long nr_free;                /* blocks of this order, all types */
};

enum zone_type {
    ZONE_DMA,
    ZONE_DMA32,
    ZONE_NORMAL,
    ZONE_MOVABLE,
    MAX_NR_ZONES
};
#define ZONES_SHIFT 2
extern const char *const zone_names[MAX_NR_ZONES];

enum zone_watermarks {
    WMARK_MIN,
    WMARK_LOW,
    WMARK_HIGH,
    WMARK_PROMO,
    NR_WMARK
};

/* Per-CPU list of order-0 pages of one zone (Linux's struct per_cpu_pages). Only its CPU touches
 * it, with interrupts disabled; drain_all_pages() asks each CPU to empty its own. */
struct per_cpu_pages {
    int count;                            /* pages on the lists */
    int high;                             /* above this, give batch pages back to the buddy */
    int batch;                            /* pages moved to or from the buddy at a time */
    int high_min, high_max;               /* bounds of high (Linux tunes high between them) */
    struct list_head lists[MIGRATE_PCPTYPES];
};

/* Zone statistics kept as exact counters (Linux's vm_stat, without per-CPU deltas). */
enum zone_stat_item {
    NR_FREE_PAGES,
    NR_FREE_PAGES_BLOCKS,                 /* free pages in blocks of at least pageblock_order */
    NUMA_HIT,                             /* allocated here, and this was the preferred node */
    NUMA_MISS,                            /* allocated here, another node was preferred */
    NUMA_FOREIGN,                         /* preferred here, allocated elsewhere */
    NUMA_LOCAL,                           /* allocated here by a CPU of this node */
    NUMA_OTHER,                           /* allocated here by a CPU of another node */
    NR_VM_ZONE_STAT_ITEMS
};

/* Node statistics (Linux's node_stat_item, in pages; Linux keeps slab sizes in bytes since 5.9). */
enum node_stat_item {
    NR_SLAB_RECLAIMABLE,                  /* pages of SLAB_RECLAIM_ACCOUNT caches (SReclaimable) */
    NR_SLAB_UNRECLAIMABLE,                /* pages of the other caches (SUnreclaim) */
    NR_PAGETABLE,                         /* page-table pages allocated after boot (PageTables) */
    NR_VM_NODE_STAT_ITEMS
};

struct pglist_data;

struct zone {
    unsigned long _watermark[NR_WMARK];
    unsigned long watermark_boost;
    long lowmem_reserve[MAX_NR_ZONES];    /* pages kept back from allocations that could use zone j */
    int node;
    struct pglist_data *zone_pgdat;
    struct per_cpu_pages *per_cpu_pageset[NR_CPUS];   /* each on its CPU's node */
    u8 *pageblock_flags;                  /* the migrate type of each pageblock */
    unsigned long zone_start_pfn;
    unsigned long spanned_pages;          /* zone_end_pfn - zone_start_pfn, holes included */
    unsigned long present_pages;          /* frames of RAM in the span */
    unsigned long managed_pages;          /* present minus what memblock kept: the buddy's */
    const char *name;
    spinlock_t lock;
    struct free_area free_area[MAX_ORDER];
    long vm_stat[NR_VM_ZONE_STAT_ITEMS];
    unsigned long memmap_pages;           /* struct page frames spent on this zone's pages */
} __aligned(64);

#define min_wmark_pages(z) ((z)->_watermark[WMARK_MIN] + (z)->watermark_boost)
#define low_wmark_pages(z) ((z)->_watermark[WMARK_LOW] + (z)->watermark_boost)
#define high_wmark_pages(z) ((z)->_watermark[WMARK_HIGH] + (z)->watermark_boost)
#define wmark_pages(z, i) ((z)->_watermark[i] + (z)->watermark_boost)

static inline unsigned long zone_end_pfn(const struct zone *z) { return z->zone_start_pfn + z->spanned_pages; }
static inline int zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
    return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z);
}
static inline int populated_zone(const struct zone *z) { return z->present_pages != 0; }
static inline int managed_zone(const struct zone *z) { return z->managed_pages != 0; }
static inline unsigned long zone_managed_pages(const struct zone *z) { return z->managed_pages; }
static inline long zone_page_state(const struct zone *z, enum zone_stat_item i) { return z->vm_stat[i]; }

/* Zonelists: the zones an allocation may use, best first (mm/mm_init.c build_all_zonelists()). */
enum { ZONELIST_FALLBACK, ZONELIST_NOFALLBACK, MAX_ZONELISTS };
#define MAX_ZONES_PER_ZONELIST (MAX_NUMNODES * MAX_NR_ZONES)

struct zoneref {
    struct zone *zone;
    int zone_idx;
};
struct zonelist {
    struct zoneref _zonerefs[MAX_ZONES_PER_ZONELIST + 1];   /* NULL-terminated */
};

typedef struct pglist_data {
    struct zone node_zones[MAX_NR_ZONES];
    struct zonelist node_zonelists[MAX_ZONELISTS];
    int nr_zones;                         /* highest populated zone index + 1 */
    unsigned long node_start_pfn;
    unsigned long node_present_pages;
    unsigned long node_spanned_pages;
    int node_id;
    unsigned long memmap_pages;
    long vm_stat[NR_VM_NODE_STAT_ITEMS];
} pg_data_t;

extern struct pglist_data *node_data[MAX_NUMNODES];
#define NODE_DATA(nid) (node_data[(nid)])

static inline void mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item i, long delta);
static inline long node_page_state(int nid, enum node_stat_item i);

static inline int zone_idx(const struct zone *z) { return (int)(z - z->zone_pgdat->node_zones); }
static inline int zone_to_nid(const struct zone *z) { return z->node; }

#define for_each_zone_in_node(z, pgdat) for ((z) = (pgdat)->node_zones; (z) < (pgdat)->node_zones + MAX_NR_ZONES; (z)++)
#define for_each_populated_zone(z)                                                               \
    for (int __nid = 0; __nid < (int)nr_node_ids; __nid++)                                       \
        for ((z) = NODE_DATA(__nid)->node_zones; (z) < NODE_DATA(__nid)->node_zones + MAX_NR_ZONES; (z)++) \
            if (populated_zone(z))

static inline void mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item i, long delta)
{
    __atomic_add_fetch(&pgdat->vm_stat[i], delta, __ATOMIC_RELAXED);
}
static inline long node_page_state(int nid, enum node_stat_item i) { return READ_ONCE(NODE_DATA(nid)->vm_stat[i]); }

/* This CPU's per-CPU pages of a zone. */
#define zone_pcp(z, cpu) ((z)->per_cpu_pageset[(cpu)])

extern int movable_zone;
extern unsigned long zone_movable_pfn[MAX_NUMNODES];
extern int min_free_kbytes;
extern int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES];
extern int watermark_scale_factor;

#endif
