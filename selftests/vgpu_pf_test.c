// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PF driver in a VM whose QEMU has the SR-IOV device model
 * (scripts/vm-run.sh --vgpu-pf): capabilities, sriov_numvfs, per-VF
 * profiles and exact accounting, refusals while a VF is bound, VFs that
 * compute through vfio-pci, scheduling shares among busy VFs (weights, and a
 * guarantee beside a capped VF), FLR scrubbing
 * the window, a faulting VF beside a working one, and unbinding the PF with
 * VFs enabled. Skips when the VM has no vgpu PF.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_test_mig.h"

/*
 * The model's defaults: 512 MiB, 8 engines, 4 VFs, 128 MiB VF BAR2.
 * "ded": 2 dedicated engines; "ts": 1 engine time-sliced by up to 4 (a
 * vGPU runs one command at a time, so weights show only where busy vGPUs
 * outnumber engines).
 */
#define PF_PARAMS "num_devices=0 profiles=ded:128M:2:1,ts:32M:1:4"
#define PCI_DEVS "/sys/bus/pci/devices"
#define MAXVF 4

#define RING_OFF 0
#define A_OFF 0x100000
#define B_OFF 0x200000
#define C_OFF 0x300000
#define GM 64
#define GN 64
#define GK 4096
#define MEASURE_MS 1500

FIXTURE(pf) {
	char pf[32];		/* PCI address of the PF */
	char parent[16];	/* vgpuN */
	char vf[MAXVF + 1][32];	/* PCI address of VF n */
	struct vgpu_dev *d[MAXVF + 1];
	int mig_fd;		/* a data transfer file, 0 if none */
};

static char pbuf[PATH_MAX];

/* A file of the PF's parent device, /sys/class/vgpu/vgpuN/@name. */
static const char *ppath(struct _test_data_pf *self, const char *name)
{
	snprintf(pbuf, sizeof(pbuf), "/sys/class/vgpu/%s/%s", self->parent,
		 name);
	return pbuf;
}

/* A file of VF @n's node, /sys/class/vgpu/vgpuN/vfK/@name. */
static const char *vpath(struct _test_data_pf *self, int n, const char *name)
{
	snprintf(pbuf, sizeof(pbuf), "/sys/class/vgpu/%s/vf%d/%s",
		 self->parent, n, name);
	return pbuf;
}

static long long vnum(struct _test_data_pf *self, int n, const char *name)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "vgpu/%s", name);
	return sysfs_num("%s", vpath(self, n, rel));
}

static int pf_write(struct _test_data_pf *self, const char *name,
		    const char *val)
{
	snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/%s", self->pf, name);
	return sysfs_write(pbuf, val);
}

static int set_profile(struct _test_data_pf *self, int n, const char *p)
{
	return sysfs_write(vpath(self, n, "profile"), p);
}

