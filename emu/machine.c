/* machine: builds the machine from its configuration, wires the modules, and runs it. */
#include "emu/machine.h"

#include <capstone/capstone.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/fs.h"
#include "emu/record.h"
#include "emu/memsys.h"
#include "emu/se.h"
#include "emu/timing.h"

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
    if (m->fs)
        fs_dump_klog_tail(m, 20);
    if (m->nr_cpus > 0)
        machine_dump_trace(m, m->cur_cpu ? m->cur_cpu : m->cpus[0]);
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

/* The last blocks c entered, each disassembled from its start to its first control transfer, the
 * last one up to c->rip. */
static void dump_blocks(cpu_t *c)
{
    uint32_t n = c->block_pos < CPU_BLOCK_RING ? c->block_pos : CPU_BLOCK_RING;
    if (n == 0)
        return;
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return;
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    fflush(stdout);
    fprintf(stderr, "emu: last instructions of cpu%d (its last %u blocks, oldest first):\n", c->id, n);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t va = c->block_ring[(c->block_pos - n + k) & (CPU_BLOCK_RING - 1)];
        int last = k == n - 1;
        for (int i = 0; i < 32; i++) {
            uint8_t bytes[16];
            int len = 0;
            while (len < 15 && mem_try_read_buf(c, va + (uint64_t)len, bytes + len, 1) == 0)
                len++;
            cs_insn *insn;
            size_t cnt = len ? cs_disasm(h, bytes, (size_t)len, va, 1, &insn) : 0;
            if (!cnt) {
                fprintf(stderr, "emu:   0x%016llx  %s\n", (unsigned long long)va, len ? "(undecodable)" : "<unreadable>");
                break;
            }
            fprintf(stderr, "emu:   0x%016llx  %s %s%s\n", (unsigned long long)va, insn[0].mnemonic, insn[0].op_str,
                    last && va == c->rip ? "   <== here" : "");
            int transfer = cs_insn_group(h, insn, CS_GRP_JUMP) || cs_insn_group(h, insn, CS_GRP_CALL) ||
                           cs_insn_group(h, insn, CS_GRP_RET) || cs_insn_group(h, insn, CS_GRP_INT) ||
                           cs_insn_group(h, insn, CS_GRP_IRET);
            uint64_t next = va + insn[0].size;
            cs_free(insn, cnt);
            if ((last && va >= c->rip) || (!last && transfer))
                break;
            va = next;
        }
    }
    cs_close(&h);
}

void machine_dump_trace(machine_t *m, cpu_t *c)
{
    if (!m->trace_n || !m->trace_count) {
        if (m->mode == EMU_MODE_FS)
            dump_blocks(c);
        return;
    }
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

/* The TLB geometry of the configuration. */
static void tlb_cfg_from(const config_t *cfg, tlb_cfg_t *t)
{
    memset(t, 0, sizeof(*t));
    uint32_t l1 = (uint32_t)config_get(cfg, CFG_tlb_l1_latency);
    uint32_t l2 = (uint32_t)config_get(cfg, CFG_tlb_stlb_latency);
#define ARR(dst, e, w, lat) dst = (tlb_array_cfg_t){.entries = (uint32_t)config_get(cfg, e), \
                                                    .ways = (uint32_t)config_get(cfg, w), .latency = lat}
    ARR(t->itlb[TLB_4K], CFG_tlb_itlb_4k_entries, CFG_tlb_itlb_4k_ways, l1);
    ARR(t->itlb[TLB_2M], CFG_tlb_itlb_2m_entries, CFG_tlb_itlb_2m_ways, l1);
    ARR(t->itlb[TLB_1G], CFG_tlb_itlb_1g_entries, CFG_tlb_itlb_1g_ways, l1);
    ARR(t->dtlb[TLB_4K], CFG_tlb_dtlb_4k_entries, CFG_tlb_dtlb_4k_ways, l1);
    ARR(t->dtlb[TLB_2M], CFG_tlb_dtlb_2m_entries, CFG_tlb_dtlb_2m_ways, l1);
    ARR(t->dtlb[TLB_1G], CFG_tlb_dtlb_1g_entries, CFG_tlb_dtlb_1g_ways, l1);
    ARR(t->stlb, CFG_tlb_stlb_entries, CFG_tlb_stlb_ways, l2);
    ARR(t->stlb_1g, CFG_tlb_stlb_1g_entries, CFG_tlb_stlb_1g_ways, l2);
#undef ARR
    tlb_cfg_set_repl(t, (enum tlb_repl)config_get(cfg, CFG_tlb_replacement), (uint64_t)config_get(cfg, CFG_tlb_seed));
}

