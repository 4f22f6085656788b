// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PF driver: enabling VFs, choosing each VF's profile, and the VFs'
 * nodes in sysfs.
 */

/**
 * DOC: choosing a VF's profile
 *
 * Writing N to the PF's ``sriov_numvfs`` creates VFs 1 to N, each with a
 * directory ``/sys/class/vgpu/vgpuM/vfK`` (K is the VF number of the SR-IOV
 * specification, the PCI core's ``virtfnK-1``) holding:
 *
 * - ``profile``: the VF's profile, ``none`` at first. Writing a profile name
 *   gives the VF a window and an engine seat of that profile (zeroed memory,
 *   exact accounting as for mdev vGPUs); writing ``none`` takes them back.
 * - ``creatable_profiles``: the profiles the VF could be given now.
 * - ``pci_function``: a link to the VF's PCI device, the one to hand to a VM.
 * - ``vgpu/``: while the VF has a profile, the same knobs and counters as an
 *   mdev vGPU's ``vgpu/`` directory.
 *
 * A profile can be changed only while the VF is bound to no driver, so a VM
 * never sees its window change: bind the VF to vfio-pci after choosing. A
 * VF without a profile reports a 0-byte window and runs nothing.
 *
 * Why here: Intel's Xe PF driver keeps per-VF provisioning in one place on
 * the PF (``sriov_admin/vfN/``), NVIDIA's driver shows
 * ``creatable_vgpu_types`` and takes ``current_vgpu_type`` per VF. The
 * directory per VF under the PF's vgpu parent is the first, with the
 * second's two files; it belongs to this driver, whereas a VF's own PCI
 * device belongs to vfio-pci once bound.
 *
 * Disabling VFs (``sriov_numvfs`` = 0) is refused with -EBUSY while any VF
 * is bound to a driver; otherwise it takes every VF's profile back first.
 * Unbinding the PF disables VFs regardless, as the PCI core requires.
 */
#include <linux/slab.h>

#include "pf/vgpu_pf.h"

static struct vgpu_pf_vf *to_vgpu_pf_vf(struct device *dev)
{
	return container_of(dev, struct vgpu_pf_vf, dev);
}

/* Give VF @v profile @profile; caller holds &vgpu_pf.lock. */
static int vgpu_pf_vf_provision(struct vgpu_pf_vf *v, int profile)
{
	struct vgpu_pf *pf = v->pf;
	int ret;

	lockdep_assert_held(&pf->lock);
	memset(&v->vgpu, 0, sizeof(v->vgpu));
	v->vgpu.dev = pf->vdev;
	v->vgpu.log = &v->pdev->dev;
	mutex_init(&v->vgpu.ctl_lock);
	ret = vgpu_resources_get(&v->vgpu, profile, v->n);
	if (ret) {
		mutex_destroy(&v->vgpu.ctl_lock);
		return ret;
	}
	ret = device_add_groups(&v->dev, vgpu_instance_groups);
	if (ret) {
		vgpu_control_hold(&v->vgpu, VGPU_HOLD_REMOVED);
		vgpu_resources_put(&v->vgpu);
		mutex_destroy(&v->vgpu.ctl_lock);
		return ret;
	}
	spin_lock(&pf->event_lock);
	v->has_profile = true;
	spin_unlock(&pf->event_lock);
	return 0;
}

/* Take VF @v's profile back; caller holds &vgpu_pf.lock. */
static void vgpu_pf_vf_unprovision(struct vgpu_pf_vf *v)
{
	struct vgpu_pf *pf = v->pf;

	lockdep_assert_held(&pf->lock);
	if (!v->has_profile)
		return;
	spin_lock(&pf->event_lock);
	v->has_profile = false;
	spin_unlock(&pf->event_lock);
	device_remove_groups(&v->dev, vgpu_instance_groups);
	vgpu_control_hold(&v->vgpu, VGPU_HOLD_REMOVED);
	vgpu_resources_put(&v->vgpu);
	mutex_destroy(&v->vgpu.ctl_lock);
}

static ssize_t profile_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct vgpu_pf_vf *v = to_vgpu_pf_vf(d);
	struct vgpu_pf *pf = v->pf;
	const char *name = "none";

	mutex_lock(&pf->lock);
	if (v->has_profile)
		name = vgpu_profile_of(&v->vgpu)->name;
	mutex_unlock(&pf->lock);
	return sysfs_emit(buf, "%s\n", name);
}

static int vgpu_pf_profile_index(struct vgpu_device *dev, const char *buf,
				 size_t len)
{
	unsigned int i;

	/* sysfs_streq() would stop at a NUL inside the write. */
	if (strnlen(buf, len) != len)
		return -EINVAL;
	if (sysfs_streq(buf, "none"))
		return -1;
	for (i = 0; i < dev->nr_profiles; i++)
		if (sysfs_streq(buf, dev->profiles[i].name))
			return i;
	return -EINVAL;
}

