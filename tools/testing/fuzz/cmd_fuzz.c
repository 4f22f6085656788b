// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for the vgpu command validator and work-unit executor
 * (drivers/vgpu/lib/vgpu_cmd.c).
 *
 * An input is an 8-byte header followed by 64-byte struct vgpu_cmd records
 * (a trailing partial record is ignored):
 *
 *   bytes 0-3  window selector, little endian: with bit 31 set, bits 0-3
 *              pick one of win_sizes[]; otherwise the window is the value
 *              modulo MAX_WIN + 1
 *   byte 4     window contents: 0 zeros, 1 all 0x80 (-128), 2 all 0x7f,
 *              3 all 0xff, anything else pseudo-random from bytes 5-7
 *   bytes 5-7  seed of the pseudo-random contents and of the device clock
 *
 * Every command is validated against the window (and against a few huge
 * windows, which need no memory) and the verdict is checked against an
 * independent reference in 128-bit arithmetic (../cmd_ref.h, shared with the
 * unit tests). An accepted command is run to completion with
 * vgpu_exec_step() against a fake window of exactly the window's size and
 * fake system memory, and the same command is applied to a reference model
 * of both; they must agree at the end. The fake memory aborts on any access
 * outside the command's own operand ranges (so in particular outside the
 * window), and every work unit is checked against its bound. PEER_COPY
 * writes into a fake peer window (peer id PEER_ID, PEER_WIN bytes, with its
 * reference twin); every other peer id has no peer.
 *
 * Built with -Dfuzz_one_input=LLVMFuzzerTestOneInput it is a libFuzzer
 * target; built with -DCMD_FUZZ_REPLAY and replay.c it is a plain program
 * that replays files and directories (see replay.c).
 */
#include <stdarg.h>
#include <stdlib.h>

#include "cmd_ref.h"

#define HDR		8
#define CMD_SIZE	64
#define MAX_WIN		(256 * 1024 + 16)
#define UNIT		((u64)VGPU_UNIT_BYTES)
#define TILE		((u64)VGPU_GEMM_TILE)
#define TILE_K		((u64)VGPU_GEMM_TILE_K)
/* GEMM multiply-accumulates per input before commands are abandoned. */
#define MAC_BUDGET	(4ULL * 1024 * 1024)
/* Units an abandoned GEMM still runs, as a scheduler would before timeout. */
#define ABANDON_STEPS	8
#define CLOCK_STEP	1000
/* The one peer PEER_COPY can reach, and its window. */
#define PEER_ID		1
#define PEER_WIN	(128 * 1024 + 8)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const u64 win_sizes[16] = {
	0, 1, 4, 8, 12, 16, 64, 4096, 65535, 65536, 65537, 65540, 131072,
	131080, 196608, 262144,
};

/* ---- small helpers -------------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cmd_fuzz: FATAL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static u64 div_up(u64 a, u64 b)
{
	return a / b + !!(a % b);
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 rng_next(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void rng_fill(u8 *p, size_t len, u64 seed)
{
	u64 s = seed * 0x9e3779b97f4a7c15ULL + 1, v;

	for (; len >= 8; p += 8, len -= 8) {
		v = rng_next(&s);
		memcpy(p, &v, 8);
	}
	v = rng_next(&s);
	memcpy(p, &v, len);
}

/* ---- checking verdicts against the reference (cmd_ref.h) ----------------- */

static void check_verdict(const struct vgpu_cmd *c, u64 w, int err, u64 bad)
{
	const char *why = cmd_ref_check(c, w, err, bad);

	if (why) {
		fprintf(stderr, "opcode %u flags %#x window %#llx: error %d bad %#llx\n",
			c->opcode, c->flags, (unsigned long long)w, err,
			(unsigned long long)bad);
		fprintf(stderr, "operands %#llx %#llx %#llx %#llx %#llx\n",
			(unsigned long long)c->u.raw[0],
			(unsigned long long)c->u.raw[1],
			(unsigned long long)c->u.raw[2],
			(unsigned long long)c->u.raw[3],
			(unsigned long long)c->u.raw[4]);
		die("validator: %s", why);
	}
}

