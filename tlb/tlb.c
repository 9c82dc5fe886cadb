/* tlb: set-associative TLB arrays and the per-CPU translation hierarchy.
 *
 * The array
 * ---------
 * An array of E entries and W ways has S = E / W sets (S a power of two; W == E makes it fully
 * associative). A translation of virtual page number vpn lives in set vpn & (S - 1): the low VPN
 * bits, as in every published simulator (Intel does not document its index functions). Entries are
 * stored set by set, so a lookup scans W consecutive 32-byte entries.
 *
 * A tag is one 64-bit word: bit 0 valid, bit 1 global, bits 3:2 the page-size code, bits 15:4 the
 * PCID and bits 63:16 the VPN (0 is an invalid entry). A global translation matches every PCID (SDM
 * vol. 3 4.10.2.4), so a global entry is stored with PCID field 0 and the G bit: a lookup builds two
 * words from (vpn, size, pcid), the exact one and the page's global one, and a way hits when its tag
 * equals either. Sets of up to 16 ways are compared completely, without branches, and the hit is the
 * lowest set bit of the result, so a hit in any way costs the same: W compares (the global tag is
 * tried only when the exact one is absent), one replacement update and a few counter increments.
 *
 * Insertions never create two entries that could answer the same lookup: an entry with the same
 * VPN and size whose PCID is the same, or where either side is global, is overwritten in place
 * (hardware may briefly hold such pairs; which one answers is then undefined, so the model keeps
 * one). Otherwise the first invalid way is used, and only a full set asks the policy for a victim:
 *   - LRU: each way carries the value of a per-array clock at its last use; the victim is the
 *     smallest. Exact LRU at any associativity, deterministic, and a hit costs one store.
 *   - Tree-PLRU: a binary tree of one-bit nodes per set over the ways rounded up to a power of two
 *     (node 1 the root, node n's children 2n and 2n+1, way w the leaf P + w). A use sets every node
 *     on the way's path to point at the other half; the victim follows the pointers from the root.
 *     When W is not a power of two (the 12-way STLB) the tree has leaves with no way behind them;
 *     the descent never enters a subtree whose first leaf is past the last way, which gives the
 *     usual generalisation (for 12 ways: 8 ways on the left, 4 on the right, so the right half is
 *     chosen as often as the left although it holds half as many ways).
 *   - Random: xorshift64 (x ^= x << 13; x ^= x >> 7; x ^= x << 17) seeded from the configuration;
 *     the victim is x % W. The same seed gives the same victims, so runs stay bit-identical.
 *
 * Counters: hits, misses, fills, evictions (a valid entry replaced by an insertion) and
 * invalidations, plus hits, misses and evictions per set for the visualizer.
 *
 * The hierarchy
 * -------------
 * Each side (i for fetches, d for loads and stores) has an L1 array per page size; the arrays of a
 * side are probed together, as hardware does, and an L1 hit costs the side's latency (the largest
 * of its arrays'). On an L1 miss the STLB is probed: the unified array holds 4K entries indexed by
 * the 4K VPN and 2M entries indexed by the 2M VPN (Skylake's STLB holds both; the page-size code in
 * the tag keeps them apart, and a lookup probes the two sets), and the optional 1G array holds 1G
 * pages. An STLB hit refills L1 and costs L1 + STLB latency; a miss costs the same and the caller
 * walks, then calls tlb_fill(), which fills the STLB and L1 (both levels: the common simulator
 * choice for Intel's STLB, which is neither strictly inclusive nor exclusive). Nothing keeps the
 * levels consistent afterwards: an L1 entry may outlive its STLB copy and the reverse.
 *
 * A level without an array for a page's size holds it as pieces of the largest smaller size it
 * has, the piece containing the address (Skylake's iTLB has no 1G array: 1G code pages live in
 * the 2M iTLB). Such an entry is marked SPLIT with the original size in its flags, and INVLPG drops
 * every piece of the page, wherever it lies, as SDM vol. 3 4.10.4.1 requires ("they invalidate all
 * TLB entries corresponding to the translation"); the scan this needs runs only when the array
 * holds split entries.
 *
 * Misses by page size cannot be known at lookup time (the size is what the walk finds), so they are
 * counted when the translation is filled, at the size of the page: in the level counters
 * (dtlb.misses_2m...) and, as a miss of the set the entry goes to, in the per-array counters. A
 * lookup miss whose walk faults is a level miss but fills and counts nothing else.
 *
 * The hit path
 * ------------
 * With timing on, every access looks up the TLB, so the L1 hit is kept short: tlb_lookup probes the
 * side's first array (its smallest page size) in line and leaves the other arrays, the STLB and the
 * refill to an out-of-line function; the PLRU update is out of line too. The level's cycle count is
 * not accumulated per hit but derived from the hit and miss counters (tlb_lookup_cycles). A caller
 * that remembers the entry that served a page skips even the search: while the entry's tag is
 * unchanged, tlb_hit() does the replacement update and the counting and nothing else.
 */
#include "tlb.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_V 1ull
#define TAG_G 2ull
#define TAG_PCID_SHIFT 4
#define TAG_VPN_SHIFT 16
#define TAG_PCID_BITS (0xfffull << TAG_PCID_SHIFT)
/* Bits that must be equal for a match whatever the PCID: valid, size and VPN. */
#define TAG_MATCH_MASK (~(TAG_PCID_BITS | TAG_G))
#define VA_MASK ((1ull << 57) - 1) /* the widest linear address (LA57); canonical bits above it are copies */
#define SIZE_FIELD (3u << TLB_F_SIZE_SHIFT)
#define PAGE_FIELD (3u << TLB_F_PAGE_SHIFT)

struct tlb_array {
    tlb_entry_t *e;       /* sets * ways, set by set */
    uint32_t sets, ways, set_mask;
    uint32_t latency;
    enum tlb_repl repl;
    uint64_t clock;       /* LRU: time of the last use */
    uint64_t *stamp;      /* LRU: per entry, last use (0 = never / invalid) */
    uint32_t p2;          /* PLRU: ways rounded up to a power of two */
    uint8_t *plru;        /* PLRU: p2 node bytes per set (node 0 unused) */
    uint64_t rng;         /* random: xorshift64 state */
    uint32_t nr_split;    /* valid entries with TLB_F_SPLIT */
    uint32_t nr_valid[4]; /* valid entries per size code: a lookup skips sizes the array does not hold */
    uint32_t nr_global;   /* valid global entries: the global tag is tried only when there are some */
    tlb_array_stats_t st;
    uint64_t *set_hits, *set_misses, *set_evictions;
    char name[24];
};

