// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SR-IOV device model (qemu/vgpu_sriov.c, -device vgpu-pf) on its own,
 * without the project's kernel driver: the PF is bound to pci-pf-stub and
 * programmed through its BAR0 (sysfs resource0, mmap), as the PF driver will
 * do it (Documentation/pf-interface.rst); VFs are enabled with sriov_numvfs,
 * bound to vfio-pci and driven through VFIO with the userspace VFIO library,
 * as a VM would drive them. Nothing executes unless the test writes RUN.
 *
 * Runs as root in a q35 VM with intel-iommu and a vgpu-pf, booted by
 * selftests/run_pf_model_test.sh (scripts/vm-run.sh --q35-iommu --vgpu-pf);
 * each test provisions the VFs it uses and leaves the PF to the next test's
 * setup, which unprovisions everything.
 *
 * Environment: VGPU_PF_MEM_SIZE, VGPU_PF_ENGINES, VGPU_PF_VFS and
 * VGPU_PF_BAR2_SIZE, when set, are the device's expected properties.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vgpu_pf.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_crc32c.h"
/* Not selftests/vgpu_vfio.h, which "vgpu_vfio.h" would find first. */
#include "vgpu_vfio.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define MIB		0x100000ULL
#define WAIT_MS		10000

/* Window layout of every VF: ring, fence slot, scratch, data. */
#define RING_ENTRIES	256u
#define FENCE_OFF	0x4000ULL
#define SCRATCH_OFF	0x5000ULL
#define DATA_OFF	0x10000ULL
/* Every VF gets a window of WIN_SIZE at (n - 1) * WIN_STRIDE. */
#define WIN_SIZE	(16 * MIB)
#define WIN_STRIDE	(32 * MIB)

#define MAX_VFS		VGPU_PF_MAX_VFS
/* Bytes of a COPY, FILL or CRC32C work unit (the VF's UNIT_BYTES). */
#define UNIT_BYTES	65536u

/**
 * struct pf - the PF as the tests see it
 * @bdf: its PCI address
 * @regs: BAR0, mapped from sysfs resource0 (accessed with __atomic loads
 *	  and stores: one access of the register's width each, in order)
 * @nr_vfs: MAX_VFS (= TotalVFs, all enabled)
 * @nr_engines: ENGINES
 * @mem_size: MEM_SIZE
 * @bar2_size: VF_BAR2_SIZE
 * @vf_bdf: PCI address of VF n at [n - 1]
 */
struct pf {
	char bdf[32];
	__u8 *regs;
	unsigned int nr_vfs;
	unsigned int nr_engines;
	__u64 mem_size;
	__u64 bar2_size;
	char vf_bdf[MAX_VFS][32];
};

static struct pf pf;

/* ---- PF registers -------------------------------------------------------- */

static __u32 mmio_rd32(void *p)
{
	return __atomic_load_n((__u32 *)p, __ATOMIC_SEQ_CST);
}

static void mmio_wr32(void *p, __u32 val)
{
	__atomic_store_n((__u32 *)p, val, __ATOMIC_RELEASE);
}

static __u32 rd32(__u32 off)
{
	return mmio_rd32(pf.regs + off);
}

/* One 8-byte access, as a driver's readq(). */
static __u64 rd64(__u32 off)
{
	return __atomic_load_n((__u64 *)(pf.regs + off), __ATOMIC_SEQ_CST);
}

static void wr32(__u32 off, __u32 val)
{
	mmio_wr32(pf.regs + off, val);
}

static void wr64(__u32 off, __u64 val)
{
	__atomic_store_n((__u64 *)(pf.regs + off), val, __ATOMIC_RELEASE);
}

static __u32 vf_rd32(unsigned int n, __u32 off)
{
	return rd32(VGPU_PF_VF(n) + off);
}

static __u64 vf_rd64(unsigned int n, __u32 off)
{
	return rd64(VGPU_PF_VF(n) + off);
}

static void vf_wr32(unsigned int n, __u32 off, __u32 val)
{
	wr32(VGPU_PF_VF(n) + off, val);
}

static void vf_wr64(unsigned int n, __u32 off, __u64 val)
{
	wr64(VGPU_PF_VF(n) + off, val);
}

static __u32 eng_rd32(unsigned int e, __u32 off)
{
	return rd32(VGPU_PF_ENG(e) + off);
}

static __u64 eng_rd64(unsigned int e, __u32 off)
{
	return rd64(VGPU_PF_ENG(e) + off);
}

static void eng_wr32(unsigned int e, __u32 off, __u32 val)
{
	wr32(VGPU_PF_ENG(e) + off, val);
}

