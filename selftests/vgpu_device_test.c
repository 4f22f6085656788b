// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vGPU as a device, driven through the userspace VFIO library
 * (tools/vfio): PCI config space, the BAR0 register file, the BAR2 window,
 * every command against a CPU reference, every documented fault, resets, and
 * isolation between vGPUs.
 *
 * Each test loads vgpu.ko with its default profiles and opens one vGPU of
 * the "shared" type (32 MiB window), with a 256-entry ring at window offset
 * 0; tests that need more vGPUs open them into the fixture too.
 *
 * Environment: VGPU_TEST_SEED seeds the random data (default fixed).
 */
#include <dirent.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_crc32c.h"
/* Not selftests/vgpu_vfio.h, which "vgpu_vfio.h" would find first. */
#include "vgpu_vfio.h"

/* Window layout: ring, the helpers' fence slot, scratch, then data. */
#define RING_ENTRIES	256u
#define RING_BYTES	(RING_ENTRIES * sizeof(struct vgpu_cmd))
#define FENCE_OFF	0x4000ULL
#define SCRATCH_OFF	0x5000ULL
#define DATA_OFF	0x10000ULL
#define PATTERN_BYTES	0x40000ULL
#define MIB		0x100000ULL
#define WAIT_MS		10000

/* Profiles in their default order: subsystem ID 0x1000 + index. */
static const char *const types[] = { "dedicated", "split", "shared" };
#define SHARED		2

#define MAX_VGPUS	4

/**
 * struct tvgpu - one vGPU a test opened
 * @uuid: its mdev UUID
 * @d: the library's handle, NULL while closed
 * @size: window bytes, from sysfs
 * @seq: the last fence value tv_run() used since the last reset
 */
struct tvgpu {
	char uuid[40];
	struct vgpu_dev *d;
	__u64 size;
	__u64 seq;
};

/* ---- helpers ----------------------------------------------------------- */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 rng_state = 1;

static void rnd_seed(__u64 seed)
{
	rng_state = seed ? seed : 1;
}

static __u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static __u64 rnd_below(__u64 n)
{
	return rnd() % n;
}

static void rnd_fill(void *p, size_t len)
{
	__u8 *b = p;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		__u64 v = rnd();

		memcpy(b + i, &v, sizeof(v));
	}
	for (; i < len; i++)
		b[i] = rnd();
}

static void gemm_ref(const __s8 *a, const __s8 *b, __s32 *c, __u32 m,
		     __u32 n, __u32 k)
{
	__u32 i, j, l;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			__s32 acc = 0;

			for (l = 0; l < k; l++)
				acc += a[i * k + l] * b[l * n + j];
			c[i * n + j] = acc;
		}
}

#define FNV_PRIME	0x100000001b3ULL

/*
 * FNV-1a over the 64-bit words of [from, to) of @base, from @h on, in four
 * interleaved lanes (a third faster in a TCG guest).
 */
static __u64 hash_words(__u64 h, const void *base, __u64 from, __u64 to)
{
	__u64 l1 = h + 1, l2 = h + 2, l3 = h + 3, i = from / 8;
	const __u64 *w = base;

	for (; i + 4 <= to / 8; i += 4) {
		h = (h ^ w[i]) * FNV_PRIME;
		l1 = (l1 ^ w[i + 1]) * FNV_PRIME;
		l2 = (l2 ^ w[i + 2]) * FNV_PRIME;
		l3 = (l3 ^ w[i + 3]) * FNV_PRIME;
	}
	for (; i < to / 8; i++)
		h = (h ^ w[i]) * FNV_PRIME;
	return h ^ (l1 << 1 | l1 >> 63) ^ (l2 << 2 | l2 >> 62) ^
	       (l3 << 3 | l3 >> 61);
}

/* Offset of the first non-zero 64-bit word in [from, to), or @to. */
static __u64 first_nonzero(const void *base, __u64 from, __u64 to)
{
	const __u64 *w = base;
	__u64 i;

	for (i = from / 8; i < to / 8; i++)
		if (w[i])
			return i * 8;
	return to;
}

static __u8 *win(struct tvgpu *t)
{
	return t->d->window;
}

/*
 * Checksum of the window outside the ring and outside [skip, skip + len)
 * (widened to whole 64-bit words).
 */
static __u64 win_sum(struct tvgpu *t, __u64 skip, __u64 len)
{
	__u64 lo = skip & ~7ULL, hi = (skip + len + 7) & ~7ULL;
	__u64 h = 0xcbf29ce484222325ULL;

	if (!len || lo < RING_BYTES)
		lo = RING_BYTES;
	if (!len || hi < lo)
		hi = lo;
	if (hi > t->size)
		hi = t->size;
	h = hash_words(h, win(t), RING_BYTES, lo);
	return hash_words(h, win(t), hi, t->size);
}

static __u64 sysfs_inst(struct tvgpu *t, const char *attr)
{
	return sysfs_num(MDEV_DEVICES "/%s/vgpu/%s", t->uuid, attr);
}

static int tv_ring(struct tvgpu *t)
{
	t->seq = 0;
	return vgpu_ring_init(t->d, 0, RING_ENTRIES);
}

/* Create a vGPU of @type, open it and set up its ring. */
static int tv_open(struct tvgpu *t, const char *type)
{
	int ret;

	uuid_gen(t->uuid);
	ret = vgpu_create(type, t->uuid);
	if (ret)
		return ret;
	t->size = sysfs_inst(t, "mem_size_bytes");
	ret = vgpu_dev_open(t->uuid, &t->d);
	if (ret)
		return ret;
	return tv_ring(t);
}

static void tv_close(struct tvgpu *t)
{
	vgpu_dev_close(t->d);
	t->d = NULL;
}

static void tv_drain(struct tvgpu *t)
{
	vgpu_irq_drain(t->d, VGPU_MSIX_COMPLETION);
	vgpu_irq_drain(t->d, VGPU_MSIX_ERROR);
}

/* Reset through the RESET register, forget interrupts, set up the ring. */
static int tv_reset(struct tvgpu *t)
{
	int ret = vgpu_write32(t->d, VGPU_REG_RESET, VGPU_RESET_MAGIC);

	tv_drain(t);
	return ret ? ret : tv_ring(t);
}

/* Queue @n commands and a fence behind them, and wait for the fence. */
static int tv_run(struct tvgpu *t, const struct vgpu_cmd *c, unsigned int n)
{
	struct vgpu_cmd f = vgpu_cmd_fence(FENCE_OFF, ++t->seq, false);
	int ret = vgpu_submit(t->d, c, n);

	if (!ret)
		ret = vgpu_submit(t->d, &f, 1);
	if (!ret)
		ret = vgpu_wait_fence(t->d, t->seq, WAIT_MS);
	return ret;
}

static int tv_run1(struct tvgpu *t, struct vgpu_cmd c)
{
	return tv_run(t, &c, 1);
}

/* Check the fault registers and the halted state. */
static void expect_fault(struct __test_metadata *_metadata, struct tvgpu *t,
			 __u32 code, __u32 index, __u64 addr, const char *what)
{
	EXPECT_EQ(code, vgpu_read32(t->d, VGPU_REG_ERR_CODE))
		TH_LOG("%s: ERR_CODE", what);
	EXPECT_EQ(index, vgpu_read32(t->d, VGPU_REG_ERR_INDEX))
		TH_LOG("%s: ERR_INDEX", what);
	EXPECT_EQ(addr, vgpu_read64(t->d, VGPU_REG_ERR_ADDR))
		TH_LOG("%s: ERR_ADDR", what);
	EXPECT_EQ(VGPU_STATUS_HALTED, vgpu_read32(t->d, VGPU_REG_STATUS) &
		  (VGPU_STATUS_HALTED | VGPU_STATUS_RUNNING))
		TH_LOG("%s: STATUS", what);
	EXPECT_TRUE(vgpu_read32(t->d, VGPU_REG_IRQ_STATUS) & VGPU_IRQ_ERROR)
		TH_LOG("%s: IRQ_STATUS", what);
}

/**
 * struct bad_cmd - a command the device must refuse
 * @name: what is wrong with it
 * @cmd: the command
 * @code: the VGPU_ERR_* it raises
 * @addr: the ERR_ADDR it reports
 */
struct bad_cmd {
	const char *name;
	struct vgpu_cmd cmd;
	__u32 code;
	__u64 addr;
};

#define MAX_BAD		32

/*
 * Reset @t, put a random pattern in the data area, queue @nops NOPs, @bc and
 * a FILL and FENCE behind it, ring once, and check that exactly the NOPs
 * ran, the fault is reported as documented, later doorbells do nothing, and
 * the window outside the ring and [skip, skip + skip_len) did not change.
 */
static void check_bad(struct __test_metadata *_metadata, struct tvgpu *t,
		      const struct bad_cmd *bc, unsigned int nops,
		      __u64 skip, __u64 skip_len)
{
	struct vgpu_cmd c[8];
	unsigned int n = 0, i;
	__u64 before;

	ASSERT_EQ(0, tv_reset(t));
	rnd_fill(win(t) + DATA_OFF, PATTERN_BYTES);
	for (i = 0; i < nops; i++)
		c[n++] = vgpu_cmd_nop();
	c[n++] = bc->cmd;
	c[n++] = vgpu_cmd_fill(DATA_OFF, 4096, 0x5a5a5a5a);
	c[n++] = vgpu_cmd_fence(FENCE_OFF, 1, true);
	ASSERT_EQ(0, vgpu_ring_put(t->d, c, n));
	before = win_sum(t, skip, skip_len);
	ASSERT_EQ(0, vgpu_ring_doorbell(t->d));
	ASSERT_LE(1, vgpu_wait_irq(t->d, VGPU_MSIX_ERROR, WAIT_MS))
		TH_LOG("%s: no error interrupt", bc->name);
	expect_fault(_metadata, t, bc->code, nops, bc->addr, bc->name);
	EXPECT_EQ(nops, vgpu_read32(t->d, VGPU_REG_RING_HEAD))
		TH_LOG("%s", bc->name);
	EXPECT_EQ(n, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
	EXPECT_EQ(nops, vgpu_read64(t->d, VGPU_REG_COMPLETED))
		TH_LOG("%s", bc->name);
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_FENCE));

	/* A later doorbell does nothing. */
	c[0] = vgpu_cmd_fence(FENCE_OFF, 2, true);
	ASSERT_EQ(0, vgpu_ring_put(t->d, c, 1));
	ASSERT_EQ(0, vgpu_ring_doorbell(t->d));
	usleep(5000);
	EXPECT_EQ(n, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
	EXPECT_EQ(nops, vgpu_read32(t->d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(nops, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_ERROR));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_COMPLETION));
	expect_fault(_metadata, t, bc->code, nops, bc->addr, bc->name);
	EXPECT_EQ(before, win_sum(t, skip, skip_len))
		TH_LOG("%s: window changed", bc->name);
}

static void check_bad_list(struct __test_metadata *_metadata,
			   struct tvgpu *t, const struct bad_cmd *bc,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		check_bad(_metadata, t, &bc[i], i % 4, 0, 0);
}

#define BAD(_name, _cmd, _code, _addr)					\
	((struct bad_cmd){ .name = (_name), .cmd = (_cmd),		\
			   .code = (_code), .addr = (_addr) })

