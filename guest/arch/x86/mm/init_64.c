/* arch/x86/mm/init_64.c: the kernel's page tables.
 *
 * As Linux's init_mem_mapping() / kernel_physical_mapping_init() (arch/x86/mm/init.c and
 * init_64.c) with the kernel-image part of head64.c: build one set of page tables holding
 *   - the direct map: every range of the boot memory map (usable and reserved, merged where they
 *     touch) at PAGE_OFFSET + physical, read/write, no-execute, global, with 1 GiB pages where
 *     virtual and physical addresses are 1 GiB aligned (and the CPU has them), else 2 MiB, else
 *     4 KiB pages (Linux's split_mem_range());
 *   - the kernel image at __START_KERNEL_map + physical with 2 MiB pages, executable (Linux maps
 *     text read-only and data no-execute; that refinement comes later);
 * then load CR3 with it, which drops the boot loader's 1:1 map of the first 4 GiB, and set
 * CR4.PGE. The top level is a PML4 with 4-level paging or a PML5 with 5-level paging (CR4.LA57,
 * which the emulator sets from boot_info.paging_levels; Linux's pgtable_l5_enabled()). Levels are
 * numbered 1 (PT) to 5 (PML5). Page-table pages come from alloc_pgtable_page()
 * (arch/x86/mm/init.c: memblock at boot, on the node of the memory they map).
 *
 * The build runs in two stages, because a table page can only be written once it is mapped:
 * stage 1 maps the kernel image and all memory below 4 GiB, with tables taken from memory below
 * 4 GiB and reached through the boot loader's 1:1 map; CR3 then switches to the new tables. Stage
 * 2 maps the memory above 4 GiB in address order, one gigabyte at a time, raising
 * memblock.current_limit after each step so that the next tables can come from memory the direct
 * map already reaches (Linux's memory_map_bottom_up() does the same with growing steps).
 *
 * Where the direct map lives: PAGE_OFFSET = 0xffff888000000000 with 4 levels (0xff11000000000000
 * with 5), Linux's layout since 4.20; the notes' 0xffff880000000000 is the older layout, before
 * Linux left a guard hole for the LDT remap.
 */
#define pr_fmt(fmt) "x86/mm: " fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/memblock.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/setup.h>

unsigned long page_offset_base = __PAGE_OFFSET_BASE_L4;
int pgtable_l5_enabled;
unsigned int pgtable_levels = 4;
pteval_t *init_top_pgt;
unsigned long init_top_pgt_pa;

extern int direct_map_ready;
void *early_phys_to_virt(u64 pa);
u64 alloc_pgtable_page(u64 serves_pa, int level);

int gbpages;
static unsigned long direct_pages_count[4];   /* [1] 4 KiB, [2] 2 MiB, [3] 1 GiB */
static int counting_direct_map;

static inline unsigned int level_shift(int level) { return 12 + 9 * (unsigned int)(level - 1); }

/* Install one leaf mapping va -> pa at leaf_level (1, 2 or 3), creating tables on the way. */
static void map_one(unsigned long va, u64 pa, int leaf_level, pteval_t prot)
{
    pteval_t *table = early_phys_to_virt(init_top_pgt_pa);
    for (int level = (int)pgtable_levels;; level--) {
        pteval_t *e = &table[(va >> level_shift(level)) & (PTRS_PER_TABLE - 1)];
        if (level == leaf_level) {
            *e = pa | prot | (level > 1 ? _PAGE_PSE : 0);
            return;
        }
        if (!(*e & _PAGE_PRESENT))
            *e = alloc_pgtable_page(pa, level - 1) | ((prot & _PAGE_USER) ? _PAGE_TABLE : _KERNPG_TABLE);
        else if (*e & _PAGE_PSE)
            panic("map_one: %#lx is inside a large page (level %d)", va, level);
        else if (prot & _PAGE_USER)
            *e |= _PAGE_USER;
        table = early_phys_to_virt(*e & PTE_PFN_MASK);
    }
}

unsigned long direct_map_count(int level) { return direct_pages_count[level]; }

void kernel_map_range(unsigned long va, u64 pa, u64 size, pteval_t prot, unsigned long max_page)
{
    u64 end = pa + size;
    while (pa < end) {
        u64 left = end - pa;
        int level = 1;
        if (max_page >= PUD_SIZE && gbpages && IS_ALIGNED(va | pa, PUD_SIZE) && left >= PUD_SIZE)
            level = 3;
        else if (max_page >= PMD_SIZE && IS_ALIGNED(va | pa, PMD_SIZE) && left >= PMD_SIZE)
            level = 2;
        map_one(va, pa, level, prot);
        if (counting_direct_map)
            direct_pages_count[level]++;
        va += 1ul << level_shift(level);
        pa += 1ul << level_shift(level);
    }
}

u64 lookup_address(unsigned long va, int *level)
{
    pteval_t *table = __va(read_cr3() & PTE_PFN_MASK);
    for (int l = (int)pgtable_levels; l >= 1; l--) {
        pteval_t e = table[(va >> level_shift(l)) & (PTRS_PER_TABLE - 1)];
        *level = l;
        if (!(e & _PAGE_PRESENT))
            return ~0ull;
        if (l == 1 || (e & _PAGE_PSE)) {
            u64 mask = (1ull << level_shift(l)) - 1;
            return (e & PTE_PFN_MASK & ~mask) | (va & mask);
        }
        table = __va(e & PTE_PFN_MASK);
    }
    return ~0ull;
}

