/* Unit tests for tlb/: exact hits, misses, evictions and cycles on tiny arrays under each
 * replacement policy, per-set counters, PCID and global semantics, flushes, INVLPG across page
 * sizes (split large pages included), the STLB refilling L1, the re-validated fast path, and the
 * miss ratio of uniformly random accesses. tlb_check() runs after every test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tlb/tlb.h"

static char err[256];

static void check_array(const tlb_array_t *a)
{
    if (tlb_array_check(a, err, sizeof(err)) < 0)
        fail_msg("tlb_array_check: %s", err);
}

static void check_tlb(const tlb_t *t)
{
    if (tlb_check(t, err, sizeof(err)) < 0)
        fail_msg("tlb_check: %s", err);
}

static tlb_array_t *mk(uint32_t entries, uint32_t ways, enum tlb_repl repl, uint64_t seed)
{
    tlb_array_cfg_t c = {.entries = entries, .ways = ways, .latency = 1, .repl = repl, .seed = seed};
    tlb_array_t *a = tlb_array_new(&c, "test", err, sizeof(err));
    if (!a)
        fail_msg("tlb_array_new: %s", err);
    return a;
}

/* Access vpn (4K, PCID 0): 1 on a hit; on a miss insert it and return 0, with the evicted VPN in
 * *ev (or -1). */
static int acc(tlb_array_t *a, uint64_t vpn, int64_t *ev)
{
    *ev = -1;
    if (tlb_array_lookup(a, vpn, TLB_4K, 0))
        return 1;
    tlb_payload_t p = {vpn << 12, 0, TLB_F_W};
    tlb_entry_t old;
    tlb_entry_t *e = tlb_array_insert(a, vpn, TLB_4K, 0, &p, &old);
    assert_non_null(e);
    assert_int_equal(tlb_entry_vpn(e), vpn);
    if (tlb_entry_valid(&old))
        *ev = (int64_t)tlb_entry_vpn(&old);
    return 0;
}

/* Run a sequence; write the evicted VPNs (in order) to evs and return how many; count hits. */
static int run(tlb_array_t *a, const uint64_t *seq, int n, int64_t *evs, int *hits)
{
    int ne = 0;
    *hits = 0;
    for (int i = 0; i < n; i++) {
        int64_t ev;
        *hits += acc(a, seq[i], &ev);
        if (ev >= 0)
            evs[ne++] = ev;
        check_array(a);
    }
    return ne;
}

static void test_lru(void **state)
{
    (void)state;
    tlb_array_t *a = mk(4, 4, TLB_REPL_LRU, 0);
    const uint64_t seq[] = {1, 2, 3, 4, 1, 5, 2, 3, 1};
    int64_t evs[16];
    int hits;
    int ne = run(a, seq, 9, evs, &hits);
    /* 1 2 3 4 fill; 1 hits (LRU order 2 3 4 1); 5 evicts 2; 2 evicts 3; 3 evicts 4; 1 hits. */
    assert_int_equal(hits, 2);
    assert_int_equal(ne, 3);
    assert_int_equal(evs[0], 2);
    assert_int_equal(evs[1], 3);
    assert_int_equal(evs[2], 4);
    const tlb_array_stats_t *s = tlb_array_stats(a);
    assert_int_equal(s->hits, 2);
    assert_int_equal(s->misses, 7);
    assert_int_equal(s->fills, 7);
    assert_int_equal(s->evictions, 3);
    assert_int_equal(tlb_array_sets(a), 1);
    assert_int_equal(tlb_array_latency(a), 1);
    assert_int_equal(tlb_array_valid_entries(a), 4);
    tlb_array_free(a);
}

static void test_lru_vs_plru(void **state)
{
    (void)state;
    /* After 1 2 3 4 1 2 4 true LRU evicts 3 then 1 then 2; tree-PLRU evicts 1 then 3 then 2 (its
     * root points at the half of ways 0/1 after the use of way 3). */
    const uint64_t seq[] = {1, 2, 3, 4, 1, 2, 4, 5, 6, 7};
    int64_t evs[16];
    int hits;
    tlb_array_t *lru = mk(4, 4, TLB_REPL_LRU, 0);
    assert_int_equal(run(lru, seq, 10, evs, &hits), 3);
    assert_int_equal(hits, 3);
    assert_int_equal(evs[0], 3);
    assert_int_equal(evs[1], 1);
    assert_int_equal(evs[2], 2);
    tlb_array_free(lru);

    tlb_array_t *plru = mk(4, 4, TLB_REPL_PLRU, 0);
    assert_int_equal(run(plru, seq, 10, evs, &hits), 3);
    assert_int_equal(hits, 3);
    assert_int_equal(evs[0], 1);
    assert_int_equal(evs[1], 3);
    assert_int_equal(evs[2], 2);
    assert_int_equal(tlb_array_repl(plru), TLB_REPL_PLRU);
    tlb_array_free(plru);
}

