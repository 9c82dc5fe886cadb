/* End-to-end tests of translation timing (cmocka): tests/timing/tlbprog.c runs under
 * `emu run -q --timing=tlb --stats=FILE` with chosen TLB geometries, and the stats JSON must show
 * what the model predicts: miss ratios of random accesses against the analytical value, far fewer
 * dTLB misses and walks with 2 MiB pages, exactly one more PTE load per walk with 5-level paging
 * when no paging-structure cache helps, identical JSON for identical runs, fast-forward and
 * region-of-interest counts, and the refusals. docs/TIMING.md ("End-to-end experiments") lists the
 * expected and measured values.
 *
 * Usage: test_timing --emu PATH --prog PATH [--verbose]   (run from the repository root)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/common/proc.h"

static const char *emu = "build/emu";
static const char *prog;
static char *scratch;
static int verbose;

#define TIMEOUT 120.0
#define NO_PWC "--set", "pwc.pde_entries=0", "--set", "pwc.pdpte_entries=0", "--set", "pwc.pml4e_entries=0", \
               "--set", "pwc.pml5e_entries=0"

/* One emulated run: its result and its stats JSON. */
typedef struct emu_run {
    struct run_result r;
    char *json;
    size_t json_len;
} emu_run_t;

/* Run `emu run -q --stats=F ARGS... -- prog PROG_ARGS...`: the arguments up to a "--" are emu's,
 * the rest the program's (NULL ends the list). The stats file is read into run->json (NULL when
 * the run wrote none). */
static void run_emu(emu_run_t *run, const char *first, ...)
{
    static int seq;
    char stats[4200], stats_opt[4300];
    snprintf(stats, sizeof(stats), "%s/stats-%d.json", scratch, seq++);
    snprintf(stats_opt, sizeof(stats_opt), "--stats=%s", stats);
    char *argv[96];
    int n = 0;
    argv[n++] = (char *)emu;
    argv[n++] = "run";
    argv[n++] = "-q";
    argv[n++] = stats_opt;
    va_list ap;
    va_start(ap, first);
    int in_prog = 0;
    for (const char *a = first; a && n < 94; a = va_arg(ap, const char *)) {
        argv[n++] = (char *)a;
        if (!in_prog && !strcmp(a, "--")) {
            argv[n++] = (char *)prog;
            in_prog = 1;
        }
    }
    va_end(ap);
    argv[n] = NULL;
    memset(run, 0, sizeof(*run));
    proc_run(&run->r, argv, NULL, NULL, scratch, TIMEOUT);
    if (run->r.timed_out)
        fail_msg("emu timed out after %.0f s", TIMEOUT);
    if (run->r.signaled)
        fail_msg("emu was killed by signal %d; stderr:\n%s", run->r.status - 128, run->r.err);
    run->json = read_file(stats, &run->json_len);
    unlink(stats);
    if (verbose) {
        for (int i = 0; argv[i]; i++)
            fprintf(stderr, "%s ", argv[i]);
        fprintf(stderr, "-> %d\n", run->r.status);
    }
}

static void run_free(emu_run_t *run)
{
    run_result_free(&run->r);
    free(run->json);
}

/* The run exited 0 and wrote its stats. */
static void assert_ok(const emu_run_t *run)
{
    if (run->r.status != 0)
        fail_msg("emu exited with %d; stderr:\n%s", run->r.status, run->r.err);
    if (!run->json)
        fail_msg("no stats file written");
}

/* Counter `name` of the run's stats JSON (a flat object of "name": integer). */
static uint64_t stat_of(const emu_run_t *run, const char *name)
{
    char key[256];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *p = run->json ? strstr(run->json, key) : NULL;
    if (!p)
        fail_msg("counter %s is not in the stats JSON", name);
    return strtoull(p + strlen(key), NULL, 10);
}

static void log_value(const char *what, double expected, double measured)
{
    printf("    %-52s expected %8.4f  measured %8.4f\n", what, expected, measured);
}

/* (a) Uniformly random loads over N distinct pages with a fully associative LRU dTLB of E entries
 * and no STLB: every page is equally likely to be any of the E most recently used, so a load hits
 * with probability E/N and the miss ratio is 1 - E/N (exact in expectation, for independent
 * uniform references; 200000 loads leave a standard deviation near 0.001). The region of interest
 * holds only the loads (the loop keeps everything else in registers): dTLB lookups == loads. */
static void check_random(unsigned e, unsigned n)
{
    const unsigned iters = 200000;
    char ent[64], ways[64], nstr[16], istr[16];
    snprintf(ent, sizeof(ent), "tlb.dtlb_4k_entries=%u", e);
    snprintf(ways, sizeof(ways), "tlb.dtlb_4k_ways=%u", e);
    snprintf(nstr, sizeof(nstr), "%u", n);
    snprintf(istr, sizeof(istr), "%u", iters);
    emu_run_t run;
    run_emu(&run, "--timing=tlb", "--fast-forward=roi", "--set", "tlb.stlb_entries=0", "--set", ent, "--set", ways,
            "--", "random", nstr, istr, NULL);
    assert_ok(&run);
    uint64_t hits = stat_of(&run, "cpu0.dtlb.hits"), misses = stat_of(&run, "cpu0.dtlb.misses");
    assert_int_equal(hits + misses, iters);
    assert_int_equal(stat_of(&run, "cpu0.stlb.hits"), 0);
    assert_int_equal(stat_of(&run, "cpu0.dtlb.misses_4k"), misses);
    /* Every dTLB miss walks (no STLB); the iTLB's misses walk too. */
    assert_true(stat_of(&run, "cpu0.walks") >= misses);
    double expected = 1.0 - (double)e / n, measured = (double)misses / (double)(hits + misses);
    char what[128];
    snprintf(what, sizeof(what), "dTLB miss ratio, E=%u fully assoc., N=%u pages", e, n);
    log_value(what, expected, measured);
    if (fabs(measured - expected) > 0.01)
        fail_msg("%s: expected %.4f, measured %.4f", what, expected, measured);
    run_free(&run);
}

