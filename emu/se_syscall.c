/* se_syscall: the Linux x86-64 system calls of SE mode.
 *
 * Conventions: arguments in rdi, rsi, rdx, r10, r8, r9; the result in rax, -errno on failure (the
 * syscall instruction's handler has already put rip and rflags in rcx and r11). Guest memory is reached only
 * through se_copy_in/se_copy_out (emu/se_mm.c), which serve demand faults and turn bad pointers
 * into -EFAULT, never into a signal.
 *
 * Files (docs/SE.md). Guest file descriptors map to host fds: 0, 1 and 2 are the host's own
 * standard streams (written with write(2) directly, so nothing is buffered in between; fstat,
 * TIOCGWINSZ and TCGETS report what the host says, so a program's stdio buffers exactly as it does
 * natively when piped or on a terminal). Everything else is opened read-only from the root folder
 * (`--root`, default the current one), which is the guest's "/" with chroot semantics: paths are
 * resolved one component at a time, ".." at the top stays at the top and absolute symlinks resolve
 * inside the root, so nothing outside it can be reached. The guest's cwd is "/" (the root folder)
 * and never changes. Opening for writing, creating or truncating gives EROFS.
 *
 * Time (docs/SE.md). Simulated and deterministic: the clock advances 1 ns per retired instruction
 * plus whatever nanosleep/clock_nanosleep asked for. CLOCK_REALTIME starts at 2024-01-01 00:00:00
 * UTC (1704067200), CLOCK_MONOTONIC/BOOTTIME at 1 s, the CPU-time clocks count instructions only.
 *
 * Identity: pid = tid = 1000, ppid 999, uid = gid = 1000; uname reports Linux 6.1.0-emu x86_64.
 * getrandom and AT_RANDOM come from a fixed-seed generator.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu/se_int.h"

/* ---- names ------------------------------------------------------------------------------------- */

static const char *const syscall_names[] = {
    [0] = "read",
    [1] = "write",
    [2] = "open",
    [3] = "close",
    [4] = "stat",
    [5] = "fstat",
    [6] = "lstat",
    [7] = "poll",
    [8] = "lseek",
    [9] = "mmap",
    [10] = "mprotect",
    [11] = "munmap",
    [12] = "brk",
    [13] = "rt_sigaction",
    [14] = "rt_sigprocmask",
    [15] = "rt_sigreturn",
    [16] = "ioctl",
    [17] = "pread64",
    [18] = "pwrite64",
    [19] = "readv",
    [20] = "writev",
    [21] = "access",
    [22] = "pipe",
    [23] = "select",
    [24] = "sched_yield",
    [25] = "mremap",
    [26] = "msync",
    [27] = "mincore",
    [28] = "madvise",
    [29] = "shmget",
    [30] = "shmat",
    [31] = "shmctl",
    [32] = "dup",
    [33] = "dup2",
    [34] = "pause",
    [35] = "nanosleep",
    [36] = "getitimer",
    [37] = "alarm",
    [38] = "setitimer",
    [39] = "getpid",
    [40] = "sendfile",
    [41] = "socket",
    [42] = "connect",
    [43] = "accept",
    [44] = "sendto",
    [45] = "recvfrom",
    [46] = "sendmsg",
    [47] = "recvmsg",
    [48] = "shutdown",
    [49] = "bind",
    [50] = "listen",
    [51] = "getsockname",
    [52] = "getpeername",
    [53] = "socketpair",
    [54] = "setsockopt",
    [55] = "getsockopt",
    [56] = "clone",
    [57] = "fork",
    [58] = "vfork",
    [59] = "execve",
    [60] = "exit",
    [61] = "wait4",
    [62] = "kill",
    [63] = "uname",
    [64] = "semget",
    [65] = "semop",
    [66] = "semctl",
    [67] = "shmdt",
    [68] = "msgget",
    [69] = "msgsnd",
    [70] = "msgrcv",
    [71] = "msgctl",
    [72] = "fcntl",
    [73] = "flock",
    [74] = "fsync",
    [75] = "fdatasync",
    [76] = "truncate",
    [77] = "ftruncate",
    [78] = "getdents",
    [79] = "getcwd",
    [80] = "chdir",
    [81] = "fchdir",
    [82] = "rename",
    [83] = "mkdir",
    [84] = "rmdir",
    [85] = "creat",
    [86] = "link",
    [87] = "unlink",
    [88] = "symlink",
    [89] = "readlink",
    [90] = "chmod",
    [91] = "fchmod",
    [92] = "chown",
    [93] = "fchown",
    [94] = "lchown",
    [95] = "umask",
    [96] = "gettimeofday",
    [97] = "getrlimit",
    [98] = "getrusage",
    [99] = "sysinfo",
    [100] = "times",
    [101] = "ptrace",
    [102] = "getuid",
    [103] = "syslog",
    [104] = "getgid",
    [105] = "setuid",
    [106] = "setgid",
    [107] = "geteuid",
    [108] = "getegid",
    [109] = "setpgid",
    [110] = "getppid",
    [111] = "getpgrp",
    [112] = "setsid",
    [113] = "setreuid",
    [114] = "setregid",
    [115] = "getgroups",
    [116] = "setgroups",
    [117] = "setresuid",
    [118] = "getresuid",
    [119] = "setresgid",
    [120] = "getresgid",
    [121] = "getpgid",
    [122] = "setfsuid",
    [123] = "setfsgid",
    [124] = "getsid",
    [125] = "capget",
    [126] = "capset",
    [127] = "rt_sigpending",
    [128] = "rt_sigtimedwait",
    [129] = "rt_sigqueueinfo",
    [130] = "rt_sigsuspend",
    [131] = "sigaltstack",
    [132] = "utime",
    [133] = "mknod",
    [134] = "uselib",
    [135] = "personality",
    [136] = "ustat",
    [137] = "statfs",
    [138] = "fstatfs",
    [139] = "sysfs",
    [140] = "getpriority",
    [141] = "setpriority",
    [142] = "sched_setparam",
    [143] = "sched_getparam",
    [144] = "sched_setscheduler",
    [145] = "sched_getscheduler",
    [146] = "sched_get_priority_max",
    [147] = "sched_get_priority_min",
    [148] = "sched_rr_get_interval",
    [149] = "mlock",
    [150] = "munlock",
    [151] = "mlockall",
    [152] = "munlockall",
    [153] = "vhangup",
    [154] = "modify_ldt",
    [155] = "pivot_root",
    [156] = "_sysctl",
    [157] = "prctl",
    [158] = "arch_prctl",
    [159] = "adjtimex",
    [160] = "setrlimit",
    [161] = "chroot",
    [162] = "sync",
    [163] = "acct",
    [164] = "settimeofday",
    [165] = "mount",
    [166] = "umount2",
    [167] = "swapon",
    [168] = "swapoff",
    [169] = "reboot",
    [170] = "sethostname",
    [171] = "setdomainname",
    [172] = "iopl",
    [173] = "ioperm",
    [174] = "create_module",
    [175] = "init_module",
    [176] = "delete_module",
    [177] = "get_kernel_syms",
    [178] = "query_module",
    [179] = "quotactl",
    [180] = "nfsservctl",
    [181] = "getpmsg",
    [182] = "putpmsg",
    [183] = "afs_syscall",
    [184] = "tuxcall",
    [185] = "security",
    [186] = "gettid",
    [187] = "readahead",
    [188] = "setxattr",
    [189] = "lsetxattr",
    [190] = "fsetxattr",
    [191] = "getxattr",
    [192] = "lgetxattr",
    [193] = "fgetxattr",
    [194] = "listxattr",
    [195] = "llistxattr",
    [196] = "flistxattr",
    [197] = "removexattr",
    [198] = "lremovexattr",
    [199] = "fremovexattr",
    [200] = "tkill",
    [201] = "time",
    [202] = "futex",
    [203] = "sched_setaffinity",
    [204] = "sched_getaffinity",
    [205] = "set_thread_area",
    [206] = "io_setup",
    [207] = "io_destroy",
    [208] = "io_getevents",
    [209] = "io_submit",
    [210] = "io_cancel",
    [211] = "get_thread_area",
    [212] = "lookup_dcookie",
    [213] = "epoll_create",
    [214] = "epoll_ctl_old",
    [215] = "epoll_wait_old",
    [216] = "remap_file_pages",
    [217] = "getdents64",
    [218] = "set_tid_address",
    [219] = "restart_syscall",
    [220] = "semtimedop",
    [221] = "fadvise64",
    [222] = "timer_create",
    [223] = "timer_settime",
    [224] = "timer_gettime",
    [225] = "timer_getoverrun",
    [226] = "timer_delete",
    [227] = "clock_settime",
    [228] = "clock_gettime",
    [229] = "clock_getres",
    [230] = "clock_nanosleep",
    [231] = "exit_group",
    [232] = "epoll_wait",
    [233] = "epoll_ctl",
    [234] = "tgkill",
    [235] = "utimes",
    [236] = "vserver",
    [237] = "mbind",
    [238] = "set_mempolicy",
    [239] = "get_mempolicy",
    [240] = "mq_open",
    [241] = "mq_unlink",
    [242] = "mq_timedsend",
    [243] = "mq_timedreceive",
    [244] = "mq_notify",
    [245] = "mq_getsetattr",
    [246] = "kexec_load",
    [247] = "waitid",
    [248] = "add_key",
    [249] = "request_key",
    [250] = "keyctl",
    [251] = "ioprio_set",
    [252] = "ioprio_get",
    [253] = "inotify_init",
    [254] = "inotify_add_watch",
    [255] = "inotify_rm_watch",
    [256] = "migrate_pages",
    [257] = "openat",
    [258] = "mkdirat",
    [259] = "mknodat",
    [260] = "fchownat",
    [261] = "futimesat",
    [262] = "newfstatat",
    [263] = "unlinkat",
    [264] = "renameat",
    [265] = "linkat",
    [266] = "symlinkat",
    [267] = "readlinkat",
    [268] = "fchmodat",
    [269] = "faccessat",
    [270] = "pselect6",
    [271] = "ppoll",
    [272] = "unshare",
    [273] = "set_robust_list",
    [274] = "get_robust_list",
    [275] = "splice",
    [276] = "tee",
    [277] = "sync_file_range",
    [278] = "vmsplice",
    [279] = "move_pages",
    [280] = "utimensat",
    [281] = "epoll_pwait",
    [282] = "signalfd",
    [283] = "timerfd_create",
    [284] = "eventfd",
    [285] = "fallocate",
    [286] = "timerfd_settime",
    [287] = "timerfd_gettime",
    [288] = "accept4",
    [289] = "signalfd4",
    [290] = "eventfd2",
    [291] = "epoll_create1",
    [292] = "dup3",
    [293] = "pipe2",
    [294] = "inotify_init1",
    [295] = "preadv",
    [296] = "pwritev",
    [297] = "rt_tgsigqueueinfo",
    [298] = "perf_event_open",
    [299] = "recvmmsg",
    [300] = "fanotify_init",
    [301] = "fanotify_mark",
    [302] = "prlimit64",
    [303] = "name_to_handle_at",
    [304] = "open_by_handle_at",
    [305] = "clock_adjtime",
    [306] = "syncfs",
    [307] = "sendmmsg",
    [308] = "setns",
    [309] = "getcpu",
    [310] = "process_vm_readv",
    [311] = "process_vm_writev",
    [312] = "kcmp",
    [313] = "finit_module",
    [314] = "sched_setattr",
    [315] = "sched_getattr",
    [316] = "renameat2",
    [317] = "seccomp",
    [318] = "getrandom",
    [319] = "memfd_create",
    [320] = "kexec_file_load",
    [321] = "bpf",
    [322] = "execveat",
    [323] = "userfaultfd",
    [324] = "membarrier",
    [325] = "mlock2",
    [326] = "copy_file_range",
    [327] = "preadv2",
    [328] = "pwritev2",
    [329] = "pkey_mprotect",
    [330] = "pkey_alloc",
    [331] = "pkey_free",
    [332] = "statx",
    [333] = "io_pgetevents",
    [334] = "rseq",
    [424] = "pidfd_send_signal",
    [425] = "io_uring_setup",
    [426] = "io_uring_enter",
    [427] = "io_uring_register",
    [428] = "open_tree",
    [429] = "move_mount",
    [430] = "fsopen",
    [431] = "fsconfig",
    [432] = "fsmount",
    [433] = "fspick",
    [434] = "pidfd_open",
    [435] = "clone3",
    [436] = "close_range",
    [437] = "openat2",
    [438] = "pidfd_getfd",
    [439] = "faccessat2",
    [440] = "process_madvise",
    [441] = "epoll_pwait2",
    [442] = "mount_setattr",
    [443] = "quotactl_fd",
    [444] = "landlock_create_ruleset",
    [445] = "landlock_add_rule",
    [446] = "landlock_restrict_self",
    [447] = "memfd_secret",
    [448] = "process_mrelease",
    [449] = "futex_waitv",
    [450] = "set_mempolicy_home_node",
};

