/* The privileged x86-64 model (emu/exec_priv.c, emu/interrupt.c; docs/CPU.md): control
 * registers, MSRs, descriptor tables, every privileged instruction at CPL 0 and its #GP(0) at CPL 3,
 * exception and interrupt delivery through the IDT (vector, error code, frame, CR2, the switch to
 * RSP0, IST stacks, DPL checks), iretq, syscall/sysret, #DF and the triple fault, external
 * interrupts with IF, the STI shadow, TPR and HLT, port I/O, and TLB coherence with PCIDs.
 *
 * The guest images are built by tests/unit/cpu_harness.c: th_kernel() puts the CPU at CPL 0 with a
 * GDT, an IDT whose gates lead to recording stubs (th_rec_t) and a TSS with RSP0 and IST1. The code
 * bytes below were assembled with GNU as from the AT&T source in each comment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "emu/exec.h"
#include "mmu/mmu.h"
#include "tests/unit/cpu_harness.h"
#include "tlb/tlb.h"

#define K_RDCRS "\x0f\x20\xc0\x0f\x20\xe3\x0f\x20\xd9\x44\x0f\x20\xc2" /* mov %cr0,%rax; mov %cr4,%rbx; mov %cr3,%rcx; mov %cr8,%rdx */
#define K_WRCR0 "\x0f\x22\xc0" /* mov %rax,%cr0 */
#define K_WRCR3 "\x0f\x22\xd8" /* mov %rax,%cr3 */
#define K_WRCR4 "\x0f\x22\xe0" /* mov %rax,%cr4 */
#define K_CR8 "\x44\x0f\x22\xc0\x44\x0f\x20\xc3" /* mov %rax,%cr8; mov %cr8,%rbx */
#define K_CR2 "\x0f\x22\xd0\x0f\x20\xd3" /* mov %rax,%cr2; mov %cr2,%rbx */
#define K_DR "\x0f\x23\xc0\x0f\x21\xc3\x0f\x23\xf8\x0f\x21\xf9\x0f\x21\xf2" /* mov %rax,%dr0; mov %dr0,%rbx; mov %rax,%dr7; mov %dr7,%rcx; mov %dr6,%rdx */
#define K_STORE "\x48\x89\x03" /* mov %rax,(%rbx) */
#define K_LOAD "\x48\x8b\x03" /* mov (%rbx),%rax */
#define K_RDMSR "\x0f\x32" /* rdmsr */
#define K_WRMSR "\x0f\x30" /* wrmsr */
#define K_WRMSR_RDMSR "\x0f\x30\x31\xc0\x31\xd2\x0f\x32" /* wrmsr; xor %eax,%eax; xor %edx,%edx; rdmsr */
#define K_NOPS_RDTSC "\x90\x90\x90\x0f\x31" /* nop; nop; nop; rdtsc */
#define K_RDTSCP "\x0f\x01\xf9" /* rdtscp */
#define K_LGDT_SGDT "\x0f\x01\x13\x0f\x01\x43\x10" /* lgdt (%rbx); sgdt 16(%rbx) */
#define K_LIDT_SIDT "\x0f\x01\x1b\x0f\x01\x4b\x10" /* lidt (%rbx); sidt 16(%rbx) */
#define K_LTR "\xb8\x40\x00\x00\x00\x0f\x00\xd8\x0f\x00\xc9" /* mov $0x40,%eax; ltr %ax; str %ecx */
#define K_LLDT "\x31\xc0\x0f\x00\xd0\x0f\x00\xc1" /* xor %eax,%eax; lldt %ax; sldt %ecx */
#define K_LLDT_BAD "\xb8\x18\x00\x00\x00\x0f\x00\xd0" /* mov $0x18,%eax; lldt %ax */
#define K_SWAPGS "\x0f\x01\xf8" /* swapgs */
#define K_UD2 "\x0f\x0b" /* ud2 */
#define K_INT21 "\xcd\x21" /* int $0x21 */
#define K_DIV0 "\x31\xc9\x48\xf7\xf1" /* xor %ecx,%ecx; div %rcx */
#define K_CLI_STI "\xfa\x9c\x5b\xfb\x9c\x59" /* cli; pushfq; pop %rbx; sti; pushfq; pop %rcx */
#define K_STI_HLT "\xfb\xf4" /* sti; hlt */
#define K_HLT "\xf4" /* hlt */
#define K_LOOP "\xeb\xfe" /* 1: jmp 1b */
#define K_IO "\xba\xf8\x03\x00\x00\xb0\x41\xee\xec\x89\xc3\x66\xe5\x60\x89\xc1\x66\xe7\x80\xed\xef" /* mov $0x3f8,%edx; mov $0x41,%al; out %al,%dx; in (%dx),%al; mov %eax,%ebx; in $0x60,%ax; mov %eax,%ecx; out %ax,$0x80; in (%dx),%eax; out %eax,(%dx) */
#define K_REP_OUTSB "\xba\xf8\x03\x00\x00\xf3\x6e" /* mov $0x3f8,%edx; rep outsb */
#define K_REP_INSW "\xba\x60\x00\x00\x00\x66\xf3\x6d" /* mov $0x60,%edx; rep insw */
#define K_INVLPG "\x0f\x01\x3b" /* invlpg (%rbx) */
#define K_INVPCID "\x66\x0f\x38\x82\x03" /* invpcid (%rbx),%rax */
#define K_IRETQ "\x48\xcf" /* iretq */
#define K_LRETQ "\x48\xcb" /* lretq */
#define K_SYSRETQ "\x48\x0f\x07" /* sysretq */
#define K_SYSCALL_ENTRY "\x9c\x5b\x0f\x01\xf8\x48\x83\xc0\x01\x0f\x01\xf8\x48\x0f\x07" /* pushfq; pop %rbx; swapgs; add $1,%rax; swapgs; sysretq */
#define K_MOVSREG "\xb8\x2b\x00\x00\x00\x8e\xd8\x8c\xdb\x8e\xc0\x0f\xa0\x59\x50\x0f\xa9\x8c\xea" /* mov $0x2b,%eax; mov %eax,%ds; mov %ds,%ebx; mov %eax,%es; push %fs; pop %rcx; push %rax; pop %gs; mov %gs,%edx */
#define K_MOVSS "\x8e\xd0" /* mov %eax,%ss */
#define K_POPF "\x50\x9d\x9c\x5b" /* push %rax; popfq; pushfq; pop %rbx */
#define K_CLTS "\x0f\x06\x0f\x20\xc0" /* clts; mov %cr0,%rax */
#define K_WBINVD "\x0f\x09\x0f\x08" /* wbinvd; invd */
#define K_SMSW "\x48\x0f\x01\xe0\x0f\x01\x23" /* smsw %rax; smsw (%rbx) */
#define U_INT80_MOV_UD2 "\xcd\x80\xb8\x2a\x00\x00\x00\x0f\x0b" /* int $0x80; mov $42,%eax; ud2 */
#define U_INT21 "\xcd\x21" /* int $0x21 */
#define U_INT3 "\xcc" /* int3 */
#define U_SYSCALL_UD2 "\xb8\x07\x00\x00\x00\x0f\x05\x0f\x0b" /* mov $7,%eax; syscall; ud2 */
#define U_LOAD "\x48\x8b\x03" /* mov (%rbx),%rax */
#define U_UD2 "\x0f\x0b" /* ud2 */
#define U_POPF "\x50\x9d\x9c\x5b" /* push %rax; popfq; pushfq; pop %rbx */

static th_t *h;

static int setup(void **s)
{
    (void)s;
    h = th_new();
    return 0;
}
static int teardown(void **s)
{
    (void)s;
    th_free(h);
    return 0;
}

#define C (h->c)
#define R(n) (h->c->r[n])
#define KSP (TH_KSTACK_TOP - 0x1000) /* th_kernel's rsp */
#define NO_ERR 0xffffffffffffffffull  /* th_rec_t.error of a vector without error code */

/* Run kernel code (at CPL 0, from TH_KCODE with rsp KSP) for up to n instructions; the record is
 * cleared first. Returns th_run's result. */
static int krun(const char *code, size_t len, uint64_t n)
{
    th_kcode(h, code, len);
    C->r[R_RSP] = KSP;
    memset(th_rec(h), 0, offsetof(th_rec_t, action));
    return th_run(h, n);
}
#define KRUN(code, n) krun(code, sizeof(code) - 1, n)

/* Run user code (CPL 3 in user mode: th_run returns the vector of an exception, or -1). */
static int urun(const char *code, size_t len, uint64_t n)
{
    th_code(h, code, len);
    return th_run(h, n);
}
#define URUN(code, n) urun(code, sizeof(code) - 1, n)

static void kmode(void)
{
    th_reset(h);
    th_kernel(h);
}

/* The kernel code faulted: the recording stub holds vector v with error code err. */
static void expect_fault(int v, uint64_t err)
{
    th_rec_t *r = th_rec(h);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->vector, v);
    assert_int_equal(r->error, err);
}
#define KFAULT(code, v, err)                                   \
    do {                                                       \
        assert_int_equal(krun(code, sizeof(code) - 1, 200), -1); \
        expect_fault(v, err);                                  \
        assert_int_equal(th_rec(h)->rip, TH_KCODE);            \
    } while (0)

