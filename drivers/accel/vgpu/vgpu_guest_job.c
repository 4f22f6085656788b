// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_guest: jobs, the device ring, fences and error recovery.
 */

/**
 * DOC: jobs, ring and recovery
 *
 * SUBMIT copies the caller's commands and BO handles into the kernel and
 * checks them before anything reaches the device: every command must pass
 * the device's own validator (vgpu_cmd_validate(), the same code the device
 * model runs), use an opcode the device has, carry no flags (DMA and
 * interrupts belong to the driver), and every window range it touches must
 * lie inside one of the BOs the job names; a PEER_COPY's destination inside
 * one of its peer BOs, of the vGPU that has the command's peer id in this
 * vGPU's peer group (see "peer buffer objects"). The job holds a reference
 * on each of those BOs until it finishes.
 *
 * Each job gets the next value of the ring's dma_fence timeline. It is
 * written to the ring followed by a FENCE command that stores the value in
 * the driver's fence slot and raises the completion interrupt; a job that
 * does not fit the ring's free entries waits in a software queue, in order.
 * The completion interrupt thread retires every job whose value the slot
 * has reached and refills the ring. Jobs finish in submission order.
 *
 * On the error interrupt the device has halted at the failing command. All
 * jobs before it are complete, so the oldest job in flight is the one that
 * failed: its fence is signalled with -EIO (or -ETIMEDOUT when the host's
 * watchdog stopped it) and the device error is kept for WAIT. The driver
 * then resets the engine with the RING reset, which keeps the window, so
 * the BOs of every other job survive, reprograms the ring and re-runs the
 * jobs that were queued behind the failed one. If the device does not come
 * back, every pending job is cancelled with -ECANCELED.
 *
 * WAIT looks a job up by the id SUBMIT returned, waits for its fence with a
 * timeout, reports the outcome and forgets the job. A file may hold at most
 * DRM_VGPU_MAX_JOBS jobs it has not waited for.
 */
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "vgpu_guest.h"
#include "../../vgpu/lib/vgpu_cmd.h"

static const char *vgpu_fence_driver_name(struct dma_fence *fence)
{
	return VGPU_GUEST_NAME;
}

static const char *vgpu_fence_timeline_name(struct dma_fence *fence)
{
	struct vgpu_job *job = container_of(fence, struct vgpu_job, base);

	return dev_name(job->gdev->drm.dev);
}

static const struct dma_fence_ops vgpu_fence_ops = {
	.get_driver_name = vgpu_fence_driver_name,
	.get_timeline_name = vgpu_fence_timeline_name,
};

/* Ring entries a job takes: its commands and the driver's FENCE. */
static u32 vgpu_job_entries(const struct vgpu_job *job)
{
	return job->ncmds + 1;
}

static void vgpu_ring_write(struct vgpu_gdev *gdev, u32 slot,
			    const struct vgpu_cmd *cmd)
{
	memcpy_toio(gdev->window + (size_t)slot * sizeof(*cmd), cmd,
		    sizeof(*cmd));
}

/* Writes @job at the ring tail; the caller checked that it fits. */
static void vgpu_job_emit(struct vgpu_gdev *gdev, struct vgpu_job *job)
{
	/* NOP allows no flags: the device stops on it with ERR_FLAGS. */
	static const struct vgpu_cmd bad = {
		.opcode = VGPU_OP_NOP,
		.flags = VGPU_CMD_IRQ,
	};
	struct vgpu_cmd fence = {
		.opcode = VGPU_OP_FENCE,
		.flags = VGPU_CMD_IRQ,
		.u.fence.dst = VGPU_GUEST_FENCE_OFF,
		.u.fence.value = job->base.seqno,
	};
	u32 i, slot = gdev->ring_tail;

	lockdep_assert_held(&gdev->ring_lock);
	job->ring_start = slot;
	for (i = 0; i < job->ncmds; i++) {
		vgpu_ring_write(gdev, slot,
				i == 0 && job->inject ? &bad : &job->cmds[i]);
		slot = (slot + 1) % VGPU_GUEST_RING_ENTRIES;
	}
	vgpu_ring_write(gdev, slot, &fence);
	gdev->ring_tail = (slot + 1) % VGPU_GUEST_RING_ENTRIES;
	gdev->ring_used += vgpu_job_entries(job);
	list_move_tail(&job->link, &gdev->inflight);
}

