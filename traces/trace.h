/* traces: the trace file format of emu (docs/TRACE.md): a versioned binary file of records (memory
 * accesses with their translations, page-walk paths, page-table stores, CR3 writes, invalidations,
 * faults, mm annotations, markers, instruction bytes), zlib-compressed in independent chunks with an
 * index so a reader can seek. This module knows the format and nothing of the machine: the emulator
 * turns its events into records (recording) and records into model inputs (replay).
 *
 * Robustness: a reader never trusts the file. A truncated, corrupt or wrong-version trace gives an
 * error message naming the byte offset; a recording that was killed (no index at the end) stays
 * readable up to its last complete chunk.
 */
#ifndef TRACES_TRACE_H
#define TRACES_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_VERSION 1
#define TRACE_MAX_CPUS 256
#define TRACE_MAX_LEVELS 5
#define TRACE_CODE_MAX 15

/* Record types. */
enum trace_type {
    TRACE_FETCH = 1,    /* instruction fetch: cpu, va, pa, size, page_shift, pcid, gap */
    TRACE_LOAD = 2,     /* data load: the same fields */
    TRACE_STORE = 3,    /* data store: the same fields */
    TRACE_WALK = 4,     /* a page walk: cpu, va, pcid, page_shift, levels, walk[] = the physical
                           address of the entry read at each level, root first, and wval[] its
                           value before the walk (replay writes it back); pa = the physical
                           page it found, aux = the leaf's flags (bits 11:0, NX as bit 63 >> 51 =
                           bit 12) or TRACE_WALK_FAULT for a walk that faulted */
    TRACE_PT_STORE = 5, /* a store to a paging structure: cpu, pa, value (the new entry) */
    TRACE_CR3 = 6,      /* CR3 written: cpu, value */
    TRACE_INVLPG = 7,   /* one page invalidated: cpu, va, pcid */
    TRACE_FLUSH = 8,    /* TLB flush: cpu, aux (enum trace_flush), pcid */
    TRACE_FAULT = 9,    /* exception: cpu, aux = vector, value = error code, va = CR2 for #PF */
    TRACE_ANNOT = 10,   /* mm annotation: va = pfn, aux = nr_pages, aux2 = state | aux << 16, value = owner */
    TRACE_MARKER = 11,  /* marker: cpu, value = code (ROI begin 1, end 2, or a guest's marker) */
    TRACE_CODE = 12,    /* instruction bytes: cpu, va, size = n, code[0..n) */
    TRACE_NR_TYPES
};

enum trace_flush { TRACE_FLUSH_ALL = 0, TRACE_FLUSH_NONGLOBAL = 1, TRACE_FLUSH_PCID = 2 };

/* Access records (fetch, load, store) of a recording: aux bits. */
#define TRACE_ACC_CACHE 1u   /* a cache access only (pa, size): the translation was its own record */
#define TRACE_ACC_XLATE 2u   /* a translation only (va, pa, page size): one TLB lookup, no cache access */
/* value of an access record: instructions retired by the CPU since its previous record. */
#define TRACE_WALK_FAULT 0x80000000u /* TRACE_WALK aux: the walk ended in a page fault */
#define TRACE_MARKER_END 3           /* TRACE_MARKER value: the end of a CPU's stream (pa = the
                                        instructions it retired after its last record) */

/* One record; fields a type does not use are 0. */
typedef struct trace_rec {
    uint8_t type;
    uint8_t size;         /* access size in bytes (1..64), or the number of code bytes */
    uint8_t page_shift;   /* 12, 21 or 30 */
    uint8_t levels;       /* TRACE_WALK: entries in walk[] */
    uint16_t cpu;
    uint16_t pcid;
    uint32_t aux, aux2;
    uint64_t va, pa;
    uint64_t gap;         /* cycles the CPU spent computing since its previous access */
    uint64_t value;
    uint64_t walk[TRACE_MAX_LEVELS];
    uint64_t wval[TRACE_MAX_LEVELS]; /* TRACE_WALK: each entry's value before the walk */
    uint8_t code[TRACE_CODE_MAX];
} trace_rec_t;

