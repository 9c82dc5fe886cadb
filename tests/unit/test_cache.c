/* Unit tests for cache/: exact hits, misses, evictions and cycles on tiny caches under each
 * replacement policy, dirty write-backs reaching the memory callback, a hierarchy with only L1 and
 * an LLC, inclusive back-invalidation, MESI transitions between cores of two sockets with the
 * core-to-core latencies charged exactly, the counter names, determinism, and random sequences on
 * every policy and inclusion with cache_check() after every access. */
#include <setjmp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache/cache.h"

static char err[512];

/* ---- memory callback: logs every call, reads cost MEM_LAT ---- */
#define MEM_LAT 100
typedef struct memlog {
    int n;
    struct { int socket; uint64_t pa; int is_write; uint64_t now; } ev[4096];
} memlog_t;

static uint32_t mem_cb(void *arg, int socket, uint64_t pa, int is_write, uint64_t now)
{
    memlog_t *m = arg;
    if (m->n < 4096) {
        m->ev[m->n].socket = socket;
        m->ev[m->n].pa = pa;
        m->ev[m->n].is_write = is_write;
        m->ev[m->n].now = now;
        m->n++;
    }
    return is_write ? 7 : MEM_LAT;
}

static void check(const cache_sys_t *h)
{
    if (cache_check(h, err, sizeof(err)) < 0)
        fail_msg("cache_check: %s", err);
}

static cache_sys_t *mk(const cache_cfg_t *cfg)
{
    cache_sys_t *h = cache_new(cfg, err, sizeof(err));
    if (!h)
        fail_msg("cache_new: %s", err);
    check(h);
    return h;
}

static void lvl(cache_level_cfg_t *l, const char *name, uint64_t size, uint32_t ways, uint32_t lat,
                unsigned sides, enum cache_repl repl)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->size = size;
    l->ways = ways;
    l->latency = lat;
    l->sides = sides;
    l->repl = repl;
    l->seed = 1;
}

/* One socket, one core, one private data level of sets x ways 64-byte lines, no LLC. */
static void cfg_one(cache_cfg_t *c, uint32_t sets, uint32_t ways, enum cache_repl repl, memlog_t *m)
{
    cache_cfg_default(c, 1, 1);
    c->nprivate = 1;
    lvl(&c->priv[0], "l1d", (uint64_t)sets * ways * 64, ways, 4, CACHE_SIDE_D, repl);
    c->llc.size = 0;
    c->mem = mem_cb;
    c->mem_arg = m;
}

/* Access, check the invariants, return the cycles. */
static uint32_t acc(cache_sys_t *h, int cpu, uint64_t pa, enum cache_kind k, cache_result_t *r)
{
    cache_result_t tmp;
    uint32_t c = cache_access(h, cpu, pa, k, 1000, r ? r : &tmp);
    assert_int_equal(c, (r ? r : &tmp)->cycles);
    check(h);
    return c;
}

#define L(n) ((uint64_t)(n) * 64)

static const cache_level_stats_t *pst(const cache_sys_t *h, int cpu, int level)
{
    const cache_array_t *a = cache_private(h, cpu, level);
    assert_non_null(a);
    return cache_array_stats(a);
}

/* ---------------------------------------------------------------------------------------------- */

static void test_lru_2x2(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cfg_one(&c, 2, 2, CACHE_REPL_LRU, &m);
    cache_sys_t *h = mk(&c);
    /* Lines 0, 2, 4 map to set 0; line 1 to set 1. */
    static const struct { uint64_t line; uint32_t cyc; } seq[] = {
        {0, 104}, {2, 104}, {0, 4}, {4, 104} /* evicts 2 */, {2, 104} /* evicts 0 */,
        {0, 104} /* evicts 4 */, {0, 4}, {1, 104}, {2, 4},
    };
    uint32_t total = 0;
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        uint32_t cy = acc(h, 0, L(seq[i].line) + 8, CACHE_LOAD, NULL);
        if (cy != seq[i].cyc)
            fail_msg("access %zu (line %" PRIu64 "): %u cycles, expected %u", i, seq[i].line, cy, seq[i].cyc);
        total += cy;
    }
    assert_int_equal(total, 3 * 4 + 6 * 104);
    const cache_level_stats_t *s = pst(h, 0, 0);
    assert_int_equal(s->hits, 3);
    assert_int_equal(s->misses, 6);
    assert_int_equal(s->evictions, 3);
    assert_int_equal(s->writebacks, 0);
    const cache_array_t *a = cache_private(h, 0, 0);
    assert_int_equal(cache_array_sets(a), 2);
    assert_int_equal(cache_array_set_misses(a)[0], 5);
    assert_int_equal(cache_array_set_misses(a)[1], 1);
    assert_int_equal(cache_array_set_hits(a)[0], 3);
    assert_int_equal(cache_array_set_evictions(a)[0], 3);
    assert_int_equal(cache_array_set_evictions(a)[1], 0);
    assert_int_equal(m.n, 6);
    for (int i = 0; i < m.n; i++)
        assert_false(m.ev[i].is_write);
    /* Reads reach memory line-aligned, at now + the latency of the level that missed. */
    assert_int_equal(m.ev[0].pa, 0);
    assert_int_equal(m.ev[0].now, 1004);
    assert_int_equal(m.ev[5].pa, L(1));
    assert_int_equal(cache_array_valid_lines(a), 3);
    cache_free(h);
}

