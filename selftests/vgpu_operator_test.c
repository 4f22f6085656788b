// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every operator input: each writable sysfs file of the parent and of a
 * vGPU is fed boundary and random strings (empty line, signs, whitespace,
 * huge numbers, a NUL inside, very long, not UTF-8). A rejection must come
 * with its precise errno (EINVAL for what is not a value, ERANGE for a
 * number out of range), leave the value as it was, and log a line naming
 * the file; the boundaries themselves are accepted and read back. Module
 * parameters that do not parse are refused with a line and leave nothing
 * behind. VGPU_OPERATOR_SEED replays the random strings.
 */
#include <glob.h>
#include <time.h>
#include <linux/vgpu.h>

#include "kselftest_harness.h"
#include "vgpu_test.h"

#define PARAMS "mem_size_mb=64 num_engines=2 profiles=one:16M:1:4"
#define RANDOM_INPUTS 12

enum kind { NUM, WORDS };

struct knob {
	bool vgpu;		/* in the vGPU's vgpu/ directory */
	const char *name;
	enum kind kind;
	unsigned long long lo, hi;	/* NUM */
	const char *words[4];		/* WORDS: what it accepts */
};

static const struct knob knobs[] = {
	{ false, "timeslice_us", NUM, 100, 2000000 },
	{ false, "job_timeout_ms", NUM, 0, 600000 },
	{ false, "preempt_timeout_us", NUM, 0, 10000000 },
	{ false, "sched_policy", WORDS, 0, 0,
	  { "best_effort", "equal_share", "fixed_share" } },
	{ true, "weight", NUM, 1, 100 },
	{ true, "timeslice_us", NUM, 0, 2000000 },
	{ true, "cap_permille", NUM, 1, 1000 },
	{ true, "guarantee_permille", NUM, 0, 1000 },
	{ true, "priority", WORDS, 0, 0, { "low", "normal", "high" } },
	{ true, "peer_group", NUM, 0, 65535 },
};

/* Inputs no file accepts, with the errno a number file answers. */
static const struct {
	const char *s;
	size_t len;		/* 0: strlen */
	int num_errno;
} bad[] = {
	{ "\n", 0, EINVAL },
	{ "-1", 0, EINVAL },
	{ " 5", 0, EINVAL },
	{ "5 ", 0, EINVAL },
	{ "5 6", 0, EINVAL },
	{ "1e3", 0, EINVAL },
	{ "0x", 0, EINVAL },
	{ "five", 0, EINVAL },
	{ "\xff\xfe\x80", 0, EINVAL },
	{ "5\0junk", 6, EINVAL },
	{ "\0", 1, EINVAL },
	{ "18446744073709551616", 0, ERANGE },		/* 2^64 */
	{ "99999999999999999999999999", 0, ERANGE },
	{ "18446744073709551615", 0, ERANGE },		/* 2^64 - 1 */
};

static char path[512];

static const char *knob_path(const struct knob *k, const char *uuid)
{
	if (k->vgpu)
		snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/%s", uuid,
			 k->name);
	else
		snprintf(path, sizeof(path), VGPU_PARENT "/%s", k->name);
	return path;
}