/* Change VF @v's profile to @profile (-1: none); keeps the old on failure. */
static int vgpu_pf_vf_set_profile(struct vgpu_pf_vf *v, int profile)
{
	int old = v->has_profile ? v->vgpu.profile : -1;
	int ret;

	if (profile == old)
		return 0;
	vgpu_pf_vf_unprovision(v);
	if (profile < 0)
		return 0;
	ret = vgpu_pf_vf_provision(v, profile);
	if (ret && old >= 0 && vgpu_pf_vf_provision(v, old))
		dev_err(&v->pdev->dev,
			"could not give the VF its profile %s back\n",
			v->pf->vdev->profiles[old].name);
	return ret;
}

static ssize_t profile_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	struct vgpu_pf_vf *v = to_vgpu_pf_vf(d);
	struct vgpu_pf *pf = v->pf;
	struct device *vfdev = &v->pdev->dev;
	int profile, ret;

	profile = vgpu_pf_profile_index(pf->vdev, buf, len);
	if (profile == -EINVAL) {
		dev_err(&pf->pdev->dev,
			"VF %u: no profile named \"%*pE\" (see creatable_profiles)\n",
			v->n, (int)min_t(size_t, strcspn(buf, "\n"), 64), buf);
		return -EINVAL;
	}
	mutex_lock(&pf->lock);
	if (v->gone) {
		mutex_unlock(&pf->lock);
		return -ENODEV;
	}
	device_lock(vfdev);
	if (vfdev->driver) {
		dev_err(&pf->pdev->dev,
			"VF %u: cannot change its profile: it is bound to %s; unbind it first\n",
			v->n, vfdev->driver->name);
		ret = -EBUSY;
	} else {
		ret = vgpu_pf_vf_set_profile(v, profile);
	}
	device_unlock(vfdev);
	mutex_unlock(&pf->lock);
	return ret ?: len;
}
static DEVICE_ATTR_RW(profile);

static ssize_t creatable_profiles_show(struct device *d,
				       struct device_attribute *attr,
				       char *buf)
{
	struct vgpu_pf_vf *v = to_vgpu_pf_vf(d);
	struct vgpu_device *dev = v->pf->vdev;
	unsigned int i;
	int n = 0;

	for (i = 0; i < dev->nr_profiles; i++)
		if (vgpu_type_available(dev, i))
			n += sysfs_emit_at(buf, n, "%s\n", dev->profiles[i].name);
	return n;
}
static DEVICE_ATTR_RO(creatable_profiles);

static struct attribute *vgpu_pf_vf_attrs[] = {
	&dev_attr_profile.attr,
	&dev_attr_creatable_profiles.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vgpu_pf_vf);

static void vgpu_pf_vf_release(struct device *dev)
{
	struct vgpu_pf_vf *v = to_vgpu_pf_vf(dev);

	pci_dev_put(v->pdev);
	kfree(v);
}

/* VF @n's PCI device, referenced, or NULL. */
static struct pci_dev *vgpu_pf_find_vf(struct pci_dev *pdev, u32 n)
{
	struct pci_dev *vf = NULL;

	while ((vf = pci_get_device(pdev->vendor, VGPU_PCI_DEVICE_ID, vf)))
		if (vf->is_virtfn && vf->physfn == pdev &&
		    pci_iov_vf_id(vf) == n - 1)
			return vf;
	return NULL;
}

/* Create VF @n's node; the VF's PCI device exists. */
static struct vgpu_pf_vf *vgpu_pf_vf_create(struct vgpu_pf *pf, u32 n)
{
	struct pci_dev *pdev = pf->pdev;
	struct vgpu_pf_vf *v;
	int ret;

	v = vgpu_alloc(kzalloc(sizeof(*v), GFP_KERNEL));
	if (!v)
		return ERR_PTR(-ENOMEM);
	v->pf = pf;
	v->n = n;
	v->pdev = vgpu_pf_find_vf(pdev, n);
	device_initialize(&v->dev);
	v->dev.parent = &pf->vdev->dev;
	v->dev.groups = vgpu_pf_vf_groups;
	v->dev.release = vgpu_pf_vf_release;
	dev_set_drvdata(&v->dev, &v->vgpu);
	if (!v->pdev) {
		ret = -ENODEV;
		goto err_put;
	}
	ret = vgpu_call(dev_set_name(&v->dev, "vf%u", n));
	if (ret)
		goto err_put;
	ret = vgpu_call(device_add(&v->dev));
	if (ret)
		goto err_put;
	ret = sysfs_create_link(&v->dev.kobj, &v->pdev->dev.kobj,
				"pci_function");
	if (ret) {
		device_del(&v->dev);
		goto err_put;
	}
	return v;

err_put:
	put_device(&v->dev);
	return ERR_PTR(ret);
}

