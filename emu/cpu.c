/* cpu: the run loop, the predecoded block cache and the translation slow paths.
 *
 * The block cache. Code is decoded once: a block is the run of instructions starting at some
 * address up to the first control transfer (or an instruction the decoder says must end a block,
 * or the end of the page). Blocks are keyed by the host address of their first byte, which stands
 * for its physical address (one host mapping backs all of guest RAM), so a page mapped at two
 * virtual addresses shares its decoded code, and a new mapping of other code at the same virtual
 * address cannot hit stale code. Blocks live in a per-CPU arena with a hash table in front; when
 * the arena is full, or code is written, everything is dropped and decoded again (the simplest
 * policy that is always right; static programs never write their code).
 *
 * Self-modifying code. Each frame that holds decoded code has a bit in the machine's code bitmap,
 * and such frames never enter the write translation cache, so every store to them takes the slow
 * path, which sees the bit, requests a flush and ends the current block after the storing
 * instruction (the next instruction is decoded afresh, as x86 requires).
 *
 * Exceptions. cpu_fault() longjmps to the run loop, which rewinds rip to the faulting instruction,
 * counts the instructions of the block that retired before it and hands the exception to the
 * machine (SE mode: a signal; full-system mode: delivery through the IDT, emu/interrupt.c).
 */
#include "emu/cpu.h"

#include <stdio.h>
#include <stdlib.h>

#include "emu/machine.h"
#include "emu/record.h"
#include "emu/memsys.h"
#include "emu/se.h"
#include "emu/timing.h"

#define BLOCK_MAX_INSNS 64
#define CODE_ARENA_BYTES (16u << 20)
#define CODE_HASH_BITS 15

typedef struct block {
    uintptr_t key;        /* host address of the first byte */
    struct block *next;   /* hash chain */
    uint32_t n;           /* instructions */
    uint32_t cached;      /* 0 for a one-off block (an instruction crossing a page) */
    uint32_t cycles;      /* base cycles of the whole block (emu/timing.h) */
    uint32_t bytes;       /* code bytes of the block within its first page (fetched per line) */
    uint8_t *cost;        /* base cycles of each instruction (after insns[]) */
    insn_regs_t *regs;    /* registers each instruction reads and writes (after cost[]; --timing=full) */
    insn_t insns[];
} block_t;

typedef struct code_cache {
    uint8_t *arena;
    size_t used;
    block_t *hash[1u << CODE_HASH_BITS];
    block_t *scratch;     /* one-off block for instructions that cross a page */
} code_cache_t;

static code_cache_t *cache_of(cpu_t *c);

/* ---- translation ---------------------------------------------------------------------------- */

static void tc_invalidate(tc_entry_t *t)
{
    for (unsigned i = 0; i < TC_SIZE; i++)
        t[i].page = TC_INVALID;
}

void cpu_flush_tc(cpu_t *c)
{
    tc_invalidate(c->tc_r);
    tc_invalidate(c->tc_w);
    tc_invalidate(c->tc_x);
}

void cpu_flush_tlb(cpu_t *c)
{
    if (UNLIKELY(c->m->rec))
        rec_flush(c);
    cpu_flush_tc(c);
    /* The modelled TLBs and paging-structure caches see the same flush (MOV CR3 without PCIDs),
     * kept coherent even while timing is off so that a fast-forward switch finds them right. */
    if (c->tlb) {
        cpu_tlb_sync(c);
        tlb_flush_all(c->tlb, 1);
    }
    if (c->walker)
        mmu_flush_all(c->walker);
}

void cpu_flush_page(cpu_t *c, uint64_t va)
{
    if (UNLIKELY(c->m->rec))
        rec_invlpg(c, va);
    unsigned i = (va >> 12) & (TC_SIZE - 1);
    uint64_t page = va & ~0xfffull;
    if (c->tc_r[i].page == page)
        c->tc_r[i].page = TC_INVALID;
    if (c->tc_w[i].page == page)
        c->tc_w[i].page = TC_INVALID;
    if (c->tc_x[i].page == page)
        c->tc_x[i].page = TC_INVALID;
    if (c->tlb) {
        cpu_tlb_sync(c);
        tlb_invlpg(c->tlb, va, c->mmu.pcid);
    }
    if (c->walker)
        mmu_invlpg(c->walker, va, c->mmu.pcid);
}

/* Report the batched repeat hits to the model and forget the last entries: called before
 * anything else uses or changes the modelled TLBs, and before their counters are read. */
