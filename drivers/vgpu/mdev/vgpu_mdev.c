// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu mdev frontend: vGPU instances as mediated devices and VFIO devices.
 */

/**
 * DOC: vGPU lifetime
 *
 * ``echo UUID > .../mdev_supported_types/vgpu-TYPE/create`` makes the mdev
 * core create the mdev device and call vgpu_mdev_probe(), which allocates the
 * vGPU's memory window and engine seat (vgpu_vfio_init()) and registers a
 * VFIO device. The mdev core itself rejects a malformed UUID (-EINVAL) and
 * one already in use (-EEXIST) before the driver is called; the driver
 * rejects a create on a type with no room with -ENOSPC.
 *
 * ``echo 1 > /sys/bus/mdev/devices/UUID/remove`` calls vgpu_mdev_remove().
 * If a VM (any VFIO user) holds the device open, the VFIO core calls
 * vgpu_vfio_request() until the user closes it: we signal the request
 * eventfd the user registered on VFIO_PCI_REQ_IRQ_INDEX (QEMU answers by
 * unplugging the device from the guest), and the writer of ``remove`` waits.
 * Memory is never pulled from under an open device. The window and the engine
 * seat are freed only once the last reference is gone (vgpu_vfio_release()).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "mdev/vgpu_mdev.h"
#include "sim/vgpu_sim.h"

static struct vgpu_mdev *to_vgpu_mdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct vgpu_mdev, vdev);
}

static struct vgpu_type *to_vgpu_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct vgpu_type, mtype);
}

/* What the sim function asks of its frontend. */
static void vgpu_mdev_signal(void *data, unsigned int vector)
{
	vgpu_irq_signal(data, vector);
}

static int vgpu_mdev_dma_rw(void *data, u64 iova, void *buf, size_t len,
			    bool write)
{
	struct vgpu_mdev *m = data;

	return vfio_dma_rw(&m->vdev, iova, buf, len, write);
}

static const struct vgpu_sim_host vgpu_mdev_sim_host = {
	.signal = vgpu_mdev_signal,
	.dma_rw = vgpu_mdev_dma_rw,
};

static int vgpu_vfio_init(struct vfio_device *vdev)
{
	struct vgpu_mdev *m = to_vgpu_mdev(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct vgpu_type *type = to_vgpu_type(mdev->type);
	int ret;

	m->vgpu.dev = type->dev;
	m->vgpu.log = &mdev->dev;
	m->mdev = mdev;
	mutex_init(&m->vgpu.ctl_lock);
	mutex_init(&m->irq_lock);
	ret = vgpu_resources_get(&m->vgpu, type->index, -1);
	if (ret)
		return ret;
	m->sf = vgpu_sim_fn(m->vgpu.dev, m->vgpu.fn);
	vgpu_sim_attach(m->sf, &vgpu_mdev_sim_host, m);
	vgpu_mig_init(m);
	return 0;
}

static void vgpu_vfio_release(struct vfio_device *vdev)
{
	struct vgpu_mdev *m = to_vgpu_mdev(vdev);

	vgpu_control_hold(&m->vgpu, VGPU_HOLD_REMOVED);
	vgpu_resources_put(&m->vgpu);
	vgpu_vfio_mig_fini(&m->mig);
	mutex_destroy(&m->irq_lock);
	mutex_destroy(&m->vgpu.ctl_lock);
}

static void vgpu_vfio_close(struct vfio_device *vdev)
{
	struct vgpu_mdev *m = to_vgpu_mdev(vdev);

	/*
	 * No DMA once the user's address space is gone: stop the queue. The
	 * window keeps its contents for the next open, unless its state was
	 * migrated away (vgpu_vfio_mig_reset()).
	 */
	vgpu_vfio_mig_reset(&m->mig, true);
	vgpu_function_stop(m);
	vgpu_irq_release_all(m);
}

static void vgpu_vfio_request(struct vfio_device *vdev, unsigned int count)
{
	vgpu_irq_request(to_vgpu_mdev(vdev), count);
}

/*
 * The user unmapped DMA memory: wait out the work unit in flight, ending a
 * DMA it is stuck in (the unit is retried and then sees the unmapping).
 */
static void vgpu_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 len)
{
	struct vgpu_sim_fn *sf = to_vgpu_mdev(vdev)->sf;

	vgpu_dma_abort(sf);
	mutex_lock(&sf->unit_lock);
	mutex_unlock(&sf->unit_lock);
}

