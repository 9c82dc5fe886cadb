/* cache: set-associative data and instruction caches with MESI coherence (docs/CACHE.md).
 *
 * One cache_sys_t models the caches of a machine of S sockets x C cores:
 *   - private levels per core (typically L1I, L1D, L2), each serving instruction fetches, data
 *     accesses or both, any of them absent;
 *   - an optional last-level cache (LLC) per socket, shared by the socket's cores, inclusive or
 *     non-inclusive of the private levels;
 *   - a directory (snoop filter) per socket recording which of its cores hold each line in a private
 *     level, and a MESI protocol between the cores of all sockets, with a core-to-core latency
 *     matrix for lines that move between caches.
 * Memory below the LLC is reached through a callback (cache_mem_fn): this module includes libc only.
 *
 * Every access names a physical address inside one line; an access that spans two lines is two
 * accesses (the caller splits). cache_access() returns the cycles of the access and, optionally,
 * where it was served. There is no global state: build as many systems as you like.
 */
#ifndef CACHE_CACHE_H
#define CACHE_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Replacement policies; the order matches CACHE_REPL_NAMES (for a config enum). */
enum cache_repl { CACHE_REPL_LRU = 0, CACHE_REPL_PLRU = 1, CACHE_REPL_RANDOM = 2 };
#define CACHE_REPL_NAMES "lru|plru|random"

/* Inclusion policy of the LLC towards the private levels of its socket's cores (docs/CACHE.md):
 * INCLUSIVE: every line held privately is in the LLC; an LLC eviction back-invalidates the private
 *   copies; every line brought into a core is filled into the LLC too.
 * NON_INCLUSIVE (default, as Skylake-SP): lines read from memory are filled into the LLC and the
 *   private levels; lines supplied by another core are not; dirty lines written back by the private
 *   levels are allocated in the LLC; an LLC eviction leaves the private copies alone. */
enum cache_inclusion { CACHE_NON_INCLUSIVE = 0, CACHE_INCLUSIVE = 1 };
#define CACHE_INCLUSION_NAMES "non-inclusive|inclusive"

/* Kinds of access. IFETCH uses the instruction side of the private levels, LOAD and STORE the data
 * side; a STORE needs the line in M state. */
enum cache_kind { CACHE_IFETCH = 0, CACHE_LOAD = 1, CACHE_STORE = 2 };

/* MESI states of a line in one core (cache_state). */
enum cache_mesi { CACHE_I = 0, CACHE_S = 1, CACHE_E = 2, CACHE_M = 3 };

/* Sides a private level serves (cache_level_cfg_t.sides). */
#define CACHE_SIDE_I 1u /* instruction fetches */
#define CACHE_SIDE_D 2u /* loads and stores */

#define CACHE_MAX_PRIVATE 4 /* private levels per core */
#define CACHE_MAX_CORES_PER_SOCKET 64

/* Where an access was served (cache_result_t.src). */
enum cache_src {
    CACHE_SRC_PRIVATE = 0, /* a private level of the core: cache_result_t.level says which */
    CACHE_SRC_LLC = 1,     /* the LLC of the core's socket (or the core's own other-side copy) */
    CACHE_SRC_PEER = 2,    /* another core of the same socket (core-to-core transfer) */
    CACHE_SRC_REMOTE = 3,  /* a cache of another socket: one of its cores or its LLC */
    CACHE_SRC_MEM = 4,     /* memory (the callback) */
};

/* Memory below the LLC. Returns the cycles of a read (is_write 0) of the line at pa for a request
 * of the given socket starting at cycle now; writes are dirty write-backs, whose returned cycles are
 * not charged to any access (write-backs are off the critical path) but let the memory model
 * account its own occupancy. Called with line-aligned pa. */
typedef uint32_t (*cache_mem_fn)(void *arg, int socket, uint64_t pa, int is_write, uint64_t now);

/* One cache level. size 0: absent. */
typedef struct cache_level_cfg {
    char name[8];         /* counter name: "l1i", "l1d", "l2", "llc" */
    uint64_t size;        /* bytes (for the LLC: per socket) */
    uint32_t ways;        /* 1..64; size / (ways * line) sets, any number >= 1 */
    uint32_t line;        /* line size in bytes, a power of two; 0: the system's line_size */
    uint32_t latency;     /* load-to-use cycles of a hit at this level */
    enum cache_repl repl;
    uint64_t seed;        /* random replacement: seed (mixed with the core and level) */
    unsigned sides;       /* private levels: CACHE_SIDE_I and/or CACHE_SIDE_D; ignored for the LLC */
} cache_level_cfg_t;

