/* memsys: the caches and DRAM behind the CPUs under --timing=full (see memsys.h).
 *
 * The access path. Every data access that the functional CPU performs (the inline fast path of
 * cpu.h, the page-crossing slow paths, the string and SIMD pointer accesses, the buffer copies of
 * instructions such as FXSAVE) calls mem_timed() with its host address, which stands for its
 * physical address (one host mapping backs all of guest RAM: pa = host - host_base). Instruction
 * fetch is charged once per cache line of a decoded block, when the block is entered: a block is at
 * most 64 instructions within one page, so this is every line a real front end fetches for it,
 * in order, except that a block left early by an exception still pays for its whole length. The
 * PTE loads of a timed walk arrive through mmu_set_pte_load(). All of them go to cache_access()
 * with the CPU's current cycle count as `now`; an LLC miss calls mem_read() below, which sends the
 * line to the DRAM controller of the node holding it (dram_node_of) with the CPU's socket, so the
 * controller adds that socket-to-node latency and link bandwidth. Write-backs reach the controller
 * too (they occupy banks and buses) but charge no access.
 *
 * The repeat filter. Most accesses touch a line the CPU touched recently (stack slots, consecutive
 * fields, a loop's data). After each access that went through the model, the CPU remembers that
 * line in the filter entry of its set of the first data level (cpu_t.rep, per kind: loads need the
 * line present there, stores need it Modified and dirty; cache_repeat_slot() checks both and gives
 * the level's and the set's hit counters). Such a line is the most recently used of its set under
 * LRU, tree-PLRU and random alike, and an access served by the first level changes only its own
 * set, so a later access to any line the filter names is certainly a hit that changes no
 * replacement state: mem_timed() only bumps the two hit counters and charges the latency. The
 * filter is exact as long as nothing else touched the caches, so it is forgotten (a new generation,
 * rep_forget) after any access not served by the first level (fills may evict or back-invalidate
 * lines of any set), a fetch not served by the first instruction level, a prefetch, and, for every
 * CPU, an access by another CPU (last_cpu), since a remote store or read may invalidate or
 * downgrade lines.
 *
 * Cycles. The result of cache_access is split into buckets of the CPU (cpu_t.mem_cycles): the part
 * spent in memory (cache_result_t.mem_cycles) goes to local or remote DRAM according to the node
 * that answered; the rest goes to coherence when the line came from another core or socket or
 * other copies had to be invalidated, and to the caches otherwise. PTE loads return their whole
 * cost to the walker, so it stays in the walk cycles (cpuN.walk_cycles) and is not split again.
 */
#include "emu/memsys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"

/* ---- topology ---------------------------------------------------------------------------------- */

/* Parse a matrix of rows x cols numbers: rows separated by ';' or '/', numbers by spaces or commas.
 * Returns 0 or -1 with a message. */
static int parse_matrix(const char *s, int rows, int cols, double *out, const char *key, char *err, size_t errlen)
{
    int r = 0, col = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (*p == ';' || *p == '/' || *p == 0) {
            if (col != cols) {
                snprintf(err, errlen, "bad value for %s: row %d has %d numbers, expected %d (%d rows of %d)", key,
                         r + 1, col, cols, rows, cols);
                return -1;
            }
            r++;
            col = 0;
            if (*p == 0)
                break;
            p++;
            if (r > rows)
                break;
            continue;
        }
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0 || r >= rows || col >= cols) {
            snprintf(err, errlen, "bad value for %s: expected %d rows of %d non-negative numbers, rows separated by ';' "
                                  "or '/'", key, rows, cols);
            return -1;
        }
        out[r * cols + col++] = v;
        p = end;
    }
    if (r != rows) {
        snprintf(err, errlen, "bad value for %s: %d rows, expected %d (rows separated by ';' or '/')", key, r, rows);
        return -1;
    }
    return 0;
}

int memsys_topology(const config_t *cfg, dram_topo_t *t, char *err, size_t errlen)
{
    int sockets = (int)config_get(cfg, CFG_machine_sockets);
    int per = (int)config_get(cfg, CFG_machine_nodes_per_socket);
    int nodes = sockets * per;
    memset(t, 0, sizeof(*t));
    if (nodes > DRAM_MAX_NODES) {
        snprintf(err, errlen, "machine.sockets x machine.nodes_per_socket = %d nodes; at most %d are supported", nodes,
                 DRAM_MAX_NODES);
        return -1;
    }
    int same = (int)config_get(cfg, CFG_numa_distance_same_socket);
    int remote = (int)config_get(cfg, CFG_numa_distance_remote);
    /* More sockets than the timing model handles: the distances only (memsys_init refuses). */
    int timed = sockets <= DRAM_MAX_SOCKETS;
    if (timed)
        dram_topo_init(t, sockets, per, remote, 0);
    t->nr_sockets = sockets;
    t->nr_nodes = nodes;
    for (int a = 0; a < nodes; a++)
        for (int b = 0; b < nodes; b++)
            t->distance[a][b] = (uint8_t)(a == b ? 10 : a / per == b / per ? same : remote);
    const char *slit = config_get_str(cfg, CFG_numa_slit);
    if (slit[0]) {
        double *d = malloc(sizeof(double) * (size_t)nodes * (size_t)nodes);
        if (!d || parse_matrix(slit, nodes, nodes, d, "numa.slit", err, errlen) < 0) {
            free(d);
            return -1;
        }
        for (int a = 0; a < nodes; a++)
            for (int b = 0; b < nodes; b++) {
                double v = d[a * nodes + b];
                if (v != (int)v || (a == b && v != 10) || (a != b && (v < 11 || v > 254))) {
                    snprintf(err, errlen, "bad value for numa.slit: entry [%d][%d] = %g; the diagonal must be 10 and "
                                          "other entries integers from 11 to 254", a, b, v);
                    free(d);
                    return -1;
                }
                t->distance[a][b] = (uint8_t)v;
            }
        free(d);
    }
    if (!timed)
        return 0;
    /* Extra latency: explicit, or remote_latency_ns at distance_remote, scaled with distance - 10
     * (two hops at SLIT 31 pay twice the extra of one hop at 21). Nodes of the own socket: 0. */
    double rl = (double)config_get(cfg, CFG_numa_remote_latency_ns);
    double bw = (double)config_get(cfg, CFG_numa_remote_bandwidth_mbs);
    for (int s = 0; s < sockets; s++)
        for (int n = 0; n < nodes; n++) {
            int d = dram_topo_socket_distance(t, s, n);
            int own = n / per == s;
            t->latency_ns[s][n] = own ? 0 : remote > 10 ? rl * (double)(d - 10) / (double)(remote - 10) : rl;
            t->bandwidth_mbs[s][n] = own ? 0 : bw;
        }
    const char *lat = config_get_str(cfg, CFG_numa_latency_ns);
    if (lat[0]) {
        double *l = malloc(sizeof(double) * (size_t)sockets * (size_t)nodes);
        if (!l || parse_matrix(lat, sockets, nodes, l, "numa.latency_ns", err, errlen) < 0) {
            free(l);
            return -1;
        }
        for (int s = 0; s < sockets; s++)
            for (int n = 0; n < nodes; n++)
                t->latency_ns[s][n] = l[s * nodes + n];
        free(l);
    }
    char e2[256];
    if (dram_topo_check(t, e2, sizeof(e2)) < 0) {
        snprintf(err, errlen, "bad NUMA topology (numa.* keys): %s", e2);
        return -1;
    }
    return 0;
}

