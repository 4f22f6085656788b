// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the memory-window and engine-partition allocators
 * (drivers/vgpu/lib/vgpu_alloc.c), including a randomised check that the
 * "available" count the driver reports is exact at every step.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "vgpu_alloc.h"

#define MB 0x100000ULL

struct dev_model {
	struct vgpu_mem_pool mem;
	u64 map[VGPU_MEM_MAX_GRANULES / 64];
	struct vgpu_engine_pool eng;
	struct vgpu_profile prof[VGPU_MAX_PROFILES];
	unsigned int nprof;
};

struct inst {
	int profile;
	int part;
	u64 off;
};

static void model_init(struct dev_model *d, u64 mem, u32 engines)
{
	memset(d, 0, sizeof(*d));
	if (vgpu_mem_init(&d->mem, mem, d->map) ||
	    vgpu_engines_init(&d->eng, engines))
		abort();
}

static void add_prof(struct dev_model *d, u64 mem, u32 engines, u32 share)
{
	struct vgpu_profile *p = &d->prof[d->nprof++];

	snprintf(p->name, sizeof(p->name), "p%u", d->nprof);
	p->mem_size = mem;
	p->engines = engines;
	p->share = share;
}

/* The driver's available_instances formula (vgpu_type_available()). */
static u32 available(const struct dev_model *d, int i)
{
	u32 m = vgpu_mem_free_slots(&d->mem, d->prof[i].mem_size);
	u32 s = vgpu_part_seats(&d->eng, i, &d->prof[i]);

	return m < s ? m : s;
}

/* Create a vGPU the way the driver does; 0 or -ENOSPC. */
static int create(struct dev_model *d, int i, struct inst *out)
{
	int ret = vgpu_mem_alloc(&d->mem, d->prof[i].mem_size, &out->off);

	if (ret)
		return ret;
	ret = vgpu_part_join(&d->eng, i, &d->prof[i]);
	if (ret < 0) {
		vgpu_mem_free(&d->mem, out->off, d->prof[i].mem_size);
		return ret;
	}
	out->part = ret;
	out->profile = i;
	return 0;
}

static void destroy(struct dev_model *d, const struct inst *in)
{
	vgpu_part_leave(&d->eng, in->part);
	vgpu_mem_free(&d->mem, in->off, d->prof[in->profile].mem_size);
}

/* How many more of profile @i can really be created: do it on a copy. */
static u32 fill_count(const struct dev_model *d, int i)
{
	struct dev_model *c = malloc(sizeof(*c));
	struct inst tmp;
	u32 n = 0;

	memcpy(c, d, sizeof(*c));
	c->mem.map = c->map;
	while (!create(c, i, &tmp))
		n++;
	free(c);
	return n;
}

TEST(mem_natural_alignment_first_fit)
{
	struct dev_model d;
	u64 off;

	model_init(&d, 16 * MB, 1);
	ASSERT_EQ(0, vgpu_mem_alloc(&d.mem, 1 * MB, &off));
	EXPECT_EQ(0, off);
	ASSERT_EQ(0, vgpu_mem_alloc(&d.mem, 4 * MB, &off));
	EXPECT_EQ(4 * MB, off);
	ASSERT_EQ(0, vgpu_mem_alloc(&d.mem, 2 * MB, &off));
	EXPECT_EQ(2 * MB, off);
	ASSERT_EQ(0, vgpu_mem_alloc(&d.mem, 1 * MB, &off));
	EXPECT_EQ(1 * MB, off);
	ASSERT_EQ(0, vgpu_mem_alloc(&d.mem, 8 * MB, &off));
	EXPECT_EQ(8 * MB, off);
	EXPECT_EQ(0, vgpu_mem_free_bytes(&d.mem));
	EXPECT_EQ(-ENOSPC, vgpu_mem_alloc(&d.mem, 1 * MB, &off));
	vgpu_mem_free(&d.mem, 4 * MB, 4 * MB);
	EXPECT_EQ(4 * MB, vgpu_mem_free_bytes(&d.mem));
	EXPECT_EQ(1, vgpu_mem_free_slots(&d.mem, 4 * MB));
	EXPECT_EQ(2, vgpu_mem_free_slots(&d.mem, 2 * MB));
	EXPECT_EQ(0, vgpu_mem_free_slots(&d.mem, 8 * MB));
}

