/* record: `emu run --record=FILE` (docs/TRACE.md, "Recording").
 *
 * A recording is the sequence of calls the run made into the memory models, so that a replay under
 * the same configuration makes the same calls and reproduces the counters exactly, and a replay
 * under another configuration makes the calls the other machine would have made:
 *   - every translation (one TLB lookup: translate_timed), as an access record with
 *     TRACE_ACC_XLATE: kind, va, the physical address found, the page size;
 *   - every walk (a TLB miss), as a TRACE_WALK record before it: the physical address of the entry
 *     at every level (the whole path, whatever the paging-structure caches skipped), the page found
 *     and the leaf's flags, so the replay rebuilds the page tables as the run saw them; a walk that
 *     faults (SE demand paging, then a second walk) is recorded with TRACE_WALK_FAULT;
 *   - with --timing=full, every cache access (charge, the fetch of a block's lines), as an access
 *     record with TRACE_ACC_CACHE: kind, physical address, bytes;
 *   - TLB invalidations (INVLPG per page, full flushes) and CR3 (before the first walk in an address
 *     space). Recording starts before the program is loaded, so the loader's flush is in it too.
 * Each record carries the base cycles the CPU retired since its previous record (gap) and the
 * instructions (value), so the replay's cycles and instruction counts add up to the run's.
 *
 * While recording, the translation caches stay empty, so every access takes the slow path where
 * these hooks are (a recording run is slower than a plain one; its counters are the same).
 */
#define _GNU_SOURCE
#include "emu/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/machine.h"
#include "mmu/mmu.h"

int machine_record_open(machine_t *m, const char *path, const char *config_text, char *err, size_t errlen)
{
    trace_writer_t *w = trace_writer_new(path, (uint32_t)m->nr_cpus, (uint32_t)m->cpus[0]->mmu.levels, 0,
                                         config_text, err, errlen);
    if (!w)
        return -1;
    m->rec = w;
    for (int i = 0; i < m->nr_cpus; i++) {
        m->cpus[i]->rec_base = m->cpus[i]->base_cycles;
        m->cpus[i]->rec_insns = m->cpus[i]->st.instructions;
        cpu_flush_tc(m->cpus[i]);
    }
    return 0;
}

/* Fill the gap (base cycles) and the instructions since c's previous record. */
static void deltas(cpu_t *c, trace_rec_t *r)
{
    uint64_t insns = cpu_insns_now(c);
    r->gap = c->base_cycles - c->rec_base;
    r->value = insns - c->rec_insns;
    c->rec_base = c->base_cycles;
    c->rec_insns = insns;
    r->cpu = (uint16_t)c->id;
}

void rec_cr3(cpu_t *c, uint64_t cr3)
{
    trace_rec_t r;
    memset(&r, 0, sizeof(r));
    r.type = TRACE_CR3;
    r.cpu = (uint16_t)c->id;
    r.value = cr3;
    trace_write(c->m->rec, &r);
}

void rec_translate(cpu_t *c, int kind, uint64_t va, uint64_t pa, int page_shift)
{
    trace_rec_t r;
    memset(&r, 0, sizeof(r));
    r.type = (uint8_t)(kind == 0 ? TRACE_FETCH : kind == 2 ? TRACE_STORE : TRACE_LOAD);
    r.va = va;
    r.pa = pa;
    r.page_shift = (uint8_t)page_shift;
    r.pcid = (uint16_t)c->mmu.pcid;
    r.aux = TRACE_ACC_XLATE;
    deltas(c, &r);
    trace_write(c->m->rec, &r);
}

void rec_cache(cpu_t *c, int kind, uint64_t pa, uint64_t size)
{
    trace_rec_t r;
    memset(&r, 0, sizeof(r));
    r.type = (uint8_t)(kind == 0 ? TRACE_FETCH : kind == 2 ? TRACE_STORE : TRACE_LOAD);
    r.va = pa;
    r.pa = pa;
    r.size = (uint8_t)(size > 255 ? 255 : size);
    r.page_shift = 12;
    r.aux = TRACE_ACC_CACHE;
    deltas(c, &r);
    /* A fetch of a long block: records of at most 255 bytes. */
    trace_write(c->m->rec, &r);
    for (uint64_t done = r.size; done < size; done += r.size) {
        r.va = r.pa = pa + done;
        r.size = (uint8_t)(size - done > 255 ? 255 : size - done);
        r.gap = 0;
        r.value = 0;
        trace_write(c->m->rec, &r);
    }
}

