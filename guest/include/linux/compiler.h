/* include/linux/compiler.h: compiler attributes and memory-ordering helpers.
 *
 * As Linux's linux/compiler.h and compiler_attributes.h: barrier(), likely()/unlikely(),
 * READ_ONCE()/WRITE_ONCE() (volatile accesses the compiler may not tear, merge or move), and the
 * attribute shorthands (__aligned, __section, __noreturn...). Usable from C only.
 */
#ifndef _LINUX_COMPILER_H
#define _LINUX_COMPILER_H

#define barrier() __asm__ __volatile__("" ::: "memory")
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define __aligned(x) __attribute__((aligned(x)))
#define __packed __attribute__((packed))
#define __section(s) __attribute__((section(s)))
#define __used __attribute__((used))
#define __unused __attribute__((unused))
#define __noreturn __attribute__((noreturn))
#define __noinline __attribute__((noinline))
#define __always_inline inline __attribute__((always_inline))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __cacheline_aligned __aligned(64)

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
