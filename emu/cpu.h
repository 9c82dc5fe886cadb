/* cpu: the state of one x86-64 CPU and the interfaces the decoder, the instruction handlers, the
 * run loop and the system-call layer share. Private to emu/.
 *
 * Execution model (docs/ARCHITECTURE.md, "The hot path"):
 *   - Code is decoded once into insn_t records, grouped into blocks keyed by the physical address
 *     of their first byte (emu/cpu.c). A block ends at a control transfer, at an instruction that
 *     may change the machine state the decoder relied on (syscall, cpuid, ...), or at a page end.
 *   - Each insn_t carries its handler; the run loop does, per instruction:
 *         c->cur = i; c->rip += i->len; i->fn(c, i);
 *     so a handler sees rip = the address of the NEXT instruction (what RIP-relative operands,
 *     call and relative jumps need). Control transfers assign c->rip.
 *   - A handler that must stop the block early (a write to code, exit) sets c->block_end = NULL.
 *   - Exceptions: a handler calls cpu_fault(), which longjmps back to the run loop; the run loop
 *     rewinds rip to the faulting instruction (rip - cur->len). Handlers therefore do every load
 *     and store that can fault before they change registers or flags, so that a faulting
 *     instruction has no visible effect (string instructions update registers per iteration,
 *     which is architecturally exact).
 *   - Memory: a per-CPU direct-mapped translation cache per access kind maps a virtual page to a
 *     host pointer; a hit is a tag compare and an add. Misses walk the guest page tables (mmu/).
 *     It holds no statistics: the timing issues put the modelled TLB in front of it.
 */
#ifndef EMU_CPU_H
#define EMU_CPU_H

#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "emu/priv.h"
#include "mmu/mmu.h"
#include "tlb/tlb.h"
#include "emu/timing.h"

struct machine;
typedef struct cpu cpu_t;
typedef struct insn insn_t;
typedef void (*insn_fn)(cpu_t *c, const insn_t *i);

/* General-purpose register numbers (encoding order). */
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI, R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

/* Byte registers in insn_t: 0..15 are the low bytes of r[0..15] (AL..R15B, with SPL/BPL/SIL/DIL
 * when a REX prefix is present); 16..19 are AH, CH, DH, BH (no REX prefix). */
#define REG8_AH 16

/* Exception vectors. */
enum { X86_DE = 0, X86_DB = 1, X86_BP = 3, X86_OF = 4, X86_UD = 6, X86_NM = 7, X86_DF = 8, X86_GP = 13,
       X86_PF = 14, X86_MF = 16, X86_AC = 17, X86_XM = 19 };

/* RFLAGS bits. */
#define FL_CF (1u << 0)
#define FL_PF (1u << 2)
#define FL_AF (1u << 4)
#define FL_ZF (1u << 6)
#define FL_SF (1u << 7)
#define FL_TF (1u << 8)
#define FL_IF (1u << 9)
#define FL_DF (1u << 10)
#define FL_OF (1u << 11)
#define FL_ID (1u << 21)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* insn_t.base / insn_t.index values beyond the 16 registers: they index cpu_t.ea_regs, where
 * rip and a constant 0 follow the general registers, so insn_ea() needs no branch for them. */
#define EA_RIP 16
#define EA_NONE 17
/* insn_t.seg */
enum { SEG_NONE = 0, SEG_FS = 1, SEG_GS = 2 };
/* insn_t.flags */
#define INSN_MEM (1u << 0)   /* the ModRM operand is memory (else register rm) */
#define INSN_LOCK (1u << 1)  /* F0 prefix */
#define INSN_REP (1u << 2)   /* F3 prefix */
#define INSN_REPNE (1u << 3) /* F2 prefix */
#define INSN_REX (1u << 4)   /* a REX prefix was present */
#define INSN_CROSS (1u << 5) /* the instruction's bytes cross a page boundary (not cached) */
#define INSN_EA_SLOW (1u << 6) /* memory operand with a segment base or 32-bit address size */

/* A decoded instruction. The decoder fills what the handler needs; fields a handler does not use
 * are unspecified. 32 bytes, so two fit in a cache line. */
