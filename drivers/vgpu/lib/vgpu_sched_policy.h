/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu scheduling policy maths (pure logic): which vGPU an engine runs next
 * and for how long, and how time is accounted. The engine threads in
 * vgpu_sched.c call it under their partition's lock; the unit tests drive it
 * with a simulated clock.
 */
#ifndef VGPU_SCHED_POLICY_H
#define VGPU_SCHED_POLICY_H

#include "vgpu_pure.h"
#include "vgpu_profile.h"

enum vgpu_policy {
	VGPU_POLICY_BEST_EFFORT,	/* work-conserving, weighted */
	VGPU_POLICY_EQUAL_SHARE,	/* 1/N of the partition per vGPU */
	VGPU_POLICY_FIXED_SHARE,	/* 1/SHARE of the partition per vGPU */
	VGPU_POLICY_COUNT
};

#define VGPU_WEIGHT_MIN		1
#define VGPU_WEIGHT_MAX		100
#define VGPU_WEIGHT_DEFAULT	10
#define VGPU_TIMESLICE_MIN_NS	100000ULL	/* 100 us */
#define VGPU_TIMESLICE_MAX_NS	2000000000ULL	/* 2 s */
#define VGPU_TIMESLICE_DEFAULT_NS 2000000ULL	/* 2 ms */
/* Window over which the recent share is measured. */
#define VGPU_SHARE_WINDOW_NS	1000000000ULL

/**
 * struct vgpu_busy_window - run time over a recent window
 * @start: start of the current window
 * @len: length of the previous window
 * @busy: run time in the current [0] and previous [1] window
 */
struct vgpu_busy_window {
	u64 start;
	u64 len;
	u64 busy[2];
};

/**
 * struct vgpu_sched_entity - one vGPU as the policy sees it
 * @weight: best-effort weight, VGPU_WEIGHT_MIN..VGPU_WEIGHT_MAX
 * @timeslice_ns: slice override, 0 for the device default
 * @busy: it has work
 * @running: an engine is running it now
 * @vtime: best effort: run time scaled by VGPU_WEIGHT_MAX / weight
 * @busy_ns: total time run
 * @slices: slices run
 * @slot_debt_ns: equal and fixed share: how much shorter than a slice its
 *		  slots ran so far (negative: longer); added to its next slot
 * @win: recent run time
 */
struct vgpu_sched_entity {
	u32 weight;
	u64 timeslice_ns;
	bool busy;
	bool running;
	u64 vtime;
	u64 busy_ns;
	u64 slices;
	s64 slot_debt_ns;
	struct vgpu_busy_window win;
};

/**
 * struct vgpu_sched_part - the run state of one engine partition
 * @policy: enum vgpu_policy
 * @timeslice_ns: default slice
 * @share: the owning profile's SHARE (vGPUs per partition, fixed share)
 * @engines: engines in the partition
 * @n: vGPUs in @ent, in seat order
 * @ent: the vGPUs
 * @cursor: equal and fixed share: the next slot; best effort: where the
 *	    round-robin tie-break starts
 * @idle_debt_ns: equal and fixed share: how much shorter than a slice the
 *		  idle slots lasted so far (negative: longer)
 */
struct vgpu_sched_part {
	enum vgpu_policy policy;
	u64 timeslice_ns;
	u32 share;
	u32 engines;
	u32 n;
	struct vgpu_sched_entity *ent[VGPU_MAX_SHARE];
	u32 cursor;
	s64 idle_debt_ns;
};

/**
 * struct vgpu_sched_pick - an engine's next decision
 * @idx: index in &vgpu_sched_part.ent to run, or -1 to stay idle
 * @slice_ns: how long to run it, or to idle
 * @reserved: for equal and fixed share, the slot's owner when @idx is -1
 *	      because the owner is idle or running elsewhere (-1 for an empty
 *	      fixed-share seat); -1 otherwise
 */
struct vgpu_sched_pick {
	int idx;
	u64 slice_ns;
	int reserved;
};

void vgpu_sched_part_init(struct vgpu_sched_part *p, enum vgpu_policy policy,
			  u64 timeslice_ns, u32 share, u32 engines);
int vgpu_sched_add(struct vgpu_sched_part *p, struct vgpu_sched_entity *e);
void vgpu_sched_remove(struct vgpu_sched_part *p, struct vgpu_sched_entity *e);
void vgpu_sched_set_busy(struct vgpu_sched_part *p,
			 struct vgpu_sched_entity *e, bool busy);
struct vgpu_sched_pick vgpu_sched_pick(struct vgpu_sched_part *p);
void vgpu_sched_account(struct vgpu_sched_part *p, int idx, u64 ran_ns,
			u64 now_ns);
void vgpu_sched_account_idle(struct vgpu_sched_part *p, u64 idle_ns);
u32 vgpu_sched_share_permille(const struct vgpu_sched_part *p,
			      const struct vgpu_sched_entity *e, u64 now_ns);
void vgpu_window_charge(struct vgpu_busy_window *w, u64 ran_ns, u64 now_ns);
u32 vgpu_window_permille(const struct vgpu_busy_window *w, u64 now_ns,
			 u32 engines);
int vgpu_sched_index(const struct vgpu_sched_part *p,
		     const struct vgpu_sched_entity *e);
int vgpu_policy_parse(const char *s, size_t len);
const char *vgpu_policy_name(enum vgpu_policy policy);

#endif /* VGPU_SCHED_POLICY_H */