/* ---- configuration ------------------------------------------------------------------------------ */

static void level_from(cache_level_cfg_t *l, const char *name, const config_t *cfg, enum config_id size,
                       enum config_id ways, enum config_id lat, enum config_id repl, unsigned sides)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->size = (uint64_t)config_get(cfg, size);
    l->ways = (uint32_t)config_get(cfg, ways);
    l->latency = (uint32_t)config_get(cfg, lat);
    l->repl = (enum cache_repl)config_get(cfg, repl);
    l->seed = (uint64_t)config_get(cfg, CFG_cache_seed);
    l->sides = sides;
}

/* The cache model's configuration: sockets x cores (1 core per socket in SE mode, which runs one
 * CPU: the LLC keeps its configured size). */
static void cache_cfg_from(const config_t *cfg, int cores_per_socket, cache_cfg_t *cc)
{
    memset(cc, 0, sizeof(*cc));
    cc->sockets = (int)config_get(cfg, CFG_machine_sockets);
    cc->cores_per_socket = cores_per_socket;
    cc->line_size = (uint32_t)config_get(cfg, CFG_cache_line_size);
    cc->nprivate = 3;
    level_from(&cc->priv[0], "l1i", cfg, CFG_cache_l1i_size, CFG_cache_l1i_ways, CFG_cache_l1i_latency,
               CFG_cache_l1i_replacement, CACHE_SIDE_I);
    level_from(&cc->priv[1], "l1d", cfg, CFG_cache_l1d_size, CFG_cache_l1d_ways, CFG_cache_l1d_latency,
               CFG_cache_l1d_replacement, CACHE_SIDE_D);
    level_from(&cc->priv[2], "l2", cfg, CFG_cache_l2_size, CFG_cache_l2_ways, CFG_cache_l2_latency,
               CFG_cache_l2_replacement, CACHE_SIDE_I | CACHE_SIDE_D);
    level_from(&cc->llc, "llc", cfg, CFG_cache_llc_size, CFG_cache_llc_ways, CFG_cache_llc_latency,
               CFG_cache_llc_replacement, 0);
    cc->inclusion = (enum cache_inclusion)config_get(cfg, CFG_cache_llc_inclusion);
    cc->cpu_ghz = (double)config_get(cfg, CFG_cpu_mhz) / 1000.0;
    cc->c2c_local_ns = (double)config_get(cfg, CFG_cache_c2c_local_ns);
    cc->c2c_remote_ns = (double)config_get(cfg, CFG_cache_c2c_remote_ns);
}

static const char *const dram_presets[] = {"ddr4-2666", "ddr5-4800"};
static const char *const dram_mappings[] = {"256b", "line", "bg256", "row", "closed"};

static void dram_cfg_from(const config_t *cfg, dram_ctrl_cfg_t *dc)
{
    dram_ctrl_cfg_preset(dc, dram_presets[config_get(cfg, CFG_dram_preset) % 2]);
    dc->cpu_mhz = (uint32_t)config_get(cfg, CFG_cpu_mhz);
    if (config_get(cfg, CFG_dram_channels))
        dc->channels = (uint32_t)config_get(cfg, CFG_dram_channels);
    if (config_get(cfg, CFG_dram_ranks))
        dc->ranks = (uint32_t)config_get(cfg, CFG_dram_ranks);
    dc->page_policy = config_get(cfg, CFG_dram_page_policy) ? DRAM_CLOSED_PAGE : DRAM_OPEN_PAGE;
    snprintf(dc->mapping, sizeof(dc->mapping), "%s", dram_mappings[config_get(cfg, CFG_dram_mapping) % 5]);
    dc->frontend_ns = (double)config_get(cfg, CFG_dram_frontend_ns);
    if (config_get(cfg, CFG_dram_refresh) == 1)
        dc->tREFI = 0;
}

/* ---- the memory callback and the access path ---------------------------------------------------- */

/* An LLC miss (or a write-back): the controller of the node holding the line. */
static uint32_t mem_access(void *arg, int socket, uint64_t pa, int is_write, uint64_t now)
{
    memsys_t *ms = arg;
    int node = dram_node_of(ms->dram, pa);
    if (node < 0)
        return 0; /* no RAM behind the line (cannot happen for translated accesses) */
    uint32_t lat = dram_ctrl_access(ms->ctrl[node], pa, is_write, now, socket, NULL);
    if ((unsigned)socket < DRAM_MAX_SOCKETS) {
        ms->sn_accesses[socket][node]++;
        ms->sn_latency[socket][node] += lat;
    }
    if (!is_write)
        ms->last_remote = ms->topo.node_socket[node] != socket;
    return lat;
}

static void irep_clear(cpu_t *c);

/* Forget every line of c's repeat filter: a new generation (entries of older ones never match). */
static void rep_forget(cpu_t *c)
{
    if (!c->rep)
        return;
    if (++c->rep_gen == 0x10000) {
        for (uint64_t i = 0; i <= c->rep_mask; i++)
            c->rep[i].key[0] = c->rep[i].key[1] = 0;
        irep_clear(c);
        c->rep_gen = 1;
    }
}

/* Every CPU forgets its repeat lines when a CPU other than the last one uses the caches. */
static inline void claim(memsys_t *ms, cpu_t *c)
{
    if (ms->last_cpu == c->id)
        return;
    machine_t *m = c->m;
    for (int i = 0; i < m->nr_cpus; i++)
        rep_forget(m->cpus[i]);
    ms->last_cpu = c->id;
}

static inline void split(cpu_t *c, memsys_t *ms, const cache_result_t *r)
{
    uint32_t rest = r->cycles - r->mem_cycles;
    if (r->mem_cycles)
        c->mem_cycles[ms->last_remote ? CPU_MEMC_DRAM_REMOTE : CPU_MEMC_DRAM_LOCAL] += r->mem_cycles;
    if (r->coherence || r->src == CACHE_SRC_PEER || r->src == CACHE_SRC_REMOTE)
        c->mem_cycles[CPU_MEMC_COHERENCE] += rest;
    else
        c->mem_cycles[CPU_MEMC_CACHE] += rest;
}

/* The time of c's requests: its cycles on the memory system's clock. */
static inline uint64_t mem_now(const memsys_t *ms, cpu_t *c) { return cpu_cycles(c) + ms->time_off[c->id]; }
/* The time of a data access of the instruction being executed: the core's clock. */
static inline uint64_t data_now(const memsys_t *ms, cpu_t *c) { return c->sb_clk + ms->time_off[c->id]; }

void memsys_round_start(machine_t *m)
{
    memsys_t *ms = m->mem;
    uint64_t t = 0;
    for (int i = 0; i < m->nr_cpus; i++) {
        uint64_t x = mem_now(ms, m->cpus[i]);
        if (x > t)
            t = x;
    }
    for (int i = 0; i < m->nr_cpus; i++)
        ms->time_off[i] = t - cpu_cycles(m->cpus[i]);
}

/* One line through the data side at time now; the repeat filter then names it, its data there at
 * cycle ready. Returns the cycles. */