static void test_plru_three_ways(void **state)
{
    (void)state;
    /* 3 ways: a 4-leaf tree whose leaf 3 has no way; the descent never picks it. Fill 1 2 3 (ways
     * 0 1 2): root -> left, node 2 -> way 0: 4 evicts 1. Then root -> right, node 3 points at the
     * missing leaf, so way 2: 5 evicts 3. Then root -> left, node 2 -> way 1: 6 evicts 2. */
    tlb_array_t *a = mk(3, 3, TLB_REPL_PLRU, 0);
    const uint64_t seq[] = {1, 2, 3, 4, 5, 6, 4};
    int64_t evs[8];
    int hits;
    assert_int_equal(run(a, seq, 7, evs, &hits), 3);
    assert_int_equal(hits, 1);
    assert_int_equal(evs[0], 1);
    assert_int_equal(evs[1], 3);
    assert_int_equal(evs[2], 2);
    tlb_array_free(a);
}

static void test_random(void **state)
{
    (void)state;
    /* xorshift64 from seed 12345 gives x % 4 = 1 1 1 0 2 3 2 3: the victim ways once the set is full. */
    tlb_array_t *a = mk(4, 4, TLB_REPL_RANDOM, 12345);
    const uint64_t seq[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    int64_t evs[16];
    int hits;
    assert_int_equal(run(a, seq, 12, evs, &hits), 8);
    assert_int_equal(hits, 0);
    const int64_t want[] = {2, 5, 6, 1, 3, 4, 9, 10};
    for (int i = 0; i < 8; i++)
        assert_int_equal(evs[i], want[i]);
    /* The same seed replays the same victims. */
    tlb_array_t *b = mk(4, 4, TLB_REPL_RANDOM, 12345);
    int64_t evs2[16];
    assert_int_equal(run(b, seq, 12, evs2, &hits), 8);
    assert_memory_equal(evs, evs2, sizeof(want));
    /* Against an independent xorshift64 picking victim ways in a model of the set. */
    uint64_t x = 12345, ways[4] = {1, 2, 3, 4};
    for (int i = 0; i < 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        assert_int_equal(evs[i], ways[x % 4]);
        ways[x % 4] = (uint64_t)(5 + i);
    }
    tlb_array_free(a);
    tlb_array_free(b);
}

static void test_sets_and_per_set_counters(void **state)
{
    (void)state;
    /* 8 entries, 2 ways: 4 sets, set = vpn & 3. */
    tlb_array_t *a = mk(8, 2, TLB_REPL_LRU, 0);
    assert_int_equal(tlb_array_sets(a), 4);
    assert_int_equal(tlb_array_ways(a), 2);
    const uint64_t seq[] = {0, 4, 8, 1, 0, 8, 5, 4, 9};
    int64_t evs[16];
    int hits;
    /* set 0: 0 4 fill, 8 evicts 0, 0 evicts 4, 8 hits, 4 evicts 0. set 1: 1, 5, 9 evicts 1. */
    int ne = run(a, seq, 9, evs, &hits);
    assert_int_equal(hits, 1);
    assert_int_equal(ne, 4);
    assert_int_equal(evs[0], 0);
    assert_int_equal(evs[1], 4);
    assert_int_equal(evs[2], 0);
    assert_int_equal(evs[3], 1);
    const uint64_t *sh = tlb_array_set_hits(a), *sm = tlb_array_set_misses(a), *se = tlb_array_set_evictions(a);
    assert_int_equal(sh[0], 1);
    assert_int_equal(sm[0], 5);
    assert_int_equal(se[0], 3);
    assert_int_equal(sh[1], 0);
    assert_int_equal(sm[1], 3);
    assert_int_equal(se[1], 1);
    assert_int_equal(sm[2] + sm[3] + sh[2] + sh[3], 0);
    /* Probe has no side effects. */
    assert_non_null(tlb_array_probe(a, 8, TLB_4K, 0));
    assert_null(tlb_array_probe(a, 12, TLB_4K, 0));
    assert_null(tlb_array_probe(a, 8, TLB_2M, 0)); /* the size is part of the tag */
    assert_int_equal(tlb_array_stats(a)->hits, 1);
    assert_int_equal(tlb_array_stats(a)->misses, 8);
    check_array(a);
    const tlb_entry_t *e = tlb_array_entry(a, 0, 0);
    assert_non_null(e);
    assert_null(tlb_array_entry(a, 4, 0));
    tlb_array_reset_stats(a);
    assert_int_equal(tlb_array_stats(a)->misses, 0);
    assert_int_equal(tlb_array_set_misses(a)[0], 0);
    check_array(a);
    tlb_array_free(a);
}

static void test_bad_geometry(void **state)
{
    (void)state;
    tlb_array_cfg_t c = {.entries = 12, .ways = 4, .latency = 1};
    assert_null(tlb_array_new(&c, "x", err, sizeof(err)));
    assert_non_null(strstr(err, "power of two"));
    c.entries = 10;
    assert_null(tlb_array_new(&c, "x", err, sizeof(err)));
    c.entries = 0;
    assert_null(tlb_array_new(&c, "x", err, sizeof(err)));
    tlb_cfg_t tc;
    tlb_cfg_default(&tc);
    tc.stlb.ways = 7;
    assert_null(tlb_new(&tc, err, sizeof(err)));
    assert_non_null(strstr(err, "stlb"));
}

static void test_array_pcid_global(void **state)
{
    (void)state;
    tlb_array_t *a = mk(8, 8, TLB_REPL_LRU, 0);
    tlb_payload_t p = {0x1000, 0, 0}, g = {0x2000, 0, TLB_F_G};
    tlb_array_insert(a, 5, TLB_4K, 1, &p, NULL);
    assert_null(tlb_array_lookup(a, 5, TLB_4K, 2));
    tlb_array_insert(a, 5, TLB_4K, 2, &p, NULL); /* a second entry, for PCID 2 */
    assert_int_equal(tlb_array_valid_entries(a), 2);
    tlb_array_insert(a, 6, TLB_4K, 1, &g, NULL);
    tlb_entry_t *e = tlb_array_lookup(a, 6, TLB_4K, 3); /* global: any PCID */
    assert_non_null(e);
    assert_true(tlb_entry_global(e));
    assert_int_equal(tlb_entry_pcid(e), 0); /* a global entry belongs to every PCID */
    /* A global entry for VPN 5 replaces both PCID entries (they would answer the same lookups). */
    tlb_array_insert(a, 5, TLB_4K, 3, &g, NULL);
    assert_int_equal(tlb_array_valid_entries(a), 2);
    assert_int_equal(tlb_array_stats(a)->invalidations, 1);
    check_array(a);
    /* INVLPG semantics: an entry of another PCID stays, a global one goes. */
    tlb_array_insert(a, 7, TLB_4K, 1, &p, NULL);
    assert_int_equal(tlb_array_invalidate(a, 7, TLB_4K, 2), 0);
    assert_int_equal(tlb_array_invalidate(a, 7, TLB_4K, 1), 1);
    assert_int_equal(tlb_array_invalidate(a, 6, TLB_4K, 9), 1);
    /* flush_pcid keeps other PCIDs and (with keep_global) globals. */
    tlb_array_insert(a, 8, TLB_4K, 1, &p, NULL);
    tlb_array_insert(a, 9, TLB_4K, 2, &p, NULL);
    assert_int_equal(tlb_array_flush_pcid(a, 1, 1), 1); /* 8 */
    assert_non_null(tlb_array_probe(a, 5, TLB_4K, 1));  /* global 5 kept */
    assert_non_null(tlb_array_probe(a, 9, TLB_4K, 2));
    assert_int_equal(tlb_array_flush_pcid(a, 2, 0), 2); /* 9 and the global 5 */
    tlb_array_insert(a, 10, TLB_4K, 1, &g, NULL);
    tlb_array_insert(a, 11, TLB_4K, 1, &p, NULL);
    assert_int_equal(tlb_array_flush_all(a, 1), 1);
    assert_int_equal(tlb_array_valid_entries(a), 1);
    assert_int_equal(tlb_array_flush_all(a, 0), 1);
    assert_int_equal(tlb_array_valid_entries(a), 0);
    check_array(a);
    tlb_array_free(a);
}

/* ---------------------------------------------------------------------------------------------- */
/* The hierarchy on a tiny configuration. */

static tlb_cfg_t tiny_cfg(void)
{
    tlb_cfg_t c;
    memset(&c, 0, sizeof(c));
    c.itlb[TLB_4K] = (tlb_array_cfg_t){.entries = 4, .ways = 4, .latency = 1};
    c.itlb[TLB_2M] = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 1};
    /* no 1G iTLB, as Skylake */
    c.dtlb[TLB_4K] = (tlb_array_cfg_t){.entries = 4, .ways = 4, .latency = 1};
    c.dtlb[TLB_2M] = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 1};
    c.dtlb[TLB_1G] = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 1};
    c.stlb = (tlb_array_cfg_t){.entries = 8, .ways = 2, .latency = 9};
    c.stlb_1g = (tlb_array_cfg_t){.entries = 2, .ways = 2, .latency = 9};
    tlb_cfg_set_repl(&c, TLB_REPL_LRU, 1);
    return c;
}

