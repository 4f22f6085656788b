// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu DMA into guest memory, bounded in time.
 */

/**
 * DOC: DMA that cannot complete
 *
 * A COPY with a DMA address makes the engine thread copy to or from the VFIO
 * user's memory through the function's frontend (vfio_dma_rw() for an
 * mdev). That memory can stall for any length of time: it may be registered
 * with userfaultfd (postcopy migration, or a hostile VMM that never
 * answers), on FUSE or NFS, or under reclaim. While the copy waits, the
 * engine serves nobody else and vfio_dma_rw() holds the VFIO container's
 * lock, which the VMM's own DMA map and unmap calls need.
 *
 * So no DMA holds an engine for long. vgpu_dma_rw() arms a timer for
 * VGPU_DMA_DEADLINE_NS; if the copy has not returned by then, the timer sends
 * SIGKILL to the engine thread (which allows that one signal), the page fault
 * the copy sleeps in gives up, and the copy fails. The signal is flushed
 * before the engine does anything else. vgpu_dma_abort() does the same at
 * once; pausing a vGPU (reset, close, removal) and the VFIO user unmapping
 * memory use it, so none of them waits for guest memory.
 *
 * A DMA that gave up is a *stall*, not a fault: the work unit left no trace
 * (see vgpu_cmd.c), the time it took is charged to the vGPU as run time, and
 * vgpu_dma_stalled() sets the vGPU aside: it is not runnable until a retry
 * timer, starting at VGPU_DMA_RETRY_MIN_NS and doubling up to
 * VGPU_DMA_RETRY_MAX_NS, makes it so again. Meanwhile the engine runs the
 * rest of its partition. When the memory becomes reachable (the fault is
 * answered), the next retry completes the unit and the command goes on where
 * it was. A command whose DMA has stalled for longer than the device's
 * job_timeout_ms (wall time since its first stall) is stopped by the
 * watchdog: the ring halts with VGPU_ERR_TIMEOUT and the stalled guest
 * address in ERR_ADDR.
 */
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "sim/vgpu_sim.h"

/* Interrupt the copy in progress, if any; any context. */
static void vgpu_dma_guard_fire(struct vgpu_dma_guard *g)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	if (g->task && !g->aborted) {
		g->aborted = true;
		send_sig(SIGKILL, g->task, 1);
	}
	spin_unlock_irqrestore(&g->lock, flags);
}

static enum hrtimer_restart vgpu_dma_timeout(struct hrtimer *t)
{
	vgpu_dma_guard_fire(container_of(t, struct vgpu_dma_guard, timer));
	return HRTIMER_NORESTART;
}

static void vgpu_dma_retry(struct work_struct *work)
{
	struct vgpu_sim_fn *sf = container_of(to_delayed_work(work),
					      struct vgpu_sim_fn,
					 stall.retry);
	bool run;

	mutex_lock(&sf->lock);
	sf->stall.waiting = false;
	run = vgpu_ring_runnable(sf);
	mutex_unlock(&sf->lock);
	if (run)
		vgpu_sched_kick(sf->vgpu);
}

/**
 * vgpu_dma_init() - set up a vGPU's DMA guard and stall state
 * @sf: the vGPU
 */
void vgpu_dma_init(struct vgpu_sim_fn *sf)
{
	struct vgpu_dma_guard *g = &sf->dma;

	spin_lock_init(&g->lock);
	hrtimer_init(&g->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	g->timer.function = vgpu_dma_timeout;
	INIT_DELAYED_WORK(&sf->stall.retry, vgpu_dma_retry);
}

/**
 * vgpu_dma_fini() - wait for a vGPU's pending retry before it is freed
 * @sf: the vGPU, paused, with no engine running it
 */
void vgpu_dma_fini(struct vgpu_sim_fn *sf)
{
	cancel_delayed_work_sync(&sf->stall.retry);
}

/**
 * vgpu_dma_abort() - make a DMA of the vGPU in progress give up now
 * @sf: the vGPU
 *
 * The copy fails as if its deadline had passed; nothing happens if no DMA
 * is in progress. Safe in any context.
 */
void vgpu_dma_abort(struct vgpu_sim_fn *sf)
{
	vgpu_dma_guard_fire(&sf->dma);
}

/**
 * vgpu_dma_rw() - copy between a buffer and the VFIO user's memory, giving
 * up after VGPU_DMA_DEADLINE_NS
 * @sf: the vGPU, run by the calling engine thread
 * @iova: I/O virtual address the guest gave
 * @buf: kernel buffer
 * @len: bytes
 * @write: copy @buf to @iova (else @iova to @buf)
 *
 * Return: 0, -EAGAIN if the copy gave up (deadline or vgpu_dma_abort();
 * part of it may have been done), or -EFAULT if the address is not mapped
 * for that access.
 */
int vgpu_dma_rw(struct vgpu_sim_fn *sf, u64 iova, void *buf, size_t len,
		bool write)
{
	struct vgpu_dma_guard *g = &sf->dma;
	bool aborted;
	int ret;

	spin_lock_irq(&g->lock);
	g->task = current;
	g->aborted = false;
	spin_unlock_irq(&g->lock);
	hrtimer_start(&g->timer, ns_to_ktime(VGPU_DMA_DEADLINE_NS),
		      HRTIMER_MODE_REL);

	ret = sf->host ? sf->host->dma_rw(sf->host_data, iova, buf, len, write) :
			 -EFAULT;

	hrtimer_cancel(&g->timer);
	spin_lock_irq(&g->lock);
	aborted = g->aborted;
	g->task = NULL;
	spin_unlock_irq(&g->lock);
	/* The signal was queued before g->task was cleared: flush it. */
	if (aborted)
		flush_signals(current);
	if (!ret)
		return 0;
	return aborted ? -EAGAIN : -EFAULT;
}

/**
 * vgpu_dma_stalled() - set aside a vGPU whose DMA gave up
 * @sf: the vGPU, with &vgpu_sim_fn.lock held and a command in progress
 * @addr: the guest address that could not be reached
 *
 * Schedules the retry, or halts the ring if the command's DMA has been
 * stalled for longer than the job timeout.
 */
void vgpu_dma_stalled(struct vgpu_sim_fn *sf, u64 addr)
{
	struct vgpu_stall *st = &sf->stall;
	u64 job = READ_ONCE(sf->vgpu->dev->job_timeout_ns);
	u64 now = ktime_get_ns();

	lockdep_assert_held(&sf->lock);
	sf->stats.dma_stalls++;
	if (!st->since_ns) {
		st->since_ns = now;
		st->backoff_ns = VGPU_DMA_RETRY_MIN_NS;
	} else {
		st->backoff_ns = min(st->backoff_ns * 2, VGPU_DMA_RETRY_MAX_NS);
	}
	if (job && now - st->since_ns > job) {
		dev_warn_ratelimited(sf->vgpu->log,
				     "watchdog: DMA to guest address %#llx stalled for %llu ms (ring index %u); vGPU halted\n",
				     addr, (now - st->since_ns) / NSEC_PER_MSEC,
				     sf->regs.head);
		sf->stats.resets++;
		vgpu_halt(sf, VGPU_ERR_TIMEOUT, addr);
		return;
	}
	st->waiting = true;
	mod_delayed_work(system_wq, &st->retry,
			 nsecs_to_jiffies(st->backoff_ns));
}
