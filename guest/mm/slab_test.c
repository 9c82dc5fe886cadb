/* mm/slab_test.c: kernel tests of SLUB, kmalloc, vmalloc, the per-CPU API, the kernel page tables
 * and TLB shootdowns (--kernel-tests; kernel/tests.c runs them, each followed by buddy_check(),
 * slab_check() and the leak checks).
 */
#define pr_fmt(fmt) "ktest: " fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/percpu-defs.h>
#include <linux/seq_buf.h>
#include <asm/extable.h>
#include <asm/irq_vectors.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <asm/emu.h>
#include "slab.h"
#include "internal.h"

#define SZ_1M 0x100000ul

#define FAIL(...)                               \
    do {                                        \
        scnprintf(msg, len, __VA_ARGS__);       \
        return EMU_TEST_FAIL;                   \
    } while (0)

/* Read a word; the fault vector if it faults (the exception-table fixup), else ~0. */
static unsigned long probe_read(unsigned long addr, unsigned long *val)
{
    unsigned long trap, v = 0;
    __asm__ __volatile__("1: movq (%[addr]), %[v]\n\t"
                         "movq $-1, %%rax\n"
                         "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
                         : "=a"(trap), [v] "+r"(v)
                         : [addr] "r"(addr)
                         : "memory");
    if (val)
        *val = v;
    return trap;
}

/* ---- kmalloc ----------------------------------------------------------------------------------- */

/* Seed 002: kmalloc(1), kmalloc(2), ... doubling until it fails; it must fail exactly above
 * KMALLOC_MAX_SIZE (4 MiB), with the warning, and succeed at every size up to it. */
int test_kmalloc_doubling(char *msg, size_t len)
{
    unsigned long i, last_ok = 0;
    void *ptr;
    pr_info("[KMALLOC_TEST]: Entering module.\n");
    for (i = 1;; i *= 2) {
        ptr = kmalloc(i, GFP_KERNEL);
        if (!ptr) {
            pr_info("[KMALLOC_TEST]: could not allocate %lu bytes\n", i);
            break;
        }
        memset(ptr, 0x5c, i);
        if (ksize(ptr) < i)
            FAIL("kmalloc(%lu): ksize %zu", i, ksize(ptr));
        last_ok = i;
        kfree(ptr);
    }
    if (last_ok != KMALLOC_MAX_SIZE || i != 2 * KMALLOC_MAX_SIZE)
        FAIL("the loop stopped at %lu bytes (last success %lu), expected to fail at %lu", i, last_ok, 2 * KMALLOC_MAX_SIZE);
    if (kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN))
        FAIL("kmalloc(KMALLOC_MAX_SIZE + 1) succeeded");
    scnprintf(msg, len, "kmalloc fails at %lu bytes (KMALLOC_MAX_SIZE %lu)", i, KMALLOC_MAX_SIZE);
    return EMU_TEST_PASS;
}

