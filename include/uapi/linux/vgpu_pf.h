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
/* 1.1: VF state save and restore, device memory aperture. */
#define VGPU_PF_REG_STATE_VF		0x050	/* RW: VF the state page is of */
#define VGPU_PF_REG_STATE_CMD		0x054	/* WO: VGPU_PF_STATE_CMD_* */
#define VGPU_PF_REG_STATE_RESULT	0x058	/* RO: VGPU_PF_STATE_* of the last command */
#define VGPU_PF_REG_STATE_ARG		0x05c	/* RW: 1.2: DIRTY's first page */
#define VGPU_PF_REG_APERTURE_BASE	0x060	/* RW 64: device memory BAR2 shows */
#define VGPU_PF_REG_STATE_COUNT		0x068	/* RO: 1.2: pages DIRTY reported */

#define VGPU_PF_ID_MAGIC		0x46504756 /* "VGPF" */
#define VGPU_PF_VERSION_MAJOR		1
#define VGPU_PF_VERSION_MINOR		2

#define VGPU_PF_IRQ_ENGINE		(1u << 0) /* an engine run ended */
#define VGPU_PF_IRQ_EVENT		(1u << 1) /* a VF has an event */

/* Limits of this interface (a device may have fewer). */
#define VGPU_PF_MAX_ENGINES		16
#define VGPU_PF_MAX_VFS			31
/* Window base and size granularity. */
#define VGPU_PF_WINDOW_ALIGN		0x100000ULL

/*
 * 1.1: the device memory aperture. PF BAR2, a 32-bit memory BAR of
 * VGPU_PF_APERTURE_SIZE bytes, shows device memory from APERTURE_BASE (a
 * multiple of the size); bytes beyond device memory read 0 and ignore
 * writes. The PF driver copies VF windows through it when it saves or
 * restores a VF.
 */
#define VGPU_PF_BAR_APERTURE		2
#define VGPU_PF_APERTURE_SIZE		0x200000

/*
 * 1.1: the state page, VGPU_PF_STATE_PAGE_SIZE bytes of BAR0 at
 * VGPU_PF_STATE_PAGE. STATE_CMD = SAVE copies the state of VF STATE_VF
 * into it; LOAD gives the VF the state it holds. Both need the VF
 * provisioned and off the engines (no RUN of it pending or running) and
 * report in STATE_RESULT; LOAD checks the image as the VF's own registers
 * would check a guest's writes and, if it fails, leaves the VF as it was.
 * Neither touches the window, the provisioning or the PF counters.
 */
#define VGPU_PF_STATE_PAGE		0x2000
#define VGPU_PF_STATE_PAGE_SIZE		0x1000

#define VGPU_PF_STATE_CMD_SAVE		1
#define VGPU_PF_STATE_CMD_LOAD		2

/*
 * 1.2: dirty page logs. TRACK_START clears the log of VF STATE_VF and from
 * then on records every VGPU_PF_DIRTY_PAGE_SIZE page of its window that is
 * written: by a CPU through the VF's BAR2, by the VF's commands, by a scrub
 * or a reset. DIRTY puts the log of window pages [STATE_ARG, STATE_ARG +
 * VGPU_PF_DIRTY_CHUNK_PAGES) into the state page (bit i % 8 of byte i / 8:
 * page STATE_ARG + i), clears it, and sets STATE_COUNT to the pages it
 * reported; STATE_ARG must be a multiple of VGPU_PF_DIRTY_CHUNK_PAGES inside
 * the window. TRACK_STOP ends the log; unprovisioning the VF and a PF reset
 * end it too. None of them needs the VF off the engines.
 */
#define VGPU_PF_STATE_CMD_TRACK_START	3
#define VGPU_PF_STATE_CMD_DIRTY		4
#define VGPU_PF_STATE_CMD_TRACK_STOP	5

#define VGPU_PF_DIRTY_PAGE_SIZE		0x1000
#define VGPU_PF_DIRTY_CHUNK_PAGES	(VGPU_PF_STATE_PAGE_SIZE * 8)

#define VGPU_PF_STATE_OK		0
#define VGPU_PF_STATE_ERR_VF		1 /* no such VF, or not provisioned */
#define VGPU_PF_STATE_ERR_BUSY		2 /* the VF is on an engine */
#define VGPU_PF_STATE_ERR_INVALID	3 /* LOAD: the image is not a state */
#define VGPU_PF_STATE_ERR_CMD		4 /* unknown STATE_CMD */
#define VGPU_PF_STATE_ERR_TRACK		5 /* DIRTY: the VF's log is off */

/* The state image, little endian; bytes after VGPU_PF_ST_END are 0. */
#define VGPU_PF_ST_RING_BASE		0x000	/* 64: VGPU_REG_RING_BASE */
#define VGPU_PF_ST_RING_SIZE		0x008	/* VGPU_REG_RING_SIZE */
#define VGPU_PF_ST_RING_CTRL		0x00c	/* VGPU_REG_RING_CTRL */
#define VGPU_PF_ST_HEAD			0x010	/* next ring entry to read */
#define VGPU_PF_ST_TAIL			0x014	/* last doorbell */
#define VGPU_PF_ST_FENCE		0x018	/* 64: VGPU_REG_FENCE */
#define VGPU_PF_ST_COMPLETED		0x020	/* 64: VGPU_REG_COMPLETED */
#define VGPU_PF_ST_IRQ_STATUS		0x028	/* latched VGPU_IRQ_* */
#define VGPU_PF_ST_IRQ_MASK		0x02c	/* VGPU_REG_IRQ_MASK */
#define VGPU_PF_ST_ERR_CODE		0x030	/* VGPU_REG_ERR_CODE */
#define VGPU_PF_ST_ERR_INDEX		0x034	/* VGPU_REG_ERR_INDEX */
#define VGPU_PF_ST_ERR_ADDR		0x038	/* 64: VGPU_REG_ERR_ADDR */
#define VGPU_PF_ST_FLAGS		0x040	/* VGPU_PF_ST_FLAG_* */
#define VGPU_PF_ST_EXEC_K		0x044	/* GEMM: k of the current pass */
#define VGPU_PF_ST_CLOCK_NS		0x048	/* 64: the VF's device clock */
#define VGPU_PF_ST_CMD_RUN_NS		0x050	/* 64: run time of the command */
#define VGPU_PF_ST_EXEC_DONE		0x058	/* 64: work done of the command */
#define VGPU_PF_ST_EXEC_CRC		0x060	/* CRC32C so far (CRC) */
#define VGPU_PF_ST_CMD			0x080	/* struct vgpu_cmd in progress */
#define VGPU_PF_ST_ACC			0x100	/* u32[16][16] GEMM accumulators */
#define VGPU_PF_ST_END			0x500

#define VGPU_PF_ST_FLAG_HALTED		(1u << 0) /* the ring stopped on an error */
#define VGPU_PF_ST_FLAG_EXEC		(1u << 1) /* a command is in progress */

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
