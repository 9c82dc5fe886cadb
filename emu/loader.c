/* loader: SE mode's exec: check and map a static x86-64 ELF executable, build the initial stack as
 * Linux's binfmt_elf does, and point CPU 0 at the entry.
 *
 * Accepted: ELF64 little-endian x86-64 ET_EXEC without PT_INTERP or PT_DYNAMIC, and static-pie
 * ET_DYN (PT_DYNAMIC but no PT_INTERP), which is loaded at 0x555555554000 (Linux's ELF_ET_DYN_BASE
 * without address randomisation). Anything else is refused before the machine runs: status 127
 * when the file does not exist, 126 with one line saying why otherwise (not an ELF file, 32-bit,
 * not x86-64, truncated, dynamically linked, not executable or not readable).
 *
 * Segments. Each PT_LOAD becomes a private file mapping of the pages holding its file bytes, with
 * the segment's permissions, and an anonymous mapping for the rest of its memory size (bss). Bytes
 * of the last file page beyond p_filesz read as zero. Nothing is copied now: pages are filled from
 * the file on first touch (emu/se_mm.c). PT_TLS is left to libc; PT_GNU_STACK with PF_X makes the
 * stack executable. The program break starts at the page after the highest segment.
 *
 * The stack (docs/SE.md). A fixed mapping of se.stack_size bytes ending at 0x7ffffffff000, filled
 * on demand; below it a 1 MiB guard gap that mmap does not use. It does not grow. From the top
 * down, as Linux lays it out: 8 zero bytes, the AT_EXECFN string, the environment strings, the
 * argument strings, then (16-byte aligned) "x86_64" for AT_PLATFORM, the 16 AT_RANDOM bytes, and
 * below them argc, argv[], NULL, envp[], NULL and the auxiliary vector, with rsp 16-byte aligned
 * at argc. The auxiliary vector holds, in Linux's order, AT_HWCAP (CPUID.1:EDX of the emulated
 * CPU), AT_PAGESZ, AT_CLKTCK (100), AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE (0), AT_FLAGS (0),
 * AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE (0), AT_RANDOM, AT_EXECFN, AT_PLATFORM,
 * AT_NULL. There is no vDSO (no AT_SYSINFO_EHDR): libc falls back to the syscall instruction.
 *
 * The environment is deterministic: the host's is not passed on. The default (documented in
 * docs/SE.md) is
 *     HOME=/ LANG=C LOGNAME=user PATH=/usr/local/bin:/usr/bin:/bin PWD=/ SHELL=/bin/sh TERM=dumb USER=user
 * and each `--env K=V` replaces K's default value or is appended, in the order given; `--env K`
 * without '=' removes K.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* elf.h's segment flag PF_W collides with mmu.h's page-fault bit of the same name. */
#define SEG_X 1
#define SEG_W 2
#define SEG_R 4
#undef PF_W

#include "emu/exec.h"
#include "emu/se_int.h"

static const char *const default_env[] = {
    "HOME=/", "LANG=C", "LOGNAME=user", "PATH=/usr/local/bin:/usr/bin:/bin", "PWD=/", "SHELL=/bin/sh",
    "TERM=dumb", "USER=user",
};

/* Auxiliary-vector types (include/uapi/linux/auxvec.h). */
enum {
    AT_NULL_ = 0, AT_PHDR_ = 3, AT_PHENT_ = 4, AT_PHNUM_ = 5, AT_PAGESZ_ = 6, AT_BASE_ = 7, AT_FLAGS_ = 8,
    AT_ENTRY_ = 9, AT_UID_ = 11, AT_EUID_ = 12, AT_GID_ = 13, AT_EGID_ = 14, AT_PLATFORM_ = 15,
    AT_HWCAP_ = 16, AT_CLKTCK_ = 17, AT_SECURE_ = 23, AT_RANDOM_ = 25, AT_EXECFN_ = 31,
};

