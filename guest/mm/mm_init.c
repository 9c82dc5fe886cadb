/* mm/mm_init.c: nodes, zones and the memmap at boot; zonelists; watermarks; handing memory over.
 *
 * free_area_init() (called by setup_arch() after the direct map and sparse_init()) does what
 * Linux's free_area_init() does:
 *   1. The zone boundaries: ZONE_DMA below 16 MiB, ZONE_DMA32 below 4 GiB, ZONE_NORMAL above;
 *      with kernelcore= (or movablecore=) on the command line, ZONE_MOVABLE takes the top of each
 *      node's highest zone (find_zone_movable_pfns_for_nodes(), below).
 *   2. For each node, a pg_data_t allocated on that node, and for each zone the intersection of
 *      its boundaries with the node's span: zone_start_pfn, spanned_pages (holes included),
 *      present_pages (RAM only). Zones that get no RAM stay empty (not populated) but exist, as in
 *      Linux, so every node has node_zones[MAX_NR_ZONES].
 *   3. memmap_init(): every struct page of every present section is written once: its section,
 *      node and zone in flags, PG_reserved, _refcount 1, _mapcount -1, an empty lru. Every
 *      pageblock starts MIGRATE_MOVABLE. Nothing is free yet: memblock_free_all() later clears
 *      PG_reserved on the free frames and gives them to the buddy allocator.
 *   4. The memmap's cost per zone is printed ("DMA32 zone: 1024 pages used for memmap"), the
 *      pages of Linux's calculate_node_totalpages()/free_area_init_core() report.
 * Boot speed: writing 2 million struct pages (8 GiB) is ~5 stores each, well under a second of
 * emulated time; Linux's deferred struct page init (CONFIG_DEFERRED_STRUCT_PAGE_INIT: only the
 * first gigabytes at boot, the rest by a kernel thread per node) would be the next step if nodes
 * grow much larger.
 *
 * Zonelists (build_all_zonelists()): for each node, the zones an allocation may fall back to, best
 * first: the nodes in order of SLIT distance (the local node first, ties broken by walking the
 * node ids from the local node upward, which spreads equal-distance fallback across nodes as
 * Linux's node_load does), and within each node its zones from the highest to the lowest. An
 * allocation walks the list from its highest allowed zone (gfp_zone()) downward, so a GFP_KERNEL
 * request prefers the local node's NORMAL, then its DMA32 and DMA, then the next node's zones.
 * ZONELIST_NOFALLBACK holds only the node's own zones (for __GFP_THISNODE).
 *
 * Watermarks (setup_per_zone_wmarks()), as Linux computes them:
 *   min_free_kbytes = sqrt(16 * lowmem_kbytes), within [128, 262144] (init_per_zone_wmark_min());
 *   each zone's WMARK_MIN is its share of min_free_kbytes, pro rata of its managed pages among
 *   the non-movable zones (ZONE_MOVABLE: managed/1024 within [32, 128] pages);
 *   low = min + max(min / 4, managed * watermark_scale_factor / 10000), high = low + that step,
 *   promo = high + that step (watermark_scale_factor 10 = 0.1%).
 * lowmem_reserve (setup_per_zone_lowmem_reserve()): zone i keeps back, from allocations whose
 * highest zone is j > i, the managed pages of zones i+1..j divided by sysctl_lowmem_reserve_ratio[i]
 * (256 for DMA and DMA32, 32 for NORMAL): /proc/zoneinfo's "protection". So a GFP_KERNEL request
 * falling back from NORMAL cannot empty DMA32, and nothing but GFP_DMA can empty DMA.
 *
 * Per-CPU lists (zone_pcp_init()): batch = (managed / 1024, at most 256) / 4, rounded to 2^n - 1
 * (63 for a gigabyte zone); high = low watermark / CPUs of the zone's node, at least 4 * batch;
 * high_max = managed / 8 / CPUs (Linux's zone_batchsize() and zone_highsize()).
 */
#define pr_fmt(fmt) fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <asm/emu.h>
#include <asm/setup.h>
#include <asm/smp.h>
#include <asm/pgtable.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };
const char *const migratetype_names[MIGRATE_TYPES] = { "Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate" };

