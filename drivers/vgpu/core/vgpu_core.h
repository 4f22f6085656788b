/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu core: the simulated physical device (the mdev parent), its vGPU types
 * and its vGPU instances.
 */
#ifndef VGPU_CORE_H
#define VGPU_CORE_H

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "vgpu_compat.h"
#include "lib/vgpu_alloc.h"
#include "lib/vgpu_cmd.h"
#include "lib/vgpu_mig.h"
#include "lib/vgpu_profile.h"
#include "lib/vgpu_sched_policy.h"
#include "lib/vgpu_state.h"

/* Most simulated devices the module creates. */
#define VGPU_MAX_DEVICES	8

/* Highest peer group number (sysfs peer_group; 0 is no group). */
#define VGPU_PEER_GROUP_MAX	65535

/* Watchdog defaults and limits (sysfs job_timeout_ms, preempt_timeout_us). */
#define VGPU_JOB_TIMEOUT_DEFAULT_MS	10000
#define VGPU_JOB_TIMEOUT_MAX_MS		600000
#define VGPU_PREEMPT_TIMEOUT_DEFAULT_US	2000000
#define VGPU_PREEMPT_TIMEOUT_MAX_US	10000000

struct vgpu;
struct vgpu_stats;

/**
 * struct vgpu_prt - the scheduler's view of one engine partition
 * @lock: protects @sp, the &vgpu_sched_entity of every member, the members'
 *	  &vgpu.holds, &vgpu.preemptions and &vgpu.prio_preemptions, and the
 *	  @prt pointers of the partition's engines
 * @sp: policy state
 * @first: first engine of the partition
 * @count: engines in the partition
 * @picks: slices given so far
 * @wakes: doorbells that made a member busy; an idle best-effort engine
 *	   picks again when it changes (a capped member's credit may be back)
 * @done_wq: woken when a member comes off an engine
 */
struct vgpu_prt {
	spinlock_t lock; /* see above */
	struct vgpu_sched_part sp;
	u32 first;
	u32 count;
	u64 picks;
	u64 wakes;
	wait_queue_head_t done_wq;
};

/* Scheduler latency samples kept per device for the benchmark (debugfs). */
#define VGPU_SAMPLES	4096

/**
 * struct vgpu_samples - recent scheduler latencies of a device
 * @lock: protects the rest
 * @n: samples taken of each kind (the arrays wrap)
 * @overrun_ns: how far each slice ran past its length (0 if not)
 * @wake_ns: doorbell on an idle vGPU to its first work unit
 * @wake_picks: slices other vGPUs of the partition were given meanwhile
 */
struct vgpu_samples {
	spinlock_t lock; /* see above */
	u64 n[2];
	u32 overrun_ns[VGPU_SAMPLES];
	u32 wake_ns[VGPU_SAMPLES];
	u32 wake_picks[VGPU_SAMPLES];
};

/**
 * struct vgpu_engine - one engine of a device, run by a kernel thread
 * @dev: the device
 * @id: engine number on the device
 * @thread: the engine's kthread, "vgpuN-eM"
 * @wq: the thread sleeps here when it has nothing to run
 * @prt: the partition it serves, NULL if none; written under that
 *	 partition's lock
 * @busy_ns: time spent running vGPUs, under @prt's lock
 * @util: recent busy time, under @prt's lock
 */
struct vgpu_engine {
	struct vgpu_device *dev;
	unsigned int id;
	struct task_struct *thread;
	wait_queue_head_t wq;
	struct vgpu_prt *prt;
	u64 busy_ns;
	struct vgpu_busy_window util;
};

/**
 * struct vgpu_fn_res - what the core provisions for one function
 * @mem_offset: offset of its memory window in device memory
 * @mem_size: size of the window
 * @engine_first: first engine of its partition
 * @engine_count: engines in the partition
 */
struct vgpu_fn_res {
	u64 mem_offset;
	u64 mem_size;
	u32 engine_first;
	u32 engine_count;
};