static void fmt_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static inline uint64_t make_key(uint64_t vpn, unsigned size, unsigned pcid)
{
    return vpn << TAG_VPN_SHIFT | (uint64_t)(pcid & TLB_PCID_MASK) << TAG_PCID_SHIFT | (uint64_t)size << 2 | TAG_V;
}

/* The tag a global entry for the same page as key has: PCID field 0 and G set. */
static inline uint64_t global_key(uint64_t k) { return (k & ~TAG_PCID_BITS) | TAG_G; }

/* Does tag t answer a lookup whose key is k? Either the exact tag (same VPN, size and PCID, not
 * global) or the page's global tag. */
static inline int tag_match(uint64_t t, uint64_t k) { return t == k || t == global_key(k); }

/* Could tags a and b (same VPN and size) answer the same lookup? */
static inline int tags_overlap(uint64_t a, uint64_t b)
{
    if ((a ^ b) & TAG_MATCH_MASK)
        return 0;
    return !((a ^ b) & TAG_PCID_BITS) || ((a | b) & TAG_G);
}

/* ---------------------------------------------------------------------------------------------- */
/* The array */

tlb_array_t *tlb_array_new(const tlb_array_cfg_t *cfg, const char *name, char *err, size_t errlen)
{
    const char *nm = name ? name : "tlb";
    if (cfg->entries == 0 || cfg->ways == 0 || cfg->entries % cfg->ways) {
        fmt_err(err, errlen, "%s: %u entries cannot be split into sets of %u ways", nm, cfg->entries, cfg->ways);
        return NULL;
    }
    uint32_t sets = cfg->entries / cfg->ways;
    if (sets & (sets - 1)) {
        fmt_err(err, errlen, "%s: %u entries / %u ways gives %u sets, not a power of two", nm, cfg->entries,
                cfg->ways, sets);
        return NULL;
    }
    if (cfg->entries > (1u << 24)) {
        fmt_err(err, errlen, "%s: %u entries is more than the model supports (16M)", nm, cfg->entries);
        return NULL;
    }
    if (cfg->repl != TLB_REPL_LRU && cfg->repl != TLB_REPL_PLRU && cfg->repl != TLB_REPL_RANDOM) {
        fmt_err(err, errlen, "%s: unknown replacement policy %d", nm, (int)cfg->repl);
        return NULL;
    }
    tlb_array_t *a = calloc(1, sizeof(*a));
    if (!a)
        goto oom;
    snprintf(a->name, sizeof(a->name), "%s", nm);
    a->sets = sets;
    a->ways = cfg->ways;
    a->set_mask = sets - 1;
    a->latency = cfg->latency;
    a->repl = cfg->repl;
    a->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
    a->e = calloc(cfg->entries, sizeof(*a->e));
    a->set_hits = calloc(3 * (size_t)sets, sizeof(uint64_t));
    if (!a->e || !a->set_hits)
        goto oom;
    a->set_misses = a->set_hits + sets;
    a->set_evictions = a->set_misses + sets;
    for (uint32_t i = 0; i < cfg->entries; i++)
        a->e[i].set = i / cfg->ways;
    if (a->repl == TLB_REPL_LRU) {
        a->stamp = calloc(cfg->entries, sizeof(*a->stamp));
        if (!a->stamp)
            goto oom;
    } else if (a->repl == TLB_REPL_PLRU) {
        a->p2 = 1;
        while (a->p2 < a->ways)
            a->p2 <<= 1;
        a->plru = calloc((size_t)sets * a->p2, 1);
        if (!a->plru)
            goto oom;
    }
    return a;
oom:
    fmt_err(err, errlen, "%s: out of memory", nm);
    tlb_array_free(a);
    return NULL;
}

void tlb_array_free(tlb_array_t *a)
{
    if (!a)
        return;
    free(a->e);
    free(a->stamp);
    free(a->plru);
    free(a->set_hits);
    free(a);
}

/* Bit w set when way w of the set at e holds exactly tag k. */
#define EQ4(e, k) ((uint32_t)((e)[0].tag == (k)) | (uint32_t)((e)[1].tag == (k)) << 1 | \
                   (uint32_t)((e)[2].tag == (k)) << 2 | (uint32_t)((e)[3].tag == (k)) << 3)

static inline uint32_t eq_mask(const tlb_entry_t *e, uint32_t ways, uint64_t k)
{
    uint32_t m = 0;
    if (ways == 4)
        return EQ4(e, k);
    if (ways == 8)
        return EQ4(e, k) | EQ4(e + 4, k) << 4;
    for (uint32_t w = 0; w < ways; w++)
        m |= (uint32_t)(e[w].tag == k) << w;
    return m;
}

/* Find the way of the set of vpn that answers key (the exact tag, else the page's global tag).
 * Sets of up to 16 ways are compared completely, without branches (4- and 8-way sets unrolled),
 * and the hit is the lowest set bit, so which way hits costs no mispredicted branch; the global
 * tag is tried only when the exact one is absent. Larger sets stop at the first match. */
static inline tlb_entry_t *probe(const tlb_array_t *a, uint64_t key, uint64_t vpn)
{
    if (!a->nr_valid[(key >> 2) & 3])
        return NULL; /* no entry of this size at all (e.g. 2M arrays of a program without huge pages) */
    tlb_entry_t *e = a->e + (size_t)(vpn & a->set_mask) * a->ways;
    uint32_t ways = a->ways;
    if (ways <= 16) {
        uint32_t hit = eq_mask(e, ways, key);
        if (__builtin_expect(!hit, 0) && a->nr_global)
            hit = eq_mask(e, ways, global_key(key));
        return hit ? e + __builtin_ctz(hit) : NULL;
    }
    uint64_t kg = a->nr_global ? global_key(key) : key;
    for (; ways; ways--, e++)
        if (e->tag == key || e->tag == kg)
            return e;
    return NULL;
}

