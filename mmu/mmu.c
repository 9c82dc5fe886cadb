/* mmu: the x86-64 page walk, functional and timed.
 *
 * The walk starts at CR3 and indexes one table per level with 9 bits of the virtual address
 * (bits 56..48 for the PML5 when LA57 is on, then 47..39, 38..30, 29..21, 20..12). An entry
 * without P ends the walk with a not-present fault. PS in a PDPTE maps a 1 GiB page and in a PDE a
 * 2 MiB page; PS in a PML4E or PML5E is reserved. Permissions are the AND of every level: R/W and
 * U/S must be set at all levels for a write or a user access, and NX at any level forbids fetch.
 * Supervisor writes to read-only pages fault only when CR0.WP is set. Accessed bits are set on
 * every entry used, the dirty bit on the leaf of a write; as on hardware they are set only on a
 * successful translation.
 *
 * The timed walk (mmu_walk)
 * -------------------------
 * Real walkers do not start at CR3 every time. SDM vol. 3 4.10.3 describes paging-structure caches:
 * a PML4E cache maps linear-address bits 47:39 (56:39 with LA57) to the physical address of the
 * PDPT that PML4E points to, a PDPTE cache maps bits 47:30 to a page directory, a PDE cache maps
 * bits 47:21 to a page table (and with LA57 a PML5E cache maps bits 56:48 to a PML4). Each entry
 * also carries the rights accumulated down to it (the AND of R/W and U/S, the OR of XD), and is
 * associated with the PCID that created it. Only non-leaf entries are cached; leaves go to the TLB.
 *
 * Here each cache is a tlb_array_t (sets x ways, hit latency, replacement) whose "virtual page
 * number" is the address prefix: va >> 21 for the PDE cache, >> 30, >> 39, >> 48 above it (bits
 * above 56 are dropped: canonical addresses only copy bit 47 or 56 there). A walk:
 *   1. looks the caches up from the lowest level (PDE) upwards and stops at the first hit: a PDE-
 *      cache hit leaves one PTE load, a PDPTE-cache hit two, and so on; a miss everywhere starts at
 *      CR3. Hardware probes the caches in parallel, so the walk is charged one lookup, the largest
 *      latency among the caches it may use; only the caches actually consulted count a hit or miss.
 *   2. loads the remaining entries top-down. Each load is charged through one function (the
 *      configured per-level cost, or the hook the memory hierarchy installs), counted per level and
 *      per NUMA node (dram_node_of of the entry's physical address), with the same present,
 *      reserved-bit and permission checks as the functional walk. Rights start from the cached
 *      ones, so a user access under a supervisor-only PML4E still faults after a PDE-cache hit.
 *   3. on success sets A (and D on a write's leaf) on the entries it loaded (entries skipped
 *      thanks to a cache were set when the cache entry was made, as on hardware) and caches every
 *      non-leaf entry it loaded. On a fault it caches nothing and drops the cache entries that would
 *      be used for va, as a page fault does (SDM 4.10.4.1), so the retry after the OS fixes the
 *      tables re-reads them.
 * The functional mmu_translate is the same code without an mmu_t: no caches, no cost.
 */
#include "mmu.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reserved bits of an entry's address field above the supported physical width (46 bits here). */
#define PTE_RSVD_HIGH 0x000fc00000000000ull
#define VA_MASK ((1ull << 57) - 1)

struct mmu {
    dram_t *mem;
    tlb_array_t *pwc[6];           /* [2..5] */
    uint32_t pte_cycles[6];
    uint32_t pwc_latency[6];       /* [L]: one lookup when the walk may use caches of levels 2..L */
    mmu_pte_load_fn hook;
    void *hook_arg;
    mmu_stats_t st;
    uint64_t *pwc_hits[6], *pwc_misses[6], *loads[6];
    uint64_t *node_loads;
    int nr_nodes;
};

static int load_entry(dram_t *mem, uint64_t pa, uint64_t *e)
{
    uint8_t *h = dram_host(mem, pa);
    if (!h)
        return -1;
    memcpy(e, h, 8);
    return 0;
}

static void store_entry(dram_t *mem, uint64_t pa, uint64_t e)
{
    uint8_t *h = dram_host(mem, pa);
    if (h)
        memcpy(h, &e, 8);
}

static inline unsigned level_shift(int level) { return 12u + 9u * (unsigned)(level - 1); }

