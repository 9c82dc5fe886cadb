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
#include "emu/fs.h"
#include "emu/machine.h"
#include "emu/memsys.h"
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
    /* Zones: Linux's default split of the node, their free frames adding up to the free frames. */
    assert_int_equal(s->nr_zones, 2);
    assert_int_equal(s->has_wmarks, 0);
    assert_int_equal(s->zones[0].type, EMU_ZONE_DMA);
    assert_int_equal(s->zones[1].start_pfn, 4096);
    assert_int_equal(s->zones[0].free + s->zones[1].free, s->frames[EMU_SNAP_FREE]);
    /* A copy holds the same picture in buffers of its own. */
    emu_snapshot_t *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    assert_int_equal(emu_snapshot_copy(c, s), 0);
    assert_int_equal(c->nr_cells, s->nr_cells);
    assert_ptr_not_equal(c->cells, s->cells);
    assert_memory_equal(c->cells, s->cells, s->nr_cells * sizeof(*s->cells));
    assert_int_equal(c->cpus[0].nr_tlbs, s->cpus[0].nr_tlbs);
    assert_ptr_not_equal(c->cpus[0].tlb[0].valid, s->cpus[0].tlb[0].valid);
    assert_int_equal(c->cpus[0].tlb[0].sets, s->cpus[0].tlb[0].sets);
    assert_int_equal(c->zones[1].free, s->zones[1].free);
    assert_int_equal(emu_snapshot_take(m, s, 0, 0, 1000), 0); /* again, larger: the copy grows */
    assert_int_equal(emu_snapshot_copy(c, s), 0);
    assert_int_equal(c->nr_cells, s->nr_cells);
    assert_memory_equal(c->cells, s->cells, s->nr_cells * sizeof(*s->cells));
    emu_snapshot_free(m, c);
    emu_snapshot_free(m, s);
    emu_free(m);
}

/* Owner names travel with the snapshot; the free pages per zone are drawn with their watermarks. */
static void test_owner_names_and_zones(void **state)
{
    (void)state;
    char err[512];
    static fake_t f;
    fake_init(&f);
    emu_snap_name_t names[2] = {{.id = 7, .kind = 1, .name = "kmalloc-64"}, {.id = 9, .kind = 2, .name = "pid 9 demo"}};
    f.s.names = names;
    f.s.nr_names = f.s.cap_names = 2;
    assert_string_equal(emu_snapshot_owner_name(&f.s, 7), "kmalloc-64");
    assert_string_equal(emu_snapshot_owner_name(&f.s, 9), "pid 9 demo");
    assert_null(emu_snapshot_owner_name(&f.s, 8));
    f.s.nr_zones = 1;
    f.s.has_wmarks = 1;
    f.s.zones[0] = (emu_snap_zone_t){.node = 0, .type = EMU_ZONE_DMA32, .start_pfn = 4096, .spanned = 4096,
                                     .managed = 4000, .free = 300, .wmark_min = 100, .wmark_low = 150, .wmark_high = 200};
    ui_t *ui = ui_new_headless(1400, 860, err, sizeof(err));
    assert_non_null(ui);
    ui_render(ui, &f.s);
    ui_render(ui, &f.s);
    /* The three watermark colours appear in the counters panel (right half, lower part). */
    static const uint32_t wc[3] = {0xff5a4a, 0xffa040, 0xffe060};
    for (int w = 0; w < 3; w++) {
        int seen = 0;
        for (int y = 400; y < 760 && !seen; y++)
            for (int x = 800; x < 1400 && !seen; x++)
                seen = ui_pixel(ui, x, y) == wc[w];
        assert_true(seen);
    }
    ui_free(ui);
}

/* EMU_CALL_ZONE_INFO's emulator side: the guest's zones and watermarks reach the snapshot, with free
 * pages counted from the annotations; a bad list is refused and keeps the previous one. */
