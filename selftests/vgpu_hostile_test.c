// SPDX-License-Identifier: GPL-2.0-only
/*
 * A hostile VM against an mdev vGPU's VFIO device, next to a neighbour vGPU
 * whose workload is verified throughout.
 *
 * The hostile side does everything a malicious VMM or guest can: every
 * config-space offset and width (BAR sizing, command register, MSI-X, PCIe
 * device control with FLR), every register offset and width with absurd
 * values, random and mutated rings, DMA to unmapped and just-outside
 * addresses and unmapping during DMA, VFIO ioctls with bogus arguments,
 * concurrent doorbells, resets, FLRs, mmap/munmap, interrupt routing changes
 * and device fd close/reopen, and the removal of a busy vGPU. Expected: no
 * kernel report, the neighbour exact with its errors counter at 0, and the
 * hostile vGPU computing exactly again after a reset.
 *
 * Bounded by VGPU_HOSTILE_SECONDS (default 12); VGPU_HOSTILE_SEED replays a
 * run (the seed is printed). scripts/hostile.sh runs it longer.
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <linux/pci_regs.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vgpu_crc32c.h"
#include "vgpu_test.h"
#include "vgpu_vfio.h"

/* Two vGPUs time-slice one engine; a third is removed while busy. */
#define PARAMS "mem_size_mb=64 num_engines=1 profiles=ts:8M:1:4"
#define CFG_SIZE	4096
#define CAP_EXP		0x40
#define CAP_MSIX	0x80
#define RING_OFF	0
#define RING_ENTRIES	256
#define SRC_OFF		0x100000
#define DST_OFF		0x200000
#define RES_OFF		0x300000
#define WORK_LEN	0x10000
#define DMA_LEN		0x100000
#define STORM_THREADS	6

static unsigned long long seed;
static unsigned long long budget_ns;
static unsigned long long t_start;
static unsigned long ops;	/* hostile operations, all threads */
static unsigned int scenarios;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool time_left(void)
{
	return now_ns() - t_start < budget_ns;
}

