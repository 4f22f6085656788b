/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu migration stream (pure logic): the format of a vGPU's saved state,
 * its encoder and its checking decoder. The mdev frontend streams it over
 * VFIO migration v2 data files; the unit tests and the fuzzer feed the
 * decoder directly.
 */
#ifndef VGPU_MIG_H
#define VGPU_MIG_H

#include "vgpu_cmd.h"

/* "VGPUMIG" and a NUL, read as a little-endian u64. */
#define VGPU_MIG_MAGIC		0x0047494d55504756ULL
#define VGPU_MIG_FORMAT_MAJOR	1
#define VGPU_MIG_FORMAT_MINOR	1

/* Window pages travel in 4 KiB units whatever the host's page size. */
#define VGPU_MIG_PAGE_SIZE	4096u
/* Most pages one PAGES record carries. */
#define VGPU_MIG_RUN_PAGES	64u
/* Longest profile name a stream carries, with its NUL. */
#define VGPU_MIG_NAME_LEN	32
/* Config space image in the state record. */
#define VGPU_MIG_CFG_SIZE	4096

/**
 * enum vgpu_mig_rec_type - what a record carries
 * @VGPU_MIG_REC_HEADER: who saved the stream (struct vgpu_mig_ident),
 *			 first and once
 * @VGPU_MIG_REC_PAGES: a run of window pages: the first page's index
 *			(8 bytes), then the pages
 * @VGPU_MIG_REC_STATE: registers, the command in progress and config space
 *			(struct vgpu_mig_state), once, after the pages the
 *			vGPU was stopped with
 * @VGPU_MIG_REC_END: end of the stream, nothing after it
 */
enum vgpu_mig_rec_type {
	VGPU_MIG_REC_HEADER = 1,
	VGPU_MIG_REC_PAGES = 2,
	VGPU_MIG_REC_STATE = 3,
	VGPU_MIG_REC_END = 4,
};

/* Record header: type (le32), reserved (le32, 0), payload bytes (le64). */
#define VGPU_MIG_REC_BYTES	16u
#define VGPU_MIG_HEADER_BYTES	80u
#define VGPU_MIG_PAGES_PREFIX	8u

/**
 * struct vgpu_mig_ident - what a vGPU must match to take a saved state
 * @dev_major: device interface major version (VGPU_VERSION_MAJOR)
 * @dev_minor: device interface minor version
 * @engines: engines in its partition
 * @share: vGPUs per partition of its profile (1: dedicated engines)
 * @window_size: bytes of its memory window
 * @peer: 1 + its peer id in its peer group; 0 if it is in none
 * @profile: its profile's name, NUL-terminated
 */
struct vgpu_mig_ident {
	u16 dev_major;
	u16 dev_minor;
	u32 engines;
	u32 share;
	u64 window_size;
	u32 peer;
	char profile[VGPU_MIG_NAME_LEN];
};

/**
 * struct vgpu_mig_state - a stopped vGPU's state besides its window
 * @ring_base: VGPU_REG_RING_BASE
 * @ring_size: VGPU_REG_RING_SIZE
 * @ring_ctrl: VGPU_REG_RING_CTRL
 * @head: ring head (the next entry the device reads)
 * @tail: ring tail (the last doorbell)
 * @fence: VGPU_REG_FENCE
 * @completed: VGPU_REG_COMPLETED
 * @irq_status: latched interrupt sources
 * @irq_mask: masked interrupt sources
 * @err_code: VGPU_REG_ERR_CODE
 * @err_index: VGPU_REG_ERR_INDEX
 * @err_addr: VGPU_REG_ERR_ADDR
 * @halted: the ring stopped on an error
 * @exec_active: @exec holds a command in progress
 * @clock_ns: the device clock when the vGPU was stopped
 * @cmd_run_ns: run time of the command in progress (job timeout)
 * @bar: BAR0 and BAR2 address registers as programmed
 * @exec: the command in progress and how far it got (its bounce buffer is
 *	  not part of the state: a work unit leaves nothing in it)
 * @cfg: config space
 */
