/* dram: the machine's physical memory.
 *
 * Physical memory is split into NUMA nodes, each a contiguous range of physical addresses, with
 * holes allowed between them. All of it is backed by one host reservation made with MAP_NORESERVE,
 * so memory the guest never touches costs the host nothing. The second half of this header is the
 * timing side (dram/ctrl.c): the NUMA topology and a DRAM controller per node (banks, rows, refresh,
 * queues); the functional store does not depend on it.
 */
#ifndef DRAM_DRAM_H
#define DRAM_DRAM_H

#include <stddef.h>
#include <stdint.h>

#define DRAM_MAX_NODES 64

typedef struct dram dram_t;

typedef struct dram_node_cfg {
    uint64_t base_pa; /* first physical address of the node */
    uint64_t size;    /* bytes, a multiple of 4 KiB */
} dram_node_cfg_t;

typedef struct dram_cfg {
    int nr_nodes;
    dram_node_cfg_t nodes[DRAM_MAX_NODES];
} dram_cfg_t;

/* Create physical memory for the given nodes. Nodes must be sorted, page aligned and not overlap.
 * Returns NULL and writes a message into err (errlen bytes) on failure. */
dram_t *dram_new(const dram_cfg_t *cfg, char *err, size_t errlen);
void dram_free(dram_t *d);

/* One past the highest physical address backed by any node. */
uint64_t dram_end(const dram_t *d);
int dram_nr_nodes(const dram_t *d);
uint64_t dram_node_base(const dram_t *d, int node);
uint64_t dram_node_size(const dram_t *d, int node);

/* The node holding pa, or -1 for a hole or an address beyond memory. */
int dram_node_of(const dram_t *d, uint64_t pa);

/* Host pointer for physical address pa, valid for the rest of its 4 KiB frame (and beyond, up to the
 * end of the node). NULL for a hole or an address beyond memory. */
uint8_t *dram_host(const dram_t *d, uint64_t pa);

/* Host address of physical address 0: host = base + pa for every pa inside a node (the hot path
 * uses it to turn host pointers back into physical addresses). */
uint8_t *dram_base(const dram_t *d);

/* Bulk copies; return 0 on success, -1 if any byte lies outside RAM. */
int dram_read(const dram_t *d, uint64_t pa, void *buf, size_t n);
int dram_write(dram_t *d, uint64_t pa, const void *buf, size_t n);

/* Give a frame's host memory back to the host (it reads as zeroes afterwards). */
void dram_discard(dram_t *d, uint64_t pa, uint64_t len);

/* ============================================================================================== *
 * DRAM timing: NUMA topology and one DRAM controller per node (dram/ctrl.c, docs/DRAM.md).        *
 *                                                                                                  *
 * Nothing above this line depends on it: the functional store works without any controller. The   *
 * controller models time only; it never reads or writes memory contents.                          *
 * ============================================================================================== */

#define DRAM_MAX_SOCKETS 16

/* The machine's NUMA topology, in the vocabulary of QEMU's `-numa dist` (the SLIT) and `-numa
 * hmat-lb` (latency and bandwidth from an initiator, here a socket, to a memory node).
 * distance[a][b] is the ACPI SLIT entry: 10 is local, 20 twice as far; it is what the guest sees and
 * uses for its decisions, and never enters timing. latency_ns[s][n] is the extra latency a request
 * from socket s pays to reach node n on top of the controller's own (0 for the local node); the
 * hmat-lb access latency of the pair is therefore the local idle latency plus this number.
 * bandwidth_mbs[s][n] limits the traffic of the pair (the inter-socket link), in MB/s (10^6 bytes);
 * 0 means unlimited. A plain value type: fill it, then validate with dram_topo_check(). */
typedef struct dram_topo {
    int nr_sockets;
    int nr_nodes;
    int node_socket[DRAM_MAX_NODES];                        /* socket that holds node n's controller */
    uint8_t distance[DRAM_MAX_NODES][DRAM_MAX_NODES];       /* SLIT, node to node, 10 = local */
    double latency_ns[DRAM_MAX_SOCKETS][DRAM_MAX_NODES];    /* extra latency, socket to node */
    double bandwidth_mbs[DRAM_MAX_SOCKETS][DRAM_MAX_NODES]; /* link limit, socket to node; 0 = none */
} dram_topo_t;

/* Fill t with a uniform machine: nr_sockets sockets of nodes_per_socket nodes each (node n on socket
 * n / nodes_per_socket), distance 10 on the diagonal, 11 between nodes of one socket, remote_distance
 * between sockets; latency remote_latency_ns between sockets and 0 within one; no bandwidth limits. */
void dram_topo_init(dram_topo_t *t, int nr_sockets, int nodes_per_socket, int remote_distance,
                    double remote_latency_ns);

