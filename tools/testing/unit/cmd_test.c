// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the command validator and the work-unit executor
 * (drivers/vgpu/lib/vgpu_cmd.c).
 *
 * The executor reaches memory only through struct vgpu_mem_ops. The fake
 * here backs the window with a malloc'd buffer of exactly the window's size
 * and "system memory" with a few malloc'd regions at chosen IOVAs; a DMA
 * access outside them fails with -EFAULT. A window access outside the window
 * aborts the test: the executor may only pass ranges it has validated.
 *
 * Every result is compared with a straightforward CPU reference, and every
 * work unit is checked against its bound: at most VGPU_UNIT_BYTES read or
 * written for COPY, FILL and CRC32C, at most a TILE x TILE x TILE_K block of
 * multiply-accumulates for GEMM. The validator's verdicts are checked
 * against the reference validator in ../cmd_ref.h, shared with the fuzz
 * target. The CRC32C the executor computes unit by unit is compared with
 * vgpu_crc32c() over the whole buffer; crc32c_test checks that function.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "cmd_ref.h"

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define WIN		(1 * MIB)
#define U64_MAX_	0xffffffffffffffffULL
#define POISON		0x5a5a5a5a5a5a5a5aULL
#define UNIT		((u64)VGPU_UNIT_BYTES)
#define TILE		((u64)VGPU_GEMM_TILE)
#define TILE_K		((u64)VGPU_GEMM_TILE_K)
#define MAX_SYS		4

/* ---- deterministic random numbers --------------------------------------- */

static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
}

/* xorshift64* */
static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A random value in [0, n); n > 0. */
static u64 rnd_below(u64 n)
{
	return rnd() % n;
}

static void rnd_fill(u8 *p, size_t len)
{
	u64 v;

	for (; len >= 8; p += 8, len -= 8) {
		v = rnd();
		memcpy(p, &v, 8);
	}
	v = rnd();
	memcpy(p, &v, len);
}

/* ---- fake memory --------------------------------------------------------- */

struct sys_region {
	u64 iova;
	u64 len;
	u8 *buf;
};

/* A window range whose accesses are counted separately (GEMM A and B). */
struct tag {
	u64 lo, hi;
	u64 calls, bytes;
};

struct fake {
	u8 *win;
	u64 win_size;
	struct sys_region sys[MAX_SYS];
	unsigned int nsys;
	u64 clock;
	u64 clock_calls;
	/* tag[0] is GEMM's A, tag[1] its B; 0 if they may overlap. */
	unsigned int gemm_tags;
	/* Accounting of the current work unit. */
	u64 rd_calls, rd_bytes, wr_calls, wr_bytes;
	struct tag tag[2];
	/*
	 * Every stall_period-th DMA access gives up with -EAGAIN, as the
	 * driver's does when guest memory cannot be reached in time; a write
	 * that gives up has copied half its bytes.
	 */
	unsigned int stall_period;
	u64 dma_calls;
	/*
	 * The peer of PEER_COPY: a window of its own, peer id @peer_id. It
	 * answers -EAGAIN to every peer_stall_period-th write, and is gone
	 * (-ENXIO) after @peer_gone_after writes if that is not 0.
	 */
	u8 *peer;
	u64 peer_size;
	u32 peer_id;
	unsigned int peer_stall_period;
	unsigned int peer_gone_after;
	u64 peer_writes;
	u64 peer_wr_bytes;
};

/* Whether this DMA access is one that gives up. */
static bool fake_stalls(struct fake *f)
{
	return f->stall_period && !(++f->dma_calls % f->stall_period);
}

static void fake_init(struct fake *f, u64 win_size)
{
	memset(f, 0, sizeof(*f));
	f->win_size = win_size;
	/* Exactly the window: ASan catches what the guard below would miss. */
	f->win = malloc(win_size ? win_size : 1);
	if (!f->win)
		abort();
	rnd_fill(f->win, win_size);
	f->clock = 0x0123456789abcdefULL;
}

static struct sys_region *fake_add_sys(struct fake *f, u64 iova, u64 len)
{
	struct sys_region *r = &f->sys[f->nsys++];

	r->iova = iova;
	r->len = len;
	r->buf = malloc(len);
	if (!r->buf)
		abort();
	rnd_fill(r->buf, len);
	return r;
}

/* Give the fake a peer with id @id and a window of @size random bytes. */
static void fake_add_peer(struct fake *f, u32 id, u64 size)
{
	f->peer_id = id;
	f->peer_size = size;
	f->peer = malloc(size ? size : 1);
	if (!f->peer)
		abort();
	rnd_fill(f->peer, size);
}

static void fake_free(struct fake *f)
{
	unsigned int i;

	for (i = 0; i < f->nsys; i++)
		free(f->sys[i].buf);
	free(f->win);
	free(f->peer);
}

/* The guard: the executor must never pass an unvalidated window range. */
static void win_guard(struct fake *f, const char *op, u64 addr, size_t len)
{
	if (addr > f->win_size || len > f->win_size - addr) {
		fprintf(stderr, "FATAL: window %s %#zx@%#llx, window %#llx\n",
			op, len, (unsigned long long)addr,
			(unsigned long long)f->win_size);
		abort();
	}
}

/* The bytes of system memory backing [iova, iova + len), or NULL. */
static u8 *sys_find(struct fake *f, u64 iova, size_t len)
{
	unsigned int i;

	for (i = 0; i < f->nsys; i++) {
		struct sys_region *r = &f->sys[i];

		if (iova >= r->iova && iova - r->iova <= r->len &&
		    len <= r->len - (iova - r->iova))
			return r->buf + (iova - r->iova);
	}
	return NULL;
}

static void account(struct fake *f, bool write, u64 addr, size_t len)
{
	unsigned int i;

	if (write) {
		f->wr_calls++;
		f->wr_bytes += len;
		return;
	}
	f->rd_calls++;
	f->rd_bytes += len;
	for (i = 0; i < 2; i++) {
		if (addr >= f->tag[i].lo && addr < f->tag[i].hi) {
			f->tag[i].calls++;
			f->tag[i].bytes += len;
		}
	}
}

static int fake_read(void *ctx, bool sys, u64 addr, void *buf, size_t len)
{
	struct fake *f = ctx;
	u8 *p;

	if (sys) {
		p = sys_find(f, addr, len);
		if (!p)
			return -EFAULT;
		if (fake_stalls(f))
			return -EAGAIN;
		memcpy(buf, p, len);
		account(f, false, ~0ULL, len);
		return 0;
	}
	win_guard(f, "read", addr, len);
	memcpy(buf, f->win + addr, len);
	account(f, false, addr, len);
	return 0;
}

static int fake_write(void *ctx, bool sys, u64 addr, const void *buf,
		      size_t len)
{
	struct fake *f = ctx;
	u8 *p;

	if (sys) {
		p = sys_find(f, addr, len);
		if (!p)
			return -EFAULT;
		if (fake_stalls(f)) {
			memcpy(p, buf, len / 2);
			return -EAGAIN;
		}
		memcpy(p, buf, len);
		account(f, true, addr, len);
		return 0;
	}
	win_guard(f, "write", addr, len);
	memcpy(f->win + addr, buf, len);
	account(f, true, addr, len);
	return 0;
}

static u64 fake_now(void *ctx)
{
	struct fake *f = ctx;

	f->clock_calls++;
	return f->clock;
}

static bool fake_peer_here(struct fake *f, u32 peer)
{
	return f->peer && peer == f->peer_id &&
	       !(f->peer_gone_after && f->peer_writes >= f->peer_gone_after);
}

static int fake_peer_window(void *ctx, u32 peer, u64 *size)
{
	struct fake *f = ctx;

	if (!fake_peer_here(f, peer))
		return -ENXIO;
	*size = f->peer_size;
	return 0;
}

static int fake_peer_write(void *ctx, u32 peer, u64 addr, const void *buf,
			   size_t len)
{
	struct fake *f = ctx;

	if (!fake_peer_here(f, peer) || addr > f->peer_size ||
	    len > f->peer_size - addr)
		return -ENXIO;
	if (f->peer_stall_period &&
	    !(++f->dma_calls % f->peer_stall_period))
		return -EAGAIN;
	memcpy(f->peer + addr, buf, len);
	f->peer_writes++;
	f->peer_wr_bytes += len;
	return 0;
}

static const struct vgpu_mem_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
	.now_ns = fake_now,
	.peer_window = fake_peer_window,
	.peer_write = fake_peer_write,
};

/* ---- running a command to completion ------------------------------------- */

struct run {
	int ret;		/* the last step's result */
	u64 bad;		/* bad address of a failed step */
	u64 steps;
	u64 bytes;		/* sum of what the steps reported */
	u64 violations;		/* work units over their bound */
	u64 stalls;		/* steps that returned VGPU_STEP_STALL */
	u64 stall_bad;		/* the address the last stall reported */
};

