/* numaprog: NUMA memory policies through the raw system calls (musl has no libnuma), for
 * tests/numa/test_numa.c. Built with musl-gcc -static; runs under `emu run` (SE mode). It is not
 * a differential program: where frames land depends on the machine, not on the code.
 *
 *   place POLICY NODES PAGES task|vma [huge]
 *       set POLICY (default, local, preferred, bind, interleave, preferred_many) over NODES (a list
 *       like 0,1 or -) for the task (set_mempolicy) or the buffer (mbind), then write PAGES pages of
 *       a fresh anonymous buffer (2 MiB-aligned with MADV_HUGEPAGE when huge) and print how many
 *       are on each node, as move_pages(nodes=NULL) reports it; get_mempolicy(MPOL_F_NODE |
 *       MPOL_F_ADDR) must agree page by page.
 *   chase POLICY NODES KIB ITERS
 *       the pointer chase of tests/timing/tlbprog.c (2 MiB pages, one random cycle through every
 *       line, ITERS measured loads between EMU_ROI_BEGIN and EMU_ROI_END) over memory placed by the
 *       task policy POLICY NODES.
 *   move PAGES
 *       bind a buffer to node 0 and fill it; mbind(MPOL_BIND {1}, MPOL_MF_MOVE) moves it to node 1;
 *       move_pages() moves half back to node 0; migrate_pages({1} -> {0}) the rest. The data must
 *       survive every move.
 *   errors
 *       the error cases of the calls (two-node machine); prints each check, exits 1 on a failure.
 *   getcpu
 *       prints the CPU and node getcpu(2) reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu_roi.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1
#define MPOL_MF_MOVE 2
#define MPOL_MF_MOVE_ALL 4
#define MAXNODE 65 /* one unsigned long of mask: the kernel reads maxnode - 1 bits */
#define PAGE 4096ul
#define HP (2ul << 20)

static long set_mempolicy_(int mode, const unsigned long *mask, unsigned long maxnode)
{
    return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}
static long get_mempolicy_(int *mode, unsigned long *mask, unsigned long maxnode, void *addr, unsigned long flags)
{
    return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}
static long mbind_(void *addr, unsigned long len, int mode, const unsigned long *mask, unsigned long maxnode,
                   unsigned flags)
{
    return syscall(SYS_mbind, addr, len, mode, mask, maxnode, flags);
}
static long move_pages_(int pid, unsigned long count, void **pages, const int *nodes, int *status, int flags)
{
    return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}
static long migrate_pages_(int pid, unsigned long maxnode, const unsigned long *from, const unsigned long *to)
{
    return syscall(SYS_migrate_pages, pid, maxnode, from, to);
}

static int policy_of(const char *s)
{
    static const char *const names[] = {"default", "preferred", "bind", "interleave", "local", "preferred_many"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, names[i]))
            return i;
    fprintf(stderr, "unknown policy %s\n", s);
    exit(2);
}

static unsigned long mask_of(const char *s)
{
    unsigned long m = 0;
    if (!strcmp(s, "-"))
        return 0;
    for (char *e; *s; s = *e ? e + 1 : e)
        m |= 1ul << strtoul(s, &e, 10);
    return m;
}

