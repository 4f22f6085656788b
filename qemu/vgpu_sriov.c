/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vgpu SR-IOV device model: the physical device behind the vgpu project's
 * driver, as a PCIe device with SR-IOV.
 *
 * -device vgpu-pf is the physical function (PF, 5e5e:0002, class 0x1200).
 * Its register interface is specified in the vgpu project's
 * Documentation/pf-interface.rst, with the numbers in
 * include/uapi/linux/vgpu_pf.h: device memory, engines, per-VF provisioning
 * (a window in device memory, an engine mask, a profile) and runs of a VF's
 * command ring on an engine, which only the PF driver starts.
 *
 * Its virtual functions (vgpu-vf, 5e5e:0001, created by the PF and never by
 * the user) are vGPUs: the register file of include/uapi/linux/vgpu.h in
 * BAR0 (MSI-X table and PBA in the same BAR), the VF's window in BAR2, a
 * PCIe endpoint with Function Level Reset.  A VF behaves as the project's
 * in-kernel simulated device (drivers/vgpu/sim) does, register for
 * register, so the same guest driver and VFIO programs work on both; the
 * commands are executed by the project's own pure code
 * (drivers/vgpu/lib/vgpu_cmd*.c), compiled in unmodified.
 *
 * Execution.  Each engine is a thread.  A RUN write hands it a VF; it runs
 * that VF's work units one after the other, without the BQL, until the
 * budget is spent, the ring has no work left, or a preemption or reset
 * ends the run.  Window accesses go straight to the device memory (a RAM
 * block); the VF's DMA goes through pci_dma_rw() on the VF, so through
 * intel-iommu when the machine has one.
 *
 * Locking.  Each engine has a mutex for its registers and each VF one for
 * its registers and ring state; order: BQL, then an engine's lock, then a
 * VF's lock.  Engine threads never take the BQL, so that code holding it
 * (an MMIO or config access, a reset) may wait for a run to end.  What
 * needs the BQL is handed to bottom halves, which run with it in the main
 * loop: raising MSI-X interrupts, and DMA (it may reach MMIO, and an IOMMU
 * fault raises the IOMMU's interrupt, both of which want the BQL).  An
 * engine waits for its DMA bottom half; when the VF must stop meanwhile (a
 * reset, a preemption) it abandons the DMA not yet started, and the work
 * unit leaves no trace and runs again later, as the executor allows
 * (VGPU_STEP_STALL).
 *
 * Save and restore (interface 1.1).  The PF driver migrates a VF itself:
 * STATE_CMD = SAVE encodes the vGPU state of a VF that is off the engines
 * into the PF's state page, LOAD checks such an image as the VF's
 * registers would check a guest's writes and gives it to the VF, and the
 * device memory aperture (PF BAR2) lets the driver copy the VF's window.
 * The state page, the STATE_* registers and the aperture are the PF's and
 * are touched only with the BQL held (PF MMIO, reset).  Interface 1.2 adds
 * a dirty page log per VF window, so that the driver can copy a window
 * while its VM runs and then only what was written since.  QEMU's own vmstate
 * of the two devices stays unmigratable: a VM that holds the PF is not
 * migrated, its VFs' tenants are, through the PF driver.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/host-utils.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_sriov.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/dma.h"

/* The project's executor and interface headers (hw/misc/vgpu/...). */
#include "lib/vgpu_cmd.h"
#include <linux/vgpu.h>
#include <linux/vgpu_pf.h>

#define TYPE_VGPU_PF "vgpu-pf"
#define TYPE_VGPU_VF "vgpu-vf"

OBJECT_DECLARE_SIMPLE_TYPE(VgpuPfState, VGPU_PF)
OBJECT_DECLARE_SIMPLE_TYPE(VgpuVfState, VGPU_VF)

/* Config space layout of both functions. */
#define VGPU_CAP_EXP            0x40
#define VGPU_CAP_MSIX           0x80
#define VGPU_CAP_ARI            0x100
#define VGPU_CAP_SRIOV          0x110   /* PF only */

/* SR-IOV routing: VF n (from 1) is function PF + 1 + (n - 1). */
#define VGPU_VF_OFFSET          1
#define VGPU_VF_STRIDE          1

#define VGPU_PF_VERSION         (VGPU_PF_VERSION_MAJOR << 16 | \
                                 VGPU_PF_VERSION_MINOR)
#define VGPU_VF_VERSION         (VGPU_VERSION_MAJOR << 16 | VGPU_VERSION_MINOR)

/* Property defaults and limits. */
#define VGPU_DEF_MEM_SIZE       (512 * MiB)
#define VGPU_DEF_ENGINES        8
#define VGPU_DEF_VFS            4
#define VGPU_DEF_BAR2_SIZE      (128 * MiB)
#define VGPU_MAX_BAR2_SIZE      (1 * GiB)

typedef struct VgpuEngine VgpuEngine;
typedef struct VgpuFn VgpuFn;

/* A VF's DMA request, handed from its engine to its DMA bottom half. */
typedef enum VgpuDmaState {
    VGPU_DMA_IDLE,
    VGPU_DMA_PENDING,           /* asked for, the bottom half not yet in */
    VGPU_DMA_BUSY,              /* the bottom half is doing it */
    VGPU_DMA_DONE,              /* dma_res is the outcome */
} VgpuDmaState;

/*
 * A VF's vGPU register state (include/uapi/linux/vgpu.h), as the sim's
 * struct vgpu_regs.
 */
typedef struct VgpuRegs {
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t ring_ctrl;
    uint32_t head;
    uint32_t tail;
    uint64_t fence;
    uint64_t completed;
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t err_code;
    uint32_t err_index;
    uint64_t err_addr;
    bool halted;
} VgpuRegs;

/*
 * One VF as the device sees it.  It lives in the PF, so that the PF's
 * registers reach it whether or not the VF is enabled; the vgpu-vf device
 * (@dev) is its PCI face.
 *
 * @lock protects everything below it.  The provisioning fields are written
 * with the BQL held as well, and only while no engine runs the VF, so an
 * engine that runs it may read them without the lock.  @exec is touched
 * only by the engine that runs the VF.
 */
struct VgpuFn {
    struct VgpuPfState *pf;
    PCIDevice *dev;
    struct VgpuVfState *vf;
    unsigned n;                 /* VF number, from 1 */
    struct vgpu_exec *exec;

    QemuMutex lock;
    QemuCond cond;              /* signalled when a run of the VF ends */

    /* Provisioning (PF registers). */
    uint64_t win_base;
    uint64_t win_size;
    uint32_t engines;
    uint32_t profile;
    bool provisioned;

    /* The vGPU (VF BAR0 registers) and its ring. */
    VgpuRegs regs;
    uint64_t epoch_ns;
    bool exec_active;           /* @exec holds a command not yet complete */
    uint64_t exec_gen;          /* bumped whenever that command is dropped */
    uint64_t cmd_run_ns;        /* run time of that command (job timeout) */

    /* Scheduling. */
    int engine;                 /* the engine running it, -1 if none */
    unsigned blocked;           /* resets in progress: no RUN, runs end */
    bool preempt;               /* PREEMPT written: end the (next) run */

    /* PF view: EVENT and the counters since provisioning. */
    uint32_t event;
    uint64_t commands;
    uint64_t bytes;
    uint64_t errors;
    uint64_t resets;
    uint64_t busy_ns;

    /* Interrupts raised under @lock, delivered once it is dropped. */
    uint32_t irq_pending;       /* VGPU_IRQ_* of the VF */
    bool pf_event_pending;      /* VGPU_PF_IRQ_EVENT of the PF */

    /* A DMA of the running engine, done by @dma_bh (under @lock). */
    QEMUBH *dma_bh;
    QemuCond dma_cond;          /* DMA done; or the run must stop */
    VgpuDmaState dma_state;
    uint64_t dma_addr;
    void *dma_buf;
    size_t dma_len;
    DMADirection dma_dir;
    MemTxResult dma_res;

    /* VGPU_IRQ_* for the PF's irq_bh to signal (atomic). */
    uint32_t irq_fire;

    /* Dirty page log of the window (interface 1.2; BQL). */
    bool tracking;
    uint64_t track_base;        /* the window when the log started */
    uint64_t track_pages;
};

/* One engine: its registers (@lock) and the thread that runs VFs. */
struct VgpuEngine {
    struct VgpuPfState *pf;
    unsigned idx;
    QemuThread thread;
    QemuMutex lock;
    QemuCond cond;              /* a run was requested, a run ended, stop */

    uint32_t status;            /* VGPU_PF_ENG_STATUS_* */
    uint64_t budget_ns;
    uint64_t ran_ns;
    uint64_t busy_ns;
    uint64_t runs;
    uint32_t last_vf;
    uint32_t run_vf;            /* VF of the run requested, 0 if none */
    uint64_t run_budget_ns;     /* BUDGET_NS when RUN was written */
    bool preempt;
    bool stop;
};

struct VgpuPfState {
    PCIDevice parent_obj;

    /* Properties. */
    uint64_t mem_size;
    uint32_t nr_engines;
    uint16_t nr_vfs;
    uint64_t vf_bar2_size;

    MemoryRegion mem;           /* device memory */
    uint8_t *mem_ptr;
    MemoryRegion bar0;
    MemoryRegion regs;
    uint64_t epoch_ns;

    /* BAR2: device memory from aperture_base (BQL). */
    MemoryRegion aperture;      /* container of VGPU_PF_APERTURE_SIZE */
    MemoryRegion aperture_zero; /* beyond device memory: reads 0 */
    MemoryRegion aperture_mem;  /* alias of s->mem from aperture_base */
    uint64_t aperture_base;

    /* VF state save and restore (BQL). */
    uint8_t state[VGPU_PF_STATE_PAGE_SIZE];
    uint32_t state_vf;
    uint32_t state_result;
    uint32_t state_arg;
    uint32_t state_count;

    /* Atomic: engines raise interrupts without the BQL. */
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t irq_fire;          /* VGPU_PF_IRQ_* for irq_bh to signal */
    QEMUBH *irq_bh;             /* signals MSI-X vectors of PF and VFs */

    /* Read by the engines without a lock. */
    uint64_t job_timeout_ns;
    uint64_t unit_timeout_ns;

    VgpuFn *fns;                /* nr_vfs */
    VgpuEngine *engines;        /* nr_engines */
    bool threads_started;
};

struct VgpuVfState {
    PCIDevice parent_obj;

    VgpuFn *fn;
    MemoryRegion bar0;
    MemoryRegion regs;
    MemoryRegion bar2;          /* container of VF_BAR2_SIZE */
    MemoryRegion bar2_zero;     /* reads 0, ignores writes */
    MemoryRegion window;        /* alias of the window, when provisioned */
};

static uint64_t vgpu_clock_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

static uint32_t vgpu_lo(uint64_t v)
{
    return (uint32_t)v;
}

static uint32_t vgpu_hi(uint64_t v)
{
    return v >> 32;
}

/* Replace the half of @reg that dword offset @off (0 or 4) names. */
static void vgpu_set_half(uint64_t *reg, unsigned off, uint32_t val)
{
    if (off & 4) {
        *reg = (*reg & 0xffffffffULL) | (uint64_t)val << 32;
    } else {
        *reg = (*reg & ~0xffffffffULL) | val;
    }
}

/*
 * Byte-exact register access on top of dword handlers, as the sim does
 * it: a read of 1 to 8 bytes at any offset assembles the bytes from the
 * dwords it covers; an 8-byte write at a 4-aligned offset writes two
 * dwords (low first); a narrower write merges into the dword's current
 * value, except that write-1-to-clear dwords take only the bytes written.
 */
typedef uint32_t VgpuRead32(void *opaque, uint32_t off, uint64_t now);
typedef bool VgpuWrite32(void *opaque, uint32_t off, uint32_t val);

static uint64_t vgpu_read_bytes(VgpuRead32 *rd, void *opaque, uint32_t off,
                                unsigned size, uint64_t now)
{
    uint64_t val = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        uint32_t o = off + i;
        uint32_t dw = rd(opaque, o & ~3u, now);

        val |= (uint64_t)((dw >> ((o & 3) * 8)) & 0xff) << (8 * i);
    }
    return val;
}

static bool vgpu_write_bytes(VgpuRead32 *rd, VgpuWrite32 *wr,
                             bool (*is_w1c)(uint32_t off), void *opaque,
                             uint32_t off, unsigned size, uint64_t val,
                             uint64_t now)
{
    bool ret = false;
    unsigned i;

    if (size == 8 && !(off & 3)) {
        ret = wr(opaque, off, (uint32_t)val);
        return wr(opaque, off + 4, val >> 32) || ret;
    }
    for (i = 0; i < size;) {
        uint32_t o = off + i, base = o & ~3u, shift = (o & 3) * 8;
        uint32_t n = MIN(size - i, 4 - (o & 3));
        uint32_t mask = (n == 4 ? ~0u : ((1u << (n * 8)) - 1)) << shift;
        uint32_t part = (uint32_t)(val >> (8 * i)) << shift;
        uint32_t cur = 0;

        if (n != 4 && !is_w1c(base)) {
            cur = rd(opaque, base, now);
        }
        ret |= wr(opaque, base, (cur & ~mask) | (part & mask));
        i += n;
    }
    return ret;
}

