/* arch/x86/entry/common.c: the C side of system calls, and leaving user code.
 *
 * As Linux's do_syscall_64(): entry_SYSCALL_64 saved the user registers as a pt_regs (orig_ax =
 * the number) and calls here; the result goes to regs->ax and SYSRETQ returns it. There are no
 * processes yet (guest/README.md), so the only user code is the kernel tests' (run_user()), and
 * the table holds two calls: exit (60, as Linux's) ends the user code through user_return(), and
 * the test call 1000 records the registers it was made with and returns ~rdi. Any other number
 * returns -ENOSYS. user_timer_tick() counts the ticks that interrupt user code and, for the tests,
 * ends it after a given number (a scheduler will preempt it there instead). user_exception() is
 * what a fault at CPL 3 does for now: print Linux's "traps:" line (show_signal_msg()) and end the
 * user code.
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <asm/traps.h>
#include <asm/ptrace.h>

#define __NR_exit 60
#define __NR_exit_group 231
#define __NR_emu_test 1000

struct user_exit_info user_exit_info[NR_CPUS];

void do_syscall_64(struct pt_regs *regs)
{
    struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    u->nr_syscalls++;
    switch (regs->orig_ax) {
    case __NR_exit:
    case __NR_exit_group:
        u->reason = USER_EXIT_SYSCALL;
        u->code = regs->di;
        u->regs = *regs;
        user_return(regs->di);
    case __NR_emu_test:
        if (u->nr_syscalls == 1)
            u->syscall_regs = *regs;
        regs->ax = ~regs->di;
        return;
    default:
        regs->ax = (unsigned long)-ENOSYS;
        return;
    }
}

void user_timer_tick(struct pt_regs *regs)
{
    struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    u->user_ticks++;
    if (u->end_after_ticks && u->user_ticks >= u->end_after_ticks) {
        u->reason = USER_EXIT_TIMER;
        u->regs = *regs;
        user_return(0);
    }
}

void user_exception(struct pt_regs *regs, unsigned long vector, unsigned long error_code, unsigned long cr2)
{
    struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    u->reason = USER_EXIT_EXCEPTION;
    u->code = vector;
    u->error_code = error_code;
    u->cr2 = cr2;
    u->regs = *regs;
    pr_info("traps: user[0] %s ip:%lx sp:%lx error:%lx\n", trap_name(vector), regs->ip, regs->sp, error_code);
    user_return(vector);
}
