/* asm/desc.h: descriptor tables: GDT entries, IDT gates, the 64-bit TSS.
 *
 * As Linux's asm/desc_defs.h, asm/desc.h and the x86_hw_tss of asm/processor.h: the 8-byte code
 * and data descriptors, the 16-byte TSS descriptor and interrupt gate, lgdt/lidt/ltr.
 */
#ifndef _ASM_X86_DESC_H
#define _ASM_X86_DESC_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/segment.h>

/* A code/data descriptor from Linux's GDT_ENTRY_INIT(flags, base, limit): flags holds the access
 * byte in bits 7:0 and G/DB/L/AVL in bits 15:12. */
#define GDT_ENTRY(flags, base, limit)                                                          \
    ((((u64)(base) & 0xff000000ull) << 32) | (((u64)(flags) & 0xf0ffull) << 40) |             \
     (((u64)(limit) & 0x000f0000ull) << 32) | (((u64)(base) & 0x00ffffffull) << 16) |          \
     ((u64)(limit) & 0x0000ffffull))

/* The hardware 64-bit TSS (SDM vol. 3 figure 8-11; Linux's struct x86_hw_tss). */
struct x86_hw_tss {
    u32 reserved1;
    u64 sp0, sp1, sp2;
    u64 reserved2;
    u64 ist[7];
    u32 reserved3, reserved4;
    u16 reserved5;
    u16 io_bitmap_base;
} __packed;

/* A 64-bit interrupt gate (Linux's struct gate_struct). */
struct gate_struct {
    u16 offset_low;
    u16 segment;
    u8 ist;          /* bits 2:0 */
    u8 type_attr;    /* P, DPL, 0, type */
    u16 offset_middle;
    u32 offset_high;
    u32 reserved;
} __packed;

#define GATE_INTERRUPT 0xe
#define GATE_TRAP 0xf
#define DESC_TSS 0x9

struct desc_ptr {
    u16 size;
    u64 address;
} __packed;

static inline void native_load_gdt(const struct desc_ptr *p) { __asm__ __volatile__("lgdt %0" : : "m"(*p) : "memory"); }
static inline void native_load_idt(const struct desc_ptr *p) { __asm__ __volatile__("lidt %0" : : "m"(*p) : "memory"); }
static inline void native_load_tr(u16 sel) { __asm__ __volatile__("ltr %0" : : "r"(sel) : "memory"); }

#endif
