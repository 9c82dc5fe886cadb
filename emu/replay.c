/* replay: push a trace through the models of a machine (`emu replay`, docs/TRACE.md "Replay").
 *
 * The machine is built from any configuration, as for a run; the trace's accesses then go through
 * CPU 0's modelled TLBs, page walker with its paging-structure caches and, with --timing=full, the
 * caches and DRAM controllers, by the same code a live access takes (cpu_replay_access), so the
 * counters and reports are those of a live run.
 *
 * Imported traces (lackey, ChampSim: virtual addresses only) need physical memory and page tables:
 * the replay builds them in the machine's memory as it goes. Frame placement policy: a virtual page
 * gets a frame the first time the trace touches it (first touch), the lowest free frame above the
 * first 1 MiB, filling node 0 first and then the next nodes in order; the paging structures are
 * allocated the same way, when a new page needs one; every mapping is a 4 KiB page, user, writable
 * and executable. A trace that touches more pages than the machine has frames ends with an error.
 *
 * Recordings (`emu run --record`, emu/record.c) hold the calls the run made into the models: the
 * replay makes the same calls. Each walk record writes the entries on its path into the machine's
 * memory, at the physical addresses the run used, with the values they had before the run's walk
 * (so accessed and dirty bits are set, and faults happen, exactly as in the run), a faulting walk is
 * replayed as a walk that faults, translation records look up the TLBs
 * (walking on a miss), cache records go through the caches, invalidations and flushes are applied,
 * and each record's gap and instruction count are added to the CPU. Under the recording's
 * configuration the counters come out as the run's; under another, as that machine's would.
 */
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "mmu/mmu.h"
#include "traces/trace.h"

typedef struct replay {
    machine_t *m;
    cpu_t *c;
    int levels;
    uint64_t next_pa;   /* the next free frame */
    uint64_t root;      /* the top paging structure */
    uint64_t frames;    /* frames allocated (data and tables) */
} replay_t;

/* The lowest free frame (zeroed), or 0 when memory is full. */
static uint64_t alloc_frame(replay_t *r)
{
    dram_t *d = r->m->dram;
    while (r->next_pa < dram_end(d)) {
        uint64_t pa = r->next_pa;
        r->next_pa += 4096;
        if (dram_node_of(d, pa) >= 0) {
            uint8_t *h = dram_host(d, pa);
            memset(h, 0, 4096);
            r->frames++;
            return pa;
        }
    }
    return 0;
}

/* Map the 4 KiB page of va if it is not mapped yet. 0, or -1 when memory is full. */
static int map_page(replay_t *r, uint64_t va)
{
    dram_t *d = r->m->dram;
    uint64_t table = r->root;
    for (int level = r->levels; level >= 1; level--) {
        unsigned idx = (unsigned)(va >> (12 + 9 * (level - 1))) & 511u;
        uint64_t *e = (uint64_t *)(void *)(dram_host(d, table) + 8 * idx);
        if (!(*e & PTE_P)) {
            uint64_t pa = alloc_frame(r);
            if (!pa)
                return -1;
            *e = pa | PTE_P | PTE_RW | PTE_US;
        }
        table = *e & PTE_ADDR_MASK;
    }
    return 0;
}

/* va is canonical for the paging depth (imported traces may hold anything). */
static int canonical(uint64_t va, int levels)
{
    int bits = levels == 5 ? 57 : 48;
    int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);
    return (uint64_t)s == va;
}

/* A walk record of a recording: the entries of its path get the values they had before the run's
 * walk (accessed and dirty bits included), so the replay's walk reads, sets and faults exactly as the
 * run's did. */
static void rebuild_path(replay_t *r, const trace_rec_t *x)
{
    for (int k = 0; k < x->levels; k++)
        dram_write(r->m->dram, x->walk[k] & ~7ull, &x->wval[k], 8);
}

/* Replay a recording (physical addresses, walk paths, model calls). */
static int replay_recording(replay_t *r, trace_reader_t *tr, const char *path, uint64_t max_records, char *err,
                            size_t errlen)
{
    machine_t *m = r->m;
    trace_rec_t x;
    int rc = 0;
    uint64_t n = 0, bad = 0;
    while (!m->stop && (!max_records || n < max_records) && (rc = trace_read(tr, &x)) == 1) {
        n++;
        if (x.cpu >= m->nr_cpus) {
            bad++;
            continue;
        }
        cpu_t *c = m->cpus[x.cpu];
        switch (x.type) {
        case TRACE_CR3:
            c->mmu.cr3 = x.value & PTE_ADDR_MASK;
            break;
        case TRACE_WALK:
            rebuild_path(r, &x);
            if (x.aux & TRACE_WALK_FAULT)
                cpu_replay_fault_walk(c, x.va);
            break;
        case TRACE_FETCH:
        case TRACE_LOAD:
        case TRACE_STORE: {
            int kind = x.type == TRACE_FETCH ? 0 : x.type == TRACE_STORE ? 2 : 1;
            c->st.instructions += x.value;
            if (c->timing)
                c->base_cycles += x.gap;
            if (x.aux & TRACE_ACC_CACHE)
                cpu_replay_cache(c, x.pa, x.size, kind);
            else if (cpu_replay_translate(c, x.va, kind) < 0)
                bad++;
            break;
        }
        case TRACE_INVLPG: cpu_flush_page(c, x.va); break;
        case TRACE_FLUSH: cpu_flush_tlb(c); break;
        case TRACE_MARKER:
            if (x.value == TRACE_MARKER_END) {
                c->st.instructions += x.pa;
                if (c->timing)
                    c->base_cycles += x.va;
            } else if (x.value == 1 || x.value == 2) {
                machine_marker(m, (int)x.value);
            }
            break;
        default: break;
        }
    }
    for (int i = 0; i < m->nr_cpus; i++)
        cpu_tlb_sync(m->cpus[i]);
    m->run_insns = 0;
    for (int i = 0; i < m->nr_cpus; i++)
        m->run_insns += m->cpus[i]->st.instructions;
    if (rc < 0 && (!max_records || n < max_records)) {
        snprintf(err, errlen, "trace %s: %s", path, trace_reader_error(tr));
        return EMU_EXIT_ERROR;
    }
    if (bad)
        emu_msg("%llu records did not replay (a CPU the machine lacks, or an address the rebuilt page tables do not "
                "map)", (unsigned long long)bad);
    return 0;
}

