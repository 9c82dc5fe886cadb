#define _GNU_SOURCE
/* Unit tests for emu/se_syscall.c and emu/se_signal.c: path confinement, the file calls, time,
 * identity, randomness, ENOSYS, signals with their default actions, memory policies. Calls go
 * through se_do_syscall with arguments in guest memory, as a program would make them. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/ioctl.h>

#include "tests/unit/se_testlib.h"

#define BUF 0x10000000ull /* a 64 KiB scratch mapping in the guest */
#define PG 4096ull

typedef struct fx {
    char *dir;
    machine_t *m;
    se_proc_t *se;
    cpu_t *c;
} fx_t;

static long sc(fx_t *f, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
    long r = se_do_syscall(f->se, f->c, nr, a);
    se_signal_deliver(f->se, f->c); /* the return to user mode, as se_syscall does */
    return r;
}
#define SC0(f, nr) sc(f, nr, 0, 0, 0, 0, 0, 0)
#define SC1(f, nr, a) sc(f, nr, (uint64_t)(a), 0, 0, 0, 0, 0)
#define SC2(f, nr, a, b) sc(f, nr, (uint64_t)(a), (uint64_t)(b), 0, 0, 0, 0)
#define SC3(f, nr, a, b, c) sc(f, nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0, 0)
#define SC4(f, nr, a, b, c, d) sc(f, nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), 0, 0)

static void put(fx_t *f, uint64_t va, const void *p, size_t n) { assert_int_equal(se_copy_out(f->se, va, p, n), 0); }
static void get(fx_t *f, uint64_t va, void *p, size_t n) { assert_int_equal(se_copy_in(f->se, p, va, n), 0); }
/* Put a string at BUF + off and return its address. */
static uint64_t str(fx_t *f, uint64_t off, const char *s)
{
    put(f, BUF + off, s, strlen(s) + 1);
    return BUF + off;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    fputs(text, fp);
    fclose(fp);
}

static void link_in(const char *dir, const char *target, const char *name)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(symlink(target, p), 0);
}

static int setup_nodes(void **state, int nodes)
{
    fx_t *f = calloc(1, sizeof(*f));
    if (nodes == 1) {
        f->m = t_loaded(4, &f->dir);
    } else {
        /* Same as t_loaded, on a machine with several nodes. */
        f->m = t_machine(4, nodes);
        f->dir = t_tmpdir();
        char path[512], err[256];
        snprintf(path, sizeof(path), "%s/prog", f->dir);
        elf_opts_t o = {0};
        t_write_elf(path, &o);
        char *argv[] = {path, NULL};
        emu_program_t p = {.path = path, .argc = 1, .argv = argv, .root = f->dir};
        assert_int_equal(emu_load(f->m, &p, err, sizeof(err)), 0);
    }
    assert_non_null(f->m);
    f->se = f->m->se;
    f->c = f->m->cpus[0];
    assert_int_equal(se_mmap(f->se, BUF, 16 * PG, SE_PROT_READ | SE_PROT_WRITE,
                             SE_MAP_PRIVATE | SE_MAP_ANONYMOUS | SE_MAP_FIXED, -1, 0),
                     (long)BUF);
    /* The root: a.txt, sub/b.txt and symlinks of every kind. */
    write_file(f->dir, "a.txt", "hello, world\n");
    char sub[600];
    snprintf(sub, sizeof(sub), "%s/sub", f->dir);
    mkdir(sub, 0755);
    write_file(f->dir, "sub/b.txt", "bee\n");
    link_in(f->dir, "../a.txt", "sub/rel");
    link_in(f->dir, "/a.txt", "sub/abs");
    link_in(f->dir, "../../../../../../etc/passwd", "esc");
    link_in(f->dir, "/etc", "etcdir");
    link_in(f->dir, "loop", "loop");
    *state = f;
    return 0;
}
static int setup(void **state) { return setup_nodes(state, 1); }
static int setup2(void **state) { return setup_nodes(state, 2); }

