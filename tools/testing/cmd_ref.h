/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reference validator for vgpu commands, shared by the unit tests
 * (tools/testing/unit/cmd_test.c) and the fuzz target
 * (tools/testing/fuzz/cmd_fuzz.c).
 *
 * An independent statement of the rules of vgpu_cmd_validate() in 128-bit
 * arithmetic: cmd_ref_validate() lists every reason a command is bad, with
 * the addresses a RANGE or ALIGN error may name, and cmd_ref_check() says
 * whether a verdict of the validator is one of the correct ones. Include it
 * from exactly one .c file of each program.
 *
 * The CRC32C results of the executor are checked against the tools' CRC32C
 * (tools/lib/vgpu_crc32c.c, linked into both programs), the same one that
 * serves as the executor's vgpu_crc32c_update() outside the kernel; the unit
 * tests check it against known vectors (unit/crc32c_test.c).
 */
#ifndef _TOOLS_TESTING_CMD_REF_H
#define _TOOLS_TESTING_CMD_REF_H

#include "vgpu_cmd.h"
#include "../include/vgpu_crc32c.h"

/**
 * struct cmd_ref_verdict - every reason a command is bad
 * @errs: 1 << enum vgpu_error for every reason
 * @range: addresses a RANGE error may name
 * @align: addresses an ALIGN error may name
 * @nrange: entries in @range
 * @nalign: entries in @align
 * @len_align: a misaligned length: an ALIGN error may name any address
 * @peer: a PEER error is among the reasons (it names the destination)
 *
 * The validator may report any one of the reasons; it must accept exactly
 * the commands with none. An opcode or flags error is reported before
 * operands, so it is the only reason when it applies.
 */
struct cmd_ref_verdict {
	u32 errs;
	u64 range[4], align[4];
	unsigned int nrange, nalign;
	unsigned int len_align;
	bool peer;
};

/**
 * cmd_ref_overlaps() - whether two byte ranges share a byte
 * @a: start of the first range
 * @alen: length of the first range
 * @b: start of the second range
 * @blen: length of the second range
 *
 * The ends are computed in 128 bits, so a range may run up to 2^64.
 *
 * Return: true if [@a, @a + @alen) and [@b, @b + @blen) share a byte.
 */
static inline bool cmd_ref_overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < (__uint128_t)b + blen &&
	       b < (__uint128_t)a + alen;
}

/* Record a RANGE reason if [addr, addr + len) is outside its space. */
static inline void cmd_ref_range(struct cmd_ref_verdict *v, bool sys,
				 u64 addr, __uint128_t len, u64 window)
{
	__uint128_t end = (__uint128_t)addr + len;

	if (sys ? end > ((__uint128_t)1 << 64) : end > window) {
		v->errs |= 1u << VGPU_ERR_RANGE;
		v->range[v->nrange++] = addr;
	}
}

/* Record an ALIGN reason if @addr is not a multiple of @align. */
static inline void cmd_ref_align(struct cmd_ref_verdict *v, u64 addr,
				 u64 align)
{
	if (addr % align) {
		v->errs |= 1u << VGPU_ERR_ALIGN;
		v->align[v->nalign++] = addr;
	}
}

/**
 * cmd_ref_validate() - list every reason a command is bad
 * @c: the command
 * @w: size of the window in bytes
 * @v: filled in with the reasons; @v->errs is 0 for a valid command
 */
static inline void cmd_ref_validate(const struct vgpu_cmd *c, u64 w,
				    struct cmd_ref_verdict *v)
{
	static const u32 allowed[VGPU_OP_COUNT] = {
		[VGPU_OP_COPY] = VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS,
		[VGPU_OP_FENCE] = VGPU_CMD_IRQ,
	};
	bool ss = c->flags & VGPU_CMD_SRC_SYS, ds = c->flags & VGPU_CMD_DST_SYS;
	__uint128_t m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k;

