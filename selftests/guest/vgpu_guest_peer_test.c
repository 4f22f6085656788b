// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vgpu guest driver with two vGPUs of one peer group in the VM: PEER_COPY
 * into a BO of the other vGPU shared with PRIME, exactly; what the driver
 * refuses before the device sees it (no peer BO, the wrong peer id, a range
 * outside the peer BO or the source's BOs); and a shared BO outliving its
 * owner's handle.
 *
 * Runs as root in the guest with the driver loaded; skips unless two vgpu
 * accel devices report the same peer group.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "libvgpu.h"

#define KIB		1024ULL
#define T_SHORT		300
#define LEN		(300 * KIB + 12)

struct pdev {
	struct vgpu_accel dev;
	__u32 group, id, mask;
};

FIXTURE(peer) {
	struct pdev d[2];
	struct vgpu_bo src, dst;
	__u32 peer_dst;
};

/* Open the first two vGPUs that share a peer group; false if none do. */
static bool open_pair(struct pdev d[2])
{
	struct vgpu_accel dev[2];
	int i;

	if (vgpu_accel_open_peers(dev))
		return false;
	for (i = 0; i < 2; i++) {
		d[i].dev = dev[i];
		if (vgpu_accel_peer(&d[i].dev, &d[i].group, &d[i].id,
				    &d[i].mask))
			return false;
	}
	return true;
}

FIXTURE_SETUP(peer)
{
	memset(self, 0, sizeof(*self));
	self->d[0].dev.fd = -1;
	self->d[1].dev.fd = -1;
	if (!open_pair(self->d))
		SKIP(return, "no two vgpu accel devices in one peer group");
	ASSERT_EQ(0, vgpu_bo_new(&self->d[0].dev, LEN, &self->src));
	ASSERT_EQ(0, vgpu_bo_new(&self->d[1].dev, LEN + 8 * KIB,
				 &self->dst));
	ASSERT_EQ(0, vgpu_bo_share(&self->d[1].dev, &self->dst,
				   &self->d[0].dev, &self->peer_dst));
}

FIXTURE_TEARDOWN(peer)
{
	if (self->peer_dst)
		vgpu_bo_close(&self->d[0].dev, self->peer_dst);
	vgpu_bo_free(&self->d[0].dev, &self->src);
	vgpu_bo_free(&self->d[1].dev, &self->dst);
	vgpu_accel_close(&self->d[0].dev);
	vgpu_accel_close(&self->d[1].dev);
}

static void fill(void *p, size_t len, __u32 seed)
{
	__u32 *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed * 2654435761u + (__u32)i * 2246822519u;
}

static int run(struct vgpu_accel *dev, struct vgpu_cmd c, const __u32 *bos,
	       unsigned int n, struct vgpu_result *res)
{
	return vgpu_job_run(dev, &c, 1, bos, n, res);
}

TEST_F_TIMEOUT(peer, group_and_ids, T_SHORT)
{
	__u64 ops = 0;

	EXPECT_NE(0u, self->d[0].group);
	EXPECT_NE(self->d[0].id, self->d[1].id);
	EXPECT_EQ(self->d[0].mask, self->d[1].mask);
	EXPECT_TRUE(!!(self->d[0].mask & (1u << self->d[0].id)));
	EXPECT_TRUE(!!(self->d[0].mask & (1u << self->d[1].id)));
	ASSERT_EQ(0, vgpu_accel_param(&self->d[0].dev, DRM_VGPU_PARAM_OPCODES,
				      &ops));
	EXPECT_TRUE(!!(ops & (1u << VGPU_OP_PEER_COPY)));
}

/* A copy into the other vGPU's BO lands exactly, and nowhere else. */
TEST_F_TIMEOUT(peer, copy_exact, T_SHORT)
{
	__u32 bos[2] = { self->src.handle, self->peer_dst };
	unsigned char *want = malloc(LEN + 8 * KIB);
	struct vgpu_result res;

	ASSERT_NE(NULL, want);
	fill(self->src.map, LEN, 7);
	memset(want, 0, LEN + 8 * KIB);
	memcpy(want + 4 * KIB, self->src.map, LEN);
	ASSERT_EQ(0, run(&self->d[0].dev,
			 vgpu_cmd_peer_copy(self->src.device_addr,
					    self->dst.device_addr + 4 * KIB,
					    LEN, self->d[1].id),
			 bos, 2, &res));
	EXPECT_EQ(0, res.status) TH_LOG("device error %s",
					vgpu_error_name(res.device_error));
	EXPECT_EQ(0, memcmp(self->dst.map, want, LEN + 8 * KIB));
	free(want);
}

/* What the driver refuses with EINVAL before anything reaches the device. */
TEST_F_TIMEOUT(peer, refused_by_driver, T_SHORT)
{
	__u64 src = self->src.device_addr, dst = self->dst.device_addr;
	__u32 other = self->d[1].id, bos[2] = { self->src.handle,
						 self->peer_dst };
	struct vgpu_accel *dev = &self->d[0].dev;
	struct vgpu_cmd c = vgpu_cmd_peer_copy(src, dst, 64, other);
	struct vgpu_result res;
	__u32 absent = 0, job;

	while (absent < VGPU_MAX_PEERS && (self->d[0].mask & (1u << absent)))
		absent++;
	/* The peer BO not listed. */
	EXPECT_EQ(-EINVAL, vgpu_job_submit(dev, &c, 1, bos, 1, &job));
	EXPECT_EQ(0, vgpu_job_submit(dev, &c, 1, bos, 2, &job));
	EXPECT_EQ(0, vgpu_job_wait(dev, job, -1, &res));
	EXPECT_EQ(0, res.status);
	/* Its own id, an id nobody has, and 16. */
	EXPECT_EQ(-EINVAL, run(dev, vgpu_cmd_peer_copy(src, dst, 64,
						       self->d[0].id),
			       bos, 2, &res));
	EXPECT_EQ(-EINVAL, run(dev, vgpu_cmd_peer_copy(src, dst, 64, absent),
			       bos, 2, &res));
	EXPECT_EQ(-EINVAL, run(dev, vgpu_cmd_peer_copy(src, dst, 64,
						       VGPU_MAX_PEERS),
			       bos, 2, &res));
	/* 4 bytes past the peer BO's end (the source fits its BO), before
	 * its start.
	 */
	c = vgpu_cmd_peer_copy(src, dst + self->dst.size - 300 * KIB,
			       300 * KIB + 4, other);
	EXPECT_EQ(-EINVAL, run(dev, c, bos, 2, &res));
	c.u.peer.len -= 4;
	EXPECT_EQ(0, run(dev, c, bos, 2, &res));
	EXPECT_EQ(-EINVAL, run(dev, vgpu_cmd_peer_copy(src, dst - 4, 64,
						       other),
			       bos, 2, &res));
	/* The source must be in a BO of this device, not the peer BO. */
	EXPECT_EQ(-EINVAL, run(dev, vgpu_cmd_peer_copy(dst, dst, 64, other),
			       &bos[1], 1, &res));
	/* A peer BO is no BO of this device: no info, no mapping. */
	EXPECT_EQ(-ENOENT, vgpu_bo_info(dev, self->peer_dst,
					&(struct vgpu_bo){ 0 }));
	/* And the valid copy still works after all that. */
	EXPECT_EQ(0, run(dev, vgpu_cmd_peer_copy(src, dst, 64, other), bos, 2,
			 &res));
	EXPECT_EQ(0, res.status);
}

/* A shared dma-buf: not mappable, and a BO shared with its own device. */
TEST_F_TIMEOUT(peer, dmabuf_rules, T_SHORT)
{
	struct drm_prime_handle prime = {
		.handle = self->src.handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
	};
	__u32 again;
	void *p;

	ASSERT_EQ(0, ioctl(self->d[0].dev.fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
			   &prime));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, prime.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(prime.fd);
	/* Imported where it lives, a BO is itself. */
	ASSERT_EQ(0, vgpu_bo_share(&self->d[0].dev, &self->src,
				   &self->d[0].dev, &again));
	EXPECT_EQ(self->src.handle, again);
}

/* The owner closes its BO: the peer BO keeps the range until it goes. */
TEST_F_TIMEOUT(peer, peer_bo_outlives_owner_handle, T_SHORT)
{
	__u64 before = 0, after = 0, dst = self->dst.device_addr;
	__u32 bos[2] = { self->src.handle, self->peer_dst };
	struct vgpu_result res;

	ASSERT_EQ(0, vgpu_accel_param(&self->d[1].dev,
				      DRM_VGPU_PARAM_BO_FREE_BYTES, &before));
	ASSERT_EQ(0, vgpu_bo_free(&self->d[1].dev, &self->dst));
	EXPECT_EQ(0, vgpu_accel_param(&self->d[1].dev,
				      DRM_VGPU_PARAM_BO_FREE_BYTES, &after));
	EXPECT_EQ(before, after);
	EXPECT_EQ(0, run(&self->d[0].dev,
			 vgpu_cmd_peer_copy(self->src.device_addr, dst, 4096,
					    self->d[1].id),
			 bos, 2, &res));
	EXPECT_EQ(0, res.status);
	ASSERT_EQ(0, vgpu_bo_close(&self->d[0].dev, self->peer_dst));
	self->peer_dst = 0;
	/* The job's own reference goes a moment after its wait returned. */
	for (int i = 0; i < 200 && after <= before; i++) {
		usleep(10000);
		EXPECT_EQ(0, vgpu_accel_param(&self->d[1].dev,
					      DRM_VGPU_PARAM_BO_FREE_BYTES,
					      &after));
	}
	EXPECT_LT(before, after);
}

TEST_HARNESS_MAIN