#define AT_RANDOM_SEED 0x41545f52414e444full /* "AT_RANDO" */
#define GETRANDOM_SEED 0x67657472616e646dull /* "getrandm" */

static const char *machine_name(int em)
{
    switch (em) {
    case EM_386: return "i386";
    case EM_ARM: return "32-bit ARM";
    case EM_AARCH64: return "AArch64";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC 64";
    case EM_S390: return "s390";
    case EM_MIPS: return "MIPS";
    default: return "another architecture";
    }
}

/* Build the environment: defaults, then the user's K=V (replace or append) and K (remove). */
static char **build_env(const emu_program_t *p, int *count)
{
    int nd = (int)(sizeof(default_env) / sizeof(default_env[0]));
    int cap = nd + p->nr_env + 1, n = 0;
    char **env = calloc((size_t)cap, sizeof(char *));
    if (!env)
        return NULL;
    for (int i = 0; i < nd; i++)
        env[n++] = (char *)default_env[i];
    for (int i = 0; i < p->nr_env; i++) {
        const char *kv = p->env[i];
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
        int found = -1;
        for (int k = 0; k < n; k++)
            if (strncmp(env[k], kv, klen) == 0 && env[k][klen] == '=')
                found = k;
        if (!eq) {
            if (found >= 0) {
                memmove(&env[found], &env[found + 1], (size_t)(n - found - 1) * sizeof(char *));
                n--;
            }
        } else if (found >= 0) {
            env[found] = (char *)kv;
        } else {
            env[n++] = (char *)kv;
        }
    }
    env[n] = NULL;
    *count = n;
    return env;
}