static void eng_wr64(unsigned int e, __u32 off, __u64 val)
{
	wr64(VGPU_PF_ENG(e) + off, val);
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Wait until engine @e is not busy; its STATUS, or ~0 on timeout. */
static __u32 eng_wait(unsigned int e, unsigned int timeout_ms)
{
	__u64 end = now_ms() + timeout_ms;
	__u32 st;

	while ((st = eng_rd32(e, VGPU_PF_ENG_STATUS)) & VGPU_PF_ENG_STATUS_BUSY) {
		if (now_ms() > end)
			return ~0u;
		usleep(500);
	}
	return st;
}

/* Start a run of VF @n on engine @e with @budget_ns, wait for its end. */
static __u32 eng_run(unsigned int e, unsigned int n, __u64 budget_ns)
{
	eng_wr64(e, VGPU_PF_ENG_BUDGET_NS, budget_ns);
	eng_wr32(e, VGPU_PF_ENG_RUN, n);
	return eng_wait(e, WAIT_MS);
}

/* Provision VF @n: window at @base of @size, engines @mask. */
static __u32 vf_provision(unsigned int n, __u64 base, __u64 size, __u32 mask)
{
	vf_wr64(n, VGPU_PF_VF_WIN_BASE, base);
	vf_wr64(n, VGPU_PF_VF_WIN_SIZE, size);
	vf_wr32(n, VGPU_PF_VF_ENGINES, mask);
	vf_wr32(n, VGPU_PF_VF_CTRL, VGPU_PF_VF_CTRL_PROVISIONED);
	return vf_rd32(n, VGPU_PF_VF_CTRL);
}

/* The standard window of VF @n on engines @mask; 0 on success. */
static int vf_provision_std(unsigned int n, __u32 mask)
{
	__u32 ctrl = vf_provision(n, (n - 1) * WIN_STRIDE, WIN_SIZE, mask);

	return ctrl == VGPU_PF_VF_CTRL_PROVISIONED ? 0 : -EIO;
}

/* ---- setup ------------------------------------------------------------- */

static int sysfs_printf(const char *val, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return sysfs_write(path, val);
}

/* The basename of a symlink's target, e.g. the driver a device is bound to. */
static int link_name(char *buf, size_t len, const char *fmt, ...)
{
	char path[512], target[PATH_MAX];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(buf, len, "%s", basename(target));
	return 0;
}

static bool find_pf(char *bdf, size_t len)
{
	DIR *d = opendir(PCI_DEVICES);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (sysfs_num(PCI_DEVICES "/%s/vendor", e->d_name) ==
		    VGPU_PCI_VENDOR_ID &&
		    sysfs_num(PCI_DEVICES "/%s/device", e->d_name) ==
		    VGPU_PCI_PF_DEVICE_ID) {
			snprintf(bdf, len, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static void load_module(const char *name, const char *sysname)
{
	char cmd[128];

	if (path_exists("/sys/module/%s", sysname))
		return;
	snprintf(cmd, sizeof(cmd), "modprobe %s", name);
	if (system(cmd))
		;
}

/* Bind @bdf to @driver with driver_override, unless it is bound already. */
static int bind_to(const char *bdf, const char *driver)
{
	char cur[64] = "";

	if (!link_name(cur, sizeof(cur), PCI_DEVICES "/%s/driver", bdf) &&
	    !strcmp(cur, driver))
		return 0;
	if (cur[0] && sysfs_printf(bdf, PCI_DEVICES "/%s/driver/unbind", bdf))
		return -EIO;
	if (sysfs_printf(driver, PCI_DEVICES "/%s/driver_override", bdf))
		return -EIO;
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (link_name(cur, sizeof(cur), PCI_DEVICES "/%s/driver", bdf) ||
	    strcmp(cur, driver))
		return -ENODEV;
	return 0;
}

/*
 * Find the PF, bind it to pci-pf-stub, enable every VF and bind them to
 * vfio-pci, map BAR0; then unprovision every VF and clear the events, so
 * that each test starts from the same state. Idempotent; 0, -ENODEV without
 * a PF, -EBUSY if a real driver (the project's PF driver) has it, or
 * another -errno.
 */
static int pf_prepare(void)
{
	char buf[64];
	unsigned int i, total;
	int fd;

	if (!find_pf(pf.bdf, sizeof(pf.bdf)))
		return -ENODEV;
	if (!link_name(buf, sizeof(buf), PCI_DEVICES "/%s/driver", pf.bdf) &&
	    strcmp(buf, "pci-pf-stub"))
		return -EBUSY;
	load_module("pci-pf-stub", "pci_pf_stub");
	load_module("vfio-pci", "vfio_pci");
	if (bind_to(pf.bdf, "pci-pf-stub"))
		return -EIO;

	total = sysfs_num(PCI_DEVICES "/%s/sriov_totalvfs", pf.bdf);
	if (!total || total > MAX_VFS)
		return -ERANGE;
	if (sysfs_num(PCI_DEVICES "/%s/sriov_numvfs", pf.bdf) != total) {
		sysfs_printf("0", PCI_DEVICES "/%s/sriov_drivers_autoprobe",
			     pf.bdf);
		sysfs_printf("0", PCI_DEVICES "/%s/sriov_numvfs", pf.bdf);
		snprintf(buf, sizeof(buf), "%u", total);
		if (sysfs_printf(buf, PCI_DEVICES "/%s/sriov_numvfs", pf.bdf))
			return -EIO;
	}
	pf.nr_vfs = total;
	for (i = 0; i < total; i++) {
		if (link_name(pf.vf_bdf[i], sizeof(pf.vf_bdf[i]),
			      PCI_DEVICES "/%s/virtfn%u", pf.bdf, i))
			return -ENODEV;
		if (bind_to(pf.vf_bdf[i], "vfio-pci"))
			return -EIO;
	}

	snprintf(buf, sizeof(buf), PCI_DEVICES "/%s/resource0", pf.bdf);
	fd = open(buf, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pf.regs = mmap(NULL, VGPU_PF_REGS_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	close(fd);
	if (pf.regs == MAP_FAILED)
		return -errno;
	if (rd32(VGPU_PF_REG_ID) != VGPU_PF_ID_MAGIC)
		return -ENXIO;
	pf.nr_engines = rd32(VGPU_PF_REG_ENGINES);
	pf.mem_size = rd64(VGPU_PF_REG_MEM_SIZE);
	pf.bar2_size = rd64(VGPU_PF_REG_VF_BAR2_SIZE);
	/* The tests use VFs 1 to 3 (mem-size >= 96M, vf-bar2-size >= 16M). */
	if (!pf.nr_engines || pf.nr_engines > VGPU_PF_MAX_ENGINES ||
	    pf.mem_size < 3 * WIN_STRIDE || pf.bar2_size < WIN_SIZE)
		return -ERANGE;

	/* A clean slate: no run, nothing provisioned, no events or IRQs. */
	for (i = 0; i < pf.nr_engines; i++) {
		eng_wr32(i, VGPU_PF_ENG_PREEMPT, 1);
		if (eng_wait(i, WAIT_MS) == ~0u)
			return -ETIMEDOUT;
	}
	for (i = 1; i <= pf.nr_vfs; i++) {
		vf_wr32(i, VGPU_PF_VF_CTRL, 0);
		vf_wr64(i, VGPU_PF_VF_WIN_BASE, 0);
		vf_wr64(i, VGPU_PF_VF_WIN_SIZE, 0);
		vf_wr32(i, VGPU_PF_VF_ENGINES, 0);
		vf_wr32(i, VGPU_PF_VF_PROFILE, 0);
		vf_wr32(i, VGPU_PF_VF_EVENT, ~0u);
	}
	wr64(VGPU_PF_REG_JOB_TIMEOUT_NS, 0);
	wr64(VGPU_PF_REG_UNIT_TIMEOUT_NS, 0);
	wr32(VGPU_PF_REG_IRQ_MASK, 0);
	wr32(VGPU_PF_REG_IRQ_STATUS, ~0u);
	return 0;
}

/*
 * When the tests are done (in the harness's parent, once), give the PF back
 * as the tests found it: VFs disabled, PF unbound from pci-pf-stub, no
 * driver_override, so that a PF driver loaded later can bind it.
 */
static void __attribute__((destructor)) pf_release(void)
{
	char bdf[32], drv[64] = "", ovr[64] = "";
	char path[256];

	if (!find_pf(bdf, sizeof(bdf)) ||
	    link_name(drv, sizeof(drv), PCI_DEVICES "/%s/driver", bdf) ||
	    strcmp(drv, "pci-pf-stub"))
		return;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	if (sysfs_read(path, ovr, sizeof(ovr)) || strcmp(ovr, "pci-pf-stub"))
		return;
	sysfs_printf("0", PCI_DEVICES "/%s/sriov_numvfs", bdf);
	sysfs_printf("1", PCI_DEVICES "/%s/sriov_drivers_autoprobe", bdf);
	sysfs_write(path, "\n");
	sysfs_printf(bdf, PCI_DEVICES "/%s/driver/unbind", bdf);
}

/* ---- VFs through VFIO ---------------------------------------------------- */

/* Open the VFIO group of PCI device @bdf into @h (vfio_group.c does mdevs). */
static int vfio_open_pci(const char *bdf, struct vfio_handle *h)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char group[64], path[128];
	int ret = 0;

	h->container = -1;
	h->group = -1;
	h->device = -1;
	if (link_name(group, sizeof(group), PCI_DEVICES "/%s/iommu_group", bdf))
		return -ENODEV;
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	h->group = open(path, O_RDWR | O_CLOEXEC);
	if (h->group < 0)
		return -errno;
	h->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (h->container < 0)
		ret = -errno;
	else if (ioctl(h->group, VFIO_GROUP_GET_STATUS, &status))
		ret = -errno;
	else if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		ret = -EBUSY;
	else if (ioctl(h->group, VFIO_GROUP_SET_CONTAINER, &h->container) ||
		 ioctl(h->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		ret = -errno;
	if (!ret) {
		h->device = ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		if (h->device < 0)
			ret = -errno;
	}
	if (ret)
		vfio_close(h);
	return ret;
}

/*
 * Open VF @n as the library's vgpu_dev_open() opens an mdev: regions, BAR2
 * mapped (all of it: VF_BAR2_SIZE), MSI-X routed to eventfds, memory and
 * bus mastering on. vfio-pci resets the VF (FLR) as it opens it.
 */
static int vf_open(unsigned int n, struct vgpu_dev **devp)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vgpu_region *win;
	struct vgpu_dev *dev;
	unsigned int i;
	int ret;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->window = MAP_FAILED;
	dev->submit_timeout_ms = VGPU_SUBMIT_TIMEOUT_MS;
	for (i = 0; i < VGPU_NR_VECS; i++)
		dev->irq_fd[i] = -1;
	ret = vfio_open_pci(pf.vf_bdf[n - 1], &dev->vfio);
	if (ret)
		goto err;
	ret = -ENODEV;
	if (ioctl(dev->vfio.device, VFIO_DEVICE_GET_INFO, &info) ||
	    !(info.flags & VFIO_DEVICE_FLAGS_PCI))
		goto err;
	/* vfio-pci has no VGA region for us: that one fails. */
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(dev->vfio.device, VFIO_DEVICE_GET_REGION_INFO, &ri))
			continue;
		dev->region[i].offset = ri.offset;
		dev->region[i].size = ri.size;
		dev->region[i].flags = ri.flags;
	}
	win = &dev->region[VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW];
	if (!(win->flags & VFIO_REGION_INFO_FLAG_MMAP))
		goto err;
	dev->window = mmap(NULL, win->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   dev->vfio.device, win->offset);
	if (dev->window == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	dev->window_size = win->size;
	for (i = 0; i < VGPU_NR_VECS; i++) {
		dev->irq_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->irq_fd[i] < 0) {
			ret = -errno;
			goto err;
		}
	}
	ret = vfio_set_irqs(dev->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX, 0,
			    VGPU_MSIX_VECTORS, dev->irq_fd);
	if (!ret)
		ret = vgpu_pci_enable(dev);
	if (ret)
		goto err;
	*devp = dev;
	return 0;
err:
	vgpu_dev_close(dev);
	return ret;
}

static __u8 *win(struct vgpu_dev *d)
{
	return d->window;
}

/* ---- reference data ------------------------------------------------------ */

static __u64 rng_state = 0x5eed5eedULL;

static void rnd_fill(void *p, size_t len)
{
	__u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		b[i] = rng_state;
	}
}

static bool all_bytes(const __u8 *p, size_t len, __u8 v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* ---- fixture --------------------------------------------------------------- */

FIXTURE(pf) {
	struct vgpu_dev *vf[MAX_VFS + 1];
};

FIXTURE_SETUP(pf)
{
	const char *env;
	int ret;

	ret = pf_prepare();
	if (ret == -ENODEV && !getenv("VGPU_PF_REQUIRED"))
		SKIP(return, "no vgpu-pf device (run_pf_model_test.sh boots one)");
	if (ret == -EBUSY && !getenv("VGPU_PF_REQUIRED"))
		SKIP(return, "a driver other than pci-pf-stub has the vgpu-pf");
	ASSERT_EQ(0, ret)
		TH_LOG("vgpu-pf setup failed: %s", strerror(-ret));
	env = getenv("VGPU_PF_VFS");
	if (env)
		ASSERT_EQ(strtoul(env, NULL, 0), pf.nr_vfs);
	ASSERT_LE(2, pf.nr_vfs);
	ASSERT_LE(2, pf.nr_engines);
}

FIXTURE_TEARDOWN(pf)
{
	unsigned int i;

	for (i = 0; i <= MAX_VFS; i++)
		vgpu_dev_close(self->vf[i]);
}

/* Open VF @n into @vf[n] and set up its ring at window offset 0. */
static int open_vf(struct vgpu_dev **vf, unsigned int n)
{
	int ret = vf_open(n, &vf[n]);

	if (ret)
		return ret;
	return vgpu_ring_init(vf[n], 0, RING_ENTRIES);
}

/* ---- identity ------------------------------------------------------------ */

/* The offset of extended capability @id in config space @cfg, or 0. */
static unsigned int ext_cap(const __u8 *cfg, unsigned int id)
{
	unsigned int off = PCI_CFG_SPACE_SIZE, n;

	for (n = 0; off && n < 64; n++) {
		__u32 hdr;

		memcpy(&hdr, cfg + off, 4);
		if (PCI_EXT_CAP_ID(hdr) == id)
			return off;
		off = PCI_EXT_CAP_NEXT(hdr);
	}
	return 0;
}

static unsigned int std_cap(const __u8 *cfg, unsigned int id)
{
	unsigned int off = cfg[PCI_CAPABILITY_LIST], n;

	for (n = 0; off && n < 48; n++) {
		if (cfg[off] == id)
			return off;
		off = cfg[off + 1];
	}
	return 0;
}

static int read_config(const char *bdf, __u8 *cfg)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, 4096, 0);
	close(fd);
	return n == 4096 ? 0 : -EIO;
}

static __u16 cfg16(const __u8 *cfg, unsigned int off)
{
	return cfg[off] | cfg[off + 1] << 8;
}

static __u32 cfg32(const __u8 *cfg, unsigned int off)
{
	return cfg16(cfg, off) | (__u32)cfg16(cfg, off + 2) << 16;
}

/* Start, size and flags of BAR @bar of @bdf from sysfs "resource". */
static int bar_info(const char *bdf, unsigned int bar, __u64 *start,
		    __u64 *size, __u64 *flags)
{
	char path[128], line[128];
	unsigned long long s, e, f;
	FILE *fp;
	unsigned int i;
	int ret = -EIO;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	fp = fopen(path, "r");
	if (!fp)
		return -errno;
	for (i = 0; fgets(line, sizeof(line), fp); i++) {
		if (i == bar && sscanf(line, "%llx %llx %llx", &s, &e, &f) == 3) {
			*start = s;
			*size = e ? e - s + 1 : 0;
			*flags = f;
			ret = 0;
			break;
		}
	}
	fclose(fp);
	return ret;
}

TEST_F(pf, identity_and_capabilities)
{
	__u8 cfg[4096];
	unsigned int off, i;
	__u64 start, size, flags, t0, t1;
	const char *env;

	/* Global registers. */
	EXPECT_EQ(VGPU_PF_ID_MAGIC, rd32(VGPU_PF_REG_ID));
	EXPECT_EQ(VGPU_PF_VERSION_MAJOR << 16 | VGPU_PF_VERSION_MINOR,
		  rd32(VGPU_PF_REG_VERSION));
	EXPECT_EQ(pf.nr_vfs, rd32(VGPU_PF_REG_MAX_VFS));
	EXPECT_EQ((1u << VGPU_OP_COUNT) - 1, rd32(VGPU_PF_REG_CAPS));
	EXPECT_EQ(0, pf.mem_size % VGPU_PF_WINDOW_ALIGN);
	EXPECT_EQ(0, pf.bar2_size & (pf.bar2_size - 1));
	env = getenv("VGPU_PF_MEM_SIZE");
	if (env)
		EXPECT_EQ(strtoull(env, NULL, 0), pf.mem_size);
	env = getenv("VGPU_PF_ENGINES");
	if (env)
		EXPECT_EQ(strtoul(env, NULL, 0), pf.nr_engines);
	env = getenv("VGPU_PF_BAR2_SIZE");
	if (env)
		EXPECT_EQ(strtoull(env, NULL, 0), pf.bar2_size);
	/* 64-bit registers read as one access or as two halves. */
	EXPECT_EQ(pf.mem_size, rd32(VGPU_PF_REG_MEM_SIZE) |
		  (__u64)rd32(VGPU_PF_REG_MEM_SIZE + 4) << 32);
	t0 = rd64(VGPU_PF_REG_TIMESTAMP);
	usleep(2000);
	t1 = rd64(VGPU_PF_REG_TIMESTAMP);
	EXPECT_LT(t0 + 1000000, t1);
	/* Unknown offsets read 0. */
	EXPECT_EQ(0, rd32(0x0fc));
	EXPECT_EQ(0, rd32(VGPU_PF_ENG(pf.nr_engines)));
	EXPECT_EQ(0, rd32(VGPU_PF_VF(pf.nr_vfs + 1)));

	/* PF config space: identity, PCIe with FLR, MSI-X, ARI, SR-IOV. */
	ASSERT_EQ(0, read_config(pf.bdf, cfg));
	EXPECT_EQ(VGPU_PCI_VENDOR_ID, cfg16(cfg, PCI_VENDOR_ID));
	EXPECT_EQ(VGPU_PCI_PF_DEVICE_ID, cfg16(cfg, PCI_DEVICE_ID));
	EXPECT_EQ(VGPU_PCI_CLASS, cfg32(cfg, PCI_CLASS_REVISION) >> 8);
	off = std_cap(cfg, PCI_CAP_ID_MSIX);
	ASSERT_NE(0, off);
	EXPECT_EQ(VGPU_PF_MSIX_VECTORS - 1,
		  cfg16(cfg, off + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE);
	EXPECT_EQ(VGPU_PF_MSIX_TABLE_OFFSET | VGPU_PF_BAR_REGS,
		  cfg32(cfg, off + PCI_MSIX_TABLE));
	EXPECT_EQ(VGPU_PF_MSIX_PBA_OFFSET | VGPU_PF_BAR_REGS,
		  cfg32(cfg, off + PCI_MSIX_PBA));
	EXPECT_NE(0, ext_cap(cfg, PCI_EXT_CAP_ID_ARI));
	off = ext_cap(cfg, PCI_EXT_CAP_ID_SRIOV);
	ASSERT_NE(0, off);
	EXPECT_EQ(pf.nr_vfs, cfg16(cfg, off + PCI_SRIOV_TOTAL_VF));
	EXPECT_EQ(1, cfg16(cfg, off + PCI_SRIOV_VF_OFFSET));
	EXPECT_EQ(1, cfg16(cfg, off + PCI_SRIOV_VF_STRIDE));
	EXPECT_EQ(VGPU_PCI_DEVICE_ID, cfg16(cfg, off + PCI_SRIOV_VF_DID));
	ASSERT_EQ(0, bar_info(pf.bdf, VGPU_PF_BAR_REGS, &start, &size, &flags));
	EXPECT_EQ(VGPU_PF_REGS_SIZE, size);

	/* Every VF: identity, BARs, PCIe with FLR, MSI-X in BAR0. */
	for (i = 0; i < pf.nr_vfs; i++) {
		const char *vf = pf.vf_bdf[i];

		EXPECT_EQ(VGPU_PCI_VENDOR_ID, sysfs_num(PCI_DEVICES "/%s/vendor", vf));
		EXPECT_EQ(VGPU_PCI_DEVICE_ID, sysfs_num(PCI_DEVICES "/%s/device", vf));
		EXPECT_EQ(VGPU_PCI_CLASS, sysfs_num(PCI_DEVICES "/%s/class", vf));
		ASSERT_EQ(0, read_config(vf, cfg));
		EXPECT_EQ(VGPU_PCI_REVISION, cfg[PCI_REVISION_ID]);
		EXPECT_EQ(VGPU_PCI_VENDOR_ID, cfg16(cfg, PCI_SUBSYSTEM_VENDOR_ID));
		EXPECT_EQ(VGPU_PCI_SUBSYS_BASE, cfg16(cfg, PCI_SUBSYSTEM_ID));
		EXPECT_EQ(0, cfg[PCI_INTERRUPT_PIN]);
		off = std_cap(cfg, PCI_CAP_ID_EXP);
		ASSERT_NE(0, off);
		EXPECT_TRUE(cfg32(cfg, off + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR);
		off = std_cap(cfg, PCI_CAP_ID_MSIX);
		ASSERT_NE(0, off);
		EXPECT_EQ(VGPU_MSIX_VECTORS - 1,
			  cfg16(cfg, off + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE);
		EXPECT_EQ(VGPU_MSIX_TABLE_OFFSET | VGPU_BAR_REGS,
			  cfg32(cfg, off + PCI_MSIX_TABLE));
		EXPECT_EQ(VGPU_MSIX_PBA_OFFSET | VGPU_BAR_REGS,
			  cfg32(cfg, off + PCI_MSIX_PBA));
		/* 32-bit, non-prefetchable memory BARs. */
		ASSERT_EQ(0, bar_info(vf, VGPU_BAR_REGS, &start, &size, &flags));
		EXPECT_EQ(VGPU_REGS_SIZE, size);
		EXPECT_EQ(0x200, flags & 0x102300);
		ASSERT_EQ(0, bar_info(vf, VGPU_BAR_WINDOW, &start, &size, &flags));
		EXPECT_EQ(pf.bar2_size, size);
		EXPECT_EQ(0x200, flags & 0x102300);
		EXPECT_TRUE(path_exists(PCI_DEVICES "/%s/iommu_group", vf))
			TH_LOG("VF %s has no IOMMU group", vf);
	}

	/* PROFILE names the VF in its subsystem ID. */
	vf_wr32(2, VGPU_PF_VF_PROFILE, 3);
	EXPECT_EQ(3, vf_rd32(2, VGPU_PF_VF_PROFILE));
	ASSERT_EQ(0, read_config(pf.vf_bdf[1], cfg));
	EXPECT_EQ(VGPU_PCI_SUBSYS_BASE + 3, cfg16(cfg, PCI_SUBSYSTEM_ID));
	vf_wr32(2, VGPU_PF_VF_PROFILE, 0);
}

/* ---- provisioning ----------------------------------------------------------- */

TEST_F(pf, provisioning_checks)
{
	const __u64 m = VGPU_PF_WINDOW_ALIGN, mem = pf.mem_size;
	const __u32 all = (1u << pf.nr_engines) - 1;
	struct {
		const char *what;
		__u64 base, size;
		__u32 mask;
	} bad[] = {
		{ "base not 1 MiB aligned", m / 2, m, 1 },
		{ "size not 1 MiB aligned", 0, m + 4096, 1 },
		{ "size 0", 0, 0, 1 },
		{ "size above VF_BAR2_SIZE", 0, pf.bar2_size + m, 1 },
		{ "window past MEM_SIZE", mem - m, 2 * m, 1 },
		{ "base past MEM_SIZE", mem, m, 1 },
		{ "base + size wraps", ~(m - 1), 2 * m, 1 },
		{ "no engine", 0, m, 0 },
		{ "an engine that does not exist", 0, m,
		  pf.nr_engines < 32 ? 1u << pf.nr_engines : 0 },
	};
	struct vgpu_dev *d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(0, vf_provision(1, bad[i].base, bad[i].size,
					  bad[i].mask))
			TH_LOG("%s: provisioned", bad[i].what);
		EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_STATUS) &
			  VGPU_PF_VF_STATUS_PROVISIONED)
			TH_LOG("%s", bad[i].what);
		/* Nothing else changes. */
		EXPECT_EQ(bad[i].base, vf_rd64(1, VGPU_PF_VF_WIN_BASE));
		EXPECT_EQ(bad[i].size, vf_rd64(1, VGPU_PF_VF_WIN_SIZE));
		EXPECT_EQ(bad[i].mask, vf_rd32(1, VGPU_PF_VF_ENGINES));
	}

	/* The last MiB with every engine is fine. */
	EXPECT_EQ(VGPU_PF_VF_CTRL_PROVISIONED, vf_provision(1, mem - m, m, all));
	EXPECT_EQ(VGPU_PF_VF_STATUS_PROVISIONED, vf_rd32(1, VGPU_PF_VF_STATUS));
	vf_wr32(1, VGPU_PF_VF_CTRL, 0);
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_CTRL));

	ASSERT_EQ(0, vf_provision_std(1, 0x3));
	/* The window and the engines are fixed while provisioned. */
	vf_wr64(1, VGPU_PF_VF_WIN_BASE, 64 * MIB);
	vf_wr64(1, VGPU_PF_VF_WIN_SIZE, MIB);
	vf_wr32(1, VGPU_PF_VF_ENGINES, 1);
	vf_wr32(1, VGPU_PF_VF_PROFILE, 1);
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_WIN_BASE));
	EXPECT_EQ(WIN_SIZE, vf_rd64(1, VGPU_PF_VF_WIN_SIZE));
	EXPECT_EQ(0x3, vf_rd32(1, VGPU_PF_VF_ENGINES));
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_PROFILE));

	/* The VF reports its window and the number of its engines. */
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	EXPECT_EQ(VGPU_ID_MAGIC, vgpu_read32(d, VGPU_REG_ID));
	EXPECT_EQ(VGPU_VERSION_MAJOR << 16 | VGPU_VERSION_MINOR,
		  vgpu_read32(d, VGPU_REG_VERSION));
	EXPECT_EQ(WIN_SIZE, vgpu_read64(d, VGPU_REG_WINDOW_SIZE));
	EXPECT_EQ(2, vgpu_read32(d, VGPU_REG_ENGINES));
	EXPECT_EQ(UNIT_BYTES, vgpu_read32(d, VGPU_REG_UNIT_BYTES));
	/* Counters since provisioning: only the FLR vfio-pci did on open. */
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_COMMANDS));
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_BYTES));
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_ERRORS));
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_BUSY_NS));
	EXPECT_LE(1, vf_rd64(1, VGPU_PF_VF_RESETS));
	EXPECT_TRUE(vf_rd32(1, VGPU_PF_VF_EVENT) & VGPU_PF_VF_EVENT_FLR);

	/* Unprovisioned: a window of 0 bytes, no engines. */
	vf_wr32(1, VGPU_PF_VF_CTRL, 0);
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_STATUS));
	EXPECT_EQ(0, vgpu_read64(d, VGPU_REG_WINDOW_SIZE));
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_ENGINES));
	/* A ring cannot be set up in no window. */
	EXPECT_EQ(-EIO, vgpu_ring_init(d, 0, RING_ENTRIES));
	EXPECT_EQ(VGPU_ERR_RING, vgpu_read32(d, VGPU_REG_ERR_CODE));
}

