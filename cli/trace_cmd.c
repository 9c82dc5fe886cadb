/* `emu trace info|dump|convert`: look into trace files and convert them (docs/TRACE.md). */
#define _GNU_SOURCE
#include "cli/trace_cmd.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "traces/trace.h"

static void usage_trace(FILE *f)
{
    fprintf(f,
            "usage: emu trace info FILE\n"
            "       emu trace dump [--from=N] [--count=N] FILE\n"
            "       emu trace convert --from=emu|lackey|champsim --to=emu|champsim|dramsim3|ramulator IN OUT\n"
            "\n"
            "info     the header (CPUs, paging, the recording's configuration), chunks, records by type\n"
            "dump     one line per record, from record N (default 0), COUNT records (default all);\n"
            "         instruction bytes are disassembled with capstone\n"
            "convert  lackey: valgrind --tool=lackey --trace-mem=yes output (its log) into an emu trace\n"
            "         with virtual addresses only; champsim: ChampSim's 64-byte instruction records (raw,\n"
            "         .gz or .xz by the suffix), in or out; dramsim3 / ramulator: an emu trace's accesses\n"
            "         as a memory-controller trace (\"0xADDR READ CYCLE\" / \"0xADDR R\")\n"
            "\n"
            "A truncated, corrupt or wrong-version trace gives one emu: line with the offset and exit\n"
            "status 125; a recording that was killed is read up to its last complete chunk.\n");
}

static trace_reader_t *open_trace(const char *path)
{
    char err[512];
    trace_reader_t *r = trace_reader_open(path, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "emu: %s\n", err);
        return NULL;
    }
    if (trace_reader_warning(r))
        fprintf(stderr, "emu: trace %s: %s\n", path, trace_reader_warning(r));
    return r;
}

static int trace_info_cmd(const char *path)
{
    trace_reader_t *r = open_trace(path);
    if (!r)
        return EMU_EXIT_ERROR;
    if (trace_count_types(r) < 0) {
        fprintf(stderr, "emu: trace %s: %s\n", path, trace_reader_error(r));
        trace_reader_close(r);
        return EMU_EXIT_ERROR;
    }
    const trace_info_t *in = trace_reader_info(r);
    printf("file:          %s (%" PRIu64 " bytes)\n", path, in->file_bytes);
    printf("version:       %u%s\n", in->version, in->complete ? "" : " (not closed: read up to its last complete chunk)");
    printf("cpus:          %u\n", in->nr_cpus);
    printf("paging levels: %u\n", in->paging_levels);
    printf("addresses:     %s\n", in->flags & TRACE_FLAG_VIRTUAL ? "virtual only (imported)" : "virtual and physical");
    printf("chunks:        %" PRIu64 "\n", in->nr_chunks);
    printf("records:       %" PRIu64 "\n", in->nr_records);
    uint64_t acc = in->type_counts[TRACE_FETCH] + in->type_counts[TRACE_LOAD] + in->type_counts[TRACE_STORE];
    if (acc)
        printf("size:          %.2f MB per million accesses\n", (double)in->file_bytes / (double)acc);
    for (int t = 1; t < TRACE_NR_TYPES; t++)
        if (in->type_counts[t])
            printf("  %-10s %" PRIu64 "\n", trace_type_name(t), in->type_counts[t]);
    if (in->config && *in->config) {
        printf("configuration:\n");
        fputs(in->config, stdout);
        if (in->config[strlen(in->config) - 1] != '\n')
            putchar('\n');
    }
    trace_reader_close(r);
    return 0;
}

