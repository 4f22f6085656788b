// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_guest: buffer objects in the vGPU's memory window.
 */

/**
 * DOC: buffer objects
 *
 * The window below VGPU_GUEST_BO_BASE belongs to the driver (ring, fence
 * slot). Above it, a drm_mm hands out page-aligned ranges; a BO's device
 * address is its window offset, which is what commands use. A new BO is
 * zeroed before it is returned, so nothing of an earlier user leaks. A BO
 * is mapped into a process as the matching part of BAR2, write-combined;
 * no page of the window outside the BO is reachable through the mapping.
 * The range returns to the allocator when the last reference goes: handles,
 * mappings and running jobs each hold one.
 */

/**
 * DOC: peer buffer objects
 *
 * A PEER_COPY writes into another vGPU's window. A program that opened both
 * devices names the destination as a BO of the other device, brought over
 * the way DRM shares buffers between devices: PRIME_HANDLE_TO_FD on the
 * device that owns the BO, PRIME_FD_TO_HANDLE on the one that copies. The
 * dma-buf can only be imported by this driver (other importers cannot
 * attach, nor can it be mapped through the fd); imported into another vGPU
 * it becomes a *peer BO* there, an object without pages that holds the
 * original BO and its device, so the range stays allocated while a job
 * uses it. A job's PEER_COPY must then write inside a peer BO the job names
 * whose device is, as the registers of both say now, the member of this
 * vGPU's peer group with the command's peer id. The host's device checks
 * the same again and is the one that decides.
 */
#include <linux/dma-buf.h>
#include <linux/mm.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_managed.h>
#include <drm/drm_vma_manager.h>

#include "vgpu_guest.h"

static void vgpu_mm_fini(struct drm_device *drm, void *arg)
{
	struct vgpu_gdev *gdev = arg;

	drm_mm_takedown(&gdev->mm);
}

/**
 * vgpu_gem_init() - set up the BO allocator over the window
 * @gdev: the device, window size known
 *
 * Return: 0 or a negative errno.
 */
int vgpu_gem_init(struct vgpu_gdev *gdev)
{
	int ret = drmm_mutex_init(&gdev->drm, &gdev->mm_lock);

	if (ret)
		return ret;
	drm_mm_init(&gdev->mm, VGPU_GUEST_BO_BASE,
		    gdev->window_size - VGPU_GUEST_BO_BASE);
	return drmm_add_action_or_reset(&gdev->drm, vgpu_mm_fini, gdev);
}

/**
 * vgpu_gem_free_bytes() - window bytes not taken by BOs
 * @gdev: the device
 *
 * Return: the sum of the free holes (one BO may not get all of it).
 */
u64 vgpu_gem_free_bytes(struct vgpu_gdev *gdev)
{
	u64 used = 0;
	struct drm_mm_node *node;

	mutex_lock(&gdev->mm_lock);
	drm_mm_for_each_node(node, &gdev->mm)
		used += node->size;
	mutex_unlock(&gdev->mm_lock);
	return gdev->window_size - VGPU_GUEST_BO_BASE - used;
}

static void vgpu_bo_free(struct drm_gem_object *obj)
{
	struct vgpu_gdev *gdev = to_vgpu_gdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);

	mutex_lock(&gdev->mm_lock);
	if (drm_mm_node_allocated(&bo->node))
		drm_mm_remove_node(&bo->node);
	mutex_unlock(&gdev->mm_lock);
	drm_gem_object_release(obj);
	kfree(bo);
}

static int vgpu_bo_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	struct vgpu_gdev *gdev = to_vgpu_gdev(obj->dev);
	struct vgpu_bo *bo = to_vgpu_bo(obj);
	unsigned long size = vma->vm_end - vma->vm_start;
	int idx, ret;

	if (!drm_dev_enter(obj->dev, &idx))
		return -ENODEV;
	/* drm_gem_mmap() checked size and offset against the BO. */
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot =
		pgprot_writecombine(vm_get_page_prot(vma->vm_flags));
	ret = io_remap_pfn_range(vma, vma->vm_start,
				 (gdev->window_phys + bo->node.start) >>
					 PAGE_SHIFT,
				 size, vma->vm_page_prot);
	drm_dev_exit(idx);
	return ret;
}

static const struct vm_operations_struct vgpu_bo_vm_ops = {
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

/* Other drivers cannot use a window range: they may not attach. */
static int vgpu_dmabuf_attach(struct dma_buf *dma_buf,
			      struct dma_buf_attachment *attach)
{
	return -EOPNOTSUPP;
}

static struct sg_table *vgpu_dmabuf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void vgpu_dmabuf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
}