/*
 * A reset of the PF (FLR, here through sysfs with the VFs disabled)
 * unprovisions every VF and returns every register to its reset value.
 */
TEST_F(pf, pf_flr_resets_everything)
{
	char path[128];

	ASSERT_EQ(0, vf_provision_std(1, 0x3));
	vf_wr32(2, VGPU_PF_VF_PROFILE, 2);
	eng_wr64(1, VGPU_PF_ENG_BUDGET_NS, 12345);
	wr32(VGPU_PF_REG_IRQ_MASK, VGPU_PF_IRQ_EVENT);
	wr64(VGPU_PF_REG_JOB_TIMEOUT_NS, 1000000000ULL);
	EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(0, 0, 1));
	EXPECT_EQ(VGPU_PF_IRQ_ENGINE, rd32(VGPU_PF_REG_IRQ_STATUS));

	ASSERT_EQ(0, sysfs_printf("0", PCI_DEVICES "/%s/sriov_numvfs", pf.bdf));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/reset", pf.bdf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	EXPECT_EQ(VGPU_PF_ID_MAGIC, rd32(VGPU_PF_REG_ID));
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_CTRL));
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_WIN_SIZE));
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_ENGINES));
	EXPECT_EQ(0, vf_rd32(2, VGPU_PF_VF_PROFILE));
	EXPECT_EQ(0, eng_rd64(1, VGPU_PF_ENG_BUDGET_NS));
	EXPECT_EQ(0, eng_rd32(0, VGPU_PF_ENG_STATUS));
	EXPECT_EQ(0, eng_rd64(0, VGPU_PF_ENG_RUNS));
	EXPECT_EQ(0, rd32(VGPU_PF_REG_IRQ_MASK));
	EXPECT_EQ(0, rd32(VGPU_PF_REG_IRQ_STATUS));
	EXPECT_EQ(0, rd64(VGPU_PF_REG_JOB_TIMEOUT_NS));
	/* The next test's setup enables the VFs again. */
}

