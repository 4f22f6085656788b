// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_group: open a vGPU through the VFIO container/group API and route
 * its interrupts (see vfio_group.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vfio_group.h"

#define VFIO_MDEV_DEVICES	"/sys/bus/mdev/devices"
#define VFIO_PCI_DEVICES	"/sys/bus/pci/devices"

/*
 * Open /dev/vfio/N, the IOMMU group of device @name, into @h->group: an mdev
 * UUID, or else a PCI address (a VF bound to vfio-pci).
 */
static int vfio_open_group(const char *name, struct vfio_handle *h)
{
	char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), VFIO_MDEV_DEVICES "/%s/iommu_group",
		 name);
	if (access(link, F_OK))
		snprintf(link, sizeof(link),
			 VFIO_PCI_DEVICES "/%s/iommu_group", name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(target));
	h->group = open(path, O_RDWR | O_CLOEXEC);
	return h->group < 0 ? -errno : 0;
}

/* Open a container into @h->container, attach @h->group and set the IOMMU. */
static int vfio_open_container(struct vfio_handle *h)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	h->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (h->container < 0)
		return -errno;
	if (ioctl(h->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -EINVAL;
	if (ioctl(h->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return -EOPNOTSUPP;
	if (ioctl(h->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(h->group, VFIO_GROUP_SET_CONTAINER, &h->container))
		return -errno;
	if (ioctl(h->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	return 0;
}

/**
 * vfio_open() - open a vGPU's VFIO device
 * @uuid: the vGPU's mdev UUID (/sys/bus/mdev/devices/UUID), or the PCI
 *	  address of a VF bound to vfio-pci (0000:01:00.1)
 * @h: filled in with the open file descriptors
 *
 * Opens the vGPU's IOMMU group, attaches it to a new container with the
 * Type1 v2 IOMMU and gets the device fd.
 *
 * Return: 0; -EINVAL if the kernel's VFIO API version is not the one built
 * against; -EOPNOTSUPP without the Type1 v2 IOMMU; -EBUSY if the group is
 * not viable; or the negative errno of the call that failed. On failure
 * every fd is closed again and @h holds -1s.
 */
int vfio_open(const char *uuid, struct vfio_handle *h)
{
	int ret;

	h->container = -1;
	h->group = -1;
	h->device = -1;
	ret = vfio_open_group(uuid, h);
	if (!ret)
		ret = vfio_open_container(h);
	if (!ret) {
		h->device = ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
		if (h->device < 0)
			ret = -errno;
	}
	if (ret)
		vfio_close(h);
	return ret;
}

/**
 * vfio_close() - close what vfio_open() opened
 * @h: the handle; fds of -1 are skipped, and all are -1 afterwards
 *
 * Closing the container drops every DMA mapping made through it.
 */
void vfio_close(struct vfio_handle *h)
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

/**
 * vfio_set_irqs() - route interrupts to eventfds, or unroute them all
 * @device: the VFIO device fd
 * @index: VFIO IRQ index, e.g. VFIO_PCI_MSIX_IRQ_INDEX
 * @start: the first vector
 * @count: how many vectors, at most VFIO_SET_IRQS_MAX_FDS
 * @fds: an eventfd per vector (-1 unroutes that vector), or NULL to unroute
 *	 every vector of @index (@start and @count are then ignored)
 *
 * Return: 0, -EINVAL for too many vectors, or the negative errno of
 * VFIO_DEVICE_SET_IRQS.
 */
int vfio_set_irqs(int device, unsigned int index, unsigned int start,
		  unsigned int count, const int *fds)
{
	char buf[sizeof(struct vfio_irq_set) +
		 VFIO_SET_IRQS_MAX_FDS * sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	if (count > VFIO_SET_IRQS_MAX_FDS)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + count * sizeof(int);
	set->index = index;
	set->start = start;
	set->count = count;
	if (fds) {
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD |
			     VFIO_IRQ_SET_ACTION_TRIGGER;
		memcpy(set->data, fds, count * sizeof(int));
	} else {
		set->argsz = sizeof(*set);
		set->flags = VFIO_IRQ_SET_DATA_NONE |
			     VFIO_IRQ_SET_ACTION_TRIGGER;
		set->start = 0;
		set->count = 0;
	}
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}