static void test_random_miss_ratio(void **state)
{
    (void)state;
    check_random(16, 64);  /* 0.75 */
    check_random(32, 48);  /* 0.3333 */
    check_random(8, 128);  /* 0.9375 */
    check_random(64, 80);  /* 0.2 */
}

/* The same law per set for the default (set-associative) geometry: N consecutive pages spread
 * evenly over the sets, so a set of W ways sees N/S pages and misses 1 - W/(N/S) of its loads.
 * dTLB 64 entries 4-way (16 sets), 2048 pages: 1 - 4/128. The STLB (1536 entries, 12-way, 128
 * sets: 16 pages a set) sees only the dTLB's misses, which are slightly biased against recently
 * used pages, so its hit ratio is a little below 12/16; a looser tolerance. */
static void test_random_set_associative(void **state)
{
    (void)state;
    emu_run_t run;
    run_emu(&run, "--timing=tlb", "--fast-forward=roi", "--", "random", "2048", "200000", NULL);
    assert_ok(&run);
    uint64_t hits = stat_of(&run, "cpu0.dtlb.hits"), misses = stat_of(&run, "cpu0.dtlb.misses");
    assert_int_equal(hits + misses, 200000);
    double expected = 1.0 - 4.0 / 128, measured = (double)misses / 200000.0;
    log_value("dTLB miss ratio, 64 entries 4-way, N=2048 pages", expected, measured);
    assert_true(fabs(measured - expected) < 0.01);
    uint64_t shits = stat_of(&run, "cpu0.stlb.hits"), smisses = stat_of(&run, "cpu0.stlb.misses");
    assert_int_equal(shits + smisses, misses + stat_of(&run, "cpu0.itlb.misses"));
    double sexp = 12.0 / 16, smeas = (double)shits / (double)(shits + smisses);
    log_value("STLB hit ratio, 1536 entries 12-way, N=2048 pages", sexp, smeas);
    assert_true(fabs(smeas - sexp) < 0.03);
    run_free(&run);
}

/* (b) A 16 MiB buffer swept 4 times one word per 4 KiB page: with 4 KiB pages every access
 * misses the dTLB (4096 pages >> 64 + 1536 entries); with madvise(MADV_HUGEPAGE) the buffer is 8
 * 2 MiB pages, which the 32-entry 2 MiB dTLB holds after their first touch. */
static void test_huge_pages_cut_misses(void **state)
{
    (void)state;
    emu_run_t plain, huge, never, always;
    run_emu(&plain, "--timing=tlb", "--", "sweep", "16", "4", "plain", NULL);
    run_emu(&huge, "--timing=tlb", "--", "sweep", "16", "4", "huge", NULL);
    run_emu(&never, "--timing=tlb", "--set", "se.thp=never", "--", "sweep", "16", "4", "huge", NULL);
    run_emu(&always, "--timing=tlb", "--set", "se.thp=always", "--", "sweep", "16", "4", "plain", NULL);
    assert_ok(&plain);
    assert_ok(&huge);
    assert_ok(&never);
    assert_ok(&always);
    /* The program's output does not depend on the page size. */
    assert_string_equal(plain.r.out, huge.r.out);
    uint64_t pm = stat_of(&plain, "cpu0.dtlb.misses"), hm = stat_of(&huge, "cpu0.dtlb.misses");
    uint64_t pw = stat_of(&plain, "cpu0.walks"), hw = stat_of(&huge, "cpu0.walks");
    printf("    sweep 16 MiB x 4: dTLB misses %llu (4 KiB) vs %llu (2 MiB), walks %llu vs %llu\n",
           (unsigned long long)pm, (unsigned long long)hm, (unsigned long long)pw, (unsigned long long)hw);
    assert_true(pm >= 5 * 4096);   /* the write pass and 4 read passes, 4096 pages each */
    assert_true(hm * 100 < pm);
    assert_true(hw * 100 < pw);
    assert_int_equal(stat_of(&plain, "cpu0.dtlb.misses_2m"), 0);
    assert_int_equal(stat_of(&huge, "cpu0.dtlb.misses_2m"), 8);
    assert_int_equal(stat_of(&huge, "se.thp_faults"), 8);
    assert_int_equal(stat_of(&plain, "se.thp_faults"), 0);
    /* se.thp=never ignores the advice; se.thp=always needs none. */
    assert_int_equal(stat_of(&never, "se.thp_faults"), 0);
    assert_true(stat_of(&never, "cpu0.dtlb.misses") >= 5 * 4096);
    assert_int_equal(stat_of(&always, "se.thp_faults"), 8);
    assert_true(stat_of(&always, "cpu0.dtlb.misses") * 100 < pm);
    assert_true(stat_of(&always, "cpu0.dtlb.misses_2m") >= 8);
    run_free(&plain);
    run_free(&huge);
    run_free(&never);
    run_free(&always);
}

