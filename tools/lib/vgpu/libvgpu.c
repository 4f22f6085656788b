// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvgpu: the vgpu guest driver's ioctls for programs inside a VM, and CPU
 * references of what the device computes. See libvgpu.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "libvgpu.h"

#define SYS_ACCEL	"/sys/class/accel"
#define DEBUGFS_ACCEL	"/sys/kernel/debug/accel"

/* vgpu_job_wait() waits forever in slices of this many ns. */
#define WAIT_SLICE_NS	1000000000LL

/* An ioctl, restarted when a signal interrupted it; 0 or -errno. */
static int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && errno == EINTR);
	return ret == -1 ? -errno : 0;
}

/* The last component of the target of the link @path; 0 or -errno. */
static int link_basename(const char *path, char *buf, size_t len)
{
	char target[512];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if ((size_t)snprintf(buf, len, "%s", base) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/**
 * vgpu_accel_find_all() - list the accel devices of the vgpu guest driver
 * @minors: filled with N of every /sys/class/accel/accelN whose device is
 *	bound to VGPU_ACCEL_DRIVER, lowest first
 * @max: room in @minors
 *
 * Return: how many there are (more than @max if some did not fit), or
 * -ENODEV if /sys/class/accel cannot be read.
 */
int vgpu_accel_find_all(unsigned int *minors, unsigned int max)
{
	char path[512], driver[64];
	unsigned int count = 0;
	struct dirent *e;
	DIR *dir;

	dir = opendir(SYS_ACCEL);
	if (!dir)
		return -ENODEV;
	while ((e = readdir(dir))) {
		unsigned int n;
		char end;

		if (sscanf(e->d_name, "accel%u%c", &n, &end) != 1 ||
		    n > 0x7fffffff)
			continue;
		snprintf(path, sizeof(path), SYS_ACCEL "/%s/device/driver",
			 e->d_name);
		if (link_basename(path, driver, sizeof(driver)) ||
		    strcmp(driver, VGPU_ACCEL_DRIVER))
			continue;
		if (count < max)
			minors[count] = n;
		count++;
	}
	closedir(dir);
	qsort(minors, count < max ? count : max, sizeof(*minors), cmp_uint);
	return count;
}

/**
 * vgpu_accel_find() - find the first accel device of the vgpu guest driver
 *
 * Return: the lowest N of vgpu_accel_find_all(), or -ENODEV if there is
 * none.
 */
int vgpu_accel_find(void)
{
	unsigned int minors[256];
	int n = vgpu_accel_find_all(minors, 256);

	return n > 0 ? (int)minors[0] : -ENODEV;
}

/* Check that @fd is the vgpu guest driver: its DRM name says so. */
static int check_driver(int fd)
{
	char name[sizeof(VGPU_ACCEL_DRIVER) + 1] = "";
	struct drm_version v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.name_len = sizeof(name) - 1;
	ret = xioctl(fd, DRM_IOCTL_VERSION, &v);
	if (ret == -ENOTTY || ret == -EINVAL)
		return -ENODEV;
	if (ret)
		return ret;
	if (v.name_len != strlen(VGPU_ACCEL_DRIVER) ||
	    strcmp(name, VGPU_ACCEL_DRIVER))
		return -ENODEV;
	return 0;
}

/**
 * vgpu_accel_open() - open a vgpu accel device
 * @dev: filled in; @dev->fd is -1 after a failure
 * @path: the device node, e.g. "/dev/accel/accel0", or NULL for the first
 *	one vgpu_accel_find() names
 *
 * The device must be driven by VGPU_ACCEL_DRIVER. @dev->pci_name comes from
 * sysfs (/sys/dev/char/MAJOR:MINOR/device) and is "unknown" without it.
 *
 * Return: 0, -ENODEV if there is no vgpu device or @path is another
 * driver's, or the -errno of open().
 */
int vgpu_accel_open(struct vgpu_accel *dev, const char *path)
{
	char link[128];
	struct stat st;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	if (path) {
		if ((size_t)snprintf(dev->path, sizeof(dev->path), "%s",
				     path) >= sizeof(dev->path))
			return -ENAMETOOLONG;
	} else {
		ret = vgpu_accel_find();
		if (ret < 0)
			return ret;
		snprintf(dev->path, sizeof(dev->path), "/dev/accel/accel%d",
			 ret);
	}
	dev->fd = open(dev->path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0)
		return -errno;
	if (fstat(dev->fd, &st)) {
		ret = -errno;
		goto fail;
	}
	if (!S_ISCHR(st.st_mode)) {
		ret = -ENODEV;
		goto fail;
	}
	ret = check_driver(dev->fd);
	if (ret)
		goto fail;
	dev->minor = minor(st.st_rdev);
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	if (link_basename(link, dev->pci_name, sizeof(dev->pci_name)))
		snprintf(dev->pci_name, sizeof(dev->pci_name), "unknown");
	return 0;
fail:
	close(dev->fd);
	dev->fd = -1;
	return ret;
}

/**
 * vgpu_accel_close() - close a device opened by vgpu_accel_open()
 * @dev: the device; closing one already closed does nothing
 *
 * BOs still mapped stay mapped (and so allocated) until they are unmapped.
 */
void vgpu_accel_close(struct vgpu_accel *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

/**
 * vgpu_accel_param() - read one parameter of the device or driver
 * @dev: the device
 * @param: enum drm_vgpu_param
 * @value: the value
 *
 * Return: 0, or -EINVAL for an unknown parameter.
 */
int vgpu_accel_param(struct vgpu_accel *dev, __u32 param, __u64 *value)
{
	struct drm_vgpu_get_param p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.param = param;
	ret = xioctl(dev->fd, DRM_IOCTL_VGPU_GET_PARAM, &p);
	if (!ret)
		*value = p.value;
	return ret;
}

/**
 * vgpu_accel_fault_path() - the debugfs file that injects device faults
 * @dev: the device
 * @buf: receives /sys/kernel/debug/accel/<PCI name>/inject_fault
 * @len: bytes in @buf
 *
 * The file exists only with debugfs mounted (and a driver that has it).
 *
 * Return: 0, -ENODEV if the PCI name is unknown, -ENAMETOOLONG.
 */
int vgpu_accel_fault_path(const struct vgpu_accel *dev, char *buf,
			  size_t len)
{
	if (!strcmp(dev->pci_name, "unknown") || !dev->pci_name[0])
		return -ENODEV;
	if ((size_t)snprintf(buf, len, DEBUGFS_ACCEL "/%s/inject_fault",
			     dev->pci_name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Open the fault injection file; an fd or -errno. */
static int open_fault_file(const struct vgpu_accel *dev, int flags)
{
	char path[256];
	int ret, fd;

	ret = vgpu_accel_fault_path(dev, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/**
 * vgpu_accel_inject_fault() - make the next jobs fault on the device
 * @dev: the device
 * @count: how many of the jobs submitted next (by anyone) fault at their
 *	first command, with VGPU_ERR_FLAGS; 0 cancels what is pending
 *
 * A test hook of the driver, through debugfs; needs root.
 *
 * Return: 0, or a negative errno (-ENOENT without debugfs or the file).
 */
int vgpu_accel_inject_fault(const struct vgpu_accel *dev, unsigned int count)
{
	int fd = open_fault_file(dev, O_WRONLY), ret, n;
	char buf[16];
	ssize_t done;

	if (fd < 0)
		return fd;
	n = snprintf(buf, sizeof(buf), "%u\n", count);
	done = write(fd, buf, n);
	ret = done == n ? 0 : done < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

/**
 * vgpu_accel_pending_faults() - jobs still to be made to fault
 * @dev: the device
 *
 * Return: what is left of the counts vgpu_accel_inject_fault() set, or a
 * negative errno (-ENOENT without debugfs or the file).
 */
int vgpu_accel_pending_faults(const struct vgpu_accel *dev)
{
	int fd = open_fault_file(dev, O_RDONLY), ret;
	char buf[32];
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = '\0';
	return (int)strtol(buf, NULL, 0);
}

/**
 * vgpu_bo_create() - allocate a BO
 * @dev: the device
 * @size: bytes; the driver rounds it up to the page size
 * @bo: filled in, not mapped
 *
 * A new BO reads as zeros.
 *
 * Return: 0, -EINVAL for size 0, -ENOSPC if no free range of the window is
 * large enough.
 */
int vgpu_bo_create(struct vgpu_accel *dev, __u64 size, struct vgpu_bo *bo)
{
	struct drm_vgpu_bo_create c;
	int ret;

	memset(bo, 0, sizeof(*bo));
	memset(&c, 0, sizeof(c));
	c.size = size;
	ret = xioctl(dev->fd, DRM_IOCTL_VGPU_BO_CREATE, &c);
	if (ret)
		return ret;
	bo->handle = c.handle;
	bo->size = (size + getpagesize() - 1) & ~(__u64)(getpagesize() - 1);
	bo->device_addr = c.device_addr;
	bo->mmap_offset = c.mmap_offset;
	return 0;
}

/**
 * vgpu_accel_open_peers() - open the first two vGPUs of one peer group
 * @dev: filled with the two devices, the lower accel minor first
 *
 * Looks at the devices vgpu_accel_find_all() lists, in order, for the first
 * pair whose DRM_VGPU_PARAM_PEER_GROUP is the same and not 0.
 *
 * Return: 0, or -ENODEV if no two devices share a peer group.
 */
int vgpu_accel_open_peers(struct vgpu_accel dev[2])
{
	unsigned int minors[64];
	__u32 group[2], id, mask;
	char path[32];
	int n, i, j;

	n = vgpu_accel_find_all(minors, 64);
	for (i = 0; i < n && i < 64; i++) {
		snprintf(path, sizeof(path), "/dev/accel/accel%u", minors[i]);
		if (vgpu_accel_open(&dev[0], path))
			continue;
		if (vgpu_accel_peer(&dev[0], &group[0], &id, &mask))
			group[0] = 0;
		for (j = i + 1; j < n && j < 64 && group[0]; j++) {
			snprintf(path, sizeof(path), "/dev/accel/accel%u",
				 minors[j]);
			if (vgpu_accel_open(&dev[1], path))
				continue;
			if (!vgpu_accel_peer(&dev[1], &group[1], &id, &mask) &&
			    group[1] == group[0])
				return 0;
			vgpu_accel_close(&dev[1]);
		}
		vgpu_accel_close(&dev[0]);
	}
	return -ENODEV;
}

/**
 * vgpu_bo_share() - make a BO of one vGPU usable by another's PEER_COPY
 * @owner: the device the BO belongs to
 * @bo: the BO
 * @dev: the device whose jobs are to copy into it
 * @handle: set to the BO's handle on @dev (a peer BO; list it in the job's
 *	BO handles; the command's dst is @bo->device_addr + offset)
 *
 * Shares the BO as a dma-buf (PRIME) and imports it; close the handle with
 * vgpu_bo_close() when done.
 *
 * Return: 0 or a negative errno.
 */
int vgpu_bo_share(struct vgpu_accel *owner, const struct vgpu_bo *bo,
		  struct vgpu_accel *dev, __u32 *handle)
{
	struct drm_prime_handle prime;
	int ret;

	memset(&prime, 0, sizeof(prime));
	prime.handle = bo->handle;
	prime.flags = DRM_CLOEXEC | DRM_RDWR;
	ret = xioctl(owner->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime);
	if (ret)
		return ret;
	prime.handle = 0;
	prime.flags = 0;
	ret = xioctl(dev->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime);
	close(prime.fd);
	if (!ret)
		*handle = prime.handle;
	return ret;
}

/**
 * vgpu_bo_close() - drop a GEM handle that has no mapping of its own
 * @dev: the device the handle is valid on
 * @handle: the handle, e.g. from vgpu_bo_share()
 *
 * Return: 0 or a negative errno.
 */
int vgpu_bo_close(struct vgpu_accel *dev, __u32 handle)
{
	struct drm_gem_close close_args;

	memset(&close_args, 0, sizeof(close_args));
	close_args.handle = handle;
	return xioctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &close_args);
}

/**
 * vgpu_accel_peer() - the vGPU's peer group as the host set it
 * @dev: the device
 * @group: set to the group, 0 if the vGPU is in none
 * @id: set to its peer id in the group
 * @mask: set to 1 << id of every member
 *
 * Return: 0 or a negative errno (-EINVAL from a driver older than 1.1).
 */
int vgpu_accel_peer(struct vgpu_accel *dev, __u32 *group, __u32 *id,
		    __u32 *mask)
{
	__u64 g, i, m;
	int ret;

	ret = vgpu_accel_param(dev, DRM_VGPU_PARAM_PEER_GROUP, &g);
	if (!ret)
		ret = vgpu_accel_param(dev, DRM_VGPU_PARAM_PEER_ID, &i);
	if (!ret)
		ret = vgpu_accel_param(dev, DRM_VGPU_PARAM_PEER_MASK, &m);
	if (ret)
		return ret;
	*group = g;
	*id = i;
	*mask = m;
	return 0;
}

/**
 * vgpu_bo_info() - describe a BO by its handle
 * @dev: the device
 * @handle: GEM handle on @dev
 * @bo: every member filled in; @bo->map is set to NULL
 *
 * Return: 0, or -ENOENT for an unknown handle.
 */
int vgpu_bo_info(struct vgpu_accel *dev, __u32 handle, struct vgpu_bo *bo)
{
	struct drm_vgpu_bo_info info;
	int ret;

	memset(&info, 0, sizeof(info));
	info.handle = handle;
	ret = xioctl(dev->fd, DRM_IOCTL_VGPU_BO_INFO, &info);
	if (ret)
		return ret;
	memset(bo, 0, sizeof(*bo));
	bo->handle = handle;
	bo->size = info.size;
	bo->device_addr = info.device_addr;
	bo->mmap_offset = info.mmap_offset;
	return 0;
}

/**
 * vgpu_bo_mmap() - map a whole BO shared and read-write at @bo->map
 * @dev: the device that made @bo
 * @bo: the BO; mapping a mapped BO does nothing
 *
 * Return: 0, or the -errno of mmap().
 */
int vgpu_bo_mmap(struct vgpu_accel *dev, struct vgpu_bo *bo)
{
	void *p;

	if (bo->map)
		return 0;
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
		 bo->mmap_offset);
	if (p == MAP_FAILED)
		return -errno;
	bo->map = p;
	return 0;
}

/**
 * vgpu_bo_unmap() - undo vgpu_bo_mmap()
 * @bo: the BO; unmapping one not mapped does nothing
 *
 * Return: 0, or the -errno of munmap().
 */
int vgpu_bo_unmap(struct vgpu_bo *bo)
{
	if (!bo->map)
		return 0;
	if (munmap(bo->map, bo->size))
		return -errno;
	bo->map = NULL;
	return 0;
}

/**
 * vgpu_bo_free() - unmap a BO and close its handle
 * @dev: the device that made @bo
 * @bo: the BO, zeroed afterwards; a zeroed one (handle 0) is left alone
 *
 * The window range returns to the driver once no job that named the BO is
 * still running.
 *
 * Return: 0, or a negative errno (-EINVAL for a handle already closed).
 */
int vgpu_bo_free(struct vgpu_accel *dev, struct vgpu_bo *bo)
{
	int ret;

	if (!bo->handle && !bo->map)
		return 0;
	ret = vgpu_bo_unmap(bo);
	if (ret)
		return ret;
	ret = vgpu_bo_close(dev, bo->handle);
	memset(bo, 0, sizeof(*bo));
	return ret;
}

/**
 * vgpu_bo_new() - vgpu_bo_create() and vgpu_bo_mmap() in one
 * @dev: the device
 * @size: bytes
 * @bo: filled in and mapped; zeroed after a failure
 *
 * Return: 0, or the negative errno of the step that failed.
 */
int vgpu_bo_new(struct vgpu_accel *dev, __u64 size, struct vgpu_bo *bo)
{
	int ret = vgpu_bo_create(dev, size, bo);

	if (ret)
		return ret;
	ret = vgpu_bo_mmap(dev, bo);
	if (ret)
		vgpu_bo_free(dev, bo);
	return ret;
}

/**
 * vgpu_job_submit() - queue a job
 * @dev: the device
 * @cmds: the commands, with device addresses; run in order
 * @cmd_count: entries in @cmds, 1 .. DRM_VGPU_MAX_CMDS
 * @bo_handles: every BO the commands touch
 * @bo_count: entries in @bo_handles, 1 .. DRM_VGPU_MAX_BOS
 * @job_id: the job's id, for vgpu_job_wait()
 *
 * Return: 0; -EINVAL for a job the driver refuses (bad command, a range
 * not inside one listed BO, bad counts), -ENOENT for an unknown handle,
 * -EFAULT, -EBUSY while DRM_VGPU_MAX_JOBS jobs of @dev are not waited for.
 */
int vgpu_job_submit(struct vgpu_accel *dev, const struct vgpu_cmd *cmds,
		    unsigned int cmd_count, const __u32 *bo_handles,
		    unsigned int bo_count, __u32 *job_id)
{
	struct drm_vgpu_submit s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.cmds = (__u64)(uintptr_t)cmds;
	s.bo_handles = (__u64)(uintptr_t)bo_handles;
	s.cmd_count = cmd_count;
	s.bo_count = bo_count;
	ret = xioctl(dev->fd, DRM_IOCTL_VGPU_SUBMIT, &s);
	if (!ret)
		*job_id = s.job_id;
	return ret;
}

/* One DRM_IOCTL_VGPU_WAIT; 0 or -errno. */
static int wait_once(struct vgpu_accel *dev, __u32 job_id, __s64 timeout_ns,
		     struct vgpu_result *res)
{
	struct drm_vgpu_wait w;
	int ret;

	memset(&w, 0, sizeof(w));
	w.job_id = job_id;
	w.timeout_ns = timeout_ns;
	ret = xioctl(dev->fd, DRM_IOCTL_VGPU_WAIT, &w);
	if (ret)
		return ret;
	res->status = w.status;
	res->device_error = w.device_error;
	res->error_cmd = w.error_cmd;
	res->error_addr = w.error_addr;
	res->duration_ns = w.duration_ns;
	return 0;
}

/**
 * vgpu_job_wait() - wait for a job and collect how it ended
 * @dev: the device the job was submitted on
 * @job_id: from vgpu_job_submit()
 * @timeout_ns: how long to wait; 0 polls, VGPU_WAIT_FOREVER (any negative
 *	value) waits until the job has finished
 * @res: filled in when the job has finished; may be NULL
 *
 * Once it has returned 0 the job is forgotten and @job_id may name another.
 *
 * Return: 0 when the job has finished (successfully or not: see
 * @res->status), -ETIMEDOUT if it has not within @timeout_ns, -ENOENT for an
 * unknown id.
 */
int vgpu_job_wait(struct vgpu_accel *dev, __u32 job_id, __s64 timeout_ns,
		  struct vgpu_result *res)
{
	struct vgpu_result dummy;
	int ret;

	if (!res)
		res = &dummy;
	if (timeout_ns >= 0)
		return wait_once(dev, job_id, timeout_ns, res);
	do {
		ret = wait_once(dev, job_id, WAIT_SLICE_NS, res);
	} while (ret == -ETIMEDOUT);
	return ret;
}

/**
 * vgpu_job_run() - submit a job and wait until it has finished
 * @dev: the device
 * @cmds: as for vgpu_job_submit()
 * @cmd_count: as for vgpu_job_submit()
 * @bo_handles: as for vgpu_job_submit()
 * @bo_count: as for vgpu_job_submit()
 * @res: how the job ended, if it ran; may be NULL
 *
 * Return: 0 if the job ran and completed every command; else the negative
 * errno of the submission or the wait, or the job's own negative status
 * (then @res->status is the same and @res tells more).
 */
int vgpu_job_run(struct vgpu_accel *dev, const struct vgpu_cmd *cmds,
		 unsigned int cmd_count, const __u32 *bo_handles,
		 unsigned int bo_count, struct vgpu_result *res)
{
	struct vgpu_result dummy;
	__u32 id;
	int ret;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	ret = vgpu_job_submit(dev, cmds, cmd_count, bo_handles, bo_count, &id);
	if (!ret)
		ret = vgpu_job_wait(dev, id, VGPU_WAIT_FOREVER, res);
	return ret ? ret : res->status;
}

/**
 * vgpu_error_name() - the name of a device error code
 * @device_error: enum vgpu_error
 *
 * Return: e.g. "FLAGS", or "?" for a code the header does not list.
 */
const char *vgpu_error_name(__u32 device_error)
{
	static const char *const names[VGPU_ERR_PEER + 1] = {
		[VGPU_ERR_NONE] = "NONE",
		[VGPU_ERR_OPCODE] = "OPCODE",
		[VGPU_ERR_FLAGS] = "FLAGS",
		[VGPU_ERR_RANGE] = "RANGE",
		[VGPU_ERR_ALIGN] = "ALIGN",
		[VGPU_ERR_SIZE] = "SIZE",
		[VGPU_ERR_OVERLAP] = "OVERLAP",
		[VGPU_ERR_DMA] = "DMA",
		[VGPU_ERR_RING] = "RING",
		[VGPU_ERR_TIMEOUT] = "TIMEOUT",
		[VGPU_ERR_PEER] = "PEER",
	};

	if (device_error > VGPU_ERR_PEER)
		return "?";
	return names[device_error];
}

/* ---- CPU references -------------------------------------------------- */

/**
 * vgpu_ref_gemm_i8() - GEMM_I8 as the device computes it
 * @a: A, @m x @k int8, row-major
 * @b: B, @k x @n int8, row-major
 * @c: C, @m x @n int32, row-major: receives A x B
 * @m: rows of A and C
 * @n: columns of B and C
 * @k: columns of A and rows of B
 *
 * Sums wrap modulo 2^32, as on the device.
 */
void vgpu_ref_gemm_i8(const __s8 *a, const __s8 *b, __s32 *c, __u32 m,
		      __u32 n, __u32 k)
{
	size_t i, j, l;

	for (i = 0; i < m; i++) {
		/* Same object, unsigned view: wrapping sums are defined. */
		__u32 *row = (__u32 *)c + i * n;

		for (j = 0; j < n; j++)
			row[j] = 0;
		for (l = 0; l < k; l++) {
			const __s8 *brow = b + l * n;
			__s32 av = a[i * k + l];

			if (!av)
				continue;
			for (j = 0; j < n; j++)
				row[j] += (__u32)(av * brow[j]);
		}
	}
}
