/* se_int: the internals of syscall emulation shared by emu/loader.c, emu/se_mm.c,
 * emu/se_syscall.c and emu/se_signal.c (and their unit tests). Private to those files.
 *
 * One process (struct se_proc, m->se) owns:
 *   - a physical frame allocator over the machine's DRAM (se_mm.c),
 *   - genuine x86-64 page tables in guest physical memory, 4 or 5 levels (se_mm.c),
 *   - a sorted array of VMAs describing what may be mapped where (se_mm.c),
 *   - a file-descriptor table over host fds, confined to a root folder (se_syscall.c),
 *   - signal dispositions, the blocked and pending sets (se_signal.c),
 *   - simulated time and a deterministic random stream (se_syscall.c).
 */
#ifndef EMU_SE_INT_H
#define EMU_SE_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/machine.h"
#include "emu/se.h"

#define SE_PAGE 4096ull
#define SE_PAGE_MASK (~(SE_PAGE - 1))
#define SE_PAGE_UP(x) (((x) + SE_PAGE - 1) & SE_PAGE_MASK)
#define SE_PAGE_DOWN(x) ((x) & SE_PAGE_MASK)

/* Top of user space: 47 bits minus one page (Linux's TASK_SIZE_MAX / DEFAULT_MAP_WINDOW). With
 * 5-level paging a program may ask (with an mmap hint) for addresses up to SE_TASK_SIZE_LA57. */
#define SE_TASK_SIZE 0x00007ffffffff000ull
#define SE_TASK_SIZE_LA57 0x00fffffffffff000ull
/* Lowest address mmap hands out or accepts (Linux's vm.mmap_min_addr default). */
#define SE_MMAP_MIN 0x10000ull
/* The initial stack ends here (Linux's STACK_TOP without randomisation). */
#define SE_STACK_TOP SE_TASK_SIZE
/* Unmapped gap kept below a stack mapping (Linux's stack_guard_gap: 256 pages). */
#define SE_STACK_GUARD (256 * SE_PAGE)
/* Load address of a static-pie (ET_DYN) executable: Linux's ELF_ET_DYN_BASE without ASLR. */
#define SE_PIE_BASE 0x555555554000ull
#define SE_MAX_VMAS 65530

/* Software bit of a non-present PTE that still holds its frame (a PROT_NONE page). Bits 9..11 are
 * ignored by the MMU; with P clear every other bit is too. */
#define PTE_SW_PROTNONE (1ull << 9)
/* Software bit of a 2 MiB leaf (a PDE with PS) that is a transparent huge page: one page-table
 * frame is deposited for it (se_proc.thp_deposit), so splitting it into 4 KiB PTEs never needs
 * memory (Linux's pgtable_trans_huge_deposit). A leaf without it belongs to a MAP_HUGETLB mapping
 * and is never split. Bits 9..11 of a PDE with PS are ignored by the MMU. */
#define PTE_SW_THP (1ull << 10)

/* Huge page sizes (x86-64: a PDE with PS maps 2 MiB, a PDPTE with PS 1 GiB). */
#define SE_HPAGE_2M (1ull << 21)
#define SE_HPAGE_1G (1ull << 30)

/* se.thp: when anonymous memory gets transparent huge pages (Linux's
 * /sys/kernel/mm/transparent_hugepage/enabled); the order matches the choices of the se.thp key. */
enum se_thp_mode { SE_THP_NEVER = 0, SE_THP_MADVISE = 1, SE_THP_ALWAYS = 2 };

