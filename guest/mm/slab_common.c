/* mm/slab_common.c: what every slab allocator shares: kmem_cache_create() and destroy(), the
 * kmalloc caches and kmalloc()/kfree(), /proc/slabinfo.
 *
 * kmalloc(size) rounds the size up to a size class and allocates from that class's cache. The
 * classes are powers of two from 8 bytes to 8 KiB (KMALLOC_SHIFT_LOW..KMALLOC_SHIFT_HIGH) plus 96
 * and 192, which are common sizes that would waste a third of a 128 or 256 byte object. For sizes
 * up to 192 the class comes from a table indexed by (size - 1) / 8 (Linux's size_index[]: 65..96
 * -> kmalloc-96, 129..192 -> kmalloc-192), above it from the highest bit of size - 1. Each class
 * exists three times (Linux's kmalloc_type()): kmalloc-N for ordinary allocations, kmalloc-rcl-N
 * for __GFP_RECLAIMABLE ones (their slabs are SReclaimable and sit in RECLAIMABLE pageblocks) and
 * dma-kmalloc-N for GFP_DMA (slabs in ZONE_DMA). Memory cgroups do not exist here, so there are no
 * kmalloc-cg-N caches.
 *
 * Above 8 KiB, kmalloc() takes pages from the buddy allocator directly (kmalloc_large(), a
 * compound page whose order kfree() reads back), up to KMALLOC_MAX_SIZE = 4 MiB, the largest
 * block the buddy allocator has (order MAX_ORDER - 1). Anything larger fails with NULL (and a
 * warning unless __GFP_NOWARN): the notes' "maximum size allowed is 4 MB", and the point where
 * seed 002's doubling loop stops.
 *
 * Linux merges caches of compatible size and flags into one (slab aliases); this kernel does not,
 * so each kmem_cache_create() gets its own cache and its own slabinfo line.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/seq_buf.h>
#include "slab.h"

struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];

/* Size class of sizes 1..192, by (size - 1) / 8. Index 1 is kmalloc-96, 2 is kmalloc-192. */
static const u8 size_index[24] = {
    3, 4, 5, 5, 6, 6, 6, 6,   /* 8, 16, 24, 32, 40, 48, 56, 64 */
    1, 1, 1, 1, 7, 7, 7, 7,   /* 72, 80, 88, 96, 104, 112, 120, 128 */
    2, 2, 2, 2, 2, 2, 2, 2,   /* 136 ... 192 */
};

static const char *const kmalloc_type_prefix[NR_KMALLOC_TYPES] = { "kmalloc-", "kmalloc-rcl-", "dma-kmalloc-" };

unsigned int kmalloc_size_index(size_t size)
{
    if (!size)
        return 0;
    if (size <= 192)
        return size_index[(size - 1) / 8];
    return (unsigned int)fls64(size - 1);
}

static enum kmalloc_cache_type kmalloc_type(gfp_t flags)
{
    if (flags & __GFP_DMA)
        return KMALLOC_DMA;
    if (flags & __GFP_RECLAIMABLE)
        return KMALLOC_RECLAIM;
    return KMALLOC_NORMAL;
}

struct kmem_cache *kmalloc_slab(size_t size, gfp_t flags)
{
    return kmalloc_caches[kmalloc_type(flags)][kmalloc_size_index(size)];
}

static unsigned int kmalloc_size(unsigned int index)
{
    return index == 1 ? 96 : index == 2 ? 192 : 1u << index;
}

/* ---- caches ------------------------------------------------------------------------------------ */

static struct kmem_cache *create_cache(const char *name, unsigned int size, unsigned int align, slab_flags_t flags,
                                       void (*ctor)(void *), int *err)
{
    struct kmem_cache *s = kmem_cache_zalloc(kmem_cache, GFP_KERNEL);
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = __kmem_cache_create(s, name, size, align, flags, ctor);
    if (*err) {
        kmem_cache_free(kmem_cache, s);
        return NULL;
    }
    spin_lock(&slab_mutex);
    list_add(&s->list, &slab_caches);   /* newest first, as /proc/slabinfo lists them */
    spin_unlock(&slab_mutex);
    return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align, slab_flags_t flags,
                                     void (*ctor)(void *))
{
    int err = -EINVAL;
    struct kmem_cache *s = NULL;
    if (name && *name && size && size <= KMALLOC_MAX_SIZE)
        s = create_cache(name, size, align, flags, ctor, &err);
    if (!s) {
        if (flags & SLAB_PANIC)
            panic("kmem_cache_create: Failed to create slab '%s'. Error %d", name ? name : "(null)", err);
        pr_warn("kmem_cache_create(%s) failed with error %d\n", name ? name : "(null)", err);
    }
    return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
    if (!s)
        return;
    if (--s->refcount)
        return;
    if (__kmem_cache_shutdown(s)) {
        pr_err("kmem_cache_destroy %s: Slab cache still has objects\n", s->name);
        s->refcount++;   /* keep it, as Linux does: its objects are still in use */
        return;
    }
    spin_lock(&slab_mutex);
    list_del(&s->list);
    spin_unlock(&slab_mutex);
    __kmem_cache_release(s);
    kmem_cache_free(kmem_cache, s);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
    return slab_alloc_node(s, flags, NUMA_NO_NODE);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
    return slab_alloc_node(s, flags, node);
}

