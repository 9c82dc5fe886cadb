/* libc string and memory functions at many lengths and alignments: strlen, strcmp, strncmp, memcmp,
 * memcpy, memmove (both directions, overlapping), memset, memchr, strchr, strrchr, strstr, strspn,
 * strcspn, strtok, strtol/strtoul/strtoll/strtoull (bases, signs, overflow, endptr, errno), atoi,
 * qsort, bsearch, snprintf into small buffers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "progs.h"

/* Truncating strncat and snprintf calls are what is being tested. */
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#pragma GCC diagnostic ignored "-Wformat-truncation"

static unsigned char bufa[4096 + 64], bufb[4096 + 64];

static int sgn(int v) { return (v > 0) - (v < 0); }

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rec {
    unsigned key;
    char name[13];
};
static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return strcmp(x->name, y->name);
}

int main(void)
{
    uint64_t seed = 12345, h;
    unsigned long n;

    /* strlen at every alignment and length up to 300 */
    h = FNV_INIT, n = 0;
    for (int al = 0; al < 16; al++)
        for (int len = 0; len < 300; len++) {
            memset(bufa, 'x', 400);
            bufa[al + len] = 0;
            h = mix64(h, strlen((char *)bufa + al));
            n++;
        }
    report("strlen", h, n);

    /* memcmp / strcmp / strncmp: equal prefixes then a difference at every position */
    h = FNV_INIT, n = 0;
    for (int len = 0; len < 200; len += 3)
        for (int pos = 0; pos <= len; pos += 5)
            for (int al = 0; al < 8; al += 3) {
                for (int i = 0; i < len + 1; i++)
                    bufa[al + i] = bufb[i] = (unsigned char)('A' + (i * 7) % 26);
                bufa[al + len] = bufb[len] = 0;
                if (pos < len)
                    bufb[pos] = (unsigned char)(bufb[pos] + ((pos & 1) ? 1 : 0x90)); /* also a byte >= 0x80 */
                h = mix64(h, (uint64_t)sgn(memcmp(bufa + al, bufb, (size_t)len)));
                h = mix64(h, (uint64_t)sgn(strcmp((char *)bufa + al, (char *)bufb)));
                h = mix64(h, (uint64_t)sgn(strncmp((char *)bufa + al, (char *)bufb, (size_t)pos)));
                n += 3;
            }
    report("memcmp/strcmp/strncmp", h, n);

    /* memcpy / memmove / memset: every small length and alignment, then some large ones */
    h = FNV_INIT, n = 0;
    for (int len = 0; len < 130; len++)
        for (int sa = 0; sa < 8; sa++)
            for (int da = 0; da < 8; da += 3) {
                for (int i = 0; i < 300; i++)
                    bufa[i] = (unsigned char)(i * 13 + len), bufb[i] = 0xee;
                memcpy(bufb + da, bufa + sa, (size_t)len);
                h = fnv1a(bufb, 300, h);
                n++;
            }
    for (int len = 0; len < 300; len += 7)
        for (int shift = -9; shift <= 9; shift += 3) {
            for (int i = 0; i < 600; i++)
                bufa[i] = (unsigned char)(i ^ len);
            memmove(bufa + 100 + shift, bufa + 100, (size_t)len);
            h = fnv1a(bufa, 600, h);
            memset(bufa + 50 + (len % 13), (int)(0x100 + len), (size_t)len);
            h = fnv1a(bufa, 600, h);
            n += 2;
        }
    for (size_t len = 1000; len <= 4096; len += 1031) {
        for (size_t i = 0; i < sizeof bufa; i++)
            bufa[i] = (unsigned char)rng_next(&seed);
        memcpy(bufb + 3, bufa + 1, len);
        memmove(bufa + 7, bufa, len);
        memmove(bufa, bufa + 5, len);
        h = fnv1a(bufa, sizeof bufa, fnv1a(bufb, sizeof bufb, h));
        n++;
    }
    report("memcpy/memmove/memset", h, n);

    /* searching */
    const char *text = "the quick brown fox jumps over the lazy dog; THE QUICK BROWN FOX, the end";
    const char *needles[] = {"the", "fox", "dog;", "end", "x", "", "quick brown", "lazy cat", "THE", "e e", "nd"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        const char *p = strstr(text, needles[i]);
        printf("strstr(\"%s\") = %ld\n", needles[i], p ? (long)(p - text) : -1L);
    }
    for (int c = 0; c < 256; c += 17) {
        const char *p = strchr(text, c), *q = strrchr(text, c);
        const void *m = memchr(text, c, strlen(text));
        printf("chr %3d: strchr %ld strrchr %ld memchr %ld\n", c, p ? (long)(p - text) : -1L,
               q ? (long)(q - text) : -1L, m ? (long)((const char *)m - text) : -1L);
    }
    printf("strspn %zu strcspn %zu strpbrk %ld\n", strspn(text, "eht "), strcspn(text, ";,"),
           (long)(strpbrk(text, "xyz") - text));
    char tokbuf[128];
    strcpy(tokbuf, "  alpha, beta;;gamma ,delta  epsilon;");
    printf("tokens:");
    for (char *tok = strtok(tokbuf, " ,;"); tok; tok = strtok(NULL, " ,;"))
        printf(" [%s]", tok);
    printf("\n");
    char cat[64] = "abc";
    strcat(cat, "def");
    strncat(cat, "ghijklmnop", 4);
    char cpy[16];
    memset(cpy, '#', sizeof cpy);
    strncpy(cpy, "short", sizeof cpy);
    printf("strcat: %s, strncpy tail: %d %d, strdup: %s\n", cat, cpy[5], cpy[15], strdup(cat + 2));

    /* number parsing */
    const char *nums[] = {"0", "42", "-42", "+17", "  \t 99xyz", "0x1F", "0X7fffffff", "077", "08", "z",
                          "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
                          "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                          "18446744073709551615", "18446744073709551616", "-1", "1010101", "zz", "0x",
                          "   -0x10", "+", "-", "123456789012345678901234567890"};
    int bases[] = {10, 0, 16, 2, 36, 8};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        printf("%-32s", nums[i]);
        for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
            char *end;
            errno = 0;
            long v = strtol(nums[i], &end, bases[b]);
            int e1 = errno;
            errno = 0;
            unsigned long long u = strtoull(nums[i], NULL, bases[b]);
            int e2 = errno;
            printf(" b%d:%ld/%ld/%d,%llu/%d", bases[b], v, (long)(end - nums[i]), e1 == ERANGE, u, e2 == ERANGE);
        }
        errno = 0;
        long long ll = strtoll(nums[i], NULL, 10);
        printf(" ll:%lld/%d atoi:%d\n", ll, errno == ERANGE, atoi(nums[i]));
    }
    {
        char *end;
        errno = 0;
        unsigned long ul = strtoul("-1", &end, 10);
        printf("strtoul(-1) = %lu, errno %d\n", ul, errno);
    }

    /* sorting and searching */
    enum { N = 6000 };
    static int arr[N];
    for (int i = 0; i < N; i++)
        arr[i] = (int)(rng_next(&seed) % 100000) - 50000;
    qsort(arr, N, sizeof arr[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= arr[i - 1] <= arr[i];
    printf("qsort ints: sorted=%d min=%d median=%d max=%d hash=%016llx\n", sorted, arr[0], arr[N / 2], arr[N - 1],
           (unsigned long long)fnv1a(arr, sizeof arr, FNV_INIT));
    unsigned long found = 0;
    for (int k = -50000; k < 50000; k += 37)
        found += bsearch(&k, arr, N, sizeof arr[0], cmp_int) != NULL;
    printf("bsearch found %lu of %d keys\n", found, 100000 / 37 + 1);

    static struct rec recs[1000];
    for (int i = 0; i < 1000; i++) {
        recs[i].key = (unsigned)(rng_next(&seed) % 50);
        snprintf(recs[i].name, sizeof recs[i].name, "r%08x", (unsigned)rng_next(&seed));
    }
    qsort(recs, 1000, sizeof recs[0], cmp_rec);
    printf("qsort structs: first %u/%s last %u/%s hash=%016llx\n", recs[0].key, recs[0].name, recs[999].key,
           recs[999].name, (unsigned long long)fnv1a(recs, sizeof recs, FNV_INIT));
    struct rec key = recs[567];
    struct rec *hit = bsearch(&key, recs, 1000, sizeof recs[0], cmp_rec);
    printf("bsearch struct: %ld\n", hit ? (long)(hit - recs) : -1L);

    const char *words[] = {"pear", "apple", "fig", "banana", "apple pie", "Apple", "cherry", "", "date", "fig"};
    const char *w[10];
    memcpy(w, words, sizeof w);
    qsort(w, 10, sizeof w[0], cmp_str);
    printf("qsort strings:");
    for (int i = 0; i < 10; i++)
        printf(" '%s'", w[i]);
    printf("\n");

    /* snprintf into small buffers: truncation and the returned length */
    for (size_t sz = 0; sz < 12; sz += 3) {
        char small[12];
        memset(small, '@', sizeof small);
        int r = snprintf(small, sz, "%d-%s-%x", -12345, "abc", 0xbeefu);
        printf("snprintf(%zu) = %d '%.*s'\n", sz, r, sz ? (int)strlen(small) : 0, sz ? small : "");
    }
    return 0;
}
