/* se_mm: the SE-mode process's memory: physical frames, page tables, VMAs and the memory system
 * calls (mmap, munmap, mprotect, mremap, madvise, brk, mbind), NUMA placement and page migration.
 *
 * Frames. One bit per 4 KiB frame of guest physical memory; holes between nodes and frame 0 are
 * marked used once at start. The memory policy chooses the node ("NUMA placement" below); inside
 * it an allocation takes the lowest-numbered free frame, so a node fills from its bottom and a
 * freed frame is the next one reused; the search starts at a per-node hint below which every frame
 * is known to be in use. The placement is deterministic by construction (no host state enters it).
 * Frames are zeroed when allocated, never when freed.
 *
 * Page tables. Genuine x86-64 paging structures in guest memory: the top table (PML4, or PML5 with
 * machine.paging_levels=5) is allocated at start and CR3 points at it; lower tables are allocated
 * when a leaf below them is first set and freed when munmap/mremap/madvise leaves them empty.
 * Intermediate entries are P|RW|US (permissions live in the leaf, as Linux does it); a leaf is
 * P|US plus RW for a writable VMA and NX for a non-executable one. Accessed and dirty bits are
 * set by the MMU walk and preserved by mprotect. A PROT_NONE page keeps its frame in a
 * non-present PTE marked PTE_SW_PROTNONE, so mprotect back to readable finds its data again.
 * Every change to an existing leaf is followed by a flush of that page on every CPU (or a full
 * flush when a range operation changed many pages).
 *
 * VMAs. A sorted array of non-overlapping [start, end) ranges with prot, flags, an optional file
 * (private file mappings are filled from the file on first touch; bytes at file offsets at or
 * beyond file_lim read as zero, which is how an ELF segment's bss tail is made), split on partial
 * munmap/mprotect/mremap/mbind and merged with a neighbour when every attribute matches.
 *
 * Demand paging. Nothing is allocated by mmap or brk. The first access to a page faults; the
 * fault handler finds the VMA, checks the access against its protection (a read is allowed by
 * any of PROT_READ/WRITE/EXEC, as on x86), allocates a zeroed frame, fills it from the file for a
 * file mapping and installs the PTE. A page of a file mapping lying wholly beyond the end of the
 * file raises SIGBUS, as Linux does.
 *
 * Huge pages. Two kinds, as in Linux. Transparent huge pages (THP) for private anonymous memory:
 * with se.thp=always for every such VMA, with se.thp=madvise (the default) for those marked by
 * madvise(MADV_HUGEPAGE), never for those marked MADV_NOHUGEPAGE. A first-touch fault whose 2 MiB-
 * aligned range lies wholly inside such a VMA, with nothing mapped there yet, maps the whole range
 * with one PDE with PS, over a 2 MiB-aligned run of 512 free frames (the lowest one, inside one
 * node); when no run is free it falls back to a 4 KiB page, as Linux does (se.thp_fallbacks). Each
 * THP leaf carries PTE_SW_THP and has one page-table frame deposited for it at fault time, so that
 * splitting it never allocates: whatever would leave part of a THP outside what it operates on (a
 * VMA boundary created inside it by munmap, mprotect, mremap, mbind or madvise; a partial
 * MADV_DONTNEED; an mremap to a differently aligned address) first splits it into 512 PTEs over
 * the same frames with the same bits (Linux's split_huge_pmd), which keeps the data. A whole THP is
 * unmapped, protected or moved as one entry. MAP_HUGETLB mappings (2 MiB, or 1 GiB with
 * MAP_HUGE_1GB) are always mapped with huge pages of their size and are never split: unaligned
 * munmap/mprotect/mbind boundaries inside them fail with EINVAL, as they do on Linux; there is no
 * reserved pool, so a fault that finds no free aligned run raises SIGBUS (Linux's behaviour when
 * the pool is exhausted). Changing or removing a huge leaf flushes every CPU's translations fully
 * (the functional translation caches hold 4 KiB pages); a split flushes the page it splits.
 *
 * Address-space layout (docs/SE.md): the stack ends at 0x7ffffffff000; mmap hands out addresses
 * top-down below se.mmap_base (falling back to the space above it), never above 47 bits unless a
 * hint asks for it with 5-level paging; brk starts after the executable's last segment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/emu.h"
#include "emu/memsys.h"
#include "emu/se_int.h"

/* ---- frames ------------------------------------------------------------------------------------ */

static inline uint64_t *host64(const se_proc_t *se, uint64_t pa)
{
    return (uint64_t *)(void *)dram_host(se->dram, pa);
}

static inline int frame_is_used(const se_proc_t *se, uint64_t idx)
{
    return (se->frame_used[idx >> 6] >> (idx & 63)) & 1;
}

static inline void frame_set(se_proc_t *se, uint64_t idx, int used)
{
    if (used)
        se->frame_used[idx >> 6] |= 1ull << (idx & 63);
    else
        se->frame_used[idx >> 6] &= ~(1ull << (idx & 63));
}

/* ---- NUMA placement ------------------------------------------------------------------------------
 *
 * Each node's frames are a contiguous range of the bitmap; inside a node an allocation takes the
 * lowest free frame (or the lowest free aligned run for a huge page), as before. Which node is
 * tried first, and which may serve at all, is the memory policy's choice, the way Linux's
 * alloc_pages_vma()/vma_alloc_folio() make it (mm/mempolicy.c, 6.1):
 *
 *   policy                    first choice                      may fall back to
 *   default (no policy), local  the CPU's node (se.cpu)           every node, nearest first
 *   preferred                 its node                          every node, nearest to it first
 *   preferred_many            the nearest of its nodes          its other nodes, then every node
 *   bind                      the nearest of its nodes          its other nodes only (else OOM)
 *   interleave                the node at the page's offset     every node, nearest to it first
 *
 * "Nearest" is the zonelist order of Linux's build_zonelists(): nodes by SLIT distance from the
 * node, a node numbered above it before one below at equal distance, then by number. A page fault
 * interleaves by the page's offset in its mapping (vm_pgoff + index: the virtual page number for
 * anonymous memory), in units of the page size, for a VMA policy and for the task policy alike, as
 * Linux's interleave_nid() does; an allocation without a VMA (a page table under se.pt_node=task)
 * takes the task's nodes round robin (interleave_nodes(), il_prev).
 *
 * Every allocation counts in numastat's counters per node (zone_statistics()): numa_hit on the
 * node that served when it is the first choice, else numa_miss there and numa_foreign on the first
 * choice; local_node or other_node by the CPU's node; interleave_hit once per interleaved
 * allocation that got its target. Counts are in 4 KiB frames (a 2 MiB page counts 512).
 */

int se_node_of(const se_proc_t *se, uint64_t pa)
{
    uint64_t f = pa >> 12;
    for (int n = 0; n < se->nr_nodes; n++)
        if (f >= se->node[n].first && f < se->node[n].end)
            return n;
    return -1;
}

/* The lowest free frame of node n, or 0. */
static uint64_t node_alloc_frame(se_proc_t *se, int n)
{
    se_node_t *nd = &se->node[n];
    if (!nd->free)
        return 0;
    uint64_t idx0 = nd->hint > nd->first ? nd->hint : nd->first;
    uint64_t last_word = (nd->end + 63) / 64;
    for (uint64_t w = idx0 >> 6; w < last_word; w++) {
        uint64_t free_bits = ~se->frame_used[w];
        if (w == idx0 >> 6)
            free_bits &= ~0ull << (idx0 & 63);
        if (!free_bits)
            continue;
        uint64_t idx = w * 64 + (uint64_t)__builtin_ctzll(free_bits);
        if (idx >= nd->end)
            break;
        frame_set(se, idx, 1);
        nd->hint = idx + 1;
        nd->free--;
        se->frames_free--;
        se->st.frames_allocated++;
        uint64_t pa = idx << 12;
        memset(dram_host(se->dram, pa), 0, SE_PAGE);
        return pa;
    }
    nd->hint = nd->end;
    return 0;
}

/* Runs of frames for huge pages. The bitmap is scanned a whole aligned block at a time (a block of
 * 512 frames is 8 words), from the block holding the node's hint upwards: the lowest aligned block
 * of the node with every frame free wins, so the choice is as deterministic as single frames. The
 * memory is zeroed by giving it back to the host (dram_discard), which costs the host nothing until
 * the guest touches it. */
static uint64_t node_alloc_run(se_proc_t *se, int n, uint64_t bytes)
{
    uint64_t cnt = bytes >> 12;
    if (cnt < 64 || (cnt & (cnt - 1)))
        return 0; /* only whole bitmap words: 256 KiB and up (2 MiB and 1 GiB are what is used) */
    se_node_t *nd = &se->node[n];
    if (nd->free < cnt)
        return 0;
    uint64_t words = cnt / 64;
    uint64_t from = nd->hint > nd->first ? nd->hint : nd->first;
    for (uint64_t f = ((from + cnt - 1) / cnt) * cnt; f + cnt <= nd->end; f += cnt) {
        uint64_t w0 = f >> 6, j = 0;
        while (j < words && !se->frame_used[w0 + j])
            j++;
        if (j < words)
            continue;
        memset(&se->frame_used[w0], 0xff, words * sizeof(uint64_t));
        nd->free -= cnt;
        se->frames_free -= cnt;
        se->st.frames_allocated += cnt;
        dram_discard(se->dram, f << 12, bytes);
        return f << 12;
    }
    return 0;
}

static uint64_t node_alloc(se_proc_t *se, int n, uint64_t bytes)
{
    return bytes == SE_PAGE ? node_alloc_frame(se, n) : node_alloc_run(se, n, bytes);
}

/* The n-th node (from 0) of mask, counting modulo its weight (Linux's offset_il_node). */
static int nth_node(uint64_t mask, uint64_t n)
{
    int w = __builtin_popcountll(mask);
    if (!w)
        return -1;
    n %= (uint64_t)w;
    while (n--)
        mask &= mask - 1;
    return __builtin_ctzll(mask);
}

/* The node after `prev` in mask, wrapping (Linux's next_node_in). */
static int next_node_in(int prev, uint64_t mask)
{
    if (!mask)
        return -1;
    uint64_t above = prev + 1 >= 64 ? 0 : mask & (~0ull << (prev + 1));
    return __builtin_ctzll(above ? above : mask);
}

int se_nearest_node(const se_proc_t *se, uint64_t mask)
{
    for (int i = 0; i < se->nr_nodes; i++) {
        int n = se->node[se->local_node].order[i];
        if ((mask >> n) & 1)
            return n;
    }
    return -1;
}

/* Interleave by offset: the page's index in its mapping, in units of `bytes` (interleave_nid()). */
static uint64_t il_offset(const se_vma_t *v, uint64_t va, uint64_t bytes)
{
    int shift = __builtin_ctzll(bytes);
    uint64_t pgoff = v->file ? v->pgoff >> 12 : v->start >> 12;
    return (pgoff >> (shift - 12)) + ((va - v->start) >> shift);
}

/* Where an allocation goes. */
typedef struct placement {
    int first;         /* the first choice (numastat's preferred zone) */
    int from;          /* fall back in the order of this node */
    uint64_t allowed;  /* the nodes that may serve */
    uint64_t then;     /* PREFERRED_MANY: the nodes tried after `allowed` */
    int il;            /* an interleave allocation aiming at `first` */
} placement_t;

/* The placement for policy pol (NULL or DEFAULT: local); v and va give the interleave offset (v
 * NULL: round robin, advancing il_prev unless peek). */
