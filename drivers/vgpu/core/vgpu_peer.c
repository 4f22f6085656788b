// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu peer groups: which vGPUs of a device may copy into each other's
 * windows.
 */

/**
 * DOC: peer groups
 *
 * An operator joins vGPUs of one device into a numbered peer group (sysfs
 * ``peer_group``, 1 to VGPU_PEER_GROUP_MAX), normally the vGPUs of one VM.
 * A member gets the lowest peer id free in its group (0 to
 * VGPU_MAX_PEERS - 1), which its guest reads in VGPU_REG_PEER_ID, and copies
 * from its own window into the window of any member with PEER_COPY, naming
 * it by that id. A vGPU outside the group has no id there: no command can
 * name it.
 *
 * &vgpu_device.peer_sem guards the membership. A PEER_COPY work unit holds
 * it for reading while it looks its peer up and writes into the peer's
 * window (vgpu_peer_get() .. vgpu_peer_put()). Leaving a group takes it for
 * writing, so it waits for the units writing into the leaver, and no unit
 * reaches the leaver afterwards; a vGPU being removed leaves before its
 * window is taken back (vgpu_resources_put()). A vGPU that is held (paused,
 * resetting, being removed, stopped for migration; vgpu_control.c) takes no
 * peer writes either: vgpu_peer_hold() marks it under the semaphore, and a
 * unit aimed at it stalls and is tried again later, as one whose guest
 * memory does not answer (past the job timeout the sender faults). So a
 * window being saved, scrubbed or handed back never changes under the one
 * doing it.
 *
 * Lock order: &vgpu.ctl_lock, then &vgpu_device.peer_sem. Nothing is taken
 * under the semaphore but the leaf locks of the peer's window.
 */
#include "core/vgpu_core.h"

/* The xarray index of peer @id of group @group (both in range). */
static unsigned long vgpu_peer_key(u32 group, u32 id)
{
	return (unsigned long)group * VGPU_MAX_PEERS + id;
}

/* Take @vgpu out of its group; peer_sem held for writing. */
static void vgpu_peer_remove(struct vgpu *vgpu)
{
	struct vgpu_device *dev = vgpu->dev;

	lockdep_assert_held_write(&dev->peer_sem);
	if (!vgpu->peer_group)
		return;
	xa_erase(&dev->peers, vgpu_peer_key(vgpu->peer_group, vgpu->peer_id));
	dev_info(vgpu->log, "left peer group %u (peer id %u)\n",
		 vgpu->peer_group, vgpu->peer_id);
	WRITE_ONCE(vgpu->peer_group, 0);
	WRITE_ONCE(vgpu->peer_id, 0);
}

/**
 * vgpu_peer_join() - make a vGPU a member of a peer group, or of none
 * @vgpu: the vGPU
 * @group: 1 to VGPU_PEER_GROUP_MAX, or 0 to leave its group
 *
 * A vGPU is in at most one group: joining another leaves the first. Waits
 * for the peer copies writing into @vgpu to finish.
 *
 * Return: 0; -ERANGE for a group number out of range, -EOPNOTSUPP if the
 * device does not execute peer copies, -ENOSPC if the group has
 * VGPU_MAX_PEERS members, -ENOMEM. On error nothing changed.
 */
