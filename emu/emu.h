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
enum { EMU_TIMING_OFF = 0, EMU_TIMING_TLB = 1, EMU_TIMING_FULL = 2 };

/* Choose the timing mode of the measured part of the run, and where the measured part starts:
 * after ff_insns instructions (0: at once), or, with ff_roi, at the first EMU_ROI_BEGIN marker
 * (the counters are then frozen at the following EMU_ROI_END). Before the start the run is
 * functional; at the start every counter is reset. */
/* EMU_TIMING_FULL builds the caches and DRAM controllers here: returns 0, or -1 after printing an
 * "emu:" line naming the bad configuration keys. */
int emu_set_timing(emu_t *m, int mode, uint64_t ff_insns, int ff_roi);

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
    const char *stats_dir;   /* --stats-dir: the guest's reports are also written there at the end */
    int report_at_end;       /* --report: print the last version of each report when the run ends,
                                instead of each one as the guest makes it */
    int kernel_tests;        /* run the kernel's test table */
    int verbose;             /* the kernel log goes to standard error */
} emu_fs_opts_t;

/* Boot the guest kernel (full-system mode). Returns 0 or an exit status with a message in err. */
int emu_boot(emu_t *m, const emu_fs_opts_t *o, char *err, size_t errlen);

/* What the guest kernel last said about a frame through its mm annotations (guest/abi.h,
 * enum emu_frame_state; 0 = unknown, and always 0 in SE mode). */
void emu_frame_state(emu_t *m, uint64_t pfn, int *state, int *aux, uint64_t *owner);

/* Record the run into the trace file path (emu/record.c, docs/TRACE.md): call after emu_set_timing
 * (timing must be on) and before emu_load, and emu_record_finish after emu_run. 0, or -1 with err. */
int emu_record_start(emu_t *m, const char *path, char *err, size_t errlen);
int emu_record_finish(emu_t *m, char *err, size_t errlen);

/* Replay the trace at path on m's CPU 0 (emu/replay.c, docs/TRACE.md): every access through the
 * modelled TLBs, walker and, with full timing, caches and DRAM; at most max_records records (0: all).
 * Returns 0 with *res filled, or an exit status with a message in err. */
int emu_replay(emu_t *m, const char *path, uint64_t max_records, char *err, size_t errlen, emu_result_t *res);

/* Run until the program ends or max_insns instructions retired (0: no limit). */
void emu_run(emu_t *m, uint64_t max_insns, emu_result_t *res);

counters_t *emu_counters(emu_t *m);

/* Print the machine cfg describes, as `numactl --hardware` does (nodes, CPUs, sizes, distances),
 * followed by the CPU and paging. */
void emu_print_info(const config_t *cfg, FILE *f);
/* The topology emu info prints: CPU n is core n % cores_per_socket of socket n / cores_per_socket,
 * and a socket's cores are spread over its nodes in order (sub-NUMA clustering). */
int emu_cpu_socket(const config_t *cfg, int cpu);
int emu_cpu_node(const config_t *cfg, int cpu);

/* Print every counter name (per-CPU ones as cpuN.name) with its description. */
void emu_list_counters(FILE *f);

/* Print the exit summary (instructions, faults, host time) to f. */
void emu_print_summary(emu_t *m, double host_seconds, FILE *f);

/* ---- observing a run (the visualizer; docs/UI.md) --------------------------------------------------
 * An observer is called between chunks of the run (SE: between calls of the run loop; FS: between
 * rounds of quanta), never inside one, once at least `every` instructions have retired since its last
 * call. It returns the number of instructions to run before its next call (0: `every` again). Without
 * an observer the run pays one predictable branch per chunk. The observer may end the run (emu_stop). */
typedef uint64_t (*emu_observer_fn)(emu_t *m, void *arg);
void emu_set_observer(emu_t *m, emu_observer_fn fn, void *arg, uint64_t every);
/* End the run at the next chunk boundary, as an instruction limit does (EMU_LIMIT, status 124). */
void emu_stop(emu_t *m);
/* Instructions retired by emu_run so far (fast-forward included). */
uint64_t emu_run_insns(const emu_t *m);
enum emu_mode emu_get_mode(const emu_t *m);

/* ---- snapshots (emu/snapshot.c) ---------------------------------------------------------------------
 * A snapshot is a copy of what the visualizer shows, taken between chunks of the run; the UI reads
 * only snapshots, never the live machine. Frame states use the numbering of guest/abi.h (enum
 * emu_frame_state): in full-system mode they are what the guest said (mm annotations); in SE mode
 * the emulator classifies its own frames (free, page table, anonymous or file-backed user data,
 * reserved, other). */
