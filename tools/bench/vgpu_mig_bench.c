// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_mig_bench: what migrating an mdev vGPU costs, measured as a VMM
 * does it through VFIO migration v2: bytes in the pre-copy and stop-copy
 * phases and the device's downtime (from stopping the source to the
 * target running: the stop-copy read plus the target's load), for
 * windows of two sizes, an idle and a busy guest, with and without
 * pre-copy. Run in a test VM by scripts/bench-mig.sh, which loads the
 * driver with the profiles "mig32" (32 MiB) and "mig256" (256 MiB).
 *
 * With --vf PF, the same for VFs 1 and 2 of that vgpu PF bound to
 * vgpu-vfio-pci: the PF driver copies the window through its aperture,
 * with pre-copy if the device logs the pages written (PF interface 1.2).
 *
 * The busy guest keeps the engines computing GEMMs in a 2 MiB working set
 * and writes WS_PAGES pages of its window through the mapping between the
 * pre-copy passes: what a guest with a small working set does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_vfio.h"

#include <dirent.h>
#include <libgen.h>
#include <limits.h>

#define PARENT	"/sys/class/vgpu/vgpu0/mdev_supported_types/vgpu-"
#define DEVS	"/sys/bus/mdev/devices"
#define WS_PAGES	64
#define GM	32
#define GN	32
#define GK	16384

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int sys_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(val, f) >= 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int create(const char *type, char *uuid)
{
	char path[256];
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");

	if (!f || !fgets(uuid, 40, f))
		return -1;
	fclose(f);
	uuid[strcspn(uuid, "\n")] = 0;
	snprintf(path, sizeof(path), PARENT "%s/%s", type, "create");
	return sys_write(path, uuid);
}

static void destroy(const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), DEVS "/%s/remove", uuid);
	sys_write(path, "1");
}

/* --vf: the PF's vgpu parent directory, "" for mdev vGPUs. */
static char pf_parent[PATH_MAX];

/* Give VF @n profile @type and bind it to vgpu-vfio-pci: its PCI address. */
static int vf_create(int n, const char *type, char *addr)
{
	char path[PATH_MAX + 64], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "%s/vf%d/pci_function", pf_parent, n);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -1;
	link[len] = 0;
	snprintf(addr, 40, "%s", basename(link));
	snprintf(path, sizeof(path), "%s/vf%d/profile", pf_parent, n);
	if (sys_write(path, type))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 addr);
	return sys_write(path, "vgpu-vfio-pci") ||
	       sys_write("/sys/bus/pci/drivers_probe", addr);
}

static void vf_destroy(int n, const char *addr)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 addr);
	sys_write(path, addr);
	snprintf(path, sizeof(path), "%s/vf%d/profile", pf_parent, n);
	sys_write(path, "none");
}

/* Keep the engines busy with GEMMs for a long while. */
static int start_work(struct vgpu_dev *d)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(0x100000, 0x200000, 0x300000,
					  GM, GN, GK);
	int i;

	memset((char *)d->window + 0x100000, 1, GM * GK);
	memset((char *)d->window + 0x200000, 2, GK * GN);
	for (i = 0; i < 48; i++)
		if (vgpu_ring_put(d, &c, 1))
			return -1;
	return vgpu_ring_doorbell(d);
}

static void touch(struct vgpu_dev *d, int round)
{
	unsigned char *w = (unsigned char *)d->window + 0x400000;
	int i;

	for (i = 0; i < WS_PAGES; i++)
		w[i * 4096 + round] = round + i;
}

