// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu commands (pure logic).
 *
 * DOC: command validation and work units
 *
 * vgpu_cmd_validate() checks a command before any memory is touched: opcode,
 * flags, alignment, sizes, and every window range against the window with
 * overflow-safe arithmetic (start <= window && len <= window - start). DMA
 * ranges are only checked for wrap-around here; whether the guest really
 * mapped them is known when they are accessed, and a failed access stops the
 * command with VGPU_ERR_DMA.
 *
 * vgpu_exec_step() then runs one bounded work unit at a time, so that a
 * scheduler can switch vGPUs between units: 64 KiB of COPY, FILL or CRC32C,
 * or one 16 x 16 tile of GEMM over up to 256 steps of k (65536
 * multiply-accumulates). NOP, FENCE and TIMESTAMP are one unit.
 */
#include "vgpu_cmd.h"

/* Whether [addr, addr + len) lies in a window of @window bytes. */
static bool vgpu_in_window(u64 addr, u64 len, u64 window)
{
	return addr <= window && len <= window - addr;
}

/* Whether [addr, addr + len) wraps around the 64-bit address space. */
static bool vgpu_wraps(u64 addr, u64 len)
{
	return len && addr + len - 1 < addr;
}

static int vgpu_check_range(bool sys, u64 addr, u64 len, u64 window,
			    u64 *bad)
{
	if (sys ? vgpu_wraps(addr, len) : !vgpu_in_window(addr, len, window)) {
		*bad = addr;
		return VGPU_ERR_RANGE;
	}
	return VGPU_ERR_NONE;
}

static int vgpu_check_align(u64 addr, u64 align, u64 *bad)
{
	if (addr & (align - 1)) {
		*bad = addr;
		return VGPU_ERR_ALIGN;
	}
	return VGPU_ERR_NONE;
}

static const u32 vgpu_allowed_flags[VGPU_OP_COUNT] = {
	[VGPU_OP_COPY] = VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS,
	[VGPU_OP_FENCE] = VGPU_CMD_IRQ,
};

static int vgpu_validate_gemm(const struct vgpu_cmd *c, u64 window, u64 *bad)
{
	u64 m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k;
	int err;

	if (!m || !n || !k || c->u.gemm.pad)
		return VGPU_ERR_SIZE;
	/* m, n, k < 2^32, so each product fits 64 bits; x4 too. */
	err = vgpu_check_range(false, c->u.gemm.a, m * k, window, bad);
	if (!err)
		err = vgpu_check_range(false, c->u.gemm.b, k * n, window, bad);
	if (!err)
		err = vgpu_check_align(c->u.gemm.c, 4, bad);
	if (err)
		return err;
	/* m * n fits 64 bits; m * n * 4 may not, unless it fits the window. */
	if (m * n > window / 4) {
		*bad = c->u.gemm.c;
		return VGPU_ERR_RANGE;
	}
	return vgpu_check_range(false, c->u.gemm.c, m * n * 4, window, bad);
}

static bool vgpu_overlap(u64 a, u64 b, u64 len)
{
	return a < b + len && b < a + len;
}

/**
 * vgpu_cmd_validate() - check a command against a window
 * @cmd: the command as read from the ring
 * @window: the window size in bytes
 * @bad_addr: set to the offending address for RANGE and ALIGN errors
 *
 * Return: VGPU_ERR_NONE or the enum vgpu_error describing the fault.
 */
