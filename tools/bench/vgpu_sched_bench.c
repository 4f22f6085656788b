// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_sched_bench: what the vGPU scheduler costs and how fairly it shares
 * an engine, measured on a loaded vgpu.ko in a test VM:
 *
 *   1. aggregate GEMM throughput of 2 and 8 busy vGPUs sharing one engine
 *      against one vGPU alone doing the same total work, at 2 ms and 1 ms
 *      slices: the scheduling overhead;
 *   2. Jain's fairness index and the worst share error of 16 busy vGPUs of
 *      equal weight and of 8 with mixed weights, from busy_ns deltas;
 *   3. how far slices overrun their length, i.e. the preemption latency,
 *      from the debugfs file sched_samples (overrun_ns);
 *   4. doorbell to first execution of an idle vGPU (sched_samples wake_ns)
 *      on an idle device and beside 4 busy vGPUs;
 *   5. the time to create and to destroy 64 vGPUs through sysfs;
 *   6. quality of service: the shares of mixed tiers (guarantees, caps,
 *      weights) busy at once against what they promise, and the doorbell
 *      to first execution of a high-priority vGPU beside busy low-priority
 *      ones against the same without priorities.
 *
 * Usage: vgpu_sched_bench [-T TYPE] [-t S] [-r ROUNDS] [-w S] [-n PROBES]
 *			   [-c COUNT] [-p PARTS] [-H HOST] [-i] [-v]
 *
 * vgpu.ko must be loaded with a time-sliced type (-T) one partition of
 * which seats at least 16 vGPUs, with room for COUNT in all, and no vGPU
 * may exist yet; scripts/bench-sched.sh sets that up in a VM. A benchmark,
 * not a test: it stops only when the device or sysfs fails, and prints each
 * figure next to its target. It turns the watchdog off while it runs.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "vgpu_vfio.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PARENT		"/sys/class/vgpu/vgpu0"
#define MDEVS		"/sys/bus/mdev/devices"
#define SAMPLES		"/sys/kernel/debug/vgpu/vgpu0/sched_samples"
#define PARAMS		"/sys/module/vgpu/parameters"

/* vGPUs open for parts 1 to 4; the last one probes part 4. */
#define NV		16
#define PROBER		(NV - 1)
/* Window layout of each: ring, fence slot, GEMM operands. */
#define RING_ENTRIES	256u
#define FENCE_OFF	0x8000ULL
#define A_OFF		0x100000ULL
#define B_OFF		0x200000ULL
#define C_OFF		0x300000ULL
/* The work: GEMM commands of GM x GN x GK int8 multiply-accumulates. */
#define GM		64u
#define GN		64u
#define GK		4096u
#define GEMM_MACS	((double)GM * GN * GK)
/* The device's GEMM work unit: a 16 x 16 tile over 256 steps of k. */
#define UNIT_MACS	(16.0 * 16 * 256)
/* GEMMs queued per vGPU to keep it busy: more than any window runs. */
#define BUSY_QUEUE	200u
#define SETTLE_US	200000
#define WAIT_MS		120000
/* The slices measured in part 1; the first is the default, restored. */
#define NSLICE		2
#define NCONF		3
static const unsigned int slice_us[NSLICE] = { 2000, 1000 };
static const unsigned int conf_nv[NCONF] = { 1, 2, 8 };
/* Most rounds; samples the driver keeps of each kind; most we collect. */
#define MAX_ROUNDS	32
#define DRV_SAMPLES	4096
#define MAX_SAMPLES	65536
/* A gap in a thread spinning on the clock that counts as a vCPU stall. */
#define STALL_NS	50000ULL
#define STALL_SECS	1.0

/* Targets, and what published peers achieve. */
#define T_OVERHEAD_PCT	1.0
#define T_JAIN		0.99
#define T_SHARE_PP	2.0
#define T_QOS_PP	1.0
#define T_PEER_PCT	7.0

struct vg {
	char uuid[40];
	struct vgpu_dev *d;
	__u64 seq;
};

/* A distribution: how many, median, 99th percentile, largest, nonzero. */
struct pct {
	unsigned int n;
	double p50, p99, max, nonzero;
};

struct bench {
	const char *type;
	const char *host;
	bool icount;
	bool verbose;
	double run_s;
	double window_s;
	unsigned int rounds;
	unsigned int probes;
	unsigned int count;
	unsigned int parts;	/* bit N: run part N */
	struct vg v[NV];
	double rate;		/* MAC/s of one vGPU alone, best of three */
	double unit_us;		/* one work unit at that rate */
	unsigned int gemms;	/* GEMMs of one throughput run */
	struct pct overrun[NSLICE + 1];
	struct pct stall;	/* gaps seen by a thread spinning on the clock */
	double stall_lost;	/* per cent of its time */
	double stall_rate;	/* gaps per second */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Print "vgpu_sched_bench: @fmt(@arg): strerror(@err)" and exit. */
static void die(const char *fmt, const char *arg, int err)
{
	fprintf(stderr, "vgpu_sched_bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ": %s\n", strerror(err < 0 ? -err : err));
	exit(1);
}

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("%s", "out of memory", ENOMEM);
	return p;
}

/* A whole text file, NUL-terminated, to free(). */
static char *slurp(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = zalloc(cap, 1);
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot read %s", path, errno);
	for (;;) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (len < cap - 1)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			die("%s", "out of memory", ENOMEM);
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The first line of a sysfs file without its newline; 0 or -errno. */
static int attr_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/* Write @val to a sysfs file in one write(); 0 or -errno. */
static int attr_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	setvbuf(f, NULL, _IONBF, 0);
	if (fputs(val, f) < 0)
		ret = -errno;
	fclose(f);
	return ret;
}

static void set_attr(const char *path, const char *val)
{
	int ret = attr_write(path, val);

	if (ret)
		die("cannot write %s", path, ret);
}

/* A number from the vGPU's sysfs directory. */
static unsigned long long vnum(const struct vg *v, const char *name)
{
	char path[160], buf[64];
	int ret;

	snprintf(path, sizeof(path), MDEVS "/%s/vgpu/%s", v->uuid, name);
	ret = attr_read(path, buf, sizeof(buf));
	if (ret)
		die("cannot read %s", path, ret);
	return strtoull(buf, NULL, 0);
}

static void vset(const struct vg *v, const char *name, unsigned int val)
{
	char path[160], buf[16];

	snprintf(path, sizeof(path), MDEVS "/%s/vgpu/%s", v->uuid, name);
	snprintf(buf, sizeof(buf), "%u", val);
	set_attr(path, buf);
}

static void set_slice(unsigned int us)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", us);
	set_attr(PARENT "/timeslice_us", buf);
}