/* 1 set x 4 ways: after 0 1 2 3 0, LRU evicts 1 and tree-PLRU evicts 2. */
static void run_4way(enum cache_repl repl, uint64_t expect_victim)
{
    memlog_t m = {0};
    cache_cfg_t c;
    cfg_one(&c, 1, 4, repl, &m);
    cache_sys_t *h = mk(&c);
    for (int i = 0; i < 4; i++)
        assert_int_equal(acc(h, 0, L(i), CACHE_LOAD, NULL), 104);
    assert_int_equal(acc(h, 0, L(0), CACHE_LOAD, NULL), 4);
    assert_int_equal(acc(h, 0, L(4), CACHE_LOAD, NULL), 104);
    for (uint64_t l = 0; l < 4; l++) {
        enum cache_mesi st = cache_state(h, 0, L(l));
        if (l == expect_victim)
            assert_int_equal(st, CACHE_I);
        else
            assert_int_equal(st, CACHE_E);
    }
    /* The other candidate is still there. */
    uint64_t other = expect_victim == 1 ? 2 : 1;
    assert_int_equal(acc(h, 0, L(other), CACHE_LOAD, NULL), 4);
    const cache_level_stats_t *s = pst(h, 0, 0);
    assert_int_equal(s->hits, 2);
    assert_int_equal(s->misses, 5);
    assert_int_equal(s->evictions, 1);
    cache_free(h);
}

static void test_lru_4way(void **state) { (void)state; run_4way(CACHE_REPL_LRU, 1); }
static void test_plru_4way(void **state) { (void)state; run_4way(CACHE_REPL_PLRU, 2); }

/* Tree-PLRU on 3 ways (a tree of 4 leaves, one empty): the victim is never the missing way 3. */
static void test_plru_3way(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cfg_one(&c, 1, 3, CACHE_REPL_PLRU, &m);
    cache_sys_t *h = mk(&c);
    /* Fill ways 0 1 2 with lines 0 1 2, then line 3: root points right after touching 0 and 1?
     * Touch order 0,1,2: the last touch (way 2, right half) points the root left; node 2 points
     * away from way 1, to way 0: victim way 0 (line 0). */
    for (int i = 0; i < 3; i++)
        acc(h, 0, L(i), CACHE_LOAD, NULL);
    acc(h, 0, L(3), CACHE_LOAD, NULL);
    assert_int_equal(cache_state(h, 0, L(0)), CACHE_I);
    /* Now touch 3 (way 0): root points right, to the subtree of way 2 (way 3 does not exist). */
    acc(h, 0, L(5), CACHE_LOAD, NULL);
    assert_int_equal(cache_state(h, 0, L(2)), CACHE_I);
    assert_int_equal(cache_state(h, 0, L(1)), CACHE_E);
    assert_int_equal(cache_state(h, 0, L(3)), CACHE_E);
    for (int i = 0; i < 200; i++)
        acc(h, 0, L((i * 7) % 11), CACHE_LOAD, NULL);
    assert_int_equal(cache_array_valid_lines(cache_private(h, 0, 0)), 3);
    cache_free(h);
}

/* Random replacement: a 1-way cache behaves as direct mapped; same seed, same victims. */
static void test_random(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cfg_one(&c, 2, 1, CACHE_REPL_RANDOM, &m);
    cache_sys_t *h = mk(&c);
    assert_int_equal(acc(h, 0, L(0), CACHE_LOAD, NULL), 104);
    assert_int_equal(acc(h, 0, L(2), CACHE_LOAD, NULL), 104);
    assert_int_equal(acc(h, 0, L(0), CACHE_LOAD, NULL), 104);
    assert_int_equal(acc(h, 0, L(1), CACHE_LOAD, NULL), 104);
    assert_int_equal(acc(h, 0, L(0), CACHE_LOAD, NULL), 4);
    assert_int_equal(pst(h, 0, 0)->evictions, 2);
    cache_free(h);

    uint64_t hits[3] = {0}, ev[3] = {0};
    for (int run = 0; run < 3; run++) {
        memlog_t m2 = {0};
        cfg_one(&c, 2, 4, CACHE_REPL_RANDOM, &m2);
        c.priv[0].seed = run < 2 ? 42 : 43;
        h = mk(&c);
        uint64_t x = 12345;
        for (int i = 0; i < 2000; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            acc(h, 0, L((x >> 33) % 24), CACHE_LOAD, NULL);
        }
        hits[run] = pst(h, 0, 0)->hits;
        ev[run] = pst(h, 0, 0)->evictions;
        assert_int_equal(hits[run] + pst(h, 0, 0)->misses, 2000);
        assert_int_equal(ev[run], pst(h, 0, 0)->misses - 8);
        cache_free(h);
    }
    assert_int_equal(hits[0], hits[1]);
    assert_int_equal(ev[0], ev[1]);
    /* Another seed gives another sequence of victims (so the seed is used). */
    assert_true(hits[0] != hits[2]);
}

/* A dirty victim reaches memory with its own line address; the write-back costs the access nothing. */
static void test_writeback(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cfg_one(&c, 2, 1, CACHE_REPL_LRU, &m);
    cache_sys_t *h = mk(&c);
    cache_result_t r;
    assert_int_equal(acc(h, 0, 0x1000 + 0x48, CACHE_STORE, &r), 104); /* line 0x41: set 1, dirty */
    assert_int_equal(r.src, CACHE_SRC_MEM);
    assert_int_equal(r.mem_cycles, MEM_LAT);
    assert_int_equal(cache_state(h, 0, 0x1040), CACHE_M);
    assert_int_equal(acc(h, 0, 0x1040, CACHE_STORE, NULL), 4);     /* hit M */
    assert_int_equal(acc(h, 0, 0x2040, CACHE_LOAD, &r), 104);      /* set 1: evicts 0x1040 */
    assert_int_equal(m.n, 3);
    assert_int_equal(m.ev[0].pa, 0x1040);
    assert_false(m.ev[0].is_write);
    assert_int_equal(m.ev[1].pa, 0x2040);
    assert_false(m.ev[1].is_write);
    assert_int_equal(m.ev[2].pa, 0x1040);
    assert_true(m.ev[2].is_write);
    assert_int_equal(pst(h, 0, 0)->writebacks, 1);
    assert_int_equal(pst(h, 0, 0)->evictions, 1);
    /* A clean victim writes nothing. */
    acc(h, 0, 0x3040, CACHE_LOAD, NULL);
    assert_int_equal(m.n, 4);
    assert_int_equal(pst(h, 0, 0)->writebacks, 1);
    cache_free(h);
}

