/* Integer arithmetic corner cases on the emulated CPU: shifts by 0 and by >= the width,
 * rotates, division by zero and quotient overflow (#DE, with no effect), adc/sbb carry chains,
 * bsf/bsr of 0, 8/16-bit partial registers, multiplication flags. (Random operands against the
 * host CPU are in test_insn_native.c.) */
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
/* Run the code (a string literal) for n instructions and expect no exception. */
#define RUN(code, n) assert_int_equal(th_run_code(code, sizeof(code) - 1, n), -1)
#define RUN_FAULT(code, n) th_run_code(code, sizeof(code) - 1, n)

static int th_run_code(const char *code, size_t len, int n)
{
    th_code(h, code, len);
    return th_run(h, (uint64_t)n);
}

static void set_flags(uint64_t f) { cpu_set_rflags(h->c, f | 0x202); }

static void test_shift_count_zero(void **s)
{
    (void)s;
    th_reset(h);
    /* shl eax, 0: flags untouched, the upper half of rax cleared (a 32-bit write) */
    R(R_RAX) = 0xffffffff12345678ull;
    set_flags(FL_CF | FL_ZF | FL_OF);
    RUN("\xc1\xe0\x00", 1);
    assert_int_equal(R(R_RAX), 0x12345678);
    assert_int_equal(TH_ARITH(h), FL_CF | FL_ZF | FL_OF);
    /* shl rax, cl with cl = 64: masked to 0, nothing changes */
    R(R_RAX) = 0x8000000000000001ull;
    R(R_RCX) = 64;
    set_flags(FL_SF | FL_PF);
    RUN("\x48\xd3\xe0", 1);
    assert_int_equal(R(R_RAX), 0x8000000000000001ull);
    assert_int_equal(TH_ARITH(h), FL_SF | FL_PF);
    /* shl ax, cl with cl = 32: masked to 0 */
    R(R_RAX) = 0xabcd;
    R(R_RCX) = 32;
    set_flags(FL_CF);
    RUN("\x66\xd3\xe0", 1);
    assert_int_equal(R(R_RAX), 0xabcd);
    assert_int_equal(TH_ARITH(h), FL_CF);
    /* rcl al, cl with cl = 9: 9 mod 9 = 0, nothing changes */
    R(R_RAX) = 0x81;
    R(R_RCX) = 9;
    set_flags(0);
    RUN("\xd2\xd0", 1);
    assert_int_equal(R(R_RAX), 0x81);
    assert_int_equal(TH_ARITH(h), 0);
}

static void test_shift_count_ge_width(void **s)
{
    (void)s;
    th_reset(h);
    /* shl al, cl with cl = 8: al = 0, CF = old bit 0, ZF */
    R(R_RAX) = 0x1234;
    R(R_RCX) = 8;
    RUN("\xd2\xe0", 1);
    assert_int_equal(R(R_RAX), 0x1200);
    assert_true(TH_ARITH(h) & FL_ZF);
    /* shr al, cl with cl = 9 */
    R(R_RAX) = 0xff;
    R(R_RCX) = 9;
    RUN("\xd2\xe8", 1);
    assert_int_equal(R(R_RAX), 0);
    assert_true(TH_ARITH(h) & FL_ZF);
    assert_false(TH_ARITH(h) & FL_CF);
    /* sar al, cl with cl = 31: fills with the sign */
    R(R_RAX) = 0x80;
    R(R_RCX) = 31;
    RUN("\xd2\xf8", 1);
    assert_int_equal(R(R_RAX), 0xff);
    assert_true(TH_ARITH(h) & FL_CF);
    assert_true(TH_ARITH(h) & FL_SF);
    /* shl ax, 17 (c1 e0 11): zero */
    R(R_RAX) = 0xffff;
    RUN("\x66\xc1\xe0\x11", 1);
    assert_int_equal(R(R_RAX), 0);
    /* shl rax, 63; shl eax, 31 */
    R(R_RAX) = 3;
    RUN("\x48\xc1\xe0\x3f", 1);
    assert_int_equal(R(R_RAX), 0x8000000000000000ull);
    assert_true(TH_ARITH(h) & FL_CF);
    assert_true(TH_ARITH(h) & FL_SF);
    /* rol al, 8: value unchanged, CF = bit 0 */
    R(R_RAX) = 0x81;
    set_flags(0);
    RUN("\xc0\xc0\x08", 1);
    assert_int_equal(R(R_RAX), 0x81);
    assert_true(TH_ARITH(h) & FL_CF);
    /* ror eax, 1 and rcr with carry in */
    R(R_RAX) = 1;
    RUN("\xd1\xc8", 1);
    assert_int_equal(R(R_RAX), 0x80000000);
    assert_true(TH_ARITH(h) & FL_CF);
    assert_true(TH_ARITH(h) & FL_OF);
    R(R_RAX) = 0;
    set_flags(FL_CF);
    RUN("\x48\xd1\xd8", 1); /* rcr rax, 1 */
    assert_int_equal(R(R_RAX), 0x8000000000000000ull);
    assert_false(TH_ARITH(h) & FL_CF);
    set_flags(FL_CF);
    R(R_RAX) = 0x8000000000000000ull;
    RUN("\x48\xd1\xd0", 1); /* rcl rax, 1 */
    assert_int_equal(R(R_RAX), 1);
    assert_true(TH_ARITH(h) & FL_CF);
}

