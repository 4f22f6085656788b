// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu sysfs: the knobs and counters of parent devices and vGPU instances.
 *
 * Files marked (RW) take writes; every other file is read-only. Writes are
 * validated before anything changes (vgpu_store_u64()).
 */

/**
 * DOC: sysfs tree
 *
 * ::
 *
 *   /sys/class/vgpu/vgpuN/                  parent (simulated physical) device
 *       backend                             "sim"
 *       mem_total_bytes, mem_free_bytes     device memory
 *       engines_total, engines_free         engines in no partition
 *       vgpus                               vGPUs on the device
 *       sched_policy                        best_effort|equal_share|fixed_share
 *       timeslice_us                        default time slice (RW)
 *       job_timeout_ms, preempt_timeout_us  watchdog limits, 0 = none (RW)
 *       engine_utilization_permille         recent busy share of each engine
 *       partitions                          one line per engine partition
 *       mdev_supported_types/vgpu-NAME/     one mdev type per profile
 *           name, description, device_api, available_instances, create
 *
 *   /sys/bus/mdev/devices/UUID/vgpu/        one vGPU
 *       state                               running|faulted|paused|resetting|
 *                                           removing; "pause"/"resume" (RW)
 *       profile                             its type's name
 *       mem_offset_bytes, mem_size_bytes    its memory window
 *       engines                             its partition's engines, "2-3"
 *       partition                           partition index on the parent
 *       partition_users, partition_share    vGPUs in it now / at most
 *       weight, timeslice_us                scheduling (RW)
 *       cap_permille, guarantee_permille    quality of service (RW)
 *       priority                            low|normal|high (RW)
 *       busy_ns, slices, preemptions,       scheduler counters
 *       prio_preemptions
 *       commands, bytes, errors, resets,    execution counters
 *       dma_stalls
 *       share_permille                      recent share of its partition
 *       created_ns                          CLOCK_BOOTTIME at its creation
 *
 * Documentation/ABI/testing/sysfs-class-vgpu is the user-facing contract.
 */
#include <linux/device.h>
#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "core/vgpu_core.h"

#define VGPU_DEV_SHOW(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu_device *dev = to_vgpu_device(d);			\
	ssize_t ret;							\
									\
	mutex_lock(&dev->lock);						\
	ret = sysfs_emit(buf, _fmt "\n", _expr);			\
	mutex_unlock(&dev->lock);					\
	return ret;							\
}									\
static DEVICE_ATTR_RO(_name)

VGPU_DEV_SHOW(backend, "%s", dev->ops->name);
VGPU_DEV_SHOW(mem_total_bytes, "%llu", dev->mem_size);
VGPU_DEV_SHOW(mem_free_bytes, "%llu", vgpu_mem_free_bytes(&dev->mem));
VGPU_DEV_SHOW(engines_total, "%u", dev->num_engines);
VGPU_DEV_SHOW(engines_free, "%u", vgpu_engines_free(&dev->engines));
VGPU_DEV_SHOW(vgpus, "%u", dev->nr_vgpus);

/* The most bytes of an operator's text that a log line quotes. */
#define VGPU_QUOTE_MAX	64

/*
 * How much of @buf (@count bytes from sysfs) a log line quotes, with %*pE so
 * that control bytes, NULs and non-UTF-8 come out escaped: the text without
 * its trailing newline, at most VGPU_QUOTE_MAX bytes.
 */
static int vgpu_quote_len(const char *buf, size_t count)
{
	if (count && buf[count - 1] == '\n')
		count--;
	return min_t(size_t, count, VGPU_QUOTE_MAX);
}

/*
 * Parse the unsigned value an operator wrote to @attr (@count bytes in
 * @buf): 0; -EINVAL for anything but one number with an optional newline
 * (a NUL byte inside it too, which kstrtou64() would stop at); -ERANGE for
 * a number outside @lo-@hi, one that does not fit 64 bits included. Each
 * rejection is logged with the text.
 */