void cpu_tlb_sync(cpu_t *c)
{
    for (int side = 0; side < 2; side++) {
        if (c->rep_te[side] && c->rep_n[side])
            tlb_add_repeat_hits(c->tlb, side ? TLB_LOAD : TLB_FETCH, c->rep_te[side], c->rep_n[side]);
        c->rep_te[side] = NULL;
        c->rep_n[side] = 0;
    }
}

/* A hit on a modelled entry other than the last one of its side: report it in full. */
void cpu_tlb_use(cpu_t *c, tlb_entry_t *te, enum tlb_kind kind)
{
    int side = kind != TLB_FETCH;
    if (c->rep_te[side] && c->rep_n[side])
        tlb_add_repeat_hits(c->tlb, kind, c->rep_te[side], c->rep_n[side]);
    c->rep_n[side] = 0;
    tlb_hit(c->tlb, kind, te);
    /* An STLB entry serving an access directly shares its array with the other side: its
     * replacement state may change in between, so every use is reported. */
    c->rep_te[side] = (te->flags & TLB_F_STLB) ? NULL : te;
}

void cpu_flush_range(cpu_t *c, uint64_t va, uint64_t len, uint64_t stride)
{
    for (unsigned i = 0; i < TC_SIZE; i++) {
        if (c->tc_r[i].page - va < len)
            c->tc_r[i].page = TC_INVALID;
        if (c->tc_w[i].page - va < len)
            c->tc_w[i].page = TC_INVALID;
        if (c->tc_x[i].page - va < len)
            c->tc_x[i].page = TC_INVALID;
    }
    if (c->tlb) {
        cpu_tlb_sync(c);
        for (uint64_t a = 0; a < len; a += stride) {
            if (UNLIKELY(c->m->rec))
                rec_invlpg(c, va + a);
            tlb_invlpg(c->tlb, va + a, c->mmu.pcid);
            if (c->walker)
                mmu_invlpg(c->walker, va + a, c->mmu.pcid);
        }
    }
}

/* Fill the translation cache of kind acc for the page of va. */
static void tc_fill(cpu_t *c, uint64_t va, enum mmu_access acc, uint8_t *host, tlb_entry_t *te)
{
    uint64_t page = va & ~0xfffull;
    uintptr_t addend = (uintptr_t)(host - (va & 0xfff)) - (uintptr_t)page;
    unsigned i = (va >> 12) & (TC_SIZE - 1);
    if (UNLIKELY(c->m->rec))
        return; /* recording: every access takes the slow path, where it is recorded (emu/record.c) */
    tc_entry_t e = {page, addend, te, te ? te->tag : 0};
    if (UNLIKELY(c->m->heat))
        machine_heat(c->m, host); /* frame heat for the visualizer (emu/snapshot.c) */
    if (acc == MMU_WRITE) {
        c->tc_w[i] = e;
        c->tc_r[i] = e; /* a write translation also serves reads (the same dTLB entry) */
    } else if (acc == MMU_READ) {
        c->tc_r[i] = e;
    } else {
        c->tc_x[i] = e;
    }
}

/* A page fault during translation: SE mode may resolve it (demand paging), in which case the
 * caller walks again. Returns 1 to retry; otherwise raises the fault (or returns 0 if !raise). */
static int translation_fault(cpu_t *c, uint64_t va, int rc, uint32_t pf_error, int attempt, int raise)
{
    if (rc == -2) {
        if (raise)
            cpu_fault(c, X86_GP, 0, va);
        return 0;
    }
    if (attempt == 0 && c->m->mode == EMU_MODE_SE && se_page_fault(c, va, pf_error))
        return 1;
    if (raise)
        cpu_fault(c, X86_PF, pf_error, va);
    return 0;
}

/* Timing. With --timing=tlb every access is decided by the modelled TLBs of tlb/: the translation
 * cache above only remembers which modelled entry served a page (tc_entry_t.te) and is trusted
 * only while that entry still holds the translation; each such hit is recorded in the model
 * (replacement state, counters) exactly as a lookup would be. Here, the slow path: a lookup in
 * the L1 TLB of the access's side and then the STLB; a hit whose permissions do not allow the
 * access (or a store to a page whose entry is clean) re-walks, as hardware does before it faults
 * or sets the dirty bit; a miss walks with the paging-structure caches of mmu/ (each PTE load
 * charged) and fills the TLBs. Cycles: the TLB lookup cycles and walk cycles are counted by the
 * models themselves (tlb_lookup_cycles, mmu walk_cycles); cpu_cycles() adds them up. */
