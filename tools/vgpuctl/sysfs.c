// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl's sysfs access. Every path is under sysfs_root, "/sys" unless
 * VGPUCTL_SYSFS_ROOT names another tree (a copy for tests). Values are
 * read whole and lose their trailing newline; writes are one write().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vgpuctl.h"

const char *sysfs_root = "/sys";

int fmt_fits(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sysfs_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	if (got && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
	return 0;
}

int sysfs_read_ull(const char *path, unsigned long long *v)
{
	char buf[32];
	int ret = sysfs_read_str(path, buf, sizeof(buf));

	if (ret)
		return ret;
	return parse_ull(buf, 0, ~0ULL, v) ? -EPROTO : 0;
}

int sysfs_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(val);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}
