// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu peer groups and PEER_COPY, driven through VFIO as a VMM would: two
 * vGPUs of a group copy into each other's windows exactly and are counted
 * on both sides; a vGPU outside the group cannot be reached (the command
 * faults with PEER and nothing of anyone else changes); a copy that would
 * leave the peer's window writes nothing; a peer that leaves the group or
 * is removed while copies run ends them with PEER, and a paused peer makes
 * them wait until it is resumed. The sysfs knob refuses what it must.
 */
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_vfio.h"

/* Two partitions: 16 MiB vGPUs and 1 MiB ones, both time-sliced. */
#define PARAMS		"mem_size_mb=256 num_engines=2 profiles=ts:16M:1:4,sm:1M:1:32"
#define RING_OFF	0
#define FENCE_OFF	0x1000
#define SRC_OFF		0x10000
#define DST_OFF		0x20000
#define LEN		0x100000u /* 16 work units */

struct pv {
	char uuid[40];
	struct vgpu_dev *d;
	__u64 fence;
};

FIXTURE(peer) {
	struct pv x, y, z;
};

static int pv_new(struct pv *v, const char *type, bool open)
{
	uuid_gen(v->uuid);
	if (vgpu_create(type, v->uuid))
		return -1;
	if (!open)
		return 0;
	if (vgpu_dev_open(v->uuid, &v->d))
		return -1;
	return vgpu_ring_init(v->d, RING_OFF, 64);
}

static void pv_free(struct pv *v)
{
	vgpu_test_drop(v->uuid, &v->d);
}

static int pv_join(const struct pv *v, const char *group)
{
	return vgpu_attr_write(v->uuid, "peer_group", group);
}

/* Queue @c and a fence; wait for it. 0, or -EIO if the ring halted. */
static int pv_run(struct pv *v, struct vgpu_cmd c, int timeout_ms)
{
	struct vgpu_cmd cmds[2] = {
		c, vgpu_cmd_fence(FENCE_OFF, ++v->fence, false),
	};
	int ret = vgpu_submit(v->d, cmds, 2);

	return ret ? ret : vgpu_wait_fence(v->d, v->fence, timeout_ms);
}

/* After a fault: the engine reset, and the ring set up again. */
static int pv_recover(struct pv *v)
{
	if (vgpu_write32(v->d, VGPU_REG_RESET, VGPU_RESET_RING_MAGIC))
		return -1;
	v->fence = vgpu_read64(v->d, VGPU_REG_FENCE);
	return vgpu_ring_init(v->d, RING_OFF, 64);
}

