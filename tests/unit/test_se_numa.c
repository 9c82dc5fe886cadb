/* Unit tests for NUMA placement in SE mode (emu/se_mm.c): the zonelist order, mpol_new's rules,
 * interleave by offset, the fallbacks of each policy, bind's out-of-memory, numastat's counters
 * (exact), page-table placement (se.pt_node), moving pages. docs/SE.md, "NUMA". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/se_testlib.h"

#define PG 4096ull
#define HP (2ull << 20)
#define RW (SE_PROT_READ | SE_PROT_WRITE)
#define ANON (SE_MAP_PRIVATE | SE_MAP_ANONYMOUS | SE_MAP_FIXED)
#define BASE 0x40000000ull /* 2 MiB-aligned, virtual page number even */

typedef struct fx {
    char *dir;
    machine_t *m;
    se_proc_t *se;
} fx_t;

/* A machine built from "section.key=value" settings (NULL-terminated) with the test program loaded. */
static fx_t *make(const char *const *sets)
{
    config_t cfg;
    char err[256];
    config_defaults(&cfg);
    assert_int_equal(config_set(&cfg, "machine.mem_per_node=16M", err, sizeof(err)), 0);
    for (int i = 0; sets && sets[i]; i++)
        if (config_set(&cfg, sets[i], err, sizeof(err)) < 0)
            fail_msg("%s", err);
    fx_t *f = calloc(1, sizeof(*f));
    f->m = emu_new(&cfg, EMU_MODE_SE, err, sizeof(err));
    if (!f->m)
        fail_msg("emu_new: %s", err);
    f->dir = t_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/prog", f->dir);
    elf_opts_t o = {0};
    t_write_elf(path, &o);
    char *argv[] = {path, NULL};
    emu_program_t p = {.path = path, .argc = 1, .argv = argv, .root = f->dir};
    if (emu_load(f->m, &p, err, sizeof(err)) != 0)
        fail_msg("emu_load: %s", err);
    f->se = f->m->se;
    return f;
}

static void done(fx_t *f)
{
    char msg[256];
    if (se_mm_check(f->se, msg, sizeof(msg)) < 0)
        fail_msg("invariant: %s", msg);
    /* The gauges add up: frames held per node, and page tables per node. */
    uint64_t frames = 0, tables = 0;
    for (int n = 0; n < f->se->nr_nodes; n++) {
        frames += f->se->nst[n].frames;
        tables += f->se->nst[n].page_tables;
    }
    assert_int_equal(frames, f->se->st.frames_allocated - f->se->st.frames_freed);
    assert_int_equal(tables, f->se->st.page_table_pages);
    emu_free(f->m);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
}

static void touch(se_proc_t *se, uint64_t va, uint8_t v) { assert_int_equal(se_copy_out(se, va, &v, 1), 0); }
static uint8_t peek(se_proc_t *se, uint64_t va)
{
    uint8_t v = 0;
    assert_int_equal(se_copy_in(se, &v, va, 1), 0);
    return v;
}

static se_mpol_t mpol(se_proc_t *se, int mode, int flags, uint64_t nodes)
{
    se_nodemask_t raw = {{nodes}};
    se_mpol_t p;
    assert_int_equal(se_mpol_new(se, mode, flags, &raw, &p), 0);
    return p;
}

static void map(se_proc_t *se, uint64_t va, uint64_t len)
{
    assert_int_equal(se_mmap(se, va, len, RW, ANON, -1, 0), (long)va);
}

static void bind_range(se_proc_t *se, uint64_t va, uint64_t len, int mode, uint64_t nodes, unsigned flags, long want)
{
    se_nodemask_t raw = {{nodes}};
    assert_int_equal(se_mbind(se, va, len, mode, 0, &raw, flags), want);
}

/* Zonelists: by distance, a node above before one below at equal distance, then by number. */
static void test_zonelist_order(void **state)
{
    (void)state;
    fx_t *f = make((const char *[]){"machine.sockets=4", NULL});
    const int *o = f->se->node[2].order;
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 3);
    assert_int_equal(o[2], 0);
    assert_int_equal(o[3], 1);
    done(f);
    f = make((const char *[]){"machine.sockets=3", "numa.slit=10 21 31 / 21 10 21 / 31 21 10", NULL});
    o = f->se->node[0].order;
    assert_int_equal(o[1], 1);
    assert_int_equal(o[2], 2);
    o = f->se->node[2].order;
    assert_int_equal(o[1], 1);
    assert_int_equal(o[2], 0);
    done(f);
}