static void new_uuid(char *out)
{
	int ret = attr_read("/proc/sys/kernel/random/uuid", out, 40);

	if (ret)
		die("%s", "cannot make a UUID", ret);
}

static int create_vgpu(const char *type, const char *uuid)
{
	char path[160];

	snprintf(path, sizeof(path),
		 PARENT "/mdev_supported_types/vgpu-%s/create", type);
	return attr_write(path, uuid);
}

static int remove_vgpu(const char *uuid)
{
	char path[160];

	snprintf(path, sizeof(path), MDEVS "/%s/remove", uuid);
	return attr_write(path, "1");
}

static void die_dev(struct vg *v, const char *what, int ret)
{
	fprintf(stderr,
		"vgpu_sched_bench: vGPU %s: %s: %s; ERR_CODE %u, ERR_INDEX %u\n",
		v->uuid, what, strerror(-ret),
		vgpu_read32(v->d, VGPU_REG_ERR_CODE),
		vgpu_read32(v->d, VGPU_REG_ERR_INDEX));
	exit(1);
}

static void ring_setup(struct vg *v)
{
	int ret = vgpu_ring_init(v->d, 0, RING_ENTRIES);

	if (ret)
		die_dev(v, "ring", ret);
	v->seq = 0;
}

/* Queue @n GEMMs, then a fence that interrupts if @fence; no doorbell. */
static void put_gemms(struct vg *v, unsigned int n, bool fence)
{
	struct vgpu_cmd c = vgpu_cmd_gemm(A_OFF, B_OFF, C_OFF, GM, GN, GK);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = vgpu_ring_put(v->d, &c, 1);
	if (!ret && fence) {
		c = vgpu_cmd_fence(FENCE_OFF, ++v->seq, true);
		ret = vgpu_ring_put(v->d, &c, 1);
	}
	if (ret)
		die_dev(v, "ring", ret);
}

static void doorbell(struct vg *v)
{
	int ret = vgpu_ring_doorbell(v->d);

	if (ret)
		die_dev(v, "doorbell", ret);
}

/*
 * Wait until the fence value &vg.seq lands in the window, asleep on the
 * completion interrupt. No register is read: a register access waits for
 * the vGPU's lock, which its engine holds through every work unit and
 * takes again at once, so reading FENCE of a running vGPU stalls (spinning)
 * for many units and slows the engine down.
 */
static void wait_fence(struct vg *v)
{
	const __u64 *slot = (const __u64 *)((char *)v->d->window + FENCE_OFF);
	struct pollfd pfd[2] = {
		{ .fd = v->d->irq_fd[VGPU_MSIX_COMPLETION], .events = POLLIN },
		{ .fd = v->d->irq_fd[VGPU_MSIX_ERROR], .events = POLLIN },
	};
	__u64 start = now_ns();

	while (__atomic_load_n(slot, __ATOMIC_ACQUIRE) < v->seq) {
		if (poll(pfd, 2, 100) > 0) {
			if (pfd[1].revents & POLLIN)
				die_dev(v, "fence", -EIO);
			vgpu_irq_drain(v->d, VGPU_MSIX_COMPLETION);
		}
		if (now_ns() - start > WAIT_MS * 1000000ULL)
			die_dev(v, "fence", -ETIMEDOUT);
	}
}

/* Keep vGPUs [0, @n) busy with more work than anything here runs. */
static void make_busy(struct bench *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		put_gemms(&b->v[i], BUSY_QUEUE, false);
		doorbell(&b->v[i]);
	}
}

/* Drop the work queued on vGPUs [0, @n): a reset, then a fresh ring. */
static void make_idle(struct bench *b, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = vgpu_reset(b->v[i].d);
		if (ret)
			die_dev(&b->v[i], "reset", ret);
		ring_setup(&b->v[i]);
	}
}

/* Create, open and prepare NV vGPUs, all in one partition. */
static void open_all(struct bench *b)
{
	unsigned int i;
	int ret;

	for (i = 0; i < NV; i++) {
		struct vg *v = &b->v[i];

		new_uuid(v->uuid);
		ret = create_vgpu(b->type, v->uuid);
		if (ret)
			die("cannot create a vGPU of type %s", b->type, ret);
		ret = vgpu_dev_open(v->uuid, &v->d);
		if (ret)
			die("cannot open vGPU %s", v->uuid, ret);
		ring_setup(v);
		memset((char *)v->d->window + A_OFF, 1, GM * GK);
		memset((char *)v->d->window + B_OFF, 1, GK * GN);
		if (vnum(v, "partition") != vnum(&b->v[0], "partition"))
			die("type %s seats fewer than 16 vGPUs per partition",
			    b->type, EINVAL);
	}
}

/* Close and remove them. */
static void close_all(struct bench *b)
{
	unsigned int i;
	int ret;

	for (i = 0; i < NV; i++) {
		vgpu_dev_close(b->v[i].d);
		b->v[i].d = NULL;
		ret = remove_vgpu(b->v[i].uuid);
		if (ret)
			die("cannot remove vGPU %s", b->v[i].uuid, ret);
	}
}

/*
 * Fresh vGPUs: a vGPU keeps the virtual time it was charged, so one charged
 * for a long stall is passed over until the others catch up. Each fairness
 * and latency case starts from new vGPUs to be measured on its own.
 */
static void renew_all(struct bench *b)
{
	close_all(b);
	open_all(b);
}