static uint64_t va57(uint64_t va) { return va & ((1ull << 57) - 1); }

/* The physical address of the leaf entry that maps va (4-level harness tables). */
static uint64_t leaf_pte_pa(uint64_t va)
{
    mmu_result_t r;
    mmu_ctx_t ctx = C->mmu;
    ctx.user = 0;
    assert_int_equal(mmu_translate(h->m->dram, &ctx, va, MMU_READ, &r), 0);
    return r.pte_pa[r.nr_levels_read - 1];
}
static uint64_t pa_rd(uint64_t pa)
{
    uint64_t v;
    memcpy(&v, dram_host(h->m->dram, pa), 8);
    return v;
}
static void pa_wr(uint64_t pa, uint64_t v) { memcpy(dram_host(h->m->dram, pa), &v, 8); }

/* ---- control registers ------------------------------------------------------------------------ */

static void test_control_registers(void **s)
{
    (void)s;
    kmode();
    assert_int_equal(KRUN(K_RDCRS, 4), -1);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(R(R_RAX), CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE);
    assert_int_equal(R(R_RBX), CR4_PAE);
    assert_int_equal(R(R_RCX), h->cr3);
    assert_int_equal(R(R_RDX), 0);

    /* CR0.WP off: a supervisor store to a read-only page succeeds; back on: #PF (P|W). */
    R(R_RAX) = CR0_PG | CR0_NE | CR0_ET | CR0_MP | CR0_PE;
    assert_int_equal(KRUN(K_WRCR0, 1), -1);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(C->sys.cr0, R(R_RAX));
    assert_int_equal(C->mmu.wp, 0);
    R(R_RBX) = TH_RO + 8;
    R(R_RAX) = 0x55;
    KRUN(K_STORE, 1);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(th_rd64(h, TH_RO + 8), 0x55);
    R(R_RAX) = CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE;
    KRUN(K_WRCR0, 1);
    assert_int_equal(C->mmu.wp, 1);
    R(R_RBX) = TH_RO + 8;
    KFAULT(K_STORE, X86_PF, PF_P | PF_W);
    assert_int_equal(th_rec(h)->cr2, TH_RO + 8);

    /* Leaving paging or protected mode, bits 63:32, NW without CD: #GP(0), CR0 unchanged. */
    uint64_t cr0 = C->sys.cr0;
    static const uint64_t bad_cr0[] = {CR0_PE | CR0_ET, CR0_PG | CR0_ET, (1ull << 32) | 0x80010033, 0x80010033 | CR0_NW};
    for (size_t k = 0; k < sizeof(bad_cr0) / sizeof(bad_cr0[0]); k++) {
        R(R_RAX) = bad_cr0[k];
        KFAULT(K_WRCR0, X86_GP, 0);
        assert_int_equal(C->sys.cr0, cr0);
    }

    /* CR4: PGE and the others that exist; SMEP (not modelled), no PAE, LA57 changes: #GP. */
    R(R_RAX) = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_TSD;
    KRUN(K_WRCR4, 1);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(cpu_read_cr(C, 4), R(R_RAX));
    static const uint64_t bad_cr4[] = {CR4_PAE | (1ull << 20), CR4_PGE, CR4_PAE | CR4_LA57, CR4_PAE | CR4_DE};
    for (size_t k = 0; k < sizeof(bad_cr4) / sizeof(bad_cr4[0]); k++) {
        R(R_RAX) = bad_cr4[k];
        KFAULT(K_WRCR4, X86_GP, 0);
    }

    /* CR4.LA57 reads as the paging depth and cannot change in long mode */
    C->mmu.levels = 5;
    assert_true(cpu_read_cr(C, 4) & CR4_LA57);
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE), -1);
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE | CR4_LA57 | CR4_PGE), 0);
    uint32_t id[4];
    cpu_cpuid(C, 7, 0, id);
    assert_true(id[2] & (1u << 16));
    C->mmu.levels = 4;
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE), 0);

    /* CR8 (TPR), CR2. */
    R(R_RAX) = 5;
    KRUN(K_CR8, 2);
    assert_int_equal(R(R_RBX), 5);
    R(R_RAX) = 16;
    KFAULT(K_CR8, X86_GP, 0);
    R(R_RAX) = 0xdeadbeef000;
    KRUN(K_CR2, 2);
    assert_int_equal(R(R_RBX), 0xdeadbeef000);

    /* CR3 above the physical-address width: #GP. */
    R(R_RAX) = h->cr3 | (1ull << 50);
    KFAULT(K_WRCR3, X86_GP, 0);
    assert_int_equal(cpu_read_cr(C, 3), h->cr3);

    /* The API as the instructions. */
    assert_int_equal(cpu_write_cr(C, 0, 0x33), -1);
    assert_int_equal(cpu_write_cr(C, 8, 3), 0);
    assert_int_equal(cpu_read_cr(C, 8), 3);

    /* Debug registers: stored, DR6/DR7 fixed bits; DR4/5 alias 6/7. */
    R(R_RAX) = 3;
    KRUN(K_DR, 5);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(R(R_RBX), 3);
    assert_int_equal(R(R_RCX), 0x403);
    assert_int_equal(R(R_RDX), 0xffff0ff0);

    /* clts, smsw, wbinvd, invd */
    C->sys.cr0 |= CR0_TS;
    KRUN(K_CLTS, 2);
    assert_int_equal(R(R_RAX) & CR0_TS, 0);
    R(R_RBX) = TH_KDATA;
    KRUN(K_SMSW, 2);
    assert_int_equal(R(R_RAX), C->sys.cr0);
    assert_int_equal(*(uint16_t *)th_ptr(h, TH_KDATA), (uint16_t)C->sys.cr0);
    KRUN(K_WBINVD, 2);
    assert_int_equal(th_rec(h)->count, 0);
}

/* ---- every privileged instruction at CPL 3 ---------------------------------------------------- */

static void test_privileged_at_cpl3(void **s)
{
    (void)s;
    static const char *const priv[] = {
        "\x0f\x20\xc0",         /* mov rax, cr0 */
        "\x0f\x22\xd8",         /* mov cr3, rax */
        "\x44\x0f\x22\xc0",     /* mov cr8, rax */
        "\x0f\x21\xf8",         /* mov rax, dr7 */
        "\x0f\x23\xc0",         /* mov dr0, rax */
        "\x0f\x32",             /* rdmsr */
        "\x0f\x30",             /* wrmsr */
        "\x0f\x01\x13",         /* lgdt [rbx] */
        "\x0f\x01\x1b",         /* lidt [rbx] */
        "\x0f\x00\xd8",         /* ltr ax */
        "\x0f\x00\xd0",         /* lldt ax */
        "\x0f\x01\x3b",         /* invlpg [rbx] */
        "\x66\x0f\x38\x82\x03", /* invpcid rax, [rbx] */
        "\x0f\x06",             /* clts */
        "\xfa",                 /* cli */
        "\xfb",                 /* sti */
        "\xf4",                 /* hlt */
        "\xec",                 /* in al, dx */
        "\xe5\x60",             /* in eax, 0x60 */
        "\xee",                 /* out dx, al */
        "\xe6\x80",             /* out 0x80, al */
        "\x6c",                 /* insb */
        "\x6f",                 /* outsd */
        "\x0f\x01\xf8",         /* swapgs */
        "\x0f\x09",             /* wbinvd */
        "\x0f\x08",             /* invd */
        "\x48\x0f\x07",         /* sysretq */
        "\x0f\x01\xf0",         /* lmsw ax */
        "\x0f\x33",             /* rdpmc */
    };
    for (size_t k = 0; k < sizeof(priv) / sizeof(priv[0]); k++) {
        th_reset(h);
        R(R_RBX) = TH_DATA;
        R(R_RSI) = R(R_RDI) = TH_DATA;
        R(R_RAX) = 1;
        size_t len = strlen(priv[k]);
        if (!strcmp(priv[k], "\x0f\x00\xd8") || !strcmp(priv[k], "\x0f\x00\xd0"))
            len = 3;
        if (urun(priv[k], len, 1) != X86_GP || C->fault_error != 0)
            fail_msg("instruction %zu: expected #GP(0) at CPL 3, got vector %d error %u", k, C->fault_vector,
                     C->fault_error);
        assert_int_equal(C->rip, TH_CODE);
        assert_int_equal(C->sys.cpl, 3);
    }
    /* Not privileged (no UMIP): sgdt, sidt, str, sldt, smsw, rdtsc, rdtscp. */
    th_reset(h);
    R(R_RBX) = TH_DATA;
    assert_int_equal(URUN("\x0f\x01\x03\x0f\x01\x4b\x10\x0f\x00\xc8\x0f\x00\xc1\x0f\x01\xe2\x0f\x31\x0f\x01\xf9", 7),
                     -1); /* sgdt [rbx]; sidt [rbx+16]; str eax; sldt ecx; smsw edx; rdtsc; rdtscp */
    assert_int_equal(*(uint16_t *)th_ptr(h, TH_DATA), 0x4f);
    assert_int_equal(th_rd64(h, TH_DATA + 2), TH_GDT);
    assert_int_equal(*(uint16_t *)th_ptr(h, TH_DATA + 16), 0xfff);
    assert_int_equal(th_rd64(h, TH_DATA + 18), TH_IDT);
    assert_int_equal(R(R_RCX), 0); /* rdtscp: TSC_AUX 0 */
    /* CR4.TSD: rdtsc and rdtscp #GP at CPL 3 */
    C->sys.cr4 |= CR4_TSD;
    assert_int_equal(URUN("\x0f\x31", 1), X86_GP);
    assert_int_equal(URUN("\x0f\x01\xf9", 1), X86_GP);
    C->sys.cr4 &= ~CR4_TSD;
}

