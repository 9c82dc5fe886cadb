/* dram/ctrl.c: DRAM controller timing per NUMA node, and the NUMA topology (docs/DRAM.md).
 *
 * Time inside a controller is kept in fixed-point CPU cycles ("fc": CPU cycles x 2^16), so that a
 * DRAM clock that is not a whole number of CPU cycles (DDR4-2666 under a 2.4 GHz core: 1.8 cycles)
 * accumulates no rounding error over a long run of back-to-back bursts. Requests enter as whole CPU
 * cycles and their latency leaves rounded up to whole CPU cycles; everything in between is exact
 * integer arithmetic, so the model is deterministic on every host. */
#include "dram.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAC 16
#define ONE ((uint64_t)1 << FRAC)
#define ROW_NONE UINT64_MAX
#define LINE_SHIFT 6 /* every request moves one 64-byte line */

/* ---------------------------------------------------------------------------------------------- */
/* NUMA topology                                                                                   */
/* ---------------------------------------------------------------------------------------------- */

void dram_topo_init(dram_topo_t *t, int nr_sockets, int nodes_per_socket, int remote_distance,
                    double remote_latency_ns)
{
    memset(t, 0, sizeof(*t));
    t->nr_sockets = nr_sockets;
    t->nr_nodes = nr_sockets * nodes_per_socket;
    for (int a = 0; a < t->nr_nodes && a < DRAM_MAX_NODES; a++) {
        t->node_socket[a] = a / nodes_per_socket;
        for (int b = 0; b < t->nr_nodes && b < DRAM_MAX_NODES; b++) {
            int same = a / nodes_per_socket == b / nodes_per_socket;
            t->distance[a][b] = (uint8_t)(a == b ? 10 : same ? 11 : remote_distance);
        }
    }
    for (int s = 0; s < nr_sockets && s < DRAM_MAX_SOCKETS; s++)
        for (int n = 0; n < t->nr_nodes && n < DRAM_MAX_NODES; n++)
            t->latency_ns[s][n] = n / nodes_per_socket == s ? 0.0 : remote_latency_ns;
}

/* A number usable as a latency or bandwidth: finite, >= 0 and below a year in ns (no math.h). */
static int sane_nonneg(double x)
{
    return x == x && x >= 0.0 && x < 3.2e16;
}

int dram_topo_check(const dram_topo_t *t, char *err, size_t errlen)
{
    if (t->nr_sockets < 1 || t->nr_sockets > DRAM_MAX_SOCKETS) {
        snprintf(err, errlen, "number of sockets must be 1..%d, not %d", DRAM_MAX_SOCKETS, t->nr_sockets);
        return -1;
    }
    if (t->nr_nodes < 1 || t->nr_nodes > DRAM_MAX_NODES) {
        snprintf(err, errlen, "number of NUMA nodes must be 1..%d, not %d", DRAM_MAX_NODES, t->nr_nodes);
        return -1;
    }
    for (int a = 0; a < t->nr_nodes; a++) {
        if (t->node_socket[a] < 0 || t->node_socket[a] >= t->nr_sockets) {
            snprintf(err, errlen, "node %d: socket %d does not exist", a, t->node_socket[a]);
            return -1;
        }
        for (int b = 0; b < t->nr_nodes; b++) {
            int d = t->distance[a][b];
            if (a == b ? d != 10 : (d < 11 || d > 254)) {
                snprintf(err, errlen, "distance %d->%d is %d: must be 10 on the diagonal, 11..254 elsewhere",
                         a, b, d);
                return -1;
            }
        }
    }
    for (int s = 0; s < t->nr_sockets; s++)
        for (int n = 0; n < t->nr_nodes; n++)
            if (!sane_nonneg(t->latency_ns[s][n]) || !sane_nonneg(t->bandwidth_mbs[s][n])) {
                snprintf(err, errlen, "socket %d -> node %d: latency and bandwidth must be finite and >= 0", s, n);
                return -1;
            }
    return 0;
}