static int vgpu_store_u64(struct device *d, const char *attr, const char *buf,
			  size_t count, u64 lo, u64 hi, u64 *out)
{
	int ret = strnlen(buf, count) == count ? kstrtou64(buf, 0, out) :
						-EINVAL;

	if (ret == -ERANGE) {
		dev_err(d, "%s: '%*pE' is out of range %llu-%llu\n", attr,
			vgpu_quote_len(buf, count), buf, lo, hi);
		return -ERANGE;
	}
	if (ret) {
		dev_err(d, "%s: '%*pE' is not a number\n", attr,
			vgpu_quote_len(buf, count), buf);
		return -EINVAL;
	}
	if (*out < lo || *out > hi) {
		dev_err(d, "%s: %llu is out of range %llu-%llu\n", attr, *out,
			lo, hi);
		return -ERANGE;
	}
	return 0;
}

static ssize_t sched_policy_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vgpu_policy_name(READ_ONCE(to_vgpu_device(d)->policy)));
}

static ssize_t sched_policy_store(struct device *d,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct vgpu_device *dev = to_vgpu_device(d);
	int policy = vgpu_policy_parse(buf, count);

	if (policy < 0) {
		dev_err(d, "sched_policy: '%*pE' is not best_effort, equal_share or fixed_share\n",
			vgpu_quote_len(buf, count), buf);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	WRITE_ONCE(dev->policy, policy);
	vgpu_sched_apply(dev);
	mutex_unlock(&dev->lock);
	return count;
}
static DEVICE_ATTR_RW(sched_policy);

static ssize_t timeslice_us_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(to_vgpu_device(d)->timeslice_ns) /
			  NSEC_PER_USEC);
}

static ssize_t timeslice_us_store(struct device *d,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct vgpu_device *dev = to_vgpu_device(d);
	u64 us;
	int ret;

	ret = vgpu_store_u64(d, "timeslice_us", buf, count,
			     VGPU_TIMESLICE_MIN_NS / NSEC_PER_USEC,
			     VGPU_TIMESLICE_MAX_NS / NSEC_PER_USEC, &us);
	if (ret)
		return ret;
	mutex_lock(&dev->lock);
	WRITE_ONCE(dev->timeslice_ns, us * NSEC_PER_USEC);
	vgpu_sched_apply(dev);
	mutex_unlock(&dev->lock);
	return count;
}
static DEVICE_ATTR_RW(timeslice_us);

/*
 * A watchdog limit kept in ns and shown in @unit ns steps: show it, or
 * store 0..@max steps (0 = no limit).
 */
static ssize_t vgpu_limit_show(char *buf, const u64 *ns, u64 unit)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(*ns) / unit);
}

static ssize_t vgpu_limit_store(struct device *d, const char *name,
				const char *buf, size_t count, u64 max,
				u64 unit, u64 *ns)
{
	struct vgpu_device *dev = to_vgpu_device(d);
	u64 v;
	int ret = vgpu_store_u64(d, name, buf, count, 0, max, &v);

	if (ret)
		return ret;
	/* Written under the device lock, read locklessly by the engines. */
	mutex_lock(&dev->lock);
	WRITE_ONCE(*ns, v * unit);
	mutex_unlock(&dev->lock);
	return count;
}

static ssize_t job_timeout_ms_show(struct device *d,
				   struct device_attribute *attr, char *buf)
{
	return vgpu_limit_show(buf, &to_vgpu_device(d)->job_timeout_ns,
			       NSEC_PER_MSEC);
}

static ssize_t job_timeout_ms_store(struct device *d,
				    struct device_attribute *attr,
				    const char *buf, size_t count)
{
	return vgpu_limit_store(d, "job_timeout_ms", buf, count,
				VGPU_JOB_TIMEOUT_MAX_MS, NSEC_PER_MSEC,
				&to_vgpu_device(d)->job_timeout_ns);
}
static DEVICE_ATTR_RW(job_timeout_ms);

static ssize_t preempt_timeout_us_show(struct device *d,
				       struct device_attribute *attr,
				       char *buf)
{
	return vgpu_limit_show(buf, &to_vgpu_device(d)->preempt_timeout_ns,
			       NSEC_PER_USEC);
}

