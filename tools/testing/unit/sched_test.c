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
		if (s->e[i].busy && !s->e[i].running && !s->e[i].throttled)
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
		d = vgpu_sched_pick(&s->p, s->now);
		s->decisions++;
		if (d.idx < 0) {
			if (s->p.policy == VGPU_POLICY_BEST_EFFORT &&
			    any_idle_busy(s))
				abort();	/* not work-conserving */
			until[eng] = s->now + (d.retry_ns ? d.retry_ns :
					       d.slice_ns) + s->idle_over_ns;
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

/*
 * Work units longer than a slice (a slow host): a slot runs at least one
 * unit, so it overruns by more than a slice, and the owner loses the slots
 * the overrun used (the engine goes on to the next one at once). Before that
 * it kept the overrun: 6 ms of each 36 ms round here, 167 per mille instead
 * of its 1/16.
 */
TEST(slot_policies_repay_long_units)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_FIXED_SHARE, 16, 1, 1, NULL);
	s->unit_ns = 6 * MS;
	sim_run(s, 160000, 0);
	EXPECT_LE(llabs((long long)ppm(s, 0) - 62500), 625)
		TH_LOG("%llu ppm", (unsigned long long)ppm(s, 0));

	sim_init(s, VGPU_POLICY_EQUAL_SHARE, 8, 2, 4, NULL);
	s->unit_ns = 5 * MS;
	vgpu_sched_set_busy(&s->p, &s->e[3], false);
	sim_run(s, 100000, 0);
	for (i = 0; i < 3; i++) {
		EXPECT_LE(llabs((long long)ppm(s, i) - 250000), 2500)
			TH_LOG("vGPU %u: %llu ppm", i,
			       (unsigned long long)ppm(s, i));
	}
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

/* Quality of service: caps, guarantees and priorities. */

static void set_qos(struct sim *s, u32 i, u32 weight, u32 cap, u32 g)
{
	s->e[i].weight = weight;
	vgpu_sched_set_cap(&s->p, &s->e[i], cap);
	s->e[i].guarantee_permille = g;
}

static void expect_ppm(struct __test_metadata *_metadata, struct sim *s,
		       u32 i, u64 want, u64 tol)
{
	EXPECT_LE(llabs((long long)ppm(s, i) - (long long)want),
		  (long long)tol)
		TH_LOG("vGPU %u: %llu ppm, want %llu", i,
		       (unsigned long long)ppm(s, i),
		       (unsigned long long)want);
}

/*
 * The admin guide's example: A guaranteed 50 %, B weight 40 capped at
 * 20 %, C best effort. The weights share the 50 % left: B would get 40/60
 * of it (33 %), its cap keeps it at 20 %, and A and C (weights 10:10)
 * split the other 30 %: A 50 + 15, B 20, C 15.
 */
TEST(qos_mixed_tiers)
{
	struct sim *s = calloc(1, sizeof(*s));

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 3, NULL);
	set_qos(s, 0, 10, VGPU_CAP_NONE, 500);
	set_qos(s, 1, 40, 200, 0);
	set_qos(s, 2, 10, VGPU_CAP_NONE, 0);
	s->unit_ns = 300000;
	sim_run(s, 200000, 0);
	expect_ppm(_metadata, s, 0, 650000, 1000);
	expect_ppm(_metadata, s, 1, 200000, 1000);
	expect_ppm(_metadata, s, 2, 150000, 1000);
	free(s);
}

/* A cap holds even when everything else idles. */
TEST(qos_cap_alone_and_multi_engine)
{
	struct sim *s = calloc(1, sizeof(*s));

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 1, NULL);
	set_qos(s, 0, 10, 300, 0);
	sim_run(s, 50000, 0);
	expect_ppm(_metadata, s, 0, 300000, 1000);
	/* Two engines: 10 % of the partition, the others share the rest. */
	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 2, 4, NULL);
	set_qos(s, 0, 10, 100, 0);
	sim_run(s, 200000, 0);
	expect_ppm(_metadata, s, 0, 100000, 1000);
	expect_ppm(_metadata, s, 1, 300000, 1000);
	expect_ppm(_metadata, s, 3, 300000, 1000);
	free(s);
}