static uint32_t data_line(cpu_t *c, memsys_t *ms, uint64_t pa, int store, uint64_t now, uint64_t ready,
                          cache_result_t *r)
{
    claim(ms, c);
    ms->last_remote = 0;
    cache_access(ms->caches, c->cache_id, pa, store ? CACHE_STORE : CACHE_LOAD, now, r);
    uint64_t line = pa >> c->line_shift;
    /* Served by the first data level: only that level's set changed, and the filter's entry for it
     * is replaced below. Anything else may have filled, evicted or invalidated lines of any set. */
    if (r->src != CACHE_SRC_PRIVATE || r->level != ms->first_dlevel)
        rep_forget(c);
    struct cpu_rep *e = &c->rep[line & c->rep_mask];
    uint64_t key = (line << 16) | c->rep_gen;
    int same = e->key[0] == key || e->key[1] == key;
    int lat = cache_repeat_slot(ms->caches, c->cache_id, pa, store ? CACHE_STORE : CACHE_LOAD, &c->rep_hits,
                                &e->set_hits);
    if (lat < 0 || ms->rep_off) {
        e->key[0] = e->key[1] = 0;
    } else {
        c->rep_lat = (uint32_t)lat;
        e->key[1] = store || e->key[1] == key ? key : 0;
        e->key[0] = key;
        e->ready = same && e->ready > ready ? e->ready : ready;
    }
    return r->cycles;
}

/* ---- the core (docs/TIMING.md, "Memory-level parallelism") ----------------------------------------
 *
 * The CPU stays an in-order machine that charges each instruction its base cycles, but its data
 * accesses no longer stop it: an access issued at cycle t (sb_clk) with latency L (what the caches
 * return) completes at t + L; a load writes that time into the readiness of the registers it loads
 * (insn_regs_t.ld), a store into the store buffer. The core waits only when it must:
 *   - an instruction whose address registers are not ready waits for them (a pointer chase pays
 *     every latency); its other inputs do not stop it: its results become ready when its inputs
 *     are (a dataflow approximation of an out-of-order core with a perfect front end);
 *   - an access that misses the first data level needs a miss-status holding register (cpu.mshrs,
 *     the L1D fill buffers): when all are busy it waits for the earliest to complete;
 *   - a store needs a store-buffer entry (cpu.store_buffer): entries drain in order, each when its
 *     store completes; when the oldest has not, the store waits;
 *   - serialising instructions (syscall, cpuid) wait for every register.
 * Every wait is counted (cpuN.core.*_stall_cycles) and taken off the latency not waited for
 * (cpuN.overlapped_cycles), so cycles = base + TLB + walks + the access latencies - overlapped. */

#define CORE_MAX_MSHRS 64
#define CORE_MAX_SB 512
#define PF_MAX_STREAMS 64
#define PF_TABLE 256
#define PF_MAX_QUEUE 64

typedef struct pf_stream {
    uint64_t page, last, next; /* 4 KiB region, last line that missed, next line to prefetch */
    uint64_t tick;             /* for LRU replacement */
    int dir, conf;             /* direction (+1, -1, 0 unknown), confirmations */
} pf_stream_t;

struct core_model {
    uint32_t nmshr, nsb, sb_pos;
    uint64_t mshr_line[CORE_MAX_MSHRS], mshr_done[CORE_MAX_MSHRS];
    uint64_t sb_done[CORE_MAX_SB], sb_last;
    /* The L2 stream prefetcher. */
    int pf_on;
    uint32_t pf_streams, pf_distance, pf_degree, pf_queue;
    uint64_t pf_done[PF_MAX_QUEUE]; /* completion of the prefetches in flight (the L2 miss queue) */
    uint64_t pf_tick;
    pf_stream_t st[PF_MAX_STREAMS];
    struct { uint64_t line, ready; } pft[PF_TABLE]; /* prefetched lines not yet demanded */
    /* The repeat filter of instruction fetch: as cpu_t.rep, one entry per set of the first
     * instruction level (an I-only level; NULL otherwise), key[0] only. */
    struct cpu_rep *irep;
    uint64_t imask;
    uint64_t *ihits;
    uint32_t ilat;
    /* Counters (cpuN.core.*, cpuN.pf.*). */
    uint64_t stall_reg, stall_mshr, stall_sb, misses, pf_issued, pf_useful, pf_late, pf_dropped;
};

const insn_regs_t core_no_regs;

static void irep_clear(cpu_t *c)
{
    if (c->core && c->core->irep)
        for (uint64_t i = 0; i <= c->core->imask; i++)
            c->core->irep[i].key[0] = 0;
}

static inline void core_wait(cpu_t *c, uint64_t until, uint64_t *ctr)
{
    uint64_t s = until - c->sb_clk;
    c->sb_clk = until;
    *ctr += s;
    uint64_t *ov = &c->mem_cycles[CPU_MEMC_OVERLAP];
    *ov = *ov > s ? *ov - s : 0;
}

void core_wait_reg(cpu_t *c, uint64_t until) { core_wait(c, until, &c->core->stall_reg); }

void core_issue(cpu_t *c, const insn_regs_t *r)
{
    uint32_t m = r->addr;
    uint64_t w = 0;
    while (m) {
        int b = __builtin_ctz(m);
        m &= m - 1;
        if (c->sb_ready[b] > w)
            w = c->sb_ready[b];
    }
    if (w > c->sb_clk)
        core_wait(c, w, &c->core->stall_reg);
    if (r->wr) {
        uint64_t d = 0;
        m = r->rd & ~r->addr;
        while (m) {
            int b = __builtin_ctz(m);
            m &= m - 1;
            if (c->sb_ready[b] > d)
                d = c->sb_ready[b];
        }
        m = r->wr;
        while (m) {
            int b = __builtin_ctz(m);
            m &= m - 1;
            c->sb_ready[b] = d;
        }
    }
}

void core_blocking(cpu_t *c, uint64_t done)
{
    uint64_t lat = done > c->sb_clk ? done - c->sb_clk : 0;
    uint64_t *ov = &c->mem_cycles[CPU_MEMC_OVERLAP];
    *ov = *ov > lat ? *ov - lat : 0;
    c->sb_clk += lat;
}

void core_hit_store(cpu_t *c, uint64_t done)
{
    if (c->sb_cur == &core_no_regs) {
        core_blocking(c, done);
        return;
    }
    struct core_model *k = c->core;
    if (c->sb_clk < c->sb_max) {
        /* The store's data: it commits when its data is there. */
        uint32_t m = c->sb_cur->rd & ~c->sb_cur->addr;
        while (m) {
            int b = __builtin_ctz(m);
            m &= m - 1;
            if (c->sb_ready[b] > done)
                done = c->sb_ready[b];
        }
    }
    if (!k->nsb) {
        if (done > c->sb_clk)
            core_wait(c, done, &k->stall_sb);
        return;
    }
    uint64_t *slot = &k->sb_done[k->sb_pos];
    if (*slot > c->sb_clk)
        core_wait(c, *slot, &k->stall_sb);
    if (done < k->sb_last)
        done = k->sb_last; /* stores commit in order */
    *slot = k->sb_last = done;
    k->sb_pos = k->sb_pos + 1 == k->nsb ? 0 : k->sb_pos + 1;
}

