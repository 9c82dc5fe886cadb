/* Full-system tests (cmocka): `build/emu run --mode=fs` on the tiny kernels of tests/fs/kernels.S
 * (the console, the calls, the timer, IPIs, the start-up mailbox, and guests that go wrong) and on the
 * real guest kernel (guest/, built into emu): its test table on 1, 2, 4 and 8 sockets at 4 and 5
 * levels, timers and IPIs on every CPU, determinism, and independence from latencies.
 *
 * Usage: test_fs --emu PATH --kernels DIR --work DIR [--filter PATTERN]
 *   DIR holds k_NAME.elf for each kernel of kernels.S.
 *   FS_FUZZ_ITERS=N (default 60) and FS_FUZZ_SEED=S change the hostile-code test (fuzz_guest_code).
 * Run from the repository root.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/common/proc.h"

static const char *emu = "build/emu";
static const char *kernels, *work;
static char *scratch;

#define TIMEOUT 300.0

/* Run emu with the arguments (NULL-terminated). */
static void run_emu(struct run_result *r, const char *first, ...)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)emu;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    memset(r, 0, sizeof(*r));
    proc_run(r, argv, NULL, NULL, scratch, TIMEOUT);
    if (r->timed_out)
        fail_msg("emu timed out after %.0f s", TIMEOUT);
    if (r->signaled)
        fail_msg("emu was killed by signal %d; stderr:\n%s", r->status - 128, r->err);
    if (strstr(r->err, "Sanitizer") || strstr(r->err, "runtime error:"))
        fail_msg("sanitizer report on stderr:\n%s", r->err);
}

static const char *kpath(const char *name)
{
    static char buf[8][4096];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof(buf[k]), "--kernel=%s/k_%s.elf", kernels, name);
    return buf[k];
}

static const char *wpath(const char *name)
{
    static char buf[8][4096];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", work, name);
    return buf[k];
}

/* A counter of a stats JSON file; fails the test when absent. */
static uint64_t stat_of(const char *json, const char *name)
{
    char key[256];
    snprintf(key, sizeof(key), "\"%s\": ", name);
    const char *p = strstr(json, key);
    if (!p)
        fail_msg("counter %s is not in the stats", name);
    return strtoull(p + strlen(key), NULL, 10);
}

static char *slurp(const char *path)
{
    size_t len;
    char *s = read_file(path, &len);
    if (!s)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    return s;
}

/* Every line of stderr starts with "emu:". */
static void assert_emu_lines(const struct run_result *r)
{
    for (const char *p = r->err; *p;) {
        if (strncmp(p, "emu:", 4) != 0)
            fail_msg("stderr line without the emu: prefix: '%.*s'", (int)strcspn(p, "\n"), p);
        p += strcspn(p, "\n");
        if (*p)
            p++;
    }
}

/* ---- tiny kernels ------------------------------------------------------------------------------ */

static void hello_channels(void **state)
{
    (void)state;
    struct run_result r;
    const char *klog = wpath("hello.klog");
    run_emu(&r, "run", "--mode=fs", "-q", kpath("hello"), "--kernel-log", klog, NULL);
    assert_int_equal(r.status, 7);
    assert_string_equal(r.out, "hi\nto stdout\n==> meminfo <==\nMemTotal: 1 kB\n");
    assert_string_equal(r.err, "to stderr\n"); /* the kernel log stays out of the program's output */
    char *log = slurp(klog);
    assert_string_equal(log, "to the kernel log\n");
    free(log);
    run_result_free(&r);

    run_emu(&r, "run", "--mode=fs", "-q", "-v", kpath("hello"), NULL);
    assert_int_equal(r.status, 7);
    assert_non_null(strstr(r.err, "to the kernel log\n"));
    run_result_free(&r);

    /* Reports into a folder instead of stdout. */
    char dir[4200];
    snprintf(dir, sizeof(dir), "--reports-dir=%s", work);
    run_emu(&r, "run", "--mode=fs", "-q", kpath("hello"), dir, NULL);
    assert_int_equal(r.status, 7);
    assert_string_equal(r.out, "hi\nto stdout\n");
    char *rep = slurp(wpath("meminfo"));
    assert_string_equal(rep, "MemTotal: 1 kB");
    free(rep);
    run_result_free(&r);
}

/* The block device: a read completed by interrupt, a write completed by polling. */
static void block_device(void **state)
{
    (void)state;
    char disk[4096], arg[4200];
    snprintf(disk, sizeof(disk), "%s/disk.img", work);
    char img[4096];
    memset(img, 0, sizeof(img));
    for (int i = 0; i < 512; i++)
        img[512 + i] = (char)('A' + i % 26);
    assert_int_equal(write_file(disk, img, sizeof(img), 0644), 0);
    snprintf(arg, sizeof(arg), "--disk=%s", disk);
    struct run_result r;
    const char *st = wpath("blk.json");
    run_emu(&r, "run", "--mode=fs", "-q", kpath("blk"), arg, "--stats", st, NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_len, 512);
    assert_memory_equal(r.out, img + 512, 512);
    size_t len;
    char *after = read_file(disk, &len);
    assert_int_equal(len, sizeof(img));
    assert_memory_equal(after, img + 512, 512); /* sector 1 copied to sector 0 */
    free(after);
    char *j = slurp(st);
    assert_int_equal(stat_of(j, "blk.reads"), 1);
    assert_int_equal(stat_of(j, "blk.writes"), 1);
    assert_int_equal(stat_of(j, "blk.sectors_read"), 1);
    assert_int_equal(stat_of(j, "cpu0.interrupts"), 1);
    /* Two requests of 80 us each at 1e9 ticks per second, one after the other: at least 160,000 ticks. */
    if (stat_of(j, "fs.clock") < 160000)
        fail_msg("fs.clock %llu: the disk latency was not paid", (unsigned long long)stat_of(j, "fs.clock"));
    free(j);
    run_result_free(&r);
    /* No disk: the submission fails and the kernel exits with its error code. */
    run_emu(&r, "run", "--mode=fs", "-q", kpath("blk"), NULL);
    assert_int_not_equal(r.status, 0);
    run_result_free(&r);
}

