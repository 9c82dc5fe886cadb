/* Unit tests for emu/se_mm.c: the frame allocator, page tables built in guest memory (checked
 * through mmu_translate, 4 and 5 levels), VMAs, demand paging and the memory system calls with
 * their edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/se_testlib.h"

#define PG 4096ull
#define RW (SE_PROT_READ | SE_PROT_WRITE)
#define ANON (SE_MAP_PRIVATE | SE_MAP_ANONYMOUS)

typedef struct fx {
    char *dir;
    machine_t *m;
    se_proc_t *se;
} fx_t;

static int setup_levels(void **state, int levels)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->m = t_loaded(levels, &f->dir);
    assert_non_null(f->m);
    f->se = f->m->se;
    *state = f;
    return 0;
}
static int setup4(void **state) { return setup_levels(state, 4); }
static int setup5(void **state) { return setup_levels(state, 5); }

static int teardown(void **state)
{
    fx_t *f = *state;
    char msg[256];
    if (f->m->se && se_mm_check(f->m->se, msg, sizeof(msg)) < 0)
        fail_msg("invariant: %s", msg);
    emu_free(f->m);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void check(se_proc_t *se)
{
    char msg[256];
    if (se_mm_check(se, msg, sizeof(msg)) < 0)
        fail_msg("invariant: %s", msg);
}

static void wr8(se_proc_t *se, uint64_t va, uint8_t v) { assert_int_equal(se_copy_out(se, va, &v, 1), 0); }
static uint8_t rd8(se_proc_t *se, uint64_t va)
{
    uint8_t v = 0xee;
    assert_int_equal(se_copy_in(se, &v, va, 1), 0);
    return v;
}

static void test_frames(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    /* Lowest free first, frame 0 never handed out, a freed frame is the next one reused. */
    uint64_t a = se_frame_alloc(se), b = se_frame_alloc(se);
    assert_true(a != 0 && b == a + PG);
    assert_int_equal(dram_node_of(se->dram, a), 0);
    uint64_t freed = se->st.frames_freed;
    se_frame_free(se, a);
    assert_int_equal(se->st.frames_freed, freed + 1);
    assert_int_equal(se_frame_alloc(se), a);
    /* A fresh frame reads as zero even if it held data. */
    memset(dram_host(se->dram, b), 0x5a, PG);
    se_frame_free(se, b);
    uint64_t c = se_frame_alloc(se);
    assert_int_equal(c, b);
    for (int i = 0; i < (int)PG; i++)
        assert_int_equal(dram_host(se->dram, c)[i], 0);
    se_frame_free(se, a);
    se_frame_free(se, c);
    /* Exhaustion: 16 MiB is 4096 frames. */
    uint64_t n = 0;
    while (se_frame_alloc(se))
        n++;
    assert_true(se->oom);
    assert_true(n > 3900 && n < 4096);
    assert_int_equal(se->frames_free, 0);
    se->oom = 0;
}

