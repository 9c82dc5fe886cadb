/* arch/x86/mm/extable.c: exception-table fixups.
 *
 * As Linux's fixup_exception(): the instruction at regs->ip is looked up in __ex_table
 * (entries made by _ASM_EXTABLE*, asm/extable.h: offsets relative to the entry). When found,
 * the exception is recorded in this CPU's last_fault (vector, error code, CR2, RIP) for the
 * tests, EX_TYPE_FAULT also stores the trap number in regs->ax, and the handler returns to the
 * fixup address. The table is small and unsorted, so the search is linear (Linux sorts it at
 * build time and bisects).
 */
#include <linux/kernel.h>
#include <asm/extable.h>
#include <asm/ptrace.h>
#include <asm/percpu.h>
#include <asm/page.h>

static unsigned long ex_insn(const struct exception_table_entry *e)
{
    return (unsigned long)&e->insn + (long)e->insn;
}

static unsigned long ex_fixup(const struct exception_table_entry *e)
{
    return (unsigned long)&e->fixup + (long)e->fixup;
}

const struct exception_table_entry *search_exception_tables(unsigned long ip)
{
    const struct exception_table_entry *e = (const void *)__start___ex_table;
    const struct exception_table_entry *end = (const void *)__stop___ex_table;
    for (; e < end; e++)
        if (ex_insn(e) == ip)
            return e;
    return NULL;
}

int fixup_exception(struct pt_regs *regs, int trapnr, unsigned long error_code, unsigned long fault_addr)
{
    const struct exception_table_entry *e = search_exception_tables(regs->ip);
    if (!e)
        return 0;
    struct fault_info *f = &this_cpu()->last_fault;
    f->vector = (unsigned long)trapnr;
    f->error_code = error_code;
    f->cr2 = fault_addr;
    f->ip = regs->ip;
    if (e->type == EX_TYPE_FAULT)
        regs->ax = (unsigned long)trapnr;
    regs->ip = ex_fixup(e);
    return 1;
}
