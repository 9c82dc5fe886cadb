/* convert: traces from other tools into emu's format, and emu traces out to the formats of memory
 * simulators (docs/TRACE.md, "Import and export"). Formats as ../shared/reference/README.md records
 * them: valgrind lackey --trace-mem=yes ("I  04222cac,3", " L 1ffefffd70,8", " S ...", " M ..."),
 * DRAMsim3 ("0x1234 READ 100") and Ramulator v1 ("0x1234 R").
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace.h"

/* Parse "HEX,DEC" at p; 0 or -1. */
static int parse_addr_size(const char *p, uint64_t *addr, uint64_t *size)
{
    char *end;
    if (!isxdigit((unsigned char)*p))
        return -1;
    *addr = strtoull(p, &end, 16);
    if (*end != ',' || !isdigit((unsigned char)end[1]))
        return -1;
    *size = strtoull(end + 1, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    return *end == 0 && *size > 0 && *size <= 4096 ? 0 : -1;
}

int64_t trace_import_lackey(FILE *in, trace_writer_t *w, char *err, size_t errlen)
{
    char line[512];
    uint64_t lineno = 0;
    int64_t n = 0;
    while (fgets(line, sizeof(line), in)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(in)) {
            snprintf(err, errlen, "line %" PRIu64 ": longer than %zu bytes", lineno, sizeof(line) - 2);
            return -1;
        }
        line[strcspn(line, "\r\n")] = 0; /* quoted in messages without its end of line */
        if (strncmp(line, "==", 2) == 0 || line[0] == 0)
            continue;
        const char *p;
        int kind;
        if (strncmp(line, "I  ", 3) == 0) {
            kind = 'I';
            p = line + 3;
        } else if (line[0] == ' ' && (line[1] == 'L' || line[1] == 'S' || line[1] == 'M') && line[2] == ' ') {
            kind = line[1];
            p = line + 3;
        } else {
            snprintf(err, errlen, "line %" PRIu64 ": not a lackey --trace-mem line: '%.60s'", lineno, line);
            return -1;
        }
        uint64_t addr, size;
        if (parse_addr_size(p, &addr, &size) < 0) {
            snprintf(err, errlen, "line %" PRIu64 ": expected ADDRESS,SIZE: '%.60s'", lineno, line);
            return -1;
        }
        trace_rec_t r;
        memset(&r, 0, sizeof(r));
        r.va = r.pa = addr;
        r.size = (uint8_t)(size > 255 ? 255 : size);
        r.page_shift = 12;
        r.type = kind == 'I' ? TRACE_FETCH : kind == 'S' ? TRACE_STORE : TRACE_LOAD;
        if (trace_write(w, &r) < 0)
            goto io;
        n++;
        if (kind == 'M') {
            r.type = TRACE_STORE;
            if (trace_write(w, &r) < 0)
                goto io;
            n++;
        }
    }
    if (ferror(in)) {
        snprintf(err, errlen, "read error after line %" PRIu64, lineno);
        return -1;
    }
    return n;
io:
    snprintf(err, errlen, "write error");
    return -1;
}

int64_t trace_export_mc(trace_reader_t *r, FILE *out, enum trace_export kind)
{
    if (trace_seek(r, 0) < 0)
        return -1;
    trace_rec_t rec;
    int rc;
    int64_t n = 0;
    uint64_t cycle = 0;
    while ((rc = trace_read(r, &rec)) == 1) {
        if (rec.type != TRACE_FETCH && rec.type != TRACE_LOAD && rec.type != TRACE_STORE)
            continue;
        cycle += rec.gap + 1;
        int wr = rec.type == TRACE_STORE;
        if (kind == TRACE_EXPORT_DRAMSIM3)
            fprintf(out, "0x%" PRIx64 " %s %" PRIu64 "\n", rec.pa, wr ? "WRITE" : "READ", cycle);
        else
            fprintf(out, "0x%" PRIx64 " %s\n", rec.pa, wr ? "W" : "R");
        n++;
    }
    return rc < 0 ? -1 : n;
}
