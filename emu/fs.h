/* fs: full-system mode. The machine boots the guest kernel (guest/) on S x C CPUs and runs them in
 * deterministic round-robin quanta on one virtual clock; the devices of guest/abi.h serve it.
 * Private to emu/. docs/BOOT.md and docs/DEVICES.md describe what the guest sees.
 *
 *   emu/fs.c       boot (kernel ELF, initrd, boot information, boot page table), the clock and the
 *                  round-robin loop, the start-up mailboxes, port I/O, the calls, console, reports
 *   emu/apic.c     the local interrupt controller: timer, IPIs, EOI (x2APIC MSR numbers)
 *   emu/annot.c    the mm-annotation rings and the frame-state table they feed
 *   emu/blockdev.c the block device
 */
#ifndef EMU_FS_H
#define EMU_FS_H

#include <stdint.h>
#include <stdio.h>

#include "emu/machine.h"
#include "guest/abi.h"

/* Machine-wide counters of full-system mode, registered as "fs.<name>". */
#define FS_COUNTERS(X)                                                                            \
    X(clock, "Virtual clock: ticks (instructions of the round-robin schedule) since boot")        \
    X(rounds, "Round-robin rounds run (each gives every started CPU up to one quantum)")           \
    X(clock_jumps, "Times every CPU was halted and the clock jumped to the next event")          \
    X(cpus_started, "CPUs started through their mailbox (the boot CPU not included)")             \
    X(ipis_dropped, "IPIs sent to a CPU that had not started")                                    \
    X(io_unclaimed, "Port accesses no device claimed (reads gave all ones)")                       \
    X(calls, "Simulation-control calls made by the guest")                                         \
    X(klog_bytes, "Bytes written to the kernel log channel")                                       \
    X(reports, "Reports the guest printed (EMU_CALL_REPORT)")                                      \
    X(markers, "Trace markers the guest wrote (EMU_CALL_MARKER)")                                  \
    X(tests_passed, "Kernel tests passed (--kernel-tests)")                                         \
    X(tests_failed, "Kernel tests failed")                                                         \
    X(tests_skipped, "Kernel tests skipped")

/* Annotation counters ("fs.annot.<name>") and frames per state ("fs.frames.<state>"). */
#define ANNOT_COUNTERS(X)                                                                          \
    X(entries, "Annotations drained from the guest's rings")                                        \
    X(bad, "Annotations ignored: unknown state or frames outside RAM")                              \
    X(dropped, "Annotations the guest reported dropping (its ring was full)")

/* Block-device counters ("blk.<name>"). */
#define BLK_COUNTERS(X)                                                                            \
    X(reads, "Block read requests completed")                                                       \
    X(writes, "Block write requests completed")                                                     \
    X(sectors_read, "512-byte sectors read")                                                        \
    X(sectors_written, "512-byte sectors written")                                                  \
    X(errors, "Requests that completed with EMU_BLK_ERROR (beyond the disk, bad buffer)")          \
    X(busy_ticks, "Virtual-clock ticks the device spent transferring")

typedef struct annot annot_t;
typedef struct blkdev blkdev_t;

/* Per-CPU full-system state beside cpu_t. */
typedef struct fs_cpu {
    int started;              /* running (boot CPU) or woken through its mailbox */
    uint64_t run_start;       /* c->st.instructions when its current turn began */
    uint64_t ran;             /* instructions it retired in the current round (after its turn) */
    int done;                 /* its turn in the current round is over */
    int in_turn;              /* cpu_run is running it now */
    uint32_t call_hi;         /* EMU_PORT_CALL_HI as written */
    uint64_t idle_total;      /* virtual ticks halted or yielded since boot (never reset: the TSC) */
} fs_cpu_t;

typedef struct fs {
    machine_t *m;
    emu_fs_opts_t opts;
    uint64_t quantum;
    uint64_t clock_hz;
    int timer_cycles;         /* machine.timer_clock = cycles */

    /* The clock: `now` is the virtual time at the start of the current round; the round lasts
     * `slice` ticks. */
    uint64_t now, slice;
    fs_cpu_t *cpu;

    /* Boot. */
    uint64_t boot_info_pa, mailbox_pa, cmdline_pa, pt_start, pt_end, pt_root;
    uint64_t kernel_start, kernel_end, entry, initrd_pa, initrd_size;

    /* Console and reports. */
    FILE *klog;               /* --kernel-log file, or NULL */
    int klog_stderr;          /* -v */
    char klog_tail[8192];     /* the end of the kernel log, for failure reports */
    size_t klog_pos;
    int klog_wrapped;
    int klog_bol;             /* the next kernel-log byte starts a line (for the "[klog]" prefix) */
    int tests_seen;           /* KTAP header printed */
    int pending_stats_reset;  /* STATS_RESET, ROI begin/end: done by the loop between turns */

    /* The last version of each report the guest made, in order of first appearance. */
    struct fs_report {
        char *name, *text;
        size_t len;
    } *reports;
    int nr_reports;

    annot_t *annot;
    blkdev_t *blk;
    double host_t0;

    struct {
#define X(name, desc) uint64_t name;
        FS_COUNTERS(X)
#undef X
    } st;
} fs_t;