/* The machine's caches. Build with cache_cfg_default() and adjust. */
typedef struct cache_cfg {
    int sockets;                 /* >= 1 */
    int cores_per_socket;        /* 1..64; CPU n is core n % C of socket n / C */
    uint32_t line_size;          /* bytes, power of two, the same at every level (64) */
    int nprivate;                /* entries used in priv[] (levels with size 0 are skipped) */
    cache_level_cfg_t priv[CACHE_MAX_PRIVATE]; /* from the core outwards: L1I, L1D, L2 */
    cache_level_cfg_t llc;       /* per socket; size 0: no LLC */
    enum cache_inclusion inclusion;
    double cpu_ghz;              /* converts the ns figures below into cycles (rounded) */
    double c2c_local_ns;         /* core-to-core transfer within a socket (load-to-use) */
    double c2c_remote_ns;        /* core-to-core transfer across sockets */
    const double *c2c_ns;        /* optional [ncpu * ncpu] matrix (row: requester, column: holder)
                                    overriding the two figures above; copied by cache_new */
    cache_mem_fn mem;            /* memory callback; NULL: memory costs 0 cycles */
    void *mem_arg;
} cache_cfg_t;

/* Skylake-SP (docs/CACHE.md cites each number): L1I and L1D 32 KiB 8-way, L2 1 MiB 16-way,
 * LLC 1.375 MiB per core 11-way non-inclusive, 64-byte lines, LRU, 2.5 GHz, 18 ns / 85 ns
 * core-to-core. mem is left NULL. */
void cache_cfg_default(cache_cfg_t *cfg, int sockets, int cores_per_socket);
/* Set the replacement policy and seed of every level of cfg. */
void cache_cfg_set_repl(cache_cfg_t *cfg, enum cache_repl repl, uint64_t seed);

/* ---------------------------------------------------------------------------------------------- */
/* Counters. Per level: X(field, "name", "description"); registered as cpuN.<level>.<name> for the
 * private levels and socketS.llc.<name> for the LLC. */
#define CACHE_LEVEL_COUNTERS(X)                                                                    \
    X(hits, "hits", "Lookups that found the line (a store finding it Shared counts as a hit)")    \
    X(misses, "misses", "Lookups that did not find the line")                                     \
    X(fills, "fills", "Lines inserted (by misses, write-backs from above and coherence)")         \
    X(evictions, "evictions", "Valid lines replaced to make room for a fill")                     \
    X(writebacks, "writebacks", "Dirty lines written to the level below (or memory)")             \
    X(invalidations, "invalidations", "Lines removed by coherence (stores of other cores, inclusive back-invalidation)") \
    X(back_invalidations, "back_invalidations", "LLC only: evicted lines whose private copies were invalidated (inclusive)")

typedef struct cache_level_stats {
#define X(f, name, desc) uint64_t f;
    CACHE_LEVEL_COUNTERS(X)
#undef X
} cache_level_stats_t;

/* Coherence and memory traffic caused by one CPU's accesses; registered as cpuN.coh.<name>. */
#define CACHE_COH_COUNTERS(X)                                                                      \
    X(mem_reads, "mem_reads", "Lines read from memory (the memory callback)")                     \
    X(c2c_local, "c2c_local", "Lines supplied by another core of the same socket")                \
    X(c2c_remote, "c2c_remote", "Lines supplied by a cache of another socket (cross-socket transfers)") \
    X(snoops, "snoops", "Other cores' private caches probed because the directory listed them")  \
    X(invalidations, "invalidations", "Copies in other cores or other sockets' LLCs invalidated by this CPU's stores") \
    X(xsocket_invalidations, "xsocket_invalidations", "Of those, copies in another socket")       \
    X(upgrades, "upgrades", "Stores that found the line Shared in this core (S to M)")            \
    X(downgrades, "downgrades", "E or M copies of other cores made Shared by this CPU's reads")  \
    X(snoop_writebacks, "snoop_writebacks", "Of those, Modified copies written back (M to S)")

typedef struct cache_coh_stats {
#define X(f, name, desc) uint64_t f;
    CACHE_COH_COUNTERS(X)
#undef X
} cache_coh_stats_t;

/* ---------------------------------------------------------------------------------------------- */
/* One set-associative array (read-only access for reports, the visualizer and tests). */

typedef struct cache_array cache_array_t;

const char *cache_array_name(const cache_array_t *a);
uint32_t cache_array_sets(const cache_array_t *a);
uint32_t cache_array_ways(const cache_array_t *a);
uint32_t cache_array_latency(const cache_array_t *a);
enum cache_repl cache_array_repl(const cache_array_t *a);
const cache_level_stats_t *cache_array_stats(const cache_array_t *a);
const uint64_t *cache_array_set_hits(const cache_array_t *a);      /* [sets] */
const uint64_t *cache_array_set_misses(const cache_array_t *a);    /* [sets] */
const uint64_t *cache_array_set_evictions(const cache_array_t *a); /* [sets] */
/* Contents of (set, way): returns 1 and the line's physical address, MESI state (LLC lines report
 * CACHE_S) and dirty bit, or 0 for an invalid way. */
int cache_array_line(const cache_array_t *a, uint32_t set, uint32_t way, uint64_t *pa,
                     enum cache_mesi *state, int *dirty);
uint32_t cache_array_valid_lines(const cache_array_t *a);

/* ---------------------------------------------------------------------------------------------- */
/* The system. */

typedef struct cache_sys cache_sys_t;