/* xorshift64*: one state per thread, all derived from the printed seed. */
static unsigned long long rnd(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void count_ops(unsigned long n)
{
	__atomic_add_fetch(&ops, n, __ATOMIC_RELAXED);
}

/* Values a hostile guest writes: boundaries, magics, and noise. */
static unsigned long long absurd(unsigned long long *s)
{
	static const unsigned long long v[] = {
		0, 1, ~0ULL, 0x7fffffff, 0x80000000, 0xffffffff,
		0x100000000ULL, 0x8000000000000000ULL, VGPU_RESET_MAGIC,
		VGPU_RESET_RING_MAGIC, VGPU_RING_MAX_ENTRIES,
		VGPU_RING_MAX_ENTRIES + 1, 3, 4096, 0xfff, 8 << 20,
	};
	unsigned long long r = rnd(s);

	return r & 1 ? v[(r >> 1) % ARRAY_SIZE(v)] : rnd(s);
}

/* ---- the kernel log ---------------------------------------------------- */

static const char *const reports[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "Call Trace:",
	"UBSAN:", "KASAN:", "circular locking", "possible recursive locking",
	"inconsistent lock state", "unreferenced object", "Kernel panic",
	"hung_task", "blocked for more than",
};

/* Kernel reports logged since @fd was opened with kmsg_open(). */
static int kmsg_reports(int fd)
{
	return kmsg_count(fd, reports, ARRAY_SIZE(reports), true);
}

/* ---- raw access to the device fd ----------------------------------------- */

static __u64 region_off(struct vgpu_dev *d, unsigned int index)
{
	return d->region[index].offset;
}

#define CFG(d)	region_off(d, VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0(d)	region_off(d, VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_REGS)
#define WIN(d)	region_off(d, VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW)

static ssize_t raw_rw(int fd, __u64 off, void *buf, size_t len, bool write)
{
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	count_ops(1);
	return n < 0 ? -errno : n;
}

/* ---- the neighbour ------------------------------------------------------- */

struct neighbour {
	char uuid[40];
	struct vgpu_dev *d;
	pthread_t thread;
	bool stop;	/* read and written with __atomic */
	unsigned long rounds;
	unsigned long bad;	/* wrong results or failed waits */
	char why[160];
};

static int neighbour_round(struct neighbour *nb, unsigned long long *s,
			   __u64 fence)
{
	__u32 pattern = rnd(s), crc, *w;
	struct vgpu_cmd c[4] = {
		vgpu_cmd_fill(SRC_OFF, WORK_LEN, pattern),
		vgpu_cmd_copy(SRC_OFF, DST_OFF, WORK_LEN, 0),
		vgpu_cmd_crc(DST_OFF, WORK_LEN, RES_OFF),
		vgpu_cmd_fence(RES_OFF + 8, fence, false),
	};
	unsigned int i;
	int ret;

	ret = vgpu_submit(nb->d, c, 4);
	if (!ret)
		ret = vgpu_wait_fence(nb->d, fence, 60000);
	if (ret) {
		snprintf(nb->why, sizeof(nb->why), "round %lu: %s", nb->rounds,
			 strerror(-ret));
		return -1;
	}
	w = (__u32 *)((char *)nb->d->window + DST_OFF);
	for (i = 0; i < WORK_LEN / 4; i++) {
		if (w[i] != pattern) {
			snprintf(nb->why, sizeof(nb->why),
				 "round %lu: word %u is %#x, not %#x",
				 nb->rounds, i, w[i], pattern);
			return -1;
		}
	}
	crc = *(__u32 *)((char *)nb->d->window + RES_OFF);
	if (crc != vgpu_crc32c(w, WORK_LEN)) {
		snprintf(nb->why, sizeof(nb->why), "round %lu: CRC %#x",
			 nb->rounds, crc);
		return -1;
	}
	return 0;
}

static void *neighbour_main(void *arg)
{
	struct neighbour *nb = arg;
	unsigned long long s = seed ^ 0x6e65696768626f72ULL;

	while (!__atomic_load_n(&nb->stop, __ATOMIC_RELAXED)) {
		if (neighbour_round(nb, &s, nb->rounds + 1)) {
			nb->bad++;
			break;
		}
		nb->rounds++;
	}
	return NULL;
}

/* ---- fixture -------------------------------------------------------------- */

FIXTURE(hostile) {
	struct neighbour nb;
	char uuid[40];
	struct vgpu_dev *d;
	int kmsg;
	void *dma;
};

FIXTURE_SETUP(hostile)
{
	const char *env;

	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	env = getenv("VGPU_HOSTILE_SEED");
	seed = env ? strtoull(env, NULL, 0) : (now_ns() ^ getpid());
	if (!seed)
		seed = 1;
	env = getenv("VGPU_HOSTILE_SECONDS");
	budget_ns = (env ? strtoull(env, NULL, 0) : 12) * 1000000000ULL;
	TH_LOG("seed %#llx (VGPU_HOSTILE_SEED to replay), budget %llu s",
	       seed, budget_ns / 1000000000ULL);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
	ASSERT_EQ(0, vgpu_load(PARAMS));

	memset(&self->nb, 0, sizeof(self->nb));
	uuid_gen(self->nb.uuid);
	ASSERT_EQ(0, vgpu_create("ts", self->nb.uuid));
	ASSERT_EQ(0, vgpu_dev_open(self->nb.uuid, &self->nb.d));
	ASSERT_EQ(0, vgpu_ring_init(self->nb.d, RING_OFF, RING_ENTRIES));

	uuid_gen(self->uuid);
	ASSERT_EQ(0, vgpu_create("ts", self->uuid));
	ASSERT_EQ(0, vgpu_dev_open(self->uuid, &self->d));
	self->dma = vgpu_dma_alloc(DMA_LEN);
	ASSERT_NE(NULL, self->dma);
	ASSERT_EQ(0, vgpu_dma_map(self->d, self->dma, DMA_LEN,
				  VGPU_IOVA_BASE));
	t_start = now_ns();
	ops = 0;
	scenarios = 0;
}

FIXTURE_TEARDOWN(hostile)
{
	if (self->nb.thread) {
		__atomic_store_n(&self->nb.stop, true, __ATOMIC_RELAXED);
		pthread_join(self->nb.thread, NULL);
	}
	vgpu_dev_close(self->d);
	vgpu_dev_close(self->nb.d);
	if (self->dma)
		vgpu_dma_free(self->dma, DMA_LEN);
	vgpu_remove_all();
	vgpu_unload();
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/* The hostile vGPU back to a known state: function reset, ring, DMA map. */
static int recover(struct vgpu_dev *d)
{
	int ret = vgpu_reset(d);

	return ret ? ret : vgpu_ring_init(d, RING_OFF, RING_ENTRIES);
}

/* A verified workload on @d: fill, copy, CRC, DMA in and out. */
static int verify_exact(struct vgpu_dev *d, void *dma, unsigned long long *s)
{
	__u32 pattern = rnd(s), *w;
	struct vgpu_cmd c[5] = {
		vgpu_cmd_fill(SRC_OFF, WORK_LEN, pattern),
		vgpu_cmd_copy(SRC_OFF, VGPU_IOVA_BASE, WORK_LEN,
			      VGPU_CMD_DST_SYS),
		vgpu_cmd_copy(VGPU_IOVA_BASE, DST_OFF, WORK_LEN,
			      VGPU_CMD_SRC_SYS),
		vgpu_cmd_crc(DST_OFF, WORK_LEN, RES_OFF),
		vgpu_cmd_fence(RES_OFF + 8, 0x600d, false),
	};
	unsigned int i;
	int ret;

	memset(dma, 0, WORK_LEN);
	ret = vgpu_submit(d, c, 5);
	if (!ret)
		ret = vgpu_wait_fence(d, 0x600d, 30000);
	if (ret)
		return ret;
	w = (__u32 *)((char *)d->window + DST_OFF);
	for (i = 0; i < WORK_LEN / 4; i++)
		if (w[i] != pattern || ((__u32 *)dma)[i] != pattern)
			return -EBADMSG;
	if (*(__u32 *)((char *)d->window + RES_OFF) !=
	    vgpu_crc32c(w, WORK_LEN))
		return -EBADMSG;
	return 0;
}

/* ---- scenarios ----------------------------------------------------------- */

/*
 * Config space: every offset and width (1, 2, 4; wider and odd sizes are
 * split into these by the driver, and come in sc_odd_sizes()), read, then
 * written with an absurd value, including BARs, the command register, MSI-X
 * control and PCIe device control (FLR).
 */
static void sc_config_sweep(struct vgpu_dev *d, unsigned long long *s)
{
	unsigned int off, w;
	__u64 v;

	for (off = 0; off < CFG_SIZE && time_left(); off++) {
		for (w = 1; w <= 4; w *= 2) {
			if (off + w > CFG_SIZE)
				continue;
			raw_rw(d->vfio.device, CFG(d) + off, &v, w, false);
			v = absurd(s);
			raw_rw(d->vfio.device, CFG(d) + off, &v, w, true);
		}
	}
	scenarios++;
}

/* Every BAR0 offset and width, read and written with absurd values. */
static void sc_reg_sweep(struct vgpu_dev *d, unsigned long long *s)
{
	unsigned int off, w;
	__u64 v;

	for (off = 0; off < VGPU_REGS_SIZE && time_left(); off++) {
		for (w = 1; w <= 8; w *= 2) {
			if (off + w > VGPU_REGS_SIZE)
				continue;
			raw_rw(d->vfio.device, BAR0(d) + off, &v, w, false);
			v = absurd(s);
			raw_rw(d->vfio.device, BAR0(d) + off, &v, w, true);
		}
	}
	scenarios++;
}

/* Accesses of odd sizes at random offsets of config space and BAR0. */
static void sc_odd_sizes(struct vgpu_dev *d, unsigned long long *s)
{
	char buf[64];
	unsigned int i, k;

	for (i = 0; i < 64; i++) {
		size_t len = rnd(s) % sizeof(buf) + 1;
		bool cfg = rnd(s) % 2;
		__u64 size = cfg ? CFG_SIZE : VGPU_REGS_SIZE;
		__u64 off = rnd(s) % (size + 16);

		for (k = 0; k < len; k++)
			buf[k] = absurd(s);
		raw_rw(d->vfio.device, (cfg ? CFG(d) : BAR0(d)) + off, buf,
		       len, rnd(s) % 2);
	}
	scenarios++;
}

/* A valid command with one field made absurd. */
static struct vgpu_cmd mutated_cmd(unsigned long long *s, __u64 win)
{
	struct vgpu_cmd c;

	switch (rnd(s) % 6) {
	case 0:
		c = vgpu_cmd_copy(rnd(s) % win, rnd(s) % win, rnd(s) % 65536,
				  rnd(s) & 3);
		break;
	case 1:
		c = vgpu_cmd_fill(rnd(s) % win, rnd(s) % 65536, rnd(s));
		break;
	case 2:
		c = vgpu_cmd_gemm(rnd(s) % win, rnd(s) % win, rnd(s) % win,
				  rnd(s) % 64, rnd(s) % 64, rnd(s) % 64);
		break;
	case 3:
		c = vgpu_cmd_crc(rnd(s) % win, rnd(s) % 65536, rnd(s) % win);
		break;
	case 4:
		c = vgpu_cmd_fence(rnd(s) % win, rnd(s), rnd(s) & 1);
		break;
	default:
		c = vgpu_cmd_timestamp(rnd(s) % win);
		break;
	}
	c.u.raw[rnd(s) % 7] = absurd(s);
	if (!(rnd(s) % 4))
		c.flags = rnd(s);
	if (!(rnd(s) % 8))
		c.opcode = rnd(s);
	return c;
}

/*
 * A ring anywhere (in the window, unaligned, past its end), of any size,
 * filled with garbage or mutated commands, and doorbells with any tail.
 */
static void sc_ring(struct vgpu_dev *d, unsigned long long *s)
{
	__u64 win = d->window_size, base;
	__u32 entries, i, n;

	switch (rnd(s) % 4) {
	case 0:
		base = absurd(s);
		break;
	case 1:
		base = win - VGPU_RING_ALIGN * (rnd(s) % 3);
		break;
	default:
		base = (rnd(s) % (win / 2)) & ~(__u64)(VGPU_RING_ALIGN - 1);
		break;
	}
	entries = rnd(s) % 3 ? 1u << (rnd(s) % 10 + 1) : (__u32)absurd(s);
	vgpu_write32(d, VGPU_REG_RING_CTRL, 0);
	vgpu_write64(d, VGPU_REG_RING_BASE, base);
	vgpu_write32(d, VGPU_REG_RING_SIZE, entries);
	vgpu_write32(d, VGPU_REG_RING_CTRL, rnd(s) % 8 ? VGPU_RING_ENABLE :
				(__u32)rnd(s));
	count_ops(4);
	if (base < win && entries <= VGPU_RING_MAX_ENTRIES) {
		n = entries * sizeof(struct vgpu_cmd) > win - base ?
		    (win - base) / sizeof(struct vgpu_cmd) : entries;
		for (i = 0; i < n; i++) {
			struct vgpu_cmd *slot = (struct vgpu_cmd *)
				((char *)d->window + base) + i;

			if (rnd(s) % 2) {
				*slot = mutated_cmd(s, win);
			} else {
				__u64 *p = (__u64 *)slot;
				unsigned int k;

				for (k = 0; k < 8; k++)
					p[k] = rnd(s);
			}
		}
	}
	for (i = 0; i < 4; i++) {
		vgpu_write32(d, VGPU_REG_DOORBELL,
			     rnd(s) % 2 ? rnd(s) % (entries ? entries : 1) :
					  (__u32)absurd(s));
		count_ops(1);
	}
	usleep(rnd(s) % 2000);
	vgpu_read32(d, VGPU_REG_STATUS);
	vgpu_read32(d, VGPU_REG_ERR_CODE);
	count_ops(2);
	if (rnd(s) % 2) {
		vgpu_write32(d, VGPU_REG_RESET, VGPU_RESET_RING_MAGIC);
		count_ops(1);
	}
	scenarios++;
}

/* DMA to unmapped, just-outside and absurd addresses. */
static void sc_dma(struct vgpu_dev *d, unsigned long long *s)
{
	const __u64 lo = VGPU_IOVA_BASE, hi = VGPU_IOVA_BASE + DMA_LEN;
	const __u64 addrs[] = {
		lo - 8, hi - 4, hi, lo - 1, 0, ~0ULL - 7, ~0ULL,
		lo + (rnd(s) % DMA_LEN), rnd(s), hi + 4096, lo - 4096,
	};
	struct vgpu_cmd c;
	__u64 a = addrs[rnd(s) % ARRAY_SIZE(addrs)];
	__u64 len = rnd(s) % 3 ? 8 : rnd(s) % (2 * DMA_LEN) + 1;

	if (recover(d))
		return;
	c = rnd(s) % 2 ? vgpu_cmd_copy(a, SRC_OFF, len, VGPU_CMD_SRC_SYS) :
			 vgpu_cmd_copy(SRC_OFF, a, len, VGPU_CMD_DST_SYS);
	vgpu_submit(d, &c, 1);
	vgpu_wait_idle(d, 5000);
	count_ops(4);
	scenarios++;
}

/* Unmap the DMA buffer while copies from it run; map it back. */
static void sc_unmap_during_dma(struct vgpu_dev *d, void *dma,
				unsigned long long *s)
{
	struct vgpu_cmd c = vgpu_cmd_copy(VGPU_IOVA_BASE, SRC_OFF, DMA_LEN,
					  VGPU_CMD_SRC_SYS);
	unsigned int i;

	if (recover(d))
		return;
	for (i = 0; i < 32; i++)
		vgpu_ring_put(d, &c, 1);
	vgpu_ring_doorbell(d);
	usleep(rnd(s) % 3000);
	vgpu_dma_unmap(d, VGPU_IOVA_BASE, DMA_LEN);
	vgpu_wait_idle(d, 5000);
	vgpu_dma_map(d, dma, DMA_LEN, VGPU_IOVA_BASE);
	count_ops(36);
	scenarios++;
}

/* VFIO ioctls with bogus arguments: sizes, indices, counts, fds, flags. */
static void sc_ioctls(struct vgpu_dev *d, unsigned long long *s)
{
	int fd = d->vfio.device;
	char buf[512];
	unsigned int i;

	for (i = 0; i < 64; i++) {
		unsigned long cmd;

		switch (rnd(s) % 6) {
		case 0:
			cmd = VFIO_DEVICE_GET_INFO;
			break;
		case 1:
			cmd = VFIO_DEVICE_GET_REGION_INFO;
			break;
		case 2:
			cmd = VFIO_DEVICE_GET_IRQ_INFO;
			break;
		case 3:
			cmd = VFIO_DEVICE_SET_IRQS;
			break;
		case 4:
			cmd = VFIO_DEVICE_FEATURE;
			break;
		default:
			cmd = _IO(VFIO_TYPE, VFIO_BASE + rnd(s) % 32);
			if (cmd == VFIO_DEVICE_RESET)
				continue;
			break;
		}
		{
			__u32 *w = (__u32 *)buf;
			unsigned int k;

			for (k = 0; k < sizeof(buf) / 4; k++)
				w[k] = rnd(s) % 3 ? (__u32)absurd(s) : rnd(s) % 12;
			if (rnd(s) % 2)
				w[0] = rnd(s) % 64;	/* argsz */
		}
		/*
		 * Never a valid SET_IRQS with fds: the random words are not
		 * our fds, but they may be someone's; a migration state the
		 * fuzz reaches is left by the reset below.
		 */
		ioctl(fd, cmd, buf);
		count_ops(1);
	}
	vgpu_reset(d);
	count_ops(1);
	scenarios++;
}

/* SET_IRQS: bad counts, starts, eventfds that are not eventfds. */
static void sc_irqs(struct vgpu_dev *d, unsigned long long *s)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	int fds[8] = { efd, null, -2, 999999, efd, -1, efd, efd };
	unsigned int idx = rnd(s) % (VFIO_PCI_NUM_IRQS + 2);
	unsigned int start = rnd(s) % 4, count = rnd(s) % 9;

	vfio_set_irqs(d->vfio.device, idx, start, count, fds);
	vfio_set_irqs(d->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds);
	vfio_set_irqs(d->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX, rnd(s) % 2, 1,
		      &fds[rnd(s) % 8]);
	count_ops(3);
	/* Back to the library's routing. */
	vfio_set_irqs(d->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX, 0,
		      VGPU_MSIX_VECTORS, d->irq_fd);
	close(efd);
	close(null);
	scenarios++;
}

/* Migration: bogus states, and garbage as a resume stream. */
static void sc_migration(struct vgpu_dev *d, unsigned long long *s)
{
	unsigned int i;
	int data_fd;

	for (i = 0; i < 6; i++) {
		data_fd = -1;
		vgpu_mig_set(d, rnd(s) % 2 ? rnd(s) % 12 : (__u32)absurd(s),
			     &data_fd);
		if (data_fd >= 0)
			close(data_fd);
	}
	count_ops(6);
	data_fd = -1;
	if (!vgpu_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL) &&
	    !vgpu_mig_set(d, VFIO_DEVICE_STATE_RESUMING, &data_fd) &&
	    data_fd >= 0) {
		unsigned char junk[4096];
		unsigned int k;

		for (k = 0; k < sizeof(junk); k++)
			junk[k] = rnd(s);
		if (rnd(s) % 2)
			memcpy(junk, "VGPUMIG", 7);
		vgpu_mig_write(data_fd, junk, rnd(s) % sizeof(junk) + 1, 512);
		vgpu_mig_set(d, VFIO_DEVICE_STATE_STOP, NULL);
		close(data_fd);
		count_ops(4);
	}
	vgpu_reset(d);
	count_ops(1);
	scenarios++;
}

