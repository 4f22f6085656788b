// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for profile parsing and validation (drivers/vgpu/lib/vgpu_profile.c).
 */
#include "kselftest_harness.h"
#include "vgpu_profile.h"

struct parse_case {
	const char *spec;
	int ret;
};

static int parse(const char *spec, struct vgpu_profile *p, unsigned int *n)
{
	char err[VGPU_ERRMSG_LEN] = "";
	int ret = vgpu_profiles_parse(spec, p, VGPU_MAX_PROFILES, n, err,
				      sizeof(err));

	/* Every failure explains itself; success leaves err alone. */
	if (ret && !err[0])
		return -9999;
	if (!ret && err[0])
		return -9998;
	return ret;
}

TEST(default_spec)
{
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	unsigned int n = 0;

	ASSERT_EQ(0, parse("dedicated:128M:2:1,split:64M:2:4,shared:32M:4:8",
			   p, &n));
	ASSERT_EQ(3, n);
	EXPECT_STREQ("dedicated", p[0].name);
	EXPECT_EQ(128ULL << 20, p[0].mem_size);
	EXPECT_EQ(2, p[0].engines);
	EXPECT_EQ(1, p[0].share);
	EXPECT_STREQ("shared", p[2].name);
	EXPECT_EQ(32ULL << 20, p[2].mem_size);
	EXPECT_EQ(4, p[2].engines);
	EXPECT_EQ(8, p[2].share);
}

TEST(units_and_newline)
{
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	unsigned int n = 0;

	ASSERT_EQ(0, parse("a:1G:1:1,b:1024k:1:64,c_9:1048576:64:2\n", p, &n));
	ASSERT_EQ(3, n);
	EXPECT_EQ(1ULL << 30, p[0].mem_size);
	EXPECT_EQ(1ULL << 20, p[1].mem_size);
	EXPECT_EQ(64, p[1].share);
	EXPECT_EQ(1ULL << 20, p[2].mem_size);
	EXPECT_EQ(64, p[2].engines);
}

TEST(malformed)
{
	static const struct parse_case cases[] = {
		{ "", -EINVAL },
		{ "\n", -EINVAL },
		{ "a", -EINVAL },
		{ "a:64M:1", -EINVAL },
		{ "a:64M:1:1:1", -EINVAL },
		{ "a:64M:1:1,", -EINVAL },
		{ ",a:64M:1:1", -EINVAL },
		{ "A:64M:1:1", -EINVAL },
		{ "a-b:64M:1:1", -EINVAL },
		{ "abcdefghijklmnop:64M:1:1", -EINVAL },
		{ ":64M:1:1", -EINVAL },
		{ "a::1:1", -EINVAL },
		{ "a:M:1:1", -EINVAL },
		{ "a:64X:1:1", -EINVAL },
		{ "a:-64M:1:1", -EINVAL },
		{ "a:96M:1:1", -EINVAL },
		{ "a:512K:1:1", -EINVAL },
		{ "a:0:1:1", -EINVAL },
		{ "a:64M:0:1", -EINVAL },
		{ "a:64M:3:1", -EINVAL },
		{ "a:64M:128:1", -ERANGE },
		{ "a:64M:1:0", -EINVAL },
		{ "a:64M:1:65", -ERANGE },
		{ "a:64M: 1:1", -EINVAL },
		{ "a:64M:1:1x", -EINVAL },
		{ "a:99999999999999999999G:1:1", -ERANGE },
		{ "a:262145G:1:1", -ERANGE },
		{ "a:64M:1:1,a:32M:1:1", -EINVAL },
	};
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = 1234;
		EXPECT_EQ(cases[i].ret, parse(cases[i].spec, p, &n))
			TH_LOG("spec '%s'", cases[i].spec);
		EXPECT_EQ(1234, n) TH_LOG("count changed on error");
	}
}

TEST(too_many)
{
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	char spec[1024] = "";
	unsigned int i, n;

	for (i = 0; i < VGPU_MAX_PROFILES; i++)
		sprintf(spec + strlen(spec), "%sp%u:1M:1:1", i ? "," : "", i);
	ASSERT_EQ(0, parse(spec, p, &n));
	ASSERT_EQ(VGPU_MAX_PROFILES, n);
	strcat(spec, ",extra:1M:1:1");
	ASSERT_EQ(-E2BIG, parse(spec, p, &n));
}

TEST(check_against_device)
{
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	char err[VGPU_ERRMSG_LEN];
	unsigned int n;

	ASSERT_EQ(0, parse("a:256M:4:1,b:512M:8:2", p, &n));
	EXPECT_EQ(0, vgpu_profiles_check(p, n, 512ULL << 20, 8, err,
					 sizeof(err)));
	EXPECT_EQ(-EINVAL, vgpu_profiles_check(p, n, 256ULL << 20, 8, err,
					       sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "'b'"));
	EXPECT_EQ(-EINVAL, vgpu_profiles_check(p, n, 512ULL << 20, 4, err,
					       sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "engines"));
}

TEST(parse_size)
{
	u64 v;

	ASSERT_EQ(0, vgpu_parse_size("4096", 4, &v));
	EXPECT_EQ(4096, v);
	ASSERT_EQ(0, vgpu_parse_size("3g", 2, &v));
	EXPECT_EQ(3ULL << 30, v);
	EXPECT_EQ(-EINVAL, vgpu_parse_size("", 0, &v));
	EXPECT_EQ(-EINVAL, vgpu_parse_size("k", 1, &v));
	EXPECT_EQ(0, vgpu_parse_size("262143G", 7, &v));
	EXPECT_EQ(-ERANGE, vgpu_parse_size("262145G", 7, &v));
	/* Only @len characters are read. */
	ASSERT_EQ(0, vgpu_parse_size("12M", 2, &v));
	EXPECT_EQ(12, v);
}

TEST_HARNESS_MAIN
