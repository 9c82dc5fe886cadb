/* census: the opcode table of docs/OPCODES.md, produced from the decoder (see census.h).
 *
 * The walk. For every opcode byte of a map (prefix bytes and escapes excluded) the generator
 * builds encodings [mandatory prefix] [REX.W] [0F [38|3A]] opcode [ModRM] followed by zero bytes
 * (displacement and immediate), and decodes each with decode_insn():
 *   - whether the opcode has a ModRM byte is asked of the decoder: with a ModRM byte, the
 *     register numbers it gives change with the byte that follows the opcode;
 *   - with a ModRM byte, every ModRM.reg value (/0-/7) in memory form (mod 0, rm 0: [rax]) and
 *     in register form (mod 3) with every rm (the register forms of 0F 01 and of the x87
 *     opcodes are different instructions per ModRM byte);
 *   - the variants: no prefix, 66, F3, F2, each without and with REX.W. A variant has rows for
 *     the ModRM.reg values where it is another instruction than the plain opcode (for REX.W with
 *     a prefix: than the same prefix without REX.W, and than REX.W alone); see cell_differs().
 *     Operand-size variants that capstone names the same (add with 66) get no rows.
 * Consecutive ModRM.reg values, rm values and opcodes that give the same status, handler and
 * mnemonic are merged into one row (50-57 push, /0-/1 test, D9 E2-E3 undefined).
 *
 * The status is the handler's: h_ud is #UD (undefined, or not implemented), h_gp0 is #GP
 * (a privileged instruction at CPL 3), anything else is implemented.
 */
#include "tests/census/census.h"

#include <capstone/capstone.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/exec.h"
#include "tests/unit/insn_sweep.h"

/* Status of an encoding: implemented; implemented but privileged (#GP(0) at CPL 3: full-system
 * code at CPL 0 only); #GP whatever the CPL (h_gp0); #UD. */
enum { C_IMPL, C_PRIV, C_GP, C_UD };
enum { MAP_1, MAP_0F, MAP_0F38, MAP_0F3A };

typedef struct cell {
    int cls;
    insn_fn fn;
    int len;          /* decoder's length */
    int osz;          /* decoder's operand size */
    int cs_len;       /* capstone's length, 0 when capstone cannot decode it */
    char mn[32];      /* capstone mnemonic, "" when capstone cannot decode it */
    char text[200];   /* capstone mnemonic and operands */
    uint8_t b[16];    /* the encoding (len bytes) */
} cell_t;

typedef struct shape {
    int has_modrm;
    cell_t plain;       /* no ModRM */
    cell_t mem[8];      /* /reg, mod 0 rm 0 */
    cell_t reg[8][8];   /* mod 3: [reg][rm] */
} shape_t;

/* One row of the table. */
typedef struct row {
    int map, pfx, w, op_lo, op_hi;
    char modrm[24];
    int same_fn;       /* an F3/F2 variant that runs the handler of the plain opcode */
    cell_t c;          /* the example (first of the merged ones) */
} row_t;

typedef struct rows {
    row_t *v;
    int n, cap;
} rows_t;

static csh cs;
static const uint8_t pfx_byte[4] = {0, 0x66, 0xf3, 0xf2};
static const char *const pfx_name[4] = {"", "66 ", "F3 ", "F2 "};
static const char *const map_name[4] = {"", "0F ", "0F 38 ", "0F 3A "};

static void rows_add(rows_t *r, const row_t *x)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = realloc(r->v, (size_t)r->cap * sizeof(row_t));
        if (!r->v) abort();
    }
    r->v[r->n++] = *x;
}

/* ---- probing -------------------------------------------------------------------------------- */

