/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vgpu guest driver interface: the ioctls of /dev/accel/accelN that the
 * guest driver (vgpu_guest.ko) offers to programs inside a VM.
 *
 * Documentation/guest-driver.rst describes the behaviour; this file is the
 * normative list of numbers and layouts. Every structure is 64-bit aligned,
 * has explicit padding, and padding must be zero.
 */
#ifndef _UAPI_DRM_VGPU_ACCEL_H
#define _UAPI_DRM_VGPU_ACCEL_H

#include "drm.h"
#include <linux/vgpu.h>

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_VGPU_DRIVER_MAJOR	1
#define DRM_VGPU_DRIVER_MINOR	1

#define DRM_VGPU_GET_PARAM	0x00
#define DRM_VGPU_BO_CREATE	0x01
#define DRM_VGPU_BO_INFO	0x02
#define DRM_VGPU_SUBMIT		0x03
#define DRM_VGPU_WAIT		0x04

#define DRM_IOCTL_VGPU_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGPU_GET_PARAM, struct drm_vgpu_get_param)
#define DRM_IOCTL_VGPU_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGPU_BO_CREATE, struct drm_vgpu_bo_create)
#define DRM_IOCTL_VGPU_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGPU_BO_INFO, struct drm_vgpu_bo_info)
#define DRM_IOCTL_VGPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGPU_SUBMIT, struct drm_vgpu_submit)
#define DRM_IOCTL_VGPU_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGPU_WAIT, struct drm_vgpu_wait)

/* Parameters for DRM_IOCTL_VGPU_GET_PARAM. */
enum drm_vgpu_param {
	DRM_VGPU_PARAM_DEVICE_VERSION	= 0, /* VGPU_REG_VERSION */
	DRM_VGPU_PARAM_PROFILE		= 1, /* profile index on the host */
	DRM_VGPU_PARAM_ENGINES		= 2, /* engines in the partition */
	DRM_VGPU_PARAM_WINDOW_BYTES	= 3, /* the whole memory window */
	DRM_VGPU_PARAM_BO_BYTES		= 4, /* window bytes usable for BOs */
	DRM_VGPU_PARAM_BO_FREE_BYTES	= 5, /* of those, not allocated now */
	DRM_VGPU_PARAM_OPCODES		= 6, /* 1 << opcode SUBMIT accepts */
	DRM_VGPU_PARAM_MAX_CMDS		= 7, /* commands per job */
	DRM_VGPU_PARAM_MAX_BOS		= 8, /* BO handles per job */
	DRM_VGPU_PARAM_JOBS_DONE	= 9, /* jobs completed since probe */
	DRM_VGPU_PARAM_JOBS_FAILED	= 10, /* jobs failed since probe */
	DRM_VGPU_PARAM_RECOVERIES	= 11, /* engine resets since probe */
	/* Since driver 1.1: the host's peer group, as the registers say now. */
	DRM_VGPU_PARAM_PEER_GROUP	= 12, /* 0: the vGPU is in none */
	DRM_VGPU_PARAM_PEER_ID		= 13, /* its peer id in the group */
	DRM_VGPU_PARAM_PEER_MASK	= 14, /* 1 << id of every member */
	DRM_VGPU_PARAM_COUNT
};

/**
 * struct drm_vgpu_get_param - read one device or driver parameter
 * @param: in, enum drm_vgpu_param
 * @pad: must be zero
 * @value: out
 */
struct drm_vgpu_get_param {
	__u32 param;
	__u32 pad;
	__u64 value;
};

/**
 * struct drm_vgpu_bo_create - allocate a buffer object in the vGPU window
 * @size: in, bytes; rounded up to the page size
 * @flags: in, must be zero
 * @handle: out, GEM handle
 * @device_addr: out, the BO's first byte as a window offset: the address
 *	commands use
 * @mmap_offset: out, offset to pass to mmap() on the device file
 *
 * A new BO reads as zeros. It stays in place until its last handle and
 * mapping are gone and no job that named it is still running.
 */
struct drm_vgpu_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u64 device_addr;
	__u64 mmap_offset;
};

/**
 * struct drm_vgpu_bo_info - look up a BO
 * @handle: in
 * @pad: must be zero
 * @size: out, bytes
 * @device_addr: out, as in &drm_vgpu_bo_create
 * @mmap_offset: out, as in &drm_vgpu_bo_create
 */
struct drm_vgpu_bo_info {
	__u32 handle;
	__u32 pad;
	__u64 size;
	__u64 device_addr;
	__u64 mmap_offset;
};

/* Limits of one job. */
#define DRM_VGPU_MAX_CMDS	126
#define DRM_VGPU_MAX_BOS	64
/* Jobs a file may have submitted and not yet waited for. */
#define DRM_VGPU_MAX_JOBS	4096

/**
 * struct drm_vgpu_submit - queue one job: commands that run in order
 * @cmds: in, user pointer to @cmd_count struct vgpu_cmd
 * @bo_handles: in, user pointer to @bo_count __u32 GEM handles: every BO
 *	the commands touch
 * @cmd_count: in, 1 .. DRM_VGPU_MAX_CMDS
 * @bo_count: in, 1 .. DRM_VGPU_MAX_BOS
 * @flags: in, must be zero
 * @job_id: out, pass to DRM_IOCTL_VGPU_WAIT
 *
 * Commands use device addresses (window offsets). The opcodes the device
 * has (DRM_VGPU_PARAM_OPCODES) are accepted; the SRC_SYS, DST_SYS and IRQ
 * flags are not (the driver owns DMA and interrupts). Every window range a
 * command reads or writes must lie inside one BO of @bo_handles. A
 * PEER_COPY's destination must lie inside a *peer BO* of @bo_handles (a BO
 * of another vGPU, shared with PRIME_HANDLE_TO_FD there and imported here
 * with PRIME_FD_TO_HANDLE; its device address is the one it has on its own
 * vGPU), of the vGPU whose peer id is the command's in this vGPU's peer
 * group.
 * A job that breaks any rule is refused with EINVAL (ENOENT for an unknown
 * handle) before anything reaches the device.
 */
struct drm_vgpu_submit {
	__u64 cmds;
	__u64 bo_handles;
	__u32 cmd_count;
	__u32 bo_count;
	__u32 flags;
	__u32 job_id;
};

/**
 * struct drm_vgpu_wait - wait for a job and collect its result
 * @job_id: in, from DRM_IOCTL_VGPU_SUBMIT
 * @pad: must be zero
 * @timeout_ns: in, how long to wait; 0 polls
 * @status: out, 0 if every command completed, else a negative errno:
 *	-EIO the device stopped on a bad command, -ETIMEDOUT the host's
 *	watchdog stopped a command that ran too long, -ECANCELED the job
 *	could not run (device removed or could not be reset)
 * @device_error: out, enum vgpu_error reported by the device, or 0
 * @error_cmd: out, index in the job's commands of the failing command
 * @error_addr: out, the address the device reported, or 0
 * @duration_ns: out, from the submission to the driver seeing the job
 *	finish
 *
 * Returns 0 when the job has finished, successfully or not (then the job
 * is forgotten and its id is free), ETIMEDOUT if it has not finished
 * within @timeout_ns (wait again), ENOENT for an unknown id.
 */
struct drm_vgpu_wait {
	__u32 job_id;
	__u32 pad;
	__s64 timeout_ns;
	__s32 status;
	__u32 device_error;
	__u32 error_cmd;
	__u32 pad2;
	__u64 error_addr;
	__u64 duration_ns;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_VGPU_ACCEL_H */
