// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_vfio: a small userspace VFIO driver for one vGPU (see vgpu_vfio.h).
 *
 * Config space and BAR0 are trapped regions: every access is a pread() or
 * pwrite() on the device fd at the region's offset. BAR2, the memory window,
 * is mmap'ed; the command ring lives in it and the library writes ring
 * entries through that mapping before it writes the new tail to the
 * DOORBELL register.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vgpu_vfio.h"

/* Polling: spin this long before sleeping between register reads. */
#define VGPU_SPIN_NS		1000000ULL
/* Longest sleep between two polls, in microseconds. */
#define VGPU_MAX_SLEEP_US	1000
/* In IRQ mode, recheck the registers at least this often, in ms. */
#define VGPU_IRQ_RECHECK_MS	100

static __u64 vgpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int vgpu_region_access(struct vgpu_dev *dev, unsigned int index,
			      __u64 off, void *buf, size_t len, bool write)
{
	const struct vgpu_region *r;
	ssize_t n;

	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	r = &dev->region[index];
	if (!r->size || off > r->size || len > r->size - off)
		return -EINVAL;
	if (write)
		n = pwrite(dev->vfio.device, buf, len, r->offset + off);
	else
		n = pread(dev->vfio.device, buf, len, r->offset + off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/**
 * vgpu_region_read() - read bytes of a region with pread()
 * @dev: the vGPU
 * @index: VFIO region index (VFIO_PCI_CONFIG_REGION_INDEX,
 *	   VFIO_PCI_BAR0_REGION_INDEX + BAR, ...)
 * @off: offset in the region
 * @buf: where to store the bytes
 * @len: how many
 *
 * Return: 0, -EINVAL for a range outside the region, -EIO for a short read,
 * or the negative errno of pread().
 */
int vgpu_region_read(struct vgpu_dev *dev, unsigned int index, __u64 off,
		     void *buf, size_t len)
{
	return vgpu_region_access(dev, index, off, buf, len, false);
}

/**
 * vgpu_region_write() - write bytes of a region with pwrite()
 * @dev: the vGPU
 * @index: VFIO region index
 * @off: offset in the region
 * @buf: the bytes
 * @len: how many
 *
 * Return: 0, -EINVAL for a range outside the region, -EIO for a short write,
 * or the negative errno of pwrite().
 */
int vgpu_region_write(struct vgpu_dev *dev, unsigned int index, __u64 off,
		      const void *buf, size_t len)
{
	return vgpu_region_access(dev, index, off, (void *)buf, len, true);
}

/**
 * vgpu_cfg_read() - read a config space register
 * @dev: the vGPU
 * @off: offset in config space, naturally aligned to @size
 * @size: 1, 2 or 4
 * @val: the value read (little endian, zero-extended)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_cfg_read(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		  __u32 *val)
{
	__u32 v = 0;
	int ret;

	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	ret = vgpu_region_read(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &v,
			       size);
	if (!ret)
		*val = v;
	return ret;
}

/**
 * vgpu_cfg_write() - write a config space register
 * @dev: the vGPU
 * @off: offset in config space, naturally aligned to @size
 * @size: 1, 2 or 4
 * @val: the value (its low @size bytes are written)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_cfg_write(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		   __u32 val)
{
	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	return vgpu_region_write(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, &val,
				 size);
}

/**
 * vgpu_reg_read() - read a BAR0 register
 * @dev: the vGPU
 * @off: offset in BAR0
 * @size: 1, 2, 4 or 8
 * @val: the value read (little endian, zero-extended)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_reg_read(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		  __u64 *val)
{
	__u64 v = 0;
	int ret;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	ret = vgpu_region_read(dev, VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_REGS,
			       off, &v, size);
	if (!ret)
		*val = v;
	return ret;
}

/**
 * vgpu_reg_write() - write a BAR0 register
 * @dev: the vGPU
 * @off: offset in BAR0
 * @size: 1, 2, 4 or 8
 * @val: the value (its low @size bytes are written)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_reg_write(struct vgpu_dev *dev, unsigned int off, unsigned int size,
		   __u64 val)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	return vgpu_region_write(dev, VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_REGS,
				 off, &val, size);
}

/**
 * vgpu_read32() - read a 32-bit BAR0 register
 * @dev: the vGPU
 * @off: offset in BAR0
 *
 * Return: the value; all ones if the access failed (as a master abort
 * reads).
 */
__u32 vgpu_read32(struct vgpu_dev *dev, unsigned int off)
{
	__u64 v;

	return vgpu_reg_read(dev, off, 4, &v) ? ~0u : (__u32)v;
}

/**
 * vgpu_read64() - read a 64-bit BAR0 register in one access
 * @dev: the vGPU
 * @off: offset in BAR0
 *
 * Return: the value; all ones if the access failed.
 */
__u64 vgpu_read64(struct vgpu_dev *dev, unsigned int off)
{
	__u64 v;

	return vgpu_reg_read(dev, off, 8, &v) ? ~0ULL : v;
}

/**
 * vgpu_write32() - write a 32-bit BAR0 register
 * @dev: the vGPU
 * @off: offset in BAR0
 * @val: the value
 *
 * Return: 0 or a negative errno.
 */
int vgpu_write32(struct vgpu_dev *dev, unsigned int off, __u32 val)
{
	return vgpu_reg_write(dev, off, 4, val);
}

/**
 * vgpu_write64() - write a 64-bit BAR0 register in one access
 * @dev: the vGPU
 * @off: offset in BAR0
 * @val: the value
 *
 * Return: 0 or a negative errno.
 */
int vgpu_write64(struct vgpu_dev *dev, unsigned int off, __u64 val)
{
	return vgpu_reg_write(dev, off, 8, val);
}

/**
 * vgpu_pci_enable() - set memory decoding and bus mastering
 * @dev: the vGPU
 *
 * Sets PCI_COMMAND_MEMORY and PCI_COMMAND_MASTER in the command register,
 * leaving its other bits as they are.
 *
 * Return: 0 or a negative errno.
 */
int vgpu_pci_enable(struct vgpu_dev *dev)
{
	__u32 cmd;
	int ret;

	ret = vgpu_cfg_read(dev, PCI_COMMAND, 2, &cmd);
	if (ret)
		return ret;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ret = vgpu_cfg_write(dev, PCI_COMMAND, 2, cmd);
	if (ret)
		return ret;
	ret = vgpu_cfg_read(dev, PCI_COMMAND, 2, &cmd);
	if (ret)
		return ret;
	if ((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) !=
	    (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER))
		return -EIO;
	return 0;
}

static int vgpu_get_regions(struct vgpu_dev *dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vgpu_region *win;
	unsigned int i;

	if (ioctl(dev->vfio.device, VFIO_DEVICE_GET_INFO, &info))
		return -errno;
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions < VFIO_PCI_NUM_REGIONS)
		return -ENODEV;
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_region_info ri = {
			.argsz = sizeof(ri),
			.index = i,
		};

		if (ioctl(dev->vfio.device, VFIO_DEVICE_GET_REGION_INFO, &ri)) {
			/* vfio-pci has no VGA region for a non-VGA device. */
			if (i == VFIO_PCI_VGA_REGION_INDEX && errno == EINVAL)
				continue;
			return -errno;
		}
		dev->region[i].offset = ri.offset;
		dev->region[i].size = ri.size;
		dev->region[i].flags = ri.flags;
	}
	win = &dev->region[VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW];
	if (!win->size || !(win->flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    !dev->region[VFIO_PCI_CONFIG_REGION_INDEX].size ||
	    dev->region[VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_REGS].size <
	    VGPU_REGS_SIZE)
		return -ENODEV;
	return 0;
}

static int vgpu_setup_irqs(struct vgpu_dev *dev)
{
	int ret;
	int i;

	for (i = 0; i < VGPU_NR_VECS; i++) {
		dev->irq_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->irq_fd[i] < 0)
			return -errno;
	}
	ret = vfio_set_irqs(dev->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX, 0,
			    VGPU_MSIX_VECTORS, dev->irq_fd);
	if (ret)
		return ret;
	return vfio_set_irq_eventfd(dev->vfio.device, VFIO_PCI_REQ_IRQ_INDEX,
				    dev->irq_fd[VGPU_VEC_REQUEST]);
}

