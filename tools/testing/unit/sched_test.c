// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for the scheduling policy maths (drivers/vgpu/lib/vgpu_sched_policy.c)
 * driven by a simulated clock: shares, ordering, work conservation and
 * starvation-freedom over hundreds of thousands of decisions.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "vgpu_sched_policy.h"

#define MS 1000000ULL
#define MAX_ENG 8

/* A harness-free check usable in helpers. */
#define ASSERT_EQ_OR_ABORT(a, b) do { if ((a) != (b)) abort(); } while (0)

struct sim {
	struct vgpu_sched_part p;
	struct vgpu_sched_entity e[VGPU_MAX_SHARE];
	u64 now;
	u64 idle_ns;		/* engine time spent idle while work existed */
	u64 picks[VGPU_MAX_SHARE];
	u64 last_pick[VGPU_MAX_SHARE];	/* decision number of the last pick */
	u64 worst_wait[VGPU_MAX_SHARE];	/* most decisions between picks */
	u64 decisions;
	int order[64];
	int norder;
	u64 unit_ns;		/* if set, slices end on unit boundaries */
	u64 idle_over_ns;	/* idle slots oversleep by this much */
};

static void sim_init(struct sim *s, enum vgpu_policy pol, u32 share,
		     u32 engines, u32 n, const u32 *weights)
{
	u32 i;

	memset(s, 0, sizeof(*s));
	vgpu_sched_part_init(&s->p, pol, 2 * MS, share, engines);
	for (i = 0; i < n; i++) {
		s->e[i].weight = weights ? weights[i] : VGPU_WEIGHT_DEFAULT;
		ASSERT_EQ_OR_ABORT(i, vgpu_sched_add(&s->p, &s->e[i]));
		vgpu_sched_set_busy(&s->p, &s->e[i], true);
	}
}

static bool any_idle_busy(struct sim *s)
{
	u32 i;

	for (i = 0; i < s->p.n; i++)
		if (s->e[i].busy && !s->e[i].running)
			return true;
	return false;
}

/*
 * Run @decisions picks over the partition's engines. Every pick runs its
 * full slice (the vGPUs are always busy unless @toggle flips them).
 */
static void sim_run(struct sim *s, u64 decisions, unsigned int toggle_seed)
{
	u64 until[MAX_ENG] = { 0 };
	int running[MAX_ENG];
	u64 started[MAX_ENG];
	u32 e, i;

	for (e = 0; e < MAX_ENG; e++)
		running[e] = -1;
	if (toggle_seed)
		srand(toggle_seed);
	while (s->decisions < decisions) {
		struct vgpu_sched_pick d;
		u32 eng = 0;

		for (e = 1; e < s->p.engines; e++)
			if (until[e] < until[eng])
				eng = e;
		s->now = until[eng];
		if (running[eng] >= 0) {
			s->p.ent[running[eng]]->running = false;
			vgpu_sched_account(&s->p, running[eng],
					   s->now - started[eng], s->now);
			running[eng] = -1;
		}
		if (toggle_seed && rand() % 4 == 0) {
			i = rand() % s->p.n;
			vgpu_sched_set_busy(&s->p, s->p.ent[i],
					    !s->p.ent[i]->busy);
		}
		d = vgpu_sched_pick(&s->p);
		s->decisions++;
		if (d.idx < 0) {
			if (s->p.policy == VGPU_POLICY_BEST_EFFORT &&
			    any_idle_busy(s))
				abort();	/* not work-conserving */
			until[eng] = s->now + d.slice_ns + s->idle_over_ns;
			if (s->p.policy != VGPU_POLICY_BEST_EFFORT)
				vgpu_sched_account_idle(&s->p, d.slice_ns +
							s->idle_over_ns);
			continue;
		}
		if (s->unit_ns) {
			/* Whole units that fit, at least one (as an engine). */
			u64 units = d.slice_ns / s->unit_ns;

			d.slice_ns = (units ? units : 1) * s->unit_ns;
		}
		for (i = 0; i < s->p.n; i++)
			if (s->p.ent[i]->busy && !s->p.ent[i]->running &&
			    s->decisions - s->last_pick[i] > s->worst_wait[i])
				s->worst_wait[i] = s->decisions -
						   s->last_pick[i];
		s->last_pick[d.idx] = s->decisions;
		s->picks[d.idx]++;
		if (s->norder < 64)
			s->order[s->norder++] = d.idx;
		s->p.ent[d.idx]->running = true;
		running[eng] = d.idx;
		started[eng] = s->now;
		until[eng] = s->now + d.slice_ns;
	}
	/* Slices still in flight end unaccounted, as if preempted. */
	for (e = 0; e < s->p.engines; e++)
		if (running[e] >= 0)
			s->p.ent[running[e]]->running = false;
}

