// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_guest: PCI driver and DRM accel device for a vgpu virtual function.
 */

/**
 * DOC: guest driver overview
 *
 * A VM sees its vGPU as a PCI function (VGPU_PCI_VENDOR_ID,
 * VGPU_PCI_DEVICE_ID) with a register BAR, a memory window BAR and two
 * MSI-X vectors. This driver makes it a DRM compute accelerator,
 * /dev/accel/accelN:
 *
 * - vgpu_guest_gem.c: buffer objects are ranges of the window, allocated
 *   with drm_mm above the driver's own area (ring and fence slot), zeroed
 *   when handed out, and mapped into processes write-combined.
 * - vgpu_guest_job.c: jobs are validated against the BOs the caller names,
 *   written to the device ring followed by a FENCE that raises the completion
 *   interrupt, and tracked by a dma_fence per job; the wait ioctl reaps them.
 *   A device fault fails only the job it hit; the driver resets the engine
 *   (the window survives) and re-runs the jobs queued behind it.
 *
 * The uAPI is include/uapi/drm/vgpu_accel.h; Documentation/guest-driver.rst
 * describes it for users.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>

#include "vgpu_guest.h"

static int vgpu_ioctl_get_param(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct vgpu_gdev *gdev = to_vgpu_gdev(drm);
	struct drm_vgpu_get_param *args = data;

	if (args->pad)
		return -EINVAL;
	switch (args->param) {
	case DRM_VGPU_PARAM_DEVICE_VERSION:
		args->value = gdev->version;
		break;
	case DRM_VGPU_PARAM_PROFILE:
		args->value = gdev->profile;
		break;
	case DRM_VGPU_PARAM_ENGINES:
		args->value = gdev->engines;
		break;
	case DRM_VGPU_PARAM_WINDOW_BYTES:
		args->value = gdev->window_size;
		break;
	case DRM_VGPU_PARAM_BO_BYTES:
		args->value = gdev->window_size - VGPU_GUEST_BO_BASE;
		break;
	case DRM_VGPU_PARAM_BO_FREE_BYTES:
		args->value = vgpu_gem_free_bytes(gdev);
		break;
	case DRM_VGPU_PARAM_OPCODES:
		args->value = gdev->caps & ((1u << VGPU_OP_COUNT) - 1);
		break;
	case DRM_VGPU_PARAM_PEER_GROUP:
	case DRM_VGPU_PARAM_PEER_ID:
	case DRM_VGPU_PARAM_PEER_MASK: {
		u32 group, id, mask;

		if (vgpu_gdev_peer(gdev, &group, &id, &mask))
			return -ENODEV;
		args->value = args->param == DRM_VGPU_PARAM_PEER_GROUP ? group :
			      args->param == DRM_VGPU_PARAM_PEER_ID ? id : mask;
		break;
	}
	case DRM_VGPU_PARAM_MAX_CMDS:
		args->value = DRM_VGPU_MAX_CMDS;
		break;
	case DRM_VGPU_PARAM_MAX_BOS:
		args->value = DRM_VGPU_MAX_BOS;
		break;
	case DRM_VGPU_PARAM_JOBS_DONE:
	case DRM_VGPU_PARAM_JOBS_FAILED:
	case DRM_VGPU_PARAM_RECOVERIES:
		mutex_lock(&gdev->ring_lock);
		if (args->param == DRM_VGPU_PARAM_JOBS_DONE)
			args->value = gdev->jobs_done;
		else if (args->param == DRM_VGPU_PARAM_JOBS_FAILED)
			args->value = gdev->jobs_failed;
		else
			args->value = gdev->recoveries;
		mutex_unlock(&gdev->ring_lock);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int vgpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct vgpu_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	xa_init_flags(&vf->jobs, XA_FLAGS_ALLOC1);
	atomic_set(&vf->njobs, 0);
	file->driver_priv = vf;
	return 0;
}

static void vgpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct vgpu_file *vf = file->driver_priv;

	vgpu_file_jobs_release(vf);
	xa_destroy(&vf->jobs);
	kfree(vf);
}

static const struct drm_ioctl_desc vgpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VGPU_GET_PARAM, vgpu_ioctl_get_param, 0),
	DRM_IOCTL_DEF_DRV(VGPU_BO_CREATE, vgpu_ioctl_bo_create, 0),
	DRM_IOCTL_DEF_DRV(VGPU_BO_INFO, vgpu_ioctl_bo_info, 0),
	DRM_IOCTL_DEF_DRV(VGPU_SUBMIT, vgpu_ioctl_submit, 0),
	DRM_IOCTL_DEF_DRV(VGPU_WAIT, vgpu_ioctl_wait, 0),
};

DEFINE_DRM_ACCEL_FOPS(vgpu_fops);

static const struct drm_driver vgpu_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_COMPUTE_ACCEL,
	.open = vgpu_open,
	.postclose = vgpu_postclose,
	.gem_prime_import = vgpu_gem_prime_import,
	.ioctls = vgpu_ioctls,
	.num_ioctls = ARRAY_SIZE(vgpu_ioctls),
	.fops = &vgpu_fops,
	.name = VGPU_GUEST_NAME,
	.desc = "vgpu virtual GPU function",
	.date = "20261121",
	.major = DRM_VGPU_DRIVER_MAJOR,
	.minor = DRM_VGPU_DRIVER_MINOR,
};

/* Checks the register file and reads the device's shape. */
static int vgpu_identify(struct vgpu_gdev *gdev)
{
	struct device *dev = &gdev->pdev->dev;
	u64 bar = pci_resource_len(gdev->pdev, VGPU_BAR_WINDOW);
	u32 id = readl(gdev->regs + VGPU_REG_ID);

	if (id != VGPU_ID_MAGIC) {
		dev_err(dev, "not a vgpu register file (ID %#x)\n", id);
		return -ENODEV;
	}
	gdev->version = readl(gdev->regs + VGPU_REG_VERSION);
	/* 1.1 brought the engine reset that error recovery relies on. */
	if (gdev->version >> 16 != VGPU_VERSION_MAJOR ||
	    (gdev->version & 0xffff) < 1) {
		dev_err(dev, "device version %u.%u unsupported (need 1.1+)\n",
			gdev->version >> 16, gdev->version & 0xffff);
		return -ENODEV;
	}
	gdev->window_size = readq(gdev->regs + VGPU_REG_WINDOW_SIZE);
	if (gdev->window_size > bar ||
	    gdev->window_size <= VGPU_GUEST_BO_BASE + PAGE_SIZE ||
	    !PAGE_ALIGNED(gdev->window_size)) {
		dev_err(dev, "window of %llu bytes does not fit BAR2 (%llu)\n",
			gdev->window_size, bar);
		return -ENODEV;
	}
	gdev->engines = readl(gdev->regs + VGPU_REG_ENGINES);
	gdev->caps = readl(gdev->regs + VGPU_REG_CAPS);
	gdev->profile = gdev->pdev->subsystem_device - VGPU_PCI_SUBSYS_BASE;
	return 0;
}