/* MAP_HUGETLB | MAP_HUGE_1GB on a 2 GiB machine: the 1 GiB dTLB holds the whole buffer. */
static void test_hugetlb_1g(void **state)
{
    (void)state;
    emu_run_t run;
    run_emu(&run, "--timing=tlb", "--set", "machine.mem_per_node=2G", "--", "hugetlb1g", NULL);
    assert_ok(&run);
    assert_non_null(strstr(run.r.out, "hugetlb 1g: sum"));
    assert_int_equal(stat_of(&run, "se.hugetlb_faults"), 1);
    /* One miss, and possibly the walk again of the first store through the clean entry (to set
     * the dirty bit), which the by-size counters count as a fill. */
    uint64_t m1g = stat_of(&run, "cpu0.dtlb.misses_1g");
    assert_true(m1g >= 1 && m1g <= 2);
    assert_int_equal(stat_of(&run, "cpu0.dtlb.misses_2m"), 0);
    assert_true(stat_of(&run, "cpu0.dtlb.misses") < 10);
    run_free(&run);
}

/* (c) Without paging-structure caches a walk loads one entry per level: 5-level paging adds
 * exactly one load to every walk (4 KiB pages: 4 -> 5; 2 MiB pages: 3 -> 4), faulting walks
 * included, and the number of walks does not change. */
static void check_levels(const char *what, uint64_t min_walks, const char *a1, const char *a2, const char *a3,
                         const char *a4)
{
    emu_run_t l4, l5;
    run_emu(&l4, "--timing=tlb", NO_PWC, "--set", "tlb.stlb_entries=0", "--set", "machine.paging_levels=4", "--",
            a1, a2, a3, a4, NULL);
    run_emu(&l5, "--timing=tlb", NO_PWC, "--set", "tlb.stlb_entries=0", "--set", "machine.paging_levels=5", "--",
            a1, a2, a3, a4, NULL);
    assert_ok(&l4);
    assert_ok(&l5);
    uint64_t w4 = stat_of(&l4, "cpu0.walks"), w5 = stat_of(&l5, "cpu0.walks");
    uint64_t p4 = stat_of(&l4, "cpu0.pte_loads"), p5 = stat_of(&l5, "cpu0.pte_loads");
    printf("    %s: walks %llu / %llu, PTE loads per walk %.4f (4 levels) %.4f (5 levels)\n", what,
           (unsigned long long)w4, (unsigned long long)w5, (double)p4 / (double)w4, (double)p5 / (double)w5);
    assert_true(w4 >= min_walks);
    assert_int_equal(w4, w5);
    assert_int_equal(p5 - p4, w4);
    assert_int_equal(stat_of(&l5, "cpu0.pte_loads.pml5e"), w5);
    assert_int_equal(stat_of(&l4, "cpu0.pte_loads.pml5e"), 0);
    assert_int_equal(stat_of(&l4, "cpu0.pwc.hits") + stat_of(&l5, "cpu0.pwc.hits"), 0);
    run_free(&l4);
    run_free(&l5);
}

static void test_five_level_one_more_load(void **state)
{
    (void)state;
    check_levels("random 512 pages, 4 KiB", 10000, "random", "512", "20000", NULL);
    check_levels("sweep 16 MiB, 2 MiB pages", 8, "sweep", "16", "2", "huge");
}

/* (d) Identical runs give byte-identical JSON (random replacement is seeded). */
static void test_deterministic(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        emu_run_t a, b;
        if (k == 0) {
            run_emu(&a, "--timing=tlb", "--", "sweep", "8", "2", "huge", NULL);
            run_emu(&b, "--timing=tlb", "--", "sweep", "8", "2", "huge", NULL);
        } else {
            run_emu(&a, "--timing=tlb", "--set", "tlb.replacement=random", "--", "random", "300", "50000", NULL);
            run_emu(&b, "--timing=tlb", "--set", "tlb.replacement=random", "--", "random", "300", "50000", NULL);
        }
        assert_ok(&a);
        assert_ok(&b);
        assert_true(stat_of(&a, "sim.cycles") > 0);
        assert_int_equal(a.json_len, b.json_len);
        assert_memory_equal(a.json, b.json, a.json_len);
        run_free(&a);
        run_free(&b);
    }
}

/* Timing changes no result: the same output and instruction count with --timing=off and tlb. */
static void test_timing_invisible(void **state)
{
    (void)state;
    emu_run_t off, tlb;
    run_emu(&off, "--timing=off", "--", "random", "100", "30000", NULL);
    run_emu(&tlb, "--timing=tlb", "--", "random", "100", "30000", NULL);
    assert_ok(&off);
    assert_ok(&tlb);
    assert_string_equal(off.r.out, tlb.r.out);
    assert_int_equal(stat_of(&off, "sim.instructions"), stat_of(&tlb, "sim.instructions"));
    assert_int_equal(stat_of(&off, "sim.cycles"), 0);
    assert_int_equal(stat_of(&off, "cpu0.dtlb.misses"), 0);
    assert_true(stat_of(&tlb, "sim.cycles") >= stat_of(&tlb, "sim.instructions"));
    run_free(&off);
    run_free(&tlb);
}