static void probe(cell_t *c, int map, int p, int w, int op, int modrm)
{
    uint8_t buf[32];
    int n = 0;
    memset(buf, 0, sizeof(buf));
    if (p) buf[n++] = pfx_byte[p];
    if (w) buf[n++] = 0x48;
    if (map != MAP_1) buf[n++] = 0x0f;
    if (map == MAP_0F38) buf[n++] = 0x38;
    if (map == MAP_0F3A) buf[n++] = 0x3a;
    buf[n++] = (uint8_t)op;
    if (modrm >= 0) buf[n++] = (uint8_t)modrm;

    insn_t i;
    int ends = 0;
    memset(c, 0, sizeof(*c));
    c->len = decode_insn(buf, (int)sizeof(buf), &i, &ends);
    c->fn = i.fn;
    c->osz = i.osz;
    c->cls = i.fn == h_ud ? C_UD : i.fn == h_gp0 ? C_GP : C_IMPL;
    memcpy(c->b, buf, sizeof(c->b));
    if (c->cls == C_IMPL && insn_privileged(&i, buf)) c->cls = C_PRIV;

    cs_insn *ci = NULL;
    size_t k = cs_disasm(cs, buf, sizeof(buf), 0x1000, 1, &ci);
    if (k) {
        snprintf(c->mn, sizeof(c->mn), "%s", ci->mnemonic);
        snprintf(c->text, sizeof(c->text), "%s%s%s", ci->mnemonic, ci->op_str[0] ? " " : "", ci->op_str);
        c->cs_len = ci->size;
        cs_free(ci, k);
    }
}

/* Does the opcode take a ModRM byte? With one, the register fields the decoder fills change with
 * the byte after the opcode (or it sees a memory operand). */
static int has_modrm(int map, int op)
{
    uint8_t a[32] = {0}, b[32] = {0}, m[32] = {0};
    int n = 0;
    if (map != MAP_1) a[n++] = 0x0f;
    if (map == MAP_0F38) a[n++] = 0x38;
    if (map == MAP_0F3A) a[n++] = 0x3a;
    a[n++] = (uint8_t)op;
    memcpy(b, a, (size_t)n);
    memcpy(m, a, (size_t)n);
    a[n] = 0xc0;
    b[n] = 0xff;
    m[n] = 0x04;
    m[n + 1] = 0x25;
    insn_t ia, ib, im;
    int e;
    decode_insn(a, 32, &ia, &e);
    decode_insn(b, 32, &ib, &e);
    decode_insn(m, 32, &im, &e);
    return ia.reg != ib.reg || ia.rm != ib.rm || (im.flags & INSN_MEM);
}

static void make_shape(shape_t *s, int map, int p, int w, int op, int modrm)
{
    memset(s, 0, sizeof(*s));
    s->has_modrm = modrm;
    if (!modrm) {
        probe(&s->plain, map, p, w, op, -1);
        return;
    }
    for (int r = 0; r < 8; r++) {
        probe(&s->mem[r], map, p, w, op, r << 3);
        for (int m = 0; m < 8; m++) probe(&s->reg[r][m], map, p, w, op, 0xc0 | r << 3 | m);
    }
}

/* The mnemonic without the prefix words capstone puts in front of it. */
static const char *core(const char *mn)
{
    static const char *const words[] = {"rep ", "repe ", "repz ", "repne ", "repnz ", "lock ", "bnd ",
                                        "notrack ", "xacquire ", "xrelease ", NULL};
    for (int again = 1; again;) {
        again = 0;
        for (int k = 0; words[k]; k++) {
            size_t l = strlen(words[k]);
            if (!strncmp(mn, words[k], l)) {
                mn += l;
                again = 1;
            }
        }
    }
    return mn;
}

/* Two cells are the same instruction form. */
static int same(const cell_t *a, const cell_t *b)
{
    return a->cls == b->cls && a->fn == b->fn && !strcmp(a->mn, b->mn);
}

/* How a variant is compared with what it varies (see cell_differs). */
enum {
    V_66,   /* 66 against no prefix */
    V_REP,  /* F3 or F2 against no prefix */
    V_W,    /* REX.W against no REX.W, without another prefix */
    V_WPFX, /* REX.W against no REX.W, with 66, F3 or F2 */
};

/* Is a variant's cell another instruction than the cell it varies? Another status always. F3 and
 * F2 (rep, repne, or a mandatory prefix): another mnemonic or another handler (rep movsb, pause).
 * 66 changes the operand size, hence the handler: another mnemonic (cbw, movupd; not add). REX.W:
 * another handler and another mnemonic, or another mnemonic of an implemented instruction (cdqe,
 * whose handler takes the size from the operand size); with another prefix as well, another
 * handler and mnemonic (rep movsq; not the names capstone gives to F3 REX.W 90). */
