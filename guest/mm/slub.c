/* mm/slub.c: the SLUB slab allocator.
 *
 * The page allocator hands out blocks of 4 KiB pages; the kernel mostly wants small objects of a
 * few fixed sizes (an inode, a VMA, 64 bytes for a string) allocated and freed at a high rate. A
 * slab cache keeps, per object type, slabs: blocks of 2^order pages cut into equal slots, and
 * hands out slots. SLUB (Linux's default since 2.6.23, the only one since 6.8) does this with as
 * little bookkeeping as possible:
 *
 *   - A free object holds the address of the next free object of its slab (the "free pointer",
 *     at s->offset within the slot: in the middle of the object, so that a small overrun of the
 *     previous object does not hit it, or after the object when the object's bytes must keep a
 *     poison pattern or a constructor's state). A slab's free objects thus form a singly linked
 *     list that costs no memory, and the slab's metadata lives in its head page's struct page
 *     (struct slab, mm/slab.h).
 *
 *   - Each CPU owns one slab of each cache at a time, its "CPU slab", whose free list it took
 *     whole (the slab is "frozen": no node list holds it). Allocating is popping the CPU's list
 *     and freeing an object of the CPU slab is pushing on it, with interrupts disabled and no lock:
 *     the fast path (slab_alloc_node(), do_slab_free()). Linux does the same with a cmpxchg on a
 *     (freelist, transaction id) pair instead of disabling interrupts.
 *
 *   - An object freed by another CPU, or into a slab that is not a CPU slab, goes back to its slab's
 *     own free list under the node's list_lock (__slab_free()). A slab that was full becomes
 *     partial and joins its node's partial list; a slab that becomes empty is given back to the
 *     page allocator, unless the node keeps fewer than min_partial partial slabs (then it stays, to
 *     avoid thrashing pages in and out). A frozen slab stays where it is: its CPU collects the
 *     remote frees the next time its own list runs dry.
 *
 *   - When the CPU's list is empty (___slab_alloc()): take the remote frees of the CPU slab if
 *     there are any; else retire the CPU slab (deactivate_slab(): full slabs go to the node's full
 *     list, others to the partial list) and freeze the first partial slab of the wanted node
 *     (get_partial()), or a new slab from the page allocator (allocate_slab()), which is the
 *     only step that may sleep, so it runs with interrupts enabled.
 *
 *   - Order: calculate_order() picks the smallest order that gives at least min_objects objects
 *     (4 * (fls(nr_cpus) + 1), so more CPUs mean bigger slabs and fewer trips to the node lists)
 *     while wasting at most 1/16 of the slab (then 1/8, 1/4...), up to order 3
 *     (PAGE_ALLOC_COSTLY_ORDER); if pages of that order are short, a slab of the smallest order
 *     that holds one object is taken instead (s->min).
 *
 * Debugging (SLAB_RED_ZONE, SLAB_POISON, SLAB_CONSISTENCY_CHECKS; slub_debug= on the command line
 * for every cache or the listed ones) changes the layout of each slot:
 *
 *     | left red zone | object ... | right red zone | free pointer | padding |
 *       0xbb free,      0x6b...0xa5   0xbb free,                    0x5a
 *       0xcc in use     when free     0xcc in use
 *
 * and sends every allocation and free through the node lock (debug caches have no CPU slab), where
 * the object is checked: a red zone that is no longer 0xcc or 0xbb is an overflow; a free object
 * whose poison changed was written after it was freed (use after free); freeing an object that is
 * on its slab's free list is a double free. Each is reported as SLUB reports it ("BUG kmalloc-64
 * (Not tainted): Right Redzone overwritten", the object's address and bytes), then repaired
 * ("FIX ...: Restoring ..."), and the kernel goes on. Without debug flags, the cheap check of
 * Linux's CONFIG_SLAB_FREELIST_HARDENED still catches freeing the object at the head of a free
 * list twice.
 */
#define pr_fmt(fmt) fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/preempt.h>
#include <linux/mm_annot.h>
#include <asm/emu.h>
#include <asm/setup.h>
#include "slab.h"
#include "internal.h"

#define MIN_PARTIAL 5
#define MAX_PARTIAL 10
#define SLUB_MAX_ORDER PAGE_ALLOC_COSTLY_ORDER
#define CACHE_LINE_SIZE 64

LIST_HEAD(slab_caches);
DEFINE_SPINLOCK(slab_mutex);
slab_flags_t slub_debug;
char slub_debug_string[64];   /* the cache names after the comma of slub_debug=FLAGS,names */
unsigned long slab_bug_reports;
char slab_last_bug[160];
void *slab_last_bug_object;
static u64 next_cache_id = 1;

/* ---- object layout ----------------------------------------------------------------------------- */

static inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
    return *(void **)((char *)object + s->offset);
}
static inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
    *(void **)((char *)object + s->offset) = fp;
}
static inline u8 *fixup_red_left(const struct kmem_cache *s, u8 *p)
{
    return (s->flags & SLAB_RED_ZONE) ? p + s->red_left_pad : p;
}
static inline bool freeptr_outside_object(const struct kmem_cache *s) { return s->offset >= s->inuse; }
/* Where the metadata after the object ends (the free pointer, when it is outside the object). */
static inline unsigned int get_info_end(const struct kmem_cache *s)
{
    return freeptr_outside_object(s) ? s->inuse + (unsigned int)sizeof(void *) : s->inuse;
}
static inline unsigned int size_from_object(const struct kmem_cache *s)
{
    return (s->flags & SLAB_RED_ZONE) ? s->size - s->red_left_pad : s->size;
}
#define for_each_object(p, s, addr, objects) \
    for ((p) = fixup_red_left((s), (addr)); (p) < (addr) + (objects) * (s)->size; (p) += (s)->size)

static inline unsigned int obj_index(const struct kmem_cache *s, const struct slab *slab, const void *p)
{
    return (unsigned int)(((const u8 *)p - fixup_red_left(s, slab_address(slab))) / s->size);
}

/* Is `object` the start of a slot of this slab (or NULL, the end of a list)? */
static int check_valid_pointer(const struct kmem_cache *s, const struct slab *slab, const void *object)
{
    if (!object)
        return 1;
    const u8 *base = slab_address(slab);
    const u8 *p = object;
    if (s->flags & SLAB_RED_ZONE)
        p -= s->red_left_pad;
    if (p < base || p >= base + slab->objects * s->size || (unsigned long)(p - base) % s->size)
        return 0;
    return 1;
}

