// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PF driver: the device interface (struct vgpu_device_ops) of an SR-IOV
 * PF, carried out by PF register accesses.
 */

/**
 * DOC: world switch by PF registers
 *
 * The core's engine thread for engine E runs function F (VF number F) by
 * writing the slice to E's BUDGET_NS and F to E's RUN. The device executes
 * F's ring on E until the budget is spent, F has no work left or F is
 * preempted, and raises the engine interrupt; the thread sleeps until then,
 * charges F the RAN_NS the device reports and learns from WORK_LEFT whether
 * F stays runnable. fn_preempt writes F's PREEMPT, which the device keeps
 * when F is not running, so a hold never races an engine that is about to
 * start F. A device that does not end a run in time is told to preempt; one
 * that still does not answer is reported and F is treated as idle, so an
 * engine thread never hangs on the device.
 *
 * Provisioning writes F's window and engine mask, has the device zero the
 * window (SCRUB) and sets PROVISIONED, which the device refuses if the
 * values are out of its range: the core's allocators never ask for that, so
 * a refusal is reported as -EIO.
 */
#include <linux/io-64-nonatomic-lo-hi.h>

#include "pf/vgpu_pf.h"

/* How long past its budget a run may take before the driver preempts it. */
#define VGPU_PF_RUN_GRACE_NS	(200 * NSEC_PER_MSEC)
/* How long a preempted run may take to end before the device is reported. */
#define VGPU_PF_PREEMPT_WAIT_MS	2000

static bool vgpu_pf_run_ended(void __iomem *eng)
{
	return !(readl(eng + VGPU_PF_ENG_STATUS) & VGPU_PF_ENG_STATUS_BUSY);
}

static bool vgpu_pf_run_wait(struct vgpu_pf *pf, void __iomem *eng,
			     unsigned long timeout)
{
	return wait_event_timeout(pf->run_wq, vgpu_pf_run_ended(eng),
				  timeout) > 0;
}

/* Tell the device the core's current watchdog limits, when they change. */
static void vgpu_pf_sync_timeouts(struct vgpu_pf *pf, struct vgpu_device *dev)
{
	u64 job = READ_ONCE(dev->job_timeout_ns);
	u64 unit = READ_ONCE(dev->preempt_timeout_ns);

	/* Engines may race here; they write the same values. */
	if (job != READ_ONCE(pf->job_timeout_ns)) {
		WRITE_ONCE(pf->job_timeout_ns, job);
		lo_hi_writeq(job, pf->regs + VGPU_PF_REG_JOB_TIMEOUT_NS);
	}
	if (unit != READ_ONCE(pf->unit_timeout_ns)) {
		WRITE_ONCE(pf->unit_timeout_ns, unit);
		lo_hi_writeq(unit, pf->regs + VGPU_PF_REG_UNIT_TIMEOUT_NS);
	}
}

static bool vgpu_pf_fn_run(struct vgpu_device *dev, u32 fn, u32 engine,
			   u64 budget_ns, u64 *ran_ns)
{
	struct vgpu_pf *pf = dev->priv;
	void __iomem *eng = pf->regs + VGPU_PF_ENG(engine);
	u32 status;

	vgpu_pf_sync_timeouts(pf, dev);
	lo_hi_writeq(budget_ns, eng + VGPU_PF_ENG_BUDGET_NS);
	writel(fn, eng + VGPU_PF_ENG_RUN);
	if (!vgpu_pf_run_wait(pf, eng,
			      nsecs_to_jiffies(budget_ns +
					       VGPU_PF_RUN_GRACE_NS) + 1)) {
		writel(1, eng + VGPU_PF_ENG_PREEMPT);
		if (!vgpu_pf_run_wait(pf, eng,
				      msecs_to_jiffies(VGPU_PF_PREEMPT_WAIT_MS))) {
			dev_err_ratelimited(&pf->pdev->dev,
					    "engine %u did not end its run of VF %u when preempted\n",
					    engine, fn);
			*ran_ns = budget_ns;
			return false;
		}
	}
	status = readl(eng + VGPU_PF_ENG_STATUS);
	*ran_ns = lo_hi_readq(eng + VGPU_PF_ENG_RAN_NS);
	if (status & VGPU_PF_ENG_STATUS_REFUSED) {
		dev_err_ratelimited(&pf->pdev->dev,
				    "engine %u refused to run VF %u\n",
				    engine, fn);
		return false;
	}
	return status & VGPU_PF_ENG_STATUS_WORK_LEFT;
}

