// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu module loading: defaults, parameters, and every malformed or
 * contradictory parameter failing the load with a precise errno and one log
 * line, leaving nothing behind.
 */
#include "kselftest_harness.h"
#include "vgpu_test.h"

#define PARAMS "num_devices=3 mem_size_mb=64 num_engines=2 profiles=t:1M:1:64,b:64M:2:1"
#define V1_TYPES "/sys/class/vgpu/vgpu1/mdev_supported_types"

static void unload_quietly(void)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

TEST(defaults)
{
	char buf[256];

	unload_quietly();
	ASSERT_EQ(0, vgpu_load(""));
	EXPECT_EQ(512LL << 20, sysfs_num(VGPU_PARENT "/mem_total_bytes"));
	EXPECT_EQ(512LL << 20, sysfs_num(VGPU_PARENT "/mem_free_bytes"));
	EXPECT_EQ(8, sysfs_num(VGPU_PARENT "/engines_total"));
	EXPECT_EQ(8, sysfs_num(VGPU_PARENT "/engines_free"));
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
	ASSERT_EQ(0, sysfs_read(VGPU_PARENT "/backend", buf, sizeof(buf)));
	EXPECT_STREQ("sim", buf);
	/* vgpu1, if any, is an SR-IOV PF's parent, not a second sim one. */
	EXPECT_FALSE(path_exists("/sys/class/vgpu/vgpu1/mdev_supported_types"));

	ASSERT_EQ(0, sysfs_read(VGPU_TYPES "/vgpu-dedicated/name", buf,
				sizeof(buf)));
	EXPECT_STREQ("dedicated", buf);
	ASSERT_EQ(0, sysfs_read(VGPU_TYPES "/vgpu-dedicated/device_api", buf,
				sizeof(buf)));
	EXPECT_STREQ("vfio-pci", buf);
	ASSERT_EQ(0, sysfs_read(VGPU_TYPES "/vgpu-dedicated/description", buf,
				sizeof(buf)));
	EXPECT_STREQ("memory 128 MiB, 2 dedicated engines", buf);
	ASSERT_EQ(0, sysfs_read(VGPU_TYPES "/vgpu-shared/description", buf,
				sizeof(buf)));
	EXPECT_STREQ("memory 32 MiB, 4 engines time-sliced among up to 8 vGPUs",
		     buf);
	/* 512 MiB / 128 MiB windows; 8 engines / 2 give 4 partitions. */
	EXPECT_EQ(4, vgpu_available("dedicated"));
	/* 8 x 64 MiB windows; 4 partitions x 4 seats. */
	EXPECT_EQ(8, vgpu_available("split"));
	/* 16 x 32 MiB windows; 2 partitions x 8 seats. */
	EXPECT_EQ(16, vgpu_available("shared"));
	ASSERT_EQ(0, vgpu_unload());
	EXPECT_FALSE(path_exists("/sys/class/vgpu"));
}

TEST(parameters)
{
	char buf[128];

	unload_quietly();
	ASSERT_EQ(0, vgpu_load(PARAMS));
	EXPECT_TRUE(path_exists("/sys/class/vgpu/vgpu2"));
	EXPECT_FALSE(path_exists("/sys/class/vgpu/vgpu3/mdev_supported_types"));
	EXPECT_EQ(64LL << 20,
		  sysfs_num("/sys/class/vgpu/vgpu2/mem_total_bytes"));
	EXPECT_EQ(2, sysfs_num("/sys/class/vgpu/vgpu1/engines_total"));
	EXPECT_EQ(64, sysfs_num(V1_TYPES "/vgpu-t/available_instances"));
	EXPECT_EQ(1, sysfs_num(V1_TYPES "/vgpu-b/available_instances"));
	EXPECT_FALSE(path_exists(VGPU_TYPES "/vgpu-dedicated"));
	ASSERT_EQ(0, sysfs_read("/sys/module/vgpu/parameters/profiles", buf,
				sizeof(buf)));
	EXPECT_STREQ("t:1M:1:64,b:64M:2:1", buf);
	ASSERT_EQ(0, vgpu_unload());
}

struct bad_param {
	const char *params;
	int err;
	const char *log;
};

TEST(bad_parameters_fail_load)
{
	static const struct bad_param cases[] = {
		{ "num_devices=9", -EINVAL, "num_devices=9 is out of range" },
		{ "mem_size_mb=8", -EINVAL, "mem_size_mb=8 is out of range" },
		{ "mem_size_mb=65537", -EINVAL, "mem_size_mb=65537" },
		{ "num_engines=0", -EINVAL, "num_engines=0 is out of range" },
		{ "num_engines=65", -EINVAL, "num_engines=65" },
		{ "num_engines=abc", -EINVAL, "" },
		{ "profiles=", -EINVAL, "no profiles given" },
		{ "profiles=a:64M:1", -EINVAL, "NAME:MEMORY:ENGINES:SHARE" },
		{ "profiles=a:60M:1:1", -EINVAL, "power of two" },
		{ "profiles=a:64M:3:1", -EINVAL, "engines must be" },
		{ "profiles=a:64M:1:0", -EINVAL, "share must be" },
		{ "profiles=a:64M:1:65", -ERANGE, "share must be" },
		{ "profiles=Bad:64M:1:1", -EINVAL, "name must be" },
		{ "profiles=a:64M:1:1,a:32M:1:1", -EINVAL, "duplicate name" },
		{ "profiles=a:1G:1:1", -EINVAL, "exceeds device memory" },
		{ "num_engines=2 profiles=a:64M:4:1", -EINVAL,
		  "4 engines exceed the device's 2" },
	};
	unsigned int i;

	unload_quietly();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int kmsg = kmsg_open();

		EXPECT_EQ(cases[i].err, vgpu_load(cases[i].params))
			TH_LOG("params '%s'", cases[i].params);
		EXPECT_FALSE(vgpu_loaded()) TH_LOG("'%s'", cases[i].params);
		EXPECT_FALSE(path_exists("/sys/class/vgpu"));
		if (cases[i].log[0])
			EXPECT_TRUE(kmsg_find(kmsg, cases[i].log))
				TH_LOG("no log line '%s' for '%s'",
				       cases[i].log, cases[i].params);
		close(kmsg);
		if (vgpu_loaded())
			vgpu_unload();
	}
}

TEST(reload_cycles)
{
	int i;

	unload_quietly();
	for (i = 0; i < 5; i++) {
		char uuid[40];

		ASSERT_EQ(0, vgpu_load(""));
		uuid_gen(uuid);
		ASSERT_EQ(0, vgpu_create("split", uuid));
		ASSERT_EQ(0, vgpu_unload());
		EXPECT_FALSE(path_exists(MDEV_DEVICES "/%s", uuid));
	}
}

TEST_HARNESS_MAIN
