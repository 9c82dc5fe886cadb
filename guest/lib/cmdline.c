/* lib/cmdline.c: reading the kernel command line (boot_command_line, copied from the boot
 * information at boot). Linux parses early parameters with parse_early_param() and __setup()
 * tables; this kernel has a handful of parameters, each read where it is used with cmdline_get(). */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/setup.h>

const char *cmdline_get(const char *name, char *val, size_t size)
{
    size_t n = strlen(name);
    for (const char *s = boot_command_line; *s;) {
        while (*s == ' ')
            s++;
        if (!strncmp(s, name, n) && s[n] == '=') {
            size_t i = 0;
            for (s += n + 1; *s && *s != ' ' && i + 1 < size; s++)
                val[i++] = *s;
            val[i] = 0;
            return val;
        }
        while (*s && *s != ' ')
            s++;
    }
    return NULL;
}
