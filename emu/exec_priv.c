/* exec_priv: the privileged state of the CPU and the system instructions of 64-bit mode.
 *
 * The state (emu/priv.h, cpu_t.sys): CPL, CR0, CR2, CR3, CR4, CR8, EFER, the debug registers,
 * GDTR, IDTR, TR with its TSS, the selectors, and the MSRs that exist. c->mmu mirrors what the
 * page walk needs (user = CPL 3, CR0.WP, EFER.NXE, CR3 and the PCID) and is recomputed whenever one
 * of them changes (cpu_sys_sync_mmu).
 *
 * Every privileged instruction checks CPL when it executes (decoded blocks do not depend on the
 * privilege level) and raises #GP(0) at CPL 3, so SE mode, which runs at CPL 3, sees what a Linux
 * process sees. IOPL is treated as 0: IN, OUT, INS, OUTS, CLI and STI are privileged too.
 *
 * TLB coherence (SDM vol. 3 4.10.4). Two caches hold translations: the modelled TLBs and
 * paging-structure caches (tlb/, mmu/; kept coherent even while timing is off), and the CPU's
 * translation caches (tc_r/tc_w/tc_x, emu/cpu.c), which carry neither a PCID nor the privilege,
 * CR0.WP or EFER.NXE they were filled under. So:
 *   - MOV to CR3: CR4.PCIDE = 0: every non-global TLB entry and every paging-structure-cache
 *     entry; PCIDE = 1 and bit 63 clear: the entries of the new PCID (globals kept); bit 63 set:
 *     nothing in the model. The translation caches are dropped in every case (no PCID in them).
 *   - MOV to CR4 changing PGE, or clearing PCIDE: everything, global entries included.
 *   - INVLPG: the page's entries of the current PCID and its global ones (every piece of a large
 *     page), every paging-structure-cache entry of the current PCID; INVPCID types 0-3 as the SDM.
 *     The translation caches are dropped whole: their 4 KiB entries do not say which large page
 *     they came from.
 *   - CPL: translation-cache entries filled at CPL 3 are valid at CPL 0 (no SMEP/SMAP), so
 *     entering CPL 0 keeps them; entering CPL 3 drops them (they may hold supervisor pages).
 *   - CR0.WP and EFER.NXE changes drop the translation caches only (the SDM does not require the
 *     TLBs to be flushed, and the modelled entries are checked against WP at every hit).
 */
#include "emu/exec.h"
#include "emu/fs.h"
#include "emu/machine.h"

#define PAT_DEFAULT 0x0007040600070406ull
#define DR6_FIXED 0xffff0ff0ull
#define DR7_FIXED 0x400ull
/* CR3 bits above the physical-address width (46 bits, as CPUID 0x80000008 reports). */
#define CR3_RSVD 0xffffc00000000000ull
#define CR0_DEFINED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG)
/* CR4 bits that can be set: those whose features exist (CPUID says so). */
#define CR4_VALID (CR4_TSD | CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_LA57 | CR4_PCIDE)
#define EFER_VALID (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

#define NEED_CPL0(c)                                   \
    do {                                               \
        if (UNLIKELY((c)->sys.cpl != 0))               \
            cpu_fault((c), X86_GP, 0, 0);              \
    } while (0)

static int canonical(const cpu_t *c, uint64_t va) { return mmu_canonical(va, c->mmu.levels); }

/* ---- state ------------------------------------------------------------------------------------ */

void cpu_sys_sync_mmu(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    c->mmu.user = s->cpl == 3;
    c->mmu.wp = !!(s->cr0 & CR0_WP);
    c->mmu.nxe = !!(s->efer & EFER_NXE);
    c->mmu.pcid = (s->cr4 & CR4_PCIDE) ? (uint16_t)(s->cr3 & CR3_PCID_MASK) : 0;
}

void cpu_set_cpl(cpu_t *c, int cpl)
{
    int old = c->sys.cpl;
    c->sys.cpl = cpl;
    c->sys.sel[SREG_CS] = (uint16_t)((c->sys.sel[SREG_CS] & ~3u) | (unsigned)cpl);
    c->mmu.user = cpl == 3;
    if (cpl == 3 && old != 3)
        cpu_flush_tc(c);
}

static void sys_defaults(cpu_sys_t *s)
{
    s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    s->pat = PAT_DEFAULT;
    s->misc_enable = 1; /* fast strings */
    s->dr[6] = DR6_FIXED;
    s->dr[7] = DR7_FIXED;
}

void cpu_sys_init(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    memset(s, 0, sizeof(*s));
    sys_defaults(s);
    s->cpl = 3;
    s->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    s->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    s->sel[SREG_CS] = 0x33;
    s->sel[SREG_SS] = 0x2b;
    c->intr_pending = 0;
}