/* Linux mmap/mprotect constants (uapi). */
#define SE_PROT_READ 0x1
#define SE_PROT_WRITE 0x2
#define SE_PROT_EXEC 0x4
#define SE_PROT_GROWSDOWN 0x01000000
#define SE_PROT_GROWSUP 0x02000000
#define SE_MAP_SHARED 0x01
#define SE_MAP_PRIVATE 0x02
#define SE_MAP_SHARED_VALIDATE 0x03
#define SE_MAP_TYPE 0x0f
#define SE_MAP_FIXED 0x10
#define SE_MAP_ANONYMOUS 0x20
#define SE_MAP_32BIT 0x40
#define SE_MAP_GROWSDOWN 0x100
#define SE_MAP_DENYWRITE 0x800
#define SE_MAP_EXECUTABLE 0x1000
#define SE_MAP_LOCKED 0x2000
#define SE_MAP_NORESERVE 0x4000
#define SE_MAP_POPULATE 0x8000
#define SE_MAP_NONBLOCK 0x10000
#define SE_MAP_STACK 0x20000
#define SE_MAP_HUGETLB 0x40000
#define SE_MAP_SYNC 0x80000
#define SE_MAP_FIXED_NOREPLACE 0x100000
#define SE_MAP_HUGE_SHIFT 26   /* MAP_HUGETLB: log2 of the page size in bits 26..31 (0: 2 MiB) */
#define SE_MAP_HUGE_MASK 0x3f
#define SE_MAP_UNINITIALIZED 0x4000000
#define SE_MREMAP_MAYMOVE 1
#define SE_MREMAP_FIXED 2
#define SE_MREMAP_DONTUNMAP 4

/* VMA flags. */
#define VMA_SHARED (1u << 0)    /* MAP_SHARED (same as private for one process without fork) */
#define VMA_GROWSDOWN (1u << 1) /* the main stack */
#define VMA_HEAP (1u << 2)      /* brk area */
#define VMA_STACK (1u << 3)     /* the main thread's stack */
#define VMA_MAYWRITE (1u << 4)  /* mprotect(PROT_WRITE) allowed (not a shared read-only file) */
#define VMA_ELF (1u << 5)       /* a segment of the executable */
#define VMA_HUGEPAGE (1u << 6)  /* madvise(MADV_HUGEPAGE): transparent huge pages wanted */
#define VMA_NOHUGEPAGE (1u << 7) /* madvise(MADV_NOHUGEPAGE): never transparent huge pages */
#define VMA_HUGETLB_2M (1u << 8) /* mmap(MAP_HUGETLB): mapped only with 2 MiB pages */
#define VMA_HUGETLB_1G (1u << 9) /* mmap(MAP_HUGETLB | MAP_HUGE_1GB): mapped only with 1 GiB pages */

/* A host file shared by the VMAs that map it (reference counted; VMA splits take references). */
typedef struct se_file {
    int fd;            /* host fd, opened O_RDONLY|O_CLOEXEC */
    int refs;
    uint64_t size;     /* bytes, when mapped */
    char *path;        /* guest path (for diagnostics) */
} se_file_t;

/* NUMA memory policies (Linux's include/uapi/linux/mempolicy.h, as of 6.1). */
#define SE_MPOL_DEFAULT 0
#define SE_MPOL_PREFERRED 1
#define SE_MPOL_BIND 2
#define SE_MPOL_INTERLEAVE 3
#define SE_MPOL_LOCAL 4
#define SE_MPOL_PREFERRED_MANY 5
#define SE_MPOL_MAX 6
#define SE_MPOL_F_STATIC_NODES (1 << 15)
#define SE_MPOL_F_RELATIVE_NODES (1 << 14)
#define SE_MPOL_F_NUMA_BALANCING (1 << 13)
#define SE_MPOL_MODE_FLAGS (SE_MPOL_F_STATIC_NODES | SE_MPOL_F_RELATIVE_NODES | SE_MPOL_F_NUMA_BALANCING)
#define SE_MPOL_MF_STRICT 1
#define SE_MPOL_MF_MOVE 2
#define SE_MPOL_MF_MOVE_ALL 4
/* The kernel's MAX_NUMNODES (CONFIG_NODES_SHIFT=10, as Debian builds it): node masks may be this
 * long; bits at or above it must be zero. */
#define SE_MAX_NUMNODES 1024

/* A memory policy: the task's (set_mempolicy) or a VMA's (mbind). mode SE_MPOL_DEFAULT on a VMA
 * means "none: use the task's"; on the task, local allocation. */
typedef struct se_mpol {
    int mode;             /* SE_MPOL_* */
    int flags;            /* SE_MPOL_F_* as given */
    uint64_t nodes;       /* the nodes the policy uses (PREFERRED: its one node; LOCAL/DEFAULT: 0) */
    uint64_t user_nodes;  /* the mask as given (reported back with STATIC or RELATIVE) */
} se_mpol_t;

