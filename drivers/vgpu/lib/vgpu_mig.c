// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu migration stream (pure logic).
 */

/**
 * DOC: migration stream
 *
 * A vGPU's saved state is a stream of records, each a 16-byte header (type,
 * reserved, payload length; all numbers little endian) and its payload:
 *
 * - HEADER, first and once: the stream format's magic and version, the
 *   device interface version, and what the vGPU was: profile name, window
 *   size, engines, share and (since format 1.1) its peer id if it was in a
 *   peer group. A vGPU takes a stream only if the format's major version is
 *   its own and the minor not newer, the device interface's major is its
 *   own and the minor not newer (the guest may use all of the source's
 *   registers), the profile matches in name, window, engines and share, and
 *   a source in a peer group has a destination in one with the same peer
 *   id (its guest names its peers by id; the group's number is the host's
 *   and may differ); otherwise the stream is refused before any of it is
 *   used. A 1.0 stream carries no peer id, as if in no group.
 * - PAGES, any number: the index of a run's first 4 KiB page and 1 to 64
 *   pages. A page may come more than once (pre-copy sends it again when the
 *   guest wrote it after it was sent); the last copy counts. Every page of
 *   the window comes at least once.
 * - STATE, once: registers, ring position, the command in progress (its
 *   progress and, for GEMM, the tile's accumulators), the device clock and
 *   config space. It is checked as a guest's register writes would be: the
 *   ring lies in the window, head and tail are in the ring, the command in
 *   progress passes the command validator and its progress is a work unit
 *   boundary it could have reached.
 * - END, last.
 *
 * The decoder (vgpu_mig_rx_feed()) takes the stream in pieces of any size,
 * as a VMM writes it, and never trusts a length before checking it: a page
 * index outside the window, a record of the wrong size, a record out of
 * order or anything after END ends the load with an error and a reason.
 * Because a work unit completes or leaves no trace, a command in progress
 * continues on the destination from the unit after the last one the source
 * completed: it completes exactly once.
 */
#include "vgpu_mig.h"

static void vgpu_put16(u8 **p, u16 v)
{
	(*p)[0] = v;
	(*p)[1] = v >> 8;
	*p += 2;
}

static void vgpu_put32(u8 **p, u32 v)
{
	vgpu_put16(p, v);
	vgpu_put16(p, v >> 16);
}

static void vgpu_put64(u8 **p, u64 v)
{
	vgpu_put32(p, v);
	vgpu_put32(p, v >> 32);
}

static u16 vgpu_get16(const u8 **p)
{
	u16 v = (*p)[0] | (*p)[1] << 8;

	*p += 2;
	return v;
}

static u32 vgpu_get32(const u8 **p)
{
	u32 lo = vgpu_get16(p);

	return lo | (u32)vgpu_get16(p) << 16;
}

static u64 vgpu_get64(const u8 **p)
{
	u64 lo = vgpu_get32(p);

	return lo | (u64)vgpu_get32(p) << 32;
}

/**
 * vgpu_mig_rec_encode() - a record header
 * @out: VGPU_MIG_REC_BYTES bytes
 * @type: enum vgpu_mig_rec_type
 * @len: payload bytes that follow
 */
void vgpu_mig_rec_encode(u8 *out, u32 type, u64 len)
{
	vgpu_put32(&out, type);
	vgpu_put32(&out, 0);
	vgpu_put64(&out, len);
}
EXPORT_SYMBOL_VGPU(vgpu_mig_rec_encode);

/**
 * vgpu_mig_header_encode() - the HEADER payload
 * @out: VGPU_MIG_HEADER_BYTES bytes
 * @id: the saving vGPU
 */
void vgpu_mig_header_encode(u8 *out, const struct vgpu_mig_ident *id)
{
	u8 *p = out;

	memset(out, 0, VGPU_MIG_HEADER_BYTES);
	vgpu_put64(&p, VGPU_MIG_MAGIC);
	vgpu_put16(&p, VGPU_MIG_FORMAT_MAJOR);
	vgpu_put16(&p, VGPU_MIG_FORMAT_MINOR);
	vgpu_put16(&p, id->dev_major);
	vgpu_put16(&p, id->dev_minor);
	vgpu_put32(&p, VGPU_MIG_PAGE_SIZE);
	vgpu_put32(&p, id->engines);
	vgpu_put64(&p, id->window_size);
	vgpu_put32(&p, id->share);
	vgpu_put32(&p, id->peer);
	memcpy(p, id->profile, strnlen(id->profile, VGPU_MIG_NAME_LEN - 1));
}
EXPORT_SYMBOL_VGPU(vgpu_mig_header_encode);

