/* include/linux/mm.h: pages, frames and addresses.
 *
 * The memory model is Linux's classic SPARSEMEM (mm/sparse.c): physical memory is cut into
 * sections of 128 MiB (SECTION_SIZE_BITS 27, as x86-64); each section that holds RAM has its own
 * piece of mem_map, allocated on the node of its memory; sections without RAM have none, so a
 * hole in the physical map costs no struct pages (a hole inside a present section does: those
 * pages are marked PG_reserved, as Linux's init_unavailable_range() does). mem_section[nr]
 * stores the section's memmap minus its first pfn, so
 *     pfn_to_page(pfn) = mem_section[pfn >> PFN_SECTION_SHIFT].section_mem_map + pfn
 * and page_to_pfn() reads the section number back from page->flags.
 *
 * page->flags holds, from the top: the section number, the node id and the zone index
 * (set_page_links()), then the PG_* bits from bit 0 (linux/page-flags.h). page_zone() and
 * page_to_nid() are therefore a shift and a mask, as in Linux.
 *
 * There is no ZONE_HIGHMEM: every page has a direct-map address, page_address(page) =
 * __va(page_to_pfn(page) << PAGE_SHIFT).
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/types.h>
#include <linux/mm_types.h>
#include <linux/page-flags.h>
#include <linux/mmzone.h>
#include <linux/gfp.h>
#include <asm/page.h>

#define SECTION_SIZE_BITS 27
#define MAX_PHYSMEM_BITS 52
#define PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION (1ul << PFN_SECTION_SHIFT)
#define SECTIONS_SHIFT (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS)

#define SECTIONS_WIDTH SECTIONS_SHIFT
#define NODES_WIDTH NODES_SHIFT
#define ZONES_WIDTH ZONES_SHIFT
#define SECTIONS_PGSHIFT (64 - SECTIONS_WIDTH)
#define NODES_PGSHIFT (SECTIONS_PGSHIFT - NODES_WIDTH)
#define ZONES_PGSHIFT (NODES_PGSHIFT - ZONES_WIDTH)
#define SECTIONS_MASK ((1ul << SECTIONS_WIDTH) - 1)
#define NODES_MASK ((1ul << NODES_WIDTH) - 1)
#define ZONES_MASK ((1ul << ZONES_WIDTH) - 1)
_Static_assert(ZONES_PGSHIFT >= NR_PAGEFLAGS, "page->flags: no room for the PG_ bits");

struct mem_section {
    struct page *section_mem_map;   /* this section's memmap minus its first pfn; NULL: no memory */
    unsigned long end_pfn;          /* the memmap stops here (the section's last RAM, rounded up) */
    int nid;                        /* the node its memmap lives on (of its first RAM) */
};
extern struct mem_section *mem_section;
extern unsigned long nr_mem_sections;   /* sections covered by mem_section[] */
extern unsigned long max_pfn, min_low_pfn;

static inline unsigned long pfn_to_section_nr(unsigned long pfn) { return pfn >> PFN_SECTION_SHIFT; }
static inline unsigned long section_nr_to_pfn(unsigned long sec) { return sec << PFN_SECTION_SHIFT; }

static inline enum zone_type page_zonenum(const struct page *page)
{
    return (enum zone_type)((page->flags >> ZONES_PGSHIFT) & ZONES_MASK);
}
static inline int page_to_nid(const struct page *page) { return (int)((page->flags >> NODES_PGSHIFT) & NODES_MASK); }
static inline unsigned long page_to_section(const struct page *page) { return (page->flags >> SECTIONS_PGSHIFT) & SECTIONS_MASK; }
static inline struct zone *page_zone(const struct page *page)
{
    return &NODE_DATA(page_to_nid(page))->node_zones[page_zonenum(page)];
}
/* Node and zone in one number, to compare two pages' zones cheaply (Linux's page_zone_id()). */
static inline unsigned long page_zone_id(const struct page *page)
{
    return (page->flags >> ZONES_PGSHIFT) & ((1ul << (NODES_WIDTH + ZONES_WIDTH)) - 1);
}
static inline void set_page_links(struct page *page, enum zone_type zone, int nid, unsigned long pfn)
{
    page->flags &= ~((ZONES_MASK << ZONES_PGSHIFT) | (NODES_MASK << NODES_PGSHIFT) | (SECTIONS_MASK << SECTIONS_PGSHIFT));
    page->flags |= ((unsigned long)zone << ZONES_PGSHIFT) | ((unsigned long)nid << NODES_PGSHIFT) |
                   (pfn_to_section_nr(pfn) << SECTIONS_PGSHIFT);
}