/* ------------------------------------------------------------------------ */
/* Interrupts */

/* Signal PF vectors of VGPU_PF_IRQ_* @bits; BQL held. */
static void vgpu_pf_notify(VgpuPfState *s, uint32_t bits)
{
    if (bits & VGPU_PF_IRQ_ENGINE) {
        msix_notify(PCI_DEVICE(s), VGPU_PF_MSIX_ENGINE);
    }
    if (bits & VGPU_PF_IRQ_EVENT) {
        msix_notify(PCI_DEVICE(s), VGPU_PF_MSIX_EVENT);
    }
}

/* Signal VF vectors of VGPU_IRQ_* @bits; BQL held. */
static void vgpu_fn_notify(VgpuFn *fn, uint32_t bits)
{
    if (!fn->dev) {
        return;
    }
    if (bits & VGPU_IRQ_COMPLETION) {
        msix_notify(fn->dev, VGPU_MSIX_COMPLETION);
    }
    if (bits & VGPU_IRQ_ERROR) {
        msix_notify(fn->dev, VGPU_MSIX_ERROR);
    }
}

/* The vectors engines asked for, signalled in the main loop. */
static void vgpu_pf_irq_bh(void *opaque)
{
    VgpuPfState *s = opaque;
    uint32_t bits;
    unsigned i;

    for (i = 0; i < s->nr_vfs; i++) {
        bits = qatomic_xchg(&s->fns[i].irq_fire, 0);
        if (bits) {
            vgpu_fn_notify(&s->fns[i], bits);
        }
    }
    bits = qatomic_xchg(&s->irq_fire, 0);
    if (bits) {
        vgpu_pf_notify(s, bits);
    }
}

/*
 * Signal the PF vectors of @bits that IRQ_MASK does not mask: now if the
 * caller holds the BQL, else from irq_bh.  Any thread.
 */
static void vgpu_pf_fire(VgpuPfState *s, uint32_t bits)
{
    bits &= ~qatomic_read(&s->irq_mask);
    if (!bits) {
        return;
    }
    if (bql_locked()) {
        vgpu_pf_notify(s, bits);
    } else {
        qatomic_or(&s->irq_fire, bits);
        qemu_bh_schedule(s->irq_bh);
    }
}

/* Latch PF interrupt sources and signal the unmasked ones; any thread. */
static void vgpu_pf_raise(VgpuPfState *s, uint32_t bits)
{
    qatomic_or(&s->irq_status, bits);
    vgpu_pf_fire(s, bits);
}

/* Latch VF interrupt sources; delivered by vgpu_fn_flush(). fn->lock held. */
static void vgpu_fn_raise_irq(VgpuFn *fn, uint32_t bits)
{
    fn->regs.irq_status |= bits;
    fn->irq_pending |= bits & ~fn->regs.irq_mask;
}

/* Set EVENT bits; new ones raise the PF's EVENT interrupt. fn->lock held. */
static void vgpu_fn_event(VgpuFn *fn, uint32_t bits)
{
    if (bits & ~fn->event) {
        fn->pf_event_pending = true;
    }
    fn->event |= bits;
}

/*
 * Take what vgpu_fn_raise_irq() and vgpu_fn_event() queued (fn->lock
 * held) and deliver it once the lock is dropped (vgpu_fn_flush(), any
 * thread).
 */
typedef struct VgpuIrqs {
    uint32_t vf;
    bool pf_event;
} VgpuIrqs;

static VgpuIrqs vgpu_fn_take_irqs(VgpuFn *fn)
{
    VgpuIrqs irqs = { fn->irq_pending, fn->pf_event_pending };

    fn->irq_pending = 0;
    fn->pf_event_pending = false;
    return irqs;
}

static void vgpu_fn_flush(VgpuFn *fn, VgpuIrqs irqs)
{
    if (irqs.vf) {
        if (bql_locked()) {
            vgpu_fn_notify(fn, irqs.vf);
        } else {
            qatomic_or(&fn->irq_fire, irqs.vf);
            qemu_bh_schedule(fn->pf->irq_bh);
        }
    }
    if (irqs.pf_event) {
        vgpu_pf_raise(fn->pf, VGPU_PF_IRQ_EVENT);
    }
}

/* ------------------------------------------------------------------------ */
/* A VF's ring state (the sim's vgpu_regs.c), fn->lock held throughout */

static uint64_t vgpu_fn_now(VgpuFn *fn)
{
    return vgpu_clock_ns() - qatomic_read(&fn->epoch_ns);
}

static uint64_t vgpu_fn_window(VgpuFn *fn)
{
    return fn->provisioned ? fn->win_size : 0;
}

/* Bus mastering on: the VF may execute and do DMA. */
static bool vgpu_fn_master(VgpuFn *fn)
{
    return fn->dev &&
           (qatomic_read(&fn->dev->config[PCI_COMMAND]) & PCI_COMMAND_MASTER);
}

/*
 * Whether an engine has work to do for the VF: provisioned, not being
 * reset, bus mastering on, not halted, and a command in progress (it
 * finishes even once the ring is disabled) or waiting.
 */
static bool vgpu_fn_runnable(VgpuFn *fn)
{
    const VgpuRegs *r = &fn->regs;

    if (!fn->provisioned || fn->blocked || r->halted || !vgpu_fn_master(fn)) {
        return false;
    }
    return fn->exec_active ||
           ((r->ring_ctrl & VGPU_RING_ENABLE) && r->head != r->tail);
}

/* Abandon the command in progress; a unit running now is discarded. */
static void vgpu_fn_exec_drop(VgpuFn *fn)
{
    fn->exec_active = false;
    fn->exec_gen++;
}

/* Register defaults, nothing pending, the clock from 0. */
static void vgpu_fn_regs_reset(VgpuFn *fn)
{
    memset(&fn->regs, 0, sizeof(fn->regs));
    vgpu_fn_exec_drop(fn);
    fn->irq_pending = 0;
    fn->preempt = false;
    qatomic_set(&fn->epoch_ns, vgpu_clock_ns());
}

/* Stop the ring on a fault until a reset. */
static void vgpu_fn_halt(VgpuFn *fn, uint32_t code, uint64_t addr)
{
    VgpuRegs *r = &fn->regs;

    r->err_code = code;
    r->err_index = r->head;
    r->err_addr = addr;
    r->halted = true;
    vgpu_fn_exec_drop(fn);
    fn->errors++;
    vgpu_fn_raise_irq(fn, VGPU_IRQ_ERROR);
    vgpu_fn_event(fn, VGPU_PF_VF_EVENT_HALT);
}

/* Work arrived: tell the PF unless an engine runs the VF already. */
static void vgpu_fn_kick(VgpuFn *fn)
{
    if (fn->engine < 0 && vgpu_fn_runnable(fn)) {
        vgpu_fn_event(fn, VGPU_PF_VF_EVENT_DOORBELL);
    }
}

static uint32_t vgpu_vf_reg32(void *opaque, uint32_t off, uint64_t now)
{
    VgpuFn *fn = opaque;
    const VgpuRegs *r = &fn->regs;
    uint32_t status;

    switch (off) {
    case VGPU_REG_ID:
        return VGPU_ID_MAGIC;
    case VGPU_REG_VERSION:
        return VGPU_VF_VERSION;
    case VGPU_REG_CAPS:
        return vgpu_caps();
    case VGPU_REG_ENGINES:
        return fn->provisioned ? ctpop32(fn->engines) : 0;
    case VGPU_REG_WINDOW_SIZE:
        return vgpu_lo(vgpu_fn_window(fn));
    case VGPU_REG_WINDOW_SIZE + 4:
        return vgpu_hi(vgpu_fn_window(fn));
    case VGPU_REG_UNIT_BYTES:
        return VGPU_UNIT_BYTES;
    case VGPU_REG_UNIT_TILE:
        return VGPU_GEMM_TILE;
    case VGPU_REG_RING_BASE:
        return vgpu_lo(r->ring_base);
    case VGPU_REG_RING_BASE + 4:
        return vgpu_hi(r->ring_base);
    case VGPU_REG_RING_SIZE:
        return r->ring_size;
    case VGPU_REG_RING_CTRL:
        return r->ring_ctrl;
    case VGPU_REG_RING_HEAD:
        return r->head;
    case VGPU_REG_RING_TAIL:
        return r->tail;
    case VGPU_REG_FENCE:
        return vgpu_lo(r->fence);
    case VGPU_REG_FENCE + 4:
        return vgpu_hi(r->fence);
    case VGPU_REG_IRQ_STATUS:
        return r->irq_status;
    case VGPU_REG_IRQ_MASK:
        return r->irq_mask;
    case VGPU_REG_ERR_CODE:
        return r->err_code;
    case VGPU_REG_ERR_INDEX:
        return r->err_index;
    case VGPU_REG_ERR_ADDR:
        return vgpu_lo(r->err_addr);
    case VGPU_REG_ERR_ADDR + 4:
        return vgpu_hi(r->err_addr);
    case VGPU_REG_STATUS:
        status = r->halted ? VGPU_STATUS_HALTED : 0;
        if ((r->ring_ctrl & VGPU_RING_ENABLE) && !r->halted) {
            status |= VGPU_STATUS_RUNNING;
        }
        if (!fn->exec_active && r->head == r->tail) {
            status |= VGPU_STATUS_IDLE;
        }
        return status;
    case VGPU_REG_TIMESTAMP:
        return vgpu_lo(now);
    case VGPU_REG_TIMESTAMP + 4:
        return vgpu_hi(now);
    case VGPU_REG_COMPLETED:
        return vgpu_lo(r->completed);
    case VGPU_REG_COMPLETED + 4:
        return vgpu_hi(r->completed);
    }
    return 0;
}

/* Whether a ring of @size entries at @base is one a window can hold. */
static bool vgpu_ring_fits(uint64_t base, uint32_t size, uint64_t window)
{
    uint64_t bytes = (uint64_t)size * sizeof(struct vgpu_cmd);

    return size >= VGPU_RING_MIN_ENTRIES && size <= VGPU_RING_MAX_ENTRIES &&
           is_power_of_2(size) && QEMU_IS_ALIGNED(base, VGPU_RING_ALIGN) &&
           base <= window && bytes <= window - base;
}

static bool vgpu_fn_ring_fits(VgpuFn *fn)
{
    return vgpu_ring_fits(fn->regs.ring_base, fn->regs.ring_size,
                          vgpu_fn_window(fn));
}

/*
 * Engine reset ("RING"): drop the command in progress and every pending
 * entry, disable the ring with head = tail = 0, clear the error state; the
 * window, FENCE, COMPLETED and the interrupt mask are kept.
 */
static void vgpu_fn_ring_reset(VgpuFn *fn)
{
    VgpuRegs *r = &fn->regs;

    vgpu_fn_exec_drop(fn);
    r->ring_ctrl = 0;
    r->head = 0;
    r->tail = 0;
    r->halted = false;
    r->err_code = VGPU_ERR_NONE;
    r->err_index = 0;
    r->err_addr = 0;
    fn->resets++;
}

static void vgpu_fn_write_ring_ctrl(VgpuFn *fn, uint32_t val)
{
    VgpuRegs *r = &fn->regs;

    if (!(val & VGPU_RING_ENABLE)) {
        /* Disabling lets the command in progress finish. */
        r->ring_ctrl = 0;
        return;
    }
    if (r->ring_ctrl & VGPU_RING_ENABLE) {
        return;
    }
    if (!vgpu_fn_ring_fits(fn)) {
        vgpu_fn_halt(fn, VGPU_ERR_RING, r->ring_base);
        return;
    }
    /* A command still finishing from before the disable is dropped. */
    vgpu_fn_exec_drop(fn);
    r->ring_ctrl = VGPU_RING_ENABLE;
    r->head = 0;
    r->tail = 0;
}

static void vgpu_fn_write_doorbell(VgpuFn *fn, uint32_t val)
{
    VgpuRegs *r = &fn->regs;

    if (!(r->ring_ctrl & VGPU_RING_ENABLE) || r->halted) {
        return;
    }
    if (val >= r->ring_size) {
        vgpu_fn_halt(fn, VGPU_ERR_RING, val);
        return;
    }
    r->tail = val;
    vgpu_fn_kick(fn);
}

