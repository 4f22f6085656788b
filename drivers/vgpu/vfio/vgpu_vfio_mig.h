/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu VFIO migration v2: the state machine and data files shared by the
 * frontends that hand vGPUs to VMs through VFIO (the mdev frontend and the
 * vfio-pci variant driver of the VFs). A frontend supplies how its vGPU's
 * window and registers are read and written; this layer does the rest.
 */
#ifndef VGPU_VFIO_MIG_H
#define VGPU_VFIO_MIG_H

#include <linux/mutex.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "core/vgpu_core.h"
#include "lib/vgpu_mig.h"
#include "vgpu_compat.h"

struct vgpu_vfio_mig;
struct vgpu_vfio_mig_file;

/**
 * struct vgpu_vfio_mig_ops - a frontend's access to its vGPU's state
 * @ident: what the vGPU must match to take a saved state
 * @track_start: from now on, count every window page as written (a saving
 *		 session begins); 0 or a negative errno, which fails the
 *		 session. NULL if the frontend does not track writes: then
 *		 only STOP_COPY is offered, and every page is sent once
 * @track_stop: the saving session ended; NULL if there is nothing to stop
 * @take_dirty: find up to @max pages written since they were last taken,
 *		from page @start on, in one run: set *@first to the first and
 *		clear them; return how many (0: none from @start)
 * @dirty_count: pages written and not yet taken in [@from, @to)
 * @read_pages: copy @n window pages from @first into @buf, so that writes
 *		made after they were taken are seen again by @take_dirty
 * @write_page: store window page @index
 * @save_state: fill @st for a vGPU held off the engines
 * @load_state: give the vGPU @st, which vgpu_mig_state_check() accepted
 *
 * @read_pages, @write_page, @save_state and @load_state return 0 or a
 * negative errno, which fails the data transfer.
 * @reset: a resume failed: reset the vGPU, nothing of the partial state
 *	   may run
 */
struct vgpu_vfio_mig_ops {
	void (*ident)(struct vgpu_vfio_mig *mig, struct vgpu_mig_ident *id);
	int (*track_start)(struct vgpu_vfio_mig *mig);
	void (*track_stop)(struct vgpu_vfio_mig *mig);
	unsigned long (*take_dirty)(struct vgpu_vfio_mig *mig,
				    unsigned long start, unsigned long max,
				    unsigned long *first);
	unsigned long (*dirty_count)(struct vgpu_vfio_mig *mig,
				     unsigned long from, unsigned long to);
	int (*read_pages)(struct vgpu_vfio_mig *mig, unsigned long first,
			  unsigned long n, void *buf);
	int (*write_page)(struct vgpu_vfio_mig *mig, u64 index,
			  const void *data);
	int (*save_state)(struct vgpu_vfio_mig *mig,
			  struct vgpu_mig_state *st);
	int (*load_state)(struct vgpu_vfio_mig *mig,
			  const struct vgpu_mig_state *st);
	void (*reset)(struct vgpu_vfio_mig *mig);
};

/**
 * struct vgpu_vfio_mig - migration of one VFIO device that is a vGPU
 * @vdev: the VFIO device
 * @vgpu: its vGPU, which the control holds and the scrub act on
 * @ops: the frontend's access to the vGPU
 * @reset_pending: bit 0: a reset was posted (vgpu_vfio_mig_post_reset())
 *		   and not yet applied; changed with atomic bit operations
 * @reset_work: applies a posted reset when no one holds @lock
 * @lock: protects everything below; taken and released only through
 *	  vgpu_vfio_mig_lock() and vgpu_vfio_mig_unlock(), which apply a
 *	  posted reset first
 * @state: VFIO migration state (enum vfio_device_mig_state)
 * @file: the data transfer session, NULL if none
 * @held: the migration state keeps the vGPU off the engines
 * @saved: its state was saved to the end since it last ran
 */
struct vgpu_vfio_mig {
	struct vfio_device *vdev;
	struct vgpu *vgpu;
	const struct vgpu_vfio_mig_ops *ops;
	unsigned long reset_pending;
	struct work_struct reset_work;
	struct mutex lock; /* see above */
	u32 state;
	struct vgpu_vfio_mig_file *file;
	bool held;
	bool saved;
};

#if VGPU_HAVE_MIGRATION
void vgpu_vfio_mig_init(struct vgpu_vfio_mig *mig, struct vfio_device *vdev,
			struct vgpu *vgpu, const struct vgpu_vfio_mig_ops *ops);
void vgpu_vfio_mig_fini(struct vgpu_vfio_mig *mig);
void vgpu_vfio_mig_reset(struct vgpu_vfio_mig *mig, bool closing);
void vgpu_vfio_mig_post_reset(struct vgpu_vfio_mig *mig);
#else
static inline void vgpu_vfio_mig_init(struct vgpu_vfio_mig *mig,
				      struct vfio_device *vdev,
				      struct vgpu *vgpu,
				      const struct vgpu_vfio_mig_ops *ops)
{
}

static inline void vgpu_vfio_mig_fini(struct vgpu_vfio_mig *mig)
{
}

static inline void vgpu_vfio_mig_reset(struct vgpu_vfio_mig *mig,
				       bool closing)
{
}

static inline void vgpu_vfio_mig_post_reset(struct vgpu_vfio_mig *mig)
{
}
#endif

#endif /* VGPU_VFIO_MIG_H */