/* mpol_new(): flags, empty masks, PREFERRED's first node, RELATIVE_NODES folding. */
static void test_mpol_new(void **state)
{
    (void)state;
    fx_t *f = make((const char *[]){"machine.sockets=2", NULL});
    se_proc_t *se = f->se;
    se_mpol_t p;
    se_nodemask_t none = {{0}}, n0 = {{1}}, far = {{1ull << 40}}, hi = {{0}};
    hi.w[3] = 1; /* node 192: below MAX_NUMNODES, not on this machine */
    assert_int_equal(se_mpol_new(se, SE_MPOL_DEFAULT, 0, &none, &p), 0);
    assert_int_equal(p.mode, SE_MPOL_DEFAULT);
    assert_int_equal(se_mpol_new(se, SE_MPOL_DEFAULT, 0, &n0, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_LOCAL, 0, &n0, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_LOCAL, SE_MPOL_F_STATIC_NODES, &none, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_BIND, 0, &none, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_BIND, 0, &far, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_INTERLEAVE, 0, &hi, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_PREFERRED, SE_MPOL_F_RELATIVE_NODES, &none, &p), -EINVAL);
    assert_int_equal(se_mpol_new(se, SE_MPOL_PREFERRED, 0, &none, &p), 0);
    assert_int_equal(p.mode, SE_MPOL_LOCAL);
    p = mpol(se, SE_MPOL_PREFERRED, 0, 3);
    assert_int_equal(p.nodes, 1);
    p = mpol(se, SE_MPOL_BIND, 0, 3 | (1ull << 40));
    assert_int_equal(p.nodes, 3);
    assert_int_equal(p.user_nodes, 3 | (1ull << 40));
    /* Relative: node i of the mask is node i mod 2 here (192 -> 0, 3 -> 1). */
    p = mpol(se, SE_MPOL_INTERLEAVE, SE_MPOL_F_RELATIVE_NODES, 8);
    assert_int_equal(p.nodes, 2);
    assert_int_equal(se_mpol_new(se, SE_MPOL_BIND, SE_MPOL_F_RELATIVE_NODES, &hi, &p), 0);
    assert_int_equal(p.nodes, 1);
    done(f);
}

/* Interleave by the page's offset: page k of a mapping at an even virtual page goes to node k mod 2
 * ({0,1}), or to the (k mod 2)-th node of {1,2}; every fault is an interleave hit; the counters are
 * exact. */
static void test_interleave(void **state)
{
    (void)state;
    fx_t *f = make((const char *[]){"machine.sockets=3", NULL});
    se_proc_t *se = f->se;
    map(se, BASE, 16 * PG);
    bind_range(se, BASE, 8 * PG, SE_MPOL_INTERLEAVE, 3, 0, 0);
    bind_range(se, BASE + 8 * PG, 8 * PG, SE_MPOL_INTERLEAVE, 6, 0, 0);
    se_node_stats_t before[3];
    memcpy(before, se->nst, sizeof(before));
    uint64_t hits = se->st.interleave_hit, tables = se->st.page_table_pages;
    for (int k = 0; k < 16; k++)
        touch(se, BASE + (uint64_t)k * PG, (uint8_t)k);
    for (int k = 0; k < 16; k++) {
        int want = k < 8 ? k % 2 : 1 + k % 2;
        assert_int_equal(se_page_node(se, BASE + (uint64_t)k * PG, 0), want);
    }
    assert_int_equal(se->st.interleave_hit - hits, 16);
    assert_int_equal(se->nst[0].interleave_hit - before[0].interleave_hit, 4);
    assert_int_equal(se->nst[1].interleave_hit - before[1].interleave_hit, 8);
    assert_int_equal(se->nst[2].interleave_hit - before[2].interleave_hit, 4);
    /* The new page tables (PDPT, PD, PT) went where the first page's data went: node 0. */
    uint64_t nt = se->st.page_table_pages - tables;
    assert_int_equal(se->nst[0].page_tables - before[0].page_tables, nt);
    assert_int_equal(se->nst[0].numa_hit - before[0].numa_hit, 4 + nt);
    assert_int_equal(se->nst[2].other_node - before[2].other_node, 4);
    done(f);
}

/* Preferred falls back to the nearest other node when full (numa_miss there, numa_foreign on the
 * preferred node); bind does not: the allocation fails, marked as bind's. */
static void test_fallback(void **state)
{
    (void)state;
    fx_t *f = make((const char *[]){"machine.sockets=3", "numa.slit=10 21 31 / 21 10 21 / 31 21 10", NULL});
    se_proc_t *se = f->se;
    uint64_t n2 = se->node[2].free;
    uint64_t len = (n2 + 100) * PG;
    map(se, BASE, len);
    bind_range(se, BASE, len, SE_MPOL_PREFERRED, 4, 0, 0);
    for (uint64_t va = BASE; va < BASE + len; va += PG)
        touch(se, va, 1);
    assert_int_equal(se->node[2].free, 0);
    /* The overflow went to node 1 (distance 21 from node 2), not node 0 (31). */
    assert_true(se->nst[1].numa_miss >= 100);
    assert_int_equal(se->nst[0].numa_miss, 0);
    assert_int_equal(se->nst[2].numa_foreign, se->nst[1].numa_miss);
    assert_int_equal(se_page_node(se, BASE + len - PG, 0), 1);
    /* Now bind to the full node 2: no frame. */
    map(se, BASE + 0x10000000, 4 * PG);
    bind_range(se, BASE + 0x10000000, 4 * PG, SE_MPOL_BIND, 4, 0, 0);
    assert_int_equal(se_handle_fault(se, BASE + 0x10000000, PF_U | PF_W), 0);
    assert_true(se->oom);
    assert_true(se->oom_bind);
    se->oom = se->oom_bind = 0;
    /* Interleave's target is full: it falls back too, and is no interleave hit. */
    uint64_t hits = se->st.interleave_hit;
    bind_range(se, BASE + 0x10000000, 4 * PG, SE_MPOL_INTERLEAVE, 4, 0, 0);
    touch(se, BASE + 0x10000000, 1);
    assert_int_equal(se->st.interleave_hit, hits);
    assert_int_equal(se_page_node(se, BASE + 0x10000000, 0), 1);
    done(f);
}

