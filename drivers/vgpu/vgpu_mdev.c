// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu mdev frontend: vGPU instances as mediated devices and VFIO devices.
 *
 * DOC: vGPU lifetime
 *
 * ``echo UUID > .../mdev_supported_types/vgpu-TYPE/create`` makes the mdev
 * core create the mdev device and call vgpu_mdev_probe(), which allocates the
 * vGPU's memory window and engine seat (vgpu_vfio_init()) and registers a
 * VFIO device. The mdev core itself rejects a malformed UUID (-EINVAL) and
 * one already in use (-EEXIST) before the driver is called; the driver
 * rejects a create on a type with no room with -ENOSPC.
 *
 * ``echo 1 > /sys/bus/mdev/devices/UUID/remove`` calls vgpu_mdev_remove().
 * If a VM (any VFIO user) holds the device open, the VFIO core calls
 * vgpu_vfio_request() until the user closes it: we signal the request
 * eventfd the user registered on VFIO_PCI_REQ_IRQ_INDEX (QEMU answers by
 * unplugging the device from the guest), and the writer of ``remove`` waits.
 * Memory is never pulled from under an open device. The window and the engine
 * seat are freed only once the last reference is gone (vgpu_vfio_release()).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vgpu_compat.h"
#include "vgpu_core.h"

static struct vgpu *to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct vgpu, vdev);
}

static struct vgpu_type *to_vgpu_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct vgpu_type, mtype);
}

static int vgpu_vfio_init(struct vfio_device *vdev)
{
	struct vgpu *vgpu = to_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct vgpu_type *type = to_vgpu_type(mdev->type);

	vgpu->dev = type->dev;
	vgpu->mdev = mdev;
	mutex_init(&vgpu->irq_lock);
	return vgpu_resources_get(vgpu, type->index);
}

static void vgpu_vfio_release(struct vfio_device *vdev)
{
	struct vgpu *vgpu = to_vgpu(vdev);

	vgpu_resources_put(vgpu);
	mutex_destroy(&vgpu->irq_lock);
}

static void vgpu_set_req_trigger(struct vgpu *vgpu, struct eventfd_ctx *ctx)
{
	mutex_lock(&vgpu->irq_lock);
	if (vgpu->req_trigger)
		eventfd_ctx_put(vgpu->req_trigger);
	vgpu->req_trigger = ctx;
	mutex_unlock(&vgpu->irq_lock);
}

static void vgpu_vfio_close(struct vfio_device *vdev)
{
	vgpu_set_req_trigger(to_vgpu(vdev), NULL);
}

static void vgpu_vfio_request(struct vfio_device *vdev, unsigned int count)
{
	struct vgpu *vgpu = to_vgpu(vdev);

	mutex_lock(&vgpu->irq_lock);
	if (vgpu->req_trigger) {
		if (!count)
			dev_notice(vdev->dev,
				   "removal requested; asking the user to release the vGPU\n");
		vgpu_eventfd_signal(vgpu->req_trigger);
	} else if (!count) {
		dev_notice(vdev->dev,
			   "removal requested; waiting for the user to close the vGPU (no request interrupt registered)\n");
	}
	mutex_unlock(&vgpu->irq_lock);
}