/* Whether the unit just run stayed within its bound. */
static bool unit_ok(const struct fake *f, const struct vgpu_cmd *c, int ret,
		    u64 bytes)
{
	u64 ti, tj, tk;

	/* A unit that stalled reports no bytes and is redone whole. */
	if (ret == VGPU_STEP_STALL)
		return !bytes && f->rd_bytes <= UNIT && f->wr_bytes <= UNIT;
	switch (c->opcode) {
	case VGPU_OP_NOP:
		return !f->rd_calls && !f->wr_calls && ret == VGPU_STEP_DONE;
	case VGPU_OP_COPY:
		if (ret < 0)
			return f->rd_bytes <= UNIT && f->wr_bytes <= UNIT;
		return f->rd_bytes <= UNIT && f->rd_bytes == f->wr_bytes &&
		       bytes == f->rd_bytes && bytes;
	case VGPU_OP_FILL:
		return !f->rd_calls && f->wr_bytes <= UNIT &&
		       bytes == f->wr_bytes && bytes;
	case VGPU_OP_CRC32C:
		return f->rd_bytes <= UNIT && bytes == f->rd_bytes && bytes &&
		       f->wr_bytes == (ret == VGPU_STEP_DONE ? 4 : 0);
	case VGPU_OP_GEMM_I8:
		if (!f->gemm_tags)
			return f->rd_bytes <= 2 * TILE * TILE_K &&
			       f->wr_bytes <= TILE * TILE * 4 &&
			       bytes == f->rd_bytes + f->wr_bytes;
		/* A is read one row of the tile per call, B one k step. */
		ti = f->tag[0].calls;
		tk = ti ? f->tag[0].bytes / ti : 0;
		tj = tk ? f->tag[1].bytes / tk : 0;
		return ti && ti <= TILE && tk && tk <= TILE_K && tj &&
		       tj <= TILE && f->tag[1].calls == tk &&
		       f->tag[0].bytes == ti * tk &&
		       f->tag[1].bytes == tk * tj &&
		       ti * tj * tk <= TILE * TILE * TILE_K &&
		       f->rd_bytes == ti * tk + tk * tj &&
		       f->wr_bytes <= TILE * TILE * 4 &&
		       bytes == f->rd_bytes + f->wr_bytes;
	case VGPU_OP_FENCE:
	case VGPU_OP_TIMESTAMP:
		return !f->rd_calls && f->wr_calls == 1 && f->wr_bytes == 8 &&
		       ret == VGPU_STEP_DONE;
	case VGPU_OP_PEER_COPY:
		/* It reads its own window and writes only the peer's. */
		if (ret < 0)
			return !f->wr_calls && f->rd_bytes <= UNIT &&
			       !f->peer_wr_bytes;
		return !f->wr_calls && f->rd_bytes <= UNIT &&
		       f->peer_wr_bytes == f->rd_bytes &&
		       bytes == f->rd_bytes && bytes;
	}
	return false;
}

/* Run @c (which must be valid) until it completes or fails. */
static void run_cmd(struct fake *f, const struct vgpu_cmd *c, u64 max_steps,
		    struct run *r)
{
	struct vgpu_exec *ex = malloc(sizeof(*ex));
	u64 bytes;

	if (!ex)
		abort();
	memset(r, 0, sizeof(*r));
	vgpu_exec_start(ex, c);
	do {
		f->rd_calls = 0;
		f->rd_bytes = 0;
		f->wr_calls = 0;
		f->wr_bytes = 0;
		f->tag[0].calls = 0;
		f->tag[0].bytes = 0;
		f->tag[1].calls = 0;
		f->tag[1].bytes = 0;
		f->peer_wr_bytes = 0;
		bytes = POISON;
		r->bad = POISON;
		r->ret = vgpu_exec_step(ex, &fake_ops, f, &r->bad, &bytes);
		r->steps++;
		if (r->ret >= 0)
			r->bytes += bytes;
		if (r->ret == VGPU_STEP_STALL) {
			r->stalls++;
			r->stall_bad = r->bad;
		}
		if (!unit_ok(f, c, r->ret, bytes))
			r->violations++;
	} while ((r->ret == VGPU_STEP_MORE || r->ret == VGPU_STEP_STALL) &&
		 r->steps < max_steps);
	free(ex);
}

static u64 div_up(u64 a, u64 b)
{
	return (a + b - 1) / b;
}

static int validate(const struct vgpu_cmd *c, u64 window, u64 *bad)
{
	*bad = POISON;
	return vgpu_cmd_validate(c, window, bad);
}

/* Whether the window outside [lo, lo + len) equals @snap. */
static bool untouched_outside(const struct fake *f, const u8 *snap, u64 lo,
			      u64 len)
{
	return !memcmp(f->win, snap, lo) &&
	       !memcmp(f->win + lo + len, snap + lo + len,
		       f->win_size - lo - len);
}

static u8 *snapshot(const struct fake *f)
{
	u8 *s = malloc(f->win_size);

	if (!s)
		abort();
	memcpy(s, f->win, f->win_size);
	return s;
}

