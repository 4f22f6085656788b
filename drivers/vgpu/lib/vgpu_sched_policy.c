// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu scheduling policies (pure logic).
 */

/**
 * DOC: scheduling policies
 *
 * The vGPUs of one engine partition share its engines in time slices. Each
 * engine asks vgpu_sched_pick() what to do next, runs that vGPU for the slice
 * (preempting it between work units when the slice ends or it runs out of
 * work) and reports the time with vgpu_sched_account(). A vGPU runs on at
 * most one engine at a time.
 *
 * Best effort (default): work-conserving weighted fair sharing. Each vGPU
 * has a virtual time that advances by run time x 100 / weight; the engine
 * runs the busy vGPU with the smallest virtual time, ties broken in
 * round-robin order. Busy vGPUs therefore share all the time in proportion
 * to their weights, idle ones are skipped, and a vGPU that wakes up (or is
 * new) starts at the smallest virtual time among the busy ones, so it neither
 * banks credit while idle nor waits more than one round for its first slice.
 * A vGPU's own time slice override applies under this policy.
 *
 * Equal share: time is cut into rounds of one slot per vGPU of the partition,
 * busy or not, each one device time slice long. A slot whose owner is idle
 * stays idle: each vGPU gets 1/N of the partition even when others idle, and
 * shares change as vGPUs come and go.
 *
 * Fixed share: like equal share, but a round has one slot per seat the
 * profile allows (its SHARE), used or not, so each vGPU gets exactly 1/SHARE
 * whatever else exists.
 *
 * Slots end at work-unit boundaries and idle slots at timer expiry, so single
 * slots run a little short or long; each vGPU (and the idle slots together)
 * carries the difference into its next slot, so that over time every slot
 * averages exactly one time slice.
 *
 * The recent share a vGPU reports is its run time over the current and the
 * previous window of about VGPU_SHARE_WINDOW_NS, divided by the partition's
 * time (elapsed time x engines) over the span of those two windows.
 */
#include "vgpu_sched_policy.h"

static const char *const vgpu_policy_names[VGPU_POLICY_COUNT] = {
	[VGPU_POLICY_BEST_EFFORT] = "best_effort",
	[VGPU_POLICY_EQUAL_SHARE] = "equal_share",
	[VGPU_POLICY_FIXED_SHARE] = "fixed_share",
};

/**
 * vgpu_policy_name() - the sysfs name of a policy
 * @policy: enum vgpu_policy
 *
 * Return: the name, or "?" for an out-of-range value.
 */
const char *vgpu_policy_name(enum vgpu_policy policy)
{
	return policy < VGPU_POLICY_COUNT ? vgpu_policy_names[policy] : "?";
}
EXPORT_SYMBOL_VGPU(vgpu_policy_name);

/**
 * vgpu_policy_parse() - a policy from its name
 * @s: text, not necessarily NUL-terminated; one trailing newline is ignored
 * @len: characters in @s
 *
 * Return: the enum vgpu_policy, or -EINVAL.
 */
int vgpu_policy_parse(const char *s, size_t len)
{
	int i;

	if (len && s[len - 1] == '\n')
		len--;
	for (i = 0; i < VGPU_POLICY_COUNT; i++)
		if (strlen(vgpu_policy_names[i]) == len &&
		    !memcmp(vgpu_policy_names[i], s, len))
			return i;
	return -EINVAL;
}
EXPORT_SYMBOL_VGPU(vgpu_policy_parse);

/**
 * vgpu_sched_part_init() - set up an empty partition
 * @p: the partition
 * @policy: enum vgpu_policy
 * @timeslice_ns: default slice
 * @share: the owning profile's SHARE
 * @engines: engines in the partition
 */
void vgpu_sched_part_init(struct vgpu_sched_part *p, enum vgpu_policy policy,
			  u64 timeslice_ns, u32 share, u32 engines)
{
	memset(p, 0, sizeof(*p));
	p->policy = policy;
	p->timeslice_ns = timeslice_ns;
	p->share = share;
	p->engines = engines;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_part_init);

/* Smallest virtual time among busy vGPUs (all if none busy), skipping @x. */
static u64 vgpu_min_vtime(const struct vgpu_sched_part *p,
			  const struct vgpu_sched_entity *x)
{
	bool found = false, busy_only = false;
	u64 min = 0;
	u32 i;

	for (i = 0; i < p->n; i++)
		if (p->ent[i] != x && p->ent[i]->busy)
			busy_only = true;
	for (i = 0; i < p->n; i++) {
		const struct vgpu_sched_entity *e = p->ent[i];

		if (e == x || (busy_only && !e->busy))
			continue;
		if (!found || e->vtime < min)
			min = e->vtime;
		found = true;
	}
	return min;
}

