/* annot: the mm-annotation interface (guest/abi.h, docs/DEVICES.md). The guest kernel tells the
 * emulator what each physical frame is; the emulator keeps the last word about every frame in a
 * table (state, aux and owner per frame) that the visualizer and the frame reports read, and counts
 * the frames in each state (fs.frames.<state>).
 *
 * Each CPU has its own ring in guest memory (one producer, that CPU; one consumer, the emulator).
 * The machine drains every ring between rounds and at the end of the run, reading guest memory
 * directly (outside the memory model: annotations cost no simulated time). Entries are applied in
 * CPU order, ring by ring, so the table is deterministic; two CPUs annotating the same frame in
 * the same round is a guest race whose outcome is this order.
 *
 * The table is two host arrays reserved with MAP_NORESERVE, so a large guest costs host memory only
 * where it annotates.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu/fs.h"

static const char *const state_names[EMU_FRAME_NR_STATES] = {
    [EMU_FRAME_UNKNOWN] = "unknown",   [EMU_FRAME_FREE] = "free",       [EMU_FRAME_RESERVED] = "reserved",
    [EMU_FRAME_KERNEL] = "kernel",     [EMU_FRAME_MEMMAP] = "memmap",   [EMU_FRAME_SLAB] = "slab",
    [EMU_FRAME_PAGE_TABLE] = "page_table", [EMU_FRAME_VMALLOC] = "vmalloc", [EMU_FRAME_ANON] = "anon",
    [EMU_FRAME_FILE] = "file",         [EMU_FRAME_SWAPCACHE] = "swapcache", [EMU_FRAME_PCP] = "pcp",
};

static const char *const state_desc[EMU_FRAME_NR_STATES] = {
    [EMU_FRAME_UNKNOWN] = "Frames of RAM the guest has said nothing about",
    [EMU_FRAME_FREE] = "Frames free in the guest's buddy allocator",
    [EMU_FRAME_RESERVED] = "Frames reserved at boot",
    [EMU_FRAME_KERNEL] = "Frames of the kernel image, boot allocations, kernel stacks",
    [EMU_FRAME_MEMMAP] = "Frames holding struct page arrays",
    [EMU_FRAME_SLAB] = "Frames holding slabs",
    [EMU_FRAME_PAGE_TABLE] = "Frames holding paging structures",
    [EMU_FRAME_VMALLOC] = "Frames backing vmalloc areas",
    [EMU_FRAME_ANON] = "Frames of user anonymous memory",
    [EMU_FRAME_FILE] = "Frames of the page cache",
    [EMU_FRAME_SWAPCACHE] = "Frames in the swap cache",
    [EMU_FRAME_PCP] = "Frames on per-CPU page lists",
};

typedef struct annot_name {
    uint64_t id;
    uint32_t kind;
    char name[64];
} annot_name_t;

struct annot {
    machine_t *m;
    uint64_t nr_frames;
    uint16_t *state;          /* state | aux << 8 (aux is at most 255 as stored) */
    uint64_t *owner;
    size_t state_bytes, owner_bytes;
    struct {
        uint64_t pa;
        uint32_t nr;
        uint32_t dropped_seen;
    } *ring;
    annot_name_t *names;
    int nr_names, cap_names;
    struct emu_zone_info *zones; /* EMU_CALL_ZONE_INFO */
    int nr_zones;
    uint64_t frames[EMU_FRAME_NR_STATES];
    struct {
#define X(name, desc) uint64_t name;
        ANNOT_COUNTERS(X)
#undef X
    } st;
};

static void *reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

