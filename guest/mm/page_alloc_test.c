/* mm/page_alloc_test.c: the page allocator's kernel tests (kernel/tests.c runs them, each followed
 * by buddy_check() and a check that no page leaked).
 *
 * Several tests need a buddy allocator whose free lists they can predict exactly, which the real
 * zones (with whatever boot left in them) are not. They take one aligned block from a real zone
 * and hand it to a private "playground" zone that spans exactly that block: the same struct pages
 * and the same __rmqueue_smallest() / __free_one_page() code, but free lists that start with one
 * block and nothing else (merging stops at the playground's edge, since the buddy of the whole
 * block lies outside its span). At the end the block goes back to the real zone.
 */
#define pr_fmt(fmt) "ktest: " fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/seq_buf.h>
#include <linux/smp.h>
#include <asm/emu.h>
#include "internal.h"

#define FAIL(...)                               \
    do {                                        \
        scnprintf(msg, len, __VA_ARGS__);       \
        ret = EMU_TEST_FAIL;                    \
        goto out;                               \
    } while (0)

/* A list of allocated blocks, chained through their head page's lru (free while allocated). */
struct held {
    struct list_head list;
    unsigned long nr;
};
static void hold(struct held *h, struct page *page, unsigned int order)
{
    page->private = order;
    list_add_tail(&page->lru, &h->list);
    h->nr++;
}
static void release_all(struct held *h)
{
    while (!list_empty(&h->list)) {
        struct page *page = list_first_entry(&h->list, struct page, lru);
        list_del(&page->lru);
        unsigned int order = (unsigned int)page->private;
        page->private = 0;
        page->lru.next = page->lru.prev = &page->lru;
        __free_pages(page, order);
    }
    h->nr = 0;
}

/* ---- the playground ---------------------------------------------------------------------------- */

static struct zone pg_zone;
static struct page *pg_base;
static unsigned int pg_order;

static int playground_init(unsigned int order)
{
    struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
    if (!page)
        return -1;
    struct zone *real = page_zone(page);
    memset(&pg_zone, 0, sizeof(pg_zone));
    init_zone_struct(&pg_zone, real->node, real->zone_pgdat, zone_idx(real));
    pg_zone.name = "playground";
    pg_zone.zone_start_pfn = page_to_pfn(page);
    pg_zone.spanned_pages = pg_zone.present_pages = pg_zone.managed_pages = 1ul << order;
    pg_base = page;
    pg_order = order;
    set_page_count(page, 0);
    __free_one_page(page, page_to_pfn(page), &pg_zone, order, MIGRATE_UNMOVABLE);
    return 0;
}

static int playground_fini(void)
{
    struct page *page = __rmqueue_smallest(&pg_zone, pg_order, MIGRATE_UNMOVABLE);
    if (page != pg_base)
        return -1;
    set_page_count(page, 1);
    __free_pages(page, pg_order);
    return 0;
}

static struct page *pg_alloc(unsigned int order)
{
    struct page *page = __rmqueue_smallest(&pg_zone, order, MIGRATE_UNMOVABLE);
    if (page)
        set_page_count(page, 1);
    return page;
}

static void pg_free(struct page *page, unsigned int order)
{
    set_page_count(page, 0);
    __free_one_page(page, page_to_pfn(page), &pg_zone, order, MIGRATE_UNMOVABLE);
}

/* The playground's free lists as "o0 o1 ... o10" counts. */
static void pg_lists(char *buf, size_t size)
{
    int n = 0;
    for (int o = 0; o < MAX_ORDER; o++)
        n += scnprintf(buf + n, size - (size_t)n, "%s%lu", o ? " " : "", pg_zone.free_area[o].nr_free);
}

/* ---- seed 004: the buddy walk-through ------------------------------------------------------------ */