/* mmap of every region at odd offsets and sizes; touching the window. */
static void sc_mmap(struct vgpu_dev *d, unsigned long long *s)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		unsigned int index = rnd(s) % (VFIO_PCI_NUM_REGIONS + 2);
		__u64 off = ((__u64)index << 40) +
			    (rnd(s) % 4 ? 0 : (rnd(s) % 4096) * 4096);
		size_t len = (rnd(s) % 4 + 1) * 4096 *
			     (rnd(s) % 2 ? 1 : 1024);
		int flags = rnd(s) % 4 ? MAP_SHARED : MAP_PRIVATE;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags,
			       d->vfio.device, off);

		count_ops(1);
		if (p == MAP_FAILED)
			continue;
		__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		munmap(p, len);
		count_ops(1);
	}
	scenarios++;
}

struct remover {
	const char *uuid;
	int ret;
};

static void *remover_main(void *arg)
{
	struct remover *r = arg;

	r->ret = vgpu_remove(r->uuid);
	return NULL;
}

/*
 * Remove a vGPU while its ring is full of long work; release it only some
 * time after the host asked. (A thread, not a child: a child would hold the
 * device fd too, and the removal would wait for it.)
 */
static int sc_remove_busy(unsigned long long *s)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(0x100000, 0x200000, 0x300000,
					  64, 64, 4096);
	struct remover r = { };
	struct vgpu_dev *v;
	pthread_t t;
	char uuid[40];
	int ret, i;

	uuid_gen(uuid);
	ret = vgpu_create("ts", uuid);
	if (ret)
		return ret;
	ret = vgpu_dev_open(uuid, &v);
	if (ret)
		return ret;
	if (!vgpu_ring_init(v, RING_OFF, RING_ENTRIES)) {
		for (i = 0; i < 64; i++)
			vgpu_ring_put(v, &c, 1);
		vgpu_ring_doorbell(v);
	}
	r.uuid = uuid;
	if (pthread_create(&t, NULL, remover_main, &r)) {
		vgpu_dev_close(v);
		return -EAGAIN;
	}
	ret = vgpu_wait_irq(v, VGPU_VEC_REQUEST, 10000);
	usleep(rnd(s) % 20000);
	vgpu_write32(v, VGPU_REG_DOORBELL, 5);
	vgpu_dev_close(v);
	pthread_join(t, NULL);
	count_ops(70);
	scenarios++;
	if (ret < 0 || r.ret)
		return ret < 0 ? ret : r.ret;
	return path_exists(MDEV_DEVICES "/%s", uuid) ? -EEXIST : 0;
}

