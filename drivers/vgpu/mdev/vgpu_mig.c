// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu mdev frontend: VFIO migration v2 (live migration, suspend, resume).
 */

/**
 * DOC: migration of an mdev vGPU
 *
 * The VMM drives the VFIO migration state machine (uapi/linux/vfio.h):
 * STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P, PRE_COPY and
 * PRE_COPY_P2P. The vGPU starts no peer-to-peer DMA, so the P2P states run
 * as their plain counterparts. STOP and the states around it keep the vGPU
 * off the engines with a control hold (VGPU_HOLD_MIGRATION, shown as
 * "stopped"): once the arc returns, no engine runs it, no DMA or interrupt
 * comes from it and its command in progress rests between two work units.
 *
 * Saving (PRE_COPY, then STOP_COPY, or STOP_COPY alone) streams the format
 * of lib/vgpu_mig.c over the data file: a header, the window's pages,
 * the registers and the command in progress, an end record. Pre-copy sends
 * every page once while the VM runs, then again every page written since it
 * was sent; STOP_COPY sends what is still unsent, then the state. To know
 * which pages the VM writes through its mapping of the window, the mapping
 * is write-protected page by page: the window's pages are mapped read-only
 * first and vgpu_window_mkwrite() records a page in the sim function's
 * bitmap, under the page lock, before making it writable; before the saver
 * reads a run of pages it takes their bits, locks the pages and unmaps them
 * from every mapping of the device, so that the next write faults again.
 * The engines record the pages they write themselves; what they write into
 * guest memory is logged by the VFIO IOMMU's dirty tracking (vfio_dma_rw()).
 *
 * Resuming checks the stream as it arrives (vgpu_mig_rx_feed()); a header
 * from another profile or an unknown version makes write() fail with the
 * reason in the log, and the source keeps running. Leaving RESUMING checks
 * that the stream was complete and every window page arrived; otherwise
 * the arc fails, the vGPU is reset (its window zeroed) and the state is
 * ERROR until VFIO_DEVICE_RESET.
 *
 * After a save ran to its end the source's window holds a copy of state that
 * now belongs to the destination: when the VMM closes the device while it
 * is still stopped, the window is zeroed. If the VMM instead runs the vGPU
 * again (the migration failed), it continues as if nothing happened.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "mdev/vgpu_mdev.h"
#include "sim/vgpu_sim.h"

#if VGPU_HAVE_MIGRATION

/* Room for a record header and the largest payload built in one go. */
#define VGPU_MIG_OUT_BYTES	(2 * VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES)
/* Bytes a resuming write() copies in at a time. */
#define VGPU_MIG_CHUNK		(64 * 1024)

/**
 * struct vgpu_mig_file - one data transfer session
 * @filp: its file; the vGPU holds a reference while the session lasts
 * @m: the vGPU
 * @lock: protects everything below; serialises read() and write()
 * @disabled: the session ended; the file only returns errors
 * @saving: a saving session (else resuming)
 * @precopy: the vGPU is in PRE_COPY or PRE_COPY_P2P
 * @stopped: the vGPU is in STOP_COPY: after the pages, the state and END
 * @out: record bytes built and not yet read
 * @out_len: bytes in @out
 * @out_pos: bytes of @out read
 * @run: the pages of the PAGES record being read
 * @run_len: bytes in @run
 * @run_pos: bytes of @run read
 * @cursor: the next page the saver looks at
 * @passes: times the saver went over the whole window
 * @header_done: the HEADER record was built
 * @final_done: STATE and END were built
 * @pages: pages sent before and after the stop
 * @rx: resuming: the stream decoder
 * @got: resuming: pages received
 * @chunk: resuming: bytes copied in from the VMM
 */
struct vgpu_mig_file {
	struct file *filp;
	struct vgpu_mdev *m;
	struct mutex lock; /* see above */
	bool disabled;
	bool saving;
	bool precopy;
	bool stopped;
	u8 out[VGPU_MIG_OUT_BYTES];
	size_t out_len;
	size_t out_pos;
	u8 *run;
	size_t run_len;
	size_t run_pos;
	unsigned long cursor;
	unsigned int passes;
	bool header_done;
	bool final_done;
	u64 pages[2];
	struct vgpu_mig_rx *rx;
	unsigned long *got;
	u8 *chunk;
};