/* ---- execution --------------------------------------------------------------- */

#define GATE_LEN	(3 * 65536 + 4096)	/* 4 work units */

TEST_F(pf, commands_run_only_on_run)
{
	const __u64 src = DATA_OFF, cp = src + MIB, fill = cp + MIB;
	const __u64 dmaw = fill + MIB, iova = VGPU_IOVA_BASE;
	const __u32 pattern = 0xc0ffee11;
	__u64 runs, busy, bytes;
	struct vgpu_cmd c[5];
	struct vgpu_dev *d;
	__u8 *ref, *dma;
	__u32 st, crc;
	unsigned int i;

	ASSERT_EQ(0, vf_provision_std(1, 0x3));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	ref = malloc(GATE_LEN);
	dma = vgpu_dma_alloc(GATE_LEN + 4096);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, dma);
	rnd_fill(ref, GATE_LEN);
	memcpy(win(d) + src, ref, GATE_LEN);
	rnd_fill(dma, GATE_LEN);
	ASSERT_EQ(0, vgpu_dma_map(d, dma, GATE_LEN + 4096, iova));
	crc = vgpu_crc32c(ref, GATE_LEN);
	vf_wr32(1, VGPU_PF_VF_EVENT, ~0u);
	wr32(VGPU_PF_REG_IRQ_STATUS, ~0u);

	c[0] = vgpu_cmd_copy(src, cp, GATE_LEN, 0);
	c[1] = vgpu_cmd_fill(fill, GATE_LEN, pattern);
	c[2] = vgpu_cmd_crc(src, GATE_LEN, SCRATCH_OFF);
	c[3] = vgpu_cmd_copy(iova, dmaw, GATE_LEN, VGPU_CMD_SRC_SYS);
	c[4] = vgpu_cmd_fence(FENCE_OFF, 7, true);
	ASSERT_EQ(0, vgpu_submit(d, c, 5));

	/* No RUN: nothing executes, the PF hears of the work. */
	usleep(200000);
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_RING_HEAD));
	EXPECT_EQ(0, vgpu_read64(d, VGPU_REG_COMPLETED));
	EXPECT_EQ(0, vgpu_read64(d, VGPU_REG_FENCE));
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_STATUS) & VGPU_STATUS_IDLE);
	EXPECT_TRUE(all_bytes(win(d) + cp, GATE_LEN, 0));
	EXPECT_EQ(VGPU_PF_VF_STATUS_HAS_WORK | VGPU_PF_VF_STATUS_PROVISIONED,
		  vf_rd32(1, VGPU_PF_VF_STATUS));
	EXPECT_EQ(VGPU_PF_VF_EVENT_DOORBELL, vf_rd32(1, VGPU_PF_VF_EVENT));
	EXPECT_EQ(1, rd32(VGPU_PF_REG_VF_EVENTS));
	EXPECT_EQ(VGPU_PF_IRQ_EVENT, rd32(VGPU_PF_REG_IRQ_STATUS));
	vf_wr32(1, VGPU_PF_VF_EVENT, VGPU_PF_VF_EVENT_DOORBELL);
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_EVENT));
	EXPECT_EQ(0, rd32(VGPU_PF_REG_VF_EVENTS));
	wr32(VGPU_PF_REG_IRQ_STATUS, VGPU_PF_IRQ_EVENT);
	EXPECT_EQ(0, rd32(VGPU_PF_REG_IRQ_STATUS));

	/* One run with a large budget does it all. */
	runs = eng_rd64(1, VGPU_PF_ENG_RUNS);
	busy = eng_rd64(1, VGPU_PF_ENG_BUSY_NS);
	st = eng_run(1, 1, 5000000000ULL);
	EXPECT_EQ(0, st);
	EXPECT_EQ(1, eng_rd32(1, VGPU_PF_ENG_VF));
	EXPECT_EQ(runs + 1, eng_rd64(1, VGPU_PF_ENG_RUNS));
	EXPECT_LT(0, eng_rd64(1, VGPU_PF_ENG_RAN_NS));
	EXPECT_EQ(busy + eng_rd64(1, VGPU_PF_ENG_RAN_NS),
		  eng_rd64(1, VGPU_PF_ENG_BUSY_NS));
	EXPECT_EQ(eng_rd64(1, VGPU_PF_ENG_RAN_NS),
		  vf_rd64(1, VGPU_PF_VF_BUSY_NS));
	EXPECT_TRUE(rd32(VGPU_PF_REG_IRQ_STATUS) & VGPU_PF_IRQ_ENGINE);

	EXPECT_EQ(7, vgpu_read64(d, VGPU_REG_FENCE));
	EXPECT_EQ(5, vgpu_read64(d, VGPU_REG_COMPLETED));
	EXPECT_TRUE(vgpu_read32(d, VGPU_REG_STATUS) & VGPU_STATUS_IDLE);
	EXPECT_EQ(0, memcmp(ref, win(d) + cp, GATE_LEN));
	for (i = 0; i < GATE_LEN; i += 4)
		if (memcmp(win(d) + fill + i, &pattern, 4))
			break;
	EXPECT_EQ(GATE_LEN, i);
	EXPECT_EQ(crc, *(__u32 *)(win(d) + SCRATCH_OFF));
	EXPECT_EQ(0, memcmp(dma, win(d) + dmaw, GATE_LEN));
	EXPECT_EQ(7, *(__u64 *)(win(d) + FENCE_OFF));
	/* The FENCE's completion interrupt, through MSI-X and the IOMMU. */
	EXPECT_LE(1, vgpu_wait_irq(d, VGPU_MSIX_COMPLETION, WAIT_MS));

	EXPECT_EQ(5, vf_rd64(1, VGPU_PF_VF_COMMANDS));
	bytes = 4ULL * GATE_LEN;
	EXPECT_EQ(bytes, vf_rd64(1, VGPU_PF_VF_BYTES));
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_ERRORS));
	EXPECT_EQ(VGPU_PF_VF_STATUS_PROVISIONED, vf_rd32(1, VGPU_PF_VF_STATUS));
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_EVENT));

	/* A run with nothing to do ends at once. */
	EXPECT_EQ(0, eng_run(0, 1, 5000000000ULL));
	EXPECT_EQ(0, eng_rd64(0, VGPU_PF_ENG_RAN_NS));
	ASSERT_EQ(0, vgpu_dma_unmap(d, iova, GATE_LEN + 4096));
	vgpu_dma_free(dma, GATE_LEN + 4096);
	free(ref);
}