/* Write the initial stack; returns the initial rsp or 0 (message in err). */
static uint64_t build_stack(se_proc_t *se, const emu_program_t *p, uint32_t hwcap, char *err, size_t errlen)
{
    int envc = 0;
    char **env = build_env(p, &envc);
    if (!env) {
        snprintf(err, errlen, "out of host memory");
        return 0;
    }
    int argc = p->argc > 0 ? p->argc : 1;
    const char *argv0 = p->argc > 0 ? p->argv[0] : p->path;
    const char *execfn = p->path;

    /* Size check: strings and pointers must fit in a quarter of the stack (Linux's ARG_MAX rule). */
    uint64_t need = strlen(execfn) + 1 + 8;
    for (int i = 0; i < argc; i++)
        need += strlen(i == 0 ? argv0 : p->argv[i]) + 1 + 8;
    for (int i = 0; i < envc; i++)
        need += strlen(env[i]) + 1 + 8;
    if (need > se->stack_size / 4) {
        snprintf(err, errlen, "%s: argument list too long (%llu bytes; the limit is se.stack_size / 4)", p->path,
                 (unsigned long long)need);
        free(env);
        return 0;
    }

    uint64_t *argv_va = calloc((size_t)argc + 1, sizeof(uint64_t));
    uint64_t *envp_va = calloc((size_t)envc + 1, sizeof(uint64_t));
    if (!argv_va || !envp_va) {
        free(argv_va);
        free(envp_va);
        free(env);
        snprintf(err, errlen, "out of host memory");
        return 0;
    }
    int fail = 0;
    uint64_t sp = se->stack_hi - 8; /* 8 zero bytes at the very top */
    uint64_t zero = 0;
    fail |= se_copy_out(se, sp, &zero, 8);
    size_t l = strlen(execfn) + 1;
    sp -= l;
    uint64_t execfn_va = sp;
    fail |= se_copy_out(se, sp, execfn, l);
    /* Environment, then arguments, each block in ascending order below the previous one. */
    uint64_t total = 0;
    for (int i = 0; i < envc; i++)
        total += strlen(env[i]) + 1;
    sp -= total;
    for (int i = 0, at = 0; i < envc; i++) {
        l = strlen(env[i]) + 1;
        envp_va[i] = sp + (uint64_t)at;
        fail |= se_copy_out(se, envp_va[i], env[i], l);
        at += (int)l;
    }
    total = 0;
    for (int i = 0; i < argc; i++)
        total += strlen(i == 0 ? argv0 : p->argv[i]) + 1;
    sp -= total;
    for (int i = 0, at = 0; i < argc; i++) {
        const char *s = i == 0 ? argv0 : p->argv[i];
        l = strlen(s) + 1;
        argv_va[i] = sp + (uint64_t)at;
        fail |= se_copy_out(se, argv_va[i], s, l);
        at += (int)l;
    }
    sp &= ~15ull;
    sp -= sizeof("x86_64");
    uint64_t platform_va = sp;
    fail |= se_copy_out(se, sp, "x86_64", sizeof("x86_64"));
    uint8_t rnd[16];
    uint64_t seed = AT_RANDOM_SEED;
    se_random(&seed, rnd, sizeof(rnd));
    sp -= 16;
    uint64_t random_va = sp;
    fail |= se_copy_out(se, sp, rnd, sizeof(rnd));

    uint64_t auxv[][2] = {
        {AT_HWCAP_, hwcap},       {AT_PAGESZ_, SE_PAGE},   {AT_CLKTCK_, 100},         {AT_PHDR_, se->phdr},
        {AT_PHENT_, se->phent},   {AT_PHNUM_, se->phnum},  {AT_BASE_, 0},             {AT_FLAGS_, 0},
        {AT_ENTRY_, se->entry},   {AT_UID_, SE_UID},       {AT_EUID_, SE_UID},        {AT_GID_, SE_GID},
        {AT_EGID_, SE_GID},       {AT_SECURE_, 0},         {AT_RANDOM_, random_va},   {AT_EXECFN_, execfn_va},
        {AT_PLATFORM_, platform_va}, {AT_NULL_, 0},
    };
    uint64_t nwords = (uint64_t)(argc + 1) + (uint64_t)(envc + 1) + 1 + sizeof(auxv) / 8;
    sp = (sp - nwords * 8) & ~15ull;
    uint64_t at = sp;
    uint64_t v = (uint64_t)argc;
    fail |= se_copy_out(se, at, &v, 8);
    at += 8;
    fail |= se_copy_out(se, at, argv_va, ((size_t)argc + 1) * 8);
    at += ((uint64_t)argc + 1) * 8;
    fail |= se_copy_out(se, at, envp_va, ((size_t)envc + 1) * 8);
    at += ((uint64_t)envc + 1) * 8;
    fail |= se_copy_out(se, at, auxv, sizeof(auxv));
    free(argv_va);
    free(envp_va);
    free(env);
    if (fail) {
        snprintf(err, errlen, "guest memory too small for the initial stack");
        return 0;
    }
    return sp;
}

