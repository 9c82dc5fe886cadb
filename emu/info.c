/* info: `emu info`, a description of the configured machine. The NUMA part follows the layout
 * of `numactl --hardware` so that scripts written for it read ours. */
#include <stdio.h>

#include "emu/emu.h"

/* The SLIT distance between nodes a and b. */
static int node_distance(const config_t *cfg, int a, int b)
{
    int per = (int)config_get(cfg, CFG_machine_nodes_per_socket);
    if (a == b)
        return 10;
    if (a / per == b / per)
        return (int)config_get(cfg, CFG_numa_distance_same_socket);
    return (int)config_get(cfg, CFG_numa_distance_remote);
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
    fprintf(f, "node distances:\nnode ");
    for (int n = 0; n < nodes; n++)
        fprintf(f, "%3d ", n);
    fprintf(f, "\n");
    for (int a = 0; a < nodes; a++) {
        fprintf(f, "%3d: ", a);
        for (int b = 0; b < nodes; b++)
            fprintf(f, "%3d ", node_distance(cfg, a, b));
        fprintf(f, "\n");
    }
    fprintf(f, "\nmachine: %d socket%s x %d core%s, %d node%s of %llu MiB (physical 0x0-0x%llx)\n", sockets,
            sockets > 1 ? "s" : "", cores, cores > 1 ? "s" : "", nodes, nodes > 1 ? "s" : "",
            (unsigned long long)(size >> 20), (unsigned long long)(size * (uint64_t)nodes - 1));
    int levels = (int)config_get(cfg, CFG_machine_paging_levels);
    fprintf(f, "paging: %d-level (%d-bit virtual addresses%s)\n", levels, levels == 5 ? 57 : 48,
            levels == 5 ? ", CR4.LA57" : "");
    fprintf(f, "configuration: %s\n", cfg->source);
}