static int teardown(void **state)
{
    fx_t *f = *state;
    emu_free(f->m);
    t_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void test_resolve(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    char h[4096], want[4200], root[4096];
    assert_non_null(realpath(f->dir, root));
    snprintf(want, sizeof(want), "%s/a.txt", root);
    const char *same[] = {"/a.txt", "a.txt", "./a.txt", "/../../a.txt", "sub/../a.txt", "//sub/./rel",
                          "sub/abs", "../a.txt", "sub/../../../a.txt"};
    for (unsigned i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        if (se_resolve(se, AT_FDCWD, same[i], 1, h, sizeof(h)) != 0)
            fail_msg("%s did not resolve", same[i]);
        assert_string_equal(h, want);
    }
    /* ".." never leaves the root; absolute symlinks resolve inside it. */
    assert_int_equal(se_resolve(se, AT_FDCWD, "..", 1, h, sizeof(h)), 0);
    assert_string_equal(h, root);
    assert_int_equal(se_resolve(se, AT_FDCWD, "esc", 1, h, sizeof(h)), -ENOENT);
    assert_int_equal(se_resolve(se, AT_FDCWD, "etcdir/passwd", 1, h, sizeof(h)), -ENOENT);
    assert_int_equal(se_resolve(se, AT_FDCWD, "/etc/passwd", 1, h, sizeof(h)), -ENOENT);
    assert_int_equal(se_resolve(se, AT_FDCWD, "loop", 1, h, sizeof(h)), -ELOOP);
    assert_int_equal(se_resolve(se, AT_FDCWD, "a.txt/", 1, h, sizeof(h)), -ENOTDIR);
    assert_int_equal(se_resolve(se, AT_FDCWD, "a.txt/x", 1, h, sizeof(h)), -ENOTDIR);
    assert_int_equal(se_resolve(se, AT_FDCWD, "", 1, h, sizeof(h)), -ENOENT);
    /* Not following the last link. */
    snprintf(want, sizeof(want), "%s/sub/rel", root);
    assert_int_equal(se_resolve(se, AT_FDCWD, "sub/rel", 0, h, sizeof(h)), 0);
    assert_string_equal(h, want);
}

static void test_open_read(void **state)
{
    fx_t *f = *state;
    long fd = SC4(f, 257, AT_FDCWD, str(f, 0, "/sub/rel"), O_RDONLY, 0);
    assert_int_equal(fd, 3);
    assert_int_equal(SC3(f, 0, fd, BUF + 100, 5), 5);
    char b[32] = {0};
    get(f, BUF + 100, b, 5);
    assert_string_equal(b, "hello");
    assert_int_equal(SC3(f, 8, fd, 7, SEEK_SET), 7);
    assert_int_equal(SC3(f, 0, fd, BUF + 100, 100), 6);
    assert_int_equal(SC3(f, 0, fd, BUF + 100, 100), 0); /* EOF */
    assert_int_equal(SC4(f, 17, fd, BUF + 200, 4, 1), 4);
    get(f, BUF + 200, b, 4);
    assert_memory_equal(b, "ello", 4);
    assert_int_equal(SC4(f, 17, fd, BUF + 200, 4, -1), -EINVAL);
    /* fstat: the host's answer, in the kernel's layout. */
    assert_int_equal(SC2(f, 5, fd, BUF + 300), 0);
    int64_t size;
    get(f, BUF + 300 + 48, &size, 8);
    assert_int_equal(size, 13);
    /* A bad buffer is EFAULT, not a crash (at EOF, as in Linux, the buffer is not looked at). */
    assert_int_equal(SC3(f, 0, fd, 0x1000, 4), 0);
    assert_int_equal(SC3(f, 8, fd, 0, SEEK_SET), 0);
    assert_int_equal(SC3(f, 0, fd, 0x1000, 4), -EFAULT);
    assert_int_equal(SC1(f, 3, fd), 0);
    assert_int_equal(SC1(f, 3, fd), -EBADF);
    assert_int_equal(SC3(f, 0, 77, BUF, 1), -EBADF);
    /* Read-only file system. */
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_WRONLY, 0), -EROFS);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDWR | O_APPEND, 0), -EROFS);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDONLY | O_TRUNC, 0), -EROFS);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "new.txt"), O_WRONLY | O_CREAT, 0644), -EROFS);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDONLY | O_CREAT | O_EXCL, 0644), -EEXIST);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "sub"), O_WRONLY, 0), -EISDIR);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "nothing"), O_RDONLY, 0), -ENOENT);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "/etc/passwd"), O_RDONLY, 0), -ENOENT);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "sub/rel"), O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
    assert_int_equal(SC3(f, 2, str(f, 0, "a.txt"), O_RDONLY, 0), 3); /* open(2) */
    /* openat relative to a directory descriptor. */
    long d = SC4(f, 257, AT_FDCWD, str(f, 0, "sub"), O_RDONLY | O_DIRECTORY, 0);
    assert_int_equal(d, 4);
    long b2 = SC4(f, 257, d, str(f, 0, "b.txt"), O_RDONLY, 0);
    assert_int_equal(b2, 5);
    assert_int_equal(SC4(f, 257, 3, str(f, 0, "b.txt"), O_RDONLY, 0), -ENOTDIR);
    /* getdents64 lists the folder. */
    long n = SC3(f, 217, d, BUF + 1000, 4096);
    assert_true(n > 0);
    char dents[4096];
    get(f, BUF + 1000, dents, (size_t)n);
    int seen = 0;
    for (long at = 0; at < n;) {
        uint16_t reclen;
        memcpy(&reclen, dents + at + 16, 2);
        if (strcmp(dents + at + 19, "b.txt") == 0)
            seen = 1;
        at += reclen;
    }
    assert_true(seen);
}

