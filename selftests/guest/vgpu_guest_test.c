// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vgpu guest driver (vgpu_guest.ko) through its uAPI, from inside a VM
 * that has a vGPU: parameters, buffer objects, every command against a CPU
 * reference, every way a submission must be refused, waiting, many jobs in
 * flight, several files and processes, and recovery from device faults.
 *
 * Runs as root in the guest with the driver loaded; skips when there is no
 * vgpu accel device. The fault tests need debugfs (mounted here if it is
 * not) and skip without the driver's inject_fault file.
 *
 * The guest may run under nested emulation, tens of times slower than
 * native: data sizes stay at KiBs to a few MiB, and the tests that queue
 * much work have long timeouts.
 *
 * Environment: VGPU_ACCEL_DEV names the device node (default: the first
 * vgpu_guest one); VGPU_TEST_SEED seeds the random data (default fixed).
 */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

/*
 * -Wextra: the harness's timeout handler ignores a parameter, and its
 * TEST_F() wrappers keep a variable across setjmp() that they do not use
 * after a longjmp().
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "libvgpu.h"

#define KIB		1024ULL
#define MIB		(1024 * KIB)

/* Test timeouts, in seconds, for a slow emulated guest. */
#define T_SHORT		120
#define T_LONG		900

/* Commands of one long job: DRM_VGPU_MAX_CMDS CRC32Cs of LONG_BYTES. */
#define LONG_BYTES	(512 * KIB)

/**
 * struct gctx - what every test has
 * @dev: the device, opened by the fixture
 * @probe: a one-page BO for the valid job run after every refusal
 * @probe_seq: counts those jobs
 * @page: the page size
 * @injected: a test set the fault injection; the teardown clears it
 */
struct gctx {
	struct vgpu_accel dev;
	struct vgpu_bo probe;
	__u32 probe_seq;
	__u64 page;
	bool injected;
};

/* ---- helpers ----------------------------------------------------------- */

static __u64 rng_state = 1;

static __u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rnd_fill(void *p, size_t len)
{
	unsigned char *b = p;
	size_t i;
	__u64 v;

	for (i = 0; i + 8 <= len; i += 8) {
		v = rnd();
		memcpy(b + i, &v, sizeof(v));
	}
	for (v = rnd(); i < len; i++, v >>= 8)
		b[i] = v;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Offset of the first byte where @a and @b differ, or @len. */
static size_t diff_at(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	if (!memcmp(a, b, len))
		return len;
	for (i = 0; x[i] == y[i]; i++)
		;
	return i;
}

/* Offset of the first byte of @p that is not @c, or @len. */
static size_t not_byte_at(const void *p, int c, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len && b[i] == c; i++)
		;
	return i;
}

/* A word of a BO the device wrote, read in one access. */
static __u32 rd32(const struct vgpu_bo *bo, __u64 off)
{
	return __atomic_load_n((__u32 *)((char *)bo->map + off),
			       __ATOMIC_RELAXED);
}

static __u64 rd64(const struct vgpu_bo *bo, __u64 off)
{
	return __atomic_load_n((__u64 *)((char *)bo->map + off),
			       __ATOMIC_RELAXED);
}

static __u64 dev_param(struct __test_metadata *_metadata, struct gctx *g,
		       __u32 p)
{
	__u64 v = 0;

	ASSERT_EQ(0, vgpu_accel_param(&g->dev, p, &v)) TH_LOG("param %u", p);
	return v;
}

static bool room_for(struct gctx *g, __u64 bytes)
{
	__u64 v = 0;

	return !vgpu_accel_param(&g->dev, DRM_VGPU_PARAM_BO_FREE_BYTES, &v) &&
	       v >= bytes;
}

/* A new BO of @size bytes, mapped. */
static void bo_new(struct __test_metadata *_metadata, struct gctx *g,
		   __u64 size, struct vgpu_bo *bo)
{
	int ret = vgpu_bo_new(&g->dev, size, bo);

	ASSERT_EQ(0, ret) TH_LOG("BO of %llu bytes: %s",
				 (unsigned long long)size, strerror(-ret));
}

static void bo_del(struct __test_metadata *_metadata, struct gctx *g,
		   struct vgpu_bo *bo)
{
	EXPECT_EQ(0, vgpu_bo_free(&g->dev, bo));
}

/* Run a job that must complete; @what names it in the log. */
static void job_ok(struct __test_metadata *_metadata, struct gctx *g,
		   const char *what, const struct vgpu_cmd *cmds,
		   unsigned int n, const __u32 *handles, unsigned int nh)
{
	struct vgpu_result res;
	int ret = vgpu_job_run(&g->dev, cmds, n, handles, nh, &res);

	ASSERT_EQ(0, ret)
		TH_LOG("%s: %s; device error %u (%s) at command %u, address 0x%llx",
		       what, strerror(-ret), res.device_error,
		       vgpu_error_name(res.device_error), res.error_cmd,
		       (unsigned long long)res.error_addr);
}

/* A job that must work: FILL the probe BO with a new value, check it. */
static void probe_job(struct __test_metadata *_metadata, struct gctx *g,
		      const char *after)
{
	__u32 v = 0x9e370000 + ++g->probe_seq;
	struct vgpu_cmd c = vgpu_cmd_fill(g->probe.device_addr, g->probe.size,
					 v);
	__u64 i;

	job_ok(_metadata, g, after, &c, 1, &g->probe.handle, 1);
	for (i = 0; i < g->probe.size && rd32(&g->probe, i) == v; i += 4)
		;
	EXPECT_EQ(g->probe.size, i) TH_LOG("after %s", after);
}

/*
 * Submit a job the driver must refuse with @err, then check that a valid
 * job still runs.
 */
static void refused(struct __test_metadata *_metadata, struct gctx *g,
		    const char *what, int err, const struct vgpu_cmd *cmds,
		    unsigned int n, const __u32 *handles, unsigned int nh)
{
	__u32 id = 0;
	int ret = vgpu_job_submit(&g->dev, cmds, n, handles, nh, &id);

	EXPECT_EQ(-err, ret) TH_LOG("%s: got %d (%s)", what, ret,
				    strerror(-ret));
	/* Accepted after all: reap it, whatever it did. */
	if (!ret)
		vgpu_job_wait(&g->dev, id, VGPU_WAIT_FOREVER, NULL);
	probe_job(_metadata, g, what);
}

static void refused1(struct __test_metadata *_metadata, struct gctx *g,
		     const char *what, int err, struct vgpu_cmd cmd,
		     const __u32 *handles, unsigned int nh)
{
	refused(_metadata, g, what, err, &cmd, 1, handles, nh);
}

/* DRM_IOCTL_VGPU_SUBMIT as it is; 0 or -errno. */
static int raw_submit(struct gctx *g, __u64 cmds, __u64 handles,
		      __u32 ncmds, __u32 nbos, __u32 flags, __u32 *id)
{
	struct drm_vgpu_submit s;

	memset(&s, 0, sizeof(s));
	s.cmds = cmds;
	s.bo_handles = handles;
	s.cmd_count = ncmds;
	s.bo_count = nbos;
	s.flags = flags;
	if (ioctl(g->dev.fd, DRM_IOCTL_VGPU_SUBMIT, &s))
		return -errno;
	*id = s.job_id;
	return 0;
}

static void raw_refused(struct __test_metadata *_metadata, struct gctx *g,
			const char *what, int err, __u64 cmds, __u64 handles,
			__u32 ncmds, __u32 nbos, __u32 flags)
{
	__u32 id = 0;
	int ret = raw_submit(g, cmds, handles, ncmds, nbos, flags, &id);

	EXPECT_EQ(-err, ret) TH_LOG("%s: got %d (%s)", what, ret,
				    strerror(-ret));
	if (!ret)
		vgpu_job_wait(&g->dev, id, VGPU_WAIT_FOREVER, NULL);
	probe_job(_metadata, g, what);
}

static __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* A long job: DRM_VGPU_MAX_CMDS CRC32Cs of all of @src into @dst. */
static unsigned int long_job(struct vgpu_cmd *c, const struct vgpu_bo *src,
			     const struct vgpu_bo *dst)
{
	unsigned int i;

	for (i = 0; i < DRM_VGPU_MAX_CMDS; i++)
		c[i] = vgpu_cmd_crc(src->device_addr, src->size,
				    dst->device_addr + 4 * i);
	return DRM_VGPU_MAX_CMDS;
}

/* Check the results of long_job(): every CRC equals the CPU's. */
static void check_long_job(struct __test_metadata *_metadata,
			   const struct vgpu_bo *src,
			   const struct vgpu_bo *dst)
{
	__u32 crc = vgpu_crc32c(src->map, src->size);
	unsigned int i;

	for (i = 0; i < DRM_VGPU_MAX_CMDS; i++)
		EXPECT_EQ(crc, rd32(dst, 4 * i)) TH_LOG("CRC %u", i);
}

