/* Unit tests for the DRAM controller timing of dram/ (dram/ctrl.c): bank sequences with exact cycle
 * counts, refresh, the address mapping, out-of-order arrival, bandwidth saturation, NUMA latency and
 * link bandwidth, determinism, presets and bad configurations.
 *
 * Most tests use a small controller whose clocks are round numbers: a 2000 MHz CPU and DDR-2000
 * (a 1000 MHz DRAM clock), so one DRAM clock is exactly 2 CPU cycles and a 10 ns front end is 20
 * cycles. Its mapping is "line" (ro:ra:ba:bg:co:ch) over 2 channels, 1 rank, 2 bank groups of 2
 * banks and 1 KiB rows (16 columns): pa bit 6 is the channel, bits 7-10 the column, bit 11 the bank
 * group, bit 12 the bank, bits 13 and up the row. Unloaded latencies, in CPU cycles:
 *   read hit       20 + 2 * (tCL 10 + burst 4)                   = 48
 *   read miss      20 + 2 * (tRCD 10 + tCL 10 + burst 4)          = 68
 *   read conflict  20 + 2 * (tRP 10 + tRCD 10 + tCL 10 + burst 4) = 88
 *   write miss     20 + 2 * (tRCD 10 + tCWL 8 + burst 4)          = 64 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dram/dram.h"

static dram_ctrl_cfg_t small_cfg(void)
{
    dram_ctrl_cfg_t g;
    memset(&g, 0, sizeof(g));
    g.cpu_mhz = 2000;
    g.data_rate_mts = 2000;
    g.bus_bytes = 8;
    g.burst_length = 8;
    g.channels = 2;
    g.ranks = 1;
    g.bank_groups = 2;
    g.banks_per_group = 2;
    g.row_bytes = 1024;
    snprintf(g.mapping, sizeof(g.mapping), "line");
    g.page_policy = DRAM_OPEN_PAGE;
    g.tCL = 10;
    g.tCWL = 8;
    g.tRCD = 10;
    g.tRP = 10;
    g.tRAS = 24;
    g.tRTP = 5;
    g.tWR = 10;
    g.tCCD_S = 4;
    g.tCCD_L = 6;
    g.tRFC = 100;
    g.tREFI = 0;
    g.frontend_ns = 10.0;
    g.bank_history = 8;
    g.calendar_slots = 64;
    g.window_cycles = 100000;
    return g;
}

/* Physical address of a line of the small controller. */
static uint64_t A(unsigned ch, unsigned col, unsigned bg, unsigned ba, uint64_t row)
{
    return ((((row * 2 + ba) * 2 + bg) * 16 + col) * 2 + ch) << 6;
}

static dram_ctrl_t *mk(const dram_ctrl_cfg_t *g, const dram_topo_t *t, int node)
{
    char err[256] = "";
    dram_ctrl_t *c = dram_ctrl_new(g, t, node, err, sizeof(err));
    if (!c)
        fail_msg("dram_ctrl_new: %s", err);
    return c;
}

static void check_ok(const dram_ctrl_t *c)
{
    char err[256] = "";
    if (dram_ctrl_check(c, err, sizeof(err)))
        fail_msg("dram_ctrl_check: %s", err);
}

static uint32_t acc(dram_ctrl_t *c, uint64_t pa, int wr, uint64_t now, enum dram_outcome want_outcome)
{
    dram_access_t a;
    uint32_t lat = dram_ctrl_access(c, pa, wr, now, 0, &a);
    assert_int_equal(a.latency, lat);
    assert_int_equal(a.done_cycles, now + lat);
    if (a.outcome != want_outcome)
        fail_msg("pa %#llx at %llu: outcome %d, expected %d", (unsigned long long)pa, (unsigned long long)now,
                 a.outcome, want_outcome);
    return lat;
}

static void test_idle_latencies(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    dram_ctrl_t *c = mk(&g, NULL, 0);
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_HIT, 0), 48);
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_MISS, 0), 68);
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_CONFLICT, 0), 88);
    /* 2 channels x 2000 MT/s x 8 bytes = 32 GB/s = 16 bytes per 2 GHz cycle. */
    assert_true(dram_ctrl_peak_bytes_per_cycle(c) == 16.0);
    dram_ctrl_free(c);
}

/* Miss on a closed bank, hit on the open row, conflict with another row, each well apart. */
static void test_hit_miss_conflict(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    dram_ctrl_t *c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 5), 0, 0, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 3, 0, 0, 5), 0, 1000, DRAM_ROW_HIT), 48);
    assert_int_equal(acc(c, A(0, 3, 0, 0, 6), 0, 2000, DRAM_ROW_CONFLICT), 88);
    assert_int_equal(acc(c, A(0, 9, 0, 0, 6), 0, 3000, DRAM_ROW_HIT), 48);
    /* Another bank of the same channel is still closed; the other channel too. */
    assert_int_equal(acc(c, A(0, 0, 1, 0, 6), 0, 4000, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(1, 0, 0, 0, 6), 0, 5000, DRAM_ROW_MISS), 68);
    const dram_ctrl_stats_t *s = dram_ctrl_stats(c);
    assert_int_equal(s->reads, 6);
    assert_int_equal(s->writes, 0);
    assert_int_equal(s->row_hits, 2);
    assert_int_equal(s->row_misses, 3);
    assert_int_equal(s->row_conflicts, 1);
    assert_int_equal(s->bytes, 6 * 64);
    assert_int_equal(s->latency_cycles, 68 + 48 + 88 + 48 + 68 + 68);
    assert_int_equal(s->queue_cycles, 0);
    assert_int_equal(s->local_accesses, 6);
    check_ok(c);
    dram_ctrl_reset_stats(c);
    assert_int_equal(dram_ctrl_stats(c)->reads, 0);
    dram_ctrl_free(c);
}

