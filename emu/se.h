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
    X(unknown_syscalls, "System calls answered with ENOSYS")

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
