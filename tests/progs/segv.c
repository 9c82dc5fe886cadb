/* Memory faults: the program dies of SIGSEGV, exit status 139.
 *   segv [null-write|null-read|wild-read|exec-null|ro-write|text-write|kernel-read|noncanonical|
 *         unmapped|mprotect|guard|privileged]   (default: null-write) */
// ARGS:
// ARGS: null-read
// ARGS: wild-read
// ARGS: exec-null
// ARGS: ro-write
// ARGS: text-write
// ARGS: kernel-read
// ARGS: noncanonical
// ARGS: unmapped
// ARGS: mprotect
// ARGS: guard
// ARGS: privileged
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const char rodata[] = "read-only data";

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "null-write";
    printf("faulting (%s)\n", what);
    fflush(stdout);
    volatile uintptr_t addr = 0;
    volatile int sink = 0;
    if (strcmp(what, "null-write") == 0)
        *(volatile int *)addr = 42;
    else if (strcmp(what, "null-read") == 0)
        sink = *(volatile int *)(addr + 8);
    else if (strcmp(what, "wild-read") == 0)
        sink = *(volatile int *)(addr + 0xdead0000000ULL);
    else if (strcmp(what, "exec-null") == 0)
        ((void (*)(void))addr)();
    else if (strcmp(what, "ro-write") == 0)
        *(volatile char *)(uintptr_t)&rodata[3] = 'X';
    else if (strcmp(what, "text-write") == 0)
        *(volatile char *)(uintptr_t)&main = 0xc3;
    else if (strcmp(what, "kernel-read") == 0)
        sink = *(volatile int *)(addr + 0xffffffff81000000ULL);
    else if (strcmp(what, "noncanonical") == 0)
        sink = *(volatile int *)(addr + 0x0000800000000000ULL);
    else if (strcmp(what, "unmapped") == 0) {
        char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memset(p, 1, 3 * 4096);
        munmap(p + 4096, 4096);
        printf("first page %d, third page %d\n", p[0], p[8192]);
        fflush(stdout);
        p[4096 + 100] = 2;
    } else if (strcmp(what, "mprotect") == 0) {
        char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 5;
        p[4096] = 6;
        mprotect(p, 4096, PROT_READ);
        printf("still readable: %d %d\n", p[0], p[4096]);
        fflush(stdout);
        p[4096] = 7;
        p[0] = 8;
    } else if (strcmp(what, "guard") == 0) {
        char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        sink = p[10];
    } else if (strcmp(what, "privileged") == 0)
        __asm__ volatile("hlt");
    printf("not reached %d\n", sink);
    return 0;
}
