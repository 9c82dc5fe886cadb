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
 * A slab page uses the first union differently (SLUB, mm/slab.h's struct slab overlays it, as
 * Linux 5.17+ does): slab_list in lru, the owning kmem_cache in mapping's place, the free list in
 * index's, and the counters (inuse, objects, frozen) in private's.
 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>
#include <linux/list.h>

typedef struct { volatile int counter; } atomic_t;

struct address_space;
struct kmem_cache;

struct page {
    unsigned long flags;
    union {
        struct {                      /* page cache, anonymous, buddy and per-CPU lists */
            struct list_head lru;
            struct address_space *mapping;
            unsigned long index;
            unsigned long private;
        };
        struct {                      /* slab pages (mm/slab.h: struct slab) */
            struct list_head slab_list;
            struct kmem_cache *slab_cache;
            void *freelist;               /* first free object (not the CPU's) */
            union {
                unsigned long counters;
                struct {
                    unsigned inuse : 16;  /* objects handed out (all of them while frozen) */
                    unsigned objects : 15;
                    unsigned frozen : 1;  /* a CPU's current slab */
                };
            };
        };
        struct {                      /* tail pages of a compound page */
            unsigned long compound_head;   /* bit 0 set: the head page's address | 1 */
            unsigned char compound_order;  /* in the first tail page: the order (Linux's folio order) */
            unsigned long _tail_pad[3];
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

/* An address space (Linux's mm_struct, reduced to what the TLB code needs until processes exist):
 * its top-level page table, and the CPUs that may hold its translations in their TLBs
 * (mm_cpumask(): a CPU sets its bit when it starts using the page tables, switch_mm()). The
 * kernel's own is init_mm, which every online CPU uses. */
struct mm_struct {
    u64 *pgd;                         /* top-level table (PML4 or PML5), direct-map address */
    unsigned long pgd_pa;
    unsigned long cpu_bitmap[256 / 64];   /* struct cpumask (linux/cpumask.h) */
};
#define mm_cpumask(mm) ((struct cpumask *)(mm)->cpu_bitmap)
extern struct mm_struct init_mm;

/* A virtual memory area (Linux's vm_area_struct; VMAs proper come with processes). The TLB flush
 * interface takes one, as Linux's flush_tlb_page(vma, addr) does. */
struct vm_area_struct {
    unsigned long vm_start, vm_end;   /* [vm_start, vm_end) */
    struct mm_struct *vm_mm;
    unsigned long vm_flags;
};

#endif
