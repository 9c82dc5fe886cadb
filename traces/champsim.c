/* champsim: ChampSim instruction traces in and out (docs/TRACE.md, "ChampSim").
 *
 * A ChampSim trace is a headerless sequence of 64-byte little-endian records, one per instruction
 * (ChampSim inc/trace_instruction.h, ../shared/reference/README.md): ip (u64 at 0), is_branch (u8 at
 * 8), branch_taken (u8 at 9), destination_registers (u8[2] at 10), source_registers (u8[4] at 12),
 * destination_memory (u64[2] at 16), source_memory (u64[4] at 32); 0 is an empty slot; addresses are
 * virtual. Files are usually compressed; the suffix decides: .xz (liblzma), .gz (zlib), else raw.
 *
 * Import: each record becomes a fetch of its ip (4 bytes: ChampSim keeps no length), then a load per
 * source address and a store per destination address (8 bytes each), on CPU 0, with pa = va.
 *
 * Export: each fetch starts an instruction; the loads and stores after it, up to the next fetch,
 * are its memory operands (the first 4 loads and 2 stores). Branches are known only by their
 * effect: an instruction whose next fetch is not at ip + size is a taken branch, written as ChampSim
 * writes a direct jump (destination register 26, the instruction pointer), so ChampSim's branch
 * predictor sees it; branches that fall through cannot be told from other instructions and are
 * written as plain instructions.
 */
#include <inttypes.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "traces/trace.h"

#define REC 64
#define REG_IP 26

/* ---- a byte stream over a raw, gzip or xz file -------------------------------------------------- */

typedef struct cstream {
    int kind; /* 0 raw, 1 gz, 2 xz */
    int writing;
    FILE *f;
    gzFile gz;
    lzma_stream xz;
    uint8_t buf[1 << 16];
    int eof;
} cstream_t;

static int kind_of(const char *path)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".xz") == 0)
        return 2;
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
        return 1;
    return 0;
}

static cstream_t *cs_open(const char *path, int writing, char *err, size_t errlen)
{
    cstream_t *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    s->kind = kind_of(path);
    s->writing = writing;
    if (s->kind == 1) {
        s->gz = gzopen(path, writing ? "wb6" : "rb");
        if (!s->gz) {
            snprintf(err, errlen, "%s: cannot open", path);
            free(s);
            return NULL;
        }
        return s;
    }
    s->f = fopen(path, writing ? "wb" : "rb");
    if (!s->f) {
        snprintf(err, errlen, "%s: cannot open", path);
        free(s);
        return NULL;
    }
    if (s->kind == 2) {
        lzma_stream init = LZMA_STREAM_INIT;
        s->xz = init;
        lzma_ret rc = writing ? lzma_easy_encoder(&s->xz, 6, LZMA_CHECK_CRC64)
                              : lzma_stream_decoder(&s->xz, UINT64_MAX, 0);
        if (rc != LZMA_OK) {
            snprintf(err, errlen, "%s: cannot start xz", path);
            fclose(s->f);
            free(s);
            return NULL;
        }
    }
    return s;
}

/* Read exactly n bytes: 1, 0 at a clean end of file, -1 on an error or a partial record. */
static int cs_read(cstream_t *s, uint8_t *out, size_t n)
{
    size_t got = 0;
    if (s->kind == 0) {
        got = fread(out, 1, n, s->f);
    } else if (s->kind == 1) {
        int r = gzread(s->gz, out, (unsigned)n);
        if (r < 0)
            return -1;
        got = (size_t)r;
    } else {
        s->xz.next_out = out;
        s->xz.avail_out = n;
        while (s->xz.avail_out) {
            if (s->xz.avail_in == 0 && !s->eof) {
                s->xz.next_in = s->buf;
                s->xz.avail_in = fread(s->buf, 1, sizeof(s->buf), s->f);
                if (s->xz.avail_in == 0)
                    s->eof = 1;
            }
            lzma_ret rc = lzma_code(&s->xz, s->eof ? LZMA_FINISH : LZMA_RUN);
            if (rc == LZMA_STREAM_END)
                break;
            if (rc != LZMA_OK)
                return -1;
        }
        got = n - s->xz.avail_out;
    }
    if (got == n)
        return 1;
    return got == 0 ? 0 : -1;
}

static int xz_drain(cstream_t *s, lzma_action a)
{
    for (;;) {
        uint8_t out[1 << 14];
        s->xz.next_out = out;
        s->xz.avail_out = sizeof(out);
        lzma_ret rc = lzma_code(&s->xz, a);
        size_t have = sizeof(out) - s->xz.avail_out;
        if (have && fwrite(out, 1, have, s->f) != have)
            return -1;
        if (rc == LZMA_STREAM_END)
            return 0;
        if (rc != LZMA_OK)
            return -1;
        if (a == LZMA_RUN && s->xz.avail_in == 0)
            return 0;
    }
}

