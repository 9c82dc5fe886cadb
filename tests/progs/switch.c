/* Control flow: a dense switch (compiled to a jump table), a sparse switch (compare tree), switches on
 * chars and on negative ranges, a bytecode interpreter written with computed goto (indirect jumps
 * through a label table), and a state machine. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "progs.h"

#define NOINLINE __attribute__((noinline))

/* Different work in every case, so the compiler has to jump (a value table would not do). */
static NOINLINE long dense(unsigned x, long y)
{
    switch (x) {
    case 0: return y + 11;
    case 1: return y * 23;
    case 2: return y >> 5;
    case 3: return y ^ -7;
    case 4: return y % 1000;
    case 5: return y / 42;
    case 6: return ~y;
    case 7: return y * y;
    case 8: return y - 8;
    case 9: return y | 99;
    case 10: return y & 3;
    case 11: return y << 12;
    case 12: return -y;
    case 13: return (y << 3) + y;
    case 14: return y * 14 - 1;
    case 15: return y > 150;
    case 16: return (unsigned long)y >> 61;
    case 17: return y == 17;
    case 18: return y % 81;
    case 19: return y / -19;
    default: return -1;
    }
}

static NOINLINE int sparse(long x)
{
    switch (x) {
    case -1000000: return 1;
    case -5: return 2;
    case 0: return 3;
    case 17: return 4;
    case 1000: return 5;
    case 65536: return 6;
    case 1L << 40: return 7;
    case 123456789: return 8;
    case 99999: return 9;
    default: return 0;
    }
}

static NOINLINE int classify(char c)
{
    switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return 1;
    case '0' ... '9': return 2;
    case ' ': case '\t': case '\n': return 3;
    case 'A' ... 'Z': return 4;
    case -128 ... -1: return 5;
    default: return 0;
    }
}

static NOINLINE int ranges(int x)
{
    switch (x) {
    case -20 ... -11: return x * 2;
    case -10 ... -1: return x + 100;
    case 0: return 7;
    case 1 ... 9: return x * x;
    case 10 ... 29: return x - 3;
    case 30: return 0;
    case 31 ... 40: return -x;
    default: return 12345;
    }
}

/* A stack machine with computed goto. */
enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_PRINT, OP_HALT, OP_MOD, OP_OVER, OP_DROP };

static NOINLINE long run_vm(const int *code, int verbose)
{
    static void *labels[] = {&&push, &&add, &&sub, &&mul, &&dup, &&swap, &&jnz, &&dec, &&print, &&halt, &&mod, &&over, &&drop};
    long stack[64];
    int sp = 0, pc = 0;
    long steps = 0;
#define NEXT                                                                                            \
    do {                                                                                                \
        steps++;                                                                                        \
        goto *labels[code[pc++]];                                                                       \
    } while (0)
    NEXT;
push:
    stack[sp++] = code[pc++];
    NEXT;
add:
    sp--;
    stack[sp - 1] += stack[sp];
    NEXT;
sub:
    sp--;
    stack[sp - 1] -= stack[sp];
    NEXT;
mul:
    sp--;
    stack[sp - 1] *= stack[sp];
    NEXT;
mod:
    sp--;
    stack[sp - 1] %= stack[sp];
    NEXT;
dup:
    stack[sp] = stack[sp - 1];
    sp++;
    NEXT;
over:
    stack[sp] = stack[sp - 2];
    sp++;
    NEXT;
drop:
    sp--;
    NEXT;
swap : {
    long t = stack[sp - 1];
    stack[sp - 1] = stack[sp - 2];
    stack[sp - 2] = t;
}
    NEXT;
jnz:
    if (stack[--sp])
        pc = code[pc];
    else
        pc++;
    NEXT;
dec:
    stack[sp - 1]--;
    NEXT;
print:
    if (verbose)
        printf("vm: %ld\n", stack[sp - 1]);
    NEXT;
halt:
    return (long)((unsigned long)stack[sp - 1] * 1000003u + (unsigned long)steps);
#undef NEXT
}

int main(void)
{
    uint64_t h = FNV_INIT, seed = 7;
    for (unsigned i = 0; i < 100000; i++)
        h = mix64(h, (uint64_t)dense((unsigned)(rng_next(&seed) % 24), (long)rng_next(&seed)));
    report("dense switch", h, 100000);
    h = FNV_INIT;
    static const long probes[] = {-1000000, -5, 0, 17, 1000, 65536, 1L << 40, 123456789, 99999, 1, -1, 18, 65535};
    for (unsigned i = 0; i < 50000; i++)
        h = mix64(h, (uint64_t)sparse(probes[rng_next(&seed) % 13]));
    report("sparse switch", h, 50000);
    h = FNV_INIT;
    for (int c = -128; c < 128; c++)
        h = mix64(h, (uint64_t)classify((char)c));
    for (int x = -30; x < 50; x++)
        h = mix64(h, (uint64_t)ranges(x));
    report("char and range switches", h, 256 + 80);

    /* factorial of 20 and a sum loop, in bytecode */
    int fact[] = {OP_PUSH, 1, OP_PUSH, 20,                   /* acc n */
                  OP_DUP, OP_JNZ, 8, OP_HALT,                /* 4: if n == 0 stop (not reached) */
                  OP_SWAP, OP_OVER, OP_MUL, OP_SWAP, OP_DEC, /* 8: acc*=n; n-- */
                  OP_DUP, OP_JNZ, 8, OP_DROP, OP_PRINT, OP_HALT};
    printf("vm factorial: %ld\n", run_vm(fact, 1));
    int loop[] = {OP_PUSH, 0, OP_PUSH, 100000,                    /* sum i */
                  OP_SWAP, OP_OVER, OP_ADD, OP_PUSH, 7919, OP_MOD, /* 4: sum = (sum + i) % 7919 */
                  OP_SWAP, OP_DEC, OP_DUP, OP_JNZ, 4, OP_DROP, OP_PRINT, OP_HALT};
    printf("vm loop: %ld\n", run_vm(loop, 1));

    /* a state machine over text: counts words, numbers and quoted strings */
    const char *text = "say \"hello there\" 42 times, then 7 more; \"quoted \\\" escape\" end 1000000";
    enum { START, WORD, NUM, QUOTE, ESC } st = START;
    int words = 0, nums = 0, quotes = 0;
    for (const char *p = text;; p++) {
        char c = *p;
        switch (st) {
        case START:
            if (c == '"')
                st = QUOTE, quotes++;
            else if (c >= '0' && c <= '9')
                st = NUM, nums++;
            else if (c >= 'a' && c <= 'z')
                st = WORD, words++;
            break;
        case WORD:
            if (!(c >= 'a' && c <= 'z'))
                st = START, p--;
            break;
        case NUM:
            if (!(c >= '0' && c <= '9'))
                st = START, p--;
            break;
        case QUOTE:
            if (c == '\\')
                st = ESC;
            else if (c == '"')
                st = START;
            break;
        case ESC:
            st = QUOTE;
            break;
        }
        if (!c)
            break;
    }
    printf("state machine: %d words, %d numbers, %d quoted\n", words, nums, quotes);
    return 0;
}
