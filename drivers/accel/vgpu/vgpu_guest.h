/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu_guest: the guest-side DRM accel driver for a vgpu virtual function.
 */
#ifndef VGPU_GUEST_H
#define VGPU_GUEST_H

#include <linux/dma-fence.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/xarray.h>
#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_mm.h>
#include <uapi/drm/vgpu_accel.h>

#define VGPU_GUEST_NAME		"vgpu_guest"

/*
 * Window layout the driver keeps for itself: the ring at offset 0, the
 * driver's fence slot right after it; BOs start at VGPU_GUEST_BO_BASE.
 */
#define VGPU_GUEST_RING_ENTRIES	256
#define VGPU_GUEST_RING_BYTES	(VGPU_GUEST_RING_ENTRIES * sizeof(struct vgpu_cmd))
#define VGPU_GUEST_FENCE_OFF	VGPU_GUEST_RING_BYTES
#define VGPU_GUEST_BO_BASE	0x10000ULL

/**
 * struct vgpu_gdev - one vGPU as the guest driver sees it
 * @drm: the DRM device; /dev/accel/accelN
 * @pdev: the PCI function
 * @regs: BAR0
 * @window: BAR2, the memory window, for the kernel's own accesses
 * @window_phys: bus address of BAR2, for user mappings
 * @window_size: bytes in the window (WINDOW_SIZE register)
 * @version: VERSION register
 * @engines: ENGINES register
 * @caps: CAPS register: the opcodes the device executes
 * @profile: the host's profile index (subsystem device ID - 0x1000)
 * @fence_ctx: dma_fence context of the ring's timeline
 * @fence_lock: lock of every job fence
 * @inject_fault: jobs still to be made to fault (debugfs, for tests)
 * @mm_lock: protects @mm
 * @mm: allocator of BO space in the window
 * @ring_lock: protects every member below it; taken in the interrupt
 *	threads, never in hard interrupt context. Order: @ring_lock before
 *	@mm_lock (a BO may be freed while retiring jobs).
 * @ring_tail: next ring entry the driver writes
 * @ring_used: entries taken by jobs in @inflight
 * @next_seqno: fence value of the next job
 * @inflight: jobs written to the ring, oldest first
 * @queued: jobs waiting for ring space, oldest first
 * @dead: the device is gone or could not be reset; jobs are cancelled
 * @jobs_done: jobs completed successfully since probe
 * @jobs_failed: jobs completed with an error since probe
 * @recoveries: engine resets since probe
 */
struct vgpu_gdev {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *window;
	phys_addr_t window_phys;
	u64 window_size;
	u32 version;
	u32 engines;
	u32 caps;
	u32 profile;
	u64 fence_ctx;
	spinlock_t fence_lock; /* dma_fence internals of every job fence */
	atomic_t inject_fault;

	struct mutex mm_lock; /* protects @mm */
	struct drm_mm mm;

	struct mutex ring_lock; /* see the kernel-doc above */
	u32 ring_tail;
	u32 ring_used;
	u64 next_seqno;
	struct list_head inflight;
	struct list_head queued;
	bool dead;
	u64 jobs_done;
	u64 jobs_failed;
	u64 recoveries;
};

/**
 * struct vgpu_bo - a buffer object: a range of the window
 * @base: the GEM object
 * @node: the range, in window offsets
 */
struct vgpu_bo {
	struct drm_gem_object base;
	struct drm_mm_node node;
};

/**
 * struct vgpu_peer_bo - a BO of another vGPU, imported: a PEER_COPY target
 * @base: the GEM object on the importing device (no pages, no mapping)
 * @bo: the BO on its own device; referenced, as is that device
 */
struct vgpu_peer_bo {
	struct drm_gem_object base;
	struct vgpu_bo *bo;
};

/**
 * struct vgpu_file - per open file state
 * @jobs: submitted jobs not yet reaped by a wait, by job id
 * @njobs: entries in @jobs
 */
struct vgpu_file {
	struct xarray jobs;
	atomic_t njobs;
};

/**
 * struct vgpu_job - one submission
 * @base: its fence, signalled when the job finished (with an error if any)
 * @gdev: the device
 * @link: in &vgpu_gdev.inflight or &vgpu_gdev.queued
 * @cmds: the validated commands, kernel copy
 * @ncmds: entries in @cmds
 * @bos: references to every BO and peer BO the job named
 * @nbos: entries in @bos
 * @ring_start: first ring entry, while in flight
 * @inject: fault on the device at the first command (debugfs test hook)
 * @submit_ns: when it was submitted
 * @done_ns: when the driver saw it finish
 * @device_error: enum vgpu_error, 0 if none
 * @error_cmd: index of the failing command
 * @error_addr: the address the device reported
 */
struct vgpu_job {
	struct dma_fence base;
	struct vgpu_gdev *gdev;
	struct list_head link;
	struct vgpu_cmd *cmds;
	u32 ncmds;
	struct drm_gem_object **bos;
	u32 nbos;
	u32 ring_start;
	bool inject;
	u64 submit_ns;
	u64 done_ns;
	u32 device_error;
	u32 error_cmd;
	u64 error_addr;
};

static inline struct vgpu_gdev *to_vgpu_gdev(struct drm_device *drm)
{
	return container_of(drm, struct vgpu_gdev, drm);
}

static inline struct vgpu_bo *to_vgpu_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vgpu_bo, base);
}

/* vgpu_guest_gem.c */
int vgpu_gem_init(struct vgpu_gdev *gdev);
u64 vgpu_gem_free_bytes(struct vgpu_gdev *gdev);
struct vgpu_bo *vgpu_bo_lookup(struct drm_file *file, u32 handle);
struct vgpu_bo *vgpu_bo_of(struct drm_gem_object *obj);
struct vgpu_peer_bo *vgpu_peer_bo_of(struct drm_gem_object *obj);
struct drm_gem_object *vgpu_job_bo_lookup(struct drm_file *file, u32 handle);
int vgpu_gdev_peer(struct vgpu_gdev *gdev, u32 *group, u32 *id, u32 *mask);
struct drm_gem_object *vgpu_gem_prime_import(struct drm_device *drm,
					     struct dma_buf *dma_buf);
int vgpu_ioctl_bo_create(struct drm_device *drm, void *data,
			 struct drm_file *file);
int vgpu_ioctl_bo_info(struct drm_device *drm, void *data,
		       struct drm_file *file);

/* vgpu_guest_job.c */
int vgpu_ring_start(struct vgpu_gdev *gdev);
void vgpu_ring_stop(struct vgpu_gdev *gdev);
irqreturn_t vgpu_irq_completion(int irq, void *arg);
irqreturn_t vgpu_irq_error(int irq, void *arg);
void vgpu_file_jobs_release(struct vgpu_file *vf);
int vgpu_ioctl_submit(struct drm_device *drm, void *data,
		      struct drm_file *file);
int vgpu_ioctl_wait(struct drm_device *drm, void *data,
		    struct drm_file *file);

#endif /* VGPU_GUEST_H */