/* Commands with a window range outside a window of @w bytes. */
static unsigned int range_cases(__u64 w, struct bad_cmd *bc)
{
	const __u64 d = DATA_OFF, top = ~0ULL;
	unsigned int n = 0;

	bc[n++] = BAD("COPY src one byte past the end",
		      vgpu_cmd_copy(w - 15, d, 16, 0), VGPU_ERR_RANGE, w - 15);
	bc[n++] = BAD("COPY dst one byte past the end",
		      vgpu_cmd_copy(d, w - 15, 16, 0), VGPU_ERR_RANGE, w - 15);
	bc[n++] = BAD("COPY src at the end",
		      vgpu_cmd_copy(w, d, 1, 0), VGPU_ERR_RANGE, w);
	bc[n++] = BAD("COPY huge length",
		      vgpu_cmd_copy(d, d + MIB, 1ULL << 62, 0),
		      VGPU_ERR_RANGE, d);
	bc[n++] = BAD("COPY src + len overflows",
		      vgpu_cmd_copy(8, d, top - 4, 0), VGPU_ERR_RANGE, 8);
	bc[n++] = BAD("COPY src near 2^64",
		      vgpu_cmd_copy(top - 7, d, 16, 0), VGPU_ERR_RANGE,
		      top - 7);
	bc[n++] = BAD("COPY dst near 2^64",
		      vgpu_cmd_copy(d, top - 7, 16, 0), VGPU_ERR_RANGE,
		      top - 7);
	bc[n++] = BAD("COPY DMA src wraps",
		      vgpu_cmd_copy(top - 7, d, 16, VGPU_CMD_SRC_SYS),
		      VGPU_ERR_RANGE, top - 7);
	bc[n++] = BAD("COPY DMA dst wraps",
		      vgpu_cmd_copy(d, top, 2, VGPU_CMD_DST_SYS),
		      VGPU_ERR_RANGE, top);
	bc[n++] = BAD("COPY window src past the end to DMA",
		      vgpu_cmd_copy(w - 4, VGPU_IOVA_BASE, 8,
				    VGPU_CMD_DST_SYS),
		      VGPU_ERR_RANGE, w - 4);
	bc[n++] = BAD("FILL one word past the end",
		      vgpu_cmd_fill(w - 4, 8, 1), VGPU_ERR_RANGE, w - 4);
	bc[n++] = BAD("FILL dst + len overflows",
		      vgpu_cmd_fill(top - 3, 8, 1), VGPU_ERR_RANGE, top - 3);
	bc[n++] = BAD("GEMM A one byte past the end",
		      vgpu_cmd_gemm(w - 19, d, d + 4096, 4, 4, 5),
		      VGPU_ERR_RANGE, w - 19);
	bc[n++] = BAD("GEMM B one byte past the end",
		      vgpu_cmd_gemm(d, w - 1, d + 4096, 1, 2, 1),
		      VGPU_ERR_RANGE, w - 1);
	bc[n++] = BAD("GEMM C one word past the end",
		      vgpu_cmd_gemm(d, d + 64, w - 12, 2, 2, 1),
		      VGPU_ERR_RANGE, w - 12);
	bc[n++] = BAD("GEMM C larger than the window",
		      vgpu_cmd_gemm(d, d + MIB, d + 2 * MIB, 65535, 65535, 1),
		      VGPU_ERR_RANGE, d + 2 * MIB);
	bc[n++] = BAD("GEMM m * k near 2^64",
		      vgpu_cmd_gemm(d, d, d, ~0u, 1, ~0u), VGPU_ERR_RANGE, d);
	bc[n++] = BAD("CRC32C src one byte past the end",
		      vgpu_cmd_crc(w - 3, 4, SCRATCH_OFF), VGPU_ERR_RANGE,
		      w - 3);
	bc[n++] = BAD("CRC32C dst at the end",
		      vgpu_cmd_crc(d, 16, w), VGPU_ERR_RANGE, w);
	bc[n++] = BAD("FENCE at the end",
		      vgpu_cmd_fence(w, 1, false), VGPU_ERR_RANGE, w);
	bc[n++] = BAD("TIMESTAMP at the end",
		      vgpu_cmd_timestamp(w), VGPU_ERR_RANGE, w);
	bc[n++] = BAD("TIMESTAMP near 2^64",
		      vgpu_cmd_timestamp(top - 7), VGPU_ERR_RANGE, top - 7);
	return n;
}

/* Commands with a misaligned address or length. */
static unsigned int align_cases(__u64 w, struct bad_cmd *bc)
{
	const __u64 d = DATA_OFF;
	unsigned int n = 0;

	bc[n++] = BAD("FILL dst misaligned",
		      vgpu_cmd_fill(d + 2, 8, 1), VGPU_ERR_ALIGN, d + 2);
	/* A length has no address: ERR_ADDR stays 0. */
	bc[n++] = BAD("FILL len not a multiple of 4",
		      vgpu_cmd_fill(d, 6, 1), VGPU_ERR_ALIGN, 0);
	bc[n++] = BAD("GEMM C misaligned",
		      vgpu_cmd_gemm(d, d + 64, d + 4098, 2, 2, 2),
		      VGPU_ERR_ALIGN, d + 4098);
	bc[n++] = BAD("CRC32C dst misaligned",
		      vgpu_cmd_crc(d, 16, SCRATCH_OFF + 2), VGPU_ERR_ALIGN,
		      SCRATCH_OFF + 2);
	bc[n++] = BAD("FENCE dst only 4-aligned",
		      vgpu_cmd_fence(d + 4, 1, false), VGPU_ERR_ALIGN, d + 4);
	bc[n++] = BAD("FENCE dst in the last word but misaligned",
		      vgpu_cmd_fence(w - 4, 1, false), VGPU_ERR_ALIGN, w - 4);
	bc[n++] = BAD("TIMESTAMP dst misaligned",
		      vgpu_cmd_timestamp(d + 1), VGPU_ERR_ALIGN, d + 1);
	/* Alignment is checked before the range. */
	bc[n++] = BAD("FENCE misaligned past the end",
		      vgpu_cmd_fence(w + 4, 1, false), VGPU_ERR_ALIGN, w + 4);
	return n;
}

/* Commands with a zero or inconsistent size. */
static unsigned int size_cases(struct bad_cmd *bc)
{
	const __u64 d = DATA_OFF;
	struct vgpu_cmd c;
	unsigned int n = 0;

	bc[n++] = BAD("COPY len 0", vgpu_cmd_copy(d, d + MIB, 0, 0),
		      VGPU_ERR_SIZE, 0);
	bc[n++] = BAD("FILL len 0", vgpu_cmd_fill(d, 0, 1), VGPU_ERR_SIZE, 0);
	c = vgpu_cmd_fill(d, 8, 1);
	c.u.fill.pad = 1;
	bc[n++] = BAD("FILL pad set", c, VGPU_ERR_SIZE, 0);
	bc[n++] = BAD("GEMM m 0", vgpu_cmd_gemm(d, d, d, 0, 1, 1),
		      VGPU_ERR_SIZE, 0);
	bc[n++] = BAD("GEMM n 0", vgpu_cmd_gemm(d, d, d, 1, 0, 1),
		      VGPU_ERR_SIZE, 0);
	bc[n++] = BAD("GEMM k 0", vgpu_cmd_gemm(d, d, d, 1, 1, 0),
		      VGPU_ERR_SIZE, 0);
	c = vgpu_cmd_gemm(d, d, d, 1, 1, 1);
	c.u.gemm.pad = 1;
	bc[n++] = BAD("GEMM pad set", c, VGPU_ERR_SIZE, 0);
	bc[n++] = BAD("CRC32C len 0", vgpu_cmd_crc(d, 0, SCRATCH_OFF),
		      VGPU_ERR_SIZE, 0);
	return n;
}

static struct vgpu_cmd with_flags(struct vgpu_cmd c, __u32 flags)
{
	c.flags = flags;
	return c;
}

static struct vgpu_cmd with_opcode(struct vgpu_cmd c, __u32 opcode)
{
	c.opcode = opcode;
	return c;
}

/* Unknown opcodes and flags an opcode does not allow. */
static unsigned int opcode_cases(struct bad_cmd *bc)
{
	const __u64 d = DATA_OFF;
	unsigned int n = 0;

	bc[n++] = BAD("opcode VGPU_OP_COUNT",
		      with_opcode(vgpu_cmd_nop(), VGPU_OP_COUNT),
		      VGPU_ERR_OPCODE, 0);
	bc[n++] = BAD("opcode ~0", with_opcode(vgpu_cmd_nop(), ~0u),
		      VGPU_ERR_OPCODE, 0);
	bc[n++] = BAD("unknown opcode and bad flags",
		      with_flags(with_opcode(vgpu_cmd_nop(), 9), ~0u),
		      VGPU_ERR_OPCODE, 0);
	bc[n++] = BAD("NOP with IRQ", with_flags(vgpu_cmd_nop(), VGPU_CMD_IRQ),
		      VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("COPY with IRQ",
		      vgpu_cmd_copy(d, d + MIB, 16, VGPU_CMD_IRQ),
		      VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("COPY with an undefined flag",
		      vgpu_cmd_copy(d, d + MIB, 16, 0x8), VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("FILL with SRC_SYS",
		      with_flags(vgpu_cmd_fill(d, 8, 1), VGPU_CMD_SRC_SYS),
		      VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("GEMM with DST_SYS",
		      with_flags(vgpu_cmd_gemm(d, d, d, 1, 1, 1),
				 VGPU_CMD_DST_SYS),
		      VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("CRC32C with SRC_SYS",
		      with_flags(vgpu_cmd_crc(d, 4, SCRATCH_OFF),
				 VGPU_CMD_SRC_SYS),
		      VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("FENCE with DST_SYS",
		      with_flags(vgpu_cmd_fence(FENCE_OFF, 1, true),
				 VGPU_CMD_IRQ | VGPU_CMD_DST_SYS),
		      VGPU_ERR_FLAGS, 0);
	bc[n++] = BAD("TIMESTAMP with IRQ",
		      with_flags(vgpu_cmd_timestamp(SCRATCH_OFF),
				 VGPU_CMD_IRQ),
		      VGPU_ERR_FLAGS, 0);
	return n;
}

/* COPYs whose window ranges overlap. */
static unsigned int overlap_cases(struct bad_cmd *bc)
{
	const __u64 d = DATA_OFF;
	unsigned int n = 0;

	bc[n++] = BAD("COPY dst 8 bytes into src",
		      vgpu_cmd_copy(d, d + 8, 16, 0), VGPU_ERR_OVERLAP, 0);
	bc[n++] = BAD("COPY src 8 bytes into dst",
		      vgpu_cmd_copy(d + 8, d, 16, 0), VGPU_ERR_OVERLAP, 0);
	bc[n++] = BAD("COPY onto itself",
		      vgpu_cmd_copy(d, d, 1, 0), VGPU_ERR_OVERLAP, 0);
	bc[n++] = BAD("COPY sharing the last byte",
		      vgpu_cmd_copy(d, d + 4095, 4096, 0), VGPU_ERR_OVERLAP,
		      0);
	bc[n++] = BAD("COPY 128 KiB shifted by 64 KiB",
		      vgpu_cmd_copy(d, d + 0x10000, 0x20000, 0),
		      VGPU_ERR_OVERLAP, 0);
	return n;
}

/* ---- fixture ----------------------------------------------------------- */

/* vgpu_remove_all() without a shell, which is slow in a TCG guest. */
static void remove_leftovers(void)
{
	DIR *dir = opendir(MDEV_DEVICES);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			vgpu_remove(e->d_name);
	closedir(dir);
}

FIXTURE(dev) {
	struct tvgpu v[MAX_VGPUS];
};

FIXTURE_SETUP(dev)
{
	remove_leftovers();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
	/* Random data is the same every run unless VGPU_TEST_SEED says. */
	rnd_seed(getenv("VGPU_TEST_SEED") ?
		 strtoull(getenv("VGPU_TEST_SEED"), NULL, 0) : 0x5eed5eedULL);
	ASSERT_EQ(0, tv_open(&self->v[0], "shared"));
	ASSERT_EQ(32 * MIB, self->v[0].size);
}

FIXTURE_TEARDOWN(dev)
{
	int i;

	for (i = 0; i < MAX_VGPUS; i++) {
		tv_close(&self->v[i]);
		if (self->v[i].uuid[0])
			vgpu_remove(self->v[i].uuid);
	}
	remove_leftovers();
	if (vgpu_loaded())
		vgpu_unload();
}

/* ---- config space ------------------------------------------------------ */

static void check_identity(struct __test_metadata *_metadata,
			   struct tvgpu *t, unsigned int profile)
{
	__u32 v, pos, id, flags, caps = 0;

	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_VENDOR_ID, 2, &v));
	EXPECT_EQ(VGPU_PCI_VENDOR_ID, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_DEVICE_ID, 2, &v));
	EXPECT_EQ(VGPU_PCI_DEVICE_ID, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_CLASS_REVISION, 4, &v));
	EXPECT_EQ(VGPU_PCI_CLASS, v >> 8);
	EXPECT_EQ(VGPU_PCI_REVISION, v & 0xff);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_HEADER_TYPE, 1, &v));
	EXPECT_EQ(PCI_HEADER_TYPE_NORMAL, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_SUBSYSTEM_VENDOR_ID, 2, &v));
	EXPECT_EQ(VGPU_PCI_VENDOR_ID, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_SUBSYSTEM_ID, 2, &v));
	EXPECT_EQ(VGPU_PCI_SUBSYS_BASE + profile, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_INTERRUPT_PIN, 1, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_STATUS, 2, &v));
	EXPECT_TRUE(v & PCI_STATUS_CAP_LIST);

	/* Walk the list: PCI Express, then MSI-X, then the end. */
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_CAPABILITY_LIST, 1, &pos));
	while (pos && caps < 48) {
		ASSERT_EQ(0, pos & 3);
		ASSERT_LE(0x40, pos);
		ASSERT_EQ(0, vgpu_cfg_read(t->d, pos + PCI_CAP_LIST_ID, 1,
					   &id));
		ASSERT_EQ(0, vgpu_cfg_read(t->d, pos + 2, 2, &flags));
		if (caps == 0) {
			EXPECT_EQ(PCI_CAP_ID_EXP, id);
			EXPECT_EQ(2, flags & PCI_EXP_FLAGS_VERS);
			EXPECT_EQ(PCI_EXP_TYPE_ENDPOINT,
				  (flags & PCI_EXP_FLAGS_TYPE) >> 4);
			ASSERT_EQ(0, vgpu_cfg_read(t->d, pos + PCI_EXP_DEVCAP,
						   4, &v));
			EXPECT_TRUE(v & PCI_EXP_DEVCAP_FLR);
		} else if (caps == 1) {
			EXPECT_EQ(PCI_CAP_ID_MSIX, id);
			EXPECT_EQ(VGPU_MSIX_VECTORS,
				  (flags & PCI_MSIX_FLAGS_QSIZE) + 1);
			ASSERT_EQ(0, vgpu_cfg_read(t->d, pos + PCI_MSIX_TABLE,
						   4, &v));
			EXPECT_EQ(VGPU_BAR_REGS, v & PCI_MSIX_TABLE_BIR);
			EXPECT_EQ(VGPU_MSIX_TABLE_OFFSET,
				  v & PCI_MSIX_TABLE_OFFSET);
			ASSERT_EQ(0, vgpu_cfg_read(t->d, pos + PCI_MSIX_PBA,
						   4, &v));
			EXPECT_EQ(VGPU_BAR_REGS, v & PCI_MSIX_PBA_BIR);
			EXPECT_EQ(VGPU_MSIX_PBA_OFFSET,
				  v & PCI_MSIX_PBA_OFFSET);
		}
		caps++;
		ASSERT_EQ(0, vgpu_cfg_read(t->d, pos + PCI_CAP_LIST_NEXT, 1,
					   &pos));
	}
	EXPECT_EQ(2, caps);
	/* No extended capabilities. */
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_CFG_SPACE_SIZE, 4, &v));
	EXPECT_EQ(0, v);
}

