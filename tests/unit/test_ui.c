/* Unit tests for ui/: a known snapshot renders a PNG whose pixels at known frames, TLB sets and legend
 * swatches have the expected colours (read back with SDL2_image); and emu_snapshot_take on a real
 * SE machine classifies its frames (free, reserved, page table, anon/file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "emu/emu.h"
#include "ui/ui.h"

#define NSETS 16
#define NWAYS 4

/* A machine state built by hand: one node of 32 MiB (DMA and DMA32), 16 frames per cell, cell k in
 * state k % 12; one CPU whose dTLB has a hit-only set 3, a miss-only set 5, an empty set 7. */
typedef struct fake {
    emu_snapshot_t s;
    emu_snap_cell_t cells[512];
    uint32_t h[NSETS], mi[NSETS], ev[NSETS];
    uint8_t valid[NSETS * NWAYS];
    emu_snap_cpu_t cpu;
} fake_t;

static void fake_init(fake_t *f)
{
    memset(f, 0, sizeof(*f));
    emu_snapshot_t *s = &f->s;
    s->seq = 1;
    s->mode = EMU_MODE_FS;
    s->timing = 1;
    s->run_insns = s->instructions = 1000000;
    s->cycles = 2000000;
    s->nr_nodes = 1;
    s->node_size[0] = 32ull << 20;
    s->view_lo = 0;
    s->view_hi = 8192;
    s->frames_per_cell = 16;
    s->nr_segs = 2;
    s->segs[0] = (emu_snap_seg_t){.node = 0, .zone = EMU_ZONE_DMA, .pfn_lo = 0, .pfn_hi = 4096, .first_cell = 0, .nr_cells = 256};
    s->segs[1] = (emu_snap_seg_t){.node = 0, .zone = EMU_ZONE_DMA32, .pfn_lo = 4096, .pfn_hi = 8192, .first_cell = 256,
                                  .nr_cells = 256};
    s->nr_cells = s->cap_cells = 512;
    s->cells = f->cells;
    for (int k = 0; k < 512; k++) {
        f->cells[k].state = (uint8_t)(k % EMU_SNAP_NR_STATES);
    }
    for (int k = 0; k < EMU_SNAP_NR_STATES; k++)
        s->node_frames[0][k] = s->frames[k] = 8192 / EMU_SNAP_NR_STATES;
    emu_snap_tlb_t *t = &f->cpu.tlb[0];
    f->cpu.nr_tlbs = 1;
    snprintf(t->name, sizeof(t->name), "dTLB 4K");
    t->level = EMU_SNAP_L1D;
    t->sets = NSETS;
    t->ways = NWAYS;
    t->set_hits = f->h;
    t->set_misses = f->mi;
    t->set_evictions = f->ev;
    t->valid = f->valid;
    memset(f->valid, 1, sizeof(f->valid));
    for (int w = 0; w < NWAYS; w++)
        f->valid[7 * NWAYS + w] = 0;
    f->h[3] = 100;
    f->mi[5] = 100;
    f->ev[5] = 10;
    t->hits = 100;
    t->misses = 100;
    s->nr_cpus = 1;
    s->cpus = &f->cpu;
}

/* The pixel (0xRRGGBB) at x, y of a PNG file, read back through SDL2_image. */
static uint32_t png_pixel(SDL_Surface *img, int x, int y)
{
    const uint32_t *row = (const uint32_t *)((const uint8_t *)img->pixels + (size_t)y * (size_t)img->pitch);
    return row[x] & 0xffffff;
}

static SDL_Surface *load_png(const char *path)
{
    SDL_Surface *raw = IMG_Load(path);
    assert_non_null(raw);
    SDL_Surface *img = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(raw);
    assert_non_null(img);
    return img;
}