/* A guarantee holds beside much heavier weights, plus its weighted part. */
TEST(qos_guarantee_beats_weights)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 5, NULL);
	set_qos(s, 0, 1, VGPU_CAP_NONE, 300);
	for (i = 1; i < 5; i++)
		set_qos(s, i, 100, VGPU_CAP_NONE, 0);
	sim_run(s, 200000, 0);
	expect_ppm(_metadata, s, 0, 300000 + 700000 / 401, 1000);
	for (i = 1; i < 5; i++)
		expect_ppm(_metadata, s, i, 700000 * 100 / 401, 1000);
	free(s);
}

/* Guarantees add up to the whole partition: each gets exactly its own. */
TEST(qos_guarantees_fill_partition)
{
	static const u32 g[4] = { 100, 200, 300, 400 };
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 4, NULL);
	for (i = 0; i < 4; i++)
		set_qos(s, i, 100 - 30 * i, VGPU_CAP_NONE, g[i]);
	s->unit_ns = 700000;
	sim_run(s, 200000, 0);
	for (i = 0; i < 4; i++)
		expect_ppm(_metadata, s, i, g[i] * 1000, 1000);
	free(s);
}

/* Idling banks no guarantee and no cap beyond one slice. */
TEST(qos_no_credit_banked_while_idle)
{
	struct sim *s = calloc(1, sizeof(*s));

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 3, NULL);
	set_qos(s, 0, 10, 500, 400);
	vgpu_sched_set_busy(&s->p, &s->e[0], false);
	sim_run(s, 20000, 0);
	EXPECT_LE(s->e[0].cap_credit, (s64)s->p.timeslice_ns * 1000);
	vgpu_sched_set_busy(&s->p, &s->e[0], true);
	EXPECT_LE(s->e[0].g_credit, 0);
	free(s);
}

/* Under equal share a capped owner's slot idles once its credit is out. */
TEST(qos_cap_in_slot_policies)
{
	struct sim *s = calloc(1, sizeof(*s));

	sim_init(s, VGPU_POLICY_EQUAL_SHARE, 8, 1, 4, NULL);
	set_qos(s, 0, 10, 100, 0);
	sim_run(s, 100000, 0);
	expect_ppm(_metadata, s, 0, 100000, 1000);
	expect_ppm(_metadata, s, 1, 250000, 1000);
	free(s);
}

TEST(qos_admission)
{
	struct vgpu_sched_part p;
	struct vgpu_sched_entity e[3] = { { .weight = 10 }, { .weight = 10 },
					  { .weight = 10 } };
	u32 sum, i;

	vgpu_sched_part_init(&p, VGPU_POLICY_BEST_EFFORT, 2 * MS, 8, 2);
	for (i = 0; i < 3; i++)
		vgpu_sched_add(&p, &e[i]);
	e[0].guarantee_permille = 400;
	e[1].guarantee_permille = 300;
	EXPECT_EQ(0, vgpu_sched_check_guarantee(&p, &e[2], 300, &sum));
	EXPECT_EQ(700, sum);
	EXPECT_EQ(-ENOSPC, vgpu_sched_check_guarantee(&p, &e[2], 301, &sum));
	/* Its own old guarantee does not count against it. */
	EXPECT_EQ(0, vgpu_sched_check_guarantee(&p, &e[0], 500, &sum));
	EXPECT_EQ(300, sum);
	/* Two engines: one vGPU can use at most half the partition. */
	EXPECT_EQ(-ERANGE, vgpu_sched_check_guarantee(&p, &e[0], 501, &sum));
	vgpu_sched_set_cap(&p, &e[2], 100);
	EXPECT_EQ(-EINVAL, vgpu_sched_check_guarantee(&p, &e[2], 101, &sum));
	EXPECT_EQ(0, vgpu_sched_check_guarantee(&p, &e[2], 100, &sum));
	EXPECT_EQ(700, vgpu_sched_guarantee_sum(&p));
}

