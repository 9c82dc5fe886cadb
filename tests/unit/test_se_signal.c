#define _GNU_SOURCE
/* Unit tests for emu/se_signal.c: the rt_sigframe a handler gets (read back from guest memory),
 * rt_sigreturn round trips (with edits to the frame), corrupt frames, the blocked and pending sets
 * and the delivery order, SA_NODEFER / SA_RESETHAND / SA_ONSTACK, sigaltstack, signals from CPU
 * exceptions (se_exception), frames that cannot be written, rt_sigsuspend / rt_sigtimedwait /
 * rt_sigqueueinfo, and one program run through cpu_run whose handlers use the restorer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "emu/cpu.h"
#include "emu/se.h"
#include "tests/unit/se_testlib.h"

#define BUF 0x10000000ull  /* 64 KiB of scratch guest memory (read-write) */
#define CODE 0x20000000ull /* 4 KiB read-write-execute */
#define PG 4096ull

#define H1 0x401100ull /* handler addresses (never executed, except in test_run) */
#define H2 0x401200ull
#define RESTORER 0x401300ull

#define SA_SIGINFO_ 0x4ull
#define SA_RESTORER_ 0x04000000ull
#define SA_ONSTACK_ 0x08000000ull
#define SA_NODEFER_ 0x40000000ull
#define SA_RESETHAND_ 0x80000000ull
#define BIT(s) (1ull << ((s)-1))

/* struct rt_sigframe */
#define F_UCFLAGS 8
#define F_UCLINK 16
#define F_SS_SP 24
#define F_SS_FLAGS 32
#define F_SS_SIZE 40
#define F_GREGS 48
#define F_FPSTATE (48 + 184)
#define F_SIGMASK 304
#define F_INFO 312
enum { G_R8, G_R9, G_R10, G_R11, G_R12, G_R13, G_R14, G_R15, G_RDI, G_RSI, G_RBP, G_RBX, G_RDX, G_RAX, G_RCX,
       G_RSP, G_RIP, G_EFL, G_CSGSFS, G_ERR, G_TRAPNO, G_OLDMASK, G_CR2 };

typedef struct fx {
    char *dir;
    machine_t *m;
    se_proc_t *se;
    cpu_t *c;
} fx_t;

static long sc(fx_t *f, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    uint64_t a[6] = {a0, a1, a2, a3, 0, 0};
    long r = se_do_syscall(f->se, f->c, nr, a);
    f->c->r[R_RAX] = (uint64_t)r;
    se_signal_deliver(f->se, f->c); /* the return to user mode */
    return r;
}

static void put(fx_t *f, uint64_t va, const void *p, size_t n) { assert_int_equal(se_copy_out(f->se, va, p, n), 0); }
static void get(fx_t *f, uint64_t va, void *p, size_t n) { assert_int_equal(se_copy_in(f->se, p, va, n), 0); }
static uint64_t get64(fx_t *f, uint64_t va)
{
    uint64_t v;
    get(f, va, &v, 8);
    return v;
}
static uint32_t get32(fx_t *f, uint64_t va)
{
    uint32_t v;
    get(f, va, &v, 4);
    return v;
}
static void put64(fx_t *f, uint64_t va, uint64_t v) { put(f, va, &v, 8); }

static void install(fx_t *f, int sig, uint64_t handler, uint64_t flags, uint64_t mask)
{
    uint64_t act[4] = {handler, flags | SA_RESTORER_, RESTORER, mask};
    put(f, BUF + 0xf000, act, sizeof(act));
    assert_int_equal(sc(f, 13, (uint64_t)sig, BUF + 0xf000, 0, 8), 0);
}

static void setmask(fx_t *f, int how, uint64_t set)
{
    put64(f, BUF + 0xf100, set);
    assert_int_equal(sc(f, 14, (uint64_t)how, BUF + 0xf100, 0, 8), 0);
}

static void raise_(fx_t *f, int sig) { assert_int_equal(sc(f, 200, 1000, (uint64_t)sig, 0, 0), 0); }

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->m = t_loaded(4, &f->dir);
    assert_non_null(f->m);
    f->se = f->m->se;
    f->c = f->m->cpus[0];
    assert_int_equal(se_mmap(f->se, BUF, 16 * PG, SE_PROT_READ | SE_PROT_WRITE,
                             SE_MAP_PRIVATE | SE_MAP_ANONYMOUS | SE_MAP_FIXED, -1, 0),
                     (long)BUF);
    assert_int_equal(se_mmap(f->se, CODE, PG, SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC,
                             SE_MAP_PRIVATE | SE_MAP_ANONYMOUS | SE_MAP_FIXED, -1, 0),
                     (long)CODE);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    emu_free(f->m);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Distinct values in every register and in the FPU state. */