/* Where each window operand of @c ends, if it were in a window; 0 to 5. */
static unsigned int operand_ends(const struct vgpu_cmd *c, __uint128_t *e)
{
	__uint128_t m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k;

	switch (c->opcode) {
	case VGPU_OP_COPY:
		e[0] = (__uint128_t)c->u.copy.src + c->u.copy.len;
		e[1] = (__uint128_t)c->u.copy.dst + c->u.copy.len;
		return 2;
	case VGPU_OP_FILL:
		e[0] = (__uint128_t)c->u.fill.dst + c->u.fill.len;
		return 1;
	case VGPU_OP_GEMM_I8:
		e[0] = c->u.gemm.a + m * k;
		e[1] = c->u.gemm.b + k * n;
		e[2] = c->u.gemm.c + m * n * 4;
		return 3;
	case VGPU_OP_CRC32C:
		e[0] = (__uint128_t)c->u.crc.src + c->u.crc.len;
		e[1] = (__uint128_t)c->u.crc.dst + 4;
		return 2;
	case VGPU_OP_FENCE:
	case VGPU_OP_TIMESTAMP:
		e[0] = (__uint128_t)c->u.fence.dst + 8;
		return 1;
	case VGPU_OP_PEER_COPY:
		e[0] = (__uint128_t)c->u.peer.src + c->u.peer.len;
		return 1;
	}
	return 0;
}

/*
 * Validate @c against windows that end one byte before, at and one byte
 * after each of its operands: the edges a fuzzer is unlikely to hit by
 * choosing the window and the command independently. No memory is needed.
 */
static void check_edge_windows(const struct vgpu_cmd *c)
{
	__uint128_t ends[3], w;
	unsigned int i, n = operand_ends(c, ends);
	int d, err;
	u64 bad;

	for (i = 0; i < n; i++)
		for (d = -1; d <= 1; d++) {
			w = ends[i] + d;
			if (w >> 64)
				continue;
			bad = 0x5a5a5a5a;
			err = vgpu_cmd_validate(c, (u64)w, &bad);
			check_verdict(c, (u64)w, err, bad);
		}
}

/* ---- fake memory and its reference twin ---------------------------------- */

struct sys_region {
	u64 iova, len;
	u8 *buf;	/* what the executor sees */
	u8 *ref;	/* the reference model */
	u8 *pristine;	/* contents at the start of every input */
};

/* Apart from each other, so a range is mapped iff one region holds it. */
static struct sys_region sys[] = {
	{ .iova = 0, .len = 0x1000 },
	{ .iova = 0x10000, .len = 0x30000 },
	{ .iova = 0x100000000ULL - 0x8000, .len = 0x10000 },
	{ .iova = 0 - 0x10000ULL, .len = 0x10000 },	/* up to 2^64 */
};

#define NSYS		ARRAY_SIZE(sys)

/* A range of one space the current command may touch. */
struct span {
	unsigned int sys;
	u64 lo;
	__uint128_t hi;
};

static struct {
	u8 *win;	/* exactly the window, for ASan's sake */
	u8 *ref;
	u64 w;
	u8 *peer, *peer_ref;	/* the peer's window and its reference */
	u64 peer_wr_bytes;	/* the current work unit's */
	unsigned int sys_dirty;
	u64 clock, clock_calls;
	struct span rd[2], wr[1];
	unsigned int nrd, nwr;
	/* the current work unit */
	u64 rd_calls, rd_bytes, wr_calls, wr_bytes, rd_max, wr_max;
	u64 macs_left;
	/* for the replay driver's -v */
	unsigned int n_cmds, n_accepted, n_faults, n_abandoned;
} fz;

static void sys_setup(void)
{
	unsigned int i;

	if (sys[0].buf)
		return;
	for (i = 0; i < NSYS; i++) {
		sys[i].buf = malloc(sys[i].len);
		sys[i].ref = malloc(sys[i].len);
		sys[i].pristine = malloc(sys[i].len);
		if (!sys[i].buf || !sys[i].ref || !sys[i].pristine)
			abort();
		rng_fill(sys[i].pristine, sys[i].len, 100 + i);
		memcpy(sys[i].buf, sys[i].pristine, sys[i].len);
		memcpy(sys[i].ref, sys[i].pristine, sys[i].len);
	}
}

static void sys_reset(void)
{
	unsigned int i;

	if (!fz.sys_dirty)
		return;
	for (i = 0; i < NSYS; i++) {
		memcpy(sys[i].buf, sys[i].pristine, sys[i].len);
		memcpy(sys[i].ref, sys[i].pristine, sys[i].len);
	}
	fz.sys_dirty = 0;
}

/* Bytes behind [iova, iova + len) in the fake (or the reference), or NULL. */
static u8 *sys_find(u64 iova, u64 len, bool ref)
{
	unsigned int i;

	for (i = 0; i < NSYS; i++) {
		struct sys_region *r = &sys[i];

		if (iova >= r->iova && iova - r->iova <= r->len &&
		    len <= r->len - (iova - r->iova))
			return (ref ? r->ref : r->buf) + (iova - r->iova);
	}
	return NULL;
}