static void test_shld_shrd(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RAX) = 0x12345678;
    R(R_RDX) = 0x9abcdef0;
    RUN("\x0f\xa4\xd0\x08", 1); /* shld eax, edx, 8 */
    assert_int_equal(R(R_RAX), 0x3456789a);
    R(R_RAX) = 0x12345678;
    RUN("\x0f\xac\xd0\x08", 1); /* shrd eax, edx, 8 */
    assert_int_equal(R(R_RAX), 0xf0123456);
    R(R_RAX) = 0x1;
    R(R_RDX) = 0x8000000000000000ull;
    RUN("\x48\x0f\xa4\xd0\x01", 1); /* shld rax, rdx, 1 */
    assert_int_equal(R(R_RAX), 3);
}

static void test_div_errors(void **s)
{
    (void)s;
    th_reset(h);
    /* div ecx with ecx = 0: #DE, registers unchanged, rip at the instruction */
    R(R_RAX) = 100;
    R(R_RDX) = 0;
    R(R_RCX) = 0;
    set_flags(FL_ZF);
    assert_int_equal(RUN_FAULT("\xf7\xf1", 1), X86_DE);
    assert_int_equal(h->c->rip, TH_CODE);
    assert_int_equal(R(R_RAX), 100);
    assert_int_equal(TH_ARITH(h), FL_ZF);
    /* each size by zero */
    assert_int_equal(RUN_FAULT("\xf6\xf1", 1), X86_DE);
    assert_int_equal(RUN_FAULT("\x66\xf7\xf1", 1), X86_DE);
    assert_int_equal(RUN_FAULT("\x48\xf7\xf1", 1), X86_DE);
    assert_int_equal(RUN_FAULT("\x48\xf7\xf9", 1), X86_DE);
    /* quotient overflow: div cl with ax = 0x1000, cl = 0x10 */
    R(R_RAX) = 0x1000;
    R(R_RCX) = 0x10;
    assert_int_equal(RUN_FAULT("\xf6\xf1", 1), X86_DE);
    assert_int_equal(R(R_RAX), 0x1000);
    /* div rcx with rdx >= rcx */
    R(R_RDX) = 5;
    R(R_RCX) = 5;
    assert_int_equal(RUN_FAULT("\x48\xf7\xf1", 1), X86_DE);
    /* idiv: INT64_MIN / -1, INT32_MIN / -1, -32768 / -1 (8-bit), 0x80 quotient */
    R(R_RAX) = 0x8000000000000000ull;
    R(R_RDX) = ~0ull;
    R(R_RCX) = ~0ull;
    assert_int_equal(RUN_FAULT("\x48\xf7\xf9", 1), X86_DE);
    R(R_RAX) = 0x80000000;
    R(R_RDX) = 0xffffffff;
    assert_int_equal(RUN_FAULT("\xf7\xf9", 1), X86_DE);
    R(R_RAX) = 0x8000;
    R(R_RCX) = 0xff;
    assert_int_equal(RUN_FAULT("\xf6\xf9", 1), X86_DE);
    R(R_RAX) = 256; /* 256 / 2 = 128 does not fit in al */
    R(R_RCX) = 2;
    assert_int_equal(RUN_FAULT("\xf6\xf9", 1), X86_DE);
    R(R_RAX) = (uint64_t)-256; /* -256 / 2 = -128 fits */
    R(R_RCX) = 2;
    RUN("\xf6\xf9", 1);
    assert_int_equal(R(R_RAX) & 0xffff, 0x0080);
    /* valid signed division: -7 / 2 = -3 rem -1 (64-bit) */
    R(R_RAX) = (uint64_t)-7;
    R(R_RDX) = ~0ull;
    R(R_RCX) = 2;
    RUN("\x48\xf7\xf9", 1);
    assert_int_equal(R(R_RAX), (uint64_t)-3);
    assert_int_equal(R(R_RDX), (uint64_t)-1);
    /* 128/64 unsigned division */
    R(R_RAX) = 0;
    R(R_RDX) = 1;
    R(R_RCX) = 2;
    RUN("\x48\xf7\xf1", 1);
    assert_int_equal(R(R_RAX), 0x8000000000000000ull);
    assert_int_equal(R(R_RDX), 0);
    /* div r/m32 writes edx:eax zero-extended */
    R(R_RAX) = 0xffffffff00000007ull;
    R(R_RDX) = 0xffffffff00000000ull;
    R(R_RCX) = 2;
    RUN("\xf7\xf1", 1);
    assert_int_equal(R(R_RAX), 3);
    assert_int_equal(R(R_RDX), 1);
}

