// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu sim device: a function's state saved and restored (migration,
 * suspend and resume), and the record of window pages written.
 */

/**
 * DOC: saving a sim function
 *
 * What a function is besides its window, registers, the command in progress
 * and config space, is read out by vgpu_sim_save() and written back by
 * vgpu_sim_load(), both while the function is held off the engines, so a
 * command is between two work units (a unit completes or leaves no trace).
 * The device clock continues from the value saved.
 *
 * For pre-copy the device also records which window pages were written
 * since they were last saved: a bitmap with one bit per page, set by the
 * engines after they write a page (vgpu_sim_window_written()), by the
 * frontend when the VM writes the window through a mapping or read/write,
 * and for every page by a scrub. The saver takes pages off it
 * (vgpu_sim_take_dirty()) before reading them. Bits are set with atomic
 * bit operations and only the saver clears them, so neither side needs a
 * lock.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/ktime.h>

#include "sim/vgpu_sim.h"

/**
 * vgpu_sim_window_written() - record that window bytes were written
 * @sf: the function
 * @off: first byte, inside the window
 * @len: bytes, inside the window
 *
 * Called after the bytes were written.
 */
void vgpu_sim_window_written(struct vgpu_sim_fn *sf, u64 off, u64 len)
{
	unsigned long first = off >> PAGE_SHIFT;
	unsigned long last = (off + len - 1) >> PAGE_SHIFT;

	if (!len)
		return;
	/* The data is in place before the saver can see the bit. */
	smp_mb__before_atomic();
	if (first == last)
		set_bit(first, sf->dirty);
	else
		bitmap_set(sf->dirty, first, last - first + 1);
}

/**
 * vgpu_sim_take_dirty() - take a run of written pages off the record
 * @sf: the function
 * @from: first page to look at
 * @max: most pages to take
 * @first: set to the run's first page
 *
 * Return: the run's length (its bits are cleared), 0 if no page at or
 * after @from was written.
 */
unsigned long vgpu_sim_take_dirty(struct vgpu_sim_fn *sf, unsigned long from,
				  unsigned long max, unsigned long *first)
{
	unsigned long n = vgpu_bitmap_take_run(sf->dirty, sf->nr_pages, from,
					       max, first);

	/* Clear the bits before the pages are read. */
	smp_mb__after_atomic();
	return n;
}

/**
 * vgpu_sim_dirty_count() - pages written and not yet taken
 * @sf: the function
 * @from: first page to count
 * @to: page after the last to count
 *
 * Return: the number of pages.
 */
unsigned long vgpu_sim_dirty_count(struct vgpu_sim_fn *sf, unsigned long from,
				   unsigned long to)
{
	if (from >= to)
		return 0;
	return bitmap_weight(sf->dirty, to) - bitmap_weight(sf->dirty, from);
}

/**
 * vgpu_sim_mark_all_dirty() - record every window page as written
 * @sf: the function
 */
void vgpu_sim_mark_all_dirty(struct vgpu_sim_fn *sf)
{
	bitmap_fill(sf->dirty, sf->nr_pages);
}

/**
 * vgpu_sim_save() - read out a function's state besides its window
 * @sf: the function, held off the engines
 * @st: filled in
 */
void vgpu_sim_save(struct vgpu_sim_fn *sf, struct vgpu_mig_state *st)
{
	const struct vgpu_regs *r = &sf->regs;

	BUILD_BUG_ON(VGPU_MIG_CFG_SIZE != VGPU_CFG_SIZE);
	memset(st, 0, sizeof(*st));
	mutex_lock(&sf->lock);
	st->ring_base = r->ring_base;
	st->ring_size = r->ring_size;
	st->ring_ctrl = r->ring_ctrl;
	st->head = r->head;
	st->tail = r->tail;
	st->fence = r->fence;
	st->completed = r->completed;
	st->irq_status = r->irq_status;
	st->irq_mask = r->irq_mask;
	st->err_code = r->err_code;
	st->err_index = r->err_index;
	st->err_addr = r->err_addr;
	st->halted = r->halted;
	st->exec_active = sf->exec_active;
	st->clock_ns = vgpu_now_ns(sf);
	st->cmd_run_ns = sf->cmd_run_ns;
	st->bar[0] = sf->bar[0];
	st->bar[1] = sf->bar[1];
	if (sf->exec_active) {
		st->exec.cmd = sf->exec->cmd;
		st->exec.done = sf->exec->done;
		st->exec.k = sf->exec->k;
		st->exec.crc = sf->exec->crc;
		memcpy(st->exec.acc, sf->exec->acc, sizeof(st->exec.acc));
	}
	memcpy(st->cfg, sf->cfg, sizeof(st->cfg));
	mutex_unlock(&sf->lock);
}

/**
 * vgpu_sim_load() - give a function a saved state besides its window
 * @sf: the function, held off the engines
 * @st: a state vgpu_mig_state_check() accepted for this function's window
 *
 * Anything in progress on the function is dropped first; a DMA stall the
 * source was waiting out starts over.
 */
void vgpu_sim_load(struct vgpu_sim_fn *sf, const struct vgpu_mig_state *st)
{
	struct vgpu_regs *r = &sf->regs;

	mutex_lock(&sf->lock);
	vgpu_regs_reset(sf);
	r->ring_base = st->ring_base;
	r->ring_size = st->ring_size;
	r->ring_ctrl = st->ring_ctrl;
	r->head = st->head;
	r->tail = st->tail;
	r->fence = st->fence;
	r->completed = st->completed;
	r->irq_status = st->irq_status;
	r->irq_mask = st->irq_mask;
	r->err_code = st->err_code;
	r->err_index = st->err_index;
	r->err_addr = st->err_addr;
	r->halted = st->halted;
	sf->epoch_ns = ktime_get_ns() - st->clock_ns;
	sf->cmd_run_ns = st->cmd_run_ns;
	sf->bar[0] = st->bar[0];
	sf->bar[1] = st->bar[1];
	if (st->exec_active) {
		vgpu_exec_start(sf->exec, &st->exec.cmd);
		sf->exec->done = st->exec.done;
		sf->exec->k = st->exec.k;
		sf->exec->crc = st->exec.crc;
		memcpy(sf->exec->acc, st->exec.acc, sizeof(st->exec.acc));
		sf->exec_active = true;
	}
	memcpy(sf->cfg, st->cfg, sizeof(sf->cfg));
	sf->irq_pending = 0;
	mutex_unlock(&sf->lock);
}

/**
 * vgpu_sim_page_read() - copy a window page out
 * @sf: the function
 * @index: page index in the window
 * @buf: PAGE_SIZE bytes
 */
void vgpu_sim_page_read(struct vgpu_sim_fn *sf, unsigned long index, void *buf)
{
	memcpy_from_page(buf, sf->pages[index], 0, PAGE_SIZE);
}

/**
 * vgpu_sim_page_write() - copy a window page in
 * @sf: the function, held off the engines
 * @index: page index in the window
 * @buf: PAGE_SIZE bytes
 */
void vgpu_sim_page_write(struct vgpu_sim_fn *sf, unsigned long index,
			 const void *buf)
{
	memcpy_to_page(sf->pages[index], 0, buf, PAGE_SIZE);
}
