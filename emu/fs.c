/* fs: full-system mode: booting the guest kernel and running the machine (docs/BOOT.md,
 * docs/DEVICES.md, guest/abi.h).
 *
 * The clock and the schedule. The machine has one virtual clock, counted in ticks: the retired
 * instructions of a round-robin schedule. Time advances in rounds. A round starts at virtual time
 * `now` and lasts `slice` ticks: the quantum (machine.quantum), cut short so that the round ends
 * exactly at the earliest event the machine knows of (a local timer's deadline, a block-device
 * completion). In a round every started CPU, in CPU order, gets a turn of up to `slice`
 * instructions; it ends its turn early by executing PAUSE (a spin-wait hint) or HLT, and is idle
 * for the rest of the round (idle_ticks). Between rounds the machine starts the CPUs whose
 * mailbox says so, fires the events now due, drains the mm-annotation rings, and, when every
 * started CPU is halted and none can take an interrupt, jumps the clock to the next event (a
 * halted machine costs no host time). A CPU's own clock within its turn is `now` plus what it has
 * retired in the round, so a timer it programs runs from that moment.
 *
 * Nothing here depends on a latency of the memory model: the instructions retired decide every
 * time the guest can observe (timers, completions, the TSC with timing off). So changing a TLB,
 * cache or DRAM latency changes the cycle counters and never the guest's decisions. What the guest
 * does inside a round is deterministic too: CPUs take turns in a fixed order, and an IPI or a
 * device interrupt reaches its target at once (taken in the target's next turn, in this round if
 * its turn has not come yet).
 *
 * Calls that act on the whole machine (counters reset and dump, the region of interest) end the
 * calling CPU's turn and are done between turns, where every counter is complete.
 */
#define _GNU_SOURCE
#include "emu/fs.h"
#include "emu/memsys.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The kernel built into emu (build/guest/kernel.elf, embedded by the Makefile). */
extern const unsigned char emu_kernel_blob[];
extern const unsigned char emu_kernel_blob_end[];

/* Physical layout below 1 MiB (docs/BOOT.md). */
#define BOOT_PT_PA 0x10000ull
#define BOOT_INFO_PA 0x20000ull
#define MAILBOX_PA 0x40000ull
#define CMDLINE_PA 0x44000ull
#define LOW_RESERVED (1ull << 20)
_Static_assert(BOOT_INFO_PA + sizeof(struct emu_boot_info) <= MAILBOX_PA, "boot info fits below the mailboxes");
_Static_assert(MAILBOX_PA + EMU_MAX_CPUS * sizeof(struct emu_mailbox) <= CMDLINE_PA, "mailboxes fit");

/* Pending machine-wide actions (fs_t.pending_stats_reset bits). */
enum { PEND_RESET = 1, PEND_DUMP = 2, PEND_ROI_BEGIN = 4, PEND_ROI_END = 8 };


static double host_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- files ------------------------------------------------------------------------------------ */

/* Read a whole host file. Returns 0, or an exit status (127 missing, 125 unreadable) with err. */
static int read_file(const char *what, const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return errno == ENOENT ? EMU_EXIT_NOTFOUND : EMU_EXIT_ERROR;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s: not a regular file", what, path);
        fclose(fp);
        return EMU_EXIT_ERROR;
    }
    *len = (size_t)st.st_size;
    *data = malloc(*len ? *len : 1);
    if (!*data || fread(*data, 1, *len, fp) != *len) {
        snprintf(err, errlen, "%s %s: cannot read it", what, path);
        free(*data);
        *data = NULL;
        fclose(fp);
        return EMU_EXIT_ERROR;
    }
    fclose(fp);
    return 0;
}

/* ---- the kernel ELF --------------------------------------------------------------------------- */

#include <elf.h>

