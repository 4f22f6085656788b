// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu-run -w peer: C = A x B computed by two vGPUs of one peer group.
 *
 * The first vGPU (the home) holds the whole C. Each iteration takes fresh
 * random int8 matrices; the home computes the top half of C's rows, the
 * other vGPU the bottom half into its own window and copies it into the
 * home's C with PEER_COPY (through the home's C shared as a peer BO). Then
 * the home computes the CRC32C of all of C. The CPU checks C and the CRC
 * against its own product. Output, besides progress unless quiet:
 *
 *   RESULT device=<home>+<other> profile=<n> window_mib=<n> workload=peer
 *          jobs=<iterations> verified=<yes|no> job_errors=<n> seconds=<f>
 *          throughput=<f> MMAC/s
 *   PEER group=<g> ids=<home id>,<other id> peer_bytes=<n>
 *
 * The exit status is 0 only if every iteration matched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvgpu.h"
#include "peer.h"
#include "rng.h"

#define MIB		0x100000ULL
#define NSEC_PER_SEC	1000000000ULL
#define JOB_TIMEOUT_NS	(300 * NSEC_PER_SEC)

/**
 * struct side - one of the two vGPUs
 * @dev: the open device
 * @group: its peer group
 * @id: its peer id
 * @rows: rows of C it computes
 * @a: its rows of A
 * @b: B
 * @c: C: all of it on the home, its own rows on the other
 */
struct side {
	struct vgpu_accel dev;
	__u32 group, id;
	__u32 rows;
	struct vgpu_bo a, b, c;
};

/**
 * struct peer - the run
 * @o: the options
 * @s: the home (0) and the other vGPU (1)
 * @crc: on the home, where the CRC32C of C lands
 * @home_c: the home's C as a peer BO of the other vGPU (a handle there)
 * @a: A, m x k
 * @b: B, k x n
 * @ref: the CPU's C
 * @rng: random state
 * @iters: iterations that finished
 * @errors: iterations a job of which failed
 * @mismatches: iterations whose C or CRC differed from the CPU's
 * @peer_bytes: bytes moved by PEER_COPY
 */