static void fill_pattern(void *p, size_t len, unsigned int seed)
{
	__u32 *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed * 2654435761u + (__u32)i * 40503u;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

FIXTURE_SETUP(peer)
{
	memset(self, 0, sizeof(*self));
	vgpu_remove_all();
	if (vgpu_loaded())
		ASSERT_EQ(0, vgpu_unload());
	ASSERT_EQ(0, vgpu_load(PARAMS));
	ASSERT_EQ(0, pv_new(&self->x, "ts", true));
	ASSERT_EQ(0, pv_new(&self->y, "sm", true));
	ASSERT_EQ(0, pv_new(&self->z, "ts", true));
	ASSERT_EQ(0, pv_join(&self->x, "7"));
	ASSERT_EQ(0, pv_join(&self->y, "7"));
	ASSERT_EQ(0, pv_join(&self->z, "8"));
}

FIXTURE_TEARDOWN(peer)
{
	pv_free(&self->x);
	pv_free(&self->y);
	pv_free(&self->z);
	vgpu_unload();
}

/* Registers and sysfs agree on the groups; a copy lands exactly. */
TEST_F(peer, copy_exact)
{
	struct pv *x = &self->x, *y = &self->y;
	unsigned char *ref = malloc(LEN);
	__u64 cmds0 = vgpu_attr_num(x->uuid, "commands");

	ASSERT_NE(NULL, ref);
	EXPECT_EQ(7, vgpu_read32(x->d, VGPU_REG_PEER_GROUP));
	EXPECT_EQ(0, vgpu_read32(x->d, VGPU_REG_PEER_ID));
	EXPECT_EQ(1, vgpu_read32(y->d, VGPU_REG_PEER_ID));
	EXPECT_EQ(3, vgpu_read32(x->d, VGPU_REG_PEER_MASK));
	EXPECT_EQ(3, vgpu_read32(y->d, VGPU_REG_PEER_MASK));
	EXPECT_EQ(8, vgpu_read32(self->z.d, VGPU_REG_PEER_GROUP));
	EXPECT_EQ(1, vgpu_read32(self->z.d, VGPU_REG_PEER_MASK));
	EXPECT_EQ(1, vgpu_attr_num(y->uuid, "peer_id"));
	EXPECT_EQ(1u << VGPU_OP_PEER_COPY,
		  vgpu_read32(x->d, VGPU_REG_CAPS) & (1u << VGPU_OP_PEER_COPY));

	/* x -> y: 1 MiB less 4 bytes, so the last unit is a short one. */
	fill_pattern(ref, LEN, 1);
	memcpy((char *)x->d->window + SRC_OFF, ref, LEN);
	ASSERT_EQ(0, pv_run(x, vgpu_cmd_peer_copy(SRC_OFF, 0, LEN - 4, 1),
			    10000));
	EXPECT_EQ(0, memcmp(y->d->window, ref, LEN - 4));
	EXPECT_EQ(LEN - 4, vgpu_attr_num(x->uuid, "peer_tx_bytes"));
	EXPECT_EQ(LEN - 4, vgpu_attr_num(y->uuid, "peer_rx_bytes"));
	EXPECT_EQ(0, vgpu_attr_num(y->uuid, "peer_tx_bytes"));
	EXPECT_EQ(cmds0 + 2, vgpu_attr_num(x->uuid, "commands"));

	/* y -> x, back into the other half of x's window. */
	fill_pattern(ref, 0x8000, 2);
	memcpy((char *)y->d->window + 0x40000, ref, 0x8000);
	ASSERT_EQ(0, pv_run(y, vgpu_cmd_peer_copy(0x40000, 8u << 20, 0x8000, 0),
			    10000));
	EXPECT_EQ(0, memcmp((char *)x->d->window + (8u << 20), ref, 0x8000));
	EXPECT_EQ(0x8000, vgpu_attr_num(x->uuid, "peer_rx_bytes"));
	EXPECT_EQ(0, vgpu_attr_num(self->z.uuid, "peer_rx_bytes"));
	EXPECT_EQ(0, vgpu_attr_num(x->uuid, "errors"));
	free(ref);
}

/* Peers outside the group, past the window, or none: PEER, no writes. */
TEST_F(peer, refused)
{
	struct pv *x = &self->x, *y = &self->y, *z = &self->z;
	static const struct {
		const char *what;
		__u64 dst, len;
		__u32 peer;
	} bad[] = {
		{ "peer id 2: nobody (z is id 0 of group 8)", 0, 4096, 2 },
		{ "peer id 15", 0, 4096, 15 },
		{ "peer id 16 (validator)", 0, 4096, 16 },
		{ "past y's 1 MiB window", (1u << 20) - 4096, 8192, 1 },
		{ "at y's end", 1u << 20, 4, 1 },
		{ "wrapping", ~0ull - 4095, 8192, 1 },
	};
	unsigned char *zref = malloc(LEN), *yref = malloc(LEN);
	unsigned int i;

	ASSERT_NE(NULL, zref);
	ASSERT_NE(NULL, yref);
	fill_pattern(zref, LEN, 3);
	memcpy(z->d->window, zref, LEN);
	fill_pattern(yref, LEN, 4);
	memcpy(y->d->window, yref, LEN);
	memset((char *)x->d->window + SRC_OFF, 0xa5, 0x4000);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vgpu_cmd c = vgpu_cmd_peer_copy(SRC_OFF, bad[i].dst,
						       bad[i].len, bad[i].peer);
		__u32 code;

		TH_LOG("%s", bad[i].what);
		EXPECT_EQ(-EIO, pv_run(x, c, 10000));
		code = vgpu_read32(x->d, VGPU_REG_ERR_CODE);
		EXPECT_EQ(bad[i].dst == ~0ull - 4095 ? VGPU_ERR_RANGE :
			  VGPU_ERR_PEER, code);
		EXPECT_EQ(bad[i].dst, vgpu_read64(x->d, VGPU_REG_ERR_ADDR));
		ASSERT_EQ(0, pv_recover(x));
	}
	EXPECT_EQ(0, memcmp(z->d->window, zref, LEN));
	EXPECT_EQ(0, memcmp(y->d->window, yref, LEN));
	EXPECT_EQ(0, vgpu_attr_num(z->uuid, "peer_rx_bytes"));
	EXPECT_EQ(0, vgpu_attr_num(y->uuid, "peer_rx_bytes"));
	EXPECT_EQ(ARRAY_SIZE(bad),
		  vgpu_attr_num(x->uuid, "errors"));
	EXPECT_EQ(0, vgpu_attr_num(z->uuid, "errors"));

	/* Out of every group: no peer at all, not even itself. */
	ASSERT_EQ(0, pv_join(x, "0"));
	EXPECT_EQ(0, vgpu_read32(x->d, VGPU_REG_PEER_GROUP));
	EXPECT_EQ(0, vgpu_read32(x->d, VGPU_REG_PEER_MASK));
	EXPECT_EQ(1, vgpu_read32(y->d, VGPU_REG_PEER_MASK) >> 1);
	EXPECT_EQ(-EIO, pv_run(x, vgpu_cmd_peer_copy(SRC_OFF, 0, 4096, 0),
			       10000));
	EXPECT_EQ(VGPU_ERR_PEER, vgpu_read32(x->d, VGPU_REG_ERR_CODE));
	ASSERT_EQ(0, pv_recover(x));
	EXPECT_EQ(0, memcmp(z->d->window, zref, LEN));

	/* And it still computes after its faults. */
	EXPECT_EQ(0, pv_run(x, vgpu_cmd_fill(SRC_OFF, 4096, 1), 10000));
	free(zref);
	free(yref);
}