/* A dword write to the VF's BAR0; true if it asks for a function reset. */
static bool vgpu_vf_reg32_write(void *opaque, uint32_t off, uint32_t val)
{
    VgpuFn *fn = opaque;
    VgpuRegs *r = &fn->regs;
    bool enabled = r->ring_ctrl & VGPU_RING_ENABLE;
    uint32_t pending;

    switch (off) {
    case VGPU_REG_RING_BASE:
    case VGPU_REG_RING_BASE + 4:
        if (!enabled) {
            vgpu_set_half(&r->ring_base, off - VGPU_REG_RING_BASE, val);
        }
        break;
    case VGPU_REG_RING_SIZE:
        if (!enabled) {
            r->ring_size = val;
        }
        break;
    case VGPU_REG_RING_CTRL:
        vgpu_fn_write_ring_ctrl(fn, val);
        break;
    case VGPU_REG_DOORBELL:
        vgpu_fn_write_doorbell(fn, val);
        break;
    case VGPU_REG_IRQ_STATUS:
        r->irq_status &= ~val;
        break;
    case VGPU_REG_IRQ_MASK:
        pending = r->irq_status & r->irq_mask & ~val;
        r->irq_mask = val & (VGPU_IRQ_COMPLETION | VGPU_IRQ_ERROR);
        /* Unmasking a latched source delivers it. */
        if (pending) {
            vgpu_fn_raise_irq(fn, pending);
        }
        break;
    case VGPU_REG_RESET:
        if (val == VGPU_RESET_RING_MAGIC) {
            vgpu_fn_ring_reset(fn);
        }
        return val == VGPU_RESET_MAGIC;
    }
    return false;
}

static bool vgpu_vf_is_w1c(uint32_t off)
{
    return off == VGPU_REG_IRQ_STATUS;
}

/* ------------------------------------------------------------------------ */
/* Window and DMA accesses of the executor */

/*
 * Copy between the VF's window and a buffer.  Every range the executor
 * passes was validated against the window; the check here only makes sure
 * that nothing outside the window is touched whatever happens.
 */
static int vgpu_fn_window_rw(VgpuFn *fn, uint64_t off, void *buf,
                             size_t len, bool write)
{
    uint64_t size = fn->win_size;
    uint8_t *p;

    if (!fn->provisioned || off > size || len > size - off) {
        return -EFAULT;
    }
    p = fn->pf->mem_ptr + fn->win_base + off;
    if (write) {
        memcpy(p, buf, len);
        memory_region_set_dirty(&fn->pf->mem, fn->win_base + off, len);
    } else {
        memcpy(buf, p, len);
    }
    return 0;
}

/* The bottom half running a DMA of its VF, in its thread; or NULL. */
static __thread VgpuFn *vgpu_dma_fn;

/*
 * Whether the run of @fn must end at once: a reset or unprovisioning
 * waits for it, or it was preempted, or its engine is stopping.
 * fn->lock held.
 */
static bool vgpu_fn_must_stop(VgpuFn *fn)
{
    VgpuEngine *eng;

    if (fn->blocked || qatomic_read(&fn->preempt)) {
        return true;
    }
    if (fn->engine < 0) {
        return false;
    }
    eng = &fn->pf->engines[fn->engine];
    return qatomic_read(&eng->preempt) || qatomic_read(&eng->stop);
}

/* Wake an engine waiting for a DMA of @fn to see vgpu_fn_must_stop(). */
static void vgpu_fn_poke(VgpuFn *fn)
{
    qemu_mutex_lock(&fn->lock);
    qemu_cond_broadcast(&fn->dma_cond);
    qemu_mutex_unlock(&fn->lock);
}

/*
 * The DMA an engine asked for, as the VF, through its bus master address
 * space (and the vIOMMU), with the BQL held.  A DMA into our own registers
 * is refused by the VF's reentrancy guard; one that reaches a reset of the
 * VF (config space, the PF) does not wait for the run (vgpu_dma_fn).
 */
static void vgpu_fn_dma_bh(void *opaque)
{
    VgpuFn *fn = opaque;
    MemTxResult res;

    qemu_mutex_lock(&fn->lock);
    if (fn->dma_state != VGPU_DMA_PENDING) {
        qemu_mutex_unlock(&fn->lock);
        return;
    }
    fn->dma_state = VGPU_DMA_BUSY;
    qemu_mutex_unlock(&fn->lock);

    vgpu_dma_fn = fn;
    res = pci_dma_rw(fn->dev, fn->dma_addr, fn->dma_buf, fn->dma_len,
                     fn->dma_dir, MEMTXATTRS_UNSPECIFIED);
    vgpu_dma_fn = NULL;

    qemu_mutex_lock(&fn->lock);
    fn->dma_res = res;
    fn->dma_state = VGPU_DMA_DONE;
    qemu_cond_broadcast(&fn->dma_cond);
    qemu_mutex_unlock(&fn->lock);
}

/*
 * DMA for the executor, from the engine thread: done by the VF's bottom
 * half.  Guest memory is always present here, so the answer is 0 or
 * -EFAULT; -EAGAIN only when the run must stop before the DMA began (the
 * work unit then leaves no trace and runs again in a later run).
 */
static int vgpu_fn_dma(VgpuFn *fn, uint64_t addr, void *buf, size_t len,
                       DMADirection dir)
{
    MemTxResult res;

    qemu_mutex_lock(&fn->lock);
    fn->dma_addr = addr;
    fn->dma_buf = buf;
    fn->dma_len = len;
    fn->dma_dir = dir;
    fn->dma_state = VGPU_DMA_PENDING;
    qemu_bh_schedule(fn->dma_bh);
    while (fn->dma_state != VGPU_DMA_DONE) {
        if (fn->dma_state == VGPU_DMA_PENDING && vgpu_fn_must_stop(fn)) {
            fn->dma_state = VGPU_DMA_IDLE;
            qemu_mutex_unlock(&fn->lock);
            return -EAGAIN;
        }
        qemu_cond_wait(&fn->dma_cond, &fn->lock);
    }
    res = fn->dma_res;
    fn->dma_state = VGPU_DMA_IDLE;
    qemu_mutex_unlock(&fn->lock);
    return res == MEMTX_OK ? 0 : -EFAULT;
}

static int vgpu_mem_read(void *ctx, bool sys, u64 addr, void *buf, size_t len)
{
    VgpuFn *fn = ctx;

    if (sys) {
        return vgpu_fn_dma(fn, addr, buf, len, DMA_DIRECTION_TO_DEVICE);
    }
    return vgpu_fn_window_rw(fn, addr, buf, len, false);
}

static int vgpu_mem_write(void *ctx, bool sys, u64 addr, const void *buf,
                          size_t len)
{
    VgpuFn *fn = ctx;

    if (sys) {
        return vgpu_fn_dma(fn, addr, (void *)buf, len,
                           DMA_DIRECTION_FROM_DEVICE);
    }
    return vgpu_fn_window_rw(fn, addr, (void *)buf, len, true);
}

static u64 vgpu_mem_now(void *ctx)
{
    return vgpu_fn_now(ctx);
}

static const struct vgpu_mem_ops vgpu_exec_mem_ops = {
    .read = vgpu_mem_read,
    .write = vgpu_mem_write,
    .now_ns = vgpu_mem_now,
};

/* ------------------------------------------------------------------------ */
/* Ring execution (the sim's vgpu_engine.c) */

/* Fetch and validate the command at head; false if the ring faulted. */
static bool vgpu_fn_fetch(VgpuFn *fn)
{
    VgpuRegs *r = &fn->regs;
    struct vgpu_cmd cmd;
    uint64_t at = r->ring_base + (uint64_t)r->head * sizeof(cmd);
    u64 bad;
    int err;

    if (vgpu_fn_window_rw(fn, at, &cmd, sizeof(cmd), false)) {
        vgpu_fn_halt(fn, VGPU_ERR_RING, r->ring_base);
        return false;
    }
    err = vgpu_cmd_validate(&cmd, fn->win_size, &bad);
    if (err) {
        vgpu_fn_halt(fn, err, bad);
        return false;
    }
    vgpu_exec_start(fn->exec, &cmd);
    fn->exec_active = true;
    fn->cmd_run_ns = 0;
    return true;
}

static void vgpu_fn_complete(VgpuFn *fn)
{
    VgpuRegs *r = &fn->regs;
    const struct vgpu_cmd *c = &fn->exec->cmd;

    vgpu_fn_exec_drop(fn);
    r->head = (r->head + 1) & (r->ring_size - 1);
    r->completed++;
    fn->commands++;
    if (c->opcode == VGPU_OP_FENCE) {
        r->fence = c->u.fence.value;
        if (c->flags & VGPU_CMD_IRQ) {
            vgpu_fn_raise_irq(fn, VGPU_IRQ_COMPLETION);
        }
    }
}

/* Stop a command that ran too long (PF timeouts); true if it fired. */
static bool vgpu_fn_watchdog(VgpuFn *fn, uint64_t unit_ns)
{
    uint64_t job = qatomic_read(&fn->pf->job_timeout_ns);
    uint64_t unit = qatomic_read(&fn->pf->unit_timeout_ns);

    if (!(unit && unit_ns > unit) &&
        !(job && fn->exec_active && fn->cmd_run_ns > job)) {
        return false;
    }
    fn->resets++;
    vgpu_fn_halt(fn, VGPU_ERR_TIMEOUT, 0);
    return true;
}

/*
 * Run one work unit of the VF's ring on the calling engine; *@unit_ns is
 * the time the unit took (0 if none ran).  Fetching, validating and
 * completing happen under fn->lock, the unit itself without it, so that
 * register accesses never wait for a unit; a reset or fault meanwhile
 * changes exec_gen and the unit's outcome is discarded.  Returns whether
 * the VF has work left.
 */
static bool vgpu_fn_run_unit(VgpuFn *fn, uint64_t *unit_ns)
{
    u64 bad = 0, bytes = 0;
    uint64_t start, gen;
    VgpuIrqs irqs;
    bool more;
    int ret;

    *unit_ns = 0;
    qemu_mutex_lock(&fn->lock);
    if (!vgpu_fn_runnable(fn)) {
        goto out;
    }
    if (!fn->exec_active && !vgpu_fn_fetch(fn)) {
        goto out;
    }
    gen = fn->exec_gen;
    qemu_mutex_unlock(&fn->lock);

    start = vgpu_clock_ns();
    ret = vgpu_exec_step(fn->exec, &vgpu_exec_mem_ops, fn, &bad, &bytes);
    *unit_ns = vgpu_clock_ns() - start;

    qemu_mutex_lock(&fn->lock);
    if (gen != fn->exec_gen || !fn->exec_active) {
        goto out;
    }
    fn->cmd_run_ns += *unit_ns;
    fn->bytes += bytes;
    if (ret < 0) {
        vgpu_fn_halt(fn, -ret, bad);
    } else if (ret == VGPU_STEP_DONE) {
        vgpu_fn_complete(fn);
    } else if (ret == VGPU_STEP_MORE) {
        vgpu_fn_watchdog(fn, *unit_ns);
    }
    /*
     * VGPU_STEP_STALL: the run had to stop in a DMA; the unit left no
     * trace and runs again when the VF next runs.
     */
out:
    more = vgpu_fn_runnable(fn);
    irqs = vgpu_fn_take_irqs(fn);
    qemu_mutex_unlock(&fn->lock);
    vgpu_fn_flush(fn, irqs);
    return more;
}

/* Whether a run of @fn on @eng must end at this unit boundary. */
static bool vgpu_run_stopped(VgpuEngine *eng, VgpuFn *fn)
{
    return qatomic_read(&eng->preempt) || qatomic_read(&eng->stop) ||
           qatomic_read(&fn->preempt) || qatomic_read(&fn->blocked);
}

/*
 * One run: VF @fn's work units until the budget is spent, no work is left
 * or the run is preempted; then the bookkeeping and the PF's ENGINE
 * interrupt.  A unit is not started when the previous one says it would
 * end past the budget, so a run overshoots by less than one unit.
 */
static void vgpu_engine_run(VgpuEngine *eng, VgpuFn *fn, uint64_t budget)
{
    uint64_t ran = 0, unit = 0;
    bool more;

    do {
        more = vgpu_fn_run_unit(fn, &unit);
        ran += unit;
    } while (more && ran + unit < budget && !vgpu_run_stopped(eng, fn));

    /*
     * The run ends for the VF and for the engine at one instant (both
     * locks held), so that a driver that sees either may start the next
     * run of either at once.  IRQ_STATUS.ENGINE is set before BUSY clears,
     * so that a driver polling STATUS finds it set; the vector fires after.
     */
    qemu_mutex_lock(&eng->lock);
    qemu_mutex_lock(&fn->lock);
    fn->engine = -1;
    fn->preempt = false;
    fn->busy_ns += ran;
    more = vgpu_fn_runnable(fn);
    qemu_cond_broadcast(&fn->cond);
    qatomic_or(&eng->pf->irq_status, VGPU_PF_IRQ_ENGINE);
    eng->ran_ns = ran;
    eng->busy_ns += ran;
    eng->runs++;
    eng->last_vf = fn->n;
    eng->status = more ? VGPU_PF_ENG_STATUS_WORK_LEFT : 0;
    eng->run_vf = 0;
    qatomic_set(&eng->preempt, false);
    qemu_cond_broadcast(&eng->cond);
    qemu_mutex_unlock(&fn->lock);
    qemu_mutex_unlock(&eng->lock);
    vgpu_pf_fire(eng->pf, VGPU_PF_IRQ_ENGINE);
}