static bool find_pf(char *out, size_t len)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(PCI_DEVS);

	while (d && !found && (de = readdir(d))) {
		char v[16], p[16];

		if (de->d_name[0] == '.')
			continue;
		snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/vendor", de->d_name);
		if (sysfs_read(pbuf, v, sizeof(v)))
			continue;
		snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/device", de->d_name);
		if (sysfs_read(pbuf, p, sizeof(p)))
			continue;
		if (strtol(v, NULL, 0) == VGPU_PCI_VENDOR_ID &&
		    strtol(p, NULL, 0) == VGPU_PCI_PF_DEVICE_ID) {
			snprintf(out, len, "%s", de->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* The vgpuN the PF driver made of the PF; "" if none. */
static void find_parent(struct _test_data_pf *self)
{
	struct dirent *de;
	DIR *d;

	self->parent[0] = '\0';
	snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/vgpu", self->pf);
	d = opendir(pbuf);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "vgpu", 4))
			snprintf(self->parent, sizeof(self->parent), "%s",
				 de->d_name);
	if (d)
		closedir(d);
}

/* Enable @n VFs and note their PCI addresses; 0 or -errno. */
static int enable_vfs(struct _test_data_pf *self, int n)
{
	char num[8], link[PATH_MAX], target[PATH_MAX];
	int i, ret;

	snprintf(num, sizeof(num), "%d", n);
	ret = pf_write(self, "sriov_numvfs", num);
	if (ret)
		return ret;
	for (i = 1; i <= n; i++) {
		ssize_t len;

		snprintf(link, sizeof(link), PCI_DEVS "/%s/virtfn%d", self->pf,
			 i - 1);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			return -errno;
		target[len] = '\0';
		snprintf(self->vf[i], sizeof(self->vf[i]), "%s",
			 basename(target));
	}
	return 0;
}

static int bind_driver(const char *addr, const char *driver)
{
	int ret;

	snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/driver_override", addr);
	ret = sysfs_write(pbuf, driver);
	return ret ?: sysfs_write("/sys/bus/pci/drivers_probe", addr);
}

static void unbind_vf(const char *addr)
{
	snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/driver/unbind", addr);
	if (path_exists("%s", pbuf))
		sysfs_write(pbuf, addr);
	snprintf(pbuf, sizeof(pbuf), PCI_DEVS "/%s/driver_override", addr);
	sysfs_write(pbuf, "\n");
}

/*
 * Give VF @n profile @p, bind it to @driver (vfio-pci or its variant) and
 * open it; 0 or -errno.
 */
static int open_vf_with(struct _test_data_pf *self, int n, const char *p,
			const char *driver)
{
	int ret;

	ret = set_profile(self, n, p);
	if (ret)
		return ret;
	ret = bind_driver(self->vf[n], driver);
	if (ret)
		return ret;
	ret = vgpu_dev_open(self->vf[n], &self->d[n]);
	if (ret) {
		fprintf(stderr, "# vgpu_dev_open(%s): %s\n", self->vf[n],
			strerror(-ret));
		self->d[n] = NULL;
		return ret;
	}
	return vgpu_ring_init(self->d[n], RING_OFF, 256);
}

static int open_vf(struct _test_data_pf *self, int n, const char *p)
{
	return open_vf_with(self, n, p, "vfio-pci");
}

static void close_vf(struct _test_data_pf *self, int n)
{
	if (self->d[n])
		vgpu_dev_close(self->d[n]);
	self->d[n] = NULL;
	unbind_vf(self->vf[n]);
}

FIXTURE_SETUP(pf)
{
	memset(self, 0, sizeof(*self));
	if (!find_pf(self->pf, sizeof(self->pf)))
		SKIP(return, "no vgpu PF in this VM (vm-run.sh --vgpu-pf)");
	ASSERT_EQ(0, system("modprobe vfio-pci"));
	ASSERT_EQ(0, vgpu_load(PF_PARAMS));
	find_parent(self);
	ASSERT_NE(0, self->parent[0]);
}

FIXTURE_TEARDOWN(pf)
{
	int n;

	if (!self->pf[0])
		return;
	/* The file pins vgpu.ko: a test that failed may have left it. */
	if (self->mig_fd > 0)
		close(self->mig_fd);
	for (n = 1; n <= MAXVF; n++)
		if (self->vf[n][0])
			close_vf(self, n);
	EXPECT_EQ(0, pf_write(self, "sriov_numvfs", "0"));
	if (path_exists("/sys/module/vgpu_vfio_pci"))
		EXPECT_EQ(0, syscall(SYS_delete_module, "vgpu_vfio_pci",
				     O_NONBLOCK));
	EXPECT_EQ(0, vgpu_unload());
}

TEST_F(pf, capabilities)
{
	char buf[64];

	ASSERT_EQ(0, sysfs_read(ppath(self, "backend"), buf, sizeof(buf)));
	EXPECT_STREQ("pf", buf);
	EXPECT_EQ(512LL << 20, sysfs_num("%s", ppath(self, "mem_total_bytes")));
	EXPECT_EQ(8, sysfs_num("%s", ppath(self, "engines_total")));
	EXPECT_EQ(MAXVF, sysfs_num(PCI_DEVS "/%s/sriov_totalvfs", self->pf));
	EXPECT_EQ(0, sysfs_num(PCI_DEVS "/%s/sriov_numvfs", self->pf));
	/* A sim parent is not there: num_devices=0. */
	EXPECT_FALSE(path_exists("/sys/class/vgpu/%s/mdev_supported_types",
				 self->parent));
}

TEST_F(pf, numvfs_errors)
{
	EXPECT_NE(0, pf_write(self, "sriov_numvfs", "5"));
	EXPECT_EQ(0, sysfs_num(PCI_DEVS "/%s/sriov_numvfs", self->pf));
	ASSERT_EQ(0, enable_vfs(self, 2));
	EXPECT_TRUE(path_exists("%s", vpath(self, 2, "profile")));
	EXPECT_FALSE(path_exists("%s", vpath(self, 3, "profile")));
	EXPECT_EQ(-EBUSY, pf_write(self, "sriov_numvfs", "3"));
	EXPECT_EQ(0, pf_write(self, "sriov_numvfs", "0"));
	EXPECT_FALSE(path_exists("%s", vpath(self, 1, "profile")));
	ASSERT_EQ(0, enable_vfs(self, 4));
	EXPECT_TRUE(path_exists("%s", vpath(self, 4, "pci_function")));
}

TEST_F(pf, profiles_and_exact_accounting)
{
	char buf[256];
	int kmsg = kmsg_open();
	int n;

	ASSERT_EQ(0, enable_vfs(self, 4));
	ASSERT_EQ(0, sysfs_read(vpath(self, 1, "profile"), buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	EXPECT_EQ(-EINVAL, set_profile(self, 1, "bogus"));
	EXPECT_TRUE(kmsg_find(kmsg, "no profile named \"bogus\""));
	ASSERT_EQ(0, sysfs_read(vpath(self, 1, "creatable_profiles"), buf,
				sizeof(buf)));
	EXPECT_STREQ("ded\nts", buf);
	/* Four dedicated VFs take all 8 engines and 512 MiB. */
	for (n = 1; n <= 4; n++) {
		ASSERT_EQ(0, set_profile(self, n, "ded"));
		EXPECT_EQ(128LL << 20, vnum(self, n, "mem_size_bytes"));
	}
	EXPECT_EQ(0, sysfs_num("%s", ppath(self, "mem_free_bytes")));
	EXPECT_EQ(0, sysfs_num("%s", ppath(self, "engines_free")));
	ASSERT_EQ(0, sysfs_read(vpath(self, 1, "creatable_profiles"), buf,
				sizeof(buf)));
	EXPECT_STREQ("", buf);
	/* Changing a profile frees the old one first. */
	ASSERT_EQ(0, set_profile(self, 4, "ts"));
	EXPECT_EQ(32LL << 20, vnum(self, 4, "mem_size_bytes"));
	EXPECT_EQ(96LL << 20, sysfs_num("%s", ppath(self, "mem_free_bytes")));
	/* ts seats left in VF 4's partition, one engine free: no ded. */
	ASSERT_EQ(0, sysfs_read(vpath(self, 3, "creatable_profiles"), buf,
				sizeof(buf)));
	EXPECT_STREQ("ts", buf);
	ASSERT_EQ(0, set_profile(self, 3, "none"));
	EXPECT_FALSE(path_exists("%s", vpath(self, 3, "vgpu/mem_size_bytes")));
	ASSERT_EQ(0, set_profile(self, 3, "ts"));
	ASSERT_EQ(0, set_profile(self, 2, "ts"));
	EXPECT_EQ(vnum(self, 4, "partition"), vnum(self, 2, "partition"));
	EXPECT_EQ(3, vnum(self, 4, "partition_users"));
	close(kmsg);
}

TEST_F(pf, refusals_while_bound)
{
	char buf[64];
	int kmsg = kmsg_open();

	ASSERT_EQ(0, enable_vfs(self, 2));
	ASSERT_EQ(0, set_profile(self, 1, "ded"));
	ASSERT_EQ(0, bind_driver(self->vf[1], "vfio-pci"));
	EXPECT_EQ(-EBUSY, set_profile(self, 1, "ts"));
	EXPECT_TRUE(kmsg_find(kmsg, "it is bound to vfio-pci; unbind it first"));
	EXPECT_EQ(-EBUSY, pf_write(self, "sriov_numvfs", "0"));
	EXPECT_TRUE(kmsg_find(kmsg, "cannot disable VFs"));
	EXPECT_EQ(2, sysfs_num(PCI_DEVS "/%s/sriov_numvfs", self->pf));
	ASSERT_EQ(0, sysfs_read(vpath(self, 1, "profile"), buf, sizeof(buf)));
	EXPECT_STREQ("ded", buf);
	unbind_vf(self->vf[1]);
	EXPECT_EQ(0, pf_write(self, "sriov_numvfs", "0"));
	close(kmsg);
}

/* FILL, CRC32C and COPY out to guest memory on VF @n: exact results. */
static void compute_exact(struct __test_metadata *_metadata,
			  struct vgpu_dev *d, __u32 seed)
{
	size_t len = 1 << 20;
	__u32 *out = vgpu_dma_alloc(len);
	struct vgpu_cmd c[3];
	size_t i;

	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, vgpu_dma_map(d, out, len, VGPU_IOVA_BASE));
	c[0] = vgpu_cmd_fill(A_OFF, len, seed);
	c[1] = vgpu_cmd_copy(A_OFF, VGPU_IOVA_BASE, len, VGPU_CMD_DST_SYS);
	c[2] = vgpu_cmd_fence(C_OFF, seed, 0);
	ASSERT_EQ(0, vgpu_submit(d, c, 3));
	ASSERT_EQ(0, vgpu_wait_fence(d, seed, 30000));
	for (i = 0; i < len / 4; i++)
		if (out[i] != seed)
			break;
	EXPECT_EQ(len / 4, i);
	vgpu_dma_unmap(d, VGPU_IOVA_BASE, len);
	vgpu_dma_free(out, len);
}

TEST_F_TIMEOUT(pf, vf_computes_through_vfio_pci, 120)
{
	long long cmds;

	ASSERT_EQ(0, enable_vfs(self, 2));
	ASSERT_EQ(0, open_vf(self, 1, "ded"));
	EXPECT_EQ(128ULL << 20, self->d[1]->window_size);
	compute_exact(_metadata, self->d[1], 0x5a5a1234);
	cmds = vnum(self, 1, "commands");
	EXPECT_GE(cmds, 3);
	EXPECT_GT(vnum(self, 1, "busy_ns"), 0);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int make_busy(struct vgpu_dev *d, int n)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(A_OFF, B_OFF, C_OFF, GM, GN, GK);
	int i;

	memset((char *)d->window + A_OFF, 1, GM * GK);
	memset((char *)d->window + B_OFF, 1, GK * GN);
	for (i = 0; i < n; i++)
		if (vgpu_ring_put(d, &c, 1))
			return -1;
	return vgpu_ring_doorbell(d);
}

TEST_F_TIMEOUT(pf, busy_vfs_share_by_weight, 180)
{
	long long b0[3], b1[3];
	double s1, s2;
	int n;

	ASSERT_EQ(0, enable_vfs(self, 2));
	for (n = 1; n <= 2; n++)
		ASSERT_EQ(0, open_vf(self, n, "ts"));
	ASSERT_EQ(0, sysfs_write(vpath(self, 1, "vgpu/weight"), "10"));
	ASSERT_EQ(0, sysfs_write(vpath(self, 2, "vgpu/weight"), "30"));
	for (n = 1; n <= 2; n++)
		ASSERT_EQ(0, make_busy(self->d[n], 200));
	usleep(200 * 1000);
	for (n = 1; n <= 2; n++)
		b0[n] = vnum(self, n, "busy_ns");
	usleep(MEASURE_MS * 1000);
	for (n = 1; n <= 2; n++)
		b1[n] = vnum(self, n, "busy_ns");
	s1 = b1[1] - b0[1];
	s2 = b1[2] - b0[2];
	TH_LOG("weights 10:30 on one engine -> shares %.3f:%.3f", s1 / (s1 + s2),
	       s2 / (s1 + s2));
	EXPECT_LE(fabs(s1 / (s1 + s2) - 0.25), 0.06);
	/* Both run: neither is starved, both are preempted with work left. */
	EXPECT_GT(vnum(self, 1, "preemptions"), 0);
	EXPECT_GT(vnum(self, 2, "preemptions"), 0);
}

/*
 * Quality of service on VFs as on mdev vGPUs: VF 1 guaranteed 50 %, VF 2
 * weight 30 capped at 25 % (its weighted part, 30/40 of the other half,
 * would be 37.5 %). Caps and guarantees are shares of elapsed time; the
 * model's world switches take 10-20 % of it uncharged (more on a loaded
 * host), which comes out of what the weights share: VF 1 gets at least its
 * guarantee, VF 2 at most its cap.
 */
TEST_F_TIMEOUT(pf, busy_vfs_cap_and_guarantee, 180)
{
	long long b0[3], b1[3];
	double s1, s2, t;
	int n;

	ASSERT_EQ(0, enable_vfs(self, 2));
	for (n = 1; n <= 2; n++)
		ASSERT_EQ(0, open_vf(self, n, "ts"));
	ASSERT_EQ(0, sysfs_write(vpath(self, 1, "vgpu/guarantee_permille"),
				 "500"));
	/* Admission holds per partition on VFs too. */
	EXPECT_EQ(-ENOSPC, sysfs_write(vpath(self, 2,
					     "vgpu/guarantee_permille"),
				       "501"));
	EXPECT_EQ(0, vnum(self, 2, "guarantee_permille"));
	ASSERT_EQ(0, sysfs_write(vpath(self, 2, "vgpu/weight"), "30"));
	ASSERT_EQ(0, sysfs_write(vpath(self, 2, "vgpu/cap_permille"), "250"));
	for (n = 1; n <= 2; n++)
		ASSERT_EQ(0, make_busy(self->d[n], 200));
	usleep(200 * 1000);
	t = -now_ms();
	for (n = 1; n <= 2; n++)
		b0[n] = vnum(self, n, "busy_ns");
	usleep(MEASURE_MS * 1000);
	for (n = 1; n <= 2; n++)
		b1[n] = vnum(self, n, "busy_ns");
	t += now_ms();
	s1 = (b1[1] - b0[1]) / 1e6 / t;
	s2 = (b1[2] - b0[2]) / 1e6 / t;
	TH_LOG("guarantee 500, cap 250: %.3f:%.3f of the engine (charged %.3f)",
	       s1, s2, s1 + s2);
	EXPECT_GE(s1, 0.49);
	EXPECT_LE(s2, 0.26);
	EXPECT_GT(s2, 0.1);
}

TEST_F_TIMEOUT(pf, flr_scrubs_the_window, 120)
{
	__u32 *w;
	long long resets;

	ASSERT_EQ(0, enable_vfs(self, 1));
	ASSERT_EQ(0, open_vf(self, 1, "ts"));
	w = self->d[1]->window;
	/* BAR2 mapped; vgpu_reset() is a call the compiler cannot see into. */
	w[0] = 0xdeadbeef;
	w[(32 << 20) / 4 - 1] = 0xfeedface;
	EXPECT_EQ(0xdeadbeef, w[0]);
	resets = vnum(self, 1, "resets");
	ASSERT_EQ(0, vgpu_reset(self->d[1]));
	EXPECT_EQ(0, w[0]);
	EXPECT_EQ(0, w[(32 << 20) / 4 - 1]);
	EXPECT_EQ(resets + 1, vnum(self, 1, "resets"));
	/* It computes again after the reset. */
	ASSERT_EQ(0, vgpu_ring_init(self->d[1], RING_OFF, 256));
	compute_exact(_metadata, self->d[1], 7);
}

TEST_F_TIMEOUT(pf, faulting_vf_leaves_neighbour_exact, 120)
{
	struct vgpu_cmd bad = vgpu_cmd_nop();

	ASSERT_EQ(0, enable_vfs(self, 2));
	ASSERT_EQ(0, open_vf(self, 1, "ts"));
	ASSERT_EQ(0, open_vf(self, 2, "ts"));
	bad.opcode = 0x77;
	ASSERT_EQ(0, vgpu_submit(self->d[1], &bad, 1));
	compute_exact(_metadata, self->d[2], 0x01020304);
	usleep(100 * 1000);
	EXPECT_EQ(VGPU_ERR_OPCODE, vgpu_read32(self->d[1], VGPU_REG_ERR_CODE));
	EXPECT_EQ(1, vnum(self, 1, "errors"));
	EXPECT_EQ(0, vnum(self, 2, "errors"));
	/* A reset brings the faulted VF back. */
	ASSERT_EQ(0, vgpu_reset(self->d[1]));
	ASSERT_EQ(0, vgpu_ring_init(self->d[1], RING_OFF, 256));
	compute_exact(_metadata, self->d[1], 0x0a0b0c0d);
}

TEST_F_TIMEOUT(pf, unbind_pf_with_vfs_enabled, 120)
{
	char drv[PATH_MAX];

	ASSERT_EQ(0, enable_vfs(self, 3));
	ASSERT_EQ(0, set_profile(self, 1, "ded"));
	ASSERT_EQ(0, set_profile(self, 2, "ts"));
	snprintf(drv, sizeof(drv), PCI_DEVS "/%s/driver/unbind", self->pf);
	ASSERT_EQ(0, sysfs_write(drv, self->pf));
	EXPECT_FALSE(path_exists("/sys/class/vgpu/%s", self->parent));
	EXPECT_FALSE(path_exists(PCI_DEVS "/%s/virtfn0", self->pf));
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers/vgpu_pf/bind",
				 self->pf));
	find_parent(self);
	ASSERT_NE(0, self->parent[0]);
	EXPECT_EQ(0, sysfs_num(PCI_DEVS "/%s/sriov_numvfs", self->pf));
	memset(self->vf, 0, sizeof(self->vf));
}

