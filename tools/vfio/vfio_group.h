/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_group: open a vGPU through the VFIO container/group API, as QEMU does
 * on kernels without iommufd cdevs (Debian's among them), and route its
 * interrupts to eventfds.
 *
 * The one implementation of that sequence in userspace: the VFIO library
 * (vgpu_vfio.c) builds on it, and the selftests that drive the VFIO device
 * by hand use it directly. Link vfio_group.c.
 *
 * Every function that can fail returns 0 on success and a negative errno on
 * failure.
 */
#ifndef VGPU_TOOLS_VFIO_GROUP_H
#define VGPU_TOOLS_VFIO_GROUP_H

#include <linux/vfio.h>

/* The most eventfds one vfio_set_irqs() call routes. */
#define VFIO_SET_IRQS_MAX_FDS	8

/**
 * struct vfio_handle - the file descriptors of an open VFIO device
 * @container: /dev/vfio/vfio, with the Type1 v2 IOMMU set
 * @group: /dev/vfio/N, the device's IOMMU group, attached to @container
 * @device: the VFIO device
 *
 * Each is -1 while not open.
 */
struct vfio_handle {
	int container;
	int group;
	int device;
};

int vfio_open(const char *uuid, struct vfio_handle *h);
void vfio_close(struct vfio_handle *h);
int vfio_set_irqs(int device, unsigned int index, unsigned int start,
		  unsigned int count, const int *fds);

/**
 * vfio_set_irq_eventfd() - route one interrupt to an eventfd
 * @device: the VFIO device fd
 * @index: VFIO IRQ index, e.g. VFIO_PCI_REQ_IRQ_INDEX
 * @efd: the eventfd, or -1 to unroute
 *
 * Routes vector 0 of @index.
 *
 * Return: 0 or the negative errno of VFIO_DEVICE_SET_IRQS.
 */
static inline int vfio_set_irq_eventfd(int device, unsigned int index,
				       int efd)
{
	return vfio_set_irqs(device, index, 0, 1, &efd);
}

#endif /* VGPU_TOOLS_VFIO_GROUP_H */
