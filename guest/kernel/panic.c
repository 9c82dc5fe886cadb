/* kernel/panic.c: panic().
 *
 * As Linux's kernel/panic.c: print "Kernel panic - not syncing: MESSAGE" and the end marker, then
 * hand over to the emulator (EMU_CALL_PANIC, which ends the run with status 125 and shows the
 * end of the kernel log). It never returns: if the call comes back, the CPU halts with interrupts
 * off for good. A second CPU that panics meanwhile just halts (Linux's panic_cpu). The call goes
 * through a static block of its own, so it works whatever state this CPU's per-CPU area is in.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/emu.h>
#include <asm/irqflags.h>
#include <asm/processor.h>
#include <asm/page.h>

static char panic_buf[512];
static struct emu_call panic_call;
static volatile u32 panic_cpu_taken;

void panic(const char *fmt, ...)
{
    local_irq_disable();
    u32 one = 1;
    __asm__ __volatile__("xchgl %0, %1" : "+r"(one), "+m"(panic_cpu_taken) : : "memory");
    if (one)
        for (;;)
            halt();
    printk_bust_lock();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(panic_buf, sizeof(panic_buf), fmt, ap);
    va_end(ap);
    size_t n = strlen(panic_buf);
    while (n && panic_buf[n - 1] == '\n')
        panic_buf[--n] = 0;
    pr_emerg("Kernel panic - not syncing: %s\n", panic_buf);
    pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", panic_buf);
    emu_call_block(&panic_call, EMU_CALL_PANIC, __pa(panic_buf), n, 0, 0, 0);
    for (;;)
        halt();
}
