// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu resource allocators (pure logic).
 */

/**
 * DOC: memory windows and engine partitions
 *
 * Device memory is a bitmap of 1 MiB granules. A memory window is a power of
 * two in size and placed at an offset aligned to its size (first fit, lowest
 * offset). Natural alignment makes the aligned slots of one size disjoint, so
 * the number of windows of size S that can still be created is exactly the
 * number of size-S aligned slots that are entirely free; this is what makes
 * ``available_instances`` exact under fragmentation.
 *
 * Engines are grouped into partitions. A partition is a naturally aligned,
 * power-of-two run of engines owned by one profile and shared by at most that
 * profile's SHARE vGPUs. A new vGPU joins the lowest partition of its profile
 * that has a free seat (packing vGPUs leaves whole engines free for other
 * profiles) and only otherwise carves a new partition from free engines. The
 * partition is released when its last vGPU leaves.
 */
#include "vgpu_alloc.h"

static bool vgpu_bit(const u64 *map, u32 i)
{
	return map[i / 64] & (1ULL << (i % 64));
}

static void vgpu_set_bits(u64 *map, u32 first, u32 count, bool on)
{
	u32 i;

	for (i = first; i < first + count; i++) {
		if (on)
			map[i / 64] |= 1ULL << (i % 64);
		else
			map[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* True if granules [first, first + count) are all clear. */
static bool vgpu_range_clear(const u64 *map, u32 first, u32 count)
{
	u32 i = first, end = first + count;

	while (i < end) {
		if (!(i % 64) && end - i >= 64) {
			if (map[i / 64])
				return false;
			i += 64;
			continue;
		}
		if (vgpu_bit(map, i))
			return false;
		i++;
	}
	return true;
}

/**
 * vgpu_mem_map_words() - bitmap words needed to manage @size bytes
 * @size: device memory in bytes
 *
 * Return: the number of u64 words vgpu_mem_init() expects.
 */
size_t vgpu_mem_map_words(u64 size)
{
	u64 granules = size / VGPU_MEM_GRANULE;

	return (size_t)((granules + 63) / 64);
}
EXPORT_SYMBOL_VGPU(vgpu_mem_map_words);

/**
 * vgpu_mem_init() - set up an empty memory pool
 * @pool: the pool
 * @size: device memory in bytes, a non-zero multiple of the granule
 * @map: zeroed storage of vgpu_mem_map_words(@size) words
 *
 * Return: 0, or -EINVAL if @size is not a whole number of granules or is
 * larger than VGPU_MEM_MAX_GRANULES granules.
 */
int vgpu_mem_init(struct vgpu_mem_pool *pool, u64 size, u64 *map)
{
	if (!size || size % VGPU_MEM_GRANULE ||
	    size / VGPU_MEM_GRANULE > VGPU_MEM_MAX_GRANULES)
		return -EINVAL;
	pool->map = map;
	pool->granules = (u32)(size / VGPU_MEM_GRANULE);
	pool->used = 0;
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_mem_init);

/**
 * vgpu_mem_alloc() - allocate a naturally aligned window
 * @pool: the pool
 * @size: window size in bytes: a power of two, at least one granule
 * @offset: the window's offset in device memory
 *
 * Return: 0, -EINVAL for a bad @size, -ENOSPC if no aligned slot is free.
 */
int vgpu_mem_alloc(struct vgpu_mem_pool *pool, u64 size, u64 *offset)
{
	u64 n = size / VGPU_MEM_GRANULE;
	u32 first;

	if (!vgpu_is_pow2(size) || size < VGPU_MEM_GRANULE)
		return -EINVAL;
	if (n > pool->granules)
		return -ENOSPC;
	for (first = 0; first + n <= pool->granules; first += (u32)n) {
		if (!vgpu_range_clear(pool->map, first, (u32)n))
			continue;
		vgpu_set_bits(pool->map, first, (u32)n, true);
		pool->used += (u32)n;
		*offset = (u64)first * VGPU_MEM_GRANULE;
		return 0;
	}
	return -ENOSPC;
}
EXPORT_SYMBOL_VGPU(vgpu_mem_alloc);

/**
 * vgpu_mem_free() - return a window to the pool
 * @pool: the pool
 * @offset: offset returned by vgpu_mem_alloc()
 * @size: the size that was allocated
 */
void vgpu_mem_free(struct vgpu_mem_pool *pool, u64 offset, u64 size)
{
	u32 first = (u32)(offset / VGPU_MEM_GRANULE);
	u32 n = (u32)(size / VGPU_MEM_GRANULE);

	vgpu_set_bits(pool->map, first, n, false);
	pool->used -= n;
}
EXPORT_SYMBOL_VGPU(vgpu_mem_free);

/**
 * vgpu_mem_free_slots() - how many windows of @size could be allocated now
 * @pool: the pool
 * @size: window size in bytes (power of two, at least one granule)
 *
 * Return: the number of entirely free aligned slots of @size, 0 for a bad
 * @size.
 */
u32 vgpu_mem_free_slots(const struct vgpu_mem_pool *pool, u64 size)
{
	u64 n = size / VGPU_MEM_GRANULE;
	u32 first, slots = 0;

	if (!vgpu_is_pow2(size) || size < VGPU_MEM_GRANULE)
		return 0;
	for (first = 0; first + n <= pool->granules; first += (u32)n)
		if (vgpu_range_clear(pool->map, first, (u32)n))
			slots++;
	return slots;
}
EXPORT_SYMBOL_VGPU(vgpu_mem_free_slots);

/**
 * vgpu_mem_free_bytes() - device memory not in any window
 * @pool: the pool
 *
 * Return: free bytes.
 */
u64 vgpu_mem_free_bytes(const struct vgpu_mem_pool *pool)
{
	return (u64)(pool->granules - pool->used) * VGPU_MEM_GRANULE;
}
EXPORT_SYMBOL_VGPU(vgpu_mem_free_bytes);

/**
 * vgpu_engines_init() - set up an engine pool with no partitions
 * @pool: the pool
 * @num_engines: 1 to VGPU_MAX_ENGINES
 *
 * Return: 0 or -EINVAL.
 */
int vgpu_engines_init(struct vgpu_engine_pool *pool, u32 num_engines)
{
	unsigned int i;

	if (!num_engines || num_engines > VGPU_MAX_ENGINES)
		return -EINVAL;
	memset(pool, 0, sizeof(*pool));
	pool->num_engines = num_engines;
	for (i = 0; i < VGPU_MAX_ENGINES; i++)
		pool->parts[i].profile = VGPU_PART_NONE;
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_engines_init);

static u64 vgpu_engine_mask(u32 first, u32 count)
{
	u64 ones = count >= 64 ? ~0ULL : (1ULL << count) - 1;

	return ones << first;
}

/**
 * vgpu_part_join() - place a vGPU of @profile in an engine partition
 * @pool: the pool
 * @profile: index of the vGPU's profile
 * @p: that profile
 *
 * Return: the partition index (>= 0), -EINVAL for a malformed profile, or
 * -ENOSPC if no partition has a seat and no aligned engines are free.
 */
int vgpu_part_join(struct vgpu_engine_pool *pool, int profile,
		   const struct vgpu_profile *p)
{
	u32 first;
	int i, slot = VGPU_PART_NONE;

	if (profile < 0 || !vgpu_is_pow2(p->engines) || !p->share ||
	    p->engines > pool->num_engines)
		return -EINVAL;
	for (i = 0; i < VGPU_MAX_ENGINES; i++) {
		struct vgpu_partition *part = &pool->parts[i];

		if (part->profile == profile && part->users < part->share) {
			part->users++;
			return i;
		}
		if (part->profile == VGPU_PART_NONE && slot == VGPU_PART_NONE)
			slot = i;
	}
	for (first = 0; first + p->engines <= pool->num_engines;
	     first += p->engines) {
		u64 mask = vgpu_engine_mask(first, p->engines);

		if (pool->busy & mask)
			continue;
		/* One engine per partition at least, so a slot is free. */
		if (slot == VGPU_PART_NONE)
			return -ENOSPC;
		pool->busy |= mask;
		pool->parts[slot] = (struct vgpu_partition){
			.first = first,
			.count = p->engines,
			.profile = profile,
			.share = p->share,
			.users = 1,
		};
		return slot;
	}
	return -ENOSPC;
}
EXPORT_SYMBOL_VGPU(vgpu_part_join);

/**
 * vgpu_part_leave() - remove a vGPU from its partition
 * @pool: the pool
 * @part: index returned by vgpu_part_join()
 *
 * The partition's engines are freed when its last vGPU leaves.
 */
void vgpu_part_leave(struct vgpu_engine_pool *pool, int part)
{
	struct vgpu_partition *pp = &pool->parts[part];

	if (--pp->users)
		return;
	pool->busy &= ~vgpu_engine_mask(pp->first, pp->count);
	pp->profile = VGPU_PART_NONE;
}
EXPORT_SYMBOL_VGPU(vgpu_part_leave);

/**
 * vgpu_part_seats() - vGPUs of @profile the engines could still take
 * @pool: the pool
 * @profile: index of the profile
 * @p: that profile
 *
 * Return: free seats in the profile's partitions plus the seats of every
 * partition that could still be carved from free engines.
 */
u32 vgpu_part_seats(const struct vgpu_engine_pool *pool, int profile,
		    const struct vgpu_profile *p)
{
	u32 first, seats = 0;
	int i;

	if (!vgpu_is_pow2(p->engines) || p->engines > pool->num_engines)
		return 0;
	for (i = 0; i < VGPU_MAX_ENGINES; i++)
		if (pool->parts[i].profile == profile)
			seats += pool->parts[i].share - pool->parts[i].users;
	for (first = 0; first + p->engines <= pool->num_engines;
	     first += p->engines)
		if (!(pool->busy & vgpu_engine_mask(first, p->engines)))
			seats += p->share;
	return seats;
}
EXPORT_SYMBOL_VGPU(vgpu_part_seats);

/**
 * vgpu_engines_free() - engines that belong to no partition
 * @pool: the pool
 *
 * Return: the count of free engines.
 */
u32 vgpu_engines_free(const struct vgpu_engine_pool *pool)
{
	u32 n = 0, i;

	for (i = 0; i < pool->num_engines; i++)
		if (!(pool->busy & (1ULL << i)))
			n++;
	return n;
}
EXPORT_SYMBOL_VGPU(vgpu_engines_free);