static ssize_t preempt_timeout_us_store(struct device *d,
					struct device_attribute *attr,
					const char *buf, size_t count)
{
	return vgpu_limit_store(d, "preempt_timeout_us", buf, count,
				VGPU_PREEMPT_TIMEOUT_MAX_US, NSEC_PER_USEC,
				&to_vgpu_device(d)->preempt_timeout_ns);
}
static DEVICE_ATTR_RW(preempt_timeout_us);

static ssize_t engine_utilization_permille_show(struct device *d,
						struct device_attribute *attr,
						char *buf)
{
	struct vgpu_device *dev = to_vgpu_device(d);
	u64 now = ktime_get_ns();
	int len = 0;
	u32 i;

	mutex_lock(&dev->lock);
	for (i = 0; i < dev->num_engines; i++) {
		struct vgpu_engine *e = &dev->engine[i];
		struct vgpu_prt *prt = &dev->prt[0];
		u32 pm;

		/* The window is charged under the serving partition's lock. */
		prt = e->prt ? e->prt : prt;
		spin_lock(&prt->lock);
		pm = vgpu_window_permille(&e->util, now, 1);
		spin_unlock(&prt->lock);
		len += sysfs_emit_at(buf, len, "%s%u", i ? " " : "", pm);
	}
	mutex_unlock(&dev->lock);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(engine_utilization_permille);

static ssize_t partitions_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	struct vgpu_device *dev = to_vgpu_device(d);
	int len = 0;
	u32 i;

	mutex_lock(&dev->lock);
	for (i = 0; i < VGPU_MAX_ENGINES; i++) {
		const struct vgpu_partition *p = &dev->engines.parts[i];

		if (p->profile == VGPU_PART_NONE)
			continue;
		len += sysfs_emit_at(buf, len, "%u %u-%u %s %u/%u\n", i,
				     p->first, p->first + p->count - 1,
				     dev->profiles[p->profile].name, p->users,
				     p->share);
	}
	mutex_unlock(&dev->lock);
	return len;
}
static DEVICE_ATTR_RO(partitions);

static struct attribute *vgpu_device_attrs[] = {
	&dev_attr_sched_policy.attr,
	&dev_attr_timeslice_us.attr,
	&dev_attr_job_timeout_ms.attr,
	&dev_attr_preempt_timeout_us.attr,
	&dev_attr_engine_utilization_permille.attr,
	&dev_attr_partitions.attr,
	&dev_attr_backend.attr,
	&dev_attr_mem_total_bytes.attr,
	&dev_attr_mem_free_bytes.attr,
	&dev_attr_engines_total.attr,
	&dev_attr_engines_free.attr,
	&dev_attr_vgpus.attr,
	NULL,
};

static const struct attribute_group vgpu_device_group = {
	.attrs = vgpu_device_attrs,
};

const struct attribute_group *vgpu_device_groups[] = {
	&vgpu_device_group,
	NULL,
};

/*
 * An instance's window and partition are fixed from creation to removal, so
 * they are read without the parent's lock; only the partition's user count
 * changes and is read under it.
 */
#define VGPU_INST_SHOW(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu *vgpu = dev_get_drvdata(d);				\
									\
	return sysfs_emit(buf, _fmt "\n", _expr);			\
}									\
static DEVICE_ATTR_RO(_name)

VGPU_INST_SHOW(profile, "%s", vgpu_profile_of(vgpu)->name);
VGPU_INST_SHOW(mem_offset_bytes, "%llu", vgpu->mem_offset);
VGPU_INST_SHOW(mem_size_bytes, "%llu", vgpu->mem_size);
VGPU_INST_SHOW(partition, "%d", vgpu->part);
VGPU_INST_SHOW(partition_share, "%u", vgpu_profile_of(vgpu)->share);
VGPU_INST_SHOW(created_ns, "%llu", vgpu->created_ns);

static ssize_t engines_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	const struct vgpu_partition *part;

	part = &vgpu->dev->engines.parts[vgpu->part];
	if (part->count == 1)
		return sysfs_emit(buf, "%u\n", part->first);
	return sysfs_emit(buf, "%u-%u\n", part->first,
			  part->first + part->count - 1);
}
static DEVICE_ATTR_RO(engines);

