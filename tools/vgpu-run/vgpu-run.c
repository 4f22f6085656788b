// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu-run: run a workload on a vGPU through the guest driver and check
 * every result against the CPU.
 *
 * Usage: vgpu-run [-d DEV [-d DEV]] [-w copy|fill|gemm|crc|mix|peer] [-s SIZE]
 *                 [-g M[xNxK]] [-t SECONDS | -n JOBS] [-j DEPTH] [-r REPEAT]
 *                 [-S SEED] [-q]
 *
 * It keeps DEPTH jobs queued (default 4): while the device runs some, the
 * CPU checks the one that finished and prepares the next. Each job is one
 * command on fresh data:
 *
 *   copy  COPY of SIZE bytes of random data from one BO to another
 *   fill  FILL of SIZE bytes with a random 32-bit pattern
 *   crc   CRC32C of SIZE bytes of random data
 *   gemm  GEMM_I8 of random int8 matrices, M x N x K (default 64x64x64)
 *   mix   the four in turn
 *   peer  GEMM split across two vGPUs of one peer group, joined with
 *         PEER_COPY (peer.c; -d twice, or the first two vGPUs that share a
 *         group), one iteration at a time
 *
 * With -r REPEAT a job holds its command REPEAT times (up to the driver's
 * per-job limit). Every command is idempotent (outputs never overlap
 * inputs), so the result is checked once, but the device does REPEAT times
 * the work: this keeps the vGPU busy when preparing and checking data on
 * the CPU is the bottleneck (as in a nested, emulated guest).
 *
 * It prints progress once a second (not with -q), then for mix one line per
 * workload
 *
 *   WORKLOAD name=<w> jobs=<n> throughput=<f> <unit>
 *
 * and at the end exactly one line
 *
 *   RESULT device=<pci name> profile=<n> window_mib=<n> workload=<w>
 *          jobs=<n> verified=<yes|no> job_errors=<n> seconds=<f>
 *          throughput=<f> <unit>
 *
 * (on one line). The unit is MiB/s for copy, fill and crc, MMAC/s for gemm
 * and jobs/s for mix. jobs counts the jobs that finished; verified is yes if
 * at least one did and every one completed and matched the CPU. The exit
 * status is 0 only then. SIGINT or SIGTERM stops submitting: the jobs in
 * flight are waited for and checked, and the result printed as usual (a
 * second signal kills the program).
 *
 * A workload's throughput is its work over the run's wall time; in mix, a
 * workload's work is divided by the device time of its jobs instead: the
 * time from a job's submission, or the previous job's end if later, to the
 * job's end (jobs finish in order).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libvgpu.h"
#include "peer.h"
#include "rng.h"

#define MIB		0x100000ULL
#define NSEC_PER_SEC	1000000000ULL

#define DEFAULT_SIZE	MIB
#define DEFAULT_DIM	64u
#define DEFAULT_DEPTH	4u
#define MAX_DEPTH	64u
#define DEFAULT_SECONDS	10.0
#define DEFAULT_SEED	0x5eedULL
/* A job that has not finished after this long is taken as hung. */
#define JOB_TIMEOUT_NS	(300 * NSEC_PER_SEC)

enum workload { WL_COPY, WL_FILL, WL_GEMM, WL_CRC, WL_NR, WL_MIX = WL_NR,
		WL_PEER };

static const char *const wl_names[] = {
	[WL_COPY] = "copy", [WL_FILL] = "fill", [WL_GEMM] = "gemm",
	[WL_CRC] = "crc", [WL_MIX] = "mix", [WL_PEER] = "peer",
};

/**
 * struct wl_stats - what one workload did
 * @jobs: jobs that finished
 * @work: bytes (copy, fill, crc) or multiply-accumulates (gemm) of the
 *	jobs that completed
 * @busy_ns: device time of those jobs (see the file comment)
 */
struct wl_stats {
	__u64 jobs;
	__u64 work;
	__u64 busy_ns;
};

