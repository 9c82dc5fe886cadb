/* mm/vmalloc.c: virtually contiguous memory.
 *
 * kmalloc() memory is physically contiguous (it is a slice of the direct map), so a large
 * kmalloc() needs a large free buddy block, which fragmentation makes rare. vmalloc() needs only
 * single pages: it reserves a range of virtual addresses in the vmalloc area (VMALLOC_START ..
 * VMALLOC_END, asm/pgtable.h), allocates the pages one by one wherever the buddy allocator finds
 * them, and maps each at its place in the range with a 4 KiB page-table entry. The price: page
 * tables to build and tear down, a TLB entry per 4 KiB instead of one per 1 GiB of the direct map,
 * and a TLB shootdown on every CPU at vfree().
 *
 * Address space: the busy ranges (struct vmap_area) are kept sorted by address; a new range goes in
 * the first gap large enough (first fit, from VMALLOC_START). Linux keeps busy and free ranges in
 * two red-black trees, the free one augmented with each subtree's largest gap so that first fit is
 * O(log n); a sorted list gives the same placement at O(n). Unless VM_NO_GUARD is asked for, every
 * range is one page longer than requested and that last page is never mapped: the guard page,
 * which turns a linear overrun of the area into a page fault instead of a silent write into the
 * next area.
 *
 * vfree() unmaps the range (kernel_unmap_range(), which flushes every CPU's TLB: the pages are
 * about to be reused), frees the pages and then releases the range. Linux defers the unmapping
 * flush ("lazy purge") and batches many areas per shootdown; here each vfree() pays its own.
 * The pages are annotated EMU_FRAME_VMALLOC and counted in meminfo's VmallocUsed.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/mm.h>
#include <linux/mm_annot.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>

static LIST_HEAD(vmap_area_list);
static DEFINE_SPINLOCK(vmap_area_lock);
static struct kmem_cache *vmap_area_cachep;
static unsigned long nr_vmalloc_pages;

int is_vmalloc_addr(const void *x)
{
    unsigned long a = (unsigned long)x;
    return a >= VMALLOC_START && a <= VMALLOC_END;
}

unsigned long vmalloc_nr_pages(void) { return READ_ONCE(nr_vmalloc_pages); }

/* First fit of [addr, addr + size) with addr aligned, in [vstart, vend]. */
static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align, unsigned long vstart,
                                         unsigned long vend, int node)
{
    struct vmap_area *va = kmem_cache_alloc_node(vmap_area_cachep, GFP_KERNEL, node), *pos;
    if (!va)
        return NULL;
    spin_lock(&vmap_area_lock);
    unsigned long addr = ALIGN(vstart, align);
    struct list_head *before = &vmap_area_list;
    list_for_each_entry(pos, &vmap_area_list, list) {
        if (pos->va_end <= addr)
            continue;
        if (addr + size <= pos->va_start)
            break;
        addr = ALIGN(pos->va_end, align);
    }
    before = &pos->list;   /* insert before the first area after the gap (or at the tail) */
    if (addr < vstart || addr + size - 1 > vend || addr + size < addr) {
        spin_unlock(&vmap_area_lock);
        kmem_cache_free(vmap_area_cachep, va);
        pr_warn("vmap allocation for size %lu failed: use vmalloc=<size> to increase size\n", size);
        return NULL;
    }
    va->va_start = addr;
    va->va_end = addr + size;
    va->vm = NULL;
    list_add_tail(&va->list, before);
    spin_unlock(&vmap_area_lock);
    return va;
}

static struct vmap_area *find_vmap_area(unsigned long addr)
{
    struct vmap_area *va;
    list_for_each_entry(va, &vmap_area_list, list)
        if (addr >= va->va_start && addr < va->va_end)
            return va;
    return NULL;
}

