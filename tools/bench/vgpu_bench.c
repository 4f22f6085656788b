// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_bench: what one vGPU delivers, measured through the userspace VFIO
 * library (tools/vfio): the throughput of each command type, the latency
 * from doorbell to completion, and the bandwidth of the mmap'ed window
 * against ordinary memory in the same machine.
 *
 * Usage: vgpu_bench -u UUID [-p PEER_UUID] [-t SECONDS] [-n ROUND_TRIPS]
 *
 * With -p, a second vGPU of the first one's peer group: PEER_COPY into its
 * window is measured next to COPY inside the first one's.
 *
 * A benchmark, not a test: it checks only that the device reported no
 * error. scripts/bench.sh runs it in a test VM.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_vfio.h"

#define MIB		0x100000ULL

/* Window layout: ring, fence slot, scratch, then data from 1 MiB. */
#define RING_ENTRIES	1024u
#define FENCE_OFF	0x10000ULL
#define SCRATCH_OFF	0x11000ULL
#define DATA_OFF	MIB
/* Bytes of one COPY, FILL or CRC32C command, and commands per batch. */
#define CMD_BYTES	MIB
#define BATCH		8u
#define NOP_BATCH	256u
/* Data the benchmark needs in the window: two batches' worth, and GEMM. */
#define GEMM_DIM	128u
#define WINDOW_NEEDED	(DATA_OFF + 2 * BATCH * CMD_BYTES + 4 * MIB)
/* The DMA buffer: one batch. */
#define DMA_BYTES	(BATCH * CMD_BYTES)
/* Window bandwidth: bytes per memcpy. */
#define BW_BYTES	(16 * MIB)

#define WAIT_MS		60000

struct bench {
	struct vgpu_dev *d;
	struct vgpu_dev *peer;
	__u64 seq;
	double secs;
	unsigned int round_trips;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void fill_random(void *p, size_t len)
{
	__u64 x = 0x9e3779b97f4a7c15ULL;
	__u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = x;
	}
}

static void die_device(struct bench *b, const char *what, int ret)
{
	fprintf(stderr,
		"vgpu_bench: %s: %s; ERR_CODE %u, ERR_INDEX %u, ERR_ADDR 0x%llx\n",
		what, strerror(-ret), vgpu_read32(b->d, VGPU_REG_ERR_CODE),
		vgpu_read32(b->d, VGPU_REG_ERR_INDEX),
		vgpu_read64(b->d, VGPU_REG_ERR_ADDR));
	exit(1);
}

/* Submit @n commands and a fence, wait for it; return the ns it took. */
static __u64 run_batch(struct bench *b, const struct vgpu_cmd *c,
		       unsigned int n, const char *what)
{
	struct vgpu_cmd f = vgpu_cmd_fence(FENCE_OFF, ++b->seq, false);
	__u64 start = now_ns();
	int ret;

	ret = vgpu_submit(b->d, c, n);
	if (!ret)
		ret = vgpu_submit(b->d, &f, 1);
	if (!ret)
		ret = vgpu_wait_fence(b->d, b->seq, WAIT_MS);
	if (ret)
		die_device(b, what, ret);
	return now_ns() - start;
}

/*
 * Run the batch @c of @n commands until &bench.secs have passed (at least
 * twice, the first time as a warm-up) and print its rate: @work units of
 * work per batch, called @unit, scaled by @scale.
 */
static void throughput(struct bench *b, const char *name,
		       const struct vgpu_cmd *c, unsigned int n, double work,
		       double scale, const char *unit)
{
	__u64 ns = 0, runs = 0;

	run_batch(b, c, n, name);
	do {
		ns += run_batch(b, c, n, name);
		runs++;
	} while (ns < b->secs * 1e9);
	printf("  %-22s %10.1f %-7s %9.0f cmd/s\n", name,
	       work * runs / (ns / 1e9) / scale, unit,
	       (double)n * runs / (ns / 1e9));
}

