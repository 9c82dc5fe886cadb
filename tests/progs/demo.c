/* The demo that `make run` shows: a few small, memory-hungry integer tasks with friendly output.
 * Deterministic (same output natively and under emu), well under a second natively. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint32_t next32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* 1,234,567 -> "1,234,567" */
static const char *commas(unsigned long v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lu", v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

static void sort_integers(void)
{
    enum { N = 1 << 18 };
    uint32_t *a = malloc(N * sizeof *a), *tmp = malloc(N * sizeof *tmp);
    for (size_t i = 0; i < N; i++)
        a[i] = next32();
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < N; i++)
            count[((a[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < N; i++)
            tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
        uint32_t *t = a;
        a = tmp;
        tmp = t;
    }
    int ok = 1;
    for (size_t i = 1; i < N; i++)
        ok &= a[i - 1] <= a[i];
    char b1[32], b2[32], b3[32], b4[32];
    printf("  1. Sorted %s pseudo-random 32-bit integers (%d MiB) with a radix sort.\n", commas(N, b1),
           (int)(N * sizeof *a >> 20));
    printf("     smallest %s, median %s, largest %s (order %s)\n", commas(a[0], b2), commas(a[N / 2], b3),
           commas(a[N - 1], b4), ok ? "verified" : "WRONG");
    free(a);
    free(tmp);
}

struct entry {
    char word[8];
    uint32_t count;
    struct entry *next;
};

static void count_words(void)
{
    enum { TEXT = 1 << 19, BUCKETS = 1 << 12 };
    static const char *syllables[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po"};
    char *text = malloc(TEXT + 1);
    size_t len = 0;
    while (len + 8 < TEXT) {
        int parts = 1 + (int)(next32() % 3);
        for (int p = 0; p < parts; p++) {
            memcpy(text + len, syllables[next32() % 8], 2);
            len += 2;
        }
        text[len++] = ' ';
    }
    text[len] = 0;
    struct entry **table = calloc(BUCKETS, sizeof *table);
    unsigned long words = 0, distinct = 0;
    for (char *p = text; *p;) {
        char *e = strchr(p, ' ');
        size_t n = (size_t)(e - p);
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i++)
            h = (h ^ (uint8_t)p[i]) * 16777619u;
        struct entry **slot = &table[h % BUCKETS], *it;
        for (it = *slot; it; it = it->next)
            if (strncmp(it->word, p, n) == 0 && it->word[n] == 0)
                break;
        if (!it) {
            it = calloc(1, sizeof *it);
            memcpy(it->word, p, n);
            it->next = *slot;
            *slot = it;
            distinct++;
        }
        it->count++;
        words++;
        p = e + 1;
    }
    struct entry *best = NULL;
    for (int b = 0; b < BUCKETS; b++)
        for (struct entry *it = table[b]; it; it = it->next)
            if (!best || it->count > best->count || (it->count == best->count && strcmp(it->word, best->word) < 0))
                best = it;
    char b1[32], b2[32], b3[32];
    printf("  2. Counted the words of a generated %d KiB text in a chained hash table.\n", TEXT >> 10);
    printf("     %s words, %s distinct; the most common is \"%s\" (%s times)\n", commas(words, b1),
           commas(distinct, b2), best->word, commas(best->count, b3));
    for (int b = 0; b < BUCKETS; b++)
        for (struct entry *it = table[b], *nx; it; it = nx) {
            nx = it->next;
            free(it);
        }
    free(table);
    free(text);
}

static void sieve(void)
{
    enum { LIMIT = 1000000 };
    unsigned char *composite = calloc(LIMIT, 1);
    unsigned long count = 0, largest = 0;
    for (unsigned long i = 2; i < LIMIT; i++) {
        if (composite[i])
            continue;
        count++;
        largest = i;
        for (unsigned long j = i * i; j < LIMIT; j += i)
            composite[j] = 1;
    }
    char b1[32], b2[32], b3[32];
    printf("  3. Sieve of Eratosthenes: %s primes below %s; the largest is %s.\n", commas(count, b1),
           commas(LIMIT, b2), commas(largest, b3));
    free(composite);
}

static void linked_list(void)
{
    enum { NODES = 100000 };
    struct node {
        struct node *next;
        uint64_t value;
    } *head = NULL;
    for (uint64_t i = 1; i <= NODES; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * i;
        n->next = head;
        head = n;
    }
    struct node *rev = NULL;
    while (head) {
        struct node *nx = head->next;
        head->next = rev;
        rev = head;
        head = nx;
    }
    uint64_t sum = 0, first = rev->value;
    while (rev) {
        struct node *nx = rev->next;
        sum += rev->value;
        free(rev);
        rev = nx;
    }
    char b1[32], b2[32];
    printf("  4. Built a %s-node linked list on the heap, reversed it (head now %llu) and summed it: %s.\n",
           commas(NODES, b1), (unsigned long long)first, commas(sum, b2));
}

int main(void)
{
    printf("emu demo: sorting, hashing and searching in a few MiB of memory\n\n");
    sort_integers();
    count_words();
    sieve();
    linked_list();
    printf("\nDone. Every load and store above went through the emulated MMU; try\n"
           "  build/emu run --timing=tlb --stats=stats.json -- build/progs/demo\n"
           "for every counter, or --set tlb.dtlb_4k_entries=16 for a smaller dTLB.\n");
    return 0;
}