static inline uint32_t way_of(const tlb_array_t *a, const tlb_entry_t *e)
{
    return (uint32_t)(e - a->e) - e->set * a->ways;
}

static inline void plru_touch(tlb_array_t *a, uint32_t set, uint32_t way)
{
    uint8_t *b = a->plru + (size_t)set * a->p2;
    for (uint32_t n = a->p2 + way; n > 1; n >>= 1)
        b[n >> 1] = !(n & 1); /* point at the other child */
}

static __attribute__((noinline)) void touch_plru(tlb_array_t *a, tlb_entry_t *e)
{
    plru_touch(a, e->set, way_of(a, e));
}

/* The entry was used: update the replacement state (LRU inline, tree-PLRU out of line to keep the
 * hit path's register use small; random keeps no state). */
static inline void touch(tlb_array_t *a, tlb_entry_t *e)
{
    if (a->repl == TLB_REPL_LRU)
        a->stamp[e - a->e] = ++a->clock;
    else if (a->repl == TLB_REPL_PLRU)
        touch_plru(a, e);
}

static inline void array_hit(tlb_array_t *a, tlb_entry_t *e)
{
    a->st.hits++;
    a->set_hits[e->set]++;
    touch(a, e);
}

tlb_entry_t *tlb_array_probe(const tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid)
{
    return probe(a, make_key(vpn, size, pcid), vpn);
}

tlb_entry_t *tlb_array_lookup(tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid)
{
    tlb_entry_t *e = probe(a, make_key(vpn, size, pcid), vpn);
    if (e) {
        array_hit(a, e);
    } else {
        a->st.misses++;
        a->set_misses[vpn & a->set_mask]++;
    }
    return e;
}

void tlb_array_hit(tlb_array_t *a, tlb_entry_t *e)
{
    assert(e >= a->e && e < a->e + (size_t)a->sets * a->ways && tlb_entry_valid(e));
    array_hit(a, e);
}

void tlb_array_note_miss(tlb_array_t *a, uint64_t vpn)
{
    a->st.misses++;
    a->set_misses[vpn & a->set_mask]++;
}

static uint32_t first_leaf(const tlb_array_t *a, uint32_t node)
{
    while (node < a->p2)
        node <<= 1;
    return node - a->p2;
}

static uint32_t victim(tlb_array_t *a, uint32_t set)
{
    switch (a->repl) {
    case TLB_REPL_LRU: {
        const uint64_t *s = a->stamp + (size_t)set * a->ways;
        uint32_t best = 0;
        for (uint32_t w = 1; w < a->ways; w++)
            if (s[w] < s[best])
                best = w;
        return best;
    }
    case TLB_REPL_PLRU: {
        const uint8_t *b = a->plru + (size_t)set * a->p2;
        uint32_t n = 1;
        while (n < a->p2) {
            uint32_t c = 2 * n + b[n];
            if (first_leaf(a, c) >= a->ways)
                c = 2 * n;
            n = c;
        }
        return n - a->p2;
    }
    case TLB_REPL_RANDOM:
    default: {
        uint64_t x = a->rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        a->rng = x;
        return (uint32_t)(x % a->ways);
    }
    }
}

/* Drop a valid entry (no counting). */
static inline void drop(tlb_array_t *a, tlb_entry_t *e)
{
    if (e->flags & TLB_F_SPLIT)
        a->nr_split--;
    a->nr_valid[(e->tag >> 2) & 3]--;
    if (e->tag & TAG_G)
        a->nr_global--;
    e->tag = 0;
    if (a->stamp)
        a->stamp[e - a->e] = 0;
}

tlb_entry_t *tlb_array_insert(tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid,
                              const tlb_payload_t *p, tlb_entry_t *evicted)
{
    assert(vpn < (1ull << 48) && (unsigned)size < TLB_NR_SIZES);
    uint32_t set = (uint32_t)(vpn & a->set_mask);
    tlb_entry_t *base = a->e + (size_t)set * a->ways;
    uint64_t key = (p->flags & TLB_F_G) ? global_key(make_key(vpn, size, 0)) : make_key(vpn, size, pcid);
    tlb_entry_t *slot = NULL, *free_way = NULL;
    if (evicted)
        evicted->tag = 0;

    for (uint32_t w = 0; w < a->ways; w++) {
        tlb_entry_t *e = base + w;
        if (!(e->tag & TAG_V)) {
            if (!free_way)
                free_way = e;
        } else if (tags_overlap(e->tag, key)) {
            if (!slot) {
                slot = e; /* rewritten in place: not an eviction */
            } else {
                drop(a, e);
                a->st.invalidations++;
            }
        }
    }
    if (slot) {
        drop(a, slot);
    } else if (free_way) {
        slot = free_way;
    } else {
        slot = base + victim(a, set);
        if (evicted)
            *evicted = *slot;
        drop(a, slot);
        a->st.evictions++;
        a->set_evictions[set]++;
    }
    slot->tag = key;
    a->nr_valid[(key >> 2) & 3]++;
    if (key & TAG_G)
        a->nr_global++;
    slot->pa_base = p->pa_base;
    slot->host = p->host;
    slot->flags = (p->flags & ~SIZE_FIELD) | (uint32_t)size << TLB_F_SIZE_SHIFT;
    if (slot->flags & TLB_F_SPLIT)
        a->nr_split++;
    a->st.fills++;
    touch(a, slot);
    return slot;
}

int tlb_array_invalidate(tlb_array_t *a, uint64_t vpn, enum tlb_size size, unsigned pcid)
{
    uint64_t key = make_key(vpn, size, pcid);
    tlb_entry_t *e = a->e + (size_t)(vpn & a->set_mask) * a->ways;
    int n = 0;
    for (uint32_t w = 0; w < a->ways; w++, e++)
        if (tag_match(e->tag, key)) {
            drop(a, e);
            n++;
        }
    a->st.invalidations += (uint64_t)n;
    return n;
}

