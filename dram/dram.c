/* dram: functional physical memory over one lazily reserved host mapping. */
#define _GNU_SOURCE
#include "dram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct dram {
    int nr_nodes;
    dram_node_cfg_t nodes[DRAM_MAX_NODES];
    uint64_t end;  /* one past the highest backed address */
    uint8_t *host; /* host mapping of [0, end) */
};

dram_t *dram_new(const dram_cfg_t *cfg, char *err, size_t errlen)
{
    if (cfg->nr_nodes < 1 || cfg->nr_nodes > DRAM_MAX_NODES) {
        snprintf(err, errlen, "number of memory nodes must be 1..%d, not %d", DRAM_MAX_NODES, cfg->nr_nodes);
        return NULL;
    }
    uint64_t prev_end = 0;
    for (int i = 0; i < cfg->nr_nodes; i++) {
        const dram_node_cfg_t *n = &cfg->nodes[i];
        if ((n->base_pa | n->size) & 0xfff) {
            snprintf(err, errlen, "node %d: base and size must be multiples of 4 KiB", i);
            return NULL;
        }
        if (n->size == 0) {
            snprintf(err, errlen, "node %d: size must not be zero", i);
            return NULL;
        }
        if (n->base_pa < prev_end) {
            snprintf(err, errlen, "node %d overlaps the node before it", i);
            return NULL;
        }
        prev_end = n->base_pa + n->size;
    }
    if (prev_end > (1ull << 46)) {
        snprintf(err, errlen, "physical memory ends beyond 64 TiB");
        return NULL;
    }
    dram_t *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    d->nr_nodes = cfg->nr_nodes;
    memcpy(d->nodes, cfg->nodes, sizeof(d->nodes));
    d->end = prev_end;
    void *p = mmap(NULL, d->end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot reserve %llu bytes of host address space for guest memory: %s",
                 (unsigned long long)d->end, strerror(errno));
        free(d);
        return NULL;
    }
    /* The design forbids host huge pages: they would make untouched guest memory cost host RAM. */
    madvise(p, d->end, MADV_NOHUGEPAGE);
    d->host = p;
    return d;
}

void dram_free(dram_t *d)
{
    if (!d)
        return;
    munmap(d->host, d->end);
    free(d);
}

uint64_t dram_end(const dram_t *d) { return d->end; }
uint8_t *dram_base(const dram_t *d) { return d->host; }
int dram_nr_nodes(const dram_t *d) { return d->nr_nodes; }
uint64_t dram_node_base(const dram_t *d, int node) { return d->nodes[node].base_pa; }
uint64_t dram_node_size(const dram_t *d, int node) { return d->nodes[node].size; }

int dram_node_of(const dram_t *d, uint64_t pa)
{
    for (int i = 0; i < d->nr_nodes; i++)
        if (pa >= d->nodes[i].base_pa && pa < d->nodes[i].base_pa + d->nodes[i].size)
            return i;
    return -1;
}

uint8_t *dram_host(const dram_t *d, uint64_t pa)
{
    if (dram_node_of(d, pa) < 0)
        return NULL;
    return d->host + pa;
}

/* True when [pa, pa+n) lies inside a single node. */
static int range_ok(const dram_t *d, uint64_t pa, size_t n)
{
    int node = dram_node_of(d, pa);
    if (node < 0)
        return 0;
    return n == 0 || pa + n <= d->nodes[node].base_pa + d->nodes[node].size;
}

int dram_read(const dram_t *d, uint64_t pa, void *buf, size_t n)
{
    if (!range_ok(d, pa, n))
        return -1;
    memcpy(buf, d->host + pa, n);
    return 0;
}

int dram_write(dram_t *d, uint64_t pa, const void *buf, size_t n)
{
    if (!range_ok(d, pa, n))
        return -1;
    memcpy(d->host + pa, buf, n);
    return 0;
}

void dram_discard(dram_t *d, uint64_t pa, uint64_t len)
{
    if (!range_ok(d, pa, len) || ((pa | len) & 0xfff))
        return;
    madvise(d->host + pa, len, MADV_DONTNEED);
}
