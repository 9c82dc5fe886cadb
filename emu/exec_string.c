/* exec_string: movs, cmps, stos, lods, scas, with and without rep/repe/repne.
 *
 * Each iteration is architecturally complete before the next starts: rsi/rdi/rcx are updated per
 * element, so a fault in the middle leaves the registers describing the work done, and the
 * instruction restarts from there (the run loop rewinds rip to it). The 67 prefix selects
 * esi/edi/ecx. A segment override applies to the source (rsi) only.
 *
 * Fast paths: rep movs and rep stos with DF = 0 work in chunks that stay within one page of the
 * source and of the destination, copying with host memcpy/memset. Overlapping movs copies
 * element by element in order, which is what makes "rep movsb" with dst = src + 1 replicate a
 * byte, as on hardware.
 */
#include "emu/exec.h"

enum { S_MOVS, S_CMPS, S_STOS, S_LODS, S_SCAS };

AI uint64_t seg_base(const cpu_t *c, const insn_t *i)
{
    return i->seg ? (i->seg == SEG_FS ? c->fs_base : c->gs_base) : 0;
}
AI uint64_t sreg_get(const cpu_t *c, const insn_t *i, int r)
{
    return i->asz == 4 ? (uint32_t)c->r[r] : c->r[r];
}
AI void sreg_set(cpu_t *c, const insn_t *i, int r, uint64_t v)
{
    c->r[r] = i->asz == 4 ? (uint32_t)v : v;
}

/* One iteration. */
AI void str_one(cpu_t *c, const insn_t *i, int op, int s)
{
    const int64_t d = (c->rflags & FL_DF) ? -(1 << s) : (1 << s);
    uint64_t si = sreg_get(c, i, R_RSI), di = sreg_get(c, i, R_RDI);
    switch (op) {
    case S_MOVS:
        wrm(c, di, s, rdm(c, si + seg_base(c, i), s));
        sreg_set(c, i, R_RSI, si + (uint64_t)d);
        sreg_set(c, i, R_RDI, di + (uint64_t)d);
        break;
    case S_CMPS: {
        uint64_t a = rdm(c, si + seg_base(c, i), s), b = rdm(c, di, s);
        sreg_set(c, i, R_RSI, si + (uint64_t)d);
        sreg_set(c, i, R_RDI, di + (uint64_t)d);
        lf_set(c, LFK_SUB, s, a, b, (a - b) & SZ_MASK(s));
        break;
    }
    case S_STOS:
        wrm(c, di, s, rdr(c, R_RAX, s));
        sreg_set(c, i, R_RDI, di + (uint64_t)d);
        break;
    case S_LODS: {
        uint64_t v = rdm(c, si + seg_base(c, i), s);
        wrr(c, R_RAX, s, v);
        sreg_set(c, i, R_RSI, si + (uint64_t)d);
        break;
    }
    default: {
        uint64_t a = rdr(c, R_RAX, s), b = rdm(c, di, s);
        sreg_set(c, i, R_RDI, di + (uint64_t)d);
        lf_set(c, LFK_SUB, s, a, b, (a - b) & SZ_MASK(s));
        break;
    }
    }
}

/* Elements of size 2^s that fit between va and the end of its page. */
AI uint64_t page_room(uint64_t va, int s) { return (0x1000 - (va & 0xfff)) >> s; }

/* rep stos, DF = 0, 64-bit addressing: fill whole page chunks. */
AI int stos_chunk(cpu_t *c, int s, uint64_t cnt)
{
    uint64_t di = c->r[R_RDI], n = page_room(di, s);
    if (n == 0) return 0;
    if (n > cnt) n = cnt;
    uint8_t *p = mem_write_ptr(c, di, (int)(n << s));
    uint64_t v = c->r[R_RAX];
    if (s == 0) {
        memset(p, (int)(v & 0xff), n);
    } else {
        for (uint64_t k = 0; k < n; k++) memcpy(p + (k << s), &v, (size_t)1 << s);
    }
    c->r[R_RDI] = di + (n << s);
    c->r[R_RCX] = cnt - n;
    return 1;
}

/* rep movs, DF = 0, 64-bit addressing. */
AI int movs_chunk(cpu_t *c, const insn_t *i, int s, uint64_t cnt)
{
    uint64_t si = c->r[R_RSI] + seg_base(c, i), di = c->r[R_RDI];
    uint64_t n = page_room(si, s), nd = page_room(di, s);
    if (nd < n) n = nd;
    if (n == 0) return 0;
    if (n > cnt) n = cnt;
    size_t bytes = (size_t)(n << s);
    const uint8_t *src = mem_read_ptr(c, si, (int)bytes);
    uint8_t *dst = mem_write_ptr(c, di, (int)bytes);
    if (dst >= src + bytes || dst + bytes <= src || dst <= src) {
        /* No overlap, or a forward copy that reads ahead of what it writes. Elementwise order
         * only matters when dst lies inside (src, src + bytes). */
        if (dst <= src && dst + bytes > src) memmove(dst, src, bytes);
        else memcpy(dst, src, bytes);
    } else {
        size_t e = (size_t)1 << s;
        for (size_t k = 0; k < bytes; k += e) memmove(dst + k, src + k, e);
    }
    c->r[R_RSI] += n << s;
    c->r[R_RDI] = di + (n << s);
    c->r[R_RCX] = cnt - n;
    return 1;
}

AI void str_rep(cpu_t *c, const insn_t *i, int op, int s)
{
    for (;;) {
        uint64_t cnt = sreg_get(c, i, R_RCX);
        if (cnt == 0) return;
        if ((op == S_STOS || op == S_MOVS) && cnt >= 16 && i->asz == 8 && !(c->rflags & FL_DF)) {
            if (op == S_STOS ? stos_chunk(c, s, cnt) : movs_chunk(c, i, s, cnt)) continue;
        }
        str_one(c, i, op, s);
        sreg_set(c, i, R_RCX, cnt - 1);
        if (op == S_CMPS || op == S_SCAS) {
            int zf = c->lf_res == 0;
            if ((i->flags & INSN_REP) ? !zf : zf) return;
        }
    }
}

#define STR_DEF(o, s) \
    static void str_##o##_##s(cpu_t *c, const insn_t *i) { str_one(c, i, o, s); } \
    static void rep_##o##_##s(cpu_t *c, const insn_t *i) { str_rep(c, i, o, s); }
#define STR_DEF_S(o) STR_DEF(o, 0) STR_DEF(o, 1) STR_DEF(o, 2) STR_DEF(o, 3)
STR_DEF_S(0) STR_DEF_S(1) STR_DEF_S(2) STR_DEF_S(3) STR_DEF_S(4)
#define STR_ROW(p, o) {p##_##o##_0, p##_##o##_1, p##_##o##_2, p##_##o##_3}
const insn_fn h_string[5][4] = {STR_ROW(str, 0), STR_ROW(str, 1), STR_ROW(str, 2), STR_ROW(str, 3), STR_ROW(str, 4)};
const insn_fn h_string_rep[5][4] = {STR_ROW(rep, 0), STR_ROW(rep, 1), STR_ROW(rep, 2), STR_ROW(rep, 3), STR_ROW(rep, 4)};