const char *se_syscall_name(uint64_t nr)
{
    if (nr < sizeof(syscall_names) / sizeof(syscall_names[0]) && syscall_names[nr])
        return syscall_names[nr];
    return NULL;
}

/* ---- time and randomness ----------------------------------------------------------------------- */

#define SE_EPOCH_S 1704067200ull /* 2024-01-01 00:00:00 UTC */
#define SE_BOOT_NS 1000000000ull /* CLOCK_MONOTONIC at start */
#define NS 1000000000ull

static uint64_t instructions(const se_proc_t *se)
{
    const machine_t *m = se->m;
    uint64_t n = 0;
    if (m && m->cpus)
        for (int i = 0; i < m->nr_cpus; i++)
            if (m->cpus[i])
                n += m->cpus[i]->st.instructions;
    return n;
}

/* Time since start in ns (instructions plus sleeps). */
static uint64_t elapsed_ns(const se_proc_t *se) { return instructions(se) + se->sleep_ns; }

uint64_t se_time_ns(se_proc_t *se) { return SE_EPOCH_S * NS + elapsed_ns(se); }

/* Read clock clk in ns; -EINVAL for an unknown clock. */
static long clock_ns(se_proc_t *se, int64_t clk, uint64_t *ns)
{
    switch (clk) {
    case 0: case 5: case 8: case 11: /* REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI */
        *ns = se_time_ns(se);
        return 0;
    case 1: case 4: case 6: case 7: case 9: /* MONOTONIC, _RAW, _COARSE, BOOTTIME, BOOTTIME_ALARM */
        *ns = SE_BOOT_NS + elapsed_ns(se);
        return 0;
    case 2: case 3: /* PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID */
        *ns = instructions(se);
        return 0;
    default:
        /* Dynamic CPU clocks of our own pid/tid (as glibc/musl encode them) count CPU time too. */
        if (clk < 0) {
            *ns = instructions(se);
            return 0;
        }
        return -EINVAL;
    }
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void se_random(uint64_t *state, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        uint64_t v = splitmix64(state);
        size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

/* ---- file descriptors and paths ---------------------------------------------------------------- */

int se_fd_host(se_proc_t *se, int fd, const char **path)
{
    if (fd < 0 || fd >= SE_MAX_FDS || !se->fds[fd].used)
        return -EBADF;
    if (path)
        *path = se->fds[fd].path;
    return se->fds[fd].host;
}

static int fd_alloc(se_proc_t *se, int from)
{
    uint64_t lim = se->rlim_cur[7];
    for (int fd = from < 0 ? 0 : from; fd < SE_MAX_FDS && (uint64_t)fd < lim; fd++)
        if (!se->fds[fd].used)
            return fd;
    return -EMFILE;
}

static void fd_close(se_proc_t *se, int fd)
{
    se_fd_t *f = &se->fds[fd];
    if (f->own)
        close(f->host);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

static int fd_install(se_proc_t *se, int fd, int host, int own, int cloexec, const char *path)
{
    char *p = strdup(path ? path : "");
    if (!p) {
        if (own)
            close(host);
        return -ENOMEM;
    }
    se_fd_t *f = &se->fds[fd];
    f->used = 1;
    f->host = host;
    f->own = own;
    f->cloexec = cloexec;
    f->path = p;
    return fd;
}

int se_files_init(se_proc_t *se, const char *root, char *err, size_t errlen)
{
    char real[PATH_MAX];
    if (!root || !*root)
        root = ".";
    if (!realpath(root, real)) {
        snprintf(err, errlen, "--root %s: %s", root, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--root %s: not a directory", root);
        return -1;
    }
    /* The root is stored without a trailing slash; the host's "/" becomes "". */
    if (strcmp(real, "/") == 0)
        real[0] = 0;
    snprintf(se->root, sizeof(se->root), "%s", real);
    se->root_len = strlen(se->root);
    for (int fd = 0; fd < 3; fd++)
        if (fd_install(se, fd, fd, 0, 0, "") < 0) {
            snprintf(err, errlen, "out of host memory");
            return -1;
        }
    return 0;
}

void se_files_free(se_proc_t *se)
{
    for (int fd = 0; fd < SE_MAX_FDS; fd++)
        if (se->fds[fd].used)
            fd_close(se, fd);
}

/* Append "/comp" (comp of length n) to the host path cur. */
static int path_append(char *cur, size_t cap, const char *comp, size_t n)
{
    size_t len = strlen(cur);
    if (len + 1 + n + 1 > cap)
        return -ENAMETOOLONG;
    cur[len] = '/';
    memcpy(cur + len + 1, comp, n);
    cur[len + 1 + n] = 0;
    return 0;
}

int se_resolve(se_proc_t *se, int dirfd, const char *gpath, int follow_last, char *host, size_t hostlen)
{
    char cur[PATH_MAX], rest[PATH_MAX], tmp[PATH_MAX];
    if (!*gpath)
        return -ENOENT;
    if (strlen(gpath) >= sizeof(rest))
        return -ENAMETOOLONG;
    snprintf(cur, sizeof(cur), "%s", se->root);
    if (gpath[0] != '/' && dirfd != AT_FDCWD) {
        const char *dpath;
        int h = se_fd_host(se, dirfd, &dpath);
        if (h < 0)
            return -EBADF;
        struct stat st;
        if (fstat(h, &st) < 0 || !S_ISDIR(st.st_mode) || !dpath[0])
            return -ENOTDIR;
        if (strcmp(dpath, "/") != 0 && se->root_len + strlen(dpath) + 1 < sizeof(cur))
            strcat(cur, dpath);
    }
    size_t glen = strlen(gpath);
    int want_dir = gpath[glen - 1] == '/';
    if (want_dir)
        follow_last = 1;
    snprintf(rest, sizeof(rest), "%s", gpath);
    int links = 0;
    char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *next = p + n;
        while (*next == '/')
            next++;
        int last = !*next;
        if (n == 1 && p[0] == '.') {
            p = next;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            /* Never above the root. */
            char *slash = strrchr(cur, '/');
            if (strlen(cur) > se->root_len && slash && (size_t)(slash - cur) >= se->root_len)
                *slash = 0;
            p = next;
            continue;
        }
        size_t clen = strlen(cur);
        int r = path_append(cur, sizeof(cur), p, n);
        if (r)
            return r;
        if (last && !follow_last)
            break;
        struct stat st;
        if (lstat(cur, &st) < 0) {
            int e2 = errno;
            if (last && e2 == ENOENT)
                snprintf(host, hostlen, "%s", cur);
            return -e2;
        }
        if (S_ISLNK(st.st_mode)) {
            if (++links > 40)
                return -ELOOP;
            ssize_t tl = readlink(cur, tmp, sizeof(tmp) - 1);
            if (tl < 0)
                return -errno;
            tmp[tl] = 0;
            if (strlen(tmp) + 1 + strlen(next) + 1 > sizeof(rest))
                return -ENAMETOOLONG;
            /* rest := target "/" remaining */
            size_t tlen = strlen(tmp), rlen = strlen(next);
            memmove(rest + tlen + 1, next, rlen + 1);
            memcpy(rest, tmp, tlen);
            rest[tlen] = '/';
            p = rest;
            if (tmp[0] == '/')
                cur[se->root_len] = 0;
            else
                cur[clen] = 0;
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode))
            return -ENOTDIR;
        p = next;
    }
    if (want_dir) {
        struct stat st;
        if (stat(cur[0] ? cur : "/", &st) < 0)
            return -errno;
        if (!S_ISDIR(st.st_mode))
            return -ENOTDIR;
    }
    if (strlen(cur[0] ? cur : "/") + 1 > hostlen)
        return -ENAMETOOLONG;
    snprintf(host, hostlen, "%s", cur[0] ? cur : "/");
    return 0;
}

/* The guest path of a resolved host path. */
static const char *guest_path_of(const se_proc_t *se, const char *host)
{
    const char *g = host + se->root_len;
    if (se->root_len == 0)
        g = host;
    return *g ? g : "/";
}

static long read_path(se_proc_t *se, uint64_t va, char *buf)
{
    long n = se_strncpy_in(se, buf, va, PATH_MAX);
    return n < 0 ? n : 0;
}

/* ---- struct conversions -------------------------------------------------------------------------- */

/* struct stat as the x86-64 kernel lays it out (144 bytes). */
struct k_stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t reserved[3];
};

static long put_stat(se_proc_t *se, uint64_t va, const struct stat *st)
{
    struct k_stat k;
    memset(&k, 0, sizeof(k));
    k.dev = st->st_dev;
    k.ino = st->st_ino;
    k.nlink = st->st_nlink;
    k.mode = st->st_mode;
    k.uid = st->st_uid;
    k.gid = st->st_gid;
    k.rdev = st->st_rdev;
    k.size = st->st_size;
    k.blksize = st->st_blksize;
    k.blocks = st->st_blocks;
    k.atime = (uint64_t)st->st_atim.tv_sec;
    k.atime_ns = (uint64_t)st->st_atim.tv_nsec;
    k.mtime = (uint64_t)st->st_mtim.tv_sec;
    k.mtime_ns = (uint64_t)st->st_mtim.tv_nsec;
    k.ctime = (uint64_t)st->st_ctim.tv_sec;
    k.ctime_ns = (uint64_t)st->st_ctim.tv_nsec;
    return se_copy_out(se, va, &k, sizeof(k));
}

static long put_timespec(se_proc_t *se, uint64_t va, uint64_t ns)
{
    int64_t ts[2] = {(int64_t)(ns / NS), (int64_t)(ns % NS)};
    return se_copy_out(se, va, ts, sizeof(ts));
}

static long get_timespec(se_proc_t *se, uint64_t va, uint64_t *ns)
{
    int64_t ts[2];
    long r = se_copy_in(se, ts, va, sizeof(ts));
    if (r)
        return r;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NS)
        return -EINVAL;
    if ((uint64_t)ts[0] > UINT64_MAX / NS - 1)
        *ns = UINT64_MAX / 2;
    else
        *ns = (uint64_t)ts[0] * NS + (uint64_t)ts[1];
    return 0;
}