static uint8_t *translate_timed(cpu_t *c, uint64_t va, enum mmu_access acc, int raise)
{
    machine_t *m = c->m;
    enum tlb_kind kind = acc == MMU_EXEC ? TLB_FETCH : acc == MMU_WRITE ? TLB_STORE : TLB_LOAD;
    unsigned pcid = c->mmu.pcid;
    if (!mmu_canonical(va, c->mmu.levels)) {
        translation_fault(c, va, -2, 0, 0, raise);
        return NULL;
    }
    tlb_result_t res;
    tlb_entry_t *te = NULL;
    int clean_hit = 0;
    cpu_tlb_sync(c);
    if (tlb_lookup(c->tlb, kind, va, pcid, &res) != TLB_MISS) {
        uint32_t f = res.entry->flags;
        int ok = res.entry->host && (!c->mmu.user || (f & TLB_F_U)) && (acc != MMU_EXEC || !(f & TLB_F_NX)) &&
                 (acc != MMU_WRITE || ((f & TLB_F_W) || (!c->mmu.user && !c->mmu.wp)));
        if (ok && acc == MMU_WRITE && !(f & TLB_F_D))
            clean_hit = 1;
        else if (ok)
            te = res.entry;
    }
    if (!te) {
        mmu_walk_result_t w;
        uint64_t walk0 = mmu_stats(c->walker)->walk_cycles + tlb_lookup_cycles(c->tlb);
        for (int attempt = 0;; attempt++) {
            if (UNLIKELY(m->rec))
                rec_walk_before(c, va);
            int rc = mmu_walk(c->walker, &c->mmu, va, acc, &w);
            if (UNLIKELY(m->rec))
                rec_walk(c, va, acc == MMU_EXEC ? 0 : acc == MMU_WRITE ? 2 : 1, rc != 0);
            if (rc == 0)
                break;
            /* A page fault invalidates the TLB entries for va (SDM vol. 3 4.10.4.1); the walker
             * has dropped its paging-structure-cache entries already. */
            tlb_invlpg(c->tlb, va, pcid);
            if (!translation_fault(c, va, rc, w.r.pf_error, attempt, raise))
                return NULL;
        }
        uint64_t page_base = w.r.pa & ~(w.r.page_size - 1);
        uint8_t *hb = dram_host(m->dram, page_base);
        if (!hb || !dram_host(m->dram, w.r.pa)) {
            if (raise)
                cpu_fault(c, X86_PF, PF_P | PF_RSVD | (acc == MMU_WRITE ? PF_W : 0) | PF_U, va);
            return NULL;
        }
        if (clean_hit)
            tlb_mark_dirty(c->tlb, va, pcid);
        tlb_payload_t p;
        enum tlb_size size = mmu_tlb_payload(&w.r, (uint64_t)(uintptr_t)hb, &p);
        if (!(c->sys.cr4 & CR4_PGE))
            p.flags &= ~TLB_F_G; /* PTE.G counts only with CR4.PGE (SDM vol. 3 4.10.2.4) */
        te = tlb_fill(c->tlb, kind, va, pcid, size, &p);
        /* The core waited for the STLB and the walk. */
        c->sb_clk += mmu_stats(c->walker)->walk_cycles + tlb_lookup_cycles(c->tlb) - walk0;
    }
    uint8_t *host = (uint8_t *)(uintptr_t)te->host + (va & ((1ull << tlb_size_shift(tlb_entry_size(te))) - 1));
    if (acc == MMU_WRITE) {
        uint64_t pa = (uint64_t)(host - dram_base(m->dram));
        if (machine_frame_has_code(m, pa)) {
            machine_code_written(m, pa);
            c->block_end = NULL;
        }
    }
    tc_fill(c, va, acc, host, te);
    if (UNLIKELY(m->rec))
        rec_translate(c, acc == MMU_EXEC ? 0 : acc == MMU_WRITE ? 2 : 1, va, (uint64_t)(host - dram_base(m->dram)),
                      tlb_size_shift(tlb_entry_size(te)));
    return host;
}

/* Translate va for acc and fill the matching translation cache. Returns the host address of va,
 * or NULL on a fault when raise is 0 (else raises the exception). */
static uint8_t *translate(cpu_t *c, uint64_t va, enum mmu_access acc, int raise)
{
    if (c->timing)
        return translate_timed(c, va, acc, raise);
    machine_t *m = c->m;
    mmu_result_t r;
    c->st.tc_misses++;
    for (int attempt = 0;; attempt++) {
        int rc = mmu_translate(m->dram, &c->mmu, va, acc, &r);
        if (rc == 0)
            break;
        if (!translation_fault(c, va, rc, r.pf_error, attempt, raise))
            return NULL;
    }
    uint8_t *host = dram_host(m->dram, r.pa);
    if (!host) {
        /* A mapping of a physical address with no RAM behind it: a bus error on real hardware
         * (no MMIO device exists yet). */
        if (raise)
            cpu_fault(c, X86_PF, PF_P | PF_RSVD | (acc == MMU_WRITE ? PF_W : 0) | PF_U, va);
        return NULL;
    }
    if (acc == MMU_WRITE && machine_frame_has_code(m, r.pa)) {
        machine_code_written(m, r.pa);
        c->block_end = NULL; /* the rest of this block may be stale */
    }
    tc_fill(c, va, acc, host, NULL);
    return host;
}

