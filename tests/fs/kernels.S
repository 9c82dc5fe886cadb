/* tests/fs/kernels.S: tiny guest kernels for the full-system tests (tests/fs/test_fs.c), one per
 * K_* macro, each built into build/tests/fs/k_NAME.elf. They exercise the machine of guest/abi.h
 * without the real guest kernel: the console, the calls, the timer, IPIs and the mailbox, and the
 * ways a guest can go wrong (triple fault, endless loop, halting for ever, a wild jump, a bad IDT).
 *
 *   K_HELLO    writes to the three console channels, exits with 7
 *   K_TIMER    one-shot timer of 1000 ticks, then HLT; the handler exits with 42
 *   K_PERIODIC periodic timer of 500 ticks; exits with 0 after 10 interrupts
 *   K_IPI      wakes CPU 1 through its mailbox, sends it an IPI, CPU 1 answers with one: exits 0
 *   K_TRIPLE   int3 with no IDT: triple fault
 *   K_WILD     jumps to a non-canonical address with no IDT: triple fault
 *   K_BADIDT   an IDT whose gates are garbage: triple fault
 *   K_LOOP     jmp . for ever (ended by --max-instructions)
 *   K_HALT     cli; hlt: no CPU can ever run again
 *   K_PANIC    EMU_CALL_PANIC
 *   K_BLK      reads sector 1 of the disk (completion by interrupt) and prints it, then writes it to
 *              sector 0 (completion polled); exits 0
 *   K_ANNOT    registers an annotation ring, annotates frames (two good entries, one bad), exits 0
 *   K_FUZZ     a harness for hostile code (tests/fs/test_fs.c writes it): loads a GDT and an IDT
 *              whose 256 gates all lead to one handler, starts every CPU through its mailbox, and
 *              runs the 4 KiB after the marker "EMU-FUZZ-AREA-16" on every CPU (CPU k from offset
 *              512 k) with interrupts enabled; the handler acknowledges (EOI) and resumes at the
 *              next 16-byte boundary of the area, so every fault and interrupt makes progress
 */
#define KBASE 0xffffffff80000000
#define PORT_CON 0x500
#define PORT_CALL_HI 0x510
#define PORT_CALL 0x514
#define CALL_CONSOLE_WRITE 1
#define CALL_EXIT 2
#define CALL_PANIC 15
#define CALL_REPORT 7
#define CALL_ANNOT_RING 10
#define CALL_ANNOT_NAME 11
#define CALL_BLK_SUBMIT 12
#define CALL_BLK_SETUP 13

    .code64
    .text
    .globl _start

/* rbx = physical address of call_blk; fills op and a0..a3, performs the call. */
.macro CALL op, a0=0, a1=0, a2=0, a3=0
    lea call_blk(%rip), %rbx
    movl $\op, (%rbx)
    movq \a0, %rax
    movq %rax, 8(%rbx)
    movq \a1, %rax
    movq %rax, 16(%rbx)
    movq \a2, %rax
    movq %rax, 24(%rbx)
    movq \a3, %rax
    movq %rax, 32(%rbx)
    mov %rbx, %rax
    movabs $KBASE, %rcx
    sub %rcx, %rax
    mov $PORT_CALL, %dx
    out %eax, %dx
.endm

/* Physical address of a kernel symbol into a register. */
.macro PA sym, reg
    lea \sym(%rip), \reg
    push %rcx
    movabs $KBASE, %rcx
    sub %rcx, \reg
    pop %rcx
.endm

.macro SETMSR msr, lo, hi=0
    mov $\msr, %ecx
    mov \lo, %eax
    mov \hi, %edx
    wrmsr
.endm

/* Gate for vector \vec to \handler in idt: 64-bit interrupt gate, DPL 0, selector 0x10. */
.macro GATE vec, handler
    lea \handler(%rip), %rax
    lea idt + \vec * 16(%rip), %rdi
    mov %ax, (%rdi)
    movw $0x10, 2(%rdi)
    movw $0x8e00, 4(%rdi)
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
.endm