static void span_check(const struct span *s, unsigned int n, bool is_sys,
		       u64 addr, size_t len, const char *op)
{
	unsigned int i;

	if (!is_sys && (addr > fz.w || len > fz.w - addr))
		die("executor: window %s of %#zx bytes at %#llx, window is %#llx bytes",
		    op, len, (unsigned long long)addr,
		    (unsigned long long)fz.w);
	for (i = 0; i < n; i++)
		if (s[i].sys == is_sys && addr >= s[i].lo &&
		    addr + (__uint128_t)len <= s[i].hi)
			return;
	die("executor: %s %s of %#zx bytes at %#llx outside the command's operands",
	    is_sys ? "DMA" : "window", op, len, (unsigned long long)addr);
}

static int fake_read(void *ctx, bool is_sys, u64 addr, void *buf, size_t len)
{
	const u8 *p;

	span_check(fz.rd, fz.nrd, is_sys, addr, len, "read");
	p = is_sys ? sys_find(addr, len, false) : fz.win + addr;
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	fz.rd_calls++;
	fz.rd_bytes += len;
	fz.rd_max = len > fz.rd_max ? len : fz.rd_max;
	return 0;
}

static int fake_write(void *ctx, bool is_sys, u64 addr, const void *buf,
		      size_t len)
{
	u8 *p;

	span_check(fz.wr, fz.nwr, is_sys, addr, len, "write");
	p = is_sys ? sys_find(addr, len, false) : fz.win + addr;
	if (!p)
		return -EFAULT;
	if (is_sys)
		fz.sys_dirty = 1;
	memcpy(p, buf, len);
	fz.wr_calls++;
	fz.wr_bytes += len;
	fz.wr_max = len > fz.wr_max ? len : fz.wr_max;
	return 0;
}

static u64 fake_now(void *ctx)
{
	u64 t = fz.clock + fz.clock_calls * CLOCK_STEP;

	fz.clock_calls++;
	return t;
}

static int fake_peer_window(void *ctx, u32 peer, u64 *size)
{
	if (peer != PEER_ID)
		return -ENXIO;
	*size = PEER_WIN;
	return 0;
}

/* The executor checked the whole range against the peer's window first. */
static int fake_peer_write(void *ctx, u32 peer, u64 addr, const void *buf,
			   size_t len)
{
	if (peer != PEER_ID || addr > PEER_WIN || len > PEER_WIN - addr)
		die("executor: peer %u write of %#zx bytes at %#llx unchecked",
		    peer, len, (unsigned long long)addr);
	memcpy(fz.peer + addr, buf, len);
	fz.peer_wr_bytes += len;
	return 0;
}

static const struct vgpu_mem_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
	.now_ns = fake_now,
	.peer_window = fake_peer_window,
	.peer_write = fake_peer_write,
};

/*
 * Allow the executor one operand range. A window range must lie in the
 * window: this is the cross-check of the validator's acceptance.
 */
static void allow(struct span *s, unsigned int *n, bool is_sys, u64 addr,
		  __uint128_t len, const char *what)
{
	if (!is_sys && (__uint128_t)addr + len > fz.w)
		die("validator accepted %s %#llx+%#llx outside a %#llx-byte window",
		    what, (unsigned long long)addr, (unsigned long long)len,
		    (unsigned long long)fz.w);
	if (is_sys && (__uint128_t)addr + len > ((__uint128_t)1 << 64))
		die("validator accepted a wrapping DMA %s", what);
	s[*n].sys = is_sys;
	s[*n].lo = addr;
	s[*n].hi = (__uint128_t)addr + len;
	(*n)++;
}

static void set_spans(const struct vgpu_cmd *c)
{
	bool ss = c->flags & VGPU_CMD_SRC_SYS, ds = c->flags & VGPU_CMD_DST_SYS;
	u64 m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k;

	fz.nrd = 0;
	fz.nwr = 0;
	switch (c->opcode) {
	case VGPU_OP_COPY:
		allow(fz.rd, &fz.nrd, ss, c->u.copy.src, c->u.copy.len, "COPY src");
		allow(fz.wr, &fz.nwr, ds, c->u.copy.dst, c->u.copy.len, "COPY dst");
		break;
	case VGPU_OP_FILL:
		allow(fz.wr, &fz.nwr, false, c->u.fill.dst, c->u.fill.len,
		      "FILL dst");
		break;
	case VGPU_OP_GEMM_I8:
		allow(fz.rd, &fz.nrd, false, c->u.gemm.a, m * k, "GEMM a");
		allow(fz.rd, &fz.nrd, false, c->u.gemm.b, k * n, "GEMM b");
		allow(fz.wr, &fz.nwr, false, c->u.gemm.c,
		      (__uint128_t)m * n * 4, "GEMM c");
		break;
	case VGPU_OP_CRC32C:
		allow(fz.rd, &fz.nrd, false, c->u.crc.src, c->u.crc.len,
		      "CRC32C src");
		allow(fz.wr, &fz.nwr, false, c->u.crc.dst, 4, "CRC32C dst");
		break;
	case VGPU_OP_FENCE:
	case VGPU_OP_TIMESTAMP:
		allow(fz.wr, &fz.nwr, false, c->u.fence.dst, 8, "dst");
		break;
	case VGPU_OP_PEER_COPY:
		allow(fz.rd, &fz.nrd, false, c->u.peer.src, c->u.peer.len,
		      "PEER_COPY src");
		break;
	}
}