void cpu_sys_boot(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    memset(s, 0, sizeof(*s));
    sys_defaults(s);
    s->cpl = 0;
    s->cr4 = CR4_PAE; /* LA57 reads as the configured paging depth (cpu_read_cr) */
    s->efer = EFER_LME | EFER_LMA;
    s->cr3 = c->mmu.cr3 & PTE_ADDR_MASK;
    s->sel[SREG_CS] = 0x10;
    s->sel[SREG_SS] = s->sel[SREG_DS] = s->sel[SREG_ES] = 0x18;
    c->intr_pending = 0;
    cpu_set_rflags(c, 2);
    cpu_sys_sync_mmu(c);
    cpu_flush_tc(c);
    if (c->tlb) {
        cpu_tlb_sync(c);
        tlb_flush_all(c->tlb, 0);
    }
    if (c->walker)
        mmu_flush_all(c->walker);
}

/* ---- TLB coherence ---------------------------------------------------------------------------- */

static void flush_all(cpu_t *c, int keep_global)
{
    cpu_flush_tc(c);
    if (c->tlb) {
        cpu_tlb_sync(c);
        tlb_flush_all(c->tlb, keep_global);
    }
    if (c->walker)
        mmu_flush_all(c->walker);
}

/* The entries of one PCID (global ones kept). */
static void flush_pcid(cpu_t *c, unsigned pcid)
{
    if (pcid == c->mmu.pcid)
        cpu_flush_tc(c);
    if (c->tlb) {
        cpu_tlb_sync(c);
        tlb_flush_pcid(c->tlb, pcid, 1);
    }
    if (c->walker)
        mmu_flush_pcid(c->walker, (uint16_t)pcid);
}

/* One address under one PCID: INVLPG (invlpg = 1: every paging-structure-cache entry of the PCID)
 * or INVPCID type 0 (only those that would translate va). */
static void flush_va(cpu_t *c, uint64_t va, unsigned pcid, int invlpg)
{
    if (pcid == c->mmu.pcid)
        cpu_flush_tc(c);
    if (c->tlb) {
        cpu_tlb_sync(c);
        tlb_invlpg(c->tlb, va, pcid);
    }
    if (c->walker) {
        if (invlpg)
            mmu_invlpg(c->walker, va, (uint16_t)pcid);
        else
            mmu_invalidate_va(c->walker, va, (uint16_t)pcid);
    }
}

/* ---- control registers ------------------------------------------------------------------------ */

uint64_t cpu_read_cr(cpu_t *c, int n)
{
    cpu_sys_t *s = &c->sys;
    switch (n) {
    case 0: return s->cr0;
    case 2: return s->cr2;
    case 3: return (c->mmu.cr3 & PTE_ADDR_MASK) | (s->cr3 & ~PTE_ADDR_MASK);
    case 4: return s->cr4 | (c->mmu.levels == 5 ? CR4_LA57 : 0);
    case 8: return s->cr8;
    default: return 0;
    }
}

int cpu_write_cr(cpu_t *c, int n, uint64_t v)
{
    cpu_sys_t *s = &c->sys;
    switch (n) {
    case 0: {
        if (v >> 32)
            return -1;
        v = (v & CR0_DEFINED) | CR0_ET; /* other bits of 31:0 are ignored; ET is hardwired */
        /* Leaving paging or protected mode would leave 64-bit mode: #GP, as MOV CR0 does in 64-bit
         * mode for PG (and PE, which PG needs). */
        if (!(v & CR0_PG) || !(v & CR0_PE) || ((v & CR0_NW) && !(v & CR0_CD)))
            return -1;
        uint64_t old = s->cr0;
        s->cr0 = v;
        if ((old ^ v) & CR0_WP) {
            cpu_sys_sync_mmu(c);
            cpu_flush_tc(c);
        }
        return 0;
    }
    case 2:
        s->cr2 = v;
        return 0;
    case 3: {
        int noflush = 0;
        if (s->cr4 & CR4_PCIDE) {
            noflush = !!(v & CR3_NOFLUSH);
            v &= ~CR3_NOFLUSH; /* bit 63 is not written to CR3 */
        }
        if (v & CR3_RSVD)
            return -1;
        s->cr3 = v;
        c->mmu.cr3 = v & PTE_ADDR_MASK;
        cpu_sys_sync_mmu(c);
        if (!(s->cr4 & CR4_PCIDE)) {
            flush_all(c, 1);
        } else {
            cpu_flush_tc(c);
            if (c->tlb)
                cpu_tlb_sync(c); /* remembered entries belong to the old PCID */
            if (!noflush)
                flush_pcid(c, (unsigned)(v & CR3_PCID_MASK));
        }
        return 0;
    }
    case 4: {
        uint64_t cur = cpu_read_cr(c, 4);
        if ((v & ~CR4_VALID) || !(v & CR4_PAE) || ((v ^ cur) & CR4_LA57))
            return -1; /* unknown bits; clearing PAE or changing LA57 in long mode */
        if ((v & CR4_PCIDE) && !(cur & CR4_PCIDE) && (cpu_read_cr(c, 3) & CR3_PCID_MASK))
            return -1; /* PCIDE may be set only with PCID 0 in CR3 */
        uint64_t old = s->cr4;
        s->cr4 = v & ~CR4_LA57;
        cpu_sys_sync_mmu(c);
        if (((old ^ v) & CR4_PGE) || ((old & CR4_PCIDE) && !(v & CR4_PCIDE)))
            flush_all(c, 0);
        return 0;
    }
    case 8:
        if (v & ~0xfull)
            return -1;
        s->cr8 = v;
        return 0;
    default:
        return -1;
    }
}