static void fill_regs(cpu_t *c)
{
    for (int i = 0; i < 16; i++)
        if (i != R_RSP)
            c->r[i] = 0x1000000000000000ull * (uint64_t)(i + 1) + (uint64_t)i * 0x111;
    c->rip = 0x401000;
    cpu_set_rflags(c, 0x202 | FL_CF | FL_DF | FL_ZF);
    c->mxcsr = 0x3f80;
    c->fpu_cw = 0x27f;
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < 4; k++)
            c->xmm[i].d[k] = 0xa5000000u + (uint32_t)(i * 16 + k);
}

static void test_frame_layout(void **state)
{
    fx_t *f = *state;
    cpu_t *c = f->c;
    install(f, 10, H1, SA_SIGINFO_, BIT(12));
    fill_regs(c);
    uint64_t rsp = c->r[R_RSP] = (c->r[R_RSP] & ~0xfffull) - 0x1000 + 0x123;
    uint64_t regs[16];
    memcpy(regs, c->r, sizeof(regs));
    uint64_t flags = cpu_get_rflags(c);
    uint8_t fx_before[512];
    cpu_fxsave(c, fx_before);
    /* tkill(1000, SIGUSR1): delivered at the return from the call, which saved rax = 0. */
    raise_(f, 10);
    regs[R_RAX] = 0;
    uint64_t fr = c->r[R_RSP];
    assert_false(f->m->stop);
    assert_int_equal(c->rip, H1);
    assert_int_equal(c->r[R_RDI], 10);
    assert_int_equal(c->r[R_RSI], fr + F_INFO);
    assert_int_equal(c->r[R_RDX], fr + 8);
    assert_int_equal(c->r[R_RAX], 0);
    assert_int_equal((fr + 8) % 16, 0);
    /* Below the red zone and the 64-byte aligned FPU state. */
    uint64_t fp = get64(f, fr + F_FPSTATE);
    assert_int_equal(fp % 64, 0);
    assert_true(fp + 512 <= rsp - 128);
    assert_true(fp > rsp - 128 - 512 - 64);
    assert_int_equal(fp - fr, 456); /* round_down(fp - 440, 16) - 8, as Linux (and native runs) */
    /* Entry state: DF clear (CF kept), initial FPU state, the mask. */
    uint64_t fl = cpu_get_rflags(c);
    assert_int_equal(fl & FL_DF, 0);
    assert_int_equal(fl & FL_CF, FL_CF);
    assert_int_equal(c->mxcsr, 0x1f80);
    assert_int_equal(c->fpu_cw, 0x37f);
    for (int i = 0; i < 16; i++)
        assert_int_equal(c->xmm[i].q[0] | c->xmm[i].q[1], 0);
    assert_int_equal(f->se->blocked, BIT(10) | BIT(12));
    /* The frame. */
    assert_int_equal(get64(f, fr), RESTORER);
    assert_int_equal(get64(f, fr + F_UCFLAGS), 6); /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
    assert_int_equal(get64(f, fr + F_UCLINK), 0);
    assert_int_equal(get64(f, fr + F_SS_SP), 0);
    assert_int_equal(get32(f, fr + F_SS_FLAGS), 0);
    assert_int_equal(get64(f, fr + F_SS_SIZE), 0);
    static const int order[16] = {R_R8,  R_R9,  R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
                                  R_RDI, R_RSI, R_RBP, R_RBX, R_RDX, R_RAX, R_RCX, R_RSP};
    for (int i = 0; i < 16; i++)
        assert_int_equal(get64(f, fr + F_GREGS + 8 * (uint64_t)i), i == G_RSP ? rsp : regs[order[i]]);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_RIP), 0x401000);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_EFL), flags);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_CSGSFS), 0x002b000000000033ull);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_ERR), 0);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_TRAPNO), 0);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_OLDMASK), 0);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_CR2), 0);
    assert_int_equal(get64(f, fr + F_SIGMASK), 0);
    /* siginfo of tkill: SI_TKILL, our pid and uid; the rest of the 128 bytes zero. */
    assert_int_equal(get32(f, fr + F_INFO), 10);
    assert_int_equal(get32(f, fr + F_INFO + 4), 0);
    assert_int_equal((int32_t)get32(f, fr + F_INFO + 8), -6);
    assert_int_equal(get32(f, fr + F_INFO + 16), 1000);
    assert_int_equal(get32(f, fr + F_INFO + 20), 1000);
    uint8_t rest[104], zero[104] = {0};
    get(f, fr + F_INFO + 24, rest, sizeof(rest));
    assert_memory_equal(rest, zero, sizeof(rest));
    /* The FXSAVE image, and the software bytes Linux writes without XSAVE. */
    uint8_t img[512];
    get(f, fp, img, sizeof(img));
    assert_memory_equal(img, fx_before, 416);
    uint32_t sw[5];
    memcpy(sw, img + 464, sizeof(sw));
    assert_int_equal(sw[0], 0x46505853); /* FP_XSTATE_MAGIC1 */
    assert_int_equal(sw[1], 516);
    assert_int_equal(sw[2] | sw[3], 0);
    assert_int_equal(sw[4], 512);
}

