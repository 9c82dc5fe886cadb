/* asm/irq_vectors.h: interrupt vector numbers, as Linux's asm/irq_vectors.h.
 *
 * 0-31 are the CPU's exceptions (asm/trapnr.h); the system vectors sit at the top as in Linux.
 * TEST_IST_VECTOR is this kernel's own: a software-interrupt gate with an IST index, used by the
 * kernel tests (the way Linux's selftests exercise the IST entries).
 */
#ifndef _ASM_X86_IRQ_VECTORS_H
#define _ASM_X86_IRQ_VECTORS_H

#define FIRST_EXTERNAL_VECTOR 0x20
#define TEST_IST_VECTOR 0x81
#define LOCAL_TIMER_VECTOR 0xec
#define CALL_FUNCTION_SINGLE_VECTOR 0xfb
#define CALL_FUNCTION_VECTOR 0xfc
#define RESCHEDULE_VECTOR 0xfd
#define SPURIOUS_APIC_VECTOR 0xff
#define NR_VECTORS 256

/* Exception vectors (asm/trapnr.h). */
#define X86_TRAP_DE 0
#define X86_TRAP_DB 1
#define X86_TRAP_NMI 2
#define X86_TRAP_BP 3
#define X86_TRAP_OF 4
#define X86_TRAP_BR 5
#define X86_TRAP_UD 6
#define X86_TRAP_NM 7
#define X86_TRAP_DF 8
#define X86_TRAP_OLD_MF 9
#define X86_TRAP_TS 10
#define X86_TRAP_NP 11
#define X86_TRAP_SS 12
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14
#define X86_TRAP_SPURIOUS 15
#define X86_TRAP_MF 16
#define X86_TRAP_AC 17
#define X86_TRAP_MC 18
#define X86_TRAP_XF 19
#define X86_TRAP_VE 20
#define X86_TRAP_CP 21

/* Page-fault error code bits (asm/trap_pf.h). */
#define X86_PF_PROT (1ul << 0)
#define X86_PF_WRITE (1ul << 1)
#define X86_PF_USER (1ul << 2)
#define X86_PF_RSVD (1ul << 3)
#define X86_PF_INSTR (1ul << 4)

/* IST slots (1-based, as in the gate's IST field; Linux's ESTACK_* + 1). */
#define IST_INDEX_DF 1
#define IST_INDEX_NMI 2
#define IST_INDEX_DB 3
#define IST_INDEX_MCE 4
#define N_EXCEPTION_STACKS 4

#endif
