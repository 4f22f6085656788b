// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu creation and removal through mdev sysfs: per-instance resources,
 * exact available_instances, and bad input changing nothing.
 */
#include "kselftest_harness.h"
#include "vgpu_test.h"

static const char *const types[] = { "dedicated", "split", "shared" };
#define NTYPES 3

struct snapshot {
	long long mem_free, engines_free, vgpus, avail[NTYPES];
};

static void snap(struct snapshot *s)
{
	int i;

	s->mem_free = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	s->engines_free = sysfs_num(VGPU_PARENT "/engines_free");
	s->vgpus = sysfs_num(VGPU_PARENT "/vgpus");
	for (i = 0; i < NTYPES; i++)
		s->avail[i] = vgpu_available(types[i]);
}

static bool same(const struct snapshot *a, const struct snapshot *b)
{
	return !memcmp(a, b, sizeof(*a));
}

FIXTURE(dev) {
	int unused;
};

FIXTURE_SETUP(dev)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	ASSERT_EQ(0, vgpu_load(""));
}

FIXTURE_TEARDOWN(dev)
{
	vgpu_remove_all();
	vgpu_unload();
}

TEST_F(dev, one_of_each_type)
{
	char uuid[NTYPES][40], buf[64], path[256];
	int i;

	for (i = 0; i < NTYPES; i++) {
		uuid_gen(uuid[i]);
		ASSERT_EQ(0, vgpu_create(types[i], uuid[i]));
		ASSERT_TRUE(path_exists(MDEV_DEVICES "/%s/vgpu", uuid[i]));
	}
	EXPECT_EQ(3, sysfs_num(VGPU_PARENT "/vgpus"));
	EXPECT_EQ((512LL - 128 - 64 - 32) << 20,
		  sysfs_num(VGPU_PARENT "/mem_free_bytes"));
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/engines_free"));

	/* First fit, natural alignment, in creation order. */
	EXPECT_EQ(0, sysfs_num(MDEV_DEVICES "/%s/vgpu/mem_offset_bytes",
			       uuid[0]));
	EXPECT_EQ(128LL << 20,
		  sysfs_num(MDEV_DEVICES "/%s/vgpu/mem_size_bytes", uuid[0]));
	EXPECT_EQ(128LL << 20,
		  sysfs_num(MDEV_DEVICES "/%s/vgpu/mem_offset_bytes",
			    uuid[1]));
	EXPECT_EQ(192LL << 20,
		  sysfs_num(MDEV_DEVICES "/%s/vgpu/mem_offset_bytes",
			    uuid[2]));
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/engines", uuid[0]);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("0-1", buf);
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/engines", uuid[2]);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("4-7", buf);
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/profile", uuid[1]);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("split", buf);
	EXPECT_EQ(1, sysfs_num(MDEV_DEVICES "/%s/vgpu/partition_users",
			       uuid[1]));
	EXPECT_EQ(4, sysfs_num(MDEV_DEVICES "/%s/vgpu/partition_share",
			       uuid[1]));
	/* mdev links the instance to its type. */
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s/mdev_type/name", uuid[2]));
	EXPECT_TRUE(path_exists(VGPU_TYPES "/vgpu-split/devices/%s",
				uuid[1]));

	for (i = 0; i < NTYPES; i++) {
		ASSERT_EQ(0, vgpu_remove(uuid[i]));
		EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", uuid[i]));
	}
	EXPECT_EQ(512LL << 20, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
	EXPECT_EQ(8, sysfs_num(VGPU_PARENT "/engines_free"));
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
}

/*
 * Fill the device with each type in turn and interleaved: before every
 * create, each type's count must equal the number of further creates that
 * succeed, and one more than it says fails with ENOSPC.
 */
TEST_F_TIMEOUT(dev, available_instances_exact, 300)
{
	static const int order[] = { 1, 2, 1, 0, 2, 2, 1, 1, 2, 1, 2, 2,
				     1, 2, 2, 2, 2, 1, 2, 2, 1, 2, 0, 2 };
	char uuids[64][40];
	struct snapshot before, after;
	int n = 0, i, t;

	for (i = 0; i < (int)ARRAY_SIZE(order); i++) {
		t = order[i];
		snap(&before);
		uuid_gen(uuids[n]);
		if (before.avail[t] > 0) {
			ASSERT_EQ(0, vgpu_create(types[t], uuids[n]))
				TH_LOG("step %d type %s", i, types[t]);
			n++;
			snap(&after);
			EXPECT_EQ(before.avail[t] - 1, after.avail[t])
				TH_LOG("step %d type %s", i, types[t]);
		} else {
			EXPECT_EQ(-ENOSPC, vgpu_create(types[t], uuids[n]));
			snap(&after);
			EXPECT_TRUE(same(&before, &after));
		}
	}
	/* Exhaust every type; then each create fails with ENOSPC. */
	for (t = 0; t < NTYPES; t++) {
		long long left = vgpu_available(types[t]);

		while (left-- > 0) {
			uuid_gen(uuids[n]);
			ASSERT_EQ(0, vgpu_create(types[t], uuids[n]));
			n++;
		}
		/* Filling one type may only shrink the others. */
		EXPECT_EQ(0, vgpu_available(types[t]));
	}
	for (t = 0; t < NTYPES; t++) {
		char u[40];
		int kmsg = kmsg_open();

		EXPECT_EQ(0, vgpu_available(types[t]));
		uuid_gen(u);
		snap(&before);
		EXPECT_EQ(-ENOSPC, vgpu_create(types[t], u));
		snap(&after);
		EXPECT_TRUE(same(&before, &after));
		EXPECT_TRUE(kmsg_find(kmsg, "cannot create vGPU of type"));
		close(kmsg);
	}
	/* Destroying gives everything back. */
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vgpu_remove(uuids[i]));
	EXPECT_EQ(4, vgpu_available("dedicated"));
	EXPECT_EQ(8, vgpu_available("split"));
	EXPECT_EQ(16, vgpu_available("shared"));
	EXPECT_EQ(8, sysfs_num(VGPU_PARENT "/engines_free"));
}