/**
 * vgpu_dev_open() - open a vGPU and make it ready for use
 * @uuid: the vGPU's mdev UUID (/sys/bus/mdev/devices/UUID), or the PCI
 *	  address of a VF bound to vfio-pci
 * @devp: set to the open device
 *
 * Opens the vGPU with vfio_open() (its IOMMU group in a new container with
 * the Type1 v2 IOMMU, and the device fd), gets its region layout, mmaps the
 * BAR2 window, routes MSI-X vectors 0 and 1 and the request interrupt to
 * eventfds, and enables memory decoding and bus mastering. No ring is set
 * up.
 *
 * Return: 0, or a negative errno with nothing left open.
 */
int vgpu_dev_open(const char *uuid, struct vgpu_dev **devp)
{
	struct vgpu_dev *dev;
	const struct vgpu_region *win;
	int ret, i;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->window = MAP_FAILED;
	dev->submit_timeout_ms = VGPU_SUBMIT_TIMEOUT_MS;
	for (i = 0; i < VGPU_NR_VECS; i++)
		dev->irq_fd[i] = -1;

	ret = vfio_open(uuid, &dev->vfio);
	if (ret)
		goto err;
	ret = vgpu_get_regions(dev);
	if (ret)
		goto err;
	win = &dev->region[VFIO_PCI_BAR0_REGION_INDEX + VGPU_BAR_WINDOW];
	dev->window = mmap(NULL, win->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   dev->vfio.device, win->offset);
	if (dev->window == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	dev->window_size = win->size;
	ret = vgpu_setup_irqs(dev);
	if (ret)
		goto err;
	ret = vgpu_pci_enable(dev);
	if (ret)
		goto err;
	/* A VF's BAR2 may be larger than the window its profile gives it. */
	if (vgpu_read64(dev, VGPU_REG_WINDOW_SIZE) < dev->window_size)
		dev->window_size = vgpu_read64(dev, VGPU_REG_WINDOW_SIZE);
	*devp = dev;
	return 0;
err:
	vgpu_dev_close(dev);
	return ret;
}

/**
 * vgpu_dev_close() - release everything vgpu_dev_open() set up
 * @dev: the vGPU, or NULL
 *
 * Unroutes the interrupts, unmaps the window and closes the device, group
 * and container; closing the container drops every DMA mapping.
 */
void vgpu_dev_close(struct vgpu_dev *dev)
{
	int i;

	if (!dev)
		return;
	if (dev->vfio.device >= 0) {
		vfio_set_irqs(dev->vfio.device, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0,
			      NULL);
		vfio_set_irqs(dev->vfio.device, VFIO_PCI_REQ_IRQ_INDEX, 0, 0,
			      NULL);
	}
	if (dev->window != MAP_FAILED)
		munmap(dev->window,
		       dev->region[VFIO_PCI_BAR0_REGION_INDEX +
				   VGPU_BAR_WINDOW].size);
	for (i = 0; i < VGPU_NR_VECS; i++)
		if (dev->irq_fd[i] >= 0)
			close(dev->irq_fd[i]);
	vfio_close(&dev->vfio);
	free(dev);
}

/**
 * vgpu_reset() - reset the vGPU with VFIO_DEVICE_RESET
 * @dev: the vGPU
 *
 * The driver's reset stops the ring, zeroes the window, restores register
 * defaults and returns config space to its power-on state, so memory
 * decoding and bus mastering are enabled again afterwards. The library
 * forgets its ring; set it up again with vgpu_ring_init(). Interrupt
 * routing survives the reset; pending eventfd counts are left alone.
 *
 * Return: 0 or a negative errno.
 */
int vgpu_reset(struct vgpu_dev *dev)
{
	if (ioctl(dev->vfio.device, VFIO_DEVICE_RESET))
		return -errno;
	dev->ring_entries = 0;
	dev->ring_base = 0;
	dev->tail = 0;
	return vgpu_pci_enable(dev);
}

/**
 * vgpu_dma_alloc() - allocate a buffer suitable for vgpu_dma_map()
 * @len: bytes, rounded up to whole pages
 *
 * Return: a zeroed, page-aligned anonymous mapping, or NULL.
 */
void *vgpu_dma_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/**
 * vgpu_dma_free() - free a buffer from vgpu_dma_alloc()
 * @buf: the buffer, or NULL
 * @len: the length it was allocated with
 */
void vgpu_dma_free(void *buf, size_t len)
{
	if (buf)
		munmap(buf, len);
}

/**
 * vgpu_dma_map() - let the vGPU reach a buffer at an I/O virtual address
 * @dev: the vGPU
 * @buf: page-aligned buffer, e.g. from vgpu_dma_alloc()
 * @len: bytes, a multiple of the page size
 * @iova: page-aligned I/O virtual address the device sees it at
 *
 * Return: 0 or a negative errno of VFIO_IOMMU_MAP_DMA.
 */
int vgpu_dma_map(struct vgpu_dev *dev, void *buf, size_t len, __u64 iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = len,
	};

	return ioctl(dev->vfio.container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/**
 * vgpu_dma_unmap() - remove a DMA mapping
 * @dev: the vGPU
 * @iova: start of the mapping, as passed to vgpu_dma_map()
 * @len: its length
 *
 * Return: 0, -ENOENT if nothing was mapped there, or a negative errno of
 * VFIO_IOMMU_UNMAP_DMA.
 */
int vgpu_dma_unmap(struct vgpu_dev *dev, __u64 iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = len,
	};

	if (ioctl(dev->vfio.container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size ? 0 : -ENOENT;
}

/**
 * vgpu_irq_drain() - consume what an interrupt eventfd has counted
 * @dev: the vGPU
 * @vector: VGPU_MSIX_COMPLETION, VGPU_MSIX_ERROR or VGPU_VEC_REQUEST
 *
 * Return: how many times the source fired since last consumed (0 if not at
 * all), or a negative errno.
 */
int vgpu_irq_drain(struct vgpu_dev *dev, unsigned int vector)
{
	__u64 count;

	if (vector >= VGPU_NR_VECS)
		return -EINVAL;
	if (read(dev->irq_fd[vector], &count, sizeof(count)) != sizeof(count))
		return errno == EAGAIN ? 0 : -errno;
	return count > INT_MAX ? INT_MAX : (int)count;
}

/**
 * vgpu_wait_irq() - wait for an interrupt and consume it
 * @dev: the vGPU
 * @vector: VGPU_MSIX_COMPLETION, VGPU_MSIX_ERROR or VGPU_VEC_REQUEST
 * @timeout_ms: how long to wait; negative waits forever
 *
 * Return: how many times the source fired since last consumed (at least 1),
 * -ETIMEDOUT, or a negative errno.
 */
int vgpu_wait_irq(struct vgpu_dev *dev, unsigned int vector, int timeout_ms)
{
	struct pollfd pfd;
	int ret;

	if (vector >= VGPU_NR_VECS)
		return -EINVAL;
	pfd.fd = dev->irq_fd[vector];
	pfd.events = POLLIN;
	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	ret = vgpu_irq_drain(dev, vector);
	return ret ? ret : -EAGAIN;
}

/**
 * vgpu_ring_init() - program and enable the command ring
 * @dev: the vGPU
 * @base: ring offset in the window, VGPU_RING_ALIGN aligned
 * @entries: ring size, a power of two in [VGPU_RING_MIN_ENTRIES,
 *	     VGPU_RING_MAX_ENTRIES]
 *
 * Disables the ring, writes RING_BASE and RING_SIZE and enables it; head
 * and tail start at 0. The values are not checked here: the device checks
 * them when the ring is enabled.
 *
 * Return: 0; -EIO if the device refused the ring (STATUS shows HALTED and
 * ERR_CODE says why); or a negative errno.
 */
int vgpu_ring_init(struct vgpu_dev *dev, __u64 base, __u32 entries)
{
	int ret;

	dev->ring_entries = 0;
	dev->tail = 0;
	ret = vgpu_write32(dev, VGPU_REG_RING_CTRL, 0);
	if (!ret)
		ret = vgpu_write64(dev, VGPU_REG_RING_BASE, base);
	if (!ret)
		ret = vgpu_write32(dev, VGPU_REG_RING_SIZE, entries);
	if (!ret)
		ret = vgpu_write32(dev, VGPU_REG_RING_CTRL, VGPU_RING_ENABLE);
	if (ret)
		return ret;
	if (vgpu_read32(dev, VGPU_REG_STATUS) & VGPU_STATUS_HALTED ||
	    !(vgpu_read32(dev, VGPU_REG_RING_CTRL) & VGPU_RING_ENABLE))
		return -EIO;
	dev->ring_base = base;
	dev->ring_entries = entries;
	return 0;
}

/**
 * vgpu_ring_space() - free ring entries the library may write now
 * @dev: the vGPU, with a ring set up
 *
 * One entry always stays empty: head == tail means an empty ring.
 *
 * Return: the number of free entries, or a negative errno.
 */
int vgpu_ring_space(struct vgpu_dev *dev)
{
	__u64 head;
	int ret;

	if (!dev->ring_entries)
		return -EINVAL;
	ret = vgpu_reg_read(dev, VGPU_REG_RING_HEAD, 4, &head);
	if (ret)
		return ret;
	if (head >= dev->ring_entries)
		return -EIO;
	return (head - dev->tail - 1) & (dev->ring_entries - 1);
}

/* Copy @n entries to the ring at the library's tail; the caller made room. */
static void vgpu_ring_copy(struct vgpu_dev *dev, const struct vgpu_cmd *cmds,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		__u64 off = dev->ring_base +
			    (__u64)dev->tail * sizeof(struct vgpu_cmd);

		memcpy((char *)dev->window + off, &cmds[i], sizeof(cmds[i]));
		dev->tail = (dev->tail + 1) & (dev->ring_entries - 1);
	}
}

/**
 * vgpu_ring_put() - write commands into the ring without ringing
 * @dev: the vGPU, with a ring set up
 * @cmds: the commands
 * @n: how many
 *
 * The entries are written through the window mapping and the library's
 * tail advances; the device sees them only after vgpu_ring_doorbell().
 *
 * Return: 0, -ENOSPC if the ring has no room for all @n, or a negative
 * errno.
 */
int vgpu_ring_put(struct vgpu_dev *dev, const struct vgpu_cmd *cmds,
		  unsigned int n)
{
	int space = vgpu_ring_space(dev);

	if (space < 0)
		return space;
	if (n > (unsigned int)space)
		return -ENOSPC;
	vgpu_ring_copy(dev, cmds, n);
	return 0;
}

/**
 * vgpu_ring_doorbell() - tell the device about every entry written so far
 * @dev: the vGPU, with a ring set up
 *
 * Return: 0 or a negative errno.
 */
int vgpu_ring_doorbell(struct vgpu_dev *dev)
{
	if (!dev->ring_entries)
		return -EINVAL;
	/* Ring entries are in memory before the device learns the tail. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vgpu_write32(dev, VGPU_REG_DOORBELL, dev->tail);
}

/* Sleep a little between polls: spin first, then back off. */
static void vgpu_backoff(__u64 start, unsigned int *sleep_us)
{
	if (vgpu_now_ns() - start < VGPU_SPIN_NS) {
		sched_yield();
		return;
	}
	usleep(*sleep_us);
	*sleep_us *= 2;
	if (*sleep_us > VGPU_MAX_SLEEP_US)
		*sleep_us = VGPU_MAX_SLEEP_US;
}

/**
 * vgpu_submit() - queue commands and ring the doorbell
 * @dev: the vGPU, with a ring set up
 * @cmds: the commands
 * @n: how many; may exceed the ring size
 *
 * Writes as many entries as fit, rings the doorbell, and repeats while the
 * device consumes them, reading RING_HEAD to find room. Waits at most
 * &vgpu_dev.submit_timeout_ms for room.
 *
 * Return: 0; -EIO if the ring halted on an error before every command was
 * queued; -ETIMEDOUT; or a negative errno.
 */
int vgpu_submit(struct vgpu_dev *dev, const struct vgpu_cmd *cmds,
		unsigned int n)
{
	__u64 start = vgpu_now_ns();
	unsigned int sleep_us = 10;
	unsigned int done = 0;
	int ret;

	if (!dev->ring_entries)
		return -EINVAL;
	while (done < n) {
		int space = vgpu_ring_space(dev);
		unsigned int k;

		if (space < 0)
			return space;
		if (!space) {
			if (vgpu_read32(dev, VGPU_REG_STATUS) &
			    VGPU_STATUS_HALTED)
				return -EIO;
			if (vgpu_now_ns() - start >=
			    dev->submit_timeout_ms * 1000000ULL)
				return -ETIMEDOUT;
			vgpu_backoff(start, &sleep_us);
			continue;
		}
		k = n - done < (unsigned int)space ? n - done : space;
		vgpu_ring_copy(dev, cmds + done, k);
		ret = vgpu_ring_doorbell(dev);
		if (ret)
			return ret;
		done += k;
		start = vgpu_now_ns();
		sleep_us = 10;
	}
	return 0;
}

/*
 * In IRQ mode: sleep until an interrupt or the next recheck. @left_ms is
 * what is left of the caller's timeout, clamped before it is narrowed to
 * poll()'s int (a wait forever would otherwise become a negative timeout,
 * and poll() would never return to recheck the registers).
 */
static void vgpu_irq_sleep(struct vgpu_dev *dev, __u64 left_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = dev->irq_fd[VGPU_MSIX_COMPLETION], .events = POLLIN },
		{ .fd = dev->irq_fd[VGPU_MSIX_ERROR], .events = POLLIN },
	};
	int timeout_ms = left_ms < VGPU_IRQ_RECHECK_MS ? (int)left_ms :
						      VGPU_IRQ_RECHECK_MS;

	if (poll(pfd, 2, timeout_ms) > 0 && (pfd[0].revents & POLLIN))
		vgpu_irq_drain(dev, VGPU_MSIX_COMPLETION);
}

/*
 * Wait until @done(@dev, @arg) holds. Return 0, -EIO if the device halted
 * first, -ETIMEDOUT or a negative errno.
 */
static int vgpu_wait(struct vgpu_dev *dev, int timeout_ms,
		     int (*done)(struct vgpu_dev *dev, __u64 arg), __u64 arg)
{
	__u64 start = vgpu_now_ns();
	__u64 limit = timeout_ms < 0 ? UINT64_MAX :
		      (__u64)timeout_ms * 1000000ULL;
	unsigned int sleep_us = 10;
	__u64 status;
	int ret;

	for (;;) {
		__u64 elapsed;

		ret = done(dev, arg);
		if (ret)
			return ret < 0 ? ret : 0;
		ret = vgpu_reg_read(dev, VGPU_REG_STATUS, 4, &status);
		if (ret)
			return ret;
		if (status & VGPU_STATUS_HALTED)
			return done(dev, arg) > 0 ? 0 : -EIO;
		elapsed = vgpu_now_ns() - start;
		if (elapsed >= limit)
			return -ETIMEDOUT;
		if (dev->wait_irq)
			vgpu_irq_sleep(dev, (limit - elapsed) / 1000000 + 1);
		else
			vgpu_backoff(start, &sleep_us);
	}
}

static int vgpu_fence_reached(struct vgpu_dev *dev, __u64 value)
{
	__u64 fence;
	int ret = vgpu_reg_read(dev, VGPU_REG_FENCE, 8, &fence);

	if (ret)
		return ret;
	/* All ones is also what BAR0 reads with memory decoding off. */
	if (fence == ~0ULL && vgpu_read32(dev, VGPU_REG_STATUS) == ~0u)
		return -EIO;
	return fence >= value;
}

static int vgpu_is_idle(struct vgpu_dev *dev, __u64 unused)
{
	__u64 status;
	int ret = vgpu_reg_read(dev, VGPU_REG_STATUS, 4, &status);

	if (ret)
		return ret;
	/* Halted (or all ones: memory decoding is off): never idle. */
	if (status & VGPU_STATUS_HALTED)
		return -EIO;
	return !!(status & VGPU_STATUS_IDLE);
}

/**
 * vgpu_wait_fence() - wait until the FENCE register reaches a value
 * @dev: the vGPU
 * @value: the fence value to wait for (FENCE >= @value)
 * @timeout_ms: how long to wait; negative waits forever
 *
 * Polls FENCE and STATUS, spinning for a short while and then backing off;
 * with &vgpu_dev.wait_irq set it sleeps on the completion and error
 * interrupts instead (submit the fence with VGPU_CMD_IRQ), consuming
 * completion interrupts.
 *
 * Return: 0; -EIO if the ring halted on an error first; -ETIMEDOUT; or a
 * negative errno.
 */
int vgpu_wait_fence(struct vgpu_dev *dev, __u64 value, int timeout_ms)
{
	return vgpu_wait(dev, timeout_ms, vgpu_fence_reached, value);
}

/**
 * vgpu_wait_idle() - wait until the device has run every queued command
 * @dev: the vGPU
 * @timeout_ms: how long to wait; negative waits forever
 *
 * Waits for STATUS to show IDLE (head == tail, nothing in progress), like
 * vgpu_wait_fence() does for the fence.
 *
 * Return: 0; -EIO if the ring halted on an error; -ETIMEDOUT; or a negative
 * errno.
 */
int vgpu_wait_idle(struct vgpu_dev *dev, int timeout_ms)
{
	return vgpu_wait(dev, timeout_ms, vgpu_is_idle, 0);
}