static void test_zone_info_call(void **state)
{
    (void)state;
    config_t cfg;
    char err[512];
    config_defaults(&cfg);
    assert_int_equal(config_load(&cfg, "tiny", err, sizeof(err)), 0);
    emu_t *m = emu_new(&cfg, EMU_MODE_FS, err, sizeof(err));
    assert_non_null(m);
    emu_fs_opts_t o = {0};
    assert_int_equal(emu_boot(m, &o, err, sizeof(err)), 0);
    annot_t *a = m->fs->annot;
    /* The guest's list, somewhere in its RAM (nothing runs here). */
    const uint64_t pa = 8ull << 20;
    struct emu_zone_info *z = (struct emu_zone_info *)dram_host(m->dram, pa);
    z[0] = (struct emu_zone_info){.node = 0, .type = EMU_ZONE_TYPE_DMA, .start_pfn = 1, .spanned_pages = 4095,
                                  .present_pages = 4095, .managed_pages = 3900, .wmark_min = 10, .wmark_low = 12,
                                  .wmark_high = 15};
    z[1] = (struct emu_zone_info){.node = 0, .type = EMU_ZONE_TYPE_DMA32, .start_pfn = 4096, .spanned_pages = 12288,
                                  .present_pages = 12288, .managed_pages = 12000, .wmark_min = 40, .wmark_low = 50,
                                  .wmark_high = 60};
    assert_int_equal(annot_set_zones(a, pa, 2), 0);
    /* The guest says frames 5000..5099 are free. */
    uint64_t ring = 12ull << 20;
    struct emu_annot_ring *r = (struct emu_annot_ring *)dram_host(m->dram, ring);
    memset(r, 0, 4096);
    r->nr_entries = 16;
    assert_int_equal(annot_set_ring(a, 0, ring, 16), 0);
    r->entries[r->head & 15] = (struct emu_annot){.pfn = 5000, .nr_pages = 100, .state = EMU_FRAME_FREE, .aux = 2};
    r->head++;
    annot_drain(a);
    emu_snapshot_t *s = emu_snapshot_new(m);
    assert_non_null(s);
    assert_int_equal(emu_snapshot_take(m, s, 0, 0, 1000), 0);
    assert_int_equal(s->has_wmarks, 1);
    assert_int_equal(s->nr_zones, 2);
    assert_int_equal(s->zones[1].type, EMU_ZONE_DMA32);
    assert_int_equal(s->zones[1].managed, 12000);
    assert_int_equal(s->zones[1].wmark_low, 50);
    assert_int_equal(s->zones[1].free, 100);
    assert_int_equal(s->zones[0].free, 0);
    /* Refused: too many entries, outside RAM, a bad type. The list stays. */
    assert_int_equal(annot_set_zones(a, pa, EMU_MAX_ZONES + 1), EMU_EINVAL);
    assert_int_equal(annot_set_zones(a, 1ull << 40, 1), EMU_EINVAL);
    z[0].type = 9;
    assert_int_equal(annot_set_zones(a, pa, 2), EMU_EINVAL);
    int n = 0;
    assert_non_null(annot_zones(a, &n));
    assert_int_equal(n, 2);
    emu_snapshot_free(m, s);
    emu_free(m);
}

/* The socket-to-node DRAM matrix: two sockets, a node each; socket 0 made 1000 local and 40 remote
 * accesses in the interval, socket 1 none. Local cells are drawn blue, remote ones orange, each by
 * its count; without the matrix (no --timing=full) no cell is drawn. */