/* ---- MSRs ------------------------------------------------------------------------------------- */

uint64_t cpu_tsc(cpu_t *c)
{
    machine_t *m = c->m;
    if (m->fs) {
        /* Full system: the CPU's virtual clock, or its cycles plus the time it spent idle. */
        if (!c->timing)
            return fs_cpu_clock(m, c) + c->sys.tsc_offset;
        return cpu_cycles_now(c) + m->fs->cpu[c->id].idle_total + c->sys.tsc_offset;
    }
    return (c->timing ? cpu_cycles_now(c) : cpu_insns_now(c)) + c->sys.tsc_offset;
}

int cpu_rdmsr(cpu_t *c, uint32_t msr, uint64_t *v)
{
    cpu_sys_t *s = &c->sys;
    switch (msr) {
    case MSR_TSC: *v = cpu_tsc(c); break;
    /* xAPIC at its default address, enabled, BSP on CPU 0 (the APIC itself is not modelled yet). */
    case MSR_APIC_BASE: *v = 0xfee00000ull | (1ull << 11) | (c->id == 0 ? 1ull << 8 : 0); break;
    case MSR_MISC_ENABLE: *v = s->misc_enable; break;
    case MSR_PAT: *v = s->pat; break;
    case MSR_EFER: *v = s->efer; break;
    case MSR_STAR: *v = s->star; break;
    case MSR_LSTAR: *v = s->lstar; break;
    case MSR_CSTAR: *v = s->cstar; break;
    case MSR_FMASK: *v = s->fmask; break;
    case MSR_FS_BASE: *v = c->fs_base; break;
    case MSR_GS_BASE: *v = c->gs_base; break;
    case MSR_KERNEL_GS_BASE: *v = s->kernel_gs_base; break;
    case MSR_TSC_AUX: *v = s->tsc_aux; break;
    default:
        if (msr >= 0x800 && msr <= 0x8ff)
            return apic_rdmsr(c, msr, v);
        return -1;
    }
    return 0;
}

int cpu_wrmsr(cpu_t *c, uint32_t msr, uint64_t v)
{
    cpu_sys_t *s = &c->sys;
    switch (msr) {
    case MSR_TSC:
        s->tsc_offset = v - (cpu_tsc(c) - s->tsc_offset);
        return 0;
    case MSR_APIC_BASE:
        return 0; /* reads stay fixed */
    case MSR_MISC_ENABLE:
        s->misc_enable = v;
        return 0;
    case MSR_PAT:
        for (int k = 0; k < 8; k++) {
            unsigned t = (unsigned)(v >> (8 * k)) & 0xff;
            if (t == 2 || t == 3 || t > 7)
                return -1; /* not a memory type */
        }
        s->pat = v;
        return 0;
    case MSR_EFER: {
        if ((v & ~EFER_VALID) || !(v & EFER_LME))
            return -1; /* reserved bits; clearing LME with paging on */
        uint64_t old = s->efer;
        s->efer = (v & ~EFER_LMA) | EFER_LMA; /* LMA is read-only */
        if ((old ^ s->efer) & EFER_NXE) {
            cpu_sys_sync_mmu(c);
            cpu_flush_tc(c);
        }
        return 0;
    }
    case MSR_STAR: s->star = v; return 0;
    case MSR_FMASK:
        if (v >> 32)
            return -1;
        s->fmask = v;
        return 0;
    case MSR_TSC_AUX:
        if (v >> 32)
            return -1;
        s->tsc_aux = v;
        return 0;
    case MSR_LSTAR: case MSR_CSTAR: case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
        if (!canonical(c, v))
            return -1;
        if (msr == MSR_LSTAR) s->lstar = v;
        else if (msr == MSR_CSTAR) s->cstar = v;
        else if (msr == MSR_FS_BASE) c->fs_base = v;
        else if (msr == MSR_GS_BASE) c->gs_base = v;
        else s->kernel_gs_base = v;
        return 0;
    default:
        if (msr >= 0x800 && msr <= 0x8ff)
            return apic_wrmsr(c, msr, v);
        return -1;
    }
}

