// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit cases of the vgpu core against a fake device: the scheduler's engine
 * threads reach the device only through struct vgpu_device_ops, so a device
 * that merely counts what it is asked to do shows what the core does: every
 * function with work runs and is charged what it reports, a held function
 * is preempted and not run until released, the control state follows, and
 * a doorbell of higher priority preempts the function running.
 *
 * The core functions these cases call are exported only to KUnit
 * (EXPORT_SYMBOL_IF_KUNIT), on kernels with CONFIG_KUNIT.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "core/vgpu_core.h"
#include "tests/vgpu_kunit.h"

#define FAKE_FNS	2
/* Nanoseconds the fake device reports per unit of work it runs. */
#define FAKE_UNIT_NS	1000

/**
 * struct vgpu_fake - a device that runs no commands, only counts
 * @dev: the device the core sees
 * @left: units of work each function has left
 * @runs: fn_run calls per function
 * @preempts: fn_preempt calls per function
 * @vgpu: the core's record of each function
 */
struct vgpu_fake {
	struct vgpu_device dev;
	atomic64_t left[FAKE_FNS];
	atomic64_t runs[FAKE_FNS];
	atomic64_t preempts[FAKE_FNS];
	struct vgpu *vgpu[FAKE_FNS];
};

static struct vgpu_fake *to_fake(struct vgpu_device *dev)
{
	return container_of(dev, struct vgpu_fake, dev);
}

/* Runs up to 8 units per call, or fewer if the budget is shorter. */
static bool vgpu_fake_run(struct vgpu_device *dev, u32 fn, u32 engine,
			  u64 budget_ns, u64 *ran_ns)
{
	struct vgpu_fake *f = to_fake(dev);
	s64 n = min_t(s64, 8, max_t(u64, budget_ns / FAKE_UNIT_NS, 1));
	s64 left = atomic64_read(&f->left[fn]);

	atomic64_inc(&f->runs[fn]);
	n = min(n, left);
	atomic64_sub(n, &f->left[fn]);
	*ran_ns = n * FAKE_UNIT_NS;
	usleep_range(50, 100);
	return left > n;
}

static void vgpu_fake_preempt(struct vgpu_device *dev, u32 fn)
{
	atomic64_inc(&to_fake(dev)->preempts[fn]);
}

static bool vgpu_fake_has_work(struct vgpu_device *dev, u32 fn)
{
	return atomic64_read(&to_fake(dev)->left[fn]) > 0;
}

static bool vgpu_fake_faulted(struct vgpu_device *dev, u32 fn)
{
	return false;
}

#define VGPU_FAKE_OPS					\
	.name = "fake",					\
	.fn_run = vgpu_fake_run,			\
	.fn_preempt = vgpu_fake_preempt,		\
	.fn_has_work = vgpu_fake_has_work,		\
	.fn_faulted = vgpu_fake_faulted

static const struct vgpu_device_ops vgpu_fake_ops = { VGPU_FAKE_OPS };
/* The same device, as one that executes peer copies. */
static const struct vgpu_device_ops vgpu_fake_peer_ops = {
	VGPU_FAKE_OPS,
	.peer_copies = true,
};

/* Wait up to @ms for @fn to have no work left; whether it did. */
static bool vgpu_fake_drained(struct vgpu_fake *f, u32 fn, unsigned int ms)
{
	while (ms--) {
		if (!atomic64_read(&f->left[fn]))
			return true;
		usleep_range(1000, 1100);
	}
	return false;
}

static u64 vgpu_fake_busy_ns(struct vgpu_fake *f, u32 fn)
{
	struct vgpu *v = f->vgpu[fn];
	u64 ns;

	spin_lock(&v->prt->lock);
	ns = v->se.busy_ns;
	spin_unlock(&v->prt->lock);
	return ns;
}

static void vgpu_fake_give(struct vgpu_fake *f, u32 fn, s64 units)
{
	atomic64_set(&f->left[fn], units);
	vgpu_sched_kick(f->vgpu[fn]);
}

static int vgpu_fake_init(struct kunit *test)
{
	static const struct vgpu_profile prof = {
		.name = "fake", .mem_size = VGPU_SZ_1M, .engines = 1,
		.share = FAKE_FNS,
	};
	struct vgpu_fake *f;
	struct vgpu_device *dev;
	u32 i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	dev = &f->dev;
	dev->ops = &vgpu_fake_ops;
	dev->id = 99;
	dev->num_engines = 1;
	dev->nr_profiles = 1;
	dev->profiles[0] = prof;
	dev->policy = VGPU_POLICY_BEST_EFFORT;
	dev->timeslice_ns = 100 * NSEC_PER_USEC;
	mutex_init(&dev->lock);
	init_rwsem(&dev->peer_sem);
	xa_init(&dev->peers);
	KUNIT_ASSERT_EQ(test, 0, vgpu_engines_init(&dev->engines, 1));
	KUNIT_ASSERT_EQ(test, 0, vgpu_engines_start(dev));
	for (i = 0; i < FAKE_FNS; i++) {
		struct vgpu *v = kunit_kzalloc(test, sizeof(*v), GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, v);
		v->dev = dev;
		v->fn = i;
		mutex_init(&v->ctl_lock);
		mutex_lock(&dev->lock);
		v->part = vgpu_part_join(&dev->engines, 0, &dev->profiles[0]);
		if (!v->part)
			vgpu_sched_join(v, i == 0);
		mutex_unlock(&dev->lock);
		KUNIT_ASSERT_EQ(test, 0, v->part);
		f->vgpu[i] = v;
	}
	test->priv = f;
	return 0;
}

