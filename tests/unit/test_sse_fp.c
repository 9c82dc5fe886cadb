/* SSE/SSE2 floating point (emu/exec_sse_fp.c) against the host CPU.
 *
 * Every instruction form runs over every pair of special values (±0, ±inf, quiet and signalling
 * NaNs with payloads, denormals, the smallest and largest normals, values that round differently
 * and values at the edges of the integer conversions), the lanes of packed forms holding other
 * pairs, in every MXCSR configuration: 4 rounding modes x DAZ x FTZ with every exception masked,
 * sticky flags set beforehand, and configurations that unmask exceptions. Each case runs
 *
 *     ldmxcsr [0x600000]; INSTRUCTION; stmxcsr [0x600004]
 *
 * natively on the host and on the emulated CPU; all general and XMM registers, the arithmetic
 * flags and the stored MXCSR must be identical. When the host traps (an unmasked exception: the
 * test catches its SIGFPE and reads the MXCSR from the signal context), the emulated CPU must
 * raise #XM with the same MXCSR and registers unchanged.
 *
 * Then targeted tests: the host MXCSR is left as it was, stale host flags do not leak into the
 * guest, memory faults and alignment come before #XM, undefined prefix forms are #UD.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/unit/cpu_harness.h"

static th_t *h;
static int native_ok;

#define MX_IN (TH_DATA + 0)
#define MX_OUT (TH_DATA + 4)
#define MEM_OP (TH_DATA + 0x100)

static uint32_t host_mxcsr_get(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static void host_mxcsr_set(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
static uint32_t host_default;
static struct sigaction old_sigfpe;

/* ---- native execution with trap capture ------------------------------------------------------ */

static sigjmp_buf trap_jmp;
static volatile uint32_t trap_mxcsr;

static void on_sigfpe(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    trap_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    siglongjmp(trap_jmp, 1);
}

/* Catch SIGFPE around native runs (cmocka installs its own handler for each test, so each test
 * installs this one and puts cmocka's back). SA_NODEFER: SIGFPE is never left blocked, so
 * sigsetjmp need not save the signal mask. */
static void trap_catch(int on)
{
    if (on) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigfpe;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigaction(SIGFPE, &sa, &old_sigfpe);
    } else {
        sigaction(SIGFPE, &old_sigfpe, NULL);
    }
}

/* Run code natively; returns 1 when it trapped (SIGFPE), with the MXCSR at the trap. */
static int native_run(const uint8_t *code, size_t n, th_state_t *st, uint32_t *mx_at_trap)
{
    volatile int trapped = 0;
    if (sigsetjmp(trap_jmp, 0) == 0) {
        th_native(code, n, st);
    } else {
        trapped = 1;
        *mx_at_trap = trap_mxcsr;
    }
    host_mxcsr_set(host_default);
    return trapped;
}

/* The emulator prints an "emu:" line for every exception that ends a harness run: silence it
 * around runs that are expected to raise #XM. */
static int quiet_fd = -1, saved_fd = -1;
static void quiet(int on)
{
    fflush(stderr);
    if (on) {
        if (quiet_fd < 0) quiet_fd = open("/dev/null", O_WRONLY);
        saved_fd = dup(2);
        dup2(quiet_fd, 2);
    } else {
        dup2(saved_fd, 2);
        close(saved_fd);
    }
}

static int setup(void **s)
{
    (void)s;
    host_default = host_mxcsr_get() & ~0x3fu;
    h = th_new();
    native_ok = th_native_sync(h, 1) == 0;
    return 0;
}
static int teardown(void **s)
{
    (void)s;
    th_free(h);
    return 0;
}

/* ---- values -------------------------------------------------------------------------------- */

