/* config: the machine configuration.
 *
 * Every key is declared once in CONFIG_KEYS below with its type, default, unit, limits and
 * description; that one table drives parsing (INI files through libinih and --set), validation,
 * error messages that list the valid keys, `emu help config`, and docs/CONFIG.md (a test checks
 * that the document lists every key).
 */
#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlb/tlb.h"

enum config_type {
    CFG_INT,  /* decimal integer within [min, max] */
    CFG_SIZE, /* bytes, with an optional K/M/G/T suffix (powers of 1024), within [min, max] */
    CFG_ENUM, /* one of the '|'-separated words in choices; stored as its index */
    CFG_STR,  /* free text (a matrix); stored in config_t.str[min] (min is the slot, max its length) */
};

/* se.pt_node: the page-table placement modes, then the node numbers (emu/se_mm.c). */
#define SE_PT_NODE_CHOICES "policy|task|local|0|1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18|19|20|21|22|23|24|25|26|27|28|29|30|31|32|33|34|35|36|37|38|39|40|41|42|43|44|45|46|47|48|49|50|51|52|53|54|55|56|57|58|59|60|61|62|63"

/* X(section, key, type, default, unit, min, max, choices, description) */
#define CONFIG_KEYS(X)                                                                             \
    X(machine, sockets, CFG_INT, "1", "", 1, 64, NULL, "Number of CPU sockets (packages)")        \
    X(machine, cores_per_socket, CFG_INT, "1", "", 1, 256, NULL, "CPU cores in each socket")      \
    X(machine, nodes_per_socket, CFG_INT, "1", "", 1, 8, NULL,                                    \
      "NUMA memory nodes attached to each socket (sockets x nodes_per_socket nodes in all)")      \
    X(machine, mem_per_node, CFG_SIZE, "256M", "bytes", 1ll << 20, 1ll << 40, NULL,               \
      "Physical memory in each NUMA node; a multiple of 4 KiB. Suffixes K, M, G, T")              \
    X(machine, paging_levels, CFG_INT, "4", "levels", 4, 5, NULL,                                     \
      "Page-table depth: 4 (48-bit virtual addresses) or 5 (LA57, 57-bit)")                       \
    X(machine, quantum, CFG_INT, "10000", "instructions", 1, 1000000000, NULL,                    \
      "Full system: instructions a CPU runs before the next CPU's turn (deterministic round robin)") \
    X(machine, clock_hz, CFG_INT, "1000000000", "ticks/s", 1000, 1000000000000ll, NULL,           \
      "Full system: virtual-clock ticks (retired instructions) per virtual second; the timer "     \
      "frequency the guest is told (boot_info.timer_hz)")                                          \
    X(machine, timer_clock, CFG_ENUM, "virtual", "", 0, 0, "virtual|cycles",                     \
      "Full system: what the local timers count: the machine's virtual clock (guest decisions "    \
      "independent of latencies) or each CPU's time-stamp counter (cycles with timing on)")       \
    X(disk, latency_us, CFG_INT, "80", "us", 0, 10000000, NULL,                                   \
      "Full system: block device access latency per request, in virtual microseconds (NVMe-like)") \
    X(disk, bandwidth_mbs, CFG_INT, "2000", "MB/s", 1, 1000000, NULL,                             \
      "Full system: block device transfer rate; requests are served one after another")          \
    X(cpu, cycles_simple, CFG_INT, "1", "cycles", 0, 255, NULL,                                   \
      "Timing: base cost of a simple instruction (moves, integer ALU, branches)")                \
    X(cpu, cycles_mul, CFG_INT, "3", "cycles", 0, 255, NULL,                                      \
      "Timing: base cost of an integer multiply (Skylake IMUL r64 latency)")                     \
    X(cpu, cycles_div, CFG_INT, "26", "cycles", 0, 255, NULL,                                     \
      "Timing: base cost of an integer divide (Skylake DIV r32 latency)")                        \
    X(cpu, cycles_fp, CFG_INT, "4", "cycles", 0, 255, NULL,                                       \
      "Timing: base cost of x87/SSE floating-point arithmetic (Skylake ADDSD/MULSD latency)")     \
    X(cpu, cycles_fp_div, CFG_INT, "14", "cycles", 0, 255, NULL,                                  \
      "Timing: base cost of a floating-point divide or square root (Skylake DIVSD latency)")      \
    X(cpu, cycles_syscall, CFG_INT, "100", "cycles", 0, 255, NULL,                                \
      "Timing: base cost of SYSCALL, the kernel entry and exit (SE mode runs no kernel code)")    \
    X(tlb, itlb_4k_entries, CFG_INT, "128", "entries", 0, 65536, NULL, "L1 iTLB, 4 KiB pages: entries") \
    X(tlb, itlb_4k_ways, CFG_INT, "8", "ways", 1, 65536, NULL, "L1 iTLB, 4 KiB pages: ways")      \
    X(tlb, itlb_2m_entries, CFG_INT, "8", "entries", 0, 65536, NULL, "L1 iTLB, 2 MiB pages: entries") \
    X(tlb, itlb_2m_ways, CFG_INT, "8", "ways", 1, 65536, NULL, "L1 iTLB, 2 MiB pages: ways")      \
    X(tlb, itlb_1g_entries, CFG_INT, "0", "entries", 0, 65536, NULL,                              \
      "L1 iTLB, 1 GiB pages: entries (0: none; 1 GiB code pages are held as 2 MiB pieces)")       \
    X(tlb, itlb_1g_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "L1 iTLB, 1 GiB pages: ways")      \
    X(tlb, dtlb_4k_entries, CFG_INT, "64", "entries", 0, 65536, NULL, "L1 dTLB, 4 KiB pages: entries") \
    X(tlb, dtlb_4k_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "L1 dTLB, 4 KiB pages: ways")      \
    X(tlb, dtlb_2m_entries, CFG_INT, "32", "entries", 0, 65536, NULL, "L1 dTLB, 2 MiB pages: entries") \
    X(tlb, dtlb_2m_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "L1 dTLB, 2 MiB pages: ways")      \
    X(tlb, dtlb_1g_entries, CFG_INT, "4", "entries", 0, 65536, NULL, "L1 dTLB, 1 GiB pages: entries") \
    X(tlb, dtlb_1g_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "L1 dTLB, 1 GiB pages: ways")      \
    X(tlb, l1_latency, CFG_INT, "0", "cycles", 0, 1000, NULL,                                    \
      "L1 iTLB/dTLB hit latency added to an access (0: looked up in parallel with the L1 cache)")         \
    X(tlb, stlb_entries, CFG_INT, "1536", "entries", 0, 1 << 20, NULL,                            \
      "Second-level TLB (4 KiB and 2 MiB pages in one array): entries")                           \
    X(tlb, stlb_ways, CFG_INT, "12", "ways", 1, 1 << 20, NULL, "Second-level TLB: ways")           \
    X(tlb, stlb_1g_entries, CFG_INT, "16", "entries", 0, 65536, NULL,                             \
      "Second-level TLB for 1 GiB pages: entries (0: none)")                                      \
    X(tlb, stlb_1g_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "Second-level TLB for 1 GiB pages: ways") \
    X(tlb, stlb_latency, CFG_INT, "9", "cycles", 0, 1000, NULL, "Second-level TLB lookup latency") \
    X(tlb, replacement, CFG_ENUM, "lru", "", 0, 0, TLB_REPL_NAMES,                                \
      "Replacement policy of every TLB and paging-structure cache")                               \
    X(tlb, seed, CFG_INT, "1", "", 0, INT64_MAX, NULL, "Seed of the random replacement policy")    \
    X(pwc, pde_entries, CFG_INT, "32", "entries", 0, 65536, NULL,                                 \
      "Paging-structure cache of PDEs (walks load only the PTE): entries (0: none)")              \
    X(pwc, pde_ways, CFG_INT, "8", "ways", 1, 65536, NULL, "PDE cache: ways")                     \
    X(pwc, pdpte_entries, CFG_INT, "8", "entries", 0, 65536, NULL, "PDPTE cache: entries (0: none)") \
    X(pwc, pdpte_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "PDPTE cache: ways")                 \
    X(pwc, pml4e_entries, CFG_INT, "4", "entries", 0, 65536, NULL, "PML4E cache: entries (0: none)") \
    X(pwc, pml4e_ways, CFG_INT, "4", "ways", 1, 65536, NULL, "PML4E cache: ways")                 \
    X(pwc, pml5e_entries, CFG_INT, "2", "entries", 0, 65536, NULL,                                \
      "PML5E cache (5-level paging only): entries (0: none)")                                     \
    X(pwc, pml5e_ways, CFG_INT, "2", "ways", 1, 65536, NULL, "PML5E cache: ways")                 \
    X(pwc, latency, CFG_INT, "1", "cycles", 0, 1000, NULL, "Paging-structure cache lookup latency") \
    X(walk, pte_load_cycles, CFG_INT, "4", "cycles", 0, 100000, NULL,                             \
      "Cost of one paging-structure entry load (an L1D hit until the cache model exists)")        \
    X(numa, distance_same_socket, CFG_INT, "11", "SLIT units", 10, 254, NULL,                     \
      "Distance between two different nodes of one socket (ACPI SLIT: 10 = local)")              \
    X(numa, distance_remote, CFG_INT, "21", "SLIT units", 10, 254, NULL,                          \
      "Distance between nodes of different sockets (ACPI SLIT; 21 is typical of 2-socket Intel)") \
    X(numa, slit, CFG_STR, "", "SLIT units", 0, 1023, NULL,                                       \
      "Explicit node distance matrix (ACPI SLIT), rows separated by ';' or '/', e.g. "           \
      "\"10 21;21 10\"; empty: derived from the distance_* keys")                                \
    X(numa, remote_latency_ns, CFG_INT, "55", "ns", 0, 100000, NULL,                              \
      "Timing: extra latency of a DRAM access to a node at distance_remote from the CPU's socket " \
      "(other distances scale with distance - 10)")                                               \
    X(numa, latency_ns, CFG_STR, "", "ns", 1, 1023, NULL,                                         \
      "Timing: explicit extra-latency matrix, one row per socket, one column per node, rows "      \
      "separated by ';' or '/'; empty: derived from remote_latency_ns and the distances")          \
    X(numa, remote_bandwidth_mbs, CFG_INT, "0", "MB/s", 0, 10000000, NULL,                        \
      "Timing: bandwidth limit of each socket-to-remote-node link (UPI); 0: unlimited")           \
    X(cpu, mhz, CFG_INT, "2500", "MHz", 100, 10000, NULL,                                         \
      "Timing: core clock; converts the ns figures of caches, DRAM and NUMA into cycles")         \
    X(cache, line_size, CFG_INT, "64", "bytes", 16, 4096, NULL, "Cache line size of every level (a power of two)") \
    X(cache, l1i_size, CFG_SIZE, "32K", "bytes/core", 0, 1ll << 30, NULL, "L1 instruction cache size (0: none)") \
    X(cache, l1i_ways, CFG_INT, "8", "ways", 1, 64, NULL, "L1 instruction cache associativity")    \
    X(cache, l1i_latency, CFG_INT, "0", "cycles", 0, 1000, NULL,                                  \
      "L1I hit latency (0: hidden by the decoupled front end)")                                  \
    X(cache, l1i_replacement, CFG_ENUM, "lru", "", 0, 0, "lru|plru|random", "L1I replacement policy") \
    X(cache, l1d_size, CFG_SIZE, "32K", "bytes/core", 0, 1ll << 30, NULL, "L1 data cache size (0: none)") \
    X(cache, l1d_ways, CFG_INT, "8", "ways", 1, 64, NULL, "L1 data cache associativity")           \
    X(cache, l1d_latency, CFG_INT, "4", "cycles", 0, 1000, NULL, "L1D load-to-use latency")        \
    X(cache, l1d_replacement, CFG_ENUM, "lru", "", 0, 0, "lru|plru|random", "L1D replacement policy") \
    X(cache, l2_size, CFG_SIZE, "1M", "bytes/core", 0, 1ll << 34, NULL, "Private unified L2 size (0: none)") \
    X(cache, l2_ways, CFG_INT, "16", "ways", 1, 64, NULL, "L2 associativity")                      \
    X(cache, l2_latency, CFG_INT, "14", "cycles", 0, 1000, NULL, "L2 load-to-use latency")         \
    X(cache, l2_replacement, CFG_ENUM, "lru", "", 0, 0, "lru|plru|random", "L2 replacement policy") \
    X(cache, llc_size, CFG_SIZE, "1408K", "bytes/socket", 0, 1ll << 36, NULL,                     \
      "Shared last-level cache of each socket (0: none)")                                        \
    X(cache, llc_ways, CFG_INT, "11", "ways", 1, 64, NULL, "LLC associativity")                    \
    X(cache, llc_latency, CFG_INT, "60", "cycles", 0, 10000, NULL, "LLC load-to-use latency")      \
    X(cache, llc_replacement, CFG_ENUM, "lru", "", 0, 0, "lru|plru|random", "LLC replacement policy") \
    X(cache, llc_inclusion, CFG_ENUM, "non-inclusive", "", 0, 0, "non-inclusive|inclusive",      \
      "LLC inclusion of the private levels")                                                      \
    X(cache, seed, CFG_INT, "1", "", 0, INT64_MAX, NULL, "Seed of the random cache replacement policy") \
    X(cache, c2c_local_ns, CFG_INT, "18", "ns", 0, 100000, NULL,                                  \
      "Core-to-core transfer latency within a socket")                                           \
    X(cache, c2c_remote_ns, CFG_INT, "85", "ns", 0, 100000, NULL,                                 \
      "Core-to-core transfer latency across sockets")                                            \
    X(cache, prefetch, CFG_ENUM, "on", "", 0, 0, "on|off",                                        \
      "The L2 stream prefetcher of every core (--timing=full)")                                  \
    X(cache, prefetch_streams, CFG_INT, "32", "streams", 1, 64, NULL,                              \
      "L2 stream prefetcher: streams tracked per core (one per 4 KiB region)")                  \
    X(cache, prefetch_distance, CFG_INT, "20", "lines", 1, 63, NULL,                               \
      "L2 stream prefetcher: how far ahead of the demand miss it may prefetch")                 \
    X(cache, prefetch_degree, CFG_INT, "2", "lines", 1, 64, NULL,                                  \
      "L2 stream prefetcher: lines prefetched per demand miss of a confirmed stream")          \
    X(cache, prefetch_queue, CFG_INT, "16", "requests", 1, 64, NULL,                               \
      "L2 stream prefetcher: prefetches in flight at most (the L2's queue of outstanding misses)") \
    X(cpu, mshrs, CFG_INT, "10", "entries", 1, 64, NULL,                                           \
      "Outstanding L1D misses per core (miss-status holding registers, the L1D fill buffers)") \
    X(cpu, store_buffer, CFG_INT, "56", "entries", 0, 512, NULL,                                   \
      "Store-buffer entries per core (0: every store waits for its completion)")               \
    X(dram, preset, CFG_ENUM, "ddr4-2666", "", 0, 0, "ddr4-2666|ddr5-4800",                       \
      "DRAM device and controller timing (JEDEC speed bin) of every node")                       \
    X(dram, channels, CFG_INT, "0", "channels", 0, 64, NULL, "Channels per node (0: the preset's)") \
    X(dram, ranks, CFG_INT, "0", "ranks", 0, 16, NULL, "Ranks per channel (0: the preset's)")      \
    X(dram, page_policy, CFG_ENUM, "open", "", 0, 0, "open|closed", "Row-buffer policy")           \
    X(dram, mapping, CFG_ENUM, "256b", "", 0, 0, "256b|line|bg256|row|closed",                    \
      "Physical address to channel/rank/bank/row/column mapping scheme (docs/DRAM.md)")          \
    X(dram, frontend_ns, CFG_INT, "20", "ns", 0, 100000, NULL,                                    \
      "Fixed uncore and controller latency added to every DRAM access")                          \
    X(dram, refresh, CFG_ENUM, "on", "", 0, 0, "on|off", "DRAM refresh (tRFC every tREFI)")        \
    X(se, cpu, CFG_INT, "0", "CPU", 0, 16383, NULL,                                               \
      "SE mode: the CPU the program runs on (--cpu): its socket, local node and NUMA latencies")  \
    X(se, mem_node, CFG_INT, "0", "node", 0, 63, NULL,                                            \
      "SE mode: the program's frames come from this node first (lower nodes are not used)")      \
    X(se, pt_node, CFG_ENUM, "policy", "", 0, 0, SE_PT_NODE_CHOICES,                              \
      "SE mode: where page tables go: policy (as the data they map), task, local, or a node")    \
    X(se, stack_size, CFG_SIZE, "8M", "bytes", 64ll << 10, 1ll << 30, NULL,                       \
      "SE mode: size of the main thread's stack mapping (RLIMIT_STACK as the program sees it)")   \
    X(se, mmap_base, CFG_SIZE, "0x7f0000000000", "address", 1ll << 32, 1ll << 47, NULL,           \
      "SE mode: highest address of the mmap area; mappings grow down from here")                \
    X(se, thp, CFG_ENUM, "madvise", "", 0, 0, "never|madvise|always",                             \
      "SE mode: transparent huge pages for anonymous memory (Linux's transparent_hugepage/enabled)")

