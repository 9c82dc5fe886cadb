/* End-to-end tests of NUMA in SE mode (cmocka): tests/numa/numaprog.c sets memory policies with the
 * raw system calls and reports where its pages are; `emu run --stats` must agree, on the two-socket
 * preset (skylake-2s: 2 sockets x 4 CPUs, node 0 on socket 0, node 1 on socket 1). Checked: local
 * first touch from CPU 0 and CPU 4 (--cpu), bind, interleave (an even split, small and huge pages),
 * preferred and its fallback when the node is full, bind on a full node (the OOM kill), mbind
 * MPOL_MF_MOVE, move_pages and migrate_pages keeping the data, page-table placement (se.pt_node),
 * the numastat counters, the error cases, and under --timing=full the local, remote and
 * interleaved DRAM latencies of a pointer chase. docs/SE.md ("NUMA") describes what is checked.
 *
 * Usage: test_numa --emu PATH --prog PATH [--verbose]   (run from the repository root)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/common/proc.h"

static const char *emu = "build/emu";
static const char *prog;
static char *scratch;
static int verbose;

#define TIMEOUT 120.0

typedef struct emu_run {
    struct run_result r;
    char *json;
    size_t json_len;
} emu_run_t;

/* Run `emu run -q --stats=F --config=skylake-2s OPTS... -- prog ARGS...`: opts and args are
 * NULL-terminated lists. */
static void run_emu(emu_run_t *run, const char *const *opts, const char *const *args)
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
    argv[n++] = "--config=skylake-2s";
    for (int i = 0; opts && opts[i] && n < 80; i++)
        argv[n++] = (char *)opts[i];
    argv[n++] = "--";
    argv[n++] = (char *)prog;
    for (int i = 0; args && args[i] && n < 94; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    memset(run, 0, sizeof(*run));
    proc_run(&run->r, argv, NULL, NULL, scratch, TIMEOUT);
    if (run->r.timed_out)
        fail_msg("emu timed out after %.0f s", TIMEOUT);
    run->json = read_file(stats, &run->json_len);
    unlink(stats);
    if (verbose) {
        for (int i = 0; argv[i]; i++)
            fprintf(stderr, "%s ", argv[i]);
        fprintf(stderr, "-> %d\n%s", run->r.status, run->r.out ? run->r.out : "");
    }
}

static void run_free(emu_run_t *run)
{
    run_result_free(&run->r);
    free(run->json);
}

static void assert_ok(const emu_run_t *run)
{
    if (run->r.status != 0)
        fail_msg("emu exited with %d; stdout:\n%s\nstderr:\n%s", run->r.status, run->r.out, run->r.err);
    if (!run->json)
        fail_msg("no stats file written");
}

static uint64_t stat_of(const emu_run_t *run, const char *name)
{
    char key[256];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *p = run->json ? strstr(run->json, key) : NULL;
    if (!p)
        fail_msg("counter %s is not in the stats JSON", name);
    return strtoull(p + strlen(key), NULL, 10);
}

/* The program's "pages N0 N1 ..." line: pages on node 0 and node 1. */
static void pages_of(const emu_run_t *run, unsigned long *n0, unsigned long *n1)
{
    const char *p = run->r.out ? strstr(run->r.out, "pages ") : NULL;
    if (!p || sscanf(p, "pages %lu %lu", n0, n1) != 2)
        fail_msg("no page count in the output:\n%s", run->r.out ? run->r.out : "");
}

/* place POLICY NODES PAGES task|vma [huge] with emu options opts; expect n0 / n1 pages per node. */
static void check_place(const char *const *opts, const char *policy, const char *nodes, const char *pages,
                        const char *who, const char *huge, unsigned long e0, unsigned long e1, emu_run_t *keep)
{
    const char *args[] = {"place", policy, nodes, pages, who, huge, NULL};
    emu_run_t run;
    run_emu(&run, opts, args);
    assert_ok(&run);
    unsigned long n0, n1;
    pages_of(&run, &n0, &n1);
    printf("    %-16s %-4s %-4s %-4s -> node0 %5lu node1 %5lu\n", policy, nodes, who, huge ? huge : "", n0, n1);
    if (n0 != e0 || n1 != e1)
        fail_msg("%s %s (%s): %lu/%lu pages on nodes 0/1, expected %lu/%lu", policy, nodes, who, n0, n1, e0, e1);
    /* The stats agree: every frame was counted, numa_hit + numa_miss = frames allocated. */
    assert_int_equal(stat_of(&run, "se.numa_hit") + stat_of(&run, "se.numa_miss"), stat_of(&run, "se.frames_allocated"));
    assert_int_equal(stat_of(&run, "se.numa_miss"), stat_of(&run, "se.numa_foreign"));
    assert_int_equal(stat_of(&run, "se.local_node") + stat_of(&run, "se.other_node"), stat_of(&run, "se.frames_allocated"));
    assert_int_equal(stat_of(&run, "se.node0.frames") + stat_of(&run, "se.node1.frames"),
                     stat_of(&run, "se.frames_allocated") - stat_of(&run, "se.frames_freed"));
    assert_int_equal(stat_of(&run, "se.node0.page_tables") + stat_of(&run, "se.node1.page_tables"),
                     stat_of(&run, "se.page_table_pages"));
    if (keep)
        *keep = run;
    else
        run_free(&run);
}