/* ---- reports ----------------------------------------------------------------------------------- */

static __printf(2, 3) void slab_bug(const struct kmem_cache *s, const char *fmt, ...)
{
    char reason[100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    pr_err("=============================================================================\n");
    pr_err("BUG %s (Not tainted): %s\n", s->name, reason);
    pr_err("-----------------------------------------------------------------------------\n\n");
    scnprintf(slab_last_bug, sizeof(slab_last_bug), "BUG %s (Not tainted): %s", s->name, reason);
    slab_bug_reports++;
}

static void print_section(const char *text, const u8 *addr, unsigned int length)
{
    for (unsigned int i = 0; i < length; i += 16) {
        char hex[16 * 3 + 1], ascii[17];
        unsigned int n = min(16u, length - i), k = 0;
        for (unsigned int j = 0; j < 16; j++) {
            if (j < n)
                k += (unsigned int)scnprintf(hex + k, sizeof(hex) - k, "%02x ", addr[i + j]);
            else
                k += (unsigned int)scnprintf(hex + k, sizeof(hex) - k, "   ");
            ascii[j] = j < n ? (addr[i + j] >= 32 && addr[i + j] < 127 ? (char)addr[i + j] : '.') : 0;
        }
        ascii[16] = 0;
        pr_err("%s%016lx: %s %s\n", text, (unsigned long)(addr + i), hex, ascii);
    }
}

static void print_slab_info(const struct slab *slab)
{
    pr_err("Slab 0x%016lx objects=%u used=%u fp=0x%016lx flags=%#lx(slab%s)\n", (unsigned long)slab,
           slab->objects, slab->inuse, (unsigned long)slab->freelist, slab->__page_flags & PAGE_FLAGS_MASK,
           PageHead(slab_page(slab)) ? "|head" : "");
}

static void print_trailer(const struct kmem_cache *s, const struct slab *slab, u8 *p)
{
    const u8 *addr = slab_address(slab);
    print_slab_info(slab);
    pr_err("Object 0x%016lx @offset=%lu fp=0x%016lx\n\n", (unsigned long)p, (unsigned long)(p - addr),
           (unsigned long)get_freepointer(s, p));
    if (s->flags & SLAB_RED_ZONE)
        print_section("Redzone  ", p - s->red_left_pad, s->red_left_pad);
    else if (p > addr + 16)
        print_section("Bytes b4 ", p - 16, 16);
    print_section("Object   ", p, min(s->object_size, 256u));
    if (s->flags & SLAB_RED_ZONE)
        print_section("Redzone  ", p + s->object_size, s->inuse - s->object_size);
    unsigned int off = get_info_end(s);
    if (off != size_from_object(s))
        print_section("Padding  ", p + off, size_from_object(s) - off);
}

static void object_err(const struct kmem_cache *s, const struct slab *slab, u8 *object, const char *reason)
{
    slab_bug(s, "%s", reason);
    print_trailer(s, slab, object);
    slab_last_bug_object = object;
}

static __printf(2, 3) void slab_fix(const struct kmem_cache *s, const char *fmt, ...)
{
    char buf[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pr_err("FIX %s: %s\n", s->name, buf);
}

/* Check that [start, start + bytes) all hold `value`; if not, report the damaged range, repair it
 * and return 0. */
static int check_bytes_and_report(const struct kmem_cache *s, const struct slab *slab, u8 *object, const char *what,
                                  u8 *start, u8 value, unsigned int bytes)
{
    u8 *fault = NULL, *end = start + bytes;
    for (u8 *p = start; p < end; p++)
        if (*p != value) {
            fault = p;
            break;
        }
    if (!fault)
        return 1;
    while (end > fault && end[-1] == value)
        end--;
    slab_bug(s, "%s overwritten", what);
    pr_err("0x%016lx-0x%016lx @offset=%lu. First byte %#x instead of %#x\n", (unsigned long)fault,
           (unsigned long)(end - 1), (unsigned long)(fault - (u8 *)slab_address(slab)), fault[0], value);
    print_trailer(s, slab, object);
    slab_last_bug_object = object;
    slab_fix(s, "Restoring %s 0x%016lx-0x%016lx=%#x", what, (unsigned long)fault, (unsigned long)(end - 1), value);
    memset(fault, value, (size_t)(end - fault));
    return 0;
}

/* Write an object's debug bytes: red zones with `val` (SLUB_RED_ACTIVE or SLUB_RED_INACTIVE),
 * the object with the free poison. */
static void init_object(const struct kmem_cache *s, u8 *p, u8 val)
{
    if (s->flags & SLAB_RED_ZONE) {
        memset(p - s->red_left_pad, val, s->red_left_pad);
        memset(p + s->object_size, val, s->inuse - s->object_size);
    }
    if (s->flags & __OBJECT_POISON) {
        memset(p, POISON_FREE, s->object_size - 1);
        p[s->object_size - 1] = POISON_END;
    }
}

static int check_pad_bytes(const struct kmem_cache *s, const struct slab *slab, u8 *p)
{
    unsigned int off = get_info_end(s);
    if (off == size_from_object(s))
        return 1;
    return check_bytes_and_report(s, slab, p, "Object padding", p + off, POISON_INUSE, size_from_object(s) - off);
}

/* The checks of one object whose red zones should hold `val`: 1 if it is intact. */
static int check_object(const struct kmem_cache *s, const struct slab *slab, u8 *p, u8 val)
{
    int ret = 1;
    u8 *endobject = p + s->object_size;
    if (s->flags & SLAB_RED_ZONE) {
        if (!check_bytes_and_report(s, slab, p, "Left Redzone", p - s->red_left_pad, val, s->red_left_pad))
            ret = 0;
        if (!check_bytes_and_report(s, slab, p, "Right Redzone", endobject, val, s->inuse - s->object_size))
            ret = 0;
    } else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
        if (!check_bytes_and_report(s, slab, p, "Alignment padding", endobject, POISON_INUSE, s->inuse - s->object_size))
            ret = 0;
    }
    if (s->flags & SLAB_POISON) {
        if (val != SLUB_RED_ACTIVE && (s->flags & __OBJECT_POISON) &&
            (!check_bytes_and_report(s, slab, p, "Poison", p, POISON_FREE, s->object_size - 1) ||
             !check_bytes_and_report(s, slab, p, "End Poison", p + s->object_size - 1, POISON_END, 1)))
            ret = 0;
        if (!check_pad_bytes(s, slab, p))
            ret = 0;
    }
    if (!freeptr_outside_object(s) && val == SLUB_RED_ACTIVE)
        return ret;   /* the free pointer's bytes are the user's while the object is allocated */
    if (!check_valid_pointer(s, slab, get_freepointer(s, p))) {
        object_err(s, slab, p, "Freepointer corrupt");
        set_freepointer(s, p, NULL);
        ret = 0;
    }
    return ret;
}

/* Is `search` on the slab's free list? (Linux's on_freelist(), which also repairs a broken chain.) */
static int on_freelist(const struct kmem_cache *s, struct slab *slab, void *search)
{
    void *fp = slab->freelist, *prev = NULL;
    unsigned int nr = 0;
    while (fp && nr <= slab->objects) {
        if (fp == search)
            return 1;
        if (!check_valid_pointer(s, slab, fp)) {
            if (prev) {
                object_err(s, slab, prev, "Freechain corrupt");
                set_freepointer(s, prev, NULL);
            } else {
                slab_bug(s, "Freepointer corrupt");
                print_slab_info(slab);
                slab->freelist = NULL;
            }
            return 0;
        }
        prev = fp;
        fp = get_freepointer(s, fp);
        nr++;
    }
    return 0;
}

/* ---- slabs ------------------------------------------------------------------------------------- */

static void inc_slabs_node(struct kmem_cache *s, int node, unsigned int objects)
{
    struct kmem_cache_node *n = get_node(s, node);
    __atomic_add_fetch(&n->nr_slabs, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&n->total_objects, objects, __ATOMIC_RELAXED);
}
static void dec_slabs_node(struct kmem_cache *s, int node, unsigned int objects)
{
    struct kmem_cache_node *n = get_node(s, node);
    __atomic_sub_fetch(&n->nr_slabs, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&n->total_objects, objects, __ATOMIC_RELAXED);
}

static void account_slab(struct slab *slab, int order, const struct kmem_cache *s, int sign)
{
    enum node_stat_item item = (s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE : NR_SLAB_UNRECLAIMABLE;
    mod_node_page_state(NODE_DATA(slab_nid(slab)), item, sign * (1l << order));
}

static struct page *alloc_slab_page(gfp_t flags, int node, unsigned int oo)
{
    unsigned int order = oo_order(oo);
    if (node == NUMA_NO_NODE)
        return alloc_pages(flags, order);
    return alloc_pages_node(node, flags, order);
}

/* A new slab, every object free and (with debugging) poisoned and red-zoned. Called with
 * interrupts enabled when the gfp flags allow sleeping. */
static struct slab *allocate_slab(struct kmem_cache *s, gfp_t flags, int node)
{
    unsigned int oo = s->oo;
    flags &= ~(__GFP_ZERO | __GFP_COMP | GFP_ZONEMASK | __GFP_RECLAIMABLE);
    flags |= s->allocflags;
    gfp_t alloc_gfp = flags | __GFP_NOWARN | __GFP_NORETRY;
    if (oo_order(oo) > oo_order(s->min))
        alloc_gfp &= ~__GFP_NOFAIL;
    else
        alloc_gfp = flags;
    struct page *page = alloc_slab_page(alloc_gfp, node, oo);
    if (!page && oo != s->min) {
        oo = s->min;
        page = alloc_slab_page(flags, node, oo);   /* the smallest order that holds one object */
    }
    if (!page)
        return NULL;
    struct slab *slab = page_slab(page);
    __SetPageSlab(page);
    slab->slab_cache = s;
    slab->objects = oo_objects(oo);
    slab->inuse = 0;
    slab->frozen = 0;
    account_slab(slab, (int)oo_order(oo), s, 1);
    mm_annotate(page_to_pfn(page), 1ul << oo_order(oo), EMU_FRAME_SLAB, 0, s->id);

    u8 *start = slab_address(slab), *p, *prev = NULL;
    if (s->flags & SLAB_POISON)
        memset(start, POISON_INUSE, slab_size(slab));
    slab->freelist = fixup_red_left(s, start);
    for_each_object(p, s, start, slab->objects) {
        if (kmem_cache_debug(s))
            init_object(s, p, SLUB_RED_INACTIVE);
        if (s->ctor)
            s->ctor(p);
        if (prev)
            set_freepointer(s, prev, p);
        prev = p;
    }
    set_freepointer(s, prev, NULL);
    inc_slabs_node(s, slab_nid(slab), slab->objects);
    return slab;
}

/* Leftover bytes at the end of a poisoned slab must still be POISON_INUSE. */
static int slab_pad_check(const struct kmem_cache *s, struct slab *slab)
{
    if (!(s->flags & SLAB_POISON))
        return 1;
    u8 *start = slab_address(slab);
    size_t length = slab_size(slab), remainder = length % s->size;
    if (!remainder)
        return 1;
    u8 *pad = start + length - remainder, *fault = NULL, *end = start + length;
    for (u8 *p = pad; p < end; p++)
        if (*p != POISON_INUSE) {
            fault = p;
            break;
        }
    if (!fault)
        return 1;
    while (end > fault && end[-1] == POISON_INUSE)
        end--;
    slab_bug(s, "Padding overwritten. 0x%016lx-0x%016lx @offset=%lu", (unsigned long)fault, (unsigned long)(end - 1),
             (unsigned long)(fault - start));
    print_slab_info(slab);
    slab_fix(s, "Restoring Padding 0x%016lx-0x%016lx=%#x", (unsigned long)fault, (unsigned long)(end - 1), POISON_INUSE);
    memset(fault, POISON_INUSE, (size_t)(end - fault));
    return 0;
}

/* Give a slab's pages back (it is on no list and no CPU holds it). */
static void discard_slab(struct kmem_cache *s, struct slab *slab)
{
    struct page *page = slab_page(slab);
    unsigned int order = slab_order(slab);
    int nid = slab_nid(slab);
    if (kmem_cache_debug(s))
        slab_pad_check(s, slab);
    dec_slabs_node(s, nid, slab->objects);
    account_slab(slab, (int)order, s, -1);
    __ClearPageSlab(page);
    slab->slab_cache = NULL;
    slab->freelist = NULL;
    slab->counters = 0;
    __free_pages(page, order);
}

/* Node lists; the caller holds n->list_lock. */
static void add_partial(struct kmem_cache_node *n, struct slab *slab, int tail)
{
    n->nr_partial++;
    if (tail)
        list_add_tail(&slab->slab_list, &n->partial);
    else
        list_add(&slab->slab_list, &n->partial);
}
static void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
    list_del(&slab->slab_list);
    n->nr_partial--;
}

/* Retire a CPU slab: give its CPU's free objects back to the slab and put the slab where it now
 * belongs (full list, partial list, or back to the page allocator when empty and the node has
 * enough partial slabs). Interrupts are disabled. */
static void deactivate_slab(struct kmem_cache *s, struct slab *slab, void *freelist)
{
    struct kmem_cache_node *n = get_node(s, slab_nid(slab));
    unsigned long flags;
    int discard = 0;
    spin_lock_irqsave(&n->list_lock, flags);
    while (freelist) {
        void *next = get_freepointer(s, freelist);
        set_freepointer(s, freelist, slab->freelist);
        slab->freelist = freelist;
        slab->inuse--;
        freelist = next;
    }
    slab->frozen = 0;
    if (!slab->inuse && n->nr_partial >= s->min_partial)
        discard = 1;
    else if (slab->inuse < slab->objects)
        add_partial(n, slab, slab->freelist != NULL);
    else
        list_add(&slab->slab_list, &n->full);
    spin_unlock_irqrestore(&n->list_lock, flags);
    if (discard)
        discard_slab(s, slab);
}

/* Take the first partial slab of a node, frozen for this CPU; its free list is returned. */
static void *get_partial_node(struct kmem_cache_node *n, struct slab **ret)
{
    unsigned long flags;
    void *freelist = NULL;
    if (!n || !n->nr_partial)
        return NULL;
    spin_lock_irqsave(&n->list_lock, flags);
    struct slab *slab = list_first_entry_or_null(&n->partial, struct slab, slab_list);
    if (slab) {
        remove_partial(n, slab);
        freelist = slab->freelist;
        slab->freelist = NULL;
        slab->inuse = slab->objects;
        slab->frozen = 1;
        *ret = slab;
    }
    spin_unlock_irqrestore(&n->list_lock, flags);
    return freelist;
}

static void slab_out_of_memory(struct kmem_cache *s, gfp_t gfp, int node)
{
    char buf[200];
    if (gfp & __GFP_NOWARN)
        return;
    format_gfp_flags(buf, sizeof(buf), gfp);
    pr_warn("SLUB: Unable to allocate memory on node %d, gfp=%#x(%s)\n", node, gfp, buf);
    pr_warn("  cache: %s, object size: %u, buffer size: %u, default order: %u, min order: %u\n", s->name,
            s->object_size, s->size, oo_order(s->oo), oo_order(s->min));
}

static inline int node_match(const struct slab *slab, int node)
{
    return node == NUMA_NO_NODE || slab_nid(slab) == node;
}

/* The slow path of an allocation for a cache with CPU slabs. Interrupts are disabled (*flags holds
 * the caller's state); they are enabled around the page allocator. */
static void *___slab_alloc(struct kmem_cache *s, gfp_t gfp, int node, unsigned long *flags)
{
    struct kmem_cache_cpu *c = cpu_slab_of(s, smp_processor_id());
    struct slab *slab = c->slab;
    void *freelist;
    if (slab) {
        if (!node_match(slab, node)) {
            deactivate_slab(s, slab, c->freelist);
            c->slab = NULL;
            c->freelist = NULL;
        } else {
            /* Objects other CPUs freed into our slab meanwhile. */
            struct kmem_cache_node *n = get_node(s, slab_nid(slab));
            spin_lock(&n->list_lock);
            freelist = slab->freelist;
            slab->freelist = NULL;
            slab->inuse = slab->objects;
            spin_unlock(&n->list_lock);
            if (freelist)
                goto load_freelist;
            deactivate_slab(s, slab, NULL);   /* full */
            c->slab = NULL;
            c->freelist = NULL;
        }
    }
    int searchnode = node == NUMA_NO_NODE ? numa_node_id() : node;
    freelist = get_partial_node(get_node(s, searchnode), &slab);
    if (freelist) {
        c->slab = slab;
        goto load_freelist;
    }
    local_irq_restore(*flags);
    slab = allocate_slab(s, gfp, node);
    local_irq_save(*flags);
    if (!slab) {
        slab_out_of_memory(s, gfp, node);
        return NULL;
    }
    c = cpu_slab_of(s, smp_processor_id());
    if (c->slab)   /* an interrupt handler installed one while interrupts were on */
        deactivate_slab(s, c->slab, c->freelist);
    freelist = slab->freelist;
    slab->freelist = NULL;
    slab->inuse = slab->objects;
    slab->frozen = 1;
    c->slab = slab;
load_freelist:
    c->freelist = get_freepointer(s, freelist);
    return freelist;
}

/* Debug caches: one object at a time from a node's partial slab, checked (Linux's
 * alloc_single_from_partial() / alloc_single_from_new_slab()). */
static void *alloc_debug(struct kmem_cache *s, gfp_t gfp, int node)
{
    int nid = node == NUMA_NO_NODE ? numa_node_id() : node;
    struct kmem_cache_node *n = get_node(s, nid);
    unsigned long flags;
    struct slab *slab;
    spin_lock_irqsave(&n->list_lock, flags);
    slab = list_first_entry_or_null(&n->partial, struct slab, slab_list);
    if (!slab) {
        spin_unlock_irqrestore(&n->list_lock, flags);
        slab = allocate_slab(s, gfp, node);
        if (!slab) {
            slab_out_of_memory(s, gfp, node);
            return NULL;
        }
        n = get_node(s, slab_nid(slab));
        spin_lock_irqsave(&n->list_lock, flags);
        add_partial(n, slab, 0);
    }
    u8 *object = slab->freelist;
    if (!check_valid_pointer(s, slab, object)) {
        object_err(s, slab, object, "Freelist Pointer check fails");
        slab->freelist = NULL;   /* isolate the slab: all its objects count as used */
        slab->inuse = slab->objects;
        remove_partial(n, slab);
        list_add(&slab->slab_list, &n->full);
        spin_unlock_irqrestore(&n->list_lock, flags);
        return NULL;
    }
    slab->freelist = get_freepointer(s, object);
    slab->inuse++;
    check_object(s, slab, object, SLUB_RED_INACTIVE);   /* reports and repairs a use after free */
    init_object(s, object, SLUB_RED_ACTIVE);
    if (slab->inuse == slab->objects) {
        remove_partial(n, slab);
        list_add(&slab->slab_list, &n->full);
    }
    spin_unlock_irqrestore(&n->list_lock, flags);
    return object;
}

void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
    unsigned long flags;
    void *object;
    gfp &= gfp_allowed_mask;
    might_sleep_if(gfp & __GFP_DIRECT_RECLAIM);
    if (node != NUMA_NO_NODE && (node < 0 || node >= (int)nr_node_ids || !s->node[node]))
        node = NUMA_NO_NODE;
    if (kmem_cache_debug(s)) {
        object = alloc_debug(s, gfp, node);
        local_irq_save(flags);
        if (object)
            cpu_slab_of(s, smp_processor_id())->allocs++;
        local_irq_restore(flags);
    } else {
        local_irq_save(flags);
        struct kmem_cache_cpu *c = cpu_slab_of(s, smp_processor_id());
        object = c->freelist;
        if (object && c->slab && node_match(c->slab, node))
            c->freelist = get_freepointer(s, object);   /* the fast path */
        else
            object = ___slab_alloc(s, gfp, node, &flags);
        if (object)
            cpu_slab_of(s, smp_processor_id())->allocs++;
        local_irq_restore(flags);
    }
    if (object && (gfp & __GFP_ZERO))
        memset(object, 0, s->object_size);
    return object;
}

