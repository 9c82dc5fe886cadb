/* machine: what the modules of emu/ share about the machine being run. Private to emu/. */
#ifndef EMU_MACHINE_H
#define EMU_MACHINE_H

#include <stdarg.h>
#include <stdint.h>

#include "dram/dram.h"
#include "emu/config.h"
#include "emu/counters.h"
#include "emu/cpu.h"
#include "emu/emu.h"

struct se_proc;
struct fs;

/* Port I/O (IN, OUT, INS, OUTS at CPL 0; emu/exec_priv.c). The devices install io_in and io_out;
 * without them a read returns all ones and a write is dropped, and io_unclaimed counts both.
 * size is 1, 2 or 4 bytes; a hook may end the run (stop) or the quantum (c->yield): IN and OUT end
 * their block. */
typedef uint32_t (*machine_io_in_fn)(void *arg, cpu_t *c, uint16_t port, int size);
typedef void (*machine_io_out_fn)(void *arg, cpu_t *c, uint16_t port, int size, uint32_t val);

/* Machine-wide counters, registered as "sim.<name>". Sums over CPUs are derived counters. */
#define SIM_COUNTERS(X)                                                                          \
    X(exit_code, "Exit status of the run (as `emu run` returns it)")                             \
    X(roi_begins, "Region-of-interest begin markers executed (EMU_ROI_BEGIN)")                  \
    X(roi_ends, "Region-of-interest end markers executed (EMU_ROI_END)")

struct machine {
    config_t cfg;
    enum emu_mode mode;
    dram_t *dram;
    counters_t *ctrs;
    int nr_cpus;
    cpu_t **cpus;

    /* One bit per 4 KiB frame: the frame holds code that has been decoded. The store slow path
     * checks it and flushes decoded code (self-modifying code). */
    uint8_t *code_bits;
    uint64_t nr_frames;

    /* SE mode: the one process and its emulated kernel services (emu/se*.c). */
    struct se_proc *se;
    /* Full-system mode: the clock, the boot state and the devices (emu/fs.h); NULL in SE mode. */
    struct fs *fs;

    /* The CPU running now (failure reports name it). */
    cpu_t *cur_cpu;

    /* --record: the trace being written (emu/record.c), NULL otherwise. */
    struct trace_writer *rec;

    /* Set by whatever ends the run. */
    int stop;
    emu_result_t result;

    /* --trace-insn: ring of recent instruction addresses. */
    uint64_t *trace_ring;
    int trace_n, trace_pos;
    uint64_t trace_count;

    /* Timing (emu/machine.c, emu_run): the mode asked for, the fast-forward plan and where it is. */
    int timing_mode;          /* EMU_TIMING_* asked for the measured part */
    uint64_t ff_insns;        /* --fast-forward=N: functional for N instructions */
    int ff_roi;               /* --fast-forward=roi: functional until EMU_ROI_BEGIN */
    int timed;                /* the switch to timing has happened (or there was no fast-forward) */
    int frozen;               /* counters frozen at EMU_ROI_END */
    int marker;               /* the marker code a CPU just executed, 0 if none */
    uint64_t run_insns;       /* instructions retired by emu_run, fast-forward included */
    uint8_t class_cycles[8];  /* base cycles per instruction class (emu/timing.h) */

    /* --timing=full: the caches and DRAM controllers (emu/memsys.h); NULL otherwise. */
    struct memsys *mem;

    /* Port I/O hooks (see machine_io_in_fn), NULL until a device model installs them. */
    machine_io_in_fn io_in;
    machine_io_out_fn io_out;
    void *io_arg;
    uint64_t io_unclaimed;    /* port accesses nothing claimed (reads gave all ones) */

    /* The observer (emu_set_observer, emu/snapshot.c): called between chunks once run_insns reaches
     * obs_next. Frame heat: one counter per frame bumped by every translation-cache fill, and one bit
     * per 2 MiB of frames saying some counter there is non-zero; NULL while no snapshot exists. */
    emu_observer_fn obs_fn;
    void *obs_arg;
    uint64_t obs_every, obs_next;
    uint32_t *heat;
    uint64_t *heat_touched;
    uint8_t *heat_base;       /* dram_base() */

    struct {
#define X(name, desc) uint64_t name;
        SIM_COUNTERS(X)
#undef X
    } st;
};

typedef struct machine machine_t;

/* Print an "emu: ..." line to stderr. */
void emu_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End the run: the program exited with code, or was killed by signal sig. */
void machine_exit(machine_t *m, int code);
void machine_kill(machine_t *m, int sig);
/* End the run with an emulator error (status 125) after printing msg. */
void machine_fail(machine_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Act on a region-of-interest marker (1 begin, 2 end): counts it, and with --fast-forward=roi starts
 * or stops the measured part. */
void machine_marker(machine_t *m, int code);
/* The fast-forward has ended: switch every CPU to the measured timing mode, reset the counters. */
void machine_start_measuring(machine_t *m);

/* The observer: the size of the next chunk of a run that has done `done` instructions (chunk 0: no
 * limit), and the call itself (emu/snapshot.c). */
static inline uint64_t machine_obs_chunk(const machine_t *m, uint64_t done, uint64_t chunk)
{
    uint64_t left = m->obs_next > done ? m->obs_next - done : 1;
    return !chunk || left < chunk ? left : chunk;
}
void machine_observe(machine_t *m);
void machine_heat_free(machine_t *m);
/* A translation-cache fill of the frame holding host address h (heat on). */
static inline void machine_heat(machine_t *m, const uint8_t *h)
{
    uint64_t f = (uint64_t)(h - m->heat_base) >> 12;
    if (f < m->nr_frames) {
        m->heat[f]++;
        m->heat_touched[f >> 15] |= 1ull << ((f >> 9) & 63);
    }
}

/* Frame code bits. */
static inline int machine_frame_has_code(const machine_t *m, uint64_t pa)
{
    uint64_t f = pa >> 12;
    return f < m->nr_frames && (m->code_bits[f >> 3] >> (f & 7)) & 1;
}
void machine_mark_code(machine_t *m, uint64_t pa);
/* A write to a frame holding code: drop decoded code everywhere. */
void machine_code_written(machine_t *m, uint64_t pa);

/* Print the last instructions of c to stderr, disassembled: the --trace-insn ring if enabled,
 * else the instructions of the last blocks c entered (up to its current instruction). */
void machine_dump_trace(machine_t *m, cpu_t *c);
/* Disassemble one instruction at va of c's address space into buf ("<unreadable>" on failure). */
void machine_disasm(cpu_t *c, uint64_t va, char *buf, size_t len);

#endif