static void test_sigreturn_roundtrip(void **state)
{
    fx_t *f = *state;
    cpu_t *c = f->c;
    install(f, 10, H1, SA_SIGINFO_, 0);
    setmask(f, 2, BIT(3)); /* SIGQUIT blocked before */
    fill_regs(c);
    c->r[R_RAX] = 0;
    uint64_t regs[16];
    memcpy(regs, c->r, sizeof(regs));
    uint64_t flags = cpu_get_rflags(c);
    raise_(f, 10);
    uint64_t fr = c->r[R_RSP];
    assert_int_equal(c->rip, H1);
    assert_int_equal(f->se->blocked, BIT(3) | BIT(10));
    /* The handler edits rip, rdx, the flags and the saved mxcsr and xmm7, clobbers registers, then
     * returns to the restorer: rsp = frame + 8. */
    put64(f, fr + F_GREGS + 8 * G_RIP, 0x401008);
    put64(f, fr + F_GREGS + 8 * G_RDX, 0x77);
    put64(f, fr + F_GREGS + 8 * G_EFL, (flags & ~(uint64_t)FL_CF) | FL_OF | FL_TF);
    uint64_t fp = get64(f, fr + F_FPSTATE);
    uint32_t mx = 0x1f80 | 0x6000;
    put(f, fp + 24, &mx, 4);
    put64(f, fp + 160 + 7 * 16, 0x5555);
    for (int i = 0; i < 16; i++)
        c->r[i] = 0xdead;
    c->r[R_RSP] = fr + 8;
    c->mxcsr = 0x1f80;
    long r = sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(r, 0); /* the restored rax */
    for (int i = 0; i < 16; i++)
        if (i != R_RDX)
            assert_int_equal(c->r[i], regs[i]);
    assert_int_equal(c->r[R_RDX], 0x77);
    assert_int_equal(c->rip, 0x401008);
    uint64_t fl = cpu_get_rflags(c);
    assert_int_equal(fl & (FL_CF | FL_OF | FL_DF | FL_ZF | FL_TF), FL_OF | FL_DF | FL_ZF); /* TF not taken */
    assert_int_equal(c->mxcsr, 0x7f80);
    assert_int_equal(c->fpu_cw, 0x27f);
    assert_int_equal(c->xmm[7].q[0], 0x5555);
    assert_int_equal(c->xmm[7].q[1], ((uint64_t)(0xa5000000u + 7 * 16 + 3) << 32) | (0xa5000000u + 7 * 16 + 2));
    assert_int_equal(c->xmm[6].d[1], 0xa5000000u + 6 * 16 + 1);
    assert_int_equal(f->se->blocked, BIT(3));
    assert_false(f->m->stop);
    /* fpstate 0: the initial FPU state. */
    raise_(f, 10);
    fr = c->r[R_RSP];
    put64(f, fr + F_FPSTATE, 0);
    c->r[R_RSP] = fr + 8;
    c->mxcsr = 0x1f80 | 0x20;
    c->xmm[2].q[0] = 9;
    sc(f, 15, 0, 0, 0, 0);
    assert_false(f->m->stop);
    assert_int_equal(c->mxcsr, 0x1f80);
    assert_int_equal(c->xmm[2].q[0], 0);
}

