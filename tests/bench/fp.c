/* Floating-point benchmark: SSE/SSE2 scalar and vectorised arithmetic. An n-body step (double:
 * sub, mul, add, div, sqrt), a float matrix product and a saxpy-and-dot loop that gcc -O2
 * vectorises (mulps, addps), a Horner polynomial and float/int conversions. Everything stays in
 * the L1 cache. About 400 million instructions at the default scale. Prints integer checksums of
 * the bit patterns only (printf of a double would use the x87).
 * Usage: fp [SCALE]   (work grows linearly with SCALE, default 160) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB 32
static double px[NB], py[NB], pz[NB], vx[NB], vy[NB], vz[NB], mass[NB];

static double my_sqrt(double x) { return __builtin_sqrt(x); }

static void nbody_step(double dt)
{
    for (int i = 0; i < NB; i++) {
        double ax = 0, ay = 0, az = 0;
        for (int j = 0; j < NB; j++) {
            if (j == i) continue;
            double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
            double d2 = dx * dx + dy * dy + dz * dz + 0.01;
            double inv = mass[j] / (d2 * my_sqrt(d2));
            ax += dx * inv;
            ay += dy * inv;
            az += dz * inv;
        }
        vx[i] += ax * dt;
        vy[i] += ay * dt;
        vz[i] += az * dt;
    }
    for (int i = 0; i < NB; i++) {
        px[i] += vx[i] * dt;
        py[i] += vy[i] * dt;
        pz[i] += vz[i] * dt;
    }
}

#define MN 48
static float ma[MN][MN], mb[MN][MN], mc[MN][MN];

static void matmul(void)
{
    for (int i = 0; i < MN; i++) {
        for (int j = 0; j < MN; j++) mc[i][j] = 0;
        for (int k = 0; k < MN; k++) {
            float a = ma[i][k];
            for (int j = 0; j < MN; j++) mc[i][j] += a * mb[k][j];
        }
    }
}

#define VN 1024
static float xs[VN], ys[VN];

static float saxpy_dot(float a)
{
    for (int i = 0; i < VN; i++) ys[i] = a * xs[i] + ys[i];
    float s = 0;
    for (int i = 0; i < VN; i++) s += xs[i] * ys[i];
    return s;
}

static double horner(double x)
{
    static const double c[] = {1.0, -0.5, 0.041666666666666664, -0.001388888888888889, 2.48015873015873e-05,
                               -2.755731922398589e-07, 2.08767569878681e-09};
    double r = 0;
    for (int k = 6; k >= 0; k--) r = r * x + c[k];
    return r;
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 160;
    for (int i = 0; i < NB; i++) {
        px[i] = i * 0.37;
        py[i] = (i % 7) * 1.3;
        pz[i] = (i % 5) * -0.9;
        vx[i] = vy[i] = vz[i] = 0;
        mass[i] = 1.0 + (i % 3);
    }
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            ma[i][j] = (float)((i * 7 + j * 3) % 17) * 0.25f;
            mb[i][j] = (float)((i * 5 + j * 11) % 13) * 0.5f - 3.0f;
        }
    for (int i = 0; i < VN; i++) {
        xs[i] = (float)(i % 100) * 0.01f;
        ys[i] = (float)(i % 37) * -0.02f;
    }
    uint64_t h = 0;
    double acc = 0;
    long conv = 0;
    for (int r = 0; r < scale; r++) {
        for (int s = 0; s < 20; s++) nbody_step(0.001);
        matmul();
        for (int s = 0; s < 8; s++) {
            float d = saxpy_dot(0.999f);
            h = h * 31 + bits((double)d);
        }
        for (int k = 0; k < 20000; k++) {
            double x = k * 1e-4;
            acc += horner(x);
            conv += (long)(acc * 3.0) + (int)(float)x;
        }
        h = h * 31 + bits(px[r % NB]) + bits((double)mc[r % MN][(r * 7) % MN]);
    }
    printf("fp: checksum %016llx %016llx %ld\n", (unsigned long long)h, (unsigned long long)bits(acc), conv);
    return 0;
}