/* The walk. m == NULL: functional (mmu_translate); else timed, with w filled. r is zeroed. */
static int walk(dram_t *mem, mmu_t *m, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_result_t *r,
                mmu_walk_result_t *w)
{
    if (!mmu_canonical(va, ctx->levels))
        return -2;

    uint32_t err_base = (acc == MMU_WRITE ? PF_W : 0) | (ctx->user ? PF_U : 0) |
                        (acc == MMU_EXEC && ctx->nxe ? PF_I : 0);
    uint64_t table = ctx->cr3 & PTE_ADDR_MASK;
    int writable = 1, user = 1, exec = 1;
    uint64_t entries[5];
    uint32_t rights[5]; /* rights accumulated through each loaded entry (for the caches) */
    int level = ctx->levels == 5 ? 5 : 4;
    int n = 0;
    unsigned pcid = ctx->pcid & TLB_PCID_MASK;
    uint64_t vtag = va & VA_MASK;
    int rc = 0;

    if (m) {
        w->cycles = m->pwc_latency[level];
        for (int L = 2; L <= ctx->levels; L++) {
            tlb_array_t *c = m->pwc[L];
            if (!c)
                continue;
            tlb_entry_t *e = tlb_array_lookup(c, vtag >> level_shift(L), TLB_4K, pcid);
            if (!e) {
                m->st.pwc_misses++;
                (*m->pwc_misses[L])++;
                continue;
            }
            m->st.pwc_hits++;
            (*m->pwc_hits[L])++;
            table = e->pa_base;
            writable = !!(e->flags & TLB_F_W);
            user = !!(e->flags & TLB_F_U);
            exec = !(e->flags & TLB_F_NX);
            level = L - 1;
            w->pwc_level = L;
            break;
        }
    }

    for (;; level--) {
        unsigned shift = level_shift(level);
        uint64_t idx = (va >> shift) & 0x1ff;
        uint64_t epa = table + idx * 8;
        uint64_t e;
        r->pte_pa[n] = epa;
        if (m) {
            int node = dram_node_of(mem, epa);
            uint32_t cyc = m->hook ? m->hook(m->hook_arg, epa, level, node) : m->pte_cycles[level];
            w->load_level[n] = level;
            w->load_node[n] = node;
            w->load_cycles[n] = cyc;
            w->cycles += cyc;
            m->st.pte_loads++;
            (*m->loads[level])++;
            if (node >= 0 && node < m->nr_nodes)
                m->node_loads[node]++;
        }
        if (load_entry(mem, epa, &e) < 0) {
            /* A table outside RAM reads as all ones on real buses; treat as a reserved-bit fault. */
            r->nr_levels_read = n + 1;
            r->pf_error = err_base | PF_P | PF_RSVD;
            rc = -1;
            goto out;
        }
        entries[n++] = e;
        r->nr_levels_read = n;
        if (!(e & PTE_P)) {
            r->pf_error = err_base;
            rc = -1;
            goto out;
        }
        int leaf = level == 1 || ((level == 2 || level == 3) && (e & PTE_PS));
        uint64_t rsvd = PTE_RSVD_HIGH | (ctx->nxe ? 0 : PTE_NX);
        if (level > 3 && (e & PTE_PS))
            rsvd |= PTE_PS;
        if (leaf && level == 2)
            rsvd |= 0x1fe000ull; /* bits 20:13 of a 2 MiB PDE */
        if (leaf && level == 3)
            rsvd |= 0x3fffe000ull; /* bits 29:13 of a 1 GiB PDPTE */
        if (e & rsvd) {
            r->pf_error = err_base | PF_P | PF_RSVD;
            rc = -1;
            goto out;
        }
        writable &= !!(e & PTE_RW);
        user &= !!(e & PTE_US);
        if (ctx->nxe && (e & PTE_NX))
            exec = 0;
        rights[n - 1] = (writable ? TLB_F_W : 0) | (user ? TLB_F_U : 0) | (exec ? 0 : TLB_F_NX);
        if (leaf) {
            uint64_t size = 1ull << shift;
            r->page_size = size;
            r->pa = (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
            r->global = !!(e & PTE_G);
            break;
        }
        table = e & PTE_ADDR_MASK;
    }

    /* Permission checks (SDM 4.6). */
    int fault = 0;
    if (ctx->user && !user)
        fault = 1;
    else if (acc == MMU_WRITE && !writable && (ctx->user || ctx->wp))
        fault = 1;
    else if (acc == MMU_EXEC && !exec)
        fault = 1;
    else if (acc == MMU_EXEC && !ctx->user && user)
        fault = 0; /* SMEP is not modelled: supervisor may fetch user pages */
    if (fault) {
        r->pf_error = err_base | PF_P;
        rc = -1;
        goto out;
    }

    /* Set accessed bits on every level and dirty on the leaf of a write. */
    for (int i = 0; i < n; i++) {
        uint64_t e = entries[i] | PTE_A;
        if (i == n - 1 && acc == MMU_WRITE)
            e |= PTE_D;
        if (e != entries[i]) {
            store_entry(mem, r->pte_pa[i], e);
            entries[i] = e;
            if (m)
                m->st.ad_writes++;
        }
    }
    r->writable = writable;
    r->user = user;
    r->executable = exec;
    r->dirty = !!(entries[n - 1] & PTE_D);

    /* Cache the non-leaf entries this walk loaded: load i is of level top - i. */
    if (m) {
        int top = w->pwc_level ? w->pwc_level - 1 : (ctx->levels == 5 ? 5 : 4);
        for (int i = 0; i < n - 1; i++) {
            int L = top - i;
            if (!m->pwc[L])
                continue;
            tlb_payload_t p = {entries[i] & PTE_ADDR_MASK, 0, rights[i]};
            tlb_array_insert(m->pwc[L], vtag >> level_shift(L), TLB_4K, pcid, &p, NULL);
        }
    }

out:
    if (m) {
        w->nr_loads = r->nr_levels_read;
        m->st.walks++;
        m->st.walk_cycles += w->cycles;
        if (rc) {
            m->st.walk_faults++;
            mmu_invalidate_va(m, va, (uint16_t)pcid);
        }
    }
    return rc;
}

int mmu_translate(dram_t *mem, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_result_t *r)
{
    memset(r, 0, sizeof(*r));
    return walk(mem, NULL, ctx, va, acc, r, NULL);
}

int mmu_walk(mmu_t *m, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_walk_result_t *w)
{
    memset(w, 0, sizeof(*w));
    return walk(m->mem, m, ctx, va, acc, &w->r, w);
}

/* ---------------------------------------------------------------------------------------------- */

void mmu_cfg_default(mmu_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    /* Paging-structure caches: Intel documents none of their sizes (SDM vol. 3 4.10.3). These are
     * ChampSim's defaults (champsim_config.json, "PTW": pscl5 1x2, pscl4 1x4, pscl3 2x4, pscl2 4x8,
     * sets x ways), as listed in ../shared/reference/README.md; one cycle per lookup (simulators use
     * 1-3 cycles; ChampSim charges none). */
    cfg->pwc[MMU_PML5] = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 1, .repl = TLB_REPL_LRU};
    cfg->pwc[MMU_PML4] = (tlb_array_cfg_t){.entries = 4, .ways = 4, .latency = 1, .repl = TLB_REPL_LRU};
    cfg->pwc[MMU_PDPT] = (tlb_array_cfg_t){.entries = 8, .ways = 4, .latency = 1, .repl = TLB_REPL_LRU};
    cfg->pwc[MMU_PD] = (tlb_array_cfg_t){.entries = 32, .ways = 8, .latency = 1, .repl = TLB_REPL_LRU};
    /* PTE loads: until the memory-hierarchy issue routes them through the caches and DRAM, each costs
     * an L1D hit: 4 cycles load-to-use on Skylake (Optimization Reference Manual, Skylake cache
     * parameters table; ../shared/reference/README.md "Hardware parameters", L1D 4 cyc [V]). */
    for (int L = MMU_PT; L <= MMU_PML5; L++)
        cfg->pte_cycles[L] = 4;
}