static void test_sigreturn_bad(void **state)
{
    fx_t *f = *state;
    cpu_t *c = f->c;
    /* A misaligned fpstate: SIGSEGV (SI_KERNEL) to the SIGSEGV handler. */
    install(f, 10, H1, SA_SIGINFO_, 0);
    install(f, 11, H2, SA_SIGINFO_, 0);
    raise_(f, 10);
    uint64_t fr = c->r[R_RSP];
    put64(f, fr + F_FPSTATE, get64(f, fr + F_FPSTATE) + 8);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_false(f->m->stop);
    assert_int_equal(c->rip, H2);
    assert_int_equal(c->r[R_RDI], 11);
    assert_int_equal(get32(f, c->r[R_RSI] + 8), 0x80);
    /* Reserved MXCSR bits: the same. */
    fr = c->r[R_RSP];
    uint64_t fp = get64(f, fr + F_FPSTATE);
    uint32_t mx = 0x10000;
    put(f, fp + 24, &mx, 4);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(c->rip, H2);
    /* SIGSEGV is blocked inside its handler: a bad frame now kills. */
    assert_true(f->se->blocked & BIT(11));
    c->r[R_RSP] = 0x1000;
    sc(f, 15, 0, 0, 0, 0);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.kind, EMU_SIGNALED);
    assert_int_equal(f->m->result.status, 139);
}

static void test_order_and_masks(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    cpu_t *c = f->c;
    install(f, 10, H1, 0, 0);
    install(f, 12, H2, 0, 0);
    setmask(f, 0, BIT(10) | BIT(12));
    raise_(f, 12);
    assert_int_equal(sc(f, 62, 1000, 10, 0, 0), 0); /* kill: the process's set */
    assert_int_equal(c->rip, 0x401000 + 0);          /* nothing delivered while blocked */
    assert_int_equal(sc(f, 127, BUF, 8, 0, 0), 0);
    assert_int_equal(get64(f, BUF), BIT(10) | BIT(12));
    uint64_t rip0 = c->rip;
    /* Unblocking both: the thread's SIGUSR2 is dequeued first, then SIGUSR1 stacks its frame on
     * top, so SIGUSR1's handler runs first and returns into SIGUSR2's. */
    setmask(f, 1, BIT(10) | BIT(12));
    assert_int_equal(c->rip, H1);
    uint64_t top = c->r[R_RSP];
    assert_int_equal(get64(f, top + F_GREGS + 8 * G_RIP), H2);
    assert_int_equal(get64(f, top + F_SIGMASK), BIT(12));
    uint64_t below = get64(f, top + F_GREGS + 8 * G_RSP);
    assert_int_equal(get64(f, below + F_GREGS + 8 * G_RIP), rip0);
    assert_int_equal(get64(f, below + F_SIGMASK), 0);
    assert_int_equal(se->blocked, BIT(10) | BIT(12));
    /* Returning from both restores the mask step by step. */
    c->r[R_RSP] = top + 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(c->rip, H2);
    assert_int_equal(se->blocked, BIT(12));
    c->r[R_RSP] += 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(c->rip, rip0);
    assert_int_equal(se->blocked, 0);
    assert_int_equal(se->sigpend[0].set | se->sigpend[1].set, 0);
}

static void test_nodefer_resethand(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    cpu_t *c = f->c;
    install(f, 10, H1, SA_NODEFER_ | SA_RESETHAND_, BIT(2) | BIT(9));
    raise_(f, 10);
    assert_int_equal(c->rip, H1);
    assert_int_equal(se->blocked, BIT(2)); /* not itself (NODEFER); never SIGKILL */
    assert_int_equal(se->act[10].handler, 0); /* reset when delivered */
    assert_int_equal(se->act[10].flags & SA_RESETHAND_, SA_RESETHAND_);
    raise_(f, 10);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.status, 138);
}