/* ---- MSRs, TSC -------------------------------------------------------------------------------- */

static uint64_t krdmsr(uint32_t msr)
{
    R(R_RCX) = msr;
    R(R_RAX) = R(R_RDX) = 0xdead;
    KRUN(K_RDMSR, 200);
    return (uint32_t)R(R_RAX) | R(R_RDX) << 32;
}

static int kwrmsr(uint32_t msr, uint64_t v)
{
    R(R_RCX) = msr;
    R(R_RAX) = (uint32_t)v;
    R(R_RDX) = v >> 32;
    KRUN(K_WRMSR, 200);
    return th_rec(h)->count ? (int)th_rec(h)->vector : 0;
}

static void test_msrs(void **s)
{
    (void)s;
    kmode();
    assert_int_equal(krdmsr(MSR_EFER), EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
    assert_int_equal(krdmsr(MSR_APIC_BASE), 0xfee00900);
    assert_int_equal(krdmsr(MSR_PAT), 0x0007040600070406ull);
    assert_int_equal(krdmsr(MSR_MISC_ENABLE), 1);
    /* round trips through wrmsr; rdmsr */
    static const struct {
        uint32_t msr;
        uint64_t v;
    } ok[] = {
        {MSR_STAR, 0x0023001000000000ull},  {MSR_LSTAR, TH_KCODE + 0x100}, {MSR_CSTAR, 0x1000},
        {MSR_FMASK, 0x47700},               {MSR_FS_BASE, 0x7f0000001000}, {MSR_GS_BASE, 0xffff800000000000ull},
        {MSR_KERNEL_GS_BASE, 0x1234},       {MSR_TSC_AUX, 7},              {MSR_PAT, 0x0606060606060606ull},
        {MSR_MISC_ENABLE, 0x801},
    };
    for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
        R(R_RCX) = ok[k].msr;
        R(R_RAX) = (uint32_t)ok[k].v;
        R(R_RDX) = ok[k].v >> 32;
        KRUN(K_WRMSR_RDMSR, 4);
        assert_int_equal(th_rec(h)->count, 0);
        assert_int_equal((uint32_t)R(R_RAX) | R(R_RDX) << 32, ok[k].v);
    }
    assert_int_equal(C->fs_base, 0x7f0000001000);
    assert_int_equal(C->gs_base, 0xffff800000000000ull);
    /* #GP: unknown MSRs, non-canonical addresses, reserved bits, bad memory types */
    R(R_RCX) = 0x123;
    KFAULT(K_RDMSR, X86_GP, 0);
    assert_int_equal(kwrmsr(0x123, 0), X86_GP);
    assert_int_equal(kwrmsr(MSR_LSTAR, 0x0000800000000000ull), X86_GP);
    assert_int_equal(kwrmsr(MSR_GS_BASE, 0x8000000000000000ull), X86_GP);
    assert_int_equal(kwrmsr(MSR_FMASK, 1ull << 32), X86_GP);
    assert_int_equal(kwrmsr(MSR_TSC_AUX, 1ull << 32), X86_GP);
    assert_int_equal(kwrmsr(MSR_PAT, 0x0007040600070402ull), X86_GP);
    assert_int_equal(kwrmsr(MSR_EFER, EFER_LME | EFER_NXE | (1ull << 1)), X86_GP);
    assert_int_equal(kwrmsr(MSR_EFER, EFER_NXE), X86_GP); /* clearing LME with paging on */
    /* EFER: SCE off, LMA stays (read-only) */
    assert_int_equal(kwrmsr(MSR_EFER, EFER_LME | EFER_NXE), 0);
    assert_int_equal(C->sys.efer, EFER_LME | EFER_LMA | EFER_NXE);
    /* EFER.NXE off: bit 63 of a PTE becomes reserved (the harness's own tables use it, so the
     * walk is checked directly) */
    assert_int_equal(kwrmsr(MSR_EFER, EFER_LME), 0);
    assert_int_equal(C->mmu.nxe, 0);
    mmu_result_t mr;
    assert_int_equal(mmu_translate(h->m->dram, &C->mmu, TH_KDATA, MMU_READ, &mr), -1);
    assert_int_equal(mr.pf_error, PF_P | PF_RSVD);
    assert_int_equal(cpu_wrmsr(C, MSR_EFER, EFER_LME | EFER_NXE | EFER_SCE), 0);
    assert_int_equal(C->mmu.nxe, 1);
    /* the API */
    uint64_t v;
    assert_int_equal(cpu_rdmsr(C, 0xc0000104, &v), -1);
    assert_int_equal(cpu_rdmsr(C, MSR_TSC_AUX, &v), 0);
    assert_int_equal(v, 7);
}

static void test_tsc(void **s)
{
    (void)s;
    kmode();
    /* timing off: instructions retired before the rdtsc (exact inside a block) */
    C->sys.tsc_offset = 0;
    uint64_t before = C->st.instructions;
    KRUN(K_NOPS_RDTSC, 4);
    assert_int_equal((uint32_t)R(R_RAX) | R(R_RDX) << 32, before + 3);
    /* wrmsr TSC sets the offset */
    assert_int_equal(kwrmsr(MSR_TSC, 1000000), 0);
    before = C->st.instructions;
    KRUN(K_NOPS_RDTSC, 4);
    assert_int_equal((uint32_t)R(R_RAX) | R(R_RDX) << 32, 1000000 + 5); /* wrmsr, hlt, 3 nops */
    /* rdtscp: ecx = TSC_AUX */
    assert_int_equal(kwrmsr(MSR_TSC_AUX, 3), 0);
    KRUN(K_RDTSCP, 1);
    assert_int_equal(R(R_RCX), 3);
    /* timing on: cycles (cpu_cycles), which here exceed the instructions */
    C->sys.tsc_offset = 0;
    C->timing = EMU_TIMING_TLB;
    cpu_flush_tc(C); /* functional entries carry no modelled TLB entry */
    uint64_t cy0 = cpu_cycles(C);
    KRUN(K_NOPS_RDTSC, 4);
    cpu_tlb_sync(C);
    uint64_t t = (uint32_t)R(R_RAX) | R(R_RDX) << 32;
    assert_true(t >= cy0 + 3);
    assert_true(t <= cpu_cycles(C));
    assert_true(t != C->st.instructions);
    C->timing = EMU_TIMING_OFF;
}

/* ---- descriptor tables ------------------------------------------------------------------------ */

static void test_descriptor_tables(void **s)
{
    (void)s;
    kmode();
    uint8_t *d = th_ptr(h, TH_KDATA);
    /* lgdt / sgdt */
    uint16_t lim = 0x3f;
    uint64_t base = TH_GDT;
    memcpy(d, &lim, 2);
    memcpy(d + 2, &base, 8);
    R(R_RBX) = TH_KDATA;
    KRUN(K_LGDT_SGDT, 2);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(C->sys.gdtr.limit, 0x3f);
    assert_int_equal(C->sys.gdtr.base, TH_GDT);
    assert_memory_equal(d + 16, d, 10);
    lim = 0x4f;
    memcpy(d, &lim, 2);
    KRUN(K_LGDT_SGDT, 2);
    /* lidt / sidt */
    lim = 0x7ff;
    base = TH_IDT;
    memcpy(d, &lim, 2);
    memcpy(d + 2, &base, 8);
    KRUN(K_LIDT_SIDT, 2);
    assert_int_equal(C->sys.idtr.limit, 0x7ff);
    assert_int_equal(C->sys.idtr.base, TH_IDT);
    assert_memory_equal(d + 16, d, 10);
    /* ltr: an available 64-bit TSS becomes busy; loading a busy one is #GP(selector) */
    uint8_t *g = th_ptr(h, TH_GDT);
    g[TH_TSS_SEL + 5] = 0x89;
    C->sys.tr = 0;
    C->sys.tr_base = 0;
    KRUN(K_LTR, 3);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(C->sys.tr, TH_TSS_SEL);
    assert_int_equal(C->sys.tr_base, TH_TSS);
    assert_int_equal(C->sys.tr_limit, 0x67);
    assert_int_equal(R(R_RCX), TH_TSS_SEL);
    assert_int_equal(g[TH_TSS_SEL + 5], 0x8b);
    R(R_RAX) = TH_TSS_SEL;
    KFAULT("\x0f\x00\xd8", X86_GP, TH_TSS_SEL);
    /* ltr of a data segment: #GP(sel); of a selector beyond the GDT: #GP(sel) */
    R(R_RAX) = 0x18;
    KFAULT("\x0f\x00\xd8", X86_GP, 0x18);
    R(R_RAX) = 0x1000;
    KFAULT("\x0f\x00\xd8", X86_GP, 0x1000);
    /* lldt: a null selector only */
    R(R_RCX) = 77;
    KRUN(K_LLDT, 3);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(R(R_RCX), 0);
    assert_int_equal(KRUN(K_LLDT_BAD, 200), -1);
    assert_int_equal(th_rec(h)->vector, X86_GP);
    assert_int_equal(th_rec(h)->error, 0x18);
}

