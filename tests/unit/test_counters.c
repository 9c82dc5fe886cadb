/* Unit tests for emu/counters: registration, derived counters, JSON export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu/counters.h"

static uint64_t twice(void *arg) { return 2 * *(uint64_t *)arg; }

static void test_register_and_read(void **state)
{
    (void)state;
    counters_t *c = counters_new();
    uint64_t a = 5, b = 7;
    counters_add(c, &a, "a counter", "cpu%d.instructions", 0);
    counters_add(c, &b, "b counter", "sim.b");
    counters_add_fn(c, twice, &b, "derived", "sim.twice_b");
    assert_int_equal(counters_count(c), 3);
    assert_string_equal(counters_name(c, 0), "cpu0.instructions");
    int found;
    assert_int_equal(counters_get(c, "sim.twice_b", &found), 14);
    assert_true(found);
    b = 10;
    assert_int_equal(counters_get(c, "sim.twice_b", NULL), 20);
    counters_get(c, "nope", &found);
    assert_false(found);
    counters_reset(c);
    assert_int_equal(a, 0);
    assert_int_equal(counters_get(c, "sim.twice_b", NULL), 0);
    counters_free(c);
}

static void test_json(void **state)
{
    (void)state;
    counters_t *c = counters_new();
    uint64_t a = 18446744073709551615ull, b = 0;
    counters_add(c, &a, "a", "x.a");
    counters_add(c, &b, "b", "x.b");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(counters_write_json(c, f), 0);
    fclose(f);
    assert_string_equal(buf, "{\n  \"x.a\": 18446744073709551615,\n  \"x.b\": 0\n}\n");
    free(buf);

    char dir[] = "/tmp/emu-test-ctr-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/stats.json", dir);
    assert_int_equal(counters_write_json_file(c, path), 0);
    FILE *g = fopen(path, "r");
    assert_non_null(g);
    char text[256] = {0};
    assert_true(fread(text, 1, sizeof(text) - 1, g) > 0);
    fclose(g);
    assert_non_null(strstr(text, "\"x.b\": 0"));
    unlink(path);
    /* A folder that does not exist: an error, and no file left behind. */
    snprintf(path, sizeof(path), "%s/missing/stats.json", dir);
    assert_int_equal(counters_write_json_file(c, path), -1);
    rmdir(dir);
    counters_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_read),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
