/* mm/page_alloc.c: the buddy allocator, per-CPU page lists and the allocation paths.
 *
 * THE BUDDY SYSTEM (Knowlton 1965, Knuth vol. 1; the notes credit Markowitz). Each zone keeps
 * free memory in blocks of 2^order contiguous frames, order 0 to MAX_ORDER - 1 (4 KiB to 4 MiB),
 * each block naturally aligned: a block of order k starts at a pfn that is a multiple of 2^k.
 * free_area[k] holds the free blocks of order k, on one list per migrate type. The first page of a
 * free block is its representative: PageBuddy, with the order in page->private; the other pages
 * of the block carry nothing.
 *
 * Two blocks of order k are *buddies* when together they form an aligned block of order k + 1:
 * their pfns differ only in bit k, so the buddy of the block at pfn is at pfn ^ (1 << k) and the
 * merged block starts at pfn & ~(1 << k). This is what makes the scheme fast: finding a buddy is
 * one XOR and one look at its struct page, with no search.
 *
 * Allocation of order k (__rmqueue_smallest()): take the first block from the smallest non-empty
 * list of order >= k. If its order j is larger, split it (expand()): keep the lower half, put the
 * upper half of order j - 1 on its free list, and repeat with the lower half until it has order
 * k. The seed's walk-through, in a 1 MiB block: a 64 KiB request splits 1M into 512K + 512K,
 * 512K into 256K + 256K, 256K into 128K + 128K and 128K into 64K + 64K, returns the first 64K and
 * leaves one free block each of 64K, 128K, 256K and 512K.
 *
 * Freeing a block of order k (__free_one_page()): while its buddy is free with the same order
 * (PageBuddy and buddy_order() == k, in the same zone), take the buddy off its list and merge,
 * order k + 1, and try again one level up; then put the result on its list. Freed blocks thus
 * coalesce as far as their neighbours allow, and a fully free zone ends up as blocks of MAX_ORDER-1.
 *
 * Fragmentation avoidance (migrate types). Each 2 MiB pageblock has a type: UNMOVABLE (kernel
 * allocations), MOVABLE (user and page-cache pages, which compaction could move), RECLAIMABLE
 * (caches the shrinkers can free). A free block goes to the list of its pageblock's type, and an
 * allocation looks only at its own type's lists. When they are empty, __rmqueue_fallback() steals
 * from another type (UNMOVABLE falls back to RECLAIMABLE then MOVABLE, and so on), taking the
 * *largest* free block so that the mixing stays in few pageblocks; when the stolen block is at
 * least half a pageblock, or the thief is unmovable or reclaimable, the whole pageblock's free
 * pages move to the thief's lists and, if at least half the pageblock was free, the pageblock
 * changes type (steal_suitable_fallback()). HIGHATOMIC and ISOLATE exist as types (and are
 * reported) but nothing reserves or isolates blocks yet.
 *
 * Per-CPU lists (pcp). Order-0 pages are by far the most common request, and the zone lock is
 * shared by every CPU. Each CPU keeps, per zone and migrate type, a list of free single pages,
 * touched only by that CPU with interrupts disabled. An allocation takes the first (hottest) page;
 * an empty list is refilled with `batch` pages in one trip to the buddy (rmqueue_bulk()); a free
 * puts the page first on the list and, when the lists hold more than `high` pages, returns
 * `batch` of the coldest (from the tail) to the buddy (free_pcppages_bulk()). Pages on pcp lists
 * are not PageBuddy and are not counted as free in the zone (Linux's NR_FREE_PAGES, MemFree and
 * buddyinfo exclude them too); drain_all_pages() empties every CPU's lists.
 *
 * Watermarks and the allocation paths (__alloc_pages()). The fast path walks the zonelist from the
 * preferred zone and takes from the first zone whose free pages stay above its LOW watermark
 * plus its lowmem_reserve for the request's highest zone. Failing that, the slow path wakes
 * kswapd (counted; kswapd comes later) and retries against the MIN watermark, lowered by half for
 * __GFP_HIGH (GFP_ATOMIC) and by a further quarter when the caller cannot sleep, unless
 * __GFP_NOMEMALLOC: that is the reserve atomic allocations live on. A caller that may sleep would
 * reclaim here; there is nothing to reclaim yet, so __GFP_NORETRY fails at once,
 * __GFP_RETRY_MAYFAIL re-checks up to MAX_RECLAIM_RETRIES times (another CPU may free pages),
 * and __GFP_NOFAIL finally takes the allocation below the watermarks; if even that is impossible
 * the kernel panics with the report rather than hang. A failure prints Linux's "page allocation
 * failure" report with the zones' state (warn_alloc() / show_free_areas()) unless __GFP_NOWARN.
 * Locking: zone->lock (interrupts disabled) protects free_area and the zone's counters; the pcp
 * lists are per CPU with interrupts disabled.
 */