static void test_fds(void **state)
{
    fx_t *f = *state;
    long fd = SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDONLY | O_CLOEXEC, 0);
    assert_int_equal(fd, 3);
    assert_int_equal(SC2(f, 72, fd, F_GETFD), FD_CLOEXEC);
    assert_int_equal(SC3(f, 72, fd, F_SETFD, 0), 0);
    assert_int_equal(SC2(f, 72, fd, F_GETFD), 0);
    assert_int_equal(SC2(f, 72, fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    assert_int_equal(SC1(f, 32, fd), 4);                /* dup */
    assert_int_equal(SC2(f, 33, fd, 10), 10);           /* dup2 */
    assert_int_equal(SC2(f, 33, fd, fd), fd);
    assert_int_equal(SC2(f, 33, 99, 10), -EBADF);
    assert_int_equal(SC2(f, 33, fd, 5000), -EBADF);
    assert_int_equal(SC3(f, 292, fd, fd, 0), -EINVAL); /* dup3 */
    assert_int_equal(SC3(f, 292, fd, 11, O_CLOEXEC), 11);
    assert_int_equal(SC2(f, 72, 11, F_GETFD), FD_CLOEXEC);
    assert_int_equal(SC3(f, 72, fd, F_DUPFD, 20), 20);
    assert_int_equal(SC3(f, 72, fd, F_DUPFD_CLOEXEC, 20), 21);
    assert_int_equal(SC2(f, 72, fd, 9999), -EINVAL);
    /* Duplicates share the file offset. */
    assert_int_equal(SC3(f, 0, 10, BUF, 7), 7);
    assert_int_equal(SC3(f, 8, fd, 0, SEEK_CUR), 7);
    /* Closing the original keeps the duplicate working. */
    assert_int_equal(SC1(f, 3, fd), 0);
    assert_int_equal(SC3(f, 0, 4, BUF, 5), 5);
    /* dup2 onto stdout redirects the guest's fd 1, not the host's. */
    assert_int_equal(SC2(f, 33, 4, 1), 1);
    assert_int_equal(SC3(f, 1, 1, BUF, 1), -EBADF); /* a read-only file */
    /* Descriptor limit. */
    uint64_t lim[2] = {12, 12};
    put(f, BUF + 500, lim, sizeof(lim));
    assert_int_equal(SC4(f, 302, 0, 7, BUF + 500, 0), 0);
    assert_int_equal(SC3(f, 72, 4, F_DUPFD, 0), 2 + 1); /* lowest free: 3 */
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDONLY, 0), 5);
    for (int i = 0; i < 4; i++) /* 6, 7, 8, 9 */
        SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDONLY, 0);
    assert_int_equal(SC4(f, 257, AT_FDCWD, str(f, 0, "a.txt"), O_RDONLY, 0), -EMFILE);
    lim[0] = lim[1] = 5000;
    put(f, BUF + 500, lim, sizeof(lim));
    assert_int_equal(SC4(f, 302, 0, 7, BUF + 500, 0), -EPERM);
}

