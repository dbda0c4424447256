/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for <linux/types.h> so the upstream hardware headers parse on their own. */
#ifndef HLRS_SHIM_TYPES_H
#define HLRS_SHIM_TYPES_H
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __le16;
typedef __u32 __le32;
typedef __u64 __le64;
#endif
