/* mmu: the functional x86-64 page walk.
 *
 * The walk starts at CR3 and indexes one table per level with 9 bits of the virtual address
 * (bits 56..48 for the PML5 when LA57 is on, then 47..39, 38..30, 29..21, 20..12). An entry
 * without P ends the walk with a not-present fault. PS in a PDPTE maps a 1 GiB page and in a PDE a
 * 2 MiB page; PS in a PML4E or PML5E is reserved. Permissions are the AND of every level: R/W and
 * U/S must be set at all levels for a write or a user access, and NX at any level forbids fetch.
 * Supervisor writes to read-only pages fault only when CR0.WP is set. Accessed bits are set on
 * every entry used, the dirty bit on the leaf of a write; as on hardware they are set only on a
 * successful translation.
 */
#include "mmu.h"

#include <string.h>

/* Reserved bits of an entry's address field above the supported physical width (46 bits here). */
#define PTE_RSVD_HIGH 0x000fc00000000000ull

static int load_entry(dram_t *mem, uint64_t pa, uint64_t *e)
{
    uint8_t *h = dram_host(mem, pa);
    if (!h)
        return -1;
    memcpy(e, h, 8);
    return 0;
}

static void store_entry(dram_t *mem, uint64_t pa, uint64_t e)
{
    uint8_t *h = dram_host(mem, pa);
    if (h)
        memcpy(h, &e, 8);
}

int mmu_translate(dram_t *mem, const mmu_ctx_t *ctx, uint64_t va, enum mmu_access acc, mmu_result_t *r)
{
    memset(r, 0, sizeof(*r));
    if (!mmu_canonical(va, ctx->levels))
        return -2;

    uint32_t err_base = (acc == MMU_WRITE ? PF_W : 0) | (ctx->user ? PF_U : 0) |
                        (acc == MMU_EXEC && ctx->nxe ? PF_I : 0);
    uint64_t table = ctx->cr3 & PTE_ADDR_MASK;
    int writable = 1, user = 1, exec = 1;
    uint64_t entries[5];
    int shift = ctx->levels == 5 ? 48 : 39;
    int n = 0;

    for (;; shift -= 9) {
        uint64_t idx = (va >> shift) & 0x1ff;
        uint64_t epa = table + idx * 8;
        uint64_t e;
        r->pte_pa[n] = epa;
        if (load_entry(mem, epa, &e) < 0) {
            /* A table outside RAM reads as all ones on real buses; treat as a reserved-bit fault. */
            r->nr_levels_read = n + 1;
            r->pf_error = err_base | PF_P | PF_RSVD;
            return -1;
        }
        entries[n++] = e;
        r->nr_levels_read = n;
        if (!(e & PTE_P)) {
            r->pf_error = err_base;
            return -1;
        }
        int leaf = shift == 12 || ((shift == 21 || shift == 30) && (e & PTE_PS));
        uint64_t rsvd = PTE_RSVD_HIGH | (ctx->nxe ? 0 : PTE_NX);
        if (shift > 30 && (e & PTE_PS))
            rsvd |= PTE_PS;
        if (leaf && shift == 21)
            rsvd |= 0x1fe000ull; /* bits 20:13 of a 2 MiB PDE */
        if (leaf && shift == 30)
            rsvd |= 0x3fffe000ull; /* bits 29:13 of a 1 GiB PDPTE */
        if (e & rsvd) {
            r->pf_error = err_base | PF_P | PF_RSVD;
            return -1;
        }
        writable &= !!(e & PTE_RW);
        user &= !!(e & PTE_US);
        if (ctx->nxe && (e & PTE_NX))
            exec = 0;
        if (leaf) {
            uint64_t size = 1ull << shift;
            r->page_size = size;
            r->pa = (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
            r->global = !!(e & PTE_G);
            break;
        }
        table = e & PTE_ADDR_MASK;
    }

    /* Permission checks (SDM 4.6). */
    int fault = 0;
    if (ctx->user && !user)
        fault = 1;
    else if (acc == MMU_WRITE && !writable && (ctx->user || ctx->wp))
        fault = 1;
    else if (acc == MMU_EXEC && !exec)
        fault = 1;
    else if (acc == MMU_EXEC && !ctx->user && user)
        fault = 0; /* SMEP is not modelled: supervisor may fetch user pages */
    if (fault) {
        r->pf_error = err_base | PF_P;
        return -1;
    }

    /* Set accessed bits on every level and dirty on the leaf of a write. */
    for (int i = 0; i < n; i++) {
        uint64_t e = entries[i] | PTE_A;
        if (i == n - 1 && acc == MMU_WRITE)
            e |= PTE_D;
        if (e != entries[i]) {
            store_entry(mem, r->pte_pa[i], e);
            entries[i] = e;
        }
    }
    r->writable = writable;
    r->user = user;
    r->executable = exec;
    r->dirty = !!(entries[n - 1] & PTE_D);
    return 0;
}