/*
 * Close the device, group and container while DMA copies run (the user's
 * address space and mappings vanish under the device), then open it again.
 */
static int sc_reopen(const char *uuid, struct vgpu_dev **dp, void *dma,
		     unsigned long long *s)
{
	struct vgpu_cmd c = vgpu_cmd_copy(VGPU_IOVA_BASE, SRC_OFF, DMA_LEN,
					  VGPU_CMD_SRC_SYS);
	unsigned int i;
	int ret;

	if (!recover(*dp)) {
		for (i = 0; i < 16; i++)
			vgpu_ring_put(*dp, &c, 1);
		vgpu_ring_doorbell(*dp);
		usleep(rnd(s) % 2000);
	}
	vgpu_dev_close(*dp);
	*dp = NULL;
	ret = vgpu_dev_open(uuid, dp);
	if (!ret)
		ret = vgpu_dma_map(*dp, dma, DMA_LEN, VGPU_IOVA_BASE);
	count_ops(20);
	scenarios++;
	return ret;
}

/* ---- the concurrent storm ------------------------------------------------ */

struct storm {
	struct vgpu_dev *d;
	const char *uuid;
	int thread;
	unsigned long long stop_at;
};

static void *storm_main(void *arg)
{
	struct storm *st = arg;
	struct vgpu_dev *d = st->d;
	unsigned long long s = seed * (st->thread + 2) + 1;

	while (now_ns() < st->stop_at) {
		switch ((st->thread + rnd(&s)) % 8) {
		case 0:	/* doorbells with any tail */
			vgpu_write32(d, VGPU_REG_DOORBELL, rnd(&s) % 300);
			break;
		case 1:	/* function resets */
			ioctl(d->vfio.device, VFIO_DEVICE_RESET);
			break;
		case 2: { /* FLR through PCIe device control */
			__u32 v = PCI_EXP_DEVCTL_BCR_FLR;

			vgpu_cfg_write(d, CAP_EXP + PCI_EXP_DEVCTL, 2, v);
			vgpu_cfg_write(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
				       PCI_COMMAND_MASTER);
			break;
		}
		case 3: { /* mmap, touch, munmap */
			size_t len = d->window_size;
			char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_SHARED, d->vfio.device, WIN(d));

			if (p != MAP_FAILED) {
				p[rnd(&s) % len] = rnd(&s);
				munmap(p, len);
			}
			break;
		}
		case 4: { /* interrupt routing changes */
			int efd = eventfd(0, EFD_CLOEXEC);

			vfio_set_irqs(d->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX,
				      rnd(&s) % 2, 1, &efd);
			vfio_set_irqs(d->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX,
				      0, 0, NULL);
			close(efd);
			break;
		}
		case 5: { /* another device fd: open, poke, close */
			int fd = ioctl(d->vfio.group, VFIO_GROUP_GET_DEVICE_FD,
				       st->uuid);

			if (fd >= 0) {
				__u32 v = VGPU_RESET_RING_MAGIC;

				pwrite(fd, &v, 4, BAR0(d) + VGPU_REG_RESET);
				close(fd);
			}
			break;
		}
		case 6: { /* a ring of garbage and a doorbell */
			struct vgpu_cmd c = mutated_cmd(&s, d->window_size);

			memcpy((char *)d->window + (rnd(&s) % 64) * 64, &c,
			       sizeof(c));
			vgpu_write64(d, VGPU_REG_RING_BASE, 0);
			vgpu_write32(d, VGPU_REG_RING_SIZE, 64);
			vgpu_write32(d, VGPU_REG_RING_CTRL, VGPU_RING_ENABLE);
			vgpu_write32(d, VGPU_REG_DOORBELL, rnd(&s) % 64);
			break;
		}
		default: /* reads of everything */
			vgpu_read32(d, rnd(&s) % VGPU_REGS_SIZE & ~3u);
			vgpu_read64(d, VGPU_REG_TIMESTAMP);
			break;
		}
		count_ops(1);
	}
	return NULL;
}