/* Local first touch: the node of the CPU's socket. */
static void test_local(void **state)
{
    (void)state;
    emu_run_t a, b;
    check_place(NULL, "default", "-", "300", "task", NULL, 300, 0, &a);
    check_place((const char *[]){"--cpu=4", NULL}, "default", "-", "300", "task", NULL, 0, 300, &b);
    /* Everything of the program on CPU 4 is on node 1, page tables included, and local. */
    assert_int_equal(stat_of(&b, "se.node0.frames"), 0);
    assert_int_equal(stat_of(&b, "se.other_node"), 0);
    assert_int_equal(stat_of(&b, "se.node1.numa_hit"), stat_of(&b, "se.frames_allocated"));
    assert_true(stat_of(&b, "se.node1.page_tables") > 0);
    assert_int_equal(stat_of(&a, "se.node1.frames"), 0);
    run_free(&a);
    run_free(&b);
    check_place(NULL, "local", "-", "300", "vma", NULL, 300, 0, NULL);
    check_place((const char *[]){"--set", "se.cpu=7", NULL}, "local", "-", "300", "task", NULL, 0, 300, NULL);
}

static void test_bind(void **state)
{
    (void)state;
    emu_run_t run;
    check_place(NULL, "bind", "1", "300", "task", NULL, 0, 300, &run);
    /* Bound to the remote node: hits there (its first choice), but not local. */
    assert_true(stat_of(&run, "se.node1.numa_hit") >= 300);
    assert_true(stat_of(&run, "se.node1.other_node") >= 300);
    assert_int_equal(stat_of(&run, "se.numa_miss"), 0);
    run_free(&run);
    check_place(NULL, "bind", "1", "300", "vma", NULL, 0, 300, NULL);
    check_place(NULL, "bind", "0,1", "300", "vma", NULL, 300, 0, NULL); /* the nearest of its nodes */
    check_place((const char *[]){"--cpu=6", NULL}, "bind", "0,1", "300", "vma", NULL, 0, 300, NULL);
    check_place(NULL, "preferred_many", "1", "300", "vma", NULL, 0, 300, NULL);
}

static void test_interleave(void **state)
{
    (void)state;
    emu_run_t run;
    check_place(NULL, "interleave", "0,1", "400", "vma", NULL, 200, 200, &run);
    assert_int_equal(stat_of(&run, "se.interleave_hit"), 400);
    assert_int_equal(stat_of(&run, "se.node0.interleave_hit"), 200);
    assert_int_equal(stat_of(&run, "se.node1.interleave_hit"), 200);
    run_free(&run);
    /* The task policy interleaves faults by page offset too (Linux's interleave_nid()). */
    check_place(NULL, "interleave", "0,1", "400", "task", NULL, 200, 200, NULL);
    check_place(NULL, "interleave", "1", "400", "vma", NULL, 0, 400, NULL);
    /* Transparent huge pages interleave by 2 MiB page: 4 of them, two on each node. */
    check_place(NULL, "interleave", "0,1", "2048", "vma", "huge", 1024, 1024, &run);
    assert_int_equal(stat_of(&run, "se.thp_faults"), 4);
    assert_int_equal(stat_of(&run, "se.interleave_hit"), 4);
    run_free(&run);
}