struct pglist_data *node_data[MAX_NUMNODES];
unsigned int nr_node_ids = 1;
int movable_zone;
unsigned long zone_movable_pfn[MAX_NUMNODES];
static unsigned long required_kernelcore, required_movablecore;
int min_free_kbytes = 1024;
int watermark_scale_factor = 10;
int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };
static unsigned long arch_zone_lowest_possible_pfn[MAX_NR_ZONES];
static unsigned long arch_zone_highest_possible_pfn[MAX_NR_ZONES];
unsigned long memmap_pages_on_node(int nid);

#define MAX_DMA_PFN (16ul << (20 - PAGE_SHIFT))
#define MAX_DMA32_PFN (4ul << (30 - PAGE_SHIFT))

int node_distance(int a, int b)
{
    return boot_info.distance[a][b];
}

/* "kernelcore=512M" and friends: a size with an optional K, M, G suffix. */
static unsigned long long memparse(const char *s)
{
    unsigned long long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned long long)(*s++ - '0');
    switch (*s) {
    case 'G': case 'g': v <<= 10; /* fall through */
    case 'M': case 'm': v <<= 10; /* fall through */
    case 'K': case 'k': v <<= 10; break;
    default: break;
    }
    return v;
}

/* Is `word` on the command line on its own (a flag without "=value")? */
int cmdline_has_word(const char *word)
{
    size_t n = strlen(word);
    for (const char *s = boot_command_line; *s;) {
        while (*s == ' ')
            s++;
        if (!strncmp(s, word, n) && (s[n] == ' ' || !s[n]))
            return 1;
        while (*s && *s != ' ')
            s++;
    }
    return 0;
}

static void get_pfn_range_for_nid(int nid, unsigned long *start, unsigned long *end)
{
    *start = ~0ul;
    *end = 0;
    for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
        const struct memblock_region *r = &memblock.memory.regions[i];
        if (r->nid != nid)
            continue;
        *start = min(*start, (unsigned long)PFN_UP(r->base));
        *end = max(*end, (unsigned long)PFN_DOWN(r->base + r->size));
    }
    if (*start == ~0ul)
        *start = 0;
}

/* RAM pages of node nid in [start, end). */
static unsigned long ram_pages_in_range(int nid, unsigned long start, unsigned long end)
{
    unsigned long sum = 0;
    for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
        const struct memblock_region *r = &memblock.memory.regions[i];
        if (nid != NUMA_NO_NODE && r->nid != nid)
            continue;
        unsigned long rs = max(start, (unsigned long)PFN_UP(r->base));
        unsigned long re = min(end, (unsigned long)PFN_DOWN(r->base + r->size));
        if (rs < re)
            sum += re - rs;
    }
    return sum;
}

/* ZONE_MOVABLE (Linux's find_zone_movable_pfns_for_nodes(), one pass): kernelcore=SIZE keeps
 * SIZE of memory usable by the kernel, spread evenly over the nodes that have memory; the rest of
 * each node's highest zone becomes ZONE_MOVABLE. Memory in the lower zones counts as kernel
 * memory. movablecore=SIZE is the complement (kernelcore = total - SIZE). Each node's start of
 * ZONE_MOVABLE is rounded up to MAX_ORDER_NR_PAGES. */
