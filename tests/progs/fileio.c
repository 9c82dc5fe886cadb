/* Reading a file named on the command line (a path relative to the repository root, which the test
 * runs from): open/read with odd chunk sizes, fstat/stat (size and type only), lseek, pread, readv,
 * dup/dup2 sharing the offset, fcntl, errors (EBADF, ENOENT), then stdio: fgets, getc/ungetc, fseek/
 * ftell/rewind, word frequencies and number parsing.
 *   fileio PATH        all of the above
 *   fileio -           read standard input (the test redirects the file)
 *   fileio mmap PATH   map the file and checksum it */
// ARGS: tests/progs/data/input.txt
// ARGS: tests/progs/data/no-such-file.txt
// ARGS: - <tests/progs/data/input.txt
// ARGS: mmap tests/progs/data/input.txt
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "progs.h"

static char data[1 << 20];

struct wc {
    char word[32];
    int n;
};

static int cmp_wc(const void *a, const void *b)
{
    const struct wc *x = a, *y = b;
    if (x->n != y->n)
        return y->n - x->n;
    return strcmp(x->word, y->word);
}

static void text_stats(const char *buf, size_t len)
{
    size_t lines = 0, words = 0, longest = 0, cur = 0;
    int inword = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n') {
            lines++;
            if (cur > longest)
                longest = cur;
            cur = 0;
        } else
            cur++;
        int sp = c == ' ' || c == '\n' || c == '\t';
        if (!sp && !inword)
            words++;
        inword = !sp;
    }
    printf("bytes %zu, lines %zu, words %zu, longest line %zu, checksum %016llx\n", len, lines, words, longest,
           (unsigned long long)fnv1a(buf, len, FNV_INIT));
}

static int from_stdin(void)
{
    size_t len = 0;
    ssize_t r;
    while ((r = read(0, data + len, 333)) > 0)
        len += (size_t)r;
    printf("stdin: ");
    text_stats(data, len);
    /* stdio on stdin after EOF */
    int ch = getchar();
    printf("getchar after EOF: %d, feof %d\n", ch, feof(stdin) != 0);
    return 0;
}

