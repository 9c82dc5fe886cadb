/* Unit tests for the core of --timing=full (emu/memsys.c, "The core"; docs/TIMING.md, "Memory-level
 * parallelism"): the register scoreboard, the MSHR limit, the store buffer, and the exactness of
 * the per-set repeat filter. Instructions run on the CPU harness (tests/unit/cpu_harness.c) with
 * full timing; the lines they load are first put into L2 only (cache_prefetch), so each load costs
 * exactly the L2 latency (14 cycles by default) and the expected cycles follow by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_harness.h"
#include "emu/counters.h"
#include "emu/emu.h"
#include "emu/memsys.h"

#define A_VA (TH_DATA + 0x1000)
#define B_VA (TH_DATA + 0x1080)
#define C_VA (TH_DATA + 0x1100)

static uint64_t ctr(th_t *h, const char *name)
{
    int found = 0;
    uint64_t v = counters_get(h->m->ctrs, name, &found);
    if (!found)
        fail_msg("no counter %s", name);
    return v;
}

/* A harness with full timing, the TLB and L1I warm for the code and data pages, and lines A, B
 * and C of the data page in L2 only. */
static th_t *setup(int mshrs, int sb)
{
    th_t *h = th_new();
    assert_int_equal(emu_set_timing(h->m, EMU_TIMING_FULL, 0, 0), 0);
    memsys_core_set(h->c, mshrs, sb, 0);
    /* Warm up: a store to another line of the data page (code page and data page translated, the
     * data page's dirty bit set). */
    static const uint8_t warm[] = {0x4c, 0x89, 0x03}; /* mov %r8,(%rbx) */
    h->c->r[R_RBX] = TH_DATA + 0x1800;
    th_code(h, warm, sizeof(warm));
    assert_int_equal(th_run(h, 1), -1);
    uint64_t base = (uint64_t)(uintptr_t)dram_base(h->m->dram);
    const uint64_t v[3] = {A_VA, B_VA, C_VA};
    for (int i = 0; i < 3; i++) {
        uint64_t pa = (uint64_t)(uintptr_t)th_ptr(h, v[i]) - base;
        assert_true(cache_prefetch(h->m->mem->caches, 0, pa, 0, NULL) > 0);
    }
    /* Nothing in flight any more (the warm-up's miss), every counter of the memory system at 0. */
    memsys_reset_stats(h->m);
    return h;
}

static void run(th_t *h, const uint8_t *code, size_t n, int insns)
{
    th_code(h, code, n);
    assert_int_equal(th_run(h, (uint64_t)insns), -1);
    /* cycles = base + TLB + walks + access latencies - overlapped */
    uint64_t parts = ctr(h, "cpu0.base_cycles") + ctr(h, "cpu0.tlb.cycles") + ctr(h, "cpu0.walk_cycles") +
                     ctr(h, "cpu0.cache_cycles") + ctr(h, "cpu0.dram_local_cycles") +
                     ctr(h, "cpu0.dram_remote_cycles") + ctr(h, "cpu0.coherence_cycles") -
                     ctr(h, "cpu0.overlapped_cycles");
    assert_int_equal(ctr(h, "cpu0.cycles"), parts);
}

/* A load whose address comes from a load waits for it: 14 - 1 cycles (the first load's L2 latency
 * less the one cycle of the load itself); the second completes 14 cycles after the first. */
static void test_dependent_load_waits(void **s)
{
    (void)s;
    th_t *h = setup(10, 56);
    th_wr64(h, A_VA, B_VA);
    h->c->r[R_RBX] = A_VA;
    static const uint8_t code[] = {0x48, 0x8b, 0x03,  /* mov (%rbx),%rax */
                                   0x48, 0x8b, 0x08,  /* mov (%rax),%rcx */
                                   0x48, 0x83, 0xc2, 0x01}; /* add $1,%rdx */
    uint64_t cy0 = ctr(h, "cpu0.cycles");
    run(h, code, sizeof(code), 3);
    assert_int_equal(ctr(h, "cpu0.core.reg_stall_cycles"), 13);
    assert_int_equal(ctr(h, "cpu0.l2.hits"), 2);
    assert_int_equal(h->c->sb_ready[R_RCX] - h->c->sb_ready[R_RAX], 14);
    /* 3 base cycles + 13 waiting; the fetch of the code line (an L1I hit) costs 0 */
    assert_int_equal(ctr(h, "cpu0.cycles") - cy0, 16);
    assert_int_equal(h->c->r[R_RCX], 0);
    th_free(h);
}

/* Independent loads overlap: no wait, both complete one cycle apart. A consumer that only
 * computes with the loaded value does not wait either: its result is ready when the load is. */