static void dump_rec(const trace_rec_t *x, uint64_t n, csh cs, int have_cs)
{
    printf("%10" PRIu64 " cpu%-2u %-8s", n, x->cpu, trace_type_name(x->type));
    switch (x->type) {
    case TRACE_FETCH:
    case TRACE_LOAD:
    case TRACE_STORE:
        printf(" va %016" PRIx64 " pa %012" PRIx64 " size %u page %s", x->va, x->pa, x->size,
               x->page_shift == 30 ? "1G" : x->page_shift == 21 ? "2M" : "4K");
        if (x->pcid)
            printf(" pcid %u", x->pcid);
        if (x->gap)
            printf(" gap %" PRIu64, x->gap);
        break;
    case TRACE_WALK:
        printf(" va %016" PRIx64 " pcid %u page %s path", x->va, x->pcid,
               x->page_shift == 30 ? "1G" : x->page_shift == 21 ? "2M" : "4K");
        for (int k = 0; k < x->levels; k++)
            printf(" %" PRIx64, x->walk[k]);
        break;
    case TRACE_PT_STORE: printf(" pa %012" PRIx64 " value %016" PRIx64, x->pa, x->value); break;
    case TRACE_CR3: printf(" %016" PRIx64, x->value); break;
    case TRACE_INVLPG: printf(" va %016" PRIx64 " pcid %u", x->va, x->pcid); break;
    case TRACE_FLUSH:
        printf(" %s", x->aux == TRACE_FLUSH_PCID ? "pcid" : x->aux == TRACE_FLUSH_NONGLOBAL ? "non-global" : "all");
        if (x->aux == TRACE_FLUSH_PCID)
            printf(" %u", x->pcid);
        break;
    case TRACE_FAULT: printf(" vector %u error %" PRIx64 " va %016" PRIx64, x->aux, x->value, x->va); break;
    case TRACE_ANNOT:
        printf(" pfn %" PRIx64 " frames %u state %u aux %u owner %" PRIu64, x->va, x->aux, x->aux2 & 0xffff,
               x->aux2 >> 16, x->value);
        break;
    case TRACE_MARKER: printf(" code %" PRIu64, x->value); break;
    case TRACE_CODE: {
        printf(" va %016" PRIx64 " ", x->va);
        cs_insn *insn;
        size_t cnt = have_cs && x->size ? cs_disasm(cs, x->code, x->size, x->va, 1, &insn) : 0;
        if (cnt) {
            printf(" %s %s", insn[0].mnemonic, insn[0].op_str);
            cs_free(insn, cnt);
        } else {
            for (int k = 0; k < x->size; k++)
                printf(" %02x", x->code[k]);
        }
        break;
    }
    default: break;
    }
    putchar('\n');
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (*s == '-')
        return -1;
    *v = strtoull(s, &end, 0);
    return end == s || *end || errno ? -1 : 0;
}

static int trace_dump_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'}, {"count", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    uint64_t from = 0, count = UINT64_MAX;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'f' && parse_u64(optarg, &from) == 0)
            continue;
        if (opt == 'c' && parse_u64(optarg, &count) == 0)
            continue;
        if (opt == 'h') {
            usage_trace(stdout);
            return 0;
        }
        fprintf(stderr, "emu: trace dump: bad option '%s' (see emu trace --help)\n", argv[optind - 1]);
        return EMU_EXIT_ERROR;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "emu: trace dump: expected one FILE (see emu trace --help)\n");
        return EMU_EXIT_ERROR;
    }
    trace_reader_t *r = open_trace(argv[optind]);
    if (!r)
        return EMU_EXIT_ERROR;
    if (trace_seek(r, from) < 0) {
        fprintf(stderr, "emu: trace %s: %s\n", argv[optind], trace_reader_error(r));
        trace_reader_close(r);
        return EMU_EXIT_ERROR;
    }
    csh cs;
    int have_cs = cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK;
    trace_rec_t x;
    int rc = 0;
    for (uint64_t n = from; n - from < count && (rc = trace_read(r, &x)) == 1; n++)
        dump_rec(&x, n, cs, have_cs);
    if (have_cs)
        cs_close(&cs);
    fflush(stdout);
    int status = 0;
    if (rc < 0) {
        fprintf(stderr, "emu: trace %s: %s\n", argv[optind], trace_reader_error(r));
        status = EMU_EXIT_ERROR;
    }
    trace_reader_close(r);
    return status;
}