/* The free path's checks of a debug cache (Linux's free_consistency_checks()): 0 if the object
 * must not be freed (not an object, or already free). */
static int free_debug_processing(struct kmem_cache *s, struct slab *slab, u8 *object)
{
    if (!check_valid_pointer(s, slab, object)) {
        slab_bug(s, "Invalid object pointer 0x%016lx", (unsigned long)object);
        print_slab_info(slab);
        slab_last_bug_object = object;
        return 0;
    }
    if (on_freelist(s, slab, object)) {
        object_err(s, slab, object, "Object already free");
        return 0;
    }
    check_object(s, slab, object, SLUB_RED_ACTIVE);   /* reports and repairs an overflow */
    init_object(s, object, SLUB_RED_INACTIVE);
    return 1;
}

/* Free into the slab itself, under the node lock (objects of other CPUs' slabs, of slabs that are
 * no CPU's, and every object of a debug cache). */
static int __slab_free(struct kmem_cache *s, struct slab *slab, void *object)
{
    struct kmem_cache_node *n = get_node(s, slab_nid(slab));
    unsigned long flags;
    int discard = 0;
    spin_lock_irqsave(&n->list_lock, flags);
    if (kmem_cache_debug(s)) {
        if (!free_debug_processing(s, slab, object)) {
            spin_unlock_irqrestore(&n->list_lock, flags);
            return 0;
        }
    } else if (object == slab->freelist) {
        object_err(s, slab, object, "Object already free");
        spin_unlock_irqrestore(&n->list_lock, flags);
        return 0;
    }
    int was_full = !slab->frozen && slab->inuse == slab->objects;
    set_freepointer(s, object, slab->freelist);
    slab->freelist = object;
    slab->inuse--;
    if (!slab->frozen) {
        if (!slab->inuse && n->nr_partial >= s->min_partial) {
            if (was_full)
                list_del(&slab->slab_list);
            else
                remove_partial(n, slab);
            discard = 1;
        } else if (was_full) {
            list_del(&slab->slab_list);
            add_partial(n, slab, 1);
        }
    }
    spin_unlock_irqrestore(&n->list_lock, flags);
    if (discard)
        discard_slab(s, slab);
    return 1;
}