static void test_swapgs_and_segments(void **s)
{
    (void)s;
    kmode();
    C->gs_base = 0x1111;
    C->sys.kernel_gs_base = 0x2222;
    KRUN(K_SWAPGS, 1);
    assert_int_equal(C->gs_base, 0x2222);
    assert_int_equal(C->sys.kernel_gs_base, 0x1111);
    KRUN(K_SWAPGS, 1);
    assert_int_equal(C->gs_base, 0x1111);
    /* plain selector moves; the FS/GS bases stay */
    C->fs_base = 0x5000;
    R(R_RBX) = R(R_RCX) = R(R_RDX) = 99;
    KRUN(K_MOVSREG, 9);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(C->sys.sel[SREG_DS], 0x2b);
    assert_int_equal(C->sys.sel[SREG_ES], 0x2b);
    assert_int_equal(C->sys.sel[SREG_GS], 0x2b);
    assert_int_equal(R(R_RBX), 0x2b);
    assert_int_equal(R(R_RCX), 0);
    assert_int_equal(R(R_RDX), 0x2b);
    assert_int_equal(C->fs_base, 0x5000);
    assert_int_equal(C->gs_base, 0x1111);
    /* mov ss: RPL must be CPL */
    R(R_RAX) = 0x2b;
    KFAULT(K_MOVSS, X86_GP, 0x28);
    R(R_RAX) = 0;
    KRUN(K_MOVSS, 1);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(C->sys.sel[SREG_SS], 0);
    /* at CPL 3 a null SS is #GP(0) */
    th_reset(h);
    R(R_RAX) = 0;
    assert_int_equal(URUN(K_MOVSS, 1), X86_GP);
    R(R_RAX) = 0x2b;
    assert_int_equal(URUN(K_MOVSS, 1), -1);
}

/* ---- exception delivery ----------------------------------------------------------------------- */

static void test_exceptions_at_cpl0(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    /* #UD, with a misaligned stack: the frame is pushed below RSP aligned to 16 */
    th_kcode(h, K_UD2, 2);
    C->r[R_RSP] = KSP - 8;
    assert_int_equal(th_run(h, 100), -1);
    expect_fault(X86_UD, NO_ERR);
    assert_int_equal(r->rip, TH_KCODE);
    assert_int_equal(r->cs, TH_KCS);
    assert_int_equal(r->ss, TH_KDS);
    assert_int_equal(r->rsp, KSP - 8);
    assert_int_equal(r->rflags, 2);
    assert_int_equal(r->frame, KSP - 16 - 40);
    assert_int_equal(r->hcs, TH_KCS);
    assert_true(C->sys.halted);
    assert_int_equal(C->sys.cpl, 0);
    /* #PF: read and write of an unmapped page, error code and CR2; the error code is pushed */
    R(R_RBX) = TH_KUNMAPPED + 0x10;
    KFAULT(K_LOAD, X86_PF, 0);
    assert_int_equal(r->cr2, TH_KUNMAPPED + 0x10);
    assert_int_equal(C->sys.cr2, TH_KUNMAPPED + 0x10);
    assert_int_equal(r->frame, KSP - 40);
    R(R_RBX) = TH_KUNMAPPED + 0x18;
    KFAULT(K_STORE, X86_PF, PF_W);
    assert_int_equal(r->cr2, TH_KUNMAPPED + 0x18);
    /* a supervisor fetch from a user page is allowed (no SMEP); a fetch from an NX page is not */
    uint64_t pf = C->st.page_faults;
    th_kcode(h, "\xff\xe3", 2); /* jmp rbx */
    R(R_RBX) = TH_KDATA;
    C->r[R_RSP] = KSP;
    memset(r, 0, offsetof(th_rec_t, action));
    th_run(h, 100);
    expect_fault(X86_PF, PF_P | PF_I);
    assert_int_equal(r->rip, TH_KDATA);
    assert_int_equal(C->st.page_faults, pf + 1);
    /* #GP(0): a non-canonical address; #DE */
    R(R_RBX) = 0x0000900000000000ull;
    KFAULT(K_LOAD, X86_GP, 0);
    R(R_RCX) = 0;
    KFAULT("\x48\xf7\xf1", X86_DE, NO_ERR); /* div rcx */
}

static void test_exceptions_from_cpl3(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    /* #UD in user code: the CPU switches to RSP0, SS becomes null, CPL 0 */
    th_code(h, U_UD2, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP - 8);
    assert_int_equal(th_run(h, 100), -1);
    expect_fault(X86_UD, NO_ERR);
    assert_int_equal(r->rip, TH_CODE);
    assert_int_equal(r->cs, TH_UCS);
    assert_int_equal(r->ss, TH_UDS);
    assert_int_equal(r->rsp, TH_STACK_TOP - 8);
    assert_int_equal(r->rflags, 0x202);
    assert_int_equal(r->frame, TH_KSTACK_TOP - 40);
    assert_int_equal(r->hcs, TH_KCS);
    assert_int_equal(C->sys.cpl, 0);
    assert_int_equal(C->sys.sel[SREG_SS], 0);
    assert_int_equal(C->rflags & FL_IF, 0); /* an interrupt gate */
    /* #PF of a user access to a supervisor page: P|U, CR2 */
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_LOAD, 3);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    R(R_RBX) = TH_KDATA + 0x20;
    th_run(h, 100);
    expect_fault(X86_PF, PF_P | PF_U);
    assert_int_equal(r->cr2, TH_KDATA + 0x20);
    assert_int_equal(r->frame, TH_KSTACK_TOP - 40);
    /* a trap gate leaves IF set */
    th_set_gate(h, X86_UD, th_stub(X86_UD), 15, 0, 0, 1);
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_UD2, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    th_run(h, 100);
    expect_fault(X86_UD, NO_ERR);
    assert_int_equal(C->rflags & FL_IF, FL_IF);
}

static void test_ist(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    th_set_gate(h, X86_UD, th_stub(X86_UD), 14, 0, 1, 1);
    /* at CPL 0: IST1 although the privilege does not change */
    KFAULT(K_UD2, X86_UD, NO_ERR);
    assert_int_equal(r->frame, TH_IST_TOP - 40);
    assert_int_equal(r->rsp, KSP);
    /* from CPL 3: IST1 rather than RSP0 */
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_UD2, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    th_run(h, 100);
    expect_fault(X86_UD, NO_ERR);
    assert_int_equal(r->frame, TH_IST_TOP - 40);
    assert_int_equal(r->rsp, TH_STACK_TOP);
    /* an IST index whose TSS slot lies beyond the TSS limit: #TS(TR) */
    C->sys.tr_limit = 0x23;
    memset(r, 0, offsetof(th_rec_t, action));
    KRUN(K_UD2, 100);
    expect_fault(X86_TS, TH_TSS_SEL | 1);
}