static inline int pfn_valid(unsigned long pfn)
{
    unsigned long sec = pfn_to_section_nr(pfn);
    return sec < nr_mem_sections && mem_section[sec].section_mem_map != NULL && pfn < mem_section[sec].end_pfn;
}
static inline struct page *pfn_to_page(unsigned long pfn)
{
    return mem_section[pfn_to_section_nr(pfn)].section_mem_map + pfn;
}
static inline unsigned long page_to_pfn(const struct page *page)
{
    return (unsigned long)(page - mem_section[page_to_section(page)].section_mem_map);
}
#define page_to_phys(page) ((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)
#define phys_to_page(pa) pfn_to_page((pa) >> PAGE_SHIFT)
static inline void *page_address(const struct page *page) { return __va(page_to_phys(page)); }
#define lowmem_page_address(page) page_address(page)
#define virt_to_page(va) pfn_to_page(__pa(va) >> PAGE_SHIFT)
#define virt_to_pfn(va) (__pa(va) >> PAGE_SHIFT)

/* Reference counts. */
static inline int page_ref_count(const struct page *page) { return READ_ONCE(page->_refcount.counter); }
static inline int page_count(const struct page *page) { return page_ref_count(page); }
static inline void set_page_count(struct page *page, int v) { WRITE_ONCE(page->_refcount.counter, v); }
static inline void init_page_count(struct page *page) { set_page_count(page, 1); }
static inline void page_ref_inc(struct page *page)
{
    __asm__ __volatile__("lock incl %0" : "+m"(page->_refcount.counter) : : "memory");
}
/* Decrement; true when the count reached zero. */
static inline int page_ref_dec_and_test(struct page *page)
{
    unsigned char z;
    __asm__ __volatile__("lock decl %0; sete %1" : "+m"(page->_refcount.counter), "=qm"(z) : : "memory");
    return z;
}
static inline int page_mapcount(const struct page *page) { return page->_mapcount.counter + 1; }
static inline void get_page(struct page *page) { page_ref_inc(page); }
void put_page(struct page *page);   /* frees an order-0 page when the last reference goes */

static inline unsigned long page_private(const struct page *page) { return page->private; }
static inline void set_page_private(struct page *page, unsigned long v) { page->private = v; }

/* The head page of a compound page (the page itself if it is not a tail). */
static inline struct page *compound_head(const struct page *page)
{
    unsigned long head = READ_ONCE(page->compound_head);
    return (head & 1) ? (struct page *)(head - 1) : (struct page *)page;
}

/* A compound page's order (kept in its first tail page); 0 for a single page. */
static inline unsigned int compound_order(const struct page *page)
{
    return PageHead(page) ? page[1].compound_order : 0;
}

/* The smallest order whose block holds size bytes (Linux's get_order()). */
static inline unsigned int get_order(unsigned long size)
{
    unsigned int order = 0;
    size = (size - 1) >> PAGE_SHIFT;
    while (size) {
        order++;
        size >>= 1;
    }
    return order;
}

/* Find last set bit: 1-based index of the highest set bit, 0 for 0 (Linux's fls()). */
static inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline int ilog2(unsigned long x) { return fls64(x) - 1; }

/* Totals (mm/page_alloc.c). */
extern unsigned long totalram_pages_count;
extern unsigned long totalreserve_pages;
static inline unsigned long totalram_pages(void) { return totalram_pages_count; }
unsigned long nr_free_pages(void);
unsigned long nr_free_pcp_pages(void);

/* mm/mm_init.c */
void free_area_init(void);
void build_all_zonelists(void);
void mm_core_init(void);
void setup_per_cpu_pageset(void);
unsigned long memmap_pages_total(void);

/* mm/sparse.c */
void sparse_init(void);

/* mm/show_mem.c */
void show_free_areas(int nid_filter);

/* The buddy allocator's invariants (mm/page_alloc.c): 0 when they hold, else -1 with a message. */
int buddy_check(char *msg, size_t len);

#endif