/* The size classes: Linux's size_index table (96 and 192), power-of-two classes, types. */
int test_kmalloc_caches(char *msg, size_t len)
{
    static const struct {
        size_t size;
        const char *cache;
    } want[] = {
        { 1, "kmalloc-8" }, { 8, "kmalloc-8" }, { 9, "kmalloc-16" }, { 24, "kmalloc-32" }, { 33, "kmalloc-64" },
        { 64, "kmalloc-64" }, { 65, "kmalloc-96" }, { 96, "kmalloc-96" }, { 97, "kmalloc-128" },
        { 129, "kmalloc-192" }, { 192, "kmalloc-192" }, { 193, "kmalloc-256" }, { 1000, "kmalloc-1k" },
        { 4096, "kmalloc-4k" }, { 4097, "kmalloc-8k" }, { 8192, "kmalloc-8k" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        void *p = kmalloc(want[i].size, GFP_KERNEL);
        struct slab *slab = p ? virt_to_slab(p) : NULL;
        if (!slab)
            FAIL("kmalloc(%zu) is not a slab object", want[i].size);
        if (strcmp(slab->slab_cache->name, want[i].cache))
            FAIL("kmalloc(%zu) came from %s, expected %s", want[i].size, slab->slab_cache->name, want[i].cache);
        if (((unsigned long)p & (slab->slab_cache->align - 1)) != 0)
            FAIL("kmalloc(%zu) = %#lx is not aligned to %u", want[i].size, (unsigned long)p, slab->slab_cache->align);
        kfree(p);
    }
    void *d = kmalloc(100, GFP_KERNEL | GFP_DMA), *r = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
    if (!d || !r || strcmp(virt_to_slab(d)->slab_cache->name, "dma-kmalloc-128") ||
        strcmp(virt_to_slab(r)->slab_cache->name, "kmalloc-rcl-128"))
        FAIL("GFP_DMA / __GFP_RECLAIMABLE kmalloc(100) did not use dma-kmalloc-128 / kmalloc-rcl-128");
    if (page_zonenum(virt_to_page(d)) != ZONE_DMA)
        FAIL("dma-kmalloc-128 object outside ZONE_DMA");
    kfree(d);
    kfree(r);
    if (kmalloc(0, GFP_KERNEL) != ZERO_SIZE_PTR)
        FAIL("kmalloc(0) is not ZERO_SIZE_PTR");
    kfree(ZERO_SIZE_PTR);
    kfree(NULL);
    u8 *z = kzalloc(200, GFP_KERNEL);
    for (int i = 0; z && i < 200; i++)
        if (z[i])
            FAIL("kzalloc(200) byte %d is %#x", i, z[i]);
    kfree(z);
    /* A large kmalloc is a compound page of the buddy allocator, freed by kfree(). */
    void *big = kmalloc(100 * 1024, GFP_KERNEL);
    struct page *bp = big ? virt_to_page(big) : NULL;
    if (!bp || PageSlab(bp) || !PageHead(bp) || compound_order(bp) != 5)
        FAIL("kmalloc(100 KiB) is not an order-5 compound page");
    kfree(big);
    return EMU_TEST_PASS;
}

/* ---- slab caches --------------------------------------------------------------------------------- */

struct my_struct {
    int int_param;
    long long_param;
};

/* Seed 002's module: "lkp-cache", two objects, print, free, destroy. Then seed 000's allocation
 * strategy: objects come from the partial slab first, a full slab moves to the full list, freeing
 * one object makes it partial again, and a new slab is taken only when no slab has room. */
int test_slab_seed_examples(char *msg, size_t len)
{
    struct my_struct *ptr1, *ptr2;
    struct kmem_cache *my_cache = kmem_cache_create("lkp-cache", sizeof(struct my_struct), 0, 0, NULL);
    if (!my_cache)
        FAIL("kmem_cache_create(lkp-cache) failed");
    ptr1 = kmem_cache_alloc(my_cache, GFP_KERNEL);
    ptr2 = kmem_cache_alloc(my_cache, GFP_KERNEL);
    if (!ptr1 || !ptr2 || ptr1 == ptr2)
        FAIL("kmem_cache_alloc: %p, %p", (void *)ptr1, (void *)ptr2);
    ptr1->int_param = 42;
    ptr1->long_param = 42;
    ptr2->int_param = 43;
    ptr2->long_param = 43;
    pr_info("[SLAB_TEST] ptr1 = {%d, %ld} ; ptr2 = {%d, %ld}\n", ptr1->int_param, ptr1->long_param, ptr2->int_param,
            ptr2->long_param);
    if (virt_to_slab(ptr1) != virt_to_slab(ptr2))
        FAIL("two objects of a fresh cache are in different slabs");
    if (ptr1->int_param != 42 || ptr2->long_param != 43)
        FAIL("objects overlap");
    kmem_cache_free(my_cache, ptr2);
    kmem_cache_free(my_cache, ptr1);
    kmem_cache_destroy(my_cache);

    /* Slab life cycle, on a debug cache (no CPU slab: every object goes through the node lists). */
    struct kmem_cache *s = kmem_cache_create("ktest-lifecycle", 512, 0, SLAB_CONSISTENCY_CHECKS, NULL);
    if (!s)
        FAIL("kmem_cache_create(ktest-lifecycle) failed");
    unsigned int per = oo_objects(s->oo);
    struct kmem_cache_node *n = get_node(s, numa_node_id());
    void *objs[64];
    if (per + 1 > ARRAY_SIZE(objs))
        FAIL("%u objects per slab", per);
    for (unsigned int i = 0; i < per; i++)
        objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
    if (n->nr_slabs != 1 || n->nr_partial != 0 || list_empty(&n->full))
        FAIL("after %u allocations: %lu slabs, %lu partial, full list %s", per, n->nr_slabs, n->nr_partial,
             list_empty(&n->full) ? "empty" : "used");
    objs[per] = kmem_cache_alloc(s, GFP_KERNEL);   /* no room: a second slab */
    if (n->nr_slabs != 2 || n->nr_partial != 1)
        FAIL("one more object: %lu slabs, %lu partial", n->nr_slabs, n->nr_partial);
    kmem_cache_free(s, objs[3]);                   /* the first slab becomes partial */
    if (n->nr_partial != 2)
        FAIL("freeing from a full slab: %lu partial slabs, expected 2", n->nr_partial);
    void *again = kmem_cache_alloc(s, GFP_KERNEL);
    if (virt_to_slab(again) != virt_to_slab(objs[0]) && virt_to_slab(again) != virt_to_slab(objs[per]))
        FAIL("an allocation did not come from a partial slab");
    kmem_cache_free(s, again);
    for (unsigned int i = 0; i <= per; i++)
        if (i != 3)
            kmem_cache_free(s, objs[i]);
    kmem_cache_destroy(s);

    /* kmem_cache_alloc_node() on every node, with a constructor; the per-CPU fast path. */
    struct kmem_cache *c = kmem_cache_create("ktest-node", 200, 0, 0, NULL);
    if (!c)
        FAIL("kmem_cache_create(ktest-node) failed");
    for (int nid = 0; nid < (int)nr_node_ids; nid++) {
        void *o = kmem_cache_alloc_node(c, GFP_KERNEL, nid);
        if (!o || page_to_nid(virt_to_page(o)) != nid)
            FAIL("kmem_cache_alloc_node(node %d) gave an object on node %d", nid, o ? page_to_nid(virt_to_page(o)) : -1);
        kmem_cache_free(c, o);
    }
    void *a = kmem_cache_alloc(c, GFP_KERNEL);
    kmem_cache_free(c, a);
    void *b = kmem_cache_alloc(c, GFP_KERNEL);   /* LIFO through the CPU's free list */
    kmem_cache_free(c, b);
    if (a != b)
        FAIL("the CPU free list is not LIFO (%p then %p)", a, b);
    kmem_cache_destroy(c);

    /* kmem_cache_destroy() of a cache with live objects keeps it and says so. */
    struct kmem_cache *busy = kmem_cache_create("ktest-busy", 64, 0, 0, NULL);
    void *live = kmem_cache_alloc(busy, GFP_KERNEL);
    unsigned long reports = slab_bug_reports;
    kmem_cache_destroy(busy);
    if (slab_bug_reports == reports)
        FAIL("destroying a cache with a live object was not reported");
    kmem_cache_free(busy, live);
    kmem_cache_destroy(busy);
    return EMU_TEST_PASS;
}

static void count_ctor(void *obj)
{
    memset(obj, 0x77, 8);
}

/* Each flag: SLAB_HWCACHE_ALIGN, SLAB_POISON, SLAB_RED_ZONE, SLAB_CACHE_DMA, SLAB_RECLAIM_ACCOUNT,
 * SLAB_PANIC (the successful path; crash_test=slab_panic shows the panic), a constructor. */
int test_slab_flags(char *msg, size_t len)
{
    struct kmem_cache *s = kmem_cache_create("ktest-hwalign", 40, 0, SLAB_HWCACHE_ALIGN, NULL);
    if (!s || s->size != 64 || s->align != 64)
        FAIL("SLAB_HWCACHE_ALIGN, 40 bytes: size %u align %u, expected 64 and 64", s ? s->size : 0, s ? s->align : 0);
    void *o[3];
    for (int i = 0; i < 3; i++) {
        o[i] = kmem_cache_alloc(s, GFP_KERNEL);
        if ((unsigned long)o[i] & 63)
            FAIL("SLAB_HWCACHE_ALIGN object %#lx is not on a cache line", (unsigned long)o[i]);
    }
    for (int i = 0; i < 3; i++)
        kmem_cache_free(s, o[i]);
    kmem_cache_destroy(s);

    s = kmem_cache_create("ktest-poison", 48, 0, SLAB_POISON, NULL);
    u8 *p = kmem_cache_alloc(s, GFP_KERNEL);
    memset(p, 0x11, 48);
    kmem_cache_free(s, p);
    for (int i = 0; i < 47; i++)
        if (p[i] != POISON_FREE)
            FAIL("SLAB_POISON: byte %d of a freed object is %#x, expected %#x", i, p[i], POISON_FREE);
    if (p[47] != POISON_END)
        FAIL("SLAB_POISON: last byte of a freed object is %#x, expected %#x", p[47], POISON_END);
    kmem_cache_destroy(s);

    s = kmem_cache_create("ktest-redzone", 40, 0, SLAB_RED_ZONE, NULL);
    p = kmem_cache_alloc(s, GFP_KERNEL);
    for (unsigned int i = 1; i <= s->red_left_pad; i++)
        if (p[-(int)i] != SLUB_RED_ACTIVE)
            FAIL("SLAB_RED_ZONE: left red zone byte -%u is %#x, expected %#x", i, p[-(int)i], SLUB_RED_ACTIVE);
    for (unsigned int i = 40; i < s->inuse; i++)
        if (p[i] != SLUB_RED_ACTIVE)
            FAIL("SLAB_RED_ZONE: right red zone byte %u is %#x, expected %#x", i, p[i], SLUB_RED_ACTIVE);
    if (s->inuse <= 40)
        FAIL("SLAB_RED_ZONE: no right red zone (inuse %u)", s->inuse);
    kmem_cache_free(s, p);
    if (p[40] != SLUB_RED_INACTIVE || p[-1] != SLUB_RED_INACTIVE)
        FAIL("SLAB_RED_ZONE: red zones of a free object are %#x/%#x, expected %#x", p[-1], p[40], SLUB_RED_INACTIVE);
    kmem_cache_destroy(s);

    s = kmem_cache_create("ktest-dma", 128, 0, SLAB_CACHE_DMA, NULL);
    p = kmem_cache_alloc(s, GFP_KERNEL);
    if (!p || page_zonenum(virt_to_page(p)) != ZONE_DMA)
        FAIL("SLAB_CACHE_DMA object in zone %s", p ? zone_names[page_zonenum(virt_to_page(p))] : "(none)");
    kmem_cache_free(s, p);
    kmem_cache_destroy(s);

    unsigned long recl = slab_pages_reclaimable(), unrecl = slab_pages_unreclaimable();
    s = kmem_cache_create("ktest-reclaim", 256, 0, SLAB_RECLAIM_ACCOUNT, NULL);
    p = kmem_cache_alloc(s, GFP_KERNEL);
    unsigned long pages = 1ul << oo_order(s->oo);
    if (slab_pages_reclaimable() != recl + pages || slab_pages_unreclaimable() != unrecl)
        FAIL("SLAB_RECLAIM_ACCOUNT: SReclaimable +%lu, SUnreclaim +%lu pages, expected +%lu and 0",
             slab_pages_reclaimable() - recl, slab_pages_unreclaimable() - unrecl, pages);
    const char *block = migratetype_names[get_pageblock_migratetype(virt_to_page(p))];
    kmem_cache_free(s, p);
    kmem_cache_destroy(s);
    if (slab_pages_reclaimable() != recl)
        FAIL("SReclaimable not back after kmem_cache_destroy()");

    s = kmem_cache_create("ktest-panic", 32, 0, SLAB_PANIC, count_ctor);   /* succeeds: no panic */
    u64 *q = kmem_cache_alloc(s, GFP_KERNEL);
    if (*q != 0x7777777777777777ull)
        FAIL("constructor not run: %#llx", (unsigned long long)*q);
    kmem_cache_free(s, q);
    kmem_cache_destroy(s);
    if (kmem_cache_create("ktest-too-big", KMALLOC_MAX_SIZE + 1, 0, 0, NULL))
        FAIL("a cache of objects above KMALLOC_MAX_SIZE was created");
    scnprintf(msg, len, "the SLAB_RECLAIM_ACCOUNT slab sat in a %s pageblock", block);
    return EMU_TEST_PASS;
}

/* The detectors, provoked on purpose: each must produce SLUB's report naming the cache and the
 * object, and the kernel must go on (the damage is repaired). */
int test_slab_corruption(char *msg, size_t len)
{
    struct kmem_cache *s = kmem_cache_create("ktest-debug", 40, 0, SLAB_RED_ZONE | SLAB_POISON | SLAB_CONSISTENCY_CHECKS,
                                             NULL);
    if (!s)
        FAIL("kmem_cache_create(ktest-debug) failed");
    static const char *const want[] = { "BUG ktest-debug (Not tainted): Object already free",
                                        "BUG ktest-debug (Not tainted): Poison overwritten",
                                        "BUG ktest-debug (Not tainted): Right Redzone overwritten",
                                        "BUG ktest-debug (Not tainted): Left Redzone overwritten" };
    u8 *keep = kmem_cache_alloc(s, GFP_KERNEL);
    /* double free */
    u8 *o = kmem_cache_alloc(s, GFP_KERNEL);
    kmem_cache_free(s, o);
    unsigned long before = slab_bug_reports;
    kmem_cache_free(s, o);
    if (slab_bug_reports == before || strcmp(slab_last_bug, want[0]) || slab_last_bug_object != o)
        FAIL("double free: '%s' on %#lx, expected '%s' on %#lx", slab_last_bug, (unsigned long)slab_last_bug_object,
             want[0], (unsigned long)o);
    /* use after free: a write into a freed object, found by validation and at the next allocation */
    o[5] = 0x42;
    before = slab_bug_reports;
    if (kmem_cache_validate(s) != 1 || strcmp(slab_last_bug, want[1]) || slab_last_bug_object != o)
        FAIL("use after free: '%s' on %#lx, expected '%s' on %#lx", slab_last_bug, (unsigned long)slab_last_bug_object,
             want[1], (unsigned long)o);
    if (o[5] != POISON_FREE || kmem_cache_validate(s) != 0)
        FAIL("use after free: the poison was not restored");
    o[0] = 0x43;   /* again, now caught when the object is handed out */
    before = slab_bug_reports;
    u8 *o2 = kmem_cache_alloc(s, GFP_KERNEL);
    if (o2 != o || slab_bug_reports == before || strcmp(slab_last_bug, want[1]))
        FAIL("use after free at allocation: '%s' (object %#lx, reused %#lx)", slab_last_bug, (unsigned long)o,
             (unsigned long)o2);
    /* overflow: one byte past the 40-byte object, then one before it */
    o2[40] = 0;
    before = slab_bug_reports;
    kmem_cache_free(s, o2);
    if (slab_bug_reports == before || strcmp(slab_last_bug, want[2]) || slab_last_bug_object != o2)
        FAIL("overflow: '%s' on %#lx, expected '%s' on %#lx", slab_last_bug, (unsigned long)slab_last_bug_object,
             want[2], (unsigned long)o2);
    keep[-1] = 0x11;
    if (kmem_cache_validate(s) != 1 || strcmp(slab_last_bug, want[3]) || slab_last_bug_object != keep)
        FAIL("underflow: '%s', expected '%s'", slab_last_bug, want[3]);
    kmem_cache_free(s, keep);
    if (kmem_cache_validate(s))
        FAIL("the cache is not clean after the repairs");
    kmem_cache_destroy(s);

    /* Without debug flags, the hardened free list still catches an immediate double free. */
    void *k = kmalloc(64, GFP_KERNEL);
    kfree(k);
    before = slab_bug_reports;
    kfree(k);
    if (slab_bug_reports == before || strncmp(slab_last_bug, "BUG kmalloc-64 (Not tainted): Object already free", 60))
        FAIL("kmalloc-64 double free: '%s'", slab_last_bug);
    scnprintf(msg, len, "double free, use after free, overflow and underflow reported and repaired");
    return EMU_TEST_PASS;
}

/* /proc/slabinfo, /proc/meminfo and /proc/vmstat agree: slab pages, free pages, page tables. */
static unsigned long field(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; *p;) {
        if (!strncmp(p, name, n) && (p[n] == ' ' || p[n] == ':')) {
            p += n + 1;
            while (*p == ' ')
                p++;
            unsigned long v = 0;
            while (*p >= '0' && *p <= '9')
                v = v * 10 + (unsigned long)(*p++ - '0');
            return v;
        }
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
    }
    return ~0ul;
}