annot_t *annot_new(machine_t *m)
{
    annot_t *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->m = m;
    a->nr_frames = m->nr_frames;
    a->state_bytes = (a->nr_frames ? a->nr_frames : 1) * sizeof(uint16_t);
    a->owner_bytes = (a->nr_frames ? a->nr_frames : 1) * sizeof(uint64_t);
    a->state = reserve(a->state_bytes);
    a->owner = reserve(a->owner_bytes);
    a->ring = calloc((size_t)m->nr_cpus, sizeof(*a->ring));
    if (!a->state || !a->owner || !a->ring) {
        annot_free(a);
        return NULL;
    }
    /* Every frame of RAM starts unknown. */
    for (int n = 0; n < dram_nr_nodes(m->dram); n++)
        a->frames[EMU_FRAME_UNKNOWN] += dram_node_size(m->dram, n) >> 12;
    return a;
}

void annot_free(annot_t *a)
{
    if (!a)
        return;
    if (a->state)
        munmap(a->state, a->state_bytes);
    if (a->owner)
        munmap(a->owner, a->owner_bytes);
    free(a->ring);
    free(a->names);
    free(a->zones);
    free(a);
}

/* [pa, pa + len) lies inside one node of RAM. */
static int in_ram(const dram_t *d, uint64_t pa, uint64_t len)
{
    if (len == 0 || pa + len < pa)
        return 0;
    int n = dram_node_of(d, pa);
    return n >= 0 && dram_node_of(d, pa + len - 1) == n;
}

int annot_set_ring(annot_t *a, int cpu, uint64_t pa, uint64_t nr)
{
    if (cpu < 0 || cpu >= a->m->nr_cpus)
        return EMU_EINVAL;
    if (pa == 0) {
        annot_drain(a);
        a->ring[cpu].pa = 0;
        a->ring[cpu].nr = 0;
        return 0;
    }
    if (pa == a->ring[cpu].pa) {
        annot_drain(a); /* the guest asks for its full ring to be consumed now */
        return 0;
    }
    if ((pa & 0xfff) || nr == 0 || (nr & (nr - 1)) || nr > (1u << 24) ||
        !in_ram(a->m->dram, pa, sizeof(struct emu_annot_ring) + nr * sizeof(struct emu_annot)))
        return EMU_EINVAL;
    annot_drain(a);
    a->ring[cpu].pa = pa;
    a->ring[cpu].nr = (uint32_t)nr;
    struct emu_annot_ring *r = (struct emu_annot_ring *)dram_host(a->m->dram, pa);
    a->ring[cpu].dropped_seen = r->dropped;
    r->tail = r->head; /* entries written before registration are not ours to read */
    return 0;
}

int annot_set_name(annot_t *a, uint64_t id, uint32_t kind, const char *name)
{
    if (id == 0 || kind < EMU_OWNER_SLAB_CACHE || kind > EMU_OWNER_FILE)
        return EMU_EINVAL;
    annot_name_t *e = NULL;
    for (int k = 0; k < a->nr_names; k++)
        if (a->names[k].id == id)
            e = &a->names[k];
    if (!e) {
        if (a->nr_names == a->cap_names) {
            int cap = a->cap_names ? 2 * a->cap_names : 64;
            annot_name_t *n = realloc(a->names, (size_t)cap * sizeof(*n));
            if (!n)
                return EMU_EINVAL;
            a->names = n;
            a->cap_names = cap;
        }
        e = &a->names[a->nr_names++];
        e->id = id;
    }
    e->kind = kind;
    snprintf(e->name, sizeof(e->name), "%s", name);
    return 0;
}

const char *annot_owner_name(const annot_t *a, uint64_t id)
{
    for (int k = 0; k < a->nr_names; k++)
        if (a->names[k].id == id)
            return a->names[k].name;
    return NULL;
}

const char *annot_name_at(const annot_t *a, int k, uint64_t *id, uint32_t *kind)
{
    if (k < 0 || k >= a->nr_names)
        return NULL;
    *id = a->names[k].id;
    *kind = a->names[k].kind;
    return a->names[k].name;
}