static tlb_t *mk_tlb(const tlb_cfg_t *c)
{
    tlb_t *t = tlb_new(c, err, sizeof(err));
    if (!t)
        fail_msg("tlb_new: %s", err);
    return t;
}

/* A translation of the page of va: pa = va + 1 TiB. */
static tlb_payload_t pay(uint64_t va, enum tlb_size s, uint32_t flags)
{
    uint64_t base = va & ~((1ull << tlb_size_shift(s)) - 1);
    tlb_payload_t p = {base + (1ull << 40), base + 0x100000000000ull, flags};
    return p;
}

/* Look up; on a miss fill the page (size s). Returns the level. */
static enum tlb_level touch(tlb_t *t, enum tlb_kind k, uint64_t va, unsigned pcid, enum tlb_size s, uint32_t *cyc)
{
    tlb_result_t r;
    enum tlb_level lv = tlb_lookup(t, k, va, pcid, &r);
    assert_int_equal(lv, r.level);
    if (cyc)
        *cyc = r.cycles;
    if (lv == TLB_MISS) {
        assert_null(r.entry);
        tlb_payload_t p = pay(va, s, TLB_F_W | TLB_F_U);
        tlb_entry_t *e = tlb_fill(t, k, va, pcid, s, &p);
        assert_non_null(e);
        assert_int_equal(tlb_entry_pa(e, va), va + (1ull << 40));
    } else {
        assert_non_null(r.entry);
        assert_int_equal(tlb_entry_pa(r.entry, va), va + (1ull << 40));
        assert_int_equal(r.entry->host + (va & ((1ull << tlb_size_shift(tlb_entry_size(r.entry))) - 1)),
                         va + 0x100000000000ull);
    }
    check_tlb(t);
    return lv;
}