static placement_t place(se_proc_t *se, const se_mpol_t *pol, const se_vma_t *v, uint64_t va, uint64_t bytes,
                         int peek)
{
    uint64_t all = se->nr_nodes >= 64 ? ~0ull : (1ull << se->nr_nodes) - 1;
    placement_t p = {.first = se->local_node, .from = se->local_node, .allowed = all};
    int mode = pol ? pol->mode : SE_MPOL_DEFAULT;
    switch (mode) {
    case SE_MPOL_PREFERRED:
        p.first = p.from = __builtin_ctzll(pol->nodes);
        break;
    case SE_MPOL_BIND:
        p.allowed = pol->nodes;
        p.first = se_nearest_node(se, pol->nodes);
        break;
    case SE_MPOL_PREFERRED_MANY:
        p.allowed = pol->nodes;
        p.then = all & ~pol->nodes;
        p.first = se_nearest_node(se, pol->nodes);
        break;
    case SE_MPOL_INTERLEAVE: {
        int nid;
        if (v) {
            nid = nth_node(pol->nodes, il_offset(v, va, bytes));
        } else {
            nid = next_node_in(se->il_prev, pol->nodes);
            if (!peek)
                se->il_prev = nid;
        }
        p.first = p.from = nid;
        p.il = 1;
        break;
    }
    default: /* DEFAULT, LOCAL */
        break;
    }
    return p;
}

/* Allocate under placement p; account numastat. */
static uint64_t alloc_placed(se_proc_t *se, const placement_t *p, uint64_t bytes)
{
    uint64_t pa = 0;
    int got = -1, pref = p->first;
    const int *order = se->node[p->from].order;
    for (int i = 0; i < se->nr_nodes && !pa; i++)
        if ((p->allowed >> order[i]) & 1 && (pa = node_alloc(se, order[i], bytes)))
            got = order[i];
    if (!pa && p->then) {
        /* PREFERRED_MANY's second attempt: any node, from the local node's list. */
        pref = se->local_node;
        order = se->node[se->local_node].order;
        for (int i = 0; i < se->nr_nodes && !pa; i++)
            if ((p->then >> order[i]) & 1 && (pa = node_alloc(se, order[i], bytes)))
                got = order[i];
    }
    if (!pa)
        return 0;
    uint64_t cnt = bytes >> 12;
    if (got == pref) {
        se->nst[got].numa_hit += cnt;
        se->st.numa_hit += cnt;
    } else {
        se->nst[got].numa_miss += cnt;
        se->nst[pref].numa_foreign += cnt;
        se->st.numa_miss += cnt;
        se->st.numa_foreign += cnt;
    }
    if (got == se->local_node) {
        se->nst[got].local_node += cnt;
        se->st.local_node += cnt;
    } else {
        se->nst[got].other_node += cnt;
        se->st.other_node += cnt;
    }
    if (p->il && got == p->first) {
        se->nst[got].interleave_hit++;
        se->st.interleave_hit++;
    }
    se->nst[got].frames += cnt;
    return pa;
}

/* The policy that governs an allocation for VMA v (NULL: none): its own, else the task's. */
static const se_mpol_t *policy_of(const se_proc_t *se, const se_vma_t *v)
{
    if (v && v->mpol.mode != SE_MPOL_DEFAULT)
        return &v->mpol;
    return &se->mpol;
}

uint64_t se_alloc_policy(se_proc_t *se, const se_vma_t *v, uint64_t va, uint64_t bytes)
{
    const se_mpol_t *pol = policy_of(se, v);
    placement_t p = place(se, pol, v, va, bytes, 0);
    uint64_t pa = alloc_placed(se, &p, bytes);
    if (!pa && bytes == SE_PAGE) {
        se->oom = 1;
        se->oom_bind = pol->mode == SE_MPOL_BIND;
    }
    return pa;
}

uint64_t se_alloc_table(se_proc_t *se, uint64_t va)
{
    placement_t p;
    const se_mpol_t *pol = NULL;
    if (se->pt_node >= 0) {
        uint64_t all = se->nr_nodes >= 64 ? ~0ull : (1ull << se->nr_nodes) - 1;
        p = (placement_t){.first = se->pt_node, .from = se->pt_node, .allowed = all};
    } else if (se->pt_node == SE_PT_LOCAL) {
        p = place(se, NULL, NULL, 0, SE_PAGE, 0);
    } else if (se->pt_node == SE_PT_TASK) {
        pol = &se->mpol;
        p = place(se, pol, NULL, 0, SE_PAGE, 0);
    } else {
        /* As the data page at va will be placed (an interleave round robin is not advanced). */
        const se_vma_t *v = se->nr_vmas ? se_find_vma(se, va) : NULL;
        pol = policy_of(se, v);
        p = place(se, pol, v, SE_PAGE_DOWN(va), SE_PAGE, 1);
    }
    p.il = 0; /* a table is not an interleave hit */
    uint64_t pa = alloc_placed(se, &p, SE_PAGE);
    if (!pa) {
        se->oom = 1;
        se->oom_bind = pol && pol->mode == SE_MPOL_BIND;
    } else {
        se->nst[se_node_of(se, pa)].page_tables++;
    }
    return pa;
}

/* A page-table frame (or a THP's deposited one) is no longer needed. */
static void free_table(se_proc_t *se, uint64_t pa)
{
    int n = se_node_of(se, pa);
    if (n >= 0)
        se->nst[n].page_tables--;
    se_frame_free(se, pa);
    se->st.page_table_pages--;
}

/* The default policy's frame: local first, then every node (what the unit tests call). */
uint64_t se_frame_alloc(se_proc_t *se)
{
    placement_t p = place(se, NULL, NULL, 0, SE_PAGE, 0);
    uint64_t pa = alloc_placed(se, &p, SE_PAGE);
    if (!pa)
        se->oom = 1;
    return pa;
}

uint64_t se_frame_alloc_run(se_proc_t *se, uint64_t bytes)
{
    placement_t p = place(se, NULL, NULL, 0, bytes, 0);
    return alloc_placed(se, &p, bytes);
}

void se_frame_free_run(se_proc_t *se, uint64_t pa, uint64_t bytes)
{
    for (uint64_t off = 0; off < bytes; off += SE_PAGE)
        se_frame_free(se, pa + off);
}

void se_frame_free(se_proc_t *se, uint64_t pa)
{
    uint64_t idx = pa >> 12;
    int n = se_node_of(se, pa);
    if (idx == 0 || idx >= se->nr_frames || n < 0 || !frame_is_used(se, idx)) {
        emu_msg("internal error: freeing frame 0x%llx that is not allocated", (unsigned long long)pa);
        return;
    }
    /* Decoded code keyed by this frame must not survive its reuse. */
    if (se->m && machine_frame_has_code(se->m, pa))
        machine_code_written(se->m, pa);
    frame_set(se, idx, 0);
    se_node_t *nd = &se->node[n];
    if (idx < nd->hint)
        nd->hint = idx;
    nd->free++;
    se->nst[n].frames--;
    se->frames_free++;
    se->st.frames_freed++;
}

/* ---- flushing ---------------------------------------------------------------------------------- */

void se_flush(se_proc_t *se, uint64_t va, uint64_t npages)
{
    machine_t *m = se->m;
    if (!m || !m->cpus || !npages)
        return;
    for (int i = 0; i < m->nr_cpus; i++) {
        cpu_t *c = m->cpus[i];
        if (!c)
            continue;
        if (npages > 32) {
            cpu_flush_tlb(c);
        } else {
            for (uint64_t p = 0; p < npages; p++)
                cpu_flush_page(c, va + p * SE_PAGE);
        }
    }
}

/* Flush bookkeeping for range operations: flush the first few pages one by one, then once fully. */
typedef struct flushq {
    uint64_t n;
    int full;
} flushq_t;

static void flushq_page(se_proc_t *se, flushq_t *q, uint64_t va)
{
    if (q->full)
        return;
    if (++q->n > 32) {
        q->full = 1;
        return;
    }
    se_flush(se, va, 1);
}

/* A huge leaf at va of the given size changed: one INVLPG-like flush of the whole page (the
 * translation caches hold its 4 KiB pieces; cpu_flush_range drops them all), as Linux's
 * flush_tlb_range does with a huge-page stride; past 32 flushes, one full flush. */
static void flushq_huge(se_proc_t *se, flushq_t *q, uint64_t va, uint64_t size)
{
    if (q->full)
        return;
    if (++q->n > 32) {
        q->full = 1;
        return;
    }
    machine_t *m = se->m;
    if (!m || !m->cpus)
        return;
    for (int i = 0; i < m->nr_cpus; i++)
        if (m->cpus[i])
            cpu_flush_range(m->cpus[i], va & ~(size - 1), size, size);
}

static void flushq_done(se_proc_t *se, flushq_t *q)
{
    if (q->full)
        se_flush(se, 0, ~0ull);
    q->n = 0;
    q->full = 0;
}

/* ---- page tables ------------------------------------------------------------------------------- */

mmu_ctx_t se_mmu_ctx(const se_proc_t *se)
{
    mmu_ctx_t ctx = {.cr3 = se->cr3, .levels = se->levels, .user = 1, .wp = 1, .nxe = 1};
    return ctx;
}

static inline int top_shift(const se_proc_t *se) { return se->levels == 5 ? 48 : 39; }

static uint64_t task_limit(const se_proc_t *se) { return se->levels == 5 ? SE_TASK_SIZE_LA57 : SE_TASK_SIZE; }

/* Leaf bits for a VMA protection (frame address not included). */
static uint64_t prot_pte_bits(int prot)
{
    if (!(prot & (SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC)))
        return PTE_SW_PROTNONE;
    uint64_t e = PTE_P | PTE_US;
    if (prot & SE_PROT_WRITE)
        e |= PTE_RW;
    if (!(prot & SE_PROT_EXEC))
        e |= PTE_NX;
    return e;
}

/* Leaf bits of a huge page of a VMA with protection prot (thp: a transparent huge page). */
static uint64_t huge_pte_bits(int prot, int thp)
{
    return prot_pte_bits(prot) | PTE_PS | (thp ? PTE_SW_THP : 0);
}

/* True when e, an entry of a table whose entries span 1 << shift bytes, is a huge leaf (PS set;
 * present, or a PROT_NONE page keeping its frames). Table pointers never have PS. */
static inline int huge_leaf(uint64_t e, int shift)
{
    return shift > 12 && (e & PTE_PS) && (e & (PTE_P | PTE_SW_PROTNONE));
}

/* Physical address of the first frame of the leaf e mapping size bytes (PAT, bit 12 of a huge
 * leaf, is never set). */
static inline uint64_t leaf_pa(uint64_t e, uint64_t size) { return e & PTE_ADDR_MASK & ~(size - 1); }

/* Point the empty entry e at a fresh zeroed table for mappings at va (placed by se.pt_node). 0, or
 * -1 when memory is full (se->oom). */
static int new_table(se_proc_t *se, uint64_t *e, uint64_t va)
{
    uint64_t f = se_alloc_table(se, va);
    if (!f)
        return -1;
    se->st.page_table_pages++;
    *e = f | PTE_P | PTE_RW | PTE_US;
    return 0;
}

uint64_t *se_pte_size(se_proc_t *se, uint64_t va, int alloc, uint64_t *size)
{
    uint64_t table = se->cr3;
    for (int shift = top_shift(se); shift > 12; shift -= 9) {
        uint64_t *e = host64(se, table) + ((va >> shift) & 511);
        if (huge_leaf(*e, shift)) {
            if (size)
                *size = 1ull << shift;
            return e;
        }
        if (!(*e & PTE_P)) {
            if (!alloc || new_table(se, e, va) < 0)
                return NULL;
        }
        table = *e & PTE_ADDR_MASK;
    }
    if (size)
        *size = SE_PAGE;
    return host64(se, table) + ((va >> 12) & 511);
}

/* The entry of the table level whose entries span 1 << leaf_shift bytes (21: the PDE, 30: the
 * PDPTE) for va, allocating the tables above it when alloc. NULL when memory is full, or when a
 * huge leaf above that level maps va. */
static uint64_t *entry_at(se_proc_t *se, uint64_t va, int leaf_shift, int alloc)
{
    uint64_t table = se->cr3;
    for (int shift = top_shift(se);; shift -= 9) {
        uint64_t *e = host64(se, table) + ((va >> shift) & 511);
        if (shift == leaf_shift)
            return e;
        if (huge_leaf(*e, shift))
            return NULL;
        if (!(*e & PTE_P)) {
            if (!alloc || new_table(se, e, va) < 0)
                return NULL;
        }
        table = *e & PTE_ADDR_MASK;
    }
}