int dram_topo_socket_distance(const dram_topo_t *t, int s, int n)
{
    for (int a = 0; a < t->nr_nodes; a++)
        if (t->node_socket[a] == s)
            return t->distance[a][n];
    return t->node_socket[n] == s ? 10 : 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Presets                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

/* Nanoseconds to DRAM clocks, rounded up as JEDEC does (nX = ceil(tX / tCK)); ps avoids doubles. */
static uint32_t ns_to_ck(uint32_t ps, uint32_t data_rate_mts)
{
    /* tCK in ps = 2e6 / data_rate; clocks = ps / tCK = ps * data_rate / 2e6 */
    uint64_t num = (uint64_t)ps * data_rate_mts;
    return (uint32_t)((num + 1999999) / 2000000);
}

int dram_ctrl_cfg_preset(dram_ctrl_cfg_t *cfg, const char *name)
{
    dram_ctrl_cfg_t c;
    memset(&c, 0, sizeof(c));
    c.cpu_mhz = 2400;
    c.page_policy = DRAM_OPEN_PAGE;
    c.frontend_ns = 20.0;
    c.bank_history = 8;
    c.calendar_slots = 64;
    c.window_cycles = 100000;
    c.bank_xor = 1;
    snprintf(c.mapping, sizeof(c.mapping), "256b");
    if (!strcmp(name, "ddr4-2666")) {
        /* JEDEC JESD79-4 speed bin DDR4-2666V (19-19-19); 8 Gb x8 devices; Skylake-SP: 6 channels. */
        uint32_t r = c.data_rate_mts = 2666;
        c.bus_bytes = 8;
        c.burst_length = 8;
        c.channels = 6;
        c.ranks = 2;
        c.bank_groups = 4;
        c.banks_per_group = 4;
        c.row_bytes = 8192; /* 1 KiB page per x8 device, 8 devices per rank */
        c.tCL = 19;
        c.tCWL = 14;
        c.tRCD = 19;
        c.tRP = 19;
        c.tRAS = ns_to_ck(32000, r);    /* 43 */
        c.tRTP = ns_to_ck(7500, r);     /* 10 */
        c.tWR = ns_to_ck(15000, r);     /* 20 */
        c.tCCD_S = 4;
        c.tCCD_L = ns_to_ck(5000, r);   /* 7: max(5 nCK, 5 ns) */
        c.tRFC = ns_to_ck(350000, r);   /* 467: tRFC1, 8 Gb */
        c.tREFI = ns_to_ck(7800000, r); /* 10398 */
    } else if (!strcmp(name, "ddr5-4800")) {
        /* JEDEC JESD79-5 DDR5-4800B (40-39-39); 16 Gb x8 devices; two 32-bit sub-channels per DIMM
         * channel, each modelled as a channel; 8 DIMM channels (Sapphire Rapids) = 16 here. */
        uint32_t r = c.data_rate_mts = 4800;
        c.bus_bytes = 4;
        c.burst_length = 16;
        c.channels = 16;
        c.ranks = 1;
        c.bank_groups = 8;
        c.banks_per_group = 4;
        c.row_bytes = 4096; /* 1 KiB page per x8 device, 4 devices per sub-channel */
        c.tCL = 40;
        c.tCWL = 38;
        c.tRCD = 39;
        c.tRP = 39;
        c.tRAS = ns_to_ck(32000, r);    /* 77 */
        c.tRTP = ns_to_ck(7500, r);     /* 18 */
        c.tWR = ns_to_ck(30000, r);     /* 72 */
        c.tCCD_S = 8;
        c.tCCD_L = ns_to_ck(5000, r);   /* 12: max(8 nCK, 5 ns) */
        c.tRFC = ns_to_ck(295000, r);   /* 708: tRFC1, 16 Gb */
        c.tREFI = ns_to_ck(3900000, r); /* 9360 */
    } else {
        return -1;
    }
    *cfg = c;
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Calendars                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/* A calendar is the set of busy intervals of one resource (a channel's data bus, a bank group's
 * column-command slot, an inter-socket link): sorted, disjoint and never touching (touching
 * intervals are merged, so a saturated bus is one long interval). Everything before `floor` counts
 * as busy: it is where forgotten history begins. */
typedef struct cal {
    uint64_t floor;
    uint32_t n;
    uint64_t *s, *e; /* [s[i], e[i]) */
} cal_t;

/* Earliest x >= t (and >= floor) such that [x, x+len) overlaps no busy interval. */
static uint64_t cal_find(const cal_t *c, uint64_t t, uint64_t len)
{
    uint64_t x = t > c->floor ? t : c->floor;
    uint32_t lo = 0, hi = c->n; /* first interval with e > x */
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (c->e[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    for (uint32_t i = lo; i < c->n && c->s[i] < x + len; i++)
        x = c->e[i];
    return x;
}

/* Mark [x, x+len) busy; it must be free (as cal_find returned it). A full calendar makes room:
 * if its oldest interval ended before `horizon` (history no request is expected to need), it is
 * forgotten and floor rises to its end; otherwise the smallest gap between two kept intervals is
 * filled (merging them), which loses the least free time, usually a gap too short for any use. */
static void cal_reserve(cal_t *c, uint32_t cap, uint64_t horizon, uint64_t x, uint64_t len)
{
    uint64_t y = x + len;
    uint32_t i = 0, hi = c->n; /* i: the first interval starting after x */
    while (i < hi) {
        uint32_t mid = (i + hi) / 2;
        if (c->s[mid] <= x)
            i = mid + 1;
        else
            hi = mid;
    }
    int left = i > 0 && c->e[i - 1] == x;
    int right = i < c->n && c->s[i] == y;
    if (left && right) {
        c->e[i - 1] = c->e[i];
        memmove(&c->s[i], &c->s[i + 1], (c->n - i - 1) * sizeof(uint64_t));
        memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof(uint64_t));
        c->n--;
        return;
    }
    if (left) {
        c->e[i - 1] = y;
        return;
    }
    if (right) {
        c->s[i] = x;
        return;
    }
    if (c->n == cap) {
        if (c->e[0] <= horizon || (i == 0 && y <= horizon)) {
            if (i == 0) { /* older than everything kept: fold it into the forgotten past */
                c->floor = y;
                return;
            }
            c->floor = c->e[0];
            memmove(&c->s[0], &c->s[1], (c->n - 1) * sizeof(uint64_t));
            memmove(&c->e[0], &c->e[1], (c->n - 1) * sizeof(uint64_t));
            c->n--;
            i--;
        } else {
            /* The smallest gap, counting the new interval's two gaps as candidates too. */
            uint64_t best = UINT64_MAX;
            uint32_t bj = 0;
            int new_side = 0; /* 0: gap between kept j-1 and j; 1: new interval joins i-1; 2: joins i */
            for (uint32_t j = 1; j < c->n; j++) {
                uint64_t gap = c->s[j] - c->e[j - 1];
                if (j == i) { /* the new interval sits in this gap: split it */
                    if (x - c->e[j - 1] < best) {
                        best = x - c->e[j - 1];
                        bj = j;
                        new_side = 1;
                    }
                    if (c->s[j] - y < best) {
                        best = c->s[j] - y;
                        bj = j;
                        new_side = 2;
                    }
                } else if (gap < best) {
                    best = gap;
                    bj = j;
                    new_side = 0;
                }
            }
            if (i == 0 && c->s[0] - y < best) {
                bj = 0;
                new_side = 2;
            } else if (i == c->n && x - c->e[c->n - 1] < best) {
                bj = c->n;
                new_side = 1;
            }
            if (new_side == 1) { /* extend interval i-1 over the gap to cover the new one */
                c->e[i - 1] = y;
                return;
            }
            if (new_side == 2) { /* extend interval i back to the new one */
                c->s[i] = x;
                return;
            }
            c->e[bj - 1] = c->e[bj];
            memmove(&c->s[bj], &c->s[bj + 1], (c->n - bj - 1) * sizeof(uint64_t));
            memmove(&c->e[bj], &c->e[bj + 1], (c->n - bj - 1) * sizeof(uint64_t));
            c->n--;
            if (i > bj)
                i--;
        }
    }
    memmove(&c->s[i + 1], &c->s[i], (c->n - i) * sizeof(uint64_t));
    memmove(&c->e[i + 1], &c->e[i], (c->n - i) * sizeof(uint64_t));
    c->s[i] = x;
    c->e[i] = y;
    c->n++;
}

/* ---------------------------------------------------------------------------------------------- */
/* The controller                                                                                  */
/* ---------------------------------------------------------------------------------------------- */

/* One request's use of its bank, and the state it leaves the bank in. `first` is its first
 * command: CAS for a hit, ACT for a miss, PRE for a conflict; `last` is its last command (the CAS,
 * or a precharge / re-activation that follows it). The *_ok fields are the earliest times the next
 * request may issue its first command, by kind: CAS to the open row, PRE of it, ACT when closed. */
typedef struct bres {
    uint64_t first, last;
    uint64_t cas_ok, pre_ok, act_ok;
    uint64_t row;      /* the request's own row */
    uint64_t pre_row;  /* row it found open (ROW_NONE: closed), which decided its outcome */
    uint64_t post_row; /* row it leaves open (ROW_NONE: closed) */
    uint8_t kind;      /* enum dram_outcome */
    uint8_t restored;  /* it re-established the row of its successor (see the essay) */
} bres_t;

/* A bank: the state left by forgotten reservations (`base`, used as the predecessor of the first
 * kept one) and the kept reservations, sorted by first command. */
typedef struct bank {
    bres_t base;
    uint32_t n;
    bres_t *r;
} bank_t;

enum { F_ROW, F_RANK, F_BG, F_BANK, F_CHANNEL, F_COLUMN, F_NR };

typedef struct map_chunk {
    uint8_t field;
    uint8_t shift; /* log2(radix) when the radix is a power of two, else 0xff */
    uint32_t radix;
    uint32_t mult;  /* value of a digit of this chunk inside its field */
} map_chunk_t;

struct dram_ctrl {
    dram_ctrl_cfg_t cfg;
    int node, node_socket, nr_sockets;
    /* timing, fc */
    int bg_bits;     /* log2(bank_groups) */
    int hash_bits;   /* log2(bank_groups * banks_per_group) */
    uint64_t latest; /* latest arrival seen */
    uint64_t window; /* history older than latest - window may be forgotten */
    uint64_t tck, cl, cwl, rcd, rp, ras, rtp, wr, ccd_l, rfc, refi, burst, bus_len, frontend;
    uint64_t extra[DRAM_MAX_SOCKETS];    /* socket -> node latency */
    uint64_t link_len[DRAM_MAX_SOCKETS]; /* link time of one line, 0 = unlimited */
    /* address mapping, least significant chunk first; the row takes what is left */
    int nr_chunks;
    map_chunk_t map[40];
    uint32_t nr_banks;
    bank_t *banks; /* ((channel * ranks + rank) * bank_groups + group) * banks_per_group + bank */
    cal_t *bus;    /* per channel */
    cal_t *bgcal;  /* per (channel, rank, bank group) */
    cal_t *link;   /* per source socket */
    uint32_t nr_cals;
    uint64_t *cal_mem;
    bres_t *bres_mem;
    dram_ctrl_stats_t st;
};

static const struct {
    const char *name, *fields;
} schemes[] = {
    {"line", "ro:ra:ba:bg:co:ch"},     /* channel interleaved every 64 B line */
    {"256b", "ro:ra:ba:bg:co:ch:co2"}, /* channel interleaved every 256 B (the default) */
    {"bg256", "ro:ra:ba:co:bg:ch:co2"}, /* 256 B per channel, then bank groups */
    {"row", "ro:ra:ba:bg:ch:co"},      /* channel interleaved per row (gem5's RoRaBaChCo) */
    {"closed", "ro:co:ra:ba:bg:ch"},   /* lines spread over all banks (gem5's RoCoRaBaCh) */
};

static int field_of(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int f;
    } names[] = {
        {"ro", F_ROW}, {"row", F_ROW}, {"ra", F_RANK}, {"rank", F_RANK}, {"bg", F_BG},
        {"bankgroup", F_BG}, {"ba", F_BANK}, {"bank", F_BANK}, {"ch", F_CHANNEL},
        {"channel", F_CHANNEL}, {"co", F_COLUMN}, {"col", F_COLUMN}, {"column", F_COLUMN},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n && !strncmp(names[i].name, s, n))
            return names[i].f;
    return -1;
}

static int is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

static int log2u(uint64_t x)
{
    int l = 0;
    while (x > 1) {
        x >>= 1;
        l++;
    }
    return l;
}

/* Parse the mapping into c->map. Tokens are written most significant first, separated by ':'; a
 * token is a field name and an optional bit count ("co2"). Without a count a token takes all the
 * field's remaining values (any count, not only a power of two); with one it takes 2^bits values. */
static int parse_mapping(dram_ctrl_t *c, char *err, size_t errlen)
{
    const char *spec = c->cfg.mapping;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (!strcmp(spec, schemes[i].name))
            spec = schemes[i].fields;
    uint64_t count[F_NR] = {0, c->cfg.ranks, c->cfg.bank_groups, c->cfg.banks_per_group, c->cfg.channels,
                            c->cfg.row_bytes >> LINE_SHIFT};
    uint64_t prod[F_NR] = {1, 1, 1, 1, 1, 1};
    struct {
        int f, bits;
    } tok[40];
    int nt = 0;
    for (const char *p = spec; *p;) {
        const char *q = p;
        while (*q >= 'a' && *q <= 'z')
            q++;
        int f = field_of(p, (size_t)(q - p));
        int bits = -1;
        if (*q >= '0' && *q <= '9') {
            bits = 0;
            while (*q >= '0' && *q <= '9' && bits < 64)
                bits = bits * 10 + (*q++ - '0');
        }
        if (f < 0 || (*q && *q != ':') || (*q == ':' && !q[1]) || nt == 40 || bits == 0 || bits > 31) {
            snprintf(err, errlen, "address mapping \"%s\": bad field at \"%s\" (want ro, ra, bg, ba, ch, co with "
                     "an optional bit count, separated by ':', or a scheme: line, 256b, bg256, row, closed)",
                     c->cfg.mapping, p);
            return -1;
        }
        tok[nt].f = f;
        tok[nt++].bits = bits;
        p = *q ? q + 1 : q;
    }
    if (nt == 0 || tok[0].f != F_ROW || tok[0].bits != -1) {
        snprintf(err, errlen, "address mapping \"%s\": the row must come first (most significant), without a bit count",
                 c->cfg.mapping);
        return -1;
    }
    c->nr_chunks = 0;
    for (int i = nt - 1; i >= 0; i--) {
        int f = tok[i].f;
        map_chunk_t *m = &c->map[c->nr_chunks++];
        m->field = (uint8_t)f;
        m->mult = (uint32_t)prod[f];
        if (f == F_ROW) {
            if (i != 0) {
                snprintf(err, errlen, "address mapping \"%s\": the row appears twice", c->cfg.mapping);
                return -1;
            }
            m->radix = 0;
            m->shift = 0;
            continue;
        }
        uint64_t radix;
        if (tok[i].bits < 0) {
            radix = count[f] / prod[f];
        } else {
            radix = (uint64_t)1 << tok[i].bits;
        }
        if (radix < 1 || count[f] % (prod[f] * radix)) {
            snprintf(err, errlen, "address mapping \"%s\": the chunks of field '%s' do not multiply to its count %llu",
                     c->cfg.mapping, tok[i].bits < 0 ? "(whole)" : "(bits)", (unsigned long long)count[f]);
            return -1;
        }
        m->radix = (uint32_t)radix;
        m->shift = is_pow2(radix) ? (uint8_t)log2u(radix) : 0xff;
        prod[f] *= radix;
    }
    static const char *const fname[F_NR] = {"row", "rank", "bank group", "bank", "channel", "column"};
    for (int f = 1; f < F_NR; f++)
        if (prod[f] != count[f]) {
            snprintf(err, errlen, "address mapping \"%s\": %s covers %llu values, the geometry has %llu",
                     c->cfg.mapping, fname[f], (unsigned long long)prod[f], (unsigned long long)count[f]);
            return -1;
        }
    return 0;
}

static uint64_t ck(const dram_ctrl_t *c, uint32_t clocks)
{
    return (uint64_t)clocks * c->tck;
}

/* ns to fc, rounded to nearest. */
static uint64_t ns_to_fc(const dram_ctrl_t *c, double ns)
{
    return (uint64_t)(ns * c->cfg.cpu_mhz / 1000.0 * (double)ONE + 0.5);
}

dram_ctrl_t *dram_ctrl_new(const dram_ctrl_cfg_t *cfg, const dram_topo_t *topo, int node, char *err,
                           size_t errlen)
{
    const dram_ctrl_cfg_t *g = cfg;
    if (!g->cpu_mhz || !g->data_rate_mts || !g->channels || !g->ranks || !g->bank_groups || !g->banks_per_group) {
        snprintf(err, errlen, "DRAM: cpu_mhz, data rate, channels, ranks, bank groups and banks must be non-zero");
        return NULL;
    }
    if (g->channels > 1024 || g->ranks > 64 || g->bank_groups > 64 || g->banks_per_group > 64) {
        snprintf(err, errlen, "DRAM: geometry too large (at most 1024 channels, 64 ranks, 64 groups, 64 banks)");
        return NULL;
    }
    if ((uint64_t)g->burst_length * g->bus_bytes != 64) {
        snprintf(err, errlen, "DRAM: burst_length x bus_bytes must be 64 (one cache line), not %u x %u",
                 g->burst_length, g->bus_bytes);
        return NULL;
    }
    if (!is_pow2(g->row_bytes) || g->row_bytes < 64 || g->row_bytes > (1u << 24)) {
        snprintf(err, errlen, "DRAM: row_bytes must be a power of two from 64 to 16 MiB, not %u", g->row_bytes);
        return NULL;
    }
    if (!g->tCL || !g->tCWL || !g->tRCD || !g->tRP || !g->tRAS || !g->tCCD_L) {
        snprintf(err, errlen, "DRAM: tCL, tCWL, tRCD, tRP, tRAS and tCCD_L must be non-zero");
        return NULL;
    }
    if (g->tCCD_S < g->burst_length / 2 || g->tCCD_L < g->tCCD_S) {
        snprintf(err, errlen, "DRAM: need burst_length/2 (%u) <= tCCD_S (%u) <= tCCD_L (%u)", g->burst_length / 2,
                 g->tCCD_S, g->tCCD_L);
        return NULL;
    }
    if (g->tREFI && g->tRFC >= g->tREFI) {
        snprintf(err, errlen, "DRAM: tRFC (%u) must be shorter than tREFI (%u)", g->tRFC, g->tREFI);
        return NULL;
    }
    if (!g->bank_history || g->bank_history > 4096 || g->calendar_slots < 2 || g->calendar_slots > 1u << 20) {
        snprintf(err, errlen, "DRAM: bank_history must be 1..4096 and calendar_slots 2..2^20");
        return NULL;
    }
    if (g->bank_xor && (!is_pow2(g->bank_groups) || !is_pow2(g->banks_per_group))) {
        snprintf(err, errlen, "DRAM: bank_xor needs power-of-two bank groups and banks");
        return NULL;
    }
    if (g->window_cycles > (1u << 30)) {
        snprintf(err, errlen, "DRAM: window_cycles must be at most 2^30");
        return NULL;
    }
    if (!sane_nonneg(g->frontend_ns)) {
        snprintf(err, errlen, "DRAM: frontend_ns must be finite and >= 0");
        return NULL;
    }
    dram_topo_t local;
    if (!topo) {
        dram_topo_init(&local, 1, 1, 20, 0.0);
        topo = &local;
    }
    if (dram_topo_check(topo, err, errlen))
        return NULL;
    if (node < 0 || node >= topo->nr_nodes) {
        snprintf(err, errlen, "DRAM: node %d is not in the topology (%d nodes)", node, topo->nr_nodes);
        return NULL;
    }
    dram_ctrl_t *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "DRAM: out of memory");
        return NULL;
    }
    c->cfg = *g;
    c->cfg.mapping[sizeof(c->cfg.mapping) - 1] = 0;
    c->node = node;
    c->bg_bits = log2u(g->bank_groups);
    c->hash_bits = log2u((uint64_t)g->bank_groups * g->banks_per_group);
    c->node_socket = topo->node_socket[node];
    c->nr_sockets = topo->nr_sockets;
    if (parse_mapping(c, err, errlen)) {
        free(c);
        return NULL;
    }
    /* tCK = 2 / data rate; in fc: cpu_mhz * 2 / data_rate_mts CPU cycles, rounded to nearest. */
    c->tck = (((uint64_t)g->cpu_mhz * 2) << FRAC) / g->data_rate_mts;
    if ((((uint64_t)g->cpu_mhz * 2) << FRAC) % g->data_rate_mts * 2 >= g->data_rate_mts)
        c->tck++;
    c->cl = ck(c, g->tCL);
    c->cwl = ck(c, g->tCWL);
    c->rcd = ck(c, g->tRCD);
    c->rp = ck(c, g->tRP);
    c->ras = ck(c, g->tRAS);
    c->rtp = ck(c, g->tRTP);
    c->wr = ck(c, g->tWR);
    c->ccd_l = ck(c, g->tCCD_L);
    c->rfc = ck(c, g->tRFC);
    c->refi = ck(c, g->tREFI);
    c->burst = ck(c, g->burst_length / 2);
    c->bus_len = ck(c, g->tCCD_S);
    c->frontend = ns_to_fc(c, g->frontend_ns);
    c->window = (uint64_t)g->window_cycles << FRAC;
    for (int s = 0; s < topo->nr_sockets; s++) {
        c->extra[s] = ns_to_fc(c, topo->latency_ns[s][node]);
        double mbs = topo->bandwidth_mbs[s][node];
        if (mbs > 0) /* 64 bytes at mbs * 1e6 B/s = 64 / mbs us = 64000 / mbs ns */
            c->link_len[s] = ns_to_fc(c, 64000.0 / mbs);
    }

    c->nr_banks = g->channels * g->ranks * g->bank_groups * g->banks_per_group;
    uint32_t nr_bg = g->channels * g->ranks * g->bank_groups;
    c->nr_cals = g->channels + nr_bg + (uint32_t)topo->nr_sockets;
    c->banks = calloc(c->nr_banks, sizeof(bank_t));
    c->bres_mem = calloc((size_t)c->nr_banks * (g->bank_history + 1), sizeof(bres_t)); /* +1: insert, then evict */
    cal_t *cals = calloc(c->nr_cals, sizeof(cal_t));
    c->cal_mem = calloc((size_t)c->nr_cals * g->calendar_slots * 2, sizeof(uint64_t));
    if (!c->banks || !c->bres_mem || !cals || !c->cal_mem) {
        free(cals);
        c->bus = NULL;
        dram_ctrl_free(c);
        snprintf(err, errlen, "DRAM: out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < c->nr_cals; i++) {
        cals[i].s = c->cal_mem + (size_t)i * g->calendar_slots * 2;
        cals[i].e = cals[i].s + g->calendar_slots;
    }
    c->bus = cals;
    c->bgcal = cals + g->channels;
    c->link = cals + g->channels + nr_bg;
    for (uint32_t i = 0; i < c->nr_banks; i++) {
        c->banks[i].r = c->bres_mem + (size_t)i * (g->bank_history + 1);
        c->banks[i].base.row = c->banks[i].base.pre_row = c->banks[i].base.post_row = ROW_NONE;
        c->banks[i].base.kind = DRAM_ROW_MISS;
    }
    return c;
}

void dram_ctrl_free(dram_ctrl_t *c)
{
    if (!c)
        return;
    free(c->banks);
    free(c->bres_mem);
    free(c->bus);
    free(c->cal_mem);
    free(c);
}

void dram_ctrl_decode(const dram_ctrl_t *c, uint64_t pa, dram_coord_t *out)
{
    uint64_t x = (pa >= c->cfg.base_pa ? pa - c->cfg.base_pa : pa) >> LINE_SHIFT;
    uint64_t v[F_NR] = {0};
    for (int i = 0; i < c->nr_chunks; i++) {
        const map_chunk_t *m = &c->map[i];
        if (m->field == F_ROW) {
            v[F_ROW] = x;
            break;
        }
        uint64_t d;
        if (m->shift != 0xff) {
            d = x & (m->radix - 1);
            x >>= m->shift;
        } else {
            d = x % m->radix;
            x /= m->radix;
        }
        v[m->field] += d * m->mult;
    }
    if (c->cfg.bank_xor && c->hash_bits) {
        /* Permutation-based interleaving: the row, folded by XOR into as many bits as select a bank
         * within its rank, is XORed into the bank group (low bits) and the bank (high bits). */
        uint64_t h = 0;
        for (uint64_t r = v[F_ROW]; r; r >>= c->hash_bits)
            h ^= r;
        h &= ((uint64_t)1 << c->hash_bits) - 1;
        v[F_BG] ^= h & (c->cfg.bank_groups - 1);
        v[F_BANK] ^= h >> c->bg_bits;
    }
    out->channel = (uint32_t)v[F_CHANNEL];
    out->rank = (uint32_t)v[F_RANK];
    out->bank_group = (uint32_t)v[F_BG];
    out->bank = (uint32_t)v[F_BANK];
    out->column = (uint32_t)v[F_COLUMN];
    out->row = v[F_ROW];
    out->pad = 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Refresh                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

/* Rank r of channel ch refreshes during [off + k*tREFI, off + k*tREFI + tRFC) for every k >= 1,
 * with the ranks of the controller staggered evenly over tREFI (off = tREFI * i / n for the i-th of
 * n ranks), as controllers do so that refreshes do not stop every rank at once. */
static uint64_t refresh_offset(const dram_ctrl_t *c, uint32_t ch, uint32_t rank)
{
    uint64_t i = (uint64_t)ch * c->cfg.ranks + rank, n = (uint64_t)c->cfg.channels * c->cfg.ranks;
    return c->refi / n * i + c->refi % n * i / n;
}

/* The end of the refresh window containing t, or 0 if t is in none. */
static uint64_t refresh_end_at(const dram_ctrl_t *c, uint64_t off, uint64_t t)
{
    if (!c->refi || t < off + c->refi)
        return 0;
    uint64_t ws = off + (t - off) / c->refi * c->refi;
    return t < ws + c->rfc ? ws + c->rfc : 0;
}

/* The end of a refresh window starting in (a, b], or 0 if none starts there. */
static uint64_t refresh_in(const dram_ctrl_t *c, uint64_t off, uint64_t a, uint64_t b)
{
    if (!c->refi || b <= a || b < off + c->refi)
        return 0;
    uint64_t ws = off + (b - off) / c->refi * c->refi;
    return ws > a ? ws + c->rfc : 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Scheduling                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

/* How requests that arrive out of time order share banks and buses.
 *
 * The emulator runs its CPUs one quantum at a time: CPU 0 issues all its misses for cycles
 * [T, T+Q), then CPU 1 issues its own for the same span. A controller that kept one "busy until"
 * per resource would make CPU 1's request at T+5 wait behind CPU 0's at T+Q-5, a queueing delay
 * that no hardware shows and that depends on which CPU happened to run first. So every resource
 * keeps a calendar of the intervals already promised, and a request takes the earliest free slot
 * at or after its own time, wherever it falls between earlier promises.
 *
 * The data bus of a channel, the column-command slot of each bank group (tCCD_L apart) and each
 * socket-to-node link are plain calendars of busy intervals: a burst occupies the bus for tCCD_S,
 * a CAS its bank group for tCCD_L. A slot free of every interval is free of any conflict with
 * requests already answered, so taking it changes nothing for them.
 *
 * A bank is harder, because what a request costs there depends on which row the request before it
 * left open. Each bank therefore keeps its recent reservations in time order, each with the row it
 * found (pre_row), the row it leaves (post_row), and the earliest time the next request may issue
 * each kind of first command (cas_ok for a hit, pre_ok for a conflict, act_ok when closed). A new
 * request X at time t is placed like this:
 *   1. Its candidate predecessor P is the last reservation whose first command is not later than
 *      t (or the bank's base state, which sums up forgotten history); its successor S is the next.
 *   2. X is scheduled after P as if nothing followed: it waits for a refresh window covering its
 *      first command; if a refresh began after P's last command, the bank is closed. Its outcome
 *      is a hit, miss or conflict against that row; its CAS then moves later until both the bank
 *      group's and the channel's calendars are free.
 *   3. If there is an S, X must leave the bank as S found it, because S was answered already. If
 *      X leaves another row open than S's pre_row (and no refresh falls between them), X is
 *      extended by a precharge, and by an activation of S's row if S found one open: a "restore",
 *      a model artifact that costs bank time but not X's latency. X fits if S's first command is
 *      still no earlier than what X now permits for S's kind.
 *   4. If X does not fit, it is retried after S (P := S), and so on; after the last reservation it
 *      always fits. Then its bus, bank-group and link slots are reserved and X is inserted.
 * A bank keeps at most bank_history reservations: the oldest is folded into the base state, and a
 * request earlier than the base state's last command starts at that command. Calendars keep
 * calendar_slots intervals; the time before the oldest kept one counts as busy.
 *
 * What this guarantees (docs/DRAM.md, "Order of arrival"): a request's result depends only on its
 * own time and address and on the reservations already made, never on requests made after it. So
 * requests that touch different banks and whose bus, bank-group and link intervals do not overlap
 * get the same latency in every arrival order. Requests to one bank do not: the one that arrives
 * at the controller first keeps its answer, and one that arrives later with an earlier time is
 * slotted before it if the gap allows (paying a restore when the rows differ) and queues behind
 * it otherwise; its own outcome (hit, miss, conflict) is decided by the reservation before it in
 * time, as in hardware, but the outcome of the one after it is not revised. */

typedef struct sched {
    bres_t r;
    uint64_t cas, data_end, refresh_wait;
} sched_t;

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Step 2 of the essay: X for row `row` after predecessor P, no earlier than t. */
static void schedule_after(const dram_ctrl_t *c, const bres_t *P, uint64_t t, uint64_t row, int is_write,
                           uint64_t roff, cal_t *bg, cal_t *bus, sched_t *x)
{
    uint64_t first, cas, pre_ok_base, wait = 0;
    uint64_t off = is_write ? c->cwl : c->cl;
    int kind;
    t = max64(t, P->last);
    for (;;) {
        uint64_t end = refresh_end_at(c, roff, t);
        if (end) {
            wait += end - t;
            t = end;
        }
        int closed = refresh_in(c, roff, P->last, t) != 0;
        uint64_t open = closed ? ROW_NONE : P->post_row;
        uint64_t act_ok = closed ? 0 : P->act_ok;
        if (open == row) {
            kind = DRAM_ROW_HIT;
            first = cas = max64(t, P->cas_ok);
            pre_ok_base = P->pre_ok;
        } else if (open == ROW_NONE) {
            kind = DRAM_ROW_MISS;
            first = max64(t, act_ok);
            cas = first + c->rcd;
            pre_ok_base = first + c->ras;
        } else {
            kind = DRAM_ROW_CONFLICT;
            first = max64(t, P->pre_ok);
            cas = first + c->rp + c->rcd;
            pre_ok_base = first + c->rp + c->ras;
        }
        x->r.pre_row = open;
        for (;;) { /* the CAS moves later until the bank group and the bus are both free */
            uint64_t c1 = cal_find(bg, cas, c->ccd_l);
            uint64_t c2 = cal_find(bus, c1 + off, c->bus_len) - off;
            if (c2 == c1) {
                cas = c1;
                break;
            }
            cas = c2;
        }
        if (kind == DRAM_ROW_HIT)
            first = cas;
        /* No refresh may start between the request's time and its CAS: it waits for the refresh. */
        end = refresh_in(c, roff, t, cas);
        if (!end)
            break;
        wait += c->rfc; /* the time before the window was spent waiting for the bank or bus */
        t = end;
    }
    x->refresh_wait = wait;
    x->cas = cas;
    x->data_end = cas + off + c->burst;
    x->r.first = first;
    x->r.kind = (uint8_t)kind;
    x->r.row = row;
    x->r.restored = 0;
    x->r.cas_ok = cas + c->ccd_l;
    x->r.pre_ok = max64(pre_ok_base, is_write ? x->data_end + c->wr : cas + c->rtp);
    x->r.act_ok = 0;
    x->r.last = cas;
    x->r.post_row = row;
    if (c->cfg.page_policy == DRAM_CLOSED_PAGE) {
        x->r.last = x->r.pre_ok; /* auto-precharge */
        x->r.act_ok = x->r.pre_ok + c->rp;
        x->r.post_row = ROW_NONE;
    }
}

/* Step 3: make X leave the bank in the state S found; return whether S still fits after X. */
static int fit_before(const dram_ctrl_t *c, uint64_t roff, bres_t *x, const bres_t *S)
{
    if (refresh_in(c, roff, x->last, S->first))
        return 1; /* a refresh between them closed the bank: S found it closed whatever X left */
    uint64_t want = S->pre_row;
    if (want != x->post_row) {
        uint64_t act_at = x->act_ok;
        if (x->post_row != ROW_NONE) {
            x->last = x->pre_ok; /* PRE */
            act_at = x->pre_ok + c->rp;
        }
        if (want == ROW_NONE) {
            x->act_ok = act_at;
        } else {
            act_at = max64(act_at, x->last);
            x->last = act_at; /* ACT of S's row */
            x->cas_ok = act_at + c->rcd;
            x->pre_ok = act_at + c->ras;
        }
        x->post_row = want;
        x->restored = 1;
    }
    uint64_t need = S->kind == DRAM_ROW_HIT ? x->cas_ok : S->kind == DRAM_ROW_CONFLICT ? x->pre_ok : x->act_ok;
    return S->first >= need && S->first >= x->last;
}

static uint64_t fc_to_cycles_up(uint64_t fc)
{
    return (fc + ONE - 1) >> FRAC;
}

/* Unloaded latency in fc of a request of the given kind: fixed path, bank, data. */
static uint64_t nominal_fc(const dram_ctrl_t *c, int kind, int is_write, int src)
{
    uint64_t off = is_write ? c->cwl : c->cl;
    uint64_t t = c->frontend + c->extra[src] + off + max64(c->burst, c->link_len[src]);
    if (kind != DRAM_ROW_HIT)
        t += c->rcd;
    if (kind == DRAM_ROW_CONFLICT)
        t += c->rp;
    return t;
}

uint32_t dram_ctrl_idle_latency(const dram_ctrl_t *c, enum dram_outcome outcome, int src_socket)
{
    assert(src_socket >= 0 && src_socket < c->nr_sockets);
    return (uint32_t)fc_to_cycles_up(nominal_fc(c, outcome, 0, src_socket));
}

double dram_ctrl_peak_bytes_per_cycle(const dram_ctrl_t *c)
{
    return (double)c->cfg.channels * c->cfg.data_rate_mts * c->cfg.bus_bytes / c->cfg.cpu_mhz;
}

uint32_t dram_ctrl_access(dram_ctrl_t *c, uint64_t pa, int is_write, uint64_t now_cycles, int src_socket,
                          dram_access_t *out)
{
    assert(src_socket >= 0 && src_socket < c->nr_sockets);
    dram_coord_t w;
    dram_ctrl_decode(c, pa, &w);
    const dram_ctrl_cfg_t *g = &c->cfg;
    uint32_t bgi = (w.channel * g->ranks + w.rank) * g->bank_groups + w.bank_group;
    bank_t *b = &c->banks[bgi * g->banks_per_group + w.bank];
    cal_t *bg = &c->bgcal[bgi], *bus = &c->bus[w.channel];
    uint64_t roff = refresh_offset(c, w.channel, w.rank);
    uint64_t now = now_cycles << FRAC;
    uint64_t arrive = now + c->frontend + c->extra[src_socket];

    /* Step 1: the first reservation whose first command is later than the arrival. */
    uint32_t pos = b->n;
    while (pos > 0 && b->r[pos - 1].first > arrive)
        pos--;
    sched_t x;
    for (;; pos++) {
        const bres_t *P = pos ? &b->r[pos - 1] : &b->base;
        schedule_after(c, P, arrive, w.row, is_write, roff, bg, bus, &x);
        if (pos == b->n || fit_before(c, roff, &x.r, &b->r[pos]))
            break;
    }
    /* Step 4: reserve and insert. */
    if (arrive > c->latest)
        c->latest = arrive;
    uint64_t horizon = c->latest > c->window ? c->latest - c->window : 0;
    cal_reserve(bg, g->calendar_slots, horizon, x.cas, c->ccd_l);
    uint64_t off = is_write ? c->cwl : c->cl;
    cal_reserve(bus, g->calendar_slots, horizon, x.cas + off, c->bus_len);
    uint64_t done = x.data_end;
    if (c->link_len[src_socket]) {
        cal_t *l = &c->link[src_socket];
        uint64_t at = cal_find(l, x.cas + off, c->link_len[src_socket]);
        cal_reserve(l, g->calendar_slots, horizon, at, c->link_len[src_socket]);
        done = max64(done, at + c->link_len[src_socket]);
    }
    memmove(&b->r[pos + 1], &b->r[pos], (b->n - pos) * sizeof(bres_t));
    b->r[pos] = x.r;
    if (++b->n > g->bank_history) {
        b->base = b->r[0];
        memmove(&b->r[0], &b->r[1], (b->n - 1) * sizeof(bres_t));
        b->n--;
    }

    uint64_t lat = fc_to_cycles_up(done - now);
    uint64_t idle = fc_to_cycles_up(nominal_fc(c, x.r.kind, is_write, src_socket));
    uint64_t rwait = fc_to_cycles_up(x.refresh_wait);
    uint64_t queue = lat > idle + rwait ? lat - idle - rwait : 0;
    int remote = src_socket != c->node_socket;

    dram_ctrl_stats_t *st = &c->st;
    if (is_write)
        st->writes++;
    else
        st->reads++;
    if (x.r.kind == DRAM_ROW_HIT)
        st->row_hits++;
    else if (x.r.kind == DRAM_ROW_MISS)
        st->row_misses++;
    else
        st->row_conflicts++;
    if (x.refresh_wait) {
        st->refresh_stalls++;
        st->refresh_cycles += rwait;
    }
    if (x.r.restored)
        st->restores++;
    st->queue_cycles += queue;
    st->latency_cycles += lat;
    st->bytes += 64;
    if (remote) {
        st->remote_accesses++;
        st->remote_latency_cycles += lat;
    } else {
        st->local_accesses++;
        st->local_latency_cycles += lat;
    }
    if (out) {
        out->latency = (uint32_t)lat;
        out->outcome = (enum dram_outcome)x.r.kind;
        out->where = w;
        out->remote = remote;
        out->refresh_stall = x.refresh_wait != 0;
        out->queue_cycles = (uint32_t)queue;
        out->done_cycles = now_cycles + lat;
    }
    return (uint32_t)lat;
}

const dram_ctrl_stats_t *dram_ctrl_stats(const dram_ctrl_t *c)
{
    return &c->st;
}

void dram_ctrl_reset_stats(dram_ctrl_t *c)
{
    memset(&c->st, 0, sizeof(c->st));
}

/* ---------------------------------------------------------------------------------------------- */
/* Invariants                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

static int check_cal(const cal_t *k, uint32_t cap, const char *what, uint32_t idx, char *err, size_t errlen)
{
    if (k->n > cap) {
        snprintf(err, errlen, "%s %u: %u intervals, capacity %u", what, idx, k->n, cap);
        return -1;
    }
    for (uint32_t i = 0; i < k->n; i++) {
        if (k->s[i] >= k->e[i] || k->s[i] < k->floor || (i && k->e[i - 1] >= k->s[i])) {
            snprintf(err, errlen, "%s %u: interval %u [%llu, %llu) empty, below the floor, or touching the one "
                     "before", what, idx, i, (unsigned long long)k->s[i], (unsigned long long)k->e[i]);
            return -1;
        }
    }
    return 0;
}

int dram_ctrl_check(const dram_ctrl_t *c, char *err, size_t errlen)
{
    const dram_ctrl_cfg_t *g = &c->cfg;
    for (uint32_t i = 0; i < g->channels; i++)
        if (check_cal(&c->bus[i], g->calendar_slots, "bus calendar", i, err, errlen))
            return -1;
    for (uint32_t i = 0; i < g->channels * g->ranks * g->bank_groups; i++)
        if (check_cal(&c->bgcal[i], g->calendar_slots, "bank-group calendar", i, err, errlen))
            return -1;
    for (int i = 0; i < c->nr_sockets; i++)
        if (check_cal(&c->link[i], g->calendar_slots, "link calendar", (uint32_t)i, err, errlen))
            return -1;
    uint32_t per_ch = g->ranks * g->bank_groups * g->banks_per_group;
    for (uint32_t bi = 0; bi < c->nr_banks; bi++) {
        const bank_t *b = &c->banks[bi];
        uint64_t roff = refresh_offset(c, bi / per_ch, bi / (g->bank_groups * g->banks_per_group) % g->ranks);
        if (b->n > g->bank_history) {
            snprintf(err, errlen, "bank %u: %u reservations, history %u", bi, b->n, g->bank_history);
            return -1;
        }
        for (uint32_t i = 0; i < b->n; i++) {
            const bres_t *p = i ? &b->r[i - 1] : &b->base, *r = &b->r[i];
            int closed = refresh_in(c, roff, p->last, r->first) != 0;
            uint64_t found = closed ? ROW_NONE : p->post_row;
            int kind = found == r->row ? DRAM_ROW_HIT : found == ROW_NONE ? DRAM_ROW_MISS : DRAM_ROW_CONFLICT;
            uint64_t need = closed ? 0 : kind == DRAM_ROW_HIT ? p->cas_ok : kind == DRAM_ROW_MISS ? p->act_ok : p->pre_ok;
            const char *why = NULL;
            if (r->first < p->last || r->last < r->first)
                why = "commands out of order";
            else if (r->pre_row != found)
                why = "found another row than its predecessor left";
            else if (r->kind != kind)
                why = "outcome does not match the row it found";
            else if (r->first < need)
                why = "first command earlier than its predecessor allows";
            else if (g->page_policy == DRAM_CLOSED_PAGE && r->post_row != ROW_NONE)
                why = "closed page left a row open";
            if (why) {
                snprintf(err, errlen, "bank %u reservation %u: %s", bi, i, why);
                return -1;
            }
        }
    }
    const dram_ctrl_stats_t *s = &c->st;
    uint64_t n = s->reads + s->writes;
    if (s->row_hits + s->row_misses + s->row_conflicts != n || s->bytes != 64 * n ||
        s->local_accesses + s->remote_accesses != n ||
        s->local_latency_cycles + s->remote_latency_cycles != s->latency_cycles || s->refresh_stalls > n ||
        s->restores > n) {
        snprintf(err, errlen, "counters disagree: requests %llu, outcomes %llu, bytes %llu, local+remote %llu",
                 (unsigned long long)n, (unsigned long long)(s->row_hits + s->row_misses + s->row_conflicts),
                 (unsigned long long)s->bytes, (unsigned long long)(s->local_accesses + s->remote_accesses));
        return -1;
    }
    return 0;
}