/* ---- file system calls ----------------------------------------------------------------------- */

#define IO_CHUNK (256u << 10)
#define IO_MAX 0x7ffff000ull /* Linux's MAX_RW_COUNT */

static int is_regular(int hfd)
{
    struct stat st;
    return fstat(hfd, &st) == 0 && S_ISREG(st.st_mode);
}

/* read/pread64: read into guest memory in chunks (off < 0: at the file position). */
static long do_read(se_proc_t *se, int fd, uint64_t va, uint64_t count, int64_t off)
{
    int h = se_fd_host(se, fd, NULL);
    if (h < 0)
        return h;
    if (count > IO_MAX)
        count = IO_MAX;
    if (count == 0) {
        ssize_t r = off < 0 ? read(h, NULL, 0) : pread(h, NULL, 0, off);
        return r < 0 ? -errno : 0;
    }
    int reg = is_regular(h);
    size_t cap = count < IO_CHUNK ? count : IO_CHUNK;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    uint64_t total = 0;
    while (total < count) {
        size_t want = count - total < cap ? count - total : cap;
        ssize_t r = off < 0 ? read(h, buf, want) : pread(h, buf, want, off + (int64_t)total);
        if (r < 0) {
            long e = -errno;
            free(buf);
            return total ? (long)total : e;
        }
        if (r == 0)
            break;
        if (se_copy_out(se, va + total, buf, (size_t)r)) {
            free(buf);
            return total ? (long)total : -EFAULT;
        }
        total += (uint64_t)r;
        if ((size_t)r < want || !reg)
            break;
    }
    free(buf);
    return (long)total;
}