static const uint32_t f32v[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001,
    0xffa00000, 0x7fbfffff, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x00800000,
    0x80800000, 0x00800001, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3fc00000,
    0x40200000, 0xc0200000, 0x3f000000, 0xbf000000, 0x3eaaaaab, 0x3dcccccd, 0x4f000000, 0xcf000000,
    0x4effffff, 0xcf000001, 0x5f000000, 0xdf000000, 0x5effffff, 0x4b800001, 0x1f800000, 0x5f800000,
    0x0c000000, 0x34000000, 0x7e800000, 0x01000000, 0x40490fdb, 0xc2f6e979, 0x40400000, 0x4b000001,
};
static const uint64_t f64v[] = {
    0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000000, 0x7ff8000000012345, 0x7ff0000000000001, 0xfff4000000000000, 0x7ff7ffffffffffff,
    0x0000000000000001, 0x8000000000000001, 0x000fffffffffffff, 0x800fffffffffffff, 0x0008000000000000,
    0x0010000000000000, 0x8010000000000000, 0x0010000000000001, 0x7fefffffffffffff, 0xffefffffffffffff,
    0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000000000001, 0x3ff8000000000000, 0x4004000000000000,
    0xc004000000000000, 0x3fe0000000000000, 0xbfe0000000000000, 0x3fd5555555555555, 0x3fb999999999999a,
    0x41e0000000000000, 0xc1e0000000000000, 0x41dfffffffe00000, 0xc1e0000000200000, 0x41dfffffffffffff,
    0x43e0000000000000, 0xc3e0000000000000, 0x43dfffffffffffff, 0x47efffffe0000000, 0x47efffffefffffff,
    0x47effffff0000000, 0x36a0000000000000, 0x3690000000000000, 0x3810000000000000, 0x380fffffffffffff,
    0x1ff0000000000000, 0x5ff0000000000000, 0x400921fb54442d18, 0xc05edd2f1a9fbe77, 0x4330000000000001,
    0x3ca0000000000000, 0x7fe0000000000000,
};
static const uint32_t i32v[] = {
    0, 1, 0xffffffff, 2, 0x7fffffff, 0x80000000, 0x80000001, 16777217, (uint32_t)-16777217, 0x7fffffc0,
    0x7fffff80, 123456789, (uint32_t)-987654321, 0x01000001, 3, 0x00ffffff, 0x7ffffffe, 0xfffffffe,
};
static const uint64_t i64v[] = {
    0, 1, ~0ull, 0x7fffffffffffffffull, 0x8000000000000000ull, (1ull << 53) + 1, (uint64_t)-((1ll << 53) + 1),
    (1ull << 24) + 1, 0x7ffffffffffffc00ull, 0x7ffffffffffffe00ull, 0x123456789abcdef0ull,
    (uint64_t)-0x123456789abcdefll, 0x20000000000001ull, 0xffffffffull, 0x80000000ull, (1ull << 62) | 1,
    0x7fffffffull, 0xfffffffffffff801ull,
};

enum { T_F32, T_F64, T_I32, T_I64 };
#define NV(a) ((int)(sizeof(a) / sizeof((a)[0])))
static int nvals(int t) { return t == T_F32 ? NV(f32v) : t == T_F64 ? NV(f64v) : t == T_I32 ? NV(i32v) : NV(i64v); }

/* Fill v with elements of type t: element k is value number (base + k * step) mod n. */
static void fill(xmm_t *v, int t, int base, int step)
{
    int n = nvals(t);
    switch (t) {
    case T_F32: for (int k = 0; k < 4; k++) v->d[k] = f32v[(base + k * step) % n]; break;
    case T_F64: for (int k = 0; k < 2; k++) v->q[k] = f64v[(base + k * step) % n]; break;
    case T_I32: for (int k = 0; k < 4; k++) v->d[k] = i32v[(base + k * step) % n]; break;
    default: for (int k = 0; k < 2; k++) v->q[k] = i64v[(base + k * step) % n]; break;
    }
}

/* ---- instruction forms --------------------------------------------------------------------- */

/* Operand conventions of the cases: destination xmm0 (or xmm8), source xmm1 (or xmm9), memory
 * [rbx] = MEM_OP, general-register source rcx, general-register destination rax. */
typedef struct fp_case {
    const char *name;
    const char *bytes;
    int len;
    int ta, tb; /* element types of the destination's old value and of the source */
} fp_case_t;
#define C(name, bytes, ta, tb) {name, bytes, sizeof(bytes) - 1, ta, tb}

/* The eight arithmetic operations in their four forms, register and memory. */
#define ARITH(op, OPC)                                                                            \
    C(op "ps", "\x0f" OPC "\xc1", T_F32, T_F32), C(op "ps m", "\x0f" OPC "\x03", T_F32, T_F32),    \
    C(op "pd", "\x66\x0f" OPC "\xc1", T_F64, T_F64), C(op "pd m", "\x66\x0f" OPC "\x03", T_F64, T_F64), \
    C(op "ss", "\xf3\x0f" OPC "\xc1", T_F32, T_F32), C(op "ss m", "\xf3\x0f" OPC "\x03", T_F32, T_F32), \
    C(op "sd", "\xf2\x0f" OPC "\xc1", T_F64, T_F64), C(op "sd m", "\xf2\x0f" OPC "\x03", T_F64, T_F64)

