/* trace: writer and reader of the emu trace format (docs/TRACE.md).
 *
 * Layout of a file:
 *
 *     header    "EMUTRACE", version, header size, CPUs, paging levels, flags, config length,
 *               then the configuration text
 *     chunk*    "CHNK", compressed length, raw length, records, first record number, CRC-32 of
 *               the compressed bytes, CRC-32 of these header fields; then the zlib stream
 *     index     "INDX", count, (offset, first record, records) per chunk, CRC-32
 *     trailer   "EMUTEND", the index's offset, the number of records
 *
 * Records are packed with variable-length integers (LEB128) and, for the addresses of accesses,
 * zigzag deltas against the previous access of the same CPU, so a sequential stream costs a few
 * bytes per access before compression. The delta state starts afresh in every chunk, so any chunk
 * decodes on its own: the index lets a reader seek to a record by decompressing one chunk.
 *
 * A recording killed before it was closed has no index and no trailer; the reader then scans the
 * chunk headers from the start and keeps the chunks that are complete (their header's CRC holds and
 * their bytes are all there), and says so. Every length read from the file is checked against the
 * file's size and the format's limits before it is used, and every chunk's CRC before it is
 * decompressed, so a corrupt file gives an error naming the offset, never a crash.
 */
#include "traces/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define HDR_MAGIC "EMUTRACE"
#define CHUNK_MAGIC 0x4b4e4843u  /* "CHNK" */
#define INDEX_MAGIC 0x58444e49u  /* "INDX" */
#define TRAILER_MAGIC "EMUTEND"
#define CHUNK_RAW_MAX (256u << 10)
#define HEADER_FIXED 64u
#define CONFIG_MAX (1u << 20)
#define CHUNK_HDR 32u
#define TRAILER_BYTES 24u
#define INDEX_ENTRY 24u

typedef struct chunk_ref {
    uint64_t offset;      /* of the chunk header */
    uint64_t first;       /* first record number */
    uint32_t nr;
} chunk_ref_t;

/* Per-CPU delta state of a chunk. */
typedef struct delta {
    uint64_t va[TRACE_MAX_CPUS];
    uint64_t pa[TRACE_MAX_CPUS];
} delta_t;

/* ---- little-endian helpers ---------------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint32_t crc(const uint8_t *p, size_t n) { return (uint32_t)crc32(0L, p, (uInt)n); }

/* ---- record encoding ---------------------------------------------------------------------------- */