#define pr_fmt(fmt) fmt
#include <linux/vmstat.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <asm/pgtable.h>
#include "internal.h"

#define MAX_RECLAIM_RETRIES 16

unsigned long alloc_fail_reports, alloc_failures, kswapd_wakeups;

static inline void annotate_free_block(struct page *page, unsigned int order)
{
    /* owner: the migrate type of the block's pageblock, as guest/abi.h's enum emu_migrate. */
    mm_annotate(page_to_pfn(page), 1ul << order, EMU_FRAME_FREE, order,
                (u64)get_pageblock_migratetype(page) + 1);
}

/* ---- pageblocks ---------------------------------------------------------------------------------- */

int get_pageblock_migratetype(const struct page *page)
{
    struct zone *zone = page_zone(page);
    unsigned long pfn = page_to_pfn(page);
    return zone->pageblock_flags[(pfn >> pageblock_order) - (zone->zone_start_pfn >> pageblock_order)];
}

void set_pageblock_migratetype(struct page *page, int migratetype)
{
    struct zone *zone = page_zone(page);
    unsigned long pfn = page_to_pfn(page);
    zone->pageblock_flags[(pfn >> pageblock_order) - (zone->zone_start_pfn >> pageblock_order)] = (u8)migratetype;
}

/* ---- free lists ---------------------------------------------------------------------------------- */

static inline void set_buddy_order(struct page *page, unsigned int order)
{
    set_page_private(page, order);
    __SetPageBuddy(page);
}
static inline unsigned int buddy_order(const struct page *page) { return (unsigned int)page_private(page); }

static inline void account_freepages(struct zone *zone, long nr, unsigned int order)
{
    zone->vm_stat[NR_FREE_PAGES] += nr;
    if (order >= pageblock_order)
        zone->vm_stat[NR_FREE_PAGES_BLOCKS] += nr;
}

static inline void add_to_free_list(struct page *page, struct zone *zone, unsigned int order, int mt)
{
    struct free_area *area = &zone->free_area[order];
    set_buddy_order(page, order);
    list_add(&page->lru, &area->free_list[mt]);
    area->nr_free++;
    account_freepages(zone, 1l << order, order);
    annotate_free_block(page, order);
}

static inline void move_to_free_list(struct page *page, struct zone *zone, unsigned int order, int mt)
{
    list_move(&page->lru, &zone->free_area[order].free_list[mt]);
}

/* Take a free block off its list; the caller annotates what it becomes. */
static inline void del_page_from_free_list(struct page *page, struct zone *zone, unsigned int order)
{
    list_del(&page->lru);
    __ClearPageBuddy(page);
    set_page_private(page, 0);
    zone->free_area[order].nr_free--;
    account_freepages(zone, -(1l << order), order);
}

/* Is `buddy` the free buddy of order `order` that `page` may merge with? */
static inline bool page_is_buddy(struct zone *zone, struct page *page, struct page *buddy, unsigned long buddy_pfn,
                                 unsigned int order)
{
    if (!zone_spans_pfn(zone, buddy_pfn))
        return false;
    if (!PageBuddy(buddy) || buddy_order(buddy) != order)
        return false;
    return page_zone_id(page) == page_zone_id(buddy);
}

void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone, unsigned int order, int migratetype)
{
    while (order < MAX_ORDER - 1) {
        unsigned long buddy_pfn = pfn ^ (1ul << order);
        struct page *buddy = page + ((long)buddy_pfn - (long)pfn);
        if (!page_is_buddy(zone, page, buddy, buddy_pfn, order))
            break;
        del_page_from_free_list(buddy, zone, order);
        unsigned long combined_pfn = buddy_pfn & pfn;
        page = page + ((long)combined_pfn - (long)pfn);
        pfn = combined_pfn;
        order++;
    }
    add_to_free_list(page, zone, order, migratetype);
}

/* Split a block of order `high` down to order `low`, freeing the upper halves. */
static void expand(struct zone *zone, struct page *page, unsigned int low, unsigned int high, int migratetype)
{
    unsigned long size = 1ul << high;
    while (high > low) {
        high--;
        size >>= 1;
        add_to_free_list(&page[size], zone, high, migratetype);
    }
}

struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int migratetype)
{
    for (unsigned int current_order = order; current_order < MAX_ORDER; current_order++) {
        struct free_area *area = &zone->free_area[current_order];
        struct page *page = list_first_entry_or_null(&area->free_list[migratetype], struct page, lru);
        if (!page)
            continue;
        del_page_from_free_list(page, zone, current_order);
        expand(zone, page, order, current_order, migratetype);
        return page;
    }
    return NULL;
}

