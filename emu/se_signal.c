/* se_signal: signals in SE mode: dispositions, the blocked and pending sets, and default actions.
 *
 * Handlers are recorded by rt_sigaction but not yet run (signal delivery to user handlers arrives
 * with issue 3): a signal that reaches the process takes its default action even when a handler
 * is registered, and an emu: line says so once. Default actions follow Linux: terminate (the run
 * ends with status 128+N), core (the same: no core file is written), ignore for SIGCHLD, SIGURG,
 * SIGWINCH and SIGCONT; stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) are ignored, since there
 * is no job control to resume the process. A signal sent while blocked stays pending and is
 * delivered when rt_sigprocmask unblocks it (that is how musl's abort() and raise() work). A
 * synchronous signal from a CPU exception kills even when blocked or ignored, as Linux does.
 *
 * Exceptions map to signals as in Linux's arch/x86/kernel/traps.c: #PF -> SIGSEGV (SIGBUS for a
 * file mapping beyond the file's end), #GP, #TS, #DF -> SIGSEGV, #UD -> SIGILL, #DE, #MF, #XM ->
 * SIGFPE, #BP and #DB -> SIGTRAP, #AC, #NP, #SS -> SIGBUS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu/se_int.h"

#define K_SIGKILL 9
#define K_SIGSTOP 19
#define SIG_BIT(s) (1ull << ((s)-1))
#define UNBLOCKABLE (SIG_BIT(K_SIGKILL) | SIG_BIT(K_SIGSTOP))
#define K_SIG_DFL 0
#define K_SIG_IGN 1

static const char *const sig_names[32] = {
    [1] = "SIGHUP",   [2] = "SIGINT",   [3] = "SIGQUIT",  [4] = "SIGILL",    [5] = "SIGTRAP",
    [6] = "SIGABRT",  [7] = "SIGBUS",   [8] = "SIGFPE",   [9] = "SIGKILL",   [10] = "SIGUSR1",
    [11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM",   [15] = "SIGTERM",
    [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
    [21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG",  [24] = "SIGXCPU",   [25] = "SIGXFSZ",
    [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO", [30] = "SIGPWR",
    [31] = "SIGSYS",
};

const char *se_signal_name(int sig)
{
    static char buf[16];
    if (sig > 0 && sig < 32 && sig_names[sig])
        return sig_names[sig];
    if (sig >= 34 && sig <= 64) {
        snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - 34);
        return buf;
    }
    snprintf(buf, sizeof(buf), "signal %d", sig);
    return buf;
}

/* The default action ignores sig (stop signals included: there is no job control). */
static int default_ignores(int sig)
{
    switch (sig) {
    case 17: case 18: case 23: case 28: /* CHLD CONT URG WINCH */
    case 19: case 20: case 21: case 22: /* STOP TSTP TTIN TTOU */
        return 1;
    default:
        return 0;
    }
}

void se_signal_default(se_proc_t *se, cpu_t *c, int sig)
{
    if (default_ignores(sig))
        return;
    machine_kill(se->m, sig);
    if (c)
        c->block_end = NULL;
}

static void note_handler(se_proc_t *se, int sig)
{
    uint64_t h = se->act[sig].handler;
    if (h == K_SIG_DFL || h == K_SIG_IGN || se->handler_warned)
        return;
    se->handler_warned = 1;
    emu_msg("%s: the program's signal handler is not run (signal handlers are not implemented yet); "
            "taking the default action",
            se_signal_name(sig));
}

static void deliver(se_proc_t *se, cpu_t *c, int sig)
{
    note_handler(se, sig);
    se_signal_default(se, c, sig);
}

void se_signal_send(se_proc_t *se, cpu_t *c, int sig)
{
    if (sig < 1 || sig > SE_NSIG)
        return;
    uint64_t bit = SIG_BIT(sig);
    if (!(bit & UNBLOCKABLE)) {
        uint64_t h = se->act[sig].handler;
        if (h == K_SIG_IGN || (h == K_SIG_DFL && default_ignores(sig)))
            return;
        if (se->blocked & bit) {
            se->pending |= bit;
            return;
        }
    }
    deliver(se, c, sig);
}

