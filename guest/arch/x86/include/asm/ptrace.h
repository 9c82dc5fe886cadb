/* asm/ptrace.h: struct pt_regs, the registers saved on kernel entry.
 *
 * Linux's layout exactly (arch/x86/include/asm/ptrace.h, 64-bit): the general registers pushed by
 * the entry code (arch/x86/entry/entry_64.S), then orig_ax (the error code of an exception, the
 * system-call number of a syscall), then the frame the CPU pushes (ip, cs, flags, sp, ss). The
 * offsets are used by the assembly code and checked by _Static_assert in traps.c.
 */
#ifndef _ASM_X86_PTRACE_H
#define _ASM_X86_PTRACE_H

#define PTREGS_R15 0
#define PTREGS_AX 80
#define PTREGS_ORIG_AX 120
#define PTREGS_IP 128
#define PTREGS_CS 136
#define PTREGS_FLAGS 144
#define PTREGS_SP 152
#define PTREGS_SS 160
#define PTREGS_SIZE 168

#ifndef __ASSEMBLY__
#include <linux/types.h>

struct pt_regs {
    unsigned long r15, r14, r13, r12, bp, bx;
    unsigned long r11, r10, r9, r8, ax, cx, dx, si, di;
    unsigned long orig_ax;
    unsigned long ip, cs, flags, sp, ss;
};

static inline int user_mode(const struct pt_regs *regs) { return (regs->cs & 3) == 3; }

#endif
#endif
