/* Unit tests for huge pages in SE mode (emu/se_mm.c): transparent huge pages (se.thp modes,
 * madvise(MADV_HUGEPAGE/NOHUGEPAGE), 2 MiB first-touch faults, the fallback to 4 KiB pages when no
 * aligned run of frames is free, splitting by munmap/mprotect/madvise/mremap with the data kept,
 * whole-page operations) and MAP_HUGETLB mappings of 2 MiB and 1 GiB pages; every test ends with
 * the invariant checker (se_mm_check), which also counts deposited tables and page-table frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/se_testlib.h"

#define PG 4096ull
#define HP (2ull << 20)
#define GB (1ull << 30)
#define RW (SE_PROT_READ | SE_PROT_WRITE)
#define ANON (SE_MAP_PRIVATE | SE_MAP_ANONYMOUS)
#define MADV_DONTNEED 4
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
/* A 2 MiB-aligned place for test mappings, far from the program and the mmap area. */
#define BASE 0x40000000ull

typedef struct fx {
    char *dir;
    machine_t *m;
    se_proc_t *se;
} fx_t;

/* A machine of `mem` bytes per node with the test program loaded (as t_loaded, any size). */
static machine_t *loaded(int levels, const char *mem, char **dir)
{
    config_t cfg;
    char err[256];
    config_defaults(&cfg);
    if (config_set_kv(&cfg, "machine", "mem_per_node", mem, err, sizeof(err)) < 0 ||
        config_set_kv(&cfg, "machine", "paging_levels", levels == 5 ? "5" : "4", err, sizeof(err)) < 0)
        return NULL;
    machine_t *m = emu_new(&cfg, EMU_MODE_SE, err, sizeof(err));
    if (!m)
        return NULL;
    *dir = t_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/prog", *dir);
    elf_opts_t o = {0};
    t_write_elf(path, &o);
    char *argv[] = {path, NULL};
    emu_program_t p = {.path = path, .argc = 1, .argv = argv, .root = *dir};
    if (emu_load(m, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "emu_load: %s\n", err);
        emu_free(m);
        return NULL;
    }
    return m;
}

static int setup_with(void **state, int levels, const char *mem)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->m = loaded(levels, mem, &f->dir);
    assert_non_null(f->m);
    f->se = f->m->se;
    assert_int_equal(f->se->thp_mode, SE_THP_MADVISE); /* the default, as Debian's kernel */
    *state = f;
    return 0;
}
static int setup4(void **state) { return setup_with(state, 4, "16M"); }
static int setup5(void **state) { return setup_with(state, 5, "16M"); }
static int setup_big(void **state) { return setup_with(state, 4, "2G"); }

static void check(se_proc_t *se)
{
    char msg[256];
    if (se_mm_check(se, msg, sizeof(msg)) < 0)
        fail_msg("invariant: %s", msg);
}