/* Share of partition time (engines x elapsed) in parts per million. */
static u64 ppm(struct sim *s, u32 i)
{
	return s->e[i].busy_ns * 1000000 / (s->now * s->p.engines);
}

static void check_equal_best_effort(struct __test_metadata *_metadata,
				    u32 n)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, n, 1, n, NULL);
	sim_run(s, 200000, 0);
	for (i = 0; i < n; i++) {
		/* Exactly 1/N, within one slice over the run. */
		EXPECT_LE(llabs((long long)ppm(s, i) - 1000000 / n),
			  (long long)(2 * MS * 1000000 / s->now) + 1);
		EXPECT_LE(s->worst_wait[i], n);
	}
	/* Equal weights: plain round robin. */
	for (i = 0; i < 32; i++)
		EXPECT_EQ(s->order[i] % n, (s->order[0] + i) % n);
	free(s);
}

TEST(best_effort_equal_2_4_16)
{
	check_equal_best_effort(_metadata, 2);
	check_equal_best_effort(_metadata, 4);
	check_equal_best_effort(_metadata, 16);
}

TEST(best_effort_weights)
{
	static const u32 w[] = { 1, 2, 3, 4, 10, 30, 50, 100 };
	struct sim *s = calloc(1, sizeof(*s));
	u64 total = 0;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(w); i++)
		total += w[i];
	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, ARRAY_SIZE(w), w);
	sim_run(s, 400000, 0);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		u64 want = 1000000 * w[i] / total;

		/* Within 0.1 % of the partition. */
		EXPECT_LE(llabs((long long)ppm(s, i) - (long long)want), 1000)
			TH_LOG("weight %u: %llu ppm, want %llu", w[i],
			       (unsigned long long)ppm(s, i),
			       (unsigned long long)want);
		/* Bounded wait: at most the others' weight ratio per round. */
		EXPECT_LE(s->worst_wait[i], total / w[i] + ARRAY_SIZE(w));
	}
	free(s);
}

TEST(best_effort_skips_idle)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 4, 1, 4, NULL);
	vgpu_sched_set_busy(&s->p, &s->e[3], false);
	sim_run(s, 90000, 0);
	EXPECT_EQ(0, s->e[3].busy_ns);
	for (i = 0; i < 3; i++)
		EXPECT_LE(llabs((long long)ppm(s, i) - 333333), 100);
	/* The idle one wakes: no banked credit, shares go to 1/4. */
	vgpu_sched_set_busy(&s->p, &s->e[3], true);
	for (i = 0; i < 3; i++)
		EXPECT_GE(s->e[i].vtime, s->e[3].vtime);
	EXPECT_TRUE(s->e[3].vtime == s->e[0].vtime ||
		    s->e[3].vtime == s->e[1].vtime ||
		    s->e[3].vtime == s->e[2].vtime);
	memset(s->picks, 0, sizeof(s->picks));
	s->decisions = 0;
	sim_run(s, 4, 0);
	EXPECT_GE(s->picks[3], 1);
	free(s);
}

TEST(equal_share_reserves_idle_slots)
{
	struct sim *s = calloc(1, sizeof(*s));

	sim_init(s, VGPU_POLICY_EQUAL_SHARE, 8, 1, 4, NULL);
	vgpu_sched_set_busy(&s->p, &s->e[2], false);
	vgpu_sched_set_busy(&s->p, &s->e[3], false);
	sim_run(s, 100000, 0);
	EXPECT_LE(llabs((long long)ppm(s, 0) - 250000), 10);
	EXPECT_LE(llabs((long long)ppm(s, 1) - 250000), 10);
	EXPECT_EQ(0, ppm(s, 2));
	free(s);
}

/* Units that do not divide the slice, and oversleeping idle slots. */
TEST(equal_share_slot_debt)
{
	struct sim *s = calloc(1, sizeof(*s));

	sim_init(s, VGPU_POLICY_EQUAL_SHARE, 8, 1, 4, NULL);
	s->unit_ns = 1500000;
	s->idle_over_ns = 300000;
	vgpu_sched_set_busy(&s->p, &s->e[2], false);
	vgpu_sched_set_busy(&s->p, &s->e[3], false);
	sim_run(s, 100000, 0);
	/* Each slot averages one 2 ms slice: a quarter each, within 0.1 %. */
	EXPECT_LE(llabs((long long)ppm(s, 0) - 250000), 1000)
		TH_LOG("%llu ppm", (unsigned long long)ppm(s, 0));
	EXPECT_LE(llabs((long long)ppm(s, 1) - 250000), 1000);
	free(s);
}

