/* fpu_state: the FXSAVE image of the x87 and SSE state, used by fxsave/fxrstor, by signal
 * frames (the fpstate of a Linux ucontext is this image) and by anything that saves a context.
 *
 * Layout (Intel SDM vol. 1, table 10-2, 64-bit form): 0 FCW, 2 FSW (with TOP), 4 abridged FTW,
 * 6 FOP, 8 FPU IP (64 bits), 16 FPU DP (64 bits), 24 MXCSR, 28 MXCSR_MASK, 32 ST0..ST7 (16 bytes
 * each, 10 used, in stack order: ST0 first), 160 XMM0..XMM15, 416..511 reserved (zero here).
 */
#include <string.h>

#include "emu/cpu.h"

/* The MXCSR bits this CPU supports (no DAZ-less parts): FZ, RC, masks, DAZ, flags. */
#define MXCSR_MASK 0xffffu

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

void cpu_fxsave(const cpu_t *c, uint8_t out[512])
{
    memset(out, 0, 512);
    put16(out + 0, c->fpu_cw);
    put16(out + 2, (uint16_t)((c->fpu_sw & ~0x3800u) | ((unsigned)(c->fpu_top & 7) << 11)));
    out[4] = c->fpu_ftw;
    put16(out + 6, c->fpu_fop);
    put64(out + 8, c->fpu_ip);
    put64(out + 16, c->fpu_dp);
    put32(out + 24, c->mxcsr);
    put32(out + 28, MXCSR_MASK);
    for (int i = 0; i < 8; i++)
        memcpy(out + 32 + 16 * i, &c->fpr[(c->fpu_top + i) & 7], 10);
    for (int i = 0; i < 16; i++)
        memcpy(out + 160 + 16 * i, &c->xmm[i], 16);
}

int cpu_fxrstor(cpu_t *c, const uint8_t in[512])
{
    uint32_t mxcsr = get32(in + 24);
    if (mxcsr & ~MXCSR_MASK)
        return -1;
    uint16_t sw = get16(in + 2);
    /* The control word keeps the bits that exist (bit 6 reads as 1), as fldcw does; ES and B
     * follow the exception flags and masks (emu/exec_x87.c). */
    c->fpu_cw = (uint16_t)((get16(in + 0) & 0x1f3fu) | 0x40u);
    c->fpu_top = (uint8_t)((sw >> 11) & 7);
    c->fpu_sw = (uint16_t)(sw & ~0x3800u & ~0x8080u);
    if (c->fpu_sw & ~c->fpu_cw & 0x3fu)
        c->fpu_sw |= 0x8080u;
    c->fpu_ftw = in[4];
    c->fpu_fop = (uint16_t)(get16(in + 6) & 0x7ff);
    c->fpu_ip = get64(in + 8);
    c->fpu_dp = get64(in + 16);
    c->mxcsr = mxcsr;
    for (int i = 0; i < 8; i++) {
        long double v = 0;
        memcpy(&v, in + 32 + 16 * i, 10);
        c->fpr[(c->fpu_top + i) & 7] = v;
    }
    for (int i = 0; i < 16; i++)
        memcpy(&c->xmm[i], in + 160 + 16 * i, 16);
    return 0;
}

void cpu_fpu_reset(cpu_t *c)
{
    c->fpu_cw = 0x37f;
    c->fpu_sw = 0;
    c->fpu_top = 0;
    c->fpu_ftw = 0;
    c->fpu_fop = 0;
    c->fpu_ip = 0;
    c->fpu_dp = 0;
    memset(c->fpr, 0, sizeof(c->fpr));
    c->mxcsr = 0x1f80;
}