/* Moves queued jobs into the ring while they fit, then rings the doorbell. */
static void vgpu_ring_pump(struct vgpu_gdev *gdev)
{
	struct vgpu_job *job, *next;
	bool wrote = false;

	lockdep_assert_held(&gdev->ring_lock);
	list_for_each_entry_safe(job, next, &gdev->queued, link) {
		/* One entry stays free: head == tail means empty. */
		if (gdev->ring_used + vgpu_job_entries(job) >
		    VGPU_GUEST_RING_ENTRIES - 1)
			break;
		vgpu_job_emit(gdev, job);
		wrote = true;
	}
	if (wrote)
		writel(gdev->ring_tail, gdev->regs + VGPU_REG_DOORBELL);
}

/* Signals @job's fence and moves it to @done for vgpu_jobs_release(). */
static void vgpu_job_finish(struct vgpu_gdev *gdev, struct vgpu_job *job,
			    int error, struct list_head *done)
{
	lockdep_assert_held(&gdev->ring_lock);
	job->done_ns = ktime_get_ns();
	if (error) {
		dma_fence_set_error(&job->base, error);
		gdev->jobs_failed++;
	} else {
		gdev->jobs_done++;
	}
	list_move_tail(&job->link, done);
	dma_fence_signal(&job->base);
}

/* Drops what a job holds besides its fence. */
static void vgpu_job_drop_refs(struct vgpu_job *job)
{
	u32 i;

	for (i = 0; i < job->nbos; i++)
		drm_gem_object_put(job->bos[i]);
	job->nbos = 0;
	kfree(job->bos);
	job->bos = NULL;
	kvfree(job->cmds);
	job->cmds = NULL;
}

/* Releases finished jobs, outside &vgpu_gdev.ring_lock (BOs may go). */
static void vgpu_jobs_release(struct list_head *done)
{
	struct vgpu_job *job, *next;

	list_for_each_entry_safe(job, next, done, link) {
		list_del_init(&job->link);
		vgpu_job_drop_refs(job);
		dma_fence_put(&job->base);
	}
}

/* Finishes every job in flight whose fence value the device wrote. */
static void vgpu_retire(struct vgpu_gdev *gdev, struct list_head *done)
{
	u64 seen = readq(gdev->window + VGPU_GUEST_FENCE_OFF);
	struct vgpu_job *job, *next;

	lockdep_assert_held(&gdev->ring_lock);
	list_for_each_entry_safe(job, next, &gdev->inflight, link) {
		if ((s64)(job->base.seqno - seen) > 0)
			break;
		gdev->ring_used -= vgpu_job_entries(job);
		vgpu_job_finish(gdev, job, 0, done);
	}
}

/* Cancels every pending job: the device is gone or unusable. */
static void vgpu_cancel_all(struct vgpu_gdev *gdev, struct list_head *done)
{
	struct vgpu_job *job, *next;

	lockdep_assert_held(&gdev->ring_lock);
	list_splice_init(&gdev->inflight, &gdev->queued);
	list_for_each_entry_safe(job, next, &gdev->queued, link)
		vgpu_job_finish(gdev, job, -ECANCELED, done);
	gdev->ring_used = 0;
}

/* Engine reset and ring setup; the window is kept. */
static int vgpu_ring_program(struct vgpu_gdev *gdev)
{
	u32 status;

	lockdep_assert_held(&gdev->ring_lock);
	writel(VGPU_RESET_RING_MAGIC, gdev->regs + VGPU_REG_RESET);
	writeq(0, gdev->regs + VGPU_REG_RING_BASE);
	writel(VGPU_GUEST_RING_ENTRIES, gdev->regs + VGPU_REG_RING_SIZE);
	writel(0, gdev->regs + VGPU_REG_IRQ_MASK);
	writel(VGPU_RING_ENABLE, gdev->regs + VGPU_REG_RING_CTRL);
	gdev->ring_tail = 0;
	gdev->ring_used = 0;
	status = readl(gdev->regs + VGPU_REG_STATUS);
	if (!(status & VGPU_STATUS_RUNNING)) {
		drm_err(&gdev->drm,
			"ring does not start (status %#x, error %u)\n", status,
			readl(gdev->regs + VGPU_REG_ERR_CODE));
		return -EIO;
	}
	return 0;
}

