/* mm/internal.h: what the page allocator's files and tests share (as Linux's mm/internal.h). */
#ifndef _MM_INTERNAL_H
#define _MM_INTERNAL_H

#include <linux/mm.h>

/* alloc_flags: how deep an allocation may dig (Linux's ALLOC_*). */
#define ALLOC_WMARK_MIN WMARK_MIN
#define ALLOC_WMARK_LOW WMARK_LOW
#define ALLOC_WMARK_HIGH WMARK_HIGH
#define ALLOC_NO_WATERMARKS 0x04
#define ALLOC_WMARK_MASK (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM 0x08
#define ALLOC_NON_BLOCK 0x10        /* the caller cannot sleep: a little more of the reserve */
#define ALLOC_MIN_RESERVE 0x20      /* __GFP_HIGH: half of the min watermark's reserve */
#define ALLOC_KSWAPD 0x800          /* wake kswapd (__GFP_KSWAPD_RECLAIM) */
#define ALLOC_HIGHATOMIC 0x200
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

struct alloc_context {
    struct zonelist *zonelist;
    struct zoneref *preferred_zoneref;
    int migratetype;
    enum zone_type highest_zoneidx;
};

bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark, int highest_zoneidx,
                         unsigned int alloc_flags, long free_pages);
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark, int highest_zoneidx,
                       unsigned int alloc_flags);
struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int migratetype);
struct page *__rmqueue(struct zone *zone, unsigned int order, int migratetype);
void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone, unsigned int order, int migratetype);
int get_pageblock_migratetype(const struct page *page);
void set_pageblock_migratetype(struct page *page, int migratetype);
void init_zone_struct(struct zone *zone, int nid, struct pglist_data *pgdat, int zid);
int zone_buddy_check(struct zone *zone, char *msg, size_t len);
/* Free blocks of `order` and `type` in a zone (list walk). */
unsigned long zone_free_count(struct zone *zone, unsigned int order, int type);

extern unsigned long fail_page_alloc_nth;      /* fail the Nth allocation from now (0: off) */
extern unsigned long alloc_fail_reports;       /* page allocation failure reports printed */
extern unsigned long alloc_failures, kswapd_wakeups;
int cmdline_has_word(const char *word);
void setup_per_zone_wmarks(void);

#endif
