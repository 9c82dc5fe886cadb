/* lib/vsprintf.c: formatted output into a buffer.
 *
 * As Linux's lib/vsprintf.c, without its %p extensions: vsnprintf() understands the flags
 * '-', '0', '+', ' ', '#', a width and a precision (numbers or '*'), the length modifiers
 * hh, h, l, ll, z, t, j, and the conversions d i u x X o c s p %. %p prints the raw address as
 * 0x followed by 16 hex digits (Linux hashes pointers; this kernel's logs need exact addresses and
 * are deterministic anyway). Like C's, vsnprintf() returns the length the whole output would have;
 * scnprintf() returns what was actually written.
 */
#include <linux/kernel.h>
#include <linux/string.h>

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

#define F_LEFT 1
#define F_ZERO 2
#define F_PLUS 4
#define F_SPACE 8
#define F_ALT 16
#define F_UPPER 32

static void put_number(struct out *o, unsigned long long v, int neg, unsigned base, int flags,
                       int width, int prec)
{
    char tmp[24];
    const char *digits = (flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    if (v == 0 && prec != 0)
        tmp[n++] = '0';
    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    char sign = neg ? '-' : (flags & F_PLUS) ? '+' : (flags & F_SPACE) ? ' ' : 0;
    const char *prefix = "";
    if ((flags & F_ALT) && base == 16)
        prefix = (flags & F_UPPER) ? "0X" : "0x";
    else if ((flags & F_ALT) && base == 8 && (n == 0 || tmp[n - 1] != '0'))
        prefix = "0";
    int plen = (int)strlen(prefix) + (sign ? 1 : 0);
    int zeros = prec > n ? prec - n : 0;
    if (prec < 0 && (flags & F_ZERO) && !(flags & F_LEFT) && width > n + plen)
        zeros = width - n - plen;
    int pad = width - n - zeros - plen;
    if (!(flags & F_LEFT))
        while (pad-- > 0)
            put(o, ' ');
    if (sign)
        put(o, sign);
    while (*prefix)
        put(o, *prefix++);
    while (zeros-- > 0)
        put(o, '0');
    while (n)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        while (pad-- > 0)
            put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        int flags = 0, width = -1, prec = -1;
        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
                width = width * 10 + (*fmt - '0');
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                for (prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
                    prec = prec * 10 + (*fmt - '0');
            }
        }
        int lng = 0;   /* 0 int, 1 long, 2 long long, -1 short, -2 char */
        for (;; fmt++) {
            if (*fmt == 'l') lng++;
            else if (*fmt == 'h') lng--;
            else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') lng = 1;
            else break;
        }
        unsigned base = 10;
        int is_signed = 0;
        switch (*fmt) {
        case 0:
            fmt--;
            continue;
        case '%':
            put(&o, '%');
            continue;
        case 'c': {
            char c = (char)va_arg(ap, int);
            int pad = width - 1;
            if (!(flags & F_LEFT))
                while (pad-- > 0) put(&o, ' ');
            put(&o, c);
            if (flags & F_LEFT)
                while (pad-- > 0) put(&o, ' ');
            continue;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = (int)strnlen(s, prec >= 0 ? (size_t)prec : (size_t)-1);
            int pad = width - n;
            if (!(flags & F_LEFT))
                while (pad-- > 0) put(&o, ' ');
            for (int i = 0; i < n; i++)
                put(&o, s[i]);
            if (flags & F_LEFT)
                while (pad-- > 0) put(&o, ' ');
            continue;
        }
        case 'p':
            put_number(&o, (unsigned long)va_arg(ap, void *), 0, 16, F_ALT | F_ZERO, 18, -1);
            continue;
        case 'd':
        case 'i':
            is_signed = 1;
            break;
        case 'u':
            break;
        case 'X':
            flags |= F_UPPER;
            /* fall through */
        case 'x':
            base = 16;
            break;
        case 'o':
            base = 8;
            break;
        default:           /* unknown conversion: print it as is */
            put(&o, '%');
            put(&o, *fmt);
            continue;
        }
        unsigned long long v;
        int neg = 0;
        if (is_signed) {
            long long s;
            if (lng >= 2) s = va_arg(ap, long long);
            else if (lng == 1) s = va_arg(ap, long);
            else if (lng == -1) s = (short)va_arg(ap, int);
            else if (lng <= -2) s = (signed char)va_arg(ap, int);
            else s = va_arg(ap, int);
            neg = s < 0;
            v = neg ? 0ull - (unsigned long long)s : (unsigned long long)s;
        } else {
            if (lng >= 2) v = va_arg(ap, unsigned long long);
            else if (lng == 1) v = va_arg(ap, unsigned long);
            else if (lng == -1) v = (unsigned short)va_arg(ap, unsigned int);
            else if (lng <= -2) v = (unsigned char)va_arg(ap, unsigned int);
            else v = va_arg(ap, unsigned int);
        }
        put_number(&o, v, neg, base, flags, width, prec);
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (!size)
        return 0;
    return n < (int)size ? n : (int)size - 1;
}
