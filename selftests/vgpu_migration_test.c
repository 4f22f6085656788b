// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO migration v2 of mdev vGPUs in the VM, driven as a VMM drives it: a
 * vGPU computing GEMMs is live-migrated (pre-copy while the CPU writes its
 * window, then stop-copy) to a second vGPU, where the work finishes exactly
 * and every command runs exactly once; suspend to a file and resume on a
 * newly created vGPU; a vGPU of another profile (or, for a source in a peer
 * group, of another peer id) refuses the stream and the source goes on; a
 * truncated stream leaves the target in ERROR until a reset; and what the
 * vGPU writes into guest memory shows in the IOMMU's dirty log.
 */
#include <sys/ioctl.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_test_mig.h"

#define RING_OFF	0
#define A_OFF		0x100000
#define B_OFF		0x200000	/* A and B: 1 MiB each */
#define C_OFF		0x400000	/* NGEMM results, C_STRIDE apart */
#define C_STRIDE	0x10000
#define D_OFF		0x800000	/* the "CPU" writes here */
#define D_PAGES		64
#define FENCE_OFF	0xf00000
#define GM		32
#define GN		32
#define GK		32768
#define NGEMM		12

/* Write a stream to a resuming data fd in pieces of odd sizes. */
static int feed(int dfd, const struct vgpu_mig_stream *s)
{
	size_t at = 0, step = 1;
	ssize_t n;

	while (at < s->len) {
		size_t want = step < s->len - at ? step : s->len - at;

		n = write(dfd, s->p + at, want);
		if (n < 0)
			return -errno;
		at += n;
		step = step * 5 + 3;
		if (step > (1 << 20))
			step = 7;
	}
	return 0;
}

/* NGEMM GEMMs of the same inputs, each followed by a fence. */
static struct vgpu_gemm_batch work = {
	.m = GM, .n = GN, .k = GK, .count = NGEMM, .seed = 12345,
	.a_off = A_OFF, .b_off = B_OFF, .c_off = C_OFF, .c_stride = C_STRIDE,
	.fence_off = FENCE_OFF,
};

FIXTURE(mig) {
	char src_uuid[40], dst_uuid[40];
	struct vgpu_dev *src, *dst;
	int kmsg;
};

FIXTURE_SETUP(mig)
{
	ASSERT_EQ(0, vgpu_gemm_batch_init(&work));
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
	uuid_gen(self->src_uuid);
	uuid_gen(self->dst_uuid);
	ASSERT_EQ(0, vgpu_create("split", self->src_uuid));
	ASSERT_EQ(0, vgpu_create("split", self->dst_uuid));
	ASSERT_EQ(0, vgpu_dev_open(self->src_uuid, &self->src));
	ASSERT_EQ(0, vgpu_dev_open(self->dst_uuid, &self->dst));
	ASSERT_EQ(0, vgpu_ring_init(self->src, RING_OFF, 64));
	self->kmsg = kmsg_open();
}

FIXTURE_TEARDOWN(mig)
{
	if (self->src)
		vgpu_dev_close(self->src);
	if (self->dst)
		vgpu_dev_close(self->dst);
	if (self->kmsg >= 0)
		close(self->kmsg);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

TEST_F(mig, offers_migration_v2_with_precopy)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_migration m;
	} a;
	struct vfio_precopy_info info;
	int fd = self->src->vfio.device, dfd = -1;

	memset(&a, 0, sizeof(a));
	a.f.argsz = sizeof(a);
	a.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_FEATURE, &a));
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		  VFIO_MIGRATION_PRE_COPY, a.m.flags);
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, vgpu_mig_get(self->src));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_STREQ("stopped", vgpu_state_of_mdev(self->src_uuid));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_LE(0, dfd);
	/* Pre-copy information exists only in the pre-copy states. */
	EXPECT_EQ(-EINVAL, vgpu_mig_precopy_info(dfd, &info));
	close(dfd);
	/* STOP_COPY -> PRE_COPY is not an arc. */
	EXPECT_NE(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_PRE_COPY, NULL));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_STREQ("running", vgpu_state_of_mdev(self->src_uuid));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_PRE_COPY, &dfd));
	ASSERT_EQ(0, vgpu_mig_precopy_info(dfd, &info));
	/* Everything is still to send: the whole window, nothing dirty. */
	EXPECT_LE(self->src->window_size, info.initial_bytes);
	EXPECT_EQ(0, info.dirty_bytes);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RUNNING, NULL));
	/* The session ended with the arc. */
	EXPECT_EQ(-1, read(dfd, &info, 1));
	close(dfd);
}