/* Check the file and map its segments. Returns 0 or an exit status with err set. */
static int load_elf(se_proc_t *se, const char *path, int fd, uint64_t fsize, char *err, size_t errlen)
{
    unsigned char ident[EI_NIDENT];
    memset(ident, 0, sizeof(ident));
    ssize_t got = pread(fd, ident, sizeof(ident), 0);
    if (got < 4 || memcmp(ident, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "%s: not an ELF executable", path);
        return EMU_EXIT_NOEXEC;
    }
    if (got < EI_NIDENT) {
        snprintf(err, errlen, "%s: truncated ELF file (%lld bytes)", path, (long long)fsize);
        return EMU_EXIT_NOEXEC;
    }
    if (ident[EI_CLASS] == ELFCLASS32) {
        snprintf(err, errlen, "%s: 32-bit ELF program; only 64-bit x86-64 programs run", path);
        return EMU_EXIT_NOEXEC;
    }
    if (ident[EI_CLASS] != ELFCLASS64) {
        snprintf(err, errlen, "%s: invalid ELF class %d", path, ident[EI_CLASS]);
        return EMU_EXIT_NOEXEC;
    }
    if (ident[EI_DATA] != ELFDATA2LSB) {
        snprintf(err, errlen, "%s: big-endian ELF program; only x86-64 programs run", path);
        return EMU_EXIT_NOEXEC;
    }
    if (fsize < sizeof(Elf64_Ehdr)) {
        snprintf(err, errlen, "%s: truncated ELF file (%lld bytes, shorter than the ELF header)", path,
                 (long long)fsize);
        return EMU_EXIT_NOEXEC;
    }

    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int status = EMU_EXIT_NOEXEC;
    if (!e || elf_kind(e) != ELF_K_ELF) {
        snprintf(err, errlen, "%s: not a valid ELF file: %s", path, elf_errmsg(-1));
        goto out;
    }
    Elf64_Ehdr *eh = elf64_getehdr(e);
    if (!eh) {
        snprintf(err, errlen, "%s: bad ELF header: %s", path, elf_errmsg(-1));
        goto out;
    }
    if (eh->e_machine != EM_X86_64) {
        snprintf(err, errlen, "%s: not an x86-64 program (ELF machine %d, %s)", path, eh->e_machine,
                 machine_name(eh->e_machine));
        goto out;
    }
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
        snprintf(err, errlen, "%s: not an executable (ELF type %d: %s)", path, eh->e_type,
                 eh->e_type == ET_REL ? "relocatable object" : eh->e_type == ET_CORE ? "core dump" : "unknown");
        goto out;
    }
    size_t phnum = eh->e_phnum;
    if (phnum == PN_XNUM && elf_getphdrnum(e, &phnum) != 0) {
        snprintf(err, errlen, "%s: corrupt program header count: %s", path, elf_errmsg(-1));
        goto out;
    }
    if (phnum == 0) {
        snprintf(err, errlen, "%s: no program headers", path);
        goto out;
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || phnum > 65536 / sizeof(Elf64_Phdr)) {
        snprintf(err, errlen, "%s: invalid program headers", path);
        goto out;
    }
    if (eh->e_phoff > fsize || phnum * sizeof(Elf64_Phdr) > fsize - eh->e_phoff) {
        snprintf(err, errlen, "%s: truncated ELF file (program headers end beyond its %lld bytes)", path,
                 (long long)fsize);
        goto out;
    }
    Elf64_Phdr *ph = elf64_getphdr(e);
    if (!ph) {
        snprintf(err, errlen, "%s: truncated or corrupt program headers: %s", path, elf_errmsg(-1));
        goto out;
    }

    /* Validate every header before mapping anything. */
    const Elf64_Phdr *interp = NULL, *dynamic = NULL, *phdr_seg = NULL;
    uint64_t lo = UINT64_MAX, hi = 0;
    int nload = 0, exec_stack = 0;
    for (size_t i = 0; i < phnum; i++) {
        const Elf64_Phdr *q = &ph[i];
        switch (q->p_type) {
        case PT_INTERP: interp = q; break;
        case PT_DYNAMIC: dynamic = q; break;
        case PT_PHDR: phdr_seg = q; break;
        case PT_GNU_STACK: exec_stack = !!(q->p_flags & SEG_X); break;
        case PT_LOAD:
            nload++;
            if (q->p_filesz > q->p_memsz) {
                snprintf(err, errlen, "%s: corrupt segment %zu (file size larger than memory size)", path, i);
                goto out;
            }
            if (q->p_offset > fsize || q->p_filesz > fsize - q->p_offset) {
                snprintf(err, errlen, "%s: truncated ELF file (segment %zu ends at byte %llu of %lld)", path, i,
                         (unsigned long long)(q->p_offset + q->p_filesz), (long long)fsize);
                goto out;
            }
            if ((q->p_vaddr - q->p_offset) & (SE_PAGE - 1)) {
                snprintf(err, errlen, "%s: segment %zu is not page-aligned with its file offset", path, i);
                goto out;
            }
            if (q->p_vaddr > SE_TASK_SIZE || q->p_memsz > SE_TASK_SIZE - q->p_vaddr) {
                snprintf(err, errlen, "%s: segment %zu lies outside user space", path, i);
                goto out;
            }
            if (q->p_vaddr < lo)
                lo = q->p_vaddr;
            if (q->p_vaddr + q->p_memsz > hi)
                hi = q->p_vaddr + q->p_memsz;
            break;
        default:
            break;
        }
    }
    if (interp || (dynamic && eh->e_type == ET_EXEC)) {
        char name[256] = "";
        if (interp && interp->p_offset < fsize) {
            size_t n = interp->p_filesz < sizeof(name) - 1 ? interp->p_filesz : sizeof(name) - 1;
            ssize_t r = pread(fd, name, n, (off_t)interp->p_offset);
            name[r > 0 ? r : 0] = 0;
        }
        if (name[0])
            snprintf(err, errlen, "%s: dynamically linked (interpreter %s); only static programs run "
                     "(build with musl-gcc -static)", path, name);
        else
            snprintf(err, errlen, "%s: dynamically linked; only static programs run (build with musl-gcc -static)",
                     path);
        goto out;
    }
    if (!nload) {
        snprintf(err, errlen, "%s: no loadable segments", path);
        goto out;
    }
    uint64_t bias = 0;
    if (eh->e_type == ET_DYN)
        bias = SE_PIE_BASE - SE_PAGE_DOWN(lo);
    if (SE_PAGE_DOWN(lo) + bias < SE_MMAP_MIN || hi + bias > SE_TASK_SIZE - se->stack_size - SE_STACK_GUARD) {
        snprintf(err, errlen, "%s: segments at [0x%llx, 0x%llx) lie outside the usable address space", path,
                 (unsigned long long)(lo + bias), (unsigned long long)(hi + bias));
        goto out;
    }

    /* Map the segments. */
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    se_file_t *f = dfd >= 0 ? se_file_new(dfd, path) : NULL;
    if (!f) {
        if (dfd >= 0)
            close(dfd);
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        status = EMU_EXIT_ERROR;
        goto out;
    }
    uint64_t brk = 0;
    for (size_t i = 0; i < phnum; i++) {
        const Elf64_Phdr *q = &ph[i];
        if (q->p_type != PT_LOAD || q->p_memsz == 0)
            continue;
        int prot = ((q->p_flags & SEG_R) ? SE_PROT_READ : 0) | ((q->p_flags & SEG_W) ? SE_PROT_WRITE : 0) |
                   ((q->p_flags & SEG_X) ? SE_PROT_EXEC : 0);
        uint64_t va = q->p_vaddr + bias;
        uint64_t file_end = va + q->p_filesz, mem_end = va + q->p_memsz;
        uint64_t anon_start = SE_PAGE_DOWN(va);
        long r = 0;
        if (q->p_filesz) {
            r = se_map_fixed(se, SE_PAGE_DOWN(va), SE_PAGE_UP(file_end), prot, VMA_ELF | VMA_MAYWRITE, f,
                             SE_PAGE_DOWN(q->p_offset), q->p_offset + q->p_filesz);
            anon_start = SE_PAGE_UP(file_end);
        }
        if (r >= 0 && SE_PAGE_UP(mem_end) > anon_start)
            r = se_map_fixed(se, anon_start, SE_PAGE_UP(mem_end), prot, VMA_MAYWRITE, NULL, 0, 0);
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot map segment %zu: %s", path, i, strerror((int)-r));
            se_file_put(f);
            status = EMU_EXIT_ERROR;
            goto out;
        }
        if (SE_PAGE_UP(mem_end) > brk)
            brk = SE_PAGE_UP(mem_end);
    }
    se_file_put(f);

    se->load_bias = bias;
    se->entry = eh->e_entry + bias;
    se->phent = sizeof(Elf64_Phdr);
    se->phnum = phnum;
    se->phdr = 0;
    if (phdr_seg) {
        se->phdr = phdr_seg->p_vaddr + bias;
    } else {
        for (size_t i = 0; i < phnum; i++)
            if (ph[i].p_type == PT_LOAD && eh->e_phoff >= ph[i].p_offset &&
                eh->e_phoff < ph[i].p_offset + ph[i].p_filesz) {
                se->phdr = ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset) + bias;
                break;
            }
    }
    se->start_brk = se->brk = brk;
    se->stack_hi = SE_STACK_TOP;
    se->stack_lo = SE_STACK_TOP - se->stack_size;
    long r = se_map_fixed(se, se->stack_lo, se->stack_hi,
                          SE_PROT_READ | SE_PROT_WRITE | (exec_stack ? SE_PROT_EXEC : 0),
                          VMA_STACK | VMA_GROWSDOWN | VMA_MAYWRITE, NULL, 0, 0);
    if (r < 0) {
        snprintf(err, errlen, "cannot map the stack: %s", strerror((int)-r));
        status = EMU_EXIT_ERROR;
        goto out;
    }
    status = 0;
