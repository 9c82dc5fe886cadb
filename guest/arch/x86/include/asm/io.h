/* asm/io.h: port I/O, as Linux's asm/io.h (inb/outb/outl). The emulator's devices live at the
 * ports of guest/abi.h section 4. */
#ifndef _ASM_X86_IO_H
#define _ASM_X86_IO_H

#include <linux/types.h>

static inline void outb(u8 v, u16 port) { __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline void outl(u32 v, u16 port) { __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline u32 inl(u16 port)
{
    u32 v;
    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

#endif