typedef struct se_vma {
    uint64_t start, end;   /* [start, end), page aligned */
    int prot;              /* SE_PROT_* */
    unsigned flags;        /* VMA_* */
    se_file_t *file;       /* NULL: anonymous */
    uint64_t pgoff;        /* file offset of start (bytes, page aligned) */
    uint64_t file_lim;     /* file offsets >= file_lim read as zero (bss of an ELF segment) */
    se_mpol_t mpol;        /* mbind policy (mode SE_MPOL_DEFAULT: the task's applies) */
} se_vma_t;

#define SE_NSIG 64
#define SE_MAX_FDS 1024

/* Guest file descriptor. */
typedef struct se_fd {
    int used;
    int host;      /* host fd */
    int own;       /* we opened host and must close it (not the host's 0..2) */
    int cloexec;
    char *path;    /* guest path of what was opened ("" for the std streams); used by *at() */
} se_fd_t;

typedef struct se_sigaction {
    uint64_t handler, flags, restorer, mask;
} se_sigaction_t;

/* Pending signals (Linux's struct sigpending): the set, and the queue of their siginfo in arrival
 * order. A standard signal (1..31) is queued at most once; real-time ones queue every instance, up
 * to SE_SIGQ_RT real-time entries per set (then kill() still sets the bit, losing the siginfo,
 * and sigqueue/tkill fail with EAGAIN, as Linux does beyond RLIMIT_SIGPENDING). */
#define SE_SIGINFO_K 48   /* sizeof(struct kernel_siginfo): what is queued */
#define SE_SIGQ_RT 256
#define SE_SIGQ_MAX (SE_SIGQ_RT + 32)
typedef struct se_sigq {
    int sig;
    uint8_t info[SE_SIGINFO_K];
} se_sigq_t;
typedef struct se_sigpending {
    uint64_t set;   /* bit sig-1 */
    int n, nrt;     /* entries, real-time entries */
    se_sigq_t q[SE_SIGQ_MAX];
} se_sigpending_t;

typedef struct se_stats {
#define X(name, desc) uint64_t name;
    SE_COUNTERS(X)
#undef X
} se_stats_t;

/* One NUMA node of the frame allocator: frames [first, end) (holes and frames not given to the
 * program are marked used), and the numastat counters (SE_NODE_COUNTERS). */
typedef struct se_node_stats {
#define X(name, desc) uint64_t name;
    SE_NODE_COUNTERS(X)
#undef X
} se_node_stats_t;

typedef struct se_node {
    uint64_t first, end;   /* frame indexes */
    uint64_t hint;         /* no free frame in [first, hint) */
    uint64_t free;         /* free frames */
    int order[DRAM_MAX_NODES]; /* fallback order from this node (Linux's zonelist): itself first */
} se_node_t;