static void test_ignore(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    install(f, 10, 1 /* SIG_IGN */, 0, 0);
    raise_(f, 10);
    assert_int_equal(se->sigpend[0].set, 0);
    /* Blocked signals are queued even when ignored, and dropped when delivered. */
    setmask(f, 0, BIT(10));
    raise_(f, 10);
    assert_int_equal(se->sigpend[0].set, BIT(10));
    setmask(f, 1, BIT(10));
    assert_int_equal(se->sigpend[0].set, 0);
    assert_false(f->m->stop);
    /* Setting SIG_IGN flushes a pending signal. */
    install(f, 12, H1, 0, 0);
    setmask(f, 0, BIT(12));
    raise_(f, 12);
    assert_int_equal(sc(f, 62, 1000, 12, 0, 0), 0);
    assert_int_equal(se->sigpend[0].set | se->sigpend[1].set, BIT(12));
    install(f, 12, 1, 0, 0);
    assert_int_equal(se->sigpend[0].set | se->sigpend[1].set, 0);
    /* Unknown sa_flags bits are dropped. */
    uint64_t act[4] = {H1, 0x400 | SA_RESTORER_ | SA_SIGINFO_, RESTORER, 0}, old[4];
    put(f, BUF, act, sizeof(act));
    assert_int_equal(sc(f, 13, 12, BUF, BUF + 64, 8), 0);
    assert_int_equal(sc(f, 13, 12, 0, BUF + 64, 8), 0);
    get(f, BUF + 64, old, sizeof(old));
    assert_int_equal(old[1], SA_RESTORER_ | SA_SIGINFO_);
    /* EFAULT from the action comes before EINVAL from the signal number, as in Linux. */
    assert_int_equal(sc(f, 13, 99, 0x1000, 0, 8), -EFAULT);
    assert_int_equal(sc(f, 13, 99, BUF, 0, 8), -EINVAL);
}

/* A CPU exception with a handler: the frame records the fault. */
static void test_exceptions(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    cpu_t *c = f->c;
    install(f, 11, H1, SA_SIGINFO_, 0);
    install(f, 8, H2, SA_SIGINFO_, 0);
    install(f, 5, H2, SA_SIGINFO_, 0);
    c->rip = 0x401005;
    cpu_set_rflags(c, 0x202);
    se_exception(c, X86_PF, 2u | PF_U, 0x10);
    assert_false(f->m->stop);
    uint64_t fr = c->r[R_RSP];
    assert_int_equal(c->rip, H1);
    assert_int_equal(get32(f, fr + F_INFO), 11);
    assert_int_equal(get32(f, fr + F_INFO + 8), 1); /* SEGV_MAPERR */
    assert_int_equal(get64(f, fr + F_INFO + 16), 0x10);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_RIP), 0x401005);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_ERR), 6);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_TRAPNO), 14);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_CR2), 0x10);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_EFL), 0x10202); /* RF for a fault */
    assert_int_equal(cpu_get_rflags(c) & (1u << 16), 0);
    /* Back, then a write to the read-only text: SEGV_ACCERR. */
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    se_exception(c, X86_PF, PF_P | 2u | PF_U, 0x401000);
    fr = c->r[R_RSP];
    assert_int_equal(get32(f, fr + F_INFO + 8), 2);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_ERR), 7);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    /* A kernel address: reported as a protection fault, SEGV_MAPERR. */
    se_exception(c, X86_PF, PF_U, 0xffffffff81000000ull);
    fr = c->r[R_RSP];
    assert_int_equal(get32(f, fr + F_INFO + 8), 1);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_ERR), 5);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    /* #DE: FPE_INTDIV at rip; trapno 0, err 0, cr2 kept from the last page fault. */
    c->rip = 0x401007;
    se_exception(c, X86_DE, 0, 0);
    fr = c->r[R_RSP];
    assert_int_equal(c->rip, H2);
    assert_int_equal(get32(f, fr + F_INFO), 8);
    assert_int_equal(get32(f, fr + F_INFO + 8), 1);
    assert_int_equal(get64(f, fr + F_INFO + 16), 0x401007);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_TRAPNO), 0);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_ERR), 0);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_CR2), 0xffffffff81000000ull);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    /* #XM with ZE unmasked and set: FPE_FLTDIV. #MF with IE unmasked: FPE_FLTINV. */
    c->mxcsr = (0x1f80 & ~(1u << 9)) | 0x4;
    se_exception(c, X86_XM, 0, 0);
    fr = c->r[R_RSP];
    assert_int_equal(get32(f, fr + F_INFO + 8), 3);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_TRAPNO), 19);
    assert_int_equal(c->mxcsr, 0x1f80); /* the handler starts with the initial state */
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(c->mxcsr, (0x1f80 & ~(1u << 9)) | 0x4);
    c->mxcsr = 0x1f80;
    c->fpu_cw = 0x37e;
    c->fpu_sw = 0x81;
    se_exception(c, X86_MF, 0, 0);
    fr = c->r[R_RSP];
    assert_int_equal(get32(f, fr + F_INFO + 8), 7);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    /* int3: a trap, reported with rip already after it (the run loop leaves rip there for
     * cpu_trap); SI_KERNEL; no RF. */
    c->rip = 0x401001;
    se_exception(c, X86_BP, 0, 0);
    fr = c->r[R_RSP];
    assert_int_equal(get32(f, fr + F_INFO), 5);
    assert_int_equal(get32(f, fr + F_INFO + 8), 0x80);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_RIP), 0x401001);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_TRAPNO), 3);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_EFL) & (1u << 16), 0);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_false(f->m->stop);
    assert_int_equal(se->blocked, 0);
    /* A fault while its signal is blocked: the default action, despite the handler. */
    setmask(f, 0, BIT(11));
    se_exception(c, X86_GP, 0, 0);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.status, 139);
    assert_int_equal(se->act[11].handler, 0);
}

