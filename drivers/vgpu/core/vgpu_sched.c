// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu scheduler: one kernel thread per engine time-slicing the vGPUs of the
 * engine's partition.
 */

/**
 * DOC: engine threads
 *
 * Each engine of a device is a kthread named "vgpuN-eM". While its engines
 * belong to a partition, each engine repeatedly asks the partition's policy
 * (vgpu_sched_policy.c) what to run, asks the device to run that function
 * on the engine for one slice (the device interface's fn_run; the sim
 * device runs work units until the slice ends or no work is left, a
 * preemption point between any two units), and charges the time the device
 * reports. A vGPU runs on at most one engine at a time. With nothing to
 * run, a best-effort engine sleeps until a doorbell wakes it; an equal- or
 * fixed-share engine sleeps out the idle slot it reserves for its owner.
 * Engines outside any partition sleep.
 *
 * Settings (policy, time slices, weights, caps, guarantees, priorities)
 * are read at each pick, so changes apply from the next slice on without
 * stopping anything. A best-effort engine whose only work is throttled by
 * caps sleeps on an hrtimer until the first cap credit comes back; any
 * doorbell that makes a vGPU busy makes an idle engine pick again (the
 * vGPU may be capped, with its credit back). A doorbell that wakes a vGPU
 * of higher priority than a busy neighbour boosts it; if every engine of
 * the partition is running, the lowest-priority running vGPU below it is
 * preempted (->fn_preempt(), under the partition lock), so the boosted vGPU
 * runs at the next work-unit boundary. Should that vGPU's slice have just
 * ended, the preemption ends its next slice early instead, which is charged
 * as run like any other.
 *
 * Locking: &vgpu_prt.lock (a spinlock) protects the policy state and nests
 * inside &vgpu_device.lock and inside the device's own locks (the sim device
 * kicks a function under its &vgpu_sim_fn.lock), never the other way round;
 * an engine calls the device with no partition lock held. vgpu_sched_hold()
 * keeps a vGPU off the engines and waits until no engine runs it: the
 * control transitions (vgpu_control.c: pause, reset, close, removal) go
 * through it, after which the vGPU is only touched again once released.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "core/vgpu_core.h"

static void vgpu_prt_wake(struct vgpu_device *dev, struct vgpu_prt *prt)
{
	u32 i;

	for (i = prt->first; i < prt->first + prt->count; i++)
		wake_up(&dev->engine[i].wq);
}

/**
 * vgpu_sched_join() - add a new vGPU to its partition's scheduler
 * @vgpu: the vGPU, placed in partition &vgpu.part
 * @new_partition: the partition was just carved for it
 *
 * Called with &vgpu_device.lock held.
 */
void vgpu_sched_join(struct vgpu *vgpu, bool new_partition)
{
	struct vgpu_device *dev = vgpu->dev;
	const struct vgpu_partition *part = &dev->engines.parts[vgpu->part];
	struct vgpu_prt *prt = &dev->prt[vgpu->part];
	u32 i;

	lockdep_assert_held(&dev->lock);
	memset(&vgpu->se, 0, sizeof(vgpu->se));
	vgpu->se.weight = VGPU_WEIGHT_DEFAULT;
	vgpu->se.cap_permille = VGPU_CAP_NONE;
	vgpu->se.prio = VGPU_PRIO_NORMAL;
	vgpu->prt = prt;
	spin_lock(&prt->lock);
	if (new_partition) {
		vgpu_sched_part_init(&prt->sp, READ_ONCE(dev->policy),
				     READ_ONCE(dev->timeslice_ns),
				     vgpu_profile_of(vgpu)->share, part->count);
		prt->first = part->first;
		prt->count = part->count;
		for (i = part->first; i < part->first + part->count; i++)
			WRITE_ONCE(dev->engine[i].prt, prt);
	}
	vgpu->holds = 0;
	vgpu_sched_add(&prt->sp, &vgpu->se);
	spin_unlock(&prt->lock);
	if (new_partition)
		vgpu_prt_wake(dev, prt);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_sched_join);