/* Drop every SPLIT entry that is a piece of the page containing va (any size) for pcid. */
static int invalidate_pieces(tlb_array_t *a, uint64_t va, unsigned pcid)
{
    int n = 0;
    size_t total = (size_t)a->sets * a->ways;
    for (size_t i = 0; i < total && a->nr_split; i++) {
        tlb_entry_t *e = &a->e[i];
        if (!(e->tag & TAG_V) || !(e->flags & TLB_F_SPLIT))
            continue;
        if (!(e->tag & TAG_G) && tlb_entry_pcid(e) != (pcid & TLB_PCID_MASK))
            continue;
        unsigned page_shift = tlb_size_shift((enum tlb_size)((e->flags >> TLB_F_PAGE_SHIFT) & 3));
        uint64_t piece_va = tlb_entry_vpn(e) << tlb_size_shift(tlb_entry_size(e));
        if ((piece_va >> page_shift) == (va >> page_shift)) {
            drop(a, e);
            n++;
        }
    }
    a->st.invalidations += (uint64_t)n;
    return n;
}

int tlb_array_flush_pcid(tlb_array_t *a, unsigned pcid, int keep_global)
{
    int n = 0;
    size_t total = (size_t)a->sets * a->ways;
    for (size_t i = 0; i < total; i++) {
        tlb_entry_t *e = &a->e[i];
        if (!(e->tag & TAG_V))
            continue;
        int g = !!(e->tag & TAG_G);
        if (g ? !keep_global : tlb_entry_pcid(e) == (pcid & TLB_PCID_MASK)) {
            drop(a, e);
            n++;
        }
    }
    a->st.invalidations += (uint64_t)n;
    return n;
}

int tlb_array_flush_all(tlb_array_t *a, int keep_global)
{
    int n = 0;
    size_t total = (size_t)a->sets * a->ways;
    for (size_t i = 0; i < total; i++) {
        tlb_entry_t *e = &a->e[i];
        if ((e->tag & TAG_V) && !(keep_global && (e->tag & TAG_G))) {
            drop(a, e);
            n++;
        }
    }
    a->st.invalidations += (uint64_t)n;
    return n;
}

const char *tlb_array_name(const tlb_array_t *a) { return a->name; }
uint32_t tlb_array_sets(const tlb_array_t *a) { return a->sets; }
uint32_t tlb_array_ways(const tlb_array_t *a) { return a->ways; }
uint32_t tlb_array_latency(const tlb_array_t *a) { return a->latency; }
enum tlb_repl tlb_array_repl(const tlb_array_t *a) { return a->repl; }
const tlb_array_stats_t *tlb_array_stats(const tlb_array_t *a) { return &a->st; }
const uint64_t *tlb_array_set_hits(const tlb_array_t *a) { return a->set_hits; }
const uint64_t *tlb_array_set_misses(const tlb_array_t *a) { return a->set_misses; }
const uint64_t *tlb_array_set_evictions(const tlb_array_t *a) { return a->set_evictions; }

const tlb_entry_t *tlb_array_entry(const tlb_array_t *a, uint32_t set, uint32_t way)
{
    if (set >= a->sets || way >= a->ways)
        return NULL;
    return &a->e[(size_t)set * a->ways + way];
}

uint32_t tlb_array_valid_entries(const tlb_array_t *a)
{
    uint32_t n = 0;
    size_t total = (size_t)a->sets * a->ways;
    for (size_t i = 0; i < total; i++)
        n += (uint32_t)(a->e[i].tag & TAG_V);
    return n;
}

void tlb_array_reset_stats(tlb_array_t *a)
{
    memset(&a->st, 0, sizeof(a->st));
    memset(a->set_hits, 0, 3 * (size_t)a->sets * sizeof(uint64_t));
}