static void vgpu_pf_vf_destroy(struct vgpu_pf_vf *v)
{
	sysfs_remove_link(&v->dev.kobj, "pci_function");
	device_unregister(&v->dev);
}

/* Drop VFs @from..num_vfs; caller holds &vgpu_pf.lock. */
static void vgpu_pf_vfs_drop(struct vgpu_pf *pf, u32 from)
{
	struct vgpu_pf_vf *gone[VGPU_PF_MAX_VFS];
	u32 i, n = 0;

	lockdep_assert_held(&pf->lock);
	for (i = pf->num_vfs; i-- > from;) {
		vgpu_pf_vf_unprovision(pf->vfs[i]);
		pf->vfs[i]->gone = true;
		spin_lock(&pf->event_lock);
		gone[n++] = pf->vfs[i];
		pf->vfs[i] = NULL;
		pf->num_vfs = i;
		spin_unlock(&pf->event_lock);
	}
	/*
	 * The nodes go without the lock: removing one waits for its sysfs
	 * writers, which take the lock and then find the VF gone.
	 */
	mutex_unlock(&pf->lock);
	for (i = 0; i < n; i++)
		vgpu_pf_vf_destroy(gone[i]);
	mutex_lock(&pf->lock);
}

/**
 * vgpu_pf_vfs_enable() - enable VFs and create their nodes
 * @pf: the PF, with no VFs enabled
 * @num_vfs: how many, 1 to the device's TotalVFs (the PCI core checks)
 *
 * Return: @num_vfs or a negative errno, with no VF enabled.
 */
int vgpu_pf_vfs_enable(struct vgpu_pf *pf, u32 num_vfs)
{
	struct pci_dev *pdev = pf->pdev;
	int ret;
	u32 n;

	mutex_lock(&pf->lock);
	ret = vgpu_call(pci_enable_sriov(pdev, num_vfs));
	if (ret) {
		dev_err(&pdev->dev, "cannot enable %u VFs: %d\n", num_vfs, ret);
		goto out;
	}
	for (n = 1; n <= num_vfs; n++) {
		struct vgpu_pf_vf *v = vgpu_pf_vf_create(pf, n);

		if (IS_ERR(v)) {
			ret = PTR_ERR(v);
			dev_err(&pdev->dev, "cannot create the node of VF %u: %d\n",
				n, ret);
			vgpu_pf_vfs_drop(pf, 0);
			pci_disable_sriov(pdev);
			goto out;
		}
		spin_lock(&pf->event_lock);
		pf->vfs[n - 1] = v;
		pf->num_vfs = n;
		spin_unlock(&pf->event_lock);
	}
	ret = num_vfs;
	dev_info(&pdev->dev, "%u VFs enabled; give them profiles in %s/vfN/profile\n",
		 num_vfs, dev_name(&pf->vdev->dev));
out:
	mutex_unlock(&pf->lock);
	return ret;
}

/**
 * vgpu_pf_vfs_disable() - take the VFs' profiles back and disable them
 * @pf: the PF
 * @force: disable even VFs bound to a driver (the PF is going away)
 *
 * Return: 0, or -EBUSY with nothing changed if a VF is bound to a driver
 * and @force is false.
 */
int vgpu_pf_vfs_disable(struct vgpu_pf *pf, bool force)
{
	u32 i;

	/*
	 * The PF goes: the VFs' drivers (vfio-pci, vgpu-vfio-pci) let go of
	 * them first, while their vGPUs still exist, so a VMM's last close
	 * still finds what it opened.
	 */
	if (force)
		pci_disable_sriov(pf->pdev);
	mutex_lock(&pf->lock);
	for (i = 0; i < pf->num_vfs && !force; i++) {
		struct device *vfdev = &pf->vfs[i]->pdev->dev;

		device_lock(vfdev);
		if (vfdev->driver) {
			dev_err(&pf->pdev->dev,
				"cannot disable VFs: VF %u (%s) is bound to %s\n",
				i + 1, dev_name(vfdev), vfdev->driver->name);
			device_unlock(vfdev);
			mutex_unlock(&pf->lock);
			return -EBUSY;
		}
		device_unlock(vfdev);
	}
	vgpu_pf_vfs_drop(pf, 0);
	pci_disable_sriov(pf->pdev);
	mutex_unlock(&pf->lock);
	return 0;
}