static void test_exception_ignored(void **state)
{
    fx_t *f = *state;
    install(f, 4, 1 /* SIG_IGN */, 0, 0);
    f->c->rip = 0x401000;
    se_exception(f->c, X86_UD, 0, 0);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.status, 132);
}

/* Frames that cannot be written. */
static void test_frame_failures(void **state)
{
    fx_t *f = *state;
    cpu_t *c = f->c;
    install(f, 10, H1, 0, 0);
    install(f, 11, H2, 0, 0);
    uint64_t sp = c->r[R_RSP];
    /* rsp in unmapped memory: SIGUSR1's frame fails, SIGSEGV is forced (its handler can run on a
     * good stack, but this one is not). The SIGSEGV frame fails too: killed. */
    c->r[R_RSP] = 0x30000000;
    raise_(f, 10);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.status, 139);
    (void)sp;
}

static void test_no_restorer(void **state)
{
    fx_t *f = *state;
    uint64_t act[4] = {H1, SA_SIGINFO_, 0, 0};
    put(f, BUF, act, sizeof(act));
    assert_int_equal(sc(f, 13, 10, BUF, 0, 8), 0);
    install(f, 11, H2, 0, 0);
    raise_(f, 10);
    /* x86-64 needs SA_RESTORER: SIGSEGV (SI_KERNEL) is forced, and its handler runs. */
    assert_false(f->m->stop);
    assert_int_equal(f->c->rip, H2);
    assert_int_equal(f->c->r[R_RDI], 11);
}

static void test_altstack(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    cpu_t *c = f->c;
    uint64_t alt = BUF + 0x4000, size = 0x4000;
    struct { uint64_t sp; int32_t flags, pad; uint64_t size; } ss = {alt, 0, 0, size}, o;
    put(f, BUF, &ss, sizeof(ss));
    assert_int_equal(sc(f, 131, BUF, 0, 0, 0), 0);
    install(f, 10, H1, SA_ONSTACK_, 0);
    install(f, 12, H2, SA_ONSTACK_ | SA_NODEFER_, 0);
    uint64_t rsp0 = c->r[R_RSP];
    raise_(f, 10);
    uint64_t fr = c->r[R_RSP];
    assert_int_equal(c->rip, H1);
    assert_true(fr > alt && fr < alt + size);
    assert_true(fr + 440 + 512 + 64 > alt + size); /* at the top (no red zone) */
    assert_int_equal(get64(f, fr + F_SS_SP), alt);
    assert_int_equal(get32(f, fr + F_SS_FLAGS), 0);
    assert_int_equal(get64(f, fr + F_SS_SIZE), size);
    assert_int_equal(get64(f, fr + F_GREGS + 8 * G_RSP), rsp0);
    /* On it: sigaltstack reports SS_ONSTACK and refuses changes. */
    assert_int_equal(sc(f, 131, BUF, BUF + 64, 0, 0), -EPERM);
    assert_int_equal(sc(f, 131, 0, BUF + 64, 0, 0), 0);
    get(f, BUF + 64, &o, sizeof(o));
    assert_int_equal(o.flags, 1);
    /* A nested signal stays on the alternate stack, below the current frame. */
    raise_(f, 12);
    uint64_t fr2 = c->r[R_RSP];
    assert_true(fr2 > alt && fr2 < fr - 128 - 440);
    /* Near the bottom, the next frame does not fit: SIGSEGV is forced; its default kills. */
    c->r[R_RSP] = alt + 600;
    raise_(f, 12);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.status, 139);
    (void)se;
}