struct peer {
	const struct peer_opts *o;
	struct side s[2];
	struct vgpu_bo crc;
	__u32 home_c;
	__s8 *a, *b;
	__s32 *ref;
	__u64 rng;
	__u64 iters, errors, mismatches, peer_bytes;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int side_open(struct side *sd, const char *path)
{
	int ret = vgpu_accel_open(&sd->dev, path);
	__u32 mask;

	if (!ret)
		ret = vgpu_accel_peer(&sd->dev, &sd->group, &sd->id, &mask);
	return ret;
}

/* Open the two devices given, or the first two vGPUs sharing a group. */
static int open_pair(struct peer *p)
{
	struct vgpu_accel dev[2];
	__u32 mask;
	int ret, i;

	if (p->o->dev[0] && p->o->dev[1]) {
		ret = side_open(&p->s[0], p->o->dev[0]);
		return ret ? ret : side_open(&p->s[1], p->o->dev[1]);
	}
	ret = vgpu_accel_open_peers(dev);
	for (i = 0; !ret && i < 2; i++) {
		p->s[i].dev = dev[i];
		ret = vgpu_accel_peer(&dev[i], &p->s[i].group, &p->s[i].id,
				      &mask);
	}
	return ret;
}

static int setup(struct peer *p)
{
	const struct peer_opts *o = p->o;
	__u64 kn = (__u64)o->k * o->n;
	int ret, i;

	p->s[0].rows = o->m / 2;
	p->s[1].rows = o->m - p->s[0].rows;
	for (i = 0; i < 2; i++) {
		struct side *sd = &p->s[i];
		__u32 rows = i ? sd->rows : o->m;

		ret = vgpu_bo_new(&sd->dev, (__u64)sd->rows * o->k, &sd->a);
		if (!ret)
			ret = vgpu_bo_new(&sd->dev, kn, &sd->b);
		if (!ret)
			ret = vgpu_bo_new(&sd->dev, (__u64)rows * o->n * 4,
					  &sd->c);
		if (ret)
			return ret;
	}
	ret = vgpu_bo_new(&p->s[0].dev, 4, &p->crc);
	if (!ret)
		ret = vgpu_bo_share(&p->s[0].dev, &p->s[0].c, &p->s[1].dev,
				    &p->home_c);
	if (ret)
		return ret;
	p->a = malloc((__u64)o->m * o->k);
	p->b = malloc(kn);
	p->ref = malloc((__u64)o->m * o->n * 4);
	return p->a && p->b && p->ref ? 0 : -ENOMEM;
}

static void teardown(struct peer *p)
{
	int i;

	if (p->home_c)
		vgpu_bo_close(&p->s[1].dev, p->home_c);
	vgpu_bo_free(&p->s[0].dev, &p->crc);
	for (i = 0; i < 2; i++) {
		vgpu_bo_free(&p->s[i].dev, &p->s[i].a);
		vgpu_bo_free(&p->s[i].dev, &p->s[i].b);
		vgpu_bo_free(&p->s[i].dev, &p->s[i].c);
		vgpu_accel_close(&p->s[i].dev);
	}
	free(p->a);
	free(p->b);
	free(p->ref);
}

/* Wait for a job; its failure is reported once and counted by the caller. */
static int wait_job(struct side *sd, __u32 job, const char *what)
{
	struct vgpu_result res;
	int ret = vgpu_job_wait(&sd->dev, job, JOB_TIMEOUT_NS, &res);

	if (!ret && res.status)
		ret = res.status;
	if (ret)
		fprintf(stderr, "vgpu-run: %s job on %s: %s (device error %s)\n",
			what, sd->dev.pci_name, strerror(-ret),
			vgpu_error_name(ret == res.status ? res.device_error :
					0));
	return ret;
}

/* One iteration; 0, 1 if the result differs, or a negative errno. */
static int iterate(struct peer *p)
{
	const struct peer_opts *o = p->o;
	struct side *home = &p->s[0], *other = &p->s[1];
	__u64 top = (__u64)home->rows * o->n * 4;
	__u64 bottom = (__u64)other->rows * o->n * 4;
	struct vgpu_cmd cmds[2];
	__u32 bos[4], job[2];
	__u32 crc;
	int ret, r2;

	rng_fill(&p->rng, p->a, (__u64)o->m * o->k);
	rng_fill(&p->rng, p->b, (__u64)o->k * o->n);
	memcpy(home->a.map, p->a, (__u64)home->rows * o->k);
	memcpy(other->a.map, p->a + (__u64)home->rows * o->k,
	       (__u64)other->rows * o->k);
	memcpy(home->b.map, p->b, (__u64)o->k * o->n);
	memcpy(other->b.map, p->b, (__u64)o->k * o->n);
	/* Whatever the copy fails to bring shows up as a mismatch. */
	memset(home->c.map, 0xa5, top + bottom);

	cmds[0] = vgpu_cmd_gemm(other->a.device_addr, other->b.device_addr,
				other->c.device_addr, other->rows, o->n, o->k);
	cmds[1] = vgpu_cmd_peer_copy(other->c.device_addr,
				     home->c.device_addr + top, bottom,
				     home->id);
	bos[0] = other->a.handle;
	bos[1] = other->b.handle;
	bos[2] = other->c.handle;
	bos[3] = p->home_c;
	ret = vgpu_job_submit(&other->dev, cmds, 2, bos, 4, &job[1]);
	if (ret)
		return ret;
	cmds[0] = vgpu_cmd_gemm(home->a.device_addr, home->b.device_addr,
				home->c.device_addr, home->rows, o->n, o->k);
	bos[0] = home->a.handle;
	bos[1] = home->b.handle;
	bos[2] = home->c.handle;
	ret = vgpu_job_submit(&home->dev, cmds, 1, bos, 3, &job[0]);
	r2 = wait_job(other, job[1], "GEMM + PEER_COPY");
	if (!ret)
		ret = wait_job(home, job[0], "GEMM");
	ret = ret ? ret : r2;
	if (ret)
		return ret;

	cmds[0] = vgpu_cmd_crc(home->c.device_addr, top + bottom,
			       p->crc.device_addr);
	bos[0] = home->c.handle;
	bos[1] = p->crc.handle;
	ret = vgpu_job_submit(&home->dev, cmds, 1, bos, 2, &job[0]);
	if (!ret)
		ret = wait_job(home, job[0], "CRC32C");
	if (ret)
		return ret;
	p->peer_bytes += bottom;

	vgpu_ref_gemm_i8(p->a, p->b, p->ref, o->m, o->n, o->k);
	memcpy(&crc, p->crc.map, 4);
	if (memcmp(home->c.map, p->ref, top + bottom)) {
		fprintf(stderr, "vgpu-run: iteration %llu: C differs from the CPU's\n",
			(unsigned long long)p->iters);
		return 1;
	}
	if (crc != vgpu_crc32c(p->ref, top + bottom)) {
		fprintf(stderr, "vgpu-run: iteration %llu: CRC32C %#x differs\n",
			(unsigned long long)p->iters, crc);
		return 1;
	}
	return 0;
}

static void report(struct peer *p, __u64 ns, bool ok)
{
	const struct peer_opts *o = p->o;
	__u64 profile = 0, window = 0;
	double secs = ns / 1e9;

	vgpu_accel_param(&p->s[0].dev, DRM_VGPU_PARAM_PROFILE, &profile);
	vgpu_accel_param(&p->s[0].dev, DRM_VGPU_PARAM_WINDOW_BYTES, &window);
	printf("RESULT device=%s+%s profile=%llu window_mib=%llu ",
	       p->s[0].dev.pci_name[0] ? p->s[0].dev.pci_name : "none",
	       p->s[1].dev.pci_name[0] ? p->s[1].dev.pci_name : "none",
	       (unsigned long long)profile, (unsigned long long)(window / MIB));
	printf("workload=peer jobs=%llu verified=%s job_errors=%llu ",
	       (unsigned long long)p->iters, ok ? "yes" : "no",
	       (unsigned long long)p->errors);
	printf("seconds=%.3f throughput=%.2f MMAC/s\n", secs,
	       secs > 0 ? p->iters * (double)o->m * o->n * o->k / secs / 1e6 :
	       0);
	printf("PEER group=%u ids=%u,%u peer_bytes=%llu\n", p->s[0].group,
	       p->s[0].id, p->s[1].id, (unsigned long long)p->peer_bytes);
	fflush(stdout);
}

/**
 * peer_run() - run the peer workload and print its result
 * @o: the options
 * @stop: becomes non-zero when the run is to stop (a signal)
 *
 * Return: the exit status: 0 if every iteration was computed exactly.
 */
int peer_run(const struct peer_opts *o, const int *stop)
{
	struct peer p;
	__u64 start, ns = 0, next = 0;
	bool ok = false;
	int ret;

	memset(&p, 0, sizeof(p));
	/* Nothing open yet: the teardown must not close fd 0. */
	p.s[0].dev.fd = -1;
	p.s[1].dev.fd = -1;
	p.o = o;
	p.rng = o->seed;
	ret = open_pair(&p);
	if (ret) {
		fprintf(stderr, "vgpu-run: %s\n", ret == -ENODEV ?
			"no two vgpu_guest devices in one peer group" :
			strerror(-ret));
	} else if (!p.s[0].group || p.s[0].group != p.s[1].group ||
		   p.s[0].id == p.s[1].id) {
		fprintf(stderr, "vgpu-run: %s and %s: not one peer group (%u, %u)\n",
			p.s[0].dev.path, p.s[1].dev.path, p.s[0].group,
			p.s[1].group);
		ret = -EINVAL;
	} else {
		ret = setup(&p);
		if (ret)
			fprintf(stderr, "vgpu-run: setting up the BOs: %s\n",
				strerror(-ret));
	}
	start = now_ns();
	while (!ret && !__atomic_load_n(stop, __ATOMIC_RELAXED) &&
	       (!o->max_jobs || p.iters < o->max_jobs) &&
	       (!o->max_ns || now_ns() - start < o->max_ns)) {
		ret = iterate(&p);
		if (ret > 0) {
			p.mismatches++;
			ret = 0;
		} else if (ret < 0) {
			p.errors++;
		}
		p.iters++;
		if (!o->quiet && now_ns() >= next) {
			printf("vgpu-run: %llu iterations, %llu bytes peer-copied\n",
			       (unsigned long long)p.iters,
			       (unsigned long long)p.peer_bytes);
			next = now_ns() + NSEC_PER_SEC;
		}
	}
	if (p.iters)
		ns = now_ns() - start;
	ok = p.iters && !ret && !p.errors && !p.mismatches;
	report(&p, ns, ok);
	teardown(&p);
	return ok ? 0 : 1;
}