/* The driver's fault injection file, mounting debugfs if need be. */
static bool fault_injection(struct gctx *g)
{
	char path[256];

	if (vgpu_accel_fault_path(&g->dev, path, sizeof(path)))
		return false;
	if (access(path, W_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	return !access(path, W_OK);
}

static void inject(struct __test_metadata *_metadata, struct gctx *g,
		   unsigned int n)
{
	g->injected = true;
	ASSERT_EQ(0, vgpu_accel_inject_fault(&g->dev, n));
	ASSERT_EQ((int)n, vgpu_accel_pending_faults(&g->dev));
}

/* ---- fixture ----------------------------------------------------------- */

FIXTURE(guest) {
	struct gctx g;
};

FIXTURE_SETUP(guest)
{
	struct gctx *g = &self->g;
	int ret;

	g->dev.fd = -1;
	ret = vgpu_accel_open(&g->dev, getenv("VGPU_ACCEL_DEV"));
	if (ret == -ENODEV || ret == -ENOENT)
		SKIP(return, "no vgpu accel device (is vgpu_guest loaded?)");
	ASSERT_EQ(0, ret) TH_LOG("opening the device: %s", strerror(-ret));
	g->page = getpagesize();
	rng_state = getenv("VGPU_TEST_SEED") ?
		    strtoull(getenv("VGPU_TEST_SEED"), NULL, 0) : 0x5eed5eedULL;
	if (!rng_state)
		rng_state = 1;
	bo_new(_metadata, g, g->page, &g->probe);
}

FIXTURE_TEARDOWN(guest)
{
	struct gctx *g = &self->g;

	if (g->injected)
		vgpu_accel_inject_fault(&g->dev, 0);
	vgpu_bo_free(&g->dev, &g->probe);
	vgpu_accel_close(&g->dev);
}

/* ---- parameters -------------------------------------------------------- */

TEST_F_TIMEOUT(guest, params_sane, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 window, bo_bytes, bo_free, ops, v;
	char name[32] = "";
	struct drm_vgpu_get_param p;
	struct drm_version ver;
	__u32 i;

	memset(&ver, 0, sizeof(ver));
	ver.name = name;
	ver.name_len = sizeof(name) - 1;
	ASSERT_EQ(0, ioctl(g->dev.fd, DRM_IOCTL_VERSION, &ver));
	EXPECT_STREQ(VGPU_ACCEL_DRIVER, name);
	EXPECT_EQ(DRM_VGPU_DRIVER_MAJOR, ver.version_major);

	v = dev_param(_metadata, g, DRM_VGPU_PARAM_DEVICE_VERSION);
	EXPECT_EQ(VGPU_VERSION_MAJOR, (int)(v >> 16));
	EXPECT_GT(16, (int)dev_param(_metadata, g, DRM_VGPU_PARAM_PROFILE));
	EXPECT_LE(1ULL, dev_param(_metadata, g, DRM_VGPU_PARAM_ENGINES));

	window = dev_param(_metadata, g, DRM_VGPU_PARAM_WINDOW_BYTES);
	bo_bytes = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_BYTES);
	bo_free = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
	EXPECT_LE(MIB, window);
	EXPECT_EQ(0ULL, window & (window - 1))
		TH_LOG("window %llu", (unsigned long long)window);
	EXPECT_LT(0ULL, bo_bytes);
	EXPECT_LE(bo_bytes, window);
	EXPECT_LE(bo_free + g->probe.size, bo_bytes);
	EXPECT_EQ(0ULL, bo_bytes % g->page);
	EXPECT_EQ(0ULL, bo_free % g->page);

	ops = dev_param(_metadata, g, DRM_VGPU_PARAM_OPCODES);
	for (i = 0; i < VGPU_OP_COUNT; i++)
		EXPECT_TRUE(!!(ops & (1ULL << i))) TH_LOG("opcode %u", i);
	v = dev_param(_metadata, g, DRM_VGPU_PARAM_MAX_CMDS);
	EXPECT_LE(1ULL, v);
	EXPECT_GE((__u64)DRM_VGPU_MAX_CMDS, v);
	v = dev_param(_metadata, g, DRM_VGPU_PARAM_MAX_BOS);
	EXPECT_LE(1ULL, v);
	EXPECT_GE((__u64)DRM_VGPU_MAX_BOS, v);
	for (i = 0; i < DRM_VGPU_PARAM_COUNT; i++)
		EXPECT_EQ(0, vgpu_accel_param(&g->dev, i, &v))
			TH_LOG("param %u", i);

	/* Unknown parameters and padding are refused. */
	EXPECT_EQ(-EINVAL, vgpu_accel_param(&g->dev, DRM_VGPU_PARAM_COUNT,
					    &v));
	EXPECT_EQ(-EINVAL, vgpu_accel_param(&g->dev, ~0u, &v));
	memset(&p, 0, sizeof(p));
	p.param = DRM_VGPU_PARAM_ENGINES;
	p.pad = 1;
	EXPECT_EQ(-1, ioctl(g->dev.fd, DRM_IOCTL_VGPU_GET_PARAM, &p));
	EXPECT_EQ(EINVAL, errno);
}

/* ---- buffer objects ---------------------------------------------------- */

TEST_F_TIMEOUT(guest, bo_create_zeroed_and_mmap, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 window = dev_param(_metadata, g, DRM_VGPU_PARAM_WINDOW_BYTES);
	const __u64 size = 256 * KIB;
	struct vgpu_bo bo[3], again;
	unsigned char *data, *map2;
	unsigned int i, j;
	__u64 addr;

	if (!room_for(g, 3 * size))
		SKIP(return, "window too small");
	data = malloc(size);
	ASSERT_NE(NULL, data);
	for (i = 0; i < 3; i++) {
		bo_new(_metadata, g, size, &bo[i]);
		EXPECT_EQ(size, bo[i].size);
		EXPECT_EQ(0ULL, bo[i].device_addr % g->page);
		EXPECT_LE(bo[i].device_addr + size, window);
		EXPECT_EQ(size, not_byte_at(bo[i].map, 0, size))
			TH_LOG("new BO %u not zeroed", i);
		for (j = 0; j < i; j++)
			EXPECT_TRUE(bo[i].device_addr >= bo[j].device_addr +
				    size ||
				    bo[j].device_addr >= bo[i].device_addr +
				    size) TH_LOG("BOs %u and %u overlap", i, j);
	}

	/* What the CPU writes it reads back, through another mapping too. */
	rnd_fill(data, size);
	memcpy(bo[1].map, data, size);
	EXPECT_EQ(size, diff_at(bo[1].map, data, size));
	map2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    g->dev.fd, bo[1].mmap_offset);
	ASSERT_NE(MAP_FAILED, map2);
	EXPECT_EQ(size, diff_at(map2, data, size));
	map2[5] ^= 0xff;
	EXPECT_EQ(data[5] ^ 0xff, ((unsigned char *)bo[1].map)[5]);
	EXPECT_EQ(0, munmap(map2, size));
	/* The neighbours did not see it. */
	EXPECT_EQ(size, not_byte_at(bo[0].map, 0, size));
	EXPECT_EQ(size, not_byte_at(bo[2].map, 0, size));

	/* A mapping larger than the BO, or at no BO's offset, fails. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size + g->page,
				   PROT_READ | PROT_WRITE, MAP_SHARED,
				   g->dev.fd, bo[1].mmap_offset));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, g->page, PROT_READ | PROT_WRITE,
				   MAP_SHARED, g->dev.fd, 0));

	/* The range of a freed BO comes back zeroed. */
	addr = bo[1].device_addr;
	bo_del(_metadata, g, &bo[1]);
	bo_new(_metadata, g, size, &again);
	if (again.device_addr != addr)
		TH_LOG("note: the new BO is not where the freed one was");
	EXPECT_EQ(size, not_byte_at(again.map, 0, size));
	bo_del(_metadata, g, &again);
	bo_del(_metadata, g, &bo[0]);
	bo_del(_metadata, g, &bo[2]);
	free(data);
}

TEST_F_TIMEOUT(guest, bo_info, T_SHORT)
{
	struct gctx *g = &self->g;
	struct drm_vgpu_bo_info raw;
	struct vgpu_bo bo, info;

	bo_new(_metadata, g, 3 * g->page, &bo);
	ASSERT_EQ(0, vgpu_bo_info(&g->dev, bo.handle, &info));
	EXPECT_EQ(bo.handle, info.handle);
	EXPECT_EQ(3 * g->page, info.size);
	EXPECT_EQ(bo.device_addr, info.device_addr);
	EXPECT_EQ(bo.mmap_offset, info.mmap_offset);
	EXPECT_NE(bo.mmap_offset, g->probe.mmap_offset);
	EXPECT_NE(bo.device_addr, g->probe.device_addr);

	memset(&raw, 0, sizeof(raw));
	raw.handle = bo.handle;
	raw.pad = 1;
	EXPECT_EQ(-1, ioctl(g->dev.fd, DRM_IOCTL_VGPU_BO_INFO, &raw));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, vgpu_bo_info(&g->dev, 0, &info));
	EXPECT_EQ(-ENOENT, vgpu_bo_info(&g->dev, 0x7fffffff, &info));
	bo_del(_metadata, g, &bo);
}

TEST_F_TIMEOUT(guest, bo_size_rounding, T_SHORT)
{
	struct gctx *g = &self->g;
	const __u64 pg = g->page;
	const __u64 sizes[] = { 1, pg - 1, pg, pg + 1, 3 * pg + 5, 64 * KIB };
	__u64 before, after, expect;
	struct vgpu_bo bo, info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		expect = (sizes[i] + pg - 1) / pg * pg;
		before = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
		ASSERT_EQ(0, vgpu_bo_create(&g->dev, sizes[i], &bo));
		ASSERT_EQ(0, vgpu_bo_info(&g->dev, bo.handle, &info));
		EXPECT_EQ(expect, info.size) TH_LOG("size %llu",
						    (unsigned long long)sizes[i]);
		after = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
		EXPECT_EQ(expect, before - after) TH_LOG("size %llu",
							 (unsigned long long)sizes[i]);
		/* The whole rounded size is there to map. */
		ASSERT_EQ(0, vgpu_bo_mmap(&g->dev, &info));
		((char *)info.map)[expect - 1] = 1;
		EXPECT_EQ(0, vgpu_bo_unmap(&info));
		ASSERT_EQ(0, vgpu_bo_free(&g->dev, &bo));
		EXPECT_EQ(before, dev_param(_metadata, g,
					    DRM_VGPU_PARAM_BO_FREE_BYTES));
	}
}

/*
 * Size 0 is malformed: EINVAL. A size larger than the free bytes, or than
 * the whole BO area, cannot be had: ENOSPC. A size whose rounding up to the
 * page size overflows 64 bits is both at once, so either answer is right.
 */
TEST_F_TIMEOUT(guest, bo_size_zero_and_huge, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 bo_bytes = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_BYTES);
	__u64 bo_free = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
	struct vgpu_bo bo;
	int ret;

	EXPECT_EQ(-EINVAL, vgpu_bo_create(&g->dev, 0, &bo));
	EXPECT_EQ(-ENOSPC, vgpu_bo_create(&g->dev, bo_free + 1, &bo));
	EXPECT_EQ(-ENOSPC, vgpu_bo_create(&g->dev, bo_free + g->page, &bo));
	EXPECT_EQ(-ENOSPC, vgpu_bo_create(&g->dev, bo_bytes + 1, &bo));
	EXPECT_EQ(-ENOSPC, vgpu_bo_create(&g->dev, 1ULL << 62, &bo));
	ret = vgpu_bo_create(&g->dev, ~0ULL, &bo);
	EXPECT_TRUE(ret == -ENOSPC || ret == -EINVAL) TH_LOG("~0: %d", ret);
	ret = vgpu_bo_create(&g->dev, ~0ULL - g->page + 2, &bo);
	EXPECT_TRUE(ret == -ENOSPC || ret == -EINVAL) TH_LOG("2^64 - page + 1: %d",
							     ret);
	EXPECT_EQ(bo_free, dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));
}

/*
 * All the free bytes in one BO (one hole: only the probe BO is allocated),
 * then not one page more. The driver zeroes the BO, which is slow when
 * emulated, so only for windows up to 64 MiB.
 */
TEST_F_TIMEOUT(guest, bo_all_free_bytes_then_enospc, T_LONG)
{
	struct gctx *g = &self->g;
	__u64 bo_free = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
	struct vgpu_bo bo, all;

	if (bo_free > 64 * MIB)
		SKIP(return, "window too large to fill");
	ASSERT_EQ(0, vgpu_bo_create(&g->dev, bo_free, &all));
	EXPECT_EQ(0ULL, dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));
	EXPECT_EQ(-ENOSPC, vgpu_bo_create(&g->dev, 1, &bo));
	EXPECT_EQ(0, vgpu_bo_free(&g->dev, &all));
	EXPECT_EQ(bo_free, dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));
	ASSERT_EQ(0, vgpu_bo_create(&g->dev, 1, &bo));
	EXPECT_EQ(0, vgpu_bo_free(&g->dev, &bo));
}