/* What the operator may and may not write to peer_group. */
TEST_F(peer, sysfs)
{
	static const struct {
		const char *val;
		int err;
	} bad[] = {
		{ "abc", -EINVAL }, { "-1", -EINVAL }, { "7x", -EINVAL },
		{ "65536", -ERANGE }, { "99999999999999999999", -ERANGE },
	};
	struct pv more[16];
	unsigned int i;
	int kfd = kmsg_open();

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(bad[i].err, pv_join(&self->x, bad[i].val));
		EXPECT_EQ(7, vgpu_attr_num(self->x.uuid, "peer_group"));
	}
	EXPECT_TRUE(kmsg_find(kfd, "peer_group: 65536 is out of range"));

	/* A group holds 16: y is one of group 7, 15 more fit, not 16. */
	memset(more, 0, sizeof(more));
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, pv_new(&more[i], "sm", false));
		EXPECT_EQ(i < 14 ? 0 : -ENOSPC, pv_join(&more[i], "7"));
	}
	EXPECT_TRUE(kmsg_find(kfd, "group 7 already has 16 members"));
	EXPECT_EQ(0xffff, vgpu_read32(self->y.d, VGPU_REG_PEER_MASK));
	EXPECT_EQ(0, vgpu_attr_num(more[14].uuid, "peer_group"));
	/* Moving to another group frees the id; the lowest is reused. */
	ASSERT_EQ(0, pv_join(&more[3], "9"));
	EXPECT_EQ(0, pv_join(&more[14], "7"));
	EXPECT_EQ(5, vgpu_attr_num(more[14].uuid, "peer_id"));
	for (i = 0; i < 16; i++)
		pv_free(&more[i]);
	EXPECT_EQ(0x3, vgpu_read32(self->y.d, VGPU_REG_PEER_MASK));
	close(kfd);
}

