/* mm/memblock.c: the boot-time memory allocator.
 *
 * Before struct pages and the buddy allocator exist, the kernel still needs memory: page tables
 * for the direct map, the memmap itself, per-node data, per-CPU areas. Linux's memblock keeps two
 * sorted arrays of physical ranges:
 *   memblock.memory    the RAM the firmware reported, each range with its NUMA node (fed here by
 *                      the boot memory map: the e820 usable ranges with their SRAT node);
 *   memblock.reserved  what is in use: the kernel image, the initrd, the boot page tables, the
 *                      low 1 MiB, and every memblock allocation.
 * Free memory is memory minus reserved. An allocation looks for a free gap of the right size and
 * alignment, top-down by default (from the highest address below memblock.current_limit, so low
 * zones such as ZONE_DMA stay free for who needs them), on the requested node first and then on
 * any node (memblock_alloc_try_nid()), and records the result in memblock.reserved. Adjacent
 * reserved ranges merge, so the array stays short. current_limit is the end of the memory that is
 * already mapped: 4 GiB (the boot loader's 1:1 map) while the direct map is being built, then
 * grown as it is (arch/x86/mm/init_64.c).
 *
 * When the page allocator is ready, memblock_free_all() releases every free range to it in the
 * largest naturally aligned blocks (up to MAX_ORDER - 1) and marks nothing else: the pages of
 * reserved ranges stay PG_reserved for ever, as in Linux. Each zone's managed_pages counts what
 * was released.
 */
#define pr_fmt(fmt) "memblock: " fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <asm/page.h>
#include <asm/pgtable.h>

static struct memblock_region memory_regions[INIT_MEMBLOCK_REGIONS];
static struct memblock_region reserved_regions[INIT_MEMBLOCK_REGIONS];

struct memblock memblock = {
    .bottom_up = false,
    .current_limit = EMU_BOOT_IDENTITY_BYTES,
    .memory = { 0, INIT_MEMBLOCK_REGIONS, 0, memory_regions, "memory" },
    .reserved = { 0, INIT_MEMBLOCK_REGIONS, 0, reserved_regions, "reserved" },
};

unsigned long memblock_kernel_pages, memblock_percpu_pages, memblock_stack_pages;

/* Insert [base, base + size) of node nid, keeping the array sorted, and merge neighbours that
 * touch or overlap (and have the same node, for memory). */
static int memblock_add_range(struct memblock_type *type, phys_addr_t base, phys_addr_t size, int nid)
{
    if (!size)
        return 0;
    if (type->cnt == type->max)
        panic("memblock: %s array is full (%lu regions)", type->name, type->max);
    unsigned long i = type->cnt;
    while (i > 0 && type->regions[i - 1].base > base) {
        type->regions[i] = type->regions[i - 1];
        i--;
    }
    type->regions[i] = (struct memblock_region){ base, size, nid };
    type->cnt++;
    /* merge */
    unsigned long w = 0;
    for (unsigned long r = 0; r < type->cnt; r++) {
        struct memblock_region *cur = &type->regions[r];
        if (w > 0) {
            struct memblock_region *prev = &type->regions[w - 1];
            if (prev->base + prev->size >= cur->base && prev->nid == cur->nid) {
                phys_addr_t end = max(prev->base + prev->size, cur->base + cur->size);
                prev->size = end - prev->base;
                continue;
            }
        }
        type->regions[w++] = *cur;
    }
    type->cnt = w;
    type->total_size = 0;
    for (unsigned long r = 0; r < type->cnt; r++)
        type->total_size += type->regions[r].size;
    return 0;
}

/* Remove [base, base + size) from a type, splitting a region that straddles it. */
static int memblock_remove_range(struct memblock_type *type, phys_addr_t base, phys_addr_t size)
{
    phys_addr_t end = base + size;
    for (unsigned long i = 0; i < type->cnt; i++) {
        struct memblock_region *r = &type->regions[i];
        phys_addr_t rb = r->base, re = r->base + r->size;
        if (re <= base || rb >= end)
            continue;
        if (rb < base && re > end) {            /* split in two */
            r->size = base - rb;
            memblock_add_range(type, end, re - end, r->nid);
            break;
        }
        if (rb < base)
            r->size = base - rb;
        else if (re > end) {
            r->base = end;
            r->size = re - end;
        } else {                                /* fully covered: delete */
            memmove(r, r + 1, (type->cnt - i - 1) * sizeof(*r));
            type->cnt--;
            i--;
        }
    }
    type->total_size = 0;
    for (unsigned long r = 0; r < type->cnt; r++)
        type->total_size += type->regions[r].size;
    return 0;
}