/* A CR3 record when c's address space is not the one last recorded. */
static void cr3_check(cpu_t *c)
{
    if (c->rec_cr3 != c->mmu.cr3 + 1) {
        rec_cr3(c, c->mmu.cr3);
        c->rec_cr3 = c->mmu.cr3 + 1;
    }
}

void rec_walk_before(cpu_t *c, uint64_t va)
{
    cr3_check(c);
    /* The path as the walk will read it: from CR3 down to the leaf or the first entry that is not
     * present, reading memory without setting accessed or dirty bits. */
    dram_t *d = c->m->dram;
    uint64_t table = c->mmu.cr3 & PTE_ADDR_MASK;
    int n = 0;
    for (int level = c->mmu.levels; level >= 1; level--) {
        uint64_t epa = table + 8 * ((va >> (12 + 9 * (level - 1))) & 511u), e;
        if (dram_read(d, epa, &e, 8) < 0)
            break;
        c->rec_wpa[n] = epa;
        c->rec_wval[n] = e;
        n++;
        if (!(e & PTE_P) || ((level == 2 || level == 3) && (e & PTE_PS)))
            break;
        table = e & PTE_ADDR_MASK;
    }
    c->rec_wn = n;
}

void rec_walk(cpu_t *c, uint64_t va, int kind, int fault)
{
    (void)kind;
    trace_rec_t r;
    memset(&r, 0, sizeof(r));
    r.type = TRACE_WALK;
    r.cpu = (uint16_t)c->id;
    r.va = va;
    r.pcid = (uint16_t)c->mmu.pcid;
    r.levels = (uint8_t)c->rec_wn;
    for (int k = 0; k < r.levels; k++) {
        r.walk[k] = c->rec_wpa[k];
        r.wval[k] = c->rec_wval[k];
    }
    r.page_shift = 12;
    if (fault) {
        r.aux = TRACE_WALK_FAULT;
    } else if (r.levels) {
        uint64_t leaf = r.wval[r.levels - 1];
        int lvl = c->mmu.levels - r.levels + 1; /* the leaf's level: 1 PT, 2 PD, 3 PDPT */
        r.page_shift = (uint8_t)(lvl == 3 ? 30 : lvl == 2 ? 21 : 12);
        r.pa = leaf & PTE_ADDR_MASK & ~((1ull << r.page_shift) - 1);
        r.aux = (uint32_t)(leaf & 0xfff) | (leaf >> 63 ? 0x1000u : 0);
    }
    trace_write(c->m->rec, &r);
}

void rec_invlpg(cpu_t *c, uint64_t va)
{
    trace_rec_t r;
    memset(&r, 0, sizeof(r));
    r.type = TRACE_INVLPG;
    r.cpu = (uint16_t)c->id;
    r.va = va;
    r.pcid = (uint16_t)c->mmu.pcid;
    trace_write(c->m->rec, &r);
}

void rec_flush(cpu_t *c)
{
    trace_rec_t r;
    memset(&r, 0, sizeof(r));
    r.type = TRACE_FLUSH;
    r.cpu = (uint16_t)c->id;
    r.aux = TRACE_FLUSH_ALL;
    trace_write(c->m->rec, &r);
}

int machine_record_close(machine_t *m, char *err, size_t errlen)
{
    if (!m->rec)
        return 0;
    for (int i = 0; i < m->nr_cpus; i++) {
        cpu_t *c = m->cpus[i];
        trace_rec_t r;
        memset(&r, 0, sizeof(r));
        r.type = TRACE_MARKER;
        r.value = TRACE_MARKER_END;
        r.cpu = (uint16_t)c->id;
        r.pa = cpu_insns_now(c) - c->rec_insns;
        r.va = c->base_cycles - c->rec_base;
        trace_write(m->rec, &r);
    }
    int rc = trace_writer_close(m->rec, err, errlen);
    m->rec = NULL;
    return rc;
}

int emu_record_start(emu_t *m, const char *path, char *err, size_t errlen)
{
    if (m->mode != EMU_MODE_SE) {
        snprintf(err, errlen, "--record works in SE mode only for now (full-system recording comes later)");
        return -1;
    }
    if (!m->timing_mode) {
        snprintf(err, errlen, "--record needs --timing=tlb or --timing=full (the recording holds the model's calls)");
        return -1;
    }
    char *cfg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cfg, &len);
    if (f) {
        config_dump(&m->cfg, f);
        fclose(f);
    }
    int rc = machine_record_open(m, path, cfg ? cfg : "", err, errlen);
    free(cfg);
    return rc;
}

int emu_record_finish(emu_t *m, char *err, size_t errlen) { return machine_record_close(m, err, errlen); }