/* One write() of @len bytes; 0 or -errno. */
static int write_raw(const char *p, const char *buf, size_t len)
{
	int fd = open(p, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static unsigned long long rnd(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Random bytes that start with a letter no accepted value starts with. */
static size_t random_input(unsigned long long *s, char *buf, size_t cap)
{
	size_t len = rnd(s) % 3 ? rnd(s) % 40 + 1 : rnd(s) % (cap - 1) + 1;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = rnd(s) % 4 ? "0123456789 -+x\n\t"[rnd(s) % 17] :
				      (char)rnd(s);
	buf[0] = "qQ@#%~"[rnd(s) % 6];
	return len;
}

FIXTURE(operator) {
	char uuid[40];
	int kmsg;
	unsigned long long seed;
	unsigned int inputs;
};

FIXTURE_SETUP(operator)
{
	const char *env = getenv("VGPU_OPERATOR_SEED");
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	self->seed = env ? strtoull(env, NULL, 0) :
			   (ts.tv_nsec ^ ts.tv_sec ^ getpid()) | 1;
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
	ASSERT_EQ(0, vgpu_load(PARAMS));
	uuid_gen(self->uuid);
	ASSERT_EQ(0, vgpu_create("one", self->uuid));
	self->inputs = 0;
}

FIXTURE_TEARDOWN(operator)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	close(self->kmsg);
}

/* Write @buf; it must fail with @err, change nothing and log a line. */
static void expect_rejected(struct __test_metadata *_metadata,
			    struct _test_data_operator *self,
			    const struct knob *k, const char *buf, size_t len,
			    int err)
{
	char before[128], after[128], needle[64];
	const char *p = knob_path(k, self->uuid);
	int ret;

	ASSERT_EQ(0, sysfs_read(p, before, sizeof(before)));
	kmsg_find(self->kmsg, "");	/* skip what is logged so far */
	ret = write_raw(p, buf, len);
	EXPECT_EQ(-err, ret) TH_LOG("%s%s: '%.*s' (%zu bytes)",
				    k->vgpu ? "vgpu/" : "", k->name,
				    (int)(len > 40 ? 40 : len), buf, len);
	ASSERT_EQ(0, sysfs_read(knob_path(k, self->uuid), after,
				sizeof(after)));
	EXPECT_STREQ(before, after);
	snprintf(needle, sizeof(needle), "%s: ", k->name);
	EXPECT_TRUE(kmsg_find(self->kmsg, needle))
		TH_LOG("no log line for %s", k->name);
	self->inputs++;
}

/* Write @val; it must be accepted and read back as @val. */
static void expect_accepted(struct __test_metadata *_metadata,
			    struct _test_data_operator *self,
			    const struct knob *k, const char *val)
{
	char back[128];

	EXPECT_EQ(0, sysfs_write(knob_path(k, self->uuid), val))
		TH_LOG("%s: '%s'", k->name, val);
	ASSERT_EQ(0, sysfs_read(knob_path(k, self->uuid), back,
				sizeof(back)));
	EXPECT_STREQ(val, back);
	self->inputs++;
}

TEST_F(operator, sysfs_knobs)
{
	unsigned long long s = self->seed;
	static char big[8192];
	char orig[128], num[32];
	unsigned int i, j;

	TH_LOG("seed %#llx (VGPU_OPERATOR_SEED to replay)", self->seed);
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		const struct knob *k = &knobs[i];

		ASSERT_EQ(0, sysfs_read(knob_path(k, self->uuid), orig,
					sizeof(orig)));
		for (j = 0; j < ARRAY_SIZE(bad); j++)
			expect_rejected(_metadata, self, k, bad[j].s,
					bad[j].len ? bad[j].len :
						     strlen(bad[j].s),
					k->kind == NUM ? bad[j].num_errno :
							 EINVAL);
		/* Very long: 4095 digits (sysfs' most), or letters. */
		memset(big, '9', sizeof(big));
		expect_rejected(_metadata, self, k, big, 4095,
				k->kind == NUM ? ERANGE : EINVAL);
		memset(big, 'a', sizeof(big));
		expect_rejected(_metadata, self, k, big, 4095, EINVAL);
		for (j = 0; j < RANDOM_INPUTS; j++) {
			size_t len = random_input(&s, big, 4096);

			expect_rejected(_metadata, self, k, big, len, EINVAL);
		}
		if (k->kind == NUM) {
			snprintf(num, sizeof(num), "%llu", k->hi + 1);
			expect_rejected(_metadata, self, k, num, strlen(num),
					ERANGE);
			if (k->lo) {
				snprintf(num, sizeof(num), "%llu", k->lo - 1);
				expect_rejected(_metadata, self, k, num,
						strlen(num), ERANGE);
			}
			snprintf(num, sizeof(num), "%llu", k->lo);
			expect_accepted(_metadata, self, k, num);
			snprintf(num, sizeof(num), "%llu", k->hi);
			expect_accepted(_metadata, self, k, num);
		} else {
			for (j = 0; j < ARRAY_SIZE(k->words) && k->words[j];
			     j++)
				expect_accepted(_metadata, self, k,
						k->words[j]);
			/* A name with a different case, or a prefix of one. */
			expect_rejected(_metadata, self, k, "LOW", 3, EINVAL);
			expect_rejected(_metadata, self, k, k->words[0], 2,
					EINVAL);
		}
		expect_accepted(_metadata, self, k, orig);
	}
	/* state takes requests, and shows states. */
	{
		static const struct knob state = { true, "state", WORDS };

		for (j = 0; j < ARRAY_SIZE(bad); j++)
			expect_rejected(_metadata, self, &state, bad[j].s,
					bad[j].len ? bad[j].len :
						     strlen(bad[j].s),
					EINVAL);
		expect_rejected(_metadata, self, &state, "running", 7, EINVAL);
		expect_rejected(_metadata, self, &state, "paused", 6, EINVAL);
	}
	TH_LOG("%u inputs to %zu files, each rejection with its errno, unchanged and logged",
	       self->inputs, ARRAY_SIZE(knobs) + 1);
}

/* Creating with what is not a UUID, or one in use; removing with junk. */
TEST_F(operator, create_remove)
{
	char p[256];

	EXPECT_EQ(-EINVAL, vgpu_create("one", "not-a-uuid"));
	EXPECT_EQ(-EINVAL, vgpu_create("one", "\n"));
	EXPECT_EQ(-EEXIST, vgpu_create("one", self->uuid));
	snprintf(p, sizeof(p), MDEV_DEVICES "/%s/remove", self->uuid);
	EXPECT_EQ(-EINVAL, sysfs_write(p, "abc"));
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s", self->uuid));
	EXPECT_LT(0, vgpu_attr_num(self->uuid, "weight"));
}

/* Module parameters that do not parse: refused, logged, nothing left. */
TEST(module_params)
{
	static const char *const params[] = {
		"num_devices=-1", "num_engines=abc", "mem_size_mb=4294967296",
		"mem_size_mb=", "num_devices=1x",
	};
	unsigned int i;
	int kmsg;

	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		kmsg = kmsg_open();
		ASSERT_LE(0, kmsg);
		EXPECT_GT(0, vgpu_load(params[i])) TH_LOG("%s", params[i]);
		EXPECT_TRUE(kmsg_find(kmsg, "invalid for parameter"))
			TH_LOG("no line for %s", params[i]);
		EXPECT_FALSE(vgpu_loaded());
		EXPECT_FALSE(path_exists("/sys/class/vgpu/vgpu0"));
		if (vgpu_loaded())
			vgpu_unload();
		close(kmsg);
	}
}