TEST_F_TIMEOUT(guest, bo_nonzero_flags_and_pad, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 bo_free = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
	const __u32 flags[] = { 1, 2, 0x80000000u, ~0u };
	struct drm_vgpu_bo_create c;
	struct drm_vgpu_wait w;
	struct vgpu_result res;
	struct vgpu_cmd cmd;
	unsigned int i;
	__u32 id;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		memset(&c, 0, sizeof(c));
		c.size = g->page;
		c.flags = flags[i];
		EXPECT_EQ(-1, ioctl(g->dev.fd, DRM_IOCTL_VGPU_BO_CREATE, &c));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags 0x%x", flags[i]);
	}
	EXPECT_EQ(bo_free, dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));

	/* WAIT with padding set is refused; the job can still be reaped. */
	cmd = vgpu_cmd_fill(g->probe.device_addr, 4, 1);
	ASSERT_EQ(0, vgpu_job_submit(&g->dev, &cmd, 1, &g->probe.handle, 1,
				     &id));
	memset(&w, 0, sizeof(w));
	w.job_id = id;
	w.timeout_ns = 10000000000LL;
	w.pad = 1;
	EXPECT_EQ(-1, ioctl(g->dev.fd, DRM_IOCTL_VGPU_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, id, VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(0, res.status);
}

TEST_F_TIMEOUT(guest, bo_gem_close, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 bo_free = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
	struct drm_gem_close gc;
	struct vgpu_bo bo, info;
	struct vgpu_cmd cmd;
	unsigned char *map;
	__u32 handle, id;

	bo_new(_metadata, g, 16 * KIB, &bo);
	handle = bo.handle;
	map = bo.map;
	memset(map, 0x3c, bo.size);

	/* Closed but still mapped: the memory stays, and stays allocated. */
	memset(&gc, 0, sizeof(gc));
	gc.handle = handle;
	ASSERT_EQ(0, ioctl(g->dev.fd, DRM_IOCTL_GEM_CLOSE, &gc));
	EXPECT_EQ(-1, ioctl(g->dev.fd, DRM_IOCTL_GEM_CLOSE, &gc));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, vgpu_bo_info(&g->dev, handle, &info));
	cmd = vgpu_cmd_fill(bo.device_addr, 4, 0);
	EXPECT_EQ(-ENOENT, vgpu_job_submit(&g->dev, &cmd, 1, &handle, 1,
					   &id));
	EXPECT_EQ(bo.size, not_byte_at(map, 0x3c, bo.size));
	EXPECT_EQ(bo_free - bo.size,
		  dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));
	EXPECT_EQ(0, munmap(map, bo.size));
	EXPECT_EQ(bo_free, dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));
	probe_job(_metadata, g, "GEM_CLOSE");
}

/* ---- commands ---------------------------------------------------------- */

TEST_F_TIMEOUT(guest, cmd_copy, T_SHORT)
{
	struct gctx *g = &self->g;
	const __u64 size = 256 * KIB;
	/* Offsets in a, then in b (or in a too), and lengths. */
	static const struct { __u64 src, dst, len; bool in_a; } cp[] = {
		{ 0, 0, 64 * KIB, false },
		{ 65536 + 1, 65536 + 3, 1000, false },
		{ 70001, 70001, 1, false },
		{ 80000, 80000, 150001, false },
		{ 240000, 250000, 6000, true },
		{ 100, 240000, 7, false },
	};
	unsigned char *ea, *eb;
	struct vgpu_cmd c[ARRAY_SIZE(cp)];
	struct vgpu_bo a, b;
	__u32 h[2];
	unsigned int i;

	if (!room_for(g, 2 * size))
		SKIP(return, "window too small");
	bo_new(_metadata, g, size, &a);
	bo_new(_metadata, g, size, &b);
	ea = malloc(size);
	eb = malloc(size);
	ASSERT_NE(NULL, ea);
	ASSERT_NE(NULL, eb);
	rnd_fill(ea, size);
	rnd_fill(eb, size);
	memcpy(a.map, ea, size);
	memcpy(b.map, eb, size);
	for (i = 0; i < ARRAY_SIZE(cp); i++) {
		struct vgpu_bo *d = cp[i].in_a ? &a : &b;
		unsigned char *e = cp[i].in_a ? ea : eb;

		c[i] = vgpu_cmd_copy(a.device_addr + cp[i].src,
				     d->device_addr + cp[i].dst, cp[i].len, 0);
		memmove(e + cp[i].dst, ea + cp[i].src, cp[i].len);
	}
	h[0] = a.handle;
	h[1] = b.handle;
	job_ok(_metadata, g, "COPY", c, ARRAY_SIZE(cp), h, 2);
	EXPECT_EQ(size, diff_at(a.map, ea, size));
	EXPECT_EQ(size, diff_at(b.map, eb, size));
	free(ea);
	free(eb);
	bo_del(_metadata, g, &a);
	bo_del(_metadata, g, &b);
}

TEST_F_TIMEOUT(guest, cmd_fill, T_SHORT)
{
	struct gctx *g = &self->g;
	const __u64 size = 128 * KIB;
	static const struct { __u64 off, len; } f[] = {
		{ 0, 4 }, { 8, 4096 }, { 8192 + 4, 65536 + 12 },
		{ 128 * KIB - 4096, 4096 }, { 100000, 8 },
	};
	struct vgpu_cmd c[ARRAY_SIZE(f)];
	unsigned char *e;
	struct vgpu_bo bo;
	unsigned int i;
	__u64 j;

	if (!room_for(g, size))
		SKIP(return, "window too small");
	bo_new(_metadata, g, size, &bo);
	e = malloc(size);
	ASSERT_NE(NULL, e);
	rnd_fill(e, size);
	memcpy(bo.map, e, size);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		__u32 v = rnd();

		c[i] = vgpu_cmd_fill(bo.device_addr + f[i].off, f[i].len, v);
		for (j = 0; j < f[i].len; j += 4)
			memcpy(e + f[i].off + j, &v, 4);
	}
	job_ok(_metadata, g, "FILL", c, ARRAY_SIZE(f), &bo.handle, 1);
	EXPECT_EQ(size, diff_at(bo.map, e, size));
	free(e);
	bo_del(_metadata, g, &bo);
}

TEST_F_TIMEOUT(guest, cmd_gemm_i8, T_LONG)
{
	struct gctx *g = &self->g;
	static const struct { __u32 m, n, k; } dims[] = {
		{ 17, 33, 65 }, { 1, 1, 1 }, { 16, 16, 256 }, { 64, 64, 64 },
		{ 3, 200, 7 }, { 33, 1, 300 }, { 1, 1, 131073 },
	};
	const __u64 in_size = 512 * KIB, out_size = 64 * KIB;
	struct vgpu_bo in, out;
	__s8 *a, *b;
	__s32 *ref;
	__u32 h[2];
	unsigned int i;

	if (!room_for(g, in_size + out_size))
		SKIP(return, "window too small");
	bo_new(_metadata, g, in_size, &in);
	bo_new(_metadata, g, out_size, &out);
	h[0] = in.handle;
	h[1] = out.handle;
	a = malloc(in_size);
	ref = malloc(out_size);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, ref);
	for (i = 0; i < ARRAY_SIZE(dims); i++) {
		__u32 m = dims[i].m, n = dims[i].n, k = dims[i].k;
		/* A at an odd address, B right behind it, C 4 bytes in. */
		__u64 a_off = 1, b_off = a_off + (__u64)m * k, c_off = 4;
		__u64 c_bytes = (__u64)m * n * 4;
		struct vgpu_cmd cmd;

		ASSERT_GE(in_size, b_off + (__u64)k * n);
		ASSERT_GE(out_size, c_off + c_bytes + 64);
		b = a + b_off - a_off;
		if (k > 65536) {
			/* -128 * -128 summed past 2^31: the sum wraps. */
			memset(a, 0x80, (__u64)m * k + (__u64)k * n);
		} else {
			rnd_fill(a, (__u64)m * k + (__u64)k * n);
		}
		memcpy((char *)in.map + a_off, a, (__u64)m * k + (__u64)k * n);
		memset(out.map, 0xa5, out_size);
		vgpu_ref_gemm_i8(a, b, ref, m, n, k);
		cmd = vgpu_cmd_gemm(in.device_addr + a_off,
				    in.device_addr + b_off,
				   out.device_addr + c_off, m, n, k);
		job_ok(_metadata, g, "GEMM", &cmd, 1, h, 2);
		EXPECT_EQ(c_bytes, diff_at((char *)out.map + c_off, ref,
					   c_bytes))
			TH_LOG("%ux%ux%u", m, n, k);
		/* Nothing around C was written. */
		EXPECT_EQ(c_off, not_byte_at(out.map, 0xa5, c_off));
		EXPECT_EQ(64UL,
			  not_byte_at((char *)out.map + c_off + c_bytes, 0xa5,
				      64)) TH_LOG("%ux%ux%u", m, n, k);
		if (k > 65536)
			EXPECT_GT(0, ref[0]) TH_LOG("the reference did not wrap");
	}
	free(a);
	free(ref);
	bo_del(_metadata, g, &in);
	bo_del(_metadata, g, &out);
}

TEST_F_TIMEOUT(guest, cmd_crc32c, T_SHORT)
{
	struct gctx *g = &self->g;
	const __u64 size = 256 * KIB;
	static const struct { __u64 off, len; } cr[] = {
		{ 0, 1 }, { 1, 3 }, { 3, 4096 }, { 5, 65537 }, { 0, 256 * KIB },
		{ 200000, 9 }, { 131071, 2 },
	};
	struct vgpu_cmd c[ARRAY_SIZE(cr)];
	struct vgpu_bo src, dst;
	__u32 h[2];
	unsigned int i;

	if (!room_for(g, size + g->page))
		SKIP(return, "window too small");
	EXPECT_EQ(0xe3069283, vgpu_crc32c("123456789", 9));
	bo_new(_metadata, g, size, &src);
	bo_new(_metadata, g, g->page, &dst);
	rnd_fill(src.map, size);
	/* The check value of CRC32C at offset 200000 (entry 5). */
	memcpy((char *)src.map + 200000, "123456789", 9);
	memset(dst.map, 0xa5, g->page);
	for (i = 0; i < ARRAY_SIZE(cr); i++)
		c[i] = vgpu_cmd_crc(src.device_addr + cr[i].off, cr[i].len,
				    dst.device_addr + 4 * i);
	h[0] = src.handle;
	h[1] = dst.handle;
	job_ok(_metadata, g, "CRC32C", c, ARRAY_SIZE(cr), h, 2);
	for (i = 0; i < ARRAY_SIZE(cr); i++)
		EXPECT_EQ(vgpu_crc32c((char *)src.map + cr[i].off,
				      cr[i].len), rd32(&dst, 4 * i))
			TH_LOG("CRC32C of %llu bytes at %llu",
			       (unsigned long long)cr[i].len,
			       (unsigned long long)cr[i].off);
	EXPECT_EQ(0xe3069283, rd32(&dst, 20));
	EXPECT_EQ(0xa5a5a5a5, rd32(&dst, 4 * ARRAY_SIZE(cr)));
	bo_del(_metadata, g, &src);
	bo_del(_metadata, g, &dst);
}