/* Queue @n FILLs of @len at DATA_OFF and a fence with value @fence. */
static int queue_fills(struct vgpu_dev *d, unsigned int n, __u64 len,
		       __u64 fence)
{
	struct vgpu_cmd c = vgpu_cmd_fill(DATA_OFF, len, 0x01020304);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = vgpu_ring_put(d, &c, 1);
	c = vgpu_cmd_fence(FENCE_OFF, fence, false);
	if (!ret)
		ret = vgpu_ring_put(d, &c, 1);
	return ret ? ret : vgpu_ring_doorbell(d);
}

TEST_F(pf, budget_ends_run_with_work_left)
{
	const __u64 unit = UNIT_BYTES;
	struct vgpu_dev *d;
	unsigned int i;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	ASSERT_EQ(0, queue_fills(d, 1, 64 * unit, 1));

	/* A budget of 1 ns: one unit per run. */
	for (i = 1; i <= 3; i++) {
		EXPECT_EQ(VGPU_PF_ENG_STATUS_WORK_LEFT, eng_run(0, 1, 1));
		EXPECT_LT(0, eng_rd64(0, VGPU_PF_ENG_RAN_NS));
		EXPECT_EQ(i * unit, vf_rd64(1, VGPU_PF_VF_BYTES));
		EXPECT_EQ(0, vgpu_read64(d, VGPU_REG_COMPLETED));
		EXPECT_EQ(VGPU_PF_VF_STATUS_HAS_WORK |
			  VGPU_PF_VF_STATUS_PROVISIONED,
			  vf_rd32(1, VGPU_PF_VF_STATUS));
	}
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(64 * unit, vf_rd64(1, VGPU_PF_VF_BYTES));
	EXPECT_EQ(1, vgpu_read64(d, VGPU_REG_FENCE));
	EXPECT_EQ(2, vf_rd64(1, VGPU_PF_VF_COMMANDS));
}

TEST_F(pf, vf_preempt_ends_next_run)
{
	const __u64 unit = UNIT_BYTES;
	struct vgpu_dev *d;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	ASSERT_EQ(0, queue_fills(d, 1, 64 * unit, 1));

	/* Written while the VF is not running: kept for its next run. */
	vf_wr32(1, VGPU_PF_VF_PREEMPT, 1);
	usleep(10000);
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_BYTES));
	EXPECT_EQ(VGPU_PF_ENG_STATUS_WORK_LEFT, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(unit, vf_rd64(1, VGPU_PF_VF_BYTES));
	/* Used up: the next run goes on to the end. */
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(1, vgpu_read64(d, VGPU_REG_FENCE));
	EXPECT_EQ(64 * unit, vf_rd64(1, VGPU_PF_VF_BYTES));
}

/* Many large FILLs: a run of a second or more on any machine. */
#define LONG_FILLS	200
#define LONG_LEN	(WIN_SIZE - DATA_OFF)

/* Queue the long job on @d and start it on engine @e. */
static int start_long_run(struct vgpu_dev *d, unsigned int n, unsigned int e)
{
	int ret = queue_fills(d, LONG_FILLS, LONG_LEN, 1);

	if (ret)
		return ret;
	eng_wr64(e, VGPU_PF_ENG_BUDGET_NS, 60000000000ULL);
	eng_wr32(e, VGPU_PF_ENG_RUN, n);
	return 0;
}

