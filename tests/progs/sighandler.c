/* Handlers for the signals of CPU exceptions, compared with Linux: siginfo (si_signo, si_code,
 * si_addr), the ucontext (rip, flags, err, trapno, cr2), recovery with siglongjmp and by editing
 * the context (REG_RIP and other registers) before returning.
 *   sighandler segv       null write and read, recovered with siglongjmp (SEGV_MAPERR)
 *   sighandler segv-rip   a faulting store skipped by setting REG_RIP; registers and flags are
 *                         restored, edits to REG_RDX and REG_EFL take effect
 *   sighandler accerr     writes to read-only data and to a PROT_NONE page (SEGV_ACCERR)
 *   sighandler fpe        division by zero (FPE_INTDIV): siglongjmp, then skipped with REG_RAX set
 *   sighandler ill        ud2 (ILL_ILLOPN), skipped
 *   sighandler trap       int3 (SIGTRAP, SI_KERNEL, rip after the int3)
 *   sighandler bus FILE   a page of a file mapping beyond the end of the file (BUS_ADRERR)
 *   sighandler nodefer    SA_NODEFER: a fault inside the SIGSEGV handler runs it again
 *   sighandler nested     a fault inside the SIGSEGV handler (SIGSEGV blocked there) kills: 139
 *   sighandler blocked    SIGSEGV blocked by sigprocmask when the fault happens: killed, 139
 *   sighandler ignored    SIGSEGV ignored: the fault kills anyway, 139 */
// ARGS: segv
// ARGS: segv-rip
// ARGS: accerr
// ARGS: fpe
// ARGS: ill
// ARGS: trap
// ARGS: bus tests/progs/data/input.txt
// ARGS: nodefer
// ARGS: nested
// ARGS: blocked
// ARGS: ignored
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Small assembly probes: each faults at a known label, so the handler can check REG_RIP and
 * resume at the next label. */
__asm__(".text\n"
        /* probe_store(addr, out[8]): patterns in the callee-saved registers, ZF=PF=CF=1, then a
         * store to addr; afterwards out = rbx, r12, r13, r14, r15, rbp, rdx, CF. */
        ".globl probe_store\n"
        "probe_store:\n"
        "  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n  push %rbp\n"
        "  movabs $0x1111111111111111, %rbx\n"
        "  mov $0x1212, %r12\n  mov $0x1313, %r13\n  mov $0x1414, %r14\n  mov $0x1515, %r15\n"
        "  mov $0x5b5b, %rbp\n"
        "  xor %edx, %edx\n"
        "  stc\n"
        ".globl probe_store_insn\n"
        "probe_store_insn:\n"
        "  movl $1, (%rdi)\n"
        ".globl probe_store_next\n"
        "probe_store_next:\n"
        "  setc %al\n  movzbl %al, %eax\n"
        "  mov %rbx, 0(%rsi)\n  mov %r12, 8(%rsi)\n  mov %r13, 16(%rsi)\n  mov %r14, 24(%rsi)\n"
        "  mov %r15, 32(%rsi)\n  mov %rbp, 40(%rsi)\n  mov %rdx, 48(%rsi)\n  mov %rax, 56(%rsi)\n"
        "  pop %rbp\n  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n"
        "  ret\n"
        /* probe_div(n): n / 0 with div; returns rax. */
        ".globl probe_div\n"
        "probe_div:\n"
        "  mov %rdi, %rax\n  xor %edx, %edx\n  xor %ecx, %ecx\n"
        ".globl probe_div_insn\n"
        "probe_div_insn:\n"
        "  div %rcx\n"
        ".globl probe_div_next\n"
        "probe_div_next:\n"
        "  ret\n"
        /* probe_ud2(): returns 7 when resumed after the ud2. */
        ".globl probe_ud2\n"
        "probe_ud2:\n"
        "  xor %eax, %eax\n"
        ".globl probe_ud2_insn\n"
        "probe_ud2_insn:\n"
        "  ud2\n"
        ".globl probe_ud2_next\n"
        "probe_ud2_next:\n"
        "  add $7, %eax\n"
        "  ret\n"
        /* probe_int3(): int3 with rax = 3; returns rax. */
        ".globl probe_int3\n"
        "probe_int3:\n"
        "  xor %eax, %eax\n"
        "  mov $3, %eax\n"
        "  stc\n"
        ".globl probe_int3_insn\n"
        "probe_int3_insn:\n"
        "  int3\n"
        ".globl probe_int3_next\n"
        "probe_int3_next:\n"
        "  ret\n");
void probe_store(volatile void *addr, uint64_t out[8]);
uint64_t probe_div(uint64_t n);
int probe_ud2(void);
uint64_t probe_int3(void);
extern char probe_store_insn[], probe_store_next[], probe_div_insn[], probe_div_next[], probe_ud2_insn[],
    probe_ud2_next[], probe_int3_insn[], probe_int3_next[];