/**
 * vgpu_sched_add() - add a vGPU to a partition
 * @p: the partition
 * @e: the vGPU, with its weight and slice override set
 *
 * Return: its index, or -ENOSPC if the partition is full.
 */
int vgpu_sched_add(struct vgpu_sched_part *p, struct vgpu_sched_entity *e)
{
	if (p->n == VGPU_MAX_SHARE)
		return -ENOSPC;
	e->vtime = vgpu_min_vtime(p, e);
	e->running = false;
	p->ent[p->n] = e;
	return p->n++;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_add);

/**
 * vgpu_sched_remove() - remove a vGPU from its partition
 * @p: the partition
 * @e: a vGPU added with vgpu_sched_add() and not running
 */
void vgpu_sched_remove(struct vgpu_sched_part *p, struct vgpu_sched_entity *e)
{
	u32 i, j;

	for (i = 0; i < p->n && p->ent[i] != e; i++)
		;
	if (i == p->n)
		return;
	for (j = i; j + 1 < p->n; j++)
		p->ent[j] = p->ent[j + 1];
	p->n--;
	if (p->policy != VGPU_POLICY_FIXED_SHARE && p->cursor > i)
		p->cursor--;
	if (p->n && p->policy != VGPU_POLICY_FIXED_SHARE && p->cursor >= p->n)
		p->cursor = 0;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_remove);

/**
 * vgpu_sched_set_busy() - note whether a vGPU has work
 * @p: its partition
 * @e: the vGPU
 * @busy: whether it has work now
 *
 * A vGPU that becomes busy under best effort starts no earlier than the
 * busy vGPU furthest behind, so time spent idle is not banked.
 */
void vgpu_sched_set_busy(struct vgpu_sched_part *p,
			 struct vgpu_sched_entity *e, bool busy)
{
	if (busy && !e->busy) {
		u64 min = vgpu_min_vtime(p, e);

		if (e->vtime < min)
			e->vtime = min;
	}
	e->busy = busy;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_set_busy);

static u64 vgpu_slice_of(const struct vgpu_sched_part *p,
			 const struct vgpu_sched_entity *e)
{
	if (p->policy == VGPU_POLICY_BEST_EFFORT && e->timeslice_ns)
		return e->timeslice_ns;
	return p->timeslice_ns;
}

static struct vgpu_sched_pick vgpu_pick_best_effort(struct vgpu_sched_part *p)
{
	struct vgpu_sched_pick d = { .idx = -1, .reserved = -1 };
	u32 k;

	for (k = 0; k < p->n; k++) {
		u32 i = (p->cursor + k) % p->n;
		const struct vgpu_sched_entity *e = p->ent[i];

		if (!e->busy || e->running)
			continue;
		if (d.idx < 0 || e->vtime < p->ent[d.idx]->vtime)
			d.idx = i;
	}
	if (d.idx < 0) {
		d.slice_ns = p->timeslice_ns;
		return d;
	}
	p->cursor = (d.idx + 1) % p->n;
	d.slice_ns = vgpu_slice_of(p, p->ent[d.idx]);
	return d;
}

/* One slice corrected by what earlier slots ran short (or long). */
static u64 vgpu_slot_len(const struct vgpu_sched_part *p, s64 debt)
{
	s64 len = (s64)p->timeslice_ns + debt;

	return len > 0 ? (u64)len : 0;
}

/* Keep a slot debt within one slice either way. */
static s64 vgpu_clamp_debt(const struct vgpu_sched_part *p, s64 debt)
{
	s64 lim = (s64)p->timeslice_ns;

	return debt > lim ? lim : debt < -lim ? -lim : debt;
}

static struct vgpu_sched_pick vgpu_pick_slot(struct vgpu_sched_part *p,
					     u32 slots)
{
	struct vgpu_sched_pick d = { .idx = -1, .reserved = -1 };
	u32 slot;

	d.slice_ns = vgpu_slot_len(p, p->idle_debt_ns);
	if (!slots)
		return d;
	slot = p->cursor % slots;
	p->cursor = (slot + 1) % slots;
	if (slot >= p->n)
		return d;
	if (p->ent[slot]->busy && !p->ent[slot]->running) {
		d.idx = slot;
		d.slice_ns = vgpu_slot_len(p, p->ent[slot]->slot_debt_ns);
	} else {
		d.reserved = slot;
	}
	return d;
}

/**
 * vgpu_sched_pick() - what an engine of the partition runs next
 * @p: the partition
 *
 * The caller marks the picked vGPU running until it accounts the slice.
 *
 * Return: the decision; idx -1 means idle for slice_ns (or until work
 * arrives, for best effort).
 */
