/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu-run -w peer: a GEMM split across two vGPUs of one peer group.
 */
#ifndef VGPU_RUN_PEER_H
#define VGPU_RUN_PEER_H

#include <stdbool.h>
#include <linux/types.h>

/**
 * struct peer_opts - what the command line asked of the peer workload
 * @dev: the two device nodes, or NULL to find two vGPUs of one peer group
 * @m: rows of A and C, split between the two vGPUs
 * @n: columns of B and C
 * @k: columns of A, rows of B
 * @max_jobs: iterations to run, 0 for no limit
 * @max_ns: how long to run, 0 for no limit
 * @seed: seed of the random matrices (not 0)
 * @quiet: print only the RESULT and PEER lines
 */
struct peer_opts {
	const char *dev[2];
	__u32 m, n, k;
	__u64 max_jobs;
	__u64 max_ns;
	__u64 seed;
	bool quiet;
};

int peer_run(const struct peer_opts *o, const int *stop);

#endif /* VGPU_RUN_PEER_H */