static void test_stat_access_links(void **state)
{
    fx_t *f = *state;
    assert_int_equal(SC4(f, 262, AT_FDCWD, str(f, 0, "sub/abs"), BUF + 200, 0), 0);
    int64_t size;
    get(f, BUF + 200 + 48, &size, 8);
    assert_int_equal(size, 13);
    uint32_t mode;
    assert_int_equal(SC4(f, 262, AT_FDCWD, str(f, 0, "sub/abs"), BUF + 200, AT_SYMLINK_NOFOLLOW), 0);
    get(f, BUF + 200 + 24, &mode, 4);
    assert_true(S_ISLNK(mode));
    assert_int_equal(SC4(f, 262, AT_FDCWD, str(f, 0, ""), BUF + 200, AT_EMPTY_PATH), 0);
    get(f, BUF + 200 + 24, &mode, 4);
    assert_true(S_ISDIR(mode));
    assert_int_equal(SC4(f, 262, AT_FDCWD, str(f, 0, ""), BUF + 200, 0), -ENOENT);
    assert_int_equal(SC4(f, 262, AT_FDCWD, str(f, 0, "a.txt"), BUF + 200, 0x4000), -EINVAL);
    assert_int_equal(SC2(f, 4, str(f, 0, "nothing"), BUF + 200), -ENOENT); /* stat */
    assert_int_equal(SC2(f, 21, str(f, 0, "a.txt"), R_OK), 0);              /* access */
    assert_int_equal(SC2(f, 21, str(f, 0, "a.txt"), W_OK), -EROFS);
    assert_int_equal(SC2(f, 21, str(f, 0, "nothing"), R_OK), -ENOENT);
    assert_int_equal(SC2(f, 21, str(f, 0, "a.txt"), 8), -EINVAL);
    assert_int_equal(SC4(f, 439, AT_FDCWD, str(f, 0, "sub/rel"), F_OK, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(SC3(f, 89, str(f, 0, "sub/rel"), BUF + 300, 100), 8); /* readlink */
    char t[16] = {0};
    get(f, BUF + 300, t, 8);
    assert_string_equal(t, "../a.txt");
    assert_int_equal(SC3(f, 89, str(f, 0, "sub/rel"), BUF + 300, 3), 3);
    assert_int_equal(SC3(f, 89, str(f, 0, "a.txt"), BUF + 300, 100), -EINVAL);
    assert_int_equal(SC3(f, 89, str(f, 0, "sub/rel"), BUF + 300, 0), -EINVAL);
    assert_int_equal(SC2(f, 79, BUF + 400, 64), 2); /* getcwd */
    get(f, BUF + 400, t, 2);
    assert_string_equal(t, "/");
    assert_int_equal(SC2(f, 79, BUF + 400, 1), -ERANGE);
    /* A path string that is not in mapped memory. */
    assert_int_equal(SC4(f, 257, AT_FDCWD, 0x1000, O_RDONLY, 0), -EFAULT);
}

static void test_pipes_and_sigpipe(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    int p[2];
    assert_int_equal(pipe(p), 0);
    /* Install the write end as guest fd 7. */
    se->fds[7] = (se_fd_t){.used = 1, .host = p[1], .own = 1, .path = strdup("")};
    put(f, BUF, "abc", 3);
    put(f, BUF + 8, "defg", 4);
    uint64_t iov[2][2] = {{BUF, 3}, {BUF + 8, 4}};
    put(f, BUF + 64, iov, sizeof(iov));
    assert_int_equal(SC3(f, 20, 7, BUF + 64, 2), 7); /* writev */
    assert_int_equal(SC3(f, 20, 7, BUF + 64, -1), -EINVAL);
    assert_int_equal(SC3(f, 1, 7, BUF, 0), 0);
    char b[8] = {0};
    assert_int_equal(read(p[0], b, 7), 7);
    assert_memory_equal(b, "abcdefg", 7);
    /* ioctl on a pipe: not a terminal. */
    assert_int_equal(SC3(f, 16, 7, TIOCGWINSZ, BUF + 200), -ENOTTY);
    assert_int_equal(SC3(f, 16, 7, TCGETS, BUF + 200), -ENOTTY);
    assert_int_equal(SC3(f, 16, 7, 0x1234, BUF + 200), -ENOTTY);
    assert_int_equal(SC3(f, 16, 99, TIOCGWINSZ, BUF + 200), -EBADF);
    /* With the reader gone a write fails with EPIPE and SIGPIPE ends the program (128+13). */
    close(p[0]);
    assert_int_equal(SC3(f, 1, 7, BUF, 3), -EPIPE);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.kind, EMU_SIGNALED);
    assert_int_equal(f->m->result.status, 141);
}

static void test_sigpipe_ignored(void **state)
{
    fx_t *f = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    f->se->fds[7] = (se_fd_t){.used = 1, .host = p[1], .own = 1, .path = strdup("")};
    close(p[0]);
    uint64_t act[4] = {1 /* SIG_IGN */, 0, 0, 0};
    put(f, BUF, act, sizeof(act));
    assert_int_equal(SC4(f, 13, 13, BUF, 0, 8), 0);
    assert_int_equal(SC3(f, 1, 7, BUF, 3), -EPIPE);
    assert_false(f->m->stop);
}

static void test_time(void **state)
{
    fx_t *f = *state;
    int64_t ts[2];
    f->c->st.instructions = 1234;
    assert_int_equal(SC2(f, 228, 0, BUF), 0); /* CLOCK_REALTIME */
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 1704067200);
    assert_int_equal(ts[1], 1234);
    assert_int_equal(SC2(f, 228, 1, BUF), 0); /* CLOCK_MONOTONIC */
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 1);
    assert_int_equal(ts[1], 1234);
    /* nanosleep advances simulated time exactly; CPU time does not move. */
    int64_t req[2] = {1, 500000000};
    put(f, BUF + 64, req, sizeof(req));
    assert_int_equal(SC2(f, 35, BUF + 64, 0), 0);
    assert_int_equal(SC2(f, 228, 0, BUF), 0);
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 1704067201);
    assert_int_equal(ts[1], 500001234);
    assert_int_equal(SC2(f, 228, 2, BUF), 0); /* CLOCK_PROCESS_CPUTIME_ID */
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 0);
    assert_int_equal(ts[1], 1234);
    /* Absolute clock_nanosleep to 10 s of CLOCK_MONOTONIC. */
    int64_t abs_t[2] = {10, 0};
    put(f, BUF + 64, abs_t, sizeof(abs_t));
    assert_int_equal(SC4(f, 230, 1, 1, BUF + 64, 0), 0);
    assert_int_equal(SC2(f, 228, 1, BUF), 0);
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 10);
    assert_int_equal(ts[1], 0);
    /* Errors. */
    int64_t bad[2] = {0, 1000000000};
    put(f, BUF + 64, bad, sizeof(bad));
    assert_int_equal(SC2(f, 35, BUF + 64, 0), -EINVAL);
    assert_int_equal(SC2(f, 228, 99, BUF), -EINVAL);
    assert_int_equal(SC4(f, 230, 3, 0, BUF + 64, 0), -EINVAL);
    assert_int_equal(SC2(f, 228, 0, 0x1000), -EFAULT);
    /* gettimeofday and time agree. */
    assert_int_equal(SC2(f, 96, BUF, 0), 0);
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 1704067209);
    assert_int_equal(SC1(f, 201, 0), 1704067209);
    assert_int_equal(SC2(f, 229, 0, BUF), 0); /* clock_getres */
    get(f, BUF, ts, sizeof(ts));
    assert_int_equal(ts[0], 0);
    assert_int_equal(ts[1], 1);
}

