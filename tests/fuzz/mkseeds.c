/* mkseeds: the seed corpus of the decoder fuzz target, cut from real code.
 *
 * Usage: mkseeds OUTDIR FILE...   (ELF files or ar archives of them, e.g. musl's libc.a)
 *
 * Sweeps the executable sections with capstone and writes, for the first few occurrences of each
 * distinct instruction (capstone id, length and first byte), a seed file holding that
 * instruction and the few that follow it (at most 48 bytes), named by a hash of its content.
 * Prints the number of seeds written.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PER_KIND 3   /* seeds per distinct instruction */
#define MAX_SEEDS 4000
#define SEED_BYTES 48

static csh cs;
static cs_insn *ci;
static const char *outdir;
static int written;

/* Distinct instructions seen: open-addressing table of keys. */
#define TABLE (1u << 16)
static uint64_t keys[TABLE];
static uint8_t counts[TABLE];

static int take(uint64_t key)
{
    key |= 1; /* 0 marks an empty slot */
    for (uint32_t k = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 48);; k = (k + 1) & (TABLE - 1)) {
        if (keys[k] == 0) keys[k] = key;
        if (keys[k] == key) return counts[k] < PER_KIND ? ++counts[k] : 0;
    }
}

static void write_seed(const uint8_t *p, size_t n)
{
    uint64_t hsh = 1469598103934665603ull;
    for (size_t k = 0; k < n; k++) hsh = (hsh ^ p[k]) * 1099511628211ull;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%016llx", outdir, (unsigned long long)hsh);
    FILE *f = fopen(path, "wbx");
    if (!f) {
        if (errno == EEXIST) return; /* the same bytes, seen before */
        perror(path);
        exit(1);
    }
    fwrite(p, 1, n, f);
    fclose(f);
    written++;
}

static void sweep(const uint8_t *code, size_t n)
{
    size_t off = 0;
    while (off < n && written < MAX_SEEDS) {
        const uint8_t *q = code + off;
        size_t left = n - off;
        uint64_t addr = off;
        if (!cs_disasm_iter(cs, &q, &left, &addr, ci)) {
            off++;
            continue;
        }
        size_t len = ci->size;
        uint64_t key = (uint64_t)ci->id << 40 | (uint64_t)len << 32 | (uint64_t)code[off] << 24;
        if (take(key)) {
            size_t end = off + len;
            /* the instructions that follow, while they fit */
            const uint8_t *r = code + end;
            size_t rl = n - end;
            uint64_t ra = end;
            for (int k = 0; k < 4 && cs_disasm_iter(cs, &r, &rl, &ra, ci); k++) {
                if ((size_t)(r - code) - off > SEED_BYTES) break;
                end = (size_t)(r - code);
            }
            write_seed(code + off, end - off);
        }
        off += len;
    }
}

static void sweep_elf(Elf *e)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (d && d->d_buf && d->d_size) sweep(d->d_buf, d->d_size);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTDIR FILE...\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    if (elf_version(EV_CURRENT) == EV_NONE || cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) return 1;
    ci = cs_malloc(cs);
    for (int a = 2; a < argc; a++) {
        int fd = open(argv[a], O_RDONLY);
        if (fd < 0) {
            perror(argv[a]);
            return 1;
        }
        Elf *top = elf_begin(fd, ELF_C_READ, NULL);
        if (top && elf_kind(top) == ELF_K_AR) {
            Elf *e;
            Elf_Cmd cmd = ELF_C_READ;
            while ((e = elf_begin(fd, cmd, top)) != NULL) {
                if (elf_kind(e) == ELF_K_ELF) sweep_elf(e);
                cmd = elf_next(e);
                elf_end(e);
            }
        } else if (top && elf_kind(top) == ELF_K_ELF) {
            sweep_elf(top);
        }
        if (top) elf_end(top);
        close(fd);
    }
    cs_free(ci, 1);
    cs_close(&cs);
    printf("mkseeds: %d seeds in %s\n", written, outdir);
    return 0;
}