static int cell_differs(const cell_t *a, const cell_t *b, int how)
{
    int mn = strcmp(a->mn, b->mn) != 0, fn = a->fn != b->fn;
    if (a->cls != b->cls) return 1;
    switch (how) {
    case V_66: return strcmp(core(a->mn), core(b->mn)) || (mn && fn);
    case V_REP: return strcmp(core(a->mn), core(b->mn)) || fn;
    case V_W: return mn && (fn || a->cls == C_IMPL || a->cls == C_PRIV);
    default: return mn && fn;
    }
}

/* Does ModRM.reg r of variant a differ from b? */
static int reg_differs(const shape_t *a, const shape_t *b, int r, int how)
{
    if (cell_differs(&a->mem[r], &b->mem[r], how)) return 1;
    for (int m = 0; m < 8; m++)
        if (cell_differs(&a->reg[r][m], &b->reg[r][m], how)) return 1;
    return 0;
}

/* What to show of a variant: mask of ModRM.reg values (bit 0 without ModRM) where it differs. A
 * REX.W variant with another prefix must also differ from REX.W alone (b2, how2). */
static unsigned variant_mask(const shape_t *a, const shape_t *b, int how, const shape_t *b2, int how2)
{
    if (!a->has_modrm)
        return cell_differs(&a->plain, &b->plain, how) && (!b2 || cell_differs(&a->plain, &b2->plain, how2));
    unsigned mask = 0;
    for (int r = 0; r < 8; r++)
        if (reg_differs(a, b, r, how) && (!b2 || reg_differs(a, b2, r, how2))) mask |= 1u << r;
    return mask;
}

/* ---- rows of one variant -------------------------------------------------------------------- */

enum { K_BOTH, K_MEM, K_REG, K_REGRM };
typedef struct sub {
    int kind, lo, hi; /* K_REGRM: rm range */
    const cell_t *c;
} sub_t;

static int subs_of(const shape_t *s, int r, int x87, sub_t *out)
{
    const cell_t *mc = &s->mem[r], *rc = s->reg[r];
    int uni = 1, n = 0;
    for (int m = 1; m < 8; m++) uni &= same(&rc[m], &rc[0]);
    if (uni && !x87 && mc->cls == rc[0].cls && !strcmp(mc->mn, rc[0].mn)) {
        out[n++] = (sub_t){K_BOTH, 0, 7, mc};
        return n;
    }
    out[n++] = (sub_t){K_MEM, 0, 7, mc};
    if (uni) {
        out[n++] = (sub_t){K_REG, 0, 7, &rc[0]};
        return n;
    }
    for (int m = 0; m < 8;) {
        int e = m;
        while (e + 1 < 8 && same(&rc[e + 1], &rc[m])) e++;
        out[n++] = (sub_t){K_REGRM, m, e, &rc[m]};
        m = e + 1;
    }
    return n;
}

static int subs_equal(const sub_t *a, int na, const sub_t *b, int nb)
{
    if (na != nb) return 0;
    for (int k = 0; k < na; k++) {
        if (a[k].kind != b[k].kind || a[k].lo != b[k].lo || a[k].hi != b[k].hi || !same(a[k].c, b[k].c)) return 0;
        if (a[k].kind == K_REGRM) return 0; /* per-ModRM-byte rows are never merged across reg */
    }
    return 1;
}

static void reg_label(char *buf, size_t n, int rlo, int rhi, int all)
{
    if (all) snprintf(buf, n, "/r");
    else if (rlo == rhi) snprintf(buf, n, "/%d", rlo);
    else snprintf(buf, n, "/%d-/%d", rlo, rhi);
}

/* Does an F3/F2 variant run the handler of the plain opcode under another name (tzcnt as bsf)? */
static int same_handler(const cell_t *c, const cell_t *plain)
{
    return plain && (c->cls == C_IMPL || c->cls == C_PRIV) && c->fn == plain->fn &&
           strcmp(core(c->mn), core(plain->mn));
}

/* Rows of one variant: the ModRM.reg groups of mask (bit 0 without ModRM). plain: the plain
 * opcode's shape, for F3/F2 variants. */