static ssize_t partition_users_show(struct device *d,
				    struct device_attribute *attr, char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u32 users;

	mutex_lock(&vgpu->dev->lock);
	users = vgpu->dev->engines.parts[vgpu->part].users;
	mutex_unlock(&vgpu->dev->lock);
	return sysfs_emit(buf, "%u\n", users);
}
static DEVICE_ATTR_RO(partition_users);

/* One of the function's counters, from the device. */
static ssize_t vgpu_stat_show(struct device *d, char *buf, size_t field)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	struct vgpu_stats c;

	vgpu->dev->ops->fn_counters(vgpu->dev, vgpu->fn, &c);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&c + field));
}

#define VGPU_STAT_SHOW(_name, _field)					\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return vgpu_stat_show(d, buf, _field);				\
}									\
static DEVICE_ATTR_RO(_name)

VGPU_STAT_SHOW(commands, offsetof(struct vgpu_stats, commands));
VGPU_STAT_SHOW(bytes, offsetof(struct vgpu_stats, bytes));
VGPU_STAT_SHOW(errors, offsetof(struct vgpu_stats, errors));
VGPU_STAT_SHOW(resets, offsetof(struct vgpu_stats, resets));
VGPU_STAT_SHOW(dma_stalls, offsetof(struct vgpu_stats, dma_stalls));

/* What vgpu_sched_read() reads of a vGPU's scheduling state. */
enum vgpu_sched_field {
	VGPU_SCHED_BUSY_NS,
	VGPU_SCHED_SLICES,
	VGPU_SCHED_PREEMPTIONS,
	VGPU_SCHED_WEIGHT,
	VGPU_SCHED_TIMESLICE_US,
	VGPU_SCHED_SHARE_PERMILLE,
	VGPU_SCHED_CAP_PERMILLE,
	VGPU_SCHED_GUARANTEE_PERMILLE,
	VGPU_SCHED_PRIO_PREEMPTIONS,
};

/* Scheduler state under the partition's lock. */
static u64 vgpu_sched_read(struct vgpu *vgpu, enum vgpu_sched_field what)
{
	u64 v = 0;

	spin_lock(&vgpu->prt->lock);
	switch (what) {
	case VGPU_SCHED_BUSY_NS:
		v = vgpu->se.busy_ns;
		break;
	case VGPU_SCHED_SLICES:
		v = vgpu->se.slices;
		break;
	case VGPU_SCHED_PREEMPTIONS:
		v = vgpu->preemptions;
		break;
	case VGPU_SCHED_WEIGHT:
		v = vgpu->se.weight;
		break;
	case VGPU_SCHED_TIMESLICE_US:
		v = vgpu->se.timeslice_ns / NSEC_PER_USEC;
		break;
	case VGPU_SCHED_SHARE_PERMILLE:
		v = vgpu_sched_share_permille(&vgpu->prt->sp, &vgpu->se,
					      ktime_get_ns());
		break;
	case VGPU_SCHED_CAP_PERMILLE:
		v = vgpu->se.cap_permille;
		break;
	case VGPU_SCHED_GUARANTEE_PERMILLE:
		v = vgpu->se.guarantee_permille;
		break;
	case VGPU_SCHED_PRIO_PREEMPTIONS:
		v = vgpu->prio_preemptions;
		break;
	}
	spin_unlock(&vgpu->prt->lock);
	return v;
}

#define VGPU_SCHED_SHOW(_name, _what)					\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",					\
			  vgpu_sched_read(dev_get_drvdata(d), _what));	\
}

