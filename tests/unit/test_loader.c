/* Unit tests for emu/loader.c: ELF checks with their exact exit statuses, segment mapping (bss
 * zeroed, permissions), the initial stack as Linux lays it out, static-pie placement, and a
 * complete run of a hand-made program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/se_testlib.h"
#include "emu/exec.h"

typedef struct fx {
    char *dir;
    char path[512];
    machine_t *m;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    f->dir = t_tmpdir();
    snprintf(f->path, sizeof(f->path), "%s/prog", f->dir);
    f->m = t_machine(4, 1);
    assert_non_null(f->m);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    emu_free(f->m);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Load f->path with argv {path}; returns the status and leaves the message in err. */
static int load(fx_t *f, char *err, size_t errlen)
{
    char *argv[] = {f->path, NULL};
    emu_program_t p = {.path = f->path, .argc = 1, .argv = argv, .root = f->dir};
    err[0] = 0;
    return emu_load(f->m, &p, err, errlen);
}

static int load_with(fx_t *f, const elf_opts_t *o, char *err, size_t errlen)
{
    t_write_elf(f->path, o);
    return load(f, err, errlen);
}

static void test_not_found(void **state)
{
    fx_t *f = *state;
    char err[512];
    assert_int_equal(load(f, err, sizeof(err)), 127);
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "No such file"));
    snprintf(f->path, sizeof(f->path), "%s/nodir/prog", f->dir);
    assert_int_equal(load(f, err, sizeof(err)), 127);
    assert_null(f->m->se);
}

static void test_directory_and_permissions(void **state)
{
    fx_t *f = *state;
    char err[512];
    snprintf(f->path, sizeof(f->path), "%s", f->dir);
    assert_int_equal(load(f, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "directory"));
    snprintf(f->path, sizeof(f->path), "%s/prog", f->dir);
    elf_opts_t o = {0};
    t_write_elf(f->path, &o);
    chmod(f->path, 0644);
    assert_int_equal(load(f, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "not executable"));
}

static void test_not_elf(void **state)
{
    fx_t *f = *state;
    char err[512];
    FILE *fp = fopen(f->path, "w");
    fputs("#!/bin/sh\necho hi\n", fp);
    fclose(fp);
    chmod(f->path, 0755);
    assert_int_equal(load(f, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "not an ELF"));
    fp = fopen(f->path, "w"); /* empty */
    fclose(fp);
    assert_int_equal(load(f, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "not an ELF"));
}

static void test_wrong_class_machine_type(void **state)
{
    fx_t *f = *state;
    char err[512];
    elf_opts_t o = {.cls = ELFCLASS32};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "32-bit"));
    o = (elf_opts_t){.machine = EM_AARCH64};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "not an x86-64"));
    o = (elf_opts_t){.type = ET_REL};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "relocatable"));
    assert_null(f->m->se);
}

static void test_truncated(void **state)
{
    fx_t *f = *state;
    char err[512];
    long cuts[] = {10, 40, 100, 0x1008, 0x2020};
    for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        elf_opts_t o = {.truncate = cuts[i]};
        assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
        if (!strstr(err, "truncated"))
            fail_msg("cut %ld: %s", cuts[i], err);
    }
}

static void test_dynamic(void **state)
{
    fx_t *f = *state;
    char err[512];
    elf_opts_t o = {.interp = 1};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "dynamically linked"));
    assert_non_null(strstr(err, "/lib/ld-x.so"));
    o = (elf_opts_t){.dynamic = 1};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
    assert_non_null(strstr(err, "dynamically linked"));
    o = (elf_opts_t){.type = ET_DYN, .interp = 1, .dynamic = 1};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 126);
    /* static-pie: ET_DYN with PT_DYNAMIC and no interpreter loads at Linux's ELF_ET_DYN_BASE. */
    o = (elf_opts_t){.type = ET_DYN, .dynamic = 1};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 0);
    se_proc_t *se = f->m->se;
    uint64_t bias = 0x555555554000ull - 0x400000;
    assert_int_equal(se->entry, T_ENTRY + bias);
    assert_int_equal(f->m->cpus[0]->rip, T_ENTRY + bias);
    assert_int_equal(se->phdr, 0x400040 + bias);
    uint8_t b;
    assert_int_equal(se_copy_in(se, &b, T_DATA + bias, 1), 0);
    assert_int_equal(b, 0x10);
}