static const struct dma_buf_ops vgpu_dmabuf_ops = {
	.attach = vgpu_dmabuf_attach,
	.map_dma_buf = vgpu_dmabuf_map,
	.unmap_dma_buf = vgpu_dmabuf_unmap,
	.release = drm_gem_dmabuf_release,
};

/* A BO as a dma-buf, for another vGPU of this driver to import. */
static struct dma_buf *vgpu_bo_export(struct drm_gem_object *obj, int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);

	info.ops = &vgpu_dmabuf_ops;
	info.size = obj->size;
	info.flags = flags;
	info.priv = obj;
	info.resv = obj->resv;
	return drm_gem_dmabuf_export(obj->dev, &info);
}

static const struct drm_gem_object_funcs vgpu_bo_funcs = {
	.free = vgpu_bo_free,
	.mmap = vgpu_bo_mmap,
	.export = vgpu_bo_export,
	.vm_ops = &vgpu_bo_vm_ops,
};

static void vgpu_peer_bo_free(struct drm_gem_object *obj)
{
	struct vgpu_peer_bo *pbo = container_of(obj, struct vgpu_peer_bo, base);
	struct drm_device *owner = pbo->bo->base.dev;

	drm_gem_object_release(obj);
	drm_gem_object_put(&pbo->bo->base);
	drm_dev_put(owner);
	kfree(pbo);
}

/* A peer BO is shared no further. */
static struct dma_buf *vgpu_peer_bo_export(struct drm_gem_object *obj,
					   int flags)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static const struct drm_gem_object_funcs vgpu_peer_bo_funcs = {
	.free = vgpu_peer_bo_free,
	.export = vgpu_peer_bo_export,
};

/**
 * vgpu_gem_prime_import() - take a BO of this driver shared as a dma-buf
 * @drm: the importing device
 * @dma_buf: the buffer offered
 *
 * A BO of @drm itself comes back as itself; a BO of another vGPU becomes a
 * peer BO of @drm (see "peer buffer objects").
 *
 * Return: the GEM object, ERR_PTR(-EOPNOTSUPP) for a buffer of any other
 * exporter (commands can only address windows), or ERR_PTR(-ENOMEM).
 */
struct drm_gem_object *vgpu_gem_prime_import(struct drm_device *drm,
					     struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj;
	struct vgpu_peer_bo *pbo;

	if (dma_buf->ops != &vgpu_dmabuf_ops)
		return ERR_PTR(-EOPNOTSUPP);
	obj = dma_buf->priv;
	if (obj->dev == drm) {
		drm_gem_object_get(obj);
		return obj;
	}
	pbo = kzalloc(sizeof(*pbo), GFP_KERNEL);
	if (!pbo)
		return ERR_PTR(-ENOMEM);
	pbo->base.funcs = &vgpu_peer_bo_funcs;
	drm_gem_private_object_init(drm, &pbo->base, obj->size);
	drm_gem_object_get(obj);
	drm_dev_get(obj->dev);
	pbo->bo = to_vgpu_bo(obj);
	return &pbo->base;
}

/**
 * vgpu_bo_of() - the BO behind a GEM object, if it is one of this device
 * @obj: a GEM object of the driver
 *
 * Return: the BO, or NULL for a peer BO.
 */
struct vgpu_bo *vgpu_bo_of(struct drm_gem_object *obj)
{
	return obj->funcs == &vgpu_bo_funcs ? to_vgpu_bo(obj) : NULL;
}

/**
 * vgpu_peer_bo_of() - the peer BO behind a GEM object, if it is one
 * @obj: a GEM object of the driver
 *
 * Return: the peer BO, or NULL for a BO of this device.
 */
struct vgpu_peer_bo *vgpu_peer_bo_of(struct drm_gem_object *obj)
{
	return obj->funcs == &vgpu_peer_bo_funcs ?
	       container_of(obj, struct vgpu_peer_bo, base) : NULL;
}

/**
 * vgpu_gdev_peer() - a vGPU's peer group as its registers show it now
 * @gdev: the device, which may be going away
 * @group: set to PEER_GROUP (0: in none)
 * @id: set to PEER_ID
 * @mask: set to PEER_MASK
 *
 * Return: 0, or -ENODEV if the device is gone.
 */
int vgpu_gdev_peer(struct vgpu_gdev *gdev, u32 *group, u32 *id, u32 *mask)
{
	int idx;

	if (!drm_dev_enter(&gdev->drm, &idx))
		return -ENODEV;
	*group = readl(gdev->regs + VGPU_REG_PEER_GROUP);
	*id = readl(gdev->regs + VGPU_REG_PEER_ID);
	*mask = readl(gdev->regs + VGPU_REG_PEER_MASK);
	drm_dev_exit(idx);
	return 0;
}