static u64 vgpu_window_file_offset(unsigned long page)
{
	return VGPU_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX +
				    VGPU_BAR_WINDOW) +
	       ((u64)page << PAGE_SHIFT);
}

/*
 * Take the next run of written pages and copy it out. The pages are locked
 * while they are unmapped and copied, so a write that faults on one of them
 * meanwhile records it again once it may proceed.
 */
static bool vgpu_mig_next_run(struct vgpu_mig_file *f)
{
	struct vgpu_sim_fn *sf = f->m->sf;
	unsigned long first, n, i;

	n = vgpu_sim_take_dirty(sf, f->cursor, VGPU_MIG_RUN_PAGES, &first);
	if (!n && f->cursor) {
		f->cursor = 0;
		f->passes++;
		n = vgpu_sim_take_dirty(sf, 0, VGPU_MIG_RUN_PAGES, &first);
	}
	if (!n)
		return false;
	for (i = 0; i < n; i++)
		lock_page(sf->pages[first + i]);
	unmap_mapping_range(f->m->vdev.inode->i_mapping,
			    vgpu_window_file_offset(first), n << PAGE_SHIFT,
			    true);
	for (i = 0; i < n; i++)
		vgpu_sim_page_read(sf, first + i, f->run + (i << PAGE_SHIFT));
	for (i = 0; i < n; i++)
		unlock_page(sf->pages[first + i]);

	vgpu_mig_rec_encode(f->out, VGPU_MIG_REC_PAGES,
			    VGPU_MIG_PAGES_PREFIX + (n << PAGE_SHIFT));
	vgpu_mig_pages_prefix(f->out + VGPU_MIG_REC_BYTES, first);
	f->out_len = VGPU_MIG_REC_BYTES + VGPU_MIG_PAGES_PREFIX;
	f->out_pos = 0;
	f->run_len = n << PAGE_SHIFT;
	f->run_pos = 0;
	f->cursor = first + n;
	if (f->cursor >= sf->nr_pages) {
		f->cursor = 0;
		f->passes++;
	}
	f->pages[f->stopped] += n;
	return true;
}

/* Build the next records; false if there is nothing to send now. */
static bool vgpu_mig_refill(struct vgpu_mig_file *f)
{
	struct vgpu_mig_ident id;
	struct vgpu_mig_state *st;

	if (!f->header_done) {
		vgpu_sim_ident(f->m->sf, &id);
		vgpu_mig_rec_encode(f->out, VGPU_MIG_REC_HEADER,
				    VGPU_MIG_HEADER_BYTES);
		vgpu_mig_header_encode(f->out + VGPU_MIG_REC_BYTES, &id);
		f->out_len = VGPU_MIG_REC_BYTES + VGPU_MIG_HEADER_BYTES;
		f->out_pos = 0;
		f->header_done = true;
		return true;
	}
	if (vgpu_mig_next_run(f))
		return true;
	if (!f->stopped || f->final_done)
		return false;
	st = kvzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return false;
	vgpu_sim_save(f->m->sf, st);
	vgpu_mig_rec_encode(f->out, VGPU_MIG_REC_STATE, VGPU_MIG_STATE_BYTES);
	vgpu_mig_state_encode(f->out + VGPU_MIG_REC_BYTES, st);
	vgpu_mig_rec_encode(f->out + VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES,
			    VGPU_MIG_REC_END, 0);
	kvfree(st);
	f->out_len = 2 * VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES;
	f->out_pos = 0;
	f->final_done = true;
	return true;
}

