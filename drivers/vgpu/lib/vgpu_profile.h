/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu profiles: the named vGPU types an administrator offers on a device.
 * Pure logic, shared by the module and the userspace unit tests.
 */
#ifndef VGPU_PROFILE_H
#define VGPU_PROFILE_H

#include "vgpu_pure.h"

/* Longest profile name, without the terminating NUL. */
#define VGPU_PROFILE_NAME_MAX	15
/* Most profiles one device offers. */
#define VGPU_MAX_PROFILES	16
/* Most vGPUs that may time-share one engine partition. */
#define VGPU_MAX_SHARE		64
/* Most engines one device may have (engine masks are 64-bit). */
#define VGPU_MAX_ENGINES	64
/* Smallest memory window a profile may ask for. */
#define VGPU_MIN_WINDOW		VGPU_SZ_1M
/* Room for one error message from the parser. */
#define VGPU_ERRMSG_LEN		128

/**
 * struct vgpu_profile - one vGPU type
 * @name: type name, [a-z0-9_] only; the mdev type directory is "vgpu-<name>"
 * @mem_size: memory window size in bytes (power of two, >= 1 MiB)
 * @engines: engines in one partition of this type (power of two)
 * @share: vGPUs that may share one partition (1 = dedicated)
 */
struct vgpu_profile {
	char name[VGPU_PROFILE_NAME_MAX + 1];
	u64 mem_size;
	u32 engines;
	u32 share;
};

int vgpu_parse_size(const char *s, size_t len, u64 *out);
int vgpu_profiles_parse(const char *spec, struct vgpu_profile *out,
			unsigned int max, unsigned int *count, char *err,
			size_t errlen);
int vgpu_profiles_check(const struct vgpu_profile *p, unsigned int count,
			u64 mem_size, u32 num_engines, char *err,
			size_t errlen);

#endif /* VGPU_PROFILE_H */
