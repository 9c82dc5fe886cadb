/* snapshot: what the visualizer shows, copied out of the machine between chunks of the run
 * (docs/UI.md). The UI reads snapshots only, never the live machine, and the core calls the observer
 * (emu_set_observer) only between chunks, so the hot path pays nothing for either.
 *
 * Frame states: full-system mode reads the guest's annotation table (emu/annot.c); SE mode asks the
 * SE kernel (se_frame_states in emu/se_mm.c). Frame heat: while a snapshot buffer exists, every
 * translation-cache fill adds one to its frame (machine_heat, called from emu/cpu.c's tc_fill), and
 * every snapshot empties the translation caches, so each frame touched in an interval counts at least
 * once, more when its entry was evicted and refilled (a conflict in the 512-entry direct-mapped cache,
 * or a modelled TLB miss): DAMON's sampling of accessed bits, done per interval. Emptying the
 * translation caches changes nothing the guest can observe and no modelled TLB count (a refill that
 * hits the modelled TLB is counted as the hit it would have been); only cpuN.tc_misses grows.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu/fs.h"
#include "emu/machine.h"
#include "emu/memsys.h"
#include "emu/se.h"
#include "emu/se_int.h"
#include "guest/abi.h"

_Static_assert((int)EMU_SNAP_FREE == (int)EMU_FRAME_FREE && (int)EMU_SNAP_PAGE_TABLE == (int)EMU_FRAME_PAGE_TABLE &&
                   (int)EMU_SNAP_PCP == (int)EMU_FRAME_PCP && (int)EMU_SNAP_NR_STATES == (int)EMU_FRAME_NR_STATES,
               "enum emu_snap_state follows enum emu_frame_state");

/* Previous cumulative per-set counters, to hand out differences. */
typedef struct prev_tlb {
    const tlb_array_t *a;
    uint64_t *hits, *misses, *evictions; /* [sets] */
    uint64_t th, tm, te;
} prev_tlb_t;

typedef struct snap_priv {
    prev_tlb_t (*prev)[EMU_SNAP_MAX_TLBS]; /* [nr_cpus] */
    uint8_t *state, *aux;                  /* SE mode: per frame */
    size_t frame_bytes;
    /* The socket-to-node DRAM counts at the previous snapshot. */
    uint64_t dram_acc[EMU_SNAP_MAX_SOCKETS][EMU_SNAP_MAX_NODES], dram_lat[EMU_SNAP_MAX_SOCKETS][EMU_SNAP_MAX_NODES];
} snap_priv_t;

static const char *const state_names[EMU_SNAP_NR_STATES] = {
    "unknown", "free", "reserved", "kernel", "memmap", "slab", "page table", "vmalloc", "anon", "file",
    "swap cache", "pcp",
};

const char *emu_snap_state_name(int state)
{
    return state >= 0 && state < EMU_SNAP_NR_STATES ? state_names[state] : "?";
}

const char *emu_zone_name(int zone)
{
    static const char *const z[EMU_ZONE_MOVABLE + 1] = {"DMA", "DMA32", "Normal", "Movable"};
    return zone >= 0 && zone <= EMU_ZONE_MOVABLE ? z[zone] : "?";
}

#define ZONE_DMA_END (16ull << 20 >> 12)
#define ZONE_DMA32_END (4ull << 30 >> 12)

int emu_zone_of(uint64_t pfn)
{
    return pfn < ZONE_DMA_END ? EMU_ZONE_DMA : pfn < ZONE_DMA32_END ? EMU_ZONE_DMA32 : EMU_ZONE_NORMAL;
}

static void *reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ---- the observer ------------------------------------------------------------------------------------ */

void emu_set_observer(emu_t *m, emu_observer_fn fn, void *arg, uint64_t every)
{
    m->obs_fn = fn;
    m->obs_arg = arg;
    m->obs_every = every ? every : 1;
    m->obs_next = m->run_insns + m->obs_every;
}

void machine_observe(machine_t *m)
{
    for (int i = 0; i < m->nr_cpus; i++)
        cpu_tlb_sync(m->cpus[i]);
    uint64_t next = m->obs_fn(m, m->obs_arg);
    m->obs_next = m->run_insns + (next ? next : m->obs_every);
}

void emu_stop(emu_t *m)
{
    if (m->stop)
        return;
    m->stop = 1;
    m->result.kind = EMU_LIMIT;
    m->result.code = 0;
    m->result.status = EMU_EXIT_LIMIT;
}

