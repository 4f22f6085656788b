// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu sysfs: read-only views of parent devices and vGPU instances.
 *
 * DOC: sysfs tree
 *
 * ::
 *
 *   /sys/class/vgpu/vgpuN/                  parent (simulated physical) device
 *       backend                             "sim"
 *       mem_total_bytes, mem_free_bytes     device memory
 *       engines_total, engines_free         engines in no partition
 *       vgpus                               vGPUs on the device
 *       mdev_supported_types/vgpu-NAME/     one mdev type per profile
 *           name, description, device_api, available_instances, create
 *
 *   /sys/bus/mdev/devices/UUID/vgpu/        one vGPU
 *       profile                             its type's name
 *       mem_offset_bytes, mem_size_bytes    its memory window
 *       engines                             its partition's engines, "2-3"
 *       partition                           partition index on the parent
 *       partition_users, partition_share    vGPUs in it now / at most
 *
 * Documentation/ABI/testing/sysfs-class-vgpu is the user-facing contract.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "vgpu_core.h"

#define VGPU_DEV_SHOW(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu_device *dev = to_vgpu_device(d);			\
	ssize_t ret;							\
									\
	mutex_lock(&dev->lock);						\
	ret = sysfs_emit(buf, _fmt "\n", _expr);			\
	mutex_unlock(&dev->lock);					\
	return ret;							\
}									\
static DEVICE_ATTR_RO(_name)

VGPU_DEV_SHOW(backend, "%s", dev->hw->name);
VGPU_DEV_SHOW(mem_total_bytes, "%llu", dev->mem_size);
VGPU_DEV_SHOW(mem_free_bytes, "%llu", vgpu_mem_free_bytes(&dev->mem));
VGPU_DEV_SHOW(engines_total, "%u", dev->num_engines);
VGPU_DEV_SHOW(engines_free, "%u", vgpu_engines_free(&dev->engines));
VGPU_DEV_SHOW(vgpus, "%u", dev->nr_vgpus);

static struct attribute *vgpu_device_attrs[] = {
	&dev_attr_backend.attr,
	&dev_attr_mem_total_bytes.attr,
	&dev_attr_mem_free_bytes.attr,
	&dev_attr_engines_total.attr,
	&dev_attr_engines_free.attr,
	&dev_attr_vgpus.attr,
	NULL,
};

static const struct attribute_group vgpu_device_group = {
	.attrs = vgpu_device_attrs,
};

const struct attribute_group *vgpu_device_groups[] = {
	&vgpu_device_group,
	NULL,
};

/*
 * An instance's window and partition are fixed from creation to removal, so
 * they are read without the parent's lock; only the partition's user count
 * changes and is read under it.
 */
#define VGPU_INST_SHOW(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu *vgpu = dev_get_drvdata(d);				\
									\
	return sysfs_emit(buf, _fmt "\n", _expr);			\
}									\
static DEVICE_ATTR_RO(_name)

VGPU_INST_SHOW(profile, "%s", vgpu_profile_of(vgpu)->name);
VGPU_INST_SHOW(mem_offset_bytes, "%llu", vgpu->mem_offset);
VGPU_INST_SHOW(mem_size_bytes, "%llu", vgpu->mem_size);
VGPU_INST_SHOW(partition, "%d", vgpu->part);
VGPU_INST_SHOW(partition_share, "%u", vgpu_profile_of(vgpu)->share);

static ssize_t engines_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	const struct vgpu_partition *part;

	part = &vgpu->dev->engines.parts[vgpu->part];
	if (part->count == 1)
		return sysfs_emit(buf, "%u\n", part->first);
	return sysfs_emit(buf, "%u-%u\n", part->first,
			  part->first + part->count - 1);
}
static DEVICE_ATTR_RO(engines);

static ssize_t partition_users_show(struct device *d,
				    struct device_attribute *attr, char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u32 users;

	mutex_lock(&vgpu->dev->lock);
	users = vgpu->dev->engines.parts[vgpu->part].users;
	mutex_unlock(&vgpu->dev->lock);
	return sysfs_emit(buf, "%u\n", users);
}
static DEVICE_ATTR_RO(partition_users);

static struct attribute *vgpu_instance_attrs[] = {
	&dev_attr_profile.attr,
	&dev_attr_mem_offset_bytes.attr,
	&dev_attr_mem_size_bytes.attr,
	&dev_attr_engines.attr,
	&dev_attr_partition.attr,
	&dev_attr_partition_users.attr,
	&dev_attr_partition_share.attr,
	NULL,
};

static const struct attribute_group vgpu_instance_group = {
	.name = "vgpu",
	.attrs = vgpu_instance_attrs,
};

const struct attribute_group *vgpu_instance_groups[] = {
	&vgpu_instance_group,
	NULL,
};
