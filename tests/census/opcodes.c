/* opcodes: write the opcode census (docs/OPCODES.md) to standard output or to FILE.
 * Usage: build/tests/census/opcodes [FILE]     (`make census` runs it; see tests/census/census.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/census/census.h"

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
        fprintf(stderr, "usage: %s [FILE]   write the opcode census (Markdown) to FILE or stdout\n", argv[0]);
        return argc > 2 ? 2 : 0;
    }
    if (argc == 1)
        return census_write(stdout) ? 1 : 0;
    /* Write to a temporary name, rename when complete. */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror(tmp);
        return 1;
    }
    int bad = census_write(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, argv[1])) {
        fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
        remove(tmp);
        return 1;
    }
    return 0;
}
