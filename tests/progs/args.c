/* Command-line arguments and exit status: prints argc and every argv[i] (argv[0] as given), then exits
 * with a status computed from the arguments, or the one asked for with `exit N` (N is truncated to 8
 * bits, as Linux does: exit 300 gives 44). */
// ARGS:
// ARGS: one two three
// ARGS: a bb ccc dddd eeeee ffffff ggggggg hhhhhhhh iiiiiiiii jjjjjjjjjj kkkkkkkkkkk llllllllllll
// ARGS: exit 0
// ARGS: exit 1
// ARGS: exit 255
// ARGS: exit 300
// ARGS: exit -1
// ARGS: --flag=value -x -- 12345 émigré
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("argc = %d\n", argc);
    size_t total = 0;
    for (int i = 0; i < argc; i++) {
        printf("argv[%d] = '%s' (%zu bytes)\n", i, argv[i], strlen(argv[i]));
        total += strlen(argv[i]);
    }
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");
    if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
        int code = atoi(argv[2]);
        printf("exiting with %d\n", code);
        exit(code);
    }
    size_t rest = 0;
    for (int i = 1; i < argc; i++)
        rest += strlen(argv[i]);
    int status = (int)(argc * 10 + rest % 7 + 1);
    printf("total bytes after argv[0]: %zu, returning %d\n", rest, status);
    (void)total;
    return status;
}
