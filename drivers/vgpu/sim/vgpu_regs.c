// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu BAR0 register file emulation.
 */

/**
 * DOC: register file
 *
 * BAR0 is trapped: every access reaches vgpu_regs_read() or
 * vgpu_regs_write() through the VFIO device's read/write path, at any width
 * from 1 to 8 bytes. 64-bit registers are two little-endian dwords; an
 * 8-byte read sees both halves at one instant. Unknown offsets read 0 and
 * ignore writes; so do all accesses while the command register's memory bit
 * is clear (reads then return all ones, as a master abort would).
 *
 * The ring is programmed while disabled (writes to RING_BASE and RING_SIZE
 * are ignored while it is enabled). Enabling checks the ring lies in the
 * window; enabling also sets head and tail to 0. A doorbell write sets the
 * tail; a tail >= RING_SIZE is a ring fault. Any fault sets ERR_*, halts
 * the ring and raises VGPU_IRQ_ERROR; only a reset (RESET register, FLR or
 * VFIO_DEVICE_RESET) clears it.
 */
#include <linux/ktime.h>

#include "sim/vgpu_sim.h"

/**
 * vgpu_now_ns() - the vGPU's device clock
 * @sf: the vGPU
 *
 * Return: nanoseconds since the vGPU was created or last reset.
 */
u64 vgpu_now_ns(struct vgpu_sim_fn *sf)
{
	return ktime_get_ns() - sf->epoch_ns;
}

/**
 * vgpu_regs_reset() - restore register defaults and drop pending work
 * @sf: the vGPU, with &vgpu_sim_fn.lock held and its engine detached
 */
void vgpu_regs_reset(struct vgpu_sim_fn *sf)
{
	lockdep_assert_held(&sf->lock);
	memset(&sf->regs, 0, sizeof(sf->regs));
	vgpu_exec_drop(sf);
	sf->epoch_ns = ktime_get_ns();
}

/**
 * vgpu_ring_runnable() - whether the engine has work to do for @vgpu
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 *
 * Return: true if the ring is enabled, not halted, not set aside for a DMA
 * retry, bus mastering is on and a command is in progress or waiting.
 */
bool vgpu_ring_runnable(struct vgpu_sim_fn *sf)
{
	const struct vgpu_regs *r = &sf->regs;

	lockdep_assert_held(&sf->lock);
	if (r->halted || sf->stall.waiting || !vgpu_master_enabled(sf))
		return false;
	/* A command in progress finishes even once the ring is disabled. */
	return sf->exec_active ||
	       ((r->ring_ctrl & VGPU_RING_ENABLE) && r->head != r->tail);
}

/**
 * vgpu_exec_drop() - abandon the command in progress, if any
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 *
 * An engine running a work unit of that command without the lock sees the
 * generation change and discards the unit's outcome.
 */
void vgpu_exec_drop(struct vgpu_sim_fn *sf)
{
	lockdep_assert_held(&sf->lock);
	sf->exec_active = false;
	sf->exec_gen++;
	vgpu_stall_clear(sf);
}

/**
 * vgpu_stall_clear() - forget a DMA stall once the command moves on
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 *
 * Called when a work unit completed and when the command in progress is
 * dropped; a retry already queued (vgpu_dma.c) finds nothing to wait for.
 */
void vgpu_stall_clear(struct vgpu_sim_fn *sf)
{
	lockdep_assert_held(&sf->lock);
	sf->stall.since_ns = 0;
	sf->stall.waiting = false;
}

/**
 * vgpu_raise_irq() - latch interrupt sources and queue unmasked ones
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 * @bits: VGPU_IRQ_* sources
 *
 * The eventfds are signalled by vgpu_irq_flush() once the caller has
 * dropped &vgpu_sim_fn.lock, so that waking the VFIO user costs neither lock
 * hold time nor the vGPU's run time.
 */
void vgpu_raise_irq(struct vgpu_sim_fn *sf, u32 bits)
{
	lockdep_assert_held(&sf->lock);
	sf->regs.irq_status |= bits;
	sf->irq_pending |= bits & ~sf->regs.irq_mask;
}