/* One naturally aligned access of 1, 2, 4 or 8 bytes to config or BAR0. */
static int vgpu_reg_access(struct vgpu_mdev *m, unsigned int index, u32 off,
			   u32 size, u64 *val, bool write)
{
	struct vgpu_sim_fn *sf = m->sf;
	bool reset = false;
	u32 v32 = (u32)*val, irqs;
	int ret = 0;

	mutex_lock(&sf->lock);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
		if (size == 8) {
			ret = -EINVAL;
		} else if (write) {
			ret = vgpu_cfg_write(sf, off, size, v32, &reset);
		} else {
			ret = vgpu_cfg_read(sf, off, size, &v32);
			*val = v32;
		}
	} else if (write) {
		reset = vgpu_regs_write(sf, off, size, *val);
	} else {
		*val = vgpu_regs_read(sf, off, size);
	}
	irqs = vgpu_irq_take(sf);
	mutex_unlock(&sf->lock);
	vgpu_irq_flush(sf, irqs);
	if (reset)
		vgpu_function_reset(m, index == VFIO_PCI_CONFIG_REGION_INDEX);
	return ret;
}

static u64 vgpu_region_size(struct vgpu_mdev *m, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return VGPU_CFG_SIZE;
	case VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_REGS:
		return VGPU_REGS_SIZE;
	case VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW:
		return m->vgpu.mem_size;
	}
	return 0;
}

/* Split [pos, pos + count) of a trapped region into aligned accesses. */
static ssize_t vgpu_rw_regs(struct vgpu_mdev *m, unsigned int index,
			    char __user *buf, size_t count, u64 pos,
			    bool write)
{
	size_t done = 0;

	while (done < count) {
		u32 off = pos + done;
		size_t left = count - done;
		u32 size = (left >= 8 && !(off & 7)) ? 8 :
			   (left >= 4 && !(off & 3)) ? 4 :
			   (left >= 2 && !(off & 1)) ? 2 : 1;
		u64 val = 0;
		int ret;

		if (index == VFIO_PCI_CONFIG_REGION_INDEX && size == 8)
			size = 4;
		if (write && copy_from_user(&val, buf + done, size))
			return -EFAULT;
		ret = vgpu_reg_access(m, index, off, size, &val, write);
		if (ret)
			return ret;
		if (!write && copy_to_user(buf + done, &val, size))
			return -EFAULT;
		done += size;
	}
	return done;
}

/* read()/write() on BAR2: the window, a page at a time. */
static ssize_t vgpu_rw_window(struct vgpu_sim_fn *sf, char __user *buf,
			      size_t count, u64 pos, bool write)
{
	size_t done = 0;

	while (done < count) {
		u64 off = pos + done;
		size_t in = offset_in_page(off);
		size_t n = min_t(size_t, count - done, PAGE_SIZE - in);
		void *va = kmap_local_page(sf->pages[off >> PAGE_SHIFT]);
		unsigned long left;

		if (write)
			left = copy_from_user(va + in, buf + done, n);
		else
			left = copy_to_user(buf + done, va + in, n);
		kunmap_local(va);
		if (write)
			vgpu_sim_window_written(sf, off, n - left);
		if (left)
			return done ? done : -EFAULT;
		done += n;
	}
	return done;
}

