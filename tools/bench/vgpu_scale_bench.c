// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_scale_bench: a thousand vGPUs on one device. vgpu.ko is loaded with
 * one small time-sliced type (scripts/bench-scale.sh: 1 MiB windows, one
 * engine shared by up to 64, 16 engines: 1024 seats). The benchmark grows
 * the population to each of the levels (default 64, 256, 1024) and at each
 * prints:
 *
 *   - the cost of a create, the mean over the vGPUs created to reach the
 *     level and over the last 16 of them (the cost at that population);
 *   - the host memory each idle vGPU costs, from /proc/meminfo deltas over
 *     those creates: kernel objects (Slab + VmallocUsed + Percpu) and all
 *     of it (MemFree, which includes its window's pages);
 *   - the cost of opening each through VFIO (container, group, device fd,
 *     window mmap, interrupts);
 *   - with all of them busy (long GEMMs queued on each): Jain's index over
 *     measured / expected shares (expected: an equal part of its engine
 *     among that engine's vGPUs) and the worst share error, from busy_ns;
 *     the scheduler's overhead as the part of the time the busy engines
 *     could run (each engine's interval, but no more engines than CPUs)
 *     that went to no vGPU (1 - sum of busy_ns / that), and slices/s.
 *
 * Then every vGPU is closed and removed, and the cost of a destroy is
 * printed for the same population ranges, from the largest down.
 *
 * Usage: vgpu_scale_bench [-T TYPE] [-l N,N,...] [-t SECONDS]
 *
 * A benchmark, not a test: it prints figures and stops only when the
 * device or sysfs fails.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "vgpu_vfio.h"

#define PARENT		"/sys/class/vgpu/vgpu0"
#define MDEVS		"/sys/bus/mdev/devices"
#define MAXV		4096
#define MAXL		8
#define TAIL		16
#define RING_ENTRIES	64u
#define A_OFF		0x10000ULL
#define B_OFF		0x50000ULL
#define C_OFF		0x90000ULL
#define GM		64u
#define GN		64u
#define GK		4096u
#define QUEUED		8

struct sv {
	char uuid[40];
	struct vgpu_dev *d;
	int part;
	long long busy0;
	double busy;
};

static struct sv v[MAXV];
static int nv;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "vgpu_scale_bench: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(1);
}

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(s, f) < 0)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static long long read_num(const char *fmt, const char *arg)
{
	char path[256];
	long long x = -1;
	FILE *f;

	snprintf(path, sizeof(path), fmt, arg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &x) != 1)
		x = -1;
	fclose(f);
	return x;
}

static void uuid_gen(char *out)
{
	unsigned char b[16];
	FILE *f = fopen("/dev/urandom", "r");

	if (!f || fread(b, 1, sizeof(b), f) != sizeof(b))
		die("/dev/urandom", EIO);
	fclose(f);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	sprintf(out,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Kernel objects (Slab + VmallocUsed + Percpu) and MemFree, in KiB. */
static void read_meminfo(long long *kobj, long long *mfree)
{
	char line[256];
	long long x;
	FILE *f = fopen("/proc/meminfo", "r");

	*kobj = 0;
	*mfree = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %lld", &x) == 1 ||
		    sscanf(line, "VmallocUsed: %lld", &x) == 1 ||
		    sscanf(line, "Percpu: %lld", &x) == 1)
			*kobj += x;
		else if (sscanf(line, "MemFree: %lld", &x) == 1)
			*mfree = x;
	}
	fclose(f);
}

static void drop_page_cache(void)
{
	sync();
	write_str("/proc/sys/vm/drop_caches", "3");
}

struct level {
	int n;
	double create_us, create_tail_us, open_us;
	double kobj_kib, total_kib;
	double jain, worst, overhead, slices_s;
	int engines;
	double destroy_us, destroy_tail_us;
};

static void grow(const char *type, struct level *l)
{
	char path[256];
	long long k0, f0, k1, f1;
	double t0, tail0 = 0, t;
	int from = nv, ret;

	snprintf(path, sizeof(path), PARENT "/mdev_supported_types/vgpu-%s/create",
		 type);
	drop_page_cache();
	read_meminfo(&k0, &f0);
	t0 = now_s();
	while (nv < l->n) {
		if (nv == l->n - TAIL)
			tail0 = now_s();
		uuid_gen(v[nv].uuid);
		ret = write_str(path, v[nv].uuid);
		if (ret)
			die("create", ret);
		nv++;
	}
	t = now_s();
	l->create_us = (t - t0) * 1e6 / (l->n - from);
	l->create_tail_us = (t - tail0) * 1e6 / TAIL;
	drop_page_cache();
	read_meminfo(&k1, &f1);
	l->kobj_kib = (double)(k1 - k0) / (l->n - from);
	l->total_kib = (double)(f0 - f1) / (l->n - from);

	t0 = now_s();
	for (ret = from; ret < nv; ret++) {
		int err = vgpu_dev_open(v[ret].uuid, &v[ret].d);

		if (err)
			die("open", err);
		err = vgpu_ring_init(v[ret].d, 0, RING_ENTRIES);
		if (err)
			die("ring", err);
		v[ret].part = read_num(MDEVS "/%s/vgpu/partition", v[ret].uuid);
	}
	l->open_us = (now_s() - t0) * 1e6 / (nv - from);
}

static void make_busy(struct sv *x)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(A_OFF, B_OFF, C_OFF, GM, GN, GK);
	int i;

	vgpu_reset(x->d);
	vgpu_ring_init(x->d, 0, RING_ENTRIES);
	for (i = 0; i < QUEUED; i++)
		vgpu_ring_put(x->d, &c, 1);
	vgpu_ring_doorbell(x->d);
}

