/* cpu_harness: see cpu_harness.h. Test-only code. */
#include "tests/unit/cpu_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dram/dram.h"
#include "emu/config.h"
#include "emu/emu.h"
#include "mmu/mmu.h"
#include "tlb/tlb.h"

#include <sys/mman.h>

/* Physical layout. */
#define PT_BASE 0x100000ull   /* page-table frames are allocated from here */
#define PA_CODE 0x200000ull
#define PA_DATA 0x210000ull
#define PA_RO 0x220000ull
#define PA_STACK 0x230000ull
#define PA_K 0x300000ull      /* the kernel area: TH_K + x at PA_K + x */

static uint64_t next_pt;

static uint64_t pt_alloc(dram_t *d)
{
    uint64_t pa = next_pt;
    next_pt += 4096;
    memset(dram_host(d, pa), 0, 4096);
    return pa;
}

static void map_page(dram_t *d, uint64_t cr3, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t table = cr3;
    for (int shift = 39; shift > 12; shift -= 9) {
        uint8_t *e = dram_host(d, table + ((va >> shift) & 0x1ff) * 8);
        uint64_t v;
        memcpy(&v, e, 8);
        if (!(v & PTE_P)) {
            v = pt_alloc(d) | PTE_P | PTE_RW | PTE_US;
            memcpy(e, &v, 8);
        }
        table = v & PTE_ADDR_MASK;
    }
    uint64_t leaf = pa | flags;
    memcpy(dram_host(d, table + ((va >> 12) & 0x1ff) * 8), &leaf, 8);
}

/* The common routine of the recording stubs (tests/unit/cpu_harness.h), assembled from:
 *     push %rax; push %rbx; movabs $TH_REC, %rbx; incq (%rbx)
 *     mov 16(%rsp),%rax; mov %rax,8(%rbx)     (vector)   ... the same for the error code, rip,
 *     cs, rflags, rsp, ss at 24..64(%rsp) into 16..56(%rbx)
 *     lea 32(%rsp),%rax; mov %rax,64(%rbx)    (frame)
 *     mov %cr2,%rax; mov %rax,72(%rbx); xor %eax,%eax; mov %cs,%ax; mov %rax,96(%rbx)
 *     mov (%rbx),%rax; dec %rax; and $15,%rax; push %rcx; mov 24(%rsp),%rcx
 *     mov %rcx,128(%rbx,%rax,8); pop %rcx     (log)
 *     cmpq $0,80(%rbx); je 1f; mov 88(%rbx),%rax; add %rax,32(%rsp)
 *     pop %rbx; pop %rax; add $16,%rsp; iretq
 *  1: hlt; jmp 1b                              */
static const uint8_t stub_common[155] = {
    0x50, 0x53, 0x48, 0xbb, 0x00, 0x80, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0x48, 0xff, 0x03, 0x48, 0x8b, 0x44,
    0x24, 0x10, 0x48, 0x89, 0x43, 0x08, 0x48, 0x8b, 0x44, 0x24, 0x18, 0x48, 0x89, 0x43, 0x10, 0x48, 0x8b, 0x44,
    0x24, 0x20, 0x48, 0x89, 0x43, 0x18, 0x48, 0x8b, 0x44, 0x24, 0x28, 0x48, 0x89, 0x43, 0x20, 0x48, 0x8b, 0x44,
    0x24, 0x30, 0x48, 0x89, 0x43, 0x28, 0x48, 0x8b, 0x44, 0x24, 0x38, 0x48, 0x89, 0x43, 0x30, 0x48, 0x8b, 0x44,
    0x24, 0x40, 0x48, 0x89, 0x43, 0x38, 0x48, 0x8d, 0x44, 0x24, 0x20, 0x48, 0x89, 0x43, 0x40, 0x0f, 0x20, 0xd0,
    0x48, 0x89, 0x43, 0x48, 0x31, 0xc0, 0x66, 0x8c, 0xc8, 0x48, 0x89, 0x43, 0x60, 0x48, 0x8b, 0x03, 0x48, 0xff,
    0xc8, 0x48, 0x83, 0xe0, 0x0f, 0x51, 0x48, 0x8b, 0x4c, 0x24, 0x18, 0x48, 0x89, 0x8c, 0xc3, 0x80, 0x00, 0x00,
    0x00, 0x59, 0x48, 0x83, 0x7b, 0x50, 0x00, 0x74, 0x11, 0x48, 0x8b, 0x43, 0x58, 0x48, 0x01, 0x44, 0x24, 0x20,
    0x5b, 0x58, 0x48, 0x83, 0xc4, 0x10, 0x48, 0xcf, 0xf4, 0xeb, 0xfd,
};

