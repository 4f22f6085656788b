/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu command builders for userspace: one inline per opcode, returning a
 * struct vgpu_cmd whose unused operands and padding are zero. Shared by the
 * host-side VFIO library (tools/vfio) and the guest library (tools/lib/vgpu).
 */
#ifndef VGPU_TOOLS_CMD_BUILD_H
#define VGPU_TOOLS_CMD_BUILD_H

#include <stdbool.h>
#include <string.h>
#include <linux/types.h>
#include <linux/vgpu.h>

/**
 * vgpu_cmd_nop() - build a NOP
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_nop(void)
{
	struct vgpu_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = VGPU_OP_NOP;
	return c;
}

/**
 * vgpu_cmd_copy() - build a COPY
 * @src: source window offset, or IOVA with VGPU_CMD_SRC_SYS
 * @dst: destination window offset, or IOVA with VGPU_CMD_DST_SYS
 * @len: bytes
 * @flags: VGPU_CMD_SRC_SYS and/or VGPU_CMD_DST_SYS
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_copy(__u64 src, __u64 dst, __u64 len,
					    __u32 flags)
{
	struct vgpu_cmd c = vgpu_cmd_nop();

	c.opcode = VGPU_OP_COPY;
	c.flags = flags;
	c.u.copy.src = src;
	c.u.copy.dst = dst;
	c.u.copy.len = len;
	return c;
}

/**
 * vgpu_cmd_fill() - build a FILL
 * @dst: window offset, 4-byte aligned
 * @len: bytes, a multiple of 4
 * @value: 32-bit pattern
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_fill(__u64 dst, __u64 len, __u32 value)
{
	struct vgpu_cmd c = vgpu_cmd_nop();

	c.opcode = VGPU_OP_FILL;
	c.u.fill.dst = dst;
	c.u.fill.len = len;
	c.u.fill.value = value;
	return c;
}

/**
 * vgpu_cmd_gemm() - build a GEMM_I8: C[m][n] = A[m][k] x B[k][n]
 * @a: window offset of A (int8, row-major)
 * @b: window offset of B (int8, row-major)
 * @c: window offset of C (int32, row-major), 4-byte aligned
 * @m: rows of A and C
 * @n: columns of B and C
 * @k: columns of A, rows of B
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_gemm(__u64 a, __u64 b, __u64 c,
					    __u32 m, __u32 n, __u32 k)
{
	struct vgpu_cmd cmd = vgpu_cmd_nop();

	cmd.opcode = VGPU_OP_GEMM_I8;
	cmd.u.gemm.a = a;
	cmd.u.gemm.b = b;
	cmd.u.gemm.c = c;
	cmd.u.gemm.m = m;
	cmd.u.gemm.n = n;
	cmd.u.gemm.k = k;
	return cmd;
}

/**
 * vgpu_cmd_crc() - build a CRC32C
 * @src: window offset of the data
 * @len: bytes
 * @dst: window offset of the 32-bit result, 4-byte aligned
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_crc(__u64 src, __u64 len, __u64 dst)
{
	struct vgpu_cmd c = vgpu_cmd_nop();

	c.opcode = VGPU_OP_CRC32C;
	c.u.crc.src = src;
	c.u.crc.len = len;
	c.u.crc.dst = dst;
	return c;
}

/**
 * vgpu_cmd_fence() - build a FENCE
 * @dst: window offset of the 64-bit value, 8-byte aligned
 * @value: the fence value
 * @irq: raise the completion interrupt once it is written
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_fence(__u64 dst, __u64 value, bool irq)
{
	struct vgpu_cmd c = vgpu_cmd_nop();

	c.opcode = VGPU_OP_FENCE;
	c.flags = irq ? VGPU_CMD_IRQ : 0;
	c.u.fence.dst = dst;
	c.u.fence.value = value;
	return c;
}

/**
 * vgpu_cmd_timestamp() - build a TIMESTAMP
 * @dst: window offset of the 64-bit device clock value, 8-byte aligned
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_timestamp(__u64 dst)
{
	struct vgpu_cmd c = vgpu_cmd_nop();

	c.opcode = VGPU_OP_TIMESTAMP;
	c.u.ts.dst = dst;
	return c;
}

/**
 * vgpu_cmd_peer_copy() - build a PEER_COPY (device interface 1.2)
 * @src: window offset of the bytes to copy
 * @dst: offset in the peer's window
 * @len: bytes
 * @peer: the peer's id in the vGPU's peer group (VGPU_REG_PEER_ID there)
 *
 * Return: the command.
 */
static inline struct vgpu_cmd vgpu_cmd_peer_copy(__u64 src, __u64 dst,
						 __u64 len, __u32 peer)
{
	struct vgpu_cmd c = vgpu_cmd_nop();

	c.opcode = VGPU_OP_PEER_COPY;
	c.u.peer.src = src;
	c.u.peer.dst = dst;
	c.u.peer.len = len;
	c.u.peer.peer = peer;
	return c;
}

#endif /* VGPU_TOOLS_CMD_BUILD_H */
