// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu DMA into guest memory that does not answer: a VFIO user registers the
 * memory behind a DMA mapping with userfaultfd and leaves the fault pending,
 * as postcopy migration does for a while and a hostile VMM does for good.
 *
 * The stalled vGPU must cost nobody else anything: its neighbour on the same
 * engine keeps its latency, a reset and a SIGKILL of the VMM end promptly,
 * the vGPU can be removed and the module unloaded. Once the fault is
 * answered, the stalled command completes exactly; one stalled too long is
 * stopped by the watchdog. Also: VFIO_DEVICE_SET_IRQS refuses what vfio-pci
 * refuses, and interrupts still arrive afterwards.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_vfio.h"

/* One engine, time-sliced by up to four vGPUs of 16 MiB. */
#define PARAMS		"mem_size_mb=256 num_engines=1 profiles=ts:16M:1:4"
#define RING_OFF	0
#define DST_OFF		0x100000
#define NB_OFF		0x200000
#define COPY_LEN	0x10000
#define UFFD_LEN	0x200000
#define IOVA		VGPU_IOVA_BASE

struct sv {
	char uuid[40];
	struct vgpu_dev *d;
};

/* Anonymous memory whose pages arrive only through UFFDIO_COPY. */
struct uffd_mem {
	void *p;
	int uffd;
};

FIXTURE(stall) {
	struct sv a, b;
	struct uffd_mem m;
};

static long long vnum(const struct sv *v, const char *name)
{
	return sysfs_num(MDEV_DEVICES "/%s/vgpu/%s", v->uuid, name);
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int sv_open(struct sv *v)
{
	uuid_gen(v->uuid);
	if (vgpu_create("ts", v->uuid) || vgpu_dev_open(v->uuid, &v->d))
		return -1;
	return vgpu_ring_init(v->d, RING_OFF, 64);
}

static void sv_close(struct sv *v)
{
	vgpu_test_drop(v->uuid, &v->d);
}

static int uffd_mem_init(struct uffd_mem *m)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .len = UFFD_LEN },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	m->p = vgpu_dma_alloc(UFFD_LEN);
	if (!m->p)
		return -1;
	m->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (m->uffd < 0)
		return -1;
	reg.range.start = (unsigned long)m->p;
	if (ioctl(m->uffd, UFFDIO_API, &api) ||
	    ioctl(m->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	return 0;
}

/* Answer the faults on [0, len): the pages arrive holding @fill. */
static int uffd_mem_fill(struct uffd_mem *m, size_t len, int fill)
{
	struct uffdio_copy cp = { .len = len };
	void *src = malloc(len);
	int ret;

	if (!src)
		return -1;
	memset(src, fill, len);
	cp.dst = (unsigned long)m->p;
	cp.src = (unsigned long)src;
	ret = ioctl(m->uffd, UFFDIO_COPY, &cp);
	free(src);
	return ret;
}

/*
 * Queue COPY guest memory (the userfaultfd pages) -> window, then FENCE 1,
 * and wait until the driver has set the vGPU aside at least @stalls times.
 */
static int stall_on(struct vgpu_dev *d, const struct sv *v, long long stalls)
{
	struct vgpu_cmd c[2] = {
		vgpu_cmd_copy(IOVA, DST_OFF, COPY_LEN, VGPU_CMD_SRC_SYS),
		vgpu_cmd_fence(DST_OFF + COPY_LEN, 1, false),
	};
	unsigned long long t0 = now_ms();

	if (vgpu_submit(d, c, 2))
		return -1;
	while (vnum(v, "dma_stalls") < stalls) {
		if (now_ms() - t0 > 20000)
			return -1;
		usleep(10000);
	}
	return 0;
}

/* Run @n small jobs on @v, each checked; the slowest one's latency in ms. */
static long long neighbour_jobs(struct sv *v, int n, __u64 *fence)
{
	long long worst = 0;
	int i;

	for (i = 0; i < n; i++) {
		__u32 val = 0xa5a50000 + i, got;
		struct vgpu_cmd c[2] = {
			vgpu_cmd_fill(NB_OFF, 4096, val),
			vgpu_cmd_fence(NB_OFF + 8192, ++*fence, false),
		};
		unsigned long long t0 = now_ms();

		if (vgpu_submit(v->d, c, 2) ||
		    vgpu_wait_fence(v->d, *fence, 10000))
			return -1;
		if (now_ms() - t0 > worst)
			worst = now_ms() - t0;
		memcpy(&got, (char *)v->d->window + NB_OFF + 4092, 4);
		if (got != val)
			return -1;
	}
	return worst;
}

FIXTURE_SETUP(stall)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(PARAMS));
	ASSERT_EQ(0, sv_open(&self->a));
	ASSERT_EQ(0, sv_open(&self->b));
	ASSERT_EQ(0, uffd_mem_init(&self->m));
	ASSERT_EQ(0, vgpu_dma_map(self->a.d, self->m.p, UFFD_LEN, IOVA));
}