static void test_identity_misc(void **state)
{
    fx_t *f = *state;
    assert_int_equal(SC0(f, 39), 1000);
    assert_int_equal(SC0(f, 186), 1000);
    assert_int_equal(SC0(f, 110), 999);
    assert_int_equal(SC0(f, 102), 1000);
    assert_int_equal(SC0(f, 108), 1000);
    assert_int_equal(SC1(f, 218, BUF), 1000); /* set_tid_address */
    assert_int_equal(SC0(f, 24), 0);          /* sched_yield */
    assert_int_equal(SC1(f, 63, BUF), 0);     /* uname */
    char u[6][65];
    get(f, BUF, u, sizeof(u));
    assert_string_equal(u[0], "Linux");
    assert_string_equal(u[2], "6.1.0-emu");
    assert_string_equal(u[4], "x86_64");
    /* RLIMIT_STACK is se.stack_size. */
    assert_int_equal(SC4(f, 302, 0, 3, 0, BUF), 0);
    uint64_t rl[2];
    get(f, BUF, rl, sizeof(rl));
    assert_int_equal(rl[0], 8u << 20);
    assert_int_equal(SC4(f, 302, 4321, 3, 0, BUF), -ESRCH);
    assert_int_equal(SC4(f, 302, 0, 99, 0, BUF), -EINVAL);
    assert_int_equal(SC2(f, 97, 7, BUF), 0); /* getrlimit */
    get(f, BUF, rl, sizeof(rl));
    assert_int_equal(rl[0], 1024);
    /* arch_prctl. */
    assert_int_equal(SC2(f, 158, 0x1002, 0x12345000), 0);
    assert_int_equal(f->c->fs_base, 0x12345000);
    assert_int_equal(SC2(f, 158, 0x1003, BUF), 0);
    uint64_t fs;
    get(f, BUF, &fs, 8);
    assert_int_equal(fs, 0x12345000);
    assert_int_equal(SC2(f, 158, 0x1001, 0x777000), 0);
    assert_int_equal(f->c->gs_base, 0x777000);
    assert_int_equal(SC2(f, 158, 0x1002, 0xffff800000000000ull), -EPERM);
    assert_int_equal(SC2(f, 158, 0x3001, 0), -EINVAL);
    /* Unknown calls: ENOSYS and a counter. */
    assert_int_equal(SC0(f, 999), -ENOSYS);
    assert_int_equal(SC0(f, 56), -ENOSYS); /* clone */
    assert_int_equal(SC0(f, 56), -ENOSYS);
    assert_int_equal(f->se->st.unknown_syscalls, 3);
    assert_string_equal(se_syscall_name(56), "clone");
    /* Exit. */
    assert_int_equal(SC1(f, 231, 0x1ff), 0);
    assert_int_equal(f->m->result.kind, EMU_EXITED);
    assert_int_equal(f->m->result.status, 255);
}