int annot_set_zones(annot_t *a, uint64_t pa, uint64_t nr)
{
    size_t bytes = (size_t)nr * sizeof(struct emu_zone_info);
    if (nr > EMU_MAX_ZONES || (nr && !in_ram(a->m->dram, pa, bytes)))
        return EMU_EINVAL;
    const struct emu_zone_info *g = nr ? (const struct emu_zone_info *)dram_host(a->m->dram, pa) : NULL;
    for (uint64_t k = 0; k < nr; k++)
        if (g[k].type > EMU_ZONE_TYPE_MOVABLE || g[k].start_pfn + g[k].spanned_pages < g[k].start_pfn)
            return EMU_EINVAL;
    struct emu_zone_info *z = nr ? malloc(bytes) : NULL;
    if (nr && !z)
        return EMU_EINVAL;
    if (nr)
        memcpy(z, g, bytes);
    free(a->zones);
    a->zones = z;
    a->nr_zones = (int)nr;
    return 0;
}

const struct emu_zone_info *annot_zones(const annot_t *a, int *nr)
{
    *nr = a->nr_zones;
    return a->zones;
}

static void apply(annot_t *a, const struct emu_annot *e)
{
    if (e->state >= EMU_FRAME_NR_STATES || e->nr_pages == 0 || e->pfn >= a->nr_frames ||
        e->nr_pages > a->nr_frames - e->pfn || !in_ram(a->m->dram, e->pfn << 12, (uint64_t)e->nr_pages << 12)) {
        a->st.bad++;
        return;
    }
    uint16_t v = (uint16_t)(e->state | (e->aux > 255 ? 255 : e->aux) << 8);
    for (uint64_t f = e->pfn; f < e->pfn + e->nr_pages; f++) {
        a->frames[a->state[f] & 0xff]--;
        a->frames[e->state]++;
        a->state[f] = v;
        a->owner[f] = e->owner;
    }
    a->st.entries++;
}

void annot_drain(annot_t *a)
{
    for (int cpu = 0; cpu < a->m->nr_cpus; cpu++) {
        if (!a->ring[cpu].pa)
            continue;
        struct emu_annot_ring *r = (struct emu_annot_ring *)dram_host(a->m->dram, a->ring[cpu].pa);
        uint32_t nr = a->ring[cpu].nr, head = r->head, tail = r->tail;
        if (head - tail > nr) {
            a->st.bad += head - tail; /* the guest overran its own ring: skip to its head */
            tail = head;
        }
        for (; tail != head; tail++) {
            struct emu_annot e;
            memcpy(&e, &r->entries[tail & (nr - 1)], sizeof(e));
            apply(a, &e);
        }
        r->tail = tail;
        uint32_t d = r->dropped;
        a->st.dropped += (uint32_t)(d - a->ring[cpu].dropped_seen);
        a->ring[cpu].dropped_seen = d;
    }
}

void annot_frame(const annot_t *a, uint64_t pfn, int *state, int *aux, uint64_t *owner)
{
    if (pfn >= a->nr_frames) {
        *state = EMU_FRAME_UNKNOWN;
        *aux = 0;
        *owner = 0;
        return;
    }
    *state = a->state[pfn] & 0xff;
    *aux = a->state[pfn] >> 8;
    *owner = a->owner[pfn];
}

void annot_register_counters(annot_t *a, counters_t *ctrs)
{
#define X(name, desc) counters_add(ctrs, &a->st.name, desc, "fs.annot.%s", #name);
    ANNOT_COUNTERS(X)
#undef X
    for (int s = 0; s < EMU_FRAME_NR_STATES; s++) {
        counters_add(ctrs, &a->frames[s], state_desc[s], "fs.frames.%s", state_names[s]);
        char n[64];
        snprintf(n, sizeof(n), "fs.frames.%s", state_names[s]);
        counters_set_live(ctrs, n); /* gauges: neither reset nor frozen */
    }
}

void annot_list_counters(FILE *f)
{
#define X(name, desc) fprintf(f, "fs.annot.%-19s %s\n", #name, desc);
    ANNOT_COUNTERS(X)
#undef X
    for (int s = 0; s < EMU_FRAME_NR_STATES; s++)
        fprintf(f, "fs.frames.%-18s %s\n", state_names[s], state_desc[s]);
}