TEST_F_TIMEOUT(mig, live_migration_of_a_busy_vgpu_is_exact, 600)
{
	long long pre = 0, stop, src_cmds, dst_cmds, busy;
	struct vfio_precopy_info info;
	struct vgpu_mig_stream s = { 0 };
	int dfd, rfd, i;
	struct timespec t0, t1;
	unsigned char *d;

	ASSERT_EQ(0, vgpu_gemm_batch_queue(self->src, &work));
	for (i = 0; i < 5000 && vgpu_attr_num(self->src_uuid, "busy_ns") < 20000000; i++)
		usleep(1000);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_PRE_COPY, &dfd));
	/*
	 * Pre-copy while the vGPU computes and "the guest" writes its window
	 * through the mapping, including pages already sent.
	 */
	d = (unsigned char *)self->src->window + D_OFF;
	ASSERT_EQ(0, vgpu_precopy_passes(dfd, &s, d, D_PAGES, 4, &pre));
	/* Written after its last pre-copy read: only stop-copy has it. */
	for (i = 0; i < D_PAGES; i++)
		d[i * 4096 + 100] = 0x55 ^ i;
	ASSERT_EQ(0, vgpu_mig_precopy_info(dfd, &info));
	EXPECT_LE(D_PAGES * 4096ULL, info.dirty_bytes);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP_COPY, NULL));
	EXPECT_STREQ("stopped", vgpu_state_of_mdev(self->src_uuid));
	stop = vgpu_mig_read(dfd, &s);
	ASSERT_LT(0, stop);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP, NULL));
	close(dfd);
	src_cmds = vgpu_attr_num(self->src_uuid, "commands");
	busy = vgpu_attr_num(self->src_uuid, "busy_ns");
	TH_LOG("window %llu MiB: %lld bytes pre-copy, %lld stop-copy",
	       self->src->window_size >> 20, pre, stop);
	TH_LOG("stop-copy read in %.1f ms; the source ran %lld commands",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	       src_cmds);
	/* Stop-copy sends what changed, not the window again. */
	EXPECT_GT(self->src->window_size / 4, stop);
	ASSERT_GT(2 * NGEMM, src_cmds) TH_LOG("the work ended before the stop");
	usleep(200 * 1000);
	EXPECT_EQ(busy, vgpu_attr_num(self->src_uuid, "busy_ns"));

	ASSERT_EQ(0, vgpu_mig_set(self->dst, VFIO_DEVICE_STATE_RESUMING, &rfd));
	ASSERT_EQ(0, feed(rfd, &s));
	ASSERT_EQ(0, vgpu_mig_set(self->dst, VFIO_DEVICE_STATE_RUNNING, NULL));
	close(rfd);
	EXPECT_TRUE(kmsg_find(self->kmsg, "migration: state restored"));
	vgpu_adopt_ring(self->dst, self->src);
	ASSERT_EQ(0, vgpu_wait_fence(self->dst, NGEMM, 120000));
	EXPECT_EQ(0, vgpu_gemm_batch_wrong(self->dst, &work));
	/* Each command ran exactly once, on one side or the other. */
	dst_cmds = vgpu_attr_num(self->dst_uuid, "commands");
	EXPECT_EQ(2 * NGEMM, src_cmds + dst_cmds)
		TH_LOG("source %lld + target %lld", src_cmds, dst_cmds);
	EXPECT_EQ(2 * NGEMM, vgpu_read64(self->dst, VGPU_REG_COMPLETED));
	d = (unsigned char *)self->dst->window + D_OFF;
	for (i = 0; i < D_PAGES; i++) {
		ASSERT_EQ(0xa0 + 3 + i, d[i * 4096 + 3]) TH_LOG("page %d", i);
		ASSERT_EQ(0x55 ^ i, d[i * 4096 + 100]) TH_LOG("page %d", i);
	}
	/* The target takes new work. */
	{
		struct vgpu_cmd f = vgpu_cmd_fence(FENCE_OFF, 1000, false);

		ASSERT_EQ(0, vgpu_submit(self->dst, &f, 1));
		ASSERT_EQ(0, vgpu_wait_fence(self->dst, 1000, 10000));
	}
	/* The source, closed while stopped after the save, is scrubbed. */
	vgpu_dev_close(self->src);
	self->src = NULL;
	EXPECT_TRUE(kmsg_find(self->kmsg, "window zeroed"));
	ASSERT_EQ(0, vgpu_dev_open(self->src_uuid, &self->src));
	EXPECT_STREQ("running", vgpu_state_of_mdev(self->src_uuid));
	for (i = 0; i < D_PAGES; i++)
		ASSERT_EQ(0, ((unsigned char *)self->src->window)[D_OFF +
							      i * 4096 + 3]);
	EXPECT_EQ(0, ((__u32 *)((char *)self->src->window + A_OFF))[0]);
	free(s.p);
}