uint64_t emu_run_insns(const emu_t *m) { return m->run_insns; }
enum emu_mode emu_get_mode(const emu_t *m) { return m->mode; }

/* ---- buffers ----------------------------------------------------------------------------------------- */

static void free_tlb_bufs(emu_snapshot_t *s)
{
    for (int c = 0; s->cpus && c < s->nr_cpus; c++)
        for (int k = 0; k < EMU_SNAP_MAX_TLBS; k++) {
            emu_snap_tlb_t *t = &s->cpus[c].tlb[k];
            free(t->set_hits);
            free(t->set_misses);
            free(t->set_evictions);
            free(t->valid);
        }
}

void emu_snapshot_free(emu_t *m, emu_snapshot_t *s)
{
    if (!s)
        return;
    snap_priv_t *p = s->priv;
    if (p) {
        for (int c = 0; p->prev && c < s->nr_cpus; c++)
            for (int k = 0; k < EMU_SNAP_MAX_TLBS; k++) {
                free(p->prev[c][k].hits);
                free(p->prev[c][k].misses);
                free(p->prev[c][k].evictions);
            }
        free(p->prev);
        if (p->state)
            munmap(p->state, p->frame_bytes);
        if (p->aux)
            munmap(p->aux, p->frame_bytes);
        free(p);
    }
    free_tlb_bufs(s);
    free(s->cpus);
    free(s->cells);
    free(s->names);
    free(s);
    /* Heat stays on for as long as the machine lives: another snapshot may be taken later; the
     * arrays are freed with the machine (they are reserved lazily and cost only what was touched). */
    (void)m;
}

/* The arrays of CPU c, in display order. */
static int cpu_arrays(machine_t *m, int c, const tlb_array_t **arr, const char **names, int *levels)
{
    static const struct { int id; const char *name; int level; } ids[] = {
        {TLB_ITLB_4K, "iTLB 4K", EMU_SNAP_L1I}, {TLB_ITLB_2M, "iTLB 2M", EMU_SNAP_L1I},
        {TLB_ITLB_1G, "iTLB 1G", EMU_SNAP_L1I}, {TLB_DTLB_4K, "dTLB 4K", EMU_SNAP_L1D},
        {TLB_DTLB_2M, "dTLB 2M", EMU_SNAP_L1D}, {TLB_DTLB_1G, "dTLB 1G", EMU_SNAP_L1D},
        {TLB_STLB, "STLB", EMU_SNAP_STLB},      {TLB_STLB_1G, "STLB 1G", EMU_SNAP_STLB},
    };
    static const char *const pwc_names[6] = {"", "", "PDE cache", "PDPTE cache", "PML4E cache", "PML5E cache"};
    int n = 0;
    cpu_t *cpu = m->cpus[c];
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const tlb_array_t *a = cpu->tlb ? tlb_get_array(cpu->tlb, (enum tlb_array_id)ids[i].id) : NULL;
        if (a && n < EMU_SNAP_MAX_TLBS) {
            arr[n] = a;
            names[n] = ids[i].name;
            levels[n++] = ids[i].level;
        }
    }
    for (int L = 2; L <= 5; L++) {
        const tlb_array_t *a = cpu->walker ? mmu_pwc(cpu->walker, L) : NULL;
        if (a && n < EMU_SNAP_MAX_TLBS) {
            arr[n] = a;
            names[n] = pwc_names[L];
            levels[n++] = EMU_SNAP_PWC;
        }
    }
    return n;
}

