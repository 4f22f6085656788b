/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu: every difference between the kernel versions we build against
 * (Debian's 6.1 and 6.12) is handled here, and only here.
 */
#ifndef VGPU_COMPAT_H
#define VGPU_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/version.h>
#include <linux/vfio.h>

/*
 * KUnit-only exports (<kunit/visibility.h>) came in 6.2; before, they are
 * defined the same way here.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <kunit/visibility.h>
#elif IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KUNIT(symbol) \
	EXPORT_SYMBOL_NS(symbol, EXPORTED_FOR_KUNIT_TESTING)
#else
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#endif

/* eventfd_signal() lost its count argument in 6.8. */
static inline void vgpu_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * vfio_device_ops grew iommufd callbacks in 6.2 (attach/detach in 6.4);
 * emulated devices such as ours use the vfio core's emulated helpers.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define VGPU_VFIO_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,	\
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define VGPU_VFIO_IOMMUFD_OPS					\
	.bind_iommufd	= vfio_iommufd_emulated_bind,		\
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,		\
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,
#else
#define VGPU_VFIO_IOMMUFD_OPS
#endif

/* vm_flags became read-only behind vm_flags_set() in 6.3. */
static inline void vgpu_vm_flags_set(struct vm_area_struct *vma,
				     unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * VFIO migration v2 with PRE_COPY came in 6.2; the per-device inode whose
 * mappings a driver can write-protect (unmap_mapping_range()) in 6.10. The
 * mdev frontend offers migration from 6.10 on.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define VGPU_HAVE_MIGRATION	1
#else
#define VGPU_HAVE_MIGRATION	0
#endif

/* <linux/unaligned.h> was <asm/unaligned.h> before 6.12. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* VGPU_COMPAT_H */
