/* Unit tests for the timed walk of mmu/ (mmu_walk): exact cycles and PTE loads over hand-built
 * 4- and 5-level tables with 4K, 2M and 1G pages, paging-structure-cache hits skipping levels,
 * faults with the right error codes after a cache hit, A/D updates, PCID tagging and flushes, the
 * PTE-load hook and per-node counts, agreement with mmu_translate, and the TLB + walk flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dram/dram.h"
#include "mmu/mmu.h"
#include "tests/unit/pt_build.h"
#include "tlb/tlb.h"

#define NODE1 (32ull << 20) /* node 0: [0, 32M), node 1: [32M, 64M) */
#define INTER (PTE_P | PTE_RW | PTE_US)
#define LEAF (PTE_P | PTE_RW | PTE_US)

typedef struct fixture {
    dram_t *d;
    uint64_t next; /* next free frame for tables */
    mmu_t *m;
} fixture_t;

static char err[256];

static uint64_t alloc_table(fixture_t *f) { return pt_alloc_table(f->d, &f->next); }
static uint64_t rd(fixture_t *f, uint64_t pa) { return pt_rd(f->d, pa); }
static void map(fixture_t *f, uint64_t cr3, int levels, uint64_t va, uint64_t pa, int leaf_shift,
                uint64_t inter_flags, uint64_t leaf_flags)
{
    pt_map(f->d, &f->next, cr3, levels, va, pa, leaf_shift, inter_flags, leaf_flags);
}

/* Per-level PTE costs 10 x level (PTE 10 ... PML5E 50) and 2-cycle caches, so that every cycle
 * count below says which loads happened. */
static mmu_cfg_t test_cfg(void)
{
    mmu_cfg_t c;
    memset(&c, 0, sizeof(c));
    c.pwc[MMU_PD] = (tlb_array_cfg_t){.entries = 4, .ways = 4, .latency = 2};
    c.pwc[MMU_PDPT] = (tlb_array_cfg_t){.entries = 4, .ways = 4, .latency = 2};
    c.pwc[MMU_PML4] = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 2};
    c.pwc[MMU_PML5] = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 2};
    for (int L = 1; L <= 5; L++)
        c.pte_cycles[L] = 10u * (unsigned)L;
    return c;
}

static mmu_t *mk_mmu(fixture_t *f, const mmu_cfg_t *c)
{
    mmu_t *m = mmu_new(c, f->d, err, sizeof(err));
    if (!m)
        fail_msg("mmu_new: %s", err);
    return m;
}

static void check(const mmu_t *m)
{
    if (mmu_check(m, err, sizeof(err)) < 0)
        fail_msg("mmu_check: %s", err);
}

static int setup(void **state)
{
    static fixture_t f;
    dram_cfg_t cfg = {.nr_nodes = 2};
    cfg.nodes[0].size = 32 << 20;
    cfg.nodes[1].base_pa = NODE1;
    cfg.nodes[1].size = 32 << 20;
    f.d = dram_new(&cfg, err, sizeof(err));
    if (!f.d)
        return -1;
    f.next = NODE1 + (8 << 20);
    mmu_cfg_t c = test_cfg();
    f.m = mmu_new(&c, f.d, err, sizeof(err));
    *state = &f;
    return f.m ? 0 : -1;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    mmu_free(f->m);
    dram_free(f->d);
    return 0;
}

static int walk(fixture_t *f, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_walk_result_t *w)
{
    int rc = mmu_walk(f->m, ctx, va, acc, w);
    check(f->m);
    assert_int_equal(w->nr_loads, w->r.nr_levels_read);
    uint32_t sum = 0;
    for (int i = 0; i < w->nr_loads; i++)
        sum += w->load_cycles[i];
    if (rc != -2)
        assert_true(w->cycles >= sum);
    return rc;
}