/* Copies in flight while the peer leaves, or is removed: PEER, no harm. */
TEST_F(peer, leave_and_remove_during_copies)
{
	struct pv *x = &self->x, *y = &self->y, *w = &self->z;
	unsigned int round, faults = 0;

	/* w: a 16 MiB peer, so that one copy takes a while. */
	ASSERT_EQ(0, pv_join(w, "7"));
	for (round = 0; round < 4; round++) {
		struct vgpu_cmd c[2];
		int ret;

		for (int i = 0; i < 2; i++)
			c[i] = vgpu_cmd_peer_copy(0, 0, 8u << 20, 2);
		ASSERT_EQ(0, vgpu_submit(x->d, c, 2));
		usleep(round * 20000);
		if (round % 2 == 0) {
			ASSERT_EQ(0, pv_join(w, "0"));
		} else {
			pv_free(w);
			ASSERT_EQ(0, pv_new(w, "ts", false));
		}
		ret = vgpu_wait_idle(x->d, 20000);
		if (ret == -EIO) {
			faults++;
			EXPECT_EQ(VGPU_ERR_PEER,
				  vgpu_read32(x->d, VGPU_REG_ERR_CODE));
		} else {
			EXPECT_EQ(0, ret);
		}
		ASSERT_EQ(0, pv_recover(x));
		ASSERT_EQ(0, pv_join(w, "7"));
	}
	TH_LOG("%u of 4 rounds ended with a PEER fault", faults);
	EXPECT_GT(faults, 0);
	/* y, untouched by all this, still takes copies. */
	EXPECT_EQ(0, pv_run(x, vgpu_cmd_peer_copy(0, 0, 4096, 1), 10000));
	EXPECT_EQ(4096, vgpu_attr_num(y->uuid, "peer_rx_bytes"));
}

/* A paused peer takes no writes: the copy waits, then completes. */
TEST_F(peer, paused_peer_waits)
{
	struct pv *x = &self->x, *y = &self->y;
	char path[256];
	unsigned long long t0;
	struct vgpu_cmd c[2];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/state", y->uuid);
	memset(y->d->window, 0, 0x10000);
	memset((char *)x->d->window + SRC_OFF, 0x5a, 0x10000);
	ASSERT_EQ(0, sysfs_write(path, "pause"));
	c[0] = vgpu_cmd_peer_copy(SRC_OFF, 0, 0x10000, 1);
	c[1] = vgpu_cmd_fence(FENCE_OFF, ++x->fence, false);
	ASSERT_EQ(0, vgpu_submit(x->d, c, 2));
	t0 = now_ms();
	while (vgpu_attr_num(x->uuid, "dma_stalls") < 2 && now_ms() - t0 < 10000)
		usleep(5000);
	EXPECT_GE(vgpu_attr_num(x->uuid, "dma_stalls"), 2);
	EXPECT_EQ(0, ((unsigned char *)y->d->window)[0]);
	EXPECT_EQ(0, vgpu_attr_num(y->uuid, "peer_rx_bytes"));
	ASSERT_EQ(0, sysfs_write(path, "resume"));
	ASSERT_EQ(0, vgpu_wait_fence(x->d, x->fence, 10000));
	EXPECT_EQ(0x5a, ((unsigned char *)y->d->window)[0xffff]);
	EXPECT_EQ(0x10000, vgpu_attr_num(y->uuid, "peer_rx_bytes"));
}

TEST_HARNESS_MAIN