TEST(fixed_share_by_profile)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_FIXED_SHARE, 8, 1, 3, NULL);
	sim_run(s, 80000, 0);
	for (i = 0; i < 3; i++)
		EXPECT_LE(llabs((long long)ppm(s, i) - 125000), 10);
	free(s);
}

TEST(multi_engine_partition)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 2, 4, NULL);
	sim_run(s, 200000, 0);
	for (i = 0; i < 4; i++)
		EXPECT_LE(llabs((long long)ppm(s, i) - 250000), 100);
	free(s);
}

TEST(new_vgpu_first_slice_within_one_round)
{
	struct sim *s = calloc(1, sizeof(*s));
	int idx;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 16, 1, 8, NULL);
	sim_run(s, 10007, 0);
	s->e[8].weight = VGPU_WEIGHT_DEFAULT;
	idx = vgpu_sched_add(&s->p, &s->e[8]);
	ASSERT_EQ(8, idx);
	vgpu_sched_set_busy(&s->p, &s->e[8], true);
	memset(s->picks, 0, sizeof(s->picks));
	s->decisions = 0;
	sim_run(s, 9, 0);
	EXPECT_GE(s->picks[8], 1);
	free(s);
}

TEST(random_toggles_starvation_free)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 w[16], i;
	unsigned int seed;

	for (seed = 1; seed <= 5; seed++) {
		srand(seed);
		for (i = 0; i < 16; i++)
			w[i] = 1 + rand() % VGPU_WEIGHT_MAX;
		sim_init(s, VGPU_POLICY_BEST_EFFORT, 16, 1 + seed % 2, 16, w);
		sim_run(s, 100000, seed);
		for (i = 0; i < 16; i++)
			EXPECT_GT(s->picks[i], 0);
	}
	free(s);
}

TEST(remove_keeps_rotation)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_EQUAL_SHARE, 8, 1, 4, NULL);
	sim_run(s, 1001, 0);
	vgpu_sched_remove(&s->p, &s->e[1]);
	EXPECT_EQ(3, s->p.n);
	EXPECT_LT(s->p.cursor, 3);
	for (i = 0; i < VGPU_MAX_SHARE; i++)
		s->e[i].busy_ns = 0;
	s->now = 0;
	memset(s->picks, 0, sizeof(s->picks));
	s->decisions = 0;
	sim_run(s, 3000, 0);
	/* Picks count positions: e0, e2, e3 now sit at 0, 1, 2. */
	EXPECT_EQ(1000, s->picks[0]);
	EXPECT_EQ(1000, s->picks[1]);
	EXPECT_EQ(1000, s->picks[2]);
	EXPECT_EQ(0, s->picks[3]);
	free(s);
}

TEST(share_window_permille)
{
	struct vgpu_sched_part p;
	struct vgpu_sched_entity a = { .weight = 10 }, b = { .weight = 10 };

	vgpu_sched_part_init(&p, VGPU_POLICY_BEST_EFFORT, 2 * MS, 4, 1);
	vgpu_sched_add(&p, &a);
	vgpu_sched_add(&p, &b);
	vgpu_sched_account(&p, 0, 300 * MS, 300 * MS);
	vgpu_sched_account(&p, 1, 100 * MS, 400 * MS);
	EXPECT_EQ(750, vgpu_sched_share_permille(&p, &a, 400 * MS));
	EXPECT_EQ(250, vgpu_sched_share_permille(&p, &b, 400 * MS));
	/* A new window starts; the previous one still counts. */
	vgpu_sched_account(&p, 0, 500 * MS, 1500 * MS);
	EXPECT_EQ(800 * 1000 / 1500,
		  vgpu_sched_share_permille(&p, &a, 1500 * MS));
	/* Two engines halve the share of the partition. */
	p.engines = 2;
	EXPECT_EQ(800 * 1000 / 3000,
		  vgpu_sched_share_permille(&p, &a, 1500 * MS));
	EXPECT_EQ(0, vgpu_sched_index(&p, &a));
	EXPECT_EQ(1, vgpu_sched_index(&p, &b));
}

TEST(policy_names)
{
	EXPECT_EQ(VGPU_POLICY_EQUAL_SHARE, vgpu_policy_parse("equal_share\n",
							     12));
	EXPECT_EQ(VGPU_POLICY_BEST_EFFORT, vgpu_policy_parse("best_effort",
							     11));
	EXPECT_EQ(-EINVAL, vgpu_policy_parse("best", 4));
	EXPECT_EQ(-EINVAL, vgpu_policy_parse("", 0));
	EXPECT_STREQ("fixed_share", vgpu_policy_name(VGPU_POLICY_FIXED_SHARE));
}

TEST_HARNESS_MAIN
