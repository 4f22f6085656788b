// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu interrupts as the VFIO user sees them: eventfds.
 */

/**
 * DOC: interrupts
 *
 * VFIO_PCI_MSIX_IRQ_INDEX has two vectors, VGPU_MSIX_COMPLETION and
 * VGPU_MSIX_ERROR; the user routes each to an eventfd with
 * VFIO_DEVICE_SET_IRQS (QEMU does so when the guest enables MSI-X, and
 * emulates the MSI-X table and its masking itself). The device signals a
 * vector when it raises an interrupt source that IRQ_MASK leaves unmasked.
 * VFIO_PCI_REQ_IRQ_INDEX has one vector, signalled when the host asks the
 * user to release the vGPU (see vgpu_mdev.c). INTx and MSI report zero
 * vectors.
 */
#include <linux/eventfd.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mdev/vgpu_mdev.h"

static void vgpu_swap_trigger(struct eventfd_ctx **slot,
			      struct eventfd_ctx *ctx)
{
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
}

/**
 * vgpu_irq_signal() - signal an MSI-X vector's eventfd, if routed
 * @m: the vGPU
 * @vector: VGPU_MSIX_*
 */
void vgpu_irq_signal(struct vgpu_mdev *m, unsigned int vector)
{
	mutex_lock(&m->irq_lock);
	if (m->msix_trigger[vector])
		vgpu_eventfd_signal(m->msix_trigger[vector]);
	mutex_unlock(&m->irq_lock);
}

/**
 * vgpu_irq_request() - ask the VFIO user to release the vGPU
 * @m: the vGPU
 * @count: how many times the VFIO core has asked so far
 */
void vgpu_irq_request(struct vgpu_mdev *m, unsigned int count)
{
	struct device *dev = m->vdev.dev;

	mutex_lock(&m->irq_lock);
	if (m->req_trigger) {
		if (!count)
			dev_notice(dev,
				   "removal requested; asking the user to release the vGPU\n");
		vgpu_eventfd_signal(m->req_trigger);
	} else if (!count) {
		dev_notice(dev,
			   "removal requested; waiting for the user to close the vGPU (no request interrupt registered)\n");
	}
	mutex_unlock(&m->irq_lock);
}

/**
 * vgpu_irq_release_all() - drop every eventfd the user routed
 * @m: the vGPU
 */
void vgpu_irq_release_all(struct vgpu_mdev *m)
{
	unsigned int i;

	mutex_lock(&m->irq_lock);
	vgpu_swap_trigger(&m->req_trigger, NULL);
	for (i = 0; i < VGPU_MSIX_VECTORS; i++)
		vgpu_swap_trigger(&m->msix_trigger[i], NULL);
	mutex_unlock(&m->irq_lock);
}

static unsigned int vgpu_irq_count(unsigned int index)
{
	switch (index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return VGPU_MSIX_VECTORS;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

/**
 * vgpu_irq_get_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @arg: user pointer to struct vfio_irq_info
 *
 * Return: 0 or a negative errno.
 */
int vgpu_irq_get_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.count = vgpu_irq_count(info.index);
	info.flags = info.count ? VFIO_IRQ_INFO_EVENTFD : 0;
	if (info.index == VFIO_PCI_MSIX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* DATA_NONE + TRIGGER: count 0 tears down, otherwise fire once. */
static void vgpu_irq_none(struct eventfd_ctx **slots, u32 start, u32 count,
			  unsigned int nvec)
{
	u32 i;

	if (!count) {
		for (i = 0; i < nvec; i++)
			vgpu_swap_trigger(&slots[i], NULL);
		return;
	}
	for (i = start; i < start + count; i++)
		if (slots[i])
			vgpu_eventfd_signal(slots[i]);
}

/* DATA_BOOL + TRIGGER: fire the vectors whose byte is non-zero. */
static int vgpu_irq_bool(struct vgpu_mdev *m, struct eventfd_ctx **slots,
			 const struct vfio_irq_set *hdr, unsigned long data)
{
	u8 fire[VGPU_MSIX_VECTORS];
	u32 i;

	if (copy_from_user(fire, (void __user *)data, hdr->count))
		return -EFAULT;
	mutex_lock(&m->irq_lock);
	for (i = 0; i < hdr->count; i++)
		if (fire[i] && slots[hdr->start + i])
			vgpu_eventfd_signal(slots[hdr->start + i]);
	mutex_unlock(&m->irq_lock);
	return 0;
}

/**
 * vgpu_irq_set() - VFIO_DEVICE_SET_IRQS for MSI-X and the request IRQ
 * @m: the vGPU
 * @arg: user pointer to struct vfio_irq_set and its data
 *
 * The header is checked by vfio_set_irqs_validate_and_prepare(); as in
 * vfio-pci, TRIGGER is the only action (-ENOTTY for MASK, UNMASK or any
 * combination), and an index without vectors takes nothing (-EINVAL).
 *
 * Return: 0 or a negative errno; on error no routing changes.
 */
int vgpu_irq_set(struct vgpu_mdev *m, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct eventfd_ctx *ctx[VGPU_MSIX_VECTORS] = { };
	s32 fds[VGPU_MSIX_VECTORS];
	struct eventfd_ctx **slots;
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	unsigned int nvec;
	u32 i;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	nvec = hdr.index < VFIO_PCI_NUM_IRQS ? vgpu_irq_count(hdr.index) : 0;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, nvec,
						 VFIO_PCI_NUM_IRQS,
						 &data_size);
	if (ret)
		return ret;
	/* Exactly one action, and the only one vfio-pci has for MSI-X. */
	if ((hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	slots = hdr.index == VFIO_PCI_REQ_IRQ_INDEX ? &m->req_trigger :
						      m->msix_trigger;

	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		mutex_lock(&m->irq_lock);
		vgpu_irq_none(slots, hdr.start, hdr.count, nvec);
		mutex_unlock(&m->irq_lock);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		return vgpu_irq_bool(m, slots, &hdr, arg + minsz);
	}
	if (copy_from_user(fds, (void __user *)(arg + minsz),
			   hdr.count * sizeof(s32)))
		return -EFAULT;
	for (i = 0; i < hdr.count; i++) {
		if (fds[i] == -1)
			continue;
		ctx[i] = fds[i] >= 0 ? eventfd_ctx_fdget(fds[i]) :
				       ERR_PTR(-EINVAL);
		if (IS_ERR(ctx[i])) {
			ret = PTR_ERR(ctx[i]);
			ctx[i] = NULL;
			goto err_put;
		}
	}
	mutex_lock(&m->irq_lock);
	for (i = 0; i < hdr.count; i++)
		vgpu_swap_trigger(&slots[hdr.start + i], ctx[i]);
	mutex_unlock(&m->irq_lock);
	return 0;

err_put:
	for (i = 0; i < hdr.count; i++)
		if (ctx[i])
			eventfd_ctx_put(ctx[i]);
	return ret;
}