/*
 * Migration of VFs bound to vgpu-vfio-pci: GEMMs of MK-deep int8 inputs,
 * so that a queue of MGEMM of them is still running when it is stopped.
 */
#define VARIANT "vgpu-vfio-pci"
#define MK 16384
#define MGEMM 12
#define MC_STRIDE 0x4000
#define MFENCE_OFF 0x1f00000

static struct vgpu_gemm_batch mwork = {
	.m = GM, .n = GN, .k = MK, .count = MGEMM, .seed = 777,
	.a_off = A_OFF, .b_off = B_OFF, .c_off = C_OFF, .c_stride = MC_STRIDE,
	.fence_off = MFENCE_OFF,
};

/* VFs 1..@n with profile @p bound to the variant driver; SKIP if none. */
static int open_migratable(struct _test_data_pf *self, int n, const char *p)
{
	int ret, i;

	if (vgpu_gemm_batch_init(&mwork))
		return -ENOMEM;
	ret = vgpu_load_ko("vgpu-vfio-pci.ko", "");
	/*
	 * It may be missing only where the kernel has no vfio-pci-core to
	 * build it against (the caller skips); elsewhere that is a failure.
	 */
	if (ret == -ENOENT && !system("modprobe -q vfio-pci-core"))
		return -ENOEXEC;
	if (ret && ret != -EEXIST)
		return ret;
	ret = enable_vfs(self, n);
	for (i = 1; !ret && i <= n; i++)
		ret = open_vf_with(self, i, p, VARIANT);
	return ret;
}