/*
 * PEER_COPY: a peer that does not exist, or a destination that leaves its
 * window, stops the command at its first unit with nothing written.
 */
static int ref_peer(const struct vgpu_cmd *c, u64 *bad)
{
	if (c->u.peer.peer != PEER_ID ||
	    (__uint128_t)c->u.peer.dst + c->u.peer.len > PEER_WIN) {
		*bad = c->u.peer.dst;
		return -VGPU_ERR_PEER;
	}
	memmove(fz.peer_ref + c->u.peer.dst, fz.ref + c->u.peer.src,
		c->u.peer.len);
	return VGPU_STEP_DONE;
}

/* ---- the reference model ------------------------------------------------- */

static u8 *ref_at(bool is_sys, u64 addr, u64 len)
{
	return is_sys ? sys_find(addr, len, true) : fz.ref + addr;
}

/*
 * COPY moves one unit at a time, reading it whole before writing it, so a
 * DMA fault stops it at the first unit with an unmapped byte on either side
 * and leaves the earlier units done. Returns 0 or -VGPU_ERR_DMA and *bad.
 */
static int ref_copy(const struct vgpu_cmd *c, u64 *bad, u64 *units)
{
	bool ss = c->flags & VGPU_CMD_SRC_SYS, ds = c->flags & VGPU_CMD_DST_SYS;
	u64 done = 0, n;
	u8 *s, *d;

	*units = 0;
	while (done < c->u.copy.len) {
		n = min_u64(c->u.copy.len - done, UNIT);
		(*units)++;
		s = ref_at(ss, c->u.copy.src + done, n);
		if (!s) {
			*bad = c->u.copy.src + done;
			return -VGPU_ERR_DMA;
		}
		d = ref_at(ds, c->u.copy.dst + done, n);
		if (!d) {
			*bad = c->u.copy.dst + done;
			return -VGPU_ERR_DMA;
		}
		memmove(d, s, n);
		done += n;
	}
	return VGPU_STEP_DONE;
}

static void ref_fill(const struct vgpu_cmd *c)
{
	u8 *d = fz.ref + c->u.fill.dst;
	u64 i;

	for (i = 0; i < c->u.fill.len; i++)
		d[i] = (u8)(c->u.fill.value >> (8 * (i % 4)));
}

/* CRC32C of the whole source at once; the executor goes unit by unit. */
static void ref_crc(const struct vgpu_cmd *c)
{
	put_le(fz.ref + c->u.crc.dst,
	       vgpu_crc32c(fz.ref + c->u.crc.src, c->u.crc.len), 4);
}

/* C = A x B in int64, stored as the low 32 bits (two's complement). */
static void ref_gemm(const struct vgpu_cmd *c)
{
	u64 m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k, i, j, l;
	const s8 *a = (const s8 *)fz.ref + c->u.gemm.a;
	const s8 *b = (const s8 *)fz.ref + c->u.gemm.b;
	u32 *out = malloc(m * n * 4);

	if (!out)
		abort();
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			s64 sum = 0;

			for (l = 0; l < k; l++)
				sum += a[i * k + l] * b[l * n + j];
			out[i * n + j] = (u32)sum;
		}
	for (i = 0; i < m * n; i++)
		put_le(fz.ref + c->u.gemm.c + 4 * i, out[i], 4);
	free(out);
}

/* ---- running one command ------------------------------------------------- */