int vgpu_peer_join(struct vgpu *vgpu, u32 group)
{
	struct vgpu_device *dev = vgpu->dev;
	u32 id;
	int ret;

	if (group > VGPU_PEER_GROUP_MAX) {
		dev_err(vgpu->log, "peer_group: %u is out of range (0 to %u)\n",
			group, VGPU_PEER_GROUP_MAX);
		return -ERANGE;
	}
	if (group && !dev->ops->peer_copies) {
		dev_err(vgpu->log,
			"peer_group: the %s device does not execute peer copies\n",
			dev->ops->name);
		return -EOPNOTSUPP;
	}
	down_write(&dev->peer_sem);
	if (group == vgpu->peer_group) {
		ret = 0;
		goto out;
	}
	if (!group) {
		vgpu_peer_remove(vgpu);
		ret = 0;
		goto out;
	}
	for (id = 0; id < VGPU_MAX_PEERS; id++)
		if (!xa_load(&dev->peers, vgpu_peer_key(group, id)))
			break;
	if (id == VGPU_MAX_PEERS) {
		dev_err(vgpu->log, "peer_group: group %u already has %u members\n",
			group, VGPU_MAX_PEERS);
		ret = -ENOSPC;
		goto out;
	}
	ret = vgpu_call(xa_insert(&dev->peers, vgpu_peer_key(group, id), vgpu,
				  GFP_KERNEL));
	if (ret)
		goto out;
	vgpu_peer_remove(vgpu);
	WRITE_ONCE(vgpu->peer_group, group);
	WRITE_ONCE(vgpu->peer_id, id);
	dev_info(vgpu->log, "joined peer group %u as peer id %u\n", group, id);
out:
	up_write(&dev->peer_sem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_peer_join);

/**
 * vgpu_peer_hold() - stop or allow peer copies into a vGPU's window
 * @vgpu: the vGPU; the caller holds &vgpu.ctl_lock
 * @held: whether the vGPU is held off the engines (vgpu_control.c)
 *
 * Returns once no peer copy writes into @vgpu's window, if @held.
 */
void vgpu_peer_hold(struct vgpu *vgpu, bool held)
{
	struct vgpu_device *dev = vgpu->dev;

	lockdep_assert_held(&vgpu->ctl_lock);
	if (vgpu->peer_held == held)
		return;
	down_write(&dev->peer_sem);
	vgpu->peer_held = held;
	up_write(&dev->peer_sem);
}

/**
 * vgpu_peer_get() - find a vGPU's peer and keep it in its group
 * @vgpu: the vGPU copying
 * @peer: the peer id it named
 * @err: set to -ENXIO if @vgpu has no such peer, -EAGAIN if the peer is
 *	 held and takes no writes now
 *
 * Takes &vgpu_device.peer_sem for reading whatever the result; the caller
 * writes into the peer's window, then calls vgpu_peer_put().
 *
 * Return: the peer, or NULL with *@err set.
 */
struct vgpu *vgpu_peer_get(struct vgpu *vgpu, u32 peer, int *err)
{
	struct vgpu_device *dev = vgpu->dev;
	struct vgpu *p = NULL;

	down_read(&dev->peer_sem);
	*err = -ENXIO;
	if (vgpu->peer_group && peer < VGPU_MAX_PEERS)
		p = xa_load(&dev->peers, vgpu_peer_key(vgpu->peer_group, peer));
	if (p && p->peer_held) {
		*err = -EAGAIN;
		p = NULL;
	}
	return p;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_peer_get);

/**
 * vgpu_peer_put() - end what vgpu_peer_get() began
 * @vgpu: the vGPU that copied
 */
void vgpu_peer_put(struct vgpu *vgpu)
{
	up_read(&vgpu->dev->peer_sem);
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_peer_put);

/**
 * vgpu_peer_info() - a vGPU's peer group as its registers show it
 * @vgpu: the vGPU
 * @group: set to its group, 0 if none
 * @id: set to its peer id (0 if in no group)
 *
 * Lockless: a snapshot that a concurrent join or leave may change.
 *
 * Return: a mask with bit N set for each member with peer id N, itself
 * included; 0 if in no group.
 */
u32 vgpu_peer_info(struct vgpu *vgpu, u32 *group, u32 *id)
{
	u32 g = READ_ONCE(vgpu->peer_group), mask = 0, n;

	*group = g;
	*id = g ? READ_ONCE(vgpu->peer_id) : 0;
	if (!g)
		return 0;
	for (n = 0; n < VGPU_MAX_PEERS; n++)
		if (xa_load(&vgpu->dev->peers, vgpu_peer_key(g, n)))
			mask |= 1u << n;
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(vgpu_peer_info);
