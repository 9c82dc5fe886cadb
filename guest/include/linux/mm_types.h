/* include/linux/mm_types.h: struct page.
 *
 * One struct page describes one 4 KiB physical frame, as in Linux: the kernel keeps an array of
 * them (mem_map, here one piece per present memory section: mm/sparse.c) and converts between a
 * page, its frame number and its direct-map address with pure arithmetic (linux/mm.h). Its size is
 * part of the design: 64 bytes, a cache line, so the memmap costs 64/4096 = 1.56% of RAM (the
 * notes' "128 MB of struct page for 8 GB"). Fields, as Linux names them:
 *   flags      PG_* bits (linux/page-flags.h) in the low bits; the section, node and zone numbers
 *              in the high bits (set_page_links(), linux/mm.h);
 *   lru        list linkage: the buddy free list while the page heads a free block, a per-CPU
 *              page list while it sits there, the LRU lists later;
 *   mapping    the address_space (page cache) or anon_vma of the page (later issues);
 *   index      the page's offset in its mapping;
 *   private    the buddy order while the page heads a free block (set_buddy_order());
 *   _mapcount  page-table mappings minus one; shares its word with page_type (PageBuddy,
 *              PageTable), as modern Linux does;
 *   _refcount  references; 0 for a free page, 1 for a freshly allocated one.
 * The union with the slab fields (slab, freelist, counters) comes with SLUB in the next issue.
 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>
#include <linux/list.h>

typedef struct { volatile int counter; } atomic_t;

struct address_space;

struct page {
    unsigned long flags;
    union {
        struct {                      /* page cache, anonymous, buddy and per-CPU lists */
            struct list_head lru;
            struct address_space *mapping;
            unsigned long index;
            unsigned long private;
        };
        struct {                      /* tail pages of a compound page */
            unsigned long compound_head;   /* bit 0 set: the head page's address | 1 */
            unsigned long _tail_pad[4];
        };
    };
    union {
        atomic_t _mapcount;
        unsigned int page_type;
    };
    atomic_t _refcount;
    unsigned long memcg_data;         /* unused: no memory cgroups (keeps Linux's 64 bytes) */
};

_Static_assert(sizeof(struct page) == 64, "struct page must be 64 bytes");

#endif