void kmem_cache_free(struct kmem_cache *s, void *x)
{
    if (!x)
        return;
    struct slab *slab = virt_to_slab(x);
    if (!slab) {
        pr_err("kmem_cache_free(%s): %#lx is not a slab object\n", s->name, (unsigned long)x);
        return;
    }
    if (slab->slab_cache != s) {
        pr_err("%s: Wrong slab cache. %s but object is from %s\n", __func__, s->name, slab->slab_cache->name);
        s = slab->slab_cache;
    }
    slab_free(s, slab, x);
}

/* ---- kmalloc ----------------------------------------------------------------------------------- */

static void *kmalloc_large_node(size_t size, gfp_t flags, int node)
{
    if (size > KMALLOC_MAX_SIZE) {
        if (!(flags & __GFP_NOWARN))
            pr_warn("WARNING: CPU: %u: kmalloc(%zu): more than KMALLOC_MAX_SIZE (%lu bytes)\n", smp_processor_id(),
                    size, KMALLOC_MAX_SIZE);
        return NULL;
    }
    struct page *page = alloc_pages_node(node, flags | __GFP_COMP, get_order(size));
    return page ? page_address(page) : NULL;
}

void *__kmalloc_node(size_t size, gfp_t flags, int node)
{
    if (size > KMALLOC_MAX_CACHE_SIZE)
        return kmalloc_large_node(size, flags, node);
    if (!size)
        return ZERO_SIZE_PTR;
    return slab_alloc_node(kmalloc_slab(size, flags), flags, node);
}

void kfree(const void *x)
{
    if (ZERO_OR_NULL_PTR(x))
        return;
    struct page *page = compound_head(virt_to_page(x));
    if (!PageSlab(page)) {
        if (page_address(page) != x)
            pr_err("kfree: %#lx is neither a slab object nor a kmalloc_large() block\n", (unsigned long)x);
        else
            __free_pages(page, compound_order(page));
        return;
    }
    struct slab *slab = page_slab(page);
    slab_free(slab->slab_cache, slab, (void *)x);
}

size_t ksize(const void *x)
{
    if (ZERO_OR_NULL_PTR(x))
        return 0;
    struct page *page = compound_head(virt_to_page(x));
    if (!PageSlab(page))
        return PAGE_SIZE << compound_order(page);
    return page_slab(page)->slab_cache->object_size;
}

/* The caches in Linux's order: per type, kmalloc-96 and kmalloc-192, then 8 ... 8k. */
static void create_kmalloc_caches(void)
{
    for (int type = 0; type < NR_KMALLOC_TYPES; type++) {
        slab_flags_t flags = SLAB_KMALLOC | (type == KMALLOC_RECLAIM ? SLAB_RECLAIM_ACCOUNT : 0) |
                             (type == KMALLOC_DMA ? SLAB_CACHE_DMA : 0);
        unsigned int order[KMALLOC_SHIFT_HIGH + 1], n = 0;
        order[n++] = 1;
        order[n++] = 2;
        for (unsigned int i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++)
            order[n++] = i;
        for (unsigned int k = 0; k < n; k++) {
            unsigned int idx = order[k], size = kmalloc_size(idx);
            char name[32];
            if (size >= 1024)
                scnprintf(name, sizeof(name), "%s%uk", kmalloc_type_prefix[type], size >> 10);
            else
                scnprintf(name, sizeof(name), "%s%u", kmalloc_type_prefix[type], size);
            int err;
            /* power-of-two kmalloc objects are naturally aligned, as Linux guarantees */
            unsigned int align = (size & (size - 1)) ? 0 : size;
            kmalloc_caches[type][idx] = create_cache(name, size, align, flags, NULL, &err);
            if (!kmalloc_caches[type][idx])
                panic("kmem_cache_init: cannot create %s (%d)", name, err);
        }
    }
}

void kmem_cache_init(void)
{
    slub_init();
    create_kmalloc_caches();
    pr_info("SLUB: HWalign=64, Order=0-%d, MinObjects=%d, CPUs=%u, Nodes=%u\n", PAGE_ALLOC_COSTLY_ORDER,
            4 * (fls(nr_cpu_ids) + 1), nr_cpu_ids, nr_node_ids);
}

/* ---- statistics and /proc/slabinfo ------------------------------------------------------------- */

unsigned long node_slab_pages(int nid, int reclaimable)
{
    return (unsigned long)node_page_state(nid, reclaimable ? NR_SLAB_RECLAIMABLE : NR_SLAB_UNRECLAIMABLE);
}

static unsigned long slab_pages(int reclaimable)
{
    unsigned long sum = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++)
        sum += node_slab_pages(nid, reclaimable);
    return sum;
}
unsigned long slab_pages_reclaimable(void) { return slab_pages(1); }
unsigned long slab_pages_unreclaimable(void) { return slab_pages(0); }

/* Linux's slabinfo 2.1 with SLUB's numbers: objects on partial lists are the free ones (objects in
 * CPU slabs count as active), the tunables and shared counts of the old SLAB are 0. */
void slabinfo_show(struct seq_buf *m)
{
    struct kmem_cache *s;
    seq_puts(m, "slabinfo - version: 2.1\n");
    seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
                "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
    spin_lock(&slab_mutex);
    list_for_each_entry(s, &slab_caches, list) {
        unsigned long slabs, objs, nfree;
        slab_cache_counts(s, &slabs, &objs, &nfree);
        seq_printf(m, "%-17s %6lu %6lu %6u %4u %4d", s->name, objs - nfree, objs, s->size, oo_objects(s->oo),
                   1 << oo_order(s->oo));
        seq_printf(m, " : tunables %4u %4u %4u", 0u, 0u, 0u);
        seq_printf(m, " : slabdata %6lu %6lu %6lu\n", slabs, slabs, 0ul);
    }
    spin_unlock(&slab_mutex);
}
