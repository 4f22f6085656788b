/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Opening a vGPU through the VFIO container/group API, as QEMU does on
 * Debian's kernel.
 */
#ifndef VFIO_GROUP_H
#define VFIO_GROUP_H

#include <libgen.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include "vgpu_test.h"

struct vfio_handle {
	int container;
	int group;
	int device;
};

/* Open the vGPU @uuid; 0 or -errno, with every fd closed on failure. */
static inline int vfio_open(const char *uuid, struct vfio_handle *h)
{
	char link[512], target[512], path[64];
	ssize_t n;
	int err;

	h->group = -1;
	h->device = -1;
	snprintf(link, sizeof(link), MDEV_DEVICES "/%s/iommu_group", uuid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(target));
	h->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (h->container < 0)
		return -errno;
	h->group = open(path, O_RDWR | O_CLOEXEC);
	if (h->group < 0)
		goto err;
	if (ioctl(h->group, VFIO_GROUP_SET_CONTAINER, &h->container))
		goto err;
	if (ioctl(h->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	h->device = ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (h->device < 0)
		goto err;
	return 0;
err:
	err = -errno;
	if (h->group >= 0)
		close(h->group);
	close(h->container);
	h->container = -1;
	h->group = -1;
	return err;
}

static inline void vfio_close(struct vfio_handle *h)
{
	if (h->device >= 0)
		close(h->device);
	if (h->group >= 0)
		close(h->group);
	if (h->container >= 0)
		close(h->container);
	h->container = -1;
	h->group = -1;
	h->device = -1;
}

/* Route IRQ @index to @efd (-1 to unroute); 0 or -errno. */
static inline int vfio_set_irq_eventfd(int device, unsigned int index,
				       int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

#endif /* VFIO_GROUP_H */