/**
 * DOC: device interface
 *
 * The core owns policy: which window and which engines a function gets,
 * who runs next and for how long, when a function must stop. The device
 * owns mechanism: executing commands, moving bytes, raising interrupts. The
 * scheduler reaches the device only through these operations, keyed by the
 * function's number on its device (&vgpu.fn), and the device tells the core
 * of new work with vgpu_sched_kick(). Pausing, resuming and stopping are
 * the core's (control holds, vgpu_control.c) plus ->fn_preempt(); resetting a
 * function's registers belongs to whoever emulates them (the mdev frontend
 * for a sim function).
 *
 * The sim device implements the operations in software (sim/). A device
 * that executes work itself fits the same table: ->fn_run() writes "run
 * function F on engine E" to the engine's registers (a world switch) and
 * waits for the device to report that F is idle or for the budget to end,
 * then writes "preempt" and reads back how long F ran; ->fn_preempt() writes
 * "preempt" at once; ->fn_has_work() reads F's doorbell state; ->fn_counters()
 * reads F's counter registers; provisioning programs F's window and engine
 * mask.
 */

/**
 * struct vgpu_device_ops - the device interface: what a device does for the
 * core, for one function at a time
 * @name: device kind, shown in sysfs ("sim")
 * @fn_provision: give function @fn its window and engines; the window reads
 *		  zeros afterwards; set &vgpu.hw if the device keeps an
 *		  object per function. Return: 0 or a negative errno, with
 *		  nothing provisioned.
 * @fn_unprovision: take them back; @fn is held off the engines
 * @fn_scrub: zero @fn's whole window (reset, new tenant)
 * @fn_run: run @fn on engine @engine for at most about @budget_ns (a device
 *	    stops at its next preemption point past the budget); set
 *	    *@ran_ns to the time @fn ran, which is what it is charged.
 *	    Return: whether @fn has work left.
 * @fn_preempt: make a run of @fn in progress, or the next one, end at its
 *		next preemption point, and end any wait of it on memory
 *		outside the device now. Any context, also under
 *		&vgpu_prt.lock (a higher-priority doorbell): it takes no lock
 *		but its own leaf locks.
 * @fn_has_work: whether @fn has work for the engines
 * @fn_faulted: whether @fn stopped on a fault that only a reset clears
 * @fn_counters: @fn's execution counters since it was provisioned
 * @peer_copies: the device executes PEER_COPY between its functions (its
 *		 vGPUs may join peer groups, vgpu_peer.c)
 */
struct vgpu_device_ops {
	const char *name;
	int (*fn_provision)(struct vgpu_device *dev, u32 fn,
			    const struct vgpu_fn_res *res);
	void (*fn_unprovision)(struct vgpu_device *dev, u32 fn);
	void (*fn_scrub)(struct vgpu_device *dev, u32 fn);
	bool (*fn_run)(struct vgpu_device *dev, u32 fn, u32 engine,
		       u64 budget_ns, u64 *ran_ns);
	void (*fn_preempt)(struct vgpu_device *dev, u32 fn);
	bool (*fn_has_work)(struct vgpu_device *dev, u32 fn);
	bool (*fn_faulted)(struct vgpu_device *dev, u32 fn);
	void (*fn_counters)(struct vgpu_device *dev, u32 fn,
			    struct vgpu_stats *c);
	bool peer_copies;
};

/**
 * struct vgpu_type - an mdev type backed by one profile
 * @mtype: the mdev type handed to the mdev core
 * @index: index of the profile in &vgpu_device.profiles
 * @dev: the device offering the type
 */
struct vgpu_type {
	struct mdev_type mtype;
	int index;
	struct vgpu_device *dev;
};