typedef struct se_proc {
    machine_t *m;
    dram_t *dram;
    int levels;

    /* Frame allocator: one bit per 4 KiB frame of [0, dram_end), set = in use or not RAM. */
    uint64_t nr_frames;
    uint64_t *frame_used;
    uint64_t frames_free;
    int oom;               /* an allocation failed (the caller kills the process) */

    /* NUMA: the nodes, the CPU the program runs on (se.cpu) and its node, where page tables go
     * (se.pt_node: SE_PT_*, or a node number), and the counters per node. */
    int nr_nodes;
    se_node_t node[DRAM_MAX_NODES];
    int cpu, local_node;
    int pt_node;
    se_node_stats_t nst[DRAM_MAX_NODES];
    /* The allocation in progress failed under MPOL_BIND (the OOM message says so). */
    int oom_bind;

    /* Transparent huge pages: the se.thp mode, and the page-table frames deposited for the
     * 2 MiB THP leaves currently mapped (one each, a LIFO stack; see PTE_SW_THP). */
    int thp_mode;
    uint64_t *thp_deposit;
    size_t nr_deposit, cap_deposit;

    /* Page tables. */
    uint64_t cr3;          /* physical address of the top-level table */

    /* VMAs, sorted by start, non-overlapping. */
    se_vma_t *vmas;
    int nr_vmas, cap_vmas;

    uint64_t mmap_base;    /* top of the top-down mmap area */
    uint64_t stack_size;
    uint64_t start_brk, brk;
    uint64_t entry, phdr, phnum, phent, load_bias;
    uint64_t stack_lo, stack_hi;

    /* A #PF that should raise SIGBUS rather than SIGSEGV (file mapping beyond its end). */
    int fault_sigbus;

    /* Files. */
    char root[PATH_MAX];   /* realpath of the root folder: the guest's "/" and its cwd */
    size_t root_len;
    se_fd_t fds[SE_MAX_FDS];
    char *exe_path;        /* argv[0] / AT_EXECFN as given */

    /* Signals (se_signal.c). */
    se_sigaction_t act[SE_NSIG + 1];
    uint64_t blocked;
    se_sigpending_t sigpend[2];   /* [0] the thread's (tkill, faults), [1] the process's (kill) */
    uint64_t saved_mask;          /* rt_sigsuspend: the mask to restore (restore_mask set) */
    int restore_mask;
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;           /* as given to sigaltstack (Linux's sas_ss_flags) */
    int altstack_set;             /* sigaltstack stored altstack_flags (until then Linux's value is 0) */
    uint64_t trap_nr, trap_err, trap_cr2;  /* the last fault's (thread.trap_nr/error_code/cr2) */
    int regs_rf;                  /* the interrupted context was stopped by a fault: its RFLAGS has RF */
    int report_sig;               /* if the program dies of this signal, say why: */
    int report_trace;             /* ... and show the --trace-insn ring */
    char report_what[512];        /* "<the fault or failure>, rip 0x..." */

    /* Process identity and misc state. */
    uint64_t clear_child_tid, robust_list;
    se_mpol_t mpol;        /* the task policy (set_mempolicy) */
    int il_prev;           /* the task's interleave: the node used last (Linux's il_prev) */
    uint64_t rlim_cur[16], rlim_max[16];
    uint32_t umask;

    /* Time and randomness. */
    uint64_t sleep_ns;     /* simulated time spent sleeping */
    uint64_t rand_state;   /* getrandom stream */

    /* ENOSYS reported once per call number. */
    uint8_t enosys_seen[1024 / 8];

    int in_loader;            /* the loader is writing the initial stack (its faults are not #PFs) */
    int counters_registered;  /* st is registered in m->ctrs */
    se_stats_t st;
} se_proc_t;

/* Fixed identity (documented in docs/SE.md). */
#define SE_PID 1000
#define SE_PPID 999
#define SE_UID 1000
#define SE_GID 1000

/* ---- se_mm.c: frames, page tables, VMAs, memory system calls ---------------------------------- */

/* Set up the allocator and an empty top-level table. 0 or -1 with a message. */
int se_mm_init(se_proc_t *se, char *err, size_t errlen);
void se_mm_free(se_proc_t *se);

/* A frame under the default policy (the local node first, then the others nearest first; the
 * lowest free frame of the node). Returns its physical address, zeroed, or 0 when memory is full
 * (se->oom is set). */
uint64_t se_frame_alloc(se_proc_t *se);
void se_frame_free(se_proc_t *se, uint64_t pa);
/* Lowest run of `bytes` / 4 KiB free frames aligned to `bytes` (a power of two, at least 256 KiB)
 * inside one NUMA node, under the default policy: the frames of a huge page. Returns its physical address, zeroed, or 0 when
 * there is none (se->oom is NOT set: callers fall back to small pages or raise SIGBUS). */
uint64_t se_frame_alloc_run(se_proc_t *se, uint64_t bytes);
void se_frame_free_run(se_proc_t *se, uint64_t pa, uint64_t bytes);

/* The mmu context of the process (user mode, NXE, WP). */
mmu_ctx_t se_mmu_ctx(const se_proc_t *se);

/* Host pointer to the leaf entry mapping va (allocating missing tables when alloc), or NULL: the
 * PTE, or for a huge page its PDE (2 MiB) or PDPTE (1 GiB) with PS set; *size (when not NULL)
 * receives the page size the entry maps. */
uint64_t *se_pte_size(se_proc_t *se, uint64_t va, int alloc, uint64_t *size);
static inline uint64_t *se_pte(se_proc_t *se, uint64_t va, int alloc) { return se_pte_size(se, va, alloc, NULL); }

/* The VMA containing va, or NULL. */
se_vma_t *se_find_vma(se_proc_t *se, uint64_t va);

/* Resolve a page fault at va with error code err: returns 1 when the page is now mapped with the
 * access allowed, 0 when the access is a genuine fault (SIGSEGV, or SIGBUS with fault_sigbus). */
int se_handle_fault(se_proc_t *se, uint64_t va, uint32_t err);