void kernel_unmap_page(unsigned long va)
{
    pteval_t *table = __va(init_top_pgt_pa);
    for (int l = (int)pgtable_levels; l >= 1; l--) {
        pteval_t *e = &table[(va >> level_shift(l)) & (PTRS_PER_TABLE - 1)];
        if (!(*e & _PAGE_PRESENT))
            return;
        if (l == 1) {
            *e = 0;
            __flush_tlb_one(va);
            return;
        }
        if (*e & _PAGE_PSE)
            panic("kernel_unmap_page: %#lx is mapped by a large page", va);
        table = __va(*e & PTE_PFN_MASK);
    }
}

/* The boot memory map's ranges sorted by address and merged where they touch, so that large
 * pages can span a reserved range and the usable RAM after it. */
static unsigned int merged_ranges(struct emu_mem_range *out)
{
    unsigned int n = 0;
    for (u32 i = 0; i < boot_info.nr_mem; i++) {
        struct emu_mem_range r = boot_info.mem[i];
        if (!r.size)
            continue;
        unsigned int j = n++;
        while (j > 0 && out[j - 1].base > r.base) {   /* insertion sort */
            out[j] = out[j - 1];
            j--;
        }
        out[j] = r;
    }
    unsigned int m = 0;
    for (unsigned int i = 0; i < n; i++) {
        if (m && out[i].base <= out[m - 1].base + out[m - 1].size) {
            u64 end = max(out[m - 1].base + out[m - 1].size, out[i].base + out[i].size);
            out[m - 1].size = end - out[m - 1].base;
        } else {
            out[m++] = out[i];
        }
    }
    return m;
}

void init_mem_mapping(void)
{
    static struct emu_mem_range ranges[EMU_MAX_MEM_RANGES];
    pgtable_l5_enabled = boot_info.paging_levels == 5;
    pgtable_levels = pgtable_l5_enabled ? 5 : 4;
    if (!!(read_cr4() & X86_CR4_LA57) != pgtable_l5_enabled)
        panic("boot info says %u-level paging but CR4.LA57 is %d", pgtable_levels,
              !!(read_cr4() & X86_CR4_LA57));
    page_offset_base = pgtable_l5_enabled ? __PAGE_OFFSET_BASE_L5 : __PAGE_OFFSET_BASE_L4;
    u32 a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    gbpages = !!(d & (1u << 26));

    init_top_pgt_pa = alloc_pgtable_page(0, (int)pgtable_levels);

    /* Stage 1: everything below the boot 1:1 map's end, and the kernel image. */
    u64 limit = EMU_BOOT_IDENTITY_BYTES;
    memblock_set_current_limit(limit);
    unsigned int n = merged_ranges(ranges);
    counting_direct_map = 1;
    for (unsigned int i = 0; i < n; i++) {
        u64 end = min(ranges[i].base + ranges[i].size, limit);
        if (ranges[i].base < end)
            kernel_map_range(PAGE_OFFSET + ranges[i].base, ranges[i].base, end - ranges[i].base, __PAGE_KERNEL, PUD_SIZE);
    }
    counting_direct_map = 0;

    u64 ks = ALIGN_DOWN((u64)__pa_symbol(_text), PMD_SIZE);
    u64 ke = ALIGN((u64)__pa_symbol(_end), PMD_SIZE);
    kernel_map_range(__START_KERNEL_map + ks, ks, ke - ks, __PAGE_KERNEL_EXEC, PMD_SIZE);

    write_cr3(init_top_pgt_pa);
    direct_map_ready = 1;
    init_top_pgt = __va(init_top_pgt_pa);
    write_cr4(read_cr4() | X86_CR4_PGE);

    /* Stage 2: memory above 4 GiB, a gigabyte at a time, each step's tables from mapped memory. */
    counting_direct_map = 1;
    for (unsigned int i = 0; i < n; i++) {
        u64 start = max(ranges[i].base, limit), end = ranges[i].base + ranges[i].size;
        while (start < end) {
            u64 step = min(end, ALIGN(start + 1, PUD_SIZE));
            kernel_map_range(PAGE_OFFSET + start, start, step - start, __PAGE_KERNEL, PUD_SIZE);
            memblock_set_current_limit(step);
            start = step;
        }
    }
    counting_direct_map = 0;
    memblock_set_current_limit(~0ull);

    pr_info("%u-level paging, direct map at 0x%016lx\n", pgtable_levels, PAGE_OFFSET);
    pr_info("direct map: %lu 1G, %lu 2M, %lu 4k pages%s\n", direct_pages_count[3], direct_pages_count[2],
            direct_pages_count[1], gbpages ? "" : " (no 1 GiB pages)");
    pr_info("kernel image mapped at 0x%016lx [mem 0x%08llx-0x%08llx]\n", (unsigned long)(__START_KERNEL_map + ks),
            (unsigned long long)ks, (unsigned long long)(ke - 1));
}