/**
 * struct vgpu_device - one physical device, the parent of vGPUs
 * @dev: the parent device, /sys/class/vgpu/vgpuN
 * @parent: mdev parent embedded in the device (a sim device's frontend)
 * @id: N in vgpuN
 * @ops: the device interface
 * @priv: the device's own object (a PF's &struct vgpu_pf), NULL for sim
 * @fn_ida: allocates function numbers
 * @fns: function number -> &struct vgpu; an entry exists from just before
 *	 provisioning to just after unprovisioning
 * @mem_size: device memory in bytes
 * @num_engines: engines on the device
 * @nr_profiles: number of entries in @profiles
 * @profiles: the vGPU types this device offers
 * @types: one mdev type per profile
 * @type_list: pointers to @types, as mdev_register_parent() wants them
 * @lock: protects @mem, @engines, @vgpus and @nr_vgpus
 * @mem: device memory allocator
 * @engines: engine partition allocator
 * @vgpus: list of &struct vgpu on this device
 * @nr_vgpus: length of @vgpus
 * @engine: the engines, @num_engines of them
 * @prt: scheduler state of each partition slot in @engines
 * @policy: scheduling policy for new slices (enum vgpu_policy)
 * @timeslice_ns: default time slice
 * @job_timeout_ns: longest run time of one command, 0 for no limit
 * @preempt_timeout_ns: longest work unit, 0 for no limit
 * @samples: scheduler latencies for the benchmark
 * @debugfs: /sys/kernel/debug/vgpu/vgpuN
 * @peer_sem: protects @peers and the members' &vgpu.peer_group,
 *	      &vgpu.peer_id and &vgpu.peer_held (vgpu_peer.c); read-held
 *	      by a peer copy while it writes into a member's window
 * @peers: (group * VGPU_MAX_PEERS + peer id) -> &struct vgpu
 *
 * @policy, @timeslice_ns, @job_timeout_ns and @preempt_timeout_ns are
 * written under @lock and read locklessly by the engines.
 */
struct vgpu_device {
	struct device dev;
	struct mdev_parent parent;
	unsigned int id;
	const struct vgpu_device_ops *ops;
	void *priv;
	struct ida fn_ida;
	struct xarray fns;
	u64 mem_size;
	u32 num_engines;
	unsigned int nr_profiles;
	struct vgpu_profile profiles[VGPU_MAX_PROFILES];
	struct vgpu_type types[VGPU_MAX_PROFILES];
	struct mdev_type *type_list[VGPU_MAX_PROFILES];

	/* protects @mem, @engines, @vgpus and @nr_vgpus */
	struct mutex lock;
	struct vgpu_mem_pool mem;
	struct vgpu_engine_pool engines;
	struct list_head vgpus;
	unsigned int nr_vgpus;
	struct vgpu_engine *engine;
	struct vgpu_prt prt[VGPU_MAX_ENGINES];
	u32 policy;
	u64 timeslice_ns;
	u64 job_timeout_ns;
	u64 preempt_timeout_ns;
	struct vgpu_samples samples;
	struct dentry *debugfs;

	struct rw_semaphore peer_sem; /* see above */
	struct xarray peers;
};

/**
 * struct vgpu_stats - a vGPU's counters since creation
 * @commands: commands completed
 * @bytes: bytes moved by work units
 * @errors: faults that halted the ring
 * @resets: function resets and watchdog resets
 * @dma_stalls: DMA copies that gave up their engine (vgpu_dma.c)
 */
struct vgpu_stats {
	u64 commands;
	u64 bytes;
	u64 errors;
	u64 resets;
	u64 dma_stalls;
};