static void *vgpu_engine_thread(void *opaque)
{
    VgpuEngine *eng = opaque;
    VgpuPfState *s = eng->pf;

    rcu_register_thread();
    qemu_mutex_lock(&eng->lock);
    for (;;) {
        uint32_t n;
        uint64_t budget;

        while (!eng->stop && !eng->run_vf) {
            qemu_cond_wait(&eng->cond, &eng->lock);
        }
        if (eng->stop) {
            break;
        }
        n = eng->run_vf;
        budget = eng->run_budget_ns;
        qemu_mutex_unlock(&eng->lock);
        vgpu_engine_run(eng, &s->fns[n - 1], budget);
        qemu_mutex_lock(&eng->lock);
    }
    /* Stopped with a run requested and not started: release the VF. */
    if (eng->run_vf) {
        VgpuFn *fn = &s->fns[eng->run_vf - 1];

        eng->run_vf = 0;
        eng->status &= ~VGPU_PF_ENG_STATUS_BUSY;
        qemu_mutex_lock(&fn->lock);
        fn->engine = -1;
        qemu_cond_broadcast(&fn->cond);
        qemu_mutex_unlock(&fn->lock);
    }
    qemu_mutex_unlock(&eng->lock);
    rcu_unregister_thread();
    return NULL;
}

/*
 * Take the VF off its engine and keep it off: ends its run at the next
 * unit boundary (a DMA not yet begun is abandoned) and waits for that; RUN
 * is refused until vgpu_fn_unblock().  Returns with fn->lock held.  The
 * caller may hold the BQL: engines never wait for it.  Only a reset that a
 * VF's own DMA reached (in its DMA bottom half, which its engine waits
 * for) cannot wait.
 */
static void vgpu_fn_block(VgpuFn *fn)
{
    qemu_mutex_lock(&fn->lock);
    fn->blocked++;
    qemu_cond_broadcast(&fn->dma_cond);
    while (fn->engine >= 0 && !vgpu_dma_fn) {
        qemu_cond_wait(&fn->cond, &fn->lock);
    }
}

/* Undo vgpu_fn_block(), delivering what was raised meanwhile. */
static void vgpu_fn_unblock(VgpuFn *fn)
{
    VgpuIrqs irqs;

    fn->blocked--;
    irqs = vgpu_fn_take_irqs(fn);
    qemu_mutex_unlock(&fn->lock);
    vgpu_fn_flush(fn, irqs);
}

/* ------------------------------------------------------------------------ */
/* Resets and provisioning of a VF */

/* Zero a window, which its dirty page log then shows as written. */
static void vgpu_mem_zero(VgpuPfState *s, uint64_t base, uint64_t size)
{
    memset(s->mem_ptr + base, 0, size);
    memory_region_set_dirty(&s->mem, base, size);
}

static void vgpu_fn_zero_window(VgpuFn *fn)
{
    if (fn->provisioned) {
        vgpu_mem_zero(fn->pf, fn->win_base, fn->win_size);
    }
}

/*
 * The dirty page log of a VF is device memory's DIRTY_MEMORY_VGA log over
 * its window: the memory core records the CPUs' writes through the VF's
 * BAR2 while logging is on (counted per region, so each VF's log turns it
 * on once), and the device's own writes record themselves
 * (vgpu_fn_window_rw(), vgpu_mem_zero()).  BQL held.
 */
static void vgpu_fn_track_stop(VgpuFn *fn)
{
    if (fn->tracking) {
        memory_region_set_log(&fn->pf->mem, false, DIRTY_MEMORY_VGA);
        fn->tracking = false;
    }
}

static uint32_t vgpu_fn_track_start(VgpuFn *fn)
{
    VgpuPfState *s = fn->pf;

    if (!fn->tracking) {
        memory_region_set_log(&s->mem, true, DIRTY_MEMORY_VGA);
        fn->tracking = true;
    }
    fn->track_base = fn->win_base;
    fn->track_pages = fn->win_size / VGPU_PF_DIRTY_PAGE_SIZE;
    memory_region_reset_dirty(&s->mem, fn->win_base, fn->win_size,
                              DIRTY_MEMORY_VGA);
    return VGPU_PF_STATE_OK;
}

/*
 * DIRTY: the log of pages [STATE_ARG, + VGPU_PF_DIRTY_CHUNK_PAGES) into the
 * state page, and cleared.  Windows and chunks are aligned far beyond the
 * 64 pages a snapshot rounds its range to, so no other VF's log is touched.
 */
static uint32_t vgpu_fn_dirty(VgpuFn *fn)
{
    VgpuPfState *s = fn->pf;
    uint64_t first = s->state_arg, n, i;
    DirtyBitmapSnapshot *snap;
    hwaddr base;

    if (!fn->tracking) {
        return VGPU_PF_STATE_ERR_TRACK;
    }
    if (first % VGPU_PF_DIRTY_CHUNK_PAGES || first >= fn->track_pages) {
        return VGPU_PF_STATE_ERR_INVALID;
    }
    n = MIN(fn->track_pages - first, VGPU_PF_DIRTY_CHUNK_PAGES);
    base = fn->track_base + first * VGPU_PF_DIRTY_PAGE_SIZE;
    snap = memory_region_snapshot_and_clear_dirty(&s->mem, base,
                                                  n * VGPU_PF_DIRTY_PAGE_SIZE,
                                                  DIRTY_MEMORY_VGA);
    memset(s->state, 0, sizeof(s->state));
    s->state_count = 0;
    for (i = 0; i < n; i++) {
        if (memory_region_snapshot_get_dirty(&s->mem, snap,
                                             base + i * VGPU_PF_DIRTY_PAGE_SIZE,
                                             VGPU_PF_DIRTY_PAGE_SIZE)) {
            s->state[i / 8] |= 1u << (i % 8);
            s->state_count++;
        }
    }
    g_free(snap);
    return VGPU_PF_STATE_OK;
}

/* Map the window into the VF's BAR2, or unmap it; BQL held. */
static void vgpu_fn_update_bar2(VgpuFn *fn)
{
    VgpuVfState *vf = fn->vf;
    bool on;
    uint64_t base, size;

    if (!vf) {
        return;
    }
    qemu_mutex_lock(&fn->lock);
    on = fn->provisioned;
    base = fn->win_base;
    size = fn->win_size;
    qemu_mutex_unlock(&fn->lock);

    memory_region_transaction_begin();
    if (on) {
        memory_region_set_alias_offset(&vf->window, base);
        memory_region_set_size(&vf->window, size);
    }
    memory_region_set_enabled(&vf->window, on);
    memory_region_transaction_commit();
}

typedef enum VgpuFnReset {
    VGPU_FN_RESET_QUIET,        /* machine reset, VF enable/disable */
    VGPU_FN_RESET_FUNCTION,     /* FLR, the RESET register */
} VgpuFnReset;

/*
 * Reset a VF's vGPU state: end its run, drop its work, register defaults.
 * A function reset also zeroes the window, counts in RESETS and tells the
 * PF (EVENT.FLR).  Config space and MSI-X are the PCI core's.
 */
static void vgpu_fn_reset(VgpuFn *fn, VgpuFnReset how)
{
    vgpu_fn_block(fn);
    vgpu_fn_regs_reset(fn);
    if (how == VGPU_FN_RESET_FUNCTION) {
        vgpu_fn_zero_window(fn);
        fn->resets++;
        vgpu_fn_event(fn, VGPU_PF_VF_EVENT_FLR);
    }
    vgpu_fn_unblock(fn);
}

/* Whether the window registers describe a window of this device. */
static bool vgpu_fn_window_valid(VgpuFn *fn)
{
    VgpuPfState *s = fn->pf;

    return QEMU_IS_ALIGNED(fn->win_base, VGPU_PF_WINDOW_ALIGN) &&
           QEMU_IS_ALIGNED(fn->win_size, VGPU_PF_WINDOW_ALIGN) &&
           fn->win_size && fn->win_size <= s->vf_bar2_size &&
           fn->win_base <= s->mem_size &&
           fn->win_size <= s->mem_size - fn->win_base;
}

/* CTRL.PROVISIONED 0 -> 1: check, then provision; BQL held. */
static void vgpu_fn_provision(VgpuFn *fn)
{
    VgpuPfState *s = fn->pf;
    uint32_t all = MAKE_64BIT_MASK(0, s->nr_engines);
    bool ok;

    qemu_mutex_lock(&fn->lock);
    ok = !fn->provisioned && vgpu_fn_window_valid(fn) && fn->engines &&
         !(fn->engines & ~all) && fn->engine < 0;
    if (ok) {
        vgpu_fn_regs_reset(fn);
        fn->provisioned = true;
        fn->commands = 0;
        fn->bytes = 0;
        fn->errors = 0;
        fn->resets = 0;
        fn->busy_ns = 0;
    }
    qemu_mutex_unlock(&fn->lock);
    if (ok) {
        vgpu_fn_update_bar2(fn);
    }
}

/*
 * CTRL.PROVISIONED 1 -> 0: off the engine first (the write completes when
 * no engine runs the VF), then the registers as a function reset leaves
 * them, the window's contents kept; BQL held.
 */
static void vgpu_fn_unprovision(VgpuFn *fn)
{
    vgpu_fn_block(fn);
    vgpu_fn_regs_reset(fn);
    fn->provisioned = false;
    vgpu_fn_unblock(fn);
    vgpu_fn_update_bar2(fn);
    vgpu_fn_track_stop(fn);
}

/* The VF's subsystem ID names its profile; BQL held. */
static void vgpu_fn_set_profile(VgpuFn *fn, uint32_t profile)
{
    fn->profile = profile;
    if (fn->dev) {
        pci_set_word(fn->dev->config + PCI_SUBSYSTEM_ID,
                     VGPU_PCI_SUBSYS_BASE + profile);
    }
}

/* ------------------------------------------------------------------------ */
/* VF state save and restore (interface 1.1) */

/*
 * SAVE: the VF's vGPU state as the image of VGPU_PF_ST_*, little endian,
 * the rest of @page zero.  The command in progress (FLAG_EXEC) is saved
 * with its progress; its fields are those of the ring entry it came from.
 * fn->lock held, the VF off the engines.
 */
static void vgpu_fn_save(VgpuFn *fn, uint8_t *page)
{
    const VgpuRegs *r = &fn->regs;
    const struct vgpu_exec *ex = fn->exec;
    uint32_t flags = 0;
    unsigned i, j;

    memset(page, 0, VGPU_PF_STATE_PAGE_SIZE);
    stq_le_p(page + VGPU_PF_ST_RING_BASE, r->ring_base);
    stl_le_p(page + VGPU_PF_ST_RING_SIZE, r->ring_size);
    stl_le_p(page + VGPU_PF_ST_RING_CTRL, r->ring_ctrl);
    stl_le_p(page + VGPU_PF_ST_HEAD, r->head);
    stl_le_p(page + VGPU_PF_ST_TAIL, r->tail);
    stq_le_p(page + VGPU_PF_ST_FENCE, r->fence);
    stq_le_p(page + VGPU_PF_ST_COMPLETED, r->completed);
    stl_le_p(page + VGPU_PF_ST_IRQ_STATUS, r->irq_status);
    stl_le_p(page + VGPU_PF_ST_IRQ_MASK, r->irq_mask);
    stl_le_p(page + VGPU_PF_ST_ERR_CODE, r->err_code);
    stl_le_p(page + VGPU_PF_ST_ERR_INDEX, r->err_index);
    stq_le_p(page + VGPU_PF_ST_ERR_ADDR, r->err_addr);
    if (r->halted) {
        flags |= VGPU_PF_ST_FLAG_HALTED;
    }
    if (fn->exec_active) {
        flags |= VGPU_PF_ST_FLAG_EXEC;
    }
    stl_le_p(page + VGPU_PF_ST_FLAGS, flags);
    stq_le_p(page + VGPU_PF_ST_CLOCK_NS, vgpu_fn_now(fn));
    stq_le_p(page + VGPU_PF_ST_CMD_RUN_NS, fn->cmd_run_ns);
    if (!fn->exec_active) {
        return;
    }
    stl_le_p(page + VGPU_PF_ST_EXEC_K, ex->k);
    stq_le_p(page + VGPU_PF_ST_EXEC_DONE, ex->done);
    stl_le_p(page + VGPU_PF_ST_EXEC_CRC, ex->crc);
    stl_le_p(page + VGPU_PF_ST_CMD, ex->cmd.opcode);
    stl_le_p(page + VGPU_PF_ST_CMD + 4, ex->cmd.flags);
    for (i = 0; i < ARRAY_SIZE(ex->cmd.u.raw); i++) {
        stq_le_p(page + VGPU_PF_ST_CMD + 8 + 8 * i, ex->cmd.u.raw[i]);
    }
    for (i = 0; i < VGPU_GEMM_TILE; i++) {
        for (j = 0; j < VGPU_GEMM_TILE; j++) {
            stl_le_p(page + VGPU_PF_ST_ACC + 4 * (i * VGPU_GEMM_TILE + j),
                     ex->acc[i][j]);
        }
    }
}

/* A state image decoded, before it is checked. */
typedef struct VgpuFnImage {
    VgpuRegs regs;
    bool exec_active;
    uint32_t flags;
    uint64_t clock_ns;
    uint64_t cmd_run_ns;
    struct vgpu_cmd cmd;
    uint64_t done;
    uint32_t k;
    uint32_t crc;
} VgpuFnImage;