/**
 * vgpu_job_bo_lookup() - a BO or peer BO a job may name, by handle
 * @file: the caller
 * @handle: GEM handle
 *
 * Return: a referenced object, or NULL if the handle is unknown.
 */
struct drm_gem_object *vgpu_job_bo_lookup(struct drm_file *file, u32 handle)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);

	if (obj && !vgpu_bo_of(obj) && !vgpu_peer_bo_of(obj)) {
		drm_gem_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/**
 * vgpu_bo_lookup() - a BO of this driver by handle
 * @file: the caller
 * @handle: GEM handle
 *
 * Return: a referenced BO, or NULL if the handle is unknown.
 */
struct vgpu_bo *vgpu_bo_lookup(struct drm_file *file, u32 handle)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);

	if (obj && !vgpu_bo_of(obj)) {
		drm_gem_object_put(obj);
		obj = NULL;
	}
	return obj ? to_vgpu_bo(obj) : NULL;
}

static struct vgpu_bo *vgpu_bo_new(struct vgpu_gdev *gdev, u64 size)
{
	struct vgpu_bo *bo;
	int ret;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.funcs = &vgpu_bo_funcs;
	drm_gem_private_object_init(&gdev->drm, &bo->base, size);

	mutex_lock(&gdev->mm_lock);
	ret = drm_mm_insert_node_in_range(&gdev->mm, &bo->node, size,
					  PAGE_SIZE, 0, VGPU_GUEST_BO_BASE,
					  gdev->window_size,
					  DRM_MM_INSERT_BEST);
	mutex_unlock(&gdev->mm_lock);
	if (!ret)
		ret = drm_gem_create_mmap_offset(&bo->base);
	if (ret) {
		drm_gem_object_put(&bo->base);
		return ERR_PTR(ret);
	}
	/* The range may hold an earlier BO's data. */
	memset_io(gdev->window + bo->node.start, 0, size);
	return bo;
}

static void vgpu_bo_describe(struct vgpu_bo *bo, u64 *size, u64 *addr,
			     u64 *offset)
{
	*size = bo->base.size;
	*addr = bo->node.start;
	*offset = drm_vma_node_offset_addr(&bo->base.vma_node);
}

/**
 * vgpu_ioctl_bo_create() - DRM_IOCTL_VGPU_BO_CREATE
 * @drm: the device
 * @data: struct drm_vgpu_bo_create
 * @file: the caller
 *
 * Return: 0, -EINVAL for a zero size or non-zero flags, -ENOSPC when no
 * hole of the window is large enough, -ENOMEM, -ENODEV when the device is
 * gone.
 */
int vgpu_ioctl_bo_create(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct vgpu_gdev *gdev = to_vgpu_gdev(drm);
	struct drm_vgpu_bo_create *args = data;
	struct vgpu_bo *bo;
	u64 size;
	int idx, ret;

	if (args->flags || !args->size)
		return -EINVAL;
	if (args->size > gdev->window_size - VGPU_GUEST_BO_BASE)
		return -ENOSPC;
	size = PAGE_ALIGN(args->size);
	/* The window mapping goes away when the device does. */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	bo = vgpu_bo_new(gdev, size);
	drm_dev_exit(idx);
	if (IS_ERR(bo))
		return PTR_ERR(bo);
	ret = drm_gem_handle_create(file, &bo->base, &args->handle);
	if (!ret) {
		u64 dummy;

		vgpu_bo_describe(bo, &dummy, &args->device_addr,
				 &args->mmap_offset);
	}
	/* The handle, if any, holds the BO now. */
	drm_gem_object_put(&bo->base);
	return ret;
}

/**
 * vgpu_ioctl_bo_info() - DRM_IOCTL_VGPU_BO_INFO
 * @drm: the device
 * @data: struct drm_vgpu_bo_info
 * @file: the caller
 *
 * Return: 0, -EINVAL for non-zero padding, -ENOENT for an unknown handle.
 */
int vgpu_ioctl_bo_info(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_vgpu_bo_info *args = data;
	struct vgpu_bo *bo;

	if (args->pad)
		return -EINVAL;
	bo = vgpu_bo_lookup(file, args->handle);
	if (!bo)
		return -ENOENT;
	vgpu_bo_describe(bo, &args->size, &args->device_addr,
			 &args->mmap_offset);
	drm_gem_object_put(&bo->base);
	return 0;
}
