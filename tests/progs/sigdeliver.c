/* Signals sent to ourselves (raise, kill, sigqueue) delivered to handlers, compared with Linux.
 *   sigdeliver info       siginfo of raise (SI_TKILL), kill (SI_USER), sigqueue (SI_QUEUE, value),
 *                         a plain handler's arguments, the ucontext's mask and flags
 *   sigdeliver order      signals pending while blocked, unblocked at once: the order handlers run
 *   sigdeliver mask       sa_mask and the signal itself are blocked in the handler, restored after;
 *                         a signal raised there waits for the handler's return
 *   sigdeliver nodefer    SA_NODEFER: a handler raising its own signal nests
 *   sigdeliver defer      without it, the raise inside the handler waits
 *   sigdeliver resethand  SA_RESETHAND: the first raise runs the handler, the second kills (138)
 *   sigdeliver ignore     SIG_IGN, blocked-and-ignored signals staying pending, SIG_IGN flushing
 *   sigdeliver suspend    sigsuspend with a pending signal: the handler runs, EINTR, mask restored
 *   sigdeliver wait       sigwaitinfo/sigtimedwait take pending signals without handlers
 *   sigdeliver abort      a SIGABRT handler that returns: abort() still ends the program (134)
 *   sigdeliver exit       a handler that calls exit(5)
 *   sigdeliver flags      sa_flags read back (unknown flags cleared), SIGKILL/SIGSTOP refusals */
// ARGS: info
// ARGS: order
// ARGS: mask
// ARGS: nodefer
// ARGS: defer
// ARGS: resethand
// ARGS: ignore
// ARGS: suspend
// ARGS: wait
// ARGS: abort
// ARGS: exit
// ARGS: flags
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int depth, log_n;
static int log_sig[64];
static long log_val[64];

static void install(int sig, void *h, int siginfo, int flags, const int *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    if (siginfo)
        sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))h;
    else
        sa.sa_handler = (void (*)(int))h;
    sa.sa_flags = flags | (siginfo ? SA_SIGINFO : 0);
    sigemptyset(&sa.sa_mask);
    for (; mask && *mask; mask++)
        sigaddset(&sa.sa_mask, *mask);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("sigaction(%d) failed: %s\n", sig, strerror(errno));
}

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void h_info(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    printf("  signal %d: si_signo %d si_code %d si_errno %d pid is ours %d uid is ours %d value %d\n", sig,
           si->si_signo, si->si_code, si->si_errno, si->si_pid == getpid(), si->si_uid == getuid(),
           si->si_code == SI_QUEUE ? si->si_value.sival_int : -1);
    printf("  uc_link %d uc_flags & UC_SIGCONTEXT_SS %d, uc_sigmask has SIGUSR2 %d has the signal %d\n",
           uc->uc_link != NULL, (int)(uc->uc_flags & 2) != 0, sigismember(&uc->uc_sigmask, SIGUSR2),
           sigismember(&uc->uc_sigmask, sig));
    printf("  stack aligned for a call: %d, uc_stack ss_flags %d ss_size %zu\n",
           ((uintptr_t)__builtin_frame_address(0) & 15) == 0, uc->uc_stack.ss_flags, uc->uc_stack.ss_size);
}

static void h_plain(int sig) { printf("  plain handler: signal %d, blocked there %d\n", sig, blocked(sig)); }

static void h_log(int sig, siginfo_t *si, void *ucv)
{
    (void)ucv;
    log_sig[log_n] = sig;
    log_val[log_n] = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
    log_n++;
}

static void h_mask(int sig)
{
    printf("  in handler %d: blocked itself %d SIGUSR2 %d SIGHUP %d\n", sig, blocked(sig), blocked(SIGUSR2),
           blocked(SIGHUP));
    if (sig == SIGUSR1) {
        raise(SIGUSR2);
        printf("  raised SIGUSR2 inside: still in handler %d\n", sig);
    }
}

