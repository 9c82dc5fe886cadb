/* traces/: the trace file format. Round trips of every record type across many chunks, seeking,
 * recordings cut short (killed) and corrupted (CRC, index, header, version), and a corruption loop
 * that must never crash (run under ASan by make test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traces/trace.h"

static uint64_t seed = 0x12345678abcdefull;
static uint64_t rnd(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545f4914f6cdd1dull;
}

/* A record of a random type with only the fields its type keeps. */
static void random_rec(trace_rec_t *r, uint64_t *va, uint64_t *pa)
{
    memset(r, 0, sizeof(*r));
    r->type = (uint8_t)(1 + rnd() % (TRACE_NR_TYPES - 1));
    r->cpu = (uint16_t)(rnd() % 8);
    switch (r->type) {
    case TRACE_FETCH:
    case TRACE_LOAD:
    case TRACE_STORE:
        /* Mostly nearby addresses, sometimes far ones (negative deltas too). */
        *va = rnd() % 4 ? *va + rnd() % 256 - 64 : rnd();
        *pa = rnd() % 4 ? *pa + rnd() % 256 - 64 : rnd() >> 20;
        r->va = *va;
        r->pa = *pa;
        r->size = (uint8_t)(1u << (rnd() % 7));
        r->page_shift = (uint8_t)(rnd() % 3 == 0 ? 21 : rnd() % 5 == 0 ? 30 : 12);
        r->pcid = (uint16_t)(rnd() % 3 ? 0 : rnd() % 4096);
        r->gap = rnd() % 4 ? rnd() % 10 : rnd();
        r->aux = (uint32_t)(rnd() % 3 ? 0 : rnd() % 4);
        r->value = rnd() % 2 ? 0 : rnd() % 1000;
        break;
    case TRACE_WALK:
        r->va = rnd() & ~0xfffull;
        r->pcid = (uint16_t)(rnd() % 4096);
        r->page_shift = (uint8_t)(rnd() % 2 ? 12 : 21);
        r->levels = (uint8_t)(1 + rnd() % TRACE_MAX_LEVELS);
        for (int k = 0; k < r->levels; k++) {
            r->walk[k] = rnd() >> 16;
            r->wval[k] = rnd();
        }
        r->pa = rnd() >> 20 << 12;
        r->aux = (uint32_t)rnd();
        break;
    case TRACE_CODE:
        r->va = rnd();
        r->size = (uint8_t)(rnd() % (TRACE_CODE_MAX + 1));
        for (int k = 0; k < r->size; k++)
            r->code[k] = (uint8_t)rnd();
        break;
    default:
        r->va = rnd();
        r->pa = rnd() >> (rnd() % 64);
        r->value = rnd();
        r->aux = (uint32_t)rnd();
        r->aux2 = (uint32_t)rnd();
        r->pcid = (uint16_t)(rnd() % 4096);
        break;
    }
}

static char *tmp_path(const char *tag)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "/tmp/emu-test-trace-%d-%s", (int)getpid(), tag);
    return buf[k];
}

#define N_RECS 150000
static trace_rec_t *recs;

