// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu engines: kernel threads that execute vGPU command rings.
 *
 * DOC: engines and rings
 *
 * Each engine of a device is a kthread named "vgpuN-eM". A vGPU is bound to
 * one engine of its partition (the partition's vGPUs are spread over its
 * engines in creation order). A doorbell puts the vGPU on its engine's run
 * queue and wakes the engine; the engine serves queued vGPUs in FIFO order,
 * running each for at most VGPU_SLICE_NS, one work unit at a time, and puts
 * it back at the tail while it has work. Idle engines sleep.
 *
 * Locking: an engine holds its &vgpu_engine.run_lock while it runs a vGPU
 * and that vGPU's &vgpu.lock across each single work unit, so register
 * accesses wait at most one unit. vgpu_engine_detach() makes a vGPU
 * unschedulable and then takes run_lock, after which no engine touches it:
 * reset, close and destroy all go through it. Lock order: run_lock, then
 * vgpu.lock, then vgpu.irq_lock; the run queue spinlock nests inside any.
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "vgpu_core.h"

/* How long an engine runs one vGPU before serving the next. */
#define VGPU_SLICE_NS	(2 * NSEC_PER_MSEC)

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
		return vfio_dma_rw(&vgpu->vdev, addr, buf, len, false) ?
		       -EFAULT : 0;
	vgpu_window_rw(vgpu, addr, buf, len, false);
	return 0;
}