static void test_adc_sbb_carries(void **s)
{
    (void)s;
    th_reset(h);
    /* 128-bit add: rdx:rax += rcx:rbx with a carry out of the low half */
    R(R_RAX) = ~0ull;
    R(R_RDX) = 1;
    R(R_RBX) = 1;
    R(R_RCX) = 2;
    RUN("\x48\x01\xd8\x48\x11\xca", 2); /* add rax, rbx; adc rdx, rcx */
    assert_int_equal(R(R_RAX), 0);
    assert_int_equal(R(R_RDX), 4);
    assert_false(TH_ARITH(h) & FL_CF);
    /* adc with carry in that produces exactly the same value: ~0 + ~0 + 1 = ~0, CF = 1 */
    R(R_RAX) = ~0ull;
    R(R_RCX) = ~0ull;
    set_flags(FL_CF);
    RUN("\x48\x11\xc8", 1);
    assert_int_equal(R(R_RAX), ~0ull);
    assert_true(TH_ARITH(h) & FL_CF);
    /* adc al, 0xff with CF = 1: 0 + 0xff + 1 = 0x100 -> 0, CF, ZF, AF */
    R(R_RAX) = 0;
    set_flags(FL_CF);
    RUN("\x14\xff", 1);
    assert_int_equal(R(R_RAX), 0);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_ZF | FL_AF | FL_OF), FL_CF | FL_ZF | FL_AF);
    /* sbb eax, eax: 0 or -1 from CF (and the upper half cleared) */
    R(R_RAX) = 0x1234567800000000ull;
    set_flags(FL_CF);
    RUN("\x19\xc0", 1);
    assert_int_equal(R(R_RAX), 0xffffffff);
    assert_true(TH_ARITH(h) & FL_CF);
    set_flags(0);
    RUN("\x19\xc0", 1);
    assert_int_equal(R(R_RAX), 0);
    assert_false(TH_ARITH(h) & FL_CF);
    /* sbb with a borrow in and b = max: 5 - 0xff - 1 (8-bit) */
    R(R_RAX) = 5;
    R(R_RCX) = 0xff;
    set_flags(FL_CF);
    RUN("\x18\xc8", 1);
    assert_int_equal(R(R_RAX), 5);
    assert_true(TH_ARITH(h) & FL_CF);
    /* 128-bit subtract with borrow */
    R(R_RAX) = 0;
    R(R_RDX) = 5;
    R(R_RBX) = 1;
    R(R_RCX) = 2;
    RUN("\x48\x29\xd8\x48\x19\xca", 2); /* sub rax, rbx; sbb rdx, rcx */
    assert_int_equal(R(R_RAX), ~0ull);
    assert_int_equal(R(R_RDX), 2);
    /* inc and dec keep CF */
    set_flags(FL_CF);
    R(R_RAX) = ~0ull;
    RUN("\x48\xff\xc0", 1);
    assert_int_equal(R(R_RAX), 0);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_ZF), FL_CF | FL_ZF);
    R(R_RAX) = 0x80;
    set_flags(0);
    RUN("\xfe\xc8", 1); /* dec al: 0x80 -> 0x7f, OF */
    assert_int_equal(R(R_RAX), 0x7f);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_OF), FL_OF);
}

