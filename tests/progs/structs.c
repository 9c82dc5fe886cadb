/* Aggregates and memory layout: large struct assignment (compiled to rep movs or unrolled moves),
 * packed structs with unaligned fields, unions for type punning, arrays of structs, flexible array
 * members, unaligned loads and stores through memcpy, 2-D arrays and pointer arithmetic, sign and zero
 * extension of narrow fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "progs.h"

struct big {
    int64_t a[37];
    char name[19];
    uint16_t tail;
};

struct __attribute__((packed)) packed {
    uint8_t tag;
    uint32_t u32;
    uint16_t u16;
    uint64_t u64;
    int8_t s8;
    int16_t s16;
};

union pun {
    uint64_t u;
    int32_t i[2];
    uint16_t h[4];
    uint8_t b[8];
};

struct msg {
    uint32_t len;
    uint8_t kind;
    char data[];
};

static __attribute__((noinline)) struct big transform(struct big b, int k)
{
    for (int i = 0; i < 37; i++)
        b.a[i] = b.a[i] * k + i;
    b.name[k % 18] = (char)('A' + k % 26);
    b.tail ^= (uint16_t)k;
    return b;
}

int main(void)
{
    uint64_t seed = 3, h = FNV_INIT;

    struct big b;
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 37; i++)
        b.a[i] = (int64_t)rng_next(&seed);
    strcpy(b.name, "initial-name");
    b.tail = 0xbeef;
    for (int k = 1; k < 300; k++) {
        struct big c = transform(b, k);
        b = c;
        h = fnv1a(&b, sizeof b, h);
    }
    printf("big struct copies (%zu bytes): %016llx name %s tail %04x\n", sizeof b, (unsigned long long)h, b.name, b.tail);

    static struct packed ps[1000];
    printf("packed: size %zu, u64 at offset %zu\n", sizeof(struct packed), offsetof(struct packed, u64));
    for (int i = 0; i < 1000; i++) {
        uint64_t r = rng_next(&seed);
        ps[i].tag = (uint8_t)i;
        ps[i].u32 = (uint32_t)r;
        ps[i].u16 = (uint16_t)(r >> 32);
        ps[i].u64 = r * 3;
        ps[i].s8 = (int8_t)(r >> 40);
        ps[i].s16 = (int16_t)(r >> 48);
    }
    int64_t acc = 0;
    for (int i = 0; i < 1000; i++)
        acc += (int64_t)ps[i].u32 - ps[i].u16 + (int64_t)(ps[i].u64 >> 7) + ps[i].s8 * 1000 + ps[i].s16 + ps[i].tag;
    printf("packed sum %lld, raw checksum %016llx\n", (long long)acc, (unsigned long long)fnv1a(ps, sizeof ps, FNV_INIT));

    union pun p;
    p.u = 0x8001020304f5f6f7ULL;
    printf("union: i %d %d, h %u %u %u %u, b0 %u b7 %u, as signed bytes %d %d\n", p.i[0], p.i[1], p.h[0], p.h[1], p.h[2],
           p.h[3], p.b[0], p.b[7], (int8_t)p.b[0], (int8_t)p.b[7]);

    /* unaligned accesses at every offset */
    static unsigned char raw[256];
    for (int i = 0; i < 256; i++)
        raw[i] = (unsigned char)(i * 29 + 7);
    h = FNV_INIT;
    for (int off = 0; off < 64; off++) {
        uint16_t v16;
        uint32_t v32;
        uint64_t v64;
        memcpy(&v16, raw + off, 2);
        memcpy(&v32, raw + off + 1, 4);
        memcpy(&v64, raw + off + 3, 8);
        h = mix64(mix64(mix64(h, v16), v32), v64);
        v64 += v32;
        memcpy(raw + 128 + off, &v64, 8);
    }
    printf("unaligned loads/stores: %016llx %016llx\n", (unsigned long long)h,
           (unsigned long long)fnv1a(raw, sizeof raw, FNV_INIT));

    /* flexible array members */
    h = FNV_INIT;
    for (uint32_t len = 0; len < 200; len += 13) {
        struct msg *m = malloc(sizeof *m + len + 1);
        m->len = len;
        m->kind = (uint8_t)(len % 5);
        for (uint32_t i = 0; i < len; i++)
            m->data[i] = (char)('a' + (i + len) % 26);
        m->data[len] = 0;
        h = mix64(fnv1a(m->data, m->len, h), m->kind);
        free(m);
    }
    printf("flexible arrays: %016llx\n", (unsigned long long)h);

    /* 2-D arrays and pointer arithmetic: matrix product mod 2^64 */
    enum { D = 48 };
    static uint64_t A[D][D], B[D][D], C[D][D];
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++)
            A[i][j] = rng_next(&seed) >> 40, B[i][j] = (uint64_t)(i * D + j) ^ 0x5555;
    for (int i = 0; i < D; i++)
        for (int k = 0; k < D; k++) {
            uint64_t aik = A[i][k];
            const uint64_t *brow = &B[k][0];
            uint64_t *crow = C[i];
            for (int j = 0; j < D; j++)
                *crow++ += aik * *brow++;
        }
    printf("matrix product: trace %llu, checksum %016llx\n",
           (unsigned long long)(C[0][0] + C[1][1] + C[D - 1][D - 1]), (unsigned long long)fnv1a(C, sizeof C, FNV_INIT));

    /* narrow fields widened */
    struct {
        int8_t s8;
        uint8_t u8;
        int16_t s16;
        uint16_t u16;
        int32_t s32;
        uint32_t u32;
    } w[8];
    for (int i = 0; i < 8; i++) {
        uint64_t r = rng_next(&seed);
        w[i].s8 = (int8_t)r, w[i].u8 = (uint8_t)r, w[i].s16 = (int16_t)r, w[i].u16 = (uint16_t)r;
        w[i].s32 = (int32_t)r, w[i].u32 = (uint32_t)r;
        printf("widen: %lld %llu %lld %llu %lld %llu\n", (long long)w[i].s8, (unsigned long long)w[i].u8,
               (long long)w[i].s16, (unsigned long long)w[i].u16, (long long)w[i].s32, (unsigned long long)w[i].u32);
    }
    return 0;
}