static void sc_storm(struct vgpu_dev *d, const char *uuid,
		     unsigned long long ms)
{
	struct storm st[STORM_THREADS];
	pthread_t t[STORM_THREADS];
	int i;

	for (i = 0; i < STORM_THREADS; i++) {
		st[i].d = d;
		st[i].uuid = uuid;
		st[i].thread = i;
		st[i].stop_at = now_ns() + ms * 1000000ULL;
		pthread_create(&t[i], NULL, storm_main, &st[i]);
	}
	for (i = 0; i < STORM_THREADS; i++)
		pthread_join(t[i], NULL);
	scenarios++;
}

/* ---- the test ------------------------------------------------------------ */

TEST_F_TIMEOUT(hostile, storm, 3600)
{
	unsigned long long s = seed;
	/* At most 4 s a storm, so that long runs cycle through more rounds. */
	unsigned long long storm_ms = budget_ns / 1000000ULL / 8 < 4000 ?
				      budget_ns / 1000000ULL / 8 : 4000;
	unsigned int round = 0;
	long long errs;
	int reports;

	ASSERT_EQ(0, pthread_create(&self->nb.thread, NULL, neighbour_main,
				    &self->nb));

	sc_config_sweep(self->d, &s);
	ASSERT_EQ(0, recover(self->d));
	sc_reg_sweep(self->d, &s);
	ASSERT_EQ(0, recover(self->d));
	sc_storm(self->d, self->uuid, storm_ms);

	while (time_left()) {
		switch (round++ % 10) {
		case 0:
		case 1:
		case 2:
			sc_ring(self->d, &s);
			break;
		case 3:
			sc_dma(self->d, &s);
			sc_odd_sizes(self->d, &s);
			break;
		case 4:
			sc_unmap_during_dma(self->d, self->dma, &s);
			break;
		case 5:
			sc_ioctls(self->d, &s);
			sc_irqs(self->d, &s);
			break;
		case 6:
			sc_migration(self->d, &s);
			sc_mmap(self->d, &s);
			break;
		case 7:
			ASSERT_EQ(0, sc_remove_busy(&s));
			break;
		case 8:
			ASSERT_EQ(0, sc_reopen(self->uuid, &self->d, self->dma,
					       &s));
			break;
		default:
			sc_storm(self->d, self->uuid, storm_ms / 4);
			break;
		}
		ASSERT_EQ(0, self->nb.bad) TH_LOG("neighbour: %s", self->nb.why);
	}

	/* After the storm: a reset, and the hostile vGPU computes exactly. */
	ASSERT_EQ(0, recover(self->d));
	ASSERT_EQ(0, verify_exact(self->d, self->dma, &s));

	__atomic_store_n(&self->nb.stop, true, __ATOMIC_RELAXED);
	pthread_join(self->nb.thread, NULL);
	self->nb.thread = 0;
	EXPECT_EQ(0, self->nb.bad) TH_LOG("neighbour: %s", self->nb.why);
	errs = vgpu_attr_num(self->nb.uuid, "errors");
	reports = kmsg_reports(self->kmsg);
	TH_LOG("seed %#llx: %u scenarios, %lu operations in %.1f s", seed,
	       scenarios, ops, (now_ns() - t_start) / 1e9);
	TH_LOG("neighbour: %lu rounds exact, errors %lld; kernel reports %d",
	       self->nb.rounds, errs, reports);
	EXPECT_LT(0, self->nb.rounds);
	EXPECT_EQ(0, errs);
	EXPECT_EQ(0, reports);
}