struct insn {
    insn_fn fn;     /* handler */
    uint64_t imm;   /* immediate (sign-extended to 64 bits where the encoding says so) */
    int32_t disp;   /* memory displacement */
    uint8_t len;    /* length in bytes, 1..15 */
    uint8_t osz;    /* operand size in bytes: 1, 2, 4, 8 (16 for SSE) */
    uint8_t reg;    /* ModRM.reg with REX.R, or the register in the opcode; byte regs see REG8_AH */
    uint8_t rm;     /* ModRM.rm with REX.B when the operand is a register */
    uint8_t base;   /* memory operand base register, EA_NONE or EA_RIP */
    uint8_t index;  /* memory operand index register or EA_NONE */
    uint8_t scale;  /* log2 of the index scale */
    uint8_t seg;    /* SEG_NONE, SEG_FS, SEG_GS */
    uint8_t flags;  /* INSN_* */
    uint8_t asz;    /* address size: 8, or 4 with the 67 prefix */
    uint8_t cc;     /* condition code (jcc, setcc, cmovcc) or sub-operation */
    uint8_t aux;    /* second immediate (enter), or handler-specific */
};

/* One entry of the translation cache: page is the virtual page (va & ~0xfff) or TC_INVALID;
 * host address of va = va + addend. With timing on, te is the modelled TLB entry (tlb/) that
 * provided the translation and tag the value te->tag had then: the entry is usable only while
 * te->tag == tag, i.e. while the modelled TLB still holds that translation, and each use records a
 * hit in the model (emu/cpu.c, "Timing"). */
typedef struct tc_entry {
    uint64_t page;
    uintptr_t addend;
    tlb_entry_t *te;
    uint64_t tag;
} tc_entry_t;
#define TC_BITS 9
#define TC_SIZE (1u << TC_BITS)
#define TC_INVALID 1ull

typedef union xmm {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
    float f[4];
    double df[2];
} xmm_t;

/* Per-CPU counters: declared once here; registered as "cpuN.<name>" (docs/STATS.md). */
#define CPU_COUNTERS(X)                                                                           \
    X(instructions, "Instructions retired")                                                       \
    X(page_faults, "Page faults taken (#PF), including those resolved by demand paging")          \
    X(syscalls, "System calls executed")                                                          \
    X(blocks_decoded, "Code blocks decoded into the predecoded instruction cache")               \
    X(code_flushes, "Flushes of the predecoded instruction cache (self-modifying code, full cache)") \
    X(tc_misses, "Translation-cache misses (page walks done by the functional MMU)")

struct cpu_stats {
#define X(name, desc) uint64_t name;
    CPU_COUNTERS(X)
#undef X
};

struct block;

struct cpu {
    /* Architectural state. ea_regs views r[0..15], rip and a constant 0 as one array that
     * insn_t.base and insn_t.index index (EA_RIP, EA_NONE). */
    union {
        struct {
            uint64_t r[16];
            uint64_t rip;
            uint64_t ea_zero; /* always 0 */
        };
        uint64_t ea_regs[18];
    };
    uint64_t rflags;      /* non-arithmetic bits always; arithmetic bits when lf_op == 0 */
    /* Lazy flags (emu/flags.h): the last flag-setting operation, its operands and result. */
    uint64_t lf_res, lf_a, lf_b;
    uint32_t lf_op;       /* 0: the arithmetic bits of rflags are current */
    uint32_t lf_aux;
    uint64_t fs_base, gs_base;
    xmm_t xmm[16];
    uint32_t mxcsr;
    /* x87 state (emu/exec_x87.c). The data registers are kept in physical order R0..R7 as host
     * 80-bit long doubles; ST(i) is fpr[(fpu_top + i) & 7]. fpu_sw holds the status word with its
     * TOP field (bits 13..11) cleared: the current top is fpu_top. fpu_ftw is the abridged tag word
     * FXSAVE stores: bit i set when R_i is not empty. */
    long double fpr[8];
    uint16_t fpu_cw, fpu_sw;
    uint8_t fpu_top, fpu_ftw;
    uint16_t fpu_fop;
    uint64_t fpu_ip, fpu_dp;

    /* Paging. */
    mmu_ctx_t mmu;

    /* Translation caches: data reads, data writes, instruction fetch. */
    tc_entry_t tc_r[TC_SIZE], tc_w[TC_SIZE], tc_x[TC_SIZE];

    /* Run-loop state. */
    const insn_t *cur;        /* instruction being executed */
    const insn_t *block_end;  /* the loop stops when it reaches this (NULL: stop after current) */
    jmp_buf fault_jmp;
    int fault_vector;         /* set by cpu_fault() */
    int fault_trap;           /* the exception is a trap: the instruction retired, rip is past it */
    uint32_t fault_error;
    uint64_t fault_addr;