/* Write N_RECS random records to path; returns the file size. */
static long write_trace(const char *path)
{
    char err[256];
    trace_writer_t *w = trace_writer_new(path, 8, 5, 0, "[machine]\nsockets = 2\n", err, sizeof(err));
    assert_non_null(w);
    for (int i = 0; i < N_RECS; i++)
        assert_int_equal(trace_write(w, &recs[i]), 0);
    assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static int setup(void **state)
{
    (void)state;
    recs = calloc(N_RECS, sizeof(*recs));
    uint64_t va = 0x400000, pa = 0x100000;
    for (int i = 0; i < N_RECS; i++)
        random_rec(&recs[i], &va, &pa);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(recs);
    return 0;
}

static void assert_same(const trace_rec_t *a, const trace_rec_t *b, uint64_t i)
{
    if (memcmp(a, b, sizeof(*a)) != 0)
        fail_msg("record %llu differs (type %d vs %d, va %llx vs %llx)", (unsigned long long)i, a->type, b->type,
                 (unsigned long long)a->va, (unsigned long long)b->va);
}

static void round_trip(void **state)
{
    (void)state;
    const char *p = tmp_path("rt");
    write_trace(p);
    char err[256];
    trace_reader_t *r = trace_reader_open(p, err, sizeof(err));
    assert_non_null(r);
    const trace_info_t *in = trace_reader_info(r);
    assert_int_equal(in->nr_records, N_RECS);
    assert_true(in->complete);
    assert_true(in->nr_chunks > 3);
    assert_int_equal(in->nr_cpus, 8);
    assert_int_equal(in->paging_levels, 5);
    assert_string_equal(in->config, "[machine]\nsockets = 2\n");
    assert_null(trace_reader_warning(r));
    trace_rec_t got;
    for (uint64_t i = 0; i < N_RECS; i++) {
        assert_int_equal(trace_read(r, &got), 1);
        assert_same(&got, &recs[i], i);
    }
    assert_int_equal(trace_read(r, &got), 0);
    assert_int_equal(trace_count_types(r), 0);
    uint64_t total = 0;
    for (int t = 0; t < TRACE_NR_TYPES; t++)
        total += in->type_counts[t];
    assert_int_equal(total, N_RECS);
    trace_reader_close(r);
    unlink(p);
}

static void seeking(void **state)
{
    (void)state;
    const char *p = tmp_path("seek");
    write_trace(p);
    char err[256];
    trace_reader_t *r = trace_reader_open(p, err, sizeof(err));
    assert_non_null(r);
    trace_rec_t got;
    for (int k = 0; k < 200; k++) {
        uint64_t n = rnd() % N_RECS;
        assert_int_equal(trace_seek(r, n), 0);
        assert_int_equal(trace_read(r, &got), 1);
        assert_same(&got, &recs[n], n);
        if (n + 1 < N_RECS) {
            assert_int_equal(trace_read(r, &got), 1);
            assert_same(&got, &recs[n + 1], n + 1);
        }
    }
    assert_int_equal(trace_seek(r, N_RECS), 0);
    assert_int_equal(trace_read(r, &got), 0);
    assert_int_equal(trace_seek(r, N_RECS + 1), -1);
    trace_reader_close(r);
    unlink(p);
}

/* A recording killed at any point stays readable up to its last complete chunk. */
static void killed_recording(void **state)
{
    (void)state;
    const char *p = tmp_path("full"), *cut = tmp_path("cut");
    long size = write_trace(p);
    FILE *f = fopen(p, "rb");
    char *img = malloc((size_t)size);
    assert_int_equal(fread(img, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    char err[256];
    uint64_t last = 0;
    for (int k = 1; k <= 40; k++) {
        long at = 100 + (size - 200) * k / 41;
        f = fopen(cut, "wb");
        fwrite(img, 1, (size_t)at, f);
        fclose(f);
        trace_reader_t *r = trace_reader_open(cut, err, sizeof(err));
        assert_non_null(r);
        const trace_info_t *in = trace_reader_info(r);
        assert_false(in->complete);
        assert_non_null(trace_reader_warning(r));
        assert_true(in->nr_records < N_RECS);
        assert_true(in->nr_records >= last); /* a longer file never holds fewer records */
        last = in->nr_records;
        trace_rec_t got;
        uint64_t i = 0;
        int rc;
        while ((rc = trace_read(r, &got)) == 1) {
            assert_same(&got, &recs[i], i);
            i++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(i, in->nr_records);
        trace_reader_close(r);
    }
    assert_true(last > 0);
    /* Cut inside the header. */
    f = fopen(cut, "wb");
    fwrite(img, 1, 40, f);
    fclose(f);
    assert_null(trace_reader_open(cut, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated header"));
    free(img);
    unlink(p);
    unlink(cut);
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void patch(const char *p, long at, uint8_t x)
{
    FILE *f = fopen(p, "r+b");
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc((c ^ x) & 0xff, f);
    fclose(f);
}

static void corrupt_files(void **state)
{
    (void)state;
    const char *p = tmp_path("bad");
    char err[256];
    /* A data byte of the first chunk: the CRC catches it, naming the offset. */
    write_trace(p);
    long hdr = 64 + (long)strlen("[machine]\nsockets = 2\n");
    patch(p, hdr + 32 + 10, 0x40);
    trace_reader_t *r = trace_reader_open(p, err, sizeof(err));
    assert_non_null(r);
    trace_rec_t got;
    assert_int_equal(trace_read(r, &got), -1);
    assert_non_null(strstr(trace_reader_error(r), "CRC mismatch"));
    assert_non_null(strstr(trace_reader_error(r), "offset"));
    trace_reader_close(r);
    /* The index: the reader falls back to scanning the chunks and reads everything. */
    write_trace(p);
    patch(p, file_size(p) - 24 - 8, 0x01);
    r = trace_reader_open(p, err, sizeof(err));
    assert_non_null(r);
    assert_false(trace_reader_info(r)->complete);
    assert_int_equal(trace_reader_info(r)->nr_records, N_RECS);
    trace_reader_close(r);
    /* The version. */
    write_trace(p);
    patch(p, 8, 0x02);
    assert_null(trace_reader_open(p, err, sizeof(err)));
    assert_non_null(strstr(err, "format version 3"));
    /* Not a trace at all. */
    FILE *f = fopen(p, "wb");
    fputs("this is not a trace, but it is long enough to have a header of sixty-four bytes.......", f);
    fclose(f);
    assert_null(trace_reader_open(p, err, sizeof(err)));
    assert_non_null(strstr(err, "not an emu trace"));
    /* A header field. */
    write_trace(p);
    patch(p, 16, 0x10);
    assert_null(trace_reader_open(p, err, sizeof(err)));
    assert_non_null(strstr(err, "corrupt header"));
    unlink(p);
}

/* Random damage anywhere in a small trace: open and read everything; never a crash. */
static void corruption_loop(void **state)
{
    (void)state;
    const char *p = tmp_path("fuzz");
    char err[256];
    trace_writer_t *w = trace_writer_new(p, 4, 4, 0, "x", err, sizeof(err));
    for (int i = 0; i < 3000; i++)
        trace_write(w, &recs[i]);
    trace_writer_close(w, err, sizeof(err));
    long size = file_size(p);
    FILE *f = fopen(p, "rb");
    uint8_t *img = malloc((size_t)size), *copy = malloc((size_t)size);
    assert_int_equal(fread(img, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    const char *q = tmp_path("fuzz2");
    int opened = 0, errors = 0;
    for (int k = 0; k < 400; k++) {
        memcpy(copy, img, (size_t)size);
        int flips = 1 + (int)(rnd() % 4);
        for (int j = 0; j < flips; j++)
            copy[rnd() % (uint64_t)size] ^= (uint8_t)(1 + rnd() % 255);
        long len = rnd() % 4 ? size : (long)(rnd() % (uint64_t)size);
        f = fopen(q, "wb");
        fwrite(copy, 1, (size_t)len, f);
        fclose(f);
        trace_reader_t *r = trace_reader_open(q, err, sizeof(err));
        if (!r)
            continue;
        opened++;
        trace_rec_t got;
        int rc;
        while ((rc = trace_read(r, &got)) == 1)
            assert_true(got.type > 0 && got.type < TRACE_NR_TYPES);
        if (rc < 0)
            errors++;
        trace_seek(r, rnd() % 4000);
        trace_reader_close(r);
    }
    assert_true(opened > 0 && errors > 0);
    free(img);
    free(copy);
    unlink(p);
    unlink(q);
}

/* The size of a typical stream: a loop of loads and stores over an array with page walks now and
 * then. docs/TRACE.md quotes the figure printed here. */
static void size_per_million(void **state)
{
    (void)state;
    const char *p = tmp_path("size");
    char err[256];
    trace_writer_t *w = trace_writer_new(p, 1, 4, 0, "", err, sizeof(err));
    trace_rec_t r;
    uint64_t va = 0x7f0000000000ull, pa = 0x12345000;
    for (int i = 0; i < 1000000; i++) {
        memset(&r, 0, sizeof(r));
        if (i % 512 == 0) {
            r.type = TRACE_WALK;
            r.va = va & ~0xfffull;
            r.levels = 4;
            r.page_shift = 12;
            for (int k = 0; k < 4; k++)
                r.walk[k] = 0x1000000 + (uint64_t)k * 4096 + (uint64_t)(i / 512 % 512) * 8;
            trace_write(w, &r);
        }
        r.type = i % 3 == 2 ? TRACE_STORE : TRACE_LOAD;
        r.va = va;
        r.pa = pa;
        r.size = 8;
        r.page_shift = 12;
        r.gap = (uint64_t)(i % 7);
        trace_write(w, &r);
        va += 8;
        pa += 8;
    }
    assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
    long size = file_size(p);
    print_message("trace size: %.2f MB per million accesses (a strided loop of loads and stores)\n",
                  (double)size / 1e6);
    assert_true(size < 3000000); /* a few bytes per access at most */
    unlink(p);
}

/* ChampSim out and back in, raw, gzip and xz: the same instructions, loads and stores; taken
 * branches marked; a truncated file is an error. */
static void champsim_round_trip(void **state)
{
    (void)state;
    char src[300], back[300], csbase[300];
    snprintf(src, sizeof(src), "%s", tmp_path("cs-src"));
    snprintf(back, sizeof(back), "%s", tmp_path("cs-back"));
    snprintf(csbase, sizeof(csbase), "%s", tmp_path("cs"));
    char err[256];
    trace_writer_t *w = trace_writer_new(src, 1, 4, TRACE_FLAG_VIRTUAL, "", err, sizeof(err));
    assert_non_null(w);
    uint64_t ip = 0x401000;
    trace_rec_t r;
    enum { N = 5000 };
    for (int i = 0; i < N; i++) {
        memset(&r, 0, sizeof(r));
        r.type = TRACE_FETCH;
        r.va = r.pa = ip;
        r.size = (uint8_t)(1 + i % 7);
        trace_write(w, &r);
        for (int k = 0; k < i % 3; k++) {
            r.type = TRACE_LOAD;
            r.va = r.pa = 0x7ff000 + (uint64_t)i * 8 + (uint64_t)k;
            r.size = 8;
            trace_write(w, &r);
        }
        if (i % 4 == 0) {
            r.type = TRACE_STORE;
            r.va = r.pa = 0x900000 + (uint64_t)i;
            trace_write(w, &r);
        }
        ip = i % 10 == 9 ? 0x401000 + (uint64_t)(i * 37 % 4096) : ip + (uint64_t)(1 + i % 7);
    }
    assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
    static const char *const suffixes[] = {"", ".gz", ".xz"};
    for (int k = 0; k < 3; k++) {
        char cs[300];
        snprintf(cs, sizeof(cs), "%s%s", csbase, suffixes[k]);
        trace_reader_t *rd = trace_reader_open(src, err, sizeof(err));
        assert_non_null(rd);
        assert_int_equal(trace_export_champsim(rd, cs, err, sizeof(err)), N);
        trace_reader_close(rd);
        w = trace_writer_new(back, 1, 4, TRACE_FLAG_VIRTUAL, "", err, sizeof(err));
        int64_t n = trace_import_champsim(cs, w, err, sizeof(err));
        assert_int_equal(trace_writer_close(w, err, sizeof(err)), 0);
        assert_true(n > N);
        /* Same fetch addresses, loads and stores in the same order (sizes are ChampSim's). */
        trace_reader_t *a = trace_reader_open(src, err, sizeof(err)), *b = trace_reader_open(back, err, sizeof(err));
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(trace_reader_info(a)->nr_records, (uint64_t)n);
        trace_rec_t x, y;
        while (trace_read(a, &x) == 1) {
            assert_int_equal(trace_read(b, &y), 1);
            assert_int_equal(x.type, y.type);
            assert_int_equal(x.va, y.va);
        }
        trace_reader_close(a);
        trace_reader_close(b);
        if (k == 0) {
            /* Taken branches: every tenth instruction jumps. */
            FILE *f = fopen(cs, "rb");
            unsigned char rec[64];
            int taken = 0;
            while (fread(rec, 1, 64, f) == 64)
                taken += rec[8] && rec[9] && rec[10] == 26;
            fclose(f);
            assert_true(taken >= N / 10 - 1 && taken <= N / 10 + 1);
            /* A truncated record. */
            f = fopen(cs, "r+b");
            assert_int_equal(ftruncate(fileno(f), 64 * 10 + 13), 0);
            fclose(f);
            w = trace_writer_new(back, 1, 4, TRACE_FLAG_VIRTUAL, "", err, sizeof(err));
            assert_int_equal(trace_import_champsim(cs, w, err, sizeof(err)), -1);
            assert_non_null(strstr(err, "after instruction 10"));
            trace_writer_close(w, err, sizeof(err));
        }
        unlink(cs);
    }
    unlink(src);
    unlink(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),       cmocka_unit_test(seeking),         cmocka_unit_test(killed_recording),
        cmocka_unit_test(corrupt_files),    cmocka_unit_test(corruption_loop), cmocka_unit_test(size_per_million),
        cmocka_unit_test(champsim_round_trip),
    };
    return cmocka_run_group_tests_name("trace", tests, setup, teardown);
}