/*
 * Regression: a failed resume leaves the device in ERROR; any other state
 * asked of it then was passed to the VFIO core's arc table, which WARNs on
 * ERROR. Now refused with -EINVAL and a log line, until a reset.
 */
TEST_F(hostile, mig_error_state)
{
	unsigned char junk[64];
	int data_fd = -1;

	memset(junk, 0x5a, sizeof(junk));
	ASSERT_EQ(0, vgpu_mig_set(self->d, VFIO_DEVICE_STATE_STOP, NULL));
	ASSERT_EQ(0, vgpu_mig_set(self->d, VFIO_DEVICE_STATE_RESUMING,
				  &data_fd));
	ASSERT_LE(0, data_fd);
	vgpu_mig_write(data_fd, junk, sizeof(junk), sizeof(junk));
	EXPECT_GT(0, vgpu_mig_set(self->d, VFIO_DEVICE_STATE_STOP, NULL));
	close(data_fd);
	ASSERT_EQ(VFIO_DEVICE_STATE_ERROR, vgpu_mig_get(self->d));
	EXPECT_EQ(-EINVAL, vgpu_mig_set(self->d, VFIO_DEVICE_STATE_RUNNING,
					NULL));
	EXPECT_EQ(-EINVAL, vgpu_mig_set(self->d, VFIO_DEVICE_STATE_STOP,
					NULL));
	EXPECT_TRUE(kmsg_find(self->kmsg, "error state until reset"));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, vgpu_mig_get(self->d));
	ASSERT_EQ(0, recover(self->d));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, vgpu_mig_get(self->d));
	EXPECT_EQ(0, verify_exact(self->d, self->dma, &seed));
	EXPECT_EQ(0, kmsg_reports(self->kmsg));
}

