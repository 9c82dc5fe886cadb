/* arch/x86/kernel/smpboot.c: starting the other CPUs.
 *
 * As Linux's smpboot.c (native_smp_prepare_cpus(), do_boot_cpu(), start_secondary()), with
 * the ACPI multiprocessor wake-up mailbox instead of INIT/SIPI (Linux's acpi_wakeup_cpu(), used
 * by TDX guests): for each CPU (whose stacks and per-CPU data setup_per_cpu_areas() allocated
 * on the CPU's node) the boot CPU fills its struct emu_mailbox (entry = secondary_startup_64, a kernel-image address; stack = the top
 * of its kernel stack, in the direct map; arg = its struct pcpu; cr3 = the kernel's page tables),
 * then sets `command` and waits (cpu_relax(): `pause` ends the quantum, so the emulator gets to
 * start the CPU) until the CPU says it is online, or one second of jiffies has passed. The new
 * CPU loads its descriptor tables and GS base (cpu_init()), starts its timer, marks itself
 * online and idles in `sti; hlt` (Linux's default_idle()), where IPIs reach it.
 */
#define pr_fmt(fmt) "smpboot: " fmt
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/jiffies.h>
#include <linux/mm_annot.h>
#include <asm/tlbflush.h>
#include <asm/smp.h>
#include <asm/apic.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <asm/setup.h>
#include <asm/processor.h>

void smp_prepare_cpus(void)
{
    /* Stacks, call data and per-CPU areas were allocated by setup_per_cpu_areas(). */
}

void cpu_idle_loop(void)
{
    for (;;) {
        local_irq_disable();
        safe_halt();
    }
}

void __noreturn start_secondary(struct pcpu *p, unsigned long cpu)
{
    cpu_init(p);
    mm_annot_cpu_init();
    switch_mm_on_this_cpu(&init_mm);
    if (read_apic_id() != cpu || p->cpu_number != cpu)
        panic("CPU %lu started with APIC id %u (per-CPU area of CPU %u)", cpu, read_apic_id(), p->cpu_number);
    setup_APIC_timer();
    cpu_online_map[cpu] = 1;
    __asm__ __volatile__("lock incl %0" : "+m"(num_online_cpus_count) : : "memory");
    WRITE_ONCE(p->online, 1);
    cpu_idle_loop();
}

static int do_boot_cpu(unsigned int cpu)
{
    const struct emu_cpu_desc *d = &boot_info.cpu[cpu];
    struct pcpu *p = cpu_pcpu(cpu);

    struct emu_mailbox *mb = __va(boot_info.mailbox_pa + (u64)cpu * sizeof(struct emu_mailbox));
    if (mb->apic_id != d->apic_id)
        pr_warn("CPU %u: mailbox says APIC 0x%x, boot info 0x%x\n", cpu, mb->apic_id, d->apic_id);
    pr_info("Booting Node %u Processor %u APIC 0x%x\n", d->node, cpu, d->apic_id);
    mb->entry = (u64)secondary_startup_64;
    mb->stack = p->stack_base + THREAD_SIZE;
    mb->arg = (u64)p;
    mb->cr3 = init_top_pgt_pa;
    barrier();
    WRITE_ONCE(mb->command, EMU_MAILBOX_WAKEUP);

    unsigned long timeout = jiffies + HZ;
    while (!READ_ONCE(p->online)) {
        if (apic_timer_running && time_after(jiffies, timeout)) {
            pr_err("CPU %u failed to come online\n", cpu);
            return -1;
        }
        cpu_relax();
    }
    return 0;
}

void smp_init(void)
{
    pr_info("CPU0: emu x86-64 (node %u, socket %u)\n", boot_info.cpu[0].node, boot_info.cpu[0].socket);
    printk(KERN_INFO "smp: Bringing up secondary CPUs ...\n");
    for (unsigned int cpu = 1; cpu < nr_cpu_ids; cpu++)
        do_boot_cpu(cpu);
    unsigned int n = num_online_cpus();
    printk(KERN_INFO "smp: Brought up %u node%s, %u CPU%s\n", boot_info.nr_nodes, boot_info.nr_nodes > 1 ? "s" : "",
           n, n > 1 ? "s" : "");
    pr_info("Total of %u processors activated\n", n);
}
