/* se: syscall emulation. The emulator plays the Linux kernel for one static x86-64 process: it
 * loads the ELF, builds the initial stack, owns the process's page tables (genuine x86-64 tables in
 * guest physical memory, built and edited here), places frames, fills mappings on first touch and
 * implements the Linux system calls. Private to emu/.
 */
#ifndef EMU_SE_H
#define EMU_SE_H

#include <stddef.h>
#include <stdint.h>

#include "emu/machine.h"

/* Per-process counters, registered as "se.<name>" (docs/STATS.md). */
#define SE_COUNTERS(X)                                                                           \
    X(frames_allocated, "Physical frames the SE kernel allocated (data and page tables)")        \
    X(frames_freed, "Physical frames freed (munmap, brk shrink)")                              \
    X(page_table_pages, "Frames holding page tables")                                            \
    X(demand_faults, "Page faults resolved by filling a mapping on first touch")                \
    X(segv_faults, "Page faults that raised SIGSEGV")                                            \
    X(thp_faults, "Demand faults that mapped a whole 2 MiB transparent huge page")               \
    X(thp_fallbacks, "THP-eligible faults that fell back to 4 KiB pages (no aligned free 2 MiB)") \
    X(thp_splits, "2 MiB transparent huge pages split into 4 KiB PTEs (partial munmap...)")     \
    X(hugetlb_faults, "Demand faults that mapped a MAP_HUGETLB page (2 MiB or 1 GiB)")           \
    X(numa_hit, "Frames allocated on the node the policy preferred (numastat, all nodes)")       \
    X(numa_miss, "Frames allocated on another node than the preferred one (numastat)")          \
    X(numa_foreign, "Frames preferred on a node but allocated elsewhere (numastat)")            \
    X(interleave_hit, "Interleave allocations that got their target node (numastat)")           \
    X(local_node, "Frames allocated on the node of the program's CPU (numastat)")               \
    X(other_node, "Frames allocated on other nodes than the CPU's (numastat)")                  \
    X(pgmigrate_success, "Pages moved to another node (mbind MPOL_MF_MOVE, move_pages...)")    \
    X(pgmigrate_fail, "Pages that could not be moved (no free frame on the target node)")      \
    X(unknown_syscalls, "System calls answered with ENOSYS")

/* Per NUMA node, registered as "se.nodeN.<name>" (docs/STATS.md): numastat's counters of the node
 * and the frames the program holds there. */
#define SE_NODE_COUNTERS(X)                                                                      \
    X(numa_hit, "Frames allocated on node N as the policy preferred")                            \
    X(numa_miss, "Frames allocated on node N although another node was preferred")              \
    X(numa_foreign, "Frames preferred on node N but allocated on another node")                 \
    X(interleave_hit, "Interleave allocations that got node N as their target")                 \
    X(local_node, "Frames allocated on node N while the program ran on one of its CPUs")        \
    X(other_node, "Frames allocated on node N while the program ran on another node's CPU")     \
    X(frames, "Frames of node N the program holds now (data and page tables; a gauge)")          \
    X(page_tables, "Frames of node N holding the program's page tables now (a gauge)")

/* Load the program into m (a freshly built machine) and prepare CPU 0 to run it. Returns 0 or an
 * exit status (EMU_EXIT_NOEXEC, EMU_EXIT_NOTFOUND, EMU_EXIT_ERROR) with a message in err. */
int se_load(machine_t *m, const emu_program_t *p, char *err, size_t errlen);
void se_free(machine_t *m);

/* The syscall instruction in SE mode (called by its handler with rip past the instruction). */
void se_syscall(cpu_t *c);

/* A page fault at va with error code err during an access. Returns 1 when SE resolved it (the
 * access is retried), 0 when it is a genuine fault (the CPU then raises #PF -> SIGSEGV). */
int se_page_fault(cpu_t *c, uint64_t va, uint32_t err);

/* An exception the program did not survive in-line (#PF unresolved, #GP, #UD, #DE, int3...):
 * deliver the matching signal (to its handler, or with its default action). rip is at the faulting
 * instruction. */
void se_exception(cpu_t *c, int vector, uint32_t err, uint64_t addr);

/* What each frame is (the visualizer, emu/snapshot.c): state[] and aux[] get one byte per frame of
 * [0, m->nr_frames) in the numbering of enum emu_snap_state (emu/emu.h). */
void se_frame_states(machine_t *m, uint8_t *state, uint8_t *aux);
uint64_t se_frames_free(const machine_t *m);

#endif
