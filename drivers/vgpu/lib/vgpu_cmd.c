// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu commands (pure logic).
 */

/**
 * DOC: work units
 *
 * After vgpu_cmd_validate() (vgpu_cmd_check.c) accepted a command,
 * vgpu_exec_step() runs one bounded work unit at a time, so that a
 * scheduler can switch vGPUs between units: 64 KiB of COPY, FILL or CRC32C,
 * or one 16 x 16 tile of GEMM over up to 256 steps of k (65536
 * multiply-accumulates). NOP, FENCE and TIMESTAMP are one unit.
 *
 * A unit either completes or leaves no trace in the command's progress: when
 * a DMA cannot reach guest memory in time (the memory accessor answers
 * -EAGAIN), the step returns VGPU_STEP_STALL and running the same step again
 * later redoes the whole unit. That is exact because a unit reads all its
 * sources before it writes, and the window ranges of a COPY never overlap.
 * Guest-memory ranges the device cannot check: a COPY between overlapping
 * guest ranges gets undefined contents there, as on any DMA engine, and
 * only in that guest's own memory.
 *
 * A PEER_COPY runs like a COPY whose destination is a peer's window: its
 * first unit asks the device for the peer's window and checks the whole
 * destination range against it, so that a copy that cannot fit writes
 * nothing; every unit then writes through the device, which looks the
 * peer up again (it may have left the group meanwhile: VGPU_ERR_PEER, with
 * the units before it written). A peer that cannot take writes now (held
 * for migration) stalls the unit, as unreachable guest memory does.
 */
#include "vgpu_cmd.h"

/**
 * vgpu_exec_start() - begin executing a validated command
 * @ex: execution state
 * @cmd: a command vgpu_cmd_validate() accepted
 */
void vgpu_exec_start(struct vgpu_exec *ex, const struct vgpu_cmd *cmd)
{
	ex->cmd = *cmd;
	ex->done = 0;
	ex->k = 0;
	ex->crc = ~0u;
}
EXPORT_SYMBOL_VGPU(vgpu_exec_start);

/*
 * A memory access that failed: -EAGAIN means the memory could not be reached
 * in time and the unit is to be run again later; anything else is a fault.
 */
static int vgpu_step_mem_error(int err)
{
	return err == -EAGAIN ? VGPU_STEP_STALL : -VGPU_ERR_DMA;
}

static int vgpu_step_copy(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
			  void *ctx, u64 *bad, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 n = vgpu_min_u64(c->u.copy.len - ex->done, VGPU_UNIT_BYTES);
	u64 src = c->u.copy.src + ex->done, dst = c->u.copy.dst + ex->done;

	int ret;

	ret = ops->read(ctx, c->flags & VGPU_CMD_SRC_SYS, src, ex->buf, n);
	if (ret) {
		*bad = src;
		return vgpu_step_mem_error(ret);
	}
	ret = ops->write(ctx, c->flags & VGPU_CMD_DST_SYS, dst, ex->buf, n);
	if (ret) {
		*bad = dst;
		return vgpu_step_mem_error(ret);
	}
	ex->done += n;
	*bytes = n;
	return ex->done == c->u.copy.len ? VGPU_STEP_DONE : VGPU_STEP_MORE;
}

/* A peer access that failed: -EAGAIN stalls the unit, others fault. */
static int vgpu_step_peer_error(int err)
{
	return err == -EAGAIN ? VGPU_STEP_STALL : -VGPU_ERR_PEER;
}

static int vgpu_step_peer(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
			  void *ctx, u64 *bad, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 n = vgpu_min_u64(c->u.peer.len - ex->done, VGPU_UNIT_BYTES);
	u64 dst = c->u.peer.dst + ex->done, size;
	int ret;

	*bad = dst;
	if (!ops->peer_window || !ops->peer_write)
		return -VGPU_ERR_PEER;
	if (!ex->done) {
		ret = ops->peer_window(ctx, c->u.peer.peer, &size);
		if (ret)
			return vgpu_step_peer_error(ret);
		if (dst > size || c->u.peer.len > size - dst)
			return -VGPU_ERR_PEER;
	}
	ops->read(ctx, false, c->u.peer.src + ex->done, ex->buf, n);
	ret = ops->peer_write(ctx, c->u.peer.peer, dst, ex->buf, n);
	if (ret)
		return vgpu_step_peer_error(ret);
	ex->done += n;
	*bytes = n;
	return ex->done == c->u.peer.len ? VGPU_STEP_DONE : VGPU_STEP_MORE;
}

