// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu parent devices: /sys/class/vgpu/vgpuN, their mdev types and the
 * resources (memory windows, engine partitions) that vGPUs take from them.
 */

/**
 * DOC: parent device lifetime
 *
 * vgpu_device_create() registers a device in the "vgpu" class, then an mdev
 * parent with one mdev type per profile. vgpu_device_destroy() unregisters
 * the mdev parent first, which removes every vGPU still present (see
 * vgpu_mdev.c for what happens to one a VM holds open), then the device.
 */
#include <linux/module.h>
#include <linux/slab.h>

#include "core/vgpu_core.h"

static struct class vgpu_class = {
	.name = "vgpu",
};

/**
 * vgpu_class_register() - register the "vgpu" device class
 *
 * Return: 0 or a negative errno.
 */
int vgpu_class_register(void)
{
	return class_register(&vgpu_class);
}

/**
 * vgpu_class_unregister() - unregister the "vgpu" device class
 */
void vgpu_class_unregister(void)
{
	class_unregister(&vgpu_class);
}

static void vgpu_device_release(struct device *dev)
{
	struct vgpu_device *vdev = to_vgpu_device(dev);

	ida_destroy(&vdev->fn_ida);
	xa_destroy(&vdev->fns);
	kfree(vdev->mem.map);
	kfree(vdev);
}

/**
 * vgpu_type_available() - exact number of vGPUs of a profile creatable now
 * @dev: the parent device
 * @profile: index of the profile
 *
 * A vGPU needs one memory window and one seat in an engine partition; the
 * two are independent, so the answer is the smaller of the free aligned
 * window slots and the free or carvable partition seats.
 *
 * Return: the count.
 */
unsigned int vgpu_type_available(struct vgpu_device *dev, int profile)
{
	const struct vgpu_profile *p = &dev->profiles[profile];
	u32 mem, seats;

	mutex_lock(&dev->lock);
	mem = vgpu_mem_free_slots(&dev->mem, p->mem_size);
	seats = vgpu_part_seats(&dev->engines, profile, p);
	mutex_unlock(&dev->lock);
	return min(mem, seats);
}

/**
 * vgpu_resources_get() - give a new vGPU a memory window and engine seat
 * @vgpu: the vGPU, with @vgpu->dev set
 * @profile: index of its profile
 *
 * Allocates the window in device memory, places the vGPU in an engine
 * partition, gives it a function number and has the device provision that
 * function (the sim device backs the window with zeroed memory), then adds
 * the vGPU to its device's list and its partition's scheduler. Leaves nothing behind on failure.
 *
 * Return: 0, -ENOSPC if the device has no room for this profile, or -ENOMEM.
 */
int vgpu_resources_get(struct vgpu *vgpu, int profile)
{
	struct vgpu_device *dev = vgpu->dev;
	const struct vgpu_profile *p = &dev->profiles[profile];
	struct vgpu_fn_res res;
	int ret;

	mutex_lock(&dev->lock);
	ret = vgpu_mem_alloc(&dev->mem, p->mem_size, &vgpu->mem_offset);
	if (ret) {
		dev_err(&dev->dev,
			"cannot create vGPU of type %s: no free %llu MiB memory window\n",
			p->name, p->mem_size >> 20);
		goto out_unlock;
	}
	ret = vgpu_part_join(&dev->engines, profile, p);
	if (ret < 0) {
		dev_err(&dev->dev,
			"cannot create vGPU of type %s: no free partition of %u engines\n",
			p->name, p->engines);
		goto out_mem;
	}
	vgpu->part = ret;
	vgpu->profile = profile;
	vgpu->mem_size = p->mem_size;
	res.mem_offset = vgpu->mem_offset;
	res.mem_size = p->mem_size;
	res.engine_first = dev->engines.parts[vgpu->part].first;
	res.engine_count = dev->engines.parts[vgpu->part].count;
	ret = vgpu_call(ida_alloc(&dev->fn_ida, GFP_KERNEL));
	if (ret < 0)
		goto out_nomem;
	vgpu->fn = ret;
	ret = vgpu_call(xa_insert(&dev->fns, vgpu->fn, vgpu, GFP_KERNEL));
	if (ret)
		goto out_fn;
	ret = vgpu_call(dev->ops->fn_provision(dev, vgpu->fn, &res));
	if (ret)
		goto out_xa;
	vgpu_sched_join(vgpu, dev->engines.parts[vgpu->part].users == 1);
	list_add_tail(&vgpu->node, &dev->vgpus);
	dev->nr_vgpus++;
	mutex_unlock(&dev->lock);
	return 0;

out_xa:
	xa_erase(&dev->fns, vgpu->fn);
out_fn:
	ida_free(&dev->fn_ida, vgpu->fn);
out_nomem:
	dev_err(&dev->dev,
		"cannot create vGPU of type %s: no host memory for its window\n",
		p->name);
	ret = -ENOMEM;
	vgpu_part_leave(&dev->engines, vgpu->part);
out_mem:
	vgpu_mem_free(&dev->mem, vgpu->mem_offset, p->mem_size);
out_unlock:
	mutex_unlock(&dev->lock);
	return ret;
}

