/* cache: set-associative caches, a private hierarchy per core, an LLC per socket, MESI coherence.
 *
 * The array
 * ---------
 * A level of size B, W ways and L-byte lines has S = B / (W * L) sets. The line number of a
 * physical address is pa >> log2(L); its set is the line number modulo S (a mask when S is a power
 * of two, as for every private level; Skylake-SP's LLC has 2048 sets per core, so a socket with a
 * core count that is not a power of two needs the modulo; the real LLC hashes lines over slices, an
 * undocumented function that is not modelled). Lines are stored set by set, one 64-bit word each:
 * bits 63:3 the line number, bit 2 dirty, bits 1:0 the MESI state (LLC lines use S for "valid");
 * an invalid way holds all ones, which no line number shifted left by three can equal, so a lookup
 * compares (word & ~7) against the line number shifted left by three, W compares and no separate
 * valid bit. Replacement state lives beside the tags:
 *   - LRU: a per-array use clock; a use stores the incremented clock in the way's stamp, the victim
 *     has the smallest stamp. Exact at any associativity and a hit costs one store.
 *   - Tree-PLRU: see the essay above plru_touch().
 *   - Random: xorshift64 seeded from the configuration (mixed with the core and the level through
 *     splitmix64, so every array has its own stream); the victim is x % W. Deterministic.
 * Every policy fills an invalid way first. Counters: the level counters and hits, misses and
 * evictions per set (the visualizer's heatmap); cache_check verifies that the sets sum to the totals.
 *
 * The private hierarchy
 * ---------------------
 * A core has up to CACHE_MAX_PRIVATE private levels, each serving the instruction side, the data
 * side or both. An access walks the levels of its side from the core outwards and stops at the
 * first that holds the line; the levels it passed are filled from there (write-allocate for stores
 * too). The private levels are neither inclusive nor exclusive of one another (a line may leave
 * L2 and stay in L1D). A dirty victim is written to the next private level serving its side
 * (allocating there if absent, which may cascade), and from the last private level to the socket's
 * LLC (allocating there: a non-inclusive LLC takes in dirty victims) or to memory when there is no
 * LLC. Write-backs cost the access nothing: they are off the critical path (write-back buffers).
 *
 * The MESI state of a line in a core is kept in every private copy of it (all copies of one core
 * agree); a dirty bit per copy says which copy is newer than the level below it. A store makes the
 * core's copies M and dirties its first-level copy. The directory of each socket maps a line to the
 * mask of the socket's cores holding it anywhere in their private levels (Intel's snoop filter); it
 * is exact: every fill sets a bit, and the eviction of a core's last copy clears it. The coherence
 * protocol is described above fetch_line().
 */
#include "cache.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_INVALID (~0ull)
#define TAG_STATE 3ull
#define TAG_DIRTY 4ull
#define TAG_KEYMASK (~7ull)

struct cache_array {
    uint64_t *tags;       /* [sets * ways] */
    uint64_t *stamp;      /* LRU: [sets * ways] use clock values */
    uint64_t *plru;       /* PLRU: one word of node bits per set */
    uint64_t set_mask;    /* sets - 1 when sets is a power of two */
    uint32_t sets, ways, p2, latency, line_shift;
    int pow2;
    enum cache_repl repl;
    uint64_t clock;       /* LRU use clock */
    uint64_t rng;         /* random: xorshift64 state */
    cache_level_stats_t st;
    uint64_t *set_hits, *set_misses, *set_evictions;
    char name[8];
};

typedef struct core {
    cache_array_t *lv[CACHE_MAX_PRIVATE]; /* by cfg index; NULL: absent */
    uint8_t npath[2];                     /* levels on the I (0) and D (1) side */
    uint8_t path[2][CACHE_MAX_PRIVATE];   /* their cfg indices, from the core outwards */
    int8_t next[CACHE_MAX_PRIVATE];       /* where a dirty victim of level i goes: level or -1 (LLC) */
    int socket, idx;                      /* socket, core index in the socket */
    int ishort;                           /* the first I-side level serves fetches only */
    uint64_t *last_islot;                 /* the first I-level way that served the last fetch */
    uint64_t last_ikey;                   /* its line number << 3 */
    uint32_t last_iset;
    cache_coh_stats_t coh;
} core_t;

/* Directory of one socket: open addressing with linear probing, line -> core mask. */
typedef struct dir {
    uint64_t *keys;   /* line number, or TAG_INVALID for an empty slot */
    uint64_t *masks;
    uint64_t cap_mask;
    unsigned shift;
    uint64_t n;
} dir_t;

typedef struct sock {
    cache_array_t *llc;
    dir_t dir;
} sock_t;

struct cache_sys {
    cache_cfg_t cfg;
    int ncpu, nsock, cps, nlv;
    uint32_t line_shift;
    core_t *cores;
    sock_t *socks;
    uint32_t *c2c; /* [ncpu * ncpu] */
};

/* ---------------------------------------------------------------------------------------------- */
/* Arrays */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void array_free(cache_array_t *a)
{
    if (!a)
        return;
    free(a->tags);
    free(a->stamp);
    free(a->plru);
    free(a->set_hits);
    free(a->set_misses);
    free(a->set_evictions);
    free(a);
}

/* Build an array of cfg with line size line; stream picks the random stream. */
static cache_array_t *array_new(const cache_level_cfg_t *cfg, uint32_t line, uint64_t stream,
                                char *err, size_t errlen)
{
    if (cfg->ways < 1 || cfg->ways > 64) {
        seterr(err, errlen, "cache %s: ways %u not in 1..64", cfg->name, cfg->ways);
        return NULL;
    }
    if (cfg->repl != CACHE_REPL_LRU && cfg->repl != CACHE_REPL_PLRU && cfg->repl != CACHE_REPL_RANDOM) {
        seterr(err, errlen, "cache %s: bad replacement policy %d", cfg->name, (int)cfg->repl);
        return NULL;
    }
    uint64_t per_set = (uint64_t)cfg->ways * line;
    if (cfg->size % per_set || cfg->size / per_set == 0 || cfg->size / per_set > (1ull << 31)) {
        seterr(err, errlen, "cache %s: size %" PRIu64 " is not a positive multiple of ways x line (%" PRIu64 ")",
               cfg->name, cfg->size, per_set);
        return NULL;
    }
    cache_array_t *a = calloc(1, sizeof(*a));
    if (!a)
        goto oom;
    a->sets = (uint32_t)(cfg->size / per_set);
    a->ways = cfg->ways;
    a->latency = cfg->latency;
    a->line_shift = (uint32_t)__builtin_ctz(line);
    a->repl = cfg->repl;
    a->pow2 = (a->sets & (a->sets - 1)) == 0;
    a->set_mask = a->sets - 1;
    snprintf(a->name, sizeof(a->name), "%s", cfg->name);
    size_t n = (size_t)a->sets * a->ways;
    a->tags = malloc(n * sizeof(uint64_t));
    a->set_hits = calloc(a->sets, sizeof(uint64_t));
    a->set_misses = calloc(a->sets, sizeof(uint64_t));
    a->set_evictions = calloc(a->sets, sizeof(uint64_t));
    if (!a->tags || !a->set_hits || !a->set_misses || !a->set_evictions)
        goto oom;
    memset(a->tags, 0xff, n * sizeof(uint64_t));
    a->p2 = 1;
    while (a->p2 < a->ways)
        a->p2 <<= 1;
    if (a->repl == CACHE_REPL_LRU) {
        a->stamp = calloc(n, sizeof(uint64_t));
        if (!a->stamp)
            goto oom;
    } else if (a->repl == CACHE_REPL_PLRU) {
        a->plru = calloc(a->sets, sizeof(uint64_t));
        if (!a->plru)
            goto oom;
    }
    a->rng = splitmix64(cfg->seed ^ splitmix64(stream));
    if (!a->rng)
        a->rng = 0x2545f4914f6cdd1dull;
    return a;
oom:
    array_free(a);
    seterr(err, errlen, "cache %s: out of memory", cfg->name);
    return NULL;
}

