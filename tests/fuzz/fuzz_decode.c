/* fuzz_decode: libFuzzer target for the decoder and the instruction handlers.
 *
 * For every input (random bytes, at most -max_len):
 *   (a) decode_insn() on every prefix of the input (avail = 0, 1, ..., 32 bytes), with checks of
 *       its contract: the result is 0 (too short) or a length 1..15 within the bytes available
 *       (only the "longer than 15 bytes" #GP may claim 15 with fewer), a handler, operand fields
 *       in range, #UD ends the block, and once the instruction fits, more bytes change nothing;
 *   (b) the bytes run as code on a small machine (tests/unit/cpu_harness.c: code, data, read-only
 *       and stack pages; registers pointing into the data area, which holds copies of the input)
 *       for at most RUN_INSNS instructions, twice: in user mode (CPL 3, as SE programs run; an
 *       exception goes through the IDT to a stub that halts, which ends the run) and in kernel
 *       mode (CPL 0, th_kernel(): the privileged instructions really run, on the harness's system
 *       tables; an exception goes to a recording stub that halts). Every run starts from the
 *       same machine: the CPU state and the harness's physical memory are restored first.
 * A broken check calls abort(); ASan and UBSan (the emulator is compiled with them, see the
 * fuzz-decoder rules of tests/tests.mk) catch the rest. So random code must never crash the
 * emulator.
 *
 * The emulator's "emu: exception ..." lines go to /dev/null (FUZZ_VERBOSE=1 keeps them); libFuzzer
 * and the sanitizers keep their own output.
 *
 *   make fuzz-decoder FUZZ_SECONDS=60
 *   build-fuzz/fuzz_decode CRASH_FILE          reproduce one input
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dram/dram.h"
#include "emu/exec.h"
#include "tests/unit/cpu_harness.h"

#define RUN_INSNS 256

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static th_t *h;
static cpu_t *initial; /* the CPU as th_new() left it */
/* The physical memory where the harness keeps everything (page tables, user pages, the kernel
 * area with its GDT, IDT, TSS and stubs), as th_new() left it: code at CPL 0 can write any of it. */
#define PHYS_LO 0x100000ull
#define PHYS_HI 0x400000ull
static uint8_t *phys_initial;

#define CHECK(cond)                                                                                   \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(fuzz_log, "fuzz_decode: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

static FILE *fuzz_log;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_log = stderr;
    if (!getenv("FUZZ_VERBOSE")) {
        /* The emulator prints through the stdio stream stderr; the sanitizers and libFuzzer write
         * to file descriptor 2 or to their own stream, which this does not touch. */
        FILE *null = fopen("/dev/null", "w");
        if (null) stderr = null;
    }
    h = th_new();
    initial = malloc(sizeof(*initial));
    phys_initial = malloc(PHYS_HI - PHYS_LO);
    uint8_t *phys = dram_host(h->m->dram, PHYS_LO);
    if (!initial || !phys_initial || !phys || !dram_host(h->m->dram, PHYS_HI - 1)) abort();
    memcpy(initial, h->c, sizeof(*initial));
    memcpy(phys_initial, phys, PHYS_HI - PHYS_LO);
    /* Everything the harness placed must lie in that range, or runs would not be reproducible. */
    static const uint64_t pages[] = {TH_CODE, TH_DATA, TH_RO, TH_STACK, TH_KCODE, TH_KSTUB, TH_GDT, TH_IDT,
                                     TH_TSS, TH_REC, TH_KDATA, TH_KSTACK, TH_IST};
    for (size_t k = 0; k < sizeof(pages) / sizeof(pages[0]); k++) {
        const uint8_t *p = th_ptr(h, pages[k]);
        CHECK(p >= phys && p < phys + (PHYS_HI - PHYS_LO));
    }
    CHECK(h->c->mmu.cr3 >= PHYS_LO && h->c->mmu.cr3 < PHYS_HI);
    return 0;
}