/* The MSHR free soonest. */
static inline uint32_t mshr_pick(const struct core_model *k)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < k->nmshr; i++)
        if (k->mshr_done[i] < k->mshr_done[best])
            best = i;
    return best;
}

/* One hardware prefetch of line x into L2 (cache_prefetch). */
static void pf_issue(cpu_t *c, memsys_t *ms, struct core_model *k, uint64_t x)
{
    /* A free entry of the L2's queue of outstanding requests, or the prefetch is dropped. */
    uint32_t q = 0;
    for (uint32_t i = 1; i < k->pf_queue; i++)
        if (k->pf_done[i] < k->pf_done[q])
            q = i;
    if (k->pf_done[q] > c->sb_clk) {
        k->pf_dropped++;
        return;
    }
    cache_result_t r;
    claim(ms, c);
    ms->last_remote = 0;
    uint32_t lat = cache_prefetch(ms->caches, c->cache_id, x << c->line_shift, data_now(ms, c), &r);
    if (!lat)
        return;
    rep_forget(c); /* the fill may have evicted lines */
    k->pf_issued++;
    k->pft[x & (PF_TABLE - 1)].line = x;
    k->pft[x & (PF_TABLE - 1)].ready = c->sb_clk + lat;
    k->pf_done[q] = c->sb_clk + lat;
}

/* Train the stream prefetcher on a demand miss of the first data level (an L2 lookup) of line l.
 * As Intel's L2 streamer (docs/CONFIG.md, cache.prefetch_*): streams live within a 4 KiB region;
 * two misses in the same direction (+1 or -1 line, or a stride of up to 4 lines) confirm one, after
 * which each miss of the stream prefetches up to pf_degree lines, at most pf_distance lines ahead
 * of it, never across the region. */
static void pf_train(cpu_t *c, memsys_t *ms, struct core_model *k, uint64_t l)
{
    uint64_t page = l >> (12 - c->line_shift);
    pf_stream_t *s = NULL, *victim = &k->st[0];
    for (uint32_t i = 0; i < k->pf_streams; i++) {
        if (k->st[i].page == page) {
            s = &k->st[i];
            break;
        }
        if (k->st[i].tick < victim->tick)
            victim = &k->st[i];
    }
    k->pf_tick++;
    if (!s) {
        *victim = (pf_stream_t){page, l, l, k->pf_tick, 0, 0};
        return;
    }
    s->tick = k->pf_tick;
    int64_t d = (int64_t)(l - s->last);
    if (d == 0)
        return;
    int dir = d > 0 ? 1 : -1;
    if (d > 4 || d < -4) {
        s->conf = 0;
    } else if (dir == s->dir) {
        s->conf++;
    } else {
        s->dir = dir;
        s->conf = 1;
        s->next = l;
    }
    s->last = l;
    if (s->conf < 2)
        return;
    uint64_t x = dir > 0 ? (s->next > l ? s->next : l + 1) : (s->next < l ? s->next : l - 1);
    for (uint32_t n = 0; n < k->pf_degree; n++) {
        int64_t ahead = dir > 0 ? (int64_t)(x - l) : (int64_t)(l - x);
        if (ahead > (int64_t)k->pf_distance || (x >> (12 - c->line_shift)) != page)
            break;
        pf_issue(c, ms, k, x);
        x += (uint64_t)(int64_t)dir;
    }
    s->next = x;
}

/* A data access of the current instruction to line l that the filter did not name. */
static void data_access(cpu_t *c, memsys_t *ms, uint64_t l, int store)
{
    struct core_model *k = c->core;
    uint64_t pa = l << c->line_shift;
    uint32_t slot = mshr_pick(k);
    if (k->mshr_done[slot] > c->sb_clk) {
        /* Every MSHR is busy: a miss must wait for one (a hit need not). */
        uint64_t *h, *sh;
        if (cache_repeat_slot(ms->caches, c->cache_id, pa, CACHE_LOAD, &h, &sh) < 0)
            core_wait(c, k->mshr_done[slot], &k->stall_mshr);
    }
    uint64_t pf_ready = 0;
    if (k->pft[l & (PF_TABLE - 1)].line == l) {
        k->pf_useful++;
        pf_ready = k->pft[l & (PF_TABLE - 1)].ready;
        k->pft[l & (PF_TABLE - 1)].line = CPU_NO_LINE;
    }
    cache_result_t r;
    uint64_t now = c->sb_clk;
    int hit_first;
    uint64_t fill = 0;
    /* A line still in flight (a miss or a prefetch not yet arrived): its data comes then. */
    for (uint32_t i = 0; i < k->nmshr; i++)
        if (k->mshr_line[i] == l && k->mshr_done[i] > now)
            fill = k->mshr_done[i];
    if (pf_ready > now + 0 && pf_ready > fill)
        fill = pf_ready;
    data_line(c, ms, pa, store, data_now(ms, c), 0, &r);
    split(c, ms, &r);
    c->mem_cycles[CPU_MEMC_OVERLAP] += r.cycles;
    hit_first = r.src == CACHE_SRC_PRIVATE && r.level == ms->first_dlevel;
    uint64_t done = now + r.cycles;
    if (fill > done) {
        if (pf_ready && fill == pf_ready)
            k->pf_late++;
        done = fill;
    }
    if (!hit_first) {
        k->misses++;
        k->mshr_line[slot] = l;
        k->mshr_done[slot] = done;
        if (k->pf_on)
            pf_train(c, ms, k, l);
    }
    struct cpu_rep *e = &c->rep[l & c->rep_mask];
    if (e->key[0] == ((l << 16) | c->rep_gen))
        e->ready = done > now + c->rep_lat ? done : 0;
    if (store)
        core_hit_store(c, done);
    else
        core_hit_load(c, done);
}

void memsys_data(cpu_t *c, uint64_t pa, uint64_t size, int store)
{
    memsys_t *ms = c->m->mem;
    uint64_t first = pa >> c->line_shift, last = (pa + size - 1) >> c->line_shift;
    for (uint64_t l = first; l <= last; l++) {
        struct cpu_rep *e = &c->rep[l & c->rep_mask];
        if (e->key[store] == ((l << 16) | c->rep_gen)) {
            (*c->rep_hits)++;
            (*e->set_hits)++;
            c->mem_cycles[CPU_MEMC_CACHE] += c->rep_lat;
            c->mem_cycles[CPU_MEMC_OVERLAP] += c->rep_lat;
            uint64_t done = c->sb_clk + c->rep_lat;
            if (e->ready > done)
                done = e->ready;
            if (store)
                core_hit_store(c, done);
            else
                core_hit_load(c, done);
            continue;
        }
        data_access(c, ms, l, store);
    }
}

void memsys_fetch(cpu_t *c, uint64_t pa, uint32_t bytes)
{
    memsys_t *ms = c->m->mem;
    struct core_model *k = c->core;
    if (!bytes)
        return;
    uint64_t first = pa >> c->line_shift, last = (pa + bytes - 1) >> c->line_shift;
    for (uint64_t l = first; l <= last; l++) {
        uint64_t key = (l << 16) | c->rep_gen;
        struct cpu_rep *e = k->irep ? &k->irep[l & k->imask] : NULL;
        if (e && e->key[0] == key && ms->last_cpu == c->id) {
            /* A line the fetch filter names: a hit of the first instruction level that changes
             * only its counters (the same argument as the data side's, memsys.c's header). */
            (*k->ihits)++;
            (*e->set_hits)++;
            if (k->ilat) {
                c->mem_cycles[CPU_MEMC_CACHE] += k->ilat;
                c->sb_clk += k->ilat;
            }
            continue;
        }
        cache_result_t r;
        claim(ms, c);
        ms->last_remote = 0;
        cache_access(ms->caches, c->cache_id, l << c->line_shift, CACHE_IFETCH, data_now(ms, c), &r);
        if (r.src != CACHE_SRC_PRIVATE || r.level != ms->first_ilevel || ms->first_ilevel == ms->first_dlevel)
            rep_forget(c); /* fills below may have moved data lines */
        if (r.cycles) {
            split(c, ms, &r);
            c->sb_clk += r.cycles; /* a fetch stops the core */
        }
        if (e) {
            key = (l << 16) | c->rep_gen;
            int lat = cache_repeat_slot(ms->caches, c->cache_id, l << c->line_shift, CACHE_IFETCH, &k->ihits,
                                        &e->set_hits);
            e->key[0] = lat < 0 || ms->rep_off ? 0 : key;
            k->ilat = lat < 0 ? 0 : (uint32_t)lat;
        }
    }
}

/* A PTE load of a timed walk: a load through the data side, its whole cost to the walk. */
static uint32_t pte_load(void *arg, uint64_t pa, int level, int node)
{
    (void)level;
    (void)node;
    cpu_t *c = arg;
    cache_result_t r;
    return data_line(c, c->m->mem, pa & ~7ull, 0, data_now(c->m->mem, c), 0, &r);
}

/* ---- counters ---------------------------------------------------------------------------------- */

typedef struct reg_ctx {
    counters_t *ctrs;
    int se_core;   /* SE mode: the cache model's core of the program's CPU (-1: full system) */
} reg_ctx_t;

/* In SE mode the cache model has one core per socket and the program's CPU is the core of its
 * socket (se.cpu): its counters are cpu0.* like the CPU's others; the idle cores' are left out. */
static void reg_cache_counter(void *arg, const char *name, const char *desc, const uint64_t *value)
{
    reg_ctx_t *r = arg;
    int core, at = 0;
    if (r->se_core >= 0 && sscanf(name, "cpu%d.%n", &core, &at) == 1 && at > 0) {
        if (core == r->se_core)
            counters_add(r->ctrs, value, desc, "cpu0.%s", name + at);
        return;
    }
    counters_add(r->ctrs, value, desc, "%s", name);
}

static uint64_t sum_dram(machine_t *m, size_t off)
{
    uint64_t s = 0;
    for (int n = 0; n < m->mem->nr_nodes; n++)
        if (m->mem->ctrl[n])
            s += *(const uint64_t *)(const void *)((const char *)dram_ctrl_stats(m->mem->ctrl[n]) + off);
    return s;
}
#define SUM(f) sum_dram(m, offsetof(dram_ctrl_stats_t, f))

static uint64_t dram_local(void *arg) { machine_t *m = arg; return SUM(local_accesses); }
static uint64_t dram_remote(void *arg) { machine_t *m = arg; return SUM(remote_accesses); }
static uint64_t dram_local_avg(void *arg)
{
    machine_t *m = arg;
    uint64_t n = SUM(local_accesses);
    return n ? (SUM(local_latency_cycles) + n / 2) / n : 0;
}
static uint64_t dram_remote_avg(void *arg)
{
    machine_t *m = arg;
    uint64_t n = SUM(remote_accesses);
    return n ? (SUM(remote_latency_cycles) + n / 2) / n : 0;
}


/* MB/s (10^6 bytes per second) over the machine's cycles (sim.cycles) at cpu.mhz. */
static uint64_t node_bandwidth(void *arg)
{
    node_arg_t *na = arg;
    machine_t *m = na->m;
    uint64_t cy = counters_get(m->ctrs, "sim.cycles", NULL);
    uint64_t bytes = dram_ctrl_stats(m->mem->ctrl[na->node])->bytes;
    return cy ? (uint64_t)((double)bytes * (double)m->mem->mhz / (double)cy) : 0;
}


#define MEMSYS_CPU_COUNTERS(X)                                                                     \
    X(CPU_MEMC_CACHE, "cache_cycles", "Cycles of data and fetch accesses served by the caches (--timing=full)") \
    X(CPU_MEMC_DRAM_LOCAL, "dram_local_cycles", "Cycles of data and fetch accesses spent in DRAM of the CPU's socket") \
    X(CPU_MEMC_DRAM_REMOTE, "dram_remote_cycles", "Cycles of data and fetch accesses spent in DRAM of other sockets") \
    X(CPU_MEMC_COHERENCE, "coherence_cycles", "Cycles of accesses served by or invalidating other cores' caches") \
    X(CPU_MEMC_OVERLAP, "overlapped_cycles", "Latency of data accesses the core did not wait for (memory-level parallelism)")

#define CORE_COUNTERS(X)                                                                           \
    X(stall_reg, "core.reg_stall_cycles", "Cycles waiting for address registers loaded by accesses not yet complete") \
    X(stall_mshr, "core.mshr_stall_cycles", "Cycles a miss waited for a free MSHR (all cpu.mshrs in flight)") \
    X(stall_sb, "core.sb_stall_cycles", "Cycles a store waited for a free store-buffer entry")     \
    X(misses, "core.mshr_misses", "Data accesses that missed the first data level (each held an MSHR)") \
    X(pf_issued, "pf.issued", "Lines the L2 stream prefetcher fetched (not already held by the core)") \
    X(pf_useful, "pf.useful", "Prefetched lines a demand access then missed the first level on (prefetch hits)") \
    X(pf_late, "pf.late", "Of the useful ones, lines demanded before their prefetch completed") \
    X(pf_dropped, "pf.dropped", "Prefetches not issued because cache.prefetch_queue requests were in flight")

