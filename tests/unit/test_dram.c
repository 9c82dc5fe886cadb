/* Unit tests for dram/: node layout, holes, host backing, bulk copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dram/dram.h"

static void test_nodes_and_holes(void **state)
{
    (void)state;
    dram_cfg_t cfg = {.nr_nodes = 2};
    cfg.nodes[0].base_pa = 0;
    cfg.nodes[0].size = 1 << 20;
    cfg.nodes[1].base_pa = 4ull << 20; /* a 3 MiB hole between the nodes */
    cfg.nodes[1].size = 2 << 20;
    char err[256];
    dram_t *d = dram_new(&cfg, err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(dram_nr_nodes(d), 2);
    assert_int_equal(dram_end(d), 6ull << 20);
    assert_int_equal(dram_node_of(d, 0), 0);
    assert_int_equal(dram_node_of(d, (1 << 20) - 1), 0);
    assert_int_equal(dram_node_of(d, 1 << 20), -1);
    assert_int_equal(dram_node_of(d, 4 << 20), 1);
    assert_int_equal(dram_node_of(d, 6 << 20), -1);
    assert_null(dram_host(d, 2 << 20));
    assert_non_null(dram_host(d, 5 << 20));
    assert_ptr_equal(dram_host(d, 5 << 20), dram_base(d) + (5 << 20));

    /* Untouched memory reads as zero; writes stick; copies may not cross into a hole. */
    uint64_t v = 1;
    assert_int_equal(dram_read(d, 0x1000, &v, 8), 0);
    assert_int_equal(v, 0);
    v = 0x1122334455667788ull;
    assert_int_equal(dram_write(d, (4 << 20) + 8, &v, 8), 0);
    uint64_t w = 0;
    assert_int_equal(dram_read(d, (4 << 20) + 8, &w, 8), 0);
    assert_int_equal(w, v);
    assert_int_equal(dram_write(d, (1 << 20) - 4, &v, 8), -1);
    assert_int_equal(dram_read(d, 3 << 20, &w, 8), -1);

    /* Discard returns the page to zero. */
    dram_discard(d, 4 << 20, 4096);
    assert_int_equal(dram_read(d, (4 << 20) + 8, &w, 8), 0);
    assert_int_equal(w, 0);
    dram_free(d);
}

static void test_bad_layouts(void **state)
{
    (void)state;
    char err[256];
    dram_cfg_t cfg = {.nr_nodes = 2};
    cfg.nodes[0].size = 1 << 20;
    cfg.nodes[1].base_pa = 1 << 19; /* overlaps */
    cfg.nodes[1].size = 1 << 20;
    assert_null(dram_new(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "overlap"));
    cfg.nr_nodes = 1;
    cfg.nodes[0].size = 1000; /* not page aligned */
    assert_null(dram_new(&cfg, err, sizeof(err)));
    cfg.nr_nodes = 0;
    assert_null(dram_new(&cfg, err, sizeof(err)));
}

static void test_large_sparse(void **state)
{
    (void)state;
    /* 64 GiB of guest memory must not need 64 GiB of host memory. */
    dram_cfg_t cfg = {.nr_nodes = 4};
    for (int i = 0; i < 4; i++) {
        cfg.nodes[i].base_pa = (uint64_t)i << 34;
        cfg.nodes[i].size = 1ull << 34;
    }
    char err[256];
    dram_t *d = dram_new(&cfg, err, sizeof(err));
    assert_non_null(d);
    uint8_t *p = dram_host(d, (3ull << 34) + 12345);
    assert_non_null(p);
    *p = 7;
    assert_int_equal(dram_node_of(d, (3ull << 34) + 12345), 3);
    dram_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes_and_holes),
        cmocka_unit_test(test_bad_layouts),
        cmocka_unit_test(test_large_sparse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