    int in_run;               /* inside cpu_run(): cpu_fault() may longjmp */
    int yield;                /* return from cpu_run() after this block (a marker needs the machine) */
    int soft_limit;           /* cpu_run's max is a wish: finish the block that reaches it (the observer's
                                 chunks, emu/snapshot.c, so that they split no block) */
    const struct block *cur_block;
    /* Work for the run loop at the next block boundary, tested there as one word (events). */
    union {
        struct {
            uint8_t flush_pending; /* decoded code must be dropped before the next block */
            uint8_t intr_pending;  /* an external interrupt is requested (sys.irr): the run loop
                                      calls cpu_check_interrupts() (emu/interrupt.c) */
        };
        uint16_t events;
    };
    void *code_cache;         /* the predecoded block cache (emu/cpu.c) */

    /* Timing (emu/cpu.c, "Timing"): the modelled TLBs and page walker of this CPU, whether they
     * are in use, and the base cycles of the instructions retired while timed. */
    int timing;               /* 0: functional; 1: translation timing (--timing=tlb); 2: full */
    tlb_t *tlb;
    mmu_t *walker;
    uint64_t base_cycles;
    tlb_entry_t *rep_te[2];   /* last L1 entry hit per side (0: fetch, 1: data), NULL if none */
    uint64_t rep_n[2];        /* hits on it not yet reported to the model */
    /* Full timing (emu/memsys.c): pa = host - host_base. The repeat filter: rep[line & rep_mask]
     * (one entry per set of the first data level) names, per kind (0 load, 1 store), the line
     * whose repeated access is certainly a hit in that level without any change to the model but
     * its hit counters (*rep_hits, *set_hits), costing rep_lat; an entry is valid while its key
     * is (line << 16 | rep_gen). mem_cycles: CPU_MEMC_* below. */
    uintptr_t host_base;
    struct cpu_rep *rep;
    uint64_t rep_mask, rep_gen;
    uint64_t *rep_hits;
    uint32_t rep_lat, line_shift;
    int socket, cache_id;     /* the CPU's socket, its index in the cache model */
    uint64_t mem_cycles[5];
    /* The core of --timing=full (emu/memsys.c, "The core"): sb_clk is the CPU's cycles at the
     * current instruction (set from cpuN.cycles when cpu_run starts, then advanced by base cycles,
     * walks, fetches and waits), sb_ready[r] the cycle register r (TREG_*) is ready, sb_max the latest
     * of them; sb_cur the registers of the current instruction; core: MSHRs, store buffer,
     * prefetcher. */
    uint64_t sb_clk, sb_max;
    const struct insn_regs *sb_cur;
    int sb_resync;            /* tlb.l1_latency > 0: re-read the clock from the counters per block */
    struct core_model *core;
    uint64_t sb_ready[20];    /* [TREG_NONE_RD] stays 0, [TREG_NONE_WR] is a scratch slot */

    int id;
    struct machine *m;
    struct cpu_stats st;
    /* The virtual addresses of the last CPU_BLOCK_RING blocks entered, for failure reports (the
     * last instructions before a triple fault or a crash, without --trace-insn). */
#define CPU_BLOCK_RING 8
    uint64_t block_ring[CPU_BLOCK_RING];
    uint32_t block_pos;
    /* --record (emu/record.c): base cycles and instructions at this CPU's previous record. */
    uint64_t rec_base, rec_insns;
    uint64_t rec_wpa[5], rec_wval[5]; /* the path of the walk about to happen, before it */
    int rec_wn;
    uint64_t rec_cr3;                 /* the CR3 last written into the recording (+1; 0: none yet) */

    /* Privileged state: CPL, control registers, MSRs, IDT/GDT/TSS, interrupts (emu/priv.h). Last,
     * so that the run loop's fields keep their places. */
    cpu_sys_t sys;
};

/* Raise an exception: records it and longjmps to the run loop. */
_Noreturn void cpu_fault(cpu_t *c, int vector, uint32_t error, uint64_t addr);
/* #UD for the current instruction. */
_Noreturn void cpu_ud(cpu_t *c);
/* A trap (int3, int1, int n to a user gate): the instruction completes and the exception is
 * reported with rip after it, as x86 does for traps. */
_Noreturn void cpu_trap(cpu_t *c, int vector);