/**
 * struct slot - the BOs and data of one job in flight
 * @in: source BO (copy, crc, gemm A and B)
 * @out: destination BO (copy, fill, crc result, gemm C)
 * @shadow: what was written to @in, kept in ordinary memory
 * @wl: workload of the job
 * @job_id: the job's id
 * @submit_ns: when it was submitted
 * @pattern: FILL pattern
 * @crc: CRC32C the job must produce
 */
struct slot {
	struct vgpu_bo in, out;
	unsigned char *shadow;
	enum workload wl;
	__u32 job_id;
	__u64 submit_ns;
	__u32 pattern;
	__u32 crc;
};

/**
 * struct run - the whole run
 * @dev: the device
 * @workload: what -w chose
 * @size: bytes per copy, fill or crc job
 * @m: GEMM rows of A and C
 * @n: GEMM columns of B and C
 * @k: GEMM columns of A and rows of B
 * @max_jobs: -n, 0 for no limit
 * @max_ns: -t in ns, 0 for no limit
 * @depth: jobs kept in flight
 * @repeat: copies of the command in each job
 * @quiet: -q
 * @rng: state of the random numbers
 * @slots: @depth of them; job number j uses slot j % @depth
 * @gemm_ref: the CPU's C
 * @submitted: jobs submitted
 * @finished: jobs finished
 * @job_errors: jobs that finished with an error
 * @mismatches: jobs whose result differed from the CPU's
 * @fatal: an ioctl failed or a job hung: the run stops
 * @start_ns: first submission
 * @end_ns: when the last wait returned
 * @last_done_ns: end of the last job, as the driver saw it
 * @next_report_ns: when to print progress next
 * @stats: per workload
 */
struct run {
	struct vgpu_accel dev;
	enum workload workload;
	__u64 size;
	__u32 m, n, k;
	__u64 max_jobs;
	__u64 max_ns;
	__u32 repeat;
	unsigned int depth;
	bool quiet;
	__u64 rng;
	struct slot *slots;
	__s32 *gemm_ref;
	__u64 submitted;
	__u64 finished;
	__u64 job_errors;
	__u64 mismatches;
	bool fatal;
	__u64 start_ns;
	__u64 end_ns;
	__u64 last_done_ns;
	__u64 next_report_ns;
	struct wl_stats stats[WL_NR];
};

/* Set by SIGINT or SIGTERM; lock-free, so safe in a signal handler. */
static int stop_requested;

static void on_signal(int sig)
{
	__atomic_store_n(&stop_requested, sig, __ATOMIC_RELAXED);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static __u64 rnd(struct run *r)
{
	return rng_next(&r->rng);
}

static void rnd_fill(struct run *r, void *buf, size_t len)
{
	rng_fill(&r->rng, buf, len);
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: vgpu-run [-d DEV [-d DEV]] [-w copy|fill|gemm|crc|mix|peer]\n"
		"                [-s SIZE] [-g M[xNxK]] [-t SECONDS | -n JOBS]\n"
		"                [-j DEPTH] [-r REPEAT] [-S SEED] [-q]\n"
		"  -d DEV      device node (default: the first vgpu_guest one);\n"
		"              peer takes two (default: two of one peer group)\n"
		"  -w WORKLOAD what each job does (default copy)\n"
		"  -s SIZE     bytes per copy/fill/crc job, a multiple of 4;\n"
		"              suffix K, M or G (default 1M)\n"
		"  -g MxNxK    GEMM dimensions, or one number for all three\n"
		"              (default 64)\n"
		"  -t SECONDS  stop submitting after this long (default 10)\n"
		"  -n JOBS     stop after this many jobs\n"
		"  -j DEPTH    jobs kept in flight (default 4)\n"
		"  -r REPEAT   the command REPEAT times per job, checked once\n"
		"              (1-126, default 1)\n"
		"  -S SEED     seed of the random data (default 0x5eed)\n"
		"  -q          print only the WORKLOAD and RESULT lines\n");
}

/* SIZE with an optional K, M or G (binary) suffix; 0 if malformed. */
static __u64 parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (!strcmp(end, "iB") || !strcmp(end, "B"))
		end += strlen(end);
	return *end ? 0 : v;
}