int test_buddy_walkthrough(char *msg, size_t len)
{
    /* A 1 MiB block (order 8), as the lecture's picture. Expected nr_free per order after each step. */
    static const struct {
        const char *what;
        char prog;         /* which program */
        int alloc;         /* 1: request, 0: release */
        unsigned long size;
        unsigned int offset_kb;   /* where the block must be, from the 1 MiB block's start */
        const char *lists; /* orders 0..10 */
    } steps[] = {
        { "A requests 34K", 'A', 1, 34 << 10, 0, "0 0 0 0 1 1 1 1 0 0 0" },
        { "B requests 66K", 'B', 1, 66 << 10, 128, "0 0 0 0 1 0 1 1 0 0 0" },
        { "C requests 35K", 'C', 1, 35 << 10, 64, "0 0 0 0 0 0 1 1 0 0 0" },
        { "D requests 67K", 'D', 1, 67 << 10, 256, "0 0 0 0 0 1 0 1 0 0 0" },
        { "C releases", 'C', 0, 35 << 10, 64, "0 0 0 0 1 1 0 1 0 0 0" },
        { "A releases", 'A', 0, 34 << 10, 0, "0 0 0 0 0 2 0 1 0 0 0" },
        { "B releases", 'B', 0, 66 << 10, 128, "0 0 0 0 0 1 1 1 0 0 0" },
        { "D releases", 'D', 0, 67 << 10, 256, "0 0 0 0 0 0 0 0 1 0 0" },
    };
    struct page *prog[4] = { 0 };
    char lists[64];
    int ret = EMU_TEST_PASS;
    if (get_order(34 << 10) != 4 || get_order(64 << 10) != 4 || get_order(66 << 10) != 5 || get_order(128 << 10) != 5)
        FAIL("get_order: 34K->%u 64K->%u 66K->%u 128K->%u", get_order(34 << 10), get_order(64 << 10),
             get_order(66 << 10), get_order(128 << 10));
    if (playground_init(8))
        FAIL("no free 1 MiB block");
    pg_lists(lists, sizeof(lists));
    pr_info("buddy walk-through: 1 MiB block at pfn %#lx, free lists (orders 0-10): %s\n", page_to_pfn(pg_base), lists);
    if (strcmp(lists, "0 0 0 0 0 0 0 0 1 0 0"))
        FAIL("initial free lists %s", lists);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        int p = steps[i].prog - 'A';
        unsigned int order = get_order(steps[i].size);
        if (steps[i].alloc) {
            prog[p] = pg_alloc(order);
            if (!prog[p])
                FAIL("%s: allocation of order %u failed", steps[i].what, order);
        } else {
            pg_free(prog[p], order);
        }
        unsigned long off = (page_to_pfn(prog[p]) - page_to_pfn(pg_base)) << (PAGE_SHIFT - 10);
        pg_lists(lists, sizeof(lists));
        pr_info("buddy walk-through: %s (order %u, %luK at +%luK): %s\n", steps[i].what, order, 4ul << order, off, lists);
        if (off != steps[i].offset_kb)
            FAIL("%s: block at +%luK, expected +%uK", steps[i].what, off, steps[i].offset_kb);
        if (strcmp(lists, steps[i].lists))
            FAIL("%s: free lists %s, expected %s", steps[i].what, lists, steps[i].lists);
        char m[128];
        if (zone_buddy_check(&pg_zone, m, sizeof(m)))
            FAIL("%s: %s", steps[i].what, m);
    }
    if (playground_fini())
        FAIL("the 1 MiB block did not merge back");
    return ret;
out:
    return ret;
}

/* ---- split and merge --------------------------------------------------------------------------- */

