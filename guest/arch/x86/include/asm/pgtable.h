/* asm/pgtable.h: page-table entries and the kernel's page tables.
 *
 * As Linux's asm/pgtable_types.h and asm/pgtable_64.h: the entry bits named as Linux names them
 * (_PAGE_PRESENT... the SDM's P, R/W, U/S, PWT, PCD, A, D, PS, G, XD), the protections used for
 * kernel mappings, and the interface of arch/x86/mm/init_64.c, which builds the page tables. An
 * entry is a plain u64 here (Linux wraps each level in its own struct type: pgd_t, p4d_t, pud_t,
 * pmd_t, pte_t); levels are numbered as the emulator's annotations do: 1 = PT ... 5 = PML5.
 */
#ifndef _ASM_X86_PGTABLE_H
#define _ASM_X86_PGTABLE_H

#include <linux/types.h>
#include <asm/page.h>

#define _PAGE_PRESENT (1ull << 0)
#define _PAGE_RW (1ull << 1)
#define _PAGE_USER (1ull << 2)
#define _PAGE_PWT (1ull << 3)
#define _PAGE_PCD (1ull << 4)
#define _PAGE_ACCESSED (1ull << 5)
#define _PAGE_DIRTY (1ull << 6)
#define _PAGE_PSE (1ull << 7)
#define _PAGE_GLOBAL (1ull << 8)
#define _PAGE_NX (1ull << 63)
#define PTE_PFN_MASK 0x000ffffffffff000ull

#define _KERNPG_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _PAGE_TABLE (_KERNPG_TABLE | _PAGE_USER)
#define __PAGE_KERNEL_EXEC (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL)
#define __PAGE_KERNEL (__PAGE_KERNEL_EXEC | _PAGE_NX)
#define PAGE_USER_EXEC (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

#define PTRS_PER_TABLE 512
#define PAGE_KERNEL __PAGE_KERNEL

/* The vmalloc area, where Linux places it (Documentation/arch/x86/x86_64/mm.rst, no KASLR):
 * 4-level 0xffffc90000000000, 32 TiB; 5-level 0xffa0000000000000, 12800 TiB. */
#define VMALLOC_START_L4 0xffffc90000000000ul
#define VMALLOC_START_L5 0xffa0000000000000ul
#define VMALLOC_SIZE_TB_L4 32ul
#define VMALLOC_SIZE_TB_L5 12800ul
#define VMALLOC_START (pgtable_l5_enabled ? VMALLOC_START_L5 : VMALLOC_START_L4)
#define VMALLOC_END (VMALLOC_START + ((pgtable_l5_enabled ? VMALLOC_SIZE_TB_L5 : VMALLOC_SIZE_TB_L4) << 40) - 1)

static inline unsigned int pt_level_shift(int level) { return 12 + 9 * (unsigned int)(level - 1); }
static inline unsigned int pt_index(unsigned long va, int level)
{
    return (unsigned int)(va >> pt_level_shift(level)) & (PTRS_PER_TABLE - 1);
}

typedef u64 pteval_t;

extern int pgtable_l5_enabled;       /* boot_info.paging_levels == 5 */
extern unsigned int pgtable_levels;  /* 4 or 5 */
extern pteval_t *init_top_pgt;       /* the kernel's top-level table (PML4 or PML5), direct-map va */
extern unsigned long init_top_pgt_pa;

/* Build the direct map and the kernel-image map, switch CR3 to them, drop the boot identity map. */
void init_mem_mapping(void);
/* Map [va, va + size) to [pa, pa + size) with the largest pages alignment allows (up to
 * max_page); prot: the leaf's bits. Page-table pages come from alloc_pgtable_page(). */
void kernel_map_range(unsigned long va, u64 pa, u64 size, pteval_t prot, unsigned long max_page);
/* Remove the 4 KiB mapping of va (if any) and flush it from this CPU's TLB. */
void kernel_unmap_page(unsigned long va);
/* Walk the current page tables in software: the physical address va maps to, or ~0 when it is
 * not mapped; *level is the leaf's level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) or the level where the
 * walk stopped. */
u64 lookup_address(unsigned long va, int *level);

/* arch/x86/mm/pgtable.c: kernel page-table code after boot (any depth: 4 or 5 levels).
 * Map [va, va + size) to [pa, ...) with pages of up to max_page (4K, 2M, 1G as alignment allows),
 * splitting a larger page in the way; tables from the page allocator. 0 or -ENOMEM. The caller
 * flushes the TLB if it replaced a present mapping. */
int kernel_map_pages_range(unsigned long va, u64 pa, unsigned long size, pteval_t prot, unsigned long max_page);
/* Unmap [va, va + size): huge pages that stick out are split first; page tables left empty are
 * freed (not the ones the top level points to, which stay for ever as in Linux); the TLBs of
 * every CPU are flushed for the range before the tables are freed. */
void kernel_unmap_range(unsigned long va, unsigned long size);
/* The leaf entry mapping va and its level (1, 2, 3), or NULL (with *level where the walk stopped). */
pteval_t *lookup_address_pte(unsigned long va, int *level);
/* Split the huge page (level 3: 1 GiB, level 2: 2 MiB) that maps va into 512 pages of the next
 * size, same attributes; flushes every TLB. 0, -EINVAL (no huge page there) or -ENOMEM. */
int split_kernel_mapping(unsigned long va, int level);
/* Allocate the tables below the top level for the whole vmalloc area, so the top level never
 * changes after boot (Linux's preallocate_vmalloc_pages()). */
void preallocate_vmalloc_pages(void);
extern int gbpages;

/* arch/x86/mm/init.c: memblock from the boot memory map; page-table pages (on the node of the
 * memory they map: memblock at boot, the buddy allocator after). */
void memblock_x86_fill(void);
u64 alloc_pgtable_page(u64 serves_pa, int level);
void *early_phys_to_virt(u64 pa);
extern int direct_map_ready, page_alloc_ready;
extern unsigned long pgtable_boot_pages;
/* Direct-map pages by size: level 1 (4 KiB), 2 (2 MiB), 3 (1 GiB). */
unsigned long direct_map_count(int level);

#endif