TEST_F_TIMEOUT(guest, cmd_fence, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_cmd c[5];
	struct vgpu_bo bo;
	__u64 last;

	bo_new(_metadata, g, g->page, &bo);
	last = g->page - 8;
	c[0] = vgpu_cmd_fence(bo.device_addr, 0x0123456789abcdefULL, false);
	c[1] = vgpu_cmd_fence(bo.device_addr + 8, ~0ULL, false);
	c[2] = vgpu_cmd_fence(bo.device_addr + last, 1, false);
	c[3] = vgpu_cmd_fence(bo.device_addr + 16, 1, false);
	c[4] = vgpu_cmd_fence(bo.device_addr + 16, 2, false);
	job_ok(_metadata, g, "FENCE", c, 5, &bo.handle, 1);
	EXPECT_EQ(0x0123456789abcdefULL, rd64(&bo, 0));
	EXPECT_EQ(~0ULL, rd64(&bo, 8));
	EXPECT_EQ(2ULL, rd64(&bo, 16));
	EXPECT_EQ(0ULL, rd64(&bo, 24));
	EXPECT_EQ(1ULL, rd64(&bo, last));
	EXPECT_EQ(0ULL, rd64(&bo, last - 8));
	bo_del(_metadata, g, &bo);
}

TEST_F_TIMEOUT(guest, cmd_timestamp_monotonic, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_bo ts, work;
	struct vgpu_cmd c[4];
	__u64 t[5];
	__u32 h[2];
	unsigned int i;

	if (!room_for(g, 256 * KIB + g->page))
		SKIP(return, "window too small");
	bo_new(_metadata, g, g->page, &ts);
	bo_new(_metadata, g, 256 * KIB, &work);
	h[0] = ts.handle;
	h[1] = work.handle;
	c[0] = vgpu_cmd_timestamp(ts.device_addr);
	c[1] = vgpu_cmd_fill(work.device_addr, work.size, 0x12345678);
	c[2] = vgpu_cmd_timestamp(ts.device_addr + 8);
	c[3] = vgpu_cmd_timestamp(ts.device_addr + 16);
	job_ok(_metadata, g, "TIMESTAMP", c, 4, h, 2);
	c[0] = vgpu_cmd_timestamp(ts.device_addr + 24);
	c[1] = vgpu_cmd_timestamp(ts.device_addr + 32);
	usleep(1000);
	job_ok(_metadata, g, "TIMESTAMP", c, 2, h, 2);
	for (i = 0; i < 5; i++)
		t[i] = rd64(&ts, 8 * i);
	EXPECT_NE(0ULL, t[0]);
	for (i = 1; i < 5; i++)
		EXPECT_LE(t[i - 1], t[i]) TH_LOG("timestamp %u", i);
	/* A 256 KiB FILL, and a millisecond between jobs, take time. */
	EXPECT_LT(t[0], t[2]);
	EXPECT_LT(t[3], t[4]);
	bo_del(_metadata, g, &ts);
	bo_del(_metadata, g, &work);
}

TEST_F_TIMEOUT(guest, cmd_nop, T_SHORT)
{
	struct vgpu_cmd c[DRM_VGPU_MAX_CMDS];
	struct gctx *g = &self->g;
	unsigned int i;

	for (i = 0; i < DRM_VGPU_MAX_CMDS; i++)
		c[i] = vgpu_cmd_nop();
	job_ok(_metadata, g, "one NOP", c, 1, &g->probe.handle, 1);
	job_ok(_metadata, g, "NOPs", c, DRM_VGPU_MAX_CMDS, &g->probe.handle,
	       1);
	probe_job(_metadata, g, "NOPs");
}

/* Every opcode in one job, chained through three BOs. */
TEST_F_TIMEOUT(guest, cmd_all_in_one_job, T_SHORT)
{
	struct gctx *g = &self->g;
	const __u64 size = 64 * KIB;
	struct vgpu_bo a, b, r;
	__s32 ref[8 * 8];
	struct vgpu_cmd c[8];
	unsigned char *e;
	__u32 h[3];
	__u64 i;

	if (!room_for(g, 2 * size + g->page))
		SKIP(return, "window too small");
	bo_new(_metadata, g, size, &a);
	bo_new(_metadata, g, size, &b);
	bo_new(_metadata, g, g->page, &r);
	e = malloc(size);
	ASSERT_NE(NULL, e);
	rnd_fill(e, size);
	memcpy(a.map, e, size);
	h[0] = a.handle;
	h[1] = b.handle;
	h[2] = r.handle;
	c[0] = vgpu_cmd_timestamp(r.device_addr);
	c[1] = vgpu_cmd_copy(a.device_addr, b.device_addr, size, 0);
	c[2] = vgpu_cmd_fill(a.device_addr, 4096, 0xfeedf00d);
	c[3] = vgpu_cmd_crc(b.device_addr, size, r.device_addr + 8);
	c[4] = vgpu_cmd_gemm(b.device_addr, b.device_addr + 64,
			     r.device_addr + 64, 8, 8, 8);
	c[5] = vgpu_cmd_nop();
	c[6] = vgpu_cmd_fence(r.device_addr + 16, 0xabcdef, false);
	c[7] = vgpu_cmd_timestamp(r.device_addr + 24);
	job_ok(_metadata, g, "all opcodes", c, 8, h, 3);
	EXPECT_EQ(size, diff_at(b.map, e, size));
	for (i = 0; i < 4096; i += 4)
		if (rd32(&a, i) != 0xfeedf00d)
			break;
	EXPECT_EQ(4096ULL, i);
	EXPECT_EQ(size - 4096, diff_at((char *)a.map + 4096, e + 4096,
				       size - 4096));
	EXPECT_EQ(vgpu_crc32c(e, size), rd32(&r, 8));
	vgpu_ref_gemm_i8((__s8 *)e, (__s8 *)e + 64, ref, 8, 8, 8);
	EXPECT_EQ(sizeof(ref), diff_at((char *)r.map + 64, ref, sizeof(ref)));
	EXPECT_EQ(0xabcdefULL, rd64(&r, 16));
	EXPECT_LE(rd64(&r, 0), rd64(&r, 24));
	free(e);
	bo_del(_metadata, g, &a);
	bo_del(_metadata, g, &b);
	bo_del(_metadata, g, &r);
}

/* ---- submissions the driver refuses ------------------------------------ */

TEST_F_TIMEOUT(guest, submit_range_outside_bo, T_LONG)
{
	struct gctx *g = &self->g;
	const __u64 top = ~0ULL, sz = 8 * KIB;
	struct vgpu_bo x;
	__u64 X, E;

	bo_new(_metadata, g, sz, &x);
	X = x.device_addr;
	E = X + sz;
	refused1(_metadata, g, "COPY src one byte past the BO", EINVAL,
		 vgpu_cmd_copy(E - 15, X, 16, 0), &x.handle, 1);
	refused1(_metadata, g, "COPY dst one byte past the BO", EINVAL,
		 vgpu_cmd_copy(X, E - 15, 16, 0), &x.handle, 1);
	refused1(_metadata, g, "COPY src before the BO", EINVAL,
		 vgpu_cmd_copy(X - 8, X + 16, 16, 0), &x.handle, 1);
	refused1(_metadata, g, "COPY huge length", EINVAL,
		 vgpu_cmd_copy(X, X + 4096, 1ULL << 62, 0), &x.handle, 1);
	refused1(_metadata, g, "COPY src + len wraps", EINVAL,
		 vgpu_cmd_copy(X + 8, X + 4096, top - 4, 0), &x.handle, 1);
	refused1(_metadata, g, "COPY dst near 2^64", EINVAL,
		 vgpu_cmd_copy(X, top - 7, 8, 0), &x.handle, 1);
	refused1(_metadata, g, "FILL one word past the BO", EINVAL,
		 vgpu_cmd_fill(E - 4, 8, 1), &x.handle, 1);
	refused1(_metadata, g, "FILL dst + len wraps", EINVAL,
		 vgpu_cmd_fill(top - 3, 8, 1), &x.handle, 1);
	refused1(_metadata, g, "FILL at window offset 0 (the ring)", EINVAL,
		 vgpu_cmd_fill(0, 64, 0), &x.handle, 1);
	refused1(_metadata, g, "GEMM A one byte past the BO", EINVAL,
		 vgpu_cmd_gemm(E - 19, X, X + 4096, 4, 4, 5), &x.handle, 1);
	refused1(_metadata, g, "GEMM B one byte past the BO", EINVAL,
		 vgpu_cmd_gemm(X, E - 1, X + 4096, 1, 2, 1), &x.handle, 1);
	refused1(_metadata, g, "GEMM C one word past the BO", EINVAL,
		 vgpu_cmd_gemm(X, X + 64, E - 12, 2, 2, 1), &x.handle, 1);
	refused1(_metadata, g, "GEMM m * k near 2^64", EINVAL,
		 vgpu_cmd_gemm(X, X, X + 4096, ~0u, 1, ~0u), &x.handle, 1);
	refused1(_metadata, g, "GEMM C larger than the window", EINVAL,
		 vgpu_cmd_gemm(X, X + 64, X + 4096, 65535, 65535, 1),
		 &x.handle, 1);
	refused1(_metadata, g, "CRC32C src one byte past the BO", EINVAL,
		 vgpu_cmd_crc(E - 3, 4, X), &x.handle, 1);
	refused1(_metadata, g, "CRC32C dst at the BO's end", EINVAL,
		 vgpu_cmd_crc(X, 16, E), &x.handle, 1);
	refused1(_metadata, g, "FENCE at the BO's end", EINVAL,
		 vgpu_cmd_fence(E, 1, false), &x.handle, 1);
	refused1(_metadata, g, "FENCE at window offset 0 (the ring)", EINVAL,
		 vgpu_cmd_fence(0, 1, false), &x.handle, 1);
	refused1(_metadata, g, "TIMESTAMP at the BO's end", EINVAL,
		 vgpu_cmd_timestamp(E), &x.handle, 1);
	refused1(_metadata, g, "TIMESTAMP near 2^64", EINVAL,
		 vgpu_cmd_timestamp(top - 7), &x.handle, 1);
	/* The last byte and word of the BO are fine. */
	refused1(_metadata, g, "control: FENCE in the last word", 0,
		 vgpu_cmd_fence(E - 8, 7, false), &x.handle, 1);
	EXPECT_EQ(7ULL, rd64(&x, sz - 8));
	bo_del(_metadata, g, &x);
}

