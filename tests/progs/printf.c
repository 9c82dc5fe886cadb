/* stdio integer formatting: every integer conversion (d i u o x X c s %% n) with every flag (- + space
 * # 0), widths and precisions (also through *), length modifiers (hh h l ll j z t), extreme values;
 * then sscanf parsing, puts/putchar/fputs/fwrite, and interleaved stdout/stderr writes. */
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Some formats below are unusual on purpose (a 0 flag beside a precision, output that is truncated). */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-truncation"

static const long long vals[] = {0, 1, -1, 7, -7, 42, 255, 256, -255, 4095, 65535, -32768, 100000,
                                 INT_MAX, INT_MIN, UINT_MAX, LLONG_MAX, LLONG_MIN, 0x123456789abcdefLL};
#define NV (sizeof vals / sizeof vals[0])

int main(void)
{
    static const char *flags[] = {"", "-", "+", " ", "#", "0", "+0", "#0", "- #"};
    static const char *widths[] = {"", "5", "25"};
    static const char *precs[] = {"", ".0", ".3", "."};
    static const char convs[] = "diouxX";
    char fmt[64], out[256];

    /* int arguments */
    for (size_t v = 0; v < NV; v++) {
        int iv = (int)vals[v];
        for (size_t c = 0; c < sizeof convs - 1; c++) {
            unsigned long sum = 0;
            printf("%lld %%%c:", vals[v], convs[c]);
            for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
                for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
                    for (size_t p = 0; p < sizeof precs / sizeof precs[0]; p++) {
                        snprintf(fmt, sizeof fmt, "%%%s%s%s%c", flags[f], widths[w], precs[p], convs[c]);
                        int n = snprintf(out, sizeof out, fmt, iv);
                        sum = sum * 31 + (unsigned long)n;
                        for (int i = 0; i < n && out[i]; i++)
                            sum = sum * 131 + (unsigned char)out[i];
                        if ((f + w + p) % 11 == 0)
                            printf(" [%s]=[%s]", fmt, out);
                    }
            printf(" sum=%lu\n", sum);
        }
    }

    /* length modifiers */
    for (size_t v = 0; v < NV; v++) {
        long long x = vals[v];
        printf("hh: %hhd %hhu %hhx %hho | h: %hd %hu %hx %ho\n", (signed char)x, (unsigned char)x, (unsigned char)x,
               (unsigned char)x, (short)x, (unsigned short)x, (unsigned short)x, (unsigned short)x);
        printf("l: %ld %lu %lx %lo | ll: %lld %llu %llX %llo\n", (long)x, (unsigned long)x, (unsigned long)x,
               (unsigned long)x, x, (unsigned long long)x, (unsigned long long)x, (unsigned long long)x);
        printf("j: %jd %ju z: %zd %zu %zx t: %td | PRI: %" PRId64 " %" PRIu32 " %" PRIx16 " %" PRIX8 "\n",
               (intmax_t)x, (uintmax_t)x, (ssize_t)x, (size_t)x, (size_t)x, (ptrdiff_t)x, (int64_t)x, (uint32_t)x,
               (uint16_t)x, (uint8_t)x);
        printf("star: [%*d] [%-*d] [%.*d] [%*.*x] [%0*lld]\n", 9, (int)x, 9, (int)x, 6, (int)x, 14, 10,
               (unsigned)x, 22, x);
    }

    /* characters and strings */
    const char *strs[] = {"", "a", "hello", "hello, world", "a fairly long string of thirty+ chars"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        printf("[%s] [%10s] [%-10s] [%.3s] [%10.2s] [%-*.*s] [%c%c%c] [%5c] [%-3c]|\n", strs[i], strs[i], strs[i],
               strs[i], strs[i], 8, 4, strs[i], 'x', (int)(65 + i), '!', (int)('a' + i), '#');
    printf("percent: %% [%%] done\n");

    /* %n */
    int n1 = -1, n2 = -1;
    signed char nh = 0;
    long long nll = 0;
    printf("abc%n def %d%n|%hhn%lln\n", &n1, 12345, &n2, &nh, &nll);
    printf("n: %d %d %d %lld\n", n1, n2, nh, nll);

    /* return values and buffer limits */
    char small[8];
    int r1 = snprintf(small, sizeof small, "%d", INT_MIN);
    int r2 = snprintf(NULL, 0, "%lld %s", LLONG_MIN, "tail");
    int r3 = sprintf(out, "%08.3d|%+.0d|% .0d|%#.0o|%#x|%#o", 5, 0, 0, 0, 0, 0);
    printf("snprintf: %d '%s', size-only %d, sprintf %d '%s'\n", r1, small, r2, r3, out);

    /* sscanf */
    const char *inputs[] = {"42 -17 0x1f 077 abc", "  +9 2147483647 ff 10 z", "-0 -2147483648 0X7FFF 8 q",
                            "123456789012 7 g 1"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        int a = 0, b = 0;
        unsigned x = 0;
        int o = 0;
        char word[8] = "";
        int got = sscanf(inputs[i], "%d %i %x %o %7s", &a, &b, &x, &o, word);
        long long ll = 0;
        unsigned char hh = 0;
        int got2 = sscanf(inputs[i], "%lld %hhu", &ll, &hh);
        printf("sscanf('%s'): %d -> %d %d %u %d '%s'; %d -> %lld %u\n", inputs[i], got, a, b, x, o, word, got2, ll, hh);
    }
    int pos = 0, d1 = 0, d2 = 0;
    sscanf("12,34;rest", "%d,%d%n", &d1, &d2, &pos);
    printf("sscanf %%n: %d %d %d\n", d1, d2, pos);

    /* other output functions, stdout and stderr */
    puts("puts line");
    putchar('p');
    putchar('\n');
    fputs("fputs line\n", stdout);
    fwrite("fwrite bytes\n", 1, 13, stdout);
    fprintf(stderr, "to stderr: %d %s\n", -5, "err");
    fputs("stderr fputs\n", stderr);
    fflush(stdout);
    fputc('E', stderr);
    fputc('\n', stderr);
    for (int i = 0; i < 3; i++) {
        printf("interleave out %d\n", i);
        fflush(stdout);
        fprintf(stderr, "interleave err %d\n", i);
    }
    /* a long line through the buffer */
    for (int i = 0; i < 2000; i++)
        printf("%d%c", i % 10, i % 100 == 99 ? '\n' : ',');
    return 0;
}
