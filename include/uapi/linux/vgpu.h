/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vgpu device interface: what a guest driver programs against.
 *
 * One header for the host driver, guest drivers, the userspace VFIO library
 * and the tests. Documentation/device-interface.rst explains each field;
 * this file is the normative list of numbers.
 */
#ifndef _UAPI_LINUX_VGPU_H
#define _UAPI_LINUX_VGPU_H

#include <linux/types.h>

/* ---- PCI identity ---------------------------------------------------- */

/*
 * The project has no PCI-SIG vendor ID of its own. Vendor 0x5e5e is one that
 * no company holds in the PCI ID database (pciutils' pci.ids, checked by
 * scripts/check-pci-ids.sh in make check) and that QEMU's own devices do not
 * use; the PCI-SIG may still assign it one day, so a product built on this
 * driver replaces these numbers with its vendor's, here and nowhere else.
 * Device 0x0001 is a vGPU function of any profile (an mdev vGPU or an SR-IOV
 * virtual function); 0x0002 is the physical function of the SR-IOV device
 * model. The subsystem vendor is the same; the subsystem device ID of a vGPU
 * is 0x1000 + its profile's index on its parent.
 */
#define VGPU_PCI_VENDOR_ID		0x5e5e
#define VGPU_PCI_DEVICE_ID		0x0001
#define VGPU_PCI_PF_DEVICE_ID		0x0002
#define VGPU_PCI_SUBSYS_BASE		0x1000
#define VGPU_PCI_REVISION		0x01
#define VGPU_PCI_CLASS			0x120000 /* processing accelerator */

#define VGPU_BAR_REGS			0	/* BAR0: register file */
#define VGPU_BAR_WINDOW			2	/* BAR2/3: memory window */
#define VGPU_REGS_SIZE			0x1000

/* MSI-X vectors. */
#define VGPU_MSIX_COMPLETION		0
#define VGPU_MSIX_ERROR			1
#define VGPU_MSIX_VECTORS		2
#define VGPU_MSIX_TABLE_OFFSET		0x800	/* in BAR0 */
#define VGPU_MSIX_PBA_OFFSET		0xc00	/* in BAR0 */

/* ---- BAR0 register file (little endian) ------------------------------ */

#define VGPU_REG_ID			0x000	/* RO: VGPU_ID_MAGIC */
#define VGPU_REG_VERSION		0x004	/* RO: major << 16 | minor */
#define VGPU_REG_CAPS			0x008	/* RO: 1 << opcode per command */
#define VGPU_REG_ENGINES		0x00c	/* RO: engines in partition */
#define VGPU_REG_WINDOW_SIZE		0x010	/* RO 64: window bytes */
#define VGPU_REG_UNIT_BYTES		0x018	/* RO: work unit, bytes */
#define VGPU_REG_UNIT_TILE		0x01c	/* RO: GEMM tile edge */
#define VGPU_REG_RING_BASE		0x020	/* RW 64: ring offset in window */
#define VGPU_REG_RING_SIZE		0x028	/* RW: entries, power of two */
#define VGPU_REG_RING_CTRL		0x02c	/* RW: VGPU_RING_* */
#define VGPU_REG_RING_HEAD		0x030	/* RO: next entry the device reads */
#define VGPU_REG_RING_TAIL		0x034	/* RO: last tail written */
#define VGPU_REG_DOORBELL		0x040	/* WO: new tail */
#define VGPU_REG_FENCE			0x048	/* RO 64: last fence value */
#define VGPU_REG_IRQ_STATUS		0x050	/* RW1C: VGPU_IRQ_* */
#define VGPU_REG_IRQ_MASK		0x054	/* RW: 1 masks a source */
#define VGPU_REG_ERR_CODE		0x060	/* RO: VGPU_ERR_* */
#define VGPU_REG_ERR_INDEX		0x064	/* RO: ring index of bad command */
#define VGPU_REG_ERR_ADDR		0x068	/* RO 64: offending address */
#define VGPU_REG_RESET			0x070	/* WO: VGPU_RESET_*MAGIC */
#define VGPU_REG_STATUS			0x074	/* RO: VGPU_STATUS_* */
#define VGPU_REG_TIMESTAMP		0x078	/* RO 64: device clock, ns */
#define VGPU_REG_COMPLETED		0x080	/* RO 64: commands completed */
/* Since 1.2: the vGPU's peer group (0: none), its id there, the members. */
#define VGPU_REG_PEER_GROUP		0x088	/* RO: group number, 0 if none */
#define VGPU_REG_PEER_ID		0x08c	/* RO: own peer id in the group */
#define VGPU_REG_PEER_MASK		0x090	/* RO: 1 << id of each member */

#define VGPU_ID_MAGIC			0x55504756 /* "VGPU" */
#define VGPU_VERSION_MAJOR		1
#define VGPU_VERSION_MINOR		2
#define VGPU_RESET_MAGIC		0x52534554 /* "RSET" */
/* Since 1.1: reset only the ring and error state; the window is kept. */
#define VGPU_RESET_RING_MAGIC		0x474e4952 /* "RING" */

