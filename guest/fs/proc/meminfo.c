/* fs/proc/meminfo.c: /proc/meminfo.
 *
 * Linux's layout: a 16-character label (colon included), the value right-aligned in 8 columns,
 * then " kB" (HugePages_* have no unit). What is modelled:
 *   MemTotal      managed pages (totalram_pages(): RAM minus what memblock kept at boot);
 *   MemFree       the buddy's free pages (the sum of the zones' NR_FREE_PAGES, as buddyinfo and
 *                 zoneinfo count them; per-CPU list pages are not included, as in Linux);
 *   MemAvailable  MemFree minus totalreserve_pages (high watermarks plus lowmem reserves): there is
 *                 no page cache or reclaimable slab yet to add;
 *   KernelStack   the CPUs' kernel, entry and IST stacks;
 *   Percpu        per-CPU data (call data, per-CPU page lists, annotation rings);
 *   CommitLimit   half of RAM (overcommit_ratio 50, no swap);
 *   VmallocTotal  the size of the vmalloc area of the paging depth (32 TiB, or 12.5 PiB at 5 levels);
 *   DirectMap*    the direct map's pages of each size (arch/x86/mm/init_64.c);
 *   MemMap        not a Linux line (Linux shows this as nr_memmap_pages in /proc/vmstat): the
 *                 struct page arrays, appended last so that parsers of Linux's lines are unaffected.
 *   Slab, SReclaimable, SUnreclaim  slab pages (mm/slub.c), SReclaimable for SLAB_RECLAIM_ACCOUNT
 *                 caches; KReclaimable = SReclaimable (nothing else is reclaimable yet); these are
 *                 the pages /proc/slabinfo lists (kmalloc_large() blocks are not counted);
 *   PageTables    page-table pages allocated after boot (vmalloc, kernel_map_pages_range(); the
 *                 boot page tables are not counted, as in Linux);
 *   VmallocUsed   pages mapped by vmalloc().
 * Everything else (page cache, LRU, swap, huge pages) is 0 until the subsystems exist.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>
#include <asm/smp.h>

static void show_val_kb(struct seq_buf *s, const char *label, unsigned long pages)
{
    seq_printf(s, "%-16s%8lu kB\n", label, pages << (PAGE_SHIFT - 10));
}

static void show_kb(struct seq_buf *s, const char *label, unsigned long kb)
{
    seq_printf(s, "%-16s%8lu kB\n", label, kb);
}

void meminfo_show(struct seq_buf *s)
{
    unsigned long total = totalram_pages(), free = nr_free_pages();
    long available = (long)free - (long)totalreserve_pages;
    if (available < 0)
        available = 0;
    show_val_kb(s, "MemTotal:", total);
    show_val_kb(s, "MemFree:", free);
    show_val_kb(s, "MemAvailable:", (unsigned long)available);
    static const char *const zeros1[] = {
        "Buffers:", "Cached:", "SwapCached:", "Active:", "Inactive:", "Active(anon):", "Inactive(anon):",
        "Active(file):", "Inactive(file):", "Unevictable:", "Mlocked:", "SwapTotal:", "SwapFree:", "Zswap:",
        "Zswapped:", "Dirty:", "Writeback:", "AnonPages:", "Mapped:", "Shmem:",
    };
    for (size_t i = 0; i < ARRAY_SIZE(zeros1); i++)
        show_val_kb(s, zeros1[i], 0);
    unsigned long srecl = slab_pages_reclaimable(), sunrecl = slab_pages_unreclaimable();
    show_val_kb(s, "KReclaimable:", srecl);
    show_val_kb(s, "Slab:", srecl + sunrecl);
    show_val_kb(s, "SReclaimable:", srecl);
    show_val_kb(s, "SUnreclaim:", sunrecl);
    show_val_kb(s, "KernelStack:", memblock_stack_pages);
    unsigned long pgtables = 0;
    for (int nid = 0; nid < (int)nr_node_ids; nid++)
        pgtables += (unsigned long)node_page_state(nid, NR_PAGETABLE);
    show_val_kb(s, "PageTables:", pgtables);
    static const char *const zeros2[] = { "SecPageTables:", "NFS_Unstable:", "Bounce:", "WritebackTmp:" };
    for (size_t i = 0; i < ARRAY_SIZE(zeros2); i++)
        show_val_kb(s, zeros2[i], 0);
    show_val_kb(s, "CommitLimit:", total / 2);
    show_val_kb(s, "Committed_AS:", 0);
    show_kb(s, "VmallocTotal:", (VMALLOC_END - VMALLOC_START) >> 10);
    show_val_kb(s, "VmallocUsed:", vmalloc_nr_pages());
    show_val_kb(s, "VmallocChunk:", 0);
    show_val_kb(s, "Percpu:", pcpu_nr_pages);
    static const char *const zeros3[] = { "AnonHugePages:", "ShmemHugePages:", "ShmemPmdMapped:", "FileHugePages:",
                                          "FilePmdMapped:", "Balloon:" };
    for (size_t i = 0; i < ARRAY_SIZE(zeros3); i++)
        show_val_kb(s, zeros3[i], 0);
    seq_printf(s, "%-16s%8lu\n", "HugePages_Total:", 0ul);
    seq_printf(s, "%-16s%8lu\n", "HugePages_Free:", 0ul);
    seq_printf(s, "%-16s%8lu\n", "HugePages_Rsvd:", 0ul);
    seq_printf(s, "%-16s%8lu\n", "HugePages_Surp:", 0ul);
    show_kb(s, "Hugepagesize:", 2048);
    show_kb(s, "Hugetlb:", 0);
    show_kb(s, "DirectMap4k:", direct_map_count(1) * 4);
    show_kb(s, "DirectMap2M:", direct_map_count(2) * 2048);
    show_kb(s, "DirectMap1G:", direct_map_count(3) * 1048576);
    show_val_kb(s, "MemMap:", memmap_pages_total());
}
