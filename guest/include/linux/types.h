/* include/linux/types.h: the kernel's basic types.
 *
 * As Linux's linux/types.h: the fixed-width u8..u64 / s8..s64, bool, size_t, phys_addr_t. The
 * guest is freestanding: stdint.h, stddef.h and stdbool.h come from the compiler (-isystem), never
 * from a C library.
 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;
typedef long ssize_t;

#endif