/* (e) --fast-forward=N: the first N instructions are not counted. */
static void test_fast_forward_n(void **state)
{
    (void)state;
    emu_run_t all;
    run_emu(&all, "--timing=tlb", "--", "random", "64", "20000", NULL);
    assert_ok(&all);
    uint64_t total = stat_of(&all, "sim.instructions");
    const char *ns[] = {"1000", "54321"};
    for (int k = 0; k < 2; k++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--fast-forward=%s", ns[k]);
        emu_run_t ff;
        run_emu(&ff, "--timing=tlb", opt, "--", "random", "64", "20000", NULL);
        assert_ok(&ff);
        assert_string_equal(ff.r.out, all.r.out);
        assert_int_equal(stat_of(&ff, "sim.instructions"), total - strtoull(ns[k], NULL, 10));
        assert_true(stat_of(&ff, "sim.cycles") < stat_of(&all, "sim.cycles"));
        run_free(&ff);
    }
    run_free(&all);
}

/* (e) --fast-forward=roi: the counters cover the marked loop, 3N + 1 instructions (mov; N times
 * add, dec, jnz) give or take the markers and the compiler's register set-up, and the program's
 * output is the native one. */
static void test_roi(void **state)
{
    (void)state;
    const uint64_t n = 100000;
    emu_run_t run;
    run_emu(&run, "--timing=tlb", "--fast-forward=roi", "--", "loop", "100000", NULL);
    assert_ok(&run);
    uint64_t insns = stat_of(&run, "sim.instructions");
    printf("    ROI of a 3N+1-instruction loop, N=%llu: sim.instructions %llu\n", (unsigned long long)n,
           (unsigned long long)insns);
    assert_true(insns >= 3 * n + 1 && insns <= 3 * n + 4);
    assert_int_equal(stat_of(&run, "sim.roi_ends"), 1);
    assert_int_equal(stat_of(&run, "cpu0.dtlb.misses"), 0);
    assert_true(stat_of(&run, "sim.cycles") >= 3 * n);
    struct run_result native;
    char *argv[] = {(char *)prog, "loop", "100000", NULL};
    proc_run(&native, argv, NULL, NULL, scratch, TIMEOUT);
    assert_int_equal(native.status, 0);
    assert_string_equal(native.out, run.r.out);
    run_result_free(&native);
    /* The begin marker ran once (it is counted although the counters restart there). */
    uint64_t begins = stat_of(&run, "sim.roi_begins");
    run_free(&run);
    if (begins != 1)
        fail_msg("sim.roi_begins is %llu, expected 1 (the reset at EMU_ROI_BEGIN zeroes it?)",
                 (unsigned long long)begins);
}

/* (f) Refusals: a cache geometry and a TLB geometry that cannot be built. */
static void test_refusals(void **state)
{
    (void)state;
    emu_run_t full, geo;
    run_emu(&full, "--timing=full", "--set", "cache.line_size=48", "--", "loop", "10", NULL);
    assert_int_equal(full.r.status, 125);
    assert_int_equal(full.r.out_len, 0);
    assert_null(full.json);
    assert_non_null(strstr(full.r.err, "emu:"));
    assert_non_null(strstr(full.r.err, "cache."));
    run_emu(&geo, "--timing=tlb", "--set", "tlb.dtlb_4k_ways=3", "--", "loop", "10", NULL);
    assert_int_equal(geo.r.status, 125);
    assert_int_equal(geo.r.out_len, 0);
    assert_null(geo.json);
    assert_non_null(strstr(geo.r.err, "emu:"));
    assert_non_null(strstr(geo.r.err, "tlb."));
    assert_non_null(strstr(geo.r.err, "dtlb_4k"));
    run_free(&full);
    run_free(&geo);
}

/* ---- --timing=full: the memory hierarchy ------------------------------------------------------- */

/* Memory cycles of a run: everything the caches and DRAM charged to data and fetch accesses. */
static uint64_t mem_cycles(const emu_run_t *r)
{
    return stat_of(r, "cpu0.cache_cycles") + stat_of(r, "cpu0.dram_local_cycles") +
           stat_of(r, "cpu0.dram_remote_cycles") + stat_of(r, "cpu0.coherence_cycles");
}

/* The unloaded DRAM latency `emu info` prints for the configuration ("row hit H, miss M, conflict
 * C cycles"): outcome 0 hit, 1 miss, 2 conflict. */
static double info_dram_latency(const char *const *sets, int outcome)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)emu;
    argv[n++] = "info";
    for (int i = 0; sets[i]; i++)
        argv[n++] = (char *)sets[i];
    argv[n] = NULL;
    struct run_result r;
    proc_run(&r, argv, NULL, NULL, scratch, TIMEOUT);
    const char *p = strstr(r.out ? r.out : "", "row hit ");
    unsigned v[3] = {0, 0, 0};
    if (!p || sscanf(p, "row hit %u, miss %u, conflict %u", &v[0], &v[1], &v[2]) != 3)
        fail_msg("emu info prints no DRAM idle latency:\n%s", r.out ? r.out : "");
    run_result_free(&r);
    return v[outcome];
}

