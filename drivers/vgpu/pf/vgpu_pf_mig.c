// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu PF driver: saving and restoring a VF for live migration and
 * suspend/resume, through the PF's state page and device memory aperture.
 */

/**
 * DOC: migration of a VF
 *
 * A VF handed to a VM by the vfio-pci variant driver (drivers/vfio/pci/vgpu)
 * migrates in the stream format of an mdev vGPU (lib/vgpu_mig.c), driven by
 * vfio/vgpu_vfio_mig.c; this file is how the PF driver reads and writes the
 * VF's part of it, the way the Xe and mlx5 PF drivers serve their VFs'
 * variant drivers. The VF itself is the VM's and cannot be trusted to
 * describe itself: everything goes through the PF.
 *
 * - Window pages: PF BAR2 is a 2 MiB aperture onto device memory
 *   (interface 1.1); the driver moves it over the VF's window and copies
 *   through it. &vgpu_pf.mig_lock serialises the aperture's users.
 * - Registers and the command in progress: with the VF held off the engines
 *   (the control hold of the migration states), STATE_CMD = SAVE has the
 *   device write them into the PF's state page; restoring writes the page
 *   and LOADs it, which the device checks as it would a guest's register
 *   writes, after vgpu_mig_state_check() did here.
 *
 * The VF's BAR2 maps device memory into the VM directly, so only the device
 * can tell which window pages the VM wrote. A 1.2 device keeps a dirty page
 * log per VF (written through BAR2, by the VF's commands, by a scrub), and
 * VFs of it pre-copy as mdev vGPUs do: every page once while the VM runs,
 * then those the log reports, the stop phase sending only what changed
 * since the last pass. On a 1.1 device VFs offer STOP_COPY alone: every
 * page goes once while the VM is stopped, and the downtime grows with the
 * window. Config space and interrupts belong to vfio-pci and the VMM,
 * which migrate them themselves; the stream's config space image only
 * names the device.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/slab.h>

#include "pf/vgpu_pf.h"

static struct vgpu_pf_vf *vgpu_pf_mig_vf(struct vgpu_vfio_mig *mig)
{
	return container_of(mig->vgpu, struct vgpu_pf_vf, vgpu);
}

static void vgpu_pf_mig_ident(struct vgpu_vfio_mig *mig,
			      struct vgpu_mig_ident *id)
{
	vgpu_mig_ident_of(mig->vgpu, id);
}

/* Where window page @index is in the aperture, moving it if need be. */
static void __iomem *vgpu_pf_aperture_at(struct vgpu_pf *pf, u64 addr)
{
	u64 base = round_down(addr, VGPU_PF_APERTURE_SIZE);

	lockdep_assert_held(&pf->mig_lock);
	if (base != pf->aperture_base) {
		lo_hi_writeq(base, pf->regs + VGPU_PF_REG_APERTURE_BASE);
		pf->aperture_base = base;
	}
	return pf->aperture + (addr - base);
}

static int vgpu_pf_mig_read_pages(struct vgpu_vfio_mig *mig,
				  unsigned long first, unsigned long n,
				  void *buf)
{
	struct vgpu_pf *pf = vgpu_pf_mig_vf(mig)->pf;
	u64 addr = mig->vgpu->mem_offset + ((u64)first << PAGE_SHIFT);
	unsigned long i;

	mutex_lock(&pf->mig_lock);
	for (i = 0; i < n; i++, addr += PAGE_SIZE)
		memcpy_fromio(buf + (i << PAGE_SHIFT),
			      vgpu_pf_aperture_at(pf, addr), PAGE_SIZE);
	mutex_unlock(&pf->mig_lock);
	return 0;
}

static int vgpu_pf_mig_write_page(struct vgpu_vfio_mig *mig, u64 index,
				  const void *data)
{
	struct vgpu_pf *pf = vgpu_pf_mig_vf(mig)->pf;
	u64 addr = mig->vgpu->mem_offset + (index << PAGE_SHIFT);

	mutex_lock(&pf->mig_lock);
	memcpy_toio(vgpu_pf_aperture_at(pf, addr), data, PAGE_SIZE);
	mutex_unlock(&pf->mig_lock);
	return 0;
}

