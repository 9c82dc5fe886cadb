/* arch/x86/mm/fault.c: the page-fault handler.
 *
 * As Linux's exc_page_fault(): read CR2, then decide. There are no processes and no demand
 * paging yet, so a user-mode fault ends the user code (user_exception(); later: SIGSEGV after
 * the VMA lookup), a kernel-mode fault with an exception-table entry resumes at its fixup, and
 * any other is a kernel bug reported as Linux's page_fault_oops() / show_fault_oops() does.
 */
#include <linux/kernel.h>
#include <asm/traps.h>
#include <asm/processor.h>
#include <asm/extable.h>
#include <asm/irq_vectors.h>

void exc_page_fault(struct pt_regs *regs, unsigned long vector)
{
    unsigned long address = read_cr2();
    unsigned long err = regs->orig_ax;
    if (user_mode(regs))
        user_exception(regs, vector, err, address);
    if (fixup_exception(regs, X86_TRAP_PF, err, address))
        return;
    pr_emerg("BUG: unable to handle page fault for address: %016lx\n", address);
    pr_emerg("#PF: %s %s in %s mode\n", (err & X86_PF_USER) ? "user" : "supervisor",
             (err & X86_PF_INSTR) ? "instruction fetch" : (err & X86_PF_WRITE) ? "write access" : "read access",
             user_mode(regs) ? "user" : "kernel");
    pr_emerg("#PF: error_code(0x%04lx) - %s\n", err,
             !(err & X86_PF_PROT) ? "not-present page"
             : (err & X86_PF_RSVD) ? "reserved bit violation"
                                   : "permissions violation");
    die(NULL, regs, err, vector);
}