/* The page walker's configuration. */
static void mmu_cfg_from(const config_t *cfg, mmu_cfg_t *w)
{
    memset(w, 0, sizeof(*w));
    uint32_t lat = (uint32_t)config_get(cfg, CFG_pwc_latency);
    enum tlb_repl repl = (enum tlb_repl)config_get(cfg, CFG_tlb_replacement);
    uint64_t seed = (uint64_t)config_get(cfg, CFG_tlb_seed);
#define PWC(L, e, ww) w->pwc[L] = (tlb_array_cfg_t){.entries = (uint32_t)config_get(cfg, e), \
                                                    .ways = (uint32_t)config_get(cfg, ww), .latency = lat, .repl = repl, .seed = seed}
    PWC(MMU_PD, CFG_pwc_pde_entries, CFG_pwc_pde_ways);
    PWC(MMU_PDPT, CFG_pwc_pdpte_entries, CFG_pwc_pdpte_ways);
    PWC(MMU_PML4, CFG_pwc_pml4e_entries, CFG_pwc_pml4e_ways);
    PWC(MMU_PML5, CFG_pwc_pml5e_entries, CFG_pwc_pml5e_ways);
#undef PWC
    for (int L = MMU_PT; L <= MMU_PML5; L++)
        w->pte_cycles[L] = (uint32_t)config_get(cfg, CFG_walk_pte_load_cycles);
}

static uint64_t cycles_of(void *arg) { return cpu_cycles(arg); }
static uint64_t tlb_cycles_of(void *arg) { return tlb_lookup_cycles(((cpu_t *)arg)->tlb); }
static uint64_t sum_cycles(void *arg)
{
    /* The machine's time is that of its slowest CPU. */
    machine_t *m = arg;
    uint64_t mx = 0;
    for (int i = 0; i < m->nr_cpus; i++) {
        uint64_t cy = cpu_cycles(m->cpus[i]);
        if (cy > mx)
            mx = cy;
    }
    return mx;
}

/* Register the timing counters of CPU i. */
static void add_timing_counters(machine_t *m, int i)
{
    cpu_t *c = m->cpus[i];
    counters_add_fn(m->ctrs, cycles_of, c, "Cycles: base cost of the instructions retired while timed, TLB lookups and page walks",
                    "cpu%d.cycles", i);
    counters_add(m->ctrs, &c->base_cycles, "Base cycles of the instructions retired while timed (by class)",
                 "cpu%d.base_cycles", i);
    counters_add_fn(m->ctrs, tlb_cycles_of, c, "Cycles of TLB lookups (L1 and STLB latencies)", "cpu%d.tlb.cycles", i);
    const tlb_stats_t *ts = tlb_stats(c->tlb);
#define X(f, name, desc) counters_add(m->ctrs, &ts->f, desc, "cpu%d.%s", i, name);
    TLB_COUNTERS(X)
#undef X
    const mmu_stats_t *ms = mmu_stats(c->walker);
#define X(f, name, desc) counters_add(m->ctrs, &ms->f, desc, "cpu%d.%s", i, name);
    MMU_COUNTERS(X)
#undef X
    int nodes;
    const uint64_t *per = mmu_pte_loads_per_node(c->walker, &nodes);
    for (int n = 0; n < nodes; n++)
        counters_add(m->ctrs, &per[n], "Paging-structure entries loaded from NUMA node K", "cpu%d.pte_loads.node%d", i, n);
}