/* Run a state page command for VF @n; caller holds &vgpu_pf.mig_lock. */
static int vgpu_pf_state_cmd(struct vgpu_pf *pf, u32 n, u32 cmd)
{
	static const char * const why[] = {
		[VGPU_PF_STATE_ERR_VF] = "the VF is not provisioned",
		[VGPU_PF_STATE_ERR_BUSY] = "the VF is on an engine",
		[VGPU_PF_STATE_ERR_INVALID] = "the device refused the state",
		[VGPU_PF_STATE_ERR_CMD] = "the device does not know the command",
		[VGPU_PF_STATE_ERR_TRACK] = "the VF's dirty log is off",
	};
	static const char * const name[] = {
		[VGPU_PF_STATE_CMD_SAVE] = "save",
		[VGPU_PF_STATE_CMD_LOAD] = "load",
		[VGPU_PF_STATE_CMD_TRACK_START] = "dirty log start",
		[VGPU_PF_STATE_CMD_DIRTY] = "dirty log read",
		[VGPU_PF_STATE_CMD_TRACK_STOP] = "dirty log stop",
	};
	u32 res;

	lockdep_assert_held(&pf->mig_lock);
	writel(n, pf->regs + VGPU_PF_REG_STATE_VF);
	writel(cmd, pf->regs + VGPU_PF_REG_STATE_CMD);
	res = readl(pf->regs + VGPU_PF_REG_STATE_RESULT);
	if (res == VGPU_PF_STATE_OK)
		return 0;
	dev_err(&pf->pdev->dev, "VF %u: %s failed: %s (%u)\n", n, name[cmd],
		res < ARRAY_SIZE(why) && why[res] ? why[res] : "unknown result",
		res);
	return res == VGPU_PF_STATE_ERR_INVALID ? -EINVAL : -EIO;
}

/* The state image (<uapi/linux/vgpu_pf.h>) as a stream's state record. */
static void vgpu_pf_state_decode(const u8 *img, struct vgpu_mig_state *st)
{
	u32 flags = get_unaligned_le32(img + VGPU_PF_ST_FLAGS);
	const u8 *acc = img + VGPU_PF_ST_ACC;
	u32 i;

	memset(st, 0, sizeof(*st));
	st->ring_base = get_unaligned_le64(img + VGPU_PF_ST_RING_BASE);
	st->ring_size = get_unaligned_le32(img + VGPU_PF_ST_RING_SIZE);
	st->ring_ctrl = get_unaligned_le32(img + VGPU_PF_ST_RING_CTRL);
	st->head = get_unaligned_le32(img + VGPU_PF_ST_HEAD);
	st->tail = get_unaligned_le32(img + VGPU_PF_ST_TAIL);
	st->fence = get_unaligned_le64(img + VGPU_PF_ST_FENCE);
	st->completed = get_unaligned_le64(img + VGPU_PF_ST_COMPLETED);
	st->irq_status = get_unaligned_le32(img + VGPU_PF_ST_IRQ_STATUS);
	st->irq_mask = get_unaligned_le32(img + VGPU_PF_ST_IRQ_MASK);
	st->err_code = get_unaligned_le32(img + VGPU_PF_ST_ERR_CODE);
	st->err_index = get_unaligned_le32(img + VGPU_PF_ST_ERR_INDEX);
	st->err_addr = get_unaligned_le64(img + VGPU_PF_ST_ERR_ADDR);
	st->halted = flags & VGPU_PF_ST_FLAG_HALTED;
	st->exec_active = flags & VGPU_PF_ST_FLAG_EXEC;
	st->clock_ns = get_unaligned_le64(img + VGPU_PF_ST_CLOCK_NS);
	st->cmd_run_ns = get_unaligned_le64(img + VGPU_PF_ST_CMD_RUN_NS);
	if (st->exec_active) {
		vgpu_cmd_from_le(img + VGPU_PF_ST_CMD, &st->exec.cmd);
		st->exec.done = get_unaligned_le64(img + VGPU_PF_ST_EXEC_DONE);
		st->exec.k = get_unaligned_le32(img + VGPU_PF_ST_EXEC_K);
		st->exec.crc = get_unaligned_le32(img + VGPU_PF_ST_EXEC_CRC);
		for (i = 0; i < VGPU_GEMM_TILE * VGPU_GEMM_TILE; i++)
			st->exec.acc[i / VGPU_GEMM_TILE][i % VGPU_GEMM_TILE] =
				get_unaligned_le32(acc + 4 * i);
	}
	/* The function the state is of; vfio-pci keeps the config space. */
	put_unaligned_le16(VGPU_PCI_VENDOR_ID, st->cfg + PCI_VENDOR_ID);
	put_unaligned_le16(VGPU_PCI_DEVICE_ID, st->cfg + PCI_DEVICE_ID);
}