/* mm annotations: two good entries and one bad. */
static void annotations(void **state)
{
    (void)state;
    struct run_result r;
    const char *st = wpath("annot.json");
    run_emu(&r, "run", "--mode=fs", "-q", kpath("annot"), "--config=tiny", "--stats", st, NULL);
    assert_int_equal(r.status, 0);
    char *j = slurp(st);
    assert_int_equal(stat_of(j, "fs.annot.entries"), 2);
    assert_int_equal(stat_of(j, "fs.annot.bad"), 1);
    assert_int_equal(stat_of(j, "fs.frames.free"), 16);
    assert_int_equal(stat_of(j, "fs.frames.slab"), 1);
    assert_int_equal(stat_of(j, "fs.frames.unknown"), (64 << 20) / 4096 - 17);
    free(j);
    run_result_free(&r);
}

static void timer_one_shot(void **state)
{
    (void)state;
    struct run_result r;
    const char *st = wpath("timer.json");
    run_emu(&r, "run", "--mode=fs", "-q", kpath("timer"), "--stats", st, NULL);
    assert_int_equal(r.status, 42);
    char *j = slurp(st);
    assert_int_equal(stat_of(j, "cpu0.timer_fires"), 1);
    assert_int_equal(stat_of(j, "cpu0.interrupts"), 1);
    assert_int_equal(stat_of(j, "cpu0.eois"), 1);
    assert_int_equal(stat_of(j, "cpu0.halts"), 1);
    assert_int_equal(stat_of(j, "sim.exit_code"), 42);
    free(j);
    run_result_free(&r);
}

static void timer_periodic(void **state)
{
    (void)state;
    struct run_result r;
    const char *st = wpath("periodic.json");
    /* The timer is started at about tick 15 with its first deadline at 515, inside the first round:
     * that interrupt comes at the round's end, 1000 (docs/DEVICES.md). The period keeps its phase,
     * so the next deadlines are 1015, 1515, ...: the tenth interrupt comes at 5015, and the exit path
     * takes a few more ticks. */
    run_emu(&r, "run", "--mode=fs", "-q", kpath("periodic"), "--set", "machine.quantum=1000", "--stats", st, NULL);
    assert_int_equal(r.status, 0);
    char *j = slurp(st);
    assert_int_equal(stat_of(j, "cpu0.interrupts"), 10);
    assert_int_equal(stat_of(j, "cpu0.timer_fires"), 10);
    uint64_t clock = stat_of(j, "fs.clock");
    if (clock < 5015 || clock > 5015 + 100)
        fail_msg("fs.clock %llu: expected 5015 plus the exit path", (unsigned long long)clock);
    free(j);
    run_result_free(&r);
}

static void ipi_and_mailbox(void **state)
{
    (void)state;
    struct run_result r;
    const char *st = wpath("ipi.json");
    run_emu(&r, "run", "--mode=fs", "-q", kpath("ipi"), "--config=skylake-2s", "--stats", st, NULL);
    assert_int_equal(r.status, 0);
    char *j = slurp(st);
    assert_int_equal(stat_of(j, "fs.cpus_started"), 1);
    assert_int_equal(stat_of(j, "cpu0.ipis_sent"), 1);
    assert_int_equal(stat_of(j, "cpu1.ipis_sent"), 1);
    assert_int_equal(stat_of(j, "cpu0.ipis_received"), 1);
    assert_int_equal(stat_of(j, "cpu1.ipis_received"), 1);
    assert_int_equal(stat_of(j, "cpu2.instructions"), 0); /* parked CPUs run nothing */
    free(j);
    run_result_free(&r);
}

/* A guest that goes wrong: exit status 125, emu: lines only, the report asked for. */
static void bad_guest(const char *kernel, const char *expect)
{
    struct run_result r;
    run_emu(&r, "run", "--mode=fs", "-q", kpath(kernel), NULL);
    assert_int_equal(r.status, 125);
    assert_string_equal(r.out, "");
    assert_emu_lines(&r);
    if (!strstr(r.err, expect))
        fail_msg("expected '%s' in stderr:\n%s", expect, r.err);
    run_result_free(&r);
}

static void triple_fault(void **state)
{
    (void)state;
    bad_guest("triple", "triple fault on cpu0: int 0x3");
    bad_guest("triple", "rip ffffffff81000000  int3");
    bad_guest("triple", "last instructions of cpu0");
    bad_guest("wild", "jmp rax\nemu:   0x8000000000001000  <unreadable>");
}
static void wild_jump(void **state)
{
    (void)state;
    bad_guest("wild", "triple fault on cpu0: #GP(0x0)");
}
static void bad_idt(void **state)
{
    (void)state;
    bad_guest("badidt", "triple fault on cpu0: int 0x30 -> #GP");
}
static void halted_for_ever(void **state)
{
    (void)state;
    bad_guest("halt", "every CPU is halted");
}
static void guest_panic(void **state)
{
    (void)state;
    bad_guest("panic", "guest kernel panic on cpu0: nothing works");
}