static int vgpu_step_fill(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
			  void *ctx, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 n = vgpu_min_u64(c->u.fill.len - ex->done, VGPU_UNIT_BYTES);
	u64 i;

	for (i = 0; i < n; i += 4)
		memcpy(ex->buf + i, &c->u.fill.value, 4);
	ops->write(ctx, false, c->u.fill.dst + ex->done, ex->buf, n);
	ex->done += n;
	*bytes = n;
	return ex->done == c->u.fill.len ? VGPU_STEP_DONE : VGPU_STEP_MORE;
}

static int vgpu_step_crc(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
			 void *ctx, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 n = vgpu_min_u64(c->u.crc.len - ex->done, VGPU_UNIT_BYTES);
	u32 crc;

	ops->read(ctx, false, c->u.crc.src + ex->done, ex->buf, n);
	ex->crc = vgpu_crc32c_update(ex->crc, ex->buf, n);
	ex->done += n;
	*bytes = n;
	if (ex->done < c->u.crc.len)
		return VGPU_STEP_MORE;
	crc = ~ex->crc;
	ops->write(ctx, false, c->u.crc.dst, &crc, sizeof(crc));
	return VGPU_STEP_DONE;
}

static u64 vgpu_gemm_tiles(const struct vgpu_cmd *c)
{
	u64 tm = ((u64)c->u.gemm.m + VGPU_GEMM_TILE - 1) / VGPU_GEMM_TILE;
	u64 tn = ((u64)c->u.gemm.n + VGPU_GEMM_TILE - 1) / VGPU_GEMM_TILE;

	return tm * tn;
}

/*
 * One GEMM unit: tile ex->done of C, k steps [ex->k, ex->k + TILE_K).
 * Tiles are numbered row-major over ceil(m / TILE) x ceil(n / TILE).
 */
static int vgpu_step_gemm(struct vgpu_exec *ex,
			  const struct vgpu_mem_ops *ops, void *ctx,
			  u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k;
	u64 tiles_n = (n + VGPU_GEMM_TILE - 1) / VGPU_GEMM_TILE;
	u64 tiles = vgpu_gemm_tiles(c);
	u64 i0 = (ex->done / tiles_n) * VGPU_GEMM_TILE;
	u64 j0 = (ex->done % tiles_n) * VGPU_GEMM_TILE;
	u32 ti = (u32)vgpu_min_u64(VGPU_GEMM_TILE, m - i0);
	u32 tj = (u32)vgpu_min_u64(VGPU_GEMM_TILE, n - j0);
	u32 tk = (u32)vgpu_min_u64(VGPU_GEMM_TILE_K, k - ex->k);
	s8 *a = (s8 *)ex->buf;			/* ti x tk */
	s8 *b = (s8 *)ex->buf + VGPU_GEMM_TILE * VGPU_GEMM_TILE_K; /* tk x tj */
	u32 i, j, kk;

	if (!ex->k)
		memset(ex->acc, 0, sizeof(ex->acc));
	for (i = 0; i < ti; i++)
		ops->read(ctx, false, c->u.gemm.a + (i0 + i) * k + ex->k,
			  a + i * tk, tk);
	for (kk = 0; kk < tk; kk++)
		ops->read(ctx, false, c->u.gemm.b + (ex->k + kk) * n + j0,
			  b + kk * tj, tj);
	for (i = 0; i < ti; i++)
		for (kk = 0; kk < tk; kk++) {
			s32 av = a[i * tk + kk];

			for (j = 0; j < tj; j++)
				ex->acc[i][j] += (u32)(av * b[kk * tj + j]);
		}
	ex->k += tk;
	*bytes = (u64)ti * tk + (u64)tk * tj;
	if (ex->k < k)
		return VGPU_STEP_MORE;
	for (i = 0; i < ti; i++)
		ops->write(ctx, false, c->u.gemm.c + ((i0 + i) * n + j0) * 4,
			   ex->acc[i], tj * 4);
	*bytes += (u64)ti * tj * 4;
	ex->k = 0;
	ex->done++;
	return ex->done == tiles ? VGPU_STEP_DONE : VGPU_STEP_MORE;
}