/* ---- statistics ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void sort(double *x, unsigned int n)
{
	qsort(x, n, sizeof(*x), cmp_double);
}

/* Nearest-rank percentile @p of @n sorted values. */
static double rank(const double *x, unsigned int n, unsigned int p)
{
	unsigned int i = (n * p + 99) / 100;

	return n ? x[i ? i - 1 : 0] : 0;
}

/* Sorts @x. */
static struct pct percentiles(double *x, unsigned int n)
{
	struct pct r = { .n = n };
	unsigned int i;

	sort(x, n);
	r.p50 = rank(x, n, 50);
	r.p99 = rank(x, n, 99);
	r.max = n ? x[n - 1] : 0;
	for (i = 0; i < n; i++)
		r.nonzero += x[i] > 0;
	return r;
}

/* Sorts @x. */
static double median(double *x, unsigned int n)
{
	sort(x, n);
	return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/*
 * The distribution-free confidence interval of the median of @n sorted
 * values: [x(k), x(n + 1 - k)] with the largest k for which a binomial
 * (n, 1/2) variable stays below k with at most 2.5% probability (at least
 * k = 1, the whole range, which for n < 6 covers less than 95%).
 */
static void median_ci(const double *x, unsigned int n, double *lo,
		      double *hi)
{
	double p = 1, tail = 0, c = 1;
	unsigned int i, k = 1;

	for (i = 0; i < n; i++)
		p /= 2;
	for (i = 0; i < n / 2; i++) {
		tail += c * p;
		if (tail > 0.025)
			break;
		k = i + 1;
		c = c * (n - i) / (i + 1);
	}
	*lo = x[k - 1];
	*hi = x[n - k];
}

static double jain(const double *x, unsigned int n)
{
	double s = 0, s2 = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		s += x[i];
		s2 += x[i] * x[i];
	}
	return s2 ? s * s / (n * s2) : 0;
}

static const char *verdict(bool met)
{
	return met ? "met" : "NOT met";
}

/* ---- scheduler samples (debugfs) ----------------------------------------- */

static void clear_samples(void)
{
	set_attr(SAMPLES, "0");
}

/*
 * The samples of line @name ("overrun_ns", "wake_ns" or "wake_picks"),
 * each divided by @unit (1e3: nanoseconds to microseconds), into @out;
 * returns how many, at most @max (none if the driver has no such line).
 */
static unsigned int read_samples(const char *name, double unit, double *out,
				 unsigned int max)
{
	char *text = slurp(SAMPLES), *line, *save = NULL, *tok;
	size_t len = strlen(name);
	unsigned int n = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *save2 = NULL;

		if (strncmp(line, name, len) || line[len] != ' ')
			continue;
		for (tok = strtok_r(line + len, " ", &save2); tok && n < max;
		     tok = strtok_r(NULL, " ", &save2))
			out[n++] = strtod(tok, NULL) / unit;
	}
	free(text);
	return n;
}

/* ---- 1. throughput -------------------------------------------------------- */

/*
 * One throughput run: MMAC/s, slices per second, engine busy per cent, and
 * this process's own CPU time per cent of the run.
 */
struct run {
	double mmacs, sps, busy, self;
};

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

/*
 * vGPUs [0, @n) share @gemms GEMMs equally, each with a fence at the end,
 * all queued before the clock starts; it stops when the last fence is seen.
 */
static struct run run_work(struct bench *b, unsigned int n,
			   unsigned int gemms)
{
	unsigned long long s0[NV], b0[NV];
	double slices = 0, busy = 0, secs, self;
	unsigned int i;
	__u64 t;

	for (i = 0; i < n; i++) {
		s0[i] = vnum(&b->v[i], "slices");
		b0[i] = vnum(&b->v[i], "busy_ns");
		put_gemms(&b->v[i], gemms / n, true);
	}
	self = cpu_ns();
	t = now_ns();
	for (i = 0; i < n; i++)
		doorbell(&b->v[i]);
	for (i = 0; i < n; i++)
		wait_fence(&b->v[i]);
	t = now_ns() - t;
	self = cpu_ns() - self;
	secs = t / 1e9;
	for (i = 0; i < n; i++) {
		slices += vnum(&b->v[i], "slices") - s0[i];
		busy += vnum(&b->v[i], "busy_ns") - b0[i];
	}
	return (struct run){
		.mmacs = gemms * GEMM_MACS / secs / 1e6,
		.sps = slices / secs,
		.busy = busy / t * 100,
		.self = self / t * 100,
	};
}

/* One vGPU's rate, and a run of about &bench.run_s at that rate. */
static void calibrate(struct bench *b)
{
	unsigned int g, i;

	run_work(b, 1, 1);
	for (i = 0; i < 3; i++) {
		double r = run_work(b, 1, 4).mmacs * 1e6;

		if (r > b->rate)
			b->rate = r;
	}
	b->unit_us = UNIT_MACS / b->rate * 1e6;
	g = (unsigned int)(b->run_s * b->rate / GEMM_MACS / 8 + 0.5) * 8;
	if (g < 8)
		g = 8;
	if (g > (RING_ENTRIES - 8) / 8 * 8)
		g = (RING_ENTRIES - 8) / 8 * 8;
	b->gemms = g;
}

/* Median of field @off of @n runs. */
static double run_median(const struct run *res, unsigned int n, size_t off)
{
	double x[MAX_ROUNDS];
	unsigned int r;

	for (r = 0; r < n; r++)
		x[r] = *(const double *)((const char *)&res[r] + off);
	return median(x, n);
}

/*
 * One table row per configuration of slice @s. Returns whether N vGPUs
 * were faster than one alone beyond the noise and the target's size,
 * which sharing cannot explain.
 */
static bool print_throughput(struct bench *b, unsigned int s,
			     struct run (*res)[MAX_ROUNDS])
{
	unsigned int k, r, n = b->rounds;
	double x[MAX_ROUNDS];
	bool odd = false;

