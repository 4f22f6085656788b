// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for the migration stream decoder (drivers/vgpu/lib/vgpu_mig.c),
 * the code a destination host runs on bytes that came over the network.
 *
 * An input is one byte that picks how the stream is cut into pieces,
 * followed by the stream. The decoder loads it into a fake vGPU of a fixed
 * profile (window MIG_PAGES pages) twice: in one piece, and in pieces of
 * sizes drawn from the first byte. What is checked:
 *
 * - every page the decoder stores lies in the window, and every state it
 *   hands over passes vgpu_mig_state_check() for the window;
 * - after an error, nothing more is stored and every later call fails
 *   with the same error;
 * - cutting the stream differently changes nothing: the same error (or
 *   none), the same window contents, the same state, the same counts.
 *
 * Built with -Dfuzz_one_input=LLVMFuzzerTestOneInput it is a libFuzzer
 * target; built with -DMIG_FUZZ_REPLAY and replay.c it replays files.
 */
#include <stdlib.h>

#include "vgpu_mig.h"

#define MIG_PAGES	8

static const struct vgpu_mig_ident ident = {
	.dev_major = VGPU_VERSION_MAJOR, .dev_minor = VGPU_VERSION_MINOR,
	.engines = 2, .share = 4,
	.window_size = (u64)MIG_PAGES * VGPU_MIG_PAGE_SIZE, .profile = "fz",
};

/* A fake vGPU that takes what the decoder stores. */
struct sink {
	u8 window[MIG_PAGES][VGPU_MIG_PAGE_SIZE];
	struct vgpu_mig_state st;
	unsigned int pages, states;
	bool failed;
};

static struct vgpu_mig_rx rx;
static struct sink one, cut;

static int sink_page(void *ctx, u64 index, const u8 *data)
{
	struct sink *k = ctx;

	if (index >= MIG_PAGES || k->failed)
		abort();
	memcpy(k->window[index], data, VGPU_MIG_PAGE_SIZE);
	k->pages++;
	return 0;
}

static int sink_state(void *ctx, const struct vgpu_mig_state *st)
{
	char why[VGPU_MIG_WHY_LEN];
	struct sink *k = ctx;

	if (k->failed || vgpu_mig_state_check(st, ident.window_size, why,
					      sizeof(why)))
		abort();
	k->st = *st;
	k->states++;
	return 0;
}

static const struct vgpu_mig_rx_ops ops = {
	.page = sink_page,
	.state = sink_state,
};

/* Load the stream in pieces from `sizes` (0: one piece); the end's error. */
static int load(struct sink *k, const u8 *p, size_t len, u8 sizes)
{
	unsigned int seed = sizes;
	size_t at = 0, n;
	int err = 0, again;

	memset(k, 0, sizeof(*k));
	vgpu_mig_rx_init(&rx, &ident);
	while (at < len) {
		seed = seed * 1103515245 + 12345;
		n = sizes ? 1 + (seed >> 16) % (sizes * 97u) : len;
		if (n > len - at)
			n = len - at;
		err = vgpu_mig_rx_feed(&rx, p + at, n, &ops, k);
		if (err) {
			k->failed = true;
			again = vgpu_mig_rx_feed(&rx, p, len, &ops, k);
			if (again != err)
				abort();
			break;
		}
		at += n;
	}
	if (!err)
		err = vgpu_mig_rx_finish(&rx);
	if (err && !rx.why[0])
		abort();
	return err;
}

int fuzz_one_input(const u8 *data, size_t size);

int fuzz_one_input(const u8 *data, size_t size)
{
	int e1, e2;

	if (!size)
		return 0;
	e1 = load(&one, data + 1, size - 1, 0);
	e2 = load(&cut, data + 1, size - 1, data[0] | 1);
	if (e1 != e2 || one.pages != cut.pages || one.states != cut.states ||
	    memcmp(one.window, cut.window, sizeof(one.window)) ||
	    memcmp(&one.st, &cut.st, sizeof(one.st)))
		abort();
	return 0;
}

