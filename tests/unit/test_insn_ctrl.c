/* Control transfers and system instructions on the emulated CPU: jcc after the usual flag
 * producers, jmp/call/ret (relative, register, memory, ret imm16), loop/jrcxz, CPUID, RDTSC, and
 * the exceptions: #UD (ud2, x87, unimplemented), #GP (privileged, int n), #BP (int3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "emu/exec.h"
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

/* cmp rax, rcx; jcc +1; inc edx; (nop) -> rdx = 0 when taken */
static int taken(uint8_t jcc, uint64_t a, uint64_t b)
{
    char code[] = "\x48\x39\xc8\x70\x02\xff\xc2\x90";
    code[3] = (char)jcc;
    R(R_RAX) = a;
    R(R_RCX) = b;
    R(R_RDX) = 0;
    th_code(h, code, sizeof(code) - 1);
    th_run(h, 4);
    return R(R_RDX) == 0;
}

static void test_jcc_after_cmp(void **s)
{
    (void)s;
    th_reset(h);
    /* jb/jae unsigned, jl/jge signed, je, jbe, jle, js, jo, jp */
    assert_true(taken(0x72, 1, 2));
    assert_false(taken(0x72, 2, 1));
    assert_true(taken(0x73, ~0ull, 1));
    assert_true(taken(0x7c, ~0ull, 1)); /* -1 < 1 */
    assert_false(taken(0x7c, 1, ~0ull));
    assert_true(taken(0x7d, 5, 5));
    assert_true(taken(0x74, 5, 5));
    assert_false(taken(0x75, 5, 5));
    assert_true(taken(0x76, 5, 5));
    assert_true(taken(0x77, 6, 5));
    assert_true(taken(0x7e, 0x8000000000000000ull, 0));
    assert_true(taken(0x7f, 0, 0x8000000000000000ull));
    assert_true(taken(0x78, 0, 1));                     /* js: 0 - 1 < 0 */
    assert_true(taken(0x70, 0x8000000000000000ull, 1)); /* jo */
    assert_false(taken(0x71, 0x8000000000000000ull, 1));
    assert_true(taken(0x7a, 3, 0)); /* jp: 3 has even parity */
    assert_true(taken(0x7b, 1, 0));
}

static void test_jmp_call_ret(void **s)
{
    (void)s;
    th_reset(h);
    uint64_t sp = R(R_RSP);
    /* call +5; (skipped: 5 bytes) ; target: ret -> back after the call */
    RUN("\xe8\x05\x00\x00\x00\x90\x90\x90\x90\x90\xc3", 1);
    assert_int_equal(h->c->rip, TH_CODE + 10);
    assert_int_equal(th_rd64(h, sp - 8), TH_CODE + 5);
    assert_int_equal(R(R_RSP), sp - 8);
    R(R_RSP) = sp;
    RUN("\xe8\x05\x00\x00\x00\x90\x90\x90\x90\x90\xc3", 2);
    assert_int_equal(h->c->rip, TH_CODE + 5);
    assert_int_equal(R(R_RSP), sp);
    /* jmp short backwards, and forwards */
    RUN("\xeb\x02\x90\x90\xeb\xfc", 2); /* jmp +2; ...; jmp -4 -> TH_CODE + 2 */
    assert_int_equal(h->c->rip, TH_CODE + 2);
    /* indirect jmp and call through registers and memory */
    R(R_RAX) = TH_CODE + 0x100;
    RUN("\xff\xe0", 1);
    assert_int_equal(h->c->rip, TH_CODE + 0x100);
    R(R_R11) = TH_CODE + 0x200;
    RUN("\x41\xff\xd3", 1);
    assert_int_equal(h->c->rip, TH_CODE + 0x200);
    assert_int_equal(th_rd64(h, R(R_RSP)), TH_CODE + 3);
    th_wr64(h, TH_DATA + 0x40, TH_CODE + 0x300);
    R(R_RBX) = TH_DATA;
    RUN("\xff\x53\x40", 1); /* call [rbx+0x40] */
    assert_int_equal(h->c->rip, TH_CODE + 0x300);
    RUN("\xff\x63\x40", 1); /* jmp [rbx+0x40] */
    assert_int_equal(h->c->rip, TH_CODE + 0x300);
    /* call [rsp]: the target is read before the push */
    R(R_RSP) = sp - 64;
    th_wr64(h, sp - 64, TH_CODE + 0x400);
    RUN("\xff\x14\x24", 1);
    assert_int_equal(h->c->rip, TH_CODE + 0x400);
    /* ret imm16 */
    R(R_RSP) = sp - 64;
    th_wr64(h, sp - 64, TH_CODE + 0x500);
    RUN("\xc2\x10\x00", 1);
    assert_int_equal(h->c->rip, TH_CODE + 0x500);
    assert_int_equal(R(R_RSP), sp - 64 + 8 + 16);
    /* a call whose push faults has no effect */
    R(R_RSP) = TH_UNMAPPED + 16;
    assert_int_equal(RUN_FAULT("\xe8\x00\x01\x00\x00", 1), X86_PF);
    assert_int_equal(h->c->rip, TH_CODE);
    assert_int_equal(R(R_RSP), TH_UNMAPPED + 16);
    R(R_RSP) = sp;
}