/* Requests close together: tCCD_L between hits of one bank group, tRAS before a precharge, the
 * data bus between bank groups, write recovery. */
static void test_back_to_back(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    dram_ctrl_t *c = mk(&g, NULL, 0);
    dram_access_t a;
    /* Miss: ACT 20, CAS 40, data [60, 68). A hit to its row at the same time: CAS >= 40 + tCCD_L 12
     * = 52, data [72, 80): latency 80, 32 more than an idle hit (whose CAS would be at 20). */
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 0, DRAM_ROW_MISS), 68);
    assert_int_equal(dram_ctrl_access(c, A(0, 1, 0, 0, 1), 0, 0, 0, &a), 80);
    assert_int_equal(a.outcome, DRAM_ROW_HIT);
    assert_int_equal(a.queue_cycles, 32);
    /* A conflict right after: PRE waits for tRAS (ACT 20 + 48 = 68; the hit's CAS 52 + tRTP 10 = 62),
     * ACT 88, CAS 108, done 136: latency 135 from cycle 1. */
    assert_int_equal(acc(c, A(0, 0, 0, 0, 2), 0, 1, DRAM_ROW_CONFLICT), 135);
    /* Other bank group, same channel, same time: its miss would put data at [60, 68), but the bus
     * holds [60, 68) and [72, 80) (and [128, 136)); the first free 8 cycles start at 80: CAS 60,
     * data [80, 88): latency 88, 20 of them queueing. */
    assert_int_equal(dram_ctrl_access(c, A(0, 0, 1, 0, 1), 0, 0, 0, &a), 88);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    assert_int_equal(a.queue_cycles, 20);
    /* Another channel: independent. */
    assert_int_equal(acc(c, A(1, 0, 0, 0, 1), 0, 0, DRAM_ROW_MISS), 68);
    check_ok(c);
    dram_ctrl_free(c);

    /* Write recovery: write miss ACT 20, CAS 40, data [56, 64); PRE >= 64 + tWR 20 = 84 (> tRAS 68);
     * ACT 104, CAS 124, done 152: latency 151 from cycle 1. */
    c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 1, 0, DRAM_ROW_MISS), 64);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 2), 0, 1, DRAM_ROW_CONFLICT), 151);
    assert_int_equal(dram_ctrl_stats(c)->writes, 1);
    assert_int_equal(dram_ctrl_stats(c)->reads, 1);
    check_ok(c);
    dram_ctrl_free(c);
}

static void test_closed_page(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    g.page_policy = DRAM_CLOSED_PAGE;
    dram_ctrl_t *c = mk(&g, NULL, 0);
    /* Every access finds its bank closed, even its own row. */
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 0, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 1, 0, 0, 1), 0, 1000, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 1, 0, 0, 2), 0, 2000, DRAM_ROW_MISS), 68);
    /* Back to back: auto-precharge at max(ACT 20 + tRAS 48, CAS 40 + tRTP 10) = 68, ACT 88, CAS 108,
     * done 136: latency 135 from cycle 1. */
    assert_int_equal(acc(c, A(0, 0, 0, 1, 1), 0, 0 + 10000, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 5, 0, 1, 1), 0, 1 + 10000, DRAM_ROW_MISS), 135);
    const dram_ctrl_stats_t *s = dram_ctrl_stats(c);
    assert_int_equal(s->row_misses, 5);
    assert_int_equal(s->row_hits + s->row_conflicts, 0);
    check_ok(c);
    dram_ctrl_free(c);
}

/* Refresh every 1000 clocks (2000 cycles) for 100 clocks (200 cycles); channel 0's rank refreshes
 * at [2000k, 2000k + 200), channel 1's half a period later, at [1000 + 2000k, ...) for k >= 1. */
static void test_refresh(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    g.tREFI = 1000;
    dram_ctrl_t *c = mk(&g, NULL, 0);
    dram_access_t a;
    /* Before the first window: no stall. Opens row 1 of bank 0. */
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 0, DRAM_ROW_MISS), 68);
    /* Arrives at 2070 inside [2000, 2200): waits to 2200; the refresh closed the row: a miss,
     * ACT 2200, CAS 2220, done 2248: latency 198 from 2050, 130 of them refresh. */
    assert_int_equal(dram_ctrl_access(c, A(0, 1, 0, 0, 1), 0, 2050, 0, &a), 198);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    assert_true(a.refresh_stall);
    assert_int_equal(a.queue_cycles, 0);
    /* Channel 1 at the same time is between its windows. */
    assert_int_equal(dram_ctrl_access(c, A(1, 0, 0, 0, 1), 0, 2050, 0, &a), 68);
    assert_false(a.refresh_stall);
    /* A row left open across a refresh is closed by it: miss, not hit (window [4000, 4200)). */
    assert_int_equal(acc(c, A(0, 2, 0, 0, 1), 0, 4300, DRAM_ROW_MISS), 68);
    /* Arriving exactly at a window's start (6000) waits the whole tRFC: ACT 6200, done 6248. */
    assert_int_equal(dram_ctrl_access(c, A(0, 3, 0, 0, 1), 0, 5980, 0, &a), 220 + 48);
    assert_true(a.refresh_stall);
    assert_int_equal(a.outcome, DRAM_ROW_MISS);
    const dram_ctrl_stats_t *s = dram_ctrl_stats(c);
    assert_int_equal(s->refresh_stalls, 2);
    assert_int_equal(s->refresh_cycles, 130 + 200);
    check_ok(c);
    dram_ctrl_free(c);
}

