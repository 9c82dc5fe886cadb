/* setjmp/longjmp: simple returns, values 0 (becomes 1) and others, unwinding from deep recursion,
 * nested jump buffers, volatile locals surviving the jump, sigsetjmp/siglongjmp with and without the
 * signal mask saved, and a jump-based exception mechanism. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* dive() only ever leaves through longjmp. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

static jmp_buf top;
static int depth_reached;

static void dive(int depth, int limit) __attribute__((noinline));
static void dive(int depth, int limit)
{
    volatile char pad[64];
    memset((char *)pad, depth & 0xff, sizeof pad);
    depth_reached = depth;
    if (depth == limit)
        longjmp(top, depth + pad[5]);
    dive(depth + 1, limit);
    pad[0]++; /* not a tail call */
}

/* A tiny try/catch with a stack of handlers. */
static jmp_buf *handlers[16];
static int nhandlers;
static void throw_(int code)
{
    longjmp(*handlers[--nhandlers], code);
}

static int parse_digit(char c)
{
    if (c < '0' || c > '9')
        throw_(c);
    return c - '0';
}

static long parse_number(const char *s)
{
    long v = 0;
    for (; *s; s++)
        v = v * 10 + parse_digit(*s);
    return v;
}

static long try_parse(const char *s, int *err)
{
    jmp_buf here;
    volatile long result = -1;
    int code;
    handlers[nhandlers++] = &here;
    if ((code = setjmp(here)) == 0) {
        result = parse_number(s);
        nhandlers--;
        *err = 0;
    } else {
        *err = code;
    }
    return result;
}

int main(void)
{
    int r;
    volatile int counter = 0;

    r = setjmp(top);
    printf("first setjmp returned %d\n", r);
    if (r == 0)
        longjmp(top, 0); /* 0 becomes 1 */
    printf("after longjmp(0): %d\n", r);

    counter = 0;
    if ((r = setjmp(top)) < 5) {
        counter++;
        longjmp(top, r + 1);
    }
    printf("looped with longjmp: r=%d counter=%d\n", r, counter);

    static const int limits[] = {0, 1, 10, 1000, 20000};
    for (volatile size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if ((r = setjmp(top)) == 0)
            dive(0, limits[i]);
        printf("unwound from depth %d: value %d\n", depth_reached, r);
    }

    const char *inputs[] = {"12345", "9x7", "", "00042", "4294967296", "-1"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        int err;
        long v = try_parse(inputs[i], &err);
        printf("parse '%s': %ld, error %d (%c)\n", inputs[i], v, err, err ? err : ' ');
    }

    /* nested buffers: the inner jump does not disturb the outer one */
    jmp_buf outer, inner;
    volatile int stage = 0;
    if (setjmp(outer) == 0) {
        stage = 1;
        if (setjmp(inner) == 0) {
            stage = 2;
            longjmp(inner, 7);
        }
        stage += 10;
        longjmp(outer, 3);
    }
    printf("nested: stage %d\n", stage);

    /* sigsetjmp: the mask is restored only when saved */
    sigset_t block, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigjmp_buf sj;
    if (sigsetjmp(sj, 1) == 0) {
        sigprocmask(SIG_BLOCK, &block, NULL);
        siglongjmp(sj, 1);
    }
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("sigsetjmp(1): SIGUSR1 blocked after jump: %d\n", sigismember(&cur, SIGUSR1));
    if (sigsetjmp(sj, 0) == 0) {
        sigprocmask(SIG_BLOCK, &block, NULL);
        siglongjmp(sj, 1);
    }
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("sigsetjmp(0): SIGUSR1 blocked after jump: %d\n", sigismember(&cur, SIGUSR1));
    return 0;
}
