/* include/linux/numa.h and nodemask basics: node numbers and distances.
 *
 * Nodes are numbered 0 .. nr_node_ids - 1 (boot_info.nr_nodes); the SLIT distances come from the
 * boot information (10 = local). numa_node_id() is the node of the running CPU.
 */
#ifndef _LINUX_NUMA_H
#define _LINUX_NUMA_H

#include <asm/percpu.h>
#include "abi.h"

#define MAX_NUMNODES EMU_MAX_NODES
#define NODES_SHIFT 6
#define NUMA_NO_NODE (-1)
#define LOCAL_DISTANCE 10

extern unsigned int nr_node_ids;
int node_distance(int a, int b);
static inline int numa_node_id(void) { return (int)this_cpu()->node; }
#define cpu_to_node(cpu) ((int)cpu_pcpu(cpu)->node)
#define for_each_node(nid) for ((nid) = 0; (nid) < (int)nr_node_ids; (nid)++)
#define for_each_online_node(nid) for_each_node(nid)

#endif
