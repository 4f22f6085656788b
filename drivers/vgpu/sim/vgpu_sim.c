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

#include "core/vgpu_core.h"

static void vgpu_sim_free_pages(struct page **pages, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

static int vgpu_sim_window_create(struct vgpu *vgpu)
{
	unsigned long i, n = vgpu->mem_size >> PAGE_SHIFT;
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

static void vgpu_sim_window_destroy(struct vgpu *vgpu)
{
	vgpu_sim_free_pages(vgpu->pages, vgpu->nr_pages);
	vgpu->pages = NULL;
	vgpu->nr_pages = 0;
}

static void vgpu_sim_window_clear(struct vgpu *vgpu)
{
	unsigned long i;

	for (i = 0; i < vgpu->nr_pages; i++) {
		clear_highpage(vgpu->pages[i]);
		cond_resched();
	}
}

const struct vgpu_hw_ops vgpu_sim_ops = {
	.name = "sim",
	.window_create = vgpu_sim_window_create,
	.window_destroy = vgpu_sim_window_destroy,
	.window_clear = vgpu_sim_window_clear,
};