static int teardown(void **state)
{
    fx_t *f = *state;
    if (f->m->se)
        check(f->m->se);
    emu_free(f->m);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void wr8(se_proc_t *se, uint64_t va, uint8_t v) { assert_int_equal(se_copy_out(se, va, &v, 1), 0); }
static uint8_t rd8(se_proc_t *se, uint64_t va)
{
    uint8_t v = 0xee;
    assert_int_equal(se_copy_in(se, &v, va, 1), 0);
    return v;
}

/* The page size mapping va (mmu_translate's), 0 when not mapped; *pa receives the address. */
static uint64_t page_size_of(se_proc_t *se, uint64_t va, uint64_t *pa)
{
    mmu_ctx_t ctx = se_mmu_ctx(se);
    mmu_result_t r;
    if (mmu_translate(se->dram, &ctx, va, MMU_READ, &r) != 0)
        return 0;
    if (pa)
        *pa = r.pa;
    return r.page_size;
}

/* Write a different byte in every 4 KiB page of [va, va + len): page k gets seed + k at offset
 * k % 4000. check_pages checks pages first .. first + n - 1 of such a fill now at va (it may have
 * moved). */
static void fill_pages(se_proc_t *se, uint64_t va, uint64_t len, uint8_t seed)
{
    for (uint64_t k = 0; k < len / PG; k++)
        wr8(se, va + k * PG + k % 4000, (uint8_t)(seed + k));
}
static void check_pages(se_proc_t *se, uint64_t va, uint64_t first, uint64_t n, uint8_t seed)
{
    for (uint64_t k = first; k < first + n; k++)
        if (rd8(se, va + k * PG + k % 4000) != (uint8_t)(seed + k))
            fail_msg("data of page 0x%llx lost", (unsigned long long)(va + k * PG));
}

static uint64_t live_frames(const se_proc_t *se) { return se->st.frames_allocated - se->st.frames_freed; }

/* An anonymous mapping of len bytes fixed at BASE. */
static void map_base(se_proc_t *se, uint64_t len)
{
    assert_int_equal(se_mmap(se, BASE, len, RW, ANON | SE_MAP_FIXED, -1, 0), (long)BASE);
}

/* madvise(MADV_HUGEPAGE) marks the range; a first touch maps a whole 2 MiB page there. */
static void test_thp_madvise_fault(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, 4 * HP);
    /* Without the advice (se.thp=madvise): 4 KiB pages. */
    wr8(se, BASE + 5, 1);
    assert_int_equal(page_size_of(se, BASE, NULL), PG);
    assert_int_equal(se->st.thp_faults, 0);
    /* The advice splits the VMA; the marked part gets huge pages. */
    int nv = se->nr_vmas;
    assert_int_equal(se_madvise(se, BASE + HP, 2 * HP, MADV_HUGEPAGE), 0);
    assert_int_equal(se->nr_vmas, nv + 2);
    assert_true(se_find_vma(se, BASE + HP)->flags & VMA_HUGEPAGE);
    assert_false(se_find_vma(se, BASE)->flags & VMA_HUGEPAGE);
    uint64_t live = live_frames(se), pt = se->st.page_table_pages, demand = se->st.demand_faults;
    assert_int_equal(t_touch(se, BASE + HP + 0x12345, MMU_WRITE), 0);
    assert_int_equal(se->st.thp_faults, 1);
    assert_int_equal(se->st.demand_faults, demand + 1);
    assert_int_equal(live_frames(se), live + 512 + 1); /* the page and its deposited table */
    assert_int_equal(se->st.page_table_pages, pt + 1);
    uint64_t pa = 0;
    assert_int_equal(page_size_of(se, BASE + HP + 0x12345, &pa), HP);
    assert_int_equal(pa & (HP - 1), 0x12345);
    assert_int_equal(dram_node_of(se->dram, pa), 0);
    /* One PDE with PS maps it; se_pte returns that leaf. */
    uint64_t size;
    uint64_t *pde = se_pte_size(se, BASE + HP + 7 * PG, 0, &size);
    assert_non_null(pde);
    assert_int_equal(size, HP);
    assert_int_equal(*pde & ~PTE_ADDR_MASK, PTE_P | PTE_RW | PTE_US | PTE_PS | PTE_SW_THP | PTE_NX | PTE_A | PTE_D);
    /* Zeroed, and every 4 KiB piece is there without further faults. */
    assert_int_equal(rd8(se, BASE + HP + HP - 1), 0);
    fill_pages(se, BASE + HP, HP, 3);
    check_pages(se, BASE + HP, 0, 512, 3);
    assert_int_equal(se->st.thp_faults, 1);
    assert_int_equal(se->st.demand_faults, demand + 1);
    /* The second 2 MiB of the advised range: another huge page. */
    wr8(se, BASE + 2 * HP, 9);
    assert_int_equal(se->st.thp_faults, 2);
    /* MADV_POPULATE_WRITE over a huge page: nothing more to do. */
    assert_int_equal(se_madvise(se, BASE + HP, 2 * HP, 23), 0);
    assert_int_equal(se->st.thp_faults, 2);
    /* MADV_NOHUGEPAGE: later faults use 4 KiB pages; what is mapped stays. */
    assert_int_equal(se_madvise(se, BASE + HP, 2 * HP, MADV_HUGEPAGE), 0); /* no change */
    assert_int_equal(se_madvise(se, BASE, 4 * HP, MADV_NOHUGEPAGE), 0);
    assert_int_equal(page_size_of(se, BASE + HP, NULL), HP);
    wr8(se, BASE + 3 * HP, 1);
    assert_int_equal(page_size_of(se, BASE + 3 * HP, NULL), PG);
    assert_int_equal(se->st.thp_faults, 2);
    check(se);
}