/* The cycles per iteration of the last chase_latency() (cpu0.cycles): with memory-level parallelism
 * the loop's other instructions overlap the load, but each load waits for the one before. */
static double chase_cycles_per_load;

/* The memory cycles per load of the pointer chase over kib KiB: the difference of two runs that
 * differ only by the number of measured loads. sets: emu options (NULL-terminated, up to 24). Both
 * runs fast-forward to the program's region of interest, which begins before its warm-up pass: the
 * set-up (shuffle and links, a few instructions per line) costs no timing, the warm-up fills the
 * caches as before, and the difference cancels it. */
static double chase_latency(const char *const *sets, unsigned kib, emu_run_t *keep)
{
    const unsigned it1 = 4000, it2 = 12000;
    char k[32], a[32], b[32];
    snprintf(k, sizeof(k), "%u", kib);
    snprintf(a, sizeof(a), "%u", it1);
    snprintf(b, sizeof(b), "%u", it2);
    const char *argv[2][40];
    emu_run_t r[2];
    for (int x = 0; x < 2; x++) {
        int n = 0;
        argv[x][n++] = "--timing=full";
        argv[x][n++] = "--fast-forward=roi"; /* the set-up runs functionally; the warm-up is timed */
        for (int i = 0; sets[i]; i++)
            argv[x][n++] = sets[i];
        argv[x][n++] = "--";
        argv[x][n++] = "chase";
        argv[x][n++] = k;
        argv[x][n++] = x ? b : a;
        while (n < 40)
            argv[x][n++] = NULL;
        const char *const *v = argv[x];
        run_emu(&r[x], v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
                v[14], v[15], v[16], v[17], v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26], v[27],
                v[28], v[29], v[30], NULL);
        assert_ok(&r[x]);
    }
    /* Translation must stay out of the measurement: 2 MiB pages, no walks in the measured loads. */
    if (stat_of(&r[1], "cpu0.walks") != stat_of(&r[0], "cpu0.walks"))
        fail_msg("the measured loads walked the page tables (%llu vs %llu walks)",
                 (unsigned long long)stat_of(&r[1], "cpu0.walks"), (unsigned long long)stat_of(&r[0], "cpu0.walks"));
    double lat = (double)(mem_cycles(&r[1]) - mem_cycles(&r[0])) / (double)(it2 - it1);
    chase_cycles_per_load =
        (double)(stat_of(&r[1], "cpu0.cycles") - stat_of(&r[0], "cpu0.cycles")) / (double)(it2 - it1);
    if (keep)
        *keep = r[1];
    else
        run_free(&r[1]);
    run_free(&r[0]);
    return lat;
}

static void check_plateau(const char *what, double expected, double measured)
{
    log_value(what, expected, measured);
    if (measured < expected * 0.95 || measured > expected * 1.05)
        fail_msg("%s: %.2f cycles per load, expected %.2f (within 5%%)", what, measured, expected);
}

/* (g) The latency staircase: a pointer chase (one random cycle through every line, so an LRU cache
 * smaller than the working set never hits) over a working set that each level holds and the level
 * above it does not, and one far beyond the LLC, costs, per load, the latency the configuration
 * gives that level: L1D, L2, LLC, and LLC plus the DRAM's unloaded row-miss latency (closed page
 * and no refresh make every DRAM access a row miss), within 5%. A level may need options of its own
 * (extra[l]: one "key=value" or NULL) where the preset's geometry makes the plateau impossible or
 * too slow to reach; each use is explained at its preset. */
typedef struct level_run {
    unsigned kib;      /* working set */
    double lat;        /* configured latency of the level (cycles); DRAM: the LLC's, row miss added */
    const char *extra; /* one more --set for this level, or NULL */
} level_run_t;

/* The plateaus measured, for the summary printed at the end (docs/TIMING.md's table). */
static struct {
    char preset[16];
    double v[4];
} plateaus[8];
static int nplateaus;

static void staircase(const char *preset, const char *mem, const level_run_t lv[4])
{
    char cfg[64], memset_[64];
    snprintf(cfg, sizeof(cfg), "--config=%s", preset);
    snprintf(memset_, sizeof(memset_), "machine.mem_per_node=%s", mem ? mem : "512M");
    const char *sets[] = {cfg, "--set", memset_, "--set", "dram.page_policy=closed", "--set", "dram.refresh=off",
                          NULL, NULL, NULL};
    /* "default" is the preset a run without --config gets: test that path. */
    const char *const *base = strcmp(preset, "default") ? sets : sets + 1;
    double dram = info_dram_latency(base, 1);
    const char *names[4] = {"L1D", "L2", "LLC", "DRAM"};
    int slot = nplateaus < 8 ? nplateaus++ : 7;
    snprintf(plateaus[slot].preset, sizeof(plateaus[slot].preset), "%s", preset);
    for (int l = 0; l < 4; l++) {
        sets[7] = lv[l].extra ? "--set" : NULL;
        sets[8] = lv[l].extra;
        double expect = lv[l].lat + (l == 3 ? dram : 0);
        char what[128];
        snprintf(what, sizeof(what), "%s: chase over %u KiB (%s%s%s)", preset, lv[l].kib, names[l],
                 lv[l].extra ? ", " : "", lv[l].extra ? lv[l].extra : "");
        double m = chase_latency(base, lv[l].kib, NULL);
        plateaus[slot].v[l] = m;
        check_plateau(what, expect, m);
    }
}