static const fp_case_t arith_cases[] = {
    ARITH("add", "\x58"), ARITH("mul", "\x59"), ARITH("sub", "\x5c"), ARITH("min", "\x5d"),
    ARITH("div", "\x5e"), ARITH("max", "\x5f"),
    C("addsd xmm8,xmm9", "\xf2\x45\x0f\x58\xc1", T_F64, T_F64),
    C("mulps xmm8,xmm1", "\x44\x0f\x59\xc1", T_F32, T_F32),
};
static const fp_case_t unary_cases[] = {
    ARITH("sqrt", "\x51"),
    C("rsqrtps", "\x0f\x52\xc1", T_F32, T_F32), C("rsqrtps m", "\x0f\x52\x03", T_F32, T_F32),
    C("rsqrtss", "\xf3\x0f\x52\xc1", T_F32, T_F32), C("rsqrtss m", "\xf3\x0f\x52\x03", T_F32, T_F32),
    C("rcpps", "\x0f\x53\xc1", T_F32, T_F32), C("rcpps m", "\x0f\x53\x03", T_F32, T_F32),
    C("rcpss", "\xf3\x0f\x53\xc1", T_F32, T_F32), C("rcpss m", "\xf3\x0f\x53\x03", T_F32, T_F32),
};
#define CMP(P)                                                                                    \
    C("cmpps " #P, "\x0f\xc2\xc1" #P, T_F32, T_F32), C("cmppd " #P, "\x66\x0f\xc2\xc1" #P, T_F64, T_F64), \
    C("cmpss " #P, "\xf3\x0f\xc2\xc1" #P, T_F32, T_F32), C("cmpsd " #P, "\xf2\x0f\xc2\xc1" #P, T_F64, T_F64)
static const fp_case_t cmp_cases[] = {
    CMP(\x00), CMP(\x01), CMP(\x02), CMP(\x03), CMP(\x04), CMP(\x05), CMP(\x06), CMP(\x07),
    C("cmpps m 1", "\x0f\xc2\x03\x01", T_F32, T_F32), C("cmpsd m 5", "\xf2\x0f\xc2\x03\x05", T_F64, T_F64),
    C("cmpss m 2", "\xf3\x0f\xc2\x03\x02", T_F32, T_F32), C("cmppd m 7", "\x66\x0f\xc2\x03\x07", T_F64, T_F64),
    C("cmpps imm 0x0c", "\x0f\xc2\xc1\x0c", T_F32, T_F32), C("cmpsd imm 0xfd", "\xf2\x0f\xc2\xc1\xfd", T_F64, T_F64),
    C("comiss", "\x0f\x2f\xc1", T_F32, T_F32), C("comiss m", "\x0f\x2f\x03", T_F32, T_F32),
    C("ucomiss", "\x0f\x2e\xc1", T_F32, T_F32), C("ucomiss m", "\x0f\x2e\x03", T_F32, T_F32),
    C("comisd", "\x66\x0f\x2f\xc1", T_F64, T_F64), C("comisd m", "\x66\x0f\x2f\x03", T_F64, T_F64),
    C("ucomisd", "\x66\x0f\x2e\xc1", T_F64, T_F64), C("ucomisd m", "\x66\x0f\x2e\x03", T_F64, T_F64),
};
static const fp_case_t cvt_cases[] = {
    C("cvtps2pd", "\x0f\x5a\xc1", T_F64, T_F32), C("cvtps2pd m", "\x0f\x5a\x03", T_F64, T_F32),
    C("cvtpd2ps", "\x66\x0f\x5a\xc1", T_F32, T_F64), C("cvtpd2ps m", "\x66\x0f\x5a\x03", T_F32, T_F64),
    C("cvtss2sd", "\xf3\x0f\x5a\xc1", T_F64, T_F32), C("cvtss2sd m", "\xf3\x0f\x5a\x03", T_F64, T_F32),
    C("cvtsd2ss", "\xf2\x0f\x5a\xc1", T_F32, T_F64), C("cvtsd2ss m", "\xf2\x0f\x5a\x03", T_F32, T_F64),
    C("cvtdq2ps", "\x0f\x5b\xc1", T_F32, T_I32), C("cvtdq2ps m", "\x0f\x5b\x03", T_F32, T_I32),
    C("cvtps2dq", "\x66\x0f\x5b\xc1", T_I32, T_F32), C("cvtps2dq m", "\x66\x0f\x5b\x03", T_I32, T_F32),
    C("cvttps2dq", "\xf3\x0f\x5b\xc1", T_I32, T_F32), C("cvttps2dq m", "\xf3\x0f\x5b\x03", T_I32, T_F32),
    C("cvttpd2dq", "\x66\x0f\xe6\xc1", T_I32, T_F64), C("cvttpd2dq m", "\x66\x0f\xe6\x03", T_I32, T_F64),
    C("cvtdq2pd", "\xf3\x0f\xe6\xc1", T_F64, T_I32), C("cvtdq2pd m", "\xf3\x0f\xe6\x03", T_F64, T_I32),
    C("cvtpd2dq", "\xf2\x0f\xe6\xc1", T_I32, T_F64), C("cvtpd2dq m", "\xf2\x0f\xe6\x03", T_I32, T_F64),
    C("cvtsi2ss ecx", "\xf3\x0f\x2a\xc1", T_F32, T_I32), C("cvtsi2ss m32", "\xf3\x0f\x2a\x03", T_F32, T_I32),
    C("cvtsi2ss rcx", "\xf3\x48\x0f\x2a\xc1", T_F32, T_I64), C("cvtsi2ss m64", "\xf3\x48\x0f\x2a\x03", T_F32, T_I64),
    C("cvtsi2sd ecx", "\xf2\x0f\x2a\xc1", T_F64, T_I32), C("cvtsi2sd m32", "\xf2\x0f\x2a\x03", T_F64, T_I32),
    C("cvtsi2sd rcx", "\xf2\x48\x0f\x2a\xc1", T_F64, T_I64), C("cvtsi2sd m64", "\xf2\x48\x0f\x2a\x03", T_F64, T_I64),
    C("cvtss2si eax", "\xf3\x0f\x2d\xc1", T_F32, T_F32), C("cvtss2si eax m", "\xf3\x0f\x2d\x03", T_F32, T_F32),
    C("cvtss2si rax", "\xf3\x48\x0f\x2d\xc1", T_F32, T_F32), C("cvtss2si rax m", "\xf3\x48\x0f\x2d\x03", T_F32, T_F32),
    C("cvttss2si eax", "\xf3\x0f\x2c\xc1", T_F32, T_F32), C("cvttss2si rax", "\xf3\x48\x0f\x2c\xc1", T_F32, T_F32),
    C("cvttss2si rax m", "\xf3\x48\x0f\x2c\x03", T_F32, T_F32),
    C("cvtsd2si eax", "\xf2\x0f\x2d\xc1", T_F64, T_F64), C("cvtsd2si eax m", "\xf2\x0f\x2d\x03", T_F64, T_F64),
    C("cvtsd2si rax", "\xf2\x48\x0f\x2d\xc1", T_F64, T_F64), C("cvtsd2si rax m", "\xf2\x48\x0f\x2d\x03", T_F64, T_F64),
    C("cvttsd2si eax", "\xf2\x0f\x2c\xc1", T_F64, T_F64), C("cvttsd2si rax", "\xf2\x48\x0f\x2c\xc1", T_F64, T_F64),
    C("cvttsd2si eax m", "\xf2\x0f\x2c\x03", T_F64, T_F64),
    C("cvttsd2si r9d,xmm9", "\xf2\x45\x0f\x2c\xc9", T_F64, T_F64),
};

/* ---- one comparison -------------------------------------------------------------------------- */

typedef struct stats {
    long runs, traps, failures;
} stats_t;

static uint8_t code_buf[64];
static size_t code_len;

static void load_code(const fp_case_t *fc)
{
    static const uint8_t ld[] = {0x0f, 0xae, 0x14, 0x25, 0x00, 0x00, 0x60, 0x00}; /* ldmxcsr [0x600000] */
    static const uint8_t sto[] = {0x0f, 0xae, 0x1c, 0x25, 0x04, 0x00, 0x60, 0x00}; /* stmxcsr [0x600004] */
    code_len = 0;
    memcpy(code_buf, ld, sizeof(ld));
    code_len += sizeof(ld);
    memcpy(code_buf + code_len, fc->bytes, (size_t)fc->len);
    code_len += (size_t)fc->len;
    memcpy(code_buf + code_len, sto, sizeof(sto));
    code_len += sizeof(sto);
    th_code(h, code_buf, code_len);
}

static void dump_xmm(const char *what, const xmm_t *x)
{
    print_error("    %s %08x %08x %08x %08x\n", what, x->d[3], x->d[2], x->d[1], x->d[0]);
}

/* Run the loaded case with the given source/destination values and MXCSR, natively and emulated,
 * and compare. Returns 0 when identical. */
static int run_one(const fp_case_t *fc, const xmm_t *a, const xmm_t *b, uint32_t mxcsr, uint64_t flags, stats_t *stt)
{
    th_state_t init, nat, emu;
    memset(&init, 0, sizeof(init));
    for (int k = 0; k < 16; k++) {
        init.r[k] = 0x0101010101010101ull * (uint64_t)(k + 1);
        init.xmm[k].q[0] = 0x5555aaaa00000000ull + (uint64_t)k;
        init.xmm[k].q[1] = 0xaaaa555500000000ull + (uint64_t)k;
    }
    init.r[R_RAX] = 0xdeadbeefcafebabeull;
    init.r[R_RBX] = MEM_OP;
    init.r[R_RCX] = fc->tb == T_I32 ? 0xfeedface00000000ull | b->d[0] : b->q[0];
    init.xmm[0] = *a;
    init.xmm[8] = *a;
    init.xmm[1] = *b;
    init.xmm[9] = *b;
    init.flags = flags;
    stt->runs++;

    /* native */
    uint32_t mx_trap = 0;
    *(volatile uint32_t *)(uintptr_t)MX_IN = mxcsr;
    *(volatile uint32_t *)(uintptr_t)MX_OUT = 0;
    memcpy((void *)(uintptr_t)MEM_OP, b, 16);
    nat = init;
    int trapped = native_run(code_buf, code_len, &nat, &mx_trap);
    uint32_t nat_mx = trapped ? mx_trap : *(volatile uint32_t *)(uintptr_t)MX_OUT;
    if (trapped) {
        nat = init;
        stt->traps++;
    }

    /* emulated */
    memcpy(th_ptr(h, MX_IN), &mxcsr, 4);
    memset(th_ptr(h, MX_OUT), 0, 4);
    memcpy(th_ptr(h, MEM_OP), b, 16);
    th_set_state(h, &init);
    h->c->rip = TH_CODE;
    h->c->mxcsr = 0x1f80;
    if (trapped) quiet(1);
    int v = th_run(h, 3);
    if (trapped) quiet(0);
    th_get_state(h, &emu);
    uint32_t emu_mx;
    if (v == X86_XM) emu_mx = h->c->mxcsr;
    else memcpy(&emu_mx, th_ptr(h, MX_OUT), 4);

    const char *why = NULL;
    emu.r[R_RSP] = nat.r[R_RSP]; /* the native trampoline does not exchange rsp */
    if (trapped && v != X86_XM) why = "the host trapped (#XM), the emulator did not";
    else if (!trapped && v != -1) why = "the emulator raised an exception, the host did not";
    else if (nat_mx != emu_mx) why = "MXCSR differs";
    else if (memcmp(nat.r, emu.r, sizeof(nat.r))) why = "general registers differ";
    else if (memcmp(nat.xmm, emu.xmm, sizeof(nat.xmm))) why = "XMM registers differ";
    else if ((nat.flags ^ emu.flags) & FL_ARITH) why = "flags differ";
    if (!why) return 0;
    if (stt->failures++ < 10) {
        print_error("%s: %s (mxcsr in %04x: host %04x emu %04x, vector %d)\n", fc->name, why, mxcsr, nat_mx, emu_mx, v);
        dump_xmm("a       ", a);
        dump_xmm("b       ", b);
        dump_xmm("host x0 ", &nat.xmm[0]);
        dump_xmm("emu  x0 ", &emu.xmm[0]);
        dump_xmm("host x8 ", &nat.xmm[8]);
        dump_xmm("emu  x8 ", &emu.xmm[8]);
        print_error("    rax host %016llx emu %016llx r9 host %016llx emu %016llx flags host %03llx emu %03llx\n",
                    (unsigned long long)nat.r[R_RAX], (unsigned long long)emu.r[R_RAX],
                    (unsigned long long)nat.r[R_R9], (unsigned long long)emu.r[R_R9],
                    (unsigned long long)(nat.flags & FL_ARITH), (unsigned long long)(emu.flags & FL_ARITH));
    }
    return 1;
}

/* MXCSR configurations. Masked: every rounding mode x DAZ x FTZ, no flags set, plus a few with
 * flags already set (PE set and the default control bits: the emulator's fast path, which reads
 * no MXCSR). Unmasked: one exception unmasked at a time, all of them, and combinations
 * with rounding, FTZ and DAZ. */
static const uint32_t masked_cfgs[] = {
    0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x1fc0, 0x3fc0, 0x5fc0, 0x7fc0,
    0x9f80, 0xbf80, 0xdf80, 0xff80, 0x9fc0, 0xbfc0, 0xdfc0, 0xffc0,
    0x1fa0, 0x1fa5, 0x9f9a,
};
static const uint32_t unmasked_cfgs[] = {
    0x1f00, 0x1e80, 0x1d80, 0x1b80, 0x1780, 0x0f80, 0x0000, 0x6000, 0x9780, 0x1740, 0x0ba0, 0x1300, 0x5c80,
};

/* Run every case of the table over value pairs and configurations. stride thins the pairs for the
 * unmasked configurations (each of those traps natively, which is slower). */
static void sweep(const fp_case_t *cases, int ncases, int unmasked_stride)
{
    if (!native_ok) skip();
    stats_t st = {0, 0, 0};
    trap_catch(1);
    for (int ci = 0; ci < ncases; ci++) {
        const fp_case_t *fc = &cases[ci];
        load_code(fc);
        int na = nvals(fc->ta), nb = nvals(fc->tb);
        int npair = na > nb ? na : nb;
        long before = st.failures;
        for (int i = 0; i < npair; i++) {
            for (int j = 0; j < npair; j++) {
                xmm_t a, b;
                fill(&a, fc->ta, i, 7);
                fill(&b, fc->tb, j, 13);
                uint64_t fl = ((i + j) & 1) ? FL_ARITH : 0;
                for (size_t m = 0; m < sizeof(masked_cfgs) / sizeof(masked_cfgs[0]); m++)
                    run_one(fc, &a, &b, masked_cfgs[m], fl, &st);
                if ((i * npair + j) % unmasked_stride == 0)
                    for (size_t m = 0; m < sizeof(unmasked_cfgs) / sizeof(unmasked_cfgs[0]); m++)
                        run_one(fc, &a, &b, unmasked_cfgs[m], fl, &st);
            }
        }
        if (st.failures > before) print_error("%s: %ld failures\n", fc->name, st.failures - before);
    }
    trap_catch(0);
    print_message("    %ld runs, %ld native traps (#XM), %ld failures\n", st.runs, st.traps, st.failures);
    assert_int_equal(st.failures, 0);
}

#define SWEEP(t, stride) sweep(t, (int)(sizeof(t) / sizeof(t[0])), stride)
static void test_arith(void **s) { (void)s; SWEEP(arith_cases, 3); }
static void test_sqrt_rcp(void **s) { (void)s; SWEEP(unary_cases, 2); }
static void test_compare(void **s) { (void)s; SWEEP(cmp_cases, 3); }
static void test_convert(void **s) { (void)s; SWEEP(cvt_cases, 1); }

/* Random bit patterns: other exponents and payloads than the special values. */
static void test_random(void **s)
{
    (void)s;
    if (!native_ok) skip();
    static const fp_case_t *tables[] = {arith_cases, unary_cases, cmp_cases, cvt_cases};
    static const int sizes[] = {NV(arith_cases), NV(unary_cases), NV(cmp_cases), NV(cvt_cases)};
    uint64_t x = 0x243f6a8885a308d3ull;
    stats_t st = {0, 0, 0};
    trap_catch(1);
    for (int t = 0; t < 4; t++) {
        for (int ci = 0; ci < sizes[t]; ci++) {
            const fp_case_t *fc = &tables[t][ci];
            load_code(fc);
            for (int it = 0; it < 300; it++) {
                xmm_t a, b;
                for (int k = 0; k < 2; k++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    a.q[k] = x;
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    b.q[k] = x;
                }
                /* keep exponents near each other sometimes, so that sums round */
                if (it & 1) b.q[0] = (b.q[0] & 0x800fffff800fffffull) | (a.q[0] & 0x7ff000007ff00000ull);
                uint32_t mx = masked_cfgs[it % NV(masked_cfgs)];
                if (it % 3 == 0) mx = 0x1fa0;
                if (it % 5 == 0) mx = unmasked_cfgs[it % NV(unmasked_cfgs)];
                run_one(fc, &a, &b, mx, 0, &st);
            }
        }
    }
    trap_catch(0);
    print_message("    %ld runs, %ld native traps (#XM), %ld failures\n", st.runs, st.traps, st.failures);
    assert_int_equal(st.failures, 0);
}

/* ---- targeted tests ------------------------------------------------------------------------- */

#define RUN_CODE(code, n) run_code(code, sizeof(code) - 1, n)
static int run_code(const char *code, size_t len, int n)
{
    th_code(h, code, len);
    return th_run(h, (uint64_t)n);
}
static uint32_t f32(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}
static uint64_t f64(double f)
{
    uint64_t v;
    memcpy(&v, &f, 8);
    return v;
}

/* The host MXCSR is what it was after guest code ran with other rounding, DAZ and FTZ; host
 * flags raised by the emulator's own code never reach the guest. */
static void test_host_mxcsr(void **s)
{
    (void)s;
    th_reset(h);
    uint32_t before = host_mxcsr_get() & ~0x3fu;
    h->c->mxcsr = 0xffc0; /* round toward zero, FTZ, DAZ */
    h->c->xmm[0].q[0] = f64(1.0);
    h->c->xmm[1].q[0] = f64(3.0);
    assert_int_equal(RUN_CODE("\xf2\x0f\x5e\xc1", 1), -1); /* divsd xmm0, xmm1 */
    assert_int_equal(h->c->xmm[0].q[0], 0x3fd5555555555555ull);
    assert_int_equal(h->c->mxcsr, 0xffc0 | 0x20);
    assert_int_equal(host_mxcsr_get() & ~0x3fu, before);
    /* every host flag set, guest clean: an exact operation leaves the guest's flags clear */
    host_mxcsr_set(before | 0x3f);
    h->c->mxcsr = 0x1f80;
    h->c->xmm[0].q[0] = f64(1.0);
    h->c->xmm[1].q[0] = f64(2.0);
    assert_int_equal(RUN_CODE("\xf2\x0f\x58\xc1", 1), -1); /* addsd */
    assert_int_equal(h->c->mxcsr, 0x1f80);
    assert_int_equal(h->c->xmm[0].q[0], f64(3.0));
    /* and an inexact one adds PE only */
    h->c->xmm[1].q[0] = f64(0.1);
    assert_int_equal(RUN_CODE("\xf2\x0f\x58\xc1", 1), -1);
    assert_int_equal(h->c->mxcsr, 0x1fa0);
    /* sticky: a later exact operation keeps PE */
    assert_int_equal(RUN_CODE("\xf2\x0f\x5d\xc1", 1), -1); /* minsd */
    assert_int_equal(h->c->mxcsr, 0x1fa0);
    assert_int_equal(host_mxcsr_get() & ~0x3fu, before);
    host_mxcsr_set(host_default);
}

/* #XM: the destination, EFLAGS and general registers are not written; the flags are. */
static void test_xm(void **s)
{
    (void)s;
    th_reset(h);
    h->c->mxcsr = 0x1f80 & ~0x200u; /* ZE unmasked */
    h->c->xmm[0].q[0] = f64(1.0);
    h->c->xmm[0].q[1] = 77;
    h->c->xmm[1].q[0] = f64(0.0);
    quiet(1);
    int v = RUN_CODE("\xf2\x0f\x5e\xc1", 1); /* divsd xmm0, xmm1 */
    quiet(0);
    assert_int_equal(v, X86_XM);
    assert_int_equal(h->c->xmm[0].q[0], f64(1.0));
    assert_int_equal(h->c->xmm[0].q[1], 77);
    assert_int_equal(h->c->mxcsr, (0x1f80 & ~0x200u) | 0x04);
    assert_int_equal(h->c->rip, TH_CODE);
    /* masked: the result is written, ZE is set */
    h->c->mxcsr = 0x1f80;
    assert_int_equal(RUN_CODE("\xf2\x0f\x5e\xc1", 1), -1);
    assert_int_equal(h->c->xmm[0].q[0], 0x7ff0000000000000ull);
    assert_int_equal(h->c->mxcsr, 0x1f84);
    /* comisd with IE unmasked and a NaN: EFLAGS unchanged */
    cpu_set_rflags(h->c, 0x202 | FL_OF | FL_SF);
    h->c->mxcsr = 0x1f00;
    h->c->xmm[0].q[0] = 0x7ff8000000000000ull;
    quiet(1);
    v = RUN_CODE("\x66\x0f\x2f\xc1", 1);
    quiet(0);
    assert_int_equal(v, X86_XM);
    assert_int_equal(th_flags(h) & FL_ARITH, FL_OF | FL_SF);
    /* masked: ZF PF CF set, OF SF AF cleared */
    h->c->mxcsr = 0x1f80;
    assert_int_equal(RUN_CODE("\x66\x0f\x2f\xc1", 1), -1);
    assert_int_equal(th_flags(h) & FL_ARITH, FL_ZF | FL_PF | FL_CF);
    assert_int_equal(h->c->mxcsr, 0x1f81);
    /* cvttsd2si with IE unmasked: rax unchanged */
    h->c->r[R_RAX] = 0x1234;
    h->c->xmm[1].q[0] = f64(1e300);
    h->c->mxcsr = 0x1f00;
    quiet(1);
    v = RUN_CODE("\xf2\x48\x0f\x2c\xc1", 1);
    quiet(0);
    assert_int_equal(v, X86_XM);
    assert_int_equal(h->c->r[R_RAX], 0x1234);
    h->c->mxcsr = 0x1f80;
    assert_int_equal(RUN_CODE("\xf2\x48\x0f\x2c\xc1", 1), -1);
    assert_int_equal(h->c->r[R_RAX], 0x8000000000000000ull);
    assert_int_equal(RUN_CODE("\xf2\x0f\x2c\xc1", 1), -1);
    assert_int_equal(h->c->r[R_RAX], 0x80000000ull);
}

/* Memory faults and alignment checks come before any floating-point exception. */
static void test_fault_order(void **s)
{
    (void)s;
    th_reset(h);
    h->c->mxcsr = 0x0000; /* everything unmasked */
    h->c->r[R_RBX] = TH_UNMAPPED;
    quiet(1);
    int v1 = RUN_CODE("\xf2\x0f\x5e\x03", 1); /* divsd xmm0, [rbx] */
    h->c->r[R_RBX] = TH_DATA + 8;
    int v2 = RUN_CODE("\x0f\x5e\x03", 1);       /* divps: 16-byte aligned */
    int v3 = RUN_CODE("\x66\x0f\x5a\x03", 1);   /* cvtpd2ps */
    int v4 = RUN_CODE("\x0f\xc2\x03\x00", 1);   /* cmpps */
    quiet(0);
    assert_int_equal(v1, X86_PF);
    assert_int_equal(v2, X86_GP);
    assert_int_equal(v3, X86_GP);
    assert_int_equal(v4, X86_GP);
    assert_int_equal(h->c->mxcsr, 0);
    h->c->mxcsr = 0x1f80;
    h->c->r[R_RBX] = TH_DATA + 1;
    th_wr64(h, TH_DATA, 0);
    th_wr64(h, TH_DATA + 8, 0);
    uint32_t one = f32(1.0f);
    memcpy(th_ptr(h, TH_DATA + 1), &one, 4);
    memcpy(th_ptr(h, TH_DATA + 5), &one, 4);
    assert_int_equal(RUN_CODE("\xf3\x0f\x58\x03", 1), -1);     /* addss: unaligned m32 is fine */
    assert_int_equal(RUN_CODE("\x0f\x5a\x03", 1), -1);         /* cvtps2pd: m64, fine */
    assert_int_equal(h->c->xmm[0].q[0], f64(1.0));
    assert_int_equal(h->c->xmm[0].q[1], f64(1.0));
    h->c->xmm[0].d[0] = f32(1.0f);
    assert_int_equal(RUN_CODE("\x0f\x2f\x03", 1), -1);         /* comiss m32 */
    assert_int_equal(th_flags(h) & FL_ARITH, FL_ZF);
}

/* Forms that do not exist (or are MMX, which is not implemented) are #UD. */
static void test_undefined_forms(void **s)
{
    (void)s;
    th_reset(h);
    quiet(1);
    static const char *const ud[] = {
        "\x0f\x2a\xc1",     /* cvtpi2ps xmm0, mm1 */
        "\x66\x0f\x2a\xc1", /* cvtpi2pd */
        "\x0f\x2d\xc1",     /* cvtps2pi */
        "\x66\x0f\x2c\xc1", /* cvttpd2pi */
        "\xf3\x0f\x2e\xc1", /* no F3 ucomis */
        "\xf2\x0f\x2f\xc1",
        "\x66\x0f\x52\xc1", /* no rsqrtpd */
        "\xf2\x0f\x53\xc1", /* no rcpsd */
        "\xf2\x0f\x5b\xc1", /* no F2 5B */
        "\x0f\xe6\xc1",     /* no 0F E6 */
        "\xf2\x0f\x7c\xc1", /* haddps: SSE3, not advertised */
        "\x66\x0f\xd0\xc1", /* addsubpd: SSE3 */
    };
    int bad = -1;
    for (size_t k = 0; k < sizeof(ud) / sizeof(ud[0]); k++) {
        h->c->rip = TH_CODE;
        th_code(h, ud[k], strlen(ud[k]));
        if (th_run(h, 1) != X86_UD && bad < 0) bad = (int)k;
    }
    quiet(0);
    assert_int_equal(bad, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_mxcsr),
        cmocka_unit_test(test_xm),
        cmocka_unit_test(test_fault_order),
        cmocka_unit_test(test_undefined_forms),
        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_sqrt_rcp),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_convert),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests_name("sse_fp", tests, setup, teardown);
}