int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid)
{
    return memblock_add_range(&memblock.memory, base, size, nid);
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
    return memblock_add_range(&memblock.memory, base, size, NUMA_NO_NODE);
}

int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
    return memblock_add_range(&memblock.reserved, ALIGN_DOWN(base, PAGE_SIZE),
                              ALIGN(base + size, PAGE_SIZE) - ALIGN_DOWN(base, PAGE_SIZE), NUMA_NO_NODE);
}

int memblock_phys_free(phys_addr_t base, phys_addr_t size)
{
    return memblock_remove_range(&memblock.reserved, base, size);
}

void memblock_set_current_limit(phys_addr_t limit)
{
    memblock.current_limit = limit;
}

int memblock_nid_of(phys_addr_t pa)
{
    for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
        const struct memblock_region *r = &memblock.memory.regions[i];
        if (pa >= r->base && pa < r->base + r->size)
            return r->nid;
    }
    return NUMA_NO_NODE;
}

static bool type_contains(const struct memblock_type *t, phys_addr_t pa)
{
    for (unsigned long i = 0; i < t->cnt; i++)
        if (pa >= t->regions[i].base && pa < t->regions[i].base + t->regions[i].size)
            return true;
    return false;
}
bool memblock_is_reserved(phys_addr_t pa) { return type_contains(&memblock.reserved, pa); }
bool memblock_is_memory(phys_addr_t pa) { return type_contains(&memblock.memory, pa); }

phys_addr_t memblock_start_of_DRAM(void)
{
    return memblock.memory.cnt ? memblock.memory.regions[0].base : 0;
}

phys_addr_t memblock_end_of_DRAM(void)
{
    const struct memblock_region *r = &memblock.memory.regions[memblock.memory.cnt - 1];
    return memblock.memory.cnt ? r->base + r->size : 0;
}

/* The free range of [lo, hi) that starts at or after *pos: walks the reserved ranges (sorted). */
bool memblock_next_free_range(u64 *idx, int nid, phys_addr_t *start, phys_addr_t *end)
{
    /* *idx encodes (memory region << 32) | (reserved region); positions only grow. */
    unsigned long mi = *idx >> 32, ri = *idx & 0xffffffffu;
    for (; mi < memblock.memory.cnt; mi++, ri = 0) {
        const struct memblock_region *m = &memblock.memory.regions[mi];
        if (nid != NUMA_NO_NODE && m->nid != nid)
            continue;
        phys_addr_t mb = m->base, me = m->base + m->size;
        /* gaps between reserved ranges, clipped to the memory region; ri counts gaps seen */
        phys_addr_t prev_end = 0;
        unsigned long gap = 0;
        for (unsigned long k = 0; k <= memblock.reserved.cnt; k++) {
            phys_addr_t gs = k ? memblock.reserved.regions[k - 1].base + memblock.reserved.regions[k - 1].size : 0;
            phys_addr_t ge = k < memblock.reserved.cnt ? memblock.reserved.regions[k].base : ~0ull;
            (void)prev_end;
            gs = max(gs, mb);
            ge = min(ge, me);
            if (gs >= ge)
                continue;
            if (gap++ < ri)
                continue;
            *start = gs;
            *end = ge;
            *idx = ((u64)mi << 32) | (ri + 1);
            return true;
        }
    }
    *idx = (u64)mi << 32;
    return false;
}