/* One migration; prints one row. */
static int run(const char *type, bool busy, bool precopy)
{
	char su[40], du[40];
	struct vgpu_dev *src = NULL, *dst = NULL;
	struct vgpu_mig_stream s = { 0 };
	long long pre = 0, stop, n;
	double t0, t1, t2;
	size_t stop_from;
	int dfd = -1, rfd = -1, round, ret = -1;

	su[0] = 0;
	du[0] = 0;
	if ((pf_parent[0] ? vf_create(1, type, su) || vf_create(2, type, du) :
			    create(type, su) || create(type, du)) ||
	    vgpu_dev_open(su, &src) || vgpu_dev_open(du, &dst) ||
	    vgpu_ring_init(src, 0, 64)) {
		fprintf(stderr, "vgpu_mig_bench: cannot set up two %s vGPUs\n",
			type);
		goto out;
	}
	if (busy && start_work(src))
		goto out;
	if (precopy) {
		if (vgpu_mig_set(src, VFIO_DEVICE_STATE_PRE_COPY, &dfd))
			goto out;
		for (round = 0; round < 3; round++) {
			if (busy)
				touch(src, round);
			n = vgpu_mig_read(dfd, &s);
			if (n < 0)
				goto out;
			pre += n;
		}
		if (busy)
			touch(src, 3);
	}
	/*
	 * The target takes the pre-copy data while the source runs (QEMU
	 * streams it as it comes); only what follows counts as downtime.
	 */
	if (vgpu_mig_set(dst, VFIO_DEVICE_STATE_RESUMING, &rfd) ||
	    vgpu_mig_write(rfd, s.p, s.len, 0))
		goto out;
	stop_from = s.len;
	t0 = now_ms();
	if (vgpu_mig_set(src, VFIO_DEVICE_STATE_STOP_COPY,
			 precopy ? NULL : &dfd))
		goto out;
	stop = vgpu_mig_read(dfd, &s);
	if (stop < 0)
		goto out;
	t1 = now_ms();
	if (vgpu_mig_write(rfd, s.p + stop_from, s.len - stop_from, 0) ||
	    vgpu_mig_set(dst, VFIO_DEVICE_STATE_RUNNING, NULL))
		goto out;
	t2 = now_ms();
	printf("%-7s %4llu  %-4s  %-8s %10lld %10lld %9.1f %9.1f %9.1f\n",
	       type, src->window_size >> 20, busy ? "busy" : "idle",
	       precopy ? "pre-copy" : "stop", pre, stop, t1 - t0, t2 - t1,
	       t2 - t0);
	ret = 0;
out:
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	if (src)
		vgpu_dev_close(src);
	if (dst)
		vgpu_dev_close(dst);
	if (pf_parent[0]) {
		vf_destroy(1, su);
		vf_destroy(2, du);
	} else {
		destroy(su);
		destroy(du);
	}
	free(s.p);
	return ret;
}

int main(int argc, char **argv)
{
	static const char *const types[] = { "mig32", "mig256" };
	int reps, r, t, b, p, fail = 0;

	if (argc > 2 && !strcmp(argv[1], "--vf")) {
		struct dirent *de;
		DIR *d;

		snprintf(pf_parent, sizeof(pf_parent),
			 "/sys/bus/pci/devices/%s/vgpu", argv[2]);
		d = opendir(pf_parent);
		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, "vgpu", 4))
				snprintf(pf_parent, sizeof(pf_parent),
					 "/sys/class/vgpu/%s", de->d_name);
		if (d)
			closedir(d);
		if (strncmp(pf_parent, "/sys/class/vgpu/", 16)) {
			fprintf(stderr, "vgpu_mig_bench: %s is no vgpu PF\n",
				argv[2]);
			return 1;
		}
		argc -= 2;
		argv += 2;
	}
	reps = argc > 1 ? atoi(argv[1]) : 2;
	printf("vgpu migration benchmark (%s): bytes per phase and device downtime (ms)\n",
	       pf_parent[0] ? "VFs through vgpu-vfio-pci" : "mdev vGPUs");
	printf("downtime = stop-copy read on the source + the target's load of those bytes\n");
	printf("busy: GEMMs running, %d window pages written between passes\n",
	       WS_PAGES);
	printf("%-7s %4s  %-4s  %-8s %10s %10s %9s %9s %9s\n", "profile",
	       "MiB", "load", "mode", "pre_bytes", "stop_bytes", "read_ms",
	       "load_ms", "down_ms");
	for (r = 0; r < reps; r++)
		for (t = 0; t < 2; t++)
			for (b = 0; b < 2; b++)
				for (p = 1; p >= 0; p--)
					fail |= run(types[t], b, p);
	return fail ? 1 : 0;
}
