/* mmu: x86-64 address translation (4-level and 5-level paging, 4 KiB / 2 MiB / 1 GiB pages).
 *
 * The walk reads the paging structures from guest physical memory (dram), checks permissions the
 * way the Intel SDM (vol. 3, chapter 4) describes, sets accessed and dirty bits in memory, and
 * reports a page fault with its architectural error code.
 *
 * Two entry points share one walk: mmu_translate() is the functional walk (no state, no cost);
 * mmu_walk() is the timed walk of an mmu_t, which keeps the paging-structure caches (one per upper
 * level, SDM vol. 3 4.10.3), charges every PTE load and counts what happened (docs/TLB.md).
 */
#ifndef MMU_MMU_H
#define MMU_MMU_H

#include <stdint.h>

#include "dram/dram.h"
#include "tlb/tlb.h"

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
    uint16_t pcid;  /* current PCID (CR3[11:0] with CR4.PCIDE, else 0): tags the timed walk's
                       paging-structure cache entries; mmu_translate ignores it */
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

/* ---------------------------------------------------------------------------------------------- */
/* The timed walk */

/* Paging levels, numbered as the SDM: the entry of level L maps 2^(12 + 9(L-1)) bytes. */
enum mmu_level { MMU_PT = 1, MMU_PD = 2, MMU_PDPT = 3, MMU_PML4 = 4, MMU_PML5 = 5 };

typedef struct mmu_cfg {
    /* pwc[L], L = 2..5: the cache of level-L entries (2: PDE cache, 3: PDPTE cache, 4: PML4E cache,
     * 5: PML5E cache, used with 5-level paging only), tagged by the linear-address bits above
     * 12 + 9(L-1) and the PCID; entries 0: no such cache. pwc[0] and pwc[1] are unused. */
    tlb_array_cfg_t pwc[6];
    /* Cycles charged for loading one entry of a level-L table, [1..5] ([0] unused), unless a
     * PTE-load hook is installed (mmu_set_pte_load). */
    uint32_t pte_cycles[6];
} mmu_cfg_t;

/* Defaults: ChampSim's paging-structure caches and an L1D hit per PTE load (see mmu.c). */
void mmu_cfg_default(mmu_cfg_t *cfg);

typedef struct mmu mmu_t;

/* Create the timed walker over physical memory mem. NULL with a message on a bad geometry. */
mmu_t *mmu_new(const mmu_cfg_t *cfg, dram_t *mem, char *err, size_t errlen);
void mmu_free(mmu_t *m);

/* The cost of one PTE load: the entry at physical address pa, of a level-`level` table, held by
 * NUMA node `node` (-1 outside RAM). The memory-hierarchy issue installs a hook that sends the load
 * through the caches and DRAM; without one, the cost is cfg.pte_cycles[level]. */
typedef uint32_t (*mmu_pte_load_fn)(void *arg, uint64_t pa, int level, int node);
void mmu_set_pte_load(mmu_t *m, mmu_pte_load_fn fn, void *arg); /* fn NULL: back to the table */

typedef struct mmu_walk_result {
    mmu_result_t r;         /* as mmu_translate, except that r.pte_pa[] lists the entries this walk
                               loaded (top first) and r.nr_levels_read counts them */
    uint32_t cycles;        /* paging-structure-cache lookup + every PTE load */
    int nr_loads;           /* PTE loads made (== r.nr_levels_read) */
    int pwc_level;          /* level whose paging-structure cache hit (loads start one below), 0: none */
    int load_level[5];      /* per load: its level */
    int load_node[5];       /* per load: NUMA node of the entry (dram_node_of), -1 outside RAM */
    uint32_t load_cycles[5];
} mmu_walk_result_t;

/* Walk for va like mmu_translate (0; -1 with r.pf_error; -2 non-canonical), starting below the
 * lowest paging-structure cache that hits, charging each PTE load, setting A/D bits as before.
 * A successful walk caches every non-leaf entry it loaded; a faulting walk drops the cache entries
 * that would be used for va (SDM vol. 3 4.10.4.1, page faults). Counts into mmu_stats(). */
int mmu_walk(mmu_t *m, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_walk_result_t *w);

/* Invalidation of the paging-structure caches (entries are tagged by PCID, never global):
 * mmu_flush_all: everything (MOV CR3 without PCIDs, CR4.PGE/PCIDE changes, INVPCID types 2 and 3);
 * mmu_flush_pcid: the entries of pcid (MOV CR3 with PCIDs and bit 63 clear, INVPCID type 1);
 * mmu_invlpg: every entry of pcid whatever its address, as INVLPG does (SDM vol. 3 4.10.4.1);
 * mmu_invalidate_va: only the entries that would be used to translate va (page faults, INVPCID
 *   type 0 may use it; the SDM lets it drop more). */
