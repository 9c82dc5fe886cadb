/* Instruction coverage of the test binaries: every instruction of every program the tests run
 * (the differential corpus build/progs, the csmith programs, the timing and benchmark programs)
 * decodes to capstone's length and to an implemented handler, except the instructions programs
 * execute on purpose to fault (the allow-list of tests/unit/insn_sweep.c). musl's libc.a gets the
 * same check in tests/unit/test_decode.c.
 *
 * Usage: build/tests/census/test_coverage FILE...   (one cmocka test per file; `make test-census`
 * passes the binaries). A file that does not exist is a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/insn_sweep.h"

static insn_sweep_t total;

static void test_file(void **state)
{
    const char *path = *state;
    insn_sweep_t st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(insn_sweep_file(path, &st, stderr, 20), 0);
    insn_sweep_add(&total, &st);
    print_message("%s: %ld instructions, %ld allowed faults, %ld bytes skipped\n", path, st.insns, st.allowed,
                  st.bytes_skipped);
    assert_true(st.insns > 0);
    assert_int_equal(st.len_bad, 0);
    assert_int_equal(st.impl_bad, 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...   check every instruction of the ELF files\n", argv[0]);
        return 2;
    }
    int n = argc - 1;
    struct CMUnitTest *tests = calloc((size_t)n, sizeof(*tests));
    if (!tests) return 2;
    for (int k = 0; k < n; k++) {
        tests[k].name = argv[k + 1];
        tests[k].test_func = test_file;
        tests[k].initial_state = argv[k + 1];
    }
    int rc = _cmocka_run_group_tests("coverage", tests, (size_t)n, NULL, NULL);
    printf("coverage: %ld files, %ld instructions checked (%ld allowed faults, %ld 66-prefixed branches "
           "not length-checked, %ld bytes of padding or data skipped), %ld length mismatches, %ld not implemented\n",
           total.files, total.insns, total.allowed, total.branch66, total.bytes_skipped, total.len_bad, total.impl_bad);
    for (int k = 0; insn_sweep_allowed_name(k); k++)
        printf("  allowed: %-20s x%ld\n", insn_sweep_allowed_name(k), total.allowed_by[k]);
    free(tests);
    return rc;
}