enum emu_snap_state {
    EMU_SNAP_UNKNOWN = 0, EMU_SNAP_FREE, EMU_SNAP_RESERVED, EMU_SNAP_KERNEL, EMU_SNAP_MEMMAP, EMU_SNAP_SLAB,
    EMU_SNAP_PAGE_TABLE, EMU_SNAP_VMALLOC, EMU_SNAP_ANON, EMU_SNAP_FILE, EMU_SNAP_SWAPCACHE, EMU_SNAP_PCP,
    EMU_SNAP_NR_STATES
};
/* Linux's zones on x86-64: DMA below 16 MiB, DMA32 below 4 GiB, Normal above. */
enum emu_zone { EMU_ZONE_DMA = 0, EMU_ZONE_DMA32, EMU_ZONE_NORMAL, EMU_NR_ZONES };
/* Groups of TLB arrays, one miss-rate line each. */
enum emu_snap_level { EMU_SNAP_L1I = 0, EMU_SNAP_L1D, EMU_SNAP_STLB, EMU_SNAP_PWC, EMU_SNAP_NR_LEVELS };

#define EMU_SNAP_MAX_NODES 16
#define EMU_SNAP_MAX_TLBS 12
#define EMU_SNAP_MAX_ZONES 32
#define EMU_SNAP_MAX_SOCKETS 16
/* Zone types of emu_snap_zone: enum emu_zone, or this one (full-system, kernelcore=). */
#define EMU_ZONE_MOVABLE 3

/* One zone of one node: its free frames now and, in full-system mode once the guest has said them
 * (EMU_CALL_ZONE_INFO, docs/DEVICES.md), its managed pages and watermarks. */
typedef struct emu_snap_zone {
    int node, type;               /* type: EMU_ZONE_DMA, _DMA32, _NORMAL or EMU_ZONE_MOVABLE */
    uint64_t start_pfn, spanned;  /* frames [start_pfn, start_pfn + spanned) of the node */
    uint64_t managed;             /* the guest's managed pages (SE, or not said: frames of RAM) */
    uint64_t free;                /* free frames: FS the buddy allocator's (annotations), SE frame bit clear */
    uint64_t wmark_min, wmark_low, wmark_high; /* pages; 0: unknown (SE, or not said yet) */
} emu_snap_zone_t;

/* An owner id's name (a slab cache, a process). */
typedef struct emu_snap_name {
    uint64_t id;
    uint32_t kind;                /* enum emu_owner_kind of guest/abi.h (1 slab cache, 2 process, 3 file) */
    char name[44];
} emu_snap_name_t;

/* One piece of RAM in the map: one zone of one node, within the view. */
typedef struct emu_snap_seg {
    int node, zone;
    uint64_t pfn_lo, pfn_hi;      /* frames [pfn_lo, pfn_hi) */
    uint32_t first_cell, nr_cells; /* its cells: cells[first_cell .. first_cell + nr_cells) */
} emu_snap_seg_t;

/* frames_per_cell consecutive frames of one segment (the last cell of a segment may hold fewer). */
typedef struct emu_snap_cell {
    uint8_t state;      /* the most common state among its frames (enum emu_snap_state) */
    uint8_t aux;        /* aux of the first frame in that state: buddy order, table level, LRU list */
    uint16_t others;    /* frames of the cell in another state */
    uint32_t heat;      /* translation-cache fills of its frames since the previous snapshot */
    uint64_t owner;     /* owner of the first frame in that state (slab cache, process; 0: none) */
} emu_snap_cell_t;

/* One TLB array or paging-structure cache of one CPU. Counts are since the previous snapshot. */
typedef struct emu_snap_tlb {
    char name[24];              /* "dTLB 4K", "STLB", "PDE cache"... */
    int level;                  /* enum emu_snap_level */
    uint32_t sets, ways;
    uint64_t hits, misses, evictions;
    uint32_t *set_hits, *set_misses, *set_evictions; /* [sets] */
    uint8_t *valid;             /* [sets * ways]: the way holds a translation */
} emu_snap_tlb_t;

typedef struct emu_snap_cpu {
    int nr_tlbs;
    emu_snap_tlb_t tlb[EMU_SNAP_MAX_TLBS];
    /* Totals since the counters were last reset. */
    uint64_t instructions, cycles, page_faults, walks, pte_loads;
    uint64_t level_hits[EMU_SNAP_NR_LEVELS], level_misses[EMU_SNAP_NR_LEVELS];
    uint64_t pte_loads_node[EMU_SNAP_MAX_NODES];
} emu_snap_cpu_t;

