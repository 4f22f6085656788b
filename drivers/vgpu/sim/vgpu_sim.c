// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu sim backend: a physical device modelled in software.
 */

/**
 * DOC: sim backend memory
 *
 * The simulated device's memory is host RAM. The core decides where each
 * vGPU's window lies in the device's address space; the sim backend backs a
 * window with zeroed host pages when the vGPU is created and frees them when
 * it is destroyed, so an idle device costs no host memory and a new tenant
 * can only ever read zeros.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "sim/vgpu_sim.h"

static void vgpu_sim_free_pages(struct page **pages, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

static int vgpu_sim_provision(struct vgpu_device *dev, u32 fn,
			      const struct vgpu_fn_res *res)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);
	unsigned long i, n = res->mem_size >> PAGE_SHIFT;
	struct page **pages;

	pages = vgpu_alloc(kvcalloc(n, sizeof(*pages), GFP_KERNEL));
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pages[i] = vgpu_alloc(alloc_page(GFP_KERNEL | __GFP_ZERO));
		if (!pages[i]) {
			vgpu_sim_free_pages(pages, i);
			return -ENOMEM;
		}
		cond_resched();
	}
	vgpu->pages = pages;
	vgpu->nr_pages = n;
	return 0;
}

static void vgpu_sim_unprovision(struct vgpu_device *dev, u32 fn)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);

	vgpu_sim_free_pages(vgpu->pages, vgpu->nr_pages);
	vgpu->pages = NULL;
	vgpu->nr_pages = 0;
}

static void vgpu_sim_scrub(struct vgpu_device *dev, u32 fn)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);
	unsigned long i;

	for (i = 0; i < vgpu->nr_pages; i++) {
		clear_highpage(vgpu->pages[i]);
		cond_resched();
	}
}

static bool vgpu_sim_faulted(struct vgpu_device *dev, u32 fn)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);
	bool halted;

	mutex_lock(&vgpu->lock);
	halted = vgpu->regs.halted;
	mutex_unlock(&vgpu->lock);
	return halted;
}

static void vgpu_sim_counters(struct vgpu_device *dev, u32 fn,
			      struct vgpu_stats *c)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);

	mutex_lock(&vgpu->lock);
	*c = vgpu->stats;
	mutex_unlock(&vgpu->lock);
}

/* The sim device behind the device interface (vgpu_core.h). */
const struct vgpu_device_ops vgpu_sim_ops = {
	.name = "sim",
	.fn_provision = vgpu_sim_provision,
	.fn_unprovision = vgpu_sim_unprovision,
	.fn_scrub = vgpu_sim_scrub,
	.fn_run = vgpu_sim_run,
	.fn_preempt = vgpu_sim_preempt,
	.fn_has_work = vgpu_sim_has_work,
	.fn_faulted = vgpu_sim_faulted,
	.fn_counters = vgpu_sim_counters,
};