	for (k = 0; k < NCONF; k++) {
		double best = 0, lo, hi;
		bool target = conf_nv[k] == 8 && s == 0;

		for (r = 0; r < n; r++)
			if (res[k][r].mmacs > best)
				best = res[k][r].mmacs;
		printf("   %4.1f ms %5u %8.1f %8.1f %9.0f %8.1f%%",
		       slice_us[s] / 1e3, conf_nv[k],
		       run_median(res[k], n, offsetof(struct run, mmacs)),
		       best,
		       run_median(res[k], n, offsetof(struct run, sps)),
		       run_median(res[k], n, offsetof(struct run, busy)));
		if (!k) {
			printf("   %s\n", "reference");
			continue;
		}
		for (r = 0; r < n; r++)
			x[r] = (1 - res[k][r].mmacs / res[0][r].mmacs) * 100;
		sort(x, n);
		median_ci(x, n, &lo, &hi);
		printf(" %8.2f%%  [%6.2f, %6.2f]  %s%s\n", median(x, n), lo,
		       hi, !target ? "" : hi < T_OVERHEAD_PCT ? "met" :
		       lo >= T_OVERHEAD_PCT ? "NOT met" : "within noise",
		       hi < -T_OVERHEAD_PCT ? " (*)" : "");
		odd |= hi < -T_OVERHEAD_PCT;
	}
	return odd;
}

static void part_throughput(struct bench *b)
{
	static struct run res[NSLICE][NCONF][MAX_ROUNDS];
	static double ov[NSLICE][MAX_SAMPLES];
	unsigned int no[NSLICE] = { 0 };
	unsigned int s, r, k, j;
	bool odd = false;

	/* Each round runs all six, starting one further on than the last. */
	for (r = 0; r < b->rounds; r++)
		for (j = 0; j < NSLICE * NCONF; j++) {
			unsigned int c = (j + r) % (NSLICE * NCONF);
			struct run *x;

			s = c / NCONF;
			k = c % NCONF;
			set_slice(slice_us[s]);
			if (conf_nv[k] == 8)
				clear_samples();
			x = &res[s][k][r];
			*x = run_work(b, conf_nv[k], b->gemms);
			if (conf_nv[k] == 8)
				no[s] += read_samples("overrun_ns", 1e3,
						      ov[s] + no[s],
						      MAX_SAMPLES - no[s]);
			if (b->verbose)
				fprintf(stderr,
					"round %u: %u us slices, %u vGPUs: %.1f MMAC/s, %.0f slices/s, engine busy %.1f%%, own CPU %.1f%%\n",
					r, slice_us[s], conf_nv[k], x->mmacs,
					x->sps, x->busy, x->self);
		}
	set_slice(slice_us[0]);
	for (s = 0; s < NSLICE; s++)
		b->overrun[s] = percentiles(ov[s], no[s]);

	printf("\n1. Scheduling overhead (target: < %.0f%% at 2 ms slices, 8 vGPUs)\n"
	       "   The same total work, %u GEMMs (%.0f M MAC), done by one vGPU alone or\n"
	       "   split evenly over N busy vGPUs (the others idle); %u rounds of the six\n"
	       "   runs, each round in a rotated order. Overhead = 1 - MAC/s(N) /\n"
	       "   MAC/s(alone) of the same round: median and its ~95%% confidence\n"
	       "   interval. Engine busy = sum of busy_ns / elapsed time. Columns are\n"
	       "   medians over the rounds but \"best\", the best round.\n\n",
	       T_OVERHEAD_PCT, b->gemms, b->gemms * GEMM_MACS / 1e6,
	       b->rounds);
	printf("   %-7s %5s %8s %8s %9s %9s %9s  %-16s  %s\n", "slice",
	       "vGPUs", "MMAC/s", "best", "slices/s", "eng busy", "overhead",
	       "[95% CI]", "verdict");
	for (s = 0; s < NSLICE; s++)
		odd |= print_throughput(b, s, res[s]);
	if (odd)
		printf("   (*) sharing was faster than running alone beyond the noise: the\n"
		       "   runs differed in something other than scheduling (the host?);\n"
		       "   scripts/bench-sched.sh --icount measures without the host\n");
}

/* ---- 2. fairness ---------------------------------------------------------- */

struct fair {
	double jain, worst_pp, worst_rel, busy, secs;
	double share[NV], expect[NV];
};

/*
 * vGPUs [0, @n) with weights @w all busy for &bench.window_s at the default
 * slice; shares from their busy_ns deltas. Overrun samples of the window go
 * to @overrun.
 */
static struct fair fairness(struct bench *b, unsigned int n,
			    const unsigned int *w, struct pct *overrun)
{
	static double ov[DRV_SAMPLES];
	unsigned long long b0[NV], b1[NV], s0[NV], s1[NV];
	double busy[NV], norm[NV], total = 0, wsum = 0;
	struct fair f = { 0 };
	unsigned int i;
	__u64 t;

	for (i = 0; i < n; i++) {
		vset(&b->v[i], "weight", w[i]);
		wsum += w[i];
		b0[i] = vnum(&b->v[i], "busy_ns");
		s0[i] = vnum(&b->v[i], "slices");
	}
	make_busy(b, n);
	usleep(SETTLE_US);
	clear_samples();
	for (i = 0; i < n; i++) {
		b1[i] = vnum(&b->v[i], "busy_ns");
		s1[i] = vnum(&b->v[i], "slices");
	}
	t = now_ns();
	usleep(b->window_s * 1e6);
	for (i = 0; i < n; i++)
		busy[i] = vnum(&b->v[i], "busy_ns") - b1[i];
	t = now_ns() - t;
	*overrun = percentiles(ov, read_samples("overrun_ns", 1e3, ov,
						DRV_SAMPLES));
	for (i = 0; b->verbose && i < n; i++)
		fprintf(stderr,
			"vGPU %u, weight %u: settling %.1f ms in %llu slices; window %.1f ms in %llu slices; longest overrun %.0f us\n",
			i, w[i], (b1[i] - b0[i]) / 1e6, s1[i] - s0[i],
			busy[i] / 1e6, vnum(&b->v[i], "slices") - s1[i],
			overrun->max);
	make_idle(b, n);
	for (i = 0; i < n; i++) {
		vset(&b->v[i], "weight", 10);
		total += busy[i];
	}
	if (!total)
		die("%s", "no vGPU ran in the fairness window", EIO);
	for (i = 0; i < n; i++) {
		double err;

		f.share[i] = busy[i] / total;
		f.expect[i] = w[i] / wsum;
		norm[i] = f.share[i] / f.expect[i];
		err = (f.share[i] - f.expect[i]) * 100;
		err = err < 0 ? -err : err;
		if (err > f.worst_pp)
			f.worst_pp = err;
		if (err / f.expect[i] > f.worst_rel)
			f.worst_rel = err / f.expect[i];
	}
	f.jain = jain(norm, n);
	f.secs = t / 1e9;
	f.busy = total / t * 100;
	return f;
}