int test_slab_reports(char *msg, size_t len)
{
    static char slab_text[64 * 1024], mem_text[8192], vm_text[16384];
    struct seq_buf s;
    void *held = kmalloc(300, GFP_KERNEL);   /* at least one non-empty slab */
    seq_buf_init(&s, slab_text, sizeof(slab_text));
    slabinfo_show(&s);
    seq_buf_init(&s, mem_text, sizeof(mem_text));
    meminfo_show(&s);
    seq_buf_init(&s, vm_text, sizeof(vm_text));
    vmstat_show(&s);
    kfree(held);
    if (strncmp(slab_text, "slabinfo - version: 2.1\n# name            <active_objs> <num_objs>", 64))
        FAIL("slabinfo header");
    unsigned long pages = 0, lines = 0;
    const char *p = slab_text;
    for (int nl = 0; nl < 2 && *p; p++)   /* skip the two header lines */
        nl += *p == '\n';
    while (*p) {
        char name[48];
        unsigned long active, num, objsize, per, pps, slabs, nslabs;
        int i = 0;
        while (*p && *p != ' ' && i < 47)
            name[i++] = *p++;
        name[i] = 0;
        unsigned long v[7];
        for (int k = 0; k < 7; k++) {
            while (*p && (*p < '0' || *p > '9'))
                p++;
            v[k] = 0;
            while (*p >= '0' && *p <= '9')
                v[k] = v[k] * 10 + (unsigned long)(*p++ - '0');
            if (k == 4) {   /* skip the three tunables */
                for (int t = 0; t < 3; t++) {
                    while (*p && (*p < '0' || *p > '9'))
                        p++;
                    while (*p >= '0' && *p <= '9')
                        p++;
                }
            }
        }
        active = v[0], num = v[1], objsize = v[2], per = v[3], pps = v[4], slabs = v[5], nslabs = v[6];
        if (active > num || slabs != nslabs || num > nslabs * per || !objsize)
            FAIL("slabinfo: %s: active %lu num %lu objsize %lu perslab %lu slabs %lu/%lu", name, active, num, objsize, per,
                 slabs, nslabs);
        pages += nslabs * pps;
        lines++;
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
    }
    unsigned long slab_kb = field(mem_text, "Slab"), srecl = field(mem_text, "SReclaimable"),
                  sunrecl = field(mem_text, "SUnreclaim");
    if (slab_kb != pages * 4 || srecl + sunrecl != slab_kb)
        FAIL("slabinfo lists %lu pages (%lu kB), meminfo Slab %lu kB = %lu + %lu", pages, pages * 4, slab_kb, srecl, sunrecl);
    if (field(vm_text, "nr_slab_reclaimable") * 4 != srecl || field(vm_text, "nr_slab_unreclaimable") * 4 != sunrecl)
        FAIL("vmstat nr_slab_* disagree with meminfo");
    if (field(vm_text, "nr_free_pages") * 4 != field(mem_text, "MemFree"))
        FAIL("vmstat nr_free_pages %lu, meminfo MemFree %lu kB", field(vm_text, "nr_free_pages"), field(mem_text, "MemFree"));
    if (field(vm_text, "nr_page_table_pages") * 4 != field(mem_text, "PageTables"))
        FAIL("vmstat nr_page_table_pages disagrees with PageTables");
    if (field(vm_text, "nr_kernel_stack") != field(mem_text, "KernelStack"))
        FAIL("vmstat nr_kernel_stack disagrees with KernelStack");
    scnprintf(msg, len, "%lu caches, %lu slab pages", lines, pages);
    return EMU_TEST_PASS;
}