static int parse_dims(struct run *r, const char *s)
{
	unsigned int m, n, k;
	char end;

	if (sscanf(s, "%ux%ux%u%c", &m, &n, &k, &end) == 3) {
		r->m = m;
		r->n = n;
		r->k = k;
	} else if (sscanf(s, "%u%c", &m, &end) == 1) {
		r->m = m;
		r->n = m;
		r->k = m;
	} else {
		return -EINVAL;
	}
	/* C must fit in a BO, and one job stay reasonable. */
	if (!r->m || !r->n || !r->k || r->m > 4096 || r->n > 4096 ||
	    r->k > 4096)
		return -EINVAL;
	return 0;
}

static bool uses(const struct run *r, enum workload wl)
{
	return r->workload == WL_MIX || r->workload == wl;
}

static __u64 max_u64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

static __u64 page_up(__u64 v)
{
	__u64 page = getpagesize();

	return (v + page - 1) / page * page;
}

/* Bytes of the source and destination BO a slot needs. */
static void slot_sizes(const struct run *r, __u64 *in, __u64 *out)
{
	__u64 mk = (__u64)r->m * r->k, kn = (__u64)r->k * r->n;
	__u64 mn4 = (__u64)r->m * r->n * 4;

	*in = 0;
	*out = 0;
	if (uses(r, WL_COPY) || uses(r, WL_CRC))
		*in = r->size;
	if (uses(r, WL_COPY) || uses(r, WL_FILL))
		*out = r->size;
	if (uses(r, WL_CRC))
		*out = max_u64(*out, 4);
	if (uses(r, WL_GEMM)) {
		*in = max_u64(*in, mk + kn);
		*out = max_u64(*out, mn4);
	}
}

/* Allocate the slots, as many as fit in the free window up to @r->depth. */
static int setup_slots(struct run *r)
{
	__u64 in, out, per_slot, free_bytes;
	unsigned int i;
	int ret;

	slot_sizes(r, &in, &out);
	per_slot = (in ? page_up(in) : 0) + page_up(out);
	ret = vgpu_accel_param(&r->dev, DRM_VGPU_PARAM_BO_FREE_BYTES,
			       &free_bytes);
	if (ret) {
		fprintf(stderr, "vgpu-run: BO_FREE_BYTES: %s\n",
			strerror(-ret));
		return ret;
	}
	if (per_slot > free_bytes) {
		fprintf(stderr,
			"vgpu-run: a job needs %llu bytes of BOs, the window has %llu free\n",
			(unsigned long long)per_slot,
			(unsigned long long)free_bytes);
		return -ENOSPC;
	}
	if (per_slot * r->depth > free_bytes) {
		r->depth = free_bytes / per_slot;
		if (!r->quiet)
			printf("vgpu-run: only %u jobs fit in the window at once\n",
			       r->depth);
	}
	r->slots = calloc(r->depth, sizeof(*r->slots));
	if (uses(r, WL_GEMM))
		r->gemm_ref = malloc((size_t)r->m * r->n * 4);
	if (!r->slots || (uses(r, WL_GEMM) && !r->gemm_ref))
		return -ENOMEM;
	for (i = 0; i < r->depth; i++) {
		struct slot *s = &r->slots[i];

		if (in) {
			ret = vgpu_bo_new(&r->dev, in, &s->in);
			if (ret)
				goto fail;
			s->shadow = malloc(in);
			if (!s->shadow) {
				ret = -ENOMEM;
				goto fail;
			}
		}
		ret = vgpu_bo_new(&r->dev, out, &s->out);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "vgpu-run: allocating BOs: %s\n", strerror(-ret));
	return ret;
}

static void free_slots(struct run *r)
{
	unsigned int i;

	for (i = 0; r->slots && i < r->depth; i++) {
		vgpu_bo_free(&r->dev, &r->slots[i].in);
		vgpu_bo_free(&r->dev, &r->slots[i].out);
		free(r->slots[i].shadow);
	}
	free(r->slots);
	free(r->gemm_ref);
	r->slots = NULL;
	r->gemm_ref = NULL;
}