TEST_F(dev, config_identity)
{
	unsigned int i;

	/* The fixture's vGPU is the "shared" one; open the other two. */
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct tvgpu *t = &self->v[i == SHARED ? 0 : i + 1];
		char path[256], buf[64];

		if (i != SHARED)
			ASSERT_EQ(0, tv_open(t, types[i]));
		snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/profile",
			 t->uuid);
		ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
		ASSERT_STREQ(types[i], buf);
		check_identity(_metadata, t, i);
	}
}

/*
 * What lspci makes of the vGPU: its config space as "lspci -xxxx" prints it,
 * read back with "lspci -F" against the installed PCI ID database. The vendor
 * must be one no company holds, so lspci names none: "Device [vvvv:dddd]".
 */
TEST_F(dev, config_lspci_names_no_vendor)
{
	char dump[] = "/tmp/vgpu-cfg-XXXXXX", cmd[256], line[512];
	char want[64], want_sub[64];
	bool seen = false, seen_sub = false;
	__u32 off, v, n = 0;
	FILE *f;
	int fd;

	if (system("command -v lspci >/dev/null 2>&1"))
		SKIP(return, "lspci is not installed");
	fd = mkstemp(dump);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "00:00.0 vgpu\n");
	for (off = 0; off < PCI_CFG_SPACE_EXP_SIZE; off += 4) {
		ASSERT_EQ(0, vgpu_cfg_read(self->v[0].d, off, 4, &v));
		if (!(off % 16))
			fprintf(f, "%03x:", off);
		fprintf(f, " %02x %02x %02x %02x", v & 0xff, (v >> 8) & 0xff,
			(v >> 16) & 0xff, v >> 24);
		if (off % 16 == 12)
			fputc('\n', f);
	}
	ASSERT_EQ(0, fclose(f));

	snprintf(want, sizeof(want), ": Device [%04x:%04x]",
		 VGPU_PCI_VENDOR_ID, VGPU_PCI_DEVICE_ID);
	snprintf(want_sub, sizeof(want_sub), "Subsystem: Device [%04x:%04x]",
		 VGPU_PCI_VENDOR_ID, VGPU_PCI_SUBSYS_BASE + SHARED);
	snprintf(cmd, sizeof(cmd), "lspci -F %s -nn -vvv 2>&1", dump);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (n++ < 2)
			TH_LOG("lspci: %s", strtok(line, "\n") ?: "");
		if (strstr(line, "Processing accelerators [1200]") &&
		    strstr(line, want))
			seen = true;
		if (strstr(line, want_sub))
			seen_sub = true;
	}
	EXPECT_EQ(0, pclose(f));
	unlink(dump);
	EXPECT_TRUE(seen);
	EXPECT_TRUE(seen_sub);
}

/* Write all ones to a BAR, read the sizing value, restore it. */
static __u32 bar_probe(struct tvgpu *t, unsigned int bar)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	__u32 orig = 0, v = 0xdeadbeef;

	vgpu_cfg_read(t->d, reg, 4, &orig);
	vgpu_cfg_write(t->d, reg, 4, 0xffffffff);
	vgpu_cfg_read(t->d, reg, 4, &v);
	vgpu_cfg_write(t->d, reg, 4, orig);
	return v;
}

TEST_F(dev, config_bar_sizing)
{
	struct tvgpu *t = &self->v[0];
	__u64 w = t->size, mask = ~(w - 1), size;
	__u32 lo, hi, v;

	/* BAR0: 32-bit, non-prefetchable memory of 4 KiB. */
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_BASE_ADDRESS_0, 4, &v));
	EXPECT_EQ(PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32,
		  v & 0xf);
	EXPECT_EQ(~(__u32)(VGPU_REGS_SIZE - 1), bar_probe(t, 0));
	EXPECT_EQ(0, bar_probe(t, 1));
	/* BAR2/3: 64-bit prefetchable memory, the window. */
	lo = bar_probe(t, 2);
	hi = bar_probe(t, 3);
	EXPECT_EQ(((__u32)mask & PCI_BASE_ADDRESS_MEM_MASK) |
		  PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  lo);
	EXPECT_EQ((__u32)(mask >> 32), hi);
	size = ~(((__u64)hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK)) + 1;
	EXPECT_EQ(w, size);
	EXPECT_EQ(0, bar_probe(t, 4));
	EXPECT_EQ(0, bar_probe(t, 5));
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_ROM_ADDRESS, 4, 0xffffffff));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_ROM_ADDRESS, 4, &v));
	EXPECT_EQ(0, v);

	/* Programmed addresses keep only the bits above the size. */
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_BASE_ADDRESS_0, 4, 0xfebf1234));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_BASE_ADDRESS_0, 4, &v));
	EXPECT_EQ(0xfebf1000, v);
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_BASE_ADDRESS_2, 4, 0x12345678));
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_BASE_ADDRESS_3, 4, 0x9));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_BASE_ADDRESS_2, 4, &v));
	EXPECT_EQ((0x12345678 & (__u32)mask) | 0xc, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_BASE_ADDRESS_3, 4, &v));
	EXPECT_EQ(0x9, v);
	/* Byte writes merge into the BAR. */
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_BASE_ADDRESS_0 + 3, 1, 0xc0));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_BASE_ADDRESS_0, 4, &v));
	EXPECT_EQ(0xc0bf1000, v);
}

TEST_F(dev, config_command_and_read_only)
{
	static const struct { __u32 off, size; } ro[] = {
		{ PCI_VENDOR_ID, 2 }, { PCI_DEVICE_ID, 2 },
		{ PCI_CLASS_REVISION, 4 }, { PCI_HEADER_TYPE, 1 },
		{ PCI_SUBSYSTEM_VENDOR_ID, 2 }, { PCI_SUBSYSTEM_ID, 2 },
		{ PCI_CAPABILITY_LIST, 1 }, { PCI_INTERRUPT_PIN, 1 },
		{ PCI_STATUS, 2 }, { 0x40, 4 }, { 0x44, 4 }, { 0x4c, 4 },
		{ 0x80, 2 }, { 0x84, 4 }, { 0x88, 4 }, { 0xfc, 4 },
		{ 0x100, 4 }, { 0xffc, 4 },
	};
	struct tvgpu *t = &self->v[0];
	__u8 before[256], after[256];
	__u32 cmd, v;
	__u64 v64;
	size_t i;

	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_COMMAND, 2, &cmd));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, cmd);
	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_CONFIG_REGION_INDEX, 0,
				      before, sizeof(before)));
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		ASSERT_EQ(0, vgpu_cfg_write(t->d, ro[i].off, ro[i].size,
					    0xffffffff));
		ASSERT_EQ(0, vgpu_cfg_write(t->d, ro[i].off, ro[i].size, 0));
	}
	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_CONFIG_REGION_INDEX, 0,
				      after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(before)));
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		ASSERT_EQ(0, vgpu_cfg_read(t->d, ro[i].off, ro[i].size, &v));
		if (ro[i].off < sizeof(before))
			EXPECT_EQ(0, memcmp(&v, before + ro[i].off, ro[i].size))
				TH_LOG("config 0x%x changed", ro[i].off);
	}

	/* Only the bits a function without I/O BARs implements stick. */
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2, 0xffff));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_COMMAND, 2, &v));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		  PCI_COMMAND_INTX_DISABLE, v);

	/* Memory decoding off: BAR0 reads all ones and ignores writes. */
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2, PCI_COMMAND_MASTER));
	EXPECT_EQ(~0u, vgpu_read32(t->d, VGPU_REG_ID));
	EXPECT_EQ(~0ULL, vgpu_read64(t->d, VGPU_REG_WINDOW_SIZE));
	ASSERT_EQ(0, vgpu_reg_read(t->d, VGPU_REG_VERSION, 1, &v64));
	EXPECT_EQ(0xff, v64);
	ASSERT_EQ(0, vgpu_reg_read(t->d, VGPU_REG_VERSION, 2, &v64));
	EXPECT_EQ(0xffff, v64);
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_MASK, VGPU_IRQ_ERROR));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RESET, VGPU_RESET_MAGIC));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_CTRL, 0));
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2, cmd));
	EXPECT_EQ(VGPU_ID_MAGIC, vgpu_read32(t->d, VGPU_REG_ID));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_IRQ_MASK));
	/* Neither the reset nor the disable happened: the ring still runs. */
	EXPECT_EQ(VGPU_RING_ENABLE, vgpu_read32(t->d, VGPU_REG_RING_CTRL));
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_nop()));
}

