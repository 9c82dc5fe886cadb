/* include/linux/mm_annot.h: telling the emulator what each frame is (mm/annot.c).
 *
 * Every change of a frame's state (free in the buddy with its order, on a per-CPU list, reserved,
 * kernel, memmap, page table with its level...) is written as one entry of this CPU's annotation
 * ring (guest/abi.h, docs/DEVICES.md). Entries are batched: writing one is a few stores and no
 * exit; the emulator drains the rings between quanta, and the guest asks for a drain (a call)
 * only when its ring is full, so nothing is dropped. Before the rings exist (early boot) entries
 * wait in a static buffer that the boot CPU's ring takes over. Annotations cost no simulated time.
 */
#ifndef _LINUX_MM_ANNOT_H
#define _LINUX_MM_ANNOT_H

#include <linux/types.h>
#include "abi.h"

void mm_annotate(unsigned long pfn, unsigned long nr_pages, unsigned int state, unsigned int aux, u64 owner);
static inline void mm_annotate_pa(u64 pa, u64 size, unsigned int state, unsigned int aux)
{
    if (size)
        mm_annotate(pa >> 12, (size + 4095) >> 12, state, aux, 0);
}
/* Allocate and register this CPU's ring (each CPU calls it for itself). */
void mm_annot_cpu_init(void);
/* Per-CPU ring memory, allocated on the CPU's node by setup_per_cpu_areas(). */
void mm_annot_alloc_ring(unsigned int cpu, int nid);
extern unsigned long mm_annot_entries, mm_annot_drains;

#endif