static void find_zone_movable_pfns_for_nodes(void)
{
    char val[32];
    if (cmdline_get("kernelcore", val, sizeof(val)))
        required_kernelcore = PFN_DOWN(memparse(val));
    if (cmdline_get("movablecore", val, sizeof(val)))
        required_movablecore = PFN_DOWN(memparse(val));
    unsigned long total = ram_pages_in_range(NUMA_NO_NODE, 0, ~0ul);
    if (required_movablecore && !required_kernelcore)
        required_kernelcore = total > required_movablecore ? total - required_movablecore : 0;
    /* the highest populated zone, from which ZONE_MOVABLE is taken */
    movable_zone = ZONE_DMA;
    for (int z = ZONE_NORMAL; z > ZONE_DMA; z--)
        if (ram_pages_in_range(NUMA_NO_NODE, arch_zone_lowest_possible_pfn[z], arch_zone_highest_possible_pfn[z])) {
            movable_zone = z;
            break;
        }
    if (!required_kernelcore || required_kernelcore >= total)
        return;
    unsigned int usable_nodes = 0;
    for (unsigned int n = 0; n < nr_node_ids; n++)
        if (ram_pages_in_range((int)n, 0, ~0ul))
            usable_nodes++;
    unsigned long kernelcore_node = DIV_ROUND_UP(required_kernelcore, usable_nodes);
    unsigned long usable_startpfn = arch_zone_lowest_possible_pfn[movable_zone];
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        unsigned long start, end, remaining = kernelcore_node;
        get_pfn_range_for_nid((int)n, &start, &end);
        if (start >= end)
            continue;
        /* pages below the movable zone are kernel memory already */
        unsigned long below = ram_pages_in_range((int)n, 0, usable_startpfn);
        remaining = remaining > below ? remaining - below : 0;
        unsigned long pfn = max(start, usable_startpfn);
        /* walk RAM upward from the movable zone's start until `remaining` pages are kept */
        for (unsigned long i = 0; i < memblock.memory.cnt && remaining; i++) {
            const struct memblock_region *r = &memblock.memory.regions[i];
            if (r->nid != (int)n)
                continue;
            unsigned long rs = max(pfn, (unsigned long)PFN_UP(r->base)), re = PFN_DOWN(r->base + r->size);
            if (rs >= re)
                continue;
            unsigned long take = min(re - rs, remaining);
            remaining -= take;
            pfn = rs + take;
        }
        pfn = ALIGN(pfn, MAX_ORDER_NR_PAGES);
        if (pfn < end)
            zone_movable_pfn[n] = pfn;
    }
}

/* The span of zone zid on node nid (Linux's zone_spanned_pages_in_node() with
 * adjust_zone_range_for_zone_movable()). */
static void zone_span_in_node(int nid, int zid, unsigned long node_start, unsigned long node_end,
                              unsigned long *zs, unsigned long *ze)
{
    unsigned long lo = arch_zone_lowest_possible_pfn[zid], hi = arch_zone_highest_possible_pfn[zid];
    if (zone_movable_pfn[nid]) {
        if (zid == ZONE_MOVABLE) {
            lo = zone_movable_pfn[nid];
            hi = node_end;
        } else if (zid == movable_zone) {
            hi = min(hi, zone_movable_pfn[nid]);
        } else if (zid > movable_zone) {
            hi = lo;
        }
    }
    *zs = max(lo, node_start);
    *ze = min(hi, node_end);
    if (*zs >= *ze)
        *zs = *ze = 0;
}

struct zone_span {
    unsigned long start, end;
    int nid, zid;
};
static struct zone_span spans[MAX_NUMNODES * MAX_NR_ZONES];
static unsigned int nr_spans;

static enum zone_type zone_by_address(unsigned long pfn)
{
    return pfn < MAX_DMA_PFN ? ZONE_DMA : pfn < MAX_DMA32_PFN ? ZONE_DMA32 : ZONE_NORMAL;
}

/* Write every struct page of every present section (Linux's memmap_init() with
 * __init_single_page() and init_unavailable_range()). Frames inside a zone's span get that zone
 * and node; the others (holes) the section's node and the zone their address would have. */
static void memmap_init(void)
{
    unsigned int cur = 0;
    for (unsigned long sec = 0; sec < nr_mem_sections; sec++) {
        if (!mem_section[sec].section_mem_map)
            continue;
        unsigned long start = section_nr_to_pfn(sec), end = mem_section[sec].end_pfn;
        unsigned long pfn = start;
        while (pfn < end) {
            while (cur < nr_spans && spans[cur].end <= pfn)
                cur++;
            unsigned long stop;
            int nid, zid;
            if (cur < nr_spans && spans[cur].start <= pfn) {
                stop = min(end, spans[cur].end);
                nid = spans[cur].nid;
                zid = spans[cur].zid;
            } else {
                stop = cur < nr_spans ? min(end, spans[cur].start) : end;
                nid = mem_section[sec].nid;
                zid = zone_by_address(pfn);
                if (zid == ZONE_DMA && stop > MAX_DMA_PFN)
                    stop = MAX_DMA_PFN;
                else if (zid == ZONE_DMA32 && stop > MAX_DMA32_PFN)
                    stop = MAX_DMA32_PFN;
            }
            unsigned long links = ((unsigned long)zid << ZONES_PGSHIFT) | ((unsigned long)nid << NODES_PGSHIFT) |
                                  (sec << SECTIONS_PGSHIFT) | (1ul << PG_reserved);
            struct page *page = pfn_to_page(pfn);
            for (; pfn < stop; pfn++, page++) {
                page->flags = links;
                page->lru.next = &page->lru;
                page->lru.prev = &page->lru;
                page->mapping = NULL;
                page->index = 0;
                page->private = 0;
                page->page_type = PAGE_TYPE_NONE;
                page->_refcount.counter = 1;
                page->memcg_data = 0;
            }
        }
    }
}

