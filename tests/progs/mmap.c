/* Memory-management system calls: anonymous mmap of many sizes (filled on first touch, zeroed),
 * munmap of a middle part (splitting a mapping), mremap growing in place or moving and shrinking,
 * mprotect to read-only and back, MAP_FIXED inside a reservation, madvise(MADV_DONTNEED) zeroing
 * private anonymous pages, brk/sbrk growth and shrink. Prints contents and results, never addresses. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "progs.h"

#define PG 4096UL

static uint64_t sum_pages(const unsigned char *p, size_t pages)
{
    uint64_t h = FNV_INIT;
    for (size_t i = 0; i < pages; i++)
        h = mix64(mix64(h, p[i * PG]), p[i * PG + PG - 1]);
    return h;
}

static int all_zero(const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i += 64)
        if (p[i])
            return 0;
    return 1;
}

int main(void)
{
    /* many sizes, first touch sees zeros */
    static const size_t sizes[] = {1, 4095, 4096, 4097, 65536, 1 << 20, (1 << 20) + 123, 8 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t len = sizes[i];
        unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap(%zu) failed: %s\n", len, strerror(errno));
            return 1;
        }
        int zero = all_zero(p, len);
        for (size_t k = 0; k < len; k += 1000)
            p[k] = (unsigned char)(k / 1000 + i);
        p[len - 1] = 0x77;
        printf("mmap %8zu: aligned %d, zero-filled %d, last byte %02x\n", len, ((uintptr_t)p & (PG - 1)) == 0, zero,
               p[len - 1]);
        if (munmap(p, len) != 0)
            printf("munmap failed\n");
    }

    /* split a mapping by unmapping its middle */
    unsigned char *m = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < 8; i++)
        memset(m + i * PG, (int)(i + 1), PG);
    printf("munmap middle: %d\n", munmap(m + 3 * PG, 2 * PG));
    printf("left %016llx right %016llx\n", (unsigned long long)sum_pages(m, 3),
           (unsigned long long)sum_pages(m + 5 * PG, 3));

    /* MAP_FIXED into the hole: new zeroed pages */
    unsigned char *f = mmap(m + 3 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED at the hole: same place %d, zero %d\n", f == m + 3 * PG, all_zero(f, 2 * PG));
    /* MAP_FIXED over existing pages replaces them */
    mmap(m, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED over data: first page zero %d, second page %d\n", all_zero(m, PG), m[PG]);

    /* mremap: grow (may move), contents follow; shrink */
    unsigned char *r = mremap(m, 8 * PG, 64 * PG, MREMAP_MAYMOVE);
    if (r == MAP_FAILED) {
        printf("mremap failed: %s\n", strerror(errno));
        return 1;
    }
    printf("mremap grow: old contents %016llx, new part zero %d\n", (unsigned long long)sum_pages(r, 8),
           all_zero(r + 8 * PG, 56 * PG));
    memset(r + 60 * PG, 0xab, PG);
    unsigned char *s = mremap(r, 64 * PG, 2 * PG, 0);
    printf("mremap shrink in place: same %d, contents %016llx\n", s == r, (unsigned long long)sum_pages(s, 2));
    errno = 0;
    void *bad = mremap(s, 2 * PG, 1024 * PG, 0); /* cannot grow in place if something follows; may succeed */
    if (bad != MAP_FAILED)
        s = bad;
    munmap(s, bad != MAP_FAILED ? 1024 * PG : 2 * PG);

    /* mprotect read-only, read, back to writable */
    unsigned char *q = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(q, 0x3c, 4 * PG);
    int mp = mprotect(q + PG, 2 * PG, PROT_READ);
    printf("mprotect ro: %d, reads %02x\n", mp, q[PG + 5]);
    printf("mprotect rw: %d\n", mprotect(q + PG, 2 * PG, PROT_READ | PROT_WRITE));
    q[PG + 5] = 0x11;
    printf("written after mprotect: %02x\n", q[PG + 5]);

    /* MADV_DONTNEED on private anonymous memory: the pages read back as zeros */
    int ma = madvise(q, 2 * PG, MADV_DONTNEED);
    printf("madvise DONTNEED: %d, zero afterwards %d, untouched page %02x\n", ma, all_zero(q, 2 * PG), q[3 * PG]);
    munmap(q, 4 * PG);

    /* errors */
    errno = 0;
    void *e1 = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int err1 = errno;
    printf("mmap(0 bytes): %s (%s)\n", e1 == MAP_FAILED ? "failed" : "succeeded", err1 == EINVAL ? "EINVAL" : "?");
    errno = 0;
    int e2 = munmap((void *)0x1001, PG);
    int err2 = errno;
    printf("munmap unaligned: %d (%s)\n", e2, err2 == EINVAL ? "EINVAL" : "?");

    /* brk, through the system call (musl's sbrk refuses to move the break) */
    uintptr_t b0 = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t b1 = (uintptr_t)syscall(SYS_brk, b0 + 3 * PG + 100);
    printf("brk grow: by %ld\n", (long)(b1 - b0));
    if (b1 == b0 + 3 * PG + 100) {
        printf("new heap zero %d\n", all_zero((unsigned char *)b0, 3 * PG + 100));
        memset((void *)b0, 0x42, 3 * PG + 100);
        uintptr_t b2 = (uintptr_t)syscall(SYS_brk, b0 + PG);
        printf("brk shrink: to +%ld, content %02x\n", (long)(b2 - b0), *(unsigned char *)(b0 + 10));
        uintptr_t b3 = (uintptr_t)syscall(SYS_brk, b0 + 2 * PG);
        uintptr_t lo = (b0 + PG + PG - 1) & ~(PG - 1); /* first page released by the shrink */
        printf("brk regrow: to +%ld, released-and-regrown bytes zero %d\n", (long)(b3 - b0),
               lo < b0 + 2 * PG ? all_zero((unsigned char *)lo, b0 + 2 * PG - lo) : 1);
    }
    uintptr_t b4 = (uintptr_t)syscall(SYS_brk, 1);
    printf("brk below the start refused: %d\n", b4 != 1);
    return 0;
}
