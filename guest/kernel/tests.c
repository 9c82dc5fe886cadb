/* kernel/tests.c: the kernel's test table.
 *
 * Run at the end of boot when the emulator passes EMU_BOOT_KERNEL_TESTS (--kernel-tests), in
 * the spirit of Linux's KUnit: an array of {name, function}; each function returns EMU_TEST_PASS,
 * EMU_TEST_FAIL or EMU_TEST_SKIP and may write a message. Each result goes to the emulator
 * (EMU_CALL_TEST_RESULT, printed as KTAP) and to the kernel log; the run's exit status is 0 when
 * nothing failed. Messages must be deterministic (no cycle counts): logs are compared across
 * configurations. These tests cover the machine interface the kernel depends on: timer, IPIs,
 * paging depth and the direct map, exceptions with exception-table fixups, IST stacks, and
 * round trips to CPL 3 through SYSCALL/SYSRET, a fault and timer interrupts; then the page
 * allocator's tests (mm/page_alloc_test.c) and those of SLUB, kmalloc, vmalloc, the per-CPU API,
 * the kernel page tables and TLB shootdowns (mm/slab_test.c), each followed by buddy_check(),
 * slab_check(), vmalloc_check() and the leak checks (pages and slab objects).
 */
#define pr_fmt(fmt) "ktest: " fmt
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/apic.h>
#include <asm/emu.h>
#include <asm/extable.h>
#include <asm/irq_vectors.h>
#include <asm/msr.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/setup.h>
#include <asm/traps.h>

#define FAIL(...)                               \
    do {                                        \
        scnprintf(msg, len, __VA_ARGS__);       \
        return EMU_TEST_FAIL;                   \
    } while (0)

/* ---- SMP, timer, IPIs ------------------------------------------------------------------------ */

static int test_smp_boot(char *msg, size_t len)
{
    unsigned int cpu;
    if (num_online_cpus() != nr_cpu_ids)
        FAIL("%u of %u CPUs online", num_online_cpus(), nr_cpu_ids);
    for_each_online_cpu(cpu)
        if (cpu_pcpu(cpu)->cpu_number != cpu || cpu_pcpu(cpu)->self != cpu_pcpu(cpu))
            FAIL("CPU %u: bad per-CPU area", cpu);
    return EMU_TEST_PASS;
}

static int test_timer_ticks(char *msg, size_t len)
{
    static unsigned long before[NR_CPUS];
    unsigned int cpu;
    if (!apic_timer_running)
        FAIL("the timer is not running (timer_hz %llu)", (unsigned long long)boot_info.timer_hz);
    if (rdmsr(EMU_MSR_TIMER_CUR) == 0)
        FAIL("TIMER_CUR reads 0 on CPU 0: the timer is stopped");
    if ((rdmsr(EMU_MSR_LVT_TIMER) & 0xff) != LOCAL_TIMER_VECTOR)
        FAIL("LVT timer reads %#llx", (unsigned long long)rdmsr(EMU_MSR_LVT_TIMER));
    for_each_online_cpu(cpu)
        before[cpu] = cpu_pcpu(cpu)->timer_ticks;
    unsigned long j0 = jiffies;
    wait_jiffies(3);
    if (jiffies - j0 < 3)
        FAIL("jiffies advanced by %lu, expected 3", jiffies - j0);
    for_each_online_cpu(cpu)
        if (cpu_pcpu(cpu)->timer_ticks <= before[cpu])
            FAIL("CPU %u took no timer interrupt in 3 jiffies", cpu);
    return EMU_TEST_PASS;
}

struct whoami {
    unsigned int cpu, apic_id;
    int irqs_off;
};

static void whoami_fn(void *info)
{
    struct whoami *w = info;
    w->cpu = smp_processor_id();
    w->apic_id = read_apic_id();
    w->irqs_off = irqs_disabled();
}

