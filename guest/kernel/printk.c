/* kernel/printk.c: the kernel log.
 *
 * Linux's printk stores records in a ring buffer and consoles print them later. This kernel has
 * one console, the emulator's kernel-log channel (EMU_CON_KLOG), and writes each message to it
 * at once with one EMU_CALL_CONSOLE_WRITE, formatted into a static buffer under a lock (Linux's
 * logbuf_lock of old). Level prefixes (KERN_INFO...) are stripped. Messages carry no timestamps:
 * the emulator's tests compare kernel logs across configurations, so nothing derived from cycle
 * counts may appear in them.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/spinlock.h>
#include <asm/emu.h>

#define LOG_LINE_MAX 1024

int printk_verbose;
static char printk_buf[LOG_LINE_MAX];
static DEFINE_SPINLOCK(logbuf_lock);
static volatile int printk_busted;

void printk_bust_lock(void)
{
    printk_busted = 1;
}

static int vprintk(const char *fmt, va_list ap)
{
    unsigned long flags;
    local_irq_save(flags);
    int locked = !printk_busted;
    if (locked)
        spin_lock(&logbuf_lock);
    int n = vsnprintf(printk_buf, sizeof(printk_buf), fmt, ap);
    if (n > (int)sizeof(printk_buf) - 1)
        n = sizeof(printk_buf) - 1;
    const char *text = printk_buf;
    while (n >= 2 && text[0] == KERN_SOH[0]) {   /* level prefix */
        text += 2;
        n -= 2;
    }
    emu_console_write(EMU_CON_KLOG, text, (size_t)n);
    if (locked)
        spin_unlock(&logbuf_lock);
    local_irq_restore(flags);
    return n;
}

int printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}