/**
 * vgpu_ring_start() - reset the device and start its ring
 * @gdev: the device, BARs mapped, interrupts requested
 *
 * A full reset first: the window is zeroed, so nothing of a previous
 * driver instance survives.
 *
 * Return: 0 or -EIO.
 */
int vgpu_ring_start(struct vgpu_gdev *gdev)
{
	int ret;

	writel(VGPU_RESET_MAGIC, gdev->regs + VGPU_REG_RESET);
	mutex_lock(&gdev->ring_lock);
	gdev->next_seqno = 1;
	ret = vgpu_ring_program(gdev);
	mutex_unlock(&gdev->ring_lock);
	return ret;
}

/**
 * vgpu_ring_stop() - stop the ring and cancel every pending job
 * @gdev: the device
 *
 * After this, interrupts are ignored and SUBMIT fails with -ENODEV.
 */
void vgpu_ring_stop(struct vgpu_gdev *gdev)
{
	LIST_HEAD(done);

	mutex_lock(&gdev->ring_lock);
	gdev->dead = true;
	writel(0, gdev->regs + VGPU_REG_RING_CTRL);
	writel(VGPU_IRQ_COMPLETION | VGPU_IRQ_ERROR,
	       gdev->regs + VGPU_REG_IRQ_MASK);
	vgpu_cancel_all(gdev, &done);
	mutex_unlock(&gdev->ring_lock);
	vgpu_jobs_release(&done);
}

/**
 * vgpu_irq_completion() - completion interrupt thread
 * @irq: the MSI-X vector's interrupt
 * @arg: the device
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t vgpu_irq_completion(int irq, void *arg)
{
	struct vgpu_gdev *gdev = arg;
	LIST_HEAD(done);

	mutex_lock(&gdev->ring_lock);
	if (!gdev->dead) {
		/* Acknowledge first: a later completion raises it again. */
		writel(VGPU_IRQ_COMPLETION, gdev->regs + VGPU_REG_IRQ_STATUS);
		vgpu_retire(gdev, &done);
		vgpu_ring_pump(gdev);
	}
	mutex_unlock(&gdev->ring_lock);
	vgpu_jobs_release(&done);
	return IRQ_HANDLED;
}

/* Fails the job the device stopped in, resets the engine, re-runs the rest. */
static void vgpu_recover(struct vgpu_gdev *gdev, u32 code,
			 struct list_head *done)
{
	u32 index = readl(gdev->regs + VGPU_REG_ERR_INDEX);
	u64 addr = readq(gdev->regs + VGPU_REG_ERR_ADDR);
	struct vgpu_job *job;

	lockdep_assert_held(&gdev->ring_lock);
	vgpu_retire(gdev, done);
	job = list_first_entry_or_null(&gdev->inflight, struct vgpu_job, link);
	if (job) {
		u32 pos = (index + VGPU_GUEST_RING_ENTRIES - job->ring_start) %
			  VGPU_GUEST_RING_ENTRIES;

		job->device_error = code;
		job->error_cmd = min(pos, job->ncmds - 1);
		job->error_addr = addr;
		gdev->ring_used -= vgpu_job_entries(job);
		vgpu_job_finish(gdev, job,
				code == VGPU_ERR_TIMEOUT ? -ETIMEDOUT : -EIO,
				done);
		dev_warn_ratelimited(gdev->drm.dev,
				     "job %llu failed: device error %u at command %u, address %#llx; resetting the engine\n",
				     job->base.seqno, code, job->error_cmd,
				     addr);
	} else {
		dev_warn_ratelimited(gdev->drm.dev,
				     "device error %u with no job in flight; resetting the engine\n",
				     code);
	}
	/* Jobs behind the failed one never started: run them again. */
	list_splice_init(&gdev->inflight, &gdev->queued);
	gdev->recoveries++;
	if (vgpu_ring_program(gdev)) {
		gdev->dead = true;
		vgpu_cancel_all(gdev, done);
		return;
	}
	vgpu_ring_pump(gdev);
}