static void test_bsf_bsr_zero(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RAX) = 0xdeadbeefcafef00dull;
    R(R_RCX) = 0;
    RUN("\x0f\xbc\xc1", 1); /* bsf eax, ecx */
    assert_int_equal(R(R_RAX), 0xdeadbeefcafef00dull);
    assert_true(TH_ARITH(h) & FL_ZF);
    RUN("\x48\x0f\xbd\xc1", 1); /* bsr rax, rcx */
    assert_int_equal(R(R_RAX), 0xdeadbeefcafef00dull);
    assert_true(TH_ARITH(h) & FL_ZF);
    RUN("\xf3\x48\x0f\xbc\xc1", 1); /* tzcnt encoding runs as bsf (BMI1 not advertised) */
    assert_int_equal(R(R_RAX), 0xdeadbeefcafef00dull);
    R(R_RCX) = 0x8000;
    RUN("\x0f\xbc\xc1", 1);
    assert_int_equal(R(R_RAX), 15);
    assert_false(TH_ARITH(h) & FL_ZF);
    R(R_RCX) = 0x8000000000000001ull;
    RUN("\x48\x0f\xbd\xc1", 1);
    assert_int_equal(R(R_RAX), 63);
    R(R_RAX) = 0xffff0000ffff0000ull;
    R(R_RCX) = 0x10000;
    RUN("\x66\x0f\xbc\xc1", 1); /* bsf ax, cx: cx = 0 */
    assert_int_equal(R(R_RAX), 0xffff0000ffff0000ull);
    assert_true(TH_ARITH(h) & FL_ZF);
    /* popcnt */
    R(R_RCX) = 0xf0f0;
    RUN("\xf3\x48\x0f\xb8\xc1", 1);
    assert_int_equal(R(R_RAX), 8);
    assert_int_equal(TH_ARITH(h), 0);
    R(R_RCX) = 0;
    RUN("\xf3\x48\x0f\xb8\xc1", 1);
    assert_int_equal(R(R_RAX), 0);
    assert_int_equal(TH_ARITH(h), FL_ZF);
}

