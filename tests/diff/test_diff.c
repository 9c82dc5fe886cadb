/* Differential test runner (cmocka): every test program runs natively and under the emulator; stdout,
 * stderr and exit status must be identical. One cmocka test per program invocation.
 *
 * Usage: test_diff [options] [--list FILE]... ['PROGRAM ARGS...']...
 *   --emu PATH          emulator binary (default build/emu); it is run as
 *                       PATH run --mode=se -q [--emu-arg ARGS...] -- PROGRAM ARGS...
 *   --emu-arg ARG       one more option for `emu run` (repeatable), e.g. --emu-arg=--config=tiny
 *   --timeout S         native time limit in seconds (default 10)
 *   --emu-timeout S     emulator time limit in seconds (default 120)
 *   --group NAME        name of the cmocka group in the report (default "diff")
 *   --filter PATTERN    run only the tests whose name matches (cmocka wildcard, e.g. 'arith*')
 *   --fail-list FILE    append "NAME<TAB>PROGRAM ARGS..." for every failing test
 *   --list FILE         read test cases from FILE, one per line: PROGRAM ARGS... [<STDIN_FILE];
 *                       blank lines and lines starting with # are ignored
 * A positional argument is one test case in the same syntax as a list line.
 * Arguments are split on blanks (no quoting). Paths are relative to the current folder: run it from
 * the repository root.
 *
 * Exit status policy: natively a signal death is WIFSIGNALED(sig); it is compared as 128+sig with the
 * emulator's exit code (the emulator itself must exit normally). stderr must match exactly, except that
 * when the program died of a signal the emulator's own `emu:` lines (a report of the fault) are ignored.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/common/proc.h"

struct dcase {
    char *name;
    char **argv;       /* program and its arguments, NULL-terminated */
    char *stdin_path;  /* NULL: /dev/null */
    char *line;        /* the case as written, for the failure list */
};

static const char *emu_path = "build/emu";
static char **emu_extra;
static size_t n_emu_extra;
static double native_timeout = 10, emu_timeout = 120;
static const char *fail_list;
static char *scratch;

static struct dcase *cases;
static size_t n_cases, cap_cases;

/* The native run gets a small fixed environment, like the emulator's guest does. */
static char *native_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LC_ALL=C", NULL};

static void add_case(const char *spec)
{
    char *copy = strdup(spec);
    size_t n = 0, cap = 8;
    char **argv = calloc(cap, sizeof *argv);
    char *in = NULL, *save = NULL;
    for (char *tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (tok[0] == '<' && tok[1]) {
            in = strdup(tok + 1);
            continue;
        }
        if (n + 2 > cap) {
            cap *= 2;
            argv = realloc(argv, cap * sizeof *argv);
        }
        argv[n++] = strdup(tok);
    }
    argv[n] = NULL;
    free(copy);
    if (n == 0) {
        free(argv);
        free(in);
        return;
    }
    /* name: basename of the program, then its arguments */
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t len = strlen(base) + 1;
    for (size_t i = 1; i < n; i++)
        len += strlen(argv[i]) + 1;
    if (in)
        len += strlen(in) + 2;
    char *name = malloc(len + 1);
    strcpy(name, base);
    for (size_t i = 1; i < n; i++) {
        strcat(name, " ");
        strcat(name, argv[i]);
    }
    if (in) {
        strcat(name, " <");
        strcat(name, in);
    }
    if (n_cases == cap_cases) {
        cap_cases = cap_cases ? cap_cases * 2 : 64;
        cases = realloc(cases, cap_cases * sizeof *cases);
    }
    char *line = strdup(spec);
    line[strcspn(line, "\r\n")] = 0;
    cases[n_cases++] = (struct dcase){name, argv, in, line};
}

static int add_list(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "test_diff: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        const char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == 0)
            continue;
        add_case(p);
    }
    free(line);
    fclose(f);
    return 0;
}

static void note_failure(const struct dcase *c)
{
    if (!fail_list)
        return;
    FILE *f = fopen(fail_list, "a");
    if (f) {
        fprintf(f, "%s\t%s\n", c->name, c->line);
        fclose(f);
    }
}