static void test_iretq_and_int(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    /* iretq to CPL 3; the user code's int 0x80 (DPL 3) comes back, the handler returns (iretq),
     * the user code goes on and its ud2 halts in a plain halt stub */
    th_set_gate(h, X86_UD, TH_KHALT + 16 * X86_UD, 14, 0, 0, 1);
    r->action = 1;
    th_code(h, U_INT80_MOV_UD2, 9);
    uint64_t frame[5] = {TH_CODE, TH_UCS, 0x202, TH_STACK_TOP, TH_UDS};
    memcpy(th_ptr(h, KSP), frame, sizeof(frame));
    th_kcode(h, K_IRETQ, 2);
    C->r[R_RSP] = KSP;
    R(R_RAX) = 0;
    assert_int_equal(th_run(h, 200), -1);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->vector, 0x80);
    assert_int_equal(r->error, NO_ERR);
    assert_int_equal(r->rip, TH_CODE + 2);
    assert_int_equal(r->cs, TH_UCS);
    assert_int_equal(r->rsp, TH_STACK_TOP);
    assert_int_equal(r->frame, TH_KSTACK_TOP - 40);
    assert_int_equal(R(R_RAX), 42);
    assert_true(C->sys.halted);
    assert_int_equal(C->sys.cpl, 0);
    assert_int_equal(C->rip, TH_KHALT + 16 * X86_UD + 1);
    assert_int_equal(th_rd64(h, C->r[R_RSP]), TH_CODE + 7); /* the #UD frame: rip of ud2 */
    r->action = 0;

    /* int n from CPL 3 through a DPL 0 gate: #GP(n * 8 + 2), rip at the int */
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_INT21, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    th_run(h, 100);
    expect_fault(X86_GP, 0x21 * 8 + 2);
    assert_int_equal(r->rip, TH_CODE);
    /* int3 (DPL 3): a trap, rip past it */
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_INT3, 1);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    th_run(h, 100);
    expect_fault(X86_BP, NO_ERR);
    assert_int_equal(r->rip, TH_CODE + 1);
    /* int 0x21 at CPL 0 passes the DPL check; no error code */
    assert_int_equal(KRUN(K_INT21, 100), -1);
    expect_fault(0x21, NO_ERR);
    assert_int_equal(r->rip, TH_KCODE + 2);
    /* int n to a vector beyond the IDT limit: #GP(n * 8 + 2) */
    C->sys.idtr.limit = 0x21 * 16 + 14;
    KRUN(K_INT21, 100);
    expect_fault(X86_GP, 0x21 * 8 + 2);
    assert_int_equal(r->rip, TH_KCODE);
    C->sys.idtr.limit = 0xfff;

    /* iretq to CPL 0: pops SS:RSP too */
    uint64_t f0[5] = {TH_KCODE + 0x10, TH_KCS, 0x2, KSP + 0x100, TH_KDS};
    memcpy(th_ptr(h, KSP), f0, sizeof(f0));
    memset(th_ptr(h, TH_KCODE), 0xcc, 0x20);
    memcpy(th_ptr(h, TH_KCODE), K_IRETQ, 2);
    memcpy(th_ptr(h, TH_KCODE + 0x10), K_HLT, 1);
    cpu_flush_code(C);
    C->rip = TH_KCODE;
    C->r[R_RSP] = KSP;
    C->sys.halted = 0;
    memset(r, 0, offsetof(th_rec_t, action));
    th_run(h, 10);
    assert_int_equal(r->count, 0);
    assert_int_equal(C->rip, TH_KCODE + 0x11);
    assert_int_equal(C->r[R_RSP], KSP + 0x100);
    /* lretq at the same privilege */
    uint64_t f1[2] = {TH_KCODE + 0x10, TH_KCS};
    memcpy(th_ptr(h, KSP), f1, sizeof(f1));
    memcpy(th_ptr(h, TH_KCODE), K_LRETQ, 2);
    cpu_flush_code(C);
    C->rip = TH_KCODE;
    C->r[R_RSP] = KSP;
    C->sys.halted = 0;
    th_run(h, 10);
    assert_int_equal(r->count, 0);
    assert_int_equal(C->rip, TH_KCODE + 0x11);
    assert_int_equal(C->r[R_RSP], KSP + 16);
}

static void iret_expect(const uint64_t frame[5], int v, uint64_t err)
{
    memcpy(th_ptr(h, KSP), frame, 40);
    KFAULT(K_IRETQ, v, err);
    assert_int_equal(C->sys.cpl, 0);
}

static void test_iret_checks(void **s)
{
    (void)s;
    kmode();
    const uint64_t data_cs[5] = {TH_CODE, TH_KDS, 2, KSP, TH_KDS};
    iret_expect(data_cs, X86_GP, TH_KDS);
    const uint64_t compat_cs[5] = {TH_CODE, TH_UCS32, 0x202, TH_STACK_TOP, TH_UDS};
    iret_expect(compat_cs, X86_GP, 0x20);
    const uint64_t null_ss[5] = {TH_CODE, TH_UCS, 0x202, TH_STACK_TOP, 0};
    iret_expect(null_ss, X86_GP, 0);
    const uint64_t ss_rpl[5] = {TH_CODE, TH_UCS, 0x202, TH_STACK_TOP, TH_KDS};
    iret_expect(ss_rpl, X86_GP, TH_KDS);
    const uint64_t ss_dpl[5] = {TH_CODE, TH_UCS, 0x202, TH_STACK_TOP, TH_KDS | 3};
    iret_expect(ss_dpl, X86_GP, TH_KDS);
    const uint64_t rip_nc[5] = {0x0000800000000000ull, TH_UCS, 0x202, TH_STACK_TOP, TH_UDS};
    iret_expect(rip_nc, X86_GP, 0);
    const uint64_t null_cs[5] = {TH_CODE, 0, 0x202, TH_STACK_TOP, TH_UDS};
    iret_expect(null_cs, X86_GP, 0);
    /* a not-present code segment: #NP(sel) */
    uint8_t *g = th_ptr(h, TH_GDT);
    g[TH_UCS - 3 + 5] &= 0x7f;
    const uint64_t ok[5] = {TH_CODE, TH_UCS, 0x202, TH_STACK_TOP, TH_UDS};
    iret_expect(ok, X86_NP, TH_UCS - 3);
    g[TH_UCS - 3 + 5] |= 0x80;
    /* NT set: #GP(0) */
    cpu_set_rflags(C, 2 | FL_NT);
    iret_expect(ok, X86_GP, 0);
    cpu_set_rflags(C, 2);
    /* from CPL 3 to CPL 0: #GP(cs) */
    th_rec_t *r = th_rec(h);
    memset(r, 0, offsetof(th_rec_t, action));
    uint64_t up[5] = {TH_CODE, TH_KCS, 2, TH_STACK_TOP, TH_KDS};
    memcpy(th_ptr(h, TH_STACK_TOP - 40), up, 40);
    th_code(h, K_IRETQ, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP - 40);
    th_run(h, 100);
    expect_fault(X86_GP, TH_KCS);
    assert_int_equal(r->cs, TH_UCS);
    /* iretq at CPL 3 to CPL 3 works, and cannot change IF or IOPL */
    memset(r, 0, offsetof(th_rec_t, action));
    uint64_t same[5] = {TH_CODE + 2, TH_UCS, 0x3002 | FL_CF, TH_STACK_TOP, TH_UDS};
    memcpy(th_ptr(h, TH_STACK_TOP - 40), same, 40);
    th_code(h, K_IRETQ "\xf4", 3); /* iretq; hlt (#GP at CPL 3) */
    th_to_user(h, TH_CODE, TH_STACK_TOP - 40);
    th_run(h, 100);
    expect_fault(X86_GP, 0);
    assert_int_equal(r->rip, TH_CODE + 2);
    assert_int_equal(r->rflags, 0x202 | FL_CF);
}

static void test_syscall_sysret(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    uint8_t code[0x200];
    memset(code, 0xcc, sizeof(code));
    memcpy(code + 0x100, K_SYSCALL_ENTRY, sizeof(K_SYSCALL_ENTRY) - 1);
    th_kcode(h, code, sizeof(code));
    assert_int_equal(cpu_wrmsr(C, MSR_LSTAR, TH_KCODE + 0x100), 0);
    assert_int_equal(cpu_wrmsr(C, MSR_FMASK, FL_IF | FL_DF | FL_TF), 0);
    C->gs_base = 0x2222;
    C->sys.kernel_gs_base = 0x1111;
    th_set_gate(h, X86_UD, TH_KHALT + 16 * X86_UD, 14, 0, 0, 1);
    th_code(h, U_SYSCALL_UD2, 9);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    cpu_set_rflags(C, 0x202 | FL_DF);
    uint64_t sc = C->st.syscalls;
    th_run(h, 100);
    assert_int_equal(C->st.syscalls, sc + 1);
    assert_int_equal(R(R_RAX), 8);                       /* the kernel added 1 */
    assert_int_equal(R(R_RBX) & (FL_IF | FL_DF), 0);     /* FMASK applied in the kernel */
    assert_int_equal(R(R_RCX), TH_CODE + 7);             /* return address */
    assert_int_equal(R(R_R11), 0x202 | FL_DF);           /* user RFLAGS */
    assert_true(C->sys.halted);                          /* the user's ud2 */
    uint64_t sp = C->r[R_RSP];
    assert_int_equal(th_rd64(h, sp), TH_CODE + 7);       /* the #UD frame: back in user code */
    assert_int_equal(th_rd64(h, sp + 8), TH_UCS);
    assert_int_equal(th_rd64(h, sp + 16), 0x202 | FL_DF);
    assert_int_equal(th_rd64(h, sp + 24), TH_STACK_TOP);
    assert_int_equal(th_rd64(h, sp + 32), TH_UDS);
    assert_int_equal(C->gs_base, 0x2222);
    (void)r;
    /* EFER.SCE clear: syscall and sysret are #UD */
    th_set_gate(h, X86_UD, th_stub(X86_UD), 14, 0, 0, 1);
    C->sys.efer &= ~EFER_SCE;
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_SYSCALL_UD2, 9);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    th_run(h, 100);
    expect_fault(X86_UD, NO_ERR);
    assert_int_equal(r->rip, TH_CODE + 5);
    KFAULT(K_SYSRETQ, X86_UD, NO_ERR);
    C->sys.efer |= EFER_SCE;
    /* sysret to a non-canonical rcx: #GP(0) at CPL 0 */
    R(R_RCX) = 0x0000800000000000ull;
    KFAULT(K_SYSRETQ, X86_GP, 0);
    /* sysret without REX.W (to compatibility mode) is not modelled: #UD */
    KFAULT("\x0f\x07", X86_UD, NO_ERR);
}

/* ---- double and triple faults ----------------------------------------------------------------- */