/* Full timing: the n bytes at host address h go through the cache model (emu/memsys.c). */
static inline void charge(cpu_t *c, const uint8_t *h, uint64_t n, int store)
{
    if (UNLIKELY(c->m->rec) && n)
        rec_cache(c, store ? 2 : 1, (uint64_t)(h - dram_base(c->m->dram)), n);
    if (UNLIKELY(c->timing == CPU_TIMING_FULL) && n)
        mem_timed(c, (uintptr_t)h, (int)n, store);
}

uint64_t mem_read_slow(cpu_t *c, uint64_t va, int size)
{
    if (((va & 0xfff) + (uint64_t)size) <= 0x1000) {
        uint8_t *h = translate(c, va, MMU_READ, 1);
        charge(c, h, (uint64_t)size, 0);
        uint64_t v = 0;
        memcpy(&v, h, (size_t)size);
        return v;
    }
    /* Crossing a page: translate both pages first, then assemble. */
    uint64_t first = 0x1000 - (va & 0xfff);
    uint8_t *h1 = translate(c, va, MMU_READ, 1);
    uint8_t *h2 = translate(c, va + first, MMU_READ, 1);
    charge(c, h1, first, 0);
    charge(c, h2, (uint64_t)size - first, 0);
    uint64_t v = 0;
    memcpy(&v, h1, first);
    memcpy((uint8_t *)&v + first, h2, (size_t)size - first);
    return v;
}

void mem_write_slow(cpu_t *c, uint64_t va, int size, uint64_t val)
{
    if (((va & 0xfff) + (uint64_t)size) <= 0x1000) {
        uint8_t *h = translate(c, va, MMU_WRITE, 1);
        charge(c, h, (uint64_t)size, 1);
        memcpy(h, &val, (size_t)size);
        return;
    }
    uint64_t first = 0x1000 - (va & 0xfff);
    uint8_t *h1 = translate(c, va, MMU_WRITE, 1);
    uint8_t *h2 = translate(c, va + first, MMU_WRITE, 1);
    charge(c, h1, first, 1);
    charge(c, h2, (uint64_t)size - first, 1);
    memcpy(h1, &val, first);
    memcpy(h2, (uint8_t *)&val + first, (size_t)size - first);
}

uint8_t *mem_read_ptr(cpu_t *c, uint64_t va, int n)
{
    const tc_entry_t *e = &c->tc_r[(va >> 12) & (TC_SIZE - 1)];
    uint8_t *h;
    if (e->page == (va & ~0xfffull) && tc_timed_ok(c, e, TLB_LOAD))
        h = (uint8_t *)(uintptr_t)(va + e->addend);
    else
        h = translate(c, va, MMU_READ, 1);
    charge(c, h, (uint64_t)n, 0);
    return h;
}

uint8_t *mem_write_ptr(cpu_t *c, uint64_t va, int n)
{
    const tc_entry_t *e = &c->tc_w[(va >> 12) & (TC_SIZE - 1)];
    uint8_t *h;
    if (e->page == (va & ~0xfffull) && tc_timed_ok(c, e, TLB_STORE))
        h = (uint8_t *)(uintptr_t)(va + e->addend);
    else
        h = translate(c, va, MMU_WRITE, 1);
    charge(c, h, (uint64_t)n, 1);
    return h;
}

static int copy_guest(cpu_t *c, uint64_t va, void *buf, size_t n, int write, int raise)
{
    uint8_t *p = buf;
    while (n) {
        size_t chunk = 0x1000 - (va & 0xfff);
        if (chunk > n)
            chunk = n;
        uint8_t *h = translate(c, va, write ? MMU_WRITE : MMU_READ, raise);
        if (!h)
            return -1;
        if (raise)
            charge(c, h, chunk, write); /* an instruction's access (system calls use the try_ forms) */
        if (write)
            memcpy(h, p, chunk);
        else
            memcpy(p, h, chunk);
        va += chunk;
        p += chunk;
        n -= chunk;
    }
    return 0;
}

