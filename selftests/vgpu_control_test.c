// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu control state in the VM: an operator pauses and resumes a vGPU
 * through sysfs (its work freezes and then continues exactly), a reset
 * leaves a paused vGPU paused, a fault shows as "faulted", and bad requests
 * change nothing.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_vfio.h"

#define RING_OFF	0
#define A_OFF		0x100000
#define B_OFF		0x200000
#define C_OFF		0x300000
/* One GEMM of 64 x 64 x 4096: 16.7 M multiply-accumulates. */
#define GM		64
#define GN		64
#define GK		4096
#define NGEMM		8

FIXTURE(ctl) {
	char uuid[40];
	struct vgpu_dev *d;
};

static char path_buf[256];

static const char *state_path(const char *uuid)
{
	snprintf(path_buf, sizeof(path_buf), MDEV_DEVICES "/%s/vgpu/state",
		 uuid);
	return path_buf;
}

FIXTURE_SETUP(ctl)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
	uuid_gen(self->uuid);
	ASSERT_EQ(0, vgpu_create("split", self->uuid));
	ASSERT_EQ(0, vgpu_dev_open(self->uuid, &self->d));
	ASSERT_EQ(0, vgpu_ring_init(self->d, RING_OFF, 64));
	memset((char *)self->d->window + A_OFF, 1, GM * GK);
	memset((char *)self->d->window + B_OFF, 1, GK * GN);
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->d)
		vgpu_dev_close(self->d);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

/* Queue NGEMM long GEMMs and FENCE 1. */
static int queue_gemms(struct vgpu_dev *d)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(A_OFF, B_OFF, C_OFF, GM, GN, GK);
	struct vgpu_cmd f = vgpu_cmd_fence(C_OFF + GM * GN * 4, 1, false);
	int i;

	memset((char *)d->window + C_OFF, 0, GM * GN * 4);
	for (i = 0; i < NGEMM; i++)
		if (vgpu_ring_put(d, &c, 1))
			return -1;
	if (vgpu_ring_put(d, &f, 1))
		return -1;
	return vgpu_ring_doorbell(d);
}