/**
 * struct vgpu - the core's record of one function (a vGPU)
 * @dev: the device it was carved from
 * @profile: index of its profile in &vgpu_device.profiles
 * @mem_offset: offset of its memory window in device memory
 * @mem_size: size of its memory window
 * @part: index of its engine partition in &vgpu_device.engines
 * @fn: its function number on the device (the device interface's key)
 * @hw: the device's own object for the function, set by fn_provision
 * @log: the struct device its messages name (the frontend's)
 * @node: entry in &vgpu_device.vgpus, under &vgpu_device.lock
 * @prt: its partition's scheduler state
 * @se: its scheduling state, under @prt's lock
 * @holds: enum vgpu_hold bits; while any is set the vGPU is not scheduled;
 *	   under @prt's lock (a copy of @ctl_holds)
 * @preemptions: slices that ended with work left, under @prt's lock
 * @prio_preemptions: slices cut short for a vGPU of higher priority, under
 *		      @prt's lock
 * @kick_ns: when a doorbell made the idle vGPU busy, under @prt's lock
 * @kick_picks: @prt's picks then, under @prt's lock
 * @kicks: doorbells seen by the scheduler, under @prt's lock
 * @created_ns: CLOCK_BOOTTIME when vgpu_resources_get() gave it resources
 *		(an mdev vGPU's creation, a VF's profile assignment); set
 *		once before sysfs shows it, read without a lock
 * @ctl_lock: serialises control transitions (vgpu_control.c); protects
 *	      @ctl_holds; taken before any lock of the device's
 * @ctl_holds: enum vgpu_hold bits taken and not yet dropped
 * @peer_group: its peer group, 0 if none; written under
 *		&vgpu_device.peer_sem, read locklessly for registers and sysfs
 * @peer_id: its id in @peer_group, likewise
 * @peer_held: it takes no peer writes (it is held); written under both
 *	       @ctl_lock and &vgpu_device.peer_sem, read under either
 * @peer_tx_bytes: bytes its PEER_COPY commands wrote into peers' windows
 * @peer_rx_bytes: bytes peers' PEER_COPY commands wrote into its window
 *
 * The function's registers, window and command state belong to the device
 * (for a sim function, &struct vgpu_sim_fn behind @hw), its VFIO state to
 * the frontend that hands it to a VM (&struct vgpu_mdev).
 */
struct vgpu {
	struct vgpu_device *dev;
	int profile;
	u64 mem_offset;
	u64 mem_size;
	int part;
	u32 fn;
	void *hw;
	struct device *log;
	struct list_head node;

	struct vgpu_prt *prt;
	struct vgpu_sched_entity se;
	u32 holds;
	u64 preemptions;
	u64 prio_preemptions;
	u64 kick_ns;
	u64 kick_picks;
	u64 kicks;
	u64 created_ns;

	struct mutex ctl_lock; /* see above */
	u32 ctl_holds;

	u32 peer_group;
	u32 peer_id;
	bool peer_held;
	atomic64_t peer_tx_bytes;
	atomic64_t peer_rx_bytes;
};

static inline struct vgpu_device *to_vgpu_device(struct device *dev)
{
	return container_of(dev, struct vgpu_device, dev);
}

/**
 * vgpu_fn() - the core's record behind a function number
 * @dev: the device
 * @fn: a provisioned function's number
 *
 * Return: the vGPU; the device interface is only called for provisioned
 * functions.
 */
static inline struct vgpu *vgpu_fn(struct vgpu_device *dev, u32 fn)
{
	return xa_load(&dev->fns, fn);
}

static inline const struct vgpu_profile *vgpu_profile_of(struct vgpu *vgpu)
{
	return &vgpu->dev->profiles[vgpu->profile];
}

/**
 * vgpu_mig_ident_of() - what a vGPU must match to take a saved state
 * @vgpu: the vGPU
 * @id: filled in: the device interface, its profile, window and peer id
 */
static inline void vgpu_mig_ident_of(struct vgpu *vgpu,
				     struct vgpu_mig_ident *id)
{
	const struct vgpu_profile *p = vgpu_profile_of(vgpu);

	memset(id, 0, sizeof(*id));
	id->dev_major = VGPU_VERSION_MAJOR;
	id->dev_minor = VGPU_VERSION_MINOR;
	id->engines = p->engines;
	id->share = p->share;
	id->window_size = vgpu->mem_size;
	if (READ_ONCE(vgpu->peer_group))
		id->peer = READ_ONCE(vgpu->peer_id) + 1;
	strscpy(id->profile, p->name, sizeof(id->profile));
}