void mem_read_buf(cpu_t *c, uint64_t va, void *buf, size_t n) { copy_guest(c, va, buf, n, 0, 1); }
void mem_write_buf(cpu_t *c, uint64_t va, const void *buf, size_t n) { copy_guest(c, va, (void *)buf, n, 1, 1); }
int mem_try_read_buf(cpu_t *c, uint64_t va, void *buf, size_t n) { return copy_guest(c, va, buf, n, 0, 0); }
int mem_try_write_buf(cpu_t *c, uint64_t va, const void *buf, size_t n)
{
    return copy_guest(c, va, (void *)buf, n, 1, 0);
}

/* ---- exceptions ------------------------------------------------------------------------------ */

_Noreturn void cpu_fault(cpu_t *c, int vector, uint32_t error, uint64_t addr)
{
    c->fault_vector = vector;
    c->fault_error = error;
    c->fault_addr = addr;
    if (!c->in_run) {
        fprintf(stderr, "emu: internal error: exception %d raised outside the run loop\n", vector);
        abort();
    }
    longjmp(c->fault_jmp, 1);
}

_Noreturn void cpu_ud(cpu_t *c) { cpu_fault(c, X86_UD, 0, 0); }

_Noreturn void cpu_trap(cpu_t *c, int vector)
{
    c->fault_trap = 1;
    cpu_fault(c, vector, 0, 0);
}

/* ---- the code cache -------------------------------------------------------------------------- */


static code_cache_t *cache_of(cpu_t *c) { return (code_cache_t *)c->code_cache; }

void cpu_flush_code(cpu_t *c)
{
    code_cache_t *cc = cache_of(c);
    memset(cc->hash, 0, sizeof(cc->hash));
    cc->used = 0;
    c->flush_pending = 0;
    c->st.code_flushes++;
}

static void *arena_alloc(cpu_t *c, size_t bytes)
{
    code_cache_t *cc = cache_of(c);
    bytes = (bytes + 15) & ~(size_t)15;
    if (cc->used + bytes > CODE_ARENA_BYTES)
        return NULL;
    void *p = cc->arena + cc->used;
    cc->used += bytes;
    return p;
}

static inline unsigned hash_key(uintptr_t key) { return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> (64 - CODE_HASH_BITS)); }

/* Fetch up to n instruction bytes at va (stopping at the first unmapped page after the first). */
static int fetch_bytes(cpu_t *c, uint64_t va, uint8_t *buf, int n)
{
    int got = 0;
    while (got < n) {
        uint64_t a = va + (uint64_t)got;
        const tc_entry_t *e = &c->tc_x[(a >> 12) & (TC_SIZE - 1)];
        uint8_t *h;
        if (e->page == (a & ~0xfffull) && tc_timed_ok(c, e, TLB_FETCH))
            h = (uint8_t *)(uintptr_t)(a + e->addend);
        else
            h = translate(c, a, MMU_EXEC, got == 0);
        if (!h)
            break;
        int chunk = (int)(0x1000 - (a & 0xfff));
        if (chunk > n - got)
            chunk = n - got;
        memcpy(buf + got, h, (size_t)chunk);
        got += chunk;
    }
    return got;
}