typedef void (*pte_fn)(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg);

static int table_empty(const se_proc_t *se, uint64_t table)
{
    const uint64_t *t = host64(se, table);
    for (int i = 0; i < 512; i++)
        if (t[i])
            return 0;
    return 1;
}

/* The deposited page tables of THP leaves (see PTE_SW_THP). */
static int deposit_push(se_proc_t *se, uint64_t pa)
{
    if (se->nr_deposit == se->cap_deposit) {
        size_t cap = se->cap_deposit ? se->cap_deposit * 2 : 64;
        uint64_t *d = realloc(se->thp_deposit, cap * sizeof(uint64_t));
        if (!d)
            return -1;
        se->thp_deposit = d;
        se->cap_deposit = cap;
    }
    se->thp_deposit[se->nr_deposit++] = pa;
    return 0;
}

/* A THP leaf is gone (unmapped): free one deposited table. */
static void deposit_release(se_proc_t *se)
{
    if (!se->nr_deposit) {
        emu_msg("internal error: a transparent huge page without a deposited page table");
        return;
    }
    free_table(se, se->thp_deposit[--se->nr_deposit]);
}

/* Split the THP leaf *pde mapping [base, base + 2 MiB) into 512 PTEs over the same frames with the
 * same bits (present or PROT_NONE, R/W, U/S, NX, accessed, dirty), in a deposited table: nothing
 * is allocated and the data stays where it is. The translations do not change, so flushing the
 * page at base (which drops the 2 MiB TLB entry and the paging-structure caches) is enough; the
 * functional translation caches keep 4 KiB pieces that remain right. Returns 0, or -1 for a leaf
 * that cannot be split (a MAP_HUGETLB page: callers never ask). */
static int split_huge(se_proc_t *se, uint64_t *pde, uint64_t base)
{
    uint64_t e = *pde;
    if (!(e & PTE_SW_THP) || !se->nr_deposit) {
        emu_msg("internal error: splitting a huge page at 0x%llx that is not a THP", (unsigned long long)base);
        return -1;
    }
    uint64_t pt = se->thp_deposit[--se->nr_deposit];
    uint64_t *t = host64(se, pt);
    uint64_t bits = e & (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX | PTE_SW_PROTNONE);
    uint64_t pa = leaf_pa(e, SE_HPAGE_2M);
    for (uint64_t i = 0; i < 512; i++)
        t[i] = (pa + i * SE_PAGE) | bits;
    *pde = pt | PTE_P | PTE_RW | PTE_US;
    se->st.thp_splits++;
    se_flush(se, base, 1);
    return 0;
}

/* If a THP maps `at` and `at` is not its first byte, split it (a boundary is about to fall inside). */
static void split_huge_at(se_proc_t *se, uint64_t at)
{
    uint64_t size;
    uint64_t *e = se_pte_size(se, at, 0, &size);
    if (e && size > SE_PAGE && (at & (size - 1)) && (*e & PTE_SW_THP))
        split_huge(se, e, at & ~(size - 1));
}

/* Call fn on every non-zero leaf for [start, end) below the table at `table` (whose entries each
 * span 1 << shift bytes): 4 KiB PTEs, and huge leaves lying wholly inside the range (fn gets the
 * leaf's size). A THP only partly inside is split first and its PTEs visited. With free_empty, a
 * lower table left all-zero is freed. */
static void walk_range(se_proc_t *se, uint64_t table, int shift, uint64_t start, uint64_t end, pte_fn fn,
                       void *arg, int free_empty)
{
    uint64_t span = 1ull << shift;
    for (uint64_t va = start; va < end;) {
        uint64_t ent_end = (va & ~(span - 1)) + span;
        uint64_t sub_end = ent_end < end ? ent_end : end;
        uint64_t *e = host64(se, table) + ((va >> shift) & 511);
        if (shift == 12) {
            if (*e)
                fn(se, va, e, SE_PAGE, arg);
        } else if (huge_leaf(*e, shift)) {
            if (va == ent_end - span && sub_end == ent_end)
                fn(se, va, e, span, arg);
            else if (split_huge(se, e, ent_end - span) == 0)
                continue; /* now a table: visit its PTEs */
        } else if (*e & PTE_P) {
            uint64_t child = *e & PTE_ADDR_MASK;
            walk_range(se, child, shift - 9, va, sub_end, fn, arg, free_empty);
            if (free_empty && table_empty(se, child)) {
                *e = 0;
                free_table(se, child);
            }
        }
        va = sub_end;
    }
}

static void for_each_pte(se_proc_t *se, uint64_t start, uint64_t end, pte_fn fn, void *arg, int free_empty)
{
    if (start < end)
        walk_range(se, se->cr3, top_shift(se), start, end, fn, arg, free_empty);
}

/* Remove leaves and free their frames. */
static void zap_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    uint64_t e = *pte;
    *pte = 0;
    if (size > SE_PAGE) {
        se_frame_free_run(se, leaf_pa(e, size), size);
        if (e & PTE_SW_THP)
            deposit_release(se);
        flushq_huge(se, arg, va, size);
        return;
    }
    if (e & (PTE_P | PTE_SW_PROTNONE))
        se_frame_free(se, e & PTE_ADDR_MASK);
    flushq_page(se, arg, va);
}

static void zap_range(se_proc_t *se, uint64_t start, uint64_t end)
{
    flushq_t q = {0};
    for_each_pte(se, start, end, zap_fn, &q, 1);
    flushq_done(se, &q);
}

/* ---- VMAs -------------------------------------------------------------------------------------- */

se_file_t *se_file_new(int host_fd, const char *path)
{
    struct stat st;
    if (fstat(host_fd, &st) < 0)
        return NULL;
    se_file_t *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->fd = host_fd;
    f->refs = 1;
    f->size = (uint64_t)st.st_size;
    f->path = strdup(path ? path : "");
    return f;
}

void se_file_put(se_file_t *f)
{
    if (f && --f->refs == 0) {
        close(f->fd);
        free(f->path);
        free(f);
    }
}