/* Copy between guest virtual memory and the host as the kernel's copy_{from,to}_user does:
 * demand faults are served; an unmapped or forbidden address gives -EFAULT (14). */
int se_copy_in(se_proc_t *se, void *dst, uint64_t va, size_t n);
int se_copy_out(se_proc_t *se, uint64_t va, const void *src, size_t n);
/* Read a NUL-terminated string of at most max-1 bytes. Returns its length, -EFAULT, or
 * -ENAMETOOLONG when no NUL is found within max bytes. */
long se_strncpy_in(se_proc_t *se, char *dst, uint64_t va, size_t max);

/* Create a mapping (what mmap does once arguments are checked): returns the address or -errno. */
long se_mmap(se_proc_t *se, uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
/* Map [start, end) fixed with an ELF/stack/heap purpose (used by the loader). file may be NULL. */
long se_map_fixed(se_proc_t *se, uint64_t start, uint64_t end, int prot, unsigned vflags, se_file_t *file,
                  uint64_t pgoff, uint64_t file_lim);
long se_munmap(se_proc_t *se, uint64_t addr, uint64_t len);
long se_mprotect(se_proc_t *se, uint64_t addr, uint64_t len, int prot);
long se_mremap(se_proc_t *se, uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
long se_madvise(se_proc_t *se, uint64_t addr, uint64_t len, int advice);
long se_brk(se_proc_t *se, uint64_t addr);
/* se.pt_node values below the node numbers. */
#define SE_PT_POLICY (-3) /* the policy of the data the table maps, at the faulting address */
#define SE_PT_TASK (-2)   /* the task policy, as Linux allocates page tables */
#define SE_PT_LOCAL (-1)  /* the CPU's node */

/* Frame allocation under a policy: for data at va of VMA v (v NULL: the task policy, as for an
 * allocation without a VMA), `bytes` (4 KiB, or a huge page's size: an aligned run inside one
 * node). The nodes are tried in the policy's order with Linux's fallback; the numastat counters
 * are kept. Returns the physical address, zeroed, or 0 (se->oom set for 4 KiB frames). */
uint64_t se_alloc_policy(se_proc_t *se, const se_vma_t *v, uint64_t va, uint64_t bytes);
/* A page-table frame for a table that will map va (se.pt_node decides the policy). */
uint64_t se_alloc_table(se_proc_t *se, uint64_t va);
/* Node of a physical address (-1: none). */
int se_node_of(const se_proc_t *se, uint64_t pa);
/* The node the page at va is on, or -EFAULT (no VMA), -ENOENT (a file page not present) or
 * -EFAULT (an anonymous page not present), as move_pages(2) reports it (fault: fault it in first). */
int se_page_node(se_proc_t *se, uint64_t va, int fault);
/* Move the page (4 KiB or huge) mapping va to node nid (-1: wherever the policy of its VMA puts
 * it). Returns 1 when moved, 0 when already there, -ENOMEM when the node has no room,
 * -EFAULT/-ENOENT when nothing is mapped there. */
int se_move_page(se_proc_t *se, uint64_t va, int nid);
/* A node mask as a program gives it (up to MAX_NUMNODES bits). */
typedef struct se_nodemask {
    uint64_t w[SE_MAX_NUMNODES / 64];
} se_nodemask_t;
/* Linux's mpol_new() + mpol_set_nodemask(): the policy for mode (without flags), mode_flags and the
 * mask as given. 0 or -EINVAL (a mask where none belongs, none where one is needed, no existing
 * node in it); mode DEFAULT gives "no policy". */
int se_mpol_new(const se_proc_t *se, int mode, int mode_flags, const se_nodemask_t *raw, se_mpol_t *pol);
/* mbind(2) once its arguments are read (mode without its flags, which are mode_flags; raw: the
 * mask as given, MPOL_MF_MOVE moves the pages on nodes outside it). Returns 0 or -errno, in
 * Linux's order of checks. */
long se_mbind(se_proc_t *se, uint64_t addr, uint64_t len, int mode, int mode_flags, const se_nodemask_t *raw,
              unsigned flags);
/* migrate_pages(2): move every page on a node of `from` to the matching node of `to` (Linux's
 * nodes_remap). Returns the pages that could not be moved. */
long se_migrate_pages(se_proc_t *se, uint64_t from, uint64_t to);
/* The first node of mask in the fallback order of the local node (-1: none). */
int se_nearest_node(const se_proc_t *se, uint64_t mask);
/* Check invariants (sorted VMAs, PTEs only inside VMAs with matching permissions); returns 0 or -1
 * with a message. For tests. */
int se_mm_check(se_proc_t *se, char *err, size_t errlen);

se_file_t *se_file_new(int host_fd, const char *path);
void se_file_put(se_file_t *f);

/* Drop cached translations of va on every CPU (n pages from va; n large: full flush). */
void se_flush(se_proc_t *se, uint64_t va, uint64_t npages);

/* ---- se_syscall.c ----------------------------------------------------------------------------- */
/* Dispatch one call (nr, args) and return the Linux result (-errno on failure). c may be NULL in
 * tests (calls that need the CPU then fail with -EINVAL). */
/* Host fd behind guest fd (and its guest path when path is not NULL), or -EBADF. */
int se_fd_host(se_proc_t *se, int fd, const char **path);
long se_do_syscall(se_proc_t *se, cpu_t *c, uint64_t nr, const uint64_t a[6]);
int se_files_init(se_proc_t *se, const char *root, char *err, size_t errlen);
void se_files_free(se_proc_t *se);
/* Resolve a guest path (relative to dirfd, AT_FDCWD = -100) to a host path confined to the root.
 * follow_last: resolve a final symlink. Returns 0 or -errno. */
int se_resolve(se_proc_t *se, int dirfd, const char *gpath, int follow_last, char *host, size_t hostlen);
/* Simulated wall-clock time in ns since the Unix epoch. */
uint64_t se_time_ns(se_proc_t *se);
/* Deterministic pseudo-random bytes. */
void se_random(uint64_t *state, void *buf, size_t n);
const char *se_syscall_name(uint64_t nr);

/* ---- se_signal.c ------------------------------------------------------------------------------ */
/* Send sig to the thread as Linux's send_sig(sig, current, 0) does (si_code SI_USER, our pid and
 * uid; SIGPIPE from write): queued, delivered at the return to user mode (se_signal_deliver). */
void se_signal_send(se_proc_t *se, cpu_t *c, int sig);
/* The return to user mode (the end of every system call, after an exception): deliver the pending
 * signals that are not blocked, lowest first (synchronous ones before the rest), each either
 * ignored, fatal (machine_kill) or given a handler frame on the stack, which redirects c (c NULL:
 * nothing is delivered). */
void se_signal_deliver(se_proc_t *se, cpu_t *c);
const char *se_signal_name(int sig);
/* Guest memory is exhausted: report it and kill the process with SIGKILL (the OOM killer). */
void se_out_of_memory(se_proc_t *se, cpu_t *c);
/* Signal system calls. */
long se_sys_rt_sigaction(se_proc_t *se, int64_t sig, uint64_t act, uint64_t oact, uint64_t size);
long se_sys_rt_sigprocmask(se_proc_t *se, cpu_t *c, int64_t how, uint64_t set, uint64_t oset, uint64_t size);
long se_sys_rt_sigpending(se_proc_t *se, uint64_t set, uint64_t size);
long se_sys_sigaltstack(se_proc_t *se, cpu_t *c, uint64_t ss, uint64_t oss);
long se_sys_kill(se_proc_t *se, cpu_t *c, int64_t pid, int64_t sig);
/* tgkill (tgid -1: tkill). */
long se_sys_tgkill(se_proc_t *se, cpu_t *c, int64_t tgid, int64_t tid, int64_t sig);
/* rt_sigreturn: restores c from the frame at rsp - 8; returns the restored rax. */
long se_sys_rt_sigreturn(se_proc_t *se, cpu_t *c);
long se_sys_rt_sigsuspend(se_proc_t *se, uint64_t set, uint64_t size);
/* pause: no signal can arrive while it waits, so the run ends (machine_fail). */
long se_sys_pause(se_proc_t *se);
long se_sys_rt_sigtimedwait(se_proc_t *se, uint64_t set, uint64_t info, uint64_t ts, uint64_t size);
/* rt_sigqueueinfo (tid -1) and rt_tgsigqueueinfo. */
long se_sys_rt_sigqueueinfo(se_proc_t *se, int64_t tgid, int64_t tid, int64_t sig, uint64_t info);

#endif
