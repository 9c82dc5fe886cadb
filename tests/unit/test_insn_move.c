/* Data movement on the emulated CPU: cmpxchg (success and failure, all widths, 8b/16b), xadd,
 * push/pop (incl. rsp-relative forms, 16-bit), enter/leave, string instructions with rep and
 * DF = 1 and faults in the middle of a rep, moffs moves, xlat, cmov/setcc. */
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
#define RUN(code, n) assert_int_equal(run_code(code, sizeof(code) - 1, n), -1)
#define RUN_FAULT(code, n) run_code(code, sizeof(code) - 1, n)
static int run_code(const char *code, size_t len, int n)
{
    th_code(h, code, len);
    return th_run(h, (uint64_t)n);
}

static void test_cmpxchg(void **s)
{
    (void)s;
    th_reset(h);
    /* success: lock cmpxchg [rbx], rcx with rax == [rbx] */
    R(R_RBX) = TH_DATA;
    th_wr64(h, TH_DATA, 42);
    R(R_RAX) = 42;
    R(R_RCX) = 99;
    RUN("\xf0\x48\x0f\xb1\x0b", 1);
    assert_int_equal(th_rd64(h, TH_DATA), 99);
    assert_int_equal(R(R_RAX), 42);
    assert_true(TH_ARITH(h) & FL_ZF);
    /* failure: rax gets the memory value, memory unchanged */
    R(R_RAX) = 41;
    RUN("\xf0\x48\x0f\xb1\x0b", 1);
    assert_int_equal(th_rd64(h, TH_DATA), 99);
    assert_int_equal(R(R_RAX), 99);
    assert_false(TH_ARITH(h) & FL_ZF);
    /* flags as cmp rax, [mem]: 41 - 99 borrows */
    assert_true(TH_ARITH(h) & FL_CF);
    /* 32-bit failure zero-extends rax; 8-bit merges */
    th_wr64(h, TH_DATA, 0x1111111122222222ull);
    R(R_RAX) = 0xffffffff00000000ull;
    RUN("\x0f\xb1\x0b", 1);
    assert_int_equal(R(R_RAX), 0x22222222);
    R(R_RAX) = 0xabcd;
    RUN("\x0f\xb0\x0b", 1);
    assert_int_equal(R(R_RAX), 0xab22);
    /* register form */
    R(R_RAX) = 7;
    R(R_RDX) = 7;
    R(R_RCX) = 8;
    RUN("\x48\x0f\xb1\xca", 1); /* cmpxchg rdx, rcx */
    assert_int_equal(R(R_RDX), 8);
    assert_true(TH_ARITH(h) & FL_ZF);
    /* cmpxchg on a read-only page faults even when the comparison fails */
    R(R_RBX) = TH_RO;
    R(R_RAX) = 1;
    assert_int_equal(RUN_FAULT("\x48\x0f\xb1\x0b", 1), X86_PF);
    assert_int_equal(R(R_RAX), 1);
}

static void test_cmpxchg8b_16b(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RDI) = TH_DATA + 0x20;
    th_wr64(h, TH_DATA + 0x20, 0x1111111122222222ull);
    th_wr64(h, TH_DATA + 0x28, 0x3333333344444444ull);
    R(R_RAX) = 0x22222222;
    R(R_RDX) = 0x11111111;
    R(R_RBX) = 0xaaaaaaaa;
    R(R_RCX) = 0xbbbbbbbb;
    RUN("\xf0\x0f\xc7\x0f", 1); /* lock cmpxchg8b [rdi] */
    assert_int_equal(th_rd64(h, TH_DATA + 0x20), 0xbbbbbbbbaaaaaaaaull);
    assert_true(TH_ARITH(h) & FL_ZF);
    RUN("\xf0\x0f\xc7\x0f", 1); /* now fails: edx:eax = memory */
    assert_int_equal(R(R_RAX), 0xaaaaaaaa);
    assert_int_equal(R(R_RDX), 0xbbbbbbbb);
    assert_false(TH_ARITH(h) & FL_ZF);
    /* cmpxchg16b */
    R(R_RAX) = th_rd64(h, TH_DATA + 0x20);
    R(R_RDX) = th_rd64(h, TH_DATA + 0x28);
    R(R_RBX) = 1;
    R(R_RCX) = 2;
    RUN("\xf0\x48\x0f\xc7\x0f", 1);
    assert_int_equal(th_rd64(h, TH_DATA + 0x20), 1);
    assert_int_equal(th_rd64(h, TH_DATA + 0x28), 2);
    assert_true(TH_ARITH(h) & FL_ZF);
    /* misaligned: #GP */
    R(R_RDI) = TH_DATA + 0x28;
    assert_int_equal(RUN_FAULT("\xf0\x48\x0f\xc7\x0f", 1), X86_GP);
    /* register operand: #UD */
    assert_int_equal(RUN_FAULT("\x0f\xc7\xc8", 1), X86_UD);
}