static int test_ipi_single(char *msg, size_t len)
{
    unsigned int cpu;
    for_each_online_cpu(cpu) {
        struct whoami w = { ~0u, ~0u, 0 };
        unsigned long calls = cpu_pcpu(cpu)->irq_call_count;
        int ret = smp_call_function_single(cpu, whoami_fn, &w, 1);
        if (ret)
            FAIL("smp_call_function_single(%u) returned %d", cpu, ret);
        if (w.cpu != cpu || w.apic_id != cpu)
            FAIL("call for CPU %u ran with smp_processor_id %u, APIC id %u", cpu, w.cpu, w.apic_id);
        if (!w.irqs_off)
            FAIL("CPU %u ran the call with interrupts enabled", cpu);
        if (cpu != smp_processor_id() && cpu_pcpu(cpu)->irq_call_count != calls + 1)
            FAIL("CPU %u: %lu call IPIs for one call", cpu, cpu_pcpu(cpu)->irq_call_count - calls);
    }
    if (smp_call_function_single(nr_cpu_ids, whoami_fn, NULL, 1) != -ENXIO)
        FAIL("a call to CPU %u (not present) did not fail", nr_cpu_ids);
    if (num_online_cpus() == 1)
        scnprintf(msg, len, "one CPU: local call only");
    return EMU_TEST_PASS;
}

static volatile unsigned long hits[NR_CPUS];

static void hit_fn(void *info)
{
    (void)info;
    __asm__ __volatile__("lock incq %0" : "+m"(hits[smp_processor_id()]));
}

static int test_ipi_async(char *msg, size_t len)
{
    unsigned int cpu, me = smp_processor_id();
    if (num_online_cpus() < 2) {
        scnprintf(msg, len, "needs 2 CPUs");
        return EMU_TEST_SKIP;
    }
    memset((void *)hits, 0, sizeof(hits));
    for_each_online_cpu(cpu)
        if (cpu != me && smp_call_function_single(cpu, hit_fn, NULL, 0))
            FAIL("smp_call_function_single(%u, wait=0) failed", cpu);
    for_each_online_cpu(cpu) {
        for (int i = 0; i < 100000 && cpu != me && !READ_ONCE(hits[cpu]); i++)
            cpu_relax();
        if (cpu != me && hits[cpu] != 1)
            FAIL("CPU %u ran an asynchronous call %lu times", cpu, hits[cpu]);
    }
    return EMU_TEST_PASS;
}

static int test_ipi_allbutself(char *msg, size_t len)
{
    unsigned int cpu, me = smp_processor_id();
    if (num_online_cpus() < 2) {
        scnprintf(msg, len, "needs 2 CPUs");
        return EMU_TEST_SKIP;
    }
    memset((void *)hits, 0, sizeof(hits));
    smp_call_function(hit_fn, NULL, 1);
    if (hits[me])
        FAIL("the calling CPU %u ran the call", me);
    for_each_online_cpu(cpu)
        if (cpu != me && hits[cpu] != 1)
            FAIL("CPU %u ran the call %lu times", cpu, hits[cpu]);
    for (cpu = nr_cpu_ids; cpu < NR_CPUS; cpu++)
        if (hits[cpu])
            FAIL("absent CPU %u ran the call", cpu);
    return EMU_TEST_PASS;
}

static int test_ipi_self(char *msg, size_t len)
{
    struct pcpu *p = this_cpu();
    unsigned long flags;
    local_irq_save(flags);
    unsigned long before = p->irq_resched_count;
    apic_send_IPI_self(RESCHEDULE_VECTOR);
    for (int i = 0; i < 100; i++)
        cpu_relax();
    unsigned long masked = p->irq_resched_count - before;
    local_irq_enable();
    for (int i = 0; i < 100000 && p->irq_resched_count == before; i++)
        cpu_relax();
    unsigned long got = p->irq_resched_count - before;
    if (!(flags & X86_EFLAGS_IF))
        local_irq_disable();
    if (masked)
        FAIL("the self-IPI was taken with interrupts disabled");
    if (got != 1)
        FAIL("%lu self-IPIs taken, expected 1", got);
    return EMU_TEST_PASS;
}

/* ---- paging ---------------------------------------------------------------------------------- */

static volatile u64 test_var = 0x0123456789abcdefull;

