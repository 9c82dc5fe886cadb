/* Helper program for tests/cli/test_cli.c, built both static (musl-gcc) and dynamic (gcc).
 *   cliprog                 print "hello"
 *   cliprog exit N          exit with status N
 *   cliprog spin N          loop N times, then print "done"
 *   cliprog env NAME        print the value of NAME, or "(unset)"
 *   cliprog envdump         print the whole environment
 *   cliprog open PATH       try to open PATH for reading: "opened" or "error"
 *   cliprog create PATH     try to create PATH for writing: "created" or "error"
 *   cliprog segv            read from address 0x10 (dies of SIGSEGV)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2) {
        puts("hello");
        return 0;
    }
    const char *cmd = argv[1], *arg = argc > 2 ? argv[2] : "";
    if (strcmp(cmd, "exit") == 0)
        return atoi(arg);
    if (strcmp(cmd, "segv") == 0) {
        volatile int *p = (volatile int *)0x10;
        return *p;
    }
    if (strcmp(cmd, "spin") == 0) {
        volatile unsigned long x = 0;
        long n = atol(arg);
        for (long i = 0; i < n; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
        puts("done");
        return 0;
    }
    if (strcmp(cmd, "env") == 0) {
        const char *v = getenv(arg);
        puts(v ? v : "(unset)");
        return 0;
    }
    if (strcmp(cmd, "envdump") == 0) {
        for (char **e = environ; *e; e++)
            puts(*e);
        return 0;
    }
    if (strcmp(cmd, "open") == 0) {
        int fd = open(arg, O_RDONLY);
        puts(fd >= 0 ? "opened" : "error");
        return 0;
    }
    if (strcmp(cmd, "create") == 0) {
        int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        puts(fd >= 0 ? "created" : "error");
        return 0;
    }
    fprintf(stderr, "cliprog: unknown command %s\n", cmd);
    return 2;
}
