/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu command validator (vgpu_cmd_check.c) and executor (vgpu_cmd.c), pure
 * logic. The module runs them in engine threads, the guest driver validates
 * jobs with the first, and the unit tests and the fuzzer run both in
 * userspace.
 */
#ifndef VGPU_CMD_H
#define VGPU_CMD_H

#include "vgpu_pure.h"
#ifdef __KERNEL__
#include <uapi/linux/vgpu.h>
#else
#include <linux/vgpu.h>
#endif

/* Bytes one work unit of COPY, FILL or CRC32C moves. */
#define VGPU_UNIT_BYTES		65536u
/* GEMM work unit: a TILE x TILE block of C over up to TILE_K steps of k. */
#define VGPU_GEMM_TILE		16u
#define VGPU_GEMM_TILE_K	256u

/**
 * struct vgpu_mem_ops - how the executor reaches memory
 * @read: copy @len bytes at @addr into @buf; @sys selects a DMA address
 *	  over a window offset. Return: 0, -EFAULT, or -EAGAIN if the memory
 *	  could not be reached in time (the unit is retried later).
 * @write: copy @len bytes from @buf to @addr, likewise.
 * @now_ns: the device clock
 * @peer_window: set *@size to the window size of the vGPU's peer @peer.
 *		 Return: 0, -ENXIO if there is no such peer, or -EAGAIN if
 *		 the peer cannot take writes now (try again later). NULL for
 *		 a device without peer groups: every PEER_COPY faults.
 * @peer_write: copy @len bytes from @buf to @addr in peer @peer's window;
 *		the callee checks the peer and the range again. Return: 0,
 *		-ENXIO (no such peer, or the range leaves its window) or
 *		-EAGAIN as for @peer_window.
 *
 * The executor only calls these with ranges it has validated: window ranges
 * lie inside the window. DMA ranges are checked by the callee.
 */
struct vgpu_mem_ops {
	int (*read)(void *ctx, bool sys, u64 addr, void *buf, size_t len);
	int (*write)(void *ctx, bool sys, u64 addr, const void *buf,
		     size_t len);
	u64 (*now_ns)(void *ctx);
	int (*peer_window)(void *ctx, u32 peer, u64 *size);
	int (*peer_write)(void *ctx, u32 peer, u64 addr, const void *buf,
			  size_t len);
};

/**
 * struct vgpu_exec - a command in progress
 * @cmd: the command, copied from the ring and validated
 * @done: progress: bytes done, or for GEMM the tile index
 * @k: GEMM: k steps accumulated into @acc for the current tile
 * @crc: CRC32C running value
 * @acc: GEMM accumulators of the current tile (int32 wrapping modulo 2^32)
 * @buf: bounce buffer for one work unit
 */
struct vgpu_exec {
	struct vgpu_cmd cmd;
	u64 done;
	u32 k;
	u32 crc;
	u32 acc[VGPU_GEMM_TILE][VGPU_GEMM_TILE];
	u8 buf[VGPU_UNIT_BYTES];
};

/* vgpu_exec_step() results besides a negative VGPU_ERR_* code. */
#define VGPU_STEP_DONE	0	/* the command is complete */
#define VGPU_STEP_MORE	1	/* more work units remain */
#define VGPU_STEP_STALL	2	/* memory not reachable now: nothing done */

/**
 * struct vgpu_range - a window range a command touches
 * @addr: window offset of the first byte
 * @len: bytes
 */
struct vgpu_range {
	u64 addr;
	u64 len;
};

/* The most window ranges one command touches (GEMM: A, B and C). */
#define VGPU_CMD_MAX_RANGES	3

int vgpu_cmd_validate(const struct vgpu_cmd *cmd, u64 window, u64 *bad_addr);
unsigned int vgpu_cmd_ranges(const struct vgpu_cmd *cmd,
			     struct vgpu_range r[VGPU_CMD_MAX_RANGES]);
void vgpu_exec_start(struct vgpu_exec *ex, const struct vgpu_cmd *cmd);
int vgpu_exec_step(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
		   void *ctx, u64 *bad_addr, u64 *bytes);
bool vgpu_exec_progress_valid(const struct vgpu_cmd *cmd, u64 done, u32 k);

#ifdef __KERNEL__
#include <linux/crc32.h>

/* The kernel's CRC32C (lib/crc32.c): a raw update, no inversions. */
static inline u32 vgpu_crc32c_update(u32 crc, const u8 *p, size_t len)
{
	return __crc32c_le(crc, p, len);
}
#else
/* Userspace builds link the tools' one (tools/include/vgpu_crc32c.h). */
u32 vgpu_crc32c_update(u32 crc, const u8 *p, size_t len);
#endif
u32 vgpu_caps(void);

#endif /* VGPU_CMD_H */