static inline uint32_t arr_set(const cache_array_t *a, uint64_t line)
{
    return a->pow2 ? (uint32_t)(line & a->set_mask) : (uint32_t)(line % a->sets);
}

static inline uint64_t *arr_row(const cache_array_t *a, uint32_t set)
{
    return a->tags + (size_t)set * a->ways;
}

/* Way of set holding key (line << 3), or -1. */
static inline int arr_find(const cache_array_t *a, uint32_t set, uint64_t key)
{
    const uint64_t *t = arr_row(a, set);
    for (uint32_t w = 0; w < a->ways; w++)
        if ((t[w] & TAG_KEYMASK) == key)
            return (int)w;
    return -1;
}

/* Tree pseudo-LRU.
 *
 * The ways of a set are the leaves of a complete binary tree with P leaves, P the associativity
 * rounded up to a power of two. Each internal node (numbered 1 for the root, 2n and 2n + 1 for the
 * children of n, so leaf w is node P + w) holds one bit that points at the half the next victim
 * should come from: 0 the left subtree, 1 the right. Using way w walks from its leaf to the root
 * and sets each node on the way to point at the other half, away from w, so the most recently used
 * way is the last the tree would choose. The victim is found by following the pointers from the
 * root down to a leaf: P - 1 bits per set instead of a full order, log2(P) steps per use, and the
 * same choices as hardware tree-PLRU (Intel's L1 and L2 use variants of it).
 *
 * When W is not a power of two (Skylake-SP's 11-way LLC) some leaves have no way behind them; the
 * descent never enters a subtree whose first leaf is past the last way, so it takes the left child
 * there whatever the bit says. The node bits of a set fit one 64-bit word (W <= 64). */
static inline void plru_touch(cache_array_t *a, uint32_t set, uint32_t w)
{
    uint64_t bits = a->plru[set];
    uint32_t n = a->p2 + w;
    while (n > 1) {
        uint32_t p = n >> 1;
        if (n & 1)
            bits &= ~(1ull << p); /* w is in the right half: point left */
        else
            bits |= 1ull << p;    /* w is in the left half: point right */
        n = p;
    }
    a->plru[set] = bits;
}

static uint32_t plru_victim(const cache_array_t *a, uint32_t set)
{
    uint64_t bits = a->plru[set];
    uint32_t n = 1;
    while (n < a->p2) {
        uint32_t c = 2 * n + (uint32_t)((bits >> n) & 1);
        uint32_t first = c;
        while (first < a->p2)
            first <<= 1;
        if (first - a->p2 >= a->ways)
            c = 2 * n;
        n = c;
    }
    return n - a->p2;
}

static inline void arr_touch(cache_array_t *a, uint32_t set, uint32_t w)
{
    if (a->repl == CACHE_REPL_LRU)
        a->stamp[(size_t)set * a->ways + w] = ++a->clock;
    else if (a->repl == CACHE_REPL_PLRU)
        plru_touch(a, set, w);
}

static uint32_t arr_victim(cache_array_t *a, uint32_t set)
{
    if (a->repl == CACHE_REPL_LRU) {
        /* Invalid ways carry stamp 0 (arr_invalidate), older than any use: one scan finds the first
         * invalid way, else the least recently used. */
        const uint64_t *s = a->stamp + (size_t)set * a->ways;
        uint32_t best = 0;
        for (uint32_t w = 1; w < a->ways; w++)
            if (s[w] < s[best])
                best = w;
        return best;
    }
    const uint64_t *t = arr_row(a, set);
    for (uint32_t w = 0; w < a->ways; w++)
        if (t[w] == TAG_INVALID)
            return w;
    switch (a->repl) {
    case CACHE_REPL_PLRU:
        return plru_victim(a, set);
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

/* Drop the line in (set, w). */
static inline void arr_invalidate(cache_array_t *a, uint32_t set, uint32_t w)
{
    arr_row(a, set)[w] = TAG_INVALID;
    if (a->stamp)
        a->stamp[(size_t)set * a->ways + w] = 0;
}

/* Insert word (key | meta) into set; the new line counts as used. Returns the valid word it
 * replaced (counted as an eviction) or TAG_INVALID. */
static uint64_t arr_insert(cache_array_t *a, uint32_t set, uint64_t word, int *way)
{
    uint32_t w = arr_victim(a, set);
    uint64_t *t = arr_row(a, set);
    uint64_t old = t[w];
    t[w] = word;
    arr_touch(a, set, w);
    a->st.fills++;
    if (old != TAG_INVALID) {
        a->st.evictions++;
        a->set_evictions[set]++;
    }
    if (way)
        *way = (int)w;
    return old;
}

/* ---------------------------------------------------------------------------------------------- */
/* Directory */

/* The table starts small and doubles when half full: its size follows the lines the socket's cores
 * really hold (at most all their private lines), so a lightly used directory stays in the host's
 * caches. Growing happens on the miss path only, a bounded number of times. */
static int dir_alloc(dir_t *d, uint64_t cap)
{
    unsigned bits = (unsigned)__builtin_ctzll(cap);
    d->keys = malloc(cap * sizeof(uint64_t));
    d->masks = calloc(cap, sizeof(uint64_t));
    if (!d->keys || !d->masks) {
        free(d->keys);
        free(d->masks);
        d->keys = d->masks = NULL;
        return -1;
    }
    memset(d->keys, 0xff, cap * sizeof(uint64_t));
    d->cap_mask = cap - 1;
    d->shift = 64 - bits;
    d->n = 0;
    return 0;
}

static int dir_init(dir_t *d) { return dir_alloc(d, 1024); }

static void dir_put(dir_t *d, uint64_t line, uint64_t mask);

static void dir_grow(dir_t *d)
{
    dir_t old = *d;
    if (dir_alloc(d, (old.cap_mask + 1) * 2) < 0) {
        *d = old; /* keep the full table: it still works up to its last slot */
        return;
    }
    for (uint64_t i = 0; i <= old.cap_mask; i++)
        if (old.keys[i] != TAG_INVALID)
            dir_put(d, old.keys[i], old.masks[i]);
    free(old.keys);
    free(old.masks);
}

static inline uint64_t dir_hash(const dir_t *d, uint64_t line)
{
    return (line * 0x9e3779b97f4a7c15ull) >> d->shift;
}

static inline int64_t dir_slot(const dir_t *d, uint64_t line)
{
    for (uint64_t i = dir_hash(d, line);; i = (i + 1) & d->cap_mask) {
        if (d->keys[i] == line)
            return (int64_t)i;
        if (d->keys[i] == TAG_INVALID)
            return -1;
    }
}

static inline uint64_t dir_get(const dir_t *d, uint64_t line)
{
    int64_t i = dir_slot(d, line);
    return i < 0 ? 0 : d->masks[i];
}

/* Insert a line known to be absent (table with room). */
static void dir_put(dir_t *d, uint64_t line, uint64_t mask)
{
    uint64_t i = dir_hash(d, line);
    while (d->keys[i] != TAG_INVALID)
        i = (i + 1) & d->cap_mask;
    d->keys[i] = line;
    d->masks[i] = mask;
    d->n++;
}

static void dir_set_bit(dir_t *d, uint64_t line, int idx)
{
    int64_t s = dir_slot(d, line);
    if (s >= 0) {
        d->masks[s] |= 1ull << idx;
        return;
    }
    if (2 * (d->n + 1) > d->cap_mask + 1)
        dir_grow(d);
    if (d->n + 1 > d->cap_mask) {
        fprintf(stderr, "cache: out of memory for the directory\n");
        abort();
    }
    dir_put(d, line, 1ull << idx);
}

/* Clear idx's bit; the entry goes when its mask is empty (backward-shift deletion keeps every
 * remaining key reachable from its home slot without tombstones). */
static void dir_clear_bit(dir_t *d, uint64_t line, int idx)
{
    int64_t s = dir_slot(d, line);
    if (s < 0)
        return;
    uint64_t i = (uint64_t)s;
    d->masks[i] &= ~(1ull << idx);
    if (d->masks[i])
        return;
    d->n--;
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & d->cap_mask;
        if (d->keys[j] == TAG_INVALID)
            break;
        uint64_t home = dir_hash(d, d->keys[j]);
        /* Move j back into the hole at i unless its home lies cyclically in (i, j]. */
        if (((j - home) & d->cap_mask) >= ((j - i) & d->cap_mask)) {
            d->keys[i] = d->keys[j];
            d->masks[i] = d->masks[j];
            i = j;
        }
    }
    d->keys[i] = TAG_INVALID;
    d->masks[i] = 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Configuration */

static void level(cache_level_cfg_t *l, const char *name, uint64_t size, uint32_t ways, uint32_t lat,
                  unsigned sides)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->size = size;
    l->ways = ways;
    l->latency = lat;
    l->repl = CACHE_REPL_LRU;
    l->sides = sides;
}

/* Sources (docs/CACHE.md): Intel 64 and IA-32 Architectures Optimization Reference Manual, Skylake
 * server microarchitecture (L1D 32 KiB 8-way 4-5 cycles, L2 1 MiB 16-way 14 cycles, LLC 1.375 MiB
 * per core 11-way non-inclusive, 50-70 cycles); AnandTech's Skylake-SP review (the same geometry,
 * L1 4 cycles); core-to-core latencies from the table of shared/seeds/000 (about 18 ns within a
 * socket, 85 ns across, as nviennot/core-to-core-latency measures them). */
void cache_cfg_default(cache_cfg_t *cfg, int sockets, int cores_per_socket)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->sockets = sockets;
    cfg->cores_per_socket = cores_per_socket;
    cfg->line_size = 64;
    cfg->nprivate = 3;
    /* An L1I hit is hidden by the decoupled front end: it costs 0; misses pay the level that serves. */
    level(&cfg->priv[0], "l1i", 32 << 10, 8, 0, CACHE_SIDE_I);
    level(&cfg->priv[1], "l1d", 32 << 10, 8, 4, CACHE_SIDE_D);
    level(&cfg->priv[2], "l2", 1 << 20, 16, 14, CACHE_SIDE_I | CACHE_SIDE_D);
    level(&cfg->llc, "llc", (uint64_t)cores_per_socket * (1408u << 10), 11, 60, 0);
    cfg->inclusion = CACHE_NON_INCLUSIVE;
    cfg->cpu_ghz = 2.5;
    cfg->c2c_local_ns = 18;
    cfg->c2c_remote_ns = 85;
}