/**
 * vgpu_irq_take() - the interrupts queued by vgpu_raise_irq()
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 *
 * Return: VGPU_IRQ_* bits to pass to vgpu_irq_flush() after unlocking.
 */
u32 vgpu_irq_take(struct vgpu_sim_fn *sf)
{
	u32 bits = sf->irq_pending;

	lockdep_assert_held(&sf->lock);
	sf->irq_pending = 0;
	return bits;
}

/**
 * vgpu_irq_flush() - signal the MSI-X vectors of queued interrupts
 * @sf: the vGPU; &vgpu_sim_fn.lock must not be held
 * @bits: from vgpu_irq_take()
 */
void vgpu_irq_flush(struct vgpu_sim_fn *sf, u32 bits)
{
	if (!sf->host)
		return;
	if (bits & VGPU_IRQ_COMPLETION)
		sf->host->signal(sf->host_data, VGPU_MSIX_COMPLETION);
	if (bits & VGPU_IRQ_ERROR)
		sf->host->signal(sf->host_data, VGPU_MSIX_ERROR);
}

/**
 * vgpu_halt() - stop a vGPU's ring on a fault
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 * @code: enum vgpu_error
 * @addr: offending address, or 0
 *
 * Sets the error registers, drops the command in progress, halts the ring
 * until a reset and raises the error interrupt.
 */
void vgpu_halt(struct vgpu_sim_fn *sf, u32 code, u64 addr)
{
	struct vgpu_regs *r = &sf->regs;

	lockdep_assert_held(&sf->lock);
	r->err_code = code;
	r->err_index = r->head;
	r->err_addr = addr;
	r->halted = true;
	vgpu_exec_drop(sf);
	sf->stats.errors++;
	vgpu_raise_irq(sf, VGPU_IRQ_ERROR);
}

static u32 vgpu_reg32(struct vgpu_sim_fn *sf, u32 off, u64 now)
{
	const struct vgpu_regs *r = &sf->regs;
	u32 status, group, id, mask;

	lockdep_assert_held(&sf->lock);
	switch (off) {
	case VGPU_REG_ID:
		return VGPU_ID_MAGIC;
	case VGPU_REG_VERSION:
		return VGPU_VERSION_MAJOR << 16 | VGPU_VERSION_MINOR;
	case VGPU_REG_CAPS:
		return vgpu_caps();
	case VGPU_REG_ENGINES:
		return vgpu_profile_of(sf->vgpu)->engines;
	case VGPU_REG_WINDOW_SIZE:
		return (u32)sf->vgpu->mem_size;
	case VGPU_REG_WINDOW_SIZE + 4:
		return sf->vgpu->mem_size >> 32;
	case VGPU_REG_UNIT_BYTES:
		return VGPU_UNIT_BYTES;
	case VGPU_REG_UNIT_TILE:
		return VGPU_GEMM_TILE;
	case VGPU_REG_RING_BASE:
		return (u32)r->ring_base;
	case VGPU_REG_RING_BASE + 4:
		return r->ring_base >> 32;
	case VGPU_REG_RING_SIZE:
		return r->ring_size;
	case VGPU_REG_RING_CTRL:
		return r->ring_ctrl;
	case VGPU_REG_RING_HEAD:
		return r->head;
	case VGPU_REG_RING_TAIL:
		return r->tail;
	case VGPU_REG_FENCE:
		return (u32)r->fence;
	case VGPU_REG_FENCE + 4:
		return r->fence >> 32;
	case VGPU_REG_IRQ_STATUS:
		return r->irq_status;
	case VGPU_REG_IRQ_MASK:
		return r->irq_mask;
	case VGPU_REG_ERR_CODE:
		return r->err_code;
	case VGPU_REG_ERR_INDEX:
		return r->err_index;
	case VGPU_REG_ERR_ADDR:
		return (u32)r->err_addr;
	case VGPU_REG_ERR_ADDR + 4:
		return r->err_addr >> 32;
	case VGPU_REG_STATUS:
		status = r->halted ? VGPU_STATUS_HALTED : 0;
		if ((r->ring_ctrl & VGPU_RING_ENABLE) && !r->halted)
			status |= VGPU_STATUS_RUNNING;
		if (!sf->exec_active && r->head == r->tail)
			status |= VGPU_STATUS_IDLE;
		return status;
	case VGPU_REG_TIMESTAMP:
		return (u32)now;
	case VGPU_REG_TIMESTAMP + 4:
		return now >> 32;
	case VGPU_REG_COMPLETED:
		return (u32)r->completed;
	case VGPU_REG_COMPLETED + 4:
		return r->completed >> 32;
	case VGPU_REG_PEER_GROUP:
	case VGPU_REG_PEER_ID:
	case VGPU_REG_PEER_MASK:
		mask = vgpu_peer_info(sf->vgpu, &group, &id);
		return off == VGPU_REG_PEER_GROUP ? group :
		       off == VGPU_REG_PEER_ID ? id : mask;
	}
	return 0;
}

