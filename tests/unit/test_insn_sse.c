/* SSE/SSE2 integer subset on the emulated CPU: alignment checks, page-crossing 16-byte loads and
 * stores (a faulting store changes nothing), scalar move semantics (loads zero-extend, register
 * moves merge), movd/movq, ldmxcsr/stmxcsr. Element-wise results against the host are in
 * test_insn_native.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tests/unit/cpu_harness.h"

static th_t *h;

static int setup(void **s)
{
    (void)s;
    h = th_new();
    return 0;
}
static int teardown(void **s)
{
    (void)s;
    th_free(h);
    return 0;
}

#define R(n) (h->c->r[n])
#define X(n) (h->c->xmm[n])
#define RUN(code, n) assert_int_equal(run_code(code, sizeof(code) - 1, n), -1)
#define RUN_FAULT(code, n) run_code(code, sizeof(code) - 1, n)
static int run_code(const char *code, size_t len, int n)
{
    th_code(h, code, len);
    return th_run(h, (uint64_t)n);
}

static void test_alignment(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RBX) = TH_DATA + 8;
    assert_int_equal(RUN_FAULT("\x66\x0f\x6f\x03", 1), X86_GP);     /* movdqa xmm0, [rbx] */
    assert_int_equal(RUN_FAULT("\x66\x0f\x7f\x03", 1), X86_GP);     /* movdqa [rbx], xmm0 */
    assert_int_equal(RUN_FAULT("\x0f\x28\x03", 1), X86_GP);         /* movaps */
    assert_int_equal(RUN_FAULT("\x66\x0f\xfc\x03", 1), X86_GP);     /* paddb xmm0, [rbx] */
    assert_int_equal(RUN_FAULT("\x66\x0f\x70\x03\x00", 1), X86_GP); /* pshufd */
    RUN("\xf3\x0f\x6f\x03", 1);                                     /* movdqu: fine */
    RUN("\x0f\x10\x03", 1);                                         /* movups: fine */
    RUN("\x66\x0f\x6e\x03", 1);                                     /* movd: 4 bytes, fine */
    RUN("\xf3\x0f\x7e\x03", 1);                                     /* movq: 8 bytes, fine */
}

static void test_page_crossing(void **s)
{
    (void)s;
    th_reset(h);
    uint8_t *p = th_ptr(h, TH_DATA + 0x1000 - 8);
    for (int k = 0; k < 8; k++) p[k] = (uint8_t)(k + 1);
    uint8_t *q = th_ptr(h, TH_DATA + 0x1000);
    for (int k = 0; k < 8; k++) q[k] = (uint8_t)(k + 9);
    R(R_RBX) = TH_DATA + 0x1000 - 8;
    RUN("\xf3\x0f\x6f\x03", 1); /* movdqu xmm0, [rbx] across the page boundary */
    for (int k = 0; k < 16; k++) assert_int_equal(X(0).b[k], k + 1);
    R(R_RBX) = TH_DATA + 0x2000 - 4;
    RUN("\xf3\x0f\x7f\x03", 1); /* movdqu [rbx], xmm0 */
    assert_memory_equal(th_ptr(h, TH_DATA + 0x2000 - 4), X(0).b, 4);
    assert_memory_equal(th_ptr(h, TH_DATA + 0x2000), X(0).b + 4, 12);
    /* a store that crosses into an unmapped page changes neither page */
    R(R_RBX) = TH_DATA + 0x4000 - 4;
    memset(th_ptr(h, TH_DATA + 0x4000 - 4), 0xee, 4);
    assert_int_equal(RUN_FAULT("\xf3\x0f\x7f\x03", 1), X86_PF);
    for (int k = 0; k < 4; k++) assert_int_equal(th_ptr(h, TH_DATA + 0x4000 - 4)[k], 0xee);
}

static void test_scalar_moves(void **s)
{
    (void)s;
    th_reset(h);
    for (int k = 0; k < 4; k++) X(1).d[k] = 0x11111111u * (uint32_t)(k + 1);
    for (int k = 0; k < 4; k++) X(2).d[k] = 0xa0000000u + (uint32_t)k;
    RUN("\xf3\x0f\x10\xca", 1); /* movss xmm1, xmm2: merge low dword */
    assert_int_equal(X(1).d[0], 0xa0000000u);
    assert_int_equal(X(1).d[1], 0x22222222u);
    th_wr64(h, TH_DATA, 0x123456789abcdef0ull);
    R(R_RBX) = TH_DATA;
    RUN("\xf3\x0f\x10\x0b", 1); /* movss xmm1, [rbx]: zero-extend */
    assert_int_equal(X(1).q[0], 0x9abcdef0u);
    assert_int_equal(X(1).q[1], 0);
    X(1).q[1] = 5;
    RUN("\xf2\x0f\x10\x0b", 1); /* movsd xmm1, [rbx] */
    assert_int_equal(X(1).q[0], 0x123456789abcdef0ull);
    assert_int_equal(X(1).q[1], 0);
    X(1).q[1] = 5;
    RUN("\xf2\x0f\x10\xca", 1); /* movsd xmm1, xmm2: merge */
    assert_int_equal(X(1).q[0], X(2).q[0]);
    assert_int_equal(X(1).q[1], 5);
    RUN("\x66\x0f\xd6\xd1", 1); /* movq xmm1, xmm2 (store form, register): zero upper */
    assert_int_equal(X(1).q[1], 0);
    R(R_RAX) = 0xfedcba9876543210ull;
    RUN("\x66\x48\x0f\x6e\xd8", 1); /* movq xmm3, rax */
    assert_int_equal(X(3).q[0], 0xfedcba9876543210ull);
    assert_int_equal(X(3).q[1], 0);
    RUN("\x66\x0f\x6e\xd8", 1); /* movd xmm3, eax */
    assert_int_equal(X(3).q[0], 0x76543210u);
    X(3).d[0] = 0x80000001u;
    RUN("\x66\x0f\x7e\xd8", 1); /* movd eax, xmm3: zero-extends rax */
    assert_int_equal(R(R_RAX), 0x80000001u);
    RUN("\x66\x0f\xd7\xc3", 1); /* pmovmskb eax, xmm3 */
    assert_int_equal(R(R_RAX), 0x8);
}

static void test_mxcsr(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RBX) = TH_DATA;
    RUN("\x0f\xae\x1b", 1); /* stmxcsr [rbx] */
    assert_int_equal(th_rd64(h, TH_DATA) & 0xffffffff, 0x1f80);
    th_wr64(h, TH_DATA, 0x7f80);
    RUN("\x0f\xae\x13", 1); /* ldmxcsr [rbx] */
    assert_int_equal(h->c->mxcsr, 0x7f80);
    th_wr64(h, TH_DATA, 0x10000);
    assert_int_equal(RUN_FAULT("\x0f\xae\x13", 1), X86_GP);
    assert_int_equal(h->c->mxcsr, 0x7f80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_page_crossing),
        cmocka_unit_test(test_scalar_moves),
        cmocka_unit_test(test_mxcsr),
    };
    return cmocka_run_group_tests_name("insn_sse", tests, setup, teardown);
}