int test_buddy_split_merge(char *msg, size_t len)
{
    static struct page *pages[1024];
    int ret = EMU_TEST_PASS;
    if (playground_init(10))
        FAIL("no free 4 MiB block");
    unsigned long base = page_to_pfn(pg_base);
    for (int i = 0; i < 1024; i++) {
        pages[i] = pg_alloc(0);
        if (!pages[i] || page_to_pfn(pages[i]) != base + (unsigned long)i)
            FAIL("page %d: pfn %#lx, expected %#lx (split keeps the lower half)", i,
                 pages[i] ? page_to_pfn(pages[i]) : 0, base + (unsigned long)i);
    }
    for (int o = 0; o < MAX_ORDER; o++)
        if (pg_zone.free_area[o].nr_free)
            FAIL("all 1024 pages allocated but order %d has %lu free blocks", o, pg_zone.free_area[o].nr_free);
    if (pg_alloc(0))
        FAIL("an allocation succeeded from an empty playground");
    for (int i = 0; i < 1024; i += 2)
        pg_free(pages[i], 0);
    if (pg_zone.free_area[0].nr_free != 512 || pg_zone.free_area[1].nr_free)
        FAIL("even pages freed: %lu order-0 and %lu order-1 blocks, expected 512 and 0 (no buddy free)",
             pg_zone.free_area[0].nr_free, pg_zone.free_area[1].nr_free);
    for (int i = 1; i < 1024; i += 2)
        pg_free(pages[i], 0);
    for (int o = 0; o < MAX_ORDER - 1; o++)
        if (pg_zone.free_area[o].nr_free)
            FAIL("after freeing everything, order %d still has %lu blocks", o, pg_zone.free_area[o].nr_free);
    if (pg_zone.free_area[MAX_ORDER - 1].nr_free != 1)
        FAIL("the 1024 pages did not merge into one order-10 block");
    /* split an order-10 block to order 3 and back */
    struct page *p = pg_alloc(3);
    char lists[64];
    pg_lists(lists, sizeof(lists));
    if (!p || strcmp(lists, "0 0 0 1 1 1 1 1 1 1 0"))
        FAIL("order-3 allocation from an order-10 block left %s", lists);
    pg_free(p, 3);
    if (playground_fini())
        FAIL("did not merge back");
    /* the real zones: an order-5 block is aligned, referenced once, and merges back */
    struct page *q = alloc_pages(GFP_KERNEL, 5);
    if (!q || (page_to_pfn(q) & 31) || page_count(q) != 1 || PageBuddy(q))
        FAIL("order-5 block: pfn %#lx count %d buddy %d", q ? page_to_pfn(q) : 0, q ? page_count(q) : 0,
             q ? PageBuddy(q) : 0);
    __free_pages(q, 5);
    return ret;
out:
    return ret;
}

/* ---- zonelists and fallback -------------------------------------------------------------------- */

static struct zone *preferred_zone(int nid, gfp_t gfp)
{
    struct zoneref *z = NODE_DATA(nid)->node_zonelists[(gfp & __GFP_THISNODE) ? ZONELIST_NOFALLBACK : ZONELIST_FALLBACK]._zonerefs;
    while (z->zone && z->zone_idx > (int)gfp_zone(gfp))
        z++;
    return z->zone;
}