/**
 * vgpu_irq_error() - error interrupt thread
 * @irq: the MSI-X vector's interrupt
 * @arg: the device
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t vgpu_irq_error(int irq, void *arg)
{
	struct vgpu_gdev *gdev = arg;
	LIST_HEAD(done);
	u32 code;

	mutex_lock(&gdev->ring_lock);
	if (!gdev->dead) {
		writel(VGPU_IRQ_ERROR, gdev->regs + VGPU_REG_IRQ_STATUS);
		code = readl(gdev->regs + VGPU_REG_ERR_CODE);
		/* No code: an earlier run of this thread handled it. */
		if (code != VGPU_ERR_NONE)
			vgpu_recover(gdev, code, &done);
	}
	mutex_unlock(&gdev->ring_lock);
	vgpu_jobs_release(&done);
	return IRQ_HANDLED;
}

/* Whether [r->addr, r->addr + r->len) lies inside @bo. */
static bool vgpu_bo_covers(const struct vgpu_bo *bo, const struct vgpu_range *r)
{
	u64 start = bo->node.start, size = bo->base.size;

	return r->addr >= start && r->addr - start <= size &&
	       r->len <= size - (r->addr - start);
}

/* Whether [r->addr, r->addr + r->len) lies inside one of the job's BOs. */
static bool vgpu_job_covers(const struct vgpu_job *job,
			    const struct vgpu_range *r)
{
	u32 i;

	for (i = 0; i < job->nbos; i++) {
		const struct vgpu_bo *bo = vgpu_bo_of(job->bos[i]);

		if (bo && vgpu_bo_covers(bo, r))
			return true;
	}
	return false;
}

/*
 * Whether a PEER_COPY writes inside a peer BO of the job whose device is,
 * by its registers now, the member of @group (this vGPU's group, read once
 * per job) with the command's peer id.
 */
static bool vgpu_job_covers_peer(u32 group, const struct vgpu_job *job,
				 const struct vgpu_cmd *c)
{
	struct vgpu_range r = { c->u.peer.dst, c->u.peer.len };
	u32 mask, pgroup, pid;
	u32 i;

	if (!group)
		return false;
	for (i = 0; i < job->nbos; i++) {
		struct vgpu_peer_bo *pbo = vgpu_peer_bo_of(job->bos[i]);

		if (!pbo || !vgpu_bo_covers(pbo->bo, &r) ||
		    vgpu_gdev_peer(to_vgpu_gdev(pbo->bo->base.dev), &pgroup,
				   &pid, &mask))
			continue;
		if (pgroup == group && pid == c->u.peer.peer)
			return true;
	}
	return false;
}

/* Checks every command of @job; -EINVAL with one log line if one is bad. */
static int vgpu_job_check(struct vgpu_gdev *gdev, const struct vgpu_job *job)
{
	struct vgpu_range r[VGPU_CMD_MAX_RANGES];
	u32 group = 0, id, mask;
	bool group_read = false;
	unsigned int i, n, k;
	u64 bad;
	int err;

	for (i = 0; i < job->ncmds; i++) {
		const struct vgpu_cmd *c = &job->cmds[i];

		if (c->flags) {
			drm_dbg_driver(&gdev->drm,
				       "job refused: command %u has flags %#x\n",
				       i, c->flags);
			return -EINVAL;
		}
		if (c->opcode < 32 && !(gdev->caps & BIT(c->opcode))) {
			drm_dbg_driver(&gdev->drm,
				       "job refused: command %u: opcode %u not in the device's CAPS\n",
				       i, c->opcode);
			return -EINVAL;
		}
		err = vgpu_cmd_validate(c, gdev->window_size, &bad);
		if (err) {
			drm_dbg_driver(&gdev->drm,
				       "job refused: command %u: device error %d (address %#llx)\n",
				       i, err, bad);
			return -EINVAL;
		}
		n = vgpu_cmd_ranges(c, r);
		for (k = 0; k < n; k++) {
			if (!vgpu_job_covers(job, &r[k])) {
				drm_dbg_driver(&gdev->drm,
					       "job refused: command %u: %#llx+%llu outside its BOs\n",
					       i, r[k].addr, r[k].len);
				return -EINVAL;
			}
		}
		if (c->opcode != VGPU_OP_PEER_COPY)
			continue;
		if (!group_read && vgpu_gdev_peer(gdev, &group, &id, &mask))
			group = 0;
		group_read = true;
		if (!vgpu_job_covers_peer(group, job, c)) {
			drm_dbg_driver(&gdev->drm,
				       "job refused: command %u: no peer BO of peer %u holds %#llx+%llu\n",
				       i, c->u.peer.peer, c->u.peer.dst,
				       c->u.peer.len);
			return -EINVAL;
		}
	}
	return 0;
}