static void test_hierarchy_cycles_and_stlb_refill(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    tlb_t *t = mk_tlb(&c);
    const tlb_stats_t *s = tlb_stats(t);
    uint32_t cyc;
    assert_int_equal(touch(t, TLB_LOAD, 0x1000, 0, TLB_4K, &cyc), TLB_MISS);
    assert_int_equal(cyc, 10); /* L1 1 + STLB 9 */
    assert_int_equal(touch(t, TLB_STORE, 0x1234, 0, TLB_4K, &cyc), TLB_HIT_L1);
    assert_int_equal(cyc, 1);
    /* Pages 2..5 evict page 1 from the 4-entry L1 (LRU); the 8-entry STLB keeps it. */
    for (uint64_t p = 2; p <= 5; p++)
        assert_int_equal(touch(t, TLB_LOAD, p << 12, 0, TLB_4K, NULL), TLB_MISS);
    assert_int_equal(s->dtlb_evictions, 1);
    assert_int_equal(touch(t, TLB_LOAD, 0x1008, 0, TLB_4K, &cyc), TLB_HIT_STLB);
    assert_int_equal(cyc, 10);
    assert_int_equal(s->dtlb_evictions, 2); /* the refill evicted page 2 */
    assert_int_equal(touch(t, TLB_LOAD, 0x1010, 0, TLB_4K, &cyc), TLB_HIT_L1);
    assert_int_equal(touch(t, TLB_LOAD, 0x2000, 0, TLB_4K, &cyc), TLB_HIT_STLB);
    assert_int_equal(s->dtlb_hits, 2);
    assert_int_equal(s->dtlb_misses, 7);
    assert_int_equal(s->dtlb_misses_4k, 7); /* 5 walks + 2 STLB refills */
    assert_int_equal(s->stlb_hits, 2);
    assert_int_equal(s->stlb_misses, 5);
    assert_int_equal(s->stlb_misses_4k, 5);
    assert_int_equal(s->tlb_fills, 5);
    assert_int_equal(s->stlb_evictions, 0);
    assert_int_equal(s->itlb_hits + s->itlb_misses, 0);
    assert_int_equal(tlb_lookup_cycles(t), 1 * 2 + 10 * 7);
    /* The per-array view: the 4K dTLB array saw 2 hits and 7 misses (attributed at fill). */
    const tlb_array_t *d4 = tlb_get_array(t, TLB_DTLB_4K);
    assert_int_equal(tlb_array_stats(d4)->hits, 2);
    assert_int_equal(tlb_array_stats(d4)->misses, 7);
    assert_int_equal(tlb_array_stats(tlb_get_array(t, TLB_STLB))->hits, 2);
    assert_null(tlb_get_array(t, TLB_ITLB_1G));
    /* Fetches use the iTLB but share the STLB: page 3 is there. */
    assert_int_equal(touch(t, TLB_FETCH, 0x3000, 0, TLB_4K, &cyc), TLB_HIT_STLB);
    assert_int_equal(touch(t, TLB_FETCH, 0x3000, 0, TLB_4K, &cyc), TLB_HIT_L1);
    assert_int_equal(s->itlb_misses, 1);
    assert_int_equal(s->itlb_hits, 1);
    tlb_reset_stats(t);
    assert_int_equal(s->dtlb_hits, 0);
    check_tlb(t);
    tlb_free(t);
}