/*
 * One engine, four busy low-priority vGPUs whose slices end at 300 us unit
 * boundaries, and H waking @trials times at random points of a slice, for
 * one unit of work each time. Returns the worst doorbell-to-run latency;
 * *@first counts the wakes where H ran next.
 */
static u64 prio_wakes(s32 lo, s32 hi, u32 trials, u32 *first, u64 *sum)
{
	struct vgpu_sched_part p;
	struct vgpu_sched_entity e[5];
	const u64 unit = 300000;
	u64 now = 0, worst = 0;
	u32 i, t;

	memset(e, 0, sizeof(e));
	vgpu_sched_part_init(&p, VGPU_POLICY_BEST_EFFORT, 2 * MS, 8, 1);
	for (i = 0; i < 5; i++) {
		e[i].weight = 10;
		e[i].prio = i < 4 ? lo : hi;
		vgpu_sched_add(&p, &e[i]);
		vgpu_sched_set_busy(&p, &e[i], i < 4);
	}
	*first = 0;
	*sum = 0;
	srand(7);
	for (t = 0; t < trials; t++) {
		struct vgpu_sched_pick d = vgpu_sched_pick(&p, now);
		u64 start = now, end, wake;
		int victim;

		e[d.idx].running = true;
		/* Whole units up to the slice. */
		end = start + d.slice_ns / unit * unit;
		wake = start + (u64)rand() % (end - start);
		vgpu_sched_set_busy(&p, &e[4], true);
		victim = vgpu_sched_preempt_victim(&p, &e[4]);
		if (victim == d.idx)
			end = start + (wake - start + unit) / unit * unit;
		e[d.idx].running = false;
		vgpu_sched_account(&p, d.idx, end - start, end);
		now = end;
		/* Until H runs, every slice goes to someone else. */
		for (;;) {
			d = vgpu_sched_pick(&p, now);
			if (d.idx == 4)
				break;
			now += d.slice_ns / unit * unit;
			vgpu_sched_account(&p, d.idx, d.slice_ns / unit * unit,
					   now);
		}
		if (now == end)
			(*first)++;
		worst = now - wake > worst ? now - wake : worst;
		*sum += now - wake;
		now += unit;
		vgpu_sched_account(&p, 4, unit, now);
		vgpu_sched_set_busy(&p, &e[4], false);
	}
	return worst;
}

TEST(qos_priority_preempts_at_unit_boundary)
{
	u64 worst, sum_prio, sum_flat;
	u32 first;

	worst = prio_wakes(VGPU_PRIO_LOW, VGPU_PRIO_HIGH, 2000, &first,
			   &sum_prio);
	EXPECT_EQ(2000, first);
	EXPECT_LE(worst, 300000);
	/* Equal priorities: no preemption, the wake waits for the slice. */
	worst = prio_wakes(VGPU_PRIO_NORMAL, VGPU_PRIO_NORMAL, 2000, &first,
			   &sum_flat);
	EXPECT_GT(worst, 300000);
	EXPECT_GT(sum_flat, 3 * sum_prio);
	/* High beside normal works the same way as beside low. */
	worst = prio_wakes(VGPU_PRIO_NORMAL, VGPU_PRIO_HIGH, 500, &first,
			   &sum_prio);
	EXPECT_EQ(500, first);
	EXPECT_LE(worst, 300000);
}

/* Priorities move latency, not shares. */
TEST(qos_priority_keeps_shares)
{
	struct sim *s = calloc(1, sizeof(*s));
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 4, NULL);
	s->e[0].prio = VGPU_PRIO_HIGH;
	s->e[1].prio = VGPU_PRIO_LOW;
	sim_run(s, 100000, 3);
	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 4, NULL);
	s->e[0].prio = VGPU_PRIO_HIGH;
	s->e[1].prio = VGPU_PRIO_LOW;
	sim_run(s, 100000, 0);
	for (i = 0; i < 4; i++)
		expect_ppm(_metadata, s, i, 250000, 100);
	free(s);
}