/**
 * vgpu_mig_header_decode() - read and check the HEADER payload's format
 * @in: VGPU_MIG_HEADER_BYTES bytes
 * @id: set to the saving vGPU
 * @why: set to the reason on failure
 * @why_len: size of @why
 *
 * Return: 0; -EINVAL if it is not a vgpu stream or malformed;
 * -EPROTONOSUPPORT if its format version is not one this code reads.
 */
int vgpu_mig_header_decode(const u8 *in, struct vgpu_mig_ident *id,
			   char *why, size_t why_len)
{
	const u8 *p = in;
	u16 major, minor;
	u32 page;

	if (vgpu_get64(&p) != VGPU_MIG_MAGIC) {
		snprintf(why, why_len, "not a vgpu migration stream (bad magic)");
		return -EINVAL;
	}
	major = vgpu_get16(&p);
	minor = vgpu_get16(&p);
	if (major != VGPU_MIG_FORMAT_MAJOR || minor > VGPU_MIG_FORMAT_MINOR) {
		snprintf(why, why_len,
			 "stream format %u.%u, this driver reads %u.0 to %u.%u",
			 major, minor, VGPU_MIG_FORMAT_MAJOR,
			 VGPU_MIG_FORMAT_MAJOR, VGPU_MIG_FORMAT_MINOR);
		return -EPROTONOSUPPORT;
	}
	memset(id, 0, sizeof(*id));
	id->dev_major = vgpu_get16(&p);
	id->dev_minor = vgpu_get16(&p);
	page = vgpu_get32(&p);
	id->engines = vgpu_get32(&p);
	id->window_size = vgpu_get64(&p);
	id->share = vgpu_get32(&p);
	id->peer = vgpu_get32(&p);
	if (!minor)
		id->peer = 0;	/* reserved in 1.0 */
	memcpy(id->profile, p, VGPU_MIG_NAME_LEN);
	if (page != VGPU_MIG_PAGE_SIZE || id->profile[VGPU_MIG_NAME_LEN - 1] ||
	    !id->profile[0] || id->peer > VGPU_MAX_PEERS) {
		snprintf(why, why_len, "malformed stream header");
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_mig_header_decode);

/**
 * vgpu_mig_ident_check() - whether a vGPU can take another's saved state
 * @src: the vGPU that saved it
 * @dst: the vGPU to load it into
 * @why: set to the reason on failure
 * @why_len: size of @why
 *
 * Return: 0; -EPROTONOSUPPORT if the device interface versions differ in a
 * way the guest would notice; -EINVAL if the profiles differ, or @src was
 * in a peer group and @dst is not in one with the same peer id.
 */
int vgpu_mig_ident_check(const struct vgpu_mig_ident *src,
			 const struct vgpu_mig_ident *dst, char *why,
			 size_t why_len)
{
	if (src->dev_major != dst->dev_major ||
	    src->dev_minor > dst->dev_minor) {
		snprintf(why, why_len,
			 "saved by device interface %u.%u, this vGPU offers %u.%u",
			 src->dev_major, src->dev_minor, dst->dev_major,
			 dst->dev_minor);
		return -EPROTONOSUPPORT;
	}
	if (strcmp(src->profile, dst->profile) ||
	    src->window_size != dst->window_size ||
	    src->engines != dst->engines || src->share != dst->share) {
		snprintf(why, why_len,
			 "saved from profile %s (%llu MiB, %u engines, share %u), this vGPU is %s (%llu MiB, %u engines, share %u)",
			 src->profile, src->window_size >> 20, src->engines,
			 src->share, dst->profile, dst->window_size >> 20,
			 dst->engines, dst->share);
		return -EINVAL;
	}
	if (src->peer && src->peer != dst->peer) {
		if (dst->peer)
			snprintf(why, why_len,
				 "saved as peer id %u of a peer group, this vGPU is peer id %u of its group",
				 src->peer - 1, dst->peer - 1);
		else
			snprintf(why, why_len,
				 "saved as peer id %u of a peer group, this vGPU is in no peer group",
				 src->peer - 1);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_mig_ident_check);

/**
 * vgpu_mig_pages_prefix() - the start of a PAGES payload
 * @out: VGPU_MIG_PAGES_PREFIX bytes
 * @first_page: index of the run's first page
 */
void vgpu_mig_pages_prefix(u8 *out, u64 first_page)
{
	vgpu_put64(&out, first_page);
}
EXPORT_SYMBOL_VGPU(vgpu_mig_pages_prefix);

/**
 * vgpu_cmd_to_le() - a command as it sits in a ring, little endian
 * @cmd: the command
 * @out: sizeof(struct vgpu_cmd) bytes
 */
void vgpu_cmd_to_le(const struct vgpu_cmd *cmd, u8 *out)
{
	u8 *p = out;
	unsigned int i;

	vgpu_put32(&p, cmd->opcode);
	vgpu_put32(&p, cmd->flags);
	for (i = 0; i < ARRAY_SIZE(cmd->u.raw); i++)
		vgpu_put64(&p, cmd->u.raw[i]);
}
EXPORT_SYMBOL_VGPU(vgpu_cmd_to_le);

/**
 * vgpu_cmd_from_le() - read a command written by vgpu_cmd_to_le()
 * @in: sizeof(struct vgpu_cmd) bytes
 * @cmd: the command (unchecked)
 */
void vgpu_cmd_from_le(const u8 *in, struct vgpu_cmd *cmd)
{
	const u8 *p = in;
	unsigned int i;

	cmd->opcode = vgpu_get32(&p);
	cmd->flags = vgpu_get32(&p);
	for (i = 0; i < ARRAY_SIZE(cmd->u.raw); i++)
		cmd->u.raw[i] = vgpu_get64(&p);
}
EXPORT_SYMBOL_VGPU(vgpu_cmd_from_le);

/**
 * vgpu_mig_state_encode() - the STATE payload
 * @out: VGPU_MIG_STATE_BYTES bytes
 * @st: the state
 */
void vgpu_mig_state_encode(u8 *out, const struct vgpu_mig_state *st)
{
	u8 *p = out;
	unsigned int i, j;

	memset(out, 0, VGPU_MIG_STATE_BYTES);
	vgpu_put64(&p, st->ring_base);
	vgpu_put32(&p, st->ring_size);
	vgpu_put32(&p, st->ring_ctrl);
	vgpu_put32(&p, st->head);
	vgpu_put32(&p, st->tail);
	vgpu_put64(&p, st->fence);
	vgpu_put64(&p, st->completed);
	vgpu_put32(&p, st->irq_status);
	vgpu_put32(&p, st->irq_mask);
	vgpu_put32(&p, st->err_code);
	vgpu_put32(&p, st->err_index);
	vgpu_put64(&p, st->err_addr);
	vgpu_put32(&p, (st->halted ? 1 : 0) | (st->exec_active ? 2 : 0));
	vgpu_put32(&p, 0);
	vgpu_put64(&p, st->clock_ns);
	vgpu_put64(&p, st->cmd_run_ns);
	vgpu_put64(&p, st->bar[0]);
	vgpu_put64(&p, st->bar[1]);
	vgpu_cmd_to_le(&st->exec.cmd, out + 128);
	p = out + 128 + sizeof(struct vgpu_cmd);
	vgpu_put64(&p, st->exec.done);
	vgpu_put32(&p, st->exec.k);
	vgpu_put32(&p, st->exec.crc);
	for (i = 0; i < VGPU_GEMM_TILE; i++)
		for (j = 0; j < VGPU_GEMM_TILE; j++)
			vgpu_put32(&p, st->exec.acc[i][j]);
	memcpy(p, st->cfg, VGPU_MIG_CFG_SIZE);
}
EXPORT_SYMBOL_VGPU(vgpu_mig_state_encode);

/* Flag bits of the STATE payload's flags word. */
#define VGPU_MIG_ST_HALTED	1u
#define VGPU_MIG_ST_EXEC	2u

/**
 * vgpu_mig_state_decode() - read a STATE payload (unchecked)
 * @in: VGPU_MIG_STATE_BYTES bytes
 * @st: the state; bits this format does not know make it fail
 *	vgpu_mig_state_check()
 */
void vgpu_mig_state_decode(const u8 *in, struct vgpu_mig_state *st)
{
	const u8 *p = in;
	unsigned int i, j;
	u32 flags, rsvd;

	st->ring_base = vgpu_get64(&p);
	st->ring_size = vgpu_get32(&p);
	st->ring_ctrl = vgpu_get32(&p);
	st->head = vgpu_get32(&p);
	st->tail = vgpu_get32(&p);
	st->fence = vgpu_get64(&p);
	st->completed = vgpu_get64(&p);
	st->irq_status = vgpu_get32(&p);
	st->irq_mask = vgpu_get32(&p);
	st->err_code = vgpu_get32(&p);
	st->err_index = vgpu_get32(&p);
	st->err_addr = vgpu_get64(&p);
	flags = vgpu_get32(&p);
	rsvd = vgpu_get32(&p);
	st->halted = flags & VGPU_MIG_ST_HALTED;
	st->exec_active = flags & VGPU_MIG_ST_EXEC;
	/* Unknown flags or reserved bits: a format this code does not read. */
	if ((flags & ~(VGPU_MIG_ST_HALTED | VGPU_MIG_ST_EXEC)) || rsvd)
		st->ring_ctrl |= 0x80000000u;
	st->clock_ns = vgpu_get64(&p);
	st->cmd_run_ns = vgpu_get64(&p);
	st->bar[0] = vgpu_get64(&p);
	st->bar[1] = vgpu_get64(&p);
	vgpu_cmd_from_le(in + 128, &st->exec.cmd);
	p = in + 128 + sizeof(struct vgpu_cmd);
	st->exec.done = vgpu_get64(&p);
	st->exec.k = vgpu_get32(&p);
	st->exec.crc = vgpu_get32(&p);
	for (i = 0; i < VGPU_GEMM_TILE; i++)
		for (j = 0; j < VGPU_GEMM_TILE; j++)
			st->exec.acc[i][j] = vgpu_get32(&p);
	memcpy(st->cfg, p, VGPU_MIG_CFG_SIZE);
}
EXPORT_SYMBOL_VGPU(vgpu_mig_state_decode);

static bool vgpu_mig_ring_ok(const struct vgpu_mig_state *st, u64 window)
{
	u64 bytes = (u64)st->ring_size * sizeof(struct vgpu_cmd);

	if (!(st->ring_ctrl & VGPU_RING_ENABLE))
		return st->head < VGPU_RING_MAX_ENTRIES &&
		       st->tail < VGPU_RING_MAX_ENTRIES;
	return st->ring_size >= VGPU_RING_MIN_ENTRIES &&
	       st->ring_size <= VGPU_RING_MAX_ENTRIES &&
	       vgpu_is_pow2(st->ring_size) &&
	       !(st->ring_base % VGPU_RING_ALIGN) &&
	       st->ring_base <= window && bytes <= window - st->ring_base &&
	       st->head < st->ring_size && st->tail < st->ring_size;
}

/**
 * vgpu_mig_state_check() - whether a saved state is one a vGPU can be in
 * @st: the state
 * @window_size: the window of the vGPU that is to take it
 * @why: set to the reason on failure
 * @why_len: size of @why
 *
 * Return: 0, or -EINVAL.
 */
int vgpu_mig_state_check(const struct vgpu_mig_state *st, u64 window_size,
			 char *why, size_t why_len)
{
	const u32 irqs = VGPU_IRQ_COMPLETION | VGPU_IRQ_ERROR;
	const u8 *c = st->cfg;
	u64 bad;

	if (st->ring_ctrl & ~VGPU_RING_ENABLE) {
		snprintf(why, why_len, "unknown ring control or state flags");
		return -EINVAL;
	}
	if (!vgpu_mig_ring_ok(st, window_size)) {
		snprintf(why, why_len,
			 "ring at %#llx of %u entries (head %u, tail %u) does not fit the window",
			 st->ring_base, st->ring_size, st->head, st->tail);
		return -EINVAL;
	}
	if ((st->irq_status | st->irq_mask) & ~irqs ||
	    st->err_code > VGPU_ERR_PEER) {
		snprintf(why, why_len, "unknown interrupt or error code");
		return -EINVAL;
	}
	if (st->halted && st->exec_active) {
		snprintf(why, why_len, "a halted ring with a command in progress");
		return -EINVAL;
	}
	if (st->exec_active &&
	    (vgpu_cmd_validate(&st->exec.cmd, window_size, &bad) ||
	     !vgpu_exec_progress_valid(&st->exec.cmd, st->exec.done,
				       st->exec.k))) {
		snprintf(why, why_len,
			 "command in progress (opcode %u, progress %llu/%u) is not one the device could be running",
			 st->exec.cmd.opcode, st->exec.done, st->exec.k);
		return -EINVAL;
	}
	if ((c[0] | c[1] << 8) != VGPU_PCI_VENDOR_ID ||
	    (c[2] | c[3] << 8) != VGPU_PCI_DEVICE_ID) {
		snprintf(why, why_len, "config space of another device");
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_mig_state_check);

/**
 * vgpu_mig_rx_init() - start decoding a stream
 * @rx: the decoder
 * @local: the vGPU the stream is for
 */
void vgpu_mig_rx_init(struct vgpu_mig_rx *rx,
		      const struct vgpu_mig_ident *local)
{
	memset(rx, 0, sizeof(*rx));
	rx->local = *local;
}
EXPORT_SYMBOL_VGPU(vgpu_mig_rx_init);

static int vgpu_mig_rx_fail(struct vgpu_mig_rx *rx, int err)
{
	rx->err = err;
	return err;
}

/* A record header is complete: check its type, order and length. */
static int vgpu_mig_rx_record(struct vgpu_mig_rx *rx)
{
	const u8 *p = rx->rec;
	u64 pages_max = (u64)VGPU_MIG_RUN_PAGES * VGPU_MIG_PAGE_SIZE;
	bool is_header;
	u32 rsvd;
	u64 want;

	rx->type = vgpu_get32(&p);
	rsvd = vgpu_get32(&p);
	rx->len = vgpu_get64(&p);
	rx->got = 0;
	is_header = rx->type == VGPU_MIG_REC_HEADER;
	if (rx->ended || rsvd || rx->have_header == is_header) {
		snprintf(rx->why, sizeof(rx->why),
			 "record type %u out of order at stream byte %llu",
			 rx->type, rx->bytes);
		return vgpu_mig_rx_fail(rx, -EINVAL);
	}
	switch (rx->type) {
	case VGPU_MIG_REC_HEADER:
		want = VGPU_MIG_HEADER_BYTES;
		break;
	case VGPU_MIG_REC_STATE:
		want = rx->have_state ? ~rx->len : VGPU_MIG_STATE_BYTES;
		break;
	case VGPU_MIG_REC_END:
		want = rx->have_state ? 0 : ~rx->len;
		break;
	case VGPU_MIG_REC_PAGES:
		want = rx->len;
		if (rx->have_state || rx->len <= VGPU_MIG_PAGES_PREFIX ||
		    rx->len - VGPU_MIG_PAGES_PREFIX > pages_max ||
		    (rx->len - VGPU_MIG_PAGES_PREFIX) % VGPU_MIG_PAGE_SIZE)
			want = ~rx->len;
		break;
	default:
		want = ~rx->len;
	}
	if (rx->len != want) {
		snprintf(rx->why, sizeof(rx->why),
			 "record type %u of %llu bytes is malformed or out of order at stream byte %llu",
			 rx->type, rx->len, rx->bytes);
		return vgpu_mig_rx_fail(rx, -EINVAL);
	}
	if (rx->type == VGPU_MIG_REC_END)
		rx->ended = true;
	return 0;
}

/* A HEADER or STATE payload is complete in rx->buf. */
static int vgpu_mig_rx_small(struct vgpu_mig_rx *rx,
			     const struct vgpu_mig_rx_ops *ops, void *ctx)
{
	struct vgpu_mig_ident src;
	int err;

	if (rx->type == VGPU_MIG_REC_HEADER) {
		err = vgpu_mig_header_decode(rx->buf, &src, rx->why,
					     sizeof(rx->why));
		if (!err)
			err = vgpu_mig_ident_check(&src, &rx->local, rx->why,
						   sizeof(rx->why));
		if (err)
			return vgpu_mig_rx_fail(rx, err);
		rx->have_header = true;
		return 0;
	}
	vgpu_mig_state_decode(rx->buf, &rx->st);
	err = vgpu_mig_state_check(&rx->st, rx->local.window_size, rx->why,
				   sizeof(rx->why));
	if (err)
		return vgpu_mig_rx_fail(rx, err);
	err = ops->state(ctx, &rx->st);
	if (err) {
		snprintf(rx->why, sizeof(rx->why),
			 "the vGPU could not take the state: %d", err);
		return vgpu_mig_rx_fail(rx, err);
	}
	rx->have_state = true;
	return 0;
}

/* Payload bytes of a PAGES record: the prefix, then whole pages. */
static int vgpu_mig_rx_pages(struct vgpu_mig_rx *rx, const u8 *data,
			     size_t n, const struct vgpu_mig_rx_ops *ops,
			     void *ctx)
{
	u64 pages = rx->local.window_size / VGPU_MIG_PAGE_SIZE;
	u64 count = (rx->len - VGPU_MIG_PAGES_PREFIX) / VGPU_MIG_PAGE_SIZE;
	u64 at = rx->got - VGPU_MIG_PAGES_PREFIX;
	size_t in = at % VGPU_MIG_PAGE_SIZE;
	const u8 *p = rx->buf;
	int err;

	if (rx->got < VGPU_MIG_PAGES_PREFIX) {
		memcpy(rx->buf + rx->got, data, n);
		if (rx->got + n < VGPU_MIG_PAGES_PREFIX)
			return 0;
		rx->first_page = vgpu_get64(&p);
		if (rx->first_page >= pages || count > pages - rx->first_page) {
			snprintf(rx->why, sizeof(rx->why),
				 "pages %llu..%llu are outside the window of %llu pages",
				 rx->first_page, rx->first_page + count - 1,
				 pages);
			return vgpu_mig_rx_fail(rx, -EINVAL);
		}
		return 0;
	}
	memcpy(rx->page + in, data, n);
	if (in + n < VGPU_MIG_PAGE_SIZE)
		return 0;
	err = ops->page(ctx, rx->first_page + at / VGPU_MIG_PAGE_SIZE,
			rx->page);
	if (err) {
		snprintf(rx->why, sizeof(rx->why),
			 "the vGPU could not take page %llu: %d",
			 rx->first_page + at / VGPU_MIG_PAGE_SIZE, err);
		return vgpu_mig_rx_fail(rx, err);
	}
	rx->pages++;
	return 0;
}

/**
 * vgpu_mig_rx_feed() - decode the next piece of a stream
 * @rx: the decoder
 * @data: the piece
 * @len: its bytes, any number
 * @ops: where pages and the state go, once checked
 * @ctx: passed to @ops
 *
 * Return: 0 once the piece is consumed, or a negative errno (and &rx->why)
 * for the first error; every later call fails the same way.
 */
int vgpu_mig_rx_feed(struct vgpu_mig_rx *rx, const u8 *data, size_t len,
		     const struct vgpu_mig_rx_ops *ops, void *ctx)
{
	u64 n, boundary;
	int err;

	while (len && !rx->err) {
		if (rx->rec_got < VGPU_MIG_REC_BYTES) {
			n = vgpu_min_u64(len, VGPU_MIG_REC_BYTES - rx->rec_got);
			memcpy(rx->rec + rx->rec_got, data, n);
			rx->rec_got += n;
			err = rx->rec_got == VGPU_MIG_REC_BYTES ?
			      vgpu_mig_rx_record(rx) : 0;
		} else {
			/*
			 * Consume up to the next boundary the decoder acts
			 * on: the end of the PAGES prefix or of a page, or
			 * the end of a small record.
			 */
			n = vgpu_min_u64(len, rx->len - rx->got);
			if (rx->type == VGPU_MIG_REC_PAGES) {
				boundary = rx->got < VGPU_MIG_PAGES_PREFIX ?
					   VGPU_MIG_PAGES_PREFIX - rx->got :
					   VGPU_MIG_PAGE_SIZE -
					   (rx->got - VGPU_MIG_PAGES_PREFIX) %
					   VGPU_MIG_PAGE_SIZE;
				n = vgpu_min_u64(n, boundary);
				err = vgpu_mig_rx_pages(rx, data, n, ops, ctx);
			} else {
				memcpy(rx->buf + rx->got, data, n);
				err = rx->got + n == rx->len ?
				      vgpu_mig_rx_small(rx, ops, ctx) : 0;
			}
			rx->got += n;
		}
		if (err)
			return err;
		rx->bytes += n;
		data += n;
		len -= n;
		/* The payload is complete: the next record begins. */
		if (rx->rec_got == VGPU_MIG_REC_BYTES && rx->got == rx->len)
			rx->rec_got = 0;
	}
	return rx->err;
}
EXPORT_SYMBOL_VGPU(vgpu_mig_rx_feed);

/**
 * vgpu_mig_rx_finish() - whether the stream was complete
 * @rx: the decoder, fed the whole stream
 *
 * Return: 0 if it ended with END after a header and a state, else the
 * stream's error or -EINVAL (and &rx->why).
 */
int vgpu_mig_rx_finish(struct vgpu_mig_rx *rx)
{
	if (rx->err)
		return rx->err;
	if (!rx->ended || rx->rec_got) {
		snprintf(rx->why, sizeof(rx->why),
			 "stream ends early after %llu bytes (%s)", rx->bytes,
			 !rx->have_header ? "no header" :
			 !rx->have_state ? "no device state" : "no end record");
		return vgpu_mig_rx_fail(rx, -EINVAL);
	}
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_mig_rx_finish);