static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
    [MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
    [MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
    [MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

static bool can_steal_fallback(unsigned int order, int start_mt)
{
    if (order >= pageblock_order)
        return true;
    return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE || start_mt == MIGRATE_UNMOVABLE;
}

static int find_suitable_fallback(struct free_area *area, unsigned int order, int start_mt, bool *can_steal)
{
    *can_steal = false;
    if (area->nr_free == 0)
        return -1;
    for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
        int fmt = fallbacks[start_mt][i];
        if (list_empty(&area->free_list[fmt]))
            continue;
        *can_steal = can_steal_fallback(order, start_mt);
        return fmt;
    }
    return -1;
}

/* Move the free blocks of page's pageblock to `mt`'s lists; the number of free pages in it. */
static unsigned long move_freepages_block(struct zone *zone, struct page *page, int mt)
{
    unsigned long pfn = page_to_pfn(page) & ~(pageblock_nr_pages - 1), end = pfn + pageblock_nr_pages;
    unsigned long moved = 0;
    pfn = max(pfn, zone->zone_start_pfn);
    end = min(end, zone_end_pfn(zone));
    while (pfn < end) {
        if (!pfn_valid(pfn)) {
            pfn++;
            continue;
        }
        struct page *p = pfn_to_page(pfn);
        if (!PageBuddy(p)) {
            pfn++;
            continue;
        }
        unsigned int o = buddy_order(p);
        move_to_free_list(p, zone, o, mt);
        moved += 1ul << o;
        pfn += 1ul << o;
    }
    return moved;
}

static void steal_suitable_fallback(struct zone *zone, struct page *page, unsigned int current_order, int start_type,
                                    bool whole_block)
{
    if (current_order >= pageblock_order) {
        /* the whole block (or several pageblocks) changes type */
        for (unsigned long i = 0; i < (1ul << current_order); i += pageblock_nr_pages)
            set_pageblock_migratetype(page + i, start_type);
        move_to_free_list(page, zone, current_order, start_type);
        return;
    }
    if (!whole_block) {
        move_to_free_list(page, zone, current_order, start_type);
        return;
    }
    unsigned long free_pages = move_freepages_block(zone, page, start_type);
    if (free_pages >= (1ul << (pageblock_order - 1)))
        set_pageblock_migratetype(page, start_type);
}

static bool __rmqueue_fallback(struct zone *zone, unsigned int order, int start_mt)
{
    int current_order, fallback_mt = -1;
    bool can_steal = false;
    for (current_order = MAX_ORDER - 1; current_order >= (int)order; current_order--) {
        fallback_mt = find_suitable_fallback(&zone->free_area[current_order], (unsigned int)current_order, start_mt,
                                             &can_steal);
        if (fallback_mt == -1)
            continue;
        if (!can_steal && start_mt == MIGRATE_MOVABLE && current_order > (int)order)
            goto find_smallest;
        goto do_steal;
    }
    return false;
find_smallest:
    for (current_order = (int)order; current_order < MAX_ORDER; current_order++) {
        fallback_mt = find_suitable_fallback(&zone->free_area[current_order], (unsigned int)current_order, start_mt,
                                             &can_steal);
        if (fallback_mt != -1)
            break;
    }
    if (current_order >= MAX_ORDER)
        return false;
do_steal:;
    struct page *page = list_first_entry(&zone->free_area[current_order].free_list[fallback_mt], struct page, lru);
    steal_suitable_fallback(zone, page, (unsigned int)current_order, start_mt, can_steal);
    return true;
}

struct page *__rmqueue(struct zone *zone, unsigned int order, int migratetype)
{
    struct page *page;
    for (;;) {
        page = __rmqueue_smallest(zone, order, migratetype);
        if (page || migratetype >= MIGRATE_PCPTYPES || !__rmqueue_fallback(zone, order, migratetype))
            return page;
    }
}

/* ---- per-CPU lists ----------------------------------------------------------------------------- */

/* Move up to `count` order-0 pages from the buddy to `list` (the zone lock is taken here). */
static int rmqueue_bulk(struct zone *zone, unsigned int count, struct list_head *list, int migratetype)
{
    unsigned long flags;
    unsigned int cpu = smp_processor_id();
    int i;
    spin_lock_irqsave(&zone->lock, flags);
    for (i = 0; i < (int)count; i++) {
        struct page *page = __rmqueue(zone, 0, migratetype);
        if (!page)
            break;
        page->index = (unsigned long)migratetype;   /* Linux's set_pcppage_migratetype() */
        list_add_tail(&page->lru, list);
        mm_annotate(page_to_pfn(page), 1, EMU_FRAME_PCP, 0, cpu);
    }
    spin_unlock_irqrestore(&zone->lock, flags);
    return i;
}

/* Return `count` pages of a pcp to the buddy, the coldest first, the lists in turn. */
static void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp)
{
    unsigned long flags;
    int mt = 0;
    spin_lock_irqsave(&zone->lock, flags);
    while (count > 0 && pcp->count > 0) {
        struct list_head *list = &pcp->lists[mt];
        if (list_empty(list)) {
            mt = (mt + 1) % MIGRATE_PCPTYPES;
            continue;
        }
        struct page *page = list_last_entry(list, struct page, lru);
        list_del(&page->lru);
        pcp->count--;
        count--;
        int pmt = (int)page->index;
        page->index = 0;
        __free_one_page(page, page_to_pfn(page), zone, 0, pmt);
        mt = (mt + 1) % MIGRATE_PCPTYPES;
    }
    spin_unlock_irqrestore(&zone->lock, flags);
}

static void drain_zone_pages_cpu(struct zone *zone, unsigned int cpu)
{
    struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
    if (pcp && pcp->count)
        free_pcppages_bulk(zone, pcp->count, pcp);
}

void drain_local_pages(struct zone *zone)
{
    unsigned long flags;
    local_irq_save(flags);
    unsigned int cpu = smp_processor_id();
    if (zone) {
        drain_zone_pages_cpu(zone, cpu);
    } else {
        struct zone *z;
        for_each_populated_zone(z)
            drain_zone_pages_cpu(z, cpu);
    }
    local_irq_restore(flags);
}

static void drain_local_pages_fn(void *zone)
{
    drain_local_pages(zone);
}

void drain_all_pages(struct zone *zone)
{
    drain_local_pages(zone);
    if (num_online_cpus() > 1)
        smp_call_function(drain_local_pages_fn, zone, 1);
}

/* ---- allocation -------------------------------------------------------------------------------- */

static void bad_page(struct page *page, const char *reason)
{
    pr_err("BUG: Bad page state in process swapper/%u  pfn:%05lx\n", smp_processor_id(), page_to_pfn(page));
    pr_err("page: refcount:%d mapcount:%d mapping:%p index:%#lx flags: %#lx(node %d zone %s)\n",
           page_ref_count(page), page_mapcount(page), (void *)page->mapping, page->index,
           page->flags & PAGE_FLAGS_MASK, page_to_nid(page), zone_names[page_zonenum(page)]);
    pr_err("page dumped because: %s\n", reason);
}

static void prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
    set_page_private(page, 0);
    page->index = 0;
    set_page_count(page, 1);
    if (gfp & __GFP_ZERO)
        memset(page_address(page), 0, PAGE_SIZE << order);
    if (order && (gfp & __GFP_COMP)) {
        __SetPageHead(page);
        for (unsigned long i = 1; i < (1ul << order); i++) {
            page[i].compound_head = (unsigned long)page | 1;
            set_page_count(&page[i], 0);
        }
        page[1].compound_order = (unsigned char)order;
    }
    mm_annotate(page_to_pfn(page), 1ul << order, EMU_FRAME_KERNEL, 0, 0);
}