/**
 * vgpu_bitmap_take_run() - take a run of set bits, for the saver of a window
 * @map: pages still to send, @nbits of them
 * @nbits: pages in the window
 * @start: the first page to look at
 * @max: the longest run to take
 * @first: set to the run's first page
 *
 * Clears the run's bits: they are taken.
 *
 * Return: the run's length, 0 if no bit is set from @start on.
 */
static inline unsigned long vgpu_bitmap_take_run(unsigned long *map,
						 unsigned long nbits,
						 unsigned long start,
						 unsigned long max,
						 unsigned long *first)
{
	unsigned long p = find_next_bit(map, nbits, start);
	unsigned long end;

	if (p >= nbits)
		return 0;
	end = find_next_zero_bit(map, min(nbits, p + max), p);
	bitmap_clear(map, p, end - p);
	*first = p;
	return end - p;
}

/**
 * struct vgpu_config - what the module parameters asked for, validated
 * @mem_size: memory of each device in bytes
 * @num_engines: engines of each device
 * @nr_profiles: entries in @profiles
 * @profiles: the vGPU types of each device
 */
struct vgpu_config {
	u64 mem_size;
	u32 num_engines;
	unsigned int nr_profiles;
	struct vgpu_profile profiles[VGPU_MAX_PROFILES];
};

extern const struct attribute_group *vgpu_device_groups[];
extern const struct attribute_group *vgpu_instance_groups[];

struct vgpu_device *vgpu_device_create(struct device *parent,
				       const struct vgpu_config *cfg,
				       const struct vgpu_device_ops *ops,
				       void *priv);
void vgpu_device_destroy(struct vgpu_device *vdev);
int vgpu_class_register(void);
void vgpu_class_unregister(void);

/* vgpu_fault.c: fault injection points */
#ifdef CONFIG_FAULT_INJECTION
bool vgpu_inject_fail(void);
#else
static inline bool vgpu_inject_fail(void)
{
	return false;
}
#endif
void vgpu_fault_init(void);
void vgpu_fault_exit(void);
struct dentry *vgpu_debugfs_root(void);

/* An allocation that fault injection can fail: NULL instead of @expr. */
#define vgpu_alloc(expr)	(vgpu_inject_fail() ? NULL : (expr))
/* A call returning an errno that fault injection can fail with -ENOMEM. */
#define vgpu_call(expr)		(vgpu_inject_fail() ? -ENOMEM : (expr))

/* vgpu_sched.c: engine threads and partitions */
int vgpu_engines_start(struct vgpu_device *dev);
void vgpu_engines_stop(struct vgpu_device *dev);
void vgpu_sched_join(struct vgpu *vgpu, bool new_partition);
void vgpu_sched_leave(struct vgpu *vgpu, bool last);
void vgpu_sched_kick(struct vgpu *vgpu);
void vgpu_sched_hold(struct vgpu *vgpu, u32 holds);
void vgpu_sched_apply(struct vgpu_device *dev);
void vgpu_sched_debugfs_init(struct vgpu_device *dev);
void vgpu_sched_debugfs_exit(struct vgpu_device *dev);

/* vgpu_control.c: control state transitions */
void vgpu_control_hold(struct vgpu *vgpu, u32 why);
void vgpu_control_release(struct vgpu *vgpu, u32 why);
enum vgpu_state vgpu_control_state(struct vgpu *vgpu);

/* vgpu_peer.c: peer groups */
int vgpu_peer_join(struct vgpu *vgpu, u32 group);
void vgpu_peer_hold(struct vgpu *vgpu, bool held);
struct vgpu *vgpu_peer_get(struct vgpu *vgpu, u32 peer, int *err);
void vgpu_peer_put(struct vgpu *vgpu);
u32 vgpu_peer_info(struct vgpu *vgpu, u32 *group, u32 *id);

int vgpu_resources_get(struct vgpu *vgpu, int profile, int fn);
void vgpu_resources_put(struct vgpu *vgpu);
unsigned int vgpu_type_available(struct vgpu_device *dev, int profile);

#endif /* VGPU_CORE_H */
