// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu control: the transitions of a vGPU's control state.
 */

/**
 * DOC: control transitions
 *
 * Everything that stops a vGPU from running (an operator's pause, a reset,
 * a close, the final release) takes a hold (enum vgpu_hold, lib/vgpu_state.c
 * names the states); the vGPU is scheduled only while it has none. Taking a
 * hold waits until no engine runs the vGPU (bounded: vgpu_sched_hold());
 * dropping the last one lets it run again and wakes an engine if it has
 * work. &vgpu.ctl_lock serialises the transitions, so a reset that ends
 * while the operator holds the vGPU paused leaves it paused. A held vGPU
 * takes no peer copies into its window either (vgpu_peer.c).
 */
#include "core/vgpu_core.h"

/**
 * vgpu_control_hold() - keep a vGPU off the engines for a reason
 * @vgpu: the vGPU; the caller holds neither &vgpu.ctl_lock nor any lock
 *	  of the device
 * @why: one enum vgpu_hold bit
 *
 * Returns once no engine runs the vGPU.
 */
void vgpu_control_hold(struct vgpu *vgpu, u32 why)
{
	mutex_lock(&vgpu->ctl_lock);
	vgpu->ctl_holds |= why;
	vgpu_sched_hold(vgpu, vgpu->ctl_holds);
	vgpu_peer_hold(vgpu, true);
	mutex_unlock(&vgpu->ctl_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_control_hold);

/**
 * vgpu_control_release() - drop a hold taken by vgpu_control_hold()
 * @vgpu: the vGPU; the caller holds neither &vgpu.ctl_lock nor any lock
 *	  of the device
 * @why: the enum vgpu_hold bit to drop
 *
 * With no hold left the vGPU is scheduled again, from where it stopped.
 */
void vgpu_control_release(struct vgpu *vgpu, u32 why)
{
	bool run;

	mutex_lock(&vgpu->ctl_lock);
	vgpu->ctl_holds &= ~why;
	vgpu_sched_hold(vgpu, vgpu->ctl_holds);
	vgpu_peer_hold(vgpu, vgpu->ctl_holds != 0);
	if (!vgpu->ctl_holds) {
		run = vgpu->dev->ops->fn_has_work(vgpu->dev, vgpu->fn);
		if (run)
			vgpu_sched_kick(vgpu);
	}
	mutex_unlock(&vgpu->ctl_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_control_release);

/**
 * vgpu_control_state() - a vGPU's control state now
 * @vgpu: the vGPU
 *
 * Return: enum vgpu_state.
 */
enum vgpu_state vgpu_control_state(struct vgpu *vgpu)
{
	struct vgpu_device *dev = vgpu->dev;
	enum vgpu_state s;

	mutex_lock(&vgpu->ctl_lock);
	s = vgpu_state_of(vgpu->ctl_holds, dev->ops->fn_faulted(dev, vgpu->fn));
	mutex_unlock(&vgpu->ctl_lock);
	return s;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_control_state);
