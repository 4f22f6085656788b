// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites for vgpu's pure logic: profile parsing, the memory-window and
 * engine-partition allocators, the command validator and executor, and the
 * scheduling policies. They
 * build into vgpu_kunit.ko against kernels with CONFIG_KUNIT (the project's
 * debug kernel) and run in its test VM; the same logic also has userspace
 * unit tests in tools/testing/unit.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "../lib/vgpu_alloc.h"
#include "../lib/vgpu_cmd.h"
#include "../lib/vgpu_profile.h"
#include "../lib/vgpu_sched_policy.h"
#include "../lib/vgpu_state.h"

#include "tests/vgpu_kunit.h"

MODULE_IMPORT_NS(VGPU);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define MB VGPU_SZ_1M

static void vgpu_kunit_profile_default(struct kunit *test)
{
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	char err[VGPU_ERRMSG_LEN] = "";
	unsigned int n = 0;

	KUNIT_ASSERT_EQ(test, 0,
			vgpu_profiles_parse("dedicated:128M:2:1,split:64M:2:4,shared:32M:4:8",
					    p, VGPU_MAX_PROFILES, &n, err,
					    sizeof(err)));
	KUNIT_ASSERT_EQ(test, 3u, n);
	KUNIT_EXPECT_STREQ(test, "split", p[1].name);
	KUNIT_EXPECT_EQ(test, 64 * MB, p[1].mem_size);
	KUNIT_EXPECT_EQ(test, 2u, p[1].engines);
	KUNIT_EXPECT_EQ(test, 4u, p[1].share);
	KUNIT_EXPECT_EQ(test, 0, vgpu_profiles_check(p, n, 512 * MB, 8, err,
						     sizeof(err)));
	KUNIT_EXPECT_EQ(test, -EINVAL, vgpu_profiles_check(p, n, 512 * MB, 2,
							   err, sizeof(err)));
}

static void vgpu_kunit_profile_bad(struct kunit *test)
{
	static const char *const bad[] = {
		"", "a", "a:64M:1", "A:64M:1:1", "a:60M:1:1", "a:64M:3:1",
		"a:64M:1:0", "a:64M:1:1,a:1M:1:1", "a:64M:1:1,",
	};
	struct vgpu_profile p[VGPU_MAX_PROFILES];
	char err[VGPU_ERRMSG_LEN];
	unsigned int i, n;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    vgpu_profiles_parse(bad[i], p,
							VGPU_MAX_PROFILES, &n,
							err, sizeof(err)),
				    "spec '%s'", bad[i]);
		KUNIT_EXPECT_NE(test, '\0', err[0]);
	}
	KUNIT_EXPECT_EQ(test, -ERANGE,
			vgpu_profiles_parse("a:64M:1:65", p, VGPU_MAX_PROFILES,
					    &n, err, sizeof(err)));
}

static void vgpu_kunit_mem_alloc(struct kunit *test)
{
	struct vgpu_mem_pool pool;
	u64 *map, off[8];
	int i;

	map = kunit_kcalloc(test, vgpu_mem_map_words(8 * MB), sizeof(*map),
			    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_EQ(test, 0, vgpu_mem_init(&pool, 8 * MB, map));
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, 0, vgpu_mem_alloc(&pool, MB, &off[i]));
		KUNIT_EXPECT_EQ(test, (u64)i * MB, off[i]);
	}
	for (i = 0; i < 8; i += 2)
		vgpu_mem_free(&pool, off[i], MB);
	/* Half free, but fragmented: no aligned 2 MiB slot. */
	KUNIT_EXPECT_EQ(test, 4 * MB, vgpu_mem_free_bytes(&pool));
	KUNIT_EXPECT_EQ(test, 0u, vgpu_mem_free_slots(&pool, 2 * MB));
	KUNIT_EXPECT_EQ(test, -ENOSPC, vgpu_mem_alloc(&pool, 2 * MB, &off[0]));
	KUNIT_EXPECT_EQ(test, -EINVAL, vgpu_mem_alloc(&pool, 3 * MB, &off[0]));
}