static struct page *rmqueue_pcplist(struct zone *zone, int migratetype)
{
    unsigned long flags;
    local_irq_save(flags);
    struct per_cpu_pages *pcp = zone_pcp(zone, smp_processor_id());
    struct list_head *list = &pcp->lists[migratetype];
    if (list_empty(list))
        pcp->count += rmqueue_bulk(zone, (unsigned int)pcp->batch, list, migratetype);
    struct page *page = list_first_entry_or_null(list, struct page, lru);
    if (page) {
        list_del(&page->lru);
        pcp->count--;
    }
    local_irq_restore(flags);
    return page;
}

static struct page *rmqueue(struct zone *zone, unsigned int order, int migratetype)
{
    if (order == 0 && migratetype < MIGRATE_PCPTYPES)
        return rmqueue_pcplist(zone, migratetype);
    unsigned long flags;
    spin_lock_irqsave(&zone->lock, flags);
    struct page *page = __rmqueue(zone, order, migratetype);
    spin_unlock_irqrestore(&zone->lock, flags);
    return page;
}

bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark, int highest_zoneidx,
                         unsigned int alloc_flags, long free_pages)
{
    long min = (long)mark;
    free_pages -= (1l << order) - 1;
    if (alloc_flags & ALLOC_RESERVES) {
        if (alloc_flags & ALLOC_MIN_RESERVE) {
            min -= min / 2;
            if (alloc_flags & ALLOC_NON_BLOCK)
                min -= min / 4;
        }
        if (alloc_flags & ALLOC_OOM)
            min -= min / 2;
    }
    if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
        return false;
    if (!order)
        return true;
    for (unsigned int o = order; o < MAX_ORDER; o++) {
        struct free_area *area = &z->free_area[o];
        if (!area->nr_free)
            continue;
        for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
            if (!list_empty(&area->free_list[mt]))
                return true;
        if ((alloc_flags & ALLOC_MIN_RESERVE) && !list_empty(&area->free_list[MIGRATE_HIGHATOMIC]))
            return true;
    }
    return false;
}

bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark, int highest_zoneidx,
                       unsigned int alloc_flags)
{
    return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, zone_page_state(z, NR_FREE_PAGES));
}

static inline void zone_stat_inc(struct zone *z, enum zone_stat_item i)
{
    __atomic_add_fetch(&z->vm_stat[i], 1, __ATOMIC_RELAXED);
}

static void zone_statistics(struct zone *preferred, struct zone *z)
{
    if (z->node == preferred->node) {
        zone_stat_inc(z, NUMA_HIT);
    } else {
        zone_stat_inc(z, NUMA_MISS);
        zone_stat_inc(preferred, NUMA_FOREIGN);
    }
    zone_stat_inc(z, z->node == numa_node_id() ? NUMA_LOCAL : NUMA_OTHER);
}

static struct page *get_page_from_freelist(gfp_t gfp, unsigned int order, unsigned int alloc_flags,
                                           const struct alloc_context *ac)
{
    for (struct zoneref *z = ac->preferred_zoneref; z->zone; z++) {
        if (z->zone_idx > (int)ac->highest_zoneidx)
            continue;
        struct zone *zone = z->zone;
        if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
            unsigned long mark = wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK);
            if (!zone_watermark_ok(zone, order, mark, (int)ac->highest_zoneidx, alloc_flags))
                continue;
        }
        struct page *page = rmqueue(zone, order, ac->migratetype);
        if (page) {
            prep_new_page(page, order, gfp);
            zone_statistics(ac->preferred_zoneref->zone, zone);
            count_vm_events((enum vm_event_item)(PGALLOC_DMA + zone_idx(zone)), 1l << order);
            return page;
        }
    }
    return NULL;
}

static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
    unsigned int alloc_flags = ALLOC_WMARK_MIN;
    if (gfp & __GFP_HIGH)
        alloc_flags |= ALLOC_MIN_RESERVE;
    if (gfp & __GFP_KSWAPD_RECLAIM)
        alloc_flags |= ALLOC_KSWAPD;
    if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC)) {
        alloc_flags |= ALLOC_NON_BLOCK;
        if (order > 0)
            alloc_flags |= ALLOC_HIGHATOMIC;
    }
    return alloc_flags;
}

