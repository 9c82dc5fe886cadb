/* arch/x86/kernel/cpu.c: per-CPU processor state.
 *
 * As Linux's cpu_init() and friends in arch/x86/kernel/cpu/common.c (with setup_per_cpu_areas()
 * of setup_percpu.c): every CPU gets its own GDT (Linux's gdt_page, same layout: asm/segment.h),
 * its own 64-bit TSS with RSP0 (the stack of entries from CPL 3) and IST stacks (#DF, NMI, #DB,
 * #MC), GS_BASE pointing to its per-CPU area, and the SYSCALL MSRs (STAR with Linux's selectors,
 * LSTAR = entry_SYSCALL_64, FMASK as Linux's). The IDT is shared (arch/x86/kernel/idt.c). CPU 0
 * uses stacks in .bss (it needs them before any allocator exists); the others get theirs from
 * memblock, on their own node (setup_per_cpu_areas(), arch/x86/kernel/setup_percpu.c).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/memblock.h>
#include <asm/percpu.h>
#include <asm/smp.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/traps.h>

struct pcpu per_cpu_area[NR_CPUS] __aligned(64);

_Static_assert(offsetof(struct pcpu, self) == PCPU_self, "PCPU_self");
_Static_assert(offsetof(struct pcpu, cpu_number) == PCPU_cpu_number, "PCPU_cpu_number");
_Static_assert(offsetof(struct pcpu, top_of_stack) == PCPU_top_of_stack, "PCPU_top_of_stack");
_Static_assert(offsetof(struct pcpu, user_rsp) == PCPU_user_rsp, "PCPU_user_rsp");
_Static_assert(offsetof(struct pcpu, user_return_sp) == PCPU_user_return_sp, "PCPU_user_return_sp");
_Static_assert(offsetof(struct pcpu, this_cpu_off) == PCPU_this_cpu_off, "PCPU_this_cpu_off");
_Static_assert(sizeof(struct x86_hw_tss) == 104, "x86_hw_tss");
_Static_assert(sizeof(struct gate_struct) == 16, "gate_struct");

/* CPU 0's stacks: its kernel stack is head_64.S's boot stack. */
static u8 boot_entry_stack[THREAD_SIZE] __aligned(4096) __section(".bss..page_aligned");
static u8 boot_ist_stacks[N_EXCEPTION_STACKS][EXCEPTION_STKSZ] __aligned(4096) __section(".bss..page_aligned");
extern char boot_stack_bottom[];

void setup_per_cpu_area(unsigned int cpu, unsigned int node)
{
    struct pcpu *p = cpu_pcpu(cpu);
    p->self = p;
    p->cpu_number = cpu;
    p->node = node;
    spin_lock_init(&p->call_lock);
}

void cpu_alloc_stacks(struct pcpu *p)
{
    if (p->cpu_number == 0) {
        p->stack_base = (unsigned long)boot_stack_bottom;
        p->entry_stack_base = (unsigned long)boot_entry_stack;
        for (int i = 1; i <= N_EXCEPTION_STACKS; i++)
            p->ist_base[i] = (unsigned long)boot_ist_stacks[i - 1];
    } else {
        int nid = (int)p->node;
        p->stack_base = (unsigned long)memblock_alloc_node(THREAD_SIZE, PAGE_SIZE, nid);
        p->entry_stack_base = (unsigned long)memblock_alloc_node(THREAD_SIZE, PAGE_SIZE, nid);
        for (int i = 1; i <= N_EXCEPTION_STACKS; i++)
            p->ist_base[i] = (unsigned long)memblock_alloc_node(EXCEPTION_STKSZ, PAGE_SIZE, nid);
        memblock_stack_pages += 2 * THREAD_SIZE / PAGE_SIZE + N_EXCEPTION_STACKS * EXCEPTION_STKSZ / PAGE_SIZE;
    }
    p->top_of_stack = p->entry_stack_base + THREAD_SIZE;
}

static void fill_gdt(struct pcpu *p)
{
    u64 *gdt = p->gdt;
    memset(gdt, 0, sizeof(p->gdt));
    gdt[GDT_ENTRY_KERNEL32_CS] = GDT_ENTRY(0xc09b, 0, 0xfffff);
    gdt[GDT_ENTRY_KERNEL_CS] = GDT_ENTRY(0xa09b, 0, 0xfffff);
    gdt[GDT_ENTRY_KERNEL_DS] = GDT_ENTRY(0xc093, 0, 0xfffff);
    gdt[GDT_ENTRY_DEFAULT_USER32_CS] = GDT_ENTRY(0xc0fb, 0, 0xfffff);
    gdt[GDT_ENTRY_DEFAULT_USER_DS] = GDT_ENTRY(0xc0f3, 0, 0xfffff);
    gdt[GDT_ENTRY_DEFAULT_USER_CS] = GDT_ENTRY(0xa0fb, 0, 0xfffff);

    /* The TSS: a 16-byte system descriptor, type 9 (available 64-bit TSS), present, DPL 0. */
    u64 base = (u64)&p->tss;
    u64 limit = sizeof(p->tss) - 1;
    gdt[GDT_ENTRY_TSS] = (limit & 0xffff) | ((base & 0xffffff) << 16) | ((u64)DESC_TSS << 40) | (1ull << 47) |
                         (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[GDT_ENTRY_TSS + 1] = base >> 32;
}

static void fill_tss(struct pcpu *p)
{
    memset(&p->tss, 0, sizeof(p->tss));
    p->tss.sp0 = p->top_of_stack;
    for (int i = 1; i <= N_EXCEPTION_STACKS; i++)
        p->tss.ist[i - 1] = p->ist_base[i] + EXCEPTION_STKSZ;
    p->tss.io_bitmap_base = sizeof(p->tss);   /* no I/O bitmap */
}

static void syscall_init(void)
{
    wrmsr(MSR_STAR, ((u64)__USER32_CS << 48) | ((u64)__KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (u64)entry_SYSCALL_64);
    wrmsr(MSR_CSTAR, 0);
    wrmsr(MSR_SYSCALL_MASK, X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_IF | X86_EFLAGS_IOPL | X86_EFLAGS_AC |
                                X86_EFLAGS_NT);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void cpu_init(struct pcpu *p)
{
    fill_gdt(p);
    fill_tss(p);
    struct desc_ptr gdt_descr = { sizeof(p->gdt) - 1, (u64)p->gdt };
    native_load_gdt(&gdt_descr);
    /* Reload CS with a far return (far jumps are not modelled), then the data segments; FS and GS
     * are null, their bases come from the MSRs (written after, as loading a selector may reset a
     * base on some CPUs). */
    __asm__ __volatile__("pushq %[cs]\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "lretq\n"
                         "1:\n\t"
                         "movl %[ds], %%eax\n\t"
                         "movl %%eax, %%ss\n\t"
                         "xorl %%eax, %%eax\n\t"
                         "movl %%eax, %%ds\n\t"
                         "movl %%eax, %%es\n\t"
                         "movl %%eax, %%fs\n\t"
                         "movl %%eax, %%gs\n\t"
                         :
                         : [cs] "i"(__KERNEL_CS), [ds] "i"(__KERNEL_DS)
                         : "rax", "memory");
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_GS_BASE, (u64)p);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    native_load_tr(GDT_ENTRY_TSS_SEL);
    load_idt_this_cpu();
    syscall_init();
    if (p->cpu_number != 0)   /* CPU 0 sets PGE after its switch to the kernel's page tables */
        write_cr4(read_cr4() | X86_CR4_PGE);
}