TEST_F_TIMEOUT(guest, submit_range_straddles_bos, T_LONG)
{
	struct gctx *g = &self->g;
	const __u64 sz = 8 * KIB;
	struct vgpu_bo x, y;
	__u32 h[2];
	__u64 E;

	bo_new(_metadata, g, sz, &x);
	bo_new(_metadata, g, sz, &y);
	if (y.device_addr < x.device_addr) {
		struct vgpu_bo t = x;

		x = y;
		y = t;
	}
	/* The ranges start in x and end past it, in y if they are adjacent. */
	if (y.device_addr != x.device_addr + sz)
		TH_LOG("note: the two BOs are not adjacent");
	E = x.device_addr + sz;
	h[0] = x.handle;
	h[1] = y.handle;
	refused1(_metadata, g, "COPY src across two BOs", EINVAL,
		 vgpu_cmd_copy(E - 8, y.device_addr + 4096, 16, 0), h, 2);
	refused1(_metadata, g, "COPY dst across two BOs", EINVAL,
		 vgpu_cmd_copy(y.device_addr + 4096, E - 8, 16, 0), h, 2);
	refused1(_metadata, g, "FILL across two BOs", EINVAL,
		 vgpu_cmd_fill(E - 8, 16, 1), h, 2);
	refused1(_metadata, g, "CRC32C src across two BOs", EINVAL,
		 vgpu_cmd_crc(E - 8, 16, y.device_addr), h, 2);
	refused1(_metadata, g, "GEMM A across two BOs", EINVAL,
		 vgpu_cmd_gemm(E - 10, y.device_addr, y.device_addr + 4096, 4,
			       4, 5), h, 2);
	refused1(_metadata, g, "GEMM C across two BOs", EINVAL,
		 vgpu_cmd_gemm(y.device_addr, y.device_addr + 64, E - 8, 2, 2,
			       2), h, 2);
	refused1(_metadata, g, "control: COPY from one BO to the other", 0,
		 vgpu_cmd_copy(E - 8, y.device_addr, 8, 0), h, 2);
	bo_del(_metadata, g, &x);
	bo_del(_metadata, g, &y);
}

TEST_F_TIMEOUT(guest, submit_bo_not_listed, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_bo x, y;
	__u32 h[2];

	bo_new(_metadata, g, g->page, &x);
	bo_new(_metadata, g, g->page, &y);
	memset(x.map, 0x77, g->page);
	h[0] = x.handle;
	h[1] = y.handle;
	refused1(_metadata, g, "COPY to a BO not listed", EINVAL,
		 vgpu_cmd_copy(x.device_addr, y.device_addr, 64, 0), &h[0], 1);
	refused1(_metadata, g, "COPY from a BO not listed", EINVAL,
		 vgpu_cmd_copy(x.device_addr, y.device_addr, 64, 0), &h[1], 1);
	refused1(_metadata, g, "FENCE in a BO not listed", EINVAL,
		 vgpu_cmd_fence(y.device_addr, 1, false), &h[0], 1);
	refused1(_metadata, g, "FILL in a BO not listed, only the probe is",
		 EINVAL, vgpu_cmd_fill(y.device_addr, 64, 1), &g->probe.handle,
		 1);
	EXPECT_EQ(g->page, not_byte_at(y.map, 0, g->page));
	refused1(_metadata, g, "control: both listed", 0,
		 vgpu_cmd_copy(x.device_addr, y.device_addr, 64, 0), h, 2);
	EXPECT_EQ(64UL, not_byte_at(y.map, 0x77, g->page));
	bo_del(_metadata, g, &x);
	bo_del(_metadata, g, &y);
}

TEST_F_TIMEOUT(guest, submit_unknown_handle, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_cmd c = vgpu_cmd_fence(g->probe.device_addr, 1, false);
	struct vgpu_bo x;
	__u32 h[2];

	h[0] = g->probe.handle;
	h[1] = 0x7fffffff;
	refused(_metadata, g, "unknown handle after a good one", ENOENT, &c, 1,
		h, 2);
	h[0] = 0;
	refused(_metadata, g, "handle 0", ENOENT, &c, 1, h, 1);
	bo_new(_metadata, g, g->page, &x);
	h[0] = x.handle;
	bo_del(_metadata, g, &x);
	h[1] = g->probe.handle;
	refused(_metadata, g, "closed handle", ENOENT, &c, 1, h, 2);
}

TEST_F_TIMEOUT(guest, submit_sys_and_irq_flags, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 P = g->probe.device_addr;
	__u32 *h = &g->probe.handle;
	struct vgpu_cmd c;

	c = vgpu_cmd_copy(P, P + 2048, 16, 0);
	c.flags = VGPU_CMD_SRC_SYS;
	refused1(_metadata, g, "COPY with SRC_SYS", EINVAL, c, h, 1);
	c.flags = VGPU_CMD_DST_SYS;
	refused1(_metadata, g, "COPY with DST_SYS", EINVAL, c, h, 1);
	c.flags = VGPU_CMD_SRC_SYS | VGPU_CMD_DST_SYS;
	refused1(_metadata, g, "COPY with both SYS flags", EINVAL, c, h, 1);
	c = vgpu_cmd_fill(P, 16, 1);
	c.flags = VGPU_CMD_DST_SYS;
	refused1(_metadata, g, "FILL with DST_SYS", EINVAL, c, h, 1);
	c = vgpu_cmd_fence(P, 1, false);
	c.flags = VGPU_CMD_IRQ;
	refused1(_metadata, g, "FENCE with IRQ", EINVAL, c, h, 1);
	c = vgpu_cmd_nop();
	c.flags = VGPU_CMD_IRQ;
	refused1(_metadata, g, "NOP with IRQ", EINVAL, c, h, 1);
}

TEST_F_TIMEOUT(guest, submit_bad_opcode_and_flags, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 P = g->probe.device_addr;
	__u32 *h = &g->probe.handle;
	struct vgpu_cmd c = vgpu_cmd_nop(), cs[3];

	c.opcode = VGPU_OP_COUNT;
	refused1(_metadata, g, "opcode VGPU_OP_COUNT", EINVAL, c, h, 1);
	c.opcode = 0x100;
	refused1(_metadata, g, "opcode 0x100", EINVAL, c, h, 1);
	c.opcode = ~0u;
	refused1(_metadata, g, "opcode ~0", EINVAL, c, h, 1);
	c = vgpu_cmd_copy(P, P + 2048, 16, 0);
	c.flags = 0x8;
	refused1(_metadata, g, "COPY with an undefined flag", EINVAL, c, h, 1);
	c = vgpu_cmd_nop();
	c.flags = 0x80000000u;
	refused1(_metadata, g, "NOP with flag bit 31", EINVAL, c, h, 1);
	/* A bad command after good ones refuses the whole job. */
	cs[0] = vgpu_cmd_fill(P, 64, 0x11111111);
	cs[1] = vgpu_cmd_nop();
	cs[2] = vgpu_cmd_nop();
	cs[2].opcode = 42;
	refused(_metadata, g, "bad opcode as the third command", EINVAL, cs,
		3, h, 1);
}

TEST_F_TIMEOUT(guest, submit_misaligned, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 P = g->probe.device_addr;
	__u32 *h = &g->probe.handle;

	refused1(_metadata, g, "FILL dst misaligned", EINVAL,
		 vgpu_cmd_fill(P + 2, 8, 1), h, 1);
	refused1(_metadata, g, "FILL len not a multiple of 4", EINVAL,
		 vgpu_cmd_fill(P, 6, 1), h, 1);
	refused1(_metadata, g, "GEMM C misaligned", EINVAL,
		 vgpu_cmd_gemm(P, P + 64, P + 1026, 2, 2, 2), h, 1);
	refused1(_metadata, g, "CRC32C dst misaligned", EINVAL,
		 vgpu_cmd_crc(P, 16, P + 1026), h, 1);
	refused1(_metadata, g, "FENCE dst only 4-aligned", EINVAL,
		 vgpu_cmd_fence(P + 4, 1, false), h, 1);
	refused1(_metadata, g, "TIMESTAMP dst only 4-aligned", EINVAL,
		 vgpu_cmd_timestamp(P + 4), h, 1);
	refused1(_metadata, g, "TIMESTAMP dst odd", EINVAL,
		 vgpu_cmd_timestamp(P + 1), h, 1);
}

TEST_F_TIMEOUT(guest, submit_zero_sizes_pad_and_overlap, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 P = g->probe.device_addr;
	__u32 *h = &g->probe.handle;
	struct vgpu_cmd c;

	refused1(_metadata, g, "COPY len 0", EINVAL,
		 vgpu_cmd_copy(P, P + 2048, 0, 0), h, 1);
	refused1(_metadata, g, "FILL len 0", EINVAL, vgpu_cmd_fill(P, 0, 1), h,
		 1);
	c = vgpu_cmd_fill(P, 8, 1);
	c.u.fill.pad = 1;
	refused1(_metadata, g, "FILL pad set", EINVAL, c, h, 1);
	refused1(_metadata, g, "GEMM m 0", EINVAL,
		 vgpu_cmd_gemm(P, P + 64, P + 1024, 0, 1, 1), h, 1);
	refused1(_metadata, g, "GEMM n 0", EINVAL,
		 vgpu_cmd_gemm(P, P + 64, P + 1024, 1, 0, 1), h, 1);
	refused1(_metadata, g, "GEMM k 0", EINVAL,
		 vgpu_cmd_gemm(P, P + 64, P + 1024, 1, 1, 0), h, 1);
	c = vgpu_cmd_gemm(P, P + 64, P + 1024, 1, 1, 1);
	c.u.gemm.pad = 1;
	refused1(_metadata, g, "GEMM pad set", EINVAL, c, h, 1);
	refused1(_metadata, g, "CRC32C len 0", EINVAL,
		 vgpu_cmd_crc(P, 0, P + 1024), h, 1);
	refused1(_metadata, g, "COPY dst 8 bytes into src", EINVAL,
		 vgpu_cmd_copy(P, P + 8, 16, 0), h, 1);
	refused1(_metadata, g, "COPY src 8 bytes into dst", EINVAL,
		 vgpu_cmd_copy(P + 8, P, 16, 0), h, 1);
	refused1(_metadata, g, "COPY onto itself", EINVAL,
		 vgpu_cmd_copy(P, P, 1, 0), h, 1);
}