static int test_paging_levels(char *msg, size_t len)
{
    unsigned int levels = (read_cr4() & X86_CR4_LA57) ? 5 : 4;
    int level;
    if (levels != boot_info.paging_levels)
        FAIL("CR4.LA57 says %u levels, boot info %u", levels, boot_info.paging_levels);
    if (pgtable_levels != levels)
        FAIL("page tables built for %u levels, CPU uses %u", pgtable_levels, levels);
    unsigned long want = levels == 5 ? __PAGE_OFFSET_BASE_L5 : __PAGE_OFFSET_BASE_L4;
    if (PAGE_OFFSET != want)
        FAIL("PAGE_OFFSET %#lx, expected %#lx", PAGE_OFFSET, want);
    if ((read_cr3() & PTE_PFN_MASK) != init_top_pgt_pa)
        FAIL("CR3 %#lx is not the kernel's page table %#lx", read_cr3(), init_top_pgt_pa);
    u64 pa = lookup_address((unsigned long)&test_var, &level);
    if (pa != __pa_symbol(&test_var) || level != 2)
        FAIL("kernel image: %p -> %#llx (level %d), expected %#lx with a 2 MiB page", (void *)&test_var,
             (unsigned long long)pa, level, __pa_symbol(&test_var));
    pa = lookup_address(0x100000, &level);
    if (pa != ~0ull)
        FAIL("the boot identity map is still present (0x100000 -> %#llx)", (unsigned long long)pa);
    if (!(read_cr4() & X86_CR4_PGE))
        FAIL("CR4.PGE is not set");
    return EMU_TEST_PASS;
}

static int test_direct_map(char *msg, size_t len)
{
    volatile u64 *alias = __va(__pa_symbol(&test_var));
    if (*alias != test_var)
        FAIL("direct map reads %#llx, kernel map %#llx", (unsigned long long)*alias, (unsigned long long)test_var);
    *alias = 0xfedcba9876543210ull;
    barrier();
    if (test_var != 0xfedcba9876543210ull)
        FAIL("a write through the direct map is not seen through the kernel map");
    test_var = 0x0123456789abcdefull;
    if (*alias != 0x0123456789abcdefull)
        FAIL("a write through the kernel map is not seen through the direct map");
    for (u32 i = 0; i < boot_info.nr_mem; i++) {
        const struct emu_mem_range *r = &boot_info.mem[i];
        u64 ends[2] = { r->base, r->base + r->size - 1 };
        for (int k = 0; k < 2; k++) {
            int level;
            u64 pa = lookup_address((unsigned long)__va(ends[k]), &level);
            if (pa != ends[k])
                FAIL("direct map: %p -> %#llx, expected %#llx", __va(ends[k]), (unsigned long long)pa,
                     (unsigned long long)ends[k]);
        }
    }
    return EMU_TEST_PASS;
}

/* ---- exceptions with fixups ------------------------------------------------------------------ */

#define UNMAPPED_KERNEL_VA 0xffffc90000001000ul   /* vmalloc space: nothing is mapped there yet */

static unsigned long probe_read(unsigned long addr)
{
    unsigned long trap, v = 0;
    __asm__ __volatile__("1: movq (%[addr]), %[v]\n\t"
                         "movq $-1, %%rax\n"
                         "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
                         : "=a"(trap), [v] "+r"(v)
                         : [addr] "r"(addr)
                         : "memory");
    return trap;
}

static unsigned long probe_write(unsigned long addr)
{
    unsigned long trap;
    __asm__ __volatile__("1: movq $0, (%[addr])\n\t"
                         "movq $-1, %%rax\n"
                         "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
                         : "=a"(trap)
                         : [addr] "r"(addr)
                         : "memory");
    return trap;
}

static int check_fault(char *msg, size_t len, const char *what, unsigned long trap, unsigned long vector,
                       unsigned long error_code)
{
    const struct fault_info *f = &this_cpu()->last_fault;
    if (trap == ~0ul)
        FAIL("%s: no exception", what);
    if (trap != vector)
        FAIL("%s: vector %lu, expected %lu", what, trap, vector);
    if (f->error_code != error_code)
        FAIL("%s: error code %#lx, expected %#lx", what, f->error_code, error_code);
    return EMU_TEST_PASS;
}