static void endless_loop(void **state)
{
    (void)state;
    struct run_result r;
    run_emu(&r, "run", "--mode=fs", "-q", kpath("loop"), "--max-instructions=100000", NULL);
    assert_int_equal(r.status, 124);
    assert_emu_lines(&r);
    run_result_free(&r);
}

static void bad_kernel_files(void **state)
{
    (void)state;
    struct run_result r;
    run_emu(&r, "run", "--mode=fs", "--kernel=/nonexistent/kernel", NULL);
    assert_int_equal(r.status, 127);
    assert_emu_lines(&r);
    run_result_free(&r);
    const char *text = wpath("text-kernel");
    write_file(text, "not an ELF\n", 11, 0644);
    char arg[4200];
    snprintf(arg, sizeof(arg), "--kernel=%s", text);
    run_emu(&r, "run", "--mode=fs", arg, NULL);
    assert_int_equal(r.status, 126);
    assert_emu_lines(&r);
    assert_non_null(strstr(r.err, "not an ELF"));
    run_result_free(&r);
    /* An SE program given as the kernel: ET_EXEC but loaded at 4 MiB... or wherever: refused or run,
     * never a crash. A kernel file that is truncated: */
    char *img = NULL;
    size_t len;
    char kp[4096];
    snprintf(kp, sizeof(kp), "%s/k_hello.elf", kernels);
    img = read_file(kp, &len);
    assert_non_null(img);
    const char *trunc = wpath("trunc-kernel");
    write_file(trunc, img, 200, 0644);
    free(img);
    snprintf(arg, sizeof(arg), "--kernel=%s", trunc);
    run_emu(&r, "run", "--mode=fs", arg, NULL);
    assert_int_equal(r.status, 126);
    assert_emu_lines(&r);
    run_result_free(&r);
    /* Bad initrd. */
    snprintf(arg, sizeof(arg), "--initrd=%s", text);
    run_emu(&r, "run", "--mode=fs", kpath("hello"), arg, NULL);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "newc"));
    run_result_free(&r);
}

/* A small deterministic generator (xorshift64*), so every run tests the same inputs. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* The status of a run on a hostile kernel: an exit code the guest chose (0-123), the instruction
 * limit (124), a clean emulator error (125) or a refused kernel (126); never a crash, never a
 * sanitizer report (run_emu fails on those), and only emu: lines besides what the guest wrote to
 * its console. */
static void assert_clean_end(const struct run_result *r, const char *what)
{
    if (r->status < 0 || r->status > 126)
        fail_msg("%s: status %d\nstderr:\n%s", what, r->status, r->err);
}

/* Kernels whose headers are corrupted byte by byte: refused (126) or, when the damage is harmless,
 * booted; never a crash. */
static void corrupt_kernels(void **state)
{
    (void)state;
    char kp[4096];
    snprintf(kp, sizeof(kp), "%s/k_hello.elf", kernels);
    size_t len;
    char *img = read_file(kp, &len);
    assert_non_null(img);
    const char *bad = wpath("corrupt.elf");
    char arg[4200];
    snprintf(arg, sizeof(arg), "--kernel=%s", bad);
    for (int k = 0; k < 40; k++) {
        char *copy = malloc(len);
        memcpy(copy, img, len);
        int flips = 1 + (int)(rng() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = (size_t)(rng() % 0x100); /* the ELF header and the program headers */
            copy[at] = (char)rng();
        }
        assert_int_equal(write_file(bad, copy, len, 0644), 0);
        free(copy);
        struct run_result r;
        run_emu(&r, "run", "--mode=fs", "-q", "--max-instructions=200000", arg, NULL);
        char what[64];
        snprintf(what, sizeof(what), "corrupt kernel %d", k);
        assert_clean_end(&r, what);
        run_result_free(&r);
    }
    free(img);
}

/* One random instruction template, padded with NOPs to 16 bytes (the harness resumes at the next
 * 16-byte boundary after an exception or interrupt, so templates are where it lands). */