static ssize_t vgpu_mig_read(struct file *filp, char __user *buf, size_t len,
			     loff_t *pos)
{
	struct vgpu_mig_file *f = filp->private_data;
	ssize_t done = 0;
	size_t n;

	if (pos)
		return -ESPIPE;
	mutex_lock(&f->lock);
	if (f->disabled || !f->saving) {
		done = -ENODEV;
		goto out;
	}
	while (done < len) {
		if (f->out_pos < f->out_len) {
			n = min(len - done, f->out_len - f->out_pos);
			if (copy_to_user(buf + done, f->out + f->out_pos, n))
				goto fault;
			f->out_pos += n;
		} else if (f->run_pos < f->run_len) {
			n = min(len - done, f->run_len - f->run_pos);
			if (copy_to_user(buf + done, f->run + f->run_pos, n))
				goto fault;
			f->run_pos += n;
		} else if (vgpu_mig_refill(f)) {
			continue;
		} else {
			break;
		}
		done += n;
	}
	/* Pre-copy has nothing more for now: a temporary end of stream. */
	if (!done && len && !f->stopped)
		done = -ENOMSG;
	else if (!done && len && f->stopped && !f->final_done)
		done = -ENOMEM;
	goto out;
fault:
	if (!done)
		done = -EFAULT;
out:
	mutex_unlock(&f->lock);
	return done;
}

static int vgpu_mig_rx_page(void *ctx, u64 index, const u8 *data)
{
	struct vgpu_mig_file *f = ctx;

	vgpu_sim_page_write(f->m->sf, index, data);
	set_bit(index, f->got);
	return 0;
}

static int vgpu_mig_rx_state(void *ctx, const struct vgpu_mig_state *st)
{
	struct vgpu_mig_file *f = ctx;

	vgpu_sim_load(f->m->sf, st);
	return 0;
}

static const struct vgpu_mig_rx_ops vgpu_mig_rx_ops = {
	.page = vgpu_mig_rx_page,
	.state = vgpu_mig_rx_state,
};

static ssize_t vgpu_mig_write(struct file *filp, const char __user *buf,
			      size_t len, loff_t *pos)
{
	struct vgpu_mig_file *f = filp->private_data;
	ssize_t done = 0;
	size_t n;
	int err;

	if (pos)
		return -ESPIPE;
	mutex_lock(&f->lock);
	if (f->disabled || f->saving) {
		done = -ENODEV;
		goto out;
	}
	while (done < len) {
		n = min_t(size_t, len - done, VGPU_MIG_CHUNK);
		if (copy_from_user(f->chunk, buf + done, n)) {
			done = done ? done : -EFAULT;
			goto out;
		}
		err = vgpu_mig_rx_feed(f->rx, f->chunk, n, &vgpu_mig_rx_ops, f);
		if (err) {
			dev_err(f->m->vgpu.log,
				"migration: refusing the incoming state: %s (%d)\n",
				f->rx->why, err);
			done = err;
			goto out;
		}
		done += n;
	}
out:
	mutex_unlock(&f->lock);
	return done;
}

static long vgpu_mig_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct vgpu_mig_file *f = filp->private_data;
	unsigned long minsz = offsetofend(struct vfio_precopy_info,
					  dirty_bytes);
	struct vfio_precopy_info info;
	struct vgpu_sim_fn *sf;
	u64 ahead, behind;
	int ret = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	mutex_lock(&f->lock);
	if (f->disabled || !f->saving || !f->precopy) {
		ret = -EINVAL;
		goto out;
	}
	sf = f->m->sf;
	ahead = vgpu_sim_dirty_count(sf, f->cursor, sf->nr_pages);
	behind = vgpu_sim_dirty_count(sf, 0, f->cursor);
	info.flags = 0;
	info.initial_bytes = f->out_len - f->out_pos + f->run_len - f->run_pos;
	info.dirty_bytes = 0;
	if (!f->passes)
		info.initial_bytes += ahead << PAGE_SHIFT;
	else
		info.dirty_bytes += ahead << PAGE_SHIFT;
	info.dirty_bytes += behind << PAGE_SHIFT;
	if (!f->header_done)
		info.initial_bytes += VGPU_MIG_REC_BYTES + VGPU_MIG_HEADER_BYTES;