static void vgpu_kunit_partitions(struct kunit *test)
{
	struct vgpu_profile ded = { .mem_size = MB, .engines = 2, .share = 1 };
	struct vgpu_profile shr = { .mem_size = MB, .engines = 4, .share = 8 };
	struct vgpu_engine_pool *pool;
	int a, b, c;

	pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, vgpu_engines_init(pool, 8));
	KUNIT_EXPECT_EQ(test, 4u, vgpu_part_seats(pool, 0, &ded));
	KUNIT_EXPECT_EQ(test, 16u, vgpu_part_seats(pool, 1, &shr));
	a = vgpu_part_join(pool, 1, &shr);
	b = vgpu_part_join(pool, 1, &shr);
	KUNIT_EXPECT_EQ(test, a, b);
	KUNIT_EXPECT_EQ(test, 4u, vgpu_engines_free(pool));
	c = vgpu_part_join(pool, 0, &ded);
	KUNIT_ASSERT_GE(test, c, 0);
	KUNIT_EXPECT_EQ(test, 4u, pool->parts[c].first);
	KUNIT_EXPECT_EQ(test, 1u, vgpu_part_seats(pool, 0, &ded));
	vgpu_part_leave(pool, a);
	vgpu_part_leave(pool, b);
	KUNIT_EXPECT_EQ(test, 6u, vgpu_engines_free(pool));
	vgpu_part_leave(pool, c);
	KUNIT_EXPECT_EQ(test, 0ULL, pool->busy);
}

static void vgpu_kunit_cmd_validate(struct kunit *test)
{
	const u64 win = 64 * MB;
	struct vgpu_cmd c = { .opcode = VGPU_OP_COPY };
	u64 bad;

	c.u.copy.src = 0;
	c.u.copy.dst = win - 4096;
	c.u.copy.len = 4096;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_NONE, vgpu_cmd_validate(&c, win, &bad));
	c.u.copy.len = 4097;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_RANGE, vgpu_cmd_validate(&c, win, &bad));
	KUNIT_EXPECT_EQ(test, win - 4096, bad);
	c.u.copy.dst = ~0ULL - 8;
	c.u.copy.len = 64;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_RANGE, vgpu_cmd_validate(&c, win, &bad));
	c.u.copy.dst = 32;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_OVERLAP,
			vgpu_cmd_validate(&c, win, &bad));
	c.flags = VGPU_CMD_IRQ;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_FLAGS, vgpu_cmd_validate(&c, win, &bad));
	c.opcode = VGPU_OP_COUNT;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_OPCODE,
			vgpu_cmd_validate(&c, win, &bad));
	memset(&c, 0, sizeof(c));
	c.opcode = VGPU_OP_GEMM_I8;
	c.u.gemm.m = 0xffffffff;
	c.u.gemm.n = 0xffffffff;
	c.u.gemm.k = 1;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_RANGE, vgpu_cmd_validate(&c, win, &bad));
	c.opcode = VGPU_OP_FENCE;
	c.u.fence.dst = 4;
	KUNIT_EXPECT_EQ(test, VGPU_ERR_ALIGN, vgpu_cmd_validate(&c, win, &bad));
}

struct vgpu_kunit_mem {
	u8 *win;
	u64 size;
};

static int vgpu_kunit_read(void *ctx, bool sys, u64 addr, void *buf,
			   size_t len)
{
	struct vgpu_kunit_mem *m = ctx;

	if (sys)
		return -EFAULT;
	memcpy(buf, m->win + addr, len);
	return 0;
}

static int vgpu_kunit_write(void *ctx, bool sys, u64 addr, const void *buf,
			    size_t len)
{
	struct vgpu_kunit_mem *m = ctx;

	if (sys)
		return -EFAULT;
	memcpy(m->win + addr, buf, len);
	return 0;
}

static u64 vgpu_kunit_now(void *ctx)
{
	return 42;
}

static const struct vgpu_mem_ops vgpu_kunit_ops = {
	.read = vgpu_kunit_read,
	.write = vgpu_kunit_write,
	.now_ns = vgpu_kunit_now,
};