static void vgpu_fake_exit(struct kunit *test)
{
	struct vgpu_fake *f = test->priv;
	u32 i;

	if (!f)
		return;
	for (i = 0; i < FAKE_FNS; i++) {
		if (!f->vgpu[i])
			continue;
		vgpu_control_hold(f->vgpu[i], VGPU_HOLD_REMOVED);
		mutex_lock(&f->dev.lock);
		vgpu_sched_leave(f->vgpu[i], i == FAKE_FNS - 1);
		vgpu_part_leave(&f->dev.engines, f->vgpu[i]->part);
		mutex_unlock(&f->dev.lock);
	}
	vgpu_engines_stop(&f->dev);
	xa_destroy(&f->dev.peers);
}

/* Both functions run to the end; each is charged what the device said. */
static void vgpu_kunit_core_runs_and_charges(struct kunit *test)
{
	struct vgpu_fake *f = test->priv;

	vgpu_fake_give(f, 0, 3000);
	vgpu_fake_give(f, 1, 5000);
	KUNIT_ASSERT_TRUE(test, vgpu_fake_drained(f, 0, 20000));
	KUNIT_ASSERT_TRUE(test, vgpu_fake_drained(f, 1, 20000));
	/* The last slice is charged just after the device ran it. */
	msleep(20);
	KUNIT_EXPECT_EQ(test, 3000 * FAKE_UNIT_NS, vgpu_fake_busy_ns(f, 0));
	KUNIT_EXPECT_EQ(test, 5000 * FAKE_UNIT_NS, vgpu_fake_busy_ns(f, 1));
	KUNIT_EXPECT_GT(test, atomic64_read(&f->runs[0]), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&f->runs[1]), 0);
	/* With no work left and no doorbell, nothing is run any more. */
	msleep(20);
	KUNIT_EXPECT_EQ(test, 0, atomic64_read(&f->left[0]));
}

/*
 * A held function is preempted and never run until released, while the
 * other one runs; released, it continues where it stopped.
 */
static void vgpu_kunit_core_hold_and_release(struct kunit *test)
{
	struct vgpu_fake *f = test->priv;
	s64 runs, left;

	vgpu_fake_give(f, 0, 1LL << 40);
	msleep(20);
	KUNIT_EXPECT_GT(test, atomic64_read(&f->runs[0]), 0);
	vgpu_control_hold(f->vgpu[0], VGPU_HOLD_OPERATOR);
	KUNIT_EXPECT_GT(test, atomic64_read(&f->preempts[0]), 0);
	KUNIT_EXPECT_EQ(test, VGPU_STATE_PAUSED,
			vgpu_control_state(f->vgpu[0]));
	runs = atomic64_read(&f->runs[0]);
	left = atomic64_read(&f->left[0]);
	vgpu_fake_give(f, 1, 2000);
	KUNIT_EXPECT_TRUE(test, vgpu_fake_drained(f, 1, 20000));
	/* A doorbell on the held function does not make it run. */
	vgpu_sched_kick(f->vgpu[0]);
	msleep(20);
	KUNIT_EXPECT_EQ(test, runs, atomic64_read(&f->runs[0]));
	KUNIT_EXPECT_EQ(test, left, atomic64_read(&f->left[0]));

	/* A reset while paused leaves it paused. */
	vgpu_control_hold(f->vgpu[0], VGPU_HOLD_RESET);
	KUNIT_EXPECT_EQ(test, VGPU_STATE_RESETTING,
			vgpu_control_state(f->vgpu[0]));
	vgpu_control_release(f->vgpu[0], VGPU_HOLD_RESET);
	KUNIT_EXPECT_EQ(test, VGPU_STATE_PAUSED,
			vgpu_control_state(f->vgpu[0]));
	msleep(20);
	KUNIT_EXPECT_EQ(test, runs, atomic64_read(&f->runs[0]));

	vgpu_control_release(f->vgpu[0], VGPU_HOLD_OPERATOR);
	KUNIT_EXPECT_EQ(test, VGPU_STATE_RUNNING,
			vgpu_control_state(f->vgpu[0]));
	msleep(20);
	KUNIT_EXPECT_GT(test, atomic64_read(&f->runs[0]), runs);
	KUNIT_EXPECT_LT(test, atomic64_read(&f->left[0]), left);
	atomic64_set(&f->left[0], 0);
}

