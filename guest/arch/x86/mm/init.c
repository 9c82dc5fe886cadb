/* arch/x86/mm/init.c: the early page allocator.
 *
 * Before any real allocator exists, Linux hands out early page-table pages from a small buffer
 * in the kernel's .brk (alloc_low_pages(), pgt_buf) and everything else from memblock. This
 * kernel does not have memblock yet (it comes with the next issue and replaces this file's
 * allocator): early_alloc_pages() is a bump allocator that walks the usable RAM ranges of the
 * boot memory map upward from 1 MiB, skipping the kernel image, the initrd and the boot page
 * tables. It never frees. Until the direct map exists, the pages it returns are reached through
 * the boot page table's 1:1 map of the first 4 GiB, so early allocations must come from there.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <asm/setup.h>

#define EARLY_ALLOC_MIN 0x100000ull   /* never below 1 MiB, as Linux's memblock bottom-up limit */

struct early_range {
    u64 start, end;
};

static struct early_range excluded[4];
static unsigned int nr_excluded;
static u32 cur_range;
static u64 cur_pa;
static u64 used_bytes;
int direct_map_ready;   /* set by init_mem_mapping() once CR3 holds the kernel's page tables */

static void exclude(u64 start, u64 end)
{
    if (end > start && nr_excluded < ARRAY_SIZE(excluded))
        excluded[nr_excluded++] = (struct early_range){ ALIGN_DOWN(start, PAGE_SIZE), ALIGN(end, PAGE_SIZE) };
}

void early_alloc_init(void)
{
    exclude(min(boot_info.kernel_pa_start, (u64)__pa_symbol(_text)),
            max(boot_info.kernel_pa_end, (u64)__pa_symbol(_end)));
    exclude(boot_info.initrd_pa, boot_info.initrd_pa + boot_info.initrd_size);
    exclude(boot_info.boot_pt_pa_start, boot_info.boot_pt_pa_end);
    cur_range = 0;
    cur_pa = 0;
}

/* The kernel virtual address of early-allocated memory: 1:1 before the switch, direct map after. */
void *early_phys_to_virt(u64 pa)
{
    return direct_map_ready ? __va(pa) : (void *)pa;
}

u64 early_alloc_pages(unsigned long nr_pages)
{
    u64 size = (u64)nr_pages * PAGE_SIZE;
    for (; cur_range < boot_info.nr_mem; cur_range++, cur_pa = 0) {
        const struct emu_mem_range *r = &boot_info.mem[cur_range];
        if (r->type != EMU_MEM_RAM)
            continue;
        u64 pa = ALIGN(max(max(cur_pa, r->base), EARLY_ALLOC_MIN), PAGE_SIZE);
        for (unsigned int i = 0; i < nr_excluded; i++) {
            if (pa < excluded[i].end && pa + size > excluded[i].start) {
                pa = excluded[i].end;
                i = (unsigned int)-1;   /* look at every excluded range again */
            }
        }
        if (pa + size > r->base + r->size)
            continue;
        if (!direct_map_ready && pa + size > EMU_BOOT_IDENTITY_BYTES)
            panic("early_alloc_pages: no memory below 4 GiB for the boot page tables");
        cur_pa = pa + size;
        used_bytes += size;
        memset(early_phys_to_virt(pa), 0, size);
        return pa;
    }
    panic("early_alloc_pages: out of memory (%lu pages wanted, %llu bytes used)", nr_pages,
          (unsigned long long)used_bytes);
}

void *early_alloc_virt(unsigned long nr_pages)
{
    return early_phys_to_virt(early_alloc_pages(nr_pages));
}

u64 early_alloc_used_bytes(void)
{
    return used_bytes;
}