void slab_free(struct kmem_cache *s, struct slab *slab, void *object)
{
    unsigned long flags;
    if (!check_valid_pointer(s, slab, object)) {
        slab_bug(s, "Invalid object pointer 0x%016lx", (unsigned long)object);
        print_slab_info(slab);
        slab_last_bug_object = object;
        return;
    }
    local_irq_save(flags);
    struct kmem_cache_cpu *c = cpu_slab_of(s, smp_processor_id());
    if (!kmem_cache_debug(s) && slab == c->slab) {
        if (object == c->freelist) {
            object_err(s, slab, object, "Object already free");
            local_irq_restore(flags);
            return;
        }
        set_freepointer(s, object, c->freelist);   /* the fast path */
        c->freelist = object;
        c->frees++;
        local_irq_restore(flags);
        return;
    }
    local_irq_restore(flags);
    if (__slab_free(s, slab, object)) {
        local_irq_save(flags);
        cpu_slab_of(s, smp_processor_id())->frees++;
        local_irq_restore(flags);
    }
}

/* ---- caches ------------------------------------------------------------------------------------ */

static unsigned int order_objects(unsigned int order, unsigned int size)
{
    return (unsigned int)((PAGE_SIZE << order) / size);
}
static unsigned int oo_make(unsigned int order, unsigned int size)
{
    return (order << OO_SHIFT) + order_objects(order, size);
}