static bool may_submit(const struct run *r)
{
	if (__atomic_load_n(&stop_requested, __ATOMIC_RELAXED) || r->fatal)
		return false;
	if (r->max_jobs && r->submitted >= r->max_jobs)
		return false;
	if (r->max_ns && r->submitted && now_ns() - r->start_ns >= r->max_ns)
		return false;
	return true;
}

/* Put fresh data in slot @s for workload @wl and submit its job. */
static int submit_job(struct run *r, struct slot *s, enum workload wl)
{
	__u64 mk = (__u64)r->m * r->k, kn = (__u64)r->k * r->n;
	__u32 handles[2], nbos = 0, pattern, i;
	struct vgpu_cmd cmd, cmds[DRM_VGPU_MAX_CMDS];
	int ret;

	s->wl = wl;
	switch (wl) {
	case WL_COPY:
		rnd_fill(r, s->shadow, r->size);
		memcpy(s->in.map, s->shadow, r->size);
		cmd = vgpu_cmd_copy(s->in.device_addr, s->out.device_addr,
				    r->size, 0);
		break;
	case WL_FILL:
		/* A pattern unlike the last one: stale data cannot pass. */
		do {
			pattern = rnd(r) >> 32;
		} while (pattern == s->pattern);
		s->pattern = pattern;
		cmd = vgpu_cmd_fill(s->out.device_addr, r->size, pattern);
		break;
	case WL_CRC:
		rnd_fill(r, s->shadow, r->size);
		memcpy(s->in.map, s->shadow, r->size);
		s->crc = vgpu_crc32c(s->shadow, r->size);
		*(__u32 *)s->out.map = ~s->crc;
		cmd = vgpu_cmd_crc(s->in.device_addr, r->size,
				   s->out.device_addr);
		break;
	default:
		rnd_fill(r, s->shadow, mk + kn);
		memcpy(s->in.map, s->shadow, mk + kn);
		cmd = vgpu_cmd_gemm(s->in.device_addr, s->in.device_addr + mk,
				    s->out.device_addr, r->m, r->n, r->k);
		break;
	}
	if (wl != WL_FILL)
		handles[nbos++] = s->in.handle;
	handles[nbos++] = s->out.handle;
	s->submit_ns = now_ns();
	if (!r->submitted)
		r->start_ns = s->submit_ns;
	for (i = 0; i < r->repeat; i++)
		cmds[i] = cmd;
	ret = vgpu_job_submit(&r->dev, cmds, r->repeat, handles, nbos,
			      &s->job_id);
	if (ret) {
		fprintf(stderr, "vgpu-run: submitting %s job %llu: %s\n",
			wl_names[wl], (unsigned long long)r->submitted,
			strerror(-ret));
		r->fatal = true;
		return ret;
	}
	r->submitted++;
	return 0;
}

/* Offset of the first byte where @a and @b differ; @len if none. */
static size_t first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	if (!memcmp(a, b, len))
		return len;
	for (i = 0; i < len && x[i] == y[i]; i++)
		;
	return i;
}

/* Check the result of the job of slot @s; true if it matches the CPU. */
static bool verify_job(struct run *r, struct slot *s, __u64 job)
{
	const char *name = wl_names[s->wl];
	size_t bytes = 0, off;
	__u32 got;
	__u64 i;

	switch (s->wl) {
	case WL_COPY:
		off = first_diff(s->out.map, s->shadow, r->size);
		if (off == r->size)
			return true;
		fprintf(stderr,
			"vgpu-run: %s job %llu: byte %zu is 0x%02x, not 0x%02x\n",
			name, (unsigned long long)job, off,
			((unsigned char *)s->out.map)[off], s->shadow[off]);
		return false;
	case WL_FILL:
		for (i = 0; i < r->size / 4; i++) {
			got = ((__u32 *)s->out.map)[i];
			if (got != s->pattern) {
				fprintf(stderr,
					"vgpu-run: %s job %llu: word %llu is 0x%08x, not 0x%08x\n",
					name, (unsigned long long)job,
					(unsigned long long)i, got, s->pattern);
				return false;
			}
		}
		return true;
	case WL_CRC:
		got = *(__u32 *)s->out.map;
		if (got == s->crc)
			return true;
		fprintf(stderr,
			"vgpu-run: %s job %llu: CRC32C 0x%08x, the CPU's 0x%08x\n",
			name, (unsigned long long)job, got, s->crc);
		return false;
	default:
		vgpu_ref_gemm_i8((const __s8 *)s->shadow,
				 (const __s8 *)s->shadow + (size_t)r->m * r->k,
				 r->gemm_ref, r->m, r->n, r->k);
		bytes = (size_t)r->m * r->n * 4;
		off = first_diff(s->out.map, r->gemm_ref, bytes);
		if (off == bytes)
			return true;
		off /= 4;
		fprintf(stderr,
			"vgpu-run: %s job %llu: C[%zu][%zu] is %d, the CPU's %d\n",
			name, (unsigned long long)job, off / r->n, off % r->n,
			((__s32 *)s->out.map)[off], r->gemm_ref[off]);
		return false;
	}
}

