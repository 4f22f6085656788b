// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu mdev frontend: the sim function's state for VFIO migration v2 (live
 * migration, suspend, resume); vfio/vgpu_vfio_mig.c runs the rest.
 */

/**
 * DOC: migration of an mdev vGPU
 *
 * The sim function tracks the window pages written while a saving session
 * lasts, so an mdev vGPU offers pre-copy. The engines record the pages they
 * write themselves. To know which pages the VM writes through its mapping
 * of the window, the mapping is write-protected page by page: the window's
 * pages are mapped read-only first and vgpu_window_mkwrite() records a page
 * in the sim function's bitmap, under the page lock, before making it
 * writable; before the saver reads a run of pages it has taken their bits,
 * and it locks the pages and unmaps them from every mapping of the device,
 * so that the next write faults again.
 */
#include <linux/pagemap.h>

#include "mdev/vgpu_mdev.h"
#include "sim/vgpu_sim.h"

#if VGPU_HAVE_MIGRATION

static struct vgpu_mdev *vgpu_mig_mdev(struct vgpu_vfio_mig *mig)
{
	return container_of(mig, struct vgpu_mdev, mig);
}

static void vgpu_mig_ident(struct vgpu_vfio_mig *mig,
			   struct vgpu_mig_ident *id)
{
	vgpu_mig_ident_of(mig->vgpu, id);
}

static int vgpu_mig_track_start(struct vgpu_vfio_mig *mig)
{
	vgpu_sim_mark_all_dirty(vgpu_mig_mdev(mig)->sf);
	return 0;
}

static unsigned long vgpu_mig_take_dirty(struct vgpu_vfio_mig *mig,
					 unsigned long start,
					 unsigned long max,
					 unsigned long *first)
{
	return vgpu_sim_take_dirty(vgpu_mig_mdev(mig)->sf, start, max, first);
}

static unsigned long vgpu_mig_dirty_count(struct vgpu_vfio_mig *mig,
					  unsigned long from, unsigned long to)
{
	return vgpu_sim_dirty_count(vgpu_mig_mdev(mig)->sf, from, to);
}

/*
 * The pages are locked while they are unmapped and copied, so a write that
 * faults on one of them meanwhile records it again once it may proceed.
 */
static int vgpu_mig_read_pages(struct vgpu_vfio_mig *mig, unsigned long first,
			       unsigned long n, void *buf)
{
	struct vgpu_mdev *m = vgpu_mig_mdev(mig);
	struct vgpu_sim_fn *sf = m->sf;
	unsigned long i;

	for (i = 0; i < n; i++)
		lock_page(sf->pages[first + i]);
	unmap_mapping_range(m->vdev.inode->i_mapping,
			    VGPU_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX +
						 VGPU_BAR_WINDOW) +
			    ((u64)first << PAGE_SHIFT),
			    n << PAGE_SHIFT, true);
	for (i = 0; i < n; i++)
		vgpu_sim_page_read(sf, first + i, buf + (i << PAGE_SHIFT));
	for (i = 0; i < n; i++)
		unlock_page(sf->pages[first + i]);
	return 0;
}

static int vgpu_mig_write_page(struct vgpu_vfio_mig *mig, u64 index,
			       const void *data)
{
	vgpu_sim_page_write(vgpu_mig_mdev(mig)->sf, index, data);
	return 0;
}

static int vgpu_mig_save_state(struct vgpu_vfio_mig *mig,
			       struct vgpu_mig_state *st)
{
	vgpu_sim_save(vgpu_mig_mdev(mig)->sf, st);
	return 0;
}

static int vgpu_mig_load_state(struct vgpu_vfio_mig *mig,
			       const struct vgpu_mig_state *st)
{
	vgpu_sim_load(vgpu_mig_mdev(mig)->sf, st);
	return 0;
}

static void vgpu_mig_reset(struct vgpu_vfio_mig *mig)
{
	vgpu_function_reset(vgpu_mig_mdev(mig), true);
}

static const struct vgpu_vfio_mig_ops vgpu_mig_sim_ops = {
	.ident = vgpu_mig_ident,
	.track_start = vgpu_mig_track_start,
	.take_dirty = vgpu_mig_take_dirty,
	.dirty_count = vgpu_mig_dirty_count,
	.read_pages = vgpu_mig_read_pages,
	.write_page = vgpu_mig_write_page,
	.save_state = vgpu_mig_save_state,
	.load_state = vgpu_mig_load_state,
	.reset = vgpu_mig_reset,
};

/**
 * vgpu_mig_init() - offer VFIO migration on a new mdev vGPU
 * @m: the vGPU, before its VFIO device is registered
 */
void vgpu_mig_init(struct vgpu_mdev *m)
{
	vgpu_vfio_mig_init(&m->mig, &m->vdev, &m->vgpu, &vgpu_mig_sim_ops);
}

#endif /* VGPU_HAVE_MIGRATION */
