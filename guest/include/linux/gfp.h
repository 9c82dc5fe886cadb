/* include/linux/gfp.h: "get free pages" flags and the page allocator's interface.
 *
 * A gfp_t says three things about an allocation (the notes' zone modifiers, action modifiers and
 * type flags):
 *   where:  __GFP_DMA (ZONE_DMA only), __GFP_DMA32 (ZONE_DMA32 or below), __GFP_HIGHMEM together
 *           with __GFP_MOVABLE (ZONE_MOVABLE allowed), otherwise ZONE_NORMAL and below
 *           (gfp_zone()); __GFP_MOVABLE and __GFP_RECLAIMABLE also choose the migrate type
 *           (gfp_migratetype()); __GFP_THISNODE forbids other nodes.
 *   how:    __GFP_DIRECT_RECLAIM (the caller may sleep and reclaim), __GFP_KSWAPD_RECLAIM (wake
 *           kswapd at the low watermark), __GFP_IO, __GFP_FS (reclaim may start block / file
 *           system I/O), __GFP_HIGH (the allocation is important: it may use part of the min
 *           watermark's reserve), __GFP_NOMEMALLOC (never use the reserves), __GFP_NORETRY (fail
 *           rather than retry), __GFP_RETRY_MAYFAIL (retry hard, but may fail), __GFP_NOFAIL (never
 *           fail), __GFP_NOWARN (no failure report), __GFP_ZERO (zero the pages).
 *   what:   the usual combinations, GFP_KERNEL, GFP_ATOMIC, ...
 * Reclaim does not exist yet (no LRU, no kswapd: later issues). Until then the reclaim flags keep
 * their meaning for what they do allow: an allocation without __GFP_DIRECT_RECLAIM never waits
 * (it is "atomic" and may dig deeper into the reserves with __GFP_HIGH); with it, the slow path
 * retries the free lists (reclaim would run there) up to MAX_RECLAIM_RETRIES times when
 * __GFP_RETRY_MAYFAIL or __GFP_NOFAIL asks, once otherwise; __GFP_KSWAPD_RECLAIM only counts
 * the wake-ups kswapd would get (pgalloc_kswapd_wakeups).
 * Historical names from the notes are aliases: __GFP_WAIT (before 4.4) is __GFP_RECLAIM,
 * __GFP_REPEAT (before 4.13) is __GFP_RETRY_MAYFAIL, and __GFP_HIGHMEM selects ZONE_NORMAL, the
 * highest zone a 64-bit kernel has (there is no ZONE_HIGHMEM).
 */
#ifndef _LINUX_GFP_H
#define _LINUX_GFP_H

#include <linux/types.h>
#include <linux/mmzone.h>

typedef unsigned int gfp_t;

#define __GFP_DMA 0x01u
#define __GFP_HIGHMEM 0x02u
#define __GFP_DMA32 0x04u
#define __GFP_MOVABLE 0x08u
#define __GFP_RECLAIMABLE 0x10u
#define __GFP_HIGH 0x20u
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u
#define __GFP_ZERO 0x100u
#define __GFP_DIRECT_RECLAIM 0x400u
#define __GFP_KSWAPD_RECLAIM 0x800u
#define __GFP_WRITE 0x1000u
#define __GFP_NOWARN 0x2000u
#define __GFP_RETRY_MAYFAIL 0x4000u
#define __GFP_NOFAIL 0x8000u
#define __GFP_NORETRY 0x10000u
#define __GFP_MEMALLOC 0x20000u
#define __GFP_COMP 0x40000u
#define __GFP_NOMEMALLOC 0x80000u
#define __GFP_HARDWALL 0x100000u
#define __GFP_THISNODE 0x200000u
#define __GFP_ACCOUNT 0x400000u
#define __GFP_BITS_SHIFT 23

#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_WAIT __GFP_RECLAIM            /* the notes' name (Linux < 4.4) */
#define __GFP_REPEAT __GFP_RETRY_MAYFAIL    /* the notes' name (Linux < 4.13) */

#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define GFP_MOVABLE_MASK (__GFP_RECLAIMABLE | __GFP_MOVABLE)
#define GFP_MOVABLE_SHIFT 3

#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA __GFP_DMA
#define GFP_DMA32 __GFP_DMA32
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)

#define __GFP_BITS_MASK ((1u << __GFP_BITS_SHIFT) - 1)
/* Early boot runs with interrupts disabled and cannot sleep: until start_kernel() enables them,
 * every allocation loses its reclaim and I/O flags (Linux's gfp_allowed_mask = GFP_BOOT_MASK). */
#define GFP_BOOT_MASK (__GFP_BITS_MASK & ~(__GFP_RECLAIM | __GFP_IO | __GFP_FS))
extern gfp_t gfp_allowed_mask;

struct page;

/* The highest zone an allocation with these flags may use (Linux's GFP_ZONE_TABLE). */
static inline enum zone_type gfp_zone(gfp_t flags)
{
    switch (flags & GFP_ZONEMASK) {
    case __GFP_DMA:
    case __GFP_DMA | __GFP_MOVABLE:
        return ZONE_DMA;
    case __GFP_DMA32:
    case __GFP_DMA32 | __GFP_MOVABLE:
        return ZONE_DMA32;
    case __GFP_HIGHMEM | __GFP_MOVABLE:
        return ZONE_MOVABLE;
    case 0:
    case __GFP_HIGHMEM:   /* no ZONE_HIGHMEM on 64-bit: the highest zone is ZONE_NORMAL */
    case __GFP_MOVABLE:
        return ZONE_NORMAL;
    default:
        BUG();            /* two zone modifiers at once (Linux's GFP_ZONE_BAD) */
    }
}

static inline int gfp_migratetype(gfp_t flags)
{
    return (int)((flags & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT);
}

static inline bool gfpflags_allow_blocking(gfp_t flags) { return !!(flags & __GFP_DIRECT_RECLAIM); }

/* mm/page_alloc.c. Orders 0 .. MAX_ORDER - 1; NULL (0) when the allocation fails. */
struct page *alloc_pages_node(int nid, gfp_t gfp_mask, unsigned int order);
struct page *__alloc_pages(gfp_t gfp_mask, unsigned int order, int preferred_nid);
static inline struct page *alloc_pages(gfp_t gfp_mask, unsigned int order)
{
    return alloc_pages_node(NUMA_NO_NODE, gfp_mask, order);
}
#define alloc_page(gfp_mask) alloc_pages(gfp_mask, 0)
unsigned long __get_free_pages(gfp_t gfp_mask, unsigned int order);
#define __get_free_page(gfp_mask) __get_free_pages((gfp_mask), 0)
unsigned long get_zeroed_page(gfp_t gfp_mask);
void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages((page), 0)
void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr) free_pages((addr), 0)

void drain_local_pages(struct zone *zone);
void drain_all_pages(struct zone *zone);

/* Format flags as Linux's %pGg does ("GFP_KERNEL|__GFP_NOWARN"). */
int format_gfp_flags(char *buf, size_t size, gfp_t gfp);

#endif