int emu_replay(emu_t *m, const char *path, uint64_t max_records, char *err, size_t errlen, emu_result_t *res)
{
    char e[512];
    trace_reader_t *tr = trace_reader_open(path, e, sizeof(e));
    if (!tr) {
        snprintf(err, errlen, "%s", e);
        return EMU_EXIT_ERROR;
    }
    if (trace_reader_warning(tr))
        emu_msg("trace %s: %s", path, trace_reader_warning(tr));
    const trace_info_t *in = trace_reader_info(tr);
    replay_t r = {.m = m, .c = m->cpus[0], .levels = m->cpus[0]->mmu.levels, .next_pa = 1ull << 20};
    if (!(in->flags & TRACE_FLAG_VIRTUAL)) {
        if (in->nr_cpus > (uint32_t)m->nr_cpus)
            emu_msg("trace %s was recorded on %u CPUs; this machine replays CPU 0 only", path, in->nr_cpus);
        if ((int)in->paging_levels != r.levels) {
            snprintf(err, errlen, "trace %s was recorded with %u-level paging; replay it with "
                                  "--set machine.paging_levels=%u", path, in->paging_levels, in->paging_levels);
            trace_reader_close(tr);
            return EMU_EXIT_ERROR;
        }
        m->stop = 0;
        int rc = replay_recording(&r, tr, path, max_records, err, errlen);
        trace_reader_close(tr);
        if (rc)
            return rc;
        m->result.kind = EMU_EXITED;
        m->result.code = 0;
        m->result.status = 0;
        m->st.exit_code = 0;
        *res = m->result;
        return 0;
    }
    r.root = alloc_frame(&r);
    if (!r.root) {
        snprintf(err, errlen, "the machine has no memory above 1 MiB");
        trace_reader_close(tr);
        return EMU_EXIT_ERROR;
    }
    cpu_t *c = r.c;
    c->mmu.cr3 = r.root;
    cpu_flush_tlb(c);
    trace_rec_t x;
    int rc = 0;
    uint64_t n = 0, skipped = 0;
    m->stop = 0;
    while (!m->stop && (!max_records || n < max_records) && (rc = trace_read(tr, &x)) == 1) {
        n++;
        if (x.type != TRACE_FETCH && x.type != TRACE_LOAD && x.type != TRACE_STORE) {
            if (x.type == TRACE_MARKER && (x.value == 1 || x.value == 2))
                machine_marker(m, (int)x.value);
            continue;
        }
        uint64_t size = x.size ? x.size : 1;
        if (!canonical(x.va, r.levels) || !canonical(x.va + size - 1, r.levels)) {
            skipped++;
            continue;
        }
        for (uint64_t p = x.va & ~0xfffull; p <= ((x.va + size - 1) & ~0xfffull); p += 4096)
            if (map_page(&r, p) < 0) {
                snprintf(err, errlen, "trace %s: record %llu: the machine's memory is full (%llu frames mapped); give "
                                      "it more with --set machine.mem_per_node=SIZE",
                         path, (unsigned long long)(n - 1), (unsigned long long)r.frames);
                trace_reader_close(tr);
                return EMU_EXIT_ERROR;
            }
        c->base_cycles += c->timing ? x.gap : 0;
        if (cpu_replay_access(c, x.va, (uint32_t)size, x.type == TRACE_FETCH ? 0 : x.type == TRACE_STORE ? 2 : 1) < 0)
            skipped++;
        m->run_insns = c->st.instructions;
    }
    cpu_tlb_sync(c);
    if (rc < 0 && (!max_records || n < max_records)) {
        snprintf(err, errlen, "trace %s: %s", path, trace_reader_error(tr));
        trace_reader_close(tr);
        return EMU_EXIT_ERROR;
    }
    if (skipped)
        emu_msg("%llu accesses skipped: their addresses are not canonical at %d levels", (unsigned long long)skipped,
                r.levels);
    trace_reader_close(tr);
    m->result.kind = EMU_EXITED;
    m->result.code = 0;
    m->result.status = 0;
    m->st.exit_code = 0;
    *res = m->result;
    return 0;
}