static void vgpu_image_decode(const uint8_t *page, VgpuFnImage *im)
{
    VgpuRegs *r = &im->regs;
    unsigned i;

    memset(im, 0, sizeof(*im));
    r->ring_base = ldq_le_p(page + VGPU_PF_ST_RING_BASE);
    r->ring_size = ldl_le_p(page + VGPU_PF_ST_RING_SIZE);
    r->ring_ctrl = ldl_le_p(page + VGPU_PF_ST_RING_CTRL);
    r->head = ldl_le_p(page + VGPU_PF_ST_HEAD);
    r->tail = ldl_le_p(page + VGPU_PF_ST_TAIL);
    r->fence = ldq_le_p(page + VGPU_PF_ST_FENCE);
    r->completed = ldq_le_p(page + VGPU_PF_ST_COMPLETED);
    r->irq_status = ldl_le_p(page + VGPU_PF_ST_IRQ_STATUS);
    r->irq_mask = ldl_le_p(page + VGPU_PF_ST_IRQ_MASK);
    r->err_code = ldl_le_p(page + VGPU_PF_ST_ERR_CODE);
    r->err_index = ldl_le_p(page + VGPU_PF_ST_ERR_INDEX);
    r->err_addr = ldq_le_p(page + VGPU_PF_ST_ERR_ADDR);
    im->flags = ldl_le_p(page + VGPU_PF_ST_FLAGS);
    r->halted = im->flags & VGPU_PF_ST_FLAG_HALTED;
    im->exec_active = im->flags & VGPU_PF_ST_FLAG_EXEC;
    im->clock_ns = ldq_le_p(page + VGPU_PF_ST_CLOCK_NS);
    im->cmd_run_ns = ldq_le_p(page + VGPU_PF_ST_CMD_RUN_NS);
    im->k = ldl_le_p(page + VGPU_PF_ST_EXEC_K);
    im->done = ldq_le_p(page + VGPU_PF_ST_EXEC_DONE);
    im->crc = ldl_le_p(page + VGPU_PF_ST_EXEC_CRC);
    im->cmd.opcode = ldl_le_p(page + VGPU_PF_ST_CMD);
    im->cmd.flags = ldl_le_p(page + VGPU_PF_ST_CMD + 4);
    for (i = 0; i < ARRAY_SIZE(im->cmd.u.raw); i++) {
        im->cmd.u.raw[i] = ldq_le_p(page + VGPU_PF_ST_CMD + 8 + 8 * i);
    }
}

/*
 * Whether the VF could be in the state @im: what its registers let a
 * guest write and what its ring execution can leave.  An enabled ring
 * fits the window with head and tail inside it (a disabled one may have
 * any base and size, as a guest may write them while it is disabled, and
 * keeps head and tail from when it ran); interrupt bits and the error code
 * are known ones; a command in progress is one the ring could have handed
 * the engine, at a work unit boundary, and never on a halted ring (a halt
 * drops it).  The exec fields are not looked at without FLAG_EXEC.
 * fn->lock held.
 */
static bool vgpu_image_valid(VgpuFn *fn, const VgpuFnImage *im)
{
    const VgpuRegs *r = &im->regs;
    const uint32_t irqs = VGPU_IRQ_COMPLETION | VGPU_IRQ_ERROR;
    uint64_t window = vgpu_fn_window(fn);
    u64 bad;

    if (im->flags & ~(VGPU_PF_ST_FLAG_HALTED | VGPU_PF_ST_FLAG_EXEC)) {
        return false;
    }
    if (r->ring_ctrl & ~VGPU_RING_ENABLE) {
        return false;
    }
    if (r->ring_ctrl & VGPU_RING_ENABLE) {
        if (!vgpu_ring_fits(r->ring_base, r->ring_size, window) ||
            r->head >= r->ring_size || r->tail >= r->ring_size) {
            return false;
        }
    } else if (r->head >= VGPU_RING_MAX_ENTRIES ||
               r->tail >= VGPU_RING_MAX_ENTRIES) {
        return false;
    }
    if ((r->irq_status | r->irq_mask) & ~irqs ||
        r->err_code > VGPU_ERR_PEER) {
        return false;
    }
    if (im->exec_active) {
        if (r->halted ||
            vgpu_cmd_validate(&im->cmd, window, &bad) ||
            !vgpu_exec_progress_valid(&im->cmd, im->done, im->k)) {
            return false;
        }
    }
    return true;
}

/*
 * LOAD: give the VF the state of @page, or leave it as it was and return
 * VGPU_PF_STATE_ERR_INVALID.  Its clock continues from the saved one; work
 * in the state tells the PF (EVENT.DOORBELL) as a doorbell would, and a
 * latched, unmasked interrupt is delivered to the VF's driver.  fn->lock
 * held, the VF off the engines (nothing runs fn->exec).
 */
static uint32_t vgpu_fn_load(VgpuFn *fn, const uint8_t *page)
{
    struct vgpu_exec *ex = fn->exec;
    VgpuFnImage im;
    unsigned i, j;

    vgpu_image_decode(page, &im);
    if (!vgpu_image_valid(fn, &im)) {
        return VGPU_PF_STATE_ERR_INVALID;
    }

    fn->regs = im.regs;
    vgpu_fn_exec_drop(fn);
    if (im.exec_active) {
        ex->cmd = im.cmd;
        ex->done = im.done;
        ex->k = im.k;
        ex->crc = im.crc;
        for (i = 0; i < VGPU_GEMM_TILE; i++) {
            for (j = 0; j < VGPU_GEMM_TILE; j++) {
                ex->acc[i][j] = ldl_le_p(page + VGPU_PF_ST_ACC +
                                         4 * (i * VGPU_GEMM_TILE + j));
            }
        }
        fn->exec_active = true;
    }
    fn->cmd_run_ns = im.cmd_run_ns;
    qatomic_set(&fn->epoch_ns, vgpu_clock_ns() - im.clock_ns);

    fn->irq_pending |= fn->regs.irq_status & ~fn->regs.irq_mask;
    vgpu_fn_kick(fn);
    return VGPU_PF_STATE_OK;
}

/*
 * STATE_CMD: run @cmd on VF STATE_VF and return its STATE_RESULT; BQL
 * held, takes fn->lock.  A VF on an engine is busy: an accepted RUN sets
 * fn->engine along with the engine's run_vf, and both stay set until the
 * run has ended, so fn->engine also covers a RUN not yet started.  Holding
 * fn->lock keeps a RUN from being accepted meanwhile.
 */
static uint32_t vgpu_pf_state_cmd(VgpuPfState *s, uint32_t cmd)
{
    uint32_t n = s->state_vf;
    uint32_t res;
    VgpuIrqs irqs;
    VgpuFn *fn;

    if (cmd < VGPU_PF_STATE_CMD_SAVE || cmd > VGPU_PF_STATE_CMD_TRACK_STOP) {
        return VGPU_PF_STATE_ERR_CMD;
    }
    if (n < 1 || n > s->nr_vfs) {
        return VGPU_PF_STATE_ERR_VF;
    }
    fn = &s->fns[n - 1];
    /* The dirty page log is the BQL's; the window does not change under it. */
    if (cmd == VGPU_PF_STATE_CMD_TRACK_STOP) {
        vgpu_fn_track_stop(fn);
        return VGPU_PF_STATE_OK;
    }
    if (cmd == VGPU_PF_STATE_CMD_TRACK_START ||
        cmd == VGPU_PF_STATE_CMD_DIRTY) {
        if (!fn->provisioned) {
            return VGPU_PF_STATE_ERR_VF;
        }
        return cmd == VGPU_PF_STATE_CMD_DIRTY ? vgpu_fn_dirty(fn) :
                                                vgpu_fn_track_start(fn);
    }
    qemu_mutex_lock(&fn->lock);
    if (!fn->provisioned) {
        res = VGPU_PF_STATE_ERR_VF;
    } else if (fn->engine >= 0 || fn->blocked) {
        res = VGPU_PF_STATE_ERR_BUSY;
    } else if (cmd == VGPU_PF_STATE_CMD_SAVE) {
        vgpu_fn_save(fn, s->state);
        res = VGPU_PF_STATE_OK;
    } else {
        res = vgpu_fn_load(fn, s->state);
    }
    irqs = vgpu_fn_take_irqs(fn);
    qemu_mutex_unlock(&fn->lock);
    vgpu_fn_flush(fn, irqs);
    return res;
}

/* ------------------------------------------------------------------------ */
/* The device memory aperture (interface 1.1) */

/* Show device memory from APERTURE_BASE in BAR2; BQL held. */
static void vgpu_pf_aperture_map(VgpuPfState *s)
{
    uint64_t base = s->aperture_base;

    memory_region_transaction_begin();
    memory_region_set_alias_offset(&s->aperture_mem, base);
    memory_region_set_size(&s->aperture_mem,
                           MIN(VGPU_PF_APERTURE_SIZE, s->mem_size - base));
    memory_region_transaction_commit();
}

/*
 * APERTURE_BASE written: a multiple of the aperture size inside device
 * memory moves the aperture, anything else is ignored; BQL held.
 */
static void vgpu_pf_set_aperture(VgpuPfState *s, uint64_t base)
{
    if (!QEMU_IS_ALIGNED(base, VGPU_PF_APERTURE_SIZE) ||
        base >= s->mem_size) {
        return;
    }
    s->aperture_base = base;
    vgpu_pf_aperture_map(s);
}

/* ------------------------------------------------------------------------ */
/* PF registers */

typedef struct VgpuPfAccess {
    VgpuPfState *s;
    VgpuEngine *eng;
    VgpuFn *fn;
} VgpuPfAccess;

static uint32_t vgpu_pf_vf_events(VgpuPfState *s)
{
    uint32_t bits = 0;
    unsigned i;

    for (i = 0; i < s->nr_vfs; i++) {
        VgpuFn *fn = &s->fns[i];

        qemu_mutex_lock(&fn->lock);
        if (fn->event) {
            bits |= 1u << i;
        }
        qemu_mutex_unlock(&fn->lock);
    }
    return bits;
}

static uint32_t vgpu_pf_global_read(void *opaque, uint32_t off, uint64_t now)
{
    VgpuPfState *s = opaque;

    switch (off) {
    case VGPU_PF_REG_ID:
        return VGPU_PF_ID_MAGIC;
    case VGPU_PF_REG_VERSION:
        return VGPU_PF_VERSION;
    case VGPU_PF_REG_MEM_SIZE:
        return vgpu_lo(s->mem_size);
    case VGPU_PF_REG_MEM_SIZE + 4:
        return vgpu_hi(s->mem_size);
    case VGPU_PF_REG_ENGINES:
        return s->nr_engines;
    case VGPU_PF_REG_MAX_VFS:
        return s->nr_vfs;
    case VGPU_PF_REG_VF_BAR2_SIZE:
        return vgpu_lo(s->vf_bar2_size);
    case VGPU_PF_REG_VF_BAR2_SIZE + 4:
        return vgpu_hi(s->vf_bar2_size);
    case VGPU_PF_REG_CAPS:
        return vgpu_caps();
    case VGPU_PF_REG_TIMESTAMP:
        return vgpu_lo(now - s->epoch_ns);
    case VGPU_PF_REG_TIMESTAMP + 4:
        return vgpu_hi(now - s->epoch_ns);
    case VGPU_PF_REG_IRQ_STATUS:
        return qatomic_read(&s->irq_status);
    case VGPU_PF_REG_IRQ_MASK:
        return qatomic_read(&s->irq_mask);
    case VGPU_PF_REG_VF_EVENTS:
        return vgpu_pf_vf_events(s);
    case VGPU_PF_REG_JOB_TIMEOUT_NS:
        return vgpu_lo(s->job_timeout_ns);
    case VGPU_PF_REG_JOB_TIMEOUT_NS + 4:
        return vgpu_hi(s->job_timeout_ns);
    case VGPU_PF_REG_UNIT_TIMEOUT_NS:
        return vgpu_lo(s->unit_timeout_ns);
    case VGPU_PF_REG_UNIT_TIMEOUT_NS + 4:
        return vgpu_hi(s->unit_timeout_ns);
    case VGPU_PF_REG_STATE_VF:
        return s->state_vf;
    case VGPU_PF_REG_STATE_RESULT:
        return s->state_result;
    case VGPU_PF_REG_STATE_ARG:
        return s->state_arg;
    case VGPU_PF_REG_STATE_COUNT:
        return s->state_count;
    case VGPU_PF_REG_APERTURE_BASE:
        return vgpu_lo(s->aperture_base);
    case VGPU_PF_REG_APERTURE_BASE + 4:
        return vgpu_hi(s->aperture_base);
    }
    return 0;
}