/* Decode the block that starts at rip, whose first byte is at host address key. */
static block_t *decode_block(cpu_t *c, uint64_t rip, uint8_t *host)
{
    code_cache_t *cc = cache_of(c);
    machine_t *m = c->m;
    insn_t tmp[BLOCK_MAX_INSNS];
    uint8_t cost[BLOCK_MAX_INSNS];
    insn_regs_t regs[BLOCK_MAX_INSNS];
    int n = 0;
    uint64_t va = rip;
    int cross = 0;
    uint8_t *page_host = host - (rip & 0xfff);
    for (;;) {
        uint8_t bytes[16];
        int avail = (int)(0x1000 - (va & 0xfff));
        const uint8_t *code;
        if (avail >= 15) {
            code = page_host + (va & 0xfff);
        } else {
            /* The instruction may cross into the next page. */
            memcpy(bytes, page_host + (va & 0xfff), (size_t)avail);
            code = bytes;
        }
        int ends = 0;
        insn_t *in = &tmp[n];
        int len = decode_insn(code, avail >= 15 ? 15 : avail, in, &ends);
        if (len == 0) {
            /* Needs bytes from the next page. */
            if (n > 0)
                break; /* end the block here; the crossing instruction gets its own */
            int got = fetch_bytes(c, va, bytes, 15);
            len = decode_insn(bytes, got, in, &ends);
            if (len == 0) {
                /* Even with the next page (or what could be read of it) the instruction is
                 * incomplete: fetch the missing byte so the right #PF is raised. */
                fetch_bytes(c, va + (uint64_t)got, bytes, 1);
                cpu_ud(c);
            }
            cost[0] = m->class_cycles[timing_insn_class(bytes, len)];
            timing_insn_regs(bytes, len, in, &regs[0]);
            cross = 1;
            n = 1;
            break;
        }
        cost[n] = m->class_cycles[timing_insn_class(code, len)];
        timing_insn_regs(code, len, in, &regs[n]);
        n++;
        va += (uint64_t)len;
        if (ends || n == BLOCK_MAX_INSNS || (va & 0xfff) == 0)
            break;
    }

    size_t regs_off = (sizeof(block_t) + (size_t)n * sizeof(insn_t) + (size_t)n + 7) & ~(size_t)7;
    size_t bytes = regs_off + (size_t)n * sizeof(insn_regs_t);
    block_t *b;
    if (cross) {
        b = cc->scratch;
        b->cached = 0;
    } else {
        b = arena_alloc(c, bytes);
        if (!b) {
            cpu_flush_code(c);
            b = arena_alloc(c, bytes);
        }
        b->cached = 1;
    }
    b->key = (uintptr_t)host;
    b->n = (uint32_t)n;
    memcpy(b->insns, tmp, (size_t)n * sizeof(insn_t));
    b->cost = (uint8_t *)&b->insns[n];
    memcpy(b->cost, cost, (size_t)n);
    b->regs = (insn_regs_t *)(void *)((uint8_t *)b + regs_off);
    memcpy(b->regs, regs, (size_t)n * sizeof(insn_regs_t));
    b->cycles = 0;
    for (int k = 0; k < n; k++)
        b->cycles += cost[k];
    b->bytes = cross ? (uint32_t)(0x1000 - (rip & 0xfff)) : (uint32_t)(va - rip);
    if (cross && b->bytes > b->insns[0].len)
        b->bytes = b->insns[0].len;
    if (b->cached) {
        unsigned h = hash_key(b->key);
        b->next = cc->hash[h];
        cc->hash[h] = b;
        uint64_t pa = (uint64_t)(host - dram_base(m->dram));
        if (!machine_frame_has_code(m, pa))
            machine_mark_code(m, pa);
    }
    c->st.blocks_decoded++;
    return b;
}

/* The block at c->rip (decoding it if needed). */
static inline block_t *find_block(cpu_t *c)
{
    uint64_t rip = c->rip;
    const tc_entry_t *e = &c->tc_x[(rip >> 12) & (TC_SIZE - 1)];
    uint8_t *host;
    if (LIKELY(e->page == (rip & ~0xfffull) && tc_timed_ok(c, e, TLB_FETCH)))
        host = (uint8_t *)(uintptr_t)(rip + e->addend);
    else
        host = translate(c, rip, MMU_EXEC, 1);
    code_cache_t *cc = cache_of(c);
    for (block_t *b = cc->hash[hash_key((uintptr_t)host)]; b; b = b->next)
        if (b->key == (uintptr_t)host)
            return b;
    return decode_block(c, rip, host);
}

/* ---- the run loop ---------------------------------------------------------------------------- */

static inline void trace_record(machine_t *m, uint64_t rip)
{
    m->trace_ring[m->trace_pos] = rip;
    m->trace_pos = (m->trace_pos + 1) % m->trace_n;
    m->trace_count++;
}

/* Retire the first n instructions of block b: count them and, when timed, charge their base
 * cycles. */
static inline void retire(cpu_t *c, const block_t *b, uint32_t n)
{
    c->st.instructions += n;
    if (c->timing) {
        if (LIKELY(n == b->n)) {
            c->base_cycles += b->cycles;
        } else {
            for (uint32_t k = 0; k < n; k++)
                c->base_cycles += b->cost[k];
        }
    }
}

/* Execute blocks until max instructions retired or the machine stops. 'trace' is a compile-time
 * constant in each caller so the untraced loop has no per-instruction test for it. */