TEST_F(pf, engine_preempt_and_run_refusals)
{
	struct vgpu_dev *d;
	__u64 t0, commands;
	__u32 st;

	ASSERT_EQ(0, vf_provision_std(1, 0x3));
	ASSERT_EQ(0, vf_provision_std(2, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];

	/* Refused RUNs "end" at once: REFUSED, RAN_NS 0, the ENGINE IRQ. */
	wr32(VGPU_PF_REG_IRQ_STATUS, ~0u);
	EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(0, 0, 1000));
	EXPECT_EQ(0, eng_rd64(0, VGPU_PF_ENG_RAN_NS));
	EXPECT_EQ(VGPU_PF_IRQ_ENGINE, rd32(VGPU_PF_REG_IRQ_STATUS));
	EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(0, pf.nr_vfs + 1, 1000));
	vf_wr32(3, VGPU_PF_VF_CTRL, 0);
	EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(0, 3, 1000))
		TH_LOG("an unprovisioned VF ran");
	EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(1, 2, 1000))
		TH_LOG("VF 2 ran on an engine outside its mask");
	if (pf.nr_engines > 2)
		EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(2, 1, 1000))
			TH_LOG("VF 1 ran on an engine outside its mask");

	/* A long run on engine 0. */
	ASSERT_EQ(0, start_long_run(d, 1, 0));
	usleep(20000);
	st = eng_rd32(0, VGPU_PF_ENG_STATUS);
	ASSERT_EQ(VGPU_PF_ENG_STATUS_BUSY, st)
		TH_LOG("the long run ended within 20 ms");
	EXPECT_TRUE(vf_rd32(1, VGPU_PF_VF_STATUS) & VGPU_PF_VF_STATUS_RUNNING);
	/* The VF on a second engine, another VF on the busy engine: refused. */
	EXPECT_EQ(VGPU_PF_ENG_STATUS_REFUSED, eng_run(1, 1, 1000))
		TH_LOG("VF 1 ran on two engines at once");
	eng_wr32(0, VGPU_PF_ENG_RUN, 2);
	EXPECT_EQ(VGPU_PF_ENG_STATUS_BUSY | VGPU_PF_ENG_STATUS_REFUSED,
		  eng_rd32(0, VGPU_PF_ENG_STATUS));

	/* PREEMPT ends the run at the next unit boundary. */
	t0 = now_ms();
	eng_wr32(0, VGPU_PF_ENG_PREEMPT, 1);
	st = eng_wait(0, WAIT_MS);
	EXPECT_GT(t0 + 500, now_ms()) TH_LOG("PREEMPT took %llu ms",
					     (unsigned long long)(now_ms() - t0));
	EXPECT_EQ(VGPU_PF_ENG_STATUS_WORK_LEFT, st);
	EXPECT_EQ(1, eng_rd32(0, VGPU_PF_ENG_VF));
	EXPECT_LT(0, eng_rd64(0, VGPU_PF_ENG_RAN_NS));
	commands = vf_rd64(1, VGPU_PF_VF_COMMANDS);
	EXPECT_GT(LONG_FILLS, commands);
	EXPECT_EQ(commands, vgpu_read64(d, VGPU_REG_COMPLETED));
	EXPECT_EQ(VGPU_PF_VF_STATUS_HAS_WORK | VGPU_PF_VF_STATUS_PROVISIONED,
		  vf_rd32(1, VGPU_PF_VF_STATUS));
	/* PREEMPT of an idle engine is not kept. */
	eng_wr32(0, VGPU_PF_ENG_PREEMPT, 1);
	ASSERT_EQ(0, vgpu_write32(d, VGPU_REG_RESET, VGPU_RESET_RING_MAGIC));
	ASSERT_EQ(0, vgpu_ring_init(d, 0, RING_ENTRIES));
	ASSERT_EQ(0, queue_fills(d, 1, 4 * UNIT_BYTES, 9));
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(9, vgpu_read64(d, VGPU_REG_FENCE));
}

/*
 * A run preempted while a work unit waits for its DMA: the unit is dropped
 * without a trace and done again by a later run, so the result is exact.
 */
TEST_F(pf, dma_units_survive_preemption)
{
	const __u64 len = 4 * MIB, iova = VGPU_IOVA_BASE;
	const unsigned int copies = 16;
	struct vgpu_cmd c;
	struct vgpu_dev *d;
	unsigned int i, runs = 0, preempted = 0;
	__u8 *dma;
	__u32 st;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	dma = vgpu_dma_alloc(len);
	ASSERT_NE(NULL, dma);
	rnd_fill(dma, len);
	ASSERT_EQ(0, vgpu_dma_map(d, dma, len, iova));
	c = vgpu_cmd_copy(iova, DATA_OFF, len, VGPU_CMD_SRC_SYS);
	for (i = 0; i < copies; i++)
		ASSERT_EQ(0, vgpu_ring_put(d, &c, 1));
	c = vgpu_cmd_fence(FENCE_OFF, 5, false);
	ASSERT_EQ(0, vgpu_ring_put(d, &c, 1));
	ASSERT_EQ(0, vgpu_ring_doorbell(d));

	do {
		eng_wr64(0, VGPU_PF_ENG_BUDGET_NS, 10000000000ULL);
		eng_wr32(0, VGPU_PF_ENG_RUN, 1);
		usleep(500 + 500 * (runs % 4));
		eng_wr32(0, VGPU_PF_ENG_PREEMPT, 1);
		st = eng_wait(0, WAIT_MS);
		ASSERT_NE(~0u, st);
		if (st & VGPU_PF_ENG_STATUS_WORK_LEFT)
			preempted++;
	} while ((st & VGPU_PF_ENG_STATUS_WORK_LEFT) && ++runs < 2000);
	EXPECT_EQ(0, st);
	EXPECT_LE(2, preempted) TH_LOG("the job was never preempted");
	EXPECT_EQ(5, vgpu_read64(d, VGPU_REG_FENCE));
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(copies + 1, vf_rd64(1, VGPU_PF_VF_COMMANDS));
	EXPECT_EQ(0, memcmp(dma, win(d) + DATA_OFF, len));
	TH_LOG("%u runs, %u preempted", runs + 1, preempted);
	ASSERT_EQ(0, vgpu_dma_unmap(d, iova, len));
	vgpu_dma_free(dma, len);
}

/* ---- BAR2, resets, isolation ------------------------------------------------ */

