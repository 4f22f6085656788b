/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu mdev/VFIO frontend: what its files call of each other, and what the
 * sim device calls of it.
 */
#ifndef VGPU_MDEV_H
#define VGPU_MDEV_H

#include "core/vgpu_core.h"
#include "vfio/vgpu_vfio_mig.h"

struct vgpu_sim_fn;

/**
 * struct vgpu_mdev - a sim function handed to VMs as an mdev VFIO device
 * @vdev: the VFIO device a VM opens
 * @vgpu: the core's record of the function
 * @sf: the sim function
 * @mdev: its mdev device, /sys/bus/mdev/devices/UUID
 * @irq_lock: protects @req_trigger and @msix_trigger
 * @req_trigger: eventfd signalled to ask the user to release the device
 * @msix_trigger: eventfds of the MSI-X vectors
 * @mig: its VFIO migration (vfio/vgpu_vfio_mig.c); its lock is taken
 *	 before &vgpu.ctl_lock and before a session's own lock
 */
struct vgpu_mdev {
	struct vfio_device vdev;
	struct vgpu vgpu;
	struct vgpu_sim_fn *sf;
	struct mdev_device *mdev;
	struct mutex irq_lock; /* see above */
	struct eventfd_ctx *req_trigger;
	struct eventfd_ctx *msix_trigger[VGPU_MSIX_VECTORS];
	struct vgpu_vfio_mig mig;
};

/* mdev/vgpu_irq.c: eventfds behind interrupts */
extern struct mdev_driver vgpu_mdev_driver;

int vgpu_mdev_parent_add(struct vgpu_device *dev);
void vgpu_mdev_parent_remove(struct vgpu_device *dev);

int vgpu_irq_get_info(unsigned long arg);
int vgpu_irq_set(struct vgpu_mdev *m, unsigned long arg);
void vgpu_irq_signal(struct vgpu_mdev *m, unsigned int vector);
void vgpu_irq_request(struct vgpu_mdev *m, unsigned int count);
void vgpu_irq_release_all(struct vgpu_mdev *m);

/* mdev/vgpu_reset.c: function reset (stop, drop work, zero the window) */
void vgpu_function_reset(struct vgpu_mdev *m, bool cfg);
void vgpu_function_stop(struct vgpu_mdev *m);

/* VFIO region offsets: region index in the bits above 40. */
#define VGPU_OFFSET_SHIFT	40
#define VGPU_OFFSET_INDEX(off)	((off) >> VGPU_OFFSET_SHIFT)
#define VGPU_OFFSET_MASK	((1ULL << VGPU_OFFSET_SHIFT) - 1)
#define VGPU_INDEX_TO_OFFSET(i)	((u64)(i) << VGPU_OFFSET_SHIFT)

/* mdev/vgpu_mig.c: the sim function's state for VFIO migration */
#if VGPU_HAVE_MIGRATION
void vgpu_mig_init(struct vgpu_mdev *m);
#else
static inline void vgpu_mig_init(struct vgpu_mdev *m)
{
}
#endif

#endif /* VGPU_MDEV_H */