TEST_F(dev, config_msix_and_flr)
{
	struct tvgpu *t = &self->v[0];
	__u32 v;

	/* MSI-X enable and function mask are the writable bits. */
	ASSERT_EQ(0, vgpu_cfg_write(t->d, 0x80 + PCI_MSIX_FLAGS, 2, 0xffff));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, 0x80 + PCI_MSIX_FLAGS, 2, &v));
	EXPECT_EQ(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL |
		  (VGPU_MSIX_VECTORS - 1), v);
	ASSERT_EQ(0, vgpu_cfg_write(t->d, 0x80 + PCI_MSIX_FLAGS, 2, 0));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, 0x80 + PCI_MSIX_FLAGS, 2, &v));
	EXPECT_EQ(VGPU_MSIX_VECTORS - 1, v);

	/* Initiate FLR: the function returns to its power-on state. */
	memset(win(t) + DATA_OFF, 0x77, 4096);
	ASSERT_EQ(0, vgpu_cfg_write(t->d, 0x40 + PCI_EXP_DEVCTL, 2,
				    PCI_EXP_DEVCTL_BCR_FLR));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, 0x40 + PCI_EXP_DEVCTL, 2, &v));
	EXPECT_EQ(0, v & PCI_EXP_DEVCTL_BCR_FLR);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_COMMAND, 2, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(~0u, vgpu_read32(t->d, VGPU_REG_ID));
	ASSERT_EQ(0, vgpu_pci_enable(t->d));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_CTRL));
	EXPECT_EQ(4096, first_nonzero(win(t), DATA_OFF, DATA_OFF + 4096) -
		  DATA_OFF);

	/* A one-byte write of the FLR bit at 0x49 resets too. */
	memset(win(t) + DATA_OFF, 0x77, 4096);
	ASSERT_EQ(0, vgpu_cfg_write(t->d, 0x40 + PCI_EXP_DEVCTL + 1, 1,
				    PCI_EXP_DEVCTL_BCR_FLR >> 8));
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_COMMAND, 2, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, win(t)[DATA_OFF]);
}

/* ---- BAR0 -------------------------------------------------------------- */

TEST_F(dev, regs_identity)
{
	struct tvgpu *t = &self->v[0];
	unsigned int first, last;
	char path[256], buf[64];

	EXPECT_EQ(VGPU_ID_MAGIC, vgpu_read32(t->d, VGPU_REG_ID));
	EXPECT_EQ(0x10002, vgpu_read32(t->d, VGPU_REG_VERSION));
	EXPECT_EQ(VGPU_VERSION_MAJOR << 16 | VGPU_VERSION_MINOR,
		  vgpu_read32(t->d, VGPU_REG_VERSION));
	EXPECT_EQ(0xff, vgpu_read32(t->d, VGPU_REG_CAPS));
	EXPECT_EQ((1u << VGPU_OP_COUNT) - 1, vgpu_read32(t->d, VGPU_REG_CAPS));
	EXPECT_EQ(sysfs_inst(t, "mem_size_bytes"),
		  vgpu_read64(t->d, VGPU_REG_WINDOW_SIZE));
	EXPECT_EQ(t->size, vgpu_read64(t->d, VGPU_REG_WINDOW_SIZE));
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/engines",
		 t->uuid);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	if (sscanf(buf, "%u-%u", &first, &last) != 2)
		last = first;
	EXPECT_EQ(last - first + 1, vgpu_read32(t->d, VGPU_REG_ENGINES));
	/* The work unit the command DOC describes: 64 KiB, 16 x 16 tiles. */
	EXPECT_EQ(65536, vgpu_read32(t->d, VGPU_REG_UNIT_BYTES));
	EXPECT_EQ(16, vgpu_read32(t->d, VGPU_REG_UNIT_TILE));
	/* The ring the fixture set up, idle. */
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_RING_BASE));
	EXPECT_EQ(RING_ENTRIES, vgpu_read32(t->d, VGPU_REG_RING_SIZE));
	EXPECT_EQ(VGPU_STATUS_RUNNING | VGPU_STATUS_IDLE,
		  vgpu_read32(t->d, VGPU_REG_STATUS));
	/* Read-only registers ignore writes. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_ID, 0));
	ASSERT_EQ(0, vgpu_write64(t->d, VGPU_REG_WINDOW_SIZE, 4096));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_CAPS, 0));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_HEAD, 5));
	ASSERT_EQ(0, vgpu_write64(t->d, VGPU_REG_FENCE, 5));
	ASSERT_EQ(0, vgpu_write64(t->d, VGPU_REG_ERR_ADDR, 5));
	EXPECT_EQ(VGPU_ID_MAGIC, vgpu_read32(t->d, VGPU_REG_ID));
	EXPECT_EQ(t->size, vgpu_read64(t->d, VGPU_REG_WINDOW_SIZE));
	EXPECT_EQ(0xff, vgpu_read32(t->d, VGPU_REG_CAPS));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_ERR_ADDR));
}

#define REG_SPAN	0x88

/* Whether byte @i of the register file changes on its own. */
static bool volatile_byte(unsigned int i)
{
	return i >= VGPU_REG_TIMESTAMP && i < VGPU_REG_TIMESTAMP + 8;
}

static void check_widths(struct __test_metadata *_metadata, struct tvgpu *t)
{
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	__u8 block[REG_SPAN], got[REG_SPAN];
	unsigned int w, off, i;
	__u64 v;

	/* One pread: the driver splits it into aligned 8-byte reads. */
	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0,
				      block, sizeof(block)));
	for (w = 0; w < ARRAY_SIZE(widths); w++) {
		for (off = 0; off < REG_SPAN; off += widths[w]) {
			ASSERT_EQ(0, vgpu_reg_read(t->d, off, widths[w], &v));
			memcpy(got + off, &v, widths[w]);
		}
		for (i = 0; i < REG_SPAN; i++)
			if (!volatile_byte(i))
				EXPECT_EQ(block[i], got[i])
					TH_LOG("width %u, byte 0x%x",
					       widths[w], i);
	}
	/* A misaligned pread is split too and reads the same bytes. */
	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 3,
				      got + 3, 0x3d));
	for (i = 3; i < 0x40; i++)
		EXPECT_EQ(block[i], got[i]) TH_LOG("byte 0x%x", i);
}

TEST_F(dev, regs_access_widths)
{
	struct tvgpu *t = &self->v[0];
	__u64 v;

	check_widths(_metadata, t);
	/* Values with every byte different, in registers that hold them. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_CTRL, 0));
	ASSERT_EQ(0, vgpu_write64(t->d, VGPU_REG_RING_BASE,
				  0x1122334455667000ULL));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_SIZE, 0x8899aabb));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_MASK, 3));
	check_widths(_metadata, t);
	EXPECT_EQ(0x1122334455667000ULL,
		  vgpu_read64(t->d, VGPU_REG_RING_BASE));
	EXPECT_EQ(0x55667000, vgpu_read32(t->d, VGPU_REG_RING_BASE));
	EXPECT_EQ(0x11223344, vgpu_read32(t->d, VGPU_REG_RING_BASE + 4));
	ASSERT_EQ(0, vgpu_reg_read(t->d, VGPU_REG_RING_SIZE + 1, 1, &v));
	EXPECT_EQ(0xaa, v);
	ASSERT_EQ(0, vgpu_reg_read(t->d, VGPU_REG_RING_SIZE + 2, 2, &v));
	EXPECT_EQ(0x8899, v);
	/* Narrow writes merge into the register. */
	ASSERT_EQ(0, vgpu_reg_write(t->d, VGPU_REG_RING_SIZE + 1, 1, 0x01));
	EXPECT_EQ(0x889901bb, vgpu_read32(t->d, VGPU_REG_RING_SIZE));
	ASSERT_EQ(0, vgpu_reg_write(t->d, VGPU_REG_RING_BASE + 4, 2, 0xbeef));
	EXPECT_EQ(0x1122beef55667000ULL,
		  vgpu_read64(t->d, VGPU_REG_RING_BASE));
	/* Two 32-bit halves make the 64-bit register. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_BASE, 0x2000));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_BASE + 4, 0));
	EXPECT_EQ(0x2000, vgpu_read64(t->d, VGPU_REG_RING_BASE));
	/* The 64-bit clock read in one access is consistent. */
	EXPECT_LT(vgpu_read64(t->d, VGPU_REG_TIMESTAMP),
		  vgpu_read64(t->d, VGPU_REG_TIMESTAMP));
}

TEST_F(dev, regs_unknown_offsets)
{
	static const unsigned int unknown[] = {
		0x03c, 0x044, 0x058, 0x05c, 0x088, 0x08c, 0x100, 0x200,
		0x7fc, 0xffc,
	};
	struct tvgpu *t = &self->v[0];
	__u8 before[REG_SPAN], after[REG_SPAN];
	unsigned int i;
	__u64 v;

	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0,
				      before, sizeof(before)));
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		EXPECT_EQ(0, vgpu_read32(t->d, unknown[i]))
			TH_LOG("0x%x", unknown[i]);
		ASSERT_EQ(0, vgpu_write32(t->d, unknown[i], 0xffffffff));
		ASSERT_EQ(0, vgpu_reg_write(t->d, unknown[i] + 1, 1, 0x5a));
		EXPECT_EQ(0, vgpu_read32(t->d, unknown[i]))
			TH_LOG("0x%x", unknown[i]);
	}
	ASSERT_EQ(0, vgpu_reg_read(t->d, 0x200, 8, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vgpu_reg_write(t->d, 0xff8, 8, ~0ULL));
	ASSERT_EQ(0, vgpu_reg_read(t->d, 0xff8, 8, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX, 0,
				      after, sizeof(after)));
	for (i = 0; i < REG_SPAN; i++)
		if (!volatile_byte(i))
			EXPECT_EQ(before[i], after[i]) TH_LOG("byte 0x%x", i);
	/* BAR0 ends at 4 KiB. */
	EXPECT_EQ(-1, pread(t->d->vfio.device, &v, 4,
			    t->d->region[VFIO_PCI_BAR0_REGION_INDEX].offset +
			    VGPU_REGS_SIZE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(t->d->vfio.device, &v, 8,
			    t->d->region[VFIO_PCI_BAR0_REGION_INDEX].offset +
			    VGPU_REGS_SIZE - 4));
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_nop()));
}

/* ---- the window -------------------------------------------------------- */