static void h_nest(int sig)
{
    int d = ++depth;
    printf("  enter depth %d (blocked %d)\n", d, blocked(sig));
    if (d < 3)
        raise(sig);
    printf("  leave depth %d\n", d);
}

static void h_reset(int sig)
{
    struct sigaction o;
    sigaction(sig, NULL, &o);
    printf("  handler: action is now SIG_DFL %d, blocked %d\n", o.sa_handler == SIG_DFL, blocked(sig));
}

static void h_count(int sig) { printf("  handler for %d\n", sig); }

static void h_exit(int sig)
{
    printf("  handler %d calls exit(5)\n", sig);
    exit(5);
}

static void show_pending(const char *what)
{
    sigset_t p;
    sigpending(&p);
    printf("%s: pending USR1 %d USR2 %d\n", what, sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2));
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "info";
    printf("sigdeliver %s\n", what);
    fflush(stdout);
    int usr2[] = {SIGUSR2, 0};
    if (strcmp(what, "info") == 0) {
        install(SIGUSR1, h_info, 1, 0, usr2);
        printf("raise:\n");
        raise(SIGUSR1);
        printf("kill:\n");
        kill(getpid(), SIGUSR1);
        printf("sigqueue:\n");
        sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 77});
        install(SIGRTMIN + 2, h_info, 1, 0, NULL);
        sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 78});
        install(SIGUSR2, h_plain, 0, 0, NULL);
        printf("plain handler:\n");
        raise(SIGUSR2);
        printf("blocked after: %d %d\n", blocked(SIGUSR1), blocked(SIGUSR2));
    } else if (strcmp(what, "order") == 0) {
        int sigs[] = {SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGTERM, SIGALRM, SIGRTMIN, SIGRTMIN + 1, SIGRTMAX};
        for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
            install(sigs[i], h_log, 1, 0, NULL);
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        raise(SIGTERM);
        raise(SIGUSR2);
        kill(getpid(), SIGUSR1);
        kill(getpid(), SIGALRM);
        raise(SIGHUP);
        raise(SIGHUP); /* a standard signal is pending once */
        kill(getpid(), SIGINT);
        sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 1});
        sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 2});
        sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 3}); /* real-time ones queue */
        sigqueue(getpid(), SIGRTMAX, (union sigval){.sival_int = 4});
        raise(SIGRTMIN);
        sigset_t p;
        sigpending(&p);
        int n = 0;
        for (int s = 1; s < 65; s++)
            n += sigismember(&p, s) == 1;
        printf("pending signals: %d\n", n);
        sigprocmask(SIG_SETMASK, &old, NULL);
        printf("handlers ran %d times:", log_n);
        for (int i = 0; i < log_n; i++)
            printf(" %d(%ld)", log_sig[i] >= SIGRTMIN ? log_sig[i] - SIGRTMIN + 100 : log_sig[i], log_val[i]);
        printf("\n");
    } else if (strcmp(what, "mask") == 0) {
        int hup[] = {SIGHUP, 0};
        install(SIGUSR1, h_mask, 0, 0, usr2);
        install(SIGUSR2, h_mask, 0, 0, hup);
        raise(SIGUSR1);
        printf("after: blocked USR1 %d USR2 %d HUP %d\n", blocked(SIGUSR1), blocked(SIGUSR2), blocked(SIGHUP));
    } else if (strcmp(what, "nodefer") == 0 || strcmp(what, "defer") == 0) {
        install(SIGUSR1, h_nest, 0, strcmp(what, "nodefer") == 0 ? SA_NODEFER : 0, NULL);
        raise(SIGUSR1);
        printf("back in main, depth %d\n", depth);
    } else if (strcmp(what, "resethand") == 0) {
        install(SIGUSR1, h_reset, 0, SA_RESETHAND, NULL);
        raise(SIGUSR1);
        printf("first raise handled\n");
        fflush(stdout);
        raise(SIGUSR1);
        printf("not reached\n");
    } else if (strcmp(what, "ignore") == 0) {
        signal(SIGUSR1, SIG_IGN);
        raise(SIGUSR1);
        show_pending("ignored, not blocked");
        sigset_t s, old;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigaddset(&s, SIGUSR2);
        sigprocmask(SIG_BLOCK, &s, &old);
        raise(SIGUSR1);
        show_pending("ignored but blocked");
        sigprocmask(SIG_SETMASK, &old, NULL);
        show_pending("unblocked");
        install(SIGUSR2, h_count, 0, 0, NULL);
        sigprocmask(SIG_BLOCK, &s, NULL);
        raise(SIGUSR2);
        show_pending("USR2 blocked");
        signal(SIGUSR2, SIG_IGN);
        show_pending("USR2 set to SIG_IGN");
        install(SIGUSR2, h_count, 0, 0, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        printf("no handler ran\n");
        signal(SIGCHLD, SIG_DFL);
        raise(SIGCHLD);
        raise(SIGWINCH);
        raise(SIGURG);
        printf("default-ignored signals survived\n");
    } else if (strcmp(what, "suspend") == 0) {
        install(SIGUSR1, h_count, 0, 0, NULL);
        sigset_t s, old, none;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigprocmask(SIG_BLOCK, &s, &old);
        raise(SIGUSR1);
        sigemptyset(&none);
        errno = 0;
        int r = sigsuspend(&none);
        printf("sigsuspend returned %d errno EINTR %d, USR1 blocked again %d\n", r, errno == EINTR, blocked(SIGUSR1));
    } else if (strcmp(what, "wait") == 0) {
        install(SIGUSR1, h_count, 0, 0, NULL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigaddset(&s, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &s, NULL);
        raise(SIGUSR1);
        sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 9});
        siginfo_t si;
        int r = sigwaitinfo(&s, &si);
        printf("sigwaitinfo: %d code %d\n", r, si.si_code);
        struct timespec ts = {0, 0};
        r = sigtimedwait(&s, &si, &ts);
        printf("sigtimedwait: %d code %d value %d\n", r - SIGRTMIN, si.si_code, si.si_value.sival_int);
        errno = 0;
        r = sigtimedwait(&s, &si, &ts);
        printf("sigtimedwait with nothing pending: %d EAGAIN %d\n", r, errno == EAGAIN);
        ts.tv_nsec = 2000000000;
        r = sigtimedwait(&s, &si, &ts);
        printf("bad timeout: %d EINVAL %d\n", r, errno == EINVAL);
    } else if (strcmp(what, "abort") == 0) {
        install(SIGABRT, h_count, 0, 0, NULL);
        abort();
    } else if (strcmp(what, "exit") == 0) {
        install(SIGTERM, h_exit, 0, 0, NULL);
        raise(SIGTERM);
        printf("not reached\n");
    } else if (strcmp(what, "flags") == 0) {
        struct sigaction sa, o;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = h_count;
        sa.sa_flags = SA_RESTART | SA_NODEFER | SA_ONSTACK | 0x400 /* SA_UNSUPPORTED */ | 0x1000;
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR1, NULL, &o);
        printf("flags read back %#x\n", (unsigned)o.sa_flags);
        printf("SIGKILL: %d SIGSTOP: %d\n", sigaction(SIGKILL, &sa, NULL), sigaction(SIGSTOP, &sa, NULL));
        printf("query SIGKILL: %d\n", sigaction(SIGKILL, NULL, &o));
        sigset_t all, cur;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        sigprocmask(SIG_SETMASK, NULL, &cur);
        printf("KILL blocked %d STOP blocked %d TERM blocked %d\n", sigismember(&cur, SIGKILL),
               sigismember(&cur, SIGSTOP), sigismember(&cur, SIGTERM));
    }
    printf("done\n");
    return 0;
}