/* Whether the unit just run stayed within its bound. */
static const char *unit_bad(const struct vgpu_cmd *c, int ret, u64 bytes)
{
	switch (c->opcode) {
	case VGPU_OP_NOP:
		if (fz.rd_calls || fz.wr_calls || ret != VGPU_STEP_DONE)
			return "NOP touched memory or took more than one unit";
		return NULL;
	case VGPU_OP_COPY:
		if (fz.rd_bytes > UNIT || fz.wr_bytes > UNIT)
			return "COPY unit moved more than VGPU_UNIT_BYTES";
		if (ret >= 0 && (bytes != fz.rd_bytes || bytes != fz.wr_bytes ||
				 !bytes))
			return "COPY unit accounting";
		return NULL;
	case VGPU_OP_FILL:
		if (fz.rd_calls || fz.wr_bytes > UNIT || !bytes ||
		    bytes != fz.wr_bytes)
			return "FILL unit over its bound";
		return NULL;
	case VGPU_OP_CRC32C:
		if (fz.rd_bytes > UNIT || !bytes || bytes != fz.rd_bytes ||
		    fz.wr_bytes != (ret == VGPU_STEP_DONE ? 4 : 0))
			return "CRC32C unit over its bound";
		return NULL;
	case VGPU_OP_GEMM_I8:
		/* A tile's rows of A and the k steps of B, then C's rows. */
		if (fz.rd_bytes > 2 * TILE * TILE_K || fz.rd_max > TILE_K ||
		    fz.rd_calls > TILE + TILE_K || fz.wr_calls > TILE ||
		    fz.wr_max > 4 * TILE || !fz.rd_bytes ||
		    bytes != fz.rd_bytes + fz.wr_bytes)
			return "GEMM unit over a TILE x TILE x TILE_K block";
		return NULL;
	case VGPU_OP_FENCE:
	case VGPU_OP_TIMESTAMP:
		if (fz.rd_calls || fz.wr_calls != 1 || fz.wr_bytes != 8 ||
		    ret != VGPU_STEP_DONE)
			return "FENCE/TIMESTAMP is one 8-byte store";
		return NULL;
	case VGPU_OP_PEER_COPY:
		if (fz.wr_calls || fz.rd_bytes > UNIT ||
		    (ret >= 0 && (!bytes || bytes != fz.rd_bytes ||
				  bytes != fz.peer_wr_bytes)) ||
		    (ret < 0 && fz.peer_wr_bytes))
			return "PEER_COPY unit over its bound or into this window";
		return NULL;
	}
	return "unknown opcode executed";
}

/* Units the command takes when nothing faults. */
static u64 units_of(const struct vgpu_cmd *c)
{
	switch (c->opcode) {
	case VGPU_OP_COPY:
		return div_up(c->u.copy.len, UNIT);
	case VGPU_OP_FILL:
		return div_up(c->u.fill.len, UNIT);
	case VGPU_OP_CRC32C:
		return div_up(c->u.crc.len, UNIT);
	case VGPU_OP_PEER_COPY:
		return div_up(c->u.peer.len, UNIT);
	case VGPU_OP_GEMM_I8:
		return div_up(c->u.gemm.m, TILE) * div_up(c->u.gemm.n, TILE) *
		       div_up(c->u.gemm.k, TILE_K);
	}
	return 1;
}