static void vgpu_fake_set_prio(struct vgpu_fake *f, u32 fn, s32 prio)
{
	struct vgpu *v = f->vgpu[fn];

	spin_lock(&v->prt->lock);
	v->se.prio = prio;
	spin_unlock(&v->prt->lock);
}

/*
 * A high-priority function's doorbell, while a low-priority one runs on the
 * only engine, preempts that one (which counts it), and only that one. The
 * doorbell may fall between two of its runs, when there is nothing to
 * preempt, so it is rung until a preemption is seen.
 */
static void vgpu_kunit_core_priority_preempts(struct kunit *test)
{
	struct vgpu_fake *f = test->priv;
	struct vgpu *low = f->vgpu[0];
	u64 counted;
	int i;

	vgpu_fake_set_prio(f, 0, VGPU_PRIO_LOW);
	vgpu_fake_set_prio(f, 1, VGPU_PRIO_HIGH);
	vgpu_fake_give(f, 0, 1LL << 40);
	usleep_range(5000, 6000);
	for (i = 0; i < 200 && !atomic64_read(&f->preempts[0]); i++) {
		vgpu_fake_give(f, 1, 1);
		KUNIT_ASSERT_TRUE(test, vgpu_fake_drained(f, 1, 2000));
		usleep_range(2000, 3000);
	}
	KUNIT_EXPECT_GT(test, atomic64_read(&f->preempts[0]), 0);
	KUNIT_EXPECT_EQ(test, 0, atomic64_read(&f->preempts[1]));
	spin_lock(&low->prt->lock);
	counted = low->prio_preemptions;
	spin_unlock(&low->prt->lock);
	KUNIT_EXPECT_EQ(test, (u64)atomic64_read(&f->preempts[0]), counted);
	atomic64_set(&f->left[0], 0);
}

/*
 * Peer groups: only a device that executes peer copies has them; ids are
 * the lowest free; a held member takes no writes until released; one that
 * left cannot be found.
 */
static void vgpu_kunit_core_peer_groups(struct kunit *test)
{
	struct vgpu_fake *f = test->priv;
	struct vgpu *a = f->vgpu[0], *b = f->vgpu[1], *p;
	u32 group, id;
	int err;

	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, vgpu_peer_join(a, 5));
	KUNIT_EXPECT_EQ(test, 0, vgpu_peer_join(a, 0));
	f->dev.ops = &vgpu_fake_peer_ops;
	KUNIT_EXPECT_EQ(test, -ERANGE, vgpu_peer_join(a, VGPU_PEER_GROUP_MAX + 1));
	KUNIT_ASSERT_EQ(test, 0, vgpu_peer_join(b, 5));
	KUNIT_ASSERT_EQ(test, 0, vgpu_peer_join(a, 5));
	KUNIT_EXPECT_EQ(test, 3u, vgpu_peer_info(a, &group, &id));
	KUNIT_EXPECT_EQ(test, 5u, group);
	KUNIT_EXPECT_EQ(test, 1u, id);

	p = vgpu_peer_get(a, 0, &err);
	vgpu_peer_put(a);
	KUNIT_EXPECT_PTR_EQ(test, b, p);
	vgpu_control_hold(b, VGPU_HOLD_OPERATOR);
	p = vgpu_peer_get(a, 0, &err);
	vgpu_peer_put(a);
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, -EAGAIN, err);
	vgpu_control_release(b, VGPU_HOLD_OPERATOR);
	p = vgpu_peer_get(a, 0, &err);
	vgpu_peer_put(a);
	KUNIT_EXPECT_PTR_EQ(test, b, p);

	/* b moves to group 6: a's id 0 is nobody now, and a is alone. */
	KUNIT_ASSERT_EQ(test, 0, vgpu_peer_join(b, 6));
	p = vgpu_peer_get(a, 0, &err);
	vgpu_peer_put(a);
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, -ENXIO, err);
	KUNIT_EXPECT_EQ(test, 2u, vgpu_peer_info(a, &group, &id));
	KUNIT_EXPECT_EQ(test, 0, vgpu_peer_join(a, 0));
	KUNIT_EXPECT_EQ(test, 0, vgpu_peer_join(b, 0));
	KUNIT_EXPECT_EQ(test, 0u, vgpu_peer_info(b, &group, &id));
	KUNIT_EXPECT_TRUE(test, xa_empty(&f->dev.peers));
	f->dev.ops = &vgpu_fake_ops;
}

static struct kunit_case vgpu_kunit_core_cases[] = {
	KUNIT_CASE(vgpu_kunit_core_runs_and_charges),
	KUNIT_CASE(vgpu_kunit_core_hold_and_release),
	KUNIT_CASE(vgpu_kunit_core_priority_preempts),
	KUNIT_CASE(vgpu_kunit_core_peer_groups),
	{}
};

struct kunit_suite vgpu_kunit_core_suite = {
	.name = "vgpu_core",
	.init = vgpu_fake_init,
	.exit = vgpu_fake_exit,
	.test_cases = vgpu_kunit_core_cases,
};
