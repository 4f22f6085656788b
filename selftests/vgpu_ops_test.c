// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operating vgpu.ko on a host, in the VM:
 *  - vgpuctl metrics --output and vgpuctl serve against the real driver:
 *    promtool accepts both, the samples are sysfs' values, created_ns shows
 *    as a timestamp of now, GET elsewhere is 404, SIGTERM ends serve with 0;
 *  - persistence: two vGPUs defined with mdevctl define --auto and knobs as
 *    mdevctl attributes come back with their knobs when the module is
 *    loaded again (udevd, mdevctl's rule and ours from dist/udev/);
 *  - the packages: with VGPU_DEB_INSTALLED=1 (make check installed them on
 *    the host whose root file system this VM boots, and purges them
 *    afterwards: scripts/dkms-check.sh), DKMS's modules are installed for
 *    the running kernel, modprobe vgpu loads them with the options of
 *    /etc/modprobe.d/vgpu.conf and the installed vgpuctl lists the
 *    parents. With VGPU_DEB_DIR (the directory of make deb's packages), the
 *    same after dpkg -i here, with the DKMS build, and dpkg --purge removes
 *    it all: 15 minutes and more under TCG. Skipped without either.
 * vgpuctl is VGPUCTL or tools/vgpuctl/vgpuctl beside selftests/; promtool
 * is PROMTOOL or the one scripts/install-deps.sh keeps in
 * /var/cache/vgpu/promtool.
 */
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"

#define PORT		"19464"
#define UDEVD		"/lib/systemd/systemd-udevd"
#define OUR_RULE	"/etc/udev/rules.d/61-vgpu-mdevctl.rules"

static char top[PATH_MAX];	/* the tree: selftests/.. */
static char tool[PATH_MAX + 32], promtool[PATH_MAX];
static char out[1 << 17];

static void find_paths(void)
{
	const char *env;
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(top, sizeof(top), "%s/..", dirname(self));
	env = getenv("VGPUCTL");
	if (env && *env)
		snprintf(tool, sizeof(tool), "%s", env);
	else
		snprintf(tool, sizeof(tool), "%s/tools/vgpuctl/vgpuctl", top);
	env = getenv("PROMTOOL");
	snprintf(promtool, sizeof(promtool), "%s",
		 env && *env ? env : "/var/cache/vgpu/promtool/promtool");
}

static long long boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Run a shell command; its exit status, its stdout and stderr in out[]. */
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " >/tmp/ops.out 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	st = system(cmd);
	f = fopen("/tmp/ops.out", "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static bool file_has(const char *path, const char *needle)
{
	return sh("grep -qF -- '%s' %s", needle, path) == 0;
}

/* The value of the sample whose line starts with @prefix, or -1. */
static double sample(const char *path, const char *prefix)
{
	char line[1024];
	double v = -1;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix)))
			v = strtod(line + strlen(prefix), NULL);
	if (f)
		fclose(f);
	return v;
}

/*
 * Reload vgpu_lib.ko from the tree if a test left it unloaded, and the VFIO
 * modules that modprobe -r vgpu takes with it.
 */
static void lib_back(void)
{
	if (path_exists("/sys/module/vgpu_lib"))
		return;
	sh("modprobe -a vfio vfio_iommu_type1 mdev");
	vgpu_load_ko("vgpu_lib.ko", "");
}

FIXTURE(ops) {
	char dir[64];
};

