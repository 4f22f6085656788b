// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu sim device: its command engines, behind the device interface's
 * fn_run, fn_preempt and fn_has_work.
 */

/**
 * DOC: ring execution and the watchdog
 *
 * An engine thread of the core (vgpu_sched.c) runs a sim function through
 * vgpu_sim_run() for one time slice: that runs work units one after the
 * other, a preemption point between any two. For each, under &vgpu.lock it
 * fetches and validates the command at the ring head if none is in
 * progress; it runs one work unit of it without that lock; and under the
 * lock again, on completion, it advances the head, updates the fence and
 * raises interrupts.
 *
 * The watchdog stops a vGPU whose command runs longer than the device's
 * job_timeout_ms (counting only time it actually ran) or one whose single
 * work unit overruns preempt_timeout_us (it could not be preempted in time):
 * the command is dropped, the ring halts with VGPU_ERR_TIMEOUT and the error
 * interrupt is raised, as for any fault; the guest resets the vGPU to go on.
 * Other vGPUs are not affected. A unit whose DMA gave up (VGPU_STEP_STALL)
 * sets the vGPU aside instead (vgpu_dma.c); the watchdog covers that too.
 */
#include <linux/highmem.h>
#include <linux/ktime.h>

#include "sim/vgpu_sim.h"

/* Copy between a window range (validated by the caller) and a buffer. */
static void vgpu_window_rw(struct vgpu *vgpu, u64 off, void *buf,
			   size_t len, bool write)
{
	while (len) {
		struct page *page = vgpu->pages[off >> PAGE_SHIFT];
		size_t in = offset_in_page(off);
		size_t n = min_t(size_t, len, PAGE_SIZE - in);
		void *va = kmap_local_page(page);

		if (write)
			memcpy(va + in, buf, n);
		else
			memcpy(buf, va + in, n);
		kunmap_local(va);
		off += n;
		buf += n;
		len -= n;
	}
}

static int vgpu_mem_read(void *ctx, bool sys, u64 addr, void *buf,
			 size_t len)
{
	struct vgpu *vgpu = ctx;

	if (sys)
		return vgpu_dma_rw(vgpu, addr, buf, len, false);
	vgpu_window_rw(vgpu, addr, buf, len, false);
	return 0;
}

static int vgpu_mem_write(void *ctx, bool sys, u64 addr, const void *buf,
			  size_t len)
{
	struct vgpu *vgpu = ctx;

	if (sys)
		return vgpu_dma_rw(vgpu, addr, (void *)buf, len, true);
	vgpu_window_rw(vgpu, addr, (void *)buf, len, true);
	return 0;
}

static u64 vgpu_mem_now(void *ctx)
{
	return vgpu_now_ns(ctx);
}

static const struct vgpu_mem_ops vgpu_engine_mem_ops = {
	.read = vgpu_mem_read,
	.write = vgpu_mem_write,
	.now_ns = vgpu_mem_now,
};

/* Fetch and validate the command at head; false if the ring faulted. */
static bool vgpu_fetch(struct vgpu *vgpu)
{
	struct vgpu_regs *r = &vgpu->regs;
	struct vgpu_cmd cmd;
	u64 bad;
	int err;

	lockdep_assert_held(&vgpu->lock);
	vgpu_window_rw(vgpu, r->ring_base + (u64)r->head * sizeof(cmd), &cmd,
		       sizeof(cmd), false);
	err = vgpu_cmd_validate(&cmd, vgpu->mem_size, &bad);
	if (err) {
		vgpu_halt(vgpu, err, bad);
		return false;
	}
	vgpu_exec_start(vgpu->exec, &cmd);
	vgpu->exec_active = true;
	vgpu->cmd_run_ns = 0;
	return true;
}

static void vgpu_complete(struct vgpu *vgpu)
{
	struct vgpu_regs *r = &vgpu->regs;
	const struct vgpu_cmd *c = &vgpu->exec->cmd;

	lockdep_assert_held(&vgpu->lock);
	vgpu_exec_drop(vgpu);
	r->head = (r->head + 1) & (r->ring_size - 1);
	r->completed++;
	vgpu->stats.commands++;
	if (c->opcode == VGPU_OP_FENCE) {
		r->fence = c->u.fence.value;
		if (c->flags & VGPU_CMD_IRQ)
			vgpu_raise_irq(vgpu, VGPU_IRQ_COMPLETION);
	}
}