/* Vectors for which the processor pushes an error code. */
static int th_has_error(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

/* The kernel area: which pages are mapped, and how. */
static const struct {
    uint64_t va;
    int pages;
    uint64_t flags;
} kmap[] = {
    {TH_KCODE, 2, PTE_P},
    {TH_KSTUB, 3, PTE_P},                       /* stubs, common routine, halt stubs */
    {TH_GDT, 3, PTE_P | PTE_RW | PTE_NX},       /* GDT, IDT, TSS */
    {TH_REC, 1, PTE_P | PTE_RW | PTE_NX},
    {TH_KDATA, 2, PTE_P | PTE_RW | PTE_NX},
    {TH_KSTACK, 4, PTE_P | PTE_RW | PTE_NX},
    {TH_IST, 2, PTE_P | PTE_RW | PTE_NX},
};

static uint64_t seg_desc(uint32_t access_flags) { return 0xffffull | (uint64_t)access_flags << 40 | 0xfull << 48; }

/* GDT and TSS (rewritten by th_reset and th_kernel: tests change them). */
static void write_gdt_tss(th_t *h)
{
    uint8_t *g = th_ptr(h, TH_GDT);
    memset(g, 0, 4096);
    uint64_t d[9] = {0};
    d[1] = seg_desc(0xc09b); /* 0x08: 32-bit kernel code */
    d[2] = seg_desc(0xa09b); /* 0x10: 64-bit kernel code (L) */
    d[3] = seg_desc(0xc093); /* 0x18: kernel data */
    d[4] = seg_desc(0xc0fb); /* 0x20: 32-bit user code */
    d[5] = seg_desc(0xc0f3); /* 0x28: user data */
    d[6] = seg_desc(0xa0fb); /* 0x30: 64-bit user code */
    memcpy(g, d, sizeof(d));
    uint8_t *t = th_ptr(h, TH_TSS);
    memset(t, 0, 4096);
    uint64_t rsp0 = TH_KSTACK_TOP, ist1 = TH_IST_TOP;
    memcpy(t + 4, &rsp0, 8);
    memcpy(t + 0x24, &ist1, 8);
}

/* The stubs (written once). */
static void build_stubs(th_t *h)
{
    uint8_t *st = th_ptr(h, TH_KSTUB);
    for (int v = 0; v < 256; v++) {
        uint8_t *p = st + 16 * v;
        int n = 0;
        if (!th_has_error(v)) {
            p[n++] = 0x6a; /* push $-1 */
            p[n++] = 0xff;
        }
        p[n++] = 0x68; /* push $v */
        uint32_t vv = (uint32_t)v;
        memcpy(p + n, &vv, 4);
        n += 4;
        p[n++] = 0xe9; /* jmp common */
        int32_t rel = (int32_t)((int64_t)TH_KCOMMON - (int64_t)(th_stub(v) + (uint64_t)n + 4));
        memcpy(p + n, &rel, 4);
        n += 4;
        memset(p + n, 0xcc, (size_t)(16 - n));
    }
    memset(th_ptr(h, TH_KCOMMON), 0xcc, 4096);
    memcpy(th_ptr(h, TH_KCOMMON), stub_common, sizeof(stub_common));
    uint8_t *hs = th_ptr(h, TH_KHALT);
    for (int v = 0; v < 256; v++) {
        static const uint8_t halt[16] = {0xf4, 0xeb, 0xfd, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
                                         0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc}; /* hlt; jmp .-1 */
        memcpy(hs + 16 * v, halt, 16);
    }
}

void th_set_gate(th_t *h, int v, uint64_t offset, int type, int dpl, int ist, int present)
{
    uint64_t lo = (offset & 0xffff) | (uint64_t)TH_KCS << 16 | (uint64_t)(ist & 7) << 32 |
                  (uint64_t)((present ? 0x80 : 0) | (dpl & 3) << 5 | (type & 0xf)) << 40 | ((offset >> 16) & 0xffff) << 48;
    uint64_t hi = offset >> 32;
    uint8_t *e = th_ptr(h, TH_IDT + 16ull * (unsigned)v);
    memcpy(e, &lo, 8);
    memcpy(e + 8, &hi, 8);
}

th_rec_t *th_rec(th_t *h) { return (th_rec_t *)(void *)th_ptr(h, TH_REC); }

/* The system registers both modes share: GDTR, IDTR, a loaded TSS (descriptor marked busy). */
static void load_tables(th_t *h)
{
    cpu_t *c = h->c;
    write_gdt_tss(h);
    uint8_t *g = th_ptr(h, TH_GDT);
    uint64_t base = TH_TSS, limit = 0x67;
    uint64_t lo = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x8bull << 40 | ((base >> 24) & 0xff) << 56;
    uint64_t hi = base >> 32;
    memcpy(g + TH_TSS_SEL, &lo, 8);
    memcpy(g + TH_TSS_SEL + 8, &hi, 8);
    c->sys.gdtr.base = TH_GDT;
    c->sys.gdtr.limit = 0x4f;
    c->sys.idtr.base = TH_IDT;
    c->sys.idtr.limit = 0xfff;
    c->sys.tr = TH_TSS_SEL;
    c->sys.tr_base = TH_TSS;
    c->sys.tr_limit = 0x67;
    c->sys.star = 0x23ull << 48 | (uint64_t)TH_KCS << 32;
}

/* User mode: a Linux process's state, gates to the halt stubs (DPL 3 for int3 and into). */
static void user_mode(th_t *h)
{
    cpu_t *c = h->c;
    cpu_sys_init(c);
    c->mmu.cr3 = h->cr3;
    cpu_sys_sync_mmu(c);
    cpu_flush_tlb(c);
    tlb_flush_all(c->tlb, 0);
    load_tables(h);
    for (int v = 0; v < 256; v++)
        th_set_gate(h, v, TH_KHALT + 16ull * (unsigned)v, 14, (v == 3 || v == 4) ? 3 : 0, 0, 1);
    h->kernel = 0;
}

void th_kernel(th_t *h)
{
    cpu_t *c = h->c;
    cpu_sys_boot(c);
    c->sys.efer |= EFER_NXE | EFER_SCE;
    cpu_sys_sync_mmu(c);
    load_tables(h);
    for (int v = 0; v < 256; v++)
        th_set_gate(h, v, th_stub(v), 14, (v == 3 || v == 4 || v == 0x80) ? 3 : 0, 0, 1);
    memset(th_rec(h), 0, sizeof(th_rec_t));
    c->r[R_RSP] = TH_KSTACK_TOP - 0x1000;
    c->rip = TH_KCODE;
    h->kernel = 1;
}

void th_kcode(th_t *h, const void *bytes, size_t n)
{
    memset(th_ptr(h, TH_KCODE), 0xf4, 8192); /* hlt after the code */
    memcpy(th_ptr(h, TH_KCODE), bytes, n);
    cpu_flush_code(h->c);
    h->c->rip = TH_KCODE;
    h->c->sys.halted = 0;
}

void th_to_user(th_t *h, uint64_t rip, uint64_t rsp)
{
    cpu_t *c = h->c;
    c->sys.sel[SREG_CS] = TH_UCS;
    c->sys.sel[SREG_SS] = TH_UDS;
    cpu_set_cpl(c, 3);
    c->rip = rip;
    c->r[R_RSP] = rsp;
    cpu_set_rflags(c, cpu_get_rflags(c) | FL_IF);
}

th_t *th_new(void)
{
    config_t cfg;
    char err[256];
    config_defaults(&cfg);
    th_t *h = calloc(1, sizeof(*h));
    h->m = emu_new(&cfg, EMU_MODE_SE, err, sizeof(err));
    if (!h->m) {
        fprintf(stderr, "th_new: %s\n", err);
        abort();
    }
    /* No SE process is loaded: let exceptions end the run through the full-system path
     * (machine_fail), which records the vector without needing a process. */
    h->m->mode = EMU_MODE_FS;
    h->c = h->m->cpus[0];
    dram_t *d = h->m->dram;
    next_pt = PT_BASE;
    uint64_t cr3 = pt_alloc(d);
    for (int k = 0; k < 2; k++)
        map_page(d, cr3, TH_CODE + 4096ull * k, PA_CODE + 4096ull * k, PTE_P | PTE_US);
    for (int k = 0; k < 4; k++)
        map_page(d, cr3, TH_DATA + 4096ull * k, PA_DATA + 4096ull * k, PTE_P | PTE_RW | PTE_US | PTE_NX);
    map_page(d, cr3, TH_RO, PA_RO, PTE_P | PTE_US | PTE_NX);
    for (int k = 0; k < 4; k++)
        map_page(d, cr3, TH_STACK + 4096ull * k, PA_STACK + 4096ull * k, PTE_P | PTE_RW | PTE_US | PTE_NX);
    for (size_t k = 0; k < sizeof(kmap) / sizeof(kmap[0]); k++)
        for (int p = 0; p < kmap[k].pages; p++) {
            uint64_t va = kmap[k].va + 4096ull * (unsigned)p;
            map_page(d, cr3, va, PA_K + (va - TH_K), kmap[k].flags);
        }
    h->c->mmu.cr3 = cr3;
    h->c->mmu.levels = 4;
    h->cr3 = cr3;
    build_stubs(h);
    th_reset(h);
    return h;
}

void th_free(th_t *h)
{
    if (!h) return;
    emu_free(h->m);
    free(h);
}

uint8_t *th_ptr(th_t *h, uint64_t va)
{
    dram_t *d = h->m->dram;
    uint64_t off = va & 0xfff;
    if (va >= TH_CODE && va < TH_CODE + 0x2000) return dram_host(d, PA_CODE + (va - TH_CODE - off)) + off;
    if (va >= TH_DATA && va < TH_DATA + 0x4000) return dram_host(d, PA_DATA + (va - TH_DATA - off)) + off;
    if (va >= TH_RO && va < TH_RO + 0x1000) return dram_host(d, PA_RO) + off;
    if (va >= TH_STACK && va < TH_STACK + 0x4000) return dram_host(d, PA_STACK + (va - TH_STACK - off)) + off;
    for (size_t k = 0; k < sizeof(kmap) / sizeof(kmap[0]); k++)
        if (va >= kmap[k].va && va < kmap[k].va + 4096ull * (unsigned)kmap[k].pages)
            return dram_host(d, PA_K + (va - TH_K));
    fprintf(stderr, "th_ptr: 0x%llx is not mapped by the harness\n", (unsigned long long)va);
    abort();
}

uint64_t th_rd64(th_t *h, uint64_t va)
{
    uint64_t v;
    memcpy(&v, th_ptr(h, va), 8);
    return v;
}

void th_wr64(th_t *h, uint64_t va, uint64_t v) { memcpy(th_ptr(h, va), &v, 8); }

void th_reset(th_t *h)
{
    cpu_t *c = h->c;
    memset(c->r, 0, sizeof(c->r));
    memset(c->xmm, 0, sizeof(c->xmm));
    cpu_set_rflags(c, 0x202);
    c->r[R_RSP] = TH_STACK_TOP;
    c->fs_base = c->gs_base = 0;
    c->mxcsr = 0x1f80;
    for (int k = 0; k < 4; k++) memset(th_ptr(h, TH_DATA + 4096ull * k), 0, 4096);
    for (int k = 0; k < 4; k++) memset(th_ptr(h, TH_STACK + 4096ull * k), 0, 4096);
    memset(th_ptr(h, TH_RO), 0, 4096);
    for (int k = 0; k < 2; k++) memset(th_ptr(h, TH_KDATA + 4096ull * k), 0, 4096);
    for (int k = 0; k < 4; k++) memset(th_ptr(h, TH_KSTACK + 4096ull * k), 0, 4096);
    for (int k = 0; k < 2; k++) memset(th_ptr(h, TH_IST + 4096ull * k), 0, 4096);
    memset(th_ptr(h, TH_REC), 0, 4096);
    user_mode(h);
}

void th_code(th_t *h, const void *bytes, size_t n)
{
    memset(th_ptr(h, TH_CODE), 0xcc, 4096);
    memset(th_ptr(h, TH_CODE + 4096), 0xcc, 4096);
    memcpy(th_ptr(h, TH_CODE), bytes, n);
    cpu_flush_code(h->c);
    h->c->rip = TH_CODE;
    h->c->sys.halted = 0;
}

/* User mode: the CPU stopped in a halt stub. Undo the delivery from the frame on the kernel
 * stack and return the vector. */
static int unwind(th_t *h)
{
    cpu_t *c = h->c;
    int v = (int)((c->rip - TH_KHALT) / 16);
    uint64_t sp = c->r[R_RSP], err = 0;
    if (c->sys.dv.kind == EV_EXCEPTION && th_has_error(v)) {
        err = th_rd64(h, sp);
        sp += 8;
    }
    uint64_t rip = th_rd64(h, sp), cs = th_rd64(h, sp + 8), fl = th_rd64(h, sp + 16);
    uint64_t rsp = th_rd64(h, sp + 24), ss = th_rd64(h, sp + 32);
    c->sys.halted = 0;
    c->sys.sel[SREG_CS] = (uint16_t)cs;
    c->sys.sel[SREG_SS] = (uint16_t)ss;
    cpu_set_cpl(c, (int)(cs & 3));
    c->rip = rip;
    c->r[R_RSP] = rsp;
    cpu_set_rflags(c, fl);
    c->fault_vector = v;
    c->fault_error = (uint32_t)err;
    c->fault_addr = v == X86_PF ? c->sys.cr2 : 0;
    return v;
}

int th_run(th_t *h, uint64_t n)
{
    cpu_t *c = h->c;
    h->m->stop = 0;
    c->fault_vector = -1;
    cpu_run(c, n);
    if (h->m->stop)
        return c->fault_vector;
    if (!h->kernel && c->sys.cpl == 0 && c->rip >= TH_KHALT && c->rip < TH_KHALT + 4096) {
        if (!c->sys.halted)
            cpu_run(c, 1); /* the budget ran out (a trap): execute the hlt */
        return unwind(h);
    }
    return -1;
}

int th_exec1(th_t *h, const void *bytes, size_t n)
{
    th_code(h, bytes, n);
    return th_run(h, 1);
}

uint64_t th_flags(th_t *h) { return cpu_get_rflags(h->c); }

void th_get_state(th_t *h, th_state_t *st)
{
    memcpy(st->r, h->c->r, sizeof(st->r));
    st->flags = cpu_get_rflags(h->c);
    memcpy(st->xmm, h->c->xmm, sizeof(st->xmm));
}

void th_set_state(th_t *h, const th_state_t *st)
{
    uint64_t sp = h->c->r[R_RSP];
    memcpy(h->c->r, st->r, sizeof(st->r));
    h->c->r[R_RSP] = sp;
    cpu_set_rflags(h->c, (st->flags & (FL_ARITH | FL_DF)) | 0x202);
    memcpy(h->c->xmm, st->xmm, sizeof(st->xmm));
}

/* ---- native execution ----------------------------------------------------------------------
 * The trampoline (rdi = th_state_t *): save callee-saved registers, push the state pointer, load
 * RFLAGS, xmm0-15 and every register but rsp from the state, run the code, swap the state
 * pointer back in with xchg (no flag change), store everything, clear DF, return. */
static const uint8_t native_prologue[213] = {
    0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57, 0xff, 0xb7, 0x80, 0x00, 0x00,
    0x00, 0x9d, 0xf3, 0x0f, 0x6f, 0x87, 0x90, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x6f, 0x8f, 0xa0, 0x00,
    0x00, 0x00, 0xf3, 0x0f, 0x6f, 0x97, 0xb0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x6f, 0x9f, 0xc0, 0x00,
    0x00, 0x00, 0xf3, 0x0f, 0x6f, 0xa7, 0xd0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x6f, 0xaf, 0xe0, 0x00,
    0x00, 0x00, 0xf3, 0x0f, 0x6f, 0xb7, 0xf0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x6f, 0xbf, 0x00, 0x01,
    0x00, 0x00, 0xf3, 0x44, 0x0f, 0x6f, 0x87, 0x10, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x6f, 0x8f,
    0x20, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x6f, 0x97, 0x30, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f,
    0x6f, 0x9f, 0x40, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x6f, 0xa7, 0x50, 0x01, 0x00, 0x00, 0xf3,
    0x44, 0x0f, 0x6f, 0xaf, 0x60, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x6f, 0xb7, 0x70, 0x01, 0x00,
    0x00, 0xf3, 0x44, 0x0f, 0x6f, 0xbf, 0x80, 0x01, 0x00, 0x00, 0x48, 0x8b, 0x07, 0x48, 0x8b, 0x4f,
    0x08, 0x48, 0x8b, 0x57, 0x10, 0x48, 0x8b, 0x5f, 0x18, 0x48, 0x8b, 0x6f, 0x28, 0x48, 0x8b, 0x77,
    0x30, 0x4c, 0x8b, 0x47, 0x40, 0x4c, 0x8b, 0x4f, 0x48, 0x4c, 0x8b, 0x57, 0x50, 0x4c, 0x8b, 0x5f,
    0x58, 0x4c, 0x8b, 0x67, 0x60, 0x4c, 0x8b, 0x6f, 0x68, 0x4c, 0x8b, 0x77, 0x70, 0x4c, 0x8b, 0x7f,
    0x78, 0x48, 0x8b, 0x7f, 0x38,
};
static const uint8_t native_epilogue[221] = {
    0x48, 0x87, 0x3c, 0x24, 0x48, 0x89, 0x07, 0x48, 0x89, 0x4f, 0x08, 0x48, 0x89, 0x57, 0x10, 0x48,
    0x89, 0x5f, 0x18, 0x48, 0x89, 0x6f, 0x28, 0x48, 0x89, 0x77, 0x30, 0x4c, 0x89, 0x47, 0x40, 0x4c,
    0x89, 0x4f, 0x48, 0x4c, 0x89, 0x57, 0x50, 0x4c, 0x89, 0x5f, 0x58, 0x4c, 0x89, 0x67, 0x60, 0x4c,
    0x89, 0x6f, 0x68, 0x4c, 0x89, 0x77, 0x70, 0x4c, 0x89, 0x7f, 0x78, 0xf3, 0x0f, 0x7f, 0x87, 0x90,
    0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0x8f, 0xa0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0x97, 0xb0,
    0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0x9f, 0xc0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0xa7, 0xd0,
    0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0xaf, 0xe0, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0xb7, 0xf0,
    0x00, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0xbf, 0x00, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x7f, 0x87,
    0x10, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x7f, 0x8f, 0x20, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f,
    0x7f, 0x97, 0x30, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x7f, 0x9f, 0x40, 0x01, 0x00, 0x00, 0xf3,
    0x44, 0x0f, 0x7f, 0xa7, 0x50, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x7f, 0xaf, 0x60, 0x01, 0x00,
    0x00, 0xf3, 0x44, 0x0f, 0x7f, 0xb7, 0x70, 0x01, 0x00, 0x00, 0xf3, 0x44, 0x0f, 0x7f, 0xbf, 0x80,
    0x01, 0x00, 0x00, 0x9c, 0x58, 0x48, 0x89, 0x87, 0x80, 0x00, 0x00, 0x00, 0x58, 0x48, 0x89, 0x47,
    0x38, 0xfc, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3,
};

#if defined(__x86_64__)
static uint8_t *native_page;
static int native_state; /* 0 untried, 1 ready, -1 unavailable */

static int native_init(void)
{
    if (native_state)
        return native_state;
    native_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *data = mmap((void *)(uintptr_t)TH_DATA, 0x4000, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    native_state = (native_page != MAP_FAILED && data == (void *)(uintptr_t)TH_DATA) ? 1 : -1;
    return native_state;
}

int th_native(const void *code, size_t n, th_state_t *st)
{
    if (native_init() < 0 || n > 4096 - sizeof(native_prologue) - sizeof(native_epilogue))
        return -1;
    uint8_t *p = native_page;
    static size_t loaded_n = (size_t)-1;
    /* Rewriting the code page costs a pipeline flush per run: skip it when the code is the same. */
    if (n != loaded_n || memcmp(p + sizeof(native_prologue), code, n)) {
        memcpy(p, native_prologue, sizeof(native_prologue));
        memcpy(p + sizeof(native_prologue), code, n);
        memcpy(p + sizeof(native_prologue) + n, native_epilogue, sizeof(native_epilogue));
        __builtin___clear_cache((char *)p, (char *)p + 4096);
        loaded_n = n;
    }
    st->flags = (st->flags & (FL_ARITH | FL_DF)) | 0x202;
    ((void (*)(th_state_t *))(uintptr_t)p)(st);
    return 0;
}

int th_native_sync(th_t *h, int to)
{
    if (native_init() < 0)
        return -1;
    for (int k = 0; k < 4; k++) {
        uint8_t *emu = th_ptr(h, TH_DATA + 4096ull * k), *nat = (uint8_t *)(uintptr_t)(TH_DATA + 4096ull * k);
        if (to)
            memcpy(nat, emu, 4096);
        else if (memcmp(nat, emu, 4096))
            return 1;
    }
    return 0;
}
#else
int th_native(const void *code, size_t n, th_state_t *st)
{
    (void)code, (void)n, (void)st;
    return -1;
}
int th_native_sync(th_t *h, int to)
{
    (void)h, (void)to;
    return -1;
}
#endif
