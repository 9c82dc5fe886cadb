/* include/linux/page-flags.h: the PG_* bits of page->flags and the page types.
 *
 * As Linux's page-flags.h: each flag has PageFoo(), SetPageFoo(), ClearPageFoo() and the
 * non-atomic __SetPageFoo()/__ClearPageFoo() (used while the page is private to the caller).
 * Set and clear are atomic (lock bts/btr) because other CPUs may touch other bits of the same
 * word. PageBuddy() and PageTable() are page *types*, kept in page->page_type (which shares its
 * word with _mapcount) as Linux 6.x does: a page heading a free buddy block is not mapped, so
 * the mapcount word is free to say so. PG_slab is kept as a flag, as Linux had it until 6.10.
 */
#ifndef _LINUX_PAGE_FLAGS_H
#define _LINUX_PAGE_FLAGS_H

#include <linux/mm_types.h>

enum pageflags {
    PG_locked,          /* page is locked (I/O in progress) */
    PG_writeback,
    PG_referenced,      /* recently referenced (LRU second chance) */
    PG_uptodate,        /* contents valid */
    PG_dirty,           /* must be written back */
    PG_lru,             /* on an LRU list */
    PG_head,            /* head page of a compound page */
    PG_waiters,
    PG_active,          /* on the active LRU list */
    PG_workingset,
    PG_owner_priv_1,
    PG_arch_1,
    PG_reserved,        /* never handed to the page allocator (memblock reservations, holes) */
    PG_private,         /* page->private is in use by the owner */
    PG_private_2,
    PG_reclaim,
    PG_swapbacked,
    PG_unevictable,
    PG_mlocked,
    PG_slab,            /* a slab page (SLUB, next issue) */
    NR_PAGEFLAGS,
};

#define __PAGEFLAG(Uname, lname)                                                                 \
    static inline int Page##Uname(const struct page *p) { return (p->flags >> PG_##lname) & 1; } \
    static inline void __SetPage##Uname(struct page *p) { p->flags |= 1ul << PG_##lname; }      \
    static inline void __ClearPage##Uname(struct page *p) { p->flags &= ~(1ul << PG_##lname); } \
    static inline void SetPage##Uname(struct page *p)                                            \
    {                                                                                            \
        __asm__ __volatile__("lock btsq %1, %0" : "+m"(p->flags) : "r"((long)PG_##lname) : "memory"); \
    }                                                                                            \
    static inline void ClearPage##Uname(struct page *p)                                          \
    {                                                                                            \
        __asm__ __volatile__("lock btrq %1, %0" : "+m"(p->flags) : "r"((long)PG_##lname) : "memory"); \
    }

__PAGEFLAG(Locked, locked)
__PAGEFLAG(Writeback, writeback)
__PAGEFLAG(Referenced, referenced)
__PAGEFLAG(Uptodate, uptodate)
__PAGEFLAG(Dirty, dirty)
__PAGEFLAG(LRU, lru)
__PAGEFLAG(Head, head)
__PAGEFLAG(Active, active)
__PAGEFLAG(Reserved, reserved)
__PAGEFLAG(Private, private)
__PAGEFLAG(Reclaim, reclaim)
__PAGEFLAG(SwapBacked, swapbacked)
__PAGEFLAG(Unevictable, unevictable)
__PAGEFLAG(Mlocked, mlocked)
__PAGEFLAG(Slab, slab)

/* Flags a page must not carry when it is freed or allocated (Linux's PAGE_FLAGS_CHECK_AT_FREE). */
#define PAGE_FLAGS_CHECK_AT_FREE                                                                  \
    ((1ul << PG_lru) | (1ul << PG_locked) | (1ul << PG_private) | (1ul << PG_private_2) |           \
     (1ul << PG_writeback) | (1ul << PG_reserved) | (1ul << PG_slab) | (1ul << PG_active) |         \
     (1ul << PG_unevictable) | (1ul << PG_mlocked))
#define PAGE_FLAGS_MASK ((1ul << NR_PAGEFLAGS) - 1)

/* Page types: the top byte of page_type; UINT_MAX (mapcount -1) means no type. */
#define PAGE_TYPE_NONE 0xffffffffu
#define PGTY_buddy 0xf0u
#define PGTY_table 0xf2u

static inline int page_has_type(const struct page *p) { return (p->page_type >> 24) >= 0xf0 && p->page_type != PAGE_TYPE_NONE; }
static inline int PageBuddy(const struct page *p) { return (p->page_type >> 24) == PGTY_buddy; }
static inline void __SetPageBuddy(struct page *p) { p->page_type = PGTY_buddy << 24; }
static inline void __ClearPageBuddy(struct page *p) { p->page_type = PAGE_TYPE_NONE; }
static inline int PageTable(const struct page *p) { return (p->page_type >> 24) == PGTY_table; }
static inline void __SetPageTable(struct page *p) { p->page_type = PGTY_table << 24; }
static inline void __ClearPageTable(struct page *p) { p->page_type = PAGE_TYPE_NONE; }

#endif
