// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the migration stream (drivers/vgpu/lib/vgpu_mig.c): state
 * round trips, what a destination refuses and why, and a decoder fed whole
 * streams in pieces of every size.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "vgpu_mig.h"

#define PAGES	200u	/* window pages of the test vGPU */

static const struct vgpu_mig_ident ident = {
	.dev_major = 1, .dev_minor = 1, .engines = 2, .share = 4,
	.window_size = (u64)PAGES * VGPU_MIG_PAGE_SIZE, .profile = "ts-2",
};

/* A state a running vGPU can be in: a GEMM half way through a tile. */
static void sample_state(struct vgpu_mig_state *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->ring_base = 0x10000;
	st->ring_size = 64;
	st->ring_ctrl = VGPU_RING_ENABLE;
	st->head = 5;
	st->tail = 9;
	st->fence = 0x1234567890ULL;
	st->completed = 77;
	st->irq_status = VGPU_IRQ_COMPLETION;
	st->irq_mask = VGPU_IRQ_ERROR;
	st->exec_active = true;
	st->clock_ns = 123456789;
	st->cmd_run_ns = 4242;
	st->bar[0] = 0xfe000000;
	st->bar[1] = 0xc0000000;
	st->exec.cmd.opcode = VGPU_OP_GEMM_I8;
	st->exec.cmd.u.gemm.a = 0x20000;
	st->exec.cmd.u.gemm.b = 0x30000;
	st->exec.cmd.u.gemm.c = 0x40000;
	st->exec.cmd.u.gemm.m = 40;
	st->exec.cmd.u.gemm.n = 40;
	st->exec.cmd.u.gemm.k = 600;
	st->exec.done = 3;
	st->exec.k = 256;
	st->exec.crc = 0xdeadbeef;
	for (i = 0; i < VGPU_GEMM_TILE * VGPU_GEMM_TILE; i++)
		st->exec.acc[i / VGPU_GEMM_TILE][i % VGPU_GEMM_TILE] = i * 7919;
	st->cfg[0] = VGPU_PCI_VENDOR_ID & 0xff;
	st->cfg[1] = VGPU_PCI_VENDOR_ID >> 8;
	st->cfg[2] = VGPU_PCI_DEVICE_ID & 0xff;
	st->cfg[3] = VGPU_PCI_DEVICE_ID >> 8;
	for (i = 4; i < VGPU_MIG_CFG_SIZE; i++)
		st->cfg[i] = i * 31;
}

/* A stream being built in memory. */
struct stream {
	u8 *p;
	size_t len;
};

static void put(struct stream *s, const void *d, size_t n)
{
	s->p = realloc(s->p, s->len + n);
	memcpy(s->p + s->len, d, n);
	s->len += n;
}

static void put_rec(struct stream *s, u32 type, u64 len)
{
	u8 r[VGPU_MIG_REC_BYTES];

	vgpu_mig_rec_encode(r, type, len);
	put(s, r, sizeof(r));
}

static void put_header(struct stream *s, const struct vgpu_mig_ident *id)
{
	u8 h[VGPU_MIG_HEADER_BYTES];

	vgpu_mig_header_encode(h, id);
	put_rec(s, VGPU_MIG_REC_HEADER, sizeof(h));
	put(s, h, sizeof(h));
}

static u8 page_byte(u64 page, unsigned int i, unsigned int gen)
{
	return (u8)(page * 13 + i * 7 + gen * 101);
}

/* Pages [first, first + n) of generation gen (pre-copy resends). */
static void put_pages(struct stream *s, u64 first, u32 n, unsigned int gen)
{
	u8 pre[VGPU_MIG_PAGES_PREFIX], pg[VGPU_MIG_PAGE_SIZE];
	unsigned int i, j;

	put_rec(s, VGPU_MIG_REC_PAGES,
		VGPU_MIG_PAGES_PREFIX + (u64)n * VGPU_MIG_PAGE_SIZE);
	vgpu_mig_pages_prefix(pre, first);
	put(s, pre, sizeof(pre));
	for (i = 0; i < n; i++) {
		for (j = 0; j < VGPU_MIG_PAGE_SIZE; j++)
			pg[j] = page_byte(first + i, j, gen);
		put(s, pg, sizeof(pg));
	}
}