void cache_cfg_set_repl(cache_cfg_t *cfg, enum cache_repl repl, uint64_t seed)
{
    for (int i = 0; i < CACHE_MAX_PRIVATE; i++) {
        cfg->priv[i].repl = repl;
        cfg->priv[i].seed = seed;
    }
    cfg->llc.repl = repl;
    cfg->llc.seed = seed;
}

/* ---------------------------------------------------------------------------------------------- */
/* Construction */

void cache_free(cache_sys_t *h)
{
    if (!h)
        return;
    if (h->cores)
        for (int c = 0; c < h->ncpu; c++)
            for (int i = 0; i < CACHE_MAX_PRIVATE; i++)
                array_free(h->cores[c].lv[i]);
    if (h->socks)
        for (int s = 0; s < h->nsock; s++) {
            array_free(h->socks[s].llc);
            free(h->socks[s].dir.keys);
            free(h->socks[s].dir.masks);
        }
    free(h->cores);
    free(h->socks);
    free(h->c2c);
    free(h);
}

static uint32_t ns_to_cycles(double ns, double ghz)
{
    double c = ns * ghz;
    return c <= 0 ? 0 : (uint32_t)llround(c);
}

cache_sys_t *cache_new(const cache_cfg_t *cfg, char *err, size_t errlen)
{
    if (cfg->sockets < 1 || cfg->sockets > 64) {
        seterr(err, errlen, "cache: sockets %d not in 1..64", cfg->sockets);
        return NULL;
    }
    if (cfg->cores_per_socket < 1 || cfg->cores_per_socket > CACHE_MAX_CORES_PER_SOCKET) {
        seterr(err, errlen, "cache: cores per socket %d not in 1..%d", cfg->cores_per_socket,
               CACHE_MAX_CORES_PER_SOCKET);
        return NULL;
    }
    if (cfg->line_size < 8 || (cfg->line_size & (cfg->line_size - 1)) || cfg->line_size > 4096) {
        seterr(err, errlen, "cache: line size %u is not a power of two in 8..4096", cfg->line_size);
        return NULL;
    }
    if (cfg->nprivate < 0 || cfg->nprivate > CACHE_MAX_PRIVATE) {
        seterr(err, errlen, "cache: %d private levels (at most %d)", cfg->nprivate, CACHE_MAX_PRIVATE);
        return NULL;
    }
    if (cfg->inclusion != CACHE_NON_INCLUSIVE && cfg->inclusion != CACHE_INCLUSIVE) {
        seterr(err, errlen, "cache: bad inclusion policy %d", (int)cfg->inclusion);
        return NULL;
    }
    for (int i = 0; i <= cfg->nprivate; i++) {
        const cache_level_cfg_t *l = i < cfg->nprivate ? &cfg->priv[i] : &cfg->llc;
        if (!l->size)
            continue;
        if (l->line && l->line != cfg->line_size) {
            seterr(err, errlen, "cache %s: line size %u differs from the system's %u (one line size "
                   "for the whole hierarchy)", l->name, l->line, cfg->line_size);
            return NULL;
        }
        if (i < cfg->nprivate && !(l->sides & (CACHE_SIDE_I | CACHE_SIDE_D))) {
            seterr(err, errlen, "cache %s: a private level must serve the I side, the D side or both", l->name);
            return NULL;
        }
    }

    cache_sys_t *h = calloc(1, sizeof(*h));
    if (!h) {
        seterr(err, errlen, "cache: out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    h->cfg.c2c_ns = NULL;
    h->nsock = cfg->sockets;
    h->cps = cfg->cores_per_socket;
    h->ncpu = h->nsock * h->cps;
    h->nlv = cfg->nprivate;
    h->line_shift = (uint32_t)__builtin_ctz(cfg->line_size);
    h->cores = calloc((size_t)h->ncpu, sizeof(core_t));
    h->socks = calloc((size_t)h->nsock, sizeof(sock_t));
    h->c2c = malloc((size_t)h->ncpu * h->ncpu * sizeof(uint32_t));
    if (!h->cores || !h->socks || !h->c2c) {
        seterr(err, errlen, "cache: out of memory");
        goto fail;
    }
    for (int c = 0; c < h->ncpu; c++) {
        core_t *k = &h->cores[c];
        k->socket = c / h->cps;
        k->idx = c % h->cps;
        for (int i = 0; i < h->nlv; i++) {
            const cache_level_cfg_t *l = &cfg->priv[i];
            k->next[i] = -1;
            if (!l->size)
                continue;
            k->lv[i] = array_new(l, cfg->line_size, ((uint64_t)c << 8) | (uint64_t)i, err, errlen);
            if (!k->lv[i])
                goto fail;
            if (l->sides & CACHE_SIDE_I)
                k->path[0][k->npath[0]++] = (uint8_t)i;
            if (l->sides & CACHE_SIDE_D)
                k->path[1][k->npath[1]++] = (uint8_t)i;
        }
        k->ishort = k->npath[0] && cfg->priv[k->path[0][0]].sides == CACHE_SIDE_I;
        for (int i = 0; i < h->nlv; i++) {
            if (!k->lv[i])
                continue;
            for (int j = i + 1; j < h->nlv; j++)
                if (k->lv[j] && (cfg->priv[j].sides & cfg->priv[i].sides)) {
                    k->next[i] = (int8_t)j;
                    break;
                }
        }
    }
    for (int s = 0; s < h->nsock; s++) {
        if (cfg->llc.size) {
            h->socks[s].llc = array_new(&cfg->llc, cfg->line_size, 0xffff00ull | (uint64_t)s, err, errlen);
            if (!h->socks[s].llc)
                goto fail;
        }
        if (dir_init(&h->socks[s].dir) < 0) {
            seterr(err, errlen, "cache: out of memory");
            goto fail;
        }
    }
    for (int a = 0; a < h->ncpu; a++)
        for (int b = 0; b < h->ncpu; b++) {
            double ns = cfg->c2c_ns ? cfg->c2c_ns[(size_t)a * h->ncpu + b]
                        : (a / h->cps == b / h->cps ? cfg->c2c_local_ns : cfg->c2c_remote_ns);
            h->c2c[(size_t)a * h->ncpu + b] = ns_to_cycles(ns, cfg->cpu_ghz);
        }
    return h;
fail:
    cache_free(h);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Helpers of the hierarchy */

static inline uint32_t c2c(const cache_sys_t *h, int a, int b)
{
    return h->c2c[(size_t)a * h->ncpu + b];
}

/* Latency from cpu to a cache of socket t that no core answers for (its LLC): to its first core. */
static inline uint32_t c2c_sock(const cache_sys_t *h, int cpu, int t)
{
    return c2c(h, cpu, t * h->cps);
}

static inline uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

static void mem_write(cache_sys_t *h, int socket, uint64_t line, uint64_t now)
{
    if (h->cfg.mem)
        (void)h->cfg.mem(h->cfg.mem_arg, socket, line << h->line_shift, 1, now);
}

/* Latency at which a request leaving core k's private levels of a side is answered by the socket
 * (the LLC's latency), or, with no LLC, at which the last private level reports its miss. */
static uint32_t base_latency(const cache_sys_t *h, const core_t *k, int side)
{
    const sock_t *so = &h->socks[k->socket];
    if (so->llc)
        return so->llc->latency;
    if (k->npath[side])
        return k->lv[k->path[side][k->npath[side] - 1]]->latency;
    return 0;
}

/* MESI state of line in core k (the state of its first copy). */
static unsigned core_state(const core_t *k, int nlv, uint64_t line)
{
    uint64_t key = line << 3;
    for (int i = 0; i < nlv; i++) {
        const cache_array_t *a = k->lv[i];
        if (!a)
            continue;
        uint32_t set = arr_set(a, line);
        int w = arr_find(a, set, key);
        if (w >= 0)
            return (unsigned)(arr_row(a, set)[w] & TAG_STATE);
    }
    return CACHE_I;
}

/* Set the state of every private copy of line in core k; clean drops their dirty bits. Returns 1
 * if a dirty copy was found. */
static int core_set_state(core_t *k, int nlv, uint64_t line, unsigned st, int clean)
{
    uint64_t key = line << 3;
    int dirty = 0;
    for (int i = 0; i < nlv; i++) {
        cache_array_t *a = k->lv[i];
        if (!a)
            continue;
        uint32_t set = arr_set(a, line);
        int w = arr_find(a, set, key);
        if (w < 0)
            continue;
        uint64_t *t = &arr_row(a, set)[w];
        if (*t & TAG_DIRTY) {
            dirty = 1;
            if (clean)
                *t &= ~TAG_DIRTY;
        }
        *t = (*t & ~TAG_STATE) | st;
    }
    return dirty;
}

/* Remove every private copy of line from core k (counted as invalidations of each level) and its
 * directory bit. Returns 1 if a copy was dirty. */
static int core_invalidate(cache_sys_t *h, core_t *k, uint64_t line)
{
    uint64_t key = line << 3;
    int dirty = 0;
    for (int i = 0; i < h->nlv; i++) {
        cache_array_t *a = k->lv[i];
        if (!a)
            continue;
        uint32_t set = arr_set(a, line);
        int w = arr_find(a, set, key);
        if (w < 0)
            continue;
        dirty |= (arr_row(a, set)[w] & TAG_DIRTY) != 0;
        arr_invalidate(a, set, (uint32_t)w);
        a->st.invalidations++;
    }
    dir_clear_bit(&h->socks[k->socket].dir, line, k->idx);
    return dirty;
}

static int core_holds(const cache_sys_t *h, const core_t *k, uint64_t line)
{
    return core_state(k, h->nlv, line) != CACHE_I;
}

static void llc_ensure(cache_sys_t *h, int s, uint64_t line, int dirty, uint64_t now);

/* An LLC of socket s evicted the word vw. Inclusive: the private copies go too (back-invalidation);
 * the newest data, if dirty anywhere, is written to memory once. */
static void llc_victim(cache_sys_t *h, int s, uint64_t vw, uint64_t now)
{
    sock_t *so = &h->socks[s];
    uint64_t vline = vw >> 3;
    int dirty = (vw & TAG_DIRTY) != 0;
    if (h->cfg.inclusion == CACHE_INCLUSIVE) {
        uint64_t m = dir_get(&so->dir, vline);
        if (m)
            so->llc->st.back_invalidations++;
        while (m) {
            int b = __builtin_ctzll(m);
            m &= m - 1;
            dirty |= core_invalidate(h, &h->cores[s * h->cps + b], vline);
        }
    }
    if (dirty) {
        so->llc->st.writebacks++;
        mem_write(h, s, vline, now);
    }
}

/* Make socket s's LLC hold line (inserting it if absent; a present line keeps its replacement
 * position) and mark it dirty if dirty. */
static void llc_ensure(cache_sys_t *h, int s, uint64_t line, int dirty, uint64_t now)
{
    cache_array_t *a = h->socks[s].llc;
    uint32_t set = arr_set(a, line);
    uint64_t key = line << 3;
    int w = arr_find(a, set, key);
    if (w >= 0) {
        if (dirty)
            arr_row(a, set)[w] |= TAG_DIRTY;
        return;
    }
    uint64_t old = arr_insert(a, set, key | CACHE_S | (dirty ? TAG_DIRTY : 0), NULL);
    if (old != TAG_INVALID)
        llc_victim(h, s, old, now);
}

/* Dirty data of line leaving core k's level i (or all of its copies when i < 0) goes below: to the
 * next private level (allocated there if absent) or the socket's LLC, or memory. */
static void priv_fill(cache_sys_t *h, core_t *k, int lvl, uint64_t line, unsigned st, int dirty, uint64_t now);

static void write_below(cache_sys_t *h, core_t *k, int next, uint64_t line, uint64_t now)
{
    if (next >= 0) {
        priv_fill(h, k, next, line, CACHE_M, 1, now);
        return;
    }
    if (h->socks[k->socket].llc)
        llc_ensure(h, k->socket, line, 1, now);
    else
        mem_write(h, k->socket, line, now);
}

/* Core k's level lvl evicted the word vw. */
static void priv_victim(cache_sys_t *h, core_t *k, int lvl, uint64_t vw, uint64_t now)
{
    uint64_t vline = vw >> 3;
    if (vw & TAG_DIRTY) {
        k->lv[lvl]->st.writebacks++;
        write_below(h, k, k->next[lvl], vline, now);
    }
    if (!core_holds(h, k, vline))
        dir_clear_bit(&h->socks[k->socket].dir, vline, k->idx);
}

/* Put line into core k's level lvl with state st (and dirty), or update the copy already there. */
static void priv_fill(cache_sys_t *h, core_t *k, int lvl, uint64_t line, unsigned st, int dirty, uint64_t now)
{
    cache_array_t *a = k->lv[lvl];
    uint32_t set = arr_set(a, line);
    uint64_t key = line << 3;
    int w = arr_find(a, set, key);
    if (w >= 0) {
        uint64_t *t = &arr_row(a, set)[w];
        *t = (*t & ~TAG_STATE) | st | (dirty ? TAG_DIRTY : 0);
        return;
    }
    dir_set_bit(&h->socks[k->socket].dir, line, k->idx);
    uint64_t old = arr_insert(a, set, key | st | (dirty ? TAG_DIRTY : 0), NULL);
    if (old != TAG_INVALID)
        priv_victim(h, k, lvl, old, now);
}

/* Invalidate every copy of line outside cpu: other cores' private copies in every socket, and the
 * LLCs of other sockets (cpu's own LLC keeps its copy: the core's M copy supersedes it and will be
 * written back into it). Dirty data moves to cpu, which is about to hold the line M. Returns the
 * largest core-to-core latency to an invalidated copy (0 if none). */
static uint32_t invalidate_others(cache_sys_t *h, int cpu, uint64_t line, int *coh)
{
    core_t *k = &h->cores[cpu];
    uint32_t lat = 0;
    for (int t = 0; t < h->nsock; t++) {
        sock_t *so = &h->socks[t];
        uint64_t m = dir_get(&so->dir, line);
        if (t == k->socket)
            m &= ~(1ull << k->idx);
        while (m) {
            int b = __builtin_ctzll(m);
            m &= m - 1;
            int o = t * h->cps + b;
            core_invalidate(h, &h->cores[o], line);
            k->coh.snoops++;
            k->coh.invalidations++;
            if (t != k->socket)
                k->coh.xsocket_invalidations++;
            lat = umax(lat, c2c(h, cpu, o));
            *coh = 1;
        }
        if (t != k->socket && so->llc) {
            uint32_t set = arr_set(so->llc, line);
            int w = arr_find(so->llc, set, line << 3);
            if (w >= 0) {
                arr_invalidate(so->llc, set, (uint32_t)w);
                so->llc->st.invalidations++;
                k->coh.invalidations++;
                k->coh.xsocket_invalidations++;
                lat = umax(lat, c2c_sock(h, cpu, t));
                *coh = 1;
            }
        }
    }
    return lat;
}

/* The coherence protocol.
 *
 * States are MESI per core (all private copies of a line in one core share the state). The
 * directory of each socket knows exactly which of its cores hold a line; the LLCs are looked up
 * directly. A request reaches fetch_line() when the line is in none of the core's private levels of
 * the access's side. It first looks the line up in the core's socket LLC (a hit or a miss of that
 * level), then consults the directories of all sockets, and takes the line from the first source
 * of this list:
 *
 *  1. the core itself, when it holds the line on its other side (a data access to a line that is
 *     in L1I only): answered at the LLC latency, no other cache involved;
 *  2. an owner, another core (of any socket) holding the line E or M: the line is forwarded from
 *     that core at the core-to-core latency of the matrix (a snoop). A read leaves both copies S; a
 *     Modified owner writes its data back (to its socket's LLC, allocating there, or to memory
 *     without an LLC): M -> S with write-back, as MESI does on Intel. A store (RFO) invalidates
 *     the owner, whose dirty data moves to the requester;
 *  3. the core's own LLC: LLC latency;
 *  4. the LLC of another socket holding the line dirty: forwarded across sockets at the
 *     core-to-core latency to that socket's first core; the remote LLC keeps its dirty copy on a
 *     read (it stays the one responsible for writing it back);
 *  5. another core of the same socket holding it S (possible when the non-inclusive LLC lost its
 *     copy): forwarded at the core-to-core latency of the nearest such core (MESIF's F forwarding);
 *  6. memory (the callback): the LLC latency (at which the miss is known) plus the callback's
 *     cycles. Clean copies in other sockets do not forward: their home memory answers.
 *
 * A read gets E when no other core and no other socket's LLC holds the line, S otherwise. A store
 * gets M and invalidates every other copy (other cores everywhere, other sockets' LLCs), costing
 * the larger of its source's latency and the core-to-core latency to the farthest invalidated copy.
 * A store that finds the line S in its own private levels is an upgrade: no data moves, the others
 * are invalidated, and it costs the larger of its hit latency, the LLC latency (the request to the
 * directory) and the farthest invalidation. E -> M is silent. The table of transitions is in
 * docs/CACHE.md.
 *
 * Fills of the requester's LLC: inclusive, always (the inclusion must hold before the private
 * levels fill); non-inclusive, only when memory supplied the line (lines forwarded by other caches
 * are not copied into the LLC; M -> S write-backs and dirty victims are). */
static uint32_t fetch_line(cache_sys_t *h, int cpu, int side, uint64_t line, int store, uint64_t now,
                           unsigned *state, cache_result_t *r)
{
    core_t *k = &h->cores[cpu];
    int s = k->socket;
    sock_t *so = &h->socks[s];
    uint32_t base = base_latency(h, k, side);
    int llc_hit = 0;
    if (so->llc) {
        cache_array_t *a = so->llc;
        uint32_t set = arr_set(a, line);
        int w = arr_find(a, set, line << 3);
        if (w >= 0) {
            llc_hit = 1;
            a->st.hits++;
            a->set_hits[set]++;
            arr_touch(a, set, (uint32_t)w);
        } else {
            a->st.misses++;
            a->set_misses[set]++;
        }
    }
    uint32_t cyc;
    uint64_t self = 1ull << k->idx;
    uint64_t own_mask = dir_get(&so->dir, line);
    r->src = CACHE_SRC_LLC;
    if (own_mask & self) {
        /* 1. The core holds it on its other side. */
        unsigned st = core_state(k, h->nlv, line);
        cyc = base;
        if (store && st == CACHE_S) {
            k->coh.upgrades++;
            cyc = umax(cyc, invalidate_others(h, cpu, line, &r->coherence));
        }
        *state = store ? CACHE_M : st;
        goto fill_llc;
    }
    /* Who else holds it. */
    int owner = -1, sharer = -1, dirty_llc = -1;
    int others = 0;
    for (int t = 0; t < h->nsock; t++) {
        uint64_t m = dir_get(&h->socks[t].dir, line);
        if (t == s)
            m &= ~self;
        if (m)
            others = 1;
        while (m) {
            int b = __builtin_ctzll(m);
            m &= m - 1;
            int o = t * h->cps + b;
            unsigned st = core_state(&h->cores[o], h->nlv, line);
            if (st >= CACHE_E)
                owner = o;
            else if (t == s && (sharer < 0 || c2c(h, cpu, o) < c2c(h, cpu, sharer)))
                sharer = o;
        }
        if (t != s && h->socks[t].llc) {
            cache_array_t *a = h->socks[t].llc;
            uint32_t set = arr_set(a, line);
            int w = arr_find(a, set, line << 3);
            if (w >= 0) {
                others = 1;
                if ((arr_row(a, set)[w] & TAG_DIRTY) && dirty_llc < 0)
                    dirty_llc = t;
            }
        }
    }
    if (owner >= 0) {
        /* 2. Forwarded by the E/M owner. */
        core_t *o = &h->cores[owner];
        cyc = c2c(h, cpu, owner);
        r->coherence = 1;
        k->coh.snoops++;
        if (o->socket == s) {
            r->src = CACHE_SRC_PEER;
            k->coh.c2c_local++;
        } else {
            r->src = CACHE_SRC_REMOTE;
            k->coh.c2c_remote++;
        }
        if (store) {
            cyc = umax(cyc, invalidate_others(h, cpu, line, &r->coherence));
            *state = CACHE_M;
        } else {
            k->coh.downgrades++;
            if (core_set_state(o, h->nlv, line, CACHE_S, 1)) {
                k->coh.snoop_writebacks++;
                /* Count the write-back at the owner's outermost level holding the line. */
                for (int i = h->nlv - 1; i >= 0; i--) {
                    cache_array_t *a = o->lv[i];
                    if (a && arr_find(a, arr_set(a, line), line << 3) >= 0) {
                        a->st.writebacks++;
                        break;
                    }
                }
                write_below(h, o, -1, line, now);
            }
            *state = CACHE_S;
        }
    } else if (llc_hit) {
        /* 3. The socket's LLC. */
        cyc = base;
        if (store) {
            cyc = umax(cyc, invalidate_others(h, cpu, line, &r->coherence));
            *state = CACHE_M;
        } else {
            *state = others ? CACHE_S : CACHE_E;
        }
    } else if (dirty_llc >= 0 || sharer >= 0) {
        /* 4. Another socket's dirty LLC copy, or 5. a sharer of this socket. */
        if (dirty_llc >= 0) {
            cyc = c2c_sock(h, cpu, dirty_llc);
            r->src = CACHE_SRC_REMOTE;
            k->coh.c2c_remote++;
        } else {
            cyc = c2c(h, cpu, sharer);
            r->src = CACHE_SRC_PEER;
            k->coh.c2c_local++;
            k->coh.snoops++;
        }
        r->coherence = 1;
        if (store) {
            cyc = umax(cyc, invalidate_others(h, cpu, line, &r->coherence));
            *state = CACHE_M;
        } else {
            *state = CACHE_S;
        }
    } else {
        /* 6. Memory. */
        uint32_t mc = h->cfg.mem ? h->cfg.mem(h->cfg.mem_arg, s, line << h->line_shift, 0, now + base) : 0;
        k->coh.mem_reads++;
        r->mem_cycles = mc;
        r->src = CACHE_SRC_MEM;
        cyc = base + mc;
        if (store) {
            if (others)
                cyc = umax(cyc, invalidate_others(h, cpu, line, &r->coherence));
            *state = CACHE_M;
        } else {
            *state = others ? CACHE_S : CACHE_E;
        }
    }
fill_llc:
    if (so->llc && (h->cfg.inclusion == CACHE_INCLUSIVE || r->src == CACHE_SRC_MEM || !k->npath[side]))
        llc_ensure(h, s, line, 0, now);
    if (store && !k->npath[side]) {
        /* No private level on the data side: the store writes into the LLC, or memory. */
        if (so->llc)
            llc_ensure(h, s, line, 1, now);
        else
            mem_write(h, s, line, now);
    }
    return cyc;
}

/* Everything but a plain hit in the first level of the side (out of line: the hit path stays a
 * small function without a frame). */
__attribute__((noinline, cold)) static uint32_t access_slow(cache_sys_t *h, int cpu, uint64_t line, enum cache_kind kind, uint64_t now,
                            cache_result_t *r)
{
    cache_result_t tmp;
    if (!r)
        r = &tmp;
    core_t *k = &h->cores[cpu];
    int side = kind != CACHE_IFETCH, store = kind == CACHE_STORE;
    int n = k->npath[side];
    int hit = -1;
    unsigned state = CACHE_I;
    uint32_t cyc = 0;
    uint64_t key = line << 3;
    r->mem_cycles = 0;
    r->coherence = 0;
    r->level = -1;
    for (int i = 0; i < n; i++) {
        cache_array_t *a = k->lv[k->path[side][i]];
        uint32_t set = arr_set(a, line);
        int w = arr_find(a, set, key);
        if (w >= 0) {
            a->st.hits++;
            a->set_hits[set]++;
            arr_touch(a, set, (uint32_t)w);
            hit = i;
            state = (unsigned)(arr_row(a, set)[w] & TAG_STATE);
            cyc = a->latency;
            r->src = CACHE_SRC_PRIVATE;
            r->level = k->path[side][i];
            break;
        }
        a->st.misses++;
        a->set_misses[set]++;
    }
    if (hit >= 0) {
        if (store && state == CACHE_S) {
            k->coh.upgrades++;
            uint32_t inv = invalidate_others(h, cpu, line, &r->coherence);
            cyc = umax(cyc, umax(base_latency(h, k, side), inv));
        }
    } else {
        cyc = fetch_line(h, cpu, side, line, store, now, &state, r);
    }
    if (store) {
        state = CACHE_M;
        core_set_state(k, h->nlv, line, CACHE_M, 0);
    }
    /* Fill the levels that missed, the outermost first. */
    for (int i = (hit >= 0 ? hit : n) - 1; i >= 0; i--)
        priv_fill(h, k, k->path[side][i], line, state, 0, now);
    if (n) {
        cache_array_t *a = k->lv[k->path[side][0]];
        uint32_t set = arr_set(a, line);
        int w = arr_find(a, set, key);
        assert(w >= 0);
        uint64_t *t = &arr_row(a, set)[w];
        if (store)
            *t |= TAG_DIRTY;
        if (kind == CACHE_IFETCH && k->ishort) {
            k->last_islot = t;
            k->last_ikey = key;
            k->last_iset = set;
        }
    }
    r->cycles = cyc;
    return cyc;
}

uint32_t cache_access(cache_sys_t *h, int cpu, uint64_t pa, enum cache_kind kind, uint64_t now,
                      cache_result_t *res)
{
    core_t *k = &h->cores[cpu];
    uint64_t line = pa >> h->line_shift, key = line << 3;
    if (kind == CACHE_IFETCH) {
        if (k->last_ikey == key && k->last_islot && (*k->last_islot & TAG_KEYMASK) == key) {
            /* The line of the last fetch, still in its way: it is the most recently used line of
             * its set under every policy (only fetches touch an I-only first level), so only the
             * counters change. */
            cache_array_t *a = k->lv[k->path[0][0]];
            a->st.hits++;
            a->set_hits[k->last_iset]++;
            if (res)
                *res = (cache_result_t){a->latency, 0, CACHE_SRC_PRIVATE, k->path[0][0], 0};
            return a->latency;
        }
    }
    /* A hit in the first level of the side with enough permission (any state for a fetch or a
     * load, M for a store) is handled here; E -> M, upgrades and misses go out of line. */
    int side = kind != CACHE_IFETCH;
    if (__builtin_expect(k->npath[side] != 0, 1)) {
        int lvl = k->path[side][0];
        cache_array_t *a = k->lv[lvl];
        uint32_t set = arr_set(a, line);
        uint64_t *t = arr_row(a, set);
        uint64_t need = kind == CACHE_STORE ? CACHE_M : 0;
        for (uint32_t w = 0; w < a->ways; w++) {
            if ((t[w] & TAG_KEYMASK) != key)
                continue;
            if ((t[w] & need) != need)
                break;
            t[w] |= (need & 1) * TAG_DIRTY; /* a store dirties the line */
            arr_touch(a, set, w);
            a->st.hits++;
            a->set_hits[set]++;
            if (!side && k->ishort) {
                k->last_islot = &t[w];
                k->last_ikey = key;
                k->last_iset = set;
            }
            if (res)
                *res = (cache_result_t){a->latency, 0, CACHE_SRC_PRIVATE, lvl, 0};
            return a->latency;
        }
    }
    return access_slow(h, cpu, line, kind, now, res);
}

uint32_t cache_prefetch(cache_sys_t *h, int cpu, uint64_t pa, uint64_t now, cache_result_t *res)
{
    core_t *k = &h->cores[cpu];
    uint64_t line = pa >> h->line_shift;
    int n = k->npath[1];
    if (!n || core_state(k, h->nlv, line) != CACHE_I)
        return 0; /* no data side, or the core holds the line already (any level, either side) */
    cache_result_t tmp;
    if (!res)
        res = &tmp;
    res->mem_cycles = 0;
    res->coherence = 0;
    res->level = -1;
    unsigned state = CACHE_I;
    uint32_t cyc = fetch_line(h, cpu, 1, line, 0, now, &state, res);
    /* Fill the data side's levels below the first (all of them if there is only one). */
    for (int i = n - 1; i >= (n > 1 ? 1 : 0); i--)
        priv_fill(h, k, k->path[1][i], line, state, 0, now);
    res->cycles = cyc;
    return cyc;
}

int cache_repeat_slot(cache_sys_t *h, int cpu, uint64_t pa, enum cache_kind kind, uint64_t **hits,
                      uint64_t **set_hits)
{
    core_t *k = &h->cores[cpu];
    int side = kind != CACHE_IFETCH;
    if (!k->npath[side])
        return -1;
    cache_array_t *a = k->lv[k->path[side][0]];
    uint64_t line = pa >> h->line_shift, key = line << 3;
    uint32_t set = arr_set(a, line);
    int w = arr_find(a, set, key);
    if (w < 0)
        return -1;
    if (kind == CACHE_STORE && (arr_row(a, set)[w] & (CACHE_M | TAG_DIRTY)) != (CACHE_M | TAG_DIRTY))
        return -1; /* a store must find the line M and already dirty to change nothing */
    *hits = &a->st.hits;
    *set_hits = &a->set_hits[set];
    return (int)a->latency;
}

/* ---------------------------------------------------------------------------------------------- */
/* Queries */

enum cache_mesi cache_state(const cache_sys_t *h, int cpu, uint64_t pa)
{
    return (enum cache_mesi)core_state(&h->cores[cpu], h->nlv, pa >> h->line_shift);
}

int cache_llc_holds(const cache_sys_t *h, int socket, uint64_t pa, int *dirty)
{
    const cache_array_t *a = h->socks[socket].llc;
    if (!a)
        return 0;
    uint64_t line = pa >> h->line_shift;
    uint32_t set = arr_set(a, line);
    int w = arr_find(a, set, line << 3);
    if (w < 0)
        return 0;
    if (dirty)
        *dirty = (arr_row(a, set)[w] & TAG_DIRTY) != 0;
    return 1;
}

uint64_t cache_dir_mask(const cache_sys_t *h, int socket, uint64_t pa)
{
    return dir_get(&h->socks[socket].dir, pa >> h->line_shift);
}

void cache_flush_all(cache_sys_t *h, uint64_t now)
{
    for (int c = 0; c < h->ncpu; c++) {
        core_t *k = &h->cores[c];
        for (int i = 0; i < h->nlv; i++) {
            cache_array_t *a = k->lv[i];
            if (!a)
                continue;
            size_t n = (size_t)a->sets * a->ways;
            for (size_t j = 0; j < n; j++) {
                if (a->tags[j] != TAG_INVALID && (a->tags[j] & TAG_DIRTY)) {
                    a->st.writebacks++;
                    mem_write(h, k->socket, a->tags[j] >> 3, now);
                }
                a->tags[j] = TAG_INVALID;
            }
            if (a->stamp)
                memset(a->stamp, 0, n * sizeof(uint64_t));
        }
        k->last_islot = NULL;
        k->last_ikey = 0;
    }
    for (int s = 0; s < h->nsock; s++) {
        sock_t *so = &h->socks[s];
        if (so->llc) {
            cache_array_t *a = so->llc;
            size_t n = (size_t)a->sets * a->ways;
            for (size_t j = 0; j < n; j++) {
                if (a->tags[j] != TAG_INVALID && (a->tags[j] & TAG_DIRTY)) {
                    a->st.writebacks++;
                    mem_write(h, s, a->tags[j] >> 3, now);
                }
                a->tags[j] = TAG_INVALID;
            }
            if (a->stamp)
                memset(a->stamp, 0, n * sizeof(uint64_t));
        }
        memset(so->dir.keys, 0xff, (so->dir.cap_mask + 1) * sizeof(uint64_t));
        memset(so->dir.masks, 0, (so->dir.cap_mask + 1) * sizeof(uint64_t));
        so->dir.n = 0;
    }
}

int cache_ncpus(const cache_sys_t *h) { return h->ncpu; }
int cache_nsockets(const cache_sys_t *h) { return h->nsock; }

const cache_array_t *cache_private(const cache_sys_t *h, int cpu, int level)
{
    if (cpu < 0 || cpu >= h->ncpu || level < 0 || level >= h->nlv)
        return NULL;
    return h->cores[cpu].lv[level];
}

const cache_array_t *cache_llc(const cache_sys_t *h, int socket)
{
    return socket < 0 || socket >= h->nsock ? NULL : h->socks[socket].llc;
}

const cache_coh_stats_t *cache_coh_stats(const cache_sys_t *h, int cpu) { return &h->cores[cpu].coh; }

uint32_t cache_c2c_cycles(const cache_sys_t *h, int requester, int holder)
{
    return c2c(h, requester, holder);
}

const char *cache_array_name(const cache_array_t *a) { return a->name; }
uint32_t cache_array_sets(const cache_array_t *a) { return a->sets; }
uint32_t cache_array_ways(const cache_array_t *a) { return a->ways; }
uint32_t cache_array_latency(const cache_array_t *a) { return a->latency; }
enum cache_repl cache_array_repl(const cache_array_t *a) { return a->repl; }
const cache_level_stats_t *cache_array_stats(const cache_array_t *a) { return &a->st; }
const uint64_t *cache_array_set_hits(const cache_array_t *a) { return a->set_hits; }
const uint64_t *cache_array_set_misses(const cache_array_t *a) { return a->set_misses; }
const uint64_t *cache_array_set_evictions(const cache_array_t *a) { return a->set_evictions; }

int cache_array_line(const cache_array_t *a, uint32_t set, uint32_t way, uint64_t *pa,
                     enum cache_mesi *state, int *dirty)
{
    if (set >= a->sets || way >= a->ways)
        return 0;
    uint64_t t = arr_row(a, set)[way];
    if (t == TAG_INVALID)
        return 0;
    if (pa)
        *pa = (t >> 3) << a->line_shift;
    if (state)
        *state = (enum cache_mesi)(t & TAG_STATE);
    if (dirty)
        *dirty = (t & TAG_DIRTY) != 0;
    return 1;
}

uint32_t cache_array_valid_lines(const cache_array_t *a)
{
    uint32_t n = 0;
    for (size_t j = 0; j < (size_t)a->sets * a->ways; j++)
        n += a->tags[j] != TAG_INVALID;
    return n;
}

/* ---------------------------------------------------------------------------------------------- */
/* Counters */

static void foreach_level(const cache_array_t *a, const char *prefix, cache_counter_fn fn, void *arg)
{
    char name[96];
#define X(f, n, desc)                                                                              \
    snprintf(name, sizeof(name), "%s.%s.%s", prefix, a->name, n);                                  \
    fn(arg, name, desc, &a->st.f);
    CACHE_LEVEL_COUNTERS(X)
#undef X
}

void cache_foreach_counter(const cache_sys_t *h, cache_counter_fn fn, void *arg)
{
    char prefix[32], name[96];
    for (int c = 0; c < h->ncpu; c++) {
        const core_t *k = &h->cores[c];
        snprintf(prefix, sizeof(prefix), "cpu%d", c);
        for (int i = 0; i < h->nlv; i++)
            if (k->lv[i])
                foreach_level(k->lv[i], prefix, fn, arg);
#define X(f, n, desc)                                                                              \
    snprintf(name, sizeof(name), "cpu%d.coh.%s", c, n);                                            \
    fn(arg, name, desc, &k->coh.f);
        CACHE_COH_COUNTERS(X)
#undef X
    }
    for (int s = 0; s < h->nsock; s++)
        if (h->socks[s].llc) {
            snprintf(prefix, sizeof(prefix), "socket%d", s);
            foreach_level(h->socks[s].llc, prefix, fn, arg);
        }
}

static void array_reset_stats(cache_array_t *a)
{
    memset(&a->st, 0, sizeof(a->st));
    memset(a->set_hits, 0, a->sets * sizeof(uint64_t));
    memset(a->set_misses, 0, a->sets * sizeof(uint64_t));
    memset(a->set_evictions, 0, a->sets * sizeof(uint64_t));
}

void cache_reset_stats(cache_sys_t *h)
{
    for (int c = 0; c < h->ncpu; c++) {
        for (int i = 0; i < h->nlv; i++)
            if (h->cores[c].lv[i])
                array_reset_stats(h->cores[c].lv[i]);
        memset(&h->cores[c].coh, 0, sizeof(h->cores[c].coh));
    }
    for (int s = 0; s < h->nsock; s++)
        if (h->socks[s].llc)
            array_reset_stats(h->socks[s].llc);
}

/* ---------------------------------------------------------------------------------------------- */
/* Invariants */

static int array_check(const cache_array_t *a, const char *who, char *err, size_t errlen)
{
    uint64_t sh = 0, sm = 0, se = 0;
    for (uint32_t s = 0; s < a->sets; s++) {
        const uint64_t *t = arr_row(a, s);
        for (uint32_t w = 0; w < a->ways; w++) {
            if (t[w] == TAG_INVALID)
                continue;
            uint64_t line = t[w] >> 3;
            if (arr_set(a, line) != s) {
                seterr(err, errlen, "%s %s: line %#" PRIx64 " in set %u, belongs in %u", who, a->name,
                       line, s, arr_set(a, line));
                return -1;
            }
            if ((t[w] & TAG_STATE) == CACHE_I) {
                seterr(err, errlen, "%s %s: line %#" PRIx64 " valid with state I", who, a->name, line);
                return -1;
            }
            for (uint32_t v = w + 1; v < a->ways; v++)
                if (t[v] != TAG_INVALID && (t[v] >> 3) == line) {
                    seterr(err, errlen, "%s %s: line %#" PRIx64 " twice in set %u", who, a->name, line, s);
                    return -1;
                }
        }
        sh += a->set_hits[s];
        sm += a->set_misses[s];
        se += a->set_evictions[s];
    }
    if (sh != a->st.hits || sm != a->st.misses || se != a->st.evictions) {
        seterr(err, errlen, "%s %s: per-set counters (%" PRIu64 "/%" PRIu64 "/%" PRIu64
               ") differ from the totals (%" PRIu64 "/%" PRIu64 "/%" PRIu64 ")", who, a->name, sh, sm, se,
               a->st.hits, a->st.misses, a->st.evictions);
        return -1;
    }
    return 0;
}

static const char *mesi_name(unsigned st) { return (const char *[]){"I", "S", "E", "M"}[st & 3]; }

int cache_check(const cache_sys_t *h, char *err, size_t errlen)
{
    char who[32];
    for (int s = 0; s < h->nsock; s++)
        if (h->socks[s].llc) {
            snprintf(who, sizeof(who), "socket%d", s);
            if (array_check(h->socks[s].llc, who, err, errlen) < 0)
                return -1;
        }
    for (int c = 0; c < h->ncpu; c++) {
        const core_t *k = &h->cores[c];
        snprintf(who, sizeof(who), "cpu%d", c);
        for (int i = 0; i < h->nlv; i++) {
            const cache_array_t *a = k->lv[i];
            if (!a)
                continue;
            if (array_check(a, who, err, errlen) < 0)
                return -1;
            for (size_t j = 0; j < (size_t)a->sets * a->ways; j++) {
                uint64_t t = a->tags[j];
                if (t == TAG_INVALID)
                    continue;
                uint64_t line = t >> 3;
                unsigned st = (unsigned)(t & TAG_STATE);
                /* Copies agree; a dirty copy is M. */
                unsigned cst = core_state(k, h->nlv, line);
                if (cst != st) {
                    seterr(err, errlen, "%s: line %#" PRIx64 " is %s in %s but %s in another private level",
                           who, line, mesi_name(st), a->name, mesi_name(cst));
                    return -1;
                }
                if ((t & TAG_DIRTY) && st != CACHE_M) {
                    seterr(err, errlen, "%s %s: line %#" PRIx64 " dirty in state %s", who, a->name, line,
                           mesi_name(st));
                    return -1;
                }
                /* The directory lists the core. */
                if (!(dir_get(&h->socks[k->socket].dir, line) & (1ull << k->idx))) {
                    seterr(err, errlen, "%s %s: line %#" PRIx64 " held but not in socket%d's directory",
                           who, a->name, line, k->socket);
                    return -1;
                }
                /* Inclusion. */
                if (h->cfg.inclusion == CACHE_INCLUSIVE && h->socks[k->socket].llc &&
                    !cache_llc_holds(h, k->socket, line << h->line_shift, NULL)) {
                    seterr(err, errlen, "%s %s: line %#" PRIx64 " not in the inclusive LLC of socket%d",
                           who, a->name, line, k->socket);
                    return -1;
                }
                /* E or M: the only copy outside the core's own socket LLC. */
                if (st >= CACHE_E) {
                    for (int t2 = 0; t2 < h->nsock; t2++) {
                        uint64_t m = dir_get(&h->socks[t2].dir, line);
                        if (t2 == k->socket)
                            m &= ~(1ull << k->idx);
                        if (m) {
                            seterr(err, errlen, "%s: line %#" PRIx64 " is %s but socket%d's cores %#" PRIx64
                                   " hold it too", who, line, mesi_name(st), t2, m);
                            return -1;
                        }
                        if (t2 != k->socket && cache_llc_holds(h, t2, line << h->line_shift, NULL)) {
                            seterr(err, errlen, "%s: line %#" PRIx64 " is %s but socket%d's LLC holds it",
                                   who, line, mesi_name(st), t2);
                            return -1;
                        }
                    }
                }
            }
        }
    }
    /* Every directory bit names a core holding the line; the count of entries is right. */
    for (int s = 0; s < h->nsock; s++) {
        const dir_t *d = &h->socks[s].dir;
        uint64_t n = 0;
        for (uint64_t i = 0; i <= d->cap_mask; i++) {
            if (d->keys[i] == TAG_INVALID)
                continue;
            n++;
            uint64_t line = d->keys[i], m = d->masks[i];
            if (!m) {
                seterr(err, errlen, "socket%d directory: line %#" PRIx64 " with an empty mask", s, line);
                return -1;
            }
            if (dir_slot(d, line) != (int64_t)i) {
                seterr(err, errlen, "socket%d directory: line %#" PRIx64 " unreachable", s, line);
                return -1;
            }
            if (m >> (h->cps - 1) >> 1) {
                seterr(err, errlen, "socket%d directory: line %#" PRIx64 " names cores past %d", s, line, h->cps);
                return -1;
            }
            for (; m; m &= m - 1) {
                int b = __builtin_ctzll(m);
                if (!core_holds(h, &h->cores[s * h->cps + b], line)) {
                    seterr(err, errlen, "socket%d directory: line %#" PRIx64 " lists cpu%d, which does not hold it",
                           s, line, s * h->cps + b);
                    return -1;
                }
            }
        }
        if (n != d->n) {
            seterr(err, errlen, "socket%d directory: %" PRIu64 " entries counted as %" PRIu64, s, n, d->n);
            return -1;
        }
    }
    /* At most one dirty LLC copy of a line across sockets. */
    if (h->nsock > 1 && h->socks[0].llc) {
        for (int s = 0; s < h->nsock; s++) {
            const cache_array_t *a = h->socks[s].llc;
            for (size_t j = 0; j < (size_t)a->sets * a->ways; j++) {
                uint64_t t = a->tags[j];
                if (t == TAG_INVALID || !(t & TAG_DIRTY))
                    continue;
                for (int s2 = s + 1; s2 < h->nsock; s2++) {
                    int d = 0;
                    if (cache_llc_holds(h, s2, (t >> 3) << h->line_shift, &d) && d) {
                        seterr(err, errlen, "line %#" PRIx64 " dirty in the LLCs of socket%d and socket%d",
                               t >> 3, s, s2);
                        return -1;
                    }
                }
            }
        }
    }
    return 0;
}
