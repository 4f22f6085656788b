// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu VFIO migration v2: the state machine and the data files, for every
 * frontend that hands a vGPU to a VM through VFIO.
 */

/**
 * DOC: VFIO migration of a vGPU
 *
 * The VMM drives the VFIO migration state machine (uapi/linux/vfio.h):
 * STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P and, when the frontend
 * tracks the window pages the VM writes, PRE_COPY and PRE_COPY_P2P. A vGPU
 * starts no peer-to-peer DMA, so the P2P states run as their plain
 * counterparts. STOP and the states around it keep the vGPU off the
 * engines with a control hold (VGPU_HOLD_MIGRATION, shown as "stopped"):
 * once the arc returns, no engine runs it, no DMA or interrupt comes from
 * it and its command in progress rests between two work units.
 *
 * Saving (PRE_COPY, then STOP_COPY, or STOP_COPY alone) streams the format
 * of lib/vgpu_mig.c over the data file: a header, the window's pages, the
 * registers and the command in progress, an end record. Pre-copy sends
 * every page once while the VM runs, then again every page written since
 * it was sent; STOP_COPY sends what is still unsent, then the state. Which
 * pages were written is the frontend's business (&struct vgpu_vfio_mig_ops);
 * a frontend that cannot tell offers STOP_COPY only, and each page goes
 * once. What the vGPU writes into guest memory is logged by the VFIO
 * IOMMU's dirty tracking.
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
 *
 * A device reset returns the state to RUNNING. vfio-pci resets a VF with
 * its memory_lock held, and a migration data read holds the migration lock
 * while it copies to user memory, whose page fault may take that same
 * memory_lock (a VF BAR mapped as the buffer): a VF's reset_done must not
 * wait for the migration lock. So a reset can also be posted
 * (vgpu_vfio_mig_post_reset()): a flag that whoever takes or releases the
 * migration lock next applies first, and a work item that takes the lock
 * itself when no one else comes. The VMM's next migration ioctl thus never
 * sees the state from before the reset.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/slab.h>

#include "vfio/vgpu_vfio_mig.h"

#if VGPU_HAVE_MIGRATION

/* Bit of &vgpu_vfio_mig.reset_pending: a reset was posted. */
#define VGPU_VFIO_MIG_RESET_POSTED	0

/* Room for a record header and the largest payload built in one go. */
#define VGPU_MIG_OUT_BYTES	(2 * VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES)
/* Bytes a resuming write() copies in at a time. */
#define VGPU_MIG_CHUNK		(64 * 1024)

/**
 * struct vgpu_vfio_mig_file - one data transfer session
 * @filp: its file; the vGPU holds a reference while the session lasts
 * @mig: the vGPU's migration
 * @lock: protects everything below; serialises read() and write()
 * @disabled: the session ended; the file only returns errors
 * @saving: a saving session (else resuming)
 * @precopy: the vGPU is in PRE_COPY or PRE_COPY_P2P
 * @stopped: the vGPU is in STOP_COPY: after the pages, the state and END
 * @nr_pages: window pages of the vGPU
 * @unsent: saving without the frontend's tracking: pages not yet sent
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
struct vgpu_vfio_mig_file {
	struct file *filp;
	struct vgpu_vfio_mig *mig;
	struct mutex lock; /* see above */
	bool disabled;
	bool saving;
	bool precopy;
	bool stopped;
	unsigned long nr_pages;
	unsigned long *unsent;
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

/* Pages to send from @start on, in one run of at most @max: the first. */
static unsigned long vgpu_vfio_mig_take(struct vgpu_vfio_mig_file *f,
					unsigned long start, unsigned long max,
					unsigned long *first)
{
	if (!f->unsent)
		return f->mig->ops->take_dirty(f->mig, start, max, first);
	return vgpu_bitmap_take_run(f->unsent, f->nr_pages, start, max, first);
}