static void vgpu_pf_state_encode(const struct vgpu_mig_state *st, u8 *img)
{
	u8 *acc = img + VGPU_PF_ST_ACC;
	u32 i;

	memset(img, 0, VGPU_PF_STATE_PAGE_SIZE);
	put_unaligned_le64(st->ring_base, img + VGPU_PF_ST_RING_BASE);
	put_unaligned_le32(st->ring_size, img + VGPU_PF_ST_RING_SIZE);
	put_unaligned_le32(st->ring_ctrl, img + VGPU_PF_ST_RING_CTRL);
	put_unaligned_le32(st->head, img + VGPU_PF_ST_HEAD);
	put_unaligned_le32(st->tail, img + VGPU_PF_ST_TAIL);
	put_unaligned_le64(st->fence, img + VGPU_PF_ST_FENCE);
	put_unaligned_le64(st->completed, img + VGPU_PF_ST_COMPLETED);
	put_unaligned_le32(st->irq_status, img + VGPU_PF_ST_IRQ_STATUS);
	put_unaligned_le32(st->irq_mask, img + VGPU_PF_ST_IRQ_MASK);
	put_unaligned_le32(st->err_code, img + VGPU_PF_ST_ERR_CODE);
	put_unaligned_le32(st->err_index, img + VGPU_PF_ST_ERR_INDEX);
	put_unaligned_le64(st->err_addr, img + VGPU_PF_ST_ERR_ADDR);
	put_unaligned_le32((st->halted ? VGPU_PF_ST_FLAG_HALTED : 0) |
			   (st->exec_active ? VGPU_PF_ST_FLAG_EXEC : 0),
			   img + VGPU_PF_ST_FLAGS);
	put_unaligned_le64(st->clock_ns, img + VGPU_PF_ST_CLOCK_NS);
	put_unaligned_le64(st->cmd_run_ns, img + VGPU_PF_ST_CMD_RUN_NS);
	if (!st->exec_active)
		return;
	vgpu_cmd_to_le(&st->exec.cmd, img + VGPU_PF_ST_CMD);
	put_unaligned_le64(st->exec.done, img + VGPU_PF_ST_EXEC_DONE);
	put_unaligned_le32(st->exec.k, img + VGPU_PF_ST_EXEC_K);
	put_unaligned_le32(st->exec.crc, img + VGPU_PF_ST_EXEC_CRC);
	for (i = 0; i < VGPU_GEMM_TILE * VGPU_GEMM_TILE; i++)
		put_unaligned_le32(st->exec.acc[i / VGPU_GEMM_TILE]
					       [i % VGPU_GEMM_TILE],
				   acc + 4 * i);
}

/*
 * Give VF @v the state @load (LOAD), or fill @save with its state (SAVE):
 * one of them is NULL.
 */
static int vgpu_pf_state_xfer(struct vgpu_pf_vf *v,
			      const struct vgpu_mig_state *load,
			      struct vgpu_mig_state *save)
{
	struct vgpu_pf *pf = v->pf;
	int err;

	mutex_lock(&pf->mig_lock);
	if (load) {
		vgpu_pf_state_encode(load, pf->state_img);
		memcpy_toio(pf->regs + VGPU_PF_STATE_PAGE, pf->state_img,
			    VGPU_PF_STATE_PAGE_SIZE);
	}
	err = vgpu_pf_state_cmd(pf, v->n, load ? VGPU_PF_STATE_CMD_LOAD :
						 VGPU_PF_STATE_CMD_SAVE);
	if (!err && save) {
		memcpy_fromio(pf->state_img, pf->regs + VGPU_PF_STATE_PAGE,
			      VGPU_PF_STATE_PAGE_SIZE);
		vgpu_pf_state_decode(pf->state_img, save);
	}
	mutex_unlock(&pf->mig_lock);
	return err;
}

static int vgpu_pf_mig_save_state(struct vgpu_vfio_mig *mig,
				  struct vgpu_mig_state *st)
{
	return vgpu_pf_state_xfer(vgpu_pf_mig_vf(mig), NULL, st);
}

static int vgpu_pf_mig_load_state(struct vgpu_vfio_mig *mig,
				  const struct vgpu_mig_state *st)
{
	return vgpu_pf_state_xfer(vgpu_pf_mig_vf(mig), st, NULL);
}

/*
 * Pre-copy (interface 1.2): the device logs the window pages written, by
 * the VM through BAR2 or by the VF's commands; @dirty holds the pages to
 * send, all of them at first, and takes in the device's log whenever it
 * has no page left to offer from where the saver looks.
 */