static void test_stlb_set_conflicts(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    c.dtlb[TLB_4K] = (tlb_array_cfg_t){.entries = 1, .ways = 1, .latency = 1};
    tlb_t *t = mk_tlb(&c);
    /* STLB: 4 sets x 2 ways, 4K set = vpn & 3. Pages 0, 4, 8 share set 0: 8 evicts 0. */
    touch(t, TLB_LOAD, 0x0000, 0, TLB_4K, NULL);
    touch(t, TLB_LOAD, 0x4000, 0, TLB_4K, NULL);
    touch(t, TLB_LOAD, 0x8000, 0, TLB_4K, NULL);
    assert_int_equal(tlb_stats(t)->stlb_evictions, 1);
    assert_int_equal(touch(t, TLB_LOAD, 0x4000, 0, TLB_4K, NULL), TLB_HIT_STLB);
    assert_int_equal(touch(t, TLB_LOAD, 0x0000, 0, TLB_4K, NULL), TLB_MISS);
    const tlb_array_t *st = tlb_get_array(t, TLB_STLB);
    assert_int_equal(tlb_array_set_evictions(st)[0], 2);
    assert_int_equal(tlb_array_set_misses(st)[0], 4);
    assert_int_equal(tlb_array_set_hits(st)[0], 1);
    /* A 2M page is indexed by its 2M VPN: va 2M*5 -> set 1, and it does not collide with 4K VPN 5. */
    touch(t, TLB_LOAD, 5ull << 21, 0, TLB_2M, NULL);
    assert_int_equal(tlb_array_set_misses(st)[1], 1);
    touch(t, TLB_LOAD, 5ull << 12, 0, TLB_4K, NULL);
    assert_int_equal(tlb_array_set_misses(st)[1], 2);
    assert_int_equal(tlb_array_valid_entries(st), 4); /* set 0: 4 and 0; set 1: the 2M page and 4K VPN 5 */
    tlb_free(t);
}

static void test_page_sizes_and_invlpg(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    tlb_t *t = mk_tlb(&c);
    const tlb_stats_t *s = tlb_stats(t);
    uint64_t a4 = 0x7f0000001000ull, a2 = 0x40000000ull, a1 = 0x8000000000ull;
    assert_int_equal(touch(t, TLB_LOAD, a4, 1, TLB_4K, NULL), TLB_MISS);
    assert_int_equal(touch(t, TLB_LOAD, a2, 1, TLB_2M, NULL), TLB_MISS);
    assert_int_equal(touch(t, TLB_LOAD, a1, 1, TLB_1G, NULL), TLB_MISS);
    assert_int_equal(s->dtlb_misses_4k, 1);
    assert_int_equal(s->dtlb_misses_2m, 1);
    assert_int_equal(s->dtlb_misses_1g, 1);
    assert_int_equal(s->stlb_misses_2m, 1);
    assert_int_equal(s->stlb_misses_1g, 1);
    /* Anywhere in the large pages hits L1. */
    assert_int_equal(touch(t, TLB_LOAD, a2 + 0x1ff008, 1, TLB_2M, NULL), TLB_HIT_L1);
    assert_int_equal(touch(t, TLB_LOAD, a1 + 0x3fff0000, 1, TLB_1G, NULL), TLB_HIT_L1);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t, TLB_DTLB_2M)), 1);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t, TLB_STLB_1G)), 1);
    /* INVLPG of one address of each page drops it at every level, and nothing else. */
    tlb_invlpg(t, a2 + 0x12345, 1);
    assert_int_equal(s->tlb_invalidated, 2); /* L1 2M + STLB */
    assert_int_equal(touch(t, TLB_LOAD, a4, 1, TLB_4K, NULL), TLB_HIT_L1);
    assert_int_equal(touch(t, TLB_LOAD, a1, 1, TLB_1G, NULL), TLB_HIT_L1);
    assert_int_equal(touch(t, TLB_LOAD, a2, 1, TLB_2M, NULL), TLB_MISS);
    tlb_invlpg(t, a1 + 0x20000000, 1);
    assert_int_equal(touch(t, TLB_LOAD, a1, 1, TLB_1G, NULL), TLB_MISS);
    /* INVLPG under another PCID leaves a non-global entry alone. */
    tlb_invlpg(t, a4, 2);
    assert_int_equal(touch(t, TLB_LOAD, a4, 1, TLB_4K, NULL), TLB_HIT_L1);
    tlb_invlpg(t, a4, 1);
    assert_int_equal(touch(t, TLB_LOAD, a4, 1, TLB_4K, NULL), TLB_MISS);
    assert_int_equal(s->tlb_invlpgs, 4);
    tlb_free(t);
}

