/* String instructions: rep movs{b,w,l,q}, rep stos*, repe/repne cmps*, repne scas*, lods*, forwards and
 * backwards (std), with counts 0 and 1, unaligned and overlapping buffers, and page-crossing copies;
 * then memcpy/memset of odd sizes between unaligned addresses (what the compiler and libc make of it).
 * Checks rdi/rsi/rcx after each instruction as well as memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "progs.h"

#define NOINLINE __attribute__((noinline))

static unsigned char mem[5 * 4096] __attribute__((aligned(4096)));
#define SPAN (3 * 4096) /* what fill() initialises and the checksums cover */
static uint64_t h = FNV_INIT;
static unsigned long ncases;

/* Word-at-a-time pattern fill and checksum: the loops around the instructions under test stay cheap. */
static void fill_words(void *p, size_t bytes, uint64_t s)
{
    uint64_t *w = p;
    for (size_t i = 0; i < bytes / 8; i++)
        w[i] = (i * 0x9e3779b97f4a7c15ULL) ^ (s * 0x0101010101010101ULL) ^ (i << 3);
}

static uint64_t hash_words(const void *p, size_t bytes, uint64_t h0)
{
    const uint64_t *w = p;
    uint64_t x = h0;
    for (size_t i = 0; i < bytes / 8; i++)
        x = mix64(x, w[i]);
    return x;
}

static void fill(uint64_t s)
{
    fill_words(mem, SPAN, s);
}

static void take(const char *what, uint64_t rdi, uint64_t rsi, uint64_t rcx, uint64_t rax, uint64_t flags)
{
    (void)what;
    h = mix64(mix64(mix64(mix64(mix64(h, rdi - (uint64_t)(uintptr_t)mem), rsi - (uint64_t)(uintptr_t)mem), rcx), rax),
              flags & 0x8d5);
    ncases++;
}