static void fuzz_template(unsigned char *t)
{
    static const uint32_t msrs[] = {0x80b, 0x830, 0x832, 0x838, 0x83e, 0x802, 0x839, 0x10, 0xc0000080, 0xc0000101};
    static const uint16_t ports[] = {0x500, 0x501, 0x502, 0x503, 0x510, 0x514, 0x80, 0xcf8};
    memset(t, 0x90, 16);
    uint32_t imm = (uint32_t)rng();
    int n = 0;
#define B(x) (t[n++] = (unsigned char)(x))
#define IMM32(v) do { uint32_t v_ = (v); memcpy(t + n, &v_, 4); n += 4; } while (0)
    switch (rng() % 15) {
    case 0: /* wrmsr of a machine MSR (ICR: IPIs; timer; EOI...) with a random low half */
        B(0xb9); IMM32(msrs[rng() % 10]);
        B(0xb8); IMM32(rng() % 3 ? (uint32_t)(0x20 + rng() % 0xe0) | ((uint32_t)(rng() % 4) << 18) : imm);
        B(0xba); IMM32(rng() % 4 ? 0 : (uint32_t)(rng() % 10));
        B(0x0f); B(0x30);
        break;
    case 1: /* rdmsr */
        B(0xb9); IMM32(rng() % 2 ? msrs[rng() % 10] : imm);
        B(0x0f); B(0x32);
        break;
    case 2: /* out eax to a device port: console bytes, call addresses anywhere in low memory */
        B(0xb8); IMM32(rng() % 2 ? (uint32_t)(rng() % 0x2000000) : imm);
        B(0x66); B(0xba); B(ports[rng() % 8] & 0xff); B(ports[rng() % 8] >> 8);
        B(0xef);
        break;
    case 3: /* in */
        B(0x66); B(0xba); B(ports[rng() % 8] & 0xff); B(ports[rng() % 8] >> 8);
        B(0xed);
        break;
    case 4: B(rng() % 2 ? 0xfb : 0xfa); break;              /* sti, cli */
    case 5: B(0xfb); B(0xf4); break;                        /* sti; hlt */
    case 6: B(0xf3); B(0x90); break;                        /* pause */
    case 7: B(0xcd); B(rng()); break;                       /* int n */
    case 8: B(0x0f); B(rng() % 2 ? 0x31 : 0xa2); break;     /* rdtsc, cpuid */
    case 9: B(0x0f); B(0x20); B(0xd8); B(0x0f); B(0x22); B(0xd8); break; /* reload CR3 */
    case 10: /* store to a random low address: boot data, mailboxes, page tables, the kernel */
        B(0xb8);
        IMM32(rng() % 3 == 0 ? (uint32_t)(0x40000 + 64 * (rng() % 8) + 8 * (rng() % 5))
                             : (uint32_t)(rng() % 0x2000000) & ~3u);
        B(0xc7); B(0x00); IMM32(rng() % 2 ? 1 : imm);
        break;
    case 11: B(0xb8); IMM32((uint32_t)(rng() % 0x2000000)); B(0x0f); B(0x01); B(0x38); break; /* invlpg */
    case 12: B(0xeb); B(rng()); break;                      /* jmp short anywhere near */
    default: /* random bytes */
        for (; n < 16; n++)
            t[n] = (unsigned char)rng();
        break;
    }
#undef B
#undef IMM32
}

/* Hostile code on every CPU of a 2-socket machine (tests/fs/kernels.S, K_FUZZ): device ports, calls
 * with addresses anywhere, MSRs of the interrupt controller, IPIs, HLT, stores over the boot data and
 * the page tables, random bytes. Whatever happens, the run ends cleanly. */
static void fuzz_guest_code(void **state)
{
    (void)state;
    char kp[4096];
    snprintf(kp, sizeof(kp), "%s/k_fuzz.elf", kernels);
    size_t len;
    char *img = read_file(kp, &len);
    assert_non_null(img);
    char *area = memmem(img, len, "EMU-FUZZ-AREA-16", 16);
    assert_non_null(area);
    area += 16;
    assert_true((size_t)(area - img) + 4096 <= len);
    const char *path = wpath("fuzz.elf");
    char arg[4200];
    snprintf(arg, sizeof(arg), "--kernel=%s", path);
    int ends[4] = {0, 0, 0, 0};
    int iters = getenv("FS_FUZZ_ITERS") ? atoi(getenv("FS_FUZZ_ITERS")) : 60;
    if (getenv("FS_FUZZ_SEED"))
        rng_state = strtoull(getenv("FS_FUZZ_SEED"), NULL, 0) | 1;
    for (int k = 0; k < iters; k++) {
        for (int off = 0; off < 4096; off += 16)
            fuzz_template((unsigned char *)area + off);
        assert_int_equal(write_file(path, img, len, 0644), 0);
        struct run_result r;
        run_emu(&r, "run", "--mode=fs", "-q", "--max-instructions=300000", "--config=skylake-2s",
                "--set", "machine.quantum=500", arg, NULL);
        char what[64];
        snprintf(what, sizeof(what), "fuzz kernel %d", k);
        assert_clean_end(&r, what);
        ends[r.status == 124 ? 0 : r.status == 125 ? 1 : r.status == 126 ? 2 : 3]++;
        run_result_free(&r);
    }
    free(img);
    print_message("fuzz endings: %d limit, %d emulator error (triple fault, panic call, halted), %d refused, "
                  "%d guest exit\n", ends[0], ends[1], ends[2], ends[3]);
}

static void usage_errors(void **state)
{
    (void)state;
    struct run_result r;
    run_emu(&r, "run", "--mode=fs", "/bin/true", NULL);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "cannot run a program yet"));
    run_result_free(&r);
    run_emu(&r, "run", "--kernel-tests", "/bin/true", NULL);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "need --mode=fs"));
    run_result_free(&r);
    run_emu(&r, "run", "--mode=fs", "--reports-dir=/nonexistent/dir", NULL);
    assert_int_equal(r.status, 125);
    run_result_free(&r);
}

/* ---- the guest kernel -------------------------------------------------------------------------- */

/* Boot the built-in kernel with --kernel-tests under the given settings: every test passes, every CPU
 * took timer interrupts, and every CPU but the boot CPU was started and took IPIs. */
