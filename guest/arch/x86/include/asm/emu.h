/* asm/emu.h: the emulator's paravirtual interface (arch/x86/kernel/emu.c).
 *
 * The closest Linux analogue is a hypervisor's guest support (arch/x86/kernel/kvm.c, the
 * hypercalls of asm/kvm_para.h): the "calls" of guest/abi.h section 4 let the kernel write to the
 * console channels, report test results and /proc-style reports, and end the run.
 * All take kernel virtual addresses (kernel image or direct map) and pass their physical address.
 */
#ifndef _ASM_X86_EMU_H
#define _ASM_X86_EMU_H

#include <linux/types.h>
#include <linux/compiler.h>
#include "abi.h"

/* Perform call `op` with up to six arguments through this CPU's call block; returns its ret. */
int emu_call(u32 op, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
/* The same through a caller-provided block (panic uses its own, whatever state the CPU is in). */
int emu_call_block(struct emu_call *c, u32 op, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4);

void emu_console_write(unsigned int channel, const char *buf, size_t len);
int emu_report(const char *name, const char *text, size_t len);
void emu_test_result(const char *name, int result, const char *msg);
__noreturn void emu_exit(int code);

#endif
