/* arch/x86/entry/entry_64.S: kernel entry and exit.
 *
 * As Linux's entry_64.S, in its simplest form:
 *   - irq_entries_start: one 16-byte stub per vector 0-255 (Linux generates such stubs for the
 *     external vectors, and idtentry macros for the exceptions). A stub pushes 0 where the CPU
 *     pushes no error code, then its vector number, and jumps to common_interrupt;
 *   - common_interrupt saves the registers as a struct pt_regs (asm/ptrace.h: the vector's slot
 *     becomes regs->di, the error code is regs->orig_ax), swaps GS when it came from CPL 3
 *     (swapgs, as Linux's error_entry), calls handle_vector(regs, vector) in C
 *     (arch/x86/kernel/idt.c) and returns with iretq;
 *   - entry_SYSCALL_64: SYSCALL from CPL 3. Switches to the per-CPU entry stack, builds a pt_regs
 *     (orig_ax = the system-call number), calls do_syscall_64() and returns with SYSRETQ;
 *   - run_user()/user_return(): the kernel tests' way into CPL 3 and back (Linux reaches user
 *     mode by returning from a fork or exec; there are no processes yet, see guest/README.md).
 */
#include <asm/segment.h>
#include <asm/percpu.h>
#include <asm/ptrace.h>

    .text
    .code64

/* ---- exception and interrupt stubs ----------------------------------------------------------- */
/* Pop the general registers of a struct pt_regs, r15 first (Linux's POP_REGS), leaving rsp at
 * regs->orig_ax. */
.macro POP_REGS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rax
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
.endm

    .p2align 4
    .globl irq_entries_start
irq_entries_start:
    vector = 0
    .rept 256
    .p2align 4
1:  has_error_code = (vector == 8) || ((vector >= 10) && (vector <= 14)) || (vector == 17)
    has_error_code = has_error_code || (vector == 21) || (vector == 29) || (vector == 30)
    .if has_error_code == 0
    pushq $0                            /* the CPU pushed no error code */
    .endif
    pushq $vector
    .byte 0xe9                          /* jmp rel32 common_interrupt, spelt out so that the */
    .long common_interrupt - (. + 4)    /* stub's size is known to the check below */
    .if (. - 1b) > 16                   /* IDT_STUB_SIZE: idt.c computes the stubs' addresses */
    .error "entry stub longer than 16 bytes"
    .endif
    vector = vector + 1
    .endr

/* Stack on entry: vector, error code, then the CPU's frame (ip, cs, flags, sp, ss). */
common_interrupt:
    cld
    testb $3, 24(%rsp)                  /* the CS pushed by the CPU: from user mode? */
    jz 1f
    swapgs
1:  xchgq %rdi, (%rsp)                  /* rdi = vector; its slot becomes regs->di */
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rax
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rdi, %rsi                     /* handle_vector(regs, vector) */
    movq %rsp, %rdi
    subq $8, %rsp                       /* 16-byte alignment at the call */
    call handle_vector
    addq $8, %rsp
    .globl ret_from_intr
ret_from_intr:
    POP_REGS
    addq $8, %rsp                       /* orig_ax */
    testb $3, 8(%rsp)                   /* returning to user mode? */
    jz 2f
    swapgs
2:  iretq

/* ---- SYSCALL --------------------------------------------------------------------------------- *
 * On entry (SDM vol. 2 SYSCALL): rcx = user rip, r11 = user rflags, CS/SS = kernel (STAR), still
 * the user's rsp and GS; interrupts off (FMASK clears IF). */
    .p2align 4
    .globl entry_SYSCALL_64
entry_SYSCALL_64:
    swapgs
    movq %rsp, %gs:PCPU_user_rsp
    movq %gs:PCPU_top_of_stack, %rsp
    pushq $__USER_DS                    /* regs->ss */
    pushq %gs:PCPU_user_rsp             /* regs->sp */
    pushq %r11                          /* regs->flags */
    pushq $__USER_CS                    /* regs->cs */
    pushq %rcx                          /* regs->ip */
    pushq %rax                          /* regs->orig_ax */
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq $-38                          /* regs->ax = -ENOSYS */
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    subq $8, %rsp
    call do_syscall_64
    addq $8, %rsp
    POP_REGS                            /* r11 and rcx are replaced below */
    /* rsp points at regs->orig_ax */
    movq PTREGS_IP - PTREGS_ORIG_AX(%rsp), %rcx
    movq PTREGS_FLAGS - PTREGS_ORIG_AX(%rsp), %r11
    movq PTREGS_SP - PTREGS_ORIG_AX(%rsp), %rsp
    swapgs
    sysretq

/* ---- run_user / user_return ------------------------------------------------------------------ *
 * unsigned long run_user(unsigned long ip, unsigned long sp): saves the callee-saved registers and
 * RFLAGS on the current kernel stack, remembers that stack in the per-CPU area, and enters CPL 3
 * at ip with stack sp, interrupts enabled and every other register zero. The user code's system
 * calls and exceptions enter on the per-CPU entry stack (TSS.RSP0, PCPU_top_of_stack), a
 * different one, so the saved frame survives; user_return(value), called from their C handlers,
 * abandons the entry stack and returns `value` from run_user(). */
    .p2align 4
    .globl run_user
run_user:
    pushfq
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cli
    movq %rsp, %gs:PCPU_user_return_sp
    pushq $__USER_DS                    /* ss */
    pushq %rsi                          /* rsp */
    pushq $0x202                        /* rflags: IF */
    pushq $__USER_CS                    /* cs */
    pushq %rdi                          /* rip */
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    swapgs
    iretq

    .p2align 4
    .globl user_return
user_return:
    cli
    movq %gs:PCPU_user_return_sp, %rsp
    movq $0, %gs:PCPU_user_return_sp
    movq %rdi, %rax
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popfq
    ret