emu_snapshot_t *emu_snapshot_new(emu_t *m)
{
    emu_snapshot_t *s = calloc(1, sizeof(*s));
    snap_priv_t *p = calloc(1, sizeof(*p));
    if (!s || !p)
        goto fail;
    s->priv = p;
    s->nr_cpus = m->nr_cpus;
    s->cpus = calloc((size_t)m->nr_cpus, sizeof(*s->cpus));
    p->prev = calloc((size_t)m->nr_cpus, sizeof(*p->prev));
    if (!s->cpus || !p->prev)
        goto fail;
    for (int c = 0; c < m->nr_cpus; c++) {
        const tlb_array_t *arr[EMU_SNAP_MAX_TLBS];
        const char *names[EMU_SNAP_MAX_TLBS];
        int levels[EMU_SNAP_MAX_TLBS];
        int n = cpu_arrays(m, c, arr, names, levels);
        s->cpus[c].nr_tlbs = n;
        for (int k = 0; k < n; k++) {
            emu_snap_tlb_t *t = &s->cpus[c].tlb[k];
            prev_tlb_t *pv = &p->prev[c][k];
            snprintf(t->name, sizeof(t->name), "%s", names[k]);
            t->level = levels[k];
            t->sets = tlb_array_sets(arr[k]);
            t->ways = tlb_array_ways(arr[k]);
            t->set_hits = calloc(t->sets, sizeof(uint32_t));
            t->set_misses = calloc(t->sets, sizeof(uint32_t));
            t->set_evictions = calloc(t->sets, sizeof(uint32_t));
            t->valid = calloc((size_t)t->sets * t->ways, 1);
            pv->a = arr[k];
            pv->hits = calloc(t->sets, sizeof(uint64_t));
            pv->misses = calloc(t->sets, sizeof(uint64_t));
            pv->evictions = calloc(t->sets, sizeof(uint64_t));
            if (!t->set_hits || !t->set_misses || !t->set_evictions || !t->valid || !pv->hits || !pv->misses ||
                !pv->evictions)
                goto fail;
        }
    }
    if (m->mode == EMU_MODE_SE) {
        p->frame_bytes = m->nr_frames ? m->nr_frames : 1;
        p->state = reserve(p->frame_bytes);
        p->aux = reserve(p->frame_bytes);
        if (!p->state || !p->aux)
            goto fail;
    }
    if (!m->heat) {
        size_t hb = (m->nr_frames ? m->nr_frames : 1) * sizeof(uint32_t);
        size_t tb = ((m->nr_frames >> 15) + 1) * sizeof(uint64_t);
        uint32_t *h = reserve(hb);
        uint64_t *t = calloc(1, tb);
        if (!h || !t) {
            if (h)
                munmap(h, hb);
            free(t);
            goto fail;
        }
        m->heat_touched = t;
        m->heat_base = dram_base(m->dram);
        m->heat = h; /* last: from now on tc_fill counts */
        /* Translations cached before now were never counted: start every frame from a fill. */
        for (int c = 0; c < m->nr_cpus; c++) {
            cpu_tlb_sync(m->cpus[c]);
            cpu_flush_tc(m->cpus[c]);
        }
    }
    return s;
fail:
    if (s && !p)
        free(s);
    else if (s)
        emu_snapshot_free(m, s);
    return NULL;
}

/* Free the heat arrays (emu_free). */
void machine_heat_free(machine_t *m)
{
    if (m->heat)
        munmap(m->heat, (m->nr_frames ? m->nr_frames : 1) * sizeof(uint32_t));
    free(m->heat_touched);
    m->heat = NULL;
    m->heat_touched = NULL;
}

/* ---- taking a snapshot -------------------------------------------------------------------------------- */

static uint32_t sat32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

