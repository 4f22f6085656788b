/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu_vfio: a small userspace VFIO driver for one vGPU.
 *
 * It opens a vGPU through the VFIO container/group API (as QEMU does on
 * kernels without iommufd cdevs; vfio_group.h), maps its BAR2 memory window,
 * routes its interrupts to eventfds and drives its command ring. The device
 * interface it programs against is include/uapi/linux/vgpu.h. Link
 * vgpu_vfio.c and vfio_group.c.
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno on failure. The library is not thread-safe: one thread at
 * a time per &struct vgpu_dev.
 */
#ifndef VGPU_TOOLS_VFIO_H
#define VGPU_TOOLS_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/vgpu.h>

#include "../include/vgpu_cmd_build.h"
#include "vfio_group.h"

/*
 * Interrupt sources vgpu_wait_irq() waits on: the two MSI-X vectors
 * (VGPU_MSIX_COMPLETION, VGPU_MSIX_ERROR), then the VFIO request interrupt
 * by which the host asks the user to release the device.
 */
#define VGPU_VEC_REQUEST	VGPU_MSIX_VECTORS
#define VGPU_NR_VECS		(VGPU_MSIX_VECTORS + 1)

/* How long vgpu_submit() waits for ring space by default, in ms. */
#define VGPU_SUBMIT_TIMEOUT_MS	10000

/* An I/O virtual address range tests and tools may use for DMA buffers. */
#define VGPU_IOVA_BASE		0x100000000ULL

/**
 * struct vgpu_region - one VFIO region of the device
 * @offset: file offset of the region on the device fd, as the driver reports
 * @size: region size in bytes; 0 if the region does not exist
 * @flags: VFIO_REGION_INFO_FLAG_*
 */
struct vgpu_region {
	__u64 offset;
	__u64 size;
	__u32 flags;
};

/**
 * struct vgpu_dev - an open vGPU
 * @vfio: the container, the vGPU's IOMMU group and the VFIO device
 * @region: every region of VFIO_PCI_NUM_REGIONS, indexed by region index
 * @window: the BAR2 memory window, mmap'ed shared and read-write
 * @window_size: bytes in @window
 * @irq_fd: eventfds of the interrupt sources, indexed VGPU_MSIX_* and
 *	    VGPU_VEC_REQUEST; non-blocking
 * @wait_irq: vgpu_wait_fence() and vgpu_wait_idle() sleep on the completion
 *	      and error eventfds instead of polling with back-off
 * @submit_timeout_ms: how long vgpu_submit() waits for ring space
 * @ring_base: ring offset in the window, as vgpu_ring_init() programmed it
 * @ring_entries: ring size in entries; 0 while no ring is set up
 * @tail: the next ring entry the library writes
 */
struct vgpu_dev {
	struct vfio_handle vfio;
	struct vgpu_region region[VFIO_PCI_NUM_REGIONS];
	void *window;
	__u64 window_size;
	int irq_fd[VGPU_NR_VECS];
	bool wait_irq;
	unsigned int submit_timeout_ms;
	__u64 ring_base;
	__u32 ring_entries;
	__u32 tail;
};

int vgpu_dev_open(const char *uuid, struct vgpu_dev **devp);
void vgpu_dev_close(struct vgpu_dev *dev);
int vgpu_pci_enable(struct vgpu_dev *dev);
int vgpu_reset(struct vgpu_dev *dev);

int vgpu_region_read(struct vgpu_dev *dev, unsigned int index, __u64 off,
		     void *buf, size_t len);
int vgpu_region_write(struct vgpu_dev *dev, unsigned int index, __u64 off,
		      const void *buf, size_t len);
int vgpu_cfg_read(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		  __u32 *val);
int vgpu_cfg_write(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		   __u32 val);
int vgpu_reg_read(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		  __u64 *val);
int vgpu_reg_write(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		   __u64 val);
__u32 vgpu_read32(struct vgpu_dev *dev, unsigned int off);
__u64 vgpu_read64(struct vgpu_dev *dev, unsigned int off);
int vgpu_write32(struct vgpu_dev *dev, unsigned int off, __u32 val);
int vgpu_write64(struct vgpu_dev *dev, unsigned int off, __u64 val);

void *vgpu_dma_alloc(size_t len);
void vgpu_dma_free(void *buf, size_t len);
int vgpu_dma_map(struct vgpu_dev *dev, void *buf, size_t len, __u64 iova);
int vgpu_dma_unmap(struct vgpu_dev *dev, __u64 iova, size_t len);

int vgpu_wait_irq(struct vgpu_dev *dev, unsigned int vector, int timeout_ms);
int vgpu_irq_drain(struct vgpu_dev *dev, unsigned int vector);

int vgpu_ring_init(struct vgpu_dev *dev, __u64 base, __u32 entries);
int vgpu_ring_space(struct vgpu_dev *dev);
int vgpu_ring_put(struct vgpu_dev *dev, const struct vgpu_cmd *cmds,
		  unsigned int n);
int vgpu_ring_doorbell(struct vgpu_dev *dev);
int vgpu_submit(struct vgpu_dev *dev, const struct vgpu_cmd *cmds,
		unsigned int n);
int vgpu_wait_fence(struct vgpu_dev *dev, __u64 value, int timeout_ms);
int vgpu_wait_idle(struct vgpu_dev *dev, int timeout_ms);

/*
 * Migration (vgpu_mig.c). Pre-copy came to the uAPI in 6.2; Debian 12's
 * userspace headers are 6.1's, so its numbers (the kernel's) are here.
 */
#ifndef VFIO_MIG_GET_PRECOPY_INFO
#define VFIO_MIGRATION_PRE_COPY		4
#define VFIO_DEVICE_STATE_PRE_COPY	6
#define VFIO_DEVICE_STATE_PRE_COPY_P2P	7
struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};

#define VFIO_MIG_GET_PRECOPY_INFO	_IO(VFIO_TYPE, VFIO_BASE + 21)
#endif

/**
 * struct vgpu_mig_stream - migration data kept in memory
 * @p: the bytes
 * @len: bytes in @p
 * @cap: room in @p
 */
struct vgpu_mig_stream {
	unsigned char *p;
	size_t len;
	size_t cap;
};

int vgpu_mig_set(struct vgpu_dev *dev, __u32 state, int *data_fd);
int vgpu_mig_get(struct vgpu_dev *dev);
long long vgpu_mig_read(int data_fd, struct vgpu_mig_stream *s);
int vgpu_mig_write(int data_fd, const void *p, size_t len, size_t piece);
int vgpu_mig_precopy_info(int data_fd, struct vfio_precopy_info *info);

#endif /* VGPU_TOOLS_VFIO_H */
