/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu PF driver: an SR-IOV physical function of the modelled device
 * (Documentation/pf-interface.rst) as a parent of vGPUs, which are its VFs.
 * What its files call of each other.
 */
#ifndef VGPU_PF_H
#define VGPU_PF_H

#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "core/vgpu_core.h"
#include "vfio/vgpu_vfio_mig.h"
#include <uapi/linux/vgpu_pf.h>

struct vgpu_pf;

/**
 * struct vgpu_pf_vf - one virtual function while VFs are enabled
 * @pf: its PF
 * @n: VF number, 1 to &vgpu_pf.num_vfs (the PCI core's virtfnN-1)
 * @pdev: the VF's PCI device, referenced
 * @dev: /sys/class/vgpu/vgpuN/vfK, where the operator picks the profile;
 *	 its drvdata is @vgpu
 * @vgpu: the core's record of the VF while it has a profile
 * @has_profile: @vgpu is provisioned; under &vgpu_pf.lock, and set or
 *		 cleared also under &vgpu_pf.event_lock
 * @gone: the VFs are being disabled; under &vgpu_pf.lock
 * @dirty: while a saving session tracks the window: pages to send, fed
 *	   from the device's dirty page log; under &vgpu_pf.mig_lock
 * @dirty_pages: bits in @dirty
 */
struct vgpu_pf_vf {
	struct vgpu_pf *pf;
	u32 n;
	struct pci_dev *pdev;
	struct device dev;
	struct vgpu vgpu;
	bool has_profile;
	bool gone;
	unsigned long *dirty;
	unsigned long dirty_pages;
};

/**
 * struct vgpu_pf - a PF bound to vgpu.ko
 * @pdev: its PCI device
 * @regs: BAR0, the PF registers
 * @vdev: the vgpu parent device, /sys/class/vgpu/vgpuN
 * @mem_size: device memory in bytes
 * @vf_bar2_size: every VF's BAR2, the largest window a VF can have
 * @engines: engines on the device
 * @max_vfs: VFs the device has
 * @run_wq: engine threads wait here for their run to end (engine IRQ)
 * @job_timeout_ns: JOB_TIMEOUT_NS last written to the device
 * @unit_timeout_ns: UNIT_TIMEOUT_NS last written to the device
 * @lock: protects @num_vfs, @vfs and each VF's profile; taken before a VF's
 *	  device lock
 * @num_vfs: VFs enabled
 * @vfs: the enabled VFs, VF n at index n - 1
 * @event_lock: lets the event handler kick a VF's vGPU only while it is
 *		provisioned
 * @aperture: BAR2, the device memory aperture; NULL if the device has
 *	      none (interface 1.0: VFs do not migrate)
 * @mig_lock: protects @aperture_base, @state_img, the aperture's
 *	      contents and the state page and its registers
 * @aperture_base: APERTURE_BASE as last written
 * @state_img: a state image on its way to or from the state page
 *	       (VGPU_PF_STATE_PAGE_SIZE bytes), when @aperture is
 * @can_track: the device keeps dirty page logs of VF windows (1.2)
 */
struct vgpu_pf {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct vgpu_device *vdev;
	u64 mem_size;
	u64 vf_bar2_size;
	u32 engines;
	u32 max_vfs;
	wait_queue_head_t run_wq;
	u64 job_timeout_ns;
	u64 unit_timeout_ns;

	struct mutex lock; /* see above */
	u32 num_vfs;
	struct vgpu_pf_vf *vfs[VGPU_PF_MAX_VFS];

	spinlock_t event_lock; /* see above */

	void __iomem *aperture;
	struct mutex mig_lock; /* see above */
	u64 aperture_base;
	u8 *state_img;
	bool can_track;
};

static inline void __iomem *vgpu_pf_vf_regs(struct vgpu_pf *pf, u32 n)
{
	return pf->regs + VGPU_PF_VF(n);
}

extern const struct vgpu_device_ops vgpu_pf_ops;

/* vgpu_pf_pci.c: the PCI driver */
int vgpu_pf_register(const struct vgpu_config *cfg);
void vgpu_pf_unregister(void);

/* vgpu_pf_irq.c: interrupts */
int vgpu_pf_irq_init(struct vgpu_pf *pf);
void vgpu_pf_irq_fini(struct vgpu_pf *pf);

/* exported for vgpu-vfio-pci */
struct vgpu *vgpu_pf_vf_vgpu(struct pci_dev *vfdev);

/* vgpu_pf_mig.c: saving and restoring VFs (the ops exported for vgpu-vfio-pci) */
int vgpu_pf_mig_init(struct vgpu_pf *pf);
const struct vgpu_vfio_mig_ops *vgpu_pf_vf_mig_ops(struct vgpu *vgpu);

/* vgpu_pf_vf.c: VFs, their profiles and sysfs nodes */
int vgpu_pf_vfs_enable(struct vgpu_pf *pf, u32 num_vfs);
int vgpu_pf_vfs_disable(struct vgpu_pf *pf, bool force);

#endif /* VGPU_PF_H */