/* Top-down (or bottom-up) search for a free aligned gap in [start, end) on node nid. */
static phys_addr_t find_in_range(phys_addr_t size, phys_addr_t align, phys_addr_t start, phys_addr_t end, int nid)
{
    for (long mi = memblock.bottom_up ? 0 : (long)memblock.memory.cnt - 1;
         mi >= 0 && mi < (long)memblock.memory.cnt; mi += memblock.bottom_up ? 1 : -1) {
        const struct memblock_region *m = &memblock.memory.regions[mi];
        if (nid != NUMA_NO_NODE && m->nid != nid)
            continue;
        phys_addr_t lo = max(m->base, start), hi = min(m->base + m->size, end);
        if (lo >= hi || hi - lo < size)
            continue;
        if (!memblock.bottom_up) {
            phys_addr_t cand = ALIGN_DOWN(hi - size, align);
            while (cand >= lo && cand + size <= hi) {
                bool clash = false;
                for (long k = (long)memblock.reserved.cnt - 1; k >= 0; k--) {
                    const struct memblock_region *r = &memblock.reserved.regions[k];
                    if (r->base < cand + size && r->base + r->size > cand) {
                        if (r->base < size)
                            return 0;
                        cand = ALIGN_DOWN(r->base - size, align);
                        clash = true;
                        break;
                    }
                }
                if (!clash)
                    return cand;
            }
        } else {
            phys_addr_t cand = ALIGN(lo, align);
            while (cand + size <= hi) {
                bool clash = false;
                for (unsigned long k = 0; k < memblock.reserved.cnt; k++) {
                    const struct memblock_region *r = &memblock.reserved.regions[k];
                    if (r->base < cand + size && r->base + r->size > cand) {
                        cand = ALIGN(r->base + r->size, align);
                        clash = true;
                        break;
                    }
                }
                if (!clash)
                    return cand;
            }
        }
    }
    return 0;
}

phys_addr_t memblock_alloc_range_nid(phys_addr_t size, phys_addr_t align, phys_addr_t start, phys_addr_t end,
                                     int nid, bool exact_nid)
{
    if (!align)
        align = PAGE_SIZE;
    size = ALIGN(size, PAGE_SIZE);
    if (end == MEMBLOCK_ALLOC_ACCESSIBLE)
        end = memblock.current_limit;
    start = max(start, (phys_addr_t)MEMBLOCK_LOW_LIMIT);
    phys_addr_t pa = find_in_range(size, align, start, end, nid);
    if (!pa && nid != NUMA_NO_NODE && !exact_nid)
        pa = find_in_range(size, align, start, end, NUMA_NO_NODE);
    if (!pa)
        return 0;
    memblock_reserve(pa, size);
    return pa;
}

phys_addr_t memblock_phys_alloc_try_nid(phys_addr_t size, phys_addr_t align, int nid)
{
    return memblock_alloc_range_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, nid, false);
}

void *early_phys_to_virt(u64 pa);

void *memblock_alloc_try_nid(phys_addr_t size, phys_addr_t align, phys_addr_t min_addr, phys_addr_t max_addr, int nid)
{
    phys_addr_t pa = memblock_alloc_range_nid(size, align, min_addr, max_addr, nid, false);
    if (!pa)
        panic("memblock: cannot allocate %llu bytes on node %d (limit %#llx)", (unsigned long long)size, nid,
              (unsigned long long)memblock.current_limit);
    void *va = early_phys_to_virt(pa);
    memset(va, 0, ALIGN(size, PAGE_SIZE));
    mm_annotate_pa(pa, size, EMU_FRAME_KERNEL, 0);
    return va;
}

void memblock_dump_all(void)
{
    pr_debug(" memory size = 0x%llx reserved size = 0x%llx\n", (unsigned long long)memblock.memory.total_size,
             (unsigned long long)memblock.reserved.total_size);
    for (int t = 0; t < 2; t++) {
        const struct memblock_type *type = t ? &memblock.reserved : &memblock.memory;
        pr_debug(" %s.cnt  = 0x%lx\n", type->name, type->cnt);
        for (unsigned long i = 0; i < type->cnt; i++) {
            const struct memblock_region *r = &type->regions[i];
            pr_debug(" %s[0x%lx]\t[0x%016llx-0x%016llx], 0x%016llx bytes on node %d\n", type->name, i,
                     (unsigned long long)r->base, (unsigned long long)(r->base + r->size - 1),
                     (unsigned long long)r->size, r->nid);
        }
    }
}