static void print_fair(const char *name, const struct fair *f, bool jt)
{
	printf("   %-24s %7.4f  %-8s %6.2f pp %8.1f%%   %-8s %8.1f%%\n", name,
	       f->jain, jt ? verdict(f->jain >= T_JAIN) : "", f->worst_pp,
	       f->worst_rel, verdict(f->worst_pp < T_SHARE_PP), f->busy);
}

static void part_fairness(struct bench *b)
{
	static const unsigned int mixed[8] = { 1, 2, 5, 10, 20, 30, 50, 100 };
	unsigned int equal[NV], i;
	struct fair fe, fm;
	struct pct unused;

	for (i = 0; i < NV; i++)
		equal[i] = 10;
	renew_all(b);
	fe = fairness(b, NV, equal, &b->overrun[NSLICE]);
	renew_all(b);
	fm = fairness(b, 8, mixed, &unused);

	printf("\n2. Fairness (targets: Jain >= %.2f with 16 vGPUs, share error < %.0f pp)\n"
	       "   Every vGPU busy for %.1f s at 2 ms slices (best_effort), each case on\n"
	       "   new vGPUs; shares from busy_ns deltas. Jain's index is taken over\n"
	       "   measured / expected share (1 = exact). Share error = |measured -\n"
	       "   expected share| in points of the engine's time (pp; the target),\n"
	       "   and relative to the expected share (published peers: within %.0f%%).\n\n",
	       T_JAIN, T_SHARE_PP, fe.secs, T_PEER_PCT);
	printf("   %-24s %7s  %-8s %9s %9s   %-8s %9s\n", "case", "Jain",
	       "verdict", "worst err", "relative", "verdict", "eng busy");
	print_fair("16 vGPUs, equal weights", &fe, true);
	print_fair("8 vGPUs, weights 1..100", &fm, false);
	printf("\n   %-9s", "weight");
	for (i = 0; i < 8; i++)
		printf(" %7u", mixed[i]);
	printf("\n   %-9s", "expected");
	for (i = 0; i < 8; i++)
		printf(" %6.2f%%", fm.expect[i] * 100);
	printf("\n   %-9s", "measured");
	for (i = 0; i < 8; i++)
		printf(" %6.2f%%", fm.share[i] * 100);
	printf("\n");
}

/* ---- 3. overrun ----------------------------------------------------------- */

static void part_overrun(struct bench *b)
{
	static const char *const name[NSLICE + 1] = {
		"8 busy, 2 ms slices", "8 busy, 1 ms slices",
		"16 busy, 2 ms slices",
	};
	bool missed = false;
	unsigned int i;

	printf("\n3. Slice overrun = preemption latency (target: p99 <= 1 work unit, ~%.0f us)\n"
	       "   A vGPU is preempted between work units (16x16x256 MAC each), and a\n"
	       "   unit is not started when the previous one says it would end past\n"
	       "   the slice. From sched_samples overrun_ns, cleared before each busy\n"
	       "   run (the runs of part 1, and the 16-vGPU run of part 2).\n\n",
	       b->unit_us);
	printf("   %-22s %7s %8s %9s %9s %9s  %s\n", "run", "slices",
	       "overran", "p50 us", "p99 us", "max us", "verdict");
	for (i = 0; i <= NSLICE; i++) {
		const struct pct *p = &b->overrun[i];

		printf("   %-22s %7u %7.1f%% %9.1f %9.1f %9.1f  %s\n", name[i],
		       p->n, p->n ? p->nonzero * 100 / p->n : 0, p->p50,
		       p->p99, p->max, verdict(p->p99 <= b->unit_us));
		missed |= p->p99 > b->unit_us;
	}
	if (missed && !b->icount && b->stall.p99 > b->unit_us)
		printf("   Here a vCPU itself stalls for up to %.0f us (p99; see \"stalls\"\n"
		       "   above), and a stall inside a unit lengthens it by as much.\n",
		       b->stall.p99);
}

/* ---- 4. wake-up latency --------------------------------------------------- */

/*
 * &bench.probes times: sleep 1-3 ms, then NOP + FENCE on the prober and
 * wait for the fence as the VFIO library does: asleep on the completion
 * interrupt if @irq, else polling FENCE (spinning for 1 ms, then backing
 * off). Prints the wake samples, the slices the others got first, and the
 * round trips.
 */
