/* insn_sweep: see insn_sweep.h. Test-only code. */
#include "tests/unit/insn_sweep.h"

#include <capstone/capstone.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#undef PF_W /* elf.h's segment flag; mmu/mmu.h defines the page-fault bit */
#include "emu/exec.h"
#include "tests/unit/cpu_harness.h"

/* The allow-list: instructions that are #UD, #GP or privileged (#GP(0) at CPL 3) on purpose. A program (or the library
 * code linked into it) executes them to fault, and the differential tests check that it faults
 * as natively. file: a glob on the file's base name; mnemonic: capstone's. Nothing else may be
 * #UD or #GP: an instruction in a test binary or in libc.a that the decoder does not implement is
 * a failure, even if no test happens to execute it. */
static const struct {
    const char *file, *mnemonic;
} allowed[INSN_SWEEP_ALLOWED] = {
    /* tests/progs/segv.c executes hlt to check the SIGSEGV of a privileged instruction. */
    {"segv", "hlt"},
    /* tests/progs/signals.c (`signals ud2`) executes ud2 to check SIGILL, exit status 132. */
    {"signals", "ud2"},
    /* tests/progs/sighandler.c (`sighandler ill`): a SIGILL handler resumes after a ud2. */
    {"sighandler", "ud2"},
    /* musl's a_crash() (arch/x86_64/atomic_arch.h) is hlt: #GP at CPL 3, so the process dies of
     * SIGSEGV. malloc, free and abort() inline it on heap corruption or when raise() returns, so
     * libc.a and nearly every static binary contain several. */
    {"*", "hlt"},
};

const char *insn_sweep_allowed_name(int k)
{
    static char buf[INSN_SWEEP_ALLOWED][48];
    if (k < 0 || k >= INSN_SWEEP_ALLOWED || !allowed[k].file) return NULL;
    snprintf(buf[k], sizeof(buf[k]), "%s in %s", allowed[k].mnemonic, allowed[k].file);
    return buf[k];
}

const char *insn_sweep_musl_libc(void)
{
    static const char *const paths[] = {"/usr/lib/x86_64-linux-musl/libc.a", "/usr/lib/musl/lib/libc.a",
                                        "/usr/local/musl/lib/libc.a"};
    for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
        if (access(paths[k], R_OK) == 0) return paths[k];
    return NULL;
}

/* Index of the allow-list entry that allows mnemonic in the file, or -1. */
static int allowed_by(const char *base, const char *mnemonic)
{
    for (int k = 0; k < INSN_SWEEP_ALLOWED && allowed[k].file; k++)
        if (!strcmp(allowed[k].mnemonic, mnemonic) && !fnmatch(allowed[k].file, base, 0)) return k;
    return -1;
}

/* ---- privileged instructions ------------------------------------------------------------------ */

static th_t *priv_th;       /* the CPU insn_privileged() runs instructions on */
static cpu_t *priv_initial; /* its state as th_new() left it */

/* Run code at CPL 3 from state st (see insn_sweep.h); returns th_run()'s vector. */
static int run_user(const uint8_t *code, int len, int st)
{
    memcpy(priv_th->c, priv_initial, sizeof(*priv_th->c));
    cpu_flush_tlb(priv_th->c);
    th_reset(priv_th);
    cpu_t *u = priv_th->c;
    uint64_t data = TH_DATA + 0x100, sp = TH_STACK_TOP - 0x200;
    for (int r = 0; r < 16; r++) u->r[r] = data;
    u->r[R_RCX] = 1;
    u->r[R_RSP] = sp;
    uint16_t sel = 0x2b;
    memcpy(th_ptr(priv_th, data), &sel, 2);
    /* rip (a mapped user address), cs, rflags, rsp, ss */
    uint64_t frame[5] = {TH_CODE + 0x800, 0x33, 0x202, TH_STACK_TOP - 0x100, 0x2b};
    int w = st == 0 ? 8 : st == 1 ? 4 : 2;
    if (w == 2) frame[0] = 0x800;
    for (int k = 0; k < 5; k++) memcpy(th_ptr(priv_th, sp + (uint64_t)(w * k)), &frame[k], (size_t)w);
    th_code(priv_th, code, (size_t)len);
    return th_run(priv_th, 1);
}

/* The same instruction with its memory operand, if any, made [rax] (or [r8] with REX.B): the
 * registers of run_user() point to aligned data, whatever the original addressing (a RIP-relative
 * or displaced operand could be misaligned: #GP(0) for the wrong reason). Returns the length of
 * the copy in out, or 0 when it does not decode to the same handler and operand size. */