static void variant_rows(rows_t *out, const shape_t *s, unsigned mask, const shape_t *plain, int map, int p, int w,
                         int op)
{
    if (!mask) return;
    row_t r = {.map = map, .pfx = p, .w = w, .op_lo = op, .op_hi = op};
    if (!s->has_modrm) {
        r.c = s->plain;
        r.same_fn = same_handler(&s->plain, plain ? &plain->plain : NULL);
        rows_add(out, &r);
        return;
    }
    int x87 = map == MAP_1 && op >= 0xd8 && op <= 0xdf;
    sub_t subs[8][10];
    int ns[8], show[8];
    for (int g = 0; g < 8; g++) {
        ns[g] = subs_of(s, g, x87, subs[g]);
        show[g] = (mask >> g) & 1;
    }
    for (int g = 0; g < 8;) {
        int e = g;
        while (e + 1 < 8 && show[e + 1] == show[g] && subs_equal(subs[g], ns[g], subs[e + 1], ns[e + 1])) e++;
        if (!show[g]) {
            g = e + 1;
            continue;
        }
        int all = g == 0 && e == 7;
        char rl[16];
        reg_label(rl, sizeof(rl), g, e, all);
        for (int k = 0; k < ns[g]; k++) {
            const sub_t *x = &subs[g][k];
            switch (x->kind) {
            case K_BOTH: snprintf(r.modrm, sizeof(r.modrm), "%s", rl); break;
            case K_MEM: snprintf(r.modrm, sizeof(r.modrm), "%s mem", rl); break;
            case K_REG:
                if (x87) snprintf(r.modrm, sizeof(r.modrm), "%02X-%02X", 0xc0 | g << 3, 0xc7 | e << 3);
                else snprintf(r.modrm, sizeof(r.modrm), "%s reg", rl);
                break;
            default:
                if (x->lo == x->hi) snprintf(r.modrm, sizeof(r.modrm), "%02X", 0xc0 | g << 3 | x->lo);
                else snprintf(r.modrm, sizeof(r.modrm), "%02X-%02X", 0xc0 | g << 3 | x->lo, 0xc0 | g << 3 | x->hi);
                break;
            }
            r.c = *x->c;
            /* the plain opcode's cell at the same place */
            const cell_t *pc = NULL;
            if (plain) pc = x->kind == K_BOTH || x->kind == K_MEM ? &plain->mem[g] : &plain->reg[g][x->lo];
            r.same_fn = same_handler(x->c, pc);
            rows_add(out, &r);
        }
        g = e + 1;
    }
}

/* Rows of one opcode: the plain form, then the variants that are other instructions. */
static void opcode_rows(rows_t *out, int map, int op)
{
    static shape_t sh[4][2];
    int modrm = has_modrm(map, op);
    for (int p = 0; p < 4; p++)
        for (int w = 0; w < 2; w++) make_shape(&sh[p][w], map, p, w, op, modrm);
    variant_rows(out, &sh[0][0], 0xff, NULL, map, 0, 0, op);
    variant_rows(out, &sh[0][1], variant_mask(&sh[0][1], &sh[0][0], V_W, NULL, 0), NULL, map, 0, 1, op);
    for (int p = 1; p < 4; p++) {
        int how = p == 1 ? V_66 : V_REP;
        const shape_t *pl0 = how == V_REP ? &sh[0][0] : NULL, *pl1 = how == V_REP ? &sh[0][1] : NULL;
        variant_rows(out, &sh[p][0], variant_mask(&sh[p][0], &sh[0][0], how, NULL, 0), pl0, map, p, 0, op);
        variant_rows(out, &sh[p][1], variant_mask(&sh[p][1], &sh[p][0], V_WPFX, &sh[0][1], how), pl1, map, p, 1, op);
    }
}

static int rows_mergeable(const row_t *a, const row_t *b, int n)
{
    for (int k = 0; k < n; k++)
        if (a[k].pfx != b[k].pfx || a[k].w != b[k].w || strcmp(a[k].modrm, b[k].modrm) || !same(&a[k].c, &b[k].c) ||
            a[k].same_fn != b[k].same_fn ||
            a[k].c.len != b[k].c.len || a[k].c.osz != b[k].c.osz)
            return 0;
    return 1;
}