/* Load the kernel image: each PT_LOAD at its p_paddr. Returns 0 or 126 with err. */
static int load_kernel(fs_t *f, const uint8_t *img, size_t len, const char *name, char *err, size_t errlen)
{
    machine_t *m = f->m;
    Elf64_Ehdr eh;
    if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "kernel %s: not an ELF file", name);
        return EMU_EXIT_NOEXEC;
    }
    memcpy(&eh, img, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
        snprintf(err, errlen, "kernel %s: not a 64-bit x86-64 ELF file", name);
        return EMU_EXIT_NOEXEC;
    }
    if (eh.e_type != ET_EXEC) {
        snprintf(err, errlen, "kernel %s: not an executable (ET_EXEC) image", name);
        return EMU_EXIT_NOEXEC;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > len ||
        (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff) {
        snprintf(err, errlen, "kernel %s: truncated or bad program headers", name);
        return EMU_EXIT_NOEXEC;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    int entry_ok = 0;
    for (int k = 0; k < eh.e_phnum; k++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + (size_t)k * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
            snprintf(err, errlen, "kernel %s: segment %d lies beyond the end of the file", name, k);
            return EMU_EXIT_NOEXEC;
        }
        uint64_t pa = ph.p_paddr, end = pa + ph.p_memsz;
        if (pa < LOW_RESERVED || end < pa || end > EMU_BOOT_KERNEL_MAP_BYTES) {
            snprintf(err, errlen,
                     "kernel %s: segment %d at physical 0x%llx-0x%llx: it must lie between 1 MiB and 1 GiB "
                     "(the boot page table's kernel mapping)",
                     name, k, (unsigned long long)pa, (unsigned long long)end);
            return EMU_EXIT_NOEXEC;
        }
        int node = dram_node_of(m->dram, pa);
        if (node < 0 || dram_node_of(m->dram, end - 1) != node) {
            snprintf(err, errlen, "kernel %s: segment %d at physical 0x%llx-0x%llx is not inside RAM", name, k,
                     (unsigned long long)pa, (unsigned long long)end);
            return EMU_EXIT_ERROR;
        }
        uint8_t *host = dram_host(m->dram, pa);
        memcpy(host, img + ph.p_offset, ph.p_filesz);
        memset(host + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
        if (pa < lo)
            lo = pa;
        if (end > hi)
            hi = end;
        if (eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz)
            entry_ok = 1;
    }
    if (lo == UINT64_MAX) {
        snprintf(err, errlen, "kernel %s: no loadable segment", name);
        return EMU_EXIT_NOEXEC;
    }
    if (!entry_ok) {
        snprintf(err, errlen, "kernel %s: the entry point 0x%llx is in no loaded segment", name,
                 (unsigned long long)eh.e_entry);
        return EMU_EXIT_NOEXEC;
    }
    f->kernel_start = lo & ~0xfffull;
    f->kernel_end = (hi + 0xfff) & ~0xfffull;
    f->entry = eh.e_entry;
    return 0;
}

/* ---- boot page table -------------------------------------------------------------------------- */

static void put_pte(fs_t *f, uint64_t table, int idx, uint64_t val)
{
    dram_write(f->m->dram, table + 8 * (uint64_t)idx, &val, 8);
}

/* Identity-map the first 4 GiB and map the first 1 GiB at EMU_KERNEL_VA_BASE, with 2 MiB pages;
 * 4 or 5 levels. Returns the root's physical address. */
static uint64_t build_boot_pt(fs_t *f, int levels)
{
    uint64_t next = BOOT_PT_PA;
#define ALLOC_PAGE() (next += 4096, next - 4096)
    uint64_t root = ALLOC_PAGE();
    uint64_t pml4 = levels == 5 ? ALLOC_PAGE() : root;
    uint64_t pdpt_id = ALLOC_PAGE(), pdpt_hi = ALLOC_PAGE(), pd_hi = ALLOC_PAGE();
    const uint64_t flags = PTE_P | PTE_RW;
    if (levels == 5) {
        put_pte(f, root, 0, pml4 | flags);
        put_pte(f, root, 511, pml4 | flags); /* 0xff.. addresses: PML5 index 511 */
    }
    put_pte(f, pml4, 0, pdpt_id | flags);
    put_pte(f, pml4, 511, pdpt_hi | flags);
    for (int g = 0; g < 4; g++) {
        uint64_t pd = ALLOC_PAGE();
        put_pte(f, pdpt_id, g, pd | flags);
        for (int k = 0; k < 512; k++)
            put_pte(f, pd, k, ((uint64_t)g << 30) + ((uint64_t)k << 21) + (flags | PTE_PS));
    }
    /* 0xffffffff80000000: PML4 (or PML5 and PML4) index 511, PDPT index 510. */
    put_pte(f, pdpt_hi, 510, pd_hi | flags);
    for (int k = 0; k < 512; k++)
        put_pte(f, pd_hi, k, ((uint64_t)k << 21) | flags | PTE_PS);
#undef ALLOC_PAGE
    f->pt_start = BOOT_PT_PA;
    f->pt_end = next;
    return root;
}

/* ---- boot information ------------------------------------------------------------------------- */

static int fill_boot_info(fs_t *f, char *err, size_t errlen)
{
    machine_t *m = f->m;
    const config_t *cfg = &m->cfg;
    struct emu_boot_info *bi = calloc(1, sizeof(*bi));
    if (!bi) {
        snprintf(err, errlen, "out of host memory");
        return EMU_EXIT_ERROR;
    }
    int sockets = (int)config_get(cfg, CFG_machine_sockets);
    int cores = (int)config_get(cfg, CFG_machine_cores_per_socket);
    int nps = (int)config_get(cfg, CFG_machine_nodes_per_socket);
    int nodes = dram_nr_nodes(m->dram);
    bi->magic = EMU_BOOT_MAGIC;
    bi->version = EMU_BOOT_VERSION;
    bi->size = sizeof(*bi);
    bi->flags = (f->opts.kernel_tests ? EMU_BOOT_KERNEL_TESTS : 0) | (f->opts.verbose ? EMU_BOOT_VERBOSE : 0) |
                (f->blk ? EMU_BOOT_HAS_DISK : 0);
    bi->paging_levels = (uint32_t)config_get(cfg, CFG_machine_paging_levels);
    bi->nr_cpus = (uint32_t)m->nr_cpus;
    bi->nr_sockets = (uint32_t)sockets;
    bi->nr_nodes = (uint32_t)nodes;
    bi->timer_hz = f->clock_hz;
    bi->timer_clock = f->timer_cycles ? EMU_TIMER_CYCLES : EMU_TIMER_VIRTUAL;
    bi->quantum = (uint32_t)f->quantum;
    bi->kernel_pa_start = f->kernel_start;
    bi->kernel_pa_end = f->kernel_end;
    bi->initrd_pa = f->initrd_pa;
    bi->initrd_size = f->initrd_size;
    bi->boot_pt_pa_start = f->pt_start;
    bi->boot_pt_pa_end = f->pt_end;
    bi->mailbox_pa = f->mailbox_pa;
    bi->cmdline_pa = f->cmdline_pa;
    bi->disk_sectors = f->blk ? blk_sectors(f->blk) : 0;
    /* The memory map: [0, 1 MiB) reserved, then every node's RAM. */
    int nm = 0;
    for (int n = 0; n < nodes && nm < EMU_MAX_MEM_RANGES - 1; n++) {
        uint64_t base = dram_node_base(m->dram, n), size = dram_node_size(m->dram, n);
        if (base == 0) {
            bi->mem[nm++] = (struct emu_mem_range){0, LOW_RESERVED, EMU_MEM_RESERVED, (uint32_t)n};
            base = LOW_RESERVED;
            size -= LOW_RESERVED;
        }
        if (size)
            bi->mem[nm++] = (struct emu_mem_range){base, size, EMU_MEM_RAM, (uint32_t)n};
    }
    bi->nr_mem = (uint32_t)nm;
    for (int i = 0; i < m->nr_cpus; i++) {
        /* A socket's cores are spread over its nodes in order, as `emu info` shows them. */
        int socket = i / cores, core = i % cores, sub = 0;
        while (sub + 1 < nps && core >= (sub + 1) * cores / nps)
            sub++;
        bi->cpu[i] = (struct emu_cpu_desc){(uint32_t)i, (uint32_t)socket, (uint32_t)core, (uint32_t)(socket * nps + sub)};
    }
    dram_topo_t topo; /* the SLIT: numa.slit, or the numa.distance_* keys (emu/memsys.c) */
    if (memsys_topology(cfg, &topo, err, errlen) < 0) {
        free(bi);
        return EMU_EXIT_ERROR;
    }
    for (int a = 0; a < nodes; a++)
        for (int b = 0; b < nodes; b++)
            bi->distance[a][b] = topo.distance[a][b];
    int rc = dram_write(m->dram, f->boot_info_pa, bi, sizeof(*bi)) < 0 ? EMU_EXIT_ERROR : 0;
    if (rc)
        snprintf(err, errlen, "the boot information does not fit in RAM");
    free(bi);
    return rc;
}

/* Start CPU c in the boot state with paging root cr3 (emu/priv.h cpu_sys_boot, plus NXE and the
 * local interrupt controller). */
static void cpu_start(fs_t *f, cpu_t *c, uint64_t cr3)
{
    c->mmu.cr3 = cr3 & PTE_ADDR_MASK;
    cpu_sys_boot(c);
    cpu_wrmsr(c, MSR_EFER, c->sys.efer | EFER_NXE);
    apic_reset(c);
    c->sys.tsc_aux = (uint64_t)c->id;
    memset(c->r, 0, sizeof(c->r));
    f->cpu[c->id].started = 1;
}

/* ---- counters --------------------------------------------------------------------------------- */

static void register_counters(fs_t *f)
{
    machine_t *m = f->m;
#define X(name, desc) counters_add(m->ctrs, &f->st.name, desc, "fs.%s", #name);
    FS_COUNTERS(X)
#undef X
    counters_set_live(m->ctrs, "fs.clock");
    for (int i = 0; i < m->nr_cpus; i++) {
#define X(name, desc) counters_add(m->ctrs, &m->cpus[i]->sys.cnt.name, desc, "cpu%d.%s", i, #name);
        CPU_SYS_COUNTERS(X)
#undef X
    }
    if (f->annot)
        annot_register_counters(f->annot, m->ctrs);
    if (f->blk)
        blk_register_counters(f->blk, m->ctrs);
}

/* ---- boot ------------------------------------------------------------------------------------- */

int fs_boot(machine_t *m, const emu_fs_opts_t *o, char *err, size_t errlen)
{
    fs_t *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of host memory");
        return EMU_EXIT_ERROR;
    }
    m->fs = f;
    f->m = m;
    f->opts = *o;
    f->quantum = (uint64_t)config_get(&m->cfg, CFG_machine_quantum);
    f->clock_hz = (uint64_t)config_get(&m->cfg, CFG_machine_clock_hz);
    f->timer_cycles = config_get(&m->cfg, CFG_machine_timer_clock) == 1;
    f->klog_bol = 1;
    f->host_t0 = host_now();
    f->cpu = calloc((size_t)m->nr_cpus, sizeof(*f->cpu));
    if (!f->cpu) {
        snprintf(err, errlen, "out of host memory");
        return EMU_EXIT_ERROR;
    }
    if (dram_node_of(m->dram, 0) != 0 || dram_node_size(m->dram, 0) < 2 * LOW_RESERVED) {
        snprintf(err, errlen, "full-system mode needs node 0 to start at physical address 0 with at least 2 MiB");
        return EMU_EXIT_ERROR;
    }

    /* The kernel. */
    uint8_t *img = NULL;
    size_t len = 0;
    const char *name = o->kernel ? o->kernel : "(built in)";
    int rc;
    if (o->kernel) {
        rc = read_file("--kernel", o->kernel, &img, &len, err, errlen);
        if (rc)
            return rc;
        rc = load_kernel(f, img, len, name, err, errlen);
        free(img);
    } else {
        len = (size_t)(emu_kernel_blob_end - emu_kernel_blob);
        if (len == 0) {
            snprintf(err, errlen, "this emu was built without a guest kernel; give one with --kernel=FILE");
            return EMU_EXIT_ERROR;
        }
        rc = load_kernel(f, emu_kernel_blob, len, name, err, errlen);
    }
    if (rc)
        return rc;

    /* The initrd, 2 MiB aligned after the kernel. */
    if (o->initrd) {
        rc = read_file("--initrd", o->initrd, &img, &len, err, errlen);
        if (rc)
            return rc;
        if (len < 110 || (memcmp(img, "070701", 6) != 0 && memcmp(img, "070702", 6) != 0)) {
            snprintf(err, errlen, "--initrd %s: not a cpio archive in the newc format (magic 070701)", o->initrd);
            free(img);
            return EMU_EXIT_ERROR;
        }
        uint64_t pa = (f->kernel_end + (2ull << 20) - 1) & ~((2ull << 20) - 1);
        int node = dram_node_of(m->dram, pa);
        if (pa + len > EMU_BOOT_IDENTITY_BYTES || node < 0 || dram_node_of(m->dram, pa + len - 1) != node) {
            snprintf(err, errlen, "--initrd %s: %zu bytes do not fit in node %d's RAM after the kernel", o->initrd,
                     len, node < 0 ? 0 : node);
            free(img);
            return EMU_EXIT_ERROR;
        }
        dram_write(m->dram, pa, img, len);
        f->initrd_pa = pa;
        f->initrd_size = len;
        free(img);
    }

    /* Devices. */
    if (o->disk) {
        f->blk = blk_new(m, o->disk, err, errlen);
        if (!f->blk)
            return EMU_EXIT_ERROR;
    }
    f->annot = annot_new(m);
    if (!f->annot) {
        snprintf(err, errlen, "out of host memory");
        return EMU_EXIT_ERROR;
    }
    if (o->kernel_log) {
        f->klog = fopen(o->kernel_log, "w");
        if (!f->klog) {
            snprintf(err, errlen, "--kernel-log %s: %s", o->kernel_log, strerror(errno));
            return EMU_EXIT_ERROR;
        }
    }
    f->klog_stderr = o->verbose;

    /* Boot data below 1 MiB. */
    int levels = (int)config_get(&m->cfg, CFG_machine_paging_levels);
    f->pt_root = build_boot_pt(f, levels);
    f->boot_info_pa = BOOT_INFO_PA;
    f->mailbox_pa = MAILBOX_PA;
    f->cmdline_pa = CMDLINE_PA;
    const char *cl = o->cmdline ? o->cmdline : "";
    if (strlen(cl) >= EMU_CMDLINE_MAX) {
        snprintf(err, errlen, "--append: the kernel command line is longer than %d bytes", EMU_CMDLINE_MAX - 1);
        return EMU_EXIT_ERROR;
    }
    dram_write(m->dram, CMDLINE_PA, cl, strlen(cl) + 1);
    for (int i = 0; i < m->nr_cpus; i++) {
        struct emu_mailbox mb = {.command = EMU_MAILBOX_NOOP, .apic_id = (uint32_t)i};
        dram_write(m->dram, MAILBOX_PA + (uint64_t)i * sizeof(mb), &mb, sizeof(mb));
    }
    rc = fill_boot_info(f, err, errlen);
    if (rc)
        return rc;

    /* The boot CPU. */
    cpu_t *c = m->cpus[0];
    cpu_start(f, c, f->pt_root);
    c->rip = f->entry;
    c->r[R_RDI] = f->boot_info_pa;
    register_counters(f);
    return 0;
}