/* A buffer of len bytes, 2 MiB-aligned (with THP asked for) when huge. */
static char *buffer(unsigned long len, int huge)
{
    if (!huge) {
        char *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return b == MAP_FAILED ? NULL : b;
    }
    unsigned long span = (len + HP - 1) & ~(HP - 1);
    char *raw = mmap(NULL, span + HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *b = (char *)(((uintptr_t)raw + HP - 1) & ~(HP - 1));
    madvise(b, span, MADV_HUGEPAGE);
    return b;
}

/* Count the pages of [b, b + n pages) per node (move_pages), checking get_mempolicy agrees. */
static int count_nodes(char *b, unsigned long n, unsigned long per[8])
{
    memset(per, 0, 8 * sizeof(unsigned long));
    void **pages = malloc(n * sizeof(void *));
    int *status = malloc(n * sizeof(int));
    for (unsigned long i = 0; i < n; i++)
        pages[i] = b + i * PAGE;
    if (move_pages_(0, n, pages, NULL, status, 0) != 0) {
        printf("move_pages: %s\n", strerror(errno));
        return -1;
    }
    for (unsigned long i = 0; i < n; i++) {
        int node = -1;
        if (get_mempolicy_(&node, NULL, 0, pages[i], MPOL_F_NODE | MPOL_F_ADDR) != 0 || node != status[i]) {
            printf("page %lu: move_pages says %d, get_mempolicy %d\n", i, status[i], node);
            return -1;
        }
        if (status[i] >= 0 && status[i] < 8)
            per[status[i]]++;
    }
    free(pages);
    free(status);
    return 0;
}

static int place(int mode, unsigned long mask, unsigned long n, int task, int huge)
{
    unsigned long len = n * PAGE;
    char *b = buffer(len, huge);
    if (!b)
        return 1;
    long r = task ? set_mempolicy_(mode, mask ? &mask : NULL, MAXNODE)
                  : mbind_(b, huge ? (len + HP - 1) & ~(HP - 1) : len, mode, mask ? &mask : NULL, MAXNODE, 0);
    if (r) {
        printf("%s: %s\n", task ? "set_mempolicy" : "mbind", strerror(errno));
        return 1;
    }
    for (unsigned long i = 0; i < len; i += PAGE)
        b[i] = (char)i;
    unsigned long per[8];
    if (count_nodes(b, n, per))
        return 1;
    printf("pages");
    for (int i = 0; i < 8; i++)
        printf(" %lu", per[i]);
    printf("\n");
    return 0;
}

static int chase(int mode, unsigned long mask, unsigned long kib, unsigned long iters)
{
    if (set_mempolicy_(mode, mask ? &mask : NULL, MAXNODE)) {
        printf("set_mempolicy: %s\n", strerror(errno));
        return 1;
    }
    unsigned long bytes = kib << 10, n = bytes / 64;
    char *buf = buffer(bytes, 1);
    unsigned *perm = malloc(n * sizeof(unsigned));
    if (!buf || !perm || n < 2)
        return 1;
    for (unsigned long i = 0; i < n; i++)
        perm[i] = (unsigned)i;
    uint64_t x = 12345;
    for (unsigned long i = n - 1; i > 0; i--) { /* Sattolo: one cycle through every line */
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned long j = (unsigned long)((x >> 33) % i);
        unsigned t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (unsigned long i = 0; i < n; i++)
        *(void **)(buf + (unsigned long)perm[i] * 64) = buf + (unsigned long)perm[(i + 1) % n] * 64;
    free(perm);
    void **p = (void **)buf;
    for (unsigned long i = 0; i < n; i++)
        p = *p;
    EMU_ROI_BEGIN();
    for (unsigned long i = 0; i < iters; i++)
        p = *(void **)p;
    EMU_ROI_END();
    printf("chase end %lu\n", (unsigned long)((char *)p - buf) / 64);
    return 0;
}

static unsigned long checksum(const char *b, unsigned long len)
{
    unsigned long s = 0;
    for (unsigned long i = 0; i < len; i += 8)
        s = s * 31 + *(const unsigned long *)(b + i);
    return s;
}

static int move(unsigned long n)
{
    unsigned long len = n * PAGE, m0 = 1, m1 = 2, per[8];
    char *b = buffer(len, 0);
    if (!b || mbind_(b, len, MPOL_BIND, &m0, MAXNODE, 0))
        return 1;
    for (unsigned long i = 0; i < len; i += 8)
        *(unsigned long *)(b + i) = i * 2654435761ul;
    unsigned long sum = checksum(b, len);
    count_nodes(b, n, per);
    printf("bound to 0: %lu %lu\n", per[0], per[1]);
    /* Without MPOL_MF_MOVE the pages stay; with MPOL_MF_STRICT alone that is an error (EIO). */
    long r = mbind_(b, len, MPOL_BIND, &m1, MAXNODE, MPOL_MF_STRICT);
    printf("strict without move: %ld %s\n", r, r ? strerror(errno) : "");
    r = mbind_(b, len, MPOL_BIND, &m1, MAXNODE, MPOL_MF_MOVE | MPOL_MF_STRICT);
    count_nodes(b, n, per);
    printf("mbind move to 1: %ld: %lu %lu, data %s\n", r, per[0], per[1], checksum(b, len) == sum ? "same" : "CHANGED");
    void **pages = malloc(n * sizeof(void *));
    int *nodes = malloc(n * sizeof(int)), *status = malloc(n * sizeof(int));
    for (unsigned long i = 0; i < n / 2; i++) {
        pages[i] = b + i * PAGE;
        nodes[i] = 0;
        status[i] = -1000;
    }
    r = move_pages_(0, n / 2, pages, nodes, status, MPOL_MF_MOVE);
    count_nodes(b, n, per);
    printf("move_pages half to 0: %ld, status[0] %d: %lu %lu, data %s\n", r, status[0], per[0], per[1],
           checksum(b, len) == sum ? "same" : "CHANGED");
    r = migrate_pages_(0, MAXNODE, &m1, &m0);
    count_nodes(b, n, per);
    printf("migrate_pages 1 -> 0: %ld: %lu %lu, data %s\n", r, per[0], per[1], checksum(b, len) == sum ? "same" : "CHANGED");
    return 0;
}

static int failures;

/* r must be -1 with errno e (e 0: r must be 0). */
static void expect(const char *what, long r, int e)
{
    int ok = e ? (r == -1 && errno == e) : r == 0;
    if (ok)
        printf("ok   %s\n", what);
    else
        printf("FAIL %s: got %ld (%s), expected %s\n", what, r, r ? strerror(errno) : "0", e ? strerror(e) : "0");
    failures += !ok;
}

static void expect_val(const char *what, long got, long want)
{
    if (got == want)
        printf("ok   %s\n", what);
    else
        printf("FAIL %s: got %ld, expected %ld\n", what, got, want);
    failures += got != want;
}

static int errors(void)
{
    unsigned long zero = 0, n0 = 1, n1 = 2, both = 3, far = 1ul << 40, big[4] = {1, 0, 0, 0};
    int mode = -1;
    unsigned long mask = 99;
    expect("set_mempolicy bad mode", set_mempolicy_(7, NULL, 0), EINVAL);
    expect("set_mempolicy negative mode", set_mempolicy_(-1, NULL, 0), EINVAL);
    expect("set_mempolicy static|relative", set_mempolicy_(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES,
                                                           &n0, MAXNODE), EINVAL);
    expect("set_mempolicy bind, no mask", set_mempolicy_(MPOL_BIND, NULL, 0), EINVAL);
    expect("set_mempolicy bind, empty mask", set_mempolicy_(MPOL_BIND, &zero, MAXNODE), EINVAL);
    expect("set_mempolicy interleave, empty mask", set_mempolicy_(MPOL_INTERLEAVE, &zero, MAXNODE), EINVAL);
    expect("set_mempolicy bind, no such node", set_mempolicy_(MPOL_BIND, &far, MAXNODE), EINVAL);
    expect("set_mempolicy bind, bad pointer", set_mempolicy_(MPOL_BIND, (void *)8, MAXNODE), EFAULT);
    expect("set_mempolicy default with nodes", set_mempolicy_(MPOL_DEFAULT, &n0, MAXNODE), EINVAL);
    expect("set_mempolicy local with nodes", set_mempolicy_(MPOL_LOCAL, &n0, MAXNODE), EINVAL);
    expect("set_mempolicy maxnode 0 with a mask", set_mempolicy_(MPOL_BIND, &n0, 0), EINVAL);
    expect("set_mempolicy maxnode 1 reads no bit", set_mempolicy_(MPOL_BIND, &n0, 1), EINVAL);
    expect("set_mempolicy maxnode 2 reads node 0", set_mempolicy_(MPOL_BIND, &n0, 2), 0);
    expect("set_mempolicy maxnode 2 drops node 1", set_mempolicy_(MPOL_BIND, &n1, 2), EINVAL);
    expect("set_mempolicy bits past MAX_NUMNODES", set_mempolicy_(MPOL_BIND, (unsigned long[17]){[16] = 1}, 1089), EINVAL);
    expect("set_mempolicy 256-bit mask", set_mempolicy_(MPOL_BIND, big, 257), 0);
    expect("set_mempolicy bind {0,40} keeps 0", set_mempolicy_(MPOL_BIND, (unsigned long[]){1 | far}, MAXNODE), 0);
    expect("get_mempolicy", get_mempolicy_(&mode, &mask, MAXNODE, NULL, 0), 0);
    expect_val("  mode bind", mode, MPOL_BIND);
    expect_val("  mask {0}", (long)mask, 1);
    expect("set_mempolicy relative {3} on 2 nodes", set_mempolicy_(MPOL_BIND | MPOL_F_RELATIVE_NODES,
                                                                   (unsigned long[]){8}, MAXNODE), 0);
    get_mempolicy_(&mode, &mask, MAXNODE, NULL, 0);
    expect_val("  mode bind|relative", mode, MPOL_BIND | MPOL_F_RELATIVE_NODES);
    expect_val("  mask as given", (long)mask, 8);
    expect("set_mempolicy preferred, no mask", set_mempolicy_(MPOL_PREFERRED, NULL, 0), 0);
    get_mempolicy_(&mode, &mask, MAXNODE, NULL, 0);
    expect_val("  becomes local", mode, MPOL_LOCAL);
    expect_val("  with no nodes", (long)mask, 0);
    expect("set_mempolicy preferred {0,1}", set_mempolicy_(MPOL_PREFERRED, &both, MAXNODE), 0);
    get_mempolicy_(&mode, &mask, MAXNODE, NULL, 0);
    expect_val("  keeps its first node", (long)mask, 1);
    expect("set_mempolicy preferred static, no mask", set_mempolicy_(MPOL_PREFERRED | MPOL_F_STATIC_NODES, NULL, 0),
           EINVAL);
    expect("get_mempolicy maxnode below the node count", get_mempolicy_(&mode, &mask, 1, NULL, 0), EINVAL);
    expect("get_mempolicy bad flags", get_mempolicy_(&mode, NULL, 0, NULL, 8), EINVAL);
    expect("get_mempolicy addr without MPOL_F_ADDR", get_mempolicy_(&mode, NULL, 0, &mode, 0), EINVAL);
    expect("get_mempolicy MPOL_F_NODE, not interleaving", get_mempolicy_(&mode, NULL, 0, NULL, MPOL_F_NODE), EINVAL);
    expect("get_mempolicy unmapped address", get_mempolicy_(&mode, NULL, 0, (void *)4096, MPOL_F_ADDR), EFAULT);
    expect("get_mempolicy bad policy pointer", get_mempolicy_((int *)8, NULL, 0, NULL, 0), EFAULT);
    expect("get_mempolicy bad mask pointer", get_mempolicy_(&mode, (unsigned long *)8, MAXNODE, NULL, 0), EFAULT);
    expect("get_mempolicy MEMS_ALLOWED with ADDR", get_mempolicy_(&mode, &mask, MAXNODE, NULL,
                                                                  MPOL_F_MEMS_ALLOWED | MPOL_F_ADDR), EINVAL);
    expect("get_mempolicy MEMS_ALLOWED", get_mempolicy_(&mode, &mask, MAXNODE, NULL, MPOL_F_MEMS_ALLOWED), 0);
    expect_val("  every node", (long)mask, 3);
    expect("set_mempolicy interleave {0,1}", set_mempolicy_(MPOL_INTERLEAVE, &both, MAXNODE), 0);
    expect("get_mempolicy MPOL_F_NODE: next interleave node", get_mempolicy_(&mode, NULL, 0, NULL, MPOL_F_NODE), 0);
    expect_val("  node 0 first", mode, 0);
    expect("set_mempolicy default", set_mempolicy_(MPOL_DEFAULT, NULL, 0), 0);
    get_mempolicy_(&mode, &mask, MAXNODE, NULL, 0);
    expect_val("  mode default", mode, MPOL_DEFAULT);

    char *b = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(b + 2 * PAGE, PAGE);
    expect("mbind unaligned", mbind_(b + 1, PAGE, MPOL_BIND, &n0, MAXNODE, 0), EINVAL);
    expect("mbind bad flags", mbind_(b, PAGE, MPOL_BIND, &n0, MAXNODE, 8), EINVAL);
    expect("mbind MPOL_MF_MOVE_ALL (no CAP_SYS_NICE)", mbind_(b, PAGE, MPOL_BIND, &n0, MAXNODE, MPOL_MF_MOVE_ALL), EPERM);
    expect("mbind length 0", mbind_(b, 0, MPOL_BIND, &zero, MAXNODE, 0), 0);
    expect("mbind empty mask", mbind_(b, PAGE, MPOL_BIND, &zero, MAXNODE, 0), EINVAL);
    expect("mbind bad mode", mbind_(b, PAGE, 9, &n0, MAXNODE, 0), EINVAL);
    expect("mbind bad mask pointer", mbind_(b, PAGE, MPOL_BIND, (void *)8, MAXNODE, 0), EFAULT);
    expect("mbind over a hole", mbind_(b, 4 * PAGE, MPOL_BIND, &n1, MAXNODE, 0), EFAULT);
    expect("mbind default over a hole", mbind_(b, 4 * PAGE, MPOL_DEFAULT, NULL, 0, 0), 0);
    expect("mbind unmapped", mbind_(b + 2 * PAGE, PAGE, MPOL_DEFAULT, NULL, 0, 0), EFAULT);
    expect("mbind interleave", mbind_(b, 2 * PAGE, MPOL_INTERLEAVE, &both, MAXNODE, 0), 0);
    expect("get_mempolicy MPOL_F_ADDR", get_mempolicy_(&mode, &mask, MAXNODE, b + PAGE, MPOL_F_ADDR), 0);
    expect_val("  the VMA's mode", mode, MPOL_INTERLEAVE);
    expect_val("  the VMA's nodes", (long)mask, 3);
    expect("get_mempolicy MPOL_F_ADDR, no VMA policy", get_mempolicy_(&mode, &mask, MAXNODE, b + 3 * PAGE,
                                                                      MPOL_F_ADDR), 0);
    expect_val("  default", mode, MPOL_DEFAULT);
    expect("get_mempolicy node of a page (faults it in)", get_mempolicy_(&mode, NULL, 0, b + PAGE,
                                                                         MPOL_F_NODE | MPOL_F_ADDR), 0);
    expect_val("  interleave: page index 1 -> node 1 when the index is odd",
               mode, (long)(((uintptr_t)(b + PAGE) / PAGE) & 1));

    void *pages[3] = {b, b + 2 * PAGE, b + 3 * PAGE};
    int status[3] = {-1, -1, -1}, nodes[3] = {0, 0, 5};
    expect("move_pages query", move_pages_(0, 3, pages, NULL, status, 0), 0);
    expect_val("  an untouched anonymous page: -EFAULT", status[0], -EFAULT);
    expect_val("  an unmapped page: -EFAULT", status[1], -EFAULT);
    expect("move_pages other pid", move_pages_(12345, 1, pages, NULL, status, 0), ESRCH);
    expect("move_pages bad flags", move_pages_(0, 1, pages, NULL, status, 8), EINVAL);
    expect("move_pages MPOL_MF_MOVE_ALL", move_pages_(0, 1, pages, NULL, status, MPOL_MF_MOVE_ALL), EPERM);
    expect("move_pages node 5", move_pages_(0, 3, pages, nodes, status, MPOL_MF_MOVE), ENODEV);
    expect("move_pages bad status pointer", move_pages_(0, 1, pages, NULL, (int *)8, 0), EFAULT);
    expect("migrate_pages to no node", migrate_pages_(0, MAXNODE, &n0, &zero), EINVAL);
    expect("migrate_pages to a node that does not exist", migrate_pages_(0, MAXNODE, &n0, &far), EPERM);
    expect("migrate_pages other pid", migrate_pages_(12345, MAXNODE, &n0, &n1), ESRCH);
    expect("migrate_pages 1 -> 1", migrate_pages_(0, MAXNODE, &n1, &n1), 0);
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "place"))
        return place(policy_of(argv[2]), mask_of(argv[3]), strtoul(argv[4], NULL, 0),
                     argc < 6 || strcmp(argv[5], "vma") != 0, argc >= 7 && !strcmp(argv[6], "huge"));
    if (argc >= 6 && !strcmp(argv[1], "chase"))
        return chase(policy_of(argv[2]), mask_of(argv[3]), strtoul(argv[4], NULL, 0), strtoul(argv[5], NULL, 0));
    if (argc >= 3 && !strcmp(argv[1], "move"))
        return move(strtoul(argv[2], NULL, 0));
    if (argc >= 2 && !strcmp(argv[1], "errors"))
        return errors();
    if (argc >= 2 && !strcmp(argv[1], "getcpu")) {
        unsigned cpu = 99, node = 99;
        long r = syscall(SYS_getcpu, &cpu, &node, NULL);
        printf("getcpu %ld: cpu %u node %u\n", r, cpu, node);
        return 0;
    }
    fprintf(stderr, "usage: %s place POLICY NODES PAGES task|vma [huge] | chase POLICY NODES KIB ITERS | move PAGES | "
                    "errors | getcpu\n", argv[0]);
    return 2;
}