static void test_xadd(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RBX) = TH_DATA;
    th_wr64(h, TH_DATA, 10);
    R(R_RCX) = 5;
    RUN("\xf0\x48\x0f\xc1\x0b", 1);
    assert_int_equal(th_rd64(h, TH_DATA), 15);
    assert_int_equal(R(R_RCX), 10);
    R(R_RAX) = 3;
    RUN("\x48\x0f\xc1\xc0", 1); /* xadd rax, rax = 6 */
    assert_int_equal(R(R_RAX), 6);
}

static void test_push_pop(void **s)
{
    (void)s;
    th_reset(h);
    uint64_t sp = R(R_RSP);
    R(R_RAX) = 0x1122334455667788ull;
    RUN("\x50\x5b", 2); /* push rax; pop rbx */
    assert_int_equal(R(R_RBX), R(R_RAX));
    assert_int_equal(R(R_RSP), sp);
    RUN("\x66\x50", 1); /* push ax */
    assert_int_equal(R(R_RSP), sp - 2);
    RUN("\x66\x59", 1); /* pop cx */
    assert_int_equal(R(R_RCX) & 0xffff, 0x7788);
    assert_int_equal(R(R_RSP), sp);
    RUN("\x6a\xff", 1); /* push -1 (64-bit) */
    assert_int_equal(th_rd64(h, sp - 8), ~0ull);
    RUN("\x68\x00\x00\x00\x80", 1); /* push imm32 sign-extended */
    assert_int_equal(th_rd64(h, sp - 16), 0xffffffff80000000ull);
    /* push rsp pushes the old value; pop rsp loads the popped one */
    R(R_RSP) = sp;
    RUN("\x54", 1);
    assert_int_equal(th_rd64(h, sp - 8), sp);
    th_wr64(h, sp - 8, sp - 64);
    RUN("\x5c", 1);
    assert_int_equal(R(R_RSP), sp - 64);
    /* push [rsp+8] and pop [rsp]: the pop's address uses rsp after the increment */
    R(R_RSP) = sp - 32;
    th_wr64(h, sp - 24, 0xabc);
    RUN("\xff\x74\x24\x08", 1); /* push qword [rsp+8] */
    assert_int_equal(th_rd64(h, sp - 40), 0xabc);
    RUN("\x8f\x04\x24", 1); /* pop qword [rsp] -> stores at the new rsp */
    assert_int_equal(R(R_RSP), sp - 32);
    assert_int_equal(th_rd64(h, sp - 32), 0xabc);
    /* push r/m with a register; pop r/m with a register */
    R(R_R9) = 77;
    RUN("\x41\xff\xf1\x41\x8f\xc2", 2); /* push r9; pop r10 */
    assert_int_equal(R(R_R10), 77);
    /* pushfq/popfq round trip, and DF/ID changeable, IF not */
    cpu_set_rflags(h->c, 0x202 | FL_CF | FL_DF);
    RUN("\x9c\x58", 2);
    assert_int_equal(R(R_RAX), 0x202 | FL_CF | FL_DF);
    R(R_RAX) = FL_ZF | FL_ID; /* IF cleared in the value: popf at CPL 3 ignores it */
    RUN("\x50\x9d", 2);
    assert_int_equal(th_flags(h), 0x202 | FL_ZF | FL_ID);
    /* a push to an unmapped stack faults with rsp unchanged */
    R(R_RSP) = TH_UNMAPPED + 8;
    assert_int_equal(RUN_FAULT("\x50", 1), X86_PF);
    assert_int_equal(R(R_RSP), TH_UNMAPPED + 8);
}