static void exec_one(struct vgpu_exec *ex, const struct vgpu_cmd *c,
		     unsigned int idx)
{
	u64 units = units_of(c), max = units, steps = 0, bytes, bad = 0;
	u64 m = c->u.gemm.m, n = c->u.gemm.n, k = c->u.gemm.k;
	u64 ref_bad = 0, ref_units = 0, clock0 = fz.clock_calls;
	bool abandoned = false, gemm_alias = false;
	int ret, ref_ret = VGPU_STEP_DONE;
	const char *why;

	if (c->opcode == VGPU_OP_GEMM_I8) {
		__uint128_t macs = (__uint128_t)m * n * k;

		gemm_alias = cmd_ref_overlaps(c->u.gemm.c, m * n * 4,
					      c->u.gemm.a, m * k) ||
			     cmd_ref_overlaps(c->u.gemm.c, m * n * 4,
					      c->u.gemm.b, k * n);
		if (macs > fz.macs_left) {
			abandoned = true;
			fz.n_abandoned++;
			max = min_u64(units, ABANDON_STEPS);
		} else {
			fz.macs_left -= (u64)macs;
		}
	}
	set_spans(c);
	vgpu_exec_start(ex, c);
	do {
		fz.rd_calls = 0;
		fz.rd_bytes = 0;
		fz.wr_calls = 0;
		fz.wr_bytes = 0;
		fz.rd_max = 0;
		fz.wr_max = 0;
		fz.peer_wr_bytes = 0;
		bytes = ~0ULL;
		ret = vgpu_exec_step(ex, &fake_ops, NULL, &bad, &bytes);
		steps++;
		if (ret != VGPU_STEP_DONE && ret != VGPU_STEP_MORE &&
		    !(ret == -VGPU_ERR_DMA && c->opcode == VGPU_OP_COPY &&
		      (c->flags & (VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS))) &&
		    !(ret == -VGPU_ERR_PEER && c->opcode == VGPU_OP_PEER_COPY))
			die("command %u (opcode %u): step %llu returned %d",
			    idx, c->opcode, (unsigned long long)steps, ret);
		why = unit_bad(c, ret, bytes);
		if (why) {
			fprintf(stderr, "read %llu in %llu, wrote %llu in %llu, said %llu\n",
				(unsigned long long)fz.rd_bytes,
				(unsigned long long)fz.rd_calls,
				(unsigned long long)fz.wr_bytes,
				(unsigned long long)fz.wr_calls,
				(unsigned long long)bytes);
			die("command %u step %llu: %s", idx,
			    (unsigned long long)steps, why);
		}
		if (ret == VGPU_STEP_DONE && steps != units)
			die("command %u (opcode %u): done after %llu units, want %llu",
			    idx, c->opcode, (unsigned long long)steps,
			    (unsigned long long)units);
		if (ret == VGPU_STEP_MORE && steps >= units)
			die("command %u (opcode %u): still more after %llu units",
			    idx, c->opcode, (unsigned long long)steps);
	} while (ret == VGPU_STEP_MORE && steps < max);

	switch (c->opcode) {
	case VGPU_OP_COPY:
		ref_ret = ref_copy(c, &ref_bad, &ref_units);
		if (ret != ref_ret || (ret < 0 && (bad != ref_bad ||
						   steps != ref_units)))
			die("command %u: COPY %d bad %#llx units %llu, want %d %#llx %llu",
			    idx, ret, (unsigned long long)bad,
			    (unsigned long long)steps, ref_ret,
			    (unsigned long long)ref_bad,
			    (unsigned long long)ref_units);
		if (c->flags & VGPU_CMD_DST_SYS)
			fz.sys_dirty = 1;
		fz.n_faults += ret < 0;
		break;
	case VGPU_OP_PEER_COPY:
		ref_ret = ref_peer(c, &ref_bad);
		if (ret != ref_ret || (ret < 0 && (bad != ref_bad || steps != 1)))
			die("command %u: PEER_COPY %d bad %#llx after %llu units, want %d %#llx",
			    idx, ret, (unsigned long long)bad,
			    (unsigned long long)steps, ref_ret,
			    (unsigned long long)ref_bad);
		fz.n_faults += ret < 0;
		break;
	case VGPU_OP_FILL:
		ref_fill(c);
		break;
	case VGPU_OP_CRC32C:
		ref_crc(c);
		break;
	case VGPU_OP_GEMM_I8:
		/*
		 * When C aliases A or B, or the command was abandoned, what
		 * lands in C is not predicted; only C may have changed.
		 */
		if (abandoned || gemm_alias)
			memcpy(fz.ref + c->u.gemm.c, fz.win + c->u.gemm.c,
			       m * n * 4);
		else
			ref_gemm(c);
		break;
	case VGPU_OP_FENCE:
		put_le(fz.ref + c->u.fence.dst, c->u.fence.value, 8);
		break;
	case VGPU_OP_TIMESTAMP:
		if (fz.clock_calls != clock0 + 1)
			die("command %u: TIMESTAMP read the clock %llu times",
			    idx, (unsigned long long)(fz.clock_calls - clock0));
		put_le(fz.ref + c->u.ts.dst, fz.clock + clock0 * CLOCK_STEP, 8);
		break;
	}
	if (c->opcode != VGPU_OP_TIMESTAMP && fz.clock_calls != clock0)
		die("command %u: opcode %u read the clock", idx, c->opcode);
}

static void compare(const u8 *got, const u8 *want, u64 len, const char *what,
		    u64 base)
{
	u64 i;

	if (!memcmp(got, want, len))
		return;
	for (i = 0; got[i] == want[i]; i++)
		;
	die("%s differs from the reference at %#llx: %#x, want %#x", what,
	    (unsigned long long)(base + i), got[i], want[i]);
}

/* ---- the entry point ------------------------------------------------------ */

static u64 window_of(const u8 *d)
{
	u32 sel = d[0] | d[1] << 8 | d[2] << 16 | (u32)d[3] << 24;

	if (sel & 0x80000000u)
		return win_sizes[sel & 15];
	return sel % (MAX_WIN + 1);
}

int fuzz_one_input(const u8 *data, size_t size);