#ifdef MIG_FUZZ_REPLAY
/* ---- for the replay driver (replay.c) --------------------------------------- */

#include "replay.h"

void fuzz_describe(const char *path)
{
	printf("# %s: %u pages, %u states, %s\n", path, one.pages, one.states,
	       rx.err ? rx.why : "loaded");
}

/* A stream a source would send, with pages of a recognisable pattern. */
static size_t seed_stream(u8 *out, bool with_state, u32 tweak)
{
	struct vgpu_mig_state st;
	u8 *p = out + 1;
	u32 i;

	out[0] = tweak & 0xff;
	vgpu_mig_rec_encode(p, VGPU_MIG_REC_HEADER, VGPU_MIG_HEADER_BYTES);
	vgpu_mig_header_encode(p + VGPU_MIG_REC_BYTES, &ident);
	p += VGPU_MIG_REC_BYTES + VGPU_MIG_HEADER_BYTES;
	vgpu_mig_rec_encode(p, VGPU_MIG_REC_PAGES, VGPU_MIG_PAGES_PREFIX +
			    2 * VGPU_MIG_PAGE_SIZE);
	vgpu_mig_pages_prefix(p + VGPU_MIG_REC_BYTES, tweak % (MIG_PAGES - 1));
	p += VGPU_MIG_REC_BYTES + VGPU_MIG_PAGES_PREFIX;
	for (i = 0; i < 2 * VGPU_MIG_PAGE_SIZE; i++)
		*p++ = i * 7 + tweak;
	if (!with_state)
		return p - out;
	memset(&st, 0, sizeof(st));
	st.ring_base = VGPU_MIG_PAGE_SIZE;
	st.ring_size = 64;
	st.ring_ctrl = VGPU_RING_ENABLE;
	st.head = 3;
	st.tail = 9;
	st.exec_active = true;
	st.exec.cmd.opcode = VGPU_OP_COPY;
	st.exec.cmd.u.copy.src = 0x2000;
	st.exec.cmd.u.copy.dst = 0x4000;
	st.exec.cmd.u.copy.len = 0x1000 + tweak;
	st.cfg[0] = VGPU_PCI_VENDOR_ID & 0xff;
	st.cfg[1] = VGPU_PCI_VENDOR_ID >> 8;
	st.cfg[2] = VGPU_PCI_DEVICE_ID & 0xff;
	st.cfg[3] = VGPU_PCI_DEVICE_ID >> 8;
	vgpu_mig_rec_encode(p, VGPU_MIG_REC_STATE, VGPU_MIG_STATE_BYTES);
	vgpu_mig_state_encode(p + VGPU_MIG_REC_BYTES, &st);
	p += VGPU_MIG_REC_BYTES + VGPU_MIG_STATE_BYTES;
	vgpu_mig_rec_encode(p, VGPU_MIG_REC_END, 0);
	return p + VGPU_MIG_REC_BYTES - out;
}

static int seed_write(const char *dir, const char *name, const u8 *p,
		      size_t len)
{
	char *path;
	FILE *f;
	int ret;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -1;
	f = fopen(path, "wb");
	free(path);
	if (!f)
		return -1;
	ret = fwrite(p, 1, len, f) == len ? 0 : -1;
	return fclose(f) || ret ? -1 : 0;
}

int fuzz_write_seeds(const char *dir)
{
	static u8 buf[4 * VGPU_MIG_PAGE_SIZE + VGPU_MIG_STATE_BYTES];
	int ret = 0;
	size_t n;

	n = seed_stream(buf, true, 5);
	ret |= seed_write(dir, "mig-whole", buf, n);
	n = seed_stream(buf, false, 6);
	ret |= seed_write(dir, "mig-no-state", buf, n);
	n = seed_stream(buf, true, 0x31);
	buf[1 + VGPU_MIG_REC_BYTES + 40] = 'x';	/* another profile */
	ret |= seed_write(dir, "mig-other-profile", buf, n);
	return ret ? 1 : 0;
}
#endif /* MIG_FUZZ_REPLAY */
