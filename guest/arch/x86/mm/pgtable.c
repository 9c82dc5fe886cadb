/* arch/x86/mm/pgtable.c: the kernel's page tables after boot, at 4 or 5 levels.
 *
 * x86-64 translates a virtual address through 4 tables (PML4 -> PUD -> PMD -> PT; Linux's pgd,
 * pud, pmd, pte) or 5 with LA57 (a PML5, Linux's pgd, above a PML4, its p4d). Each table is a
 * 4 KiB page of 512 entries; the entry for va at level L (1 = PT ... 5 = PML5) is entry
 * (va >> (12 + 9 * (L - 1))) & 511. An entry either points to the next table or, at level 2 or 3
 * with the PS bit, maps a 2 MiB or 1 GiB page itself. The code below walks that structure for any
 * depth (pgtable_levels), as Linux's generic pgd/p4d/pud/pmd/pte walkers do with p4d folded away
 * on 4-level machines:
 *
 *   - mapping (kernel_map_pages_range()) descends from the top, allocating missing tables, and
 *     writes a leaf at the largest level the alignment of va and pa and max_page allow; a huge page
 *     in the way is split first;
 *   - splitting (split_kernel_mapping(), Linux's split_large_page() in set_memory.c) replaces a
 *     1 GiB or 2 MiB leaf by a table of 512 leaves of the next size with the same attributes, so
 *     nothing changes for a reader; the huge TLB entries are flushed everywhere afterwards
 *     (Linux's cpa flush); counted in vmstat as direct_map_level3/level2_splits when the direct map
 *     is split;
 *   - unmapping (kernel_unmap_range()) clears leaves (splitting huge pages that only partly lie in
 *     the range), frees tables that became empty, but never the tables the top level points to:
 *     for the vmalloc area those are allocated once at boot (preallocate_vmalloc_pages()), as in
 *     Linux, because the top level is copied into every process's page tables and must not change.
 *     Freed tables are given back only after the TLB shootdown, since another CPU's
 *     paging-structure cache may still point into them.
 *
 * Page-table pages come from the page allocator on the node of the memory their first mapping
 * maps (arch/x86/mm/init.c's rule), are marked PageTable, counted in NR_PAGETABLE (meminfo's
 * PageTables) and annotated EMU_FRAME_PAGE_TABLE with their level.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <linux/vmstat.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

static u64 pgtable_alloc(int level, u64 serves_pa)
{
    int nid = pfn_valid(serves_pa >> PAGE_SHIFT) ? page_to_nid(pfn_to_page(serves_pa >> PAGE_SHIFT)) : numa_node_id();
    struct page *page = alloc_pages_node(nid, GFP_KERNEL | __GFP_ZERO, 0);
    if (!page)
        return 0;
    __SetPageTable(page);
    mod_node_page_state(NODE_DATA(page_to_nid(page)), NR_PAGETABLE, 1);
    mm_annotate(page_to_pfn(page), 1, EMU_FRAME_PAGE_TABLE, (unsigned int)level, 0);
    return page_to_phys(page);
}

static void pgtable_free(struct page *page)
{
    if (!PageTable(page))
        return;   /* a boot table (memblock): never freed */
    mod_node_page_state(NODE_DATA(page_to_nid(page)), NR_PAGETABLE, -1);
    __free_page(page);
}

static inline pteval_t *entry_table(pteval_t e) { return __va(e & PTE_PFN_MASK); }

static int in_direct_map(unsigned long va)
{
    return va >= PAGE_OFFSET && va < PAGE_OFFSET + (max_pfn << PAGE_SHIFT);
}

/* Replace the huge leaf *e (at `level`, covering va) by a table of the next level. */
static int split_entry(pteval_t *e, int level, unsigned long va)
{
    pteval_t old = *e;
    u64 size = 1ull << pt_level_shift(level), sub = 1ull << pt_level_shift(level - 1);
    u64 base = old & PTE_PFN_MASK & ~(size - 1);
    pteval_t prot = old & ~PTE_PFN_MASK;
    if (level - 1 == 1)
        prot &= ~_PAGE_PSE;
    u64 pa = pgtable_alloc(level - 1, base);
    if (!pa)
        return -ENOMEM;
    pteval_t *t = __va(pa);
    for (int i = 0; i < PTRS_PER_TABLE; i++)
        t[i] = (base + (u64)i * sub) | prot;
    WRITE_ONCE(*e, pa | _KERNPG_TABLE);
    if (in_direct_map(va))
        count_vm_event(level == 3 ? DIRECT_MAP_LEVEL3_SPLITS : DIRECT_MAP_LEVEL2_SPLITS);
    return 0;
}

/* The entry for va at target_level, allocating tables (and splitting huge pages) on the way when
 * alloc; NULL if absent (or on allocation failure, *err = -ENOMEM). */