static int plain_memory_form(const insn_t *i, const uint8_t *code, uint8_t *out)
{
    int len = i->len, pos = 0;
    while (pos < len && (code[pos] == 0x66 || code[pos] == 0x67 || code[pos] == 0xf0 || code[pos] == 0xf2 ||
                         code[pos] == 0xf3 || code[pos] == 0x26 || code[pos] == 0x2e || code[pos] == 0x36 ||
                         code[pos] == 0x3e || code[pos] == 0x64 || code[pos] == 0x65 || (code[pos] & 0xf0) == 0x40))
        pos++;
    if (pos < len && code[pos] == 0x0f) {
        pos++;
        if (pos < len && (code[pos] == 0x38 || code[pos] == 0x3a)) pos++;
    }
    pos++; /* the opcode; the ModRM byte follows (INSN_MEM) */
    if (pos >= len) return 0;
    int modrm = code[pos], mod = modrm >> 6, rm = modrm & 7, skip = 1, disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (mod == 3) return 0;
    if (rm == 4) {
        if (pos + 1 >= len) return 0;
        skip++;
        if (mod == 0 && (code[pos + 1] & 7) == 5) disp = 4;
    } else if (rm == 5 && mod == 0) {
        disp = 4;
    }
    int tail = pos + skip + disp;
    if (tail > len) return 0;
    memcpy(out, code, (size_t)pos);
    out[pos] = (uint8_t)(modrm & 0x38);
    memcpy(out + pos + 1, code + tail, (size_t)(len - tail));
    int n = pos + 1 + len - tail;
    insn_t j;
    int ends;
    if (decode_insn(out, n, &j, &ends) != n || j.fn != i->fn || j.osz != i->osz) return 0;
    return n;
}

int insn_privileged(const insn_t *i, const uint8_t *code)
{
    static struct {
        insn_fn fn;
        int osz, priv;
    } cache[4096];
    static int ncache;
    for (int k = 0; k < ncache; k++)
        if (cache[k].fn == i->fn && cache[k].osz == i->osz) return cache[k].priv;

    /* The harness's exceptions print "emu:" lines: not wanted here. */
    FILE *saved = stderr, *null = fopen("/dev/null", "w");
    if (null) stderr = null;
    if (!priv_th) {
        priv_th = th_new();
        priv_initial = malloc(sizeof(*priv_initial));
        if (!priv_initial) abort();
        memcpy(priv_initial, priv_th->c, sizeof(*priv_initial));
    }
    uint8_t plain[16];
    int n = i->len;
    if (i->flags & INSN_MEM) {
        n = plain_memory_form(i, code, plain);
        code = plain;
    }
    int priv = n > 0;
    for (int st = 0; st < 3 && priv; st++) priv = run_user(code, n, st) == X86_GP && priv_th->c->fault_error == 0;
    stderr = saved;
    if (null) fclose(null);
    if (ncache < (int)(sizeof(cache) / sizeof(cache[0]))) {
        cache[ncache].fn = i->fn;
        cache[ncache].osz = i->osz;
        cache[ncache++].priv = priv;
    }
    return priv;
}

/* ---- sweeping ----------------------------------------------------------------------------------- */

typedef struct ctx {
    csh cs;
    cs_insn *ci;
    insn_sweep_t *st;
    FILE *log;
    int reports, max_reports;
    const char *path, *base, *member, *section;
} ctx_t;

static void report(ctx_t *x, uint64_t off, const uint8_t *p, int n, const char *what)
{
    if (x->reports++ >= x->max_reports) return;
    char hex[64] = "";
    for (int k = 0; k < n && k < 15; k++) snprintf(hex + 3 * k, 4, "%02x ", p[k]);
    fprintf(x->log, "%s%s%s%s %s+0x%llx: %s %s [%s]: %s\n", x->path, x->member ? "(" : "", x->member ? x->member : "",
            x->member ? ")" : "", x->section, (unsigned long long)off, x->ci->mnemonic, x->ci->op_str, hex, what);
}

/* A near branch (jcc, jmp, call rel) with a 66 prefix: Intel processors ignore the prefix (rel32,
 * as emu decodes it), capstone follows AMD (rel16). Compilers never emit it. */
