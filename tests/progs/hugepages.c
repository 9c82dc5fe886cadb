/* Memory behind madvise(MADV_HUGEPAGE): whatever page size the kernel picks, partial munmap,
 * mprotect, MADV_DONTNEED and mremap must keep (or zero) exactly the bytes Linux keeps (or zeroes).
 * Under emu (se.thp=madvise, the default) the buffer is mapped with 2 MiB pages, so these split
 * them; each step reads every page first, so stale cached translations would show. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "progs.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define PG 4096ul
#define HP (2ul << 20)

static uint8_t *buf;

/* Fill [off, off + len) of buf with bytes derived from their offset and a tag. */
static void fill(unsigned long off, unsigned long len, unsigned tag)
{
    for (unsigned long i = off; i < off + len; i += 64)
        buf[i] = (uint8_t)(i >> 12 ^ i >> 6 ^ tag);
}

/* Hash of one byte per 64 of [off, off + len) of p. */
static uint64_t sum(const uint8_t *p, unsigned long off, unsigned long len)
{
    uint64_t h = FNV_INIT;
    for (unsigned long i = off; i < off + len; i += 64)
        h = mix64(h, p[i]);
    return h;
}

static int all_zero(const uint8_t *p, unsigned long len)
{
    for (unsigned long i = 0; i < len; i += 64)
        if (p[i])
            return 0;
    return 1;
}

int main(void)
{
    unsigned long len = 8 * HP;
    uint8_t *raw = mmap(NULL, len + HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return 1;
    buf = (uint8_t *)(((uintptr_t)raw + HP - 1) & ~(HP - 1));
    printf("madvise: %d\n", madvise(buf, len, MADV_HUGEPAGE));
    fill(0, len, 1);
    report("filled", sum(buf, 0, len), len / 64);

    /* Huge page 0: unmap two 4 KiB pages in the middle. */
    printf("munmap part: %d\n", munmap(buf + 100 * PG, 2 * PG));
    report("page 0 before the hole", sum(buf, 0, 100 * PG), 0);
    report("page 0 after the hole", sum(buf, 102 * PG, HP - 102 * PG), 0);

    /* Huge page 1: three pages read-only, then writable again and rewritten. */
    (void)sum(buf, HP, HP);
    printf("mprotect part: %d\n", mprotect(buf + HP + 10 * PG, 3 * PG, PROT_READ));
    report("page 1 read-only part", sum(buf, HP, HP), 0);
    printf("mprotect back: %d\n", mprotect(buf + HP, HP, PROT_READ | PROT_WRITE));
    fill(HP, HP, 2);
    report("page 1 rewritten", sum(buf, HP, HP), 0);

    /* Huge page 2: part dropped; huge page 3: dropped whole, after every page was read. */
    (void)sum(buf, 2 * HP, 2 * HP);
    printf("dontneed part: %d\n", madvise(buf + 2 * HP + 7 * PG, 5 * PG, MADV_DONTNEED));
    printf("dontneed whole: %d\n", madvise(buf + 3 * HP, HP, MADV_DONTNEED));
    printf("dropped part zero %d, dropped page zero %d\n", all_zero(buf + 2 * HP + 7 * PG, 5 * PG),
           all_zero(buf + 3 * HP, HP));
    report("page 2 kept", sum(buf, 2 * HP, 7 * PG) ^ sum(buf, 2 * HP + 12 * PG, HP - 12 * PG), 0);
    fill(3 * HP, HP, 3);
    report("page 3 refilled", sum(buf, 3 * HP, HP), 0);

    /* Huge pages 4 and 5 move; the old place is mapped afresh and must read as zero. */
    uint64_t before = sum(buf, 4 * HP, 2 * HP);
    /* To a place of our own, 5 pages past a 2 MiB boundary (so a huge page cannot move whole). */
    uint8_t *area = mmap(NULL, 4 * HP, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *dst = (uint8_t *)(((uintptr_t)area + HP - 1) & ~(HP - 1)) + 5 * PG;
    uint8_t *moved = mremap(buf + 4 * HP, 2 * HP, 2 * HP, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    if (area == MAP_FAILED || moved == MAP_FAILED)
        return 2;
    printf("mremap: %s, same data %d\n", moved == dst ? "ok" : "elsewhere", sum(moved, 0, 2 * HP) == before);
    uint8_t *again = mmap(buf + 4 * HP, 2 * HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("remapped old place zero %d\n", again != MAP_FAILED && all_zero(again, 2 * HP));

    /* Huge pages 6 and 7: shrink the mapping to end inside page 6. */
    uint8_t *sh = mremap(buf + 6 * HP, 2 * HP, HP + 3 * PG, 0);
    printf("mremap shrink: %s\n", sh == buf + 6 * HP ? "in place" : "moved");
    report("page 6 after shrink", sum(buf, 6 * HP, HP + 3 * PG), 0);

    /* Everything that is left, once more. */
    report("page 0 end", sum(buf, 0, 100 * PG) ^ sum(buf, 102 * PG, HP - 102 * PG), 0);
    report("pages 1-3 end", sum(buf, HP, 3 * HP), 0);
    report("moved end", sum(moved, 0, 2 * HP), 0);
    return 0;
}