int memsys_init(machine_t *m, char *err, size_t errlen)
{
    const config_t *cfg = &m->cfg;
    memsys_t *ms = calloc(1, sizeof(*ms));
    if (!ms) {
        snprintf(err, errlen, "out of host memory");
        return -1;
    }
    ms->last_cpu = -1;
    ms->mhz = (uint32_t)config_get(cfg, CFG_cpu_mhz);
    if (memsys_topology(cfg, &ms->topo, err, errlen) < 0) {
        free(ms);
        return -1;
    }
    if (ms->topo.nr_sockets > DRAM_MAX_SOCKETS) {
        snprintf(err, errlen, "--timing=full: machine.sockets = %d; the NUMA timing model supports at most %d",
                 ms->topo.nr_sockets, DRAM_MAX_SOCKETS);
        free(ms);
        return -1;
    }
    ms->nr_nodes = dram_nr_nodes(m->dram);
    ms->nr_sockets = ms->topo.nr_sockets;
    ms->dram = m->dram;
    ms->cores_per_socket = m->mode == EMU_MODE_FS ? (int)config_get(cfg, CFG_machine_cores_per_socket) : 1;
    if (ms->cores_per_socket > CACHE_MAX_CORES_PER_SOCKET) {
        snprintf(err, errlen, "--timing=full: machine.cores_per_socket = %d; the cache model supports at most %d",
                 ms->cores_per_socket, CACHE_MAX_CORES_PER_SOCKET);
        free(ms);
        return -1;
    }
    cache_cfg_t cc;
    cache_cfg_from(cfg, ms->cores_per_socket, &cc);
    cc.mem = mem_access;
    cc.mem_arg = ms;
    char e2[512];
    ms->caches = cache_new(&cc, e2, sizeof(e2));
    if (!ms->caches) {
        snprintf(err, errlen, "bad cache configuration (cache.* keys): %s", e2);
        free(ms);
        return -1;
    }
    ms->first_ilevel = cc.priv[0].size ? 0 : cc.priv[2].size ? 2 : -1;
    ms->first_dlevel = cc.priv[1].size ? 1 : cc.priv[2].size ? 2 : -1;
    uint32_t ls = 0;
    while ((1u << ls) < cc.line_size)
        ls++;
    ms->line_shift = ls;
    for (int n = 0; n < ms->nr_nodes; n++) {
        dram_ctrl_cfg_t dc;
        dram_cfg_from(cfg, &dc);
        dc.base_pa = dram_node_base(m->dram, n);
        ms->ctrl[n] = dram_ctrl_new(&dc, &ms->topo, n, e2, sizeof(e2));
        if (!ms->ctrl[n]) {
            snprintf(err, errlen, "bad DRAM configuration (dram.* keys): %s", e2);
            memsys_free(ms);
            return -1;
        }
    }
    m->mem = ms;
    for (int i = 0; i < m->nr_cpus; i++) {
        cpu_t *c = m->cpus[i];
        c->host_base = (uintptr_t)dram_base(m->dram);
        c->line_shift = ls;
        /* The repeat filter: one entry per set of the first data level when the sets are a power of
         * two (an entry then covers exactly one set), else a single entry. */
        const cache_array_t *fa = ms->first_dlevel >= 0 ? cache_private(ms->caches, c->cache_id, ms->first_dlevel)
                                                        : NULL;
        uint32_t sets = fa ? cache_array_sets(fa) : 1;
        uint64_t nrep = (sets & (sets - 1)) == 0 ? sets : 1;
        c->rep = calloc(nrep, sizeof(struct cpu_rep));
        c->core = calloc(1, sizeof(struct core_model));
        if (!c->rep || !c->core) {
            snprintf(err, errlen, "out of host memory");
            return -1;
        }
        c->rep_mask = nrep - 1;
        c->sb_resync = config_get(cfg, CFG_tlb_l1_latency) != 0;
        /* The fetch filter, when the first instruction level serves fetches only. */
        if (ms->first_ilevel == 0) {
            const cache_array_t *ia = cache_private(ms->caches, c->cache_id, 0);
            uint32_t isets = cache_array_sets(ia);
            uint64_t ni = (isets & (isets - 1)) == 0 ? isets : 1;
            c->core->irep = calloc(ni, sizeof(struct cpu_rep));
            if (!c->core->irep) {
                snprintf(err, errlen, "out of host memory");
                return -1;
            }
            c->core->imask = ni - 1;
        }
        c->rep_gen = 1;
        struct core_model *k = c->core;
        k->nmshr = (uint32_t)config_get(cfg, CFG_cpu_mshrs);
        k->nsb = (uint32_t)config_get(cfg, CFG_cpu_store_buffer);
        k->pf_on = config_get(cfg, CFG_cache_prefetch) == 0;
        k->pf_streams = (uint32_t)config_get(cfg, CFG_cache_prefetch_streams);
        k->pf_distance = (uint32_t)config_get(cfg, CFG_cache_prefetch_distance);
        k->pf_degree = (uint32_t)config_get(cfg, CFG_cache_prefetch_degree);
        k->pf_queue = (uint32_t)config_get(cfg, CFG_cache_prefetch_queue);
        for (int j = 0; j < PF_TABLE; j++)
            k->pft[j].line = CPU_NO_LINE;
        for (int j = 0; j < CORE_MAX_MSHRS; j++)
            k->mshr_line[j] = CPU_NO_LINE;
        /* SE mode: the socket of the CPU the program runs on (se.cpu, --cpu), whose core it is. */
        int se_socket = (int)(config_get(cfg, CFG_se_cpu) / config_get(cfg, CFG_machine_cores_per_socket));
        c->cache_id = m->mode == EMU_MODE_FS ? i : se_socket;
        c->socket = m->mode == EMU_MODE_FS ? i / (int)config_get(cfg, CFG_machine_cores_per_socket) : se_socket;
        mmu_set_pte_load(c->walker, pte_load, c);
    }
    /* Counters. */
    reg_ctx_t rc = {m->ctrs, m->mode == EMU_MODE_FS ? -1 : m->cpus[0]->cache_id};
    cache_foreach_counter(ms->caches, reg_cache_counter, &rc);
    for (int n = 0; n < ms->nr_nodes; n++) {
        const dram_ctrl_stats_t *st = dram_ctrl_stats(ms->ctrl[n]);
#define X(f, name, desc) counters_add(m->ctrs, &st->f, desc, "node%d.%s", n, name);
        DRAM_CTRL_COUNTERS(X)
#undef X
        node_arg_t *na = &ms->node_args[n];
        na->m = m;
        na->node = n;
        counters_add_fn(m->ctrs, node_bandwidth, na, "DRAM bandwidth of the node over the run, MB/s",
                        "node%d.dram.bandwidth_mbs", n);
    }
    for (int so = 0; so < ms->nr_sockets; so++)
        for (int n = 0; n < ms->nr_nodes; n++) {
            counters_add(m->ctrs, &ms->sn_accesses[so][n], "DRAM requests from the socket to the node (reads and "
                         "write-backs)", "dram.socket%d.node%d.accesses", so, n);
            counters_add(m->ctrs, &ms->sn_latency[so][n], "Sum of the latencies of those requests, cycles",
                         "dram.socket%d.node%d.latency_cycles", so, n);
        }
    counters_add_fn(m->ctrs, dram_local, m, "DRAM requests from the node's own socket, all nodes", "dram.local_accesses");
    counters_add_fn(m->ctrs, dram_remote, m, "DRAM requests from other sockets, all nodes", "dram.remote_accesses");
    counters_add_fn(m->ctrs, dram_local_avg, m, "Average latency of local DRAM requests, cycles",
                    "dram.local_latency_avg");
    counters_add_fn(m->ctrs, dram_remote_avg, m, "Average latency of remote DRAM requests, cycles",
                    "dram.remote_latency_avg");
    for (int i = 0; i < m->nr_cpus; i++) {
#define X(k, name, desc) counters_add(m->ctrs, &m->cpus[i]->mem_cycles[k], desc, "cpu%d.%s", i, name);
        MEMSYS_CPU_COUNTERS(X)
#undef X
#define X(f, name, desc) counters_add(m->ctrs, &m->cpus[i]->core->f, desc, "cpu%d.%s", i, name);
        CORE_COUNTERS(X)
#undef X
    }
    return 0;
}

void memsys_free(memsys_t *ms)
{
    if (!ms)
        return;
    cache_free(ms->caches);
    for (int n = 0; n < DRAM_MAX_NODES; n++)
        dram_ctrl_free(ms->ctrl[n]);
    free(ms);
}

