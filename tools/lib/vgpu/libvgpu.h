/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvgpu: a small userspace library for the vgpu guest driver
 * (drivers/accel/vgpu, vgpu_guest.ko) inside a VM.
 *
 * It opens /dev/accel/accelN, reads the driver's parameters, allocates and
 * maps buffer objects (BOs) in the vGPU's memory window, submits jobs of
 * struct vgpu_cmd and waits for them. The ioctls it wraps are those of
 * include/uapi/drm/vgpu_accel.h; the commands are those of
 * include/uapi/linux/vgpu.h. It also has CPU references of CRC32C (the
 * tools' vgpu_crc32c(), tools/lib/vgpu_crc32c.c, which libvgpu.a includes)
 * and of the int8 GEMM, so that programs can check what the device computed.
 *
 * A program may open several devices (vgpu_accel_find_all()); the vGPUs of
 * one peer group copy into each other's BOs with PEER_COPY once a BO is
 * shared with vgpu_bo_share().
 *
 * Every function that can fail returns 0 (or a non-negative value) on
 * success and a negative errno on failure. Functions on one &struct
 * vgpu_accel may be called from one thread at a time.
 *
 * Build with -I$(top)/include/uapi -I/usr/include/libdrm (for "drm.h").
 */
#ifndef VGPU_TOOLS_LIBVGPU_H
#define VGPU_TOOLS_LIBVGPU_H

#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include <drm/vgpu_accel.h>

#include "../../include/vgpu_cmd_build.h"
#include "../../include/vgpu_crc32c.h"

/* The guest driver's name, as /sys/class/accel/accelN/device/driver. */
#define VGPU_ACCEL_DRIVER	"vgpu_guest"

/* A timeout for vgpu_job_wait() that never runs out. */
#define VGPU_WAIT_FOREVER	(-1LL)

/**
 * struct vgpu_accel - an open vgpu accel device
 * @fd: the open /dev/accel/accelN, read-write
 * @minor: N of accelN
 * @path: the device node opened
 * @pci_name: the PCI function, e.g. "0000:00:04.0" ("unknown" when sysfs
 *	does not tell); it names the debugfs directory too
 */
struct vgpu_accel {
	int fd;
	unsigned int minor;
	char path[64];
	char pci_name[64];
};

/**
 * struct vgpu_bo - a buffer object: a range of the vGPU's window
 * @handle: GEM handle, valid on the &struct vgpu_accel that made it
 * @size: bytes, a multiple of the page size
 * @device_addr: the BO's first byte as commands address it
 * @mmap_offset: offset of the BO on the device file, for mmap()
 * @map: the BO mapped shared and read-write, or NULL while unmapped
 */
struct vgpu_bo {
	__u32 handle;
	__u64 size;
	__u64 device_addr;
	__u64 mmap_offset;
	void *map;
};

/**
 * struct vgpu_result - how a job ended (see &struct drm_vgpu_wait)
 * @status: 0 if every command completed, else -EIO, -ETIMEDOUT or
 *	-ECANCELED
 * @device_error: enum vgpu_error the device reported, or 0
 * @error_cmd: index of the failing command in the job
 * @error_addr: the address the device reported, or 0
 * @duration_ns: from submission to the driver seeing the job finish
 */
struct vgpu_result {
	__s32 status;
	__u32 device_error;
	__u32 error_cmd;
	__u64 error_addr;
	__u64 duration_ns;
};

int vgpu_accel_find(void);
int vgpu_accel_find_all(unsigned int *minors, unsigned int max);
int vgpu_accel_peer(struct vgpu_accel *dev, __u32 *group, __u32 *id,
		    __u32 *mask);
int vgpu_accel_open_peers(struct vgpu_accel dev[2]);
int vgpu_accel_open(struct vgpu_accel *dev, const char *path);
void vgpu_accel_close(struct vgpu_accel *dev);
int vgpu_accel_param(struct vgpu_accel *dev, __u32 param, __u64 *value);
int vgpu_accel_fault_path(const struct vgpu_accel *dev, char *buf,
			  size_t len);
int vgpu_accel_inject_fault(const struct vgpu_accel *dev, unsigned int count);
int vgpu_accel_pending_faults(const struct vgpu_accel *dev);

int vgpu_bo_create(struct vgpu_accel *dev, __u64 size, struct vgpu_bo *bo);
int vgpu_bo_info(struct vgpu_accel *dev, __u32 handle, struct vgpu_bo *bo);
int vgpu_bo_mmap(struct vgpu_accel *dev, struct vgpu_bo *bo);
int vgpu_bo_unmap(struct vgpu_bo *bo);
int vgpu_bo_free(struct vgpu_accel *dev, struct vgpu_bo *bo);
int vgpu_bo_new(struct vgpu_accel *dev, __u64 size, struct vgpu_bo *bo);
int vgpu_bo_share(struct vgpu_accel *owner, const struct vgpu_bo *bo,
		  struct vgpu_accel *dev, __u32 *handle);
int vgpu_bo_close(struct vgpu_accel *dev, __u32 handle);

int vgpu_job_submit(struct vgpu_accel *dev, const struct vgpu_cmd *cmds,
		    unsigned int cmd_count, const __u32 *bo_handles,
		    unsigned int bo_count, __u32 *job_id);
int vgpu_job_wait(struct vgpu_accel *dev, __u32 job_id, __s64 timeout_ns,
		  struct vgpu_result *res);
int vgpu_job_run(struct vgpu_accel *dev, const struct vgpu_cmd *cmds,
		 unsigned int cmd_count, const __u32 *bo_handles,
		 unsigned int bo_count, struct vgpu_result *res);

const char *vgpu_error_name(__u32 device_error);

void vgpu_ref_gemm_i8(const __s8 *a, const __s8 *b, __s32 *c, __u32 m,
		      __u32 n, __u32 k);

#endif /* VGPU_TOOLS_LIBVGPU_H */