	memset(v, 0, sizeof(*v));
	if (c->opcode >= VGPU_OP_COUNT) {
		v->errs = 1u << VGPU_ERR_OPCODE;
		return;
	}
	if (c->flags & ~allowed[c->opcode]) {
		v->errs = 1u << VGPU_ERR_FLAGS;
		return;
	}
	switch (c->opcode) {
	case VGPU_OP_COPY:
		if (!c->u.copy.len)
			v->errs |= 1u << VGPU_ERR_SIZE;
		cmd_ref_range(v, ss, c->u.copy.src, c->u.copy.len, w);
		cmd_ref_range(v, ds, c->u.copy.dst, c->u.copy.len, w);
		if (!ss && !ds &&
		    cmd_ref_overlaps(c->u.copy.src, c->u.copy.len,
				     c->u.copy.dst, c->u.copy.len))
			v->errs |= 1u << VGPU_ERR_OVERLAP;
		break;
	case VGPU_OP_FILL:
		if (!c->u.fill.len || c->u.fill.pad)
			v->errs |= 1u << VGPU_ERR_SIZE;
		cmd_ref_align(v, c->u.fill.dst, 4);
		if (c->u.fill.len % 4) {
			v->errs |= 1u << VGPU_ERR_ALIGN;
			v->len_align = 1;
		}
		cmd_ref_range(v, false, c->u.fill.dst, c->u.fill.len, w);
		break;
	case VGPU_OP_GEMM_I8:
		if (!m || !n || !k || c->u.gemm.pad)
			v->errs |= 1u << VGPU_ERR_SIZE;
		cmd_ref_range(v, false, c->u.gemm.a, m * k, w);
		cmd_ref_range(v, false, c->u.gemm.b, k * n, w);
		cmd_ref_align(v, c->u.gemm.c, 4);
		cmd_ref_range(v, false, c->u.gemm.c, m * n * 4, w);
		break;
	case VGPU_OP_CRC32C:
		if (!c->u.crc.len)
			v->errs |= 1u << VGPU_ERR_SIZE;
		cmd_ref_range(v, false, c->u.crc.src, c->u.crc.len, w);
		cmd_ref_align(v, c->u.crc.dst, 4);
		cmd_ref_range(v, false, c->u.crc.dst, 4, w);
		break;
	case VGPU_OP_FENCE:
	case VGPU_OP_TIMESTAMP:
		/* fence.dst and ts.dst share the first operand. */
		cmd_ref_align(v, c->u.fence.dst, 8);
		cmd_ref_range(v, false, c->u.fence.dst, 8, w);
		break;
	case VGPU_OP_PEER_COPY:
		if (!c->u.peer.len || c->u.peer.pad)
			v->errs |= 1u << VGPU_ERR_SIZE;
		cmd_ref_range(v, false, c->u.peer.src, c->u.peer.len, w);
		/* The peer's window is unknown here: only wrapping counts. */
		cmd_ref_range(v, true, c->u.peer.dst, c->u.peer.len, w);
		if (c->u.peer.peer >= VGPU_MAX_PEERS) {
			v->errs |= 1u << VGPU_ERR_PEER;
			v->peer = true;
		}
		break;
	}
}

static inline bool cmd_ref_in_list(const u64 *list, unsigned int n, u64 addr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (list[i] == addr)
			return true;
	return false;
}

/**
 * cmd_ref_check() - check a verdict of vgpu_cmd_validate()
 * @c: the command
 * @w: size of the window in bytes
 * @err: the error vgpu_cmd_validate() returned, 0 for success
 * @bad: the address it reported (it must leave 0 on success, and for an
 *	 error that names no address)
 *
 * Return: NULL if (@err, @bad) is a correct verdict for @c in a @w-byte
 * window, otherwise a description of what is wrong with it.
 */
static inline const char *cmd_ref_check(const struct vgpu_cmd *c, u64 w,
					int err, u64 bad)
{
	struct cmd_ref_verdict v;

	cmd_ref_validate(c, w, &v);
	if (err < 0 || err >= 32)
		return "error code out of range";
	if (!v.errs)
		return err ? "rejected a valid command" :
		       bad ? "bad address set on success" : NULL;
	if (!err)
		return "accepted an invalid command";
	if (!(v.errs & (1u << err)))
		return "reported an error that does not apply";
	if (err == VGPU_ERR_RANGE && !cmd_ref_in_list(v.range, v.nrange, bad))
		return "RANGE names the wrong address";
	if (err == VGPU_ERR_ALIGN && !v.len_align &&
	    !cmd_ref_in_list(v.align, v.nalign, bad))
		return "ALIGN names the wrong address";
	if (err == VGPU_ERR_PEER && bad != c->u.peer.dst)
		return "PEER names the wrong address";
	if (err != VGPU_ERR_RANGE && err != VGPU_ERR_ALIGN &&
	    err != VGPU_ERR_PEER && bad)
		return "bad address set for an error without one";
	return NULL;
}

#endif /* _TOOLS_TESTING_CMD_REF_H */