static void test_numa_matrix(void **state)
{
    (void)state;
    char err[512];
    static fake_t f;
    fake_init(&f);
    emu_snapshot_t *s = &f.s;
    s->nr_nodes = 2;
    s->node_size[1] = 32ull << 20;
    s->node_base[1] = 32ull << 20;
    s->node_frames[1][EMU_SNAP_FREE] = 8192;
    s->nr_sockets = 2;
    s->node_socket[0] = 0;
    s->node_socket[1] = 1;
    s->dram_acc[0][0] = s->dram_acc_int[0][0] = 1000;
    s->dram_lat[0][0] = s->dram_lat_int[0][0] = 1000 * 150;
    s->dram_acc[0][1] = s->dram_acc_int[0][1] = 40;
    s->dram_lat[0][1] = s->dram_lat_int[0][1] = 40 * 290;
    ui_t *ui = ui_new_headless(1400, 860, err, sizeof(err));
    assert_non_null(ui);
    ui_render(ui, s);
    const char *path = "build/tests/ui-numa.png";
    assert_int_equal(ui_save_png(ui, path, err, sizeof(err)), 0);
    SDL_Surface *img = load_png(path);
    int x, y;
    uint32_t local = ui_numa_color(1, 1000, 1000), remote = ui_numa_color(0, 40, 1000);
    assert_int_equal(ui_numa_pos(ui, 0, 0, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), local);
    assert_int_equal(ui_numa_pos(ui, 0, 1, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), remote);
    assert_int_equal(ui_numa_pos(ui, 1, 0, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), ui_numa_color(0, 0, 1000));
    assert_int_equal(ui_numa_pos(ui, 1, 1, &x, &y), 0);
    assert_int_equal(png_pixel(img, x, y), ui_numa_color(1, 0, 1000));
    assert_int_equal(ui_numa_pos(ui, 2, 0, &x, &y), -1);
    /* The cell lies in the NUMA panel (bottom right), the remote cell right of the local one. */
    int x0, y0;
    ui_numa_pos(ui, 0, 0, &x0, &y0);
    assert_true(x0 > 700 && y0 > 600);
    ui_numa_pos(ui, 0, 1, &x, &y);
    assert_true(x > x0 && y == y0);
    /* Local blue, remote orange; busier is brighter; idle cells stay dark. */
    assert_true((local & 255) > (local >> 16 & 255));
    assert_true((remote >> 16 & 255) > (remote & 255));
    uint32_t busy = ui_numa_color(0, 1000, 1000);
    assert_true((busy >> 16 & 255) > (remote >> 16 & 255));
    uint32_t idle = ui_numa_color(0, 0, 1000);
    assert_true((idle >> 16 & 255) < 0x40 && (idle >> 8 & 255) < 0x40);
    assert_true(ui_numa_color(1, 0, 1000) != idle);
    SDL_FreeSurface(img);
    /* Without the matrix: no cell. */
    s->nr_sockets = 0;
    ui_render(ui, s);
    assert_int_equal(ui_numa_pos(ui, 0, 0, &x, &y), -1);
    ui_free(ui);
}

/* The matrix reaches the snapshot from the memory model: an access that misses every cache is one
 * DRAM request from socket 0 to node 0, counted in the total and in the interval, and the next
 * snapshot's interval starts afresh. */
static void test_numa_snapshot(void **state)
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
    assert_int_equal(s->nr_sockets, 0); /* no --timing=full */
    assert_int_equal(emu_set_timing(m, EMU_TIMING_FULL, 0, 0), 0);
    assert_non_null(m->mem);
    assert_int_equal(emu_snapshot_take(m, s, 0, 0, 1000), 0);
    assert_int_equal(s->nr_sockets, 1);
    assert_int_equal(s->node_socket[0], 0);
    uint64_t a0 = s->dram_acc[0][0];
    memsys_data(m->cpus[0], 5ull << 20, 8, 0);
    assert_int_equal(emu_snapshot_take(m, s, 0, 0, 1000), 0);
    assert_int_equal(s->dram_acc[0][0], a0 + 1);
    assert_int_equal(s->dram_acc_int[0][0], 1);
    assert_true(s->dram_lat_int[0][0] > 0);
    assert_int_equal(s->dram_lat[0][0], counters_get(m->ctrs, "dram.socket0.node0.latency_cycles", NULL));
    assert_int_equal(s->dram_acc[0][0], counters_get(m->ctrs, "dram.socket0.node0.accesses", NULL));
    assert_int_equal(emu_snapshot_take(m, s, 0, 0, 1000), 0);
    assert_int_equal(s->dram_acc_int[0][0], 0);
    /* A copy carries the matrix. */
    emu_snapshot_t *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    assert_int_equal(emu_snapshot_copy(c, s), 0);
    assert_int_equal(c->nr_sockets, 1);
    assert_int_equal(c->dram_acc[0][0], a0 + 1);
    emu_snapshot_free(m, c);
    emu_snapshot_free(m, s);
    emu_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_known_state),
        cmocka_unit_test(test_heat_overlay),
        cmocka_unit_test(test_snapshot_of_machine),
        cmocka_unit_test(test_owner_names_and_zones),
        cmocka_unit_test(test_zone_info_call),
        cmocka_unit_test(test_numa_matrix),
        cmocka_unit_test(test_numa_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