static void test_enter_leave(void **s)
{
    (void)s;
    th_reset(h);
    uint64_t sp = R(R_RSP);
    R(R_RBP) = 0x1234;
    RUN("\xc8\x20\x00\x00", 1); /* enter 32, 0 */
    assert_int_equal(R(R_RBP), sp - 8);
    assert_int_equal(R(R_RSP), sp - 8 - 32);
    assert_int_equal(th_rd64(h, sp - 8), 0x1234);
    RUN("\xc9", 1); /* leave */
    assert_int_equal(R(R_RSP), sp);
    assert_int_equal(R(R_RBP), 0x1234);
    /* enter with nesting level 2: pushes rbp, one outer frame pointer, the new frame pointer */
    R(R_RBP) = sp - 0x100;
    th_wr64(h, sp - 0x108, 0x5555);
    RUN("\xc8\x10\x00\x02", 1);
    assert_int_equal(R(R_RBP), sp - 8);
    assert_int_equal(th_rd64(h, sp - 16), 0x5555);
    assert_int_equal(th_rd64(h, sp - 24), sp - 8);
    assert_int_equal(R(R_RSP), sp - 24 - 16);
}

static void test_strings(void **s)
{
    (void)s;
    th_reset(h);
    uint8_t *src = th_ptr(h, TH_DATA), *dst = th_ptr(h, TH_DATA + 0x1000);
    for (int k = 0; k < 256; k++) src[k] = (uint8_t)k;
    /* rep movsb forward */
    R(R_RSI) = TH_DATA;
    R(R_RDI) = TH_DATA + 0x1000;
    R(R_RCX) = 100;
    RUN("\xf3\xa4", 1);
    assert_memory_equal(dst, src, 100);
    assert_int_equal(R(R_RCX), 0);
    assert_int_equal(R(R_RSI), TH_DATA + 100);
    assert_int_equal(R(R_RDI), TH_DATA + 0x1064);
    /* rep movsq backward (DF = 1): copies 4 qwords ending at rsi/rdi */
    memset(dst, 0, 256);
    R(R_RSI) = TH_DATA + 24;
    R(R_RDI) = TH_DATA + 0x1000 + 24;
    R(R_RCX) = 4;
    RUN("\xfd\xf3\x48\xa5\xfc", 3); /* std; rep movsq; cld */
    assert_memory_equal(dst, src, 32);
    assert_int_equal(R(R_RSI), TH_DATA - 8);
    assert_int_equal(R(R_RDI), TH_DATA + 0x1000 - 8);
    /* overlapping rep movsb with dst = src + 1 replicates the first byte */
    R(R_RSI) = TH_DATA + 0x1000;
    R(R_RDI) = TH_DATA + 0x1001;
    dst[0] = 0x5a;
    R(R_RCX) = 50;
    RUN("\xf3\xa4", 1);
    for (int k = 0; k < 51; k++) assert_int_equal(dst[k], 0x5a);
    /* rep stosd backward */
    R(R_RDI) = TH_DATA + 0x1100 + 12;
    R(R_RAX) = 0xdeadbeef;
    R(R_RCX) = 4;
    RUN("\xfd\xf3\xab\xfc", 3);
    for (int k = 0; k < 4; k++) assert_int_equal(th_rd64(h, TH_DATA + 0x1100 + 8 * (k / 2)) >> (32 * (k & 1)) & 0xffffffff, 0xdeadbeef);
    assert_int_equal(R(R_RDI), TH_DATA + 0x1100 - 4);
    /* repne scasb finds a byte; rcx counts down to the match */
    R(R_RDI) = TH_DATA;
    R(R_RAX) = 10;
    R(R_RCX) = ~0ull;
    RUN("\xf2\xae", 1);
    assert_int_equal(R(R_RDI), TH_DATA + 11);
    assert_int_equal(R(R_RCX), ~0ull - 11);
    assert_true(TH_ARITH(h) & FL_ZF);
    /* repe cmpsb stops at the first difference */
    memcpy(th_ptr(h, TH_DATA + 0x2000), src, 64);
    th_ptr(h, TH_DATA + 0x2000)[40] = 0;
    R(R_RSI) = TH_DATA;
    R(R_RDI) = TH_DATA + 0x2000;
    R(R_RCX) = 64;
    RUN("\xf3\xa6", 1);
    assert_int_equal(R(R_RSI), TH_DATA + 41);
    assert_int_equal(R(R_RCX), 64 - 41);
    assert_false(TH_ARITH(h) & FL_ZF);
    /* lodsq with DF = 1 */
    R(R_RSI) = TH_DATA + 8;
    RUN("\xfd\x48\xad\xfc", 3);
    assert_int_equal(R(R_RAX), th_rd64(h, TH_DATA + 8));
    assert_int_equal(R(R_RSI), TH_DATA);
    /* rep with rcx = 0 does nothing */
    R(R_RCX) = 0;
    R(R_RDI) = TH_UNMAPPED;
    RUN("\xf3\xaa", 1);
    /* a fault in the middle of rep stosb: the registers describe the bytes done */
    R(R_RDI) = TH_DATA + 0x4000 - 10;
    R(R_RCX) = 20;
    R(R_RAX) = 0x77;
    assert_int_equal(RUN_FAULT("\xf3\xaa", 1), X86_PF);
    assert_int_equal(R(R_RDI), TH_DATA + 0x4000);
    assert_int_equal(R(R_RCX), 10);
    assert_int_equal(th_ptr(h, TH_DATA + 0x4000 - 1)[0], 0x77);
    assert_int_equal(h->c->rip, TH_CODE);
    /* a segment override applies to the source: movsb fs:[rsi] */
    h->c->fs_base = 0x100;
    R(R_RSI) = TH_DATA;
    R(R_RDI) = TH_DATA + 0x3000;
    RUN("\x64\xa4", 1);
    assert_int_equal(th_ptr(h, TH_DATA + 0x3000)[0], src[0x100]);
    h->c->fs_base = 0;
    /* 67: esi/edi/ecx */
    R(R_RSI) = 0xffffffff00000000ull | TH_DATA;
    R(R_RDI) = 0xffffffff00000000ull | (TH_DATA + 0x3000);
    R(R_RCX) = 0xffffffff00000002ull;
    RUN("\x67\xf3\xa4", 1);
    assert_int_equal(R(R_RSI), TH_DATA + 2);
    assert_int_equal(R(R_RCX), 0);
}