TEST_F_TIMEOUT(mig, suspend_to_a_file_resume_on_a_new_vgpu, 600)
{
	int dfd, rfd;
	char path[] = "/tmp/vgpu-suspend-XXXXXX", uuid[40];
	struct vgpu_dev saved_ring = { 0 };
	struct vgpu_mig_stream s = { 0 };
	long long src_cmds, n;
	struct stat st;
	int file, i;

	ASSERT_EQ(0, vgpu_gemm_batch_queue(self->src, &work));
	for (i = 0; i < 5000 && vgpu_attr_num(self->src_uuid, "busy_ns") < 20000000; i++)
		usleep(1000);
	/* Suspend: stop, save everything at once, to a file. */
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	n = vgpu_mig_read(dfd, &s);
	ASSERT_LT((long long)self->src->window_size, n);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP, NULL));
	close(dfd);
	src_cmds = vgpu_attr_num(self->src_uuid, "commands");
	file = mkstemp(path);
	ASSERT_LE(0, file);
	ASSERT_EQ((ssize_t)s.len, write(file, s.p, s.len));
	free(s.p);
	memset(&s, 0, sizeof(s));
	vgpu_adopt_ring(&saved_ring, self->src);

	/* The vGPU is destroyed; its slot goes back to the pool. */
	vgpu_dev_close(self->src);
	self->src = NULL;
	ASSERT_EQ(0, vgpu_remove(self->src_uuid));

	/* Resume on a vGPU created for it. */
	uuid_gen(uuid);
	ASSERT_EQ(0, vgpu_create("split", uuid));
	snprintf(self->src_uuid, sizeof(self->src_uuid), "%s", uuid);
	ASSERT_EQ(0, vgpu_dev_open(uuid, &self->src));
	ASSERT_EQ(0, fstat(file, &st));
	s.len = st.st_size;
	s.p = malloc(s.len);
	ASSERT_EQ((ssize_t)s.len, pread(file, s.p, s.len, 0));
	close(file);
	unlink(path);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RESUMING, &rfd));
	ASSERT_EQ(0, feed(rfd, &s));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RUNNING, NULL));
	close(rfd);
	vgpu_adopt_ring(self->src, &saved_ring);
	ASSERT_EQ(0, vgpu_wait_fence(self->src, NGEMM, 120000));
	EXPECT_EQ(0, vgpu_gemm_batch_wrong(self->src, &work));
	EXPECT_EQ(2 * NGEMM, src_cmds + vgpu_attr_num(uuid, "commands"));
	free(s.p);
}

