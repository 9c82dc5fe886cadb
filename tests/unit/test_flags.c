/* Lazy flags (emu/flags.h): the fast condition paths agree with the computed flags for every
 * kind, size and condition; the computed flags match the host CPU's for add/sub/logic/inc/dec
 * on random operands; RFLAGS round-trips through cpu_get_rflags/cpu_set_rflags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "emu/flags.h"

static uint64_t rng = 12345;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static uint64_t rnd_val(int s)
{
    static const uint64_t sp[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
                                  0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull};
    uint64_t v = (rnd() & 1) ? rnd() : sp[rnd() % 14];
    return v & SZ_MASK(s);
}

static void record(cpu_t *c, int kind, int s, uint64_t a, uint64_t b, uint32_t aux)
{
    uint64_t m = SZ_MASK(s), r;
    switch (kind) {
    case LFK_ADD: r = (a + b) & m; break;
    case LFK_ADC: r = (a + b + aux) & m; break;
    case LFK_SUB: r = (a - b) & m; break;
    case LFK_SBB: r = (a - b - aux) & m; break;
    case LFK_LOGIC: r = a & b; break;
    case LFK_INC: r = (a + 1) & m; b = 1; break;
    case LFK_DEC: r = (a - 1) & m; b = 1; break;
    case LFK_SHL: b = 1 + b % (s == 3 ? 63 : 31); r = b < (uint64_t)SZ_BITS(s) ? (a << b) & m : 0; break;
    case LFK_SHR: b = 1 + b % (s == 3 ? 63 : 31); r = b < (uint64_t)SZ_BITS(s) ? a >> b : 0; break;
    case LFK_SAR: {
        b = 1 + b % (s == 3 ? 63 : 31);
        int64_t sa = (int64_t)(a << SZ_SHIFT(s)) >> SZ_SHIFT(s);
        r = (uint64_t)(sa >> b) & m;
        break;
    }
    default: r = (a * b) & m; break;
    }
    lf_set(c, (uint32_t)kind, s, a, b, r);
    c->lf_aux = aux;
}

static void test_cond_fast_paths_agree(void **st)
{
    (void)st;
    static cpu_t c;
    for (int it = 0; it < 200000; it++) {
        int kind = 1 + (int)(rnd() % LFK_MUL), s = (int)(rnd() % 4);
        record(&c, kind, s, rnd_val(s), rnd_val(s), (uint32_t)(rnd() & 1));
        uint32_t f = flags_compute(&c);
        for (int cc = 0; cc < 16; cc++) {
            int fast = flags_cond(&c, cc), slow = flags_cond_bits(f, cc);
            if (fast != slow) fail_msg("kind %d size %d cc %d a %#llx b %#llx: fast %d slow %d", kind, s, cc,
                                       (unsigned long long)c.lf_a, (unsigned long long)c.lf_b, fast, slow);
        }
        assert_int_equal(flags_cf(&c), f & FL_CF);
    }
}

#if defined(__x86_64__)
/* Host flags of a op b at 64-bit size (op: 0 add, 1 sub, 2 and, 3 inc, 4 dec, 5 neg). */
static uint32_t host_flags64(int op, uint64_t a, uint64_t b, uint64_t cf_in)
{
    uint64_t f = cf_in;
    switch (op) {
    case 0: __asm__ volatile("sub $128, %%rsp\n\tpush %1\n\tpopfq\n\tadd %2, %0\n\tpushfq\n\tpop %1\n\tadd $128, %%rsp" : "+r"(a), "+r"(f) : "r"(b) : "cc"); break;
    case 1: __asm__ volatile("sub $128, %%rsp\n\tpush %1\n\tpopfq\n\tsub %2, %0\n\tpushfq\n\tpop %1\n\tadd $128, %%rsp" : "+r"(a), "+r"(f) : "r"(b) : "cc"); break;
    case 2: __asm__ volatile("sub $128, %%rsp\n\tpush %1\n\tpopfq\n\tand %2, %0\n\tpushfq\n\tpop %1\n\tadd $128, %%rsp" : "+r"(a), "+r"(f) : "r"(b) : "cc"); break;
    case 3: __asm__ volatile("sub $128, %%rsp\n\tpush %1\n\tpopfq\n\tinc %0\n\tpushfq\n\tpop %1\n\tadd $128, %%rsp" : "+r"(a), "+r"(f) : : "cc"); break;
    case 4: __asm__ volatile("sub $128, %%rsp\n\tpush %1\n\tpopfq\n\tdec %0\n\tpushfq\n\tpop %1\n\tadd $128, %%rsp" : "+r"(a), "+r"(f) : : "cc"); break;
    default: __asm__ volatile("sub $128, %%rsp\n\tpush %1\n\tpopfq\n\tneg %0\n\tpushfq\n\tpop %1\n\tadd $128, %%rsp" : "+r"(a), "+r"(f) : : "cc"); break;
    }
    return (uint32_t)f & FL_ARITH;
}
#endif