/* Out-of-range accesses and arguments: each refused with its errno. */
TEST_F(hostile, bounds)
{
	int fd = self->d->vfio.device;
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	__u64 win = self->d->window_size, v = 0;
	struct vgpu_cmd c = vgpu_cmd_copy(VGPU_IOVA_BASE + DMA_LEN - 4,
					  SRC_OFF, 8, VGPU_CMD_SRC_SYS);
	int fds[3] = { -1, -1, -1 }, bad = 999999;
	int null = open("/dev/null", O_RDWR);
	char buf[16];
	void *p;

	/* Past the end of config space, BAR0 and the window; no region 9. */
	EXPECT_EQ(-EINVAL, raw_rw(fd, CFG(self->d) + CFG_SIZE, buf, 4, false));
	EXPECT_EQ(-EINVAL, raw_rw(fd, CFG(self->d) + CFG_SIZE - 2, buf, 4,
				  false));
	EXPECT_EQ(-EINVAL, raw_rw(fd, BAR0(self->d) + VGPU_REGS_SIZE, buf, 4,
				  true));
	EXPECT_EQ(-EINVAL, raw_rw(fd, BAR0(self->d) + VGPU_REGS_SIZE - 4, buf,
				  8, false));
	EXPECT_EQ(-EINVAL, raw_rw(fd, WIN(self->d) + win, buf, 1, false));
	EXPECT_EQ(-EINVAL, raw_rw(fd, (__u64)VFIO_PCI_NUM_REGIONS << 40, buf,
				  4, false));
	ri.index = VFIO_PCI_NUM_REGIONS;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
	ri.index = 0;
	ri.argsz = 4;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
	ii.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(EINVAL, errno);
	/* Three MSI-X vectors of two; an fd that is no eventfd. */
	EXPECT_EQ(-EINVAL, vfio_set_irqs(fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3,
					 fds));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(fd, VFIO_PCI_MSIX_IRQ_INDEX, 2, 1,
					 fds));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(fd, VFIO_PCI_MSIX_IRQ_INDEX, 1, 1,
					 &null));
	EXPECT_EQ(-EBADF, vfio_set_irqs(fd, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
					&bad));
	close(null);
	/* mmap past the window, of BAR0, and private. */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, WIN(self->d) + win);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, fd,
		 WIN(self->d) + win - 4096);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, BAR0(self->d));
	EXPECT_EQ(MAP_FAILED, p);

	/* BAR sizing: all ones reads back the size. */
	ASSERT_EQ(0, vgpu_cfg_write(self->d, PCI_BASE_ADDRESS_0, 4, ~0u));
	ASSERT_EQ(0, vgpu_cfg_read(self->d, PCI_BASE_ADDRESS_0, 4,
				   (__u32 *)&v));
	EXPECT_EQ((__u32)~(VGPU_REGS_SIZE - 1), (__u32)v & ~0xfu);

	/* A ring past the window's end is refused: HALTED, ERR_RING. */
	vgpu_write32(self->d, VGPU_REG_RING_CTRL, 0);
	vgpu_write64(self->d, VGPU_REG_RING_BASE, win - VGPU_RING_ALIGN);
	vgpu_write32(self->d, VGPU_REG_RING_SIZE, 256);
	vgpu_write32(self->d, VGPU_REG_RING_CTRL, VGPU_RING_ENABLE);
	EXPECT_TRUE(vgpu_read32(self->d, VGPU_REG_STATUS) &
		    VGPU_STATUS_HALTED);
	EXPECT_EQ(VGPU_ERR_RING, vgpu_read32(self->d, VGPU_REG_ERR_CODE));

	/* DMA 4 bytes past the mapping: ERR_DMA, the address reported. */
	ASSERT_EQ(0, recover(self->d));
	ASSERT_EQ(0, vgpu_submit(self->d, &c, 1));
	vgpu_wait_idle(self->d, 5000);
	EXPECT_EQ(VGPU_ERR_DMA, vgpu_read32(self->d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(VGPU_IOVA_BASE + DMA_LEN - 4,
		  vgpu_read64(self->d, VGPU_REG_ERR_ADDR));
	/* A tail past the ring: ERR_RING. */
	ASSERT_EQ(0, recover(self->d));
	vgpu_write32(self->d, VGPU_REG_DOORBELL, RING_ENTRIES);
	usleep(10000);
	EXPECT_EQ(VGPU_ERR_RING, vgpu_read32(self->d, VGPU_REG_ERR_CODE));

	ASSERT_EQ(0, recover(self->d));
	EXPECT_EQ(0, verify_exact(self->d, self->dma, &seed));
	EXPECT_EQ(0, kmsg_reports(self->kmsg));
}

TEST_HARNESS_MAIN
