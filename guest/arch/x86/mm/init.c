/* arch/x86/mm/init.c: memblock set-up from the boot memory map, and page-table pages.
 *
 * As Linux's e820__memblock_setup() and the early reservations of setup_arch(): every usable
 * range of the boot memory map goes into memblock.memory with its NUMA node (the SRAT affinity
 * the boot information carries), and what is already in use goes into memblock.reserved: the
 * first 1 MiB (boot information, mailboxes, command line, boot page tables; Linux reserves it
 * too), the kernel image, the initrd. From then on every early allocation comes from memblock
 * (mm/memblock.c); this replaced the bump allocator of the first version.
 *
 * Page-table pages: alloc_pgtable_page(pa, level) returns a zeroed page for a paging structure
 * of `level` (1 = PT ... 5 = PML5) that will serve the physical address `pa` (the memory it maps).
 * The rule: a table is allocated on the node of the memory it maps (the node of its first
 * mapping), so a walk of the direct map of node N reads node N's DRAM for the lower levels. The
 * top levels (PML5/PML4, and the PUD table of the first 512 GiB) serve several nodes and land on
 * the node of the lowest address they map, node 0. Before the page allocator is ready the page
 * comes from memblock, within memory already mapped (memblock.current_limit); a node whose memory
 * is not mapped yet cannot hold the tables that map its first gigabyte, so those (at most one
 * PMD table per node, none with 1 GiB pages on gigabyte-aligned nodes) fall back to the closest
 * mapped memory below it, as memblock_alloc_try_nid() does. After boot, tables come from the
 * buddy allocator on the same node (alloc_pages_node()), marked PageTable. Each table page is
 * annotated EMU_FRAME_PAGE_TABLE with its level.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <asm/setup.h>

int direct_map_ready;   /* set by init_mem_mapping() once CR3 holds the kernel's page tables */
int page_alloc_ready;   /* set by mm_core_init() once the buddy allocator owns the free memory */
unsigned long pgtable_boot_pages;

/* The kernel virtual address of early-allocated memory: 1:1 before the switch, direct map after. */
void *early_phys_to_virt(u64 pa)
{
    return direct_map_ready ? __va(pa) : (void *)pa;
}

void memblock_x86_fill(void)
{
    for (u32 i = 0; i < boot_info.nr_mem; i++) {
        const struct emu_mem_range *r = &boot_info.mem[i];
        if (r->type == EMU_MEM_RAM && r->size)
            memblock_add_node(r->base, r->size, (int)r->node);
    }
    /* The low 1 MiB: reserved whatever the map says (Linux does it against BIOS corruption). */
    memblock_reserve(0, 0x100000);
    mm_annotate_pa(0, 0x100000, EMU_FRAME_RESERVED, 0);
    u64 ks = min(boot_info.kernel_pa_start, (u64)__pa_symbol(_text));
    u64 ke = max(boot_info.kernel_pa_end, (u64)__pa_symbol(_end));
    memblock_reserve(ks, ke - ks);
    mm_annotate_pa(ALIGN_DOWN(ks, PAGE_SIZE), ALIGN(ke, PAGE_SIZE) - ALIGN_DOWN(ks, PAGE_SIZE), EMU_FRAME_KERNEL, 0);
    memblock_kernel_pages += PFN_UP(ke) - PFN_DOWN(ks);
    if (boot_info.initrd_size) {
        memblock_reserve(boot_info.initrd_pa, boot_info.initrd_size);
        mm_annotate_pa(boot_info.initrd_pa, boot_info.initrd_size, EMU_FRAME_RESERVED, 0);
    }
    if (boot_info.boot_pt_pa_end > boot_info.boot_pt_pa_start)
        memblock_reserve(boot_info.boot_pt_pa_start, boot_info.boot_pt_pa_end - boot_info.boot_pt_pa_start);
    memblock_dump_all();
}

u64 alloc_pgtable_page(u64 serves_pa, int level)
{
    int nid = memblock_nid_of(serves_pa);
    if (nid == NUMA_NO_NODE)
        nid = 0;
    u64 pa;
    if (page_alloc_ready) {
        struct page *page = alloc_pages_node(nid, GFP_KERNEL | __GFP_ZERO | __GFP_NOFAIL, 0);   /* kernel_map_range() cannot fail */
        if (!page)
            panic("out of memory for a level-%d page table", level);
        __SetPageTable(page);
        mod_node_page_state(NODE_DATA(page_to_nid(page)), NR_PAGETABLE, 1);
        pa = page_to_phys(page);
    } else {
        pa = memblock_alloc_range_nid(PAGE_SIZE, PAGE_SIZE, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, nid, false);
        if (!pa)
            panic("memblock: no memory for a level-%d page table (node %d, limit %#llx)", level, nid,
                  (unsigned long long)memblock.current_limit);
        memset(early_phys_to_virt(pa), 0, PAGE_SIZE);
        pgtable_boot_pages++;
    }
    mm_annotate(pa >> PAGE_SHIFT, 1, EMU_FRAME_PAGE_TABLE, (unsigned int)level, 0);
    return pa;
}
