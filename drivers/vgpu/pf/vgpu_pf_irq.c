// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PF driver: the PF's interrupts.
 */

/**
 * DOC: PF interrupts
 *
 * Vector 0 says an engine run ended: the hard handler clears the status bit
 * and wakes every engine thread waiting for its run, and each checks its own
 * engine's BUSY bit. Clearing before waking means a run that ends after the
 * clear raises the interrupt again, so no end is missed.
 *
 * Vector 1 says a VF has events. Its threaded handler reads which VFs have
 * events, clears each VF's events and, for a doorbell, kicks the VF's vGPU
 * so that an engine thread picks it; it does so under &vgpu_pf.event_lock,
 * and only for a VF that has a profile. FLR and halt events need nothing
 * from the driver: the device has already reset or stopped the VF, and the
 * scheduler sees that it has no work.
 */
#include <linux/bitops.h>
#include <linux/interrupt.h>

#include "pf/vgpu_pf.h"

static irqreturn_t vgpu_pf_engine_irq(int irq, void *data)
{
	struct vgpu_pf *pf = data;

	writel(VGPU_PF_IRQ_ENGINE, pf->regs + VGPU_PF_REG_IRQ_STATUS);
	wake_up_all(&pf->run_wq);
	return IRQ_HANDLED;
}

static irqreturn_t vgpu_pf_event_irq(int irq, void *data)
{
	struct vgpu_pf *pf = data;
	unsigned long pending;
	unsigned int bit;

	writel(VGPU_PF_IRQ_EVENT, pf->regs + VGPU_PF_REG_IRQ_STATUS);
	pending = readl(pf->regs + VGPU_PF_REG_VF_EVENTS);
	for_each_set_bit(bit, &pending, pf->max_vfs) {
		void __iomem *vf = vgpu_pf_vf_regs(pf, bit + 1);
		struct vgpu_pf_vf *v;
		u32 ev;

		ev = readl(vf + VGPU_PF_VF_EVENT);
		writel(ev, vf + VGPU_PF_VF_EVENT);
		if (!(ev & VGPU_PF_VF_EVENT_DOORBELL))
			continue;
		spin_lock(&pf->event_lock);
		v = bit < pf->num_vfs ? pf->vfs[bit] : NULL;
		if (v && v->has_profile)
			vgpu_sched_kick(&v->vgpu);
		spin_unlock(&pf->event_lock);
	}
	return IRQ_HANDLED;
}

/**
 * vgpu_pf_irq_init() - set up the PF's MSI-X vectors and handlers
 * @pf: the PF, with its registers mapped
 *
 * Return: 0 or a negative errno, with nothing set up.
 */
int vgpu_pf_irq_init(struct vgpu_pf *pf)
{
	struct pci_dev *pdev = pf->pdev;
	int ret;

	ret = pci_alloc_irq_vectors(pdev, VGPU_PF_MSIX_VECTORS,
				    VGPU_PF_MSIX_VECTORS, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot enable %u MSI-X vectors: %d\n",
			VGPU_PF_MSIX_VECTORS, ret);
		return ret;
	}
	ret = request_irq(pci_irq_vector(pdev, VGPU_PF_MSIX_ENGINE),
			  vgpu_pf_engine_irq, 0, "vgpu-pf-engine", pf);
	if (ret)
		goto err_vectors;
	ret = request_threaded_irq(pci_irq_vector(pdev, VGPU_PF_MSIX_EVENT),
				   NULL, vgpu_pf_event_irq, IRQF_ONESHOT,
				   "vgpu-pf-event", pf);
	if (ret)
		goto err_engine;
	writel(VGPU_PF_IRQ_ENGINE | VGPU_PF_IRQ_EVENT,
	       pf->regs + VGPU_PF_REG_IRQ_STATUS);
	writel(0, pf->regs + VGPU_PF_REG_IRQ_MASK);
	return 0;

err_engine:
	free_irq(pci_irq_vector(pdev, VGPU_PF_MSIX_ENGINE), pf);
err_vectors:
	dev_err(&pdev->dev, "cannot request the PF's interrupts: %d\n", ret);
	pci_free_irq_vectors(pdev);
	return ret;
}

/**
 * vgpu_pf_irq_fini() - mask and free the PF's interrupts
 * @pf: the PF, with no engine run in progress
 */
void vgpu_pf_irq_fini(struct vgpu_pf *pf)
{
	struct pci_dev *pdev = pf->pdev;

	writel(VGPU_PF_IRQ_ENGINE | VGPU_PF_IRQ_EVENT,
	       pf->regs + VGPU_PF_REG_IRQ_MASK);
	free_irq(pci_irq_vector(pdev, VGPU_PF_MSIX_EVENT), pf);
	free_irq(pci_irq_vector(pdev, VGPU_PF_MSIX_ENGINE), pf);
	pci_free_irq_vectors(pdev);
}
