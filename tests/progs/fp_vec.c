/* Vectorised floating-point loops: what gcc emits at -O2 and -O3 (and with -ffast-math, which
 * allows reassociated reductions, rsqrtps/rcpps approximations with a Newton step, min/max and
 * conversions in packed form) over float and double arrays: saxpy, dot products, reductions,
 * element-wise min/max/abs/sqrt/div, conversions between int, float and double, comparisons
 * turned into masks, and a small matrix product. Prints checksums of the result bits and a few
 * values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progs.h"

#define N 1003 /* not a multiple of the vector width: the scalar tails run too */
static float fa[N], fb[N], fc[N];
static double da[N], db[N], dc[N];
static int ia[N];
static long long la[N];

#define O3 __attribute__((optimize("O3")))
#define FAST __attribute__((optimize("O3", "fast-math")))

static uint64_t hash_f(const float *p, int n)
{
    return fnv1a(p, (size_t)n * sizeof(float), FNV_INIT);
}
static uint64_t hash_d(const double *p, int n)
{
    return fnv1a(p, (size_t)n * sizeof(double), FNV_INIT);
}
static uint64_t bits_d(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static uint32_t bits_f(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void saxpy2(float a, float *y, const float *x, int n)
{
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}
O3 static void saxpy3(float a, float *y, const float *x, int n)
{
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}
O3 static void daxpy3(double a, double *y, const double *x, int n)
{
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}
static float dot2(const float *x, const float *y, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}
FAST static float dotf_fast(const float *x, const float *y, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}
FAST static double dotd_fast(const double *x, const double *y, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}
FAST static float maxf_fast(const float *x, int n)
{
    float m = -INFINITY;
    for (int i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
FAST static double mind_fast(const double *x, int n)
{
    double m = INFINITY;
    for (int i = 0; i < n; i++) m = x[i] < m ? x[i] : m;
    return m;
}
O3 static void elementwise_f(float *r, const float *x, const float *y, int n)
{
    for (int i = 0; i < n; i++) {
        float a = x[i], b = y[i];
        r[i] = (a < b ? a : b) * 0.5f + (a > b ? a : b) / (fabsf(b) + 1.0f) - sqrtf(fabsf(a));
    }
}
O3 static void elementwise_d(double *r, const double *x, const double *y, int n)
{
    for (int i = 0; i < n; i++) {
        double a = x[i], b = y[i];
        r[i] = (a < b ? a : b) * 0.5 + (a > b ? a : b) / (fabs(b) + 1.0) - sqrt(fabs(a));
    }
}
FAST static void rsqrt_fast(float *r, const float *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = 1.0f / sqrtf(x[i] * x[i] + 1.0f);
}
FAST static void recip_fast(float *r, const float *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = 3.0f / (x[i] * x[i] + 0.5f);
}
O3 static void conv_if(float *r, const int *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = (float)x[i] * 0.25f;
}
O3 static void conv_fi(int *r, const float *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = (int)(x[i] * 1000.0f);
}
O3 static void conv_fd(double *r, const float *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = (double)x[i] * 1.0000001;
}
O3 static void conv_df(float *r, const double *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = (float)(x[i] * 3.0);
}
O3 static void conv_di(int *r, const double *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = (int)(x[i] * 100.0);
}
O3 static void conv_ld(double *r, const long long *x, int n)
{
    for (int i = 0; i < n; i++) r[i] = (double)x[i];
}
O3 static void select_f(float *r, const float *x, const float *y, int n)
{
    for (int i = 0; i < n; i++) r[i] = x[i] >= y[i] ? x[i] - y[i] : (x[i] != y[i] ? y[i] : 0.0f);
}
O3 static int count_d(const double *x, double lo, double hi, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++) c += x[i] > lo && x[i] <= hi;
    return c;
}

#define M 24
static float ma[M][M], mb[M][M], mc[M][M];
O3 static void matmul(void)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            float s = 0;
            for (int k = 0; k < M; k++) s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
}

int main(void)
{
    uint64_t seed = 12345;
    for (int i = 0; i < N; i++) {
        uint64_t r = rng_next(&seed);
        fa[i] = (float)((int64_t)(r % 20001) - 10000) / 128.0f;
        fb[i] = (float)(int64_t)((r >> 20) % 2001 - 1000) * 0.37f;
        da[i] = (double)(int64_t)((r >> 32) % 100001 - 50000) / 3.0;
        db[i] = sin((double)i) * 1e3;
        ia[i] = (int)(r >> 3);
        la[i] = (long long)(r >> 1) - (long long)(r >> 2) * 3;
    }
    fa[5] = 0.0f;
    fb[7] = -0.0f;
    fa[11] = 1e-40f; /* denormal */
    da[13] = 1e-310;
    db[17] = -0.0;
    uint64_t h = FNV_INIT;

    memcpy(fc, fb, sizeof fc);
    saxpy2(1.5f, fc, fa, N);
    report("saxpy -O2", hash_f(fc, N), N);
    memcpy(fc, fb, sizeof fc);
    saxpy3(-0.75f, fc, fa, N);
    report("saxpy -O3", hash_f(fc, N), N);
    memcpy(dc, db, sizeof dc);
    daxpy3(1.0 / 3, dc, da, N);
    report("daxpy -O3", hash_d(dc, N), N);

    float d2 = dot2(fa, fb, N), d3 = dotf_fast(fa, fb, N);
    double dd = dotd_fast(da, db, N);
    printf("dot float -O2 %08x  fast %08x  double fast %016llx\n", bits_f(d2), bits_f(d3),
           (unsigned long long)bits_d(dd));
    printf("max float %08x  min double %016llx\n", bits_f(maxf_fast(fa, N)),
           (unsigned long long)bits_d(mind_fast(da, N)));

    elementwise_f(fc, fa, fb, N);
    report("elementwise float", hash_f(fc, N), N);
    elementwise_d(dc, da, db, N);
    report("elementwise double", hash_d(dc, N), N);
    rsqrt_fast(fc, fa, N);
    report("rsqrt fast-math", hash_f(fc, N), N);
    printf("rsqrt %08x %08x %08x\n", bits_f(fc[0]), bits_f(fc[1]), bits_f(fc[2]));
    recip_fast(fc, fb, N);
    report("reciprocal fast-math", hash_f(fc, N), N);

    conv_if(fc, ia, N);
    report("int -> float", hash_f(fc, N), N);
    conv_fi(ia, fa, N);
    h = fnv1a(ia, sizeof ia, FNV_INIT);
    report("float -> int", h, N);
    conv_fd(dc, fa, N);
    report("float -> double", hash_d(dc, N), N);
    conv_df(fc, da, N);
    report("double -> float", hash_f(fc, N), N);
    conv_di(ia, db, N);
    report("double -> int", fnv1a(ia, sizeof ia, FNV_INIT), N);
    conv_ld(dc, la, N);
    report("long -> double", hash_d(dc, N), N);
    select_f(fc, fa, fb, N);
    report("select", hash_f(fc, N), N);
    printf("count %d %d\n", count_d(da, -100.0, 100.0, N), count_d(db, 0.0, 1e9, N));

    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            ma[i][j] = fa[i * M + j];
            mb[i][j] = fb[(i * 7 + j) % N];
        }
    for (int r = 0; r < 20; r++) {
        matmul();
        ma[r][r] += mc[r][(r + 1) % M] * 1e-3f;
    }
    report("matmul", hash_f(&mc[0][0], M * M), M * M);
    printf("mc[3][4] %a\n", (double)mc[3][4]);
    return 0;
}