static void test_double_fault(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    /* #PF with its gate not present: #NP during delivery of #PF -> #DF (error 0) */
    th_set_gate(h, X86_PF, th_stub(X86_PF), 14, 0, 0, 0);
    R(R_RBX) = TH_KUNMAPPED;
    KFAULT(K_LOAD, X86_DF, 0);
    assert_int_equal(r->log[0], X86_DF);
    assert_int_equal(C->sys.cr2, TH_KUNMAPPED);
    assert_int_equal(C->sys.xchain_n, 3); /* #PF, #NP, #DF */
    assert_int_equal(C->sys.xchain[1].vector, X86_NP);
    assert_int_equal(C->sys.xchain[1].error, X86_PF * 8 + 2 + 1);
    /* #GP with its gate not present: #NP, contributory after contributory -> #DF */
    th_set_gate(h, X86_GP, th_stub(X86_GP), 14, 0, 0, 0);
    R(R_RBX) = 0x0000800000000000ull;
    KFAULT(K_LOAD, X86_DF, 0);
    /* #UD (benign) with its gate not present: the #NP is delivered instead */
    th_set_gate(h, X86_UD, th_stub(X86_UD), 14, 0, 0, 0);
    KFAULT(K_UD2, X86_NP, X86_UD * 8 + 2 + 1);
    /* a gate that is not an interrupt or trap gate: #GP(idt) */
    th_set_gate(h, X86_UD, th_stub(X86_UD), 12, 0, 0, 1);
    th_set_gate(h, X86_GP, th_stub(X86_GP), 14, 0, 0, 1);
    KFAULT(K_UD2, X86_GP, X86_UD * 8 + 2 + 1);
    /* a gate whose selector is not a 64-bit code segment: #GP(sel) */
    uint64_t g[2];
    th_set_gate(h, X86_UD, th_stub(X86_UD), 14, 0, 0, 1);
    memcpy(g, th_ptr(h, TH_IDT + 16 * X86_UD), 16);
    g[0] = (g[0] & ~0xffff0000ull) | (uint64_t)TH_KDS << 16;
    memcpy(th_ptr(h, TH_IDT + 16 * X86_UD), g, 16);
    KFAULT(K_UD2, X86_GP, TH_KDS | 1);
    th_set_gate(h, X86_UD, th_stub(X86_UD), 14, 0, 0, 1);

    /* A bad RSP0: the user's #UD cannot be pushed (#PF, handled serially), nor can that #PF
     * (#PF during #PF -> #DF), which goes to its IST stack and survives. */
    kmode();
    th_set_gate(h, X86_DF, th_stub(X86_DF), 14, 0, 1, 1);
    uint64_t bad = TH_KUNMAPPED + 0x1000;
    memcpy(th_ptr(h, TH_TSS + 4), &bad, 8);
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, U_UD2, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    assert_int_equal(th_run(h, 100), -1);
    expect_fault(X86_DF, 0);
    assert_int_equal(r->frame, TH_IST_TOP - 40);
    assert_int_equal(r->cs, TH_UCS);
    assert_int_equal(r->rip, TH_CODE);
    assert_int_equal(C->sys.cr2, bad - 48); /* the second #PF's frame (with error code) */
    assert_int_equal(C->sys.xchain_n, 4); /* #UD, #PF, #PF, #DF */
}

static void test_triple_fault(void **s)
{
    (void)s;
    kmode();
    /* #PF and #DF gates not present: #PF -> #NP -> #DF -> #NP: shutdown, status 125 */
    th_set_gate(h, X86_PF, th_stub(X86_PF), 14, 0, 0, 0);
    th_set_gate(h, X86_DF, th_stub(X86_DF), 14, 0, 0, 0);
    R(R_RBX) = TH_KUNMAPPED;
    uint64_t n0 = C->st.instructions;
    assert_int_equal(KRUN(K_LOAD, 100), X86_PF);
    assert_true(h->m->stop);
    assert_int_equal(h->m->result.status, EMU_EXIT_ERROR);
    assert_true(C->sys.shutdown);
    assert_int_equal(C->rip, TH_KCODE); /* nothing was delivered */
    assert_int_equal(C->st.instructions, n0);
    assert_int_equal(C->sys.xchain_n, 4); /* #PF, #NP, #DF, #NP */
    assert_int_equal(th_rec(h)->count, 0);
    /* no IDT at all (limit 0): any exception is a triple fault */
    kmode();
    C->sys.idtr.limit = 0;
    assert_int_equal(KRUN(K_UD2, 100), X86_UD);
    assert_int_equal(h->m->result.status, EMU_EXIT_ERROR);
    /* the state after cpu_sys_boot: no IDT, no GDT */
    kmode();
    cpu_sys_boot(C);
    C->sys.efer |= EFER_NXE;
    cpu_sys_sync_mmu(C);
    assert_int_equal(KRUN(K_DIV0, 100), X86_DE);
    assert_true(h->m->stop);
}

/* ---- interrupts, hlt -------------------------------------------------------------------------- */

static void test_external_interrupts(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    r->action = 1; /* handlers return */
    assert_int_equal(cpu_raise_interrupt(C, 10), -1);
    assert_int_equal(cpu_raise_interrupt(C, 256), -1);
    /* IF = 0: pending, not delivered */
    assert_int_equal(cpu_raise_interrupt(C, 0x30), 0);
    assert_true(C->intr_pending);
    KRUN(K_LOOP, 20);
    assert_int_equal(r->count, 0);
    assert_true(C->intr_pending);
    /* IF = 1: delivered at the next block boundary, then the loop goes on */
    cpu_set_rflags(C, 0x202);
    th_run(h, 200);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->vector, 0x30);
    assert_int_equal(r->error, NO_ERR);
    assert_int_equal(r->rip, TH_KCODE);
    assert_int_equal(r->rflags, 0x202);
    assert_int_equal(C->intr_pending, 0);
    assert_int_equal(C->sys.cnt.interrupts, 1);
    assert_int_equal(C->rip, TH_KCODE);
    assert_true(C->rflags & FL_IF); /* restored by iretq */
    /* the highest vector first */
    cpu_raise_interrupt(C, 0x31);
    cpu_raise_interrupt(C, 0x50);
    th_run(h, 100);
    assert_int_equal(r->count, 3);
    assert_int_equal(r->log[1], 0x50);
    assert_int_equal(r->log[2], 0x31);
    /* CR8: classes at or below the TPR wait */
    C->sys.cr8 = 5;
    cpu_raise_interrupt(C, 0x5f);
    th_run(h, 200);
    assert_int_equal(r->count, 3);
    C->sys.cr8 = 4;
    th_run(h, 200);
    assert_int_equal(r->count, 4);
    assert_int_equal(r->vector, 0x5f);
    C->sys.cr8 = 0;

    /* sti; hlt with an interrupt pending: the STI shadow keeps it out until hlt has executed;
     * the CPU halts, and wakes up to take it on the next run, with rip past hlt */
    memset(r, 0, offsetof(th_rec_t, action));
    cpu_set_rflags(C, 2);
    cpu_raise_interrupt(C, 0x40);
    th_kcode(h, K_STI_HLT "\xeb\xfe", 4);
    C->r[R_RSP] = KSP;
    th_run(h, 20);
    assert_int_equal(r->count, 0);
    assert_true(C->sys.halted);
    assert_int_equal(C->rip, TH_KCODE + 2);
    th_run(h, 200);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->vector, 0x40);
    assert_int_equal(r->rip, TH_KCODE + 2);
    assert_false(C->sys.halted);
    /* sti with IF already 1 makes no shadow; an interrupt raised while running user code at
     * CPL 3 switches to RSP0 */
    memset(r, 0, offsetof(th_rec_t, action));
    th_code(h, K_LOOP, 2);
    th_to_user(h, TH_CODE, TH_STACK_TOP);
    cpu_raise_interrupt(C, 0x41);
    th_run(h, 200);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->cs, TH_UCS);
    assert_int_equal(r->frame, TH_KSTACK_TOP - 40);
    assert_int_equal(C->sys.cpl, 3); /* back in user mode */
    r->action = 0;
}

static void test_hlt(void **s)
{
    (void)s;
    kmode();
    uint64_t n0 = C->st.instructions;
    assert_int_equal(KRUN(K_HLT, 100), -1);
    assert_true(C->sys.halted);
    assert_int_equal(C->rip, TH_KCODE + 1);
    assert_int_equal(C->st.instructions, n0 + 1);
    /* nothing to wake it: cpu_run returns at once */
    assert_int_equal(cpu_run(C, 100), 0);
    assert_true(C->sys.halted);
    /* IF = 0: an interrupt does not wake it either */
    cpu_raise_interrupt(C, 0x30);
    assert_int_equal(cpu_run(C, 100), 0);
    C->intr_pending = 0;
    C->sys.irr[0] = C->sys.irr[1] = C->sys.irr[2] = C->sys.irr[3] = 0;
    /* pause ends the quantum (yield) without halting */
    assert_int_equal(KRUN("\xf3\x90\x90\x90", 100), -1);
    assert_false(C->sys.halted);
    assert_int_equal(C->rip, TH_KCODE + 2);
    /* hlt in user mode: #GP */
    th_reset(h);
    assert_int_equal(URUN("\xf4", 1), X86_GP);
}

/* ---- port I/O --------------------------------------------------------------------------------- */

static struct {
    int n;
    uint16_t port[16];
    int size[16];
    uint32_t val[16];
    int out[16];
} io_log;

static uint32_t io_in_hook(void *arg, cpu_t *c, uint16_t port, int size)
{
    (void)c;
    assert_ptr_equal(arg, h);
    int k = io_log.n++ & 15;
    io_log.port[k] = port;
    io_log.size[k] = size;
    io_log.out[k] = 0;
    return 0x12345678;
}

