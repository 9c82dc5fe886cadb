/* include/linux/vmstat.h: VM event counters (Linux's vm_event_item.h and vmstat.h).
 *
 * Events (pages allocated per zone, pages freed, direct-map splits, TLB flushes...) are counted
 * per CPU without locks or atomics, in the per-CPU variable vm_event_states (DEFINE_PER_CPU:
 * this_cpu_add() on this CPU's copy); /proc/vmstat sums the copies of every CPU
 * (all_vm_events()). Only the events this kernel produces are here; /proc/vmstat prints Linux's
 * other names with 0 (mm/vmstat.c).
 */
#ifndef _LINUX_VMSTAT_H
#define _LINUX_VMSTAT_H

#include <linux/percpu-defs.h>

enum vm_event_item {
    PGALLOC_DMA,            /* pgalloc_<zone>: pages allocated, by zone (order-n counts 2^n) */
    PGALLOC_DMA32,
    PGALLOC_NORMAL,
    PGALLOC_MOVABLE,
    PGFREE,                 /* pages freed */
    DIRECT_MAP_LEVEL2_SPLITS,   /* 2 MiB direct-map pages split into 4 KiB ones */
    DIRECT_MAP_LEVEL3_SPLITS,   /* 1 GiB direct-map pages split into 2 MiB ones */
    NR_TLB_REMOTE_FLUSH,        /* shootdowns sent (Linux's CONFIG_DEBUG_TLBFLUSH counters) */
    NR_TLB_REMOTE_FLUSH_RECEIVED,
    NR_TLB_LOCAL_FLUSH_ALL,
    NR_TLB_LOCAL_FLUSH_ONE,
    NR_VM_EVENT_ITEMS
};

struct vm_event_state {
    unsigned long event[NR_VM_EVENT_ITEMS];
};
DECLARE_PER_CPU(struct vm_event_state, vm_event_states);

static inline void count_vm_event(enum vm_event_item item) { this_cpu_inc(vm_event_states.event[item]); }
static inline void count_vm_events(enum vm_event_item item, long delta) { this_cpu_add(vm_event_states.event[item], delta); }
/* The sum over every CPU. */
void all_vm_events(unsigned long *ret);

struct seq_buf;
void vmstat_show(struct seq_buf *m);
void node_numastat_show(struct seq_buf *m, int nid);

#endif