TEST_F(pf, bar2_window_and_beyond)
{
	const __u64 size = WIN_SIZE / 2;	/* leaves BAR2 beyond it */
	struct vgpu_dev *d;

	ASSERT_EQ(VGPU_PF_VF_CTRL_PROVISIONED, vf_provision(1, 0, size, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	ASSERT_EQ(pf.bar2_size, d->window_size);
	ASSERT_EQ(0, vf_provision_std(2, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 2));

	mmio_wr32(win(d) + DATA_OFF, 0x11223344);
	EXPECT_EQ(0x11223344, mmio_rd32(win(d) + DATA_OFF));
	mmio_wr32(win(d) + (size - 4), 0x55667788);
	EXPECT_EQ(0x55667788, mmio_rd32(win(d) + (size - 4)));
	/* Past the window: reads 0, writes go nowhere. */
	mmio_wr32(win(d) + size, 0xdeadbeef);
	EXPECT_EQ(0, mmio_rd32(win(d) + size));
	mmio_wr32(win(d) + (pf.bar2_size - 4), 0xdeadbeef);
	EXPECT_EQ(0, mmio_rd32(win(d) + (pf.bar2_size - 4)));
	/* ...and did not land in device memory after it, nor in VF 2's. */
	vf_wr32(1, VGPU_PF_VF_CTRL, 0);
	ASSERT_EQ(VGPU_PF_VF_CTRL_PROVISIONED, vf_provision(1, 0, 2 * size, 0x1));
	EXPECT_TRUE(all_bytes(win(d) + size, size, 0));
	EXPECT_TRUE(all_bytes(win(self->vf[2]), WIN_SIZE, 0));

	/* Unprovisioned: all of BAR2 reads 0; the window's data is kept. */
	vf_wr32(1, VGPU_PF_VF_CTRL, 0);
	EXPECT_EQ(0, mmio_rd32(win(d) + DATA_OFF));
	mmio_wr32(win(d) + DATA_OFF, 0x99999999);
	EXPECT_EQ(0, mmio_rd32(win(d) + DATA_OFF));
	ASSERT_EQ(VGPU_PF_VF_CTRL_PROVISIONED, vf_provision(1, 0, size, 0x1));
	EXPECT_EQ(0x11223344, mmio_rd32(win(d) + DATA_OFF));
	EXPECT_EQ(0x55667788, mmio_rd32(win(d) + (size - 4)));

	/* SCRUB zeroes the whole window. */
	vf_wr32(1, VGPU_PF_VF_SCRUB, VGPU_PF_SCRUB_MAGIC);
	EXPECT_TRUE(all_bytes(win(d), size, 0));
}

/* ---- Dirty page logs (1.2) ---------------------------------------------- */

/* STATE_CMD @cmd on VF @n with STATE_ARG @arg: its STATE_RESULT. */
static __u32 state_cmd(unsigned int n, __u32 cmd, __u32 arg)
{
	wr32(VGPU_PF_REG_STATE_VF, n);
	wr32(VGPU_PF_REG_STATE_ARG, arg);
	wr32(VGPU_PF_REG_STATE_CMD, cmd);
	return rd32(VGPU_PF_REG_STATE_RESULT);
}

/*
 * DIRTY of VF @n's first chunk, its log copied to @log (one bit per page):
 * the pages reported, or -STATE_RESULT.
 */
static int dirty_log(unsigned int n, __u8 *log)
{
	__u32 res = state_cmd(n, VGPU_PF_STATE_CMD_DIRTY, 0);
	unsigned int i, w, count = 0;

	if (res)
		return -(int)res;
	for (i = 0; i < VGPU_PF_STATE_PAGE_SIZE; i += 4) {
		w = rd32(VGPU_PF_STATE_PAGE + i);
		memcpy(log + i, &w, 4);
		count += __builtin_popcount(w);
	}
	if (count != rd32(VGPU_PF_REG_STATE_COUNT))
		return -1000;
	return count;
}

static bool page_dirty(const __u8 *log, __u64 off)
{
	return log[off / 4096 / 8] & (1u << (off / 4096 % 8));
}

TEST_F(pf, dirty_log_records_every_writer)
{
	const unsigned int pages = WIN_SIZE / 4096;
	__u8 log[VGPU_PF_STATE_PAGE_SIZE];
	struct vgpu_dev *d;
	__u64 off;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, vf_provision_std(2, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	ASSERT_EQ(0, open_vf(self->vf, 2));
	d = self->vf[1];
	/* Refusals. */
	EXPECT_EQ(VGPU_PF_STATE_ERR_TRACK,
		  state_cmd(1, VGPU_PF_STATE_CMD_DIRTY, 0));
	EXPECT_EQ(VGPU_PF_STATE_ERR_CMD, state_cmd(1, 6, 0));
	EXPECT_EQ(VGPU_PF_STATE_ERR_VF,
		  state_cmd(3, VGPU_PF_STATE_CMD_TRACK_START, 0));
	EXPECT_EQ(VGPU_PF_STATE_ERR_VF,
		  state_cmd(0, VGPU_PF_STATE_CMD_TRACK_START, 0));
	ASSERT_EQ(0, state_cmd(1, VGPU_PF_STATE_CMD_TRACK_START, 0));
	EXPECT_EQ(VGPU_PF_STATE_ERR_INVALID,
		  state_cmd(1, VGPU_PF_STATE_CMD_DIRTY, 1));
	EXPECT_EQ(VGPU_PF_STATE_ERR_INVALID,
		  state_cmd(1, VGPU_PF_STATE_CMD_DIRTY,
			    VGPU_PF_DIRTY_CHUNK_PAGES));
	EXPECT_EQ(0, dirty_log(1, log));

	/* CPU writes through BAR2, reported once; VF 2's are not VF 1's. */
	mmio_wr32(win(d) + DATA_OFF + 5 * 4096 + 8, 1);
	mmio_wr32(win(d) + WIN_SIZE - 4, 2);
	mmio_wr32(win(self->vf[2]) + DATA_OFF, 3);
	EXPECT_EQ(2, dirty_log(1, log));
	EXPECT_TRUE(page_dirty(log, DATA_OFF + 5 * 4096));
	EXPECT_TRUE(page_dirty(log, WIN_SIZE - 4096));
	EXPECT_EQ(0, log[pages / 8]);
	EXPECT_EQ(0, dirty_log(1, log));

	/* The VF's commands: four units of FILL and the fence. */
	ASSERT_EQ(0, queue_fills(d, 1, 4 * UNIT_BYTES, 1));
	EXPECT_LE(0, dirty_log(1, log));	/* the ring entries written */
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_LE(4 * UNIT_BYTES / 4096 + 1, dirty_log(1, log));
	for (off = DATA_OFF; off < DATA_OFF + 4 * UNIT_BYTES; off += 4096)
		ASSERT_TRUE(page_dirty(log, off)) TH_LOG("page %#llx", off);
	EXPECT_TRUE(page_dirty(log, FENCE_OFF));
	EXPECT_FALSE(page_dirty(log, WIN_SIZE - 4096));

	/* A scrub writes every page. */
	vf_wr32(1, VGPU_PF_VF_SCRUB, VGPU_PF_SCRUB_MAGIC);
	EXPECT_EQ(pages, dirty_log(1, log));

	/* TRACK_STOP, unprovisioning and a new TRACK_START. */
	EXPECT_EQ(0, state_cmd(1, VGPU_PF_STATE_CMD_TRACK_STOP, 0));
	EXPECT_EQ(VGPU_PF_STATE_ERR_TRACK,
		  state_cmd(1, VGPU_PF_STATE_CMD_DIRTY, 0));
	ASSERT_EQ(0, state_cmd(1, VGPU_PF_STATE_CMD_TRACK_START, 0));
	mmio_wr32(win(d) + DATA_OFF, 4);
	ASSERT_EQ(0, state_cmd(1, VGPU_PF_STATE_CMD_TRACK_START, 0));
	EXPECT_EQ(0, dirty_log(1, log));	/* START clears the log */
	vf_wr32(1, VGPU_PF_VF_CTRL, 0);
	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	EXPECT_EQ(VGPU_PF_STATE_ERR_TRACK,
		  state_cmd(1, VGPU_PF_STATE_CMD_DIRTY, 0));
}

TEST_F(pf, flr_zeroes_window_and_tells_pf)
{
	struct vgpu_dev *d;
	__u64 resets;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	ASSERT_EQ(0, queue_fills(d, 1, 4 * UNIT_BYTES, 1));
	memset(win(d) + DATA_OFF, 0x5a, 2 * MIB);
	memset(win(d) + WIN_SIZE - MIB, 0xa5, MIB);
	vf_wr32(1, VGPU_PF_VF_EVENT, ~0u);
	wr32(VGPU_PF_REG_IRQ_STATUS, ~0u);
	resets = vf_rd64(1, VGPU_PF_VF_RESETS);

	ASSERT_EQ(0, vgpu_reset(d)) TH_LOG("VFIO_DEVICE_RESET failed");
	EXPECT_TRUE(all_bytes(win(d), WIN_SIZE, 0));
	EXPECT_EQ(resets + 1, vf_rd64(1, VGPU_PF_VF_RESETS));
	EXPECT_EQ(VGPU_PF_VF_EVENT_FLR, vf_rd32(1, VGPU_PF_VF_EVENT));
	EXPECT_EQ(1, rd32(VGPU_PF_REG_VF_EVENTS));
	EXPECT_TRUE(rd32(VGPU_PF_REG_IRQ_STATUS) & VGPU_PF_IRQ_EVENT);
	/* Registers at their defaults, the queued work gone, still provisioned. */
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_RING_CTRL));
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_RING_TAIL));
	EXPECT_EQ(VGPU_STATUS_IDLE, vgpu_read32(d, VGPU_REG_STATUS));
	EXPECT_EQ(VGPU_PF_VF_STATUS_PROVISIONED, vf_rd32(1, VGPU_PF_VF_STATUS));
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(0, vf_rd64(1, VGPU_PF_VF_BYTES));

	/* The RESET register does the same without touching config space. */
	memset(win(d) + DATA_OFF, 0x5a, MIB);
	ASSERT_EQ(0, vgpu_write32(d, VGPU_REG_RESET, VGPU_RESET_MAGIC));
	EXPECT_TRUE(all_bytes(win(d) + DATA_OFF, MIB, 0));
	EXPECT_EQ(resets + 2, vf_rd64(1, VGPU_PF_VF_RESETS));
}

/*
 * A function reset and unprovisioning take the VF off its engine first: the
 * write (or VFIO_DEVICE_RESET) completes once the run has ended.
 */
