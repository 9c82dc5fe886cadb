/* Everyday algorithms on integers: an open-addressing hash table (insert, look up, delete with
 * tombstones), a binary heap, merge sort and LSD radix sort checked against each other, Dijkstra on a
 * grid, longest common subsequence by dynamic programming, KMP search, and union-find. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "progs.h"

/* ---- hash table ---- */
enum { HBITS = 15, HSIZE = 1 << HBITS };
static uint64_t hkeys[HSIZE];
static uint32_t hvals[HSIZE];
static uint8_t hstate[HSIZE]; /* 0 empty, 1 used, 2 deleted */
static unsigned long probes;

static uint32_t slot_of(uint64_t k) { return (uint32_t)((k * 0x9e3779b97f4a7c15ULL) >> (64 - HBITS)); }

static int ht_put(uint64_t k, uint32_t v)
{
    uint32_t i = slot_of(k), tomb = UINT32_MAX;
    for (;; i = (i + 1) & (HSIZE - 1)) {
        probes++;
        if (hstate[i] == 0)
            break;
        if (hstate[i] == 2 && tomb == UINT32_MAX)
            tomb = i;
        if (hstate[i] == 1 && hkeys[i] == k) {
            hvals[i] = v;
            return 0;
        }
    }
    if (tomb != UINT32_MAX)
        i = tomb;
    hstate[i] = 1, hkeys[i] = k, hvals[i] = v;
    return 1;
}

static uint32_t *ht_get(uint64_t k)
{
    for (uint32_t i = slot_of(k);; i = (i + 1) & (HSIZE - 1)) {
        probes++;
        if (hstate[i] == 0)
            return NULL;
        if (hstate[i] == 1 && hkeys[i] == k)
            return &hvals[i];
    }
}

static int ht_del(uint64_t k)
{
    uint32_t *v = ht_get(k);
    if (!v)
        return 0;
    hstate[v - hvals] = 2;
    return 1;
}

/* ---- heap ---- */
static uint32_t heap[1 << 16];
static int heapn;
static void heap_push(uint32_t v)
{
    int i = heapn++;
    heap[i] = v;
    while (i && heap[(i - 1) / 2] > heap[i]) {
        uint32_t t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}
static uint32_t heap_pop(void)
{
    uint32_t top = heap[0];
    heap[0] = heap[--heapn];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < heapn && heap[l] < heap[m])
            m = l;
        if (r < heapn && heap[r] < heap[m])
            m = r;
        if (m == i)
            break;
        uint32_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- sorts ---- */
static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static void radix_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 0xff]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

/* ---- union-find ---- */
static int parent[10000];
static int find(int x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

int main(void)
{
    uint64_t seed = 99;

    /* hash table */
    unsigned long inserted = 0, found = 0, deleted = 0;
    uint64_t keys[20000];
    for (int i = 0; i < 20000; i++) {
        keys[i] = rng_next(&seed) % 50000;
        inserted += (unsigned long)ht_put(keys[i], (uint32_t)i);
    }
    for (int i = 0; i < 20000; i += 3)
        deleted += (unsigned long)ht_del(keys[i]);
    uint64_t h = FNV_INIT;
    for (uint64_t k = 0; k < 50000; k++) {
        uint32_t *v = ht_get(k);
        if (v) {
            found++;
            h = mix64(h, k * 100000 + *v);
        }
    }
    printf("hash table: %lu new keys, %lu deleted, %lu found, %lu probes, checksum %016llx\n", inserted, deleted, found,
           probes, (unsigned long long)h);

    /* sorting */
    enum { N = 1 << 14 };
    static uint32_t a[N], b[N], c[N], tmp[N];
    for (int i = 0; i < N; i++)
        a[i] = b[i] = (uint32_t)rng_next(&seed);
    merge_sort(a, tmp, N);
    radix_sort(b, tmp, N);
    for (int i = 0; i < N; i++)
        heap_push((uint32_t)(c[i] = a[(i * 7919) % N]));
    int same = memcmp(a, b, sizeof a) == 0, heap_ok = 1;
    for (int i = 0; i < N; i++)
        heap_ok &= heap_pop() == a[i];
    printf("sorts: merge == radix %d, heap order %d, min %u, max %u, checksum %016llx\n", same, heap_ok, a[0], a[N - 1],
           (unsigned long long)fnv1a(a, sizeof a, FNV_INIT));

    /* Dijkstra on a 64x64 grid with weights 1..9, using the heap (distance << 12 | node) */
    enum { W = 64 };
    static uint8_t cost[W * W];
    static uint32_t dist[W * W];
    for (int i = 0; i < W * W; i++)
        cost[i] = (uint8_t)(rng_next(&seed) % 9 + 1), dist[i] = UINT32_MAX;
    heapn = 0;
    dist[0] = 0;
    heap_push(0);
    while (heapn) {
        uint32_t e = heap_pop(), d = e >> 12, u = e & 0xfff;
        if (d != dist[u])
            continue;
        int ux = (int)(u % W), uy = (int)(u / W);
        static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int k = 0; k < 4; k++) {
            int vx = ux + dx[k], vy = uy + dy[k];
            if (vx < 0 || vy < 0 || vx >= W || vy >= W)
                continue;
            uint32_t v = (uint32_t)(vy * W + vx), nd = d + cost[v];
            if (nd < dist[v]) {
                dist[v] = nd;
                heap_push(nd << 12 | v);
            }
        }
    }
    printf("dijkstra: corner to corner %u, to centre %u\n", dist[W * W - 1], dist[(W / 2) * W + W / 2]);

    /* LCS */
    static char s1[601], s2[601];
    for (int i = 0; i < 600; i++)
        s1[i] = (char)('a' + rng_next(&seed) % 4), s2[i] = (char)('a' + rng_next(&seed) % 4);
    static uint16_t dp[2][601];
    for (int i = 1; i <= 600; i++)
        for (int j = 1; j <= 600; j++)
            dp[i & 1][j] = s1[i - 1] == s2[j - 1] ? (uint16_t)(dp[(i - 1) & 1][j - 1] + 1)
                                                  : (dp[(i - 1) & 1][j] > dp[i & 1][j - 1] ? dp[(i - 1) & 1][j] : dp[i & 1][j - 1]);
    printf("lcs of two 600-letter strings: %u\n", dp[0][600]);

    /* KMP */
    const char *pat = "abcabd";
    int fail[8] = {0};
    for (int i = 1, k = 0; pat[i]; i++) {
        while (k && pat[i] != pat[k])
            k = fail[k - 1];
        if (pat[i] == pat[k])
            k++;
        fail[i] = k;
    }
    static char text[200001];
    for (int i = 0; i < 200000; i++)
        text[i] = (char)('a' + rng_next(&seed) % 4);
    int matches = 0, first = -1;
    for (int i = 0, k = 0; text[i]; i++) {
        while (k && text[i] != pat[k])
            k = fail[k - 1];
        if (text[i] == pat[k])
            k++;
        if (!pat[k]) {
            if (first < 0)
                first = i - k + 1;
            matches++;
            k = fail[k - 1];
        }
    }
    printf("kmp: %d matches of %s, first at %d\n", matches, pat, first);

    /* union-find */
    for (int i = 0; i < 10000; i++)
        parent[i] = i;
    int sets = 10000;
    for (int i = 0; i < 9000; i++) {
        int x = find((int)(rng_next(&seed) % 10000)), y = find((int)(rng_next(&seed) % 10000));
        if (x != y)
            parent[x] = y, sets--;
    }
    printf("union-find: %d sets left\n", sets);
    return 0;
}
