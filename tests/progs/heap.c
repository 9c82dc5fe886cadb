/* Heap churn: malloc/calloc/realloc/free of many sizes (small, page-sized, and large ones that musl
 * serves with mmap), contents checked after every move, aligned allocations, and a final checksum.
 * Prints no addresses: only sizes, contents and counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "progs.h"

enum { SLOTS = 512 };

struct slot {
    unsigned char *p;
    size_t size;
    uint8_t tag;
};

static int check(const struct slot *s)
{
    for (size_t i = 0; i < s->size; i += 1 + i / 16)
        if (s->p[i] != (uint8_t)(s->tag + i))
            return 0;
    return s->size == 0 || s->p[s->size - 1] == (uint8_t)(s->tag + s->size - 1);
}

/* Paint the bytes check() looks at (denser at the start, sparser further on) from `from` up. */
static void paint(struct slot *s, size_t from)
{
    for (size_t i = 0; i < s->size; i += 1 + i / 16)
        if (i >= from)
            s->p[i] = (uint8_t)(s->tag + i);
    if (s->size && s->size - 1 >= from)
        s->p[s->size - 1] = (uint8_t)(s->tag + s->size - 1);
}

static size_t pick_size(uint64_t *seed)
{
    uint64_t r = rng_next(seed);
    switch (r % 16) {
    case 0:
        return 0;
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
        return (size_t)(r >> 8) % 64 + 1;
    case 6:
    case 7:
    case 8:
    case 9:
        return (size_t)(r >> 8) % 1024;
    case 10:
    case 11:
        return (size_t)(r >> 8) % 8192;
    case 12:
        return 4096 * ((size_t)(r >> 8) % 4 + 1) + (size_t)(r >> 20) % 3 - 1;
    case 13:
    case 14:
        return (size_t)(r >> 8) % 65536;
    default:
        return 100000 + (size_t)(r >> 8) % 400000; /* large: mmap in musl */
    }
}

int main(void)
{
    static struct slot slots[SLOTS];
    uint64_t seed = 0xfeedfacecafebeefULL;
    unsigned long mallocs = 0, frees = 0, reallocs = 0, callocs = 0, bad = 0;
    size_t live_bytes = 0, peak = 0;

    for (int round = 0; round < 12000; round++) {
        struct slot *s = &slots[rng_next(&seed) % SLOTS];
        unsigned op = (unsigned)(rng_next(&seed) % 10);
        if (s->p && !check(s))
            bad++;
        if (!s->p || op < 3) {
            if (s->p) {
                free(s->p);
                frees++;
                live_bytes -= s->size;
            }
            s->size = pick_size(&seed);
            s->tag = (uint8_t)rng_next(&seed);
            if (op == 1) {
                s->p = calloc(1, s->size ? s->size : 1);
                callocs++;
                for (size_t i = 0; i < s->size; i += 97)
                    if (s->p[i] != 0)
                        bad++;
            } else {
                s->p = malloc(s->size ? s->size : 1);
                mallocs++;
            }
            if (!s->p) {
                printf("allocation of %zu bytes failed\n", s->size);
                return 1;
            }
            paint(s, 0);
            live_bytes += s->size;
        } else if (op < 7) {
            size_t ns = op == 6 ? s->size / 2 : pick_size(&seed);
            unsigned char *np = realloc(s->p, ns ? ns : 1);
            if (!np) {
                printf("realloc to %zu bytes failed\n", ns);
                return 1;
            }
            reallocs++;
            s->p = np;
            size_t old = s->size;
            s->size = ns;
            if (ns > old) {
                /* the old contents must have moved with it */
                struct slot tmp = {np, old, s->tag};
                if (!check(&tmp))
                    bad++;
                paint(s, old);
            } else {
                paint(s, ns ? ns - 1 : 0); /* the new last byte */
                if (!check(s))
                    bad++;
            }
            live_bytes = live_bytes - old + ns;
        } else if (op == 7) {
            free(s->p);
            frees++;
            live_bytes -= s->size;
            s->p = NULL;
            s->size = 0;
        }
        if (live_bytes > peak)
            peak = live_bytes;
    }
    uint64_t h = FNV_INIT;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            if (!check(&slots[i]))
                bad++;
            h = fnv1a(slots[i].p, slots[i].size < 256 ? slots[i].size : 256, mix64(h, slots[i].size));
            free(slots[i].p);
        }
    }
    printf("malloc %lu calloc %lu realloc %lu free %lu\n", mallocs, callocs, reallocs, frees);
    printf("peak live bytes %zu, final checksum %016llx, corrupted %lu\n", peak, (unsigned long long)h, bad);

    /* aligned allocations */
    unsigned long misaligned = 0;
    for (size_t al = 8; al <= 65536; al *= 4) {
        void *p = aligned_alloc(al, al * 3);
        void *q = NULL;
        if (posix_memalign(&q, al, 100) != 0 || !p || !q) {
            printf("aligned allocation of alignment %zu failed\n", al);
            return 1;
        }
        misaligned += ((uintptr_t)p % al != 0) + ((uintptr_t)q % al != 0);
        memset(p, 0x5a, al * 3);
        free(p);
        free(q);
    }
    printf("aligned allocations misaligned: %lu\n", misaligned);

    /* a linked list built, reversed and freed */
    struct node {
        struct node *next;
        unsigned long v;
    } *head = NULL;
    for (unsigned long i = 0; i < 30000; i++) {
        struct node *nd = malloc(sizeof *nd);
        nd->v = i * i;
        nd->next = head;
        head = nd;
    }
    struct node *rev = NULL;
    while (head) {
        struct node *nx = head->next;
        head->next = rev;
        rev = head;
        head = nx;
    }
    unsigned long sum = 0, count = 0;
    while (rev) {
        struct node *nx = rev->next;
        sum += rev->v ^ count++;
        free(rev);
        rev = nx;
    }
    printf("list: %lu nodes, sum %lu\n", count, sum);
    return bad ? 2 : 0;
}