static void boot_kernel_tests(const char *tag, const char *cfg, const char *set1, const char *set2)
{
    struct run_result r;
    char st[4096], klog[4096];
    snprintf(st, sizeof(st), "--stats=%s/%s.json", work, tag);
    snprintf(klog, sizeof(klog), "--kernel-log=%s/%s.klog", work, tag);
    run_emu(&r, "run", "--mode=fs", "-q", "--kernel-tests", st, klog, cfg, "--set", set1, "--set", set2, NULL);
    if (r.status != 0)
        fail_msg("%s: status %d\nstdout:\n%s\nstderr:\n%s", tag, r.status, r.out, r.err);
    if (!strstr(r.out, "KTAP version 1") || strstr(r.out, "not ok") || !strstr(r.out, " 0 failed"))
        fail_msg("%s: kernel tests did not all pass:\n%s", tag, r.out);
    char *j = slurp(st + strlen("--stats="));
    uint64_t ncpu = 0;
    for (int i = 0;; i++) {
        char n[64];
        snprintf(n, sizeof(n), "\"cpu%d.timer_fires\"", i);
        if (!strstr(j, n))
            break;
        ncpu++;
        snprintf(n, sizeof(n), "cpu%d.timer_fires", i);
        if (stat_of(j, n) == 0)
            fail_msg("%s: cpu%d took no timer interrupt", tag, i);
        if (i > 0) {
            snprintf(n, sizeof(n), "cpu%d.ipis_received", i);
            if (stat_of(j, n) == 0)
                fail_msg("%s: cpu%d received no IPI", tag, i);
        }
    }
    if (stat_of(j, "fs.cpus_started") != ncpu - 1)
        fail_msg("%s: %llu CPUs started by mailbox, expected %llu", tag,
                 (unsigned long long)stat_of(j, "fs.cpus_started"), (unsigned long long)(ncpu - 1));
    free(j);
    run_result_free(&r);
}

static void kernel_1_socket(void **state)
{
    (void)state;
    boot_kernel_tests("k1s4", "--config=tiny", "machine.sockets=1", "machine.paging_levels=4");
    boot_kernel_tests("k1s5", "--config=tiny", "machine.sockets=1", "machine.paging_levels=5");
}
static void kernel_2_sockets(void **state)
{
    (void)state;
    boot_kernel_tests("k2s4", "--config=skylake-2s", "machine.sockets=2", "machine.paging_levels=4");
    boot_kernel_tests("k2s5", "--config=skylake-2s", "machine.sockets=2", "machine.paging_levels=5");
}
static void kernel_4_sockets(void **state)
{
    (void)state;
    boot_kernel_tests("k4s4", "--config=tiny", "machine.sockets=4", "machine.cores_per_socket=2");
    boot_kernel_tests("k4s5", "--config=tiny", "machine.sockets=4", "machine.paging_levels=5");
}
static void kernel_8_sockets(void **state)
{
    (void)state;
    boot_kernel_tests("k8s4", "--config=tiny", "machine.sockets=8", "machine.paging_levels=4");
    boot_kernel_tests("k8s5", "--config=tiny", "machine.sockets=8", "machine.paging_levels=5");
}

/* Boot without tests: the boot report on stdout, exit 0. */
static void kernel_boot_report(void **state)
{
    (void)state;
    struct run_result r;
    run_emu(&r, "run", "--mode=fs", "-q", "--config=skylake-2s", NULL);
    if (r.status != 0)
        fail_msg("status %d\nstderr:\n%s", r.status, r.err);
    assert_non_null(strstr(r.out, "==> boot <=="));
    assert_string_equal(r.err, ""); /* the kernel log stays aside without -v */
    run_result_free(&r);
}

/* ---- the guest's /proc reports against Linux's layouts --------------------------------------- */

/* The lines of a text, NUL-terminated in place; returns the count. */
static int split_lines(char *text, char **lines, int max)
{
    int n = 0;
    for (char *p = text; *p && n < max;) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = 0;
        p = nl + 1;
    }
    return n;
}

/* buddyinfo: "Node %d, zone %8s " then "%6lu " per order; returns the free pages. */
static uint64_t check_buddyinfo(char *text)
{
    char *lines[256] = {0};
    int n = split_lines(text, lines, 256);
    assert_true(n > 0);
    uint64_t pages = 0;
    for (int i = 0; i < n; i++) {
        int node;
        char zone[32];
        unsigned long c[11];
        if (sscanf(lines[i], "Node %d, zone %31s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu", &node, zone, &c[0], &c[1],
                   &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10]) != 13)
            fail_msg("buddyinfo line %d: '%s'", i + 1, lines[i]);
        char again[512];
        int len = snprintf(again, sizeof(again), "Node %d, zone %8s ", node, zone);
        for (int o = 0; o < 11; o++) {
            len += snprintf(again + len, sizeof(again) - (size_t)len, "%6lu ", c[o]);
            pages += (uint64_t)c[o] << o;
        }
        if (strcmp(again, lines[i]) != 0)
            fail_msg("buddyinfo line %d is not in Linux's layout:\n'%s'\nexpected\n'%s'", i + 1, lines[i], again);
    }
    return pages;
}

/* meminfo: "%-16s%8lu kB" (label with its colon padded to 16); the labels a subsequence of Linux's
 * (the reference sample) plus the documented MemMap line; returns MemFree in kB. */