VGPU_SCHED_SHOW(busy_ns, VGPU_SCHED_BUSY_NS)
static DEVICE_ATTR_RO(busy_ns);
VGPU_SCHED_SHOW(slices, VGPU_SCHED_SLICES)
static DEVICE_ATTR_RO(slices);
VGPU_SCHED_SHOW(preemptions, VGPU_SCHED_PREEMPTIONS)
static DEVICE_ATTR_RO(preemptions);
VGPU_SCHED_SHOW(share_permille, VGPU_SCHED_SHARE_PERMILLE)
static DEVICE_ATTR_RO(share_permille);
VGPU_SCHED_SHOW(prio_preemptions, VGPU_SCHED_PRIO_PREEMPTIONS)
static DEVICE_ATTR_RO(prio_preemptions);
VGPU_SCHED_SHOW(weight, VGPU_SCHED_WEIGHT)
VGPU_SCHED_SHOW(vgpu_timeslice_us, VGPU_SCHED_TIMESLICE_US)
VGPU_SCHED_SHOW(cap_permille, VGPU_SCHED_CAP_PERMILLE)
VGPU_SCHED_SHOW(guarantee_permille, VGPU_SCHED_GUARANTEE_PERMILLE)

static ssize_t weight_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u64 w;
	int ret;

	ret = vgpu_store_u64(d, "weight", buf, count, VGPU_WEIGHT_MIN,
			     VGPU_WEIGHT_MAX, &w);
	if (ret)
		return ret;
	spin_lock(&vgpu->prt->lock);
	vgpu->se.weight = w;
	spin_unlock(&vgpu->prt->lock);
	return count;
}
static DEVICE_ATTR_RW(weight);

static ssize_t vgpu_timeslice_us_store(struct device *d,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u64 us;
	int ret;

	ret = vgpu_store_u64(d, "timeslice_us", buf, count, 0,
			     VGPU_TIMESLICE_MAX_NS / NSEC_PER_USEC, &us);
	if (ret)
		return ret;
	if (us && us < VGPU_TIMESLICE_MIN_NS / NSEC_PER_USEC) {
		dev_err(d, "timeslice_us: %llu is below %llu (0 = device default)\n",
			us, VGPU_TIMESLICE_MIN_NS / NSEC_PER_USEC);
		return -ERANGE;
	}
	spin_lock(&vgpu->prt->lock);
	vgpu->se.timeslice_ns = us * NSEC_PER_USEC;
	spin_unlock(&vgpu->prt->lock);
	return count;
}

/*
 * Caps and guarantees are checked against each other and the partition's
 * other guarantees under the partition's lock, so two writes cannot both
 * fit on their own and overbook it together.
 */
static ssize_t cap_permille_store(struct device *d,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u32 g;
	u64 cap;
	int ret;

	ret = vgpu_store_u64(d, "cap_permille", buf, count, 1,
			     VGPU_CAP_NONE, &cap);
	if (ret)
		return ret;
	spin_lock(&vgpu->prt->lock);
	g = vgpu->se.guarantee_permille;
	if (cap >= g)
		vgpu_sched_set_cap(&vgpu->prt->sp, &vgpu->se, cap);
	spin_unlock(&vgpu->prt->lock);
	if (cap < g) {
		dev_err(d, "cap_permille: %llu is below its guarantee_permille %u\n",
			cap, g);
		return -EINVAL;
	}
	return count;
}
static DEVICE_ATTR_RW(cap_permille);

static ssize_t guarantee_permille_store(struct device *d,
					struct device_attribute *attr,
					const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u32 sum, cap, engines;
	u64 g;
	int ret;

	ret = vgpu_store_u64(d, "guarantee_permille", buf, count, 0,
			     VGPU_PERMILLE, &g);
	if (ret)
		return ret;
	spin_lock(&vgpu->prt->lock);
	ret = vgpu_sched_check_guarantee(&vgpu->prt->sp, &vgpu->se, g, &sum);
	if (!ret)
		vgpu->se.guarantee_permille = g;
	cap = vgpu->se.cap_permille;
	engines = vgpu->prt->sp.engines;
	spin_unlock(&vgpu->prt->lock);
	switch (ret) {
	case -ENOSPC:
		dev_err(d, "guarantee_permille: %llu does not fit: partition %d's other vGPUs are guaranteed %u of 1000\n",
			g, vgpu->part, sum);
		break;
	case -ERANGE:
		dev_err(d, "guarantee_permille: %llu is more than one of partition %d's %u engines (%u)\n",
			g, vgpu->part, engines, VGPU_PERMILLE / engines);
		break;
	case -EINVAL:
		dev_err(d, "guarantee_permille: %llu is above its cap_permille %u\n",
			g, cap);
		break;
	}
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(guarantee_permille);

static ssize_t priority_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	s32 prio;

	spin_lock(&vgpu->prt->lock);
	prio = vgpu->se.prio;
	spin_unlock(&vgpu->prt->lock);
	return sysfs_emit(buf, "%s\n", vgpu_prio_name(prio));
}

