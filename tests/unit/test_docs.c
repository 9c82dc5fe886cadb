/* The documentation lists every configuration key (docs/CONFIG.md) and every counter
 * (docs/STATS.md), so users find them where they look. Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/config.h"
#include "emu/emu.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

static void test_config_keys_documented(void **state)
{
    (void)state;
    char *doc = slurp("docs/CONFIG.md");
    assert_non_null(doc);
    for (int i = 0; i < CFG_NR_KEYS; i++) {
        char name[128];
        snprintf(name, sizeof(name), "`%s.%s`", config_keys[i].section, config_keys[i].key);
        if (!strstr(doc, name))
            fail_msg("docs/CONFIG.md does not document %s", name);
    }
    free(doc);
}

static void test_counters_documented(void **state)
{
    (void)state;
    char *doc = slurp("docs/STATS.md");
    assert_non_null(doc);
    char *list = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&list, &len);
    emu_list_counters(m);
    fclose(m);
    int n = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (sscanf(line, "%127s", name) != 1)
            continue;
        char quoted[140];
        snprintf(quoted, sizeof(quoted), "`%s`", name);
        if (!strstr(doc, quoted))
            fail_msg("docs/STATS.md does not document %s", quoted);
        n++;
    }
    assert_true(n >= 3);
    free(list);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_keys_documented),
        cmocka_unit_test(test_counters_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