void fs_free(machine_t *m)
{
    fs_t *f = m->fs;
    if (!f)
        return;
    if (f->klog)
        fclose(f->klog);
    annot_free(f->annot);
    blk_free(f->blk);
    for (int k = 0; k < f->nr_reports; k++) {
        free(f->reports[k].name);
        free(f->reports[k].text);
    }
    free(f->reports);
    free(f->cpu);
    free(f);
    m->fs = NULL;
}

/* ---- console and kernel log ------------------------------------------------------------------- */

static void klog_write(fs_t *f, const uint8_t *p, size_t n)
{
    f->st.klog_bytes += n;
    if (f->klog_stderr) {
        fflush(stdout);
        fwrite(p, 1, n, stderr);
    }
    if (f->klog)
        fwrite(p, 1, n, f->klog);
    for (size_t k = 0; k < n; k++) {
        f->klog_tail[f->klog_pos++] = (char)p[k];
        if (f->klog_pos == sizeof(f->klog_tail)) {
            f->klog_pos = 0;
            f->klog_wrapped = 1;
        }
    }
}

void fs_dump_klog_tail(machine_t *m, int lines)
{
    fs_t *f = m->fs;
    if (!f || f->klog_stderr)
        return; /* -v: the log is already on the terminal */
    size_t n = f->klog_wrapped ? sizeof(f->klog_tail) : f->klog_pos;
    if (n == 0)
        return;
    char *buf = malloc(n + 1);
    if (!buf)
        return;
    size_t start = f->klog_wrapped ? f->klog_pos : 0;
    for (size_t k = 0; k < n; k++)
        buf[k] = f->klog_tail[(start + k) % sizeof(f->klog_tail)];
    buf[n] = 0;
    /* The last `lines` lines. */
    size_t end = n;
    while (end > 0 && buf[end - 1] == '\n')
        end--;
    size_t b = end;
    int seen = 0;
    while (b > 0 && seen < lines) {
        b--;
        if (buf[b] == '\n' && ++seen == lines) {
            b++;
            break;
        }
    }
    fflush(stdout);
    fprintf(stderr, "emu: the end of the kernel log:\n");
    size_t s = b;
    for (size_t k = b; k <= end; k++) {
        if (k == end || buf[k] == '\n') {
            fprintf(stderr, "emu: | %.*s\n", (int)(k - s), buf + s);
            s = k + 1;
        }
    }
    free(buf);
}