out:
    if (e)
        elf_end(e);
    return status;
}

static void default_rlimits(se_proc_t *se)
{
    for (int i = 0; i < 16; i++)
        se->rlim_cur[i] = se->rlim_max[i] = UINT64_MAX;
    se->rlim_cur[3] = se->stack_size;            /* RLIMIT_STACK */
    se->rlim_cur[4] = 0;                         /* RLIMIT_CORE */
    se->rlim_cur[6] = se->rlim_max[6] = 4096;    /* RLIMIT_NPROC */
    se->rlim_cur[7] = se->rlim_max[7] = SE_MAX_FDS; /* RLIMIT_NOFILE */
    se->rlim_cur[8] = se->rlim_max[8] = 8u << 20; /* RLIMIT_MEMLOCK */
    se->rlim_cur[11] = se->rlim_max[11] = 4096;  /* RLIMIT_SIGPENDING */
    se->rlim_cur[12] = se->rlim_max[12] = 819200; /* RLIMIT_MSGQUEUE */
    se->rlim_cur[13] = se->rlim_max[13] = 0;     /* RLIMIT_NICE */
    se->rlim_cur[14] = se->rlim_max[14] = 0;     /* RLIMIT_RTPRIO */
}

/* Free what the process holds, keeping the structure itself. */
static void se_release(se_proc_t *se)
{
    se_files_free(se);
    se_mm_free(se);
    free(se->exe_path);
    se->exe_path = NULL;
}