static __u32 migration_flags(struct vgpu_dev *d)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_migration m;
	} a;

	memset(&a, 0, sizeof(a));
	a.f.argsz = sizeof(a);
	a.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION;
	return ioctl(d->vfio.device, VFIO_DEVICE_FEATURE, &a) ? 0 : a.m.flags;
}

/* Save VF @n, stopped, with STOP_COPY; the stream's length or -errno. */
static long long save_vf(struct _test_data_pf *self, int n,
			 struct vgpu_mig_stream *s)
{
	long long len;
	int dfd;

	if (vgpu_mig_set(self->d[n], VFIO_DEVICE_STATE_STOP, NULL) ||
	    vgpu_mig_set(self->d[n], VFIO_DEVICE_STATE_STOP_COPY, &dfd))
		return -EIO;
	len = vgpu_mig_read(dfd, s);
	close(dfd);
	if (len > 0 && vgpu_mig_set(self->d[n], VFIO_DEVICE_STATE_STOP, NULL))
		return -EIO;
	return len;
}

/* Feed @s to VF @n in RESUMING, in odd pieces; 0 or -errno. */
static int load_vf(struct _test_data_pf *self, int n,
		   const struct vgpu_mig_stream *s)
{
	int rfd, ret;

	ret = vgpu_mig_set(self->d[n], VFIO_DEVICE_STATE_RESUMING, &rfd);
	if (ret)
		return ret;
	ret = vgpu_mig_write(rfd, s->p, s->len, 3 * 4096 + 17);
	close(rfd);
	return ret;
}

