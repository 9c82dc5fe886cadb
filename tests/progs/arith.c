/* Edge-case integer arithmetic at every width: + - * / % & | ^ ~ neg, shifts (including by 0 and by
 * counts >= the width through a variable), comparisons, min/max, abs, overflow builtins, high halves
 * of products, conversions between widths. One checksum line per (type, operation), and a few
 * explicit values. INT_MIN / -1 is skipped here (sigfpe.c does it on purpose). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include "progs.h"

#define NOINLINE __attribute__((noinline))

/* Operand tables: global and writable, so the compiler cannot fold them. */
static int64_t vals64[] = {0, 1, 2, 3, 5, 7, 10, 100, 127, 128, 255, 256, 32767, 32768, 65535, 65536,
                           0x7fffffff, 0x80000000LL, 0xffffffffLL, 0x100000000LL, 0x5555555555555555LL,
                           -0x5555555555555556LL, 0x123456789abcdefLL, -0x123456789abcdefLL,
                           INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, -1, -2, -3, -7, -100,
                           -128, -129, -32768, -32769, -2147483648LL, -2147483649LL, 1000000007,
                           -1000000007, 0x0f0f0f0f0f0f0f0fLL, 0x00ff00ff00ff00ffLL};
#define NV (sizeof vals64 / sizeof vals64[0])

static volatile unsigned shift_counts[] = {0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127};
#define NSC (sizeof shift_counts / sizeof shift_counts[0])

