/* ui: the live visualizer (ui/ui.h, docs/UI.md).
 *
 * Everything is drawn in software into one SDL_Surface (the canvas): rectangles with SDL_FillRect,
 * lines pixel by pixel, text with SDL2_ttf. A window shows the canvas (blitted to the window
 * surface); headless runs save it as PNG (ui_save_png: zlib). The observer installed on the machine
 * is called between chunks of the run. With a window, a thread of the UI owns everything SDL does
 * (window, events, drawing); the observer takes a snapshot at most every refresh period (200 ms, or
 * nine times what the snapshot cost), hands a copy over and runs on, never waiting for a drawing.
 * Headless pictures are drawn and compressed by a writer thread from a queue of two copies.
 */
#define _GNU_SOURCE
#include "ui/ui.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define HIST 240
#define FONT_SANS "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FONT_MONO "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define FONT_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

typedef struct hist {
    uint64_t run_insns, instructions, cycles, page_faults, free_frames, heat;
    double wall;
    uint64_t lh[EMU_SNAP_MAX_NODES][EMU_SNAP_NR_LEVELS], lm[EMU_SNAP_MAX_NODES][EMU_SNAP_NR_LEVELS];
    uint64_t zfree[EMU_SNAP_MAX_ZONES]; /* free frames per zone */
} hist_t;

typedef struct rect { int x, y, w, h; } rect_t;

