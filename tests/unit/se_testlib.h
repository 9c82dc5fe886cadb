/* Helpers shared by the SE-mode unit tests (test_loader.c, test_se_mm.c, test_se_syscall.c):
 * a small ELF writer, a machine with a loaded program, temporary folders. Header-only. */
#ifndef TESTS_UNIT_SE_TESTLIB_H
#define TESTS_UNIT_SE_TESTLIB_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#undef PF_W /* elf.h's segment flag; mmu.h defines the page-fault bit */
#include "emu/machine.h"
#include "emu/se_int.h"

/* What to put in a generated ELF file. */
typedef struct elf_opts {
    int cls;          /* ELFCLASS64 (default when 0) or ELFCLASS32 */
    int machine;      /* EM_X86_64 when 0 */
    int type;         /* ET_EXEC when 0 */
    int interp;       /* add PT_INTERP */
    int dynamic;      /* add PT_DYNAMIC */
    int exec_stack;   /* PT_GNU_STACK with PF_X */
    long truncate;    /* cut the file to this many bytes (0: whole) */
    int exit_code;    /* the code calls exit_group(exit_code) */
} elf_opts_t;

/* Layout: segment 0 (R X) maps file [0, 0x1010) at 0x400000 with code at 0x401000; segment 1
 * (RW) maps file [0x2010, 0x2030) at 0x403010 with memsz 0x3000 (bss over three pages); the file
 * continues with 0xaa bytes up to 0x2200 (which must not show through the bss). For ET_DYN the
 * same addresses are relative to the load base. */
#define T_ENTRY 0x401000ull
#define T_DATA 0x403010ull
#define T_DATA_FILESZ 0x20ull
#define T_DATA_MEMSZ 0x3000ull
#define T_FILE_SIZE 0x2200

static inline void t_write_elf(const char *path, const elf_opts_t *o)
{
    static uint8_t f[T_FILE_SIZE];
    memset(f, 0, sizeof(f));
    Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = (uint8_t)(o->cls ? o->cls : ELFCLASS64);
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = (uint16_t)(o->type ? o->type : ET_EXEC);
    eh->e_machine = (uint16_t)(o->machine ? o->machine : EM_X86_64);
    eh->e_version = EV_CURRENT;
    eh->e_entry = T_ENTRY;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(Elf64_Ehdr));
    int n = 0;
    ph[n++] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = 4 | 1, .p_offset = 0, .p_vaddr = 0x400000,
                           .p_paddr = 0x400000, .p_filesz = 0x1010, .p_memsz = 0x1010, .p_align = 0x1000};
    ph[n++] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = 4 | 2, .p_offset = 0x2010, .p_vaddr = T_DATA,
                           .p_paddr = T_DATA, .p_filesz = T_DATA_FILESZ, .p_memsz = T_DATA_MEMSZ,
                           .p_align = 0x1000};
    ph[n++] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = 4 | 2 | (o->exec_stack ? 1 : 0), .p_align = 16};
    if (o->interp)
        ph[n++] = (Elf64_Phdr){.p_type = PT_INTERP, .p_flags = 4, .p_offset = 0x2100, .p_vaddr = 0x402100,
                               .p_filesz = 14, .p_memsz = 14, .p_align = 1};
    if (o->dynamic)
        ph[n++] = (Elf64_Phdr){.p_type = PT_DYNAMIC, .p_flags = 4 | 2, .p_offset = 0x2020, .p_vaddr = 0x403020,
                               .p_filesz = 0x10, .p_memsz = 0x10, .p_align = 8};
    eh->e_phnum = (uint16_t)n;
    /* mov eax, 231; mov edi, code; syscall */
    uint8_t code[] = {0xb8, 231, 0, 0, 0, 0xbf, (uint8_t)o->exit_code, 0, 0, 0, 0x0f, 0x05};
    memcpy(f + 0x1000, code, sizeof(code));
    for (int i = 0; i < (int)T_DATA_FILESZ; i++)
        f[0x2010 + i] = (uint8_t)(0x10 + i);
    memset(f + 0x2030, 0xaa, 0x2200 - 0x2030);
    if (o->interp)
        memcpy(f + 0x2100, "/lib/ld-x.so", 13);
    FILE *fp = fopen(path, "wb");
    fwrite(f, 1, o->truncate ? (size_t)o->truncate : sizeof(f), fp);
    fclose(fp);
    chmod(path, 0755);
}

/* A temporary folder (removed by t_rmtree). */
static inline char *t_tmpdir(void)
{
    char *d = strdup("/tmp/emu-test-XXXXXX");
    if (!mkdtemp(d))
        abort();
    return d;
}

static inline void t_rmtree(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", d);
}

/* A machine with 16 MiB per node (levels 4 or 5, nodes 1..). */
static inline machine_t *t_machine(int levels, int nodes)
{
    config_t cfg;
    char err[256];
    config_defaults(&cfg);
    if (config_set_kv(&cfg, "machine", "mem_per_node", "16M", err, sizeof(err)) < 0 ||
        config_set_kv(&cfg, "machine", "paging_levels", levels == 5 ? "5" : "4", err, sizeof(err)) < 0)
        return NULL;
    if (nodes > 1) {
        char v[16];
        snprintf(v, sizeof(v), "%d", nodes);
        if (config_set_kv(&cfg, "machine", "sockets", v, err, sizeof(err)) < 0)
            return NULL;
    }
    machine_t *m = emu_new(&cfg, EMU_MODE_SE, err, sizeof(err));
    if (!m)
        fprintf(stderr, "emu_new: %s\n", err);
    return m;
}

/* A machine with the test program (exit code 0) loaded from a fresh temporary folder, which is
 * also the root. *dir receives the folder (free it with t_rmtree + free). */
static inline machine_t *t_loaded(int levels, char **dir)
{
    machine_t *m = t_machine(levels, 1);
    if (!m)
        return NULL;
    *dir = t_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/prog", *dir);
    elf_opts_t o = {0};
    t_write_elf(path, &o);
    char *argv[] = {path, NULL};
    emu_program_t p = {.path = path, .argc = 1, .argv = argv, .root = *dir};
    char err[256];
    if (emu_load(m, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "emu_load: %s\n", err);
        emu_free(m);
        return NULL;
    }
    return m;
}

/* Translate va in the process's address space. Returns 0 / -1 (fault, *pf set) / -2. */
static inline int t_xlate(se_proc_t *se, uint64_t va, enum mmu_access acc, uint64_t *pa, uint32_t *pf)
{
    mmu_ctx_t ctx = se_mmu_ctx(se);
    mmu_result_t r;
    int rc = mmu_translate(se->dram, &ctx, va, acc, &r);
    if (pa)
        *pa = r.pa;
    if (pf)
        *pf = r.pf_error;
    return rc;
}

/* Touch va as the CPU would (translate, serving a fault once). Returns 0 when accessible. */
static inline int t_touch(se_proc_t *se, uint64_t va, enum mmu_access acc)
{
    uint32_t pf;
    if (t_xlate(se, va, acc, NULL, &pf) == 0)
        return 0;
    if (!se_handle_fault(se, va, pf))
        return -1;
    return t_xlate(se, va, acc, NULL, NULL);
}

#endif
