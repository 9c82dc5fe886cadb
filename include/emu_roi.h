/* emu_roi.h: region-of-interest markers for workloads measured with emu.
 *
 *     #include "emu_roi.h"
 *     ...set-up...
 *     EMU_ROI_BEGIN();
 *     ...the part to measure...
 *     EMU_ROI_END();
 *
 * Each marker is one NOP instruction with a magic displacement (nopw 0x454d55XX(%rax,%rax,1)):
 * on real hardware, under qemu or valgrind it does nothing and costs almost nothing, so the same
 * binary runs natively; emu recognises it in every mode (SE and full system alike, since the CPU
 * sees it directly). With `emu run --fast-forward=roi` the run is functional up to EMU_ROI_BEGIN,
 * timed and counted from there (counters reset), and the counters are frozen at EMU_ROI_END (the
 * rest runs functionally). docs/TIMING.md describes them. x86-64 only; plain C, no dependencies.
 */
#ifndef EMU_ROI_H
#define EMU_ROI_H

#if defined(__x86_64__)
#define EMU_MARKER_(code) __asm__ __volatile__("nopw 0x454d55" #code "(%%rax,%%rax,1)" ::: "memory")
#else
#define EMU_MARKER_(code) ((void)0)
#endif

/* Start of the measured region. */
#define EMU_ROI_BEGIN() EMU_MARKER_(01)
/* End of the measured region. */
#define EMU_ROI_END() EMU_MARKER_(02)

#endif