static int vgpu_kunit_run(struct kunit *test, struct vgpu_exec *ex,
			  struct vgpu_kunit_mem *m, const struct vgpu_cmd *c)
{
	u64 bad, bytes;
	int ret, units = 0;

	KUNIT_ASSERT_EQ(test, VGPU_ERR_NONE,
			vgpu_cmd_validate(c, m->size, &bad));
	vgpu_exec_start(ex, c);
	do {
		ret = vgpu_exec_step(ex, &vgpu_kunit_ops, m, &bad, &bytes);
		units++;
	} while (ret == VGPU_STEP_MORE);
	KUNIT_EXPECT_EQ(test, VGPU_STEP_DONE, ret);
	return units;
}

static void vgpu_kunit_cmd_exec(struct kunit *test)
{
	struct vgpu_kunit_mem m = { .size = 4 * MB };
	struct vgpu_cmd c = { };
	struct vgpu_exec *ex;
	u32 crc, i;
	s32 cval;

	m.win = kunit_kzalloc(test, m.size, GFP_KERNEL);
	ex = kunit_kzalloc(test, sizeof(*ex), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.win);
	KUNIT_ASSERT_NOT_NULL(test, ex);

	memcpy(m.win, "123456789", 9);
	c.opcode = VGPU_OP_CRC32C;
	c.u.crc.len = 9;
	c.u.crc.dst = 64;
	vgpu_kunit_run(test, ex, &m, &c);
	memcpy(&crc, m.win + 64, 4);
	KUNIT_EXPECT_EQ(test, 0xe3069283u, crc);

	/* A 200 KiB copy takes four 64 KiB units. */
	for (i = 0; i < 200 * 1024; i++)
		m.win[MB + i] = i * 7;
	memset(&c, 0, sizeof(c));
	c.opcode = VGPU_OP_COPY;
	c.u.copy.src = MB;
	c.u.copy.dst = 2 * MB;
	c.u.copy.len = 200 * 1024;
	KUNIT_EXPECT_EQ(test, 4, vgpu_kunit_run(test, ex, &m, &c));
	KUNIT_EXPECT_EQ(test, 0, memcmp(m.win + MB, m.win + 2 * MB,
					200 * 1024));

	/* 1 x 300 times 300 x 1 of ones: 300, over two k-units. */
	memset(m.win, 1, 600);
	memset(&c, 0, sizeof(c));
	c.opcode = VGPU_OP_GEMM_I8;
	c.u.gemm.a = 0;
	c.u.gemm.b = 300;
	c.u.gemm.c = 1024;
	c.u.gemm.m = 1;
	c.u.gemm.n = 1;
	c.u.gemm.k = 300;
	KUNIT_EXPECT_EQ(test, 2, vgpu_kunit_run(test, ex, &m, &c));
	memcpy(&cval, m.win + 1024, 4);
	KUNIT_EXPECT_EQ(test, 300, cval);
}

/* Best effort with weights 1:3 on one engine, always busy: shares 1:3. */
static void vgpu_kunit_sched_weights(struct kunit *test)
{
	struct vgpu_sched_entity a = { .weight = 10 }, b = { .weight = 30 };
	struct vgpu_sched_part p;
	u64 now = 0;
	int i;

	vgpu_sched_part_init(&p, VGPU_POLICY_BEST_EFFORT, 2000000, 4, 1);
	KUNIT_ASSERT_EQ(test, 0, vgpu_sched_add(&p, &a));
	KUNIT_ASSERT_EQ(test, 1, vgpu_sched_add(&p, &b));
	vgpu_sched_set_busy(&p, &a, true);
	vgpu_sched_set_busy(&p, &b, true);
	for (i = 0; i < 4000; i++) {
		struct vgpu_sched_pick d = vgpu_sched_pick(&p, now);

		KUNIT_ASSERT_GE(test, d.idx, 0);
		now += d.slice_ns;
		vgpu_sched_account(&p, d.idx, d.slice_ns, now);
	}
	KUNIT_EXPECT_LE(test, abs((int)a.slices - 1000), 2);
	KUNIT_EXPECT_LE(test, abs((int)b.slices - 3000), 2);
}