static void put_state(struct stream *s, const struct vgpu_mig_state *st)
{
	static u8 b[VGPU_MIG_STATE_BYTES];

	vgpu_mig_state_encode(b, st);
	put_rec(s, VGPU_MIG_REC_STATE, sizeof(b));
	put(s, b, sizeof(b));
}

/*
 * What a source sends: a pre-copy pass over all pages, pages 10..19 again
 * (written after they were sent), the state, END.
 */
static struct stream full_stream(const struct vgpu_mig_state *st)
{
	struct stream s = { 0 };
	u64 p;

	put_header(&s, &ident);
	for (p = 0; p < PAGES; p += VGPU_MIG_RUN_PAGES)
		put_pages(&s, p, p + VGPU_MIG_RUN_PAGES > PAGES ?
			  PAGES - p : VGPU_MIG_RUN_PAGES, 0);
	put_pages(&s, 10, 10, 1);
	put_state(&s, st);
	put_rec(&s, VGPU_MIG_REC_END, 0);
	return s;
}

/* The destination: a window and the state it was given. */
struct sink {
	u8 window[PAGES][VGPU_MIG_PAGE_SIZE];
	unsigned int stores[PAGES];
	struct vgpu_mig_state st;
	unsigned int states;
	int fail_state;
};

static int sink_page(void *ctx, u64 index, const u8 *data)
{
	struct sink *k = ctx;

	if (index >= PAGES)
		abort();
	memcpy(k->window[index], data, VGPU_MIG_PAGE_SIZE);
	k->stores[index]++;
	return 0;
}

static int sink_state(void *ctx, const struct vgpu_mig_state *st)
{
	struct sink *k = ctx;

	k->st = *st;
	k->states++;
	return k->fail_state;
}

static const struct vgpu_mig_rx_ops sink_ops = {
	.page = sink_page,
	.state = sink_state,
};

/* Feed s in pieces of `chunk` bytes (0: growing odd sizes). */
static int feed(struct vgpu_mig_rx *rx, struct sink *k, const struct stream *s,
		size_t chunk)
{
	size_t at = 0, n, step = 1;
	int err;

	vgpu_mig_rx_init(rx, &ident);
	while (at < s->len) {
		n = chunk ? chunk : step;
		step = step * 3 + 1;
		if (step > 20000)
			step = 1;
		if (n > s->len - at)
			n = s->len - at;
		err = vgpu_mig_rx_feed(rx, s->p + at, n, &sink_ops, k);
		if (err)
			return err;
		at += n;
	}
	return vgpu_mig_rx_finish(rx);
}

static struct vgpu_mig_rx rx;
static struct sink sink;

TEST(state_round_trip)
{
	static u8 b[VGPU_MIG_STATE_BYTES];
	struct vgpu_mig_state a, c;
	char why[VGPU_MIG_WHY_LEN];

	sample_state(&a);
	vgpu_mig_state_encode(b, &a);
	memset(&c, 0x5a, sizeof(c));
	vgpu_mig_state_decode(b, &c);
	EXPECT_EQ(0, memcmp(&a.exec.acc, &c.exec.acc, sizeof(a.exec.acc)));
	EXPECT_EQ(0, memcmp(a.cfg, c.cfg, sizeof(a.cfg)));
	EXPECT_EQ(a.ring_base, c.ring_base);
	EXPECT_EQ(a.head, c.head);
	EXPECT_EQ(a.tail, c.tail);
	EXPECT_EQ(a.fence, c.fence);
	EXPECT_EQ(a.completed, c.completed);
	EXPECT_EQ(a.clock_ns, c.clock_ns);
	EXPECT_EQ(a.cmd_run_ns, c.cmd_run_ns);
	EXPECT_EQ(a.bar[1], c.bar[1]);
	EXPECT_EQ(a.exec.done, c.exec.done);
	EXPECT_EQ(a.exec.k, c.exec.k);
	EXPECT_EQ(a.exec.crc, c.exec.crc);
	EXPECT_EQ(0, memcmp(&a.exec.cmd, &c.exec.cmd, sizeof(a.exec.cmd)));
	EXPECT_TRUE(c.exec_active);
	EXPECT_FALSE(c.halted);
	EXPECT_EQ(0, vgpu_mig_state_check(&c, ident.window_size, why,
					  sizeof(why)));
	/* The format is little endian whatever the host: byte 0 is LSB. */
	EXPECT_EQ(0x00, b[0]);
	EXPECT_EQ(0x00, b[1]);
	EXPECT_EQ(0x01, b[2]);
}