static void test_moffs_xlat_cmov_setcc(void **s)
{
    (void)s;
    th_reset(h);
    th_wr64(h, TH_DATA + 0x10, 0x8877665544332211ull);
    RUN("\x48\xa1\x10\x00\x60\x00\x00\x00\x00\x00", 1); /* mov rax, [0x600010] */
    assert_int_equal(R(R_RAX), 0x8877665544332211ull);
    RUN("\xa2\x18\x00\x60\x00\x00\x00\x00\x00", 1); /* mov [0x600018], al */
    assert_int_equal(th_rd64(h, TH_DATA + 0x18), 0x11);
    /* xlat */
    R(R_RBX) = TH_DATA + 0x10;
    R(R_RAX) = 0x1234502;
    RUN("\xd7", 1);
    assert_int_equal(R(R_RAX), 0x1234533);
    /* cmov with a false condition still zero-extends a 32-bit destination */
    R(R_RCX) = 0xffffffffffffffffull;
    R(R_RDX) = 5;
    cpu_set_rflags(h->c, 0x202);
    RUN("\x0f\x44\xca", 1); /* cmove ecx, edx (ZF = 0) */
    assert_int_equal(R(R_RCX), 0xffffffffull);
    /* cmov from an unmapped address faults even when false */
    R(R_RBX) = TH_UNMAPPED;
    assert_int_equal(RUN_FAULT("\x48\x0f\x44\x0b", 1), X86_PF);
    /* setcc into ah and into memory */
    R(R_RAX) = 0;
    R(R_RBX) = TH_DATA + 0x30;
    RUN("\x39\xc0\x0f\x94\xc4\x0f\x94\x03", 3); /* cmp eax, eax; sete ah; sete [rbx] */
    assert_int_equal(R(R_RAX), 0x100);
    assert_int_equal(th_rd64(h, TH_DATA + 0x30), 1);
    /* lea with rip-relative addressing and 32-bit address size */
    RUN("\x48\x8d\x05\x10\x00\x00\x00", 1);
    assert_int_equal(R(R_RAX), TH_CODE + 7 + 0x10);
    R(R_RCX) = 0xffffffff;
    R(R_RDX) = 2;
    RUN("\x67\x48\x8d\x04\x11", 1); /* lea rax, [ecx + edx] wraps at 32 bits */
    assert_int_equal(R(R_RAX), 1);
    /* mov to/from fs: with fs_base */
    h->c->fs_base = TH_DATA;
    RUN("\x64\x48\x8b\x04\x25\x10\x00\x00\x00", 1); /* mov rax, fs:[0x10] */
    assert_int_equal(R(R_RAX), 0x8877665544332211ull);
    h->c->fs_base = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmpxchg),        cmocka_unit_test(test_cmpxchg8b_16b),
        cmocka_unit_test(test_xadd),           cmocka_unit_test(test_push_pop),
        cmocka_unit_test(test_enter_leave),    cmocka_unit_test(test_strings),
        cmocka_unit_test(test_moffs_xlat_cmov_setcc),
    };
    return cmocka_run_group_tests_name("insn_move", tests, setup, teardown);
}
