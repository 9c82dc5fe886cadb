/* tlb: set-associative translation lookaside buffers (docs/TLB.md).
 *
 * Two layers:
 *   - tlb_array_t, one set-associative array of translations: entries/ways sets indexed by the low
 *     bits of the virtual page number, tags (VPN, page-size code, PCID) plus a global bit that
 *     matches any PCID, LRU / tree-PLRU / seeded-random replacement, a hit latency, and counters
 *     (totals and per set). Every TLB level is built from it, and so are mmu/'s paging-structure
 *     caches (whose "page" is the virtual-address prefix a table entry covers).
 *   - tlb_t, the translation hierarchy of one CPU: L1 iTLB and L1 dTLB with one array per page
 *     size, a unified second-level STLB for 4K and 2M pages and an optional separate 1G STLB.
 *
 * This module only models what a TLB holds and what a lookup costs; it never reads page tables.
 * The caller walks (mmu_walk) on a miss and hands the translation to tlb_fill().
 *
 * The fast path (docs/TLB.md, "Fast path"): lookups return a pointer to the L1 entry that served
 * the access. A caller may remember (entry, entry->tag) per page; while entry->tag is unchanged the
 * entry still holds that translation, and tlb_hit() records the hit (replacement state, counters,
 * cycles) exactly as tlb_lookup() would, without searching. Read the payload through the entry.
 */
#ifndef TLB_TLB_H
#define TLB_TLB_H

#include <stddef.h>
#include <stdint.h>

/* Replacement policies; the order matches TLB_REPL_NAMES (for a config enum). */
enum tlb_repl { TLB_REPL_LRU = 0, TLB_REPL_PLRU = 1, TLB_REPL_RANDOM = 2 };
#define TLB_REPL_NAMES "lru|plru|random"

/* Page-size codes: an entry of size s covers 1 << tlb_size_shift(s) bytes. */
enum tlb_size { TLB_4K = 0, TLB_2M = 1, TLB_1G = 2, TLB_NR_SIZES = 3 };
static inline unsigned tlb_size_shift(enum tlb_size s) { return 12u + 9u * (unsigned)s; }

/* Kinds of access: fetches use the iTLB, loads and stores the dTLB; both share the STLB. */
enum tlb_kind { TLB_FETCH = 0, TLB_LOAD = 1, TLB_STORE = 2 };

/* Which level served a lookup. */
enum tlb_level { TLB_MISS = 0, TLB_HIT_L1 = 1, TLB_HIT_STLB = 2 };

#define TLB_PCID_MASK 0xfffu /* PCIDs are 12 bits (CR3[11:0]) */

/* tlb_entry_t.flags. W/U/NX/D/G describe the translation (W: the path permits writes, U: user
 * access, NX: no fetch, D: the leaf's dirty bit is set, G: global page). The tlb module sets the
 * size fields, SPLIT and STLB; bits 16..31 are the caller's and are kept as given. */
#define TLB_F_W (1u << 0)
#define TLB_F_U (1u << 1)
#define TLB_F_NX (1u << 2)
#define TLB_F_D (1u << 3)
#define TLB_F_G (1u << 4)
#define TLB_F_SPLIT (1u << 5) /* a piece of a larger page (the array has no entries of its size) */
#define TLB_F_STLB (1u << 6)  /* the entry lives in the STLB */
#define TLB_F_SIZE_SHIFT 8    /* bits 9:8: enum tlb_size the entry covers */
#define TLB_F_PAGE_SHIFT 10   /* bits 11:10: enum tlb_size of the page the translation came from */
#define TLB_F_CALLER_SHIFT 16

/* One entry: 32 bytes, two per host cache line. pa_base and host refer to the first byte the
 * entry covers (for a SPLIT entry: the first byte of its piece). */
typedef struct tlb_entry {
    uint64_t tag;     /* identity (private encoding, 0 = invalid); changes on eviction or invalidation */
    uint64_t pa_base; /* physical address of the first byte covered */
    uint64_t host;    /* host address of that byte for the emulator's fast path, 0 if none */
    uint32_t flags;   /* TLB_F_* */
    uint32_t set;     /* private: the entry's set */
} tlb_entry_t;

static inline int tlb_entry_valid(const tlb_entry_t *e) { return (int)(e->tag & 1); }
static inline enum tlb_size tlb_entry_size(const tlb_entry_t *e)
{
    return (enum tlb_size)((e->flags >> TLB_F_SIZE_SHIFT) & 3);
}
/* Virtual page number (at the entry's own size) and PCID the entry was filled for (0 for a global
 * entry, which belongs to every PCID). */