TEST_F_TIMEOUT(guest, submit_bad_cmd_count, T_SHORT)
{
	struct vgpu_cmd c[DRM_VGPU_MAX_CMDS + 1];
	struct gctx *g = &self->g;
	__u32 *h = &g->probe.handle;
	unsigned int i;

	for (i = 0; i <= DRM_VGPU_MAX_CMDS; i++)
		c[i] = vgpu_cmd_nop();
	refused(_metadata, g, "cmd_count 0", EINVAL, c, 0, h, 1);
	refused(_metadata, g, "cmd_count MAX + 1", EINVAL, c,
		DRM_VGPU_MAX_CMDS + 1, h, 1);
	raw_refused(_metadata, g, "cmd_count ~0", EINVAL, ptr(c), ptr(h), ~0u,
		    1, 0);
	raw_refused(_metadata, g, "cmd_count 2^31", EINVAL, ptr(c), ptr(h),
		    0x80000000u, 1, 0);
	/* Exactly MAX is fine: NOPs, then a FENCE to see it ran. */
	c[DRM_VGPU_MAX_CMDS - 1] = vgpu_cmd_fence(g->probe.device_addr, 99, false);
	job_ok(_metadata, g, "cmd_count MAX", c, DRM_VGPU_MAX_CMDS, h, 1);
	EXPECT_EQ(99ULL, rd64(&g->probe, 0));
}

TEST_F_TIMEOUT(guest, submit_bad_bo_count, T_LONG)
{
	struct vgpu_bo bo[DRM_VGPU_MAX_BOS + 1];
	struct vgpu_cmd c[DRM_VGPU_MAX_BOS];
	__u32 h[DRM_VGPU_MAX_BOS + 1];
	struct gctx *g = &self->g;
	unsigned int i;

	if (!room_for(g, (DRM_VGPU_MAX_BOS + 1) * g->page))
		SKIP(return, "window too small");
	for (i = 0; i <= DRM_VGPU_MAX_BOS; i++) {
		bo_new(_metadata, g, g->page, &bo[i]);
		h[i] = bo[i].handle;
	}
	for (i = 0; i < DRM_VGPU_MAX_BOS; i++)
		c[i] = vgpu_cmd_fill(bo[i].device_addr, 64, 0x100 + i);
	refused(_metadata, g, "bo_count 0", EINVAL, c, 1, h, 0);
	refused(_metadata, g, "bo_count MAX + 1", EINVAL, c,
		DRM_VGPU_MAX_BOS, h, DRM_VGPU_MAX_BOS + 1);
	raw_refused(_metadata, g, "bo_count ~0", EINVAL, ptr(c), ptr(h), 1,
		    ~0u, 0);
	/* Exactly MAX is fine: one FILL in each BO. */
	job_ok(_metadata, g, "bo_count MAX", c, DRM_VGPU_MAX_BOS, h,
	       DRM_VGPU_MAX_BOS);
	for (i = 0; i < DRM_VGPU_MAX_BOS; i++) {
		EXPECT_EQ(0x100 + i, rd32(&bo[i], 60)) TH_LOG("BO %u", i);
		EXPECT_EQ(0U, rd32(&bo[i], 64)) TH_LOG("BO %u", i);
	}
	for (i = 0; i <= DRM_VGPU_MAX_BOS; i++)
		bo_del(_metadata, g, &bo[i]);
}

TEST_F_TIMEOUT(guest, submit_nonzero_flags, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_cmd c = vgpu_cmd_fence(g->probe.device_addr, 5, false);
	const __u32 flags[] = { 1, 0x10, 0x80000000u, ~0u };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		raw_refused(_metadata, g, "SUBMIT flags", EINVAL, ptr(&c),
			    ptr(&g->probe.handle), 1, 1, flags[i]);
}

TEST_F_TIMEOUT(guest, submit_bad_user_pointers, T_SHORT)
{
	struct gctx *g = &self->g;
	__u64 h = ptr(&g->probe.handle), pg = g->page;
	struct vgpu_cmd c = vgpu_cmd_fence(g->probe.device_addr, 5, false);
	char *m, *cend, *hend;

	/*
	 * Four pages, the second and fourth unmapped: the command ends the
	 * first, the handle the third, each right before a hole.
	 */
	m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, munmap(m + pg, pg));
	ASSERT_EQ(0, munmap(m + 3 * pg, pg));
	cend = m + pg;
	hend = m + 3 * pg;
	memcpy(cend - sizeof(c), &c, sizeof(c));
	memcpy(hend - 4, &g->probe.handle, 4);

	raw_refused(_metadata, g, "cmds NULL", EFAULT, 0, h, 1, 1, 0);
	raw_refused(_metadata, g, "cmds 8", EFAULT, 8, h, 1, 1, 0);
	raw_refused(_metadata, g, "cmds unmapped", EFAULT, ptr(cend), h, 1, 1,
		    0);
	raw_refused(_metadata, g, "cmds run into an unmapped page", EFAULT,
		    ptr(cend - sizeof(c)), h, 2, 1, 0);
	raw_refused(_metadata, g, "cmds in the kernel", EFAULT,
		    0xffff888000000000ULL, h, 1, 1, 0);
	raw_refused(_metadata, g, "bo_handles NULL", EFAULT, ptr(&c), 0, 1, 1,
		    0);
	raw_refused(_metadata, g, "bo_handles unmapped", EFAULT, ptr(&c),
		    ptr(hend), 1, 1, 0);
	raw_refused(_metadata, g, "bo_handles run into an unmapped page",
		    EFAULT, ptr(&c), ptr(hend - 4), 1, 2, 0);
	raw_refused(_metadata, g, "bo_handles in the kernel", EFAULT, ptr(&c),
		    0xffff888000000000ULL, 1, 1, 0);
	/* The same data where it is all mapped is fine. */
	raw_refused(_metadata, g, "control: the last bytes of a page", 0,
		    ptr(cend - sizeof(c)), ptr(hend - 4), 1, 1, 0);
	EXPECT_EQ(0, munmap(m, pg));
	EXPECT_EQ(0, munmap(m + 2 * pg, pg));
}

/* At most DRM_VGPU_MAX_JOBS jobs not waited for per file. */
TEST_F_TIMEOUT(guest, submit_too_many_unwaited, T_LONG)
{
	struct gctx *g = &self->g;
	struct vgpu_cmd c = vgpu_cmd_nop();
	struct vgpu_result res;
	__u32 *ids, extra;
	unsigned int i, bad = 0;

	ids = calloc(DRM_VGPU_MAX_JOBS, sizeof(*ids));
	ASSERT_NE(NULL, ids);
	for (i = 0; i < DRM_VGPU_MAX_JOBS; i++)
		ASSERT_EQ(0, vgpu_job_submit(&g->dev, &c, 1, &g->probe.handle,
					     1, &ids[i])) TH_LOG("job %u", i);
	EXPECT_EQ(-EBUSY, vgpu_job_submit(&g->dev, &c, 1, &g->probe.handle, 1,
					  &extra));
	/* Waiting for one makes room for one. */
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, ids[0], VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(0, res.status);
	ASSERT_EQ(0, vgpu_job_submit(&g->dev, &c, 1, &g->probe.handle, 1,
				     &ids[0]));
	EXPECT_EQ(-EBUSY, vgpu_job_submit(&g->dev, &c, 1, &g->probe.handle, 1,
					  &extra));
	for (i = 0; i < DRM_VGPU_MAX_JOBS; i++)
		if (vgpu_job_wait(&g->dev, ids[i], VGPU_WAIT_FOREVER, &res) ||
		    res.status)
			bad++;
	EXPECT_EQ(0U, bad);
	free(ids);
	probe_job(_metadata, g, "4096 jobs");
}

/* ---- waiting ----------------------------------------------------------- */

TEST_F_TIMEOUT(guest, wait_unknown_and_reaped_id, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_cmd c = vgpu_cmd_fence(g->probe.device_addr, 3, false);
	struct vgpu_accel other;
	struct vgpu_result res;
	struct vgpu_bo obo;
	__u32 id, oid;

	EXPECT_EQ(-ENOENT, vgpu_job_wait(&g->dev, 0x7fffffff, 0, &res));
	EXPECT_EQ(-ENOENT, vgpu_job_wait(&g->dev, ~0u, 1000000, &res));

	ASSERT_EQ(0, vgpu_job_submit(&g->dev, &c, 1, &g->probe.handle, 1,
				     &id));
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, id, VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(0, res.status);
	EXPECT_EQ(0U, res.device_error);
	EXPECT_EQ(3ULL, rd64(&g->probe, 0));
	/* Reaped: the id is forgotten. */
	EXPECT_EQ(-ENOENT, vgpu_job_wait(&g->dev, id, 0, &res));
	EXPECT_EQ(-ENOENT, vgpu_job_wait(&g->dev, id, 1000000, &res));

	/* Another file's job is unknown here, and the other way round. */
	ASSERT_EQ(0, vgpu_accel_open(&other, g->dev.path));
	ASSERT_EQ(0, vgpu_bo_new(&other, g->page, &obo));
	c = vgpu_cmd_fence(obo.device_addr, 4, false);
	ASSERT_EQ(0, vgpu_job_submit(&other, &c, 1, &obo.handle, 1, &oid));
	ASSERT_EQ(0, vgpu_job_wait(&other, oid, VGPU_WAIT_FOREVER, NULL));
	ASSERT_EQ(0, vgpu_job_submit(&other, &c, 1, &obo.handle, 1, &oid));
	EXPECT_EQ(-ENOENT, vgpu_job_wait(&g->dev, oid, 0, &res));
	EXPECT_EQ(0, vgpu_job_wait(&other, oid, VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(0, res.status);
	EXPECT_EQ(4ULL, rd64(&obo, 0));
	vgpu_bo_free(&other, &obo);
	vgpu_accel_close(&other);
}

TEST_F_TIMEOUT(guest, wait_timeout_then_block, T_LONG)
{
	struct vgpu_cmd c[DRM_VGPU_MAX_CMDS];
	struct gctx *g = &self->g;
	struct vgpu_result res;
	struct vgpu_bo src, dst;
	__u32 id[3], h[2];
	unsigned int n, i;
	__u64 t0;

	if (!room_for(g, LONG_BYTES + g->page))
		SKIP(return, "window too small");
	bo_new(_metadata, g, LONG_BYTES, &src);
	bo_new(_metadata, g, g->page, &dst);
	rnd_fill(src.map, LONG_BYTES);
	h[0] = src.handle;
	h[1] = dst.handle;
	n = long_job(c, &src, &dst);
	/* Three long jobs; the last cannot be done right after submission. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, n, h, 2, &id[i]));
	EXPECT_EQ(-ETIMEDOUT, vgpu_job_wait(&g->dev, id[2], 0, &res));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, vgpu_job_wait(&g->dev, id[2], 1000000, &res));
	EXPECT_LE(1000000ULL, now_ns() - t0) TH_LOG("returned before its timeout");
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, id[2], VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(0, res.status);
	EXPECT_LT(0ULL, res.duration_ns);
	/* Jobs finish in order: the first two are done too. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vgpu_job_wait(&g->dev, id[i], 0, &res));
		EXPECT_EQ(0, res.status);
	}
	check_long_job(_metadata, &src, &dst);
	bo_del(_metadata, g, &src);
	bo_del(_metadata, g, &dst);
}

/*
 * More work in flight than the driver's ring holds: 300 jobs of 100
 * commands, submitted before any wait. All complete, in order.
 */
TEST_F_TIMEOUT(guest, jobs_beyond_ring_in_order, T_LONG)
{
	enum { JOBS = 300, CMDS = 100 };
	struct gctx *g = &self->g;
	struct vgpu_cmd c[CMDS];
	struct vgpu_bo a, b, t, f;
	struct vgpu_result res;
	__u32 id[JOBS], h[4];
	unsigned int i, j, bad = 0;

	bo_new(_metadata, g, 4 * JOBS, &a);
	bo_new(_metadata, g, 4 * JOBS, &b);
	bo_new(_metadata, g, 8 * JOBS, &t);
	bo_new(_metadata, g, 8 * JOBS, &f);
	h[0] = a.handle;
	h[1] = b.handle;
	h[2] = t.handle;
	h[3] = f.handle;
	for (i = 0; i < JOBS; i++) {
		c[0] = vgpu_cmd_fill(a.device_addr + 4 * i, 4, 0x5a5a0000 + i);
		for (j = 1; j < CMDS - 3; j++)
			c[j] = vgpu_cmd_nop();
		c[CMDS - 3] = vgpu_cmd_copy(a.device_addr + 4 * i,
					    b.device_addr + 4 * i, 4, 0);
		c[CMDS - 2] = vgpu_cmd_timestamp(t.device_addr + 8 * i);
		c[CMDS - 1] = vgpu_cmd_fence(f.device_addr + 8 * i, i + 1, false);
		ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, CMDS, h, 4, &id[i]))
			TH_LOG("job %u", i);
	}
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, id[JOBS - 1], VGPU_WAIT_FOREVER,
				   &res));
	EXPECT_EQ(0, res.status);
	/* The last is done, so every earlier one is. */
	for (i = 0; i < JOBS - 1; i++) {
		int ret = vgpu_job_wait(&g->dev, id[i], 0, &res);

		if (ret || res.status) {
			if (!bad++)
				TH_LOG("job %u: wait %d, status %d", i, ret,
				       res.status);
			if (ret == -ETIMEDOUT)
				vgpu_job_wait(&g->dev, id[i],
					      VGPU_WAIT_FOREVER, NULL);
		}
	}
	EXPECT_EQ(0U, bad);
	for (i = 0; i < JOBS; i++) {
		EXPECT_EQ(0x5a5a0000 + i, rd32(&b, 4 * i)) TH_LOG("job %u", i);
		EXPECT_EQ(i + 1, rd64(&f, 8 * i)) TH_LOG("job %u", i);
		if (i)
			EXPECT_LE(rd64(&t, 8 * (i - 1)), rd64(&t, 8 * i))
				TH_LOG("job %u ran before job %u", i, i - 1);
	}
	bo_del(_metadata, g, &a);
	bo_del(_metadata, g, &b);
	bo_del(_metadata, g, &t);
	bo_del(_metadata, g, &f);
}