static void probe(struct bench *b, const char *name, bool irq)
{
	double *wake = zalloc(b->probes, sizeof(double));
	double *rtt = zalloc(b->probes, sizeof(double));
	struct vg *v = &b->v[PROBER];
	unsigned int i, seed = 12345;
	struct pct w, o, r;

	v->d->wait_irq = irq;
	clear_samples();
	for (i = 0; i < b->probes; i++) {
		struct vgpu_cmd c[2] = {
			vgpu_cmd_nop(), vgpu_cmd_fence(FENCE_OFF, ++v->seq, irq)
		};
		__u64 t;
		int ret;

		seed = seed * 1103515245 + 12345;
		usleep(1000 + (seed >> 16) % 2000);
		ret = vgpu_ring_put(v->d, c, 2);
		if (ret)
			die_dev(v, "ring", ret);
		t = now_ns();
		doorbell(v);
		ret = vgpu_wait_fence(v->d, v->seq, WAIT_MS);
		if (ret)
			die_dev(v, "fence", ret);
		rtt[i] = (now_ns() - t) / 1e3;
	}
	w = percentiles(wake, read_samples("wake_ns", 1e3, wake, b->probes));
	o = percentiles(wake, read_samples("wake_picks", 1, wake, b->probes));
	r = percentiles(rtt, b->probes);
	printf("   %-14s %-4s %6u %8.1f %8.1f %9.1f  %5.0f %5.0f %5.0f  %7.1f %7.1f\n",
	       name, irq ? "irq" : "poll", w.n, w.p50, w.p99, w.max, o.p50,
	       o.p99, o.max, r.p50, r.p99);
	free(wake);
	free(rtt);
}

static void part_wake(struct bench *b)
{
	renew_all(b);
	printf("\n4. Doorbell to first execution of an idle vGPU (sched_samples wake_ns)\n"
	       "   NOP + FENCE after idle gaps of 1-3 ms, 2 ms slices. The prober sleeps\n"
	       "   on the completion interrupt (irq, as a VMM does) or polls FENCE\n"
	       "   (poll). Others' slices: slices given to other vGPUs first\n"
	       "   (sched_samples wake_picks). rt: doorbell to fence seen, as the\n"
	       "   prober sees it. Expected: idle, a thread wake-up; beside 4 busy\n"
	       "   vGPUs, at most a slice and a unit (%.0f us) and 0-1 slices to\n"
	       "   others. The engine signals the interrupt after the unit, outside\n"
	       "   the vGPU's lock and its charged time.\n\n",
	       slice_us[0] + b->unit_us);
	printf("   %27s %-28s %-19s %s\n", "", "wake_ns: doorbell to slice",
	       "others' slices", "rt");
	printf("   %-14s %-4s %6s %8s %8s %9s  %5s %5s %5s  %7s %7s\n", "device",
	       "wait", "probes", "p50 us", "p99 us", "max us", "p50", "p99",
	       "max", "p50 us", "p99 us");
	probe(b, "idle", true);
	probe(b, "idle", false);
	make_busy(b, 4);
	usleep(SETTLE_US);
	probe(b, "4 others busy", true);
	probe(b, "4 others busy", false);
	make_idle(b, 4);
}

/* ---- 6. quality of service ---------------------------------------------- */

/* One vGPU's tier: weight, cap and guarantee per mille (cap 1000: none). */
struct tier {
	const char *name;
	unsigned int weight, cap, guarantee;
};

/*
 * What the tiers promise when all are busy, per mille of the elapsed time
 * when the engine's charged time is @busy per mille of it: each its
 * guarantee plus its weight's part of what the guarantees leave of @busy,
 * caps clipping and what they clip going to the others by weight. (Caps
 * and guarantees are shares of elapsed time; the scheduler's own time
 * comes out of what the weights share.)
 */
static void qos_promise(const struct tier *t, unsigned int n, double busy,
			double *want)
{
	bool fixed[NV] = { false };
	double left = busy, wsum;
	unsigned int i;
	bool again = true;

	for (i = 0; i < n; i++)
		left -= t[i].guarantee;
	while (again) {
		again = false;
		wsum = 0;
		for (i = 0; i < n; i++)
			if (!fixed[i])
				wsum += t[i].weight;
		for (i = 0; i < n; i++) {
			if (fixed[i])
				continue;
			want[i] = t[i].guarantee + left * t[i].weight / wsum;
			if (want[i] > t[i].cap) {
				want[i] = t[i].cap;
				fixed[i] = true;
				left -= t[i].cap - t[i].guarantee;
				again = true;
				break;
			}
		}
	}
}

static void qos_shares(struct bench *b)
{
	static const struct tier tiers[] = {
		{ "guaranteed 30 %", 10, 1000, 300 },
		{ "guaranteed 20 %", 10, 1000, 200 },
		{ "burstable, cap 15 %", 40, 150, 0 },
		{ "capped 5 %", 100, 50, 0 },
		{ "best effort", 10, 1000, 0 },
		{ "best effort, w 20", 20, 1000, 0 },
	};
	const unsigned int n = ARRAY_SIZE(tiers);
	unsigned long long b0[NV];
	double want[NV], got[NV], worst = 0, sum = 0;
	unsigned int i;
	__u64 t;

	renew_all(b);
	for (i = 0; i < n; i++) {
		vset(&b->v[i], "weight", tiers[i].weight);
		vset(&b->v[i], "cap_permille", tiers[i].cap);
		vset(&b->v[i], "guarantee_permille", tiers[i].guarantee);
	}
	make_busy(b, n);
	usleep(SETTLE_US);
	t = now_ns();
	for (i = 0; i < n; i++)
		b0[i] = vnum(&b->v[i], "busy_ns");
	usleep(b->window_s * 1e6);
	for (i = 0; i < n; i++)
		got[i] = vnum(&b->v[i], "busy_ns") - b0[i];
	t = now_ns() - t;
	make_idle(b, n);
	for (i = 0; i < n; i++)
		sum += got[i] / t * 1000;
	qos_promise(tiers, n, sum, want);
	printf("\n6. Quality of service (target: every share within %.0f pp of its promise)\n"
	       "   Mixed tiers busy at once for %.1f s on one engine (best_effort, 2 ms\n"
	       "   slices). Promise: the guarantee, plus the weight's part of what the\n"
	       "   guarantees leave, caps clipping and what they clip going to the\n"
	       "   others by weight. Shares of the elapsed time, from busy_ns deltas;\n"
	       "   caps and guarantees are of elapsed time, the weights share what the\n"
	       "   engine ran (\"engine busy\": the rest is the scheduler's own time).\n\n",
	       T_QOS_PP, t / 1e9);
	printf("   %-22s %6s %5s %6s %9s %9s %8s  %s\n", "tier", "weight", "cap",
	       "guar.", "promised", "measured", "error", "verdict");
	for (i = 0; i < n; i++) {
		double share = got[i] / t * 100, err = share - want[i] / 10;
		double abs_err = err < 0 ? -err : err;

		worst = abs_err > worst ? abs_err : worst;
		printf("   %-22s %6u %5u %6u %8.2f%% %8.2f%% %5.2f pp  %s\n",
		       tiers[i].name, tiers[i].weight, tiers[i].cap,
		       tiers[i].guarantee, want[i] / 10, share, err,
		       verdict(abs_err < T_QOS_PP));
	}
	printf("   %-22s %6s %5s %6s %9s %8.2f%%  worst %.2f pp  %s\n", "engine busy",
	       "", "", "", "", sum / 10, worst, verdict(worst < T_QOS_PP));
}