static void test_loop_jrcxz(void **s)
{
    (void)s;
    th_reset(h);
    /* inc eax; loop -4 (back to inc): runs rcx times */
    R(R_RCX) = 5;
    RUN("\xff\xc0\xe2\xfc", 10);
    assert_int_equal(R(R_RAX), 5);
    assert_int_equal(R(R_RCX), 0);
    assert_int_equal(h->c->rip, TH_CODE + 4);
    /* jrcxz taken with rcx = 0, not with rcx = 1 */
    R(R_RCX) = 0;
    RUN("\xe3\x10", 1);
    assert_int_equal(h->c->rip, TH_CODE + 0x12);
    R(R_RCX) = 1;
    RUN("\xe3\x10", 1);
    assert_int_equal(h->c->rip, TH_CODE + 2);
    /* jecxz looks at ecx only */
    R(R_RCX) = 0x100000000ull;
    RUN("\x67\xe3\x10", 1);
    assert_int_equal(h->c->rip, TH_CODE + 0x13);
    /* loope stops when ZF = 0 */
    R(R_RCX) = 10;
    R(R_RAX) = 0;
    cpu_set_rflags(h->c, 0x202);
    RUN("\xe1\x10", 1);
    assert_int_equal(h->c->rip, TH_CODE + 2);
    assert_int_equal(R(R_RCX), 9);
}

static void test_cpuid(void **s)
{
    (void)s;
    th_reset(h);
    R(R_RAX) = 0;
    RUN("\x0f\xa2", 1);
    assert_int_equal(R(R_RAX), 7);
    char vendor[13];
    memcpy(vendor, &R(R_RBX), 4);
    memcpy(vendor + 4, &R(R_RDX), 4);
    memcpy(vendor + 8, &R(R_RCX), 4);
    vendor[12] = 0;
    assert_string_equal(vendor, "GenuineIntel");
    R(R_RAX) = 1;
    RUN("\x0f\xa2", 1);
    assert_true(R(R_RDX) & (1u << 8));  /* CX8 */
    assert_true(R(R_RDX) & (1u << 15)); /* CMOV */
    assert_true(R(R_RDX) & (1u << 26)); /* SSE2 */
    assert_true(R(R_RDX) & (1u << 0));  /* FPU (x87) */
    assert_true(R(R_RDX) & (1u << 24)); /* FXSR */
    assert_true(R(R_RCX) & (1u << 13)); /* CX16 */
    assert_true(R(R_RCX) & (1u << 23)); /* POPCNT */
    assert_false(R(R_RCX) & (1u << 27)); /* no OSXSAVE */
    assert_false(R(R_RCX) & (1u << 0));  /* no SSE3 */
    R(R_RAX) = 7;
    R(R_RCX) = 0;
    RUN("\x0f\xa2", 1);
    assert_int_equal(R(R_RBX), 1u << 10); /* INVPCID only: no BMI, AVX2, ... */
    R(R_RAX) = 0x80000001u;
    RUN("\x0f\xa2", 1);
    assert_true(R(R_RDX) & (1u << 29)); /* LM */
    assert_true(R(R_RDX) & (1u << 11)); /* SYSCALL */
    assert_true(R(R_RDX) & (1u << 20)); /* NX */
    assert_false(R(R_RCX) & (1u << 5)); /* no ABM/LZCNT */
    R(R_RAX) = 0x12345678;
    RUN("\x0f\xa2", 1);
    assert_int_equal(R(R_RAX) | R(R_RBX) | R(R_RCX) | R(R_RDX), 0);
    /* the upper halves are cleared */
    R(R_RAX) = 0xffffffff00000000ull;
    RUN("\x0f\xa2", 1);
    assert_int_equal(R(R_RAX), 7);
}