static int calc_slab_order(unsigned int size, unsigned int min_order, unsigned int max_order, unsigned int fract_leftover)
{
    unsigned int order;
    for (order = min_order; order <= max_order; order++) {
        unsigned long slab_size = PAGE_SIZE << order;
        if (slab_size % size <= slab_size / fract_leftover)
            break;
    }
    return (int)order;
}

static int calculate_order(unsigned int size)
{
    unsigned int nr_cpus = nr_cpu_ids;   /* Linux: num_present_cpus() */
    unsigned int min_objects = 4 * ((unsigned int)fls(nr_cpus) + 1);
    unsigned int max_objects = max(order_objects(SLUB_MAX_ORDER, size), 1u);
    min_objects = min(min_objects, max_objects);
    unsigned int min_order = get_order((unsigned long)min_objects * size);
    if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
        return (int)get_order((unsigned long)size * MAX_OBJS_PER_PAGE) - 1;
    for (unsigned int fraction = 16; fraction > 1; fraction /= 2) {
        int order = calc_slab_order(size, min_order, SLUB_MAX_ORDER, fraction);
        if (order <= SLUB_MAX_ORDER)
            return order;
    }
    unsigned int order = get_order(size);
    return order < MAX_ORDER ? (int)order : -1;
}

static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
    if (flags & SLAB_HWCACHE_ALIGN) {
        unsigned int ralign = CACHE_LINE_SIZE;
        while (size <= ralign / 2)
            ralign /= 2;
        align = max(align, ralign);
    }
    align = max(align, (unsigned int)sizeof(void *));
    return ALIGN(align, (unsigned int)sizeof(void *));
}