static int test_pf_fixup(char *msg, size_t len)
{
    int r;
    memset(&this_cpu()->last_fault, 0, sizeof(struct fault_info));
    r = check_fault(msg, len, "read", probe_read(UNMAPPED_KERNEL_VA), X86_TRAP_PF, 0);
    if (r)
        return r;
    if (this_cpu()->last_fault.cr2 != UNMAPPED_KERNEL_VA)
        FAIL("read: CR2 %#lx, expected %#lx", this_cpu()->last_fault.cr2, UNMAPPED_KERNEL_VA);
    r = check_fault(msg, len, "write", probe_write(UNMAPPED_KERNEL_VA + 8), X86_TRAP_PF, X86_PF_WRITE);
    if (r)
        return r;
    if (this_cpu()->last_fault.cr2 != UNMAPPED_KERNEL_VA + 8)
        FAIL("write: CR2 %#lx, expected %#lx", this_cpu()->last_fault.cr2, UNMAPPED_KERNEL_VA + 8);
    return EMU_TEST_PASS;
}

static int test_gp_fixup(char *msg, size_t len)
{
    return check_fault(msg, len, "non-canonical read", probe_read(0x8000000000000000ul), X86_TRAP_GP, 0);
}

static int test_ud_fixup(char *msg, size_t len)
{
    unsigned long trap, ip;
    __asm__ __volatile__("leaq 1f(%%rip), %[ip]\n"
                         "1: ud2\n\t"
                         "movq $-1, %%rax\n"
                         "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
                         : "=a"(trap), [ip] "=r"(ip)
                         :
                         : "memory");
    int r = check_fault(msg, len, "ud2", trap, X86_TRAP_UD, 0);
    if (r)
        return r;
    if (this_cpu()->last_fault.ip != ip)
        FAIL("ud2 at %#lx reported at %#lx", ip, this_cpu()->last_fault.ip);
    return EMU_TEST_PASS;
}

static int test_de_fixup(char *msg, size_t len)
{
    unsigned long trap, divisor = 0;
    __asm__ __volatile__("movl $7, %%eax\n\t"
                         "xorl %%edx, %%edx\n"
                         "1: divq %[d]\n\t"
                         "movq $-1, %%rax\n"
                         "2:\n" _ASM_EXTABLE_FAULT(1b, 2b)
                         : "=&a"(trap)
                         : [d] "r"(divisor)
                         : "rdx", "memory");
    return check_fault(msg, len, "divide by zero", trap, X86_TRAP_DE, 0);
}

static int test_bp_int3(char *msg, size_t len)
{
    struct pcpu *p = this_cpu();
    unsigned long count = p->int3_count, ip;
    p->expect_int3 = 1;
    __asm__ __volatile__("int3\n"
                         "1: leaq 1b(%%rip), %0"
                         : "=r"(ip)
                         :
                         : "memory");
    p->expect_int3 = 0;
    if (p->int3_count != count + 1)
        FAIL("%lu #BP taken, expected 1", p->int3_count - count);
    if (p->int3_ip != ip)
        FAIL("#BP returned to %#lx, expected %#lx (after the int3)", p->int3_ip, ip);
    return EMU_TEST_PASS;
}

static int test_ist_stack(char *msg, size_t len)
{
    struct pcpu *p = this_cpu();
    unsigned long sp;
    p->ist_test_sp = 0;
    __asm__ __volatile__("movq %%rsp, %0\n\t"
                         "int $" __stringify(TEST_IST_VECTOR)
                         : "=&r"(sp)
                         :
                         : "memory");
    unsigned long top = p->ist_base[IST_INDEX_DB] + EXCEPTION_STKSZ;
    unsigned long regs = p->ist_test_sp;
    if (!regs)
        FAIL("the handler of vector %#x did not run", TEST_IST_VECTOR);
    if (regs + sizeof(struct pt_regs) != top)
        FAIL("registers saved at %#lx, expected the top of IST%d (%#lx)", regs, IST_INDEX_DB, top);
    const struct pt_regs *r = (const struct pt_regs *)regs;
    if (r->sp != sp || r->cs != __KERNEL_CS)
        FAIL("saved RSP %#lx CS %#lx, expected %#lx and %#x", r->sp, r->cs, sp, __KERNEL_CS);
    return EMU_TEST_PASS;
}

/* ---- user mode ------------------------------------------------------------------------------- */

#define USER_CODE_VA 0x400000ul
#define USER_STACK_VA 0x7ff000ul
#define USER_STACK_TOP (USER_STACK_VA + PAGE_SIZE)

