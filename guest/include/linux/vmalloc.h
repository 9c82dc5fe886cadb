/* include/linux/vmalloc.h: virtually contiguous kernel memory (mm/vmalloc.c). */
#ifndef _LINUX_VMALLOC_H
#define _LINUX_VMALLOC_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/list.h>

#define VM_IOREMAP 0x00000001ul
#define VM_ALLOC 0x00000002ul        /* vmalloc() */
#define VM_MAP 0x00000004ul          /* vmap() */
#define VM_NO_GUARD 0x00000040ul     /* no guard page after the area */

struct page;

/* A reserved range of the vmalloc area and what it maps (Linux's vm_struct). */
struct vm_struct {
    void *addr;
    unsigned long size;              /* including the guard page */
    unsigned long flags;
    struct page **pages;
    unsigned int nr_pages;
    int node;
};

/* A busy range of the vmalloc area, on the sorted list (Linux's vmap_area, in its rb-trees). */
struct vmap_area {
    unsigned long va_start, va_end;  /* [va_start, va_end) */
    struct list_head list;
    struct vm_struct *vm;
};

void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
void *vmalloc_node(unsigned long size, int node);
void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp, int node);
void vfree(const void *addr);
void *vmap(struct page **pages, unsigned int count, unsigned long flags, u64 prot);
void vunmap(const void *addr);
struct page *vmalloc_to_page(const void *addr);
int is_vmalloc_addr(const void *x);
void kvfree(const void *addr);

/* Reserve address space in the vmalloc area without mapping anything (guard page included
 * unless VM_NO_GUARD); free_vm_area() unmaps whatever was mapped there and releases it. */
struct vm_struct *get_vm_area_align(unsigned long size, unsigned long align, unsigned long flags);
static inline struct vm_struct *get_vm_area(unsigned long size, unsigned long flags)
{
    return get_vm_area_align(size, 1, flags);
}
void free_vm_area(struct vm_struct *area);
static inline unsigned long get_vm_area_size(const struct vm_struct *area)
{
    return (area->flags & VM_NO_GUARD) ? area->size : area->size - (1ul << 12);
}

void vmalloc_init(void);
unsigned long vmalloc_nr_pages(void);
/* The busy areas' invariants (sorted, disjoint, inside the vmalloc area): 0 or -1 with a message. */
int vmalloc_check(char *msg, size_t len);

#endif