typedef struct emu_snapshot {
    uint64_t seq;               /* 1 for the first snapshot taken */
    enum emu_mode mode;
    int timing;                 /* EMU_TIMING_* of the measured part */
    int finished;               /* the run has ended */
    uint64_t run_insns;         /* instructions retired by the run (fast-forward included) */
    uint64_t instructions, cycles, page_faults; /* machine totals (counters: sim.*) */
    /* RAM. */
    int nr_nodes;
    uint64_t node_base[EMU_SNAP_MAX_NODES], node_size[EMU_SNAP_MAX_NODES];
    uint64_t node_frames[EMU_SNAP_MAX_NODES][EMU_SNAP_NR_STATES]; /* frames per node and state (all RAM) */
    uint64_t frames[EMU_SNAP_NR_STATES];                          /* summed over nodes */
    uint64_t heat_total;        /* translation-cache fills since the previous snapshot */
    /* The map: the view [view_lo, view_hi) of frames, cut into segments and cells. */
    uint64_t view_lo, view_hi, frames_per_cell;
    int nr_segs;
    emu_snap_seg_t segs[EMU_SNAP_MAX_NODES * EMU_NR_ZONES];
    uint32_t nr_cells, cap_cells;
    emu_snap_cell_t *cells;
    /* Zones: free frames and watermarks. */
    int nr_zones;
    int has_wmarks;             /* the guest gave its zones and watermarks */
    emu_snap_zone_t zones[EMU_SNAP_MAX_ZONES];
    /* NUMA traffic (--timing=full; nr_sockets 0 otherwise): DRAM requests (LLC misses and
     * write-backs) per socket-to-node pair and their latency sums in cycles, since the counters were
     * reset (dram.socketS.nodeN.*) and since the previous snapshot (_int). A pair is local when the
     * node belongs to the socket (node_socket[node] == socket). */
    int nr_sockets;
    int node_socket[EMU_SNAP_MAX_NODES];
    uint64_t dram_acc[EMU_SNAP_MAX_SOCKETS][EMU_SNAP_MAX_NODES], dram_lat[EMU_SNAP_MAX_SOCKETS][EMU_SNAP_MAX_NODES];
    uint64_t dram_acc_int[EMU_SNAP_MAX_SOCKETS][EMU_SNAP_MAX_NODES];
    uint64_t dram_lat_int[EMU_SNAP_MAX_SOCKETS][EMU_SNAP_MAX_NODES];
    /* Owner names (see emu_snapshot_owner_name). */
    uint32_t nr_names, cap_names;
    emu_snap_name_t *names;
    /* CPUs. */
    int nr_cpus;
    emu_snap_cpu_t *cpus;
    void *priv;                 /* emu/snapshot.c's own state (previous counter values) */
} emu_snapshot_t;

/* A snapshot buffer for m. While one exists the machine counts frame heat (see docs/UI.md: each
 * translation-cache fill adds one to its frame, and taking a snapshot empties the translation caches,
 * so a frame touched in an interval has at least 1); without one, heat costs nothing. */
emu_snapshot_t *emu_snapshot_new(emu_t *m);
void emu_snapshot_free(emu_t *m, emu_snapshot_t *s);
/* Fill s from m: the view [pfn_lo, pfn_hi) (pfn_hi 0: all of RAM) in at most max_cells cells
 * (frames_per_cell is the smallest power of two that fits). Heat and per-set TLB counts are those
 * since the previous call. Returns 0, or -1 when out of host memory. */
int emu_snapshot_take(emu_t *m, emu_snapshot_t *s, uint64_t pfn_lo, uint64_t pfn_hi, uint32_t max_cells);
/* Copy src into dst (a buffer from emu_snapshot_new, or a zeroed emu_snapshot_t to be freed with
 * emu_snapshot_free): everything the UI reads, so another thread can draw dst while the machine
 * runs on. dst's own counter state (its previous values) is kept. Returns 0, or -1 (host memory). */
int emu_snapshot_copy(emu_snapshot_t *dst, const emu_snapshot_t *src);
/* The name of an owner id of a cell (a slab cache, a process: "kmalloc-64", "pid 1 demo"), or NULL. */
const char *emu_snapshot_owner_name(const emu_snapshot_t *s, uint64_t id);
/* Names of states and zones for legends ("free", "page_table"...; "DMA", "DMA32", "Normal", "Movable"). */
const char *emu_snap_state_name(int state);
const char *emu_zone_name(int zone);
/* The zone of a frame. */
int emu_zone_of(uint64_t pfn);

#endif
