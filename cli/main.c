/* emu: command-line entry point. `emu run` runs a program; `emu help config|stats` lists the
 * configuration keys and the counters. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/replay_cmd.h"
#include "cli/trace_cmd.h"
#include "emu/config.h"
#include "emu/counters.h"
#include "emu/emu.h"
#include "ui/ui.h"

#define EMU_VERSION "0.1.0"

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: emu COMMAND [OPTIONS] ...\n"
            "\n"
            "emu is a cycle-approximate x86-64 machine emulator for studying operating-system memory\n"
            "management.\n"
            "\n"
            "commands:\n"
            "  run [OPTIONS] [--] PROGRAM [ARGS...]   run a static x86-64 Linux program\n"
            "  info [--config=F] [--set K=V]          describe the machine (like numactl --hardware)\n"
            "  trace info|dump|convert ...            inspect and convert trace files\n"
            "  replay [OPTIONS] FILE                  a trace through the models of any configuration\n"
            "  help config                            list every configuration key\n"
            "  help stats                             list every counter of the stats JSON\n"
            "  help presets                           list the built-in configuration presets\n"
            "  version                                print the version\n"
            "\n"
            "`emu COMMAND --help` describes a command. Documentation: README.md and docs/.\n");
}

static void usage_run(FILE *f)
{
    fprintf(f,
            "usage: emu run [OPTIONS] [--] PROGRAM [ARGS...]\n"
            "\n"
            "Run PROGRAM, a static x86-64 Linux executable (e.g. built with musl-gcc -static), on the\n"
            "emulated machine. The program's standard output and error are its own; emu's messages\n"
            "go to standard error prefixed 'emu:'.\n"
            "\n"
            "options:\n"
            "  --mode=se|fs            se: the emulator implements the Linux system calls (default);\n"
            "                          fs: full system: boot the guest kernel on every CPU of the\n"
            "                          machine (it cannot run a PROGRAM yet: give none)\n"
            "  --config=FILE|PRESET    machine configuration (INI file or preset name; `emu help presets`)\n"
            "  --set SECTION.KEY=VALUE override one configuration key (repeatable; wins over --config)\n"
            "  --stats=FILE            write every counter to FILE as one flat JSON object\n"
            "  --timing=off|tlb|full   off: functional only (default); tlb: model TLBs, paging-structure\n"
            "                          caches and page walks, and count cycles; full: also the caches\n"
            "                          (MESI) and the NUMA DRAM controllers (docs/TIMING.md)\n"
            "  --stats-dir=DIR         write DIR/stats.txt (gem5 style), DIR/stats.json and DIR/config.ini\n"
            "                          (the configuration actually used)\n"
            "  --fast-forward=N|roi    run functionally for N instructions, or up to the program's first\n"
            "                          EMU_ROI_BEGIN marker (include/emu_roi.h), then time and count from\n"
            "                          there (counters reset; with roi they freeze at EMU_ROI_END)\n"
            "  --max-instructions=N    stop after N instructions (exit status 124)\n"
            "  --root=DIR              files the program opens are confined to DIR (default: .)\n"
            "  --env=K=V               add or replace a variable of the program's environment (repeatable)\n"
            "  --trace-insn=N          keep the last N instructions; print them disassembled on a crash\n"
            "  --print-config          print the effective configuration and exit\n"
            "  --cpu=N                 SE mode: run the program on CPU N, so on its socket and local NUMA\n"
            "                          node (the same as --set se.cpu=N; docs/SE.md, \"NUMA\")\n"
            "  --record=FILE           record the run's memory accesses, walks and invalidations into a\n"
            "                          trace (SE mode, with --timing=tlb or full; docs/TRACE.md)\n"
            "\n"
            "full-system options (--mode=fs; docs/BOOT.md, docs/DEVICES.md):\n"
            "  --kernel=FILE           guest kernel ELF (default: the one built into emu, guest/)\n"
            "  --initrd=FILE           initial ramdisk, a cpio archive in the newc format\n"
            "  --append=STRING         the kernel command line\n"
            "  --kernel-tests          run the kernel's test table; results in KTAP on standard output\n"
            "  -v, --verbose           show the kernel log on standard error\n"
            "  --kernel-log=FILE       write the kernel log to FILE\n"
            "  --reports-dir=DIR       write the guest's reports to DIR/NAME (default: standard output)\n"
            "  --report                print the last version of each report when the run ends, instead\n"
            "                          of each as the guest makes it (--stats-dir also gets them as files)\n"
            "  --disk=FILE             back the block device with FILE\n"
            "  -q, --quiet             no summary at exit\n"
            "\n"
            "visualizer (docs/UI.md; works in both modes):\n"
            "  --ui                    open a window: memory map, TLB sets, counters (needs a display)\n"
            "  --snapshot=FILE.png     write the same picture at the end of the run (no display needed)\n"
            "  --snapshot-every=N      write a picture every N instructions into --snapshot-dir\n"
            "  --snapshot-dir=DIR      folder for --snapshot-every (default .), or a pattern with %%llu\n"
            "  --heat-export=FILE      damo-style text of the frame heat: insns, start, end, accesses\n"
            "  --ui-interval=N         instructions between the visualizer's looks (default 1000000)\n"
            "  -h, --help              this text\n"
            "\n"
            "exit status: the program's own; 128+N if signal N killed it; 124 instruction limit;\n"
            "125 emulator error or bad usage; 126 PROGRAM cannot be run; 127 PROGRAM not found.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    errno = 0;
    char *end;
    if (*s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

enum { OPT_MODE = 256, OPT_CONFIG, OPT_SET, OPT_STATS, OPT_TIMING, OPT_MAXI, OPT_ROOT, OPT_ENV, OPT_TRACE,
       OPT_PRINTCFG, OPT_FF, OPT_KERNEL, OPT_INITRD, OPT_APPEND, OPT_KTESTS, OPT_KLOG, OPT_REPORTS, OPT_DISK,
       OPT_STATSDIR, OPT_UI, OPT_SNAP, OPT_SNAP_EVERY, OPT_SNAP_DIR, OPT_HEAT, OPT_UI_INTERVAL, OPT_CPU };

/* The visualizer's options (ui/ui.h); any of them builds a ui_t around the machine. */
static ui_opts_t ui_o;
static int ui_wanted(void) { return ui_o.window || ui_o.snapshot_path || ui_o.snapshot_every || ui_o.heat_export; }