static void test_split_1g_code_page(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    tlb_t *t = mk_tlb(&c);
    const tlb_stats_t *s = tlb_stats(t);
    uint64_t page = 0x40000000ull; /* a 1 GiB code page; the iTLB has no 1G array */
    uint32_t cyc;
    assert_int_equal(touch(t, TLB_FETCH, page + 0x1000, 0, TLB_1G, NULL), TLB_MISS);
    const tlb_array_t *i2 = tlb_get_array(t, TLB_ITLB_2M);
    assert_int_equal(tlb_array_valid_entries(i2), 1);
    const tlb_entry_t *e = tlb_array_entry(i2, 0, 0);
    assert_true(tlb_entry_valid(e));
    assert_true(e->flags & TLB_F_SPLIT);
    assert_int_equal(tlb_entry_size(e), TLB_2M);
    assert_int_equal((e->flags >> TLB_F_PAGE_SHIFT) & 3, TLB_1G);
    assert_int_equal(s->itlb_misses_1g, 1);
    /* Same 2M piece: L1 hit. Another piece of the page: L1 miss, hit in the 1G STLB, refilled. */
    assert_int_equal(touch(t, TLB_FETCH, page + 0x1ff000, 0, TLB_1G, &cyc), TLB_HIT_L1);
    assert_int_equal(touch(t, TLB_FETCH, page + 0x20345678, 0, TLB_1G, &cyc), TLB_HIT_STLB);
    assert_int_equal(cyc, 10);
    assert_int_equal(tlb_array_valid_entries(i2), 2);
    assert_int_equal(s->itlb_misses_1g, 2);
    /* INVLPG of a third, never-cached piece drops every piece and the STLB entry. */
    tlb_invlpg(t, page + 0x3fe00000, 0);
    assert_int_equal(tlb_array_valid_entries(i2), 0);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t, TLB_STLB_1G)), 0);
    assert_int_equal(s->tlb_invalidated, 3);
    check_tlb(t);

    /* Without a 1G STLB, 1G pages live in the unified STLB as 2M pieces. */
    tlb_cfg_t c2 = tiny_cfg();
    c2.stlb_1g.entries = 0;
    tlb_t *t2 = mk_tlb(&c2);
    assert_int_equal(touch(t2, TLB_FETCH, page + 0x1000, 0, TLB_1G, NULL), TLB_MISS);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t2, TLB_STLB)), 1);
    assert_int_equal(touch(t2, TLB_LOAD, page + 0x2000, 0, TLB_1G, NULL), TLB_HIT_STLB);
    /* The dTLB got the 2M piece the STLB holds, not the 1G page. */
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t2, TLB_DTLB_2M)), 1);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t2, TLB_DTLB_1G)), 0);
    assert_int_equal(tlb_stats(t2)->dtlb_misses_1g, 1);
    tlb_invlpg(t2, page + 0x10000000, 0);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t2, TLB_STLB)), 0);
    assert_int_equal(tlb_array_valid_entries(tlb_get_array(t2, TLB_DTLB_2M)), 0);
    check_tlb(t2);
    tlb_free(t2);
    tlb_free(t);
}

static void test_pcid_global_flushes(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    tlb_t *t = mk_tlb(&c);
    const tlb_stats_t *s = tlb_stats(t);
    uint64_t x = 0x10000, y = 0x20000;
    tlb_result_t r;
    assert_int_equal(touch(t, TLB_LOAD, x, 1, TLB_4K, NULL), TLB_MISS);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 1, &r), TLB_MISS);
    tlb_payload_t gp = pay(y, TLB_4K, TLB_F_G);
    tlb_fill(t, TLB_LOAD, y, 1, TLB_4K, &gp);
    /* PCID 2 sees the global page only. */
    assert_int_equal(tlb_lookup(t, TLB_LOAD, x, 2, &r), TLB_MISS);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 2, &r), TLB_HIT_L1);
    assert_true(r.entry->flags & TLB_F_G);
    /* flush_pcid(1, keep_global): x gone, y stays. */
    tlb_flush_pcid(t, 1, 1);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, x, 1, &r), TLB_MISS);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 1, &r), TLB_HIT_L1);
    /* INVLPG under any PCID drops a global page. */
    tlb_invlpg(t, y, 7);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 1, &r), TLB_MISS);
    /* flush_all with and without keep_global. */
    touch(t, TLB_LOAD, x, 1, TLB_4K, NULL);
    tlb_fill(t, TLB_LOAD, y, 1, TLB_4K, &gp);
    touch(t, TLB_LOAD, x + 0x1000, 3, TLB_4K, NULL);
    tlb_flush_all(t, 1);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, x, 1, &r), TLB_MISS);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, x + 0x1000, 3, &r), TLB_MISS);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 5, &r), TLB_HIT_L1);
    tlb_flush_all(t, 0);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 5, &r), TLB_MISS);
    for (int id = 0; id < TLB_NR_ARRAYS; id++) {
        const tlb_array_t *a = tlb_get_array(t, (enum tlb_array_id)id);
        if (a)
            assert_int_equal(tlb_array_valid_entries(a), 0);
    }
    assert_int_equal(s->tlb_flushes, 2);
    assert_int_equal(s->tlb_flushes_pcid, 1);
    /* flush_pcid without keep_global drops globals too. */
    tlb_fill(t, TLB_LOAD, y, 1, TLB_4K, &gp);
    tlb_flush_pcid(t, 4, 0);
    assert_int_equal(tlb_lookup(t, TLB_LOAD, y, 1, &r), TLB_MISS);
    check_tlb(t);
    tlb_free(t);
}