/* Only 2 MiB ranges wholly inside the VMA qualify; an unaligned VMA gets huge pages inside only. */
static void test_thp_alignment(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t a = BASE + HP - 3 * PG; /* [a, a + 2 MiB + 6 pages): one aligned 2 MiB range inside */
    assert_int_equal(se_mmap(se, a, HP + 6 * PG, RW, ANON | SE_MAP_FIXED, -1, 0), (long)a);
    assert_int_equal(se_madvise(se, a, HP + 6 * PG, MADV_HUGEPAGE), 0);
    wr8(se, a, 1);
    assert_int_equal(page_size_of(se, a, NULL), PG);
    wr8(se, a + HP + 5 * PG, 1);
    assert_int_equal(page_size_of(se, a + HP + 5 * PG, NULL), PG);
    assert_int_equal(se->st.thp_faults, 0);
    wr8(se, BASE + HP + 77, 1);
    assert_int_equal(page_size_of(se, BASE + HP, NULL), HP);
    assert_int_equal(se->st.thp_faults, 1);
    /* A range where 4 KiB pages are already mapped keeps using them. */
    assert_int_equal(se_munmap(se, BASE + HP, HP), 0);
    assert_int_equal(se_mmap(se, BASE + HP, HP, RW, ANON | SE_MAP_FIXED, -1, 0), (long)(BASE + HP));
    assert_int_equal(se_madvise(se, BASE + HP, HP, MADV_HUGEPAGE), 0);
    check(se);
    se->thp_mode = SE_THP_NEVER;
    wr8(se, BASE + HP + 5 * PG, 1);
    se->thp_mode = SE_THP_MADVISE;
    wr8(se, BASE + HP, 1);
    assert_int_equal(page_size_of(se, BASE + HP, NULL), PG);
    assert_int_equal(se->st.thp_faults, 1);
    check(se);
}

/* se.thp=always: every private anonymous mapping; never: none; files and shared memory: never. */
static void test_thp_modes(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, 3 * HP);
    se->thp_mode = SE_THP_ALWAYS;
    wr8(se, BASE + 10, 1);
    assert_int_equal(page_size_of(se, BASE, NULL), HP);
    assert_int_equal(se_madvise(se, BASE + HP, HP, MADV_NOHUGEPAGE), 0);
    wr8(se, BASE + HP, 1);
    assert_int_equal(page_size_of(se, BASE + HP, NULL), PG);
    /* Shared anonymous memory is shmem, whose huge pages Linux controls elsewhere: none here. */
    assert_int_equal(se_mmap(se, BASE + 4 * HP, HP, RW, SE_MAP_SHARED | SE_MAP_ANONYMOUS | SE_MAP_FIXED, -1, 0),
                     (long)(BASE + 4 * HP));
    wr8(se, BASE + 4 * HP, 1);
    assert_int_equal(page_size_of(se, BASE + 4 * HP, NULL), PG);
    /* never: not even with the advice. */
    se->thp_mode = SE_THP_NEVER;
    assert_int_equal(se_madvise(se, BASE + 2 * HP, HP, MADV_HUGEPAGE), 0);
    wr8(se, BASE + 2 * HP, 1);
    assert_int_equal(page_size_of(se, BASE + 2 * HP, NULL), PG);
    assert_int_equal(se->st.thp_faults, 1);
    check(se);
}

/* A private file mapping never gets transparent huge pages. */
static void test_thp_file(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    char path[600];
    snprintf(path, sizeof(path), "%s/data", f->dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < 3 << 20; i++)
        fputc('a' + i % 26, fp);
    fclose(fp);
    int hfd = open(path, O_RDONLY);
    se->fds[5] = (se_fd_t){.used = 1, .host = hfd, .own = 1, .path = strdup("/data")};
    se->thp_mode = SE_THP_ALWAYS;
    long m = se_mmap(se, BASE, 3 << 20, RW, SE_MAP_PRIVATE | SE_MAP_FIXED, 5, 0);
    assert_int_equal(m, (long)BASE);
    assert_int_equal(rd8(se, BASE + HP + 3), 'a' + (HP + 3) % 26);
    assert_int_equal(page_size_of(se, BASE + HP, NULL), PG);
    assert_int_equal(se->st.thp_faults, 0);
    check(se);
}