/* Write host bytes to guest fd's host file; EPIPE raises SIGPIPE as Linux does. */
static long host_write(se_proc_t *se, cpu_t *c, int h, const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(h, buf + done, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            long e = -errno;
            if (e == -EPIPE)
                se_signal_send(se, c, 13);
            return done ? (long)done : e;
        }
        done += (size_t)r;
        if (r == 0)
            break;
    }
    return (long)done;
}

static long do_write(se_proc_t *se, cpu_t *c, int fd, uint64_t va, uint64_t count)
{
    int h = se_fd_host(se, fd, NULL);
    if (h < 0)
        return h;
    if (count > IO_MAX)
        count = IO_MAX;
    if (count == 0) {
        ssize_t r = write(h, "", 0);
        return r < 0 ? -errno : 0;
    }
    size_t cap = count < IO_CHUNK ? count : IO_CHUNK;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    uint64_t total = 0;
    while (total < count) {
        size_t want = count - total < cap ? count - total : cap;
        if (se_copy_in(se, buf, va + total, want)) {
            free(buf);
            return total ? (long)total : -EFAULT;
        }
        long r = host_write(se, c, h, buf, want);
        if (r < 0) {
            free(buf);
            return total ? (long)total : r;
        }
        total += (uint64_t)r;
        if ((size_t)r < want)
            break;
    }
    free(buf);
    return (long)total;
}

#define IOV_MAX_ 1024
#define IOV_GATHER_MAX (16u << 20)

/* Read the iovec array; returns the total length (clamped) or -errno. */
static long get_iov(se_proc_t *se, uint64_t va, int64_t cnt, uint64_t (*iov)[2])
{
    if (cnt < 0 || cnt > IOV_MAX_)
        return -EINVAL;
    if (cnt && se_copy_in(se, iov, va, (size_t)cnt * 16))
        return -EFAULT;
    uint64_t total = 0;
    for (int64_t i = 0; i < cnt; i++) {
        if ((int64_t)iov[i][1] < 0 || total + iov[i][1] > (uint64_t)INT64_MAX)
            return -EINVAL;
        total += iov[i][1];
    }
    return (long)total;
}

static long do_writev(se_proc_t *se, cpu_t *c, int fd, uint64_t va, int64_t cnt)
{
    int h = se_fd_host(se, fd, NULL);
    if (h < 0)
        return h;
    uint64_t(*iov)[2] = malloc(IOV_MAX_ * 16);
    if (!iov)
        return -ENOMEM;
    long total = get_iov(se, va, cnt, iov);
    if (total < 0) {
        free(iov);
        return total;
    }
    size_t n = (uint64_t)total < IOV_GATHER_MAX ? (size_t)total : IOV_GATHER_MAX;
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        free(iov);
        return -ENOMEM;
    }
    size_t at = 0;
    for (int64_t i = 0; i < cnt && at < n; i++) {
        size_t k = iov[i][1] < n - at ? iov[i][1] : n - at;
        if (k && se_copy_in(se, buf + at, iov[i][0], k)) {
            if (!at) {
                free(buf);
                free(iov);
                return -EFAULT;
            }
            break;
        }
        at += k;
    }
    long r = at ? host_write(se, c, h, buf, at) : (write(h, "", 0) < 0 ? -errno : 0);
    free(buf);
    free(iov);
    return r;
}

static long do_readv(se_proc_t *se, int fd, uint64_t va, int64_t cnt)
{
    int h = se_fd_host(se, fd, NULL);
    if (h < 0)
        return h;
    uint64_t(*iov)[2] = malloc(IOV_MAX_ * 16);
    if (!iov)
        return -ENOMEM;
    long total = get_iov(se, va, cnt, iov);
    if (total < 0) {
        free(iov);
        return total;
    }
    size_t n = (uint64_t)total < IOV_GATHER_MAX ? (size_t)total : IOV_GATHER_MAX;
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        free(iov);
        return -ENOMEM;
    }
    ssize_t r = read(h, buf, n);
    long ret = r < 0 ? -errno : r;
    size_t at = 0;
    for (int64_t i = 0; i < cnt && r > 0 && at < (size_t)r; i++) {
        size_t k = iov[i][1] < (size_t)r - at ? iov[i][1] : (size_t)r - at;
        if (k && se_copy_out(se, iov[i][0], buf + at, k)) {
            ret = at ? (long)at : -EFAULT;
            break;
        }
        at += k;
    }
    free(buf);
    free(iov);
    return ret;
}

#define K_O_ACCMODE 03
#define K_O_CREAT 0100
#define K_O_EXCL 0200
#define K_O_TRUNC 01000
#define K_O_TMPFILE 020000000
#define K_O_CLOEXEC 02000000

static long do_openat(se_proc_t *se, int dirfd, uint64_t path_va, int64_t flags, int64_t mode)
{
    char gpath[PATH_MAX], host[PATH_MAX];
    long r = read_path(se, path_va, gpath);
    if (r)
        return r;
    int wr = (flags & K_O_ACCMODE) != O_RDONLY || (flags & K_O_TRUNC) || (flags & K_O_TMPFILE) == K_O_TMPFILE;
    if ((flags & K_O_ACCMODE) == 3)
        return -EINVAL;
    host[0] = 0;
    r = se_resolve(se, dirfd, gpath, !(flags & O_NOFOLLOW), host, sizeof(host));
    if (r == -ENOENT && host[0] && (flags & K_O_CREAT))
        return -EROFS; /* the last component is missing and would be created */
    if (r)
        return r;
    if ((flags & (K_O_CREAT | K_O_EXCL)) == (K_O_CREAT | K_O_EXCL) || (flags & K_O_TMPFILE) == K_O_TMPFILE)
        return (flags & K_O_TMPFILE) == K_O_TMPFILE ? -EROFS : -EEXIST;
    if (wr) {
        struct stat st;
        if (stat(host, &st) == 0 && S_ISDIR(st.st_mode))
            return -EISDIR;
        return -EROFS;
    }
    int fd = fd_alloc(se, 0);
    if (fd < 0)
        return fd;
    /* The resolved path's last component is not a symlink unless O_NOFOLLOW kept it: O_NOFOLLOW on
     * the host keeps a link swapped in meanwhile from leading outside the root. */
    int hflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
                 (int)(flags & (O_NONBLOCK | O_DIRECTORY | O_PATH | O_NOATIME));
    int h = open(host, hflags);
    if (h < 0 && errno == EPERM && (hflags & O_NOATIME))
        h = open(host, hflags & ~O_NOATIME);
    if (h < 0)
        return -errno;
    if (h < 3) { /* keep host 0..2 free for the std streams */
        int h2 = fcntl(h, F_DUPFD_CLOEXEC, 3);
        close(h);
        if (h2 < 0)
            return -EMFILE;
        h = h2;
    }
    return fd_install(se, fd, h, 1, !!(flags & K_O_CLOEXEC), guest_path_of(se, host));
}

static long do_close(se_proc_t *se, int64_t fd)
{
    if (fd < 0 || fd >= SE_MAX_FDS || !se->fds[fd].used)
        return -EBADF;
    fd_close(se, (int)fd);
    return 0;
}

/* Make newfd (or the lowest free >= from when newfd < 0) a duplicate of oldfd. */
static long do_dup(se_proc_t *se, int64_t oldfd, int64_t newfd, int from, int cloexec)
{
    const char *path;
    int h = oldfd < INT32_MIN || oldfd > INT32_MAX ? -EBADF : se_fd_host(se, (int)oldfd, &path);
    if (h < 0)
        return -EBADF;
    int fd;
    if (newfd < 0) {
        fd = fd_alloc(se, from);
        if (fd < 0)
            return fd;
    } else {
        if (newfd >= SE_MAX_FDS || (uint64_t)newfd >= se->rlim_cur[7])
            return -EBADF;
        fd = (int)newfd;
    }
    int h2 = fcntl(h, F_DUPFD_CLOEXEC, 3);
    if (h2 < 0)
        return -errno;
    char *p = strdup(path);
    if (!p) {
        close(h2);
        return -ENOMEM;
    }
    if (se->fds[fd].used)
        fd_close(se, fd);
    long r = fd_install(se, fd, h2, 1, cloexec, p);
    free(p);
    return r;
}