static void test_mapping(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    dram_ctrl_t *c = mk(&g, NULL, 0);
    dram_coord_t w;
    dram_ctrl_decode(c, 0x40, &w);
    assert_int_equal(w.channel, 1);
    assert_int_equal(w.column, 0);
    dram_ctrl_decode(c, 0x80 * 5, &w);
    assert_int_equal(w.channel, 0);
    assert_int_equal(w.column, 5);
    dram_ctrl_decode(c, 0x800, &w);
    assert_int_equal(w.bank_group, 1);
    assert_int_equal(w.bank, 0);
    dram_ctrl_decode(c, 0x1000, &w);
    assert_int_equal(w.bank_group, 0);
    assert_int_equal(w.bank, 1);
    dram_ctrl_decode(c, 0x2000 * 77 + 0x1800 + 0x780 + 0x40 + 0x3f, &w);
    assert_int_equal(w.row, 77);
    assert_int_equal(w.bank, 1);
    assert_int_equal(w.bank_group, 1);
    assert_int_equal(w.column, 15);
    assert_int_equal(w.channel, 1);
    assert_int_equal(w.rank, 0);
    dram_ctrl_free(c);

    /* base_pa: the node's first address decodes as line 0. */
    g.base_pa = 1ull << 32;
    c = mk(&g, NULL, 0);
    dram_ctrl_decode(c, (1ull << 32) + 0x2040, &w);
    assert_int_equal(w.row, 1);
    assert_int_equal(w.channel, 1);
    dram_ctrl_free(c);

    /* The DDR4 preset: 6 channels (not a power of two) interleaved every 256 B, "256b" =
     * ro:ra:ba:bg:co:ch:co2. Line x: column low bits x % 4; channel (x / 4) % 6; then column high
     * bits (5 of them), bank group (2), bank (2), rank (1), row. */
    assert_int_equal(dram_ctrl_cfg_preset(&g, "ddr4-2666"), 0);
    c = mk(&g, NULL, 0);
    dram_ctrl_decode(c, 64, &w);
    assert_int_equal(w.channel, 0);
    assert_int_equal(w.column, 1);
    dram_ctrl_decode(c, 256, &w);
    assert_int_equal(w.channel, 1);
    assert_int_equal(w.column, 0);
    dram_ctrl_decode(c, 5 * 256 + 3 * 64, &w);
    assert_int_equal(w.channel, 5);
    assert_int_equal(w.column, 3);
    dram_ctrl_decode(c, 6 * 256, &w); /* back to channel 0, next 256 B of its row */
    assert_int_equal(w.channel, 0);
    assert_int_equal(w.column, 4);
    uint64_t per_row = 6 * 8192; /* one row of every channel */
    dram_ctrl_decode(c, per_row, &w);
    assert_int_equal(w.channel, 0);
    assert_int_equal(w.column, 0);
    assert_int_equal(w.bank_group, 1);
    dram_ctrl_decode(c, per_row * 4, &w);
    assert_int_equal(w.bank_group, 0);
    assert_int_equal(w.bank, 1);
    dram_ctrl_decode(c, per_row * 16, &w);
    assert_int_equal(w.rank, 1);
    dram_ctrl_decode(c, per_row * 32 * 3 + 7 * 256 + 64, &w);
    assert_int_equal(w.row, 3);
    assert_int_equal(w.rank, 0);
    assert_int_equal(w.channel, 1);
    assert_int_equal(w.column, 4 + 1);
    assert_int_equal(w.bank_group, 3); /* bank_xor: 0 ^ (row 3 & 3) */
    assert_int_equal(w.bank, 0);       /* 0 ^ ((row 3 >> 2) & 3) */
    dram_ctrl_decode(c, per_row * 32 * 6 + per_row * 4, &w);
    assert_int_equal(w.row, 6);
    assert_int_equal(w.bank_group, 2); /* 0 ^ (6 & 3) */
    assert_int_equal(w.bank, 0);       /* 1 ^ (6 >> 2) */
    dram_ctrl_free(c);
    g.bank_xor = 0;
    c = mk(&g, NULL, 0);
    dram_ctrl_decode(c, per_row * 32 * 3 + 7 * 256 + 64, &w);
    assert_int_equal(w.bank_group, 0);
    dram_ctrl_free(c);

    /* Named schemes and explicit strings agree. */
    const char *pairs[][2] = {{"line", "ro:ra:ba:bg:co:ch"}, {"row", "row:rank:bank:bankgroup:channel:column"},
                              {"closed", "ro:co:ra:ba:bg:ch"}, {"bg256", "ro:ra:ba:co:bg:ch:co2"}};
    for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
        dram_ctrl_cfg_preset(&g, "ddr4-2666");
        snprintf(g.mapping, sizeof(g.mapping), "%s", pairs[p][0]);
        dram_ctrl_t *c1 = mk(&g, NULL, 0);
        snprintf(g.mapping, sizeof(g.mapping), "%s", pairs[p][1]);
        dram_ctrl_t *c2 = mk(&g, NULL, 0);
        for (uint64_t pa = 0; pa < (64ull << 20); pa += 4096 + 64 * 7) {
            dram_coord_t w1, w2;
            dram_ctrl_decode(c1, pa, &w1);
            dram_ctrl_decode(c2, pa, &w2);
            assert_memory_equal(&w1, &w2, sizeof(w1));
        }
        dram_ctrl_free(c1);
        dram_ctrl_free(c2);
    }
    /* "row": a whole 8 KiB row on one channel, then the next channel. */
    dram_ctrl_cfg_preset(&g, "ddr4-2666");
    snprintf(g.mapping, sizeof(g.mapping), "row");
    c = mk(&g, NULL, 0);
    dram_ctrl_decode(c, 8191, &w);
    assert_int_equal(w.channel, 0);
    assert_int_equal(w.column, 127);
    dram_ctrl_decode(c, 8192, &w);
    assert_int_equal(w.channel, 1);
    dram_ctrl_free(c);
}