static void test_autodisarm(void **state)
{
    fx_t *f = *state;
    cpu_t *c = f->c;
    uint64_t alt = BUF + 0x4000, size = 0x4000;
    struct { uint64_t sp; int32_t flags, pad; uint64_t size; } ss = {alt, (int32_t)0x80000000u, 0, size}, o;
    put(f, BUF, &ss, sizeof(ss));
    assert_int_equal(sc(f, 131, BUF, 0, 0, 0), 0);
    install(f, 10, H1, SA_ONSTACK_, 0);
    raise_(f, 10);
    uint64_t fr = c->r[R_RSP];
    assert_true(fr > alt && fr < alt + size);
    assert_int_equal(get32(f, fr + F_SS_FLAGS), 0x80000000u);
    /* Disarmed while the handler runs; sigreturn brings it back. */
    assert_int_equal(sc(f, 131, 0, BUF + 64, 0, 0), 0);
    get(f, BUF + 64, &o, sizeof(o));
    assert_int_equal(o.flags, 2);
    assert_int_equal(o.size, 0);
    c->r[R_RSP] = fr + 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(sc(f, 131, 0, BUF + 64, 0, 0), 0);
    get(f, BUF + 64, &o, sizeof(o));
    assert_int_equal((uint32_t)o.flags, 0x80000000u);
    assert_int_equal(o.sp, alt);
    assert_int_equal(o.size, size);
}

static void test_queue_wait_suspend(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    cpu_t *c = f->c;
    /* rt_sigqueueinfo: real-time signals queue every instance with its value. */
    setmask(f, 0, BIT(34) | BIT(10));
    uint8_t info[128] = {0};
    int32_t code = -1; /* SI_QUEUE */
    memcpy(info + 8, &code, 4);
    for (int v = 1; v <= 3; v++) {
        memcpy(info + 24, &v, 4);
        put(f, BUF + 0x100, info, sizeof(info));
        assert_int_equal(sc(f, 129, 1000, 34, BUF + 0x100, 0), 0);
    }
    assert_int_equal(sc(f, 129, 999, 34, BUF + 0x100, 0), -ESRCH);
    code = 0; /* SI_USER: only to ourselves */
    memcpy(info + 8, &code, 4);
    put(f, BUF + 0x100, info, sizeof(info));
    assert_int_equal(sc(f, 129, 999, 34, BUF + 0x100, 0), -EPERM);
    raise_(f, 10);
    raise_(f, 10); /* a standard signal is pending once */
    assert_int_equal(se->sigpend[1].n, 3);
    assert_int_equal(se->sigpend[0].n, 1);
    /* rt_sigtimedwait takes them in order: SIGUSR1, then the three SIGRTMINs. */
    put64(f, BUF, BIT(34) | BIT(10));
    int64_t ts[2] = {0, 0};
    put(f, BUF + 16, ts, sizeof(ts));
    assert_int_equal(sc(f, 128, BUF, BUF + 0x200, BUF + 16, 8), 10);
    assert_int_equal((int32_t)get32(f, BUF + 0x200 + 8), -6);
    for (int v = 1; v <= 3; v++) {
        assert_int_equal(sc(f, 128, BUF, BUF + 0x200, BUF + 16, 8), 34);
        assert_int_equal(get32(f, BUF + 0x200 + 24), (uint32_t)v);
    }
    uint64_t before = se->sleep_ns;
    ts[1] = 5000;
    put(f, BUF + 16, ts, sizeof(ts));
    assert_int_equal(sc(f, 128, BUF, BUF + 0x200, BUF + 16, 8), -EAGAIN);
    assert_int_equal(se->sleep_ns - before, 5000);
    ts[1] = 1000000000;
    put(f, BUF + 16, ts, sizeof(ts));
    assert_int_equal(sc(f, 128, BUF, BUF + 0x200, BUF + 16, 8), -EINVAL);
    /* rt_sigsuspend with SIGUSR1 pending: the handler runs with the suspend mask | itself, its
     * frame saves the old mask, and the call returns EINTR. */
    install(f, 10, H1, 0, 0);
    raise_(f, 10);
    put64(f, BUF, BIT(2));
    assert_int_equal(sc(f, 130, BUF, 8, 0, 0), -EINTR);
    assert_int_equal(c->rip, H1);
    assert_int_equal(se->blocked, BIT(2) | BIT(10));
    assert_int_equal(get64(f, c->r[R_RSP] + F_SIGMASK), BIT(34) | BIT(10));
    assert_int_equal((int64_t)get64(f, c->r[R_RSP] + F_GREGS + 8 * G_RAX), -EINTR);
    c->r[R_RSP] += 8;
    sc(f, 15, 0, 0, 0, 0);
    assert_int_equal(se->blocked, BIT(34) | BIT(10));
    /* Nothing pending: it could only wait forever. */
    assert_int_equal(sc(f, 130, BUF, 8, 0, 0), -EINTR);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.kind, EMU_FAILED);
}