/* Index of the first VMA with end > va (nr_vmas if none). */
static int vma_index(const se_proc_t *se, uint64_t va)
{
    int lo = 0, hi = se->nr_vmas;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (se->vmas[mid].end <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

se_vma_t *se_find_vma(se_proc_t *se, uint64_t va)
{
    int i = vma_index(se, va);
    if (i < se->nr_vmas && se->vmas[i].start <= va)
        return &se->vmas[i];
    return NULL;
}

static int vma_reserve(se_proc_t *se, int extra)
{
    if (se->nr_vmas + extra > SE_MAX_VMAS)
        return -ENOMEM;
    if (se->nr_vmas + extra <= se->cap_vmas)
        return 0;
    int cap = se->cap_vmas ? se->cap_vmas * 2 : 64;
    while (cap < se->nr_vmas + extra)
        cap *= 2;
    se_vma_t *v = realloc(se->vmas, (size_t)cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    se->vmas = v;
    se->cap_vmas = cap;
    return 0;
}

/* Insert v (which overlaps nothing); returns its index. Caller reserved space. */
static int vma_insert(se_proc_t *se, const se_vma_t *v)
{
    int i = vma_index(se, v->start);
    memmove(&se->vmas[i + 1], &se->vmas[i], (size_t)(se->nr_vmas - i) * sizeof(se_vma_t));
    se->vmas[i] = *v;
    se->nr_vmas++;
    return i;
}

static void vma_remove(se_proc_t *se, int i)
{
    se_file_put(se->vmas[i].file);
    memmove(&se->vmas[i], &se->vmas[i + 1], (size_t)(se->nr_vmas - i - 1) * sizeof(se_vma_t));
    se->nr_vmas--;
}

/* Split VMA i at `at` (start < at < end): i keeps [start, at), i+1 gets [at, end). Caller
 * reserved space. */
static void vma_split(se_proc_t *se, int i, uint64_t at)
{
    split_huge_at(se, at); /* a huge page never straddles two VMAs */
    se_vma_t hi = se->vmas[i];
    hi.pgoff += at - hi.start;
    hi.start = at;
    if (hi.file)
        hi.file->refs++;
    se->vmas[i].end = at;
    memmove(&se->vmas[i + 2], &se->vmas[i + 1], (size_t)(se->nr_vmas - i - 1) * sizeof(se_vma_t));
    se->vmas[i + 1] = hi;
    se->nr_vmas++;
}

/* The page size of a MAP_HUGETLB VMA, 0 for others. */
static uint64_t vma_hugetlb(const se_vma_t *v)
{
    return (v->flags & VMA_HUGETLB_1G) ? SE_HPAGE_1G : (v->flags & VMA_HUGETLB_2M) ? SE_HPAGE_2M : 0;
}

/* -EINVAL when a boundary at `at` would split a MAP_HUGETLB VMA inside one of its pages (Linux's
 * hugetlb_vm_op_split), else 0. */
static int hugetlb_split_ok(se_proc_t *se, uint64_t at)
{
    se_vma_t *v = se_find_vma(se, at);
    uint64_t h = v ? vma_hugetlb(v) : 0;
    return h && v->start < at && (at & (h - 1)) ? -EINVAL : 0;
}

/* Make VMA boundaries fall at start and end (each inside-VMA boundary splits one VMA). */
static int vma_split_range(se_proc_t *se, uint64_t start, uint64_t end)
{
    if (hugetlb_split_ok(se, start) || hugetlb_split_ok(se, end))
        return -EINVAL;
    int r = vma_reserve(se, 2);
    if (r)
        return r;
    int i = vma_index(se, start);
    if (i < se->nr_vmas && se->vmas[i].start < start)
        vma_split(se, i, start);
    i = vma_index(se, end);
    if (i < se->nr_vmas && se->vmas[i].start < end && end < se->vmas[i].end)
        vma_split(se, i, end);
    return 0;
}

static int vma_mergeable(const se_vma_t *a, const se_vma_t *b)
{
    return a->end == b->start && a->prot == b->prot && a->flags == b->flags && a->file == b->file &&
           (!a->file || (a->pgoff + (a->end - a->start) == b->pgoff && a->file_lim == b->file_lim)) &&
           a->mpol.mode == b->mpol.mode && a->mpol.flags == b->mpol.flags && a->mpol.nodes == b->mpol.nodes &&
           a->mpol.user_nodes == b->mpol.user_nodes;
}

/* Merge VMA i with its neighbours where possible; returns the index of the VMA holding i's start. */
static int vma_merge(se_proc_t *se, int i)
{
    if (i + 1 < se->nr_vmas && vma_mergeable(&se->vmas[i], &se->vmas[i + 1])) {
        se->vmas[i].end = se->vmas[i + 1].end;
        vma_remove(se, i + 1);
    }
    if (i > 0 && vma_mergeable(&se->vmas[i - 1], &se->vmas[i])) {
        se->vmas[i - 1].end = se->vmas[i].end;
        vma_remove(se, i);
        i--;
    }
    return i;
}

static void vma_merge_range(se_proc_t *se, uint64_t start, uint64_t end)
{
    int i = vma_index(se, start);
    if (i > 0)
        i--;
    while (i + 1 < se->nr_vmas && se->vmas[i].start <= end) {
        if (vma_mergeable(&se->vmas[i], &se->vmas[i + 1])) {
            se->vmas[i].end = se->vmas[i + 1].end;
            vma_remove(se, i + 1);
        } else {
            i++;
        }
    }
}

/* The lowest address a mapping ending below VMA v may reach (v's start less a stack's guard gap). */
static uint64_t vma_start_gap(const se_vma_t *v)
{
    if ((v->flags & VMA_GROWSDOWN) && v->start > SE_STACK_GUARD)
        return v->start - SE_STACK_GUARD;
    return v->start;
}

/* True when [start, end) intersects no VMA. */
static int range_unmapped(se_proc_t *se, uint64_t start, uint64_t end)
{
    int i = vma_index(se, start);
    return i >= se->nr_vmas || se->vmas[i].start >= end;
}

/* True when [start, end) intersects no VMA nor a stack guard gap. */
static int range_free(se_proc_t *se, uint64_t start, uint64_t end)
{
    int i = vma_index(se, start);
    return i >= se->nr_vmas || vma_start_gap(&se->vmas[i]) >= end;
}

/* True when [start, end) is covered by VMAs without holes. */
static int range_covered(se_proc_t *se, uint64_t start, uint64_t end)
{
    int i = vma_index(se, start);
    uint64_t at = start;
    for (; i < se->nr_vmas && at < end; i++) {
        if (se->vmas[i].start > at)
            return 0;
        at = se->vmas[i].end;
    }
    return at >= end;
}

/* Find a free gap of len bytes within [lo, hi): highest first when topdown, else lowest. Returns
 * the address or 0. */
static uint64_t find_gap(se_proc_t *se, uint64_t lo, uint64_t hi, uint64_t len, int topdown)
{
    if (hi <= lo || hi - lo < len)
        return 0;
    if (topdown) {
        int i = vma_index(se, hi);
        /* Gap ending at hi (or at the start gap of VMA i, if it reaches below hi). */
        for (;; i--) {
            uint64_t gap_hi = hi;
            if (i < se->nr_vmas) {
                uint64_t s = vma_start_gap(&se->vmas[i]);
                if (s < gap_hi)
                    gap_hi = s;
            }
            uint64_t gap_lo = i > 0 ? se->vmas[i - 1].end : 0;
            if (gap_lo < lo)
                gap_lo = lo;
            if (gap_hi > gap_lo && gap_hi - gap_lo >= len)
                return gap_hi - len;
            if (i == 0 || se->vmas[i - 1].end <= lo)
                return 0;
        }
    }
    uint64_t at = lo;
    for (int i = vma_index(se, lo); at < hi; i++) {
        uint64_t gap_hi = hi;
        if (i < se->nr_vmas && vma_start_gap(&se->vmas[i]) < gap_hi)
            gap_hi = vma_start_gap(&se->vmas[i]);
        if (gap_hi > at && gap_hi - at >= len)
            return at;
        if (i >= se->nr_vmas)
            return 0;
        if (se->vmas[i].end > at)
            at = se->vmas[i].end;
    }
    return 0;
}

/* find_gap for a mapping whose start must be a multiple of align (a power of two): look for a gap
 * of len + align - 4 KiB bytes and align inside it (Linux's vm_unmapped_area with an align mask). */
static uint64_t find_gap_aligned(se_proc_t *se, uint64_t lo, uint64_t hi, uint64_t len, int topdown,
                                 uint64_t align)
{
    if (align <= SE_PAGE)
        return find_gap(se, lo, hi, len, topdown);
    uint64_t padded = len + align - SE_PAGE;
    if (padded < len)
        return 0;
    uint64_t a = find_gap(se, lo, hi, padded, topdown);
    if (!a)
        return 0;
    return topdown ? (a + padded - len) & ~(align - 1) : (a + align - 1) & ~(align - 1);
}

/* Choose where a new mapping of len bytes goes (Linux's get_unmapped_area, top-down layout); its
 * start is a multiple of align (4 KiB, or a MAP_HUGETLB page size). */
static long get_unmapped_area(se_proc_t *se, uint64_t hint, uint64_t len, int flags, uint64_t align)
{
    uint64_t limit = SE_TASK_SIZE;
    /* A hint above the 47-bit window opens the full 56-bit space with 5-level paging. */
    if (se->levels == 5 && hint > SE_TASK_SIZE)
        limit = SE_TASK_SIZE_LA57;
    if (len > limit)
        return -ENOMEM;
    if (hint) {
        hint = (hint + align - 1) & ~(align - 1);
        if (hint && limit - len >= hint && hint >= SE_MMAP_MIN && range_free(se, hint, hint + len))
            return (long)hint;
    }
    uint64_t a;
    if (flags & SE_MAP_32BIT) {
        a = find_gap_aligned(se, 0x40000000ull, 0x80000000ull, len, 0, align);
        return a ? (long)a : -ENOMEM;
    }
    uint64_t base = se->mmap_base + (limit - SE_TASK_SIZE);
    if (base > limit)
        base = limit;
    a = find_gap_aligned(se, SE_MMAP_MIN, base, len, 1, align);
    if (!a)
        a = find_gap_aligned(se, base, limit, len, 0, align);
    return a ? (long)a : -ENOMEM;
}

/* ---- faults and user copies -------------------------------------------------------------------- */

/* Fill a fresh frame for the page at va of VMA v. Returns 0, or -1 for SIGBUS (beyond the file). */
static int fill_from_file(se_proc_t *se, const se_vma_t *v, uint64_t page, uint64_t pa)
{
    uint64_t off = v->pgoff + (page - v->start);
    uint64_t lim = v->file->size < v->file_lim ? v->file->size : v->file_lim;
    if (off >= v->file->size && v->file_lim == UINT64_MAX)
        return -1;
    if (off >= lim)
        return 0;
    uint64_t n = lim - off < SE_PAGE ? lim - off : SE_PAGE;
    uint8_t *h = dram_host(se->dram, pa);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(v->file->fd, h + got, n - got, (off_t)(off + got));
        if (r <= 0)
            break; /* the file shrank: the rest reads as zero */
        got += (size_t)r;
    }
    return 0;
}

static int vma_allows(const se_vma_t *v, uint32_t err)
{
    if (err & PF_I)
        return !!(v->prot & SE_PROT_EXEC);
    if (err & PF_W)
        return !!(v->prot & SE_PROT_WRITE);
    return !!(v->prot & (SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC));
}

/* May the 2 MiB range at base (aligned) of VMA v get a transparent huge page? */
static int thp_allowed(const se_proc_t *se, const se_vma_t *v, uint64_t base)
{
    if (v->file || (v->flags & (VMA_SHARED | VMA_NOHUGEPAGE | VMA_HUGETLB_2M | VMA_HUGETLB_1G)))
        return 0;
    if (se->thp_mode == SE_THP_NEVER || (se->thp_mode == SE_THP_MADVISE && !(v->flags & VMA_HUGEPAGE)))
        return 0;
    return base >= v->start && base + SE_HPAGE_2M <= v->end && base + SE_HPAGE_2M > base;
}

/* Make the PDE *e, where a 2 MiB leaf is to go, empty: a page table left there holding nothing
 * is freed (the paging-structure caches may hold it: flush). Returns 0 when *e is now empty, -1
 * when a table with entries is there (small pages are mapped in the range). */
static int clear_empty_table(se_proc_t *se, uint64_t *e, uint64_t base)
{
    if (!*e)
        return 0;
    if (!(*e & PTE_P) || (*e & PTE_PS))
        return -1;
    uint64_t t = *e & PTE_ADDR_MASK;
    if (!table_empty(se, t))
        return -1;
    *e = 0;
    free_table(se, t);
    se_flush(se, base, 1);
    return 0;
}

/* A first-touch fault at va in VMA v: map the whole 2 MiB range around it with a transparent huge
 * page if allowed and the range is empty. Returns 1 when mapped; 0 to go on with a 4 KiB page
 * (counted in thp_fallbacks when only the allocation failed). */
static int thp_fault(se_proc_t *se, const se_vma_t *v, uint64_t va)
{
    uint64_t base = va & ~(SE_HPAGE_2M - 1);
    if (!thp_allowed(se, v, base))
        return 0;
    uint64_t *pde = entry_at(se, base, 21, 1);
    if (!pde || clear_empty_table(se, pde, base) < 0)
        return 0;
    uint64_t pa = se_alloc_policy(se, v, base, SE_HPAGE_2M);
    uint64_t dep = pa ? se_alloc_table(se, base) : 0;
    se->oom = 0; /* a failure here falls back to small pages, which may still find memory */
    if (!dep || deposit_push(se, dep) < 0) {
        if (dep)
            se_frame_free(se, dep);
        if (pa)
            se_frame_free_run(se, pa, SE_HPAGE_2M);
        se->st.thp_fallbacks++;
        return 0;
    }
    se->st.page_table_pages++; /* the deposit is a page table in waiting (Linux counts it so) */
    *pde = pa | huge_pte_bits(v->prot, 1);
    se->st.thp_faults++;
    return 1;
}

/* A first-touch fault in a MAP_HUGETLB VMA of page size h: map its page. 1, or 0 with SIGBUS when
 * no aligned run of free frames is left (or with se->oom when a table could not be allocated). */
static int hugetlb_fault(se_proc_t *se, const se_vma_t *v, uint64_t va, uint64_t h)
{
    uint64_t base = va & ~(h - 1);
    uint64_t *e = entry_at(se, base, h == SE_HPAGE_1G ? 30 : 21, 1);
    if (!e)
        return 0;
    if ((h == SE_HPAGE_2M ? clear_empty_table(se, e, base) : (*e ? -1 : 0)) < 0) { /* cannot happen */
        emu_msg("internal error: small pages inside a MAP_HUGETLB mapping at 0x%llx", (unsigned long long)base);
        se->st.segv_faults++;
        return 0;
    }
    uint64_t pa = se_alloc_policy(se, v, base, h);
    if (!pa) {
        se->fault_sigbus = 1;
        se->st.segv_faults++;
        return 0;
    }
    *e = pa | huge_pte_bits(v->prot, 0);
    se->st.hugetlb_faults++;
    return 1;
}

int se_handle_fault(se_proc_t *se, uint64_t va, uint32_t err)
{
    se->fault_sigbus = 0;
    se_vma_t *v = va < task_limit(se) ? se_find_vma(se, va) : NULL;
    if (!v || !vma_allows(v, err) || (err & PF_RSVD)) {
        se->st.segv_faults++;
        return 0;
    }
    uint64_t page = SE_PAGE_DOWN(va);
    uint64_t size = SE_PAGE;
    uint64_t *pte = se_pte_size(se, page, 0, &size);
    uint64_t bits = size > SE_PAGE ? huge_pte_bits(v->prot, 0) : prot_pte_bits(v->prot);
    if (pte && (*pte & (PTE_P | PTE_SW_PROTNONE))) {
        /* A frame is there but its PTE is stale: rebuild it from the VMA. */
        uint64_t ne = (*pte & (PTE_ADDR_MASK | PTE_A | PTE_D | PTE_SW_THP)) | bits;
        if (ne == *pte) {
            se->st.segv_faults++;
            return 0;
        }
        *pte = ne;
        if (size > SE_PAGE) {
            for (int i = 0; se->m && se->m->cpus && i < se->m->nr_cpus; i++)
                cpu_flush_range(se->m->cpus[i], va & ~(size - 1), size, size);
        } else {
            se_flush(se, va, 1);
        }
        if (!se->in_loader)
            se->st.demand_faults++;
        return 1;
    }
    uint64_t h = vma_hugetlb(v);
    if (h || thp_fault(se, v, va)) {
        if (h && !hugetlb_fault(se, v, va, h))
            return 0;
        if (!se->in_loader)
            se->st.demand_faults++;
        return 1;
    }
    pte = se_pte(se, page, 1);
    if (!pte)
        return 0; /* out of memory: se->oom is set */
    uint64_t pa = se_alloc_policy(se, v, page, SE_PAGE);
    if (!pa)
        return 0;
    if (v->file && fill_from_file(se, v, page, pa) < 0) {
        se_frame_free(se, pa);
        se->fault_sigbus = 1;
        se->st.segv_faults++;
        return 0;
    }
    *pte = pa | bits;
    /* The loader's fills (the initial stack) are not faults the program took. */
    if (!se->in_loader)
        se->st.demand_faults++;
    return 1;
}

/* Host pointer to the byte at va for a kernel access of kind acc, serving demand faults. */
static uint8_t *user_ptr(se_proc_t *se, uint64_t va, enum mmu_access acc)
{
    mmu_ctx_t ctx = se_mmu_ctx(se);
    mmu_result_t r;
    for (int tries = 0; tries < 2; tries++) {
        int rc = mmu_translate(se->dram, &ctx, va, acc, &r);
        if (rc == 0) {
            if (acc == MMU_WRITE && se->m && machine_frame_has_code(se->m, r.pa))
                machine_code_written(se->m, r.pa);
            return dram_host(se->dram, r.pa);
        }
        if (rc == -2 || tries)
            break;
        /* A fault inside a system call is a #PF taken in kernel mode; the loader's are not. */
        if (!se->in_loader && se->m && se->m->cpus && se->m->nr_cpus > 0 && se->m->cpus[0])
            se->m->cpus[0]->st.page_faults++;
        if (!se_handle_fault(se, va, r.pf_error))
            break;
    }
    se->fault_sigbus = 0;
    return NULL;
}

int se_copy_in(se_proc_t *se, void *dst, uint64_t va, size_t n)
{
    uint8_t *d = dst;
    while (n) {
        size_t chunk = SE_PAGE - (va & (SE_PAGE - 1));
        if (chunk > n)
            chunk = n;
        uint8_t *h = user_ptr(se, va, MMU_READ);
        if (!h)
            return -EFAULT;
        memcpy(d, h, chunk);
        d += chunk;
        va += chunk;
        n -= chunk;
    }
    return 0;
}

int se_copy_out(se_proc_t *se, uint64_t va, const void *src, size_t n)
{
    const uint8_t *s = src;
    while (n) {
        size_t chunk = SE_PAGE - (va & (SE_PAGE - 1));
        if (chunk > n)
            chunk = n;
        uint8_t *h = user_ptr(se, va, MMU_WRITE);
        if (!h)
            return -EFAULT;
        memcpy(h, s, chunk);
        s += chunk;
        va += chunk;
        n -= chunk;
    }
    return 0;
}

long se_strncpy_in(se_proc_t *se, char *dst, uint64_t va, size_t max)
{
    size_t len = 0;
    while (len < max) {
        size_t chunk = SE_PAGE - (va & (SE_PAGE - 1));
        if (chunk > max - len)
            chunk = max - len;
        const uint8_t *h = user_ptr(se, va, MMU_READ);
        if (!h)
            return -EFAULT;
        const uint8_t *z = memchr(h, 0, chunk);
        size_t n = z ? (size_t)(z - h) + 1 : chunk;
        memcpy(dst + len, h, n);
        len += n;
        if (z)
            return (long)(len - 1);
        va += chunk;
    }
    return -ENAMETOOLONG;
}

/* ---- mapping ----------------------------------------------------------------------------------- */

/* Unmap [start, end) (page aligned): split, drop VMAs, free frames and empty tables. */
static long unmap_range(se_proc_t *se, uint64_t start, uint64_t end)
{
    if (range_unmapped(se, start, end))
        return 0;
    long r = vma_split_range(se, start, end);
    if (r)
        return r;
    int i = vma_index(se, start);
    while (i < se->nr_vmas && se->vmas[i].start < end)
        vma_remove(se, i);
    zap_range(se, start, end);
    return 0;
}

long se_map_fixed(se_proc_t *se, uint64_t start, uint64_t end, int prot, unsigned vflags, se_file_t *file,
                  uint64_t pgoff, uint64_t file_lim)
{
    long r = unmap_range(se, start, end);
    if (r)
        return r;
    if ((r = vma_reserve(se, 1)))
        return r;
    se_vma_t v = {.start = start, .end = end, .prot = prot, .flags = vflags, .file = file, .pgoff = pgoff,
                  .file_lim = file ? file_lim : 0};
    if (file)
        file->refs++;
    vma_merge(se, vma_insert(se, &v));
    return (long)start;
}

/* Fault in every page of [start, end) (MAP_POPULATE). */
static void populate(se_proc_t *se, uint64_t start, uint64_t end, int prot)
{
    uint32_t err = PF_U | ((prot & SE_PROT_WRITE) ? PF_W : 0);
    for (uint64_t va = start; va < end; va += SE_PAGE) {
        uint64_t *pte = se_pte(se, va, 0);
        if (pte && *pte)
            continue;
        if (!se_handle_fault(se, va, err))
            break;
    }
    se->fault_sigbus = 0;
}

long se_mmap(se_proc_t *se, uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    int type = flags & SE_MAP_TYPE;
    if (type != SE_MAP_PRIVATE && type != SE_MAP_SHARED && type != SE_MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (type == SE_MAP_SHARED_VALIDATE) {
        int known = SE_MAP_TYPE | SE_MAP_FIXED | SE_MAP_ANONYMOUS | SE_MAP_32BIT | SE_MAP_GROWSDOWN |
                    SE_MAP_DENYWRITE | SE_MAP_EXECUTABLE | SE_MAP_LOCKED | SE_MAP_NORESERVE | SE_MAP_POPULATE |
                    SE_MAP_NONBLOCK | SE_MAP_STACK | SE_MAP_HUGETLB | SE_MAP_FIXED_NOREPLACE | (0x3f << 26);
        if (flags & ~known)
            return -EOPNOTSUPP;
    }
    if (!len || (off & (SE_PAGE - 1)))
        return -EINVAL;
    uint64_t limit = task_limit(se);
    uint64_t plen = SE_PAGE_UP(len);
    if (!plen || plen > limit)
        return -ENOMEM;
    if (off + plen < off)
        return -EOVERFLOW;
    /* MAP_HUGETLB: anonymous memory in pages of 2 MiB (the default size) or 1 GiB (MAP_HUGE_1GB),
     * the length rounded up to whole pages; a file mapping would need hugetlbfs. */
    uint64_t hsize = SE_PAGE;
    if (flags & SE_MAP_HUGETLB) {
        int lg = (flags >> SE_MAP_HUGE_SHIFT) & SE_MAP_HUGE_MASK;
        if (lg == 0 || lg == 21)
            hsize = SE_HPAGE_2M;
        else if (lg == 30)
            hsize = SE_HPAGE_1G;
        else
            return -EINVAL;
        if (!(flags & SE_MAP_ANONYMOUS))
            return -EINVAL;
        plen = (plen + hsize - 1) & ~(hsize - 1);
        if (!plen || plen > limit)
            return -ENOMEM;
        if ((flags & (SE_MAP_FIXED | SE_MAP_FIXED_NOREPLACE)) && (addr & (hsize - 1)))
            return -EINVAL;
    }
    prot &= SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC;

    se_file_t *file = NULL;
    unsigned vflags = VMA_MAYWRITE;
    if (type != SE_MAP_PRIVATE)
        vflags |= VMA_SHARED;
    if (!(flags & SE_MAP_ANONYMOUS)) {
        const char *gpath = NULL;
        int hfd = se_fd_host(se, fd, &gpath);
        if (hfd < 0)
            return -EBADF;
        struct stat st;
        if (fstat(hfd, &st) < 0)
            return -EBADF;
        if (!S_ISREG(st.st_mode))
            return -ENODEV;
        /* Files are open read-only: a shared writable mapping is refused as Linux refuses it. */
        if (type != SE_MAP_PRIVATE) {
            if (prot & SE_PROT_WRITE)
                return -EACCES;
            vflags &= ~VMA_MAYWRITE;
        }
        int dfd = fcntl(hfd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
            return -ENOMEM;
        file = se_file_new(dfd, gpath);
        if (!file) {
            close(dfd);
            return -ENOMEM;
        }
    } else {
        off = 0;
    }
    if (flags & SE_MAP_GROWSDOWN)
        vflags |= VMA_GROWSDOWN;
    if (hsize == SE_HPAGE_2M)
        vflags |= VMA_HUGETLB_2M;
    else if (hsize == SE_HPAGE_1G)
        vflags |= VMA_HUGETLB_1G;

    long a;
    if (flags & (SE_MAP_FIXED | SE_MAP_FIXED_NOREPLACE)) {
        if (addr & (SE_PAGE - 1)) {
            se_file_put(file);
            return -EINVAL;
        }
        if (addr > limit || plen > limit - addr) {
            se_file_put(file);
            return -ENOMEM;
        }
        if (addr < SE_MMAP_MIN) {
            se_file_put(file);
            return -EPERM;
        }
        if (!(flags & SE_MAP_FIXED) && !range_unmapped(se, addr, addr + plen)) {
            se_file_put(file);
            return -EEXIST;
        }
        a = (long)addr;
    } else {
        a = get_unmapped_area(se, addr, plen, flags, hsize);
        if (a < 0) {
            se_file_put(file);
            return a;
        }
    }
    long r = se_map_fixed(se, (uint64_t)a, (uint64_t)a + plen, prot, vflags, file, off, UINT64_MAX);
    se_file_put(file); /* the VMA holds its own reference */
    if (r < 0)
        return r;
    if (flags & SE_MAP_POPULATE)
        populate(se, (uint64_t)a, (uint64_t)a + plen, prot);
    return a;
}

long se_munmap(se_proc_t *se, uint64_t addr, uint64_t len)
{
    if ((addr & (SE_PAGE - 1)) || !len)
        return -EINVAL;
    uint64_t plen = SE_PAGE_UP(len);
    uint64_t limit = task_limit(se);
    if (!plen || addr > limit || plen > limit - addr)
        return -EINVAL;
    return unmap_range(se, addr, addr + plen);
}

typedef struct prot_arg {
    uint64_t bits;
    flushq_t q;
} prot_arg_t;

static void prot_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    prot_arg_t *p = arg;
    uint64_t e = *pte;
    uint64_t keep = e & (PTE_ADDR_MASK | PTE_A | PTE_D | PTE_SW_THP);
    uint64_t ne = keep | p->bits | (size > SE_PAGE ? PTE_PS : 0);
    if (ne != e) {
        *pte = ne;
        if (size > SE_PAGE)
            flushq_huge(se, &p->q, va, size);
        else
            flushq_page(se, &p->q, va);
    }
}

long se_mprotect(se_proc_t *se, uint64_t addr, uint64_t len, int prot)
{
    if (addr & (SE_PAGE - 1))
        return -EINVAL;
    if (prot & ~(SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC | SE_PROT_GROWSDOWN | SE_PROT_GROWSUP))
        return -EINVAL;
    if ((prot & SE_PROT_GROWSDOWN) && (prot & SE_PROT_GROWSUP))
        return -EINVAL;
    if (!len)
        return 0;
    uint64_t plen = SE_PAGE_UP(len);
    if (!plen || addr + plen < addr)
        return -ENOMEM;
    uint64_t end = addr + plen;
    prot &= SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC;
    if (!range_covered(se, addr, end))
        return -ENOMEM;
    if (prot & SE_PROT_WRITE) {
        for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++)
            if (!(se->vmas[i].flags & VMA_MAYWRITE))
                return -EACCES;
    }
    long r = vma_split_range(se, addr, end);
    if (r)
        return r;
    for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++)
        se->vmas[i].prot = prot;
    prot_arg_t p = {.bits = prot_pte_bits(prot)};
    for_each_pte(se, addr, end, prot_fn, &p, 0);
    flushq_done(se, &p.q);
    vma_merge_range(se, addr, end);
    return 0;
}

/* Move the leaves of [old, old+len) to new (which holds none). */
typedef struct moved {
    uint64_t va, pte, size;
} moved_t;

typedef struct move_arg {
    moved_t *v;
    size_t n, cap;
    int fail;
    flushq_t q;
} move_arg_t;

static void collect_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    move_arg_t *m = arg;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        moved_t *a = realloc(m->v, cap * sizeof(moved_t));
        if (!a) {
            m->fail = 1;
            return;
        }
        m->v = a;
        m->cap = cap;
    }
    m->v[m->n++] = (moved_t){va, *pte, size};
    *pte = 0;
    if (size > SE_PAGE)
        flushq_huge(se, &m->q, va, size);
    else
        flushq_page(se, &m->q, va);
}