/*
 * Random caps, guarantees, weights and priorities, vGPUs going busy and
 * idle at random, one or two engines: every vGPU still runs, and no capped
 * vGPU runs more than its cap plus two slices over the run; the one busy
 * throughout gets at least its guarantee.
 */
TEST(qos_random_toggles_caps_hold)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned int seed;
	u32 i;

	for (seed = 1; seed <= 4; seed++) {
		u32 eng = 1 + seed % 2;
		u32 cap[16];

		sim_init(s, VGPU_POLICY_BEST_EFFORT, 16, eng, 16, NULL);
		srand(seed);
		for (i = 0; i < 16; i++) {
			cap[i] = i % 3 ? VGPU_CAP_NONE : 20 + rand() % 200;
			set_qos(s, i, 1 + rand() % VGPU_WEIGHT_MAX, cap[i],
				i % 4 == 1 ? 100 / eng : 0);
			s->e[i].prio = rand() % 3 - 1;
		}
		sim_run(s, 100000, seed);
		for (i = 0; i < 16; i++) {
			EXPECT_GT(s->picks[i], 0);
			if (cap[i] < VGPU_CAP_NONE)
				EXPECT_LE(s->e[i].busy_ns,
					  s->now * eng * cap[i] / 1000 +
					  4 * MS)
					TH_LOG("seed %u vGPU %u cap %u", seed, i,
					       cap[i]);
		}
		/* vGPU 1, guaranteed, busy throughout without toggles. */
		sim_init(s, VGPU_POLICY_BEST_EFFORT, 16, eng, 16, NULL);
		for (i = 0; i < 16; i++)
			set_qos(s, i, i == 1 ? 1 : 100, VGPU_CAP_NONE,
				i == 1 ? 400 / eng : 0);
		sim_run(s, 100000, 0);
		EXPECT_GE(ppm(s, 1), 400000 / eng - 1000);
	}
	free(s);
}

/* Lifting a cap does not let the vGPU make up for the time it was capped. */
TEST(qos_cap_lifted_banks_nothing)
{
	struct sim *s = calloc(1, sizeof(*s));
	u64 b0[2];
	u32 i;

	sim_init(s, VGPU_POLICY_BEST_EFFORT, 8, 1, 2, NULL);
	set_qos(s, 0, 10, 100, 0);
	sim_run(s, 20000, 0);
	vgpu_sched_set_cap(&s->p, &s->e[0], VGPU_CAP_NONE);
	for (i = 0; i < 2; i++)
		b0[i] = s->e[i].busy_ns;
	s->decisions = 0;
	sim_run(s, 1000, 0);
	/* Equal weights: the next 1000 slices are shared evenly at once. */
	EXPECT_LE(llabs((long long)(s->e[0].busy_ns - b0[0]) -
			(long long)(s->e[1].busy_ns - b0[1])),
		  (long long)(4 * MS));
	free(s);
}

TEST(prio_names)
{
	EXPECT_EQ(VGPU_PRIO_HIGH, vgpu_prio_parse("high\n", 5));
	EXPECT_EQ(VGPU_PRIO_LOW, vgpu_prio_parse("low", 3));
	EXPECT_EQ(VGPU_PRIO_NORMAL, vgpu_prio_parse("normal", 6));
	EXPECT_EQ(-EINVAL, vgpu_prio_parse("1", 1));
	EXPECT_EQ(-EINVAL, vgpu_prio_parse("", 0));
	EXPECT_STREQ("low", vgpu_prio_name(VGPU_PRIO_LOW));
	EXPECT_STREQ("high", vgpu_prio_name(VGPU_PRIO_HIGH));
	EXPECT_STREQ("?", vgpu_prio_name(2));
}

TEST_HARNESS_MAIN