static void test_mmap_demand(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t pt0 = se->st.page_table_pages;
    long a = se_mmap(se, 0, 3 * PG, RW, ANON, -1, 0);
    assert_true(a > 0);
    assert_int_equal(a & 0xfff, 0);
    assert_true((uint64_t)a + 3 * PG <= se->mmap_base);
    /* Nothing is mapped before the first touch. */
    uint32_t pf;
    assert_int_equal(t_xlate(se, (uint64_t)a, MMU_READ, NULL, &pf), -1);
    assert_int_equal(pf, PF_U);
    assert_int_equal(se->st.page_table_pages, pt0);
    uint64_t faults = se->st.demand_faults;
    assert_int_equal(se_handle_fault(se, (uint64_t)a + 5, PF_U | PF_W), 1);
    assert_int_equal(se->st.demand_faults, faults + 1);
    /* 3 new tables (PDPT, PD, PT) for a fresh region of the mmap area. */
    assert_int_equal(se->st.page_table_pages, pt0 + 3);
    uint64_t pa;
    assert_int_equal(t_xlate(se, (uint64_t)a + 5, MMU_WRITE, &pa, NULL), 0);
    assert_int_equal(pa & 0xfff, 5);
    assert_int_equal(dram_node_of(se->dram, pa), 0);
    /* Leaf bits: P|US|RW|NX, A and D set by the walk. */
    uint64_t *pte = se_pte(se, (uint64_t)a, 0);
    assert_non_null(pte);
    assert_int_equal(*pte & ~PTE_ADDR_MASK, PTE_P | PTE_RW | PTE_US | PTE_NX | PTE_A | PTE_D);
    assert_int_equal(t_xlate(se, (uint64_t)a, MMU_EXEC, NULL, &pf), -1);
    assert_int_equal(pf, PF_P | PF_U | PF_I);
    assert_int_equal(se_handle_fault(se, (uint64_t)a, pf), 0);
    /* Contents start zeroed. */
    assert_int_equal(rd8(se, (uint64_t)a + 2 * PG + 7), 0);
    /* Outside any VMA: not resolved. */
    uint64_t segv = se->st.segv_faults;
    assert_int_equal(se_handle_fault(se, (uint64_t)a + 3 * PG, PF_U), 0);
    assert_int_equal(se->st.segv_faults, segv + 1);
    assert_int_equal(se_copy_in(se, &pa, (uint64_t)a + 3 * PG - 4, 8), -EFAULT);
    check(se);
}

static void test_mmap_placement(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    long a = se_mmap(se, 0, PG, RW, ANON, -1, 0);
    long b = se_mmap(se, 0, PG, RW, ANON, -1, 0);
    /* Top-down: the second mapping is right below the first, and they merge into one VMA. */
    assert_int_equal(b, a - (long)PG);
    int nv = se->nr_vmas;
    assert_int_equal(se_find_vma(se, (uint64_t)a), se_find_vma(se, (uint64_t)b));
    /* A free hint is honoured (rounded up to a page). */
    long h = se_mmap(se, 0x10000001, PG, RW, ANON, -1, 0);
    assert_int_equal(h, 0x10001000);
    /* An occupied hint is not. */
    long h2 = se_mmap(se, 0x10001000, PG, RW, ANON, -1, 0);
    assert_true(h2 > 0 && h2 != 0x10001000);
    /* A hint above 47 bits with 4-level paging is ignored. */
    long h3 = se_mmap(se, 1ull << 50, PG, RW, ANON, -1, 0);
    assert_true(h3 > 0 && (uint64_t)h3 < SE_TASK_SIZE);
    /* MAP_FIXED_NOREPLACE refuses an occupied range; MAP_FIXED replaces it. */
    assert_int_equal(se_mmap(se, 0x10001000, PG, RW, ANON | SE_MAP_FIXED_NOREPLACE, -1, 0), -EEXIST);
    wr8(se, 0x10001000, 9);
    uint64_t freed = se->st.frames_freed;
    assert_int_equal(se_mmap(se, 0x10001000, PG, SE_PROT_READ, ANON | SE_MAP_FIXED, -1, 0), 0x10001000);
    assert_true(se->st.frames_freed > freed);
    assert_int_equal(rd8(se, 0x10001000), 0);
    assert_int_equal(t_touch(se, 0x10001000, MMU_WRITE), -1);
    /* Argument errors. */
    assert_int_equal(se_mmap(se, 0, 0, RW, ANON, -1, 0), -EINVAL);
    assert_int_equal(se_mmap(se, 0, PG, RW, SE_MAP_ANONYMOUS, -1, 0), -EINVAL);
    assert_int_equal(se_mmap(se, 0x10000800, PG, RW, ANON | SE_MAP_FIXED, -1, 0), -EINVAL);
    assert_int_equal(se_mmap(se, 0, PG, RW, ANON, -1, 123), -EINVAL);
    assert_int_equal(se_mmap(se, 0, 1ull << 62, RW, ANON, -1, 0), -ENOMEM);
    assert_int_equal(se_mmap(se, 0x1000, PG, RW, ANON | SE_MAP_FIXED, -1, 0), -EPERM);
    assert_int_equal(se_mmap(se, SE_TASK_SIZE, PG, RW, ANON | SE_MAP_FIXED, -1, 0), -ENOMEM);
    assert_int_equal(se_mmap(se, 0, PG, RW, SE_MAP_PRIVATE, 77, 0), -EBADF);
    assert_int_equal(se_mmap(se, 0, PG, RW, ANON | SE_MAP_HUGETLB | (25 << SE_MAP_HUGE_SHIFT), -1, 0), -EINVAL);
    /* MAP_32BIT lands in [1 GiB, 2 GiB). */
    long l = se_mmap(se, 0, PG, RW, ANON | SE_MAP_32BIT, -1, 0);
    assert_true(l >= 0x40000000 && l < 0x80000000);
    (void)nv;
    check(se);
}