emu_t *emu_new(const config_t *cfg, enum emu_mode mode, char *err, size_t errlen)
{
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
    dram_topo_t topo; /* validates the numa.* keys for every mode (the boot information uses them) */
    if (memsys_topology(cfg, &topo, err, errlen) < 0) {
        free(m);
        return NULL;
    }
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
    /* SE mode runs one single-threaded process: one CPU. Full-system mode has them all. */
    int64_t ncpu = config_get(cfg, CFG_machine_sockets) * config_get(cfg, CFG_machine_cores_per_socket);
    if (mode == EMU_MODE_FS && ncpu > EMU_MAX_CPUS) {
        snprintf(err, errlen, "machine.sockets x machine.cores_per_socket = %lld CPUs; at most %d are supported",
                 (long long)ncpu, EMU_MAX_CPUS);
        emu_free(m);
        return NULL;
    }
    if (mode != EMU_MODE_FS && config_get(cfg, CFG_se_cpu) >= ncpu) {
        snprintf(err, errlen, "se.cpu (--cpu) = %lld, but the machine has %lld CPUs (0-%lld: machine.sockets x "
                              "machine.cores_per_socket)",
                 (long long)config_get(cfg, CFG_se_cpu), (long long)ncpu, (long long)ncpu - 1);
        emu_free(m);
        return NULL;
    }
    m->nr_cpus = mode == EMU_MODE_FS ? (int)ncpu : 1;
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
        tlb_cfg_t tc;
        mmu_cfg_t wc;
        tlb_cfg_from(cfg, &tc);
        mmu_cfg_from(cfg, &wc);
        char e2[256];
        m->cpus[i]->tlb = tlb_new(&tc, e2, sizeof(e2));
        if (!m->cpus[i]->tlb) {
            snprintf(err, errlen, "bad TLB geometry (tlb.* keys): %s", e2);
            emu_free(m);
            return NULL;
        }
        m->cpus[i]->walker = mmu_new(&wc, m->dram, e2, sizeof(e2));
        if (!m->cpus[i]->walker) {
            snprintf(err, errlen, "bad paging-structure cache geometry (pwc.* keys): %s", e2);
            emu_free(m);
            return NULL;
        }
    }
    timing_class_cycles(cfg, m->class_cycles);
    m->timed = 1;

    counters_add_fn(m->ctrs, sum_instructions, m, "Instructions retired by all CPUs", "sim.instructions");
    counters_add_fn(m->ctrs, sum_page_faults, m, "Page faults taken by all CPUs", "sim.page_faults");
    counters_add_fn(m->ctrs, sum_cycles, m, "Cycles of the machine (its slowest CPU)", "sim.cycles");
#define X(name, desc) counters_add(m->ctrs, &m->st.name, desc, "sim.%s", #name);
    SIM_COUNTERS(X)
#undef X
    counters_set_live(m->ctrs, "sim.exit_code");
    for (int i = 0; i < m->nr_cpus; i++) {
#define X(name, desc) counters_add(m->ctrs, &m->cpus[i]->st.name, desc, "cpu%d.%s", i, #name);
        CPU_COUNTERS(X)
#undef X
        add_timing_counters(m, i);
    }
    return m;
}

void emu_free(emu_t *m)
{
    if (!m)
        return;
    if (m->se)
        se_free(m);
    fs_free(m);
    memsys_free(m->mem);
    for (int i = 0; m->cpus && i < m->nr_cpus; i++) {
        if (m->cpus[i]) {
            tlb_free(m->cpus[i]->tlb);
            mmu_free(m->cpus[i]->walker);
        }
        cpu_free(m->cpus[i]);
    }
    free(m->cpus);
    free(m->code_bits);
    free(m->trace_ring);
    machine_heat_free(m);
    counters_free(m->ctrs);
    dram_free(m->dram);
    free(m);
}

int emu_load(emu_t *m, const emu_program_t *p, char *err, size_t errlen)
{
    if (m->mode == EMU_MODE_FS) {
        snprintf(err, errlen, "--mode=fs cannot run a program yet: the guest kernel has no processes (use --mode=se, "
                              "or --mode=fs without a PROGRAM to boot the kernel alone)");
        return EMU_EXIT_ERROR;
    }
    return se_load(m, p, err, errlen);
}

int emu_boot(emu_t *m, const emu_fs_opts_t *o, char *err, size_t errlen)
{
    if (m->mode != EMU_MODE_FS) {
        snprintf(err, errlen, "emu_boot: the machine was not built for full-system mode");
        return EMU_EXIT_ERROR;
    }
    return fs_boot(m, o, err, errlen);
}

void emu_frame_state(emu_t *m, uint64_t pfn, int *state, int *aux, uint64_t *owner)
{
    if (m->fs && m->fs->annot) {
        annot_frame(m->fs->annot, pfn, state, aux, owner);
    } else {
        *state = 0;
        *aux = 0;
        *owner = 0;
    }
}