/**
 * vgpu_regs_read() - a BAR0 read
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 * @off: offset in BAR0
 * @size: 1, 2, 4 or 8
 *
 * Return: the value, zero-extended.
 */
u64 vgpu_regs_read(struct vgpu_sim_fn *sf, u32 off, u32 size)
{
	u64 now = vgpu_now_ns(sf), val = 0;
	u32 i;

	lockdep_assert_held(&sf->lock);
	if (!vgpu_mem_enabled(sf))
		return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	for (i = 0; i < size; i++) {
		u32 o = off + i;
		u32 dw = vgpu_reg32(sf, o & ~3u, now);

		val |= (u64)((dw >> ((o & 3) * 8)) & 0xff) << (8 * i);
	}
	return val;
}

static bool vgpu_ring_fits(struct vgpu_sim_fn *sf)
{
	const struct vgpu_regs *r = &sf->regs;
	u64 bytes = (u64)r->ring_size * sizeof(struct vgpu_cmd);

	lockdep_assert_held(&sf->lock);
	return r->ring_size >= VGPU_RING_MIN_ENTRIES &&
	       r->ring_size <= VGPU_RING_MAX_ENTRIES &&
	       is_power_of_2(r->ring_size) &&
	       IS_ALIGNED(r->ring_base, VGPU_RING_ALIGN) &&
	       r->ring_base <= sf->vgpu->mem_size &&
	       bytes <= sf->vgpu->mem_size - r->ring_base;
}

/*
 * An engine reset: the command in progress and every pending entry are
 * dropped, the ring is disabled with head = tail = 0 and the error state is
 * cleared. The window, the fence value, the interrupt mask and the counters
 * are kept, so a guest driver recovers from a fault without losing memory.
 */
static void vgpu_ring_reset(struct vgpu_sim_fn *sf)
{
	struct vgpu_regs *r = &sf->regs;

	lockdep_assert_held(&sf->lock);
	vgpu_exec_drop(sf);
	r->ring_ctrl = 0;
	r->head = 0;
	r->tail = 0;
	r->halted = false;
	r->err_code = VGPU_ERR_NONE;
	r->err_index = 0;
	r->err_addr = 0;
	sf->stats.resets++;
}

static void vgpu_write_ring_ctrl(struct vgpu_sim_fn *sf, u32 val)
{
	struct vgpu_regs *r = &sf->regs;
	bool was = r->ring_ctrl & VGPU_RING_ENABLE;

	lockdep_assert_held(&sf->lock);
	if (!(val & VGPU_RING_ENABLE)) {
		/* Disabling lets the command in progress finish. */
		r->ring_ctrl = 0;
		return;
	}
	if (was)
		return;
	if (!vgpu_ring_fits(sf)) {
		vgpu_halt(sf, VGPU_ERR_RING, r->ring_base);
		return;
	}
	/* A command still finishing from before the disable is dropped. */
	vgpu_exec_drop(sf);
	r->ring_ctrl = VGPU_RING_ENABLE;
	r->head = 0;
	r->tail = 0;
}