static void test_compute_matches_host(void **st)
{
    (void)st;
#if defined(__x86_64__)
    static cpu_t c;
    for (int it = 0; it < 100000; it++) {
        uint64_t a = rnd_val(3), b = rnd_val(3), cf = rnd() & 1;
        int op = (int)(rnd() % 6);
        c.rflags = cf;
        c.lf_op = 0;
        switch (op) {
        case 0: lf_set(&c, LFK_ADD, 3, a, b, a + b); break;
        case 1: lf_set(&c, LFK_SUB, 3, a, b, a - b); break;
        case 2: lf_set_logic(&c, 3, a & b); break;
        case 3: lf_set(&c, LFK_INC, 3, a, 1, a + 1); c.lf_aux = (uint32_t)cf; break;
        case 4: lf_set(&c, LFK_DEC, 3, a, 1, a - 1); c.lf_aux = (uint32_t)cf; break;
        default: lf_set(&c, LFK_SUB, 3, 0, a, 0 - a); break;
        }
        uint32_t mask = op == 2 ? FL_ARITH & ~FL_AF : FL_ARITH;
        uint32_t want = host_flags64(op, a, b, cf) & mask, got = flags_compute(&c) & mask;
        if (want != got) fail_msg("op %d a %#llx b %#llx cf %d: host %#x emu %#x", op, (unsigned long long)a,
                                  (unsigned long long)b, (int)cf, want, got);
    }
#else
    skip();
#endif
}

static void test_rflags_roundtrip(void **st)
{
    (void)st;
    static cpu_t c;
    cpu_set_rflags(&c, 0x202 | FL_CF | FL_OF | FL_DF);
    assert_int_equal(cpu_get_rflags(&c), 0x202 | FL_CF | FL_OF | FL_DF);
    assert_int_equal(c.lf_op, 0);
    /* a lazy result replaces all six arithmetic bits, nothing else */
    lf_set(&c, LFK_SUB, 0, 1, 2, 0xff);
    assert_int_equal(cpu_get_rflags(&c), 0x202 | FL_DF | FL_CF | FL_SF | FL_PF | FL_AF);
    flags_materialize(&c);
    assert_int_equal(c.lf_op, 0);
    assert_int_equal(cpu_get_rflags(&c), 0x202 | FL_DF | FL_CF | FL_SF | FL_PF | FL_AF);
    /* bit 1 always reads as 1 */
    cpu_set_rflags(&c, 0);
    assert_int_equal(cpu_get_rflags(&c), 2);
    /* inc keeps the CF recorded in lf_aux */
    lf_set(&c, LFK_INC, 2, 0xffffffff, 1, 0);
    c.lf_aux = 1;
    assert_int_equal(flags_compute(&c), FL_CF | FL_ZF | FL_PF | FL_AF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cond_fast_paths_agree),
        cmocka_unit_test(test_compute_matches_host),
        cmocka_unit_test(test_rflags_roundtrip),
    };
    return cmocka_run_group_tests_name("flags", tests, NULL, NULL);
}
