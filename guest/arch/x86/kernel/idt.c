/* arch/x86/kernel/idt.c: the interrupt descriptor table and vector dispatch.
 *
 * As Linux's idt.c: one IDT shared by all CPUs (idt_table), 64-bit interrupt gates (interrupts
 * stay disabled in every handler; the kernel is non-preemptible) pointing at the entry stubs of
 * arch/x86/entry/entry_64.S. As in Linux, #DF, NMI, #DB and #MC run on IST stacks, and #BP and
 * #OF gates have DPL 3 so that user code may raise them with int3 / into. TEST_IST_VECTOR is a
 * DPL-0 gate on the #DB IST stack, for the kernel tests. Every stub enters handle_vector(), which
 * calls the C handler registered for the vector (Linux's idtentry macros bind each vector to its
 * handler at build time; a table is simpler here).
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <asm/desc.h>
#include <asm/traps.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>

static struct gate_struct idt_table[NR_VECTORS] __aligned(4096);
static vector_handler_t vector_handlers[NR_VECTORS];

static void set_gate(unsigned int vector, unsigned long addr, unsigned int ist, unsigned int dpl)
{
    struct gate_struct *g = &idt_table[vector];
    g->offset_low = (u16)addr;
    g->segment = __KERNEL_CS;
    g->ist = (u8)ist;
    g->type_attr = (u8)(0x80 | (dpl << 5) | GATE_INTERRUPT);
    g->offset_middle = (u16)(addr >> 16);
    g->offset_high = (u32)(addr >> 32);
    g->reserved = 0;
}

static unsigned long stub(unsigned int vector)
{
    return (unsigned long)irq_entries_start + (unsigned long)vector * IDT_STUB_SIZE;
}

void idt_setup(void)
{
    for (unsigned int v = 0; v < NR_VECTORS; v++)
        set_gate(v, stub(v), 0, 0);
    set_gate(X86_TRAP_DB, stub(X86_TRAP_DB), IST_INDEX_DB, 0);
    set_gate(X86_TRAP_NMI, stub(X86_TRAP_NMI), IST_INDEX_NMI, 0);
    set_gate(X86_TRAP_BP, stub(X86_TRAP_BP), 0, 3);
    set_gate(X86_TRAP_OF, stub(X86_TRAP_OF), 0, 3);
    set_gate(X86_TRAP_DF, stub(X86_TRAP_DF), IST_INDEX_DF, 0);
    set_gate(X86_TRAP_MC, stub(X86_TRAP_MC), IST_INDEX_MCE, 0);
    set_gate(TEST_IST_VECTOR, stub(TEST_IST_VECTOR), IST_INDEX_DB, 0);
}

void load_idt_this_cpu(void)
{
    struct desc_ptr d = { sizeof(idt_table) - 1, (u64)idt_table };
    native_load_idt(&d);
}

void set_vector_handler(unsigned int vector, vector_handler_t h)
{
    vector_handlers[vector] = h;
}

/* Called by common_interrupt with the saved registers (interrupts disabled). */
void handle_vector(struct pt_regs *regs, unsigned long vector)
{
    vector_handler_t h = vector_handlers[vector & 0xff];
    if (h) {
        h(regs, vector);
        return;
    }
    if (vector < FIRST_EXTERNAL_VECTOR)
        die(trap_name(vector), regs, regs->orig_ax, vector);
    pr_err("do_IRQ: %u.%lu No irq handler for vector\n", smp_processor_id(), vector);
    apic_eoi();
}
