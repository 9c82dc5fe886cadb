/* cpu_harness: see cpu_harness.h. Test-only code. */
#include "tests/unit/cpu_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dram/dram.h"
#include "emu/config.h"
#include "emu/emu.h"
#include "mmu/mmu.h"

#include <sys/mman.h>

/* Physical layout. */
#define PT_BASE 0x100000ull   /* page-table frames are allocated from here */
#define PA_CODE 0x200000ull
#define PA_DATA 0x210000ull
#define PA_RO 0x220000ull
#define PA_STACK 0x230000ull

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
    h->c->mmu.cr3 = cr3;
    h->c->mmu.levels = 4;
    cpu_flush_tlb(h->c);
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
}

void th_code(th_t *h, const void *bytes, size_t n)
{
    memset(th_ptr(h, TH_CODE), 0xcc, 4096);
    memset(th_ptr(h, TH_CODE + 4096), 0xcc, 4096);
    memcpy(th_ptr(h, TH_CODE), bytes, n);
    cpu_flush_code(h->c);
    h->c->rip = TH_CODE;
}

int th_run(th_t *h, uint64_t n)
{
    h->m->stop = 0;
    h->c->fault_vector = -1;
    cpu_run(h->c, n);
    return h->m->stop ? h->c->fault_vector : -1;
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
