/* lib/string.c: memory and string functions.
 *
 * As Linux's lib/string.c and arch/x86/lib/memcpy_64.S / memset_64.S: the compiler may emit calls
 * to memcpy, memset, memmove and memcmp even in a freestanding kernel (structure copies), so they
 * must exist. memcpy and memset use `rep movsb` / `rep stosb` (written in assembly so that gcc
 * cannot turn a byte loop back into a call to itself).
 */
#include <linux/string.h>

void *memset(void *s, int c, size_t n)
{
    void *d = s;
    __asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ __volatile__("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((const char *)dst <= (const char *)src || (const char *)dst >= (const char *)src + n)
        return memcpy(dst, src, n);
    /* Overlapping, destination above: copy backwards with the direction flag set. */
    char *d = (char *)dst + n - 1;
    const char *s = (const char *)src + n - 1;
    __asm__ __volatile__("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

/* Copy a NUL-terminated string into dst of `size` bytes, always terminating it; returns the
 * length copied (Linux returns -E2BIG on truncation; here the truncated length). */
size_t strscpy(char *dst, const char *src, size_t size)
{
    size_t n = 0;
    if (!size)
        return 0;
    while (n + 1 < size && src[n]) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = 0;
    return n;
}
