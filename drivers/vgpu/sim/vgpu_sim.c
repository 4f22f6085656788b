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
#include <linux/bitmap.h>
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

static int vgpu_sim_alloc_pages(struct vgpu_sim_fn *sf, u64 size)
{
	unsigned long i, n = size >> PAGE_SHIFT;
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
	sf->dirty = vgpu_alloc(bitmap_zalloc(n, GFP_KERNEL));
	if (!sf->dirty) {
		vgpu_sim_free_pages(pages, n);
		return -ENOMEM;
	}
	sf->pages = pages;
	sf->nr_pages = n;
	return 0;
}

static void vgpu_sim_free(struct vgpu_sim_fn *sf)
{
	kvfree(sf->exec);
	mutex_destroy(&sf->unit_lock);
	mutex_destroy(&sf->lock);
	kvfree(sf);
}

/*
 * A new function: its window in zeroed host pages, config space and
 * registers in their power-on state. It has no frontend until
 * vgpu_sim_attach(): no interrupt is signalled and every DMA faults.
 */
static int vgpu_sim_provision(struct vgpu_device *dev, u32 fn,
			      const struct vgpu_fn_res *res)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);
	struct vgpu_sim_fn *sf;
	int ret;

	sf = vgpu_alloc(kvzalloc(sizeof(*sf), GFP_KERNEL));
	if (!sf)
		return -ENOMEM;
	sf->vgpu = vgpu;
	mutex_init(&sf->lock);
	mutex_init(&sf->unit_lock);
	vgpu_dma_init(sf);
	sf->exec = vgpu_alloc(kvzalloc(sizeof(*sf->exec), GFP_KERNEL));
	ret = sf->exec ? vgpu_sim_alloc_pages(sf, res->mem_size) : -ENOMEM;
	if (ret) {
		vgpu_sim_free(sf);
		return ret;
	}
	vgpu_cfg_init(sf);
	mutex_lock(&sf->lock);
	vgpu_regs_reset(sf);
	mutex_unlock(&sf->lock);
	vgpu->hw = sf;
	return 0;
}

static void vgpu_sim_unprovision(struct vgpu_device *dev, u32 fn)
{
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);

	vgpu_dma_fini(sf);
	vgpu_sim_free_pages(sf->pages, sf->nr_pages);
	bitmap_free(sf->dirty);
	sf->vgpu->hw = NULL;
	vgpu_sim_free(sf);
}

/**
 * vgpu_sim_attach() - connect a sim function to the frontend that hands it
 * to a VM
 * @sf: the function, provisioned and not yet running
 * @host: how it signals interrupts and reaches the VM's memory
 * @data: passed to @host's operations
 */
void vgpu_sim_attach(struct vgpu_sim_fn *sf, const struct vgpu_sim_host *host,
		     void *data)
{
	mutex_lock(&sf->lock);
	sf->host = host;
	sf->host_data = data;
	mutex_unlock(&sf->lock);
}

static void vgpu_sim_scrub(struct vgpu_device *dev, u32 fn)
{
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);
	unsigned long i;

	for (i = 0; i < sf->nr_pages; i++) {
		clear_highpage(sf->pages[i]);
		cond_resched();
	}
	vgpu_sim_mark_all_dirty(sf);
}

static bool vgpu_sim_faulted(struct vgpu_device *dev, u32 fn)
{
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);
	bool halted;

	mutex_lock(&sf->lock);
	halted = sf->regs.halted;
	mutex_unlock(&sf->lock);
	return halted;
}

static void vgpu_sim_counters(struct vgpu_device *dev, u32 fn,
			      struct vgpu_stats *c)
{
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);

	mutex_lock(&sf->lock);
	*c = sf->stats;
	mutex_unlock(&sf->lock);
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
	.peer_copies = true,
};