static const struct {
    gfp_t mask;
    const char *name;
} gfp_names[] = {
    { GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" }, { GFP_HIGHUSER, "GFP_HIGHUSER" }, { GFP_USER, "GFP_USER" },
    { GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT" }, { GFP_KERNEL, "GFP_KERNEL" }, { GFP_NOFS, "GFP_NOFS" },
    { GFP_ATOMIC, "GFP_ATOMIC" }, { GFP_NOIO, "GFP_NOIO" }, { GFP_NOWAIT, "GFP_NOWAIT" },
    { __GFP_DMA, "GFP_DMA" }, { __GFP_HIGHMEM, "__GFP_HIGHMEM" }, { __GFP_DMA32, "GFP_DMA32" },
    { __GFP_HIGH, "__GFP_HIGH" }, { __GFP_IO, "__GFP_IO" }, { __GFP_FS, "__GFP_FS" },
    { __GFP_NOWARN, "__GFP_NOWARN" }, { __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
    { __GFP_NOFAIL, "__GFP_NOFAIL" }, { __GFP_NORETRY, "__GFP_NORETRY" }, { __GFP_COMP, "__GFP_COMP" },
    { __GFP_ZERO, "__GFP_ZERO" }, { __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" }, { __GFP_MEMALLOC, "__GFP_MEMALLOC" },
    { __GFP_HARDWALL, "__GFP_HARDWALL" }, { __GFP_THISNODE, "__GFP_THISNODE" },
    { __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" }, { __GFP_MOVABLE, "__GFP_MOVABLE" },
    { __GFP_ACCOUNT, "__GFP_ACCOUNT" }, { __GFP_WRITE, "__GFP_WRITE" }, { __GFP_RECLAIM, "__GFP_RECLAIM" },
    { __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" }, { __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
};

int format_gfp_flags(char *buf, size_t size, gfp_t gfp)
{
    int n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && gfp; i++) {
        if ((gfp & gfp_names[i].mask) != gfp_names[i].mask)
            continue;
        gfp &= ~gfp_names[i].mask;
        n += scnprintf(buf + n, size - (size_t)n, "%s%s", n ? "|" : "", gfp_names[i].name);
    }
    if (gfp)
        n += scnprintf(buf + n, size - (size_t)n, "%s%#x", n ? "|" : "", gfp);
    return n;
}

static void warn_alloc(gfp_t gfp, unsigned int order, int nid)
{
    char flags[256];
    alloc_fail_reports++;
    format_gfp_flags(flags, sizeof(flags), gfp);
    pr_warn("swapper/%u: page allocation failure: order:%u, mode:%#x(%s), nodemask=(null)\n", smp_processor_id(),
            order, gfp, flags);
    pr_warn("CPU: %u PID: 0 Comm: swapper/%u (preferred node %d)\n", smp_processor_id(), smp_processor_id(), nid);
    show_free_areas(-1);
}

/* Fault injection: fail the Nth allocation from now (fail_page_alloc=N, or set by a test). */
unsigned long fail_page_alloc_nth;
gfp_t gfp_allowed_mask = GFP_BOOT_MASK;
static unsigned long fail_page_alloc_injected;

static bool should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
    (void)order;
    if (!fail_page_alloc_nth || (gfp & __GFP_NOFAIL))
        return false;
    if (--fail_page_alloc_nth)
        return false;
    fail_page_alloc_injected++;
    pr_info("FAULT_INJECTION: forcing a failure.\n");
    return true;
}

void __might_sleep(const char *file, int line)
{
    static int warned;
    if ((irqs_disabled() || in_atomic()) && !warned) {
        warned = 1;
        pr_err("BUG: sleeping function called from invalid context at %s:%d\n", file, line);
        pr_err("in_atomic(): %d, irqs_disabled(): %d, cpu: %u\n", in_atomic(), irqs_disabled(), smp_processor_id());
    }
}

static struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order, struct alloc_context *ac)
{
    unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
    struct page *page;
    if (alloc_flags & ALLOC_KSWAPD)
        kswapd_wakeups++;   /* wake_all_kswapds(): no kswapd yet */
    page = get_page_from_freelist(gfp, order, alloc_flags, ac);
    if (page)
        return page;
    if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC)) {
        page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, ac);
        if (page)
            return page;
    }
    if (!(gfp & __GFP_DIRECT_RECLAIM))
        goto nopage;   /* atomic: cannot wait for reclaim */
    /* Direct reclaim and compaction would run here; there is nothing to reclaim yet. */
    if (gfp & __GFP_NORETRY)
        goto nopage;
    if ((gfp & (__GFP_RETRY_MAYFAIL | __GFP_NOFAIL)) && order <= PAGE_ALLOC_COSTLY_ORDER) {
        for (int retries = 0; retries < MAX_RECLAIM_RETRIES; retries++) {
            cpu_relax();
            page = get_page_from_freelist(gfp, order, alloc_flags, ac);
            if (page)
                return page;
        }
    }
    /* No OOM killer yet (there are no processes to kill). */
nopage:
    if (gfp & __GFP_NOFAIL) {
        /* Linux keeps trying with access to part of the reserves; here nothing can change, so
         * take the reserves entirely, and if even they cannot serve, stop rather than hang. */
        page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, ac);
        if (page)
            return page;
        warn_alloc(gfp, order, ac->preferred_zoneref->zone ? ac->preferred_zoneref->zone->node : -1);
        panic("Out of memory: a __GFP_NOFAIL allocation of order %u cannot be satisfied", order);
    }
    return NULL;
}

struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid)
{
    struct alloc_context ac;
    struct page *page = NULL;
    if (order >= MAX_ORDER) {
        if (!(gfp & __GFP_NOWARN))
            pr_warn("page allocation of order %u > %d refused\n", order, MAX_ORDER - 1);
        return NULL;
    }
    gfp &= gfp_allowed_mask;
    might_sleep_if(gfp & __GFP_DIRECT_RECLAIM);
    pg_data_t *pgdat = NODE_DATA(preferred_nid);
    ac.zonelist = &pgdat->node_zonelists[(gfp & __GFP_THISNODE) ? ZONELIST_NOFALLBACK : ZONELIST_FALLBACK];
    ac.highest_zoneidx = gfp_zone(gfp);
    ac.migratetype = gfp_migratetype(gfp);
    ac.preferred_zoneref = ac.zonelist->_zonerefs;
    while (ac.preferred_zoneref->zone && ac.preferred_zoneref->zone_idx > (int)ac.highest_zoneidx)
        ac.preferred_zoneref++;
    if (!ac.preferred_zoneref->zone)
        goto fail;
    if (should_fail_alloc_page(gfp, order))
        goto fail;
    page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac);
    if (!page)
        page = __alloc_pages_slowpath(gfp, order, &ac);
    if (page)
        return page;