static struct vm_struct *__get_vm_area_node(unsigned long size, unsigned long align, unsigned long flags,
                                            unsigned long start, unsigned long end, int node)
{
    size = ALIGN(size, PAGE_SIZE);
    if (!size)
        return NULL;
    if (!(flags & VM_NO_GUARD))
        size += PAGE_SIZE;
    struct vm_struct *area = kzalloc(sizeof(*area), GFP_KERNEL);
    if (!area)
        return NULL;
    struct vmap_area *va = alloc_vmap_area(size, max(align, PAGE_SIZE), start, end, node);
    if (!va) {
        kfree(area);
        return NULL;
    }
    area->addr = (void *)va->va_start;
    area->size = size;
    area->flags = flags;
    area->node = node;
    va->vm = area;
    return area;
}

struct vm_struct *get_vm_area_align(unsigned long size, unsigned long align, unsigned long flags)
{
    return __get_vm_area_node(size, align, flags, VMALLOC_START, VMALLOC_END, NUMA_NO_NODE);
}

/* Unmap an area and release its address range; returns its vm_struct (the caller frees pages). */
static struct vm_struct *remove_vm_area(const void *addr)
{
    spin_lock(&vmap_area_lock);
    struct vmap_area *va = find_vmap_area((unsigned long)addr);
    spin_unlock(&vmap_area_lock);
    if (!va || va->va_start != (unsigned long)addr || !va->vm)
        return NULL;
    struct vm_struct *vm = va->vm;
    kernel_unmap_range(va->va_start, get_vm_area_size(vm));
    spin_lock(&vmap_area_lock);
    list_del(&va->list);
    spin_unlock(&vmap_area_lock);
    kmem_cache_free(vmap_area_cachep, va);
    return vm;
}

void free_vm_area(struct vm_struct *area)
{
    if (remove_vm_area(area->addr) != area)
        pr_err("free_vm_area: %#lx is not a vm area\n", (unsigned long)area->addr);
    kfree(area);
}

void kvfree(const void *addr)
{
    if (is_vmalloc_addr(addr))
        vfree(addr);
    else
        kfree(addr);
}

static void free_area_pages(struct vm_struct *area)
{
    for (unsigned int i = 0; i < area->nr_pages; i++)
        if (area->pages[i]) {
            __free_page(area->pages[i]);
            __atomic_sub_fetch(&nr_vmalloc_pages, 1, __ATOMIC_RELAXED);
        }
    kvfree(area->pages);
}

void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp, int node)
{
    size = ALIGN(size, PAGE_SIZE);
    if (!size || (size >> PAGE_SHIFT) > totalram_pages()) {
        if (!(gfp & __GFP_NOWARN))
            pr_warn("vmalloc error: size %lu, exceeds total pages\n", size);
        return NULL;
    }
    struct vm_struct *area = __get_vm_area_node(size, align, VM_ALLOC, VMALLOC_START, VMALLOC_END, node);
    if (!area)
        return NULL;
    unsigned int nr = (unsigned int)(size >> PAGE_SHIFT);
    size_t array_size = (size_t)nr * sizeof(struct page *);
    /* Linux's __vmalloc_area_node(): the page array itself comes from vmalloc when it is large */
    area->pages = array_size > PAGE_SIZE ? __vmalloc_node(array_size, 1, (gfp & ~__GFP_DMA32) | __GFP_ZERO, node)
                                         : kmalloc_node(array_size, (gfp & ~__GFP_DMA32) | __GFP_ZERO, node);
    if (!area->pages)
        goto fail;
    unsigned long addr = (unsigned long)area->addr;
    for (unsigned int i = 0; i < nr; i++) {
        struct page *page = alloc_pages_node(node, gfp, 0);
        if (!page) {
            if (!(gfp & __GFP_NOWARN))
                pr_warn("vmalloc error: size %lu, page order 0, failed to allocate pages\n", size);
            goto fail;
        }
        area->pages[i] = page;
        area->nr_pages = i + 1;
        __atomic_add_fetch(&nr_vmalloc_pages, 1, __ATOMIC_RELAXED);
        mm_annotate(page_to_pfn(page), 1, EMU_FRAME_VMALLOC, 0, 0);
        if (kernel_map_pages_range(addr + ((unsigned long)i << PAGE_SHIFT), page_to_phys(page), PAGE_SIZE, PAGE_KERNEL,
                                   PAGE_SIZE)) {
            if (!(gfp & __GFP_NOWARN))
                pr_warn("vmalloc error: size %lu, failed to map pages\n", size);
            goto fail;
        }
    }
    return area->addr;
fail: ;
    struct vm_struct *vm = remove_vm_area(area->addr);
    if (vm->pages)
        free_area_pages(vm);
    kfree(vm);
    return NULL;
}