/* A dedicated type's engines are taken by a shared partition, and back. */
TEST_F(dev, partitions_compete_for_engines)
{
	char s[4][40], d[40];
	int i;

	for (i = 0; i < 4; i++)
		uuid_gen(s[i]);
	ASSERT_EQ(0, vgpu_create("shared", s[0]));	/* engines 0-3 */
	ASSERT_EQ(0, vgpu_create("shared", s[1]));	/* same partition */
	EXPECT_EQ(4, sysfs_num(VGPU_PARENT "/engines_free"));
	EXPECT_EQ(2, vgpu_available("dedicated"));
	/* 64 MiB slot 0 holds the two 32 MiB windows. */
	EXPECT_EQ(7, vgpu_available("split"));
	ASSERT_EQ(0, vgpu_create("split", s[2]));	/* engines 4-5 */
	EXPECT_EQ(1, vgpu_available("dedicated"));
	EXPECT_EQ(6, vgpu_available("shared"));	/* seats left in 0-3 */
	uuid_gen(d);
	ASSERT_EQ(0, vgpu_create("dedicated", d));	/* engines 6-7 */
	EXPECT_EQ(0, vgpu_available("dedicated"));
	EXPECT_EQ(3, vgpu_available("split"));
	ASSERT_EQ(0, vgpu_remove(s[0]));
	ASSERT_EQ(0, vgpu_remove(s[1]));
	/* The shared partition is gone: its four engines are free again. */
	EXPECT_EQ(4, sysfs_num(VGPU_PARENT "/engines_free"));
	EXPECT_EQ(2, vgpu_available("dedicated"));
}

TEST_F(dev, bad_uuid_and_duplicate)
{
	static const char *const bad[] = {
		"\n", "1", "not-a-uuid", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
		/* The mdev core takes a 37th character for a newline. */
		"01234567-89ab-cdef-0123-456789abcdef01",
		"01234567089ab-cdef-0123-456789abcdef",
	};
	struct snapshot before, after;
	char uuid[40], path[256];
	unsigned int i;

	uuid_gen(uuid);
	ASSERT_EQ(0, vgpu_create("split", uuid));
	snap(&before);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, vgpu_create("split", bad[i]))
			TH_LOG("uuid '%s'", bad[i]);
	}
	EXPECT_EQ(-EEXIST, vgpu_create("split", uuid));
	EXPECT_EQ(-EEXIST, vgpu_create("dedicated", uuid));
	snap(&after);
	EXPECT_TRUE(same(&before, &after));
	/* An unknown type does not exist at all. */
	EXPECT_EQ(-ENOENT, vgpu_create("nonesuch", uuid));
	/* remove accepts only a number; 0 is a no-op. */
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", uuid);
	EXPECT_EQ(-EINVAL, sysfs_write(path, "yes"));
	EXPECT_EQ(0, sysfs_write(path, "0"));
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s", uuid));
	ASSERT_EQ(0, vgpu_remove(uuid));
}

/*
 * Fill the device and empty it again, three times: each round allocates and
 * zeroes all of device memory, which takes the debug kernel some 4 s.
 */
TEST_F_TIMEOUT(dev, many_create_destroy_cycles, 300)
{
	char uuid[16][40];
	int round, i;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 16; i++) {
			uuid_gen(uuid[i]);
			ASSERT_EQ(0, vgpu_create("shared", uuid[i]));
		}
		EXPECT_EQ(0, vgpu_available("shared"));
		for (i = 15; i >= 0; i--)
			ASSERT_EQ(0, vgpu_remove(uuid[i]));
	}
	EXPECT_EQ(512LL << 20, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
}

TEST_HARNESS_MAIN
