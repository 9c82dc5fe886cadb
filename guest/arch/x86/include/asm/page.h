/* asm/page.h: the kernel's address spaces and the conversions between them.
 *
 * As Linux's asm/page.h, asm/page_64.h and asm/page_64_types.h:
 *   - the direct map ("physmap") maps all RAM at PAGE_OFFSET: 0xffff888000000000 with 4-level
 *     paging, 0xff11000000000000 with 5-level (Linux's __PAGE_OFFSET_BASE_L4/_L5, without KASLR);
 *     __va(pa) and __pa(va) convert;
 *   - the kernel image is linked at __START_KERNEL_map + its physical address
 *     (0xffffffff80000000 + 16 MiB: -mcmodel=kernel); __pa_symbol() converts a kernel-image
 *     address. __pa() accepts both kinds, as Linux's __phys_addr() does.
 */
#ifndef _ASM_X86_PAGE_H
#define _ASM_X86_PAGE_H

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PMD_SHIFT 21
#define PMD_SIZE (1ul << PMD_SHIFT)
#define PUD_SHIFT 30
#define PUD_SIZE (1ul << PUD_SHIFT)

#define __START_KERNEL_map 0xffffffff80000000
#define __PAGE_OFFSET_BASE_L4 0xffff888000000000
#define __PAGE_OFFSET_BASE_L5 0xff11000000000000
#define LOAD_PHYSICAL_ADDR 0x1000000

#define THREAD_SIZE (16 * 1024)         /* kernel stacks */
#define EXCEPTION_STKSZ (4 * 1024)      /* IST stacks */

#ifndef __ASSEMBLY__
#include <linux/types.h>

extern unsigned long page_offset_base;
#define PAGE_OFFSET page_offset_base

static inline unsigned long __phys_addr(unsigned long x)
{
    return x >= __START_KERNEL_map ? x - __START_KERNEL_map : x - PAGE_OFFSET;
}
#define __pa(x) __phys_addr((unsigned long)(x))
#define __pa_symbol(x) ((unsigned long)(x) - __START_KERNEL_map)
#define __va(x) ((void *)((unsigned long)(x) + PAGE_OFFSET))
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)

/* The linker script's symbols (arch/x86/kernel/vmlinux.lds in Linux, guest/kernel.ld here). */
extern char _text[], _etext[], _edata[], __bss_start[], __bss_stop[], _end[];
extern char __start___ex_table[], __stop___ex_table[];

#endif
#endif