/* ---- implicit supervisor accesses and descriptors ---------------------------------------------- */

void priv_sys_read(cpu_t *c, uint64_t va, void *buf, size_t n)
{
    c->mmu.user = 0;
    mem_read_buf(c, va, buf, n);
    c->mmu.user = c->sys.cpl == 3;
}

void priv_sys_write(cpu_t *c, uint64_t va, const void *buf, size_t n)
{
    c->mmu.user = 0;
    mem_write_buf(c, va, buf, n);
    c->mmu.user = c->sys.cpl == 3;
}

uint64_t priv_read_desc(cpu_t *c, uint16_t sel, uint32_t ext)
{
    if ((sel & 4) || (uint32_t)(sel | 7u) > c->sys.gdtr.limit)
        cpu_fault(c, X86_GP, (sel & 0xfffcu) | ext, 0);
    uint64_t d;
    priv_sys_read(c, c->sys.gdtr.base + (sel & ~7u), &d, 8);
    return d;
}

/* ---- control-register, debug-register and MSR instructions ------------------------------------- */

void h_mov_from_cr(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    c->r[i->rm] = cpu_read_cr(c, i->reg);
}

void h_mov_to_cr(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    if (cpu_write_cr(c, i->reg, c->r[i->rm]) < 0)
        cpu_fault(c, X86_GP, 0, 0);
}

/* DR4 and DR5 are DR6 and DR7 (CR4.DE is not supported). */
static int dr_index(int n) { return n == 4 ? 6 : n == 5 ? 7 : n; }

void h_mov_from_dr(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    c->r[i->rm] = c->sys.dr[dr_index(i->reg)];
}

void h_mov_to_dr(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    int n = dr_index(i->reg);
    uint64_t v = c->r[i->rm];
    if (n >= 6 && (v >> 32))
        cpu_fault(c, X86_GP, 0, 0);
    if (n == 6) v = (v & 0xe00full) | DR6_FIXED;   /* B0-B3, BD, BS, BT */
    if (n == 7) v = (v & ~0xd000ull) | DR7_FIXED;  /* bits 12, 14, 15 read as 0, 10 as 1 */
    c->sys.dr[n] = v;
}

void h_rdmsr(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    uint64_t v;
    if (cpu_rdmsr(c, (uint32_t)c->r[R_RCX], &v) < 0)
        cpu_fault(c, X86_GP, 0, 0);
    c->r[R_RAX] = (uint32_t)v;
    c->r[R_RDX] = v >> 32;
}

void h_wrmsr(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    uint64_t v = (uint32_t)c->r[R_RAX] | (c->r[R_RDX] << 32);
    if (cpu_wrmsr(c, (uint32_t)c->r[R_RCX], v) < 0)
        cpu_fault(c, X86_GP, 0, 0);
}

/* rdtsc, rdtscp: #GP(0) above CPL 0 with CR4.TSD. */
void h_rdtsc(cpu_t *c, const insn_t *i)
{
    (void)i;
    if (UNLIKELY((c->sys.cr4 & CR4_TSD) && c->sys.cpl != 0))
        cpu_fault(c, X86_GP, 0, 0);
    uint64_t t = cpu_tsc(c);
    c->r[R_RAX] = (uint32_t)t;
    c->r[R_RDX] = t >> 32;
}

void h_rdtscp(cpu_t *c, const insn_t *i)
{
    h_rdtsc(c, i);
    c->r[R_RCX] = (uint32_t)c->sys.tsc_aux;
}

void h_clts(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    c->sys.cr0 &= ~CR0_TS;
}

/* wbinvd, invd: there are no caches to write back or drop (yet). */
void h_wbinvd(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
}

/* ---- descriptor tables ------------------------------------------------------------------------ */

/* 0F 01 /0 /1: sgdt, sidt (not privileged: CR4.UMIP is not supported). i->cc: 0 GDTR, 1 IDTR. */
void h_sdt(cpu_t *c, const insn_t *i)
{
    const cpu_dtr_t *r = i->cc ? &c->sys.idtr : &c->sys.gdtr;
    uint8_t b[10];
    memcpy(b, &r->limit, 2);
    memcpy(b + 2, &r->base, 8);
    mem_write_buf(c, insn_ea(c, i), b, sizeof(b));
}

/* 0F 01 /2 /3: lgdt, lidt (a 2-byte limit and an 8-byte base in 64-bit mode). */
void h_ldt_reg(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    uint8_t b[10];
    mem_read_buf(c, insn_ea(c, i), b, sizeof(b));
    cpu_dtr_t *r = i->cc ? &c->sys.idtr : &c->sys.gdtr;
    memcpy(&r->limit, b, 2);
    memcpy(&r->base, b + 2, 8);
}