fail:
    alloc_failures++;
    if (!(gfp & __GFP_NOWARN))
        warn_alloc(gfp, order, preferred_nid);
    return NULL;
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
    if (nid == NUMA_NO_NODE)
        nid = numa_node_id();
    return __alloc_pages(gfp, order, nid);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
    struct page *page = alloc_pages(gfp & ~__GFP_HIGHMEM, order);
    return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
    return __get_free_pages(gfp | __GFP_ZERO, 0);
}

/* ---- freeing ----------------------------------------------------------------------------------- */

static bool free_pages_prepare(struct page *page, unsigned int order)
{
    if (PageBuddy(page)) {
        bad_page(page, "freeing a free page (double free)");
        return false;
    }
    if (PageHead(page)) {
        __ClearPageHead(page);
        for (unsigned long i = 1; i < (1ul << order); i++)
            page[i].compound_head = 0;
        page[1].compound_order = 0;
    }
    if (PageTable(page))
        __ClearPageTable(page);
    if (page->mapping || page_mapcount(page) || (page->flags & PAGE_FLAGS_CHECK_AT_FREE) || page_has_type(page)) {
        bad_page(page, page->mapping ? "non-NULL mapping" : page_mapcount(page) ? "nonzero mapcount" : "PAGE_FLAGS_CHECK_AT_FREE flag(s) set");
        return false;
    }
    page->flags &= ~PAGE_FLAGS_MASK;
    page->private = 0;
    return true;
}

static void __free_pages_ok(struct page *page, unsigned int order)
{
    unsigned long flags;
    struct zone *zone = page_zone(page);
    int mt = get_pageblock_migratetype(page);
    spin_lock_irqsave(&zone->lock, flags);
    __free_one_page(page, page_to_pfn(page), zone, order, mt);
    spin_unlock_irqrestore(&zone->lock, flags);
}

static void free_unref_page(struct page *page)
{
    unsigned long flags;
    struct zone *zone = page_zone(page);
    int mt = get_pageblock_migratetype(page);
    if (mt >= MIGRATE_PCPTYPES) {
        __free_pages_ok(page, 0);
        return;
    }
    local_irq_save(flags);
    unsigned int cpu = smp_processor_id();
    struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
    page->index = (unsigned long)mt;
    list_add(&page->lru, &pcp->lists[mt]);
    pcp->count++;
    mm_annotate(page_to_pfn(page), 1, EMU_FRAME_PCP, 0, cpu);
    if (pcp->count >= pcp->high)
        free_pcppages_bulk(zone, pcp->batch, pcp);
    local_irq_restore(flags);
}

static void free_the_page(struct page *page, unsigned int order)
{
    if (!free_pages_prepare(page, order))
        return;
    count_vm_events(PGFREE, 1l << order);
    if (order == 0)
        free_unref_page(page);
    else
        __free_pages_ok(page, order);
}

void __free_pages(struct page *page, unsigned int order)
{
    if (page_ref_count(page) <= 0) {
        bad_page(page, "freeing a page with refcount 0 (double free?)");
        return;
    }
    if (page_ref_dec_and_test(page))
        free_the_page(page, order);
}

void free_pages(unsigned long addr, unsigned int order)
{
    if (addr)
        __free_pages(virt_to_page(addr), order);
}

void put_page(struct page *page)
{
    if (page_ref_dec_and_test(page))
        free_the_page(page, 0);
}

/* Boot: a block memblock did not use becomes the buddy's (Linux's __free_pages_core()). */
void __free_pages_core(struct page *page, unsigned int order)
{
    unsigned long nr = 1ul << order;
    for (unsigned long i = 0; i < nr; i++) {
        __ClearPageReserved(&page[i]);
        set_page_count(&page[i], 0);
    }
    struct zone *zone = page_zone(page);
    zone->managed_pages += nr;
    __free_pages_ok(page, order);
}

/* ---- totals and invariants ---------------------------------------------------------------------- */

unsigned long nr_free_pages(void)
{
    unsigned long sum = 0;
    struct zone *zone;
    for_each_populated_zone(zone)
        sum += (unsigned long)zone_page_state(zone, NR_FREE_PAGES);
    return sum;
}

unsigned long nr_free_pcp_pages(void)
{
    unsigned long sum = 0;
    struct zone *zone;
    for_each_populated_zone(zone)
        for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
            sum += zone_pcp(zone, cpu) ? (unsigned long)zone_pcp(zone, cpu)->count : 0;
    return sum;
}