static size_t put_var(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static int shift_code(uint8_t shift) { return shift == 30 ? 2 : shift == 21 ? 1 : 0; }
static uint8_t code_shift(int code) { return code == 2 ? 30 : code == 1 ? 21 : 12; }

/* The longest encoded record. */
#define REC_MAX (1 + 3 + 2 + 10 * 14 + 2 * TRACE_MAX_LEVELS * 10 + TRACE_CODE_MAX)

/* Encode r into p (REC_MAX bytes available); returns its length. */
static size_t encode(uint8_t *p, const trace_rec_t *r, delta_t *d)
{
    size_t n = 0;
    p[n++] = r->type;
    n += put_var(p + n, r->cpu);
    unsigned cpu = r->cpu % TRACE_MAX_CPUS;
    switch (r->type) {
    case TRACE_FETCH:
    case TRACE_LOAD:
    case TRACE_STORE:
        p[n++] = (uint8_t)(shift_code(r->page_shift) | (r->pcid ? 4 : 0) | (r->aux ? 8 : 0) | (r->value ? 16 : 0));
        p[n++] = r->size;
        n += put_var(p + n, zigzag((int64_t)(r->va - d->va[cpu])));
        n += put_var(p + n, zigzag((int64_t)(r->pa - d->pa[cpu])));
        n += put_var(p + n, r->gap);
        if (r->pcid)
            n += put_var(p + n, r->pcid);
        if (r->aux)
            n += put_var(p + n, r->aux);
        if (r->value)
            n += put_var(p + n, r->value);
        d->va[cpu] = r->va;
        d->pa[cpu] = r->pa;
        break;
    case TRACE_WALK:
        p[n++] = (uint8_t)(shift_code(r->page_shift) | (r->levels << 2));
        n += put_var(p + n, r->va);
        n += put_var(p + n, r->pcid);
        for (int k = 0; k < r->levels && k < TRACE_MAX_LEVELS; k++)
            n += put_var(p + n, r->walk[k]);
        for (int k = 0; k < r->levels && k < TRACE_MAX_LEVELS; k++)
            n += put_var(p + n, r->wval[k]);
        n += put_var(p + n, r->pa);
        n += put_var(p + n, r->aux);
        break;
    case TRACE_CODE:
        n += put_var(p + n, r->va);
        p[n++] = r->size;
        memcpy(p + n, r->code, r->size);
        n += r->size;
        break;
    default: /* the generic form: va, pa, value, aux, aux2, pcid */
        n += put_var(p + n, r->va);
        n += put_var(p + n, r->pa);
        n += put_var(p + n, r->value);
        n += put_var(p + n, r->aux);
        n += put_var(p + n, r->aux2);
        n += put_var(p + n, r->pcid);
        break;
    }
    return n;
}

/* A bounded cursor over a decompressed chunk. */
typedef struct cursor {
    const uint8_t *p, *end;
    int bad;
} cursor_t;

static uint64_t get_var(cursor_t *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (c->p >= c->end) {
            c->bad = 1;
            return 0;
        }
        uint8_t b = *c->p++;
        if (shift == 63 && b > 1) {
            c->bad = 1;
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = 1;
    return 0;
}

static uint8_t get_byte(cursor_t *c)
{
    if (c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

/* Decode one record; 0, or -1 when the bytes are not a valid record. */
static int decode(cursor_t *c, trace_rec_t *r, delta_t *d)
{
    memset(r, 0, sizeof(*r));
    r->type = get_byte(c);
    uint64_t cpu = get_var(c);
    if (c->bad || r->type == 0 || r->type >= TRACE_NR_TYPES || cpu >= TRACE_MAX_CPUS)
        return -1;
    r->cpu = (uint16_t)cpu;
    switch (r->type) {
    case TRACE_FETCH:
    case TRACE_LOAD:
    case TRACE_STORE: {
        uint8_t f = get_byte(c);
        r->page_shift = code_shift(f & 3);
        r->size = get_byte(c);
        r->va = d->va[cpu] + (uint64_t)unzigzag(get_var(c));
        r->pa = d->pa[cpu] + (uint64_t)unzigzag(get_var(c));
        r->gap = get_var(c);
        if (f & 4) {
            uint64_t pcid = get_var(c);
            if (pcid > 0xfff)
                return -1;
            r->pcid = (uint16_t)pcid;
        }
        if (f & 8) {
            uint64_t a = get_var(c);
            if (a > UINT32_MAX)
                return -1;
            r->aux = (uint32_t)a;
        }
        if (f & 16)
            r->value = get_var(c);
        if ((f & ~31u) || (f & 3) == 3)
            return -1;
        d->va[cpu] = r->va;
        d->pa[cpu] = r->pa;
        break;
    }
    case TRACE_WALK: {
        uint8_t f = get_byte(c);
        if ((f & 3) == 3 || (f >> 2) > TRACE_MAX_LEVELS)
            return -1;
        r->page_shift = code_shift(f & 3);
        r->levels = f >> 2;
        r->va = get_var(c);
        uint64_t pcid = get_var(c);
        if (pcid > 0xfff)
            return -1;
        r->pcid = (uint16_t)pcid;
        for (int k = 0; k < r->levels; k++)
            r->walk[k] = get_var(c);
        for (int k = 0; k < r->levels; k++)
            r->wval[k] = get_var(c);
        r->pa = get_var(c);
        uint64_t a = get_var(c);
        if (a > UINT32_MAX)
            return -1;
        r->aux = (uint32_t)a;
        break;
    }
    case TRACE_CODE:
        r->va = get_var(c);
        r->size = get_byte(c);
        if (r->size > TRACE_CODE_MAX || (size_t)(c->end - c->p) < r->size)
            return -1;
        memcpy(r->code, c->p, r->size);
        c->p += r->size;
        break;
    default: {
        r->va = get_var(c);
        r->pa = get_var(c);
        r->value = get_var(c);
        uint64_t a = get_var(c), b = get_var(c), pcid = get_var(c);
        if (a > UINT32_MAX || b > UINT32_MAX || pcid > 0xfff)
            return -1;
        r->aux = (uint32_t)a;
        r->aux2 = (uint32_t)b;
        r->pcid = (uint16_t)pcid;
        break;
    }
    }
    return c->bad ? -1 : 0;
}

/* ---- writer ------------------------------------------------------------------------------------- */

struct trace_writer {
    FILE *f;
    char *path;
    uint8_t *raw;
    size_t raw_len;
    uint32_t raw_nr;
    uint8_t *zbuf;
    size_t zcap;
    delta_t d;
    uint64_t records, bytes;
    chunk_ref_t *chunks;
    size_t nr_chunks, cap_chunks;
    int io_error;
};

trace_writer_t *trace_writer_new(const char *path, uint32_t nr_cpus, uint32_t paging_levels, uint32_t flags,
                                 const char *config, char *err, size_t errlen)
{
    size_t clen = config ? strlen(config) : 0;
    if (clen > CONFIG_MAX || nr_cpus == 0 || nr_cpus > TRACE_MAX_CPUS) {
        snprintf(err, errlen, "trace %s: bad header (configuration too long or CPU count)", path);
        return NULL;
    }
    trace_writer_t *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    w->zcap = compressBound(CHUNK_RAW_MAX);
    w->raw = malloc(CHUNK_RAW_MAX);
    w->zbuf = malloc(w->zcap);
    w->path = strdup(path);
    w->f = fopen(path, "wb");
    if (!w->raw || !w->zbuf || !w->path || !w->f) {
        snprintf(err, errlen, "trace %s: %s", path, w->f ? "out of host memory" : strerror(errno));
        if (w->f)
            fclose(w->f);
        free(w->raw);
        free(w->zbuf);
        free(w->path);
        free(w);
        return NULL;
    }
    uint8_t h[HEADER_FIXED];
    memset(h, 0, sizeof(h));
    memcpy(h, HDR_MAGIC, 8);
    put32(h + 8, TRACE_VERSION);
    put32(h + 12, (uint32_t)(HEADER_FIXED + clen));
    put32(h + 16, nr_cpus);
    put32(h + 20, paging_levels);
    put32(h + 24, flags);
    put32(h + 28, (uint32_t)clen);
    put32(h + 60, crc(h, 60));
    if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h) || (clen && fwrite(config, 1, clen, w->f) != clen))
        w->io_error = 1;
    w->bytes = HEADER_FIXED + clen;
    return w;
}

static void flush_chunk(trace_writer_t *w)
{
    if (!w->raw_nr)
        return;
    uLongf zlen = (uLongf)w->zcap;
    if (compress2(w->zbuf, &zlen, w->raw, (uLong)w->raw_len, 1) != Z_OK) {
        w->io_error = 1;
        return;
    }
    if (w->nr_chunks == w->cap_chunks) {
        size_t cap = w->cap_chunks ? 2 * w->cap_chunks : 64;
        chunk_ref_t *n = realloc(w->chunks, cap * sizeof(*n));
        if (!n) {
            w->io_error = 1;
            return;
        }
        w->chunks = n;
        w->cap_chunks = cap;
    }
    w->chunks[w->nr_chunks++] = (chunk_ref_t){w->bytes, w->records - w->raw_nr, w->raw_nr};
    uint8_t h[CHUNK_HDR];
    put32(h, CHUNK_MAGIC);
    put32(h + 4, (uint32_t)zlen);
    put32(h + 8, (uint32_t)w->raw_len);
    put32(h + 12, w->raw_nr);
    put64(h + 16, w->records - w->raw_nr);
    put32(h + 24, crc(w->zbuf, zlen));
    put32(h + 28, crc(h, 28));
    if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h) || fwrite(w->zbuf, 1, zlen, w->f) != zlen)
        w->io_error = 1;
    w->bytes += CHUNK_HDR + zlen;
    w->raw_len = 0;
    w->raw_nr = 0;
    memset(&w->d, 0, sizeof(w->d));
}