static void test_independent_loads_overlap(void **s)
{
    (void)s;
    th_t *h = setup(10, 56);
    h->c->r[R_RBX] = A_VA;
    h->c->r[R_RDX] = B_VA;
    static const uint8_t code[] = {0x48, 0x8b, 0x03,        /* mov (%rbx),%rax */
                                   0x48, 0x8b, 0x0a,        /* mov (%rdx),%rcx */
                                   0x48, 0x01, 0xc6,        /* add %rax,%rsi */
                                   0x48, 0x83, 0xc7, 0x01}; /* add $1,%rdi */
    uint64_t cy0 = ctr(h, "cpu0.cycles");
    run(h, code, sizeof(code), 4);
    assert_int_equal(ctr(h, "cpu0.core.reg_stall_cycles"), 0);
    assert_int_equal(ctr(h, "cpu0.cycles") - cy0, 4);
    assert_int_equal(h->c->sb_ready[R_RCX] - h->c->sb_ready[R_RAX], 1);
    assert_int_equal(h->c->sb_ready[R_RSI], h->c->sb_ready[R_RAX]);
    /* 28 cycles of L2 latency, of which the core waited for none */
    assert_int_equal(ctr(h, "cpu0.overlapped_cycles"), 28);
    assert_int_equal(ctr(h, "cpu0.cache_cycles"), 28);
    th_free(h);
}

/* The readiness flows through computation to an address: add %rax,%rdx then a load at (%rdx)
 * waits for the first load (issued 2 cycles before: 12 cycles). */
static void test_readiness_flows_to_address(void **s)
{
    (void)s;
    th_t *h = setup(10, 56);
    th_wr64(h, A_VA, 0x80);
    h->c->r[R_RBX] = A_VA;
    h->c->r[R_RDX] = A_VA;
    static const uint8_t code[] = {0x48, 0x8b, 0x03,  /* mov (%rbx),%rax */
                                   0x48, 0x01, 0xc2,  /* add %rax,%rdx (rdx = B) */
                                   0x48, 0x8b, 0x0a}; /* mov (%rdx),%rcx */
    run(h, code, sizeof(code), 3);
    assert_int_equal(ctr(h, "cpu0.core.reg_stall_cycles"), 12);
    assert_int_equal(h->c->sb_ready[R_RCX] - h->c->sb_ready[R_RAX], 14);
    th_free(h);
}

/* Two MSHRs: the third of three independent misses waits for the first (issued at t, done t + 14;
 * the third comes at t + 2: 12 cycles), then completes at t + 28, 14 cycles after the first. */
static void test_mshr_limit(void **s)
{
    (void)s;
    th_t *h = setup(2, 56);
    h->c->r[R_RBX] = A_VA;
    h->c->r[R_RDX] = B_VA;
    h->c->r[R_RSI] = C_VA;
    static const uint8_t code[] = {0x48, 0x8b, 0x03,  /* mov (%rbx),%rax */
                                   0x48, 0x8b, 0x0a,  /* mov (%rdx),%rcx */
                                   0x48, 0x8b, 0x3e}; /* mov (%rsi),%rdi */
    uint64_t cy0 = ctr(h, "cpu0.cycles");
    run(h, code, sizeof(code), 3);
    assert_int_equal(ctr(h, "cpu0.core.mshr_stall_cycles"), 12);
    assert_int_equal(ctr(h, "cpu0.core.mshr_misses"), 3);
    assert_int_equal(ctr(h, "cpu0.core.reg_stall_cycles"), 0);
    assert_int_equal(h->c->sb_ready[R_RDI] - h->c->sb_ready[R_RAX], 14);
    assert_int_equal(ctr(h, "cpu0.cycles") - cy0, 3 + 12);
    /* With ten MSHRs nothing waits. */
    th_free(h);
    h = setup(10, 56);
    h->c->r[R_RBX] = A_VA;
    h->c->r[R_RDX] = B_VA;
    h->c->r[R_RSI] = C_VA;
    cy0 = ctr(h, "cpu0.cycles");
    run(h, code, sizeof(code), 3);
    assert_int_equal(ctr(h, "cpu0.core.mshr_stall_cycles"), 0);
    assert_int_equal(ctr(h, "cpu0.cycles") - cy0, 3);
    th_free(h);
}

/* A store buffer of two entries: the third store (to a line in L2: 14 cycles) waits for the first
 * to commit (t + 14, the third comes at t + 2). With no store buffer every store waits for itself
 * (14 cycles, then its own cycle). */
static void test_store_buffer(void **s)
{
    (void)s;
    static const uint8_t code[] = {0x48, 0x89, 0x03,  /* mov %rax,(%rbx) */
                                   0x48, 0x89, 0x02,  /* mov %rax,(%rdx) */
                                   0x48, 0x89, 0x06}; /* mov %rax,(%rsi) */
    for (int sb = 0; sb <= 2; sb += 2) {
        th_t *h = setup(10, sb);
        h->c->r[R_RBX] = A_VA;
        h->c->r[R_RDX] = B_VA;
        h->c->r[R_RSI] = C_VA;
        uint64_t cy0 = ctr(h, "cpu0.cycles");
        run(h, code, sizeof(code), 3);
        uint64_t want = sb ? 12 : 3 * 14; /* no buffer: each store waits for its 14 cycles */
        assert_int_equal(ctr(h, "cpu0.core.sb_stall_cycles"), want);
        assert_int_equal(ctr(h, "cpu0.cycles") - cy0, 3 + want);
        th_free(h);
    }
}