static void split_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    (void)arg;
    if (size > SE_PAGE)
        split_huge(se, pte, va);
}

/* Install the leaf e (mapping size bytes) for va in an empty part of the tables. 0 or -ENOMEM. */
static int install_leaf(se_proc_t *se, uint64_t va, uint64_t e, uint64_t size)
{
    uint64_t *pte = size > SE_PAGE ? entry_at(se, va, 21, 1) : se_pte(se, va, 1);
    if (!pte || (size > SE_PAGE && clear_empty_table(se, pte, va) < 0) || *pte)
        return -ENOMEM;
    *pte = e;
    return 0;
}

static int move_ptes(se_proc_t *se, uint64_t old, uint64_t len, uint64_t new)
{
    /* A transparent huge page moves whole only to a 2 MiB-aligned place (Linux's move_huge_pmd);
     * otherwise it is split and its PTEs move. */
    if ((new - old) & (SE_HPAGE_2M - 1))
        for_each_pte(se, old, old + len, split_fn, NULL, 0);
    move_arg_t m = {0};
    for_each_pte(se, old, old + len, collect_fn, &m, 1);
    flushq_done(se, &m.q);
    int rc = 0;
    for (size_t i = 0; i < m.n; i++) {
        moved_t *mv = &m.v[i];
        if (install_leaf(se, mv->va - old + new, mv->pte, mv->size) < 0) {
            /* Out of memory for a table: the page is lost (the process is killed anyway). */
            if (mv->size > SE_PAGE) {
                se_frame_free_run(se, leaf_pa(mv->pte, mv->size), mv->size);
                if (mv->pte & PTE_SW_THP)
                    deposit_release(se);
            } else if (mv->pte & (PTE_P | PTE_SW_PROTNONE)) {
                se_frame_free(se, mv->pte & PTE_ADDR_MASK);
            }
            rc = -ENOMEM;
        }
    }
    free(m.v);
    return m.fail ? -ENOMEM : rc;
}