/* Slow paths (emu/cpu.c): translate, fill the cache, handle page crossing, demand paging. */
uint64_t mem_read_slow(cpu_t *c, uint64_t va, int size);
void mem_write_slow(cpu_t *c, uint64_t va, int size, uint64_t val);
/* Byte-wise copies between guest virtual memory and the host (any length, faults as accesses do). */
void mem_read_buf(cpu_t *c, uint64_t va, void *buf, size_t n);
void mem_write_buf(cpu_t *c, uint64_t va, const void *buf, size_t n);
/* The same, but a fault returns -1 instead of raising an exception (system calls use these to
 * answer -EFAULT). Demand paging still happens. Usable outside cpu_run(). */
int mem_try_read_buf(cpu_t *c, uint64_t va, void *buf, size_t n);
int mem_try_write_buf(cpu_t *c, uint64_t va, const void *buf, size_t n);
/* Host pointer for a write of n bytes at va inside one page (translates and marks dirty). */
uint8_t *mem_write_ptr(cpu_t *c, uint64_t va, int n);
uint8_t *mem_read_ptr(cpu_t *c, uint64_t va, int n);
/* Drop every cached translation (page tables changed, CR3 written). */
void cpu_flush_tlb(cpu_t *c);
/* Drop cached translations of one page. */
void cpu_flush_page(cpu_t *c, uint64_t va);
/* Drop the translation caches (tc_r, tc_w, tc_x) only, not the modelled TLBs: they carry no PCID
 * and were filled under the current privilege, CR0.WP and EFER.NXE (emu/exec_priv.c decides when). */
void cpu_flush_tc(cpu_t *c);
/* Instructions retired before the current one, and this CPU's cycles up to it (with timing on):
 * inside a block the counters lag until the block retires; these add the block's part. */
uint64_t cpu_insns_now(const cpu_t *c);
uint64_t cpu_cycles_now(cpu_t *c);
/* Drop the cached translations of [va, va + len): every translation-cache entry in the range, and
 * one invalidation of the modelled TLBs per stride bytes (stride = the page size: a 2 MiB page
 * changed is one INVLPG, as on hardware). */
void cpu_flush_range(cpu_t *c, uint64_t va, uint64_t len, uint64_t stride);

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* With timing on, a translation-cache hit is valid only while the modelled TLB entry behind it
 * still holds the translation; the hit is then recorded in the model. A hit on the same L1 entry
 * as the previous hit of its side (instruction or data) changes no replacement state, so it is
 * only counted here and reported to the model in batches (cpu_tlb_sync). */
void cpu_tlb_use(cpu_t *c, tlb_entry_t *te, enum tlb_kind kind);
void cpu_tlb_sync(cpu_t *c);
static inline int tc_timed_ok(cpu_t *c, const tc_entry_t *e, enum tlb_kind kind)
{
    if (LIKELY(!c->timing))
        return 1;
    if (UNLIKELY(e->te->tag != e->tag))
        return 0;
    int side = kind != TLB_FETCH;
    if (LIKELY(e->te == c->rep_te[side]))
        c->rep_n[side]++;
    else
        cpu_tlb_use(c, e->te, kind);
    return 1;
}

/* Full timing (emu/memsys.c). */
#define CPU_TIMING_FULL 2
#define CPU_NO_LINE (~0ull)
/* mem_cycles[]: the latency of every access, split by where it was served; OVERLAP is the part of
 * the data accesses' latency the core did not wait for (memory-level parallelism), so that
 * cycles = base + TLB + walks + CACHE + DRAM_LOCAL + DRAM_REMOTE + COHERENCE - OVERLAP. */
enum { CPU_MEMC_CACHE = 0, CPU_MEMC_DRAM_LOCAL = 1, CPU_MEMC_DRAM_REMOTE = 2, CPU_MEMC_COHERENCE = 3,
       CPU_MEMC_OVERLAP = 4 };
/* One entry of the repeat filter (cpu_t.rep). ready: the cycle the line's data is there (a fill
 * still in flight), set_hits: the hit counter of the line's set. */
struct cpu_rep {
    uint64_t key[2];
    uint64_t ready;
    uint64_t *set_hits;
};
void memsys_data(cpu_t *c, uint64_t pa, uint64_t size, int store);
/* The scoreboard after an access of the current instruction that hit the first data level with
 * latency lat, whose line's data is there at cycle ready (emu/memsys.c). */
