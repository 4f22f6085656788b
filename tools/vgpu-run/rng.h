/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu-run: the pseudo-random data of the workloads (xorshift64*), shared
 * by the single-device workloads (vgpu-run.c) and the peer one (peer.c).
 */
#ifndef VGPU_RUN_RNG_H
#define VGPU_RUN_RNG_H

#include <stddef.h>
#include <string.h>
#include <linux/types.h>

/* The next number of the sequence in *@state, which never becomes 0. */
static inline __u64 rng_next(__u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* Fill @len bytes at @buf from the sequence in *@state. */
static inline void rng_fill(__u64 *state, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;
	__u64 v;

	for (i = 0; i + 8 <= len; i += 8) {
		v = rng_next(state);
		memcpy(p + i, &v, sizeof(v));
	}
	v = rng_next(state);
	for (; i < len; i++, v >>= 8)
		p[i] = v;
}

#endif /* VGPU_RUN_RNG_H */
