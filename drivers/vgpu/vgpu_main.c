// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu: virtual GPUs for virtual machines, carved from one physical device.
 *
 * The module's wiring: its parameters, the sim devices with their mdev
 * frontend, and the PF driver.
 */

/**
 * DOC: module parameters
 *
 * All parameters are read once, at load; malformed or contradictory values
 * make the load fail with -EINVAL (or -ERANGE, -E2BIG) and one log line
 * naming the parameter.
 *
 * - ``num_devices``: simulated physical devices to create, 0-8 (default 1);
 *   0 leaves only SR-IOV PFs, which the PF driver binds whatever the value.
 * - ``mem_size_mb``: device memory of each, 16-65536 MiB (default 512).
 * - ``num_engines``: engines of each, 1-64 (default 8).
 * - ``profiles``: the vGPU types of each device, see vgpu_profile.c.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "core/vgpu_core.h"
#include "mdev/vgpu_mdev.h"
#include "pf/vgpu_pf.h"
#include "sim/vgpu_sim.h"

#define VGPU_MIN_MEM_MB		16
#define VGPU_MAX_MEM_MB		65536

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Simulated physical devices, 0-8 (default 1)");

static unsigned int mem_size_mb = 512;
module_param(mem_size_mb, uint, 0444);
MODULE_PARM_DESC(mem_size_mb,
		 "Device memory per device in MiB, 16-65536 (default 512)");

static unsigned int num_engines = 8;
module_param(num_engines, uint, 0444);
MODULE_PARM_DESC(num_engines, "Engines per device, 1-64 (default 8)");

static char *profiles = "dedicated:128M:2:1,split:64M:2:4,shared:32M:4:8";
module_param(profiles, charp, 0444);
MODULE_PARM_DESC(profiles,
		 "vGPU types as NAME:MEMORY:ENGINES:SHARE[,...]; MEMORY a power of two >= 1M, ENGINES a power of two, SHARE 1 (dedicated) to 64 (default dedicated:128M:2:1,split:64M:2:4,shared:32M:4:8)");

static struct vgpu_device *vgpu_devices[VGPU_MAX_DEVICES];

static int vgpu_check_range(const char *name, unsigned int v,
			    unsigned int lo, unsigned int hi)
{
	if (v >= lo && v <= hi)
		return 0;
	pr_err("vgpu: %s=%u is out of range %u-%u\n", name, v, lo, hi);
	return -EINVAL;
}

static int vgpu_config_from_params(struct vgpu_config *cfg)
{
	char err[VGPU_ERRMSG_LEN];
	int ret;

	ret = vgpu_check_range("num_devices", num_devices, 0,
			       VGPU_MAX_DEVICES) ?:
	      vgpu_check_range("mem_size_mb", mem_size_mb, VGPU_MIN_MEM_MB,
			       VGPU_MAX_MEM_MB) ?:
	      vgpu_check_range("num_engines", num_engines, 1,
			       VGPU_MAX_ENGINES);
	if (ret)
		return ret;
	cfg->mem_size = (u64)mem_size_mb << 20;
	cfg->num_engines = num_engines;
	if (!profiles)
		profiles = "";
	ret = vgpu_profiles_parse(profiles, cfg->profiles, VGPU_MAX_PROFILES,
				  &cfg->nr_profiles, err, sizeof(err)) ?:
	      vgpu_profiles_check(cfg->profiles, cfg->nr_profiles,
				  cfg->mem_size, cfg->num_engines, err,
				  sizeof(err));
	if (ret)
		pr_err("vgpu: invalid profiles=: %s\n", err);
	return ret;
}

static void vgpu_destroy_all(void)
{
	unsigned int i;

	for (i = VGPU_MAX_DEVICES; i-- > 0;) {
		if (!vgpu_devices[i])
			continue;
		vgpu_mdev_parent_remove(vgpu_devices[i]);
		vgpu_device_destroy(vgpu_devices[i]);
		vgpu_devices[i] = NULL;
	}
}

static int __init vgpu_init(void)
{
	struct vgpu_config *cfg;
	unsigned int i;
	int ret;

	vgpu_fault_init();
	cfg = vgpu_alloc(kzalloc(sizeof(*cfg), GFP_KERNEL));
	if (!cfg) {
		ret = -ENOMEM;
		goto out_fault;
	}
	ret = vgpu_config_from_params(cfg);
	if (ret)
		goto out_free;
	ret = vgpu_call(vgpu_class_register());
	if (ret)
		goto out_free;
	ret = vgpu_call(mdev_register_driver(&vgpu_mdev_driver));
	if (ret)
		goto out_class;
	for (i = 0; i < num_devices; i++) {
		struct vgpu_device *vdev;

		vdev = vgpu_device_create(NULL, cfg, &vgpu_sim_ops, NULL);
		if (IS_ERR(vdev)) {
			ret = PTR_ERR(vdev);
			pr_err("vgpu: cannot create device vgpu%u: %d\n", i,
			       ret);
			goto out_devices;
		}
		ret = vgpu_mdev_parent_add(vdev);
		if (ret) {
			pr_err("vgpu: cannot register vgpu%u as mdev parent: %d\n",
			       i, ret);
			vgpu_device_destroy(vdev);
			goto out_devices;
		}
		vgpu_devices[i] = vdev;
	}
	ret = vgpu_pf_register(cfg);
	if (ret) {
		pr_err("vgpu: cannot register the PF driver: %d\n", ret);
		goto out_devices;
	}
	kfree(cfg);
	return 0;

out_devices:
	vgpu_destroy_all();
	mdev_unregister_driver(&vgpu_mdev_driver);
out_class:
	vgpu_class_unregister();
out_free:
	kfree(cfg);
out_fault:
	vgpu_fault_exit();
	return ret;
}

static void __exit vgpu_exit(void)
{
	vgpu_pf_unregister();
	vgpu_destroy_all();
	mdev_unregister_driver(&vgpu_mdev_driver);
	vgpu_class_unregister();
	vgpu_fault_exit();
}

module_init(vgpu_init);
module_exit(vgpu_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Virtual GPUs for virtual machines (mdev/VFIO)");
MODULE_AUTHOR("The vgpu developers");
MODULE_IMPORT_NS(VGPU);