TEST_F(dev, window_mmap_and_pread_agree)
{
	struct tvgpu *t = &self->v[0];
	const struct vgpu_region *r =
		&t->d->region[VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW];
	__u64 w = t->size, offs[] = { 3 * 4096 + 5, MIB - 7, w - 70000 };
	size_t len = 70000, i;
	__u8 *buf = malloc(len), *ref = malloc(len);
	void *p;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ref);
	EXPECT_EQ(w, r->size);
	EXPECT_TRUE(r->flags & VFIO_REGION_INFO_FLAG_MMAP);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		/* mmap -> pread */
		rnd_fill(ref, len);
		memcpy(win(t) + offs[i], ref, len);
		ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX +
					      VGPU_BAR_WINDOW, offs[i], buf,
					      len));
		EXPECT_EQ(0, memcmp(ref, buf, len)) TH_LOG("offset %llu",
							   offs[i]);
		/* pwrite -> mmap */
		rnd_fill(ref, len);
		ASSERT_EQ(0, vgpu_region_write(t->d,
					       VFIO_PCI_BAR0_REGION_INDEX +
					       VGPU_BAR_WINDOW, offs[i], ref,
					       len));
		EXPECT_EQ(0, memcmp(ref, win(t) + offs[i], len))
			TH_LOG("offset %llu", offs[i]);
	}
	/* A second mapping shows the same memory. */
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, t->d->vfio.device,
		 r->offset + w - 8192);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, win(t) + w - 8192, 8192));
	munmap(p, 8192);
	/* The device's writes show in both views. */
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_fill(w - 4096, 4096, 0xa1b2c3d4)));
	ASSERT_EQ(0, vgpu_region_read(t->d, VFIO_PCI_BAR0_REGION_INDEX +
				      VGPU_BAR_WINDOW, w - 4096, buf, 4096));
	EXPECT_EQ(0, memcmp(buf, win(t) + w - 4096, 4096));
	EXPECT_EQ(0xa1b2c3d4, *(__u32 *)(win(t) + w - 4));

	/* Nothing past the end, no private or BAR0 mappings. */
	EXPECT_EQ(-1, pread(t->d->vfio.device, buf, 16, r->offset + w - 8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, w + 4096, PROT_READ, MAP_SHARED,
				   t->d->vfio.device, r->offset));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   t->d->vfio.device, r->offset + w));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_PRIVATE,
				   t->d->vfio.device, r->offset));
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, 4096, PROT_READ, MAP_SHARED, t->d->vfio.device,
		       t->d->region[VFIO_PCI_BAR0_REGION_INDEX].offset));
	free(buf);
	free(ref);
}

/* ---- commands against a CPU reference ---------------------------------- */

/* Lengths around the 64 KiB work unit and the page size, and odd ones. */
static const __u64 lens[] = {
	1, 2, 3, 7, 8, 63, 64, 65, 4095, 4096, 4097, 65535, 65536, 65537,
	131072 + 13, 200003, 300001,
};

TEST_F(dev, cmd_copy_window)
{
	struct tvgpu *t = &self->v[0];
	const __u64 src = DATA_OFF, dst = DATA_OFF + 2 * MIB, span = MIB;
	struct vgpu_cmd c[ARRAY_SIZE(lens) + 8];
	__u8 *model = malloc(span);
	unsigned int n = 0, i;
	__u64 w = t->size;

	ASSERT_NE(NULL, model);
	rnd_fill(win(t) + src, span);
	rnd_fill(win(t) + dst, span);
	memcpy(model, win(t) + dst, span);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		__u64 so = rnd_below(span - lens[i]);
		__u64 doff = rnd_below(span - lens[i]);

		c[n++] = vgpu_cmd_copy(src + so, dst + doff, lens[i], 0);
		memcpy(model + doff, win(t) + src + so, lens[i]);
	}
	ASSERT_EQ(0, tv_run(t, c, n));
	EXPECT_EQ(0, memcmp(model, win(t) + dst, span));

	/* Touching ranges, and the very first and last bytes. */
	n = 0;
	c[n++] = vgpu_cmd_copy(src, src + 4096, 4096, 0);
	c[n++] = vgpu_cmd_copy(src + 3 * 4096, src + 2 * 4096, 4096, 0);
	c[n++] = vgpu_cmd_copy(src + 5, w - 100001, 100001, 0);
	c[n++] = vgpu_cmd_copy(w - 1, 0x4ffe, 1, 0);
	c[n++] = vgpu_cmd_copy(0, 0x4fff, 1, 0);
	memcpy(model, win(t) + src, 4 * 4096);
	memcpy(model + 4096, model, 4096);
	memcpy(model + 2 * 4096, model + 3 * 4096, 4096);
	ASSERT_EQ(0, tv_run(t, c, n));
	EXPECT_EQ(0, memcmp(model, win(t) + src, 4 * 4096));
	EXPECT_EQ(0, memcmp(win(t) + src + 5, win(t) + w - 100001, 100001));
	EXPECT_EQ(win(t)[w - 1], win(t)[0x4ffe]);
	EXPECT_EQ(VGPU_OP_COPY, win(t)[0x4fff]);
	/* A 3 MiB copy: 48 work units. */
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_copy(DATA_OFF, 8 * MIB, 3 * MIB, 0)));
	EXPECT_EQ(0, memcmp(win(t) + DATA_OFF, win(t) + 8 * MIB, 3 * MIB));
	free(model);
}

TEST_F(dev, cmd_copy_dma)
{
	struct tvgpu *t = &self->v[0];
	const __u64 span = MIB, iova = VGPU_IOVA_BASE;
	const __u64 wsrc = DATA_OFF;
	struct vgpu_cmd c[3 * ARRAY_SIZE(lens)];
	__u8 *dma = vgpu_dma_alloc(2 * span);
	__u8 *mwin = malloc(span), *mdma = malloc(2 * span);
	unsigned int n = 0, i;

	ASSERT_NE(NULL, dma);
	ASSERT_NE(NULL, mwin);
	ASSERT_NE(NULL, mdma);
	rnd_fill(dma, 2 * span);
	rnd_fill(win(t) + wsrc, span);
	ASSERT_EQ(0, vgpu_dma_map(t->d, dma, 2 * span, iova));
	memcpy(mwin, win(t) + wsrc, span);
	memcpy(mdma, dma, 2 * span);
	/* Window <-> first half of the buffer, second half -> first half. */
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		__u64 len = lens[i];
		__u64 a = rnd_below(span - len), b = rnd_below(span - len);

		c[n++] = vgpu_cmd_copy(iova + a, wsrc + b, len,
				       VGPU_CMD_SRC_SYS);
		memcpy(mwin + b, mdma + a, len);
		a = rnd_below(span - len);
		b = rnd_below(span - len);
		c[n++] = vgpu_cmd_copy(wsrc + a, iova + b, len,
				       VGPU_CMD_DST_SYS);
		memcpy(mdma + b, mwin + a, len);
		a = rnd_below(span - len);
		b = rnd_below(span - len);
		c[n++] = vgpu_cmd_copy(iova + span + a, iova + b, len,
				       VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS);
		memcpy(mdma + b, mdma + span + a, len);
	}
	ASSERT_EQ(0, tv_run(t, c, n));
	EXPECT_EQ(0, memcmp(mwin, win(t) + wsrc, span));
	EXPECT_EQ(0, memcmp(mdma, dma, 2 * span));
	ASSERT_EQ(0, vgpu_dma_unmap(t->d, iova, 2 * span));
	vgpu_dma_free(dma, 2 * span);
	free(mwin);
	free(mdma);
}

TEST_F(dev, cmd_fill)
{
	struct tvgpu *t = &self->v[0];
	const __u64 base = DATA_OFF, span = MIB;
	struct vgpu_cmd c[ARRAY_SIZE(lens) + 1];
	__u8 *model = malloc(span);
	unsigned int n = 0, i;
	__u64 j, w = t->size;

	ASSERT_NE(NULL, model);
	rnd_fill(win(t) + base, span);
	memcpy(model, win(t) + base, span);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		__u64 len = (lens[i] + 3) & ~3ULL;
		__u64 off = rnd_below(span - len) & ~3ULL;
		__u32 value = rnd();

		c[n++] = vgpu_cmd_fill(base + off, len, value);
		for (j = 0; j < len; j += 4)
			memcpy(model + off + j, &value, 4);
	}
	c[n++] = vgpu_cmd_fill(w - 4, 4, 0x01020304);
	ASSERT_EQ(0, tv_run(t, c, n));
	EXPECT_EQ(0, memcmp(model, win(t) + base, span));
	EXPECT_EQ(0x01020304, *(__u32 *)(win(t) + w - 4));
	EXPECT_EQ(0, win(t)[w - 5]);
}

TEST_F(dev, cmd_gemm)
{
	static const struct { __u32 m, n, k; } shapes[] = {
		{ 1, 1, 1 }, { 1, 17, 1 }, { 3, 5, 7 }, { 16, 16, 256 },
		{ 17, 15, 257 }, { 5, 33, 600 }, { 33, 2, 1000 },
		{ 2, 40, 513 }, { 31, 31, 31 },
	};
	struct tvgpu *t = &self->v[0];
	const __u64 a = DATA_OFF + 1, b = DATA_OFF + MIB + 3;
	const __u64 c = DATA_OFF + 2 * MIB;
	__s32 *ref = malloc(64 * 64 * 4);
	size_t i;

	ASSERT_NE(NULL, ref);
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		__u32 m = shapes[i].m, n = shapes[i].n, k = shapes[i].k;

		rnd_fill(win(t) + a, m * k);
		rnd_fill(win(t) + b, k * n);
		/* Stale values in C and one sentinel past it. */
		rnd_fill(win(t) + c, m * n * 4 + 4);
		memcpy(ref + m * n, win(t) + c + m * n * 4, 4);
		gemm_ref((__s8 *)win(t) + a, (__s8 *)win(t) + b, ref, m, n, k);
		ASSERT_EQ(0, tv_run1(t, vgpu_cmd_gemm(a, b, c, m, n, k)));
		EXPECT_EQ(0, memcmp(ref, win(t) + c, m * n * 4 + 4))
			TH_LOG("GEMM %u x %u x %u", m, n, k);
	}
	/* Extremes: k x (-128 x -128) and k x (-128 x 127) fit int32. */
	memset(win(t) + a, 0x80, 2 * 1000);
	memset(win(t) + b, 0x80, 1000);
	memset(win(t) + b + 1000, 0x7f, 1000);
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_gemm(a, b, c, 2, 1, 1000)));
	EXPECT_EQ(16384000, ((__s32 *)(win(t) + c))[0]);
	EXPECT_EQ(16384000, ((__s32 *)(win(t) + c))[1]);
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_gemm(a, b + 1000, c, 2, 1, 1000)));
	EXPECT_EQ(-16256000, ((__s32 *)(win(t) + c))[0]);
	free(ref);
}

TEST_F(dev, cmd_crc32c)
{
	static const char check[] = "123456789";
	struct tvgpu *t = &self->v[0];
	const __u64 base = DATA_OFF, span = 2 * MIB, w = t->size;
	struct vgpu_cmd c[ARRAY_SIZE(lens) + 3];
	__u32 expect[ARRAY_SIZE(lens) + 3];
	unsigned int n = 0, i;

	memcpy(win(t) + base + 5, check, 9);
	c[n] = vgpu_cmd_crc(base + 5, 9, SCRATCH_OFF + 4 * n);
	expect[n++] = 0xe3069283;
	ASSERT_EQ(0xe3069283, vgpu_crc32c(check, 9));
	rnd_fill(win(t) + base + 4096, span - 4096);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		__u64 off = 4096 + rnd_below(span - 4096 - lens[i]);

		c[n] = vgpu_cmd_crc(base + off, lens[i], SCRATCH_OFF + 4 * n);
		expect[n++] = vgpu_crc32c(win(t) + base + off, lens[i]);
	}
	/* 1 MiB + 3 bytes ending at the window's last byte. */
	rnd_fill(win(t) + w - MIB - 3, MIB + 3);
	c[n] = vgpu_cmd_crc(w - MIB - 3, MIB + 3, SCRATCH_OFF + 4 * n);
	expect[n++] = vgpu_crc32c(win(t) + w - MIB - 3, MIB + 3);
	ASSERT_EQ(0, tv_run(t, c, n));
	for (i = 0; i < n; i++)
		EXPECT_EQ(expect[i], ((__u32 *)(win(t) + SCRATCH_OFF))[i])
			TH_LOG("CRC32C %u, %llu bytes", i, c[i].u.crc.len);
	/* The result may land in the window's last word. */
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_crc(base + 5, 9, w - 4)));
	EXPECT_EQ(0xe3069283, *(__u32 *)(win(t) + w - 4));
}

