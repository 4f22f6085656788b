/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vgpu SR-IOV physical function: the register interface of the PF.
 *
 * The PF driver (drivers/vgpu/pf) programs it and the QEMU device model
 * (qemu/vgpu_sriov.c) implements it; Documentation/pf-interface.rst explains
 * each register. A VF is the vGPU function of <linux/vgpu.h>: a guest driver
 * cannot tell it from an mdev vGPU.
 */
#ifndef _UAPI_LINUX_VGPU_PF_H
#define _UAPI_LINUX_VGPU_PF_H

#include <linux/types.h>

/* PF BAR0: 32-bit memory BAR of VGPU_PF_REGS_SIZE bytes, little endian. */
#define VGPU_PF_BAR_REGS		0
#define VGPU_PF_REGS_SIZE		0x4000

/* PF MSI-X: vector 0 engine runs ended, vector 1 VF events. */
#define VGPU_PF_MSIX_ENGINE		0
#define VGPU_PF_MSIX_EVENT		1
#define VGPU_PF_MSIX_VECTORS		2
#define VGPU_PF_MSIX_TABLE_OFFSET	0x3000
#define VGPU_PF_MSIX_PBA_OFFSET		0x3800

/* ---- Global registers ---------------------------------------------------- */

#define VGPU_PF_REG_ID			0x000	/* RO: VGPU_PF_ID_MAGIC */
#define VGPU_PF_REG_VERSION		0x004	/* RO: major << 16 | minor */
#define VGPU_PF_REG_MEM_SIZE		0x008	/* RO 64: device memory, bytes */
#define VGPU_PF_REG_ENGINES		0x010	/* RO: engines on the device */
#define VGPU_PF_REG_MAX_VFS		0x014	/* RO: VFs the device has */
#define VGPU_PF_REG_VF_BAR2_SIZE	0x018	/* RO 64: each VF's BAR2 */
#define VGPU_PF_REG_CAPS		0x020	/* RO: 1 << opcode per command */
#define VGPU_PF_REG_TIMESTAMP		0x028	/* RO 64: device clock, ns */
#define VGPU_PF_REG_IRQ_STATUS		0x030	/* RW1C: VGPU_PF_IRQ_* */
#define VGPU_PF_REG_IRQ_MASK		0x034	/* RW: 1 masks a source */
#define VGPU_PF_REG_VF_EVENTS		0x038	/* RO: bit n-1: VF n has events */
#define VGPU_PF_REG_JOB_TIMEOUT_NS	0x040	/* RW 64: 0 = no limit */
#define VGPU_PF_REG_UNIT_TIMEOUT_NS	0x048	/* RW 64: 0 = no limit */

#define VGPU_PF_ID_MAGIC		0x46504756 /* "VGPF" */
#define VGPU_PF_VERSION_MAJOR		1
#define VGPU_PF_VERSION_MINOR		0

#define VGPU_PF_IRQ_ENGINE		(1u << 0) /* an engine run ended */
#define VGPU_PF_IRQ_EVENT		(1u << 1) /* a VF has an event */

/* Limits of this interface (a device may have fewer). */
#define VGPU_PF_MAX_ENGINES		16
#define VGPU_PF_MAX_VFS			31
/* Window base and size granularity. */
#define VGPU_PF_WINDOW_ALIGN		0x100000ULL

/* ---- Engine registers: VGPU_PF_ENG(e) + offset, e < ENGINES --------------- */

#define VGPU_PF_ENG_BASE		0x100
#define VGPU_PF_ENG_STRIDE		0x40
#define VGPU_PF_ENG(e)			(VGPU_PF_ENG_BASE + (e) * VGPU_PF_ENG_STRIDE)

#define VGPU_PF_ENG_RUN			0x00	/* WO: VF number (1..) to run */
#define VGPU_PF_ENG_STATUS		0x04	/* RO: VGPU_PF_ENG_STATUS_* */
#define VGPU_PF_ENG_BUDGET_NS		0x08	/* RW 64: length of the next run */
#define VGPU_PF_ENG_RAN_NS		0x10	/* RO 64: length of the last run */
#define VGPU_PF_ENG_PREEMPT		0x18	/* WO: 1 ends the run */
#define VGPU_PF_ENG_VF			0x1c	/* RO: VF of the last run */
#define VGPU_PF_ENG_BUSY_NS		0x20	/* RO 64: total run time */
#define VGPU_PF_ENG_RUNS		0x28	/* RO 64: runs ended */

#define VGPU_PF_ENG_STATUS_BUSY		(1u << 0) /* a run is in progress */
#define VGPU_PF_ENG_STATUS_WORK_LEFT	(1u << 1) /* last run's VF has work */
#define VGPU_PF_ENG_STATUS_REFUSED	(1u << 2) /* last RUN was not valid */

/* ---- VF registers: VGPU_PF_VF(n) + offset, 1 <= n <= MAX_VFS -------------- */

#define VGPU_PF_VF_BASE			0x1000
#define VGPU_PF_VF_STRIDE		0x80
#define VGPU_PF_VF(n)			(VGPU_PF_VF_BASE + ((n) - 1) * VGPU_PF_VF_STRIDE)

#define VGPU_PF_VF_WIN_BASE		0x00	/* RW 64: window in device memory */
#define VGPU_PF_VF_WIN_SIZE		0x08	/* RW 64: window bytes */
#define VGPU_PF_VF_ENGINES		0x10	/* RW: engine mask */
#define VGPU_PF_VF_CTRL			0x14	/* RW: VGPU_PF_VF_CTRL_* */
#define VGPU_PF_VF_STATUS		0x18	/* RO: VGPU_PF_VF_STATUS_* */
#define VGPU_PF_VF_EVENT		0x1c	/* RW1C: VGPU_PF_VF_EVENT_* */
#define VGPU_PF_VF_PROFILE		0x20	/* RW: subsystem ID = 0x1000 + this */
#define VGPU_PF_VF_SCRUB		0x24	/* WO: VGPU_PF_SCRUB_MAGIC zeroes the window */
#define VGPU_PF_VF_PREEMPT		0x28	/* WO: 1 ends the VF's run */
#define VGPU_PF_VF_COMMANDS		0x30	/* RO 64: commands completed */
#define VGPU_PF_VF_BYTES		0x38	/* RO 64: bytes moved */
#define VGPU_PF_VF_ERRORS		0x40	/* RO 64: faults that halted the ring */
#define VGPU_PF_VF_RESETS		0x48	/* RO 64: FLRs, ring resets, watchdog */
#define VGPU_PF_VF_BUSY_NS		0x50	/* RO 64: run time on engines */

#define VGPU_PF_VF_CTRL_PROVISIONED	(1u << 0)

#define VGPU_PF_VF_STATUS_HAS_WORK	(1u << 0) /* ring runnable, head != tail */
#define VGPU_PF_VF_STATUS_HALTED	(1u << 1) /* stopped by an error */
#define VGPU_PF_VF_STATUS_RUNNING	(1u << 2) /* on an engine now */
#define VGPU_PF_VF_STATUS_PROVISIONED	(1u << 3)

#define VGPU_PF_VF_EVENT_DOORBELL	(1u << 0) /* work arrived while not running */
#define VGPU_PF_VF_EVENT_FLR		(1u << 1) /* the VF was reset (FLR) */
#define VGPU_PF_VF_EVENT_HALT		(1u << 2) /* the ring halted on an error */

#define VGPU_PF_SCRUB_MAGIC		0x42524353 /* "SCRB" */

#endif /* _UAPI_LINUX_VGPU_PF_H */