static sigjmp_buf jb;
static volatile uintptr_t expect_addr;
static volatile int depth;
static volatile uintptr_t addr30 = 0x30, addr40 = 0x40;

/* The RFLAGS bits shown: AC RF OF DF IF SF ZF AF PF bit1 CF when the probes set them, else only
 * AC RF DF IF bit1 (compiled code leaves arithmetic flags that depend on stack addresses). */
#define EFL_ALL 0x50ed7ull
#define EFL_SYS 0x50602ull
static volatile int flags_known;

static void show(int sig, siginfo_t *si, ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    printf("  signal %d: si_signo %d si_errno %d si_code %d, si_addr is the expected address: %d\n", sig,
           si->si_signo, si->si_errno, si->si_code, (uintptr_t)si->si_addr == expect_addr);
    unsigned long long shown = flags_known ? EFL_ALL : EFL_SYS;
    printf("  trapno %lld err %lld cr2 is the address: %d, eflags & %llx = %llx\n", (long long)g[REG_TRAPNO],
           (long long)g[REG_ERR], (uintptr_t)g[REG_CR2] == expect_addr, shown,
           (unsigned long long)g[REG_EFL] & shown);
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    printf("  in the handler: signal blocked %d; uc_sigmask has it %d\n", sigismember(&cur, sig),
           sigismember(&uc->uc_sigmask, sig));
    fflush(stdout);
}

static void h_longjmp(int sig, siginfo_t *si, void *ucv)
{
    show(sig, si, ucv);
    siglongjmp(jb, sig);
}

static void h_skip(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    show(sig, si, uc);
    if (g[REG_RIP] == (greg_t)probe_store_insn) {
        printf("  rip at the store; rbx %llx r12 %llx r15 %llx rbp %llx rsi is the out array: %d\n",
               (unsigned long long)g[REG_RBX], (unsigned long long)g[REG_R12], (unsigned long long)g[REG_R15],
               (unsigned long long)g[REG_RBP], g[REG_RSI] != 0);
        g[REG_RIP] = (greg_t)probe_store_next;
        g[REG_RDX] = 0x1234567;
        g[REG_R14] = 0x4141;
        g[REG_EFL] &= ~1ll; /* clear CF */
    } else if (g[REG_RIP] == (greg_t)probe_div_insn) {
        printf("  rip at the div; rax %lld rcx %lld\n", (long long)g[REG_RAX], (long long)g[REG_RCX]);
        g[REG_RIP] = (greg_t)probe_div_next;
        g[REG_RAX] = 42;
    } else if (g[REG_RIP] == (greg_t)probe_ud2_insn) {
        printf("  rip at the ud2\n");
        g[REG_RIP] += 2;
    } else if (g[REG_RIP] == (greg_t)probe_int3_next) {
        printf("  rip after the int3; rax %lld\n", (long long)g[REG_RAX]);
        g[REG_RAX] = 33;
    } else {
        printf("  unexpected rip\n");
        _exit(9);
    }
    fflush(stdout);
}

static void install(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        perror("sigaction");
}

static void h_nodefer(int sig, siginfo_t *si, void *ucv)
{
    int d = ++depth;
    printf("  handler depth %d\n", d);
    show(sig, si, ucv);
    if (d < 3) {
        expect_addr = 0x20 + (uintptr_t)d;
        *(volatile char *)expect_addr = 1;
    }
    siglongjmp(jb, d);
}

static void h_nested(int sig, siginfo_t *si, void *ucv)
{
    show(sig, si, ucv);
    printf("  faulting again inside the handler\n");
    fflush(stdout);
    *(volatile int *)addr30 = 1;
    printf("  not reached\n");
}