/* GDT, IDT and a stack. */
.macro SETUP
    lea stack_top(%rip), %rsp
    lgdt gdtr(%rip)
    lidt idtr(%rip)
.endm

_start:
#if defined(K_HELLO)
    SETUP
    mov $PORT_CON, %dx
    mov $'h', %al
    out %al, %dx
    mov $'i', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    PA msg_out, %rsi
    CALL CALL_CONSOLE_WRITE, $0, %rsi, $(msg_out_end - msg_out)
    PA msg_err, %rsi
    CALL CALL_CONSOLE_WRITE, $1, %rsi, $(msg_err_end - msg_err)
    PA msg_log, %rsi
    CALL CALL_CONSOLE_WRITE, $2, %rsi, $(msg_log_end - msg_log)
    PA rep_name, %rsi
    PA rep_text, %rdi
    CALL CALL_REPORT, %rsi, $(rep_name_end - rep_name), %rdi, $(rep_text_end - rep_text)
    CALL CALL_EXIT, $7
    ud2

#elif defined(K_TIMER)
    SETUP
    GATE 0x40, timer_handler
    SETMSR 0x83e, $0xb            /* divide by 1 */
    SETMSR 0x832, $0x40           /* one-shot, vector 0x40 */
    SETMSR 0x838, $1000           /* fires 1000 ticks from now */
    sti
1:  hlt
    jmp 1b
timer_handler:
    SETMSR 0x80b, $0              /* EOI */
    CALL CALL_EXIT, $42
    ud2

#elif defined(K_PERIODIC)
    SETUP
    GATE 0x40, tick
    SETMSR 0x832, $0x20040        /* periodic, vector 0x40 */
    SETMSR 0x838, $500
    sti
1:  hlt
    cmpl $10, ticks(%rip)
    jb 1b
    CALL CALL_EXIT, $0
    ud2
tick:
    incl ticks(%rip)
    push %rax
    push %rcx
    push %rdx
    SETMSR 0x80b, $0
    pop %rdx
    pop %rcx
    pop %rax
    iretq

#elif defined(K_IPI)
    mov %rdi, %r15               /* the boot information */
    SETUP
    GATE 0x41, ipi_handler
    /* Wake CPU 1: mailbox at boot_info.mailbox_pa (rdi + offset of mailbox_pa). */
    mov 0x68(%r15), %rsi         /* boot_info.mailbox_pa (offset 0x68) */
    add $64, %rsi                /* CPU 1's mailbox */
    lea ap_entry(%rip), %rax
    mov %rax, 8(%rsi)            /* entry */
    lea ap_stack_top(%rip), %rax
    mov %rax, 16(%rsi)           /* stack */
    movq $0, 24(%rsi)            /* arg */
    movq $0, 32(%rsi)            /* cr3: the boot page table */
    movl $1, (%rsi)              /* command = wake up */
1:  pause
    cmpl $1, ap_ready(%rip)
    jne 1b
    sti
    SETMSR 0x830, $0x41, $1       /* IPI vector 0x41 to CPU 1 */
2:  pause
    cmpl $1, bsp_got(%rip)
    jne 2b
    CALL CALL_EXIT, $0
    ud2
ap_entry:
    lgdt gdtr(%rip)
    lidt idtr(%rip)
    movl $1, ap_ready(%rip)
    sti
3:  hlt
    jmp 3b
ipi_handler:
    push %rax
    push %rcx
    push %rdx
    mov $0x802, %ecx             /* which CPU am I? */
    rdmsr
    test %eax, %eax
    jz 4f
    SETMSR 0x830, $0x41, $0       /* CPU 1 answers CPU 0 */
    jmp 5f
4:  movl $1, bsp_got(%rip)
5:  SETMSR 0x80b, $0
    pop %rdx
    pop %rcx
    pop %rax
    iretq

#elif defined(K_TRIPLE)
    int3