int trace_write(trace_writer_t *w, const trace_rec_t *r)
{
    if (w->raw_len + REC_MAX > CHUNK_RAW_MAX)
        flush_chunk(w);
    w->raw_len += encode(w->raw + w->raw_len, r, &w->d);
    w->raw_nr++;
    w->records++;
    return w->io_error ? -1 : 0;
}

uint64_t trace_writer_bytes(const trace_writer_t *w) { return w->bytes; }

int trace_writer_close(trace_writer_t *w, char *err, size_t errlen)
{
    flush_chunk(w);
    uint64_t index_at = w->bytes;
    size_t n = 8 + w->nr_chunks * INDEX_ENTRY;
    uint8_t *ix = malloc(n + 4);
    if (!ix) {
        w->io_error = 1;
    } else {
        put32(ix, INDEX_MAGIC);
        put32(ix + 4, (uint32_t)w->nr_chunks);
        for (size_t k = 0; k < w->nr_chunks; k++) {
            uint8_t *e = ix + 8 + k * INDEX_ENTRY;
            put64(e, w->chunks[k].offset);
            put64(e + 8, w->chunks[k].first);
            put32(e + 16, w->chunks[k].nr);
            put32(e + 20, 0);
        }
        put32(ix + n, crc(ix, n));
        if (fwrite(ix, 1, n + 4, w->f) != n + 4)
            w->io_error = 1;
        free(ix);
    }
    uint8_t t[TRAILER_BYTES];
    memcpy(t, TRAILER_MAGIC, 8);
    put64(t + 8, index_at);
    put64(t + 16, w->records);
    if (fwrite(t, 1, sizeof(t), w->f) != sizeof(t))
        w->io_error = 1;
    if (fclose(w->f) != 0)
        w->io_error = 1;
    int rc = 0;
    if (w->io_error) {
        snprintf(err, errlen, "trace %s: write error", w->path);
        rc = -1;
    }
    free(w->raw);
    free(w->zbuf);
    free(w->chunks);
    free(w->path);
    free(w);
    return rc;
}