int test_zone_fallback(char *msg, size_t len)
{
    struct held h = { LIST_HEAD_INIT(h.list), 0 };
    int ret = EMU_TEST_PASS;
    /* zonelists: by distance, local first, zones high to low within a node */
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        struct zoneref *z = NODE_DATA(n)->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
        if (z->zone->node != (int)n)
            FAIL("node %u's zonelist starts on node %d", n, z->zone->node);
        for (; z[1].zone; z++) {
            int d0 = node_distance((int)n, z->zone->node), d1 = node_distance((int)n, z[1].zone->node);
            if (d1 < d0 || (z->zone->node == z[1].zone->node && z[1].zone_idx >= z->zone_idx))
                FAIL("node %u's zonelist: node %d %s before node %d %s", n, z->zone->node, z->zone->name,
                     z[1].zone->node, z[1].zone->name);
        }
    }
    /* zones: fill node 0 from its highest zone; GFP_KERNEL must fall back to lower zones but leave
     * ZONE_DMA its lowmem_reserve, which GFP_DMA may still use. */
    gfp_t gfp = GFP_KERNEL | __GFP_THISNODE | __GFP_NORETRY | __GFP_NOWARN;
    struct zone *top = preferred_zone(0, gfp);
    struct zone *dma = &NODE_DATA(0)->node_zones[ZONE_DMA];
    int fell_back = 0;
    for (unsigned int order = MAX_ORDER - 1;; ) {
        struct page *p = alloc_pages_node(0, gfp, order);
        if (!p) {
            if (order == 0)
                break;
            order = order > 3 ? order - 3 : 0;
            continue;
        }
        if (page_to_nid(p) != 0)
            FAIL("__GFP_THISNODE allocation from node %d", page_to_nid(p));
        if (page_zone(p) != top)
            fell_back = 1;
        hold(&h, p, order);
    }
    if (top != dma && !fell_back)
        FAIL("node 0 exhausted without falling back below zone %s", top->name);
    if (populated_zone(dma) && top != dma) {
        long floor = (long)min_wmark_pages(dma) + dma->lowmem_reserve[ZONE_NORMAL];
        if (dma->vm_stat[NR_FREE_PAGES] < floor - 1)
            FAIL("GFP_KERNEL drained ZONE_DMA to %ld pages, below min + lowmem_reserve = %ld",
                 dma->vm_stat[NR_FREE_PAGES], floor);
        struct page *d = alloc_pages_node(0, GFP_DMA | __GFP_NOWARN, 0);
        if (!d || page_zonenum(d) != ZONE_DMA)
            FAIL("GFP_DMA failed once GFP_KERNEL was refused (DMA free %ld, min %lu)", dma->vm_stat[NR_FREE_PAGES],
                 min_wmark_pages(dma));
        hold(&h, d, 0);
        pr_info("zone fallback: node 0 full after %lu blocks; DMA kept %ld free pages (min %lu + reserve %ld)\n", h.nr,
                dma->vm_stat[NR_FREE_PAGES], min_wmark_pages(dma), dma->lowmem_reserve[ZONE_NORMAL]);
    }
    release_all(&h);
    drain_all_pages(NULL);
    /* nodes: without __GFP_THISNODE, a full node falls back to the nearest node */
    if (nr_node_ids < 2) {
        scnprintf(msg, len, "1 node: zones only (node fallback needs 2 nodes)");
        return ret;
    }
    gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
    int src = 1, got = -1;
    int want = NODE_DATA(src)->node_zonelists[ZONELIST_FALLBACK]._zonerefs[0].zone->node;
    for (struct zoneref *z = NODE_DATA(src)->node_zonelists[ZONELIST_FALLBACK]._zonerefs; z->zone; z++)
        if (z->zone->node != src) {
            want = z->zone->node;
            break;
        }
    unsigned long foreign0 = 0;
    struct zone *zz;
    for_each_populated_zone(zz)
        if (zz->node == src)
            foreign0 += (unsigned long)zz->vm_stat[NUMA_FOREIGN];
    for (unsigned int order = MAX_ORDER - 1;;) {
        struct page *p = alloc_pages_node(src, gfp, order);
        if (!p) {
            if (order == 0)
                FAIL("allocation from node %d failed before falling back", src);
            order = order > 3 ? order - 3 : 0;
            continue;
        }
        hold(&h, p, order);
        if (page_to_nid(p) != src) {
            got = page_to_nid(p);
            break;
        }
    }
    unsigned long foreign1 = 0;
    for_each_populated_zone(zz)
        if (zz->node == src)
            foreign1 += (unsigned long)zz->vm_stat[NUMA_FOREIGN];
    if (got != want)
        FAIL("node %d full: fell back to node %d, expected the nearest, node %d", src, got, want);
    if (foreign1 != foreign0 + 1)
        FAIL("numa_foreign on node %d grew by %lu, expected 1", src, foreign1 - foreign0);
    scnprintf(msg, len, "node %d full after %lu blocks, fell back to node %d", src, h.nr - 1, got);
out:
    release_all(&h);
    drain_all_pages(NULL);
    return ret;
}

