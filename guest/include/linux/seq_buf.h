/* include/linux/seq_buf.h: formatting /proc-style text into a buffer (Linux's seq_file/seq_buf). */
#ifndef _LINUX_SEQ_BUF_H
#define _LINUX_SEQ_BUF_H

#include <linux/kernel.h>

struct seq_buf {
    char *buffer;
    size_t size, len;
};

static inline void seq_buf_init(struct seq_buf *s, char *buf, size_t size)
{
    s->buffer = buf;
    s->size = size;
    s->len = 0;
    if (size)
        buf[0] = 0;
}
__printf(2, 3) void seq_printf(struct seq_buf *s, const char *fmt, ...);
void seq_puts(struct seq_buf *s, const char *str);

/* The reports (mm/vmstat.c, fs/proc/meminfo.c): each writes its whole file into s. */
void buddyinfo_show(struct seq_buf *s);
void pagetypeinfo_show(struct seq_buf *s);
void zoneinfo_show(struct seq_buf *s);
void meminfo_show(struct seq_buf *s);
/* Emit buddyinfo, zoneinfo, pagetypeinfo and meminfo through EMU_CALL_REPORT. */
void mm_reports_emit(void);

#endif
