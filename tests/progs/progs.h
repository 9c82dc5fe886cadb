/* Small helpers shared by the differential test programs (header only). */
#ifndef EMU_PROGS_H
#define EMU_PROGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* FNV-1a over bytes, and a running hash of 64-bit values. */
static inline uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

/* Fold one 64-bit value into a running hash (cheap: one multiply). */
static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

/* xorshift64*: deterministic pseudo-random numbers. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Print a section checksum in a fixed format. */
static inline void report(const char *what, uint64_t h, unsigned long count)
{
    printf("%-28s %016llx  (%lu cases)\n", what, (unsigned long long)h, count);
}

#endif
