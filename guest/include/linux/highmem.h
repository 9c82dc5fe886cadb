/* include/linux/highmem.h: temporary kernel mappings of pages.
 *
 * On 32-bit Linux, pages of ZONE_HIGHMEM have no permanent kernel address and kmap() /
 * kmap_atomic() / kmap_local_page() map them for a while. x86-64 maps all RAM in the direct map,
 * so, as on 64-bit Linux, these are page_address() and the unmaps do nothing: the notes'
 * examples compile and run unchanged.
 */
#ifndef _LINUX_HIGHMEM_H
#define _LINUX_HIGHMEM_H

#include <linux/mm.h>
#include <linux/string.h>

static inline void *kmap(struct page *page) { return page_address(page); }
static inline void kunmap(struct page *page) { (void)page; }
static inline void *kmap_atomic(struct page *page) { return page_address(page); }
static inline void kunmap_atomic(void *addr) { (void)addr; }
static inline void *kmap_local_page(struct page *page) { return page_address(page); }
static inline void kunmap_local(void *addr) { (void)addr; }
static inline void clear_highpage(struct page *page) { memset(page_address(page), 0, PAGE_SIZE); }
#define PageHighMem(page) 0

#endif
