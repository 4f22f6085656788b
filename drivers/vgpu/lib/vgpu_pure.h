/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu: the few definitions that let pure-logic files build both inside the
 * kernel module and in userspace unit tests and fuzzers.
 *
 * Files that include only this header (and each other) must not call any
 * kernel API: they take their memory from the caller and report errors as
 * negative errno values.
 */
#ifndef VGPU_PURE_H
#define VGPU_PURE_H

#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>

/*
 * The pure files are built once, into vgpu_lib.ko, which exports what they
 * define to vgpu.ko, vgpu_guest.ko and the KUnit suites (namespace VGPU).
 */
#define EXPORT_SYMBOL_VGPU(sym)	EXPORT_SYMBOL_NS_GPL(sym, VGPU)
#else
#define EXPORT_SYMBOL_VGPU(sym)	extern int vgpu_no_export_##sym
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <linux/types.h>
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s32 s32;
typedef __s64 s64;
#endif

/* Bytes in a mebibyte; profile and device sizes are whole MiB multiples. */
#define VGPU_SZ_1M	0x100000ULL

/**
 * vgpu_is_pow2() - whether @v is a non-zero power of two
 * @v: value to test
 *
 * Return: true if exactly one bit of @v is set.
 */
static inline bool vgpu_is_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

/**
 * vgpu_min_u64() - the smaller of two u64 values
 * @a: one value
 * @b: the other
 *
 * Return: @a if it is not larger than @b, else @b.
 */
static inline u64 vgpu_min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

#endif /* VGPU_PURE_H */