/* A BO closed and unmapped while its job runs: the job still completes. */
TEST_F_TIMEOUT(guest, bo_closed_before_wait, T_LONG)
{
	struct vgpu_cmd c[DRM_VGPU_MAX_CMDS];
	struct gctx *g = &self->g;
	struct vgpu_result res;
	struct vgpu_bo src, dst;
	__u64 before, deadline;
	__u32 id, h[2];
	unsigned int n;

	if (!room_for(g, LONG_BYTES + g->page))
		SKIP(return, "window too small");
	before = dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES);
	bo_new(_metadata, g, LONG_BYTES, &src);
	bo_new(_metadata, g, g->page, &dst);
	rnd_fill(src.map, LONG_BYTES);
	h[0] = src.handle;
	h[1] = dst.handle;
	n = long_job(c, &src, &dst);
	ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, n, h, 2, &id));
	bo_del(_metadata, g, &src);
	bo_del(_metadata, g, &dst);
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, id, VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(0, res.status);
	EXPECT_EQ(0U, res.device_error);
	/* The job held the BOs; now they go back. */
	deadline = now_ns() + 10000000000ULL;
	while (dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES) != before &&
	       now_ns() < deadline)
		usleep(10000);
	EXPECT_EQ(before, dev_param(_metadata, g, DRM_VGPU_PARAM_BO_FREE_BYTES));
	probe_job(_metadata, g, "BOs closed under a job");
}

/* ---- files and processes ----------------------------------------------- */

TEST_F_TIMEOUT(guest, handle_of_other_file, T_SHORT)
{
	struct gctx *g = &self->g;
	struct vgpu_accel other, fresh;
	struct vgpu_bo obo[4], info;
	struct vgpu_cmd c;
	__u32 id, h;
	unsigned int i;

	ASSERT_EQ(0, vgpu_accel_open(&other, g->dev.path));
	ASSERT_EQ(0, vgpu_accel_open(&fresh, g->dev.path));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vgpu_bo_new(&other, g->page, &obo[i]));
	c = vgpu_cmd_fill(obo[0].device_addr, 64, 0x42);

	/* A file with no BOs knows no handle. */
	EXPECT_EQ(-ENOENT, vgpu_job_submit(&fresh, &c, 1, &obo[0].handle, 1,
					   &id));
	EXPECT_EQ(-ENOENT, vgpu_bo_info(&fresh, obo[0].handle, &info));

	/* Nor does the fixture's know the other file's (but its own). */
	h = 0;
	for (i = 0; i < 4; i++)
		if (obo[i].handle != g->probe.handle)
			h = obo[i].handle;
	ASSERT_NE(0U, h);
	c = vgpu_cmd_fill(obo[3].device_addr, 64, 0x42);
	refused1(_metadata, g, "another file's handle", ENOENT, c, &h, 1);
	EXPECT_EQ(-ENOENT, vgpu_bo_info(&g->dev, h, &info));
	/* Its own handle does not reach the other file's BO either. */
	refused1(_metadata, g, "another file's BO address", EINVAL, c,
		 &g->probe.handle, 1);
	EXPECT_EQ(0U, rd32(&obo[3], 0));

	for (i = 0; i < 4; i++)
		vgpu_bo_free(&other, &obo[i]);
	vgpu_accel_close(&fresh);
	vgpu_accel_close(&other);
}

/*
 * One process's share of fork_concurrent_submitters: @jobs jobs of COPY,
 * CRC32C and GEMM on fresh random data, four in flight, each checked.
 * Return: the number of failures.
 */
static int child_work(const char *path, __u64 seed, unsigned int jobs)
{
	enum { DEPTH = 4, M = 33, N = 29, K = 17 };
	const __u64 sz = 64 * KIB, half = 32 * KIB;
	const __u64 a_off = 0, b_off = 4096, c_off = 36 * KIB;
	struct vgpu_bo in[DEPTH], out[DEPTH];
	__u32 id[DEPTH], h[2];
	struct vgpu_accel dev;
	struct vgpu_result res;
	struct vgpu_cmd c[3];
	__s32 ref[M * N];
	unsigned int j, s, fails = 0;
	__u64 done = 0;

	rng_state = seed;
	if (vgpu_accel_open(&dev, path))
		return 100;
	for (s = 0; s < DEPTH; s++)
		if (vgpu_bo_new(&dev, sz, &in[s]) ||
		    vgpu_bo_new(&dev, sz, &out[s]))
			return 100;
	for (j = 0; j < jobs + DEPTH; j++) {
		s = j % DEPTH;
		if (j >= DEPTH) {
			/* Check job j - DEPTH, which used slot s. */
			if (vgpu_job_wait(&dev, id[s], VGPU_WAIT_FOREVER,
					  &res) || res.status) {
				fails++;
			} else {
				vgpu_ref_gemm_i8((__s8 *)in[s].map + a_off,
						 (__s8 *)in[s].map + b_off,
						 ref, M, N, K);
				if (memcmp(out[s].map, in[s].map, half) ||
				    rd32(&out[s], half) !=
				    vgpu_crc32c(in[s].map, sz) ||
				    memcmp((char *)out[s].map + c_off, ref,
					   sizeof(ref)))
					fails++;
				done++;
			}
		}
		if (j >= jobs)
			continue;
		rnd_fill(in[s].map, sz);
		memset(out[s].map, 0, sz);
		c[0] = vgpu_cmd_copy(in[s].device_addr, out[s].device_addr,
				     half, 0);
		c[1] = vgpu_cmd_crc(in[s].device_addr, sz,
				    out[s].device_addr + half);
		c[2] = vgpu_cmd_gemm(in[s].device_addr + a_off,
				     in[s].device_addr + b_off,
				    out[s].device_addr + c_off, M, N, K);
		h[0] = in[s].handle;
		h[1] = out[s].handle;
		if (vgpu_job_submit(&dev, c, 3, h, 2, &id[s]))
			return 100;
	}
	vgpu_accel_close(&dev);
	return done == jobs ? fails : fails + 1;
}

TEST_F_TIMEOUT(guest, fork_concurrent_submitters, T_LONG)
{
	enum { PROCS = 2, JOBS = 24 };
	struct gctx *g = &self->g;
	int go[2], status, i;
	pid_t pid[PROCS];
	char c;

	if (!room_for(g, PROCS * 8 * 64 * KIB))
		SKIP(return, "window too small");
	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < PROCS; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			close(go[1]);
			/* Start together: when the parent closes the pipe. */
			if (read(go[0], &c, 1) < 0)
				_exit(101);
			_exit(child_work(g->dev.path, 0x1234567ULL * (i + 1),
					 JOBS));
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < PROCS; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("process %d", i);
	}
	probe_job(_metadata, g, "two processes");
}

/* ---- device faults ----------------------------------------------------- */