static void test_getrandom(void **state)
{
    fx_t *f = *state;
    uint8_t a[40], b[40];
    assert_int_equal(SC3(f, 318, BUF, 40, 0), 40);
    get(f, BUF, a, 40);
    assert_int_equal(SC3(f, 318, BUF, 0, 0), 0);
    assert_int_equal(SC3(f, 318, BUF, 8, 0x10), -EINVAL);
    assert_int_equal(SC3(f, 318, 0x1000, 8, 0), -EFAULT);
    /* A fresh process draws the same stream. */
    char *dir2;
    machine_t *m2 = t_loaded(4, &dir2);
    se_proc_t *se2 = m2->se;
    assert_int_equal(se_mmap(se2, BUF, PG, 3, SE_MAP_PRIVATE | SE_MAP_ANONYMOUS | SE_MAP_FIXED, -1, 0), (long)BUF);
    uint64_t args[6] = {BUF, 40, 0, 0, 0, 0};
    assert_int_equal(se_do_syscall(se2, m2->cpus[0], 318, args), 40);
    assert_int_equal(se_copy_in(se2, b, BUF, 40), 0);
    assert_memory_equal(a, b, 40);
    int same = 1;
    for (int i = 1; i < 40; i++)
        same &= a[i] == a[0];
    assert_false(same);
    emu_free(m2);
    t_rmtree(dir2);
    free(dir2);
}