/* ---- the repeat filter is exact ----------------------------------------------------------------- */

/* A loop of loads and stores over the data pages and the stack on a small L1D (many evictions):
 * with the filter on and off, every counter of every level, per set, is the same, and so are the
 * cycles. */
static void filter_run(int off, uint64_t out[16], uint64_t *sets_out, uint32_t *nsets)
{
    th_t *h = th_new();
    char err[256];
    assert_int_equal(config_set_kv(&h->m->cfg, "cache", "l1d_size", "2K", err, sizeof(err)), 0);
    assert_int_equal(config_set_kv(&h->m->cfg, "cache", "l1d_ways", "4", err, sizeof(err)), 0);
    assert_int_equal(config_set_kv(&h->m->cfg, "cache", "l2_size", "8K", err, sizeof(err)), 0);
    assert_int_equal(config_set_kv(&h->m->cfg, "cache", "l2_ways", "4", err, sizeof(err)), 0);
    assert_int_equal(emu_set_timing(h->m, EMU_TIMING_FULL, 0, 0), 0);
    h->m->mem->rep_off = off;
    static const uint8_t code[] = {
        0x49, 0x81, 0xc3, 0xc0, 0x01, 0x00, 0x00, /* add $0x1c0,%r11 */
        0x49, 0x81, 0xe3, 0xf8, 0x3f, 0x00, 0x00, /* and $0x3ff8,%r11 */
        0x4a, 0x8b, 0x04, 0x1f,                   /* mov (%rdi,%r11),%rax */
        0x4a, 0x03, 0x44, 0x1f, 0x00,             /* add 0(%rdi,%r11),%rax (same line) */
        0x49, 0x81, 0xc4, 0x48, 0x02, 0x00, 0x00, /* add $0x248,%r12 */
        0x49, 0x81, 0xe4, 0xf8, 0x3f, 0x00, 0x00, /* and $0x3ff8,%r12 */
        0x4a, 0x89, 0x04, 0x27,                   /* mov %rax,(%rdi,%r12) */
        0x4a, 0x89, 0x04, 0x27,                   /* mov %rax,(%rdi,%r12) (a repeat) */
        0x50,                                     /* push %rax */
        0x5a,                                     /* pop %rdx */
        0x4a, 0x8b, 0x0c, 0x1f,                   /* mov (%rdi,%r11),%rcx */
        0xff, 0xc9,                               /* dec %ecx: not a loop counter, r8d is */
        0x41, 0xff, 0xc8,                         /* dec %r8d */
        0x75, 0xc6,                               /* jnz (to the start) */
    };
    h->c->r[R_RDI] = TH_DATA;
    h->c->r[R_R8] = 3000;
    th_code(h, code, sizeof(code));
    th_run(h, 3000 * 14);
    const char *names[] = {"cpu0.l1d.hits", "cpu0.l1d.misses", "cpu0.l1d.evictions", "cpu0.l1d.writebacks",
                           "cpu0.l2.hits", "cpu0.l2.misses", "cpu0.l2.evictions", "cpu0.l2.writebacks",
                           "socket0.llc.hits", "socket0.llc.misses", "cpu0.l1i.hits", "cpu0.cycles",
                           "cpu0.cache_cycles", "cpu0.dram_local_cycles", "cpu0.overlapped_cycles",
                           "sim.instructions"};
    for (int i = 0; i < 16; i++)
        out[i] = ctr(h, names[i]);
    const cache_array_t *a = cache_private(h->m->mem->caches, 0, 1);
    *nsets = cache_array_sets(a);
    for (uint32_t i = 0; i < *nsets; i++)
        sets_out[i] = cache_array_set_hits(a)[i] * 1000003u + cache_array_set_misses(a)[i];
    th_free(h);
}

static void test_filter_exact(void **s)
{
    (void)s;
    uint64_t on[16], off[16], son[64], soff[64];
    uint32_t n1, n2;
    filter_run(0, on, son, &n1);
    filter_run(1, off, soff, &n2);
    assert_int_equal(n1, 8);
    assert_int_equal(n1, n2);
    assert_true(on[1] > 1000);  /* many L1D misses */
    assert_true(on[0] > 10000); /* and hits */
    for (int i = 0; i < 16; i++)
        assert_int_equal(on[i], off[i]);
    assert_memory_equal(son, soff, n1 * sizeof(uint64_t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dependent_load_waits),
        cmocka_unit_test(test_independent_loads_overlap),
        cmocka_unit_test(test_readiness_flows_to_address),
        cmocka_unit_test(test_mshr_limit),
        cmocka_unit_test(test_store_buffer),
        cmocka_unit_test(test_filter_exact),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