/* Fixed share: two of four seats busy get a quarter each, slots idle. */
static void vgpu_kunit_sched_fixed(struct kunit *test)
{
	struct vgpu_sched_entity a = { .weight = 10 }, b = { .weight = 10 };
	struct vgpu_sched_part p;
	int i, idle = 0;

	vgpu_sched_part_init(&p, VGPU_POLICY_FIXED_SHARE, 2000000, 4, 1);
	vgpu_sched_add(&p, &a);
	vgpu_sched_add(&p, &b);
	vgpu_sched_set_busy(&p, &a, true);
	vgpu_sched_set_busy(&p, &b, true);
	for (i = 0; i < 400; i++) {
		struct vgpu_sched_pick d = vgpu_sched_pick(&p, 0);

		if (d.idx < 0)
			idle++;
		else
			vgpu_sched_account(&p, d.idx, d.slice_ns, 0);
	}
	KUNIT_EXPECT_EQ(test, 100u, a.slices);
	KUNIT_EXPECT_EQ(test, 100u, b.slices);
	KUNIT_EXPECT_EQ(test, 200, idle);
}

/* The strongest hold names the state; a fault shows only without holds. */
static void vgpu_kunit_control_state(struct kunit *test)
{
	static const struct {
		u32 holds;
		bool halted;
		enum vgpu_state want;
	} t[] = {
		{ 0, false, VGPU_STATE_RUNNING },
		{ 0, true, VGPU_STATE_FAULTED },
		{ VGPU_HOLD_OPERATOR, false, VGPU_STATE_PAUSED },
		{ VGPU_HOLD_OPERATOR, true, VGPU_STATE_PAUSED },
		{ VGPU_HOLD_RESET, true, VGPU_STATE_RESETTING },
		{ VGPU_HOLD_RESET | VGPU_HOLD_OPERATOR, false,
		  VGPU_STATE_RESETTING },
		{ VGPU_HOLD_REMOVED | VGPU_HOLD_RESET | VGPU_HOLD_OPERATOR, true,
		  VGPU_STATE_REMOVING },
	};
	bool pause = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ_MSG(test, t[i].want,
				    vgpu_state_of(t[i].holds, t[i].halted),
				    "holds %#x halted %d", t[i].holds,
				    t[i].halted);
	KUNIT_EXPECT_STREQ(test, "paused", vgpu_state_name(VGPU_STATE_PAUSED));
	KUNIT_EXPECT_EQ(test, 0, vgpu_state_parse_request("pause\n", 6, &pause));
	KUNIT_EXPECT_TRUE(test, pause);
	KUNIT_EXPECT_EQ(test, 0, vgpu_state_parse_request("resume", 6, &pause));
	KUNIT_EXPECT_FALSE(test, pause);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			vgpu_state_parse_request("pause\n\n", 7, &pause));
	KUNIT_EXPECT_EQ(test, -EINVAL, vgpu_state_parse_request("", 0, &pause));
}

static struct kunit_case vgpu_kunit_cases[] = {
	KUNIT_CASE(vgpu_kunit_control_state),
	KUNIT_CASE(vgpu_kunit_sched_weights),
	KUNIT_CASE(vgpu_kunit_sched_fixed),
	KUNIT_CASE(vgpu_kunit_profile_default),
	KUNIT_CASE(vgpu_kunit_profile_bad),
	KUNIT_CASE(vgpu_kunit_mem_alloc),
	KUNIT_CASE(vgpu_kunit_partitions),
	KUNIT_CASE(vgpu_kunit_cmd_validate),
	KUNIT_CASE(vgpu_kunit_cmd_exec),
	{}
};

static struct kunit_suite vgpu_kunit_suite = {
	.name = "vgpu",
	.test_cases = vgpu_kunit_cases,
};

kunit_test_suites(&vgpu_kunit_suite, &vgpu_kunit_core_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of vgpu's pure logic");