/* 0 if t is consistent (counts in range, distance[i][i] == 10, other distances 11..254, each node on
 * a socket, latencies and bandwidths finite and >= 0); otherwise -1 and a message in err. */
int dram_topo_check(const dram_topo_t *t, char *err, size_t errlen);

/* SLIT distance from socket s to node n: the distance from the first node of socket s (10 if n is
 * on s and s has no node of its own). */
int dram_topo_socket_distance(const dram_topo_t *t, int s, int n);

enum dram_page_policy {
    DRAM_OPEN_PAGE,   /* the row stays open after an access (row hits possible) */
    DRAM_CLOSED_PAGE, /* every access ends with a precharge (auto-precharge) */
};

/* Configuration of one node's controller. Timing parameters are in DRAM clock cycles (tCK =
 * 2000 / data_rate_mts ns), as in JEDEC tables; latencies are returned in CPU cycles of cpu_mhz.
 * Fill it with dram_ctrl_cfg_preset() and change what differs. */
typedef struct dram_ctrl_cfg {
    uint32_t cpu_mhz;         /* CPU clock, MHz: the unit of now_cycles and of returned latencies */
    uint32_t data_rate_mts;   /* transfers per second, millions (DDR4-2666: 2666; clock = half) */
    uint32_t bus_bytes;       /* data width of a channel: 8 (DDR4), 4 (a DDR5 sub-channel) */
    uint32_t burst_length;    /* BL8 (DDR4), BL16 (DDR5); burst_length * bus_bytes must be 64 */
    uint32_t channels;        /* any count >= 1 (6 on Skylake-SP; not only powers of two) */
    uint32_t ranks;           /* ranks per channel, >= 1 */
    uint32_t bank_groups;     /* bank groups per rank, >= 1 */
    uint32_t banks_per_group; /* banks per bank group, >= 1 */
    uint32_t row_bytes;       /* row (page) of one rank across its chips, a power of two >= 64 */
    char mapping[96];         /* address mapping: a scheme name or a field string (docs/DRAM.md) */
    int bank_xor;             /* 1: XOR the row, folded to log2(bank_groups x banks_per_group) bits,
                                 into bank group (low bits) and bank (permutation-based interleaving:
                                 equal offsets in different rows spread over the banks); needs
                                 power-of-two bank groups and banks */
    enum dram_page_policy page_policy;
    uint32_t tCL;    /* read: CAS to first data */
    uint32_t tCWL;   /* write: CAS to first data */
    uint32_t tRCD;   /* ACT to CAS */
    uint32_t tRP;    /* PRE to ACT */
    uint32_t tRAS;   /* ACT to PRE, minimum */
    uint32_t tRTP;   /* read CAS to PRE */
    uint32_t tWR;    /* end of write data to PRE */
    uint32_t tCCD_S; /* CAS to CAS, different bank group (>= the burst, burst_length / 2) */
    uint32_t tCCD_L; /* CAS to CAS, same bank group */
    uint32_t tRFC;   /* refresh: the rank is busy this long ... */
    uint32_t tREFI;  /* ... every tREFI (0: no refresh) */
    double frontend_ns;       /* fixed controller/uncore latency added to every request */
    uint64_t base_pa;         /* first physical address of the node: mapping uses pa - base_pa */
    uint32_t bank_history;    /* reservations kept per bank for out-of-order arrival (>= 1) */
    uint32_t calendar_slots;  /* busy intervals kept per bus / bank group / link calendar (>= 2) */
    uint32_t window_cycles;   /* out-of-order window: calendar history older than this many CPU
                                 cycles before the newest request may be forgotten first */
} dram_ctrl_cfg_t;

/* Fill cfg with a named preset: "ddr4-2666" (Skylake-SP socket: 6 channels, 2 ranks, 4x4 banks,
 * 8 KiB rows, 19-19-19) or "ddr5-4800" (8 DIMM channels as 16 32-bit sub-channels, 1 rank, 8x4
 * banks, 4 KiB rows, 40-39-39); cpu_mhz 2400, open page, mapping "256b". Sources in docs/DRAM.md.
 * Returns 0, or -1 for an unknown name (cfg untouched). */
int dram_ctrl_cfg_preset(dram_ctrl_cfg_t *cfg, const char *name);

/* What a request found at its bank. */
enum dram_outcome {
    DRAM_ROW_HIT,      /* its row was open: CAS only */
    DRAM_ROW_MISS,     /* the bank was closed (idle, closed page, after refresh): ACT + CAS */
    DRAM_ROW_CONFLICT, /* another row was open: PRE + ACT + CAS */
};

/* Where an address lives: the decoded mapping. */
typedef struct dram_coord {
    uint64_t row;
    uint32_t channel, rank, bank_group, bank; /* bank within its group */
    uint32_t column;                          /* 64-byte burst within the row */
    uint32_t pad;                             /* zero */
} dram_coord_t;