int fuzz_one_input(const u8 *data, size_t size)
{
	static struct vgpu_exec *ex;
	u64 seed, bad, extra[3];
	struct vgpu_cmd c;
	unsigned int i, j;
	size_t off;
	int err;

	if (size < HDR)
		return 0;
	if (!ex) {
		ex = malloc(sizeof(*ex));
		if (!ex)
			abort();
		sys_setup();
		fz.peer = malloc(PEER_WIN);
		fz.peer_ref = malloc(PEER_WIN);
		if (!fz.peer || !fz.peer_ref)
			abort();
	}
	sys_reset();
	memset(fz.peer, 0x3c, PEER_WIN);
	memset(fz.peer_ref, 0x3c, PEER_WIN);
	fz.w = window_of(data);
	seed = data[5] | data[6] << 8 | data[7] << 16;
	fz.win = malloc(fz.w + !fz.w);
	fz.ref = malloc(fz.w + !fz.w);
	if (!fz.win || !fz.ref)
		abort();
	switch (data[4]) {
	case 0:
		memset(fz.win, 0, fz.w);
		break;
	case 1:
		memset(fz.win, 0x80, fz.w);
		break;
	case 2:
		memset(fz.win, 0x7f, fz.w);
		break;
	case 3:
		memset(fz.win, 0xff, fz.w);
		break;
	default:
		rng_fill(fz.win, fz.w, seed);
	}
	memcpy(fz.ref, fz.win, fz.w);
	fz.clock = seed << 20;
	fz.clock_calls = 0;
	fz.macs_left = MAC_BUDGET;
	fz.n_cmds = 0;
	fz.n_accepted = 0;
	fz.n_faults = 0;
	fz.n_abandoned = 0;
	extra[0] = ~0ULL;
	extra[1] = 1ULL << 63;
	extra[2] = (u64)(data[0] | data[1] << 8) << 48 | fz.w;

	for (off = HDR, i = 0; off + CMD_SIZE <= size; off += CMD_SIZE, i++) {
		memcpy(&c, data + off, CMD_SIZE);
		/* Huge windows need no memory: check the verdict only. */
		for (j = 0; j < ARRAY_SIZE(extra); j++) {
			bad = 0x5a5a5a5a;
			err = vgpu_cmd_validate(&c, extra[j], &bad);
			check_verdict(&c, extra[j], err, bad);
		}
		check_edge_windows(&c);
		bad = 0x5a5a5a5a;
		err = vgpu_cmd_validate(&c, fz.w, &bad);
		check_verdict(&c, fz.w, err, bad);
		fz.n_cmds++;
		if (err)
			continue;
		fz.n_accepted++;
		exec_one(ex, &c, i);
	}

	compare(fz.win, fz.ref, fz.w, "window", 0);
	compare(fz.peer, fz.peer_ref, PEER_WIN, "peer window", 0);
	if (fz.sys_dirty)
		for (i = 0; i < NSYS; i++)
			compare(sys[i].buf, sys[i].ref, sys[i].len,
				"system memory", sys[i].iova);
	free(fz.win);
	free(fz.ref);
	fz.win = NULL;
	fz.ref = NULL;
	return 0;
}

#ifdef CMD_FUZZ_REPLAY
/* ---- for the replay driver (replay.c) --------------------------------------- */

#include "replay.h"

void fuzz_describe(const char *path)
{
	printf("# %s: window %#llx, %u cmds, %u accepted, %u faults, %u abandoned\n",
	       path, (unsigned long long)fz.w, fz.n_cmds, fz.n_accepted,
	       fz.n_faults, fz.n_abandoned);
}

/* ---- seed corpus --------------------------------------------------------- */

struct seed {
	u8 buf[HDR + 8 * CMD_SIZE];
	size_t len;
};

static void seed_start(struct seed *s, u32 winsel, u8 fill, u32 rnd)
{
	memset(s, 0, sizeof(*s));
	put_le(s->buf, winsel, 4);
	s->buf[4] = fill;
	put_le(s->buf + 5, rnd, 3);
	s->len = HDR;
}

static void seed_cmd(struct seed *s, u32 op, u32 flags, u64 r0, u64 r1, u64 r2,
		     u64 r3, u64 r4)
{
	struct vgpu_cmd c = { .opcode = op, .flags = flags };

	c.u.raw[0] = r0;
	c.u.raw[1] = r1;
	c.u.raw[2] = r2;
	c.u.raw[3] = r3;
	c.u.raw[4] = r4;
	memcpy(s->buf + s->len, &c, CMD_SIZE);
	s->len += CMD_SIZE;
}

static int seed_write(const char *dir, const char *name, const struct seed *s)
{
	char *path;
	FILE *f;
	int ret;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -1;
	f = fopen(path, "wb");
	free(path);
	if (!f)
		return -1;
	ret = fwrite(s->buf, 1, s->len, f) == s->len ? 0 : -1;
	return fclose(f) || ret ? -1 : 0;
}

#define GEMM_MN(m, n)	((u64)(m) | (u64)(n) << 32)