static void test_partial_registers(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RAX) = 0x1122334455667788ull;
    RUN("\xb4\xaa", 1); /* mov ah, 0xaa */
    assert_int_equal(R(R_RAX), 0x112233445566aa88ull);
    RUN("\xb0\xbb", 1); /* mov al, 0xbb */
    assert_int_equal(R(R_RAX), 0x112233445566aabbull);
    RUN("\x66\xb8\x34\x12", 1); /* mov ax, 0x1234 */
    assert_int_equal(R(R_RAX), 0x1122334455661234ull);
    RUN("\x00\xe0", 1); /* add al, ah: 0x34 + 0x12 */
    assert_int_equal(R(R_RAX), 0x1122334455661246ull);
    RUN("\x86\xe0", 1); /* xchg al, ah */
    assert_int_equal(R(R_RAX), 0x1122334455664612ull);
    RUN("\xfe\xc4", 1); /* inc ah */
    assert_int_equal(R(R_RAX), 0x1122334455664712ull);
    RUN("\x0f\xb6\xcc", 1); /* movzx ecx, ah */
    assert_int_equal(R(R_RCX), 0x47);
    RUN("\x0f\xbe\xcc", 1); /* movsx ecx, ah */
    assert_int_equal(R(R_RCX), 0x47);
    RUN("\x48\x0f\xbe\xcc", 1); /* with REX, rm 4 is spl: movsx rcx, spl */
    assert_int_equal(R(R_RCX), (uint64_t)(int64_t)(int8_t)R(R_RSP));
    R(R_RSI) = 0xffff;
    RUN("\x40\x88\xe6", 1); /* mov sil, spl (REX: 4 = spl) */
    assert_int_equal(R(R_RSI), 0xff00 | (R(R_RSP) & 0xff));
    RUN("\xb8\xff\xff\xff\xff", 1); /* mov eax, -1: zero-extends */
    assert_int_equal(R(R_RAX), 0xffffffffull);
    R(R_RBX) = 0x1111111111111111ull;
    RUN("\x66\x83\xc3\xff", 1); /* add bx, -1: merges */
    assert_int_equal(R(R_RBX), 0x1111111111111110ull);
    RUN("\x83\xc3\x01", 1); /* add ebx, 1: zero-extends */
    assert_int_equal(R(R_RBX), 0x11111111ull);
    R(R_RDX) = 0xffffffffffffffffull;
    RUN("\x87\xd2", 1); /* xchg edx, edx: a 32-bit write */
    assert_int_equal(R(R_RDX), 0xffffffffull);
    R(R_RAX) = 0xffffffffffffffffull;
    RUN("\x90", 1); /* nop is not xchg eax, eax */
    assert_int_equal(R(R_RAX), ~0ull);
    R(R_RAX) = 0x80;
    RUN("\x66\x98", 1); /* cbw */
    assert_int_equal(R(R_RAX), 0xff80);
    R(R_RAX) = 0xffff8000;
    RUN("\x48\x98", 1); /* cdqe */
    assert_int_equal(R(R_RAX), 0xffffffffffff8000ull);
    RUN("\x48\x99", 1); /* cqo */
    assert_int_equal(R(R_RDX), ~0ull);
}

static void test_mul_flags(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RAX) = 0x10;
    R(R_RCX) = 0x10;
    RUN("\xf6\xe1", 1); /* mul cl: 0x100 -> ah = 1: CF = OF = 1 */
    assert_int_equal(R(R_RAX), 0x100);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_OF), FL_CF | FL_OF);
    R(R_RAX) = 0x7;
    R(R_RCX) = 0x10;
    RUN("\xf6\xe1", 1);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_OF), 0);
    R(R_RAX) = 0x4000000000000000ull;
    R(R_RCX) = 2;
    RUN("\x48\x0f\xaf\xc1", 1); /* imul rax, rcx: overflow into the sign */
    assert_int_equal(R(R_RAX), 0x8000000000000000ull);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_OF), FL_CF | FL_OF);
    R(R_RCX) = (uint64_t)-3;
    RUN("\x6b\xc1\x05", 1); /* imul eax, ecx, 5 */
    assert_int_equal(R(R_RAX), (uint32_t)-15);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_OF), 0);
    R(R_RAX) = ~0ull;
    R(R_RCX) = ~0ull;
    RUN("\x48\xf7\xe1", 1); /* mul rcx: (2^64-1)^2 */
    assert_int_equal(R(R_RAX), 1);
    assert_int_equal(R(R_RDX), 0xfffffffffffffffeull);
    RUN("\x48\xf7\xe9", 1); /* imul rcx: 1 * -1 */
    assert_int_equal(R(R_RAX), ~0ull);
    assert_int_equal(R(R_RDX), ~0ull);
    assert_int_equal(TH_ARITH(h) & (FL_CF | FL_OF), 0);
}

