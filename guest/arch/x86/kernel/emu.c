/* arch/x86/kernel/emu.c: calls into the emulator (guest/abi.h section 4).
 *
 * The emulator's simulation-control "calls" play the part a hypervisor's hypercalls play for a
 * paravirtualised Linux (arch/x86/kernel/kvm.c): the guest fills a struct emu_call in memory and
 * writes its physical address to two I/O ports, high half first; the second OUT performs the call
 * synchronously. Each CPU has its own call block in its per-CPU area (struct pcpu.call), and a
 * call runs with interrupts disabled, so an interrupt handler's printk cannot overwrite a block
 * that is being filled. Addresses passed to the emulator are physical: __pa() of a kernel-image
 * or direct-map address.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/emu.h>
#include <asm/io.h>
#include <asm/page.h>
#include <asm/percpu.h>
#include <asm/irqflags.h>
#include <asm/processor.h>

int emu_call_block(struct emu_call *c, u32 op, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
    c->op = op;
    c->ret = 0;
    c->a[0] = a0;
    c->a[1] = a1;
    c->a[2] = a2;
    c->a[3] = a3;
    c->a[4] = a4;
    c->a[5] = 0;
    u64 pa = __pa(c);
    barrier();
    if (pa >> 32)
        outl((u32)(pa >> 32), EMU_PORT_CALL_HI);
    outl((u32)pa, EMU_PORT_CALL);
    barrier();
    return READ_ONCE(c->ret);
}

int emu_call(u32 op, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
    (void)a5;
    unsigned long flags;
    local_irq_save(flags);
    int ret = emu_call_block(&this_cpu()->call, op, a0, a1, a2, a3, a4);
    local_irq_restore(flags);
    return ret;
}

void emu_console_write(unsigned int channel, const char *buf, size_t len)
{
    if (len)
        emu_call(EMU_CALL_CONSOLE_WRITE, channel, __pa(buf), len, 0, 0, 0);
}

int emu_report(const char *name, const char *text, size_t len)
{
    return emu_call(EMU_CALL_REPORT, __pa(name), strlen(name), __pa(text), len, 0, 0);
}

void emu_test_result(const char *name, int result, const char *msg)
{
    size_t mlen = msg ? strlen(msg) : 0;
    emu_call(EMU_CALL_TEST_RESULT, __pa(name), strlen(name), (u64)result, mlen ? __pa(msg) : 0, mlen, 0);
}

void emu_exit(int code)
{
    local_irq_disable();
    emu_call(EMU_CALL_EXIT, (u64)(code & 0xff), 0, 0, 0, 0, 0);
    for (;;)
        halt();
}