void core_hit_store(cpu_t *c, uint64_t done);
/* Before an instruction while some register is not ready (sb_clk < sb_max): wait for its address
 * registers, then give its destinations the readiness of its sources. */
void core_issue(cpu_t *c, const struct insn_regs *r);
void core_wait_reg(cpu_t *c, uint64_t until);
/* core_issue for the common instruction (few registers), inline in the run loop. */
static inline void core_issue_fast(cpu_t *c, const struct insn_regs *r)
{
    if (UNLIKELY(r->slow)) {
        core_issue(c, r);
        return;
    }
    uint64_t *rd = c->sb_ready;
    uint64_t a0 = rd[r->ai[0]], a1 = rd[r->ai[1]];
    uint64_t w = a0 > a1 ? a0 : a1;
    if (UNLIKELY(w > c->sb_clk))
        core_wait_reg(c, w);
    uint64_t d0 = rd[r->ri[0]], d1 = rd[r->ri[1]], d2 = rd[r->ri[2]];
    uint64_t d = d0 > d1 ? d0 : d1;
    d = d > d2 ? d : d2;
    rd[r->wi[0]] = d;
    rd[r->wi[1]] = d;
    rd[r->wi[2]] = d;
}
/* The registers of no instruction: an access made outside the run loop of --timing=full (trace
 * replay, an exception frame pushed between blocks) blocks the core for its whole latency
 * (core_blocking), as before memory-level parallelism. */
extern const struct insn_regs core_no_regs;

void core_blocking(cpu_t *c, uint64_t done);
static inline void core_hit_load(cpu_t *c, uint64_t done)
{
    if (UNLIKELY(c->sb_cur == &core_no_regs)) {
        core_blocking(c, done);
        return;
    }
    uint32_t m = c->sb_cur->ld;
    while (m) {
        int r = __builtin_ctz(m);
        m &= m - 1;
        if (c->sb_ready[r] < done)
            c->sb_ready[r] = done;
    }
    if (c->sb_max < done)
        c->sb_max = done;
}
/* A data access of size bytes at host address host through the cache model: a repeat of a line the
 * filter names is counted here (a hit in the first level, its latency, the scoreboard), anything
 * else goes to memsys. */
static inline void mem_timed(cpu_t *c, uintptr_t host, int size, int store)
{
    uint64_t pa = host - c->host_base;
    uint64_t line = pa >> c->line_shift;
    struct cpu_rep *e = &c->rep[line & c->rep_mask];
    if (LIKELY(e->key[store] == ((line << 16) | c->rep_gen) &&
               ((pa + (uint64_t)size - 1) >> c->line_shift) == line)) {
        (*c->rep_hits)++;
        (*e->set_hits)++;
        c->mem_cycles[CPU_MEMC_CACHE] += c->rep_lat;
        c->mem_cycles[CPU_MEMC_OVERLAP] += c->rep_lat;
        uint64_t done = c->sb_clk + c->rep_lat;
        if (UNLIKELY(e->ready > done))
            done = e->ready;
        if (store)
            core_hit_store(c, done);
        else
            core_hit_load(c, done);
        return;
    }
    memsys_data(c, pa, (uint64_t)size, store);
}

