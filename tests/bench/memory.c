/* Memory-bound benchmark: a 64 MiB array of 8-byte links forming one pseudo-random cycle (a full-period
 * linear congruential step), chased link by link, so nearly every load misses the caches and the TLB;
 * then page-strided and line-strided sweeps over the whole array.
 * Usage: memory [STEPS_IN_MILLIONS]   (default 2) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long steps = (argc > 1 ? atol(argv[1]) : 2) * 1000000L;
    enum { LOG = 23 };
    const uint64_t n = 1ULL << LOG, mask = n - 1; /* 8 Mi links x 8 bytes = 64 MiB */
    uint64_t *next = malloc(n * sizeof *next);
    if (!next) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    /* i -> (i * A + C) mod 2^LOG with A = 1 mod 4 and C odd: one cycle through every link */
    for (uint64_t i = 0; i < n; i++)
        next[i] = (i * 0x5851f42d4c957f2dULL + 0x14057b7ef767814fULL) & mask;
    uint64_t p = 0, sum = 0;
    for (long s = 0; s < steps; s++) {
        p = next[p];
        sum += p;
    }
    for (int pass = 0; pass < 4; pass++)
        for (uint64_t i = (uint64_t)pass; i < n; i += 512) /* one load per 4 KiB page */
            sum ^= next[i];
    for (uint64_t i = 0; i < n; i += 8) /* one load per 64-byte line */
        sum += next[i];
    printf("end %llu sum %016llx\n", (unsigned long long)p, (unsigned long long)sum);
    free(next);
    return 0;
}