TEST_F(dev, cmd_fence_irq)
{
	struct tvgpu *t = &self->v[0];
	struct vgpu_cmd c[2];

	tv_drain(t);
	/* Without VGPU_CMD_IRQ: no interrupt. */
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_nop()));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_COMPLETION));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_IRQ_STATUS));

	c[0] = vgpu_cmd_fence(SCRATCH_OFF, 5, true);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 1));
	EXPECT_EQ(1, vgpu_wait_irq(t->d, VGPU_MSIX_COMPLETION, WAIT_MS));
	EXPECT_EQ(5, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(5, *(__u64 *)(win(t) + SCRATCH_OFF));
	EXPECT_EQ(VGPU_IRQ_COMPLETION,
		  vgpu_read32(t->d, VGPU_REG_IRQ_STATUS));
	/* RW1C: writing 0 or the other bit keeps it, writing it clears. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_STATUS, 0));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_STATUS, VGPU_IRQ_ERROR));
	EXPECT_EQ(VGPU_IRQ_COMPLETION,
		  vgpu_read32(t->d, VGPU_REG_IRQ_STATUS));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_STATUS,
				  VGPU_IRQ_COMPLETION));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_IRQ_STATUS));
	EXPECT_EQ(VGPU_ERR_NONE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));

	/* Masked: latched but not signalled; unmasking delivers it. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_MASK,
				  VGPU_IRQ_COMPLETION));
	c[0] = vgpu_cmd_fence(SCRATCH_OFF, 7, true);
	c[1] = vgpu_cmd_fence(SCRATCH_OFF + 8, 8, true);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 2));
	ASSERT_EQ(0, vgpu_wait_fence(t->d, 8, WAIT_MS));
	EXPECT_EQ(VGPU_IRQ_COMPLETION,
		  vgpu_read32(t->d, VGPU_REG_IRQ_STATUS));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_COMPLETION));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_MASK, 0));
	EXPECT_EQ(1, vgpu_wait_irq(t->d, VGPU_MSIX_COMPLETION, WAIT_MS));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_ERROR));
	EXPECT_EQ(7, *(__u64 *)(win(t) + SCRATCH_OFF));
	EXPECT_EQ(8, *(__u64 *)(win(t) + SCRATCH_OFF + 8));

	/* The library can sleep on the interrupt instead of polling. */
	t->d->wait_irq = true;
	c[0] = vgpu_cmd_fence(FENCE_OFF, 9, true);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 1));
	EXPECT_EQ(0, vgpu_wait_fence(t->d, 9, WAIT_MS));
	EXPECT_EQ(0, vgpu_wait_idle(t->d, WAIT_MS));
	/* Waiting forever still rechecks: a fence needs no interrupt. */
	c[0] = vgpu_cmd_copy(DATA_OFF, 16 * MIB, 8 * MIB, 0);
	c[1] = vgpu_cmd_fence(FENCE_OFF, 10, false);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 2));
	EXPECT_EQ(0, vgpu_wait_fence(t->d, 10, -1));
	t->d->wait_irq = false;
	tv_drain(t);

	/* All 64 bits of the value reach FENCE and memory. */
	c[0] = vgpu_cmd_fence(SCRATCH_OFF, 0x1122334455667788ULL, true);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 1));
	EXPECT_EQ(1, vgpu_wait_irq(t->d, VGPU_MSIX_COMPLETION, WAIT_MS));
	EXPECT_EQ(0x1122334455667788ULL, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(0x1122334455667788ULL, *(__u64 *)(win(t) + SCRATCH_OFF));
}

TEST_F(dev, cmd_timestamp_and_nop)
{
	struct tvgpu *t = &self->v[0];
	struct vgpu_cmd c[1100];
	__u64 t0, t1, *ts = (__u64 *)(win(t) + SCRATCH_OFF);
	unsigned int i;

	t0 = vgpu_read64(t->d, VGPU_REG_TIMESTAMP);
	for (i = 0; i < 8; i++) {
		c[2 * i] = vgpu_cmd_timestamp(SCRATCH_OFF + 8 * i);
		c[2 * i + 1] = vgpu_cmd_copy(DATA_OFF, 4 * MIB, 65536 * i + 1,
					     0);
	}
	ASSERT_EQ(0, tv_run(t, c, 16));
	t1 = vgpu_read64(t->d, VGPU_REG_TIMESTAMP);
	EXPECT_LE(t0, ts[0]);
	for (i = 1; i < 8; i++)
		EXPECT_LT(ts[i - 1], ts[i]) TH_LOG("timestamp %u", i);
	EXPECT_LE(ts[7], t1);

	/* More commands than ring entries: the ring wraps. */
	for (i = 0; i < ARRAY_SIZE(c); i++)
		c[i] = vgpu_cmd_nop();
	t0 = vgpu_read64(t->d, VGPU_REG_COMPLETED);
	ASSERT_EQ(0, tv_run(t, c, ARRAY_SIZE(c)));
	EXPECT_EQ(t0 + ARRAY_SIZE(c) + 1,
		  vgpu_read64(t->d, VGPU_REG_COMPLETED));
	EXPECT_EQ((t0 + ARRAY_SIZE(c) + 1) % RING_ENTRIES,
		  vgpu_read32(t->d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(VGPU_STATUS_RUNNING | VGPU_STATUS_IDLE,
		  vgpu_read32(t->d, VGPU_REG_STATUS));
}

/* ---- faults ------------------------------------------------------------ */

TEST_F(dev, fault_range)
{
	struct bad_cmd bc[MAX_BAD];

	check_bad_list(_metadata, &self->v[0], bc,
		       range_cases(self->v[0].size, bc));
}

TEST_F(dev, fault_align)
{
	struct bad_cmd bc[MAX_BAD];

	check_bad_list(_metadata, &self->v[0], bc,
		       align_cases(self->v[0].size, bc));
}

TEST_F(dev, fault_size)
{
	struct bad_cmd bc[MAX_BAD];

	check_bad_list(_metadata, &self->v[0], bc, size_cases(bc));
}

TEST_F(dev, fault_opcode_and_flags)
{
	struct bad_cmd bc[MAX_BAD];

	check_bad_list(_metadata, &self->v[0], bc, opcode_cases(bc));
}

TEST_F(dev, fault_overlap)
{
	struct bad_cmd bc[MAX_BAD];

	check_bad_list(_metadata, &self->v[0], bc, overlap_cases(bc));
}

TEST_F(dev, fault_dma)
{
	struct tvgpu *t = &self->v[0];
	const __u64 iova = VGPU_IOVA_BASE, len = 0x10000;
	const __u64 d = DATA_OFF + PATTERN_BYTES;
	__u8 *dma = vgpu_dma_alloc(len);
	struct bad_cmd bc[6];
	unsigned int n = 0, i;

	ASSERT_NE(NULL, dma);
	rnd_fill(dma, len);
	ASSERT_EQ(0, vgpu_dma_map(t->d, dma, len, iova));
	bc[n++] = BAD("COPY from an unmapped IOVA",
		      vgpu_cmd_copy(iova + MIB, d, 64, VGPU_CMD_SRC_SYS),
		      VGPU_ERR_DMA, iova + MIB);
	bc[n++] = BAD("COPY to an unmapped IOVA",
		      vgpu_cmd_copy(DATA_OFF, iova - 4096, 64,
				    VGPU_CMD_DST_SYS),
		      VGPU_ERR_DMA, iova - 4096);
	bc[n++] = BAD("COPY from IOVA 0",
		      vgpu_cmd_copy(0, d, 1, VGPU_CMD_SRC_SYS), VGPU_ERR_DMA,
		      0);
	bc[n++] = BAD("COPY DMA to DMA, dst unmapped",
		      vgpu_cmd_copy(iova, iova + len, 16,
				    VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS),
		      VGPU_ERR_DMA, iova + len);
	/* Within one work unit: the unit fails before the window is hit. */
	bc[n++] = BAD("COPY from a range running off the mapping",
		      vgpu_cmd_copy(iova + len - 4096, d, 8192,
				    VGPU_CMD_SRC_SYS),
		      VGPU_ERR_DMA, iova + len - 4096);
	for (i = 0; i < n; i++)
		check_bad(_metadata, t, &bc[i], i % 3, 0, 0);

	/*
	 * 128 KiB from a 64 KiB mapping: the first unit lands, the second
	 * faults at its first byte; nothing outside the destination changes.
	 */
	bc[0] = BAD("COPY of two units, the second unmapped",
		    vgpu_cmd_copy(iova, d, 2 * len, VGPU_CMD_SRC_SYS),
		    VGPU_ERR_DMA, iova + len);
	check_bad(_metadata, t, &bc[0], 2, d, 2 * len);
	EXPECT_EQ(0, memcmp(dma, win(t) + d, len));
	EXPECT_EQ(2, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	/* The mapping still works once the device is reset. */
	ASSERT_EQ(0, tv_reset(t));
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_copy(iova, d, len,
					      VGPU_CMD_SRC_SYS)));
	EXPECT_EQ(0, memcmp(dma, win(t) + d, len));
	ASSERT_EQ(0, vgpu_dma_unmap(t->d, iova, len));
	vgpu_dma_free(dma, len);
}

/* Enable a ring the device must refuse. */
static void check_bad_ring(struct __test_metadata *_metadata,
			   struct tvgpu *t, __u64 base, __u32 entries)
{
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RESET, VGPU_RESET_MAGIC));
	tv_drain(t);
	EXPECT_EQ(-EIO, vgpu_ring_init(t->d, base, entries))
		TH_LOG("base 0x%llx, %u entries", base, entries);
	ASSERT_LE(1, vgpu_wait_irq(t->d, VGPU_MSIX_ERROR, WAIT_MS))
		TH_LOG("base 0x%llx, %u entries", base, entries);
	expect_fault(_metadata, t, VGPU_ERR_RING, 0, base, "ring setup");
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_CTRL));
	/* Doorbells do nothing. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_DOORBELL, 1));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_ERROR));
}

TEST_F(dev, fault_ring_setup)
{
	struct tvgpu *t = &self->v[0];
	__u64 w = t->size;

	check_bad_ring(_metadata, t, 64, 16);
	check_bad_ring(_metadata, t, w - 128, 2);
	check_bad_ring(_metadata, t, 0, 3);
	check_bad_ring(_metadata, t, 0, 0);
	check_bad_ring(_metadata, t, 0, 1);
	check_bad_ring(_metadata, t, 0, 96);
	check_bad_ring(_metadata, t, 0, 2 * VGPU_RING_MAX_ENTRIES);
	check_bad_ring(_metadata, t, w - 4096, 128);
	check_bad_ring(_metadata, t, w, 2);
	check_bad_ring(_metadata, t, 1ULL << 32, 2);
	check_bad_ring(_metadata, t, 1ULL << 63, 2);

	/* The edges that fit. */
	ASSERT_EQ(0, tv_reset(t));
	EXPECT_EQ(0, vgpu_ring_init(t->d, w - 4096, 64));
	EXPECT_EQ(0, vgpu_ring_init(t->d, 0, VGPU_RING_MAX_ENTRIES));
	EXPECT_EQ(0, vgpu_ring_init(t->d, w - 4096, VGPU_RING_MIN_ENTRIES));
	t->seq = 0;
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_nop()));
	EXPECT_EQ(VGPU_ERR_NONE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
	/* RING_BASE and RING_SIZE are frozen while the ring is enabled. */
	ASSERT_EQ(0, vgpu_write64(t->d, VGPU_REG_RING_BASE, 64));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_SIZE, 3));
	EXPECT_EQ(w - 4096, vgpu_read64(t->d, VGPU_REG_RING_BASE));
	EXPECT_EQ(VGPU_RING_MIN_ENTRIES,
		  vgpu_read32(t->d, VGPU_REG_RING_SIZE));
}

