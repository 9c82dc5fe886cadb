/* The workload of the end-to-end timing tests (tests/timing/test_timing.c): small experiments on
 * the translation model, each selected by argv[1]. Built with musl-gcc -static -O2 -Iinclude; it
 * runs natively too (the region-of-interest markers are NOPs there) and prints only values that do
 * not depend on where it runs.
 *
 *   random N ITERS      N distinct 4 KiB pages touched once, then ITERS loads at pages chosen by a
 *                       fixed-seed LCG, between EMU_ROI_BEGIN/END; the loop body keeps everything
 *                       in registers, so the region's only data accesses are those ITERS loads
 *   sweep MIB PASSES A  a MIB MiB buffer, 2 MiB aligned, with madvise(MADV_HUGEPAGE) when A is
 *                       "huge" ("plain": none), written once, then PASSES passes reading one
 *                       word per 4 KiB page
 *   loop N              a loop of exactly 3N + 1 instructions between the markers (the count of
 *                       sim.instructions under --fast-forward=roi)
 *   hugetlb1g           a MAP_HUGETLB | MAP_HUGE_1GB mapping touched every 16 MiB (emu only: a
 *                       Linux host without a 1 GiB pool refuses the mapping; prints "no pool")
 *   chase KIB ITERS     the memory-hierarchy pointer chase (--timing=full): a KIB KiB buffer, 2 MiB
 *                       aligned with madvise(MADV_HUGEPAGE) (so translation stays out of the way),
 *                       one pointer per 64-byte line linked in one random cycle (Sattolo's
 *                       shuffle, fixed-seed LCG); one warm-up pass over the cycle, then ITERS
 *                       dependent loads p = *p. Two runs with different ITERS differ only by the
 *                       measured loads, whose memory cycles per load are the latency of the level
 *                       that holds the working set. Prints a checksum of where the chase ended.
 *                       EMU_ROI_BEGIN comes before the warm-up (--fast-forward=roi skips the
 *                       set-up, not the warm-up).
 *   stream MIB PASSES [interleave]
 *                       a streaming read (--timing=full, memory-level parallelism): a MIB MiB buffer
 *                       of 2 MiB pages written once, then PASSES passes summing every word in order
 *                       (eight independent sums) between EMU_ROI_BEGIN/END; with "interleave" the
 *                       task policy is first set to MPOL_INTERLEAVE over nodes 0 and 1
 *                       (set_mempolicy), so the buffer's 2 MiB pages alternate between the nodes
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu_roi.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif
#define MAP_HUGE_1GB_ (30 << 26)

#define PG 4096ul
#define HP (2ul << 20)

static int random_pages(unsigned long n, unsigned long iters)
{
    uint8_t *buf = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return 1;
    for (unsigned long i = 0; i < n; i++)
        buf[i * PG + (i * 64) % PG] = (uint8_t)i;
    uint64_t x = 12345, sum = 0;
    EMU_ROI_BEGIN();
    for (unsigned long i = 0; i < iters; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* Knuth's MMIX LCG */
        uint64_t page = (x >> 33) % n;
        sum += buf[page * PG + ((x >> 20) & 0xff8)];
    }
    EMU_ROI_END();
    printf("random %lu pages %lu loads: sum %llu\n", n, iters, (unsigned long long)sum);
    return 0;
}

static int sweep(unsigned long mib, unsigned long passes, int huge)
{
    unsigned long len = mib << 20;
    uint8_t *raw = mmap(NULL, len + HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return 1;
    uint8_t *buf = (uint8_t *)(((uintptr_t)raw + HP - 1) & ~(HP - 1));
    int adv = huge ? madvise(buf, len, MADV_HUGEPAGE) : 0;
    for (unsigned long o = 0; o < len; o += PG)
        buf[o] = (uint8_t)(o >> 12);
    uint64_t sum = 0;
    for (unsigned long p = 0; p < passes; p++)
        for (unsigned long o = 0; o < len; o += PG)
            sum += buf[o + (p * 8) % PG];
    printf("sweep %lu MiB x %lu (madvise %d): sum %llu\n", mib, passes, adv, (unsigned long long)sum);
    return 0;
}

static int loop(unsigned long n)
{
    uint64_t x = 0;
    EMU_ROI_BEGIN();
    __asm__ __volatile__("mov %1, %%rcx\n"
                         "1: add $3, %0\n"
                         "dec %%rcx\n"
                         "jnz 1b\n"
                         : "+r"(x)
                         : "r"(n)
                         : "rcx", "cc");
    EMU_ROI_END();
    printf("loop %lu: %llu\n", n, (unsigned long long)x);
    return 0;
}

static int hugetlb1g(void)
{
    unsigned long len = 1ul << 30;
    uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB_,
                        -1, 0);
    if (buf == MAP_FAILED) {
        printf("no pool\n");
        return 0;
    }
    uint64_t sum = 0;
    for (int p = 0; p < 4; p++)
        for (unsigned long o = 0; o < len; o += 16ul << 20)
            sum += (buf[o + p] += 1);
    printf("hugetlb 1g: sum %llu\n", (unsigned long long)sum);
    return 0;
}