TEST(mem_fragmentation)
{
	struct dev_model d;
	u64 off[8];
	int i;

	model_init(&d, 8 * MB, 1);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, vgpu_mem_alloc(&d.mem, MB, &off[i]));
	/* Free every other granule: 4 MiB free, but no 2 MiB slot. */
	for (i = 0; i < 8; i += 2)
		vgpu_mem_free(&d.mem, off[i], MB);
	EXPECT_EQ(4 * MB, vgpu_mem_free_bytes(&d.mem));
	EXPECT_EQ(0, vgpu_mem_free_slots(&d.mem, 2 * MB));
	EXPECT_EQ(-ENOSPC, vgpu_mem_alloc(&d.mem, 2 * MB, &off[0]));
	EXPECT_EQ(4, vgpu_mem_free_slots(&d.mem, MB));
}

TEST(mem_bad_sizes)
{
	struct dev_model d;
	u64 off;

	model_init(&d, 64 * MB, 1);
	EXPECT_EQ(-EINVAL, vgpu_mem_alloc(&d.mem, 0, &off));
	EXPECT_EQ(-EINVAL, vgpu_mem_alloc(&d.mem, 3 * MB, &off));
	EXPECT_EQ(-EINVAL, vgpu_mem_alloc(&d.mem, MB / 2, &off));
	EXPECT_EQ(-ENOSPC, vgpu_mem_alloc(&d.mem, 128 * MB, &off));
	EXPECT_EQ(0, vgpu_mem_free_slots(&d.mem, 3 * MB));
	EXPECT_EQ(-EINVAL, vgpu_mem_init(&d.mem, MB + 1, d.map));
	EXPECT_EQ(-EINVAL, vgpu_mem_init(&d.mem, 0, d.map));
	EXPECT_EQ(-EINVAL, vgpu_mem_init(&d.mem, 128ULL << 30, d.map));
	EXPECT_EQ(1024, vgpu_mem_map_words(64ULL << 30));
}