static void test_segments(void **state)
{
    fx_t *f = *state;
    char err[512];
    elf_opts_t o = {0};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 0);
    se_proc_t *se = f->m->se;
    uint64_t before = se->st.frames_allocated;
    /* Nothing is copied at load: the first read faults the page in from the file. */
    uint32_t pf;
    assert_int_equal(t_xlate(se, T_ENTRY, MMU_EXEC, NULL, &pf), -1);
    assert_int_equal(pf & PF_P, 0);
    uint8_t code[3];
    assert_int_equal(se_copy_in(se, code, T_ENTRY, 3), 0);
    assert_int_equal(code[0], 0xb8);
    assert_true(se->st.frames_allocated > before);
    /* Text: readable and executable, not writable. */
    assert_int_equal(t_xlate(se, T_ENTRY, MMU_EXEC, NULL, NULL), 0);
    assert_int_equal(t_xlate(se, T_ENTRY, MMU_WRITE, NULL, &pf), -1);
    assert_int_equal(pf & (PF_P | PF_W), PF_P | PF_W);
    assert_int_equal(se_handle_fault(se, T_ENTRY, pf), 0);
    /* Data: the file bytes, then zeroes where the file has 0xaa (bss), over three pages. */
    uint8_t d[T_DATA_MEMSZ];
    assert_int_equal(se_copy_in(se, d, T_DATA, sizeof(d)), 0);
    for (unsigned i = 0; i < T_DATA_FILESZ; i++)
        assert_int_equal(d[i], 0x10 + i);
    for (unsigned i = T_DATA_FILESZ; i < sizeof(d); i++)
        assert_int_equal(d[i], 0);
    assert_int_equal(t_touch(se, T_DATA, MMU_WRITE), 0);
    assert_int_equal(t_xlate(se, T_DATA, MMU_EXEC, NULL, &pf), -1);
    /* Between the segments nothing is mapped. */
    assert_int_equal(t_touch(se, 0x402000, MMU_READ), -1);
    /* brk starts after the last segment. */
    assert_int_equal(se->brk, 0x407000);
    char msg[256];
    assert_int_equal(se_mm_check(se, msg, sizeof(msg)), 0);
}

static uint64_t rd64(se_proc_t *se, uint64_t va)
{
    uint64_t v = 0;
    assert_int_equal(se_copy_in(se, &v, va, 8), 0);
    return v;
}

static void rdstr(se_proc_t *se, uint64_t va, char *buf, size_t n)
{
    assert_true(se_strncpy_in(se, buf, va, n) >= 0);
}