static bool vgpu_pf_global_write(void *opaque, uint32_t off, uint32_t val)
{
    VgpuPfState *s = opaque;
    uint64_t v;
    uint32_t pending;

    switch (off) {
    case VGPU_PF_REG_IRQ_STATUS:
        qatomic_and(&s->irq_status, ~val);
        break;
    case VGPU_PF_REG_IRQ_MASK:
        pending = qatomic_read(&s->irq_status) & s->irq_mask & ~val;
        qatomic_set(&s->irq_mask, val & (VGPU_PF_IRQ_ENGINE |
                                         VGPU_PF_IRQ_EVENT));
        /* Unmasking a latched source delivers it. */
        if (pending) {
            vgpu_pf_fire(s, pending);
        }
        break;
    case VGPU_PF_REG_JOB_TIMEOUT_NS:
    case VGPU_PF_REG_JOB_TIMEOUT_NS + 4:
        v = s->job_timeout_ns;
        vgpu_set_half(&v, off - VGPU_PF_REG_JOB_TIMEOUT_NS, val);
        qatomic_set(&s->job_timeout_ns, v);
        break;
    case VGPU_PF_REG_UNIT_TIMEOUT_NS:
    case VGPU_PF_REG_UNIT_TIMEOUT_NS + 4:
        v = s->unit_timeout_ns;
        vgpu_set_half(&v, off - VGPU_PF_REG_UNIT_TIMEOUT_NS, val);
        qatomic_set(&s->unit_timeout_ns, v);
        break;
    case VGPU_PF_REG_STATE_VF:
        s->state_vf = val;
        break;
    case VGPU_PF_REG_STATE_ARG:
        s->state_arg = val;
        break;
    case VGPU_PF_REG_STATE_CMD:
        s->state_result = vgpu_pf_state_cmd(s, val);
        break;
    case VGPU_PF_REG_APERTURE_BASE:
    case VGPU_PF_REG_APERTURE_BASE + 4:
        /* The half written, with the other half as it is. */
        v = s->aperture_base;
        vgpu_set_half(&v, off - VGPU_PF_REG_APERTURE_BASE, val);
        vgpu_pf_set_aperture(s, v);
        break;
    }
    return false;
}

static bool vgpu_pf_global_is_w1c(uint32_t off)
{
    return off == VGPU_PF_REG_IRQ_STATUS;
}

/* Engine registers; eng->lock held. */
static uint32_t vgpu_pf_eng_read(void *opaque, uint32_t off, uint64_t now)
{
    VgpuEngine *eng = opaque;

    switch (off) {
    case VGPU_PF_ENG_STATUS:
        return eng->status;
    case VGPU_PF_ENG_BUDGET_NS:
        return vgpu_lo(eng->budget_ns);
    case VGPU_PF_ENG_BUDGET_NS + 4:
        return vgpu_hi(eng->budget_ns);
    case VGPU_PF_ENG_RAN_NS:
        return vgpu_lo(eng->ran_ns);
    case VGPU_PF_ENG_RAN_NS + 4:
        return vgpu_hi(eng->ran_ns);
    case VGPU_PF_ENG_VF:
        return eng->last_vf;
    case VGPU_PF_ENG_BUSY_NS:
        return vgpu_lo(eng->busy_ns);
    case VGPU_PF_ENG_BUSY_NS + 4:
        return vgpu_hi(eng->busy_ns);
    case VGPU_PF_ENG_RUNS:
        return vgpu_lo(eng->runs);
    case VGPU_PF_ENG_RUNS + 4:
        return vgpu_hi(eng->runs);
    }
    return 0;
}

/*
 * RUN: start a run of VF @n, or refuse it (engine busy, no such VF, VF not
 * provisioned, engine not in its mask, VF on another engine or being
 * reset); a refused run "ends" at once.  eng->lock held; returns the PF
 * interrupt to raise once it is dropped.
 */
static uint32_t vgpu_pf_eng_run(VgpuEngine *eng, uint32_t n)
{
    VgpuPfState *s = eng->pf;
    bool ok = false;

    if (!(eng->status & VGPU_PF_ENG_STATUS_BUSY) && n >= 1 &&
        n <= s->nr_vfs) {
        VgpuFn *fn = &s->fns[n - 1];

        qemu_mutex_lock(&fn->lock);
        ok = fn->provisioned && (fn->engines & BIT(eng->idx)) &&
             fn->engine < 0 && !fn->blocked;
        if (ok) {
            fn->engine = eng->idx;
        }
        qemu_mutex_unlock(&fn->lock);
    }
    if (!ok) {
        if (eng->status & VGPU_PF_ENG_STATUS_BUSY) {
            eng->status |= VGPU_PF_ENG_STATUS_REFUSED;
        } else {
            eng->status = VGPU_PF_ENG_STATUS_REFUSED;
            eng->ran_ns = 0;
        }
        return VGPU_PF_IRQ_ENGINE;
    }
    eng->status = VGPU_PF_ENG_STATUS_BUSY;
    eng->run_vf = n;
    eng->run_budget_ns = eng->budget_ns;
    qatomic_set(&eng->preempt, false);
    qemu_cond_broadcast(&eng->cond);
    return 0;
}

/* Engine register writes; takes eng->lock itself.  Returns IRQs to raise. */
static uint32_t vgpu_pf_eng_write(VgpuEngine *eng, uint32_t off, uint32_t val)
{
    uint32_t raise = 0, run = 0;

    qemu_mutex_lock(&eng->lock);
    switch (off) {
    case VGPU_PF_ENG_RUN:
        raise = vgpu_pf_eng_run(eng, val);
        break;
    case VGPU_PF_ENG_BUDGET_NS:
    case VGPU_PF_ENG_BUDGET_NS + 4:
        vgpu_set_half(&eng->budget_ns, off - VGPU_PF_ENG_BUDGET_NS, val);
        break;
    case VGPU_PF_ENG_PREEMPT:
        if ((val & 1) && (eng->status & VGPU_PF_ENG_STATUS_BUSY)) {
            qatomic_set(&eng->preempt, true);
            run = eng->run_vf;
        }
        break;
    }
    qemu_mutex_unlock(&eng->lock);
    if (run) {
        /* The run may be waiting for a DMA. */
        vgpu_fn_poke(&eng->pf->fns[run - 1]);
    }
    return raise;
}

/* VF provisioning registers; fn->lock held. */
static uint32_t vgpu_pf_fn_read(void *opaque, uint32_t off, uint64_t now)
{
    VgpuFn *fn = opaque;
    uint32_t status;

    switch (off) {
    case VGPU_PF_VF_WIN_BASE:
        return vgpu_lo(fn->win_base);
    case VGPU_PF_VF_WIN_BASE + 4:
        return vgpu_hi(fn->win_base);
    case VGPU_PF_VF_WIN_SIZE:
        return vgpu_lo(fn->win_size);
    case VGPU_PF_VF_WIN_SIZE + 4:
        return vgpu_hi(fn->win_size);
    case VGPU_PF_VF_ENGINES:
        return fn->engines;
    case VGPU_PF_VF_CTRL:
        return fn->provisioned ? VGPU_PF_VF_CTRL_PROVISIONED : 0;
    case VGPU_PF_VF_STATUS:
        status = vgpu_fn_runnable(fn) ? VGPU_PF_VF_STATUS_HAS_WORK : 0;
        if (fn->regs.halted) {
            status |= VGPU_PF_VF_STATUS_HALTED;
        }
        if (fn->engine >= 0) {
            status |= VGPU_PF_VF_STATUS_RUNNING;
        }
        if (fn->provisioned) {
            status |= VGPU_PF_VF_STATUS_PROVISIONED;
        }
        return status;
    case VGPU_PF_VF_EVENT:
        return fn->event;
    case VGPU_PF_VF_PROFILE:
        return fn->profile;
    case VGPU_PF_VF_COMMANDS:
        return vgpu_lo(fn->commands);
    case VGPU_PF_VF_COMMANDS + 4:
        return vgpu_hi(fn->commands);
    case VGPU_PF_VF_BYTES:
        return vgpu_lo(fn->bytes);
    case VGPU_PF_VF_BYTES + 4:
        return vgpu_hi(fn->bytes);
    case VGPU_PF_VF_ERRORS:
        return vgpu_lo(fn->errors);
    case VGPU_PF_VF_ERRORS + 4:
        return vgpu_hi(fn->errors);
    case VGPU_PF_VF_RESETS:
        return vgpu_lo(fn->resets);
    case VGPU_PF_VF_RESETS + 4:
        return vgpu_hi(fn->resets);
    case VGPU_PF_VF_BUSY_NS:
        return vgpu_lo(fn->busy_ns);
    case VGPU_PF_VF_BUSY_NS + 4:
        return vgpu_hi(fn->busy_ns);
    }
    return 0;
}

/* VF provisioning register writes; BQL held, takes fn->lock itself. */
static void vgpu_pf_fn_write(VgpuFn *fn, uint32_t off, uint32_t val)
{
    bool provisioned, scrub;

    switch (off) {
    case VGPU_PF_VF_CTRL:
        qemu_mutex_lock(&fn->lock);
        provisioned = fn->provisioned;
        qemu_mutex_unlock(&fn->lock);
        if ((val & VGPU_PF_VF_CTRL_PROVISIONED) && !provisioned) {
            vgpu_fn_provision(fn);
        } else if (!(val & VGPU_PF_VF_CTRL_PROVISIONED) && provisioned) {
            vgpu_fn_unprovision(fn);
        }
        return;
    case VGPU_PF_VF_PREEMPT:
        if (val & 1) {
            qemu_mutex_lock(&fn->lock);
            qatomic_set(&fn->preempt, true);
            qemu_cond_broadcast(&fn->dma_cond);
            qemu_mutex_unlock(&fn->lock);
        }
        return;
    }

    qemu_mutex_lock(&fn->lock);
    switch (off) {
    case VGPU_PF_VF_WIN_BASE:
    case VGPU_PF_VF_WIN_BASE + 4:
        if (!fn->provisioned) {
            vgpu_set_half(&fn->win_base, off - VGPU_PF_VF_WIN_BASE, val);
        }
        break;
    case VGPU_PF_VF_WIN_SIZE:
    case VGPU_PF_VF_WIN_SIZE + 4:
        if (!fn->provisioned) {
            vgpu_set_half(&fn->win_size, off - VGPU_PF_VF_WIN_SIZE, val);
        }
        break;
    case VGPU_PF_VF_ENGINES:
        if (!fn->provisioned) {
            fn->engines = val;
        }
        break;
    case VGPU_PF_VF_PROFILE:
        if (!fn->provisioned) {
            vgpu_fn_set_profile(fn, val);
        }
        break;
    case VGPU_PF_VF_EVENT:
        fn->event &= ~val;
        break;
    case VGPU_PF_VF_SCRUB:
        /*
         * Zero what the window registers describe, provisioned or not
         * (the PF driver may scrub before or after setting PROVISIONED).
         */
        scrub = val == VGPU_PF_SCRUB_MAGIC && vgpu_fn_window_valid(fn);
        if (scrub) {
            vgpu_mem_zero(fn->pf, fn->win_base, fn->win_size);
        }
        break;
    }
    qemu_mutex_unlock(&fn->lock);
}

static bool vgpu_pf_fn_is_w1c(uint32_t off)
{
    return off == VGPU_PF_VF_EVENT;
}

/* Which register block @addr falls in; NULL-free access for globals. */
static bool vgpu_pf_decode(VgpuPfState *s, hwaddr addr, VgpuPfAccess *a,
                           uint32_t *off)
{
    a->s = s;
    a->eng = NULL;
    a->fn = NULL;
    if (addr < VGPU_PF_ENG_BASE) {
        *off = addr;
        return true;
    }
    if (addr < VGPU_PF_ENG(s->nr_engines)) {
        a->eng = &s->engines[(addr - VGPU_PF_ENG_BASE) / VGPU_PF_ENG_STRIDE];
        *off = (addr - VGPU_PF_ENG_BASE) % VGPU_PF_ENG_STRIDE;
        return true;
    }
    if (addr >= VGPU_PF_VF_BASE && addr < VGPU_PF_VF(s->nr_vfs + 1)) {
        a->fn = &s->fns[(addr - VGPU_PF_VF_BASE) / VGPU_PF_VF_STRIDE];
        *off = (addr - VGPU_PF_VF_BASE) % VGPU_PF_VF_STRIDE;
        return true;
    }
    return false;
}

/* A block's offset must not let an access run into the next block. */
static unsigned vgpu_clip(uint32_t off, unsigned size, uint32_t stride)
{
    return off + size > stride ? stride - off : size;
}

/* Whether @addr is in the state page; *@off its offset there. */
static bool vgpu_pf_in_state(hwaddr addr, uint32_t *off)
{
    if (addr < VGPU_PF_STATE_PAGE ||
        addr >= VGPU_PF_STATE_PAGE + VGPU_PF_STATE_PAGE_SIZE) {
        return false;
    }
    *off = addr - VGPU_PF_STATE_PAGE;
    return true;
}