int tlb_array_check(const tlb_array_t *a, char *err, size_t errlen)
{
    uint64_t sh = 0, sm = 0, se = 0;
    uint32_t split = 0, valid[4] = {0, 0, 0, 0}, global = 0;
    for (uint32_t s = 0; s < a->sets; s++) {
        sh += a->set_hits[s];
        sm += a->set_misses[s];
        se += a->set_evictions[s];
        const tlb_entry_t *base = a->e + (size_t)s * a->ways;
        for (uint32_t w = 0; w < a->ways; w++) {
            const tlb_entry_t *e = base + w;
            size_t i = (size_t)s * a->ways + w;
            if (e->set != s) {
                fmt_err(err, errlen, "%s: entry %u/%u records set %u", a->name, s, w, e->set);
                return -1;
            }
            if (!(e->tag & TAG_V)) {
                if (e->tag) {
                    fmt_err(err, errlen, "%s: invalid entry %u/%u has tag %#" PRIx64, a->name, s, w, e->tag);
                    return -1;
                }
                if (a->stamp && a->stamp[i]) {
                    fmt_err(err, errlen, "%s: invalid entry %u/%u has an LRU stamp", a->name, s, w);
                    return -1;
                }
                continue;
            }
            if ((tlb_entry_vpn(e) & a->set_mask) != s) {
                fmt_err(err, errlen, "%s: entry %u/%u (vpn %#" PRIx64 ") is in the wrong set", a->name, s, w,
                        tlb_entry_vpn(e));
                return -1;
            }
            if (((e->tag >> 2) & 3) != ((e->flags >> TLB_F_SIZE_SHIFT) & 3) ||
                !!(e->tag & TAG_G) != !!(e->flags & TLB_F_G)) {
                fmt_err(err, errlen, "%s: entry %u/%u: tag and flags disagree on size or global", a->name, s, w);
                return -1;
            }
            if ((e->tag & TAG_G) && (e->tag & TAG_PCID_BITS)) {
                fmt_err(err, errlen, "%s: global entry %u/%u has a PCID", a->name, s, w);
                return -1;
            }
            if (((e->tag >> 2) & 3) == 3) {
                fmt_err(err, errlen, "%s: entry %u/%u has size code 3", a->name, s, w);
                return -1;
            }
            split += !!(e->flags & TLB_F_SPLIT);
            valid[(e->tag >> 2) & 3]++;
            global += !!(e->tag & TAG_G);
            for (uint32_t v = w + 1; v < a->ways; v++)
                if ((base[v].tag & TAG_V) && tags_overlap(e->tag, base[v].tag)) {
                    fmt_err(err, errlen, "%s: set %u: ways %u and %u hold the same translation (vpn %#" PRIx64 ")",
                            a->name, s, w, v, tlb_entry_vpn(e));
                    return -1;
                }
            if (a->stamp) {
                if (a->stamp[i] == 0 || a->stamp[i] > a->clock) {
                    fmt_err(err, errlen, "%s: entry %u/%u: LRU stamp %" PRIu64 " outside 1..%" PRIu64, a->name, s,
                            w, a->stamp[i], a->clock);
                    return -1;
                }
                for (uint32_t v = w + 1; v < a->ways; v++)
                    if (a->stamp[i] == a->stamp[i - w + v]) {
                        fmt_err(err, errlen, "%s: set %u: ways %u and %u have the same LRU stamp", a->name, s, w, v);
                        return -1;
                    }
            }
        }
        if (a->plru) {
            const uint8_t *b = a->plru + (size_t)s * a->p2;
            for (uint32_t n = 0; n < a->p2; n++)
                if (b[n] > 1 || (n == 0 && b[n])) {
                    fmt_err(err, errlen, "%s: set %u: PLRU node %u holds %u", a->name, s, n, b[n]);
                    return -1;
                }
        }
    }
    if (split != a->nr_split) {
        fmt_err(err, errlen, "%s: %u split entries, counted %u", a->name, split, a->nr_split);
        return -1;
    }
    for (int k = 0; k < 4; k++) {
        if (valid[k] != a->nr_valid[k]) {
            fmt_err(err, errlen, "%s: %u valid entries of size code %d, counted %u", a->name, valid[k], k,
                    a->nr_valid[k]);
            return -1;
        }
    }
    if (global != a->nr_global) {
        fmt_err(err, errlen, "%s: %u global entries, counted %u", a->name, global, a->nr_global);
        return -1;
    }
    if (sh != a->st.hits || sm != a->st.misses || se != a->st.evictions) {
        fmt_err(err, errlen,
                "%s: per-set counters (hits %" PRIu64 ", misses %" PRIu64 ", evictions %" PRIu64
                ") do not sum to the totals (%" PRIu64 ", %" PRIu64 ", %" PRIu64 ")",
                a->name, sh, sm, se, a->st.hits, a->st.misses, a->st.evictions);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* The hierarchy */

struct tlb_side {
    tlb_array_t *a[TLB_NR_SIZES]; /* NULL when absent */
    int target[TLB_NR_SIZES];     /* array that holds a page of each size (itself or a smaller one), -1 */
    int order[TLB_NR_SIZES], n;   /* present arrays, smallest size first */
    uint32_t latency;
    tlb_array_t *first;           /* order[0]'s array: probed inline */
    unsigned first_size, first_shift;
    uint64_t *hits, *misses, *misses_size[TLB_NR_SIZES], *evictions;
};

struct tlb {
    struct tlb_side side[2]; /* 0: instruction, 1: data */
    tlb_array_t *stlb, *stlb_1g;
    int stlb_target[TLB_NR_SIZES]; /* 0: none, 1: stlb as is, 2: stlb_1g, 3: stlb split into 2M */
    int has_stlb;
    uint32_t stlb_latency;
    uint64_t *stlb_misses_size[TLB_NR_SIZES];
    tlb_stats_t st;
};

void tlb_cfg_default(tlb_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    /* Intel 64 and IA-32 Architectures Optimization Reference Manual (248966-045, Feb 2022),
     * Table 2-15 "TLB Parameters of the Skylake Microarchitecture" (client; Skylake-SP has the same
     * TLBs), as summarised in ../shared/reference/README.md ("Hardware parameters"), and CPUID leaf 2
     * on a Skylake-SP (descriptors 0x03, 0x63, 0x76, 0xb5, 0xc3). */
    cfg->itlb[TLB_4K] = (tlb_array_cfg_t){.entries = 128, .ways = 8, .latency = 1};  /* 128, 8-way */
    cfg->itlb[TLB_2M] = (tlb_array_cfg_t){.entries = 8, .ways = 8, .latency = 1};    /* 8, fully assoc. */
    /* no 1G iTLB: 1G code pages are held as 2M pieces */
    cfg->dtlb[TLB_4K] = (tlb_array_cfg_t){.entries = 64, .ways = 4, .latency = 1};   /* 64, 4-way */
    cfg->dtlb[TLB_2M] = (tlb_array_cfg_t){.entries = 32, .ways = 4, .latency = 1};   /* 32, 4-way */
    cfg->dtlb[TLB_1G] = (tlb_array_cfg_t){.entries = 4, .ways = 4, .latency = 1};    /* 4, 4-way */
    /* STLB: 1536 entries 12-way shared by 4K and 2M pages; 1G pages: 16 entries 4-way. The L1 latency
     * is folded into the load's (1 cycle); the STLB hit latency (~9 cycles) is the reference table's
     * recalled value [R]; ChampSim's Skylake-like configuration uses 8. */
    cfg->stlb = (tlb_array_cfg_t){.entries = 1536, .ways = 12, .latency = 9};
    cfg->stlb_1g = (tlb_array_cfg_t){.entries = 16, .ways = 4, .latency = 9};
    tlb_cfg_set_repl(cfg, TLB_REPL_LRU, 1);
}

void tlb_cfg_set_repl(tlb_cfg_t *cfg, enum tlb_repl repl, uint64_t seed)
{
    for (int s = 0; s < TLB_NR_SIZES; s++) {
        cfg->itlb[s].repl = cfg->dtlb[s].repl = repl;
        cfg->itlb[s].seed = cfg->dtlb[s].seed = seed;
    }
    cfg->stlb.repl = cfg->stlb_1g.repl = repl;
    cfg->stlb.seed = cfg->stlb_1g.seed = seed;
}

static const char *const array_names[TLB_NR_ARRAYS] = {"itlb_4k", "itlb_2m", "itlb_1g", "dtlb_4k",
                                                        "dtlb_2m", "dtlb_1g", "stlb",    "stlb_1g"};

/* Each array gets its own random stream, derived from the configured seed and its identity. */
static tlb_array_t *new_array(const tlb_array_cfg_t *c, int id, char *err, size_t errlen)
{
    if (c->entries == 0)
        return NULL;
    tlb_array_cfg_t cc = *c;
    cc.seed = (c->seed ? c->seed : 1) * 0x9e3779b97f4a7c15ull + (uint64_t)(id + 1) * 0xbf58476d1ce4e5b9ull;
    return tlb_array_new(&cc, array_names[id], err, errlen);
}

void tlb_free(tlb_t *t)
{
    if (!t)
        return;
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < TLB_NR_SIZES; s++)
            tlb_array_free(t->side[k].a[s]);
    tlb_array_free(t->stlb);
    tlb_array_free(t->stlb_1g);
    free(t);
}

tlb_t *tlb_new(const tlb_cfg_t *cfg, char *err, size_t errlen)
{
    tlb_t *t = calloc(1, sizeof(*t));
    if (!t) {
        fmt_err(err, errlen, "tlb: out of memory");
        return NULL;
    }
    for (int k = 0; k < 2; k++) {
        struct tlb_side *sd = &t->side[k];
        const tlb_array_cfg_t *c = k ? cfg->dtlb : cfg->itlb;
        for (int s = 0; s < TLB_NR_SIZES; s++) {
            if (c[s].entries && !(sd->a[s] = new_array(&c[s], k * 3 + s, err, errlen)))
                goto fail;
            if (sd->a[s]) {
                sd->order[sd->n++] = s;
                if (c[s].latency > sd->latency)
                    sd->latency = c[s].latency;
            }
            sd->target[s] = -1;
            for (int j = s; j >= 0; j--)
                if (c[j].entries) {
                    sd->target[s] = j;
                    break;
                }
        }
        if (sd->n) {
            sd->first = sd->a[sd->order[0]];
            sd->first_size = (unsigned)sd->order[0];
            sd->first_shift = tlb_size_shift((enum tlb_size)sd->order[0]);
        }
    }
    t->side[0].hits = &t->st.itlb_hits;
    t->side[0].misses = &t->st.itlb_misses;
    t->side[0].misses_size[0] = &t->st.itlb_misses_4k;
    t->side[0].misses_size[1] = &t->st.itlb_misses_2m;
    t->side[0].misses_size[2] = &t->st.itlb_misses_1g;
    t->side[0].evictions = &t->st.itlb_evictions;
    t->side[1].hits = &t->st.dtlb_hits;
    t->side[1].misses = &t->st.dtlb_misses;
    t->side[1].misses_size[0] = &t->st.dtlb_misses_4k;
    t->side[1].misses_size[1] = &t->st.dtlb_misses_2m;
    t->side[1].misses_size[2] = &t->st.dtlb_misses_1g;
    t->side[1].evictions = &t->st.dtlb_evictions;

    if (cfg->stlb.entries && !(t->stlb = new_array(&cfg->stlb, TLB_STLB, err, errlen)))
        goto fail;
    if (cfg->stlb_1g.entries && !(t->stlb_1g = new_array(&cfg->stlb_1g, TLB_STLB_1G, err, errlen)))
        goto fail;
    t->has_stlb = t->stlb || t->stlb_1g;
    t->stlb_misses_size[TLB_4K] = &t->st.stlb_misses_4k;
    t->stlb_misses_size[TLB_2M] = &t->st.stlb_misses_2m;
    t->stlb_misses_size[TLB_1G] = &t->st.stlb_misses_1g;
    t->stlb_latency = cfg->stlb.entries ? cfg->stlb.latency : 0;
    if (t->stlb_1g && cfg->stlb_1g.latency > t->stlb_latency)
        t->stlb_latency = cfg->stlb_1g.latency;
    t->stlb_target[TLB_4K] = t->stlb ? 1 : 0;
    t->stlb_target[TLB_2M] = t->stlb ? 1 : 0;
    t->stlb_target[TLB_1G] = t->stlb_1g ? 2 : t->stlb ? 3 : 0;
    return t;
fail:
    tlb_free(t);
    return NULL;
}

static inline struct tlb_side *side_of(tlb_t *t, enum tlb_kind kind) { return &t->side[kind != TLB_FETCH]; }

/* Put the translation of the region [cover_va, cover_va + 2^cover) (payload p at its first byte;
 * the page it belongs to has size page) into array a as an entry of size esize <= cover, the piece
 * containing va. Counts a miss in the receiving set. */
static tlb_entry_t *put(tlb_array_t *a, enum tlb_size esize, uint64_t va, unsigned pcid, enum tlb_size cover,
                        enum tlb_size page, const tlb_payload_t *p, int in_stlb, uint64_t *evictions)
{
    uint64_t off = va & ((1ull << tlb_size_shift(cover)) - 1) & ~((1ull << tlb_size_shift(esize)) - 1);
    tlb_payload_t q;
    q.pa_base = p->pa_base + off;
    q.host = p->host ? p->host + off : 0;
    q.flags = (p->flags & ~(SIZE_FIELD | PAGE_FIELD | TLB_F_SPLIT | TLB_F_STLB)) |
              (uint32_t)page << TLB_F_PAGE_SHIFT | (esize < page ? TLB_F_SPLIT : 0) | (in_stlb ? TLB_F_STLB : 0);
    uint64_t vpn = va >> tlb_size_shift(esize);
    tlb_array_note_miss(a, vpn);
    tlb_entry_t ev;
    tlb_entry_t *e = tlb_array_insert(a, vpn, esize, pcid, &q, &ev);
    if (ev.tag & TAG_V)
        (*evictions)++;
    return e;
}

/* Fill L1 of a side with a region of size cover (<= page). */
static tlb_entry_t *fill_l1(struct tlb_side *sd, uint64_t va, unsigned pcid, enum tlb_size cover,
                            enum tlb_size page, const tlb_payload_t *p)
{
    (*sd->misses_size[page])++;
    int k = sd->target[cover];
    if (k < 0)
        return NULL;
    return put(sd->a[k], (enum tlb_size)k, va, pcid, cover, page, p, 0, sd->evictions);
}

/* The rest of a lookup once the side's first L1 array missed: its other L1 arrays, then the STLB.
 * Out of line, so that the common hit pays for a small function. */
static __attribute__((noinline)) enum tlb_level lookup_rest(tlb_t *t, struct tlb_side *sd, uint64_t va, unsigned pcid,
                                                            tlb_result_t *res)
{
    for (int i = 1; i < sd->n; i++) {
        int s = sd->order[i];
        tlb_array_t *a = sd->a[s];
        uint64_t vpn = va >> tlb_size_shift((enum tlb_size)s);
        tlb_entry_t *e = probe(a, make_key(vpn, (unsigned)s, pcid), vpn);
        if (e) {
            array_hit(a, e);
            (*sd->hits)++;
            res->entry = e;
            res->level = TLB_HIT_L1;
            res->cycles = sd->latency;
            return TLB_HIT_L1;
        }
    }
    (*sd->misses)++;
    res->cycles = sd->latency + t->stlb_latency;
    res->entry = NULL;
    res->level = TLB_MISS;
    if (!t->has_stlb)
        return TLB_MISS;

    tlb_array_t *a = NULL;
    tlb_entry_t *e = NULL;
    if (t->stlb) {
        a = t->stlb;
        uint64_t vpn = va >> 12;
        e = probe(a, make_key(vpn, TLB_4K, pcid), vpn);
        if (!e) {
            vpn = va >> 21;
            e = probe(a, make_key(vpn, TLB_2M, pcid), vpn);
        }
    }
    if (!e && t->stlb_1g) {
        a = t->stlb_1g;
        uint64_t vpn = va >> 30;
        e = probe(a, make_key(vpn, TLB_1G, pcid), vpn);
    }
    if (!e) {
        t->st.stlb_misses++;
        return TLB_MISS;
    }
    array_hit(a, e);
    t->st.stlb_hits++;
    tlb_payload_t p = {e->pa_base, e->host, e->flags};
    enum tlb_size page = (enum tlb_size)((e->flags >> TLB_F_PAGE_SHIFT) & 3);
    tlb_entry_t *l1 = fill_l1(sd, va, pcid, tlb_entry_size(e), page, &p);
    res->entry = l1 ? l1 : e;
    res->level = TLB_HIT_STLB;
    return TLB_HIT_STLB;
}

enum tlb_level tlb_lookup(tlb_t *t, enum tlb_kind kind, uint64_t va, unsigned pcid, tlb_result_t *res)
{
    struct tlb_side *sd = side_of(t, kind);
    va &= VA_MASK;
    pcid &= TLB_PCID_MASK;
    tlb_array_t *a = sd->first;
    if (a) {
        uint64_t vpn = va >> sd->first_shift;
        tlb_entry_t *e = probe(a, make_key(vpn, sd->first_size, pcid), vpn);
        if (e) {
            array_hit(a, e);
            (*sd->hits)++;
            res->entry = e;
            res->level = TLB_HIT_L1;
            res->cycles = sd->latency;
            return TLB_HIT_L1;
        }
    }
    return lookup_rest(t, sd, va, pcid, res);
}

uint32_t tlb_hit(tlb_t *t, enum tlb_kind kind, tlb_entry_t *e)
{
    struct tlb_side *sd = side_of(t, kind);
    enum tlb_size s = tlb_entry_size(e);
    if (!(e->flags & TLB_F_STLB)) {
        assert(e->tag & TAG_V);
        array_hit(sd->a[s], e);
        (*sd->hits)++;
        return sd->latency;
    }
    /* An STLB entry serves the access directly: this side's L1 cannot hold the page at all. */
    tlb_array_t *a = (s == TLB_1G && t->stlb_1g) ? t->stlb_1g : t->stlb;
    assert(a && e >= a->e && e < a->e + (size_t)a->sets * a->ways && (e->tag & TAG_V));
    assert(sd->target[s] < 0);
    (*sd->misses)++;
    (*sd->misses_size[(e->flags >> TLB_F_PAGE_SHIFT) & 3])++;
    array_hit(a, e);
    t->st.stlb_hits++;
    return sd->latency + t->stlb_latency;
}

void tlb_add_repeat_hits(tlb_t *t, enum tlb_kind kind, tlb_entry_t *e, uint64_t n)
{
    struct tlb_side *sd = side_of(t, kind);
    enum tlb_size s = tlb_entry_size(e);
    assert(!(e->flags & TLB_F_STLB) && sd->a[s]);
    tlb_array_t *a = sd->a[s];
    a->st.hits += n;
    a->set_hits[e->set] += n;
    *sd->hits += n;
}

tlb_entry_t *tlb_fill(tlb_t *t, enum tlb_kind kind, uint64_t va, unsigned pcid, enum tlb_size size,
                      const tlb_payload_t *p)
{
    struct tlb_side *sd = side_of(t, kind);
    va &= VA_MASK;
    pcid &= TLB_PCID_MASK;
    t->st.tlb_fills++;
    tlb_entry_t *se = NULL;
    if (t->has_stlb) {
        (*t->stlb_misses_size[size])++;
        switch (t->stlb_target[size]) {
        case 1:
            se = put(t->stlb, size, va, pcid, size, size, p, 1, &t->st.stlb_evictions);
            break;
        case 2:
            se = put(t->stlb_1g, TLB_1G, va, pcid, size, size, p, 1, &t->st.stlb_evictions);
            break;
        case 3:
            se = put(t->stlb, TLB_2M, va, pcid, size, size, p, 1, &t->st.stlb_evictions);
            break;
        default:
            break;
        }
    }
    tlb_entry_t *l1 = fill_l1(sd, va, pcid, size, size, p);
    return l1 ? l1 : se;
}

static int mark_dirty(tlb_array_t *a, enum tlb_size s, uint64_t va, unsigned pcid)
{
    if (!a)
        return 0;
    uint64_t vpn = va >> tlb_size_shift(s);
    tlb_entry_t *e = probe(a, make_key(vpn, s, pcid), vpn);
    if (!e)
        return 0;
    e->flags |= TLB_F_D;
    return 1;
}

int tlb_mark_dirty(tlb_t *t, uint64_t va, unsigned pcid)
{
    va &= VA_MASK;
    pcid &= TLB_PCID_MASK;
    int n = 0;
    for (int s = 0; s < TLB_NR_SIZES; s++)
        n += mark_dirty(t->side[1].a[s], (enum tlb_size)s, va, pcid);
    n += mark_dirty(t->stlb, TLB_4K, va, pcid);
    n += mark_dirty(t->stlb, TLB_2M, va, pcid);
    n += mark_dirty(t->stlb_1g, TLB_1G, va, pcid);
    return n;
}

/* Every array with the sizes it can hold, for flushes. */
static int arrays(tlb_t *t, tlb_array_t **out)
{
    int n = 0;
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < TLB_NR_SIZES; s++)
            if (t->side[k].a[s])
                out[n++] = t->side[k].a[s];
    if (t->stlb)
        out[n++] = t->stlb;
    if (t->stlb_1g)
        out[n++] = t->stlb_1g;
    return n;
}

