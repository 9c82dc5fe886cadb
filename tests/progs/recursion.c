/* Recursion: Ackermann (small arguments), naive Fibonacci, Towers of Hanoi, mutual recursion,
 * recursive descent parsing and evaluation of expressions, permutations by backtracking (N-queens),
 * flood fill, and a deep recursion that uses about 1.5 MB of stack. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static NOINLINE unsigned long ack(unsigned long m, unsigned long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static NOINLINE long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned long hanoi_moves, hanoi_hash;
static NOINLINE void hanoi(int n, int from, int to, int via)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to);
    hanoi_moves++;
    hanoi_hash = hanoi_hash * 31 + (unsigned long)(from * 3 + to);
    hanoi(n - 1, via, to, from);
}

static NOINLINE int is_odd(unsigned n);
static NOINLINE int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static NOINLINE int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* expr := term (('+'|'-') term)* ; term := factor (('*'|'/'|'%') factor)* ; factor := num | '(' expr ')' | '-' factor */
static const char *ep;
static long expr(void);
static long factor(void)
{
    while (*ep == ' ')
        ep++;
    if (*ep == '(') {
        ep++;
        long v = expr();
        while (*ep == ' ')
            ep++;
        ep++; /* ')' */
        return v;
    }
    if (*ep == '-') {
        ep++;
        return -factor();
    }
    long v = 0;
    while (*ep >= '0' && *ep <= '9')
        v = v * 10 + (*ep++ - '0');
    return v;
}
static long term(void)
{
    long v = factor();
    for (;;) {
        while (*ep == ' ')
            ep++;
        char op = *ep;
        if (op != '*' && op != '/' && op != '%')
            return v;
        ep++;
        long r = factor();
        if (op == '*')
            v *= r;
        else if (r == 0)
            v = 0;
        else if (op == '/')
            v /= r;
        else
            v %= r;
    }
}
static long expr(void)
{
    long v = term();
    for (;;) {
        while (*ep == ' ')
            ep++;
        char op = *ep;
        if (op != '+' && op != '-')
            return v;
        ep++;
        long r = term();
        v = op == '+' ? v + r : v - r;
    }
}

static int queens_count;
static NOINLINE void queens(int row, int n, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n) {
        queens_count++;
        return;
    }
    for (int c = 0; c < n; c++) {
        unsigned a = 1u << c, b = 1u << (row + c), d = 1u << (row - c + n);
        if ((cols & a) || (d1 & b) || (d2 & d))
            continue;
        queens(row + 1, n, cols | a, d1 | b, d2 | d);
    }
}

static char grid[64][64];
static NOINLINE int flood(int y, int x)
{
    if (y < 0 || x < 0 || y >= 64 || x >= 64 || grid[y][x] != '.')
        return 0;
    grid[y][x] = '#';
    return 1 + flood(y + 1, x) + flood(y - 1, x) + flood(y, x + 1) + flood(y, x - 1);
}

static NOINLINE unsigned long deep(unsigned long n, unsigned long acc)
{
    volatile unsigned long frame[8];
    frame[n % 8] = acc;
    if (n == 0)
        return acc;
    unsigned long r = deep(n - 1, acc * 31 + n);
    return r ^ frame[n % 8];
}

int main(void)
{
    printf("ack(2,3)=%lu ack(3,3)=%lu ack(3,5)=%lu\n", ack(2, 3), ack(3, 3), ack(3, 5));
    printf("fib(25)=%ld\n", fib(25));
    hanoi(16, 1, 3, 2);
    printf("hanoi(16): %lu moves, hash %lu\n", hanoi_moves, hanoi_hash);
    printf("even(10001)=%d odd(7777)=%d\n", is_even(10001), is_odd(7777));
    const char *exprs[] = {"1 + 2 * 3", "(1 + 2) * 3", "-(4 - 10) * -(2)", "100 / 7 % 5 - 3 * (2 - (1 + 8))",
                           "((((((((((42))))))))))", "2*3*4*5*6*7*8*9*10*11*12*13*14*15*16*17*18*19*20", "7 / 0 + 1"};
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        ep = exprs[i];
        printf("%s = %ld\n", exprs[i], expr());
    }
    for (int n = 1; n <= 9; n++) {
        queens_count = 0;
        queens(0, n, 0, 0, 0);
        printf("%d-queens: %d\n", n, queens_count);
    }
    memset(grid, '.', sizeof grid);
    for (int i = 0; i < 64; i++)
        grid[i][(i * 7) % 64] = 'X', grid[(i * 5 + 3) % 64][i] = 'X', grid[32][i] = i == 40 ? '.' : 'X';
    int f1 = flood(40, 20);
    int f2 = flood(20, 3);
    printf("flood fill: %d cells from (40,20), then %d from (20,3)\n", f1, f2);
    printf("deep recursion: %lu\n", deep(15000, 1));
    return 0;
}