static u64 get_le(const u8 *p, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

/* ---- validator: table of edge cases -------------------------------------- */

#define CMD(op, fl, ...) { .opcode = (op), .flags = (fl), .u.raw = { __VA_ARGS__ } }

struct vcase {
	const char *name;
	struct vgpu_cmd cmd;
	u64 window;
	int err;
	u64 bad;
};

#define W	0x10000ULL	/* window for the table */
#define TOP	0xfffffffffffffff0ULL

static const struct vcase vcases[] = {
	/* opcodes */
	{ "nop", CMD(VGPU_OP_NOP, 0, 0), W, 0, 0 },
	{ "nop ignores operands", CMD(VGPU_OP_NOP, 0, TOP, TOP, TOP), 0, 0, 0 },
	{ "opcode count", CMD(VGPU_OP_COUNT, 0, 0), W, VGPU_ERR_OPCODE, 0 },
	{ "opcode 255", CMD(255, 0, 0), W, VGPU_ERR_OPCODE, 0 },
	{ "opcode 2^31", CMD(0x80000000u, 0, 0), W, VGPU_ERR_OPCODE, 0 },
	{ "opcode ~0", CMD(0xffffffffu, 0xffffffffu, 0), W, VGPU_ERR_OPCODE, 0 },
	/* flags the opcode does not allow */
	{ "nop irq", CMD(VGPU_OP_NOP, VGPU_CMD_IRQ, 0), W, VGPU_ERR_FLAGS, 0 },
	{ "copy irq", CMD(VGPU_OP_COPY, VGPU_CMD_IRQ, 0, 8, 8), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "copy bit 3", CMD(VGPU_OP_COPY, 8, 0, 8, 8), W, VGPU_ERR_FLAGS, 0 },
	{ "copy bit 31", CMD(VGPU_OP_COPY, 1u << 31, 0, 8, 8), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "fill src_sys", CMD(VGPU_OP_FILL, VGPU_CMD_SRC_SYS, 0, 4), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "fill dst_sys", CMD(VGPU_OP_FILL, VGPU_CMD_DST_SYS, 0, 4), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "gemm dst_sys", CMD(VGPU_OP_GEMM_I8, VGPU_CMD_DST_SYS, 0, 0, 0,
			      0x100000001ULL, 1), W, VGPU_ERR_FLAGS, 0 },
	{ "crc src_sys", CMD(VGPU_OP_CRC32C, VGPU_CMD_SRC_SYS, 0, 4, 8), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "fence src_sys", CMD(VGPU_OP_FENCE, VGPU_CMD_SRC_SYS, 0, 1), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "fence irq|bit 4", CMD(VGPU_OP_FENCE, VGPU_CMD_IRQ | 16, 0, 1), W,
	  VGPU_ERR_FLAGS, 0 },
	{ "timestamp irq", CMD(VGPU_OP_TIMESTAMP, VGPU_CMD_IRQ, 0), W,
	  VGPU_ERR_FLAGS, 0 },
	/* flags the opcode allows */
	{ "copy src_sys|dst_sys", CMD(VGPU_OP_COPY, 3, TOP, TOP, 16), W, 0, 0 },
	{ "fence irq", CMD(VGPU_OP_FENCE, VGPU_CMD_IRQ, 8, 1), W, 0, 0 },
	/* zero and inconsistent sizes */
	{ "copy len 0", CMD(VGPU_OP_COPY, 0, 0, 8, 0), W, VGPU_ERR_SIZE, 0 },
	{ "copy sys len 0", CMD(VGPU_OP_COPY, 3, 0, 8, 0), W, VGPU_ERR_SIZE, 0 },
	{ "fill len 0", CMD(VGPU_OP_FILL, 0, 0, 0), W, VGPU_ERR_SIZE, 0 },
	{ "fill pad", CMD(VGPU_OP_FILL, 0, 0, 4, 1ULL << 32), W,
	  VGPU_ERR_SIZE, 0 },
	{ "crc len 0", CMD(VGPU_OP_CRC32C, 0, 0, 0, 8), W, VGPU_ERR_SIZE, 0 },
	{ "gemm m 0", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0, 1ULL << 32, 1), W,
	  VGPU_ERR_SIZE, 0 },
	{ "gemm n 0", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0, 1, 1), W,
	  VGPU_ERR_SIZE, 0 },
	{ "gemm k 0", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0, 0x100000001ULL, 0), W,
	  VGPU_ERR_SIZE, 0 },
	{ "gemm pad", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0, 0x100000001ULL,
			  0x100000001ULL), W, VGPU_ERR_SIZE, 0 },
	/* alignment */
	{ "fill dst 1", CMD(VGPU_OP_FILL, 0, 1, 4), W, VGPU_ERR_ALIGN, 1 },
	{ "fill dst 2", CMD(VGPU_OP_FILL, 0, 2, 4), W, VGPU_ERR_ALIGN, 2 },
	{ "fill dst 3", CMD(VGPU_OP_FILL, 0, 3, 4), W, VGPU_ERR_ALIGN, 3 },
	{ "crc dst 2", CMD(VGPU_OP_CRC32C, 0, 0, 4, 2), W, VGPU_ERR_ALIGN, 2 },
	{ "crc dst 7", CMD(VGPU_OP_CRC32C, 0, 0, 4, 7), W, VGPU_ERR_ALIGN, 7 },
	{ "crc src 1 is fine", CMD(VGPU_OP_CRC32C, 0, 1, 3, 4), W, 0, 0 },
	{ "fence dst 4", CMD(VGPU_OP_FENCE, 0, 4, 1), W, VGPU_ERR_ALIGN, 4 },
	{ "fence dst 1", CMD(VGPU_OP_FENCE, 0, 1, 1), W, VGPU_ERR_ALIGN, 1 },
	{ "fence dst 7", CMD(VGPU_OP_FENCE, 0, 0x107, 1), W, VGPU_ERR_ALIGN,
	  0x107 },
	{ "timestamp dst 4", CMD(VGPU_OP_TIMESTAMP, 0, 4), W, VGPU_ERR_ALIGN,
	  4 },
	{ "timestamp dst 6", CMD(VGPU_OP_TIMESTAMP, 0, 0x1006), W,
	  VGPU_ERR_ALIGN, 0x1006 },
	{ "gemm c 2", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 2, 0x100000001ULL, 1), W,
	  VGPU_ERR_ALIGN, 2 },
	{ "gemm a, b unaligned is fine",
	  CMD(VGPU_OP_GEMM_I8, 0, 1, 3, 8, 0x100000001ULL, 1), W, 0, 0 },
	/* ranges ending exactly at the window end, and one byte past */
	{ "copy src at end", CMD(VGPU_OP_COPY, 0, W - 16, 0, 16), W, 0, 0 },
	{ "copy src past end", CMD(VGPU_OP_COPY, 0, W - 15, 0, 16), W,
	  VGPU_ERR_RANGE, W - 15 },
	{ "copy dst at end", CMD(VGPU_OP_COPY, 0, 0, W - 16, 16), W, 0, 0 },
	{ "copy dst past end", CMD(VGPU_OP_COPY, 0, 0, W - 15, 16), W,
	  VGPU_ERR_RANGE, W - 15 },
	{ "copy whole window", CMD(VGPU_OP_COPY, 1, 0, 0, W), W, 0, 0 },
	{ "copy window + 1", CMD(VGPU_OP_COPY, 1, 0, 0, W + 1), W,
	  VGPU_ERR_RANGE, 0 },
	{ "fill at end", CMD(VGPU_OP_FILL, 0, W - 8, 8), W, 0, 0 },
	{ "fill past end", CMD(VGPU_OP_FILL, 0, W - 8, 12), W, VGPU_ERR_RANGE,
	  W - 8 },
	{ "crc src at end", CMD(VGPU_OP_CRC32C, 0, W - 5, 5, 0), W, 0, 0 },
	{ "crc src past end", CMD(VGPU_OP_CRC32C, 0, W - 5, 6, 0), W,
	  VGPU_ERR_RANGE, W - 5 },
	{ "crc dst at end", CMD(VGPU_OP_CRC32C, 0, 0, 1, W - 4), W, 0, 0 },
	{ "crc dst at window", CMD(VGPU_OP_CRC32C, 0, 0, 1, W), W,
	  VGPU_ERR_RANGE, W },
	{ "fence at end", CMD(VGPU_OP_FENCE, 0, W - 8, 1), W, 0, 0 },
	{ "fence at window", CMD(VGPU_OP_FENCE, 0, W, 1), W, VGPU_ERR_RANGE,
	  W },
	{ "timestamp at end", CMD(VGPU_OP_TIMESTAMP, 0, W - 8), W, 0, 0 },
	{ "timestamp at window", CMD(VGPU_OP_TIMESTAMP, 0, W), W,
	  VGPU_ERR_RANGE, W },
	{ "gemm a at end", CMD(VGPU_OP_GEMM_I8, 0, W - 6, 0, 0,
			       3 | 1ULL << 32, 2), W, 0, 0 },
	{ "gemm a past end", CMD(VGPU_OP_GEMM_I8, 0, W - 5, 0, 0,
				 3 | 1ULL << 32, 2), W, VGPU_ERR_RANGE, W - 5 },
	{ "gemm b at end", CMD(VGPU_OP_GEMM_I8, 0, 0, W - 6, 0,
			       1 | 3ULL << 32, 2), W, 0, 0 },
	{ "gemm b past end", CMD(VGPU_OP_GEMM_I8, 0, 0, W - 5, 0,
				 1 | 3ULL << 32, 2), W, VGPU_ERR_RANGE, W - 5 },
	{ "gemm c at end", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, W - 24,
			       2 | 3ULL << 32, 1), W, 0, 0 },
	{ "gemm c past end", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, W - 20,
				 2 | 3ULL << 32, 1), W, VGPU_ERR_RANGE, W - 20 },
	/* address == window */
	{ "copy src = window", CMD(VGPU_OP_COPY, 0, W, 0, 1), W,
	  VGPU_ERR_RANGE, W },
	{ "copy dst = window", CMD(VGPU_OP_COPY, 0, 0, W, 1), W,
	  VGPU_ERR_RANGE, W },
	{ "fill dst = window", CMD(VGPU_OP_FILL, 0, W, 4), W, VGPU_ERR_RANGE,
	  W },
	{ "gemm a = window", CMD(VGPU_OP_GEMM_I8, 0, W, 0, 0,
				 0x100000001ULL, 1), W, VGPU_ERR_RANGE, W },
	{ "empty window", CMD(VGPU_OP_TIMESTAMP, 0, 0), 0, VGPU_ERR_RANGE, 0 },
	/* 64-bit overflow of addr + len */
	{ "copy src wraps", CMD(VGPU_OP_COPY, 0, TOP, 0, 0x20), W,
	  VGPU_ERR_RANGE, TOP },
	{ "copy len wraps", CMD(VGPU_OP_COPY, 0, 0x10, 0x20, TOP + 8), W,
	  VGPU_ERR_RANGE, 0x10 },
	{ "copy huge window wraps", CMD(VGPU_OP_COPY, 0, TOP, 0, 0x20),
	  U64_MAX_, VGPU_ERR_RANGE, TOP },
	{ "copy huge len", CMD(VGPU_OP_COPY, 0, 0, 0, U64_MAX_), W,
	  VGPU_ERR_RANGE, 0 },
	{ "fill wraps", CMD(VGPU_OP_FILL, 0, TOP, 0x20), W, VGPU_ERR_RANGE,
	  TOP },
	{ "fill len wraps", CMD(VGPU_OP_FILL, 0, 0x10, 0xfffffffffffffff4ULL),
	  W, VGPU_ERR_RANGE, 0x10 },
	{ "crc wraps", CMD(VGPU_OP_CRC32C, 0, TOP, 0x20, 0), W, VGPU_ERR_RANGE,
	  TOP },
	{ "crc dst near 2^64", CMD(VGPU_OP_CRC32C, 0, 0, 1, 0xfffffffffffffffcULL),
	  U64_MAX_, VGPU_ERR_RANGE, 0xfffffffffffffffcULL },
	{ "fence near 2^64", CMD(VGPU_OP_FENCE, 0, 0xfffffffffffffff8ULL, 1),
	  U64_MAX_, VGPU_ERR_RANGE, 0xfffffffffffffff8ULL },
	{ "fence in huge window", CMD(VGPU_OP_FENCE, 0, 0xfffffffffffffff0ULL,
				      1), U64_MAX_, 0, 0 },
	/* GEMM C size m * n * 4 overflowing 64 bits */
	{ "gemm m*n*4 = 2^64", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0,
				   0x80000000ULL | 0x80000000ULL << 32, 1),
	  1ULL << 40, VGPU_ERR_RANGE, 0 },
	{ "gemm m*n*4 wraps to 0", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0x100,
				       0x80000000ULL | 0x80000000ULL << 32, 1),
	  U64_MAX_, VGPU_ERR_RANGE, 0x100 },
	{ "gemm max m, n", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 8,
			       0xffffffffULL | 0xffffffffULL << 32, 1),
	  U64_MAX_, VGPU_ERR_RANGE, 8 },
	{ "gemm m*k in huge window", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0,
					 0xffffffffULL | 1ULL << 32,
					 0xffffffffULL), U64_MAX_, 0, 0 },
	{ "gemm c fits exactly", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 0,
				     0x10000ULL | 0x10000ULL << 32, 1),
	  1ULL << 34, 0, 0 },
	{ "gemm c 4 bytes over", CMD(VGPU_OP_GEMM_I8, 0, 0, 0, 4,
				     0x10000ULL | 0x10000ULL << 32, 1),
	  1ULL << 34, VGPU_ERR_RANGE, 4 },
	/* COPY overlap in the window */
	{ "copy src = dst", CMD(VGPU_OP_COPY, 0, 64, 64, 16), W,
	  VGPU_ERR_OVERLAP, 0 },
	{ "copy dst = src + len - 1", CMD(VGPU_OP_COPY, 0, 64, 79, 16), W,
	  VGPU_ERR_OVERLAP, 0 },
	{ "copy src = dst + len - 1", CMD(VGPU_OP_COPY, 0, 79, 64, 16), W,
	  VGPU_ERR_OVERLAP, 0 },
	{ "copy dst = src + len", CMD(VGPU_OP_COPY, 0, 64, 80, 16), W, 0, 0 },
	{ "copy src = dst + len", CMD(VGPU_OP_COPY, 0, 80, 64, 16), W, 0, 0 },
	{ "copy len 1 adjacent", CMD(VGPU_OP_COPY, 0, 0, 1, 1), W, 0, 0 },
	{ "copy inside", CMD(VGPU_OP_COPY, 0, 0, 100, 0x8000), W,
	  VGPU_ERR_OVERLAP, 0 },
	{ "copy same offset, src sys", CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, 64,
					   64, 16), W, 0, 0 },
	{ "copy same offset, dst sys", CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 64,
					   64, 16), W, 0, 0 },
	/* PEER_COPY: src in the window; dst only wraps; peer id in range */
	{ "peer ok", CMD(VGPU_OP_PEER_COPY, 0, 0, 0, W, 15), W, 0, 0 },
	{ "peer dst past this window", CMD(VGPU_OP_PEER_COPY, 0, 0, W, W, 0),
	  W, 0, 0 },
	{ "peer src past end", CMD(VGPU_OP_PEER_COPY, 0, 8, 0, W, 0), W,
	  VGPU_ERR_RANGE, 8 },
	{ "peer dst wraps", CMD(VGPU_OP_PEER_COPY, 0, 0, TOP, 0x11, 0), W,
	  VGPU_ERR_RANGE, TOP },
	{ "peer id 16", CMD(VGPU_OP_PEER_COPY, 0, 0, 0x40, 8, 16), W,
	  VGPU_ERR_PEER, 0x40 },
	{ "peer id ~0", CMD(VGPU_OP_PEER_COPY, 0, 0, 0x40, 8, 0xffffffff), W,
	  VGPU_ERR_PEER, 0x40 },
	{ "peer len 0", CMD(VGPU_OP_PEER_COPY, 0, 0, 0, 0, 1), W,
	  VGPU_ERR_SIZE, 0 },
	{ "peer pad", CMD(VGPU_OP_PEER_COPY, 0, 0, 0, 8, 1ULL << 32), W,
	  VGPU_ERR_SIZE, 0 },
	{ "peer flags", CMD(VGPU_OP_PEER_COPY, VGPU_CMD_DST_SYS, 0, 0, 8, 1),
	  W, VGPU_ERR_FLAGS, 0 },
	/* DMA ranges: only wrap-around is checked */
	{ "dma src to 2^64", CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, TOP, 0, 0x10),
	  W, 0, 0 },
	{ "dma src wraps", CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, TOP, 0, 0x11), W,
	  VGPU_ERR_RANGE, TOP },
	{ "dma src wraps far", CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, TOP, 0,
				   0x20), W, VGPU_ERR_RANGE, TOP },
	{ "dma dst wraps", CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 0,
			       0xffffffffffffff00ULL, 0x101), W,
	  VGPU_ERR_RANGE, 0xffffffffffffff00ULL },
	{ "dma last byte", CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 0, U64_MAX_, 1),
	  W, 0, 0 },
	{ "dma last byte + 1", CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 0, U64_MAX_,
				   2), W, VGPU_ERR_RANGE, U64_MAX_ },
	{ "dma len 2^64-1", CMD(VGPU_OP_COPY, 3, 1, 0, U64_MAX_), 0, 0, 0 },
	{ "dma len 2^64-1 from 2", CMD(VGPU_OP_COPY, 3, 2, 0, U64_MAX_), 0,
	  VGPU_ERR_RANGE, 2 },
	{ "dma src ok, window dst past end",
	  CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, TOP, W - 8, 0x10), W,
	  VGPU_ERR_RANGE, W - 8 },
};