static void set_prio(struct bench *b, unsigned int i, const char *prio)
{
	char path[160];

	snprintf(path, sizeof(path), MDEVS "/%s/vgpu/priority",
		 b->v[i].uuid);
	set_attr(path, prio);
}

static void qos_latency(struct bench *b)
{
	unsigned long long cut = 0;
	unsigned int i;

	renew_all(b);
	printf("\n   Doorbell to first execution of the prober (as in part 4) beside 4\n"
	       "   busy vGPUs, all of normal priority, then the prober high and the\n"
	       "   busy ones low: its doorbell preempts a running slice at the next\n"
	       "   work unit (~%.0f us) instead of waiting for it (2 ms).\n\n",
	       b->unit_us);
	printf("   %27s %-28s %-19s %s\n", "", "wake_ns: doorbell to slice",
	       "others' slices", "rt");
	printf("   %-14s %-4s %6s %8s %8s %9s  %5s %5s %5s  %7s %7s\n", "priority",
	       "wait", "probes", "p50 us", "p99 us", "max us", "p50", "p99",
	       "max", "p50 us", "p99 us");
	make_busy(b, 4);
	usleep(SETTLE_US);
	probe(b, "all normal", true);
	for (i = 0; i < 4; i++)
		set_prio(b, i, "low");
	set_prio(b, PROBER, "high");
	probe(b, "high vs low", true);
	for (i = 0; i < 4; i++)
		cut += vnum(&b->v[i], "prio_preemptions");
	printf("\n   Slices of the busy vGPUs cut short for the prober: %llu in %u probes\n"
	       "   (none when the doorbell came between two slices).\n", cut,
	       b->probes);
	make_idle(b, 4);
	for (i = 0; i < 4; i++)
		set_prio(b, i, "normal");
	set_prio(b, PROBER, "normal");
}

/* ---- 5. create and remove ------------------------------------------------- */

static void part_lifecycle(struct bench *b)
{
	char (*uuid)[40] = zalloc(b->count, sizeof(*uuid));
	double *ms = zalloc(b->count, sizeof(double));
	double total[2];
	struct pct p[2];
	unsigned int i, k;
	char path[160];

	snprintf(path, sizeof(path),
		 PARENT "/mdev_supported_types/vgpu-%s/available_instances",
		 b->type);
	if (attr_read(path, uuid[0], sizeof(uuid[0])) ||
	    strtoul(uuid[0], NULL, 0) < b->count) {
		printf("\n5. Lifecycle: skipped, type %s has room for %s vGPUs, not %u\n",
		       b->type, uuid[0], b->count);
		goto out;
	}
	for (k = 0; k < 2; k++) {
		__u64 t0 = now_ns();

		for (i = 0; i < b->count; i++) {
			__u64 t = now_ns();
			int ret;

			if (!k)
				new_uuid(uuid[i]);
			ret = k ? remove_vgpu(uuid[i]) :
				  create_vgpu(b->type, uuid[i]);
			if (ret)
				die(k ? "cannot remove vGPU %s" :
				    "cannot create vGPU %s", uuid[i], ret);
			ms[i] = (now_ns() - t) / 1e6;
		}
		total[k] = (now_ns() - t0) / 1e9;
		p[k] = percentiles(ms, b->count);
	}
	printf("\n5. Lifecycle: %u vGPUs of type %s created, then destroyed, one at a\n"
	       "   time through sysfs (create, remove); never opened\n\n",
	       b->count, b->type);
	printf("   %-8s %9s %13s %9s %9s\n", "", "total s", "per vGPU ms",
	       "p50 ms", "max ms");
	for (k = 0; k < 2; k++)
		printf("   %-8s %9.3f %13.2f %9.2f %9.2f\n",
		       k ? "destroy" : "create", total[k],
		       total[k] * 1e3 / b->count, p[k].p50, p[k].max);
out:
	free(uuid);
	free(ms);
}

/* ---- setup ---------------------------------------------------------------- */

/* The watchdog limits, and their values at start, restored at exit. */
static const char *const wd_attr[2] = {
	PARENT "/job_timeout_ms", PARENT "/preempt_timeout_us",
};

static char wd_saved[2][32];

static void watchdog_restore(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (wd_saved[i][0])
			attr_write(wd_attr[i], wd_saved[i]);
}

/*
 * The watchdog times work units by the clock, so a vCPU stall inside one
 * (frequent here, see vcpu_stalls()) would halt a vGPU: turn it off.
 */
static void watchdog_off(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (attr_read(wd_attr[i], wd_saved[i], sizeof(wd_saved[i])))
			die("cannot read %s", wd_attr[i], errno);
		set_attr(wd_attr[i], "0");
	}
	atexit(watchdog_restore);
}

/*
 * How much the guest's CPUs are held up (by the host or the emulator): spin
 * on the clock and note every gap above STALL_NS, a time this thread did
 * not run.
 */
static void vcpu_stalls(struct bench *b)
{
	static double gap[MAX_SAMPLES];
	__u64 start = now_ns(), last = start, t, lost = 0;
	unsigned int n = 0;

	do {
		t = now_ns();
		if (t - last > STALL_NS) {
			if (n < MAX_SAMPLES)
				gap[n++] = (t - last) / 1e3;
			lost += t - last;
		}
		last = t;
	} while (t - start < STALL_SECS * 1e9);
	b->stall = percentiles(gap, n);
	b->stall_lost = lost * 100.0 / (t - start);
	b->stall_rate = n / ((t - start) / 1e9);
}

