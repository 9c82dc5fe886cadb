/* mmu: x86-64 address translation (4-level and 5-level paging, 4 KiB / 2 MiB / 1 GiB pages).
 *
 * The walk reads the paging structures from guest physical memory (dram), checks permissions the
 * way the Intel SDM (vol. 3, chapter 4) describes, sets accessed and dirty bits in memory, and
 * reports a page fault with its architectural error code. This is the functional walk; the
 * translation-timing issue adds TLBs, paging-structure caches and the cost of each PTE load.
 */
#ifndef MMU_MMU_H
#define MMU_MMU_H

#include <stdint.h>

#include "dram/dram.h"

/* Paging-structure entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define PF_P (1u << 0)    /* the fault was a protection violation (else: not present) */
#define PF_W (1u << 1)    /* write access */
#define PF_U (1u << 2)    /* user-mode access */
#define PF_RSVD (1u << 3) /* reserved bit set in a paging-structure entry */
#define PF_I (1u << 4)    /* instruction fetch */

/* Kinds of access. */
enum mmu_access { MMU_READ = 0, MMU_WRITE = 1, MMU_EXEC = 2 };

typedef struct mmu_ctx {
    uint64_t cr3;   /* physical address of the top-level table (bits 12..51) */
    int levels;     /* 4 or 5 (CR4.LA57) */
    int user;       /* CPL 3 */
    int wp;         /* CR0.WP: supervisor writes honour R/W */
    int nxe;        /* EFER.NXE: bit 63 is NX, else reserved */
} mmu_ctx_t;

typedef struct mmu_result {
    uint64_t pa;          /* translated physical address */
    uint64_t page_size;   /* 4096, 2 MiB or 1 GiB */
    uint64_t pte_pa[5];   /* physical address of the entry read at each level, top first */
    int nr_levels_read;   /* how many entries the walk read */
    int writable;         /* the whole path permits writes (for this privilege) */
    int user;             /* the whole path permits user access */
    int executable;       /* the whole path permits instruction fetch */
    int dirty;            /* the leaf's dirty bit is set (after this access) */
    int global;           /* the leaf has G set */
    uint32_t pf_error;    /* on fault: the #PF error code */
} mmu_result_t;

/* Translate va for the given access. Returns 0 and fills r on success (setting A, and D on a
 * write, in the entries); returns -1 on a page fault with r->pf_error set. A non-canonical address
 * returns -2 (the CPU raises #GP, not #PF). */
int mmu_translate(dram_t *mem, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_result_t *r);

/* True when va is canonical for the given number of paging levels (48 or 57 address bits). */
static inline int mmu_canonical(uint64_t va, int levels)
{
    int bits = levels == 5 ? 57 : 48;
    int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
    return (uint64_t)s == va;
}

#endif
