/* Unit tests for emu/config: defaults, INI files, presets, --set, and the error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu/config.h"

static void test_defaults(void **state)
{
    (void)state;
    config_t c;
    config_defaults(&c);
    assert_int_equal(config_get(&c, CFG_machine_sockets), 1);
    assert_int_equal(config_get(&c, CFG_machine_paging_levels), 4);
    assert_int_equal(config_get(&c, CFG_machine_mem_per_node), 256ll << 20);
    assert_string_equal(c.source, "defaults");
}

static void test_set_sizes(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "machine.mem_per_node=2G", err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_mem_per_node), 2ll << 30);
    assert_int_equal(config_set(&c, "machine.mem_per_node=64MiB", err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_mem_per_node), 64ll << 20);
    assert_int_equal(config_set(&c, "machine.mem_per_node=1048576", err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_mem_per_node), 1ll << 20);
    /* Not a multiple of 4 KiB. */
    assert_int_equal(config_set(&c, "machine.mem_per_node=1048577", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "machine.mem_per_node"));
    /* Below the minimum. */
    assert_int_equal(config_set(&c, "machine.mem_per_node=4K", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "machine.mem_per_node"));
    assert_int_equal(config_set(&c, "machine.mem_per_node=12X", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "machine.mem_per_node=-5", err, sizeof(err)), -1);
}

static void test_bad_key_lists_valid(void **state)
{
    (void)state;
    config_t c;
    char err[2048];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "machine.no_such_key=1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "machine.no_such_key"));
    assert_non_null(strstr(err, "machine.sockets"));
    assert_non_null(strstr(err, "machine.paging_levels"));
    /* An unknown section lists every key. */
    assert_int_equal(config_set(&c, "nosection.x=1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "se.stack_size"));
    assert_int_equal(config_set(&c, "noequals", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "nodot=3", err, sizeof(err)), -1);
}

static void test_paging_levels(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "machine.paging_levels=5", err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_paging_levels), 5);
    assert_int_equal(config_set(&c, "machine.paging_levels=3", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "machine.paging_levels"));
    assert_non_null(strstr(err, "4 to 5"));
    assert_int_equal(config_set(&c, "machine.sockets=0", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "machine.sockets=two", err, sizeof(err)), -1);
}

static void test_presets(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    config_defaults(&c);
    assert_int_equal(config_load(&c, "tiny", err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_mem_per_node), 64ll << 20);
    config_defaults(&c);
    assert_int_equal(config_load(&c, "la57", err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_paging_levels), 5);
    assert_int_equal(config_load(&c, "nosuchpreset", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "tiny"));
}

static void test_ini_file(void **state)
{
    (void)state;
    char path[] = "/tmp/emu-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "; comment\n[machine]\nsockets = 2\ncores_per_socket=3\n[se]\nstack_size = 1M\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    config_t c;
    char err[512];
    config_defaults(&c);
    assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
    assert_int_equal(config_get(&c, CFG_machine_sockets), 2);
    assert_int_equal(config_get(&c, CFG_machine_cores_per_socket), 3);
    assert_int_equal(config_get(&c, CFG_se_stack_size), 1 << 20);

    /* A bad key in a file names the file and the key. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    text = "[machine]\nsockets = 2\nbogus = 1\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "machine.bogus"));
    unlink(path);
    assert_int_equal(config_load(&c, "/nonexistent/x.ini", err, sizeof(err)), -1);
}

static void test_dump_roundtrip(void **state)
{
    (void)state;
    config_t a, b;
    char err[512];
    config_defaults(&a);
    assert_int_equal(config_set(&a, "machine.mem_per_node=3G", err, sizeof(err)), 0);
    assert_int_equal(config_set(&a, "machine.paging_levels=5", err, sizeof(err)), 0);
    char path[] = "/tmp/emu-test-dump-XXXXXX.ini";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    config_dump(&a, f);
    fclose(f);
    config_defaults(&b);
    assert_int_equal(config_load(&b, path, err, sizeof(err)), 0);
    unlink(path);
    assert_memory_equal(a.val, b.val, sizeof(a.val));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_set_sizes),
        cmocka_unit_test(test_bad_key_lists_valid), cmocka_unit_test(test_paging_levels),
        cmocka_unit_test(test_presets),       cmocka_unit_test(test_ini_file),
        cmocka_unit_test(test_dump_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