/* Pages still to send in [@from, @to). */
static unsigned long vgpu_vfio_mig_count(struct vgpu_vfio_mig_file *f,
					 unsigned long from, unsigned long to)
{
	if (!f->unsent)
		return f->mig->ops->dirty_count(f->mig, from, to);
	return bitmap_weight(f->unsent, to) - bitmap_weight(f->unsent, from);
}

/* Take the next run of pages to send and copy it out. */
static int vgpu_vfio_mig_next_run(struct vgpu_vfio_mig_file *f)
{
	unsigned long first, n;
	int err;

	n = vgpu_vfio_mig_take(f, f->cursor, VGPU_MIG_RUN_PAGES, &first);
	if (!n && f->cursor) {
		f->cursor = 0;
		f->passes++;
		n = vgpu_vfio_mig_take(f, 0, VGPU_MIG_RUN_PAGES, &first);
	}
	if (!n)
		return 0;
	err = f->mig->ops->read_pages(f->mig, first, n, f->run);
	if (err)
		return err;

	vgpu_mig_rec_encode(f->out, VGPU_MIG_REC_PAGES,
			    VGPU_MIG_PAGES_PREFIX + (n << PAGE_SHIFT));
	vgpu_mig_pages_prefix(f->out + VGPU_MIG_REC_BYTES, first);
	f->out_len = VGPU_MIG_REC_BYTES + VGPU_MIG_PAGES_PREFIX;
	f->out_pos = 0;
	f->run_len = n << PAGE_SHIFT;
	f->run_pos = 0;
	f->cursor = first + n;
	if (f->cursor >= f->nr_pages) {
		f->cursor = 0;
		f->passes++;
	}
	f->pages[f->stopped] += n;
	return 1;
}

/*
 * Build the next records. Return: 1 if there are some, 0 if there is
 * nothing to send now, or a negative errno.
 */
static int vgpu_vfio_mig_refill(struct vgpu_vfio_mig_file *f)
{
	struct vgpu_mig_ident id;
	struct vgpu_mig_state *st;
	int ret;

	if (!f->header_done) {
		f->mig->ops->ident(f->mig, &id);
		vgpu_mig_rec_encode(f->out, VGPU_MIG_REC_HEADER,
				    VGPU_MIG_HEADER_BYTES);
		vgpu_mig_header_encode(f->out + VGPU_MIG_REC_BYTES, &id);
		f->out_len = VGPU_MIG_REC_BYTES + VGPU_MIG_HEADER_BYTES;
		f->out_pos = 0;
		f->header_done = true;
		return 1;
	}
	ret = vgpu_vfio_mig_next_run(f);
	if (ret)
		return ret;
	if (!f->stopped || f->final_done)
		return 0;
	st = kvzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ret = f->mig->ops->save_state(f->mig, st);
	if (ret) {
		kvfree(st);
		return ret;
	}
	vgpu_mig_rec_encode(f->out, VGPU_MIG_REC_STATE, VGPU_MIG_STATE_BYTES);
	vgpu_mig_state_encode(f->out + VGPU_MIG_REC_BYTES, st);
	vgpu_mig_rec_encode(f->out + VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES,
			    VGPU_MIG_REC_END, 0);
	kvfree(st);
	f->out_len = 2 * VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES;
	f->out_pos = 0;
	f->final_done = true;
	return 1;
}