/* Build the caches of cfg (copied). NULL with a message in err on a bad configuration. */
cache_sys_t *cache_new(const cache_cfg_t *cfg, char *err, size_t errlen);
void cache_free(cache_sys_t *h);

typedef struct cache_result {
    uint32_t cycles;     /* the access's latency (the return value of cache_access) */
    uint32_t mem_cycles; /* of which the memory callback's */
    enum cache_src src;  /* where the line came from */
    int level;           /* CACHE_SRC_PRIVATE: index into cfg.priv[]; otherwise -1 */
    int coherence;       /* 1 if other caches were snooped or invalidated */
} cache_result_t;

/* Access the line holding pa from CPU cpu at cycle now. Looks the line up in the private levels of
 * the kind's side, then the socket's LLC and directory; fills the levels that missed; keeps MESI.
 * Returns the cycles (docs/CACHE.md, "Latency"): a hit's level latency; a miss served by memory
 * costs the latency of the last level looked up plus the callback's cycles; a line supplied by
 * another core (or another socket's LLC) costs the core-to-core latency; a store that must
 * invalidate other copies costs at least the core-to-core latency to the farthest of them. res may
 * be NULL. The hot path (a hit in the first level) allocates nothing. */
uint32_t cache_access(cache_sys_t *h, int cpu, uint64_t pa, enum cache_kind kind, uint64_t now,
                      cache_result_t *res);

/* Repeat hits. If the line of pa is in the first private level of kind's side of cpu with enough
 * permission for kind (any state for a fetch or load; M and dirty for a store), returns that level's latency
 * and points *hits and *set_hits at the level's hit counter and at the hit counter of the line's set;
 * otherwise returns -1. A caller that has just accessed this line (so that it is the most recently
 * used line of its set) may count a repeat of the same access as a hit by bumping both counters and
 * charging the latency, without calling cache_access: a repeat of the MRU line changes no
 * replacement state under any policy, so the model stays exact as long as nothing else touched the
 * caches in between (docs/CACHE.md, "Speed"). */
int cache_repeat_slot(cache_sys_t *h, int cpu, uint64_t pa, enum cache_kind kind, uint64_t **hits,
                      uint64_t **set_hits);

/* Hardware prefetch (the L2 streamer of emu/memsys.c): unless a private level of cpu already holds
 * the line of pa, read it as a load would (LLC, other cores, memory, with the same coherence) and
 * fill it into the data side's private levels below the first one (L2; the first level itself when
 * it is the only one). The private levels' hit and miss counters do not count it (they count demand
 * accesses); the LLC's and cpuN.coh.* do. Returns the cycles until the line is there, 0 if nothing
 * was done. */
uint32_t cache_prefetch(cache_sys_t *h, int cpu, uint64_t pa, uint64_t now, cache_result_t *res);

/* The MESI state of the line holding pa in CPU cpu's private levels (CACHE_I if none holds it). */
enum cache_mesi cache_state(const cache_sys_t *h, int cpu, uint64_t pa);
/* 1 if socket's LLC holds the line of pa (*dirty receives its dirty bit if not NULL). */
int cache_llc_holds(const cache_sys_t *h, int socket, uint64_t pa, int *dirty);
/* The directory's mask of socket's cores (bit = core index in the socket) holding pa's line. */
uint64_t cache_dir_mask(const cache_sys_t *h, int socket, uint64_t pa);

/* Write every dirty line back to memory and invalidate every cache (e.g. before a reconfiguration
 * or for a cold start); counters are kept. */
void cache_flush_all(cache_sys_t *h, uint64_t now);

/* Geometry and arrays: private level i (index into cfg.priv[]) of cpu, NULL when absent; the LLC
 * of socket, NULL when absent. */
int cache_ncpus(const cache_sys_t *h);
int cache_nsockets(const cache_sys_t *h);
const cache_array_t *cache_private(const cache_sys_t *h, int cpu, int level);
const cache_array_t *cache_llc(const cache_sys_t *h, int socket);
const cache_coh_stats_t *cache_coh_stats(const cache_sys_t *h, int cpu);
/* Core-to-core latency in cycles (after conversion) from requester to holder. */
uint32_t cache_c2c_cycles(const cache_sys_t *h, int requester, int holder);

/* Every counter, with its name ("cpu0.l1d.hits", "socket1.llc.misses", "cpu3.coh.snoops") and
 * description. The pointers stay valid until cache_free, so a registry may keep them. */
typedef void (*cache_counter_fn)(void *arg, const char *name, const char *desc, const uint64_t *value);
void cache_foreach_counter(const cache_sys_t *h, cache_counter_fn fn, void *arg);
/* Zero every counter (contents and replacement state are kept). */
void cache_reset_stats(cache_sys_t *h);

/* Invariants: per-array (no duplicate lines, valid tags in their sets, per-set counters summing to
 * the totals); the private copies of a line in one core agree on its state and a dirty one is M;
 * the directory lists exactly the cores holding each line; a line E or M in one core is held by no
 * other core and no other socket's LLC; with an inclusive LLC every private line is in it.
 * Returns 0, or -1 with a message in err. */
int cache_check(const cache_sys_t *h, char *err, size_t errlen);

#endif
