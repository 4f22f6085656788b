/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu core: the simulated physical device (the mdev parent), its vGPU types
 * and its vGPU instances.
 */
#ifndef VGPU_CORE_H
#define VGPU_CORE_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "vgpu_compat.h"
#include "lib/vgpu_alloc.h"
#include "lib/vgpu_cmd.h"
#include "lib/vgpu_profile.h"
#include "lib/vgpu_sched_policy.h"
#include "lib/vgpu_state.h"

/* Most simulated devices the module creates. */
#define VGPU_MAX_DEVICES	8

/* Watchdog defaults and limits (sysfs job_timeout_ms, preempt_timeout_us). */
#define VGPU_JOB_TIMEOUT_DEFAULT_MS	10000
#define VGPU_JOB_TIMEOUT_MAX_MS		600000
#define VGPU_PREEMPT_TIMEOUT_DEFAULT_US	2000000
#define VGPU_PREEMPT_TIMEOUT_MAX_US	10000000

struct vgpu;
struct vgpu_stats;

/*
 * DMA into guest memory (vgpu_dma.c): the longest one copy may hold an
 * engine, and the retry back-off of a vGPU whose copy gave up.
 */
#define VGPU_DMA_DEADLINE_NS		(10 * NSEC_PER_MSEC)
#define VGPU_DMA_RETRY_MIN_NS		(1 * NSEC_PER_MSEC)
#define VGPU_DMA_RETRY_MAX_NS		(128 * NSEC_PER_MSEC)

/* Emulated PCI config space: a PCIe function's 4 KiB. */
#define VGPU_CFG_SIZE		4096

/**
 * struct vgpu_prt - the scheduler's view of one engine partition
 * @lock: protects @sp, the &vgpu_sched_entity of every member, the members'
 *	  &vgpu.holds and &vgpu.preemptions, and the @prt pointers of the
 *	  partition's engines
 * @sp: policy state
 * @first: first engine of the partition
 * @count: engines in the partition
 * @picks: slices given so far
 * @done_wq: woken when a member comes off an engine
 */
