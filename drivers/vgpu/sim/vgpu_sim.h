/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu sim device: what its files call of each other, and what its mdev
 * frontend calls. The core reaches it only through vgpu_sim_ops.
 */
#ifndef VGPU_SIM_H
#define VGPU_SIM_H

#include <linux/pci_regs.h>

#include "core/vgpu_core.h"

/* sim/vgpu_pci.c: config space */
void vgpu_cfg_init(struct vgpu *vgpu);
int vgpu_cfg_read(struct vgpu *vgpu, u32 off, u32 size, u32 *val);
int vgpu_cfg_write(struct vgpu *vgpu, u32 off, u32 size, u32 val,
		   bool *reset);

/**
 * vgpu_mem_enabled() - whether the command register enables BAR decoding
 * @vgpu: the vGPU, with &vgpu.lock held
 *
 * Return: true if PCI_COMMAND_MEMORY is set.
 */
static inline bool vgpu_mem_enabled(struct vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	return vgpu->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY;
}

/**
 * vgpu_master_enabled() - whether the vGPU may execute and do DMA
 * @vgpu: the vGPU, with &vgpu.lock held
 *
 * Return: true if PCI_COMMAND_MASTER is set.
 */
static inline bool vgpu_master_enabled(struct vgpu *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	return vgpu->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

/* sim/vgpu_regs.c: BAR0 */
u64 vgpu_regs_read(struct vgpu *vgpu, u32 off, u32 size);
bool vgpu_regs_write(struct vgpu *vgpu, u32 off, u32 size, u64 val);
void vgpu_regs_reset(struct vgpu *vgpu);
void vgpu_raise_irq(struct vgpu *vgpu, u32 bits);
u32 vgpu_irq_take(struct vgpu *vgpu);
void vgpu_irq_flush(struct vgpu *vgpu, u32 bits);
void vgpu_exec_drop(struct vgpu *vgpu);
void vgpu_stall_clear(struct vgpu *vgpu);
void vgpu_halt(struct vgpu *vgpu, u32 code, u64 addr);
u64 vgpu_now_ns(struct vgpu *vgpu);
bool vgpu_ring_runnable(struct vgpu *vgpu);

/* sim/vgpu_dma.c: guest memory, bounded in time */
void vgpu_dma_init(struct vgpu *vgpu);
void vgpu_dma_fini(struct vgpu *vgpu);
void vgpu_dma_abort(struct vgpu *vgpu);
int vgpu_dma_rw(struct vgpu *vgpu, u64 iova, void *buf, size_t len,
		bool write);
void vgpu_dma_stalled(struct vgpu *vgpu, u64 addr);

/* sim/vgpu_engine.c: the sim device's command engines */
bool vgpu_sim_run(struct vgpu_device *dev, u32 fn, u32 engine, u64 budget_ns,
		  u64 *ran_ns);
void vgpu_sim_preempt(struct vgpu_device *dev, u32 fn);
bool vgpu_sim_has_work(struct vgpu_device *dev, u32 fn);

#endif /* VGPU_SIM_H */