static void test_rdtsc_monotonic(void **s)
{
    (void)s;
    th_reset(h);
    RUN("\x0f\x31\x48\x89\xc3\x90\x90\x0f\x31", 5);
    uint64_t t0 = R(R_RBX), t1 = R(R_RAX) | R(R_RDX) << 32;
    assert_true(t1 >= t0);
}

static void test_exceptions(void **s)
{
    (void)s;
    th_reset(h);
    assert_int_equal(RUN_FAULT("\x0f\x0b", 1), X86_UD);               /* ud2 */
    assert_int_equal(h->c->rip, TH_CODE);
    assert_int_equal(RUN_FAULT("\xd9\xd1", 1), X86_UD);               /* an undefined x87 encoding */
    assert_int_equal(RUN_FAULT("\x66\x0f\x7c\xc1", 1), X86_UD);       /* haddpd: SSE3 */
    assert_int_equal(RUN_FAULT("\x0f\x01\xd0", 1), X86_UD);           /* xgetbv: OSXSAVE not advertised */
    assert_int_equal(RUN_FAULT("\xf0\x48\x01\xc8", 1), X86_UD);       /* lock on a register */
    assert_int_equal(RUN_FAULT("\x0f\x6f\xc1", 1), X86_UD);           /* MMX movq */
    assert_int_equal(RUN_FAULT("\x66\x0f\x38\x00\xc1", 1), X86_UD);   /* pshufb: SSSE3 */
    assert_int_equal(RUN_FAULT("\xf4", 1), X86_GP);                   /* hlt */
    assert_int_equal(RUN_FAULT("\xfa", 1), X86_GP);                   /* cli */
    assert_int_equal(RUN_FAULT("\xec", 1), X86_GP);                   /* in al, dx */
    assert_int_equal(RUN_FAULT("\x0f\x32", 1), X86_GP);               /* rdmsr */
    assert_int_equal(RUN_FAULT("\x0f\x22\xd8", 1), X86_GP);           /* mov cr3, rax */
    assert_int_equal(RUN_FAULT("\xcd\x80", 1), X86_GP);               /* int 0x80 */
    assert_int_equal(h->c->fault_error, (0x80 << 3) | 2);
    assert_int_equal(RUN_FAULT("\xcc", 1), X86_BP);                   /* int3 */
    /* instructions before the faulting one in the same block retire */
    R(R_RAX) = 0;
    assert_int_equal(RUN_FAULT("\xff\xc0\xff\xc0\x0f\x0b", 3), X86_UD);
    assert_int_equal(R(R_RAX), 2);
    assert_int_equal(h->c->rip, TH_CODE + 4);
}

static void test_block_end_in_page(void **s)
{
    (void)s;
    th_reset(h);
    /* an instruction crossing into the second code page */
    uint8_t code[0x1010];
    memset(code, 0x90, sizeof(code));
    code[0xffd] = 0x48; /* mov rax, imm64 across the page boundary */
    code[0xffe] = 0xb8;
    for (int k = 0; k < 8; k++) code[0xfff + k] = (uint8_t)(0x11 * (k + 1));
    th_code(h, code, sizeof(code));
    assert_int_equal(th_run(h, 0xffd + 1), -1);
    assert_int_equal(R(R_RAX), 0x8877665544332211ull);
    assert_int_equal(h->c->rip, TH_CODE + 0x1007);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jcc_after_cmp), cmocka_unit_test(test_jmp_call_ret),
        cmocka_unit_test(test_loop_jrcxz),    cmocka_unit_test(test_cpuid),
        cmocka_unit_test(test_rdtsc_monotonic), cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_block_end_in_page),
    };
    return cmocka_run_group_tests_name("insn_ctrl", tests, setup, teardown);
}