static void param(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "/%s", name);
	if (attr_read(path, buf, len))
		snprintf(buf, len, "?");
}

static void header(struct bench *b)
{
	char mem[32], eng[32], prof[256], pol[32], part[64];
	struct utsname u;

	uname(&u);
	param("mem_size_mb", mem, sizeof(mem));
	param("num_engines", eng, sizeof(eng));
	param("profiles", prof, sizeof(prof));
	if (attr_read(PARENT "/sched_policy", pol, sizeof(pol)))
		snprintf(pol, sizeof(pol), "?");
	if (attr_read(PARENT "/partitions", part, sizeof(part)))
		snprintf(part, sizeof(part), "?");
	printf("vgpu scheduler benchmark\n"
	       "========================\n"
	       "guest    QEMU TCG: emulated CPUs, no KVM; %ld vCPUs, kernel %s\n"
	       "host     %s\n", sysconf(_SC_NPROCESSORS_ONLN), u.release,
	       b->host ? b->host : "not told (-H)");
	if (b->icount)
		printf("clock    QEMU -icount: guest time counts the instructions run, so\n"
		       "         host load does not show and runs repeat exactly; times are\n"
		       "         instruction times. The vCPUs take turns on one host thread,\n"
		       "         so wake-ups across vCPUs (part 4: rt, poll) show those turns\n");
	else
		printf("clock    real time: the host's load shows as noise of several %% from\n"
		       "         run to run and as vCPU stalls (below); compare the figures\n"
		       "         of one run with each other, not across hosts\n");
	printf("module   mem_size_mb=%s num_engines=%s profiles=%s\n"
	       "         policy %s; %u vGPUs of type %s in partition \"%s\"\n"
	       "         (index, engines, type, vGPUs/seats); watchdog off (job_timeout_ms\n"
	       "         %s, preempt_timeout_us %s before): a vCPU stall would trip it\n"
	       "work     GEMM int8 %ux%ux%u = %.1f M MAC per command; one vGPU alone\n"
	       "         runs %.1f MMAC/s, so one work unit takes ~%.0f us\n"
	       "stalls   a thread spinning on the clock for %.0f s did not run for %.1f%%\n"
	       "         of it: %.0f gaps/s > %llu us, p50 %.0f us, p99 %.0f us, max %.0f us\n",
	       mem, eng, prof, pol, NV, b->type, part, wd_saved[0],
	       wd_saved[1], GM, GN, GK, GEMM_MACS / 1e6, b->rate / 1e6,
	       b->unit_us, STALL_SECS,
	       b->stall_lost, b->stall_rate, STALL_NS / 1000, b->stall.p50,
	       b->stall.p99, b->stall.max);
}

static void help_exit(void)
{
	fprintf(stderr,
		"usage: vgpu_sched_bench [-T TYPE] [-t S] [-r ROUNDS] [-w S] [-n PROBES]\n"
		"                        [-c COUNT] [-p PARTS] [-H HOST] [-i] [-v]\n"
		"  -T  time-sliced vGPU type (default ts)\n"
		"  -t  seconds of one throughput run (default 0.8)\n"
		"  -r  rounds of throughput runs (default 13)\n"
		"  -w  fairness window in seconds (default 3)\n"
		"  -n  wake-up probes per case (default 300)\n"
		"  -c  vGPUs to create and destroy (default 64)\n"
		"  -p  parts to run, e.g. 2,6 (default all: 1-6)\n"
		"  -H  what the host is, for the report\n"
		"  -i  the guest clock counts instructions (QEMU -icount)\n"
		"  -v  print every throughput run on stderr\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = {
		.type = "ts", .run_s = 0.8, .rounds = 13, .window_s = 3.0,
		.probes = 300, .count = 64, .parts = ~0u,
	};
	char *tok;
	__u64 t0 = now_ns();
	int opt;

	while ((opt = getopt(argc, argv, "T:t:r:w:n:c:p:H:ivh")) != -1) {
		switch (opt) {
		case 'T':
			b.type = optarg;
			break;
		case 't':
			b.run_s = atof(optarg);
			break;
		case 'r':
			b.rounds = atoi(optarg);
			break;
		case 'w':
			b.window_s = atof(optarg);
			break;
		case 'n':
			b.probes = atoi(optarg);
			break;
		case 'c':
			b.count = atoi(optarg);
			break;
		case 'p':
			b.parts = 0;
			for (tok = strtok(optarg, ","); tok;
			     tok = strtok(NULL, ","))
				b.parts |= 1u << (atoi(tok) & 31);
			break;
		case 'H':
			b.host = optarg;
			break;
		case 'i':
			b.icount = true;
			break;
		case 'v':
			b.verbose = true;
			break;
		default:
			help_exit();
		}
	}
	if (optind != argc || b.run_s <= 0 || b.rounds < 1 ||
	    b.rounds > MAX_ROUNDS || b.window_s <= 0 || b.probes < 1 ||
	    b.probes > DRV_SAMPLES || b.count < 1)
		help_exit();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(SAMPLES, W_OK))
		die("%s", SAMPLES, errno);
	watchdog_off();
	vcpu_stalls(&b);
	open_all(&b);
	set_slice(slice_us[0]);
	calibrate(&b);
	header(&b);
	if (b.parts & (1u << 1))
		part_throughput(&b);
	if (b.parts & (1u << 2))
		part_fairness(&b);
	if (b.parts & (1u << 3))
		part_overrun(&b);
	if (b.parts & (1u << 4))
		part_wake(&b);
	if (b.parts & (1u << 6)) {
		qos_shares(&b);
		qos_latency(&b);
	}
	close_all(&b);
	if (b.parts & (1u << 5))
		part_lifecycle(&b);
	printf("\ntotal %.0f s in the guest\n", (now_ns() - t0) / 1e9);
	return 0;
}