/* ---- reader ------------------------------------------------------------------------------------- */

struct trace_reader {
    FILE *f;
    trace_info_t info;
    char *config;
    uint64_t data_start;
    chunk_ref_t *chunks;
    size_t nr_chunks;
    /* The loaded chunk. */
    size_t cur;           /* index of the loaded chunk, or SIZE_MAX */
    uint8_t *raw;
    uint8_t *zbuf;
    cursor_t c;
    uint32_t left;        /* records left in the loaded chunk */
    size_t next_chunk;    /* the chunk to load when this one is done */
    delta_t d;
    char err[256];
    char warn[256];
};

static int read_at(trace_reader_t *r, uint64_t off, void *buf, size_t n)
{
    if (off > r->info.file_bytes || n > r->info.file_bytes - off)
        return -1;
    if (fseeko(r->f, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, n, r->f) != n)
        return -1;
    return 0;
}

/* Validate the chunk header at off; 0 and its fields, or -1. */
static int chunk_header(trace_reader_t *r, uint64_t off, uint32_t *zlen, uint32_t *rawlen, uint32_t *nr, uint64_t *first,
                        uint32_t *zcrc)
{
    uint8_t h[CHUNK_HDR];
    if (read_at(r, off, h, sizeof(h)) < 0 || get32(h) != CHUNK_MAGIC || get32(h + 28) != crc(h, 28))
        return -1;
    *zlen = get32(h + 4);
    *rawlen = get32(h + 8);
    *nr = get32(h + 12);
    *first = get64(h + 16);
    *zcrc = get32(h + 24);
    if (*rawlen > CHUNK_RAW_MAX || *zlen > compressBound(CHUNK_RAW_MAX) || *nr == 0 || *nr > *rawlen ||
        off + CHUNK_HDR + *zlen > r->info.file_bytes)
        return -1;
    return 0;
}