TEST_F_TIMEOUT(ctl, pause_freezes_and_resume_continues, 300)
{
	long long busy, cmds;
	__u32 head, *cv;
	int i, bad = 0;

	EXPECT_STREQ("running", vgpu_state_of_mdev(self->uuid));
	ASSERT_EQ(0, queue_gemms(self->d));
	/* Pause in the middle of the first GEMM, once it has run a while. */
	for (i = 0; i < 5000 && vgpu_attr_num(self->uuid, "busy_ns") < 10000000; i++)
		usleep(1000);
	ASSERT_EQ(0, sysfs_write(state_path(self->uuid), "pause"));
	EXPECT_STREQ("paused", vgpu_state_of_mdev(self->uuid));
	head = vgpu_read32(self->d, VGPU_REG_RING_HEAD);
	busy = vgpu_attr_num(self->uuid, "busy_ns");
	cmds = vgpu_attr_num(self->uuid, "commands");
	TH_LOG("paused at ring head %u of %d, %lld commands done, %lld us run",
	       head, NGEMM + 1, cmds, busy / 1000);
	ASSERT_GT(NGEMM + 1, head) TH_LOG("the work finished before the pause");
	/* It had started: resuming must continue a command in progress. */
	ASSERT_LT(0, busy);
	usleep(400 * 1000);
	/* Nothing ran while paused; doorbells do not wake it either. */
	EXPECT_EQ(head, vgpu_read32(self->d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(busy, vgpu_attr_num(self->uuid, "busy_ns"));
	EXPECT_EQ(cmds, vgpu_attr_num(self->uuid, "commands"));
	ASSERT_EQ(0, vgpu_ring_doorbell(self->d));
	usleep(100 * 1000);
	EXPECT_EQ(busy, vgpu_attr_num(self->uuid, "busy_ns"));
	EXPECT_EQ(0, vgpu_read64(self->d, VGPU_REG_FENCE));

	ASSERT_EQ(0, sysfs_write(state_path(self->uuid), "resume"));
	EXPECT_STREQ("running", vgpu_state_of_mdev(self->uuid));
	ASSERT_EQ(0, vgpu_wait_fence(self->d, 1, 240000));
	/* Every GEMM ran whole: C = A x B with all ones is k everywhere. */
	cv = (__u32 *)((char *)self->d->window + C_OFF);
	for (i = 0; i < GM * GN; i++)
		bad += cv[i] != GK;
	EXPECT_EQ(0, bad);
	EXPECT_EQ(NGEMM + 1, vgpu_attr_num(self->uuid, "commands"));
	EXPECT_EQ(0, vgpu_attr_num(self->uuid, "errors"));
	/* Pausing or resuming twice is harmless. */
	EXPECT_EQ(0, sysfs_write(state_path(self->uuid), "resume"));
	EXPECT_EQ(0, sysfs_write(state_path(self->uuid), "pause"));
	EXPECT_EQ(0, sysfs_write(state_path(self->uuid), "pause\n"));
	EXPECT_STREQ("paused", vgpu_state_of_mdev(self->uuid));
	EXPECT_EQ(0, sysfs_write(state_path(self->uuid), "resume\n"));
}

/*
 * The command in progress stays in progress: a COPY from guest memory is
 * paused half way, the guest changes its source meanwhile, and after the
 * resume the window holds the old bytes up to where the copy stopped and
 * the new ones after it, the boundary on a work unit. A copy that started
 * over would hold only new bytes.
 */
TEST_F_TIMEOUT(ctl, pause_keeps_the_command_in_progress, 300)
{
	const size_t len = 8 << 20;
	struct vgpu_cmd c[2] = {
		vgpu_cmd_copy(VGPU_IOVA_BASE, C_OFF, len, VGPU_CMD_SRC_SYS),
		vgpu_cmd_fence(A_OFF, 1, false),
	};
	const unsigned char *w;
	size_t first_new, i;
	unsigned char *src;
	int bad = 0;

	src = vgpu_dma_alloc(len);
	ASSERT_NE(NULL, src);
	memset(src, 0x11, len);
	ASSERT_EQ(0, vgpu_dma_map(self->d, src, len, VGPU_IOVA_BASE));
	ASSERT_EQ(0, vgpu_submit(self->d, c, 2));
	for (i = 0; i < 5000 && vgpu_attr_num(self->uuid, "busy_ns") < 2000000; i++)
		usleep(500);
	ASSERT_EQ(0, sysfs_write(state_path(self->uuid), "pause"));
	ASSERT_EQ(0, vgpu_read32(self->d, VGPU_REG_RING_HEAD))
		TH_LOG("the copy finished before the pause");
	memset(src, 0x22, len);
	ASSERT_EQ(0, sysfs_write(state_path(self->uuid), "resume"));
	ASSERT_EQ(0, vgpu_wait_fence(self->d, 1, 120000));

	w = (const unsigned char *)self->d->window + C_OFF;
	for (first_new = 0; first_new < len && w[first_new] == 0x11;)
		first_new++;
	for (i = first_new; i < len; i++)
		bad += w[i] != 0x22;
	TH_LOG("paused after %zu KiB of %zu", first_new >> 10, len >> 10);
	EXPECT_LT(0, first_new);
	EXPECT_GT(len, first_new);
	EXPECT_EQ(0, first_new % 65536);
	EXPECT_EQ(0, bad);
	vgpu_dma_unmap(self->d, VGPU_IOVA_BASE, len);
	vgpu_dma_free(src, len);
}

TEST_F(ctl, reset_keeps_a_paused_vgpu_paused)
{
	struct vgpu_cmd f = vgpu_cmd_fence(C_OFF, 5, false);

	ASSERT_EQ(0, sysfs_write(state_path(self->uuid), "pause"));
	ASSERT_EQ(0, vgpu_reset(self->d));
	EXPECT_STREQ("paused", vgpu_state_of_mdev(self->uuid));
	ASSERT_EQ(0, vgpu_ring_init(self->d, RING_OFF, 64));
	ASSERT_EQ(0, vgpu_submit(self->d, &f, 1));
	EXPECT_EQ(-ETIMEDOUT, vgpu_wait_fence(self->d, 5, 300));
	ASSERT_EQ(0, sysfs_write(state_path(self->uuid), "resume"));
	EXPECT_EQ(0, vgpu_wait_fence(self->d, 5, 10000));
	EXPECT_STREQ("running", vgpu_state_of_mdev(self->uuid));
}

TEST_F(ctl, fault_shows_and_reset_clears)
{
	struct vgpu_cmd bad = vgpu_cmd_nop();

	bad.opcode = 0x7f;
	ASSERT_EQ(0, vgpu_submit(self->d, &bad, 1));
	EXPECT_EQ(-EIO, vgpu_wait_idle(self->d, 10000));
	EXPECT_STREQ("faulted", vgpu_state_of_mdev(self->uuid));
	ASSERT_EQ(0, vgpu_reset(self->d));
	EXPECT_STREQ("running", vgpu_state_of_mdev(self->uuid));
}

TEST_F(ctl, bad_requests_change_nothing)
{
	static const char *const bad[] = {
		"stop", "pauses", "Pause", "resume now", "1", "paused",
	};
	int kmsg = kmsg_open();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, sysfs_write(state_path(self->uuid), bad[i]))
			TH_LOG("'%s'", bad[i]);
		EXPECT_STREQ("running", vgpu_state_of_mdev(self->uuid));
	}
	EXPECT_TRUE(kmsg_find(kmsg, "state: 'stop' is neither pause nor resume"));
	close(kmsg);
}

TEST_HARNESS_MAIN