#define REP_MOVS(SUF)                                                                                   \
    static NOINLINE void rep_movs##SUF(size_t d, size_t s, uint64_t n, int back)                        \
    {                                                                                                   \
        uint64_t rdi = (uint64_t)(uintptr_t)(mem + d), rsi = (uint64_t)(uintptr_t)(mem + s), rcx = n;   \
        if (back)                                                                                       \
            __asm__ volatile("std\n\trep movs" #SUF "\n\tcld" : "+D"(rdi), "+S"(rsi), "+c"(rcx) : : "memory"); \
        else                                                                                            \
            __asm__ volatile("rep movs" #SUF : "+D"(rdi), "+S"(rsi), "+c"(rcx) : : "memory");           \
        take("movs", rdi, rsi, rcx, 0, 0);                                                              \
    }
REP_MOVS(b)
REP_MOVS(w)
REP_MOVS(l)
REP_MOVS(q)

#define REP_STOS(SUF)                                                                                   \
    static NOINLINE void rep_stos##SUF(size_t d, uint64_t n, uint64_t v, int back)                      \
    {                                                                                                   \
        uint64_t rdi = (uint64_t)(uintptr_t)(mem + d), rcx = n;                                         \
        if (back)                                                                                       \
            __asm__ volatile("std\n\trep stos" #SUF "\n\tcld" : "+D"(rdi), "+c"(rcx) : "a"(v) : "memory"); \
        else                                                                                            \
            __asm__ volatile("rep stos" #SUF : "+D"(rdi), "+c"(rcx) : "a"(v) : "memory");               \
        take("stos", rdi, (uint64_t)(uintptr_t)mem, rcx, v, 0);                                         \
    }
REP_STOS(b)
REP_STOS(w)
REP_STOS(l)
REP_STOS(q)

#define REP_CMPS(SUF, PFX)                                                                              \
    static NOINLINE void PFX##_cmps##SUF(size_t d, size_t s, uint64_t n, int back)                      \
    {                                                                                                   \
        uint64_t rdi = (uint64_t)(uintptr_t)(mem + d), rsi = (uint64_t)(uintptr_t)(mem + s), rcx = n, f; \
        if (back)                                                                                       \
            __asm__ volatile("lea -128(%%rsp), %%rsp\n\tstd\n\t" #PFX " cmps" #SUF                      \
                             "\n\tcld\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                   \
                             : "+D"(rdi), "+S"(rsi), "+c"(rcx), [f] "=r"(f) : : "memory", "cc");        \
        else                                                                                            \
            __asm__ volatile("lea -128(%%rsp), %%rsp\n\tcmp %%rcx, %%rcx\n\t" #PFX " cmps" #SUF         \
                             "\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                          \
                             : "+D"(rdi), "+S"(rsi), "+c"(rcx), [f] "=r"(f) : : "memory", "cc");        \
        take("cmps", rdi, rsi, rcx, 0, f);                                                              \
    }
REP_CMPS(b, repe)
REP_CMPS(w, repe)
REP_CMPS(l, repe)
REP_CMPS(q, repe)
REP_CMPS(b, repne)
REP_CMPS(q, repne)

#define REP_SCAS(SUF, PFX)                                                                              \
    static NOINLINE void PFX##_scas##SUF(size_t d, uint64_t n, uint64_t v, int back)                    \
    {                                                                                                   \
        uint64_t rdi = (uint64_t)(uintptr_t)(mem + d), rcx = n, f;                                      \
        if (back)                                                                                       \
            __asm__ volatile("lea -128(%%rsp), %%rsp\n\tstd\n\t" #PFX " scas" #SUF                      \
                             "\n\tcld\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                   \
                             : "+D"(rdi), "+c"(rcx), [f] "=r"(f) : "a"(v) : "memory", "cc");            \
        else                                                                                            \
            __asm__ volatile("lea -128(%%rsp), %%rsp\n\txor %%r8d, %%r8d\n\t" #PFX " scas" #SUF         \
                             "\n\tpushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"                          \
                             : "+D"(rdi), "+c"(rcx), [f] "=r"(f) : "a"(v) : "memory", "cc", "r8");      \
        take("scas", rdi, (uint64_t)(uintptr_t)mem, rcx, v, f);                                         \
    }
REP_SCAS(b, repne)
REP_SCAS(w, repne)
REP_SCAS(l, repe)
REP_SCAS(q, repe)

/* lods without rep, and single movs/stos/cmps (no prefix) */
static NOINLINE void singles(size_t d, size_t s)
{
    uint64_t rdi = (uint64_t)(uintptr_t)(mem + d), rsi = (uint64_t)(uintptr_t)(mem + s), rax = 0x1122334455667788ULL, f;
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "lodsb\n\tlodsw\n\tmovsb\n\tmovsl\n\tstosw\n\tlodsl\n\tstosq\n\tmovsq\n\tcmpsb\n\t"
                     "std\n\tlodsq\n\tstosb\n\tmovsw\n\tscasl\n\tcld\n\t"
                     "pushfq\n\tpopq %[f]\n\tlea 128(%%rsp), %%rsp"
                     : "+D"(rdi), "+S"(rsi), "+a"(rax), [f] "=r"(f)
                     :
                     : "memory", "cc");
    take("singles", rdi, rsi, 0, rax, f);
}

static const uint64_t counts[] = {0, 1, 2, 3, 7, 8, 15, 16, 31, 33, 64, 100, 255, 513, 1000};
#define NCOUNTS (sizeof counts / sizeof counts[0])

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int seed = 0;
    /* forward and backward copies, all element sizes, odd alignments, overlap in both directions */
    for (size_t c = 0; c < NCOUNTS; c++)
        for (int back = 0; back < 2; back++)
            for (size_t da = 0; da < 9; da += 4)
                for (size_t sa = 0; sa < 9; sa += 3) {
                    uint64_t n = counts[c];
                    size_t d = 4096 + da, s = 4096 - 37 + sa + (c & 1) * 60; /* may overlap */
                    if (back)
                        d += 8 * n, s += 8 * n; /* backwards starts at the end */
                    fill((uint64_t)seed++);
                    rep_movsb(d, s, n, back);
                    rep_movsw(d + 1, s, n, back);
                    rep_movsl(d, s + 3, n, back);
                    rep_movsq(d + 5, s + 1, n, back);
                    h = hash_words(mem, SPAN, h);
                }
    report("rep movs", h, ncases);

    h = FNV_INIT, ncases = 0;
    for (size_t c = 0; c < NCOUNTS; c++)
        for (int back = 0; back < 2; back++)
            for (size_t da = 0; da < 8; da += 3) {
                uint64_t n = counts[c];
                size_t d = 4096 - 50 + da + (back ? 8 * n : 0);
                fill((uint64_t)seed++);
                rep_stosb(d, n, 0xa5 + n, back);
                rep_stosw(d + 3, n, 0xbeef00 + n, back);
                rep_stosl(d + 1, n, 0xdeadbeefcafe0000ULL + n, back);
                rep_stosq(d + 7, n, 0x0102030405060708ULL * n, back);
                h = hash_words(mem, SPAN, h);
            }
    report("rep stos", h, ncases);

    h = FNV_INIT, ncases = 0;
    for (size_t c = 0; c < NCOUNTS; c++)
        for (int back = 0; back < 2; back++)
            for (size_t diff = 0; diff < 1100; diff += 97) {
                uint64_t n = counts[c];
                size_t a = 100 + (back ? 8 * n : 0), b = 10000 + (back ? 8 * n : 0);
                fill(1);
                memcpy(mem + 10000 - 16, mem + 100 - 16, 8 * n + 32); /* b's region is a copy of a's */
                if (diff < 8 * n)
                    mem[b + (back ? -(long)diff : (long)diff)] ^= 0x40;
                repe_cmpsb(a, b, n, back);
                repe_cmpsw(a, b, n, back);
                repe_cmpsl(a, b, n, back);
                repe_cmpsq(a, b, n, back);
                repne_cmpsb(a, b + 1, n, back);
                repne_cmpsq(a + 3, b, n, back);
            }
    report("repe/repne cmps", h, ncases);

    h = FNV_INIT, ncases = 0;
    for (size_t c = 0; c < NCOUNTS; c++)
        for (int back = 0; back < 2; back++)
            for (size_t pos = 0; pos < 1100; pos += 89) {
                uint64_t n = counts[c];
                size_t d = 2000 + (back ? 8 * n : 0);
                memset(mem, 0x11, sizeof mem);
                mem[d + (back ? -(long)pos : (long)pos)] = 0x7e;
                repne_scasb(d, n, 0x7e, back);
                repne_scasw(d, n, 0x117e, back);
                repe_scasl(d, n, 0x11111111, back);
                repe_scasq(d + 1, n, 0x1111111111111111ULL, back);
            }
    report("repne/repe scas", h, ncases);

    h = FNV_INIT, ncases = 0;
    for (size_t d = 4000; d < 4200; d += 13)
        for (size_t s = 100; s < 160; s += 7) {
            fill(d ^ s);
            singles(d, s);
            h = fnv1a(mem + 3900, 400, h);
        }
    report("single string instructions", h, ncases);

    /* memcpy/memset of unaligned, odd sizes, also crossing pages */
    h = FNV_INIT, ncases = 0;
    unsigned char *heap = malloc(40000);
    for (size_t size = 0; size < 5000; size = size * 3 / 2 + 1)
        for (size_t off = 0; off < 16; off += 5) {
            fill_words(heap, 40000, size);
            memcpy(heap + 20000 + off, heap + 1 + off * 3, size);
            memset(heap + 35000 - off, (int)size, size % 4099);
            memmove(heap + 100 + off, heap + 90, size);
            h = hash_words(heap, 40000, h);
            ncases++;
        }
    free(heap);
    report("memcpy/memset/memmove odd sizes", h, ncases);
    return 0;
}