/* ---- watermarks --------------------------------------------------------------------------------- */

int test_watermarks(char *msg, size_t len)
{
    struct held h = { LIST_HEAD_INIT(h.list), 0 };
    int ret = EMU_TEST_PASS;
    struct zone *zone = &NODE_DATA(0)->node_zones[ZONE_DMA];
    if (!populated_zone(zone)) {
        scnprintf(msg, len, "no ZONE_DMA");
        return EMU_TEST_SKIP;
    }
    const gfp_t dma = GFP_DMA | __GFP_THISNODE | __GFP_NOWARN;
    long min = (long)min_wmark_pages(zone);
    /* order 1 bypasses the per-CPU lists: the zone's free count moves exactly */
    struct page *p;
    while ((p = alloc_pages_node(0, GFP_KERNEL | __GFP_NORETRY | dma, 1)))
        hold(&h, p, 1);
    long free = zone->vm_stat[NR_FREE_PAGES];
    if (free > min + 1 || free < min - 1)
        FAIL("GFP_KERNEL stopped at %ld free pages, min watermark %ld", free, min);
    if ((p = alloc_pages_node(0, GFP_NOWAIT | dma, 1))) {
        hold(&h, p, 1);
        FAIL("GFP_NOWAIT (no __GFP_HIGH) went below min: %ld free, min %ld", zone->vm_stat[NR_FREE_PAGES], min);
    }
    unsigned long atomic = 0;
    while ((p = alloc_pages_node(0, GFP_ATOMIC | dma, 1))) {
        hold(&h, p, 1);
        atomic++;
    }
    if (!atomic)
        FAIL("GFP_ATOMIC could not use the reserve below min (%ld free, min %ld)", zone->vm_stat[NR_FREE_PAGES], min);
    long m = min - min / 2;
    m -= m / 4;
    free = zone->vm_stat[NR_FREE_PAGES];
    if (free > m + 1 || free < m - 1)
        FAIL("GFP_ATOMIC stopped at %ld free pages, expected its reserve floor %ld", free, m);
    scnprintf(msg, len, "ZONE_DMA: min %ld, GFP_KERNEL stops at min, GFP_ATOMIC took %lu more blocks down to %ld", min,
              atomic, free);
out:
    release_all(&h);
    return ret;
}

/* ---- per-CPU lists ------------------------------------------------------------------------------ */

static void pcp_fill_fn(void *arg)
{
    (void)arg;
    struct page *p = alloc_page(GFP_KERNEL);
    if (p)
        __free_page(p);
}

int test_pcp_lists(char *msg, size_t len)
{
    struct held h = { LIST_HEAD_INIT(h.list), 0 };
    int ret = EMU_TEST_PASS;
    unsigned int cpu = smp_processor_id();
    drain_all_pages(NULL);
    struct page *p = alloc_page(GFP_KERNEL);
    struct zone *zone = page_zone(p);
    struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
    if (pcp->count != pcp->batch - 1)
        FAIL("after one allocation from an empty pcp: count %d, expected batch - 1 = %d", pcp->count, pcp->batch - 1);
    long free_before = zone->vm_stat[NR_FREE_PAGES];
    __free_page(p);
    if (pcp->count != pcp->batch)
        FAIL("after the free: count %d, expected batch %d", pcp->count, pcp->batch);
    if (zone->vm_stat[NR_FREE_PAGES] != free_before)
        FAIL("a free to the pcp changed the zone's free pages");
    int n = pcp->high + 2 * pcp->batch;
    for (int i = 0; i < n; i++) {
        p = alloc_page(GFP_KERNEL);
        if (!p)
            FAIL("allocation %d failed", i);
        hold(&h, p, 0);
    }
    int max_seen = 0;
    while (!list_empty(&h.list)) {
        p = list_first_entry(&h.list, struct page, lru);
        list_del(&p->lru);
        p->lru.next = p->lru.prev = &p->lru;
        p->private = 0;
        if (page_zone(p) != zone) {
            __free_page(p);
            continue;
        }
        __free_page(p);
        if (pcp->count > max_seen)
            max_seen = pcp->count;
        if (pcp->count >= pcp->high)
            FAIL("pcp count %d reached high %d without a bulk free", pcp->count, pcp->high);
    }
    if (max_seen != pcp->high - 1)
        FAIL("pcp count peaked at %d, expected high - 1 = %d (batch %d)", max_seen, pcp->high - 1, pcp->batch);
    if (nr_cpu_ids > 1) {
        smp_call_function_single(1, pcp_fill_fn, NULL, 1);
        int c1 = 0;
        struct zone *z;
        for_each_populated_zone(z)
            c1 += zone_pcp(z, 1)->count;
        if (!c1)
            FAIL("CPU 1 holds no pcp pages after allocating and freeing one");
    }
    drain_all_pages(NULL);
    struct zone *z;
    for_each_populated_zone(z)
        for (unsigned int c = 0; c < nr_cpu_ids; c++)
            if (zone_pcp(z, c)->count)
                FAIL("after drain_all_pages, CPU %u's pcp of node %d %s holds %d pages", c, z->node, z->name,
                     zone_pcp(z, c)->count);
    scnprintf(msg, len, "zone %s: batch %d, high %d", zone->name, pcp->batch, pcp->high);
out:
    release_all(&h);
    return ret;
}