FIXTURE_TEARDOWN(stall)
{
	/* The pending fault would hold nothing up, but answer it anyway. */
	if (self->m.uffd >= 0)
		uffd_mem_fill(&self->m, UFFD_LEN, 0);
	sv_close(&self->a);
	sv_close(&self->b);
	if (self->m.uffd >= 0)
		close(self->m.uffd);
	vgpu_dma_free(self->m.p, UFFD_LEN);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

/*
 * While A's DMA waits on an unanswered fault, B on the same engine runs jobs
 * with short latencies; A neither advances nor faults. Once the fault is
 * answered, A's COPY completes with the data that arrived, exactly once.
 */
TEST_F_TIMEOUT(stall, neighbour_runs_and_command_completes, 120)
{
	__u64 fence = 0;
	long long worst;
	__u8 got[COPY_LEN], want[COPY_LEN];

	ASSERT_EQ(0, stall_on(self->a.d, &self->a, 3));
	worst = neighbour_jobs(&self->b, 20, &fence);
	TH_LOG("neighbour: 20 jobs, slowest %lld ms, A stalled %lld times",
	       worst, vnum(&self->a, "dma_stalls"));
	ASSERT_LE(0, worst);
	EXPECT_GT(2000, worst);
	EXPECT_EQ(0, vgpu_read64(self->a.d, VGPU_REG_FENCE));
	EXPECT_EQ(0, vnum(&self->a, "errors"));
	EXPECT_EQ(0, vnum(&self->a, "commands"));

	ASSERT_EQ(0, uffd_mem_fill(&self->m, COPY_LEN, 0x3c));
	ASSERT_EQ(0, vgpu_wait_fence(self->a.d, 1, 10000));
	memset(want, 0x3c, sizeof(want));
	memcpy(got, (char *)self->a.d->window + DST_OFF, sizeof(got));
	EXPECT_EQ(0, memcmp(want, got, sizeof(got)));
	EXPECT_EQ(2, vnum(&self->a, "commands"));
	EXPECT_EQ(0, vnum(&self->a, "errors"));
	EXPECT_EQ(20 * 2, vnum(&self->b, "commands"));
}

/* A command whose DMA stalls past job_timeout_ms is stopped by the watchdog. */
TEST_F_TIMEOUT(stall, watchdog_stops_a_stall, 120)
{
	int kmsg = kmsg_open();
	__u64 fence = 0;

	ASSERT_EQ(0, sysfs_write(VGPU_PARENT "/job_timeout_ms", "300"));
	ASSERT_EQ(0, stall_on(self->a.d, &self->a, 1));
	ASSERT_EQ(-EIO, vgpu_wait_fence(self->a.d, 1, 10000));
	EXPECT_EQ(VGPU_ERR_TIMEOUT, vgpu_read32(self->a.d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(IOVA, vgpu_read64(self->a.d, VGPU_REG_ERR_ADDR));
	EXPECT_EQ(1, vnum(&self->a, "errors"));
	EXPECT_TRUE(kmsg_find(kmsg, "watchdog: DMA to guest address"));
	close(kmsg);
	/* After a reset, A works on memory that answers. */
	ASSERT_EQ(0, uffd_mem_fill(&self->m, COPY_LEN, 0x11));
	ASSERT_EQ(0, vgpu_reset(self->a.d));
	ASSERT_EQ(0, vgpu_ring_init(self->a.d, RING_OFF, 64));
	ASSERT_EQ(0, stall_on(self->a.d, &self->a, 0));
	ASSERT_EQ(0, vgpu_wait_fence(self->a.d, 1, 10000));
	EXPECT_EQ(0x11, ((__u8 *)self->a.d->window)[DST_OFF + COPY_LEN - 1]);
	EXPECT_LE(0, neighbour_jobs(&self->b, 3, &fence));
}

/* What the stalled VMM reports to the test through its pipe. */
struct vmm_report {
	long long reset_ms;
	int reset_ret;
};

/*
 * A VMM (a child process) of its own vGPU C: stalls a DMA, resets the vGPU,
 * stalls it again, then waits to be killed.
 */
static void vmm_child(const char *uuid, int wr)
{
	struct vmm_report rep = { 0 };
	struct uffd_mem m;
	struct vgpu_dev *d;
	struct sv v;
	unsigned long long t0;

	snprintf(v.uuid, sizeof(v.uuid), "%s", uuid);
	if (vgpu_dev_open(uuid, &d) || vgpu_ring_init(d, RING_OFF, 64) ||
	    uffd_mem_init(&m) || vgpu_dma_map(d, m.p, UFFD_LEN, IOVA) ||
	    stall_on(d, &v, 1))
		_exit(2);
	t0 = now_ms();
	rep.reset_ret = vgpu_reset(d);
	rep.reset_ms = now_ms() - t0;
	if (vgpu_ring_init(d, RING_OFF, 64) ||
	    stall_on(d, &v, vnum(&v, "dma_stalls") + 1))
		_exit(3);
	if (write(wr, &rep, sizeof(rep)) != sizeof(rep))
		_exit(4);
	for (;;)
		pause();
}

/*
 * The scenario of the bug: a VMM whose DMA target never answers resets its
 * vGPU (it must return), is killed (it must die), the vGPU is removed and
 * the module unloads, while the neighbour's jobs run exactly throughout.
 */
TEST_F_TIMEOUT(stall, vmm_reset_kill_remove_unload, 180)
{
	struct vmm_report rep = { .reset_ret = 1 };
	unsigned long long t0;
	struct sv c = { };
	__u64 fence = 0;
	int pfd[2], st = 0;
	pid_t pid, got = 0;

	uuid_gen(c.uuid);
	ASSERT_EQ(0, vgpu_create("ts", c.uuid));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pfd[0]);
		vmm_child(c.uuid, pfd[1]);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(rep), read(pfd[0], &rep, sizeof(rep)));
	close(pfd[0]);
	TH_LOG("VFIO_DEVICE_RESET with a stalled DMA: %d after %lld ms",
	       rep.reset_ret, rep.reset_ms);
	EXPECT_EQ(0, rep.reset_ret);
	EXPECT_GT(2000, rep.reset_ms);
	EXPECT_LE(0, neighbour_jobs(&self->b, 5, &fence));

	/* Killed with a DMA stalled, the VMM exits and releases the vGPU. */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	t0 = now_ms();
	while (now_ms() - t0 < 20000) {
		got = waitpid(pid, &st, WNOHANG);
		if (got)
			break;
		usleep(10000);
	}
	ASSERT_EQ(pid, got);
	EXPECT_TRUE(WIFSIGNALED(st));
	TH_LOG("VMM reaped %llu ms after SIGKILL", now_ms() - t0);
	EXPECT_EQ(0, vgpu_remove(c.uuid));
	EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", c.uuid));

	/* The engine still serves the partition, exactly. */
	EXPECT_LE(0, neighbour_jobs(&self->b, 5, &fence));
	sv_close(&self->a);
	sv_close(&self->b);
	EXPECT_EQ(0, vgpu_unload());
	EXPECT_FALSE(vgpu_loaded());
}

/* ---- VFIO_DEVICE_SET_IRQS ----------------------------------------------- */

static int set_irqs(int fd, __u32 flags, __u32 index, __u32 start,
		    __u32 count, __u32 argsz, const void *data, size_t len)
{
	char buf[sizeof(struct vfio_irq_set) + 16] = { 0 };
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = argsz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	memcpy(s->data, data, len);
	return ioctl(fd, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

/*
 * Flags with more or other actions than TRIGGER, unknown bits, bad ranges
 * and short argsz are refused as vfio-pci refuses them, and none of them
 * changes the routing: completion interrupts still arrive.
 */
TEST_F(stall, set_irqs_refusals_keep_routing)
{
	const __u32 msix = VFIO_PCI_MSIX_IRQ_INDEX, none =
		VFIO_IRQ_SET_DATA_NONE, trig = VFIO_IRQ_SET_ACTION_TRIGGER;
	const __u32 full = sizeof(struct vfio_irq_set) + 8;
	const struct {
		const char *what;
		__u32 flags, index, start, count, argsz;
		int err;
	} bad[] = {
		{ "TRIGGER|MASK|NONE, count 0", trig | VFIO_IRQ_SET_ACTION_MASK |
		  none, msix, 0, 0, 0xffffffff, -ENOTTY },
		{ "TRIGGER|MASK|NONE, count 1", trig | VFIO_IRQ_SET_ACTION_MASK |
		  none, msix, 0, 1, 0xffffffff, -ENOTTY },
		{ "TRIGGER|UNMASK|NONE", trig | VFIO_IRQ_SET_ACTION_UNMASK |
		  none, msix, 0, 0, full, -ENOTTY },
		{ "MASK alone", VFIO_IRQ_SET_ACTION_MASK | none, msix, 0, 1,
		  full, -ENOTTY },
		{ "UNMASK alone", VFIO_IRQ_SET_ACTION_UNMASK | none, msix, 0, 1,
		  full, -ENOTTY },
		{ "no action", none, msix, 0, 0, full, -ENOTTY },
		{ "two data types", trig | none | VFIO_IRQ_SET_DATA_EVENTFD,
		  msix, 0, 1, full, -EINVAL },
		{ "unknown flag bit", trig | none | 0x100, msix, 0, 0, full,
		  -EINVAL },
		{ "start past the vectors", trig | none, msix, 2, 1, full,
		  -EINVAL },
		{ "count past the vectors", trig | none, msix, 1, 2, full,
		  -EINVAL },
		{ "INTx (no vectors)", trig | none, VFIO_PCI_INTX_IRQ_INDEX, 0,
		  0, full, -EINVAL },
		{ "index out of range", trig | none, VFIO_PCI_NUM_IRQS, 0, 0,
		  full, -EINVAL },
		{ "argsz below the header", trig | none, msix, 0, 0, 8,
		  -EINVAL },
		{ "eventfds past argsz", trig | VFIO_IRQ_SET_DATA_EVENTFD, msix,
		  0, 2, sizeof(struct vfio_irq_set) + 4, -EINVAL },
	};
	int fds[2] = { -1, -1 };
	__u8 fire[2] = { 1, 0 };
	unsigned int i, r;

	for (r = 0; r < 50; r++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			const char *what = bad[i].what;
			int want = bad[i].err;

			ASSERT_EQ(want, set_irqs(self->b.d->vfio.device,
						 bad[i].flags, bad[i].index,
						 bad[i].start, bad[i].count,
						 bad[i].argsz, fds,
						 sizeof(fds)))
				TH_LOG("%s", what);
		}
	}

	/* The completion vector is still routed. */
	vgpu_irq_drain(self->b.d, VGPU_MSIX_COMPLETION);
	{
		struct vgpu_cmd c = vgpu_cmd_fence(NB_OFF, 7, true);

		ASSERT_EQ(0, vgpu_submit(self->b.d, &c, 1));
	}
	EXPECT_LT(0, vgpu_wait_irq(self->b.d, VGPU_MSIX_COMPLETION, 10000));
	/* DATA_BOOL fires the vectors whose byte is set, like vfio-pci. */
	vgpu_irq_drain(self->b.d, VGPU_MSIX_COMPLETION);
	ASSERT_EQ(0, set_irqs(self->b.d->vfio.device,
			      trig | VFIO_IRQ_SET_DATA_BOOL, msix, 0, 2, full,
			      fire, sizeof(fire)));
	EXPECT_LT(0, vgpu_wait_irq(self->b.d, VGPU_MSIX_COMPLETION, 1000));
	EXPECT_EQ(-ETIMEDOUT, vgpu_wait_irq(self->b.d, VGPU_MSIX_ERROR, 100));
}

TEST_HARNESS_MAIN