static __u64 job_work(const struct run *r, enum workload wl)
{
	if (wl == WL_GEMM)
		return (__u64)r->m * r->n * r->k * r->repeat;
	return r->size * r->repeat;
}

static const char *wl_unit(enum workload wl)
{
	if (wl == WL_MIX)
		return "jobs/s";
	return wl == WL_GEMM ? "MMAC/s" : "MiB/s";
}

/* Work per second, in the workload's unit, over @ns. */
static double wl_rate(enum workload wl, __u64 work, __u64 ns)
{
	double secs = ns / 1e9;

	if (!ns)
		return 0;
	if (wl == WL_GEMM)
		return work / 1e6 / secs;
	return work / (double)MIB / secs;
}

/* Wait for the oldest job in flight, account for it and check it. */
static void finish_job(struct run *r)
{
	__u64 job = r->finished, done, begin;
	struct slot *s = &r->slots[job % r->depth];
	struct wl_stats *st = &r->stats[s->wl];
	struct vgpu_result res;
	int ret;

	ret = vgpu_job_wait(&r->dev, s->job_id, JOB_TIMEOUT_NS, &res);
	if (ret) {
		fprintf(stderr, "vgpu-run: waiting for %s job %llu: %s\n",
			wl_names[s->wl], (unsigned long long)job,
			strerror(-ret));
		r->fatal = true;
		/* Nothing behind a job that cannot be waited for can be. */
		r->submitted = r->finished;
		return;
	}
	r->end_ns = now_ns();
	r->finished++;
	st->jobs++;
	/* The driver's clock is CLOCK_MONOTONIC too. */
	done = s->submit_ns + res.duration_ns;
	begin = max_u64(s->submit_ns, r->last_done_ns);
	if (done > begin)
		st->busy_ns += done - begin;
	r->last_done_ns = max_u64(r->last_done_ns, done);
	if (res.status) {
		fprintf(stderr,
			"vgpu-run: %s job %llu failed: status %d (%s), device error %u (%s), command %u, address 0x%llx\n",
			wl_names[s->wl], (unsigned long long)job, res.status,
			strerror(-res.status), res.device_error,
			vgpu_error_name(res.device_error), res.error_cmd,
			(unsigned long long)res.error_addr);
		r->job_errors++;
		return;
	}
	st->work += job_work(r, s->wl);
	if (!verify_job(r, s, job))
		r->mismatches++;
}

static void report_progress(struct run *r, __u64 now)
{
	__u64 ns = now - r->start_ns;
	enum workload wl = r->workload;
	int i;

	if (r->quiet || now < r->next_report_ns)
		return;
	r->next_report_ns = now + NSEC_PER_SEC;
	if (wl != WL_MIX) {
		printf("vgpu-run: %7.1fs %s jobs=%llu %.2f %s\n", ns / 1e9,
		       wl_names[wl], (unsigned long long)r->finished,
		       wl_rate(wl, r->stats[wl].work, ns), wl_unit(wl));
	} else {
		printf("vgpu-run: %7.1fs mix jobs=%llu %.2f jobs/s (", ns / 1e9,
		       (unsigned long long)r->finished,
		       ns ? r->finished / (ns / 1e9) : 0);
		for (i = 0; i < WL_NR; i++)
			printf("%s%s %llu", i ? " " : "", wl_names[i],
			       (unsigned long long)r->stats[i].jobs);
		printf(")\n");
	}
	fflush(stdout);
}