/* L1D -> L2 -> LLC -> memory: a dirty line walks down one level per eviction. */
static void test_writeback_chain(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cache_cfg_default(&c, 1, 1);
    c.nprivate = 2;
    lvl(&c.priv[0], "l1d", 64, 1, 4, CACHE_SIDE_D, CACHE_REPL_LRU);
    lvl(&c.priv[1], "l2", 128, 2, 12, CACHE_SIDE_I | CACHE_SIDE_D, CACHE_REPL_LRU);
    lvl(&c.llc, "llc", 256, 4, 40, 0, CACHE_REPL_LRU);
    c.mem = mem_cb;
    c.mem_arg = &m;
    cache_sys_t *h = mk(&c);
    uint64_t A = L(10);
    assert_int_equal(acc(h, 0, A, CACHE_STORE, NULL), 140);
    assert_int_equal(acc(h, 0, L(11), CACHE_LOAD, NULL), 140); /* A: L1D -> L2 (dirty) */
    assert_int_equal(pst(h, 0, 0)->writebacks, 1);
    assert_int_equal(cache_state(h, 0, A), CACHE_M);
    cache_result_t r;
    assert_int_equal(acc(h, 0, A, CACHE_LOAD, &r), 12); /* L2 hit, refills L1D (evicts 11, clean) */
    assert_int_equal(r.src, CACHE_SRC_PRIVATE);
    assert_int_equal(r.level, 1);
    assert_int_equal(pst(h, 0, 1)->hits, 1);
    /* Push A out of L1D and L2: lines 12 and 13 fill L2's two ways. */
    acc(h, 0, L(12), CACHE_LOAD, NULL); /* L1D evicts A (clean now: L2 holds the dirty copy) */
    assert_int_equal(pst(h, 0, 0)->writebacks, 1);
    acc(h, 0, L(13), CACHE_LOAD, NULL);
    assert_int_equal(cache_state(h, 0, A), CACHE_I);
    int dirty = 0;
    assert_true(cache_llc_holds(h, 0, A, &dirty));
    assert_true(dirty);
    assert_int_equal(pst(h, 0, 1)->writebacks, 1);
    assert_int_equal(cache_dir_mask(h, 0, A), 0);
    /* LLC hit. */
    assert_int_equal(acc(h, 0, A, CACHE_LOAD, &r), 40);
    assert_int_equal(r.src, CACHE_SRC_LLC);
    assert_int_equal(cache_state(h, 0, A), CACHE_E);
    int writes = 0;
    for (int i = 0; i < m.n; i++)
        writes += m.ev[i].is_write;
    assert_int_equal(writes, 0);
    /* Four other lines through the 4-way LLC push A out of it: written to memory. */
    for (int i = 20; i < 26; i++)
        acc(h, 0, L(i), CACHE_LOAD, NULL);
    assert_false(cache_llc_holds(h, 0, A, NULL));
    int found = 0;
    for (int i = 0; i < m.n; i++)
        if (m.ev[i].is_write && m.ev[i].pa == A)
            found++;
    assert_int_equal(found, 1);
    assert_int_equal(cache_array_stats(cache_llc(h, 0))->writebacks, 1);
    cache_free(h);
}

/* L1I + L1D + LLC, no L2. */
static void collect(void *arg, const char *name, const char *desc, const uint64_t *value)
{
    (void)value;
    assert_non_null(desc);
    FILE *f = arg;
    fprintf(f, "%s\n", name);
}

