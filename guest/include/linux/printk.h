/* include/linux/printk.h: the kernel log.
 *
 * As Linux's linux/printk.h: printk() with KERN_* level prefixes (KERN_SOH then a digit, stripped
 * before output), the pr_*() shorthands, and pr_fmt() which a file may define before its includes
 * to prefix its messages ("smpboot: "). Output goes to the emulator's kernel-log channel
 * (kernel/printk.c).
 */
#ifndef _LINUX_PRINTK_H
#define _LINUX_PRINTK_H

#include <linux/compiler.h>

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

__printf(1, 2) int printk(const char *fmt, ...);

#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)
/* Debug messages are printed only when the emulator runs with -v (EMU_BOOT_VERBOSE). */
extern int printk_verbose;
#define pr_debug(fmt, ...) do { if (printk_verbose) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__); } while (0)

/* Called by panic(): later messages bypass the log lock (a CPU that died holding it). */
void printk_bust_lock(void);

#endif