TEST(validate_table)
{
	unsigned int i, fails = 0;

	for (i = 0; i < ARRAY_SIZE(vcases); i++) {
		const struct vcase *t = &vcases[i];
		const char *why;
		u64 bad;
		int err = validate(&t->cmd, t->window, &bad);

		if (err != t->err || bad != t->bad) {
			TH_LOG("%s: got error %d bad %#llx, want %d %#llx",
			       t->name, err, (unsigned long long)bad, t->err,
			       (unsigned long long)t->bad);
			fails++;
		}
		/* The table and the reference must agree too. */
		why = cmd_ref_check(&t->cmd, t->window, t->err, t->bad);
		if (why) {
			TH_LOG("%s: reference disagrees: %s", t->name, why);
			fails++;
		}
	}
	EXPECT_EQ(0, fails);
}

/* A length that is not a multiple of 4 is an ALIGN error too. */
TEST(validate_fill_len_unaligned)
{
	struct vgpu_cmd c = CMD(VGPU_OP_FILL, 0, 0, 0);
	u64 bad, len;

	for (len = 1; len < 16; len++) {
		c.u.fill.len = len;
		EXPECT_EQ(len % 4 ? VGPU_ERR_ALIGN : 0, validate(&c, W, &bad))
			TH_LOG("len %llu", (unsigned long long)len);
	}
}

/* Every flag bit against every opcode, on otherwise valid commands. */
TEST(validate_flags_exhaustive)
{
	static const struct vgpu_cmd good[VGPU_OP_COUNT] = {
		[VGPU_OP_NOP] = CMD(VGPU_OP_NOP, 0, 0),
		[VGPU_OP_COPY] = CMD(VGPU_OP_COPY, 0, 0, 64, 64),
		[VGPU_OP_FILL] = CMD(VGPU_OP_FILL, 0, 0, 64, 7),
		[VGPU_OP_GEMM_I8] = CMD(VGPU_OP_GEMM_I8, 0, 0, 64, 128,
					2 | 2ULL << 32, 2),
		[VGPU_OP_CRC32C] = CMD(VGPU_OP_CRC32C, 0, 0, 64, 64),
		[VGPU_OP_FENCE] = CMD(VGPU_OP_FENCE, 0, 64, 7),
		[VGPU_OP_TIMESTAMP] = CMD(VGPU_OP_TIMESTAMP, 0, 64),
		[VGPU_OP_PEER_COPY] = CMD(VGPU_OP_PEER_COPY, 0, 0, 64, 64, 3),
	};
	u32 op, bit;
	u64 bad;

	for (op = 0; op < VGPU_OP_COUNT; op++) {
		struct vgpu_cmd c = good[op];

		ASSERT_EQ(0, validate(&c, W, &bad));
		for (bit = 0; bit < 32; bit++) {
			bool ok = (op == VGPU_OP_COPY && bit < 2) ||
				  (op == VGPU_OP_FENCE && bit == 2);

			c.flags = 1u << bit;
			EXPECT_EQ(ok ? 0 : VGPU_ERR_FLAGS,
				  validate(&c, W, &bad))
				TH_LOG("opcode %u flag bit %u", op, bit);
			EXPECT_EQ(0, bad);
		}
	}
	EXPECT_EQ(0xff, vgpu_caps());
}

/* An operand value near an edge that matters, or anything. */
static u64 edge_value(u64 w)
{
	static const u64 fixed[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 255, 256, 257, 0xffff,
		0x10000, 0x10001, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ULL, 0x8000000000000000ULL, TOP, U64_MAX_ - 7,
		U64_MAX_ - 3, U64_MAX_,
	};
	u64 r = rnd();

	switch (rnd_below(6)) {
	case 0:
		return fixed[rnd_below(ARRAY_SIZE(fixed))];
	case 1:
		return w + (s64)rnd_below(33) - 16;
	case 2:
		return rnd_below(64);
	case 3:
		return w == U64_MAX_ ? r : rnd_below(w + 1);
	case 4:
		return -(r & 0xffff);
	}
	return r;
}

static u32 edge_u32(u64 w)
{
	u64 v = edge_value(w);

	if (rnd_below(4) == 0 && w)
		return (u32)(1 + rnd_below(64));
	return v >> 32 && rnd_below(2) ? (u32)(v >> 32) : (u32)v;
}

static u64 edge_window(void)
{
	static const u64 fixed[] = {
		0, 1, 4, 8, 12, 16, 4096, 0x10000, 0x10001, 1ULL << 32,
		1ULL << 40, 1ULL << 62, 1ULL << 63, U64_MAX_ - 7, U64_MAX_,
	};

	if (rnd_below(3) == 0)
		return rnd() >> rnd_below(64);
	return fixed[rnd_below(ARRAY_SIZE(fixed))];
}

static void random_cmd(struct vgpu_cmd *c, u64 w)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->opcode = rnd_below(16) ? rnd_below(VGPU_OP_COUNT) : (u32)rnd();
	c->flags = rnd_below(4) ? 0 : (u32)rnd_below(8);
	if (!rnd_below(32))
		c->flags = (u32)rnd();
	for (i = 0; i < 7; i++)
		c->u.raw[i] = edge_value(w);
	if (c->opcode == VGPU_OP_GEMM_I8) {
		c->u.gemm.m = edge_u32(w);
		c->u.gemm.n = edge_u32(w);
		c->u.gemm.k = edge_u32(w);
		c->u.gemm.pad = rnd_below(8) ? 0 : (u32)rnd();
	} else if (c->opcode == VGPU_OP_FILL) {
		c->u.fill.value = (u32)rnd();
		c->u.fill.pad = rnd_below(8) ? 0 : (u32)rnd();
	} else if (c->opcode == VGPU_OP_PEER_COPY) {
		c->u.peer.peer = rnd_below(8) ? (u32)rnd_below(20) : (u32)rnd();
		c->u.peer.pad = rnd_below(8) ? 0 : (u32)rnd();
	}
	/* Often make the alignment right, so the range checks are reached. */
	if (rnd_below(2))
		for (i = 0; i < 3; i++)
			c->u.raw[i] &= ~7ULL;
}

