/* ui: the live visualizer (docs/UI.md). An SDL2 window, or headless PNG snapshots, of the physical
 * memory map (frames by node and zone, coloured by state, with a decaying access-heat overlay), the
 * TLB sets of each CPU, counters over time and per-node frame and page-walk counts.
 *
 * The UI reads only snapshots (emu_snapshot_t, emu/emu.h), taken between chunks of the run by an
 * observer it installs on the machine; it never reads live state. Rendering is software-only into
 * an SDL_Surface, so the same picture is drawn in a window and into PNG files with no display.
 */
#ifndef UI_UI_H
#define UI_UI_H

#include <stdint.h>

#include "emu/emu.h"

typedef struct ui ui_t;

typedef struct ui_opts {
    int window;                 /* --ui: open a window (needs a display) */
    const char *snapshot_path;  /* --snapshot=FILE.png: the picture at the end of the run */
    uint64_t snapshot_every;    /* --snapshot-every=N: a picture every N instructions... */
    const char *snapshot_dir;   /* ...into this folder (snap-<instructions>.png), or a printf
                                   pattern with one %llu (the instruction count) if it has a '%' */
    const char *heat_export;    /* --heat-export=FILE: damo-style text of the heat per snapshot */
    uint64_t interval;          /* --ui-interval=N: instructions between observer calls (0: default) */
    int width, height;          /* picture size (0: 1400 x 860) */
    const char *title;          /* shown in the header (program name), or NULL */
} ui_opts_t;

/* Build the UI for m. With o->window, opens the window (fails with a message when there is no
 * display). NULL with a message in err on failure. */
ui_t *ui_new(emu_t *m, const ui_opts_t *o, char *err, size_t errlen);
/* Install the observer on m (call before emu_run). */
void ui_attach(ui_t *ui);
/* After emu_run: the last snapshot and picture (--snapshot), and with a window, keep showing the
 * final state until the user quits. Returns 0, or -1 if a picture could not be written (message
 * printed). */
int ui_finish(ui_t *ui);
/* The user closed the window before the run ended (the run was stopped). */
int ui_quit_requested(const ui_t *ui);
void ui_free(ui_t *ui);

/* ---- for tests and tools ------------------------------------------------------------------------- */
/* A UI with no machine: renders snapshots given to it (headless). */
ui_t *ui_new_headless(int width, int height, char *err, size_t errlen);
/* Draw s (the view and history of the UI are updated as if s had just been taken). */
void ui_render(ui_t *ui, const emu_snapshot_t *s);
int ui_save_png(ui_t *ui, const char *path, char *err, size_t errlen);
/* Pixel 0xRRGGBB of the last rendering. */
uint32_t ui_pixel(ui_t *ui, int x, int y);
/* Where things were drawn by the last rendering (top-left pixel of the cell); -1 if not drawn. */
int ui_cell_pos(ui_t *ui, uint32_t cell, int *x, int *y);
int ui_tlb_pos(ui_t *ui, int array, uint32_t set, uint32_t way, int *x, int *y);
/* The same for the NUMA traffic matrix: the centre of the (socket, node) cell, 0 or -1; and the
 * colour (0xRRGGBB) of a local or remote cell with acc requests when the busiest has max_acc. */
int ui_numa_pos(ui_t *ui, int socket, int node, int *x, int *y);
uint32_t ui_numa_color(int local, uint64_t acc, uint64_t max_acc);
int ui_legend_pos(ui_t *ui, int state, int *x, int *y);
/* Colours (0xRRGGBB): a frame state (aux: the buddy order for free frames), and a TLB way of a
 * set with the given hits and misses in the interval (max_acc: the busiest set of its array). */
uint32_t ui_state_color(int state, int aux);
uint32_t ui_tlb_color(int valid, uint64_t hits, uint64_t misses, uint64_t max_acc);
/* Choose the CPU shown (ui keys 0-9 / Tab), show the heat overlay or not. */
void ui_select_cpu(ui_t *ui, int cpu);
void ui_show_heat(ui_t *ui, int on);

#endif
