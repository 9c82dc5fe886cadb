/* init/main.c: start_kernel(), the boot sequence.
 *
 * As Linux's init/main.c, in the same order where the steps exist here:
 *   per-CPU area and descriptor tables of the boot CPU (Linux: setup_per_cpu_areas(),
 *   trap_init(), cpu_init()), the banner, setup_arch() (boot information, memory map, NUMA,
 *   page tables, memmap, nodes and zones), the per-CPU areas on their nodes, the zonelists and
 *   the page allocator (Linux's setup_per_cpu_areas(), build_all_zonelists(), mm_core_init()),
 *   the local timer (time_init() / setup_boot_APIC_clock()), interrupts on, the
 *   other CPUs (smp_init()), then what Linux's kernel_init() would hand to the first process:
 *   here either the kernel test table (--kernel-tests) or a short "boot" report and the mm reports
 *   (buddyinfo, zoneinfo, pagetypeinfo, meminfo), each followed
 *   by the end of the run through the emulator. Before that every CPU takes a few timer ticks and
 *   an IPI, so each boot exercises the timer and the IPI paths.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/seq_buf.h>
#include <asm/smp.h>
#include <asm/setup.h>
#include <asm/apic.h>
#include <asm/traps.h>
#include <asm/emu.h>
#include <asm/pgtable.h>
#include <asm/irqflags.h>
#include <asm/tlbflush.h>

#define UTS_RELEASE "0.6.0"

static const char linux_banner[] =
    "emu-guest version " UTS_RELEASE " (gcc version " __VERSION__ ") #1 SMP\n";

int run_kernel_tests(void);   /* kernel/tests.c: the number of failed tests */

/* crash_test=oops|panic on the command line: fail on purpose after boot, so the emulator's
 * handling of a guest oops and panic can be tested (Linux has /proc/sysrq-trigger's 'c'). */
static void crash_test(void)
{
    char what[16];
    if (!cmdline_get("crash_test", what, sizeof(what)))
        return;
    pr_info("crash_test=%s: crashing on purpose\n", what);
    if (!strcmp(what, "oops"))
        *(volatile unsigned long *)0xffffc90000000000ul = 1;
    if (!strcmp(what, "slab_panic"))   /* SLAB_PANIC: a cache that cannot be created panics */
        kmem_cache_create("crash-test", ~0u, 0, SLAB_PANIC, NULL);
    panic("crash_test=%s", what);
}

static volatile unsigned long ping_count[NR_CPUS];

static void ping(void *info)
{
    (void)info;
    ping_count[smp_processor_id()]++;
}

/* Let every CPU take a few ticks and answer an IPI. */
static void exercise_cpus(void)
{
    unsigned int cpu;
    wait_jiffies(4);
    smp_call_function(ping, NULL, 1);
    for_each_online_cpu(cpu) {
        if (cpu && ping_count[cpu] == 0)
            pr_warn("smp: CPU %u did not answer an IPI\n", cpu);
        if (cpu_pcpu(cpu)->timer_ticks == 0)
            pr_warn("CPU %u took no timer interrupt\n", cpu);
    }
}

static void boot_report(void)
{
    static char text[8192];
    size_t n = 0, size = sizeof(text);
    unsigned int cpu;
    n += scnprintf(text + n, size - n, "cpus: %u online of %u\n", num_online_cpus(), nr_cpu_ids);
    n += scnprintf(text + n, size - n, "sockets: %u\n", boot_info.nr_sockets);
    n += scnprintf(text + n, size - n, "nodes: %u\n", boot_info.nr_nodes);
    for (unsigned int nid = 0; nid < boot_info.nr_nodes; nid++)
        n += scnprintf(text + n, size - n, "node %u: %llu MiB\n", nid,
                       (unsigned long long)(node_ram_bytes(nid) >> 20));
    n += scnprintf(text + n, size - n, "paging_levels: %u\n", pgtable_levels);
    n += scnprintf(text + n, size - n, "hz: %d\n", HZ);
    n += scnprintf(text + n, size - n, "jiffies: %lu\n", jiffies);
    for_each_online_cpu(cpu)
        n += scnprintf(text + n, size - n, "cpu %u: node %u, %lu ticks, %lu call IPIs\n", cpu, cpu_pcpu(cpu)->node,
                       cpu_pcpu(cpu)->timer_ticks, cpu_pcpu(cpu)->irq_call_count);
    emu_report("boot", text, n);
}

void __noreturn start_kernel(unsigned long boot_info_pa)
{
    struct pcpu *p = cpu_pcpu(0);
    setup_per_cpu_area(0, 0);
    cpu_alloc_stacks(p);
    idt_setup();
    trap_init();
    cpu_init(p);

    printk(KERN_NOTICE "%s", linux_banner);
    setup_arch(boot_info_pa);
    p->node = boot_info.cpu[0].node;
    setup_per_cpu_areas();
    switch_mm_on_this_cpu(&init_mm);
    build_all_zonelists();
    mm_core_init();
    if (read_apic_id() != 0)
        panic("boot CPU has APIC id %u, expected 0", read_apic_id());

    apic_init();
    smp_ipi_init();
    setup_APIC_timer();
    cpu_online_map[0] = 1;
    num_online_cpus_count = 1;
    p->online = 1;
    local_irq_enable();
    gfp_allowed_mask = __GFP_BITS_MASK;   /* allocations may sleep from here on */

    smp_prepare_cpus();
    smp_init();

    crash_test();
    int status = 0;
    if (boot_info.flags & EMU_BOOT_KERNEL_TESTS) {
        int failed = run_kernel_tests();
        exercise_cpus();
        status = failed ? 1 : 0;
    } else {
        exercise_cpus();
        boot_report();
        mm_reports_emit();
    }
    pr_info("reboot: Power down\n");
    emu_exit(status);
}