static int branch_with_66(const cs_insn *ci, const uint8_t *p)
{
    if (!((ci->id >= X86_INS_JAE && ci->id <= X86_INS_JS) || ci->id == X86_INS_CALL || ci->id == X86_INS_JMP)) return 0;
    int has66 = 0;
    for (int k = 0; k < ci->size; k++) {
        uint8_t b = p[k];
        if (!(b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36 ||
              b == 0x64 || b == 0x65 || b == 0xf0 || (b & 0xf0) == 0x40))
            break;
        has66 |= b == 0x66;
    }
    return has66;
}

static void sweep_code(ctx_t *x, const uint8_t *code, size_t n)
{
    const uint8_t *p = code;
    size_t left = n;
    uint64_t addr = 0;
    x->st->sections++;
    while (left) {
        const uint8_t *q = p;
        uint64_t at = addr;
        if (!cs_disasm_iter(x->cs, &q, &left, &addr, x->ci)) {
            /* padding or data: skip a byte */
            p++;
            left--;
            addr++;
            x->st->bytes_skipped++;
            continue;
        }
        if (branch_with_66(x->ci, p)) {
            x->st->branch66++;
            p = q;
            continue;
        }
        insn_t i;
        int ends = 0;
        size_t avail = x->ci->size + left;
        int len = decode_insn(p, (int)(avail < 32 ? avail : 32), &i, &ends);
        x->st->insns++;
        if (len != x->ci->size) {
            char what[64];
            snprintf(what, sizeof(what), "decoder length %d, capstone %d", len, x->ci->size);
            report(x, at, p, x->ci->size, what);
            x->st->len_bad++;
        }
        int bad = i.fn == h_ud || i.fn == h_gp0 || i.fn == h_gp_len;
        if (!bad && insn_privileged(&i, p)) bad = 2;
        if (bad) {
            int k = allowed_by(x->base, x->ci->mnemonic);
            if (k >= 0) {
                x->st->allowed++;
                x->st->allowed_by[k]++;
            } else {
                report(x, at, p, x->ci->size,
                       i.fn == h_ud ? "#UD: not implemented" : bad == 2 ? "privileged: #GP(0) at CPL 3" : "#GP");
                x->st->impl_bad++;
            }
        }
        p = q;
    }
}

static void sweep_elf(ctx_t *x, Elf *e)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0) return;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d || !d->d_buf || !d->d_size) continue;
        const char *name = elf_strptr(e, shstrndx, sh.sh_name);
        x->section = name ? name : "?";
        sweep_code(x, d->d_buf, d->d_size);
    }
}

void insn_sweep_add(insn_sweep_t *a, const insn_sweep_t *b)
{
    a->files += b->files;
    a->sections += b->sections;
    a->insns += b->insns;
    a->bytes_skipped += b->bytes_skipped;
    a->branch66 += b->branch66;
    a->allowed += b->allowed;
    for (int k = 0; k < INSN_SWEEP_ALLOWED; k++) a->allowed_by[k] += b->allowed_by[k];
    a->len_bad += b->len_bad;
    a->impl_bad += b->impl_bad;
}

int insn_sweep_file(const char *path, insn_sweep_t *st, FILE *log, int max_reports)
{
    if (elf_version(EV_CURRENT) == EV_NONE) return -1;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(log, "%s: cannot open\n", path);
        return -1;
    }
    ctx_t x = {.st = st, .log = log, .max_reports = max_reports, .path = path};
    const char *slash = strrchr(path, '/');
    x.base = slash ? slash + 1 : path;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &x.cs) != CS_ERR_OK) {
        close(fd);
        return -1;
    }
    x.ci = cs_malloc(x.cs);
    int rc = 0;
    Elf *top = elf_begin(fd, ELF_C_READ, NULL);
    if (!top) {
        rc = -1;
    } else if (elf_kind(top) == ELF_K_AR) {
        Elf *e;
        Elf_Cmd cmd = ELF_C_READ;
        while ((e = elf_begin(fd, cmd, top)) != NULL) {
            Elf_Arhdr *ah = elf_getarhdr(e);
            x.member = ah && ah->ar_name ? ah->ar_name : "?";
            if (elf_kind(e) == ELF_K_ELF) sweep_elf(&x, e);
            cmd = elf_next(e);
            elf_end(e);
        }
    } else if (elf_kind(top) == ELF_K_ELF) {
        sweep_elf(&x, top);
    } else {
        rc = -1;
    }
    if (rc) fprintf(log, "%s: not an ELF file or archive\n", path);
    else st->files++;
    if (top) elf_end(top);
    cs_free(x.ci, 1);
    cs_close(&x.cs);
    close(fd);
    return rc;
}
