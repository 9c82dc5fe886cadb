/* Unmasked SSE floating-point exceptions: the program clears one mask bit of the MXCSR and then
 * performs an operation that raises that exception; the CPU raises #XM and the process dies of
 * SIGFPE (exit status 136), before the destination is written. Operations whose exceptions stay
 * masked (other masks cleared) run normally. The argument chooses the exception: div, inv, ovf,
 * unf, inexact, denormal, cvt, packed, masked (nothing traps: prints the flags); "handler" installs
 * a SIGFPE handler that prints si_code and the MXCSR of the interrupted context, then masks the
 * exception in that context and returns, so the instruction runs again and completes. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile double a, b, r;
static volatile float fa;

static void set_mxcsr(unsigned v) { __asm__ volatile("ldmxcsr %0" : : "m"(v) : "memory"); }
static unsigned get_mxcsr(void)
{
    unsigned v;
    __asm__ volatile("stmxcsr %0" : "=m"(v) : : "memory");
    return v;
}

static void on_fpe(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    unsigned mx = uc->uc_mcontext.fpregs->mxcsr;
    printf("SIGFPE %d code %d mxcsr %04x\n", sig, si->si_code, mx);
    uc->uc_mcontext.fpregs->mxcsr = mx | 0x1f80; /* mask everything: the retry completes */
}

static void with_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    static const unsigned cases[][2] = {{1u << 9, 0}, {1u << 7, 1}, {1u << 10, 2}, {1u << 11, 3}, {1u << 12, 4},
                                        {1u << 8, 5}, {0x1f80, 2}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        set_mxcsr(0x1f80 & ~cases[k][0]);
        switch (cases[k][1]) {
        case 0: a = 1.0, b = 0.0, r = a / b; break;
        case 1: a = 0.0, b = 0.0, r = a / b; break;
        case 2: a = 1e300, b = 1e300, r = a * b; break;
        case 3: a = 1e-300, b = 1e-300, r = a * b; break;
        case 4: a = 1.0, b = 3.0, r = a / b; break;
        default: a = 1e-310, b = 2.0, r = a * b; break;
        }
        unsigned mx = get_mxcsr();
        set_mxcsr(0x1f80);
        printf("case %zu: r=%a mxcsr after %04x\n", k, r, mx);
    }
}

// ARGS: div
// ARGS: inv
// ARGS: ovf
// ARGS: unf
// ARGS: inexact
// ARGS: denormal
// ARGS: cvt
// ARGS: packed
// ARGS: masked
// ARGS: handler
int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "div";
    if (!strcmp(what, "handler")) {
        with_handler();
        return 0;
    }
    static const struct {
        const char *name;
        unsigned mask;
    } bits[] = {{"inv", 1 << 7}, {"denormal", 1 << 8}, {"div", 1 << 9}, {"ovf", 1 << 10}, {"unf", 1 << 11},
                {"inexact", 1 << 12}, {"cvt", 1 << 7}, {"packed", 1 << 10}, {"masked", 0}};
    unsigned clear = 0;
    for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++)
        if (!strcmp(what, bits[k].name)) clear = bits[k].mask;
    r = 42.0;
    /* exceptions that stay masked: all these run */
    a = 1.0, b = 3.0;
    if (clear != 1u << 12) r = a / b; /* inexact */
    printf("before: r=%a mxcsr flags %02x\n", r, get_mxcsr() & 0x3f);
    fflush(stdout);
    set_mxcsr((get_mxcsr() & ~0x3fu) & ~clear);
    if (!strcmp(what, "div")) {
        a = 1.0, b = 0.0;
        r = a / b;
    } else if (!strcmp(what, "inv")) {
        a = 0.0, b = 0.0;
        r = a / b;
    } else if (!strcmp(what, "ovf")) {
        a = 1e300, b = 1e300;
        r = a * b;
    } else if (!strcmp(what, "unf")) {
        a = 1e-300, b = 1e-300;
        r = a * b;
    } else if (!strcmp(what, "inexact")) {
        a = 1.0, b = 3.0;
        r = a / b;
    } else if (!strcmp(what, "denormal")) {
        a = 1e-310, b = 2.0;
        r = a * b;
    } else if (!strcmp(what, "cvt")) {
        a = 1e20;
        volatile int i = (int)a;
        (void)i;
    } else if (!strcmp(what, "packed")) {
        double x[2] __attribute__((aligned(16))) = {1.0, 1e300}, y[2] __attribute__((aligned(16))) = {2.0, 1e300};
        __asm__ volatile("movapd %0, %%xmm0\n\tmulpd %1, %%xmm0\n\tmovapd %%xmm0, %0" : "+m"(x) : "m"(y) : "xmm0");
        r = x[0];
    } else {
        a = 1e-300, b = 1e-300;
        r = a * b;
        a = 1.0, b = 0.0;
        r = a / b;
    }
    unsigned mx = get_mxcsr();
    set_mxcsr(0x1f80);
    printf("no trap: r=%a mxcsr %04x\n", r, mx);
    return 0;
}