static void take_tlbs(machine_t *m, emu_snapshot_t *s)
{
    snap_priv_t *p = s->priv;
    for (int c = 0; c < s->nr_cpus; c++) {
        emu_snap_cpu_t *sc = &s->cpus[c];
        cpu_t *cpu = m->cpus[c];
        memset(sc->level_hits, 0, sizeof(sc->level_hits));
        memset(sc->level_misses, 0, sizeof(sc->level_misses));
        for (int k = 0; k < sc->nr_tlbs; k++) {
            emu_snap_tlb_t *t = &sc->tlb[k];
            prev_tlb_t *pv = &p->prev[c][k];
            const uint64_t *h = tlb_array_set_hits(pv->a), *mi = tlb_array_set_misses(pv->a),
                           *ev = tlb_array_set_evictions(pv->a);
            t->hits = t->misses = t->evictions = 0;
            for (uint32_t i = 0; i < t->sets; i++) {
                /* Counters reset at the start of measuring: a smaller value starts afresh. */
                uint64_t dh = h[i] >= pv->hits[i] ? h[i] - pv->hits[i] : h[i];
                uint64_t dm = mi[i] >= pv->misses[i] ? mi[i] - pv->misses[i] : mi[i];
                uint64_t de = ev[i] >= pv->evictions[i] ? ev[i] - pv->evictions[i] : ev[i];
                pv->hits[i] = h[i];
                pv->misses[i] = mi[i];
                pv->evictions[i] = ev[i];
                t->set_hits[i] = sat32(dh);
                t->set_misses[i] = sat32(dm);
                t->set_evictions[i] = sat32(de);
                t->hits += dh;
                t->misses += dm;
                t->evictions += de;
                for (uint32_t w = 0; w < t->ways; w++) {
                    const tlb_entry_t *e = tlb_array_entry(pv->a, i, w);
                    t->valid[(size_t)i * t->ways + w] = e && tlb_entry_valid(e);
                }
            }
            const tlb_array_stats_t *st = tlb_array_stats(pv->a);
            sc->level_hits[t->level] += st->hits;
            sc->level_misses[t->level] += st->misses;
        }
        sc->instructions = cpu->st.instructions;
        sc->page_faults = cpu->st.page_faults;
        sc->cycles = cpu_cycles(cpu);
        const mmu_stats_t *ms = mmu_stats(cpu->walker);
        sc->walks = ms->walks;
        sc->pte_loads = ms->pte_loads;
        int nodes = 0;
        const uint64_t *per = mmu_pte_loads_per_node(cpu->walker, &nodes);
        memset(sc->pte_loads_node, 0, sizeof(sc->pte_loads_node));
        for (int n = 0; n < nodes && n < EMU_SNAP_MAX_NODES; n++)
            sc->pte_loads_node[n] = per[n];
    }
}

/* The socket-to-node DRAM matrix of the memory model (--timing=full), totals and since the previous
 * snapshot. */
static void take_numa(machine_t *m, emu_snapshot_t *s)
{
    snap_priv_t *p = s->priv;
    const memsys_t *ms = m->mem;
    memset(s->dram_acc_int, 0, sizeof(s->dram_acc_int));
    memset(s->dram_lat_int, 0, sizeof(s->dram_lat_int));
    if (!ms) {
        s->nr_sockets = 0;
        memset(s->dram_acc, 0, sizeof(s->dram_acc));
        memset(s->dram_lat, 0, sizeof(s->dram_lat));
        return;
    }
    s->nr_sockets = ms->nr_sockets < EMU_SNAP_MAX_SOCKETS ? ms->nr_sockets : EMU_SNAP_MAX_SOCKETS;
    int nn = ms->nr_nodes < EMU_SNAP_MAX_NODES ? ms->nr_nodes : EMU_SNAP_MAX_NODES;
    for (int n = 0; n < EMU_SNAP_MAX_NODES; n++)
        s->node_socket[n] = n < nn ? ms->topo.node_socket[n] : -1;
    for (int so = 0; so < s->nr_sockets; so++)
        for (int n = 0; n < nn; n++) {
            uint64_t a = ms->sn_accesses[so][n], l = ms->sn_latency[so][n];
            /* Counters reset at the start of measuring: a smaller value starts afresh. */
            s->dram_acc_int[so][n] = a >= p->dram_acc[so][n] ? a - p->dram_acc[so][n] : a;
            s->dram_lat_int[so][n] = a >= p->dram_acc[so][n] && l >= p->dram_lat[so][n] ? l - p->dram_lat[so][n] : l;
            s->dram_acc[so][n] = p->dram_acc[so][n] = a;
            s->dram_lat[so][n] = p->dram_lat[so][n] = l;
        }
}

/* The state, aux and owner of frame f. */
static inline void frame_info(machine_t *m, const snap_priv_t *p, uint64_t f, int *st, int *aux, uint64_t *owner)
{
    if (p->state) {
        *st = p->state[f];
        *aux = p->aux[f];
        *owner = *st == EMU_SNAP_ANON || *st == EMU_SNAP_FILE ? 1 : 0; /* the one process */
    } else if (m->fs && m->fs->annot) {
        annot_frame(m->fs->annot, f, st, aux, owner);
    } else {
        *st = EMU_SNAP_UNKNOWN;
        *aux = 0;
        *owner = 0;
    }
}

/* The zones: the guest's list in full-system mode once it gave one (EMU_CALL_ZONE_INFO), else
 * Linux's default split of each node (DMA, DMA32, Normal); free frames counted from the frame states. */