static inline __attribute__((always_inline)) void run_blocks(cpu_t *c, uint64_t limit, const int trace,
                                                             const int full)
{
    machine_t *m = c->m;
    while (!m->stop && !c->yield && c->st.instructions < limit) {
        if (UNLIKELY(c->events)) {
            if (c->flush_pending)
                cpu_flush_code(c);
            /* Full-system mode: an external interrupt may be taken here (emu/interrupt.c). */
            if (c->intr_pending && cpu_check_interrupts(c))
                continue;
        }
        c->cur = NULL;
        c->block_ring[c->block_pos++ & (CPU_BLOCK_RING - 1)] = c->rip;
        block_t *b = find_block(c);
        if (UNLIKELY(m->rec))
            rec_cache(c, 0, (uint64_t)(b->key - (uintptr_t)dram_base(m->dram)), b->bytes);
        if (UNLIKELY(c->timing == CPU_TIMING_FULL))
            memsys_fetch(c, (uint64_t)(b->key - c->host_base), b->bytes);
        const insn_t *i = b->insns;
        const insn_t *end = i + b->n;
        uint64_t left = limit - c->st.instructions;
        if (UNLIKELY(left < b->n) && !c->soft_limit)
            end = i + left;
        c->cur_block = b;
        c->block_end = end;
        const insn_regs_t *rg = b->regs;
        const uint8_t *cost = b->cost;
        if (full && UNLIKELY(c->sb_resync))
            c->sb_clk = cpu_cycles(c); /* L1 TLB hits cost cycles: the clock follows them here */
        do {
            c->cur = i;
            if (trace)
                trace_record(m, c->rip);
            if (full) {
                /* The scoreboard (emu/memsys.c, "The core"): only while a register is not ready. */
                c->sb_cur = rg;
                if (UNLIKELY(c->sb_clk < c->sb_max))
                    core_issue_fast(c, rg);
            }
            c->rip += i->len;
            i->fn(c, i);
            if (full) {
                c->sb_clk += *cost++;
                rg++;
            }
            i++;
        } while (i < c->block_end);
        if (full)
            c->sb_cur = &core_no_regs;
        retire(c, b, (uint32_t)(i - b->insns));
        c->cur_block = NULL;
    }
}