long se_mremap(se_proc_t *se, uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    if (flags & ~(SE_MREMAP_MAYMOVE | SE_MREMAP_FIXED | SE_MREMAP_DONTUNMAP))
        return -EINVAL;
    if ((flags & (SE_MREMAP_FIXED | SE_MREMAP_DONTUNMAP)) && !(flags & SE_MREMAP_MAYMOVE))
        return -EINVAL;
    if (old & (SE_PAGE - 1))
        return -EINVAL;
    old_len = SE_PAGE_UP(old_len);
    uint64_t plen = SE_PAGE_UP(new_len);
    if (!new_len || !plen)
        return -EINVAL;
    new_len = plen;
    uint64_t limit = task_limit(se);
    if (old_len > limit || new_len > limit || old > limit - old_len)
        return -EINVAL;
    if ((flags & SE_MREMAP_DONTUNMAP) && old_len != new_len)
        return -EINVAL;
    if (!old_len)
        return -EINVAL; /* duplicating a shared mapping is not supported */

    se_vma_t *v = se_find_vma(se, old);
    if (!v || old + old_len > v->end)
        return -EFAULT;
    if ((flags & SE_MREMAP_DONTUNMAP) && (v->file || (v->flags & VMA_SHARED)))
        return -EINVAL;
    int shared = !!(v->flags & VMA_SHARED);
    if (vma_hugetlb(v))
        return -EINVAL; /* moving MAP_HUGETLB pages is not supported */

    if (flags & SE_MREMAP_FIXED) {
        if (new_addr & (SE_PAGE - 1))
            return -EINVAL;
        if (new_addr > limit || new_len > limit - new_addr)
            return -EINVAL;
        if (new_addr < old + old_len && old < new_addr + new_len)
            return -EINVAL;
        if (new_addr < SE_MMAP_MIN)
            return -EPERM;
    }

    if (!(flags & (SE_MREMAP_FIXED | SE_MREMAP_DONTUNMAP))) {
        if (new_len <= old_len) {
            long r = unmap_range(se, old + new_len, old + old_len);
            return r ? r : (long)old;
        }
        /* Grow in place when the range ends its VMA and the space after it is free. */
        if (old + old_len == v->end && new_len - old_len <= limit - v->end &&
            range_free(se, v->end, old + new_len)) {
            v->end = old + new_len;
            vma_merge(se, (int)(v - se->vmas));
            return (long)old;
        }
        if (!(flags & SE_MREMAP_MAYMOVE))
            return -ENOMEM;
    }

    /* Move. */
    long r = vma_split_range(se, old, old + old_len);
    if (r)
        return r;
    if ((r = vma_reserve(se, 2)))
        return r;
    uint64_t dest;
    if (flags & SE_MREMAP_FIXED) {
        r = unmap_range(se, new_addr, new_addr + new_len);
        dest = new_addr;
    } else {
        r = get_unmapped_area(se, 0, new_len, shared ? SE_MAP_SHARED : 0, SE_PAGE);
        dest = (uint64_t)r;
    }
    if (r < 0) {
        vma_merge_range(se, old, old + old_len); /* undo the split */
        return r;
    }
    int i = vma_index(se, old);
    se_vma_t nv = se->vmas[i];
    nv.start = dest;
    nv.end = dest + new_len;
    nv.flags &= ~(VMA_STACK | VMA_GROWSDOWN | VMA_HEAP);
    if (nv.file)
        nv.file->refs++;
    uint64_t move_len = new_len < old_len ? new_len : old_len;
    int mr = move_ptes(se, old, move_len, dest);
    if (flags & SE_MREMAP_DONTUNMAP) {
        /* The old range stays mapped and reads as zero from now on. */
    } else {
        i = vma_index(se, old);
        while (i < se->nr_vmas && se->vmas[i].start < old + old_len)
            vma_remove(se, i);
        zap_range(se, old, old + old_len);
    }
    if ((r = vma_reserve(se, 1))) {
        se_file_put(nv.file);
        return r;
    }
    vma_merge(se, vma_insert(se, &nv));
    if (mr)
        return mr;
    return (long)dest;
}

static void dontneed_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    zap_fn(se, va, pte, size, arg);
}

long se_madvise(se_proc_t *se, uint64_t addr, uint64_t len, int advice)
{
    switch (advice) {
    case 0: case 1: case 2: case 3: case 4: /* NORMAL RANDOM SEQUENTIAL WILLNEED DONTNEED */
    case 8: case 9: case 10: case 11: case 12: case 13: case 14: case 15: /* FREE .. NOHUGEPAGE */
    case 16: case 17: case 18: case 19: case 20: case 21: case 22: case 23: /* DONTDUMP .. POPULATE_WRITE */
    case 25: /* COLLAPSE */
        break;
    default:
        return -EINVAL;
    }
    if (addr & (SE_PAGE - 1))
        return -EINVAL;
    uint64_t plen = SE_PAGE_UP(len);
    if (len && (!plen || addr + plen < addr))
        return -EINVAL;
    if (!len)
        return 0;
    uint64_t end = addr + plen;
    int hole = !range_covered(se, addr, end);
    if (advice == 4) {
        /* MADV_DONTNEED: drop the pages of mapped parts; they refault as zero (anonymous) or as file
         * content (private file mappings). A transparent huge page partly inside is split first;
         * in a MAP_HUGETLB mapping the start must be page aligned and the end is rounded down to a
         * page (Linux 6.1's madvise_dontneed_free_valid_vma). */
        for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++) {
            uint64_t h = vma_hugetlb(&se->vmas[i]);
            if (h && se->vmas[i].start < addr && (addr & (h - 1)))
                return -EINVAL;
        }
        flushq_t q = {0};
        for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++) {
            uint64_t s = se->vmas[i].start > addr ? se->vmas[i].start : addr;
            uint64_t e = se->vmas[i].end < end ? se->vmas[i].end : end;
            uint64_t h = vma_hugetlb(&se->vmas[i]);
            if (h)
                e &= ~(h - 1);
            for_each_pte(se, s, e, dontneed_fn, &q, 1);
        }
        flushq_done(se, &q);
    } else if (advice == 14 || advice == 15) {
        /* MADV_HUGEPAGE / MADV_NOHUGEPAGE: mark the VMAs (split at the range's ends, merged back
         * where they can be) so that later faults use transparent huge pages or never do. Pages
         * already mapped stay as they are (khugepaged, which would collapse them, is not modelled).
         * MAP_HUGETLB mappings are left alone. */
        long r = vma_reserve(se, 2);
        if (r)
            return r;
        int i = vma_index(se, addr);
        if (i < se->nr_vmas && se->vmas[i].start < addr && !vma_hugetlb(&se->vmas[i]))
            vma_split(se, i, addr);
        i = vma_index(se, end);
        if (i < se->nr_vmas && se->vmas[i].start < end && end < se->vmas[i].end && !vma_hugetlb(&se->vmas[i]))
            vma_split(se, i, end);
        for (i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++) {
            se_vma_t *v = &se->vmas[i];
            if (vma_hugetlb(v) || v->start < addr || v->end > end)
                continue;
            v->flags &= ~(VMA_HUGEPAGE | VMA_NOHUGEPAGE);
            v->flags |= advice == 14 ? VMA_HUGEPAGE : VMA_NOHUGEPAGE;
        }
        vma_merge_range(se, addr, end);
    } else if (advice == 22 || advice == 23) {
        for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++) {
            uint64_t s = se->vmas[i].start > addr ? se->vmas[i].start : addr;
            uint64_t e = se->vmas[i].end < end ? se->vmas[i].end : end;
            int prot = se->vmas[i].prot;
            if (!(prot & (SE_PROT_READ | SE_PROT_WRITE | SE_PROT_EXEC)) ||
                (advice == 23 && !(prot & SE_PROT_WRITE)))
                return -EINVAL;
            populate(se, s, e, advice == 23 ? SE_PROT_WRITE : 0);
        }
    }
    return hole ? -ENOMEM : 0;
}

long se_brk(se_proc_t *se, uint64_t addr)
{
    if (addr < se->start_brk)
        return (long)se->brk;
    uint64_t newp = SE_PAGE_UP(addr), oldp = SE_PAGE_UP(se->brk);
    if (addr <= se->brk) {
        if (newp < oldp && unmap_range(se, newp, oldp))
            return (long)se->brk;
        se->brk = addr;
        return (long)addr;
    }
    if (newp == oldp) {
        se->brk = addr;
        return (long)addr;
    }
    uint64_t lim = se->rlim_cur[2]; /* RLIMIT_DATA */
    if (lim != UINT64_MAX && addr - se->start_brk > lim)
        return (long)se->brk;
    /* One guard page must stay free above the new break (Linux checks against vm_start_gap). */
    if (newp > SE_TASK_SIZE || !range_free(se, oldp, newp + SE_PAGE))
        return (long)se->brk;
    if (vma_reserve(se, 1))
        return (long)se->brk;
    se_vma_t v = {.start = oldp, .end = newp, .prot = SE_PROT_READ | SE_PROT_WRITE,
                  .flags = VMA_HEAP | VMA_MAYWRITE};
    vma_merge(se, vma_insert(se, &v));
    se->brk = addr;
    return (long)addr;
}

/* ---- NUMA: where pages are, moving them, mbind ------------------------------------------------- */

/* The leaf mapping va with a frame (present, or PROT_NONE keeping it): its entry, size and the
 * physical address of its first frame; NULL when none. */
static uint64_t *mapped_leaf(se_proc_t *se, uint64_t va, uint64_t *size, uint64_t *pa)
{
    uint64_t sz = SE_PAGE;
    uint64_t *e = se_pte_size(se, va, 0, &sz);
    if (!e || !(*e & (PTE_P | PTE_SW_PROTNONE)))
        return NULL;
    *size = sz;
    *pa = sz > SE_PAGE ? leaf_pa(*e, sz) : (*e & PTE_ADDR_MASK);
    return e;
}

int se_page_node(se_proc_t *se, uint64_t va, int fault)
{
    se_vma_t *v = va < task_limit(se) ? se_find_vma(se, va) : NULL;
    if (!v)
        return -EFAULT;
    if (fault) {
        uint8_t b;
        if (se_copy_in(se, &b, va, 1))
            return -EFAULT;
        v = se_find_vma(se, va);
    }
    uint64_t size, pa;
    if (!mapped_leaf(se, va, &size, &pa))
        return v->file ? -ENOENT : -EFAULT; /* follow_page(FOLL_DUMP): a hole of anonymous memory */
    return se_node_of(se, pa);
}