static void take_zones(machine_t *m, emu_snapshot_t *s)
{
    snap_priv_t *p = s->priv;
    int nz = 0;
    const struct emu_zone_info *gz = m->fs && m->fs->annot ? annot_zones(m->fs->annot, &nz) : NULL;
    s->nr_zones = 0;
    s->has_wmarks = gz && nz > 0;
    if (s->has_wmarks) {
        for (int k = 0; k < nz && s->nr_zones < EMU_SNAP_MAX_ZONES; k++)
            s->zones[s->nr_zones++] = (emu_snap_zone_t){
                .node = (int)gz[k].node, .type = (int)gz[k].type, .start_pfn = gz[k].start_pfn,
                .spanned = gz[k].spanned_pages, .managed = gz[k].managed_pages, .wmark_min = gz[k].wmark_min,
                .wmark_low = gz[k].wmark_low, .wmark_high = gz[k].wmark_high};
    } else {
        static const uint64_t zone_end[EMU_NR_ZONES] = {ZONE_DMA_END, ZONE_DMA32_END, UINT64_MAX};
        for (int n = 0; n < s->nr_nodes; n++) {
            uint64_t lo = s->node_base[n] >> 12, hi = (s->node_base[n] + s->node_size[n]) >> 12, zlo = 0;
            for (int z = 0; z < EMU_NR_ZONES; z++) {
                uint64_t a = lo > zlo ? lo : zlo, b = hi < zone_end[z] ? hi : zone_end[z];
                zlo = zone_end[z];
                if (a < b && s->nr_zones < EMU_SNAP_MAX_ZONES)
                    s->zones[s->nr_zones++] =
                        (emu_snap_zone_t){.node = n, .type = z, .start_pfn = a, .spanned = b - a, .managed = b - a};
            }
        }
    }
    /* Free frames: those of the zone's node within its span. */
    for (int k = 0; k < s->nr_zones; k++) {
        emu_snap_zone_t *z = &s->zones[k];
        uint64_t lo = z->start_pfn, hi = z->start_pfn + z->spanned, cnt = 0;
        if (z->node >= 0 && z->node < s->nr_nodes) {
            uint64_t nlo = s->node_base[z->node] >> 12, nhi = (s->node_base[z->node] + s->node_size[z->node]) >> 12;
            lo = lo > nlo ? lo : nlo;
            hi = hi < nhi ? hi : nhi;
        }
        if (hi > m->nr_frames)
            hi = m->nr_frames;
        if (p->state) {
            for (uint64_t f = lo; f < hi; f++)
                cnt += p->state[f] == EMU_SNAP_FREE;
        } else {
            for (uint64_t f = lo; f < hi; f++) {
                int st, aux;
                uint64_t ow;
                frame_info(m, p, f, &st, &aux, &ow);
                cnt += st == EMU_SNAP_FREE;
            }
        }
        z->free = cnt;
    }
}

static void add_name(emu_snapshot_t *s, uint64_t id, uint32_t kind, const char *name)
{
    if (s->nr_names == s->cap_names) {
        uint32_t cap = s->cap_names ? 2 * s->cap_names : 64;
        emu_snap_name_t *n = realloc(s->names, cap * sizeof(*n));
        if (!n)
            return;
        s->names = n;
        s->cap_names = cap;
    }
    emu_snap_name_t *e = &s->names[s->nr_names++];
    e->id = id;
    e->kind = kind;
    snprintf(e->name, sizeof(e->name), "%s", name);
}

/* Owner names: the guest's (EMU_CALL_ANNOT_NAME), or in SE mode the one process. */
static void take_names(machine_t *m, emu_snapshot_t *s)
{
    s->nr_names = 0;
    if (m->fs && m->fs->annot) {
        uint64_t id;
        uint32_t kind;
        const char *n;
        for (int k = 0; (n = annot_name_at(m->fs->annot, k, &id, &kind)); k++)
            add_name(s, id, kind, n);
    } else if (m->se) {
        const char *exe = m->se->exe_path ? m->se->exe_path : "";
        const char *b = strrchr(exe, '/');
        char buf[64];
        snprintf(buf, sizeof(buf), "pid 1 %s", b ? b + 1 : exe);
        add_name(s, 1, EMU_OWNER_PROCESS, buf);
    }
}

const char *emu_snapshot_owner_name(const emu_snapshot_t *s, uint64_t id)
{
    for (uint32_t k = 0; k < s->nr_names; k++)
        if (s->names[k].id == id)
            return s->names[k].name;
    return NULL;
}