#define P_DI 0x1111111111111111
#define P_SI 0x2222222222222222
#define P_DX 0x3333333333333333
#define P_R10 0x4444444444444444
#define P_R8 0x5555555555555555
#define P_R9 0x6666666666666666
#define P_BX 0x7777777777777777
#define P_BP 0x0888888888888888
#define P_R12 0x0999999999999999
#define P_R13 0x0aaaaaaaaaaaaaaa
#define P_R14 0x0bbbbbbbbbbbbbbb
#define P_R15 0x0ccccccccccccccc

/* User code, copied to the user page (position-independent). */
extern const char user_syscall_code[], user_syscall_ret[], user_exit_ret[], user_syscall_end[];
extern const char user_hlt_code[], user_hlt_end[];
extern const char user_pf_code[], user_pf_insn[], user_pf_end[];
extern const char user_spin_code[], user_spin_end[];
__asm__(".pushsection .rodata\n"
        "user_syscall_code:\n\t"
        "movabsq $" __stringify(P_DI) ", %rdi\n\t"
        "movabsq $" __stringify(P_SI) ", %rsi\n\t"
        "movabsq $" __stringify(P_DX) ", %rdx\n\t"
        "movabsq $" __stringify(P_R10) ", %r10\n\t"
        "movabsq $" __stringify(P_R8) ", %r8\n\t"
        "movabsq $" __stringify(P_R9) ", %r9\n\t"
        "movabsq $" __stringify(P_BX) ", %rbx\n\t"
        "movabsq $" __stringify(P_BP) ", %rbp\n\t"
        "movabsq $" __stringify(P_R12) ", %r12\n\t"
        "movabsq $" __stringify(P_R13) ", %r13\n\t"
        "movabsq $" __stringify(P_R14) ", %r14\n\t"
        "movabsq $" __stringify(P_R15) ", %r15\n\t"
        "movl $1000, %eax\n\t"
        "syscall\n"
        "user_syscall_ret:\n\t"
        "movq %rax, %rdi\n\t"
        "movl $60, %eax\n\t"
        "syscall\n"
        "user_exit_ret:\n\t"
        "ud2\n"
        "user_syscall_end:\n"
        "user_hlt_code:\n\t"
        "hlt\n\t"
        "ud2\n"
        "user_hlt_end:\n"
        "user_pf_code:\n\t"
        "movabsq $0xffffffff81000000, %rax\n"
        "user_pf_insn:\n\t"
        "movq (%rax), %rax\n\t"
        "ud2\n"
        "user_pf_end:\n"
        "user_spin_code:\n\t"
        "jmp user_spin_code\n"
        "user_spin_end:\n"
        ".popsection\n");

static u64 user_code_pa, user_stack_pa;

/* Map the user code and stack pages (in the kernel's page tables: there are no processes yet),
 * copy `code` there and run it at CPL 3; returns run_user()'s value. */
static unsigned long run_user_code(const char *code, const char *end, unsigned long end_after_ticks)
{
    if (!user_code_pa) {
        user_code_pa = page_to_phys(alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOFAIL));
        user_stack_pa = page_to_phys(alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOFAIL));
    }
    memset(__va(user_code_pa), 0xcc, PAGE_SIZE);
    memcpy(__va(user_code_pa), code, (size_t)(end - code));
    memset(__va(user_stack_pa), 0, PAGE_SIZE);
    kernel_map_range(USER_CODE_VA, user_code_pa, PAGE_SIZE, PAGE_USER_EXEC, PAGE_SIZE);
    kernel_map_range(USER_STACK_VA, user_stack_pa, PAGE_SIZE, PAGE_USER_EXEC | _PAGE_NX, PAGE_SIZE);
    memset(&user_exit_info[smp_processor_id()], 0, sizeof(struct user_exit_info));
    user_exit_info[smp_processor_id()].end_after_ticks = end_after_ticks;
    unsigned long ret = run_user(USER_CODE_VA, USER_STACK_TOP);
    kernel_unmap_page(USER_CODE_VA);
    kernel_unmap_page(USER_STACK_VA);
    return ret;
}