static long do_fcntl(se_proc_t *se, int64_t fd, int64_t cmd, uint64_t arg)
{
    int h = fd < 0 || fd >= SE_MAX_FDS ? -EBADF : se_fd_host(se, (int)fd, NULL);
    if (h < 0)
        return -EBADF;
    se_fd_t *f = &se->fds[fd];
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if ((int64_t)arg < 0 || arg >= SE_MAX_FDS || arg >= se->rlim_cur[7])
            return -EINVAL;
        return do_dup(se, fd, -1, (int)arg, cmd == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return f->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
        f->cloexec = (arg & FD_CLOEXEC) != 0;
        return 0;
    case F_GETFL: {
        int fl = fcntl(h, F_GETFL);
        return fl < 0 ? -errno : fl;
    }
    case F_SETFL:
        /* Change the status flags of files we opened; the host's own streams are left alone. */
        if (f->own && fcntl(h, F_SETFL, (int)(arg & (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT))) < 0)
            return -errno;
        return 0;
    case F_GETLK:
    case F_OFD_GETLK: {
        int16_t type = F_UNLCK;
        return se_copy_out(se, arg, &type, sizeof(type));
    }
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: {
        int16_t type;
        if (se_copy_in(se, &type, arg, sizeof(type)))
            return -EFAULT;
        if (type == F_WRLCK)
            return -EBADF; /* write locks need a writable file */
        if (type != F_RDLCK && type != F_UNLCK)
            return -EINVAL;
        return 0;
    }
    case F_GETOWN:
    case F_SETOWN:
        return 0;
    case F_GETPIPE_SZ: {
        int r = fcntl(h, F_GETPIPE_SZ);
        return r < 0 ? -errno : r;
    }
    default:
        return -EINVAL;
    }
}

static long do_ioctl(se_proc_t *se, int64_t fd, uint64_t req, uint64_t arg)
{
    int h = fd < 0 || fd >= SE_MAX_FDS ? -EBADF : se_fd_host(se, (int)fd, NULL);
    if (h < 0)
        return -EBADF;
    switch (req) {
    case TIOCGWINSZ: {
        struct winsize ws;
        if (ioctl(h, TIOCGWINSZ, &ws) < 0)
            return -errno;
        return se_copy_out(se, arg, &ws, sizeof(ws));
    }
    case TCGETS: {
        /* The kernel's struct termios (36 bytes), straight from the host. */
        uint8_t t[64];
        long r = syscall(SYS_ioctl, h, TCGETS, t);
        if (r < 0)
            return -errno;
        return se_copy_out(se, arg, t, 36);
    }
    case FIONREAD: {
        int n;
        if (ioctl(h, FIONREAD, &n) < 0)
            return -errno;
        return se_copy_out(se, arg, &n, sizeof(n));
    }
    case FIOCLEX:
        se->fds[fd].cloexec = 1;
        return 0;
    case FIONCLEX:
        se->fds[fd].cloexec = 0;
        return 0;
    default:
        return -ENOTTY;
    }
}

#define K_AT_SYMLINK_NOFOLLOW 0x100
#define K_AT_EACCESS 0x200
#define K_AT_NO_AUTOMOUNT 0x800
#define K_AT_EMPTY_PATH 0x1000

static long do_fstat(se_proc_t *se, int64_t fd, uint64_t buf)
{
    int h = fd < 0 || fd >= SE_MAX_FDS ? -EBADF : se_fd_host(se, (int)fd, NULL);
    if (h < 0)
        return -EBADF;
    struct stat st;
    if (fstat(h, &st) < 0)
        return -errno;
    return put_stat(se, buf, &st);
}

static long do_fstatat(se_proc_t *se, int64_t dirfd, uint64_t path_va, uint64_t buf, int64_t flags)
{
    if (flags & ~(K_AT_SYMLINK_NOFOLLOW | K_AT_NO_AUTOMOUNT | K_AT_EMPTY_PATH))
        return -EINVAL;
    char gpath[PATH_MAX], host[PATH_MAX];
    long r = read_path(se, path_va, gpath);
    if (r)
        return r;
    if (!gpath[0] && (flags & K_AT_EMPTY_PATH)) {
        if ((int)dirfd == AT_FDCWD)
            snprintf(gpath, sizeof(gpath), "/");
        else
            return do_fstat(se, dirfd, buf);
    }
    r = se_resolve(se, (int)dirfd, gpath, !(flags & K_AT_SYMLINK_NOFOLLOW), host, sizeof(host));
    if (r)
        return r;
    struct stat st;
    if (((flags & K_AT_SYMLINK_NOFOLLOW) ? lstat(host, &st) : stat(host, &st)) < 0)
        return -errno;
    return put_stat(se, buf, &st);
}

