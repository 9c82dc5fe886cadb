/* exec_ctrl: control transfers (jcc, jmp, call, ret, loop, jrcxz), syscall, software interrupts,
 * and the system-information instructions CPUID and RDTSC.
 *
 * Handlers run with c->rip already at the next instruction (emu/cpu.h), so a relative branch
 * adds its displacement to c->rip and a call pushes c->rip.
 */
#include "emu/exec.h"
#include "emu/machine.h"
#include "emu/se.h"

static int full_system(const cpu_t *c) { return c->m->mode != EMU_MODE_SE; }

/* ---- branches ------------------------------------------------------------------------------- */

#define JCC_DEF(cc) \
    static void jcc_##cc(cpu_t *c, const insn_t *i) { if (flags_cond(c, cc)) c->rip += i->imm; }
JCC_DEF(0) JCC_DEF(1) JCC_DEF(2) JCC_DEF(3) JCC_DEF(4) JCC_DEF(5) JCC_DEF(6) JCC_DEF(7)
JCC_DEF(8) JCC_DEF(9) JCC_DEF(10) JCC_DEF(11) JCC_DEF(12) JCC_DEF(13) JCC_DEF(14) JCC_DEF(15)
const insn_fn h_jcc[16] = {jcc_0, jcc_1, jcc_2, jcc_3, jcc_4, jcc_5, jcc_6, jcc_7,
                           jcc_8, jcc_9, jcc_10, jcc_11, jcc_12, jcc_13, jcc_14, jcc_15};

void h_jmp_rel(cpu_t *c, const insn_t *i) { c->rip += i->imm; }
void h_jmp_r(cpu_t *c, const insn_t *i) { c->rip = c->r[i->rm]; }
void h_jmp_m(cpu_t *c, const insn_t *i) { c->rip = mem_rd64(c, insn_ea(c, i)); }

void h_call_rel(cpu_t *c, const insn_t *i)
{
    push64(c, c->rip);
    c->rip += i->imm;
}
void h_call_r(cpu_t *c, const insn_t *i)
{
    uint64_t t = c->r[i->rm];
    push64(c, c->rip);
    c->rip = t;
}
void h_call_m(cpu_t *c, const insn_t *i)
{
    uint64_t t = mem_rd64(c, insn_ea(c, i));
    push64(c, c->rip);
    c->rip = t;
}

void h_ret(cpu_t *c, const insn_t *i)
{
    (void)i;
    c->rip = pop64(c);
}
void h_ret_imm(cpu_t *c, const insn_t *i)
{
    uint64_t t = mem_rd64(c, c->r[R_RSP]);
    c->r[R_RSP] += 8 + (i->imm & 0xffff);
    c->rip = t;
}

/* loopne (cc 0), loope (1), loop (2), jrcxz (3). The 67 prefix selects ecx. */
void h_loop(cpu_t *c, const insn_t *i)
{
    uint64_t n = c->r[R_RCX];
    if (i->asz == 4) n = (uint32_t)n;
    int take;
    if (i->cc == 3) {
        take = n == 0;
    } else {
        n--;
        if (i->asz == 4) c->r[R_RCX] = (uint32_t)n;
        else c->r[R_RCX] = n;
        take = i->asz == 4 ? (uint32_t)n != 0 : n != 0;
        if (i->cc == 0) take = take && !flags_cond(c, CC_E);
        else if (i->cc == 1) take = take && flags_cond(c, CC_E);
    }
    if (take) c->rip += i->imm;
}

/* ---- system ---------------------------------------------------------------------------------- */

/* syscall: rcx = return address, r11 = rflags, as the processor does; then the SE kernel. In
 * full-system mode: the real thing, to the kernel's LSTAR (emu/exec_priv.c). */
void h_syscall(cpu_t *c, const insn_t *i)
{
    (void)i;
    if (full_system(c)) {
        priv_syscall(c);
        return;
    }
    c->r[R_RCX] = c->rip;
    c->r[R_R11] = cpu_get_rflags(c);
    c->st.syscalls++;
    se_syscall(c);
}