/* A million random edge-biased commands against the reference. */
TEST(validate_random_vs_reference)
{
	unsigned long i, accepted = 0;
	struct vgpu_cmd c;
	u64 w, bad;

	rng_seed(1);
	for (i = 0; i < 1000000; i++) {
		const char *why;
		int err;

		w = edge_window();
		random_cmd(&c, w);
		err = validate(&c, w, &bad);
		why = cmd_ref_check(&c, w, err, bad);
		if (why) {
			TH_LOG("%s: op %u flags %#x window %#llx", why,
			       c.opcode, c.flags, (unsigned long long)w);
			TH_LOG("raw %#llx %#llx %#llx %#llx %#llx %#llx %#llx",
			       (unsigned long long)c.u.raw[0],
			       (unsigned long long)c.u.raw[1],
			       (unsigned long long)c.u.raw[2],
			       (unsigned long long)c.u.raw[3],
			       (unsigned long long)c.u.raw[4],
			       (unsigned long long)c.u.raw[5],
			       (unsigned long long)c.u.raw[6]);
			TH_LOG("got error %d bad %#llx", err,
			       (unsigned long long)bad);
		}
		ASSERT_TRUE(!why);
		accepted += !err;
	}
	TH_LOG("%lu of %lu accepted", accepted, i);
	EXPECT_LT(10000, accepted);
}

/* ---- executor ------------------------------------------------------------ */

#define SYS_A		0x10000000ULL	/* 512 KiB */
#define SYS_A_LEN	(512 * KIB)
#define SYS_TOP		(0ULL - MIB)	/* the last MiB below 2^64 */
#define SYS_HOLE	0x50000000ULL	/* mapped nowhere */

static void fake_std(struct fake *f)
{
	fake_init(f, WIN);
	fake_add_sys(f, SYS_A, SYS_A_LEN);
	fake_add_sys(f, SYS_TOP, MIB);
}

/* Bytes of the fake at (sys, addr), which must be backed. */
static u8 *mem_at(struct fake *f, bool sys, u64 addr, u64 len)
{
	u8 *p;

	if (!sys) {
		win_guard(f, "check", addr, len);
		return f->win + addr;
	}
	p = sys_find(f, addr, len);
	if (!p)
		abort();
	return p;
}

static const u64 copy_lens[] = {
	1, 2, 3, 4, 5, 255, 4096, 65535, 65536, 65537, 131071, 131072, 131073,
	3 * 65536 + 17, 400000,
};

/*
 * Copy @len bytes in direction @flags, with random placement; every
 * @stall-th DMA access gives up (0: none does).
 */
static void check_copy(struct __test_metadata *_metadata, u32 flags, u64 len,
		       unsigned int stall)
{
	bool ss = flags & VGPU_CMD_SRC_SYS, ds = flags & VGPU_CMD_DST_SYS;
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, flags, 0);
	u8 *snap, *expect, *sys_snap[MAX_SYS];
	struct fake f;
	struct run r;
	unsigned int i;
	u64 bad;

	fake_std(&f);
	c.u.copy.len = len;
	c.u.copy.src = ss ? SYS_A + rnd_below(SYS_A_LEN - len + 1) :
		       rnd_below(WIN - len + 1);
	c.u.copy.dst = ds ? (rnd_below(2) ?
			     SYS_A + rnd_below(SYS_A_LEN - len + 1) :
			     SYS_TOP + rnd_below(MIB - len + 1)) :
		       rnd_below(WIN - len + 1);
	/* Now and then, put the destination against the end of its space. */
	if (!rnd_below(3))
		c.u.copy.dst = ds ? 0 - len : WIN - len;
	/* Redoing a unit is exact only if the guest's ranges do not overlap. */
	if (ss && ds && stall)
		c.u.copy.dst = SYS_TOP + rnd_below(MIB - len + 1);
	if (!ss && !ds) {
		/* Two disjoint places, either way round, maybe adjacent. */
		u64 lo = rnd_below(WIN - 2 * len + 1);
		u64 hi = rnd_below(2) ? WIN - len :
			 lo + len + rnd_below(WIN - 2 * len - lo + 1);

		c.u.copy.src = rnd_below(2) ? lo : hi;
		c.u.copy.dst = c.u.copy.src == lo ? hi : lo;
	}
	ASSERT_EQ(0, validate(&c, WIN, &bad))
		TH_LOG("len %llu", (unsigned long long)len);

	snap = snapshot(&f);
	for (i = 0; i < f.nsys; i++) {
		sys_snap[i] = malloc(f.sys[i].len);
		memcpy(sys_snap[i], f.sys[i].buf, f.sys[i].len);
	}
	expect = malloc(len);
	memcpy(expect, mem_at(&f, ss, c.u.copy.src, len), len);

	f.stall_period = stall;
	run_cmd(&f, &c, 4 * div_up(len, UNIT) + 1, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(div_up(len, UNIT) + r.stalls, r.steps);
	if (stall && f.dma_calls >= stall) {
		/* It stalled, and named an address the command touches. */
		EXPECT_LT(0, r.stalls);
		EXPECT_TRUE((r.stall_bad >= c.u.copy.src &&
			     r.stall_bad - c.u.copy.src < len) ||
			    (r.stall_bad >= c.u.copy.dst &&
			     r.stall_bad - c.u.copy.dst < len));
	}
	EXPECT_EQ(len, r.bytes);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, memcmp(expect, mem_at(&f, ds, c.u.copy.dst, len), len))
		TH_LOG("copy %#x len %llu: data differs", flags,
		       (unsigned long long)len);
	/* Nothing but the destination changed, in either space. */
	EXPECT_TRUE(untouched_outside(&f, snap, ds ? 0 : c.u.copy.dst,
				      ds ? 0 : len));
	for (i = 0; i < f.nsys; i++) {
		u64 lo = 0, n = 0;

		if (ds && c.u.copy.dst >= f.sys[i].iova &&
		    c.u.copy.dst - f.sys[i].iova < f.sys[i].len) {
			lo = c.u.copy.dst - f.sys[i].iova;
			n = len;
		}
		EXPECT_EQ(0, memcmp(f.sys[i].buf, sys_snap[i], lo));
		EXPECT_EQ(0, memcmp(f.sys[i].buf + lo + n, sys_snap[i] + lo + n,
				    f.sys[i].len - lo - n));
		free(sys_snap[i]);
	}
	free(expect);
	free(snap);
	fake_free(&f);
}

TEST(copy_window_to_window)
{
	unsigned int i, j;

	rng_seed(2);
	for (i = 0; i < ARRAY_SIZE(copy_lens); i++)
		for (j = 0; j < 3; j++)
			check_copy(_metadata, 0, copy_lens[i], 0);
	for (j = 0; j < 20; j++)
		check_copy(_metadata, 0, 1 + rnd_below(WIN / 2), 0);
}

TEST(copy_window_to_sys)
{
	unsigned int i, j;

	rng_seed(3);
	for (i = 0; i < ARRAY_SIZE(copy_lens); i++)
		for (j = 0; j < 3; j++)
			check_copy(_metadata, VGPU_CMD_DST_SYS, copy_lens[i], 0);
	for (j = 0; j < 20; j++)
		check_copy(_metadata, VGPU_CMD_DST_SYS,
			   1 + rnd_below(SYS_A_LEN), 0);
}

TEST(copy_sys_to_window)
{
	unsigned int i, j;

	rng_seed(4);
	for (i = 0; i < ARRAY_SIZE(copy_lens); i++)
		for (j = 0; j < 3; j++)
			check_copy(_metadata, VGPU_CMD_SRC_SYS, copy_lens[i], 0);
	for (j = 0; j < 20; j++)
		check_copy(_metadata, VGPU_CMD_SRC_SYS,
			   1 + rnd_below(SYS_A_LEN), 0);
}

TEST(copy_sys_to_sys)
{
	unsigned int i;

	rng_seed(5);
	for (i = 0; i < ARRAY_SIZE(copy_lens); i++)
		check_copy(_metadata, VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS,
			   copy_lens[i], 0);
}

/*
 * DMA that gives up now and then (every second or third access) is retried
 * until the copy completes, with exactly the bytes of a copy that never
 * stalled, in the destination only; a half-done write left by a stall is
 * redone.
 */
TEST(copy_dma_stalls_retry_exactly)
{
	static const u32 dirs[] = {
		VGPU_CMD_SRC_SYS, VGPU_CMD_DST_SYS,
		VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS,
	};
	unsigned int i, d;

	rng_seed(21);
	for (d = 0; d < ARRAY_SIZE(dirs); d++)
		for (i = 0; i < ARRAY_SIZE(copy_lens); i++) {
			if (copy_lens[i] > SYS_A_LEN)
				continue;
			/* sys to sys needs two good accesses in a row */
			check_copy(_metadata, dirs[d], copy_lens[i],
				   d == 2 ? 3 : 2);
		}
}

/* A DMA range ending exactly at 2^64 is valid and reachable. */
TEST(copy_dma_at_top_of_address_space)
{
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 0x100,
				0 - UNIT - 3, UNIT + 3);
	struct fake f;
	struct run r;
	u64 bad;

	rng_seed(6);
	fake_std(&f);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	run_cmd(&f, &c, 3, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(2, r.steps);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, memcmp(f.win + 0x100,
			    mem_at(&f, true, c.u.copy.dst, UNIT + 3), UNIT + 3));
	fake_free(&f);
}

