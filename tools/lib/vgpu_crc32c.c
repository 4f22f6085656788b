// SPDX-License-Identifier: GPL-2.0-only
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78) for every userspace
 * program of the project: the tools, the guest library, the selftests, the
 * unit tests and the fuzzer (see vgpu_crc32c.h). The kernel does not use
 * it.
 *
 * A .c file rather than a static inline header, for two reasons: the
 * command executor (vgpu_cmd.c) calls vgpu_crc32c_update() as an external
 * function, so the unit tests and the fuzzer need a definition to link; and
 * the 8 KiB of tables should exist, and be computed, once per program
 * rather than once per translation unit.
 *
 * Slicing-by-8: eight bytes per step through eight tables, as the programs
 * check the CRCs of buffers of many MiB. The tables are computed from the
 * polynomial before main() runs, so no caller, thread or not, sees them
 * half made.
 */
#include <endian.h>
#include <string.h>

#include "../include/vgpu_crc32c.h"

/* crc32c_tab[j][b]: the CRC of byte b followed by j zero bytes, from 0. */
static __u32 crc32c_tab[8][256];

static void __attribute__((constructor)) crc32c_tab_init(void)
{
	unsigned int i, j;
	__u32 crc;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (j = 0; j < 8; j++)
			crc = (crc >> 1) ^ (VGPU_CRC32C_POLY & -(crc & 1));
		crc32c_tab[0][i] = crc;
	}
	for (j = 1; j < 8; j++)
		for (i = 0; i < 256; i++)
			crc32c_tab[j][i] = (crc32c_tab[j - 1][i] >> 8) ^
				crc32c_tab[0][crc32c_tab[j - 1][i] & 0xff];
}

/**
 * vgpu_crc32c_update() - continue a CRC32C over more bytes
 * @crc: the running value; start with ~0
 * @p: the bytes
 * @len: how many
 *
 * The raw update, without inversion on entry or exit, like the kernel's
 * vgpu_crc32c_update(): the CRC of a buffer is the complement of the running
 * value after its last byte.
 *
 * Return: the running value.
 */
__u32 vgpu_crc32c_update(__u32 crc, const __u8 *p, size_t len)
{
	__u64 v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, sizeof(v));
		v = le64toh(v) ^ crc;
		crc = crc32c_tab[7][v & 0xff] ^ crc32c_tab[6][(v >> 8) & 0xff] ^
		      crc32c_tab[5][(v >> 16) & 0xff] ^
		      crc32c_tab[4][(v >> 24) & 0xff] ^
		      crc32c_tab[3][(v >> 32) & 0xff] ^
		      crc32c_tab[2][(v >> 40) & 0xff] ^
		      crc32c_tab[1][(v >> 48) & 0xff] ^ crc32c_tab[0][v >> 56];
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

/**
 * vgpu_crc32c() - the CRC32C of a buffer, as the device computes it
 * @buf: the data
 * @len: bytes
 *
 * Initial value ~0, final complement: the CRC32C of "123456789" is
 * 0xe3069283.
 *
 * Return: the CRC.
 */
__u32 vgpu_crc32c(const void *buf, size_t len)
{
	return ~vgpu_crc32c_update(~0u, buf, len);
}