static int add_chunk(trace_reader_t *r, size_t *cap, chunk_ref_t c)
{
    if (r->nr_chunks == *cap) {
        size_t n = *cap ? 2 * *cap : 64;
        chunk_ref_t *p = realloc(r->chunks, n * sizeof(*p));
        if (!p)
            return -1;
        r->chunks = p;
        *cap = n;
    }
    r->chunks[r->nr_chunks++] = c;
    return 0;
}

/* Load the index from the trailer; 0, or -1 when it is missing or bad (the caller scans). */
static int load_index(trace_reader_t *r)
{
    uint64_t size = r->info.file_bytes;
    uint8_t t[TRAILER_BYTES];
    if (size < r->data_start + TRAILER_BYTES || read_at(r, size - TRAILER_BYTES, t, sizeof(t)) < 0 ||
        memcmp(t, TRAILER_MAGIC, 8) != 0)
        return -1;
    uint64_t at = get64(t + 8), total = get64(t + 16);
    uint8_t h[8];
    if (at < r->data_start || read_at(r, at, h, 8) < 0 || get32(h) != INDEX_MAGIC)
        return -1;
    uint64_t count = get32(h + 4);
    if (at + 8 + count * INDEX_ENTRY + 4 != size - TRAILER_BYTES)
        return -1;
    size_t n = 8 + (size_t)count * INDEX_ENTRY;
    uint8_t *ix = malloc(n + 4);
    if (!ix || read_at(r, at, ix, n + 4) < 0 || get32(ix + n) != crc(ix, n)) {
        free(ix);
        return -1;
    }
    size_t cap = 0;
    uint64_t expect = 0;
    for (uint64_t k = 0; k < count; k++) {
        const uint8_t *e = ix + 8 + k * INDEX_ENTRY;
        chunk_ref_t c = {get64(e), get64(e + 8), get32(e + 16)};
        if (c.first != expect || c.offset < r->data_start || c.offset >= at || add_chunk(r, &cap, c) < 0) {
            free(ix);
            r->nr_chunks = 0;
            return -1;
        }
        expect += c.nr;
    }
    free(ix);
    if (expect != total) {
        r->nr_chunks = 0;
        return -1;
    }
    r->info.nr_records = total;
    r->info.complete = 1;
    return 0;
}

/* Scan the chunk headers from the start (a recording without an index). */
static int scan_chunks(trace_reader_t *r)
{
    size_t cap = 0;
    uint64_t off = r->data_start, expect = 0;
    r->nr_chunks = 0;
    for (;;) {
        uint32_t zlen, rawlen, nr, zcrc;
        uint64_t first;
        if (off >= r->info.file_bytes || chunk_header(r, off, &zlen, &rawlen, &nr, &first, &zcrc) < 0 || first != expect)
            break;
        if (add_chunk(r, &cap, (chunk_ref_t){off, first, nr}) < 0)
            return -1;
        expect += nr;
        off += CHUNK_HDR + zlen;
    }
    r->info.nr_records = expect;
    if (off < r->info.file_bytes)
        snprintf(r->warn, sizeof(r->warn),
                 "the recording was not closed (no index): %zu complete chunks, %llu records, up to byte %llu of %llu",
                 r->nr_chunks, (unsigned long long)expect, (unsigned long long)off,
                 (unsigned long long)r->info.file_bytes);
    else
        snprintf(r->warn, sizeof(r->warn), "the recording was not closed (no index): %zu complete chunks",
                 r->nr_chunks);
    return 0;
}