/* Stop a command that ran too long; true if the watchdog fired. */
static bool vgpu_watchdog(struct vgpu *vgpu, u64 unit_ns)
{
	struct vgpu_device *dev = vgpu->dev;
	u64 job = READ_ONCE(dev->job_timeout_ns);
	u64 unit = READ_ONCE(dev->preempt_timeout_ns);
	const char *why;

	lockdep_assert_held(&vgpu->lock);
	if (unit && unit_ns > unit)
		why = "a work unit overran the preemption timeout";
	else if (job && vgpu->exec_active && vgpu->cmd_run_ns > job)
		why = "a command ran past the job timeout";
	else
		return false;
	dev_warn_ratelimited(&vgpu->mdev->dev,
			     "watchdog: %s (ring index %u); vGPU halted\n",
			     why, vgpu->regs.head);
	vgpu->stats.resets++;
	vgpu_halt(vgpu, VGPU_ERR_TIMEOUT, 0);
	return true;
}

/*
 * Run one work unit of a vGPU's ring; *@unit_ns is the time the unit itself
 * took (0 if none ran). Fetching, validating and completing happen under
 * &vgpu.lock; the unit itself runs under &vgpu.unit_lock only, so that
 * register accesses never wait for it. A reset or fault meanwhile changes
 * &vgpu.exec_gen and the unit's outcome is discarded. Interrupts are
 * signalled after unlocking. Returns whether the vGPU has more work.
 */
static bool vgpu_run_unit(struct vgpu *vgpu, u64 *unit_ns)
{
	u64 bad = 0, bytes = 0, start, gen;
	bool more;
	u32 irqs;
	int ret;

	*unit_ns = 0;
	mutex_lock(&vgpu->lock);
	if (!vgpu_ring_runnable(vgpu)) {
		mutex_unlock(&vgpu->lock);
		return false;
	}
	if (!vgpu->exec_active && !vgpu_fetch(vgpu))
		goto out;
	gen = vgpu->exec_gen;
	mutex_unlock(&vgpu->lock);

	mutex_lock(&vgpu->unit_lock);
	start = ktime_get_ns();
	ret = vgpu_exec_step(vgpu->exec, &vgpu_engine_mem_ops, vgpu, &bad,
			     &bytes);
	*unit_ns = ktime_get_ns() - start;
	mutex_unlock(&vgpu->unit_lock);

	mutex_lock(&vgpu->lock);
	if (gen != vgpu->exec_gen || !vgpu->exec_active)
		goto out;
	vgpu->cmd_run_ns += *unit_ns;
	vgpu->stats.bytes += bytes;
	if (ret < 0) {
		vgpu_halt(vgpu, -ret, bad);
	} else if (ret == VGPU_STEP_DONE) {
		vgpu_complete(vgpu);
	} else if (ret == VGPU_STEP_STALL) {
		vgpu_dma_stalled(vgpu, bad);
	} else {
		vgpu_stall_clear(vgpu);
		vgpu_watchdog(vgpu, *unit_ns);
	}
out:
	more = vgpu_ring_runnable(vgpu);
	irqs = vgpu_irq_take(vgpu);
	mutex_unlock(&vgpu->lock);
	vgpu_irq_flush(vgpu, irqs);
	return more;
}

/**
 * vgpu_sim_run() - the sim device's fn_run: run a function's work units
 * @dev: the device
 * @fn: the function
 * @engine: the engine running it (the sim runs it in the calling thread)
 * @budget_ns: the slice
 * @ran_ns: set to the time the units took, which is what the function is
 *	    charged (not the time spent signalling its interrupts)
 *
 * A unit is not started when the previous one says it would end past the
 * budget, so slices overrun by less than one unit and usually not at all;
 * vgpu_sim_preempt() ends the run at the next unit boundary.
 *
 * Return: whether the function has work left.
 */
bool vgpu_sim_run(struct vgpu_device *dev, u32 fn, u32 engine, u64 budget_ns,
		  u64 *ran_ns)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);
	u64 ran = 0, unit = 0;
	bool more;

	do {
		more = vgpu_run_unit(vgpu, &unit);
		ran += unit;
	} while (more && ran + unit < budget_ns && !READ_ONCE(vgpu->preempt));
	WRITE_ONCE(vgpu->preempt, false);
	*ran_ns = ran;
	return more;
}

/**
 * vgpu_sim_preempt() - the sim device's fn_preempt
 * @dev: the device
 * @fn: the function
 *
 * Ends a run of the function at its next unit boundary, and a DMA it waits
 * in at once (vgpu_dma.c).
 */
void vgpu_sim_preempt(struct vgpu_device *dev, u32 fn)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);

	WRITE_ONCE(vgpu->preempt, true);
	vgpu_dma_abort(vgpu);
}

/**
 * vgpu_sim_has_work() - the sim device's fn_has_work
 * @dev: the device
 * @fn: the function
 *
 * Return: whether its ring has a command in progress or waiting and may run.
 */
bool vgpu_sim_has_work(struct vgpu_device *dev, u32 fn)
{
	struct vgpu *vgpu = vgpu_fn(dev, fn);
	bool work;

	mutex_lock(&vgpu->lock);
	work = vgpu_ring_runnable(vgpu);
	mutex_unlock(&vgpu->lock);
	return work;
}