static void test_l1_llc_only(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cache_cfg_default(&c, 1, 2);
    c.nprivate = 2;
    lvl(&c.priv[0], "l1i", 128, 2, 1, CACHE_SIDE_I, CACHE_REPL_LRU);
    lvl(&c.priv[1], "l1d", 128, 2, 4, CACHE_SIDE_D, CACHE_REPL_LRU);
    lvl(&c.llc, "llc", 1024, 4, 30, 0, CACHE_REPL_LRU);
    c.mem = mem_cb;
    c.mem_arg = &m;
    cache_sys_t *h = mk(&c);
    cache_result_t r;
    uint64_t X = L(4);
    assert_int_equal(acc(h, 0, X, CACHE_LOAD, &r), 130);
    assert_int_equal(r.src, CACHE_SRC_MEM);
    assert_int_equal(acc(h, 0, X + 63, CACHE_LOAD, &r), 4);
    /* Evict X from the 1-set 2-way L1D. */
    acc(h, 0, L(5), CACHE_LOAD, NULL);
    acc(h, 0, L(6), CACHE_LOAD, NULL);
    assert_int_equal(cache_state(h, 0, X), CACHE_I);
    assert_int_equal(acc(h, 0, X, CACHE_LOAD, &r), 30);
    assert_int_equal(r.src, CACHE_SRC_LLC);
    /* A fetch of the same line: the core holds it on the data side (case 1: LLC latency). */
    assert_int_equal(acc(h, 0, X, CACHE_IFETCH, &r), 30);
    assert_int_equal(cache_state(h, 0, X), CACHE_E);
    assert_int_equal(acc(h, 0, X, CACHE_IFETCH, &r), 1);
    assert_int_equal(r.level, 0);
    assert_int_equal(pst(h, 0, 0)->hits, 1);
    assert_int_equal(pst(h, 0, 0)->misses, 1);
    assert_int_equal(pst(h, 0, 1)->hits, 1);
    assert_int_equal(pst(h, 0, 1)->misses, 4);
    const cache_level_stats_t *ls = cache_array_stats(cache_llc(h, 0));
    assert_int_equal(ls->hits, 2);
    assert_int_equal(ls->misses, 3);
    /* A store to a line held in L1I and L1D makes both copies M. */
    acc(h, 0, X, CACHE_STORE, NULL);
    assert_int_equal(cache_state(h, 0, X), CACHE_M);
    /* Counter names. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cache_foreach_counter(h, collect, f);
    fclose(f);
    const char *want[] = {"cpu0.l1d.hits\n", "cpu0.l1d.misses\n", "cpu0.l1i.hits\n", "cpu0.l1i.misses\n",
                          "cpu1.l1d.hits\n", "socket0.llc.hits\n", "socket0.llc.misses\n",
                          "cpu0.coh.invalidations\n", "cpu1.coh.c2c_remote\n", "socket0.llc.back_invalidations\n"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(buf, want[i]))
            fail_msg("counter %s missing", want[i]);
    assert_null(strstr(buf, ".l2."));
    free(buf);
    cache_free(h);
}

/* Each private level present alone, and no cache at all. */
static void test_degenerate(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cache_cfg_default(&c, 1, 1);
    c.nprivate = 0;
    c.llc.size = 0;
    c.mem = mem_cb;
    c.mem_arg = &m;
    cache_sys_t *h = mk(&c);
    assert_int_equal(acc(h, 0, 0x40, CACHE_LOAD, NULL), MEM_LAT);
    assert_int_equal(acc(h, 0, 0x40, CACHE_STORE, NULL), MEM_LAT);
    assert_int_equal(m.n, 3);
    assert_true(m.ev[2].is_write);
    cache_free(h);
    /* LLC only. */
    cache_cfg_default(&c, 1, 2);
    c.nprivate = 0;
    lvl(&c.llc, "llc", 256, 2, 30, 0, CACHE_REPL_LRU);
    c.mem = mem_cb;
    c.mem_arg = &m;
    h = mk(&c);
    assert_int_equal(acc(h, 0, 0x40, CACHE_STORE, NULL), 130);
    int d = 0;
    assert_true(cache_llc_holds(h, 0, 0x40, &d));
    assert_true(d);
    assert_int_equal(acc(h, 1, 0x40, CACHE_LOAD, NULL), 30);
    cache_free(h);
}

/* Inclusive LLC: an LLC eviction removes the private copies (a Modified one is written back). */
static void inclusion_case(enum cache_inclusion inc)
{
    memlog_t m = {0};
    cache_cfg_t c;
    cache_cfg_default(&c, 1, 2);
    c.nprivate = 1;
    lvl(&c.priv[0], "l1d", 512, 2, 4, CACHE_SIDE_D, CACHE_REPL_LRU);
    lvl(&c.llc, "llc", 128, 2, 30, 0, CACHE_REPL_LRU); /* 1 set, 2 ways */
    c.inclusion = inc;
    c.mem = mem_cb;
    c.mem_arg = &m;
    cache_sys_t *h = mk(&c);
    uint64_t A = L(0), B = L(1), C = L(2);
    acc(h, 0, A, CACHE_LOAD, NULL);
    acc(h, 1, B, CACHE_LOAD, NULL);
    assert_int_equal(acc(h, 0, A, CACHE_STORE, NULL), 4); /* E -> M, silent */
    assert_int_equal(cache_state(h, 0, A), CACHE_M);
    assert_int_equal(acc(h, 0, C, CACHE_LOAD, NULL), 130); /* the LLC evicts A (LRU) */
    const cache_level_stats_t *ls = cache_array_stats(cache_llc(h, 0));
    assert_int_equal(ls->evictions, 1);
    if (inc == CACHE_INCLUSIVE) {
        assert_int_equal(cache_state(h, 0, A), CACHE_I);
        assert_int_equal(cache_dir_mask(h, 0, A), 0);
        assert_int_equal(ls->back_invalidations, 1);
        assert_int_equal(ls->writebacks, 1);
        assert_int_equal(pst(h, 0, 0)->invalidations, 1);
        assert_int_equal(m.ev[m.n - 1].pa, A);
        assert_true(m.ev[m.n - 1].is_write);
        /* A is gone: memory again. */
        assert_int_equal(acc(h, 0, A, CACHE_LOAD, NULL), 130);
    } else {
        assert_int_equal(cache_state(h, 0, A), CACHE_M);
        assert_int_equal(ls->back_invalidations, 0);
        assert_int_equal(ls->writebacks, 0);
        assert_int_equal(acc(h, 0, A, CACHE_LOAD, NULL), 4);
        /* Core 1 reads A: forwarded by core 0 (M -> S, written back into the LLC). */
        cache_result_t r;
        assert_int_equal(acc(h, 1, A, CACHE_LOAD, &r), cache_c2c_cycles(h, 1, 0));
        assert_int_equal(r.src, CACHE_SRC_PEER);
        int d = 0;
        assert_true(cache_llc_holds(h, 0, A, &d));
        assert_true(d);
    }
    cache_free(h);
}

static void test_inclusive(void **state) { (void)state; inclusion_case(CACHE_INCLUSIVE); }
static void test_non_inclusive(void **state) { (void)state; inclusion_case(CACHE_NON_INCLUSIVE); }

/* ---- MESI on 2 sockets x 2 cores: cpu0, cpu1 on socket 0; cpu2, cpu3 on socket 1 ---- */
enum { LAT_L1 = 2, LAT_L2 = 8, LAT_LLC = 20, C2C_L = 30, C2C_R = 120 };

static cache_sys_t *mk_mesi(memlog_t *m, enum cache_inclusion inc)
{
    cache_cfg_t c;
    cache_cfg_default(&c, 2, 2);
    c.nprivate = 3;
    lvl(&c.priv[0], "l1i", 1024, 2, 1, CACHE_SIDE_I, CACHE_REPL_LRU);
    lvl(&c.priv[1], "l1d", 1024, 2, LAT_L1, CACHE_SIDE_D, CACHE_REPL_LRU);
    lvl(&c.priv[2], "l2", 4096, 4, LAT_L2, CACHE_SIDE_I | CACHE_SIDE_D, CACHE_REPL_LRU);
    lvl(&c.llc, "llc", 16384, 4, LAT_LLC, 0, CACHE_REPL_LRU);
    c.inclusion = inc;
    c.cpu_ghz = 1.0;
    c.c2c_local_ns = C2C_L;
    c.c2c_remote_ns = C2C_R;
    c.mem = mem_cb;
    c.mem_arg = m;
    return mk(&c);
}

static void expect(cache_sys_t *h, int cpu, uint64_t pa, enum cache_kind k, uint32_t cyc, enum cache_src src)
{
    cache_result_t r;
    uint32_t got = acc(h, cpu, pa, k, &r);
    if (got != cyc || r.src != src)
        fail_msg("cpu%d %s %#" PRIx64 ": %u cycles from source %d, expected %u from %d", cpu,
                 k == CACHE_STORE ? "store" : k == CACHE_LOAD ? "load" : "fetch", pa, got, (int)r.src, cyc, (int)src);
}

static void states(cache_sys_t *h, uint64_t pa, enum cache_mesi s0, enum cache_mesi s1, enum cache_mesi s2,
                   enum cache_mesi s3)
{
    enum cache_mesi want[4] = {s0, s1, s2, s3};
    for (int i = 0; i < 4; i++)
        if (cache_state(h, i, pa) != want[i])
            fail_msg("cpu%d: state %d of %#" PRIx64 ", expected %d", i, (int)cache_state(h, i, pa), pa, (int)want[i]);
}

static void mesi_sequence(enum cache_inclusion inc)
{
    memlog_t m = {0};
    cache_sys_t *h = mk_mesi(&m, inc);
    assert_int_equal(cache_c2c_cycles(h, 0, 1), C2C_L);
    assert_int_equal(cache_c2c_cycles(h, 0, 2), C2C_R);
    uint64_t X = 0x10000;
    /* E on the first read. */
    expect(h, 0, X, CACHE_LOAD, LAT_LLC + MEM_LAT, CACHE_SRC_MEM);
    states(h, X, CACHE_E, CACHE_I, CACHE_I, CACHE_I);
    assert_int_equal(cache_dir_mask(h, 0, X), 1);
    /* A second core of the socket: forwarded by the E owner, both S. */
    expect(h, 1, X, CACHE_LOAD, C2C_L, CACHE_SRC_PEER);
    states(h, X, CACHE_S, CACHE_S, CACHE_I, CACHE_I);
    assert_int_equal(cache_dir_mask(h, 0, X), 3);
    assert_int_equal(cache_coh_stats(h, 1)->c2c_local, 1);
    assert_int_equal(cache_coh_stats(h, 1)->downgrades, 1);
    assert_int_equal(cache_coh_stats(h, 1)->snoop_writebacks, 0);
    /* The other socket: clean copies do not forward across sockets: memory. */
    expect(h, 2, X, CACHE_LOAD, LAT_LLC + MEM_LAT, CACHE_SRC_MEM);
    states(h, X, CACHE_S, CACHE_S, CACHE_S, CACHE_I);
    assert_true(cache_llc_holds(h, 1, X, NULL));
    /* Store to a Shared line: upgrade, invalidating cpu0 (local), cpu2 and socket 1's LLC (remote):
     * the farthest invalidation costs the remote core-to-core latency. */
    expect(h, 1, X, CACHE_STORE, C2C_R, CACHE_SRC_PRIVATE);
    states(h, X, CACHE_I, CACHE_M, CACHE_I, CACHE_I);
    assert_false(cache_llc_holds(h, 1, X, NULL));
    const cache_coh_stats_t *c1 = cache_coh_stats(h, 1);
    assert_int_equal(c1->upgrades, 1);
    assert_int_equal(c1->invalidations, 3);
    assert_int_equal(c1->xsocket_invalidations, 2);
    assert_int_equal(pst(h, 0, 1)->invalidations, 1);
    assert_int_equal(pst(h, 0, 2)->invalidations, 1);
    assert_int_equal(cache_array_stats(cache_llc(h, 1))->invalidations, 1);
    /* A read of the Modified line from the same socket: M -> S with write-back into the LLC. */
    expect(h, 0, X, CACHE_LOAD, C2C_L, CACHE_SRC_PEER);
    states(h, X, CACHE_S, CACHE_S, CACHE_I, CACHE_I);
    int d = 0;
    assert_true(cache_llc_holds(h, 0, X, &d));
    assert_true(d);
    assert_int_equal(cache_coh_stats(h, 0)->snoop_writebacks, 1);
    /* The other socket reads: socket 0's LLC holds it dirty and forwards it across (remote). */
    expect(h, 3, X, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE);
    states(h, X, CACHE_S, CACHE_S, CACHE_I, CACHE_S);
    assert_int_equal(cache_coh_stats(h, 3)->c2c_remote, 1);
    /* cpu3 writes: everything on socket 0 goes, at the remote latency. */
    expect(h, 3, X, CACHE_STORE, C2C_R, CACHE_SRC_PRIVATE);
    states(h, X, CACHE_I, CACHE_I, CACHE_I, CACHE_M);
    assert_false(cache_llc_holds(h, 0, X, NULL));
    assert_int_equal(cache_coh_stats(h, 3)->invalidations, 3);
    /* cpu2 reads it: local owner in M. */
    expect(h, 2, X, CACHE_LOAD, C2C_L, CACHE_SRC_PEER);
    states(h, X, CACHE_I, CACHE_I, CACHE_S, CACHE_S);
    /* cpu0 stores (RFO miss): data from socket 1's dirty LLC, copies invalidated: remote latency. */
    expect(h, 0, X, CACHE_STORE, C2C_R, CACHE_SRC_REMOTE);
    states(h, X, CACHE_M, CACHE_I, CACHE_I, CACHE_I);
    assert_false(cache_llc_holds(h, 1, X, NULL));
    /* cpu2 reads across sockets from the M owner. */
    expect(h, 2, X, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE);
    states(h, X, CACHE_S, CACHE_I, CACHE_S, CACHE_I);
    assert_true(cache_llc_holds(h, 0, X, &d));
    assert_true(d);
    /* cpu1 writes with an RFO: the line is in its socket's LLC: LLC latency vs invalidating cpu0
     * (local) and cpu2 (remote). */
    expect(h, 1, X, CACHE_STORE, C2C_R, CACHE_SRC_LLC);
    states(h, X, CACHE_I, CACHE_M, CACHE_I, CACHE_I);
    /* Memory was read exactly twice for X, and never written. */
    int reads = 0, writes = 0;
    for (int i = 0; i < m.n; i++)
        if (m.ev[i].pa == X) {
            reads += !m.ev[i].is_write;
            writes += m.ev[i].is_write;
        }
    assert_int_equal(reads, 2);
    assert_int_equal(writes, 0);
    cache_free(h);
}

static void test_mesi_non_inclusive(void **state) { (void)state; mesi_sequence(CACHE_NON_INCLUSIVE); }

/* Two and three cores; silent E -> M; remote RFO from an M owner; a fetch of a written line. */
static void test_mesi_more(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_sys_t *h = mk_mesi(&m, CACHE_NON_INCLUSIVE);
    uint64_t Y = 0x20000, Z = 0x30000;
    expect(h, 0, Y, CACHE_LOAD, LAT_LLC + MEM_LAT, CACHE_SRC_MEM);
    expect(h, 0, Y, CACHE_STORE, LAT_L1, CACHE_SRC_PRIVATE); /* E -> M silently */
    states(h, Y, CACHE_M, CACHE_I, CACHE_I, CACHE_I);
    assert_int_equal(cache_coh_stats(h, 0)->upgrades, 0);
    /* Remote RFO from the M owner: the dirty data moves, no write-back; cpu0's copy and the clean
     * copy socket 0's LLC took on the memory fill are invalidated. */
    expect(h, 2, Y, CACHE_STORE, C2C_R, CACHE_SRC_REMOTE);
    states(h, Y, CACHE_I, CACHE_I, CACHE_M, CACHE_I);
    assert_int_equal(cache_coh_stats(h, 2)->invalidations, 2);
    assert_int_equal(cache_coh_stats(h, 2)->xsocket_invalidations, 2);
    assert_false(cache_llc_holds(h, 0, Y, NULL));
    assert_int_equal(cache_coh_stats(h, 2)->snoop_writebacks, 0);
    /* Three readers: the M owner on socket 1 is read by cpu3 (local) then cpu0 and cpu1 (S copies
     * stay where they are). */
    expect(h, 3, Y, CACHE_LOAD, C2C_L, CACHE_SRC_PEER);
    expect(h, 0, Y, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE); /* socket 1's LLC holds it dirty */
    /* cpu1: its LLC misses (the forwarded line was not copied into the non-inclusive LLC) and
     * socket 1's LLC holds the line dirty: it forwards, although cpu0 next door holds it S. */
    expect(h, 1, Y, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE);
    states(h, Y, CACHE_S, CACHE_S, CACHE_S, CACHE_S);
    assert_int_equal(cache_coh_stats(h, 1)->c2c_remote, 1);
    /* Local sharer forwarding: Z read by cpu0 from memory, then by cpu2 (forwarded from cpu0's E
     * copy across sockets); the non-inclusive LLC of socket 0 loses Z, and cpu1 reads it: forwarded
     * by cpu0 (S), no memory read. */
    expect(h, 0, Z, CACHE_LOAD, LAT_LLC + MEM_LAT, CACHE_SRC_MEM);
    expect(h, 2, Z, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE); /* both S now */
    /* Evict Z from socket 0's LLC (4 ways, 64 sets): 4 more lines of the same set. */
    for (int i = 1; i <= 4; i++)
        acc(h, 1, Z + (uint64_t)i * 64 * 64, CACHE_LOAD, NULL);
    assert_false(cache_llc_holds(h, 0, Z, NULL));
    assert_int_equal(cache_state(h, 0, Z), CACHE_S);
    expect(h, 1, Z, CACHE_LOAD, C2C_L, CACHE_SRC_PEER);
    states(h, Z, CACHE_S, CACHE_S, CACHE_S, CACHE_I);
    /* Instruction fetch after a store by the same core: the line is M in L1D; the fetch finds it in
     * L2 (unified). */
    uint64_t W = 0x40000;
    acc(h, 3, W, CACHE_STORE, NULL);
    expect(h, 3, W, CACHE_IFETCH, LAT_L2, CACHE_SRC_PRIVATE);
    expect(h, 3, W, CACHE_IFETCH, 1, CACHE_SRC_PRIVATE);
    assert_int_equal(cache_state(h, 3, W), CACHE_M);
    cache_free(h);
}

static void test_mesi_inclusive(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_sys_t *h = mk_mesi(&m, CACHE_INCLUSIVE);
    uint64_t X = 0x10000;
    expect(h, 0, X, CACHE_LOAD, LAT_LLC + MEM_LAT, CACHE_SRC_MEM);
    expect(h, 2, X, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE); /* forwarded by the E owner */
    states(h, X, CACHE_S, CACHE_I, CACHE_S, CACHE_I);
    assert_true(cache_llc_holds(h, 1, X, NULL)); /* inclusive: filled on the forward */
    expect(h, 2, X, CACHE_STORE, C2C_R, CACHE_SRC_PRIVATE);
    /* Inclusive: the requester's LLC keeps its copy; socket 0's LLC lost it with cpu0's. */
    assert_true(cache_llc_holds(h, 1, X, NULL));
    assert_false(cache_llc_holds(h, 0, X, NULL));
    expect(h, 1, X, CACHE_LOAD, C2C_R, CACHE_SRC_REMOTE);
    /* Inclusion: the forwarded line was filled into socket 0's LLC too. */
    assert_true(cache_llc_holds(h, 0, X, NULL));
    int d = 0;
    assert_true(cache_llc_holds(h, 1, X, &d));
    assert_true(d); /* cpu2's M data written back into its LLC */
    cache_free(h);
}

/* The last-fetched-line shortcut keeps LRU exact: A B B B A C evicts B. */
static void test_fetch_shortcut(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cache_cfg_default(&c, 1, 1);
    c.nprivate = 1;
    lvl(&c.priv[0], "l1i", 128, 2, 1, CACHE_SIDE_I, CACHE_REPL_LRU);
    c.llc.size = 0;
    c.mem = mem_cb;
    c.mem_arg = &m;
    cache_sys_t *h = mk(&c);
    uint64_t A = L(0), B = L(1), C = L(2);
    assert_int_equal(acc(h, 0, A, CACHE_IFETCH, NULL), 101);
    assert_int_equal(acc(h, 0, B, CACHE_IFETCH, NULL), 101);
    assert_int_equal(acc(h, 0, B + 4, CACHE_IFETCH, NULL), 1);
    assert_int_equal(acc(h, 0, B + 8, CACHE_IFETCH, NULL), 1);
    assert_int_equal(acc(h, 0, A, CACHE_IFETCH, NULL), 1);
    assert_int_equal(acc(h, 0, C, CACHE_IFETCH, NULL), 101);
    assert_int_equal(cache_state(h, 0, B), CACHE_I);
    assert_int_equal(cache_state(h, 0, A), CACHE_E);
    assert_int_equal(acc(h, 0, A, CACHE_IFETCH, NULL), 1);
    assert_int_equal(pst(h, 0, 0)->hits, 4);
    assert_int_equal(pst(h, 0, 0)->misses, 3);
    assert_int_equal(cache_array_set_hits(cache_private(h, 0, 0))[0], 4);
    cache_free(h);
}

/* ---- random sequences, every policy and inclusion, cache_check after every access ---- */
typedef struct snap { int n; uint64_t v[1024]; } snap_t;
static void snap_cb(void *arg, const char *name, const char *desc, const uint64_t *value)
{
    (void)name;
    (void)desc;
    snap_t *s = arg;
    if (s->n < 1024)
        s->v[s->n++] = *value;
}

static void random_run(enum cache_repl repl, enum cache_inclusion inc, uint64_t seed, int steps, snap_t *out,
                       uint64_t *cycles)
{
    memlog_t m = {0};
    cache_cfg_t c;
    cache_cfg_default(&c, 2, 3);
    c.nprivate = 3;
    lvl(&c.priv[0], "l1i", 256, 2, 1, CACHE_SIDE_I, repl);
    lvl(&c.priv[1], "l1d", 256, 2, 3, CACHE_SIDE_D, repl);
    lvl(&c.priv[2], "l2", 768, 3, 9, CACHE_SIDE_I | CACHE_SIDE_D, repl);
    lvl(&c.llc, "llc", 64 * 3 * 11, 11, 30, 0, repl); /* 3 sets: the modulo index */
    for (int i = 0; i < 3; i++)
        c.priv[i].seed = seed;
    c.llc.seed = seed;
    c.inclusion = inc;
    c.cpu_ghz = 2.0;
    c.mem = mem_cb;
    c.mem_arg = &m;
    cache_sys_t *h = mk(&c);
    uint64_t x = seed * 2654435761u + 1, total = 0;
    for (int i = 0; i < steps; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int cpu = (int)(x % 6);
        uint64_t line = (x >> 8) % 48;
        enum cache_kind k = (enum cache_kind)((x >> 20) % 3);
        m.n = 0;
        total += acc(h, cpu, line * 64 + ((x >> 30) & 63), k, NULL);
    }
    out->n = 0;
    cache_foreach_counter(h, snap_cb, out);
    *cycles = total;
    cache_flush_all(h, 0);
    check(h);
    cache_free(h);
}

static void test_random_sequences(void **state)
{
    (void)state;
    static snap_t a, b;
    for (int repl = 0; repl < 3; repl++)
        for (int inc = 0; inc < 2; inc++) {
            uint64_t ca, cb;
            random_run((enum cache_repl)repl, (enum cache_inclusion)inc, 7, 6000, &a, &ca);
            random_run((enum cache_repl)repl, (enum cache_inclusion)inc, 7, 6000, &b, &cb);
            assert_int_equal(a.n, b.n);
            assert_memory_equal(a.v, b.v, (size_t)a.n * sizeof(uint64_t));
            assert_int_equal(ca, cb);
        }
}

static void test_defaults_and_errors(void **state)
{
    (void)state;
    cache_cfg_t c;
    cache_cfg_default(&c, 2, 28);
    cache_sys_t *h = mk(&c);
    assert_int_equal(cache_c2c_cycles(h, 0, 1), 45);  /* 18 ns at 2.5 GHz */
    assert_int_equal(cache_c2c_cycles(h, 0, 28), 213); /* 85 ns */
    assert_int_equal(cache_array_sets(cache_llc(h, 1)), 2048 * 28);
    assert_int_equal(cache_array_ways(cache_llc(h, 1)), 11);
    assert_int_equal(cache_array_sets(cache_private(h, 55, 2)), 1024);
    assert_int_equal(cache_array_latency(cache_private(h, 3, 1)), 4);
    assert_null(cache_private(h, 56, 0));
    /* First access to every level on a big machine. */
    cache_result_t r;
    assert_int_equal(cache_access(h, 30, 0x123456, CACHE_LOAD, 0, &r), 60);
    assert_int_equal(r.src, CACHE_SRC_MEM);
    cache_free(h);

    cache_cfg_default(&c, 1, 1);
    c.priv[1].ways = 0;
    assert_null(cache_new(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "l1d"));
    cache_cfg_default(&c, 1, 1);
    c.priv[2].size = 1000;
    assert_null(cache_new(&c, err, sizeof(err)));
    cache_cfg_default(&c, 1, 65);
    assert_null(cache_new(&c, err, sizeof(err)));
    cache_cfg_default(&c, 1, 1);
    c.priv[0].line = 32;
    assert_null(cache_new(&c, err, sizeof(err)));
    cache_cfg_default(&c, 1, 1);
    c.priv[0].sides = 0;
    assert_null(cache_new(&c, err, sizeof(err)));
    /* A latency matrix overrides the two figures. */
    double mat[4] = {0, 11, 22, 0};
    cache_cfg_default(&c, 2, 1);
    c.c2c_ns = mat;
    c.cpu_ghz = 2.0;
    h = mk(&c);
    assert_int_equal(cache_c2c_cycles(h, 0, 1), 22);
    assert_int_equal(cache_c2c_cycles(h, 1, 0), 44);
    cache_free(h);
}

/* Read-only views: a way's contents, names, resets, the policy setter, cache_flush_all. */
static void test_views(void **state)
{
    (void)state;
    memlog_t m = {0};
    cache_cfg_t c;
    cfg_one(&c, 2, 2, CACHE_REPL_LRU, &m);
    cache_cfg_set_repl(&c, CACHE_REPL_PLRU, 9);
    assert_int_equal(c.priv[0].repl, CACHE_REPL_PLRU);
    assert_int_equal(c.llc.seed, 9);
    cache_sys_t *h = mk(&c);
    assert_int_equal(cache_ncpus(h), 1);
    assert_int_equal(cache_nsockets(h), 1);
    assert_null(cache_llc(h, 0));
    const cache_array_t *a = cache_private(h, 0, 0);
    assert_string_equal(cache_array_name(a), "l1d");
    assert_int_equal(cache_array_repl(a), CACHE_REPL_PLRU);
    acc(h, 0, 0x1040, CACHE_STORE, NULL); /* line 0x41: set 1, way 0 */
    uint64_t pa = 0;
    enum cache_mesi st = CACHE_I;
    int d = 0;
    assert_true(cache_array_line(a, 1, 0, &pa, &st, &d));
    assert_int_equal(pa, 0x1040);
    assert_int_equal(st, CACHE_M);
    assert_true(d);
    assert_false(cache_array_line(a, 1, 1, &pa, &st, &d));
    assert_false(cache_array_line(a, 2, 0, &pa, &st, &d));
    cache_reset_stats(h);
    assert_int_equal(cache_array_stats(a)->misses, 0);
    assert_int_equal(cache_array_set_misses(a)[1], 0);
    assert_int_equal(acc(h, 0, 0x1040, CACHE_LOAD, NULL), 4); /* contents kept */
    cache_flush_all(h, 5);
    check(h);
    assert_int_equal(cache_array_valid_lines(a), 0);
    assert_true(m.ev[m.n - 1].is_write);
    assert_int_equal(m.ev[m.n - 1].pa, 0x1040);
    assert_int_equal(acc(h, 0, 0x1040, CACHE_LOAD, NULL), 104);
    cache_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_2x2),
        cmocka_unit_test(test_lru_4way),
        cmocka_unit_test(test_plru_4way),
        cmocka_unit_test(test_plru_3way),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_writeback),
        cmocka_unit_test(test_writeback_chain),
        cmocka_unit_test(test_l1_llc_only),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_inclusive),
        cmocka_unit_test(test_non_inclusive),
        cmocka_unit_test(test_mesi_non_inclusive),
        cmocka_unit_test(test_mesi_more),
        cmocka_unit_test(test_mesi_inclusive),
        cmocka_unit_test(test_fetch_shortcut),
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_defaults_and_errors),
        cmocka_unit_test(test_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