int emu_set_timing(emu_t *m, int mode, uint64_t ff_insns, int ff_roi)
{
    if (mode == EMU_TIMING_FULL && !m->mem) {
        char err[1024];
        if (memsys_init(m, err, sizeof(err)) < 0) {
            emu_msg("%s", err);
            return -1;
        }
    }
    m->timing_mode = mode;
    m->ff_insns = ff_insns;
    m->ff_roi = ff_roi;
    m->timed = !ff_insns && !ff_roi;
    for (int i = 0; i < m->nr_cpus; i++)
        m->cpus[i]->timing = m->timed ? mode : EMU_TIMING_OFF;
    return 0;
}

/* Switch every CPU to the measured mode and reset the counters (the fast-forward has ended). */
void machine_start_measuring(machine_t *m)
{
    m->timed = 1;
    for (int i = 0; i < m->nr_cpus; i++)
        cpu_tlb_sync(m->cpus[i]);
    counters_reset(m->ctrs);
    for (int i = 0; i < m->nr_cpus; i++) {
        cpu_t *c = m->cpus[i];
        c->timing = m->timing_mode;
        /* Functional translation-cache entries carry no modelled TLB entry. */
        for (unsigned k = 0; k < TC_SIZE; k++)
            c->tc_r[k].page = c->tc_w[k].page = c->tc_x[k].page = TC_INVALID;
        tlb_reset_stats(c->tlb);
        mmu_reset_stats(c->walker);
    }
    memsys_reset_stats(m);
}

/* The end of the region of interest: freeze the counters and run on functionally. */
static void stop_measuring(machine_t *m)
{
    for (int i = 0; i < m->nr_cpus; i++)
        cpu_tlb_sync(m->cpus[i]);
    counters_freeze(m->ctrs);
    m->frozen = 1;
    for (int i = 0; i < m->nr_cpus; i++)
        m->cpus[i]->timing = EMU_TIMING_OFF;
}

void h_emu_marker(cpu_t *c, const insn_t *i)
{
    machine_t *m = c->m;
    m->marker = (int)i->imm;
    /* The machine acts on the marker between blocks (emu_run). */
    c->yield = 1;
    c->block_end = NULL;
}

void machine_marker(machine_t *m, int code)
{
    if (m->rec) {
        /* Into the recording, where the replay acts on it the same way (emu/replay.c). */
        trace_rec_t r;
        memset(&r, 0, sizeof(r));
        r.type = TRACE_MARKER;
        r.value = (uint64_t)code;
        r.cpu = (uint16_t)(m->cur_cpu ? m->cur_cpu->id : 0);
        trace_write(m->rec, &r);
    }
    /* Counted after a reset at a begin and before the freeze at an end, so that the region's
     * counters include its own markers. */
    if (code == 1) {
        if (m->ff_roi && !m->timed)
            machine_start_measuring(m);
        m->st.roi_begins++;
    } else if (code == 2) {
        m->st.roi_ends++;
        if (m->ff_roi && m->timed && !m->frozen)
            stop_measuring(m);
    }
}

void emu_run(emu_t *m, uint64_t max_insns, emu_result_t *res)
{
    cpu_t *c = m->cpus[0];
    m->stop = 0;
    if (m->fs) {
        fs_run(m, max_insns);
        m->st.exit_code = (uint64_t)m->result.status;
        *res = m->result;
        return;
    }
    /* Instructions retired by this run, fast-forward included (the counters restart at the
     * switch; the instruction limit does not). */
    uint64_t done = 0;
    while (!m->stop) {
        if (!m->timed && m->ff_insns && done >= m->ff_insns)
            machine_start_measuring(m);
        uint64_t chunk = max_insns ? max_insns - done : 0;
        if (!m->timed && m->ff_insns && (!chunk || m->ff_insns - done < chunk))
            chunk = m->ff_insns - done;
        if (UNLIKELY(m->obs_fn)) {
            uint64_t hard = chunk;
            chunk = machine_obs_chunk(m, done, chunk);
            /* The observer's chunk ends at a block boundary (a block has at most 64 instructions). */
            c->soft_limit = chunk != hard && (!hard || hard - chunk >= 64);
        }
        done += cpu_run(c, chunk);
        c->soft_limit = 0;
        m->run_insns = done;
        cpu_tlb_sync(c); /* the counters may be read next */
        if (m->stop)
            break;
        if (m->marker) {
            int code = m->marker;
            m->marker = 0;
            machine_marker(m, code);
        }
        if (max_insns && done >= max_insns) {
            m->stop = 1;
            m->result.kind = EMU_LIMIT;
            m->result.code = 0;
            m->result.status = EMU_EXIT_LIMIT;
        }
        if (UNLIKELY(m->obs_fn) && !m->stop && done >= m->obs_next)
            machine_observe(m); /* the visualizer, between chunks (emu/snapshot.c) */
    }
    m->st.exit_code = (uint64_t)m->result.status;
    *res = m->result;
}