static void test_preferred(void **state)
{
    (void)state;
    check_place(NULL, "preferred", "1", "300", "vma", NULL, 0, 300, NULL);
    check_place(NULL, "preferred", "1", "300", "task", NULL, 0, 300, NULL);
    /* Node 1 of 16 MiB cannot hold 6000 pages: preferred falls back to node 0 (misses). */
    emu_run_t run;
    const char *small[] = {"--set", "machine.mem_per_node=16M", NULL};
    const char *args[] = {"place", "preferred", "1", "6000", "vma", NULL};
    run_emu(&run, small, args);
    assert_ok(&run);
    unsigned long n0, n1;
    pages_of(&run, &n0, &n1);
    printf("    preferred 1, node 1 of 16 MiB, 6000 pages -> node0 %lu node1 %lu, numa_miss %llu\n", n0, n1,
           (unsigned long long)stat_of(&run, "se.numa_miss"));
    assert_int_equal(n0 + n1, 6000);
    assert_true(n1 > 3900 && n0 > 1500);
    assert_true(stat_of(&run, "se.node0.numa_miss") >= n0);
    assert_int_equal(stat_of(&run, "se.node1.numa_foreign"), stat_of(&run, "se.node0.numa_miss"));
    run_free(&run);
}

/* Bind to a full node: no fallback; the OOM killer ends the program (SIGKILL, status 137). */
static void test_bind_full(void **state)
{
    (void)state;
    emu_run_t run;
    const char *small[] = {"--set", "machine.mem_per_node=16M", NULL};
    const char *args[] = {"place", "bind", "1", "6000", "vma", NULL};
    run_emu(&run, small, args);
    assert_int_equal(run.r.status, 137);
    assert_non_null(strstr(run.r.err, "MPOL_BIND"));
    assert_true(stat_of(&run, "se.node1.frames") >= 4090);
    run_free(&run);
}

static void test_move(void **state)
{
    (void)state;
    emu_run_t run;
    run_emu(&run, NULL, (const char *[]){"move", "64", NULL});
    assert_ok(&run);
    const char *expect = "bound to 0: 64 0\n"
                         "strict without move: -1 I/O error\n"
                         "mbind move to 1: 0: 0 64, data same\n"
                         "move_pages half to 0: 0, status[0] 0: 32 32, data same\n"
                         "migrate_pages 1 -> 0: 0: 64 0, data same\n";
    assert_string_equal(run.r.out, expect);
    assert_int_equal(stat_of(&run, "se.pgmigrate_success"), 64 + 32 + 32);
    assert_int_equal(stat_of(&run, "se.pgmigrate_fail"), 0);
    run_free(&run);
}

static void test_errors(void **state)
{
    (void)state;
    emu_run_t run;
    run_emu(&run, NULL, (const char *[]){"errors", NULL});
    if (run.r.status != 0 || !strstr(run.r.out, "\n0 failures\n"))
        fail_msg("error cases:\n%s", run.r.out);
    run_free(&run);
    run_emu(&run, (const char *[]){"--cpu=5", NULL}, (const char *[]){"getcpu", NULL});
    assert_ok(&run);
    assert_string_equal(run.r.out, "getcpu 0: cpu 5 node 1\n");
    run_free(&run);
}

/* Page tables: se.pt_node=1 puts every table on node 1 while the data stays local; with the default
 * (policy) the tables of memory bound to node 1 go there too; the walks' PTE loads show it. */
static void test_page_tables(void **state)
{
    (void)state;
    emu_run_t run;
    check_place((const char *[]){"--set", "se.pt_node=1", "--timing=tlb", NULL}, "default", "-", "300", "task", NULL,
                300, 0, &run);
    assert_int_equal(stat_of(&run, "se.node0.page_tables"), 0);
    assert_int_equal(stat_of(&run, "se.node1.page_tables"), stat_of(&run, "se.page_table_pages"));
    assert_int_equal(stat_of(&run, "cpu0.pte_loads.node0"), 0);
    assert_true(stat_of(&run, "cpu0.pte_loads.node1") > 0);
    run_free(&run);
    check_place((const char *[]){"--timing=tlb", NULL}, "bind", "1", "3000", "vma", NULL, 0, 3000, &run);
    assert_true(stat_of(&run, "se.node1.page_tables") >= 2); /* the buffer's PTE tables */
    assert_true(stat_of(&run, "cpu0.pte_loads.node1") > 0);
    run_free(&run);
    check_place((const char *[]){"--set", "se.pt_node=local", "--timing=tlb", NULL}, "bind", "1", "3000", "vma", NULL,
                0, 3000, &run);
    assert_int_equal(stat_of(&run, "se.node1.page_tables"), 0);
    run_free(&run);
}

/* Memory cycles per load of the chase over 4 MiB placed by POLICY NODES (two runs, different
 * iteration counts), with opts added; local/remote DRAM request counts of the longer run. */
