// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_vfio: a vGPU's VFIO migration state and its migration data, as a
 * VMM drives them (uapi/linux/vfio.h, VFIO migration v2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vgpu_vfio.h"

struct vgpu_mig_feature {
	struct vfio_device_feature f;
	struct vfio_device_feature_mig_state s;
};

/**
 * vgpu_mig_set() - move the vGPU to a migration state
 * @dev: the vGPU
 * @state: enum vfio_device_mig_state
 * @data_fd: set to the data transfer file the arc opens, if not NULL
 *	     (-1 if it opens none)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_mig_set(struct vgpu_dev *dev, __u32 state, int *data_fd)
{
	struct vgpu_mig_feature a = { 0 };

	a.f.argsz = sizeof(a);
	a.f.flags = VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	a.s.device_state = state;
	if (ioctl(dev->vfio.device, VFIO_DEVICE_FEATURE, &a))
		return -errno;
	if (data_fd)
		*data_fd = a.s.data_fd;
	return 0;
}

/**
 * vgpu_mig_get() - the vGPU's migration state
 * @dev: the vGPU
 *
 * Return: enum vfio_device_mig_state, or a negative errno.
 */
int vgpu_mig_get(struct vgpu_dev *dev)
{
	struct vgpu_mig_feature a = { 0 };

	a.f.argsz = sizeof(a);
	a.f.flags = VFIO_DEVICE_FEATURE_GET |
		    VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	if (ioctl(dev->vfio.device, VFIO_DEVICE_FEATURE, &a))
		return -errno;
	return a.s.device_state;
}

/**
 * vgpu_mig_read() - read what a saving data file has now
 * @data_fd: the file
 * @s: the stream so far; grows
 *
 * Reads up to the temporary end of pre-copy (ENOMSG) or the end of the
 * stream in stop-copy.
 *
 * Return: bytes read, or a negative errno.
 */
long long vgpu_mig_read(int data_fd, struct vgpu_mig_stream *s)
{
	long long total = 0;
	unsigned char *p;
	ssize_t n;

	for (;;) {
		if (s->cap - s->len < (1 << 20)) {
			p = realloc(s->p, s->cap * 2 + (8 << 20));
			if (!p)
				return -ENOMEM;
			s->p = p;
			s->cap = s->cap * 2 + (8 << 20);
		}
		n = read(data_fd, s->p + s->len, 1 << 20);
		if (n < 0)
			return errno == ENOMSG ? total : -errno;
		if (!n)
			return total;
		s->len += n;
		total += n;
	}
}

/**
 * vgpu_mig_write() - write stream bytes to a resuming data file
 * @data_fd: the file
 * @p: the bytes
 * @len: how many
 * @piece: most bytes per write(), 0 for no limit
 *
 * Return: 0 or a negative errno.
 */
int vgpu_mig_write(int data_fd, const void *p, size_t len, size_t piece)
{
	const unsigned char *b = p;
	size_t at = 0, want;
	ssize_t n;

	while (at < len) {
		want = len - at;
		if (piece && want > piece)
			want = piece;
		n = write(data_fd, b + at, want);
		if (n < 0)
			return -errno;
		at += n;
	}
	return 0;
}

/**
 * vgpu_mig_precopy_info() - what a pre-copy session has left to send
 * @data_fd: the saving data file, in PRE_COPY or PRE_COPY_P2P
 * @info: filled in (VFIO_MIG_GET_PRECOPY_INFO)
 *
 * Return: 0 or a negative errno.
 */
int vgpu_mig_precopy_info(int data_fd, struct vfio_precopy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, info) ? -errno : 0;
}
