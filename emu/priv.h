/* priv: the privileged (system) state of an x86-64 CPU in 64-bit mode, and the interfaces of
 * emu/exec_priv.c and emu/interrupt.c: control registers, MSRs, descriptor-table registers, CPL,
 * exception and interrupt delivery through the IDT. Private to emu/. docs/CPU.md describes the
 * model (what each instruction does, what is not modelled).
 *
 * A CPU is always in IA-32e mode, 64-bit submode (EFER.LMA = 1, CS.L = 1): there are no real- or
 * protected-mode transitions and no compatibility mode. SE mode runs at CPL 3 with the state Linux
 * gives a process (cpu_sys_init); full-system mode starts at CPL 0 with paging on, as a boot loader
 * leaves a 64-bit kernel (cpu_sys_boot).
 *
 * Included by emu/cpu.h (cpu_t embeds cpu_sys_t), so it must not include it.
 */
#ifndef EMU_PRIV_H
#define EMU_PRIV_H

#include <stddef.h>
#include <stdint.h>

typedef struct cpu cpu_t;

/* CR0 (SDM vol. 3, 2.5). */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
/* CR4. */
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57 (1ull << 12)
#define CR4_PCIDE (1ull << 17)
/* CR3 with CR4.PCIDE = 1: bits 11:0 are the PCID; bit 63 of a MOV to CR3 asks not to flush. */
#define CR3_PCID_MASK 0xfffull
#define CR3_NOFLUSH (1ull << 63)
/* EFER (MSR 0xc0000080). */
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* RFLAGS system bits (the arithmetic ones and IF, TF, DF are in emu/cpu.h). */
#define FL_IOPL (3u << 12)
#define FL_NT (1u << 14)
#define FL_RF (1u << 16)
#define FL_VM (1u << 17)
#define FL_AC (1u << 18)

/* MSRs that exist (rdmsr/wrmsr of any other raise #GP). */
#define MSR_TSC 0x10u
#define MSR_APIC_BASE 0x1bu
#define MSR_MISC_ENABLE 0x1a0u
#define MSR_PAT 0x277u
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u

/* Exception vectors beyond those of emu/cpu.h. */
enum { X86_NMI = 2, X86_TS = 10, X86_NP = 11, X86_SS = 12 };

/* Segment registers, in the encoding order of ModRM.reg (mov Sreg). */
enum { SREG_ES, SREG_CS, SREG_SS, SREG_DS, SREG_FS, SREG_GS, SREG_NR };

/* What is being delivered through the IDT (emu/interrupt.c). */
enum cpu_event_kind {
    EV_EXCEPTION,   /* a fault, trap or abort the processor detected (error code by vector) */
    EV_SOFT,        /* INT n, INT3: gate DPL checked against CPL, no error code */
    EV_ICEBP,       /* INT1: a trap (#DB), no DPL check, no error code */
    EV_EXTERNAL,    /* an external interrupt (cpu_raise_interrupt): no error code */
};

typedef struct cpu_event {
    int vector;
    enum cpu_event_kind kind;
    uint32_t error;       /* EV_EXCEPTION: the error code, pushed when the vector has one */
    uint64_t cr2;         /* #PF: the faulting linear address (loaded into CR2) */
    uint64_t insn_rip;    /* EV_SOFT, EV_ICEBP: address of the INT instruction (a fault during
                             delivery is a fault of that instruction) */
} cpu_event_t;

/* Per-CPU counters of the system state (registered in full-system mode). */
#define CPU_SYS_COUNTERS(X)                                                                        \
    X(exceptions, "Exceptions delivered through the IDT (faults, traps, INT n)")                   \
    X(interrupts, "External interrupts delivered (timer, IPIs, devices)")                          \
    X(io_ins, "Port input operations (IN, INS elements)")                                          \
    X(io_outs, "Port output operations (OUT, OUTS elements)")                                      \
    X(timer_fires, "Local timer expirations (each requests the timer vector)")                    \
    X(ipis_sent, "Inter-processor interrupts sent (one per destination CPU)")                      \
    X(ipis_received, "Inter-processor interrupts requested on this CPU")                           \
    X(eois, "End-of-interrupt writes")                                                             \
    X(halts, "HLT instructions executed")                                                          \
    X(pauses, "PAUSE instructions that ended the CPU's quantum")                                   \
    X(idle_ticks, "Virtual-clock ticks this CPU spent halted, parked or yielded by PAUSE")

/* Descriptor-table register. */
typedef struct cpu_dtr {
    uint64_t base;
    uint16_t limit;
} cpu_dtr_t;

#define CPU_XCHAIN 8