static void vgpu_pf_fn_preempt(struct vgpu_device *dev, u32 fn)
{
	struct vgpu_pf *pf = dev->priv;

	writel(1, vgpu_pf_vf_regs(pf, fn) + VGPU_PF_VF_PREEMPT);
}

static u32 vgpu_pf_fn_status(struct vgpu_device *dev, u32 fn)
{
	struct vgpu_pf *pf = dev->priv;

	return readl(vgpu_pf_vf_regs(pf, fn) + VGPU_PF_VF_STATUS);
}

static bool vgpu_pf_fn_has_work(struct vgpu_device *dev, u32 fn)
{
	return vgpu_pf_fn_status(dev, fn) & VGPU_PF_VF_STATUS_HAS_WORK;
}

static bool vgpu_pf_fn_faulted(struct vgpu_device *dev, u32 fn)
{
	return vgpu_pf_fn_status(dev, fn) & VGPU_PF_VF_STATUS_HALTED;
}

static void vgpu_pf_fn_counters(struct vgpu_device *dev, u32 fn,
				struct vgpu_stats *c)
{
	void __iomem *vf = vgpu_pf_vf_regs(dev->priv, fn);

	c->commands = lo_hi_readq(vf + VGPU_PF_VF_COMMANDS);
	c->bytes = lo_hi_readq(vf + VGPU_PF_VF_BYTES);
	c->errors = lo_hi_readq(vf + VGPU_PF_VF_ERRORS);
	c->resets = lo_hi_readq(vf + VGPU_PF_VF_RESETS);
	c->dma_stalls = 0;
}

static void vgpu_pf_fn_scrub(struct vgpu_device *dev, u32 fn)
{
	writel(VGPU_PF_SCRUB_MAGIC,
	       vgpu_pf_vf_regs(dev->priv, fn) + VGPU_PF_VF_SCRUB);
}

static int vgpu_pf_fn_provision(struct vgpu_device *dev, u32 fn,
				const struct vgpu_fn_res *res)
{
	struct vgpu_pf *pf = dev->priv;
	void __iomem *vf = vgpu_pf_vf_regs(pf, fn);
	u32 last = res->engine_first + res->engine_count - 1;
	u32 mask = GENMASK(last, res->engine_first);

	writel(0, vf + VGPU_PF_VF_CTRL);
	lo_hi_writeq(res->mem_offset, vf + VGPU_PF_VF_WIN_BASE);
	lo_hi_writeq(res->mem_size, vf + VGPU_PF_VF_WIN_SIZE);
	writel(mask, vf + VGPU_PF_VF_ENGINES);
	writel(vgpu_fn(dev, fn)->profile, vf + VGPU_PF_VF_PROFILE);
	writel(VGPU_PF_SCRUB_MAGIC, vf + VGPU_PF_VF_SCRUB);
	writel(VGPU_PF_VF_CTRL_PROVISIONED, vf + VGPU_PF_VF_CTRL);
	if (!(readl(vf + VGPU_PF_VF_CTRL) & VGPU_PF_VF_CTRL_PROVISIONED)) {
		dev_err(&pf->pdev->dev,
			"VF %u: the device refused window %#llx+%#llx, engines %#x\n",
			fn, res->mem_offset, res->mem_size, mask);
		return -EIO;
	}
	return 0;
}

static void vgpu_pf_fn_unprovision(struct vgpu_device *dev, u32 fn)
{
	writel(0, vgpu_pf_vf_regs(dev->priv, fn) + VGPU_PF_VF_CTRL);
}

const struct vgpu_device_ops vgpu_pf_ops = {
	.name = "pf",
	.fn_provision = vgpu_pf_fn_provision,
	.fn_unprovision = vgpu_pf_fn_unprovision,
	.fn_scrub = vgpu_pf_fn_scrub,
	.fn_run = vgpu_pf_fn_run,
	.fn_preempt = vgpu_pf_fn_preempt,
	.fn_has_work = vgpu_pf_fn_has_work,
	.fn_faulted = vgpu_pf_fn_faulted,
	.fn_counters = vgpu_pf_fn_counters,
};