/**
 * vgpu_exec_progress_valid() - whether a command's progress is one the
 * executor can be in between two work units
 * @cmd: a command vgpu_cmd_validate() accepted
 * @done: &vgpu_exec.done
 * @k: &vgpu_exec.k
 *
 * A command restored from a saved state continues from there, so its
 * progress must be one vgpu_exec_step() could have left: short of complete,
 * on a work unit boundary.
 *
 * Return: true if it is.
 */
bool vgpu_exec_progress_valid(const struct vgpu_cmd *cmd, u64 done, u32 k)
{
	u64 len;

	switch (cmd->opcode) {
	case VGPU_OP_COPY:
	case VGPU_OP_FILL:
	case VGPU_OP_CRC32C:
	case VGPU_OP_PEER_COPY:
		len = cmd->opcode == VGPU_OP_COPY ? cmd->u.copy.len :
		      cmd->opcode == VGPU_OP_FILL ? cmd->u.fill.len :
		      cmd->opcode == VGPU_OP_CRC32C ? cmd->u.crc.len :
		      cmd->u.peer.len;
		return !k && done < len && !(done % VGPU_UNIT_BYTES);
	case VGPU_OP_GEMM_I8:
		return done < vgpu_gemm_tiles(cmd) && k < cmd->u.gemm.k &&
		       !(k % VGPU_GEMM_TILE_K);
	}
	return !done && !k;
}
EXPORT_SYMBOL_VGPU(vgpu_exec_progress_valid);

/**
 * vgpu_exec_step() - run one work unit of the current command
 * @ex: state set up by vgpu_exec_start()
 * @ops: memory accessors
 * @ctx: passed to @ops
 * @bad_addr: set to the faulting address on VGPU_ERR_DMA and VGPU_ERR_PEER
 *	      (the peer-window address of the failing unit), and to the
 *	      address that could not be reached on VGPU_STEP_STALL
 * @bytes: set to the bytes this unit moved (for accounting)
 *
 * Return: VGPU_STEP_DONE, VGPU_STEP_MORE, VGPU_STEP_STALL (nothing done, run
 * the step again later), or a negative VGPU_ERR_* code.
 */
int vgpu_exec_step(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
		   void *ctx, u64 *bad_addr, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 v;

	*bytes = 0;
	switch (c->opcode) {
	case VGPU_OP_NOP:
		return VGPU_STEP_DONE;
	case VGPU_OP_COPY:
		return vgpu_step_copy(ex, ops, ctx, bad_addr, bytes);
	case VGPU_OP_FILL:
		return vgpu_step_fill(ex, ops, ctx, bytes);
	case VGPU_OP_GEMM_I8:
		return vgpu_step_gemm(ex, ops, ctx, bytes);
	case VGPU_OP_CRC32C:
		return vgpu_step_crc(ex, ops, ctx, bytes);
	case VGPU_OP_FENCE:
		v = c->u.fence.value;
		ops->write(ctx, false, c->u.fence.dst, &v, sizeof(v));
		return VGPU_STEP_DONE;
	case VGPU_OP_TIMESTAMP:
		v = ops->now_ns(ctx);
		ops->write(ctx, false, c->u.ts.dst, &v, sizeof(v));
		return VGPU_STEP_DONE;
	case VGPU_OP_PEER_COPY:
		return vgpu_step_peer(ex, ops, ctx, bad_addr, bytes);
	}
	return -VGPU_ERR_OPCODE;
}
EXPORT_SYMBOL_VGPU(vgpu_exec_step);
