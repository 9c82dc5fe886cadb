/* arch/x86/kernel/traps.c: the CPU exceptions.
 *
 * As Linux's traps.c (and dumpstack.c for the oops): each exception vector has a C handler,
 * called by handle_vector() with the saved pt_regs. A fault in kernel mode first looks for an
 * exception-table fixup (arch/x86/mm/extable.c: tests provoke faults on purpose this way, as
 * Linux's uaccess does); without one it is a kernel bug: die() prints an oops (the exception, its
 * error code, CR2, RIP and every register) and panics. A fault in user mode ends the user code
 * (user_exception(), entry/common.c); a later issue sends a signal instead (#GP and #PF become
 * SIGSEGV, as Linux's do_general_protection() does for musl's a_crash()). int3 in kernel mode
 * resumes only when a test expects it (Linux would ask kprobes and kgdb).
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <asm/traps.h>
#include <asm/ptrace.h>
#include <asm/processor.h>
#include <asm/extable.h>
#include <asm/irq_vectors.h>
#include <asm/percpu.h>

_Static_assert(offsetof(struct pt_regs, ax) == PTREGS_AX, "pt_regs ax");
_Static_assert(offsetof(struct pt_regs, orig_ax) == PTREGS_ORIG_AX, "pt_regs orig_ax");
_Static_assert(offsetof(struct pt_regs, ip) == PTREGS_IP, "pt_regs ip");
_Static_assert(offsetof(struct pt_regs, cs) == PTREGS_CS, "pt_regs cs");
_Static_assert(offsetof(struct pt_regs, flags) == PTREGS_FLAGS, "pt_regs flags");
_Static_assert(offsetof(struct pt_regs, sp) == PTREGS_SP, "pt_regs sp");
_Static_assert(offsetof(struct pt_regs, ss) == PTREGS_SS, "pt_regs ss");
_Static_assert(sizeof(struct pt_regs) == PTREGS_SIZE, "pt_regs size");

static const char *const trap_names[32] = {
    "divide error", "debug", "nmi", "int3", "overflow", "bounds", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
    "segment not present", "stack segment", "general protection fault", "page fault",
    "spurious interrupt bug", "coprocessor error", "alignment check", "machine check",
    "SIMD exception", "virtualization exception", "control protection fault",
};

const char *trap_name(unsigned long vector)
{
    if (vector < 32 && trap_names[vector])
        return trap_names[vector];
    return vector < 32 ? "reserved exception" : "interrupt";
}

void show_regs(const struct pt_regs *regs)
{
    pr_emerg("CPU: %u PID: 0 Comm: swapper/%u\n", smp_processor_id(), smp_processor_id());
    pr_emerg("RIP: %04lx:0x%016lx\n", regs->cs, regs->ip);
    pr_emerg("RSP: %04lx:%016lx EFLAGS: %08lx\n", regs->ss, regs->sp, regs->flags);
    pr_emerg("RAX: %016lx RBX: %016lx RCX: %016lx\n", regs->ax, regs->bx, regs->cx);
    pr_emerg("RDX: %016lx RSI: %016lx RDI: %016lx\n", regs->dx, regs->si, regs->di);
    pr_emerg("RBP: %016lx R08: %016lx R09: %016lx\n", regs->bp, regs->r8, regs->r9);
    pr_emerg("R10: %016lx R11: %016lx R12: %016lx\n", regs->r10, regs->r11, regs->r12);
    pr_emerg("R13: %016lx R14: %016lx R15: %016lx\n", regs->r13, regs->r14, regs->r15);
    pr_emerg("CR2: %016lx CR3: %016lx CR4: %016lx\n", read_cr2(), read_cr3(), read_cr4());
}

void die(const char *str, struct pt_regs *regs, unsigned long err, unsigned long vector)
{
    static int die_counter;
    if (str)
        pr_emerg("Oops: %s: %04lx [#%d] SMP\n", str, err, ++die_counter);
    else
        pr_emerg("Oops: %04lx [#%d] SMP\n", err, ++die_counter);
    pr_emerg("vector %lu (%s), error code %#lx\n", vector, trap_name(vector), err);
    show_regs(regs);
    panic("Fatal exception");
}

/* #DE, #OF, #BR, #UD, #NM, #TS, #NP, #SS, #GP, #AC... */
static void do_error_trap(struct pt_regs *regs, unsigned long vector)
{
    unsigned long err = regs->orig_ax;
    if (user_mode(regs))
        user_exception(regs, vector, err, 0);
    if (fixup_exception(regs, (int)vector, err, 0))
        return;
    die(trap_name(vector), regs, err, vector);
}

static void exc_int3(struct pt_regs *regs, unsigned long vector)
{
    if (user_mode(regs))
        user_exception(regs, vector, 0, 0);
    struct pcpu *p = this_cpu();
    if (p->expect_int3) {
        p->int3_count++;
        p->int3_ip = regs->ip;
        return;
    }
    die("int3", regs, 0, vector);
}

static void exc_nmi(struct pt_regs *regs, unsigned long vector)
{
    (void)regs;
    (void)vector;
    pr_emerg("Uhhuh. NMI received on CPU %u.\n", smp_processor_id());
}

static void exc_double_fault(struct pt_regs *regs, unsigned long vector)
{
    die("double fault", regs, regs->orig_ax, vector);
}

/* TEST_IST_VECTOR: record where the registers were saved (the IST stack, if the gate works). */
static void test_ist_handler(struct pt_regs *regs, unsigned long vector)
{
    (void)vector;
    this_cpu()->ist_test_sp = (unsigned long)regs;
}

void trap_init(void)
{
    for (unsigned int v = 0; v < FIRST_EXTERNAL_VECTOR; v++)
        set_vector_handler(v, do_error_trap);
    set_vector_handler(X86_TRAP_NMI, exc_nmi);
    set_vector_handler(X86_TRAP_BP, exc_int3);
    set_vector_handler(X86_TRAP_DF, exc_double_fault);
    set_vector_handler(X86_TRAP_PF, exc_page_fault);
    set_vector_handler(TEST_IST_VECTOR, test_ist_handler);
}
