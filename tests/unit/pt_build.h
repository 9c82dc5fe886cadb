/* pt_build: test-only helpers that build x86-64 paging structures by hand in guest physical memory
 * (used by the MMU and page-walk tests). Tables come from a bump allocator over physical frames. */
#ifndef TESTS_UNIT_PT_BUILD_H
#define TESTS_UNIT_PT_BUILD_H

#include <stdint.h>
#include <string.h>

#include "dram/dram.h"
#include "mmu/mmu.h"

/* A zeroed 4 KiB table at *next (which advances). */
static inline uint64_t pt_alloc_table(dram_t *d, uint64_t *next)
{
    uint64_t pa = *next;
    *next += 4096;
    memset(dram_host(d, pa), 0, 4096);
    return pa;
}

static inline uint64_t pt_rd(dram_t *d, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, dram_host(d, pa), 8);
    return v;
}

static inline void pt_wr(dram_t *d, uint64_t pa, uint64_t v) { memcpy(dram_host(d, pa), &v, 8); }

/* Map va -> pa under cr3 with a leaf at the level whose shift is leaf_shift (12, 21 or 30);
 * missing intermediate tables are allocated with inter_flags, the leaf gets leaf_flags (and PS
 * above 4 KiB). */
static inline void pt_map(dram_t *d, uint64_t *next, uint64_t cr3, int levels, uint64_t va, uint64_t pa,
                          int leaf_shift, uint64_t inter_flags, uint64_t leaf_flags)
{
    uint64_t table = cr3;
    for (int shift = levels == 5 ? 48 : 39; shift > leaf_shift; shift -= 9) {
        uint64_t epa = table + ((va >> shift) & 0x1ff) * 8;
        uint64_t e = pt_rd(d, epa);
        if (!(e & PTE_P)) {
            e = pt_alloc_table(d, next) | inter_flags;
            pt_wr(d, epa, e);
        }
        table = e & PTE_ADDR_MASK;
    }
    pt_wr(d, table + ((va >> leaf_shift) & 0x1ff) * 8, pa | leaf_flags | (leaf_shift > 12 ? PTE_PS : 0));
}

#endif