/* int3, int1, int n. In full-system mode they go through the IDT (emu/interrupt.c: the gate's
 * DPL is checked for int3 and int n). In SE mode they do what Linux's IDT does: */
void h_int3(cpu_t *c, const insn_t *i)
{
    if (full_system(c))
        cpu_soft_interrupt(c, X86_BP, EV_SOFT, c->rip - i->len);
    cpu_trap(c, X86_BP);
}
void h_int1(cpu_t *c, const insn_t *i)
{
    if (full_system(c))
        cpu_soft_interrupt(c, X86_DB, EV_ICEBP, c->rip - i->len);
    cpu_trap(c, X86_DB);
}
/* int n: Linux's IDT gives user mode (DPL 3) only vectors 3 (int3) and 4 (into): they trap as
 * #BP and #OF; every other vector is #GP with the error code of an IDT reference (vector << 3 | 2),
 * which Linux turns into SIGSEGV. int $0x80, the 32-bit system call, is not emulated. */
void h_int(cpu_t *c, const insn_t *i)
{
    uint8_t v = (uint8_t)i->imm;
    if (full_system(c))
        cpu_soft_interrupt(c, v, EV_SOFT, c->rip - i->len);
    if (v == 3)
        cpu_trap(c, X86_BP);
    if (v == 4)
        cpu_trap(c, X86_OF);
    cpu_fault(c, X86_GP, (uint32_t)(v << 3 | 2), 0);
}

/* pause: a spin-wait hint; it ends the CPU's quantum (DESIGN.md section 4). */
void h_pause(cpu_t *c, const insn_t *i)
{
    (void)i;
    c->sys.paused = 1;
    c->yield = 1;
    c->block_end = NULL;
}

/* rdtsc and rdtscp are in exec_priv.c (the TSC counts cycles with timing on, else instructions). */

void h_ldmxcsr(cpu_t *c, const insn_t *i)
{
    uint32_t v = mem_rd32(c, insn_ea(c, i));
    if (v & 0xffff0000u) cpu_fault(c, X86_GP, 0, 0); /* reserved bits (MXCSR_MASK 0xffff) */
    c->mxcsr = v;
}
void h_stmxcsr(cpu_t *c, const insn_t *i) { mem_wr32(c, insn_ea(c, i), c->mxcsr); }

/* ---- CPUID ------------------------------------------------------------------------------------
 * What the CPU reports, and why: only what exists (docs/CPU.md).
 *   leaf 0         max basic leaf 7, vendor "GenuineIntel" (undefined flags and other
 *                  model-specific details follow Intel processors).
 *   leaf 1         family 6, model 0x3a, stepping 9.
 *                  EDX: FPU (x87), TSC (rdtsc, CR4.TSD), MSR (rdmsr/wrmsr), PAE, CX8 (cmpxchg8b),
 *                  PGE (global pages, CR4.PGE), CMOV, PAT (the PAT MSR; memory types have no
 *                  effect in an emulator), FXSR (fxsave/fxrstor), SSE, SSE2.
 *                  ECX: CX16 (cmpxchg16b), PCID (CR4.PCIDE), POPCNT.
 *                  SSE and SSE2 are part of the x86-64 baseline. Not advertised, and #UD or #GP:
 *                  DE, PSE, MCE, APIC (no local APIC is modelled yet), MTRR, SEP (sysenter),
 *                  MMX, CLFSH, SSE3 and later, AVX, BMI1/2, ABM (so F3 0F BC/BD are bsf/bsr),
 *                  RDRAND, OSXSAVE (so xgetbv is #UD), FSGSBASE, SMEP, SMAP, UMIP.
 *   leaf 7         EBX: INVPCID; ECX: LA57 when the machine uses 5-level paging.
 *   0x80000000     max extended leaf 0x80000008.
 *   0x80000001     EDX: SYSCALL, NX, 1 GiB pages, RDTSCP, LM; ECX: LAHF/SAHF in 64-bit mode.
 *   0x80000008     physical and linear address sizes.
 *   other leaves   zeros.
 */
