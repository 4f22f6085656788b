// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu mdev frontend: function resets (FLR, VFIO_DEVICE_RESET, the RESET
 * register) and stopping a vGPU whose user goes away.
 */
#include "mdev/vgpu_mdev.h"
#include "sim/vgpu_sim.h"

/*
 * Stop the queue, drop all work and restore register defaults (and config
 * space if @cfg); a @reset also zeroes the window and is counted.
 */
static void vgpu_restart(struct vgpu_mdev *m, bool cfg, bool reset)
{
	struct vgpu_sim_fn *sf = m->sf;

	vgpu_control_hold(&m->vgpu, VGPU_HOLD_RESET);
	mutex_lock(&sf->lock);
	vgpu_regs_reset(sf);
	if (cfg)
		vgpu_cfg_init(sf);
	if (reset) {
		m->vgpu.dev->ops->fn_scrub(m->vgpu.dev, m->vgpu.fn);
		sf->stats.resets++;
	}
	mutex_unlock(&sf->lock);
	vgpu_control_release(&m->vgpu, VGPU_HOLD_RESET);
}

/**
 * vgpu_function_reset() - reset a vGPU as a function level reset does
 * @m: the vGPU; the caller holds none of its locks
 * @cfg: also return config space to its power-on state
 *
 * Stops the queue, drops pending work, zeroes the window and restores
 * register defaults.
 */
void vgpu_function_reset(struct vgpu_mdev *m, bool cfg)
{
	vgpu_restart(m, cfg, true);
}

/**
 * vgpu_function_stop() - stop a vGPU whose VFIO user goes away
 * @m: the vGPU; the caller holds none of its locks
 *
 * Stops the queue, drops pending work and restores register defaults and
 * config space; the window keeps its contents.
 */
void vgpu_function_stop(struct vgpu_mdev *m)
{
	vgpu_restart(m, true, false);
}