/* Build the UI for m and install its observer; NULL when not wanted, or on error (*failed set). */
static ui_t *ui_start(emu_t *m, int *failed)
{
    char err[1024];
    *failed = 0;
    if (!ui_wanted())
        return NULL;
    ui_t *ui = ui_new(m, &ui_o, err, sizeof(err));
    if (!ui) {
        fprintf(stderr, "emu: %s\n", err);
        *failed = 1;
        return NULL;
    }
    ui_attach(ui);
    return ui;
}

/* After the run: the last picture; a window stays until the user quits. */
static int ui_end(ui_t *ui, int status)
{
    if (!ui)
        return status;
    if (ui_quit_requested(ui))
        fprintf(stderr, "emu: run stopped from the visualizer\n");
    if (ui_finish(ui) < 0 && status == 0)
        status = EMU_EXIT_ERROR;
    ui_free(ui);
    return status;
}

/* --stats-dir: the folder and the configuration the run used (set by cmd_run). */
static const char *stats_dir;
static const config_t *stats_cfg;

/* Write f's text to path atomically (a temporary name, then rename). */
static int write_atomic(const char *path, void (*fill)(emu_t *, FILE *), emu_t *m)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fill(m, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* gem5's stats.txt layout: name, value, "# description", between begin and end markers. */
static void fill_stats_txt(emu_t *m, FILE *f)
{
    counters_t *c = emu_counters(m);
    fprintf(f, "\n---------- Begin Simulation Statistics ----------\n");
    for (int i = 0; i < counters_count(c); i++)
        fprintf(f, "%-50s %20llu   # %s\n", counters_name(c, i), (unsigned long long)counters_value(c, i),
                counters_desc(c, i));
    fprintf(f, "\n---------- End Simulation Statistics   ----------\n");
}

static void fill_config(emu_t *m, FILE *f)
{
    (void)m;
    config_dump(stats_cfg, f);
}

/* --stats-dir=DIR: stats.txt, stats.json and config.ini. Returns 0 or -1 (errno set). */
static int write_stats_dir(emu_t *m)
{
    char path[4096];
    if (mkdir(stats_dir, 0777) != 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof(path), "%s/stats.txt", stats_dir);
    if (write_atomic(path, fill_stats_txt, m) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/config.ini", stats_dir);
    if (write_atomic(path, fill_config, m) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/stats.json", stats_dir);
    return counters_write_json_file(emu_counters(m), path);
}

/* The end of a run: limit message, stats file, summary. Returns the exit status. */
static int finish_run(emu_t *m, const emu_result_t *res, struct timespec t0, uint64_t max_insns,
                      const char *stats_path, int quiet)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fflush(stdout);
    if (res->kind == EMU_LIMIT && max_insns)
        fprintf(stderr, "emu: instruction limit of %llu reached\n", (unsigned long long)max_insns);
    int status = res->status;
    if (stats_path && counters_write_json_file(emu_counters(m), stats_path) < 0) {
        fprintf(stderr, "emu: cannot write stats to %s: %s\n", stats_path, strerror(errno));
        status = EMU_EXIT_ERROR;
    }
    if (stats_dir && write_stats_dir(m) < 0) {
        fprintf(stderr, "emu: cannot write stats to %s: %s\n", stats_dir, strerror(errno));
        status = EMU_EXIT_ERROR;
    }
    if (!quiet)
        emu_print_summary(m, secs, stderr);
    return status;
}

/* Full-system mode: boot the guest kernel and run the machine. */
static int run_fs(const config_t *cfg, const emu_fs_opts_t *fso, int timing, uint64_t ff_insns, int ff_roi,
                  int trace_n, uint64_t max_insns, const char *stats_path, int quiet)
{
    char err[2048];
    emu_t *m = emu_new(cfg, EMU_MODE_FS, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "emu: %s\n", err);
        return EMU_EXIT_ERROR;
    }
    emu_set_trace_insn(m, trace_n);
    if (emu_set_timing(m, timing, ff_insns, ff_roi) < 0) {
        emu_free(m);
        return EMU_EXIT_ERROR;
    }
    int rc = emu_boot(m, fso, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "emu: %s\n", err);
        emu_free(m);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    emu_result_t res;
    int ui_failed;
    ui_t *ui = ui_start(m, &ui_failed);
    if (ui_failed) {
        emu_free(m);
        return EMU_EXIT_ERROR;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0); /* the run's time, not the window's opening */
    emu_run(m, max_insns, &res);
    int status = finish_run(m, &res, t0, ui && ui_quit_requested(ui) ? 0 : max_insns, stats_path, quiet);
    status = ui_end(ui, status);
    emu_free(m);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mode", required_argument, 0, OPT_MODE},
        {"config", required_argument, 0, OPT_CONFIG},
        {"set", required_argument, 0, OPT_SET},
        {"stats", required_argument, 0, OPT_STATS},
        {"timing", required_argument, 0, OPT_TIMING},
        {"fast-forward", required_argument, 0, OPT_FF},
        {"max-instructions", required_argument, 0, OPT_MAXI},
        {"root", required_argument, 0, OPT_ROOT},
        {"env", required_argument, 0, OPT_ENV},
        {"trace-insn", required_argument, 0, OPT_TRACE},
        {"print-config", no_argument, 0, OPT_PRINTCFG},
        {"cpu", required_argument, 0, OPT_CPU},
        {"kernel", required_argument, 0, OPT_KERNEL},
        {"initrd", required_argument, 0, OPT_INITRD},
        {"append", required_argument, 0, OPT_APPEND},
        {"kernel-tests", no_argument, 0, OPT_KTESTS},
        {"kernel-log", required_argument, 0, OPT_KLOG},
        {"reports-dir", required_argument, 0, OPT_REPORTS},
        {"report", no_argument, 0, 'R'},
        {"record", required_argument, 0, 'W'},
        {"disk", required_argument, 0, OPT_DISK},
        {"stats-dir", required_argument, 0, OPT_STATSDIR},
        {"ui", no_argument, 0, OPT_UI},
        {"snapshot", required_argument, 0, OPT_SNAP},
        {"snapshot-every", required_argument, 0, OPT_SNAP_EVERY},
        {"snapshot-dir", required_argument, 0, OPT_SNAP_DIR},
        {"heat-export", required_argument, 0, OPT_HEAT},
        {"ui-interval", required_argument, 0, OPT_UI_INTERVAL},
        {"verbose", no_argument, 0, 'v'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    config_t cfg;
    config_defaults(&cfg);
    enum emu_mode mode = EMU_MODE_SE;
    const char *config_spec = NULL, *stats_path = NULL, *root = ".";
    char **sets = calloc((size_t)argc, sizeof(char *));
    char **envs = calloc((size_t)argc, sizeof(char *));
    int nsets = 0, nenv = 0, quiet = 0, print_config = 0, trace_n = 0, cpu_given = 0;
    uint64_t max_insns = 0, ff_insns = 0;
    int timing = EMU_TIMING_OFF, ff_roi = 0, fs_only = 0;
    emu_fs_opts_t fso;
    memset(&fso, 0, sizeof(fso));
    const char *record_path = NULL;
    char err[2048];
    int status = EMU_EXIT_ERROR;
    emu_t *m = NULL;

    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "+qhv", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_MODE:
            if (strcmp(optarg, "se") == 0)
                mode = EMU_MODE_SE;
            else if (strcmp(optarg, "fs") == 0)
                mode = EMU_MODE_FS;
            else {
                fprintf(stderr, "emu: bad --mode '%s': expected se or fs\n", optarg);
                goto out;
            }
            break;
        case OPT_CONFIG: config_spec = optarg; break;
        case OPT_SET: sets[nsets++] = optarg; break;
        case OPT_STATS: stats_path = optarg; break;
        case OPT_STATSDIR: stats_dir = optarg; break;
        case OPT_UI: ui_o.window = 1; break;
        case OPT_SNAP: ui_o.snapshot_path = optarg; break;
        case OPT_SNAP_DIR: ui_o.snapshot_dir = optarg; break;
        case OPT_HEAT: ui_o.heat_export = optarg; break;
        case OPT_SNAP_EVERY:
        case OPT_UI_INTERVAL: {
            uint64_t n;
            if (parse_u64(optarg, &n) < 0 || n == 0) {
                fprintf(stderr, "emu: bad --%s '%s': expected a positive number of instructions\n",
                        opt == OPT_SNAP_EVERY ? "snapshot-every" : "ui-interval", optarg);
                goto out;
            }
            if (opt == OPT_SNAP_EVERY)
                ui_o.snapshot_every = n;
            else
                ui_o.interval = n;
            break;
        }
        case OPT_TIMING:
            if (strcmp(optarg, "off") == 0) {
                timing = EMU_TIMING_OFF;
            } else if (strcmp(optarg, "tlb") == 0) {
                timing = EMU_TIMING_TLB;
            } else if (strcmp(optarg, "full") == 0) {
                timing = EMU_TIMING_FULL;
            } else {
                fprintf(stderr, "emu: bad --timing '%s': expected off, tlb or full\n", optarg);
                goto out;
            }
            break;
        case OPT_FF:
            if (strcmp(optarg, "roi") == 0) {
                ff_roi = 1;
            } else if (parse_u64(optarg, &ff_insns) < 0 || ff_insns == 0) {
                fprintf(stderr, "emu: bad --fast-forward '%s': expected a positive number of instructions or roi\n",
                        optarg);
                goto out;
            }
            break;
        case OPT_MAXI:
            if (parse_u64(optarg, &max_insns) < 0 || max_insns == 0) {
                fprintf(stderr, "emu: bad --max-instructions '%s': expected a positive integer\n", optarg);
                goto out;
            }
            break;
        case OPT_ROOT: root = optarg; break;
        case OPT_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "emu: bad --env '%s': expected NAME=VALUE\n", optarg);
                goto out;
            }
            envs[nenv++] = optarg;
            break;
        case OPT_TRACE: {
            uint64_t n;
            if (parse_u64(optarg, &n) < 0 || n > 1000000) {
                fprintf(stderr, "emu: bad --trace-insn '%s': expected a number from 0 to 1000000\n", optarg);
                goto out;
            }
            trace_n = (int)n;
            break;
        }
        case OPT_PRINTCFG: print_config = 1; break;
        case OPT_CPU: {
            /* --cpu=N is se.cpu=N, applied in order with the --set options. */
            uint64_t n;
            static char cpu_set[48];
            if (parse_u64(optarg, &n) < 0 || n > 16383) {
                fprintf(stderr, "emu: bad --cpu '%s': expected a CPU number (see emu info)\n", optarg);
                goto out;
            }
            snprintf(cpu_set, sizeof(cpu_set), "se.cpu=%llu", (unsigned long long)n);
            sets[nsets++] = cpu_set;
            cpu_given = 1;
            break;
        }
        case OPT_KERNEL: fso.kernel = optarg; fs_only = 1; break;
        case OPT_INITRD: fso.initrd = optarg; fs_only = 1; break;
        case OPT_APPEND: fso.cmdline = optarg; fs_only = 1; break;
        case OPT_KTESTS: fso.kernel_tests = 1; fs_only = 1; break;
        case OPT_KLOG: fso.kernel_log = optarg; fs_only = 1; break;
        case OPT_REPORTS: fso.reports_dir = optarg; fs_only = 1; break;
        case 'R': fso.report_at_end = 1; fs_only = 1; break;
        case 'W': record_path = optarg; break;
        case OPT_DISK: fso.disk = optarg; fs_only = 1; break;
        case 'v': fso.verbose = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            usage_run(stdout);
            status = 0;
            goto out;
        default:
            if (optopt && optopt < 256)
                fprintf(stderr, "emu: run: unknown option '-%c' (see emu run --help)\n", optopt);
            else
                fprintf(stderr, "emu: run: unknown or incomplete option '%s' (see emu run --help)\n",
                        argv[optind - 1]);
            goto out;
        }
    }

    if (config_load(&cfg, config_spec ? config_spec : "default", err, sizeof(err)) < 0) {
        fprintf(stderr, "emu: %s\n", err);
        goto out;
    }
    for (int i = 0; i < nsets; i++) {
        if (config_set(&cfg, sets[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "emu: %s\n", err);
            goto out;
        }
    }
    if (print_config) {
        config_dump(&cfg, stdout);
        status = 0;
        goto out;
    }
    stats_cfg = &cfg;
    if (record_path && mode == EMU_MODE_FS) {
        fprintf(stderr, "emu: --record works in SE mode only for now (full-system recording comes later)\n");
        goto out;
    }
    if (cpu_given && mode == EMU_MODE_FS) {
        fprintf(stderr, "emu: --cpu needs --mode=se (full-system mode runs the guest on every CPU)\n");
        goto out;
    }
    if (fs_only && mode != EMU_MODE_FS) {
        fprintf(stderr, "emu: --kernel, --initrd, --append, --kernel-tests, --kernel-log, --reports-dir and --disk "
                        "need --mode=fs\n");
        goto out;
    }
    if (mode == EMU_MODE_FS) {
        if (optind < argc) {
            fprintf(stderr, "emu: --mode=fs cannot run a program yet: the guest kernel has no processes (use "
                            "--mode=se, or --mode=fs without a PROGRAM to boot the kernel alone)\n");
            goto out;
        }
        struct stat rst;
        if (fso.reports_dir && (stat(fso.reports_dir, &rst) != 0 || !S_ISDIR(rst.st_mode))) {
            fprintf(stderr, "emu: --reports-dir %s is not a folder\n", fso.reports_dir);
            goto out;
        }
        fso.stats_path = stats_path;
        fso.stats_dir = stats_dir;
        status = run_fs(&cfg, &fso, timing, ff_insns, ff_roi, trace_n, max_insns, stats_path, quiet);
        goto out;
    }
    if (optind >= argc) {
        fprintf(stderr, "emu: run: no PROGRAM given (see emu run --help)\n");
        goto out;
    }
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "emu: --root %s is not a folder\n", root);
        goto out;
    }

    m = emu_new(&cfg, mode, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "emu: %s\n", err);
        goto out;
    }
    emu_set_trace_insn(m, trace_n);
    if (emu_set_timing(m, timing, ff_insns, ff_roi) < 0)
        goto out;
    emu_program_t prog = {
        .path = argv[optind],
        .argc = argc - optind,
        .argv = argv + optind,
        .nr_env = nenv,
        .env = envs,
        .root = root,
    };
    if (record_path && emu_record_start(m, record_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "emu: %s\n", err);
        goto out;
    }
    int rc = emu_load(m, &prog, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "emu: %s\n", err);
        status = rc;
        goto out;
    }
    /* A write by the program to a closed pipe must come back to it as EPIPE (and SIGPIPE, with
     * its default action), not kill the emulator. */
    signal(SIGPIPE, SIG_IGN);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    emu_result_t res;
    int ui_failed;
    ui_o.title = argv[optind];
    ui_t *ui = ui_start(m, &ui_failed);
    if (ui_failed) {
        status = EMU_EXIT_ERROR;
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0); /* the run's time, not the window's opening */
    emu_run(m, max_insns, &res);
    if (record_path && emu_record_finish(m, err, sizeof(err)) < 0) {
        fprintf(stderr, "emu: %s\n", err);
        res.status = EMU_EXIT_ERROR;
    }
    status = finish_run(m, &res, t0, ui && ui_quit_requested(ui) ? 0 : max_insns, stats_path, quiet);
    status = ui_end(ui, status);