/* VF 2 took over VF 1's GEMMs: it completes them, each exactly once. */
static void target_completes(struct __test_metadata *_metadata,
			     struct _test_data_pf *self, long long src_cmds)
{
	long long dst_cmds;

	vgpu_adopt_ring(self->d[2], self->d[1]);
	ASSERT_EQ(0, vgpu_wait_fence(self->d[2], MGEMM, 120000));
	EXPECT_EQ(0, vgpu_gemm_batch_wrong(self->d[2], &mwork));
	dst_cmds = vnum(self, 2, "commands");
	EXPECT_EQ(2 * MGEMM, src_cmds + dst_cmds)
		TH_LOG("source %lld + target %lld", src_cmds, dst_cmds);
	EXPECT_EQ(2 * MGEMM, vgpu_read64(self->d[2], VGPU_REG_COMPLETED));
}

TEST_F_TIMEOUT(pf, vf_migration_through_the_pf_is_exact, 300)
{
	struct vgpu_mig_stream s = { 0 };
	long long len, src_cmds;
	struct timespec t0, t1;
	char state[32];
	int kmsg, i, ret;

	ret = open_migratable(self, 2, "ts");
	if (ret == -ENOENT)
		SKIP(return, "no vgpu-vfio-pci.ko next to vgpu.ko");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		  VFIO_MIGRATION_PRE_COPY, migration_flags(self->d[1]));
	/* Registers trapped (no sub-page mappings), the window mapped. */
	EXPECT_FALSE(self->d[1]->region[VFIO_PCI_BAR0_REGION_INDEX].flags &
		     VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_TRUE(self->d[1]->region[VFIO_PCI_BAR2_REGION_INDEX].flags &
		    VFIO_REGION_INFO_FLAG_MMAP);
	kmsg = kmsg_open();
	ASSERT_EQ(0, vgpu_gemm_batch_queue(self->d[1], &mwork));
	for (i = 0; i < 5000 && vnum(self, 1, "busy_ns") < 20000000; i++)
		usleep(1000);
	ASSERT_LE(20000000, vnum(self, 1, "busy_ns"));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	len = save_vf(self, 1, &s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_LT((long long)self->d[1]->window_size, len)
		TH_LOG("save: %s", strerror(-len));
	ASSERT_EQ(0, sysfs_read(vpath(self, 1, "vgpu/state"), state,
				sizeof(state)));
	EXPECT_STREQ("stopped", state);
	src_cmds = vnum(self, 1, "commands");
	ASSERT_GT(2 * MGEMM, src_cmds) TH_LOG("the work ended before the stop");
	TH_LOG("stop-copy: %lld bytes for a %llu MiB window in %.0f ms; %s %lld commands",
	       len, self->d[1]->window_size >> 20,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	       "the source completed", src_cmds);

	ASSERT_EQ(0, load_vf(self, 2, &s));
	ASSERT_EQ(0, vgpu_mig_set(self->d[2], VFIO_DEVICE_STATE_RUNNING, NULL));
	EXPECT_TRUE(kmsg_find(kmsg, "migration: state restored"));
	target_completes(_metadata, self, src_cmds);
	/* The target takes new work; the source, closed, is scrubbed. */
	compute_exact(_metadata, self->d[2], 0x600d);
	vgpu_dev_close(self->d[1]);
	self->d[1] = NULL;
	EXPECT_TRUE(kmsg_find(kmsg, "window zeroed"));
	close(kmsg);
	free(s.p);
}

/*
 * Live migration of a busy VF with pre-copy: the device logs the window
 * pages that the VM writes through BAR2 and that the VF's commands write,
 * so stop-copy sends those and the state, not the window again.
 */
#define D_OFF 0x1800000
#define D_PAGES 16

TEST_F_TIMEOUT(pf, vf_live_migration_pre_copies_the_window, 300)
{
	long long pre = 0, stop, src_cmds;
	struct vgpu_mig_stream s = { 0 };
	struct vfio_precopy_info info;
	unsigned char *d;
	int i, ret;

	ret = open_migratable(self, 2, "ts");
	if (ret == -ENOENT)
		SKIP(return, "no vgpu-vfio-pci.ko next to vgpu.ko");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, vgpu_mig_set(self->d[1], VFIO_DEVICE_STATE_PRE_COPY,
				  &self->mig_fd));
	/*
	 * The first pass sends the whole window; the GEMMs start after it,
	 * so that they still run at the stop however long it took, and the
	 * next passes send what they and "the guest" (writing pages through
	 * BAR2, some of them already sent) changed.
	 */
	d = (unsigned char *)self->d[1]->window + D_OFF;
	ASSERT_EQ(0, vgpu_precopy_passes(self->mig_fd, &s, d, D_PAGES, 1,
					 &pre));
	EXPECT_LT((long long)self->d[1]->window_size, pre);
	ASSERT_EQ(0, vgpu_gemm_batch_queue(self->d[1], &mwork));
	for (i = 0; i < 5000 && vnum(self, 1, "busy_ns") < 20000000; i++)
		usleep(1000);
	ASSERT_EQ(0, vgpu_precopy_passes(self->mig_fd, &s, d, D_PAGES, 2,
					 &pre));
	for (i = 0; i < D_PAGES; i++)
		d[i * 4096 + 100] = 0x55 ^ i;
	ASSERT_EQ(0, vgpu_mig_precopy_info(self->mig_fd, &info));
	EXPECT_LE(D_PAGES * 4096ULL, info.dirty_bytes);

	ASSERT_EQ(0, vgpu_mig_set(self->d[1], VFIO_DEVICE_STATE_STOP_COPY,
				  NULL));
	stop = vgpu_mig_read(self->mig_fd, &s);
	ASSERT_LT(0, stop);
	ASSERT_EQ(0, vgpu_mig_set(self->d[1], VFIO_DEVICE_STATE_STOP, NULL));
	close(self->mig_fd);
	self->mig_fd = 0;
	src_cmds = vnum(self, 1, "commands");
	TH_LOG("window %llu MiB: %lld bytes pre-copy, %lld stop-copy",
	       self->d[1]->window_size >> 20, pre, stop);
	EXPECT_GT((long long)self->d[1]->window_size / 4, stop);
	ASSERT_GT(2 * MGEMM, src_cmds) TH_LOG("the work ended before the stop");

	ASSERT_EQ(0, load_vf(self, 2, &s));
	ASSERT_EQ(0, vgpu_mig_set(self->d[2], VFIO_DEVICE_STATE_RUNNING, NULL));
	target_completes(_metadata, self, src_cmds);
	d = (unsigned char *)self->d[2]->window + D_OFF;
	for (i = 0; i < D_PAGES; i++) {
		ASSERT_EQ(0xa0 + 1 + i, d[i * 4096 + 1]) TH_LOG("page %d", i);
		ASSERT_EQ(0x55 ^ i, d[i * 4096 + 100]) TH_LOG("page %d", i);
	}
	free(s.p);
}