trace_reader_t *trace_reader_open(const char *path, char *err, size_t errlen)
{
    trace_reader_t *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    r->cur = SIZE_MAX;
    r->f = fopen(path, "rb");
    struct stat st;
    if (!r->f || fstat(fileno(r->f), &st) < 0) {
        snprintf(err, errlen, "trace %s: %s", path, strerror(errno));
        trace_reader_close(r);
        return NULL;
    }
    r->info.file_bytes = (uint64_t)st.st_size;
    uint8_t h[HEADER_FIXED];
    memset(h, 0, sizeof(h));
    size_t have = r->info.file_bytes < sizeof(h) ? (size_t)r->info.file_bytes : sizeof(h);
    if (read_at(r, 0, h, have) < 0 || (have >= 8 && memcmp(h, HDR_MAGIC, 8) != 0) ||
        (have < 8 && memcmp(h, HDR_MAGIC, have) != 0) || have == 0) {
        snprintf(err, errlen, "trace %s: not an emu trace (no EMUTRACE magic at offset 0)", path);
        trace_reader_close(r);
        return NULL;
    }
    if (have < sizeof(h)) {
        snprintf(err, errlen, "trace %s: truncated header (%llu bytes, at least %u expected)", path,
                 (unsigned long long)r->info.file_bytes, HEADER_FIXED);
        trace_reader_close(r);
        return NULL;
    }
    r->info.version = get32(h + 8);
    if (r->info.version != TRACE_VERSION) {
        snprintf(err, errlen, "trace %s: format version %u at offset 8; this emu reads version %d", path,
                 r->info.version, TRACE_VERSION);
        trace_reader_close(r);
        return NULL;
    }
    uint32_t hsize = get32(h + 12), clen = get32(h + 28);
    r->info.nr_cpus = get32(h + 16);
    r->info.paging_levels = get32(h + 20);
    r->info.flags = get32(h + 24);
    if (get32(h + 60) != crc(h, 60) || clen > CONFIG_MAX || hsize != HEADER_FIXED + clen || r->info.nr_cpus == 0 ||
        r->info.nr_cpus > TRACE_MAX_CPUS) {
        snprintf(err, errlen, "trace %s: corrupt header (offset 0-%u)", path, HEADER_FIXED - 1);
        trace_reader_close(r);
        return NULL;
    }
    r->config = malloc(clen + 1);
    if (!r->config || read_at(r, HEADER_FIXED, r->config, clen) < 0) {
        snprintf(err, errlen, "trace %s: truncated configuration text (offset %u, %u bytes)", path, HEADER_FIXED, clen);
        trace_reader_close(r);
        return NULL;
    }
    r->config[clen] = 0;
    r->info.config = r->config;
    r->data_start = HEADER_FIXED + clen;
    r->raw = malloc(CHUNK_RAW_MAX);
    r->zbuf = malloc(compressBound(CHUNK_RAW_MAX));
    if (!r->raw || !r->zbuf || (load_index(r) < 0 && scan_chunks(r) < 0)) {
        snprintf(err, errlen, "out of host memory");
        trace_reader_close(r);
        return NULL;
    }
    r->info.nr_chunks = r->nr_chunks;
    return r;
}

void trace_reader_close(trace_reader_t *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->config);
    free(r->chunks);
    free(r->raw);
    free(r->zbuf);
    free(r);
}

const trace_info_t *trace_reader_info(const trace_reader_t *r) { return &r->info; }
const char *trace_reader_error(const trace_reader_t *r) { return r->err; }
const char *trace_reader_warning(const trace_reader_t *r) { return r->warn[0] ? r->warn : NULL; }