TEST(every_chunk_size_loads_the_same)
{
	static const size_t chunks[] = { 1, 3, 16, 17, 4095, 4096, 4104,
					 65536, 1 << 20, 0 };
	struct vgpu_mig_state st;
	struct stream s;
	unsigned int c, p, i;

	sample_state(&st);
	s = full_stream(&st);
	for (c = 0; c < ARRAY_SIZE(chunks); c++) {
		memset(&sink, 0, sizeof(sink));
		ASSERT_EQ(0, feed(&rx, &sink, &s, chunks[c]))
			TH_LOG("chunk %zu: %s", chunks[c], rx.why);
		EXPECT_EQ(1u, sink.states);
		EXPECT_EQ(PAGES + 10, rx.pages);
		for (p = 0; p < PAGES; p++) {
			unsigned int gen = p >= 10 && p < 20;

			EXPECT_EQ(1u + gen, sink.stores[p]);
			for (i = 0; i < VGPU_MIG_PAGE_SIZE; i += 509)
				ASSERT_EQ(page_byte(p, i, gen),
					  sink.window[p][i]);
		}
		EXPECT_EQ(st.exec.k, sink.st.exec.k);
		EXPECT_EQ(st.exec.acc[15][15], sink.st.exec.acc[15][15]);
	}
	free(s.p);
}