static void print_cmd(const char *what, char **argv, const char *in)
{
    char buf[4096];
    size_t o = 0;
    for (size_t i = 0; argv[i] && o < sizeof buf - 1; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", argv[i]);
    if (in && o < sizeof buf - 1)
        snprintf(buf + o, sizeof buf - o, " <%s", in);
    print_error("  %s: %s\n", what, buf);
}

static void diff_case(void **state)
{
    struct dcase *c = *state;
    size_t nargs = 0;
    while (c->argv[nargs])
        nargs++;
    char **eargv = calloc(nargs + n_emu_extra + 8, sizeof *eargv);
    size_t k = 0;
    eargv[k++] = (char *)emu_path;
    eargv[k++] = "run";
    eargv[k++] = "--mode=se";
    eargv[k++] = "-q";
    for (size_t i = 0; i < n_emu_extra; i++)
        eargv[k++] = emu_extra[i];
    eargv[k++] = "--";
    for (size_t i = 0; i < nargs; i++)
        eargv[k++] = c->argv[i];
    eargv[k] = NULL;

    /* Both runs at once: two cores, half the wall time. */
    struct proc p[2];
    struct run_result r[2];
    int ok0 = proc_start(&p[0], c->argv, native_env, c->stdin_path, scratch, native_timeout);
    int ok1 = proc_start(&p[1], eargv, NULL, c->stdin_path, scratch, emu_timeout);
    if (ok0 < 0 || ok1 < 0) {
        free(eargv);
        fail_msg("cannot start the runs: %s", strerror(errno));
    }
    proc_wait_all(p, r, 2);
    struct run_result *nat = &r[0], *emu = &r[1];

    int bad = 0;
    char msg[2048];
    if (nat->timed_out) {
        print_error("  native run timed out after %.0f s: no reference\n", native_timeout);
        bad = 1;
    } else if (nat->status == 127 && strstr(nat->err, "harness: cannot execute")) {
        print_error("  %s", nat->err);
        bad = 1;
    }
    if (!bad) {
        if (emu->timed_out) {
            print_error("  emulator timed out after %.0f s (native: %.2f s)\n", emu_timeout, nat->seconds);
            bad = 1;
        } else if (emu->signaled) {
            print_error("  the emulator itself was killed by signal %d\n", emu->status - 128);
            bad = 1;
        }
        if (emu->status != nat->status) {
            print_error("  exit status: native %d, emu %d\n", nat->status, emu->status);
            bad = 1;
        }
        if (first_diff(nat->out, nat->out_len, emu->out, emu->out_len, msg, sizeof msg)) {
            print_error("  stdout differs (%zu vs %zu bytes), first at %s\n", nat->out_len, emu->out_len, msg);
            bad = 1;
        }
        size_t elen = emu->err_len;
        if (nat->signaled && !emu->signaled)
            elen = drop_prefixed_lines(emu->err, elen, "emu:");
        if (first_diff(nat->err, nat->err_len, emu->err, elen, msg, sizeof msg)) {
            print_error("  stderr differs (%zu vs %zu bytes), first at %s\n", nat->err_len, elen, msg);
            bad = 1;
        }
    }
    if (bad) {
        print_cmd("reproduce", eargv, c->stdin_path);
        note_failure(c);
    }
    run_result_free(nat);
    run_result_free(emu);
    free(eargv);
    if (bad)
        fail();
}

static void usage(void)
{
    fprintf(stderr, "usage: test_diff [--emu PATH] [--emu-arg ARG]... [--timeout S] [--emu-timeout S]\n"
                    "                 [--group NAME] [--filter PATTERN] [--fail-list FILE]\n"
                    "                 [--list FILE]... ['PROGRAM ARGS... [<STDIN]']...\n");
    exit(2);
}

/* Accept both "--opt value" and "--opt=value". */
static const char *optval(int argc, char **argv, int *i, const char *opt)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == 0) {
        if (*i + 1 >= argc)
            usage();
        return argv[++*i];
    }
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* cmocka's progress (stdout) and errors (stderr) stay in order */
    const char *group = "diff", *v;
    emu_extra = calloc((size_t)argc + 1, sizeof *emu_extra);
    if (getenv("DIFF_EMU_TIMEOUT"))
        emu_timeout = atof(getenv("DIFF_EMU_TIMEOUT"));
    for (int i = 1; i < argc; i++) {
        if ((v = optval(argc, argv, &i, "--emu-arg")))
            emu_extra[n_emu_extra++] = (char *)v;
        else if ((v = optval(argc, argv, &i, "--emu-timeout")))
            emu_timeout = atof(v);
        else if ((v = optval(argc, argv, &i, "--emu")))
            emu_path = v;
        else if ((v = optval(argc, argv, &i, "--timeout")))
            native_timeout = atof(v);
        else if ((v = optval(argc, argv, &i, "--group")))
            group = v;
        else if ((v = optval(argc, argv, &i, "--filter")))
            cmocka_set_test_filter(v);
        else if ((v = optval(argc, argv, &i, "--fail-list")))
            fail_list = v;
        else if ((v = optval(argc, argv, &i, "--list"))) {
            if (add_list(v) < 0)
                return 2;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            usage();
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            usage();
        else
            add_case(argv[i]);
    }
    if (access(emu_path, X_OK) != 0) {
        fprintf(stderr, "test_diff: emulator %s: %s\n", emu_path, strerror(errno));
        return 2;
    }
    if (n_cases == 0) {
        fprintf(stderr, "test_diff: no test cases\n");
        return 2;
    }
    scratch = make_scratch_dir("diff");
    if (!scratch) {
        fprintf(stderr, "test_diff: cannot create a scratch folder: %s\n", strerror(errno));
        return 2;
    }
    struct CMUnitTest *tests = calloc(n_cases, sizeof *tests);
    for (size_t i = 0; i < n_cases; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = diff_case;
        tests[i].initial_state = &cases[i];
    }
    int failed = _cmocka_run_group_tests(group, tests, n_cases, NULL, NULL);
    remove_flat_dir(scratch);
    return failed ? 1 : 0;
}