static inline uint64_t tlb_entry_vpn(const tlb_entry_t *e) { return e->tag >> 16; }
static inline unsigned tlb_entry_pcid(const tlb_entry_t *e) { return (unsigned)(e->tag >> 4) & TLB_PCID_MASK; }
static inline int tlb_entry_global(const tlb_entry_t *e) { return (int)(e->tag >> 1) & 1; }
/* Physical address of va through entry e (va must lie in the entry's page). */
static inline uint64_t tlb_entry_pa(const tlb_entry_t *e, uint64_t va)
{
    return e->pa_base + (va & ((1ull << tlb_size_shift(tlb_entry_size(e))) - 1));
}

/* What a fill stores: for tlb_array_insert, the values of the entry; for tlb_fill, the values for
 * the whole page (pa_base and host of its first byte, page aligned). */
typedef struct tlb_payload {
    uint64_t pa_base;
    uint64_t host;
    uint32_t flags;
} tlb_payload_t;

/* ---------------------------------------------------------------------------------------------- */
/* One set-associative array. */

typedef struct tlb_array tlb_array_t;

typedef struct tlb_array_cfg {
    uint32_t entries;  /* 0: absent (tlb_t skips it; tlb_array_new refuses it) */
    uint32_t ways;     /* entries / ways sets, a power of two; ways == entries: fully associative */
    uint32_t latency;  /* cycles of a lookup */
    enum tlb_repl repl;
    uint64_t seed;     /* random replacement: xorshift64 seed (0 picks a fixed non-zero one) */
} tlb_array_cfg_t;

typedef struct tlb_array_stats {
    uint64_t hits, misses;   /* lookups that hit / missed (misses also counted by tlb_array_note_miss) */
    uint64_t fills;          /* insertions */
    uint64_t evictions;      /* valid entries replaced by an insertion */
    uint64_t invalidations;  /* valid entries dropped by invalidations and flushes */
} tlb_array_stats_t;

/* Create an array; NULL with a message in err on a bad geometry. name labels messages. */
tlb_array_t *tlb_array_new(const tlb_array_cfg_t *cfg, const char *name, char *err, size_t errlen);
void tlb_array_free(tlb_array_t *a);

/* Find the entry for (vpn, size, pcid): same VPN and size, and same PCID or global. A hit updates
 * the replacement state and counts a hit; a miss counts a miss in the set of vpn. vpn < 2^48. */
tlb_entry_t *tlb_array_lookup(tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid);
/* The same search without side effects. */
tlb_entry_t *tlb_array_probe(const tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid);
/* Record a hit on e (an entry of a, e.g. found by probe or remembered by the caller). */
void tlb_array_hit(tlb_array_t *a, tlb_entry_t *e);
/* Count a miss in the set of vpn without searching. */
void tlb_array_note_miss(tlb_array_t *a, uint64_t vpn);

/* Insert a translation. The global bit comes from p->flags & TLB_F_G; the size field of the flags is
 * set to size. An entry the new one would duplicate (same VPN and size, and same PCID or either
 * global) is overwritten in place; otherwise an invalid way is used, else the policy's victim.
 * The new entry counts as used. If evicted is not NULL it receives a copy of the valid entry the
 * insertion replaced, or an entry with tag 0. Returns the new entry. */
tlb_entry_t *tlb_array_insert(tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid,
                              const tlb_payload_t *p, tlb_entry_t *evicted);

/* INVLPG on one array: drop the entries for (vpn, size) that match pcid or are global. Returns the
 * number dropped. */
int tlb_array_invalidate(tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid);
/* Drop every entry tagged with pcid; unless keep_global, drop every global entry too (everything
 * a lookup under pcid could use). Returns the number dropped. */
int tlb_array_flush_pcid(tlb_array_t *a, unsigned pcid, int keep_global);
/* Drop every entry, or every non-global one. Returns the number dropped. */
int tlb_array_flush_all(tlb_array_t *a, int keep_global);

/* Geometry, counters and contents (for reports, the visualizer and tests). */
const char *tlb_array_name(const tlb_array_t *a);
uint32_t tlb_array_sets(const tlb_array_t *a);
uint32_t tlb_array_ways(const tlb_array_t *a);
uint32_t tlb_array_latency(const tlb_array_t *a);
enum tlb_repl tlb_array_repl(const tlb_array_t *a);
const tlb_array_stats_t *tlb_array_stats(const tlb_array_t *a);
const uint64_t *tlb_array_set_hits(const tlb_array_t *a);      /* [sets] */
const uint64_t *tlb_array_set_misses(const tlb_array_t *a);    /* [sets] */
const uint64_t *tlb_array_set_evictions(const tlb_array_t *a); /* [sets] */
const tlb_entry_t *tlb_array_entry(const tlb_array_t *a, uint32_t set, uint32_t way);
uint32_t tlb_array_valid_entries(const tlb_array_t *a);
void tlb_array_reset_stats(tlb_array_t *a);
/* Invariants: no duplicate tags in a set, entries in their sets, replacement state consistent,
 * per-set counters summing to the totals. Returns 0, or -1 with a message in err. */
