/* include/linux/slab.h: the slab allocator's interface (SLUB: mm/slub.c, mm/slab_common.c).
 *
 * Object caches (kmem_cache_create() and friends) and kmalloc()/kfree() over the kmalloc-* caches,
 * as in Linux. The flags and the poison values are Linux's (include/linux/slab.h,
 * include/linux/poison.h), so a SLUB report from this kernel reads like one from Linux.
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/numa.h>
#include <asm/page.h>

typedef unsigned int slab_flags_t;

#define SLAB_CONSISTENCY_CHECKS 0x00000100u   /* check every free (slub_debug=F) */
#define SLAB_RED_ZONE 0x00000400u             /* red zones around each object */
#define SLAB_POISON 0x00000800u               /* poison free objects (and new ones) */
#define SLAB_KMALLOC 0x00001000u              /* a kmalloc-* cache */
#define SLAB_HWCACHE_ALIGN 0x00002000u        /* align objects to cache lines */
#define SLAB_CACHE_DMA 0x00004000u            /* pages from ZONE_DMA */
#define SLAB_CACHE_DMA32 0x00008000u          /* pages from ZONE_DMA32 or below */
#define SLAB_STORE_USER 0x00010000u           /* accepted; no allocation tracking is kept */
#define SLAB_PANIC 0x00040000u                /* kmem_cache_create() panics instead of failing */
#define SLAB_TYPESAFE_BY_RCU 0x00080000u
#define SLAB_NOLEAKTRACE 0x00800000u
#define SLAB_ACCOUNT 0x04000000u
#define SLAB_RECLAIM_ACCOUNT 0x00020000u      /* reclaimable objects: SReclaimable, MIGRATE_RECLAIMABLE */
#define SLAB_MEM_SPREAD 0
#define SLAB_DEBUG_FLAGS (SLAB_RED_ZONE | SLAB_POISON | SLAB_CONSISTENCY_CHECKS | SLAB_STORE_USER)

/* include/linux/poison.h */
#define POISON_INUSE 0x5a        /* a new object's bytes before anyone wrote them */
#define POISON_FREE 0x6b         /* a free object's bytes */
#define POISON_END 0xa5          /* the last byte of a poisoned free object */
#define SLUB_RED_INACTIVE 0xbb   /* red zone of a free object */
#define SLUB_RED_ACTIVE 0xcc     /* red zone of an allocated object */

/* kmalloc size classes (Linux's KMALLOC_SHIFT_*, with SLUB's values for 4 KiB pages). */
#define KMALLOC_MIN_SIZE 8
#define KMALLOC_SHIFT_LOW 3
#define KMALLOC_SHIFT_HIGH (PAGE_SHIFT + 1)                 /* kmalloc-8k: the largest cache */
#define KMALLOC_SHIFT_MAX (MAX_ORDER - 1 + PAGE_SHIFT)      /* 4 MiB: the largest buddy block */
#define KMALLOC_MAX_CACHE_SIZE (1ul << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE (1ul << KMALLOC_SHIFT_MAX)
#define KMALLOC_MAX_ORDER (KMALLOC_SHIFT_MAX - PAGE_SHIFT)

/* kmalloc(0) returns this: not NULL, but faults on any access (Linux's ZERO_SIZE_PTR). */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

enum kmalloc_cache_type {
    KMALLOC_NORMAL,       /* kmalloc-N */
    KMALLOC_RECLAIM,      /* kmalloc-rcl-N: __GFP_RECLAIMABLE */
    KMALLOC_DMA,          /* dma-kmalloc-N: GFP_DMA */
    NR_KMALLOC_TYPES
};

struct kmem_cache;
extern struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align, slab_flags_t flags,
                                     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags);
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node);
void kmem_cache_free(struct kmem_cache *s, void *x);
int kmem_cache_shrink(struct kmem_cache *s);
static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
    return kmem_cache_alloc(s, flags | __GFP_ZERO);
}
#define KMEM_CACHE(type, flags) kmem_cache_create(#type, sizeof(struct type), __alignof__(struct type), (flags), NULL)

void *__kmalloc_node(size_t size, gfp_t flags, int node);
static inline void *kmalloc_node(size_t size, gfp_t flags, int node) { return __kmalloc_node(size, flags, node); }
static inline void *kmalloc(size_t size, gfp_t flags) { return __kmalloc_node(size, flags, NUMA_NO_NODE); }
static inline void *kzalloc(size_t size, gfp_t flags) { return kmalloc(size, flags | __GFP_ZERO); }
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return kmalloc(n * size, flags);
}
static inline void *kcalloc(size_t n, size_t size, gfp_t flags) { return kmalloc_array(n, size, flags | __GFP_ZERO); }
void kfree(const void *x);
size_t ksize(const void *x);

/* The kmalloc cache index of a size (Linux's kmalloc_index()/kmalloc_slab()); 0 for size 0. */
unsigned int kmalloc_size_index(size_t size);
struct kmem_cache *kmalloc_slab(size_t size, gfp_t flags);

/* Invariants of every cache (free lists, counters, poison and red zones of free objects): 0 when
 * they hold, else -1 with a message (reports corruption as SLUB does, then repairs it). */
int slab_check(char *msg, size_t len);
/* Check one cache now (Linux's validate_slab_cache()): the number of corrupted objects found,
 * each reported and repaired. */
int kmem_cache_validate(struct kmem_cache *s);
/* Give back empty slabs of every cache (each CPU's current slab too). */
void kmem_cache_shrink_all(void);
/* Objects allocated and not freed, over all caches (kmalloc_large pages not included). */
unsigned long slab_objects_in_use(void);

/* mm/slab_common.c */
void kmem_cache_init(void);
struct seq_buf;
void slabinfo_show(struct seq_buf *m);
/* Pages in slabs, all nodes: reclaimable (SLAB_RECLAIM_ACCOUNT) and unreclaimable. */
unsigned long slab_pages_reclaimable(void), slab_pages_unreclaimable(void);
unsigned long node_slab_pages(int nid, int reclaimable);

/* SLUB's corruption reports (mm/slub.c): how many, and the title line of the last one
 * ("BUG kmalloc-64 (Not tainted): Right Redzone overwritten"), for the tests. */
extern unsigned long slab_bug_reports;
extern char slab_last_bug[160];
extern void *slab_last_bug_object;

#endif