/* The system state of one CPU (cpu_t.sys). The general registers, RIP, RFLAGS (IF, IOPL, ...),
 * FS.base and GS.base are in cpu_t itself (c->rflags, c->fs_base, c->gs_base). c->mmu mirrors
 * CPL, CR0.WP, CR4.PCIDE with the PCID and EFER.NXE (cpu_sys_sync_mmu) and holds CR3's address. */
typedef struct cpu_sys {
    int cpl;                  /* current privilege level: CS.RPL (0 or 3 in practice) */
    uint64_t cr0, cr2, cr4, efer;
    uint64_t cr3;             /* as written; its address bits live in c->mmu.cr3 (which SE mode
                                 sets directly), so read it with cpu_read_cr(c, 3) */
    uint64_t cr8;             /* TPR: bits 3:0 mask interrupt priority classes <= TPR */
    uint64_t dr[8];           /* DR0-DR3, DR6, DR7 (DR4/DR5 alias DR6/DR7); stored only */
    cpu_dtr_t gdtr, idtr;
    uint16_t ldtr;            /* always 0: LDTs are not modelled (lldt accepts a null selector) */
    uint16_t tr;              /* task register selector; tr_base/tr_limit from its TSS descriptor */
    uint64_t tr_base;
    uint32_t tr_limit;
    uint16_t sel[SREG_NR];    /* selectors; only CS.RPL (= CPL) and SS matter */
    /* MSRs. */
    uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux, misc_enable, pat;
    uint64_t tsc_offset;      /* TSC = cycles (timing on) or instructions retired, + tsc_offset */

    /* Interrupts. irr: external interrupts requested and not yet delivered, one bit per vector
     * (cpu_raise_interrupt); the highest vector is delivered first, when RFLAGS.IF = 1, outside an
     * interrupt shadow and when its priority class (vector >> 4) is above CR8. cpu_t.intr_pending
     * is nonzero while any bit is set (the run loop tests it at block boundaries). */
    uint64_t irr[4];
    uint64_t shadow_end;      /* STI / MOV SS shadow: no interrupt while instructions == this */
    int shadow;               /* a shadow was set (shadow_end meaningful) */
    int halted;               /* HLT executed: no instruction runs until an interrupt is delivered */

    /* Delivery (emu/interrupt.c): the event being delivered and the chain of exceptions that led
     * to it, reported on a triple fault. */
    int soft_pending;         /* the exception being raised is an INT n / INT3 / INT1 (h_int...) */
    cpu_event_t soft_ev;
    cpu_event_t dv;
    int xchain_n;
    cpu_event_t xchain[CPU_XCHAIN];
    int shutdown;             /* a triple fault ended the run */

    /* Local interrupt controller (emu/apic.c; guest/abi.h section 3), in full-system mode only
     * (lapic_on). isr: vectors in service (delivered, not yet ended by EOI); an interrupt whose
     * priority class (vector >> 4) is not above the highest one in service is held. */
    int lapic_on;
    uint64_t isr[4];
    uint32_t lvt_timer;       /* vector, mask, mode (EMU_LVT_MASKED, EMU_TIMER_PERIODIC) */
    uint32_t timer_div;       /* the divide configuration register as written */
    uint64_t timer_init;      /* the initial count as written */
    uint64_t timer_deadline;  /* when it fires, on its clock (virtual or TSC); valid if running */
    uint64_t timer_period;    /* ticks of its clock per period: initial count x divider */
    int timer_running;
    int paused;               /* PAUSE ended this CPU's quantum (the machine clears it) */

    /* Counts, registered as cpuN.<name> in full-system mode (docs/STATS.md). */
    struct {
#define X(name, desc) uint64_t name;
        CPU_SYS_COUNTERS(X)
#undef X
    } cnt;
} cpu_sys_t;

/* ---- set-up ----------------------------------------------------------------------------------- */

/* The state of a Linux process (SE mode, and the CPL 3 test harness): CPL 3, CS 0x33, SS 0x2b,
 * CR0 PE|MP|ET|NE|WP|PG, CR4 PAE|PGE|OSFXSR|OSXMMEXCPT, EFER SCE|LME|LMA|NXE, IF = 1. Called by
 * cpu_new; leaves c->mmu (which it matches) alone. */
void cpu_sys_init(cpu_t *c);
/* The state a 64-bit boot loader leaves: CPL 0, CS 0x10, SS/DS/ES 0x18, CR0 PE|MP|ET|NE|WP|PG,
 * CR4 PAE (and LA57 with 5-level paging), EFER LME|LMA, IF = 0, no GDT, IDT or TSS (limits 0, so
 * an exception before LIDT is a triple fault), CR3 = c->mmu.cr3. Drops the translation caches. */
