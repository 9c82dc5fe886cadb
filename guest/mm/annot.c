/* mm/annot.c: the per-CPU mm-annotation rings (guest/abi.h, docs/DEVICES.md "mm annotations").
 *
 * The emulator does not parse kernel structures; the kernel tells it what each frame becomes.
 * Each CPU owns a ring of ANNOT_RING_ENTRIES entries on its own node. mm_annotate() is called with
 * interrupts disabled or saves them itself (an interrupt handler may allocate), writes the entry
 * at head and then advances head: a handful of stores, no exit. The emulator consumes entries
 * between quanta. When the ring is full, the CPU asks the emulator to drain it at once (the same
 * EMU_CALL_ANNOT_RING with the ring's own address) instead of dropping the entry, so the
 * emulator's view of every frame is exact.
 *
 * Before a CPU has registered its ring (early boot: memblock's reservations, the page tables, the
 * memmap), entries are kept in a static buffer; the boot CPU's registration replays them into its
 * ring. Annotations from other CPUs before their registration would go to the same buffer, but
 * they make none: they register first thing in start_secondary().
 */
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/mm_annot.h>
#include <asm/emu.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/irqflags.h>
#include <asm/smp.h>

#define ANNOT_RING_PAGES 16
#define ANNOT_RING_ENTRIES 2048      /* a power of two that fits in 16 pages after the header */
_Static_assert(sizeof(struct emu_annot_ring) + ANNOT_RING_ENTRIES * sizeof(struct emu_annot) <=
               ANNOT_RING_PAGES * 4096, "annotation ring size");

#define EARLY_ANNOT_MAX 1024
static struct emu_annot early_annot[EARLY_ANNOT_MAX];
static unsigned int nr_early_annot, early_annot_lost;
unsigned long mm_annot_entries, mm_annot_drains;

void mm_annot_alloc_ring(unsigned int cpu, int nid)
{
    struct pcpu *p = cpu_pcpu(cpu);
    p->annot_ring = memblock_alloc_node(ANNOT_RING_PAGES * PAGE_SIZE, PAGE_SIZE, nid);
    p->annot_ring_pa = __pa(p->annot_ring);
    p->annot_nr = ANNOT_RING_ENTRIES;
    p->annot_ring->nr_entries = ANNOT_RING_ENTRIES;
    pcpu_nr_pages_add(ANNOT_RING_PAGES);
}

static void ring_put(struct pcpu *p, const struct emu_annot *e)
{
    struct emu_annot_ring *r = p->annot_ring;
    u32 head = r->head;
    if (head - READ_ONCE(r->tail) >= p->annot_nr) {
        emu_call(EMU_CALL_ANNOT_RING, p->annot_ring_pa, p->annot_nr, 0, 0, 0, 0);   /* drain now */
        mm_annot_drains++;
        if (head - READ_ONCE(r->tail) >= p->annot_nr) {
            r->dropped++;
            return;
        }
    }
    r->entries[head & (p->annot_nr - 1)] = *e;
    barrier();
    WRITE_ONCE(r->head, head + 1);
}

void mm_annotate(unsigned long pfn, unsigned long nr_pages, unsigned int state, unsigned int aux, u64 owner)
{
    unsigned long flags;
    local_irq_save(flags);
    while (nr_pages) {
        u32 n = nr_pages > 0x80000000ul ? 0x80000000u : (u32)nr_pages;
        struct emu_annot e = { pfn, n, (u16)state, (u16)aux, owner };
        struct pcpu *p = this_cpu();
        if (p->annot_registered)
            ring_put(p, &e);
        else if (nr_early_annot < EARLY_ANNOT_MAX)
            early_annot[nr_early_annot++] = e;
        else
            early_annot_lost++;
        mm_annot_entries++;
        pfn += n;
        nr_pages -= n;
    }
    local_irq_restore(flags);
}

void mm_annot_cpu_init(void)
{
    struct pcpu *p = this_cpu();
    if (!p->annot_ring)
        return;
    int ret = emu_call(EMU_CALL_ANNOT_RING, p->annot_ring_pa, p->annot_nr, 0, 0, 0, 0);
    if (ret) {
        pr_warn("mm: CPU %u: the emulator refused the annotation ring (%d)\n", p->cpu_number, ret);
        return;
    }
    p->annot_registered = 1;
    if (p->cpu_number == 0) {
        unsigned long flags;
        local_irq_save(flags);
        for (unsigned int i = 0; i < nr_early_annot; i++)
            ring_put(p, &early_annot[i]);
        local_irq_restore(flags);
        if (early_annot_lost)
            pr_warn("mm: %u early annotations lost\n", early_annot_lost);
        nr_early_annot = 0;
    }
}
