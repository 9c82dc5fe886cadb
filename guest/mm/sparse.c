/* mm/sparse.c: the memmap, one piece per present memory section (classic SPARSEMEM).
 *
 * Physical memory is split into sections of PAGES_PER_SECTION frames (128 MiB). sparse_init()
 * gives each section that holds RAM its own array of struct page, allocated from memblock on the
 * node of the section's first RAM (Linux's sparse_init_nid() with its per-node sparse buffer), and
 * records it in mem_section[] biased by the section's first pfn. A section without RAM has no
 * memmap at all, so holes in the physical map cost nothing; within a section the array stops at
 * the last RAM frame (rounded up to MAX_ORDER_NR_PAGES), so a 64 MiB machine does not pay for a
 * 128 MiB section. Frames inside a present section that are not RAM (the low 1 MiB here) get a
 * struct page marked PG_reserved, as Linux's init_unavailable_range() does.
 *
 * Sections may be shared by two nodes (nodes of 64 MiB): the section's memmap then lives on the
 * node of its first RAM; each page still carries its own node in page->flags.
 *
 * Cost: 64 bytes per 4 KiB frame, 1.56% of RAM. The frames spent are printed per zone at boot
 * ("pages used for memmap") and reported in meminfo's MemMap line and zoneinfo.
 */
#define pr_fmt(fmt) fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>

struct mem_section *mem_section;
unsigned long nr_mem_sections;
unsigned long max_pfn, min_low_pfn;
static unsigned long memmap_pages_node[MAX_NUMNODES];

/* The last RAM pfn + 1 inside [start, end), or 0 when none; and the node of the first. */
static unsigned long section_ram_end(unsigned long start, unsigned long end, int *nid)
{
    unsigned long last = 0;
    *nid = NUMA_NO_NODE;
    for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
        const struct memblock_region *r = &memblock.memory.regions[i];
        unsigned long rs = PFN_DOWN(r->base), re = PFN_DOWN(r->base + r->size);
        if (re <= start || rs >= end)
            continue;
        if (*nid == NUMA_NO_NODE)
            *nid = r->nid;
        last = max(last, min(re, end));
    }
    return last;
}

void sparse_init(void)
{
    max_pfn = PFN_DOWN(memblock_end_of_DRAM());
    min_low_pfn = PFN_DOWN(memblock_start_of_DRAM());
    nr_mem_sections = pfn_to_section_nr(max_pfn - 1) + 1;
    mem_section = memblock_alloc(nr_mem_sections * sizeof(struct mem_section), 64);

    for (unsigned long sec = 0; sec < nr_mem_sections; sec++) {
        unsigned long start = section_nr_to_pfn(sec), end = start + PAGES_PER_SECTION;
        int nid;
        unsigned long last = section_ram_end(start, end, &nid);
        if (!last)
            continue;
        unsigned long nr = ALIGN(last - start, MAX_ORDER_NR_PAGES);
        size_t bytes = nr * sizeof(struct page);
        /* Not zeroed here: memmap_init() writes every word of every struct page once. */
        phys_addr_t pa = memblock_alloc_range_nid(bytes, PMD_SIZE, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, nid, false);
        if (!pa)
            panic("sparse: no memory for the memmap of section %lu (%zu bytes)", sec, bytes);
        struct page *map = __va(pa);
        mm_annotate(__pa(map) >> PAGE_SHIFT, PFN_UP(bytes), EMU_FRAME_MEMMAP, 0, 0);
        int map_nid = memblock_nid_of(__pa(map));
        memmap_pages_node[map_nid < 0 ? 0 : map_nid] += PFN_UP(bytes);
        mem_section[sec].section_mem_map = map - start;
        mem_section[sec].end_pfn = start + nr;
        mem_section[sec].nid = nid;
    }
}

unsigned long memmap_pages_total(void)
{
    unsigned long sum = 0;
    for (int n = 0; n < MAX_NUMNODES; n++)
        sum += memmap_pages_node[n];
    return sum;
}

unsigned long memmap_pages_on_node(int nid)
{
    return memmap_pages_node[nid];
}