TEST_F(pf, reset_and_unprovision_end_the_run)
{
	struct vgpu_dev *d;
	__u32 st;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];

	/* FLR in the middle of a long run. */
	ASSERT_EQ(0, start_long_run(d, 1, 0));
	usleep(20000);
	ASSERT_EQ(VGPU_PF_ENG_STATUS_BUSY, eng_rd32(0, VGPU_PF_ENG_STATUS));
	memset(win(d) + WIN_SIZE - MIB, 0x5a, MIB);
	ASSERT_EQ(0, vgpu_reset(d));
	st = eng_rd32(0, VGPU_PF_ENG_STATUS);
	EXPECT_EQ(0, st & VGPU_PF_ENG_STATUS_BUSY)
		TH_LOG("the run outlived the FLR");
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_STATUS) & VGPU_PF_VF_STATUS_RUNNING);
	EXPECT_TRUE(all_bytes(win(d) + WIN_SIZE - MIB, MIB, 0));
	EXPECT_EQ(0, vgpu_read64(d, VGPU_REG_COMPLETED));
	EXPECT_EQ(0, eng_wait(0, WAIT_MS));

	/* Unprovisioning in the middle of a long run. */
	ASSERT_EQ(0, vgpu_ring_init(d, 0, RING_ENTRIES));
	ASSERT_EQ(0, start_long_run(d, 1, 0));
	usleep(20000);
	ASSERT_EQ(VGPU_PF_ENG_STATUS_BUSY, eng_rd32(0, VGPU_PF_ENG_STATUS));
	vf_wr32(1, VGPU_PF_VF_CTRL, 0);
	EXPECT_EQ(0, eng_rd32(0, VGPU_PF_ENG_STATUS) &
		  VGPU_PF_ENG_STATUS_BUSY)
		TH_LOG("the run outlived unprovisioning");
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_STATUS));
	/* Registers reset as by an FLR, the window kept (it was filled). */
	EXPECT_EQ(0, vgpu_read32(d, VGPU_REG_RING_CTRL));
	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	EXPECT_EQ(0x01020304, *(__u32 *)(win(d) + DATA_OFF));
	EXPECT_EQ(0, eng_wait(0, WAIT_MS));
}

TEST_F(pf, fault_halts_only_its_vf)
{
	const __u64 len = 4 * UNIT_BYTES;
	const __u64 bad_iova = VGPU_IOVA_BASE + 0x40000000ULL;
	struct vgpu_cmd c[3];
	struct vgpu_dev *a, *b;
	__u8 *ref;
	__u32 crc;

	ASSERT_EQ(0, vf_provision_std(1, 0x3));
	ASSERT_EQ(0, vf_provision_std(2, 0x3));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	ASSERT_EQ(0, open_vf(self->vf, 2));
	a = self->vf[1];
	b = self->vf[2];
	ref = malloc(len);
	ASSERT_NE(NULL, ref);
	rnd_fill(ref, len);
	memcpy(win(b) + DATA_OFF, ref, len);
	crc = vgpu_crc32c(ref, len);
	vf_wr32(1, VGPU_PF_VF_EVENT, ~0u);

	/* VF 1: a DMA from an address the IOMMU does not map. */
	c[0] = vgpu_cmd_copy(bad_iova, DATA_OFF, len, VGPU_CMD_SRC_SYS);
	c[1] = vgpu_cmd_fence(FENCE_OFF, 1, true);
	ASSERT_EQ(0, vgpu_submit(a, c, 2));
	/* VF 2: good work. */
	c[0] = vgpu_cmd_crc(DATA_OFF, len, SCRATCH_OFF);
	c[1] = vgpu_cmd_copy(DATA_OFF, DATA_OFF + MIB, len, 0);
	c[2] = vgpu_cmd_fence(FENCE_OFF, 2, true);
	ASSERT_EQ(0, vgpu_submit(b, c, 3));

	/* Both at once, on two engines. */
	eng_wr64(0, VGPU_PF_ENG_BUDGET_NS, 10000000000ULL);
	eng_wr64(1, VGPU_PF_ENG_BUDGET_NS, 10000000000ULL);
	eng_wr32(0, VGPU_PF_ENG_RUN, 1);
	eng_wr32(1, VGPU_PF_ENG_RUN, 2);
	EXPECT_EQ(0, eng_wait(0, WAIT_MS));
	EXPECT_EQ(0, eng_wait(1, WAIT_MS));

	EXPECT_EQ(VGPU_ERR_DMA, vgpu_read32(a, VGPU_REG_ERR_CODE));
	EXPECT_EQ(0, vgpu_read32(a, VGPU_REG_ERR_INDEX));
	EXPECT_EQ(bad_iova, vgpu_read64(a, VGPU_REG_ERR_ADDR));
	EXPECT_EQ(VGPU_STATUS_HALTED, vgpu_read32(a, VGPU_REG_STATUS) &
		  (VGPU_STATUS_HALTED | VGPU_STATUS_RUNNING));
	EXPECT_EQ(0, vgpu_read64(a, VGPU_REG_FENCE));
	EXPECT_LE(1, vgpu_wait_irq(a, VGPU_MSIX_ERROR, WAIT_MS));
	EXPECT_EQ(VGPU_PF_VF_STATUS_HALTED | VGPU_PF_VF_STATUS_PROVISIONED,
		  vf_rd32(1, VGPU_PF_VF_STATUS));
	EXPECT_TRUE(vf_rd32(1, VGPU_PF_VF_EVENT) & VGPU_PF_VF_EVENT_HALT);
	EXPECT_EQ(1, vf_rd64(1, VGPU_PF_VF_ERRORS));

	EXPECT_EQ(2, vgpu_read64(b, VGPU_REG_FENCE));
	EXPECT_EQ(crc, *(__u32 *)(win(b) + SCRATCH_OFF));
	EXPECT_EQ(0, memcmp(ref, win(b) + DATA_OFF + MIB, len));
	EXPECT_EQ(0, vgpu_read32(b, VGPU_REG_ERR_CODE));
	EXPECT_EQ(0, vf_rd64(2, VGPU_PF_VF_ERRORS));
	EXPECT_LE(1, vgpu_wait_irq(b, VGPU_MSIX_COMPLETION, WAIT_MS));

	/* A halted VF runs nothing; an engine reset brings it back. */
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(0, eng_rd64(0, VGPU_PF_ENG_RAN_NS));
	ASSERT_EQ(0, vgpu_write32(a, VGPU_REG_RESET, VGPU_RESET_RING_MAGIC));
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_STATUS) & VGPU_PF_VF_STATUS_HALTED);
	ASSERT_EQ(0, vgpu_ring_init(a, 0, RING_ENTRIES));
	ASSERT_EQ(0, queue_fills(a, 1, len, 3));
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(3, vgpu_read64(a, VGPU_REG_FENCE));
	free(ref);
}

TEST_F(pf, bus_master_off_stops_execution)
{
	struct vgpu_dev *d;
	__u32 cmd;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	ASSERT_EQ(0, vgpu_cfg_read(d, PCI_COMMAND, 2, &cmd));
	ASSERT_EQ(0, vgpu_cfg_write(d, PCI_COMMAND, 2,
				    cmd & ~PCI_COMMAND_MASTER));
	vf_wr32(1, VGPU_PF_VF_EVENT, ~0u);
	ASSERT_EQ(0, queue_fills(d, 1, 4 * UNIT_BYTES, 1));
	/* No bus mastering: no work to speak of, nothing runs. */
	EXPECT_EQ(0, vf_rd32(1, VGPU_PF_VF_EVENT));
	EXPECT_EQ(VGPU_PF_VF_STATUS_PROVISIONED, vf_rd32(1, VGPU_PF_VF_STATUS));
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(0, eng_rd64(0, VGPU_PF_ENG_RAN_NS));
	EXPECT_EQ(0, vgpu_read64(d, VGPU_REG_COMPLETED));
	/* Bus mastering back on: the PF hears of the work, which then runs. */
	ASSERT_EQ(0, vgpu_cfg_write(d, PCI_COMMAND, 2,
				    cmd | PCI_COMMAND_MASTER));
	EXPECT_EQ(VGPU_PF_VF_EVENT_DOORBELL, vf_rd32(1, VGPU_PF_VF_EVENT));
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(1, vgpu_read64(d, VGPU_REG_FENCE));
}

TEST_F(pf, watchdog_unit_timeout)
{
	struct vgpu_dev *d;

	ASSERT_EQ(0, vf_provision_std(1, 0x1));
	ASSERT_EQ(0, open_vf(self->vf, 1));
	d = self->vf[1];
	wr64(VGPU_PF_REG_UNIT_TIMEOUT_NS, 1);
	EXPECT_EQ(1, rd64(VGPU_PF_REG_UNIT_TIMEOUT_NS));
	ASSERT_EQ(0, queue_fills(d, 1, 4 * UNIT_BYTES, 1));
	EXPECT_EQ(0, eng_run(0, 1, 10000000000ULL));
	EXPECT_EQ(VGPU_ERR_TIMEOUT, vgpu_read32(d, VGPU_REG_ERR_CODE));
	EXPECT_EQ(UNIT_BYTES, vf_rd64(1, VGPU_PF_VF_BYTES));
	EXPECT_EQ(1, vf_rd64(1, VGPU_PF_VF_ERRORS));
	EXPECT_TRUE(vf_rd32(1, VGPU_PF_VF_EVENT) & VGPU_PF_VF_EVENT_HALT);
	wr64(VGPU_PF_REG_UNIT_TIMEOUT_NS, 0);
}

TEST_HARNESS_MAIN