void tlb_flush_all(tlb_t *t, int keep_global)
{
    tlb_array_t *a[TLB_NR_ARRAYS];
    int n = arrays(t, a);
    t->st.tlb_flushes++;
    for (int i = 0; i < n; i++)
        t->st.tlb_invalidated += (uint64_t)tlb_array_flush_all(a[i], keep_global);
}

void tlb_flush_pcid(tlb_t *t, unsigned pcid, int keep_global)
{
    tlb_array_t *a[TLB_NR_ARRAYS];
    int n = arrays(t, a);
    t->st.tlb_flushes_pcid++;
    for (int i = 0; i < n; i++)
        t->st.tlb_invalidated += (uint64_t)tlb_array_flush_pcid(a[i], pcid, keep_global);
}

static int invlpg_array(tlb_array_t *a, enum tlb_size s, uint64_t va, unsigned pcid)
{
    if (!a)
        return 0;
    return tlb_array_invalidate(a, va >> tlb_size_shift(s), s, pcid);
}

void tlb_invlpg(tlb_t *t, uint64_t va, unsigned pcid)
{
    va &= VA_MASK;
    pcid &= TLB_PCID_MASK;
    int n = 0;
    t->st.tlb_invlpgs++;
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < TLB_NR_SIZES; s++)
            n += invlpg_array(t->side[k].a[s], (enum tlb_size)s, va, pcid);
    n += invlpg_array(t->stlb, TLB_4K, va, pcid);
    n += invlpg_array(t->stlb, TLB_2M, va, pcid);
    n += invlpg_array(t->stlb_1g, TLB_1G, va, pcid);
    tlb_array_t *a[TLB_NR_ARRAYS];
    int na = arrays(t, a);
    for (int i = 0; i < na; i++)
        if (a[i]->nr_split)
            n += invalidate_pieces(a[i], va, pcid);
    t->st.tlb_invalidated += (uint64_t)n;
}