/**
 * vgpu_resources_put() - return a vGPU's window and engine seat
 * @vgpu: a vGPU set up by vgpu_resources_get()
 */
void vgpu_resources_put(struct vgpu *vgpu)
{
	struct vgpu_device *dev = vgpu->dev;

	mutex_lock(&dev->lock);
	list_del(&vgpu->node);
	dev->nr_vgpus--;
	vgpu_sched_leave(vgpu, dev->engines.parts[vgpu->part].users == 1);
	dev->ops->fn_unprovision(dev, vgpu->fn);
	xa_erase(&dev->fns, vgpu->fn);
	ida_free(&dev->fn_ida, vgpu->fn);
	vgpu_part_leave(&dev->engines, vgpu->part);
	vgpu_mem_free(&dev->mem, vgpu->mem_offset, vgpu->mem_size);
	mutex_unlock(&dev->lock);
}

static int vgpu_device_init_types(struct vgpu_device *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->nr_profiles; i++) {
		struct vgpu_type *t = &vdev->types[i];

		t->index = i;
		t->dev = vdev;
		t->mtype.sysfs_name = vdev->profiles[i].name;
		t->mtype.pretty_name = vdev->profiles[i].name;
		vdev->type_list[i] = &t->mtype;
	}
	return 0;
}

/**
 * vgpu_device_create() - create and register one parent device
 * @id: device number, N in vgpuN
 * @cfg: validated configuration
 *
 * Return: the device or an ERR_PTR().
 */
struct vgpu_device *vgpu_device_create(unsigned int id,
				       const struct vgpu_config *cfg)
{
	struct vgpu_device *vdev;
	u64 *map;
	int ret;

	vdev = vgpu_alloc(kzalloc(sizeof(*vdev), GFP_KERNEL));
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	map = vgpu_alloc(kcalloc(vgpu_mem_map_words(cfg->mem_size),
				 sizeof(*map), GFP_KERNEL));
	if (!map) {
		kfree(vdev);
		return ERR_PTR(-ENOMEM);
	}
	vdev->id = id;
	vdev->ops = &vgpu_sim_ops;
	ida_init(&vdev->fn_ida);
	xa_init(&vdev->fns);
	vdev->mem_size = cfg->mem_size;
	vdev->num_engines = cfg->num_engines;
	vdev->nr_profiles = cfg->nr_profiles;
	memcpy(vdev->profiles, cfg->profiles, sizeof(vdev->profiles));
	mutex_init(&vdev->lock);
	INIT_LIST_HEAD(&vdev->vgpus);
	vdev->policy = VGPU_POLICY_BEST_EFFORT;
	vdev->timeslice_ns = VGPU_TIMESLICE_DEFAULT_NS;
	vdev->job_timeout_ns = VGPU_JOB_TIMEOUT_DEFAULT_MS * NSEC_PER_MSEC;
	vdev->preempt_timeout_ns = VGPU_PREEMPT_TIMEOUT_DEFAULT_US *
				   NSEC_PER_USEC;
	/* Both were validated with the module parameters. */
	WARN_ON(vgpu_mem_init(&vdev->mem, cfg->mem_size, map));
	WARN_ON(vgpu_engines_init(&vdev->engines, cfg->num_engines));
	vgpu_device_init_types(vdev);

	device_initialize(&vdev->dev);
	vdev->dev.class = &vgpu_class;
	vdev->dev.release = vgpu_device_release;
	vdev->dev.groups = vgpu_device_groups;
	ret = vgpu_call(dev_set_name(&vdev->dev, "vgpu%u", id));
	if (ret)
		goto err_put;
	ret = vgpu_call(device_add(&vdev->dev));
	if (ret)
		goto err_put;
	ret = vgpu_engines_start(vdev);
	if (ret)
		goto err_del;
	ret = vgpu_call(mdev_register_parent(&vdev->parent, &vdev->dev,
					     &vgpu_mdev_driver,
					     vdev->type_list,
					     vdev->nr_profiles));
	if (ret)
		goto err_engines;
	vgpu_sched_debugfs_init(vdev);
	dev_info(&vdev->dev,
		 "%s backend, %llu MiB memory, %u engines, %u vGPU types\n",
		 vdev->ops->name, vdev->mem_size >> 20, vdev->num_engines,
		 vdev->nr_profiles);
	return vdev;

err_engines:
	vgpu_engines_stop(vdev);
err_del:
	device_del(&vdev->dev);
err_put:
	put_device(&vdev->dev);
	return ERR_PTR(ret);
}

/**
 * vgpu_device_destroy() - remove all vGPUs of a device, then the device
 * @vdev: a device from vgpu_device_create()
 */
void vgpu_device_destroy(struct vgpu_device *vdev)
{
	vgpu_sched_debugfs_exit(vdev);
	mdev_unregister_parent(&vdev->parent);
	WARN_ON(vdev->nr_vgpus);
	vgpu_engines_stop(vdev);
	device_unregister(&vdev->dev);
}