/* For one type T (with unsigned counterpart U, wider type W for products, bits B, signed S=1/0). */
#define DEFINE_TYPE(T, U, NAME, B, S, TMIN, TMAX)                                                      \
    static NOINLINE T NAME##_add(T a, T b) { return (T)((U)a + (U)b); }                                \
    static NOINLINE T NAME##_sub(T a, T b) { return (T)((U)a - (U)b); }                                \
    static NOINLINE T NAME##_mul(T a, T b) { return (T)((U)a * (U)b); }                                \
    static NOINLINE T NAME##_div(T a, T b) { return a / b; }                                           \
    static NOINLINE T NAME##_mod(T a, T b) { return a % b; }                                           \
    static NOINLINE T NAME##_shl(T a, unsigned c) { return (T)((U)a << c); }                           \
    static NOINLINE T NAME##_shr(T a, unsigned c) { return (T)(a >> c); }                              \
    static NOINLINE T NAME##_neg(T a) { return (T)(0 - (U)a); }                                        \
    static NOINLINE int NAME##_cmp(T a, T b) { return (a < b) * 1 + (a <= b) * 2 + (a == b) * 4 + (a > b) * 8; } \
    static NOINLINE T NAME##_min(T a, T b) { return a < b ? a : b; }                                   \
    static NOINLINE T NAME##_max(T a, T b) { return a > b ? a : b; }                                   \
    static void NAME##_run(void)                                                                       \
    {                                                                                                  \
        uint64_t h[16];                                                                                \
        unsigned long n[16] = {0};                                                                     \
        for (int i = 0; i < 16; i++)                                                                   \
            h[i] = FNV_INIT;                                                                           \
        for (size_t i = 0; i < NV; i++) {                                                              \
            T a = (T)vals64[i];                                                                        \
            h[5] = mix64(h[5], (uint64_t)(U)NAME##_neg(a)), n[5]++;                                    \
            h[5] = mix64(h[5], (uint64_t)(U)(T)~a), n[5]++;                                            \
            for (size_t k = 0; k < NSC; k++) {                                                         \
                unsigned c = shift_counts[k];                                                          \
                if (c < B) {                                                                           \
                    h[6] = mix64(h[6], (uint64_t)(U)NAME##_shl(a, c)), n[6]++;                         \
                    h[7] = mix64(h[7], (uint64_t)(U)NAME##_shr(a, c)), n[7]++;                         \
                }                                                                                      \
            }                                                                                          \
            for (size_t j = 0; j < NV; j++) {                                                          \
                T b = (T)vals64[j];                                                                    \
                T r;                                                                                   \
                h[0] = mix64(h[0], (uint64_t)(U)NAME##_add(a, b)), n[0]++;                             \
                h[1] = mix64(h[1], (uint64_t)(U)NAME##_sub(a, b)), n[1]++;                             \
                h[2] = mix64(h[2], (uint64_t)(U)NAME##_mul(a, b)), n[2]++;                             \
                if (b != 0 && !(S && a == (T)TMIN && b == (T)-1)) {                                    \
                    h[3] = mix64(h[3], (uint64_t)(U)NAME##_div(a, b)), n[3]++;                         \
                    h[4] = mix64(h[4], (uint64_t)(U)NAME##_mod(a, b)), n[4]++;                         \
                }                                                                                      \
                h[8] = mix64(h[8], (uint64_t)(U)(a & b) ^ ((uint64_t)(U)(a | b) << 1) ^ (uint64_t)(U)(a ^ b)), n[8]++; \
                h[9] = mix64(h[9], (uint64_t)NAME##_cmp(a, b)), n[9]++;                                \
                h[10] = mix64(h[10], (uint64_t)(U)NAME##_min(a, b) * 3 + (uint64_t)(U)NAME##_max(a, b)), n[10]++; \
                int o;                                                                                 \
                o = __builtin_add_overflow(a, b, &r);                                                  \
                h[11] = mix64(h[11], (uint64_t)(U)r * 2 + (uint64_t)o), n[11]++;                       \
                o = __builtin_sub_overflow(a, b, &r);                                                  \
                h[11] = mix64(h[11], (uint64_t)(U)r * 2 + (uint64_t)o), n[11]++;                       \
                o = __builtin_mul_overflow(a, b, &r);                                                  \
                h[12] = mix64(h[12], (uint64_t)(U)r * 2 + (uint64_t)o), n[12]++;                       \
            }                                                                                          \
        }                                                                                              \
        static const char *names[] = {"add", "sub", "mul", "div", "mod", "neg/not", "shl", "shr",      \
                                      "and/or/xor", "compare", "min/max", "add/sub overflow",          \
                                      "mul overflow"};                                                 \
        for (int i = 0; i < 13; i++) {                                                                 \
            char label[64];                                                                            \
            snprintf(label, sizeof label, "%s %s", #NAME, names[i]);                                   \
            report(label, h[i], n[i]);                                                                 \
        }                                                                                              \
    }

DEFINE_TYPE(int8_t, uint8_t, i8, 8, 1, INT8_MIN, INT8_MAX)
DEFINE_TYPE(uint8_t, uint8_t, u8, 8, 0, 0, UINT8_MAX)
DEFINE_TYPE(int16_t, uint16_t, i16, 16, 1, INT16_MIN, INT16_MAX)
DEFINE_TYPE(uint16_t, uint16_t, u16, 16, 0, 0, UINT16_MAX)
DEFINE_TYPE(int32_t, uint32_t, i32, 32, 1, INT32_MIN, INT32_MAX)
DEFINE_TYPE(uint32_t, uint32_t, u32, 32, 0, 0, UINT32_MAX)
DEFINE_TYPE(int64_t, uint64_t, i64, 64, 1, INT64_MIN, INT64_MAX)
DEFINE_TYPE(uint64_t, uint64_t, u64, 64, 0, 0, UINT64_MAX)

/* Shift counts >= the width through a variable: the hardware masks the count (to 5 bits for 32-bit
 * operands, 6 bits for 64-bit). Undefined in C, so done here the way the machine does it. */
static NOINLINE uint32_t shl32_hw(uint32_t a, unsigned c)
{
    __asm__("shll %%cl, %0" : "+r"(a) : "c"(c) : "cc");
    return a;
}
static NOINLINE uint64_t shr64_hw(uint64_t a, unsigned c)
{
    __asm__("shrq %%cl, %0" : "+r"(a) : "c"(c) : "cc");
    return a;
}
static NOINLINE int32_t sar32_hw(int32_t a, unsigned c)
{
    __asm__("sarl %%cl, %0" : "+r"(a) : "c"(c) : "cc");
    return a;
}

/* Products' high halves, the way compilers use them for division by constants. */
static NOINLINE uint64_t umulh(uint64_t a, uint64_t b) { return (uint64_t)(((unsigned __int128)a * b) >> 64); }
static NOINLINE int64_t smulh(int64_t a, int64_t b) { return (int64_t)(((__int128)a * b) >> 64); }
static NOINLINE uint32_t umulh32(uint32_t a, uint32_t b) { return (uint32_t)(((uint64_t)a * b) >> 32); }

/* Division by constants: the compiler turns these into multiply-and-shift sequences. */
static NOINLINE uint64_t divconst(uint64_t h, int64_t a, uint64_t u)
{
    h = mix64(h, (uint64_t)(a / 3) ^ (uint64_t)(a % 3));
    h = mix64(h, (uint64_t)(a / 7) ^ (uint64_t)(a % 7));
    h = mix64(h, (uint64_t)(a / 10) ^ (uint64_t)(a % 10));
    h = mix64(h, (uint64_t)(a / -9) ^ (uint64_t)(a % 1000));
    h = mix64(h, (uint64_t)(a / 16) ^ (uint64_t)(a % 16));
    h = mix64(h, (u / 3) ^ (u % 3));
    h = mix64(h, (u / 10) ^ (u % 10));
    h = mix64(h, (u / 1000000007) ^ (u % 1000000007));
    h = mix64(h, (u / 641) ^ (u % 641));
    h = mix64(h, (uint64_t)((uint32_t)u / 7u) ^ (uint64_t)((int32_t)a / 7));
    h = mix64(h, (uint64_t)((uint16_t)u / 10u) ^ (uint64_t)((int16_t)a % 7));
    h = mix64(h, (uint64_t)((uint8_t)u / 3u) ^ (uint64_t)((int8_t)a / 5));
    return h;
}

int main(void)
{
    i8_run();
    u8_run();
    i16_run();
    u16_run();
    i32_run();
    u32_run();
    i64_run();
    u64_run();

    uint64_t h = FNV_INIT;
    unsigned long n = 0;
    for (size_t i = 0; i < NV; i++)
        for (unsigned c = 0; c < 130; c++) {
            h = mix64(h, shl32_hw((uint32_t)vals64[i], c));
            h = mix64(h, shr64_hw((uint64_t)vals64[i], c));
            h = mix64(h, (uint64_t)(uint32_t)sar32_hw((int32_t)vals64[i], c));
            n += 3;
        }
    report("hardware-masked shifts", h, n);

    h = FNV_INIT, n = 0;
    for (size_t i = 0; i < NV; i++)
        for (size_t j = 0; j < NV; j++) {
            h = mix64(h, umulh((uint64_t)vals64[i], (uint64_t)vals64[j]));
            h = mix64(h, (uint64_t)smulh(vals64[i], vals64[j]));
            h = mix64(h, umulh32((uint32_t)vals64[i], (uint32_t)vals64[j]));
            n += 3;
        }
    report("high halves of products", h, n);

    h = FNV_INIT, n = 0;
    for (size_t i = 0; i < NV; i++) {
        h = divconst(h, vals64[i], (uint64_t)vals64[i]);
        n++;
    }
    report("division by constants", h, n);

    /* Conversions between widths: sign and zero extension, truncation. */
    h = FNV_INIT, n = 0;
    for (size_t i = 0; i < NV; i++) {
        int64_t v = vals64[i];
        h = mix64(h, (uint64_t)(int64_t)(int8_t)v);
        h = mix64(h, (uint64_t)(int64_t)(int16_t)v);
        h = mix64(h, (uint64_t)(int64_t)(int32_t)v);
        h = mix64(h, (uint64_t)(uint8_t)v);
        h = mix64(h, (uint64_t)(uint16_t)v);
        h = mix64(h, (uint64_t)(uint32_t)v);
        h = mix64(h, (uint64_t)(int32_t)(int8_t)v);
        h = mix64(h, (uint64_t)(uint32_t)(int16_t)v);
        h = mix64(h, (uint64_t)(v < 0 ? -(uint64_t)v : (uint64_t)v));
        n += 9;
    }
    report("conversions", h, n);

    /* A few values in clear, so a diff shows numbers too. */
    volatile int64_t a = INT64_MAX, b = 3, m = INT64_MIN, neg7 = -7;
    volatile int32_t c = INT32_MIN, d = 7;
    volatile uint8_t e = 200, f = 100;
    printf("INT64_MAX/3 = %lld rem %lld\n", (long long)(a / b), (long long)(a % b));
    printf("INT64_MIN/3 = %lld rem %lld\n", (long long)(m / b), (long long)(m % b));
    printf("-7/2 = %lld, -7%%2 = %lld, -7>>1 = %lld\n", (long long)(neg7 / 2), (long long)(neg7 % 2),
           (long long)(neg7 >> 1));
    printf("INT32_MIN/7 = %d rem %d\n", c / d, c % d);
    printf("(uint8)200+100 = %u, 200*100 = %u (int %d)\n", (uint8_t)(e + f), (uint8_t)(e * f), e * f);
    printf("umulh(2^64-1, 2^64-1) = %llu\n", (unsigned long long)umulh(UINT64_MAX, UINT64_MAX));
    printf("smulh(INT64_MIN, -1) = %lld\n", (long long)smulh(INT64_MIN, -1));
    return 0;
}
