/* abort(): the program dies of SIGABRT, exit status 134. Flushed output appears; buffered output that
 * was never flushed must not (abort does not flush stdio). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("before abort (flushed)\n");
    fflush(stdout);
    fprintf(stderr, "about to call abort()\n");
    printf("this line stays in the stdio buffer and is lost\n");
    abort();
}