int fuzz_write_seeds(const char *dir)
{
	struct seed s;
	int ret = 0;

	/* window-to-window copy over a unit boundary, then a fence */
	seed_start(&s, 0x80000000u | 14, 4, 1);
	seed_cmd(&s, VGPU_OP_COPY, 0, 0, 0x10008, 0x10001, 0, 0);
	seed_cmd(&s, VGPU_OP_FENCE, VGPU_CMD_IRQ, 0x1fff8, 7, 0, 0, 0);
	ret |= seed_write(dir, "copy-window", &s);

	/* both DMA directions and system to system */
	seed_start(&s, 0x80000000u | 10, 4, 2);
	seed_cmd(&s, VGPU_OP_COPY, VGPU_CMD_SRC_SYS, 0x10000, 0, 0x10001, 0, 0);
	seed_cmd(&s, VGPU_OP_COPY, VGPU_CMD_DST_SYS, 8, 0x100000000ULL - 0x100,
		 0x200, 0, 0);
	seed_cmd(&s, VGPU_OP_COPY, VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS, 0x100,
		 0 - 0x100ULL, 0x100, 0, 0);
	ret |= seed_write(dir, "copy-dma", &s);

	/* a DMA fault: the source runs off its mapping */
	seed_start(&s, 0x80000000u | 13, 0, 3);
	seed_cmd(&s, VGPU_OP_COPY, VGPU_CMD_SRC_SYS, 0x30000, 0, 0x18000, 0, 0);
	ret |= seed_write(dir, "copy-dma-fault", &s);

	/* fill, then a CRC32C over it and past a unit */
	seed_start(&s, 0x80000000u | 12, 0, 4);
	seed_cmd(&s, VGPU_OP_FILL, 0, 0x100, 0x10100, 0x31323334, 0, 0);
	seed_cmd(&s, VGPU_OP_CRC32C, 0, 0x101, 0x10001, 0x1fffc, 0, 0);
	ret |= seed_write(dir, "fill-crc", &s);

	/* GEMM with k over TILE_K on random bytes, then a timestamp */
	seed_start(&s, 0x80000000u | 15, 4, 5);
	seed_cmd(&s, VGPU_OP_GEMM_I8, 0, 0, 0x2000, 0x8000, GEMM_MN(17, 33),
		 300);
	seed_cmd(&s, VGPU_OP_TIMESTAMP, 0, 0x2fff8, 0, 0, 0, 0);
	ret |= seed_write(dir, "gemm", &s);

	/* GEMM on all -128 */
	seed_start(&s, 0x80000000u | 12, 1, 6);
	seed_cmd(&s, VGPU_OP_GEMM_I8, 0, 0, 0x1000, 0x10000, GEMM_MN(3, 2),
		 513);
	ret |= seed_write(dir, "gemm-extreme", &s);

	/* the longest k whose -128 x -128 sums still fit int32 */
	seed_start(&s, 0x80000000u | 15, 1, 8);
	seed_cmd(&s, VGPU_OP_GEMM_I8, 0, 0, 0, 0x3fff0, GEMM_MN(1, 1), 131071);
	ret |= seed_write(dir, "gemm-long-k", &s);

	/* rejected: overflowing ranges, bad flags, misaligned, overlap */
	seed_start(&s, 0x80000000u | 9, 0, 7);
	seed_cmd(&s, VGPU_OP_COPY, 0, 0xfffffffffffffff0ULL, 0, 0x20, 0, 0);
	seed_cmd(&s, VGPU_OP_GEMM_I8, 0, 0, 0, 0,
		 GEMM_MN(0x80000000u, 0x80000000u), 1);
	seed_cmd(&s, VGPU_OP_TIMESTAMP, VGPU_CMD_IRQ, 0, 0, 0, 0, 0);
	seed_cmd(&s, VGPU_OP_FENCE, 0, 4, 0, 0, 0, 0);
	seed_cmd(&s, VGPU_OP_COPY, 0, 0, 8, 16, 0, 0);
	seed_cmd(&s, VGPU_OP_COUNT, 0, 0, 0, 0, 0, 0);
	seed_cmd(&s, VGPU_OP_NOP, 0, 0, 0, 0, 0, 0);
	ret |= seed_write(dir, "invalid", &s);

	/* PEER_COPY: to the peer (3 units), to nobody, past its window */
	seed_start(&s, 0x80000000u | 13, 4, 11);
	seed_cmd(&s, VGPU_OP_PEER_COPY, 0, 0x10, 0x100, 0x10001 * 2, PEER_ID,
		 0);
	seed_cmd(&s, VGPU_OP_PEER_COPY, 0, 0, 0, 8, 2, 0);
	seed_cmd(&s, VGPU_OP_PEER_COPY, 0, 0, PEER_WIN - 4, 8, PEER_ID, 0);
	seed_cmd(&s, VGPU_OP_PEER_COPY, 0, 0, PEER_WIN - 8, 8, PEER_ID, 0);
	seed_cmd(&s, VGPU_OP_PEER_COPY, 0, 0, 0, 8, VGPU_MAX_PEERS, 0);
	ret |= seed_write(dir, "peer-copy", &s);
	return ret ? 1 : 0;
}

#endif /* CMD_FUZZ_REPLAY */