void mmu_flush_all(mmu_t *m);
void mmu_flush_pcid(mmu_t *m, uint16_t pcid);
void mmu_invlpg(mmu_t *m, uint64_t va, uint16_t pcid);
void mmu_invalidate_va(mmu_t *m, uint64_t va, uint16_t pcid);

/* Counters of an mmu_t: X(field, "json suffix", "description"), registered as "cpuN.<suffix>". */
#define MMU_COUNTERS(X)                                                                            \
    X(walks, "walks", "Page walks (translations that missed every TLB level)")                   \
    X(walk_cycles, "walk_cycles", "Cycles spent in page walks (cache lookups and PTE loads)")    \
    X(walk_faults, "walk_faults", "Page walks that ended in a page fault")                        \
    X(pwc_hits, "pwc.hits", "Page walks that skipped levels thanks to a paging-structure cache")  \
    X(pwc_misses, "pwc.misses", "Paging-structure-cache lookups that missed")                     \
    X(pwc_pde_hits, "pwc.pde.hits", "PDE-cache hits (walk loads only the PTE)")                   \
    X(pwc_pde_misses, "pwc.pde.misses", "PDE-cache misses")                                       \
    X(pwc_pdpte_hits, "pwc.pdpte.hits", "PDPTE-cache hits (walk starts at the PD)")               \
    X(pwc_pdpte_misses, "pwc.pdpte.misses", "PDPTE-cache misses")                                 \
    X(pwc_pml4e_hits, "pwc.pml4e.hits", "PML4E-cache hits (walk starts at the PDPT)")             \
    X(pwc_pml4e_misses, "pwc.pml4e.misses", "PML4E-cache misses")                                 \
    X(pwc_pml5e_hits, "pwc.pml5e.hits", "PML5E-cache hits (walk starts at the PML4)")             \
    X(pwc_pml5e_misses, "pwc.pml5e.misses", "PML5E-cache misses")                                 \
    X(pte_loads, "pte_loads", "Paging-structure entries loaded by page walks")                   \
    X(pte_loads_pml5e, "pte_loads.pml5e", "PML5 entries loaded")                                  \
    X(pte_loads_pml4e, "pte_loads.pml4e", "PML4 entries loaded")                                  \
    X(pte_loads_pdpte, "pte_loads.pdpte", "PDPT entries loaded")                                  \
    X(pte_loads_pde, "pte_loads.pde", "Page-directory entries loaded")                            \
    X(pte_loads_pte, "pte_loads.pte", "Page-table entries loaded")                                \
    X(ad_writes, "ad_writes", "Entries written back by page walks to set accessed/dirty bits")

typedef struct mmu_stats {
#define X(f, name, desc) uint64_t f;
    MMU_COUNTERS(X)
#undef X
} mmu_stats_t;

const mmu_stats_t *mmu_stats(const mmu_t *m);
/* PTE loads per NUMA node: an array of *nr_nodes counters (register as "cpuN.pte_loads.nodeK"). */
const uint64_t *mmu_pte_loads_per_node(const mmu_t *m, int *nr_nodes);
/* The paging-structure cache of level L (2..5), NULL when absent. */
const tlb_array_t *mmu_pwc(const mmu_t *m, int level);
void mmu_reset_stats(mmu_t *m);
/* Invariants of the caches (tlb_array_check) and of the counters. 0, or -1 with a message. */
int mmu_check(const mmu_t *m, char *err, size_t errlen);

/* The TLB payload of a successful walk: size code and flags from r, pa_base = the page's physical
 * base, host = host address of the page's first byte (0 if none). */
static inline enum tlb_size mmu_tlb_payload(const mmu_result_t *r, uint64_t host_base, tlb_payload_t *p)
{
    enum tlb_size s = r->page_size == (1ull << 30) ? TLB_1G : r->page_size == (1ull << 21) ? TLB_2M : TLB_4K;
    p->pa_base = r->pa & ~(r->page_size - 1);
    p->host = host_base;
    p->flags = (r->writable ? TLB_F_W : 0) | (r->user ? TLB_F_U : 0) | (r->executable ? 0 : TLB_F_NX) |
               (r->dirty ? TLB_F_D : 0) | (r->global ? TLB_F_G : 0);
    return s;
}

#endif
