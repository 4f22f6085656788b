/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu mdev/VFIO frontend: what its files call of each other, and what the
 * sim device calls of it.
 */
#ifndef VGPU_MDEV_H
#define VGPU_MDEV_H

#include "core/vgpu_core.h"

struct vgpu_sim_fn;
struct vgpu_mig_file;

/**
 * struct vgpu_mdev - a sim function handed to VMs as an mdev VFIO device
 * @vdev: the VFIO device a VM opens
 * @vgpu: the core's record of the function
 * @sf: the sim function
 * @mdev: its mdev device, /sys/bus/mdev/devices/UUID
 * @irq_lock: protects @req_trigger and @msix_trigger
 * @req_trigger: eventfd signalled to ask the user to release the device
 * @msix_trigger: eventfds of the MSI-X vectors
 * @mig_lock: protects @mig_state, @mig_file, @mig_held and @mig_saved;
 *	      taken before &vgpu.ctl_lock and before a session's own lock
 * @mig_state: VFIO migration state (enum vfio_device_mig_state)
 * @mig_file: the data transfer session, NULL if none
 * @mig_held: the migration state keeps the vGPU off the engines
 * @mig_saved: its state was saved to the end since it last ran
 */
struct vgpu_mdev {
	struct vfio_device vdev;
	struct vgpu vgpu;
	struct vgpu_sim_fn *sf;
	struct mdev_device *mdev;
	struct mutex irq_lock; /* see above */
	struct eventfd_ctx *req_trigger;
	struct eventfd_ctx *msix_trigger[VGPU_MSIX_VECTORS];
	struct mutex mig_lock; /* see above */
	u32 mig_state;
	struct vgpu_mig_file *mig_file;
	bool mig_held;
	bool mig_saved;
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

/* mdev/vgpu_mig.c: VFIO migration v2 */
#if VGPU_HAVE_MIGRATION
void vgpu_mig_init(struct vgpu_mdev *m);
void vgpu_mig_fini(struct vgpu_mdev *m);
void vgpu_mig_reset(struct vgpu_mdev *m, bool closing);
#else
static inline void vgpu_mig_init(struct vgpu_mdev *m)
{
}

static inline void vgpu_mig_fini(struct vgpu_mdev *m)
{
}

static inline void vgpu_mig_reset(struct vgpu_mdev *m, bool closing)
{
}
#endif

#endif /* VGPU_MDEV_H */
