/* Unit tests for mmu/: hand-built 4- and 5-level page tables, page sizes, permissions, A/D bits
 * and #PF error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dram/dram.h"
#include "mmu/mmu.h"
#include "tests/unit/pt_build.h"

typedef struct fixture {
    dram_t *d;
    uint64_t next; /* next free frame for tables */
} fixture_t;

static uint64_t alloc_table(fixture_t *f) { return pt_alloc_table(f->d, &f->next); }
static uint64_t rd(fixture_t *f, uint64_t pa) { return pt_rd(f->d, pa); }
static void map(fixture_t *f, uint64_t cr3, int levels, uint64_t va, uint64_t pa, int leaf_shift,
                uint64_t inter_flags, uint64_t leaf_flags)
{
    pt_map(f->d, &f->next, cr3, levels, va, pa, leaf_shift, inter_flags, leaf_flags);
}

static int setup(void **state)
{
    static fixture_t f;
    dram_cfg_t cfg = {.nr_nodes = 1};
    cfg.nodes[0].size = 64 << 20;
    char err[128];
    f.d = dram_new(&cfg, err, sizeof(err));
    f.next = 32 << 20;
    *state = &f;
    return f.d ? 0 : -1;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    dram_free(f->d);
    return 0;
}

static void test_4k_walk_and_ad_bits(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    uint64_t va = 0x00007f1234567000ull;
    map(f, cr3, 4, va, 0x5000, 12, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | PTE_US);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_result_t r;
    assert_int_equal(mmu_translate(f->d, &ctx, va + 0x123, MMU_READ, &r), 0);
    assert_int_equal(r.pa, 0x5123);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(r.nr_levels_read, 4);
    uint64_t leaf = rd(f, r.pte_pa[3]);
    assert_true(leaf & PTE_A);
    assert_false(leaf & PTE_D);
    assert_int_equal(mmu_translate(f->d, &ctx, va, MMU_WRITE, &r), 0);
    assert_true(rd(f, r.pte_pa[3]) & PTE_D);
    assert_true(rd(f, r.pte_pa[0]) & PTE_A);
    assert_false(rd(f, r.pte_pa[0]) & PTE_D); /* D only on the leaf */

    /* Not present: error code has no P bit; user and write bits as the access. */
    assert_int_equal(mmu_translate(f->d, &ctx, va + 0x1000, MMU_WRITE, &r), -1);
    assert_int_equal(r.pf_error, PF_W | PF_U);
    /* Non-canonical. */
    assert_int_equal(mmu_translate(f->d, &ctx, 0x0000800000000000ull, MMU_READ, &r), -2);
}

static void test_permissions(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_result_t r;
    /* Read-only user page. */
    map(f, cr3, 4, 0x400000, 0x6000, 12, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_US);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x400000, MMU_READ, &r), 0);
    assert_false(r.writable);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x400000, MMU_WRITE, &r), -1);
    assert_int_equal(r.pf_error, PF_P | PF_W | PF_U);
    /* Supervisor write to a read-only page: faults with CR0.WP, allowed without. */
    ctx.user = 0;
    assert_int_equal(mmu_translate(f->d, &ctx, 0x400000, MMU_WRITE, &r), -1);
    assert_int_equal(r.pf_error, PF_P | PF_W);
    ctx.wp = 0;
    assert_int_equal(mmu_translate(f->d, &ctx, 0x400000, MMU_WRITE, &r), 0);
    ctx.user = 1;
    ctx.wp = 1;
    /* Supervisor-only page (U/S clear at the leaf). */
    map(f, cr3, 4, 0x401000, 0x7000, 12, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x401000, MMU_READ, &r), -1);
    assert_int_equal(r.pf_error, PF_P | PF_U);
    /* NX: no fetch, with I in the error code. */
    map(f, cr3, 4, 0x402000, 0x8000, 12, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_US | PTE_NX);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x402000, MMU_READ, &r), 0);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x402000, MMU_EXEC, &r), -1);
    assert_int_equal(r.pf_error, PF_P | PF_U | PF_I);
    /* Without EFER.NXE, bit 63 is reserved. */
    ctx.nxe = 0;
    assert_int_equal(mmu_translate(f->d, &ctx, 0x402000, MMU_READ, &r), -1);
    assert_int_equal(r.pf_error, PF_P | PF_U | PF_RSVD);
    ctx.nxe = 1;
    /* A failed access sets no accessed bit. */
    map(f, cr3, 4, 0x403000, 0x9000, 12, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_US);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x403000, MMU_WRITE, &r), -1);
    assert_false(rd(f, r.pte_pa[3]) & PTE_A);
}

static void test_large_pages(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 4, .user = 1, .wp = 1, .nxe = 1};
    mmu_result_t r;
    map(f, cr3, 4, 0x40000000ull, 0x200000, 21, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | PTE_US);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x40000000ull + 0x12345, MMU_READ, &r), 0);
    assert_int_equal(r.pa, 0x212345);
    assert_int_equal(r.page_size, 2 << 20);
    assert_int_equal(r.nr_levels_read, 3);
    /* A 1 GiB page. */
    map(f, cr3, 4, 0x8000000000ull, 0x40000000ull, 30, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | PTE_US);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x8000000000ull + 0x3456789, MMU_READ, &r), 0);
    assert_int_equal(r.pa, 0x43456789ull);
    assert_int_equal(r.page_size, 1 << 30);
    assert_int_equal(r.nr_levels_read, 2);
    /* A 2 MiB PDE with reserved bits 20:13 set faults with RSVD. */
    map(f, cr3, 4, 0x40200000ull, 0x400000 | 0x2000, 21, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_US);
    assert_int_equal(mmu_translate(f->d, &ctx, 0x40200000ull, MMU_READ, &r), -1);
    assert_true(r.pf_error & PF_RSVD);
}

static void test_five_level(void **state)
{
    fixture_t *f = *state;
    uint64_t cr3 = alloc_table(f);
    mmu_ctx_t ctx = {.cr3 = cr3, .levels = 5, .user = 1, .wp = 1, .nxe = 1};
    mmu_result_t r;
    uint64_t va = 0x00ff123456789000ull; /* above 47 bits: only reachable with LA57 */
    map(f, cr3, 5, va, 0xa000, 12, PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | PTE_US);
    assert_int_equal(mmu_translate(f->d, &ctx, va + 8, MMU_WRITE, &r), 0);
    assert_int_equal(r.pa, 0xa008);
    assert_int_equal(r.nr_levels_read, 5);
    assert_true(mmu_canonical(va, 5));
    assert_false(mmu_canonical(va, 4));
    ctx.levels = 4;
    assert_int_equal(mmu_translate(f->d, &ctx, va, MMU_READ, &r), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_4k_walk_and_ad_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_five_level, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