/* Grow an array to n elements of sz bytes (contents undefined); 0 or -1. */
static int grow(void **a, size_t n, size_t sz)
{
    void *p = realloc(*a, n ? n * sz : 1);
    if (!p)
        return -1;
    *a = p;
    return 0;
}

int emu_snapshot_copy(emu_snapshot_t *dst, const emu_snapshot_t *src)
{
    /* Keep dst's own buffers (and their capacities) and counter state. */
    emu_snap_cell_t *cells = dst->cells;
    uint32_t cap_cells = dst->cap_cells;
    emu_snap_name_t *names = dst->names;
    uint32_t cap_names = dst->cap_names;
    emu_snap_cpu_t *cpus = dst->cpus;
    int nr_cpus = dst->nr_cpus;
    void *priv = dst->priv;
    if (cap_cells < src->nr_cells) {
        if (grow((void **)&cells, src->nr_cells, sizeof(*cells)) < 0)
            return -1;
        cap_cells = src->nr_cells;
    }
    if (cap_names < src->nr_names) {
        if (grow((void **)&names, src->nr_names, sizeof(*names)) < 0)
            return -1;
        cap_names = src->nr_names;
    }
    if (!cpus || nr_cpus != src->nr_cpus) {
        /* A zeroed buffer: make the CPUs and their TLB arrays like src's. */
        if (cpus)
            return -1;
        cpus = calloc((size_t)(src->nr_cpus ? src->nr_cpus : 1), sizeof(*cpus));
        if (!cpus)
            return -1;
        for (int c = 0; c < src->nr_cpus; c++)
            for (int k = 0; k < src->cpus[c].nr_tlbs; k++) {
                const emu_snap_tlb_t *t = &src->cpus[c].tlb[k];
                emu_snap_tlb_t *d = &cpus[c].tlb[k];
                d->set_hits = calloc(t->sets, sizeof(uint32_t));
                d->set_misses = calloc(t->sets, sizeof(uint32_t));
                d->set_evictions = calloc(t->sets, sizeof(uint32_t));
                d->valid = calloc((size_t)t->sets * t->ways, 1);
                cpus[c].nr_tlbs = k + 1;
                if (!d->set_hits || !d->set_misses || !d->set_evictions || !d->valid) {
                    dst->cpus = cpus;
                    dst->nr_cpus = src->nr_cpus;
                    return -1;
                }
            }
        nr_cpus = src->nr_cpus;
    }
    for (int c = 0; c < src->nr_cpus; c++) {
        const emu_snap_cpu_t *sc = &src->cpus[c];
        emu_snap_cpu_t *dc = &cpus[c];
        emu_snap_tlb_t keep[EMU_SNAP_MAX_TLBS];
        memcpy(keep, dc->tlb, sizeof(keep));
        *dc = *sc;
        for (int k = 0; k < sc->nr_tlbs; k++) {
            const emu_snap_tlb_t *t = &sc->tlb[k];
            emu_snap_tlb_t *d = &dc->tlb[k];
            d->set_hits = keep[k].set_hits;
            d->set_misses = keep[k].set_misses;
            d->set_evictions = keep[k].set_evictions;
            d->valid = keep[k].valid;
            memcpy(d->set_hits, t->set_hits, t->sets * sizeof(uint32_t));
            memcpy(d->set_misses, t->set_misses, t->sets * sizeof(uint32_t));
            memcpy(d->set_evictions, t->set_evictions, t->sets * sizeof(uint32_t));
            memcpy(d->valid, t->valid, (size_t)t->sets * t->ways);
        }
    }
    *dst = *src;
    dst->cells = cells;
    dst->cap_cells = cap_cells;
    dst->names = names;
    dst->cap_names = cap_names;
    dst->cpus = cpus;
    dst->nr_cpus = nr_cpus;
    dst->priv = priv;
    memcpy(dst->cells, src->cells, (size_t)src->nr_cells * sizeof(*cells));
    if (src->nr_names)
        memcpy(dst->names, src->names, (size_t)src->nr_names * sizeof(*names));
    return 0;
}