/**
 * vgpu_sched_leave() - remove a paused vGPU from its partition's scheduler
 * @vgpu: the vGPU
 * @last: it was the partition's last vGPU; its engines go idle
 *
 * Called with &vgpu_device.lock held.
 */
void vgpu_sched_leave(struct vgpu *vgpu, bool last)
{
	struct vgpu_device *dev = vgpu->dev;
	struct vgpu_prt *prt = vgpu->prt;
	u32 i;

	lockdep_assert_held(&dev->lock);
	spin_lock(&prt->lock);
	vgpu_sched_remove(&prt->sp, &vgpu->se);
	if (last)
		for (i = prt->first; i < prt->first + prt->count; i++)
			WRITE_ONCE(dev->engine[i].prt, NULL);
	spin_unlock(&prt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_sched_leave);

/**
 * vgpu_sched_kick() - a vGPU has work: make it runnable and wake engines
 * @vgpu: the vGPU
 *
 * If the policy boosts it over a running vGPU of lower priority, that one
 * is preempted.
 */
void vgpu_sched_kick(struct vgpu *vgpu)
{
	struct vgpu_prt *prt = vgpu->prt;
	struct vgpu *victim;
	bool wake;
	int v;

	spin_lock(&prt->lock);
	vgpu->kicks++;
	wake = !vgpu->holds && !vgpu->se.busy;
	if (wake && !vgpu->se.running) {
		vgpu->kick_ns = ktime_get_ns();
		vgpu->kick_picks = prt->picks;
	}
	if (!vgpu->holds)
		vgpu_sched_set_busy(&prt->sp, &vgpu->se, true);
	if (wake)
		WRITE_ONCE(prt->wakes, prt->wakes + 1);
	v = wake ? vgpu_sched_preempt_victim(&prt->sp, &vgpu->se) : -1;
	if (v >= 0) {
		/*
		 * Under the lock: a member is not unprovisioned before it
		 * leaves the partition, which takes the lock.
		 */
		victim = container_of(prt->sp.ent[v], struct vgpu, se);
		victim->prio_preemptions++;
		vgpu->dev->ops->fn_preempt(vgpu->dev, victim->fn);
	}
	spin_unlock(&prt->lock);
	if (wake)
		vgpu_prt_wake(vgpu->dev, prt);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_sched_kick);

static bool vgpu_sched_running(struct vgpu *vgpu)
{
	bool running;

	spin_lock(&vgpu->prt->lock);
	running = vgpu->se.running;
	spin_unlock(&vgpu->prt->lock);
	return running;
}

/**
 * vgpu_sched_hold() - set what keeps a vGPU off the engines
 * @vgpu: the vGPU; the caller holds none of the device's locks for it
 * @holds: enum vgpu_hold bits (vgpu_control.c); 0 lets it be scheduled
 *
 * With any hold set, the vGPU is no longer picked and this waits until it
 * is off its engine. The wait is short and bounded: the device is told to
 * preempt the function, and the sim device then ends the run at the next
 * work unit boundary and a DMA into guest memory at once (vgpu_dma.c).
 * A vGPU that was held already is off its engine: changing its holds then
 * neither preempts nor waits. Dropping the holds does not wake an engine;
 * the caller kicks the vGPU if it has work.
 */
void vgpu_sched_hold(struct vgpu *vgpu, u32 holds)
{
	struct vgpu_prt *prt = vgpu->prt;
	bool was_held;

	might_sleep();
	spin_lock(&prt->lock);
	was_held = vgpu->holds;
	vgpu->holds = holds;
	if (holds)
		vgpu_sched_set_busy(&prt->sp, &vgpu->se, false);
	spin_unlock(&prt->lock);
	if (!holds || was_held)
		return;
	vgpu->dev->ops->fn_preempt(vgpu->dev, vgpu->fn);
	wait_event(prt->done_wq, !vgpu_sched_running(vgpu));
}

/**
 * vgpu_sched_apply() - push the device's policy and time slice to every
 * partition
 * @dev: the device, with &vgpu_device.lock held
 *
 * Takes effect at each engine's next pick.
 */
void vgpu_sched_apply(struct vgpu_device *dev)
{
	u32 i;

	lockdep_assert_held(&dev->lock);
	for (i = 0; i < VGPU_MAX_ENGINES; i++) {
		struct vgpu_prt *prt = &dev->prt[i];

		spin_lock(&prt->lock);
		if (prt->sp.policy != dev->policy)
			prt->sp.cursor = 0;
		prt->sp.policy = dev->policy;
		prt->sp.timeslice_ns = dev->timeslice_ns;
		spin_unlock(&prt->lock);
		if (prt->count)
			vgpu_prt_wake(dev, prt);
	}
}

/* Whether a best-effort engine has something to pick. */
static bool vgpu_prt_has_work(struct vgpu_prt *prt)
{
	bool work;

	spin_lock(&prt->lock);
	work = vgpu_sched_has_work(&prt->sp);
	spin_unlock(&prt->lock);
	return work;
}

/*
 * Whether an idle best-effort engine should pick again: a member it may run,
 * or a doorbell since it last picked (@wakes then), which may have made a
 * capped member busy whose credit is back by now.
 */
static bool vgpu_prt_wake_cond(struct vgpu_engine *e, struct vgpu_prt *prt,
			       u64 wakes)
{
	return vgpu_prt_has_work(prt) || READ_ONCE(prt->wakes) != wakes ||
	       READ_ONCE(e->prt) != prt || kthread_should_stop();
}

static void vgpu_engine_idle(struct vgpu_engine *e, struct vgpu_prt *prt,
			     bool slot, u64 slice_ns, u64 retry_ns, u64 wakes)
{
	if (slot) {
		ktime_t t = ns_to_ktime(slice_ns);
		u64 start = ktime_get_ns();

		/* Sit out the slot reserved for an idle owner. */
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule_hrtimeout(&t, HRTIMER_MODE_REL);
		__set_current_state(TASK_RUNNING);
		spin_lock(&prt->lock);
		if (prt->sp.policy != VGPU_POLICY_BEST_EFFORT)
			vgpu_sched_account_idle(&prt->sp,
						ktime_get_ns() - start);
		spin_unlock(&prt->lock);
		return;
	}
	if (retry_ns) {
		/* Only capped vGPUs have work: until the first may run. */
		wait_event_interruptible_hrtimeout(e->wq,
						   vgpu_prt_wake_cond(e, prt,
								      wakes),
						   ns_to_ktime(retry_ns));
		return;
	}
	wait_event_interruptible_timeout(e->wq,
					 vgpu_prt_wake_cond(e, prt, wakes),
					 HZ);
}

static void vgpu_sample(struct vgpu_device *dev, int kind, u64 ns,
			u64 picks)
{
	struct vgpu_samples *s = &dev->samples;
	u32 v = min_t(u64, ns, U32_MAX);

	spin_lock(&s->lock);
	if (kind) {
		s->wake_picks[s->n[1] % VGPU_SAMPLES] = min_t(u64, picks,
							      U32_MAX);
		s->wake_ns[s->n[1]++ % VGPU_SAMPLES] = v;
	} else {
		s->overrun_ns[s->n[0]++ % VGPU_SAMPLES] = v;
	}
	spin_unlock(&s->lock);
}

/*
 * Charge the slice and decide whether the vGPU stays runnable. The device
 * is asked for work outside the partition lock; a doorbell meanwhile
 * (vgpu_sched_kick() bumps &vgpu.kicks) keeps the vGPU busy.
 */
static void vgpu_engine_charge(struct vgpu_engine *e, struct vgpu *vgpu,
			       u64 ran, u64 slice_ns, u64 now)
{
	struct vgpu_device *dev = vgpu->dev;
	struct vgpu_prt *prt = vgpu->prt;
	u64 kicks;
	bool more;

	spin_lock(&prt->lock);
	kicks = vgpu->kicks;
	spin_unlock(&prt->lock);
	more = dev->ops->fn_has_work(dev, vgpu->fn);
	spin_lock(&prt->lock);
	vgpu_sched_account(&prt->sp, vgpu_sched_index(&prt->sp, &vgpu->se),
			   ran, now);
	vgpu->se.running = false;
	more = (more || vgpu->kicks != kicks) && !vgpu->holds;
	vgpu_sched_set_busy(&prt->sp, &vgpu->se, more);
	if (more)
		vgpu->preemptions++;
	e->busy_ns += ran;
	vgpu_window_charge(&e->util, ran, now);
	spin_unlock(&prt->lock);
	wake_up(&prt->done_wq);
	vgpu_sample(vgpu->dev, 0, ran > slice_ns ? ran - slice_ns : 0, 0);
}

static void vgpu_engine_step(struct vgpu_engine *e, struct vgpu_prt *prt)
{
	struct vgpu_sched_pick d;
	struct vgpu *vgpu = NULL;
	u64 ran, now, kick = 0, waited = 0, wakes;
	bool slot;

	spin_lock(&prt->lock);
	if (READ_ONCE(e->prt) != prt) {
		spin_unlock(&prt->lock);
		return;
	}
	wakes = prt->wakes;
	d = vgpu_sched_pick(&prt->sp, ktime_get_ns());
	slot = prt->sp.policy != VGPU_POLICY_BEST_EFFORT;
	if (d.idx >= 0) {
		vgpu = container_of(prt->sp.ent[d.idx], struct vgpu, se);
		vgpu->se.running = true;
		kick = vgpu->kick_ns;
		waited = prt->picks - vgpu->kick_picks;
		vgpu->kick_ns = 0;
		prt->picks++;
	}
	spin_unlock(&prt->lock);
	if (kick)
		vgpu_sample(e->dev, 1, ktime_get_ns() - kick, waited);

	if (!vgpu) {
		vgpu_engine_idle(e, prt, slot && prt->sp.n, d.slice_ns,
				 d.retry_ns, wakes);
		return;
	}
	/* The device interface: run this function here for one slice. */
	e->dev->ops->fn_run(e->dev, vgpu->fn, e->id, d.slice_ns, &ran);
	now = ktime_get_ns();
	vgpu_engine_charge(e, vgpu, ran, d.slice_ns, now);
}

static int vgpu_engine_thread(void *data)
{
	struct vgpu_engine *e = data;

	/* vgpu_dma.c ends a guest-memory copy that takes too long by SIGKILL. */
	allow_signal(SIGKILL);
	while (!kthread_should_stop()) {
		struct vgpu_prt *prt = READ_ONCE(e->prt);

		/* One sent from outside the driver would keep waits short. */
		if (signal_pending(current))
			flush_signals(current);

		if (!prt) {
			wait_event_interruptible(e->wq, READ_ONCE(e->prt) ||
						 kthread_should_stop());
			continue;
		}
		vgpu_engine_step(e, prt);
		cond_resched();
	}
	return 0;
}

/**
 * vgpu_engines_start() - create a device's engine threads
 * @dev: the device
 *
 * Return: 0 or a negative errno, with nothing left running.
 */
int vgpu_engines_start(struct vgpu_device *dev)
{
	unsigned int i;

	for (i = 0; i < VGPU_MAX_ENGINES; i++) {
		spin_lock_init(&dev->prt[i].lock);
		init_waitqueue_head(&dev->prt[i].done_wq);
	}
	spin_lock_init(&dev->samples.lock);
	dev->engine = vgpu_alloc(kcalloc(dev->num_engines,
					 sizeof(*dev->engine), GFP_KERNEL));
	if (!dev->engine)
		return -ENOMEM;
	for (i = 0; i < dev->num_engines; i++) {
		struct vgpu_engine *e = &dev->engine[i];

		e->dev = dev;
		e->id = i;
		init_waitqueue_head(&e->wq);
		e->thread = vgpu_inject_fail() ? ERR_PTR(-ENOMEM) :
			    kthread_run(vgpu_engine_thread, e, "vgpu%u-e%u",
					dev->id, i);
		if (IS_ERR(e->thread)) {
			int ret = PTR_ERR(e->thread);

			e->thread = NULL;
			vgpu_engines_stop(dev);
			return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_engines_start);

/**
 * vgpu_engines_stop() - stop a device's engine threads
 * @dev: the device, with no vGPU left
 */
void vgpu_engines_stop(struct vgpu_device *dev)
{
	unsigned int i;

	if (!dev->engine)
		return;
	for (i = 0; i < dev->num_engines; i++)
		if (dev->engine[i].thread)
			kthread_stop(dev->engine[i].thread);
	kfree(dev->engine);
	dev->engine = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_engines_stop);

/*
 * /sys/kernel/debug/vgpu/vgpuN/sched_samples: the latest scheduler latency
 * samples, for tools/bench and the tests: lines "overrun_ns", "wake_ns" and
 * "wake_picks" (slices given to others between a vGPU's doorbell and its
 * first slice), each of space-separated values, oldest first.
 */
static void vgpu_samples_print(struct seq_file *m, const char *name,
			       const u32 *v, u64 n)
{
	u64 i, first = n > VGPU_SAMPLES ? n - VGPU_SAMPLES : 0;

	seq_printf(m, "%s", name);
	for (i = first; i < n; i++)
		seq_printf(m, " %u", v[i % VGPU_SAMPLES]);
	seq_putc(m, '\n');
}

static int vgpu_samples_show(struct seq_file *m, void *data)
{
	struct vgpu_device *dev = m->private;
	struct vgpu_samples *s;
	u64 n[2];

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	spin_lock(&dev->samples.lock);
	memcpy(s->overrun_ns, dev->samples.overrun_ns, sizeof(s->overrun_ns));
	memcpy(s->wake_ns, dev->samples.wake_ns, sizeof(s->wake_ns));
	memcpy(s->wake_picks, dev->samples.wake_picks, sizeof(s->wake_picks));
	n[0] = dev->samples.n[0];
	n[1] = dev->samples.n[1];
	spin_unlock(&dev->samples.lock);
	vgpu_samples_print(m, "overrun_ns", s->overrun_ns, n[0]);
	vgpu_samples_print(m, "wake_ns", s->wake_ns, n[1]);
	vgpu_samples_print(m, "wake_picks", s->wake_picks, n[1]);
	kfree(s);
	return 0;
}

static ssize_t vgpu_samples_reset(struct file *f, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct vgpu_device *dev = file_inode(f)->i_private;

	spin_lock(&dev->samples.lock);
	dev->samples.n[0] = 0;
	dev->samples.n[1] = 0;
	spin_unlock(&dev->samples.lock);
	return count;
}

static int vgpu_samples_open_rw(struct inode *inode, struct file *f)
{
	return single_open(f, vgpu_samples_show, inode->i_private);
}

static const struct file_operations vgpu_samples_rw_fops = {
	.owner = THIS_MODULE,
	.open = vgpu_samples_open_rw,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = vgpu_samples_reset,
};

/**
 * vgpu_sched_debugfs_init() - create /sys/kernel/debug/vgpu/vgpuN
 * @dev: the device
 *
 * Writing anything to its sched_samples file clears the samples.
 */
void vgpu_sched_debugfs_init(struct vgpu_device *dev)
{
	char name[16];

	snprintf(name, sizeof(name), "vgpu%u", dev->id);
	dev->debugfs = debugfs_create_dir(name, vgpu_debugfs_root());
	debugfs_create_file("sched_samples", 0600, dev->debugfs, dev,
			    &vgpu_samples_rw_fops);
}

/**
 * vgpu_sched_debugfs_exit() - remove the device's debugfs directory
 * @dev: the device
 */
void vgpu_sched_debugfs_exit(struct vgpu_device *dev)
{
	debugfs_remove_recursive(dev->debugfs);
}