static void test_staircase_tiny(void **state)
{
    (void)state;
    /* tiny: L1D 16 KiB (4 cycles), L2 128 KiB (14), LLC 512 KiB (60). */
    staircase("tiny", "64M", (const level_run_t[]){{8, 4, NULL}, {64, 14, NULL}, {256, 60, NULL}, {2048, 60, NULL}});
}

static void test_staircase_desktop(void **state)
{
    (void)state;
    /* desktop: L1D 32 KiB (4), L2 256 KiB (12), inclusive L3 12 MiB (42); DRAM at 3.2 GHz with a
     * 12 ns front end. 48 MiB is 4x the L3 and, fast-forwarded, quick enough at full size. */
    staircase("desktop", "256M",
              (const level_run_t[]){{16, 4, NULL}, {128, 12, NULL}, {6144, 42, NULL}, {49152, 42, NULL}});
}

/* The Skylake-SP-like servers (default, skylake-2s, server-4s, numa-8n): L1D 32 KiB (4), L2 1 MiB
 * (14), non-inclusive LLC 38.5 MiB 11-way (60), DDR4-2666 behind a 20 ns front end. The L2 and LLC
 * plateaus use half of L2 and 4x L2 (which the LLC holds with room to spare). A chase far beyond a
 * 38.5 MiB LLC (4x: 154 MiB, 2.5 M lines) takes about 4 s a run even fast-forwarded (the warm-up
 * pass is timed): for the DRAM plateau alone the LLC is shrunk to 2816 KiB (same 11 ways and 60
 * cycles, 4096 sets) and the chase covers 16 MiB, 5.8x that LLC and 16x the L2. The DRAM latency
 * does not depend on the LLC's size. */
static const level_run_t skx_levels[4] = {
    {16, 4, NULL}, {512, 14, NULL}, {4096, 60, NULL}, {16384, 60, "cache.llc_size=2816K"}};

static void test_staircase_default(void **state)
{
    (void)state;
    /* No --config: configs/default.ini, the 2-socket server. */
    staircase("default", NULL, skx_levels);
}

static void test_staircase_skylake_2s(void **state)
{
    (void)state;
    staircase("skylake-2s", NULL, skx_levels);
}

static void test_staircase_server_4s(void **state)
{
    (void)state;
    staircase("server-4s", NULL, skx_levels);
}

static void test_staircase_numa_8n(void **state)
{
    (void)state;
    /* 8 sockets of 28 cores: the program runs on cpu 0, node 0 (local). */
    staircase("numa-8n", NULL, skx_levels);
}

static void test_staircase_la57(void **state)
{
    (void)state;
    /* la57: the one-socket, one-core base with 5-level paging: L1D 32 KiB (4), L2 1 MiB (14), and
     * an LLC of one Skylake-SP slice, 1408 KiB 11-way (60), barely larger than the L2: no working
     * set fits the LLC and not the L2 without conflict misses in one or the other (1280 KiB puts
     * 20 lines on an average L2 set and 10 on an LLC set, Poisson-spread). For the LLC plateau
     * alone the L2 is shrunk to 128 KiB (16-way, 128 sets) and the chase covers 512 KiB: 64
     * lines per L2 set, 4 per LLC set. The 2 MiB pages keep the 5 levels out of the measurement. */
    staircase("la57", "256M",
              (const level_run_t[]){{16, 4, NULL}, {512, 14, NULL}, {512, 60, "cache.l2_size=128K"}, {8192, 60, NULL}});
}

/* Prints the plateaus measured (docs/TIMING.md's table). */
static void test_staircase_summary(void **state)
{
    (void)state;
    printf("    %-12s %9s %9s %9s %9s\n", "preset", "L1D", "L2", "LLC", "DRAM");
    for (int i = 0; i < nplateaus; i++)
        printf("    %-12s %9.3f %9.3f %9.3f %9.3f\n", plateaus[i].preset, plateaus[i].v[0], plateaus[i].v[1],
               plateaus[i].v[2], plateaus[i].v[3]);
}

/* (h) Remote memory: the same chase with the program's frames on node 1 (se.mem_node=1) of the
 * two-socket server costs the configured extra NUMA latency (55 ns at 2.5 GHz) more per DRAM
 * access; DRAM requests are all remote there and all local on node 0. Small caches keep it fast. */
