/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu core: the simulated physical device (the mdev parent), its vGPU types
 * and its vGPU instances.
 */
#ifndef VGPU_CORE_H
#define VGPU_CORE_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/vfio.h>

#include "vgpu_alloc.h"
#include "vgpu_cmd.h"
#include "vgpu_profile.h"

/* Most simulated devices the module creates. */
#define VGPU_MAX_DEVICES	8

struct vgpu;

/* Emulated PCI config space: a PCIe function's 4 KiB. */
#define VGPU_CFG_SIZE		4096

/**
 * struct vgpu_engine - one engine of a device, run by a kernel thread
 * @dev: the device
 * @id: engine number on the device
 * @thread: the engine's kthread, "vgpuN-eM"
 * @rq_lock: protects @rq and every queued vGPU's &vgpu.rq_node
 * @rq: vGPUs with work, served in FIFO order
 * @wq: the thread sleeps here while @rq is empty
 * @run_lock: held by the thread while it runs a vGPU; taking it waits out
 *	      the vGPU in flight
 */
struct vgpu_engine {
	struct vgpu_device *dev;
	unsigned int id;
	struct task_struct *thread;
	spinlock_t rq_lock; /* see above */
	struct list_head rq;
	wait_queue_head_t wq;
	struct mutex run_lock; /* see above */
};

/**
 * struct vgpu_hw_ops - what a device backend does for the core
 * @name: backend name shown in sysfs
 * @window_create: back @vgpu's memory window and fill it with zeros
 * @window_destroy: release the window's backing
 * @window_clear: zero the whole window (reset, new tenant)
 *
 * The core owns policy (which window, which engines); the backend owns
 * mechanism. The sim backend keeps device memory in host pages.
 */
struct vgpu_hw_ops {
	const char *name;
	int (*window_create)(struct vgpu *vgpu);
	void (*window_destroy)(struct vgpu *vgpu);
	void (*window_clear)(struct vgpu *vgpu);
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
 * @hw: device backend
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
 */
struct vgpu_device {
	struct device dev;
	struct mdev_parent parent;
	unsigned int id;
	const struct vgpu_hw_ops *hw;
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
 * struct vgpu - one vGPU instance
 * @vdev: the VFIO device a VM opens
 * @dev: the device it was carved from
 * @mdev: its mdev device, /sys/bus/mdev/devices/UUID
 * @profile: index of its profile in &vgpu_device.profiles
 * @mem_offset: offset of its memory window in device memory
 * @mem_size: size of its memory window
 * @part: index of its engine partition in &vgpu_device.engines
 * @node: entry in &vgpu_device.vgpus, under &vgpu_device.lock
 * @pages: backing pages of the window (sim backend)
 * @nr_pages: entries in @pages
 * @engine: the engine that runs this vGPU's ring
 * @rq_node: entry in &vgpu_engine.rq, under its @rq_lock
 * @schedulable: may be queued on @engine, under its @rq_lock
 * @lock: protects @cfg, @bar, @regs, @exec and @exec_active; held across
 *	  one work unit at a time
 * @cfg: emulated config space
 * @bar: BAR0 and BAR2 address registers as programmed
 * @regs: BAR0 register state
 * @exec: the command in progress
 * @exec_active: @exec holds a command not yet complete
 * @epoch_ns: device clock origin
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
	struct list_head node;

	struct page **pages;
	unsigned long nr_pages;

	struct vgpu_engine *engine;
	struct list_head rq_node;
	bool schedulable;

	struct mutex lock; /* see above */
	u8 cfg[VGPU_CFG_SIZE];
	u64 bar[2];
	struct vgpu_regs regs;
	struct vgpu_exec *exec;
	bool exec_active;
	u64 epoch_ns;

	struct mutex irq_lock; /* protects @req_trigger, @msix_trigger */
	struct eventfd_ctx *req_trigger;
	struct eventfd_ctx *msix_trigger[VGPU_MSIX_VECTORS];
};

static inline struct vgpu_device *to_vgpu_device(struct device *dev)
{
	return container_of(dev, struct vgpu_device, dev);
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

extern const struct vgpu_hw_ops vgpu_sim_ops;
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

/* An allocation that fault injection can fail: NULL instead of @expr. */
#define vgpu_alloc(expr)	(vgpu_inject_fail() ? NULL : (expr))
/* A call returning an errno that fault injection can fail with -ENOMEM. */
#define vgpu_call(expr)		(vgpu_inject_fail() ? -ENOMEM : (expr))

/* vgpu_pci.c: config space */
void vgpu_cfg_init(struct vgpu *vgpu);
int vgpu_cfg_read(struct vgpu *vgpu, u32 off, u32 size, u32 *val);
int vgpu_cfg_write(struct vgpu *vgpu, u32 off, u32 size, u32 val);
bool vgpu_mem_enabled(struct vgpu *vgpu);
bool vgpu_master_enabled(struct vgpu *vgpu);

/* vgpu_regs.c: BAR0 */
u64 vgpu_regs_read(struct vgpu *vgpu, u32 off, u32 size);
bool vgpu_regs_write(struct vgpu *vgpu, u32 off, u32 size, u64 val);
void vgpu_regs_reset(struct vgpu *vgpu);
void vgpu_raise_irq(struct vgpu *vgpu, u32 bits);
u64 vgpu_now_ns(struct vgpu *vgpu);
bool vgpu_ring_runnable(struct vgpu *vgpu);

/* vgpu_irq.c: eventfds behind interrupts */
int vgpu_irq_get_info(unsigned long arg);
int vgpu_irq_set(struct vgpu *vgpu, unsigned long arg);
void vgpu_irq_signal(struct vgpu *vgpu, unsigned int vector);
void vgpu_irq_request(struct vgpu *vgpu, unsigned int count);
void vgpu_irq_release_all(struct vgpu *vgpu);

/* vgpu_engine.c: engine threads */
int vgpu_engines_start(struct vgpu_device *dev);
void vgpu_engines_stop(struct vgpu_device *dev);
void vgpu_engine_attach(struct vgpu *vgpu);
void vgpu_engine_detach(struct vgpu *vgpu);
void vgpu_engine_kick(struct vgpu *vgpu);

/* Function reset: stop the queue, drop work, zero the window. */
void vgpu_function_reset(struct vgpu *vgpu, bool cfg);

int vgpu_resources_get(struct vgpu *vgpu, int profile);
void vgpu_resources_put(struct vgpu *vgpu);
unsigned int vgpu_type_available(struct vgpu_device *dev, int profile);

#endif /* VGPU_CORE_H */