static void test_signals(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    /* Signals whose default action is to ignore them, and SIG_IGN. */
    assert_int_equal(SC2(f, 62, 1000, 17), 0); /* SIGCHLD */
    assert_int_equal(SC2(f, 62, 1000, 28), 0); /* SIGWINCH */
    uint64_t act[4] = {1, 0, 0, 0};
    put(f, BUF, act, sizeof(act));
    assert_int_equal(SC4(f, 13, 2, BUF, 0, 8), 0); /* SIGINT -> SIG_IGN */
    assert_int_equal(SC3(f, 234, 1000, 1000, 2), 0);
    assert_false(f->m->stop);
    /* rt_sigaction errors and the old action. */
    assert_int_equal(SC4(f, 13, 9, BUF, 0, 8), -EINVAL);
    assert_int_equal(SC4(f, 13, 65, BUF, 0, 8), -EINVAL);
    assert_int_equal(SC4(f, 13, 2, BUF, 0, 4), -EINVAL);
    assert_int_equal(SC4(f, 13, 2, 0, BUF + 64, 8), 0);
    uint64_t old[4];
    get(f, BUF + 64, old, sizeof(old));
    assert_int_equal(old[0], 1);
    /* kill/tkill/tgkill targets. */
    assert_int_equal(SC2(f, 62, -1, 15), -ESRCH);
    assert_int_equal(SC2(f, 62, 4321, 15), -ESRCH);
    assert_int_equal(SC2(f, 62, 1000, 0), 0);
    assert_int_equal(SC2(f, 62, 1000, 65), -EINVAL);
    assert_int_equal(SC3(f, 234, 1000, 77, 15), -ESRCH);
    assert_int_equal(SC3(f, 234, 1000, 0, 15), -EINVAL);
    assert_int_equal(SC2(f, 200, 1000, 0), 0);
    /* A blocked signal stays pending until it is unblocked (how musl's raise() works). */
    uint64_t set = 1ull << (10 - 1); /* SIGUSR1 */
    put(f, BUF, &set, 8);
    assert_int_equal(SC4(f, 14, 0 /* SIG_BLOCK */, BUF, 0, 8), 0);
    assert_int_equal(SC4(f, 14, 5, BUF, 0, 8), -EINVAL);
    assert_int_equal(SC2(f, 200, 1000, 10), 0);
    assert_false(f->m->stop);
    assert_int_equal(SC2(f, 127, BUF + 64, 8), 0); /* rt_sigpending */
    uint64_t pend;
    get(f, BUF + 64, &pend, 8);
    assert_int_equal(pend, set);
    /* SIGKILL cannot be blocked. */
    uint64_t all = ~0ull;
    put(f, BUF + 128, &all, 8);
    assert_int_equal(SC4(f, 14, 0, BUF + 128, BUF + 136, 8), 0);
    uint64_t oldmask;
    get(f, BUF + 136, &oldmask, 8);
    assert_int_equal(oldmask, set);
    assert_int_equal(se->blocked, ~0ull & ~((1ull << 8) | (1ull << 18)));
    assert_int_equal(SC4(f, 14, 2 /* SIG_SETMASK */, BUF, 0, 8), 0);
    assert_false(f->m->stop);
    assert_int_equal(SC4(f, 14, 1 /* SIG_UNBLOCK */, BUF, 0, 8), 0);
    assert_true(f->m->stop);
    assert_int_equal(f->m->result.kind, EMU_SIGNALED);
    assert_int_equal(f->m->result.code, 10);
    assert_int_equal(f->m->result.status, 138);
}

static void test_sigaltstack(void **state)
{
    fx_t *f = *state;
    struct { uint64_t sp; int32_t flags, pad; uint64_t size; } ss = {0x5000, 0, 0, 8192}, o;
    assert_int_equal(SC2(f, 131, 0, BUF + 64), 0);
    get(f, BUF + 64, &o, sizeof(o));
    assert_int_equal(o.flags, 2); /* SS_DISABLE */
    put(f, BUF, &ss, sizeof(ss));
    assert_int_equal(SC2(f, 131, BUF, 0), 0);
    assert_int_equal(SC2(f, 131, 0, BUF + 64), 0);
    get(f, BUF + 64, &o, sizeof(o));
    assert_int_equal(o.sp, 0x5000);
    assert_int_equal(o.size, 8192);
    assert_int_equal(o.flags, 0);
    ss.size = 100;
    put(f, BUF, &ss, sizeof(ss));
    assert_int_equal(SC2(f, 131, BUF, 0), -ENOMEM);
    ss.flags = 0x40;
    put(f, BUF, &ss, sizeof(ss));
    assert_int_equal(SC2(f, 131, BUF, 0), -EINVAL);
}

