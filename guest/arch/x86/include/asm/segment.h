/* asm/segment.h: GDT layout and segment selectors.
 *
 * Exactly Linux's 64-bit layout (asm/segment.h), so that SYSCALL/SYSRET work with Linux's STAR
 * value: entry 1 __KERNEL32_CS, 2 __KERNEL_CS (0x10), 3 __KERNEL_DS (0x18), 4 __USER32_CS (0x23),
 * 5 __USER_DS (0x2b), 6 __USER_CS (0x33), 8-9 the TSS (0x40, a 16-byte system descriptor). The
 * LDT, TLS and CPUNODE entries of Linux are left empty.
 */
#ifndef _ASM_X86_SEGMENT_H
#define _ASM_X86_SEGMENT_H

#define GDT_ENTRY_KERNEL32_CS 1
#define GDT_ENTRY_KERNEL_CS 2
#define GDT_ENTRY_KERNEL_DS 3
#define GDT_ENTRY_DEFAULT_USER32_CS 4
#define GDT_ENTRY_DEFAULT_USER_DS 5
#define GDT_ENTRY_DEFAULT_USER_CS 6
#define GDT_ENTRY_TSS 8
#define GDT_ENTRIES 16

#define __KERNEL32_CS (GDT_ENTRY_KERNEL32_CS * 8)
#define __KERNEL_CS (GDT_ENTRY_KERNEL_CS * 8)
#define __KERNEL_DS (GDT_ENTRY_KERNEL_DS * 8)
#define __USER32_CS (GDT_ENTRY_DEFAULT_USER32_CS * 8 + 3)
#define __USER_DS (GDT_ENTRY_DEFAULT_USER_DS * 8 + 3)
#define __USER_CS (GDT_ENTRY_DEFAULT_USER_CS * 8 + 3)
#define GDT_ENTRY_TSS_SEL (GDT_ENTRY_TSS * 8)

#endif