struct vgpu_mig_state {
	u64 ring_base;
	u32 ring_size;
	u32 ring_ctrl;
	u32 head;
	u32 tail;
	u64 fence;
	u64 completed;
	u32 irq_status;
	u32 irq_mask;
	u32 err_code;
	u32 err_index;
	u64 err_addr;
	bool halted;
	bool exec_active;
	u64 clock_ns;
	u64 cmd_run_ns;
	u64 bar[2];
	struct {
		struct vgpu_cmd cmd;
		u64 done;
		u32 k;
		u32 crc;
		u32 acc[VGPU_GEMM_TILE][VGPU_GEMM_TILE];
	} exec;
	u8 cfg[VGPU_MIG_CFG_SIZE];
};

/* Bytes of an encoded struct vgpu_mig_state. */
#define VGPU_MIG_STATE_BYTES	(128u + 64u + 16u + \
				 4u * VGPU_GEMM_TILE * VGPU_GEMM_TILE + \
				 VGPU_MIG_CFG_SIZE)

/* Longest explanation the checks give for refusing a stream. */
#define VGPU_MIG_WHY_LEN	160

/**
 * struct vgpu_mig_rx - decoder of a stream arriving in pieces
 * @local: the vGPU the stream is loaded into
 * @err: first error (negative errno), 0 if none; sticky
 * @why: what was wrong, for the log
 * @rec: the record header being collected
 * @rec_got: bytes of @rec collected
 * @type: type of the record whose payload is arriving
 * @len: its payload bytes
 * @got: payload bytes consumed so far
 * @first_page: PAGES: index of the run's first page
 * @buf: HEADER, STATE and the PAGES prefix are collected here
 * @page: the page being collected
 * @st: the decoded state
 * @have_header: the HEADER record was accepted
 * @have_state: the STATE record was accepted
 * @ended: the END record was read
 * @pages: pages received (counting repeats)
 * @bytes: stream bytes consumed
 */
struct vgpu_mig_rx {
	struct vgpu_mig_ident local;
	int err;
	char why[VGPU_MIG_WHY_LEN];
	u8 rec[VGPU_MIG_REC_BYTES];
	u32 rec_got;
	u32 type;
	u64 len;
	u64 got;
	u64 first_page;
	u8 buf[VGPU_MIG_STATE_BYTES];
	u8 page[VGPU_MIG_PAGE_SIZE];
	struct vgpu_mig_state st;
	bool have_header;
	bool have_state;
	bool ended;
	u64 pages;
	u64 bytes;
};

/**
 * struct vgpu_mig_rx_ops - where a decoded stream goes
 * @page: store window page @index (VGPU_MIG_PAGE_SIZE bytes at @data).
 *	  Return: 0 or a negative errno.
 * @state: take the checked state. Return: 0 or a negative errno.
 */
struct vgpu_mig_rx_ops {
	int (*page)(void *ctx, u64 index, const u8 *data);
	int (*state)(void *ctx, const struct vgpu_mig_state *st);
};

void vgpu_cmd_to_le(const struct vgpu_cmd *cmd, u8 *out);
void vgpu_cmd_from_le(const u8 *in, struct vgpu_cmd *cmd);
void vgpu_mig_rec_encode(u8 *out, u32 type, u64 len);
void vgpu_mig_header_encode(u8 *out, const struct vgpu_mig_ident *id);
int vgpu_mig_header_decode(const u8 *in, struct vgpu_mig_ident *id,
			   char *why, size_t why_len);
int vgpu_mig_ident_check(const struct vgpu_mig_ident *src,
			 const struct vgpu_mig_ident *dst, char *why,
			 size_t why_len);
void vgpu_mig_pages_prefix(u8 *out, u64 first_page);
void vgpu_mig_state_encode(u8 *out, const struct vgpu_mig_state *st);
void vgpu_mig_state_decode(const u8 *in, struct vgpu_mig_state *st);
int vgpu_mig_state_check(const struct vgpu_mig_state *st, u64 window_size,
			 char *why, size_t why_len);
void vgpu_mig_rx_init(struct vgpu_mig_rx *rx,
		      const struct vgpu_mig_ident *local);
int vgpu_mig_rx_feed(struct vgpu_mig_rx *rx, const u8 *data, size_t len,
		     const struct vgpu_mig_rx_ops *ops, void *ctx);
int vgpu_mig_rx_finish(struct vgpu_mig_rx *rx);

#endif /* VGPU_MIG_H */