static int vgpu_ioctl_get_info(unsigned long arg)
{
	struct vfio_device_info info;
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vgpu_ioctl_get_irq_info(unsigned long arg)
{
	struct vfio_irq_info info;
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = 0;
	info.count = 0;
	if (info.index == VFIO_PCI_REQ_IRQ_INDEX) {
		info.flags = VFIO_IRQ_INFO_EVENTFD;
		info.count = 1;
	}
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vgpu_ioctl_set_irqs(struct vgpu *vgpu, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct eventfd_ctx *ctx = NULL;
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	s32 fd;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, 1, VFIO_PCI_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;
	if (hdr.index != VFIO_PCI_REQ_IRQ_INDEX)
		return -EINVAL;
	if (!(hdr.flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return -EINVAL;

	if (hdr.flags & VFIO_IRQ_SET_DATA_NONE) {
		/* count 0 disables; count 1 fires the trigger once. */
		if (!hdr.count) {
			vgpu_set_req_trigger(vgpu, NULL);
		} else {
			mutex_lock(&vgpu->irq_lock);
			if (vgpu->req_trigger)
				vgpu_eventfd_signal(vgpu->req_trigger);
			mutex_unlock(&vgpu->irq_lock);
		}
		return 0;
	}
	if (!(hdr.flags & VFIO_IRQ_SET_DATA_EVENTFD))
		return -EINVAL;
	if (copy_from_user(&fd, (void __user *)(arg + minsz), sizeof(fd)))
		return -EFAULT;
	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EINVAL;
	}
	vgpu_set_req_trigger(vgpu, ctx);
	return 0;
}

static long vgpu_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	struct vgpu *vgpu = to_vgpu(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vgpu_ioctl_get_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vgpu_ioctl_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return vgpu_ioctl_set_irqs(vgpu, arg);
	case VFIO_DEVICE_RESET:
		vgpu->dev->hw->window_clear(vgpu);
		return 0;
	}
	return -ENOTTY;
}

static const struct vfio_device_ops vgpu_vfio_ops = {
	.name = "vgpu",
	.init = vgpu_vfio_init,
	.release = vgpu_vfio_release,
	.close_device = vgpu_vfio_close,
	.ioctl = vgpu_vfio_ioctl,
	.request = vgpu_vfio_request,
	VGPU_VFIO_IOMMUFD_OPS
};

static int vgpu_mdev_probe(struct mdev_device *mdev)
{
	struct vgpu *vgpu;
	int ret;

	vgpu = vfio_alloc_device(vgpu, vdev, &mdev->dev, &vgpu_vfio_ops);
	if (IS_ERR(vgpu))
		return PTR_ERR(vgpu);
	ret = vfio_register_emulated_iommu_dev(&vgpu->vdev);
	if (ret) {
		dev_err(&mdev->dev, "cannot register VFIO device: %d\n", ret);
		vfio_put_device(&vgpu->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, vgpu);
	dev_info(&mdev->dev, "created vGPU of type %s, window %llu MiB at 0x%llx\n",
		 vgpu_profile_of(vgpu)->name, vgpu->mem_size >> 20,
		 vgpu->mem_offset);
	return 0;
}

static void vgpu_mdev_remove(struct mdev_device *mdev)
{
	struct vgpu *vgpu = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&vgpu->vdev);
	vfio_put_device(&vgpu->vdev);
	dev_info(&mdev->dev, "vGPU removed\n");
}

static unsigned int vgpu_mdev_get_available(struct mdev_type *mtype)
{
	struct vgpu_type *t = to_vgpu_type(mtype);

	return vgpu_type_available(t->dev, t->index);
}

static ssize_t vgpu_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct vgpu_type *t = to_vgpu_type(mtype);
	const struct vgpu_profile *p = &t->dev->profiles[t->index];

	if (p->share == 1)
		return sysfs_emit(buf,
				  "memory %llu MiB, %u dedicated engine%s\n",
				  p->mem_size >> 20, p->engines,
				  p->engines == 1 ? "" : "s");
	return sysfs_emit(buf,
			  "memory %llu MiB, %u engine%s time-sliced among up to %u vGPUs\n",
			  p->mem_size >> 20, p->engines,
			  p->engines == 1 ? "" : "s", p->share);
}

struct mdev_driver vgpu_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "vgpu_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = vgpu_instance_groups,
	},
	.probe = vgpu_mdev_probe,
	.remove = vgpu_mdev_remove,
	.get_available = vgpu_mdev_get_available,
	.show_description = vgpu_mdev_show_description,
};