static double chase(const char *cpu, const char *policy, const char *nodes, uint64_t *local, uint64_t *remote)
{
    const char *opts[] = {"--timing=full", "--fast-forward=roi", "--set", "cache.l2_size=128K", "--set",
                          "cache.llc_size=512K", "--set", "cache.llc_ways=8", "--set", "dram.page_policy=closed",
                          "--set", "dram.refresh=off", cpu, NULL};
    uint64_t cyc[2];
    const char *iters[2] = {"4000", "12000"};
    for (int x = 0; x < 2; x++) {
        emu_run_t run;
        run_emu(&run, opts, (const char *[]){"chase", policy, nodes, "4096", iters[x], NULL});
        assert_ok(&run);
        cyc[x] = stat_of(&run, "cpu0.cache_cycles") + stat_of(&run, "cpu0.dram_local_cycles") +
                 stat_of(&run, "cpu0.dram_remote_cycles") + stat_of(&run, "cpu0.coherence_cycles");
        *local = stat_of(&run, "dram.local_accesses");
        *remote = stat_of(&run, "dram.remote_accesses");
        run_free(&run);
    }
    return (double)(cyc[1] - cyc[0]) / 8000.0;
}

static void check_latency(const char *what, double expected, double measured)
{
    printf("    %-48s expected %8.2f  measured %8.2f\n", what, expected, measured);
    if (measured < expected * 0.95 || measured > expected * 1.05)
        fail_msg("%s: %.2f cycles per load, expected %.2f (within 5%%)", what, measured, expected);
}

/* --timing=full: memory bound to the other node pays the configured remote latency (55 ns at 2.5
 * GHz) on top of the local one (LLC 60 + an unloaded row miss; tests/timing checks that figure);
 * interleave over both nodes pays the average; CPU 4 sees it the other way round. */
static void test_latency(void **state)
{
    (void)state;
    uint64_t l, r;
    double local = chase("--cpu=0", "default", "-", &l, &r);
    assert_int_equal(r, 0);
    double remote = chase("--cpu=0", "bind", "1", &l, &r);
    assert_true(r > 12000 && l < 100);
    double il = chase("--cpu=0", "interleave", "0,1", &l, &r);
    assert_true(l > 5000 && r > 5000);
    double far = chase("--cpu=4", "bind", "0", &l, &r);
    double near = chase("--cpu=4", "bind", "1", &l, &r);
    check_latency("remote - local (cpu 0, node 1 vs node 0)", 55 * 2.5, remote - local);
    check_latency("interleave 0,1: the average", (local + remote) / 2, il);
    check_latency("cpu 4 (socket 1): node 1 is local", local, near);
    check_latency("cpu 4 (socket 1): node 0 is remote", remote, far);
}

/* emu info says where the program runs; a CPU beyond the machine is refused. */
static void test_cli(void **state)
{
    (void)state;
    struct run_result r;
    char *info[] = {(char *)emu, "info", "--config=skylake-2s", "--set", "se.cpu=6", NULL};
    proc_run(&r, info, NULL, NULL, scratch, TIMEOUT);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "se: the program runs on cpu 6 (se.cpu, --cpu): socket 1, local node 1\n"));
    assert_non_null(strstr(r.out, "node 1 cpus: 4 5 6 7\n"));
    run_result_free(&r);
    char *bad[] = {(char *)emu, "run", "--config=skylake-2s", "--cpu=8", "--", (char *)prog, "getcpu", NULL};
    proc_run(&r, bad, NULL, NULL, scratch, TIMEOUT);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "emu: se.cpu (--cpu) = 8, but the machine has 8 CPUs"));
    run_result_free(&r);
    char *fs[] = {(char *)emu, "run", "--mode=fs", "--cpu=1", NULL};
    proc_run(&r, fs, NULL, NULL, scratch, TIMEOUT);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "--cpu needs --mode=se"));
    run_result_free(&r);
    char *pt[] = {(char *)emu, "run", "--config=skylake-2s", "--set", "se.pt_node=2", "--", (char *)prog, "getcpu", NULL};
    proc_run(&r, pt, NULL, NULL, scratch, TIMEOUT);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "se.pt_node = 2, but the machine has 2 nodes"));
    run_result_free(&r);
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
        fprintf(stderr, "%s: --prog is required (tests/numa/numaprog.c, built static)\n", argv[0]);
        return 2;
    }
    scratch = make_scratch_dir("numa");
    if (!scratch)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_interleave),
        cmocka_unit_test(test_preferred),
        cmocka_unit_test(test_bind_full),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_page_tables),
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_cli),
    };
    int rc = cmocka_run_group_tests_name("numa", tests, NULL, NULL);
    remove_flat_dir(scratch);
    return rc;
}