static void fmt_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *const pwc_names[6] = {"", "", "pwc_pde", "pwc_pdpte", "pwc_pml4e", "pwc_pml5e"};

mmu_t *mmu_new(const mmu_cfg_t *cfg, dram_t *mem, char *err, size_t errlen)
{
    mmu_t *m = calloc(1, sizeof(*m));
    if (!m) {
        fmt_err(err, errlen, "mmu: out of memory");
        return NULL;
    }
    m->mem = mem;
    for (int L = MMU_PD; L <= MMU_PML5; L++) {
        if (cfg->pwc[L].entries && !(m->pwc[L] = tlb_array_new(&cfg->pwc[L], pwc_names[L], err, errlen))) {
            mmu_free(m);
            return NULL;
        }
    }
    for (int L = MMU_PT; L <= MMU_PML5; L++) {
        m->pte_cycles[L] = cfg->pte_cycles[L];
        uint32_t lat = 0;
        for (int j = MMU_PD; j <= L; j++)
            if (m->pwc[j] && cfg->pwc[j].latency > lat)
                lat = cfg->pwc[j].latency;
        m->pwc_latency[L] = lat;
    }
    m->pwc_hits[2] = &m->st.pwc_pde_hits;
    m->pwc_hits[3] = &m->st.pwc_pdpte_hits;
    m->pwc_hits[4] = &m->st.pwc_pml4e_hits;
    m->pwc_hits[5] = &m->st.pwc_pml5e_hits;
    m->pwc_misses[2] = &m->st.pwc_pde_misses;
    m->pwc_misses[3] = &m->st.pwc_pdpte_misses;
    m->pwc_misses[4] = &m->st.pwc_pml4e_misses;
    m->pwc_misses[5] = &m->st.pwc_pml5e_misses;
    m->loads[1] = &m->st.pte_loads_pte;
    m->loads[2] = &m->st.pte_loads_pde;
    m->loads[3] = &m->st.pte_loads_pdpte;
    m->loads[4] = &m->st.pte_loads_pml4e;
    m->loads[5] = &m->st.pte_loads_pml5e;
    m->nr_nodes = mem ? dram_nr_nodes(mem) : 0;
    m->node_loads = calloc(m->nr_nodes > 0 ? (size_t)m->nr_nodes : 1, sizeof(uint64_t));
    if (!m->node_loads) {
        fmt_err(err, errlen, "mmu: out of memory");
        mmu_free(m);
        return NULL;
    }
    return m;
}