struct vgpu_prt {
	spinlock_t lock; /* see above */
	struct vgpu_sched_part sp;
	u32 first;
	u32 count;
	u64 picks;
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
 *		  zeros afterwards. Return: 0 or a negative errno, with
 *		  nothing provisioned.
 * @fn_unprovision: take them back; @fn is held off the engines
 * @fn_scrub: zero @fn's whole window (reset, new tenant)
 * @fn_run: run @fn on engine @engine for at most about @budget_ns (a device
 *	    stops at its next preemption point past the budget); set
 *	    *@ran_ns to the time @fn ran, which is what it is charged.
 *	    Return: whether @fn has work left.
 * @fn_preempt: make a run of @fn in progress, or the next one, end at its
 *		next preemption point, and end any wait of it on memory
 *		outside the device now. Any context.
 * @fn_has_work: whether @fn has work for the engines
 * @fn_faulted: whether @fn stopped on a fault that only a reset clears
 * @fn_counters: @fn's execution counters since it was provisioned
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
 * struct vgpu_device - one (simulated) physical device, the parent of vGPUs
 * @dev: the parent device, /sys/class/vgpu/vgpuN
 * @parent: mdev parent embedded in the device
 * @id: N in vgpuN
 * @ops: the device interface
 * @fn_ida: allocates function numbers
 * @fns: function number -> &struct vgpu, for the device; an entry exists
 *	 from provisioning to unprovisioning
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
 *
 * @policy, @timeslice_ns, @job_timeout_ns and @preempt_timeout_ns are
 * written under @lock and read locklessly by the engines.
 */
struct vgpu_device {
	struct device dev;
	struct mdev_parent parent;
	unsigned int id;
	const struct vgpu_device_ops *ops;
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
};

/**
 * struct vgpu_regs - a vGPU's BAR0 register state (see uapi/linux/vgpu.h)
 * @ring_base: ring offset in the window
 * @ring_size: ring entries
 * @ring_ctrl: VGPU_RING_* bits
 * @head: next ring entry the device reads
 * @tail: last tail the guest wrote to the doorbell
 * @fence: last fence value written
 * @completed: commands completed since reset
 * @irq_status: VGPU_IRQ_* bits raised and not acknowledged
 * @irq_mask: VGPU_IRQ_* bits masked
 * @err_code: enum vgpu_error of the fault that halted the ring
 * @err_index: ring index of the faulting command
 * @err_addr: offending address
 * @halted: the ring stopped on an error; only a reset restarts it
 */
struct vgpu_regs {
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
 * struct vgpu_dma_guard - bounds the guest-memory copy of one engine
 * @lock: protects @task and @aborted; taken from the timer's hard interrupt
 * @task: the engine thread copying for the vGPU, NULL if none is
 * @aborted: @task was sent SIGKILL to end the copy
 * @timer: fires at the copy's deadline
 */
struct vgpu_dma_guard {
	spinlock_t lock; /* see above */
	struct task_struct *task;
	bool aborted;
	struct hrtimer timer;
};

/**
 * struct vgpu_stall - a command whose DMA gave up, set aside (vgpu_dma.c)
 * @since_ns: when its DMA first stalled; 0 if it has not
 * @backoff_ns: delay before the latest retry
 * @waiting: set aside until @retry runs; the ring is not runnable
 * @retry: makes the vGPU runnable again and kicks it
 *
 * @since_ns, @backoff_ns and @waiting are protected by &vgpu.lock.
 */
struct vgpu_stall {
	u64 since_ns;
	u64 backoff_ns;
	bool waiting;
	struct delayed_work retry;
};

/**
 * struct vgpu - one vGPU instance
 * @vdev: the VFIO device a VM opens
 * @dev: the device it was carved from
 * @mdev: its mdev device, /sys/bus/mdev/devices/UUID
 * @profile: index of its profile in &vgpu_device.profiles
 * @mem_offset: offset of its memory window in device memory
 * @mem_size: size of its memory window
 * @part: index of its engine partition in &vgpu_device.engines
 * @fn: its function number on the device (the device interface's key)
 * @node: entry in &vgpu_device.vgpus, under &vgpu_device.lock
 * @pages: backing pages of the window (sim backend)
 * @nr_pages: entries in @pages
 * @prt: its partition's scheduler state
 * @se: its scheduling state, under @prt's lock
 * @holds: enum vgpu_hold bits; while any is set the vGPU is not scheduled;
 *	   under @prt's lock (a copy of @ctl_holds)
 * @preemptions: slices that ended with work left, under @prt's lock
 * @kick_ns: when a doorbell made the idle vGPU busy, under @prt's lock
 * @kick_picks: @prt's picks then, under @prt's lock
 * @kicks: doorbells seen by the scheduler, under @prt's lock
 * @ctl_lock: serialises control transitions (vgpu_control.c); protects
 *	      @ctl_holds; taken before @lock
 * @ctl_holds: enum vgpu_hold bits taken and not yet dropped
 * @lock: protects @cfg, @bar, @regs, @exec_active, @exec_gen, @irq_pending,
 *	  @cmd_run_ns, @stats and @stall
 * @unit_lock: held by the engine while it runs a work unit of @exec (which
 *	       only that engine touches); taking it waits out the unit
 * @cfg: emulated config space
 * @bar: BAR0 and BAR2 address registers as programmed
 * @regs: BAR0 register state
 * @exec: the command in progress
 * @exec_active: @exec holds a command not yet complete
 * @exec_gen: bumped whenever the command in progress is dropped
 * @irq_pending: VGPU_IRQ_* raised but not yet signalled (vgpu_irq_flush())
 * @epoch_ns: device clock origin
 * @cmd_run_ns: run time of the command in progress (job timeout)
 * @preempt: vgpu_sim_preempt() asked the run in progress, or the next one,
 *	     to end at its next unit boundary
 * @stats: counters since creation
 * @stall: DMA stall state of the command in progress
 * @dma: bounds the DMA of the engine running the vGPU
 * @irq_lock: protects @req_trigger and @msix_trigger
 * @req_trigger: eventfd signalled to ask the user to release the device
 * @msix_trigger: eventfds of the MSI-X vectors
 */
struct vgpu {
	struct vfio_device vdev;
	struct vgpu_device *dev;
	struct mdev_device *mdev;
	int profile;
	u64 mem_offset;
	u64 mem_size;
	int part;
	u32 fn;
	struct list_head node;

	struct page **pages;
	unsigned long nr_pages;

	struct vgpu_prt *prt;
	struct vgpu_sched_entity se;
	u32 holds;
	u64 preemptions;
	u64 kick_ns;
	u64 kick_picks;
	u64 kicks;

	struct mutex ctl_lock; /* see above */
	u32 ctl_holds;
	struct mutex lock; /* see above */
	struct mutex unit_lock; /* see above */
	u8 cfg[VGPU_CFG_SIZE];
	u64 bar[2];
	struct vgpu_regs regs;
	struct vgpu_exec *exec;
	bool exec_active;
	u64 exec_gen;
	u32 irq_pending;
	u64 epoch_ns;
	u64 cmd_run_ns;
	bool preempt;
	struct vgpu_stats stats;
	struct vgpu_stall stall;
	struct vgpu_dma_guard dma;

	struct mutex irq_lock; /* protects @req_trigger, @msix_trigger */
	struct eventfd_ctx *req_trigger;
	struct eventfd_ctx *msix_trigger[VGPU_MSIX_VECTORS];
};

static inline struct vgpu_device *to_vgpu_device(struct device *dev)
{
	return container_of(dev, struct vgpu_device, dev);
}

/**
 * vgpu_fn() - the vGPU behind a function number, for the device
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

extern const struct vgpu_device_ops vgpu_sim_ops;
extern struct mdev_driver vgpu_mdev_driver;
extern const struct attribute_group *vgpu_device_groups[];
extern const struct attribute_group *vgpu_instance_groups[];

struct vgpu_device *vgpu_device_create(unsigned int id,
				       const struct vgpu_config *cfg);
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

int vgpu_resources_get(struct vgpu *vgpu, int profile);
void vgpu_resources_put(struct vgpu *vgpu);
unsigned int vgpu_type_available(struct vgpu_device *dev, int profile);

#endif /* VGPU_CORE_H */