static ssize_t vgpu_vfio_mig_read(struct file *filp, char __user *buf,
				  size_t len, loff_t *pos)
{
	struct vgpu_vfio_mig_file *f = filp->private_data;
	ssize_t done = 0;
	size_t n;
	int ret;

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
		} else {
			ret = vgpu_vfio_mig_refill(f);
			if (ret > 0)
				continue;
			if (ret < 0 && !done)
				done = ret;
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

static int vgpu_vfio_mig_rx_page(void *ctx, u64 index, const u8 *data)
{
	struct vgpu_vfio_mig_file *f = ctx;
	int err;

	err = f->mig->ops->write_page(f->mig, index, data);
	if (!err)
		set_bit(index, f->got);
	return err;
}

static int vgpu_vfio_mig_rx_state(void *ctx, const struct vgpu_mig_state *st)
{
	struct vgpu_vfio_mig_file *f = ctx;

	return f->mig->ops->load_state(f->mig, st);
}

static const struct vgpu_mig_rx_ops vgpu_vfio_mig_rx_ops = {
	.page = vgpu_vfio_mig_rx_page,
	.state = vgpu_vfio_mig_rx_state,
};

static ssize_t vgpu_vfio_mig_write(struct file *filp, const char __user *buf,
				   size_t len, loff_t *pos)
{
	struct vgpu_vfio_mig_file *f = filp->private_data;
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
		err = vgpu_mig_rx_feed(f->rx, f->chunk, n,
				       &vgpu_vfio_mig_rx_ops, f);
		if (err) {
			dev_err(f->mig->vgpu->log,
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

static long vgpu_vfio_mig_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	struct vgpu_vfio_mig_file *f = filp->private_data;
	unsigned long minsz = offsetofend(struct vfio_precopy_info,
					  dirty_bytes);
	struct vfio_precopy_info info;
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
	ahead = vgpu_vfio_mig_count(f, f->cursor, f->nr_pages);
	behind = vgpu_vfio_mig_count(f, 0, f->cursor);
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

static void vgpu_vfio_mig_file_free(struct vgpu_vfio_mig_file *f)
{
	kvfree(f->run);
	bitmap_free(f->unsent);
	kvfree(f->rx);
	bitmap_free(f->got);
	kvfree(f->chunk);
	mutex_destroy(&f->lock);
	kvfree(f);
}

static int vgpu_vfio_mig_release(struct inode *inode, struct file *filp)
{
	vgpu_vfio_mig_file_free(filp->private_data);
	return 0;
}

static const struct file_operations vgpu_vfio_mig_fops = {
	.owner = THIS_MODULE,
	.read = vgpu_vfio_mig_read,
	.write = vgpu_vfio_mig_write,
	.unlocked_ioctl = vgpu_vfio_mig_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vgpu_vfio_mig_release,
};

/* A saving session ends: the frontend may stop tracking writes. */
static void vgpu_vfio_mig_track_stop(struct vgpu_vfio_mig *mig,
				     struct vgpu_vfio_mig_file *f)
{
	if (f->saving && mig->ops->track_stop)
		mig->ops->track_stop(mig);
}

static struct file *vgpu_vfio_mig_file_open(struct vgpu_vfio_mig *mig,
					    bool saving)
{
	struct vgpu_vfio_mig_file *f;
	struct vgpu_mig_ident id;
	struct file *filp;
	int err;

	mig->ops->ident(mig, &id);
	f = vgpu_alloc(kvzalloc(sizeof(*f), GFP_KERNEL));
	if (!f)
		return ERR_PTR(-ENOMEM);
	mutex_init(&f->lock);
	f->mig = mig;
	f->saving = saving;
	f->nr_pages = id.window_size >> PAGE_SHIFT;
	if (saving) {
		f->run = vgpu_alloc(kvmalloc(VGPU_MIG_RUN_PAGES * PAGE_SIZE,
					     GFP_KERNEL));
		if (!f->run)
			goto nomem;
		if (!mig->ops->track_start) {
			f->unsent = vgpu_alloc(bitmap_zalloc(f->nr_pages,
							     GFP_KERNEL));
			if (!f->unsent)
				goto nomem;
			bitmap_fill(f->unsent, f->nr_pages);
		}
	} else {
		f->rx = vgpu_alloc(kvzalloc(sizeof(*f->rx), GFP_KERNEL));
		f->got = vgpu_alloc(bitmap_zalloc(f->nr_pages, GFP_KERNEL));
		f->chunk = vgpu_alloc(kvmalloc(VGPU_MIG_CHUNK, GFP_KERNEL));
		if (!f->rx || !f->got || !f->chunk)
			goto nomem;
		vgpu_mig_rx_init(f->rx, &id);
	}
	if (saving && mig->ops->track_start) {
		err = mig->ops->track_start(mig);
		if (err) {
			vgpu_vfio_mig_file_free(f);
			return ERR_PTR(err);
		}
	}
	filp = anon_inode_getfile("[vgpu-migration]", &vgpu_vfio_mig_fops, f,
				  saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		vgpu_vfio_mig_track_stop(mig, f);
		vgpu_vfio_mig_file_free(f);
		return filp;
	}
	stream_open(filp->f_inode, filp);
	/* The VMM may close the file before the session ends: keep it. */
	f->filp = get_file(filp);
	mig->file = f;
	return filp;
nomem:
	vgpu_vfio_mig_file_free(f);
	return ERR_PTR(-ENOMEM);
}

/* End the session: the file only returns errors from now on. */
static void vgpu_vfio_mig_file_end(struct vgpu_vfio_mig *mig)
{
	struct vgpu_vfio_mig_file *f = mig->file;

	lockdep_assert_held(&mig->lock);
	if (!f)
		return;
	mutex_lock(&f->lock);
	f->disabled = true;
	mutex_unlock(&f->lock);
	vgpu_vfio_mig_track_stop(mig, f);
	mig->file = NULL;
	fput(f->filp);
}

static void vgpu_vfio_mig_stop(struct vgpu_vfio_mig *mig)
{
	lockdep_assert_held(&mig->lock);
	if (!mig->held) {
		vgpu_control_hold(mig->vgpu, VGPU_HOLD_MIGRATION);
		mig->held = true;
	}
}

static void vgpu_vfio_mig_run(struct vgpu_vfio_mig *mig)
{
	lockdep_assert_held(&mig->lock);
	if (mig->held) {
		vgpu_control_release(mig->vgpu, VGPU_HOLD_MIGRATION);
		mig->held = false;
	}
	mig->saved = false;
}

/* The saving session reaches STOP_COPY: from now on it sends the end. */
static void vgpu_vfio_mig_file_stopped(struct vgpu_vfio_mig *mig)
{
	struct vgpu_vfio_mig_file *f = mig->file;

	mutex_lock(&f->lock);
	f->precopy = false;
	f->stopped = true;
	mutex_unlock(&f->lock);
}

/* Leaving STOP_COPY: was the whole state read? Then it left with it. */
static void vgpu_vfio_mig_save_done(struct vgpu_vfio_mig *mig)
{
	struct vgpu_vfio_mig_file *f = mig->file;
	bool all;

	mutex_lock(&f->lock);
	all = f->final_done && f->out_pos == f->out_len;
	if (all)
		dev_info(mig->vgpu->log,
			 "migration: state saved: %llu window pages before the stop, %llu after\n",
			 f->pages[0], f->pages[1]);
	mutex_unlock(&f->lock);
	mig->saved = all;
}

/* Leaving RESUMING: the stream must have been whole. */
static int vgpu_vfio_mig_resume_done(struct vgpu_vfio_mig *mig)
{
	struct vgpu_vfio_mig_file *f = mig->file;
	unsigned long missing;
	int err;

	mutex_lock(&f->lock);
	err = vgpu_mig_rx_finish(f->rx);
	missing = f->nr_pages - bitmap_weight(f->got, f->nr_pages);
	if (err)
		dev_err(mig->vgpu->log,
			"migration: incoming state incomplete: %s\n",
			f->rx->why);
	else if (missing)
		dev_err(mig->vgpu->log,
			"migration: incoming state misses %lu of %lu window pages\n",
			missing, f->nr_pages);
	else
		dev_info(mig->vgpu->log,
			 "migration: state restored (%llu pages, %llu bytes)\n",
			 f->rx->pages, f->rx->bytes);
	mutex_unlock(&f->lock);
	if (!err && missing)
		err = -EINVAL;
	return err;
}

/* Back to RUNNING, as a reset or close does; see vgpu_vfio_mig_reset(). */
static void vgpu_vfio_mig_to_running(struct vgpu_vfio_mig *mig, bool closing)
{
	struct vgpu *vgpu = mig->vgpu;

	lockdep_assert_held(&mig->lock);
	vgpu_vfio_mig_file_end(mig);
	if (closing && mig->saved && mig->held) {
		vgpu->dev->ops->fn_scrub(vgpu->dev, vgpu->fn);
		dev_info(vgpu->log,
			 "migration: closed after its state was saved; window zeroed\n");
	}
	vgpu_vfio_mig_run(mig);
	mig->state = VFIO_DEVICE_STATE_RUNNING;
}

/* Apply a reset posted by vgpu_vfio_mig_post_reset(), if there is one. */
static void vgpu_vfio_mig_apply_posted(struct vgpu_vfio_mig *mig)
{
	lockdep_assert_held(&mig->lock);
	if (test_and_clear_bit(VGPU_VFIO_MIG_RESET_POSTED, &mig->reset_pending))
		vgpu_vfio_mig_to_running(mig, false);
}

static void vgpu_vfio_mig_lock(struct vgpu_vfio_mig *mig)
{
	mutex_lock(&mig->lock);
	vgpu_vfio_mig_apply_posted(mig);
}

static void vgpu_vfio_mig_unlock(struct vgpu_vfio_mig *mig)
{
	vgpu_vfio_mig_apply_posted(mig);
	mutex_unlock(&mig->lock);
}

static void vgpu_vfio_mig_reset_work(struct work_struct *work)
{
	struct vgpu_vfio_mig *mig = container_of(work, struct vgpu_vfio_mig,
						 reset_work);

	vgpu_vfio_mig_lock(mig);
	vgpu_vfio_mig_unlock(mig);
}

static bool vgpu_vfio_mig_arc(u32 cur, u32 new, u32 from, u32 to)
{
	return cur == from && new == to;
}

/* One arc of the state machine; see vfio_mig_get_next_state(). */
static struct file *vgpu_vfio_mig_step(struct vgpu_vfio_mig *mig, u32 new)
{
	u32 cur = mig->state;
	struct file *filp;
	int err;

	lockdep_assert_held(&mig->lock);
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_RUNNING,
			      VFIO_DEVICE_STATE_RUNNING_P2P) ||
	    vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_RUNNING_P2P,
			      VFIO_DEVICE_STATE_RUNNING) ||
	    vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_PRE_COPY,
			      VFIO_DEVICE_STATE_PRE_COPY_P2P) ||
	    vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_PRE_COPY_P2P,
			      VFIO_DEVICE_STATE_PRE_COPY))
		return NULL;	/* no peer-to-peer DMA to quiesce */
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_RUNNING_P2P,
			      VFIO_DEVICE_STATE_STOP)) {
		vgpu_vfio_mig_stop(mig);
		return NULL;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_STOP,
			      VFIO_DEVICE_STATE_RUNNING_P2P)) {
		vgpu_vfio_mig_run(mig);
		return NULL;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_RUNNING,
			      VFIO_DEVICE_STATE_PRE_COPY) ||
	    vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_RUNNING_P2P,
			      VFIO_DEVICE_STATE_PRE_COPY_P2P)) {
		filp = vgpu_vfio_mig_file_open(mig, true);
		if (!IS_ERR(filp))
			mig->file->precopy = true;
		return filp;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_PRE_COPY,
			      VFIO_DEVICE_STATE_RUNNING) ||
	    vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_PRE_COPY_P2P,
			      VFIO_DEVICE_STATE_RUNNING_P2P)) {
		vgpu_vfio_mig_file_end(mig);
		return NULL;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_PRE_COPY_P2P,
			      VFIO_DEVICE_STATE_STOP_COPY)) {
		vgpu_vfio_mig_stop(mig);
		vgpu_vfio_mig_file_stopped(mig);
		return NULL;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_STOP,
			      VFIO_DEVICE_STATE_STOP_COPY)) {
		filp = vgpu_vfio_mig_file_open(mig, true);
		if (!IS_ERR(filp))
			mig->file->stopped = true;
		return filp;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_STOP_COPY,
			      VFIO_DEVICE_STATE_STOP)) {
		vgpu_vfio_mig_save_done(mig);
		vgpu_vfio_mig_file_end(mig);
		return NULL;
	}
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_STOP,
			      VFIO_DEVICE_STATE_RESUMING))
		return vgpu_vfio_mig_file_open(mig, false);
	if (vgpu_vfio_mig_arc(cur, new, VFIO_DEVICE_STATE_RESUMING,
			      VFIO_DEVICE_STATE_STOP)) {
		err = vgpu_vfio_mig_resume_done(mig);
		vgpu_vfio_mig_file_end(mig);
		if (err) {
			/* Nothing of a partial state may run. */
			mig->ops->reset(mig);
			return ERR_PTR(err);
		}
		return NULL;
	}
	return ERR_PTR(-EINVAL);
}