/* The slot layout (see the essay at the top) and the slab order. 0 on success. */
static int calculate_sizes(struct kmem_cache *s)
{
    slab_flags_t flags = s->flags;
    unsigned int size = ALIGN(s->object_size, (unsigned int)sizeof(void *));
    if ((flags & SLAB_POISON) && !s->ctor)
        s->flags |= __OBJECT_POISON;
    else
        s->flags &= ~__OBJECT_POISON;
    if ((flags & SLAB_RED_ZONE) && size == s->object_size)
        size += sizeof(void *);   /* a right red zone of at least a word */
    s->inuse = size;
    if ((flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)) || s->ctor) {
        s->offset = size;         /* the free pointer after the object */
        size += sizeof(void *);
    } else {
        s->offset = ALIGN_DOWN(s->object_size / 2, (unsigned int)sizeof(void *));
    }
    if (flags & SLAB_RED_ZONE) {
        size += sizeof(void *);   /* padding that catches writes beyond the right red zone */
        s->red_left_pad = ALIGN((unsigned int)sizeof(void *), s->align);
        size += s->red_left_pad;
    }
    size = ALIGN(size, s->align);
    s->size = size;
    int order = calculate_order(size);
    if (order < 0)
        return -EINVAL;
    s->allocflags = 0;
    if (order)
        s->allocflags |= __GFP_COMP;
    if (flags & SLAB_CACHE_DMA)
        s->allocflags |= GFP_DMA;
    if (flags & SLAB_CACHE_DMA32)
        s->allocflags |= GFP_DMA32;
    if (flags & SLAB_RECLAIM_ACCOUNT)
        s->allocflags |= __GFP_RECLAIMABLE;
    s->oo = oo_make((unsigned int)order, size);
    s->min = oo_make(get_order(size), size);
    return oo_objects(s->oo) ? 0 : -EINVAL;
}

size_t kmem_cache_struct_size(void)
{
    return sizeof(struct kmem_cache) + nr_cpu_ids * sizeof(struct kmem_cache_cpu);
}

/* The two caches SLUB's own structures come from, and their node structures: static, since
 * nothing can be allocated before they exist (Linux's boot_kmem_cache, boot_kmem_cache_node,
 * which it then copies into objects of themselves; these stay in .bss). */
struct kmem_cache *kmem_cache;
static struct kmem_cache *kmem_cache_node;
static u8 boot_cache_buf[2][sizeof(struct kmem_cache) + NR_CPUS * sizeof(struct kmem_cache_cpu)] __aligned(64);
static struct kmem_cache_node boot_nodes[2][MAX_NUMNODES];

static int init_kmem_cache_nodes(struct kmem_cache *s, struct kmem_cache_node *boot)
{
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        struct kmem_cache_node *n = boot ? &boot[nid] : kmem_cache_alloc_node(kmem_cache_node, GFP_KERNEL, nid);
        if (!n)
            return -ENOMEM;
        spin_lock_init(&n->list_lock);
        n->nr_partial = n->nr_slabs = n->total_objects = 0;
        INIT_LIST_HEAD(&n->partial);
        INIT_LIST_HEAD(&n->full);
        s->node[nid] = n;
    }
    return 0;
}

static void free_kmem_cache_nodes(struct kmem_cache *s)
{
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        struct kmem_cache_node *n = s->node[nid];
        s->node[nid] = NULL;
        if (n && ((unsigned long)n < (unsigned long)boot_nodes || (unsigned long)n >= (unsigned long)boot_nodes + sizeof(boot_nodes)))
            kmem_cache_free(kmem_cache_node, n);
    }
}

/* slub_debug=FLAGS[,cache,...]: does it apply to this cache? */
static slab_flags_t debug_flags_for(const char *name)
{
    if (!slub_debug)
        return 0;
    if (!slub_debug_string[0])
        return slub_debug;
    size_t len = strlen(name);
    for (const char *p = slub_debug_string; *p;) {
        const char *e = p;
        while (*e && *e != ',')
            e++;
        if ((size_t)(e - p) == len && !strncmp(p, name, len))
            return slub_debug;
        p = *e ? e + 1 : e;
    }
    return 0;
}

int __kmem_cache_create(struct kmem_cache *s, const char *name, unsigned int size, unsigned int align,
                        slab_flags_t flags, void (*ctor)(void *))
{
    memset(s, 0, kmem_cache_struct_size());
    size_t n = strlen(name);
    if (n >= sizeof(s->name_buf))
        n = sizeof(s->name_buf) - 1;
    memcpy(s->name_buf, name, n);
    s->name_buf[n] = 0;
    s->name = s->name_buf;
    s->flags = flags | debug_flags_for(name);
    s->object_size = size;
    s->ctor = ctor;
    s->align = calculate_alignment(flags, align, size);
    s->refcount = 1;
    if (calculate_sizes(s))
        return -EINVAL;
    s->min_partial = min((unsigned long)MAX_PARTIAL, max((unsigned long)MIN_PARTIAL, (unsigned long)ilog2(s->size) / 2));
    struct kmem_cache_node *boot = NULL;
    if ((u8 *)s == boot_cache_buf[0])
        boot = boot_nodes[0];
    else if ((u8 *)s == boot_cache_buf[1])
        boot = boot_nodes[1];
    if (init_kmem_cache_nodes(s, boot)) {
        free_kmem_cache_nodes(s);
        return -ENOMEM;
    }
    s->id = next_cache_id++;
    emu_call(EMU_CALL_ANNOT_NAME, s->id, EMU_OWNER_SLAB_CACHE, __pa(s->name), strlen(s->name), 0, 0);
    return 0;
}

/* Each CPU retires its CPU slab of `info` (run on every CPU by flush_all()). */
static void flush_cpu_slab(void *info)
{
    struct kmem_cache *s = info;
    struct kmem_cache_cpu *c = cpu_slab_of(s, smp_processor_id());
    if (c->slab) {
        struct slab *slab = c->slab;
        void *freelist = c->freelist;
        c->slab = NULL;
        c->freelist = NULL;
        deactivate_slab(s, slab, freelist);
    }
}

static void flush_all(struct kmem_cache *s)
{
    unsigned long flags;
    smp_call_function(flush_cpu_slab, s, 1);
    local_irq_save(flags);
    flush_cpu_slab(s);
    local_irq_restore(flags);
}

