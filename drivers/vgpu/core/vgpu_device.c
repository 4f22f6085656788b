// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu parent devices: /sys/class/vgpu/vgpuN and the resources (memory
 * windows, engine partitions) that vGPUs take from them.
 */

/**
 * DOC: parent device lifetime
 *
 * vgpu_device_create() registers a device in the "vgpu" class for a device
 * behind an interface (struct vgpu_device_ops) and starts its engine
 * threads; the device is then a parent that functions can be carved from.
 * Who creates the functions is the frontend's business: the mdev frontend
 * registers an mdev parent on a sim device (vgpu_mdev_parent_add()), the PF
 * driver provisions its VFs. Before vgpu_device_destroy() the frontend
 * removes every function it created.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "core/vgpu_core.h"

static struct class vgpu_class = {
	.name = "vgpu",
};

/* Allocates N in vgpuN. */
static DEFINE_IDA(vgpu_device_ida);

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

	ida_free(&vgpu_device_ida, vdev->id);
	ida_destroy(&vdev->fn_ida);
	xa_destroy(&vdev->fns);
	xa_destroy(&vdev->peers);
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
 * @fn: its function number if the device fixes it (a VF's number), or -1
 *	for any free one
 *
 * Allocates the window in device memory, places the vGPU in an engine
 * partition, gives it a function number and has the device provision that
 * function (the window reads zeros afterwards), then adds the vGPU to its
 * device's list and its partition's scheduler. Records the time in
 * @vgpu->created_ns (CLOCK_BOOTTIME, which counts suspend too). Leaves
 * nothing behind on failure.
 *
 * Return: 0, -ENOSPC if the device has no room for this profile, -EBUSY if
 * @fn is taken, -EIO if the device refused the provisioning, or -ENOMEM.
 */
int vgpu_resources_get(struct vgpu *vgpu, int profile, int fn)
{
	struct vgpu_device *dev = vgpu->dev;
	const struct vgpu_profile *p = &dev->profiles[profile];
	struct vgpu_fn_res res;
	int ret;

	vgpu->created_ns = ktime_get_boottime_ns();
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
	if (fn < 0)
		ret = vgpu_call(ida_alloc(&dev->fn_ida, GFP_KERNEL));
	else
		ret = vgpu_call(ida_alloc_range(&dev->fn_ida, fn, fn,
						GFP_KERNEL));
	if (ret == -ENOSPC) {
		dev_err(&dev->dev,
			"cannot create vGPU of type %s: function %d is in use\n",
			p->name, fn);
		ret = -EBUSY;
		goto out_part;
	}
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
	/* A device that refused the provisioning (-EIO) said why. */
	if (ret == -EIO)
		goto out_part;
out_nomem:
	dev_err(&dev->dev,
		"cannot create vGPU of type %s: no host memory for its window\n",
		p->name);
	ret = -ENOMEM;
out_part:
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

	/* No peer copy writes into the window once it is handed back. */
	vgpu_peer_join(vgpu, 0);
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

/**
 * vgpu_device_create() - create and register one parent device
 * @parent: the device it belongs to (a PF's PCI device), NULL if none
 * @cfg: validated configuration: its memory, engines and profiles
 * @ops: the device interface
 * @priv: the device's own object, &vgpu_device.priv
 *
 * The device is named vgpuN with the lowest free N and its engine threads
 * run when this returns.
 *
 * Return: the device or an ERR_PTR().
 */
struct vgpu_device *vgpu_device_create(struct device *parent,
				       const struct vgpu_config *cfg,
				       const struct vgpu_device_ops *ops,
				       void *priv)
{
	struct vgpu_device *vdev;
	u64 *map;
	int ret, id;

	id = vgpu_call(ida_alloc_max(&vgpu_device_ida, 255, GFP_KERNEL));
	if (id < 0)
		return ERR_PTR(id);

	vdev = vgpu_alloc(kzalloc(sizeof(*vdev), GFP_KERNEL));
	map = vgpu_alloc(kcalloc(vgpu_mem_map_words(cfg->mem_size),
				 sizeof(*map), GFP_KERNEL));
	if (!vdev || !map) {
		kfree(map);
		kfree(vdev);
		ida_free(&vgpu_device_ida, id);
		return ERR_PTR(-ENOMEM);
	}
	vdev->id = id;
	vdev->ops = ops;
	vdev->priv = priv;
	ida_init(&vdev->fn_ida);
	xa_init(&vdev->fns);
	init_rwsem(&vdev->peer_sem);
	xa_init(&vdev->peers);
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

	device_initialize(&vdev->dev);
	vdev->dev.parent = parent;
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
	vgpu_sched_debugfs_init(vdev);
	dev_info(&vdev->dev,
		 "%s backend, %llu MiB memory, %u engines, %u vGPU types\n",
		 vdev->ops->name, vdev->mem_size >> 20, vdev->num_engines,
		 vdev->nr_profiles);
	return vdev;

err_del:
	device_del(&vdev->dev);
err_put:
	put_device(&vdev->dev);
	return ERR_PTR(ret);
}

/**
 * vgpu_device_destroy() - stop and unregister a device
 * @vdev: a device from vgpu_device_create() whose frontend has removed all
 *	  its vGPUs
 */
void vgpu_device_destroy(struct vgpu_device *vdev)
{
	vgpu_sched_debugfs_exit(vdev);
	WARN_ON(vdev->nr_vgpus);
	vgpu_engines_stop(vdev);
	device_unregister(&vdev->dev);
}