static void zone_init_free_lists(struct zone *zone)
{
    for (int o = 0; o < MAX_ORDER; o++) {
        for (int t = 0; t < MIGRATE_TYPES; t++)
            INIT_LIST_HEAD(&zone->free_area[o].free_list[t]);
        zone->free_area[o].nr_free = 0;
    }
}

void init_zone_struct(struct zone *zone, int nid, struct pglist_data *pgdat, int zid)
{
    zone->node = nid;
    zone->zone_pgdat = pgdat;
    zone->name = zone_names[zid];
    spin_lock_init(&zone->lock);
    zone_init_free_lists(zone);
}

void free_area_init(void)
{
    nr_node_ids = boot_info.nr_nodes;
    unsigned long limits[MAX_NR_ZONES] = { MAX_DMA_PFN, MAX_DMA32_PFN, ~0ul >> PAGE_SHIFT, 0 };
    unsigned long prev = 0;
    for (int z = 0; z < ZONE_MOVABLE; z++) {
        arch_zone_lowest_possible_pfn[z] = prev;
        arch_zone_highest_possible_pfn[z] = max(prev, min(limits[z], max_pfn));
        prev = arch_zone_highest_possible_pfn[z];
    }
    find_zone_movable_pfns_for_nodes();

    pr_info("Zone ranges:\n");
    for (int z = 0; z < ZONE_MOVABLE; z++) {
        if (arch_zone_lowest_possible_pfn[z] == arch_zone_highest_possible_pfn[z])
            pr_info("  %-8s empty\n", zone_names[z]);
        else
            pr_info("  %-8s [mem %#018lx-%#018lx]\n", zone_names[z], arch_zone_lowest_possible_pfn[z] << PAGE_SHIFT,
                    (arch_zone_highest_possible_pfn[z] << PAGE_SHIFT) - 1);
    }
    pr_info("Movable zone start for each node\n");
    for (unsigned int n = 0; n < nr_node_ids; n++)
        if (zone_movable_pfn[n])
            pr_info("  Node %u: %#018lx\n", n, zone_movable_pfn[n] << PAGE_SHIFT);
    pr_info("Early memory node ranges\n");
    for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
        const struct memblock_region *r = &memblock.memory.regions[i];
        pr_info("  node %3d: [mem %#018llx-%#018llx]\n", r->nid, (unsigned long long)r->base,
                (unsigned long long)(r->base + r->size - 1));
    }

    for (unsigned int n = 0; n < nr_node_ids; n++) {
        int nid = (int)n;
        unsigned long start, end;
        get_pfn_range_for_nid(nid, &start, &end);
        pg_data_t *pgdat = memblock_alloc_node(sizeof(pg_data_t), 64, nid);
        node_data[nid] = pgdat;
        pgdat->node_id = nid;
        pgdat->node_start_pfn = start;
        pgdat->node_spanned_pages = end > start ? end - start : 0;
        pgdat->memmap_pages = memmap_pages_on_node(nid);
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            struct zone *zone = &pgdat->node_zones[z];
            init_zone_struct(zone, nid, pgdat, z);
            unsigned long zs, ze;
            zone_span_in_node(nid, z, start, end, &zs, &ze);
            zone->zone_start_pfn = zs;
            zone->spanned_pages = ze - zs;
            zone->present_pages = ram_pages_in_range(nid, zs, ze);
            pgdat->node_present_pages += zone->present_pages;
            if (zone->present_pages)
                pgdat->nr_zones = z + 1;
            if (zone->spanned_pages) {
                unsigned long first_block = zs >> pageblock_order;
                unsigned long nblocks = ((ze - 1) >> pageblock_order) - first_block + 1;
                zone->pageblock_flags = memblock_alloc_node(nblocks, 8, nid);
                for (unsigned long b = 0; b < nblocks; b++)
                    zone->pageblock_flags[b] = MIGRATE_MOVABLE;
                spans[nr_spans++] = (struct zone_span){ zs, ze, nid, z };
                zone->memmap_pages = DIV_ROUND_UP(zone->spanned_pages * sizeof(struct page), PAGE_SIZE);
            }
        }
    }
    /* sort the spans by start (insertion sort: a few dozen entries) */
    for (unsigned int i = 1; i < nr_spans; i++)
        for (unsigned int j = i; j > 0 && spans[j - 1].start > spans[j].start; j--) {
            struct zone_span t = spans[j];
            spans[j] = spans[j - 1];
            spans[j - 1] = t;
        }
    memmap_init();

    for (unsigned int n = 0; n < nr_node_ids; n++) {
        pg_data_t *pgdat = NODE_DATA(n);
        pr_info("On node %u, %lu pages of memmap on the node (%lu KiB)\n", n, pgdat->memmap_pages,
                pgdat->memmap_pages << (PAGE_SHIFT - 10));
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            struct zone *zone = &pgdat->node_zones[z];
            if (!zone->present_pages)
                continue;
            pr_info("On node %u, zone %s: %lu pages used for memmap, %lu present, %lu spanned\n", n, zone->name,
                    zone->memmap_pages, zone->present_pages, zone->spanned_pages);
        }
    }
}

