/* Variadic functions and the calling convention: va_arg of every integer type, va_copy, va_list passed
 * down to vsnprintf, more arguments than registers (stack-passed), mixed pointer/integer arguments,
 * structs passed and returned by value (in registers and in memory), and function pointers. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Format letters: c=char(int) s=short(int) i=int l=long q=long long u=unsigned p=char* z=size_t */
static NOINLINE unsigned long long sum_typed(const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    unsigned long long h = 1469598103934665603ULL;
    for (const char *t = types; *t; t++) {
        unsigned long long v = 0;
        switch (*t) {
        case 'c': v = (unsigned long long)(signed char)va_arg(ap, int); break;
        case 's': v = (unsigned long long)(short)va_arg(ap, int); break;
        case 'i': v = (unsigned long long)va_arg(ap, int); break;
        case 'l': v = (unsigned long long)va_arg(ap, long); break;
        case 'q': v = (unsigned long long)va_arg(ap, long long); break;
        case 'u': v = va_arg(ap, unsigned); break;
        case 'z': v = va_arg(ap, size_t); break;
        case 'p': {
            const char *s = va_arg(ap, const char *);
            v = strlen(s) * 1000 + (unsigned char)s[0];
            break;
        }
        }
        h = (h ^ v) * 1099511628211ULL;
    }
    va_end(ap);
    return h;
}

/* Walk the same list twice with va_copy. */
static NOINLINE long twice(int n, ...)
{
    va_list ap, aq;
    va_start(ap, n);
    va_copy(aq, ap);
    long a = 0, b = 0;
    for (int i = 0; i < n; i++)
        a += va_arg(ap, long) * (i + 1);
    for (int i = 0; i < n; i++)
        b -= va_arg(aq, long);
    va_end(aq);
    va_end(ap);
    return a * 1000 + b;
}

static NOINLINE int my_printf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

static NOINLINE int chain2(const char *fmt, va_list ap)
{
    char buf[200];
    va_list cp;
    va_copy(cp, ap);
    int r = vsnprintf(buf, sizeof buf, fmt, cp);
    va_end(cp);
    printf("chain: %s (%d)\n", buf, r);
    return r;
}
static NOINLINE int chain1(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = chain2(fmt, ap);
    r += chain2(fmt, ap); /* unchanged: chain2 copied it */
    va_end(ap);
    return r;
}

/* Many fixed arguments: the last ones go on the stack. */
static NOINLINE long many(int a, long b, short c, char d, unsigned e, long long f, int g, long h, char i,
                          short j, unsigned long k, int l, const char *m, long n)
{
    return a + 2 * b + 3 * c + 5 * d + 7 * (long)e + 11 * f + 13 * g + 17 * h + 19 * i + 23 * j + 29 * (long)k +
           31 * l + 37 * (long)strlen(m) + 41 * n;
}

struct small {
    int a;
    short b;
    char c;
};
struct pair {
    long x, y;
};
struct big {
    long v[9];
    char tag[7];
};

static NOINLINE struct small mk_small(int a) { return (struct small){a, (short)(a * 3), (char)(a ^ 0x5a)}; }
static NOINLINE struct pair mk_pair(long x) { return (struct pair){x, -x * 7}; }
static NOINLINE struct big mk_big(long seed)
{
    struct big b;
    for (int i = 0; i < 9; i++)
        b.v[i] = seed * (i + 1) - i;
    memcpy(b.tag, "bigtag", 7);
    return b;
}
static NOINLINE long use_structs(struct small s, struct pair p, struct big b, int after, struct pair p2, ...)
{
    long r = s.a + s.b + s.c + p.x * 3 + p.y * 5 + after + p2.x - p2.y;
    for (int i = 0; i < 9; i++)
        r = r * 3 + b.v[i];
    va_list ap;
    va_start(ap, p2);
    struct pair p3 = va_arg(ap, struct pair);
    struct big b2 = va_arg(ap, struct big);
    va_end(ap);
    return r ^ (p3.x * 11 + p3.y) ^ (b2.v[8] + b2.tag[2]);
}

static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
static int sub(int a, int b) { return a - b; }

int main(void)
{
    printf("typed 1: %016llx\n", sum_typed("cisl", 'A', -300, (short)-2, 1L << 40));
    printf("typed 2: %016llx\n", sum_typed("qqqqqqqqqq", 1LL, -2LL, 3LL, -4LL, 5LL, -6LL, 7LL, -8LL, 9LL, -10LL));
    printf("typed 3: %016llx\n",
           sum_typed("pupzcs iqlpu", "hello", 4000000000u, "", (size_t)-1, -1, 65535, 7, -1LL, -5L, "x", 17u));
    char chars[40];
    for (int i = 0; i < 39; i++)
        chars[i] = "cisluzq"[i % 7];
    chars[39] = 0;
    printf("typed 4: %016llx\n",
           sum_typed(chars, 1, 2, 3, 4L, 5u, (size_t)6, 7LL, 8, 9, 10, 11L, 12u, (size_t)13, 14LL, 15, 16, 17, 18L, 19u,
                     (size_t)20, 21LL, 22, 23, 24, 25L, 26u, (size_t)27, 28LL, 29, 30, 31, 32L, 33u, (size_t)34, 35LL,
                     36, 37, 38, 39L));
    printf("twice: %ld %ld %ld\n", twice(0), twice(3, 1L, 2L, 3L), twice(10, 1L, -2L, 3L, -4L, 5L, -6L, 7L, -8L, 9L, -10L));

    char buf[128];
    int r = my_printf(buf, sizeof buf, "%d|%5s|%-6ld|%x|%c|%llu", -42, "ab", 123456789L, 0xdeadu, 'z',
                      18446744073709551615ULL);
    printf("vsnprintf: %s (%d)\n", buf, r);
    chain1("%s has %d items costing %ld", "basket", 12, -9876543210L);

    printf("many: %ld\n", many(1, -2, 3, 'x', 4000000000u, -5000000000LL, 6, -7, 'y', -8, 9UL, 10, "eleven", 12));

    struct small s = mk_small(1234);
    struct pair p = mk_pair(-99), p2 = mk_pair(5);
    struct big b = mk_big(77);
    printf("small: %d %d %d, pair: %ld %ld, big: %ld %ld %s\n", s.a, s.b, s.c, p.x, p.y, b.v[0], b.v[8], b.tag);
    printf("use_structs: %ld\n", use_structs(s, p, b, 42, p2, mk_pair(8), mk_big(-3)));

    int (*ops[])(int, int) = {add, mul, sub, add, sub, mul};
    long acc = 1;
    for (int i = 0; i < 600; i++)
        acc = ops[i % 6]((int)acc, i + 1) % 1000003;
    printf("function pointers: %ld\n", acc);
    return 0;
}