static void test_munmap(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t pt0 = se->st.page_table_pages;
    int nv0 = se->nr_vmas;
    uint64_t a = (uint64_t)se_mmap(se, 0, 5 * PG, RW, ANON, -1, 0);
    for (int i = 0; i < 5; i++)
        wr8(se, a + (uint64_t)i * PG, (uint8_t)(i + 1));
    assert_int_equal(se->nr_vmas, nv0 + 1);
    /* Unmapping the middle page splits the VMA. */
    assert_int_equal(se_munmap(se, a + 2 * PG, PG), 0);
    assert_int_equal(se->nr_vmas, nv0 + 2);
    assert_int_equal(t_xlate(se, a + 2 * PG, MMU_READ, NULL, NULL), -1);
    assert_int_equal(t_touch(se, a + 2 * PG, MMU_READ), -1);
    assert_int_equal(rd8(se, a + 3 * PG), 4);
    assert_int_equal(rd8(se, a + PG), 2);
    /* Unmapping a hole is fine; bad arguments are not. */
    assert_int_equal(se_munmap(se, a + 2 * PG, PG), 0);
    assert_int_equal(se_munmap(se, a + 1, PG), -EINVAL);
    assert_int_equal(se_munmap(se, a, 0), -EINVAL);
    assert_int_equal(se_munmap(se, SE_TASK_SIZE - PG, 2 * PG), -EINVAL);
    /* Unmapping everything frees the frames and the page tables that became empty. */
    uint64_t live = se->st.frames_allocated - se->st.frames_freed;
    assert_int_equal(se_munmap(se, a, 5 * PG + 3), 0);
    assert_int_equal(se->nr_vmas, nv0);
    assert_int_equal(se->st.frames_allocated - se->st.frames_freed, live - 4 - 3);
    assert_int_equal(se->st.page_table_pages, pt0);
    check(se);
}

static void test_mprotect(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t a = (uint64_t)se_mmap(se, 0, 4 * PG, RW, ANON, -1, 0);
    wr8(se, a + PG, 0x77);
    uint64_t pa0;
    assert_int_equal(t_xlate(se, a + PG, MMU_READ, &pa0, NULL), 0);
    /* Read-only: reads work, writes fault with P|W|U and are not resolved. */
    assert_int_equal(se_mprotect(se, a + PG, PG, SE_PROT_READ), 0);
    assert_int_equal(se->nr_vmas >= 3, 1);
    uint32_t pf;
    assert_int_equal(t_xlate(se, a + PG, MMU_WRITE, NULL, &pf), -1);
    assert_int_equal(pf, PF_P | PF_W | PF_U);
    assert_int_equal(se_handle_fault(se, a + PG, pf), 0);
    assert_int_equal(rd8(se, a + PG), 0x77);
    assert_int_equal(se_copy_out(se, a + PG, "x", 1), -EFAULT);
    /* PROT_NONE keeps the frame; PROT_READ|WRITE|EXEC brings the same data back. */
    assert_int_equal(se_mprotect(se, a + PG, PG, 0), 0);
    assert_int_equal(t_xlate(se, a + PG, MMU_READ, NULL, &pf), -1);
    assert_int_equal(pf & PF_P, 0);
    assert_int_equal(se_handle_fault(se, a + PG, PF_U), 0);
    assert_int_equal(se_mprotect(se, a + PG, PG, RW | SE_PROT_EXEC), 0);
    uint64_t pa1;
    assert_int_equal(t_xlate(se, a + PG, MMU_EXEC, &pa1, NULL), 0);
    assert_int_equal(pa1, pa0);
    assert_int_equal(rd8(se, a + PG), 0x77);
    /* Back to RW everywhere: the VMAs merge again. */
    int nv = se->nr_vmas;
    assert_int_equal(se_mprotect(se, a, 4 * PG, RW), 0);
    assert_int_equal(se->nr_vmas, nv - 2);
    /* Errors. */
    assert_int_equal(se_mprotect(se, a + 1, PG, RW), -EINVAL);
    assert_int_equal(se_mprotect(se, a, PG, 0x100), -EINVAL);
    assert_int_equal(se_mprotect(se, a, 5 * PG, RW), -ENOMEM); /* runs into a hole */
    assert_int_equal(se_mprotect(se, a, 0, RW), 0);
    check(se);
}