struct vgpu_sched_pick vgpu_sched_pick(struct vgpu_sched_part *p)
{
	switch (p->policy) {
	case VGPU_POLICY_EQUAL_SHARE:
		return vgpu_pick_slot(p, p->n);
	case VGPU_POLICY_FIXED_SHARE:
		return vgpu_pick_slot(p, p->share);
	default:
		return vgpu_pick_best_effort(p);
	}
}
EXPORT_SYMBOL_VGPU(vgpu_sched_pick);

/**
 * vgpu_window_charge() - add run time to a recent-use window
 * @w: the window
 * @ran_ns: run time that ended at @now_ns
 * @now_ns: the clock
 *
 * Windows are VGPU_SHARE_WINDOW_NS long; the current and the previous one
 * are kept.
 */
void vgpu_window_charge(struct vgpu_busy_window *w, u64 ran_ns, u64 now_ns)
{
	if (now_ns - w->start >= VGPU_SHARE_WINDOW_NS) {
		w->busy[1] = w->busy[0];
		w->busy[0] = 0;
		w->len = now_ns - w->start;
		w->start = now_ns;
	}
	w->busy[0] += ran_ns;
}
EXPORT_SYMBOL_VGPU(vgpu_window_charge);

/**
 * vgpu_window_permille() - recent use per mille of @engines engines' time
 * @w: the window
 * @now_ns: the clock
 * @engines: engines whose time is the whole (at least 1)
 *
 * Return: run time over the current and previous window divided by the
 * time those windows span, times @engines, per mille.
 */
u32 vgpu_window_permille(const struct vgpu_busy_window *w, u64 now_ns,
			 u32 engines)
{
	u64 cap = (now_ns - w->start + w->len) * (engines ? engines : 1);
	u64 busy = w->busy[0] + w->busy[1];

	if (!cap)
		return 0;
	if (busy > cap)
		busy = cap;
	return (u32)(busy * 1000 / cap);
}
EXPORT_SYMBOL_VGPU(vgpu_window_permille);

/**
 * vgpu_sched_index() - a vGPU's index in its partition
 * @p: the partition
 * @e: the vGPU
 *
 * Return: the index, or -1 if it is not in @p.
 */
int vgpu_sched_index(const struct vgpu_sched_part *p,
		     const struct vgpu_sched_entity *e)
{
	u32 i;

	for (i = 0; i < p->n; i++)
		if (p->ent[i] == e)
			return i;
	return -1;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_index);

/**
 * vgpu_sched_account() - charge a slice
 * @p: the partition
 * @idx: the vGPU that ran
 * @ran_ns: how long it ran
 * @now_ns: the clock at the end of the slice
 */
void vgpu_sched_account(struct vgpu_sched_part *p, int idx, u64 ran_ns,
			u64 now_ns)
{
	struct vgpu_sched_entity *e;

	if (idx < 0 || (u32)idx >= p->n)
		return;
	e = p->ent[idx];
	e->busy_ns += ran_ns;
	e->slices++;
	if (p->policy != VGPU_POLICY_BEST_EFFORT)
		e->slot_debt_ns = vgpu_clamp_debt(p, e->slot_debt_ns +
						  (s64)p->timeslice_ns -
						  (s64)ran_ns);
	vgpu_window_charge(&e->win, ran_ns, now_ns);
	e->vtime += ran_ns * VGPU_WEIGHT_MAX / (e->weight ? e->weight : 1);
}
EXPORT_SYMBOL_VGPU(vgpu_sched_account);

/**
 * vgpu_sched_account_idle() - charge an idle slot of equal or fixed share
 * @p: the partition
 * @idle_ns: how long the engine actually stayed idle
 */
void vgpu_sched_account_idle(struct vgpu_sched_part *p, u64 idle_ns)
{
	p->idle_debt_ns = vgpu_clamp_debt(p, p->idle_debt_ns +
					  (s64)p->timeslice_ns -
					  (s64)idle_ns);
}
EXPORT_SYMBOL_VGPU(vgpu_sched_account_idle);

/**
 * vgpu_sched_share_permille() - a vGPU's recent share of its partition
 * @p: the partition
 * @e: the vGPU
 * @now_ns: the clock now
 *
 * Return: its run time over the current and previous window, per mille of
 * the partition's time (elapsed x engines) over that span.
 */
u32 vgpu_sched_share_permille(const struct vgpu_sched_part *p,
			      const struct vgpu_sched_entity *e, u64 now_ns)
{
	return vgpu_window_permille(&e->win, now_ns, p->engines);
}
EXPORT_SYMBOL_VGPU(vgpu_sched_share_permille);