/* The vgpu PF's PCI address, if this VM has one (vm-run.sh --vgpu-pf). */
static bool find_pf(char *out, size_t len)
{
	char p[320], ven[16], dev[16];
	bool found = false;
	glob_t g;
	size_t i;

	if (glob("/sys/bus/pci/devices/*", 0, NULL, &g))
		return false;
	for (i = 0; i < g.gl_pathc && !found; i++) {
		snprintf(p, sizeof(p), "%s/vendor", g.gl_pathv[i]);
		if (sysfs_read(p, ven, sizeof(ven)))
			continue;
		snprintf(p, sizeof(p), "%s/device", g.gl_pathv[i]);
		if (sysfs_read(p, dev, sizeof(dev)))
			continue;
		if (strtol(ven, NULL, 0) == VGPU_PCI_VENDOR_ID &&
		    strtol(dev, NULL, 0) == VGPU_PCI_PF_DEVICE_ID) {
			snprintf(out, len, "%s", strrchr(g.gl_pathv[i], '/') + 1);
			found = true;
		}
	}
	globfree(&g);
	return found;
}

/* A VF's profile file: names only, each rejection logged, nothing changed. */
TEST(pf_profile)
{
	static const char *const junk[] = {
		"", "\n", "DED", "de", "ded ", " ded", "ded\n\n", "none\nx",
	};
	char pf[64], p[256], before[64], after[64];
	unsigned int i;
	glob_t g;
	int kmsg;

	if (!find_pf(pf, sizeof(pf)))
		SKIP(return, "no vgpu PF in this VM (vm-run.sh --vgpu-pf)");
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load("num_devices=0 profiles=ded:128M:2:1,ts:32M:1:4"));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	ASSERT_EQ(0, sysfs_write(p, "1"));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vgpu/vgpu*/vf1/profile",
		 pf);
	ASSERT_EQ(0, glob(p, 0, NULL, &g));
	snprintf(p, sizeof(p), "%s", g.gl_pathv[0]);
	globfree(&g);
	ASSERT_EQ(0, sysfs_write(p, "ts"));
	kmsg = kmsg_open();
	for (i = 0; i <= ARRAY_SIZE(junk); i++) {
		const char *in = i < ARRAY_SIZE(junk) ? junk[i] : "ded\0x";
		size_t len = i < ARRAY_SIZE(junk) ? strlen(in) : 5;

		if (!len)
			continue;
		ASSERT_EQ(0, sysfs_read(p, before, sizeof(before)));
		EXPECT_EQ(-EINVAL, write_raw(p, in, len)) TH_LOG("'%s'", in);
		ASSERT_EQ(0, sysfs_read(p, after, sizeof(after)));
		EXPECT_STREQ(before, after);
		EXPECT_TRUE(kmsg_find(kmsg, "no profile named"));
	}
	EXPECT_EQ(0, sysfs_write(p, "ded"));
	EXPECT_EQ(0, sysfs_write(p, "none"));
	close(kmsg);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	EXPECT_EQ(0, sysfs_write(p, "0"));
	vgpu_unload();
}

TEST_HARNESS_MAIN