static void console_out(fs_t *f, int ch, const uint8_t *p, size_t n)
{
    switch (ch) {
    case EMU_CON_STDOUT: fwrite(p, 1, n, stdout); break;
    case EMU_CON_STDERR:
        fflush(stdout);
        fwrite(p, 1, n, stderr);
        break;
    default: klog_write(f, p, n); break;
    }
}

/* ---- calls ------------------------------------------------------------------------------------ */

#define MAX_NAME 255
#define MAX_TEXT (16u << 20)

/* Copy guest bytes [pa, pa + n) into a NUL-terminated host string (NULL if not in RAM). */
static char *guest_str(fs_t *f, uint64_t pa, uint64_t n, uint64_t max)
{
    if (n > max)
        return NULL;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n && dram_read(f->m->dram, pa, s, n) < 0) {
        free(s);
        return NULL;
    }
    s[n] = 0;
    return s;
}

static int name_ok(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            return 0;
    return 1;
}

/* Write a report to DIR/NAME (a temporary name, then renamed). 0 or -1 (reported). */
static int write_report(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    if (!fp || fwrite(text, 1, len, fp) != len || fclose(fp) != 0 || rename(tmp, path) != 0) {
        emu_msg("cannot write the guest's report %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void print_report(const char *name, const char *text, size_t len)
{
    printf("==> %s <==\n%s", name, text);
    if (len && text[len - 1] != '\n')
        putchar('\n');
}

/* Keep the last version of report name (takes text). */
static void keep_report(fs_t *f, const char *name, char *text, size_t len)
{
    for (int k = 0; k < f->nr_reports; k++)
        if (strcmp(f->reports[k].name, name) == 0) {
            free(f->reports[k].text);
            f->reports[k].text = text;
            f->reports[k].len = len;
            return;
        }
    struct fs_report *r = realloc(f->reports, (size_t)(f->nr_reports + 1) * sizeof(*r));
    char *n = strdup(name);
    if (!r || !n) {
        free(n);
        free(text);
        if (r)
            f->reports = r;
        return;
    }
    f->reports = r;
    f->reports[f->nr_reports++] = (struct fs_report){n, text, len};
}

static int call_report(fs_t *f, const struct emu_call *k)
{
    char *name = guest_str(f, k->a[0], k->a[1], MAX_NAME), *text = guest_str(f, k->a[2], k->a[3], MAX_TEXT);
    int rc = 0;
    if (!name || !text || !name_ok(name)) {
        rc = EMU_EINVAL;
    } else if (f->opts.reports_dir) {
        if (write_report(f->opts.reports_dir, name, text, k->a[3]) < 0)
            rc = EMU_EINVAL;
    } else if (!f->opts.report_at_end) {
        print_report(name, text, k->a[3]);
    }
    if (rc == 0) {
        f->st.reports++;
        if (f->opts.report_at_end || f->opts.stats_dir) {
            keep_report(f, name, text, k->a[3]);
            text = NULL;
        }
    }
    free(name);
    free(text);
    return rc;
}

/* The end of the run: --report prints the last version of each report, --stats-dir writes them. */
static void final_reports(fs_t *f)
{
    if (f->opts.stats_dir && f->nr_reports && mkdir(f->opts.stats_dir, 0777) != 0 && errno != EEXIST)
        emu_msg("cannot create %s: %s", f->opts.stats_dir, strerror(errno));
    for (int k = 0; k < f->nr_reports; k++) {
        if (f->opts.report_at_end)
            print_report(f->reports[k].name, f->reports[k].text, f->reports[k].len);
        if (f->opts.stats_dir)
            write_report(f->opts.stats_dir, f->reports[k].name, f->reports[k].text, f->reports[k].len);
    }
}

static int call_test(fs_t *f, const struct emu_call *k)
{
    char *name = guest_str(f, k->a[0], k->a[1], MAX_NAME), *msg = guest_str(f, k->a[3], k->a[4], 4096);
    if (!name || !msg || k->a[2] > EMU_TEST_SKIP) {
        free(name);
        free(msg);
        return EMU_EINVAL;
    }
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (!f->tests_seen++)
        printf("KTAP version 1\n");
    uint64_t n = f->st.tests_passed + f->st.tests_failed + f->st.tests_skipped + 1;
    switch (k->a[2]) {
    case EMU_TEST_PASS:
        printf("ok %llu %s%s%s\n", (unsigned long long)n, name, *msg ? " # " : "", msg);
        f->st.tests_passed++;
        break;
    case EMU_TEST_FAIL:
        printf("not ok %llu %s%s%s\n", (unsigned long long)n, name, *msg ? " # " : "", msg);
        f->st.tests_failed++;
        break;
    default:
        printf("ok %llu %s # SKIP %s\n", (unsigned long long)n, name, msg);
        f->st.tests_skipped++;
        break;
    }
    fflush(stdout);
    free(name);
    free(msg);
    return 0;
}

static void do_call(fs_t *f, cpu_t *c, uint64_t pa)
{
    machine_t *m = f->m;
    struct emu_call k;
    f->st.calls++;
    if (dram_read(m->dram, pa, &k, sizeof(k)) < 0) {
        m->io_unclaimed++;
        return; /* nowhere to put an answer */
    }
    int32_t ret = 0;
    switch (k.op) {
    case EMU_CALL_CONSOLE_WRITE: {
        if (k.a[0] >= EMU_CON_NR || k.a[2] > MAX_TEXT) {
            ret = EMU_EINVAL;
            break;
        }
        char *s = guest_str(f, k.a[1], k.a[2], MAX_TEXT);
        if (!s) {
            ret = EMU_EINVAL;
            break;
        }
        console_out(f, (int)k.a[0], (const uint8_t *)s, k.a[2]);
        free(s);
        break;
    }
    case EMU_CALL_EXIT:
        if (k.a[0] > 255) {
            ret = EMU_EINVAL;
            break;
        }
        machine_exit(m, (int)k.a[0]);
        break;
    case EMU_CALL_PANIC: {
        char *s = guest_str(f, k.a[0], k.a[1], 4096);
        machine_fail(m, "guest kernel panic on cpu%d: %s", c->id, s ? s : "(message not readable)");
        free(s);
        break;
    }
    case EMU_CALL_STATS_RESET: f->pending_stats_reset |= PEND_RESET; break;
    case EMU_CALL_STATS_DUMP: f->pending_stats_reset |= PEND_DUMP; break;
    case EMU_CALL_ROI_BEGIN: f->pending_stats_reset |= PEND_ROI_BEGIN; break;
    case EMU_CALL_ROI_END: f->pending_stats_reset |= PEND_ROI_END; break;
    case EMU_CALL_REPORT: ret = call_report(f, &k); break;
    case EMU_CALL_MARKER: f->st.markers++; break;
    case EMU_CALL_TEST_RESULT: ret = call_test(f, &k); break;
    case EMU_CALL_ANNOT_RING: ret = annot_set_ring(f->annot, c->id, k.a[0], k.a[1]); break;
    case EMU_CALL_ZONE_INFO: ret = annot_set_zones(f->annot, k.a[0], k.a[1]); break;
    case EMU_CALL_ANNOT_NAME: {
        char *s = guest_str(f, k.a[2], k.a[3], MAX_NAME);
        ret = s ? annot_set_name(f->annot, k.a[0], (uint32_t)k.a[1], s) : EMU_EINVAL;
        free(s);
        break;
    }
    case EMU_CALL_BLK_SUBMIT: ret = f->blk ? blk_submit(f->blk, k.a[0], fs_cpu_clock(m, c)) : EMU_ENODEV; break;
    case EMU_CALL_BLK_SETUP: ret = f->blk ? blk_setup(f->blk, k.a[0], k.a[1]) : EMU_ENODEV; break;
    case EMU_CALL_CLOCK: {
        uint64_t now = fs_cpu_clock(m, c);
        dram_write(m->dram, pa + offsetof(struct emu_call, a), &now, sizeof(now));
        break;
    }
    default: ret = EMU_ENOSYS; break;
    }
    if (f->pending_stats_reset) {
        c->yield = 1; /* the machine does it between turns */
        c->block_end = NULL;
    }
    dram_write(m->dram, pa + offsetof(struct emu_call, ret), &ret, sizeof(ret));
}

/* ---- port I/O --------------------------------------------------------------------------------- */

static uint32_t fs_io_in(void *arg, cpu_t *c, uint16_t port, int size)
{
    (void)c;
    (void)port;
    (void)size;
    fs_t *f = arg;
    f->m->io_unclaimed++;
    f->st.io_unclaimed++;
    return 0xffffffffu;
}

static void fs_io_out(void *arg, cpu_t *c, uint16_t port, int size, uint32_t val)
{
    fs_t *f = arg;
    if (port >= EMU_PORT_CONSOLE && port < EMU_PORT_CONSOLE + EMU_CON_NR) {
        uint8_t b = (uint8_t)val;
        console_out(f, port - EMU_PORT_CONSOLE, &b, 1);
    } else if (port == EMU_PORT_CALL_HI && size == 4) {
        f->cpu[c->id].call_hi = val;
    } else if (port == EMU_PORT_CALL && size == 4) {
        uint64_t pa = ((uint64_t)f->cpu[c->id].call_hi << 32) | val;
        f->cpu[c->id].call_hi = 0;
        do_call(f, c, pa);
    } else {
        f->m->io_unclaimed++;
        f->st.io_unclaimed++;
    }
}

/* ---- the clock and the schedule --------------------------------------------------------------- */

uint64_t fs_cpu_clock(machine_t *m, cpu_t *c)
{
    fs_t *f = m->fs;
    const fs_cpu_t *fc = &f->cpu[c->id];
    uint64_t t = f->now + fc->ran;
    if (fc->in_turn)
        t += cpu_insns_now(c) - fc->run_start;
    return t;
}

/* Start the parked CPUs whose mailbox asks for it. */
static void poll_mailboxes(fs_t *f)
{
    machine_t *m = f->m;
    for (int i = 1; i < m->nr_cpus; i++) {
        if (f->cpu[i].started)
            continue;
        struct emu_mailbox mb;
        uint64_t pa = f->mailbox_pa + (uint64_t)i * sizeof(mb);
        if (dram_read(m->dram, pa, &mb, sizeof(mb)) < 0 || mb.command != EMU_MAILBOX_WAKEUP)
            continue;
        uint32_t noop = EMU_MAILBOX_NOOP;
        dram_write(m->dram, pa, &noop, sizeof(noop));
        cpu_t *c = m->cpus[i];
        cpu_start(f, c, mb.cr3 ? mb.cr3 : f->pt_root);
        c->rip = mb.entry;
        c->r[R_RSP] = mb.stack;
        c->r[R_RDI] = mb.arg;
        c->r[R_RSI] = (uint64_t)i;
        f->st.cpus_started++;
    }
}

/* The earliest event after the current round's start, or UINT64_MAX. */
static uint64_t next_event(fs_t *f)
{
    machine_t *m = f->m;
    uint64_t t = f->blk ? blk_next_event(f->blk) : UINT64_MAX;
    for (int i = 0; i < m->nr_cpus; i++)
        if (f->cpu[i].started) {
            uint64_t e = apic_next_event(m->cpus[i]);
            if (e < t)
                t = e;
        }
    return t;
}

static void fire_events(fs_t *f)
{
    machine_t *m = f->m;
    for (int i = 0; i < m->nr_cpus; i++)
        if (f->cpu[i].started)
            apic_tick(m->cpus[i], f->now);
    if (f->blk)
        blk_advance(f->blk, f->now);
}

/* c is halted and nothing can wake it now: no pending interrupt it may take. */
static int stuck(cpu_t *c)
{
    const cpu_sys_t *s = &c->sys;
    if (!s->halted)
        return 0;
    if (!c->intr_pending || !(c->rflags & FL_IF))
        return 1;
    int v = -1;
    for (int k = 3; k >= 0 && v < 0; k--)
        if (s->irr[k])
            v = k * 64 + 63 - __builtin_clzll(s->irr[k]);
    return v < 0 || (v >> 4) <= (int)(s->cr8 & 0xf) || (v >> 4) <= cpu_isr_class(c);
}

/* Machine-wide actions asked for by a call, done between turns. */
static void do_pending(fs_t *f)
{
    machine_t *m = f->m;
    int p = f->pending_stats_reset;
    f->pending_stats_reset = 0;
    if (p & PEND_RESET) {
        for (int i = 0; i < m->nr_cpus; i++)
            cpu_tlb_sync(m->cpus[i]);
        counters_reset(m->ctrs);
        for (int i = 0; i < m->nr_cpus; i++) {
            tlb_reset_stats(m->cpus[i]->tlb);
            mmu_reset_stats(m->cpus[i]->walker);
        }
    }
    if (p & PEND_ROI_BEGIN)
        machine_marker(m, 1);
    if (p & PEND_ROI_END)
        machine_marker(m, 2);
    if (p & PEND_DUMP) {
        if (f->opts.stats_path && counters_write_json_file(m->ctrs, f->opts.stats_path) < 0)
            emu_msg("cannot write stats to %s: %s", f->opts.stats_path, strerror(errno));
        emu_print_summary(m, host_now() - f->host_t0, stderr);
    }
}

/* CPU i's turn in the current round: up to `slice` instructions. */
static void run_turn(fs_t *f, int i, uint64_t max_insns)
{
    machine_t *m = f->m;
    cpu_t *c = m->cpus[i];
    fs_cpu_t *fc = &f->cpu[i];
    while (!m->stop && fc->ran < f->slice) {
        if (c->sys.halted && stuck(c))
            break;
        uint64_t budget = f->slice - fc->ran;
        if (max_insns) {
            if (m->run_insns >= max_insns)
                break;
            if (max_insns - m->run_insns < budget)
                budget = max_insns - m->run_insns;
        }
        if (!m->timed && m->ff_insns) {
            if (m->run_insns >= m->ff_insns) {
                machine_start_measuring(m);
            } else if (m->ff_insns - m->run_insns < budget) {
                budget = m->ff_insns - m->run_insns;
            }
        }
        fc->run_start = c->st.instructions;
        fc->in_turn = 1;
        m->cur_cpu = c;
        uint64_t before = c->st.instructions;
        cpu_run(c, budget);
        uint64_t n = c->st.instructions - before;
        fc->in_turn = 0;
        fc->ran += n;
        m->run_insns += n;
        cpu_tlb_sync(c);
        int acted = 0;
        if (m->marker) {
            int code = m->marker;
            m->marker = 0;
            machine_marker(m, code);
            acted = 1;
        }
        if (f->pending_stats_reset) {
            do_pending(f);
            acted = 1;
        }
        if (c->sys.paused) {
            c->sys.paused = 0;
            c->sys.cnt.pauses++;
            break;
        }
        if (n == 0 && !acted && !c->sys.halted)
            break; /* nothing ran and nothing to do: never spin */
    }
    if (fc->ran < f->slice && !m->stop) {
        c->sys.cnt.idle_ticks += f->slice - fc->ran;
        fc->idle_total += f->slice - fc->ran;
    }
}

void fs_run(machine_t *m, uint64_t max_insns)
{
    fs_t *f = m->fs;
    m->io_in = fs_io_in;
    m->io_out = fs_io_out;
    m->io_arg = f;
    while (!m->stop) {
        poll_mailboxes(f);
        uint64_t next = next_event(f);
        f->slice = f->quantum;
        if (next > f->now && next - f->now < f->slice)
            f->slice = next - f->now;
        for (int i = 0; i < m->nr_cpus; i++) {
            f->cpu[i].ran = 0;
            f->cpu[i].in_turn = 0;
        }
        if (m->mem)
            memsys_round_start(m); /* the CPUs meet on the memory system's clock (emu/memsys.h) */
        for (int i = 0; i < m->nr_cpus && !m->stop; i++) {
            if (f->cpu[i].started) {
                run_turn(f, i, max_insns);
            } else {
                m->cpus[i]->sys.cnt.idle_ticks += f->slice;
                f->cpu[i].idle_total += f->slice;
            }
        }
        if (m->stop)
            break;
        f->now += f->slice;
        for (int i = 0; i < m->nr_cpus; i++)
            f->cpu[i].ran = 0;
        f->st.rounds++;
        fire_events(f);
        annot_drain(f->annot);
        if (UNLIKELY(m->obs_fn) && m->run_insns >= m->obs_next) {
            machine_observe(m); /* the visualizer, between rounds (emu/snapshot.c) */
            if (m->stop)
                break;
        }
        if (max_insns && m->run_insns >= max_insns) {
            m->stop = 1;
            m->result.kind = EMU_LIMIT;
            m->result.code = 0;
            m->result.status = EMU_EXIT_LIMIT;
            break;
        }
        /* Every started CPU halted with nothing to wake it: jump to the next event. */
        int all = 1;
        for (int i = 0; i < m->nr_cpus && all; i++)
            if (f->cpu[i].started && !stuck(m->cpus[i]))
                all = 0;
        if (all) {
            uint64_t t = next_event(f);
            if (t == UINT64_MAX) {
                machine_fail(m,
                             "every CPU is halted and no timer or device event is pending: the guest can never run "
                             "again (it stopped without EMU_CALL_EXIT)");
                break;
            }
            if (t > f->now) {
                for (int i = 0; i < m->nr_cpus; i++) {
                    m->cpus[i]->sys.cnt.idle_ticks += t - f->now;
                    f->cpu[i].idle_total += t - f->now;
                }
                f->now = t;
                f->st.clock_jumps++;
            }
            fire_events(f);
        }
        f->st.clock = f->now;
    }
    f->st.clock = f->now;
    annot_drain(f->annot);
    final_reports(f);
    if (f->tests_seen) {
        printf("1..%llu\n", (unsigned long long)(f->st.tests_passed + f->st.tests_failed + f->st.tests_skipped));
        printf("# kernel tests: %llu passed, %llu failed, %llu skipped\n", (unsigned long long)f->st.tests_passed,
               (unsigned long long)f->st.tests_failed, (unsigned long long)f->st.tests_skipped);
    }
    fflush(stdout);
    if (f->klog)
        fflush(f->klog);
}