static void test_mremap(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t a = (uint64_t)se_mmap(se, 0x20000000, 2 * PG, RW, ANON, -1, 0);
    assert_int_equal(a, 0x20000000);
    wr8(se, a, 1);
    wr8(se, a + PG, 2);
    uint64_t pa0;
    assert_int_equal(t_xlate(se, a, MMU_READ, &pa0, NULL), 0);
    /* Grow in place. */
    assert_int_equal(se_mremap(se, a, 2 * PG, 4 * PG, 0, 0), (long)a);
    wr8(se, a + 3 * PG, 4);
    /* Blocked: without MAYMOVE, ENOMEM; with it, the pages move (same frames). */
    assert_int_equal(se_mmap(se, a + 4 * PG, PG, RW, ANON | SE_MAP_FIXED, -1, 0), (long)(a + 4 * PG));
    assert_int_equal(se_mremap(se, a, 4 * PG, 8 * PG, 0, 0), -ENOMEM);
    long b = se_mremap(se, a, 4 * PG, 8 * PG, SE_MREMAP_MAYMOVE, 0);
    assert_true(b > 0 && (uint64_t)b != a);
    uint64_t pa1;
    assert_int_equal(t_xlate(se, (uint64_t)b, MMU_READ, &pa1, NULL), 0);
    assert_int_equal(pa1, pa0);
    assert_int_equal(rd8(se, (uint64_t)b), 1);
    assert_int_equal(rd8(se, (uint64_t)b + PG), 2);
    assert_int_equal(rd8(se, (uint64_t)b + 3 * PG), 4);
    assert_int_equal(rd8(se, (uint64_t)b + 7 * PG), 0);
    assert_int_equal(t_touch(se, a, MMU_READ), -1); /* the old range is gone */
    /* Shrink. */
    assert_int_equal(se_mremap(se, (uint64_t)b, 8 * PG, 2 * PG, 0, 0), b);
    assert_int_equal(t_touch(se, (uint64_t)b + 2 * PG, MMU_READ), -1);
    /* MREMAP_FIXED to a chosen place, replacing what is there. */
    assert_int_equal(se_mremap(se, (uint64_t)b, 2 * PG, 2 * PG, SE_MREMAP_MAYMOVE | SE_MREMAP_FIXED, a + 4 * PG),
                     (long)(a + 4 * PG));
    assert_int_equal(rd8(se, a + 5 * PG), 2);
    /* DONTUNMAP leaves the old range mapped and empty. */
    long d = se_mremap(se, a + 4 * PG, 2 * PG, 2 * PG, SE_MREMAP_MAYMOVE | SE_MREMAP_DONTUNMAP, 0);
    assert_true(d > 0);
    assert_int_equal(rd8(se, (uint64_t)d), 1);
    assert_int_equal(rd8(se, a + 4 * PG), 0);
    /* Errors. */
    assert_int_equal(se_mremap(se, 0x30000000, PG, 2 * PG, SE_MREMAP_MAYMOVE, 0), -EFAULT);
    assert_int_equal(se_mremap(se, a + 4 * PG + 1, PG, 2 * PG, SE_MREMAP_MAYMOVE, 0), -EINVAL);
    assert_int_equal(se_mremap(se, a + 4 * PG, PG, 2 * PG, SE_MREMAP_FIXED, a), -EINVAL);
    assert_int_equal(se_mremap(se, a + 4 * PG, PG, 0, 0, 0), -EINVAL);
    assert_int_equal(se_mremap(se, a + 4 * PG, 3 * PG, 4 * PG, SE_MREMAP_MAYMOVE, 0), -EFAULT); /* spans VMAs */
    check(se);
}