out:
    emu_free(m);
    free(sets);
    free(envs);
    return status;
}

static void usage_info(FILE *f)
{
    fprintf(f,
            "usage: emu info [--config=FILE|PRESET] [--set SECTION.KEY=VALUE]...\n"
            "\n"
            "Describe the configured machine: NUMA nodes with their CPUs, sizes and distances in the\n"
            "layout of `numactl --hardware`, then the CPUs and paging.\n");
}

static int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, OPT_CONFIG},
        {"set", required_argument, 0, OPT_SET},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    config_t cfg;
    config_defaults(&cfg);
    char err[2048];
    const char *config_spec = NULL;
    char **sets = calloc((size_t)argc + 1, sizeof(char *));
    int nsets = 0, status = EMU_EXIT_ERROR, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_CONFIG: config_spec = optarg; break;
        case OPT_SET: sets[nsets++] = optarg; break;
        case 'h':
            usage_info(stdout);
            status = 0;
            goto out;
        default:
            fprintf(stderr, "emu: info: unknown or incomplete option '%s' (see emu info --help)\n", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "emu: info: unexpected argument '%s' (see emu info --help)\n", argv[optind]);
        goto out;
    }
    if (config_load(&cfg, config_spec ? config_spec : "default", err, sizeof(err)) < 0) {
        fprintf(stderr, "emu: %s\n", err);
        goto out;
    }
    for (int i = 0; i < nsets; i++) {
        if (config_set(&cfg, sets[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "emu: %s\n", err);
            goto out;
        }
    }
    emu_print_info(&cfg, stdout);
    status = 0;
out:
    free(sets);
    return status;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout, "usage: emu help config|stats|presets\n");
        return argc < 2 ? EMU_EXIT_ERROR : 0;
    }
    if (strcmp(argv[1], "config") == 0) {
        config_print_keys(stdout);
        return 0;
    }
    if (strcmp(argv[1], "stats") == 0) {
        emu_list_counters(stdout);
        return 0;
    }
    if (strcmp(argv[1], "presets") == 0) {
        for (const config_preset_t *p = config_presets; p->name; p++) {
            const char *first = p->text;
            /* The first line of a preset is its description comment. */
            const char *nl = strchr(first, '\n');
            printf("%-12s %.*s\n", p->name, nl ? (int)(nl - first) : (int)strlen(first), first);
        }
        return 0;
    }
    fprintf(stderr, "emu: help: unknown topic '%s'; topics: config, stats, presets\n", argv[1]);
    return EMU_EXIT_ERROR;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "emu: no command given; commands: run, help, version (see emu --help)\n");
        return EMU_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "trace") == 0)
        return cmd_trace(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage_main(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("emu %s\n", EMU_VERSION);
        return 0;
    }
    fprintf(stderr, "emu: unknown command '%s' (see emu --help)\n", cmd);
    return EMU_EXIT_ERROR;
}