static ssize_t priority_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	int prio = vgpu_prio_parse(buf, count);

	if (prio == -EINVAL) {
		dev_err(d, "priority: '%*pE' is not low, normal or high\n",
			vgpu_quote_len(buf, count), buf);
		return -EINVAL;
	}
	spin_lock(&vgpu->prt->lock);
	vgpu->se.prio = prio;
	spin_unlock(&vgpu->prt->lock);
	return count;
}
static DEVICE_ATTR_RW(priority);

static ssize_t state_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);

	return sysfs_emit(buf, "%s\n",
			  vgpu_state_name(vgpu_control_state(vgpu)));
}

static ssize_t state_store(struct device *d, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	bool pause;

	if (vgpu_state_parse_request(buf, count, &pause)) {
		dev_err(d, "state: '%*pE' is neither pause nor resume\n",
			vgpu_quote_len(buf, count), buf);
		return -EINVAL;
	}
	if (pause)
		vgpu_control_hold(vgpu, VGPU_HOLD_OPERATOR);
	else
		vgpu_control_release(vgpu, VGPU_HOLD_OPERATOR);
	return count;
}
static DEVICE_ATTR_RW(state);

static ssize_t peer_group_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u32 group, id;

	vgpu_peer_info(vgpu, &group, &id);
	return sysfs_emit(buf, "%u\n", group);
}

static ssize_t peer_group_store(struct device *d,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u64 group;
	int ret;

	ret = vgpu_store_u64(d, "peer_group", buf, count, 0,
			     VGPU_PEER_GROUP_MAX, &group);
	if (!ret)
		ret = vgpu_peer_join(vgpu, group);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(peer_group);

static ssize_t peer_id_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct vgpu *vgpu = dev_get_drvdata(d);
	u32 group, id;

	vgpu_peer_info(vgpu, &group, &id);
	if (!group)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u\n", id);
}
static DEVICE_ATTR_RO(peer_id);

VGPU_INST_SHOW(peer_tx_bytes, "%lld", atomic64_read(&vgpu->peer_tx_bytes));
VGPU_INST_SHOW(peer_rx_bytes, "%lld", atomic64_read(&vgpu->peer_rx_bytes));

static struct device_attribute dev_attr_vgpu_timeslice_us =
	__ATTR(timeslice_us, 0644, vgpu_timeslice_us_show,
	       vgpu_timeslice_us_store);

static struct attribute *vgpu_instance_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_weight.attr,
	&dev_attr_vgpu_timeslice_us.attr,
	&dev_attr_cap_permille.attr,
	&dev_attr_guarantee_permille.attr,
	&dev_attr_priority.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_slices.attr,
	&dev_attr_preemptions.attr,
	&dev_attr_prio_preemptions.attr,
	&dev_attr_share_permille.attr,
	&dev_attr_commands.attr,
	&dev_attr_bytes.attr,
	&dev_attr_errors.attr,
	&dev_attr_resets.attr,
	&dev_attr_dma_stalls.attr,
	&dev_attr_peer_group.attr,
	&dev_attr_peer_id.attr,
	&dev_attr_peer_tx_bytes.attr,
	&dev_attr_peer_rx_bytes.attr,
	&dev_attr_profile.attr,
	&dev_attr_mem_offset_bytes.attr,
	&dev_attr_mem_size_bytes.attr,
	&dev_attr_engines.attr,
	&dev_attr_partition.attr,
	&dev_attr_partition_users.attr,
	&dev_attr_partition_share.attr,
	&dev_attr_created_ns.attr,
	NULL,
};

static const struct attribute_group vgpu_instance_group = {
	.name = "vgpu",
	.attrs = vgpu_instance_attrs,
};

const struct attribute_group *vgpu_instance_groups[] = {
	&vgpu_instance_group,
	NULL,
};