/* ---- emu/fs.c --------------------------------------------------------------------------------- */

/* Load the kernel and initrd, build the boot information and page table, and prepare CPU 0.
 * Returns 0 or an exit status with a message in err. */
int fs_boot(machine_t *m, const emu_fs_opts_t *o, char *err, size_t errlen);
/* Run the machine until the guest exits, fails, or max_insns instructions retired (0: no limit). */
void fs_run(machine_t *m, uint64_t max_insns);
void fs_free(machine_t *m);
/* The virtual time of CPU c now (inside or outside its turn). */
uint64_t fs_cpu_clock(machine_t *m, cpu_t *c);
/* The print of the end of the kernel log (failure reports). */
void fs_dump_klog_tail(machine_t *m, int lines);

/* ---- emu/apic.c ------------------------------------------------------------------------------- */

/* RDMSR / WRMSR of 0x800-0x8ff: 0, or -1 where the instruction raises #GP. */
int apic_rdmsr(cpu_t *c, uint32_t msr, uint64_t *v);
int apic_wrmsr(cpu_t *c, uint32_t msr, uint64_t v);
/* Reset the controller of c (at boot and at start-up through the mailbox). */
void apic_reset(cpu_t *c);
/* The virtual time at which c's timer fires next, or UINT64_MAX (a TSC-clocked timer is checked
 * between turns and never bounds the slice). */
uint64_t apic_next_event(cpu_t *c);
/* Fire c's timer if it is due at virtual time now (requests its vector). */
void apic_tick(cpu_t *c, uint64_t now);

/* ---- emu/annot.c ------------------------------------------------------------------------------ */

annot_t *annot_new(machine_t *m);
void annot_free(annot_t *a);
/* EMU_CALL_ANNOT_RING and EMU_CALL_ANNOT_NAME: the call's ret value. */
int annot_set_ring(annot_t *a, int cpu, uint64_t pa, uint64_t nr_entries);
int annot_set_name(annot_t *a, uint64_t id, uint32_t kind, const char *name);
/* Consume every ring up to its head (between quanta, and at the end of the run). */
void annot_drain(annot_t *a);
/* What the guest last said about frame pfn (EMU_FRAME_UNKNOWN if nothing). */
void annot_frame(const annot_t *a, uint64_t pfn, int *state, int *aux, uint64_t *owner);
/* The name of owner id, or NULL. */
const char *annot_owner_name(const annot_t *a, uint64_t id);
/* Owner names in the order they were first given: the k-th (NULL past the end), its id and kind. */
const char *annot_name_at(const annot_t *a, int k, uint64_t *id, uint32_t *kind);
/* EMU_CALL_ZONE_INFO: copy the guest's zone list (nr entries at pa); 0 or EMU_EINVAL. */
int annot_set_zones(annot_t *a, uint64_t pa, uint64_t nr);
/* The zone list the guest gave (NULL, *nr = 0: none yet). */
const struct emu_zone_info *annot_zones(const annot_t *a, int *nr);
void annot_register_counters(annot_t *a, counters_t *ctrs);
/* Print the names and descriptions of the annotation counters (emu help stats). */
void annot_list_counters(FILE *f);

/* ---- emu/blockdev.c --------------------------------------------------------------------------- */

/* A block device backed by the host file at path (opened read-write). NULL with a message. */
blkdev_t *blk_new(machine_t *m, const char *path, char *err, size_t errlen);
void blk_free(blkdev_t *b);
uint64_t blk_sectors(const blkdev_t *b);
/* EMU_CALL_BLK_SETUP / EMU_CALL_BLK_SUBMIT from cpu c at virtual time now: the call's ret. */
int blk_setup(blkdev_t *b, uint64_t vector, uint64_t cpu);
int blk_submit(blkdev_t *b, uint64_t req_pa, uint64_t now);
/* The virtual time of the next completion, or UINT64_MAX. */
uint64_t blk_next_event(const blkdev_t *b);
/* Complete every request due by virtual time now (DMA, status, interrupt). */
void blk_advance(blkdev_t *b, uint64_t now);
void blk_register_counters(blkdev_t *b, counters_t *ctrs);

#endif