unsigned long zone_free_count(struct zone *zone, unsigned int order, int type)
{
    unsigned long n = 0;
    struct list_head *pos;
    list_for_each(pos, &zone->free_area[order].free_list[type])
        n++;
    return n;
}

#define CHECK(cond, ...)                                 \
    do {                                                 \
        if (!(cond)) {                                   \
            scnprintf(msg, len, __VA_ARGS__);            \
            ret = -1;                                    \
            goto out;                                    \
        }                                                \
    } while (0)

/* The invariants of one zone's free lists: every listed block is PageBuddy with the list's order,
 * aligned, inside the zone, not mergeable with a free buddy of the same order; the counts match
 * nr_free and NR_FREE_PAGES; the pcp lists hold order-0 non-buddy pages of this zone with no
 * references. */
int zone_buddy_check(struct zone *zone, char *msg, size_t len)
{
    unsigned long flags, free = 0, blocks_free = 0;
    int ret = 0;
    spin_lock_irqsave(&zone->lock, flags);
    for (unsigned int o = 0; o < MAX_ORDER; o++) {
        unsigned long n = 0;
        for (int t = 0; t < MIGRATE_TYPES; t++) {
            struct page *page;
            list_for_each_entry(page, &zone->free_area[o].free_list[t], lru) {
                unsigned long pfn = page_to_pfn(page);
                CHECK(PageBuddy(page), "node %d zone %s: pfn %#lx on the order-%u list is not PageBuddy", zone->node,
                      zone->name, pfn, o);
                CHECK(buddy_order(page) == o, "pfn %#lx: order %u on the order-%u list", pfn, buddy_order(page), o);
                CHECK(!(pfn & ((1ul << o) - 1)), "pfn %#lx: not aligned to its order %u", pfn, o);
                CHECK(zone_spans_pfn(zone, pfn) && zone_spans_pfn(zone, pfn + (1ul << o) - 1),
                      "pfn %#lx order %u: outside zone %s", pfn, o, zone->name);
                CHECK(page_count(page) == 0, "free pfn %#lx has refcount %d", pfn, page_count(page));
                CHECK(!PageReserved(page), "free pfn %#lx is PG_reserved", pfn);
                if (o < MAX_ORDER - 1) {
                    unsigned long bp = pfn ^ (1ul << o);
                    if (zone_spans_pfn(zone, bp) && pfn_valid(bp)) {
                        struct page *b = pfn_to_page(bp);
                        CHECK(!(PageBuddy(b) && buddy_order(b) == o && page_zone_id(b) == page_zone_id(page)),
                              "pfn %#lx and its buddy %#lx are both free at order %u (not merged)", pfn, bp, o);
                    }
                }
                n++;
                free += 1ul << o;
                if (o >= pageblock_order)
                    blocks_free += 1ul << o;
            }
        }
        CHECK(n == zone->free_area[o].nr_free, "zone %s order %u: %lu blocks listed, nr_free %lu", zone->name, o, n,
              zone->free_area[o].nr_free);
    }
    CHECK(free == (unsigned long)zone->vm_stat[NR_FREE_PAGES], "zone %s: %lu free pages listed, NR_FREE_PAGES %ld",
          zone->name, free, zone->vm_stat[NR_FREE_PAGES]);
    CHECK(blocks_free == (unsigned long)zone->vm_stat[NR_FREE_PAGES_BLOCKS], "zone %s: NR_FREE_PAGES_BLOCKS %ld, counted %lu",
          zone->name, zone->vm_stat[NR_FREE_PAGES_BLOCKS], blocks_free);
    for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
        struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
        if (!pcp)
            continue;
        int n = 0;
        for (int t = 0; t < MIGRATE_PCPTYPES; t++) {
            struct page *page;
            list_for_each_entry(page, &pcp->lists[t], lru) {
                CHECK(!PageBuddy(page) && page_count(page) == 0 && page_zone(page) == zone,
                      "cpu %u pcp of zone %s: pfn %#lx is buddy %d refcount %d", cpu, zone->name, page_to_pfn(page),
                      PageBuddy(page), page_count(page));
                n++;
            }
        }
        CHECK(n == pcp->count, "cpu %u pcp of zone %s: %d pages listed, count %d", cpu, zone->name, n, pcp->count);
        CHECK(pcp->count <= pcp->high, "cpu %u pcp of zone %s: count %d above high %d", cpu, zone->name, pcp->count,
              pcp->high);
    }
out:
    spin_unlock_irqrestore(&zone->lock, flags);
    return ret;
}

int buddy_check(char *msg, size_t len)
{
    struct zone *zone;
    for_each_populated_zone(zone)
        if (zone_buddy_check(zone, msg, len))
            return -1;
    return 0;
}
