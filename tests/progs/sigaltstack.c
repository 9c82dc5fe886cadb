/* sigaltstack and SA_ONSTACK, compared with Linux.
 *   sigaltstack api        settings read back, SS_DISABLE, ENOMEM below MINSIGSTKSZ, EINVAL for bad
 *                          flags; the uc_stack a handler sees
 *   sigaltstack onstack    a raised signal handled on the alternate stack: SS_ONSTACK while there,
 *                          EPERM when changing it there, nested signals stay on it
 *   sigaltstack autodisarm SS_AUTODISARM: disabled while the handler runs, back afterwards
 *   sigaltstack overflow   unbounded recursion overflows the stack; SIGSEGV is handled on the
 *                          alternate stack and siglongjmp recovers (twice)
 *   sigaltstack noalt      the same without an alternate stack: the frame cannot be written, the
 *                          program dies of SIGSEGV (139) */
// ARGS: api
// ARGS: onstack
// ARGS: autodisarm
// ARGS: overflow
// ARGS: noalt
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

#define ALT_SIZE (64 * 1024)
static char altbuf[ALT_SIZE] __attribute__((aligned(16)));
static sigjmp_buf jb;
static volatile int depth;

static int on_alt(const void *p) { return (const char *)p >= altbuf && (const char *)p < altbuf + ALT_SIZE; }

static void install(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void show_ss(const char *what)
{
    stack_t o;
    memset(&o, 0x55, sizeof(o));
    int r = sigaltstack(NULL, &o);
    printf("%s: r %d flags %#x sp is altbuf %d size %zu\n", what, r, (unsigned)o.ss_flags, o.ss_sp == altbuf,
           o.ss_size);
}

static int set_ss(void *sp, size_t size, int flags)
{
    stack_t s = {.ss_sp = sp, .ss_size = size, .ss_flags = flags};
    errno = 0;
    int r = sigaltstack(&s, NULL);
    return r ? -errno : 0;
}

static void h_ucstack(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)si;
    int local;
    printf("  handler %d: on the alternate stack %d; uc_stack sp is altbuf %d flags %#x size %zu\n", sig,
           on_alt(&local), uc->uc_stack.ss_sp == altbuf, (unsigned)uc->uc_stack.ss_flags, uc->uc_stack.ss_size);
    show_ss("  in the handler");
}

static void h_onstack(int sig, siginfo_t *si, void *ucv)
{
    int local;
    int d = ++depth;
    h_ucstack(sig, si, ucv);
    printf("  depth %d, interrupted context on the alternate stack %d\n", d,
           on_alt((void *)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RSP]));
    printf("  changing it here: %d (EPERM %d), disabling: %d\n", set_ss(altbuf, ALT_SIZE, 0), EPERM,
           set_ss(NULL, 0, SS_DISABLE));
    if (d == 1)
        raise(SIGUSR2);
    (void)local;
}

static volatile int sink;
static int recurse(int n)
{
    volatile char pad[256];
    pad[n & 255] = (char)n;
    return recurse(n + 1) + pad[(n + 1) & 255];
}

static void h_overflow(int sig, siginfo_t *si, void *ucv)
{
    int local;
    (void)ucv;
    printf("  SIGSEGV (code %d) handled on the alternate stack: %d\n", si->si_code, on_alt(&local));
    show_ss("  in the handler");
    fflush(stdout);
    siglongjmp(jb, sig);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "api";
    printf("sigaltstack %s\n", what);
    fflush(stdout);
    /* The emulator's stack is 8 MiB: make the native one the same, whatever the shell's limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 8u << 20)) {
        rl.rlim_cur = 8u << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    if (strcmp(what, "api") == 0) {
        show_ss("initially");
        printf("too small: %d (ENOMEM %d)\n", set_ss(altbuf, MINSIGSTKSZ - 1, 0), ENOMEM);
        printf("bad flags: %d (EINVAL %d)\n", set_ss(altbuf, ALT_SIZE, 3), EINVAL);
        printf("bad flags: %d\n", set_ss(altbuf, ALT_SIZE, 0x40));
        printf("MINSIGSTKSZ: %d\n", set_ss(altbuf, MINSIGSTKSZ, 0));
        show_ss("set");
        printf("SS_ONSTACK as a flag: %d\n", set_ss(altbuf, ALT_SIZE, SS_ONSTACK));
        show_ss("set");
        install(SIGUSR1, h_ucstack, 0);
        printf("without SA_ONSTACK:\n");
        raise(SIGUSR1);
        printf("disable: %d\n", set_ss(NULL, 0, SS_DISABLE));
        show_ss("disabled");
        printf("with SA_ONSTACK but disabled:\n");
        install(SIGUSR1, h_ucstack, SA_ONSTACK);
        raise(SIGUSR1);
        printf("disabled, size ignored: %d\n", set_ss(altbuf, 5, SS_DISABLE));
        show_ss("disabled");
    } else if (strcmp(what, "onstack") == 0) {
        printf("set: %d\n", set_ss(altbuf, ALT_SIZE, 0));
        install(SIGUSR1, h_onstack, SA_ONSTACK);
        install(SIGUSR2, h_onstack, SA_ONSTACK);
        raise(SIGUSR1);
        show_ss("after");
        install(SIGUSR2, h_onstack, 0);
        printf("without SA_ONSTACK:\n");
        depth = 5;
        raise(SIGUSR2);
    } else if (strcmp(what, "autodisarm") == 0) {
        printf("set: %d\n", set_ss(altbuf, ALT_SIZE, SS_AUTODISARM));
        show_ss("set");
        install(SIGUSR1, h_ucstack, SA_ONSTACK);
        raise(SIGUSR1);
        show_ss("after");
    } else if (strcmp(what, "overflow") == 0) {
        printf("set: %d\n", set_ss(altbuf, ALT_SIZE, 0));
        install(SIGSEGV, h_overflow, SA_ONSTACK);
        for (int i = 0; i < 2; i++) {
            if (sigsetjmp(jb, 1) == 0)
                sink = recurse(0);
            printf("recovered %d\n", i + 1);
            show_ss("after");
        }
    } else if (strcmp(what, "noalt") == 0) {
        install(SIGSEGV, h_overflow, SA_ONSTACK);
        if (sigsetjmp(jb, 1) == 0)
            sink = recurse(0);
        printf("not reached\n");
    }
    printf("done\n");
    return 0;
}