void *vmalloc(unsigned long size) { return __vmalloc_node(size, 1, GFP_KERNEL, NUMA_NO_NODE); }
void *vzalloc(unsigned long size) { return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE); }
void *vmalloc_node(unsigned long size, int node) { return __vmalloc_node(size, 1, GFP_KERNEL, node); }

void vfree(const void *addr)
{
    if (!addr)
        return;
    struct vm_struct *vm = remove_vm_area(addr);
    if (!vm) {
        pr_err("Trying to vfree() nonexistent vm area (%#lx)\n", (unsigned long)addr);
        return;
    }
    if (vm->flags & VM_ALLOC)
        free_area_pages(vm);
    kfree(vm);
}

void *vmap(struct page **pages, unsigned int count, unsigned long flags, u64 prot)
{
    struct vm_struct *area = get_vm_area((unsigned long)count << PAGE_SHIFT, flags | VM_MAP);
    if (!area)
        return NULL;
    for (unsigned int i = 0; i < count; i++)
        if (kernel_map_pages_range((unsigned long)area->addr + ((unsigned long)i << PAGE_SHIFT), page_to_phys(pages[i]),
                                   PAGE_SIZE, prot, PAGE_SIZE)) {
            free_vm_area(area);
            return NULL;
        }
    return area->addr;
}

void vunmap(const void *addr)
{
    struct vm_struct *vm = remove_vm_area(addr);
    if (!vm)
        pr_err("Trying to vunmap() nonexistent vm area (%#lx)\n", (unsigned long)addr);
    kfree(vm);
}

struct page *vmalloc_to_page(const void *addr)
{
    int level;
    pteval_t *e = lookup_address_pte((unsigned long)addr, &level);
    if (!e)
        return NULL;
    u64 pa = (*e & PTE_PFN_MASK & ~((1ull << pt_level_shift(level)) - 1)) + ((unsigned long)addr & ((1ull << pt_level_shift(level)) - 1));
    return pfn_to_page(pa >> PAGE_SHIFT);
}

int vmalloc_check(char *msg, size_t len)
{
    struct vmap_area *va;
    unsigned long prev_end = VMALLOC_START, pages = 0;
    int ret = 0;
    spin_lock(&vmap_area_lock);
    list_for_each_entry(va, &vmap_area_list, list) {
        if (va->va_start < prev_end || va->va_end <= va->va_start || va->va_end - 1 > VMALLOC_END) {
            scnprintf(msg, len, "vmap area [%#lx-%#lx) overlaps or leaves the vmalloc area", va->va_start, va->va_end);
            ret = -1;
            break;
        }
        prev_end = va->va_end;
        if (va->vm && (va->vm->flags & VM_ALLOC))
            pages += va->vm->nr_pages;
    }
    spin_unlock(&vmap_area_lock);
    if (!ret && pages != vmalloc_nr_pages()) {
        scnprintf(msg, len, "vmalloc areas hold %lu pages, nr_vmalloc_pages %lu", pages, vmalloc_nr_pages());
        ret = -1;
    }
    return ret;
}

void vmalloc_init(void)
{
    vmap_area_cachep = kmem_cache_create("vmap_area", sizeof(struct vmap_area), 0, SLAB_PANIC, NULL);
    preallocate_vmalloc_pages();
}