static pteval_t *walk(unsigned long va, int target_level, int alloc, u64 pa_hint, int *err)
{
    pteval_t *table = __va(init_top_pgt_pa);
    for (int level = (int)pgtable_levels; level > target_level; level--) {
        pteval_t *e = &table[pt_index(va, level)];
        if (!(*e & _PAGE_PRESENT)) {
            if (!alloc)
                return NULL;
            u64 pa = pgtable_alloc(level - 1, pa_hint);
            if (!pa) {
                *err = -ENOMEM;
                return NULL;
            }
            WRITE_ONCE(*e, pa | _KERNPG_TABLE);
        } else if (*e & _PAGE_PSE) {
            if (!alloc)
                return NULL;
            if ((*err = split_entry(e, level, va)))
                return NULL;
        }
        table = entry_table(*e);
    }
    return &table[pt_index(va, target_level)];
}

int kernel_map_pages_range(unsigned long va, u64 pa, unsigned long size, pteval_t prot, unsigned long max_page)
{
    while (size) {
        int level = 1, err = 0;
        if (max_page >= PUD_SIZE && gbpages && IS_ALIGNED(va | pa, PUD_SIZE) && size >= PUD_SIZE)
            level = 3;
        else if (max_page >= PMD_SIZE && IS_ALIGNED(va | pa, PMD_SIZE) && size >= PMD_SIZE)
            level = 2;
        pteval_t *e;
        for (;;) {
            e = walk(va, level, 1, pa, &err);
            if (!e)
                return err ? err : -ENOMEM;
            if (level > 1 && (*e & _PAGE_PRESENT) && !(*e & _PAGE_PSE))
                level--;   /* a table is already there: map at the next level down */
            else
                break;
        }
        WRITE_ONCE(*e, pa | prot | (level > 1 ? _PAGE_PSE : 0));
        unsigned long step = 1ul << pt_level_shift(level);
        va += step;
        pa += step;
        size -= step;
    }
    return 0;
}

pteval_t *lookup_address_pte(unsigned long va, int *level)
{
    pteval_t *table = __va(init_top_pgt_pa);
    for (int l = (int)pgtable_levels; l >= 1; l--) {
        pteval_t *e = &table[pt_index(va, l)];
        *level = l;
        if (!(*e & _PAGE_PRESENT))
            return NULL;
        if (l == 1 || (*e & _PAGE_PSE))
            return e;
        table = entry_table(*e);
    }
    return NULL;
}

int split_kernel_mapping(unsigned long va, int level)
{
    int l;
    pteval_t *e = lookup_address_pte(va, &l);
    if (!e || l != level || level < 2)
        return -EINVAL;
    int err = split_entry(e, level, va);
    if (!err)
        flush_tlb_all();
    return err;
}

static int table_empty(const pteval_t *t)
{
    for (int i = 0; i < PTRS_PER_TABLE; i++)
        if (t[i] & _PAGE_PRESENT)
            return 0;
    return 1;
}

/* Clear [start, end) within `table` of `level`; empty tables below the preallocated level go on
 * `freed`. */
static void unmap_table(pteval_t *table, int level, unsigned long start, unsigned long end, struct list_head *freed)
{
    unsigned long size = 1ul << pt_level_shift(level), next;
    for (unsigned long va = start; va < end; va = next) {
        next = (va | (size - 1)) + 1;
        if (!next || next > end)
            next = end;
        pteval_t *e = &table[pt_index(va, level)];
        if (!(*e & _PAGE_PRESENT))
            continue;
        if (level == 1) {
            WRITE_ONCE(*e, 0);
            continue;
        }
        if (*e & _PAGE_PSE) {
            if (IS_ALIGNED(va, size) && next - va == size) {
                WRITE_ONCE(*e, 0);
                continue;
            }
            if (split_entry(e, level, va)) {
                WRITE_ONCE(*e, 0);   /* no memory to split: drop the whole huge page */
                continue;
            }
        }
        pteval_t *sub = entry_table(*e);
        unmap_table(sub, level - 1, va, next, freed);
        if (level - 1 <= (int)pgtable_levels - 2 && table_empty(sub)) {
            WRITE_ONCE(*e, 0);
            list_add(&virt_to_page(sub)->lru, freed);
        }
    }
}

void kernel_unmap_range(unsigned long va, unsigned long size)
{
    LIST_HEAD(freed);
    if (!size)
        return;
    unmap_table(__va(init_top_pgt_pa), (int)pgtable_levels, va, va + size, &freed);
    flush_tlb_kernel_range(va, va + size);
    while (!list_empty(&freed)) {
        struct page *page = list_first_entry(&freed, struct page, lru);
        list_del(&page->lru);
        pgtable_free(page);
    }
}

void preallocate_vmalloc_pages(void)
{
    int top = (int)pgtable_levels;
    unsigned long step = 1ul << pt_level_shift(top), n = 0;
    pteval_t *pgd = __va(init_top_pgt_pa);
    for (unsigned long va = VMALLOC_START; va - 1 < VMALLOC_END; va += step) {
        pteval_t *e = &pgd[pt_index(va, top)];
        if (!(*e & _PAGE_PRESENT)) {
            u64 pa = pgtable_alloc(top - 1, 0);
            if (!pa)
                panic("preallocate_vmalloc_pages: out of memory");
            WRITE_ONCE(*e, pa | _KERNPG_TABLE);
            n++;
        }
        if (va + step < va)
            break;
    }
    pr_info("vmalloc: [%#lx-%#lx], %lu level-%d tables preallocated\n", VMALLOC_START, VMALLOC_END, n, top - 1);
}