static int vgpu_pf_mig_track_start(struct vgpu_vfio_mig *mig)
{
	struct vgpu_pf_vf *v = vgpu_pf_mig_vf(mig);
	unsigned long nr = mig->vgpu->mem_size >> PAGE_SHIFT;
	struct vgpu_pf *pf = v->pf;
	unsigned long *map;
	int err;

	map = bitmap_alloc(nr, GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	bitmap_fill(map, nr);
	mutex_lock(&pf->mig_lock);
	err = vgpu_pf_state_cmd(pf, v->n, VGPU_PF_STATE_CMD_TRACK_START);
	if (!err) {
		swap(v->dirty, map);
		v->dirty_pages = nr;
	}
	mutex_unlock(&pf->mig_lock);
	bitmap_free(map);
	return err;
}

static void vgpu_pf_mig_track_stop(struct vgpu_vfio_mig *mig)
{
	struct vgpu_pf_vf *v = vgpu_pf_mig_vf(mig);
	struct vgpu_pf *pf = v->pf;

	mutex_lock(&pf->mig_lock);
	vgpu_pf_state_cmd(pf, v->n, VGPU_PF_STATE_CMD_TRACK_STOP);
	bitmap_free(v->dirty);
	v->dirty = NULL;
	v->dirty_pages = 0;
	mutex_unlock(&pf->mig_lock);
}

/*
 * Move the device's log of VF @v's window into &vgpu_pf_vf.dirty. Should
 * the log not be read, every page is to be sent again rather than one lost.
 */
static void vgpu_pf_dirty_sync(struct vgpu_pf_vf *v)
{
	struct vgpu_pf *pf = v->pf;
	unsigned long first, n, i, page;
	u64 w;

	lockdep_assert_held(&pf->mig_lock);
	for (first = 0; first < v->dirty_pages;
	     first += VGPU_PF_DIRTY_CHUNK_PAGES) {
		writel(first, pf->regs + VGPU_PF_REG_STATE_ARG);
		if (vgpu_pf_state_cmd(pf, v->n, VGPU_PF_STATE_CMD_DIRTY)) {
			bitmap_fill(v->dirty, v->dirty_pages);
			return;
		}
		if (!readl(pf->regs + VGPU_PF_REG_STATE_COUNT))
			continue;
		n = min_t(unsigned long, v->dirty_pages - first,
			  VGPU_PF_DIRTY_CHUNK_PAGES);
		memcpy_fromio(pf->state_img, pf->regs + VGPU_PF_STATE_PAGE,
			      DIV_ROUND_UP(n, 64) * 8);
		for (i = 0; i < DIV_ROUND_UP(n, 64); i++) {
			w = get_unaligned_le64(pf->state_img + 8 * i);
			for (; w; w &= w - 1) {
				page = first + 64 * i + __ffs64(w);
				if (page < v->dirty_pages)
					set_bit(page, v->dirty);
			}
		}
	}
}

static unsigned long vgpu_pf_mig_take_dirty(struct vgpu_vfio_mig *mig,
					    unsigned long start,
					    unsigned long max,
					    unsigned long *first)
{
	struct vgpu_pf_vf *v = vgpu_pf_mig_vf(mig);
	struct vgpu_pf *pf = v->pf;
	unsigned long n;

	mutex_lock(&pf->mig_lock);
	n = vgpu_bitmap_take_run(v->dirty, v->dirty_pages, start, max, first);
	/* None left from @start: what the device logged meanwhile. */
	if (!n) {
		vgpu_pf_dirty_sync(v);
		n = vgpu_bitmap_take_run(v->dirty, v->dirty_pages, start, max,
					 first);
	}
	mutex_unlock(&pf->mig_lock);
	return n;
}

static unsigned long vgpu_pf_mig_dirty_count(struct vgpu_vfio_mig *mig,
					     unsigned long from,
					     unsigned long to)
{
	struct vgpu_pf_vf *v = vgpu_pf_mig_vf(mig);
	struct vgpu_pf *pf = v->pf;
	unsigned long n;

	mutex_lock(&pf->mig_lock);
	vgpu_pf_dirty_sync(v);
	n = bitmap_weight(v->dirty, to) - bitmap_weight(v->dirty, from);
	mutex_unlock(&pf->mig_lock);
	return n;
}

/* A failed resume: the window zeroed, the registers as after a reset. */
static void vgpu_pf_mig_reset(struct vgpu_vfio_mig *mig)
{
	struct vgpu_pf_vf *v = vgpu_pf_mig_vf(mig);
	struct vgpu_mig_state *st;

	v->pf->vdev->ops->fn_scrub(v->pf->vdev, v->n);
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st || vgpu_pf_state_xfer(v, st, NULL))
		dev_err(&v->pdev->dev,
			"migration: could not reset the registers; reset the VF\n");
	kfree(st);
}