/* What the file says about the run that made it. */
typedef struct trace_info {
    uint32_t version;
    uint32_t nr_cpus;
    uint32_t paging_levels;
    uint32_t flags;
    const char *config;   /* the configuration of the recording, INI text (NUL-terminated) */
    uint64_t nr_records;  /* records in the readable chunks */
    uint64_t nr_chunks;
    uint64_t file_bytes;
    int complete;         /* the file ends with its index (the recording was closed) */
    uint64_t type_counts[TRACE_NR_TYPES]; /* filled by trace_count_types() */
} trace_info_t;

typedef struct trace_writer trace_writer_t;
typedef struct trace_reader trace_reader_t;

/* Header flags. */
#define TRACE_FLAG_VIRTUAL 1u /* physical addresses are unknown (an imported trace): pa = va, and a
                                 replay maps pages to frames itself */

/* Create path and write the header. NULL with a message in err. */
trace_writer_t *trace_writer_new(const char *path, uint32_t nr_cpus, uint32_t paging_levels, uint32_t flags,
                                 const char *config, char *err, size_t errlen);
/* Append one record (buffered; a chunk is compressed and written when full). 0, or -1 on an I/O
 * error (reported by trace_writer_close). */
int trace_write(trace_writer_t *w, const trace_rec_t *r);
/* Flush the last chunk, write the index and the trailer, close. Returns 0, or -1 with err. Frees w. */
int trace_writer_close(trace_writer_t *w, char *err, size_t errlen);
/* Bytes written so far (compressed chunks and header). */
uint64_t trace_writer_bytes(const trace_writer_t *w);

/* Open a trace: header, then the index (or, for a killed recording, a scan of the complete chunks).
 * NULL with a message in err (not a trace, wrong version, truncated header...). */
trace_reader_t *trace_reader_open(const char *path, char *err, size_t errlen);
void trace_reader_close(trace_reader_t *r);
const trace_info_t *trace_reader_info(const trace_reader_t *r);
/* The next record: 1, 0 at the end, -1 on a corrupt chunk (message in trace_reader_error). */
int trace_read(trace_reader_t *r, trace_rec_t *out);
/* Position the reader at record number n (0-based): 0, or -1 (beyond the end, corrupt). */
int trace_seek(trace_reader_t *r, uint64_t n);
const char *trace_reader_error(const trace_reader_t *r);
/* A message about the file's state worth telling the user (a killed recording), or NULL. */
const char *trace_reader_warning(const trace_reader_t *r);
/* Read every record once to fill info.type_counts (and check every chunk): 0 or -1. */
int trace_count_types(trace_reader_t *r);

/* The name of a record type ("load", "walk"...), or "?". */
const char *trace_type_name(int type);

/* ---- importers and exporters (traces/convert.c) ----------------------------------------------- */

/* Read valgrind lackey --trace-mem=yes output (valgrind's "==PID==" lines are skipped) and append its
 * accesses to w as CPU 0 fetches, loads and stores ("M" = a load then a store) with pa = va (the
 * writer should have TRACE_FLAG_VIRTUAL). Returns the number of accesses, or -1 with a message
 * naming the line. */
int64_t trace_import_lackey(FILE *in, trace_writer_t *w, char *err, size_t errlen);

/* Write the accesses of r as a memory-controller trace: DRAMsim3 ("0xPA READ|WRITE CYCLE", the
 * cycle counting every access and its gap) or Ramulator ("0xPA R|W"). Returns the number of lines,
 * or -1 (a corrupt trace: trace_reader_error) . */
enum trace_export { TRACE_EXPORT_DRAMSIM3, TRACE_EXPORT_RAMULATOR };
int64_t trace_export_mc(trace_reader_t *r, FILE *out, enum trace_export kind);

/* ChampSim instruction traces (traces/champsim.c), raw, .gz or .xz by the file's suffix. Import:
 * each instruction becomes a fetch, its loads and its stores (CPU 0, pa = va); returns the records
 * written, or -1 with a message. Export: CPU 0's fetches and the accesses after each as ChampSim
 * records (taken branches inferred from the next fetch); returns the instructions, or -1. */
int64_t trace_import_champsim(const char *path, trace_writer_t *w, char *err, size_t errlen);
int64_t trace_export_champsim(trace_reader_t *r, const char *path, char *err, size_t errlen);

#endif