static void test_madvise_and_files(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t a = (uint64_t)se_mmap(se, 0, 2 * PG, RW, ANON, -1, 0);
    wr8(se, a + 10, 5);
    uint64_t live = se->st.frames_allocated - se->st.frames_freed;
    assert_int_equal(se_madvise(se, a, 2 * PG, 4 /* DONTNEED */), 0);
    assert_true(se->st.frames_allocated - se->st.frames_freed < live);
    assert_int_equal(rd8(se, a + 10), 0);
    assert_int_equal(se_madvise(se, a, PG, 3 /* WILLNEED */), 0);
    assert_int_equal(se_madvise(se, a, PG, 999), -EINVAL);
    assert_int_equal(se_madvise(se, a + 1, PG, 4), -EINVAL);
    assert_int_equal(se_madvise(se, a, 3 * PG, 4), -ENOMEM); /* part of the range is not mapped */

    /* A private file mapping: file content on first touch, private writes, content again after
     * DONTNEED, SIGBUS for a page wholly beyond the end of the file. */
    char path[600];
    snprintf(path, sizeof(path), "%s/data", f->dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < 5000; i++)
        fputc('a' + i % 26, fp);
    fclose(fp);
    int hfd = open(path, O_RDONLY);
    int gfd = 5;
    se->fds[gfd] = (se_fd_t){.used = 1, .host = hfd, .own = 1, .path = strdup("/data")};
    long m = se_mmap(se, 0, 3 * PG, SE_PROT_READ | SE_PROT_WRITE, SE_MAP_PRIVATE, gfd, 0);
    assert_true(m > 0);
    assert_int_equal(rd8(se, (uint64_t)m), 'a');
    assert_int_equal(rd8(se, (uint64_t)m + 4097), 'a' + 4097 % 26);
    assert_int_equal(rd8(se, (uint64_t)m + 5000), 0); /* end of the last partial page */
    wr8(se, (uint64_t)m, 'Z');
    assert_int_equal(rd8(se, (uint64_t)m), 'Z');
    assert_int_equal(se_madvise(se, (uint64_t)m, PG, 4), 0);
    assert_int_equal(rd8(se, (uint64_t)m), 'a');
    assert_int_equal(se_handle_fault(se, (uint64_t)m + 2 * PG, PF_U), 0);
    assert_true(se->fault_sigbus);
    /* Offset mappings and the shared/read-only rules. */
    long m2 = se_mmap(se, 0, PG, SE_PROT_READ, SE_MAP_PRIVATE, gfd, PG);
    assert_int_equal(rd8(se, (uint64_t)m2), 'a' + 4096 % 26);
    assert_int_equal(se_mmap(se, 0, PG, RW, SE_MAP_SHARED, gfd, 0), -EACCES);
    long m3 = se_mmap(se, 0, PG, SE_PROT_READ, SE_MAP_SHARED, gfd, 0);
    assert_true(m3 > 0);
    assert_int_equal(se_mprotect(se, (uint64_t)m3, PG, RW), -EACCES);
    /* The mappings keep the file open after the descriptor is closed. */
    close(hfd);
    free(se->fds[gfd].path);
    memset(&se->fds[gfd], 0, sizeof(se->fds[gfd]));
    assert_int_equal(rd8(se, (uint64_t)m + 1), 'b');
    check(se);
}