/* How the migration layer reaches a VF's state: without pre-copy (1.1) */
static const struct vgpu_vfio_mig_ops vgpu_pf_mig_ops = {
	.ident = vgpu_pf_mig_ident,
	.read_pages = vgpu_pf_mig_read_pages,
	.write_page = vgpu_pf_mig_write_page,
	.save_state = vgpu_pf_mig_save_state,
	.load_state = vgpu_pf_mig_load_state,
	.reset = vgpu_pf_mig_reset,
};

/* ... and with it (1.2) */
static const struct vgpu_vfio_mig_ops vgpu_pf_mig_track_ops = {
	.ident = vgpu_pf_mig_ident,
	.track_start = vgpu_pf_mig_track_start,
	.track_stop = vgpu_pf_mig_track_stop,
	.take_dirty = vgpu_pf_mig_take_dirty,
	.dirty_count = vgpu_pf_mig_dirty_count,
	.read_pages = vgpu_pf_mig_read_pages,
	.write_page = vgpu_pf_mig_write_page,
	.save_state = vgpu_pf_mig_save_state,
	.load_state = vgpu_pf_mig_load_state,
	.reset = vgpu_pf_mig_reset,
};

/**
 * vgpu_pf_vf_mig_ops() - how the migration layer reaches a VF's state
 * @vgpu: a VF's vGPU, from vgpu_pf_vf_vgpu()
 *
 * For the vfio-pci variant driver, which gives them to vgpu_vfio_mig_init().
 *
 * Return: the operations, with pre-copy if the device logs written pages.
 */
const struct vgpu_vfio_mig_ops *vgpu_pf_vf_mig_ops(struct vgpu *vgpu)
{
	struct vgpu_pf_vf *v = container_of(vgpu, struct vgpu_pf_vf, vgpu);

	return v->pf->can_track ? &vgpu_pf_mig_track_ops : &vgpu_pf_mig_ops;
}
EXPORT_SYMBOL_GPL(vgpu_pf_vf_mig_ops);

/**
 * vgpu_pf_mig_init() - find out whether the PF can save and restore VFs
 * @pf: the PF being probed, its registers mapped
 *
 * Maps the device memory aperture of an interface 1.1 device. Without it
 * (an older device) VFs do not migrate; the PF works as before.
 *
 * Return: 0 or a negative errno.
 */
int vgpu_pf_mig_init(struct vgpu_pf *pf)
{
	struct pci_dev *pdev = pf->pdev;
	u32 version = readl(pf->regs + VGPU_PF_REG_VERSION);

	mutex_init(&pf->mig_lock);
	if ((version & 0xffff) < 1) {
		dev_info(&pdev->dev,
			 "interface %u.%u: VFs cannot be saved or migrated (1.1 can)\n",
			 version >> 16, version & 0xffff);
		return 0;
	}
	if (pci_resource_len(pdev, VGPU_PF_BAR_APERTURE) <
	    VGPU_PF_APERTURE_SIZE) {
		dev_err(&pdev->dev, "BAR%u is smaller than the %u-byte aperture\n",
			VGPU_PF_BAR_APERTURE, VGPU_PF_APERTURE_SIZE);
		return -ENODEV;
	}
	pf->state_img = devm_kmalloc(&pdev->dev, VGPU_PF_STATE_PAGE_SIZE,
				     GFP_KERNEL);
	if (!pf->state_img)
		return -ENOMEM;
	pf->aperture = pcim_iomap(pdev, VGPU_PF_BAR_APERTURE,
				  VGPU_PF_APERTURE_SIZE);
	if (!pf->aperture)
		return -ENOMEM;
	lo_hi_writeq(0, pf->regs + VGPU_PF_REG_APERTURE_BASE);
	pf->aperture_base = 0;
	pf->can_track = (version & 0xffff) >= 2;
	if (!pf->can_track)
		dev_info(&pdev->dev,
			 "interface %u.%u: VFs migrate without pre-copy (1.2 logs written pages)\n",
			 version >> 16, version & 0xffff);
	return 0;
}