/* Each refusal of the header: errno and the reason's key words. */
TEST(incompatible_sources_are_refused_with_a_reason)
{
	static const struct {
		const char *what;
		int err;
		const char *why;
	} cases[] = {
		{ "profile", -EINVAL, "profile ts-8" },
		{ "window", -EINVAL, "this vGPU is ts-2" },
		{ "engines", -EINVAL, "3 engines" },
		{ "share", -EINVAL, "share 2" },
		{ "newer device minor", -EPROTONOSUPPORT, "interface 1.2" },
		{ "other device major", -EPROTONOSUPPORT, "interface 2.1" },
		{ "peer id", -EINVAL, "peer id 1 of a peer group, this vGPU is in no" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vgpu_mig_ident src = ident;
		struct stream s = { 0 };

		switch (i) {
		case 0:
			snprintf(src.profile, sizeof(src.profile), "ts-8");
			break;
		case 1:
			src.window_size *= 2;
			break;
		case 2:
			src.engines = 3;
			break;
		case 3:
			src.share = 2;
			break;
		case 4:
			src.dev_minor = 2;
			break;
		case 5:
			src.dev_major = 2;
			break;
		case 6:
			src.peer = 2;
			break;
		}
		put_header(&s, &src);
		memset(&sink, 0, sizeof(sink));
		EXPECT_EQ(cases[i].err, feed(&rx, &sink, &s, 7))
			TH_LOG("%s", cases[i].what);
		EXPECT_NE(NULL, strstr(rx.why, cases[i].why))
			TH_LOG("%s: \"%s\"", cases[i].what, rx.why);
		/* Sticky: nothing is accepted after the refusal. */
		EXPECT_EQ(cases[i].err,
			  vgpu_mig_rx_feed(&rx, s.p, 1, &sink_ops, &sink));
		free(s.p);
	}
	/* An older device minor is fine: the guest uses a subset. */
	{
		struct vgpu_mig_ident src = ident;
		struct vgpu_mig_state st;
		struct stream s = { 0 };
		u64 p;

		src.dev_minor = 0;
		sample_state(&st);
		put_header(&s, &src);
		for (p = 0; p < PAGES; p += 50)
			put_pages(&s, p, 50, 0);
		put_state(&s, &st);
		put_rec(&s, VGPU_MIG_REC_END, 0);
		EXPECT_EQ(0, feed(&rx, &sink, &s, 0)) TH_LOG("%s", rx.why);
		free(s.p);
	}
}

TEST(bad_magic_and_format_version)
{
	struct stream s = { 0 };
	u8 h[VGPU_MIG_HEADER_BYTES];

	vgpu_mig_header_encode(h, &ident);
	h[0] ^= 1;
	put_rec(&s, VGPU_MIG_REC_HEADER, sizeof(h));
	put(&s, h, sizeof(h));
	EXPECT_EQ(-EINVAL, feed(&rx, &sink, &s, 0));
	EXPECT_NE(NULL, strstr(rx.why, "magic"));
	h[0] ^= 1;
	h[8] = 2;	/* format major 2 */
	memcpy(s.p + VGPU_MIG_REC_BYTES, h, sizeof(h));
	EXPECT_EQ(-EPROTONOSUPPORT, feed(&rx, &sink, &s, 0));
	EXPECT_NE(NULL, strstr(rx.why, "format 2.1, this driver reads 1.0 to 1.1"))
		TH_LOG("\"%s\"", rx.why);
	free(s.p);
}

/*
 * A guest names its peers by id: a source in a peer group needs the same
 * id on the destination; one in no group goes anywhere. The header carries
 * the id, a 1.0 header none (the field was reserved), and more than
 * VGPU_MAX_PEERS is malformed.
 */
TEST(peer_ids_must_match)
{
	struct vgpu_mig_ident src = ident, dst = ident, got;
	u8 h[VGPU_MIG_HEADER_BYTES];
	char why[200] = "";

	src.peer = 3;
	dst.peer = 3;
	EXPECT_EQ(0, vgpu_mig_ident_check(&src, &dst, why, sizeof(why)));
	dst.peer = 1;
	EXPECT_EQ(-EINVAL, vgpu_mig_ident_check(&src, &dst, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "peer id 2 of a peer group, this vGPU is peer id 0"))
		TH_LOG("\"%s\"", why);
	src.peer = 0;
	EXPECT_EQ(0, vgpu_mig_ident_check(&src, &dst, why, sizeof(why)));

	src.peer = 5;
	vgpu_mig_header_encode(h, &src);
	EXPECT_EQ(0, vgpu_mig_header_decode(h, &got, why, sizeof(why)));
	EXPECT_EQ(5u, got.peer);
	/* In a 1.0 header the field is reserved. */
	h[10] = 0;
	EXPECT_EQ(0, vgpu_mig_header_decode(h, &got, why, sizeof(why)));
	EXPECT_EQ(0u, got.peer);
	h[10] = 1;
	h[36] = VGPU_MAX_PEERS + 1;
	EXPECT_EQ(-EINVAL, vgpu_mig_header_decode(h, &got, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "malformed"));
}

/* Streams that lie about their records: each one fails, with a reason. */
TEST(malformed_streams_fail)
{
	struct vgpu_mig_state st;
	unsigned int i;

	sample_state(&st);
	for (i = 0; i < 11; i++) {
		struct stream s = { 0 };
		const char *what = "";
		int err;

		switch (i) {
		case 0:
			what = "pages before the header";
			put_pages(&s, 0, 1, 0);
			break;
		case 1:
			what = "page run past the window";
			put_header(&s, &ident);
			put_pages(&s, PAGES - 2, 3, 0);
			break;
		case 2:
			what = "page index far past the window";
			put_header(&s, &ident);
			put_pages(&s, ~0ULL - 1, 2, 0);
			break;
		case 3:
			what = "PAGES of 65 pages";
			put_header(&s, &ident);
			put_rec(&s, VGPU_MIG_REC_PAGES, VGPU_MIG_PAGES_PREFIX +
				65ULL * VGPU_MIG_PAGE_SIZE);
			break;
		case 4:
			what = "PAGES not a whole page";
			put_header(&s, &ident);
			put_rec(&s, VGPU_MIG_REC_PAGES,
				VGPU_MIG_PAGES_PREFIX + 100);
			break;
		case 5:
			what = "two headers";
			put_header(&s, &ident);
			put_header(&s, &ident);
			break;
		case 6:
			what = "two states";
			put_header(&s, &ident);
			put_state(&s, &st);
			put_state(&s, &st);
			break;
		case 7:
			what = "END before the state";
			put_header(&s, &ident);
			put_rec(&s, VGPU_MIG_REC_END, 0);
			break;
		case 8:
			what = "anything after END";
			put_header(&s, &ident);
			put_state(&s, &st);
			put_rec(&s, VGPU_MIG_REC_END, 0);
			put_pages(&s, 0, 1, 0);
			break;
		case 9:
			what = "unknown record type";
			put_header(&s, &ident);
			put_rec(&s, 99, 8);
			break;
		case 10:
			what = "short STATE";
			put_header(&s, &ident);
			put_rec(&s, VGPU_MIG_REC_STATE, 100);
			break;
		}
		memset(&sink, 0, sizeof(sink));
		err = feed(&rx, &sink, &s, 5);
		EXPECT_EQ(-EINVAL, err) TH_LOG("%s", what);
		EXPECT_NE(0, rx.why[0]) TH_LOG("%s", what);
		if (i >= 6 && i != 7 && i != 9 && i != 10)
			EXPECT_GE(1u, sink.states) TH_LOG("%s", what);
		free(s.p);
	}
}

TEST(truncated_streams_are_incomplete)
{
	struct vgpu_mig_state st;
	struct stream s;
	size_t cut[] = { 0, 5, 16, 96, 96 + 16 + 8 + 4096 };
	unsigned int i;

	sample_state(&st);
	s = full_stream(&st);
	for (i = 0; i < ARRAY_SIZE(cut); i++) {
		struct stream t = { .p = s.p, .len = cut[i] };

		EXPECT_EQ(-EINVAL, feed(&rx, &sink, &t, 0));
		EXPECT_NE(NULL, strstr(rx.why, "ends early"));
	}
	{	/* all but the END record */
		struct stream t = { .p = s.p, .len = s.len - 16 };

		EXPECT_EQ(-EINVAL, feed(&rx, &sink, &t, 0));
		EXPECT_NE(NULL, strstr(rx.why, "no end record"));
	}
	free(s.p);
}

/* States a guest could not have left the device in. */
TEST(impossible_states_are_refused)
{
	char why[VGPU_MIG_WHY_LEN];
	struct vgpu_mig_state st;
	unsigned int i;

	for (i = 0; i < 14; i++) {
		sample_state(&st);
		switch (i) {
		case 0:
			st.ring_base = ident.window_size;
			break;
		case 1:
			st.ring_base = 0x10001;
			break;
		case 2:
			st.ring_size = 48;
			break;
		case 3:
			st.head = 64;
			break;
		case 4:
			st.tail = 100;
			break;
		case 5:
			st.ring_ctrl = 3;
			break;
		case 6:
			st.irq_status = 4;
			break;
		case 7:
			st.err_code = VGPU_ERR_PEER + 1;
			break;
		case 8:
			st.halted = true;
			break;
		case 9:
			st.exec.done = 9;
			break;	/* 9 tiles of 3x3 */
		case 10:
			st.exec.k = 100;
			break;	/* not a unit boundary */
		case 11:
			st.exec.cmd.u.gemm.c = ident.window_size - 16;
			break;
		case 12:
			st.exec.cmd.opcode = 77;
			break;
		case 13:
			st.cfg[0] = 0x86;
			break;
		}
		EXPECT_EQ(-EINVAL,
			  vgpu_mig_state_check(&st, ident.window_size, why,
					       sizeof(why))) TH_LOG("case %u", i);
	}
	/* A disabled ring keeps head and tail; a COPY mid-way is fine. */
	sample_state(&st);
	st.ring_ctrl = 0;
	st.exec.cmd.opcode = VGPU_OP_COPY;
	memset(&st.exec.cmd.u, 0, sizeof(st.exec.cmd.u));
	st.exec.cmd.u.copy.src = 0;
	st.exec.cmd.u.copy.dst = 0x80000;
	st.exec.cmd.u.copy.len = 0x30000;
	st.exec.done = 0x20000;
	st.exec.k = 0;
	EXPECT_EQ(0, vgpu_mig_state_check(&st, ident.window_size, why,
					  sizeof(why))) TH_LOG("%s", why);
	st.exec.done = 0x30000;		/* complete: not in progress */
	EXPECT_EQ(-EINVAL,
		  vgpu_mig_state_check(&st, ident.window_size, why,
				       sizeof(why)));
	st.exec.done = 0x1000;		/* not a unit boundary */
	EXPECT_EQ(-EINVAL,
		  vgpu_mig_state_check(&st, ident.window_size, why,
				       sizeof(why)));
}

TEST(device_refusing_the_state_fails_the_load)
{
	struct vgpu_mig_state st;
	struct stream s;

	sample_state(&st);
	s = full_stream(&st);
	memset(&sink, 0, sizeof(sink));
	sink.fail_state = -ENOMEM;
	EXPECT_EQ(-ENOMEM, feed(&rx, &sink, &s, 0));
	EXPECT_NE(NULL, strstr(rx.why, "could not take the state"));
	free(s.p);
}

TEST_HARNESS_MAIN
