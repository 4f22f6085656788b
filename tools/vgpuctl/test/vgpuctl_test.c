// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of vgpuctl's pure parts (parse.c, json.c): numbers, names,
 * knob validation as the sysfs ABI documents the ranges, KNOB=VALUE
 * splitting, usage and top arithmetic, the JSON it builds, the model
 * read from a made-up sysfs tree with a sim parent and a PF parent, and
 * the Prometheus metrics of such a tree (escaping, names, a golden text).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
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

TEST(listen_addresses)
{
	struct sockaddr_storage ss;
	unsigned int port = 0;

	EXPECT_EQ(0, listen_parse("127.0.0.1:9464", &ss, &port));
	EXPECT_EQ(9464U, port);
	EXPECT_EQ(AF_INET, ss.ss_family);
	EXPECT_EQ(htons(9464), ((struct sockaddr_in *)&ss)->sin_port);
	EXPECT_EQ(0, listen_parse("[::1]:1", &ss, &port));
	EXPECT_EQ(AF_INET6, ss.ss_family);
	EXPECT_EQ(0, listen_parse("0.0.0.0:65535", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("127.0.0.1:0", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("127.0.0.1:65536", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("127.0.0.1", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse(":9464", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("localhost:9464", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("::1:9464", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("[::1]9464", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("[]:9464", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse("1.2.3.4:94x", &ss, &port));
	EXPECT_EQ(-EINVAL, listen_parse(NULL, &ss, &port));
}

TEST(boot_to_real)
{
	long long t = 0;

	EXPECT_EQ(0, boot_to_real_ns(4000000000ULL, 10000000000LL,
				     1700000000000000000LL, &t));
	EXPECT_EQ(1699999994000000000LL, t);
	EXPECT_EQ(-EINVAL, boot_to_real_ns(10000000001ULL, 10000000000LL,
					   1700000000000000000LL, &t));
}

/* metrics_escape() of @in, as a string. */
static void escaped(const char *in, char *out, size_t len)
{
	FILE *f;

	out[0] = '\0';	/* fmemopen() adds no NUL when nothing is written */
	f = fmemopen(out, len, "w");
	metrics_escape(f, in);
	fclose(f);
}

TEST(metrics_escaping)
{
	char out[64];

	escaped("plain-name_0", out, sizeof(out));
	EXPECT_STREQ("plain-name_0", out);
	escaped("a\"b", out, sizeof(out));
	EXPECT_STREQ("a\\\"b", out);
	escaped("a\\b", out, sizeof(out));
	EXPECT_STREQ("a\\\\b", out);
	escaped("a\nb", out, sizeof(out));
	EXPECT_STREQ("a\\nb", out);
	escaped("\\\"\n", out, sizeof(out));
	EXPECT_STREQ("\\\\\\\"\\n", out);
	escaped("", out, sizeof(out));
	EXPECT_STREQ("", out);
}

/* Build the fake tree of the model test, with awkward label values. */
static void metrics_tree(const char *root)
{
	static const char uuid[] = "0b0c0d0e-1111-4222-8333-444455556666";
	char rel[256];

	fake_parent(root, "vgpu0", "sim\n");
	fake_parent(root, "vgpu1", "pf\n");
	snprintf(rel, sizeof(rel), "class/vgpu/vgpu0/%s/vgpu", uuid);
	fake_vgpu(root, rel);
	snprintf(rel, sizeof(rel), "class/vgpu/vgpu0/%s/vgpu/profile", uuid);
	put(root, rel, "we\"ird\\one\n");
	snprintf(rel, sizeof(rel), "class/vgpu/vgpu0/%s/vgpu/created_ns", uuid);
	put(root, rel, "4000000000\n");
	put(root, "class/vgpu/vgpu1/vf2/profile", "split\n");
	put(root, "class/vgpu/vgpu1/vf2/creatable_profiles", "");
	fake_vgpu(root, "class/vgpu/vgpu1/vf2/vgpu");
	put(root, "class/vgpu/vgpu1/vf2/vgpu/state", "paused\n");
	put(root, "class/vgpu/vgpu1/engine_utilization_permille", "1000 5\n");
}

#define U_LABELS	"parent=\"vgpu0\",uuid=\"0b0c0d0e-1111-4222-8333-444455556666\"," \
			"profile=\"we\\\"ird\\\\one\""
#define VF_LABELS	"parent=\"vgpu1\",vf=\"2\",profile=\"split\""

/* Whether @text has the line NAME{LABELS} VALUE. */
static bool has_sample(const char *text, const char *name, const char *labels,
		       const char *value)
{
	char line[512];

	snprintf(line, sizeof(line), "\n%s{%s} %s\n", name, labels, value);
	return strstr(text, line);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

TEST(metrics_of_a_fake_tree)
{
	char root[] = "/tmp/vgpuctl-test.XXXXXX", cmd[300], golden[4200];
	char name[128], prev[128] = "", *text, *want, *line, *save = NULL;
	char self[4096];
	unsigned int helps = 0, samples = 0;
	struct model m;
	int got;
	ssize_t n;
	size_t len;

	ASSERT_NE(NULL, mkdtemp(root));
	metrics_tree(root);
	sysfs_root = root;
	ASSERT_EQ(0, model_load(&m));
	/* Booted 10 s ago, now is 1700000000 s since the epoch. */
	text = metrics_render(&m, 10000000000LL, 1700000000000000000LL, &len);
	model_free(&m);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(strlen(text), len);

	/* The golden text, beside this binary: the whole format at once. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_LT(0, n);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(golden, sizeof(golden), "%s/metrics.golden", self);
	want = read_whole(golden);
	ASSERT_NE(NULL, want) TH_LOG("no %s", golden);
	EXPECT_STREQ(want, text);
	if (strcmp(want, text) && getenv("VGPUCTL_GOLDEN_OUT")) {
		FILE *f = fopen(getenv("VGPUCTL_GOLDEN_OUT"), "w");

		if (f) {
			fputs(text, f);
			fclose(f);
		}
	}
	free(want);

	/* Escaped label values; created 4 s after a boot 10 s ago. */
	EXPECT_NE(NULL, strstr(text, "profile=\"we\\\"ird\\\\one\""));
	EXPECT_TRUE(has_sample(text, "vgpu_created_timestamp_seconds", U_LABELS,
			       "1699999994.000000000"));
	EXPECT_TRUE(has_sample(text, "vgpu_busy_seconds_total", VF_LABELS,
			       "2.500000000"));
	EXPECT_TRUE(has_sample(text, "vgpu_state", VF_LABELS ",state=\"paused\"",
			       "1"));
	EXPECT_TRUE(has_sample(text, "vgpu_state", VF_LABELS ",state=\"running\"",
			       "0"));
	EXPECT_TRUE(has_sample(text, "vgpu_engine_utilization_ratio",
			       "parent=\"vgpu1\",engine=\"1\"", "0.005"));
	/* The VF has no created_ns in this tree: no sample rather than a wrong one. */
	EXPECT_EQ(NULL, strstr(text, "vgpu_created_timestamp_seconds{parent=\"vgpu1\""));

	/*
	 * Names and grouping: every family opens with HELP then TYPE, its
	 * samples follow it and no other; counters end in _total and only
	 * they do; every name starts with vgpu_.
	 */
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			got = sscanf(line + 7, "%127s", name);
			ASSERT_EQ(1, got);
			EXPECT_EQ(0, strncmp(name, "vgpu_", 5)) TH_LOG("%s", name);
			EXPECT_STRNE(prev, name);
			snprintf(prev, sizeof(prev), "%s", name);
			helps++;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[16];

			got = sscanf(line + 7, "%127s %15s", name, type);
			ASSERT_EQ(2, got);
			EXPECT_STREQ(prev, name);
			len = strlen(name);
			EXPECT_EQ(!strcmp(type, "counter"),
				  len > 6 && !strcmp(name + len - 6, "_total"))
				TH_LOG("%s %s", name, type);
			continue;
		}
		len = strcspn(line, "{ ");
		EXPECT_EQ(strlen(prev), len) TH_LOG("%s", line);
		EXPECT_EQ(0, strncmp(line, prev, len)) TH_LOG("%s after %s", line, prev);
		samples++;
	}
	EXPECT_LT(20U, helps);
	EXPECT_LT(helps, samples);
	free(text);

	/* Without the module: only vgpu_module_loaded 0. */
	text = metrics_render(NULL, 0, 0, &len);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "\nvgpu_module_loaded 0\n"));
	EXPECT_EQ(NULL, strstr(text, "vgpu_parent"));
	free(text);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	EXPECT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