/* ---- vmalloc ------------------------------------------------------------------------------------- */

int test_vmalloc(char *msg, size_t len)
{
    unsigned long size = min(8ul << 20, (nr_free_pages() / 4) << PAGE_SHIFT);
    unsigned long used = vmalloc_nr_pages();
    u64 *v = vmalloc(size);
    if (!v)
        FAIL("vmalloc(%lu) failed", size);
    if (!is_vmalloc_addr(v) || (unsigned long)v < VMALLOC_START)
        FAIL("vmalloc returned %#lx, outside [%#lx, %#lx]", (unsigned long)v, VMALLOC_START, VMALLOC_END);
    /* the area's pages, plus those of its page array when that is itself vmalloc()ed (> 4 KiB) */
    unsigned long array = size / PAGE_SIZE * sizeof(struct page *);
    unsigned long want = size / PAGE_SIZE + (array > PAGE_SIZE ? PFN_UP(array) : 0);
    if (vmalloc_nr_pages() != used + want)
        FAIL("VmallocUsed grew by %lu pages, expected %lu", vmalloc_nr_pages() - used, want);
    unsigned long n = size / 8, contiguous = 0;
    for (unsigned long i = 0; i < n; i++)
        v[i] = i * 0x9e3779b97f4a7c15ull;
    for (unsigned long i = 0; i < n; i++)
        if (v[i] != i * 0x9e3779b97f4a7c15ull)
            FAIL("vmalloc contents: word %lu reads %#llx", i, (unsigned long long)v[i]);
    for (unsigned long off = 0; off < size; off += PAGE_SIZE) {
        int level;
        struct page *page = vmalloc_to_page((char *)v + off);
        if (!page || lookup_address((unsigned long)v + off, &level) != page_to_phys(page) || level != 1)
            FAIL("vmalloc page at +%#lx is not a 4 KiB mapping of its page", off);
        if (*(u64 *)page_address(page) != v[off / 8])
            FAIL("the direct map of vmalloc page +%#lx disagrees", off);
        if (off && page_to_pfn(page) == page_to_pfn(vmalloc_to_page((char *)v + off - PAGE_SIZE)) + 1)
            contiguous++;
    }
    /* The guard page: a read just past the end faults, and the fixup catches it. */
    unsigned long end = (unsigned long)v + size;
    if (probe_read(end, NULL) != X86_TRAP_PF || this_cpu()->last_fault.cr2 != end)
        FAIL("reading the guard page at %#lx did not fault (cr2 %#lx)", end, this_cpu()->last_fault.cr2);
    void *w = vmalloc(PAGE_SIZE);
    if ((unsigned long)w < end + PAGE_SIZE && (unsigned long)w >= (unsigned long)v)
        FAIL("a second area at %#lx sits in the first one's guard page", (unsigned long)w);
    vfree(w);
    char m[160];
    if (vmalloc_check(m, sizeof(m)))
        FAIL("vmalloc_check: %s", m);
    vfree(v);
    if (vmalloc_nr_pages() != used)
        FAIL("VmallocUsed not back after vfree");
    if (probe_read((unsigned long)v, NULL) != X86_TRAP_PF)
        FAIL("the area is still mapped after vfree");
    u8 *z = vzalloc(3 * PAGE_SIZE + 5);
    for (int i = 0; z && i < 3 * 4096 + 5; i++)
        if (z[i])
            FAIL("vzalloc byte %d is %#x", i, z[i]);
    vfree(z);
    scnprintf(msg, len, "%lu KiB: %lu of %lu pages physically after their predecessor", size >> 10, contiguous,
              size / PAGE_SIZE - 1);
    return EMU_TEST_PASS;
}

