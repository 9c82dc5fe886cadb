/* arch/x86/kernel/head_64.S: the kernel's first instructions.
 *
 * Linux's head_64.S is entered in 64-bit mode by the decompressor at startup_64 with a 1:1 page
 * table; it fixes up its own page tables and jumps to the kernel's high address. Here the
 * emulator's boot loader has already done the equivalent (guest/abi.h section 1): we are at
 * e_entry, a kernel-image address (0xffffffff8...), with rdi = the physical address of
 * struct emu_boot_info, rsp = 0, interrupts off, and a boot page table that maps the first 4 GiB
 * 1:1 and the first 1 GiB at __START_KERNEL_map. So startup_64 only:
 *   1. sets the boot stack (in .bss, so it must not be used before .bss is cleared);
 *   2. clears .bss (the loader zeroes it already; an image loaded otherwise still works);
 *   3. calls start_kernel(boot info physical address) through an absolute address, so that
 *      execution continues at the kernel's high address whatever e_entry was.
 * secondary_startup_64 is where every other CPU starts (its mailbox, arch/x86/kernel/smpboot.c):
 * rsp = its kernel stack, rdi = its struct pcpu, CR3 = the kernel's page tables.
 */
#include <asm/page.h>

    .section .head.text, "ax"
    .code64
    .globl startup_64
startup_64:
    cli
    cld
    movq %rdi, %r15                     /* boot info (physical); callee-saved */
    leaq __bss_start(%rip), %rdi
    leaq __bss_stop(%rip), %rcx
    subq %rdi, %rcx
    xorl %eax, %eax
    rep stosb
    leaq boot_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    pushq $0                            /* a zero return address ends backtraces */
    pushq $0                            /* keep rsp 16-byte aligned at the call */
    movq %r15, %rdi
    movabsq $start_kernel, %rax
    call *%rax
1:  cli
    hlt
    jmp 1b

    .globl secondary_startup_64
secondary_startup_64:
    cli
    cld
    xorl %ebp, %ebp
    andq $~15, %rsp
    movabsq $start_secondary, %rax
    call *%rax                          /* start_secondary(pcpu, cpu index): does not return */
2:  cli
    hlt
    jmp 2b

    .section .bss..page_aligned, "aw", @nobits
    .balign 4096
    .globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
    .skip THREAD_SIZE
boot_stack_top:
