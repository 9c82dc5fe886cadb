/* memsys: the memory hierarchy behind the CPUs under --timing=full (docs/TIMING.md, "Full timing").
 * Private to emu/.
 *
 * It wires the cache model (cache/: L1I, L1D, L2 per core, an LLC per socket, MESI) and one DRAM
 * controller per NUMA node (dram/ctrl.c) into the machine: data accesses, instruction fetches (per
 * line, at block entry) and the PTE loads of timed walks go through cache_access with their
 * physical address; an LLC miss goes to the controller of the node owning the line, from the CPU's
 * socket, with that pair's NUMA latency. The cycles are charged to the CPU (cpu_t.mem_cycles).
 * The core's memory-level parallelism (a register scoreboard, MSHRs, a store buffer) and its L2
 * stream prefetcher live here too (memsys.c, "The core"; docs/TIMING.md).
 */
#ifndef EMU_MEMSYS_H
#define EMU_MEMSYS_H

#include <stdio.h>

#include "cache/cache.h"
#include "dram/dram.h"
#include "emu/config.h"

struct machine;
struct cpu;

#define EMU_MAX_CPUS_MEMSYS 256

typedef struct memsys_node_arg {
    struct machine *m;
    int node;
} node_arg_t;

typedef struct memsys {
    dram_t *dram;
    cache_sys_t *caches;
    dram_ctrl_t *ctrl[DRAM_MAX_NODES];
    dram_topo_t topo;
    int nr_nodes;
    int cores_per_socket;   /* of the cache model: 1 in SE mode (one CPU), the machine's otherwise */
    int first_ilevel;       /* index into cache_cfg_t.priv of the first level serving fetches, -1 */
    int first_dlevel;       /* the same for loads and stores (the repeat filter's level), -1 */
    int rep_off;            /* tests: never fill the repeat filters (every access calls cache_access) */
    int last_remote;        /* the last memory read of cache_access went to another socket's node */
    int last_cpu;           /* the only CPU whose repeat filters may be set (-1: none) */
    uint32_t line_shift;
    uint32_t mhz;
    node_arg_t node_args[DRAM_MAX_NODES]; /* arguments of the bandwidth counters */
    int nr_sockets;
    /* DRAM requests (reads and write-backs) per socket-to-node pair and their latency sum, cycles
     * (counters dram.socketS.nodeN.accesses and .latency_cycles; the visualizer's NUMA matrix). */
    uint64_t sn_accesses[DRAM_MAX_SOCKETS][DRAM_MAX_NODES];
    uint64_t sn_latency[DRAM_MAX_SOCKETS][DRAM_MAX_NODES];
    /* The memory system's clock per CPU: its cycles plus time_off[cpu] (see memsys_round_start). */
    uint64_t time_off[EMU_MAX_CPUS_MEMSYS];
} memsys_t;

/* Full system: the CPUs meet at the start of every round of the schedule (emu/fs.c). Each CPU's
 * requests carry the time of its own cycles, but CPUs drift apart (a halted CPU's cycles stand
 * still; one that stalls on memory runs ahead), and the DRAM controllers reserve banks and buses
 * on one time line. So at each round start every CPU's memory clock is set to the furthest one's:
 * within a round, requests of different CPUs fall in the same window of time, as they do on the
 * real machine in that stretch of execution. */
void memsys_round_start(struct machine *m);

/* The NUMA topology of cfg: sockets x nodes_per_socket nodes, the SLIT (numa.slit, or derived from
 * numa.distance_*), the extra latency per socket-to-node pair (numa.latency_ns, or derived from
 * numa.remote_latency_ns scaled by distance) and the remote link bandwidth. 0, or -1 with a
 * message naming the key. Used by the timing model, `emu info` and the full-system boot
 * information. */
int memsys_topology(const config_t *cfg, dram_topo_t *t, char *err, size_t errlen);

/* Build the hierarchy for machine m (its configuration), register its counters and set up every
 * CPU for full timing (repeat filters, PTE-load hooks). 0, or -1 with a message. */
int memsys_init(struct machine *m, char *err, size_t errlen);
void memsys_free(memsys_t *ms);
/* Zero every counter of the caches and controllers (the start of the measured part). */
void memsys_reset_stats(struct machine *m);

/* The slow path of a data access of size bytes at physical address pa (each line it touches goes
 * through the caches and the core's scoreboard); cpu.h's mem_timed() handles the lines the repeat
 * filter names inline. */
void memsys_data(struct cpu *c, uint64_t pa, uint64_t size, int store);
/* Instruction fetch of the bytes [pa, pa + bytes) of a block, one access per line. */
void memsys_fetch(struct cpu *c, uint64_t pa, uint32_t bytes);

/* Free a CPU's core model (cpu_free). */
struct core_model;
void memsys_core_free(struct core_model *k);
/* Tests: change the core of CPU c (cpu.mshrs, cpu.store_buffer, cache.prefetch on or off). */
void memsys_core_set(struct cpu *c, int mshrs, int store_buffer, int prefetch);

/* Summary lines (emu_print_summary): per CPU, then the machine (LLCs, DRAM). */
void memsys_print_cpu(struct machine *m, int cpu, FILE *f);
void memsys_print(struct machine *m, FILE *f);
/* `emu info`: the caches and DRAM of cfg. */
void memsys_print_info(const config_t *cfg, FILE *f);
/* `emu help stats`: the counters of the full model. */
void memsys_list_counters(FILE *f);

#endif