/* ---- groups --------------------------------------------------------------------------------- */

typedef struct group {
    const char *title, *anchor;
    int map, lo, hi;
    const char *intro;
} group_t;

static int is_prefix_or_escape(int map, int op)
{
    if (map == MAP_1)
        return op == 0x0f || op == 0x26 || op == 0x2e || op == 0x36 || op == 0x3e || (op >= 0x40 && op <= 0x4f) ||
               (op >= 0x64 && op <= 0x67) || op == 0xf0 || op == 0xf2 || op == 0xf3;
    if (map == MAP_0F) return op == 0x38 || op == 0x3a;
    return 0;
}

typedef struct counts {
    int ops_impl, ops;           /* opcode bytes with an implemented form / walked */
    int rows[5];                 /* implemented, CPL 0, #GP, #UD named, #UD undefined */
} counts_t;

static int row_kind(const cell_t *c)
{
    if (c->cls == C_IMPL) return 0;
    if (c->cls == C_PRIV) return 1;
    if (c->cls == C_GP) return 2;
    return c->mn[0] ? 3 : 4;
}

/* Distinct implemented mnemonics (core), across one group and across all. */
typedef struct names {
    char (*v)[40];
    int n, cap;
} names_t;

static void names_add(names_t *s, const char *mn)
{
    for (int k = 0; k < s->n; k++)
        if (!strcmp(s->v[k], mn)) return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, (size_t)s->cap * sizeof(*s->v));
        if (!s->v) abort();
    }
    snprintf(s->v[s->n++], sizeof(s->v[0]), "%s", mn);
}

static void hex(char *buf, size_t n, const uint8_t *b, int len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int k = 0; k < len && o + 4 < n; k++) o += (size_t)snprintf(buf + o, n - o, "%s%02x", k ? " " : "", b[k]);
}

static const char *status_text(const cell_t *c)
{
    return c->cls == C_IMPL ? "ok" : c->cls == C_PRIV ? "CPL 0" : c->cls == C_GP ? "#GP" : "#UD";
}

static void write_row(FILE *f, const row_t *r)
{
    char opc[64], ex[64];
    int o = snprintf(opc, sizeof(opc), "%s%s%s", pfx_name[r->pfx], r->w ? "REX.W " : "", map_name[r->map]);
    if (r->op_lo == r->op_hi) snprintf(opc + o, sizeof(opc) - (size_t)o, "%02X", r->op_lo);
    else snprintf(opc + o, sizeof(opc) - (size_t)o, "%02X-%02X", r->op_lo, r->op_hi);
    hex(ex, sizeof(ex), r->c.b, r->c.len);
    const char *text = r->c.text[0] ? r->c.text : "(undefined)";
    fprintf(f, "| `%s` | %s | %s", opc, r->modrm[0] ? r->modrm : "", text);
    if (r->c.cs_len && r->c.cs_len != r->c.len && r->c.cls != C_UD)
        fprintf(f, " (capstone: %d bytes)", r->c.cs_len);
    if (r->same_fn) fprintf(f, " (%s ignored)", r->pfx == 2 ? "F3" : "F2");
    fprintf(f, " | %s | `%s` |\n", status_text(&r->c), ex);
}

static const group_t groups[] = {
    {"One-byte opcodes", "one-byte", MAP_1, 0x00, 0xff,
     "The legacy and REX prefixes (26 2E 36 3E 40-4F 64-67 F0 F2 F3) and the 0F escape are not opcodes; "
     "62 (EVEX), C4 and C5 (VEX) are prefixes of AVX encodings, #UD here. The x87 opcodes D8-DF have "
     "their own table."},
    {"x87 (D8-DF)", "x87", MAP_1, 0xd8, 0xdf,
     "Memory forms by ModRM.reg (/0-/7), register forms by ModRM byte (C0-FF)."},
    {"0F: two-byte opcodes", "0f", MAP_0F, 0x00, 0xff,
     "0F 38 and 0F 3A are escapes to the three-byte maps. Without a prefix, most SSE2 integer "
     "opcodes are MMX instructions (#UD: MMX is not implemented); with 66 they are the SSE2 ones."},
    {"0F 38: three-byte opcodes", "0f38", MAP_0F38, 0x00, 0xff,
     "SSSE3, SSE4 and later: CPUID does not advertise them."},
    {"0F 3A: three-byte opcodes with an immediate", "0f3a", MAP_0F3A, 0x00, 0xff,
     "SSSE3, SSE4 and later: CPUID does not advertise them."},
};
#define NR_GROUPS ((int)(sizeof(groups) / sizeof(groups[0])))