/* Free every empty slab of the cache's nodes (after flush_all()). */
static void free_empty_slabs(struct kmem_cache *s)
{
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        struct kmem_cache_node *n = s->node[nid];
        struct slab *slab, *t;
        LIST_HEAD(discard);
        unsigned long flags;
        spin_lock_irqsave(&n->list_lock, flags);
        list_for_each_entry_safe(slab, t, &n->partial, slab_list)
            if (!slab->inuse) {
                remove_partial(n, slab);
                list_add(&slab->slab_list, &discard);
            }
        spin_unlock_irqrestore(&n->list_lock, flags);
        list_for_each_entry_safe(slab, t, &discard, slab_list) {
            list_del(&slab->slab_list);
            discard_slab(s, slab);
        }
    }
}

int kmem_cache_shrink(struct kmem_cache *s)
{
    flush_all(s);
    free_empty_slabs(s);
    return 0;
}

/* Empty the cache before destroying it: -EBUSY (and a report listing the objects) when objects
 * are still allocated. */
int __kmem_cache_shutdown(struct kmem_cache *s)
{
    kmem_cache_shrink(s);
    int busy = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        struct kmem_cache_node *n = s->node[nid];
        struct slab *slab;
        if (!n->nr_slabs)
            continue;
        busy = 1;
        list_for_each_entry(slab, &n->partial, slab_list) {
            slab_bug(s, "Objects remaining on __kmem_cache_shutdown()");
            print_slab_info(slab);
        }
        list_for_each_entry(slab, &n->full, slab_list) {
            slab_bug(s, "Objects remaining on __kmem_cache_shutdown()");
            print_slab_info(slab);
        }
    }
    return busy ? -EBUSY : 0;
}

void __kmem_cache_release(struct kmem_cache *s)
{
    free_kmem_cache_nodes(s);
}

void slab_cache_counts(struct kmem_cache *s, unsigned long *slabs, unsigned long *objs, unsigned long *partial_free)
{
    *slabs = *objs = *partial_free = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        struct kmem_cache_node *n = s->node[nid];
        struct slab *slab;
        unsigned long flags;
        *slabs += READ_ONCE(n->nr_slabs);
        *objs += READ_ONCE(n->total_objects);
        spin_lock_irqsave(&n->list_lock, flags);
        list_for_each_entry(slab, &n->partial, slab_list)
            *partial_free += slab->objects - slab->inuse;
        spin_unlock_irqrestore(&n->list_lock, flags);
    }
}

/* Bootstrap (Linux's kmem_cache_init()): the kmem_cache_node and kmem_cache caches in static
 * memory, after which every other cache is an object of kmem_cache. */
void slub_init(void)
{
    char val[64];
    const char *p = NULL;
    if (cmdline_get("slub_debug", val, sizeof(val)))
        p = val;                       /* slub_debug=FLAGS[,cache,...] */
    else if (cmdline_has_word("slub_debug"))
        p = "";                        /* slub_debug alone: F, Z and P for every cache */
    if (p) {
        slub_debug = (!*p || *p == ',') ? SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON : 0;
        for (; *p && *p != ','; p++) {
            switch (*p | 0x20) {
            case 'f': slub_debug |= SLAB_CONSISTENCY_CHECKS; break;
            case 'z': slub_debug |= SLAB_RED_ZONE; break;
            case 'p': slub_debug |= SLAB_POISON; break;
            case 'u': slub_debug |= SLAB_STORE_USER; break;
            default: break;
            }
        }
        if (*p == ',')
            scnprintf(slub_debug_string, sizeof(slub_debug_string), "%s", p + 1);
        pr_info("slub_debug: flags %#x for %s\n", slub_debug, slub_debug_string[0] ? slub_debug_string : "every cache");
    }
    kmem_cache_node = (struct kmem_cache *)boot_cache_buf[0];
    if (__kmem_cache_create(kmem_cache_node, "kmem_cache_node", sizeof(struct kmem_cache_node), 0, SLAB_HWCACHE_ALIGN, NULL))
        panic("SLUB: cannot create kmem_cache_node");
    kmem_cache = (struct kmem_cache *)boot_cache_buf[1];
    if (__kmem_cache_create(kmem_cache, "kmem_cache", (unsigned int)kmem_cache_struct_size(), 0, SLAB_HWCACHE_ALIGN, NULL))
        panic("SLUB: cannot create kmem_cache");
    list_add(&kmem_cache_node->list, &slab_caches);
    list_add(&kmem_cache->list, &slab_caches);
}

/* ---- checks ------------------------------------------------------------------------------------ */

static u8 free_map[MAX_OBJS_PER_PAGE / 8 + 1];
static DEFINE_SPINLOCK(check_lock);

#define CHECK(cond, ...)                             \
    do {                                             \
        if (!(cond)) {                               \
            scnprintf(msg, len, __VA_ARGS__);        \
            return -1;                               \
        }                                            \
    } while (0)

/* Walk a free list of a slab, marking free_map; the number of objects on it, or -1. */
static long walk_freelist(struct kmem_cache *s, struct slab *slab, void *fp, char *msg, size_t len)
{
    long nr = 0;
    while (fp) {
        CHECK(check_valid_pointer(s, slab, fp), "cache %s: slab %#lx: free pointer %#lx is not an object", s->name,
              (unsigned long)slab, (unsigned long)fp);
        unsigned int i = obj_index(s, slab, fp);
        CHECK(!(free_map[i / 8] & (1u << (i % 8))), "cache %s: slab %#lx: object %#lx twice on the free lists (loop)",
              s->name, (unsigned long)slab, (unsigned long)fp);
        free_map[i / 8] |= (u8)(1u << (i % 8));
        nr++;
        fp = get_freepointer(s, fp);
    }
    return nr;
}

/* One slab: its struct slab, its free lists (the slab's and, for a CPU slab, the CPU's), and with
 * debugging every object's red zones and poison. Returns the number of free objects, or -1. */