static long do_faccessat(se_proc_t *se, int64_t dirfd, uint64_t path_va, int64_t mode, int64_t flags)
{
    if (mode & ~7)
        return -EINVAL;
    if (flags & ~(K_AT_SYMLINK_NOFOLLOW | K_AT_EACCESS | K_AT_EMPTY_PATH))
        return -EINVAL;
    char gpath[PATH_MAX], host[PATH_MAX];
    long r = read_path(se, path_va, gpath);
    if (r)
        return r;
    if (!gpath[0] && (flags & K_AT_EMPTY_PATH))
        snprintf(gpath, sizeof(gpath), ".");
    r = se_resolve(se, (int)dirfd, gpath, !(flags & K_AT_SYMLINK_NOFOLLOW), host, sizeof(host));
    if (r)
        return r;
    if (faccessat(AT_FDCWD, host, (int)(mode & ~W_OK), AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (mode & W_OK)
        return -EROFS;
    return 0;
}

static long do_readlinkat(se_proc_t *se, int64_t dirfd, uint64_t path_va, uint64_t buf, int64_t size)
{
    if (size <= 0)
        return -EINVAL;
    char gpath[PATH_MAX], host[PATH_MAX], target[PATH_MAX];
    long r = read_path(se, path_va, gpath);
    if (r)
        return r;
    r = se_resolve(se, (int)dirfd, gpath, 0, host, sizeof(host));
    if (r)
        return r;
    ssize_t n = readlink(host, target, sizeof(target));
    if (n < 0)
        return -errno;
    if (n > size)
        n = size;
    if (se_copy_out(se, buf, target, (size_t)n))
        return -EFAULT;
    return n;
}

static long do_lseek(se_proc_t *se, int64_t fd, int64_t off, int64_t whence)
{
    int h = fd < 0 || fd >= SE_MAX_FDS ? -EBADF : se_fd_host(se, (int)fd, NULL);
    if (h < 0)
        return -EBADF;
    if (whence < 0 || whence > 4)
        return -EINVAL;
    off_t r = lseek(h, off, (int)whence);
    return r < 0 ? -errno : (long)r;
}

static long do_getdents64(se_proc_t *se, int64_t fd, uint64_t buf, uint64_t count)
{
    int h = fd < 0 || fd >= SE_MAX_FDS ? -EBADF : se_fd_host(se, (int)fd, NULL);
    if (h < 0)
        return -EBADF;
    if (count > (64u << 10))
        count = 64u << 10;
    char *tmp = malloc(count ? count : 1);
    if (!tmp)
        return -ENOMEM;
    long n = syscall(SYS_getdents64, h, tmp, (size_t)count);
    if (n < 0)
        n = -errno;
    else if (n > 0 && se_copy_out(se, buf, tmp, (size_t)n))
        n = -EFAULT;
    free(tmp);
    return n;
}

/* ---- process and misc ------------------------------------------------------------------------- */

static long do_uname(se_proc_t *se, uint64_t buf)
{
    char u[6][65];
    memset(u, 0, sizeof(u));
    strcpy(u[0], "Linux");
    strcpy(u[1], "emu");
    strcpy(u[2], "6.1.0-emu");
    strcpy(u[3], "#1 SMP PREEMPT_DYNAMIC emu");
    strcpy(u[4], "x86_64");
    strcpy(u[5], "(none)");
    return se_copy_out(se, buf, u, sizeof(u));
}

#define RLIM_INF UINT64_MAX

static long do_prlimit(se_proc_t *se, int64_t pid, int64_t res, uint64_t new_va, uint64_t old_va)
{
    if (pid != 0 && pid != SE_PID)
        return -ESRCH;
    if (res < 0 || res >= 16)
        return -EINVAL;
    uint64_t nv[2];
    if (new_va) {
        if (se_copy_in(se, nv, new_va, sizeof(nv)))
            return -EFAULT;
        if (nv[0] > nv[1])
            return -EINVAL;
        if (nv[1] > se->rlim_max[res])
            return -EPERM;
        if (res == 7 && nv[1] > SE_MAX_FDS)
            return -EPERM;
    }
    if (old_va) {
        uint64_t ov[2] = {se->rlim_cur[res], se->rlim_max[res]};
        if (se_copy_out(se, old_va, ov, sizeof(ov)))
            return -EFAULT;
    }
    if (new_va) {
        se->rlim_cur[res] = nv[0];
        se->rlim_max[res] = nv[1];
    }
    return 0;
}

static long do_getrandom(se_proc_t *se, uint64_t buf, uint64_t len, uint64_t flags)
{
    if (flags & ~7ull)
        return -EINVAL;
    if ((flags & 2) && (flags & 4)) /* GRND_RANDOM with GRND_INSECURE */
        return -EINVAL;
    if (len > 33554431)
        len = 33554431;
    uint8_t tmp[4096];
    uint64_t done = 0;
    while (done < len) {
        size_t k = len - done < sizeof(tmp) ? len - done : sizeof(tmp);
        se_random(&se->rand_state, tmp, k);
        if (se_copy_out(se, buf + done, tmp, k))
            return done ? (long)done : -EFAULT;
        done += k;
    }
    return (long)done;
}

#define K_ARCH_SET_GS 0x1001
#define K_ARCH_SET_FS 0x1002
#define K_ARCH_GET_FS 0x1003
#define K_ARCH_GET_GS 0x1004

static long do_arch_prctl(se_proc_t *se, cpu_t *c, int64_t code, uint64_t addr)
{
    if (!c)
        return -EINVAL;
    switch (code) {
    case K_ARCH_SET_FS:
    case K_ARCH_SET_GS:
        if (addr >= (se->levels == 5 ? SE_TASK_SIZE_LA57 : SE_TASK_SIZE))
            return -EPERM;
        if (code == K_ARCH_SET_FS)
            c->fs_base = addr;
        else
            c->gs_base = addr;
        return 0;
    case K_ARCH_GET_FS:
        return se_copy_out(se, addr, &c->fs_base, 8);
    case K_ARCH_GET_GS:
        return se_copy_out(se, addr, &c->gs_base, 8);
    default:
        return -EINVAL;
    }
}

/* Memory policies (NUMA): the argument handling of mm/mempolicy.c and mm/migrate.c (Linux 6.1);
 * placement itself is in se_mm.c. */

/* get_nodes(): maxnode counts one more bit than the mask holds (the kernel's off-by-one: maxnode
 * N reads N - 1 bits, so maxnode 0 is "no mask" only with a NULL pointer); bits at or above
 * MAX_NUMNODES must be zero. */
static long get_nodes(se_proc_t *se, se_nodemask_t *nodes, uint64_t va, uint64_t maxnode)
{
    memset(nodes, 0, sizeof(*nodes));
    uint64_t nbits = maxnode - 1;
    if (nbits == 0 || !va)
        return 0;
    if (nbits > SE_PAGE * 8)
        return -EINVAL;
    uint64_t words = (nbits + 63) / 64;
    for (uint64_t w = 0; w < words; w++) {
        uint64_t v;
        if (se_copy_in(se, &v, va + w * 8, 8))
            return -EFAULT;
        if (w == words - 1 && nbits % 64)
            v &= (1ull << (nbits % 64)) - 1;
        if (w < SE_MAX_NUMNODES / 64)
            nodes->w[w] = v;
        else if (v)
            return -EINVAL; /* nodes beyond MAX_NUMNODES */
    }
    return 0;
}

/* sanitize_mpol_flags(): split the mode from its flags. 0 or -EINVAL. */
static long sanitize_mpol(int64_t arg, int *mode, int *flags)
{
    int m = (int)(int32_t)arg;
    *flags = m & SE_MPOL_MODE_FLAGS;
    *mode = m & ~SE_MPOL_MODE_FLAGS;
    if ((unsigned)*mode >= SE_MPOL_MAX)
        return -EINVAL;
    if ((*flags & SE_MPOL_F_STATIC_NODES) && (*flags & SE_MPOL_F_RELATIVE_NODES))
        return -EINVAL;
    if ((*flags & SE_MPOL_F_NUMA_BALANCING) && *mode != SE_MPOL_BIND)
        return -EINVAL;
    return 0;
}

static long do_set_mempolicy(se_proc_t *se, uint64_t mode_arg, uint64_t nmask, uint64_t maxnode)
{
    int mode, flags;
    se_nodemask_t raw;
    long r = sanitize_mpol((int64_t)mode_arg, &mode, &flags);
    if (r || (r = get_nodes(se, &raw, nmask, maxnode)))
        return r;
    se_mpol_t pol;
    if ((r = se_mpol_new(se, mode, flags, &raw, &pol)))
        return r;
    se->mpol = pol;
    if (pol.mode == SE_MPOL_INTERLEAVE)
        se->il_prev = SE_MAX_NUMNODES - 1;
    return 0;
}

static long do_mbind(se_proc_t *se, const uint64_t a[6])
{
    int mode, flags;
    se_nodemask_t raw;
    long r = sanitize_mpol((int64_t)a[2], &mode, &flags);
    if (r || (r = get_nodes(se, &raw, a[3], a[4])))
        return r;
    return se_mbind(se, a[0], a[1], mode, flags, &raw, (unsigned)a[5] == a[5] ? (unsigned)a[5] : ~0u);
}

/* copy_nodes_to_user(): (maxnode - 1) bits rounded up to longs; beyond the kernel's own mask
 * (one long here) zeroed, up to a page. */
static long put_nodes(se_proc_t *se, uint64_t va, uint64_t maxnode, uint64_t mask)
{
    uint64_t copy = ((maxnode - 1 + 63) & ~63ull) / 8, nbytes = 8;
    if (copy > nbytes) {
        if (copy > SE_PAGE)
            return -EINVAL;
        static const uint8_t zero[SE_PAGE];
        if (se_copy_out(se, va + nbytes, zero, copy - nbytes))
            return -EFAULT;
        copy = nbytes;
    }
    return copy && se_copy_out(se, va, &mask, copy) ? -EFAULT : 0;
}

/* The node after prev in mask, wrapping (next_node_in()). */
static int next_node_in_mask(int prev, uint64_t mask)
{
    uint64_t above = prev + 1 >= 64 ? 0 : mask & (~0ull << (prev + 1));
    return mask ? __builtin_ctzll(above ? above : mask) : -1;
}

static long do_get_mempolicy(se_proc_t *se, uint64_t pol_va, uint64_t mask_va, uint64_t maxnode, uint64_t addr,
                             uint64_t flags)
{
    if (mask_va && maxnode < (uint64_t)se->nr_nodes)
        return -EINVAL;
    uint64_t all = se->nr_nodes >= 64 ? ~0ull : (1ull << se->nr_nodes) - 1;
    static const se_mpol_t none = {0};
    const se_mpol_t *pol = &se->mpol;
    int32_t val;
    uint64_t mask;
    if (flags & ~7ull) /* MPOL_F_NODE, MPOL_F_ADDR, MPOL_F_MEMS_ALLOWED */
        return -EINVAL;
    if (flags & 4) {
        if (flags & 3)
            return -EINVAL;
        val = 0;
        mask = all;
    } else {
        if (flags & 2) {
            se_vma_t *v = addr < SE_TASK_SIZE_LA57 ? se_find_vma(se, addr) : NULL;
            if (!v)
                return -EFAULT;
            pol = v->mpol.mode != SE_MPOL_DEFAULT ? &v->mpol : &none; /* no fallback to the task's */
        } else if (addr) {
            return -EINVAL;
        }
        if (flags & 1) {
            if (flags & 2) {
                int n = se_page_node(se, addr, 1); /* lookup_node(): faults the page in */
                if (n < 0)
                    return n;
                val = n;
            } else if (pol == &se->mpol && pol->mode == SE_MPOL_INTERLEAVE) {
                val = next_node_in_mask(se->il_prev, pol->nodes);
            } else {
                return -EINVAL;
            }
        } else {
            val = pol->mode | (pol->flags & SE_MPOL_MODE_FLAGS);
        }
        mask = (pol->flags & (SE_MPOL_F_STATIC_NODES | SE_MPOL_F_RELATIVE_NODES)) ? pol->user_nodes : pol->nodes;
    }
    if (pol_va && se_copy_out(se, pol_va, &val, sizeof(val)))
        return -EFAULT;
    return mask_va ? put_nodes(se, mask_va, maxnode, mask) : 0;
}

/* move_pages(2) for the process itself (pid 0 or ours). nodes 0: report each page's node. */
static long do_move_pages(se_proc_t *se, int64_t pid, uint64_t count, uint64_t pages, uint64_t nodes,
                          uint64_t status, int64_t flags)
{
    if (flags & ~(int64_t)(SE_MPOL_MF_MOVE | SE_MPOL_MF_MOVE_ALL))
        return -EINVAL;
    if (flags & SE_MPOL_MF_MOVE_ALL)
        return -EPERM;
    if (pid != 0 && pid != SE_PID)
        return -ESRCH;
    long left = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t va;
        int32_t st, node = 0;
        if (se_copy_in(se, &va, pages + i * 8, 8))
            return -EFAULT;
        if (nodes) {
            if (se_copy_in(se, &node, nodes + i * 4, 4))
                return -EFAULT;
            if (node < 0 || node >= se->nr_nodes)
                return -ENODEV;
            int r = se_move_page(se, va, node);
            if (r == -ENOMEM) {
                left++; /* not moved: its status stays as the program left it, as on Linux */
                continue;
            }
            st = r < 0 ? r : node;
        } else {
            st = se_page_node(se, va, 0);
        }
        if (se_copy_out(se, status + i * 4, &st, 4))
            return -EFAULT;
    }
    return left;
}

static long do_migrate_pages(se_proc_t *se, int64_t pid, uint64_t maxnode, uint64_t old_va, uint64_t new_va)
{
    se_nodemask_t from, to;
    long r = get_nodes(se, &from, old_va, maxnode);
    if (r || (r = get_nodes(se, &to, new_va, maxnode)))
        return r;
    if (pid != 0 && pid != SE_PID)
        return -ESRCH;
    uint64_t all = se->nr_nodes >= 64 ? ~0ull : (1ull << se->nr_nodes) - 1;
    for (int w = 1; w < SE_MAX_NUMNODES / 64; w++)
        if (to.w[w])
            return -EPERM; /* nodes the task may not use (no CAP_SYS_NICE) */
    if (to.w[0] & ~all)
        return -EPERM;
    if (!to.w[0])
        return -EINVAL;
    return se_migrate_pages(se, from.w[0] & all, to.w[0]);
}

static long do_getrusage(se_proc_t *se, int64_t who, uint64_t va)
{
    if (who != 0 && who != -1 && who != 1)
        return -EINVAL;
    int64_t ru[18];
    memset(ru, 0, sizeof(ru));
    if (who != -1) {
        uint64_t ns = instructions(se);
        ru[0] = (int64_t)(ns / NS);
        ru[1] = (int64_t)(ns % NS / 1000);
        ru[4] = (int64_t)((se->st.frames_allocated - se->st.frames_freed) * 4); /* maxrss in KiB (current) */
        ru[10] = (int64_t)se->st.demand_faults; /* minflt */
    }
    return se_copy_out(se, va, ru, sizeof(ru));
}

static long do_times(se_proc_t *se, uint64_t va)
{
    if (va) {
        int64_t t[4] = {(int64_t)(instructions(se) / 10000000ull), 0, 0, 0};
        if (se_copy_out(se, va, t, sizeof(t)))
            return -EFAULT;
    }
    return (long)((SE_BOOT_NS + elapsed_ns(se)) / 10000000ull);
}

static long do_sleep(se_proc_t *se, int64_t clk, int64_t flags, uint64_t req_va)
{
    if (clk != 0 && clk != 1 && clk != 2 && clk != 7 && clk != 11) /* REALTIME MONOTONIC PROCESS_CPUTIME BOOTTIME TAI */
        return -EINVAL;
    if (flags & ~1ll)
        return -EINVAL;
    uint64_t req;
    long r = get_timespec(se, req_va, &req);
    if (r)
        return r;
    if (flags & 1) { /* TIMER_ABSTIME */
        uint64_t now;
        clock_ns(se, clk, &now);
        if (req > now)
            se->sleep_ns += req - now;
    } else {
        se->sleep_ns += req;
    }
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static long enosys(se_proc_t *se, uint64_t nr)
{
    se->st.unknown_syscalls++;
    /* Once per call number (numbers beyond the table share its last slot). */
    uint64_t slot = nr < sizeof(se->enosys_seen) * 8 ? nr : sizeof(se->enosys_seen) * 8 - 1;
    if (se->enosys_seen[slot / 8] & (1u << (slot % 8)))
        return -ENOSYS;
    se->enosys_seen[slot / 8] |= (uint8_t)(1u << (slot % 8));
    const char *name = se_syscall_name(nr);
    if (name)
        emu_msg("system call %s (%llu) is not implemented; returning ENOSYS", name, (unsigned long long)nr);
    else
        emu_msg("unknown system call %llu; returning ENOSYS", (unsigned long long)nr);
    return -ENOSYS;
}

long se_do_syscall(se_proc_t *se, cpu_t *c, uint64_t nr, const uint64_t a[6])
{
    machine_t *m = se->m;
    switch (nr) {
    case 0: /* read */
        return do_read(se, (int)a[0], a[1], a[2], -1);
    case 1: /* write */
        return do_write(se, c, (int)a[0], a[1], a[2]);
    case 2: /* open */
        return do_openat(se, AT_FDCWD, a[0], (int64_t)a[1], (int64_t)a[2]);
    case 3: /* close */
        return do_close(se, (int)a[0]);
    case 4: /* stat */
        return do_fstatat(se, AT_FDCWD, a[0], a[1], 0);
    case 5: /* fstat */
        return do_fstat(se, (int)a[0], a[1]);
    case 6: /* lstat */
        return do_fstatat(se, AT_FDCWD, a[0], a[1], K_AT_SYMLINK_NOFOLLOW);
    case 8: /* lseek */
        return do_lseek(se, (int)a[0], (int64_t)a[1], (int)a[2]);
    case 9: /* mmap */
        return se_mmap(se, a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5]);
    case 10: /* mprotect */
        return se_mprotect(se, a[0], a[1], (int)a[2]);
    case 11: /* munmap */
        return se_munmap(se, a[0], a[1]);
    case 12: /* brk */
        return se_brk(se, a[0]);
    case 13: /* rt_sigaction */
        return se_sys_rt_sigaction(se, (int64_t)a[0], a[1], a[2], a[3]);
    case 14: /* rt_sigprocmask */
        return se_sys_rt_sigprocmask(se, c, (int64_t)a[0], a[1], a[2], a[3]);
    case 15: /* rt_sigreturn */
        return se_sys_rt_sigreturn(se, c);
    case 16: /* ioctl */
        return do_ioctl(se, (int)a[0], (uint32_t)a[1], a[2]);
    case 17: /* pread64 */
        if ((int64_t)a[3] < 0)
            return -EINVAL;
        return do_read(se, (int)a[0], a[1], a[2], (int64_t)a[3]);
    case 19: /* readv */
        return do_readv(se, (int)a[0], a[1], (int64_t)(int32_t)a[2]);
    case 20: /* writev */
        return do_writev(se, c, (int)a[0], a[1], (int64_t)(int32_t)a[2]);
    case 21: /* access */
        return do_faccessat(se, AT_FDCWD, a[0], (int)a[1], 0);
    case 24: /* sched_yield */
        return 0;
    case 25: /* mremap */
        return se_mremap(se, a[0], a[1], a[2], (int)a[3], a[4]);
    case 26: /* msync */
        if (a[0] & (SE_PAGE - 1) || (a[2] & ~7ull) || ((a[2] & 1) && (a[2] & 4)))
            return -EINVAL;
        return 0;
    case 28: /* madvise */
        return se_madvise(se, a[0], a[1], (int)a[2]);
    case 32: /* dup */
        return do_dup(se, (int)a[0], -1, 0, 0);
    case 33: /* dup2 */
        if ((int)a[0] == (int)a[1])
            return se_fd_host(se, (int)a[0], NULL) < 0 ? -EBADF : (long)(int)a[1];
        return do_dup(se, (int)a[0], (int)a[1], 0, 0);
    case 34: /* pause */
        return se_sys_pause(se);
    case 35: /* nanosleep */
        return do_sleep(se, 1, 0, a[0]);
    case 39: /* getpid */
        return SE_PID;
    case 60: /* exit */
    case 231: /* exit_group */
        machine_exit(m, (int)(a[0] & 0xff));
        if (c)
            c->block_end = NULL;
        return 0;
    case 62: /* kill */
        return se_sys_kill(se, c, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1]);
    case 63: /* uname */
        return do_uname(se, a[0]);
    case 72: /* fcntl */
        return do_fcntl(se, (int)a[0], (int)a[1], a[2]);
    case 79: { /* getcwd */
        if (a[1] < 2)
            return -ERANGE;
        return se_copy_out(se, a[0], "/", 2) ? -EFAULT : 2;
    }
    case 89: /* readlink */
        return do_readlinkat(se, AT_FDCWD, a[0], a[1], (int64_t)(int32_t)a[2]);
    case 95: { /* umask */
        uint32_t old = se->umask;
        se->umask = (uint32_t)a[0] & 0777;
        return old;
    }
    case 96: { /* gettimeofday */
        if (a[0]) {
            uint64_t ns = se_time_ns(se);
            int64_t tv[2] = {(int64_t)(ns / NS), (int64_t)(ns % NS / 1000)};
            if (se_copy_out(se, a[0], tv, sizeof(tv)))
                return -EFAULT;
        }
        if (a[1]) {
            int32_t tz[2] = {0, 0};
            if (se_copy_out(se, a[1], tz, sizeof(tz)))
                return -EFAULT;
        }
        return 0;
    }
    case 97: /* getrlimit */
        return do_prlimit(se, 0, (int64_t)a[0], 0, a[1]);
    case 98: /* getrusage */
        return do_getrusage(se, (int64_t)(int32_t)a[0], a[1]);
    case 100: /* times */
        return do_times(se, a[0]);
    case 102: /* getuid */
    case 107: /* geteuid */
        return SE_UID;
    case 104: /* getgid */
    case 108: /* getegid */
        return SE_GID;
    case 110: /* getppid */
        return SE_PPID;
    case 111: /* getpgrp */
        return SE_PID;
    case 121: /* getpgid */
    case 124: /* getsid */
        if (a[0] && a[0] != SE_PID)
            return -ESRCH;
        return SE_PID;
    case 127: /* rt_sigpending */
        return se_sys_rt_sigpending(se, a[0], a[1]);
    case 128: /* rt_sigtimedwait */
        return se_sys_rt_sigtimedwait(se, a[0], a[1], a[2], a[3]);
    case 129: /* rt_sigqueueinfo */
        return se_sys_rt_sigqueueinfo(se, (int64_t)(int32_t)a[0], -1, (int64_t)(int32_t)a[1], a[2]);
    case 130: /* rt_sigsuspend */
        return se_sys_rt_sigsuspend(se, a[0], a[1]);
    case 131: /* sigaltstack */
        return se_sys_sigaltstack(se, c, a[0], a[1]);
    case 149: /* mlock */
    case 150: /* munlock */
        return 0;
    case 158: /* arch_prctl */
        return do_arch_prctl(se, c, (int64_t)(int32_t)a[0], a[1]);
    case 160: /* setrlimit */
        return do_prlimit(se, 0, (int64_t)a[0], a[1], 0);
    case 186: /* gettid */
        return SE_PID;
    case 200: /* tkill */
        return se_sys_tgkill(se, c, -1, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1]);
    case 201: { /* time */
        int64_t t = (int64_t)(se_time_ns(se) / NS);
        if (a[0] && se_copy_out(se, a[0], &t, sizeof(t)))
            return -EFAULT;
        return t;
    }
    case 217: /* getdents64 */
        return do_getdents64(se, (int)a[0], a[1], a[2]);
    case 218: /* set_tid_address */
        se->clear_child_tid = a[0];
        return SE_PID;
    case 228: { /* clock_gettime */
        uint64_t ns;
        long r = clock_ns(se, (int64_t)(int32_t)a[0], &ns);
        if (r)
            return r;
        return put_timespec(se, a[1], ns);
    }
    case 229: { /* clock_getres */
        uint64_t ns;
        int64_t clk = (int64_t)(int32_t)a[0];
        long r = clock_ns(se, clk, &ns);
        if (r)
            return r;
        if (!a[1])
            return 0;
        return put_timespec(se, a[1], (clk == 5 || clk == 6) ? 4000000 : 1);
    }
    case 230: /* clock_nanosleep */
        return do_sleep(se, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], a[2]);
    case 234: /* tgkill */
        return se_sys_tgkill(se, c, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], (int64_t)(int32_t)a[2]);
    case 237: /* mbind */
        return do_mbind(se, a);
    case 238: /* set_mempolicy */
        return do_set_mempolicy(se, a[0], a[1], a[2]);
    case 239: /* get_mempolicy */
        return do_get_mempolicy(se, a[0], a[1], a[2], a[3], a[4]);
    case 256: /* migrate_pages */
        return do_migrate_pages(se, (int64_t)(int32_t)a[0], a[1], a[2], a[3]);
    case 279: /* move_pages */
        return do_move_pages(se, (int64_t)(int32_t)a[0], a[1], a[2], a[3], a[4], (int64_t)(int32_t)a[5]);
    case 309: { /* getcpu: the CPU of --cpu and its node */
        uint32_t cpu = (uint32_t)se->cpu, node = (uint32_t)se->local_node;
        if (a[0] && se_copy_out(se, a[0], &cpu, 4))
            return -EFAULT;
        if (a[1] && se_copy_out(se, a[1], &node, 4))
            return -EFAULT;
        return 0;
    }
    case 257: /* openat */
        return do_openat(se, (int)a[0], a[1], (int64_t)a[2], (int64_t)a[3]);
    case 262: /* newfstatat */
        return do_fstatat(se, (int)a[0], a[1], a[2], (int64_t)(int32_t)a[3]);
    case 267: /* readlinkat */
        return do_readlinkat(se, (int)a[0], a[1], a[2], (int64_t)(int32_t)a[3]);
    case 269: /* faccessat */
        return do_faccessat(se, (int)a[0], a[1], (int)a[2], 0);
    case 292: /* dup3 */
        if (a[2] & ~(uint64_t)K_O_CLOEXEC)
            return -EINVAL;
        if ((int)a[0] == (int)a[1])
            return -EINVAL;
        return do_dup(se, (int)a[0], (int)a[1], 0, !!(a[2] & K_O_CLOEXEC));
    case 273: /* set_robust_list (recorded; there are no other threads to wake) */
        if (a[1] != 24)
            return -EINVAL;
        se->robust_list = a[0];
        return 0;
    case 297: /* rt_tgsigqueueinfo */
        return se_sys_rt_sigqueueinfo(se, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], (int64_t)(int32_t)a[2], a[3]);
    case 302: /* prlimit64 */
        return do_prlimit(se, (int64_t)(int32_t)a[0], (int64_t)(int32_t)a[1], a[2], a[3]);
    case 318: /* getrandom */
        return do_getrandom(se, a[0], a[1], a[2]);
    case 439: /* faccessat2 */
        return do_faccessat(se, (int)a[0], a[1], (int)a[2], (int)a[3]);
    default:
        return enosys(se, nr);
    }
}

void se_syscall(cpu_t *c)
{
    machine_t *m = c->m;
    se_proc_t *se = m->se;
    uint64_t nr = c->r[R_RAX];
    uint64_t a[6] = {c->r[R_RDI], c->r[R_RSI], c->r[R_RDX], c->r[R_R10], c->r[R_R8], c->r[R_R9]};
    long r = se_do_syscall(se, c, nr, a);
    c->r[R_RAX] = (uint64_t)r;
    if (se->oom)
        se_out_of_memory(se, c);
    /* The return to user mode: pending signals are delivered now (a handler's frame saves rax). */
    se_signal_deliver(se, c);
    if (m->stop)
        c->block_end = NULL;
}
