/* The FPU state through a signal handler, compared with Linux: the frame's fpstate holds the
 * interrupted MXCSR, XMM registers and x87 control word; the handler starts with the initial FPU
 * state (MXCSR 0x1f80, XMM registers zero); on return everything comes back, with the edits the
 * handler made to fpstate.
 *   sigfpu sse     XMM0..XMM15 and MXCSR around a tkill made from assembly
 *   sigfpu fault   the same state in a SIGSEGV handler that skips the faulting store
 *   sigfpu x87     the x87 stack, tags and control word around a tkill; the handler's own x87 use
 *   sigfpu float   C floating point in the handler (initial rounding) while the program rounds
 *                  downwards, float, double and long double
 *   sigfpu fpe     unmasked x87 invalid operation (#MF at the next x87 instruction, FPE_FLTINV) and
 *                  SSE division by zero (#XM, FPE_FLTDIV), recovered with siglongjmp */
// ARGS: sse
// ARGS: fault
// ARGS: x87
// ARGS: float
// ARGS: fpe
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* fpu_probe(tid, sig, in, out): XMM0..15 = in[0..15], MXCSR = in[16]; tkill(tid, sig), or with sig 0
 * a store to address 8; then out[0..15] = XMM0..15, out[16] = MXCSR. */
__asm__(".text\n"
        ".globl fpu_probe\n"
        "fpu_probe:\n"
        "  movdqu 0(%rdx), %xmm0\n  movdqu 16(%rdx), %xmm1\n  movdqu 32(%rdx), %xmm2\n"
        "  movdqu 48(%rdx), %xmm3\n  movdqu 64(%rdx), %xmm4\n  movdqu 80(%rdx), %xmm5\n"
        "  movdqu 96(%rdx), %xmm6\n  movdqu 112(%rdx), %xmm7\n  movdqu 128(%rdx), %xmm8\n"
        "  movdqu 144(%rdx), %xmm9\n  movdqu 160(%rdx), %xmm10\n  movdqu 176(%rdx), %xmm11\n"
        "  movdqu 192(%rdx), %xmm12\n  movdqu 208(%rdx), %xmm13\n  movdqu 224(%rdx), %xmm14\n"
        "  movdqu 240(%rdx), %xmm15\n"
        "  ldmxcsr 256(%rdx)\n"
        "  mov %rcx, %r8\n"
        "  test %esi, %esi\n"
        "  jz 1f\n"
        "  mov $200, %eax\n" /* tkill */
        "  syscall\n"
        "  jmp 2f\n"
        "1:\n"
        ".globl fpu_probe_store\n"
        "fpu_probe_store:\n"
        "  movl $1, 8\n"
        ".globl fpu_probe_next\n"
        "fpu_probe_next:\n"
        "2:\n"
        "  movdqu %xmm0, 0(%r8)\n  movdqu %xmm1, 16(%r8)\n  movdqu %xmm2, 32(%r8)\n"
        "  movdqu %xmm3, 48(%r8)\n  movdqu %xmm4, 64(%r8)\n  movdqu %xmm5, 80(%r8)\n"
        "  movdqu %xmm6, 96(%r8)\n  movdqu %xmm7, 112(%r8)\n  movdqu %xmm8, 128(%r8)\n"
        "  movdqu %xmm9, 144(%r8)\n  movdqu %xmm10, 160(%r8)\n  movdqu %xmm11, 176(%r8)\n"
        "  movdqu %xmm12, 192(%r8)\n  movdqu %xmm13, 208(%r8)\n  movdqu %xmm14, 224(%r8)\n"
        "  movdqu %xmm15, 240(%r8)\n"
        "  stmxcsr 256(%r8)\n"
        "  ret\n"
        /* clobber(): every XMM register and MXCSR changed, from the handler. */
        ".globl clobber\n"
        "clobber:\n"
        "  pcmpeqd %xmm0, %xmm0\n  pcmpeqd %xmm1, %xmm1\n  pcmpeqd %xmm2, %xmm2\n  pcmpeqd %xmm3, %xmm3\n"
        "  pcmpeqd %xmm4, %xmm4\n  pcmpeqd %xmm5, %xmm5\n  pcmpeqd %xmm6, %xmm6\n  pcmpeqd %xmm7, %xmm7\n"
        "  pcmpeqd %xmm8, %xmm8\n  pcmpeqd %xmm9, %xmm9\n  pcmpeqd %xmm10, %xmm10\n  pcmpeqd %xmm11, %xmm11\n"
        "  pcmpeqd %xmm12, %xmm12\n  pcmpeqd %xmm13, %xmm13\n  pcmpeqd %xmm14, %xmm14\n  pcmpeqd %xmm15, %xmm15\n"
        "  push $0x7f80\n  ldmxcsr (%rsp)\n  pop %rax\n"
        "  ret\n"
        /* xmm_at_entry(out): XMM0..XMM15 now (the handler calls it first). */
        ".globl xmm_now\n"
        "xmm_now:\n"
        "  movdqu %xmm0, 0(%rdi)\n  movdqu %xmm1, 16(%rdi)\n  movdqu %xmm2, 32(%rdi)\n"
        "  movdqu %xmm3, 48(%rdi)\n  movdqu %xmm4, 64(%rdi)\n  movdqu %xmm5, 80(%rdi)\n"
        "  movdqu %xmm6, 96(%rdi)\n  movdqu %xmm7, 112(%rdi)\n  movdqu %xmm8, 128(%rdi)\n"
        "  movdqu %xmm9, 144(%rdi)\n  movdqu %xmm10, 160(%rdi)\n  movdqu %xmm11, 176(%rdi)\n"
        "  movdqu %xmm12, 192(%rdi)\n  movdqu %xmm13, 208(%rdi)\n  movdqu %xmm14, 224(%rdi)\n"
        "  movdqu %xmm15, 240(%rdi)\n"
        "  stmxcsr 256(%rdi)\n"
        "  ret\n"
        /* x87_probe(tid, sig, out): FCW 0x27f, ST1 = pi, ST0 = 1; tkill(tid, sig); then out[0..9] =
         * ST0, out[16..25] = ST1 (popped), out[32] = FCW, out[34] = FSW. */
        ".globl x87_probe\n"
        "x87_probe:\n"
        "  fninit\n"
        "  push $0x27f\n  fldcw (%rsp)\n  pop %rax\n"
        "  fldpi\n  fld1\n"
        "  mov %rdx, %r8\n"
        "  mov $200, %eax\n"
        "  syscall\n"
        "  fstpt 0(%r8)\n  fstpt 16(%r8)\n"
        "  fnstcw 32(%r8)\n  fnstsw 34(%r8)\n"
        "  ret\n"
        /* x87_mess(out): out[0] = FCW at entry; leaves three values on the x87 stack and FCW 0x7f. */
        ".globl x87_mess\n"
        "x87_mess:\n"
        "  fnstcw (%rdi)\n"
        "  fldl2e\n  fldln2\n  fld1\n  fadd %st(1), %st\n"
        "  push $0x7f\n  fldcw (%rsp)\n  pop %rax\n"
        "  ret\n"
        /* fpe_x87(): 0/0 with invalid operation unmasked: #MF at the fld1 after the fdivp. */
        ".globl fpe_x87\n"
        "fpe_x87:\n"
        "  fninit\n  push $0x37e\n  fldcw (%rsp)\n  pop %rax\n"
        "  fldz\n  fldz\n"
        ".globl fpe_x87_div\n"
        "fpe_x87_div:\n"
        "  fdivp\n"
        ".globl fpe_x87_next\n"
        "fpe_x87_next:\n"
        "  fld1\n  fstp %st(0)\n  ret\n"
        /* fpe_sse(): 1.0 / 0.0 with division by zero unmasked: #XM at the divsd. */
        ".globl fpe_sse\n"
        "fpe_sse:\n"
        "  push $0x1d80\n  ldmxcsr (%rsp)\n  pop %rax\n"
        "  pxor %xmm1, %xmm1\n  mov $1, %eax\n  cvtsi2sd %eax, %xmm0\n"
        ".globl fpe_sse_div\n"
        "fpe_sse_div:\n"
        "  divsd %xmm1, %xmm0\n  ret\n");
