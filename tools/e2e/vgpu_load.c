// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_load: keep one vGPU busy with GEMMs for a while, from the host side.
 *
 * The e2e demo (scripts/e2e/host-e2e.sh) runs it in the outer test VM on a
 * "neighbour" vGPU that shares an engine partition with a guest's vGPU, so
 * the scheduler has two tenants to time-slice and the report can show each
 * one's share. It drives the device through the userspace VFIO library
 * (tools/vfio), the way a VM's driver would.
 *
 * Usage: vgpu_load UUID SECONDS
 *
 * Two batches of GEMMs, each closed by an interrupting fence, are kept in
 * flight, so the vGPU never runs dry while we wait. Registers are touched
 * once per batch only: a register access waits for the vGPU's lock, which
 * its engine holds through every work unit. Ends with one line:
 *
 *   LOAD uuid=<uuid> seconds=<f> gemms=<n> throughput=<f> GMAC/s
 *
 * Exit status 0, or 1 (with a message) if the device fails.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vgpu_vfio.h"

#define RING_ENTRIES	256u
#define BATCH		100u		/* GEMMs per batch; 2 batches fit */
#define FENCE_OFF	0x8000ULL
#define A_OFF		0x100000ULL
#define B_OFF		0x200000ULL
#define C_OFF		0x300000ULL
#define GM		64u
#define GN		64u
#define GK		4096u
#define WAIT_MS		60000

static struct vgpu_dev *dev;
static const char *uuid;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, int ret)
{
	fprintf(stderr, "vgpu_load: vGPU %s: %s: %s", uuid, what,
		strerror(ret < 0 ? -ret : ret));
	if (dev)
		fprintf(stderr, "; ERR_CODE %u, ERR_INDEX %u",
			vgpu_read32(dev, VGPU_REG_ERR_CODE),
			vgpu_read32(dev, VGPU_REG_ERR_INDEX));
	fprintf(stderr, "\n");
	exit(1);
}

/* Queue one batch closed by fence @seq, and ring. */
static void put_batch(__u64 seq)
{
	struct vgpu_cmd c[BATCH + 1];
	unsigned int i;
	int ret;

	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_gemm(A_OFF, B_OFF, C_OFF, GM, GN, GK);
	c[BATCH] = vgpu_cmd_fence(FENCE_OFF, seq, true);
	ret = vgpu_ring_put(dev, c, BATCH + 1);
	if (!ret)
		ret = vgpu_ring_doorbell(dev);
	if (ret)
		fail("submit", ret);
}

/* Sleep on the completion interrupt until fence @seq has landed. */
static void wait_fence(__u64 seq)
{
	const __u64 *slot = (const __u64 *)((char *)dev->window + FENCE_OFF);
	struct pollfd pfd[2] = {
		{ .fd = dev->irq_fd[VGPU_MSIX_COMPLETION], .events = POLLIN },
		{ .fd = dev->irq_fd[VGPU_MSIX_ERROR], .events = POLLIN },
	};
	double start = now_s();

	while (__atomic_load_n(slot, __ATOMIC_ACQUIRE) < seq) {
		if (poll(pfd, 2, 100) > 0) {
			if (pfd[1].revents & POLLIN)
				fail("fence", -EIO);
			vgpu_irq_drain(dev, VGPU_MSIX_COMPLETION);
		}
		if (now_s() - start > WAIT_MS / 1000.0)
			fail("fence", -ETIMEDOUT);
	}
}

int main(int argc, char **argv)
{
	double seconds, start, end;
	__u64 seq = 0, done = 0;
	int ret;

	seconds = argc == 3 ? atof(argv[2]) : 0;
	if (seconds <= 0) {
		fprintf(stderr, "usage: vgpu_load UUID SECONDS\n");
		return 2;
	}
	uuid = argv[1];
	ret = vgpu_dev_open(uuid, &dev);
	if (ret) {
		dev = NULL;
		fail("open", ret);
	}
	ret = vgpu_ring_init(dev, 0, RING_ENTRIES);
	if (ret)
		fail("ring", ret);
	memset((char *)dev->window + A_OFF, 1, GM * GK);
	memset((char *)dev->window + B_OFF, 1, GK * GN);

	start = now_s();
	put_batch(++seq);
	do {
		put_batch(++seq);
		wait_fence(seq - 1);
		done++;
	} while (now_s() - start < seconds);
	wait_fence(seq);
	done++;
	end = now_s();

	printf("LOAD uuid=%s seconds=%.2f gemms=%llu throughput=%.3f GMAC/s\n",
	       uuid, end - start, (unsigned long long)(done * BATCH),
	       done * BATCH * (double)GM * GN * GK / (end - start) / 1e9);
	vgpu_dev_close(dev);
	return 0;
}