static void test_remote_node(void **state)
{
    (void)state;
    const char *base[] = {"--config=skylake-2s", "--set", "cache.l2_size=128K", "--set", "cache.llc_size=512K",
                          "--set", "cache.llc_ways=8", "--set", "dram.page_policy=closed", "--set", "dram.refresh=off",
                          NULL, NULL, NULL};
    double dram = info_dram_latency(base, 1);
    emu_run_t loc, rem;
    double l = chase_latency(base, 4096, &loc);
    double lc = chase_cycles_per_load;
    base[11] = "--set";
    base[12] = "se.mem_node=1";
    double r = chase_latency(base, 4096, &rem);
    check_plateau("skylake-2s: chase over 4 MiB on the local node", 60 + dram, l);
    /* Memory-level parallelism changes nothing for a chase: each load waits for the previous one,
     * so an iteration costs the whole latency (the loop's other instructions hide under it). */
    check_plateau("skylake-2s: chase over 4 MiB, cycles per iteration", 60 + dram, lc);
    check_plateau("skylake-2s: chase over 4 MiB on the remote node", 60 + dram + 55 * 2.5, r);
    check_plateau("skylake-2s: remote chase, cycles per iteration", 60 + dram + 55 * 2.5, chase_cycles_per_load);
    check_plateau("skylake-2s: remote - local, per load", 55 * 2.5, r - l);
    assert_int_equal(stat_of(&loc, "dram.remote_accesses"), 0);
    assert_true(stat_of(&loc, "dram.local_accesses") > 0);
    assert_int_equal(stat_of(&rem, "dram.local_accesses"), 0);
    assert_true(stat_of(&rem, "node1.dram.reads") > 0);
    assert_int_equal(stat_of(&rem, "node0.dram.reads"), 0);
    run_free(&loc);
    run_free(&rem);
}

/* (i) Full timing: deterministic (identical JSON twice, also in open-page mode with refresh), and
 * invisible to the program (same output and instructions as --timing=off); every cache and DRAM
 * counter the issue names is in the JSON. */
