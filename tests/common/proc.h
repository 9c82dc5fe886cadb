/* Helpers shared by the cmocka harnesses in tests/: run a command with captured stdout/stderr and a
 * timeout, read whole files, compare outputs line by line. */
#ifndef EMU_TESTS_PROC_H
#define EMU_TESTS_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* One finished (or timed-out) run. */
struct run_result {
    int status;        /* exit code, 128+N when killed by signal N, -1 when it could not be started */
    int signaled;      /* 1 when the process itself was killed by a signal (status = 128+sig) */
    int timed_out;     /* 1 when it hit the timeout and was killed */
    double seconds;    /* wall time */
    char *out;         /* captured stdout (NUL-terminated, may contain NULs; out_len is exact) */
    size_t out_len;
    char *err;         /* captured stderr */
    size_t err_len;
};

/* A started process; pass to proc_wait. */
struct proc {
    pid_t pid;
    int out_fd, err_fd;     /* temporary files holding the output */
    double start;
    double timeout;
};

/* Start argv[0] (a path, no PATH search) with argv; stdin from stdin_path (NULL: /dev/null); envp NULL
 * keeps the current environment. Output goes to unlinked temporary files in tmpdir. The child gets its
 * own process group, default signal dispositions, an empty signal mask and no core dumps.
 * Returns 0, or -1 (with errno) when the temporary files or fork failed. */
int proc_start(struct proc *p, char *const argv[], char *const envp[], const char *stdin_path,
               const char *tmpdir, double timeout_seconds);

/* Wait for any of the n processes; fill res[i] for each. Processes over their timeout are killed
 * (whole process group). Always reaps every process. */
void proc_wait_all(struct proc *p, struct run_result *res, size_t n);

/* proc_start + proc_wait_all for a single command. */
int proc_run(struct run_result *res, char *const argv[], char *const envp[], const char *stdin_path,
             const char *tmpdir, double timeout_seconds);

void run_result_free(struct run_result *r);

/* Read a whole file (NULL on error); *len receives the size. */
char *read_file(const char *path, size_t *len);
/* Write a buffer to a file with the given mode; 0 on success. */
int write_file(const char *path, const void *buf, size_t len, int mode);

/* Describe the first difference between two buffers as "line L: expected '...' got '...'"
 * into msg (size msgsz). Returns 0 when equal. */
int first_diff(const char *a, size_t alen, const char *b, size_t blen, char *msg, size_t msgsz);

/* Remove every line that starts with prefix (e.g. "emu:") from buf, in place; returns the new length. */
size_t drop_prefixed_lines(char *buf, size_t len, const char *prefix);

/* Current monotonic time in seconds. */
double now_seconds(void);

/* A scratch directory (mkdtemp under $TMPDIR or /tmp); removed with rmtree_flat at exit. */
char *make_scratch_dir(const char *tag);
void remove_flat_dir(const char *dir);

#endif