static int in_group(int g, int op)
{
    if (op < groups[g].lo || op > groups[g].hi) return 0;
    if (g == 0 && op >= 0xd8 && op <= 0xdf) return 0;
    return !is_prefix_or_escape(groups[g].map, op);
}

int census_write(FILE *f)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) return -1;
    rows_t all[NR_GROUPS];
    counts_t cnt[NR_GROUPS];
    names_t names[NR_GROUPS + 1];
    memset(all, 0, sizeof(all));
    memset(cnt, 0, sizeof(cnt));
    memset(names, 0, sizeof(names));

    for (int g = 0; g < NR_GROUPS; g++) {
        int prev_start = -1, prev_n = 0; /* rows of the previous opcode (or merged run) */
        for (int op = groups[g].lo; op <= groups[g].hi; op++) {
            if (!in_group(g, op)) {
                prev_start = -1;
                continue;
            }
            rows_t one = {0};
            opcode_rows(&one, groups[g].map, op);
            cnt[g].ops++;
            int impl = 0;
            for (int k = 0; k < one.n; k++) {
                int kind = row_kind(&one.v[k].c);
                impl |= kind <= 1;
                if (kind <= 1 && one.v[k].c.mn[0]) {
                    names_add(&names[g], core(one.v[k].c.mn));
                    names_add(&names[NR_GROUPS], core(one.v[k].c.mn));
                }
            }
            cnt[g].ops_impl += impl;
            if (prev_start >= 0 && prev_n == one.n && all[g].v[prev_start].op_hi == op - 1 &&
                rows_mergeable(&all[g].v[prev_start], one.v, one.n)) {
                for (int k = 0; k < one.n; k++) all[g].v[prev_start + k].op_hi = op;
            } else {
                prev_start = all[g].n;
                prev_n = one.n;
                for (int k = 0; k < one.n; k++) rows_add(&all[g], &one.v[k]);
            }
            free(one.v);
        }
        for (int k = 0; k < all[g].n; k++) cnt[g].rows[row_kind(&all[g].v[k].c)]++;
    }

    int major = 0, minor = 0;
    cs_version(&major, &minor);
    fprintf(f,
            "# Opcode census\n"
            "\n"
            "<!-- Generated by `make census` (tests/census/opcodes.c): do not edit by hand. -->\n"
            "\n"
            "Every opcode of the x86-64 maps (one-byte, 0F, 0F 38, 0F 3A) and what emu's decoder does with it,\n"
            "produced from the decoder itself: `build/tests/census/opcodes` (`tests/census/census.c`, linked\n"
            "with `build/libemu.a`) synthesises an encoding of every opcode with each mandatory prefix (none,\n"
            "66, F3, F2), with and without REX.W, and, for opcodes with a ModRM byte, with every ModRM.reg\n"
            "value (/0-/7) in memory form and every register form; it decodes each with `decode_insn()`,\n"
            "classifies the handler it gets and names the encoding with capstone %d.%d. Regenerate it with\n"
            "`make census`; the census suite of `make test` fails when it differs from what the decoder gives\n"
            "(`tests/census/test_census.c`).\n"
            "\n"
            "Status: **ok**: implemented (a handler other than `h_ud` and `h_gp0`). **CPL 0**: implemented\n"
            "and privileged: the handler raises #GP(0) at CPL 3, so only full-system code at CPL 0 runs it\n"
            "(SE programs, at CPL 3, get SIGSEGV); it is found by running the instruction at CPL 3 from\n"
            "states where no user instruction has a reason to fault (`insn_privileged()`,\n"
            "`tests/unit/insn_sweep.c`).\n"
            "**#GP**: `h_gp0`, #GP(0) whatever the CPL. **#UD**: undefined, or not implemented (the\n"
            "extensions CPUID does not advertise: MMX, SSE3 and later, AVX).\n"
            "\n"
            "Reading the tables. A row is one instruction form. ModRM: `/r` any ModRM byte, `/n` ModRM.reg =\n"
            "n, `mem` and `reg` its memory (mod 0-2) and register (mod 3) forms, hexadecimal values the ModRM\n"
            "bytes of register forms. The instruction is capstone's disassembly of the example encoding\n"
            "(operands are those of the example; \"(undefined)\": capstone does not decode it either).\n"
            "Consecutive opcodes, ModRM.reg values and ModRM bytes that are the same instruction (same\n"
            "status, handler, mnemonic, length and operand size) share a row: `50-57 push` stands for push\n"
            "of each register. A prefixed variant (66, F3, F2, REX.W) has rows only for the ModRM.reg values\n"
            "where it is another instruction than the opcode without it: another status, another mnemonic\n"
            "(66: movupd; REX.W: cdqe, movabs), or for F3 and F2 another handler (rep movsb, pause, popcnt).\n"
            "Operand-size variants that capstone names the same (add with 66 or REX.W) share the plain\n"
            "opcode's row. \"(F3 ignored)\": an F3 variant capstone names differently that runs the plain\n"
            "opcode's handler, as processors without the extension do (tzcnt runs as bsf). LOCK and the\n"
            "segment and address-size prefixes are not walked (LOCK is #UD except on the read-modify-write\n"
            "instructions with a memory destination). \"(capstone: N bytes)\" would mark an implemented\n"
            "form whose length capstone sees differently.\n"
            "\n"
            "## Summary\n"
            "\n"
            "Opcodes: opcode bytes of the group with at least one implemented (ok or CPL 0) form, out of those\n"
            "walked.\n"
            "Rows: forms by status (#UD named: capstone knows the instruction; undefined: neither does).\n"
            "Mnemonics: distinct capstone mnemonics of the implemented (ok or CPL 0) forms.\n"
            "\n"
            "| group | opcodes implemented | rows ok | rows CPL 0 | rows #GP | rows #UD named | rows undefined "
            "| mnemonics |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|\n",
            major, minor);
    counts_t tot;
    memset(&tot, 0, sizeof(tot));
    for (int g = 0; g < NR_GROUPS; g++) {
        fprintf(f, "| [%s](#%s) | %d / %d | %d | %d | %d | %d | %d | %d |\n", groups[g].title, groups[g].anchor,
                cnt[g].ops_impl, cnt[g].ops, cnt[g].rows[0], cnt[g].rows[1], cnt[g].rows[2], cnt[g].rows[3],
                cnt[g].rows[4], names[g].n);
        tot.ops_impl += cnt[g].ops_impl;
        tot.ops += cnt[g].ops;
        for (int k = 0; k < 5; k++) tot.rows[k] += cnt[g].rows[k];
    }
    fprintf(f, "| **total** | %d / %d | %d | %d | %d | %d | %d | %d |\n", tot.ops_impl, tot.ops, tot.rows[0],
            tot.rows[1], tot.rows[2], tot.rows[3], tot.rows[4], names[NR_GROUPS].n);

    for (int g = 0; g < NR_GROUPS; g++) {
        fprintf(f, "\n<a id=\"%s\"></a>\n\n## %s\n\n%s %d of %d opcodes have an implemented form; %d rows ok, "
                   "%d CPL 0, %d #GP, %d #UD named, %d undefined.\n\n",
                groups[g].anchor, groups[g].title, groups[g].intro, cnt[g].ops_impl, cnt[g].ops, cnt[g].rows[0],
                cnt[g].rows[1], cnt[g].rows[2], cnt[g].rows[3], cnt[g].rows[4]);
        fprintf(f, "| opcode | ModRM | instruction (capstone) | status | example |\n|---|---|---|---|---|\n");
        for (int k = 0; k < all[g].n; k++) write_row(f, &all[g].v[k]);
        free(all[g].v);
    }
    for (int g = 0; g <= NR_GROUPS; g++) free(names[g].v);
    cs_close(&cs);
    return ferror(f) ? -1 : 0;
}