static const char rodata[64] = "read-only data";

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "segv";
    printf("sighandler %s\n", what);
    fflush(stdout);
    flags_known = strcmp(what, "segv-rip") == 0 || strcmp(what, "ill") == 0 || strcmp(what, "trap") == 0;
    if (strcmp(what, "segv") == 0) {
        install(SIGSEGV, h_longjmp, 0);
        expect_addr = 0x10;
        if (sigsetjmp(jb, 1) == 0)
            *(volatile int *)expect_addr = 5;
        printf("recovered from the write\n");
        expect_addr = 0x7008;
        if (sigsetjmp(jb, 1) == 0)
            printf("%d\n", *(volatile int *)expect_addr);
        printf("recovered from the read\n");
        expect_addr = (uintptr_t)0xffffffff81000000ull; /* a kernel address */
        if (sigsetjmp(jb, 1) == 0)
            printf("%d\n", *(volatile int *)expect_addr);
        printf("recovered from the kernel read\n");
        sigset_t cur;
        sigprocmask(SIG_SETMASK, NULL, &cur);
        printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
    } else if (strcmp(what, "segv-rip") == 0) {
        install(SIGSEGV, h_skip, 0);
        uint64_t out[8];
        expect_addr = 0x18;
        probe_store((void *)expect_addr, out);
        printf("after: rbx %llx r12 %llx r13 %llx r14 %llx r15 %llx rbp %llx rdx %llx cf %llu\n",
               (unsigned long long)out[0], (unsigned long long)out[1], (unsigned long long)out[2],
               (unsigned long long)out[3], (unsigned long long)out[4], (unsigned long long)out[5],
               (unsigned long long)out[6], (unsigned long long)out[7]);
        /* Again through a read-only page of our own. */
        char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        expect_addr = (uintptr_t)p + 64;
        printf("read %d\n", p[64]);
        probe_store(p + 64, out);
        printf("after: rdx %llx cf %llu\n", (unsigned long long)out[6], (unsigned long long)out[7]);
    } else if (strcmp(what, "accerr") == 0) {
        install(SIGSEGV, h_longjmp, 0);
        expect_addr = (uintptr_t)&rodata[5];
        printf("read '%c'\n", *(volatile const char *)expect_addr);
        if (sigsetjmp(jb, 1) == 0)
            *(volatile char *)expect_addr = 'X';
        printf("recovered from the read-only write\n");
        char *p = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        expect_addr = (uintptr_t)p + 4100;
        if (sigsetjmp(jb, 1) == 0)
            printf("%d\n", *(volatile char *)expect_addr);
        printf("recovered from the PROT_NONE read\n");
        mprotect(p, 8192, PROT_READ);
        printf("now readable: %d\n", *(volatile char *)expect_addr);
        if (sigsetjmp(jb, 1) == 0)
            *(volatile char *)expect_addr = 3;
        printf("recovered from the write to a present read-only page\n");
    } else if (strcmp(what, "fpe") == 0) {
        install(SIGFPE, h_longjmp, 0);
        expect_addr = (uintptr_t)probe_div_insn;
        if (sigsetjmp(jb, 1) == 0)
            printf("%llu\n", (unsigned long long)probe_div(100));
        printf("recovered with siglongjmp\n");
        install(SIGFPE, h_skip, 0);
        flags_known = 1;
        printf("skipped: 100 / 0 = %llu\n", (unsigned long long)probe_div(100));
        volatile int z = 0, n = 7;
        install(SIGFPE, h_longjmp, 0);
        flags_known = 0;
        expect_addr = 1; /* the C division's address is not known: only the code is */
        if (sigsetjmp(jb, 1) == 0)
            printf("%d\n", n / z);
        printf("recovered from a C division\n");
    } else if (strcmp(what, "ill") == 0) {
        install(SIGILL, h_skip, 0);
        expect_addr = (uintptr_t)probe_ud2_insn;
        printf("probe_ud2 returned %d\n", probe_ud2());
        printf("again: %d\n", probe_ud2());
    } else if (strcmp(what, "trap") == 0) {
        install(SIGTRAP, h_skip, 0);
        expect_addr = 0; /* SI_KERNEL: no address */
        printf("probe_int3 returned %llu\n", (unsigned long long)probe_int3());
    } else if (strcmp(what, "bus") == 0) {
        int fd = open(argc > 2 ? argv[2] : "tests/progs/data/input.txt", O_RDONLY);
        if (fd < 0) {
            perror("open");
            return 1;
        }
        char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
        printf("first byte %c\n", p[0]);
        install(SIGBUS, h_longjmp, 0);
        expect_addr = (uintptr_t)p + 4096 + 123;
        if (sigsetjmp(jb, 1) == 0)
            printf("%d\n", *(volatile char *)expect_addr);
        printf("recovered from SIGBUS\n");
    } else if (strcmp(what, "nodefer") == 0) {
        install(SIGSEGV, h_nodefer, SA_NODEFER);
        expect_addr = 0x20;
        int r = sigsetjmp(jb, 1);
        if (r == 0)
            *(volatile char *)expect_addr = 1;
        printf("back in main from depth %d\n", r);
    } else if (strcmp(what, "nested") == 0) {
        install(SIGSEGV, h_nested, 0);
        expect_addr = 0x28;
        *(volatile char *)expect_addr = 1;
    } else if (strcmp(what, "blocked") == 0) {
        install(SIGSEGV, h_longjmp, 0);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        printf("SIGSEGV blocked, faulting\n");
        fflush(stdout);
        *(volatile int *)addr40 = 1;
    } else if (strcmp(what, "ignored") == 0) {
        signal(SIGSEGV, SIG_IGN);
        printf("SIGSEGV ignored, faulting\n");
        fflush(stdout);
        *(volatile int *)addr40 = 1;
    }
    printf("done\n");
    return 0;
}
