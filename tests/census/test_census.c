/* The opcode census (docs/OPCODES.md) is what the decoder gives today: it is regenerated in memory
 * with census_write() and compared with the committed file, so the table cannot drift from
 * emu/decode.c. When this fails, run `make census` and commit docs/OPCODES.md. Run from the
 * repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/census/census.h"

static const char *doc_path = "docs/OPCODES.md";

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* Line number and text of the first line where a and b differ. */
static void first_difference(const char *a, const char *b)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
    print_error("%s:%d differs from the decoder's census\n  file:    %.*s\n  decoder: %.*s\n", doc_path, line, na, la,
                nb, lb);
}

static void test_opcodes_md_up_to_date(void **state)
{
    (void)state;
    char *now = NULL;
    size_t now_len = 0;
    FILE *m = open_memstream(&now, &now_len);
    assert_non_null(m);
    assert_int_equal(census_write(m), 0);
    fclose(m);
    assert_true(now_len > 10000);

    size_t doc_len = 0;
    char *doc = slurp(doc_path, &doc_len);
    if (!doc)
        fail_msg("%s is missing: run `make census`", doc_path);
    if (doc_len != now_len || memcmp(doc, now, now_len)) {
        first_difference(doc, now);
        fail_msg("%s is out of date with emu/decode.c: run `make census` and commit it", doc_path);
    }
    free(doc);
    free(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opcodes_md_up_to_date),
    };
    return cmocka_run_group_tests_name("census", tests, NULL, NULL);
}