TEST_F(dev, fault_doorbell_past_ring)
{
	struct tvgpu *t = &self->v[0];
	static const __u32 tails[] = { RING_ENTRIES, ~0u };
	struct vgpu_cmd c[3] = {
		vgpu_cmd_nop(), vgpu_cmd_nop(), vgpu_cmd_nop(),
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tails); i++) {
		ASSERT_EQ(0, tv_reset(t));
		ASSERT_EQ(0, tv_run(t, c, 3));
		ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_DOORBELL, tails[i]));
		ASSERT_LE(1, vgpu_wait_irq(t->d, VGPU_MSIX_ERROR, WAIT_MS));
		expect_fault(_metadata, t, VGPU_ERR_RING, 4, tails[i],
			     "doorbell");
		EXPECT_EQ(4, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
		EXPECT_EQ(4, vgpu_read32(t->d, VGPU_REG_RING_HEAD));
		/* A valid doorbell afterwards does nothing either. */
		ASSERT_EQ(0, vgpu_ring_put(t->d, c, 3));
		ASSERT_EQ(0, vgpu_ring_doorbell(t->d));
		usleep(5000);
		EXPECT_EQ(4, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
		EXPECT_EQ(4, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	}
}

/* ---- resets ------------------------------------------------------------ */

/* Dirty every register that a reset restores, and the window. */
static void dirty(struct __test_metadata *_metadata, struct tvgpu *t)
{
	struct vgpu_cmd c[2];

	c[0] = vgpu_cmd_fill(DATA_OFF, MIB, 0xdeadbeef);
	c[1] = vgpu_cmd_fence(SCRATCH_OFF, 77, true);
	ASSERT_EQ(0, tv_run(t, c, 2));
	memset(win(t) + t->size - 4096, 0x3c, 4096);
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_IRQ_MASK, VGPU_IRQ_ERROR));
	c[0] = vgpu_cmd_copy(DATA_OFF, t->size, 1, 0);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 1));
	ASSERT_EQ(-EIO, vgpu_wait_idle(t->d, WAIT_MS));
	EXPECT_EQ(VGPU_ERR_RANGE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(VGPU_IRQ_COMPLETION | VGPU_IRQ_ERROR,
		  vgpu_read32(t->d, VGPU_REG_IRQ_STATUS));
	EXPECT_EQ(3, vgpu_read64(t->d, VGPU_REG_COMPLETED));
}

/*
 * Every register at its default and the window all zeros; the device clock
 * restarted at the reset, which began at @reset_ns (CLOCK_MONOTONIC).
 */
static void expect_defaults(struct __test_metadata *_metadata,
			    struct tvgpu *t, __u64 reset_ns)
{
	__u64 clock = vgpu_read64(t->d, VGPU_REG_TIMESTAMP);

	static const unsigned int zero[] = {
		VGPU_REG_RING_BASE, VGPU_REG_RING_BASE + 4, VGPU_REG_RING_SIZE,
		VGPU_REG_RING_CTRL, VGPU_REG_RING_HEAD, VGPU_REG_RING_TAIL,
		VGPU_REG_FENCE, VGPU_REG_FENCE + 4, VGPU_REG_IRQ_STATUS,
		VGPU_REG_IRQ_MASK, VGPU_REG_ERR_CODE, VGPU_REG_ERR_INDEX,
		VGPU_REG_ERR_ADDR, VGPU_REG_ERR_ADDR + 4, VGPU_REG_COMPLETED,
		VGPU_REG_COMPLETED + 4,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zero); i++)
		EXPECT_EQ(0, vgpu_read32(t->d, zero[i]))
			TH_LOG("register 0x%x", zero[i]);
	EXPECT_EQ(VGPU_STATUS_IDLE, vgpu_read32(t->d, VGPU_REG_STATUS));
	EXPECT_EQ(VGPU_ID_MAGIC, vgpu_read32(t->d, VGPU_REG_ID));
	EXPECT_EQ(t->size, vgpu_read64(t->d, VGPU_REG_WINDOW_SIZE));
	EXPECT_GE(now_ns() - reset_ns, clock);
	EXPECT_EQ(t->size, first_nonzero(win(t), 0, t->size));
}

TEST_F(dev, reset_register)
{
	struct tvgpu *t = &self->v[0];
	__u64 start;
	__u32 cmd;

	dirty(_metadata, t);
	/* Any other value does nothing. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RESET, VGPU_RESET_MAGIC + 1));
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RESET, 0));
	EXPECT_EQ(VGPU_ERR_RANGE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(VGPU_STATUS_HALTED,
		  vgpu_read32(t->d, VGPU_REG_STATUS) & VGPU_STATUS_HALTED);
	start = now_ns();
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RESET, VGPU_RESET_MAGIC));
	expect_defaults(_metadata, t, start);
	/* Config space is untouched: decoding and mastering stay on. */
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_COMMAND, 2, &cmd));
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, cmd);
	/* And the vGPU works again. */
	tv_drain(t);
	ASSERT_EQ(0, tv_ring(t));
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_fill(DATA_OFF, 64, 0x01010101)));
	EXPECT_EQ(0x01010101, *(__u32 *)(win(t) + DATA_OFF + 60));
	EXPECT_EQ(2, vgpu_read64(t->d, VGPU_REG_COMPLETED));
}

TEST_F(dev, reset_engine_keeps_window)
{
	struct tvgpu *t = &self->v[0];
	__u64 done, fence;

	dirty(_metadata, t);
	done = vgpu_read64(t->d, VGPU_REG_COMPLETED);
	fence = vgpu_read64(t->d, VGPU_REG_FENCE);
	ASSERT_NE(0, fence);
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RESET, VGPU_RESET_RING_MAGIC));
	/* Error state and ring are cleared ... */
	EXPECT_EQ(VGPU_ERR_NONE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_ERR_INDEX));
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_ERR_ADDR));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_CTRL));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_STATUS) & VGPU_STATUS_HALTED);
	/* ... but memory, fence, counters and the mask are kept. */
	EXPECT_EQ(0xdeadbeef, *(__u32 *)(win(t) + DATA_OFF + MIB - 4));
	EXPECT_EQ(0x3c3c3c3c, *(__u32 *)(win(t) + t->size - 4));
	EXPECT_EQ(fence, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(done, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	EXPECT_EQ(VGPU_IRQ_ERROR, vgpu_read32(t->d, VGPU_REG_IRQ_MASK));
	/* Doorbells are ignored until the ring is enabled again. */
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_DOORBELL, 1));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
	/* And the vGPU works again, on top of the old contents. */
	tv_drain(t);
	ASSERT_EQ(0, tv_ring(t));
	/* FENCE kept its value: wait for a new one, not a stale match. */
	t->seq = fence;
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_fill(DATA_OFF, 64, 0x01010101)));
	EXPECT_EQ(0x01010101, *(__u32 *)(win(t) + DATA_OFF + 60));
	EXPECT_EQ(0xdeadbeef, *(__u32 *)(win(t) + DATA_OFF + 64));
	EXPECT_EQ(done + 2, vgpu_read64(t->d, VGPU_REG_COMPLETED));
}

TEST_F(dev, reset_vfio)
{
	struct tvgpu *t = &self->v[0];
	__u64 start;
	__u32 v;

	dirty(_metadata, t);
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_BASE_ADDRESS_0, 4, 0xfe000000));
	start = now_ns();
	ASSERT_EQ(0, ioctl(t->d->vfio.device, VFIO_DEVICE_RESET));
	/* Config space is back at power-on: BAR0 does not decode. */
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_COMMAND, 2, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vgpu_cfg_read(t->d, PCI_BASE_ADDRESS_0, 4, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(~0u, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
	ASSERT_EQ(0, vgpu_pci_enable(t->d));
	expect_defaults(_metadata, t, start);
	/* The library's reset does the same and re-enables the function. */
	tv_drain(t);
	ASSERT_EQ(0, tv_ring(t));
	dirty(_metadata, t);
	start = now_ns();
	ASSERT_EQ(0, vgpu_reset(t->d));
	expect_defaults(_metadata, t, start);
	tv_drain(t);
	ASSERT_EQ(0, tv_ring(t));
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_fill(DATA_OFF, 64, 0x02020202)));
	EXPECT_EQ(0x02020202, *(__u32 *)(win(t) + DATA_OFF));
}

/*
 * Disabling the ring lets the command in progress finish (vgpu_regs.c
 * DOC); a re-enabled ring then starts afresh at entry 0.
 */