TEST_F_TIMEOUT(mig, incompatible_target_refuses_and_the_source_goes_on, 600)
{
	int dfd, rfd;
	char other[40];
	struct vgpu_dev *x;
	struct vgpu_mig_stream s = { 0 };

	uuid_gen(other);
	ASSERT_EQ(0, vgpu_create("shared", other));
	ASSERT_EQ(0, vgpu_dev_open(other, &x));
	ASSERT_EQ(0, vgpu_gemm_batch_queue(self->src, &work));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_PRE_COPY, &dfd));
	ASSERT_LE(0, vgpu_mig_read(dfd, &s));
	ASSERT_EQ(0, vgpu_mig_set(x, VFIO_DEVICE_STATE_RESUMING, &rfd));
	EXPECT_EQ(-EINVAL, feed(rfd, &s));
	EXPECT_TRUE(kmsg_find(self->kmsg, "refusing the incoming state: saved from profile split"));
	/* The VMM gives up: the target is reset, the source runs on. */
	EXPECT_NE(0, vgpu_mig_set(x, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, vgpu_mig_get(x));
	ASSERT_EQ(0, ioctl(x->vfio.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, vgpu_mig_get(x));
	close(rfd);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RUNNING, NULL));
	close(dfd);
	ASSERT_EQ(0, vgpu_wait_fence(self->src, NGEMM, 120000));
	EXPECT_EQ(0, vgpu_gemm_batch_wrong(self->src, &work));
	EXPECT_EQ(2 * NGEMM, vgpu_attr_num(self->src_uuid, "commands"));
	vgpu_dev_close(x);
	free(s.p);
}

/* Load @s into the target; on a refusal, reset it as a VMM would. */
static int resume(struct vgpu_dev *t, const struct vgpu_mig_stream *s)
{
	int rfd, err;

	if (vgpu_mig_set(t, VFIO_DEVICE_STATE_RESUMING, &rfd))
		return -EBADFD;
	err = feed(rfd, s);
	if (!err)
		err = vgpu_mig_set(t, VFIO_DEVICE_STATE_STOP, NULL);
	close(rfd);
	if (err && ioctl(t->vfio.device, VFIO_DEVICE_RESET))
		return -EBADFD;
	return err;
}

/*
 * The guest names its peers by peer id: a source that was peer 1 of its
 * group loads only into a vGPU that is peer 1 of a group (whatever the
 * group's number), and one in no group anywhere.
 */
TEST_F_TIMEOUT(mig, peer_id_must_match_on_the_target, 600)
{
	char mate[40], mate2[40];
	struct vgpu_mig_stream s = { 0 }, lone = { 0 };
	int dfd;

	uuid_gen(mate);
	uuid_gen(mate2);
	ASSERT_EQ(0, vgpu_create("split", mate));
	ASSERT_EQ(0, vgpu_create("split", mate2));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_LT(0, vgpu_mig_read(dfd, &lone));
	close(dfd);
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, vgpu_attr_write(mate, "peer_group", "1"));
	ASSERT_EQ(0, vgpu_attr_write(self->src_uuid, "peer_group", "1"));
	ASSERT_EQ(1, vgpu_attr_num(self->src_uuid, "peer_id"));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_LT(0, vgpu_mig_read(dfd, &s));
	close(dfd);

	EXPECT_EQ(-EINVAL, resume(self->dst, &s));
	EXPECT_TRUE(kmsg_find(self->kmsg,
			      "saved as peer id 1 of a peer group, this vGPU is in no peer group"));
	ASSERT_EQ(0, vgpu_attr_write(self->dst_uuid, "peer_group", "2"));
	EXPECT_EQ(-EINVAL, resume(self->dst, &s));
	EXPECT_TRUE(kmsg_find(self->kmsg, "this vGPU is peer id 0 of its group"));
	/* Peer 1 of group 3: taken. A source in no group goes anywhere. */
	ASSERT_EQ(0, vgpu_attr_write(self->dst_uuid, "peer_group", "0"));
	ASSERT_EQ(0, vgpu_attr_write(mate2, "peer_group", "3"));
	ASSERT_EQ(0, vgpu_attr_write(self->dst_uuid, "peer_group", "3"));
	ASSERT_EQ(1, vgpu_attr_num(self->dst_uuid, "peer_id"));
	EXPECT_EQ(0, resume(self->dst, &s));
	ASSERT_EQ(0, ioctl(self->dst->vfio.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, resume(self->dst, &lone));
	free(s.p);
	free(lone.p);
}