void fpe_x87(void);
void fpe_sse(void);
extern char fpe_x87_div[], fpe_x87_next[], fpe_sse_div[];
void x87_probe(long tid, long sig, uint8_t out[40]);
void x87_mess(uint16_t *cw);
void fpu_probe(long tid, long sig, const uint32_t in[68], uint32_t out[68]);
void clobber(void);
void xmm_now(uint32_t out[68]);
extern char fpu_probe_store[], fpu_probe_next[];

/* The FXSAVE layout (the start of the fpstate, with or without XSAVE). */
typedef struct fxsave {
    uint16_t cwd, swd, ftw, fop;
    uint64_t rip, rdp;
    uint32_t mxcsr, mxcsr_mask;
    uint32_t st[8][4];
    uint32_t xmm[16][4];
} fxsave_t;

static void h(int sig, siginfo_t *si, void *ucv)
{
    /* First thing: the registers as the handler got them (the C code before this call does not
     * touch XMM registers at -O2 on x86-64... but to be safe only MXCSR and xmm8..15 are shown). */
    uint32_t now[68];
    xmm_now(now);
    ucontext_t *uc = ucv;
    (void)si;
    fxsave_t *fp = (fxsave_t *)uc->uc_mcontext.fpregs;
    printf("  handler %d: fpstate 16-byte aligned %d, saved mxcsr %#x cwd %#x ftw %#x\n", sig,
           ((uintptr_t)fp & 15) == 0, fp->mxcsr, fp->cwd, fp->ftw);
    uint32_t h = 0;
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < 4; k++)
            h = h * 31 + fp->xmm[i][k];
    printf("  saved xmm hash %08x, xmm7 %08x %08x %08x %08x\n", h, fp->xmm[7][0], fp->xmm[7][1], fp->xmm[7][2],
           fp->xmm[7][3]);
    uint32_t z = 0;
    for (int i = 8 * 4; i < 16 * 4; i++)
        z |= now[i];
    printf("  at entry: mxcsr %#x, xmm8..15 zero %d\n", now[64], z == 0);
    clobber();
    /* Edits to the saved state take effect on return. */
    fp->xmm[3][0] = 0xabcdef01;
    fp->mxcsr = 0x5f80;
    if (sig == SIGSEGV)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)fpu_probe_next;
    fflush(stdout);
}

