/* The workload of `make run` (docs/UI.md, "The demo"): a program that keeps the allocators and the
 * TLBs busy, in phases that look different in the visualizer's frame map and TLB panel:
 *   1. a heap of small objects (malloc, a linked structure), half of it freed in a scattered order;
 *   2. a 48 MiB anonymous mapping touched page by page (demand faults: the map fills with user
 *      memory), then read at random (dTLB and STLB misses, page walks) and with a page stride;
 *   3. a 32 MiB buffer behind madvise(MADV_HUGEPAGE) (2 MiB pages under emu: the dTLB 2M array);
 *   4. mappings freed and made again in another order (frames go back to the free lists and come
 *      out elsewhere), and the heap released.
 * Phases 2 to 4 run twice, the second time with larger mappings. Deterministic (a fixed
 * pseudo-random sequence); about 250 million instructions. Builds natively
 * too (musl-gcc -static), with the same output. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define PG 4096ul

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void *map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

struct obj {
    struct obj *next;
    uint64_t key;
    char pad[40];
};

/* 1. Many small objects, then every other one freed in a scattered order. */
static struct obj **small_objects(int n, uint64_t *sum)
{
    struct obj **all = malloc((size_t)n * sizeof(*all));
    for (int i = 0; i < n; i++) {
        all[i] = malloc(sizeof(struct obj) + (size_t)(next64() % 200));
        all[i]->key = next64();
        all[i]->next = i ? all[i - 1] : NULL;
    }
    uint64_t s = 0;
    for (struct obj *o = all[n - 1]; o; o = o->next)
        s += o->key >> 32;
    for (int i = 0; i < n; i += 2) {
        int j = (int)(next64() % (uint64_t)n) & ~1;
        if (all[j]) {
            free(all[j]);
            all[j] = NULL;
        }
    }
    *sum = s;
    return all;
}

/* 2. Touch every page, then random and page-strided reads. */
static uint64_t anon_patterns(uint8_t *p, size_t len, long random_reads)
{
    for (size_t off = 0; off < len; off += PG)
        memset(p + off, (int)(off >> 12), 64);
    uint64_t s = 0;
    for (long i = 0; i < random_reads; i++)
        s += p[(next64() % (len / 64)) * 64];
    for (int pass = 0; pass < 4; pass++)
        for (size_t off = (size_t)pass * 64; off < len; off += PG)
            s += p[off];
    return s;
}

/* Phases 2 to 4 once, with mappings of the given sizes. */
static void round_of(int r, size_t anon_len, size_t huge_len, long reads)
{
    uint64_t s2, s3 = 0, s4 = 0;
    uint8_t *a = map(anon_len);
    s2 = anon_patterns(a, anon_len, reads);
    printf("  %d.2 %zu MiB anonymous mapping: faulted in page by page, %ldM random reads, page strides (%016llx)\n", r,
           anon_len >> 20, reads / 1000000, (unsigned long long)s2);

    /* Huge pages: a 2 MiB-aligned buffer marked MADV_HUGEPAGE, swept and read at random. */
    uint8_t *raw = map(huge_len + (2ul << 20));
    uint8_t *h = (uint8_t *)(((uintptr_t)raw + (2ul << 20) - 1) & ~((2ul << 20) - 1));
    madvise(h, huge_len, MADV_HUGEPAGE);
    for (size_t off = 0; off < huge_len; off += 64)
        h[off] = (uint8_t)off;
    for (long i = 0; i < reads; i++)
        s3 += h[(next64() % (huge_len / 64)) * 64];
    printf("  %d.3 %zu MiB behind MADV_HUGEPAGE: swept, %ldM random reads (%016llx)\n", r, huge_len >> 20,
           reads / 1000000, (unsigned long long)s3);

    /* Give memory back and take it again in smaller pieces. */
    munmap(a + anon_len / 4, anon_len / 2); /* the middle half of the anonymous mapping */
    uint8_t *pieces[16];
    for (int i = 0; i < 16; i++) {
        pieces[i] = map(1ul << 20);
        for (size_t off = 0; off < (1ul << 20); off += PG)
            pieces[i][off] = (uint8_t)i;
    }
    for (int i = 0; i < 16; i += 2)
        munmap(pieces[i], 1ul << 20);
    for (int i = 1; i < 16; i += 2)
        for (size_t off = 0; off < (1ul << 20); off += PG)
            s4 += pieces[i][off];
    printf("  %d.4 %zu MiB unmapped, 16 MiB mapped again in 1 MiB pieces, half of them unmapped (%llu)\n", r,
           anon_len >> 21, (unsigned long long)s4);
    for (int i = 1; i < 16; i += 2)
        munmap(pieces[i], 1ul << 20);
    munmap(a, anon_len / 4);
    munmap(a + anon_len / 4 * 3, anon_len - anon_len / 4 * 3);
    munmap(raw, huge_len + (2ul << 20));
}

int main(void)
{
    enum { SMALL = 60000 };
    uint64_t s1;
    printf("emu demo: allocators and TLBs at work (watch the frame map and the TLB panel)\n");
    struct obj **objs = small_objects(SMALL, &s1);
    printf("  1   heap: %d small objects allocated, about half freed (sum %016llx)\n", SMALL, (unsigned long long)s1);
    round_of(1, 48ul << 20, 32ul << 20, 3000000);
    round_of(2, 96ul << 20, 64ul << 20, 3000000);
    for (int i = 0; i < SMALL; i++)
        free(objs[i]);
    free(objs);
    printf("  5   heap freed; done\n");
    return 0;
}