/* munmap of part of a huge page splits it: the rest keeps its frames and data. */
static void test_thp_split_munmap(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, 2 * HP);
    assert_int_equal(se_madvise(se, BASE, 2 * HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, 2 * HP, 1);
    assert_int_equal(se->st.thp_faults, 2);
    uint64_t pa0 = 0;
    assert_int_equal(page_size_of(se, BASE, &pa0), HP);
    uint64_t live = live_frames(se), pt = se->st.page_table_pages;
    assert_int_equal(se_munmap(se, BASE + 100 * PG, 2 * PG), 0);
    assert_int_equal(se->st.thp_splits, 1);
    /* Split into the deposited table: no new frame; two data frames freed. */
    assert_int_equal(live_frames(se), live - 2);
    assert_int_equal(se->st.page_table_pages, pt);
    assert_int_equal(page_size_of(se, BASE + 100 * PG, NULL), 0);
    assert_int_equal(t_touch(se, BASE + 101 * PG, MMU_READ), -1);
    for (uint64_t o = 0; o < HP; o += PG) {
        if (o == 100 * PG || o == 101 * PG)
            continue;
        uint64_t pa = 0;
        assert_int_equal(page_size_of(se, BASE + o, &pa), PG);
        assert_int_equal(pa, pa0 + o); /* the same frames */
    }
    uint64_t *pte = se_pte(se, BASE + 5 * PG, 0);
    assert_int_equal(*pte & ~PTE_ADDR_MASK, PTE_P | PTE_RW | PTE_US | PTE_NX | PTE_A | PTE_D);
    check_pages(se, BASE, 0, 100, 1);
    check_pages(se, BASE, 102, 512 - 102, 1);
    /* The other huge page is untouched. */
    assert_int_equal(page_size_of(se, BASE + HP, NULL), HP);
    check_pages(se, BASE, 512, 512, 1);
    /* Unmapping a whole huge page frees its 512 frames and its deposited table at once. */
    live = live_frames(se);
    pt = se->st.page_table_pages;
    assert_int_equal(se_munmap(se, BASE + HP, HP), 0);
    assert_int_equal(live_frames(se), live - 513);
    assert_int_equal(se->st.page_table_pages, pt - 1);
    assert_int_equal(se->st.thp_splits, 1);
    /* An unmap that ends inside a huge page splits it too. */
    map_base(se, 2 * HP);
    assert_int_equal(se_madvise(se, BASE, 2 * HP, MADV_HUGEPAGE), 0);
    wr8(se, BASE + HP + 3, 4);
    assert_int_equal(se_munmap(se, BASE, HP + PG), 0);
    assert_int_equal(se->st.thp_splits, 2);
    assert_int_equal(t_touch(se, BASE + HP + 3, MMU_READ), -1); /* gone with the unmapped page... */
    wr8(se, BASE + HP + PG, 5); /* ...and the rest is still mapped */
    assert_int_equal(page_size_of(se, BASE + HP + PG, NULL), PG);
    check(se);
}

/* mprotect: of part of a huge page splits it; of a whole one changes the PDE only. PROT_NONE
 * keeps the data. */
static void test_thp_mprotect(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, 2 * HP);
    assert_int_equal(se_madvise(se, BASE, 2 * HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, 2 * HP, 7);
    /* Whole page read-only: still one PDE, writes fault. */
    assert_int_equal(se_mprotect(se, BASE, HP, SE_PROT_READ), 0);
    assert_int_equal(se->st.thp_splits, 0);
    uint64_t size;
    uint64_t *pde = se_pte_size(se, BASE, 0, &size);
    assert_int_equal(size, HP);
    assert_false(*pde & PTE_RW);
    uint32_t pf;
    assert_int_equal(t_xlate(se, BASE + 8, MMU_WRITE, NULL, &pf), -1);
    assert_int_equal(pf, PF_P | PF_W | PF_U);
    assert_int_equal(se_handle_fault(se, BASE + 8, pf), 0);
    /* PROT_NONE and back: same frames, same data. */
    uint64_t pa0 = 0;
    assert_int_equal(page_size_of(se, BASE, &pa0), HP);
    assert_int_equal(se_mprotect(se, BASE, HP, 0), 0);
    assert_int_equal(t_xlate(se, BASE, MMU_READ, NULL, &pf), -1);
    assert_int_equal(pf & PF_P, 0);
    check(se);
    assert_int_equal(se_mprotect(se, BASE, HP, RW), 0);
    uint64_t pa1 = 0;
    assert_int_equal(page_size_of(se, BASE, &pa1), HP);
    assert_int_equal(pa1, pa0);
    check_pages(se, BASE, 0, 1024, 7);
    /* Part of the second huge page: split, the VMA too; permissions per 4 KiB page. */
    assert_int_equal(se_mprotect(se, BASE + HP + 10 * PG, 3 * PG, SE_PROT_READ), 0);
    assert_int_equal(se->st.thp_splits, 1);
    assert_int_equal(t_xlate(se, BASE + HP + 11 * PG, MMU_WRITE, NULL, NULL), -1);
    assert_int_equal(t_xlate(se, BASE + HP + 13 * PG, MMU_WRITE, NULL, NULL), 0);
    assert_int_equal(t_xlate(se, BASE + HP + 9 * PG, MMU_WRITE, NULL, NULL), 0);
    check_pages(se, BASE, 0, 1024, 7);
    /* A PROT_NONE huge page split by a partial mprotect keeps its frames too. */
    assert_int_equal(se_mprotect(se, BASE, HP, 0), 0);
    assert_int_equal(se_mprotect(se, BASE + 4 * PG, PG, SE_PROT_READ), 0);
    assert_int_equal(se->st.thp_splits, 2);
    assert_int_equal(rd8(se, BASE + 4 * PG + 4), (uint8_t)(7 + 4));
    assert_int_equal(t_xlate(se, BASE + 5 * PG, MMU_READ, NULL, NULL), -1);
    assert_int_equal(se_mprotect(se, BASE, HP, RW), 0);
    check_pages(se, BASE, 0, 1024, 7);
    check(se);
}