/* ---- per-CPU API --------------------------------------------------------------------------------- */

static DEFINE_PER_CPU(unsigned long, ktest_counter);
static DEFINE_PER_CPU(struct { unsigned int cpu; unsigned long hits; }, ktest_percpu_struct);

static void percpu_fn(void *info)
{
    (void)info;
    this_cpu_inc(ktest_counter);
    this_cpu_add(ktest_counter, 10);
    this_cpu_write(ktest_percpu_struct.cpu, smp_processor_id());
    __typeof__(ktest_percpu_struct) *p = get_cpu_ptr(&ktest_percpu_struct);
    p->hits++;
    put_cpu_ptr(&ktest_percpu_struct);
}

int test_percpu(char *msg, size_t len)
{
    unsigned int cpu;
    for_each_possible_cpu(cpu) {
        per_cpu(ktest_counter, cpu) = cpu * 100;
        per_cpu(ktest_percpu_struct, cpu).hits = 0;
    }
    on_each_cpu(percpu_fn, NULL, 1);
    get_cpu_var(ktest_counter) += 1000;
    put_cpu_var(ktest_counter);
    if (preempt_count())
        FAIL("preempt_count %d after put_cpu_var", preempt_count());
    for_each_online_cpu(cpu) {
        unsigned long want = cpu * 100 + 11 + (cpu == smp_processor_id() ? 1000 : 0);
        if (per_cpu(ktest_counter, cpu) != want)
            FAIL("CPU %u's counter is %lu, expected %lu", cpu, per_cpu(ktest_counter, cpu), want);
        if (per_cpu(ktest_percpu_struct, cpu).cpu != cpu || per_cpu(ktest_percpu_struct, cpu).hits != 1)
            FAIL("CPU %u's struct says cpu %u hits %lu", cpu, per_cpu(ktest_percpu_struct, cpu).cpu,
                 per_cpu(ktest_percpu_struct, cpu).hits);
        if (nr_cpu_ids > 1 && cpu && per_cpu_ptr(&ktest_counter, cpu) == per_cpu_ptr(&ktest_counter, 0))
            FAIL("CPUs 0 and %u share a copy", cpu);
        unsigned long pa = __pa(per_cpu_ptr(&ktest_counter, cpu));
        if (page_to_nid(pfn_to_page(pa >> PAGE_SHIFT)) != cpu_to_node(cpu))
            FAIL("CPU %u's copy is on node %d, the CPU on node %d", cpu, page_to_nid(pfn_to_page(pa >> PAGE_SHIFT)),
                 cpu_to_node(cpu));
    }
    if (this_cpu_read(ktest_counter) != per_cpu(ktest_counter, smp_processor_id()))
        FAIL("this_cpu_read disagrees with per_cpu");
    unsigned long ev[NR_VM_EVENT_ITEMS];
    all_vm_events(ev);
    if (!ev[PGALLOC_DMA32] && !ev[PGALLOC_NORMAL] && !ev[PGALLOC_DMA])
        FAIL("no pgalloc events counted in vm_event_states");
    scnprintf(msg, len, "%zu bytes of per-CPU variables per CPU", (size_t)(__per_cpu_end - __per_cpu_start));
    return EMU_TEST_PASS;
}