void se_signal_check(se_proc_t *se, cpu_t *c)
{
    while (!se->m->stop) {
        uint64_t ready = se->pending & ~se->blocked;
        if (!ready)
            return;
        int sig = __builtin_ctzll(ready) + 1;
        se->pending &= ~SIG_BIT(sig);
        deliver(se, c, sig);
    }
}

long se_sys_rt_sigaction(se_proc_t *se, int64_t sig, uint64_t act, uint64_t oact, uint64_t size)
{
    if (size != 8)
        return -EINVAL;
    if (sig < 1 || sig > SE_NSIG)
        return -EINVAL;
    se_sigaction_t na;
    if (act) {
        if (sig == K_SIGKILL || sig == K_SIGSTOP)
            return -EINVAL;
        if (se_copy_in(se, &na, act, sizeof(na)))
            return -EFAULT;
    }
    if (oact && se_copy_out(se, oact, &se->act[sig], sizeof(se->act[sig])))
        return -EFAULT;
    if (act) {
        na.mask &= ~UNBLOCKABLE;
        se->act[sig] = na;
        /* Setting SIG_IGN (or SIG_DFL where the default ignores) discards a pending signal. */
        if (na.handler == K_SIG_IGN || (na.handler == K_SIG_DFL && default_ignores((int)sig)))
            se->pending &= ~SIG_BIT(sig);
    }
    return 0;
}

long se_sys_rt_sigprocmask(se_proc_t *se, cpu_t *c, int64_t how, uint64_t set, uint64_t oset, uint64_t size)
{
    if (size != 8)
        return -EINVAL;
    uint64_t ns = 0;
    if (set) {
        if (how < 0 || how > 2)
            return -EINVAL;
        if (se_copy_in(se, &ns, set, 8))
            return -EFAULT;
    }
    if (oset && se_copy_out(se, oset, &se->blocked, 8))
        return -EFAULT;
    if (set) {
        if (how == 0)
            se->blocked |= ns;
        else if (how == 1)
            se->blocked &= ~ns;
        else
            se->blocked = ns;
        se->blocked &= ~UNBLOCKABLE;
        se_signal_check(se, c);
    }
    return 0;
}

long se_sys_rt_sigpending(se_proc_t *se, uint64_t set, uint64_t size)
{
    if (size > 8)
        return -EINVAL;
    uint64_t p = se->pending & se->blocked;
    return se_copy_out(se, set, &p, (size_t)size) ? -EFAULT : 0;
}

#define K_SS_ONSTACK 1
#define K_SS_DISABLE 2
#define K_SS_AUTODISARM (1u << 31)
#define K_MINSIGSTKSZ 2048

long se_sys_sigaltstack(se_proc_t *se, cpu_t *c, uint64_t ss, uint64_t oss)
{
    struct {
        uint64_t sp;
        int32_t flags, pad;
        uint64_t size;
    } n, o;
    if (ss) {
        if (se_copy_in(se, &n, ss, sizeof(n)))
            return -EFAULT;
        if ((uint32_t)n.flags & ~(uint32_t)(K_SS_DISABLE | K_SS_AUTODISARM))
            return -EINVAL;
        if (!(n.flags & K_SS_DISABLE) && n.size < K_MINSIGSTKSZ)
            return -ENOMEM;
    }
    if (oss) {
        memset(&o, 0, sizeof(o));
        if (se->altstack_flags & K_SS_DISABLE || !se->altstack_size) {
            o.flags = K_SS_DISABLE;
        } else {
            o.sp = se->altstack_sp;
            o.size = se->altstack_size;
            o.flags = se->altstack_flags;
        }
        if (se_copy_out(se, oss, &o, sizeof(o)))
            return -EFAULT;
    }
    if (ss) {
        if (n.flags & K_SS_DISABLE) {
            se->altstack_sp = se->altstack_size = 0;
            se->altstack_flags = K_SS_DISABLE;
        } else {
            se->altstack_sp = n.sp;
            se->altstack_size = n.size;
            se->altstack_flags = n.flags;
        }
    }
    return 0;
}