TEST(partitions_dedicated_and_shared)
{
	struct dev_model d;
	struct inst a, b, c, x;
	int i;

	model_init(&d, 512 * MB, 8);
	add_prof(&d, 128 * MB, 2, 1);	/* dedicated */
	add_prof(&d, 64 * MB, 2, 4);	/* split */
	add_prof(&d, 32 * MB, 4, 8);	/* shared */
	EXPECT_EQ(4, vgpu_part_seats(&d.eng, 0, &d.prof[0]));
	EXPECT_EQ(4, available(&d, 0));	/* memory-bound: 4 x 128M */
	EXPECT_EQ(8, available(&d, 1));
	EXPECT_EQ(16, available(&d, 2));

	ASSERT_EQ(0, create(&d, 0, &a));
	EXPECT_EQ(0, d.eng.parts[a.part].first);
	ASSERT_EQ(0, create(&d, 1, &b));
	EXPECT_EQ(2, d.eng.parts[b.part].first);
	ASSERT_EQ(0, create(&d, 2, &c));
	EXPECT_EQ(4, d.eng.parts[c.part].first);
	EXPECT_EQ(0, vgpu_engines_free(&d.eng));
	/* Dedicated: no engines left for a second partition. */
	EXPECT_EQ(0, available(&d, 0));
	EXPECT_EQ(-ENOSPC, create(&d, 0, &x));
	/* Shared types still have seats in their partitions. */
	EXPECT_EQ(3, vgpu_part_seats(&d.eng, 1, &d.prof[1]));
	EXPECT_EQ(7, vgpu_part_seats(&d.eng, 2, &d.prof[2]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, create(&d, 1, &x));
	EXPECT_EQ(b.part, x.part);
	EXPECT_EQ(4, d.eng.parts[b.part].users);
	EXPECT_EQ(-ENOSPC, create(&d, 1, &x));
	/* Giving back the dedicated vGPU frees its engines. */
	destroy(&d, &a);
	EXPECT_EQ(2, vgpu_engines_free(&d.eng));
	EXPECT_EQ(4, vgpu_part_seats(&d.eng, 1, &d.prof[1]));
	/* 0-128M and 448-512M hold 64M slots; 224-256M is too small. */
	EXPECT_EQ(3, available(&d, 1));
}

TEST(partition_bad_profile)
{
	struct dev_model d;

	model_init(&d, 64 * MB, 4);
	add_prof(&d, MB, 8, 1);
	add_prof(&d, MB, 3, 1);
	add_prof(&d, MB, 1, 0);
	EXPECT_EQ(-EINVAL, vgpu_part_join(&d.eng, 0, &d.prof[0]));
	EXPECT_EQ(0, vgpu_part_seats(&d.eng, 0, &d.prof[0]));
	EXPECT_EQ(-EINVAL, vgpu_part_join(&d.eng, 1, &d.prof[1]));
	EXPECT_EQ(-EINVAL, vgpu_part_join(&d.eng, 2, &d.prof[2]));
	EXPECT_EQ(-EINVAL, vgpu_part_join(&d.eng, -1, &d.prof[0]));
	EXPECT_EQ(0, vgpu_engines_free(&d.eng) - 4);
	EXPECT_EQ(-EINVAL, vgpu_engines_init(&d.eng, 0));
	EXPECT_EQ(-EINVAL, vgpu_engines_init(&d.eng, 65));
}

TEST(sixty_four_engines)
{
	struct dev_model d;
	struct inst x;

	model_init(&d, 64 * MB, 64);
	add_prof(&d, MB, 64, 2);
	ASSERT_EQ(0, create(&d, 0, &x));
	EXPECT_EQ(0, vgpu_engines_free(&d.eng));
	EXPECT_EQ(1, available(&d, 0));
	destroy(&d, &x);
	EXPECT_EQ(64, vgpu_engines_free(&d.eng));
	EXPECT_EQ(0, d.eng.busy);
}

/*
 * Random create/destroy on heterogeneous profiles; at every step, for every
 * profile, the reported count equals what can really be created.
 */
TEST(available_is_exact_random)
{
	struct dev_model *d = malloc(sizeof(*d));
	struct inst live[256];
	unsigned int nlive = 0, step, seed;
	unsigned long checks = 0;

	for (seed = 1; seed <= 20; seed++) {
		unsigned int i;

		srand(seed);
		model_init(d, (u64)(64 + rand() % 200) * MB,
			   1 + rand() % 16);
		for (i = 0; i < 4; i++) {
			u32 e = 1u << (rand() % 3);

			if (e > d->eng.num_engines)
				e = 1;
			add_prof(d, MB << (rand() % 6), e, 1 + rand() % 6);
		}
		nlive = 0;
		for (step = 0; step < 400; step++) {
			int p = rand() % d->nprof, want;

			for (i = 0; i < d->nprof; i++, checks++)
				ASSERT_EQ(fill_count(d, i), available(d, i))
					TH_LOG("seed %u step %u profile %u",
					       seed, step, i);
			if (nlive && (rand() % 3 == 0 || nlive == 256)) {
				unsigned int k = rand() % nlive;

				destroy(d, &live[k]);
				live[k] = live[--nlive];
				continue;
			}
			want = available(d, p) ? 0 : -ENOSPC;
			ASSERT_EQ(want, create(d, p, &live[nlive]));
			if (!want)
				nlive++;
		}
		while (nlive)
			destroy(d, &live[--nlive]);
		EXPECT_EQ(0, d->mem.used);
		EXPECT_EQ(0, d->eng.busy);
	}
	TH_LOG("%lu exactness checks", checks);
	free(d);
}

TEST_HARNESS_MAIN