int tlb_array_check(const tlb_array_t *a, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------------- */
/* The translation hierarchy of one CPU. */

typedef struct tlb tlb_t;

typedef struct tlb_cfg {
    tlb_array_cfg_t itlb[TLB_NR_SIZES]; /* L1 instruction TLB, one array per page size */
    tlb_array_cfg_t dtlb[TLB_NR_SIZES]; /* L1 data TLB */
    tlb_array_cfg_t stlb;               /* unified second level: 4K and 2M entries in one array */
    tlb_array_cfg_t stlb_1g;            /* second level for 1G pages (entries 0: none) */
} tlb_cfg_t;

/* Skylake client/server (see tlb.c for the source of each number); LRU everywhere. */
void tlb_cfg_default(tlb_cfg_t *cfg);
/* Set the replacement policy and seed of every array of cfg. */
void tlb_cfg_set_repl(tlb_cfg_t *cfg, enum tlb_repl repl, uint64_t seed);

/* Identifiers of the arrays of a tlb_t (for reports and the visualizer). */
enum tlb_array_id {
    TLB_ITLB_4K, TLB_ITLB_2M, TLB_ITLB_1G,
    TLB_DTLB_4K, TLB_DTLB_2M, TLB_DTLB_1G,
    TLB_STLB, TLB_STLB_1G,
    TLB_NR_ARRAYS
};

/* Counters of a tlb_t: X(field, "json suffix", "description"). Registered by the caller as
 * "cpuN.<suffix>". Per-size misses count the size of the page the translation came from; they
 * are counted when the translation is filled (a lookup miss followed by a fault fills nothing). */
#define TLB_COUNTERS(X)                                                                            \
    X(itlb_hits, "itlb.hits", "Instruction fetches whose translation hit the L1 iTLB")            \
    X(itlb_misses, "itlb.misses", "Instruction fetches that missed the L1 iTLB")                  \
    X(itlb_misses_4k, "itlb.misses_4k", "iTLB misses filled with a 4 KiB page")                   \
    X(itlb_misses_2m, "itlb.misses_2m", "iTLB misses filled with a 2 MiB page")                   \
    X(itlb_misses_1g, "itlb.misses_1g", "iTLB misses filled with a 1 GiB page")                   \
    X(itlb_evictions, "itlb.evictions", "Valid iTLB entries evicted by fills")                     \
    X(dtlb_hits, "dtlb.hits", "Loads and stores whose translation hit the L1 dTLB")               \
    X(dtlb_misses, "dtlb.misses", "Loads and stores that missed the L1 dTLB")                     \
    X(dtlb_misses_4k, "dtlb.misses_4k", "dTLB misses filled with a 4 KiB page")                   \
    X(dtlb_misses_2m, "dtlb.misses_2m", "dTLB misses filled with a 2 MiB page")                   \
    X(dtlb_misses_1g, "dtlb.misses_1g", "dTLB misses filled with a 1 GiB page")                   \
    X(dtlb_evictions, "dtlb.evictions", "Valid dTLB entries evicted by fills")                     \
    X(stlb_hits, "stlb.hits", "L1 TLB misses that hit the STLB")                                  \
    X(stlb_misses, "stlb.misses", "L1 TLB misses that missed the STLB (a page walk follows)")    \
    X(stlb_misses_4k, "stlb.misses_4k", "STLB misses filled with a 4 KiB page")                   \
    X(stlb_misses_2m, "stlb.misses_2m", "STLB misses filled with a 2 MiB page")                   \
    X(stlb_misses_1g, "stlb.misses_1g", "STLB misses filled with a 1 GiB page")                   \
    X(stlb_evictions, "stlb.evictions", "Valid STLB entries evicted by fills")                     \
    X(tlb_fills, "tlb.fills", "Translations filled after a page walk")                            \
    X(tlb_flushes, "tlb.flushes", "Full TLB flushes (CR3 write without PCID, CR4.PGE change)")    \
    X(tlb_flushes_pcid, "tlb.flushes_pcid", "Flushes of one PCID")                                \
    X(tlb_invlpgs, "tlb.invlpgs", "Single-page invalidations (INVLPG, page faults)")              \
    X(tlb_invalidated, "tlb.invalidated", "TLB entries dropped by flushes and invalidations")

typedef struct tlb_stats {
#define X(f, name, desc) uint64_t f;
    TLB_COUNTERS(X)
#undef X
} tlb_stats_t;

/* Build the hierarchy; arrays with 0 entries are absent. NULL with a message on a bad geometry. */
tlb_t *tlb_new(const tlb_cfg_t *cfg, char *err, size_t errlen);
void tlb_free(tlb_t *t);

typedef struct tlb_result {
    tlb_entry_t *entry; /* the entry that serves the access: the L1 entry (after the refill on an
                           STLB hit), or the STLB entry when L1 cannot hold the page; NULL on a miss */
    enum tlb_level level;
    uint32_t cycles;    /* L1 latency on an L1 hit; L1 + STLB latency on an STLB hit or a miss */
} tlb_result_t;

/* Look va up for an access of the given kind under pcid: the L1 arrays of the i- or d-side (all
 * page sizes), then the STLB; an STLB hit fills L1. Returns the level that hit, or TLB_MISS. */
enum tlb_level tlb_lookup(tlb_t *t, enum tlb_kind kind, uint64_t va, unsigned pcid, tlb_result_t *res);

/* Re-validated hit: e is an entry that a lookup of the same kind returned and whose tag the caller
 * has checked is unchanged. Records exactly what tlb_lookup would (replacement, counters) and
 * returns the cycles. */
uint32_t tlb_hit(tlb_t *t, enum tlb_kind kind, tlb_entry_t *e);

/* Record n more hits on the L1 entry e (not an STLB-served one) whose replacement state needs no
 * update because e was the last entry of its side used: touching the most recently used entry
 * again changes nothing under LRU, tree-PLRU or random replacement. Counters only (the caller
 * batches repeated hits on one entry and reports them here before anything else uses the side). */
void tlb_add_repeat_hits(tlb_t *t, enum tlb_kind kind, tlb_entry_t *e, uint64_t n);

/* After a walk that followed a TLB_MISS: fill the STLB and the L1 array of the kind's side with
 * the translation of the page of the given size containing va (p: page-aligned pa_base and host of
 * the page's first byte, flags). Both levels are filled (neither inclusive nor exclusive is
 * enforced, as Intel's STLB). Where a level has no array for the size, the page is split into
 * pieces of the largest smaller size it has, and the piece containing va is filled. Counts the
 * per-size misses. Returns the entry that now serves va (as tlb_result_t.entry; NULL when no level
 * can hold the page). */
tlb_entry_t *tlb_fill(tlb_t *t, enum tlb_kind kind, uint64_t va, unsigned pcid, enum tlb_size size,
                      const tlb_payload_t *p);

/* Set TLB_F_D in every entry (dTLB and STLB) that translates va under pcid, after a walk set the
 * dirty bit for a store that hit a clean entry. Returns the number of entries updated. */
int tlb_mark_dirty(tlb_t *t, uint64_t va, unsigned pcid);

/* Flushes (docs/TLB.md maps the x86 operations onto them):
 * tlb_flush_all: every entry, or every non-global one (MOV CR3 without PCIDs; CR4.PGE changes);
 * tlb_flush_pcid: every entry of pcid (and every global one unless keep_global);
 * tlb_invlpg: the entries of every level and page size that translate va under pcid, and the global
 *   ones for va, including every piece of a split large page (INVLPG, page faults). */
void tlb_flush_all(tlb_t *t, int keep_global);
void tlb_flush_pcid(tlb_t *t, unsigned pcid, int keep_global);
void tlb_invlpg(tlb_t *t, uint64_t va, unsigned pcid);

const tlb_stats_t *tlb_stats(const tlb_t *t);
/* Cycles charged by all lookups and re-validated hits so far: the sum of tlb_result_t.cycles, derived
 * from the counters and latencies (a derived counter "cpuN.tlb.cycles"; nothing to add per hit). */
uint64_t tlb_lookup_cycles(const tlb_t *t);
/* The arrays, NULL when absent (their stats and per-set counters are read through them). */
const tlb_array_t *tlb_get_array(const tlb_t *t, enum tlb_array_id id);
void tlb_reset_stats(tlb_t *t);
/* Check every array (tlb_array_check) and the level counters against the arrays' ones. */
int tlb_check(const tlb_t *t, char *err, size_t errlen);

#endif