#define CPUID_1_EDX_FPU (1u << 0)
#define CPUID_1_EDX_TSC (1u << 4)
#define CPUID_1_EDX_MSR (1u << 5)
#define CPUID_1_EDX_PAE (1u << 6)
#define CPUID_1_EDX_CX8 (1u << 8)
#define CPUID_1_EDX_PGE (1u << 13)
#define CPUID_1_EDX_CMOV (1u << 15)
#define CPUID_1_EDX_PAT (1u << 16)
#define CPUID_1_EDX_FXSR (1u << 24)
#define CPUID_1_EDX_SSE (1u << 25)
#define CPUID_1_EDX_SSE2 (1u << 26)
#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_1_ECX_PCID (1u << 17)
#define CPUID_1_ECX_POPCNT (1u << 23)
#define CPUID_7_EBX_INVPCID (1u << 10)
#define CPUID_7_ECX_LA57 (1u << 16)
#define CPUID_81_EDX_SYSCALL (1u << 11)
#define CPUID_81_EDX_NX (1u << 20)
#define CPUID_81_EDX_PAGE1GB (1u << 26)
#define CPUID_81_EDX_RDTSCP (1u << 27)
#define CPUID_81_EDX_LM (1u << 29)
#define CPUID_81_ECX_LAHF (1u << 0)

void cpu_cpuid(const cpu_t *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)sub;
    out[0] = out[1] = out[2] = out[3] = 0;
    switch (leaf) {
    case 0:
        out[0] = 7;
        memcpy(&out[1], "Genu", 4); /* ebx */
        memcpy(&out[3], "ineI", 4); /* edx */
        memcpy(&out[2], "ntel", 4); /* ecx */
        break;
    case 1:
        out[0] = (6u << 8) | (0x3u << 16) | (0xau << 4) | 9u; /* family 6, model 0x3a, stepping 9 */
        out[1] = ((uint32_t)c->id << 24) | (1u << 16) | (8u << 8); /* APIC id, 1 logical, clflush 64 */
        out[2] = CPUID_1_ECX_CX16 | CPUID_1_ECX_PCID | CPUID_1_ECX_POPCNT;
        out[3] = CPUID_1_EDX_FPU | CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 |
                 CPUID_1_EDX_PGE | CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT | CPUID_1_EDX_FXSR | CPUID_1_EDX_SSE |
                 CPUID_1_EDX_SSE2;
        break;
    case 7:
        if (sub == 0) {
            out[1] = CPUID_7_EBX_INVPCID;
            if (c->mmu.levels == 5) out[2] = CPUID_7_ECX_LA57;
        }
        break;
    case 0x80000000u:
        out[0] = 0x80000008u;
        break;
    case 0x80000001u:
        out[2] = CPUID_81_ECX_LAHF;
        out[3] = CPUID_81_EDX_SYSCALL | CPUID_81_EDX_NX | CPUID_81_EDX_PAGE1GB | CPUID_81_EDX_RDTSCP |
                 CPUID_81_EDX_LM;
        break;
    case 0x80000008u:
        out[0] = 46u | ((c->mmu.levels == 5 ? 57u : 48u) << 8);
        break;
    default:
        break;
    }
}

void h_cpuid(cpu_t *c, const insn_t *i)
{
    (void)i;
    uint32_t o[4];
    cpu_cpuid(c, (uint32_t)c->r[R_RAX], (uint32_t)c->r[R_RCX], o);
    c->r[R_RAX] = o[0];
    c->r[R_RBX] = o[1];
    c->r[R_RCX] = o[2];
    c->r[R_RDX] = o[3];
}