/* ---- page tables --------------------------------------------------------------------------------- */

/* At the running depth: map a 1 GiB page (or 2 MiB pages without gbpages) in a test area of the
 * vmalloc space, split it 1G -> 2M -> 4K, unmap a 4 KiB page in the middle and a 2 MiB range, and
 * check every step with software walks and reads through the mapping (which the MMU walks). */
int test_page_tables(char *msg, size_t len)
{
    unsigned long pt_before = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++)
        pt_before += (unsigned long)node_page_state(nid, NR_PAGETABLE);
    struct vm_struct *area = get_vm_area_align(PUD_SIZE, PUD_SIZE, VM_NO_GUARD);
    if (!area)
        FAIL("no 1 GiB of vmalloc space");
    unsigned long va = (unsigned long)area->addr;
    /* map the first 1 GiB of physical memory (only RAM below 64 MiB is read) */
    int err = kernel_map_pages_range(va, 0, PUD_SIZE, PAGE_KERNEL, gbpages ? PUD_SIZE : PMD_SIZE);
    if (err)
        FAIL("kernel_map_pages_range: %d", err);
    int level;
    u64 probe = 0x200000 + 0x1234 * 8;   /* inside the kernel's own low memory */
    u64 pa = lookup_address(va + probe, &level);
    if (pa != probe || level != (gbpages ? 3 : 2))
        FAIL("walk of %#lx: %#llx at level %d", va + probe, (unsigned long long)pa, level);
    volatile u64 *alias = (u64 *)(va + (u64)__pa_symbol(_text)), *orig = (u64 *)_text;
    if (*alias != *orig)
        FAIL("the mapping does not read the kernel text");
    if (gbpages) {
        if (split_kernel_mapping(va, 3))
            FAIL("split 1G");
        lookup_address(va + probe, &level);
        if (level != 2 || *alias != *orig)
            FAIL("after the 1G split: level %d", level);
    }
    if (split_kernel_mapping(va + SZ_2M, 2))
        FAIL("split 2M");
    pa = lookup_address(va + SZ_2M + 0x5008, &level);
    if (pa != SZ_2M + 0x5008 || level != 1)
        FAIL("after the 2M split: %#llx at level %d", (unsigned long long)pa, level);
    if (split_kernel_mapping(va + SZ_2M, 2) != -EINVAL)
        FAIL("splitting a 4 KiB mapping did not fail");
    kernel_unmap_range(va + SZ_2M + 0x5000, PAGE_SIZE);
    unsigned long v;
    if (probe_read(va + SZ_2M + 0x5000, NULL) != X86_TRAP_PF)
        FAIL("the unmapped 4 KiB page is still readable");
    if (probe_read(va + SZ_2M + 0x6000, &v) != ~0ul || v != *(u64 *)__va(SZ_2M + 0x6000))
        FAIL("the next page is gone or wrong");
    /* unmapping a range that cuts a 2 MiB page in two splits it first */
    kernel_unmap_range(va + 5 * SZ_2M + SZ_1M, SZ_2M);
    if (lookup_address(va + 5 * SZ_2M + SZ_1M - 8, &level) == ~0ull || level != 1 ||
        lookup_address(va + 6 * SZ_2M + SZ_1M, &level) == ~0ull || lookup_address(va + 6 * SZ_2M, &level) != ~0ull)
        FAIL("partial unmap of 2 MiB pages");
    unsigned long pt_mid = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++)
        pt_mid += (unsigned long)node_page_state(nid, NR_PAGETABLE);
    free_vm_area(area);
    unsigned long pt_after = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++)
        pt_after += (unsigned long)node_page_state(nid, NR_PAGETABLE);
    if (pt_after != pt_before)
        FAIL("%ld page-table pages not freed by the unmap", (long)(pt_after - pt_before));
    if (lookup_address(va, &level) != ~0ull)
        FAIL("the test area is still mapped");
    scnprintf(msg, len, "%u levels, %s, %lu table pages at the peak", pgtable_levels,
              gbpages ? "1G -> 2M -> 4K" : "2M -> 4K (no 1 GiB pages)", pt_mid - pt_before);
    return EMU_TEST_PASS;
}