TEST_F_TIMEOUT(guest, fault_injected, T_LONG)
{
	struct gctx *g = &self->g;
	const __u64 sz = 64 * KIB;
	__u64 rec, failed, done;
	struct vgpu_bo src, keep, cpu, victim;
	struct vgpu_result res;
	unsigned char *data, *cdata;
	struct vgpu_cmd c[2];
	__u32 h[2], id;

	if (!fault_injection(g))
		SKIP(return, "no inject_fault file in debugfs");
	if (!room_for(g, 4 * sz))
		SKIP(return, "window too small");
	bo_new(_metadata, g, sz, &src);
	bo_new(_metadata, g, sz, &keep);
	bo_new(_metadata, g, sz, &cpu);
	bo_new(_metadata, g, sz, &victim);
	data = malloc(sz);
	cdata = malloc(sz);
	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, cdata);

	/* Data the device wrote, and data the CPU wrote, before the fault. */
	rnd_fill(data, sz);
	rnd_fill(cdata, sz);
	memcpy(src.map, data, sz);
	memcpy(cpu.map, cdata, sz);
	h[0] = src.handle;
	h[1] = keep.handle;
	c[0] = vgpu_cmd_copy(src.device_addr, keep.device_addr, sz, 0);
	job_ok(_metadata, g, "COPY before the fault", c, 1, h, 2);

	rec = dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES);
	failed = dev_param(_metadata, g, DRM_VGPU_PARAM_JOBS_FAILED);
	done = dev_param(_metadata, g, DRM_VGPU_PARAM_JOBS_DONE);
	inject(_metadata, g, 1);
	c[0] = vgpu_cmd_fill(victim.device_addr, sz, 0xdeadbeef);
	c[1] = vgpu_cmd_fence(victim.device_addr, 1, false);
	ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, 2, &victim.handle, 1, &id));
	EXPECT_EQ(0, vgpu_accel_pending_faults(&g->dev));
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, id, VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(-EIO, res.status);
	EXPECT_EQ((__u32)VGPU_ERR_FLAGS, res.device_error);
	EXPECT_EQ(0U, res.error_cmd);
	/* It stopped at its first command: nothing of it ran. */
	EXPECT_EQ(sz, not_byte_at(victim.map, 0, sz));

	/* The engine reset kept the window. */
	EXPECT_EQ(sz, diff_at(keep.map, data, sz));
	EXPECT_EQ(sz, diff_at(src.map, data, sz));
	EXPECT_EQ(sz, diff_at(cpu.map, cdata, sz));
	EXPECT_EQ(rec + 1, dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES));
	EXPECT_LT(failed, dev_param(_metadata, g, DRM_VGPU_PARAM_JOBS_FAILED));

	/* The same job again succeeds. */
	job_ok(_metadata, g, "the job after the fault", c, 2, &victim.handle,
	       1);
	EXPECT_EQ(0xdeadbeef, rd32(&victim, sz - 4));
	EXPECT_EQ(1ULL, rd64(&victim, 0));
	EXPECT_LT(done, dev_param(_metadata, g, DRM_VGPU_PARAM_JOBS_DONE));
	EXPECT_EQ(rec + 1, dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES));
	free(data);
	free(cdata);
	bo_del(_metadata, g, &src);
	bo_del(_metadata, g, &keep);
	bo_del(_metadata, g, &cpu);
	bo_del(_metadata, g, &victim);
}

/* Faults in a row: each of the next N jobs fails, the one after does not. */
TEST_F_TIMEOUT(guest, fault_injected_several, T_LONG)
{
	struct gctx *g = &self->g;
	struct vgpu_cmd c = vgpu_cmd_fence(g->probe.device_addr, 8, false);
	struct vgpu_result res;
	__u64 rec;
	__u32 id[4];
	unsigned int i;

	if (!fault_injection(g))
		SKIP(return, "no inject_fault file in debugfs");
	rec = dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES);
	inject(_metadata, g, 3);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vgpu_job_submit(&g->dev, &c, 1, &g->probe.handle,
					     1, &id[i]));
	EXPECT_EQ(0, vgpu_accel_pending_faults(&g->dev));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, vgpu_job_wait(&g->dev, id[i], VGPU_WAIT_FOREVER,
					   &res));
		EXPECT_EQ(i < 3 ? -EIO : 0, res.status) TH_LOG("job %u", i);
		EXPECT_EQ(i < 3 ? (__u32)VGPU_ERR_FLAGS : 0U, res.device_error)
			TH_LOG("job %u", i);
	}
	EXPECT_EQ(8ULL, rd64(&g->probe, 0));
	EXPECT_EQ(rec + 3, dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES));
	probe_job(_metadata, g, "three faults");
}

/*
 * A fault while jobs are queued behind the faulting one: a long job keeps
 * the device busy while the faulting job and several others queue up; after
 * the engine reset the others run, and all of them are exact.
 */
TEST_F_TIMEOUT(guest, fault_queued_jobs_rerun, T_LONG)
{
	enum { BEHIND = 6 };
	const __u64 sz = 64 * KIB;
	struct vgpu_cmd c[DRM_VGPU_MAX_CMDS];
	struct vgpu_bo lsrc, ldst, victim, in[BEHIND], out[BEHIND];
	struct gctx *g = &self->g;
	__u32 lid, vid, id[BEHIND], h[2];
	struct vgpu_result res;
	unsigned int i, n;
	__u64 rec;
	int ret;

	if (!fault_injection(g))
		SKIP(return, "no inject_fault file in debugfs");
	if (!room_for(g, LONG_BYTES + 2 * g->page + 2 * BEHIND * sz))
		SKIP(return, "window too small");
	bo_new(_metadata, g, LONG_BYTES, &lsrc);
	bo_new(_metadata, g, g->page, &ldst);
	bo_new(_metadata, g, g->page, &victim);
	for (i = 0; i < BEHIND; i++) {
		bo_new(_metadata, g, sz, &in[i]);
		bo_new(_metadata, g, sz, &out[i]);
		rnd_fill(in[i].map, sz);
	}
	rnd_fill(lsrc.map, LONG_BYTES);
	rec = dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES);

	h[0] = lsrc.handle;
	h[1] = ldst.handle;
	n = long_job(c, &lsrc, &ldst);
	ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, n, h, 2, &lid));
	inject(_metadata, g, 1);
	c[0] = vgpu_cmd_fill(victim.device_addr, g->page, 0xbad0bad0);
	ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, 1, &victim.handle, 1, &vid));
	for (i = 0; i < BEHIND; i++) {
		c[0] = vgpu_cmd_copy(in[i].device_addr, out[i].device_addr,
				     sz / 2, 0);
		c[1] = vgpu_cmd_crc(in[i].device_addr, sz,
				    out[i].device_addr + sz / 2);
		c[2] = vgpu_cmd_fill(out[i].device_addr + sz / 2 + 4, 64,
				     0x600d0000 + i);
		h[0] = in[i].handle;
		h[1] = out[i].handle;
		ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, 3, h, 2, &id[i]));
	}
	/*
	 * Was the device still busy? Only then were the jobs queued. A poll
	 * that finds the job finished also reaps it.
	 */
	ret = vgpu_job_wait(&g->dev, lid, 0, &res);
	if (ret != -ETIMEDOUT)
		TH_LOG("note: the long job ended before the others were queued");
	else
		ret = vgpu_job_wait(&g->dev, lid, VGPU_WAIT_FOREVER, &res);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, res.status);
	check_long_job(_metadata, &lsrc, &ldst);
	ASSERT_EQ(0, vgpu_job_wait(&g->dev, vid, VGPU_WAIT_FOREVER, &res));
	EXPECT_EQ(-EIO, res.status);
	EXPECT_EQ((__u32)VGPU_ERR_FLAGS, res.device_error);
	EXPECT_EQ(0U, res.error_cmd);
	EXPECT_EQ(g->page, not_byte_at(victim.map, 0, g->page));
	for (i = 0; i < BEHIND; i++) {
		ASSERT_EQ(0, vgpu_job_wait(&g->dev, id[i], VGPU_WAIT_FOREVER,
					   &res));
		EXPECT_EQ(0, res.status) TH_LOG("job %u behind the fault", i);
		EXPECT_EQ(0, memcmp(out[i].map, in[i].map, sz / 2))
			TH_LOG("job %u", i);
		EXPECT_EQ(vgpu_crc32c(in[i].map, sz),
			  rd32(&out[i], sz / 2)) TH_LOG("job %u", i);
		EXPECT_EQ(0x600d0000 + i, rd32(&out[i], sz / 2 + 64))
			TH_LOG("job %u", i);
	}
	EXPECT_EQ(rec + 1, dev_param(_metadata, g, DRM_VGPU_PARAM_RECOVERIES));
	bo_del(_metadata, g, &lsrc);
	bo_del(_metadata, g, &ldst);
	bo_del(_metadata, g, &victim);
	for (i = 0; i < BEHIND; i++) {
		bo_del(_metadata, g, &in[i]);
		bo_del(_metadata, g, &out[i]);
	}
}

/* Writes @pci to the vgpu_guest driver's bind or unbind file. */
static int driver_attr(const char *attr, const char *pci)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s",
		 VGPU_ACCEL_DRIVER, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, pci, strlen(pci));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * Unbinding the driver while jobs run and the file is open: the jobs are
 * cancelled, the open file gets ENODEV from every ioctl, nothing is left
 * behind when it is closed, and binding again brings a working device.
 * Defined last, so it runs after every other case.
 */
TEST_F_TIMEOUT(guest, unbind_with_jobs_in_flight, T_LONG)
{
	struct vgpu_cmd c[DRM_VGPU_MAX_CMDS];
	struct gctx *g = &self->g;
	struct vgpu_bo src, dst, bo;
	struct vgpu_result res;
	__u32 id[4], h[2];
	char pci[64];
	unsigned int i, n;
	int ret = -ENODEV;

	if (!room_for(g, LONG_BYTES + g->page))
		SKIP(return, "window too small");
	snprintf(pci, sizeof(pci), "%s", g->dev.pci_name);
	bo_new(_metadata, g, LONG_BYTES, &src);
	bo_new(_metadata, g, g->page, &dst);
	rnd_fill(src.map, LONG_BYTES);
	h[0] = src.handle;
	h[1] = dst.handle;
	n = long_job(c, &src, &dst);
	for (i = 0; i < ARRAY_SIZE(id); i++)
		ASSERT_EQ(0, vgpu_job_submit(&g->dev, c, n, h, 2, &id[i]));

	ret = driver_attr("unbind", pci);
	if (ret == -EACCES || ret == -EPERM || ret == -ENOENT)
		SKIP(return, "cannot unbind %s: %s", pci, strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("unbind %s: %s", pci, strerror(-ret));
	for (i = 0; i < ARRAY_SIZE(id); i++)
		EXPECT_EQ(-ENODEV, vgpu_job_wait(&g->dev, id[i], 0, &res));
	EXPECT_EQ(-ENODEV, vgpu_bo_create(&g->dev, g->page, &bo));
	/* The mappings are gone from the process; only unmap them. */
	vgpu_bo_free(&g->dev, &src);
	vgpu_bo_free(&g->dev, &dst);
	vgpu_bo_free(&g->dev, &g->probe);
	vgpu_accel_close(&g->dev);

	ASSERT_EQ(0, driver_attr("bind", pci));
	for (i = 0; i < 100; i++) {
		ret = vgpu_accel_open(&g->dev, NULL);
		if (!ret)
			break;
		usleep(100000);
	}
	ASSERT_EQ(0, ret) TH_LOG("no device after binding %s again", pci);
	EXPECT_STREQ(pci, g->dev.pci_name);
	bo_new(_metadata, g, g->page, &bo);
	EXPECT_EQ(g->page, not_byte_at(bo.map, 0, g->page));
	c[0] = vgpu_cmd_fill(bo.device_addr, g->page, 0x5a5a5a5a);
	ASSERT_EQ(0, vgpu_job_run(&g->dev, c, 1, &bo.handle, 1, &res));
	EXPECT_EQ(0, res.status);
	EXPECT_EQ(g->page, not_byte_at(bo.map, 0x5a, g->page));
	bo_del(_metadata, g, &bo);
}

TEST_HARNESS_MAIN
