// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PCI config space emulation.
 */

/**
 * DOC: config space
 *
 * Each vGPU is a PCIe endpoint (type 0 header) of class "processing
 * accelerator", with three capabilities::
 *
 *   0x00  header: IDs from uapi/linux/vgpu.h, subsystem ID names the profile
 *   0x10  BAR0  32-bit memory, 4 KiB register file (trapped)
 *   0x18  BAR2  64-bit prefetchable memory, the window (mmap'able), BAR3 high
 *   0x40  PCI Express capability v2, endpoint, FLR supported
 *   0x80  MSI-X, 2 vectors (completion, error), table and PBA in BAR0
 *
 * BARs size themselves the way the PCI spec says: the address bits below the
 * BAR's size read back as zero, so writing all ones and reading back gives
 * the size. The command register's memory bit gates BAR0 accesses and its
 * bus-master bit gates command execution. Setting "initiate function level
 * reset" in the PCIe device control register resets the vGPU. No INTx pin
 * is wired. Everything else is read-only; the extended space past 0x100 is
 * empty.
 */
#include <linux/pci_regs.h>

#include "sim/vgpu_sim.h"

#define VGPU_CAP_EXP		0x40
#define VGPU_CAP_MSIX		0x80

#define VGPU_CMD_WRITABLE	(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
				 PCI_COMMAND_INTX_DISABLE)
#define VGPU_DEVCTL_WRITABLE	0x7fffu /* all but BCR_FLR */

static void vgpu_cfg_put(struct vgpu_sim_fn *sf, u32 off, u32 size, u32 val)
{
	u32 i;

	for (i = 0; i < size; i++)
		sf->cfg[off + i] = val >> (8 * i);
}

static u32 vgpu_cfg_get(struct vgpu_sim_fn *sf, u32 off, u32 size)
{
	u32 i, val = 0;

	for (i = 0; i < size; i++)
		val |= (u32)sf->cfg[off + i] << (8 * i);
	return val;
}

/**
 * vgpu_cfg_init() - put config space in its power-on state
 * @sf: the vGPU, with its window size and profile set
 *
 * Called at creation and on every function reset; takes no locks.
 */