/* ---- gfp flags ---------------------------------------------------------------------------------- */

int test_gfp_zones(char *msg, size_t len)
{
    struct held h = { LIST_HEAD_INIT(h.list), 0 };
    int ret = EMU_TEST_PASS;
    struct page *p;
    if (populated_zone(&NODE_DATA(0)->node_zones[ZONE_DMA])) {
        p = alloc_page(GFP_DMA);
        if (!p || page_zonenum(p) != ZONE_DMA || page_to_phys(p) >= (16ul << 20))
            FAIL("GFP_DMA: %s at %#llx", p ? zone_names[page_zonenum(p)] : "NULL",
                 p ? (unsigned long long)page_to_phys(p) : 0ull);
        hold(&h, p, 0);
    }
    p = alloc_pages(GFP_DMA32, 2);
    if (!p || page_zonenum(p) > ZONE_DMA32 || page_to_phys(p) >= (4ul << 30))
        FAIL("GFP_DMA32: %s at %#llx", p ? zone_names[page_zonenum(p)] : "NULL", p ? (unsigned long long)page_to_phys(p) : 0ull);
    hold(&h, p, 2);
    p = alloc_page(GFP_KERNEL);
    struct zone *want = preferred_zone(numa_node_id(), GFP_KERNEL);
    if (!p || page_zone(p) != want)
        FAIL("GFP_KERNEL: zone %s, expected the local node's highest, %s", p ? page_zone(p)->name : "NULL", want->name);
    if (kmap(p) != page_address(p) || kmap_atomic(p) != page_address(p))
        FAIL("kmap is not page_address on 64-bit");
    hold(&h, p, 0);
    p = alloc_page(GFP_HIGHUSER_MOVABLE);
    want = preferred_zone(numa_node_id(), GFP_HIGHUSER_MOVABLE);
    if (!p || page_zone(p) != want)
        FAIL("GFP_HIGHUSER_MOVABLE: zone %s, expected %s", p ? page_zone(p)->name : "NULL", want->name);
    if (gfp_migratetype(GFP_HIGHUSER_MOVABLE) != MIGRATE_MOVABLE || gfp_migratetype(GFP_KERNEL) != MIGRATE_UNMOVABLE ||
        gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE) != MIGRATE_RECLAIMABLE)
        FAIL("gfp_migratetype");
    if (gfp_zone(GFP_HIGHUSER) != ZONE_NORMAL || gfp_zone(GFP_HIGHUSER_MOVABLE) != ZONE_MOVABLE)
        FAIL("gfp_zone of GFP_HIGHUSER / GFP_HIGHUSER_MOVABLE");
    if (__GFP_WAIT != __GFP_RECLAIM || __GFP_REPEAT != __GFP_RETRY_MAYFAIL)
        FAIL("historical aliases");
    hold(&h, p, 0);
    unsigned long addr = __get_free_pages(GFP_KERNEL, 1);
    if (!addr || addr != (unsigned long)page_address(virt_to_page(addr)))
        FAIL("__get_free_pages returned %#lx", addr);
    free_pages(addr, 1);
    addr = __get_free_page(GFP_KERNEL);
    free_page(addr);
    free_page(0);
    if (alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER))
        FAIL("an order-%d allocation succeeded", MAX_ORDER);
    scnprintf(msg, len, "GFP_KERNEL -> %s, GFP_HIGHUSER_MOVABLE -> %s", preferred_zone(numa_node_id(), GFP_KERNEL)->name,
              want->name);