/* ---- zonelists --------------------------------------------------------------------------------- */

static void build_zonerefs_node(pg_data_t *pgdat, struct zoneref *zr, int *nr)
{
    for (int z = MAX_NR_ZONES - 1; z >= 0; z--) {
        struct zone *zone = &pgdat->node_zones[z];
        if (populated_zone(zone)) {
            zr[*nr].zone = zone;
            zr[*nr].zone_idx = z;
            (*nr)++;
        }
    }
}

void build_all_zonelists(void)
{
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        int order[MAX_NUMNODES];
        for (unsigned int i = 0; i < nr_node_ids; i++)
            order[i] = (int)((n + i) % nr_node_ids);   /* local first, then upward with wrap */
        for (unsigned int i = 1; i < nr_node_ids; i++)  /* stable sort by distance */
            for (unsigned int j = i; j > 1 && node_distance((int)n, order[j - 1]) > node_distance((int)n, order[j]); j--) {
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        pg_data_t *pgdat = NODE_DATA(n);
        int nr = 0;
        struct zoneref *zr = pgdat->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
        char line[256];
        int len = 0;
        for (unsigned int i = 0; i < nr_node_ids; i++) {
            build_zonerefs_node(NODE_DATA(order[i]), zr, &nr);
            len += scnprintf(line + len, sizeof(line) - (size_t)len, " %d", order[i]);
        }
        zr[nr].zone = NULL;
        int nr2 = 0;
        struct zoneref *zr2 = pgdat->node_zonelists[ZONELIST_NOFALLBACK]._zonerefs;
        build_zonerefs_node(pgdat, zr2, &nr2);
        zr2[nr2].zone = NULL;
        pr_info("Fallback order for Node %u:%s\n", n, line);
    }
    unsigned long total = 0;
    struct zone *zone;
    for_each_populated_zone(zone)
        total += zone->present_pages;
    pr_info("Built %u zonelists, mobility grouping on.  Total pages: %lu\n", nr_node_ids, total);
}

/* ---- watermarks, reserves, per-CPU lists --------------------------------------------------------- */

static unsigned long int_sqrt(unsigned long x)
{
    unsigned long r = 0;
    for (unsigned long b = 1ul << 62; b; b >>= 2) {
        if (x >= r + b) {
            x -= r + b;
            r = (r >> 1) + b;
        } else {
            r >>= 1;
        }
    }
    return r;
}

unsigned long totalreserve_pages;