TEST_F_TIMEOUT(pf, vf_migration_to_another_profile_is_refused, 300)
{
	struct vgpu_mig_stream s = { 0 };
	int kmsg, ret;

	ret = open_migratable(self, 1, "ts");
	if (ret == -ENOENT)
		SKIP(return, "no vgpu-vfio-pci.ko next to vgpu.ko");
	ASSERT_EQ(0, ret);
	kmsg = kmsg_open();
	ASSERT_LT(0, save_vf(self, 1, &s));
	ASSERT_EQ(0, vgpu_mig_set(self->d[1], VFIO_DEVICE_STATE_RUNNING, NULL));
	close_vf(self, 1);
	ASSERT_EQ(0, open_vf_with(self, 1, "ded", VARIANT));
	EXPECT_EQ(-EINVAL, load_vf(self, 1, &s));
	EXPECT_TRUE(kmsg_find(kmsg, "refusing the incoming state: saved from profile ts"));
	/* The VMM gives up: the target fails its arc; a reset brings it back. */
	EXPECT_NE(0, vgpu_mig_set(self->d[1], VFIO_DEVICE_STATE_STOP, NULL));
	EXPECT_EQ(VFIO_DEVICE_STATE_ERROR, vgpu_mig_get(self->d[1]));
	ASSERT_EQ(0, ioctl(self->d[1]->vfio.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(VFIO_DEVICE_STATE_RUNNING, vgpu_mig_get(self->d[1]));
	ASSERT_EQ(0, vgpu_ring_init(self->d[1], RING_OFF, 256));
	compute_exact(_metadata, self->d[1], 0xbad0);
	close(kmsg);
	free(s.p);
}

TEST_HARNESS_MAIN
