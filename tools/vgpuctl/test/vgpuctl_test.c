// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of vgpuctl's pure parts (parse.c, json.c): numbers, names,
 * knob validation as the sysfs ABI documents the ranges, KNOB=VALUE
 * splitting, usage and top arithmetic, the JSON it builds, and the model
 * read from a made-up sysfs tree with a sim parent and a PF parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "vgpuctl.h"

TEST(numbers)
{
	unsigned long long v = 7;

	EXPECT_EQ(0, parse_ull("0", 0, 10, &v));
	EXPECT_EQ(0ULL, v);
	EXPECT_EQ(0, parse_ull("18446744073709551615", 0, ~0ULL, &v));
	EXPECT_EQ(~0ULL, v);
	EXPECT_EQ(-ERANGE, parse_ull("18446744073709551616", 0, ~0ULL, &v));
	EXPECT_EQ(-ERANGE, parse_ull("101", 1, 100, &v));
	EXPECT_EQ(-ERANGE, parse_ull("0", 1, 100, &v));
	EXPECT_EQ(-EINVAL, parse_ull("", 0, 10, &v));
	EXPECT_EQ(-EINVAL, parse_ull("-1", 0, 10, &v));
	EXPECT_EQ(-EINVAL, parse_ull("+1", 0, 10, &v));
	EXPECT_EQ(-EINVAL, parse_ull(" 1", 0, 10, &v));
	EXPECT_EQ(-EINVAL, parse_ull("1 ", 0, 10, &v));
	EXPECT_EQ(-EINVAL, parse_ull("0x10", 0, 100, &v));
	EXPECT_EQ(-EINVAL, parse_ull("1e3", 0, 10000, &v));
	EXPECT_EQ(-EINVAL, parse_ull(NULL, 0, 10, &v));
	EXPECT_EQ(~0ULL, v);	/* failures leave the output alone */
}

TEST(uuids)
{
	unsigned char b[16];
	char out[37];

	EXPECT_TRUE(uuid_valid("0b0c0d0e-1111-4222-8333-444455556666"));
	EXPECT_TRUE(uuid_valid("0B0C0D0E-1111-4222-8333-444455556666"));
	EXPECT_FALSE(uuid_valid("0b0c0d0e-1111-4222-8333-44445555666"));
	EXPECT_FALSE(uuid_valid("0b0c0d0e-1111-4222-8333-4444555566667"));
	EXPECT_FALSE(uuid_valid("0b0c0d0e_1111-4222-8333-444455556666"));
	EXPECT_FALSE(uuid_valid("0b0c0d0g-1111-4222-8333-444455556666"));
	EXPECT_FALSE(uuid_valid(""));
	memset(b, 0xff, sizeof(b));
	uuid_format(b, out);
	EXPECT_STREQ("ffffffff-ffff-4fff-bfff-ffffffffffff", out);
	memset(b, 0, sizeof(b));
	uuid_format(b, out);
	EXPECT_STREQ("00000000-0000-4000-8000-000000000000", out);
	EXPECT_TRUE(uuid_valid(out));
}