struct ui {
    emu_t *m;
    ui_opts_t o;
    SDL_Window *win;
    SDL_Surface *canvas;
    TTF_Font *font, *small, *mono, *bold;
    int W, H;
    emu_snapshot_t *snap;
    const emu_snapshot_t *cur; /* what the last rendering showed */
    /* History of the counters, one entry per snapshot (a ring). */
    hist_t hist[HIST];
    int nh, hpos;
    /* Decaying heat per cell of the current view. */
    float *dheat;
    uint32_t cap_dheat;
    uint64_t dh_lo, dh_hi, dh_fpc;
    /* View (zoom and pan), in frames; hi 0: everything. */
    uint64_t view_lo, view_hi;
    uint32_t max_cells;
    /* Controls. */
    int paused, quit, help, show_heat, sel_cpu, speed, finished;
    uint64_t step_n, stepping;
    int mouse_x, mouse_y;
    /* Layout of the last rendering. */
    rect_t map, legend, tlbp, charts, numa, info;
    int cell_px, cell_py, cols;
    int *seg_y;               /* top of each segment's band */
    int nseg_y;
    int tlb_x[EMU_SNAP_MAX_TLBS], tlb_y[EMU_SNAP_MAX_TLBS], tlb_cw, tlb_ch[EMU_SNAP_MAX_TLBS], tlb_cwk[EMU_SNAP_MAX_TLBS];
    int leg_x[EMU_SNAP_NR_STATES], leg_y[EMU_SNAP_NR_STATES];
    int nm_x, nm_y, nm_cw, nm_ch, nm_sockets, nm_nodes; /* the NUMA matrix's grid */
    /* Timing of refreshes. */
    double last_refresh, render_cost, refresh_s, start_wall, speed_t0;
    uint64_t speed_i0;
    uint64_t frames_drawn, quit_after;
    int close_at_end;
    uint64_t pictures;
    FILE *heat;
    int png_err;
    /* The helper thread: the window's (SDL, events, drawing) or the headless pictures' writer. What
     * both threads touch is under mu: the handed-over snapshot, the controls and the view. */
    pthread_t thr;
    int thr_on, writer_on, started, ended, view_req, hand_fresh, step_active;
    int stopped_run;                /* the user quit while the machine ran: the observer stopped it */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    emu_snapshot_t *hand, *shown;   /* window: the copy handed over, the copy drawn */
    emu_snapshot_t *q[2];           /* writer: a queue of copies */
    int q_head, q_n;
    char start_err[512];
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- colours ------------------------------------------------------------------------------------- */

/* Frame states, after the conventions of kpageflags viewers (page-types, kpagemap tools) and DAMON
 * heatmaps: free memory dark and cool (lighter with larger buddy blocks), kernel memory warm, page
 * tables red, user anonymous memory blue, page cache green (active brighter than inactive). */
static const uint32_t state_rgb[EMU_SNAP_NR_STATES] = {
    [EMU_SNAP_UNKNOWN] = 0x3a3a3a,   [EMU_SNAP_FREE] = 0x17212b,      [EMU_SNAP_RESERVED] = 0x8a8a8a,
    [EMU_SNAP_KERNEL] = 0xe67e22,    [EMU_SNAP_MEMMAP] = 0x9b59b6,    [EMU_SNAP_SLAB] = 0xf1c40f,
    [EMU_SNAP_PAGE_TABLE] = 0xe74c3c, [EMU_SNAP_VMALLOC] = 0x1abc9c,  [EMU_SNAP_ANON] = 0x3498db,
    [EMU_SNAP_FILE] = 0x2ecc71,      [EMU_SNAP_SWAPCACHE] = 0xff6fb5, [EMU_SNAP_PCP] = 0x7fdbff,
};

static uint32_t mix(uint32_t a, uint32_t b, double t)
{
    if (t < 0)
        t = 0;
    if (t > 1)
        t = 1;
    int r = (int)(((a >> 16) & 255) * (1 - t) + ((b >> 16) & 255) * t + 0.5);
    int g = (int)(((a >> 8) & 255) * (1 - t) + ((b >> 8) & 255) * t + 0.5);
    int bl = (int)((a & 255) * (1 - t) + (b & 255) * t + 0.5);
    return (uint32_t)(r << 16 | g << 8 | bl);
}

uint32_t ui_state_color(int state, int aux)
{
    if (state < 0 || state >= EMU_SNAP_NR_STATES)
        return 0;
    uint32_t c = state_rgb[state];
    if (state == EMU_SNAP_FREE && aux > 0)
        c = mix(c, 0x2b3e50, aux > 10 ? 1.0 : aux / 10.0); /* larger buddy blocks lighter */
    else if ((state == EMU_SNAP_ANON || state == EMU_SNAP_FILE) && aux == 1)
        c = mix(c, 0x000000, 0.35); /* inactive LRU: darker */
    return c;
}

/* DAMON heatmaps' "hot" scale: black, red, yellow, white. */
static uint32_t hot(double t)
{
    if (t <= 0)
        return 0x000000;
    if (t < 0.4)
        return mix(0x300000, 0xe02010, t / 0.4);
    if (t < 0.8)
        return mix(0xe02010, 0xffd020, (t - 0.4) / 0.4);
    return mix(0xffd020, 0xffffff, (t - 0.8) / 0.2);
}

uint32_t ui_tlb_color(int valid, uint64_t hits, uint64_t misses, uint64_t max_acc)
{
    if (!valid)
        return 0x0d1014;
    uint64_t acc = hits + misses;
    if (!acc)
        return 0x46566a; /* holds a translation, unused in the interval */
    double mr = (double)misses / (double)acc;
    double v = max_acc > 1 ? 0.45 + 0.55 * log1p((double)acc) / log1p((double)max_acc) : 1.0;
    uint32_t c = mix(0x2fd46a, 0xf0403a, mr); /* green: hits; red: misses */
    return mix(0x000000, c, v);
}

#define BG 0x101418
#define PANEL 0x181e25
#define FG 0xe6e6e6
#define DIM 0x8c96a0
#define ACCENT 0x5fb3ff

/* ---- drawing primitives -------------------------------------------------------------------------- */

static void fill(ui_t *ui, int x, int y, int w, int h, uint32_t rgb)
{
    SDL_Rect r = {x, y, w, h};
    SDL_FillRect(ui->canvas, &r, SDL_MapRGB(ui->canvas->format, (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255));
}

static inline void pset(ui_t *ui, int x, int y, uint32_t rgb)
{
    if (x < 0 || y < 0 || x >= ui->canvas->w || y >= ui->canvas->h)
        return;
    uint32_t *row = (uint32_t *)((uint8_t *)ui->canvas->pixels + (size_t)y * (size_t)ui->canvas->pitch);
    row[x] = 0xff000000u | rgb;
}

static void line(ui_t *ui, int x0, int y0, int x1, int y1, uint32_t rgb)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (;;) {
        pset(ui, x0, y0, rgb);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

static void frame_rect(ui_t *ui, int x, int y, int w, int h, uint32_t rgb)
{
    fill(ui, x, y, w, 1, rgb);
    fill(ui, x, y + h - 1, w, 1, rgb);
    fill(ui, x, y, 1, h, rgb);
    fill(ui, x + w - 1, y, 1, h, rgb);
}

/* Text at (x, y) (top-left); returns its width. */
static int text(ui_t *ui, TTF_Font *f, int x, int y, uint32_t rgb, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int text(ui_t *ui, TTF_Font *f, int x, int y, uint32_t rgb, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!buf[0] || !f)
        return 0;
    SDL_Color c = {(Uint8)(rgb >> 16), (Uint8)(rgb >> 8), (Uint8)rgb, 255};
    SDL_Surface *s = TTF_RenderUTF8_Blended(f, buf, c);
    if (!s)
        return 0;
    SDL_Rect d = {x, y, s->w, s->h};
    SDL_BlitSurface(s, NULL, ui->canvas, &d);
    int w = s->w;
    SDL_FreeSurface(s);
    return w;
}

static void panel(ui_t *ui, rect_t r, const char *title)
{
    fill(ui, r.x, r.y, r.w, r.h, PANEL);
    frame_rect(ui, r.x, r.y, r.w, r.h, 0x2a333d);
    text(ui, ui->bold, r.x + 8, r.y + 4, FG, "%s", title);
}

static void human(char *buf, size_t n, double v)
{
    const char *u[] = {"", "k", "M", "G", "T"};
    int i = 0;
    while (fabs(v) >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    if (!i && v != floor(v) && fabs(v) < 100)
        snprintf(buf, n, "%.2f", v); /* IPC, MPKI */
    else
        snprintf(buf, n, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

static void bytes_str(char *buf, size_t n, uint64_t b)
{
    if (b >= (1ull << 30) && b % (1ull << 30) == 0)
        snprintf(buf, n, "%llu GiB", (unsigned long long)(b >> 30));
    else if (b >= (1ull << 20))
        snprintf(buf, n, "%.0f MiB", (double)b / (1 << 20));
    else
        snprintf(buf, n, "%llu KiB", (unsigned long long)(b >> 10));
}

/* ---- layout --------------------------------------------------------------------------------------- */

static void layout(ui_t *ui)
{
    int W = ui->W, H = ui->H;
    int top = 34, foot = 24, lw = (int)(W * 0.56);
    int left_h = H - top - foot - 8;
    ui->legend = (rect_t){8, top + left_h - 118, lw - 8, 60};
    ui->info = (rect_t){8, top + left_h - 54, lw - 8, 54};
    ui->map = (rect_t){8, top, lw - 8, left_h - 124};
    int rx = lw + 8, rw = W - rx - 8;
    int th = (int)((H - top - foot) * 0.46);
    ui->tlbp = (rect_t){rx, top, rw, th};
    int ch = (int)((H - top - foot) * 0.345);
    ui->charts = (rect_t){rx, top + th + 6, rw, ch};
    ui->numa = (rect_t){rx, top + th + ch + 12, rw, H - foot - 8 - (top + th + ch + 12)};
    /* Cells the map can show at 2 x 2 pixels, less room for labels and gaps. */
    int mw = ui->map.w - 16 - 118, mh = ui->map.h - 30 - 3 * 18;
    if (mw < 10)
        mw = 10;
    if (mh < 10)
        mh = 10;
    ui->max_cells = (uint32_t)((mw / 2) * (mh / 2) * 85 / 100);
}

/* ---- panels ---------------------------------------------------------------------------------------- */

#define MIN_BAND 18 /* a band's least height: its label (the size and start need 28) */

static void draw_map(ui_t *ui, const emu_snapshot_t *s)
{
    char a[32], b[32];
    rect_t r = ui->map;
    char title[160];
    bytes_str(a, sizeof(a), (s->view_hi - s->view_lo) << 12);
    snprintf(title, sizeof(title), "Physical memory  %s, %llu frames, %llu frame%s per cell%s", a,
             (unsigned long long)(s->view_hi - s->view_lo), (unsigned long long)s->frames_per_cell,
             s->frames_per_cell > 1 ? "s" : "", ui->view_hi ? "  (zoomed: r resets)" : "");
    panel(ui, r, title);
    int lab = 118, x0 = r.x + 8 + lab, y0 = r.y + 26, aw = r.w - 16 - lab, ah = r.h - 30;
    /* The largest cell size that fits every band. */
    int px = 24, cols = 1;
    for (; px >= 1; px--) {
        cols = aw / px;
        if (cols < 1)
            continue;
        int h = 0;
        for (int i = 0; i < s->nr_segs; i++) {
            int rows = (int)((s->segs[i].nr_cells + (uint32_t)cols - 1) / (uint32_t)cols);
            int bh = rows * px;
            h += (bh < MIN_BAND ? MIN_BAND : bh) + 4;
        }
        if (h <= ah)
            break;
    }
    if (px < 1)
        px = 1;
    cols = aw / px;
    /* Then taller cells (up to twice as tall as wide) while every band still fits: the map fills
     * its panel. */
    int py = px;
    for (int t = px + 1; t <= 2 * px; t++) {
        int h = 0;
        for (int i = 0; i < s->nr_segs; i++) {
            int bh = (int)((s->segs[i].nr_cells + (uint32_t)cols - 1) / (uint32_t)cols) * t;
            h += (bh < MIN_BAND ? MIN_BAND : bh) + 4;
        }
        if (h > ah)
            break;
        py = t;
    }
    ui->cell_px = px;
    ui->cell_py = py;
    ui->cols = cols;
    free(ui->seg_y);
    ui->seg_y = calloc((size_t)s->nr_segs + 1, sizeof(int));
    ui->nseg_y = s->nr_segs;
    double hmax = 0;
    for (uint32_t k = 0; k < s->nr_cells && ui->dheat; k++)
        if (ui->dheat[k] > hmax)
            hmax = ui->dheat[k];
    int y = y0;
    for (int i = 0; i < s->nr_segs; i++) {
        const emu_snap_seg_t *g = &s->segs[i];
        int rows = (int)((g->nr_cells + (uint32_t)cols - 1) / (uint32_t)cols);
        int bh = rows * py < MIN_BAND ? MIN_BAND : rows * py;
        if (ui->seg_y)
            ui->seg_y[i] = y;
        bytes_str(a, sizeof(a), g->pfn_lo << 12);
        bytes_str(b, sizeof(b), (g->pfn_hi - g->pfn_lo) << 12);
        int lw = text(ui, ui->bold, r.x + 8, y, FG, "node%d %s", g->node, emu_zone_name(g->zone));
        if (bh >= 28)
            text(ui, ui->small, r.x + 8, y + 15, DIM, "%s at %s", b, a);
        else {
            int tw = 0;
            if (ui->small && TTF_SizeUTF8(ui->small, b, &tw, NULL) == 0 && 8 + lw + 5 + tw <= lab)
                text(ui, ui->small, r.x + 8 + lw + 5, y + 2, DIM, "%s", b);
        }
        for (uint32_t k = 0; k < g->nr_cells; k++) {
            const emu_snap_cell_t *c = &s->cells[g->first_cell + k];
            int cx = x0 + (int)(k % (uint32_t)cols) * px, cy = y + (int)(k / (uint32_t)cols) * py;
            uint32_t col = ui_state_color(c->state, c->aux);
            int sz = px >= 4 ? px - 1 : px, szy = py >= 4 ? py - 1 : py;
            double h = ui->dheat ? ui->dheat[g->first_cell + k] : 0;
            if (ui->show_heat && h > 0.05 && hmax > 0 && c->state != EMU_SNAP_FREE) { /* freed: not shown */
                double t = log1p(h) / log1p(hmax);
                if (px >= 5) {
                    fill(ui, cx, cy, sz, szy, col);
                    int in = px >= 8 ? px / 4 : 1;
                    fill(ui, cx + in, cy + in, sz - 2 * in, szy - 2 * in, hot(0.15 + 0.85 * t));
                } else {
                    /* Small cells: heat lightens the state's colour, whose hue stays recognisable. */
                    fill(ui, cx, cy, sz, szy, mix(col, 0xffffff, 0.1 + 0.4 * t));
                }
            } else {
                fill(ui, cx, cy, sz, szy, col);
            }
        }
        y += bh + 4;
    }
    ui->seg_y[s->nr_segs] = y;
}

static void draw_legend(ui_t *ui)
{
    rect_t r = ui->legend;
    fill(ui, r.x, r.y, r.w, r.h, PANEL);
    frame_rect(ui, r.x, r.y, r.w, r.h, 0x2a333d);
    static const int order[] = {EMU_SNAP_FREE,      EMU_SNAP_ANON,    EMU_SNAP_FILE,    EMU_SNAP_PAGE_TABLE,
                                EMU_SNAP_KERNEL,    EMU_SNAP_SLAB,    EMU_SNAP_MEMMAP,  EMU_SNAP_VMALLOC,
                                EMU_SNAP_SWAPCACHE, EMU_SNAP_PCP,     EMU_SNAP_RESERVED, EMU_SNAP_UNKNOWN};
    int n = (int)(sizeof(order) / sizeof(order[0])), per = 6, colw = (r.w - 16) / per;
    for (int i = 0; i < n; i++) {
        int x = r.x + 8 + (i % per) * colw, y = r.y + 6 + (i / per) * 18;
        fill(ui, x, y + 1, 14, 14, ui_state_color(order[i], 0));
        ui->leg_x[order[i]] = x + 7;
        ui->leg_y[order[i]] = y + 8;
        text(ui, ui->small, x + 19, y + 1, FG, "%s", emu_snap_state_name(order[i]));
    }
    /* Free by order, and the heat scale. */
    int y = r.y + 44, x = r.x + 8;
    x += text(ui, ui->small, x, y - 2, DIM, "free, order 0..10 ") + 2;
    for (int o = 0; o <= 10; o++)
        fill(ui, x + o * 8, y, 8, 10, ui_state_color(EMU_SNAP_FREE, o));
    x += 100;
    x += text(ui, ui->small, x, y - 2, DIM, "heat (cold..hot) ") + 2;
    for (int k = 0; k < 60; k++)
        fill(ui, x + k * 2, y, 2, 10, ui->cell_px >= 5 ? hot(0.15 + 0.85 * k / 59.0)
                                                        : mix(state_rgb[EMU_SNAP_ANON], 0xffffff, 0.1 + 0.4 * k / 59.0));
    x += 130;
    x += text(ui, ui->small, x, y - 2, DIM, "TLB way: ") + 2;
    fill(ui, x, y, 10, 10, ui_tlb_color(1, 10, 0, 10));
    x += 12 + text(ui, ui->small, x + 12, y - 2, DIM, "hits ") + 2;
    fill(ui, x, y, 10, 10, ui_tlb_color(1, 0, 10, 10));
    x += 12 + text(ui, ui->small, x + 12, y - 2, DIM, "misses ") + 2;
    fill(ui, x, y, 10, 10, 0xffa000);
    x += 12 + text(ui, ui->small, x + 12, y - 2, DIM, "evictions ") + 2;
    fill(ui, x, y, 10, 10, ui_tlb_color(1, 0, 0, 0));
    x += 12 + text(ui, ui->small, x + 12, y - 2, DIM, "idle ") + 2;
    fill(ui, x, y, 10, 10, ui_tlb_color(0, 0, 0, 0));
    text(ui, ui->small, x + 12, y - 2, DIM, "empty");
}

static const char *level_names[EMU_SNAP_NR_LEVELS] = {"L1 iTLB", "L1 dTLB", "STLB", "PWC"};

static const hist_t *hist_at(const ui_t *ui, int back) /* 0: latest */
{
    if (back >= ui->nh)
        return NULL;
    return &ui->hist[(ui->hpos - 1 - back + HIST) % HIST];
}

static void draw_tlbs(ui_t *ui, const emu_snapshot_t *s)
{
    rect_t r = ui->tlbp;
    int c = ui->sel_cpu < s->nr_cpus ? ui->sel_cpu : 0;
    char title[128];
    snprintf(title, sizeof(title), "TLBs of cpu%d (of %d): sets x ways, last interval", c, s->nr_cpus);
    panel(ui, r, title);
    for (int k = 0; k < EMU_SNAP_MAX_TLBS; k++)
        ui->tlb_x[k] = ui->tlb_y[k] = -1;
    if (!s->nr_cpus)
        return;
    const emu_snap_cpu_t *sc = &s->cpus[c];
    int spark_h = 4 * 16 + 8;
    int lab = 176, x0 = r.x + 8 + lab, aw = r.w - 16 - lab, y = r.y + 26, ah = r.h - 30 - spark_h;
    int sum_ways = 0;
    uint32_t max_sets = 1;
    for (int k = 0; k < sc->nr_tlbs; k++) {
        sum_ways += (int)sc->tlb[k].ways;
        if (sc->tlb[k].sets > max_sets)
            max_sets = sc->tlb[k].sets;
    }
    int cw = aw / (int)max_sets;
    if (cw > 12)
        cw = 12;
    if (cw < 1)
        cw = 1;
    ui->tlb_cw = cw;
    int room = ah - sc->nr_tlbs * 9;
    int ch = sum_ways ? room / sum_ways : 4;
    if (ch > 6)
        ch = 6;
    if (ch < 1)
        ch = 1;
    if (s->timing == 0)
        text(ui, ui->small, r.x + r.w - 190, r.y + 6, 0xffcc66, "timing off: use --timing=tlb"); /* right of the title */
    for (int k = 0; k < sc->nr_tlbs; k++) {
        const emu_snap_tlb_t *t = &sc->tlb[k];
        int rows_h = (int)t->ways * ch + 3;
        int bh = rows_h < 14 ? 14 : rows_h;
        if (y + bh > r.y + r.h - spark_h)
            break;
        uint64_t acc = t->hits + t->misses;
        text(ui, ui->small, r.x + 8, y - 1, FG, "%s", t->name);
        text(ui, ui->small, r.x + 84, y - 1, DIM, "%ux%u %.1f%%", t->sets, t->ways,
             acc ? 100.0 * (double)t->misses / (double)acc : 0.0);
        uint64_t max_acc = 0;
        for (uint32_t i = 0; i < t->sets; i++)
            if ((uint64_t)t->set_hits[i] + t->set_misses[i] > max_acc)
                max_acc = (uint64_t)t->set_hits[i] + t->set_misses[i];
        uint32_t max_ev = 0;
        for (uint32_t i = 0; i < t->sets; i++)
            if (t->set_evictions[i] > max_ev)
                max_ev = t->set_evictions[i];
        int acw = aw / (int)t->sets;
        if (acw > 14)
            acw = 14;
        if (acw < 1)
            acw = 1;
        ui->tlb_x[k] = x0;
        ui->tlb_y[k] = y;
        ui->tlb_ch[k] = ch;
        ui->tlb_cwk[k] = acw;
        for (uint32_t i = 0; i < t->sets && (int)i * acw < aw; i++) {
            int sx = x0 + (int)i * acw, sw = acw >= 3 ? acw - 1 : acw;
            for (uint32_t w = 0; w < t->ways; w++)
                fill(ui, sx, y + (int)w * ch, sw, ch >= 3 ? ch - 1 : ch,
                     ui_tlb_color(t->valid[(size_t)i * t->ways + w], t->set_hits[i], t->set_misses[i], max_acc));
            uint32_t e = t->set_evictions[i];
            fill(ui, sx, y + (int)t->ways * ch, sw, 2,
                 e ? mix(0x3a2a10, 0xffa000, 0.3 + 0.7 * log1p(e) / log1p(max_ev)) : PANEL);
        }
        y += bh + 9;
    }
    /* Miss-rate sparklines per level. */
    int sy = r.y + r.h - spark_h;
    text(ui, ui->small, r.x + 8, sy - 2, DIM, "miss rate per level over time (misses / lookups per interval)");
    for (int l = 0; l < EMU_SNAP_NR_LEVELS; l++) {
        int ly = sy + 14 + l * 16, lx = r.x + 8 + lab, lw = r.w - 16 - lab - 70;
        text(ui, ui->small, r.x + 8, ly - 2, FG, "%s", level_names[l]);
        fill(ui, lx, ly, lw, 13, 0x11161b);
        int n = ui->nh < lw ? ui->nh : lw;
        double last = -1;
        int px = -1, py = -1;
        for (int b = n - 2; b >= 0; b--) {
            const hist_t *h1 = hist_at(ui, b), *h0 = hist_at(ui, b + 1);
            if (!h1 || !h0)
                continue;
            uint64_t dh = h1->lh[c][l] - h0->lh[c][l], dm = h1->lm[c][l] - h0->lm[c][l];
            if (h1->lh[c][l] < h0->lh[c][l] || h1->lm[c][l] < h0->lm[c][l])
                dh = h1->lh[c][l], dm = h1->lm[c][l];
            double v = dh + dm ? (double)dm / (double)(dh + dm) : 0;
            int xx = lx + lw - 1 - b * (lw > 2 * n ? lw / n : 1), yy = ly + 12 - (int)(v * 12 + 0.5);
            if (xx < lx)
                continue;
            if (px >= 0)
                line(ui, px, py, xx, yy, 0xff7a5c);
            else
                pset(ui, xx, yy, 0xff7a5c);
            px = xx;
            py = yy;
            last = v;
        }
        if (last >= 0)
            text(ui, ui->small, lx + lw + 6, ly - 2, FG, "%.2f%%", 100 * last);
    }
}

/* One small line chart: values v[0..n) oldest first. */
static void chart(ui_t *ui, rect_t r, const char *title, const double *v, int n, const char *unit)
{
    fill(ui, r.x, r.y, r.w, r.h, 0x11161b);
    double mx = 0;
    for (int i = 0; i < n; i++)
        if (v[i] > mx)
            mx = v[i];
    char cur[32] = "-", top[32];
    if (n)
        human(cur, sizeof(cur), v[n - 1]);
    human(top, sizeof(top), mx);
    text(ui, ui->small, r.x + 4, r.y + 2, DIM, "%s", title);
    text(ui, ui->small, r.x + r.w - 44, r.y + 2, FG, "%s%s", cur, unit);
    int gx = r.x + 4, gy = r.y + 18, gw = r.w - 8, gh = r.h - 22;
    fill(ui, gx, gy + gh - 1, gw, 1, 0x2a333d);
    if (n < 1 || mx <= 0)
        return;
    text(ui, ui->small, gx + gw - 56, gy, 0x6c7884, "max %s", top);
    int px = -1, py = -1;
    for (int i = 0; i < n; i++) {
        int x = gx + (n > 1 ? (int)((double)i * (gw - 1) / (n - 1)) : gw - 1);
        int y = gy + gh - 1 - (int)(v[i] / mx * (gh - 2) + 0.5);
        if (px >= 0)
            line(ui, px, py, x, y, ACCENT);
        px = x;
        py = y;
    }
}

/* Free pages per zone over the last n intervals, one strip per zone (the largest zones first when
 * they do not all fit), each on its own scale, with the guest's watermarks (min red, low orange,
 * high yellow) as horizontal lines. */
static void zone_chart(ui_t *ui, rect_t r, const emu_snapshot_t *s, int n)
{
    fill(ui, r.x, r.y, r.w, r.h, 0x11161b);
    text(ui, ui->small, r.x + 4, r.y + 2, DIM, "free pages per zone");
    if (s->has_wmarks) {
        int x = r.x + r.w - 4 - 3 * 34;
        static const uint32_t wc[3] = {0xff5a4a, 0xffa040, 0xffe060};
        static const char *wn[3] = {"min", "low", "high"};
        for (int w = 0; w < 3; w++) {
            fill(ui, x, r.y + 8, 8, 2, wc[w]);
            text(ui, ui->small, x + 10, r.y + 2, DIM, "%s", wn[w]);
            x += 34;
        }
    }
    /* Zones worth a strip: not empty, at most what fits at 14 pixels each. */
    int idx[EMU_SNAP_MAX_ZONES], nz = 0;
    for (int z = 0; z < s->nr_zones; z++)
        if (s->zones[z].managed)
            idx[nz++] = z;
    int room = r.h - 18, maxz = room / 14 > 0 ? room / 14 : 1;
    while (nz > maxz) { /* drop the smallest */
        int sm = 0;
        for (int i = 1; i < nz; i++)
            if (s->zones[idx[i]].managed < s->zones[idx[sm]].managed)
                sm = i;
        memmove(&idx[sm], &idx[sm + 1], (size_t)(nz - sm - 1) * sizeof(int));
        nz--;
    }
    if (!nz)
        return;
    int sh = room / nz, lab = 92;
    for (int i = 0; i < nz; i++) {
        const emu_snap_zone_t *z = &s->zones[idx[i]];
        int y = r.y + 18 + i * sh, gx = r.x + 4 + lab, gw = r.w - 8 - lab - 44, gh = sh - 3;
        char cur[32];
        human(cur, sizeof(cur), (double)z->free);
        text(ui, ui->small, r.x + 4, y + gh / 2 - 7, FG, "node%d %s", z->node, emu_zone_name(z->type));
        text(ui, ui->small, gx + gw + 4, y + gh / 2 - 7, FG, "%s", cur);
        fill(ui, gx, y, gw, gh, 0x0c1014);
        /* Scale: the zone's pages, or a little above its high watermark when free memory runs low. */
        double mx = (double)z->managed;
        double hw = 1.25 * (double)z->wmark_high;
        double top = 0;
        for (int b = 0; b < n + 1 && b < ui->nh; b++)
            if ((double)hist_at(ui, b)->zfree[idx[i]] > top)
                top = (double)hist_at(ui, b)->zfree[idx[i]];
        if (top < hw)
            top = hw;
        if (top <= 0 || top > mx)
            top = mx > 0 ? mx : 1;
        if (z->wmark_high) {
            const uint64_t wv[3] = {z->wmark_min, z->wmark_low, z->wmark_high};
            static const uint32_t wc[3] = {0xff5a4a, 0xffa040, 0xffe060};
            for (int w = 0; w < 3; w++) {
                int yy = y + gh - 1 - (int)((double)wv[w] / top * (gh - 1) + 0.5);
                for (int xx = gx; xx < gx + gw; xx += 4)
                    fill(ui, xx, yy, 2, 1, wc[w]);
            }
        }
        int cnt = n + 1 < ui->nh ? n + 1 : ui->nh, px = -1, py = -1;
        for (int b = cnt - 1; b >= 0; b--) {
            double v = (double)hist_at(ui, b)->zfree[idx[i]];
            int x = gx + (cnt > 1 ? (int)((double)(cnt - 1 - b) * (gw - 1) / (cnt - 1)) : gw - 1);
            int yy = y + gh - 1 - (int)(v / top * (gh - 1) + 0.5);
            if (px >= 0)
                line(ui, px, py, x, yy, 0x7fdbff);
            else
                pset(ui, x, yy, 0x7fdbff);
            px = x;
            py = yy;
        }
    }
}

static void draw_charts(ui_t *ui, const emu_snapshot_t *s)
{
    rect_t r = ui->charts;
    panel(ui, r, "Counters over time (per interval)");
    enum { NCH = 6 };
    static const char *titles[NCH] = {"instructions", "IPC", "dTLB MPKI", "page faults", "free pages per zone",
                                      "heat (fills)"};
    static const char *units[NCH] = {"", "", "", "", "", ""};
    int n = ui->nh - 1 < 120 ? ui->nh - 1 : 120;
    if (n < 0)
        n = 0;
    double *v = calloc((size_t)(n + 1) * NCH, sizeof(double));
    if (!v)
        return;
    int c = ui->sel_cpu < s->nr_cpus ? ui->sel_cpu : 0;
    for (int i = 0; i < n; i++) {
        const hist_t *h1 = hist_at(ui, n - 1 - i), *h0 = hist_at(ui, n - i);
        uint64_t di = h1->instructions >= h0->instructions ? h1->instructions - h0->instructions : h1->instructions;
        uint64_t dc = h1->cycles >= h0->cycles ? h1->cycles - h0->cycles : h1->cycles;
        uint64_t dm = h1->lm[c][EMU_SNAP_L1D] >= h0->lm[c][EMU_SNAP_L1D] ? h1->lm[c][EMU_SNAP_L1D] - h0->lm[c][EMU_SNAP_L1D]
                                                                          : h1->lm[c][EMU_SNAP_L1D];
        uint64_t dp = h1->page_faults >= h0->page_faults ? h1->page_faults - h0->page_faults : h1->page_faults;
        v[0 * n + i] = (double)di;
        v[1 * n + i] = dc ? (double)di / (double)dc : 0;
        v[2 * n + i] = di ? 1000.0 * (double)dm / (double)di : 0;
        v[3 * n + i] = (double)dp;
        v[4 * n + i] = (double)h1->free_frames;
        v[5 * n + i] = (double)h1->heat;
    }
    /* Four small charts in the first row; heat and the (wider) free pages per zone in the second. */
    int cw = (r.w - 16 - 12) / 4, chh = (r.h - 30 - 8) / 2;
    static const int pos[NCH][3] = {{0, 0, 1}, {1, 0, 1}, {2, 0, 1}, {3, 0, 1}, {1, 1, 3}, {0, 1, 1}};
    for (int k = 0; k < NCH; k++) {
        rect_t cr = {r.x + 8 + pos[k][0] * (cw + 4), r.y + 26 + pos[k][1] * (chh + 4),
                     pos[k][2] * cw + (pos[k][2] - 1) * 4, chh};
        if (k == 1 && !s->timing) {
            fill(ui, cr.x, cr.y, cr.w, cr.h, 0x11161b);
            text(ui, ui->small, cr.x + 4, cr.y + 2, DIM, "IPC: --timing=tlb");
            continue;
        }
        if (k == 4) {
            zone_chart(ui, cr, s, n);
            continue;
        }
        chart(ui, cr, titles[k], v + (size_t)k * n, n, units[k]);
    }
    free(v);
}

/* A cell of the socket-to-node DRAM matrix: local pairs (the node belongs to the socket) blue,
 * remote pairs orange, brighter with more accesses in the interval (logarithmic, relative to the
 * busiest pair); a pair without accesses is near-black, tinted by its kind. */
uint32_t ui_numa_color(int local, uint64_t acc, uint64_t max_acc)
{
    uint32_t hue = local ? 0x3498db : 0xf39c12;
    if (!acc)
        return mix(0x12171c, hue, 0.12);
    double v = max_acc > 1 ? 0.35 + 0.65 * log1p((double)acc) / log1p((double)max_acc) : 1.0;
    return mix(0x12171c, hue, v);
}

/* A pixel inside the matrix cell of (socket, node) that shows the cell's colour (no text, no
 * border): tests. 0, or -1 when the last rendering drew no such cell. */
int ui_numa_pos(ui_t *ui, int socket, int node, int *x, int *y)
{
    if (socket < 0 || node < 0 || socket >= ui->nm_sockets || node >= ui->nm_nodes)
        return -1;
    *x = ui->nm_x + node * ui->nm_cw + 2;
    *y = ui->nm_y + socket * ui->nm_ch + 2;
    return 0;
}

/* The socket-to-node DRAM traffic matrix (--timing=full) in r: rows sockets, columns nodes. */
static void draw_numa_matrix(ui_t *ui, const emu_snapshot_t *s, rect_t r)
{
    int ns = s->nr_sockets, nn = s->nr_nodes;
    uint64_t max = 0, la = 0, ll = 0, ra = 0, rl = 0;
    for (int so = 0; so < ns; so++)
        for (int n = 0; n < nn; n++) {
            uint64_t a = s->dram_acc_int[so][n];
            if (a > max)
                max = a;
            if (s->node_socket[n] == so)
                la += a, ll += s->dram_lat_int[so][n];
            else
                ra += a, rl += s->dram_lat_int[so][n];
        }
    /* The summary: local and remote accesses of the interval (averages are in the cells). */
    char a1[32], a2[32], l1[96], l2[96];
    human(a1, sizeof(a1), (double)la);
    human(a2, sizeof(a2), (double)ra);
    snprintf(l1, sizeof(l1), "local %s", a1);
    if (la + ra)
        snprintf(l2, sizeof(l2), "remote %s (%.0f%%)", a2, 100.0 * (double)ra / (double)(la + ra));
    else
        snprintf(l2, sizeof(l2), "remote %s", a2);
    int w1 = 0, w2 = 0, wp = 0;
    TTF_SizeUTF8(ui->small, l1, &w1, NULL);
    TTF_SizeUTF8(ui->small, l2, &w2, NULL);
    TTF_SizeUTF8(ui->small, "DRAM accesses, last interval:", &wp, NULL);
    int x = r.x, ws = 0;
    TTF_SizeUTF8(ui->small, "last interval:", &ws, NULL);
    if (wp + 6 + w1 + 20 + w2 + 12 <= r.w)
        x += text(ui, ui->small, x, r.y, DIM, "DRAM accesses, last interval:") + 6;
    else if (ws + 6 + w1 + 20 + w2 + 12 <= r.w)
        x += text(ui, ui->small, x, r.y, DIM, "last interval:") + 6;
    fill(ui, x, r.y + 3, 9, 9, ui_numa_color(1, 1, 1));
    x += 12;
    x += text(ui, ui->small, x, r.y, FG, "%s", l1) + 8;
    fill(ui, x, r.y + 3, 9, 9, ui_numa_color(0, 1, 1));
    x += 12;
    text(ui, ui->small, x, r.y, FG, "%s", l2);
    /* The grid: row labels on the left, column labels above. */
    int lab = 46, top = r.y + 30;
    int cw = (r.w - lab) / (nn ? nn : 1), ch = (r.y + r.h - top) / (ns ? ns : 1);
    if (cw > 160)
        cw = 160;
    if (ch > 44)
        ch = 44;
    if (cw < 2 || ch < 2) {
        text(ui, ui->small, r.x, r.y + 16, DIM, "%d sockets x %d nodes: too many for the panel", ns, nn);
        ui->nm_sockets = ui->nm_nodes = 0;
        return;
    }
    int gx = r.x + lab, gy = top;
    ui->nm_x = gx, ui->nm_y = gy, ui->nm_cw = cw, ui->nm_ch = ch, ui->nm_sockets = ns, ui->nm_nodes = nn;
    /* Column labels: every node when they fit, else every k-th. */
    int step = 1;
    while (step < nn && cw * step < 40)
        step *= 2;
    for (int n = 0; n < nn; n += step)
        text(ui, ui->small, gx + n * cw + 3, top - 15, DIM, cw * step >= 40 ? "node%d" : "n%d", n);
    int rstep = 1;
    while (rstep < ns && ch * rstep < 13)
        rstep *= 2;
    for (int so = 0; so < ns; so++) {
        int y = gy + so * ch;
        if (so % rstep == 0)
            text(ui, ui->small, r.x, y + (ch > 14 ? (ch - 14) / 2 : 0), DIM, "socket%d", so);
        for (int n = 0; n < nn; n++) {
            int cx = gx + n * cw, local = s->node_socket[n] == so;
            uint64_t a = s->dram_acc_int[so][n];
            uint32_t c = ui_numa_color(local, a, max);
            int gap = cw >= 6 && ch >= 6 ? 1 : 0;
            fill(ui, cx, y, cw - gap, ch - gap, c);
            if (cw >= 10 && ch >= 10) /* the kind's frame: local solid blue, remote orange */
                frame_rect(ui, cx, y, cw - gap, ch - gap, local ? 0x2471a3 : 0xb9770e);
            /* Text, dark on bright cells. */
            uint32_t lum = ((c >> 16 & 255) * 3 + (c >> 8 & 255) * 6 + (c & 255)) / 10;
            uint32_t tc = lum > 140 ? 0x0b0e11 : FG;
            char cnt[32], lat[32];
            human(cnt, sizeof(cnt), (double)a);
            if (a)
                snprintf(lat, sizeof(lat), "%.0f cy", (double)s->dram_lat_int[so][n] / (double)a);
            else
                snprintf(lat, sizeof(lat), "-");
            int w1 = 0, w2 = 0, wl = 0;
            char both[80];
            snprintf(both, sizeof(both), "%s  %s", cnt, lat);
            TTF_SizeUTF8(ui->small, cnt, &w1, NULL);
            TTF_SizeUTF8(ui->small, lat, &w2, NULL);
            TTF_SizeUTF8(ui->small, both, &wl, NULL);
            if (ch >= 32 && cw >= (w1 > w2 ? w1 : w2) + 10) {
                text(ui, ui->small, cx + 5, y + ch / 2 - 14, tc, "%s", cnt);
                text(ui, ui->small, cx + 5, y + ch / 2, tc, "%s", lat);
            } else if (ch >= 16 && cw >= wl + 10) {
                text(ui, ui->small, cx + 5, y + (ch - 15) / 2, tc, "%s", both);
            } else if (ch >= 16 && cw >= w1 + 8) {
                text(ui, ui->small, cx + 4, y + (ch - 15) / 2, tc, "%s", cnt);
            }
        }
    }
}

static void draw_numa(ui_t *ui, const emu_snapshot_t *s)
{
    rect_t r = ui->numa;
    int c = ui->sel_cpu < s->nr_cpus ? ui->sel_cpu : 0;
    int matrix = s->nr_sockets > 0 && s->nr_nodes > 0;
    char title[128];
    snprintf(title, sizeof(title), "NUMA: frames per node, cpu%d's PTE loads%s", c,
             matrix ? "; DRAM traffic socket x node" : "");
    panel(ui, r, title);
    ui->nm_sockets = ui->nm_nodes = 0;
    /* Without the matrix the node bars take the whole width; with it, the left part. */
    int lw = matrix ? (r.w - 16) * 44 / 100 : r.w - 16;
    int tw = matrix ? 128 : 214;
    int y = r.y + 26, bx = r.x + 8 + 48, bw = lw - 48 - tw;
    static const int order[] = {EMU_SNAP_ANON,   EMU_SNAP_FILE,    EMU_SNAP_PAGE_TABLE, EMU_SNAP_KERNEL,
                                EMU_SNAP_SLAB,   EMU_SNAP_MEMMAP,  EMU_SNAP_VMALLOC,    EMU_SNAP_SWAPCACHE,
                                EMU_SNAP_PCP,    EMU_SNAP_RESERVED, EMU_SNAP_UNKNOWN,   EMU_SNAP_FREE};
    int bottom = r.y + r.h - (matrix ? 4 : 18);
    for (int n = 0; n < s->nr_nodes && y + 16 <= bottom; n++) {
        uint64_t tot = s->node_size[n] >> 12, used = tot - s->node_frames[n][EMU_SNAP_FREE];
        text(ui, ui->small, r.x + 8, y, FG, "node%d", n);
        int x = bx;
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]) && tot; k++) {
            int w = (int)((double)s->node_frames[n][order[k]] / (double)tot * bw + 0.5);
            if (x + w > bx + bw)
                w = bx + bw - x;
            fill(ui, x, y + 2, w, 11, ui_state_color(order[k], 0));
            x += w;
        }
        char pl[32];
        human(pl, sizeof(pl), (double)(s->nr_cpus ? s->cpus[c].pte_loads_node[n] : 0));
        if (matrix)
            text(ui, ui->small, bx + bw + 6, y, DIM, "%4.1f%% used, PTE %s", tot ? 100.0 * used / tot : 0.0, pl);
        else
            text(ui, ui->small, bx + bw + 8, y, DIM, "%4.1f%% used, cpu%d PTE loads %s", tot ? 100.0 * used / tot : 0.0,
                 c, pl);
        y += 16;
    }
    if (!matrix) {
        text(ui, ui->small, r.x + 8, r.y + r.h - 18, DIM,
             "socket-to-node DRAM traffic matrix: needs --timing=full (the cache and DRAM model)");
        return;
    }
    int mx = r.x + 8 + lw + 12;
    fill(ui, mx - 7, r.y + 24, 1, r.h - 30, 0x2a333d);
    draw_numa_matrix(ui, s, (rect_t){mx, r.y + 24, r.x + r.w - 8 - mx, r.h - 28});
}

/* Frame under the mouse: the cell index, or -1. */
static long cell_at(ui_t *ui, const emu_snapshot_t *s, int mx, int my)
{
    if (!ui->seg_y || ui->nseg_y != s->nr_segs || ui->cell_px < 1 || ui->cell_py < 1)
        return -1;
    int x0 = ui->map.x + 8 + 118;
    if (mx < x0 || mx >= x0 + ui->cols * ui->cell_px)
        return -1;
    for (int i = 0; i < s->nr_segs; i++) {
        const emu_snap_seg_t *g = &s->segs[i];
        int y = ui->seg_y[i];
        if (my < y || my >= ui->seg_y[i + 1] - 4)
            continue;
        uint32_t k = (uint32_t)((my - y) / ui->cell_py) * (uint32_t)ui->cols + (uint32_t)((mx - x0) / ui->cell_px);
        return k < g->nr_cells ? (long)(g->first_cell + k) : -1;
    }
    return -1;
}

static const emu_snap_seg_t *seg_of(const emu_snapshot_t *s, uint32_t cell)
{
    for (int i = 0; i < s->nr_segs; i++)
        if (cell >= s->segs[i].first_cell && cell < s->segs[i].first_cell + s->segs[i].nr_cells)
            return &s->segs[i];
    return NULL;
}

static void draw_info(ui_t *ui, const emu_snapshot_t *s)
{
    rect_t r = ui->info;
    fill(ui, r.x, r.y, r.w, r.h, PANEL);
    frame_rect(ui, r.x, r.y, r.w, r.h, 0x2a333d);
    long k = cell_at(ui, s, ui->mouse_x, ui->mouse_y);
    if (k < 0) {
        text(ui, ui->small, r.x + 8, r.y + 6, DIM, "Hover over the map for a frame's pfn, address, node, zone, state and "
                                                   "accesses; wheel or z/x zooms, arrows pan.");
        text(ui, ui->small, r.x + 8, r.y + 24, DIM, "Heat: translation-cache fills per frame and interval (a touched "
                                                    "page counts at least once per interval), decaying by half each refresh.");
        return;
    }
    const emu_snap_cell_t *c = &s->cells[k];
    const emu_snap_seg_t *g = seg_of(s, (uint32_t)k);
    uint64_t pfn = g->pfn_lo + (uint64_t)(k - g->first_cell) * s->frames_per_cell;
    uint64_t end = pfn + s->frames_per_cell < g->pfn_hi ? pfn + s->frames_per_cell : g->pfn_hi;
    char aux[64] = "";
    if (c->state == EMU_SNAP_FREE && s->mode == EMU_MODE_FS)
        snprintf(aux, sizeof(aux), ", order %u", c->aux);
    else if (c->state == EMU_SNAP_PAGE_TABLE)
        snprintf(aux, sizeof(aux), ", level %u (%s)", c->aux,
                 c->aux == 1 ? "PT" : c->aux == 2 ? "PD" : c->aux == 3 ? "PDPT" : c->aux == 4 ? "PML4" : "PML5");
    else if ((c->state == EMU_SNAP_ANON || c->state == EMU_SNAP_FILE) && c->aux)
        snprintf(aux, sizeof(aux), ", LRU %s", c->aux == 1 ? "inactive" : c->aux == 2 ? "active" : "unevictable");
    char owner[96] = "";
    const char *on = c->owner ? emu_snapshot_owner_name(s, c->owner) : NULL;
    static const char *const mt[] = {"", "Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"};
    if (c->state == EMU_SNAP_FREE && s->mode == EMU_MODE_FS && c->owner >= 1 && c->owner <= 5)
        snprintf(owner, sizeof(owner), ", %s", mt[c->owner]); /* a free block's migrate type */
    else if (c->state == EMU_SNAP_PCP)
        snprintf(owner, sizeof(owner), ", cpu%llu's list", (unsigned long long)c->owner);
    else if (on)
        snprintf(owner, sizeof(owner), ", owner %s", on);
    else if (c->owner)
        snprintf(owner, sizeof(owner), ", owner #%llu", (unsigned long long)c->owner);
    if (end - pfn == 1)
        text(ui, ui->mono, r.x + 8, r.y + 6, FG, "pfn 0x%llx  pa 0x%llx  node%d %s", (unsigned long long)pfn,
             (unsigned long long)(pfn << 12), g->node, emu_zone_name(g->zone));
    else
        text(ui, ui->mono, r.x + 8, r.y + 6, FG, "pfn 0x%llx-0x%llx  pa 0x%llx  node%d %s", (unsigned long long)pfn,
             (unsigned long long)end - 1, (unsigned long long)(pfn << 12), g->node, emu_zone_name(g->zone));
    text(ui, ui->mono, r.x + 8, r.y + 26, FG, "%s%s%s%s  accesses %u (decayed %.1f)", emu_snap_state_name(c->state),
         aux, owner, c->others ? " (mixed cell)" : "", c->heat, ui->dheat ? ui->dheat[k] : 0.0);
}

static void draw_header(ui_t *ui, const emu_snapshot_t *s)
{
    fill(ui, 0, 0, ui->W, 30, 0x0b0e11);
    int x = 10;
    x += text(ui, ui->bold, x, 6, ACCENT, "emu") + 10;
    x += text(ui, ui->font, x, 6, FG, "%s mode%s%s", s->mode == EMU_MODE_FS ? "full-system" : "SE",
              ui->o.title ? "  " : "", ui->o.title ? ui->o.title : "") + 20;
    char in[32], cy[32];
    human(in, sizeof(in), (double)s->run_insns);
    human(cy, sizeof(cy), (double)s->cycles);
    x += text(ui, ui->font, x, 6, FG, "%s instructions", in) + 16;
    if (s->timing)
        x += text(ui, ui->font, x, 6, FG, "%s cycles  IPC %.2f", cy,
                  s->cycles ? (double)s->instructions / (double)s->cycles : 0.0) + 16;
    x += text(ui, ui->font, x, 6, FG, "%llu page faults", (unsigned long long)s->page_faults) + 16;
    const char *st = s->finished || ui->finished ? "finished" : ui->paused ? "paused" : "running";
    static const char *speeds[] = {"full speed", "100M insn/s", "10M insn/s", "1M insn/s", "100k insn/s"};
    text(ui, ui->bold, ui->W - 240, 6, ui->paused ? 0xffcc66 : s->finished ? 0x9be37a : ACCENT, "%s", st);
    text(ui, ui->small, ui->W - 160, 9, DIM, "%s", speeds[ui->speed]);
}

static void draw_footer(ui_t *ui)
{
    fill(ui, 0, ui->H - 24, ui->W, 24, 0x0b0e11);
    char st[32];
    human(st, sizeof(st), (double)ui->step_n);
    text(ui, ui->small, 10, ui->H - 20, DIM,
         "space pause/resume   n step %s insns   +/- speed   Tab/0-9 CPU   h heat   z/x/wheel zoom   arrows pan   "
         "r reset view   s save snapshot   ? help   q quit",
         st);
}

static void draw_help(ui_t *ui)
{
    int w = 520, h = 300, x = (ui->W - w) / 2, y = (ui->H - h) / 2;
    fill(ui, x, y, w, h, 0x0b0e11);
    frame_rect(ui, x, y, w, h, ACCENT);
    static const char *lines[] = {
        "space        pause / resume the simulation",
        "n            run N instructions, then pause ([ and ] change N)",
        "+ / -        faster / slower (limits instructions per second)",
        "Tab, 0-9     choose the CPU shown in the TLB panel",
        "h            access-heat overlay on / off",
        "z / x, wheel zoom in / out of the memory map (at the mouse)",
        "arrows       pan the zoomed map;  r  reset the view",
        "s            save a snapshot (emu-snapshot-<insns>.png)",
        "?            this help",
        "q, Esc       quit (stops the run)",
    };
    text(ui, ui->bold, x + 12, y + 10, FG, "Keys");
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        text(ui, ui->mono, x + 12, y + 36 + (int)i * 24, FG, "%s", lines[i]);
}

/* ---- history and heat ----------------------------------------------------------------------------- */

static void record(ui_t *ui, const emu_snapshot_t *s)
{
    hist_t *h = &ui->hist[ui->hpos];
    memset(h, 0, sizeof(*h));
    h->run_insns = s->run_insns;
    h->instructions = s->instructions;
    h->cycles = s->cycles;
    h->page_faults = s->page_faults;
    h->free_frames = s->frames[EMU_SNAP_FREE];
    h->heat = s->heat_total;
    h->wall = now_s();
    for (int z = 0; z < s->nr_zones && z < EMU_SNAP_MAX_ZONES; z++)
        h->zfree[z] = s->zones[z].free;
    for (int c = 0; c < s->nr_cpus && c < EMU_SNAP_MAX_NODES; c++)
        for (int l = 0; l < EMU_SNAP_NR_LEVELS; l++) {
            h->lh[c][l] = s->cpus[c].level_hits[l];
            h->lm[c][l] = s->cpus[c].level_misses[l];
        }
    ui->hpos = (ui->hpos + 1) % HIST;
    if (ui->nh < HIST)
        ui->nh++;
    /* Decaying heat: halve, add the new interval. A new view starts afresh. */
    if (s->nr_cells > ui->cap_dheat) {
        float *d = realloc(ui->dheat, (size_t)s->nr_cells * sizeof(float));
        if (!d)
            return;
        ui->dheat = d;
        ui->cap_dheat = s->nr_cells;
        ui->dh_fpc = 0;
    }
    if (s->view_lo != ui->dh_lo || s->view_hi != ui->dh_hi || s->frames_per_cell != ui->dh_fpc) {
        memset(ui->dheat, 0, (size_t)s->nr_cells * sizeof(float));
        ui->dh_lo = s->view_lo;
        ui->dh_hi = s->view_hi;
        ui->dh_fpc = s->frames_per_cell;
    }
    for (uint32_t k = 0; k < s->nr_cells; k++)
        ui->dheat[k] = ui->dheat[k] * 0.5f + (float)s->cells[k].heat;
}

static void draw(ui_t *ui, const emu_snapshot_t *s)
{
    ui->cur = s;
    fill(ui, 0, 0, ui->W, ui->H, BG);
    draw_header(ui, s);
    draw_map(ui, s);
    draw_legend(ui);
    draw_info(ui, s);
    draw_tlbs(ui, s);
    draw_charts(ui, s);
    draw_numa(ui, s);
    draw_footer(ui);
    if (ui->help)
        draw_help(ui);
    ui->frames_drawn++;
}

void ui_render(ui_t *ui, const emu_snapshot_t *s)
{
    record(ui, s);
    draw(ui, s);
}

static void *window_main(void *arg);
static void *writer_main(void *arg);
static void stop_thread(ui_t *ui);

/* ---- construction ------------------------------------------------------------------------------------ */

static int canvas_new(ui_t *ui, int w, int h, char *err, size_t errlen)
{
    if (ui->canvas)
        SDL_FreeSurface(ui->canvas);
    ui->canvas = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!ui->canvas) {
        snprintf(err, errlen, "cannot create a %dx%d picture: %s", w, h, SDL_GetError());
        return -1;
    }
    ui->W = w;
    ui->H = h;
    layout(ui);
    return 0;
}

static ui_t *ui_alloc(int width, int height, char *err, size_t errlen)
{
    ui_t *ui = calloc(1, sizeof(*ui));
    if (!ui) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    ui->show_heat = 1;
    ui->step_n = 1000000;
    ui->refresh_s = 0.2;
    if (!TTF_WasInit() && TTF_Init() < 0) {
        snprintf(err, errlen, "SDL2_ttf: %s", TTF_GetError());
        free(ui);
        return NULL;
    }
    ui->font = TTF_OpenFont(FONT_SANS, 14);
    ui->small = TTF_OpenFont(FONT_SANS, 11);
    ui->mono = TTF_OpenFont(FONT_MONO, 13);
    ui->bold = TTF_OpenFont(FONT_BOLD, 13);
    if (!ui->font || !ui->small || !ui->mono || !ui->bold) {
        snprintf(err, errlen, "cannot open the DejaVu fonts (%s; Debian package fonts-dejavu-core): %s", FONT_SANS,
                 TTF_GetError());
        ui_free(ui);
        return NULL;
    }
    if (canvas_new(ui, width > 0 ? width : 1400, height > 0 ? height : 860, err, errlen) < 0) {
        ui_free(ui);
        return NULL;
    }
    pthread_mutex_init(&ui->mu, NULL);
    pthread_cond_init(&ui->cv, NULL);
    const char *qa = getenv("EMU_UI_TEST_QUIT_AFTER");
    if (qa)
        ui->quit_after = strtoull(qa, NULL, 10);
    const char *ce = getenv("EMU_UI_TEST_CLOSE_AT_END");
    ui->close_at_end = ce && *ce && strcmp(ce, "0");
    return ui;
}

ui_t *ui_new_headless(int width, int height, char *err, size_t errlen)
{
    return ui_alloc(width, height, err, errlen);
}

ui_t *ui_new(emu_t *m, const ui_opts_t *o, char *err, size_t errlen)
{
    ui_t *ui = ui_alloc(o->width, o->height, err, errlen);
    if (!ui)
        return NULL;
    ui->m = m;
    ui->o = *o;
    if (o->heat_export) {
        ui->heat = fopen(o->heat_export, "w");
        if (!ui->heat) {
            snprintf(err, errlen, "cannot write --heat-export %s: %s", o->heat_export, strerror(errno));
            ui_free(ui);
            return NULL;
        }
        fprintf(ui->heat, "# emu heat export (damo-style): one line per region and snapshot\n"
                          "# time (instructions retired)  start_addr  end_addr  accesses (translation-cache fills in "
                          "the interval)\n");
    }
    if (o->snapshot_every && o->snapshot_dir && !strchr(o->snapshot_dir, '%'))
        mkdir(o->snapshot_dir, 0777);
    ui->snap = emu_snapshot_new(m);
    if (!ui->snap) {
        snprintf(err, errlen, "out of host memory (snapshot)");
        ui_free(ui);
        return NULL;
    }
    if (o->window) {
        /* The window lives in a thread of its own; wait until it is open (or could not be). */
        ui->hand = calloc(1, sizeof(*ui->hand));
        ui->shown = calloc(1, sizeof(*ui->shown));
        if (!ui->hand || !ui->shown || pthread_create(&ui->thr, NULL, window_main, ui) != 0) {
            snprintf(err, errlen, "--ui: out of host resources (thread)");
            ui_free(ui);
            return NULL;
        }
        pthread_mutex_lock(&ui->mu);
        while (!ui->started)
            pthread_cond_wait(&ui->cv, &ui->mu);
        pthread_mutex_unlock(&ui->mu);
        if (ui->started < 0) {
            pthread_join(ui->thr, NULL);
            snprintf(err, errlen, "%s", ui->start_err);
            ui_free(ui);
            return NULL;
        }
        ui->thr_on = 1;
    } else if (o->snapshot_every) {
        /* Pictures are drawn and compressed by a writer thread while the machine runs on. */
        ui->q[0] = calloc(1, sizeof(*ui->q[0]));
        ui->q[1] = calloc(1, sizeof(*ui->q[1]));
        if (ui->q[0] && ui->q[1] && pthread_create(&ui->thr, NULL, writer_main, ui) == 0)
            ui->thr_on = ui->writer_on = 1; /* else: drawn by the simulation itself */
    }
    ui->start_wall = ui->speed_t0 = now_s();
    return ui;
}

void ui_free(ui_t *ui)
{
    if (!ui)
        return;
    stop_thread(ui);
    if (ui->snap)
        emu_snapshot_free(ui->m, ui->snap);
    emu_snapshot_t *c[4] = {ui->hand, ui->shown, ui->q[0], ui->q[1]};
    for (int i = 0; i < 4; i++)
        if (c[i])
            emu_snapshot_free(ui->m, c[i]);
    if (ui->heat)
        fclose(ui->heat);
    TTF_Font *f[] = {ui->font, ui->small, ui->mono, ui->bold};
    for (int i = 0; i < 4; i++)
        if (f[i])
            TTF_CloseFont(f[i]);
    if (ui->canvas)
        SDL_FreeSurface(ui->canvas);
    pthread_mutex_destroy(&ui->mu);
    pthread_cond_destroy(&ui->cv);
    free(ui->dheat);
    free(ui->seg_y);
    free(ui);
}

int ui_quit_requested(const ui_t *ui) { return ui->stopped_run; }
void ui_select_cpu(ui_t *ui, int cpu) { ui->sel_cpu = cpu < 0 ? 0 : cpu; }
void ui_show_heat(ui_t *ui, int on) { ui->show_heat = on; }

/* ---- output ------------------------------------------------------------------------------------------ */

/* One PNG chunk: length, type, data, CRC of type and data. */
static int png_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t h[8] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    memcpy(h + 4, type, 4);
    uLong crc = crc32(crc32(0, NULL, 0), h + 4, 4);
    if (len)
        crc = crc32(crc, data, len);
    uint8_t c[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    return fwrite(h, 1, 8, f) == 8 && (!len || fwrite(data, 1, len, f) == len) && fwrite(c, 1, 4, f) == 4 ? 0 : -1;
}

/* The canvas as an 8-bit RGB PNG. Written here rather than with IMG_SavePNG: each row is filtered
 * with "Sub" (the picture is mostly flat areas, which become runs of zeros) and deflated with
 * zlib's run-length strategy, several times faster than SDL2_image's default for the same size. */
int ui_save_png(ui_t *ui, const char *path, char *err, size_t errlen)
{
    SDL_Surface *c = ui->canvas;
    size_t row = (size_t)c->w * 3 + 1, raw_len = row * (size_t)c->h;
    uint8_t *raw = malloc(raw_len);
    uLong cap = compressBound((uLong)raw_len);
    uint8_t *z = malloc(cap);
    FILE *f = NULL;
    int rc = -1;
    if (!raw || !z) {
        snprintf(err, errlen, "cannot write %s: out of host memory", path);
        goto out;
    }
    for (int y = 0; y < c->h; y++) {
        const uint32_t *px = (const uint32_t *)((const uint8_t *)c->pixels + (size_t)y * (size_t)c->pitch);
        uint8_t *o = raw + (size_t)y * row;
        *o++ = 1; /* filter: Sub */
        uint32_t prev = 0;
        for (int x = 0; x < c->w; x++) {
            uint32_t p = px[x];
            *o++ = (uint8_t)((p >> 16) - (prev >> 16));
            *o++ = (uint8_t)((p >> 8) - (prev >> 8));
            *o++ = (uint8_t)(p - prev);
            prev = p;
        }
    }
    z_stream zs = {0};
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        snprintf(err, errlen, "cannot write %s: zlib", path);
        goto out;
    }
    zs.next_in = raw;
    zs.avail_in = (uInt)raw_len;
    zs.next_out = z;
    zs.avail_out = (uInt)cap;
    int zr = deflate(&zs, Z_FINISH);
    uLong zlen = zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        snprintf(err, errlen, "cannot write %s: zlib", path);
        goto out;
    }
    f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t ihdr[13] = {(uint8_t)(c->w >> 24), (uint8_t)(c->w >> 16), (uint8_t)(c->w >> 8), (uint8_t)c->w,
                        (uint8_t)(c->h >> 24), (uint8_t)(c->h >> 16), (uint8_t)(c->h >> 8), (uint8_t)c->h,
                        8, 2, 0, 0, 0}; /* 8 bits, RGB, deflate, adaptive filters, no interlace */
    if (fwrite(sig, 1, 8, f) != 8 || png_chunk(f, "IHDR", ihdr, 13) < 0 || png_chunk(f, "IDAT", z, (uint32_t)zlen) < 0 ||
        png_chunk(f, "IEND", NULL, 0) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(raw);
    free(z);
    return rc;
}

uint32_t ui_pixel(ui_t *ui, int x, int y)
{
    if (x < 0 || y < 0 || x >= ui->canvas->w || y >= ui->canvas->h)
        return 0;
    const uint32_t *row = (const uint32_t *)((const uint8_t *)ui->canvas->pixels + (size_t)y * (size_t)ui->canvas->pitch);
    return row[x] & 0xffffff;
}

int ui_cell_pos(ui_t *ui, uint32_t cell, int *x, int *y)
{
    const emu_snapshot_t *s = ui->cur;
    if (!s || !ui->seg_y)
        return -1;
    for (int i = 0; i < s->nr_segs; i++) {
        const emu_snap_seg_t *g = &s->segs[i];
        if (cell >= g->first_cell && cell < g->first_cell + g->nr_cells) {
            uint32_t k = cell - g->first_cell;
            *x = ui->map.x + 8 + 118 + (int)(k % (uint32_t)ui->cols) * ui->cell_px;
            *y = ui->seg_y[i] + (int)(k / (uint32_t)ui->cols) * ui->cell_py;
            return 0;
        }
    }
    return -1;
}

int ui_tlb_pos(ui_t *ui, int array, uint32_t set, uint32_t way, int *x, int *y)
{
    if (array < 0 || array >= EMU_SNAP_MAX_TLBS || ui->tlb_x[array] < 0)
        return -1;
    *x = ui->tlb_x[array] + (int)set * ui->tlb_cwk[array];
    *y = ui->tlb_y[array] + (int)way * ui->tlb_ch[array];
    return 0;
}

int ui_legend_pos(ui_t *ui, int state, int *x, int *y)
{
    if (state < 0 || state >= EMU_SNAP_NR_STATES || !ui->leg_x[state])
        return -1;
    *x = ui->leg_x[state];
    *y = ui->leg_y[state];
    return 0;
}

static void export_heat(ui_t *ui, const emu_snapshot_t *s)
{
    if (!ui->heat)
        return;
    /* Runs of cells with the same count merge into one region, as DAMON's regions do. */
    for (int i = 0; i < s->nr_segs; i++) {
        const emu_snap_seg_t *g = &s->segs[i];
        uint64_t start = g->pfn_lo;
        for (uint32_t k = 0; k < g->nr_cells; k++) {
            uint32_t h = s->cells[g->first_cell + k].heat;
            uint64_t end = g->pfn_lo + (uint64_t)(k + 1) * s->frames_per_cell;
            if (end > g->pfn_hi)
                end = g->pfn_hi;
            if (k + 1 == g->nr_cells || s->cells[g->first_cell + k + 1].heat != h) {
                fprintf(ui->heat, "%llu 0x%llx 0x%llx %u\n", (unsigned long long)s->run_insns,
                        (unsigned long long)(start << 12), (unsigned long long)(end << 12), h);
                start = end;
            }
        }
    }
    fflush(ui->heat);
}

/* Show the canvas in the window (UI thread). */
static void present(ui_t *ui)
{
    if (!ui->win)
        return;
    SDL_Surface *ws = SDL_GetWindowSurface(ui->win);
    if (!ws)
        return;
    SDL_BlitSurface(ui->canvas, NULL, ws, NULL);
    SDL_UpdateWindowSurface(ui->win);
    if (ui->quit_after && ui->frames_drawn >= ui->quit_after) {
        SDL_Event ev = {.type = SDL_QUIT};
        SDL_PushEvent(&ev);
    }
}

static void save_snapshot_key(ui_t *ui)
{
    char path[256], err[512];
    snprintf(path, sizeof(path), "emu-snapshot-%llu.png", (unsigned long long)(ui->cur ? ui->cur->run_insns : 0));
    if (ui_save_png(ui, path, err, sizeof(err)) < 0)
        fprintf(stderr, "emu: %s\n", err);
    else
        fprintf(stderr, "emu: snapshot saved to %s\n", path);
}

/* Zoom by factor (<1: in) around the frame under the mouse, or the middle. */
static void zoom(ui_t *ui, double factor)
{
    const emu_snapshot_t *s = ui->cur;
    if (!s || !s->nr_segs)
        return;
    uint64_t lo = s->view_lo, hi = s->view_hi;
    uint64_t all = 0;
    for (int n = 0; n < s->nr_nodes; n++)
        if ((s->node_base[n] + s->node_size[n]) >> 12 > all)
            all = (s->node_base[n] + s->node_size[n]) >> 12;
    uint64_t centre = lo + (hi - lo) / 2;
    long k = cell_at(ui, s, ui->mouse_x, ui->mouse_y);
    if (k >= 0) {
        const emu_snap_seg_t *g = seg_of(s, (uint32_t)k);
        centre = g->pfn_lo + (uint64_t)(k - g->first_cell) * s->frames_per_cell;
    }
    uint64_t span = (uint64_t)((double)(hi - lo) * factor);
    if (span < 64)
        span = 64;
    if (span >= all) {
        ui->view_lo = ui->view_hi = 0;
        return;
    }
    uint64_t nlo = centre > span / 2 ? centre - span / 2 : 0;
    if (nlo + span > all)
        nlo = all - span;
    ui->view_lo = nlo;
    ui->view_hi = nlo + span;
}

static void pan(ui_t *ui, int dir)
{
    if (!ui->view_hi || !ui->cur)
        return;
    const emu_snapshot_t *s = ui->cur;
    uint64_t all = 0;
    for (int n = 0; n < s->nr_nodes; n++)
        if ((s->node_base[n] + s->node_size[n]) >> 12 > all)
            all = (s->node_base[n] + s->node_size[n]) >> 12;
    uint64_t span = ui->view_hi - ui->view_lo, step = span / 4;
    if (dir < 0)
        ui->view_lo = ui->view_lo > step ? ui->view_lo - step : 0;
    else
        ui->view_lo = ui->view_lo + step + span <= all ? ui->view_lo + step : all - span;
    ui->view_hi = ui->view_lo + span;
}

/* Handle pending events (UI thread; the controls the simulation reads change under ui->mu).
 * Returns 1 when something visible changed (2: the view changed: a new snapshot is asked for). */
static int events(ui_t *ui, int wait_ms)
{
    SDL_Event e;
    int changed = 0;
    int got = wait_ms > 0 ? SDL_WaitEventTimeout(&e, wait_ms) : SDL_PollEvent(&e);
    pthread_mutex_lock(&ui->mu);
    while (got) {
        switch (e.type) {
        case SDL_QUIT: ui->quit = 1; break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
                char err[256];
                if (canvas_new(ui, e.window.data1, e.window.data2, err, sizeof(err)) == 0)
                    changed = 2;
            } else if (e.window.event == SDL_WINDOWEVENT_EXPOSED) {
                changed |= 1;
            }
            break;
        case SDL_MOUSEMOTION:
            ui->mouse_x = e.motion.x;
            ui->mouse_y = e.motion.y;
            changed |= 1;
            break;
        case SDL_MOUSEWHEEL:
            zoom(ui, e.wheel.y > 0 ? 0.5 : 2.0);
            changed = 2;
            break;
        case SDL_KEYDOWN:
            switch (e.key.keysym.sym) {
            case SDLK_q:
            case SDLK_ESCAPE: ui->quit = 1; break;
            case SDLK_SPACE: ui->paused = !ui->paused; ui->stepping = 0; changed |= 1; break;
            case SDLK_n: ui->stepping = ui->step_n; ui->paused = 0; break;
            case SDLK_LEFTBRACKET: if (ui->step_n >= 10000) ui->step_n /= 10; changed |= 1; break;
            case SDLK_RIGHTBRACKET: if (ui->step_n < 10000000000ull) ui->step_n *= 10; changed |= 1; break;
            case SDLK_PLUS:
            case SDLK_EQUALS:
            case SDLK_KP_PLUS: if (ui->speed > 0) ui->speed--; changed |= 1; break;
            case SDLK_MINUS:
            case SDLK_KP_MINUS: if (ui->speed < 4) ui->speed++; changed |= 1; break;
            case SDLK_TAB:
                if (ui->cur && ui->cur->nr_cpus)
                    ui->sel_cpu = (ui->sel_cpu + 1) % ui->cur->nr_cpus;
                changed |= 1;
                break;
            case SDLK_h: ui->show_heat = !ui->show_heat; changed |= 1; break;
            case SDLK_z: zoom(ui, 0.5); changed = 2; break;
            case SDLK_x: zoom(ui, 2.0); changed = 2; break;
            case SDLK_r: ui->view_lo = ui->view_hi = 0; changed = 2; break;
            case SDLK_LEFT:
            case SDLK_UP: pan(ui, -1); changed = 2; break;
            case SDLK_RIGHT:
            case SDLK_DOWN: pan(ui, 1); changed = 2; break;
            case SDLK_s: save_snapshot_key(ui); break;
            case SDLK_SLASH:
            case SDLK_QUESTION: ui->help = !ui->help; changed |= 1; break;
            default:
                if (e.key.keysym.sym >= SDLK_0 && e.key.keysym.sym <= SDLK_9 && ui->cur) {
                    int c = e.key.keysym.sym - SDLK_0;
                    if (c < ui->cur->nr_cpus)
                        ui->sel_cpu = c;
                    changed |= 1;
                }
            }
            break;
        }
        got = SDL_PollEvent(&e);
    }
    if (changed == 2)
        ui->view_req = 1; /* the simulation takes a snapshot of the new view at its next look */
    pthread_cond_broadcast(&ui->cv);
    pthread_mutex_unlock(&ui->mu);
    return changed;
}