long se_sys_kill(se_proc_t *se, cpu_t *c, int64_t pid, int64_t sig)
{
    if (sig < 0 || sig > SE_NSIG)
        return -EINVAL;
    /* pid -1 signals every other process: there is none. */
    if (pid == -1 || (pid > 0 && pid != SE_PID) || (pid < -1 && -pid != SE_PID))
        return -ESRCH;
    if (sig)
        se_signal_send(se, c, (int)sig);
    return 0;
}

long se_sys_tgkill(se_proc_t *se, cpu_t *c, int64_t tgid, int64_t tid, int64_t sig)
{
    if (tid <= 0 || (tgid != -1 && tgid <= 0))
        return -EINVAL;
    if (sig < 0 || sig > SE_NSIG)
        return -EINVAL;
    if (tid != SE_PID || (tgid != -1 && tgid != SE_PID))
        return -ESRCH;
    if (sig)
        se_signal_send(se, c, (int)sig);
    return 0;
}

void se_out_of_memory(se_proc_t *se, cpu_t *c)
{
    machine_t *m = se->m;
    if (m->stop)
        return;
    emu_msg("out of guest physical memory (%llu frames of 4 KiB): killing the program with SIGKILL, as "
            "Linux's OOM killer would",
            (unsigned long long)(se->st.frames_allocated - se->st.frames_freed));
    machine_kill(m, K_SIGKILL);
    if (c)
        c->block_end = NULL;
}

static int vector_signal(se_proc_t *se, int vector)
{
    switch (vector) {
    case X86_PF:
        return se->fault_sigbus ? 7 : 11;
    case X86_UD:
        return 4;
    case X86_DE:
    case X86_MF:
    case X86_XM:
        return 8;
    case X86_BP:
    case X86_DB:
        return 5;
    case X86_AC:
    case 11: /* #NP */
    case 12: /* #SS */
        return 7;
    case X86_NM:
        return 8;
    default: /* #GP, #TS, #DF, #OF and the rest */
        return 11;
    }
}

void se_exception(cpu_t *c, int vector, uint32_t err, uint64_t addr)
{
    machine_t *m = c->m;
    se_proc_t *se = m->se;
    if (se->oom) {
        se_out_of_memory(se, c);
        return;
    }
    if (m->stop)
        return;
    int sig = vector_signal(se, vector);
    char what[256];
    switch (vector) {
    case X86_PF: {
        const char *acc = (err & PF_I) ? "instruction fetch" : (err & PF_W) ? "write" : "read";
        const char *why;
        if (sig == 7)
            why = "beyond the end of the mapped file";
        else if (err & PF_RSVD)
            why = "reserved bit in a page-table entry";
        else if (se_find_vma(se, addr))
            why = "not permitted by the mapping's protection";
        else
            why = "no mapping";
        snprintf(what, sizeof(what), "%s of address 0x%llx (%s)", acc, (unsigned long long)addr, why);
        break;
    }
    case X86_GP:
        snprintf(what, sizeof(what), "general protection fault (non-canonical address or privileged instruction)");
        break;
    case X86_UD: {
        char dis[128];
        machine_disasm(c, c->rip, dis, sizeof(dis));
        snprintf(what, sizeof(what), "invalid or unimplemented instruction %s", dis);
        break;
    }
    case X86_DE:
        snprintf(what, sizeof(what), "divide error (division by zero or quotient overflow)");
        break;
    case X86_BP:
        snprintf(what, sizeof(what), "breakpoint (int3)");
        break;
    case X86_AC:
        snprintf(what, sizeof(what), "alignment check at address 0x%llx", (unsigned long long)addr);
        break;
    case X86_MF:
    case X86_XM:
        snprintf(what, sizeof(what), "floating-point exception (vector %d)", vector);
        break;
    default:
        snprintf(what, sizeof(what), "exception vector %d, error code 0x%x", vector, err);
        break;
    }
    const char *note = "";
    uint64_t h = se->act[sig].handler;
    if (h != K_SIG_DFL && h != K_SIG_IGN)
        note = " (its handler is not run: signal handlers are not implemented yet)";
    emu_msg("program killed by %s: %s, rip 0x%llx%s", se_signal_name(sig), what, (unsigned long long)c->rip, note);
    machine_dump_trace(m, c);
    se->fault_sigbus = 0;
    machine_kill(m, sig);
    c->block_end = NULL;
}
