/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu resource allocators: memory windows in device memory and engine
 * partitions. Pure logic, shared by the module and the userspace unit tests;
 * the caller serialises all calls on one pool.
 */
#ifndef VGPU_ALLOC_H
#define VGPU_ALLOC_H

#include "vgpu_pure.h"
#include "vgpu_profile.h"

/* Device memory is managed in granules of this many bytes. */
#define VGPU_MEM_GRANULE	VGPU_SZ_1M
/* Most device memory, in granules (64 GiB). */
#define VGPU_MEM_MAX_GRANULES	65536u

/**
 * struct vgpu_mem_pool - device memory, one bit per granule (1 = in use)
 * @map: the bitmap, vgpu_mem_map_words() words supplied by the caller
 * @granules: number of granules managed
 * @used: granules currently allocated
 */
struct vgpu_mem_pool {
	u64 *map;
	u32 granules;
	u32 used;
};

size_t vgpu_mem_map_words(u64 size);
int vgpu_mem_init(struct vgpu_mem_pool *pool, u64 size, u64 *map);
int vgpu_mem_alloc(struct vgpu_mem_pool *pool, u64 size, u64 *offset);
void vgpu_mem_free(struct vgpu_mem_pool *pool, u64 offset, u64 size);
u32 vgpu_mem_free_slots(const struct vgpu_mem_pool *pool, u64 size);
u64 vgpu_mem_free_bytes(const struct vgpu_mem_pool *pool);

/* A partition slot that holds no partition. */
#define VGPU_PART_NONE	(-1)

/**
 * struct vgpu_partition - a naturally aligned run of engines of one profile
 * @first: first engine
 * @count: number of engines (power of two)
 * @profile: index of the profile that owns it, or VGPU_PART_NONE if unused
 * @share: most vGPUs that may be placed in it
 * @users: vGPUs placed in it now
 */
struct vgpu_partition {
	u32 first;
	u32 count;
	int profile;
	u32 share;
	u32 users;
};

/**
 * struct vgpu_engine_pool - the device's engines and their partitions
 * @num_engines: engines on the device
 * @busy: engines that belong to a partition
 * @parts: partition table; at most one partition per engine exists
 */
struct vgpu_engine_pool {
	u32 num_engines;
	u64 busy;
	struct vgpu_partition parts[VGPU_MAX_ENGINES];
};

int vgpu_engines_init(struct vgpu_engine_pool *pool, u32 num_engines);
int vgpu_part_join(struct vgpu_engine_pool *pool, int profile,
		   const struct vgpu_profile *p);
void vgpu_part_leave(struct vgpu_engine_pool *pool, int part);
u32 vgpu_part_seats(const struct vgpu_engine_pool *pool, int profile,
		    const struct vgpu_profile *p);
u32 vgpu_engines_free(const struct vgpu_engine_pool *pool);

#endif /* VGPU_ALLOC_H */