out:
    release_all(&h);
    return ret;
}

int test_gfp_zero(char *msg, size_t len)
{
    int ret = EMU_TEST_PASS;
    struct page *p = alloc_page(GFP_KERNEL);
    memset(page_address(p), 0xaa, PAGE_SIZE);
    __free_page(p);
    struct page *q = alloc_page(GFP_KERNEL | __GFP_ZERO);
    const u64 *w = page_address(q);
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
        if (w[i]) {
            __free_page(q);
            FAIL("__GFP_ZERO page (%s the dirtied one) has %#llx at word %u", p == q ? "reusing" : "not",
                 (unsigned long long)w[i], i);
        }
    int reused = p == q;
    __free_page(q);
    struct page *b = alloc_pages(GFP_KERNEL, 2);
    memset(page_address(b), 0x55, 4 * PAGE_SIZE);
    __free_pages(b, 2);
    b = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
    w = page_address(b);
    for (unsigned i = 0; i < 4 * PAGE_SIZE / 8; i++)
        if (w[i]) {
            __free_pages(b, 2);
            FAIL("order-2 __GFP_ZERO block has %#llx at word %u", (unsigned long long)w[i], i);
        }
    __free_pages(b, 2);
    unsigned long z = get_zeroed_page(GFP_KERNEL);
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
        if (((u64 *)z)[i]) {
            free_page(z);
            FAIL("get_zeroed_page is not zero");
        }
    free_page(z);
    scnprintf(msg, len, "the pcp handed back the dirtied page: %s", reused ? "yes" : "no");
out:
    return ret;
}

int test_gfp_thisnode(char *msg, size_t len)
{
    int ret = EMU_TEST_PASS;
    for (unsigned int n = 0; n < nr_node_ids; n++) {
        struct page *p = alloc_pages_node((int)n, GFP_KERNEL | __GFP_THISNODE, 0);
        if (!p || page_to_nid(p) != (int)n)
            FAIL("__GFP_THISNODE on node %u gave node %d", n, p ? page_to_nid(p) : -1);
        __free_page(p);
        p = alloc_pages_node((int)n, GFP_KERNEL, 3);
        if (!p || page_to_nid(p) != (int)n)
            FAIL("alloc_pages_node(%u) gave node %d", n, p ? page_to_nid(p) : -1);
        __free_pages(p, 3);
    }
    if (nr_node_ids == 1)
        scnprintf(msg, len, "1 node");
out:
    return ret;
}

/* ---- failure injection -------------------------------------------------------------------------- */