static void check_fill(struct __test_metadata *_metadata, u64 len, u32 value)
{
	struct vgpu_cmd c = CMD(VGPU_OP_FILL, 0, 0, len);
	struct fake f;
	struct run r;
	u8 *snap;
	u64 bad, i;

	fake_init(&f, WIN);
	c.u.fill.value = value;
	c.u.fill.dst = rnd_below(2) ? rnd_below((WIN - len) / 4 + 1) * 4 :
		       WIN - len;
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	snap = snapshot(&f);
	run_cmd(&f, &c, div_up(len, UNIT) + 1, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(div_up(len, UNIT), r.steps);
	EXPECT_EQ(len, r.bytes);
	EXPECT_EQ(0, r.violations);
	/* The pattern is the little-endian 32-bit value, repeated. */
	for (i = 0; i < len; i++)
		if (f.win[c.u.fill.dst + i] != (u8)(value >> (8 * (i % 4))))
			break;
	EXPECT_EQ(len, i) TH_LOG("fill len %llu value %#x",
				 (unsigned long long)len, value);
	EXPECT_TRUE(untouched_outside(&f, snap, c.u.fill.dst, len));
	free(snap);
	fake_free(&f);
}

TEST(fill)
{
	static const u64 lens[] = {
		4, 8, 12, 65532, 65536, 65540, 131072, 262144 + 12, WIN,
	};
	static const u32 values[] = {
		0, 0xffffffff, 0x11223344, 0x80000001,
	};
	unsigned int i, j;

	rng_seed(7);
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		for (j = 0; j < ARRAY_SIZE(values); j++)
			check_fill(_metadata, lens[i], values[j]);
	for (i = 0; i < 20; i++)
		check_fill(_metadata, 4 * (1 + rnd_below(WIN / 4)), (u32)rnd());
}

/* Run CRC32C over @data placed at a random offset; the stored result. */
static u32 device_crc(struct __test_metadata *_metadata, const u8 *data,
		      u64 len, u64 *steps)
{
	struct vgpu_cmd c = CMD(VGPU_OP_CRC32C, 0, 0, len, 0);
	struct fake f;
	struct run r;
	u8 *snap;
	u32 crc;
	u64 bad;

	fake_init(&f, WIN);
	c.u.crc.src = rnd_below(WIN - len - 8);
	c.u.crc.dst = rnd_below(2) ? (WIN - 4) :
		      (c.u.crc.src + len + 3) & ~3ULL;
	memcpy(f.win + c.u.crc.src, data, len);
	if (validate(&c, WIN, &bad))
		abort();
	snap = snapshot(&f);
	run_cmd(&f, &c, div_up(len, UNIT) + 1, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(div_up(len, UNIT), r.steps);
	EXPECT_EQ(len, r.bytes);
	EXPECT_EQ(0, r.violations);
	EXPECT_TRUE(untouched_outside(&f, snap, c.u.crc.dst, 4));
	crc = (u32)get_le(f.win + c.u.crc.dst, 4);
	*steps = r.steps;
	free(snap);
	fake_free(&f);
	return crc;
}

TEST(crc32c_known_vectors)
{
	u8 buf[32];
	u64 steps;
	int i;

	rng_seed(8);
	EXPECT_EQ(0xe3069283, device_crc(_metadata, (const u8 *)"123456789", 9,
					 &steps));
	EXPECT_EQ(0xc1d04330, device_crc(_metadata, (const u8 *)"a", 1, &steps));
	/* RFC 3720, B.4 */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(0x8a9136aa, device_crc(_metadata, buf, 32, &steps));
	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(0x62a8ab43, device_crc(_metadata, buf, 32, &steps));
	for (i = 0; i < 32; i++)
		buf[i] = i;
	EXPECT_EQ(0x46dd794e, device_crc(_metadata, buf, 32, &steps));
	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	EXPECT_EQ(0x113fdb5c, device_crc(_metadata, buf, 32, &steps));
}

TEST(crc32c_multi_unit)
{
	static const u64 lens[] = {
		1, 2, 3, 65535, 65536, 65537, 131071, 131072, 131073, 300001,
		WIN - 16,
	};
	u8 *data = malloc(WIN);
	unsigned int i;
	u64 steps, len;

	rng_seed(9);
	rnd_fill(data, WIN);
	for (i = 0; i < ARRAY_SIZE(lens) + 10; i++) {
		len = i < ARRAY_SIZE(lens) ? lens[i] : 1 + rnd_below(WIN - 16);
		EXPECT_EQ(vgpu_crc32c(data, len),
			  device_crc(_metadata, data, len, &steps))
			TH_LOG("len %llu", (unsigned long long)len);
		EXPECT_EQ(div_up(len, UNIT), steps);
	}
	free(data);
}

/* The result may land inside the data: it is stored after the last read. */
TEST(crc32c_dst_inside_src)
{
	struct vgpu_cmd c = CMD(VGPU_OP_CRC32C, 0, 0, 3 * UNIT, UNIT);
	u32 want;
	struct fake f;
	struct run r;
	u64 bad;

	rng_seed(10);
	fake_init(&f, WIN);
	want = vgpu_crc32c(f.win, 3 * UNIT);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	run_cmd(&f, &c, 4, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(want, get_le(f.win + UNIT, 4));
	fake_free(&f);
}

/* Place a GEMM at random, run it, compare with the reference. */
static void check_gemm(struct __test_metadata *_metadata, u32 m, u32 n, u32 k,
		       int extreme)
{
	struct vgpu_cmd c = CMD(VGPU_OP_GEMM_I8, 0, 0);
	u64 sa = (u64)m * k, sb = (u64)k * n, sc = (u64)m * n * 4;
	u64 slack = WIN - sa - sb - sc - 4, gap, i, j, kk, tiles, bad;
	s32 *want = malloc(sc);
	struct fake f;
	struct run r;
	s8 *a, *b;
	u8 *snap;

	fake_init(&f, WIN);
	gap = rnd_below(slack / 3 + 1);
	c.u.gemm.a = gap;
	c.u.gemm.b = c.u.gemm.a + sa + rnd_below(slack / 3 + 1);
	c.u.gemm.c = (c.u.gemm.b + sb + rnd_below(slack / 3 + 1) + 3) & ~3ULL;
	c.u.gemm.m = m;
	c.u.gemm.n = n;
	c.u.gemm.k = k;
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	a = (s8 *)f.win + c.u.gemm.a;
	b = (s8 *)f.win + c.u.gemm.b;
	/* Random bytes are -128..127; make sure both extremes occur. */
	a[0] = -128;
	b[0] = -128;
	a[sa - 1] = 127;
	b[sb - 1] = 127;
	if (extreme) {
		memset(a, extreme > 0 ? 127 : -128, sa);
		memset(b, -128, sb);
	}
	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			s64 sum = 0;

			for (kk = 0; kk < k; kk++)
				sum += a[i * k + kk] * b[kk * n + j];
			want[i * n + j] = (s32)sum;
		}
	snap = snapshot(&f);
	f.tag[0].lo = c.u.gemm.a;
	f.tag[0].hi = c.u.gemm.a + sa;
	f.tag[1].lo = c.u.gemm.b;
	f.tag[1].hi = c.u.gemm.b + sb;
	f.gemm_tags = 1;
	tiles = div_up(m, TILE) * div_up(n, TILE);
	run_cmd(&f, &c, tiles * div_up(k, TILE_K) + 1, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(tiles * div_up(k, TILE_K), r.steps);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(sa * div_up(n, TILE) + sb * div_up(m, TILE) + sc, r.bytes);
	/* Compare as little-endian int32 elements. */
	for (i = 0; i < (u64)m * n; i++)
		if ((s32)get_le(f.win + c.u.gemm.c + 4 * i, 4) != want[i])
			break;
	EXPECT_EQ((u64)m * n, i)
		TH_LOG("gemm %ux%ux%u: C[%llu][%llu] = %d, want %d", m, n, k,
		       (unsigned long long)(i / n), (unsigned long long)(i % n),
		       (s32)get_le(f.win + c.u.gemm.c + 4 * i, 4), want[i]);
	EXPECT_TRUE(untouched_outside(&f, snap, c.u.gemm.c, sc));
	free(snap);
	free(want);
	fake_free(&f);
}

static const u32 gemm_dims[] = { 1, 15, 16, 17, 31, 33, 255, 256, 257 };

/* Every m, n, k combination of the edge sizes around TILE and TILE_K. */
FIXTURE(gemm_shapes) {
};

FIXTURE_VARIANT(gemm_shapes) {
	u32 m;
};

FIXTURE_VARIANT_ADD(gemm_shapes, m1) { .m = 1 };
FIXTURE_VARIANT_ADD(gemm_shapes, m15) { .m = 15 };
FIXTURE_VARIANT_ADD(gemm_shapes, m16) { .m = 16 };
FIXTURE_VARIANT_ADD(gemm_shapes, m17) { .m = 17 };
FIXTURE_VARIANT_ADD(gemm_shapes, m31) { .m = 31 };
FIXTURE_VARIANT_ADD(gemm_shapes, m33) { .m = 33 };
FIXTURE_VARIANT_ADD(gemm_shapes, m255) { .m = 255 };
FIXTURE_VARIANT_ADD(gemm_shapes, m256) { .m = 256 };
FIXTURE_VARIANT_ADD(gemm_shapes, m257) { .m = 257 };

FIXTURE_SETUP(gemm_shapes)
{
	rng_seed(11 + variant->m);
}

FIXTURE_TEARDOWN(gemm_shapes)
{
}

TEST_F(gemm_shapes, all_n_k)
{
	unsigned int j, l;

	for (j = 0; j < ARRAY_SIZE(gemm_dims); j++)
		for (l = 0; l < ARRAY_SIZE(gemm_dims); l++)
			check_gemm(_metadata, variant->m, gemm_dims[j],
				   gemm_dims[l], 0);
}

/* Long k: the accumulators carry across several units. */
TEST(gemm_long_k)
{
	static const u32 ks[] = { 511, 512, 513, 1000, 4097 };
	unsigned int i;

	rng_seed(12);
	for (i = 0; i < ARRAY_SIZE(ks); i++) {
		check_gemm(_metadata, 1, 1, ks[i], 0);
		check_gemm(_metadata, 17, 3, ks[i], 0);
		check_gemm(_metadata, 33, 17, ks[i], 0);
		check_gemm(_metadata, 16, 16, ks[i], 1);
		check_gemm(_metadata, 2, 17, ks[i], -1);
	}
	/* 127 * -128 * 65536 and -128 * -128 * 65536 still fit int32. */
	check_gemm(_metadata, 1, 2, 65536, 1);
	check_gemm(_metadata, 2, 1, 65536, -1);
}

TEST(gemm_random_shapes)
{
	unsigned int i;

	rng_seed(13);
	for (i = 0; i < 60; i++)
		check_gemm(_metadata, 1 + rnd_below(80), 1 + rnd_below(80),
			   1 + rnd_below(700), 0);
}

TEST(fence)
{
	struct vgpu_cmd c = CMD(VGPU_OP_FENCE, 0, 0, 0);
	struct fake f;
	struct run r;
	unsigned int i;
	u8 *snap;
	u64 bad;

	rng_seed(14);
	fake_init(&f, WIN);
	for (i = 0; i < 50; i++) {
		c.flags = i & 1 ? VGPU_CMD_IRQ : 0;
		c.u.fence.dst = i < 2 ? i * (WIN - 8) : rnd_below(WIN / 8) * 8;
		c.u.fence.value = i == 2 ? U64_MAX_ : rnd();
		ASSERT_EQ(0, validate(&c, WIN, &bad));
		snap = snapshot(&f);
		run_cmd(&f, &c, 2, &r);
		EXPECT_EQ(VGPU_STEP_DONE, r.ret);
		EXPECT_EQ(1, r.steps);
		EXPECT_EQ(0, r.violations);
		EXPECT_EQ(c.u.fence.value, get_le(f.win + c.u.fence.dst, 8));
		EXPECT_TRUE(untouched_outside(&f, snap, c.u.fence.dst, 8));
		free(snap);
	}
	fake_free(&f);
}

TEST(timestamp)
{
	struct vgpu_cmd c = CMD(VGPU_OP_TIMESTAMP, 0, 0);
	struct fake f;
	struct run r;
	unsigned int i;
	u8 *snap;
	u64 bad;

	rng_seed(15);
	fake_init(&f, WIN);
	for (i = 0; i < 20; i++) {
		c.u.ts.dst = i ? rnd_below(WIN / 8) * 8 : WIN - 8;
		f.clock = i == 1 ? U64_MAX_ : rnd();
		f.clock_calls = 0;
		ASSERT_EQ(0, validate(&c, WIN, &bad));
		snap = snapshot(&f);
		run_cmd(&f, &c, 2, &r);
		EXPECT_EQ(VGPU_STEP_DONE, r.ret);
		EXPECT_EQ(1, r.steps);
		EXPECT_EQ(0, r.violations);
		EXPECT_EQ(1, f.clock_calls);
		EXPECT_EQ(f.clock, get_le(f.win + c.u.ts.dst, 8));
		EXPECT_TRUE(untouched_outside(&f, snap, c.u.ts.dst, 8));
		free(snap);
	}
	fake_free(&f);
}

TEST(nop)
{
	struct vgpu_cmd c = CMD(VGPU_OP_NOP, 0, TOP, TOP, TOP, TOP);
	struct fake f;
	struct run r;

	fake_init(&f, 16);
	run_cmd(&f, &c, 2, &r);
	EXPECT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(1, r.steps);
	EXPECT_EQ(0, r.bytes);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, f.clock_calls);
	fake_free(&f);
}

/* ---- DMA faults ---------------------------------------------------------- */

/* Reading an unmapped IOVA fails the first step; the window is intact. */
TEST(dma_src_unmapped)
{
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, SYS_HOLE, 0x800,
				3 * UNIT);
	struct fake f;
	struct run r;
	u8 *snap;
	u64 bad;

	rng_seed(16);
	fake_std(&f);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	snap = snapshot(&f);
	run_cmd(&f, &c, 4, &r);
	EXPECT_EQ(-VGPU_ERR_DMA, r.ret);
	EXPECT_EQ(SYS_HOLE, r.bad);
	EXPECT_EQ(1, r.steps);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, memcmp(snap, f.win, WIN));
	free(snap);
	fake_free(&f);
}