static int mapped(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    char *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap failed: %s\n", strerror(errno));
        return 1;
    }
    printf("mapped: ");
    text_stats(p, (size_t)st.st_size);
    munmap(p, (size_t)st.st_size);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fileio PATH | - | mmap PATH\n");
        return 2;
    }
    if (strcmp(argv[1], "-") == 0)
        return from_stdin();
    if (strcmp(argv[1], "mmap") == 0 && argc > 2)
        return mapped(argv[2]);
    const char *path = argv[1];

    printf("access(R_OK): %d\n", access(path, R_OK));
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(e));
        printf("open failed with errno %s\n", e == ENOENT ? "ENOENT" : "other");
        return 1;
    }
    struct stat st, st2;
    if (fstat(fd, &st) != 0 || stat(path, &st2) != 0) {
        printf("stat failed: %s\n", strerror(errno));
        return 1;
    }
    printf("fstat: regular %d, size %lld; stat size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size,
           (long long)st2.st_size);

    /* read with awkward chunk sizes */
    static const size_t chunks[] = {1, 7, 100, 4096, 13};
    size_t len = 0;
    for (int i = 0;; i++) {
        ssize_t r = read(fd, data + len, chunks[i % 5]);
        if (r < 0) {
            printf("read failed: %s\n", strerror(errno));
            return 1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    text_stats(data, len);
    printf("read at EOF: %zd\n", read(fd, data + len, 10));

    off_t end = lseek(fd, 0, SEEK_END);
    off_t back = lseek(fd, -10, SEEK_END);
    char tail[11] = {0};
    ssize_t tr = read(fd, tail, 10);
    off_t cur = lseek(fd, 0, SEEK_CUR);
    printf("lseek: end %lld, end-10 %lld, read %zd '%s', now %lld\n", (long long)end, (long long)back, tr, tail,
           (long long)cur);
    errno = 0;
    off_t bad = lseek(fd, -1, SEEK_SET);
    printf("lseek before start: %lld (%s)\n", (long long)bad, errno == EINVAL ? "EINVAL" : "?");

    char pb[16] = {0};
    static const off_t offs[] = {0, 100, 1000};
    for (size_t i = 0; i < 3; i++) {
        ssize_t r = pread(fd, pb, 15, offs[i]);
        printf("pread(%lld) = %zd '%s'\n", (long long)offs[i], r, r > 0 ? pb : "");
    }
    printf("pread past end: %zd; offset unchanged: %lld\n", pread(fd, pb, 15, end + 100),
           (long long)lseek(fd, 0, SEEK_CUR));

    lseek(fd, 50, SEEK_SET);
    char a[5] = {0}, b[9] = {0}, c[3] = {0};
    struct iovec iov[3] = {{a, 4}, {b, 8}, {c, 2}};
    ssize_t rv = readv(fd, iov, 3);
    printf("readv = %zd: '%s' '%s' '%s'\n", rv, a, b, c);

    int fd2 = dup(fd);
    int fd3 = dup2(fd, 17);
    lseek(fd2, 7, SEEK_SET);
    char d[6] = {0};
    read(fd3, d, 5);
    printf("dup/dup2 share the offset: '%s', now %lld; dup2 returned %d\n", d, (long long)lseek(fd, 0, SEEK_CUR),
           fd3);
    printf("fcntl: access mode read-only %d, cloexec %d", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY,
           fcntl(fd, F_GETFD) & FD_CLOEXEC);
    fcntl(fd2, F_SETFD, FD_CLOEXEC);
    printf(", after F_SETFD %d\n", fcntl(fd2, F_GETFD) & FD_CLOEXEC);
    close(fd2);
    close(fd3);
    close(fd);
    errno = 0;
    ssize_t rc = read(fd, d, 1);
    printf("read after close: %zd (%s)\n", rc, errno == EBADF ? "EBADF" : "?");
    errno = 0;
    int ofd = open("tests/progs/data/missing", O_RDONLY);
    int oerr = errno;
    printf("open missing: %d (%s), access missing: %d\n", ofd, oerr == ENOENT ? "ENOENT" : "?",
           access("tests/progs/data/missing", F_OK));

    /* stdio */
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("fopen failed\n");
        return 1;
    }
    char line[512];
    int nlines = 0;
    unsigned long numsum = 0;
    static struct wc counts[512];
    int nwords = 0;
    while (fgets(line, sizeof line, f)) {
        nlines++;
        for (char *tok = strtok(line, " \t\n,.:;()'\"="); tok; tok = strtok(NULL, " \t\n,.:;()'\"=")) {
            char *endp;
            long v = strtol(tok, &endp, 0);
            if (*endp == 0) {
                numsum += (unsigned long)v;
                continue;
            }
            int k;
            for (k = 0; k < nwords; k++)
                if (strncmp(counts[k].word, tok, 31) == 0)
                    break;
            if (k == nwords && nwords < 512) {
                strncpy(counts[k].word, tok, 31);
                nwords++;
            }
            if (k < 512)
                counts[k].n++;
        }
    }
    qsort(counts, (size_t)nwords, sizeof counts[0], cmp_wc);
    printf("fgets: %d lines, %d distinct words, numbers sum %lu\n", nlines, nwords, numsum);
    printf("most frequent:");
    for (int k = 0; k < 8 && k < nwords; k++)
        printf(" %s=%d", counts[k].word, counts[k].n);
    printf("\n");
    long at_end = ftell(f);
    printf("ftell at end %ld, feof %d\n", at_end, feof(f) != 0);
    rewind(f);
    int c1 = getc(f);
    int c2 = getc(f);
    ungetc('#', f);
    int c3 = getc(f);
    int c4 = getc(f);
    fseek(f, -5, SEEK_END);
    char last[8] = {0};
    size_t got = fread(last, 1, 7, f);
    printf("getc %c%c, ungetc %c, next %c; last %zu bytes '%s'\n", c1, c2, c3, c4, got, last);
    fseek(f, 200, SEEK_SET);
    printf("fseek/ftell: %ld\n", ftell(f));
    fclose(f);
    return 0;
}
