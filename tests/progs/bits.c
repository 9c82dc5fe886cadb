/* Bit manipulation: popcount/clz/ctz/ffs/parity/clrsb builtins at 32 and 64 bits, bswap 16/32/64,
 * rotates written the C way (compiled to rol/ror), bit reversal, gray codes, bit fields, a bitset
 * sieve, and next-permutation-of-bits tricks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "progs.h"

#define NOINLINE __attribute__((noinline))

static NOINLINE uint32_t rotl32(uint32_t x, unsigned r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }
static NOINLINE uint32_t rotr32(uint32_t x, unsigned r) { return (x >> (r & 31)) | (x << ((32 - r) & 31)); }
static NOINLINE uint64_t rotl64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
static NOINLINE uint64_t rotr64(uint64_t x, unsigned r) { return (x >> (r & 63)) | (x << ((64 - r) & 63)); }
static NOINLINE uint16_t rotl16(uint16_t x, unsigned r) { return (uint16_t)((x << (r & 15)) | (x >> ((16 - r) & 15))); }
static NOINLINE uint8_t rotl8(uint8_t x, unsigned r) { return (uint8_t)((x << (r & 7)) | (x >> ((8 - r) & 7))); }

static NOINLINE uint32_t rev32(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(x);
}

static NOINLINE int popcount_loop(uint64_t x)
{
    int n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

/* Next larger number with the same number of set bits (Gosper's hack). */
static NOINLINE uint64_t next_same_popcount(uint64_t x)
{
    uint64_t c = x & -x, r = x + c;
    return (((r ^ x) >> 2) / c) | r;
}

struct fields {
    unsigned a : 3;
    signed b : 5;
    unsigned c : 12;
    signed d : 7;
    unsigned long long e : 37;
    unsigned f : 1;
};

int main(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL, h;
    unsigned long n;

    h = FNV_INIT, n = 0;
    for (int i = 0; i < 4000; i++) {
        uint64_t v = rng_next(&seed);
        v >>= (i % 64); /* vary the magnitude */
        if (v == 0)
            v = 1;
        uint32_t w = (uint32_t)v ? (uint32_t)v : 1u;
        h = mix64(h, (uint64_t)__builtin_popcountll(v));
        h = mix64(h, (uint64_t)__builtin_popcount(w));
        h = mix64(h, (uint64_t)__builtin_clzll(v));
        h = mix64(h, (uint64_t)__builtin_ctzll(v));
        h = mix64(h, (uint64_t)__builtin_clz(w));
        h = mix64(h, (uint64_t)__builtin_ctz(w));
        h = mix64(h, (uint64_t)__builtin_ffsll((long long)(v & 0xffff0000ffff0000ULL)));
        h = mix64(h, (uint64_t)__builtin_parityll(v));
        h = mix64(h, (uint64_t)__builtin_clrsbll((long long)v));
        h = mix64(h, (uint64_t)__builtin_clrsb((int)w));
        h = mix64(h, (uint64_t)popcount_loop(v));
        n += 11;
    }
    report("count builtins", h, n);

    h = FNV_INIT, n = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t v = rng_next(&seed);
        h = mix64(h, __builtin_bswap64(v));
        h = mix64(h, __builtin_bswap32((uint32_t)v));
        h = mix64(h, __builtin_bswap16((uint16_t)v));
        h = mix64(h, rev32((uint32_t)v));
        n += 4;
    }
    report("byte swaps and reversal", h, n);

    h = FNV_INIT, n = 0;
    for (unsigned r = 0; r < 80; r++) {
        uint64_t v = 0x0123456789abcdefULL ^ (r * 0x1111111111111111ULL);
        h = mix64(h, rotl32((uint32_t)v, r));
        h = mix64(h, rotr32((uint32_t)v, r));
        h = mix64(h, rotl64(v, r));
        h = mix64(h, rotr64(v, r));
        h = mix64(h, rotl16((uint16_t)v, r));
        h = mix64(h, rotl8((uint8_t)v, r));
        n += 6;
    }
    report("rotates", h, n);

    h = FNV_INIT, n = 0;
    for (uint32_t i = 0; i < 4096; i++) {
        uint32_t g = i ^ (i >> 1), b = g;
        for (uint32_t s = 1; s < 32; s <<= 1)
            b ^= b >> s;
        if (b != i)
            printf("gray code mismatch at %u\n", i);
        h = mix64(h, g);
        n++;
    }
    report("gray codes", h, n);

    h = FNV_INIT, n = 0;
    uint64_t x = 0x3f; /* all 64-bit numbers with 6 bits set, the first few thousand */
    for (int i = 0; i < 5000; i++) {
        h = mix64(h, x);
        x = next_same_popcount(x);
        n++;
    }
    report("same-popcount sequence", h, n);
    printf("5000th number with 6 bits set: %llu\n", (unsigned long long)x);

    /* Bit fields: packing, sign extension of signed fields, wrap-around. */
    struct fields f;
    memset(&f, 0, sizeof f);
    h = FNV_INIT, n = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t v = rng_next(&seed);
        f.a = (unsigned)v;
        f.b = (int)(v >> 3) & 31;
        f.b -= 16;
        f.c += (unsigned)(v >> 8);
        f.d = (signed char)(v >> 20) >> 1;
        f.e = v >> 27;
        f.f = !f.f;
        h = mix64(h, (uint64_t)f.a ^ ((uint64_t)(int64_t)f.b << 3) ^ ((uint64_t)f.c << 8) ^ ((uint64_t)(int64_t)f.d << 20) ^
                         ((uint64_t)f.e << 27) ^ ((uint64_t)f.f << 63));
        n++;
    }
    unsigned char raw[sizeof f];
    memcpy(raw, &f, sizeof f);
    report("bit fields", h, n);
    printf("bit field bytes:");
    for (size_t i = 0; i < sizeof raw; i++)
        printf(" %02x", raw[i]);
    printf("\n");

    /* A bitset sieve of Eratosthenes up to 2,000,000 (uses bt/bts-like code). */
    enum { LIMIT = 300000 };
    static uint64_t sieve[LIMIT / 64 + 1];
    for (uint32_t i = 2; (uint64_t)i * i < LIMIT; i++)
        if (!(sieve[i / 64] >> (i % 64) & 1))
            for (uint32_t j = i * i; j < LIMIT; j += i)
                sieve[j / 64] |= 1ULL << (j % 64);
    unsigned long primes = 0;
    uint64_t last = 0;
    for (uint32_t i = 2; i < LIMIT; i++)
        if (!(sieve[i / 64] >> (i % 64) & 1)) {
            primes++;
            last = i;
        }
    printf("primes below %d: %lu, largest %llu\n", LIMIT, primes, (unsigned long long)last);

    /* Lowest/highest set bit isolation and power-of-two rounding. */
    h = FNV_INIT, n = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t v = rng_next(&seed) >> (i % 60);
        uint64_t low = v & -v, clear = v & (v - 1), up = v;
        up--;
        up |= up >> 1, up |= up >> 2, up |= up >> 4, up |= up >> 8, up |= up >> 16, up |= up >> 32;
        up++;
        h = mix64(mix64(mix64(h, low), clear), up);
        n += 3;
    }
    report("bit isolation", h, n);
    return 0;
}