TEST(names)
{
	char parent[16];
	unsigned int vf = 0;

	EXPECT_TRUE(parent_name_valid("vgpu0"));
	EXPECT_TRUE(parent_name_valid("vgpu12"));
	EXPECT_FALSE(parent_name_valid("vgpu"));
	EXPECT_FALSE(parent_name_valid("vgpu01"));
	EXPECT_FALSE(parent_name_valid("vgpu-1"));
	EXPECT_FALSE(parent_name_valid("gpu0"));
	EXPECT_FALSE(parent_name_valid("vgpu0/vf1"));
	EXPECT_EQ(0, vf_id_parse("vgpu3/vf2", parent, sizeof(parent), &vf));
	EXPECT_STREQ("vgpu3", parent);
	EXPECT_EQ(2U, vf);
	EXPECT_EQ(0, vf_id_parse("vgpu0/vf64", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("vgpu0/vf0", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("vgpu0/vf65", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("vgpu0/vf01", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("vgpu0/pf1", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("vgpu0", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("x/vf1", parent, sizeof(parent), &vf));
	EXPECT_EQ(-EINVAL, vf_id_parse("vgpu1234567890123456/vf1", parent,
				       sizeof(parent), &vf));
}

/* Each knob against the ranges of the ABI documents, at and past its ends. */
TEST(knob_ranges)
{
	static const struct {
		const char *name;
		enum knob_scope scope;
		const char *file, *ok[3], *bad[3];
		int err;
	} t[] = {
		{ "weight", KNOB_VGPU, "weight", { "1", "100", "10" },
		  { "0", "101", NULL }, -ERANGE },
		{ "cap", KNOB_VGPU, "cap_permille", { "1", "1000", NULL },
		  { "0", "1001", NULL }, -ERANGE },
		{ "guarantee_permille", KNOB_VGPU, "guarantee_permille",
		  { "0", "1000", NULL }, { "1001", NULL }, -ERANGE },
		{ "timeslice_us", KNOB_VGPU, "timeslice_us",
		  { "0", "100", "2000000" }, { "99", "1", "2000001" }, -ERANGE },
		{ "timeslice_us", KNOB_PARENT, "timeslice_us",
		  { "100", "2000000", NULL }, { "0", "99", "2000001" }, -ERANGE },
		{ "job_timeout_ms", KNOB_PARENT, "job_timeout_ms",
		  { "0", "600000", NULL }, { "600001", NULL }, -ERANGE },
		{ "preempt_timeout_us", KNOB_PARENT, "preempt_timeout_us",
		  { "0", "10000000", NULL }, { "10000001", NULL }, -ERANGE },
		{ "policy", KNOB_PARENT, "sched_policy",
		  { "best_effort", "equal_share", "fixed_share" },
		  { "Best_effort", "", "best_effort " }, -EINVAL },
		{ "priority", KNOB_VGPU, "priority", { "low", "normal", "high" },
		  { "urgent", "1", NULL }, -EINVAL },
		{ "state", KNOB_VGPU, "state", { "pause", "resume", NULL },
		  { "paused", "running", NULL }, -EINVAL },
	};
	const struct knob *k;
	char err[160];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		k = knob_find(t[i].name, t[i].scope);
		ASSERT_NE(NULL, k) TH_LOG("%s", t[i].name);
		EXPECT_STREQ(t[i].file, k->file);
		EXPECT_EQ(k, knob_find(t[i].file, t[i].scope));
		for (j = 0; j < 3 && t[i].ok[j]; j++)
			EXPECT_EQ(0, knob_check(k, t[i].ok[j], err, sizeof(err)))
				TH_LOG("%s=%s: %s", t[i].name, t[i].ok[j], err);
		for (j = 0; j < 3 && t[i].bad[j]; j++) {
			err[0] = '\0';
			EXPECT_EQ(t[i].err, knob_check(k, t[i].bad[j], err,
						       sizeof(err)))
				TH_LOG("%s=%s", t[i].name, t[i].bad[j]);
			EXPECT_NE(NULL, strstr(err, k->name));
		}
	}
	k = knob_find("weight", KNOB_VGPU);
	EXPECT_EQ(-EINVAL, knob_check(k, "ten", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, knob_check(k, "-5", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not a decimal number"));
	EXPECT_EQ(NULL, knob_find("weight", KNOB_PARENT));
	EXPECT_EQ(NULL, knob_find("policy", KNOB_VGPU));
	EXPECT_EQ(NULL, knob_find("busy_ns", KNOB_VGPU));
}

TEST(assignments)
{
	char key[8];
	const char *val = NULL;

	EXPECT_EQ(0, assignment_split("weight=30", key, sizeof(key), &val));
	EXPECT_STREQ("weight", key);
	EXPECT_STREQ("30", val);
	EXPECT_EQ(0, assignment_split("a=b=c", key, sizeof(key), &val));
	EXPECT_STREQ("a", key);
	EXPECT_STREQ("b=c", val);
	EXPECT_EQ(-EINVAL, assignment_split("weight", key, sizeof(key), &val));
	EXPECT_EQ(-EINVAL, assignment_split("=3", key, sizeof(key), &val));
	EXPECT_EQ(-EINVAL, assignment_split("weight=", key, sizeof(key), &val));
	EXPECT_EQ(-EINVAL, assignment_split("toolongkey=1", key, sizeof(key),
					    &val));
}

TEST(usage_arithmetic)
{
	struct usage_sample a = {
		.time_ns = 1000000000LL, .busy_ns = 500000000ULL,
		.commands = 10, .mem_size_bytes = 64ULL << 20,
	};
	struct usage_sample b = a;
	struct usage_result r;
	struct top_row row;

	b.time_ns += 4000000000LL;		/* 4 s later */
	b.busy_ns += 3000000000ULL;		/* ran 3 s */
	b.commands += 200;
	ASSERT_EQ(0, usage_compute(&a, &b, &r));
	EXPECT_EQ(4.0, r.seconds);
	EXPECT_EQ(3.0, r.engine_seconds);
	EXPECT_EQ(256.0, r.mem_mib_seconds);	/* 64 MiB x 4 s */
	EXPECT_EQ(200ULL, r.commands);
	ASSERT_EQ(0, top_compute(&a, &b, &row));
	EXPECT_EQ(75.0, row.busy_pct);
	EXPECT_EQ(50.0, row.cmds_per_s);

	/* The same instant: no time, usage 0, but no rate. */
	ASSERT_EQ(0, usage_compute(&a, &a, &r));
	EXPECT_EQ(0.0, r.mem_mib_seconds);
	EXPECT_EQ(-EINVAL, top_compute(&a, &a, &row));

	/* A mark of an older vGPU of the same name, or a clock set back. */
	EXPECT_EQ(-EINVAL, usage_compute(&b, &a, &r));
	b = a;
	b.time_ns += 1;
	b.busy_ns -= 1;
	EXPECT_EQ(-EINVAL, usage_compute(&a, &b, &r));
	b = a;
	b.time_ns += 1;
	b.mem_size_bytes <<= 1;
	EXPECT_EQ(-EINVAL, usage_compute(&a, &b, &r));
}

static struct json_object *field(struct json_object *o, const char *k)
{
	struct json_object *f = NULL;

	json_object_object_get_ex(o, k, &f);
	return f;
}

TEST(json_shapes)
{
	struct parent_info *p = calloc(1, sizeof(*p));
	struct vgpu_info v = { 0 };
	struct usage_result r = { 2.0, 1.5, 128.0, 7 };
	struct json_object *o, *a;

	ASSERT_NE(NULL, p);
	snprintf(v.id, sizeof(v.id), "%s", "vgpu1/vf2");
	snprintf(v.parent, sizeof(v.parent), "%s", "vgpu1");
	snprintf(v.profile, sizeof(v.profile), "%s", "split");
	v.vf = 2;
	v.busy_ns = 18446744073709551615ULL;
	v.mem_size = 64ULL << 20;
	o = json_vgpu(&v);
	EXPECT_STREQ("vf", json_object_get_string(field(o, "kind")));
	EXPECT_EQ(2, json_object_get_int(field(o, "vf")));
	EXPECT_EQ(18446744073709551615ULL,
		  json_object_get_uint64(field(o, "busy_ns")));
	EXPECT_EQ(64ULL << 20, json_object_get_uint64(field(o, "mem_size_bytes")));
	json_object_put(o);

	snprintf(p->name, sizeof(p->name), "%s", "vgpu0");
	snprintf(p->utilization, sizeof(p->utilization), "%s", "10 20 30");
	snprintf(p->partitions, sizeof(p->partitions), "%s\n%s",
		 "0 0-1 dedicated 1/1", "1 2-3 split 2/4");
	snprintf(p->vfs[0].creatable, sizeof(p->vfs[0].creatable), "%s", "dedicated split");
	snprintf(p->vfs[0].profile, sizeof(p->vfs[0].profile), "%s", "none");
	p->vfs[0].k = 1;
	p->nvfs = 1;
	p->vgpu = &v;
	p->nvgpu = 1;
	o = json_parent(p);
	a = field(o, "engine_utilization_permille");
	ASSERT_EQ(3, (int)json_object_array_length(a));
	EXPECT_EQ(30, json_object_get_int(json_object_array_get_idx(a, 2)));
	a = field(o, "partitions");
	ASSERT_EQ(2, (int)json_object_array_length(a));
	EXPECT_STREQ("1 2-3 split 2/4",
		     json_object_get_string(json_object_array_get_idx(a, 1)));
	a = field(json_object_array_get_idx(field(o, "vfs"), 0),
		  "creatable_profiles");
	ASSERT_EQ(2, (int)json_object_array_length(a));
	EXPECT_EQ(1, (int)json_object_array_length(field(o, "instances")));
	json_object_put(o);
	free(p);

	o = json_usage("u", "mark", &r, true);
	EXPECT_EQ(1.5, json_object_get_double(field(o, "engine_seconds")));
	EXPECT_EQ(128.0, json_object_get_double(field(o, "mem_mib_seconds")));
	json_object_put(o);
	o = json_usage("u", "creation", &r, false);
	EXPECT_TRUE(json_object_object_get_ex(o, "mem_mib_seconds", &a));
	EXPECT_EQ(NULL, a);	/* unknown: JSON null */
	json_object_put(o);
}

static void put(const char *root, const char *rel, const char *val)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

static void fake_parent(const char *root, const char *name, const char *backend)
{
	static const char *const files[][2] = {
		{ "mem_total_bytes", "536870912\n" }, { "mem_free_bytes", "469762048\n" },
		{ "engines_total", "8\n" }, { "engines_free", "6\n" },
		{ "vgpus", "1\n" }, { "sched_policy", "best_effort\n" },
		{ "timeslice_us", "2000\n" }, { "job_timeout_ms", "10000\n" },
		{ "preempt_timeout_us", "2000000\n" },
		{ "engine_utilization_permille", "0 0 0 0 0 0 0 0\n" },
		{ "partitions", "0 0-1 split 1/4\n" },
	};
	char rel[256];
	size_t i;

	snprintf(rel, sizeof(rel), "class/vgpu/%s/backend", name);
	put(root, rel, backend);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(rel, sizeof(rel), "class/vgpu/%s/%s", name, files[i][0]);
		put(root, rel, files[i][1]);
	}
}

static void fake_vgpu(const char *root, const char *dir)
{
	static const char *const files[][2] = {
		{ "mem_offset_bytes", "0\n" }, { "mem_size_bytes", "67108864\n" },
		{ "partition", "0\n" }, { "partition_users", "1\n" },
		{ "partition_share", "4\n" }, { "weight", "10\n" },
		{ "timeslice_us", "0\n" }, { "cap_permille", "1000\n" },
		{ "guarantee_permille", "0\n" }, { "busy_ns", "2500000000\n" },
		{ "slices", "9\n" }, { "preemptions", "1\n" },
		{ "prio_preemptions", "0\n" }, { "share_permille", "250\n" },
		{ "commands", "42\n" }, { "bytes", "4096\n" }, { "errors", "0\n" },
		{ "resets", "0\n" }, { "dma_stalls", "0\n" },
		{ "profile", "split\n" }, { "state", "running\n" },
		{ "priority", "normal\n" }, { "engines", "0-1\n" },
	};
	char rel[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, files[i][0]);
		put(root, rel, files[i][1]);
	}
}

TEST(model_of_a_fake_tree)
{
	static const char uuid[] = "0b0c0d0e-1111-4222-8333-444455556666";
	char root[] = "/tmp/vgpuctl-test.XXXXXX", rel[256], cmd[300];
	struct parent_info *p;
	struct vgpu_info *v;
	struct model m;

	ASSERT_NE(NULL, mkdtemp(root));
	fake_parent(root, "vgpu0", "sim\n");
	fake_parent(root, "vgpu1", "pf\n");
	put(root, "class/vgpu/vgpu0/mdev_supported_types/vgpu-split/name", "split\n");
	put(root, "class/vgpu/vgpu0/mdev_supported_types/vgpu-split/description",
	    "memory 64 MiB, 2 engines time-sliced among up to 4 vGPUs\n");
	put(root, "class/vgpu/vgpu0/mdev_supported_types/vgpu-split/available_instances",
	    "7\n");
	snprintf(rel, sizeof(rel), "class/vgpu/vgpu0/%s/vgpu", uuid);
	fake_vgpu(root, rel);
	put(root, "class/vgpu/vgpu1/vf1/profile", "none\n");
	put(root, "class/vgpu/vgpu1/vf1/creatable_profiles", "dedicated\nsplit\n");
	put(root, "class/vgpu/vgpu1/vf2/profile", "split\n");
	put(root, "class/vgpu/vgpu1/vf2/creatable_profiles", "");
	fake_vgpu(root, "class/vgpu/vgpu1/vf2/vgpu");
	/* Not parents, not vGPUs: ignored. */
	put(root, "class/vgpu/vgpu01/backend", "sim\n");
	put(root, "class/vgpu/vgpu0/not-a-uuid/vgpu/profile", "split\n");

	sysfs_root = root;
	ASSERT_EQ(0, model_load(&m));
	ASSERT_EQ(2U, m.nparent);
	p = model_parent(&m, "vgpu0");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("sim", p->backend);
	EXPECT_EQ(469762048ULL, p->mem_free);
	ASSERT_EQ(1U, p->ntypes);
	EXPECT_STREQ("split", p->types[0].name);
	EXPECT_EQ(7ULL, p->types[0].available);
	ASSERT_EQ(1U, p->nvgpu);
	EXPECT_EQ(0U, p->vgpu[0].vf);
	v = model_vgpu(&m, "0B0C0D0E-1111-4222-8333-444455556666");
	ASSERT_NE(NULL, v);
	EXPECT_STREQ(uuid, v->id);
	EXPECT_EQ(2500000000ULL, v->busy_ns);
	EXPECT_EQ(67108864ULL, v->mem_size);
	EXPECT_STREQ("0-1", v->engines);

	p = model_parent(&m, "vgpu1");
	ASSERT_NE(NULL, p);
	EXPECT_STREQ("pf", p->backend);
	EXPECT_EQ(0U, p->ntypes);
	ASSERT_EQ(2U, p->nvfs);
	EXPECT_EQ(1U, p->vfs[0].k);
	EXPECT_STREQ("none", p->vfs[0].profile);
	EXPECT_STREQ("dedicated split", p->vfs[0].creatable);
	ASSERT_EQ(1U, p->nvgpu);
	v = model_vgpu(&m, "vgpu1/vf2");
	ASSERT_NE(NULL, v);
	EXPECT_EQ(2U, v->vf);
	EXPECT_STREQ("vgpu1", v->parent);
	EXPECT_STREQ("split", v->profile);
	EXPECT_EQ(NULL, model_vgpu(&m, "vgpu1/vf1"));
	model_free(&m);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	EXPECT_EQ(0, system(cmd));
	sysfs_root = "/tmp/vgpuctl-test-nonexistent";
	EXPECT_EQ(-ENOENT, model_load(&m));
}

TEST_HARNESS_MAIN