TEST_F_TIMEOUT(dev, ring_disable_mid_command, 120)
{
	enum { GK = 8192 };
	struct tvgpu *t = &self->v[0];
	const __u64 a = DATA_OFF, b = DATA_OFF + MIB, c = DATA_OFF + 2 * MIB;
	const __u32 on = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	struct vgpu_cmd cmds[2] = {
		vgpu_cmd_nop(), vgpu_cmd_gemm(a, b, c, 64, 64, GK),
	};
	__u64 start, done = 0;
	int i, try;

	/*
	 * All ones: every element of C is k. 33 M MACs: a fraction of a
	 * second here, several seconds on the debug kernel.
	 */
	memset(win(t) + a, 1, 64 * GK);
	memset(win(t) + b, 1, GK * 64);
	for (try = 0; try < 3; try++) {
		memset(win(t) + c, 0, 64 * 64 * 4);
		ASSERT_EQ(0, tv_ring(t));
		ASSERT_EQ(0, vgpu_submit(t->d, cmds, 2));
		/*
		 * Once the GEMM's first output tile is written the GEMM is in
		 * progress (its other 15 tiles still to come)...
		 */
		start = now_ns();
		while (__atomic_load_n((__s32 *)(win(t) + c),
				       __ATOMIC_ACQUIRE) != GK &&
		       now_ns() - start < WAIT_MS * 1000000ULL)
			usleep(100);
		/* ...and clearing bus mastering parks it between units. */
		ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2,
					    PCI_COMMAND_MEMORY));
		if (vgpu_read64(t->d, VGPU_REG_COMPLETED) == done + 1)
			break;
		/* A starved test found it finished: try again. */
		ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2, on));
		ASSERT_EQ(0, vgpu_wait_idle(t->d, 6 * WAIT_MS));
		done += 2;
	}
	if (try == 3)
		SKIP(return, "the GEMM never was in progress; inconclusive");
	ASSERT_EQ(0, vgpu_write32(t->d, VGPU_REG_RING_CTRL, 0));
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2, on));
	start = now_ns();
	while (!(vgpu_read32(t->d, VGPU_REG_STATUS) & VGPU_STATUS_IDLE) &&
	       now_ns() - start < 6 * WAIT_MS * 1000000ULL)
		usleep(10000);
	EXPECT_EQ(VGPU_STATUS_IDLE, vgpu_read32(t->d, VGPU_REG_STATUS));
	EXPECT_EQ(done + 2, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	for (i = 0; i < 64 * 64; i++)
		if (((__s32 *)(win(t) + c))[i] != GK)
			break;
	EXPECT_EQ(64 * 64, i);
	/* A re-enabled ring runs its first entry. */
	ASSERT_EQ(0, tv_ring(t));
	ASSERT_EQ(0, tv_run1(t, vgpu_cmd_fill(4 * MIB, 4096, 0x33333333)));
	EXPECT_EQ(0x33333333, *(__u32 *)(win(t) + 4 * MIB + 4092));
	EXPECT_EQ(done + 4, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	EXPECT_EQ(VGPU_ERR_NONE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
}

/* The bus-master bit gates execution: nothing runs while it is clear. */
TEST_F(dev, bus_master_gates_execution)
{
	struct tvgpu *t = &self->v[0];
	struct vgpu_cmd c[2] = {
		vgpu_cmd_fill(DATA_OFF, 4096, 0x44444444),
		vgpu_cmd_fence(FENCE_OFF, 1, true),
	};

	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY));
	tv_drain(t);
	ASSERT_EQ(0, vgpu_submit(t->d, c, 2));
	usleep(50000);
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	EXPECT_EQ(0, vgpu_read32(t->d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(2, vgpu_read32(t->d, VGPU_REG_RING_TAIL));
	EXPECT_EQ(0, *(__u32 *)(win(t) + DATA_OFF));
	EXPECT_EQ(0, vgpu_irq_drain(t->d, VGPU_MSIX_COMPLETION));
	EXPECT_EQ(VGPU_STATUS_RUNNING, vgpu_read32(t->d, VGPU_REG_STATUS));
	ASSERT_EQ(0, vgpu_cfg_write(t->d, PCI_COMMAND, 2,
				    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	/* Setting bus mastering again resumes the pending commands. */
	EXPECT_EQ(1, vgpu_wait_irq(t->d, VGPU_MSIX_COMPLETION, WAIT_MS));
	EXPECT_EQ(1, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(0x44444444, *(__u32 *)(win(t) + DATA_OFF + 4092));
}

/* ---- isolation --------------------------------------------------------- */

/*
 * A long job: four 4 MiB COPYs and a CRC32C of each copy, then a GEMM,
 * between two TIMESTAMPs, fenced (about 300 ms of device time in a TCG VM).
 */
#define JOB_BYTES	(4 * MIB)
#define JOB_GEMM	(DATA_OFF + 5 * JOB_BYTES)
#define JOB_TS		(SCRATCH_OFF + 64)
#define JOB_CMDS	12

static __u64 start_job(struct __test_metadata *_metadata, struct tvgpu *t)
{
	struct vgpu_cmd c[JOB_CMDS];
	unsigned int n = 0, r;

	rnd_fill(win(t) + DATA_OFF, JOB_BYTES);
	rnd_fill(win(t) + JOB_GEMM, 48 * 700 + 700 * 40);
	c[n++] = vgpu_cmd_timestamp(JOB_TS);
	for (r = 0; r < 4; r++) {
		c[n++] = vgpu_cmd_copy(DATA_OFF,
				       DATA_OFF + (r + 1) * JOB_BYTES,
				       JOB_BYTES, 0);
		c[n++] = vgpu_cmd_crc(DATA_OFF + (r + 1) * JOB_BYTES,
				      JOB_BYTES, SCRATCH_OFF + 4 * r);
	}
	c[n++] = vgpu_cmd_gemm(JOB_GEMM, JOB_GEMM + 48 * 700,
			       JOB_GEMM + MIB, 48, 40, 700);
	c[n++] = vgpu_cmd_timestamp(JOB_TS + 8);
	c[n++] = vgpu_cmd_fence(FENCE_OFF, ++t->seq, false);
	EXPECT_EQ(0, vgpu_submit(t->d, c, n));
	return t->seq;
}

static void check_job(struct __test_metadata *_metadata, struct tvgpu *t,
		      __u64 fence)
{
	__s32 *ref = malloc(48 * 40 * 4);
	__u32 crc = vgpu_crc32c(win(t) + DATA_OFF, JOB_BYTES);
	unsigned int r;

	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, vgpu_wait_fence(t->d, fence, 4 * WAIT_MS));
	for (r = 0; r < 4; r++) {
		EXPECT_EQ(0, memcmp(win(t) + DATA_OFF,
				    win(t) + DATA_OFF + (r + 1) * JOB_BYTES,
				    JOB_BYTES)) TH_LOG("copy %u", r);
		EXPECT_EQ(crc, ((__u32 *)(win(t) + SCRATCH_OFF))[r]);
	}
	gemm_ref((__s8 *)win(t) + JOB_GEMM,
		 (__s8 *)win(t) + JOB_GEMM + 48 * 700, ref, 48, 40, 700);
	EXPECT_EQ(0, memcmp(ref, win(t) + JOB_GEMM + MIB, 48 * 40 * 4));
	EXPECT_EQ(VGPU_ERR_NONE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(JOB_CMDS, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	free(ref);
}

/*
 * @a's device clock minus @b's. Each clock counts from its vGPU's last
 * reset; reads of @b's clock on both sides of a read of @a's bound the
 * error by half their distance, the smallest of a few tries.
 */
static __s64 clock_offset(struct tvgpu *a, struct tvgpu *b)
{
	__u64 best = ~0ULL, b1, b2, ta;
	__s64 off = 0;
	int i;

	for (i = 0; i < 8; i++) {
		b1 = vgpu_read64(b->d, VGPU_REG_TIMESTAMP);
		ta = vgpu_read64(a->d, VGPU_REG_TIMESTAMP);
		b2 = vgpu_read64(b->d, VGPU_REG_TIMESTAMP);
		if (b2 - b1 < best) {
			best = b2 - b1;
			off = (__s64)(ta - (b1 + best / 2));
		}
	}
	return off;
}

TEST_F_TIMEOUT(dev, isolation_fault_beside_long_job, 90)
{
	struct tvgpu *b = &self->v[1], *a = &self->v[3], *o = &self->v[2];
	struct vgpu_cmd c[3];
	bool during = false;
	__u64 fence, *ts;
	__s64 at;
	int try;

	/*
	 * Three "split" vGPUs share one two-engine partition; the first and
	 * the third are seated on the same engine, so the neighbour's fault
	 * is handled in the time slices between the long job's.
	 */
	ASSERT_EQ(0, tv_open(b, "split"));
	ASSERT_EQ(0, tv_open(o, "split"));
	ASSERT_EQ(0, tv_open(a, "split"));
	/*
	 * The guest's userspace can be starved for long enough to miss the
	 * job: the device clocks tell whether the fault fell inside it.
	 */
	for (try = 0; try < 3 && !during; try++) {
		ASSERT_EQ(0, tv_reset(b));
		ASSERT_EQ(0, tv_reset(a));
		ASSERT_EQ(0, tv_reset(o));
		c[0] = vgpu_cmd_timestamp(SCRATCH_OFF);
		c[1] = vgpu_cmd_nop();
		c[2] = vgpu_cmd_copy(DATA_OFF, a->size, 16, 0);
		ASSERT_EQ(0, vgpu_ring_put(a->d, c, 3));
		c[2] = vgpu_cmd_copy(VGPU_IOVA_BASE, DATA_OFF, 16,
				     VGPU_CMD_SRC_SYS);
		ASSERT_EQ(0, vgpu_ring_put(o->d, c, 3));
		fence = start_job(_metadata, b);
		/* Ring the neighbours only once the job has begun. */
		ts = (__u64 *)(win(b) + JOB_TS);
		for (at = 0; at < WAIT_MS; at++) {
			if (__atomic_load_n(ts, __ATOMIC_ACQUIRE))
				break;
			usleep(1000);
		}
		ASSERT_EQ(0, vgpu_ring_doorbell(a->d));
		ASSERT_EQ(0, vgpu_ring_doorbell(o->d));
		ASSERT_LE(1, vgpu_wait_irq(a->d, VGPU_MSIX_ERROR, WAIT_MS));
		ASSERT_LE(1, vgpu_wait_irq(o->d, VGPU_MSIX_ERROR, WAIT_MS));
		expect_fault(_metadata, a, VGPU_ERR_RANGE, 2, a->size,
			     "neighbour");
		expect_fault(_metadata, o, VGPU_ERR_DMA, 2, VGPU_IOVA_BASE,
			     "other engine");
		/* The neighbour's first command, on the job's clock. */
		at = *(__u64 *)(win(a) + SCRATCH_OFF) - clock_offset(a, b);
		/* Resetting the faulted neighbour and using it is harmless. */
		ASSERT_EQ(0, tv_reset(a));
		ASSERT_EQ(0, tv_run1(a, vgpu_cmd_fill(DATA_OFF, MIB,
						      0x0badf00d)));
		EXPECT_EQ(0x0badf00d, *(__u32 *)(win(a) + DATA_OFF + MIB - 4));
		check_job(_metadata, b, fence);
		ts = (__u64 *)(win(b) + JOB_TS);
		during = (__s64)ts[0] < at && at < (__s64)ts[1];
		if (!during)
			TH_LOG("try %d: fault at %lld ns, job %llu-%llu ns",
			       try, (long long)at, ts[0], ts[1]);
	}
	EXPECT_TRUE(during);
}

TEST_F_TIMEOUT(dev, isolation_memory, 60)
{
	struct tvgpu *a = &self->v[0], *b = &self->v[1];
	struct bad_cmd bc[6];
	__u64 sum, wa = a->size, wb;
	unsigned int n = 0;
	__u8 buf[4096];

	ASSERT_EQ(0, tv_open(b, "shared"));
	wb = b->size;
	ASSERT_EQ(wa, wb);
	/* First fit: B's window follows A's in device memory. */
	EXPECT_EQ(sysfs_inst(a, "mem_offset_bytes") + wa,
		  sysfs_inst(b, "mem_offset_bytes"));
	ASSERT_EQ(0, tv_run1(a, vgpu_cmd_fill(DATA_OFF, wa - DATA_OFF,
					      0xa5a5a5a5)));
	memset(win(a) + SCRATCH_OFF, 0xa5, DATA_OFF - SCRATCH_OFF);
	EXPECT_EQ(wb, first_nonzero(win(b), 0, wb));
	ASSERT_EQ(0, vgpu_region_read(b->d, VFIO_PCI_BAR0_REGION_INDEX +
				      VGPU_BAR_WINDOW, wb - 4096, buf, 4096));
	EXPECT_EQ(4096, first_nonzero(buf, 0, 4096));
	sum = win_sum(a, 0, 0);

	/* B cannot reach past its window. */
	bc[n++] = BAD("B reads past its window",
		      vgpu_cmd_copy(wb, DATA_OFF, 4096, 0), VGPU_ERR_RANGE,
		      wb);
	bc[n++] = BAD("B copies across its end",
		      vgpu_cmd_copy(wb - 4096, DATA_OFF, 8192, 0),
		      VGPU_ERR_RANGE, wb - 4096);
	bc[n++] = BAD("B sums past its window",
		      vgpu_cmd_crc(wb + wa / 2, 4096, SCRATCH_OFF),
		      VGPU_ERR_RANGE, wb + wa / 2);
	bc[n++] = BAD("B fills past its window",
		      vgpu_cmd_fill(wb, 4096, 0), VGPU_ERR_RANGE, wb);
	bc[n++] = BAD("B multiplies past its window",
		      vgpu_cmd_gemm(wb, DATA_OFF, DATA_OFF, 1, 1, 1),
		      VGPU_ERR_RANGE, wb);
	check_bad_list(_metadata, b, bc, n);
	EXPECT_EQ(sum, win_sum(a, 0, 0));

	/*
	 * Nor can A reach B's memory, right after A's window: the same
	 * offsets (the windows are the same size) from A's side.
	 */
	sum = win_sum(b, 0, 0);
	bc[n++] = BAD("A writes into B",
		      vgpu_cmd_copy(DATA_OFF, wa, 4096, 0), VGPU_ERR_RANGE,
		      wa);
	check_bad_list(_metadata, a, bc, n);
	EXPECT_EQ(sum, win_sum(b, 0, 0));
}

TEST_F_TIMEOUT(dev, isolation_new_tenant_reads_zeros, 60)
{
	struct tvgpu *t = &self->v[0];
	__u64 off = sysfs_inst(t, "mem_offset_bytes"), w = t->size;
	struct vgpu_cmd c[2];

	c[0] = vgpu_cmd_fill(DATA_OFF, w - DATA_OFF, 0xc3c3c3c3);
	c[1] = vgpu_cmd_fence(SCRATCH_OFF, ~0ULL, false);
	ASSERT_EQ(0, tv_run(t, c, 2));
	memset(win(t), 0xc3, DATA_OFF);
	tv_close(t);
	ASSERT_EQ(0, vgpu_remove(t->uuid));
	ASSERT_EQ(0, tv_open(t, "shared"));
	EXPECT_EQ(off, sysfs_inst(t, "mem_offset_bytes"));
	EXPECT_EQ(w, first_nonzero(win(t), 0, w));
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_FENCE));
	EXPECT_EQ(0, vgpu_read64(t->d, VGPU_REG_COMPLETED));
	EXPECT_EQ(VGPU_ERR_NONE, vgpu_read32(t->d, VGPU_REG_ERR_CODE));
}

TEST_HARNESS_MAIN