static int vgpu_map_bars(struct vgpu_gdev *gdev)
{
	struct pci_dev *pdev = gdev->pdev;

	gdev->regs = pcim_iomap_region(pdev, VGPU_BAR_REGS, VGPU_GUEST_NAME);
	if (IS_ERR(gdev->regs))
		return PTR_ERR(gdev->regs);
	gdev->window = pcim_iomap_region(pdev, VGPU_BAR_WINDOW,
					 VGPU_GUEST_NAME);
	if (IS_ERR(gdev->window))
		return PTR_ERR(gdev->window);
	gdev->window_phys = pci_resource_start(pdev, VGPU_BAR_WINDOW);
	return 0;
}

static int vgpu_setup_irqs(struct vgpu_gdev *gdev)
{
	struct pci_dev *pdev = gdev->pdev;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, VGPU_MSIX_VECTORS, VGPU_MSIX_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot enable %d MSI-X vectors: %d\n",
			VGPU_MSIX_VECTORS, ret);
		return ret;
	}
	ret = devm_request_threaded_irq(&pdev->dev,
					pci_irq_vector(pdev, VGPU_MSIX_COMPLETION),
					NULL, vgpu_irq_completion, IRQF_ONESHOT,
					"vgpu_guest-done", gdev);
	if (ret)
		return ret;
	return devm_request_threaded_irq(&pdev->dev,
					 pci_irq_vector(pdev, VGPU_MSIX_ERROR),
					 NULL, vgpu_irq_error, IRQF_ONESHOT,
					 "vgpu_guest-error", gdev);
}

static int vgpu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vgpu_gdev *gdev;
	int ret;

	gdev = devm_drm_dev_alloc(&pdev->dev, &vgpu_drm_driver,
				  struct vgpu_gdev, drm);
	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	gdev->pdev = pdev;
	pci_set_drvdata(pdev, gdev);
	spin_lock_init(&gdev->fence_lock);
	INIT_LIST_HEAD(&gdev->inflight);
	INIT_LIST_HEAD(&gdev->queued);
	gdev->fence_ctx = dma_fence_context_alloc(1);
	ret = drmm_mutex_init(&gdev->drm, &gdev->ring_lock);
	if (ret)
		return ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = vgpu_map_bars(gdev);
	if (ret)
		return ret;
	ret = vgpu_identify(gdev);
	if (ret)
		return ret;
	ret = vgpu_gem_init(gdev);
	if (ret)
		return ret;
	ret = vgpu_setup_irqs(gdev);
	if (ret)
		return ret;
	ret = vgpu_ring_start(gdev);
	if (ret)
		return ret;
	ret = drm_dev_register(&gdev->drm, 0);
	if (ret) {
		vgpu_ring_stop(gdev);
		return ret;
	}
	/*
	 * Accel devices get no &drm_driver.debugfs_init call; the directory
	 * (/sys/kernel/debug/accel/<PCI name>) goes away at unplug.
	 */
	debugfs_create_atomic_t("inject_fault", 0600, gdev->drm.debugfs_root,
				&gdev->inject_fault);
	dev_info(&pdev->dev,
		 "vGPU profile %u: %llu MiB window, %u engine(s), device %u.%u\n",
		 gdev->profile, gdev->window_size >> 20, gdev->engines,
		 gdev->version >> 16, gdev->version & 0xffff);
	return 0;
}

static void vgpu_remove(struct pci_dev *pdev)
{
	struct vgpu_gdev *gdev = pci_get_drvdata(pdev);

	/* New ioctls and mmaps fail from here; existing mappings are zapped. */
	drm_dev_unplug(&gdev->drm);
	vgpu_ring_stop(gdev);
}

static const struct pci_device_id vgpu_pci_ids[] = {
	{ PCI_DEVICE(VGPU_PCI_VENDOR_ID, VGPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vgpu_pci_ids);

static struct pci_driver vgpu_pci_driver = {
	.name = VGPU_GUEST_NAME,
	.id_table = vgpu_pci_ids,
	.probe = vgpu_probe,
	.remove = vgpu_remove,
};
module_pci_driver(vgpu_pci_driver);

MODULE_DESCRIPTION("vgpu guest driver: DRM accel device for a vgpu function");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VGPU);