int se_move_page(se_proc_t *se, uint64_t va, int nid)
{
    se_vma_t *v = va < task_limit(se) ? se_find_vma(se, va) : NULL;
    if (!v)
        return -EFAULT;
    uint64_t size, pa;
    uint64_t *e = mapped_leaf(se, va, &size, &pa);
    if (!e)
        return v->file ? -ENOENT : -EFAULT;
    int cur = se_node_of(se, pa);
    uint64_t base = va & ~(size - 1), npa;
    if (nid >= 0) {
        /* move_pages(2), migrate_pages(2): that node or nothing (__GFP_THISNODE). */
        if (cur == nid)
            return 0;
        placement_t p = {.first = nid, .from = nid, .allowed = 1ull << nid};
        npa = alloc_placed(se, &p, size);
    } else {
        /* mbind(MPOL_MF_MOVE): wherever the VMA's policy puts a new page at va. */
        placement_t p = place(se, policy_of(se, v), v, base, size, 0);
        if (cur == p.first)
            return 0;
        npa = alloc_placed(se, &p, size);
        if (npa && se_node_of(se, npa) == cur) {
            if (size > SE_PAGE)
                se_frame_free_run(se, npa, size);
            else
                se_frame_free(se, npa);
            return 0;
        }
    }
    if (!npa) {
        se->st.pgmigrate_fail += size >> 12;
        return -ENOMEM;
    }
    memcpy(dram_host(se->dram, npa), dram_host(se->dram, pa), size);
    uint64_t addr_bits = size > SE_PAGE ? (PTE_ADDR_MASK & ~(size - 1)) : PTE_ADDR_MASK;
    *e = (*e & ~addr_bits) | npa;
    if (size > SE_PAGE) {
        se_frame_free_run(se, pa, size);
        for (int i = 0; se->m && se->m->cpus && i < se->m->nr_cpus; i++)
            cpu_flush_range(se->m->cpus[i], base, size, size);
    } else {
        se_frame_free(se, pa);
        se_flush(se, base, 1);
    }
    se->st.pgmigrate_success += size >> 12;
    return 1;
}

/* The pages of a range with their node (collected before anything moves). */
typedef struct page_list {
    uint64_t *va;
    size_t n, cap;
    uint64_t mask;  /* collect pages on nodes outside it (~0: every page) */
    int fail;
} page_list_t;

static void list_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    page_list_t *l = arg;
    uint64_t pa = size > SE_PAGE ? leaf_pa(*pte, size) : (*pte & PTE_ADDR_MASK);
    if (!(*pte & (PTE_P | PTE_SW_PROTNONE)))
        return;
    int n = se_node_of(se, pa);
    if (n < 0 || ((l->mask >> n) & 1))
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        uint64_t *a = realloc(l->va, cap * sizeof(uint64_t));
        if (!a) {
            l->fail = 1;
            return;
        }
        l->va = a;
        l->cap = cap;
    }
    l->va[l->n++] = va;
}

int se_mpol_new(const se_proc_t *se, int mode, int mode_flags, const se_nodemask_t *raw, se_mpol_t *pol)
{
    memset(pol, 0, sizeof(*pol));
    int empty = 1;
    for (int i = 0; i < SE_MAX_NUMNODES / 64; i++)
        empty &= !raw->w[i];
    int static_rel = mode_flags & (SE_MPOL_F_STATIC_NODES | SE_MPOL_F_RELATIVE_NODES);
    if (mode == SE_MPOL_DEFAULT)
        return empty ? 0 : -EINVAL; /* mpol_new(): no policy */
    if (mode == SE_MPOL_PREFERRED && empty) {
        if (static_rel)
            return -EINVAL;
        mode = SE_MPOL_LOCAL; /* preferred with no node is local allocation */
    } else if (mode == SE_MPOL_LOCAL) {
        if (!empty || static_rel)
            return -EINVAL;
    } else if (empty) {
        return -EINVAL;
    }
    pol->mode = mode;
    pol->flags = mode_flags;
    pol->user_nodes = raw->w[0];
    if (mode == SE_MPOL_LOCAL)
        return 0;
    /* mpol_set_nodemask(): the nodes that exist (cpuset_current_mems_allowed is every node);
     * MPOL_F_RELATIVE_NODES folds the mask onto them (mpol_relative_nodemask()). */
    int nn = se->nr_nodes;
    uint64_t all = nn >= 64 ? ~0ull : (1ull << nn) - 1, nodes = 0;
    if (mode_flags & SE_MPOL_F_RELATIVE_NODES) {
        for (int b = 0; b < SE_MAX_NUMNODES; b++)
            if ((raw->w[b / 64] >> (b % 64)) & 1)
                nodes |= 1ull << (b % nn);
    } else {
        nodes = raw->w[0] & all;
    }
    if (!nodes)
        return -EINVAL;
    pol->nodes = mode == SE_MPOL_PREFERRED ? nodes & -nodes : nodes;
    return 0;
}

long se_mbind(se_proc_t *se, uint64_t addr, uint64_t len, int mode, int mode_flags, const se_nodemask_t *raw,
              unsigned flags)
{
    if (flags & ~(unsigned)(SE_MPOL_MF_STRICT | SE_MPOL_MF_MOVE | SE_MPOL_MF_MOVE_ALL))
        return -EINVAL;
    if (flags & SE_MPOL_MF_MOVE_ALL)
        return -EPERM; /* needs CAP_SYS_NICE; the program is an ordinary user */
    if (addr & (SE_PAGE - 1))
        return -EINVAL;
    if (mode == SE_MPOL_DEFAULT)
        flags &= ~(unsigned)SE_MPOL_MF_STRICT;
    uint64_t plen = SE_PAGE_UP(len); /* PAGE_ALIGN: may wrap to 0, which does nothing */
    if (addr + plen < addr)
        return -EINVAL;
    if (!plen)
        return 0;
    uint64_t end = addr + plen;
    se_mpol_t newpol;
    long rc = se_mpol_new(se, mode, mode_flags, raw, &newpol);
    if (rc)
        return rc;
    const se_mpol_t *pol = &newpol;
    uint64_t user = raw->w[0];
    /* Holes: EFAULT, except that the default policy may be set over a range with holes as long as
     * something is mapped (MPOL_MF_DISCONTIG_OK). */
    if (pol->mode == SE_MPOL_DEFAULT ? range_unmapped(se, addr, end) : !range_covered(se, addr, end))
        return -EFAULT;
    long r = vma_split_range(se, addr, end);
    if (r)
        return r;
    /* queue_pages_range(): the pages on nodes outside the mask as given. */
    page_list_t l = {.mask = user};
    if (flags & (SE_MPOL_MF_STRICT | SE_MPOL_MF_MOVE)) {
        for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++) {
            uint64_t s0 = se->vmas[i].start > addr ? se->vmas[i].start : addr;
            uint64_t e0 = se->vmas[i].end < end ? se->vmas[i].end : end;
            for_each_pte(se, s0, e0, list_fn, &l, 0);
        }
    }
    for (int i = vma_index(se, addr); i < se->nr_vmas && se->vmas[i].start < end; i++)
        se->vmas[i].mpol = *pol;
    vma_merge_range(se, addr, end);
    int failed = l.fail;
    if (flags & SE_MPOL_MF_MOVE) {
        for (size_t i = 0; i < l.n; i++)
            if (se_move_page(se, l.va[i], -1) < 0)
                failed = 1;
    } else if (l.n) {
        failed = 1; /* MPOL_MF_STRICT alone: a page is misplaced */
    }
    free(l.va);
    return failed && (flags & SE_MPOL_MF_STRICT) ? -EIO : 0;
}

/* Linux's node_remap(): the n-th node of from goes to the (n mod |to|)-th node of to. */
static int node_remap(int n, uint64_t from, uint64_t to)
{
    if (!((from >> n) & 1) || !to)
        return n;
    int ord = __builtin_popcountll(from & ((1ull << n) - 1));
    return nth_node(to, (uint64_t)ord);
}

long se_migrate_pages(se_proc_t *se, uint64_t from, uint64_t to)
{
    page_list_t l = {.mask = ~from};
    for (int i = 0; i < se->nr_vmas; i++)
        for_each_pte(se, se->vmas[i].start, se->vmas[i].end, list_fn, &l, 0);
    long left = l.fail;
    for (size_t i = 0; i < l.n; i++) {
        uint64_t size, pa;
        if (!mapped_leaf(se, l.va[i], &size, &pa))
            continue;
        int d = node_remap(se_node_of(se, pa), from, to);
        if (se_move_page(se, l.va[i], d) < 0)
            left++;
    }
    free(l.va);
    return left;
}

/* ---- set-up, tear-down, invariants ------------------------------------------------------------- */

int se_mm_init(se_proc_t *se, char *err, size_t errlen)
{
    uint64_t end = dram_end(se->dram);
    se->nr_frames = end >> 12;
    uint64_t words = (se->nr_frames + 63) / 64;
    se->frame_used = malloc(words * sizeof(uint64_t));
    if (!se->frame_used) {
        snprintf(err, errlen, "out of host memory for the frame map");
        return -1;
    }
    memset(se->frame_used, 0xff, words * sizeof(uint64_t));
    se->frames_free = 0;
    /* se.mem_node = N: the nodes below N give no frames, so the program's memory (page tables
     * included) comes from node N first (a placement for NUMA experiments until SE mode has
     * set_mempolicy; docs/SE.md). */
    int first_node = se->m ? (int)config_get(&se->m->cfg, CFG_se_mem_node) : 0;
    if (first_node >= dram_nr_nodes(se->dram)) {
        snprintf(err, errlen, "se.mem_node = %d, but the machine has %d nodes", first_node, dram_nr_nodes(se->dram));
        return -1;
    }
    se->nr_nodes = dram_nr_nodes(se->dram);
    for (int n = 0; n < se->nr_nodes; n++) {
        uint64_t b = dram_node_base(se->dram, n) >> 12, s = dram_node_size(se->dram, n) >> 12;
        se_node_t *nd = &se->node[n];
        nd->first = nd->hint = b;
        nd->end = b + s;
        nd->free = 0;
        if (n < first_node)
            continue;
        for (uint64_t f = b; f < b + s; f++) {
            if (f == 0)
                continue; /* frame 0 stays reserved: a zero PTE address means "none" */
            frame_set(se, f, 0);
            se->frames_free++;
            nd->free++;
        }
    }
    /* The CPU (se.cpu) and its node; the fallback order of every node (its zonelist). */
    const config_t *cfg = se->m ? &se->m->cfg : NULL;
    int ncpu = cfg ? (int)(config_get(cfg, CFG_machine_sockets) * config_get(cfg, CFG_machine_cores_per_socket)) : 1;
    se->cpu = cfg ? (int)config_get(cfg, CFG_se_cpu) : 0;
    if (se->cpu >= ncpu) {
        snprintf(err, errlen, "se.cpu = %d, but the machine has %d CPUs (0-%d)", se->cpu, ncpu, ncpu - 1);
        return -1;
    }
    se->local_node = cfg ? emu_cpu_node(cfg, se->cpu) : 0;
    if (se->local_node >= se->nr_nodes)
        se->local_node = 0;
    int pt = cfg ? (int)config_get(cfg, CFG_se_pt_node) : 0;
    se->pt_node = pt == 0 ? SE_PT_POLICY : pt == 1 ? SE_PT_TASK : pt == 2 ? SE_PT_LOCAL : pt - 3;
    if (se->pt_node >= se->nr_nodes) {
        snprintf(err, errlen, "se.pt_node = %d, but the machine has %d nodes", se->pt_node, se->nr_nodes);
        return -1;
    }
    dram_topo_t topo;
    char e2[256];
    int have_topo = cfg && memsys_topology(cfg, &topo, e2, sizeof(e2)) == 0;
    for (int n = 0; n < se->nr_nodes; n++) {
        /* Linux's find_next_best_node(): by distance, a node above n before one below it at equal
         * distance, then by number (the load balancing of equal lists is left out). */
        int *o = se->node[n].order, k = 0;
        o[k++] = n;
        uint64_t used = 1ull << n;
        while (k < se->nr_nodes) {
            int best = -1, bestv = 0;
            for (int c = 0; c < se->nr_nodes; c++) {
                if ((used >> c) & 1)
                    continue;
                int d = have_topo ? topo.distance[n][c] : 20;
                int val = d * 2 + (c < n);
                if (best < 0 || val < bestv) {
                    best = c;
                    bestv = val;
                }
            }
            o[k++] = best;
            used |= 1ull << best;
        }
    }
    se->il_prev = SE_MAX_NUMNODES - 1;
    se->thp_mode = se->m ? (int)config_get(&se->m->cfg, CFG_se_thp) : SE_THP_MADVISE;
    se->nr_deposit = 0;
    se->cr3 = se_alloc_table(se, 0);
    if (!se->cr3) {
        snprintf(err, errlen, "guest memory too small for a page table");
        return -1;
    }
    se->st.page_table_pages = 1;
    return 0;
}