static ssize_t vgpu_vfio_rw(struct vfio_device *vdev, char __user *buf,
			    size_t count, loff_t *ppos, bool write)
{
	struct vgpu_mdev *m = to_vgpu_mdev(vdev);
	unsigned int index = VGPU_OFFSET_INDEX(*ppos);
	u64 pos = *ppos & VGPU_OFFSET_MASK;
	u64 size = vgpu_region_size(m, index);
	ssize_t ret;

	if (!size || pos >= size || count > size - pos)
		return -EINVAL;
	if (index == VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW)
		ret = vgpu_rw_window(m->sf, buf, count, pos, write);
	else
		ret = vgpu_rw_regs(m, index, buf, count, pos, write);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t vgpu_vfio_read(struct vfio_device *vdev, char __user *buf,
			      size_t count, loff_t *ppos)
{
	return vgpu_vfio_rw(vdev, buf, count, ppos, false);
}

static ssize_t vgpu_vfio_write(struct vfio_device *vdev,
			       const char __user *buf, size_t count,
			       loff_t *ppos)
{
	return vgpu_vfio_rw(vdev, (char __user *)buf, count, ppos, true);
}

static vm_fault_t vgpu_window_fault(struct vm_fault *vmf)
{
	struct vgpu_sim_fn *sf = vmf->vma->vm_private_data;
	unsigned long pgoff = vmf->pgoff &
			      (VGPU_OFFSET_MASK >> PAGE_SHIFT);

	if (pgoff >= sf->nr_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = sf->pages[pgoff];
	get_page(vmf->page);
	return 0;
}

/*
 * The first write to a window page through a mapping (see "migration of an
 * mdev vGPU" in vgpu_mig.c): record the page, holding its lock until the
 * fault handler has made the mapping writable.
 */
static vm_fault_t vgpu_window_mkwrite(struct vm_fault *vmf)
{
	struct vgpu_sim_fn *sf = vmf->vma->vm_private_data;
	unsigned long pgoff = vmf->pgoff &
			      (VGPU_OFFSET_MASK >> PAGE_SHIFT);

	if (pgoff >= sf->nr_pages)
		return VM_FAULT_SIGBUS;
	lock_page(vmf->page);
	vgpu_sim_window_written(sf, (u64)pgoff << PAGE_SHIFT, PAGE_SIZE);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct vgpu_window_vm_ops = {
	.fault = vgpu_window_fault,
	.page_mkwrite = vgpu_window_mkwrite,
};

static int vgpu_vfio_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct vgpu_sim_fn *sf = to_vgpu_mdev(vdev)->sf;
	u64 index = vma->vm_pgoff >> (VGPU_OFFSET_SHIFT - PAGE_SHIFT);
	u64 pgoff = vma->vm_pgoff & (VGPU_OFFSET_MASK >> PAGE_SHIFT);
	u64 pages = vma_pages(vma);

	if (index != VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (pgoff >= sf->nr_pages || pages > sf->nr_pages - pgoff)
		return -EINVAL;
	vma->vm_ops = &vgpu_window_vm_ops;
	vma->vm_private_data = sf;
	vgpu_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

static int vgpu_ioctl_get_info(unsigned long arg)
{
	struct vfio_device_info info;
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vgpu_ioctl_region_info(struct vgpu_mdev *m, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info.offset = VGPU_INDEX_TO_OFFSET(info.index);
	info.size = vgpu_region_size(m, info.index);
	info.flags = 0;
	info.cap_offset = 0;
	if (info.size)
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
	if (info.index == VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW)
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long vgpu_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	struct vgpu_mdev *m = to_vgpu_mdev(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vgpu_ioctl_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vgpu_ioctl_region_info(m, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vgpu_irq_get_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return vgpu_irq_set(m, arg);
	case VFIO_DEVICE_RESET:
		vgpu_vfio_mig_reset(&m->mig, false);
		vgpu_function_reset(m, true);
		return 0;
	}
	return -ENOTTY;
}

static const struct vfio_device_ops vgpu_vfio_ops = {
	.name = "vgpu",
	.init = vgpu_vfio_init,
	.release = vgpu_vfio_release,
	.close_device = vgpu_vfio_close,
	.read = vgpu_vfio_read,
	.write = vgpu_vfio_write,
	.mmap = vgpu_vfio_mmap,
	.ioctl = vgpu_vfio_ioctl,
	.request = vgpu_vfio_request,
	.dma_unmap = vgpu_vfio_dma_unmap,
	VGPU_VFIO_IOMMUFD_OPS
};

static int vgpu_mdev_probe(struct mdev_device *mdev)
{
	struct vgpu_mdev *m;
	int ret;

	m = vgpu_inject_fail() ? ERR_PTR(-ENOMEM) :
	    vfio_alloc_device(vgpu_mdev, vdev, &mdev->dev, &vgpu_vfio_ops);
	if (IS_ERR(m))
		return PTR_ERR(m);
	ret = vgpu_call(vfio_register_emulated_iommu_dev(&m->vdev));
	if (ret) {
		dev_err(&mdev->dev, "cannot register VFIO device: %d\n", ret);
		vfio_put_device(&m->vdev);
		return ret;
	}
	/* The core's sysfs files of the vGPU find its record here. */
	dev_set_drvdata(&mdev->dev, &m->vgpu);
	dev_info(&mdev->dev, "created vGPU of type %s, window %llu MiB at 0x%llx\n",
		 vgpu_profile_of(&m->vgpu)->name, m->vgpu.mem_size >> 20,
		 m->vgpu.mem_offset);
	return 0;
}

static void vgpu_mdev_remove(struct mdev_device *mdev)
{
	struct vgpu *vgpu = dev_get_drvdata(&mdev->dev);
	struct vgpu_mdev *m = container_of(vgpu, struct vgpu_mdev, vgpu);

	vfio_unregister_group_dev(&m->vdev);
	vfio_put_device(&m->vdev);
	dev_info(&mdev->dev, "vGPU removed\n");
}

static unsigned int vgpu_mdev_get_available(struct mdev_type *mtype)
{
	struct vgpu_type *t = to_vgpu_type(mtype);

	return vgpu_type_available(t->dev, t->index);
}

static ssize_t vgpu_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct vgpu_type *t = to_vgpu_type(mtype);
	const struct vgpu_profile *p = &t->dev->profiles[t->index];

	if (p->share == 1)
		return sysfs_emit(buf,
				  "memory %llu MiB, %u dedicated engine%s\n",
				  p->mem_size >> 20, p->engines,
				  p->engines == 1 ? "" : "s");
	return sysfs_emit(buf,
			  "memory %llu MiB, %u engine%s time-sliced among up to %u vGPUs\n",
			  p->mem_size >> 20, p->engines,
			  p->engines == 1 ? "" : "s", p->share);
}

struct mdev_driver vgpu_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "vgpu_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = vgpu_instance_groups,
	},
	.probe = vgpu_mdev_probe,
	.remove = vgpu_mdev_remove,
	.get_available = vgpu_mdev_get_available,
	.show_description = vgpu_mdev_show_description,
};

/**
 * vgpu_mdev_parent_add() - offer a sim device's profiles as mdev types
 * @dev: the device, one mdev type per profile
 *
 * Return: 0 or a negative errno.
 */
int vgpu_mdev_parent_add(struct vgpu_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_profiles; i++) {
		struct vgpu_type *t = &dev->types[i];

		t->index = i;
		t->dev = dev;
		t->mtype.sysfs_name = dev->profiles[i].name;
		t->mtype.pretty_name = dev->profiles[i].name;
		dev->type_list[i] = &t->mtype;
	}
	return vgpu_call(mdev_register_parent(&dev->parent, &dev->dev,
					      &vgpu_mdev_driver, dev->type_list,
					      dev->nr_profiles));
}

/**
 * vgpu_mdev_parent_remove() - remove the mdev parent and all its vGPUs
 * @dev: a device vgpu_mdev_parent_add() succeeded on
 *
 * See vgpu_vfio_release() for what happens to a vGPU a VM holds open.
 */
void vgpu_mdev_parent_remove(struct vgpu_device *dev)
{
	mdev_unregister_parent(&dev->parent);
}