static void test_bad_configs(void **state)
{
    (void)state;
    char err[256];
    const char *bad_maps[] = {"ro:xx", "ra:ro:ba:bg:co:ch", "ro:ra:ba:bg:co3:ch", "ro3:ra:ba:bg:co:ch",
                              "ro:ra:ba:bg:co:ch:ro", "ro:ba:bg:co:ch", "ro:ra:ba:bg:co:ch:", "", "ro:ra:ba:bg:co:ch:co0"};
    for (size_t i = 0; i < sizeof(bad_maps) / sizeof(bad_maps[0]); i++) {
        dram_ctrl_cfg_t g = small_cfg();
        g.ranks = 2; /* so leaving out "ra" is an error */
        snprintf(g.mapping, sizeof(g.mapping), "%s", bad_maps[i]);
        err[0] = 0;
        assert_null(dram_ctrl_new(&g, NULL, 0, err, sizeof(err)));
        assert_true(strstr(err, "mapping") != NULL);
    }
    dram_ctrl_cfg_t g = small_cfg();
    g.channels = 0;
    assert_null(dram_ctrl_new(&g, NULL, 0, err, sizeof(err)));
    g = small_cfg();
    g.bus_bytes = 4; /* BL8 x 4 bytes is not a line */
    assert_null(dram_ctrl_new(&g, NULL, 0, err, sizeof(err)));
    g = small_cfg();
    g.tCCD_S = 2;
    assert_null(dram_ctrl_new(&g, NULL, 0, err, sizeof(err)));
    g = small_cfg();
    g.tREFI = 50; /* shorter than tRFC */
    assert_null(dram_ctrl_new(&g, NULL, 0, err, sizeof(err)));
    g = small_cfg();
    g.row_bytes = 1000;
    assert_null(dram_ctrl_new(&g, NULL, 0, err, sizeof(err)));
    g = small_cfg();
    assert_null(dram_ctrl_new(&g, NULL, 1, err, sizeof(err))); /* no node 1 without a topology */
    assert_int_equal(dram_ctrl_cfg_preset(&g, "ddr3-1600"), -1);

    dram_topo_t t;
    dram_topo_init(&t, 2, 1, 21, 50.0);
    assert_int_equal(dram_topo_check(&t, err, sizeof(err)), 0);
    t.distance[0][0] = 11;
    assert_int_equal(dram_topo_check(&t, err, sizeof(err)), -1);
    dram_topo_init(&t, 2, 1, 21, 50.0);
    t.distance[0][1] = 5;
    assert_int_equal(dram_topo_check(&t, err, sizeof(err)), -1);
    dram_topo_init(&t, 2, 1, 21, 50.0);
    t.latency_ns[1][0] = -1;
    assert_int_equal(dram_topo_check(&t, err, sizeof(err)), -1);
    dram_topo_init(&t, 2, 1, 21, 50.0);
    t.node_socket[1] = 2;
    assert_int_equal(dram_topo_check(&t, err, sizeof(err)), -1);
    g = small_cfg();
    assert_null(dram_ctrl_new(&g, &t, 0, err, sizeof(err)));
}

/* --- out-of-order arrival ---------------------------------------------------------------------- */

typedef struct req {
    uint64_t pa, now;
    int wr, socket;
} req_t;