#elif defined(K_WILD)
    movabs $0x8000000000001000, %rax
    jmp *%rax

#elif defined(K_BADIDT)
    lea stack_top(%rip), %rsp
    lgdt gdtr(%rip)
    lidt bad_idtr(%rip)
    int $0x30

#elif defined(K_LOOP)
1:  jmp 1b

#elif defined(K_HALT)
    cli
    hlt

#elif defined(K_PANIC)
    SETUP
    PA msg_panic, %rsi
    CALL CALL_PANIC, %rsi, $(msg_panic_end - msg_panic)
    ud2
#elif defined(K_BLK)
    SETUP
    GATE 0x50, blk_done
    CALL CALL_BLK_SETUP, $0x50, $0
    /* Read sector 1 into buf. */
    lea blk_req(%rip), %rsi
    movq $1, (%rsi)              /* sector */
    movl $1, 8(%rsi)             /* nr_sectors */
    movl $0, 12(%rsi)            /* op: read */
    PA buf, %rax
    mov %rax, 16(%rsi)           /* buf_pa */
    PA blk_req, %rsi
    CALL CALL_BLK_SUBMIT, %rsi
    sti
1:  hlt
    cmpl $1, blk_irq(%rip)
    jne 1b
    cli
    cmpl $1, blk_req + 32(%rip)  /* status: EMU_BLK_OK */
    jne 9f
    PA buf, %rsi
    CALL CALL_CONSOLE_WRITE, $0, %rsi, $512
    /* Write it to sector 0, polling the status. */
    lea blk_req(%rip), %rsi
    movq $0, (%rsi)
    movl $1, 12(%rsi)            /* op: write */
    PA blk_req, %rsi
    CALL CALL_BLK_SUBMIT, %rsi
2:  pause
    cmpl $0, blk_req + 32(%rip)
    je 2b
    cmpl $1, blk_req + 32(%rip)
    jne 9f
    CALL CALL_EXIT, $0
9:  CALL CALL_EXIT, $3
    ud2
blk_done:
    movl $1, blk_irq(%rip)
    push %rax
    push %rcx
    push %rdx
    SETMSR 0x80b, $0
    pop %rdx
    pop %rcx
    pop %rax
    iretq

#elif defined(K_ANNOT)
    SETUP
    lea ring(%rip), %rsi
    movl $4, 8(%rsi)             /* nr_entries (the guest's copy; the call gives the real one) */
    PA ring, %rsi
    CALL CALL_ANNOT_RING, %rsi, $4
    PA cache_name, %rsi
    CALL CALL_ANNOT_NAME, $5, $1, %rsi, $(cache_name_end - cache_name)
    lea ring + 64(%rip), %rsi
    movq $0x2000, (%rsi)         /* entry 0: pfn 0x2000, 16 frames free, order 4 */
    movl $16, 8(%rsi)
    movw $1, 12(%rsi)
    movw $4, 14(%rsi)
    movq $0x2010, 24(%rsi)       /* entry 1: pfn 0x2010, a slab of cache 5 */
    movl $1, 32(%rsi)
    movw $5, 36(%rsi)
    movq $5, 40(%rsi)
    movq $0x2011, 48(%rsi)       /* entry 2: an unknown state */
    movl $1, 56(%rsi)
    movw $99, 60(%rsi)
    movl $3, ring(%rip)          /* head */
    CALL CALL_EXIT, $0
    ud2
#elif defined(K_FUZZ)
    mov %rdi, %r15
    lea stack_top(%rip), %rsp
    lgdt gdtr(%rip)
    /* Every gate to fuzz_noerr, or fuzz_err for the vectors with an error code. */
    xor %ebx, %ebx
1:  lea fuzz_noerr(%rip), %rax
    bt %rbx, errmask(%rip)
    jnc 2f
    lea fuzz_err(%rip), %rax