uint64_t cpu_run(cpu_t *c, uint64_t max)
{
    machine_t *m = c->m;
    uint64_t start = c->st.instructions;
    uint64_t limit = max ? start + max : UINT64_MAX;
    if (setjmp(c->fault_jmp)) {
        /* An exception: the faulting instruction did not retire. */
        c->in_run = 0;
        if (c->cur) {
            /* A fault did not retire its instruction (rip back to it); a trap did. */
            int trap = c->fault_trap;
            if (!trap)
                c->rip -= c->cur->len;
            if (c->cur_block)
                retire(c, c->cur_block, (uint32_t)(c->cur - c->cur_block->insns) + (trap ? 1u : 0u));
        }
        c->fault_trap = 0;
        c->cur = NULL;
        c->cur_block = NULL;
        c->sb_cur = &core_no_regs; /* the exception's accesses belong to no instruction */
        if (m->mode == EMU_MODE_SE)
            se_exception(c, c->fault_vector, c->fault_error, c->fault_addr);
        else
            cpu_deliver_exception(c, c->fault_vector, c->fault_error, c->fault_addr); /* the IDT */
    }
    /* A halted CPU (HLT at CPL 0) runs nothing until an interrupt wakes it (emu/interrupt.c). */
    if (UNLIKELY(c->sys.halted) && !(c->intr_pending && cpu_check_interrupts(c)))
        return 0;
    c->in_run = 1;
    c->yield = 0;
    c->sb_cur = &core_no_regs;
    if (c->timing == CPU_TIMING_FULL)
        c->sb_clk = cpu_cycles(c); /* the core's clock, kept by the run loop from here on */
    if (m->trace_n && c->timing == CPU_TIMING_FULL)
        run_blocks(c, limit, 1, 1);
    else if (m->trace_n)
        run_blocks(c, limit, 1, 0);
    else if (c->timing == CPU_TIMING_FULL)
        run_blocks(c, limit, 0, 1);
    else
        run_blocks(c, limit, 0, 0);
    c->in_run = 0;
    return c->st.instructions - start;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

cpu_t *cpu_new(struct machine *m, int id)
{
    cpu_t *c = calloc(1, sizeof(*c));
    code_cache_t *cc = calloc(1, sizeof(*cc));
    if (!c || !cc) {
        free(c);
        free(cc);
        return NULL;
    }
    cc->arena = malloc(CODE_ARENA_BYTES);
    cc->scratch = malloc(sizeof(block_t) + sizeof(insn_t) + 16 + sizeof(insn_regs_t));
    if (!cc->arena || !cc->scratch) {
        free(cc->arena);
        free(cc->scratch);
        free(cc);
        free(c);
        return NULL;
    }
    c->code_cache = cc;
    c->m = m;
    c->id = id;
    c->rflags = 0x202;
    cpu_fpu_reset(c);
    c->mmu.levels = 4;
    c->mmu.user = 1;
    c->mmu.wp = 1;
    c->mmu.nxe = 1;
    c->sb_cur = &core_no_regs;
    cpu_sys_init(c); /* CPL 3, the control registers of a Linux process (emu/priv.h) */
    cpu_flush_tlb(c);
    return c;
}

void cpu_free(cpu_t *c)
{
    if (!c)
        return;
    code_cache_t *cc = cache_of(c);
    free(cc->arena);
    free(cc->scratch);
    free(cc);
    free(c->rep);
    if (c->core)
        memsys_core_free(c->core);
    free(c);
}

uint64_t cpu_insns_now(const cpu_t *c)
{
    uint64_t n = c->st.instructions;
    if (c->cur && c->cur_block)
        n += (uint64_t)(c->cur - c->cur_block->insns);
    return n;
}

uint64_t cpu_cycles_now(cpu_t *c)
{
    if (c->tlb)
        cpu_tlb_sync(c);
    uint64_t cy = cpu_cycles(c);
    if (c->timing && c->cur && c->cur_block)
        for (const insn_t *i = c->cur_block->insns; i < c->cur; i++)
            cy += c->cur_block->cost[i - c->cur_block->insns];
    return cy;
}

uint64_t cpu_cycles(const cpu_t *c)
{
    uint64_t cy = c->base_cycles;
    if (c->tlb)
        cy += tlb_lookup_cycles(c->tlb);
    if (c->walker)
        cy += mmu_stats(c->walker)->walk_cycles;
    cy += c->mem_cycles[0] + c->mem_cycles[1] + c->mem_cycles[2] + c->mem_cycles[3];
    return cy - c->mem_cycles[CPU_MEMC_OVERLAP];
}

/* ---- replay (emu/replay.c) ------------------------------------------------------------------- */

/* One access of a trace replayed on c: translated through the modelled TLBs and walker as a live
 * access would be (translate), then, with full timing, through the caches (charge, or the fetch path
 * for instruction bytes). A fetch also retires one instruction. Returns 0, or -1 when the address
 * does not translate (the replay's page tables do not map it). */
int cpu_replay_access(cpu_t *c, uint64_t va, uint32_t size, int kind)
{
    enum mmu_access acc = kind == 0 ? MMU_EXEC : kind == 2 ? MMU_WRITE : MMU_READ;
    if (size == 0)
        size = 1;
    if (c->timing == CPU_TIMING_FULL)
        c->sb_clk = cpu_cycles(c); /* replay runs outside the run loop, which keeps the clock */
    uint64_t done = 0;
    while (done < size) {
        uint64_t a = va + done;
        uint64_t n = 0x1000 - (a & 0xfff);
        if (n > size - done)
            n = size - done;
        uint8_t *h = translate(c, a, acc, 0);
        if (!h)
            return -1;
        if (c->timing == CPU_TIMING_FULL) {
            if (kind == 0)
                memsys_fetch(c, (uint64_t)(h - dram_base(c->m->dram)), (uint32_t)n);
            else
                charge(c, h, n, kind == 2);
        }
        done += n;
    }
    if (kind == 0) {
        c->st.instructions++;
        if (c->timing)
            c->base_cycles += c->m->class_cycles[0];
    }
    return 0;
}

/* Replay of a recording (emu/replay.c): one translation (a TLB lookup, and a walk on a miss), with no
 * cache access. 0, or -1 when va does not translate. */
int cpu_replay_translate(cpu_t *c, uint64_t va, int kind)
{
    return translate(c, va, kind == 0 ? MMU_EXEC : kind == 2 ? MMU_WRITE : MMU_READ, 0) ? 0 : -1;
}

/* Replay of a recording: one cache access of size bytes at pa (full timing only). */
void cpu_replay_cache(cpu_t *c, uint64_t pa, uint32_t size, int kind)
{
    if (c->timing != CPU_TIMING_FULL || !size)
        return;
    if (kind == 0) {
        memsys_fetch(c, pa, size);
        return;
    }
    uint8_t *h = dram_host(c->m->dram, pa);
    if (h)
        mem_timed(c, (uintptr_t)h, (int)size, kind == 2);
}

/* Replay of a recording: a walk that faulted (the caller made the leaf not present): the walker counts
 * it as the run's did, and the TLBs drop va as after a page fault. */
void cpu_replay_fault_walk(cpu_t *c, uint64_t va)
{
    if (!c->walker)
        return;
    mmu_walk_result_t w;
    cpu_tlb_sync(c);
    mmu_walk(c->walker, &c->mmu, va, MMU_READ, &w);
    tlb_invlpg(c->tlb, va, c->mmu.pcid);
    c->st.page_faults++; /* the run took a page fault there (SE demand paging resolved it) */
}