void mmu_free(mmu_t *m)
{
    if (!m)
        return;
    for (int L = 0; L < 6; L++)
        tlb_array_free(m->pwc[L]);
    free(m->node_loads);
    free(m);
}

void mmu_set_pte_load(mmu_t *m, mmu_pte_load_fn fn, void *arg)
{
    m->hook = fn;
    m->hook_arg = arg;
}

void mmu_flush_all(mmu_t *m)
{
    for (int L = MMU_PD; L <= MMU_PML5; L++)
        if (m->pwc[L])
            tlb_array_flush_all(m->pwc[L], 0);
}

void mmu_flush_pcid(mmu_t *m, uint16_t pcid)
{
    for (int L = MMU_PD; L <= MMU_PML5; L++)
        if (m->pwc[L])
            tlb_array_flush_pcid(m->pwc[L], pcid, 0);
}

void mmu_invlpg(mmu_t *m, uint64_t va, uint16_t pcid)
{
    (void)va; /* INVLPG drops every paging-structure-cache entry of the current PCID */
    mmu_flush_pcid(m, pcid);
}

void mmu_invalidate_va(mmu_t *m, uint64_t va, uint16_t pcid)
{
    uint64_t vtag = va & VA_MASK;
    for (int L = MMU_PD; L <= MMU_PML5; L++)
        if (m->pwc[L])
            tlb_array_invalidate(m->pwc[L], vtag >> level_shift(L), TLB_4K, pcid);
}

const mmu_stats_t *mmu_stats(const mmu_t *m) { return &m->st; }

const uint64_t *mmu_pte_loads_per_node(const mmu_t *m, int *nr_nodes)
{
    if (nr_nodes)
        *nr_nodes = m->nr_nodes;
    return m->node_loads;
}

const tlb_array_t *mmu_pwc(const mmu_t *m, int level)
{
    return level >= MMU_PD && level <= MMU_PML5 ? m->pwc[level] : NULL;
}

void mmu_reset_stats(mmu_t *m)
{
    memset(&m->st, 0, sizeof(m->st));
    memset(m->node_loads, 0, (m->nr_nodes > 0 ? (size_t)m->nr_nodes : 1) * sizeof(uint64_t));
    for (int L = MMU_PD; L <= MMU_PML5; L++)
        if (m->pwc[L])
            tlb_array_reset_stats(m->pwc[L]);
}

int mmu_check(const mmu_t *m, char *err, size_t errlen)
{
    uint64_t hits = 0, misses = 0;
    for (int L = MMU_PD; L <= MMU_PML5; L++) {
        if (!m->pwc[L])
            continue;
        if (tlb_array_check(m->pwc[L], err, errlen) < 0)
            return -1;
        const tlb_array_stats_t *s = tlb_array_stats(m->pwc[L]);
        if (s->hits != *m->pwc_hits[L] || s->misses != *m->pwc_misses[L]) {
            fmt_err(err, errlen, "%s: array counts %" PRIu64 "/%" PRIu64 " hits/misses, the walker %" PRIu64 "/%" PRIu64,
                    pwc_names[L], s->hits, s->misses, *m->pwc_hits[L], *m->pwc_misses[L]);
            return -1;
        }
        hits += s->hits;
        misses += s->misses;
    }
    uint64_t per_level = 0, per_node = 0;
    for (int L = MMU_PT; L <= MMU_PML5; L++)
        per_level += *m->loads[L];
    for (int i = 0; i < m->nr_nodes; i++)
        per_node += m->node_loads[i];
    if (hits != m->st.pwc_hits || misses != m->st.pwc_misses || per_level != m->st.pte_loads ||
        per_node > m->st.pte_loads || m->st.pwc_hits > m->st.walks || m->st.walk_faults > m->st.walks) {
        fmt_err(err, errlen, "mmu: counters disagree (pwc %" PRIu64 "/%" PRIu64 ", loads %" PRIu64 " per level %" PRIu64
                ", per node %" PRIu64 ")", m->st.pwc_hits, m->st.pwc_misses, m->st.pte_loads, per_level, per_node);
        return -1;
    }
    return 0;
}