2:  mov %rbx, %rdi
    shl $4, %rdi
    lea idt(%rip), %rsi
    add %rsi, %rdi
    mov %ax, (%rdi)
    movw $0x10, 2(%rdi)
    movw $0x8e00, 4(%rdi)
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
    inc %ebx
    cmp $256, %ebx
    jb 1b
    lidt idtr(%rip)
    /* Wake every other CPU (at most 16). */
    mov 24(%r15), %ecx           /* boot_info.nr_cpus */
    mov 0x68(%r15), %rsi         /* boot_info.mailbox_pa */
    mov $1, %ebx
3:  cmp %ecx, %ebx
    jae 4f
    cmp $16, %ebx
    jae 4f
    mov %rbx, %rdi
    shl $6, %rdi
    add %rsi, %rdi
    lea fuzz_ap(%rip), %rax
    mov %rax, 8(%rdi)
    mov %rbx, %rax
    inc %rax
    shl $12, %rax
    lea ap_stacks(%rip), %rdx
    add %rdx, %rax
    mov %rax, 16(%rdi)
    movq $0, 24(%rdi)
    movq $0, 32(%rdi)
    movl $1, (%rdi)
    inc %ebx
    jmp 3b
4:  sti
    jmp fuzz_area
fuzz_ap:
    lgdt gdtr(%rip)
    lidt idtr(%rip)
    and $7, %rsi
    shl $9, %rsi
    lea fuzz_area(%rip), %rax
    add %rsi, %rax
    sti
    jmp *%rax
fuzz_noerr:
    pushq $0
fuzz_err:
    push %rax
    push %rcx
    push %rdx
    mov $0x80b, %ecx
    xor %eax, %eax
    xor %edx, %edx
    wrmsr
    mov 32(%rsp), %rax           /* the interrupted rip */
    lea fuzz_area(%rip), %rcx
    sub %rcx, %rax
    add $16, %rax
    and $0xff0, %rax
    add %rcx, %rax
    mov %rax, 32(%rsp)
    pop %rdx
    pop %rcx
    pop %rax
    add $8, %rsp
    iretq
    .balign 16
    .ascii "EMU-FUZZ-AREA-16"
fuzz_area:
    .fill 4096, 1, 0x90
    jmp fuzz_area
#else
#error "choose a kernel with -DK_NAME"
#endif

    .data
    .balign 16
gdt:
    .quad 0
    .quad 0
    .quad 0x00af9a000000ffff     /* 0x10: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff     /* 0x18: data */
gdt_end:
gdtr:
    .word gdt_end - gdt - 1
    .quad gdt
idtr:
    .word 256 * 16 - 1
    .quad idt
bad_idtr:
    .word 256 * 16 - 1
    .quad garbage
garbage:
    .fill 4096, 1, 0xa5
msg_out: .ascii "to stdout\n"
msg_out_end:
msg_err: .ascii "to stderr\n"
msg_err_end:
msg_log: .ascii "to the kernel log\n"
msg_log_end:
msg_panic: .ascii "nothing works"
msg_panic_end:
rep_name: .ascii "meminfo"
rep_name_end:
rep_text: .ascii "MemTotal: 1 kB"
rep_text_end:
cache_name: .ascii "kmalloc-64"
cache_name_end:
    .balign 64
blk_req: .fill 40, 1, 0
errmask: /* vectors that push an error code: 8, 10-14, 17, 21, 29, 30 */
    .quad (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30)
    .quad 0, 0, 0
blk_irq: .long 0
    .balign 8
ticks: .long 0
ap_ready: .long 0
bsp_got: .long 0
    .balign 16
call_blk: .fill 56, 1, 0

    .bss
    .balign 4096
ring: .fill 4096, 1, 0
buf: .fill 512, 1, 0
    .balign 16
idt: .fill 256 * 16, 1, 0
    .balign 16
stack: .fill 8192, 1, 0
stack_top:
ap_stack: .fill 8192, 1, 0
ap_stack_top:
ap_stacks: .fill 17 * 4096, 1, 0
    .section .note.GNU-stack, "", @progbits
