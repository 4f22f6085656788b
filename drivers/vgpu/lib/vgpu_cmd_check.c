// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu command validation (pure logic), shared by the device model in
 * vgpu.ko, the guest driver vgpu_guest.ko, the unit tests and the fuzzer.
 */

/**
 * DOC: command validation
 *
 * vgpu_cmd_validate() checks a command before any memory is touched: opcode,
 * flags, alignment, sizes, and every window range against the window with
 * overflow-safe arithmetic (start <= window && len <= window - start). DMA
 * ranges are only checked for wrap-around here; whether the guest really
 * mapped them is known when they are accessed, and a failed access stops the
 * command with VGPU_ERR_DMA.
 *
 * A PEER_COPY's destination lies in another vGPU's window, which only the
 * device knows: here its peer id is checked against VGPU_MAX_PEERS, and the
 * executor asks the device for the peer's window when the copy starts
 * (VGPU_ERR_PEER if there is no such peer or the range leaves its window).
 *
 * vgpu_cmd_ranges() lists the ranges of this vGPU's window a valid command
 * touches, so that a driver can check them against the buffers its caller
 * owns; a PEER_COPY's destination is the peer's, and not among them.
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
	case VGPU_OP_PEER_COPY:
		if (!c->u.peer.len || c->u.peer.pad)
			return VGPU_ERR_SIZE;
		err = vgpu_check_range(false, c->u.peer.src, c->u.peer.len,
				       window, bad_addr);
		if (!err && vgpu_wraps(c->u.peer.dst, c->u.peer.len)) {
			*bad_addr = c->u.peer.dst;
			err = VGPU_ERR_RANGE;
		}
		if (!err && c->u.peer.peer >= VGPU_MAX_PEERS) {
			*bad_addr = c->u.peer.dst;
			err = VGPU_ERR_PEER;
		}
		return err;
	}
	return VGPU_ERR_OPCODE;
}
EXPORT_SYMBOL_VGPU(vgpu_cmd_validate);

/**
 * vgpu_caps() - the VGPU_REG_CAPS value
 *
 * Return: bit N set for every opcode N the executor implements.
 */
u32 vgpu_caps(void)
{
	return (1u << VGPU_OP_COUNT) - 1;
}
EXPORT_SYMBOL_VGPU(vgpu_caps);

/**
 * vgpu_cmd_ranges() - the window ranges a command reads or writes
 * @cmd: a command vgpu_cmd_validate() accepted
 * @r: filled with up to VGPU_CMD_MAX_RANGES ranges
 *
 * DMA operands (SRC_SYS, DST_SYS) are not window ranges and are left out,
 * nor is a PEER_COPY's destination (the peer's window).
 *
 * Return: the number of ranges stored in @r.
 */
unsigned int vgpu_cmd_ranges(const struct vgpu_cmd *cmd,
			     struct vgpu_range r[VGPU_CMD_MAX_RANGES])
{
	const struct vgpu_cmd *c = cmd;
	unsigned int n = 0;

	switch (c->opcode) {
	case VGPU_OP_COPY:
		if (!(c->flags & VGPU_CMD_SRC_SYS))
			r[n++] = (struct vgpu_range){ c->u.copy.src,
						      c->u.copy.len };
		if (!(c->flags & VGPU_CMD_DST_SYS))
			r[n++] = (struct vgpu_range){ c->u.copy.dst,
						      c->u.copy.len };
		break;
	case VGPU_OP_FILL:
		r[n++] = (struct vgpu_range){ c->u.fill.dst, c->u.fill.len };
		break;
	case VGPU_OP_GEMM_I8:
		r[n++] = (struct vgpu_range){ c->u.gemm.a,
					      (u64)c->u.gemm.m * c->u.gemm.k };
		r[n++] = (struct vgpu_range){ c->u.gemm.b,
					      (u64)c->u.gemm.k * c->u.gemm.n };
		r[n++] = (struct vgpu_range){ c->u.gemm.c,
					      (u64)c->u.gemm.m * c->u.gemm.n * 4 };
		break;
	case VGPU_OP_CRC32C:
		r[n++] = (struct vgpu_range){ c->u.crc.src, c->u.crc.len };
		r[n++] = (struct vgpu_range){ c->u.crc.dst, 4 };
		break;
	case VGPU_OP_FENCE:
		r[n++] = (struct vgpu_range){ c->u.fence.dst, 8 };
		break;
	case VGPU_OP_TIMESTAMP:
		r[n++] = (struct vgpu_range){ c->u.ts.dst, 8 };
		break;
	case VGPU_OP_PEER_COPY:
		r[n++] = (struct vgpu_range){ c->u.peer.src, c->u.peer.len };
		break;
	}
	return n;
}
EXPORT_SYMBOL_VGPU(vgpu_cmd_ranges);