/* Load chunk k (check its header and CRC, decompress). 0 or -1 with r->err. */
static int load_chunk(trace_reader_t *r, size_t k)
{
    const chunk_ref_t *c = &r->chunks[k];
    uint32_t zlen, rawlen, nr, zcrc;
    uint64_t first;
    if (chunk_header(r, c->offset, &zlen, &rawlen, &nr, &first, &zcrc) < 0 || first != c->first || nr != c->nr) {
        snprintf(r->err, sizeof(r->err), "corrupt chunk header at offset %llu", (unsigned long long)c->offset);
        return -1;
    }
    if (read_at(r, c->offset + CHUNK_HDR, r->zbuf, zlen) < 0 || crc(r->zbuf, zlen) != zcrc) {
        snprintf(r->err, sizeof(r->err), "corrupt chunk data at offset %llu (CRC mismatch)",
                 (unsigned long long)(c->offset + CHUNK_HDR));
        return -1;
    }
    uLongf out = rawlen;
    if (uncompress(r->raw, &out, r->zbuf, zlen) != Z_OK || out != rawlen) {
        snprintf(r->err, sizeof(r->err), "corrupt chunk data at offset %llu (zlib)",
                 (unsigned long long)(c->offset + CHUNK_HDR));
        return -1;
    }
    r->cur = k;
    r->c = (cursor_t){r->raw, r->raw + rawlen, 0};
    r->left = nr;
    r->next_chunk = k + 1;
    memset(&r->d, 0, sizeof(r->d));
    return 0;
}

int trace_read(trace_reader_t *r, trace_rec_t *out)
{
    while (r->cur == SIZE_MAX || r->left == 0) {
        size_t k = r->next_chunk;
        if (k >= r->nr_chunks)
            return 0;
        if (load_chunk(r, k) < 0)
            return -1;
    }
    const uint8_t *at = r->c.p;
    if (decode(&r->c, out, &r->d) < 0) {
        snprintf(r->err, sizeof(r->err), "corrupt record %llu in the chunk at offset %llu (byte %zu of its data)",
                 (unsigned long long)(r->chunks[r->cur].first + r->chunks[r->cur].nr - r->left),
                 (unsigned long long)r->chunks[r->cur].offset, (size_t)(at - r->raw));
        return -1;
    }
    r->left--;
    if (r->left == 0 && r->c.p != r->c.end) {
        snprintf(r->err, sizeof(r->err), "corrupt chunk at offset %llu: bytes after its last record",
                 (unsigned long long)r->chunks[r->cur].offset);
        return -1;
    }
    return 1;
}

int trace_seek(trace_reader_t *r, uint64_t n)
{
    if (n > r->info.nr_records) {
        snprintf(r->err, sizeof(r->err), "record %llu is beyond the end (%llu records)", (unsigned long long)n,
                 (unsigned long long)r->info.nr_records);
        return -1;
    }
    /* The last chunk whose first record is <= n. */
    size_t lo = 0, hi = r->nr_chunks;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (r->chunks[mid].first <= n)
            lo = mid;
        else
            hi = mid;
    }
    if (r->nr_chunks == 0 || n == r->info.nr_records) {
        r->cur = SIZE_MAX;
        r->next_chunk = r->nr_chunks;
        return 0;
    }
    if (load_chunk(r, lo) < 0)
        return -1;
    trace_rec_t tmp;
    for (uint64_t k = r->chunks[lo].first; k < n; k++)
        if (trace_read(r, &tmp) != 1)
            return -1;
    return 0;
}

int trace_count_types(trace_reader_t *r)
{
    memset(r->info.type_counts, 0, sizeof(r->info.type_counts));
    if (trace_seek(r, 0) < 0)
        return -1;
    trace_rec_t rec;
    int rc;
    while ((rc = trace_read(r, &rec)) == 1)
        r->info.type_counts[rec.type]++;
    return rc;
}

const char *trace_type_name(int type)
{
    static const char *const names[TRACE_NR_TYPES] = {
        [TRACE_FETCH] = "fetch", [TRACE_LOAD] = "load",   [TRACE_STORE] = "store",   [TRACE_WALK] = "walk",
        [TRACE_PT_STORE] = "pt_store", [TRACE_CR3] = "cr3", [TRACE_INVLPG] = "invlpg", [TRACE_FLUSH] = "flush",
        [TRACE_FAULT] = "fault", [TRACE_ANNOT] = "annot", [TRACE_MARKER] = "marker", [TRACE_CODE] = "code",
    };
    return type > 0 && type < TRACE_NR_TYPES ? names[type] : "?";
}