/* Copies the commands and looks the BOs up. */
static int vgpu_job_fill(struct vgpu_job *job, struct drm_file *file,
			 const struct drm_vgpu_submit *args)
{
	u32 *handles;
	u32 i;
	int ret = 0;

	job->cmds = kvmalloc_array(args->cmd_count, sizeof(*job->cmds),
				   GFP_KERNEL);
	job->bos = kcalloc(args->bo_count, sizeof(*job->bos), GFP_KERNEL);
	handles = kcalloc(args->bo_count, sizeof(*handles), GFP_KERNEL);
	if (!job->cmds || !job->bos || !handles) {
		ret = -ENOMEM;
		goto out;
	}
	job->ncmds = args->cmd_count;
	if (copy_from_user(job->cmds, u64_to_user_ptr(args->cmds),
			   array_size(args->cmd_count, sizeof(*job->cmds))) ||
	    copy_from_user(handles, u64_to_user_ptr(args->bo_handles),
			   array_size(args->bo_count, sizeof(*handles)))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < args->bo_count; i++) {
		struct drm_gem_object *obj = vgpu_job_bo_lookup(file, handles[i]);

		if (!obj) {
			ret = -ENOENT;
			goto out;
		}
		job->bos[job->nbos++] = obj;
	}
out:
	kfree(handles);
	return ret;
}

/* Gives @job its fence and id, and queues it. */
static int vgpu_job_queue(struct vgpu_gdev *gdev, struct vgpu_file *vf,
			  struct vgpu_job *job, u32 *id)
{
	int ret;

	mutex_lock(&gdev->ring_lock);
	if (gdev->dead) {
		ret = -ENODEV;
		goto out;
	}
	dma_fence_init(&job->base, &vgpu_fence_ops, &gdev->fence_lock,
		       gdev->fence_ctx, gdev->next_seqno++);
	/* One reference for the driver's lists, one for the file's table. */
	dma_fence_get(&job->base);
	ret = xa_alloc(&vf->jobs, id, job, xa_limit_32b, GFP_KERNEL);
	if (ret) {
		/* Never queued: nobody can have seen the fence. */
		dma_fence_put(&job->base);
		goto out;
	}
	job->inject = atomic_dec_if_positive(&gdev->inject_fault) >= 0;
	job->submit_ns = ktime_get_ns();
	list_add_tail(&job->link, &gdev->queued);
	vgpu_ring_pump(gdev);
out:
	mutex_unlock(&gdev->ring_lock);
	return ret;
}

/**
 * vgpu_ioctl_submit() - DRM_IOCTL_VGPU_SUBMIT
 * @drm: the device
 * @data: struct drm_vgpu_submit
 * @file: the caller
 *
 * Return: 0 with the job id set; -EINVAL for a malformed job, -ENOENT for
 * an unknown BO handle, -EFAULT for a bad pointer, -EBUSY when the file has
 * DRM_VGPU_MAX_JOBS jobs not waited for, -ENODEV when the device is gone.
 */