/* MADV_DONTNEED: part of a huge page splits it and zeroes only that part; a whole one is freed and
 * the next touch maps a fresh huge page. */
static void test_thp_dontneed(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, HP);
    assert_int_equal(se_madvise(se, BASE, HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, HP, 2);
    assert_int_equal(se_madvise(se, BASE + 7 * PG, 2 * PG, MADV_DONTNEED), 0);
    assert_int_equal(se->st.thp_splits, 1);
    assert_int_equal(rd8(se, BASE + 7 * PG + 7), 0);
    assert_int_equal(rd8(se, BASE + 8 * PG + 8), 0);
    check_pages(se, BASE, 0, 7, 2);
    check_pages(se, BASE, 9, 512 - 9, 2);
    /* The refaulted pages are small (a page table is there now). */
    assert_int_equal(page_size_of(se, BASE + 7 * PG, NULL), PG);
    /* Everything: the pages and the emptied table go; the range refaults huge. */
    assert_int_equal(se_madvise(se, BASE, HP, MADV_DONTNEED), 0);
    assert_int_equal(rd8(se, BASE + 12345), 0);
    assert_int_equal(page_size_of(se, BASE, NULL), HP);
    assert_int_equal(se->st.thp_faults, 2);
    fill_pages(se, BASE, HP, 3);
    uint64_t live = live_frames(se), pt = se->st.page_table_pages;
    assert_int_equal(se_madvise(se, BASE, HP, MADV_DONTNEED), 0);
    /* The page, its deposited table, and the tables it leaves empty (page directory...). */
    assert_true(pt - se->st.page_table_pages >= 2);
    assert_int_equal(live - live_frames(se), 512 + (pt - se->st.page_table_pages));
    assert_int_equal(se->st.thp_splits, 1);
    assert_int_equal(rd8(se, BASE + 3 * PG + 3), 0);
    check(se);
}

