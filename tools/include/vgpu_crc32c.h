/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CRC32C (Castagnoli) for userspace: the one implementation every program
 * under tools/ and selftests/ uses, from tools/lib/vgpu_crc32c.c. Link that
 * file (it is in libvgpu.a too) into the program.
 *
 * It is also the userspace vgpu_crc32c_update() that the command executor
 * (vgpu_cmd.c) calls when the unit tests and the fuzzer build it outside the
 * kernel; the prototype matches the one in vgpu_cmd.h.
 */
#ifndef VGPU_TOOLS_CRC32C_H
#define VGPU_TOOLS_CRC32C_H

#include <stddef.h>
#include <linux/types.h>

/* The Castagnoli polynomial, bit-reflected. */
#define VGPU_CRC32C_POLY	0x82f63b78u

__u32 vgpu_crc32c_update(__u32 crc, const __u8 *p, size_t len);
__u32 vgpu_crc32c(const void *buf, size_t len);

#endif /* VGPU_TOOLS_CRC32C_H */