/* Serve reqs[order[i]] in that order; latencies land in lat[] by request index. */
static void run_order(const dram_ctrl_cfg_t *g, const req_t *warm, int nwarm, const req_t *reqs, const int *order,
                      int n, uint32_t *lat, dram_ctrl_stats_t *st)
{
    dram_ctrl_t *c = mk(g, NULL, 0);
    for (int i = 0; i < nwarm; i++)
        dram_ctrl_access(c, warm[i].pa, warm[i].wr, warm[i].now, 0, NULL);
    for (int i = 0; i < n; i++) {
        const req_t *r = &reqs[order[i]];
        lat[order[i]] = dram_ctrl_access(c, r->pa, r->wr, r->now, 0, NULL);
        check_ok(c);
    }
    if (st)
        *st = *dram_ctrl_stats(c);
    dram_ctrl_free(c);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Requests to different banks whose bus and bank-group slots do not overlap: every order gives the
 * same latency for every request (and the same counters). The banks are warmed first so that the
 * outcomes are a mix of hits, conflicts and misses. */
static void test_order_independent(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    req_t warm[6];
    for (int i = 0; i < 6; i++) /* open row i+1 in banks 0..5 (bank 6 and 7 stay closed) */
        warm[i] = (req_t){A(i & 1, 0, (i >> 1) & 1, (i >> 2) & 1, (uint64_t)i + 1), (uint64_t)i * 100, 0, 0};
    req_t reqs[8];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int b = 0; b < 8; b++) {
        /* Even banks hit their open row, odd ones conflict; bank 6 and 7 miss. */
        uint64_t row = (b & 1) ? 50 + (uint64_t)b : (uint64_t)b + 1;
        reqs[b] = (req_t){A(b & 1, (unsigned)(rng_next(&seed) % 16), (b >> 1) & 1, (b >> 2) & 1, row),
                          10000 + (uint64_t)b * 97 % 800, b == 3, 0};
    }
    /* Times 10000 + {0, 97, 194, 291, 388, 485, 582, 679}: at least 97 cycles apart, more than any
     * request's span of bus and bank-group time. */
    int in_order[8] = {0, 1, 2, 3, 4, 5, 6, 7}, rev[8] = {7, 6, 5, 4, 3, 2, 1, 0}, mix[8] = {3, 6, 0, 7, 2, 5, 1, 4};
    uint32_t l1[8], l2[8], l3[8];
    dram_ctrl_stats_t s1, s2, s3;
    run_order(&g, warm, 6, reqs, in_order, 8, l1, &s1);
    run_order(&g, warm, 6, reqs, rev, 8, l2, &s2);
    run_order(&g, warm, 6, reqs, mix, 8, l3, &s3);
    assert_memory_equal(l1, l2, sizeof(l1));
    assert_memory_equal(l1, l3, sizeof(l1));
    assert_memory_equal(&s1, &s2, sizeof(s1));
    assert_memory_equal(&s1, &s3, sizeof(s1));
    assert_int_equal(l1[0], 48);
    assert_int_equal(l1[1], 88);
    assert_int_equal(l1[6], 68);
    assert_int_equal(s1.row_hits, 3);
    assert_int_equal(s1.row_conflicts, 3);
    assert_int_equal(s1.row_misses, 6 + 2);

    /* Two requests per bank: each bank's pair arrives in time order, the banks in any order. */
    req_t two[16];
    int ord_a[16], ord_b[16];
    for (int i = 0; i < 16; i++) {
        int b = i % 8;
        two[i] = (req_t){A(b & 1, (unsigned)i, (b >> 1) & 1, (b >> 2) & 1, (uint64_t)(i < 8 ? 1 : 1 + (b & 1))),
                         20000 + (uint64_t)i * 101, 0, 0};
        ord_a[i] = i;
    }
    for (int i = 0; i < 8; i++) { /* later half of the banks first, each bank still in order */
        ord_b[2 * i] = (i + 4) % 8;
        ord_b[2 * i + 1] = (i + 4) % 8 + 8;
    }
    uint32_t m1[16], m2[16];
    run_order(&g, NULL, 0, two, ord_a, 16, m1, &s1);
    run_order(&g, NULL, 0, two, ord_b, 16, m2, &s2);
    assert_memory_equal(m1, m2, sizeof(m1));
    assert_memory_equal(&s1, &s2, sizeof(s1));
}

/* What happens when requests do contend (docs/DRAM.md, "Order of arrival"). */
static void test_order_contending(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g = small_cfg();
    dram_ctrl_t *c;
    dram_access_t a;

    /* 1. One bank, two rows, far apart. In time order: miss 68, then conflict 88. */
    c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 0, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 2), 0, 1000, DRAM_ROW_CONFLICT), 88);
    dram_ctrl_free(c);
    /* Reversed: the later request, served first, found the bank closed and keeps its answer (a miss).
     * The earlier one is slotted before it with the same latency as in time order; it restores the
     * closed bank afterwards (a precharge), which is counted. */
    c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 2), 0, 1000, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 0, DRAM_ROW_MISS), 68);
    assert_int_equal(dram_ctrl_stats(c)->restores, 1);
    check_ok(c);
    /* A third request after both sees the row the later one left open (row 2): a hit. */
    assert_int_equal(acc(c, A(0, 5, 0, 0, 2), 0, 2000, DRAM_ROW_HIT), 48);
    check_ok(c);
    dram_ctrl_free(c);

    /* 2. Same bank, too close to fit before: the request served first (at 10: ACT 30, CAS 50,
     * PRE allowed at max(30 + 48, 50 + 10) = 78) keeps its answer; the one served second (at 0, row
     * 1) cannot finish and restore before 30, so it queues behind: conflict, PRE 78, ACT 98, CAS
     * 118, done 146. */
    c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 2), 0, 10, DRAM_ROW_MISS), 68);
    assert_int_equal(dram_ctrl_access(c, A(0, 0, 0, 0, 1), 0, 0, 0, &a), 146);
    assert_int_equal(a.outcome, DRAM_ROW_CONFLICT);
    assert_int_equal(a.queue_cycles, 146 - 88);
    check_ok(c);
    dram_ctrl_free(c);

    /* 3. A later request with an earlier time to the row a later one found open: it is slotted
     * before it as a hit and needs no restore. Warm row 3 at 0; serve a hit at 5000, then one at 3000. */
    c = mk(&g, NULL, 0);
    acc(c, A(0, 0, 0, 0, 3), 0, 0, DRAM_ROW_MISS);
    assert_int_equal(acc(c, A(0, 1, 0, 0, 3), 0, 5000, DRAM_ROW_HIT), 48);
    assert_int_equal(acc(c, A(0, 2, 0, 0, 3), 0, 3000, DRAM_ROW_HIT), 48);
    /* And one to another row between them: a conflict for itself; it re-opens row 3 for the hit at
     * 5000 (a restore: PRE, ACT row 3), which still fits. */
    assert_int_equal(acc(c, A(0, 2, 0, 0, 4), 0, 4000, DRAM_ROW_CONFLICT), 88);
    assert_int_equal(dram_ctrl_stats(c)->restores, 1);
    check_ok(c);
    dram_ctrl_free(c);

    /* 4. Different banks of one channel wanting the same bus slot: the one served first keeps the
     * slot; the other takes the next free one. Both misses at cycle 100 and 102: data [160, 168)
     * and [162, 170) overlap. */
    c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 100, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 0, 1, 0, 1), 0, 102, DRAM_ROW_MISS), 68 + 6);
    dram_ctrl_free(c);
    c = mk(&g, NULL, 0);
    assert_int_equal(acc(c, A(0, 0, 1, 0, 1), 0, 102, DRAM_ROW_MISS), 68);
    assert_int_equal(acc(c, A(0, 0, 0, 0, 1), 0, 100, DRAM_ROW_MISS), 68 + 10);
    dram_ctrl_free(c);
    /* ... but a request that fits in a gap between two served ones takes it: slots [160, 168) and
     * [200, 208) taken; a miss at 120 wants [180, 188): free, no wait. */
    c = mk(&g, NULL, 0);
    acc(c, A(0, 0, 0, 0, 1), 0, 100, DRAM_ROW_MISS);
    acc(c, A(0, 0, 0, 1, 1), 0, 140, DRAM_ROW_MISS);
    assert_int_equal(acc(c, A(0, 0, 1, 0, 1), 0, 120, DRAM_ROW_MISS), 68);
    check_ok(c);
    dram_ctrl_free(c);
}

