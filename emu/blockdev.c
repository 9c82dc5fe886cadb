/* blockdev: the block device of full-system mode (guest/abi.h, docs/DEVICES.md), backed by a host
 * file (--disk=FILE), for swap and, later, a disk.
 *
 * Timing, on the virtual clock: a request submitted at time t starts its transfer when the device
 * has finished the transfers before it (one transfer at a time, at disk.bandwidth_mbs), and
 * completes disk.latency_us after its transfer ends; so requests queue behind each other's
 * transfers and overlap their latencies, as on an NVMe device with several commands in flight.
 * At completion, and only then, the data moves (DMA) between the file and guest memory, `status`
 * is written and the completion interrupt is requested on the chosen CPU. Because everything is on
 * the virtual clock, what the guest sees does not depend on the host's disk speed or on any
 * latency of the memory model.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/fs.h"

typedef struct blk_inflight {
    uint64_t req_pa;
    struct emu_blk_req req;
    uint64_t done_at;
    uint64_t seq;
} blk_inflight_t;

struct blkdev {
    machine_t *m;
    int fd;
    int read_only;
    uint64_t sectors;
    int vector, cpu;
    uint64_t busy_until;
    uint64_t lat_ticks;
    double ticks_per_byte;
    uint64_t seq;
    int n;
    blk_inflight_t q[EMU_BLK_QUEUE]; /* sorted by (done_at, seq) */
    struct {
#define X(name, desc) uint64_t name;
        BLK_COUNTERS(X)
#undef X
    } st;
};

blkdev_t *blk_new(machine_t *m, const char *path, char *err, size_t errlen)
{
    blkdev_t *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    b->m = m;
    b->fd = open(path, O_RDWR | O_CLOEXEC);
    if (b->fd < 0 && (errno == EACCES || errno == EROFS)) {
        b->fd = open(path, O_RDONLY | O_CLOEXEC);
        b->read_only = 1;
    }
    struct stat st;
    if (b->fd < 0 || fstat(b->fd, &st) < 0) {
        snprintf(err, errlen, "--disk %s: %s", path, strerror(errno));
        blk_free(b);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        snprintf(err, errlen, "--disk %s: not a regular file", path);
        blk_free(b);
        return NULL;
    }
    b->sectors = (uint64_t)st.st_size / EMU_BLK_SECTOR;
    uint64_t hz = (uint64_t)config_get(&m->cfg, CFG_machine_clock_hz);
    b->lat_ticks = (uint64_t)config_get(&m->cfg, CFG_disk_latency_us) * hz / 1000000u;
    b->ticks_per_byte = (double)hz / ((double)config_get(&m->cfg, CFG_disk_bandwidth_mbs) * 1e6);
    return b;
}

void blk_free(blkdev_t *b)
{
    if (!b)
        return;
    if (b->fd >= 0)
        close(b->fd);
    free(b);
}

uint64_t blk_sectors(const blkdev_t *b) { return b->sectors; }

int blk_setup(blkdev_t *b, uint64_t vector, uint64_t cpu)
{
    if ((vector != 0 && (vector < 32 || vector > 255)) || cpu >= (uint64_t)b->m->nr_cpus)
        return EMU_EINVAL;
    b->vector = (int)vector;
    b->cpu = (int)cpu;
    return 0;
}

int blk_submit(blkdev_t *b, uint64_t req_pa, uint64_t now)
{
    if (b->n == EMU_BLK_QUEUE)
        return EMU_EBUSY;
    blk_inflight_t r = {.req_pa = req_pa, .seq = b->seq++};
    if (dram_read(b->m->dram, req_pa, &r.req, sizeof(r.req)) < 0)
        return EMU_EINVAL;
    uint64_t bytes = (uint64_t)r.req.nr_sectors * EMU_BLK_SECTOR;
    if (r.req.op > EMU_BLK_WRITE || r.req.nr_sectors == 0)
        return EMU_EINVAL;
    uint64_t start = now > b->busy_until ? now : b->busy_until;
    uint64_t xfer = (uint64_t)((double)bytes * b->ticks_per_byte + 0.5);
    b->busy_until = start + xfer;
    b->st.busy_ticks += xfer;
    r.done_at = start + xfer + b->lat_ticks;
    /* Insert in (done_at, seq) order. */
    int k = b->n;
    while (k > 0 && b->q[k - 1].done_at > r.done_at) {
        b->q[k] = b->q[k - 1];
        k--;
    }
    b->q[k] = r;
    b->n++;
    uint32_t pending = EMU_BLK_PENDING;
    dram_write(b->m->dram, req_pa + offsetof(struct emu_blk_req, status), &pending, sizeof(pending));
    return 0;
}

uint64_t blk_next_event(const blkdev_t *b) { return b->n ? b->q[0].done_at : UINT64_MAX; }

/* Move the data of one request; returns EMU_BLK_OK or EMU_BLK_ERROR. */
static uint32_t transfer(blkdev_t *b, const struct emu_blk_req *q)
{
    machine_t *m = b->m;
    uint64_t bytes = (uint64_t)q->nr_sectors * EMU_BLK_SECTOR;
    int node = dram_node_of(m->dram, q->buf_pa);
    if (q->sector > b->sectors || q->nr_sectors > b->sectors - q->sector || node < 0 ||
        q->buf_pa + bytes < q->buf_pa || dram_node_of(m->dram, q->buf_pa + bytes - 1) != node)
        return EMU_BLK_ERROR;
    uint8_t *host = dram_host(m->dram, q->buf_pa);
    off_t off = (off_t)(q->sector * EMU_BLK_SECTOR);
    if (q->op == EMU_BLK_READ) {
        ssize_t got = pread(b->fd, host, bytes, off);
        if (got < 0)
            return EMU_BLK_ERROR;
        if ((uint64_t)got < bytes)
            memset(host + got, 0, bytes - (uint64_t)got);
        /* DMA into frames that hold decoded code drops it, as a store would. */
        for (uint64_t pa = q->buf_pa & ~0xfffull; pa < q->buf_pa + bytes; pa += 4096)
            if (machine_frame_has_code(m, pa))
                machine_code_written(m, pa);
        b->st.reads++;
        b->st.sectors_read += q->nr_sectors;
    } else {
        if (b->read_only || pwrite(b->fd, host, bytes, off) != (ssize_t)bytes)
            return EMU_BLK_ERROR;
        b->st.writes++;
        b->st.sectors_written += q->nr_sectors;
    }
    return EMU_BLK_OK;
}

void blk_advance(blkdev_t *b, uint64_t now)
{
    machine_t *m = b->m;
    while (b->n && b->q[0].done_at <= now) {
        blk_inflight_t r = b->q[0];
        memmove(&b->q[0], &b->q[1], (size_t)(b->n - 1) * sizeof(b->q[0]));
        b->n--;
        uint32_t status = transfer(b, &r.req);
        if (status == EMU_BLK_ERROR)
            b->st.errors++;
        dram_write(m->dram, r.req_pa + offsetof(struct emu_blk_req, status), &status, sizeof(status));
        if (b->vector && m->fs->cpu[b->cpu].started)
            cpu_raise_interrupt(m->cpus[b->cpu], b->vector);
    }
}

void blk_register_counters(blkdev_t *b, counters_t *ctrs)
{
#define X(name, desc) counters_add(ctrs, &b->st.name, desc, "blk.%s", #name);
    BLK_COUNTERS(X)
#undef X
}
