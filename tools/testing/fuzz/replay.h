/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The replay driver of the fuzz targets (replay.c): what a target built
 * for replay provides.
 */
#ifndef VGPU_FUZZ_REPLAY_H
#define VGPU_FUZZ_REPLAY_H

#include <stddef.h>
#include <linux/types.h>

/* Run one input; abort()s on a finding. */
int fuzz_one_input(const __u8 *data, size_t size);
/* Print a "# PATH: ..." line about the input just run (-v). */
void fuzz_describe(const char *path);
/* Write the seed corpus into DIR; 0 or 1. */
int fuzz_write_seeds(const char *dir);

#endif /* VGPU_FUZZ_REPLAY_H */
