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
 * other, a preemption point between any two. For each, under
 * &vgpu_sim_fn.lock it fetches and validates the command at the ring head
 * if none is in progress; it runs one work unit of it without that lock;
 * and under the lock again, on completion, it advances the head, updates
 * the fence and raises interrupts.
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
static void vgpu_window_rw(struct vgpu_sim_fn *sf, u64 off, void *buf,
			   size_t len, bool write)
{
	u64 start = off, total = len;

	while (len) {
		struct page *page = sf->pages[off >> PAGE_SHIFT];
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
	if (write)
		vgpu_sim_window_written(sf, start, total);
}

static int vgpu_mem_read(void *ctx, bool sys, u64 addr, void *buf,
			 size_t len)
{
	struct vgpu_sim_fn *sf = ctx;

	if (sys)
		return vgpu_dma_rw(sf, addr, buf, len, false);
	vgpu_window_rw(sf, addr, buf, len, false);
	return 0;
}

static int vgpu_mem_write(void *ctx, bool sys, u64 addr, const void *buf,
			  size_t len)
{
	struct vgpu_sim_fn *sf = ctx;

	if (sys)
		return vgpu_dma_rw(sf, addr, (void *)buf, len, true);
	vgpu_window_rw(sf, addr, (void *)buf, len, true);
	return 0;
}

static u64 vgpu_mem_now(void *ctx)
{
	return vgpu_now_ns(ctx);
}

static int vgpu_mem_peer_window(void *ctx, u32 peer, u64 *size)
{
	struct vgpu_sim_fn *sf = ctx;
	struct vgpu *p;
	int err;

	p = vgpu_peer_get(sf->vgpu, peer, &err);
	if (p)
		*size = p->mem_size;
	vgpu_peer_put(sf->vgpu);
	return p ? 0 : err;
}

/*
 * A PEER_COPY unit's write: into the peer's window as its own engines
 * write (so a migration's pre-copy sees the pages), while the peer cannot
 * leave its group or be handed back (vgpu_peer.c).
 */
static int vgpu_mem_peer_write(void *ctx, u32 peer, u64 addr,
			       const void *buf, size_t len)
{
	struct vgpu_sim_fn *sf = ctx;
	struct vgpu *p;
	int err;

	p = vgpu_peer_get(sf->vgpu, peer, &err);
	if (p && (addr > p->mem_size || len > p->mem_size - addr)) {
		p = NULL;
		err = -ENXIO;
	}
	if (p) {
		vgpu_window_rw(p->hw, addr, (void *)buf, len, true);
		atomic64_add(len, &p->peer_rx_bytes);
		atomic64_add(len, &sf->vgpu->peer_tx_bytes);
	}
	vgpu_peer_put(sf->vgpu);
	return p ? 0 : err;
}

static const struct vgpu_mem_ops vgpu_engine_mem_ops = {
	.read = vgpu_mem_read,
	.write = vgpu_mem_write,
	.now_ns = vgpu_mem_now,
	.peer_window = vgpu_mem_peer_window,
	.peer_write = vgpu_mem_peer_write,
};

/* Fetch and validate the command at head; false if the ring faulted. */
static bool vgpu_fetch(struct vgpu_sim_fn *sf)
{
	struct vgpu_regs *r = &sf->regs;
	struct vgpu_cmd cmd;
	u64 bad;
	int err;

	lockdep_assert_held(&sf->lock);
	vgpu_window_rw(sf, r->ring_base + (u64)r->head * sizeof(cmd), &cmd,
		       sizeof(cmd), false);
	err = vgpu_cmd_validate(&cmd, sf->vgpu->mem_size, &bad);
	if (err) {
		vgpu_halt(sf, err, bad);
		return false;
	}
	vgpu_exec_start(sf->exec, &cmd);
	sf->exec_active = true;
	sf->cmd_run_ns = 0;
	return true;
}

static void vgpu_complete(struct vgpu_sim_fn *sf)
{
	struct vgpu_regs *r = &sf->regs;
	const struct vgpu_cmd *c = &sf->exec->cmd;

	lockdep_assert_held(&sf->lock);
	vgpu_exec_drop(sf);
	r->head = (r->head + 1) & (r->ring_size - 1);
	r->completed++;
	sf->stats.commands++;
	if (c->opcode == VGPU_OP_FENCE) {
		r->fence = c->u.fence.value;
		if (c->flags & VGPU_CMD_IRQ)
			vgpu_raise_irq(sf, VGPU_IRQ_COMPLETION);
	}
}

/* Stop a command that ran too long; true if the watchdog fired. */
static bool vgpu_watchdog(struct vgpu_sim_fn *sf, u64 unit_ns)
{
	struct vgpu_device *dev = sf->vgpu->dev;
	u64 job = READ_ONCE(dev->job_timeout_ns);
	u64 unit = READ_ONCE(dev->preempt_timeout_ns);
	const char *why;

	lockdep_assert_held(&sf->lock);
	if (unit && unit_ns > unit)
		why = "a work unit overran the preemption timeout";
	else if (job && sf->exec_active && sf->cmd_run_ns > job)
		why = "a command ran past the job timeout";
	else
		return false;
	dev_warn_ratelimited(sf->vgpu->log,
			     "watchdog: %s (ring index %u); vGPU halted\n",
			     why, sf->regs.head);
	sf->stats.resets++;
	vgpu_halt(sf, VGPU_ERR_TIMEOUT, 0);
	return true;
}

/*
 * Run one work unit of a vGPU's ring; *@unit_ns is the time the unit itself
 * took (0 if none ran). Fetching, validating and completing happen under
 * &vgpu_sim_fn.lock; the unit itself runs under &vgpu_sim_fn.unit_lock
 * only, so that register accesses never wait for it. A reset or fault meanwhile changes
 * &vgpu_sim_fn.exec_gen and the unit's outcome is discarded. Interrupts are
 * signalled after unlocking. Returns whether the vGPU has more work.
 */
static bool vgpu_run_unit(struct vgpu_sim_fn *sf, u64 *unit_ns)
{
	u64 bad = 0, bytes = 0, start, gen;
	bool more;
	u32 irqs;
	int ret;

	*unit_ns = 0;
	mutex_lock(&sf->lock);
	if (!vgpu_ring_runnable(sf)) {
		mutex_unlock(&sf->lock);
		return false;
	}
	if (!sf->exec_active && !vgpu_fetch(sf))
		goto out;
	gen = sf->exec_gen;
	mutex_unlock(&sf->lock);

	mutex_lock(&sf->unit_lock);
	start = ktime_get_ns();
	ret = vgpu_exec_step(sf->exec, &vgpu_engine_mem_ops, sf, &bad,
			     &bytes);
	*unit_ns = ktime_get_ns() - start;
	mutex_unlock(&sf->unit_lock);

	mutex_lock(&sf->lock);
	if (gen != sf->exec_gen || !sf->exec_active)
		goto out;
	sf->cmd_run_ns += *unit_ns;
	sf->stats.bytes += bytes;
	if (ret < 0) {
		vgpu_halt(sf, -ret, bad);
	} else if (ret == VGPU_STEP_DONE) {
		vgpu_complete(sf);
	} else if (ret == VGPU_STEP_STALL) {
		/*
		 * Preempted in a DMA (pause, reset): the unit simply runs
		 * again when the function next does; only a DMA that ran out
		 * of time is a stall.
		 */
		if (!READ_ONCE(sf->preempt))
			vgpu_dma_stalled(sf, bad);
	} else {
		vgpu_stall_clear(sf);
		vgpu_watchdog(sf, *unit_ns);
	}
out:
	more = vgpu_ring_runnable(sf);
	irqs = vgpu_irq_take(sf);
	mutex_unlock(&sf->lock);
	vgpu_irq_flush(sf, irqs);
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
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);
	u64 ran = 0, unit = 0;
	bool more;

	do {
		more = vgpu_run_unit(sf, &unit);
		ran += unit;
	} while (more && ran + unit < budget_ns && !READ_ONCE(sf->preempt));
	WRITE_ONCE(sf->preempt, false);
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
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);

	WRITE_ONCE(sf->preempt, true);
	vgpu_dma_abort(sf);
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
	struct vgpu_sim_fn *sf = vgpu_sim_fn(dev, fn);
	bool work;

	mutex_lock(&sf->lock);
	work = vgpu_ring_runnable(sf);
	mutex_unlock(&sf->lock);
	return work;
}