int test_fail_page_alloc(char *msg, size_t len)
{
    int ret = EMU_TEST_PASS;
    struct page *p[4] = { 0 };
    unsigned long reports = alloc_fail_reports;
    fail_page_alloc_nth = 3;
    for (int i = 0; i < 4; i++)
        p[i] = alloc_page(GFP_KERNEL);
    if (!p[0] || !p[1] || p[2] || !p[3])
        FAIL("with fail_page_alloc=3: allocations gave %s %s %s %s", p[0] ? "ok" : "NULL", p[1] ? "ok" : "NULL",
             p[2] ? "ok" : "NULL", p[3] ? "ok" : "NULL");
    if (alloc_fail_reports != reports + 1)
        FAIL("%lu failure reports printed, expected 1", alloc_fail_reports - reports);
    fail_page_alloc_nth = 1;
    struct page *q = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 2);
    if (q || alloc_fail_reports != reports + 1) {
        if (q)
            __free_pages(q, 2);
        FAIL("__GFP_NOWARN failure: page %s, %lu reports", q ? "allocated" : "NULL", alloc_fail_reports - reports);
    }
    fail_page_alloc_nth = 1;
    q = alloc_page(GFP_KERNEL | __GFP_NOFAIL);
    if (!q)
        FAIL("__GFP_NOFAIL allocation failed under fault injection");
    fail_page_alloc_nth = 0;
    __free_page(q);
out:
    fail_page_alloc_nth = 0;
    for (int i = 0; i < 4; i++)
        if (p[i])
            __free_page(p[i]);
    return ret;
}

/* ---- the reports agree -------------------------------------------------------------------------- */

static char rbuf[64 * 1024];

static const char *next_line(const char *l)
{
    while (*l && *l != '\n')
        l++;
    return *l ? l + 1 : l;
}

/* needle inside the line starting at l, or NULL */
static const char *strstr_line(const char *l, const char *needle)
{
    size_t n = strlen(needle);
    for (; *l && *l != '\n'; l++)
        if (!strncmp(l, needle, n))
            return l;
    return NULL;
}

static unsigned long parse_ul(const char **s)
{
    unsigned long v = 0;
    while (**s == ' ')
        (*s)++;
    while (**s >= '0' && **s <= '9')
        v = v * 10 + (unsigned long)(*(*s)++ - '0');
    return v;
}

int test_reports_consistency(char *msg, size_t len)
{
    int ret = EMU_TEST_PASS;
    struct seq_buf s;
    unsigned long buddy = 0, zinfo = 0, ptype = 0, memfree = 0;
    unsigned long truth = nr_free_pages();

    seq_buf_init(&s, rbuf, sizeof(rbuf));
    buddyinfo_show(&s);
    for (const char *l = rbuf; *l;) {
        const char *z = strstr_line(l, "zone ");
        if (z) {
            z += 5;
            while (*z == ' ')
                z++;
            while (*z != ' ')
                z++;
            for (int o = 0; o < MAX_ORDER; o++)
                buddy += parse_ul(&z) << o;
        }
        l = next_line(l);
    }
    seq_buf_init(&s, rbuf, sizeof(rbuf));
    zoneinfo_show(&s);
    for (const char *l = rbuf; *l; l = next_line(l))
        if (!strncmp(l, "  pages free", 12)) {
            const char *v = l + 12;
            zinfo += parse_ul(&v);
        }
    seq_buf_init(&s, rbuf, sizeof(rbuf));
    pagetypeinfo_show(&s);
    for (const char *l = rbuf; *l; l = next_line(l)) {
        const char *t = strstr_line(l, ", type ");
        if (t) {
            t += 7;
            while (*t == ' ')
                t++;
            while (*t != ' ')
                t++;
            for (int o = 0; o < MAX_ORDER; o++)
                ptype += parse_ul(&t) << o;
        }
    }
    seq_buf_init(&s, rbuf, sizeof(rbuf));
    meminfo_show(&s);
    for (const char *l = rbuf; *l; l = next_line(l))
        if (!strncmp(l, "MemFree:", 8)) {
            const char *v = l + 8;
            memfree = parse_ul(&v) >> 2;
        }
    if (buddy != truth || zinfo != truth || ptype != truth || memfree != truth)
        FAIL("free pages: buddyinfo %lu, zoneinfo %lu, pagetypeinfo %lu, meminfo %lu, counters %lu", buddy, zinfo, ptype,
             memfree, truth);
    scnprintf(msg, len, "%lu free pages in all four", truth);
out:
    return ret;
}