/* Fast path: the access lies within one page whose translation is cached. */
#define MEM_FAST_READ(bits)                                                                   \
    static inline uint##bits##_t mem_rd##bits(cpu_t *c, uint64_t va)                          \
    {                                                                                         \
        const tc_entry_t *e = &c->tc_r[(va >> 12) & (TC_SIZE - 1)];                           \
        if (LIKELY(e->page == (va & ~0xfffull) && (va & 0xfff) <= 0x1000 - bits / 8) &&       \
            tc_timed_ok(c, e, TLB_LOAD)) {                                                    \
            if (UNLIKELY(c->timing == CPU_TIMING_FULL))                                       \
                mem_timed(c, (uintptr_t)(va + e->addend), bits / 8, 0);                       \
            uint##bits##_t v;                                                                 \
            memcpy(&v, (const void *)(uintptr_t)(va + e->addend), sizeof(v));                \
            return v;                                                                         \
        }                                                                                     \
        return (uint##bits##_t)mem_read_slow(c, va, bits / 8);                                \
    }
#define MEM_FAST_WRITE(bits)                                                                  \
    static inline void mem_wr##bits(cpu_t *c, uint64_t va, uint##bits##_t v)                  \
    {                                                                                         \
        const tc_entry_t *e = &c->tc_w[(va >> 12) & (TC_SIZE - 1)];                           \
        if (LIKELY(e->page == (va & ~0xfffull) && (va & 0xfff) <= 0x1000 - bits / 8) &&       \
            tc_timed_ok(c, e, TLB_STORE)) {                                                   \
            if (UNLIKELY(c->timing == CPU_TIMING_FULL))                                       \
                mem_timed(c, (uintptr_t)(va + e->addend), bits / 8, 1);                       \
            memcpy((void *)(uintptr_t)(va + e->addend), &v, sizeof(v));                       \
            return;                                                                           \
        }                                                                                     \
        mem_write_slow(c, va, bits / 8, v);                                                   \
    }
MEM_FAST_READ(8)
MEM_FAST_READ(16)
MEM_FAST_READ(32)
MEM_FAST_READ(64)
MEM_FAST_WRITE(8)
MEM_FAST_WRITE(16)
MEM_FAST_WRITE(32)
MEM_FAST_WRITE(64)

/* Effective (linear) address of the memory operand. The common case (64-bit addressing, no
 * segment base) is branch-free. */
static inline uint64_t insn_ea(const cpu_t *c, const insn_t *i)
{
    uint64_t a = (uint64_t)(int64_t)i->disp + c->ea_regs[i->base] + (c->ea_regs[i->index] << i->scale);
    if (UNLIKELY(i->flags & INSN_EA_SLOW)) {
        if (i->asz == 4)
            a = (uint32_t)a;
        if (i->seg)
            a += i->seg == SEG_FS ? c->fs_base : c->gs_base;
    }
    return a;
}

/* Decoder (emu/decode.c): decode the instruction at va whose bytes are at code[0..avail).
 * Fills *out (handler included; an undefined or unimplemented opcode gets the #UD handler) and
 * returns its length; returns 0 when avail is too short for the instruction.
 * *ends_block is set when the block must end after this instruction. */
int decode_insn(const uint8_t *code, int avail, insn_t *out, int *ends_block);

/* Run-loop entry points (emu/cpu.c). */
cpu_t *cpu_new(struct machine *m, int id);
void cpu_free(cpu_t *c);
/* Flush every decoded block (after code was written, or when the cache is full). */
void cpu_flush_code(cpu_t *c);

/* Execute up to max instructions; returns the number retired. Stops early when the machine asks
 * (exit, fatal signal) or an exception reaches the machine's handler. */
uint64_t cpu_run(cpu_t *c, uint64_t max);

/* The FXSAVE image of the x87 and SSE state (Intel SDM vol. 1, 10.5.1: 512 bytes, 64-bit
 * layout) and its inverse (emu/fpu_state.c). cpu_fxrstor returns -1, changing nothing, when the
 * image sets reserved MXCSR bits (the instruction raises #GP; a signal return fails). */
void cpu_fxsave(const cpu_t *c, uint8_t out[512]);
int cpu_fxrstor(cpu_t *c, const uint8_t in[512]);
/* Reset the x87 and SSE state to what FNINIT / process start give. */
void cpu_fpu_reset(cpu_t *c);

/* Cycles of this CPU: base cycles of the instructions retired while timed, plus the cycles of TLB
 * lookups and page walks. */
uint64_t cpu_cycles(const cpu_t *c);

/* The handler of the emulator's magic NOPs (region-of-interest markers, include/emu_roi.h):
 * insn_t.imm holds the marker's code. */
void h_emu_marker(cpu_t *c, const insn_t *i);

/* Replay one access of a trace on c (emu/replay.c): kind 0 fetch (retires one instruction), 1 load,
 * 2 store; through the modelled TLBs, walker and, with full timing, caches. 0, or -1 when va does not
 * translate. */
int cpu_replay_access(cpu_t *c, uint64_t va, uint32_t size, int kind);
/* Replay of a recording: a translation only; a cache access only (pa, bytes); a faulting walk. */
int cpu_replay_translate(cpu_t *c, uint64_t va, int kind);
void cpu_replay_cache(cpu_t *c, uint64_t pa, uint32_t size, int kind);
void cpu_replay_fault_walk(cpu_t *c, uint64_t va);

/* The complete RFLAGS value (materialises the lazy flags); emu/flags.c. */
uint64_t cpu_get_rflags(cpu_t *c);
/* Set RFLAGS (all bits), dropping the lazy state. */
void cpu_set_rflags(cpu_t *c, uint64_t v);

#endif