static void calculate_totalreserve_pages(void)
{
    totalreserve_pages = 0;
    struct zone *zone;
    for_each_populated_zone(zone) {
        long max = 0;
        for (int j = zone_idx(zone); j < MAX_NR_ZONES; j++)
            if (zone->lowmem_reserve[j] > max)
                max = zone->lowmem_reserve[j];
        unsigned long r = (unsigned long)max + high_wmark_pages(zone);
        if (r > zone->managed_pages)
            r = zone->managed_pages;
        totalreserve_pages += r;
    }
}

static void setup_per_zone_lowmem_reserve(void)
{
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        pg_data_t *pgdat = NODE_DATA(n);
        for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
            struct zone *zone = &pgdat->node_zones[i];
            int ratio = sysctl_lowmem_reserve_ratio[i];
            bool clear = !ratio || !zone_managed_pages(zone);
            unsigned long managed = 0;
            for (int j = i + 1; j < MAX_NR_ZONES; j++) {
                managed += zone_managed_pages(&pgdat->node_zones[j]);
                zone->lowmem_reserve[j] = clear ? 0 : (long)(managed / (unsigned long)ratio);
            }
        }
    }
    calculate_totalreserve_pages();
}

/* Tell the emulator the zones and their watermarks (guest/abi.h EMU_CALL_ZONE_INFO), for the
 * visualizer's free-pages-against-watermarks view; it counts each zone's free pages itself from the
 * mm annotations. */
static void report_zones_to_emulator(void)
{
    static struct emu_zone_info info[EMU_MAX_ZONES];
    unsigned int n = 0;
    struct zone *zone;
    for_each_populated_zone(zone) {
        if (n == EMU_MAX_ZONES)
            break;
        int idx = zone_idx(zone);
        info[n++] = (struct emu_zone_info){
            .node = (uint32_t)zone_to_nid(zone),
            .type = idx == ZONE_DMA ? EMU_ZONE_TYPE_DMA : idx == ZONE_DMA32 ? EMU_ZONE_TYPE_DMA32
                    : idx == ZONE_NORMAL ? EMU_ZONE_TYPE_NORMAL : EMU_ZONE_TYPE_MOVABLE,
            .start_pfn = zone->zone_start_pfn,
            .spanned_pages = zone->spanned_pages,
            .present_pages = zone->present_pages,
            .managed_pages = zone_managed_pages(zone),
            .wmark_min = zone->_watermark[WMARK_MIN],
            .wmark_low = zone->_watermark[WMARK_LOW],
            .wmark_high = zone->_watermark[WMARK_HIGH],
        };
    }
    emu_call(EMU_CALL_ZONE_INFO, __pa(info), n, 0, 0, 0, 0);
}

void setup_per_zone_wmarks(void)
{
    unsigned long pages_min = (unsigned long)min_free_kbytes >> (PAGE_SHIFT - 10);
    unsigned long lowmem_pages = 0;
    struct zone *zone;
    for_each_populated_zone(zone)
        if (zone_idx(zone) != ZONE_MOVABLE)
            lowmem_pages += zone_managed_pages(zone);
    for_each_populated_zone(zone) {
        unsigned long managed = zone_managed_pages(zone);
        unsigned long tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
        if (zone_idx(zone) == ZONE_MOVABLE) {
            unsigned long m = managed / 1024;
            zone->_watermark[WMARK_MIN] = m < 32 ? 32 : m > 128 ? 128 : m;
        } else {
            zone->_watermark[WMARK_MIN] = tmp;
        }
        unsigned long step = max(tmp >> 2, managed * (unsigned long)watermark_scale_factor / 10000);
        zone->watermark_boost = 0;
        zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + step;
        zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + step;
        zone->_watermark[WMARK_PROMO] = zone->_watermark[WMARK_HIGH] + step;
    }
    calculate_totalreserve_pages();
    report_zones_to_emulator();
}

static void init_per_zone_wmark_min(void)
{
    unsigned long lowmem_kbytes = 0;
    struct zone *zone;
    for_each_populated_zone(zone)
        if (zone_idx(zone) <= ZONE_NORMAL)
            lowmem_kbytes += zone_managed_pages(zone) << (PAGE_SHIFT - 10);
    unsigned long v = int_sqrt(lowmem_kbytes * 16);
    min_free_kbytes = (int)(v < 128 ? 128 : v > 262144 ? 262144 : v);
    setup_per_zone_wmarks();
    setup_per_zone_lowmem_reserve();
}

