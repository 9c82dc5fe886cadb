/* `emu replay [OPTIONS] FILE`: a trace through the TLB, walk, cache and DRAM models of any
 * configuration, with the reports and JSON of a live run (docs/TRACE.md, "Replay"). */
#define _GNU_SOURCE
#include "cli/replay_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/config.h"
#include "emu/counters.h"
#include "emu/emu.h"

static void usage_replay(FILE *f)
{
    fprintf(f,
            "usage: emu replay [OPTIONS] FILE\n"
            "\n"
            "Push the accesses of the trace FILE through the TLBs, page walker, caches and DRAM of the\n"
            "configured machine (CPU 0), and report as a run does: the summary on standard error, every\n"
            "counter with --stats. Imported traces (emu trace convert --from=lackey|champsim) get frames\n"
            "and page tables built by the replay (first touch, lowest free frame; docs/TRACE.md).\n"
            "\n"
            "options:\n"
            "  --config=FILE|PRESET    machine configuration\n"
            "  --set SECTION.KEY=VALUE override one configuration key (repeatable)\n"
            "  --timing=tlb|full       tlb: TLBs and walks only; full: also caches and DRAM (default)\n"
            "  --stats=FILE            write every counter to FILE as one flat JSON object\n"
            "  --max-records=N         replay the first N records only\n"
            "  -q, --quiet             no summary\n"
            "  -h, --help              this text\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (*s == '-')
        return -1;
    *v = strtoull(s, &end, 0);
    return end == s || *end || errno ? -1 : 0;
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},      {"set", required_argument, 0, 's'},
        {"timing", required_argument, 0, 't'},      {"stats", required_argument, 0, 'S'},
        {"max-records", required_argument, 0, 'm'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0},
    };
    config_t cfg;
    config_defaults(&cfg);
    char err[2048];
    const char *config_spec = NULL, *stats = NULL;
    char **sets = calloc((size_t)argc + 1, sizeof(char *));
    int nsets = 0, quiet = 0, timing = EMU_TIMING_FULL, status = EMU_EXIT_ERROR, opt;
    uint64_t max_records = 0;
    emu_t *m = NULL;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': config_spec = optarg; break;
        case 's': sets[nsets++] = optarg; break;
        case 'S': stats = optarg; break;
        case 'q': quiet = 1; break;
        case 't':
            if (strcmp(optarg, "tlb") == 0) {
                timing = EMU_TIMING_TLB;
            } else if (strcmp(optarg, "full") == 0) {
                timing = EMU_TIMING_FULL;
            } else {
                fprintf(stderr, "emu: bad --timing '%s' for replay: expected tlb or full\n", optarg);
                goto out;
            }
            break;
        case 'm':
            if (parse_u64(optarg, &max_records) < 0 || max_records == 0) {
                fprintf(stderr, "emu: bad --max-records '%s': expected a positive integer\n", optarg);
                goto out;
            }
            break;
        case 'h':
            usage_replay(stdout);
            status = 0;
            goto out;
        default:
            fprintf(stderr, "emu: replay: unknown or incomplete option '%s' (see emu replay --help)\n", argv[optind - 1]);
            goto out;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "emu: replay: expected one trace FILE (see emu replay --help)\n");
        goto out;
    }
    if (config_load(&cfg, config_spec ? config_spec : "default", err, sizeof(err)) < 0) {
        fprintf(stderr, "emu: %s\n", err);
        goto out;
    }
    for (int i = 0; i < nsets; i++)
        if (config_set(&cfg, sets[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "emu: %s\n", err);
            goto out;
        }
    m = emu_new(&cfg, EMU_MODE_SE, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "emu: %s\n", err);
        goto out;
    }
    if (emu_set_timing(m, timing, 0, 0) < 0)
        goto out;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    emu_result_t res;
    int rc = emu_replay(m, argv[optind], max_records, err, sizeof(err), &res);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) {
        fprintf(stderr, "emu: %s\n", err);
        status = rc;
        goto out;
    }
    status = 0;
    if (stats && counters_write_json_file(emu_counters(m), stats) < 0) {
        fprintf(stderr, "emu: cannot write stats to %s: %s\n", stats, strerror(errno));
        status = EMU_EXIT_ERROR;
    }
    if (!quiet)
        emu_print_summary(m, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, stderr);
out:
    emu_free(m);
    free(sets);
    return status;
}