static void test_bt_memory_offset(void **s)
{
    (void)s;
    th_reset(h);
    /* bts [rbx], rcx with rcx = -1 sets bit 7 of the byte before rbx (bit 63 of the qword before) */
    R(R_RBX) = TH_DATA + 0x100;
    R(R_RCX) = (uint64_t)-1;
    RUN("\x48\x0f\xab\x0b", 1);
    assert_int_equal(th_rd64(h, TH_DATA + 0xf8), 0x8000000000000000ull);
    assert_false(TH_ARITH(h) & FL_CF);
    RUN("\x48\x0f\xa3\x0b", 1); /* bt: now set */
    assert_true(TH_ARITH(h) & FL_CF);
    /* 32-bit: offset 100 = dword 3, bit 4 */
    R(R_RCX) = 100;
    RUN("\x0f\xab\x0b", 1);
    assert_int_equal(th_rd64(h, TH_DATA + 0x108), 0x10ull << 32);
    /* immediate offsets are taken modulo the width */
    R(R_RAX) = 0;
    RUN("\x0f\xba\xe8\x45", 1); /* bts eax, 69 -> bit 5 */
    assert_int_equal(R(R_RAX), 0x20);
    /* btr/btc */
    RUN("\x0f\xba\xf8\x05", 1); /* btc eax, 5 */
    assert_int_equal(R(R_RAX), 0);
    assert_true(TH_ARITH(h) & FL_CF);
}

static void test_memory_fault_no_effect(void **s)
{
    (void)s;
    th_reset(h);
    /* add [rbx], rax on a read-only page: #PF, memory, registers and flags unchanged */
    R(R_RBX) = TH_RO + 8;
    R(R_RAX) = 5;
    set_flags(FL_CF | FL_SF);
    assert_int_equal(RUN_FAULT("\x48\x01\x03", 1), X86_PF);
    assert_int_equal(th_rd64(h, TH_RO + 8), 0);
    assert_int_equal(TH_ARITH(h), FL_CF | FL_SF);
    assert_int_equal(h->c->rip, TH_CODE);
    /* inc qword [unmapped] */
    R(R_RBX) = TH_UNMAPPED;
    assert_int_equal(RUN_FAULT("\x48\xff\x03", 1), X86_PF);
    assert_int_equal(TH_ARITH(h), FL_CF | FL_SF);
    /* shl dword [ro], 1 */
    R(R_RBX) = TH_RO;
    assert_int_equal(RUN_FAULT("\xd1\x23", 1), X86_PF);
    assert_int_equal(TH_ARITH(h), FL_CF | FL_SF);
    /* xadd [ro], rcx keeps rcx */
    R(R_RCX) = 77;
    assert_int_equal(RUN_FAULT("\x48\x0f\xc1\x0b", 1), X86_PF);
    assert_int_equal(R(R_RCX), 77);
    /* a non-canonical address is #GP */
    R(R_RBX) = 0x8000000000000000ull;
    assert_int_equal(RUN_FAULT("\x48\x8b\x03", 1), X86_GP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shift_count_zero),  cmocka_unit_test(test_shift_count_ge_width),
        cmocka_unit_test(test_shld_shrd),         cmocka_unit_test(test_div_errors),
        cmocka_unit_test(test_adc_sbb_carries),   cmocka_unit_test(test_bsf_bsr_zero),
        cmocka_unit_test(test_partial_registers), cmocka_unit_test(test_mul_flags),
        cmocka_unit_test(test_bt_memory_offset),  cmocka_unit_test(test_memory_fault_no_effect),
    };
    return cmocka_run_group_tests_name("insn_alu", tests, setup, teardown);
}