/* 0F 01 /4: smsw (the low 16 bits of CR0 to memory, CR0 to a register). */
void h_smsw(cpu_t *c, const insn_t *i)
{
    if (i->flags & INSN_MEM)
        mem_wr16(c, insn_ea(c, i), (uint16_t)c->sys.cr0);
    else
        wrr(c, i->rm, i->osz == 2 ? 1 : i->osz == 4 ? 2 : 3, c->sys.cr0);
}

/* 0F 01 /6: lmsw (PE, MP, EM, TS; PE cannot be cleared). */
void h_lmsw(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    uint64_t v = (i->flags & INSN_MEM) ? mem_rd16(c, insn_ea(c, i)) : (uint16_t)c->r[i->rm];
    c->sys.cr0 = (c->sys.cr0 & ~0xeull) | (v & 0xf) | (c->sys.cr0 & CR0_PE);
}

/* 0F 00 /0 /1: sldt, str (to a register: zero-extended to the operand size; to memory: 16 bits). */
void h_sldt_str(cpu_t *c, const insn_t *i)
{
    uint16_t v = i->cc ? c->sys.tr : c->sys.ldtr;
    if (i->flags & INSN_MEM)
        mem_wr16(c, insn_ea(c, i), v);
    else if (i->osz == 2)
        wrr(c, i->rm, 1, v);
    else
        c->r[i->rm] = v;
}

static uint16_t src16(cpu_t *c, const insn_t *i)
{
    return (i->flags & INSN_MEM) ? mem_rd16(c, insn_ea(c, i)) : (uint16_t)c->r[i->rm];
}

/* 0F 00 /2: lldt. LDTs are not modelled: only a null selector is accepted (#GP otherwise). */
void h_lldt(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    uint16_t sel = src16(c, i);
    if (sel & 0xfffc)
        cpu_fault(c, X86_GP, sel & 0xfffcu, 0);
    c->sys.ldtr = 0;
}

/* 0F 00 /3: ltr. The selector must name an available 64-bit TSS (type 9) in the GDT, a 16-byte
 * descriptor; it is marked busy. */
void h_ltr(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    uint16_t sel = src16(c, i);
    uint32_t err = sel & 0xfffcu;
    if (!err)
        cpu_fault(c, X86_GP, 0, 0);
    if ((sel & 4) || (uint32_t)(sel & ~7u) + 15 > c->sys.gdtr.limit)
        cpu_fault(c, X86_GP, err, 0);
    uint64_t d[2];
    uint64_t va = c->sys.gdtr.base + (sel & ~7u);
    priv_sys_read(c, va, d, 16);
    if (DESC_S(d[0]) || DESC_TYPE(d[0]) != 9 || ((d[1] >> 40) & 0x1f))
        cpu_fault(c, X86_GP, err, 0);
    if (!DESC_P(d[0]))
        cpu_fault(c, X86_NP, err, 0);
    uint64_t base = ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) | ((d[1] & 0xffffffff) << 32);
    uint32_t limit = (uint32_t)(d[0] & 0xffff) | (uint32_t)((d[0] >> 32) & 0xf0000);
    if ((d[0] >> 55) & 1)
        limit = (limit << 12) | 0xfff;
    if (!canonical(c, base))
        cpu_fault(c, X86_GP, err, 0);
    uint64_t busy = d[0] | (2ull << 40);
    priv_sys_write(c, va, &busy, 8);
    c->sys.tr = sel;
    c->sys.tr_base = base;
    c->sys.tr_limit = limit;
}

/* ---- TLB instructions ------------------------------------------------------------------------- */

void h_invlpg(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    uint64_t va = insn_ea(c, i);
    if (canonical(c, va)) /* a non-canonical address: no operation, no fault */
        flush_va(c, va, c->mmu.pcid, 1);
}

/* 66 0F 38 82: invpcid reg, m128. Descriptor: PCID in bits 11:0 (63:12 zero), linear address. */
void h_invpcid(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    uint64_t type = c->r[i->reg];
    if (type > 3)
        cpu_fault(c, X86_GP, 0, 0);
    uint64_t d[2];
    mem_read_buf(c, insn_ea(c, i), d, 16);
    unsigned pcid = (unsigned)(d[0] & 0xfff);
    if (d[0] >> 12)
        cpu_fault(c, X86_GP, 0, 0);
    if (type <= 1 && pcid && !(c->sys.cr4 & CR4_PCIDE))
        cpu_fault(c, X86_GP, 0, 0);
    switch (type) {
    case 0:
        if (!canonical(c, d[1]))
            cpu_fault(c, X86_GP, 0, 0);
        flush_va(c, d[1], pcid, 0);
        break;
    case 1: flush_pcid(c, pcid); break;
    case 2: flush_all(c, 0); break;
    default: flush_all(c, 1); break;
    }
}