/* --- bandwidth --------------------------------------------------------------------------------- */

/* nstreams sequential streams, each in its own region, each issuing a line every `gap` cycles, for
 * `per_stream` lines. If quantum > 0 the streams are split over `cpus` CPUs that each issue a whole
 * quantum before the next one does (out of time order, as the emulator does); CPU k drives streams
 * k * nstreams / cpus and up. Returns measured
 * bytes per cycle (bytes / (last completion - first issue)). */
static double drive_streams(dram_ctrl_t *c, int nstreams, uint64_t gap, int per_stream, int cpus, uint64_t quantum,
                            uint64_t stride, uint64_t span)
{
    uint64_t start = 1000, end = 0, bytes = 0;
    uint64_t total_time = (uint64_t)per_stream * gap;
    uint64_t q = quantum ? quantum : total_time + 1;
    if (!cpus)
        cpus = 1;
    for (uint64_t t0 = 0; t0 < total_time; t0 += q) {
        for (int cpu = 0; cpu < cpus; cpu++) {
            for (uint64_t t = t0; t < t0 + q && t < total_time; t += gap) {
                for (int s = cpu * (nstreams / cpus); s < (cpu + 1) * (nstreams / cpus); s++) {
                    uint64_t i = t / gap;
                    uint64_t pa = (uint64_t)s * span + i * stride;
                    uint64_t now = start + t + (uint64_t)s; /* streams slightly staggered */
                    dram_access_t a;
                    dram_ctrl_access(c, pa, 0, now, 0, &a);
                    if (a.done_cycles > end)
                        end = a.done_cycles;
                    bytes += 64;
                }
            }
        }
    }
    return (double)bytes / (double)(end - start);
}