static uint64_t vgpu_pf_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VgpuPfState *s = opaque;
    uint64_t now = vgpu_clock_ns();
    VgpuPfAccess a;
    uint32_t off;
    uint64_t val;
    unsigned i;

    if (vgpu_pf_in_state(addr, &off)) {
        /* Plain storage: the bytes in the page, little endian. */
        size = vgpu_clip(off, size, VGPU_PF_STATE_PAGE_SIZE);
        val = 0;
        for (i = 0; i < size; i++) {
            val |= (uint64_t)s->state[off + i] << (8 * i);
        }
        return val;
    }
    if (!vgpu_pf_decode(s, addr, &a, &off)) {
        return 0;
    }
    if (a.eng) {
        qemu_mutex_lock(&a.eng->lock);
        val = vgpu_read_bytes(vgpu_pf_eng_read, a.eng, off,
                              vgpu_clip(off, size, VGPU_PF_ENG_STRIDE), now);
        qemu_mutex_unlock(&a.eng->lock);
    } else if (a.fn) {
        qemu_mutex_lock(&a.fn->lock);
        val = vgpu_read_bytes(vgpu_pf_fn_read, a.fn, off,
                              vgpu_clip(off, size, VGPU_PF_VF_STRIDE), now);
        qemu_mutex_unlock(&a.fn->lock);
    } else {
        val = vgpu_read_bytes(vgpu_pf_global_read, s, off,
                              vgpu_clip(off, size, VGPU_PF_ENG_BASE), now);
    }
    return val;
}

/*
 * Writes below go one dword at a time to handlers that take the locks
 * they need themselves (a CTRL write may wait for an engine).
 */
typedef struct VgpuPfWriteCtx {
    VgpuPfAccess a;
    uint32_t raise;
} VgpuPfWriteCtx;

static uint32_t vgpu_pf_cur32(void *opaque, uint32_t off, uint64_t now)
{
    VgpuPfWriteCtx *c = opaque;
    uint32_t v;

    if (c->a.eng) {
        qemu_mutex_lock(&c->a.eng->lock);
        v = vgpu_pf_eng_read(c->a.eng, off, now);
        qemu_mutex_unlock(&c->a.eng->lock);
    } else if (c->a.fn) {
        qemu_mutex_lock(&c->a.fn->lock);
        v = vgpu_pf_fn_read(c->a.fn, off, now);
        qemu_mutex_unlock(&c->a.fn->lock);
    } else {
        v = vgpu_pf_global_read(c->a.s, off, now);
    }
    return v;
}

static bool vgpu_pf_write32(void *opaque, uint32_t off, uint32_t val)
{
    VgpuPfWriteCtx *c = opaque;

    if (c->a.eng) {
        c->raise |= vgpu_pf_eng_write(c->a.eng, off, val);
    } else if (c->a.fn) {
        vgpu_pf_fn_write(c->a.fn, off, val);
    } else {
        vgpu_pf_global_write(c->a.s, off, val);
    }
    return false;
}

static bool vgpu_pf_is_w1c_eng(uint32_t off)
{
    return false;
}

static void vgpu_pf_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    VgpuPfState *s = opaque;
    VgpuPfWriteCtx c = { .raise = 0 };
    uint32_t off, stride;
    bool (*is_w1c)(uint32_t off);
    unsigned i;

    if (vgpu_pf_in_state(addr, &off)) {
        size = vgpu_clip(off, size, VGPU_PF_STATE_PAGE_SIZE);
        for (i = 0; i < size; i++) {
            s->state[off + i] = val >> (8 * i);
        }
        return;
    }
    if (!vgpu_pf_decode(s, addr, &c.a, &off)) {
        return;
    }
    if (!c.a.eng && !c.a.fn && off == VGPU_PF_REG_APERTURE_BASE &&
        size == 8) {
        /* One 64-bit write moves the aperture at once. */
        vgpu_pf_set_aperture(s, val);
        return;
    }
    if (c.a.eng) {
        stride = VGPU_PF_ENG_STRIDE;
        is_w1c = vgpu_pf_is_w1c_eng;
    } else if (c.a.fn) {
        stride = VGPU_PF_VF_STRIDE;
        is_w1c = vgpu_pf_fn_is_w1c;
    } else {
        stride = VGPU_PF_ENG_BASE;
        is_w1c = vgpu_pf_global_is_w1c;
    }
    vgpu_write_bytes(vgpu_pf_cur32, vgpu_pf_write32, is_w1c, &c, off,
                     vgpu_clip(off, size, stride), val, vgpu_clock_ns());
    if (c.raise) {
        vgpu_pf_raise(s, c.raise);
    }
}

static const MemoryRegionOps vgpu_pf_mmio_ops = {
    .read = vgpu_pf_mmio_read,
    .write = vgpu_pf_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* ------------------------------------------------------------------------ */
/* VF BAR0 and BAR2 */

static uint64_t vgpu_vf_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    VgpuVfState *vf = opaque;
    VgpuFn *fn = vf->fn;
    uint64_t val;

    qemu_mutex_lock(&fn->lock);
    val = vgpu_read_bytes(vgpu_vf_reg32, fn, addr, size, vgpu_fn_now(fn));
    qemu_mutex_unlock(&fn->lock);
    return val;
}

static void vgpu_vf_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    VgpuVfState *vf = opaque;
    VgpuFn *fn = vf->fn;
    VgpuIrqs irqs;
    bool reset;

    qemu_mutex_lock(&fn->lock);
    reset = vgpu_write_bytes(vgpu_vf_reg32, vgpu_vf_reg32_write,
                             vgpu_vf_is_w1c, fn, addr, size, val,
                             vgpu_fn_now(fn));
    irqs = vgpu_fn_take_irqs(fn);
    qemu_mutex_unlock(&fn->lock);
    vgpu_fn_flush(fn, irqs);
    if (reset) {
        /* RESET ("RSET"): a function reset that keeps config space. */
        vgpu_fn_reset(fn, VGPU_FN_RESET_FUNCTION);
    }
}

static const MemoryRegionOps vgpu_vf_mmio_ops = {
    .read = vgpu_vf_mmio_read,
    .write = vgpu_vf_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* VF BAR2 outside the window, PF BAR2 beyond device memory: reads 0. */
static uint64_t vgpu_zero_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void vgpu_zero_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
}