static uint64_t check_meminfo(char *text)
{
    size_t rlen;
    char *ref = read_file("../shared/reference/proc/meminfo", &rlen);
    if (!ref)
        ref = read_file("/work/shared/reference/proc/meminfo", &rlen);
    char *lines[256] = {0}, *rlines[256] = {0};
    int n = split_lines(text, lines, 256), rn = ref ? split_lines(ref, rlines, 256) : 0;
    uint64_t memfree = UINT64_MAX;
    int r = 0;
    for (int i = 0; i < n; i++) {
        char label[64];
        unsigned long v;
        const char *colon = strchr(lines[i], ':');
        if (!colon || colon - lines[i] > 40)
            fail_msg("meminfo line %d: '%s'", i + 1, lines[i]);
        snprintf(label, sizeof(label), "%.*s", (int)(colon - lines[i] + 1), lines[i]);
        if (sscanf(colon + 1, "%lu", &v) != 1)
            fail_msg("meminfo line %d: '%s'", i + 1, lines[i]);
        char again[256];
        if (strncmp(label, "HugePages_", 10) == 0)
            snprintf(again, sizeof(again), "%-16s%8lu", label, v);
        else
            snprintf(again, sizeof(again), "%-16s%8lu kB", label, v);
        if (strcmp(again, lines[i]) != 0)
            fail_msg("meminfo line %d is not in Linux's layout:\n'%s'\nexpected\n'%s'", i + 1, lines[i], again);
        if (strcmp(label, "MemFree:") == 0)
            memfree = v;
        if (strcmp(label, "MemMap:") == 0 || !rn)
            continue;
        while (r < rn && strncmp(rlines[r], label, strlen(label)) != 0)
            r++;
        if (r == rn)
            fail_msg("meminfo: %s is not a Linux field, or out of Linux's order", label);
    }
    free(ref);
    assert_int_not_equal(memfree, UINT64_MAX);
    return memfree;
}

/* zoneinfo: "Node %d, zone %8s" headers, each zone with its "pages free" line; returns their sum. */
static uint64_t check_zoneinfo(char *text)
{
    char *lines[8192] = {0};
    int n = split_lines(text, lines, 8192);
    uint64_t free_pages = 0;
    int zones = 0;
    for (int i = 0; i < n; i++) {
        int node;
        char zone[32];
        if (strncmp(lines[i], "Node ", 5) == 0) {
            assert_int_equal(sscanf(lines[i], "Node %d, zone %31s", &node, zone), 2);
            char again[128];
            snprintf(again, sizeof(again), "Node %d, zone %8s", node, zone);
            if (strcmp(again, lines[i]) != 0)
                fail_msg("zoneinfo header '%s' is not in Linux's layout ('%s')", lines[i], again);
            zones++;
        }
        unsigned long v;
        if (sscanf(lines[i], "  pages free %lu", &v) == 1) {
            char again[128];
            snprintf(again, sizeof(again), "  pages free     %lu", v);
            if (strcmp(again, lines[i]) != 0)
                fail_msg("zoneinfo line '%s' is not in Linux's layout ('%s')", lines[i], again);
            free_pages += v;
        }
    }
    assert_true(zones > 0);
    static const char *const fields[] = {"        min ",     "        low ",     "        high ",
                                         "        spanned ", "        present ", "        managed ",
                                         "        protection: ("};
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        int seen = 0;
        for (int i = 0; i < n; i++)
            seen += strncmp(lines[i], fields[k], strlen(fields[k])) == 0;
        if (seen != zones)
            fail_msg("zoneinfo: '%s' appears %d times for %d zones", fields[k], seen, zones);
    }
    return free_pages;
}

/* pagetypeinfo: the two header lines, then "Node %4d, zone %8s, type %12s " + "%6lu " per order. */
static void check_pagetypeinfo(char *text)
{
    char *lines[1024] = {0};
    int n = split_lines(text, lines, 1024);
    assert_true(n > 4);
    assert_string_equal(lines[0], "Page block order: 9");
    assert_string_equal(lines[1], "Pages per block:  512");
    int rows = 0;
    for (int i = 2; i < n; i++) {
        int node;
        char zone[32], type[32];
        unsigned long c[11];
        if (sscanf(lines[i], "Node %d, zone %31[^,], type %31s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu", &node, zone,
                   type, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10]) != 14)
            continue;
        char z[32];
        snprintf(z, sizeof(z), "%s", zone + strspn(zone, " "));
        char again[512];
        int len = snprintf(again, sizeof(again), "Node %4d, zone %8s, type %12s ", node, z, type);
        for (int o = 0; o < 11; o++)
            len += snprintf(again + len, sizeof(again) - (size_t)len, "%6lu ", c[o]);
        if (strcmp(again, lines[i]) != 0)
            fail_msg("pagetypeinfo line %d is not in Linux's layout:\n'%s'\nexpected\n'%s'", i + 1, lines[i], again);
        rows++;
    }
    assert_true(rows > 0);
}

/* --report prints each report once, at the end; --stats-dir gets them as files. */
static void kernel_report_at_end(void **state)
{
    (void)state;
    char dir[4096], arg[4200];
    snprintf(dir, sizeof(dir), "%s/statsdir", work);
    snprintf(arg, sizeof(arg), "--stats-dir=%s", dir);
    struct run_result r;
    run_emu(&r, "run", "--mode=fs", "-q", "--config=tiny", "--report", arg, NULL);
    assert_int_equal(r.status, 0);
    const char *b = strstr(r.out, "==> buddyinfo <==\n");
    assert_non_null(b);
    assert_null(strstr(b + 1, "==> buddyinfo <=="));
    run_result_free(&r);
    char path[4300];
    snprintf(path, sizeof(path), "%s/meminfo", dir);
    char *m = slurp(path);
    assert_non_null(strstr(m, "MemFree:"));
    free(m);
    snprintf(path, sizeof(path), "%s/stats.json", dir);
    m = slurp(path);
    assert_non_null(strstr(m, "\"fs.reports\""));
    free(m);
}