/* Everything about one served request (for tests, traces and the visualizer). */
typedef struct dram_access {
    uint32_t latency;          /* CPU cycles from now_cycles to the last byte: the return value */
    enum dram_outcome outcome;
    dram_coord_t where;
    int remote;                /* src_socket is not the node's socket */
    int refresh_stall;         /* the first command waited for a refresh to end */
    uint32_t queue_cycles;     /* latency beyond the unloaded latency of the outcome and refresh */
    uint64_t done_cycles;      /* now_cycles + latency */
} dram_access_t;

/* Counters of one controller: X(field, "json suffix", "description"). Registered by the caller as
 * "nodeN.<suffix>" (nodeN.dram.reads, ...). */
#define DRAM_CTRL_COUNTERS(X)                                                                      \
    X(reads, "dram.reads", "Read requests (64-byte bursts) served by the node's controller")       \
    X(writes, "dram.writes", "Write requests (64-byte bursts) served by the node's controller")    \
    X(row_hits, "dram.row_hits", "Requests that found their row open")                            \
    X(row_misses, "dram.row_misses", "Requests that found their bank closed (ACT + CAS)")         \
    X(row_conflicts, "dram.row_conflicts", "Requests that found another row open (PRE+ACT+CAS)")  \
    X(refresh_stalls, "dram.refresh_stalls", "Requests whose first command waited for a refresh") \
    X(refresh_cycles, "dram.refresh_cycles", "CPU cycles requests waited for refreshes")           \
    X(queue_cycles, "dram.queue_cycles", "CPU cycles requests waited for busy banks and buses")   \
    X(latency_cycles, "dram.latency_cycles", "Sum of request latencies, CPU cycles")              \
    X(bytes, "dram.bytes", "Bytes transferred (64 per request)")                                  \
    X(restores, "dram.restores", "Late requests slotted before an answered one that had to restore "  \
                                 "its row (a model artifact of out-of-order arrival, docs/DRAM.md)")  \
    X(local_accesses, "dram.local_accesses", "Requests from the node's own socket")               \
    X(remote_accesses, "dram.remote_accesses", "Requests from other sockets")                     \
    X(local_latency_cycles, "dram.local_latency_cycles", "Sum of latencies of local requests")    \
    X(remote_latency_cycles, "dram.remote_latency_cycles", "Sum of latencies of remote requests")

typedef struct dram_ctrl_stats {
#define X(f, name, desc) uint64_t f;
    DRAM_CTRL_COUNTERS(X)
#undef X
} dram_ctrl_stats_t;

typedef struct dram_ctrl dram_ctrl_t;

/* Build the controller of node `node` of topology topo (NULL: one socket, one node, node 0, all
 * local). NULL with a message in err on a bad configuration (zero counts, bad mapping string,
 * burst not 64 bytes, tCCD_S shorter than the burst, node or socket out of range...). */
dram_ctrl_t *dram_ctrl_new(const dram_ctrl_cfg_t *cfg, const dram_topo_t *topo, int node, char *err,
                           size_t errlen);
void dram_ctrl_free(dram_ctrl_t *c);

/* Serve one 64-byte request for physical address pa, issued at CPU cycle now_cycles by a CPU of
 * socket src_socket (0..nr_sockets-1). Returns the latency in CPU cycles until the last byte is
 * delivered (written, for a write) and fills *out if out is not NULL. Requests may arrive in any
 * time order; the guarantees are in docs/DRAM.md ("Order of arrival"). Counters are bumped. */
uint32_t dram_ctrl_access(dram_ctrl_t *c, uint64_t pa, int is_write, uint64_t now_cycles, int src_socket,
                          dram_access_t *out);

/* Decode pa (relative to base_pa) with the controller's address mapping. */
void dram_ctrl_decode(const dram_ctrl_t *c, uint64_t pa, dram_coord_t *out);

/* Unloaded latency (CPU cycles, rounded up) of a read with the given outcome from socket
 * src_socket: what dram_ctrl_access returns when nothing else is in flight and no refresh is due. */
uint32_t dram_ctrl_idle_latency(const dram_ctrl_t *c, enum dram_outcome outcome, int src_socket);

/* Peak data bandwidth of the controller in bytes per CPU cycle: channels x data rate x bus width. */
double dram_ctrl_peak_bytes_per_cycle(const dram_ctrl_t *c);

/* The counters (live; valid until dram_ctrl_free) and a reset to zero (the timing state stays). */
const dram_ctrl_stats_t *dram_ctrl_stats(const dram_ctrl_t *c);
void dram_ctrl_reset_stats(dram_ctrl_t *c);

/* Invariant checker: calendars sorted, disjoint and within capacity; bank reservations ordered and
 * each consistent with the state its predecessor leaves; counters agree with each other. 0 if all
 * hold, otherwise -1 and the first violation in err. */
int dram_ctrl_check(const dram_ctrl_t *c, char *err, size_t errlen);

#endif
