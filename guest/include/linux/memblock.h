/* include/linux/memblock.h: the boot-time memory allocator (mm/memblock.c). */
#ifndef _LINUX_MEMBLOCK_H
#define _LINUX_MEMBLOCK_H

#include <linux/types.h>
#include <linux/numa.h>

#define INIT_MEMBLOCK_REGIONS 128
#define MEMBLOCK_ALLOC_ACCESSIBLE 0ull   /* as end: up to memblock.current_limit */
#define MEMBLOCK_ALLOC_ANYWHERE (~0ull)  /* as end: anywhere (the caller maps it itself) */
#define MEMBLOCK_LOW_LIMIT 0x100000ull   /* never allocate below 1 MiB */

struct memblock_region {
    phys_addr_t base;
    phys_addr_t size;
    int nid;
};

struct memblock_type {
    unsigned long cnt;
    unsigned long max;
    phys_addr_t total_size;
    struct memblock_region *regions;
    const char *name;
};

struct memblock {
    bool bottom_up;                  /* allocate upward from the low limit (default: top-down) */
    phys_addr_t current_limit;       /* allocations stay below this: the memory mapped so far */
    struct memblock_type memory;
    struct memblock_type reserved;
};

extern struct memblock memblock;

int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid);
int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
int memblock_phys_free(phys_addr_t base, phys_addr_t size);
void memblock_set_current_limit(phys_addr_t limit);

/* Physical allocations: 0 on failure. exact_nid: do not fall back to other nodes. */
phys_addr_t memblock_alloc_range_nid(phys_addr_t size, phys_addr_t align, phys_addr_t start, phys_addr_t end,
                                     int nid, bool exact_nid);
phys_addr_t memblock_phys_alloc_try_nid(phys_addr_t size, phys_addr_t align, int nid);
/* Zeroed virtual allocations (direct map, or the boot 1:1 map before it exists); panic on failure. */
void *memblock_alloc_try_nid(phys_addr_t size, phys_addr_t align, phys_addr_t min_addr, phys_addr_t max_addr, int nid);
static inline void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
    return memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE);
}
static inline void *memblock_alloc_node(phys_addr_t size, phys_addr_t align, int nid)
{
    return memblock_alloc_try_nid(size, align, MEMBLOCK_LOW_LIMIT, MEMBLOCK_ALLOC_ACCESSIBLE, nid);
}

int memblock_nid_of(phys_addr_t pa);                  /* node of a memory address, or NUMA_NO_NODE */
bool memblock_is_reserved(phys_addr_t pa);
bool memblock_is_memory(phys_addr_t pa);
phys_addr_t memblock_start_of_DRAM(void);
phys_addr_t memblock_end_of_DRAM(void);
/* Free ranges (memory minus reserved) of node nid (NUMA_NO_NODE: all), in address order:
 * *idx starts at 0; returns false at the end. */
bool memblock_next_free_range(u64 *idx, int nid, phys_addr_t *start, phys_addr_t *end);
void memblock_dump_all(void);

/* mm/memblock.c: hand every free page to the buddy allocator (memblock_free_all()). */
void memblock_free_all(void);
extern unsigned long memblock_kernel_pages, memblock_percpu_pages, memblock_stack_pages;

#endif