static void bench_commands(struct bench *b)
{
	const __u64 src = DATA_OFF, dst = DATA_OFF + BATCH * CMD_BYTES;
	const __u64 gemm = DATA_OFF + 2 * BATCH * CMD_BYTES;
	const __u64 bytes = BATCH * CMD_BYTES;
	const double macs = (double)GEMM_DIM * GEMM_DIM * GEMM_DIM;
	struct vgpu_cmd c[NOP_BATCH];
	__u8 *dma;
	unsigned int i;
	int ret;

	dma = vgpu_dma_alloc(DMA_BYTES);
	if (!dma) {
		perror("vgpu_bench: DMA buffer");
		exit(1);
	}
	fill_random(dma, DMA_BYTES);
	ret = vgpu_dma_map(b->d, dma, DMA_BYTES, VGPU_IOVA_BASE);
	if (ret) {
		fprintf(stderr, "vgpu_bench: VFIO_IOMMU_MAP_DMA: %s\n",
			strerror(-ret));
		exit(1);
	}
	fill_random((__u8 *)b->d->window + src, bytes);
	fill_random((__u8 *)b->d->window + gemm, 2 * GEMM_DIM * GEMM_DIM);

	printf("command throughput (%u commands of %llu KiB per batch, GEMM %ux%ux%u):\n",
	       BATCH, CMD_BYTES >> 10, GEMM_DIM, GEMM_DIM, GEMM_DIM);
	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_copy(src + i * CMD_BYTES, dst + i * CMD_BYTES,
				     CMD_BYTES, 0);
	throughput(b, "COPY window->window", c, BATCH, bytes, MIB, "MiB/s");
	if (b->peer) {
		__u32 id = vgpu_read32(b->peer, VGPU_REG_PEER_ID);

		for (i = 0; i < BATCH; i++)
			c[i] = vgpu_cmd_peer_copy(src + i * CMD_BYTES,
						  dst + i * CMD_BYTES,
						  CMD_BYTES, id);
		throughput(b, "PEER_COPY window->peer", c, BATCH, bytes, MIB,
			   "MiB/s");
	}
	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_copy(VGPU_IOVA_BASE + i * CMD_BYTES,
				     dst + i * CMD_BYTES, CMD_BYTES,
				     VGPU_CMD_SRC_SYS);
	throughput(b, "COPY DMA->window", c, BATCH, bytes, MIB, "MiB/s");
	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_copy(src + i * CMD_BYTES,
				     VGPU_IOVA_BASE + i * CMD_BYTES, CMD_BYTES,
				     VGPU_CMD_DST_SYS);
	throughput(b, "COPY window->DMA", c, BATCH, bytes, MIB, "MiB/s");
	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_fill(dst + i * CMD_BYTES, CMD_BYTES, i);
	throughput(b, "FILL", c, BATCH, bytes, MIB, "MiB/s");
	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_crc(src + i * CMD_BYTES, CMD_BYTES,
				    SCRATCH_OFF + 4 * i);
	throughput(b, "CRC32C", c, BATCH, bytes, MIB, "MiB/s");
	for (i = 0; i < BATCH; i++)
		c[i] = vgpu_cmd_gemm(gemm, gemm + GEMM_DIM * GEMM_DIM,
				     gemm + 2 * GEMM_DIM * GEMM_DIM +
				     i * GEMM_DIM * GEMM_DIM * 4,
				     GEMM_DIM, GEMM_DIM, GEMM_DIM);
	throughput(b, "GEMM int8->int32", c, BATCH, BATCH * macs, 1e6,
		   "MMAC/s");
	for (i = 0; i < NOP_BATCH; i++)
		c[i] = vgpu_cmd_nop();
	throughput(b, "NOP", c, NOP_BATCH, NOP_BATCH, 1e3, "kcmd/s");

	vgpu_dma_unmap(b->d, VGPU_IOVA_BASE, DMA_BYTES);
	vgpu_dma_free(dma, DMA_BYTES);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void print_latency(const char *name, __u64 *ns, unsigned int n)
{
	__u64 sum = 0;
	unsigned int i;

	qsort(ns, n, sizeof(*ns), cmp_u64);
	for (i = 0; i < n; i++)
		sum += ns[i];
	printf("  %-22s p50 %8.1f us  p99 %8.1f us  min %8.1f us  mean %8.1f us\n",
	       name, ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3, ns[0] / 1e3,
	       sum / 1e3 / n);
}

/*
 * Doorbell to completion: NOP and FENCE are in the ring before the clock
 * starts; it stops when the fence value is seen, by polling the fence's
 * location in the window or the FENCE register.
 */
static void bench_latency(struct bench *b)
{
	const __u64 *slot = (const __u64 *)((__u8 *)b->d->window + FENCE_OFF);
	__u64 *ns = calloc(b->round_trips, sizeof(*ns));
	struct vgpu_cmd c[2];
	unsigned int i, reg;
	__u64 start, seen;
	int ret;

	if (!ns) {
		perror("vgpu_bench");
		exit(1);
	}
	printf("doorbell-to-completion latency (NOP + FENCE, %u round trips, polling):\n",
	       b->round_trips);
	for (reg = 0; reg < 2; reg++) {
		for (i = 0; i < b->round_trips; i++) {
			c[0] = vgpu_cmd_nop();
			c[1] = vgpu_cmd_fence(FENCE_OFF, ++b->seq, false);
			ret = vgpu_ring_put(b->d, c, 2);
			if (ret)
				die_device(b, "ring", ret);
			start = now_ns();
			ret = vgpu_ring_doorbell(b->d);
			if (ret)
				die_device(b, "doorbell", ret);
			do {
				seen = reg ? vgpu_read64(b->d, VGPU_REG_FENCE) :
					     __atomic_load_n(slot,
							     __ATOMIC_ACQUIRE);
				if (now_ns() - start > WAIT_MS * 1000000ULL)
					die_device(b, "latency", -ETIMEDOUT);
			} while (seen < b->seq);
			ns[i] = now_ns() - start;
		}
		print_latency(reg ? "FENCE register" : "fence in window", ns,
			      b->round_trips);
	}
	free(ns);
}

/* MiB/s of memcpy(@dst, @src, BW_BYTES), best of a few runs. */
static double copy_rate(void *dst, const void *src, double secs)
{
	__u64 best = ~0ULL, start = now_ns(), t;

	do {
		t = now_ns();
		memcpy(dst, src, BW_BYTES);
		t = now_ns() - t;
		if (t < best)
			best = t;
	} while (now_ns() - start < secs * 1e9);
	return BW_BYTES / (double)MIB / (best / 1e9);
}

static void bench_window(struct bench *b)
{
	void *win = (__u8 *)b->d->window + DATA_OFF;
	void *h1 = malloc(BW_BYTES), *h2 = malloc(BW_BYTES);
	double heap, rd, wr;

	if (!h1 || !h2) {
		perror("vgpu_bench");
		exit(1);
	}
	/* Fault everything in first. */
	fill_random(h1, BW_BYTES);
	memset(h2, 0, BW_BYTES);
	memcpy(win, h1, BW_BYTES);
	heap = copy_rate(h2, h1, b->secs);
	rd = copy_rate(h2, win, b->secs);
	wr = copy_rate(win, h1, b->secs);
	printf("window mmap bandwidth (memcpy of %llu MiB, best run):\n",
	       BW_BYTES / MIB);
	printf("  %-22s %10.1f MiB/s  %.2f x heap\n", "read window->heap", rd,
	       rd / heap);
	printf("  %-22s %10.1f MiB/s  %.2f x heap\n", "write heap->window",
	       wr, wr / heap);
	printf("  %-22s %10.1f MiB/s\n", "heap->heap", heap);
	free(h1);
	free(h2);
}

static void die_usage(void)
{
	fprintf(stderr,
		"usage: vgpu_bench -u UUID [-p PEER_UUID] [-t SECONDS] [-n ROUND_TRIPS]\n"
		"  -p  a vGPU of the same peer group: measure PEER_COPY into it\n"
		"  -t  time per throughput figure (default 0.5)\n"
		"  -n  round trips per latency figure (default 1000)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = { .secs = 0.5, .round_trips = 1000 };
	const char *uuid = NULL, *peer = NULL;
	int opt, ret;

	while ((opt = getopt(argc, argv, "u:p:t:n:h")) != -1) {
		switch (opt) {
		case 'u':
			uuid = optarg;
			break;
		case 'p':
			peer = optarg;
			break;
		case 't':
			b.secs = atof(optarg);
			break;
		case 'n':
			b.round_trips = atoi(optarg);
			break;
		default:
			die_usage();
		}
	}
	if (!uuid || b.secs <= 0 || b.round_trips < 1)
		die_usage();
	ret = vgpu_dev_open(uuid, &b.d);
	if (ret) {
		fprintf(stderr, "vgpu_bench: cannot open vGPU %s: %s\n", uuid,
			strerror(-ret));
		return 1;
	}
	if (peer) {
		ret = vgpu_dev_open(peer, &b.peer);
		if (ret) {
			fprintf(stderr, "vgpu_bench: cannot open vGPU %s: %s\n",
				peer, strerror(-ret));
			return 1;
		}
	}
	if (b.d->window_size < WINDOW_NEEDED ||
	    (b.peer && b.peer->window_size < WINDOW_NEEDED)) {
		fprintf(stderr, "vgpu_bench: the windows must have %llu MiB\n",
			WINDOW_NEEDED / MIB);
		return 1;
	}
	ret = vgpu_ring_init(b.d, 0, RING_ENTRIES);
	if (ret)
		die_device(&b, "ring", ret);
	printf("vGPU %s: window %llu MiB, %u engine(s) in its partition\n",
	       uuid, b.d->window_size / MIB,
	       vgpu_read32(b.d, VGPU_REG_ENGINES));
	bench_commands(&b);
	bench_latency(&b);
	bench_window(&b);
	vgpu_dev_close(b.peer);
	vgpu_dev_close(b.d);
	return 0;
}