static int cs_write(cstream_t *s, const uint8_t *p, size_t n)
{
    if (s->kind == 0)
        return fwrite(p, 1, n, s->f) == n ? 0 : -1;
    if (s->kind == 1)
        return gzwrite(s->gz, p, (unsigned)n) == (int)n ? 0 : -1;
    s->xz.next_in = p;
    s->xz.avail_in = n;
    return xz_drain(s, LZMA_RUN);
}

static int cs_close(cstream_t *s)
{
    int rc = 0;
    if (s->kind == 1) {
        rc = gzclose(s->gz) == Z_OK ? 0 : -1;
    } else {
        if (s->kind == 2) {
            if (s->writing)
                rc = xz_drain(s, LZMA_FINISH);
            lzma_end(&s->xz);
        }
        if (fclose(s->f) != 0)
            rc = -1;
    }
    free(s);
    return rc;
}

/* ---- import ------------------------------------------------------------------------------------- */

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

int64_t trace_import_champsim(const char *path, trace_writer_t *w, char *err, size_t errlen)
{
    cstream_t *s = cs_open(path, 0, err, errlen);
    if (!s)
        return -1;
    uint8_t rec[REC];
    int64_t n = 0;
    uint64_t insn = 0;
    int rc;
    while ((rc = cs_read(s, rec, REC)) == 1) {
        trace_rec_t r;
        memset(&r, 0, sizeof(r));
        r.type = TRACE_FETCH;
        r.va = r.pa = le64(rec);
        r.size = 4;
        r.page_shift = 12;
        trace_write(w, &r);
        n++;
        for (int k = 0; k < 4; k++) {
            uint64_t a = le64(rec + 32 + 8 * k);
            if (a) {
                r.type = TRACE_LOAD;
                r.va = r.pa = a;
                r.size = 8;
                trace_write(w, &r);
                n++;
            }
        }
        for (int k = 0; k < 2; k++) {
            uint64_t a = le64(rec + 16 + 8 * k);
            if (a) {
                r.type = TRACE_STORE;
                r.va = r.pa = a;
                r.size = 8;
                trace_write(w, &r);
                n++;
            }
        }
        insn++;
    }
    int bad = cs_close(s) < 0;
    if (rc < 0 || bad) {
        snprintf(err, errlen, "%s: corrupt or truncated after instruction %" PRIu64 " (byte %" PRIu64 " of the "
                 "decompressed stream; records are %d bytes)", path, insn, insn * REC, REC);
        return -1;
    }
    return n;
}

/* ---- export ------------------------------------------------------------------------------------- */

typedef struct pending {
    int have;
    uint64_t ip;
    uint8_t size;
    uint64_t loads[4], stores[2];
    int nl, ns;
} pending_t;

static int emit(cstream_t *s, const pending_t *p, int taken)
{
    uint8_t rec[REC];
    memset(rec, 0, sizeof(rec));
    put_le64(rec, p->ip);
    if (taken) {
        rec[8] = 1;
        rec[9] = 1;
        rec[10] = REG_IP; /* writes the instruction pointer only: ChampSim's direct jump */
    }
    for (int k = 0; k < p->ns; k++)
        put_le64(rec + 16 + 8 * k, p->stores[k]);
    for (int k = 0; k < p->nl; k++)
        put_le64(rec + 32 + 8 * k, p->loads[k]);
    return cs_write(s, rec, REC);
}

int64_t trace_export_champsim(trace_reader_t *r, const char *path, char *err, size_t errlen)
{
    if (trace_seek(r, 0) < 0) {
        snprintf(err, errlen, "%s", trace_reader_error(r));
        return -1;
    }
    cstream_t *s = cs_open(path, 1, err, errlen);
    if (!s)
        return -1;
    pending_t p;
    memset(&p, 0, sizeof(p));
    trace_rec_t x;
    int rc;
    int64_t n = 0;
    int werr = 0;
    while ((rc = trace_read(r, &x)) == 1) {
        if (x.cpu != 0)
            continue; /* ChampSim traces are one thread: CPU 0's stream */
        if (x.type == TRACE_FETCH) {
            if (p.have) {
                werr |= emit(s, &p, x.va != p.ip + p.size) < 0;
                n++;
            }
            memset(&p, 0, sizeof(p));
            p.have = 1;
            p.ip = x.va;
            p.size = x.size;
        } else if (x.type == TRACE_LOAD && p.have && p.nl < 4) {
            p.loads[p.nl++] = x.va;
        } else if (x.type == TRACE_STORE && p.have && p.ns < 2) {
            p.stores[p.ns++] = x.va;
        }
    }
    if (p.have) {
        werr |= emit(s, &p, 0) < 0;
        n++;
    }
    werr |= cs_close(s) < 0;
    if (rc < 0) {
        snprintf(err, errlen, "%s", trace_reader_error(r));
        return -1;
    }
    if (werr) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return n;
}