static enum workload job_workload(const struct run *r, __u64 job)
{
	return r->workload == WL_MIX ? (enum workload)(job % WL_NR) :
	       r->workload;
}

static void run_jobs(struct run *r)
{
	__u64 job;

	r->next_report_ns = now_ns() + NSEC_PER_SEC;
	while (r->submitted < r->depth && may_submit(r)) {
		job = r->submitted;
		if (submit_job(r, &r->slots[job % r->depth],
			       job_workload(r, job)))
			break;
	}
	while (r->finished < r->submitted) {
		finish_job(r);
		report_progress(r, now_ns());
		if (may_submit(r)) {
			job = r->submitted;
			submit_job(r, &r->slots[job % r->depth],
				   job_workload(r, job));
		}
	}
}

static void print_result(struct run *r)
{
	enum workload wl = r->workload;
	__u64 profile = 0, window = 0, ns = 0, work = 0;
	double rate;
	bool ok;
	int i;

	vgpu_accel_param(&r->dev, DRM_VGPU_PARAM_PROFILE, &profile);
	vgpu_accel_param(&r->dev, DRM_VGPU_PARAM_WINDOW_BYTES, &window);
	if (r->finished)
		ns = r->end_ns - r->start_ns;
	if (wl == WL_MIX) {
		for (i = 0; i < WL_NR; i++) {
			struct wl_stats *st = &r->stats[i];
			/* Without the driver's durations: the wall time. */
			__u64 busy = st->busy_ns ? st->busy_ns : ns;

			printf("WORKLOAD name=%s jobs=%llu throughput=%.2f %s\n",
			       wl_names[i], (unsigned long long)st->jobs,
			       wl_rate(i, st->work, busy), wl_unit(i));
		}
		rate = ns ? r->finished / (ns / 1e9) : 0;
	} else {
		work = r->stats[wl].work;
		rate = wl_rate(wl, work, ns);
	}
	ok = r->finished && !r->fatal && !r->job_errors && !r->mismatches;
	/* One line, printed in parts: device, run, speed. */
	printf("RESULT device=%s profile=%llu window_mib=%llu ",
	       r->dev.pci_name[0] ? r->dev.pci_name : "none",
	       (unsigned long long)profile,
	       (unsigned long long)(window / MIB));
	printf("workload=%s jobs=%llu verified=%s job_errors=%llu ",
	       wl_names[wl], (unsigned long long)r->finished,
	       ok ? "yes" : "no", (unsigned long long)r->job_errors);
	printf("seconds=%.3f throughput=%.2f %s\n", ns / 1e9, rate,
	       wl_unit(wl));
	fflush(stdout);
}

static void print_header(struct run *r, const char *path)
{
	__u64 profile = 0, window = 0, engines = 0;

	if (r->quiet)
		return;
	vgpu_accel_param(&r->dev, DRM_VGPU_PARAM_PROFILE, &profile);
	vgpu_accel_param(&r->dev, DRM_VGPU_PARAM_WINDOW_BYTES, &window);
	vgpu_accel_param(&r->dev, DRM_VGPU_PARAM_ENGINES, &engines);
	printf("vgpu-run: %s (%s): profile %llu, %llu MiB window, %llu engines\n",
	       r->dev.pci_name, path, (unsigned long long)profile,
	       (unsigned long long)(window / MIB),
	       (unsigned long long)engines);
	printf("vgpu-run: workload %s, %u jobs in flight", wl_names[r->workload],
	       r->depth);
	if (r->workload != WL_GEMM)
		printf(", %llu bytes per copy/fill/crc job",
		       (unsigned long long)r->size);
	if (uses(r, WL_GEMM))
		printf(", GEMM %ux%ux%u", r->m, r->n, r->k);
	if (r->repeat > 1)
		printf(", each command %u times per job", r->repeat);
	printf(", seed %#llx\n", (unsigned long long)r->rng);
	fflush(stdout);
}