void cpu_sys_boot(cpu_t *c);
/* Recompute c->mmu from the system state (CPL, CR0.WP, CR3, CR4, EFER.NXE). */
void cpu_sys_sync_mmu(cpu_t *c);
/* Change CPL (and CS.RPL): keeps c->mmu in sync; entering CPL 3 drops the translation caches,
 * whose entries may have been filled with supervisor rights. */
void cpu_set_cpl(cpu_t *c, int cpl);

/* Control registers and MSRs as MOV CRn / WRMSR at CPL 0 do them (checks, TLB flushes, mmu sync).
 * Return 0, or -1 where the instruction raises #GP(0) (nothing changed). Usable outside the run
 * loop (tests, boot). CR numbers 0, 2, 3, 4, 8. */
int cpu_write_cr(cpu_t *c, int n, uint64_t v);
uint64_t cpu_read_cr(cpu_t *c, int n);
int cpu_wrmsr(cpu_t *c, uint32_t msr, uint64_t v);
int cpu_rdmsr(cpu_t *c, uint32_t msr, uint64_t *v);
/* The time-stamp counter now: cycles (timing on) or instructions retired, plus the TSC offset. */
uint64_t cpu_tsc(cpu_t *c);

/* ---- events (emu/interrupt.c) ----------------------------------------------------------------- */

/* Deliver an exception through the IDT (full-system mode; cpu_run calls it when an instruction
 * faults, with rip at the faulting instruction, or past it for a trap). Handles faults during
 * delivery (SDM vol. 3 Table 6-5: serially, as #DF, or a triple fault, which ends the run with a
 * report and status 125). */
void cpu_deliver_exception(cpu_t *c, int vector, uint32_t error, uint64_t addr);
/* Request external interrupt `vector` (32..255; lower vectors are refused with -1). It is
 * delivered at a block boundary once RFLAGS.IF = 1 and no interrupt shadow is active; a halted
 * CPU wakes up to take it on its next cpu_run. */
int cpu_raise_interrupt(cpu_t *c, int vector);
/* Deliver the highest pending external interrupt if it can be taken now. Returns 1 when
 * something was delivered (or the CPU shut down), 0 otherwise. The run loop calls it at block
 * boundaries while cpu_t.intr_pending is set, and cpu_run on entry when the CPU is halted. */
int cpu_check_interrupts(cpu_t *c);
/* With the local interrupt controller on: the priority class of the highest vector in service
 * (-1 if none), and end of interrupt (the highest vector in service is done). */
int cpu_isr_class(const cpu_t *c);
void cpu_eoi(cpu_t *c);
/* Start an INT n / INT3 / INT1 (software event): records it and raises it as a trap. */
_Noreturn void cpu_soft_interrupt(cpu_t *c, int vector, enum cpu_event_kind kind, uint64_t insn_rip);

/* ---- shared by emu/exec_priv.c and emu/interrupt.c ------------------------------------------- */

/* Segment-descriptor fields (SDM vol. 3, 3.4.5). */
#define DESC_TYPE(d) ((unsigned)((d) >> 40) & 0xfu)
#define DESC_S(d) ((unsigned)((d) >> 44) & 1u)
#define DESC_DPL(d) ((int)((d) >> 45) & 3)
#define DESC_P(d) ((unsigned)((d) >> 47) & 1u)
#define DESC_L(d) ((unsigned)((d) >> 53) & 1u)
#define DESC_DB(d) ((unsigned)((d) >> 54) & 1u)
#define DESC_CODE(d) (DESC_S(d) && (DESC_TYPE(d) & 8u))
#define DESC_CONFORMING(d) (DESC_CODE(d) && (DESC_TYPE(d) & 4u))
#define DESC_WDATA(d) (DESC_S(d) && (DESC_TYPE(d) & 0xau) == 2u) /* writable data segment */

/* Implicit supervisor-mode accesses (descriptor tables, the TSS, the stack of a privilege change):
 * made with supervisor rights whatever the CPL (SDM vol. 3 4.6.1); a fault raises the exception
 * (cpu_fault) with c->mmu.user restored. */
void priv_sys_read(cpu_t *c, uint64_t va, void *buf, size_t n);
void priv_sys_write(cpu_t *c, uint64_t va, const void *buf, size_t n);
/* The 8-byte GDT descriptor of selector sel: #GP((sel & ~3) | ext) when TI = 1 (no LDTs) or it lies
 * beyond the GDT limit. */
uint64_t priv_read_desc(cpu_t *c, uint16_t sel, uint32_t ext);
/* SYSCALL in full-system mode (h_syscall calls it). */
void priv_syscall(cpu_t *c);

#endif