/* ---- interrupt flag, halt, port I/O ----------------------------------------------------------- */

void h_cli(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    c->rflags &= ~(uint64_t)FL_IF;
}

/* sti: IF = 1; if it was 0, no interrupt is taken before the next instruction completes. */
void h_sti(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    if (!(c->rflags & FL_IF)) {
        c->rflags |= FL_IF;
        c->sys.shadow = 1;
        c->sys.shadow_end = cpu_insns_now(c) + 1;
    }
}

/* hlt: the CPU stops until an interrupt (emu/interrupt.c); the quantum ends here. */
void h_hlt(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    c->sys.halted = 1;
    c->sys.cnt.halts++;
    c->yield = 1;
    c->block_end = NULL;
}

static uint32_t io_read(cpu_t *c, uint16_t port, int size)
{
    machine_t *m = c->m;
    uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    c->sys.cnt.io_ins++;
    if (m->io_in)
        return m->io_in(m->io_arg, c, port, size) & mask;
    m->io_unclaimed++;
    return mask;
}

static void io_write(cpu_t *c, uint16_t port, int size, uint32_t v)
{
    machine_t *m = c->m;
    c->sys.cnt.io_outs++;
    if (m->io_out)
        m->io_out(m->io_arg, c, port, size, v);
    else
        m->io_unclaimed++;
}

/* Operand size of IN/OUT/INS/OUTS: 1, 2 or 4 (REX.W does not make 8). */
static int io_size(const insn_t *i) { return i->osz > 4 ? 4 : i->osz; }
static int size_log(int n) { return n == 1 ? 0 : n == 2 ? 1 : 2; }

/* in al/ax/eax, imm8 | dx (i->aux: 1 for dx). */
void h_in(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    int n = io_size(i);
    uint16_t port = i->aux ? (uint16_t)c->r[R_RDX] : (uint8_t)i->imm;
    wrr(c, R_RAX, size_log(n), io_read(c, port, n));
}

void h_out(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    int n = io_size(i);
    uint16_t port = i->aux ? (uint16_t)c->r[R_RDX] : (uint8_t)i->imm;
    io_write(c, port, n, (uint32_t)rdr(c, R_RAX, size_log(n)));
}

static uint64_t areg(const cpu_t *c, const insn_t *i, int r) { return i->asz == 4 ? (uint32_t)c->r[r] : c->r[r]; }
static void areg_set(cpu_t *c, const insn_t *i, int r, uint64_t v) { c->r[r] = i->asz == 4 ? (uint32_t)v : v; }

/* ins/outs, with rep: one element per iteration, registers updated as each completes. */
void h_ins(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    int n = io_size(i), rep = (i->flags & (INSN_REP | INSN_REPNE)) != 0;
    int64_t step = (c->rflags & FL_DF) ? -n : n;
    for (;;) {
        if (rep && areg(c, i, R_RCX) == 0)
            break;
        uint64_t di = areg(c, i, R_RDI);
        uint32_t v = io_read(c, (uint16_t)c->r[R_RDX], n);
        wrm(c, di, size_log(n), v);
        areg_set(c, i, R_RDI, di + (uint64_t)step);
        if (!rep)
            break;
        areg_set(c, i, R_RCX, areg(c, i, R_RCX) - 1);
    }
}

void h_outs(cpu_t *c, const insn_t *i)
{
    NEED_CPL0(c);
    int n = io_size(i), rep = (i->flags & (INSN_REP | INSN_REPNE)) != 0;
    int64_t step = (c->rflags & FL_DF) ? -n : n;
    uint64_t seg = i->seg ? (i->seg == SEG_FS ? c->fs_base : c->gs_base) : 0;
    for (;;) {
        if (rep && areg(c, i, R_RCX) == 0)
            break;
        uint64_t si = areg(c, i, R_RSI);
        uint32_t v = (uint32_t)rdm(c, si + seg, size_log(n));
        io_write(c, (uint16_t)c->r[R_RDX], n, v);
        areg_set(c, i, R_RSI, si + (uint64_t)step);
        if (!rep)
            break;
        areg_set(c, i, R_RCX, areg(c, i, R_RCX) - 1);
    }
}

/* ---- segment registers ------------------------------------------------------------------------ */

/* 8C: mov r/m, Sreg. */
void h_mov_from_sreg(cpu_t *c, const insn_t *i)
{
    uint16_t v = c->sys.sel[(i->reg & 7) % SREG_NR];
    if (i->flags & INSN_MEM) mem_wr16(c, insn_ea(c, i), v);
    else if (i->osz == 2) wrr(c, i->rm, 1, v);
    else c->r[i->rm] = v;
}

