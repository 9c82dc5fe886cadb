/* asm/extable.h: the exception table.
 *
 * As Linux's asm/extable.h and asm/asm.h (_ASM_EXTABLE_TYPE): an instruction that may fault is
 * listed in section __ex_table with the address to resume at. Entries are 32-bit offsets relative
 * to themselves, as Linux's. Type EX_TYPE_FAULT also puts the trap number in regs->ax (Linux's
 * ex_handler_fault), so inline assembly can tell what happened; EX_TYPE_DEFAULT just resumes.
 * arch/x86/mm/extable.c searches the table from the exception handlers.
 */
#ifndef _ASM_X86_EXTABLE_H
#define _ASM_X86_EXTABLE_H

#define EX_TYPE_DEFAULT 1
#define EX_TYPE_FAULT 2

#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)

#define _ASM_EXTABLE_TYPE(from, to, type)              \
    " .pushsection \"__ex_table\",\"a\"\n"             \
    " .balign 4\n"                                     \
    " .long (" #from ") - .\n"                         \
    " .long (" #to ") - .\n"                           \
    " .long " __stringify(type) "\n"                   \
    " .popsection\n"

#define _ASM_EXTABLE(from, to) _ASM_EXTABLE_TYPE(from, to, EX_TYPE_DEFAULT)
#define _ASM_EXTABLE_FAULT(from, to) _ASM_EXTABLE_TYPE(from, to, EX_TYPE_FAULT)

#ifndef __ASSEMBLY__
struct exception_table_entry {
    int insn, fixup, type;
};

struct pt_regs;
/* 1 when regs->ip has an entry: regs are changed to resume at its fixup. */
int fixup_exception(struct pt_regs *regs, int trapnr, unsigned long error_code, unsigned long fault_addr);
const struct exception_table_entry *search_exception_tables(unsigned long ip);
#endif

#endif