static void test_initial_stack(void **state)
{
    fx_t *f = *state;
    elf_opts_t o = {0};
    t_write_elf(f->path, &o);
    char *argv[] = {"myprog", "a", "bc", NULL};
    char *env[] = {"FOO=1", "TERM=xterm", "HOME", NULL};
    emu_program_t p = {.path = f->path, .argc = 3, .argv = argv, .nr_env = 3, .env = env, .root = f->dir};
    char err[256];
    assert_int_equal(emu_load(f->m, &p, err, sizeof(err)), 0);
    se_proc_t *se = f->m->se;
    cpu_t *c = f->m->cpus[0];
    uint64_t sp = c->r[R_RSP];
    assert_int_equal(sp & 15, 0);
    assert_int_equal(c->rip, T_ENTRY);
    assert_int_equal(c->mmu.cr3, se->cr3);
    assert_int_equal(c->mmu.levels, 4);
    for (int r = 0; r < 16; r++)
        if (r != R_RSP)
            assert_int_equal(c->r[r], 0);
    assert_true(sp < SE_STACK_TOP && sp > SE_STACK_TOP - 65536);

    char s[512];
    assert_int_equal(rd64(se, sp), 3);
    const char *want_argv[] = {"myprog", "a", "bc"};
    for (int i = 0; i < 3; i++) {
        rdstr(se, rd64(se, sp + 8 + 8 * (uint64_t)i), s, sizeof(s));
        assert_string_equal(s, want_argv[i]);
    }
    assert_int_equal(rd64(se, sp + 32), 0);
    const char *want_env[] = {"LANG=C", "LOGNAME=user", "PATH=/usr/local/bin:/usr/bin:/bin", "PWD=/",
                              "SHELL=/bin/sh", "TERM=xterm", "USER=user", "FOO=1"};
    uint64_t at = sp + 40;
    for (int i = 0; i < 8; i++, at += 8) {
        rdstr(se, rd64(se, at), s, sizeof(s));
        assert_string_equal(s, want_env[i]);
    }
    assert_int_equal(rd64(se, at), 0);
    at += 8;
    /* The auxiliary vector, in Linux's order. */
    static const uint64_t order[] = {16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 31, 15, 0};
    uint64_t aux[32][2];
    int n = 0;
    for (;; n++) {
        aux[n][0] = rd64(se, at + 16 * (uint64_t)n);
        aux[n][1] = rd64(se, at + 16 * (uint64_t)n + 8);
        if (!aux[n][0])
            break;
    }
    assert_int_equal(n + 1, sizeof(order) / sizeof(order[0]));
    for (int i = 0; i <= n; i++)
        assert_int_equal(aux[i][0], order[i]);
    uint32_t id[4];
    cpu_cpuid(c, 1, 0, id);
    assert_int_equal(aux[0][1], id[3]);     /* AT_HWCAP = CPUID.1:EDX */
    assert_int_not_equal(aux[0][1], 0);
    assert_int_equal(aux[1][1], 4096);      /* AT_PAGESZ */
    assert_int_equal(aux[2][1], 100);       /* AT_CLKTCK */
    assert_int_equal(aux[3][1], 0x400040);  /* AT_PHDR */
    assert_int_equal(aux[4][1], 56);        /* AT_PHENT */
    assert_int_equal(aux[5][1], 3);         /* AT_PHNUM */
    assert_int_equal(aux[6][1], 0);         /* AT_BASE */
    assert_int_equal(aux[8][1], T_ENTRY);   /* AT_ENTRY */
    assert_int_equal(aux[9][1], 1000);      /* AT_UID */
    assert_int_equal(aux[13][1], 0);        /* AT_SECURE */
    uint8_t rnd[16], rnd2[16];
    assert_int_equal(se_copy_in(se, rnd, aux[14][1], 16), 0);
    rdstr(se, aux[15][1], s, sizeof(s));
    assert_string_equal(s, f->path);        /* AT_EXECFN: the path as given */
    rdstr(se, aux[16][1], s, sizeof(s));
    assert_string_equal(s, "x86_64");       /* AT_PLATFORM */
    /* The top of the stack: AT_EXECFN's string right below 8 zero bytes. */
    assert_int_equal(rd64(se, SE_STACK_TOP - 8), 0);
    assert_int_equal(aux[15][1], SE_STACK_TOP - 8 - strlen(f->path) - 1);
    /* argv strings end where the environment strings begin. */
    assert_int_equal(rd64(se, sp + 8 + 16) + 3, rd64(se, sp + 40));

    /* Deterministic: a second load gives the same AT_RANDOM bytes and the same rsp; the counters
     * are registered once and follow the new process. */
    int nctrs = counters_count(f->m->ctrs);
    assert_int_equal(emu_load(f->m, &p, err, sizeof(err)), 0);
    se = f->m->se;
    assert_int_equal(counters_count(f->m->ctrs), nctrs);
    assert_int_equal(counters_get(f->m->ctrs, "se.frames_allocated", NULL), se->st.frames_allocated);
    assert_int_equal(c->r[R_RSP], sp);
    uint64_t a2 = sp + 40 + 9 * 8 + 14 * 16 + 8;
    assert_int_equal(se_copy_in(se, rnd2, rd64(se, a2), 16), 0);
    assert_memory_equal(rnd, rnd2, 16);
}

static void test_exec_stack(void **state)
{
    fx_t *f = *state;
    char err[256];
    elf_opts_t o = {0};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 0);
    se_proc_t *se = f->m->se;
    uint64_t sp = f->m->cpus[0]->r[R_RSP];
    assert_int_equal(t_xlate(se, sp, MMU_EXEC, NULL, NULL), -1);
    o.exec_stack = 1;
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 0);
    se = f->m->se;
    assert_int_equal(t_xlate(se, sp, MMU_EXEC, NULL, NULL), 0);
}

static void test_run_to_exit(void **state)
{
    fx_t *f = *state;
    char err[256];
    elf_opts_t o = {.exit_code = 42};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 0);
    emu_result_t res;
    emu_run(f->m, 1000, &res);
    assert_int_equal(res.kind, EMU_EXITED);
    assert_int_equal(res.status, 42);
    assert_int_equal(f->m->cpus[0]->st.instructions, 3);
    assert_true(f->m->cpus[0]->st.page_faults >= 1); /* the code page was faulted in */
    int found = 0;
    assert_int_equal(counters_get(f->m->ctrs, "se.frames_allocated", &found), f->m->se->st.frames_allocated);
    assert_true(found);
}

static void test_five_level(void **state)
{
    fx_t *f = *state;
    emu_free(f->m);
    f->m = t_machine(5, 1);
    assert_non_null(f->m);
    char err[256];
    elf_opts_t o = {.exit_code = 5};
    assert_int_equal(load_with(f, &o, err, sizeof(err)), 0);
    assert_int_equal(f->m->cpus[0]->mmu.levels, 5);
    emu_result_t res;
    emu_run(f->m, 1000, &res);
    assert_int_equal(res.status, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_and_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_elf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_class_machine_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initial_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_stack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_to_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_five_level, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