TEST(dma_dst_unmapped)
{
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 0x1000,
				SYS_HOLE + 8, 100);
	u8 *snap, *sys_snap;
	struct fake f;
	struct run r;
	u64 bad;

	rng_seed(17);
	fake_std(&f);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	snap = snapshot(&f);
	sys_snap = malloc(SYS_A_LEN);
	memcpy(sys_snap, f.sys[0].buf, SYS_A_LEN);
	run_cmd(&f, &c, 4, &r);
	EXPECT_EQ(-VGPU_ERR_DMA, r.ret);
	EXPECT_EQ(SYS_HOLE + 8, r.bad);
	EXPECT_EQ(1, r.steps);
	EXPECT_EQ(0, memcmp(snap, f.win, WIN));
	EXPECT_EQ(0, memcmp(sys_snap, f.sys[0].buf, SYS_A_LEN));
	free(sys_snap);
	free(snap);
	fake_free(&f);
}

/*
 * The mapping ends on a unit boundary of the copy: two units succeed, the
 * third fails naming the first unmapped byte, and only the destination's
 * first two units changed.
 */
TEST(dma_src_runs_off_mapping)
{
	u64 src = SYS_A + SYS_A_LEN - 2 * UNIT, dst = 0x3000;
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, src, dst,
				3 * UNIT + 5);
	struct fake f;
	struct run r;
	u8 *snap;
	u64 bad;

	rng_seed(18);
	fake_std(&f);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	snap = snapshot(&f);
	run_cmd(&f, &c, 5, &r);
	EXPECT_EQ(-VGPU_ERR_DMA, r.ret);
	EXPECT_EQ(SYS_A + SYS_A_LEN, r.bad);
	EXPECT_EQ(3, r.steps);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, memcmp(f.win + dst, mem_at(&f, true, src, 2 * UNIT),
			    2 * UNIT));
	EXPECT_EQ(0, memcmp(f.win + dst + 2 * UNIT, snap + dst + 2 * UNIT,
			    UNIT + 5));
	EXPECT_TRUE(untouched_outside(&f, snap, dst, 3 * UNIT + 5));
	free(snap);
	fake_free(&f);
}

/*
 * A unit that straddles the end of a mapping fails as a whole. The address
 * reported lies in the failing unit, at or before the first unmapped byte.
 */
TEST(dma_unit_straddles_mapping_end)
{
	u64 src = SYS_A + SYS_A_LEN - 100, dst = WIN - 200;
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, VGPU_CMD_SRC_SYS, src, dst, 200);
	struct fake f;
	struct run r;
	u8 *snap;
	u64 bad;

	rng_seed(19);
	fake_std(&f);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	snap = snapshot(&f);
	run_cmd(&f, &c, 2, &r);
	EXPECT_EQ(-VGPU_ERR_DMA, r.ret);
	EXPECT_LE(src, r.bad);
	EXPECT_GE(SYS_A + SYS_A_LEN, r.bad);
	EXPECT_EQ(0, memcmp(snap, f.win, WIN));
	free(snap);
	fake_free(&f);
}

/* Window to system memory running off the mapping: sys outside intact. */
TEST(dma_dst_runs_off_mapping)
{
	u64 dst = SYS_A + SYS_A_LEN - UNIT - 10;
	struct vgpu_cmd c = CMD(VGPU_OP_COPY, VGPU_CMD_DST_SYS, 0, dst,
				2 * UNIT);
	u8 *snap, *sys_snap;
	struct fake f;
	struct run r;
	u64 bad;

	rng_seed(20);
	fake_std(&f);
	ASSERT_EQ(0, validate(&c, WIN, &bad));
	snap = snapshot(&f);
	sys_snap = malloc(SYS_A_LEN);
	memcpy(sys_snap, f.sys[0].buf, SYS_A_LEN);
	run_cmd(&f, &c, 3, &r);
	EXPECT_EQ(-VGPU_ERR_DMA, r.ret);
	EXPECT_EQ(2, r.steps);
	EXPECT_EQ(dst + UNIT, r.bad);
	EXPECT_EQ(0, memcmp(snap, f.win, WIN));
	/* The first unit landed; nothing before dst or in the last 10. */
	EXPECT_EQ(0, memcmp(f.sys[0].buf + SYS_A_LEN - UNIT - 10, f.win, UNIT));
	EXPECT_EQ(0, memcmp(sys_snap, f.sys[0].buf, SYS_A_LEN - UNIT - 10));
	EXPECT_EQ(0, memcmp(sys_snap + SYS_A_LEN - 10,
			    f.sys[0].buf + SYS_A_LEN - 10, 10));
	free(sys_snap);
	free(snap);
	fake_free(&f);
}