static void io_out_hook(void *arg, cpu_t *c, uint16_t port, int size, uint32_t v)
{
    (void)c;
    assert_ptr_equal(arg, h);
    int k = io_log.n++ & 15;
    io_log.port[k] = port;
    io_log.size[k] = size;
    io_log.val[k] = v;
    io_log.out[k] = 1;
}

static void test_port_io(void **s)
{
    (void)s;
    kmode();
    /* no device: reads give all ones, writes vanish; every access is counted */
    uint64_t u0 = h->m->io_unclaimed;
    R(R_RAX) = 0;
    KRUN(K_IO, 10);
    assert_int_equal(th_rec(h)->count, 0);
    assert_int_equal(R(R_RBX), 0xff);           /* in al, dx (al was 0x41) */
    assert_int_equal(R(R_RCX), 0xffff);         /* in ax, 0x60 merged into eax = 0xff */
    assert_int_equal(R(R_RAX), 0xffffffff);     /* in eax, dx */
    assert_int_equal(h->m->io_unclaimed, u0 + 6);
    assert_int_equal(C->sys.cnt.io_ins, 3);
    assert_int_equal(C->sys.cnt.io_outs, 3);
    /* with the hooks */
    h->m->io_in = io_in_hook;
    h->m->io_out = io_out_hook;
    h->m->io_arg = h;
    memset(&io_log, 0, sizeof(io_log));
    R(R_RAX) = 0;
    KRUN(K_IO, 10);
    assert_int_equal(io_log.n, 6);
    assert_int_equal(io_log.out[0], 1);
    assert_int_equal(io_log.port[0], 0x3f8);
    assert_int_equal(io_log.size[0], 1);
    assert_int_equal(io_log.val[0], 0x41);
    assert_int_equal(io_log.port[1], 0x3f8);
    assert_int_equal(R(R_RBX), 0x78);
    assert_int_equal(io_log.port[2], 0x60);
    assert_int_equal(io_log.size[2], 2);
    assert_int_equal(R(R_RCX), 0x5678);
    assert_int_equal(io_log.port[3], 0x80);
    assert_int_equal(io_log.size[3], 2);
    assert_int_equal(io_log.val[3], 0x5678);
    assert_int_equal(io_log.size[4], 4);
    assert_int_equal(io_log.val[5], 0x12345678);
    /* rep outsb, rep insw */
    memset(&io_log, 0, sizeof(io_log));
    memcpy(th_ptr(h, TH_KDATA), "abc", 3);
    R(R_RSI) = TH_KDATA;
    R(R_RCX) = 3;
    KRUN(K_REP_OUTSB, 2);
    assert_int_equal(io_log.n, 3);
    assert_int_equal(io_log.val[0], 'a');
    assert_int_equal(io_log.val[2], 'c');
    assert_int_equal(R(R_RCX), 0);
    assert_int_equal(R(R_RSI), TH_KDATA + 3);
    R(R_RDI) = TH_KDATA + 0x100;
    R(R_RCX) = 2;
    KRUN(K_REP_INSW, 2);
    assert_int_equal(*(uint32_t *)th_ptr(h, TH_KDATA + 0x100), 0x56785678);
    assert_int_equal(R(R_RDI), TH_KDATA + 0x104);
    h->m->io_in = NULL;
    h->m->io_out = NULL;
}

static void test_popf_and_cli_sti(void **s)
{
    (void)s;
    kmode();
    KRUN(K_CLI_STI, 6);
    assert_int_equal(R(R_RBX) & FL_IF, 0);
    assert_int_equal(R(R_RCX) & FL_IF, FL_IF);
    /* popf at CPL 0 loads IF and IOPL */
    R(R_RAX) = 0x3202;
    KRUN(K_POPF, 4);
    assert_int_equal(R(R_RBX), 0x3202);
    R(R_RAX) = 0x2;
    KRUN(K_POPF, 4);
    assert_int_equal(R(R_RBX) & (FL_IF | FL_IOPL), 0);
    /* at CPL 3 it cannot */
    th_reset(h);
    R(R_RAX) = 0x3002 | FL_CF;
    assert_int_equal(URUN(U_POPF, 4), -1);
    assert_int_equal(R(R_RBX), 0x202 | FL_CF);
}

/* ---- TLB coherence ---------------------------------------------------------------------------- */

#define PROBE(va, pcid) tlb_array_probe(tlb_get_array(C->tlb, TLB_DTLB_4K), va57(va) >> 12, TLB_4K, pcid)

static void kload(uint64_t va)
{
    R(R_RBX) = va;
    KRUN(K_LOAD, 200);
    assert_int_equal(th_rec(h)->count, 0);
}

static void test_tlb_cr3_pcid(void **s)
{
    (void)s;
    kmode();
    C->timing = EMU_TIMING_TLB;
    const tlb_stats_t *ts = tlb_stats(C->tlb);
    const tlb_array_t *pde = mmu_pwc(C->walker, 2);

    /* MOV CR3 without PCIDs: every non-global entry and the paging-structure caches */
    kload(TH_KDATA);
    assert_non_null(PROBE(TH_KDATA, 0));
    assert_true(tlb_array_valid_entries(pde) > 0);
    uint64_t fl = ts->tlb_flushes;
    R(R_RAX) = h->cr3;
    KRUN(K_WRCR3, 1);
    assert_null(PROBE(TH_KDATA, 0));
    assert_int_equal(tlb_array_valid_entries(pde), 0);
    assert_int_equal(ts->tlb_flushes, fl + 1);

    /* a global page (PTE.G with CR4.PGE) survives it; changing PGE drops it */
    uint64_t pte = leaf_pte_pa(TH_KDATA);
    pa_wr(pte, pa_rd(pte) | PTE_G);
    kload(TH_KDATA);
    assert_false(tlb_entry_global(PROBE(TH_KDATA, 0))); /* PGE off: G is ignored */
    assert_int_equal(cpu_write_cr(C, 3, h->cr3), 0);
    assert_null(PROBE(TH_KDATA, 0));
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE | CR4_PGE), 0);
    kload(TH_KDATA);
    assert_true(tlb_entry_global(PROBE(TH_KDATA, 0)));
    assert_int_equal(cpu_write_cr(C, 3, h->cr3), 0);
    assert_non_null(PROBE(TH_KDATA, 0));
    R(R_RAX) = CR4_PAE;
    KRUN(K_WRCR4, 1);
    assert_null(PROBE(TH_KDATA, 0));
    pa_wr(pte, pa_rd(pte) & ~PTE_G);

    /* PCIDs: CR4.PCIDE needs PCID 0 in CR3 */
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE | CR4_PCIDE), 0);
    assert_int_equal(C->mmu.pcid, 0);
    kload(TH_KDATA);
    assert_non_null(PROBE(TH_KDATA, 0));
    /* to PCID 1 (flushing PCID 1): PCID 0's entries stay */
    R(R_RAX) = h->cr3 | 1;
    KRUN(K_WRCR3, 1);
    assert_int_equal(C->mmu.pcid, 1);
    assert_int_equal(cpu_read_cr(C, 3), h->cr3 | 1);
    assert_non_null(PROBE(TH_KDATA, 0));
    kload(TH_KDATA);
    assert_non_null(PROBE(TH_KDATA, 1));
    /* back to PCID 0 with bit 63 (no flush): its entry is still there and hits, no walk */
    R(R_RAX) = h->cr3 | CR3_NOFLUSH;
    KRUN(K_WRCR3, 1);
    assert_int_equal(cpu_read_cr(C, 3), h->cr3); /* bit 63 is not stored */
    assert_non_null(PROBE(TH_KDATA, 0));
    assert_non_null(PROBE(TH_KDATA, 1));
    cpu_tlb_sync(C);
    uint64_t hits = ts->dtlb_hits, walks = mmu_stats(C->walker)->walks;
    kload(TH_KDATA);
    cpu_tlb_sync(C);
    assert_int_equal(ts->dtlb_hits, hits + 1);
    assert_int_equal(mmu_stats(C->walker)->walks, walks + 0); /* the code page's iTLB entry too */
    /* PCID 0 again without bit 63: PCID 0 flushed, PCID 1 kept */
    R(R_RAX) = h->cr3;
    KRUN(K_WRCR3, 1);
    assert_null(PROBE(TH_KDATA, 0));
    assert_non_null(PROBE(TH_KDATA, 1));
    /* setting PCIDE while CR3 has a PCID: #GP */
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE), 0);
    assert_null(PROBE(TH_KDATA, 1)); /* clearing PCIDE flushes everything */
    C->sys.cr3 = h->cr3 | 5;
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE | CR4_PCIDE), -1);
    C->sys.cr3 = h->cr3;
    /* mov cr3 with bit 63 and PCIDE off: #GP */
    R(R_RAX) = h->cr3 | CR3_NOFLUSH;
    KFAULT(K_WRCR3, X86_GP, 0);
    C->timing = EMU_TIMING_OFF;
}

static void invpcid(uint64_t type, uint64_t pcid, uint64_t va)
{
    uint64_t d[2] = {pcid, va};
    memcpy(th_ptr(h, KSP - 0x100), d, 16); /* not on the pages whose translations are checked */
    R(R_RAX) = type;
    R(R_RBX) = KSP - 0x100;
    KRUN(K_INVPCID, 200);
}