/* ---- TLB shootdown ------------------------------------------------------------------------------- */

static DEFINE_PER_CPU(u64, tlb_seen);
static unsigned long tlb_test_va;

static void read_test_page(void *info)
{
    (void)info;
    this_cpu_write(tlb_seen, *(volatile u64 *)tlb_test_va);
}

static unsigned int count_seen(u64 value)
{
    unsigned int cpu, n = 0;
    for_each_online_cpu(cpu)
        n += per_cpu(tlb_seen, cpu) == value;
    return n;
}

/* Map a page, let every CPU read it (its TLB now holds the translation), point the PTE at another
 * page, then: without a flush CPUs may still read the old page (counted, not required: it is what
 * the emulator's TLBs do); after flush_tlb_page() with its shootdown, every CPU must read the new
 * one. The same for a range (flush_tlb_range) and flush_tlb_all. */
int test_tlb_shootdown(char *msg, size_t len)
{
    struct page *pa_old = alloc_page(GFP_KERNEL), *pa_new = alloc_page(GFP_KERNEL);
    struct vm_struct *area = get_vm_area(4 * PAGE_SIZE, 0);
    if (!pa_old || !pa_new || !area)
        FAIL("no memory");
    *(u64 *)page_address(pa_old) = 0x01d01d01d01d01dull;
    *(u64 *)page_address(pa_new) = 0x2e42e42e42e42e4ull;
    tlb_test_va = (unsigned long)area->addr;
    struct vm_area_struct vma = { tlb_test_va, tlb_test_va + 4 * PAGE_SIZE, &init_mm, 0 };
    unsigned int ncpu = num_online_cpus();
    unsigned long r0, rx0, la0, lo0, r1, rx1, la1, lo1;
    tlb_flush_counts(&r0, &rx0, &la0, &lo0);

    kernel_map_pages_range(tlb_test_va, page_to_phys(pa_old), PAGE_SIZE, PAGE_KERNEL, PAGE_SIZE);
    on_each_cpu(read_test_page, NULL, 1);
    if (count_seen(0x01d01d01d01d01dull) != ncpu)
        FAIL("%u of %u CPUs read the mapped page", count_seen(0x01d01d01d01d01dull), ncpu);
    int level;
    pteval_t *pte = lookup_address_pte(tlb_test_va, &level);
    WRITE_ONCE(*pte, page_to_phys(pa_new) | PAGE_KERNEL);
    on_each_cpu(read_test_page, NULL, 1);
    unsigned int stale = count_seen(0x01d01d01d01d01dull);
    flush_tlb_page(&vma, tlb_test_va);
    on_each_cpu(read_test_page, NULL, 1);
    if (count_seen(0x2e42e42e42e42e4ull) != ncpu)
        FAIL("after flush_tlb_page, %u of %u CPUs read the new page", count_seen(0x2e42e42e42e42e4ull), ncpu);

    /* a range: four pages, all changed, one flush_tlb_range */
    struct page *pages[4];
    for (int i = 0; i < 4; i++) {
        pages[i] = alloc_page(GFP_KERNEL);
        if (!pages[i])
            FAIL("no memory");
        *(u64 *)page_address(pages[i]) = 0x1000 + (u64)i;
    }
    for (int i = 0; i < 4; i++)
        kernel_map_pages_range(tlb_test_va + (unsigned long)i * PAGE_SIZE, page_to_phys(pa_old), PAGE_SIZE, PAGE_KERNEL,
                               PAGE_SIZE);
    flush_tlb_range(&vma, tlb_test_va, tlb_test_va + 4 * PAGE_SIZE);
    unsigned long base = tlb_test_va;
    for (int i = 0; i < 4; i++) {
        tlb_test_va = base + (unsigned long)i * PAGE_SIZE;
        on_each_cpu(read_test_page, NULL, 1);
    }
    for (int i = 0; i < 4; i++)
        kernel_map_pages_range(base + (unsigned long)i * PAGE_SIZE, page_to_phys(pages[i]), PAGE_SIZE, PAGE_KERNEL, PAGE_SIZE);
    flush_tlb_range(&vma, base, base + 4 * PAGE_SIZE);
    for (int i = 0; i < 4; i++) {
        tlb_test_va = base + (unsigned long)i * PAGE_SIZE;
        on_each_cpu(read_test_page, NULL, 1);
        if (count_seen(0x1000 + (u64)i) != ncpu)
            FAIL("after flush_tlb_range, %u of %u CPUs read page %d's new frame", count_seen(0x1000 + (u64)i), ncpu, i);
    }
    /* flush_tlb_all */
    tlb_test_va = base;
    WRITE_ONCE(*pte, page_to_phys(pa_old) | PAGE_KERNEL);
    flush_tlb_all();
    on_each_cpu(read_test_page, NULL, 1);
    if (count_seen(0x01d01d01d01d01dull) != ncpu)
        FAIL("after flush_tlb_all, %u of %u CPUs read the new frame", count_seen(0x01d01d01d01d01dull), ncpu);
    tlb_flush_counts(&r1, &rx1, &la1, &lo1);
    free_vm_area(area);
    __free_page(pa_old);
    __free_page(pa_new);
    for (int i = 0; i < 4; i++)
        __free_page(pages[i]);
    if (ncpu > 1 && (r1 - r0 < 3 || rx1 - rx0 < 3 * (ncpu - 1)))
        FAIL("%lu shootdowns sent, %lu received on %u CPUs", r1 - r0, rx1 - rx0, ncpu);
    scnprintf(msg, len, "%u CPUs; without a flush %u still read the old page; %lu shootdowns, %lu IPIs acknowledged",
              ncpu, stale, r1 - r0, rx1 - rx0);
    return EMU_TEST_PASS;
}
