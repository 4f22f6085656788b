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

/* Window ranges are not shared with other devices or drivers. */
static struct dma_buf *vgpu_bo_export(struct drm_gem_object *obj, int flags)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static const struct drm_gem_object_funcs vgpu_bo_funcs = {
	.free = vgpu_bo_free,
	.mmap = vgpu_bo_mmap,
	.export = vgpu_bo_export,
	.vm_ops = &vgpu_bo_vm_ops,
};

/**
 * vgpu_gem_prime_import() - refuse buffers of other drivers
 * @drm: the device
 * @dma_buf: the buffer offered
 *
 * Return: ERR_PTR(-EOPNOTSUPP): commands can only address the window.
 */
struct drm_gem_object *vgpu_gem_prime_import(struct drm_device *drm,
					     struct dma_buf *dma_buf)
{
	return ERR_PTR(-EOPNOTSUPP);
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

	if (obj && obj->funcs != &vgpu_bo_funcs) {
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