/*
 * The migration of a VFIO device: the drvdata of its own device (the
 * vfio-dev/vfioN node, which no driver binds), set by vgpu_vfio_mig_init().
 */
static struct vgpu_vfio_mig *vgpu_vfio_mig_of(struct vfio_device *vdev)
{
	return dev_get_drvdata(&vdev->device);
}

static struct file *vgpu_vfio_mig_set_state(struct vfio_device *vdev,
					    enum vfio_device_mig_state new)
{
	struct vgpu_vfio_mig *mig = vgpu_vfio_mig_of(vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	vgpu_vfio_mig_lock(mig);
	/*
	 * A failed resume left the device in ERROR, which only a reset
	 * leaves; the VFIO core's arc table has no arcs out of it (it would
	 * WARN), so the request is refused here.
	 */
	if (mig->state == VFIO_DEVICE_STATE_ERROR &&
	    new != VFIO_DEVICE_STATE_ERROR) {
		dev_err_ratelimited(vdev->dev,
				    "migration: state %u refused: the device is in the error state until reset\n",
				    new);
		res = ERR_PTR(-EINVAL);
	}
	while (!res && mig->state != new) {
		ret = vfio_mig_get_next_state(vdev, mig->state, new, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = vgpu_vfio_mig_step(mig, next);
		if (IS_ERR(res)) {
			if (mig->state == VFIO_DEVICE_STATE_RESUMING)
				mig->state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		mig->state = next;
		if (WARN_ON(res && new != next)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	vgpu_vfio_mig_unlock(mig);
	return res;
}

static int vgpu_vfio_mig_get_state(struct vfio_device *vdev,
				   enum vfio_device_mig_state *state)
{
	struct vgpu_vfio_mig *mig = vgpu_vfio_mig_of(vdev);

	vgpu_vfio_mig_lock(mig);
	*state = mig->state;
	vgpu_vfio_mig_unlock(mig);
	return 0;
}

/* Pages still to send, their record headers, the state and END. */
static int vgpu_vfio_mig_get_data_size(struct vfio_device *vdev,
				       unsigned long *len)
{
	struct vgpu_vfio_mig *mig = vgpu_vfio_mig_of(vdev);
	struct vgpu_mig_ident id;
	unsigned long pages;

	vgpu_vfio_mig_lock(mig);
	mig->ops->ident(mig, &id);
	pages = id.window_size >> PAGE_SHIFT;
	if (mig->file) {
		mutex_lock(&mig->file->lock);
		pages = vgpu_vfio_mig_count(mig->file, 0, pages);
		mutex_unlock(&mig->file->lock);
	}
	vgpu_vfio_mig_unlock(mig);
	*len = (pages << PAGE_SHIFT) +
	       DIV_ROUND_UP(pages, VGPU_MIG_RUN_PAGES) *
	       (VGPU_MIG_REC_BYTES + VGPU_MIG_PAGES_PREFIX) +
	       VGPU_MIG_REC_BYTES + VGPU_MIG_HEADER_BYTES + VGPU_MIG_OUT_BYTES;
	return 0;
}

static const struct vfio_migration_ops vgpu_vfio_mig_ops = {
	.migration_set_state = vgpu_vfio_mig_set_state,
	.migration_get_state = vgpu_vfio_mig_get_state,
	.migration_get_data_size = vgpu_vfio_mig_get_data_size,
};

/**
 * vgpu_vfio_mig_init() - offer VFIO migration on a VFIO device of a vGPU
 * @mig: its migration, in the frontend's device
 * @vdev: the VFIO device, allocated and not yet registered
 * @vgpu: its vGPU
 * @ops: the frontend's access to the vGPU's state
 *
 * Offers STOP_COPY and P2P, and PRE_COPY when @ops tracks written pages.
 */
void vgpu_vfio_mig_init(struct vgpu_vfio_mig *mig, struct vfio_device *vdev,
			struct vgpu *vgpu, const struct vgpu_vfio_mig_ops *ops)
{
	BUILD_BUG_ON(PAGE_SIZE != VGPU_MIG_PAGE_SIZE);
	mutex_init(&mig->lock);
	INIT_WORK(&mig->reset_work, vgpu_vfio_mig_reset_work);
	mig->reset_pending = 0;
	mig->vdev = vdev;
	mig->vgpu = vgpu;
	mig->ops = ops;
	mig->state = VFIO_DEVICE_STATE_RUNNING;
	dev_set_drvdata(&vdev->device, mig);
	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	if (ops->track_start)
		vdev->migration_flags |= VFIO_MIGRATION_PRE_COPY;
	vdev->mig_ops = &vgpu_vfio_mig_ops;
}
EXPORT_SYMBOL_GPL(vgpu_vfio_mig_init);

/**
 * vgpu_vfio_mig_fini() - undo vgpu_vfio_mig_init()
 * @mig: the migration of a closed device
 */
void vgpu_vfio_mig_fini(struct vgpu_vfio_mig *mig)
{
	cancel_work_sync(&mig->reset_work);
	mutex_destroy(&mig->lock);
}
EXPORT_SYMBOL_GPL(vgpu_vfio_mig_fini);

/**
 * vgpu_vfio_mig_reset() - back to RUNNING, as a device reset or close does
 * @mig: the migration
 * @closing: the VMM closes the device
 *
 * Ends a data transfer session and lets the vGPU run. Closing a vGPU whose
 * state was saved to its end while it stayed stopped zeroes its window: the
 * state now belongs to the destination.
 */
void vgpu_vfio_mig_reset(struct vgpu_vfio_mig *mig, bool closing)
{
	vgpu_vfio_mig_lock(mig);
	vgpu_vfio_mig_to_running(mig, closing);
	vgpu_vfio_mig_unlock(mig);
}
EXPORT_SYMBOL_GPL(vgpu_vfio_mig_reset);

/**
 * vgpu_vfio_mig_post_reset() - back to RUNNING, from where the lock may not
 *				 be waited for
 * @mig: the migration
 *
 * As vgpu_vfio_mig_reset(@mig, false), for a caller that holds a lock a
 * migration data transfer may wait for (vfio-pci's memory_lock in a PCI
 * reset_done handler). Does not sleep. The reset takes effect before the
 * next migration request is served, and soon in any case.
 */
void vgpu_vfio_mig_post_reset(struct vgpu_vfio_mig *mig)
{
	set_bit(VGPU_VFIO_MIG_RESET_POSTED, &mig->reset_pending);
	schedule_work(&mig->reset_work);
}
EXPORT_SYMBOL_GPL(vgpu_vfio_mig_post_reset);

#endif /* VGPU_HAVE_MIGRATION */