/* 8E: mov Sreg, r/m (ES, SS, DS, FS, GS; CS is #UD at decode). A plain selector move: no descriptor
 * is loaded and the FS/GS bases stay (they come from the MSRs and swapgs). SS: a null selector
 * only below CPL 3, else RPL must equal CPL; loading SS blocks interrupts for one instruction. */
void h_mov_to_sreg(cpu_t *c, const insn_t *i)
{
    uint16_t sel = src16(c, i);
    int n = i->reg & 7;
    if (n == SREG_SS) {
        if ((sel & 0xfffc) == 0 ? c->sys.cpl == 3 : (int)(sel & 3) != c->sys.cpl)
            cpu_fault(c, X86_GP, sel & 0xfffcu, 0);
        c->sys.shadow = 1;
        c->sys.shadow_end = cpu_insns_now(c) + 1;
    }
    c->sys.sel[n] = sel;
}

/* 0F A0 / A8: push fs / gs; 0F A1 / A9: pop fs / gs (i->cc: SREG_FS or SREG_GS). */
void h_push_sreg(cpu_t *c, const insn_t *i)
{
    uint16_t v = c->sys.sel[i->cc];
    if (i->osz == 2) {
        uint64_t sp = c->r[R_RSP] - 2;
        mem_wr16(c, sp, v);
        c->r[R_RSP] = sp;
    } else {
        push64(c, v);
    }
}

void h_pop_sreg(cpu_t *c, const insn_t *i)
{
    uint16_t v;
    if (i->osz == 2) {
        v = mem_rd16(c, c->r[R_RSP]);
        c->r[R_RSP] += 2;
    } else {
        v = (uint16_t)pop64(c);
    }
    c->sys.sel[i->cc] = v;
}

void h_swapgs(cpu_t *c, const insn_t *i)
{
    (void)i;
    NEED_CPL0(c);
    uint64_t t = c->gs_base;
    c->gs_base = c->sys.kernel_gs_base;
    c->sys.kernel_gs_base = t;
}

/* ---- privilege changes: syscall, sysret, iret, far return ------------------------------------- */

void priv_syscall(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    if (!(s->efer & EFER_SCE))
        cpu_ud(c);
    uint64_t fl = cpu_get_rflags(c) & ~(uint64_t)FL_RF;
    c->r[R_RCX] = c->rip;
    c->r[R_R11] = fl;
    c->st.syscalls++;
    uint16_t cs = (uint16_t)(s->star >> 32) & 0xfffc;
    s->sel[SREG_CS] = cs;
    s->sel[SREG_SS] = (uint16_t)(cs + 8);
    cpu_set_rflags(c, fl & ~s->fmask);
    cpu_set_cpl(c, 0);
    c->rip = s->lstar;
}

/* 0F 07: sysret (REX.W: to 64-bit code). The SDM's order: #UD without EFER.SCE, then #GP(0)
 * unless CPL 0. A sysret without REX.W returns to compatibility mode, which is not modelled: #UD. */
void h_sysret(cpu_t *c, const insn_t *i)
{
    cpu_sys_t *s = &c->sys;
    if (!(s->efer & EFER_SCE))
        cpu_ud(c);
    NEED_CPL0(c);
    if (i->osz != 8)
        cpu_ud(c);
    if (!canonical(c, c->r[R_RCX]))
        cpu_fault(c, X86_GP, 0, 0);
    uint16_t base = (uint16_t)(s->star >> 48);
    s->sel[SREG_CS] = (uint16_t)((base + 16) | 3);
    s->sel[SREG_SS] = (uint16_t)((base + 8) | 3);
    cpu_set_rflags(c, (c->r[R_R11] & 0x3c7fd7ull) | 2);
    cpu_set_cpl(c, 3);
    c->rip = c->r[R_RCX];
}

/* The checks of a far return (iret, lret) to code selector cs with RPL rpl >= CPL: a present
 * 64-bit code segment whose DPL is RPL (or <= RPL when conforming). Compatibility mode (L = 0) is
 * not modelled: #GP. */
static void check_return_cs(cpu_t *c, uint16_t cs)
{
    uint32_t err = cs & 0xfffcu;
    int rpl = cs & 3;
    if (!err)
        cpu_fault(c, X86_GP, 0, 0);
    if (rpl < c->sys.cpl)
        cpu_fault(c, X86_GP, err, 0);
    uint64_t d = priv_read_desc(c, cs, 0);
    if (!DESC_CODE(d) || (DESC_CONFORMING(d) ? DESC_DPL(d) > rpl : DESC_DPL(d) != rpl))
        cpu_fault(c, X86_GP, err, 0);
    if (!DESC_P(d))
        cpu_fault(c, X86_NP, err, 0);
    if (!DESC_L(d) || DESC_DB(d))
        cpu_fault(c, X86_GP, err, 0);
}

/* The stack selector of a return to privilege rpl: null only below CPL 3 (64-bit mode), else a
 * present writable data segment with RPL = DPL = rpl. */