void memsys_reset_stats(machine_t *m)
{
    memsys_t *ms = m->mem;
    if (!ms)
        return;
    cache_reset_stats(ms->caches);
    for (int n = 0; n < ms->nr_nodes; n++)
        dram_ctrl_reset_stats(ms->ctrl[n]);
    memset(ms->sn_accesses, 0, sizeof(ms->sn_accesses));
    memset(ms->sn_latency, 0, sizeof(ms->sn_latency));
    for (int i = 0; i < m->nr_cpus; i++) {
        cpu_t *c = m->cpus[i];
        memset(c->mem_cycles, 0, sizeof(c->mem_cycles));
        /* The core starts afresh: nothing in flight (the cycles restart from 0). */
        struct core_model *k = c->core;
        if (k) {
            uint32_t nm = k->nmshr, ns = k->nsb, ps = k->pf_streams, pd = k->pf_distance, pg = k->pf_degree;
            uint32_t pq = k->pf_queue;
            int on = k->pf_on;
            struct cpu_rep *irep = k->irep;
            uint64_t imask = k->imask;
            memset(k, 0, sizeof(*k));
            k->irep = irep, k->imask = imask;
            if (irep)
                memset(irep, 0, (imask + 1) * sizeof(*irep)); /* its counter pointers are re-read */
            k->nmshr = nm, k->nsb = ns, k->pf_streams = ps, k->pf_distance = pd, k->pf_degree = pg, k->pf_on = on;
            k->pf_queue = pq;
            for (int j = 0; j < PF_TABLE; j++)
                k->pft[j].line = CPU_NO_LINE;
            for (int j = 0; j < CORE_MAX_MSHRS; j++)
                k->mshr_line[j] = CPU_NO_LINE;
        }
        memset(c->sb_ready, 0, sizeof(c->sb_ready)); /* [TREG_NONE_RD] must stay 0 */
        c->sb_max = 0;
        c->sb_clk = 0;
    }
}

/* ---- reports ----------------------------------------------------------------------------------- */

static uint64_t getc_(machine_t *m, const char *fmt, int i)
{
    char name[96];
    snprintf(name, sizeof(name), fmt, i);
    return counters_get(m->ctrs, name, NULL);
}

void memsys_print_cpu(machine_t *m, int i, FILE *f)
{
    if (!m->mem)
        return;
    uint64_t cy = getc_(m, "cpu%d.cycles", i);
    double pc = cy ? 100.0 / (double)cy : 0;
    /* The memory buckets hold every access's latency; the part the core waited for is what they
     * add to the cycles (less overlapped_cycles): each is shown scaled to it. */
    const uint64_t *mc = m->cpus[i]->mem_cycles;
    uint64_t lat = mc[0] + mc[1] + mc[2] + mc[3];
    double ex = lat ? pc * (double)(lat - (mc[CPU_MEMC_OVERLAP] < lat ? mc[CPU_MEMC_OVERLAP] : lat)) / (double)lat : 0;
    fprintf(f, "emu: cpu%d cycles split: compute %.1f%%, TLB %.1f%%, walks %.1f%%, cache %.1f%%, local DRAM %.1f%%, "
               "remote DRAM %.1f%%, coherence %.1f%%\n", i,
            (double)getc_(m, "cpu%d.base_cycles", i) * pc, (double)getc_(m, "cpu%d.tlb.cycles", i) * pc,
            (double)getc_(m, "cpu%d.walk_cycles", i) * pc, (double)getc_(m, "cpu%d.cache_cycles", i) * ex,
            (double)getc_(m, "cpu%d.dram_local_cycles", i) * ex, (double)getc_(m, "cpu%d.dram_remote_cycles", i) * ex,
            (double)getc_(m, "cpu%d.coherence_cycles", i) * ex);
    const struct core_model *k = m->cpus[i]->core;
    if (k) {
        fprintf(f, "emu: cpu%d core: %.1f%% of the access latency above overlapped (not waited for); waits: registers "
                   "%.1f%%, MSHRs %.1f%%, store buffer %.1f%% of the cycles; prefetches %llu, %llu used (%llu late)\n",
                i, lat ? 100.0 * (double)mc[CPU_MEMC_OVERLAP] / (double)lat : 0.0, (double)k->stall_reg * pc,
                (double)k->stall_mshr * pc, (double)k->stall_sb * pc, (unsigned long long)k->pf_issued,
                (unsigned long long)k->pf_useful, (unsigned long long)k->pf_late);
    }
    static const char *const lv[3] = {"l1i", "l1d", "l2"};
    for (int l = 0; l < 3; l++) {
        char hn[64], mn[64];
        snprintf(hn, sizeof(hn), "cpu%%d.%s.hits", lv[l]);
        snprintf(mn, sizeof(mn), "cpu%%d.%s.misses", lv[l]);
        uint64_t h = getc_(m, hn, i), mi = getc_(m, mn, i);
        if (h + mi)
            fprintf(f, "emu: cpu%d %-5s %12llu hits %10llu misses (%.3f%%)\n", i, lv[l], (unsigned long long)h,
                    (unsigned long long)mi, 100.0 * (double)mi / (double)(h + mi));
    }
}

void memsys_print(machine_t *m, FILE *f)
{
    memsys_t *ms = m->mem;
    if (!ms)
        return;
    for (int s = 0; s < cache_nsockets(ms->caches); s++) {
        uint64_t h = getc_(m, "socket%d.llc.hits", s), mi = getc_(m, "socket%d.llc.misses", s);
        if (h + mi)
            fprintf(f, "emu: socket%d llc %12llu hits %10llu misses (%.3f%%)\n", s, (unsigned long long)h,
                    (unsigned long long)mi, 100.0 * (double)mi / (double)(h + mi));
    }
    for (int n = 0; n < ms->nr_nodes; n++) {
        const dram_ctrl_stats_t *st = dram_ctrl_stats(ms->ctrl[n]);
        if (!st->reads && !st->writes)
            continue;
        fprintf(f, "emu: node%d DRAM %llu reads %llu writes, rows %llu hit %llu miss %llu conflict, avg %.1f cycles, "
                   "%llu MB/s\n", n, (unsigned long long)st->reads, (unsigned long long)st->writes,
                (unsigned long long)st->row_hits, (unsigned long long)st->row_misses,
                (unsigned long long)st->row_conflicts,
                st->reads + st->writes ? (double)st->latency_cycles / (double)(st->reads + st->writes) : 0.0,
                (unsigned long long)getc_(m, "node%d.dram.bandwidth_mbs", n));
    }
    uint64_t la = counters_get(m->ctrs, "dram.local_accesses", NULL);
    uint64_t ra = counters_get(m->ctrs, "dram.remote_accesses", NULL);
    fprintf(f, "emu: DRAM accesses local %llu (avg %llu cycles), remote %llu (avg %llu cycles)\n",
            (unsigned long long)la, (unsigned long long)counters_get(m->ctrs, "dram.local_latency_avg", NULL),
            (unsigned long long)ra, (unsigned long long)counters_get(m->ctrs, "dram.remote_latency_avg", NULL));
}