out:
	mutex_unlock(&f->lock);
	if (!ret && copy_to_user((void __user *)arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}

static void vgpu_mig_file_free(struct vgpu_mig_file *f)
{
	kvfree(f->run);
	kvfree(f->rx);
	bitmap_free(f->got);
	kvfree(f->chunk);
	mutex_destroy(&f->lock);
	kvfree(f);
}

static int vgpu_mig_release(struct inode *inode, struct file *filp)
{
	vgpu_mig_file_free(filp->private_data);
	return 0;
}

static const struct file_operations vgpu_mig_fops = {
	.owner = THIS_MODULE,
	.read = vgpu_mig_read,
	.write = vgpu_mig_write,
	.unlocked_ioctl = vgpu_mig_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vgpu_mig_release,
};

static struct file *vgpu_mig_file_open(struct vgpu_mdev *m, bool saving)
{
	struct vgpu_mig_ident id;
	struct vgpu_mig_file *f;
	struct file *filp;

	f = vgpu_alloc(kvzalloc(sizeof(*f), GFP_KERNEL));
	if (!f)
		return ERR_PTR(-ENOMEM);
	mutex_init(&f->lock);
	f->m = m;
	f->saving = saving;
	if (saving) {
		f->run = vgpu_alloc(kvmalloc(VGPU_MIG_RUN_PAGES * PAGE_SIZE,
					     GFP_KERNEL));
		if (!f->run)
			goto nomem;
	} else {
		f->rx = vgpu_alloc(kvzalloc(sizeof(*f->rx), GFP_KERNEL));
		f->got = vgpu_alloc(bitmap_zalloc(m->sf->nr_pages, GFP_KERNEL));
		f->chunk = vgpu_alloc(kvmalloc(VGPU_MIG_CHUNK, GFP_KERNEL));
		if (!f->rx || !f->got || !f->chunk)
			goto nomem;
		vgpu_sim_ident(m->sf, &id);
		vgpu_mig_rx_init(f->rx, &id);
	}
	filp = anon_inode_getfile("[vgpu-migration]", &vgpu_mig_fops, f,
				  saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		vgpu_mig_file_free(f);
		return filp;
	}
	stream_open(filp->f_inode, filp);
	if (saving)
		vgpu_sim_mark_all_dirty(m->sf);
	/* The VMM may close the file before the session ends: keep it. */
	f->filp = get_file(filp);
	m->mig_file = f;
	return filp;
nomem:
	vgpu_mig_file_free(f);
	return ERR_PTR(-ENOMEM);
}

/* End the session: the file only returns errors from now on. */
static void vgpu_mig_file_end(struct vgpu_mdev *m)
{
	struct vgpu_mig_file *f = m->mig_file;

	lockdep_assert_held(&m->mig_lock);
	if (!f)
		return;
	mutex_lock(&f->lock);
	f->disabled = true;
	mutex_unlock(&f->lock);
	m->mig_file = NULL;
	fput(f->filp);
}

static void vgpu_mig_stop(struct vgpu_mdev *m)
{
	lockdep_assert_held(&m->mig_lock);
	if (!m->mig_held) {
		vgpu_control_hold(&m->vgpu, VGPU_HOLD_MIGRATION);
		m->mig_held = true;
	}
}

static void vgpu_mig_run(struct vgpu_mdev *m)
{
	lockdep_assert_held(&m->mig_lock);
	if (m->mig_held) {
		vgpu_control_release(&m->vgpu, VGPU_HOLD_MIGRATION);
		m->mig_held = false;
	}
	m->mig_saved = false;
}

/* The saving session reaches STOP_COPY: from now on it sends the end. */
static void vgpu_mig_file_stopped(struct vgpu_mdev *m)
{
	struct vgpu_mig_file *f = m->mig_file;

	mutex_lock(&f->lock);
	f->precopy = false;
	f->stopped = true;
	mutex_unlock(&f->lock);
}

/* Leaving STOP_COPY: was the whole state read? Then it left with it. */
static void vgpu_mig_save_done(struct vgpu_mdev *m)
{
	struct vgpu_mig_file *f = m->mig_file;
	bool all;

	mutex_lock(&f->lock);
	all = f->final_done && f->out_pos == f->out_len;
	if (all)
		dev_info(m->vgpu.log,
			 "migration: state saved: %llu window pages before the stop, %llu after\n",
			 f->pages[0], f->pages[1]);
	mutex_unlock(&f->lock);
	m->mig_saved = all;
}

/* Leaving RESUMING: the stream must have been whole. */
static int vgpu_mig_resume_done(struct vgpu_mdev *m)
{
	struct vgpu_mig_file *f = m->mig_file;
	unsigned long missing;
	int err;

	mutex_lock(&f->lock);
	err = vgpu_mig_rx_finish(f->rx);
	missing = m->sf->nr_pages - bitmap_weight(f->got, m->sf->nr_pages);
	if (err)
		dev_err(m->vgpu.log, "migration: incoming state incomplete: %s\n",
			f->rx->why);
	else if (missing)
		dev_err(m->vgpu.log,
			"migration: incoming state misses %lu of %lu window pages\n",
			missing, m->sf->nr_pages);
	else
		dev_info(m->vgpu.log,
			 "migration: state restored (%llu pages, %llu bytes)\n",
			 f->rx->pages, f->rx->bytes);
	mutex_unlock(&f->lock);
	if (!err && missing)
		err = -EINVAL;
	return err;
}

/* One arc of the state machine; see vfio_mig_get_next_state(). */
static struct file *vgpu_mig_step(struct vgpu_mdev *m, u32 new)
{
	u32 cur = m->mig_state;
	struct file *filp;
	int err;

	lockdep_assert_held(&m->mig_lock);
	if ((cur == VFIO_DEVICE_STATE_RUNNING &&
	     new == VFIO_DEVICE_STATE_RUNNING_P2P) ||
	    (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	     new == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY &&
	     new == VFIO_DEVICE_STATE_PRE_COPY_P2P) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	     new == VFIO_DEVICE_STATE_PRE_COPY))
		return NULL;	/* no peer-to-peer DMA to quiesce */
	if (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	    new == VFIO_DEVICE_STATE_STOP) {
		vgpu_mig_stop(m);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    new == VFIO_DEVICE_STATE_RUNNING_P2P) {
		vgpu_mig_run(m);
		return NULL;
	}
	if ((cur == VFIO_DEVICE_STATE_RUNNING &&
	     new == VFIO_DEVICE_STATE_PRE_COPY) ||
	    (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	     new == VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		filp = vgpu_mig_file_open(m, true);
		if (!IS_ERR(filp))
			m->mig_file->precopy = true;
		return filp;
	}
	if ((cur == VFIO_DEVICE_STATE_PRE_COPY &&
	     new == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	     new == VFIO_DEVICE_STATE_RUNNING_P2P)) {
		vgpu_mig_file_end(m);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	    new == VFIO_DEVICE_STATE_STOP_COPY) {
		vgpu_mig_stop(m);
		vgpu_mig_file_stopped(m);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    new == VFIO_DEVICE_STATE_STOP_COPY) {
		filp = vgpu_mig_file_open(m, true);
		if (!IS_ERR(filp))
			m->mig_file->stopped = true;
		return filp;
	}
	if (cur == VFIO_DEVICE_STATE_STOP_COPY &&
	    new == VFIO_DEVICE_STATE_STOP) {
		vgpu_mig_save_done(m);
		vgpu_mig_file_end(m);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    new == VFIO_DEVICE_STATE_RESUMING) {
		return vgpu_mig_file_open(m, false);
	}
	if (cur == VFIO_DEVICE_STATE_RESUMING &&
	    new == VFIO_DEVICE_STATE_STOP) {
		err = vgpu_mig_resume_done(m);
		vgpu_mig_file_end(m);
		if (err) {
			/* Nothing of a partial state may run. */
			vgpu_function_reset(m, true);
			return ERR_PTR(err);
		}
		return NULL;
	}
	return ERR_PTR(-EINVAL);
}

static struct file *vgpu_mig_set_state(struct vfio_device *vdev,
				       enum vfio_device_mig_state new)
{
	struct vgpu_mdev *m = container_of(vdev, struct vgpu_mdev, vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&m->mig_lock);
	/*
	 * A failed resume left the device in ERROR, which only a reset
	 * leaves; the VFIO core's arc table has no arcs out of it (it would
	 * WARN), so the request is refused here.
	 */
	if (m->mig_state == VFIO_DEVICE_STATE_ERROR &&
	    new != VFIO_DEVICE_STATE_ERROR) {
		dev_err_ratelimited(vdev->dev,
				    "migration: state %u refused: the device is in the error state until reset\n",
				    new);
		res = ERR_PTR(-EINVAL);
	}
	while (!res && m->mig_state != new) {
		ret = vfio_mig_get_next_state(vdev, m->mig_state, new, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = vgpu_mig_step(m, next);
		if (IS_ERR(res)) {
			if (m->mig_state == VFIO_DEVICE_STATE_RESUMING)
				m->mig_state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		m->mig_state = next;
		if (WARN_ON(res && new != next)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&m->mig_lock);
	return res;
}

static int vgpu_mig_get_state(struct vfio_device *vdev,
			      enum vfio_device_mig_state *state)
{
	struct vgpu_mdev *m = container_of(vdev, struct vgpu_mdev, vdev);

	mutex_lock(&m->mig_lock);
	*state = m->mig_state;
	mutex_unlock(&m->mig_lock);
	return 0;
}

/* Pages still to send, their record headers, the state and END. */
static int vgpu_mig_get_data_size(struct vfio_device *vdev,
				  unsigned long *len)
{
	struct vgpu_mdev *m = container_of(vdev, struct vgpu_mdev, vdev);
	unsigned long pages = m->sf->nr_pages;

	mutex_lock(&m->mig_lock);
	if (m->mig_file)
		pages = vgpu_sim_dirty_count(m->sf, 0, m->sf->nr_pages);
	mutex_unlock(&m->mig_lock);
	*len = (pages << PAGE_SHIFT) +
	       DIV_ROUND_UP(pages, VGPU_MIG_RUN_PAGES) *
	       (VGPU_MIG_REC_BYTES + VGPU_MIG_PAGES_PREFIX) +
	       VGPU_MIG_REC_BYTES + VGPU_MIG_HEADER_BYTES + VGPU_MIG_OUT_BYTES;
	return 0;
}

static const struct vfio_migration_ops vgpu_mig_ops = {
	.migration_set_state = vgpu_mig_set_state,
	.migration_get_state = vgpu_mig_get_state,
	.migration_get_data_size = vgpu_mig_get_data_size,
};

/**
 * vgpu_mig_init() - offer VFIO migration on a new mdev vGPU
 * @m: the vGPU, before its VFIO device is registered
 */
void vgpu_mig_init(struct vgpu_mdev *m)
{
	BUILD_BUG_ON(PAGE_SIZE != VGPU_MIG_PAGE_SIZE);
	mutex_init(&m->mig_lock);
	m->mig_state = VFIO_DEVICE_STATE_RUNNING;
	m->vdev.migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
				  VFIO_MIGRATION_PRE_COPY;
	m->vdev.mig_ops = &vgpu_mig_ops;
}

/**
 * vgpu_mig_fini() - undo vgpu_mig_init()
 * @m: the vGPU, closed
 */
void vgpu_mig_fini(struct vgpu_mdev *m)
{
	mutex_destroy(&m->mig_lock);
}

/**
 * vgpu_mig_reset() - back to RUNNING, as a device reset or close does
 * @m: the vGPU
 * @closing: the VMM closes the device
 *
 * Ends a data transfer session and lets the vGPU run. Closing a vGPU whose
 * state was saved to its end while it stayed stopped zeroes its window: the
 * state now belongs to the destination.
 */
void vgpu_mig_reset(struct vgpu_mdev *m, bool closing)
{
	bool scrub;

	mutex_lock(&m->mig_lock);
	vgpu_mig_file_end(m);
	scrub = closing && m->mig_saved && m->mig_held;
	if (scrub) {
		m->vgpu.dev->ops->fn_scrub(m->vgpu.dev, m->vgpu.fn);
		dev_info(m->vgpu.log,
			 "migration: closed after its state was saved; window zeroed\n");
	}
	vgpu_mig_run(m);
	m->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mutex_unlock(&m->mig_lock);
}

#endif /* VGPU_HAVE_MIGRATION */