static void test_render_known_state(void **state)
{
    (void)state;
    char err[512];
    ui_t *ui = ui_new_headless(1400, 860, err, sizeof(err));
    if (!ui)
        fail_msg("ui_new_headless: %s", err);
    static fake_t f;
    fake_init(&f);
    ui_show_heat(ui, 0);
    ui_render(ui, &f.s);
    mkdir("build", 0777);
    mkdir("build/tests", 0777);
    const char *path = "build/tests/ui-unit.png";
    assert_int_equal(ui_save_png(ui, path, err, sizeof(err)), 0);
    SDL_Surface *img = load_png(path);
    assert_int_equal(img->w, 1400);
    assert_int_equal(img->h, 860);
    /* Frames: every cell's top-left pixel has its state's colour. */
    int x, y;
    for (uint32_t k = 0; k < 512; k += 37) {
        assert_int_equal(ui_cell_pos(ui, k, &x, &y), 0);
        assert_int_equal(png_pixel(img, x, y), ui_state_color(f.cells[k].state, 0));
        assert_int_equal(png_pixel(img, x, y), ui_pixel(ui, x, y));
    }
    /* Cells in the DMA32 band lie below those of the DMA band. */
    int x0, y0, x1, y1;
    ui_cell_pos(ui, 0, &x0, &y0);
    ui_cell_pos(ui, 256, &x1, &y1);
    assert_true(y1 > y0);
    /* TLB sets: hits only (green), misses only (red), empty ways, idle valid ways. */
    assert_int_equal(ui_tlb_pos(ui, 0, 3, 0, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), ui_tlb_color(1, 100, 0, 100));
    assert_int_equal(ui_tlb_pos(ui, 0, 5, 2, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), ui_tlb_color(1, 0, 100, 100));
    assert_int_equal(ui_tlb_pos(ui, 0, 7, 1, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), ui_tlb_color(0, 0, 0, 100));
    assert_int_equal(ui_tlb_pos(ui, 0, 9, 3, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), ui_tlb_color(1, 0, 0, 100));
    uint32_t green = ui_tlb_color(1, 100, 0, 100), red = ui_tlb_color(1, 0, 100, 100);
    assert_true(((green >> 8) & 255) > ((green >> 16) & 255)); /* hits: green dominates */
    assert_true(((red >> 16) & 255) > ((red >> 8) & 255));     /* misses: red dominates */
    /* The legend. */
    for (int st = 0; st < EMU_SNAP_NR_STATES; st++) {
        assert_int_equal(ui_legend_pos(ui, st, &x, &y), 0);
        assert_int_equal(png_pixel(img, x, y), ui_state_color(st, 0));
    }
    SDL_FreeSurface(img);
    ui_free(ui);
}

static void test_heat_overlay(void **state)
{
    (void)state;
    char err[512];
    ui_t *ui = ui_new_headless(1400, 860, err, sizeof(err));
    assert_non_null(ui);
    static fake_t f;
    fake_init(&f);
    f.cells[40].heat = 1000; /* one hot cell */
    ui_render(ui, &f.s);
    int x, y;
    assert_int_equal(ui_cell_pos(ui, 40, &x, &y), 0);
    /* A hot cell is no longer its plain state colour somewhere inside; a cold one is. */
    int x1, y1;
    assert_int_equal(ui_cell_pos(ui, 41, &x1, &y1), 0);
    int px = x1 - x; /* cells 40 and 41 share a row */
    assert_true(px >= 1);
    uint32_t plain = ui_state_color(f.cells[40].state, 0), mid = ui_pixel(ui, x + px / 2, y + px / 2);
    assert_true(mid != plain);
    assert_true(((mid >> 16) & 255) >= ((mid >> 8) & 255)); /* the hot scale: red, yellow, white */
    assert_int_equal(ui_pixel(ui, x1 + px / 2, y1 + px / 2), ui_state_color(f.cells[41].state, 0));
    ui_free(ui);
}

static void test_snapshot_of_machine(void **state)
{
    (void)state;
    config_t cfg;
    char err[512];
    config_defaults(&cfg);
    assert_int_equal(config_load(&cfg, "tiny", err, sizeof(err)), 0);
    emu_t *m = emu_new(&cfg, EMU_MODE_SE, err, sizeof(err));
    assert_non_null(m);
    emu_snapshot_t *s = emu_snapshot_new(m);
    assert_non_null(s);
    assert_int_equal(emu_snapshot_take(m, s, 0, 0, 1000), 0);
    assert_int_equal(s->nr_nodes, 1);
    assert_true(s->frames_per_cell >= 16); /* 64 MiB = 16384 frames in at most 1000 cells */
    assert_true(s->nr_cells <= 1000);
    assert_int_equal(s->nr_segs, 2); /* DMA and DMA32 */
    assert_int_equal(s->segs[0].zone, EMU_ZONE_DMA);
    assert_int_equal(s->segs[1].pfn_lo, 4096);
    assert_int_equal(emu_zone_of(4095), EMU_ZONE_DMA);
    assert_int_equal(emu_zone_of(1ull << 20), EMU_ZONE_NORMAL);
    assert_true(s->nr_cpus >= 1);
    assert_true(s->cpus[0].nr_tlbs >= 3);
    /* A zoomed view: 64 frames at one per cell. */
    assert_int_equal(emu_snapshot_take(m, s, 4096, 4160, 1000), 0);
    assert_int_equal(s->frames_per_cell, 1);
    assert_int_equal(s->nr_cells, 64);
    emu_snapshot_free(m, s);
    emu_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_known_state),
        cmocka_unit_test(test_heat_overlay),
        cmocka_unit_test(test_snapshot_of_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
