// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PF driver: the PCI driver of the SR-IOV physical function.
 */

/**
 * DOC: PF driver
 *
 * vgpu.ko binds the PF of the modelled SR-IOV device (0x5e5e:0x0002) and
 * makes it a vgpu parent, /sys/class/vgpu/vgpuN, like a sim device: the
 * same profiles (the ``profiles`` module parameter, checked against the
 * memory and engines the PF reports), knobs, counters and engine threads.
 * Only the functions differ: they are the PF's VFs, enabled through
 * ``sriov_numvfs`` and given profiles as vgpu_pf_vf.c describes, instead of
 * mdev devices. Probing reads and checks the PF's capability registers; a
 * device this driver does not understand is refused with -ENODEV and the
 * reason in the log.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "pf/vgpu_pf.h"

/* Profiles from the module parameters; memory and engines come from a PF. */
static struct vgpu_config vgpu_pf_profiles;

/* Device memory the core's allocators accept, as for sim devices. */
#define VGPU_PF_MIN_MEM		(16 * VGPU_SZ_1M)
#define VGPU_PF_MAX_MEM		(65536 * VGPU_SZ_1M)

static int vgpu_pf_read_caps(struct vgpu_pf *pf)
{
	struct device *dev = &pf->pdev->dev;
	void __iomem *r = pf->regs;
	u32 id = readl(r + VGPU_PF_REG_ID);
	u32 version = readl(r + VGPU_PF_REG_VERSION);

	if (id != VGPU_PF_ID_MAGIC || version >> 16 != VGPU_PF_VERSION_MAJOR) {
		dev_err(dev, "not a vgpu PF of interface %u.x (ID %#x, version %#x)\n",
			VGPU_PF_VERSION_MAJOR, id, version);
		return -ENODEV;
	}
	pf->mem_size = lo_hi_readq(r + VGPU_PF_REG_MEM_SIZE);
	pf->engines = readl(r + VGPU_PF_REG_ENGINES);
	pf->max_vfs = readl(r + VGPU_PF_REG_MAX_VFS);
	pf->vf_bar2_size = lo_hi_readq(r + VGPU_PF_REG_VF_BAR2_SIZE);
	if (pf->mem_size < VGPU_PF_MIN_MEM || pf->mem_size > VGPU_PF_MAX_MEM ||
	    pf->mem_size % VGPU_SZ_1M) {
		dev_err(dev, "device memory of %llu bytes is not 16 MiB to 64 GiB in whole MiB\n",
			pf->mem_size);
		return -ENODEV;
	}
	if (!pf->engines || pf->engines > VGPU_PF_MAX_ENGINES) {
		dev_err(dev, "%u engines; this driver handles 1 to %u\n",
			pf->engines, VGPU_PF_MAX_ENGINES);
		return -ENODEV;
	}
	if (!pf->max_vfs || pf->max_vfs > VGPU_PF_MAX_VFS ||
	    pf->max_vfs != pci_sriov_get_totalvfs(pf->pdev)) {
		dev_err(dev, "%u VFs in the registers, %d in the SR-IOV capability\n",
			pf->max_vfs, pci_sriov_get_totalvfs(pf->pdev));
		return -ENODEV;
	}
	if (!vgpu_is_pow2(pf->vf_bar2_size) || pf->vf_bar2_size < VGPU_SZ_1M) {
		dev_err(dev, "VF BAR2 of %llu bytes is not a power of two >= 1 MiB\n",
			pf->vf_bar2_size);
		return -ENODEV;
	}
	return 0;
}

/* The module's profiles on this PF's memory and engines. */
static int vgpu_pf_config(struct vgpu_pf *pf, struct vgpu_config *cfg)
{
	struct device *dev = &pf->pdev->dev;
	char err[VGPU_ERRMSG_LEN];
	unsigned int i;

	*cfg = vgpu_pf_profiles;
	cfg->mem_size = pf->mem_size;
	cfg->num_engines = pf->engines;
	if (vgpu_profiles_check(cfg->profiles, cfg->nr_profiles, cfg->mem_size,
				cfg->num_engines, err, sizeof(err))) {
		dev_err(dev, "profiles= does not fit this PF (%llu MiB, %u engines): %s\n",
			cfg->mem_size >> 20, cfg->num_engines, err);
		return -EINVAL;
	}
	for (i = 0; i < cfg->nr_profiles; i++) {
		if (cfg->profiles[i].mem_size > pf->vf_bar2_size) {
			dev_err(dev, "profile %s needs a %llu MiB window; a VF's BAR2 has %llu MiB\n",
				cfg->profiles[i].name,
				cfg->profiles[i].mem_size >> 20,
				pf->vf_bar2_size >> 20);
			return -EINVAL;
		}
	}
	return 0;
}