static void test_cold_walk_and_pwc_hits(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    uint64_t va = 0x00007f1234567000ull;
    map(f, cr3, 4, va, 0x5000, 12, INTER, LEAF);
    map(f, cr3, 4, va + (2 << 20), 0x6000, 12, INTER, LEAF);         /* another PDE, same PD */
    map(f, cr3, 4, va + (1ull << 30), 0x7000, 12, INTER, LEAF);      /* another PDPTE, same PDPT */
    map(f, cr3, 4, va ^ (1ull << 39), 0x8000, 12, INTER, LEAF);      /* another PML4E */
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    const mmu_stats_t *s = mmu_stats(f->m);

    /* Cold: every cache misses, 4 loads: 2 + 40 + 30 + 20 + 10. */
    assert_int_equal(walk(f, &ctx, va + 0x123, MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0x5123);
    assert_int_equal(w.r.page_size, 4096);
    assert_int_equal(w.cycles, 102);
    assert_int_equal(w.nr_loads, 4);
    assert_int_equal(w.pwc_level, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w.load_level[i], 4 - i);
        assert_int_equal(w.load_node[i], 1);
        assert_int_equal(w.load_cycles[i], 10u * (unsigned)(4 - i));
        assert_true(rd(f, w.r.pte_pa[i]) & PTE_A);
    }
    assert_int_equal(s->walks, 1);
    assert_int_equal(s->walk_cycles, 102);
    assert_int_equal(s->pwc_misses, 3); /* PDE, PDPTE, PML4E; no PML5E cache use with 4 levels */
    assert_int_equal(s->pwc_pml5e_misses, 0);
    assert_int_equal(s->pte_loads, 4);
    assert_int_equal(s->ad_writes, 4);
    int nn;
    const uint64_t *per_node = mmu_pte_loads_per_node(f->m, &nn);
    assert_int_equal(nn, 2);
    assert_int_equal(per_node[0], 0);
    assert_int_equal(per_node[1], 4);
    assert_int_equal(tlb_array_valid_entries(mmu_pwc(f->m, MMU_PD)), 1);
    assert_int_equal(tlb_array_valid_entries(mmu_pwc(f->m, MMU_PDPT)), 1);
    assert_int_equal(tlb_array_valid_entries(mmu_pwc(f->m, MMU_PML4)), 1);
    assert_null(mmu_pwc(f->m, 1));

    /* Same page again: the PDE cache gives the page table, one load: 2 + 10. */
    assert_int_equal(walk(f, &ctx, va + 8, MMU_WRITE, &w), 0);
    assert_int_equal(w.cycles, 12);
    assert_int_equal(w.nr_loads, 1);
    assert_int_equal(w.pwc_level, MMU_PD);
    assert_int_equal(w.load_level[0], 1);
    assert_int_equal(w.r.pa, 0x5008);
    assert_true(rd(f, w.r.pte_pa[0]) & PTE_D);
    assert_int_equal(s->pwc_pde_hits, 1);
    assert_int_equal(s->pwc_hits, 1);
    /* Another PDE of the same PD: PDPTE cache, 2 loads. */
    assert_int_equal(walk(f, &ctx, va + (2 << 20), MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0x6000);
    assert_int_equal(w.cycles, 2 + 20 + 10);
    assert_int_equal(w.pwc_level, MMU_PDPT);
    assert_int_equal(w.load_level[0], 2);
    /* Another PDPTE: PML4E cache, 3 loads. */
    assert_int_equal(walk(f, &ctx, va + (1ull << 30), MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0x7000);
    assert_int_equal(w.cycles, 2 + 30 + 20 + 10);
    assert_int_equal(w.pwc_level, MMU_PML4);
    /* Another PML4E: nothing cached, 4 loads. */
    assert_int_equal(walk(f, &ctx, va ^ (1ull << 39), MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0x8000);
    assert_int_equal(w.cycles, 102);
    assert_int_equal(s->walks, 5);
    assert_int_equal(s->pwc_pde_hits, 1);
    assert_int_equal(s->pwc_pdpte_hits, 1);
    assert_int_equal(s->pwc_pml4e_hits, 1);
    assert_int_equal(s->pwc_hits, 3);
    assert_int_equal(s->pte_loads, 4 + 1 + 2 + 3 + 4);
    assert_int_equal(s->pte_loads_pte, 5);
    assert_int_equal(s->pte_loads_pde, 4);
    assert_int_equal(s->pte_loads_pdpte, 3);
    assert_int_equal(s->pte_loads_pml4e, 2);
    assert_int_equal(s->walk_cycles, 102 + 12 + 32 + 62 + 102);
    mmu_reset_stats(f->m);
    assert_int_equal(s->walks, 0);
    assert_int_equal(mmu_pte_loads_per_node(f->m, NULL)[1], 0);
    check(f->m);
}

static void test_large_pages(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    map(f, cr3, 4, 0x40000000ull, 0x200000, 21, INTER, LEAF);
    assert_int_equal(walk(f, &ctx, 0x40012345ull, MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0x212345);
    assert_int_equal(w.r.page_size, 2 << 20);
    assert_int_equal(w.cycles, 2 + 40 + 30 + 20);
    assert_int_equal(w.nr_loads, 3);
    /* The leaf PDE is not cached in the PDE cache; the PDPTE cache serves the next walk. */
    assert_int_equal(tlb_array_valid_entries(mmu_pwc(f->m, MMU_PD)), 0);
    assert_int_equal(walk(f, &ctx, 0x401fff00ull, MMU_WRITE, &w), 0);
    assert_int_equal(w.cycles, 2 + 20);
    assert_int_equal(w.pwc_level, MMU_PDPT);
    assert_true(w.r.dirty);
    /* A 1 GiB page: 2 loads cold, 1 after (PML4E cache). */
    map(f, cr3, 4, 0x8000000000ull, 0x40000000ull, 30, INTER, LEAF);
    assert_int_equal(walk(f, &ctx, 0x8003456789ull, MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0x43456789ull);
    assert_int_equal(w.r.page_size, 1 << 30);
    assert_int_equal(w.cycles, 2 + 40 + 30);
    assert_int_equal(walk(f, &ctx, 0x803fffffffull, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 2 + 30);
    assert_int_equal(w.pwc_level, MMU_PML4);
    assert_int_equal(w.nr_loads, 1);
    assert_int_equal(w.load_level[0], 3);
}

/* Cold walks of the same mapping with 4 and 5 levels: exactly one more PTE load. */
static void test_five_level(void **state)
{
    fixture_t *f = *state;
    static const int shifts[] = {12, 21, 30};
    uint64_t va = 0x00007f1234400000ull;
    for (int dflt = 0; dflt < 2; dflt++)
        for (int i = 0; i < 3; i++) {
            mmu_cfg_t c = test_cfg();
            if (dflt)
                mmu_cfg_default(&c);
            mmu_t *m4 = mk_mmu(f, &c), *m5 = mk_mmu(f, &c);
            uint64_t cr4 = alloc_table(f), cr5 = alloc_table(f);
            map(f, cr4, 4, va, 0x40000000ull, shifts[i], INTER, LEAF);
            map(f, cr5, 5, va, 0x40000000ull, shifts[i], INTER, LEAF);
            mmu_ctx_t c4 = {.cr3 = cr4, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
            mmu_ctx_t c5 = {.cr3 = cr5, .levels = 5, .user = 1, .wp = 1, .nxe = 1};
            mmu_walk_result_t w4, w5;
            assert_int_equal(mmu_walk(m4, &c4, va, MMU_READ, &w4), 0);
            assert_int_equal(mmu_walk(m5, &c5, va, MMU_READ, &w5), 0);
            assert_int_equal(w4.r.pa, w5.r.pa);
            assert_int_equal(w5.nr_loads, w4.nr_loads + 1);
            assert_int_equal(w5.cycles, w4.cycles + c.pte_cycles[MMU_PML5]);
            assert_int_equal(w5.load_level[0], 5);
            assert_int_equal(mmu_stats(m5)->pte_loads_pml5e, 1);
            check(m4);
            check(m5);
            mmu_free(m4);
            mmu_free(m5);
        }
    /* With defaults, cold 4-level 4K walk = 1 + 4 x 4 cycles; a PDE-cache hit 1 + 4. */
    mmu_cfg_t c;
    mmu_cfg_default(&c);
    mmu_t *m = mk_mmu(f, &c);
    uint64_t cr3 = alloc_table(f);
    map(f, cr3, 4, va, 0x5000, 12, INTER, LEAF);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    assert_int_equal(mmu_walk(m, &ctx, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 17);
    assert_int_equal(mmu_walk(m, &ctx, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 5);
    mmu_free(m);

    /* 5-level caches: a PML5E-cache hit starts at the PML4. */
    uint64_t cr5 = alloc_table(f);
    uint64_t v5 = 0x00ff123456789000ull;
    map(f, cr5, 5, v5, 0xa000, 12, INTER, LEAF);
    map(f, cr5, 5, v5 ^ (1ull << 39), 0xb000, 12, INTER, LEAF); /* same PML5E, another PML4E */
    mmu_ctx_t c5 = {.cr3 = cr5, .levels = 5, .user = 1, .wp = 1, .nxe = 1};
    assert_int_equal(walk(f, &c5, v5, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 2 + 50 + 40 + 30 + 20 + 10);
    assert_int_equal(walk(f, &c5, v5 + 16, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 12);
    assert_int_equal(walk(f, &c5, v5 ^ (1ull << 39), MMU_READ, &w), 0);
    assert_int_equal(w.r.pa, 0xb000);
    assert_int_equal(w.pwc_level, MMU_PML5);
    assert_int_equal(w.cycles, 2 + 40 + 30 + 20 + 10);
    assert_int_equal(mmu_stats(f->m)->pwc_pml5e_hits, 1);
}

static void test_faults_after_pwc_hit(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    uint64_t va = 0x00007f0000200000ull;
    map(f, cr3, 4, va, 0x5000, 12, INTER, LEAF);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    mmu_result_t r;
    const mmu_stats_t *s = mmu_stats(f->m);
    assert_int_equal(walk(f, &ctx, va, MMU_READ, &w), 0);

    /* The next page of the same page table is not present: the PDE cache hits, the PTE load finds
     * P clear, a not-present fault with W and U as the access. */
    assert_int_equal(walk(f, &ctx, va + 0x1000, MMU_WRITE, &w), -1);
    assert_int_equal(w.r.pf_error, PF_W | PF_U);
    assert_int_equal(w.pwc_level, MMU_PD);
    assert_int_equal(w.nr_loads, 1);
    assert_int_equal(w.cycles, 12);
    assert_int_equal(s->walk_faults, 1);
    assert_int_equal(mmu_translate(f->d, &ctx, va + 0x1000, MMU_WRITE, &r), -1);
    assert_int_equal(r.pf_error, w.r.pf_error);
    /* The fault dropped the cache entries used for that address (shared with va): cold again. */
    assert_int_equal(tlb_array_valid_entries(mmu_pwc(f->m, MMU_PD)), 0);
    assert_int_equal(walk(f, &ctx, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);

    /* Not present at the PD after a PDPTE-cache hit. */
    assert_int_equal(walk(f, &ctx, va + (4 << 20), MMU_READ, &w), -1);
    assert_int_equal(w.r.pf_error, PF_U);
    assert_int_equal(w.pwc_level, MMU_PDPT);
    assert_int_equal(w.nr_loads, 1);
    assert_int_equal(w.load_level[0], 2);
    assert_int_equal(w.cycles, 2 + 20);

    /* Rights come from the cache: a supervisor-only upper level still faults a user access after
     * a PDE-cache hit, with P set (protection). */
    uint64_t vs = 0x00007e0000000000ull;
    map(f, cr3, 4, vs, 0x9000, 12, PTE_P | PTE_RW, LEAF);
    mmu_ctx_t sup = ctx;
    sup.user = 0;
    assert_int_equal(walk(f, &sup, vs, MMU_READ, &w), 0);
    assert_int_equal(walk(f, &ctx, vs, MMU_READ, &w), -1);
    assert_int_equal(w.pwc_level, MMU_PD);
    assert_int_equal(w.r.pf_error, PF_P | PF_U);
    assert_int_equal(mmu_translate(f->d, &ctx, vs, MMU_READ, &r), -1);
    assert_int_equal(r.pf_error, PF_P | PF_U);

    /* NX above the leaf, cached: a fetch faults with I after a PDE-cache hit. */
    uint64_t vx = 0x00007d0000000000ull;
    map(f, cr3, 4, vx, 0xa000, 12, INTER | PTE_NX, LEAF);
    assert_int_equal(walk(f, &ctx, vx, MMU_READ, &w), 0);
    assert_false(w.r.executable);
    assert_int_equal(walk(f, &ctx, vx, MMU_EXEC, &w), -1);
    assert_int_equal(w.pwc_level, MMU_PD);
    assert_int_equal(w.r.pf_error, PF_P | PF_U | PF_I);

    /* Read-only above the leaf: a user write faults; a supervisor write without CR0.WP does not. */
    uint64_t vr = 0x00007c0000000000ull;
    map(f, cr3, 4, vr, 0xb000, 12, PTE_P | PTE_US, LEAF);
    assert_int_equal(walk(f, &ctx, vr, MMU_READ, &w), 0);
    assert_int_equal(walk(f, &ctx, vr, MMU_WRITE, &w), -1);
    assert_int_equal(w.r.pf_error, PF_P | PF_W | PF_U);
    assert_int_equal(walk(f, &ctx, vr, MMU_READ, &w), 0); /* cold again after the fault */
    sup.wp = 0;
    assert_int_equal(walk(f, &sup, vr, MMU_WRITE, &w), 0);
    assert_int_equal(w.pwc_level, MMU_PD);

    /* A reserved bit in the leaf after a cache hit. */
    uint64_t vv = 0x00007b0000000000ull;
    map(f, cr3, 4, vv, 0xc000, 12, INTER, LEAF);
    assert_int_equal(walk(f, &ctx, vv, MMU_READ, &w), 0);
    map(f, cr3, 4, vv + 0x1000, 0xd000 | (1ull << 50), 12, INTER, LEAF);
    assert_int_equal(walk(f, &ctx, vv + 0x1000, MMU_READ, &w), -1);
    assert_int_equal(w.pwc_level, MMU_PD);
    assert_int_equal(w.r.pf_error, PF_P | PF_U | PF_RSVD);
    assert_false(rd(f, w.r.pte_pa[0]) & PTE_A);
    check(f->m);
}

static void test_ad_bits(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    uint64_t va = 0x00005555aaaa0000ull;
    map(f, cr3, 4, va, 0x5000, 12, INTER, LEAF);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    const mmu_stats_t *s = mmu_stats(f->m);
    assert_int_equal(walk(f, &ctx, va, MMU_READ, &w), 0);
    uint64_t pml4e = w.r.pte_pa[0], pte = w.r.pte_pa[3];
    assert_true(rd(f, pml4e) & PTE_A);
    assert_false(rd(f, pte) & PTE_D);
    assert_false(w.r.dirty);
    assert_int_equal(s->ad_writes, 4);
    /* The OS clears A in the PML4E; a walk through the PDE cache does not load it, so it stays clear
     * (hardware sets A when it loads an entry, not when it uses a cached copy). */
    pt_wr(f->d, pml4e, rd(f, pml4e) & ~PTE_A);
    assert_int_equal(walk(f, &ctx, va, MMU_WRITE, &w), 0);
    assert_int_equal(w.nr_loads, 1);
    assert_true(w.r.dirty);
    assert_true(rd(f, pte) & PTE_D);
    assert_false(rd(f, pml4e) & PTE_A);
    assert_int_equal(s->ad_writes, 5);
    /* Nothing to write when A and D are already set. */
    assert_int_equal(walk(f, &ctx, va, MMU_WRITE, &w), 0);
    assert_int_equal(s->ad_writes, 5);
    /* After a flush the walk loads and sets it again. */
    mmu_flush_all(f->m);
    assert_int_equal(walk(f, &ctx, va, MMU_READ, &w), 0);
    assert_true(rd(f, pml4e) & PTE_A);
    assert_int_equal(s->ad_writes, 6);
}

static void test_pcid_and_flushes(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    uint64_t va = 0x00007f0000000000ull, other = 0x0000100000000000ull;
    map(f, cr3, 4, va, 0x5000, 12, INTER, LEAF);
    map(f, cr3, 4, other, 0x6000, 12, INTER, LEAF);
    mmu_ctx_t p1 = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1, .pcid = 1};
    mmu_ctx_t p2 = p1;
    p2.pcid = 2;
    mmu_walk_result_t w;
    assert_int_equal(walk(f, &p1, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    assert_int_equal(walk(f, &p1, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 12);
    /* Entries are tagged with the PCID: PCID 2 starts cold. */
    assert_int_equal(walk(f, &p2, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    /* INVLPG drops every cache entry of the current PCID, whatever the address. */
    mmu_invlpg(f->m, other, 1);
    assert_int_equal(walk(f, &p1, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    assert_int_equal(walk(f, &p2, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 12);
    /* A single-address invalidation only drops what translates that address. */
    mmu_invalidate_va(f->m, other, 2);
    assert_int_equal(walk(f, &p2, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 12);
    mmu_invalidate_va(f->m, va + 0x3000, 2);
    assert_int_equal(walk(f, &p2, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    mmu_flush_pcid(f->m, 2);
    assert_int_equal(walk(f, &p2, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    assert_int_equal(walk(f, &p1, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 12);
    mmu_flush_all(f->m);
    for (int L = MMU_PD; L <= MMU_PML5; L++)
        assert_int_equal(tlb_array_valid_entries(mmu_pwc(f->m, L)), 0);
    assert_int_equal(walk(f, &p1, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    check(f->m);
}

struct hook_log {
    int n;
    uint64_t pa[8];
    int level[8], node[8];
};

static uint32_t hook(void *arg, uint64_t pa, int level, int node)
{
    struct hook_log *h = arg;
    h->pa[h->n] = pa;
    h->level[h->n] = level;
    h->node[h->n] = node;
    h->n++;
    return 100u * (unsigned)level + (unsigned)node;
}

static void test_pte_load_hook_and_nodes(void **state)
{
    fixture_t *f = *state;
    uint64_t keep = f->next;
    f->next = 16 << 20; /* the PML4 in node 0, the rest in node 1 */
    uint64_t cr3 = alloc_table(f);
    f->next = keep;
    uint64_t va = 0x0000400000000000ull;
    map(f, cr3, 4, va, 0x5000, 12, INTER, LEAF);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    struct hook_log h = {0};
    mmu_set_pte_load(f->m, hook, &h);
    assert_int_equal(walk(f, &ctx, va, MMU_READ, &w), 0);
    assert_int_equal(h.n, 4);
    assert_int_equal(w.cycles, 2 + 400 + 301 + 201 + 101);
    const int want_node[4] = {0, 1, 1, 1};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(h.pa[i], w.r.pte_pa[i]);
        assert_int_equal(h.level[i], 4 - i);
        assert_int_equal(h.node[i], want_node[i]);
        assert_int_equal(w.load_node[i], want_node[i]);
        assert_int_equal(w.load_cycles[i], 100u * (unsigned)(4 - i) + (unsigned)want_node[i]);
    }
    assert_int_equal(h.pa[0], cr3 + ((va >> 39) & 0x1ff) * 8);
    const uint64_t *per_node = mmu_pte_loads_per_node(f->m, NULL);
    assert_int_equal(per_node[0], 1);
    assert_int_equal(per_node[1], 3);
    mmu_set_pte_load(f->m, NULL, NULL);
    mmu_flush_all(f->m);
    assert_int_equal(walk(f, &ctx, va, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 102);
    assert_int_equal(h.n, 4);
}

/* mmu_walk answers exactly as mmu_translate, with or without warm caches. */
static void test_matches_translate(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    map(f, cr3, 4, 0x400000, 0x6000, 12, INTER, PTE_P | PTE_US);                      /* read-only */
    map(f, cr3, 4, 0x401000, 0x7000, 12, INTER, PTE_P | PTE_RW);                      /* supervisor */
    map(f, cr3, 4, 0x402000, 0x8000, 12, INTER, PTE_P | PTE_US | PTE_NX);             /* NX */
    map(f, cr3, 4, 0x403000, 0x9000, 12, INTER, LEAF | PTE_G);                        /* global */
    map(f, cr3, 4, 0x40000000ull, 0x200000, 21, INTER, LEAF);                          /* 2M */
    map(f, cr3, 4, 0x8000000000ull, 0x40000000ull, 30, PTE_P | PTE_US, LEAF);          /* 1G, RO above */
    map(f, cr3, 4, 0x40200000ull, 0x400000 | 0x2000, 21, INTER, PTE_P | PTE_US);       /* reserved bits */
    const uint64_t vas[] = {0x400000, 0x401008, 0x402000, 0x403ff8, 0x404000, 0x40012345ull, 0x8000001000ull,
                            0x40200000ull, 0x0000800000000000ull, 0x7fffffff000ull};
    for (int pass = 0; pass < 2; pass++)
        for (int user = 0; user < 2; user++)
            for (int wp = 0; wp < 2; wp++)
                for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
                    for (int acc = MMU_READ; acc <= MMU_EXEC; acc++) {
                        mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = user, .wp = wp, .nxe = 1};
                        mmu_result_t r;
                        mmu_walk_result_t w;
                        int rc1 = mmu_translate(f->d, &ctx, vas[i], (enum mmu_access)acc, &r);
                        int rc2 = walk(f, &ctx, vas[i], (enum mmu_access)acc, &w);
                        assert_int_equal(rc1, rc2);
                        assert_int_equal(r.pf_error, w.r.pf_error);
                        if (rc1 == 0) {
                            assert_int_equal(r.pa, w.r.pa);
                            assert_int_equal(r.page_size, w.r.page_size);
                            assert_int_equal(r.writable, w.r.writable);
                            assert_int_equal(r.user, w.r.user);
                            assert_int_equal(r.executable, w.r.executable);
                            assert_int_equal(r.dirty, w.r.dirty);
                            assert_int_equal(r.global, w.r.global);
                            /* The walk's loads are the functional walk's last ones. */
                            int skip = r.nr_levels_read - w.r.nr_levels_read;
                            assert_true(skip >= 0);
                            for (int k = 0; k < w.r.nr_levels_read; k++)
                                assert_int_equal(w.r.pte_pa[k], r.pte_pa[k + skip]);
                        }
                        if (rc2 == -2)
                            assert_int_equal(w.cycles, 0);
                    }
    check(f->m);
}

/* The flow the CPU uses: TLB lookup, walk on a miss, fill, hit. */
static void test_tlb_and_walk(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    uint64_t va = 0x00007f00000a3000ull;
    map(f, cr3, 4, va, 0x123000, 12, INTER, LEAF | PTE_G);
    map(f, cr3, 4, 0x40000000ull, 0x600000, 21, INTER, PTE_P | PTE_US | PTE_NX);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    tlb_cfg_t tc;
    tlb_cfg_default(&tc);
    tlb_t *t = tlb_new(&tc, err, sizeof(err));
    assert_non_null(t);
    uint64_t total = 0;
    const uint64_t seq[] = {va + 8, va + 16, 0x40001000ull, 0x401ff000ull, va};
    const uint32_t want[] = {10 + 2 + 100, 1, 10 + 2 + 40 + 30 + 20, 1, 1};
    for (int i = 0; i < 5; i++) {
        tlb_result_t r;
        uint32_t cyc;
        if (tlb_lookup(t, TLB_LOAD, seq[i], ctx.pcid, &r) == TLB_MISS) {
            mmu_walk_result_t w;
            assert_int_equal(walk(f, &ctx, seq[i], MMU_READ, &w), 0);
            tlb_payload_t p;
            uint64_t page_pa = w.r.pa & ~(w.r.page_size - 1);
            enum tlb_size s = mmu_tlb_payload(&w.r, (uint64_t)(uintptr_t)dram_host(f->d, page_pa), &p);
            tlb_entry_t *e = tlb_fill(t, TLB_LOAD, seq[i], ctx.pcid, s, &p);
            assert_int_equal(tlb_entry_pa(e, seq[i]), w.r.pa);
            cyc = r.cycles + w.cycles;
        } else {
            cyc = r.cycles;
            uint8_t *h = (uint8_t *)(uintptr_t)(r.entry->host + (seq[i] & ((1ull << tlb_size_shift(tlb_entry_size(r.entry))) - 1)));
            mmu_result_t fr;
            assert_int_equal(mmu_translate(f->d, &ctx, seq[i], MMU_READ, &fr), 0);
            assert_ptr_equal(h, dram_host(f->d, fr.pa));
        }
        assert_int_equal(cyc, want[i]);
        total += cyc;
    }
    tlb_result_t r;
    assert_int_equal(tlb_lookup(t, TLB_LOAD, va, 9, &r), TLB_HIT_L1); /* global */
    assert_true(r.entry->flags & TLB_F_G);
    assert_true(r.entry->flags & TLB_F_W);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, 0x40000000ull, 0, &r), TLB_HIT_L1);
    assert_true(r.entry->flags & TLB_F_NX);
    assert_false(r.entry->flags & TLB_F_W);
    assert_int_equal(tlb_entry_size(r.entry), TLB_2M);
    assert_int_equal(tlb_stats(t)->dtlb_misses_4k, 1);
    assert_int_equal(tlb_stats(t)->dtlb_misses_2m, 1);
    assert_int_equal(mmu_stats(f->m)->walks, 2);
    assert_int_equal(total, 112 + 1 + 102 + 1 + 1);
    if (tlb_check(t, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    tlb_free(t);
}

static void test_noncanonical_and_config(void **state)
{
    fixture_t *f = *state;
    mmu_ctx_t ctx = {.cr3 = alloc_table(f), .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_walk_result_t w;
    assert_int_equal(mmu_walk(f->m, &ctx, 0x0000800000000000ull, MMU_READ, &w), -2);
    assert_int_equal(w.cycles, 0);
    assert_int_equal(w.nr_loads, 0);
    assert_int_equal(mmu_stats(f->m)->walks, 0);
    /* Kernel-half addresses are canonical and cached like the others. */
    uint64_t kva = 0xffff888000001000ull;
    map(f, ctx.cr3, 4, kva, 0x3000, 12, PTE_P | PTE_RW, PTE_P | PTE_RW);
    ctx.user = 0;
    assert_int_equal(walk(f, &ctx, kva, MMU_WRITE, &w), 0);
    assert_int_equal(walk(f, &ctx, kva, MMU_READ, &w), 0);
    assert_int_equal(w.pwc_level, MMU_PD);
    /* Bad geometry. */
    mmu_cfg_t c = test_cfg();
    c.pwc[MMU_PDPT].ways = 3;
    assert_null(mmu_new(&c, f->d, err, sizeof(err)));
    assert_non_null(strstr(err, "pwc_pdpte"));
    /* No caches at all: no lookup cost, every walk loads every level. */
    memset(c.pwc, 0, sizeof(c.pwc));
    mmu_t *m = mk_mmu(f, &c);
    assert_int_equal(mmu_walk(m, &ctx, kva, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 100);
    assert_int_equal(mmu_walk(m, &ctx, kva, MMU_READ, &w), 0);
    assert_int_equal(w.cycles, 100);
    assert_int_equal(mmu_stats(m)->pwc_misses, 0);
    check(m);
    mmu_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cold_walk_and_pwc_hits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_five_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_after_pwc_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ad_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pcid_and_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pte_load_hook_and_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matches_translate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tlb_and_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noncanonical_and_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