static int zone_batchsize(const struct zone *zone)
{
    unsigned long batch = min(zone_managed_pages(zone) >> 10, 256ul);
    batch /= 4;
    if (batch < 1)
        batch = 1;
    unsigned long b = batch + batch / 2, p = 1;
    while (p * 2 <= b)
        p *= 2;
    return (int)(p - 1 ? p - 1 : 1);
}

static unsigned int cpus_of_node(int nid)
{
    unsigned int n = 0;
    for (unsigned int c = 0; c < nr_cpu_ids; c++)
        if ((int)boot_info.cpu[c].node == nid)
            n++;
    return n ? n : nr_cpu_ids;
}

void setup_per_cpu_pageset(void)
{
    struct zone *zone;
    for (unsigned int n = 0; n < nr_node_ids; n++)
        for (int z = 0; z < MAX_NR_ZONES; z++) {
            zone = &NODE_DATA(n)->node_zones[z];
            int batch = zone_batchsize(zone);
            unsigned int cpus = cpus_of_node(zone->node);
            int high = (int)(low_wmark_pages(zone) / cpus);
            if (high < 4 * batch)
                high = 4 * batch;
            int high_max = (int)(zone_managed_pages(zone) / 8 / cpus);
            if (high_max < high)
                high_max = high;
            for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
                struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
                if (!pcp)
                    continue;
                pcp->count = 0;
                pcp->batch = batch;
                pcp->high = high;
                pcp->high_min = high;
                pcp->high_max = high_max;
                for (int t = 0; t < MIGRATE_PCPTYPES; t++)
                    INIT_LIST_HEAD(&pcp->lists[t]);
            }
        }
}

extern unsigned long fail_page_alloc_nth;
void __free_pages_core(struct page *page, unsigned int order);

/* Give every free page to the buddy allocator (Linux's memblock_free_all()): each free range in
 * the largest naturally aligned blocks that fit. */
void memblock_free_all(void)
{
    u64 idx = 0;
    phys_addr_t s, e;
    while (memblock_next_free_range(&idx, NUMA_NO_NODE, &s, &e)) {
        unsigned long pfn = PFN_UP(s), end = PFN_DOWN(e);
        while (pfn < end) {
            unsigned int order = MAX_ORDER - 1;
            while (order && ((pfn & ((1ul << order) - 1)) || pfn + (1ul << order) > end))
                order--;
            __free_pages_core(pfn_to_page(pfn), order);
            pfn += 1ul << order;
        }
    }
}

unsigned long totalram_pages_count;

void mm_core_init(void)
{
    setup_per_cpu_pageset();
    memblock_free_all();
    page_alloc_ready = 1;
    struct zone *zone;
    totalram_pages_count = 0;
    for_each_populated_zone(zone)
        totalram_pages_count += zone->managed_pages;
    init_per_zone_wmark_min();
    setup_per_cpu_pageset();   /* again: high depends on the watermarks */
    mm_annot_cpu_init();

    unsigned long physpages = 0;
    for (unsigned int n = 0; n < nr_node_ids; n++)
        physpages += NODE_DATA(n)->node_present_pages;
    pr_info("Memory: %luK/%luK available (%luK kernel code+data, %luK memmap, %luK page tables, %luK percpu, "
            "%luK reserved)\n",
            totalram_pages_count << (PAGE_SHIFT - 10), physpages << (PAGE_SHIFT - 10),
            memblock_kernel_pages << (PAGE_SHIFT - 10), memmap_pages_total() << (PAGE_SHIFT - 10),
            pgtable_boot_pages << (PAGE_SHIFT - 10), pcpu_nr_pages << (PAGE_SHIFT - 10),
            (physpages - totalram_pages_count) << (PAGE_SHIFT - 10));
    pr_info("min_free_kbytes: %d\n", min_free_kbytes);
    char val[32];
    if (cmdline_get("fail_page_alloc", val, sizeof(val))) {
        fail_page_alloc_nth = (unsigned long)memparse(val);
        pr_info("fail_page_alloc: allocation %lu from now on will fail\n", fail_page_alloc_nth);
    }
    kmem_cache_init();
    vmalloc_init();
}