int vgpu_cmd_validate(const struct vgpu_cmd *cmd, u64 window, u64 *bad_addr)
{
	const struct vgpu_cmd *c = cmd;
	bool ss, ds;
	int err;

	*bad_addr = 0;
	if (c->opcode >= VGPU_OP_COUNT)
		return VGPU_ERR_OPCODE;
	if (c->flags & ~vgpu_allowed_flags[c->opcode])
		return VGPU_ERR_FLAGS;
	ss = c->flags & VGPU_CMD_SRC_SYS;
	ds = c->flags & VGPU_CMD_DST_SYS;

	switch (c->opcode) {
	case VGPU_OP_NOP:
		return VGPU_ERR_NONE;
	case VGPU_OP_COPY:
		if (!c->u.copy.len)
			return VGPU_ERR_SIZE;
		err = vgpu_check_range(ss, c->u.copy.src, c->u.copy.len,
				       window, bad_addr);
		if (!err)
			err = vgpu_check_range(ds, c->u.copy.dst,
					       c->u.copy.len, window,
					       bad_addr);
		if (!err && !ss && !ds &&
		    vgpu_overlap(c->u.copy.src, c->u.copy.dst, c->u.copy.len))
			err = VGPU_ERR_OVERLAP;
		return err;
	case VGPU_OP_FILL:
		if (!c->u.fill.len || c->u.fill.pad)
			return VGPU_ERR_SIZE;
		err = vgpu_check_align(c->u.fill.dst, 4, bad_addr);
		if (!err && (c->u.fill.len & 3))
			err = VGPU_ERR_ALIGN;
		if (!err)
			err = vgpu_check_range(false, c->u.fill.dst,
					       c->u.fill.len, window,
					       bad_addr);
		return err;
	case VGPU_OP_GEMM_I8:
		return vgpu_validate_gemm(c, window, bad_addr);
	case VGPU_OP_CRC32C:
		if (!c->u.crc.len)
			return VGPU_ERR_SIZE;
		err = vgpu_check_range(false, c->u.crc.src, c->u.crc.len,
				       window, bad_addr);
		if (!err)
			err = vgpu_check_align(c->u.crc.dst, 4, bad_addr);
		if (!err)
			err = vgpu_check_range(false, c->u.crc.dst, 4, window,
					       bad_addr);
		return err;
	case VGPU_OP_FENCE:
		err = vgpu_check_align(c->u.fence.dst, 8, bad_addr);
		if (!err)
			err = vgpu_check_range(false, c->u.fence.dst, 8,
					       window, bad_addr);
		return err;
	case VGPU_OP_TIMESTAMP:
		err = vgpu_check_align(c->u.ts.dst, 8, bad_addr);
		if (!err)
			err = vgpu_check_range(false, c->u.ts.dst, 8, window,
					       bad_addr);
		return err;
	}
	return VGPU_ERR_OPCODE;
}

/**
 * vgpu_caps() - the VGPU_REG_CAPS value
 *
 * Return: bit N set for every opcode N the executor implements.
 */
u32 vgpu_caps(void)
{
	return (1u << VGPU_OP_COUNT) - 1;
}

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

static u64 vgpu_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

static int vgpu_step_copy(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
			  void *ctx, u64 *bad, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 n = vgpu_min(c->u.copy.len - ex->done, VGPU_UNIT_BYTES);
	u64 src = c->u.copy.src + ex->done, dst = c->u.copy.dst + ex->done;

	if (ops->read(ctx, c->flags & VGPU_CMD_SRC_SYS, src, ex->buf, n)) {
		*bad = src;
		return -VGPU_ERR_DMA;
	}
	if (ops->write(ctx, c->flags & VGPU_CMD_DST_SYS, dst, ex->buf, n)) {
		*bad = dst;
		return -VGPU_ERR_DMA;
	}
	ex->done += n;
	*bytes = n;
	return ex->done == c->u.copy.len ? VGPU_STEP_DONE : VGPU_STEP_MORE;
}

static int vgpu_step_fill(struct vgpu_exec *ex, const struct vgpu_mem_ops *ops,
			  void *ctx, u64 *bytes)
{
	const struct vgpu_cmd *c = &ex->cmd;
	u64 n = vgpu_min(c->u.fill.len - ex->done, VGPU_UNIT_BYTES);
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
	u64 n = vgpu_min(c->u.crc.len - ex->done, VGPU_UNIT_BYTES);
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
	u64 tiles = ((m + VGPU_GEMM_TILE - 1) / VGPU_GEMM_TILE) * tiles_n;
	u64 i0 = (ex->done / tiles_n) * VGPU_GEMM_TILE;
	u64 j0 = (ex->done % tiles_n) * VGPU_GEMM_TILE;
	u32 ti = (u32)vgpu_min(VGPU_GEMM_TILE, m - i0);
	u32 tj = (u32)vgpu_min(VGPU_GEMM_TILE, n - j0);
	u32 tk = (u32)vgpu_min(VGPU_GEMM_TILE_K, k - ex->k);
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
 * vgpu_exec_step() - run one work unit of the current command
 * @ex: state set up by vgpu_exec_start()
 * @ops: memory accessors
 * @ctx: passed to @ops
 * @bad_addr: set to the faulting address on VGPU_ERR_DMA
 * @bytes: set to the bytes this unit moved (for accounting)
 *
 * Return: VGPU_STEP_DONE, VGPU_STEP_MORE, or a negative VGPU_ERR_* code.
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
	}
	return -VGPU_ERR_OPCODE;
}
