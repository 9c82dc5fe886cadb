/* machine: builds the machine from its configuration, wires the modules, and runs it. */
#include "emu/machine.h"

#include <capstone/capstone.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/se.h"

void emu_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fputs("emu: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void machine_exit(machine_t *m, int code)
{
    if (m->stop)
        return;
    m->stop = 1;
    m->result.kind = EMU_EXITED;
    m->result.code = code & 0xff;
    m->result.status = code & 0xff;
}

void machine_kill(machine_t *m, int sig)
{
    if (m->stop)
        return;
    m->stop = 1;
    m->result.kind = EMU_SIGNALED;
    m->result.code = sig;
    m->result.status = 128 + sig;
}

void machine_fail(machine_t *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fflush(stdout);
    fputs("emu: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (m->nr_cpus > 0)
        machine_dump_trace(m, m->cpus[0]);
    m->stop = 1;
    m->result.kind = EMU_FAILED;
    m->result.code = 0;
    m->result.status = EMU_EXIT_ERROR;
}

void machine_mark_code(machine_t *m, uint64_t pa)
{
    uint64_t f = pa >> 12;
    if (f >= m->nr_frames)
        return;
    m->code_bits[f >> 3] |= (uint8_t)(1u << (f & 7));
    /* The frame must leave every write translation cache so that stores to it take the slow path. */
    for (int i = 0; i < m->nr_cpus; i++)
        for (unsigned k = 0; k < TC_SIZE; k++)
            m->cpus[i]->tc_w[k].page = TC_INVALID;
}

void machine_code_written(machine_t *m, uint64_t pa)
{
    (void)pa;
    /* Decoded code is dropped wholesale (emu/cpu.c), so every frame stops being "code". */
    memset(m->code_bits, 0, (m->nr_frames + 7) / 8);
    for (int i = 0; i < m->nr_cpus; i++)
        m->cpus[i]->flush_pending = 1;
}

void machine_disasm(cpu_t *c, uint64_t va, char *buf, size_t len)
{
    uint8_t bytes[16];
    int n = 0;
    while (n < 15 && mem_try_read_buf(c, va + (uint64_t)n, bytes + n, 1) == 0)
        n++;
    if (n == 0) {
        snprintf(buf, len, "<unreadable>");
        return;
    }
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        snprintf(buf, len, "<capstone unavailable>");
        return;
    }
    cs_insn *insn;
    size_t count = cs_disasm(h, bytes, (size_t)n, va, 1, &insn);
    char hex[48] = "";
    int hl = count ? (int)insn[0].size : (n < 8 ? n : 8);
    for (int k = 0; k < hl && k < 15; k++)
        snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", bytes[k]);
    if (count) {
        snprintf(buf, len, "%s %s  [%s]", insn[0].mnemonic, insn[0].op_str, hex);
        cs_free(insn, count);
    } else {
        snprintf(buf, len, "(bytes capstone does not decode either)  [%s...]", hex);
    }
    cs_close(&h);
}

void machine_dump_trace(machine_t *m, cpu_t *c)
{
    if (!m->trace_n || !m->trace_count)
        return;
    int n = m->trace_count < (uint64_t)m->trace_n ? (int)m->trace_count : m->trace_n;
    fflush(stdout);
    fprintf(stderr, "emu: last %d instructions of cpu%d (oldest first):\n", n, c->id);
    for (int k = 0; k < n; k++) {
        int idx = (m->trace_pos - n + k + m->trace_n) % m->trace_n;
        char dis[160];
        machine_disasm(c, m->trace_ring[idx], dis, sizeof(dis));
        fprintf(stderr, "emu:   0x%016llx  %s\n", (unsigned long long)m->trace_ring[idx], dis);
    }
}

void emu_set_trace_insn(emu_t *m, int n)
{
    free(m->trace_ring);
    m->trace_ring = NULL;
    m->trace_n = 0;
    if (n > 0) {
        m->trace_ring = calloc((size_t)n, sizeof(uint64_t));
        if (m->trace_ring)
            m->trace_n = n;
    }
    m->trace_pos = 0;
    m->trace_count = 0;
}

/* Derived counters: sums over CPUs. */
static uint64_t sum_instructions(void *arg)
{
    machine_t *m = arg;
    uint64_t s = 0;
    for (int i = 0; i < m->nr_cpus; i++)
        s += m->cpus[i]->st.instructions;
    return s;
}

static uint64_t sum_page_faults(void *arg)
{
    machine_t *m = arg;
    uint64_t s = 0;
    for (int i = 0; i < m->nr_cpus; i++)
        s += m->cpus[i]->st.page_faults;
    return s;
}

emu_t *emu_new(const config_t *cfg, enum emu_mode mode, char *err, size_t errlen)
{
    if (mode == EMU_MODE_FS) {
        snprintf(err, errlen, "full-system mode (--mode=fs) is not implemented yet; use --mode=se");
        return NULL;
    }
    machine_t *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->mode = mode;

    /* Memory: sockets x nodes_per_socket nodes of mem_per_node each, contiguous from 0. */
    dram_cfg_t dc;
    memset(&dc, 0, sizeof(dc));
    int64_t nodes = config_get(cfg, CFG_machine_sockets) * config_get(cfg, CFG_machine_nodes_per_socket);
    if (nodes > DRAM_MAX_NODES) {
        snprintf(err, errlen, "machine.sockets x machine.nodes_per_socket = %lld nodes; at most %d are supported",
                 (long long)nodes, DRAM_MAX_NODES);
        free(m);
        return NULL;
    }
    dc.nr_nodes = (int)nodes;
    uint64_t size = (uint64_t)config_get(cfg, CFG_machine_mem_per_node);
    for (int i = 0; i < dc.nr_nodes; i++) {
        dc.nodes[i].base_pa = (uint64_t)i * size;
        dc.nodes[i].size = size;
    }
    m->dram = dram_new(&dc, err, errlen);
    if (!m->dram) {
        free(m);
        return NULL;
    }
    m->nr_frames = dram_end(m->dram) >> 12;
    m->code_bits = calloc((m->nr_frames + 7) / 8, 1);
    m->ctrs = counters_new();
    /* SE mode runs one single-threaded process: one CPU. Full-system mode brings them all up. */
    m->nr_cpus = 1;
    m->cpus = calloc((size_t)m->nr_cpus, sizeof(cpu_t *));
    if (!m->code_bits || !m->ctrs || !m->cpus) {
        snprintf(err, errlen, "out of host memory");
        emu_free(m);
        return NULL;
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        m->cpus[i] = cpu_new(m, i);
        if (!m->cpus[i]) {
            snprintf(err, errlen, "out of host memory");
            emu_free(m);
            return NULL;
        }
        m->cpus[i]->mmu.levels = (int)config_get(cfg, CFG_machine_paging_levels);
    }

    counters_add_fn(m->ctrs, sum_instructions, m, "Instructions retired by all CPUs", "sim.instructions");
    counters_add_fn(m->ctrs, sum_page_faults, m, "Page faults taken by all CPUs", "sim.page_faults");
#define X(name, desc) counters_add(m->ctrs, &m->st.name, desc, "sim.%s", #name);
    SIM_COUNTERS(X)
#undef X
    for (int i = 0; i < m->nr_cpus; i++) {
#define X(name, desc) counters_add(m->ctrs, &m->cpus[i]->st.name, desc, "cpu%d.%s", i, #name);
        CPU_COUNTERS(X)
#undef X
    }
    return m;
}

void emu_free(emu_t *m)
{
    if (!m)
        return;
    if (m->se)
        se_free(m);
    for (int i = 0; m->cpus && i < m->nr_cpus; i++)
        cpu_free(m->cpus[i]);
    free(m->cpus);
    free(m->code_bits);
    free(m->trace_ring);
    counters_free(m->ctrs);
    dram_free(m->dram);
    free(m);
}

int emu_load(emu_t *m, const emu_program_t *p, char *err, size_t errlen)
{
    return se_load(m, p, err, errlen);
}

void emu_run(emu_t *m, uint64_t max_insns, emu_result_t *res)
{
    cpu_t *c = m->cpus[0];
    m->stop = 0;
    uint64_t ran = cpu_run(c, max_insns);
    if (!m->stop && max_insns && ran >= max_insns) {
        m->stop = 1;
        m->result.kind = EMU_LIMIT;
        m->result.code = 0;
        m->result.status = EMU_EXIT_LIMIT;
    }
    m->st.exit_code = (uint64_t)m->result.status;
    *res = m->result;
}

counters_t *emu_counters(emu_t *m) { return m->ctrs; }

void emu_print_summary(emu_t *m, double host_seconds, FILE *f)
{
    uint64_t insns = sum_instructions(m);
    double mips = host_seconds > 0 ? (double)insns / host_seconds / 1e6 : 0;
    fprintf(f, "emu: ---- summary ----\n");
    switch (m->result.kind) {
    case EMU_EXITED: fprintf(f, "emu: program exited with status %d\n", m->result.code); break;
    case EMU_SIGNALED: fprintf(f, "emu: program killed by signal %d\n", m->result.code); break;
    case EMU_LIMIT: fprintf(f, "emu: instruction limit reached\n"); break;
    case EMU_FAILED: fprintf(f, "emu: run failed\n"); break;
    }
    fprintf(f, "emu: instructions  %llu\n", (unsigned long long)insns);
    fprintf(f, "emu: page faults   %llu\n", (unsigned long long)sum_page_faults(m));
    for (int i = 0; i < counters_count(m->ctrs); i++) {
        const char *n = counters_name(m->ctrs, i);
        if (strncmp(n, "se.", 3) == 0)
            fprintf(f, "emu: %-17s %llu\n", n, (unsigned long long)counters_value(m->ctrs, i));
    }
    fprintf(f, "emu: host time     %.3f s (%.1f MIPS)\n", host_seconds, mips);
}

void emu_list_counters(FILE *f)
{
    fprintf(f, "%-28s %s\n", "sim.instructions", "Instructions retired by all CPUs");
    fprintf(f, "%-28s %s\n", "sim.page_faults", "Page faults taken by all CPUs");
#define X(name, desc) fprintf(f, "sim.%-24s %s\n", #name, desc);
    SIM_COUNTERS(X)
#undef X
#define X(name, desc) fprintf(f, "cpuN.%-23s %s\n", #name, desc);
    CPU_COUNTERS(X)
#undef X
#define X(name, desc) fprintf(f, "se.%-25s %s\n", #name, desc);
    SE_COUNTERS(X)
#undef X
}
