/* Atomic builtins at every width: __atomic_{load,store,exchange,compare_exchange,fetch_*,*_fetch,
 * test_and_set,clear} and __sync_* (lock xadd, lock cmpxchg, lock or/and/xor, xchg), including failing
 * compare-exchanges, plus 16-byte compare-exchange (lock cmpxchg16b) through a cx16 function and
 * through inline assembly. Single-threaded: the results are exact. */
#include <stdint.h>
#include <stdio.h>
#include "progs.h"

#define NOINLINE __attribute__((noinline))

#define WIDTH_TEST(T, NAME)                                                                             \
    static NOINLINE uint64_t NAME(uint64_t seed)                                                        \
    {                                                                                                   \
        static T v;                                                                                     \
        uint64_t h = FNV_INIT;                                                                          \
        __atomic_store_n(&v, (T)seed, __ATOMIC_SEQ_CST);                                                \
        for (int i = 0; i < 2000; i++) {                                                                \
            T x = (T)rng_next(&seed), old, expected;                                                    \
            switch (i % 16) {                                                                           \
            case 0: old = __atomic_fetch_add(&v, x, __ATOMIC_SEQ_CST); break;                           \
            case 1: old = __atomic_fetch_sub(&v, x, __ATOMIC_ACQ_REL); break;                           \
            case 2: old = __atomic_fetch_and(&v, x | (T)0x0f, __ATOMIC_RELAXED); break;                 \
            case 3: old = __atomic_fetch_or(&v, x & (T)0x70, __ATOMIC_SEQ_CST); break;                  \
            case 4: old = __atomic_fetch_xor(&v, x, __ATOMIC_SEQ_CST); break;                           \
            case 5: old = __atomic_add_fetch(&v, x, __ATOMIC_SEQ_CST); break;                           \
            case 6: old = __atomic_exchange_n(&v, x, __ATOMIC_SEQ_CST); break;                          \
            case 7:                                                                                     \
                expected = __atomic_load_n(&v, __ATOMIC_ACQUIRE);                                       \
                old = (T)__atomic_compare_exchange_n(&v, &expected, x, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
                old = (T)(old + expected);                                                              \
                break;                                                                                  \
            case 8:                                                                                     \
                expected = (T)(x + 1); /* usually wrong: the exchange fails and loads the value */      \
                old = (T)__atomic_compare_exchange_n(&v, &expected, x, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); \
                old = (T)(old * 3 + expected);                                                          \
                break;                                                                                  \
            case 9: old = __sync_fetch_and_add(&v, x); break;                                           \
            case 10: old = __sync_sub_and_fetch(&v, (T)1); break;                                       \
            case 11: old = __sync_val_compare_and_swap(&v, v, x); break;                                \
            case 12: old = (T)__sync_bool_compare_and_swap(&v, (T)(v ^ 1), x); break;                   \
            case 13: old = __sync_lock_test_and_set(&v, x); break;                                      \
            case 14: __atomic_fetch_or(&v, (T)1 << (i % (8 * sizeof(T))), __ATOMIC_SEQ_CST); old = v; break; \
            default: __atomic_fetch_and(&v, (T)~((T)1 << (i % (8 * sizeof(T)))), __ATOMIC_SEQ_CST); old = v; break; \
            }                                                                                           \
            h = mix64(mix64(h, (uint64_t)old), (uint64_t)__atomic_load_n(&v, __ATOMIC_SEQ_CST));       \
        }                                                                                               \
        return h;                                                                                       \
    }
WIDTH_TEST(uint8_t, test8)
WIDTH_TEST(uint16_t, test16)
WIDTH_TEST(uint32_t, test32)
WIDTH_TEST(uint64_t, test64)
WIDTH_TEST(int32_t, tests32)

/* 16-byte compare-and-swap: gcc emits lock cmpxchg16b in a cx16 function. */
static unsigned __int128 wide __attribute__((aligned(16)));
__attribute__((target("cx16"), noinline)) static int cas128(unsigned __int128 expect, unsigned __int128 val)
{
    return __sync_bool_compare_and_swap(&wide, expect, val);
}
__attribute__((target("cx16"), noinline)) static unsigned __int128 vcas128(unsigned __int128 expect,
                                                                             unsigned __int128 val)
{
    return __sync_val_compare_and_swap(&wide, expect, val);
}

/* The same instruction by hand, returning ZF and rdx:rax. */
static NOINLINE int cmpxchg16b_asm(unsigned __int128 *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
    uint8_t ok;
    __asm__ volatile("lock cmpxchg16b %[m]\n\tsete %[ok]"
                     : [m] "+m"(*p), "+a"(*lo), "+d"(*hi), [ok] "=q"(ok)
                     : "b"(nlo), "c"(nhi)
                     : "cc", "memory");
    return ok;
}

static void print128(const char *what, unsigned __int128 v)
{
    printf("%s%016llx%016llx\n", what, (unsigned long long)(v >> 64), (unsigned long long)v);
}

int main(void)
{
    printf("atomics  8: %016llx\n", (unsigned long long)test8(1));
    printf("atomics 16: %016llx\n", (unsigned long long)test16(2));
    printf("atomics 32: %016llx\n", (unsigned long long)test32(3));
    printf("atomics 64: %016llx\n", (unsigned long long)test64(4));
    printf("atomics s32: %016llx\n", (unsigned long long)tests32(5));

    volatile char flag = 0;
    int t1 = __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST);
    int t2 = __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST);
    __atomic_clear((void *)&flag, __ATOMIC_SEQ_CST);
    int t3 = __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST);
    printf("test_and_set: %d %d %d\n", t1, t2, t3);

    unsigned __int128 a = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    unsigned __int128 b = ((unsigned __int128)0xdeadbeefULL << 64) | 0xcafebabeULL;
    wide = a;
    printf("cas128 wrong expected: %d\n", cas128(b, b));
    print128("  value ", wide);
    printf("cas128 right expected: %d\n", cas128(a, b));
    print128("  value ", wide);
    print128("vcas128 returns ", vcas128(a, a));
    print128("vcas128 returns ", vcas128(b, ~b));
    print128("  value ", wide);

    static unsigned __int128 m __attribute__((aligned(16)));
    m = a;
    uint64_t lo = 1, hi = 2;
    int ok = cmpxchg16b_asm(&m, &lo, &hi, 5, 6);
    printf("cmpxchg16b mismatch: ok=%d rdx:rax=%016llx:%016llx\n", ok, (unsigned long long)hi, (unsigned long long)lo);
    ok = cmpxchg16b_asm(&m, &lo, &hi, 5, 6);
    printf("cmpxchg16b match: ok=%d rdx:rax=%016llx:%016llx\n", ok, (unsigned long long)hi, (unsigned long long)lo);
    print128("  memory ", m);

    /* lock-prefixed read-modify-write through a pointer, and xchg with memory */
    static uint64_t counters[8];
    for (int i = 0; i < 10000; i++) {
        __atomic_fetch_add(&counters[i & 7], (uint64_t)i, __ATOMIC_RELAXED);
        __sync_fetch_and_xor(&counters[(i * 3) & 7], (uint64_t)i << 7);
        __atomic_exchange_n(&counters[(i * 5) & 7], counters[(i * 5) & 7] + 1, __ATOMIC_SEQ_CST);
    }
    printf("counters:");
    for (int i = 0; i < 8; i++)
        printf(" %llu", (unsigned long long)counters[i]);
    printf("\n");
    return 0;
}