static void test_kill_targets(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    setmask(f, 0, BIT(10) | BIT(12) | BIT(15));
    assert_int_equal(sc(f, 62, 0, 10, 0, 0), 0);                    /* our process group */
    assert_int_equal(sc(f, 62, (uint64_t)-1000, 12, 0, 0), 0);      /* -pgid */
    assert_int_equal(sc(f, 62, (uint64_t)-1, 15, 0, 0), -ESRCH);    /* every other process: none */
    assert_int_equal(sc(f, 62, 4321, 99, 0, 0), -ESRCH);            /* ESRCH before EINVAL */
    assert_int_equal(sc(f, 234, 1000, 1000, 15, 0), 0);
    assert_int_equal(se->sigpend[1].set, BIT(10) | BIT(12));
    assert_int_equal(se->sigpend[0].set, BIT(15));
    /* The process's siginfo says SI_USER, the thread's SI_TKILL. */
    put64(f, BUF, BIT(10) | BIT(15));
    assert_int_equal(sc(f, 128, BUF, BUF + 0x200, 0, 8), 15);
    assert_int_equal((int32_t)get32(f, BUF + 0x200 + 8), -6);
    assert_int_equal(sc(f, 128, BUF, BUF + 0x200, 0, 8), 10);
    assert_int_equal((int32_t)get32(f, BUF + 0x200 + 8), 0);
    assert_int_equal(get32(f, BUF + 0x200 + 16), 1000);
    assert_false(f->m->stop);
    /* pause could only wait forever. */
    sc(f, 34, 0, 0, 0, 0);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.kind, EMU_FAILED);
}

/* A program run by the CPU: int3 and a faulting store, each with a handler that edits the
 * ucontext and returns through the restorer (rt_sigreturn). */
static void test_run(void **state)
{
    fx_t *f = *state;
    cpu_t *c = f->c;
    static const uint8_t code[] = {
        /* 0x00 */ 0xcc,                                                       /* int3 */
        /* 0x01 */ 0xc7, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* movl $1, 0x10 */
        /* 0x0c */ 0x89, 0xc7,                                                 /* mov %eax, %edi */
        /* 0x0e */ 0xb8, 0xe7, 0x00, 0x00, 0x00,                               /* mov $231, %eax */
        /* 0x13 */ 0x0f, 0x05,                                                 /* syscall */
    };
    static const uint8_t h_trap[] = {
        0x48, 0xc7, 0x82, 0x90, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, /* movq $42, REG_RAX(%rdx) */
        0xc3,                                                             /* ret */
    };
    static const uint8_t h_segv[] = {
        0x48, 0x83, 0x82, 0xa8, 0x00, 0x00, 0x00, 0x0b, /* addq $11, REG_RIP(%rdx) */
        0x48, 0x83, 0x82, 0x90, 0x00, 0x00, 0x00, 0x01, /* addq $1, REG_RAX(%rdx) */
        0xc3,                                           /* ret */
    };
    static const uint8_t restorer[] = {0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}; /* rt_sigreturn */
    put(f, CODE, code, sizeof(code));
    put(f, CODE + 0x40, h_trap, sizeof(h_trap));
    put(f, CODE + 0x60, h_segv, sizeof(h_segv));
    put(f, CODE + 0x80, restorer, sizeof(restorer));
    uint64_t act[4] = {CODE + 0x40, SA_SIGINFO_ | SA_RESTORER_, CODE + 0x80, 0};
    put(f, BUF, act, sizeof(act));
    assert_int_equal(sc(f, 13, 5, BUF, 0, 8), 0);
    act[0] = CODE + 0x60;
    put(f, BUF, act, sizeof(act));
    assert_int_equal(sc(f, 13, 11, BUF, 0, 8), 0);
    c->rip = CODE;
    uint64_t rsp = c->r[R_RSP];
    cpu_run(c, 1000);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.kind, EMU_EXITED);
    assert_int_equal(f->m->result.code, 43);
    assert_int_equal(c->r[R_RSP], rsp);
    assert_int_equal(f->se->blocked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_frame_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigreturn_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigreturn_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_and_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodefer_resethand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exceptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exception_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_restorer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altstack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autodisarm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_wait_suspend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