static void vgpu_write_doorbell(struct vgpu_sim_fn *sf, u32 val)
{
	struct vgpu_regs *r = &sf->regs;

	lockdep_assert_held(&sf->lock);
	if (!(r->ring_ctrl & VGPU_RING_ENABLE) || r->halted)
		return;
	if (val >= r->ring_size) {
		vgpu_halt(sf, VGPU_ERR_RING, val);
		return;
	}
	r->tail = val;
	if (vgpu_ring_runnable(sf))
		vgpu_sched_kick(sf->vgpu);
}

/* Returns true if the write asks for a function reset. */
static bool vgpu_reg32_write(struct vgpu_sim_fn *sf, u32 off, u32 val)
{
	struct vgpu_regs *r = &sf->regs;
	bool enabled = r->ring_ctrl & VGPU_RING_ENABLE;
	u32 pending;

	lockdep_assert_held(&sf->lock);
	switch (off) {
	case VGPU_REG_RING_BASE:
		if (!enabled)
			r->ring_base = (r->ring_base & ~0xffffffffULL) | val;
		break;
	case VGPU_REG_RING_BASE + 4:
		if (!enabled)
			r->ring_base = (r->ring_base & 0xffffffffULL) |
				       (u64)val << 32;
		break;
	case VGPU_REG_RING_SIZE:
		if (!enabled)
			r->ring_size = val;
		break;
	case VGPU_REG_RING_CTRL:
		vgpu_write_ring_ctrl(sf, val);
		break;
	case VGPU_REG_DOORBELL:
		vgpu_write_doorbell(sf, val);
		break;
	case VGPU_REG_IRQ_STATUS:
		r->irq_status &= ~val;
		break;
	case VGPU_REG_IRQ_MASK:
		pending = r->irq_status & r->irq_mask & ~val;
		r->irq_mask = val & (VGPU_IRQ_COMPLETION | VGPU_IRQ_ERROR);
		/* Unmasking a latched source delivers it. */
		if (pending)
			vgpu_raise_irq(sf, pending);
		break;
	case VGPU_REG_RESET:
		if (val == VGPU_RESET_RING_MAGIC)
			vgpu_ring_reset(sf);
		return val == VGPU_RESET_MAGIC;
	}
	return false;
}

/**
 * vgpu_regs_write() - a BAR0 write
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 * @off: offset in BAR0
 * @size: 1, 2, 4 or 8
 * @val: the value
 *
 * A write narrower than a register is merged into the register's current
 * value; an 8-byte write at a 4-aligned offset writes two registers.
 *
 * Return: true if the caller must reset the function after dropping
 * &vgpu_sim_fn.lock (the RESET register was written).
 */
bool vgpu_regs_write(struct vgpu_sim_fn *sf, u32 off, u32 size, u64 val)
{
	u64 now = vgpu_now_ns(sf);
	bool reset = false;
	u32 i;

	lockdep_assert_held(&sf->lock);
	if (!vgpu_mem_enabled(sf))
		return false;
	if (size == 8 && !(off & 3)) {
		reset = vgpu_reg32_write(sf, off, (u32)val);
		return vgpu_reg32_write(sf, off + 4, val >> 32) || reset;
	}
	for (i = 0; i < size;) {
		u32 o = off + i, base = o & ~3u, shift = (o & 3) * 8;
		u32 n = min(size - i, 4 - (o & 3));
		u32 mask = (n == 4 ? ~0u : ((1u << (n * 8)) - 1)) << shift;
		u32 cur = vgpu_reg32(sf, base, now);
		u32 part = (u32)(val >> (8 * i)) << shift;

		/* W1C and the doorbell take only the bytes written. */
		if (base == VGPU_REG_IRQ_STATUS)
			cur = 0;
		reset |= vgpu_reg32_write(sf, base,
					  (cur & ~mask) | (part & mask));
		i += n;
	}
	return reset;
}