/* The reference sample of a /proc file (../shared/reference/proc/NAME), or NULL. */
static char *reference(const char *name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "../shared/reference/proc/%s", name);
    char *s = read_file(path, &len);
    if (!s) {
        snprintf(path, sizeof(path), "/work/shared/reference/proc/%s", name);
        s = read_file(path, &len);
    }
    return s;
}

/* slabinfo 2.1: the two header lines as Linux's, then each cache in Linux's columns. */
static void check_slabinfo(char *text)
{
    char *lines[1024] = {0};
    int n = split_lines(text, lines, 1024);
    assert_true(n > 3);
    assert_string_equal(lines[0], "slabinfo - version: 2.1");
    char *ref = reference("slabinfo");
    if (ref) {
        char *rl[4] = {0};
        split_lines(ref, rl, 4);
        assert_string_equal(lines[1], rl[1]);
        free(ref);
    }
    for (int i = 2; i < n; i++) {
        char name[64];
        unsigned long a, o, sa, ns, av;
        unsigned sz, per, lim, bat, sh;
        int pages;
        if (sscanf(lines[i], "%63s %lu %lu %u %u %d : tunables %u %u %u : slabdata %lu %lu %lu", name, &a, &o, &sz, &per,
                   &pages, &lim, &bat, &sh, &sa, &ns, &av) != 12)
            fail_msg("slabinfo line %d: '%s'", i + 1, lines[i]);
        char again[512];
        snprintf(again, sizeof(again), "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu", name,
                 a, o, sz, per, pages, lim, bat, sh, sa, ns, av);
        if (strcmp(again, lines[i]) != 0)
            fail_msg("slabinfo line %d is not in Linux's layout:\n'%s'\nexpected\n'%s'", i + 1, lines[i], again);
        if (a > o || sa > ns)
            fail_msg("slabinfo line %d: active counts above totals: '%s'", i + 1, lines[i]);
    }
}

/* vmstat: "name value" lines whose names follow Linux's order (the reference sample); returns
 * nr_free_pages. */
static uint64_t check_vmstat(char *text)
{
    char *lines[1024] = {0}, *rl[1024] = {0};
    int n = split_lines(text, lines, 1024);
    char *ref = reference("vmstat");
    int rn = ref ? split_lines(ref, rl, 1024) : 0, r = 0;
    uint64_t free_pages = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        char name[128];
        unsigned long long v;
        char again[256];
        if (sscanf(lines[i], "%127s %llu", name, &v) != 2)
            fail_msg("vmstat line %d: '%s'", i + 1, lines[i]);
        snprintf(again, sizeof(again), "%s %llu", name, v);
        if (strcmp(again, lines[i]) != 0)
            fail_msg("vmstat line %d is not 'name value': '%s'", i + 1, lines[i]);
        if (strcmp(name, "nr_free_pages") == 0)
            free_pages = v;
        if (!rn)
            continue;
        size_t nl = strlen(name);
        while (r < rn && !(strncmp(rl[r], name, nl) == 0 && rl[r][nl] == ' '))
            r++;
        if (r == rn)
            fail_msg("vmstat: %s is not a Linux counter, or out of Linux's order", name);
    }
    free(ref);
    assert_int_not_equal(free_pages, UINT64_MAX);
    return free_pages;
}

/* A node's numastat: Linux's six lines, in order. */
static void check_numastat(char *text)
{
    static const char *const names[] = {"numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node",
                                        "other_node"};
    char *lines[16] = {0};
    int n = split_lines(text, lines, 16);
    assert_int_equal(n, 6);
    for (int i = 0; i < 6; i++) {
        char name[64], again[128];
        unsigned long long v;
        assert_int_equal(sscanf(lines[i], "%63s %llu", name, &v), 2);
        assert_string_equal(name, names[i]);
        snprintf(again, sizeof(again), "%s %llu", name, v);
        assert_string_equal(again, lines[i]);
    }
}

