// SPDX-License-Identifier: GPL-2.0-only
/*
 * Walk every failure path of vgpu's module load, vGPU create and open with
 * the kernel's fail-nth fault injection: for N = 1, 2, ... the N-th failable
 * call of the operation fails; the operation must then either fail with an
 * errno and change nothing, or succeed. The failable calls are vgpu's own
 * injection points (vgpu_fault.c: every allocation and fallible call of the
 * driver). failslab and fail_page_alloc are told (require-end = 1) not to
 * take part, so failures land in vgpu's error paths rather than in the 9p
 * transport or the vfio core's (whose 6.12 error path in vfio_create_group()
 * WARNs when it fails). Needs CONFIG_FAULT_INJECTION (the
 * debug kernel); skips elsewhere. kmemleak, KASAN and lockdep watch the
 * console meanwhile.
 */
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vfio_group.h"

#define MAX_NTH 4000
/* A small device, so that failing each page of a window stays quick. */
#define SMALL "mem_size_mb=16 num_engines=2 profiles=tiny:1M:1:4"

static int fail_nth_fd(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

/* Arm the N-th failable call of this task to fail. */
static void fail_nth_arm(int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(fd, buf, len, 0) != len)
		abort();
}

/* Disarm; true if the armed fault was injected. */
static bool fail_nth_disarm(int fd)
{
	char buf[16] = "";
	bool injected;

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	injected = atoi(buf) == 0;
	if (pwrite(fd, "0", 1, 0) != 1)
		abort();
	return injected;
}

FIXTURE(fi) {
	int nth;
};

static const char *const core_attrs[] = {
	"/sys/kernel/debug/failslab/require-end",
	"/sys/kernel/debug/fail_page_alloc/require-end",
};

/* Keep the core allocators out of fail-nth (or let them back in). */
static void core_faults(bool on)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(core_attrs); i++)
		sysfs_write(core_attrs[i], on ? "18446744073709551615" : "1");
}

FIXTURE_SETUP(fi)
{
	self->nth = fail_nth_fd();
	if (self->nth < 0)
		SKIP(return, "no fail-nth: kernel without fault injection");
	core_faults(false);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

FIXTURE_TEARDOWN(fi)
{
	if (self->nth >= 0) {
		close(self->nth);
		core_faults(true);
	}
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

TEST_F_TIMEOUT(fi, module_load, 600)
{
	int n, ret, failed = 0;

	for (n = 1; n < MAX_NTH; n++) {
		fail_nth_arm(self->nth, n);
		ret = vgpu_load(SMALL);
		if (!fail_nth_disarm(self->nth)) {
			ASSERT_EQ(0, ret);
			break;
		}
		if (ret) {
			failed++;
			ASSERT_FALSE(vgpu_loaded()) TH_LOG("n=%d", n);
			ASSERT_FALSE(path_exists("/sys/class/vgpu/vgpu0"));
		} else {
			ASSERT_EQ(0, vgpu_unload());
		}
	}
	ASSERT_LT(n, MAX_NTH);
	TH_LOG("module load: %d allocation points, %d failed cleanly", n - 1,
	       failed);
	ASSERT_EQ(0, vgpu_unload());
}

TEST_F_TIMEOUT(fi, create_and_open, 600)
{
	long long mem = 0;
	int n, ret, failed = 0;
	struct vfio_handle h;
	char uuid[40];

	ASSERT_EQ(0, vgpu_load(SMALL));
	mem = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	for (n = 1; n < MAX_NTH; n++) {
		uuid_gen(uuid);
		fail_nth_arm(self->nth, n);
		ret = vgpu_create("tiny", uuid);
		if (!fail_nth_disarm(self->nth)) {
			ASSERT_EQ(0, ret);
			break;
		}
		if (ret) {
			failed++;
			ASSERT_FALSE(path_exists(MDEV_DEVICES "/%s", uuid));
			ASSERT_EQ(mem, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
			ASSERT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
		} else {
			ASSERT_EQ(0, vgpu_remove(uuid));
		}
	}
	ASSERT_LT(n, MAX_NTH);
	TH_LOG("create: %d allocation points, %d failed cleanly", n - 1,
	       failed);

	/* Opening through VFIO, with the vGPU made above. */
	for (n = 1; n < MAX_NTH; n++) {
		fail_nth_arm(self->nth, n);
		ret = vfio_open(uuid, &h);
		if (!fail_nth_disarm(self->nth)) {
			ASSERT_EQ(0, ret);
			vfio_close(&h);
			break;
		}
		if (!ret)
			vfio_close(&h);
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_EQ(0, vgpu_remove(uuid));
	ASSERT_EQ(mem, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
}

TEST_HARNESS_MAIN
