/* arch/x86/kernel/setup.c: architecture set-up from the boot information.
 *
 * As Linux's setup_arch(): take what the boot loader left (Linux: boot_params, the e820 table,
 * the ACPI SRAT/SLIT/MADT; here one struct emu_boot_info, guest/abi.h), copy it into the kernel
 * (copy_bootdata()), print the memory map as e820__print_table() does, the NUMA topology as the
 * SRAT/SLIT parsers and numa_init do, feed memblock (arch/x86/mm/init.c), build the kernel's page
 * tables (init_mem_mapping(), arch/x86/mm/init_64.c), then the memmap (sparse_init()) and the
 * nodes and zones (free_area_init(), mm/mm_init.c), as Linux's paging_init() does. The boot information sits below 1 MiB, which the boot page table maps
 * 1:1, so it is read through its physical address before the switch.
 */
#define pr_fmt(fmt) fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <asm/setup.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <linux/mm.h>

struct emu_boot_info boot_info;
char boot_command_line[EMU_CMDLINE_MAX];

static const char *e820_type_name(u32 type)
{
    switch (type) {
    case EMU_MEM_RAM: return "usable";
    case EMU_MEM_RESERVED: return "reserved";
    default: return "type unknown";
    }
}

u64 node_ram_bytes(unsigned int nid)
{
    u64 sum = 0;
    for (u32 i = 0; i < boot_info.nr_mem; i++)
        if (boot_info.mem[i].type == EMU_MEM_RAM && boot_info.mem[i].node == nid)
            sum += boot_info.mem[i].size;
    return sum;
}

static void copy_bootdata(unsigned long pa)
{
    const struct emu_boot_info *bi = (const struct emu_boot_info *)pa;   /* boot identity map */
    if (bi->magic != EMU_BOOT_MAGIC)
        panic("boot info at %#lx: bad magic %#llx", pa, (unsigned long long)bi->magic);
    if (bi->version != EMU_BOOT_VERSION || bi->size != sizeof(boot_info))
        panic("boot info version %u size %u, kernel expects version %u size %zu", bi->version,
              bi->size, EMU_BOOT_VERSION, sizeof(boot_info));
    memcpy(&boot_info, bi, sizeof(boot_info));
    if (boot_info.cmdline_pa)
        strscpy(boot_command_line, (const char *)boot_info.cmdline_pa, sizeof(boot_command_line));
    if (boot_info.nr_cpus == 0 || boot_info.nr_cpus > EMU_MAX_CPUS || boot_info.nr_mem > EMU_MAX_MEM_RANGES ||
        boot_info.nr_nodes == 0 || boot_info.nr_nodes > EMU_MAX_NODES ||
        (boot_info.paging_levels != 4 && boot_info.paging_levels != 5))
        panic("boot info: bad counts (cpus %u, nodes %u, ranges %u, paging levels %u)", boot_info.nr_cpus,
              boot_info.nr_nodes, boot_info.nr_mem, boot_info.paging_levels);
}

static void e820_print_table(void)
{
    pr_info("BIOS-provided physical RAM map:\n");
    for (u32 i = 0; i < boot_info.nr_mem; i++) {
        const struct emu_mem_range *r = &boot_info.mem[i];
        pr_info("BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n", (unsigned long long)r->base,
                (unsigned long long)(r->base + r->size - 1), e820_type_name(r->type));
    }
}

static void numa_print(void)
{
    for (u32 c = 0; c < boot_info.nr_cpus; c++)
        pr_info("SRAT: PXM %u -> APIC 0x%02x -> Node %u\n", boot_info.cpu[c].node, boot_info.cpu[c].apic_id,
                boot_info.cpu[c].node);
    for (u32 i = 0; i < boot_info.nr_mem; i++) {
        const struct emu_mem_range *r = &boot_info.mem[i];
        if (r->type == EMU_MEM_RAM)
            pr_info("ACPI: SRAT: Node %u PXM %u [mem 0x%08llx-0x%08llx]\n", r->node, r->node,
                    (unsigned long long)r->base, (unsigned long long)(r->base + r->size - 1));
    }
    for (u32 n = 0; n < boot_info.nr_nodes; n++) {
        u64 lo = ~0ull, hi = 0;
        for (u32 i = 0; i < boot_info.nr_mem; i++) {
            const struct emu_mem_range *r = &boot_info.mem[i];
            if (r->type != EMU_MEM_RAM || r->node != n)
                continue;
            lo = min(lo, r->base);
            hi = max(hi, r->base + r->size);
        }
        if (hi)
            pr_info("Initmem setup node %u [mem 0x%016llx-0x%016llx]\n", n, (unsigned long long)lo,
                    (unsigned long long)(hi - 1));
        else
            pr_info("Initmem setup node %u: no memory\n", n);
    }
    /* The SLIT, in the layout of numactl --hardware. */
    char line[16 + 5 * EMU_MAX_NODES];
    int len = scnprintf(line, sizeof(line), "node ");
    for (u32 j = 0; j < boot_info.nr_nodes; j++)
        len += scnprintf(line + len, sizeof(line) - len, "%4u", j);
    pr_info("NUMA: %u node%s, distances:\n", boot_info.nr_nodes, boot_info.nr_nodes > 1 ? "s" : "");
    pr_info("NUMA: %s\n", line);
    for (u32 i = 0; i < boot_info.nr_nodes; i++) {
        len = scnprintf(line, sizeof(line), "%3u: ", i);
        for (u32 j = 0; j < boot_info.nr_nodes; j++)
            len += scnprintf(line + len, sizeof(line) - len, "%4u", boot_info.distance[i][j]);
        pr_info("NUMA: %s\n", line);
    }
}

void setup_arch(unsigned long boot_info_pa)
{
    copy_bootdata(boot_info_pa);
    printk_verbose = !!(boot_info.flags & EMU_BOOT_VERBOSE);
    pr_info("Command line: %s\n", boot_command_line);
    e820_print_table();
    pr_info("x86/cpu: %u CPUs, %u sockets, %u NUMA nodes\n", boot_info.nr_cpus, boot_info.nr_sockets,
            boot_info.nr_nodes);
    pr_info("kernel image: [mem 0x%08llx-0x%08llx]\n", (unsigned long long)boot_info.kernel_pa_start,
            (unsigned long long)(boot_info.kernel_pa_end - 1));
    if (boot_info.initrd_size)
        pr_info("RAMDISK: [mem 0x%08llx-0x%08llx]\n", (unsigned long long)boot_info.initrd_pa,
                (unsigned long long)(boot_info.initrd_pa + boot_info.initrd_size - 1));
    numa_print();
    pr_info("smpboot: Allowing %u CPUs, 0 hotplug CPUs\n", boot_info.nr_cpus);
    nr_cpu_ids = boot_info.nr_cpus;

    memblock_x86_fill();
    init_mem_mapping();
    /* paging_init(): the memmap of every present section, then nodes and zones. */
    sparse_init();
    free_area_init();
}