int se_load(machine_t *m, const emu_program_t *p, char *err, size_t errlen)
{
    const char *path = p->path;
    struct stat st;
    if (!path || !*path) {
        snprintf(err, errlen, "no program given");
        return EMU_EXIT_ERROR;
    }
    if (stat(path, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return (e == ENOENT || e == ENOTDIR) ? EMU_EXIT_NOTFOUND : EMU_EXIT_NOEXEC;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", path);
        return EMU_EXIT_NOEXEC;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return EMU_EXIT_NOEXEC;
    }
    if (access(path, X_OK) < 0) {
        snprintf(err, errlen, "%s: permission denied (not executable)", path);
        return EMU_EXIT_NOEXEC;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return EMU_EXIT_NOEXEC;
    }

    /* A second load into the same machine reuses the process structure, so that the counters
     * registered by the first one keep pointing at live memory. */
    se_proc_t *se = m->se;
    if (se) {
        int registered = se->counters_registered;
        se_release(se);
        memset(se, 0, sizeof(*se));
        se->counters_registered = registered;
    } else {
        se = calloc(1, sizeof(*se));
        if (!se) {
            close(fd);
            snprintf(err, errlen, "out of host memory");
            return EMU_EXIT_ERROR;
        }
        m->se = se;
    }
    se->m = m;
    se->dram = m->dram;
    se->levels = config_get(&m->cfg, CFG_machine_paging_levels) == 5 ? 5 : 4;
    se->stack_size = SE_PAGE_UP((uint64_t)config_get(&m->cfg, CFG_se_stack_size));
    se->mmap_base = SE_PAGE_DOWN((uint64_t)config_get(&m->cfg, CFG_se_mmap_base));
    if (se->mmap_base > SE_STACK_TOP - se->stack_size - SE_STACK_GUARD)
        se->mmap_base = SE_STACK_TOP - se->stack_size - SE_STACK_GUARD;
    se->umask = 022;
    se->rand_state = GETRANDOM_SEED;
    se->altstack_flags = 2; /* SS_DISABLE */
    default_rlimits(se);

    int status = EMU_EXIT_ERROR;
    if (se_mm_init(se, err, errlen) < 0 || se_files_init(se, p->root, err, errlen) < 0)
        goto fail;
    if ((status = load_elf(se, path, fd, (uint64_t)st.st_size, err, errlen)) != 0)
        goto fail;
    se->exe_path = strdup(path);

    uint32_t hwcap = 0;
    cpu_t *c = m->cpus && m->nr_cpus > 0 ? m->cpus[0] : NULL;
    if (c) {
        uint32_t id[4];
        c->mmu = se_mmu_ctx(se);
        cpu_cpuid(c, 1, 0, id);
        hwcap = id[3];
    }
    se->in_loader = 1;
    uint64_t sp = build_stack(se, p, hwcap, err, errlen);
    se->in_loader = 0;
    if (!sp) {
        status = se->oom ? EMU_EXIT_ERROR : EMU_EXIT_NOEXEC;
        goto fail;
    }
    close(fd);

    /* Linux starts a program with every general register zero except rsp (ELF_PLAT_INIT). */
    if (c) {
        memset(c->r, 0, sizeof(c->r));
        c->r[R_RSP] = sp;
        c->rip = se->entry;
        c->rflags = 0x202;
        c->lf_op = 0;
        c->fs_base = c->gs_base = 0;
        memset(c->xmm, 0, sizeof(c->xmm));
        cpu_fpu_reset(c);
        cpu_flush_tlb(c);
        /* RDTSCP and RDPID report the CPU and its node as Linux sets IA32_TSC_AUX: node << 12 | cpu. */
        c->sys.tsc_aux = ((uint64_t)se->local_node << 12) | (uint64_t)se->cpu;
    }

#define X(name, desc) counters_add(m->ctrs, &se->st.name, desc, "se.%s", #name);
    if (m->ctrs && !se->counters_registered) {
        SE_COUNTERS(X)
        /* A gauge, not an event count: a fast-forward reset must not zero it (it would wrap
         * below zero when tables are freed afterwards). */
        counters_set_live(m->ctrs, "se.page_table_pages");
        for (int n = 0; n < se->nr_nodes; n++) {
#define XN(name, desc) counters_add(m->ctrs, &se->nst[n].name, desc, "se.node%d.%s", n, #name);
            SE_NODE_COUNTERS(XN)
#undef XN
            char gauge[48];
            snprintf(gauge, sizeof(gauge), "se.node%d.frames", n);
            counters_set_live(m->ctrs, gauge);
            snprintf(gauge, sizeof(gauge), "se.node%d.page_tables", n);
            counters_set_live(m->ctrs, gauge);
        }
        se->counters_registered = 1;
    }
#undef X
    return 0;

fail:
    close(fd);
    if (se->counters_registered) {
        /* Keep the (emptied) structure: registered counters point into it. */
        se_release(se);
        memset(&se->st, 0, sizeof(se->st));
    } else {
        se_free(m);
    }
    return status;
}

void se_free(machine_t *m)
{
    se_proc_t *se = m->se;
    if (!se)
        return;
    se_release(se);
    free(se);
    m->se = NULL;
}