static int vgpu_mem_write(void *ctx, bool sys, u64 addr, const void *buf,
			  size_t len)
{
	struct vgpu *vgpu = ctx;

	if (sys)
		return vfio_dma_rw(&vgpu->vdev, addr, (void *)buf, len, true) ?
		       -EFAULT : 0;
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

static void vgpu_fault(struct vgpu *vgpu, u32 code, u64 addr)
{
	struct vgpu_regs *r = &vgpu->regs;

	r->err_code = code;
	r->err_index = r->head;
	r->err_addr = addr;
	r->halted = true;
	vgpu->exec_active = false;
	vgpu_raise_irq(vgpu, VGPU_IRQ_ERROR);
}

/* Fetch and validate the command at head; false if the ring faulted. */
static bool vgpu_fetch(struct vgpu *vgpu)
{
	struct vgpu_regs *r = &vgpu->regs;
	struct vgpu_cmd cmd;
	u64 bad;
	int err;

	vgpu_window_rw(vgpu, r->ring_base + (u64)r->head * sizeof(cmd), &cmd,
		       sizeof(cmd), false);
	err = vgpu_cmd_validate(&cmd, vgpu->mem_size, &bad);
	if (err) {
		vgpu_fault(vgpu, err, bad);
		return false;
	}
	vgpu_exec_start(vgpu->exec, &cmd);
	vgpu->exec_active = true;
	return true;
}

static void vgpu_complete(struct vgpu *vgpu)
{
	struct vgpu_regs *r = &vgpu->regs;
	const struct vgpu_cmd *c = &vgpu->exec->cmd;

	vgpu->exec_active = false;
	r->head = (r->head + 1) & (r->ring_size - 1);
	r->completed++;
	if (c->opcode == VGPU_OP_FENCE) {
		r->fence = c->u.fence.value;
		if (c->flags & VGPU_CMD_IRQ)
			vgpu_raise_irq(vgpu, VGPU_IRQ_COMPLETION);
	}
}

/* Run one work unit; false when there is nothing (more) to run. */
static bool vgpu_run_unit(struct vgpu *vgpu)
{
	u64 bad = 0, bytes;
	bool more;
	int ret;

	mutex_lock(&vgpu->lock);
	if (!vgpu_ring_runnable(vgpu)) {
		mutex_unlock(&vgpu->lock);
		return false;
	}
	if (vgpu->exec_active || vgpu_fetch(vgpu)) {
		ret = vgpu_exec_step(vgpu->exec, &vgpu_engine_mem_ops, vgpu,
				     &bad, &bytes);
		if (ret < 0)
			vgpu_fault(vgpu, -ret, bad);
		else if (ret == VGPU_STEP_DONE)
			vgpu_complete(vgpu);
	}
	more = vgpu_ring_runnable(vgpu);
	mutex_unlock(&vgpu->lock);
	return more;
}

/* Run @vgpu for up to one slice; true if it still has work. */
static bool vgpu_run_slice(struct vgpu *vgpu)
{
	u64 end = ktime_get_ns() + VGPU_SLICE_NS;
	bool more;

	do {
		more = vgpu_run_unit(vgpu);
	} while (more && ktime_get_ns() < end);
	return more;
}

static struct vgpu *vgpu_engine_pop(struct vgpu_engine *e)
{
	struct vgpu *vgpu;

	spin_lock(&e->rq_lock);
	vgpu = list_first_entry_or_null(&e->rq, struct vgpu, rq_node);
	if (vgpu)
		list_del_init(&vgpu->rq_node);
	spin_unlock(&e->rq_lock);
	return vgpu;
}

static bool vgpu_engine_has_work(struct vgpu_engine *e)
{
	bool work;

	spin_lock(&e->rq_lock);
	work = !list_empty(&e->rq);
	spin_unlock(&e->rq_lock);
	return work;
}

static int vgpu_engine_thread(void *data)
{
	struct vgpu_engine *e = data;

	while (!kthread_should_stop()) {
		struct vgpu *vgpu;

		wait_event_interruptible(e->wq,
					 vgpu_engine_has_work(e) ||
					 kthread_should_stop());
		mutex_lock(&e->run_lock);
		vgpu = vgpu_engine_pop(e);
		if (vgpu && vgpu_run_slice(vgpu))
			vgpu_engine_kick(vgpu);
		mutex_unlock(&e->run_lock);
		cond_resched();
	}
	return 0;
}

/**
 * vgpu_engine_kick() - queue a vGPU with work on its engine
 * @vgpu: the vGPU
 *
 * Does nothing if it is queued already or not schedulable.
 */
void vgpu_engine_kick(struct vgpu *vgpu)
{
	struct vgpu_engine *e = vgpu->engine;
	bool wake = false;

	spin_lock(&e->rq_lock);
	if (vgpu->schedulable && list_empty(&vgpu->rq_node)) {
		list_add_tail(&vgpu->rq_node, &e->rq);
		wake = true;
	}
	spin_unlock(&e->rq_lock);
	if (wake)
		wake_up(&e->wq);
}

/**
 * vgpu_engine_attach() - make a vGPU schedulable on its engine
 * @vgpu: the vGPU, with &vgpu.engine set
 */
void vgpu_engine_attach(struct vgpu *vgpu)
{
	struct vgpu_engine *e = vgpu->engine;

	spin_lock(&e->rq_lock);
	vgpu->schedulable = true;
	spin_unlock(&e->rq_lock);
}

/**
 * vgpu_engine_detach() - stop scheduling a vGPU and wait until it is off
 * its engine
 * @vgpu: the vGPU; must not hold &vgpu.lock
 *
 * On return no engine runs or will run the vGPU until it is attached again.
 */
void vgpu_engine_detach(struct vgpu *vgpu)
{
	struct vgpu_engine *e = vgpu->engine;

	spin_lock(&e->rq_lock);
	vgpu->schedulable = false;
	list_del_init(&vgpu->rq_node);
	spin_unlock(&e->rq_lock);
	mutex_lock(&e->run_lock);
	mutex_unlock(&e->run_lock);
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

	dev->engine = vgpu_alloc(kcalloc(dev->num_engines,
					 sizeof(*dev->engine), GFP_KERNEL));
	if (!dev->engine)
		return -ENOMEM;
	for (i = 0; i < dev->num_engines; i++) {
		struct vgpu_engine *e = &dev->engine[i];

		e->dev = dev;
		e->id = i;
		spin_lock_init(&e->rq_lock);
		INIT_LIST_HEAD(&e->rq);
		init_waitqueue_head(&e->wq);
		mutex_init(&e->run_lock);
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

/**
 * vgpu_engines_stop() - stop a device's engine threads
 * @dev: the device; no vGPU may be attached
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