static void test_brk(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t b0 = (uint64_t)se_brk(se, 0);
    assert_int_equal(b0, 0x407000);
    assert_int_equal(se_brk(se, b0 + 100), (long)(b0 + 100));
    wr8(se, b0 + 99, 3);
    assert_int_equal(se_copy_out(se, b0 + PG, "x", 1), -EFAULT);
    assert_int_equal(se_brk(se, b0 + 3 * PG), (long)(b0 + 3 * PG));
    wr8(se, b0 + 2 * PG + 5, 4);
    assert_int_equal(rd8(se, b0 + 99), 3);
    /* Shrinking frees pages; growing again gives zeroes. */
    uint64_t freed = se->st.frames_freed;
    assert_int_equal(se_brk(se, b0 + 10), (long)(b0 + 10));
    assert_true(se->st.frames_freed > freed);
    assert_int_equal(se_brk(se, b0 + 3 * PG), (long)(b0 + 3 * PG));
    assert_int_equal(rd8(se, b0 + 2 * PG + 5), 0);
    assert_int_equal(rd8(se, b0 + 9), 0); /* same page, kept */
    /* Below the start: the current break. Into another mapping: refused. */
    assert_int_equal(se_brk(se, 0x1000), (long)(b0 + 3 * PG));
    assert_int_equal(se_mmap(se, b0 + 8 * PG, PG, RW, ANON | SE_MAP_FIXED, -1, 0), (long)(b0 + 8 * PG));
    assert_int_equal(se_brk(se, b0 + 8 * PG), (long)(b0 + 3 * PG));
    assert_int_equal(se_brk(se, b0 + 7 * PG), (long)(b0 + 7 * PG)); /* one guard page stays free */
    check(se);
}

static void test_five_level(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    assert_int_equal(se->levels, 5);
    /* Without a hint, mappings stay below 47 bits. */
    long a = se_mmap(se, 0, PG, RW, ANON, -1, 0);
    assert_true(a > 0 && (uint64_t)a < (1ull << 47));
    /* A hint above 47 bits opens the 56-bit space. */
    uint64_t hi = 1ull << 52;
    long b = se_mmap(se, hi, PG, RW, ANON, -1, 0);
    assert_int_equal(b, (long)hi);
    wr8(se, hi + 7, 9);
    uint64_t pa;
    assert_int_equal(t_xlate(se, hi + 7, MMU_READ, &pa, NULL), 0);
    assert_int_equal(*dram_host(se->dram, pa), 9);
    /* The PML5 entry used is not entry 0. */
    uint64_t *pml5 = (uint64_t *)(void *)dram_host(se->dram, se->cr3);
    assert_true(pml5[(hi >> 48) & 511] & PTE_P);
    assert_true(pml5[0] & PTE_P);
    long c = se_mmap(se, 1ull << 55, PG, RW, ANON | SE_MAP_FIXED, -1, 0);
    assert_int_equal(c, (long)(1ull << 55));
    assert_int_equal(se_munmap(se, hi, PG), 0);
    assert_false(pml5[(hi >> 48) & 511] & PTE_P); /* the emptied tables were freed */
    check(se);
}

static void test_copy_edges(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t a = (uint64_t)se_mmap(se, 0, 2 * PG, RW, ANON, -1, 0);
    /* A copy crossing a page boundary, and one running off the end. */
    char buf[64];
    memset(buf, 'q', sizeof(buf));
    assert_int_equal(se_copy_out(se, a + PG - 10, buf, sizeof(buf)), 0);
    assert_int_equal(rd8(se, a + PG + 20), 'q');
    assert_int_equal(se_copy_out(se, a + 2 * PG - 10, buf, sizeof(buf)), -EFAULT);
    /* Strings. */
    assert_int_equal(se_copy_out(se, a + PG - 3, "hello", 6), 0);
    char s[16];
    assert_int_equal(se_strncpy_in(se, s, a + PG - 3, sizeof(s)), 5);
    assert_string_equal(s, "hello");
    assert_int_equal(se_strncpy_in(se, s, a + PG - 3, 4), -ENAMETOOLONG);
    assert_int_equal(se_strncpy_in(se, s, 0x1000, sizeof(s)), -EFAULT);
    /* Non-canonical addresses. */
    assert_int_equal(se_copy_in(se, buf, 0x8000000000000000ull, 1), -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_frames, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_demand, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_placement, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_munmap, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_mprotect, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_mremap, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_madvise_and_files, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_brk, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_five_level, setup5, teardown),
        cmocka_unit_test_setup_teardown(test_copy_edges, setup4, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