void se_mm_free(se_proc_t *se)
{
    for (int i = 0; i < se->nr_vmas; i++)
        se_file_put(se->vmas[i].file);
    free(se->vmas);
    se->vmas = NULL;
    se->nr_vmas = se->cap_vmas = 0;
    free(se->frame_used);
    se->frame_used = NULL;
    free(se->thp_deposit);
    se->thp_deposit = NULL;
    se->nr_deposit = se->cap_deposit = 0;
}

typedef struct check_arg {
    int bad;
    char *err;
    size_t errlen;
    uint64_t leaves, thp_leaves;
} check_arg_t;

static void check_fn(se_proc_t *se, uint64_t va, uint64_t *pte, uint64_t size, void *arg)
{
    check_arg_t *ca = arg;
    ca->leaves++;
    if (size > SE_PAGE && (*pte & PTE_SW_THP))
        ca->thp_leaves++;
    if (ca->bad)
        return;
    se_vma_t *v = se_find_vma(se, va);
    if (!v) {
        snprintf(ca->err, ca->errlen, "PTE for 0x%llx outside every VMA", (unsigned long long)va);
        ca->bad = 1;
        return;
    }
    uint64_t want = prot_pte_bits(v->prot);
    if (size > SE_PAGE) {
        /* A huge leaf: wholly inside one VMA that may hold it, at an aligned run of frames. */
        int thp = !!(*pte & PTE_SW_THP);
        want = huge_pte_bits(v->prot, thp);
        const char *why = NULL;
        if (va + size > v->end)
            why = "straddles the end of its VMA";
        else if (leaf_pa(*pte, size) != (*pte & PTE_ADDR_MASK))
            why = "maps an unaligned frame";
        else if (thp && (size != SE_HPAGE_2M || v->file || (v->flags & (VMA_SHARED | VMA_HUGETLB_2M | VMA_HUGETLB_1G))))
            why = "is a transparent huge page in a VMA that cannot have one";
        else if (!thp && vma_hugetlb(v) != size)
            why = "is not of the page size of its MAP_HUGETLB VMA";
        if (why) {
            snprintf(ca->err, ca->errlen, "huge leaf (%llu KiB) for 0x%llx %s", (unsigned long long)(size >> 10),
                     (unsigned long long)va, why);
            ca->bad = 1;
            return;
        }
    } else if (vma_hugetlb(v)) {
        snprintf(ca->err, ca->errlen, "4 KiB PTE for 0x%llx inside a MAP_HUGETLB VMA", (unsigned long long)va);
        ca->bad = 1;
        return;
    }
    uint64_t bits = *pte & ~(PTE_ADDR_MASK | PTE_A | PTE_D);
    if (bits != want) {
        snprintf(ca->err, ca->errlen, "PTE for 0x%llx has bits 0x%llx, VMA prot %d wants 0x%llx",
                 (unsigned long long)va, (unsigned long long)bits, v->prot, (unsigned long long)want);
        ca->bad = 1;
        return;
    }
    for (uint64_t off = 0; off < size; off += SE_PAGE) {
        uint64_t f = ((*pte & PTE_ADDR_MASK) + off) >> 12;
        if (f == 0 || f >= se->nr_frames || !frame_is_used(se, f)) {
            snprintf(ca->err, ca->errlen, "PTE for 0x%llx maps frame 0x%llx that is not allocated",
                     (unsigned long long)(va + off), (unsigned long long)f);
            ca->bad = 1;
            return;
        }
    }
}

/* Page-table frames reachable from the table at `table` (itself included). */
static uint64_t count_tables(const se_proc_t *se, uint64_t table, int shift)
{
    uint64_t n = 1;
    if (shift == 12)
        return n;
    const uint64_t *t = host64(se, table);
    for (int i = 0; i < 512; i++)
        if ((t[i] & PTE_P) && !huge_leaf(t[i], shift))
            n += count_tables(se, t[i] & PTE_ADDR_MASK, shift - 9);
    return n;
}

int se_mm_check(se_proc_t *se, char *err, size_t errlen)
{
    for (int i = 0; i < se->nr_vmas; i++) {
        const se_vma_t *v = &se->vmas[i];
        if (v->start >= v->end || ((v->start | v->end) & (SE_PAGE - 1)) ||
            (i > 0 && se->vmas[i - 1].end > v->start)) {
            snprintf(err, errlen, "VMA %d [0x%llx, 0x%llx) is malformed or out of order", i,
                     (unsigned long long)v->start, (unsigned long long)v->end);
            return -1;
        }
        if (i > 0 && vma_mergeable(&se->vmas[i - 1], v)) {
            snprintf(err, errlen, "VMAs %d and %d should have been merged", i - 1, i);
            return -1;
        }
    }
    check_arg_t ca = {.err = err, .errlen = errlen};
    for_each_pte(se, 0, se->levels == 5 ? (1ull << 56) : (1ull << 47), check_fn, &ca, 0);
    if (ca.bad)
        return -1;
    /* One deposited table per transparent huge page; tables and deposits are what is counted. */
    if (ca.thp_leaves != se->nr_deposit) {
        snprintf(err, errlen, "%llu transparent huge pages but %llu deposited page tables",
                 (unsigned long long)ca.thp_leaves, (unsigned long long)se->nr_deposit);
        return -1;
    }
    for (size_t i = 0; i < se->nr_deposit; i++) {
        uint64_t f = se->thp_deposit[i] >> 12;
        if (f == 0 || f >= se->nr_frames || !frame_is_used(se, f) || !table_empty(se, se->thp_deposit[i])) {
            snprintf(err, errlen, "deposited page table 0x%llx is not an allocated empty frame",
                     (unsigned long long)se->thp_deposit[i]);
            return -1;
        }
    }
    /* Each node's free count is its free bits; they add up to frames_free. */
    uint64_t free_all = 0;
    for (int n = 0; n < se->nr_nodes; n++) {
        uint64_t fr = 0;
        for (uint64_t f = se->node[n].first; f < se->node[n].end; f++)
            fr += !frame_is_used(se, f);
        if (fr != se->node[n].free) {
            snprintf(err, errlen, "node %d has %llu free frames but counts %llu", n, (unsigned long long)fr,
                     (unsigned long long)se->node[n].free);
            return -1;
        }
        free_all += fr;
    }
    if (free_all != se->frames_free) {
        snprintf(err, errlen, "%llu free frames in the nodes but frames_free is %llu", (unsigned long long)free_all,
                 (unsigned long long)se->frames_free);
        return -1;
    }
    uint64_t tables = count_tables(se, se->cr3, top_shift(se)) + se->nr_deposit;
    if (tables != se->st.page_table_pages) {
        snprintf(err, errlen, "%llu page-table frames in use but se.page_table_pages is %llu",
                 (unsigned long long)tables, (unsigned long long)se->st.page_table_pages);
        return -1;
    }
    return 0;
}

/* ---- the CPU's page-fault entry ---------------------------------------------------------------- */

int se_page_fault(cpu_t *c, uint64_t va, uint32_t err)
{
    se_proc_t *se = c->m->se;
    c->st.page_faults++;
    if (!se)
        return 0;
    int r = se_handle_fault(se, va, err);
    if (!r && se->oom)
        se_out_of_memory(se, c);
    return r;
}

/* ---- what each frame is, for the visualizer (emu/snapshot.c) ------------------------------------- */

/* Mark the frames of one leaf (present, or PROT_NONE keeping its frames) by the VMA that maps va. */
static void classify_leaf(se_proc_t *se, uint64_t va, uint64_t e, uint64_t size, uint8_t *state, uint8_t *aux)
{
    se_vma_t *v = se_find_vma(se, va);
    uint8_t st = v && v->file ? EMU_SNAP_FILE : EMU_SNAP_ANON;
    uint64_t f0 = leaf_pa(e, size) >> 12;
    for (uint64_t f = f0; f < f0 + (size >> 12) && f < se->nr_frames; f++) {
        state[f] = st;
        aux[f] = 0;
    }
}

static void classify_table(se_proc_t *se, uint64_t table, int level, uint64_t va_base, uint8_t *state, uint8_t *aux)
{
    uint64_t tf = table >> 12;
    if (tf >= se->nr_frames)
        return;
    state[tf] = EMU_SNAP_PAGE_TABLE;
    aux[tf] = (uint8_t)level;
    const uint64_t *t = host64(se, table);
    int shift = 12 + 9 * (level - 1);
    for (int i = 0; i < 512; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_P) && !(e & PTE_SW_PROTNONE))
            continue;
        uint64_t va = va_base + ((uint64_t)i << shift);
        if (level > 1 && !huge_leaf(e, shift) && (e & PTE_P))
            classify_table(se, e & PTE_ADDR_MASK, level - 1, va, state, aux);
        else if (level == 1 || huge_leaf(e, shift))
            classify_leaf(se, va, e, 1ull << shift, state, aux);
    }
}

/* Fill state[] and aux[] (one byte each per frame of [0, nr_frames), enum emu_snap_state numbering)
 * with what the SE kernel uses each frame for: free frames; paging structures (aux: level 1 = PT ...
 * 5 = PML5) including the tables deposited for THPs; user data mapped by an anonymous VMA (anon) or
 * a file mapping such as the program image (file); frame 0 reserved; anything else allocated is
 * kernel. Cost: the frame bitmap plus one walk of the page tables. */
void se_frame_states(machine_t *m, uint8_t *state, uint8_t *aux)
{
    se_proc_t *se = m->se;
    if (!se)
        return;
    uint64_t n = se->nr_frames;
    for (uint64_t w = 0; w < (n + 63) / 64; w++) {
        uint64_t bits = se->frame_used[w];
        uint64_t lo = w * 64, hi = lo + 64 < n ? lo + 64 : n;
        if (bits == 0 || bits == ~0ull) {
            memset(state + lo, bits ? EMU_SNAP_KERNEL : EMU_SNAP_FREE, hi - lo);
        } else {
            for (uint64_t f = lo; f < hi; f++)
                state[f] = frame_is_used(se, f) ? EMU_SNAP_KERNEL : EMU_SNAP_FREE;
        }
        memset(aux + lo, 0, hi - lo);
    }
    /* Frames that are not RAM (holes between nodes) are marked used in the bitmap: leave them to the
     * caller, which knows the nodes. */
    if (n)
        state[0] = EMU_SNAP_RESERVED;
    for (size_t i = 0; i < se->nr_deposit; i++) {
        uint64_t f = se->thp_deposit[i] >> 12;
        if (f < n) {
            state[f] = EMU_SNAP_PAGE_TABLE;
            aux[f] = 1;
        }
    }
    if (se->cr3)
        classify_table(se, se->cr3, se->levels, 0, state, aux);
}

uint64_t se_frames_free(const machine_t *m) { return m->se ? m->se->frames_free : 0; }