enum config_id {
#define X(sec, key, type, def, unit, min, max, choices, desc) CFG_##sec##_##key,
    CONFIG_KEYS(X)
#undef X
    CFG_NR_KEYS
};

typedef struct config_key_info {
    const char *section, *key;
    enum config_type type;
    const char *def, *unit;
    int64_t min, max;
    const char *choices;
    const char *desc;
} config_key_info_t;

extern const config_key_info_t config_keys[CFG_NR_KEYS];

/* A preset compiled in from configs/NAME.ini (see scripts/embed-presets.sh). */
typedef struct config_preset {
    const char *name;
    const char *text;
} config_preset_t;
extern const config_preset_t config_presets[]; /* terminated by {0, 0} */

#define CONFIG_STR_SLOTS 2
#define CONFIG_STR_LEN 1024
typedef struct config {
    int64_t val[CFG_NR_KEYS];  /* parsed values: integers, sizes, enum indexes; CFG_STR: the slot */
    char str[CONFIG_STR_SLOTS][CONFIG_STR_LEN]; /* values of the CFG_STR keys */
    char source[64];           /* where the values came from: "defaults", a preset or a path */
} config_t;

/* Fill cfg with the defaults. */
void config_defaults(config_t *cfg);

/* Load an INI file, or a preset when spec names one (a name without '/' or ".ini" that matches a
 * compiled-in preset). Returns 0, or -1 with a message in err. */
int config_load(config_t *cfg, const char *spec, char *err, size_t errlen);

/* Apply "section.key=value". Returns 0, or -1 with a message in err. */
int config_set(config_t *cfg, const char *assignment, char *err, size_t errlen);

/* Set one key from its textual value. Returns 0, or -1 with a message in err naming the key and
 * what is valid. */
int config_set_kv(config_t *cfg, const char *section, const char *key, const char *value, char *err,
                  size_t errlen);

static inline int64_t config_get(const config_t *cfg, enum config_id id) { return cfg->val[id]; }
/* The text of a CFG_STR key ("" when unset). */
static inline const char *config_get_str(const config_t *cfg, enum config_id id) { return cfg->str[config_keys[id].min]; }

/* Print every key with default, unit and description (for `emu help config`). */
void config_print_keys(FILE *f);
/* Print the effective configuration as INI. */
void config_dump(const config_t *cfg, FILE *f);

#endif
