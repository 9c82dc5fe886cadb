/* 128-bit integers (__int128): multiply, divide and modulo (libgcc's __divti3/__udivti3/__modti3...),
 * shifts by every count, comparisons, conversions, decimal printing; and multi-precision arithmetic
 * built on 64-bit limbs with carries: factorials, powers of two, Fibonacci numbers. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "progs.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

#define NOINLINE __attribute__((noinline))

static void put_u128(char *out, u128 v)
{
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

static void put_s128(char *out, s128 v)
{
    if (v < 0) {
        *out++ = '-';
        put_u128(out, -(u128)v);
    } else
        put_u128(out, (u128)v);
}

static NOINLINE u128 umul(u128 a, u128 b) { return a * b; }
static NOINLINE u128 udiv(u128 a, u128 b) { return a / b; }
static NOINLINE u128 umod(u128 a, u128 b) { return a % b; }
static NOINLINE s128 sdiv(s128 a, s128 b) { return a / b; }
static NOINLINE s128 smod(s128 a, s128 b) { return a % b; }
static NOINLINE u128 shl(u128 a, unsigned c) { return a << c; }
static NOINLINE u128 shr(u128 a, unsigned c) { return a >> c; }
static NOINLINE s128 sar(s128 a, unsigned c) { return a >> c; }

static const u128 M = ~(u128)0;

int main(void)
{
    u128 vals[24];
    int nv = 0;
    vals[nv++] = 0;
    vals[nv++] = 1;
    vals[nv++] = 2;
    vals[nv++] = 3;
    vals[nv++] = 10;
    vals[nv++] = 0xffffffffffffffffULL;
    vals[nv++] = (u128)1 << 64;
    vals[nv++] = ((u128)1 << 64) + 1;
    vals[nv++] = ((u128)1 << 127);
    vals[nv++] = ((u128)1 << 127) - 1;
    vals[nv++] = M;
    vals[nv++] = M - 1;
    vals[nv++] = ((u128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    vals[nv++] = ((u128)0xffffffffULL << 64) | 0xffffffff00000000ULL;
    vals[nv++] = (u128)1000000007 * 998244353;
    vals[nv++] = (u128)(s128)-7;
    vals[nv++] = (u128)(s128)-1000000000000LL;
    vals[nv++] = ((u128)0x8000000000000000ULL << 64) | 1;
    vals[nv++] = (u128)0x100000000ULL;
    vals[nv++] = ((u128)3 << 100) + 12345;

    uint64_t h = FNV_INIT;
    unsigned long n = 0;
    for (int i = 0; i < nv; i++)
        for (int j = 0; j < nv; j++) {
            u128 a = vals[i], b = vals[j];
            u128 p = umul(a, b);
            h = mix64(mix64(h, (uint64_t)p), (uint64_t)(p >> 64));
            n++;
            if (b) {
                u128 q = udiv(a, b), r = umod(a, b);
                if (q * b + r != a || r >= b)
                    printf("unsigned division identity broken at %d/%d\n", i, j);
                h = mix64(mix64(h, (uint64_t)q), (uint64_t)(r >> 64) ^ (uint64_t)r);
                n++;
                s128 sa = (s128)a, sb = (s128)b;
                if (!(sa == (s128)((u128)1 << 127) && sb == -1)) {
                    s128 sq = sdiv(sa, sb), sr = smod(sa, sb);
                    if (sq * sb + sr != sa)
                        printf("signed division identity broken at %d/%d\n", i, j);
                    h = mix64(mix64(h, (uint64_t)sq), (uint64_t)(sr >> 64));
                    n++;
                }
            }
            h = mix64(h, (uint64_t)((a < b) | (a == b) << 1 | ((s128)a < (s128)b) << 2));
        }
    report("128-bit mul/div/mod/cmp", h, n);

    h = FNV_INIT, n = 0;
    for (int i = 0; i < nv; i++)
        for (unsigned c = 0; c < 128; c++) {
            u128 a = vals[i];
            h = mix64(h, (uint64_t)shl(a, c) ^ (uint64_t)(shr(a, c) >> 64) ^ (uint64_t)sar((s128)a, c));
            n++;
        }
    report("128-bit shifts", h, n);

    char s1[64], s2[64];
    for (int i = 0; i < nv; i++) {
        put_u128(s1, vals[i]);
        put_s128(s2, (s128)vals[i]);
        printf("%-40s %s\n", s1, s2);
    }
    put_s128(s1, (s128)INT64_MIN * INT64_MIN);
    put_s128(s2, (s128)INT64_MIN * INT64_MAX);
    printf("INT64_MIN^2 = %s, INT64_MIN*INT64_MAX = %s\n", s1, s2);
    printf("conversions: %lld %llu %d\n", (long long)(s128)vals[15], (unsigned long long)(vals[12] >> 3),
           (int)(int8_t)(vals[12] >> 60));

    /* multi-precision with 64-bit limbs */
    enum { LIMBS = 64 };
    uint64_t big[LIMBS] = {1};
    for (uint64_t k = 2; k <= 300; k++) { /* 300! fits in 2048 bits */
        u128 carry = 0;
        for (int i = 0; i < LIMBS; i++) {
            u128 t = (u128)big[i] * k + carry;
            big[i] = (uint64_t)t;
            carry = t >> 64;
        }
    }
    /* to decimal by repeated division by 10^18 */
    char dec[1000];
    int dn = 0;
    uint64_t work[LIMBS];
    memcpy(work, big, sizeof work);
    for (;;) {
        int zero = 1;
        u128 rem = 0;
        for (int i = LIMBS - 1; i >= 0; i--) {
            u128 cur = (rem << 64) | work[i];
            work[i] = (uint64_t)(cur / 1000000000000000000ULL);
            rem = cur % 1000000000000000000ULL;
            zero &= work[i] == 0;
        }
        uint64_t r = (uint64_t)rem;
        for (int d = 0; d < 18; d++) {
            dec[dn++] = (char)('0' + r % 10);
            r /= 10;
        }
        if (zero)
            break;
    }
    while (dn > 1 && dec[dn - 1] == '0')
        dn--;
    printf("300! has %d digits: ", dn);
    for (int i = dn - 1; i >= dn - 30; i--)
        putchar(dec[i]);
    printf("...");
    for (int i = 29; i >= 0; i--)
        putchar(dec[i]);
    printf("\n");

    /* Fibonacci(2000) with add-with-carry */
    uint64_t fa[24] = {0}, fb[24] = {1};
    for (int k = 0; k < 2000; k++) {
        unsigned char c = 0;
        for (int i = 0; i < 24; i++) {
            unsigned long long s;
            c = (unsigned char)__builtin_add_overflow(fa[i], fb[i], &s) | (unsigned char)__builtin_add_overflow(s, c, &s);
            fa[i] = fb[i];
            fb[i] = s;
        }
    }
    printf("fib(2001) limbs: %016llx %016llx %016llx ... checksum %016llx\n", (unsigned long long)fb[21],
           (unsigned long long)fb[20], (unsigned long long)fb[19], (unsigned long long)fnv1a(fb, sizeof fb, FNV_INIT));
    return 0;
}