static void test_abort_sequence(void **state)
{
    /* musl's abort(): raise(SIGABRT) with application signals blocked, then restore the mask. */
    fx_t *f = *state;
    uint64_t app = ~0ull & ~((1ull << 31) | (1ull << 32) | (1ull << 33)), old;
    put(f, BUF, &app, 8);
    assert_int_equal(SC4(f, 14, 0, BUF, BUF + 8, 8), 0);
    assert_int_equal(SC2(f, 200, 1000, 6), 0);
    assert_false(f->m->stop);
    get(f, BUF + 8, &old, 8);
    assert_int_equal(SC4(f, 14, 2, BUF + 8, 0, 8), 0);
    assert_int_equal(f->m->result.status, 134);
}

static void test_mempolicy(void **state)
{
    fx_t *f = *state;
    se_proc_t *se = f->se;
    uint64_t mask = 2; /* node 1 */
    put(f, BUF, &mask, 8);
    assert_int_equal(SC3(f, 238, 2 /* MPOL_BIND */, BUF, 3), 0);
    int32_t pol = -1;
    uint64_t got = 0;
    assert_int_equal(sc(f, 239, BUF + 64, BUF + 72, 64, 0, 0, 0), 0);
    get(f, BUF + 64, &pol, 4);
    get(f, BUF + 72, &got, 8);
    assert_int_equal(pol, 2);
    assert_int_equal(got, 2);
    /* Errors: a node that does not exist, an empty mask for BIND, a bad mode. */
    mask = 1ull << 5;
    put(f, BUF, &mask, 8);
    assert_int_equal(SC3(f, 238, 2, BUF, 64), -EINVAL);
    mask = 0;
    put(f, BUF, &mask, 8);
    assert_int_equal(SC3(f, 238, 2, BUF, 64), -EINVAL);
    assert_int_equal(SC3(f, 238, 9, BUF, 64), -EINVAL);
    /* mbind records a policy on part of a mapping (splitting it); MPOL_F_ADDR reads it back, and
     * MPOL_F_NODE|MPOL_F_ADDR gives the node of the page's frame. */
    long a = se_mmap(se, 0, 4 * PG, 3, SE_MAP_PRIVATE | SE_MAP_ANONYMOUS, -1, 0);
    mask = 3;
    put(f, BUF, &mask, 8);
    int nv = se->nr_vmas;
    assert_int_equal(sc(f, 237, (uint64_t)a + PG, PG, 3 /* INTERLEAVE */, BUF, 3, 0), 0);
    assert_int_equal(se->nr_vmas, nv + 2);
    assert_int_equal(sc(f, 239, BUF + 64, BUF + 72, 64, (uint64_t)a + PG, 2, 0), 0);
    get(f, BUF + 64, &pol, 4);
    get(f, BUF + 72, &got, 8);
    assert_int_equal(pol, 3);
    assert_int_equal(got, 3);
    assert_int_equal(sc(f, 239, BUF + 64, 0, 0, (uint64_t)a, 2, 0), 0);
    get(f, BUF + 64, &pol, 4);
    assert_int_equal(pol, 0);
    assert_int_equal(sc(f, 239, BUF + 64, 0, 0, (uint64_t)a, 3, 0), 0);
    get(f, BUF + 64, &pol, 4);
    assert_int_equal(pol, 1); /* no VMA policy there: the task's MPOL_BIND {1} placed it */
    assert_int_equal(sc(f, 239, BUF + 64, 0, 0, 0x1000, 2, 0), -EFAULT);
    assert_int_equal(sc(f, 237, 0x1000, PG, 3, BUF, 3, 0), -EFAULT);
    /* MPOL_F_MEMS_ALLOWED: both nodes. */
    assert_int_equal(sc(f, 239, BUF + 64, BUF + 72, 64, 0, 4, 0), 0);
    get(f, BUF + 72, &got, 8);
    assert_int_equal(got, 3);
    char msg[256];
    assert_int_equal(se_mm_check(se, msg, sizeof(msg)), 0);
}

int main(void)
{
    /* As cli/main.c does: a write to a closed pipe must fail with EPIPE, not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat_access_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipes_and_sigpipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigpipe_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_misc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_getrandom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigaltstack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mempolicy, setup2, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