int emu_snapshot_take(emu_t *m, emu_snapshot_t *s, uint64_t pfn_lo, uint64_t pfn_hi, uint32_t max_cells)
{
    snap_priv_t *p = s->priv;
    s->seq++;
    s->mode = m->mode;
    s->timing = m->timing_mode;
    s->finished = m->stop;
    s->run_insns = m->run_insns;
    s->instructions = counters_get(m->ctrs, "sim.instructions", NULL);
    s->cycles = counters_get(m->ctrs, "sim.cycles", NULL);
    s->page_faults = counters_get(m->ctrs, "sim.page_faults", NULL);
    take_tlbs(m, s);
    take_numa(m, s);

    /* Frame states. */
    if (p->state)
        se_frame_states(m, p->state, p->aux);
    int nn = dram_nr_nodes(m->dram);
    s->nr_nodes = nn < EMU_SNAP_MAX_NODES ? nn : EMU_SNAP_MAX_NODES;
    memset(s->node_frames, 0, sizeof(s->node_frames));
    memset(s->frames, 0, sizeof(s->frames));
    for (int n = 0; n < s->nr_nodes; n++) {
        s->node_base[n] = dram_node_base(m->dram, n);
        s->node_size[n] = dram_node_size(m->dram, n);
        uint64_t lo = s->node_base[n] >> 12, hi = (s->node_base[n] + s->node_size[n]) >> 12;
        if (hi > m->nr_frames)
            hi = m->nr_frames;
        if (p->state) {
            for (uint64_t f = lo; f < hi; f++)
                s->node_frames[n][p->state[f] < EMU_SNAP_NR_STATES ? p->state[f] : 0]++;
        } else {
            for (uint64_t f = lo; f < hi; f++) {
                int st, aux;
                uint64_t ow;
                frame_info(m, p, f, &st, &aux, &ow);
                s->node_frames[n][st < EMU_SNAP_NR_STATES ? st : 0]++;
            }
        }
        for (int k = 0; k < EMU_SNAP_NR_STATES; k++)
            s->frames[k] += s->node_frames[n][k];
    }

    take_zones(m, s);
    take_names(m, s);

    /* Segments of the view: node x zone. */
    if (!pfn_hi || pfn_hi > m->nr_frames)
        pfn_hi = m->nr_frames;
    if (pfn_lo >= pfn_hi)
        pfn_lo = 0;
    s->view_lo = pfn_lo;
    s->view_hi = pfn_hi;
    s->nr_segs = 0;
    static const uint64_t zone_end[EMU_NR_ZONES] = {ZONE_DMA_END, ZONE_DMA32_END, UINT64_MAX};
    for (int n = 0; n < s->nr_nodes; n++) {
        uint64_t lo = s->node_base[n] >> 12, hi = (s->node_base[n] + s->node_size[n]) >> 12;
        uint64_t zlo = 0;
        for (int z = 0; z < EMU_NR_ZONES; z++) {
            uint64_t a = lo > zlo ? lo : zlo, b = hi < zone_end[z] ? hi : zone_end[z];
            zlo = zone_end[z];
            if (a < pfn_lo)
                a = pfn_lo;
            if (b > pfn_hi)
                b = pfn_hi;
            if (a >= b || s->nr_segs >= EMU_SNAP_MAX_NODES * EMU_NR_ZONES)
                continue;
            s->segs[s->nr_segs++] = (emu_snap_seg_t){.node = n, .zone = z, .pfn_lo = a, .pfn_hi = b};
        }
    }
    /* The smallest power of two of frames per cell that fits max_cells. */
    if (max_cells < 1)
        max_cells = 1;
    uint64_t fpc = 1;
    for (;;) {
        uint64_t cells = 0;
        for (int i = 0; i < s->nr_segs; i++)
            cells += (s->segs[i].pfn_hi - s->segs[i].pfn_lo + fpc - 1) / fpc;
        if (cells <= max_cells || fpc >= (1ull << 40))
            break;
        fpc <<= 1;
    }
    s->frames_per_cell = fpc;
    uint32_t total = 0;
    for (int i = 0; i < s->nr_segs; i++) {
        s->segs[i].first_cell = total;
        s->segs[i].nr_cells = (uint32_t)((s->segs[i].pfn_hi - s->segs[i].pfn_lo + fpc - 1) / fpc);
        total += s->segs[i].nr_cells;
    }
    if (total > s->cap_cells) {
        emu_snap_cell_t *c = realloc(s->cells, (size_t)total * sizeof(*c));
        if (!c)
            return -1;
        s->cells = c;
        s->cap_cells = total;
    }
    s->nr_cells = total;
    memset(s->cells, 0, (size_t)total * sizeof(*s->cells));

    /* Cells: the most common state of their frames. */
    for (int i = 0; i < s->nr_segs && fpc == 1; i++) {
        /* One frame per cell: its state as it is. */
        const emu_snap_seg_t *g = &s->segs[i];
        for (uint32_t k = 0; k < g->nr_cells; k++) {
            int st, aux;
            uint64_t ow;
            frame_info(m, p, g->pfn_lo + k, &st, &aux, &ow);
            emu_snap_cell_t *c = &s->cells[g->first_cell + k];
            c->state = (uint8_t)(st < EMU_SNAP_NR_STATES ? st : 0);
            c->aux = (uint8_t)aux;
            c->owner = ow;
        }
    }
    for (int i = 0; i < s->nr_segs && fpc > 1; i++) {
        const emu_snap_seg_t *g = &s->segs[i];
        for (uint32_t k = 0; k < g->nr_cells; k++) {
            uint64_t a = g->pfn_lo + (uint64_t)k * fpc, b = a + fpc < g->pfn_hi ? a + fpc : g->pfn_hi;
            emu_snap_cell_t *c = &s->cells[g->first_cell + k];
            if (p->state) {
                /* SE: most cells hold frames of one state; count only when they do not. */
                uint64_t f = a + 1;
                uint8_t s0 = p->state[a];
                while (f < b && p->state[f] == s0)
                    f++;
                if (f == b) {
                    c->state = s0 < EMU_SNAP_NR_STATES ? s0 : 0;
                    c->aux = p->aux[a];
                    c->owner = c->state == EMU_SNAP_ANON || c->state == EMU_SNAP_FILE ? 1 : 0;
                    continue;
                }
            }
            uint32_t cnt[EMU_SNAP_NR_STATES] = {0};
            uint8_t first_aux[EMU_SNAP_NR_STATES];
            uint64_t first_owner[EMU_SNAP_NR_STATES];
            for (uint64_t f = a; f < b; f++) {
                int st, aux;
                uint64_t ow;
                frame_info(m, p, f, &st, &aux, &ow);
                if (st >= EMU_SNAP_NR_STATES)
                    st = 0;
                if (!cnt[st]++) {
                    first_aux[st] = (uint8_t)aux;
                    first_owner[st] = ow;
                }
            }
            int best = 0;
            for (int st = 1; st < EMU_SNAP_NR_STATES; st++)
                if (cnt[st] > cnt[best])
                    best = st;
            c->state = (uint8_t)best;
            c->aux = cnt[best] ? first_aux[best] : 0;
            c->owner = cnt[best] ? first_owner[best] : 0;
            uint64_t others = (b - a) - cnt[best];
            c->others = others > 0xffff ? 0xffff : (uint16_t)others;
        }
    }

    /* Heat: the regions some fill touched, added into the cells of the view and emptied. */
    s->heat_total = 0;
    if (m->heat) {
        uint64_t words = (m->nr_frames >> 15) + 1;
        for (uint64_t w = 0; w < words; w++) {
            uint64_t bits = m->heat_touched[w];
            m->heat_touched[w] = 0;
            while (bits) {
                int b = __builtin_ctzll(bits);
                bits &= bits - 1;
                uint64_t r0 = ((w << 6) + (uint64_t)b) << 9;
                for (uint64_t f = r0; f < r0 + 512 && f < m->nr_frames; f++) {
                    uint32_t h = m->heat[f];
                    if (!h)
                        continue;
                    m->heat[f] = 0;
                    s->heat_total += h;
                    if (f < pfn_lo || f >= pfn_hi)
                        continue;
                    for (int i = 0; i < s->nr_segs; i++) {
                        const emu_snap_seg_t *g = &s->segs[i];
                        if (f >= g->pfn_lo && f < g->pfn_hi) {
                            emu_snap_cell_t *c = &s->cells[g->first_cell + (f - g->pfn_lo) / fpc];
                            c->heat = c->heat + h < c->heat ? UINT32_MAX : c->heat + h;
                            break;
                        }
                    }
                }
            }
        }
        /* Sample again: every page touched from now on refills its translation once. */
        for (int c = 0; c < m->nr_cpus; c++) {
            cpu_tlb_sync(m->cpus[c]);
            cpu_flush_tc(m->cpus[c]);
        }
    }
    return 0;
}