#define CHECK_REG(regs, field, want)                                                              \
    do {                                                                                          \
        if ((regs)->field != (want))                                                              \
            FAIL("%s: %s = %#lx, expected %#lx", where, #field, (regs)->field, (unsigned long)(want)); \
    } while (0)

static int test_user_syscall(char *msg, size_t len)
{
    unsigned long ret = run_user_code(user_syscall_code, user_syscall_end, 0);
    const struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    const char *where = "exit";
    if (u->reason != USER_EXIT_SYSCALL)
        FAIL("user code ended by %s %lu (error %#lx, ip %#lx), not by exit", u->reason == USER_EXIT_EXCEPTION ?
             "exception" : "reason", u->code, u->error_code, u->regs.ip);
    if (u->nr_syscalls != 2)
        FAIL("%lu system calls, expected 2", u->nr_syscalls);
    if (ret != ~(unsigned long)P_DI || u->code != ~(unsigned long)P_DI)
        FAIL("exit status %#lx, expected %#lx (the first call's result)", ret, ~(unsigned long)P_DI);
    if (rdmsr(MSR_KERNEL_GS_BASE) != 0 || rdmsr(MSR_GS_BASE) != (u64)this_cpu())
        FAIL("GS bases not restored (swapgs unbalanced)");
    const struct pt_regs *s = &u->syscall_regs;
    where = "syscall 1000";
    CHECK_REG(s, orig_ax, 1000);
    CHECK_REG(s, di, P_DI);
    CHECK_REG(s, si, P_SI);
    CHECK_REG(s, dx, P_DX);
    CHECK_REG(s, r10, P_R10);
    CHECK_REG(s, r8, P_R8);
    CHECK_REG(s, r9, P_R9);
    CHECK_REG(s, bx, P_BX);
    CHECK_REG(s, bp, P_BP);
    CHECK_REG(s, r12, P_R12);
    CHECK_REG(s, r13, P_R13);
    CHECK_REG(s, r14, P_R14);
    CHECK_REG(s, r15, P_R15);
    CHECK_REG(s, ip, USER_CODE_VA + (unsigned long)(user_syscall_ret - user_syscall_code));
    CHECK_REG(s, cx, s->ip);
    CHECK_REG(s, cs, __USER_CS);
    CHECK_REG(s, ss, __USER_DS);
    CHECK_REG(s, sp, USER_STACK_TOP);
    if (!(s->flags & X86_EFLAGS_IF) || s->r11 != s->flags)
        FAIL("syscall 1000: user RFLAGS %#lx (r11 %#lx)", s->flags, s->r11);
    const struct pt_regs *e = &u->regs;   /* after SYSRET and the user's own instructions */
    where = "exit";
    CHECK_REG(e, orig_ax, 60);
    CHECK_REG(e, si, P_SI);
    CHECK_REG(e, dx, P_DX);
    CHECK_REG(e, r10, P_R10);
    CHECK_REG(e, r8, P_R8);
    CHECK_REG(e, r9, P_R9);
    CHECK_REG(e, bx, P_BX);
    CHECK_REG(e, bp, P_BP);
    CHECK_REG(e, r12, P_R12);
    CHECK_REG(e, r15, P_R15);
    CHECK_REG(e, ip, USER_CODE_VA + (unsigned long)(user_exit_ret - user_syscall_code));
    CHECK_REG(e, sp, USER_STACK_TOP);
    return EMU_TEST_PASS;
}

static int test_user_gp_hlt(char *msg, size_t len)
{
    run_user_code(user_hlt_code, user_hlt_end, 0);
    const struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    const char *where = "hlt at CPL 3";
    if (u->reason != USER_EXIT_EXCEPTION)
        FAIL("hlt at CPL 3 did not fault (user code ended with reason %lu)", u->reason);
    if (u->code != X86_TRAP_GP || u->error_code != 0)
        FAIL("hlt at CPL 3 raised vector %lu error %#lx, expected #GP(0)", u->code, u->error_code);
    CHECK_REG(&u->regs, ip, USER_CODE_VA);
    CHECK_REG(&u->regs, cs, __USER_CS);
    CHECK_REG(&u->regs, sp, USER_STACK_TOP);
    return EMU_TEST_PASS;
}

static int test_user_pf(char *msg, size_t len)
{
    run_user_code(user_pf_code, user_pf_end, 0);
    const struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    const char *where = "user read of kernel memory";
    if (u->reason != USER_EXIT_EXCEPTION || u->code != X86_TRAP_PF)
        FAIL("a user read of kernel memory ended with reason %lu vector %lu, expected #PF", u->reason, u->code);
    if (u->error_code != (X86_PF_USER | X86_PF_PROT))
        FAIL("#PF error code %#lx, expected %#lx (user, protection)", u->error_code, X86_PF_USER | X86_PF_PROT);
    if (u->cr2 != 0xffffffff81000000ul)
        FAIL("#PF CR2 %#lx, expected 0xffffffff81000000", u->cr2);
    CHECK_REG(&u->regs, ip, USER_CODE_VA + (unsigned long)(user_pf_insn - user_pf_code));
    return EMU_TEST_PASS;
}

/* Timer interrupts at CPL 3: the first returns to the user loop (iretq to CPL 3, swapgs), the
 * second ends it. */
static int test_user_timer(char *msg, size_t len)
{
    if (!apic_timer_running) {
        scnprintf(msg, len, "no timer");
        return EMU_TEST_SKIP;
    }
    run_user_code(user_spin_code, user_spin_end, 2);
    const struct user_exit_info *u = &user_exit_info[smp_processor_id()];
    const char *where = "timer at CPL 3";
    if (u->reason != USER_EXIT_TIMER)
        FAIL("user loop ended with reason %lu vector %lu, expected the second timer tick", u->reason, u->code);
    if (u->user_ticks != 2)
        FAIL("%lu ticks at CPL 3, expected 2", u->user_ticks);
    if (rdmsr(MSR_KERNEL_GS_BASE) != 0 || rdmsr(MSR_GS_BASE) != (u64)this_cpu())
        FAIL("GS bases not restored (swapgs unbalanced)");
    CHECK_REG(&u->regs, ip, USER_CODE_VA);
    CHECK_REG(&u->regs, cs, __USER_CS);
    CHECK_REG(&u->regs, ss, __USER_DS);
    CHECK_REG(&u->regs, sp, USER_STACK_TOP);
    if (!(u->regs.flags & X86_EFLAGS_IF))
        FAIL("user RFLAGS %#lx without IF", u->regs.flags);
    return EMU_TEST_PASS;
}

/* ---- the table ------------------------------------------------------------------------------- */

struct kernel_test {
    const char *name;
    int (*fn)(char *msg, size_t len);
    int mm;   /* followed by buddy_check() and the leak check */
};

/* mm/page_alloc_test.c */
int test_buddy_walkthrough(char *msg, size_t len);
int test_buddy_split_merge(char *msg, size_t len);
int test_zone_fallback(char *msg, size_t len);
int test_watermarks(char *msg, size_t len);
int test_pcp_lists(char *msg, size_t len);
int test_gfp_zones(char *msg, size_t len);
int test_gfp_zero(char *msg, size_t len);
int test_gfp_thisnode(char *msg, size_t len);
int test_fail_page_alloc(char *msg, size_t len);
int test_reports_consistency(char *msg, size_t len);
/* mm/slab_test.c */
int test_kmalloc_doubling(char *msg, size_t len);
int test_kmalloc_caches(char *msg, size_t len);
int test_slab_seed_examples(char *msg, size_t len);
int test_slab_flags(char *msg, size_t len);
int test_slab_corruption(char *msg, size_t len);
int test_slab_reports(char *msg, size_t len);
int test_vmalloc(char *msg, size_t len);
int test_percpu(char *msg, size_t len);
int test_page_tables(char *msg, size_t len);
int test_tlb_shootdown(char *msg, size_t len);

static const struct kernel_test kernel_tests[] = {
    { "smp_boot", test_smp_boot, 0 },
    { "timer_ticks", test_timer_ticks, 0 },
    { "ipi_single", test_ipi_single, 0 },
    { "ipi_async", test_ipi_async, 0 },
    { "ipi_allbutself", test_ipi_allbutself, 0 },
    { "ipi_self", test_ipi_self, 0 },
    { "paging_levels", test_paging_levels, 0 },
    { "direct_map", test_direct_map, 0 },
    { "pf_fixup", test_pf_fixup, 0 },
    { "gp_fixup", test_gp_fixup, 0 },
    { "ud_fixup", test_ud_fixup, 0 },
    { "de_fixup", test_de_fixup, 0 },
    { "bp_int3", test_bp_int3, 0 },
    { "ist_stack", test_ist_stack, 0 },
    { "user_syscall", test_user_syscall, 0 },
    { "user_gp_hlt", test_user_gp_hlt, 0 },
    { "user_pf", test_user_pf, 0 },
    { "user_timer", test_user_timer, 0 },
    { "buddy_walkthrough", test_buddy_walkthrough, 1 },
    { "buddy_split_merge", test_buddy_split_merge, 1 },
    { "zone_fallback", test_zone_fallback, 1 },
    { "watermarks", test_watermarks, 1 },
    { "pcp_lists", test_pcp_lists, 1 },
    { "gfp_zones", test_gfp_zones, 1 },
    { "gfp_zero", test_gfp_zero, 1 },
    { "gfp_thisnode", test_gfp_thisnode, 1 },
    { "fail_page_alloc", test_fail_page_alloc, 1 },
    { "reports_consistency", test_reports_consistency, 1 },
    { "kmalloc_doubling", test_kmalloc_doubling, 1 },
    { "kmalloc_caches", test_kmalloc_caches, 1 },
    { "slab_seed_examples", test_slab_seed_examples, 1 },
    { "slab_flags", test_slab_flags, 1 },
    { "slab_corruption", test_slab_corruption, 1 },
    { "slab_reports", test_slab_reports, 1 },
    { "vmalloc", test_vmalloc, 1 },
    { "percpu", test_percpu, 1 },
    { "page_tables", test_page_tables, 1 },
    { "tlb_shootdown", test_tlb_shootdown, 1 },
};

/* After an mm test: the buddy allocator's and SLUB's invariants, then every page back (free in the
 * buddy or on a per-CPU list, once the caches have given back their empty slabs) and every slab
 * object freed. */
static int mm_after_test(int r, unsigned long before, unsigned long objs_before, char *msg, size_t len)
{
    char m[200];
    if (buddy_check(m, sizeof(m))) {
        scnprintf(msg, len, "buddy_check: %s", m);
        return EMU_TEST_FAIL;
    }
    if (slab_check(m, sizeof(m))) {
        scnprintf(msg, len, "slab_check: %s", m);
        return EMU_TEST_FAIL;
    }
    if (vmalloc_check(m, sizeof(m))) {
        scnprintf(msg, len, "vmalloc_check: %s", m);
        return EMU_TEST_FAIL;
    }
    kmem_cache_shrink_all();
    unsigned long after = nr_free_pages() + nr_free_pcp_pages(), objs = slab_objects_in_use();
    if (r != EMU_TEST_FAIL && objs != objs_before) {
        scnprintf(msg, len, "%ld slab objects leaked (%lu in use before, %lu after)", (long)(objs - objs_before),
                  objs_before, objs);
        return EMU_TEST_FAIL;
    }
    if (r != EMU_TEST_FAIL && after != before) {
        scnprintf(msg, len, "%ld pages leaked (%lu free before, %lu after)", (long)(before - after), before, after);
        return EMU_TEST_FAIL;
    }
    return r;
}

int run_kernel_tests(void)
{
    static char msg[256];
    int failed = 0, skipped = 0;
    pr_info("running %zu tests on %u CPUs\n", ARRAY_SIZE(kernel_tests), num_online_cpus());
    for (size_t i = 0; i < ARRAY_SIZE(kernel_tests); i++) {
        const struct kernel_test *t = &kernel_tests[i];
        msg[0] = 0;
        if (t->mm)
            kmem_cache_shrink_all();
        unsigned long free_before = nr_free_pages() + nr_free_pcp_pages(), objs_before = slab_objects_in_use();
        int r = t->fn(msg, sizeof(msg));
        if (t->mm)
            r = mm_after_test(r, free_before, objs_before, msg, sizeof(msg));
        if (r == EMU_TEST_FAIL)
            failed++;
        else if (r == EMU_TEST_SKIP)
            skipped++;
        pr_info("%s %zu %s%s%s\n", r == EMU_TEST_PASS ? "ok" : r == EMU_TEST_SKIP ? "skip" : "not ok", i + 1,
                t->name, msg[0] ? ": " : "", msg);
        emu_test_result(t->name, r, msg[0] ? msg : NULL);
    }
    pr_info("%zu tests: %zu passed, %d failed, %d skipped\n", ARRAY_SIZE(kernel_tests),
            ARRAY_SIZE(kernel_tests) - (size_t)failed - (size_t)skipped, failed, skipped);
    return failed;
}
