/* emu: the public control API of the emulator, used by cli/.
 *
 * A machine is built from a configuration, given a program, and run. Everything it counts is in
 * its counters registry.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu/config.h"
#include "emu/counters.h"

typedef struct machine emu_t;

enum emu_mode { EMU_MODE_SE = 0, EMU_MODE_FS = 1 };

/* Exit statuses of `emu run` (docs/CLI.md, DESIGN.md section 2). */
enum {
    EMU_EXIT_LIMIT = 124,
    EMU_EXIT_ERROR = 125,
    EMU_EXIT_NOEXEC = 126,
    EMU_EXIT_NOTFOUND = 127,
};

typedef struct emu_program {
    const char *path;       /* host path of the executable */
    int argc;
    char **argv;            /* argv[0] is what the program sees as its name */
    int nr_env;
    char **env;             /* extra "K=V" entries added to the default environment */
    const char *root;       /* files the program may open are confined to this folder */
} emu_program_t;

typedef struct emu_result {
    enum { EMU_EXITED, EMU_SIGNALED, EMU_LIMIT, EMU_FAILED } kind;
    int code;               /* exit code, or signal number */
    int status;             /* the exit status `emu run` returns for this result */
} emu_result_t;

/* Build a machine from cfg. NULL with a message in err on failure. */
emu_t *emu_new(const config_t *cfg, enum emu_mode mode, char *err, size_t errlen);
void emu_free(emu_t *m);

/* Timing modes (--timing). */
enum { EMU_TIMING_OFF = 0, EMU_TIMING_TLB = 1 };

/* Choose the timing mode of the measured part of the run, and where the measured part starts:
 * after ff_insns instructions (0: at once), or, with ff_roi, at the first EMU_ROI_BEGIN marker
 * (the counters are then frozen at the following EMU_ROI_END). Before the start the run is
 * functional; at the start every counter is reset. */
void emu_set_timing(emu_t *m, int mode, uint64_t ff_insns, int ff_roi);

/* Keep the last n executed instructions, printed with a disassembly when the program crashes or
 * the emulator reports an error (--trace-insn=N). */
void emu_set_trace_insn(emu_t *m, int n);

/* Load a program (SE mode). Returns 0, or an exit status (126, 127, 125) with a message in err. */
int emu_load(emu_t *m, const emu_program_t *p, char *err, size_t errlen);

/* Full-system mode (--mode=fs): what to boot and where its output goes. */
typedef struct emu_fs_opts {
    const char *kernel;      /* guest kernel ELF; NULL: the kernel built into emu (build/guest) */
    const char *initrd;      /* cpio newc archive, or NULL */
    const char *cmdline;     /* kernel command line, or NULL */
    const char *disk;        /* block device backing file, or NULL */
    const char *kernel_log;  /* file for the kernel log, or NULL */
    const char *reports_dir; /* folder for the guest's reports, or NULL (standard output) */
    const char *stats_path;  /* --stats file (EMU_CALL_STATS_DUMP writes it), or NULL */
    int kernel_tests;        /* run the kernel's test table */
    int verbose;             /* the kernel log goes to standard error */
} emu_fs_opts_t;

/* Boot the guest kernel (full-system mode). Returns 0 or an exit status with a message in err. */
int emu_boot(emu_t *m, const emu_fs_opts_t *o, char *err, size_t errlen);

/* What the guest kernel last said about a frame through its mm annotations (guest/abi.h,
 * enum emu_frame_state; 0 = unknown, and always 0 in SE mode). */
void emu_frame_state(emu_t *m, uint64_t pfn, int *state, int *aux, uint64_t *owner);

/* Run until the program ends or max_insns instructions retired (0: no limit). */
void emu_run(emu_t *m, uint64_t max_insns, emu_result_t *res);

counters_t *emu_counters(emu_t *m);

/* Print the machine cfg describes, as `numactl --hardware` does (nodes, CPUs, sizes, distances),
 * followed by the CPU and paging. */
void emu_print_info(const config_t *cfg, FILE *f);

/* Print every counter name (per-CPU ones as cpuN.name) with its description. */
void emu_list_counters(FILE *f);

/* Print the exit summary (instructions, faults, host time) to f. */
void emu_print_summary(emu_t *m, double host_seconds, FILE *f);

#endif
