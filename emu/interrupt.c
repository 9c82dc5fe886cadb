/* interrupt: exception and interrupt delivery through the IDT in 64-bit mode (SDM vol. 3, 6.14),
 * software interrupts, external interrupts, HLT wake-up, and the triple fault.
 *
 * Delivery of one event (deliver_one):
 *   1. The IDT entry: vector * 16 + 15 must lie within IDTR.limit (#GP(vector * 8 + 2 + EXT)); the
 *      16-byte gate is read as an implicit supervisor access (it may #PF). It must be a 64-bit
 *      interrupt gate (type 14) or trap gate (type 15) (#GP(idt)); for INT n and INT3 its DPL must
 *      be >= CPL (#GP(idt)); it must be present (#NP(idt)).
 *   2. The target code segment: the gate's selector, read from the GDT: a present 64-bit code
 *      segment (L = 1, D = 0) with DPL <= CPL (#GP(sel) / #NP(sel)). The new CPL is its DPL
 *      (unchanged for a conforming segment).
 *   3. The stack: with a gate IST index n != 0, TSS.IST[n]; else, on a privilege change, TSS.RSP[new
 *      CPL] and SS = a null selector with RPL = new CPL (#TS(TR) when the TSS is too short); else the
 *      current RSP. It is aligned down to 16 bytes, then SS, RSP, RFLAGS, CS, RIP and, for #DF, #TS,
 *      #NP, #SS, #GP, #PF and #AC raised by the processor (never for INT n or an external interrupt),
 *      the error code are pushed, with supervisor rights when the new CPL is 0.
 *   4. Only then is any state changed: RSP, SS, CS (CPL), RIP = the gate's offset, RFLAGS with TF,
 *      NT, RF cleared, and IF cleared through an interrupt gate. CR2 is loaded when a #PF is
 *      detected, before its delivery starts.
 *   EXT (bit 0 of those error codes) is 1 unless the event being delivered is INT n or INT3.
 *
 * A fault during delivery (deliver) is classified as SDM vol. 3 Table 6-5 says: benign (every
 * vector but 0, 8, 10-14), contributory (#DE, #TS, #NP, #SS, #GP) or page fault. Contributory after
 * contributory, or contributory or #PF after #PF, becomes a double fault (#DF, error code 0); a
 * fault while delivering #DF is a triple fault: the CPU shuts down and the run ends with a report
 * and exit status 125. Any other combination is handled serially: the new fault is delivered
 * instead (a fault while delivering INT n is a fault of that instruction: RIP goes back to it).
 *
 * Faults during delivery are caught by a setjmp of its own around the attempt (cpu_fault longjmps
 * to c->fault_jmp, which is saved and restored around it), so delivery works the same from the run
 * loop's exception path, from a block boundary (external interrupts) and from cpu_run's entry
 * (a halted CPU waking up).
 */
#include <setjmp.h>
#include <stdio.h>

#include "emu/exec.h"
#include "emu/machine.h"

static int has_error_code(int v) { return v == X86_DF || (v >= X86_TS && v <= X86_PF) || v == X86_AC; }

enum { CL_BENIGN, CL_CONTRIB, CL_PF, CL_DF };

static int xclass(const cpu_event_t *e)
{
    if (e->kind != EV_EXCEPTION)
        return CL_BENIGN;
    switch (e->vector) {
    case X86_DE: case X86_TS: case X86_NP: case X86_SS: case X86_GP: return CL_CONTRIB;
    case X86_PF: return CL_PF;
    case X86_DF: return CL_DF;
    default: return CL_BENIGN;
    }
}

static const char *const vec_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor-segment-overrun", "#TS",
    "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static void event_name(const cpu_event_t *e, char *buf, size_t len)
{
    const char *n = e->vector < 32 && vec_names[e->vector] ? vec_names[e->vector] : NULL;
    char v[32];
    if (!n) {
        snprintf(v, sizeof(v), "vector %d", e->vector);
        n = v;
    }
    switch (e->kind) {
    case EV_SOFT: snprintf(buf, len, "int 0x%x", e->vector); break;
    case EV_ICEBP: snprintf(buf, len, "int1"); break;
    case EV_EXTERNAL: snprintf(buf, len, "interrupt %d", e->vector); break;
    default:
        if (e->vector == X86_PF)
            snprintf(buf, len, "#PF(error 0x%x, address 0x%llx)", e->error, (unsigned long long)e->cr2);
        else if (has_error_code(e->vector))
            snprintf(buf, len, "%s(0x%x)", n, e->error);
        else
            snprintf(buf, len, "%s", n);
        break;
    }
}

