/* asm/traps.h: exception and interrupt entry points.
 *
 * As Linux's asm/traps.h and asm/idtentry.h: the assembly entry stubs of
 * arch/x86/entry/entry_64.S, the IDT set-up (arch/x86/kernel/idt.c), the C handlers of
 * arch/x86/kernel/traps.c and arch/x86/mm/fault.c, and die() which prints an oops.
 */
#ifndef _ASM_X86_TRAPS_H
#define _ASM_X86_TRAPS_H

#include <linux/types.h>
#include <asm/ptrace.h>

/* entry_64.S: 256 stubs of IDT_STUB_SIZE bytes; stub n pushes an error code (when the CPU does
 * not) and n, then enters common_interrupt, which calls handle_vector(). */
#define IDT_STUB_SIZE 16
extern char irq_entries_start[];
void entry_SYSCALL_64(void);
/* Enter CPL 3 at ip with stack sp; returns the value passed to user_return() when a system call
 * or an exception ends the user code. */
unsigned long run_user(unsigned long ip, unsigned long sp);
__noreturn void user_return(unsigned long value);

typedef void (*vector_handler_t)(struct pt_regs *regs, unsigned long vector);

/* idt.c */
void idt_setup(void);           /* fill the shared IDT (once) */
void load_idt_this_cpu(void);
void set_vector_handler(unsigned int vector, vector_handler_t h);
void handle_vector(struct pt_regs *regs, unsigned long vector);

/* traps.c */
void trap_init(void);
__noreturn void die(const char *str, struct pt_regs *regs, unsigned long err, unsigned long vector);
void show_regs(const struct pt_regs *regs);
const char *trap_name(unsigned long vector);
void exc_page_fault(struct pt_regs *regs, unsigned long vector);

/* entry/common.c: the system-call entry's C part and the user-mode test harness. */
void do_syscall_64(struct pt_regs *regs);
struct user_exit_info {
    unsigned long reason;        /* USER_EXIT_* */
    unsigned long code;          /* exit status, or the vector */
    unsigned long error_code, cr2;
    struct pt_regs regs;         /* the user registers at that moment */
    struct pt_regs syscall_regs; /* those of the first system call 1000 (tests) */
    unsigned long nr_syscalls;
    unsigned long user_ticks;         /* timer interrupts taken at CPL 3 */
    unsigned long end_after_ticks;    /* nonzero: the user code ends at that many ticks (tests) */
};
#define USER_EXIT_SYSCALL 1
#define USER_EXIT_EXCEPTION 2
#define USER_EXIT_TIMER 3
extern struct user_exit_info user_exit_info[];   /* per CPU */
/* The timer interrupted CPL 3 (called after the EOI, last in the handler: it may not return). */
void user_timer_tick(struct pt_regs *regs);
/* A user-mode exception (CPL 3): end the user code (a later issue sends a signal instead). */
__noreturn void user_exception(struct pt_regs *regs, unsigned long vector, unsigned long error_code,
                               unsigned long cr2);

#endif
