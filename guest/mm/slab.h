/* mm/slab.h: SLUB's data structures, shared by mm/slub.c and mm/slab_common.c (as Linux's).
 *
 *   struct slab             one slab: a block of 2^order pages cut into objects. It is not a
 *                           separate allocation but another view of the head page's struct page
 *                           (Linux 5.17+): the asserts below check that the fields line up.
 *   struct kmem_cache_cpu   a CPU's current slab and its private free list (the lock-free fast
 *                           path); Linux allocates these with alloc_percpu(), here they are an
 *                           array at the end of struct kmem_cache, one per CPU.
 *   struct kmem_cache_node  a node's partial slabs (some objects free) under list_lock, and its
 *                           full slabs (Linux keeps that list only for debugging caches; here
 *                           always, so that slab_check() and kmem_cache_destroy() see every slab).
 *   struct kmem_cache       the cache: object layout, slab order, flags, the above.
 */
#ifndef _MM_SLAB_H
#define _MM_SLAB_H

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

struct slab {
    unsigned long __page_flags;
    struct list_head slab_list;       /* on the node's partial or full list */
    struct kmem_cache *slab_cache;
    void *freelist;                   /* free objects not owned by a CPU */
    union {
        unsigned long counters;
        struct {
            unsigned inuse : 16;      /* objects not on freelist (a frozen slab: all the CPU's too) */
            unsigned objects : 15;
            unsigned frozen : 1;      /* some CPU's current slab */
        };
    };
    unsigned int __page_type;
    atomic_t __page_refcount;
    unsigned long __memcg_data;
};

#define SLAB_MATCH(pg, sl) _Static_assert(offsetof(struct page, pg) == offsetof(struct slab, sl), "struct slab: " #sl)
SLAB_MATCH(flags, __page_flags);
SLAB_MATCH(slab_list, slab_list);
SLAB_MATCH(slab_cache, slab_cache);
SLAB_MATCH(freelist, freelist);
SLAB_MATCH(counters, counters);
SLAB_MATCH(page_type, __page_type);
SLAB_MATCH(_refcount, __page_refcount);
_Static_assert(sizeof(struct slab) == sizeof(struct page), "struct slab size");

#define page_slab(p) ((struct slab *)(p))
#define slab_page(s) ((struct page *)(s))

static inline void *slab_address(const struct slab *slab) { return page_address(slab_page(slab)); }
static inline int slab_nid(const struct slab *slab) { return page_to_nid(slab_page(slab)); }
static inline unsigned int slab_order(const struct slab *slab) { return compound_order(slab_page(slab)); }
static inline size_t slab_size(const struct slab *slab) { return PAGE_SIZE << slab_order(slab); }

/* The slab an address belongs to, or NULL when its page is not a slab. */
static inline struct slab *virt_to_slab(const void *addr)
{
    struct page *page = compound_head(virt_to_page(addr));
    return PageSlab(page) ? page_slab(page) : NULL;
}

struct kmem_cache_cpu {
    void **freelist;                  /* next free object of the CPU slab */
    struct slab *slab;                /* the CPU slab (frozen), or NULL */
    unsigned long allocs, frees;      /* objects allocated and freed on this CPU (statistics) */
};

struct kmem_cache_node {
    spinlock_t list_lock;
    unsigned long nr_partial;
    struct list_head partial;
    struct list_head full;
    unsigned long nr_slabs;           /* all slabs of this node: partial, full and frozen */
    unsigned long total_objects;
};

/* Order and objects per slab in one word (Linux's kmem_cache_order_objects). */
#define OO_SHIFT 16
#define OO_MASK ((1u << OO_SHIFT) - 1)
#define MAX_OBJS_PER_PAGE 32767

#define __OBJECT_POISON 0x80000000u   /* poison the object itself (SLAB_POISON without a ctor) */

struct kmem_cache {
    slab_flags_t flags;
    unsigned int size;                /* the stride: object, red zones, free pointer, padding */
    unsigned int object_size;         /* what the user asked for */
    unsigned int offset;              /* of the free pointer within the object's slot */
    unsigned int inuse;               /* object plus right red zone: where metadata starts */
    unsigned int align;
    unsigned int red_left_pad;        /* left red zone before each object */
    unsigned int oo, min;             /* preferred and fallback order/objects */
    unsigned long min_partial;        /* empty slabs kept on a node's partial list */
    gfp_t allocflags;                 /* __GFP_COMP, GFP_DMA, __GFP_RECLAIMABLE */
    int refcount;
    void (*ctor)(void *);
    const char *name;
    struct list_head list;            /* slab_caches */
    u64 id;                           /* annotation owner id (EMU_OWNER_SLAB_CACHE) */
    char name_buf[40];
    struct kmem_cache_node *node[MAX_NUMNODES];
    struct kmem_cache_cpu cpu_slab[]; /* nr_cpu_ids of them */
};

static inline unsigned int oo_order(unsigned int x) { return x >> OO_SHIFT; }
static inline unsigned int oo_objects(unsigned int x) { return x & OO_MASK; }
static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int node) { return s->node[node]; }
static inline struct kmem_cache_cpu *cpu_slab_of(struct kmem_cache *s, unsigned int cpu) { return &s->cpu_slab[cpu]; }
static inline bool kmem_cache_debug(const struct kmem_cache *s) { return s->flags & SLAB_DEBUG_FLAGS; }

extern struct list_head slab_caches;
extern spinlock_t slab_mutex;
extern struct kmem_cache *kmem_cache;       /* the cache of struct kmem_cache */

/* mm/slub.c */
int __kmem_cache_create(struct kmem_cache *s, const char *name, unsigned int size, unsigned int align,
                        slab_flags_t flags, void (*ctor)(void *));
int __kmem_cache_shutdown(struct kmem_cache *s);
void __kmem_cache_release(struct kmem_cache *s);
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node);
void slab_free(struct kmem_cache *s, struct slab *slab, void *object);
void slub_init(void);
size_t kmem_cache_struct_size(void);
/* Totals of a cache (for slabinfo): slabs, objects, free objects on partial lists. */
void slab_cache_counts(struct kmem_cache *s, unsigned long *slabs, unsigned long *objs, unsigned long *partial_free);
extern slab_flags_t slub_debug;
extern char slub_debug_string[64];

#endif