/* ---- PEER_COPY ------------------------------------------------------------ */

/* 3 units and a short one into peer 2, at an offset of the peer's window. */
#define PEER_LEN	(3 * UNIT + 100)
#define PEER_DST	(2 * UNIT + 4)

static struct vgpu_cmd peer_cmd(void)
{
	struct vgpu_cmd c = CMD(VGPU_OP_PEER_COPY, 0, 4096, PEER_DST,
				PEER_LEN, 2);

	return c;
}

TEST(peer_copy_exact)
{
	struct vgpu_cmd c = peer_cmd();
	struct fake f;
	struct run r;
	u8 *win, *peer;

	fake_init(&f, WIN);
	fake_add_peer(&f, 2, 8 * UNIT);
	win = malloc(WIN);
	peer = malloc(8 * UNIT);
	ASSERT_NE(NULL, win);
	ASSERT_NE(NULL, peer);
	memcpy(win, f.win, WIN);
	memcpy(peer, f.peer, 8 * UNIT);
	f.peer_stall_period = 3;
	run_cmd(&f, &c, 100, &r);
	ASSERT_EQ(VGPU_STEP_DONE, r.ret);
	EXPECT_EQ(0, r.violations);
	EXPECT_LT(0, r.stalls);
	EXPECT_EQ(PEER_LEN, r.bytes);
	EXPECT_EQ(0, memcmp(f.peer + PEER_DST, win + 4096, PEER_LEN));
	EXPECT_EQ(0, memcmp(f.peer, peer, PEER_DST));
	EXPECT_EQ(0, memcmp(f.peer + PEER_DST + PEER_LEN,
			    peer + PEER_DST + PEER_LEN,
			    8 * UNIT - PEER_DST - PEER_LEN));
	EXPECT_EQ(0, memcmp(f.win, win, WIN));
	free(win);
	free(peer);
	fake_free(&f);
}

/* A destination that leaves the peer's window: nothing is written. */
TEST(peer_copy_checks_whole_range_first)
{
	static const u64 sizes[] = { PEER_DST + PEER_LEN - 1, PEER_DST, 0 };
	struct vgpu_cmd c = peer_cmd();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct fake f;
		struct run r;

		fake_init(&f, WIN);
		fake_add_peer(&f, 2, sizes[i]);
		run_cmd(&f, &c, 100, &r);
		EXPECT_EQ(-VGPU_ERR_PEER, r.ret);
		EXPECT_EQ(PEER_DST, r.bad);
		EXPECT_EQ(1, r.steps);
		EXPECT_EQ(0, f.peer_writes);
		fake_free(&f);
	}
}

/* No such peer, no peer support, or a peer gone after two units. */
TEST(peer_copy_refused)
{
	static const struct vgpu_mem_ops no_peers = {
		.read = fake_read,
		.write = fake_write,
		.now_ns = fake_now,
	};
	struct vgpu_cmd c = peer_cmd();
	struct vgpu_exec *ex = malloc(sizeof(*ex));
	struct fake f;
	struct run r;
	u64 bad, bytes;

	ASSERT_NE(NULL, ex);
	fake_init(&f, WIN);
	fake_add_peer(&f, 3, 8 * UNIT);
	run_cmd(&f, &c, 100, &r);
	EXPECT_EQ(-VGPU_ERR_PEER, r.ret);
	EXPECT_EQ(PEER_DST, r.bad);
	EXPECT_EQ(0, f.peer_writes);

	vgpu_exec_start(ex, &c);
	EXPECT_EQ(-VGPU_ERR_PEER, vgpu_exec_step(ex, &no_peers, &f, &bad,
						 &bytes));
	EXPECT_EQ(PEER_DST, bad);

	f.peer_id = 2;
	f.peer_gone_after = 2;
	run_cmd(&f, &c, 100, &r);
	EXPECT_EQ(-VGPU_ERR_PEER, r.ret);
	EXPECT_EQ(PEER_DST + 2 * UNIT, r.bad);
	EXPECT_EQ(2, f.peer_writes);
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(0, memcmp(f.peer + PEER_DST, f.win + 4096, 2 * UNIT));
	free(ex);
	fake_free(&f);
}

/* Random valid commands in a small window: never outside it, bounded. */
TEST(exec_random_commands_stay_in_window)
{
	static const u64 win_sizes[] = { 8, 64, 4096, 65536 + 24, 3 * 65536 };
	struct fake fakes[ARRAY_SIZE(win_sizes)], *f;
	unsigned long i, ran = 0;
	unsigned int which;
	struct vgpu_cmd c;
	struct run r;
	u64 w, bad, cap;

	rng_seed(21);
	for (which = 0; which < ARRAY_SIZE(win_sizes); which++) {
		fake_init(&fakes[which], win_sizes[which]);
		fake_add_sys(&fakes[which], 0, 4096);
		fake_add_sys(&fakes[which], 0ULL - 8192, 8192);
		fake_add_peer(&fakes[which], 1, win_sizes[which]);
	}
	for (i = 0; i < 100000; i++) {
		which = rnd_below(ARRAY_SIZE(win_sizes));
		f = &fakes[which];
		w = win_sizes[which];
		random_cmd(&c, w);
		if (validate(&c, w, &bad))
			continue;
		/* Keep GEMM cheap; the shapes above cover it fully. */
		if (c.opcode == VGPU_OP_GEMM_I8 &&
		    (u64)c.u.gemm.m * c.u.gemm.n * c.u.gemm.k > (1u << 20))
			continue;
		f->gemm_tags = 0;
		cap = 2 + div_up(w, UNIT);
		if (c.opcode == VGPU_OP_GEMM_I8) {
			u64 ae = c.u.gemm.a + (u64)c.u.gemm.m * c.u.gemm.k;
			u64 be = c.u.gemm.b + (u64)c.u.gemm.k * c.u.gemm.n;

			cap = 1 + div_up(c.u.gemm.m, TILE) *
			      div_up(c.u.gemm.n, TILE) *
			      div_up(c.u.gemm.k, TILE_K);
			/* With A and B apart, unit_ok() can tell the tile. */
			if (ae <= c.u.gemm.b || be <= c.u.gemm.a) {
				f->tag[0].lo = c.u.gemm.a;
				f->tag[0].hi = ae;
				f->tag[1].lo = c.u.gemm.b;
				f->tag[1].hi = be;
				f->gemm_tags = 1;
			}
		}
		run_cmd(f, &c, cap, &r);
		ASSERT_NE(VGPU_STEP_MORE, r.ret);
		ASSERT_EQ(0, r.violations) TH_LOG("opcode %u", c.opcode);
		if (r.ret < 0)
			ASSERT_EQ(c.opcode == VGPU_OP_PEER_COPY ?
				  -VGPU_ERR_PEER : -VGPU_ERR_DMA, r.ret);
		ran++;
	}
	for (which = 0; which < ARRAY_SIZE(win_sizes); which++)
		fake_free(&fakes[which]);
	TH_LOG("%lu commands executed", ran);
	EXPECT_LT(1000, ran);
}

/*
 * vgpu_cmd_ranges(): every range of a valid command lies in the window, and
 * every window byte the command changes lies in one of its ranges (the
 * guest driver relies on this to keep jobs inside their BOs).
 */
TEST(ranges_cover_every_write)
{
	const u64 w = 3 * 65536 + 24;
	struct vgpu_range rg[VGPU_CMD_MAX_RANGES];
	unsigned long i, checked = 0;
	unsigned int n, k;
	struct vgpu_cmd c;
	struct fake f;
	struct run r;
	u8 *snap;
	u64 bad, b;

	rng_seed(33);
	fake_init(&f, w);
	fake_add_sys(&f, 0, 4096);
	snap = malloc(w);
	ASSERT_NE(NULL, snap);
	for (i = 0; i < 20000; i++) {
		random_cmd(&c, w);
		if (validate(&c, w, &bad))
			continue;
		if (c.opcode == VGPU_OP_GEMM_I8 &&
		    (u64)c.u.gemm.m * c.u.gemm.n * c.u.gemm.k > (1u << 18))
			continue;
		n = vgpu_cmd_ranges(&c, rg);
		ASSERT_GE(VGPU_CMD_MAX_RANGES, n);
		for (k = 0; k < n; k++) {
			ASSERT_LT(0, rg[k].len);
			ASSERT_GE(w, rg[k].addr);
			ASSERT_GE(w - rg[k].addr, rg[k].len);
		}
		for (b = 0; b < w; b++)
			f.win[b] = (u8)(b * 7 + i);
		memcpy(snap, f.win, w);
		f.gemm_tags = 0;
		run_cmd(&f, &c, 2 + div_up(w, UNIT) + w, &r);
		for (b = 0; b < w; b++) {
			bool inside = false;

			if (f.win[b] == snap[b])
				continue;
			for (k = 0; k < n; k++)
				inside |= b >= rg[k].addr &&
					  b - rg[k].addr < rg[k].len;
			ASSERT_TRUE(inside) TH_LOG("opcode %u byte %llu",
						   c.opcode,
						   (unsigned long long)b);
		}
		checked++;
	}
	free(snap);
	fake_free(&f);
	EXPECT_LT(1000, checked);
}

TEST_HARNESS_MAIN