static int vgpu_pf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vgpu_config *cfg;
	struct vgpu_pf *pf;
	int ret;

	pf = devm_kzalloc(&pdev->dev, sizeof(*pf), GFP_KERNEL);
	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!pf || !cfg) {
		ret = -ENOMEM;
		goto out;
	}
	pf->pdev = pdev;
	mutex_init(&pf->lock);
	spin_lock_init(&pf->event_lock);
	init_waitqueue_head(&pf->run_wq);
	ret = pcim_enable_device(pdev);
	if (ret)
		goto out;
	if (pci_resource_len(pdev, VGPU_PF_BAR_REGS) < VGPU_PF_REGS_SIZE) {
		dev_err(&pdev->dev, "BAR0 is smaller than the %u bytes of PF registers\n",
			VGPU_PF_REGS_SIZE);
		ret = -ENODEV;
		goto out;
	}
	ret = pcim_iomap_regions(pdev, BIT(VGPU_PF_BAR_REGS), KBUILD_MODNAME);
	if (ret)
		goto out;
	pf->regs = pcim_iomap_table(pdev)[VGPU_PF_BAR_REGS];
	pci_set_master(pdev);
	ret = vgpu_pf_read_caps(pf) ?: vgpu_pf_config(pf, cfg) ?:
	      vgpu_pf_mig_init(pf);
	if (ret)
		goto out;
	/*
	 * pf->job_timeout_ns and unit_timeout_ns are 0 (kzalloc), as the
	 * device's registers after reset: the first run writes the core's.
	 */
	ret = vgpu_pf_irq_init(pf);
	if (ret)
		goto out;
	pf->vdev = vgpu_device_create(&pdev->dev, cfg, &vgpu_pf_ops, pf);
	if (IS_ERR(pf->vdev)) {
		ret = PTR_ERR(pf->vdev);
		vgpu_pf_irq_fini(pf);
		goto out;
	}
	pci_set_drvdata(pdev, pf);
	dev_info(&pdev->dev,
		 "vgpu PF: %llu MiB, %u engines, %u VFs (BAR2 %llu MiB); parent %s\n",
		 pf->mem_size >> 20, pf->engines, pf->max_vfs,
		 pf->vf_bar2_size >> 20, dev_name(&pf->vdev->dev));
out:
	kfree(cfg);
	return ret;
}

static void vgpu_pf_remove(struct pci_dev *pdev)
{
	struct vgpu_pf *pf = pci_get_drvdata(pdev);

	vgpu_pf_vfs_disable(pf, true);
	vgpu_device_destroy(pf->vdev);
	vgpu_pf_irq_fini(pf);
	mutex_destroy(&pf->mig_lock);
	mutex_destroy(&pf->lock);
}

static int vgpu_pf_sriov_configure(struct pci_dev *pdev, int num_vfs)
{
	struct vgpu_pf *pf = pci_get_drvdata(pdev);

	if (num_vfs)
		return vgpu_pf_vfs_enable(pf, num_vfs);
	return vgpu_pf_vfs_disable(pf, false);
}

static const struct pci_device_id vgpu_pf_ids[] = {
	{ PCI_DEVICE(VGPU_PCI_VENDOR_ID, VGPU_PCI_PF_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vgpu_pf_ids);

static struct pci_driver vgpu_pf_driver = {
	.name = "vgpu_pf",
	.id_table = vgpu_pf_ids,
	.probe = vgpu_pf_probe,
	.remove = vgpu_pf_remove,
	.sriov_configure = vgpu_pf_sriov_configure,
};

/**
 * vgpu_pf_vf_vgpu() - the vGPU of a VF, for its vfio-pci variant driver
 * @vfdev: a PCI device being bound to the variant driver
 *
 * Return: the vGPU, if @vfdev is a VF of a PF bound to this driver, has a
 * profile, and the PF can save and restore VFs; NULL if not. It stays valid
 * while @vfdev is bound: a bound VF's profile cannot change, and disabling
 * the VFs unbinds them first.
 */
struct vgpu *vgpu_pf_vf_vgpu(struct pci_dev *vfdev)
{
	struct vgpu_pf *pf = pci_iov_get_pf_drvdata(vfdev, &vgpu_pf_driver);
	struct vgpu *vgpu = NULL;
	int id;

	if (IS_ERR(pf) || !pf->aperture)
		return NULL;
	id = pci_iov_vf_id(vfdev);
	mutex_lock(&pf->lock);
	if (id >= 0 && id < pf->num_vfs && pf->vfs[id]->has_profile)
		vgpu = &pf->vfs[id]->vgpu;
	mutex_unlock(&pf->lock);
	return vgpu;
}
EXPORT_SYMBOL_GPL(vgpu_pf_vf_vgpu);

/**
 * vgpu_pf_register() - register the PF driver
 * @cfg: the module's validated profiles (memory and engines are ignored)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_pf_register(const struct vgpu_config *cfg)
{
	vgpu_pf_profiles = *cfg;
	return vgpu_call(pci_register_driver(&vgpu_pf_driver));
}

/**
 * vgpu_pf_unregister() - unregister the PF driver, unbinding every PF
 */
void vgpu_pf_unregister(void)
{
	pci_unregister_driver(&vgpu_pf_driver);
}