static void print_level(FILE *f, const char *name, uint64_t size, int64_t ways, int64_t lat, int64_t line,
                        const char *repl, const char *per)
{
    if (!size) {
        fprintf(f, "  %-4s none\n", name);
        return;
    }
    fprintf(f, "  %-4s %llu KiB %s, %lld-way, %llu sets of %lld B lines, %lld cycles, %s\n", name,
            (unsigned long long)(size >> 10), per, (long long)ways,
            (unsigned long long)(size / ((uint64_t)ways * (uint64_t)line)), (long long)line, (long long)lat, repl);
}

void memsys_print_info(const config_t *cfg, FILE *f)
{
    static const char *const repl[] = {"LRU", "tree-PLRU", "random"};
    int64_t line = config_get(cfg, CFG_cache_line_size);
    double ghz = (double)config_get(cfg, CFG_cpu_mhz) / 1000.0;
    fprintf(f, "caches (--timing=full; CPU clock %.2f GHz):\n", ghz);
#define LV(name, k, per)                                                                                     \
    print_level(f, name, (uint64_t)config_get(cfg, CFG_cache_##k##_size), config_get(cfg, CFG_cache_##k##_ways), \
                config_get(cfg, CFG_cache_##k##_latency), line, repl[config_get(cfg, CFG_cache_##k##_replacement) % 3], per)
    LV("L1I", l1i, "per core");
    LV("L1D", l1d, "per core");
    LV("L2", l2, "per core");
    LV("LLC", llc, "per socket");
#undef LV
    fprintf(f, "  LLC %s; core-to-core %lld ns within a socket, %lld ns across\n",
            config_get(cfg, CFG_cache_llc_inclusion) ? "inclusive" : "non-inclusive",
            (long long)config_get(cfg, CFG_cache_c2c_local_ns), (long long)config_get(cfg, CFG_cache_c2c_remote_ns));
    dram_ctrl_cfg_t dc;
    dram_cfg_from(cfg, &dc);
    fprintf(f, "DRAM (per node): %s, %u channels x %u ranks x %u bank groups x %u banks, %u B rows, %s page, mapping "
               "%s, refresh %s, front end %.0f ns, peak %.1f GB/s\n",
            dram_presets[config_get(cfg, CFG_dram_preset) % 2], dc.channels, dc.ranks, dc.bank_groups,
            dc.banks_per_group, dc.row_bytes, dc.page_policy == DRAM_OPEN_PAGE ? "open" : "closed", dc.mapping,
            dc.tREFI ? "on" : "off", dc.frontend_ns,
            (double)dc.channels * dc.data_rate_mts * dc.bus_bytes / 1000.0);
    dram_topo_t t;
    char err[512];
    if (memsys_topology(cfg, &t, err, sizeof(err)) < 0) {
        fprintf(f, "NUMA latency: %s\n", err);
        return;
    }
    dram_ctrl_t *ctl = dram_ctrl_new(&dc, &t, 0, err, sizeof(err));
    if (ctl) {
        double cyc_ns = 1000.0 / (double)dc.cpu_mhz;
        uint32_t hit = dram_ctrl_idle_latency(ctl, DRAM_ROW_HIT, 0), miss = dram_ctrl_idle_latency(ctl, DRAM_ROW_MISS, 0),
                 conf = dram_ctrl_idle_latency(ctl, DRAM_ROW_CONFLICT, 0);
        fprintf(f, "  idle latency from socket 0 to node 0: row hit %u, miss %u, conflict %u cycles (%.1f / %.1f / "
                   "%.1f ns), plus the LLC's %lld on the way\n", hit, miss, conf, hit * cyc_ns, miss * cyc_ns,
                conf * cyc_ns, (long long)config_get(cfg, CFG_cache_llc_latency));
        dram_ctrl_free(ctl);
    } else {
        fprintf(f, "  bad DRAM configuration: %s\n", err);
    }
    if (t.nr_nodes > 1 || t.nr_sockets > 1) {
        fprintf(f, "NUMA extra latency, ns (rows: sockets, columns: nodes)%s:\n",
                config_get(cfg, CFG_numa_remote_bandwidth_mbs) ? "" : "; remote links unlimited");
        for (int s = 0; s < t.nr_sockets; s++) {
            fprintf(f, "  socket %d:", s);
            for (int n = 0; n < t.nr_nodes; n++)
                fprintf(f, " %5.1f", t.latency_ns[s][n]);
            fprintf(f, "\n");
        }
        if (config_get(cfg, CFG_numa_remote_bandwidth_mbs))
            fprintf(f, "  remote link bandwidth %lld MB/s per socket-to-node pair\n",
                    (long long)config_get(cfg, CFG_numa_remote_bandwidth_mbs));
    }
}

void memsys_list_counters(FILE *f)
{
#define X(f_, name, desc) fprintf(f, "cpuN.l1d.%-19s %s\n", name, desc);
    CACHE_LEVEL_COUNTERS(X)
#undef X
#define X(f_, name, desc) fprintf(f, "cpuN.l1i.%-19s %s\n", name, desc);
    CACHE_LEVEL_COUNTERS(X)
#undef X
#define X(f_, name, desc) fprintf(f, "cpuN.l2.%-20s %s\n", name, desc);
    CACHE_LEVEL_COUNTERS(X)
#undef X
#define X(f_, name, desc) fprintf(f, "socketS.llc.%-16s %s\n", name, desc);
    CACHE_LEVEL_COUNTERS(X)
#undef X
#define X(f_, name, desc) fprintf(f, "cpuN.coh.%-19s %s\n", name, desc);
    CACHE_COH_COUNTERS(X)
#undef X
#define X(k, name, desc) fprintf(f, "cpuN.%-23s %s\n", name, desc);
    MEMSYS_CPU_COUNTERS(X)
    CORE_COUNTERS(X)
#undef X
#define X(f_, name, desc) fprintf(f, "nodeN.%-22s %s\n", name, desc);
    DRAM_CTRL_COUNTERS(X)
#undef X
    fprintf(f, "%-28s %s\n", "nodeN.dram.bandwidth_mbs", "DRAM bandwidth of the node over the run, MB/s");
    fprintf(f, "%-28s %s\n", "dram.socketS.nodeN.accesses", "DRAM requests from socket S to node N (reads and write-backs)");
    fprintf(f, "%-28s %s\n", "dram.socketS.nodeN.latency_cycles", "Sum of the latencies of those requests, cycles");
    fprintf(f, "%-28s %s\n", "dram.local_accesses", "DRAM requests from the node's own socket, all nodes");
    fprintf(f, "%-28s %s\n", "dram.remote_accesses", "DRAM requests from other sockets, all nodes");
    fprintf(f, "%-28s %s\n", "dram.local_latency_avg", "Average latency of local DRAM requests, cycles");
    fprintf(f, "%-28s %s\n", "dram.remote_latency_avg", "Average latency of remote DRAM requests, cycles");
}

void memsys_core_set(cpu_t *c, int mshrs, int store_buffer, int prefetch)
{
    struct core_model *k = c->core;
    if (!k)
        return;
    k->nmshr = (uint32_t)(mshrs < 1 ? 1 : mshrs > CORE_MAX_MSHRS ? CORE_MAX_MSHRS : mshrs);
    k->nsb = (uint32_t)(store_buffer < 0 ? 0 : store_buffer > CORE_MAX_SB ? CORE_MAX_SB : store_buffer);
    k->sb_pos = 0;
    k->pf_on = prefetch;
}

void memsys_core_free(struct core_model *k)
{
    free(k->irep);
    free(k);
}
