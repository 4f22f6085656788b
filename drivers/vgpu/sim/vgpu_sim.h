/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpu sim device: its functions, what its files call of each other, and
 * what its frontend calls. The core reaches it only through vgpu_sim_ops.
 */
#ifndef VGPU_SIM_H
#define VGPU_SIM_H

#include <linux/pci_regs.h>

#include "core/vgpu_core.h"
#include "lib/vgpu_mig.h"

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
 * @since_ns, @backoff_ns and @waiting are protected by &vgpu_sim_fn.lock.
 */
struct vgpu_stall {
	u64 since_ns;
	u64 backoff_ns;
	bool waiting;
	struct delayed_work retry;
};

struct vgpu_sim_fn;

/**
 * struct vgpu_sim_host - what the frontend that hands a sim function to a VM
 * does for it
 * @signal: signal MSI-X vector @vector of the function to the VM
 * @dma_rw: copy @len bytes between @buf and the VM's memory at I/O virtual
 *	    address @iova. Return: 0, or a negative errno if the address is
 *	    not mapped for that access.
 */
struct vgpu_sim_host {
	void (*signal)(void *data, unsigned int vector);
	int (*dma_rw)(void *data, u64 iova, void *buf, size_t len, bool write);
};

/**
 * struct vgpu_sim_fn - one function of the simulated device
 * @vgpu: the core's record of it (window, profile, device)
 * @host: its frontend's operations, set by vgpu_sim_attach()
 * @host_data: passed to @host
 * @pages: backing pages of the window
 * @nr_pages: entries in @pages
 * @dirty: one bit per page of @pages written since the saver last took it
 *	   (vgpu_save.c); atomic bit operations, no lock
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
 * @stats: counters since provisioning
 * @stall: DMA stall state of the command in progress
 * @dma: bounds the DMA of the engine running the function
 */
struct vgpu_sim_fn {
	struct vgpu *vgpu;
	const struct vgpu_sim_host *host;
	void *host_data;
	struct page **pages;
	unsigned long nr_pages;
	unsigned long *dirty;

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
};

/**
 * vgpu_sim_fn() - the sim function behind a function number
 * @dev: the device
 * @fn: a provisioned function's number
 *
 * Return: the function.
 */
static inline struct vgpu_sim_fn *vgpu_sim_fn(struct vgpu_device *dev, u32 fn)
{
	return vgpu_fn(dev, fn)->hw;
}

/* sim/vgpu_sim.c: provisioning and the frontend's attachment */
extern const struct vgpu_device_ops vgpu_sim_ops;

void vgpu_sim_attach(struct vgpu_sim_fn *sf, const struct vgpu_sim_host *host,
		     void *data);

/* sim/vgpu_pci.c: config space */
void vgpu_cfg_init(struct vgpu_sim_fn *sf);
int vgpu_cfg_read(struct vgpu_sim_fn *sf, u32 off, u32 size, u32 *val);
int vgpu_cfg_write(struct vgpu_sim_fn *sf, u32 off, u32 size, u32 val,
		   bool *reset);

/**
 * vgpu_mem_enabled() - whether the command register enables BAR decoding
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 *
 * Return: true if PCI_COMMAND_MEMORY is set.
 */
static inline bool vgpu_mem_enabled(struct vgpu_sim_fn *sf)
{
	lockdep_assert_held(&sf->lock);
	return sf->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY;
}

/**
 * vgpu_master_enabled() - whether the vGPU may execute and do DMA
 * @sf: the vGPU, with &vgpu_sim_fn.lock held
 *
 * Return: true if PCI_COMMAND_MASTER is set.
 */
static inline bool vgpu_master_enabled(struct vgpu_sim_fn *sf)
{
	lockdep_assert_held(&sf->lock);
	return sf->cfg[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

/* sim/vgpu_regs.c: BAR0 */
u64 vgpu_regs_read(struct vgpu_sim_fn *sf, u32 off, u32 size);
bool vgpu_regs_write(struct vgpu_sim_fn *sf, u32 off, u32 size, u64 val);
void vgpu_regs_reset(struct vgpu_sim_fn *sf);
void vgpu_raise_irq(struct vgpu_sim_fn *sf, u32 bits);
u32 vgpu_irq_take(struct vgpu_sim_fn *sf);
void vgpu_irq_flush(struct vgpu_sim_fn *sf, u32 bits);
void vgpu_exec_drop(struct vgpu_sim_fn *sf);
void vgpu_stall_clear(struct vgpu_sim_fn *sf);
void vgpu_halt(struct vgpu_sim_fn *sf, u32 code, u64 addr);
u64 vgpu_now_ns(struct vgpu_sim_fn *sf);
bool vgpu_ring_runnable(struct vgpu_sim_fn *sf);

/* sim/vgpu_save.c: saved state and the record of pages written */
void vgpu_sim_window_written(struct vgpu_sim_fn *sf, u64 off, u64 len);
unsigned long vgpu_sim_take_dirty(struct vgpu_sim_fn *sf, unsigned long from,
				  unsigned long max, unsigned long *first);
unsigned long vgpu_sim_dirty_count(struct vgpu_sim_fn *sf, unsigned long from,
				   unsigned long to);
void vgpu_sim_mark_all_dirty(struct vgpu_sim_fn *sf);
void vgpu_sim_save(struct vgpu_sim_fn *sf, struct vgpu_mig_state *st);
void vgpu_sim_load(struct vgpu_sim_fn *sf, const struct vgpu_mig_state *st);
void vgpu_sim_page_read(struct vgpu_sim_fn *sf, unsigned long index, void *buf);
void vgpu_sim_page_write(struct vgpu_sim_fn *sf, unsigned long index,
			 const void *buf);

/* sim/vgpu_dma.c: guest memory, bounded in time */
void vgpu_dma_init(struct vgpu_sim_fn *sf);
void vgpu_dma_fini(struct vgpu_sim_fn *sf);
void vgpu_dma_abort(struct vgpu_sim_fn *sf);
int vgpu_dma_rw(struct vgpu_sim_fn *sf, u64 iova, void *buf, size_t len,
		bool write);
void vgpu_dma_stalled(struct vgpu_sim_fn *sf, u64 addr);

/* sim/vgpu_engine.c: the sim device's command engines */
bool vgpu_sim_run(struct vgpu_device *dev, u32 fn, u32 engine, u64 budget_ns,
		  u64 *ran_ns);
void vgpu_sim_preempt(struct vgpu_device *dev, u32 fn);
bool vgpu_sim_has_work(struct vgpu_device *dev, u32 fn);

#endif /* VGPU_SIM_H */