static void test_revalidated_hit(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    tlb_t *t = mk_tlb(&c), *u = mk_tlb(&c);
    /* Two identical TLBs: one looked up every time, one through the fast path. */
    tlb_result_t r;
    touch(t, TLB_LOAD, 0x5000, 0, TLB_4K, NULL);
    touch(u, TLB_LOAD, 0x5000, 0, TLB_4K, NULL);
    assert_int_equal(tlb_lookup(u, TLB_LOAD, 0x5000, 0, &r), TLB_HIT_L1);
    tlb_entry_t *e = r.entry;
    uint64_t tag = e->tag;
    assert_int_equal(tlb_lookup(t, TLB_LOAD, 0x5000, 0, &r), TLB_HIT_L1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tlb_lookup(t, TLB_LOAD, 0x5008, 0, &r), TLB_HIT_L1);
        assert_true(e->tag == tag);
        assert_int_equal(tlb_hit(u, TLB_LOAD, e), 1);
    }
    assert_memory_equal(tlb_stats(t), tlb_stats(u), sizeof(tlb_stats_t));
    /* Four more pages evict it (LRU); the tag shows the slot changed. */
    for (uint64_t p = 6; p <= 9; p++)
        touch(u, TLB_LOAD, p << 12, 0, TLB_4K, NULL);
    assert_true(e->tag != tag);
    /* INVLPG also changes it. */
    tlb_lookup(u, TLB_LOAD, 0x9000, 0, &r);
    e = r.entry;
    tag = e->tag;
    tlb_invlpg(u, 0x9000, 0);
    assert_true(e->tag != tag);
    check_tlb(t);
    check_tlb(u);
    /* An STLB entry serves directly when the side has no array for the page: fetches here. */
    tlb_cfg_t c2 = tiny_cfg();
    memset(c2.itlb, 0, sizeof(c2.itlb));
    tlb_t *v = mk_tlb(&c2);
    touch(v, TLB_FETCH, 0x7000, 0, TLB_4K, NULL);
    assert_int_equal(tlb_lookup(v, TLB_FETCH, 0x7000, 0, &r), TLB_HIT_STLB);
    assert_true(r.entry->flags & TLB_F_STLB);
    assert_int_equal(tlb_hit(v, TLB_FETCH, r.entry), 9); /* no iTLB: the STLB latency alone */
    assert_int_equal(tlb_stats(v)->stlb_hits, 2);
    assert_int_equal(tlb_stats(v)->itlb_misses, 3);
    check_tlb(v);
    tlb_free(v);
    tlb_free(t);
    tlb_free(u);
}

static void test_mark_dirty(void **state)
{
    (void)state;
    tlb_cfg_t c = tiny_cfg();
    tlb_t *t = mk_tlb(&c);
    tlb_result_t r;
    touch(t, TLB_LOAD, 0x3000, 0, TLB_4K, NULL);
    tlb_lookup(t, TLB_STORE, 0x3000, 0, &r);
    assert_false(r.entry->flags & TLB_F_D);
    assert_int_equal(tlb_mark_dirty(t, 0x3004, 0), 2); /* L1 and STLB */
    assert_true(r.entry->flags & TLB_F_D);
    assert_int_equal(tlb_mark_dirty(t, 0x3004, 1), 0);
    tlb_free(t);
}