const tlb_stats_t *tlb_stats(const tlb_t *t) { return &t->st; }

uint64_t tlb_lookup_cycles(const tlb_t *t)
{
    uint64_t c = 0;
    for (int k = 0; k < 2; k++) {
        const struct tlb_side *sd = &t->side[k];
        c += *sd->hits * sd->latency + *sd->misses * (uint64_t)(sd->latency + t->stlb_latency);
    }
    return c;
}

const tlb_array_t *tlb_get_array(const tlb_t *t, enum tlb_array_id id)
{
    switch (id) {
    case TLB_ITLB_4K:
    case TLB_ITLB_2M:
    case TLB_ITLB_1G:
        return t->side[0].a[id - TLB_ITLB_4K];
    case TLB_DTLB_4K:
    case TLB_DTLB_2M:
    case TLB_DTLB_1G:
        return t->side[1].a[id - TLB_DTLB_4K];
    case TLB_STLB:
        return t->stlb;
    case TLB_STLB_1G:
        return t->stlb_1g;
    default:
        return NULL;
    }
}

void tlb_reset_stats(tlb_t *t)
{
    memset(&t->st, 0, sizeof(t->st));
    tlb_array_t *a[TLB_NR_ARRAYS];
    int n = arrays(t, a);
    for (int i = 0; i < n; i++)
        tlb_array_reset_stats(a[i]);
}

