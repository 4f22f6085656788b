/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the vgpu migration kselftests (mdev vGPUs and VFs): verified
 * GEMM batches, a queue of identical int8 GEMMs, each followed by a fence,
 * whose results are checked against the same product computed on the CPU
 * and which keep running across the stop; pre-copy passes while "the
 * guest" writes its window; the ring position a VMM carries over.
 */
#ifndef VGPU_TEST_MIG_H
#define VGPU_TEST_MIG_H

#include <stdlib.h>
#include <string.h>

#include "vgpu_vfio.h"

/* Pseudo-random int8 values, the same on every run for one seed. */
static inline void vgpu_rand_i8(signed char *p, size_t len, unsigned int *seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*seed = *seed * 1103515245 + 12345;
		p[i] = *seed >> 16;
	}
}

/* The device's GEMM on the CPU: int8 @a (m x k) times @b (k x n), u32 @c. */
static inline void vgpu_gemm_ref(const signed char *a, const signed char *b,
				 unsigned int *c, unsigned int m,
				 unsigned int n, unsigned int k)
{
	unsigned int i, j, l;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			unsigned int acc = 0;

			for (l = 0; l < k; l++)
				acc += (unsigned int)(a[i * k + l] *
						      b[l * n + j]);
			c[i * n + j] = acc;
		}
}

/**
 * struct vgpu_gemm_batch - @count GEMMs of one m x k by k x n product
 * @m: rows of A and C
 * @n: columns of B and C
 * @k: columns of A, rows of B
 * @count: GEMMs in the batch; the i-th writes C at @c_off + i * @c_stride
 *	   and then FENCE i + 1 at @fence_off
 * @seed: seed of the inputs (vgpu_rand_i8())
 * @a_off: window offset of A
 * @b_off: window offset of B
 * @c_off: window offset of the first C
 * @c_stride: bytes between two Cs
 * @fence_off: window offset of the fence value
 * @a: the inputs and the expected product, set by vgpu_gemm_batch_init()
 * @b: see @a
 * @want: see @a
 */
struct vgpu_gemm_batch {
	unsigned int m, n, k, count, seed;
	__u64 a_off, b_off, c_off, c_stride, fence_off;
	signed char *a, *b;
	__u32 *want;
};

/* Make the inputs and the CPU's product once. Return 0 or -ENOMEM. */
static inline int vgpu_gemm_batch_init(struct vgpu_gemm_batch *g)
{
	unsigned int seed = g->seed;

	if (g->want)
		return 0;
	g->a = malloc((size_t)g->m * g->k);
	g->b = malloc((size_t)g->k * g->n);
	g->want = malloc(sizeof(*g->want) * g->m * g->n);
	if (!g->a || !g->b || !g->want)
		return -ENOMEM;
	vgpu_rand_i8(g->a, (size_t)g->m * g->k, &seed);
	vgpu_rand_i8(g->b, (size_t)g->k * g->n, &seed);
	vgpu_gemm_ref(g->a, g->b, g->want, g->m, g->n, g->k);
	return 0;
}

/* Put the inputs into @d's window, queue the batch and ring. */
static inline int vgpu_gemm_batch_queue(struct vgpu_dev *d,
					const struct vgpu_gemm_batch *g)
{
	char *w = d->window;
	unsigned int i;

	memcpy(w + g->a_off, g->a, (size_t)g->m * g->k);
	memcpy(w + g->b_off, g->b, (size_t)g->k * g->n);
	memset(w + g->c_off, 0, g->count * g->c_stride);
	for (i = 0; i < g->count; i++) {
		struct vgpu_cmd c[2] = {
			vgpu_cmd_gemm(g->a_off, g->b_off,
				      g->c_off + i * g->c_stride,
				      g->m, g->n, g->k),
			vgpu_cmd_fence(g->fence_off, i + 1, false),
		};

		if (vgpu_ring_put(d, c, 2))
			return -1;
	}
	return vgpu_ring_doorbell(d);
}

/* GEMMs of the batch whose result in @d's window is not the CPU's. */
static inline int vgpu_gemm_batch_wrong(struct vgpu_dev *d,
					const struct vgpu_gemm_batch *g)
{
	size_t bytes = sizeof(*g->want) * g->m * g->n;
	unsigned int i;
	int wrong = 0;

	for (i = 0; i < g->count; i++)
		wrong += !!memcmp((char *)d->window + g->c_off +
				  i * g->c_stride, g->want, bytes);
	return wrong;
}

/* The VMM's copy of the ring position follows a migrated vGPU. */
static inline void vgpu_adopt_ring(struct vgpu_dev *to,
				   const struct vgpu_dev *from)
{
	to->ring_base = from->ring_base;
	to->ring_entries = from->ring_entries;
	to->tail = from->tail;
}

/*
 * @rounds pre-copy passes of the saving data file @dfd into @s; before
 * each, "the guest" writes byte r of each of the @pages pages at @d with
 * 0xa0 + r + page (r: the pass). Adds the bytes read to *@pre.
 * Return: 0 or a negative errno; -EPROTO if the driver still counts
 * initial bytes after a pass.
 */
static inline int vgpu_precopy_passes(int dfd, struct vgpu_mig_stream *s,
				      unsigned char *d, int pages, int rounds,
				      long long *pre)
{
	struct vfio_precopy_info info;
	int round, i, ret;
	long long n;

	for (round = 0; round < rounds; round++) {
		for (i = 0; i < pages; i++)
			d[i * 4096 + round] = 0xa0 + round + i;
		n = vgpu_mig_read(dfd, s);
		if (n < 0)
			return n;
		*pre += n;
		ret = vgpu_mig_precopy_info(dfd, &info);
		if (ret)
			return ret;
		if (info.initial_bytes)
			return -EPROTO;
	}
	return 0;
}

#endif /* VGPU_TEST_MIG_H */