counters_t *emu_counters(emu_t *m) { return m->ctrs; }

void emu_print_summary(emu_t *m, double host_seconds, FILE *f)
{
    /* Counter values, frozen at the end of a region of interest like the stats JSON. */
    uint64_t insns = counters_get(m->ctrs, "sim.instructions", NULL);
    uint64_t all_insns = m->run_insns; /* fast-forward included, for the speed */
    double mips = host_seconds > 0 ? (double)all_insns / host_seconds / 1e6 : 0;
    fprintf(f, "emu: ---- summary ----\n");
    switch (m->result.kind) {
    case EMU_EXITED: fprintf(f, "emu: program exited with status %d\n", m->result.code); break;
    case EMU_SIGNALED: fprintf(f, "emu: program killed by signal %d\n", m->result.code); break;
    case EMU_LIMIT: fprintf(f, "emu: instruction limit reached\n"); break;
    case EMU_FAILED: fprintf(f, "emu: run failed\n"); break;
    }
    fprintf(f, "emu: instructions  %llu%s\n", (unsigned long long)insns,
            m->frozen ? " (region of interest)" : (m->ff_insns || m->ff_roi) && m->timed ? " (after fast-forward)" : "");
    fprintf(f, "emu: page faults   %llu\n", (unsigned long long)counters_get(m->ctrs, "sim.page_faults", NULL));
    if (m->timing_mode != EMU_TIMING_OFF && m->timed) {
        for (int i = 0; i < m->nr_cpus; i++) {
            char name[64];
#define V(fmt) (snprintf(name, sizeof(name), "cpu%d." fmt, i), counters_get(m->ctrs, name, NULL))
            uint64_t cy = V("cycles"), in = V("instructions"), base = V("base_cycles"), tlbc = V("tlb.cycles");
            uint64_t walks = V("walks"), wcy = V("walk_cycles"), loads = V("pte_loads"), pwch = V("pwc.hits");
            double pc = cy ? 100.0 / (double)cy : 0;
            fprintf(f, "emu: cpu%d cycles %llu, IPC %.2f: base %.1f%%, TLB lookups %.1f%%, page walks %.1f%%\n", i,
                    (unsigned long long)cy, cy ? (double)in / (double)cy : 0.0, (double)base * pc, (double)tlbc * pc,
                    (double)wcy * pc);
            static const char *const levels[3][2] = {{"iTLB", "itlb"}, {"dTLB", "dtlb"}, {"STLB", "stlb"}};
            for (int l = 0; l < 3; l++) {
                char hn[64], mn[64];
                snprintf(hn, sizeof(hn), "cpu%d.%s.hits", i, levels[l][1]);
                snprintf(mn, sizeof(mn), "cpu%d.%s.misses", i, levels[l][1]);
                uint64_t h = counters_get(m->ctrs, hn, NULL), mi = counters_get(m->ctrs, mn, NULL);
                fprintf(f, "emu: cpu%d %-5s %12llu hits %10llu misses (%.3f%%)\n", i, levels[l][0],
                        (unsigned long long)h, (unsigned long long)mi, h + mi ? 100.0 * (double)mi / (double)(h + mi) : 0.0);
            }
            fprintf(f, "emu: cpu%d walks %llu (%llu cycles, %.1f per walk, %llu PTE loads), PWC hits %llu\n", i,
                    (unsigned long long)walks, (unsigned long long)wcy, walks ? (double)wcy / (double)walks : 0.0,
                    (unsigned long long)loads, (unsigned long long)pwch);
#undef V
            memsys_print_cpu(m, i, f);
        }
        memsys_print(m, f);
    }
    if (m->fs) {
        uint64_t ints = 0, timers = 0, ipis = 0;
        for (int i = 0; i < m->nr_cpus; i++) {
            ints += m->cpus[i]->sys.cnt.interrupts;
            timers += m->cpus[i]->sys.cnt.timer_fires;
            ipis += m->cpus[i]->sys.cnt.ipis_sent;
        }
        fprintf(f, "emu: cpus %d (%llu started by mailbox), virtual clock %llu ticks in %llu rounds (%llu jumps)\n",
                m->nr_cpus, (unsigned long long)counters_get(m->ctrs, "fs.cpus_started", NULL),
                (unsigned long long)counters_get(m->ctrs, "fs.clock", NULL),
                (unsigned long long)counters_get(m->ctrs, "fs.rounds", NULL),
                (unsigned long long)counters_get(m->ctrs, "fs.clock_jumps", NULL));
        fprintf(f, "emu: interrupts %llu (timer expirations %llu, IPIs sent %llu)\n", (unsigned long long)ints,
                (unsigned long long)timers, (unsigned long long)ipis);
    }
    for (int i = 0; i < counters_count(m->ctrs); i++) {
        const char *n = counters_name(m->ctrs, i);
        if (strncmp(n, "se.", 3) == 0 && strncmp(n, "se.node", 7) != 0)
            fprintf(f, "emu: %-17s %llu\n", n, (unsigned long long)counters_value(m->ctrs, i));
    }
    if (m->se && m->dram && dram_nr_nodes(m->dram) > 1) {
        /* NUMA: where the program ran and where its frames are (the se.nodeN.* counters). */
        int cpu = (int)config_get(&m->cfg, CFG_se_cpu);
        fprintf(f, "emu: numa: cpu %d, socket %d, local node %d\n", cpu,
                cpu / (int)config_get(&m->cfg, CFG_machine_cores_per_socket), emu_cpu_node(&m->cfg, cpu));
        for (int nd = 0; nd < dram_nr_nodes(m->dram); nd++) {
            char name[64];
#define NV(k) (snprintf(name, sizeof(name), "se.node%d." k, nd), (unsigned long long)counters_get(m->ctrs, name, NULL))
            fprintf(f, "emu: numa: node%d frames %llu (page tables %llu), numa_hit %llu, numa_miss %llu, "
                       "numa_foreign %llu, interleave_hit %llu\n",
                    nd, NV("frames"), NV("page_tables"), NV("numa_hit"), NV("numa_miss"), NV("numa_foreign"),
                    NV("interleave_hit"));
#undef NV
        }
    }
    fprintf(f, "emu: host time     %.3f s (%.1f MIPS)\n", host_seconds, mips);
}