static void test_tlb_invlpg_invpcid(void **s)
{
    (void)s;
    kmode();
    C->timing = EMU_TIMING_TLB;
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE | CR4_PGE | CR4_PCIDE), 0);
    uint64_t other = TH_KDATA + 0x1000;
    /* INVLPG: the current PCID's entry for the page */
    kload(TH_KDATA);
    kload(other);
    R(R_RBX) = TH_KDATA;
    KRUN(K_INVLPG, 1);
    assert_null(PROBE(TH_KDATA, 0));
    assert_non_null(PROBE(other, 0));
    /* INVPCID type 0: one address of one PCID (PCID 1 while running under 0) */
    assert_int_equal(cpu_write_cr(C, 3, h->cr3 | 1), 0);
    kload(TH_KDATA);
    kload(other);
    assert_int_equal(cpu_write_cr(C, 3, h->cr3 | CR3_NOFLUSH), 0);
    invpcid(0, 1, TH_KDATA);
    assert_int_equal(th_rec(h)->count, 0);
    assert_null(PROBE(TH_KDATA, 1));
    assert_non_null(PROBE(other, 1));
    assert_non_null(PROBE(other, 0));
    /* type 1: one PCID */
    invpcid(1, 1, 0);
    assert_null(PROBE(other, 1));
    assert_non_null(PROBE(other, 0));
    /* type 3: everything but global entries; type 2: everything */
    uint64_t pte = leaf_pte_pa(TH_KDATA);
    pa_wr(pte, pa_rd(pte) | PTE_G);
    kload(TH_KDATA);
    assert_true(tlb_entry_global(PROBE(TH_KDATA, 0)));
    invpcid(3, 0, 0);
    assert_non_null(PROBE(TH_KDATA, 0));
    assert_null(PROBE(other, 0));
    invpcid(2, 0, 0);
    assert_null(PROBE(TH_KDATA, 0));
    pa_wr(pte, pa_rd(pte) & ~PTE_G);
    /* errors: type > 3, bits 63:12 of the PCID field, a non-canonical type-0 address */
    invpcid(4, 0, 0);
    expect_fault(X86_GP, 0);
    invpcid(1, 1ull << 12, 0);
    expect_fault(X86_GP, 0);
    invpcid(0, 0, 0x0000800000000000ull);
    expect_fault(X86_GP, 0);
    /* with PCIDE off, a non-zero PCID for types 0 and 1 */
    assert_int_equal(cpu_write_cr(C, 3, h->cr3), 0);
    assert_int_equal(cpu_write_cr(C, 4, CR4_PAE), 0);
    invpcid(1, 1, 0);
    expect_fault(X86_GP, 0);
    invpcid(2, 0, 0);
    assert_int_equal(th_rec(h)->count, 0);
    C->timing = EMU_TIMING_OFF;
}

/* Functional translation caches (timing off): a changed PTE is not seen until INVLPG (as with a
 * TLB), and INVLPG of any address of a 2 MiB page drops the translations of all of it. */
static void test_invlpg_functional(void **s)
{
    (void)s;
    kmode();
    uint64_t pte = leaf_pte_pa(TH_KDATA), old = pa_rd(pte);
    uint64_t pa2 = (old & PTE_ADDR_MASK) + 0x1000; /* TH_KDATA + 0x1000's frame */
    th_wr64(h, TH_KDATA, 0x1111);
    th_wr64(h, TH_KDATA + 0x1000, 0x2222);
    kload(TH_KDATA);
    assert_int_equal(R(R_RAX), 0x1111);
    pa_wr(pte, (old & ~PTE_ADDR_MASK) | pa2);
    kload(TH_KDATA);
    assert_int_equal(R(R_RAX), 0x1111); /* the cached translation */
    R(R_RBX) = TH_KDATA;
    KRUN(K_INVLPG, 1);
    kload(TH_KDATA);
    assert_int_equal(R(R_RAX), 0x2222);
    pa_wr(pte, old);
    assert_int_equal(cpu_write_cr(C, 3, h->cr3), 0);
    kload(TH_KDATA);
    assert_int_equal(R(R_RAX), 0x1111);

    /* a 2 MiB page at 0x40000000 (PDPT entry 1 of the harness's first PDPT) */
    uint64_t pdpte0 = leaf_pte_pa(TH_CODE);
    mmu_result_t r;
    mmu_ctx_t ctx = C->mmu;
    assert_int_equal(mmu_translate(h->m->dram, &ctx, TH_CODE, MMU_READ, &r), 0);
    pdpte0 = r.pte_pa[1];
    uint64_t pd = 0x380000;
    memset(dram_host(h->m->dram, pd), 0, 4096);
    pa_wr((pdpte0 & ~0xfffull) + 8, pd | PTE_P | PTE_RW);
    pa_wr(pd, 0x400000 | PTE_P | PTE_RW | PTE_PS | PTE_NX);
    pa_wr(0x400000 + 0x1008, 0xaaaa);
    pa_wr(0x600000 + 0x1008, 0xbbbb);
    kload(0x40000000);
    kload(0x40001008);
    assert_int_equal(R(R_RAX), 0xaaaa);
    pa_wr(pd, 0x600000 | PTE_P | PTE_RW | PTE_PS | PTE_NX);
    R(R_RBX) = 0x40000000;
    KRUN(K_INVLPG, 1);
    kload(0x40001008);
    assert_int_equal(R(R_RAX), 0xbbbb);
    pa_wr((pdpte0 & ~0xfffull) + 8, 0);
    assert_int_equal(cpu_write_cr(C, 3, h->cr3), 0);
}

/* Translation-cache entries filled at CPL 0 must not serve CPL 3. */
static void test_cpl_change_drops_supervisor_translations(void **s)
{
    (void)s;
    kmode();
    th_rec_t *r = th_rec(h);
    /* the kernel reads TH_KDATA (cached), then iretq to user code that reads it */
    uint8_t code[16];
    memcpy(code, K_LOAD, 3);
    memcpy(code + 3, K_IRETQ, 2);
    th_kcode(h, code, 5);
    uint64_t frame[5] = {TH_CODE, TH_UCS, 0x202, TH_STACK_TOP, TH_UDS};
    memcpy(th_ptr(h, KSP), frame, sizeof(frame));
    C->r[R_RSP] = KSP;
    th_code(h, U_LOAD, 3);
    C->rip = TH_KCODE;
    R(R_RBX) = TH_KDATA;
    memset(r, 0, offsetof(th_rec_t, action));
    th_run(h, 100);
    expect_fault(X86_PF, PF_P | PF_U);
    assert_int_equal(r->rip, TH_CODE);
    assert_int_equal(r->cs, TH_UCS);
}

static void test_cpuid_features(void **s)
{
    (void)s;
    uint32_t o[4];
    cpu_cpuid(C, 1, 0, o);
    assert_true(o[3] & (1u << 13)); /* PGE */
    assert_true(o[3] & (1u << 5));  /* MSR */
    assert_true(o[3] & (1u << 6));  /* PAE */
    assert_true(o[3] & (1u << 16)); /* PAT */
    assert_false(o[3] & (1u << 9)); /* no APIC */
    assert_false(o[3] & (1u << 11)); /* no SEP */
    assert_true(o[2] & (1u << 17)); /* PCID */
    assert_false(o[2] & (1u << 21)); /* no x2APIC */
    cpu_cpuid(C, 7, 0, o);
    assert_int_equal(o[1], 1u << 10); /* INVPCID; no SMEP, SMAP, FSGSBASE */
    cpu_cpuid(C, 0x80000001u, 0, o);
    assert_true(o[3] & (1u << 27)); /* RDTSCP */
    assert_true(o[3] & (1u << 26)); /* 1 GiB pages */
    assert_true(o[3] & (1u << 11)); /* SYSCALL */
    assert_true(o[3] & (1u << 20)); /* NX */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_registers),
        cmocka_unit_test(test_privileged_at_cpl3),
        cmocka_unit_test(test_msrs),
        cmocka_unit_test(test_tsc),
        cmocka_unit_test(test_descriptor_tables),
        cmocka_unit_test(test_swapgs_and_segments),
        cmocka_unit_test(test_exceptions_at_cpl0),
        cmocka_unit_test(test_exceptions_from_cpl3),
        cmocka_unit_test(test_ist),
        cmocka_unit_test(test_iretq_and_int),
        cmocka_unit_test(test_iret_checks),
        cmocka_unit_test(test_syscall_sysret),
        cmocka_unit_test(test_double_fault),
        cmocka_unit_test(test_triple_fault),
        cmocka_unit_test(test_external_interrupts),
        cmocka_unit_test(test_hlt),
        cmocka_unit_test(test_port_io),
        cmocka_unit_test(test_popf_and_cli_sti),
        cmocka_unit_test(test_tlb_cr3_pcid),
        cmocka_unit_test(test_tlb_invlpg_invpcid),
        cmocka_unit_test(test_invlpg_functional),
        cmocka_unit_test(test_cpl_change_drops_supervisor_translations),
        cmocka_unit_test(test_cpuid_features),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
