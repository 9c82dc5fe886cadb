/* dram: the machine's physical memory.
 *
 * Physical memory is split into NUMA nodes, each a contiguous range of physical addresses, with
 * holes allowed between them. All of it is backed by one host reservation made with MAP_NORESERVE,
 * so memory the guest never touches costs the host nothing. Timing (banks, rows, NUMA latency)
 * belongs to the memory-hierarchy issue; this module is the functional store and the topology.
 */
#ifndef DRAM_DRAM_H
#define DRAM_DRAM_H

#include <stddef.h>
#include <stdint.h>

#define DRAM_MAX_NODES 64

typedef struct dram dram_t;

typedef struct dram_node_cfg {
    uint64_t base_pa; /* first physical address of the node */
    uint64_t size;    /* bytes, a multiple of 4 KiB */
} dram_node_cfg_t;

typedef struct dram_cfg {
    int nr_nodes;
    dram_node_cfg_t nodes[DRAM_MAX_NODES];
} dram_cfg_t;

/* Create physical memory for the given nodes. Nodes must be sorted, page aligned and not overlap.
 * Returns NULL and writes a message into err (errlen bytes) on failure. */
dram_t *dram_new(const dram_cfg_t *cfg, char *err, size_t errlen);
void dram_free(dram_t *d);

/* One past the highest physical address backed by any node. */
uint64_t dram_end(const dram_t *d);
int dram_nr_nodes(const dram_t *d);
uint64_t dram_node_base(const dram_t *d, int node);
uint64_t dram_node_size(const dram_t *d, int node);

/* The node holding pa, or -1 for a hole or an address beyond memory. */
int dram_node_of(const dram_t *d, uint64_t pa);

/* Host pointer for physical address pa, valid for the rest of its 4 KiB frame (and beyond, up to the
 * end of the node). NULL for a hole or an address beyond memory. */
uint8_t *dram_host(const dram_t *d, uint64_t pa);

/* Host address of physical address 0: host = base + pa for every pa inside a node (the hot path
 * uses it to turn host pointers back into physical addresses). */
uint8_t *dram_base(const dram_t *d);

/* Bulk copies; return 0 on success, -1 if any byte lies outside RAM. */
int dram_read(const dram_t *d, uint64_t pa, void *buf, size_t n);
int dram_write(dram_t *d, uint64_t pa, const void *buf, size_t n);

/* Give a frame's host memory back to the host (it reads as zeroes afterwards). */
void dram_discard(dram_t *d, uint64_t pa, uint64_t len);

#endif
