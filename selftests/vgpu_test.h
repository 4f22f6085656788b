/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the vgpu kselftests: module loading, sysfs, UUIDs, the kernel
 * log and VFIO. The tests run as root inside a test VM (scripts/vm-run.sh);
 * VGPU_KO names the vgpu.ko under test.
 */
#ifndef VGPU_TEST_H
#define VGPU_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define VGPU_PARENT	"/sys/class/vgpu/vgpu0"
#define VGPU_TYPES	VGPU_PARENT "/mdev_supported_types"
#define MDEV_DEVICES	"/sys/bus/mdev/devices"

/* Read a sysfs file into @buf without the trailing newline; -errno. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline long long sysfs_num(const char *fmt, ...)
{
	char path[512], buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* Write @val to a sysfs file in one write(); 0 or -errno of the write. */
static inline int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* A number from an mdev vGPU's vgpu/ directory; -1 if unreadable. */
static inline long long vgpu_attr_num(const char *uuid, const char *name)
{
	return sysfs_num(MDEV_DEVICES "/%s/vgpu/%s", uuid, name);
}

/* Write @val to a file of an mdev vGPU's vgpu/ directory; 0 or -errno. */
static inline int vgpu_attr_write(const char *uuid, const char *name,
				  const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/%s", uuid, name);
	return sysfs_write(path, val);
}

/* An mdev vGPU's control state (vgpu/state), or "(unreadable)". */
static inline const char *vgpu_state_of_mdev(const char *uuid)
{
	static char buf[32];
	char path[256];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vgpu/state", uuid);
	if (sysfs_read(path, buf, sizeof(buf)))
		return "(unreadable)";
	return buf;
}

static inline bool path_exists(const char *fmt, ...)
{
	char path[512];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return stat(path, &st) == 0;
}

/*
 * Load @name (a module built next to vgpu.ko, which VGPU_KO names) with
 * @params; 0 or -errno of finit_module().
 */
static inline int vgpu_load_ko(const char *name, const char *params)
{
	const char *ko = getenv("VGPU_KO");
	const char *slash = ko ? strrchr(ko, '/') : NULL;
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - ko + 1) : 0,
		 ko ? ko : "", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Load vgpu.ko with @params; 0 or -errno of finit_module(). */
static inline int vgpu_load(const char *params)
{
	return vgpu_load_ko("vgpu.ko", params);
}

/* Unload vgpu; 0 or -errno of delete_module(). */
static inline int vgpu_unload(void)
{
	return syscall(SYS_delete_module, "vgpu", O_NONBLOCK) ? -errno : 0;
}

static inline bool vgpu_loaded(void)
{
	return path_exists("/sys/module/vgpu");
}

/* A fresh random UUID string (36 characters). */
static inline void uuid_gen(char *out)
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0 || read(fd, b, sizeof(b)) != sizeof(b))
		abort();
	close(fd);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	sprintf(out,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Create a vGPU of type vgpu-@type with @uuid; 0 or -errno. */
static inline int vgpu_create(const char *type, const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), VGPU_TYPES "/vgpu-%s/create", type);
	return sysfs_write(path, uuid);
}

static inline int vgpu_remove(const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", uuid);
	return sysfs_write(path, "1");
}

struct vgpu_dev;
void vgpu_dev_close(struct vgpu_dev *dev);

/*
 * Close a test's vGPU if it is open (tools/vfio) and remove it if it was
 * created; both are marked undone.
 */
static inline void vgpu_test_drop(char *uuid, struct vgpu_dev **d)
{
	if (*d)
		vgpu_dev_close(*d);
	*d = NULL;
	if (uuid[0])
		vgpu_remove(uuid);
	uuid[0] = '\0';
}

static inline long long vgpu_available(const char *type)
{
	return sysfs_num(VGPU_TYPES "/vgpu-%s/available_instances", type);
}

/* Remove every mdev on the system (the VM has only ours). */
static inline void vgpu_remove_all(void)
{
	char cmd[] = "for f in " MDEV_DEVICES "/*/remove; do echo 1 >$f; done 2>/dev/null";

	if (system(cmd))
		;
}

/*
 * Kernel log: kmsg_open() positions a reader at the end of the log;
 * kmsg_find() reports whether a message containing @needle was logged since.
 */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * kmsg_count() counts the records logged since that hold one of the @n
 * strings @pat; with @show, it prints each on stderr.
 */
static inline int kmsg_count(int fd, const char *const *pat, unsigned int n,
			     bool show)
{
	char rec[4096];
	unsigned int i;
	int found = 0;
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		for (i = 0; i < n; i++) {
			if (strstr(rec, pat[i])) {
				if (show)
					fprintf(stderr, "# kernel: %s", rec);
				found++;
				break;
			}
		}
	}
	return found;
}

static inline bool kmsg_find(int fd, const char *needle)
{
	return kmsg_count(fd, &needle, 1, false) > 0;
}

#endif /* VGPU_TEST_H */