int vgpu_ioctl_submit(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct vgpu_gdev *gdev = to_vgpu_gdev(drm);
	struct drm_vgpu_submit *args = data;
	struct vgpu_file *vf = file->driver_priv;
	struct vgpu_job *job;
	int idx, ret;

	if (args->flags || !args->cmd_count ||
	    args->cmd_count > DRM_VGPU_MAX_CMDS || !args->bo_count ||
	    args->bo_count > DRM_VGPU_MAX_BOS)
		return -EINVAL;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	if (atomic_inc_return(&vf->njobs) > DRM_VGPU_MAX_JOBS) {
		ret = -EBUSY;
		goto out_count;
	}
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		ret = -ENOMEM;
		goto out_count;
	}
	job->gdev = gdev;
	INIT_LIST_HEAD(&job->link);
	ret = vgpu_job_fill(job, file, args);
	if (!ret)
		ret = vgpu_job_check(gdev, job);
	if (!ret)
		ret = vgpu_job_queue(gdev, vf, job, &args->job_id);
	if (ret) {
		vgpu_job_drop_refs(job);
		/* A fence that was never initialised is freed directly. */
		if (job->base.ops)
			dma_fence_put(&job->base);
		else
			kfree(job);
		goto out_count;
	}
	drm_dev_exit(idx);
	return 0;

out_count:
	atomic_dec(&vf->njobs);
	drm_dev_exit(idx);
	return ret;
}

/* Converts a WAIT timeout to jiffies: at least one unless it is zero. */
static long vgpu_timeout_jiffies(s64 ns)
{
	u64 j = nsecs_to_jiffies(ns);

	if (j >= MAX_SCHEDULE_TIMEOUT)
		return MAX_SCHEDULE_TIMEOUT - 1;
	return max_t(long, j, 1);
}

/**
 * vgpu_ioctl_wait() - DRM_IOCTL_VGPU_WAIT
 * @drm: the device
 * @data: struct drm_vgpu_wait
 * @file: the caller
 *
 * Return: 0 when the job finished (its outcome is in @data and the id is
 * forgotten), -ETIMEDOUT if it did not finish in time, -ENOENT for an
 * unknown id, -EINVAL for a negative timeout or non-zero padding,
 * -ERESTARTSYS when interrupted.
 */
int vgpu_ioctl_wait(struct drm_device *drm, void *data,
		    struct drm_file *file)
{
	struct drm_vgpu_wait *args = data;
	struct vgpu_file *vf = file->driver_priv;
	struct vgpu_job *job;
	long ret = 0;

	if (args->pad || args->pad2 || args->timeout_ns < 0)
		return -EINVAL;
	xa_lock(&vf->jobs);
	job = xa_load(&vf->jobs, args->job_id);
	if (job)
		dma_fence_get(&job->base);
	xa_unlock(&vf->jobs);
	if (!job)
		return -ENOENT;

	if (!dma_fence_is_signaled(&job->base)) {
		if (!args->timeout_ns) {
			ret = -ETIMEDOUT;
		} else {
			ret = dma_fence_wait_timeout(&job->base, true,
						     vgpu_timeout_jiffies(args->timeout_ns));
			if (ret == 0)
				ret = -ETIMEDOUT;
			else if (ret > 0)
				ret = 0;
		}
	}
	if (!ret) {
		/* The outcome was written before the fence was signalled. */
		smp_rmb();
		args->status = job->base.error;
		args->device_error = job->device_error;
		args->error_cmd = job->error_cmd;
		args->error_addr = job->error_addr;
		args->duration_ns = job->done_ns - job->submit_ns;
		if (xa_cmpxchg(&vf->jobs, args->job_id, job, NULL, 0) == job) {
			atomic_dec(&vf->njobs);
			dma_fence_put(&job->base);
		} else {
			/* Another thread reaped it first. */
			ret = -ENOENT;
		}
	}
	dma_fence_put(&job->base);
	return ret;
}

/**
 * vgpu_file_jobs_release() - forget every job of a closing file
 * @vf: the file's state
 *
 * Jobs still running keep running; only the file's references go.
 */
void vgpu_file_jobs_release(struct vgpu_file *vf)
{
	struct vgpu_job *job;
	unsigned long id;

	xa_for_each(&vf->jobs, id, job) {
		xa_erase(&vf->jobs, id);
		dma_fence_put(&job->base);
	}
}
