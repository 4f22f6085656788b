// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl against the real driver in the VM: list --json matches sysfs,
 * create --count prints UUIDs that exist, set changes a knob and a bad or
 * refused value changes nothing with one message and a non-zero exit,
 * remove removes, usage --json agrees with busy_ns after real work,
 * top --once --json reads, and, in a VM with the SR-IOV model
 * (vm-run.sh --vgpu-pf), the same for the VFs of a PF parent. The tool is
 * VGPUCTL, else
 * tools/vgpuctl/vgpuctl beside this binary's selftests/ directory.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <time.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"
#include "vgpu_vfio.h"

#define RING_OFF	0
#define A_OFF		0x100000
#define B_OFF		0x200000
#define C_OFF		0x300000
#define MICRO		0.000001	/* tolerance of the tool's rounding */

static char tool[PATH_MAX];
static char out_buf[65536], err_buf[4096];

static void find_tool(void)
{
	const char *env = getenv("VGPUCTL");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(tool, sizeof(tool), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		n = 0;
	self[n] = '\0';
	snprintf(tool, sizeof(tool), "%s/../tools/vgpuctl/vgpuctl",
		 dirname(self));
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Run vgpuctl with @args; its exit status, stdout in out_buf, stderr in err_buf. */
static int ctl(const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s >/tmp/vgpuctl.out 2>/tmp/vgpuctl.err",
		 tool, args);
	st = system(cmd);
	slurp("/tmp/vgpuctl.out", out_buf, sizeof(out_buf));
	slurp("/tmp/vgpuctl.err", err_buf, sizeof(err_buf));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static long long boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *f = NULL;

	json_object_object_get_ex(o, k, &f);
	return f;
}

static long long num(struct json_object *o, const char *k)
{
	struct json_object *f = get(o, k);

	return f ? json_object_get_int64(f) : -1;
}

static struct json_object *parent0(struct json_object *root)
{
	struct json_object *a = get(root, "parents");
	struct json_object *p;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		p = json_object_array_get_idx(a, i);
		if (!strcmp(json_object_get_string(get(p, "name")), "vgpu0"))
			return p;
	}
	return NULL;
}

FIXTURE(ctl) {
	char marks[64];
	char pf[32];	/* PCI address of a vgpu PF whose VFs a test enabled */
};

FIXTURE_SETUP(ctl)
{
	find_tool();
	ASSERT_EQ(0, access(tool, X_OK)) TH_LOG("no vgpuctl at %s", tool);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
	snprintf(self->marks, sizeof(self->marks), "/tmp/vgpuctl-marks.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->marks));
	setenv("VGPUCTL_MARK_DIR", self->marks, 1);
}

FIXTURE_TEARDOWN(ctl)
{
	char cmd[128];

	if (self->pf[0]) {
		snprintf(cmd, sizeof(cmd), "/sys/bus/pci/devices/%s/sriov_numvfs",
			 self->pf);
		EXPECT_EQ(0, sysfs_write(cmd, "0"));
	}
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->marks);
	if (system(cmd))
		;
}