/* mremap: to a 2 MiB-aligned place the huge page moves whole (same frames); elsewhere it is split. */
static void test_thp_mremap(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, HP);
    assert_int_equal(se_madvise(se, BASE, HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, HP, 5);
    uint64_t pa0 = 0;
    assert_int_equal(page_size_of(se, BASE, &pa0), HP);
    uint64_t dst = BASE + 8 * HP;
    assert_int_equal(se_mremap(se, BASE, HP, HP, SE_MREMAP_MAYMOVE | SE_MREMAP_FIXED, dst), (long)dst);
    uint64_t pa1 = 0;
    assert_int_equal(page_size_of(se, dst, &pa1), HP);
    assert_int_equal(pa1, pa0);
    assert_int_equal(se->st.thp_splits, 0);
    assert_true(se_find_vma(se, dst)->flags & VMA_HUGEPAGE); /* the advice moves with the VMA */
    check_pages(se, dst, 0, 512, 5);
    /* To a place 4 KiB off alignment: split, same frames one by one. */
    uint64_t dst2 = BASE + 16 * HP + PG;
    assert_int_equal(se_mremap(se, dst, HP, HP, SE_MREMAP_MAYMOVE | SE_MREMAP_FIXED, dst2), (long)dst2);
    assert_int_equal(se->st.thp_splits, 1);
    uint64_t pa2 = 0;
    assert_int_equal(page_size_of(se, dst2 + 3 * PG, &pa2), PG);
    assert_int_equal(pa2, pa0 + 3 * PG);
    check_pages(se, dst2, 0, 512, 5);
    check(se);
    /* Shrinking in place to a size inside the huge page splits it. */
    map_base(se, HP);
    assert_int_equal(se_madvise(se, BASE, HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, HP, 6);
    assert_int_equal(se_mremap(se, BASE, HP, 10 * PG, 0, 0), (long)BASE);
    assert_int_equal(se->st.thp_splits, 2);
    check_pages(se, BASE, 0, 10, 6);
    check(se);
}

/* A VMA boundary created inside a huge page by mbind splits it (a huge page never straddles two
 * VMAs). */
static void test_thp_mbind_split(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, HP);
    assert_int_equal(se_madvise(se, BASE, HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, HP, 9);
    assert_int_equal(se_mbind(se, BASE + HP / 2, HP / 2, SE_MPOL_BIND, 0, &(se_nodemask_t){{1}}, 0), 0);
    assert_int_equal(se->st.thp_splits, 1);
    check_pages(se, BASE, 0, 512, 9);
    check(se);
    /* So does a partial MADV_NOHUGEPAGE (it splits the VMA). */
    map_base(se, 2 * HP);
    assert_int_equal(se_madvise(se, BASE, 2 * HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, 2 * HP, 10);
    assert_int_equal(se_madvise(se, BASE + 3 * PG, PG, MADV_NOHUGEPAGE), 0);
    assert_int_equal(se->st.thp_splits, 2);
    assert_int_equal(page_size_of(se, BASE + HP, NULL), HP);
    check_pages(se, BASE, 0, 1024, 10);
    check(se);
}

/* With no free 2 MiB-aligned run of frames the fault maps a 4 KiB page (se.thp_fallbacks). */
static void test_thp_fallback(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, 2 * HP);
    assert_int_equal(se_madvise(se, BASE, 2 * HP, MADV_HUGEPAGE), 0);
    /* Take every free frame, then give back all but one in every 2 MiB block. */
    uint64_t n = 0, cap = 8192;
    uint64_t *held = malloc(cap * sizeof(uint64_t));
    uint64_t pa = 0;
    while ((pa = se_frame_alloc(se)) != 0) {
        assert_true(n < cap);
        held[n++] = pa;
    }
    se->oom = 0;
    uint64_t kept = 0;
    for (uint64_t i = 0; i < n; i++) {
        if ((held[i] & (HP - 1)) == 0x1000)
            held[kept++] = held[i];
        else
            se_frame_free(se, held[i]);
    }
    assert_true(kept >= 6);
    assert_int_equal(se_frame_alloc_run(se, HP), 0);
    wr8(se, BASE + 3, 1);
    assert_int_equal(se->st.thp_fallbacks, 1);
    assert_int_equal(se->st.thp_faults, 0);
    assert_int_equal(page_size_of(se, BASE, NULL), PG);
    assert_false(se->oom);
    check(se);
    /* Room again: the other 2 MiB range gets its huge page. */
    for (uint64_t i = 0; i < kept; i++)
        se_frame_free(se, held[i]);
    free(held);
    wr8(se, BASE + HP + 3, 1);
    assert_int_equal(se->st.thp_faults, 1);
    assert_int_equal(page_size_of(se, BASE + HP, &pa), HP);
    check(se);
}

/* The allocator of aligned runs: lowest aligned free block, inside one node, zeroed. */
static void test_frame_runs(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t a = se_frame_alloc_run(se, HP);
    assert_true(a != 0);
    assert_int_equal(a & (HP - 1), 0);
    /* Every frame below a is in use (or holds a smaller allocation): a is the lowest free block. */
    uint64_t b = se_frame_alloc_run(se, HP);
    assert_int_equal(b, a + HP);
    memset(dram_host(se->dram, a), 0x5a, 64);
    uint64_t free0 = se->frames_free;
    se_frame_free_run(se, a, HP);
    assert_int_equal(se->frames_free, free0 + 512);
    assert_int_equal(se_frame_alloc_run(se, HP), a);
    for (int i = 0; i < 64; i++)
        assert_int_equal(dram_host(se->dram, a)[i], 0);
    /* Single frames fill the holes below first. */
    uint64_t s = se_frame_alloc(se);
    assert_true(s < a);
    se_frame_free(se, s);
    se_frame_free_run(se, a, HP);
    se_frame_free_run(se, b, HP);
    /* 16 MiB has no 1 GiB run. */
    assert_int_equal(se_frame_alloc_run(se, GB), 0);
    assert_false(se->oom);
}

/* MAP_HUGETLB, 2 MiB: aligned placement, length rounded up, one huge page per fault, never split. */
static void test_hugetlb_2m(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    long a = se_mmap(se, 0, 3 * PG, RW, ANON | SE_MAP_HUGETLB, -1, 0);
    assert_true(a > 0);
    assert_int_equal(a & (HP - 1), 0);
    se_vma_t *v = se_find_vma(se, (uint64_t)a);
    assert_int_equal(v->end - v->start, HP);
    assert_true(v->flags & VMA_HUGETLB_2M);
    uint64_t live = live_frames(se), pt = se->st.page_table_pages;
    wr8(se, (uint64_t)a + HP - 1, 3);
    assert_int_equal(se->st.hugetlb_faults, 1);
    assert_int_equal(se->st.thp_faults, 0);
    /* The page and the tables above it (new in this part of the address space); no deposit:
     * a MAP_HUGETLB page is never split. */
    assert_int_equal(live_frames(se) - live, 512 + (se->st.page_table_pages - pt));
    assert_int_equal(se->nr_deposit, 0);
    uint64_t size;
    uint64_t *pde = se_pte_size(se, (uint64_t)a, 0, &size);
    assert_int_equal(size, HP);
    assert_false(*pde & PTE_SW_THP);
    assert_int_equal(page_size_of(se, (uint64_t)a + 5, NULL), HP);
    /* Unaligned boundaries inside: EINVAL, as on Linux. */
    assert_int_equal(se_munmap(se, (uint64_t)a, PG), -EINVAL);
    assert_int_equal(se_mprotect(se, (uint64_t)a + PG, PG, SE_PROT_READ), -EINVAL);
    assert_int_equal(se_mbind(se, (uint64_t)a, PG, SE_MPOL_BIND, 0, &(se_nodemask_t){{1}}, 0), -EINVAL);
    assert_int_equal(se_madvise(se, (uint64_t)a + PG, PG, MADV_DONTNEED), -EINVAL);
    assert_int_equal(se_mremap(se, (uint64_t)a, HP, 2 * HP, SE_MREMAP_MAYMOVE, 0), -EINVAL);
    /* A DONTNEED shorter than the page rounds down to nothing; the whole page drops it. */
    assert_int_equal(se_madvise(se, (uint64_t)a, PG, MADV_DONTNEED), 0);
    assert_int_equal(rd8(se, (uint64_t)a + HP - 1), 3);
    assert_int_equal(se_madvise(se, (uint64_t)a, HP, MADV_DONTNEED), 0);
    assert_int_equal(rd8(se, (uint64_t)a + HP - 1), 0);
    assert_int_equal(se->st.hugetlb_faults, 2);
    /* Whole pages: mprotect and munmap work. */
    assert_int_equal(se_mprotect(se, (uint64_t)a, HP, SE_PROT_READ), 0);
    assert_int_equal(t_xlate(se, (uint64_t)a, MMU_WRITE, NULL, NULL), -1);
    check(se);
    live = live_frames(se);
    pt = se->st.page_table_pages;
    assert_int_equal(se_munmap(se, (uint64_t)a, HP), 0);
    assert_int_equal(live - live_frames(se), 512 + (pt - se->st.page_table_pages));
    /* Argument errors: an unknown size, a file, an unaligned fixed address. */
    assert_int_equal(se_mmap(se, 0, HP, RW, ANON | SE_MAP_HUGETLB | (22 << SE_MAP_HUGE_SHIFT), -1, 0), -EINVAL);
    assert_int_equal(se_mmap(se, 0, HP, RW, SE_MAP_PRIVATE | SE_MAP_HUGETLB, 0, 0), -EINVAL);
    assert_int_equal(se_mmap(se, BASE + PG, HP, RW, ANON | SE_MAP_HUGETLB | SE_MAP_FIXED, -1, 0), -EINVAL);
    /* MAP_HUGE_2MB explicitly, at a fixed place; MAP_POPULATE faults it in. */
    assert_int_equal(se_mmap(se, BASE, 2 * HP, RW, ANON | SE_MAP_HUGETLB | SE_MAP_FIXED | SE_MAP_POPULATE |
                                                     (21 << SE_MAP_HUGE_SHIFT), -1, 0),
                     (long)BASE);
    assert_int_equal(se->st.hugetlb_faults, 4);
    /* Running out of aligned runs: the fault fails with SIGBUS. */
    long big = se_mmap(se, 0, 16 * HP, RW, ANON | SE_MAP_HUGETLB, -1, 0);
    assert_true(big > 0);
    uint64_t i = 0;
    while (i < 16 && se_handle_fault(se, (uint64_t)big + i * HP, PF_U | PF_W))
        i++;
    assert_true(i < 16);
    assert_true(se->fault_sigbus);
    assert_false(se->oom);
    check(se);
}

/* MAP_HUGETLB | MAP_HUGE_1GB: a 1 GiB page, one PDPTE with PS. */
static void test_hugetlb_1g(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    long a = se_mmap(se, 0, PG, RW, ANON | SE_MAP_HUGETLB | (30 << SE_MAP_HUGE_SHIFT), -1, 0);
    assert_true(a > 0);
    assert_int_equal(a & (GB - 1), 0);
    wr8(se, (uint64_t)a + GB - 1, 0x42);
    wr8(se, (uint64_t)a + 12345, 0x43);
    assert_int_equal(se->st.hugetlb_faults, 1);
    uint64_t pa = 0;
    assert_int_equal(page_size_of(se, (uint64_t)a + 12345, &pa), GB);
    assert_int_equal(pa & (GB - 1), 12345);
    assert_int_equal(rd8(se, (uint64_t)a + GB - 1), 0x42);
    check(se);
    assert_int_equal(se_munmap(se, (uint64_t)a + HP, HP), -EINVAL);
    uint64_t live = live_frames(se), pt = se->st.page_table_pages;
    assert_int_equal(se_munmap(se, (uint64_t)a, GB), 0);
    assert_int_equal(live - live_frames(se), (GB >> 12) + (pt - se->st.page_table_pages));
    /* THP on the big machine, at the same time. */
    map_base(se, 4 * HP);
    assert_int_equal(se_madvise(se, BASE, 4 * HP, MADV_HUGEPAGE), 0);
    fill_pages(se, BASE, 4 * HP, 1);
    assert_int_equal(se->st.thp_faults, 4);
    check(se);
}

/* 5-level paging: the same huge pages, one more table level above. */
static void test_thp_five_level(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    assert_int_equal(se->levels, 5);
    uint64_t hi = 1ull << 52;
    assert_int_equal(se_mmap(se, hi, 2 * HP, RW, ANON | SE_MAP_FIXED, -1, 0), (long)hi);
    assert_int_equal(se_madvise(se, hi, 2 * HP, MADV_HUGEPAGE), 0);
    fill_pages(se, hi, 2 * HP, 4);
    assert_int_equal(page_size_of(se, hi + HP + 5, NULL), HP);
    assert_int_equal(se->st.thp_faults, 2);
    assert_int_equal(se_munmap(se, hi + PG, PG), 0);
    check_pages(se, hi, 2, 1022, 4);
    check(se);
    assert_int_equal(se_munmap(se, hi, 2 * HP), 0);
    uint64_t *pml5 = (uint64_t *)(void *)dram_host(se->dram, se->cr3);
    assert_false(pml5[(hi >> 48) & 511] & PTE_P); /* every emptied table was freed */
    check(se);
}

/* The checker notices a lost deposit and a miscounted table. */
static void test_check_catches(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    map_base(se, HP);
    assert_int_equal(se_madvise(se, BASE, HP, MADV_HUGEPAGE), 0);
    wr8(se, BASE, 1);
    char msg[256];
    assert_int_equal(se_mm_check(se, msg, sizeof(msg)), 0);
    se->nr_deposit--;
    assert_int_equal(se_mm_check(se, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "deposited"));
    se->nr_deposit++;
    se->st.page_table_pages++;
    assert_int_equal(se_mm_check(se, msg, sizeof(msg)), -1);
    se->st.page_table_pages--;
    uint64_t *pde = se_pte(se, BASE, 0);
    *pde &= ~PTE_NX;
    assert_int_equal(se_mm_check(se, msg, sizeof(msg)), -1);
    *pde |= PTE_NX;
    check(se);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_thp_madvise_fault, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_alignment, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_modes, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_file, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_split_munmap, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_mprotect, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_dontneed, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_mremap, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_mbind_split, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_thp_fallback, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_frame_runs, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_hugetlb_2m, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_hugetlb_1g, setup_big, teardown),
        cmocka_unit_test_setup_teardown(test_thp_five_level, setup5, teardown),
        cmocka_unit_test_setup_teardown(test_check_catches, setup4, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