void vgpu_cfg_init(struct vgpu_sim_fn *sf)
{
	memset(sf->cfg, 0, sizeof(sf->cfg));
	sf->bar[0] = 0;
	sf->bar[1] = 0;
	vgpu_cfg_put(sf, PCI_VENDOR_ID, 2, VGPU_PCI_VENDOR_ID);
	vgpu_cfg_put(sf, PCI_DEVICE_ID, 2, VGPU_PCI_DEVICE_ID);
	vgpu_cfg_put(sf, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	vgpu_cfg_put(sf, PCI_CLASS_REVISION, 4,
		     VGPU_PCI_CLASS << 8 | VGPU_PCI_REVISION);
	vgpu_cfg_put(sf, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	vgpu_cfg_put(sf, PCI_SUBSYSTEM_VENDOR_ID, 2, VGPU_PCI_VENDOR_ID);
	vgpu_cfg_put(sf, PCI_SUBSYSTEM_ID, 2,
		     VGPU_PCI_SUBSYS_BASE + sf->vgpu->profile);
	vgpu_cfg_put(sf, PCI_CAPABILITY_LIST, 1, VGPU_CAP_EXP);

	vgpu_cfg_put(sf, VGPU_CAP_EXP + PCI_CAP_LIST_ID, 1, PCI_CAP_ID_EXP);
	vgpu_cfg_put(sf, VGPU_CAP_EXP + PCI_CAP_LIST_NEXT, 1, VGPU_CAP_MSIX);
	vgpu_cfg_put(sf, VGPU_CAP_EXP + PCI_EXP_FLAGS, 2,
		     2 | PCI_EXP_TYPE_ENDPOINT << 4);
	vgpu_cfg_put(sf, VGPU_CAP_EXP + PCI_EXP_DEVCAP, 4,
		     PCI_EXP_DEVCAP_FLR);
	vgpu_cfg_put(sf, VGPU_CAP_EXP + PCI_EXP_LNKCAP, 4,
		     PCI_EXP_LNKCAP_SLS_2_5GB | 1 << 4);
	vgpu_cfg_put(sf, VGPU_CAP_EXP + PCI_EXP_LNKSTA, 2,
		     PCI_EXP_LNKSTA_CLS_2_5GB | 1 << 4);

	vgpu_cfg_put(sf, VGPU_CAP_MSIX + PCI_CAP_LIST_ID, 1,
		     PCI_CAP_ID_MSIX);
	vgpu_cfg_put(sf, VGPU_CAP_MSIX + PCI_MSIX_FLAGS, 2,
		     VGPU_MSIX_VECTORS - 1);
	vgpu_cfg_put(sf, VGPU_CAP_MSIX + PCI_MSIX_TABLE, 4,
		     VGPU_MSIX_TABLE_OFFSET | VGPU_BAR_REGS);
	vgpu_cfg_put(sf, VGPU_CAP_MSIX + PCI_MSIX_PBA, 4,
		     VGPU_MSIX_PBA_OFFSET | VGPU_BAR_REGS);
}

/* The value a BAR register reads: programmed address bits plus type bits. */
static u32 vgpu_bar_read(struct vgpu_sim_fn *sf, u32 reg)
{
	switch (reg) {
	case PCI_BASE_ADDRESS_0:
		return (u32)sf->bar[0] & ~(VGPU_REGS_SIZE - 1);
	case PCI_BASE_ADDRESS_2:
		return ((u32)sf->bar[1] & ~(u32)(sf->vgpu->mem_size - 1) &
			PCI_BASE_ADDRESS_MEM_MASK) |
		       PCI_BASE_ADDRESS_MEM_TYPE_64 |
		       PCI_BASE_ADDRESS_MEM_PREFETCH;
	case PCI_BASE_ADDRESS_3:
		return (sf->bar[1] & ~(sf->vgpu->mem_size - 1)) >> 32;
	}
	return 0;
}

/* What was last written to a BAR register, before masking. */
static u32 vgpu_bar_raw(struct vgpu_sim_fn *sf, u32 reg)
{
	switch (reg) {
	case PCI_BASE_ADDRESS_0:
		return (u32)sf->bar[0];
	case PCI_BASE_ADDRESS_2:
		return (u32)sf->bar[1];
	case PCI_BASE_ADDRESS_3:
		return sf->bar[1] >> 32;
	}
	return 0;
}

static void vgpu_bar_write(struct vgpu_sim_fn *sf, u32 reg, u32 val)
{
	switch (reg) {
	case PCI_BASE_ADDRESS_0:
		sf->bar[0] = val;
		break;
	case PCI_BASE_ADDRESS_2:
		sf->bar[1] = (sf->bar[1] & ~0xffffffffULL) | val;
		break;
	case PCI_BASE_ADDRESS_3:
		sf->bar[1] = (sf->bar[1] & 0xffffffffULL) |
			       (u64)val << 32;
		break;
	}
}

static bool vgpu_is_bar(u32 reg)
{
	return reg >= PCI_BASE_ADDRESS_0 && reg <= PCI_BASE_ADDRESS_5;
}

/**
 * vgpu_cfg_read() - a config space read by the VFIO user
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 * @off: offset
 * @size: 1, 2 or 4, naturally aligned
 * @val: the value read
 *
 * Return: 0 or -EINVAL for an access that is out of range or misaligned.
 */
int vgpu_cfg_read(struct vgpu_sim_fn *sf, u32 off, u32 size, u32 *val)
{
	u32 reg = off & ~3u, shift = (off & 3) * 8, dw;

	lockdep_assert_held(&sf->lock);
	if (off >= VGPU_CFG_SIZE || size > VGPU_CFG_SIZE - off ||
	    (off & (size - 1)))
		return -EINVAL;
	dw = vgpu_is_bar(reg) ? vgpu_bar_read(sf, reg) :
				vgpu_cfg_get(sf, reg, 4);
	*val = size == 4 ? dw : (dw >> shift) & ((1u << (size * 8)) - 1);
	return 0;
}

/* Merge a write of @size bytes at @off into the register's old value. */
static u32 vgpu_merge(u32 old, u32 off, u32 size, u32 val)
{
	u32 shift = (off & 3) * 8;
	u32 mask = size == 4 ? ~0u : ((1u << (size * 8)) - 1) << shift;

	return (old & ~mask) | ((val << shift) & mask);
}

/**
 * vgpu_cfg_write() - a config space write by the VFIO user
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 * @off: offset
 * @size: 1, 2 or 4, naturally aligned
 * @val: the value written
 * @reset: set to true if the write starts a function level reset, which the
 *	   caller does once it has dropped &vgpu_sim_fn.lock (as for
 *	   vgpu_regs_write()); left alone otherwise
 *
 * Return: 0, or -EINVAL for an access that is out of range or misaligned.
 */
int vgpu_cfg_write(struct vgpu_sim_fn *sf, u32 off, u32 size, u32 val,
		   bool *reset)
{
	u32 reg = off & ~3u, old, v;

	lockdep_assert_held(&sf->lock);
	if (off >= VGPU_CFG_SIZE || size > VGPU_CFG_SIZE - off ||
	    (off & (size - 1)))
		return -EINVAL;
	if (vgpu_is_bar(reg)) {
		old = vgpu_bar_raw(sf, reg);
		vgpu_bar_write(sf, reg, vgpu_merge(old, off, size, val));
		return 0;
	}
	old = vgpu_cfg_get(sf, reg, 4);
	v = vgpu_merge(old, off, size, val);
	switch (reg) {
	case PCI_COMMAND:
		/* Status bits are read-only or write-1-to-clear (none set). */
		v = (old & ~VGPU_CMD_WRITABLE) | (v & VGPU_CMD_WRITABLE);
		v = (v & 0xffff) | (old & 0xffff0000);
		vgpu_cfg_put(sf, reg, 4, v);
		/* Bus mastering back on: resume a ring with pending work. */
		if (!(old & PCI_COMMAND_MASTER) && vgpu_ring_runnable(sf))
			vgpu_sched_kick(sf->vgpu);
		return 0;
	case PCI_CACHE_LINE_SIZE:
		v = (old & ~0xffu) | (v & 0xffu);
		break;
	case PCI_INTERRUPT_LINE:
		v = (old & ~0xffu) | (v & 0xffu);
		break;
	case VGPU_CAP_EXP + PCI_EXP_DEVCTL:
		/* v has BCR_FLR only if this write set it (it reads 0). */
		if (v & PCI_EXP_DEVCTL_BCR_FLR) {
			*reset = true;
			return 0;
		}
		v = (old & ~VGPU_DEVCTL_WRITABLE) | (v & VGPU_DEVCTL_WRITABLE);
		v &= ~(u32)PCI_EXP_DEVCTL_BCR_FLR;
		v = (v & 0xffff) | (old & 0xffff0000);
		break;
	case VGPU_CAP_MSIX + PCI_CAP_LIST_ID:
		v = (old & ~((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)
			     << 16)) |
		    (v & ((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)
			  << 16));
		break;
	default:
		return 0;
	}
	vgpu_cfg_put(sf, reg, 4, v);
	return 0;
}