int tlb_check(const tlb_t *t, char *err, size_t errlen)
{
    tlb_array_t *a[TLB_NR_ARRAYS];
    int n = arrays((tlb_t *)t, a);
    for (int i = 0; i < n; i++) {
        if (tlb_array_check(a[i], err, errlen) < 0)
            return -1;
        size_t total = (size_t)a[i]->sets * a[i]->ways;
        int in_stlb = a[i] == t->stlb || a[i] == t->stlb_1g;
        for (size_t j = 0; j < total; j++)
            if ((a[i]->e[j].tag & TAG_V) && !!(a[i]->e[j].flags & TLB_F_STLB) != in_stlb) {
                fmt_err(err, errlen, "%s: entry %zu has a wrong STLB flag", a[i]->name, j);
                return -1;
            }
    }
    /* L1 hits are counted in the level and in exactly one array; STLB hits likewise. */
    for (int k = 0; k < 2; k++) {
        uint64_t h = 0;
        for (int s = 0; s < TLB_NR_SIZES; s++)
            if (t->side[k].a[s])
                h += t->side[k].a[s]->st.hits;
        if (h != *t->side[k].hits) {
            fmt_err(err, errlen, "%s: level hits %" PRIu64 " but its arrays count %" PRIu64, k ? "dtlb" : "itlb",
                    *t->side[k].hits, h);
            return -1;
        }
    }
    uint64_t sh = (t->stlb ? t->stlb->st.hits : 0) + (t->stlb_1g ? t->stlb_1g->st.hits : 0);
    if (sh != t->st.stlb_hits) {
        fmt_err(err, errlen, "stlb: level hits %" PRIu64 " but its arrays count %" PRIu64, t->st.stlb_hits, sh);
        return -1;
    }
    if (t->st.stlb_hits + t->st.stlb_misses > t->st.itlb_misses + t->st.dtlb_misses) {
        fmt_err(err, errlen, "stlb: more lookups than L1 misses");
        return -1;
    }
    return 0;
}