static void h_x87(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)si;
    fxsave_t *fp = (fxsave_t *)uc->uc_mcontext.fpregs;
    uint16_t cw;
    x87_mess(&cw);
    uint16_t st0[5], st1[5];
    memcpy(st0, fp->st[0], 10);
    memcpy(st1, fp->st[1], 10);
    printf("  handler %d: saved cwd %#x top %d ftw %#x st0 %04x:%04x%04x%04x%04x st1 %04x:%04x%04x%04x%04x\n", sig,
           fp->cwd, (fp->swd >> 11) & 7, fp->ftw & 0xff, st0[4], st0[3], st0[2], st0[1], st0[0], st1[4], st1[3],
           st1[2], st1[1], st1[0]);
    printf("  the handler's control word at entry %#x\n", cw);
    fflush(stdout);
}

static volatile float fx = 1.0f, fy = 3.0f;
static volatile double dx = 1.0, dy = 3.0;
static volatile long double lx = 1.0L, ly = 3.0L;

static void divisions(const char *who)
{
    printf("  %s: %.10a %.17a %.20La, rounding %s\n", who, (double)(fx / fy), dx / dy, lx / ly,
           fegetround() == FE_TONEAREST ? "to nearest" : fegetround() == FE_DOWNWARD ? "downward" : "other");
}

static void h_float(int sig)
{
    (void)sig;
    divisions("handler");
    fesetround(FE_UPWARD);
    divisions("handler, upward");
}

static sigjmp_buf jb;

static void h_fpe(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    const char *where = si->si_addr == fpe_x87_div    ? "the fdivp"
                        : si->si_addr == fpe_x87_next ? "the x87 instruction after the fdivp"
                        : si->si_addr == fpe_sse_div  ? "the divsd"
                                                      : "?";
    fxsave_t *fp = (fxsave_t *)uc->uc_mcontext.fpregs;
    printf("  signal %d si_code %d at %s, rip there %d, trapno %lld err %lld\n", sig, si->si_code, where,
           (void *)uc->uc_mcontext.gregs[REG_RIP] == si->si_addr, (long long)uc->uc_mcontext.gregs[REG_TRAPNO],
           (long long)uc->uc_mcontext.gregs[REG_ERR]);
    printf("  saved cwd %#x swd %#x mxcsr %#x\n", fp->cwd, fp->swd, fp->mxcsr);
    fflush(stdout);
    siglongjmp(jb, 1);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "sse";
    printf("sigfpu %s\n", what);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    if (strcmp(what, "x87") == 0) {
        sa.sa_sigaction = h_x87;
        sigaction(SIGUSR1, &sa, NULL);
        uint8_t out[40];
        x87_probe(syscall(SYS_gettid), SIGUSR1, out);
        uint16_t st0[5], st1[5], cw, sw;
        memcpy(st0, out, 10);
        memcpy(st1, out + 16, 10);
        memcpy(&cw, out + 32, 2);
        memcpy(&sw, out + 34, 2);
        printf("after: st0 %04x:%04x%04x%04x%04x st1 %04x:%04x%04x%04x%04x fcw %#x top %d\n", st0[4], st0[3], st0[2],
               st0[1], st0[0], st1[4], st1[3], st1[2], st1[1], st1[0], cw, (sw >> 11) & 7);
        printf("done\n");
        return 0;
    }
    if (strcmp(what, "fpe") == 0) {
        sa.sa_sigaction = h_fpe;
        sigaction(SIGFPE, &sa, NULL);
        if (sigsetjmp(jb, 1) == 0)
            fpe_x87();
        printf("recovered from the x87 exception\n");
        if (sigsetjmp(jb, 1) == 0)
            fpe_sse();
        printf("recovered from the SSE exception\n");
        printf("done\n");
        return 0;
    }
    if (strcmp(what, "float") == 0) {
        signal(SIGUSR1, h_float);
        fesetround(FE_DOWNWARD);
        divisions("main");
        raise(SIGUSR1);
        divisions("main again");
        printf("done\n");
        return 0;
    }
    uint32_t in[68], out[68];
    for (int i = 0; i < 64; i++)
        in[i] = 0x01020304u * (uint32_t)(i + 1) ^ 0x9e3779b9u;
    in[64] = 0x3f80 | 0x20; /* round down, precision flag set */
    memset(out, 0, sizeof(out));
    long tid = syscall(SYS_gettid);
    fpu_probe(tid, strcmp(what, "sse") == 0 ? SIGUSR1 : 0, in, out);
    int same = 1;
    for (int i = 0; i < 64; i++)
        if (i != 12)
            same &= out[i] == in[i];
    printf("after: xmm registers restored %d, xmm3[0] %#x, mxcsr %#x\n", same, out[12], out[64]);
    printf("done\n");
    return 0;
}