TEST_F_TIMEOUT(mig, truncated_stream_fails_and_leaves_nothing, 600)
{
	struct vgpu_mig_stream s = { 0 };
	int dfd, rfd;

	memset((char *)self->dst->window + D_OFF, 0x77, 4096);
	ASSERT_EQ(0, vgpu_gemm_batch_queue(self->src, &work));
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_STOP_COPY, &dfd));
	ASSERT_LT(0, vgpu_mig_read(dfd, &s));
	close(dfd);
	s.len -= 16;	/* no END */
	ASSERT_EQ(0, vgpu_mig_set(self->dst, VFIO_DEVICE_STATE_RESUMING, &rfd));
	ASSERT_EQ(0, feed(rfd, &s));
	EXPECT_EQ(-EINVAL, vgpu_mig_set(self->dst, VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_TRUE(kmsg_find(self->kmsg, "incoming state incomplete"));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, vgpu_mig_get(self->dst));
	close(rfd);
	ASSERT_EQ(0, ioctl(self->dst->vfio.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, vgpu_mig_get(self->dst));
	ASSERT_EQ(0, vgpu_pci_enable(self->dst));
	/* Nothing of the partial state stayed: registers and window reset. */
	EXPECT_EQ(0, vgpu_read32(self->dst, VGPU_REG_RING_CTRL));
	EXPECT_EQ(0, ((unsigned char *)self->dst->window)[A_OFF + 1]);
	EXPECT_EQ(0, ((unsigned char *)self->dst->window)[D_OFF]);
	/* The source, never told to stop for good, finishes its work. */
	ASSERT_EQ(0, vgpu_mig_set(self->src, VFIO_DEVICE_STATE_RUNNING, NULL));
	ASSERT_EQ(0, vgpu_wait_fence(self->src, NGEMM, 120000));
	EXPECT_EQ(0, vgpu_gemm_batch_wrong(self->src, &work));
	free(s.p);
}

TEST_F_TIMEOUT(mig, dma_writes_are_in_the_dirty_log, 120)
{
	int cfd = self->src->vfio.container;
	size_t len = 64 * 4096;
	struct vfio_iommu_type1_dirty_bitmap db;
	struct {
		struct vfio_iommu_type1_dirty_bitmap h;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} get;
	__u64 bits = 0;
	void *buf;
	struct vgpu_cmd c;
	int i, dirty = 0;

	buf = vgpu_dma_alloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vgpu_dma_map(self->src, buf, len, VGPU_IOVA_BASE));
	memset(&db, 0, sizeof(db));
	db.argsz = sizeof(db);
	db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	ASSERT_EQ(0, ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, &db));
	/* The vGPU writes guest pages 3 and 40 by DMA. */
	c = vgpu_cmd_copy(A_OFF, VGPU_IOVA_BASE + 3 * 4096, 4096,
			  VGPU_CMD_DST_SYS);
	ASSERT_EQ(0, vgpu_submit(self->src, &c, 1));
	c = vgpu_cmd_copy(A_OFF, VGPU_IOVA_BASE + 40 * 4096, 100,
			  VGPU_CMD_DST_SYS);
	ASSERT_EQ(0, vgpu_submit(self->src, &c, 1));
	ASSERT_EQ(0, vgpu_wait_idle(self->src, 10000));
	memset(&get, 0, sizeof(get));
	get.h.argsz = sizeof(get);
	get.h.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	get.g.iova = VGPU_IOVA_BASE;
	get.g.size = len;
	get.g.bitmap.pgsize = 4096;
	get.g.bitmap.size = sizeof(bits);
	get.g.bitmap.data = &bits;
	ASSERT_EQ(0, ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, &get));
	for (i = 0; i < 64; i++)
		dirty += !!(bits & (1ULL << i));
	EXPECT_TRUE(bits & (1ULL << 3));
	EXPECT_TRUE(bits & (1ULL << 40));
	EXPECT_EQ(2, dirty) TH_LOG("bitmap %#llx", (unsigned long long)bits);
	db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	EXPECT_EQ(0, ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, &db));
	EXPECT_EQ(0, vgpu_dma_unmap(self->src, VGPU_IOVA_BASE, len));
	vgpu_dma_free(buf, len);
}

TEST_HARNESS_MAIN