static void check_return_ss(cpu_t *c, uint16_t ss, int rpl)
{
    uint32_t err = ss & 0xfffcu;
    if (!err) {
        if (rpl == 3)
            cpu_fault(c, X86_GP, 0, 0);
        return;
    }
    if ((ss & 3) != rpl)
        cpu_fault(c, X86_GP, err, 0);
    uint64_t d = priv_read_desc(c, ss, 0);
    if (!DESC_WDATA(d) || DESC_DPL(d) != rpl)
        cpu_fault(c, X86_GP, err, 0);
    if (!DESC_P(d))
        cpu_fault(c, X86_SS, err, 0);
}

static uint64_t pop_sized(cpu_t *c, uint64_t *sp, int n)
{
    uint64_t v = rdm(c, *sp, n == 2 ? 1 : n == 4 ? 2 : 3);
    *sp += (uint64_t)n;
    return v;
}

/* iret (CF; REX.W: iretq). Full-system mode only (SE mode: #UD, as before). Pops RIP, CS, RFLAGS,
 * RSP, SS (64-bit mode always pops the stack), checks the selectors, returns to CPL = CS.RPL. */
void h_iret(cpu_t *c, const insn_t *i)
{
    cpu_sys_t *s = &c->sys;
    if (c->m->mode == EMU_MODE_SE)
        cpu_ud(c);
    if (c->rflags & FL_NT)
        cpu_fault(c, X86_GP, 0, 0); /* a task return: no tasks in IA-32e mode */
    int n = i->osz;
    uint64_t sp = c->r[R_RSP];
    uint64_t rip = pop_sized(c, &sp, n);
    uint16_t cs = (uint16_t)pop_sized(c, &sp, n);
    uint64_t fl = pop_sized(c, &sp, n);
    uint64_t rsp = pop_sized(c, &sp, n);
    uint16_t ss = (uint16_t)pop_sized(c, &sp, n);
    int rpl = cs & 3;
    check_return_cs(c, cs);
    check_return_ss(c, ss, rpl);
    if (!canonical(c, rip))
        cpu_fault(c, X86_GP, 0, 0);
    uint64_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
    if (s->cpl == 0)
        mask |= FL_IF | FL_IOPL;
    else if (s->cpl <= (int)((c->rflags & FL_IOPL) >> 12))
        mask |= FL_IF;
    if (n == 2)
        mask &= 0xffff;
    cpu_set_rflags(c, (cpu_get_rflags(c) & ~mask) | (fl & mask));
    c->r[R_RSP] = rsp;
    s->sel[SREG_SS] = ss;
    s->sel[SREG_CS] = cs;
    cpu_set_cpl(c, rpl);
    c->rip = rip;
}

/* lret [imm16] (CB, CA; REX.W: 64-bit pops). Full-system mode only. Same privilege: pops RIP and
 * CS; to an outer privilege also RSP and SS. */
void h_lret(cpu_t *c, const insn_t *i)
{
    cpu_sys_t *s = &c->sys;
    if (c->m->mode == EMU_MODE_SE)
        cpu_ud(c);
    int n = i->osz;
    uint64_t sp = c->r[R_RSP];
    uint64_t rip = pop_sized(c, &sp, n);
    uint16_t cs = (uint16_t)pop_sized(c, &sp, n);
    int rpl = cs & 3;
    uint16_t ss = s->sel[SREG_SS];
    check_return_cs(c, cs);
    sp += i->imm & 0xffff;
    if (rpl != s->cpl) {
        uint64_t rsp = pop_sized(c, &sp, n);
        ss = (uint16_t)pop_sized(c, &sp, n);
        check_return_ss(c, ss, rpl);
        sp = rsp + (i->imm & 0xffff);
    }
    if (!canonical(c, rip))
        cpu_fault(c, X86_GP, 0, 0);
    c->r[R_RSP] = sp;
    s->sel[SREG_SS] = ss;
    s->sel[SREG_CS] = cs;
    cpu_set_cpl(c, rpl);
    c->rip = rip;
}

/* ---- for tools: which handlers are privileged ------------------------------------------------- */

int insn_fn_privileged(insn_fn fn)
{
    static const insn_fn priv[] = {
        h_mov_from_cr, h_mov_to_cr, h_mov_from_dr, h_mov_to_dr, h_rdmsr, h_wrmsr, h_clts, h_wbinvd,
        h_ldt_reg, h_lmsw, h_lldt, h_ltr, h_invlpg, h_invpcid, h_cli, h_sti, h_hlt, h_in, h_out,
        h_ins, h_outs, h_swapgs, h_sysret, h_gp0,
    };
    for (size_t k = 0; k < sizeof(priv) / sizeof(priv[0]); k++)
        if (fn == priv[k])
            return 1;
    return 0;
}
