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
/* Caps and guarantees are per mille of the partition's time. */
#define VGPU_PERMILLE		1000
#define VGPU_CAP_NONE		VGPU_PERMILLE
/* Most run time a vGPU may owe its cap or guarantee (overflow guard). */
#define VGPU_QOS_DEBT_MAX_NS	(2 * VGPU_TIMESLICE_MAX_NS)
/* Equal and fixed share: most slices a vGPU's slots may owe for overruns. */
#define VGPU_SLOT_DEBT_SLICES	16
/* Window over which the recent share is measured. */
#define VGPU_SHARE_WINDOW_NS	1000000000ULL

/**
 * enum vgpu_prio - a vGPU's latency priority
 * @VGPU_PRIO_LOW: its slices are the first preempted for a higher one
 * @VGPU_PRIO_NORMAL: the default
 * @VGPU_PRIO_HIGH: its doorbell preempts a lower-priority slice
 */
enum vgpu_prio {
	VGPU_PRIO_LOW = -1,
	VGPU_PRIO_NORMAL = 0,
	VGPU_PRIO_HIGH = 1,
};

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
 * @cap_permille: the most of the partition's time it may use, even when the
 *		  rest idle; VGPU_CAP_NONE (or 0) for no cap
 * @guarantee_permille: the least of the partition's time it gets whenever
 *			it is busy (best effort); 0 for none
 * @prio: enum vgpu_prio
 * @busy: it has work
 * @running: an engine is running it now
 * @vtime: best effort: run time scaled by VGPU_WEIGHT_MAX / weight
 * @busy_ns: total time run
 * @slices: slices run
 * @slot_debt_ns: equal and fixed share: how much shorter than a slice its
 *		  slots ran so far (negative: longer); added to its next slot,
 *		  which it loses while it owes a whole slice
 * @win: recent run time
 * @cap_credit: run time its cap still allows (negative: run time it owes),
 *		in VGPU_PERMILLE-ths of a nanosecond (no rounding)
 * @g_credit: run time its guarantee still owes it while busy, in the same
 *	      unit
 * @throttled: out of cap credit: not picked until the credit returns
 * @boost: woken with a priority above another busy vGPU's: picked first,
 *	   once
 * @g_run: the slice in progress was picked for its guarantee
 */
struct vgpu_sched_entity {
	u32 weight;
	u64 timeslice_ns;
	u32 cap_permille;
	u32 guarantee_permille;
	s32 prio;
	bool busy;
	bool running;
	u64 vtime;
	u64 busy_ns;
	u64 slices;
	s64 slot_debt_ns;
	struct vgpu_busy_window win;
	s64 cap_credit;
	s64 g_credit;
	bool throttled;
	bool boost;
	bool g_run;
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
 * @clock_ns: the clock when caps and guarantees were last credited
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
	u64 clock_ns;
};

/**
 * struct vgpu_sched_pick - an engine's next decision
 * @idx: index in &vgpu_sched_part.ent to run, or -1 to stay idle
 * @slice_ns: how long to run it, or to idle
 * @reserved: for equal and fixed share, the slot's owner when @idx is -1
 *	      because the owner is idle or running elsewhere (-1 for an empty
 *	      fixed-share seat); -1 otherwise
 * @retry_ns: best effort with @idx -1: pick again after this long even
 *	      without a doorbell (a capped vGPU's credit comes back then);
 *	      0: nothing to wait for but a doorbell
 */
struct vgpu_sched_pick {
	int idx;
	u64 slice_ns;
	int reserved;
	u64 retry_ns;
};

void vgpu_sched_part_init(struct vgpu_sched_part *p, enum vgpu_policy policy,
			  u64 timeslice_ns, u32 share, u32 engines);
int vgpu_sched_add(struct vgpu_sched_part *p, struct vgpu_sched_entity *e);
void vgpu_sched_remove(struct vgpu_sched_part *p, struct vgpu_sched_entity *e);
void vgpu_sched_set_busy(struct vgpu_sched_part *p,
			 struct vgpu_sched_entity *e, bool busy);
struct vgpu_sched_pick vgpu_sched_pick(struct vgpu_sched_part *p, u64 now_ns);
bool vgpu_sched_has_work(const struct vgpu_sched_part *p);
int vgpu_sched_preempt_victim(const struct vgpu_sched_part *p,
			      const struct vgpu_sched_entity *e);
int vgpu_sched_check_guarantee(const struct vgpu_sched_part *p,
			       const struct vgpu_sched_entity *e, u32 g,
			       u32 *sum);
u32 vgpu_sched_guarantee_sum(const struct vgpu_sched_part *p);
void vgpu_sched_set_cap(struct vgpu_sched_part *p,
			struct vgpu_sched_entity *e, u32 cap);
int vgpu_prio_parse(const char *s, size_t len);
const char *vgpu_prio_name(s32 prio);
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
