/* info: `emu info`, a description of the configured machine. The NUMA part follows the layout
 * of `numactl --hardware` so that scripts written for it read ours. */
#include <stdio.h>

#include "emu/emu.h"
#include "emu/memsys.h"

/* "N entries W-way" (or fully associative / none) for one array of the configuration. */
static void print_array(FILE *f, const char *name, int64_t entries, int64_t ways)
{
    if (entries == 0) {
        fprintf(f, "  %-12s none\n", name);
        return;
    }
    if (ways >= entries)
        fprintf(f, "  %-12s %lld entries, fully associative\n", name, (long long)entries);
    else
        fprintf(f, "  %-12s %lld entries, %lld-way (%lld sets)\n", name, (long long)entries, (long long)ways,
                (long long)(entries / ways));
}

int emu_cpu_socket(const config_t *cfg, int cpu)
{
    return cpu / (int)config_get(cfg, CFG_machine_cores_per_socket);
}

int emu_cpu_node(const config_t *cfg, int cpu)
{
    int cores = (int)config_get(cfg, CFG_machine_cores_per_socket);
    int per = (int)config_get(cfg, CFG_machine_nodes_per_socket);
    int socket = cpu / cores, core = cpu % cores, sub = 0;
    /* The last node whose range of cores (as printed below) starts at or before this core. */
    for (int s = 0; s < per; s++)
        if (s * cores / per <= core && core < (s + 1) * cores / per)
            sub = s;
    return socket * per + sub;
}

void emu_print_info(const config_t *cfg, FILE *f)
{
    int sockets = (int)config_get(cfg, CFG_machine_sockets);
    int cores = (int)config_get(cfg, CFG_machine_cores_per_socket);
    int per = (int)config_get(cfg, CFG_machine_nodes_per_socket);
    int nodes = sockets * per;
    uint64_t size = (uint64_t)config_get(cfg, CFG_machine_mem_per_node);

    fprintf(f, "available: %d nodes (0", nodes);
    if (nodes > 1)
        fprintf(f, "-%d", nodes - 1);
    fprintf(f, ")\n");
    for (int n = 0; n < nodes; n++) {
        /* A socket's cores are spread over its nodes in order (as sub-NUMA clustering does). */
        int socket = n / per, sub = n % per;
        int first = socket * cores + sub * cores / per;
        int last = socket * cores + (sub + 1) * cores / per;
        fprintf(f, "node %d cpus:", n);
        for (int c = first; c < last; c++)
            fprintf(f, " %d", c);
        fprintf(f, "\nnode %d size: %llu MB\n", n, (unsigned long long)(size >> 20));
    }
    dram_topo_t topo; /* the SLIT: numa.slit, or derived from the numa.distance_* keys */
    char err[512];
    if (memsys_topology(cfg, &topo, err, sizeof(err)) < 0) {
        fprintf(f, "emu: %s\n", err);
        return;
    }
    fprintf(f, "node distances:\nnode ");
    for (int n = 0; n < nodes; n++)
        fprintf(f, "%3d ", n);
    fprintf(f, "\n");
    for (int a = 0; a < nodes; a++) {
        fprintf(f, "%3d: ", a);
        for (int b = 0; b < nodes; b++)
            fprintf(f, "%3d ", topo.distance[a][b]);
        fprintf(f, "\n");
    }
    fprintf(f, "\nmachine: %d socket%s x %d core%s, %d node%s of %llu MiB (physical 0x0-0x%llx)\n", sockets,
            sockets > 1 ? "s" : "", cores, cores > 1 ? "s" : "", nodes, nodes > 1 ? "s" : "",
            (unsigned long long)(size >> 20), (unsigned long long)(size * (uint64_t)nodes - 1));
    int levels = (int)config_get(cfg, CFG_machine_paging_levels);
    fprintf(f, "paging: %d-level (%d-bit virtual addresses%s)\n", levels, levels == 5 ? 57 : 48,
            levels == 5 ? ", CR4.LA57" : "");
    static const char *const repl[] = {"LRU", "tree-PLRU", "random"};
    fprintf(f, "TLBs (per CPU; %s replacement; L1 hit +%lld cycles, STLB %lld cycles):\n",
            repl[config_get(cfg, CFG_tlb_replacement) % 3], (long long)config_get(cfg, CFG_tlb_l1_latency),
            (long long)config_get(cfg, CFG_tlb_stlb_latency));
#define ARR(label, k) print_array(f, label, config_get(cfg, CFG_tlb_##k##_entries), config_get(cfg, CFG_tlb_##k##_ways))
    ARR("iTLB 4K", itlb_4k);
    ARR("iTLB 2M", itlb_2m);
    ARR("iTLB 1G", itlb_1g);
    ARR("dTLB 4K", dtlb_4k);
    ARR("dTLB 2M", dtlb_2m);
    ARR("dTLB 1G", dtlb_1g);
    ARR("STLB 4K+2M", stlb);
    ARR("STLB 1G", stlb_1g);
#undef ARR
    fprintf(f, "page-walk caches (lookup %lld cycles; PTE load %lld cycles):\n", (long long)config_get(cfg, CFG_pwc_latency),
            (long long)config_get(cfg, CFG_walk_pte_load_cycles));
#define PWC(label, k) print_array(f, label, config_get(cfg, CFG_pwc_##k##_entries), config_get(cfg, CFG_pwc_##k##_ways))
    PWC("PDE", pde);
    PWC("PDPTE", pdpte);
    PWC("PML4E", pml4e);
    if (levels == 5)
        PWC("PML5E", pml5e);
#undef PWC
    int se_cpu = (int)config_get(cfg, CFG_se_cpu);
    if (se_cpu < sockets * cores)
        fprintf(f, "se: the program runs on cpu %d (se.cpu, --cpu): socket %d, local node %d\n", se_cpu,
                emu_cpu_socket(cfg, se_cpu), emu_cpu_node(cfg, se_cpu));
    else
        fprintf(f, "se: se.cpu = %d, but the machine has %d CPUs\n", se_cpu, sockets * cores);
    memsys_print_info(cfg, f);
    fprintf(f, "configuration: %s\n", cfg->source);
}