static void test_bandwidth_saturates(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g;
    dram_ctrl_cfg_preset(&g, "ddr4-2666");
    dram_ctrl_t *c = mk(&g, NULL, 0);
    double peak = dram_ctrl_peak_bytes_per_cycle(c); /* 6 x 2666 x 8 / 2400 = 53.3 B/cycle */
    assert_true(peak > 53.3 && peak < 53.4);

    /* Light load: 2 streams, a line every 100 cycles each: far below the peak, no queueing. */
    double bw = drive_streams(c, 2, 100, 2000, 1, 0, 64, 256ull << 20);
    assert_true(bw < 0.1 * peak);
    check_ok(c);
    dram_ctrl_free(c);

    /* 16 streams each asking a line every 10 cycles: 102 B/cycle offered, about twice the peak.
     * Stream s starts at s x 48 KiB (6 channels x 8 KiB rows): one bank group further each, so the
     * streams walk the banks side by side without two of them sharing a bank (see docs/DRAM.md on
     * streams that collide in one bank: requests are served first-come first-served per bank). */
    uint64_t span = 6 * 8192;
    c = mk(&g, NULL, 0);
    bw = drive_streams(c, 16, 10, 20000, 1, 0, 64, span);
    printf("    ddr4-2666, 16 streams, in order: %.2f B/cycle of %.2f peak (%.1f%%)\n", bw, peak, 100 * bw / peak);
    assert_true(bw > 0.97 * peak && bw <= peak * 1.001);
    const dram_ctrl_stats_t *s = dram_ctrl_stats(c);
    assert_true(s->queue_cycles > 0);
    check_ok(c);
    dram_ctrl_free(c);

    /* The same offered load from 4 CPUs running 5000-cycle quanta one after another. */
    c = mk(&g, NULL, 0);
    bw = drive_streams(c, 16, 10, 20000, 4, 5000, 64, span);
    printf("    ddr4-2666, 16 streams, 4 CPUs in quanta: %.2f B/cycle (%.1f%%)\n", bw, 100 * bw / peak);
    assert_true(bw > 0.97 * peak && bw <= peak * 1.001);
    check_ok(c);
    dram_ctrl_free(c);

    /* DDR5-4800: 16 sub-channels x 4800 MT/s x 4 B / 2400 MHz = 128 B/cycle; offer ~2.5x that. */
    dram_ctrl_cfg_preset(&g, "ddr5-4800");
    c = mk(&g, NULL, 0);
    peak = dram_ctrl_peak_bytes_per_cycle(c);
    assert_true(peak == 128.0);
    bw = drive_streams(c, 32, 6, 20000, 1, 0, 64, 16 * 4096);
    printf("    ddr5-4800, 32 streams, in order: %.2f B/cycle of %.2f peak (%.1f%%)\n", bw, peak, 100 * bw / peak);
    /* One rank per sub-channel: an all-bank refresh stops the whole sub-channel for tRFC every
     * tREFI, 708 / 9360 = 7.6% of the time (DDR4's two staggered ranks hide theirs). */
    double avail = peak * (1.0 - 708.0 / 9360.0);
    assert_true(bw > 0.97 * avail && bw <= avail * 1.01);
    check_ok(c);
    dram_ctrl_free(c);

    /* The small controller with random lines (mostly conflicts): banks, not the bus, limit it, and
     * the measured bandwidth stays below the peak. */
    g = small_cfg();
    c = mk(&g, NULL, 0);
    bw = drive_streams(c, 8, 2, 5000, 1, 0, 64 * 2 * 16 * 2 * 2 + 64, 256ull << 20); /* a new row every line */
    printf("    small controller, row-conflict streams: %.2f B/cycle of %.2f peak\n", bw, 16.0);
    assert_true(bw < 0.9 * 16.0);
    check_ok(c);
    dram_ctrl_free(c);
}

/* --- NUMA -------------------------------------------------------------------------------------- */

static void test_numa(void **state)
{
    (void)state;
    dram_topo_t t;
    dram_topo_init(&t, 2, 1, 21, 50.0); /* 50 ns = 100 cycles at 2 GHz */
    char err[256];
    assert_int_equal(dram_topo_check(&t, err, sizeof(err)), 0);
    assert_int_equal(t.distance[0][1], 21);
    assert_int_equal(t.distance[1][1], 10);
    assert_int_equal(dram_topo_socket_distance(&t, 1, 0), 21);
    assert_int_equal(dram_topo_socket_distance(&t, 0, 0), 10);
    dram_ctrl_cfg_t g = small_cfg();
    dram_ctrl_t *n0 = mk(&g, &t, 0), *n1 = mk(&g, &t, 1);
    dram_access_t a;
    assert_int_equal(dram_ctrl_idle_latency(n0, DRAM_ROW_MISS, 1), 168);
    assert_int_equal(dram_ctrl_access(n0, A(0, 0, 0, 0, 1), 0, 0, 0, &a), 68);
    assert_false(a.remote);
    assert_int_equal(dram_ctrl_access(n0, A(0, 0, 0, 1, 1), 0, 1000, 1, &a), 168);
    assert_true(a.remote);
    assert_int_equal(a.queue_cycles, 0);
    assert_int_equal(dram_ctrl_access(n0, A(0, 1, 0, 1, 1), 0, 2000, 1, &a), 148); /* remote hit */
    assert_int_equal(dram_ctrl_access(n1, A(0, 0, 0, 0, 1), 0, 0, 1, &a), 68);
    assert_false(a.remote);
    assert_int_equal(dram_ctrl_access(n1, A(0, 0, 0, 1, 1), 0, 0, 0, &a), 168);
    const dram_ctrl_stats_t *s = dram_ctrl_stats(n0);
    assert_int_equal(s->local_accesses, 1);
    assert_int_equal(s->remote_accesses, 2);
    assert_int_equal(s->remote_latency_cycles, 168 + 148);
    assert_int_equal(s->local_latency_cycles, 68);
    check_ok(n0);
    dram_ctrl_free(n0);
    dram_ctrl_free(n1);

    /* An asymmetric pair and a bandwidth limit on the link (hmat-lb bandwidth): socket 1 -> node 0
     * at 8000 MB/s = 4 bytes per cycle (64 B per 16 cycles), below the 16 B/cycle of the channels. */
    t.latency_ns[1][0] = 25.0;
    t.bandwidth_mbs[1][0] = 8000;
    n0 = mk(&g, &t, 0);
    assert_int_equal(dram_ctrl_idle_latency(n0, DRAM_ROW_MISS, 1), 68 + 50 + 8);
    uint64_t end = 0;
    for (int i = 0; i < 4000; i++) {
        dram_ctrl_access(n0, (uint64_t)i * 64, 0, (uint64_t)i * 2, 1, &a);
        end = a.done_cycles > end ? a.done_cycles : end;
    }
    double bw = 4000.0 * 64 / (double)end;
    assert_true(bw > 0.97 * 4.0 && bw <= 4.0 * 1.001);
    /* The local socket is not limited by that link. */
    uint64_t t0 = end + 100000;
    end = 0;
    for (int i = 0; i < 4000; i++) {
        dram_ctrl_access(n0, (1ull << 30) + (uint64_t)i * 64, 0, t0 + (uint64_t)i * 2, 0, &a);
        end = a.done_cycles > end ? a.done_cycles : end;
    }
    bw = 4000.0 * 64 / (double)(end - t0);
    /* One sequential stream: on each channel its lines share a bank group, so CAS every tCCD_L
     * (12 cycles) for 8 cycles of bus: 2/3 of the 16 B/cycle peak. */
    assert_true(bw > 0.97 * 16.0 * 8 / 12 && bw < 1.03 * 16.0 * 8 / 12);
    check_ok(n0);
    dram_ctrl_free(n0);
}