TEST_F(ctl, list_json_matches_sysfs)
{
	static const char *const types[] = { "dedicated", "split", "shared" };
	struct json_object *root, *p, *t, *v;
	char uuid[40], buf[64];
	size_t i, j;
	bool seen[3] = { false };

	uuid_gen(uuid);
	ASSERT_EQ(0, vgpu_create("split", uuid));
	ASSERT_EQ(0, ctl("list --json"));
	EXPECT_STREQ("", err_buf);
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %.200s", out_buf);
	p = parent0(root);
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("sim", json_object_get_string(get(p, "backend")));
	EXPECT_EQ(sysfs_num(VGPU_PARENT "/mem_free_bytes"), num(p, "mem_free_bytes"));
	EXPECT_EQ(sysfs_num(VGPU_PARENT "/mem_total_bytes"), num(p, "mem_total_bytes"));
	EXPECT_EQ(sysfs_num(VGPU_PARENT "/engines_free"), num(p, "engines_free"));
	EXPECT_EQ(1, num(p, "vgpus"));
	ASSERT_EQ(0, sysfs_read(VGPU_PARENT "/sched_policy", buf, sizeof(buf)));
	EXPECT_STREQ(buf, json_object_get_string(get(p, "sched_policy")));
	EXPECT_EQ(sysfs_num(VGPU_PARENT "/engines_total"),
		  (long long)json_object_array_length(get(p, "engine_utilization_permille")));
	for (i = 0; i < json_object_array_length(get(p, "types")); i++) {
		t = json_object_array_get_idx(get(p, "types"), i);
		for (j = 0; j < 3; j++) {
			if (strcmp(types[j], json_object_get_string(get(t, "name"))))
				continue;
			seen[j] = true;
			EXPECT_EQ(vgpu_available(types[j]), num(t, "available_instances"));
		}
	}
	EXPECT_TRUE(seen[0] && seen[1] && seen[2]);
	ASSERT_EQ(1, (int)json_object_array_length(get(p, "instances")));
	v = json_object_array_get_idx(get(p, "instances"), 0);
	EXPECT_STREQ(uuid, json_object_get_string(get(v, "id")));
	EXPECT_STREQ("mdev", json_object_get_string(get(v, "kind")));
	EXPECT_STREQ("split", json_object_get_string(get(v, "profile")));
	EXPECT_STREQ("running", json_object_get_string(get(v, "state")));
	EXPECT_EQ(vgpu_attr_num(uuid, "mem_size_bytes"), num(v, "mem_size_bytes"));
	EXPECT_EQ(vgpu_attr_num(uuid, "mem_offset_bytes"), num(v, "mem_offset_bytes"));
	EXPECT_EQ(vgpu_attr_num(uuid, "partition_users"), num(v, "partition_users"));
	EXPECT_EQ(vgpu_attr_num(uuid, "weight"), num(v, "weight"));
	json_object_put(root);

	/* Text output names it too; a bad parent is one message. */
	ASSERT_EQ(0, ctl("list"));
	EXPECT_NE(NULL, strstr(out_buf, uuid));
	EXPECT_EQ(2, ctl("list vgpu01"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(1, ctl("list vgpu99"));
	EXPECT_EQ(1, lines(err_buf));
}

TEST_F(ctl, create_count_prints_uuids_that_exist)
{
	long long avail = vgpu_available("split"), mem;
	char *line, *save = NULL, ids[3][40];
	int n = 0;

	ASSERT_EQ(0, ctl("create --type split --count 3"));
	EXPECT_STREQ("", err_buf);
	EXPECT_EQ(3, lines(out_buf));
	for (line = strtok_r(out_buf, "\n", &save); line && n < 3;
	     line = strtok_r(NULL, "\n", &save)) {
		snprintf(ids[n++], 40, "%s", line);
		EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s/vgpu", line)) TH_LOG("%s", line);
	}
	ASSERT_EQ(3, n);
	EXPECT_EQ(avail - 3, vgpu_available("split"));
	EXPECT_EQ(3, sysfs_num(VGPU_PARENT "/vgpus"));
	/* Created with a usage mark each. */
	EXPECT_TRUE(path_exists("%s/%s", getenv("VGPUCTL_MARK_DIR"), ids[0]));

	/* More than there is room for: nothing created, one message. */
	avail = vgpu_available("dedicated");
	mem = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	EXPECT_EQ(1, ctl("create --type dedicated --count %lld", avail + 1));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_STREQ("", out_buf);
	EXPECT_EQ(avail, vgpu_available("dedicated"));
	EXPECT_EQ(mem, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
	EXPECT_EQ(3, sysfs_num(VGPU_PARENT "/vgpus"));

	EXPECT_EQ(1, ctl("create --type nosuch"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(2, ctl("create --type split --count 0"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(2, ctl("create --type split --count 3x"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(2, ctl("create"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(2, ctl("frobnicate"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(3, sysfs_num(VGPU_PARENT "/vgpus"));

	/* --json prints the same kind of list. */
	ASSERT_EQ(0, ctl("create --type shared --json"));
	EXPECT_NE(NULL, strstr(out_buf, "\"created\""));
	EXPECT_EQ(4, sysfs_num(VGPU_PARENT "/vgpus"));
}

/* How often "KEY": VALUE appears in the JSON text @json. */
static int count_key_value(const char *json, const char *key, int value)
{
	char needle[64];
	int n = 0, v;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	while ((json = strstr(json, needle))) {
		json += strlen(needle);
		n += sscanf(json, " %d", &v) == 1 && v == value;
	}
	return n;
}

TEST_F(ctl, set_changes_a_knob_and_bad_values_change_nothing)
{
	char a[40], b[40], c[40], buf[64];

	uuid_gen(a);
	uuid_gen(b);
	uuid_gen(c);
	/* Three split vGPUs share one partition of 2 engines. */
	ASSERT_EQ(0, vgpu_create("split", a));
	ASSERT_EQ(0, vgpu_create("split", b));
	ASSERT_EQ(0, vgpu_create("split", c));
	ASSERT_EQ(vgpu_attr_num(a, "partition"), vgpu_attr_num(c, "partition"));

	ASSERT_EQ(0, ctl("set %s weight=30 priority=high", a));
	EXPECT_STREQ("", err_buf);
	EXPECT_EQ(30, vgpu_attr_num(a, "weight"));

	/* Out of range: exit 2, one message, nothing changed. */
	EXPECT_EQ(2, ctl("set %s weight=500", a));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(30, vgpu_attr_num(a, "weight"));
	EXPECT_EQ(2, ctl("set %s cap=100 weight=0", a));
	EXPECT_EQ(1000, vgpu_attr_num(a, "cap_permille"));
	EXPECT_EQ(2, ctl("set %s colour=blue", a));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(2, ctl("set %s policy=equal_share", a));
	EXPECT_EQ(1, lines(err_buf));

	/* A refusal of the kernel: guarantees past 1000 (ENOSPC). */
	ASSERT_EQ(0, ctl("set %s guarantee=500", a));
	ASSERT_EQ(0, ctl("set %s guarantee=500", b));
	EXPECT_EQ(1, ctl("set %s weight=40 guarantee=1", c));
	EXPECT_EQ(1, lines(err_buf)) TH_LOG("%s", err_buf);
	EXPECT_EQ(0, vgpu_attr_num(c, "guarantee_permille"));
	EXPECT_EQ(10, vgpu_attr_num(c, "weight")) TH_LOG("the weight written first was not undone");

	/* Parent knobs. */
	ASSERT_EQ(0, ctl("set vgpu0 policy=equal_share timeslice_us=5000"));
	ASSERT_EQ(0, sysfs_read(VGPU_PARENT "/sched_policy", buf, sizeof(buf)));
	EXPECT_STREQ("equal_share", buf);
	EXPECT_EQ(5000, sysfs_num(VGPU_PARENT "/timeslice_us"));
	EXPECT_EQ(2, ctl("set vgpu0 policy=fastest"));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(2, ctl("set vgpu0 timeslice_us=99"));
	EXPECT_EQ(5000, sysfs_num(VGPU_PARENT "/timeslice_us"));
	EXPECT_EQ(1, ctl("set vgpu7 policy=best_effort"));
	EXPECT_EQ(1, lines(err_buf));

	/* Peer groups: joined, shown in the JSON list; out of range. */
	ASSERT_EQ(0, ctl("set %s peer_group=9", a));
	ASSERT_EQ(0, ctl("set %s peer_group=9", b));
	EXPECT_EQ(9, vgpu_attr_num(b, "peer_group"));
	EXPECT_EQ(1, vgpu_attr_num(b, "peer_id"));
	EXPECT_EQ(0, ctl("list --json"));
	EXPECT_EQ(2, count_key_value(out_buf, "peer_group", 9));
	EXPECT_EQ(2, ctl("set %s peer_group=65536", a));
	EXPECT_EQ(9, vgpu_attr_num(a, "peer_group"));

	/* Pause and resume through the state knob. */
	ASSERT_EQ(0, ctl("set %s state=pause", b));
	EXPECT_EQ(0, ctl("list --json"));
	EXPECT_NE(NULL, strstr(out_buf, "\"paused\""));
	ASSERT_EQ(0, ctl("set %s state=resume", b));
}

TEST_F(ctl, remove_removes)
{
	char a[40], b[40];

	uuid_gen(a);
	uuid_gen(b);
	ASSERT_EQ(0, vgpu_create("shared", a));
	ASSERT_EQ(0, vgpu_create("shared", b));
	ASSERT_EQ(0, ctl("remove %s", a));
	EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", a));
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s", b));
	/* An unknown ID among good ones removes nothing. */
	EXPECT_NE(0, ctl("remove %s %s", b, a));
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s", b));
	EXPECT_EQ(2, ctl("remove not-a-uuid"));
	EXPECT_EQ(1, lines(err_buf));
	ASSERT_EQ(0, ctl("remove %s", b));
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
}

/* Run GEMMs on @uuid until it has run at least 20 ms. */
static int run_work(const char *uuid)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(A_OFF, B_OFF, C_OFF, 64, 64, 4096);
	struct vgpu_cmd f = vgpu_cmd_fence(C_OFF + 64 * 64 * 4, 1, false);
	struct vgpu_dev *d;
	int i, ret;

	ret = vgpu_dev_open(uuid, &d);
	if (ret)
		return ret;
	ret = vgpu_ring_init(d, RING_OFF, 64);
	memset((char *)d->window + A_OFF, 1, 64 * 4096);
	memset((char *)d->window + B_OFF, 1, 4096 * 64);
	for (i = 0; !ret && i < 4; i++)
		ret = vgpu_ring_put(d, &c, 1);
	ret = ret ?: vgpu_ring_put(d, &f, 1);
	ret = ret ?: vgpu_ring_doorbell(d);
	ret = ret ?: vgpu_wait_fence(d, 1, 120000);
	vgpu_dev_close(d);
	return ret;
}

TEST_F_TIMEOUT(ctl, usage_agrees_with_busy_ns, 200)
{
	struct json_object *root, *v;
	long long busy, mib;
	double es, secs, mms, age;
	char id[40];

	ASSERT_EQ(0, ctl("create --type split"));
	ASSERT_EQ(37, (int)strlen(out_buf));
	snprintf(id, sizeof(id), "%.36s", out_buf);
	ASSERT_EQ(0, run_work(id));
	busy = vgpu_attr_num(id, "busy_ns");
	ASSERT_LT(0, busy);
	mib = vgpu_attr_num(id, "mem_size_bytes") >> 20;

	ASSERT_EQ(0, ctl("usage --json %s", id));
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root);
	v = json_object_array_get_idx(get(root, "vgpus"), 0);
	ASSERT_NE(NULL, v);
	EXPECT_STREQ(id, json_object_get_string(get(v, "id")));
	EXPECT_STREQ("creation", json_object_get_string(get(v, "since")));
	es = json_object_get_double(get(v, "engine_seconds"));
	secs = json_object_get_double(get(v, "seconds"));
	mms = json_object_get_double(get(v, "mem_mib_seconds"));
	TH_LOG("busy_ns %lld engine_seconds %.9f seconds %.3f mem_mib_seconds %.3f",
	       busy, es, secs, mms);
	/* Idle since the fence: busy_ns no longer moves. */
	EXPECT_GT(MICRO, fabs(es - busy / 1000000000.0));
	EXPECT_LE(es, secs);
	EXPECT_GT(MICRO * (mib + 1), fabs(mms - secs * mib));
	EXPECT_EQ(vgpu_attr_num(id, "commands"), num(v, "commands"));
	json_object_put(root);

	/* A mark, then nothing more ran: zero engine time since. */
	ASSERT_EQ(0, ctl("usage --mark %s", id));
	ASSERT_EQ(0, ctl("usage --json %s", id));
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root);
	v = json_object_array_get_idx(get(root, "vgpus"), 0);
	EXPECT_STREQ("mark", json_object_get_string(get(v, "since")));
	EXPECT_EQ(0.0, json_object_get_double(get(v, "engine_seconds")));
	EXPECT_EQ(0, num(v, "commands"));
	json_object_put(root);

	/*
	 * Without a mark: everything from creation, the module's created_ns
	 * (CLOCK_BOOTTIME): its age now, within the time vgpuctl took.
	 */
	age = (double)(boot_ns() - vgpu_attr_num(id, "created_ns")) / 1e9;
	ASSERT_EQ(0, ctl("usage --mark-dir %s/none --json %s",
			 getenv("VGPUCTL_MARK_DIR"), id));
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root);
	v = json_object_array_get_idx(get(root, "vgpus"), 0);
	EXPECT_STREQ("creation", json_object_get_string(get(v, "since")));
	secs = json_object_get_double(get(v, "seconds"));
	EXPECT_LE(age - 0.01, secs);
	EXPECT_GT(age + 5.0, secs);
	EXPECT_GT(0.001, fabs(json_object_get_double(get(v, "mem_mib_seconds")) -
			      secs * vgpu_attr_num(id, "mem_size_bytes") / 1048576.0));
	es = json_object_get_double(get(v, "engine_seconds"));
	EXPECT_GT(MICRO, fabs(es - busy / 1000000000.0));
	json_object_put(root);

	/* top --once --json reads it. */
	ASSERT_EQ(0, ctl("top --once --interval 200 --json"));
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root);
	EXPECT_EQ(1, (int)json_object_array_length(get(root, "vgpus")));
	json_object_put(root);
	EXPECT_EQ(2, ctl("top"));	/* no terminal */
	EXPECT_EQ(1, lines(err_buf));
	EXPECT_EQ(1, ctl("usage 00000000-0000-4000-8000-000000000000"));
	EXPECT_EQ(1, lines(err_buf));
}

/* The PCI address of a vgpu PF and the vgpuN the driver made of it. */
static bool find_pf(char *pf, size_t pflen, char *parent, size_t plen)
{
	char path[PATH_MAX], v[16], d[16];
	struct dirent *de;
	DIR *dir, *sub;
	bool found = false;

	dir = opendir("/sys/bus/pci/devices");
	while (dir && !found && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (sysfs_read(path, v, sizeof(v)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (sysfs_read(path, d, sizeof(d)) ||
		    strtol(v, NULL, 0) != VGPU_PCI_VENDOR_ID ||
		    strtol(d, NULL, 0) != VGPU_PCI_PF_DEVICE_ID)
			continue;
		snprintf(pf, pflen, "%s", de->d_name);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vgpu",
			 de->d_name);
		sub = opendir(path);
		while (sub && (de = readdir(sub)))
			if (!strncmp(de->d_name, "vgpu", 4)) {
				snprintf(parent, plen, "%s", de->d_name);
				found = true;
			}
		if (sub)
			closedir(sub);
	}
	if (dir)
		closedir(dir);
	return found;
}

TEST_F(ctl, vfs_of_a_pf)
{
	struct json_object *root, *p;
	char pf[32], parent[16], path[PATH_MAX], buf[64];

	if (!find_pf(pf, sizeof(pf), parent, sizeof(parent)))
		SKIP(return, "no vgpu PF in this VM (vm-run.sh --vgpu-pf)");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	ASSERT_EQ(0, sysfs_write(path, "2"));
	snprintf(self->pf, sizeof(self->pf), "%s", pf);

	ASSERT_EQ(0, ctl("list --json %s", parent));
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root);
	p = json_object_array_get_idx(get(root, "parents"), 0);
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("pf", json_object_get_string(get(p, "backend")));
	ASSERT_EQ(2, (int)json_object_array_length(get(p, "vfs")));
	EXPECT_STREQ("none", json_object_get_string(get(json_object_array_get_idx(get(p, "vfs"), 0),
							"profile")));
	EXPECT_EQ(0, (int)json_object_array_length(get(p, "instances")));
	json_object_put(root);

	/* Three do not fit on two VFs: nothing changes. */
	EXPECT_EQ(1, ctl("create --type split --count 3 --parent %s", parent));
	EXPECT_EQ(1, lines(err_buf));
	snprintf(path, sizeof(path), "/sys/class/vgpu/%s/vf1/profile", parent);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);

	ASSERT_EQ(0, ctl("create --type split --count 2 --parent %s", parent));
	EXPECT_EQ(2, lines(out_buf));
	snprintf(buf, sizeof(buf), "%s/vf1\n%s/vf2\n", parent, parent);
	EXPECT_STREQ(buf, out_buf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("split", buf);

	ASSERT_EQ(0, ctl("set %s/vf2 weight=20 priority=low", parent));
	EXPECT_EQ(20, sysfs_num("/sys/class/vgpu/%s/vf2/vgpu/weight", parent));
	EXPECT_EQ(2, ctl("set %s/vf2 weight=0", parent));
	EXPECT_EQ(20, sysfs_num("/sys/class/vgpu/%s/vf2/vgpu/weight", parent));
	EXPECT_EQ(1, ctl("set %s/vf3 weight=5", parent));
	EXPECT_EQ(1, lines(err_buf));
	/* The device model has no peer groups: the kernel refuses. */
	EXPECT_EQ(1, ctl("set %s/vf2 peer_group=1", parent));
	EXPECT_EQ(0, sysfs_num("/sys/class/vgpu/%s/vf2/vgpu/peer_group", parent));

	ASSERT_EQ(0, ctl("usage --json %s/vf1 %s/vf2", parent, parent));
	root = json_tokener_parse(out_buf);
	ASSERT_NE(NULL, root);
	EXPECT_EQ(2, (int)json_object_array_length(get(root, "vgpus")));
	EXPECT_STREQ("creation",
		     json_object_get_string(get(json_object_array_get_idx(get(root, "vgpus"), 1),
						"since")));
	json_object_put(root);

	ASSERT_EQ(0, ctl("remove %s/vf1 %s/vf2", parent, parent));
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	EXPECT_FALSE(path_exists("/sys/class/vgpu/%s/vf2/vgpu", parent));
}

TEST_HARNESS_MAIN