#define VGPU_RING_ENABLE		(1u << 0)

#define VGPU_IRQ_COMPLETION		(1u << 0)
#define VGPU_IRQ_ERROR			(1u << 1)

#define VGPU_STATUS_RUNNING		(1u << 0) /* ring enabled, not halted */
#define VGPU_STATUS_HALTED		(1u << 1) /* stopped by an error */
#define VGPU_STATUS_IDLE		(1u << 2) /* head == tail */

/* Members of one peer group: peer ids 0 .. VGPU_MAX_PEERS - 1. */
#define VGPU_MAX_PEERS			16

/* Ring limits. */
#define VGPU_RING_MIN_ENTRIES		2
#define VGPU_RING_MAX_ENTRIES		65536
#define VGPU_RING_ALIGN			4096

/* ---- Commands ---------------------------------------------------------- */

enum vgpu_opcode {
	VGPU_OP_NOP		= 0,
	VGPU_OP_COPY		= 1,
	VGPU_OP_FILL		= 2,
	VGPU_OP_GEMM_I8		= 3,
	VGPU_OP_CRC32C		= 4,
	VGPU_OP_FENCE		= 5,
	VGPU_OP_TIMESTAMP	= 6,
	VGPU_OP_PEER_COPY	= 7, /* since 1.2 */
	VGPU_OP_COUNT
};

/* vgpu_cmd.flags */
#define VGPU_CMD_SRC_SYS	(1u << 0) /* COPY: src is a DMA address */
#define VGPU_CMD_DST_SYS	(1u << 1) /* COPY: dst is a DMA address */
#define VGPU_CMD_IRQ		(1u << 2) /* FENCE: raise COMPLETION */
#define VGPU_CMD_FLAGS_MASK	0x7u

/**
 * struct vgpu_cmd - one 64-byte ring entry
 * @opcode: enum vgpu_opcode
 * @flags: VGPU_CMD_* (only those the opcode allows)
 * @u: operands; window addresses are byte offsets in the vGPU's window, DMA
 *     addresses are I/O virtual addresses of guest memory
 *
 * COPY   src, dst, len: copy len bytes; ranges in the window must not overlap.
 * FILL   dst, len, value: fill len bytes (len % 4 == 0, dst % 4 == 0) with
 *        the 32-bit pattern value.
 * GEMM   a, b, c, m, n, k: C[m][n] (int32) = A[m][k] (int8) x B[k][n] (int8),
 *        row-major, dense; c % 4 == 0. Sums wrap modulo 2^32. If C overlaps
 *        A or B the result is undefined (but stays inside the window).
 * CRC32C src, len, dst: CRC32C (Castagnoli, initial ~0, final xor ~0) of len
 *        bytes at src, stored as a 32-bit value at dst (dst % 4 == 0).
 * FENCE  dst, value: store the 64-bit value at dst (dst % 8 == 0) once every
 *        earlier command is complete; VGPU_REG_FENCE shows it too.
 * TIMESTAMP dst: store the device clock in ns (64-bit) at dst (dst % 8 == 0).
 * PEER_COPY src, dst, len, peer: copy len bytes at src in this window to dst
 *        in the window of the member of this vGPU's peer group whose id is
 *        peer (since 1.2).
 */
struct vgpu_cmd {
	__u32 opcode;
	__u32 flags;
	union {
		struct { __u64 src, dst, len; } copy;
		struct { __u64 dst, len; __u32 value, pad; } fill;
		struct { __u64 a, b, c; __u32 m, n, k, pad; } gemm;
		struct { __u64 src, len, dst; } crc;
		struct { __u64 dst, value; } fence;
		struct { __u64 dst; } ts;
		struct { __u64 src, dst, len; __u32 peer, pad; } peer;
		__u64 raw[7];
	} u;
};

/* Error codes in VGPU_REG_ERR_CODE. */
enum vgpu_error {
	VGPU_ERR_NONE		= 0,
	VGPU_ERR_OPCODE		= 1, /* unknown opcode */
	VGPU_ERR_FLAGS		= 2, /* flag not allowed for the opcode */
	VGPU_ERR_RANGE		= 3, /* window range outside the window */
	VGPU_ERR_ALIGN		= 4, /* misaligned address or length */
	VGPU_ERR_SIZE		= 5, /* zero or inconsistent size */
	VGPU_ERR_OVERLAP	= 6, /* COPY ranges overlap */
	VGPU_ERR_DMA		= 7, /* DMA address not mapped */
	VGPU_ERR_RING		= 8, /* bad ring base, size or tail */
	VGPU_ERR_TIMEOUT	= 9, /* command ran past the job timeout */
	VGPU_ERR_PEER		= 10, /* no such peer, or outside its window */
};

#endif /* _UAPI_LINUX_VGPU_H */
