/* Integer division faults: the program dies of SIGFPE, exit status 136.
 *   sigfpe [div0-32|div0-64|mod0|min-1-32|min-1-64|divb-overflow]   (default: div0-32) */
// ARGS:
// ARGS: div0-64
// ARGS: mod0
// ARGS: min-1-32
// ARGS: min-1-64
// ARGS: divb-overflow
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "div0-32";
    volatile int32_t a32 = 1234, z32 = 0, m32 = INT_MIN, n32 = -1;
    volatile int64_t a64 = 5678, z64 = 0, m64 = INT64_MIN, n64 = -1;
    printf("dividing (%s)\n", what);
    fflush(stdout);
    long r = 0;
    if (strcmp(what, "div0-32") == 0)
        r = a32 / z32;
    else if (strcmp(what, "div0-64") == 0)
        r = a64 / z64;
    else if (strcmp(what, "mod0") == 0)
        r = (long)((uint64_t)a64 % (uint64_t)z64);
    else if (strcmp(what, "min-1-32") == 0)
        r = m32 / n32;
    else if (strcmp(what, "min-1-64") == 0)
        r = m64 % n64;
    else if (strcmp(what, "divb-overflow") == 0) {
        uint16_t ax = 0xffff;
        uint8_t d = 1;
        __asm__ volatile("divb %1" : "+a"(ax) : "q"(d) : "cc"); /* quotient 0xffff does not fit in al */
        r = ax;
    }
    printf("not reached: %ld\n", r);
    return 0;
}