/* ---- the window's thread ----------------------------------------------------------------------------
 * Everything SDL does for the window (initialisation, events, drawing, presenting) happens in one
 * thread of its own. The simulation only takes snapshots between chunks and hands over a copy
 * (ui->hand, under ui->mu); it never waits for a drawing. */

static void *window_main(void *arg)
{
    ui_t *ui = arg;
    /* SDL falls back to its offscreen driver when there is no display: a window nobody sees. That
     * driver is used only when asked for by name (SDL_VIDEODRIVER=offscreen). */
    const char *drv = getenv("SDL_VIDEODRIVER");
    int named = drv && *drv;
    const char *why = NULL;
    if (!named && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        why = "DISPLAY and WAYLAND_DISPLAY are not set";
    else if (!SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0") || SDL_Init(SDL_INIT_VIDEO) < 0)
        why = SDL_GetError();
    else if (!named && SDL_GetCurrentVideoDriver() &&
             (!strcmp(SDL_GetCurrentVideoDriver(), "offscreen") || !strcmp(SDL_GetCurrentVideoDriver(), "dummy"))) {
        why = "SDL found no display, only its offscreen driver";
        SDL_Quit();
    }
    if (why)
        snprintf(ui->start_err, sizeof(ui->start_err),
                 "--ui needs a display (%s); without one, write pictures with --snapshot=FILE.png or "
                 "--snapshot-every=N --snapshot-dir=DIR",
                 why);
    if (!why) {
        ui->win = SDL_CreateWindow("emu", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, ui->W, ui->H,
                                   SDL_WINDOW_RESIZABLE);
        if (!ui->win) {
            snprintf(ui->start_err, sizeof(ui->start_err), "--ui: cannot open a window (%s); use --snapshot=FILE.png",
                     SDL_GetError());
            SDL_Quit();
            why = ui->start_err;
        }
    }
    pthread_mutex_lock(&ui->mu);
    ui->started = why ? -1 : 1;
    pthread_cond_broadcast(&ui->cv);
    pthread_mutex_unlock(&ui->mu);
    if (why)
        return NULL;
    /* Until the user quits (or, with the test hook, the run has ended and its last state is shown). */
    for (;;) {
        int ch = events(ui, 20);
        pthread_mutex_lock(&ui->mu);
        int got = ui->hand_fresh, ended = ui->ended, quit = ui->quit;
        if (got) {
            emu_snapshot_t *t = ui->hand;
            ui->hand = ui->shown;
            ui->shown = t;
            ui->hand_fresh = 0;
        }
        pthread_mutex_unlock(&ui->mu);
        if (quit)
            break;
        if (got) {
            ui_render(ui, ui->shown);
            present(ui);
        } else if (ch && ui->cur) {
            draw(ui, ui->cur);
            present(ui);
        }
        if (ended && !got && ui->close_at_end)
            break;
    }
    /* From now on nobody pushes events (they check quit under the lock). */
    pthread_mutex_lock(&ui->mu);
    ui->quit = 1;
    pthread_mutex_unlock(&ui->mu);
    SDL_DestroyWindow(ui->win);
    ui->win = NULL;
    SDL_Quit();
    pthread_mutex_lock(&ui->mu);
    ui->quit = 1;
    pthread_cond_broadcast(&ui->cv);
    pthread_mutex_unlock(&ui->mu);
    return NULL;
}

/* Simulation thread: take a snapshot of the current view and hand a copy to the window's thread. */
static void hand_over(ui_t *ui, emu_t *m)
{
    double t0 = now_s();
    pthread_mutex_lock(&ui->mu);
    uint64_t lo = ui->view_lo, hi = ui->view_hi;
    uint32_t mc = ui->max_cells;
    ui->view_req = 0;
    pthread_mutex_unlock(&ui->mu);
    if (emu_snapshot_take(m, ui->snap, lo, hi, mc) < 0)
        return;
    export_heat(ui, ui->snap);
    pthread_mutex_lock(&ui->mu);
    if (!ui->quit && emu_snapshot_copy(ui->hand, ui->snap) == 0) {
        ui->hand_fresh = 1;
        SDL_Event ev = {.type = SDL_USEREVENT};
        SDL_PushEvent(&ev); /* wake the window's thread (not closing: quit is set before it closes) */
    }
    pthread_mutex_unlock(&ui->mu);
    double t1 = now_s();
    ui->last_refresh = t1;
    /* What the simulation pays per refresh is at most a tenth of its time. */
    ui->refresh_s = 9 * (t1 - t0) > 0.2 ? 9 * (t1 - t0) : 0.2;
}

/* ---- headless pictures: drawn and written by a worker thread -------------------------------------- */

static void save_picture(ui_t *ui, const emu_snapshot_t *s)
{
    char path[1024], err[1200];
    const char *d = ui->o.snapshot_dir ? ui->o.snapshot_dir : ".";
    if (strchr(d, '%'))
        snprintf(path, sizeof(path), d, (unsigned long long)s->run_insns);
    else
        snprintf(path, sizeof(path), "%s/snap-%012llu.png", d, (unsigned long long)s->run_insns);
    if (ui_save_png(ui, path, err, sizeof(err)) < 0) {
        if (!ui->png_err++)
            fprintf(stderr, "emu: %s\n", err);
    } else {
        ui->pictures++;
    }
}

#define QLEN 2

static void *writer_main(void *arg)
{
    ui_t *ui = arg;
    pthread_mutex_lock(&ui->mu);
    for (;;) {
        while (!ui->q_n && !ui->ended)
            pthread_cond_wait(&ui->cv, &ui->mu);
        if (!ui->q_n)
            break;
        emu_snapshot_t *s = ui->q[ui->q_head];
        pthread_mutex_unlock(&ui->mu);
        ui_render(ui, s);
        save_picture(ui, s);
        pthread_mutex_lock(&ui->mu);
        ui->q_head = (ui->q_head + 1) % QLEN;
        ui->q_n--;
        pthread_cond_broadcast(&ui->cv);
    }
    pthread_mutex_unlock(&ui->mu);
    return NULL;
}

/* Simulation thread: queue a copy of ui->snap for the writer (waits only when it is two behind). */
static void queue_picture(ui_t *ui)
{
    pthread_mutex_lock(&ui->mu);
    while (ui->q_n == QLEN)
        pthread_cond_wait(&ui->cv, &ui->mu);
    int slot = (ui->q_head + ui->q_n) % QLEN;
    pthread_mutex_unlock(&ui->mu);
    /* The slot is the writer's no more: fill it outside the lock. */
    if (emu_snapshot_copy(ui->q[slot], ui->snap) < 0)
        return;
    pthread_mutex_lock(&ui->mu);
    ui->q_n++;
    pthread_cond_broadcast(&ui->cv);
    pthread_mutex_unlock(&ui->mu);
}

static uint64_t observe(emu_t *m, void *arg)
{
    ui_t *ui = arg;
    if (!ui->o.window) {
        /* Headless: every call is a snapshot. */
        if (emu_snapshot_take(m, ui->snap, ui->view_lo, ui->view_hi, ui->max_cells) == 0) {
            export_heat(ui, ui->snap);
            if (ui->o.snapshot_every && ui->writer_on)
                queue_picture(ui);
            else
                record(ui, ui->snap);
        }
        return 0;
    }
    double t = now_s();
    pthread_mutex_lock(&ui->mu);
    if (ui->quit) {
        pthread_mutex_unlock(&ui->mu);
        ui->stopped_run = 1;
        emu_stop(m);
        return 0;
    }
    int step_done = ui->step_active, want;
    if (step_done) {
        /* The step is done: show it and pause. */
        ui->step_active = 0;
        ui->stepping = 0;
        ui->paused = 1;
    }
    want = step_done || ui->view_req || (t - ui->last_refresh >= ui->refresh_s && !ui->hand_fresh);
    pthread_mutex_unlock(&ui->mu);
    if (want)
        hand_over(ui, m);
    pthread_mutex_lock(&ui->mu);
    while (ui->paused && !ui->quit && !ui->stepping) {
        if (ui->view_req) {
            /* Another snapshot of the same instant for the new view (this instant's heat is gone). */
            pthread_mutex_unlock(&ui->mu);
            hand_over(ui, m);
            pthread_mutex_lock(&ui->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&ui->cv, &ui->mu, &ts);
    }
    int quit = ui->quit, speed = ui->speed;
    uint64_t stepping = ui->stepping;
    if (stepping)
        ui->step_active = 1;
    pthread_mutex_unlock(&ui->mu);
    if (quit) {
        ui->stopped_run = 1;
        emu_stop(m);
        return 0;
    }
    if (stepping)
        return stepping;
    /* Speed limit: sleep until the instruction rate falls to the chosen one. */
    if (speed) {
        static const double rate[] = {0, 1e8, 1e7, 1e6, 1e5};
        uint64_t done = emu_run_insns(m);
        double ahead = (double)(done - ui->speed_i0) / rate[speed] - (now_s() - ui->speed_t0);
        if (ahead > 0) {
            struct timespec ts = {(time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9)};
            nanosleep(&ts, NULL);
        }
        if (now_s() - ui->speed_t0 > 1) {
            ui->speed_t0 = now_s();
            ui->speed_i0 = done;
        }
        uint64_t chunk = (uint64_t)(rate[speed] / 50);
        return chunk < ui->o.interval || !ui->o.interval ? chunk : 0;
    }
    ui->speed_t0 = now_s();
    ui->speed_i0 = emu_run_insns(m);
    return 0;
}

void ui_attach(ui_t *ui)
{
    uint64_t every = ui->o.interval;
    if (!ui->o.window)
        every = ui->o.snapshot_every ? ui->o.snapshot_every : ui->o.interval ? ui->o.interval : 10000000;
    else if (!every)
        every = 1000000;
    if (!ui->o.window && !ui->o.snapshot_every && !ui->o.heat_export)
        return; /* only a picture at the end: no observer at all */
    emu_set_observer(ui->m, observe, ui, every);
}

/* Stop the helper thread: the window's once the user quits (or at once with the test hook, or when
 * the user already quit), the writer's once its queue is empty. */
static void stop_thread(ui_t *ui)
{
    if (!ui->thr_on)
        return;
    pthread_mutex_lock(&ui->mu);
    ui->ended = 1;
    pthread_cond_broadcast(&ui->cv);
    if (ui->o.window && !ui->quit) {
        SDL_Event ev = {.type = SDL_USEREVENT};
        SDL_PushEvent(&ev);
    }
    pthread_mutex_unlock(&ui->mu);
    pthread_join(ui->thr, NULL);
    ui->thr_on = 0;
    ui->writer_on = 0;
}

int ui_finish(ui_t *ui)
{
    int rc = 0;
    char err[1200];
    ui->finished = 1;
    if (emu_snapshot_take(ui->m, ui->snap, ui->view_lo, ui->view_hi, ui->max_cells) < 0)
        return -1;
    ui->snap->finished = 1;
    export_heat(ui, ui->snap);
    if (ui->o.window && ui->thr_on) {
        /* The final state stays in the window until the user quits. */
        pthread_mutex_lock(&ui->mu);
        if (!ui->quit && emu_snapshot_copy(ui->hand, ui->snap) == 0) {
            ui->hand_fresh = 1;
            SDL_Event ev = {.type = SDL_USEREVENT};
            SDL_PushEvent(&ev);
        }
        pthread_mutex_unlock(&ui->mu);
    }
    stop_thread(ui);
    /* One thread again: the last picture. */
    if (ui->o.window && ui->shown && ui->shown->seq == ui->snap->seq && ui->cur == ui->shown)
        draw(ui, ui->shown);
    else
        ui_render(ui, ui->snap);
    if (ui->o.snapshot_path) {
        if (ui_save_png(ui, ui->o.snapshot_path, err, sizeof(err)) < 0) {
            fprintf(stderr, "emu: %s\n", err);
            rc = -1;
        }
    }
    if (ui->png_err)
        rc = -1;
    if (ui->o.snapshot_every && ui->pictures)
        fprintf(stderr, "emu: %llu snapshots written to %s\n", (unsigned long long)ui->pictures,
                ui->o.snapshot_dir ? ui->o.snapshot_dir : ".");
    return rc;
}
