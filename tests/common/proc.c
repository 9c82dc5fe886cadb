/* Process and file helpers for the cmocka harnesses (see proc.h). */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int scratch_file(const char *tmpdir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/out.XXXXXX", tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

int proc_start(struct proc *p, char *const argv[], char *const envp[], const char *stdin_path,
               const char *tmpdir, double timeout_seconds)
{
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->out_fd = scratch_file(tmpdir);
    p->err_fd = scratch_file(tmpdir);
    if (p->out_fd < 0 || p->err_fd < 0)
        goto fail;
    int in_fd = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
    if (in_fd < 0)
        goto fail;
    fflush(NULL);
    p->start = now_seconds();
    p->timeout = timeout_seconds;
    pid_t pid = fork();
    if (pid < 0) {
        close(in_fd);
        goto fail;
    }
    if (pid == 0) {
        setpgid(0, 0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++)
            sigaction(s, &sa, NULL); /* fails harmlessly for SIGKILL, SIGSTOP and reserved ones */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        if (dup2(in_fd, 0) < 0 || dup2(p->out_fd, 1) < 0 || dup2(p->err_fd, 2) < 0)
            _exit(127);
        if (envp)
            execve(argv[0], argv, envp);
        else
            execv(argv[0], argv);
        dprintf(2, "harness: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also from the parent, so a kill(-pid) right away cannot miss */
    close(in_fd);
    p->pid = pid;
    return 0;
fail:
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    p->out_fd = p->err_fd = -1;
    return -1;
}

static char *slurp_fd(int fd, size_t *len)
{
    *len = 0;
    if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        char *e = calloc(1, 1);
        return e;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

void proc_wait_all(struct proc *p, struct run_result *res, size_t n)
{
    size_t left = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].status = -1;
        if (p[i].pid > 0)
            left++;
    }
    int *done = calloc(n ? n : 1, sizeof *done);
    long nap_ns = 100000; /* 0.1 ms, growing to 5 ms */
    while (left) {
        int progressed = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i].pid <= 0 || done[i])
                continue;
            int st;
            pid_t r = waitpid(p[i].pid, &st, WNOHANG);
            double t = now_seconds();
            if (r == 0 && t - p[i].start > p[i].timeout) {
                kill(-p[i].pid, SIGKILL);
                kill(p[i].pid, SIGKILL);
                while ((r = waitpid(p[i].pid, &st, 0)) < 0 && errno == EINTR)
                    ;
                res[i].timed_out = 1;
            }
            if (r == p[i].pid) {
                res[i].seconds = now_seconds() - p[i].start;
                if (WIFEXITED(st)) {
                    res[i].status = WEXITSTATUS(st);
                } else if (WIFSIGNALED(st)) {
                    res[i].status = 128 + WTERMSIG(st);
                    res[i].signaled = 1;
                }
                kill(-p[i].pid, SIGKILL); /* leftovers in its group, if any */
                done[i] = 1;
                left--;
                progressed = 1;
            } else if (r < 0 && errno != EINTR) {
                done[i] = 1;
                left--;
            }
        }
        if (left && !progressed) {
            struct timespec ts = {0, nap_ns};
            nanosleep(&ts, NULL);
            if (nap_ns < 5000000)
                nap_ns += nap_ns / 2;
        }
    }
    free(done);
    for (size_t i = 0; i < n; i++) {
        res[i].out = slurp_fd(p[i].out_fd, &res[i].out_len);
        res[i].err = slurp_fd(p[i].err_fd, &res[i].err_len);
        if (p[i].out_fd >= 0)
            close(p[i].out_fd);
        if (p[i].err_fd >= 0)
            close(p[i].err_fd);
        p[i].out_fd = p[i].err_fd = -1;
    }
}

int proc_run(struct run_result *res, char *const argv[], char *const envp[], const char *stdin_path,
             const char *tmpdir, double timeout_seconds)
{
    struct proc p;
    if (proc_start(&p, argv, envp, stdin_path, tmpdir, timeout_seconds) < 0) {
        memset(res, 0, sizeof *res);
        res->status = -1;
        res->out = calloc(1, 1);
        res->err = strdup("harness: cannot start process\n");
        res->err_len = strlen(res->err);
        return -1;
    }
    proc_wait_all(&p, res, 1);
    return 0;
}

void run_result_free(struct run_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *b = slurp_fd(fd, len);
    close(fd);
    return b;
}

int write_file(const char *path, const void *buf, size_t len, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    const char *b = buf;
    while (len) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        b += w;
        len -= (size_t)w;
    }
    fchmod(fd, (mode_t)mode);
    return close(fd);
}

/* Append a printable, shortened rendering of one line to dst. */
static void show_line(char *dst, size_t dstsz, const char *s, size_t n, int present)
{
    if (!present) {
        snprintf(dst, dstsz, "<end of output>");
        return;
    }
    size_t o = 0;
    dst[o++] = '\'';
    for (size_t i = 0; i < n && o + 6 < dstsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 200) {
            o += (size_t)snprintf(dst + o, dstsz - o, "...");
            break;
        }
        if (c >= 32 && c < 127)
            dst[o++] = (char)c;
        else
            o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", c);
    }
    if (o + 2 < dstsz)
        dst[o++] = '\'';
    dst[o] = 0;
}

int first_diff(const char *a, size_t alen, const char *b, size_t blen, char *msg, size_t msgsz)
{
    if (alen == blen && memcmp(a, b, alen) == 0) {
        if (msgsz)
            msg[0] = 0;
        return 0;
    }
    size_t ia = 0, ib = 0, line = 1;
    for (;;) {
        const char *ea = memchr(a + ia, '\n', alen - ia);
        const char *eb = memchr(b + ib, '\n', blen - ib);
        size_t la = ea ? (size_t)(ea - (a + ia)) + 1 : alen - ia;
        size_t lb = eb ? (size_t)(eb - (b + ib)) + 1 : blen - ib;
        int pa = ia < alen, pb = ib < blen;
        if (!pa || !pb || la != lb || memcmp(a + ia, b + ib, la) != 0) {
            char sa[512], sb[512];
            show_line(sa, sizeof sa, a + ia, la, pa);
            show_line(sb, sizeof sb, b + ib, lb, pb);
            snprintf(msg, msgsz, "line %zu: native %s, emu %s", line, sa, sb);
            return 1;
        }
        ia += la;
        ib += lb;
        line++;
    }
}

size_t drop_prefixed_lines(char *buf, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix), r = 0, w = 0;
    while (r < len) {
        const char *e = memchr(buf + r, '\n', len - r);
        size_t ll = e ? (size_t)(e - (buf + r)) + 1 : len - r;
        if (!(ll >= pl && memcmp(buf + r, prefix, pl) == 0)) {
            memmove(buf + w, buf + r, ll);
            w += ll;
        }
        r += ll;
    }
    buf[w] = 0;
    return w;
}

char *make_scratch_dir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/emu-%s.XXXXXX", base && *base ? base : "/tmp", tag);
    char *d = mkdtemp(path);
    return d ? strdup(d) : NULL;
}

void remove_flat_dir(const char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}
