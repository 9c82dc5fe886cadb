/* Compute-bound benchmark: CRC-32, a hash-table workload, heap sort and modular arithmetic over a
 * buffer that stays in the L1/L2 cache. About 660 million instructions at the default scale.
 * Usage: compute [SCALE]   (work grows linearly with SCALE, default 16) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];
static uint64_t state = 0x853c49e6748fea9bULL;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t c)
{
    c = ~c;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static void heap_sort(uint32_t *a, size_t n)
{
    for (size_t start = n / 2; start-- > 0;) {
        for (size_t i = start;;) {
            size_t c = 2 * i + 1;
            if (c >= n)
                break;
            if (c + 1 < n && a[c + 1] > a[c])
                c++;
            if (a[i] >= a[c])
                break;
            uint32_t t = a[i];
            a[i] = a[c];
            a[c] = t;
            i = c;
        }
    }
    for (size_t end = n - 1; end > 0; end--) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        for (size_t i = 0;;) {
            size_t c = 2 * i + 1;
            if (c >= end)
                break;
            if (c + 1 < end && a[c + 1] > a[c])
                c++;
            if (a[i] >= a[c])
                break;
            t = a[i];
            a[i] = a[c];
            a[c] = t;
            i = c;
        }
    }
}

static uint64_t modpow(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    b %= m;
    while (e) {
        if (e & 1)
            r = (uint64_t)((unsigned __int128)r * b % m);
        b = (uint64_t)((unsigned __int128)b * b % m);
        e >>= 1;
    }
    return r;
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 16;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        crc_table[i] = c;
    }
    enum { BUF = 32768, N = 8192, HT = 4096 };
    static uint8_t buf[BUF];
    static uint32_t arr[N];
    static uint64_t keys[HT];
    uint32_t crc = 0;
    uint64_t acc = 0;
    for (int round = 0; round < scale * 10; round++) {
        for (size_t i = 0; i < BUF; i += 8) {
            uint64_t r = next();
            memcpy(buf + i, &r, 8);
        }
        for (int k = 0; k < 4; k++)
            crc = crc32(buf, BUF, crc);
        for (size_t i = 0; i < N; i++)
            arr[i] = (uint32_t)next();
        heap_sort(arr, N);
        acc += arr[N / 2];
        memset(keys, 0, sizeof keys);
        for (int i = 0; i < 3000; i++) {
            uint64_t k = next() | 1, h = (k * 0x9e3779b97f4a7c15ULL) >> 52;
            while (keys[h] && keys[h] != k)
                h = (h + 1) & (HT - 1);
            keys[h] = k;
        }
        for (int i = 0; i < 200; i++)
            acc += modpow(next(), next(), 1000000007);
    }
    printf("crc %08x acc %016llx\n", crc, (unsigned long long)acc);
    return 0;
}
