// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu-vfio-pci: the vfio-pci variant driver of vgpu VFs, which adds live
 * migration and suspend/resume to what vfio-pci does for them.
 */

/**
 * DOC: vgpu-vfio-pci
 *
 * A VF of the vgpu PF (5e5e:0001) bound to this driver instead of vfio-pci
 * behaves as it would under vfio-pci (it is vfio-pci-core underneath) and
 * in addition offers VFIO migration v2 (STOP_COPY and P2P, and PRE_COPY
 * where the device logs written pages, PF interface 1.2) when it has a
 * profile and its PF can save and restore VFs (PF interface 1.1). The
 * migration state machine and stream are those of mdev vGPUs
 * (drivers/vgpu/vfio); the PF driver in vgpu.ko reads and writes the VF's
 * window and registers (drivers/vgpu/pf/vgpu_pf_mig.c), as the Xe and mlx5
 * variant drivers have their PF drivers do. So a saved VF and a saved mdev
 * vGPU of the same profile carry the same format.
 *
 * It binds only by driver_override (``echo vgpu-vfio-pci >
 * /sys/bus/pci/devices/VF/driver_override``), as vfio-pci variants do, and
 * only after the VF has its profile: the profile cannot change while the VF
 * is bound, so what the driver found at probe holds until it is unbound.
 *
 * One difference from vfio-pci: BAR0, the registers, cannot be mapped; the
 * VMM traps each register access. vfio-pci would offer the 4 KiB BAR around
 * its MSI-X table as two mappings smaller than a page, whose dirty pages
 * QEMU (10.0) then asks the IOMMU for during a migration, which fails: the
 * migration could never start. The window (BAR2) is mapped as usual.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#include "pf/vgpu_pf.h"

#if VGPU_HAVE_MIGRATION

/**
 * struct vgpu_vfio_pci - a VF bound to this driver
 * @core: the vfio-pci-core device
 * @mig: its migration, when @migratable
 * @migratable: the VF had a profile and its PF saves VFs when it was bound
 */
struct vgpu_vfio_pci {
	struct vfio_pci_core_device core;
	struct vgpu_vfio_mig mig;
	bool migratable;
};

static struct vgpu_vfio_pci *vgpu_vfio_pci_of(struct vfio_device *vdev)
{
	return container_of(vdev, struct vgpu_vfio_pci, core.vdev);
}

static int vgpu_vfio_pci_open_device(struct vfio_device *vdev)
{
	struct vgpu_vfio_pci *v = vgpu_vfio_pci_of(vdev);
	int ret;

	ret = vfio_pci_core_enable(&v->core);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(&v->core);
	return 0;
}

static void vgpu_vfio_pci_close_device(struct vfio_device *vdev)
{
	struct vgpu_vfio_pci *v = vgpu_vfio_pci_of(vdev);

	if (v->migratable)
		vgpu_vfio_mig_reset(&v->mig, true);
	vfio_pci_core_close_device(vdev);
}

static void vgpu_vfio_pci_release_dev(struct vfio_device *vdev)
{
	struct vgpu_vfio_pci *v = vgpu_vfio_pci_of(vdev);

	if (v->migratable)
		vgpu_vfio_mig_fini(&v->mig);
	vfio_pci_core_release_dev(vdev);
}

/* Region info as vfio-pci gives it, but BAR0 without the mmap flag. */
static long vgpu_vfio_pci_ioctl(struct vfio_device *vdev, unsigned int cmd,
				unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct vfio_region_info info;
	long ret;

	ret = vfio_pci_core_ioctl(vdev, cmd, arg);
	if (ret || cmd != VFIO_DEVICE_GET_REGION_INFO)
		return ret;
	if (copy_from_user(&info, uarg, offsetofend(struct vfio_region_info,
						    offset)))
		return -EFAULT;
	if (info.index != VFIO_PCI_BAR0_REGION_INDEX ||
	    !(info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return 0;
	info.flags &= ~(VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS);
	info.cap_offset = 0;
	if (copy_to_user(uarg, &info, offsetofend(struct vfio_region_info,
						  offset)))
		return -EFAULT;
	return 0;
}

static int vgpu_vfio_pci_mmap(struct vfio_device *vdev,
			      struct vm_area_struct *vma)
{
	if (VFIO_PCI_OFFSET_TO_INDEX((u64)vma->vm_pgoff << PAGE_SHIFT) ==
	    VFIO_PCI_BAR0_REGION_INDEX)
		return -EINVAL;
	return vfio_pci_core_mmap(vdev, vma);
}

static const struct vfio_device_ops vgpu_vfio_pci_ops = {
	.name = "vgpu-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vgpu_vfio_pci_release_dev,
	.open_device = vgpu_vfio_pci_open_device,
	.close_device = vgpu_vfio_pci_close_device,
	.ioctl = vgpu_vfio_pci_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vgpu_vfio_pci_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int vgpu_vfio_pci_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	struct vgpu_vfio_pci *v;
	struct vgpu *vgpu;
	int ret;

	v = vfio_alloc_device(vgpu_vfio_pci, core.vdev, &pdev->dev,
			      &vgpu_vfio_pci_ops);
	if (IS_ERR(v))
		return PTR_ERR(v);
	vgpu = vgpu_pf_vf_vgpu(pdev);
	if (vgpu) {
		vgpu_vfio_mig_init(&v->mig, &v->core.vdev, vgpu,
				   vgpu_pf_vf_mig_ops(vgpu));
		v->migratable = true;
	} else {
		dev_info(&pdev->dev,
			 "not migratable: not a VF with a profile of a vgpu PF that saves VFs\n");
	}
	dev_set_drvdata(&pdev->dev, &v->core);
	ret = vfio_pci_core_register_device(&v->core);
	if (ret) {
		vfio_put_device(&v->core.vdev);
		return ret;
	}
	return 0;
}

static void vgpu_vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

/*
 * A function reset (VFIO_DEVICE_RESET, FLR) puts migration back to RUNNING.
 * vfio-pci calls this with its memory_lock held, which a migration data
 * read may wait for while it holds the migration lock: post the reset.
 */
static void vgpu_vfio_pci_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);
	struct vgpu_vfio_pci *v = vgpu_vfio_pci_of(&core->vdev);

	if (v->migratable)
		vgpu_vfio_mig_post_reset(&v->mig);
}

static const struct pci_error_handlers vgpu_vfio_pci_err_handlers = {
	.reset_done = vgpu_vfio_pci_reset_done,
	.error_detected = vfio_pci_core_aer_err_detected,
};

static const struct pci_device_id vgpu_vfio_pci_ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(VGPU_PCI_VENDOR_ID,
					  VGPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vgpu_vfio_pci_ids);

static struct pci_driver vgpu_vfio_pci_driver = {
	.name = "vgpu-vfio-pci",
	.id_table = vgpu_vfio_pci_ids,
	.probe = vgpu_vfio_pci_probe,
	.remove = vgpu_vfio_pci_remove,
	.err_handler = &vgpu_vfio_pci_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(vgpu_vfio_pci_driver);
MODULE_IMPORT_NS(IOMMUFD);
#else
/* The migration this driver adds needs what 6.10 has (vgpu_compat.h). */
static int __init vgpu_vfio_pci_init(void)
{
	pr_err("vgpu-vfio-pci: VF migration needs Linux 6.10 or later; use vfio-pci\n");
	return -ENODEV;
}
module_init(vgpu_vfio_pci_init);
#endif

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver of vgpu VFs: VFIO migration through the vgpu PF driver");
