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
 * averages exactly one time slice. A slot runs at least one work unit, and
 * on a slow host one unit can outlast several slices. The overrun has used
 * the owner's next slots already: an engine that comes to a slot whose
 * owner owes a whole slice, or is still running on another engine, counts
 * the slot as the owner's and goes on to the next one at once. So a vGPU
 * pays its overruns back instead of keeping them, and its slots take no
 * engine time twice. The debt is kept within VGPU_SLOT_DEBT_SLICES slices
 * owed and one slice ahead.
 *
 * Each vGPU may also have a cap, a guarantee and a priority (see "quality
 * of service" below).
 *
 * The recent share a vGPU reports is its run time over the current and the
 * previous window of about VGPU_SHARE_WINDOW_NS, divided by the partition's
 * time (elapsed time x engines) over the span of those two windows.
 */

/**
 * DOC: quality of service
 *
 * Caps and guarantees are per mille of the partition's time (elapsed time x
 * engines), the unit share_permille reports. Both are kept as run-time
 * credit, brought up to date by the clock at every pick and charge:
 *
 * - Cap: a capped vGPU earns cap x elapsed x engines / 1000 of credit all
 *   the time, banks at most one of its slices, and every run is charged to
 *   it. At zero or below it is throttled: no policy picks it until the
 *   credit is positive again, even if the engines would otherwise idle. A
 *   best-effort engine with only throttled work sleeps until the first
 *   credit comes back (&vgpu_sched_pick.retry_ns); an equal- or fixed-share
 *   slot whose owner is throttled stays idle like that of an idle owner.
 *   Since a slice may overrun the credit, it owes the overrun, so over any
 *   span it runs at most its cap plus one slice.
 *
 * - Guarantee (best effort): a busy vGPU earns guarantee x elapsed x engines
 *   / 1000 of credit (none while idle: nothing is banked by idling, and a
 *   positive balance is dropped when it wakes). A busy vGPU with positive
 *   credit is picked before any vGPU picked by virtual time, the largest
 *   credit first, and that slice is paid from the credit, not charged to its
 *   virtual time. The weights therefore share only what the guarantees leave:
 *   a busy vGPU gets its guarantee plus weight / (sum of busy weights) of the
 *   rest, then caps clip that and what they clip goes to the others by
 *   weight. Admission (vgpu_sched_check_guarantee()) keeps the guarantees of
 *   a partition within its whole time and each within one engine (a vGPU
 *   runs on one engine at a time) and its cap. Under equal and fixed share
 *   the slot rounds are the guarantee, and weights and guarantees change
 *   nothing.
 *
 * - Priority (best effort, latency only): a vGPU woken by a doorbell while a
 *   busy vGPU of lower priority is in the partition is boosted: it is picked
 *   before anything else once (caps still hold), and if every engine is
 *   running a slice, the engine whose vGPU has the lowest priority below its
 *   own is told to preempt (vgpu_sched_preempt_victim()), which ends that
 *   slice at its next work-unit boundary. The boosted slice is charged like
 *   any other, so priorities move latency, not shares. With equal
 *   priorities nothing changes.
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
 * busy vGPU furthest behind, so time spent idle is not banked; it drops any
 * guarantee credit it had, and is boosted if it outranks a busy vGPU.
 */
void vgpu_sched_set_busy(struct vgpu_sched_part *p,
			 struct vgpu_sched_entity *e, bool busy)
{
	if (busy && !e->busy) {
		u64 min = vgpu_min_vtime(p, e);
		u32 i;

		if (e->vtime < min)
			e->vtime = min;
		if (e->g_credit > 0)
			e->g_credit = 0;
		for (i = 0; i < p->n; i++)
			if (p->ent[i] != e && p->ent[i]->busy &&
			    p->ent[i]->prio < e->prio)
				e->boost = true;
	}
	if (!busy)
		e->boost = false;
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

static bool vgpu_capped(const struct vgpu_sched_entity *e)
{
	return e->cap_permille && e->cap_permille < VGPU_CAP_NONE;
}

/* Credits are in VGPU_PERMILLE-ths of a ns; @hi_ns is the bank in ns. */
static s64 vgpu_clamp_credit(s64 v, u64 hi_ns)
{
	s64 lo = -(s64)(VGPU_QOS_DEBT_MAX_NS * VGPU_PERMILLE);
	s64 hi = (s64)(hi_ns * VGPU_PERMILLE);

	return v > hi ? hi : v < lo ? lo : v;
}

/* Credit earned at @permille of @engines engines over @dt_ns. */
static s64 vgpu_qos_earned(u32 permille, u32 engines, u64 dt_ns)
{
	return (s64)(dt_ns * permille * (engines ? engines : 1));
}

/* Credit a run of @ran_ns costs. */
static s64 vgpu_qos_cost(u64 ran_ns)
{
	return (s64)(ran_ns * VGPU_PERMILLE);
}

/* Smallest virtual time among busy vGPUs not throttled, skipping @x. */
static u64 vgpu_min_vtime_runnable(const struct vgpu_sched_part *p,
				   const struct vgpu_sched_entity *x)
{
	bool found = false;
	u64 min = x->vtime;
	u32 i;

	for (i = 0; i < p->n; i++) {
		const struct vgpu_sched_entity *e = p->ent[i];

		if (e == x || !e->busy || e->throttled)
			continue;
		if (!found || e->vtime < min)
			min = e->vtime;
		found = true;
	}
	return min;
}

static void vgpu_set_throttled(struct vgpu_sched_part *p,
			       struct vgpu_sched_entity *e)
{
	bool was = e->throttled;

	e->throttled = vgpu_capped(e) && e->cap_credit <= 0;
	/* Like an idle vGPU, a throttled one banks no virtual time. */
	if (was && !e->throttled) {
		u64 min = vgpu_min_vtime_runnable(p, e);

		if (e->vtime < min)
			e->vtime = min;
	}
}

/* Credit caps and guarantees for the time since the last call. */
static void vgpu_qos_advance(struct vgpu_sched_part *p, u64 now_ns)
{
	u64 dt = now_ns > p->clock_ns ? now_ns - p->clock_ns : 0;
	u32 i;

	if (!dt)
		return;
	p->clock_ns = now_ns;
	/* Banks are at most a slice or two: a longer gap earns no more. */
	if (dt > VGPU_TIMESLICE_MAX_NS)
		dt = VGPU_TIMESLICE_MAX_NS;
	for (i = 0; i < p->n; i++) {
		struct vgpu_sched_entity *e = p->ent[i];
		u64 slice = vgpu_slice_of(p, e);

		if (vgpu_capped(e))
			e->cap_credit = vgpu_clamp_credit(e->cap_credit +
				vgpu_qos_earned(e->cap_permille, p->engines, dt),
				slice);
		if (e->guarantee_permille && e->busy)
			e->g_credit = vgpu_clamp_credit(e->g_credit +
				vgpu_qos_earned(e->guarantee_permille,
						p->engines, dt), 2 * slice);
		vgpu_set_throttled(p, e);
	}
}

/* How long until the first throttled busy vGPU may run again; 0: none. */
static u64 vgpu_qos_retry(const struct vgpu_sched_part *p)
{
	u64 best = 0;
	u32 i;

	for (i = 0; i < p->n; i++) {
		const struct vgpu_sched_entity *e = p->ent[i];
		u64 rate = (u64)e->cap_permille * (p->engines ? p->engines : 1);
		u64 ns;

		if (!e->busy || e->running || !e->throttled || !rate)
			continue;
		ns = ((u64)-e->cap_credit + rate - 1) / rate + 1;
		if (!best || ns < best)
			best = ns;
	}
	return best;
}

/*
 * Pick class of a runnable vGPU under best effort: 2 boosted, 1 owed by
 * its guarantee, 0 by virtual time.
 */
static int vgpu_pick_class(const struct vgpu_sched_entity *e)
{
	if (e->boost)
		return 2;
	return e->guarantee_permille && e->g_credit > 0;
}

/* Whether @e goes before @best (ties keep the earlier in rotation). */
static bool vgpu_pick_before(const struct vgpu_sched_entity *e,
			     const struct vgpu_sched_entity *best)
{
	int ce = vgpu_pick_class(e), cb = vgpu_pick_class(best);

	if (ce != cb)
		return ce > cb;
	if (ce == 2)
		return e->prio > best->prio;
	if (ce == 1)
		return e->g_credit > best->g_credit;
	if (e->vtime != best->vtime)
		return e->vtime < best->vtime;
	return e->prio > best->prio;
}

static bool vgpu_runnable(const struct vgpu_sched_entity *e)
{
	return e->busy && !e->running && !e->throttled;
}

static struct vgpu_sched_pick vgpu_pick_best_effort(struct vgpu_sched_part *p)
{
	struct vgpu_sched_pick d = { .idx = -1, .reserved = -1 };
	struct vgpu_sched_entity *e;
	u32 k;

	for (k = 0; k < p->n; k++) {
		u32 i = (p->cursor + k) % p->n;

		e = p->ent[i];
		if (!vgpu_runnable(e))
			continue;
		if (d.idx < 0 || vgpu_pick_before(e, p->ent[d.idx]))
			d.idx = i;
	}
	if (d.idx < 0) {
		d.slice_ns = p->timeslice_ns;
		d.retry_ns = vgpu_qos_retry(p);
		return d;
	}
	e = p->ent[d.idx];
	p->cursor = (d.idx + 1) % p->n;
	d.slice_ns = vgpu_slice_of(p, e);
	e->g_run = e->guarantee_permille && e->g_credit > 0;
	e->boost = false;
	return d;
}

/**
 * vgpu_sched_has_work() - whether a pick would find a vGPU to run now
 * @p: the partition
 *
 * Throttled vGPUs do not count (as of the last pick or charge).
 *
 * Return: true if a busy vGPU is neither running nor throttled.
 */
bool vgpu_sched_has_work(const struct vgpu_sched_part *p)
{
	u32 i;

	for (i = 0; i < p->n; i++)
		if (vgpu_runnable(p->ent[i]))
			return true;
	return false;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_has_work);

/**
 * vgpu_sched_preempt_victim() - whose slice a boosted vGPU cuts short
 * @p: the partition
 * @e: a vGPU that just became busy
 *
 * Under best effort, when @e was boosted and every engine of the partition
 * is running a slice, the running vGPU of lowest priority below @e's (the
 * first such in seat order) should be preempted so that @e runs at the next
 * work-unit boundary.
 *
 * Return: the victim's index in &vgpu_sched_part.ent, or -1 for none.
 */
int vgpu_sched_preempt_victim(const struct vgpu_sched_part *p,
			      const struct vgpu_sched_entity *e)
{
	u32 i, running = 0;
	int victim = -1;

	if (p->policy != VGPU_POLICY_BEST_EFFORT || !e->boost || e->throttled)
		return -1;
	for (i = 0; i < p->n; i++) {
		const struct vgpu_sched_entity *r = p->ent[i];

		if (!r->running)
			continue;
		running++;
		if (r->prio < e->prio &&
		    (victim < 0 || r->prio < p->ent[victim]->prio))
			victim = i;
	}
	return running < p->engines ? -1 : victim;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_preempt_victim);

/**
 * vgpu_sched_guarantee_sum() - the guarantees of a partition, added up
 * @p: the partition
 *
 * Return: the sum of its vGPUs' guarantees, per mille.
 */
u32 vgpu_sched_guarantee_sum(const struct vgpu_sched_part *p)
{
	u32 i, sum = 0;

	for (i = 0; i < p->n; i++)
		sum += p->ent[i]->guarantee_permille;
	return sum;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_guarantee_sum);

/**
 * vgpu_sched_check_guarantee() - admission of a new guarantee
 * @p: the partition
 * @e: the vGPU, in @p
 * @g: its proposed guarantee, per mille of the partition
 * @sum: set to the sum of the other vGPUs' guarantees
 *
 * Return: 0 if @g fits; -ENOSPC if @g and the others' guarantees add up past
 * VGPU_PERMILLE; -ERANGE if @g is more than one engine of the partition
 * (VGPU_PERMILLE / engines: a vGPU runs on one engine at a time); -EINVAL
 * if @g is above the vGPU's cap.
 */
int vgpu_sched_check_guarantee(const struct vgpu_sched_part *p,
			       const struct vgpu_sched_entity *e, u32 g,
			       u32 *sum)
{
	*sum = vgpu_sched_guarantee_sum(p) - e->guarantee_permille;
	if (g > VGPU_PERMILLE / (p->engines ? p->engines : 1))
		return -ERANGE;
	if (vgpu_capped(e) && g > e->cap_permille)
		return -EINVAL;
	if (*sum + g > VGPU_PERMILLE)
		return -ENOSPC;
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_sched_check_guarantee);

/**
 * vgpu_sched_set_cap() - change a vGPU's cap
 * @p: its partition
 * @e: the vGPU
 * @cap: per mille of the partition, VGPU_CAP_NONE for none
 *
 * The new cap starts with no credit and no debt; a vGPU it stops
 * throttling banks no virtual time for the time it was throttled.
 */
void vgpu_sched_set_cap(struct vgpu_sched_part *p,
			struct vgpu_sched_entity *e, u32 cap)
{
	e->cap_permille = cap;
	e->cap_credit = 0;
	vgpu_set_throttled(p, e);
}
EXPORT_SYMBOL_VGPU(vgpu_sched_set_cap);

static const char *const vgpu_prio_names[] = { "low", "normal", "high" };

/**
 * vgpu_prio_name() - the sysfs name of a priority
 * @prio: enum vgpu_prio
 *
 * Return: "low", "normal" or "high", or "?" for an out-of-range value.
 */
const char *vgpu_prio_name(s32 prio)
{
	if (prio < VGPU_PRIO_LOW || prio > VGPU_PRIO_HIGH)
		return "?";
	return vgpu_prio_names[prio - VGPU_PRIO_LOW];
}
EXPORT_SYMBOL_VGPU(vgpu_prio_name);

/**
 * vgpu_prio_parse() - a priority from its name
 * @s: text, not necessarily NUL-terminated; one trailing newline is ignored
 * @len: characters in @s
 *
 * Return: the enum vgpu_prio, or -EINVAL (which is not a priority).
 */
int vgpu_prio_parse(const char *s, size_t len)
{
	int i;

	if (len && s[len - 1] == '\n')
		len--;
	for (i = 0; i <= VGPU_PRIO_HIGH - VGPU_PRIO_LOW; i++)
		if (strlen(vgpu_prio_names[i]) == len &&
		    !memcmp(vgpu_prio_names[i], s, len))
			return i + VGPU_PRIO_LOW;
	return -EINVAL;
}
EXPORT_SYMBOL_VGPU(vgpu_prio_parse);

/* One slice corrected by what earlier slots ran short (or long). */
static u64 vgpu_slot_len(const struct vgpu_sched_part *p, s64 debt)
{
	s64 len = (s64)p->timeslice_ns + debt;

	return len > 0 ? (u64)len : 0;
}

/* Keep a slot debt within one slice ahead and VGPU_SLOT_DEBT_SLICES owed. */
static s64 vgpu_clamp_debt(const struct vgpu_sched_part *p, s64 debt)
{
	s64 lim = (s64)p->timeslice_ns;
	s64 owed = -lim * VGPU_SLOT_DEBT_SLICES;

	return debt > lim ? lim : debt < owed ? owed : debt;
}

/* The owner's overrun used this slot: count it as the owner's. */
static void vgpu_slot_pay(struct vgpu_sched_part *p,
			  struct vgpu_sched_entity *e)
{
	e->slot_debt_ns = vgpu_clamp_debt(p, e->slot_debt_ns +
					  (s64)p->timeslice_ns);
}

static struct vgpu_sched_pick vgpu_pick_slot(struct vgpu_sched_part *p,
					     u32 slots)
{
	struct vgpu_sched_pick d = { .idx = -1, .reserved = -1 };
	struct vgpu_sched_entity *e;
	u32 slot, skips;
	u64 len;

	d.slice_ns = vgpu_slot_len(p, p->idle_debt_ns);
	if (!slots)
		return d;
	/*
	 * Slots whose owner still runs on another engine are skipped for one
	 * round at most, and each other skip pays a slice of a debt of at
	 * most VGPU_SLOT_DEBT_SLICES: the loop ends well within its bound.
	 */
	for (skips = 0; skips < slots * (VGPU_SLOT_DEBT_SLICES + 2); skips++) {
		slot = p->cursor % slots;
		p->cursor = (slot + 1) % slots;
		if (slot >= p->n)
			return d;
		e = p->ent[slot];
		if (e->running && skips < slots) {
			vgpu_slot_pay(p, e);
			continue;
		}
		if (!vgpu_runnable(e)) {
			d.reserved = slot;
			return d;
		}
		len = vgpu_slot_len(p, e->slot_debt_ns);
		if (!len) {
			vgpu_slot_pay(p, e);
			continue;
		}
		d.idx = slot;
		d.slice_ns = len;
		return d;
	}
	return d;
}

/**
 * vgpu_sched_pick() - what an engine of the partition runs next
 * @p: the partition
 * @now_ns: the clock
 *
 * The caller marks the picked vGPU running until it accounts the slice.
 *
 * Return: the decision; idx -1 means idle for slice_ns (or, for best
 * effort, until work arrives or retry_ns passes).
 */
struct vgpu_sched_pick vgpu_sched_pick(struct vgpu_sched_part *p, u64 now_ns)
{
	vgpu_qos_advance(p, now_ns);
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
 *
 * The run is charged to its cap, and either to its guarantee (if it was
 * picked for it) or to its virtual time.
 */
void vgpu_sched_account(struct vgpu_sched_part *p, int idx, u64 ran_ns,
			u64 now_ns)
{
	struct vgpu_sched_entity *e;

	if (idx < 0 || (u32)idx >= p->n)
		return;
	vgpu_qos_advance(p, now_ns);
	e = p->ent[idx];
	e->busy_ns += ran_ns;
	e->slices++;
	if (p->policy != VGPU_POLICY_BEST_EFFORT)
		e->slot_debt_ns = vgpu_clamp_debt(p, e->slot_debt_ns +
						  (s64)p->timeslice_ns -
						  (s64)ran_ns);
	vgpu_window_charge(&e->win, ran_ns, now_ns);
	if (vgpu_capped(e))
		e->cap_credit = vgpu_clamp_credit(e->cap_credit -
						  vgpu_qos_cost(ran_ns),
						  vgpu_slice_of(p, e));
	if (e->g_run && p->policy == VGPU_POLICY_BEST_EFFORT)
		e->g_credit = vgpu_clamp_credit(e->g_credit -
						vgpu_qos_cost(ran_ns),
						2 * vgpu_slice_of(p, e));
	else
		e->vtime += ran_ns * VGPU_WEIGHT_MAX /
			    (e->weight ? e->weight : 1);
	e->g_run = false;
	vgpu_set_throttled(p, e);
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