static const MemoryRegionOps vgpu_zero_ops = {
    .read = vgpu_zero_read,
    .write = vgpu_zero_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* Bus mastering turned on: a ring with pending work wants an engine. */
static void vgpu_vf_write_config(PCIDevice *dev, uint32_t addr, uint32_t val,
                                 int len)
{
    VgpuVfState *vf = VGPU_VF(dev);
    VgpuFn *fn = vf->fn;
    bool was = pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
    VgpuIrqs irqs;

    pci_default_write_config(dev, addr, val, len);
    pcie_cap_flr_write_config(dev, addr, val, len);
    if (!was && (pci_get_word(dev->config + PCI_COMMAND) &
                 PCI_COMMAND_MASTER)) {
        qemu_mutex_lock(&fn->lock);
        vgpu_fn_kick(fn);
        irqs = vgpu_fn_take_irqs(fn);
        qemu_mutex_unlock(&fn->lock);
        vgpu_fn_flush(fn, irqs);
    }
}

static void vgpu_vf_realize(PCIDevice *dev, Error **errp)
{
    VgpuVfState *vf = VGPU_VF(dev);
    PCIDevice *pdev = pcie_sriov_get_pf(dev);
    VgpuPfState *s;
    VgpuFn *fn;
    unsigned i;
    int ret;

    if (!pdev || !object_dynamic_cast(OBJECT(pdev), TYPE_VGPU_PF)) {
        error_setg(errp, "%s is created by %s only", TYPE_VGPU_VF,
                   TYPE_VGPU_PF);
        return;
    }
    s = VGPU_PF(pdev);
    fn = &s->fns[pcie_sriov_vf_number(dev)];
    vf->fn = fn;

    dev->config_write = vgpu_vf_write_config;
    pci_config_set_interrupt_pin(dev->config, 0);

    memory_region_init(&vf->bar0, OBJECT(vf), "vgpu-vf.bar0", VGPU_REGS_SIZE);
    memory_region_init_io(&vf->regs, OBJECT(vf), &vgpu_vf_mmio_ops, vf,
                          "vgpu-vf.regs", VGPU_REGS_SIZE);
    memory_region_add_subregion_overlap(&vf->bar0, 0, &vf->regs, -1);
    ret = msix_init(dev, VGPU_MSIX_VECTORS, &vf->bar0, VGPU_BAR_REGS,
                    VGPU_MSIX_TABLE_OFFSET, &vf->bar0, VGPU_BAR_REGS,
                    VGPU_MSIX_PBA_OFFSET, VGPU_CAP_MSIX, errp);
    if (ret) {
        return;
    }
    for (i = 0; i < VGPU_MSIX_VECTORS; i++) {
        msix_vector_use(dev, i);
    }
    pcie_sriov_vf_register_bar(dev, VGPU_BAR_REGS, &vf->bar0);

    memory_region_init(&vf->bar2, OBJECT(vf), "vgpu-vf.bar2",
                       s->vf_bar2_size);
    memory_region_init_io(&vf->bar2_zero, OBJECT(vf), &vgpu_zero_ops, vf,
                          "vgpu-vf.bar2-zero", s->vf_bar2_size);
    memory_region_add_subregion_overlap(&vf->bar2, 0, &vf->bar2_zero, 0);
    memory_region_init_alias(&vf->window, OBJECT(vf), "vgpu-vf.window",
                             &s->mem, 0, VGPU_PF_WINDOW_ALIGN);
    memory_region_set_enabled(&vf->window, false);
    memory_region_add_subregion_overlap(&vf->bar2, 0, &vf->window, 1);
    pcie_sriov_vf_register_bar(dev, VGPU_BAR_WINDOW, &vf->bar2);

    ret = pcie_endpoint_cap_init(dev, VGPU_CAP_EXP);
    if (ret < 0) {
        error_setg(errp, "cannot add the PCI Express capability");
        goto err_msix;
    }
    pcie_cap_flr_init(dev);
    pcie_ari_init(dev, VGPU_CAP_ARI);

    qemu_mutex_lock(&fn->lock);
    fn->dev = dev;
    fn->vf = vf;
    fn->dma_bh = qemu_bh_new_guarded(vgpu_fn_dma_bh, fn,
                                     &DEVICE(vf)->mem_reentrancy_guard);
    qemu_mutex_unlock(&fn->lock);
    vgpu_fn_set_profile(fn, fn->profile);
    vgpu_fn_update_bar2(fn);
    return;

err_msix:
    msix_unuse_all_vectors(dev);
    msix_uninit(dev, &vf->bar0, &vf->bar0);
}

static void vgpu_vf_exit(PCIDevice *dev)
{
    VgpuVfState *vf = VGPU_VF(dev);
    VgpuFn *fn = vf->fn;

    if (fn) {
        vgpu_fn_reset(fn, VGPU_FN_RESET_QUIET);
        qemu_mutex_lock(&fn->lock);
        fn->dev = NULL;
        fn->vf = NULL;
        qemu_bh_delete(fn->dma_bh);
        fn->dma_bh = NULL;
        qemu_mutex_unlock(&fn->lock);
    }
    pcie_cap_exit(dev);
    msix_unuse_all_vectors(dev);
    msix_uninit(dev, &vf->bar0, &vf->bar0);
}

/*
 * Reset of the VF: a Function Level Reset (the PCI core calls us with
 * BCR_FLR still set in the device control register) is a function reset;
 * a machine reset, or the VF being enabled or disabled, only resets the
 * vGPU's registers.
 */
static void vgpu_vf_reset_hold(Object *obj, ResetType type)
{
    PCIDevice *dev = PCI_DEVICE(obj);
    VgpuVfState *vf = VGPU_VF(obj);
    bool flr = dev->exp.exp_cap &&
               (pci_get_word(dev->config + dev->exp.exp_cap + PCI_EXP_DEVCTL) &
                PCI_EXP_DEVCTL_BCR_FLR);

    if (vf->fn) {
        vgpu_fn_reset(vf->fn, flr ? VGPU_FN_RESET_FUNCTION :
                                    VGPU_FN_RESET_QUIET);
    }
}

/* ------------------------------------------------------------------------ */
/* The PF */

static void vgpu_pf_write_config(PCIDevice *dev, uint32_t addr, uint32_t val,
                                 int len)
{
    pci_default_write_config(dev, addr, val, len);
    pcie_cap_flr_write_config(dev, addr, val, len);
}

/* Wait until @eng has no run in progress (its VFs are all blocked). */
static void vgpu_engine_wait_idle(VgpuEngine *eng)
{
    qemu_mutex_lock(&eng->lock);
    while ((eng->status & VGPU_PF_ENG_STATUS_BUSY) && !vgpu_dma_fn) {
        qemu_cond_wait(&eng->cond, &eng->lock);
    }
    qemu_mutex_unlock(&eng->lock);
}

/*
 * Machine reset or PF FLR: every run ends, every VF is unprovisioned and
 * its registers reset, the engines and the global registers return to
 * their defaults.  Device memory keeps its contents (the PF driver scrubs
 * windows when it provisions them).
 */
static void vgpu_pf_reset_hold(Object *obj, ResetType type)
{
    VgpuPfState *s = VGPU_PF(obj);
    unsigned i;

    for (i = 0; i < s->nr_vfs; i++) {
        VgpuFn *fn = &s->fns[i];

        vgpu_fn_block(fn);
        vgpu_fn_regs_reset(fn);
        fn->provisioned = false;
        fn->win_base = 0;
        fn->win_size = 0;
        fn->engines = 0;
        fn->event = 0;
        fn->commands = 0;
        fn->bytes = 0;
        fn->errors = 0;
        fn->resets = 0;
        fn->busy_ns = 0;
        fn->pf_event_pending = false;
        vgpu_fn_set_profile(fn, 0);
        vgpu_fn_unblock(fn);
        vgpu_fn_update_bar2(fn);
        vgpu_fn_track_stop(fn);
    }
    for (i = 0; i < s->nr_engines; i++) {
        VgpuEngine *eng = &s->engines[i];

        vgpu_engine_wait_idle(eng);
        qemu_mutex_lock(&eng->lock);
        eng->status = 0;
        eng->budget_ns = 0;
        eng->ran_ns = 0;
        eng->busy_ns = 0;
        eng->runs = 0;
        eng->last_vf = 0;
        qatomic_set(&eng->preempt, false);
        qemu_mutex_unlock(&eng->lock);
    }
    qatomic_set(&s->irq_status, 0);
    qatomic_set(&s->irq_mask, 0);
    qatomic_set(&s->irq_fire, 0);
    qatomic_set(&s->job_timeout_ns, 0);
    qatomic_set(&s->unit_timeout_ns, 0);
    memset(s->state, 0, sizeof(s->state));
    s->state_vf = 0;
    s->state_result = 0;
    s->state_arg = 0;
    s->state_count = 0;
    s->aperture_base = 0;
    vgpu_pf_aperture_map(s);
}

static void vgpu_pf_stop_engines(VgpuPfState *s)
{
    unsigned i;

    if (!s->threads_started) {
        return;
    }
    for (i = 0; i < s->nr_engines; i++) {
        VgpuEngine *eng = &s->engines[i];

        qemu_mutex_lock(&eng->lock);
        qatomic_set(&eng->stop, true);
        qemu_cond_broadcast(&eng->cond);
        qemu_mutex_unlock(&eng->lock);
    }
    /* A run waiting for a DMA gives it up. */
    for (i = 0; i < s->nr_vfs; i++) {
        vgpu_fn_poke(&s->fns[i]);
    }
    for (i = 0; i < s->nr_engines; i++) {
        qemu_thread_join(&s->engines[i].thread);
    }
    s->threads_started = false;
}

static void vgpu_pf_free(VgpuPfState *s)
{
    unsigned i;

    if (s->fns) {
        for (i = 0; i < s->nr_vfs; i++) {
            qemu_cond_destroy(&s->fns[i].dma_cond);
            qemu_cond_destroy(&s->fns[i].cond);
            qemu_mutex_destroy(&s->fns[i].lock);
            g_free(s->fns[i].exec);
        }
        g_free(s->fns);
        s->fns = NULL;
    }
    if (s->engines) {
        for (i = 0; i < s->nr_engines; i++) {
            qemu_cond_destroy(&s->engines[i].cond);
            qemu_mutex_destroy(&s->engines[i].lock);
        }
        g_free(s->engines);
        s->engines = NULL;
    }
    if (s->irq_bh) {
        qemu_bh_delete(s->irq_bh);
        s->irq_bh = NULL;
    }
}

static bool vgpu_pf_check_props(VgpuPfState *s, Error **errp)
{
    if (!s->mem_size || !QEMU_IS_ALIGNED(s->mem_size, VGPU_PF_WINDOW_ALIGN)) {
        error_setg(errp, "mem-size must be a non-zero multiple of 1 MiB");
        return false;
    }
    if (s->nr_engines < 1 || s->nr_engines > VGPU_PF_MAX_ENGINES) {
        error_setg(errp, "engines must be 1 to %d", VGPU_PF_MAX_ENGINES);
        return false;
    }
    if (s->nr_vfs < 1 || s->nr_vfs > VGPU_PF_MAX_VFS) {
        error_setg(errp, "vfs must be 1 to %d", VGPU_PF_MAX_VFS);
        return false;
    }
    if (!is_power_of_2(s->vf_bar2_size) ||
        s->vf_bar2_size < VGPU_PF_WINDOW_ALIGN ||
        s->vf_bar2_size > VGPU_MAX_BAR2_SIZE) {
        error_setg(errp, "vf-bar2-size must be a power of two from 1 MiB "
                   "to 1 GiB");
        return false;
    }
    return true;
}

static void vgpu_pf_realize(PCIDevice *dev, Error **errp)
{
    VgpuPfState *s = VGPU_PF(dev);
    unsigned i;
    int ret;

    if (!vgpu_pf_check_props(s, errp)) {
        return;
    }
    /* SR-IOV lives in extended config space: PCI Express only. */
    if (!pci_bus_is_express(pci_get_bus(dev))) {
        error_setg(errp, "%s needs a PCI Express bus (e.g. a pcie-root-port "
                   "of the q35 machine)", TYPE_VGPU_PF);
        return;
    }

    if (!memory_region_init_ram(&s->mem, OBJECT(s), "vgpu-pf.mem",
                                s->mem_size, errp)) {
        return;
    }
    s->mem_ptr = memory_region_get_ram_ptr(&s->mem);
    s->epoch_ns = vgpu_clock_ns();

    s->fns = g_new0(VgpuFn, s->nr_vfs);
    for (i = 0; i < s->nr_vfs; i++) {
        VgpuFn *fn = &s->fns[i];

        fn->pf = s;
        fn->n = i + 1;
        fn->engine = -1;
        fn->exec = g_new0(struct vgpu_exec, 1);
        fn->epoch_ns = s->epoch_ns;
        qemu_mutex_init(&fn->lock);
        qemu_cond_init(&fn->cond);
        qemu_cond_init(&fn->dma_cond);
    }
    s->engines = g_new0(VgpuEngine, s->nr_engines);
    for (i = 0; i < s->nr_engines; i++) {
        VgpuEngine *eng = &s->engines[i];

        eng->pf = s;
        eng->idx = i;
        qemu_mutex_init(&eng->lock);
        qemu_cond_init(&eng->cond);
    }

    s->irq_bh = qemu_bh_new_guarded(vgpu_pf_irq_bh, s,
                                    &DEVICE(s)->mem_reentrancy_guard);
    dev->config_write = vgpu_pf_write_config;
    pci_config_set_interrupt_pin(dev->config, 0);

    memory_region_init(&s->bar0, OBJECT(s), "vgpu-pf.bar0",
                       VGPU_PF_REGS_SIZE);
    memory_region_init_io(&s->regs, OBJECT(s), &vgpu_pf_mmio_ops, s,
                          "vgpu-pf.regs", VGPU_PF_REGS_SIZE);
    memory_region_add_subregion_overlap(&s->bar0, 0, &s->regs, -1);
    pci_register_bar(dev, VGPU_PF_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->bar0);

    memory_region_init(&s->aperture, OBJECT(s), "vgpu-pf.bar2",
                       VGPU_PF_APERTURE_SIZE);
    memory_region_init_io(&s->aperture_zero, OBJECT(s), &vgpu_zero_ops, s,
                          "vgpu-pf.bar2-zero", VGPU_PF_APERTURE_SIZE);
    memory_region_add_subregion_overlap(&s->aperture, 0, &s->aperture_zero,
                                        0);
    memory_region_init_alias(&s->aperture_mem, OBJECT(s), "vgpu-pf.aperture",
                             &s->mem, 0,
                             MIN(VGPU_PF_APERTURE_SIZE, s->mem_size));
    memory_region_add_subregion_overlap(&s->aperture, 0, &s->aperture_mem, 1);
    pci_register_bar(dev, VGPU_PF_BAR_APERTURE,
                     PCI_BASE_ADDRESS_SPACE_MEMORY, &s->aperture);

    ret = pcie_endpoint_cap_init(dev, VGPU_CAP_EXP);
    if (ret < 0) {
        error_setg(errp, "cannot add the PCI Express capability");
        goto err_free;
    }
    pcie_cap_flr_init(dev);
    ret = msix_init(dev, VGPU_PF_MSIX_VECTORS, &s->bar0, VGPU_PF_BAR_REGS,
                    VGPU_PF_MSIX_TABLE_OFFSET, &s->bar0, VGPU_PF_BAR_REGS,
                    VGPU_PF_MSIX_PBA_OFFSET, VGPU_CAP_MSIX, errp);
    if (ret) {
        goto err_pcie;
    }
    for (i = 0; i < VGPU_PF_MSIX_VECTORS; i++) {
        msix_vector_use(dev, i);
    }
    pcie_ari_init(dev, VGPU_CAP_ARI);

    /* The VFs are realized here; they find their VgpuFn in s->fns. */
    if (!pcie_sriov_pf_init(dev, VGPU_CAP_SRIOV, TYPE_VGPU_VF,
                            VGPU_PCI_DEVICE_ID, s->nr_vfs, s->nr_vfs,
                            VGPU_VF_OFFSET, VGPU_VF_STRIDE, errp)) {
        goto err_msix;
    }
    pcie_sriov_pf_init_vf_bar(dev, VGPU_BAR_REGS,
                              PCI_BASE_ADDRESS_SPACE_MEMORY, VGPU_REGS_SIZE);
    pcie_sriov_pf_init_vf_bar(dev, VGPU_BAR_WINDOW,
                              PCI_BASE_ADDRESS_SPACE_MEMORY, s->vf_bar2_size);

    for (i = 0; i < s->nr_engines; i++) {
        char name[32];

        snprintf(name, sizeof(name), "vgpu-eng%u", i);
        qemu_thread_create(&s->engines[i].thread, name, vgpu_engine_thread,
                           &s->engines[i], QEMU_THREAD_JOINABLE);
    }
    s->threads_started = true;
    return;

err_msix:
    msix_unuse_all_vectors(dev);
    msix_uninit(dev, &s->bar0, &s->bar0);
err_pcie:
    pcie_cap_exit(dev);
err_free:
    vgpu_pf_free(s);
}

static void vgpu_pf_exit(PCIDevice *dev)
{
    VgpuPfState *s = VGPU_PF(dev);

    vgpu_pf_stop_engines(s);
    pcie_sriov_pf_exit(dev);
    msix_unuse_all_vectors(dev);
    msix_uninit(dev, &s->bar0, &s->bar0);
    pcie_cap_exit(dev);
    vgpu_pf_free(s);
}

static const Property vgpu_pf_properties[] = {
    DEFINE_PROP_SIZE("mem-size", VgpuPfState, mem_size, VGPU_DEF_MEM_SIZE),
    DEFINE_PROP_UINT32("engines", VgpuPfState, nr_engines, VGPU_DEF_ENGINES),
    DEFINE_PROP_UINT16("vfs", VgpuPfState, nr_vfs, VGPU_DEF_VFS),
    DEFINE_PROP_SIZE("vf-bar2-size", VgpuPfState, vf_bar2_size,
                     VGPU_DEF_BAR2_SIZE),
};

/*
 * QEMU cannot migrate either function (a VM holding the PF stays where it
 * is); VFs are migrated by the PF driver with STATE_CMD and the aperture.
 */
static const VMStateDescription vgpu_pf_vmstate = {
    .name = TYPE_VGPU_PF,
    .unmigratable = 1,
};

static const VMStateDescription vgpu_vf_vmstate = {
    .name = TYPE_VGPU_VF,
    .unmigratable = 1,
};

static void vgpu_pf_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = vgpu_pf_realize;
    k->exit = vgpu_pf_exit;
    k->vendor_id = VGPU_PCI_VENDOR_ID;
    k->device_id = VGPU_PCI_PF_DEVICE_ID;
    k->revision = VGPU_PCI_REVISION;
    k->class_id = VGPU_PCI_CLASS >> 8;
    k->subsystem_vendor_id = VGPU_PCI_VENDOR_ID;
    k->subsystem_id = VGPU_PCI_PF_DEVICE_ID;
    rc->phases.hold = vgpu_pf_reset_hold;
    dc->desc = "vgpu SR-IOV physical function (Documentation/pf-interface.rst)";
    dc->vmsd = &vgpu_pf_vmstate;
    device_class_set_props(dc, vgpu_pf_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void vgpu_vf_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = vgpu_vf_realize;
    k->exit = vgpu_vf_exit;
    k->vendor_id = VGPU_PCI_VENDOR_ID;
    k->device_id = VGPU_PCI_DEVICE_ID;
    k->revision = VGPU_PCI_REVISION;
    k->class_id = VGPU_PCI_CLASS >> 8;
    k->subsystem_vendor_id = VGPU_PCI_VENDOR_ID;
    k->subsystem_id = VGPU_PCI_SUBSYS_BASE;
    rc->phases.hold = vgpu_vf_reset_hold;
    dc->desc = "vgpu SR-IOV virtual function (a vGPU)";
    dc->vmsd = &vgpu_vf_vmstate;
    dc->user_creatable = false;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo vgpu_pf_info = {
    .name = TYPE_VGPU_PF,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VgpuPfState),
    .class_init = vgpu_pf_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static const TypeInfo vgpu_vf_info = {
    .name = TYPE_VGPU_VF,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VgpuVfState),
    .class_init = vgpu_vf_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void vgpu_register_types(void)
{
    type_register_static(&vgpu_pf_info);
    type_register_static(&vgpu_vf_info);
}

type_init(vgpu_register_types)