/* --- determinism, history limits, presets ------------------------------------------------------ */

/* A random mix from two sockets in quanta; returns a hash of all latencies. */
static uint64_t random_run(const dram_ctrl_cfg_t *g, uint64_t seed, int n, dram_ctrl_stats_t *st)
{
    dram_topo_t t;
    dram_topo_init(&t, 2, 1, 21, 55.0);
    dram_ctrl_t *c = mk(g, &t, 0);
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        uint64_t r = rng_next(&seed);
        int cpu = (int)(r & 3);
        uint64_t quantum = (uint64_t)i / 64;
        uint64_t now = quantum * 4000 + (uint64_t)cpu * 0 + (r >> 8) % 4000;
        uint64_t pa = (r >> 20) % (1ull << 30) & ~63ull;
        if (r & 0x10)
            pa = (uint64_t)(i & 255) * 64; /* some locality */
        uint32_t lat = dram_ctrl_access(c, pa, (r >> 5) & 1, now, cpu >> 1, NULL);
        h = (h ^ lat) * 1099511628211ull;
        if (i % 97 == 0)
            check_ok(c);
    }
    check_ok(c);
    *st = *dram_ctrl_stats(c);
    dram_ctrl_free(c);
    return h;
}

static void test_determinism_and_history(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g;
    dram_ctrl_cfg_preset(&g, "ddr4-2666");
    g.tREFI = 2000; /* frequent refreshes so that they interleave with everything */
    g.tRFC = 300;
    dram_ctrl_stats_t s1, s2;
    uint64_t h1 = random_run(&g, 42, 20000, &s1), h2 = random_run(&g, 42, 20000, &s2);
    assert_int_equal(h1, h2);
    assert_memory_equal(&s1, &s2, sizeof(s1));
    assert_true(s1.row_hits > 0 && s1.row_misses > 0 && s1.row_conflicts > 0);
    assert_true(s1.refresh_stalls > 0);
    assert_true(s1.remote_accesses > 0 && s1.local_accesses > 0);
    assert_true(s1.restores > 0);
    /* Tiny histories and closed page: still consistent (the checker runs inside). */
    g.bank_history = 1;
    g.calendar_slots = 2;
    random_run(&g, 7, 5000, &s1);
    g.page_policy = DRAM_CLOSED_PAGE;
    random_run(&g, 7, 5000, &s1);
    assert_int_equal(s1.row_hits + s1.row_conflicts, 0);
}

static void test_presets(void **state)
{
    (void)state;
    dram_ctrl_cfg_t g;
    assert_int_equal(dram_ctrl_cfg_preset(&g, "ddr4-2666"), 0);
    assert_int_equal(g.tCL, 19);
    assert_int_equal(g.tRCD, 19);
    assert_int_equal(g.tRP, 19);
    assert_int_equal(g.tRAS, 43);     /* 32 ns / 0.75 ns */
    assert_int_equal(g.tRFC, 467);    /* 350 ns */
    assert_int_equal(g.tREFI, 10398); /* 7.8 us */
    assert_int_equal(g.channels, 6);
    dram_ctrl_t *c = mk(&g, NULL, 0);
    /* At 2.4 GHz: tCK = 1.8 cycles. Miss = 20 ns front end (48 cycles) + (19 + 19 + 4) x 1.8 = 75.6:
     * 124 cycles = 51.5 ns; conflict + 19 x 1.8 = 157.8 -> 158; hit 48 + 23 x 1.8 = 89.4 -> 90. */
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_HIT, 0), 90);
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_MISS, 0), 124);
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_CONFLICT, 0), 158);
    dram_ctrl_free(c);
    assert_int_equal(dram_ctrl_cfg_preset(&g, "ddr5-4800"), 0);
    assert_int_equal(g.tCL, 40);
    assert_int_equal(g.tRCD, 39);
    assert_int_equal(g.tRP, 39);
    assert_int_equal(g.tRAS, 77);
    assert_int_equal(g.tRFC, 708);
    assert_int_equal(g.tREFI, 9360);
    c = mk(&g, NULL, 0);
    /* tCK = 1 cycle at 2.4 GHz: miss 48 + 39 + 40 + 8 = 135. */
    assert_int_equal(dram_ctrl_idle_latency(c, DRAM_ROW_MISS, 0), 135);
    dram_ctrl_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_latencies),
        cmocka_unit_test(test_hit_miss_conflict),
        cmocka_unit_test(test_back_to_back),
        cmocka_unit_test(test_closed_page),
        cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_order_contending),
        cmocka_unit_test(test_bandwidth_saturates),
        cmocka_unit_test(test_numa),
        cmocka_unit_test(test_determinism_and_history),
        cmocka_unit_test(test_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