static int parse_args(struct run *r, int argc, char **argv,
		      const char **path, const char **path2)
{
	double secs = 0;
	char *end;
	int opt, i;

	r->workload = WL_COPY;
	r->size = DEFAULT_SIZE;
	r->m = DEFAULT_DIM;
	r->n = DEFAULT_DIM;
	r->k = DEFAULT_DIM;
	r->depth = DEFAULT_DEPTH;
	r->repeat = 1;
	r->rng = DEFAULT_SEED;
	*path = NULL;
	*path2 = NULL;
	while ((opt = getopt(argc, argv, "d:w:s:g:t:n:j:r:S:qh")) != -1) {
		switch (opt) {
		case 'd':
			if (*path && *path2)
				return -EINVAL;
			*(*path ? path2 : path) = optarg;
			break;
		case 'w':
			for (i = 0; i <= WL_PEER; i++)
				if (!strcmp(optarg, wl_names[i]))
					break;
			if (i > WL_PEER)
				return -EINVAL;
			r->workload = i;
			break;
		case 's':
			r->size = parse_size(optarg);
			if (!r->size || r->size % 4)
				return -EINVAL;
			break;
		case 'g':
			if (parse_dims(r, optarg))
				return -EINVAL;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end || secs <= 0)
				return -EINVAL;
			r->max_ns = secs * 1e9;
			break;
		case 'n':
			r->max_jobs = strtoull(optarg, &end, 0);
			if (*end || !r->max_jobs)
				return -EINVAL;
			break;
		case 'j':
			r->depth = strtoul(optarg, &end, 0);
			if (*end || !r->depth || r->depth > MAX_DEPTH)
				return -EINVAL;
			break;
		case 'r':
			r->repeat = strtoul(optarg, &end, 0);
			if (*end || !r->repeat || r->repeat > DRM_VGPU_MAX_CMDS)
				return -EINVAL;
			break;
		case 'S':
			r->rng = strtoull(optarg, &end, 0);
			if (*end)
				return -EINVAL;
			/* xorshift never leaves 0. */
			r->rng = r->rng ? r->rng : DEFAULT_SEED;
			break;
		case 'q':
			r->quiet = true;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc)
		return -EINVAL;
	/* Two devices only for peer, and then both or none. */
	if (*path2 ? r->workload != WL_PEER :
	    (*path && r->workload == WL_PEER))
		return -EINVAL;
	if (!r->max_jobs && !r->max_ns)
		r->max_ns = DEFAULT_SECONDS * NSEC_PER_SEC;
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	const char *path, *path2;
	struct run r;
	int ret;

	memset(&r, 0, sizeof(r));
	if (parse_args(&r, argc, argv, &path, &path2)) {
		print_usage(stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (r.workload == WL_PEER) {
		struct peer_opts o = {
			.dev = { path, path2 },
			.m = r.m, .n = r.n, .k = r.k,
			.max_jobs = r.max_jobs, .max_ns = r.max_ns,
			.seed = r.rng, .quiet = r.quiet,
		};

		if (r.m < 2) {
			fprintf(stderr, "vgpu-run: peer needs M >= 2\n");
			return 2;
		}
		return peer_run(&o, &stop_requested);
	}

	ret = vgpu_accel_open(&r.dev, path);
	if (ret)
		fprintf(stderr, "vgpu-run: opening %s: %s\n",
			path ? path : "the vgpu accel device",
			ret == -ENODEV ? "no vgpu_guest device" :
			strerror(-ret));
	if (!ret)
		ret = setup_slots(&r);
	if (!ret) {
		print_header(&r, r.dev.path);
		run_jobs(&r);
	} else {
		r.fatal = true;
	}
	/* Always exactly one RESULT line, even without a device. */
	print_result(&r);
	free_slots(&r);
	vgpu_accel_close(&r.dev);
	return r.finished && !r.fatal && !r.job_errors && !r.mismatches ?
	       0 : 1;
}