static int trace_convert_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *from = "emu", *to = "emu";
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'f')
            from = optarg;
        else if (opt == 't')
            to = optarg;
        else if (opt == 'h') {
            usage_trace(stdout);
            return 0;
        } else {
            fprintf(stderr, "emu: trace convert: bad option '%s' (see emu trace --help)\n", argv[optind - 1]);
            return EMU_EXIT_ERROR;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "emu: trace convert: expected IN and OUT (see emu trace --help)\n");
        return EMU_EXIT_ERROR;
    }
    const char *in = argv[optind], *out = argv[optind + 1];
    char err[512];
    int lackey = strcmp(from, "lackey") == 0, champsim = strcmp(from, "champsim") == 0;
    if ((lackey || champsim) && strcmp(to, "emu") == 0) {
        FILE *f = fopen(in, "r");
        if (!f) {
            fprintf(stderr, "emu: %s: %s\n", in, strerror(errno));
            return errno == ENOENT ? EMU_EXIT_NOTFOUND : EMU_EXIT_ERROR;
        }
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", out);
        trace_writer_t *w = trace_writer_new(tmp, 1, 4, TRACE_FLAG_VIRTUAL, "", err, sizeof(err));
        if (!w) {
            fclose(f);
            fprintf(stderr, "emu: %s\n", err);
            return EMU_EXIT_ERROR;
        }
        int64_t n = lackey ? trace_import_lackey(f, w, err, sizeof(err)) : trace_import_champsim(in, w, err, sizeof(err));
        fclose(f);
        char err2[512];
        int rc = trace_writer_close(w, err2, sizeof(err2));
        if (n < 0 || rc < 0) {
            fprintf(stderr, "emu: %s: %s\n", n < 0 ? in : out, n < 0 ? err : err2);
            remove(tmp);
            return EMU_EXIT_ERROR;
        }
        if (rename(tmp, out) != 0) {
            fprintf(stderr, "emu: %s: %s\n", out, strerror(errno));
            remove(tmp);
            return EMU_EXIT_ERROR;
        }
        fprintf(stderr, "emu: %" PRId64 " accesses imported from %s\n", n, in);
        return 0;
    }
    if (strcmp(from, "emu") == 0 && strcmp(to, "champsim") == 0) {
        trace_reader_t *r = open_trace(in);
        if (!r)
            return EMU_EXIT_ERROR;
        /* The compression follows OUT's suffix, so the temporary name keeps it. */
        char tmp[4096];
        const char *dot = strrchr(out, '.');
        const char *suffix = dot && (strcmp(dot, ".xz") == 0 || strcmp(dot, ".gz") == 0) ? dot : "";
        snprintf(tmp, sizeof(tmp), "%.*s.tmp%s", (int)(strlen(out) - strlen(suffix)), out, suffix);
        int64_t n = trace_export_champsim(r, tmp, err, sizeof(err));
        trace_reader_close(r);
        if (n < 0 || rename(tmp, out) != 0) {
            fprintf(stderr, "emu: %s: %s\n", n < 0 ? in : out, n < 0 ? err : strerror(errno));
            remove(tmp);
            return EMU_EXIT_ERROR;
        }
        fprintf(stderr, "emu: %" PRId64 " instructions written to %s\n", n, out);
        return 0;
    }
    if (strcmp(from, "emu") == 0 && (strcmp(to, "dramsim3") == 0 || strcmp(to, "ramulator") == 0)) {
        trace_reader_t *r = open_trace(in);
        if (!r)
            return EMU_EXIT_ERROR;
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", out);
        FILE *f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "emu: %s: %s\n", out, strerror(errno));
            trace_reader_close(r);
            return EMU_EXIT_ERROR;
        }
        int64_t n = trace_export_mc(r, f, strcmp(to, "dramsim3") == 0 ? TRACE_EXPORT_DRAMSIM3 : TRACE_EXPORT_RAMULATOR);
        int bad = fclose(f) != 0;
        if (n < 0 || bad) {
            fprintf(stderr, "emu: %s: %s\n", n < 0 ? in : out, n < 0 ? trace_reader_error(r) : "write error");
            remove(tmp);
            trace_reader_close(r);
            return EMU_EXIT_ERROR;
        }
        trace_reader_close(r);
        if (rename(tmp, out) != 0) {
            fprintf(stderr, "emu: %s: %s\n", out, strerror(errno));
            remove(tmp);
            return EMU_EXIT_ERROR;
        }
        fprintf(stderr, "emu: %" PRId64 " accesses written to %s\n", n, out);
        return 0;
    }
    fprintf(stderr, "emu: trace convert: cannot convert from %s to %s (supported: lackey or champsim to emu; emu to "
                    "champsim, dramsim3 or ramulator)\n", from, to);
    return EMU_EXIT_ERROR;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 2) {
        usage_trace(stderr);
        return EMU_EXIT_ERROR;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        usage_trace(stdout);
        return 0;
    }
    if (strcmp(sub, "info") == 0) {
        if (argc == 3 && strcmp(argv[2], "--help") == 0) {
            usage_trace(stdout);
            return 0;
        }
        if (argc != 3) {
            fprintf(stderr, "emu: trace info: expected one FILE (see emu trace --help)\n");
            return EMU_EXIT_ERROR;
        }
        return trace_info_cmd(argv[2]);
    }
    if (strcmp(sub, "dump") == 0)
        return trace_dump_cmd(argc - 1, argv + 1);
    if (strcmp(sub, "convert") == 0)
        return trace_convert_cmd(argc - 1, argv + 1);
    fprintf(stderr, "emu: trace: unknown subcommand '%s'; expected info, dump or convert (see emu trace --help)\n", sub);
    return EMU_EXIT_ERROR;
}