static void test_defaults(void **state)
{
    (void)state;
    tlb_cfg_t c;
    tlb_cfg_default(&c);
    tlb_t *t = mk_tlb(&c);
    struct {
        enum tlb_array_id id;
        uint32_t sets, ways, lat;
    } want[] = {{TLB_ITLB_4K, 16, 8, 1}, {TLB_ITLB_2M, 1, 8, 1}, {TLB_DTLB_4K, 16, 4, 1}, {TLB_DTLB_2M, 8, 4, 1},
                {TLB_DTLB_1G, 1, 4, 1},  {TLB_STLB, 128, 12, 9}, {TLB_STLB_1G, 4, 4, 9}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const tlb_array_t *a = tlb_get_array(t, want[i].id);
        assert_non_null(a);
        assert_int_equal(tlb_array_sets(a), want[i].sets);
        assert_int_equal(tlb_array_ways(a), want[i].ways);
        assert_int_equal(tlb_array_latency(a), want[i].lat);
    }
    assert_null(tlb_get_array(t, TLB_ITLB_1G));
    uint32_t cyc;
    assert_int_equal(touch(t, TLB_LOAD, 0x1000, 0, TLB_4K, &cyc), TLB_MISS);
    assert_int_equal(cyc, 10);
    tlb_free(t);
    /* Every policy builds on the default geometry (12-way PLRU included) and keeps invariants. */
    for (int p = TLB_REPL_LRU; p <= TLB_REPL_RANDOM; p++) {
        tlb_cfg_set_repl(&c, (enum tlb_repl)p, 42);
        t = mk_tlb(&c);
        uint64_t x = 1;
        for (int i = 0; i < 20000; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t va = (x >> 20) & 0x3ffff000ull; /* 256K pages: many STLB evictions */
            tlb_result_t r;
            if (tlb_lookup(t, TLB_LOAD, va, 0, &r) == TLB_MISS) {
                tlb_payload_t pp = pay(va, TLB_4K, 0);
                tlb_fill(t, TLB_LOAD, va, 0, TLB_4K, &pp);
            }
        }
        check_tlb(t);
        assert_true(tlb_stats(t)->stlb_evictions > 0);
        tlb_free(t);
    }
}

/* Uniform random accesses to N pages through a fully associative LRU TLB of E entries: once warm,
 * the TLB holds the E most recently used pages and the next page is any of N, so the miss ratio is
 * 1 - E/N. */
static double random_miss_ratio(int n_pages, int entries, int use_hierarchy)
{
    tlb_array_t *a = NULL;
    tlb_t *t = NULL;
    if (use_hierarchy) {
        tlb_cfg_t c;
        memset(&c, 0, sizeof(c));
        c.dtlb[TLB_4K] = (tlb_array_cfg_t){.entries = (uint32_t)entries, .ways = (uint32_t)entries, .latency = 1};
        t = mk_tlb(&c);
    } else {
        a = mk((uint32_t)entries, (uint32_t)entries, TLB_REPL_LRU, 0);
    }
    uint64_t x = 0x2545f4914f6cdd1dull;
    const int warm = 20000, total = 220000;
    int misses = 0;
    for (int i = 0; i < total; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t page = (x >> 11) % (uint64_t)n_pages;
        int miss;
        if (t) {
            tlb_result_t r;
            miss = tlb_lookup(t, TLB_LOAD, page << 12, 0, &r) == TLB_MISS;
            if (miss) {
                tlb_payload_t p = pay(page << 12, TLB_4K, 0);
                tlb_fill(t, TLB_LOAD, page << 12, 0, TLB_4K, &p);
            }
        } else {
            int64_t ev;
            miss = !acc(a, page, &ev);
        }
        if (i >= warm)
            misses += miss;
    }
    if (t) {
        check_tlb(t);
        tlb_free(t);
    } else {
        check_array(a);
        tlb_array_free(a);
    }
    return (double)misses / (total - warm);
}

static void test_random_access_miss_ratio(void **state)
{
    (void)state;
    const struct {
        int n, e;
    } cases[] = {{1024, 64}, {512, 256}, {256, 192}, {64, 64}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (int h = 0; h < 2; h++) {
            double want = 1.0 - (double)cases[i].e / cases[i].n;
            double got = random_miss_ratio(cases[i].n, cases[i].e, h);
            if (got < want - 0.01 || got > want + 0.01)
                fail_msg("N=%d E=%d: miss ratio %.4f, expected %.4f", cases[i].n, cases[i].e, got, want);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru),
        cmocka_unit_test(test_lru_vs_plru),
        cmocka_unit_test(test_plru_three_ways),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_sets_and_per_set_counters),
        cmocka_unit_test(test_bad_geometry),
        cmocka_unit_test(test_array_pcid_global),
        cmocka_unit_test(test_hierarchy_cycles_and_stlb_refill),
        cmocka_unit_test(test_stlb_set_conflicts),
        cmocka_unit_test(test_page_sizes_and_invlpg),
        cmocka_unit_test(test_split_1g_code_page),
        cmocka_unit_test(test_pcid_global_flushes),
        cmocka_unit_test(test_revalidated_hit),
        cmocka_unit_test(test_mark_dirty),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_random_access_miss_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