static int chase(unsigned long kib, unsigned long iters)
{
    unsigned long bytes = kib << 10, n = bytes / 64, span = (bytes + HP - 1) & ~(HP - 1);
    char *raw = mmap(NULL, span + HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED || n < 2)
        return 1;
    char *buf = (char *)(((uintptr_t)raw + HP - 1) & ~(HP - 1));
    madvise(buf, span, MADV_HUGEPAGE);
    unsigned *perm = malloc(n * sizeof(unsigned));
    if (!perm)
        return 1;
    for (unsigned long i = 0; i < n; i++)
        perm[i] = (unsigned)i;
    uint64_t x = 12345;
    for (unsigned long i = n - 1; i > 0; i--) { /* Sattolo: one cycle through every line */
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned long j = (unsigned long)((x >> 33) % i);
        unsigned t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (unsigned long i = 0; i < n; i++)
        *(void **)(buf + (unsigned long)perm[i] * 64) = buf + (unsigned long)perm[(i + 1) % n] * 64;
    free(perm);
    void **p = (void **)buf;
    /* The region of interest starts before the warm-up: under --fast-forward=roi the set-up above
     * (the shuffle, the links) runs functionally and the caches start empty, the warm-up fills
     * them, and the difference of two runs that differ only in ITERS still leaves the measured
     * loads alone. */
    EMU_ROI_BEGIN();
    for (unsigned long i = 0; i < n; i++) /* warm-up: the caches hold what they can of the cycle */
        p = *p;
    for (unsigned long i = 0; i < iters; i++)
        p = *(void **)p;
    EMU_ROI_END();
    printf("chase end %lu\n", (unsigned long)((char *)p - buf) / 64);
    return 0;
}

/* A streaming read: a MIB MiB buffer of 2 MiB pages, written once (so every line is in memory, and
 * the working set is far beyond the LLC), then PASSES passes reading every 8-byte word in order
 * into eight sums, between the region-of-interest markers. */
static int stream(unsigned long mib, unsigned long passes, int interleave)
{
    unsigned long len = mib << 20, n = len / 8;
    if (interleave) {
        /* MPOL_INTERLEAVE (3) over nodes 0 and 1; maxnode 65 reads 64 bits (the kernel's
         * off-by-one). A host with one node refuses it; the output does not depend on it. */
        unsigned long mask = 3;
        (void)syscall(SYS_set_mempolicy, 3, &mask, 65ul);
    }
    char *raw = mmap(NULL, len + HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return 1;
    uint64_t *a = (uint64_t *)(((uintptr_t)raw + HP - 1) & ~(HP - 1));
    madvise(a, len, MADV_HUGEPAGE);
    for (unsigned long i = 0; i < n; i++)
        a[i] = i;
    uint64_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    EMU_ROI_BEGIN();
    for (unsigned long p = 0; p < passes; p++) {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (unsigned long i = 0; i < n; i += 8) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
            s4 += a[i + 4];
            s5 += a[i + 5];
            s6 += a[i + 6];
            s7 += a[i + 7];
        }
        s[0] += s0, s[1] += s1, s[2] += s2, s[3] += s3, s[4] += s4, s[5] += s5, s[6] += s6, s[7] += s7;
    }
    EMU_ROI_END();
    printf("stream %lu MiB x %lu: sum %llu\n", mib, passes,
           (unsigned long long)(s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7]));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "stream"))
        return stream(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), argc >= 5 && !strcmp(argv[4], "interleave"));
    if (argc >= 4 && !strcmp(argv[1], "chase"))
        return chase(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
    if (argc >= 4 && !strcmp(argv[1], "random"))
        return random_pages(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
    if (argc >= 5 && !strcmp(argv[1], "sweep"))
        return sweep(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), !strcmp(argv[4], "huge"));
    if (argc >= 3 && !strcmp(argv[1], "loop"))
        return loop(strtoul(argv[2], NULL, 0));
    if (argc >= 2 && !strcmp(argv[1], "hugetlb1g"))
        return hugetlb1g();
    fprintf(stderr, "usage: %s random N ITERS | sweep MIB PASSES huge|plain | loop N | hugetlb1g | chase KIB ITERS | stream MIB PASSES [interleave]\n", argv[0]);
    return 2;
}