/* The contract of decode_insn() for one result. */
static void check_insn(const insn_t *i, int len, int ends, int avail)
{
    CHECK(len >= 1 && len <= 15);
    CHECK(i->fn != NULL);
    CHECK(i->len == len);
    CHECK(len <= avail || i->fn == h_gp_len);
    if (i->fn == h_gp_len) {
        CHECK(len == 15 && ends);
        return;
    }
    CHECK(i->osz == 1 || i->osz == 2 || i->osz == 4 || i->osz == 8 || i->osz == 16);
    CHECK(i->asz == 4 || i->asz == 8);
    CHECK(i->reg < 16 + 4 && i->rm < 16 + 4);
    CHECK(i->scale <= 3);
    CHECK(i->seg <= SEG_GS);
    CHECK(i->base <= EA_NONE && i->index <= EA_NONE);
    CHECK(i->index != EA_RIP && i->index != R_RSP);
    if (i->flags & INSN_MEM) {
        CHECK(i->base == EA_NONE || i->base == EA_RIP || i->base < 16);
        CHECK(i->base != EA_RIP || i->index == EA_NONE);
    } else {
        CHECK(i->base == EA_NONE && i->index == EA_NONE);
    }
    if (i->fn == h_ud) CHECK(ends);
}

static void check_decode(const uint8_t *data, size_t size)
{
    int lim = size < 32 ? (int)size : 32;
    insn_t full;
    int ends = 0;
    int len = decode_insn(data, lim, &full, &ends);
    CHECK(len >= 0 && len <= 15);
    if (len) check_insn(&full, len, ends, lim);
    for (int k = 0; k <= lim; k++) {
        insn_t i;
        int e = 0;
        int l = decode_insn(data, k, &i, &e);
        CHECK(l >= 0 && l <= 15);
        if (l == 0) {
            /* too short: only while the instruction does not fit */
            CHECK(len == 0 || full.fn == h_gp_len || k < len);
            continue;
        }
        check_insn(&i, l, e, k);
        /* fewer bytes never decode what more bytes do not */
        CHECK(len != 0);
        if (full.fn == h_gp_len) {
            CHECK(i.fn == h_gp_len);
        } else {
            /* it fits: the same decoding as with every byte available */
            CHECK(k >= len);
            CHECK(l == len && e == ends && memcmp(&i, &full, sizeof(i)) == 0);
        }
    }
}

/* Put the machine back as th_new() left it: the CPU state (system registers and x87 included) and
 * the pages th_reset() clears. The CPU structure is copied as is: the objects it points to (TLB
 * model, code cache) are the same. The rest of the harness's physical memory only code at CPL 0
 * can write: run_code() restores it after a run in kernel mode. */
static void restore(void)
{
    memcpy(h->c, initial, sizeof(*h->c));
    h->kernel = 0;
    cpu_flush_tlb(h->c);
    cpu_flush_code(h->c);
    th_reset(h);
}

static void run_code(const uint8_t *data, size_t size, int kernel)
{
    cpu_t *c = h->c;
    restore();
    if (kernel) th_kernel(h);
    /* The data area holds copies of the input (floating-point and string operands worth
     * reading); the registers point into it, rcx is a small count for rep and loop. */
    uint8_t *p0 = th_ptr(h, TH_DATA);
    size_t filled = size < 4096 ? size : 4096;
    memcpy(p0, data, filled);
    for (; filled < 4096; filled *= 2) memcpy(p0 + filled, p0, filled < 4096 - filled ? filled : 4096 - filled);
    for (uint64_t off = 4096; off < 0x4000; off += 4096) memcpy(th_ptr(h, TH_DATA + off), p0, 4096);
    uint64_t sp = c->r[R_RSP];
    for (int r = 0; r < 16; r++) c->r[r] = TH_DATA + 0x1000 + 0x100 * (uint64_t)r;
    c->r[R_RCX] = 16;
    c->r[R_RSP] = sp - 0x100;
    size_t n = size < 4096 ? size : 4096;
    if (kernel) th_kcode(h, data, n);
    else th_code(h, data, n);
    th_run(h, RUN_INSNS);
    if (kernel) memcpy(dram_host(h->m->dram, PHYS_LO), phys_initial, PHYS_HI - PHYS_LO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_decode(data, size);
    if (size) {
        run_code(data, size, 0);
        run_code(data, size, 1);
    }
    return 0;
}