/* The CPU decides the local node; se.pt_node decides where tables go. */
static void test_cpu_and_tables(void **state)
{
    (void)state;
    fx_t *f = make((const char *[]){"machine.sockets=2", "machine.cores_per_socket=2", "machine.nodes_per_socket=2",
                                    "se.cpu=3", NULL});
    se_proc_t *se = f->se;
    assert_int_equal(se->local_node, 3); /* socket 1, its second node */
    assert_int_equal(se->nst[3].frames, se->st.frames_allocated - se->st.frames_freed);
    assert_int_equal(se->nst[3].page_tables, se->st.page_table_pages);
    /* Tables placed on node 1 from now on; data stays local. */
    se->pt_node = 1;
    map(se, BASE, PG);
    touch(se, BASE, 1);
    assert_int_equal(se_page_node(se, BASE, 0), 3);
    assert_true(se->nst[1].page_tables >= 1);
    /* The task policy (as Linux): interleave {0,2} round robin over the tables. */
    se->pt_node = SE_PT_TASK;
    se->mpol = mpol(se, SE_MPOL_INTERLEAVE, 0, 5);
    se->il_prev = SE_MAX_NUMNODES - 1;
    map(se, BASE + (1ull << 30), PG);  /* a new PD and PT */
    touch(se, BASE + (1ull << 30), 1);
    assert_int_equal(se->nst[0].page_tables, 1);
    assert_int_equal(se->nst[2].page_tables, 1);
    done(f);
}

/* Moving pages keeps their data and counts; migrate_pages remaps nodes. */
static void test_move(void **state)
{
    (void)state;
    fx_t *f = make((const char *[]){"machine.sockets=2", NULL});
    se_proc_t *se = f->se;
    map(se, BASE, 8 * PG);
    for (int k = 0; k < 8; k++)
        touch(se, BASE + (uint64_t)k * PG + 7, (uint8_t)(k + 40));
    assert_int_equal(se_page_node(se, BASE, 0), 0);
    assert_int_equal(se_move_page(se, BASE, 1), 1);
    assert_int_equal(se_move_page(se, BASE, 1), 0);
    assert_int_equal(se_page_node(se, BASE, 0), 1);
    assert_int_equal(peek(se, BASE + 7), 40);
    assert_int_equal(se_move_page(se, BASE + 8 * PG, 1), -EFAULT);
    /* mbind MPOL_MF_MOVE to node 1: the rest follows. */
    bind_range(se, BASE, 8 * PG, SE_MPOL_BIND, 2, SE_MPOL_MF_MOVE | SE_MPOL_MF_STRICT, 0);
    for (int k = 0; k < 8; k++) {
        assert_int_equal(se_page_node(se, BASE + (uint64_t)k * PG, 0), 1);
        assert_int_equal(peek(se, BASE + (uint64_t)k * PG + 7), k + 40);
    }
    assert_int_equal(se->st.pgmigrate_success, 8);
    /* migrate_pages {1} -> {0}. */
    assert_int_equal(se_migrate_pages(se, 2, 1), 0);
    for (int k = 0; k < 8; k++)
        assert_int_equal(se_page_node(se, BASE + (uint64_t)k * PG, 0), 0);
    assert_int_equal(peek(se, BASE + 3 * PG + 7), 43);
    /* A transparent huge page moves whole. */
    map(se, BASE + HP, HP);
    assert_int_equal(se_madvise(se, BASE + HP, HP, 14), 0);
    touch(se, BASE + HP + 5, 9);
    assert_int_equal(se->st.thp_faults, 1);
    assert_int_equal(se_move_page(se, BASE + HP + 3 * PG, 1), 1);
    assert_int_equal(se_page_node(se, BASE + HP, 0), 1);
    assert_int_equal(peek(se, BASE + HP + 5), 9);
    assert_int_equal(se->st.pgmigrate_success, 8 + 8 + 512);
    done(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zonelist_order),
        cmocka_unit_test(test_mpol_new),
        cmocka_unit_test(test_interleave),
        cmocka_unit_test(test_fallback),
        cmocka_unit_test(test_cpu_and_tables),
        cmocka_unit_test(test_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