static void test_full_deterministic(void **state)
{
    (void)state;
    emu_run_t a, b, off;
    run_emu(&a, "--timing=full", "--config=skylake-2s", "--", "chase", "8192", "20000", NULL);
    run_emu(&b, "--timing=full", "--config=skylake-2s", "--", "chase", "8192", "20000", NULL);
    run_emu(&off, "--timing=off", "--config=skylake-2s", "--", "chase", "8192", "20000", NULL);
    assert_ok(&a);
    assert_ok(&b);
    assert_ok(&off);
    assert_string_equal(a.json, b.json);
    assert_string_equal(a.r.out, off.r.out);
    assert_int_equal(stat_of(&a, "sim.instructions"), stat_of(&off, "sim.instructions"));
    const char *names[] = {"cpu0.l1d.hits", "cpu0.l1d.misses", "cpu0.l1i.hits", "cpu0.l1i.misses", "cpu0.l2.hits",
                           "cpu0.l2.misses", "socket0.llc.hits", "socket0.llc.misses", "node0.dram.reads",
                           "node0.dram.writes", "node0.dram.row_hits", "node0.dram.row_misses",
                           "node0.dram.row_conflicts", "dram.local_accesses", "dram.remote_accesses",
                           "dram.local_latency_avg", "dram.remote_latency_avg", "node0.dram.bandwidth_mbs",
                           "cpu0.cache_cycles", "cpu0.dram_local_cycles", "cpu0.dram_remote_cycles",
                           "cpu0.coherence_cycles"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        (void)stat_of(&a, names[i]);
    assert_true(stat_of(&a, "node0.dram.reads") > 0);
    assert_true(stat_of(&a, "cpu0.l1i.hits") > 0);
    /* cpu0.cycles is the sum of its parts, less the latency the core did not wait for. */
    uint64_t parts = stat_of(&a, "cpu0.base_cycles") + stat_of(&a, "cpu0.tlb.cycles") + stat_of(&a, "cpu0.walk_cycles") +
                     mem_cycles(&a) - stat_of(&a, "cpu0.overlapped_cycles");
    assert_int_equal(stat_of(&a, "cpu0.cycles"), parts);
    /* No cache counter appears without --timing=full. */
    assert_null(strstr(off.json, "l1d"));
    run_free(&a);
    run_free(&b);
    run_free(&off);
}

/* (j) Memory-level parallelism: a streaming read of 64 MiB (far beyond the LLC) on the two-socket
 * server, one pass between the markers. Its bandwidth, bytes over cycles at cpu.mhz, must lie in
 * the range real Skylake-SP cores reach alone (docs/TIMING.md: about 10-16 GB/s with the hardware
 * prefetchers), be at least 5 times the chase's (a line per DRAM latency), drop without the
 * prefetcher (then only the 10 MSHRs overlap misses), and drop again from the remote node. */
static double stream_gbs(const char *pf, const char *node, const char *mode, emu_run_t *keep)
{
    emu_run_t r;
    run_emu(&r, "--timing=full", "--config=skylake-2s", "--fast-forward=roi", "--set", pf, "--set", node, "--",
            "stream", "64", "1", mode, NULL);
    assert_ok(&r);
    double cy = (double)stat_of(&r, "sim.cycles");
    double gbs = 64.0 * 1048576.0 * 2500.0 / cy / 1000.0;
    if (keep)
        *keep = r;
    else
        run_free(&r);
    return gbs;
}

static void test_stream_bandwidth(void **state)
{
    (void)state;
    emu_run_t on, again, il;
    double local = stream_gbs("cache.prefetch=on", "se.mem_node=0", NULL, &on);
    double again_gbs = stream_gbs("cache.prefetch=on", "se.mem_node=0", NULL, &again);
    double nopf = stream_gbs("cache.prefetch=off", "se.mem_node=0", NULL, NULL);
    double remote = stream_gbs("cache.prefetch=on", "se.mem_node=1", NULL, NULL);
    double remote_nopf = stream_gbs("cache.prefetch=off", "se.mem_node=1", NULL, NULL);
    double inter = stream_gbs("cache.prefetch=on", "se.mem_node=0", "interleave", &il);
    /* The chase's bandwidth on the same machine: one 64-byte line per load. */
    const char *base[] = {"--config=skylake-2s", NULL};
    (void)chase_latency(base, 65536, NULL);
    double chase = 64.0 * 2500.0 / chase_cycles_per_load / 1000.0;
    /* "expected": what a Skylake-SP core reaches (docs/TIMING.md); the checks below are the test. */
    log_value("stream, local node, prefetcher on (GB/s)", 13, local);
    log_value("stream, local node, prefetcher off (GB/s)", 64 * 10 * 2.5 / 190.0, nopf);
    log_value("stream, remote node, prefetcher on (GB/s)", 9, remote);
    log_value("stream, remote node, prefetcher off (GB/s)", 64 * 10 * 2.5 / 327.0, remote_nopf);
    log_value("chase over 64 MiB, local (GB/s)", 64 * 2.5 / 190.0, chase);
    /* Interleaved over nodes 0 and 1 (MPOL_INTERLEAVE): the 32 pages of 2 MiB alternate, so half
     * the lines stream at the local rate and half at the remote one, one after the other (a 2 MiB
     * page at a time: the prefetcher's window never spans two nodes' pages for long). The time is
     * the sum of the halves' times: the harmonic mean of the two rates, 2 / (1/L + 1/R). */
    double hmean = 2.0 / (1.0 / local + 1.0 / remote);
    log_value("stream, interleaved nodes 0+1, prefetcher on (GB/s)", hmean, inter);
    if (local < 10.0 || local > 16.0)
        fail_msg("streaming read: %.2f GB/s, expected 10-16 GB/s (one Skylake-SP core)", local);
    if (local < 5.0 * chase)
        fail_msg("streaming read %.2f GB/s is not 5x the chase's %.2f GB/s", local, chase);
    if (nopf > 0.9 * local)
        fail_msg("the prefetcher does not help: %.2f GB/s with, %.2f without", local, nopf);
    if (remote >= local || remote_nopf >= nopf)
        fail_msg("remote streaming (%.2f, %.2f GB/s) is not slower than local (%.2f, %.2f)", remote, remote_nopf,
                 local, nopf);
    if (inter <= remote || inter >= local)
        fail_msg("interleaved streaming %.2f GB/s is not between remote %.2f and local %.2f", inter, remote, local);
    if (fabs(inter - hmean) > 0.05 * hmean)
        fail_msg("interleaved streaming %.2f GB/s is not within 5%% of the harmonic mean %.2f", inter, hmean);
    /* Half of the lines from each node (the buffer is 32 pages; the set-up's few other frames). */
    uint64_t n0 = stat_of(&il, "node0.dram.reads"), n1 = stat_of(&il, "node1.dram.reads");
    printf("    interleaved: node0.dram.reads %llu, node1.dram.reads %llu\n", (unsigned long long)n0,
           (unsigned long long)n1);
    assert_true(n1 > 500000 && n0 > 500000);
    assert_true(fabs((double)n0 - (double)n1) < 0.01 * (double)(n0 + n1));
    assert_true(stat_of(&il, "dram.remote_accesses") > 500000);
    assert_true(stat_of(&on, "cpu0.pf.issued") > 500000);
    assert_true(stat_of(&on, "cpu0.pf.useful") > 500000);
    assert_true(stat_of(&on, "cpu0.overlapped_cycles") > 0);
    /* Deterministic. */
    assert_true(again_gbs == local);
    assert_string_equal(on.json, again.json);
    run_free(&on);
    run_free(&again);
    run_free(&il);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--emu") && i + 1 < argc)
            emu = argv[++i];
        else if (!strcmp(argv[i], "--prog") && i + 1 < argc)
            prog = argv[++i];
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else {
            fprintf(stderr, "usage: %s --emu PATH --prog PATH [--verbose]\n", argv[0]);
            return 2;
        }
    }
    if (!prog) {
        fprintf(stderr, "%s: --prog is required (tests/timing/tlbprog.c, built static)\n", argv[0]);
        return 2;
    }
    scratch = make_scratch_dir("timing");
    if (!scratch)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_miss_ratio),
        cmocka_unit_test(test_random_set_associative),
        cmocka_unit_test(test_huge_pages_cut_misses),
        cmocka_unit_test(test_hugetlb_1g),
        cmocka_unit_test(test_five_level_one_more_load),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_timing_invisible),
        cmocka_unit_test(test_fast_forward_n),
        cmocka_unit_test(test_roi),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_staircase_tiny),
        cmocka_unit_test(test_staircase_desktop),
        cmocka_unit_test(test_staircase_default),
        cmocka_unit_test(test_staircase_skylake_2s),
        cmocka_unit_test(test_staircase_server_4s),
        cmocka_unit_test(test_staircase_numa_8n),
        cmocka_unit_test(test_staircase_la57),
        cmocka_unit_test(test_staircase_summary),
        cmocka_unit_test(test_remote_node),
        cmocka_unit_test(test_full_deterministic),
        cmocka_unit_test(test_stream_bandwidth),
    };
    int rc = cmocka_run_group_tests_name("timing", tests, NULL, NULL);
    remove_flat_dir(scratch);
    return rc;
}
