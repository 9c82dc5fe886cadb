/* Traps: int3 (CC) and int $3 (CD 03) both deliver SIGTRAP with rip after the instruction, so a
 * handler that returns resumes after it; int $4 gives SIGSEGV. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int hits;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    printf("signal %d, si_code %d\n", sig, si->si_code);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, 0);
    __asm__ volatile("int3");
    printf("after int3: %d\n", hits);
    __asm__ volatile(".byte 0xcd, 0x03");
    printf("after int $3: %d\n", hits);
    if (argc > 1 && strcmp(argv[1], "into") == 0) {
        fflush(stdout);
        __asm__ volatile(".byte 0xcd, 0x04"); /* SIGSEGV: exit status 139 */
    }
    return 0;
}
// ARGS:
// ARGS: into