static void kernel_report_formats(void **state)
{
    (void)state;
    static const char *const cfgs[] = {"--config=tiny", "--config=skylake-2s"};
    for (int k = 0; k < 2; k++) {
        char dir[4096], arg[4200];
        snprintf(dir, sizeof(dir), "%s/reports%d", work, k);
        mkdir(dir, 0755);
        snprintf(arg, sizeof(arg), "--reports-dir=%s", dir);
        struct run_result r;
        run_emu(&r, "run", "--mode=fs", "-q", cfgs[k], arg, NULL);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        char path[4300];
#define REPORT(name) (snprintf(path, sizeof(path), "%s/%s", dir, name), slurp(path))
        char *buddy = REPORT("buddyinfo"), *mem = REPORT("meminfo"), *zone = REPORT("zoneinfo"),
             *ptype = REPORT("pagetypeinfo");
#undef REPORT
        uint64_t b = check_buddyinfo(buddy), z = check_zoneinfo(zone), m = check_meminfo(mem);
        check_pagetypeinfo(ptype);
        snprintf(path, sizeof(path), "%s/slabinfo", dir);
        char *slab = slurp(path);
        check_slabinfo(slab);
        free(slab);
        snprintf(path, sizeof(path), "%s/vmstat", dir);
        char *vm = slurp(path);
        uint64_t vfree = check_vmstat(vm);
        free(vm);
        if (vfree * 4 != m)
            fail_msg("%s: vmstat nr_free_pages %llu but MemFree %llu kB", cfgs[k], (unsigned long long)vfree,
                     (unsigned long long)m);
        for (int node = 0; node < (k ? 2 : 1); node++) {
            snprintf(path, sizeof(path), "%s/node%d_numastat", dir, node);
            char *ns = slurp(path);
            check_numastat(ns);
            free(ns);
        }
        /* buddyinfo, zoneinfo and MemFree count the same free pages (per-CPU lists aside: Linux's
         * MemFree and zoneinfo include them, buddyinfo does not). */
        if (b > z || m != z * 4)
            fail_msg("%s: free pages disagree: buddyinfo %llu, zoneinfo %llu, MemFree %llu kB", cfgs[k],
                     (unsigned long long)b, (unsigned long long)z, (unsigned long long)m);
        free(buddy);
        free(mem);
        free(zone);
        free(ptype);
    }
}

/* Two identical runs: identical stats and kernel log. A different TLB latency and PTE-load cost
 * (with translation timing on): the cycles change, the guest's decisions do not (same kernel log,
 * same clock, same interrupts on every CPU). */
static void kernel_determinism(void **state)
{
    (void)state;
    const char *runs[3][2] = {
        {"det-a", "tlb.stlb_latency=9"},
        {"det-b", "tlb.stlb_latency=9"},
        {"det-c", "tlb.stlb_latency=40"},
    };
    char *json[3], *log[3];
    for (int k = 0; k < 3; k++) {
        struct run_result r;
        char st[4096], klog[4096];
        snprintf(st, sizeof(st), "--stats=%s/%s.json", work, runs[k][0]);
        snprintf(klog, sizeof(klog), "--kernel-log=%s/%s.klog", work, runs[k][0]);
        run_emu(&r, "run", "--mode=fs", "-q", "--kernel-tests", "--timing=tlb", "--config=skylake-2s", "--set",
                runs[k][1], "--set", k == 2 ? "walk.pte_load_cycles=200" : "walk.pte_load_cycles=4", st, klog, NULL);
        assert_int_equal(r.status, 0);
        run_result_free(&r);
        json[k] = slurp(st + strlen("--stats="));
        log[k] = slurp(klog + strlen("--kernel-log="));
    }
    assert_string_equal(json[0], json[1]);
    assert_string_equal(log[0], log[1]);
    assert_string_equal(log[0], log[2]);
    assert_int_equal(stat_of(json[0], "fs.clock"), stat_of(json[2], "fs.clock"));
    assert_int_equal(stat_of(json[0], "sim.instructions"), stat_of(json[2], "sim.instructions"));
    if (stat_of(json[0], "sim.cycles") >= stat_of(json[2], "sim.cycles"))
        fail_msg("slower translation did not cost cycles");
    for (int i = 0; i < 8; i++) {
        char n[64];
        snprintf(n, sizeof(n), "cpu%d.interrupts", i);
        assert_int_equal(stat_of(json[0], n), stat_of(json[2], n));
        snprintf(n, sizeof(n), "cpu%d.timer_fires", i);
        assert_int_equal(stat_of(json[0], n), stat_of(json[2], n));
    }
    for (int k = 0; k < 3; k++) {
        free(json[k]);
        free(log[k]);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: test_fs --emu PATH --kernels DIR --work DIR [--filter PATTERN]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--emu") == 0)
            emu = argv[i + 1];
        else if (strcmp(argv[i], "--kernels") == 0)
            kernels = argv[i + 1];
        else if (strcmp(argv[i], "--work") == 0)
            work = argv[i + 1];
        else if (strcmp(argv[i], "--filter") == 0)
            cmocka_set_test_filter(argv[i + 1]);
        else
            usage();
    }
    if (!kernels || !work)
        usage();
    mkdir(work, 0755);
    scratch = make_scratch_dir("fs");
    if (!scratch)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_channels),
        cmocka_unit_test(timer_one_shot),
        cmocka_unit_test(timer_periodic),
        cmocka_unit_test(ipi_and_mailbox),
        cmocka_unit_test(block_device),
        cmocka_unit_test(annotations),
        cmocka_unit_test(triple_fault),
        cmocka_unit_test(wild_jump),
        cmocka_unit_test(bad_idt),
        cmocka_unit_test(halted_for_ever),
        cmocka_unit_test(guest_panic),
        cmocka_unit_test(endless_loop),
        cmocka_unit_test(bad_kernel_files),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(corrupt_kernels),
        cmocka_unit_test(fuzz_guest_code),
        cmocka_unit_test(kernel_boot_report),
        cmocka_unit_test(kernel_1_socket),
        cmocka_unit_test(kernel_2_sockets),
        cmocka_unit_test(kernel_4_sockets),
        cmocka_unit_test(kernel_8_sockets),
        cmocka_unit_test(kernel_determinism),
        cmocka_unit_test(kernel_report_formats),
        cmocka_unit_test(kernel_report_at_end),
    };
    return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