void emu_list_counters(FILE *f)
{
    fprintf(f, "%-28s %s\n", "sim.instructions", "Instructions retired by all CPUs");
    fprintf(f, "%-28s %s\n", "sim.page_faults", "Page faults taken by all CPUs");
    fprintf(f, "%-28s %s\n", "sim.cycles", "Cycles of the machine (its slowest CPU)");
#define X(name, desc) fprintf(f, "sim.%-24s %s\n", #name, desc);
    SIM_COUNTERS(X)
#undef X
#define X(name, desc) fprintf(f, "cpuN.%-23s %s\n", #name, desc);
    CPU_COUNTERS(X)
#undef X
    fprintf(f, "%-28s %s\n", "cpuN.cycles", "Cycles: base cost of instructions retired while timed, TLB lookups, page walks");
    fprintf(f, "%-28s %s\n", "cpuN.base_cycles", "Base cycles of the instructions retired while timed");
    fprintf(f, "%-28s %s\n", "cpuN.tlb.cycles", "Cycles of TLB lookups");
#define X(fld, name, desc) fprintf(f, "cpuN.%-23s %s\n", name, desc);
    TLB_COUNTERS(X)
    MMU_COUNTERS(X)
#undef X
    fprintf(f, "%-28s %s\n", "cpuN.pte_loads.nodeK", "Paging-structure entries loaded from NUMA node K");
    memsys_list_counters(f); /* --timing=full only */
#define X(name, desc) fprintf(f, "se.%-25s %s\n", #name, desc);
    SE_COUNTERS(X)
#undef X
#define X(name, desc) fprintf(f, "se.nodeN.%-20s %s\n", #name, desc);
    SE_NODE_COUNTERS(X)
#undef X
    /* Full-system mode only. */
#define X(name, desc) fprintf(f, "cpuN.%-23s %s\n", #name, desc);
    CPU_SYS_COUNTERS(X)
#undef X
#define X(name, desc) fprintf(f, "fs.%-25s %s\n", #name, desc);
    FS_COUNTERS(X)
#undef X
    annot_list_counters(f);
#define X(name, desc) fprintf(f, "blk.%-24s %s\n", #name, desc);
    BLK_COUNTERS(X)
#undef X
}
