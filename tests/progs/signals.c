/* Signals with their default actions: the exit status is 128 + the signal number.
 *   signals term      raise(SIGTERM)                        143
 *   signals kill      kill(getpid(), SIGKILL)               137
 *   signals usr1      raise(SIGUSR1)                        138
 *   signals pending   SIGUSR2 blocked, raised, unblocked    140 (after printing)
 *   signals ignored   SIGUSR1 ignored, raised               exits 0
 *   signals ud2       an invalid instruction                132 (SIGILL) */
// ARGS: term
// ARGS: kill
// ARGS: usr1
// ARGS: pending
// ARGS: ignored
// ARGS: ud2
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "term";
    printf("signal test %s\n", what);
    fflush(stdout);
    if (strcmp(what, "term") == 0)
        raise(SIGTERM);
    else if (strcmp(what, "kill") == 0)
        kill(getpid(), SIGKILL);
    else if (strcmp(what, "usr1") == 0)
        raise(SIGUSR1);
    else if (strcmp(what, "pending") == 0) {
        sigset_t s, old;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2);
        sigprocmask(SIG_BLOCK, &s, &old);
        raise(SIGUSR2);
        sigset_t pend;
        sigpending(&pend);
        printf("blocked and pending: %d\n", sigismember(&pend, SIGUSR2));
        fflush(stdout);
        sigprocmask(SIG_SETMASK, &old, NULL);
    } else if (strcmp(what, "ignored") == 0) {
        signal(SIGUSR1, SIG_IGN);
        raise(SIGUSR1);
        printf("survived an ignored SIGUSR1\n");
        return 0;
    } else if (strcmp(what, "ud2") == 0)
        __asm__ volatile("ud2");
    printf("not reached\n");
    return 3;
}