static long validate_slab(struct kmem_cache *s, struct slab *slab, void *cpu_freelist, int *errors, char *msg, size_t len)
{
    struct page *page = slab_page(slab);
    CHECK(PageSlab(page), "cache %s: slab %#lx without PG_slab", s->name, (unsigned long)slab);
    CHECK(slab->slab_cache == s, "cache %s: slab %#lx belongs to cache %#lx", s->name, (unsigned long)slab,
          (unsigned long)slab->slab_cache);
    CHECK(slab->objects == oo_objects(s->oo) || slab->objects == oo_objects(s->min),
          "cache %s: slab %#lx has %u objects, expected %u", s->name, (unsigned long)slab, slab->objects, oo_objects(s->oo));
    memset(free_map, 0, DIV_ROUND_UP(slab->objects, 8));
    long nfree = walk_freelist(s, slab, slab->freelist, msg, len);
    if (nfree < 0)
        return -1;
    CHECK(slab->inuse == slab->objects - nfree, "cache %s: slab %#lx: inuse %u, but %ld of %u objects free", s->name,
          (unsigned long)slab, slab->inuse, nfree, slab->objects);
    if (cpu_freelist) {
        long more = walk_freelist(s, slab, cpu_freelist, msg, len);
        if (more < 0)
            return -1;
        nfree += more;
    }
    if (kmem_cache_debug(s)) {
        u8 *p, *addr = slab_address(slab);
        unsigned int i = 0;
        for_each_object(p, s, addr, slab->objects) {
            int is_free = free_map[i / 8] & (1u << (i % 8));
            if (!check_object(s, slab, p, is_free ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE))
                (*errors)++;
            i++;
        }
        if (!slab_pad_check(s, slab))
            (*errors)++;
    }
    return nfree;
}

/* Check a cache; corruption found in objects is reported and repaired (the count is returned
 * through *errors), broken structure fails with a message. */
static int validate_cache(struct kmem_cache *s, int *errors, char *msg, size_t len)
{
    unsigned long slabs = 0, objs = 0, nfree = 0, node_slabs = 0, node_objs = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        struct kmem_cache_node *n = s->node[nid];
        struct slab *slab;
        unsigned long flags, partial = 0;
        long r = 0;
        CHECK(n, "cache %s: no node %d structure", s->name, nid);
        spin_lock_irqsave(&n->list_lock, flags);
        list_for_each_entry(slab, &n->partial, slab_list) {
            partial++;
            if (slab->frozen || slab_nid(slab) != nid)
                r = -2;
            if (r < 0 || (r = validate_slab(s, slab, NULL, errors, msg, len)) < 0)
                break;
            if (r == 0)
                r = -3;   /* a partial slab with no free object */
            if (r < 0)
                break;
            slabs++;
            objs += slab->objects;
            nfree += (unsigned long)r;
        }
        if (r >= 0)
            list_for_each_entry(slab, &n->full, slab_list) {
                if (slab->frozen || slab_nid(slab) != nid)
                    r = -2;
                if (r < 0 || (r = validate_slab(s, slab, NULL, errors, msg, len)) < 0)
                    break;
                if (r != 0) {
                    r = -4;
                    break;
                }
                slabs++;
                objs += slab->objects;
            }
        unsigned long nr_partial = n->nr_partial;
        spin_unlock_irqrestore(&n->list_lock, flags);
        CHECK(r != -2, "cache %s: a frozen or foreign slab on node %d's lists", s->name, nid);
        CHECK(r != -3, "cache %s: a slab with no free object on node %d's partial list", s->name, nid);
        CHECK(r != -4, "cache %s: a slab with free objects on node %d's full list", s->name, nid);
        if (r == -1)
            return -1;
        CHECK(partial == nr_partial, "cache %s: node %d: nr_partial %lu, %lu slabs listed", s->name, nid, nr_partial, partial);
        node_slabs += n->nr_slabs;
        node_objs += n->total_objects;
    }
    unsigned int cpu;
    long live = 0;
    for_each_possible_cpu(cpu) {
        struct kmem_cache_cpu *c = cpu_slab_of(s, cpu);
        live += (long)(c->allocs - c->frees);
        struct slab *slab = c->slab;
        if (!slab)
            continue;
        CHECK(!kmem_cache_debug(s), "cache %s: a debug cache with a CPU slab", s->name);
        CHECK(slab->frozen, "cache %s: CPU %u's slab is not frozen", s->name, cpu);
        struct kmem_cache_node *n = get_node(s, slab_nid(slab));
        unsigned long flags;
        spin_lock_irqsave(&n->list_lock, flags);
        long r = validate_slab(s, slab, c->freelist, errors, msg, len);
        spin_unlock_irqrestore(&n->list_lock, flags);
        if (r < 0)
            return -1;
        slabs++;
        objs += slab->objects;
        nfree += (unsigned long)r;
    }
    CHECK(slabs == node_slabs && objs == node_objs, "cache %s: %lu slabs with %lu objects found, the nodes count %lu and %lu",
          s->name, slabs, objs, node_slabs, node_objs);
    CHECK((long)(objs - nfree) == live, "cache %s: %lu objects in use in the slabs, %ld allocated and not freed", s->name,
          objs - nfree, live);
    return 0;
}

int kmem_cache_validate(struct kmem_cache *s)
{
    char msg[200];
    int errors = 0;
    spin_lock(&check_lock);
    int r = validate_cache(s, &errors, msg, sizeof(msg));
    spin_unlock(&check_lock);
    if (r) {
        pr_err("SLUB %s: %s\n", s->name, msg);
        errors++;
    }
    return errors;
}

int slab_check(char *msg, size_t len)
{
    struct kmem_cache *s;
    int ret = 0;
    spin_lock(&slab_mutex);
    spin_lock(&check_lock);
    list_for_each_entry(s, &slab_caches, list) {
        int errors = 0;
        if (validate_cache(s, &errors, msg, len)) {
            ret = -1;
            break;
        }
        if (errors) {
            scnprintf(msg, len, "cache %s: %d corrupted objects (reported and repaired): %s", s->name, errors, slab_last_bug);
            ret = -1;
            break;
        }
    }
    spin_unlock(&check_lock);
    spin_unlock(&slab_mutex);
    return ret;
}

void kmem_cache_shrink_all(void)
{
    struct kmem_cache *s;
    spin_lock(&slab_mutex);
    list_for_each_entry(s, &slab_caches, list)
        kmem_cache_shrink(s);
    spin_unlock(&slab_mutex);
}

unsigned long slab_objects_in_use(void)
{
    struct kmem_cache *s;
    long live = 0;
    unsigned int cpu;
    spin_lock(&slab_mutex);
    list_for_each_entry(s, &slab_caches, list)
        for_each_possible_cpu(cpu)
            live += (long)(cpu_slab_of(s, cpu)->allocs - cpu_slab_of(s, cpu)->frees);
    spin_unlock(&slab_mutex);
    return (unsigned long)live;
}