static void measure(struct level *l, double secs)
{
	static int users[64];
	static double ebusy[64];
	double t0, t1, s = 0, s2 = 0, worst = 0, over = 0;
	long long sl0 = 0, sl1 = 0, cpus, cap;
	int i, e;

	memset(users, 0, sizeof(users));
	memset(ebusy, 0, sizeof(ebusy));
	for (i = 0; i < nv; i++) {
		make_busy(&v[i]);
		if (v[i].part >= 0 && v[i].part < 64)
			users[v[i].part]++;
	}
	usleep(200000);
	t0 = now_s();
	for (i = 0; i < nv; i++) {
		v[i].busy0 = read_num(MDEVS "/%s/vgpu/busy_ns", v[i].uuid);
		sl0 += read_num(MDEVS "/%s/vgpu/slices", v[i].uuid);
	}
	usleep(secs * 1e6);
	for (i = 0; i < nv; i++) {
		v[i].busy = read_num(MDEVS "/%s/vgpu/busy_ns", v[i].uuid) -
			    v[i].busy0;
		sl1 += read_num(MDEVS "/%s/vgpu/slices", v[i].uuid);
	}
	t1 = now_s();
	/* Reads took a while: the interval is from first to last read. */
	for (i = 0; i < nv; i++)
		ebusy[v[i].part] += v[i].busy;
	l->engines = 0;
	for (e = 0; e < 64; e++) {
		if (!users[e])
			continue;
		l->engines++;
		over += ebusy[e];
	}
	/*
	 * The engines are kernel threads: with more busy engines than CPUs
	 * they can at most share the CPUs, so the overhead is the part of
	 * the CPU time they could have had that went to no vGPU.
	 */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cap = l->engines < cpus ? l->engines : cpus;
	l->overhead = cap ? 1 - over / ((t1 - t0) * 1e9 * cap) : 0;
	for (i = 0; i < nv; i++) {
		double share = ebusy[v[i].part] ?
			       v[i].busy / ebusy[v[i].part] : 0;
		double expect = 1.0 / users[v[i].part];
		double x = share / expect;

		s += x;
		s2 += x * x;
		if (fabs(share - expect) > worst)
			worst = fabs(share - expect);
	}
	l->jain = s2 ? s * s / (nv * s2) : 0;
	l->worst = worst;
	l->slices_s = (sl1 - sl0) / (t1 - t0);
	for (i = 0; i < nv; i++) {
		vgpu_reset(v[i].d);
		vgpu_ring_init(v[i].d, 0, RING_ENTRIES);
	}
}

static void shrink(struct level *l, int to)
{
	char path[256];
	double t0, tail = 0;
	int i, from = nv, ret;

	for (i = to; i < nv; i++) {
		vgpu_dev_close(v[i].d);
		v[i].d = NULL;
	}
	t0 = now_s();
	while (nv > to) {
		double t = now_s();

		nv--;
		snprintf(path, sizeof(path), MDEVS "/%s/remove", v[nv].uuid);
		ret = write_str(path, "1");
		if (ret)
			die("remove", ret);
		if (nv >= from - TAIL)
			tail += now_s() - t;
	}
	l->destroy_us = (now_s() - t0) * 1e6 / (from - to);
	l->destroy_tail_us = tail * 1e6 / TAIL;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 65536, 65536 };
	struct level lv[MAXL] = { };
	const char *type = "s";
	double secs = 3;
	int nl = 0, i, opt;
	char *p, *levels = NULL;

	while ((opt = getopt(argc, argv, "T:l:t:h")) != -1) {
		switch (opt) {
		case 'T':
			type = optarg;
			break;
		case 'l':
			levels = optarg;
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: vgpu_scale_bench [-T TYPE] [-l N,N,...] [-t SECONDS]\n");
			return 2;
		}
	}
	for (p = strtok(levels ? levels : (char[]){ "64,256,1024" }, ",");
	     p && nl < MAXL; p = strtok(NULL, ","))
		lv[nl++].n = atoi(p);
	for (i = 0; i < nl; i++)
		if (lv[i].n <= (i ? lv[i - 1].n : TAIL - 1) || lv[i].n > MAXV)
			die("levels must grow, from 16 to 4096", EINVAL);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE", errno);
	/* Long GEMMs must run as long as they need. */
	write_str(PARENT "/job_timeout_ms", "0");

	for (i = 0; i < nl; i++) {
		grow(type, &lv[i]);
		measure(&lv[i], secs);
		fprintf(stderr, "# %d vGPUs: created, opened, measured\n",
			lv[i].n);
	}
	for (i = nl - 1; i >= 0; i--)
		shrink(&lv[i], i ? lv[i - 1].n : 0);

	printf("vgpu_scale_bench: type %s, %.1f s per measurement\n", type,
	       secs);
	printf("%6s %10s %10s %10s %10s %10s %9s %9s %7s %8s %9s %9s\n",
	       "vGPUs", "create_us", "at_N_us", "destroy_us", "at_N_us",
	       "open_us", "kobj_KiB", "all_KiB", "engines", "Jain",
	       "worst", "overhead");
	for (i = 0; i < nl; i++) {
		printf("%6d %10.0f %10.0f %10.0f %10.0f %10.0f %9.1f %9.1f",
		       lv[i].n, lv[i].create_us, lv[i].create_tail_us,
		       lv[i].destroy_us, lv[i].destroy_tail_us, lv[i].open_us,
		       lv[i].kobj_kib, lv[i].total_kib);
		printf(" %7d %8.4f %9.4f %8.1f%%\n", lv[i].engines,
		       lv[i].jain, lv[i].worst, lv[i].overhead * 100);
	}
	for (i = 0; i < nl; i++)
		printf("%6d busy vGPUs: %.0f slices/s\n", lv[i].n,
		       lv[i].slices_s);
	return 0;
}