static void chain_add(cpu_sys_t *s, const cpu_event_t *e)
{
    if (s->xchain_n < CPU_XCHAIN)
        s->xchain[s->xchain_n] = *e;
    s->xchain_n++;
}

/* Shutdown: report and end the run (status 125). fault_vector/error/addr name the first event of
 * the chain. */
static void triple_fault(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    machine_t *m = c->m;
    s->shutdown = 1;
    c->fault_vector = s->xchain[0].vector;
    c->fault_error = s->xchain[0].error;
    c->fault_addr = s->xchain[0].cr2;
    char chain[512] = "";
    int n = s->xchain_n < CPU_XCHAIN ? s->xchain_n : CPU_XCHAIN;
    for (int k = 0; k < n; k++) {
        char e[96];
        event_name(&s->xchain[k], e, sizeof(e));
        size_t l = strlen(chain);
        snprintf(chain + l, sizeof(chain) - l, "%s%s", k ? " -> " : "", e);
    }
    emu_msg("triple fault on cpu%d: %s (while delivering #DF)", c->id, chain);
    uint64_t fl = cpu_get_rflags(c);
    char dis[160];
    machine_disasm(c, c->rip, dis, sizeof(dis));
    emu_msg("  rip %016llx  %s", (unsigned long long)c->rip, dis);
    static const char *const rn[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    for (int k = 0; k < 16; k += 4)
        emu_msg("  %-3s %016llx  %-3s %016llx  %-3s %016llx  %-3s %016llx", rn[k], (unsigned long long)c->r[k],
                rn[k + 1], (unsigned long long)c->r[k + 1], rn[k + 2], (unsigned long long)c->r[k + 2], rn[k + 3],
                (unsigned long long)c->r[k + 3]);
    emu_msg("  rflags %08llx  cpl %d  cs %04x  ss %04x  fs.base %llx  gs.base %llx", (unsigned long long)fl, s->cpl,
            s->sel[SREG_CS], s->sel[SREG_SS], (unsigned long long)c->fs_base, (unsigned long long)c->gs_base);
    emu_msg("  cr0 %08llx  cr2 %016llx  cr3 %016llx  cr4 %08llx  efer %llx", (unsigned long long)s->cr0,
            (unsigned long long)s->cr2, (unsigned long long)cpu_read_cr(c, 3), (unsigned long long)cpu_read_cr(c, 4),
            (unsigned long long)s->efer);
    emu_msg("  idtr %016llx/%04x  gdtr %016llx/%04x  tr %04x (base %llx, limit %x)", (unsigned long long)s->idtr.base,
            s->idtr.limit, (unsigned long long)s->gdtr.base, s->gdtr.limit, s->tr, (unsigned long long)s->tr_base,
            s->tr_limit);
    machine_fail(m, "cpu%d shut down (triple fault); the run ends", c->id);
}

/* One attempt at delivering e; faults raise (cpu_fault), and nothing changes before the end. */
static void deliver_one(cpu_t *c, const cpu_event_t *e)
{
    cpu_sys_t *s = &c->sys;
    int v = e->vector;
    uint32_t ext = e->kind == EV_SOFT ? 0 : 1;
    uint32_t idt_err = (uint32_t)v * 8 + 2 + ext;

    if ((uint32_t)v * 16 + 15 > s->idtr.limit)
        cpu_fault(c, X86_GP, idt_err, 0);
    uint64_t g[2];
    priv_sys_read(c, s->idtr.base + (uint64_t)v * 16, g, 16);
    unsigned type = DESC_TYPE(g[0]);
    if (DESC_S(g[0]) || (type != 14 && type != 15))
        cpu_fault(c, X86_GP, idt_err, 0);
    if (e->kind == EV_SOFT && DESC_DPL(g[0]) < s->cpl)
        cpu_fault(c, X86_GP, idt_err, 0);
    if (!DESC_P(g[0]))
        cpu_fault(c, X86_NP, idt_err, 0);
    uint16_t sel = (uint16_t)(g[0] >> 16);
    uint64_t target = (g[0] & 0xffff) | ((g[0] >> 32) & 0xffff0000ull) | (g[1] << 32);
    unsigned ist = (unsigned)(g[0] >> 32) & 7;

    uint32_t sel_err = (sel & 0xfffcu) | ext;
    if (!(sel & 0xfffc))
        cpu_fault(c, X86_GP, ext, 0);
    uint64_t d = priv_read_desc(c, sel, ext);
    if (!DESC_CODE(d) || DESC_DPL(d) > s->cpl)
        cpu_fault(c, X86_GP, sel_err, 0);
    if (!DESC_P(d))
        cpu_fault(c, X86_NP, sel_err, 0);
    if (!DESC_L(d) || DESC_DB(d))
        cpu_fault(c, X86_GP, sel_err, 0);
    int cpl = DESC_CONFORMING(d) ? s->cpl : DESC_DPL(d);

    uint64_t rsp = c->r[R_RSP];
    uint16_t ss = s->sel[SREG_SS];
    if (ist || cpl < s->cpl) {
        uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * (uint32_t)cpl;
        if (!(s->tr & 0xfffc) || off + 7 > s->tr_limit)
            cpu_fault(c, X86_TS, (s->tr & 0xfffcu) | ext, 0);
        priv_sys_read(c, s->tr_base + off, &rsp, 8);
        if (cpl < s->cpl)
            ss = (uint16_t)cpl;
    }
    if (!mmu_canonical(rsp, c->mmu.levels))
        cpu_fault(c, X86_SS, ext, 0);
    if (!mmu_canonical(target, c->mmu.levels))
        cpu_fault(c, X86_GP, ext, 0);
    rsp &= ~15ull;

    uint64_t fl = cpu_get_rflags(c);
    uint64_t frame[6];
    int n = 0;
    if (e->kind == EV_EXCEPTION && has_error_code(v))
        frame[n++] = e->error;
    frame[n++] = c->rip;
    frame[n++] = s->sel[SREG_CS];
    frame[n++] = fl;
    frame[n++] = c->r[R_RSP];
    frame[n++] = s->sel[SREG_SS];
    rsp -= 8 * (uint64_t)n;
    if (cpl < 3) {
        priv_sys_write(c, rsp, frame, 8 * (size_t)n);
    } else {
        mem_write_buf(c, rsp, frame, 8 * (size_t)n);
    }

    /* Commit. */
    c->r[R_RSP] = rsp;
    s->sel[SREG_SS] = ss;
    s->sel[SREG_CS] = (uint16_t)((sel & ~3u) | (unsigned)cpl);
    fl &= ~(uint64_t)(FL_TF | FL_NT | FL_RF | FL_VM);
    if (type == 14)
        fl &= ~(uint64_t)FL_IF;
    cpu_set_rflags(c, fl);
    cpu_set_cpl(c, cpl);
    c->rip = target;
    s->halted = 0;
    s->shadow = 0;
    if (e->kind == EV_EXTERNAL)
        s->cnt.interrupts++;
    else
        s->cnt.exceptions++;
}

/* Deliver ev, handling faults during delivery (see the top of the file). */
static void deliver(cpu_t *c, const cpu_event_t *ev)
{
    cpu_sys_t *s = &c->sys;
    jmp_buf saved;
    memcpy(saved, c->fault_jmp, sizeof(jmp_buf));
    const int saved_in_run = c->in_run;
    const int entry_cpl = s->cpl;
    s->dv = *ev;
    s->xchain_n = 0;
    chain_add(s, ev);
    if (ev->kind == EV_EXCEPTION && ev->vector == X86_PF) {
        s->cr2 = ev->cr2;
        c->st.page_faults++;
    }
    c->in_run = 1;
    if (setjmp(c->fault_jmp)) {
        /* A fault while delivering s->dv. */
        c->mmu.user = s->cpl == 3;
        cpu_event_t f = {.vector = c->fault_vector, .kind = EV_EXCEPTION, .error = c->fault_error, .cr2 = c->fault_addr};
        int first = xclass(&s->dv), second = xclass(&f);
        chain_add(s, &f);
        if (f.vector == X86_PF) {
            s->cr2 = f.cr2;
            c->st.page_faults++;
        }
        if (first == CL_DF || s->xchain_n >= CPU_XCHAIN) {
            triple_fault(c);
            goto out;
        }
        if ((first == CL_CONTRIB && second == CL_CONTRIB) || (first == CL_PF && second != CL_BENIGN)) {
            f = (cpu_event_t){.vector = X86_DF, .kind = EV_EXCEPTION, .error = 0};
            chain_add(s, &f);
        } else if (s->dv.kind == EV_SOFT || s->dv.kind == EV_ICEBP) {
            c->rip = s->dv.insn_rip; /* the INT instruction faulted */
        }
        s->dv = f;
    }
    deliver_one(c, &s->dv);
out:
    if (entry_cpl == 3 && s->cpl == 3)
        cpu_flush_tc(c); /* supervisor accesses were made through the caches at CPL 3 */
    c->in_run = saved_in_run;
    memcpy(c->fault_jmp, saved, sizeof(jmp_buf));
}

void cpu_deliver_exception(cpu_t *c, int vector, uint32_t error, uint64_t addr)
{
    cpu_sys_t *s = &c->sys;
    cpu_event_t ev = {.vector = vector, .kind = EV_EXCEPTION, .error = error, .cr2 = addr};
    if (s->soft_pending) {
        ev = s->soft_ev;
        s->soft_pending = 0;
    }
    deliver(c, &ev);
}

_Noreturn void cpu_soft_interrupt(cpu_t *c, int vector, enum cpu_event_kind kind, uint64_t insn_rip)
{
    c->sys.soft_pending = 1;
    c->sys.soft_ev = (cpu_event_t){.vector = vector, .kind = kind, .insn_rip = insn_rip};
    cpu_trap(c, vector);
}

int cpu_raise_interrupt(cpu_t *c, int vector)
{
    if (vector < 32 || vector > 255)
        return -1;
    c->sys.irr[vector >> 6] |= 1ull << (vector & 63);
    c->intr_pending = 1;
    return 0;
}

int cpu_check_interrupts(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    if (!(c->rflags & FL_IF))
        return 0;
    if (s->shadow) {
        if (cpu_insns_now(c) == s->shadow_end)
            return 0;
        s->shadow = 0;
    }
    int v = -1;
    for (int k = 3; k >= 0 && v < 0; k--)
        if (s->irr[k])
            v = k * 64 + 63 - __builtin_clzll(s->irr[k]);
    if (v < 0) {
        c->intr_pending = 0;
        return 0;
    }
    if ((v >> 4) <= (int)(s->cr8 & 0xf))
        return 0; /* masked by the task priority */
    if (s->lapic_on && (v >> 4) <= cpu_isr_class(c))
        return 0; /* held until the interrupt in service of its class or above ends (EOI) */
    s->irr[v >> 6] &= ~(1ull << (v & 63));
    c->intr_pending = (s->irr[0] | s->irr[1] | s->irr[2] | s->irr[3]) != 0;
    cpu_event_t ev = {.vector = v, .kind = EV_EXTERNAL};
    deliver(c, &ev);
    /* In service from now on (unless delivery failed and the CPU shut down). */
    if (s->lapic_on && !s->shutdown)
        s->isr[v >> 6] |= 1ull << (v & 63);
    return 1;
}

int cpu_isr_class(const cpu_t *c)
{
    const cpu_sys_t *s = &c->sys;
    for (int k = 3; k >= 0; k--)
        if (s->isr[k])
            return (k * 64 + 63 - __builtin_clzll(s->isr[k])) >> 4;
    return -1;
}

void cpu_eoi(cpu_t *c)
{
    cpu_sys_t *s = &c->sys;
    for (int k = 3; k >= 0; k--)
        if (s->isr[k]) {
            s->isr[k] &= ~(1ull << (63 - __builtin_clzll(s->isr[k])));
            break;
        }
    /* A held interrupt may be deliverable now. */
    if (s->irr[0] | s->irr[1] | s->irr[2] | s->irr[3])
        c->intr_pending = 1;
}