FIXTURE_SETUP(ops)
{
	find_paths();
	ASSERT_EQ(0, access(tool, X_OK)) TH_LOG("no vgpuctl at %s", tool);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
	snprintf(self->dir, sizeof(self->dir), "/tmp/vgpu-ops.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(ops)
{
	/* What the persistence case set up, also when it failed half-way. */
	if (!access("/run/udev/control", F_OK))
		sh("udevadm control --exit");
	sh("rm -rf /etc/mdevctl.d/vgpu0 " OUR_RULE);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	lib_back();
	sh("rm -rf %s", self->dir);
}

TEST_F_TIMEOUT(ops, metrics_file_and_http_scrape, 120)
{
	char uuid[40], prefix[256], prom[128], scrape[128];
	double created, now = (double)time(NULL);
	long long before, after, born;
	int st, i;
	pid_t pid;

	ASSERT_EQ(0, access(promtool, X_OK)) TH_LOG("no promtool at %s", promtool);
	uuid_gen(uuid);
	before = boot_ns();
	ASSERT_EQ(0, vgpu_create("split", uuid));
	after = boot_ns();
	/* created_ns is CLOCK_BOOTTIME taken while the vGPU was created. */
	born = vgpu_attr_num(uuid, "created_ns");
	EXPECT_LE(before, born);
	EXPECT_GE(after, born);
	snprintf(prefix, sizeof(prefix), MDEV_DEVICES "/%s/vgpu/weight", uuid);
	ASSERT_EQ(0, sysfs_write(prefix, "33"));

	/* The textfile: valid, with sysfs' values. */
	snprintf(prom, sizeof(prom), "%s/vgpu.prom", self->dir);
	ASSERT_EQ(0, sh("%s metrics --output %s", tool, prom)) TH_LOG("%s", out);
	ASSERT_EQ(0, sh("%s check metrics < %s", promtool, prom)) TH_LOG("%s", out);
	snprintf(prefix, sizeof(prefix),
		 "vgpu_weight{parent=\"vgpu0\",uuid=\"%s\",profile=\"split\"} ", uuid);
	EXPECT_EQ(33.0, sample(prom, prefix));
	snprintf(prefix, sizeof(prefix),
		 "vgpu_memory_window_bytes{parent=\"vgpu0\",uuid=\"%s\",profile=\"split\"} ",
		 uuid);
	EXPECT_EQ((double)vgpu_attr_num(uuid, "mem_size_bytes"), sample(prom, prefix));
	snprintf(prefix, sizeof(prefix),
		 "vgpu_state{parent=\"vgpu0\",uuid=\"%s\",profile=\"split\",state=\"running\"} ",
		 uuid);
	EXPECT_EQ(1.0, sample(prom, prefix));
	snprintf(prefix, sizeof(prefix),
		 "vgpu_created_timestamp_seconds{parent=\"vgpu0\",uuid=\"%s\",profile=\"split\"} ",
		 uuid);
	created = sample(prom, prefix);
	EXPECT_LE(now - 1, created) TH_LOG("created %.3f, now %.0f", created, now);
	EXPECT_GT(now + 60, created);
	EXPECT_TRUE(file_has(prom, "vgpu_parent_memory_free_bytes{parent=\"vgpu0\"} "));
	EXPECT_EQ(0, sh("ls -A %s | grep -v '^vgpu.prom$'", self->dir) == 0);

	/* The same over HTTP. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(tool, tool, "serve", "--listen", "127.0.0.1:" PORT, NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (!sh("curl -s -o /dev/null http://127.0.0.1:" PORT "/"))
			break;
		usleep(100000);
	}
	snprintf(scrape, sizeof(scrape), "%s/scrape.prom", self->dir);
	EXPECT_EQ(0, sh("test \"$(curl -s -o %s -w '%%{http_code}' http://127.0.0.1:"
			PORT "/metrics)\" = 200", scrape)) TH_LOG("%s", out);
	EXPECT_EQ(0, sh("%s check metrics < %s", promtool, scrape)) TH_LOG("%s", out);
	snprintf(prefix, sizeof(prefix),
		 "vgpu_weight{parent=\"vgpu0\",uuid=\"%s\",profile=\"split\"} ", uuid);
	EXPECT_EQ(33.0, sample(scrape, prefix));
	EXPECT_EQ(0, sh("test \"$(curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:"
			PORT "/metrics/x)\" = 404"));
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status 0x%x", st);
}

/* The knob @name of mdev vGPU @uuid, as a string. */
static const char *knob(const char *uuid, const char *name)
{
	static char buf[64];
	char path[256];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/%s", uuid, name);
	if (sysfs_read(path, buf, sizeof(buf)))
		return "(none)";
	return buf;
}

/*
 * mdevctl define --auto a vGPU of vgpu0 with two attributes ATTR=VALUE;
 * 0 or the failing command's status (its output in out[]).
 */
static int mdevctl_define(const char *uuid, const char *type,
			  const char *attr1, const char *attr2)
{
	const char *eq, *attrs[2];
	int i, ret;

	attrs[0] = attr1;
	attrs[1] = attr2;
	ret = sh("mdevctl define --uuid %s --parent vgpu0 --type vgpu-%s --auto",
		 uuid, type);
	for (i = 0; !ret && i < 2; i++) {
		eq = strchr(attrs[i], '=');
		ret = sh("mdevctl modify --uuid %s --addattr=%.*s --value=%s", uuid,
			 (int)(eq - attrs[i]), attrs[i], eq + 1);
	}
	return ret;
}

TEST_F_TIMEOUT(ops, mdevctl_brings_vgpus_back_with_their_knobs, 180)
{
	char a[40], b[40];
	int i;

	ASSERT_EQ(0, access("/usr/bin/mdevctl", X_OK));
	ASSERT_EQ(0, access(UDEVD, X_OK));
	uuid_gen(a);
	uuid_gen(b);
	/* Our rule as vgpu-tools installs it, then udevd for new events. */
	ASSERT_EQ(0, sh("mkdir -p /etc/udev/rules.d && cp %s/dist/udev/61-vgpu-mdevctl.rules "
			OUR_RULE, top)) TH_LOG("%s", out);
	ASSERT_EQ(0, sh(UDEVD " --daemon")) TH_LOG("%s", out);
	ASSERT_EQ(0, mdevctl_define(a, "split", "vgpu/weight=20", "vgpu/priority=high"));
	ASSERT_EQ(0, mdevctl_define(b, "shared", "vgpu/cap_permille=500",
				    "vgpu/guarantee_permille=100"));
	/* Defined, not started: nothing exists yet. */
	EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", a));

	ASSERT_EQ(0, vgpu_unload());
	ASSERT_EQ(0, vgpu_load(""));
	for (i = 0; i < 300; i++) {
		if (path_exists(MDEV_DEVICES "/%s/vgpu", a) &&
		    path_exists(MDEV_DEVICES "/%s/vgpu", b) &&
		    !strcmp(knob(b, "guarantee_permille"), "100"))
			break;
		usleep(100000);
	}
	sh("udevadm settle -t 30");
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s/vgpu", a));
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s/vgpu", b));
	EXPECT_EQ(2, sysfs_num(VGPU_PARENT "/vgpus"));
	EXPECT_STREQ("split", knob(a, "profile"));
	EXPECT_STREQ("20", knob(a, "weight"));
	EXPECT_STREQ("high", knob(a, "priority"));
	EXPECT_STREQ("shared", knob(b, "profile"));
	EXPECT_STREQ("500", knob(b, "cap_permille"));
	EXPECT_STREQ("100", knob(b, "guarantee_permille"));
	EXPECT_STREQ("running", knob(b, "state"));

	EXPECT_EQ(0, sh("mdevctl undefine --uuid %s && mdevctl undefine --uuid %s", a, b));
}

TEST_F_TIMEOUT(ops, packages_install_with_dkms_load_and_purge, 1800)
{
	const char *debs = getenv("VGPU_DEB_DIR");
	const char *installed = getenv("VGPU_DEB_INSTALLED");
	time_t t0;
	FILE *f;

	if ((!debs || !*debs) && (!installed || strcmp(installed, "1")))
		SKIP(return, "neither VGPU_DEB_DIR nor VGPU_DEB_INSTALLED=1");
	vgpu_unload();
	ASSERT_EQ(0, sh("rmmod vgpu_lib")) TH_LOG("%s", out);

	if (debs && *debs) {
		t0 = time(NULL);
		ASSERT_EQ(0, sh("dpkg -i %s/vgpu-dkms_*_all.deb %s/vgpu-tools_*.deb",
				debs, debs)) TH_LOG("%s", out);
		TH_LOG("dpkg -i with the DKMS build: %lld s",
		       (long long)(time(NULL) - t0));
	}
	EXPECT_EQ(0, sh("dkms status vgpu | grep -q \"$(uname -r).*installed\""))
		TH_LOG("%s", out);
	EXPECT_EQ(0, sh("modinfo -n vgpu-vfio-pci | grep -q /updates/dkms/"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, sh("modinfo -n vgpu | grep -q /updates/dkms/")) TH_LOG("%s", out);
	EXPECT_EQ(0, sh("modinfo -n vgpu_lib | grep -q /updates/dkms/")) TH_LOG("%s", out);
	EXPECT_TRUE(path_exists("/etc/modprobe.d/vgpu.conf"));
	EXPECT_TRUE(path_exists("/lib/udev/rules.d/61-vgpu-mdevctl.rules"));
	EXPECT_TRUE(path_exists("/lib/systemd/system/vgpu-metrics.service"));
	EXPECT_FALSE(path_exists("/etc/systemd/system/%s",
				 "multi-user.target.wants/vgpu-metrics.service"));

	/* Options from /etc/modprobe.d/vgpu.conf: two sim parents. */
	f = fopen("/etc/modprobe.d/vgpu.conf", "a");
	ASSERT_NE(NULL, f);
	fputs("options vgpu num_devices=2 num_engines=4\n", f);
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, sh("modprobe vgpu")) TH_LOG("%s", out);
	EXPECT_EQ(0, sh("grep -l sim /sys/class/vgpu/*/backend | wc -l | grep -qx 2"))
		TH_LOG("%s", out);
	EXPECT_EQ(4, sysfs_num(VGPU_PARENT "/engines_total"));
	EXPECT_EQ(0, sh("/usr/sbin/vgpuctl list")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "vgpu1"));
	EXPECT_EQ(0, sh("modprobe -r vgpu")) TH_LOG("%s", out);
	EXPECT_FALSE(path_exists("/sys/module/vgpu_lib"));

	if (!debs || !*debs)
		return;	/* make check purges them on the host */
	t0 = time(NULL);
	ASSERT_EQ(0, sh("dpkg --purge vgpu-tools vgpu-dkms")) TH_LOG("%s", out);
	TH_LOG("dpkg --purge: %lld s", (long long)(time(NULL) - t0));
	EXPECT_NE(0, sh("modinfo vgpu"));
	EXPECT_NE(0, sh("ls /lib/modules/$(uname -r)/updates/dkms/vgpu*"));
	EXPECT_NE(0, sh("ls -d /usr/src/vgpu-*"));
	EXPECT_NE(0, sh("dkms status vgpu | grep -q ."));
	EXPECT_FALSE(path_exists("/etc/modprobe.d/vgpu.conf"));
	EXPECT_FALSE(path_exists("/usr/sbin/vgpuctl"));
}

TEST_HARNESS_MAIN
