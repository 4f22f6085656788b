// SPDX-License-Identifier: GPL-2.0-only
/*
 * Soak: several threads create, open (VFIO), load, fault, reset, close and
 * remove vGPUs at random for VGPU_SOAK_SECONDS (default 10), each on vGPUs
 * of its own. Every few seconds all threads stop at a barrier and the
 * invariants are checked: the parent's free memory and engines are what its
 * vGPUs leave, its vGPU count is theirs, each vGPU's errors counter is
 * exactly the faults its thread caused, its commands counter only grows.
 * At the end, with every vGPU removed, memory, engines and count are back
 * to their start, and the kernel log holds no report. scripts/soak.sh runs
 * it for longer on the debug kernel (kmemleak scans after it).
 *
 * VGPU_SOAK_SEED replays the choices (the seed is printed); the kernel's
 * timing is not replayed.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vgpu_crc32c.h"
#include "vgpu_test.h"
#include "vgpu_vfio.h"

/* 128 MiB and 4 engines: 2 dedicated or 4 shared partitions fill it. */
#define PARAMS "mem_size_mb=128 num_engines=4 profiles=big:32M:2:1,sh:8M:1:4,tiny:4M:1:8"
#define NTYPES		3
#define THREADS		4
#define SLOTS		6
#define CHECK_EVERY_NS	2000000000ULL
#define RING_ENTRIES	64
#define SRC_OFF		0x10000
#define DST_OFF		0x20000
#define RES_OFF		0x30000
#define WORK_LEN	0x4000

static const char *const types[NTYPES] = { "big", "sh", "tiny" };
static const unsigned long long type_mem[NTYPES] = { 32 << 20, 8 << 20,
						     4 << 20 };

enum soak_op {
	OP_CREATE, OP_OPEN, OP_LOAD, OP_FAULT, OP_RESET, OP_CLOSE, OP_REMOVE,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"create", "open", "load", "fault", "reset", "close", "remove",
};

struct slot {
	bool exists;
	int type;
	char uuid[40];
	struct vgpu_dev *d;
	bool ring;
	unsigned long long faults;	/* guest errors this slot caused */
	long long commands;		/* last commands counter seen */
	__u64 fence;			/* last fence value used */
};

struct worker {
	pthread_t t;
	int id;
	unsigned long long s;
	struct slot slot[SLOTS];
	unsigned long ops[NR_OPS];
	unsigned long refused;		/* creates refused for room */
	unsigned long created;
	char why[200];
	bool failed;
};

static pthread_barrier_t barrier;
static unsigned long long stop_at, next_check;
static bool stopping;	/* __atomic */
static struct worker workers[THREADS];

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long rnd(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int fail(struct worker *w, const char *what, int err)
{
	snprintf(w->why, sizeof(w->why), "thread %d: %s: %s", w->id, what,
		 strerror(err < 0 ? -err : err));
	w->failed = true;
	return -1;
}

/* Fill, copy and CRC in the window; results checked against the CPU. */
static int load(struct worker *w, struct slot *sl)
{
	__u32 pattern = rnd(&w->s), *p;
	static const __u64 fence_off = RES_OFF + 8;
	__u64 fence = ++sl->fence;
	struct vgpu_cmd c[4] = {
		vgpu_cmd_fill(SRC_OFF, WORK_LEN, pattern),
		vgpu_cmd_copy(SRC_OFF, DST_OFF, WORK_LEN, 0),
		vgpu_cmd_crc(DST_OFF, WORK_LEN, RES_OFF),
		vgpu_cmd_fence(fence_off, fence, false),
	};
	unsigned int i;
	int ret;

	if (!sl->ring) {
		ret = vgpu_ring_init(sl->d, 0, RING_ENTRIES);
		if (ret)
			return fail(w, "ring", ret);
		sl->ring = true;
	}
	ret = vgpu_submit(sl->d, c, 4);
	if (!ret)
		ret = vgpu_wait_fence(sl->d, fence, 60000);
	if (ret)
		return fail(w, "workload", ret);
	p = (__u32 *)((char *)sl->d->window + DST_OFF);
	for (i = 0; i < WORK_LEN / 4; i++)
		if (p[i] != pattern)
			return fail(w, "workload: wrong copy", EBADMSG);
	if (*(__u32 *)((char *)sl->d->window + RES_OFF) !=
	    vgpu_crc32c(p, WORK_LEN))
		return fail(w, "workload: wrong CRC", EBADMSG);
	return 0;
}

/* A command past the window: the ring halts with ERR_RANGE. */
static int fault(struct worker *w, struct slot *sl)
{
	struct vgpu_cmd c = vgpu_cmd_fill(sl->d->window_size - 4, 8, 0);
	int ret, i;

	if (!sl->ring) {
		ret = vgpu_ring_init(sl->d, 0, RING_ENTRIES);
		if (ret)
			return fail(w, "ring", ret);
		sl->ring = true;
	}
	ret = vgpu_submit(sl->d, &c, 1);
	if (ret)
		return fail(w, "bad command submit", ret);
	for (i = 0; i < 5000; i++) {
		if (vgpu_read32(sl->d, VGPU_REG_STATUS) & VGPU_STATUS_HALTED)
			break;
		usleep(1000);
	}
	if (vgpu_read32(sl->d, VGPU_REG_ERR_CODE) != VGPU_ERR_RANGE)
		return fail(w, "bad command: no ERR_RANGE", EPROTO);
	sl->faults++;
	/* The ring stays halted until a reset. */
	ret = vgpu_reset(sl->d);
	sl->ring = false;
	return ret ? fail(w, "reset after the bad command", ret) : 0;
}

/* One operation on @sl: 0 done, 1 not applicable now, -1 failed. */
static int do_op(struct worker *w, int op, struct slot *sl)
{
	int ret;

	switch (op) {
	case OP_CREATE:
		if (sl->exists)
			return 1;
		sl->type = rnd(&w->s) % NTYPES;
		uuid_gen(sl->uuid);
		ret = vgpu_create(types[sl->type], sl->uuid);
		if (ret == -ENOSPC) {
			w->refused++;
			return 1;
		}
		if (ret)
			return fail(w, "create", ret);
		sl->exists = true;
		sl->faults = 0;
		sl->commands = 0;
		w->created++;
		if (vgpu_attr_num(sl->uuid, "errors") != 0)
			return fail(w, "a new vGPU's errors counter", EPROTO);
		break;
	case OP_OPEN:
		if (!sl->exists || sl->d)
			return 1;
		ret = vgpu_dev_open(sl->uuid, &sl->d);
		if (ret)
			return fail(w, "open", ret);
		sl->ring = false;
		break;
	case OP_LOAD:
		if (!sl->d)
			return 1;
		return load(w, sl);
	case OP_FAULT:
		if (!sl->d)
			return 1;
		return fault(w, sl);
	case OP_RESET:
		if (!sl->d)
			return 1;
		ret = vgpu_reset(sl->d);
		sl->ring = false;
		if (ret)
			return fail(w, "reset", ret);
		break;
	case OP_CLOSE:
		if (!sl->d)
			return 1;
		vgpu_dev_close(sl->d);
		sl->d = NULL;
		break;
	case OP_REMOVE:
		if (!sl->exists)
			return 1;
		if (sl->d) {
			vgpu_dev_close(sl->d);
			sl->d = NULL;
		}
		ret = vgpu_remove(sl->uuid);
		if (ret)
			return fail(w, "remove", ret);
		sl->exists = false;
		break;
	}
	return 0;
}

/* Called with every thread at the barrier: the parent adds up. */
static int check_invariants(char *why, size_t len)
{
	long long total = sysfs_num(VGPU_PARENT "/mem_total_bytes");
	long long mem_free = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	long long nr = sysfs_num(VGPU_PARENT "/vgpus");
	unsigned long long used = 0;
	int i, j, count = 0;

	for (i = 0; i < THREADS; i++) {
		for (j = 0; j < SLOTS; j++) {
			struct slot *sl = &workers[i].slot[j];
			long long v;

			if (!sl->exists)
				continue;
			count++;
			used += type_mem[sl->type];
			v = vgpu_attr_num(sl->uuid, "errors");
			if (v != (long long)sl->faults) {
				snprintf(why, len, "%s: errors %lld, faults %llu",
					 sl->uuid, v, sl->faults);
				return -1;
			}
			v = vgpu_attr_num(sl->uuid, "commands");
			if (v < sl->commands) {
				snprintf(why, len, "%s: commands %lld < %lld",
					 sl->uuid, v, sl->commands);
				return -1;
			}
			sl->commands = v;
		}
	}
	if (nr != count || mem_free + (long long)used != total) {
		snprintf(why, len,
			 "parent: %lld vGPUs (we have %d), %lld free + %llu used != %lld",
			 nr, count, mem_free, used, total);
		return -1;
	}
	return 0;
}

static char inv_why[200];
static bool inv_failed;
static unsigned int checks;

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		/* At the barrier, one thread checks while the others wait. */
		if (now_ns() >= __atomic_load_n(&next_check, __ATOMIC_RELAXED) ||
		    w->failed) {
			if (pthread_barrier_wait(&barrier) ==
			    PTHREAD_BARRIER_SERIAL_THREAD) {
				bool failed = inv_failed;
				int i;

				for (i = 0; i < THREADS; i++)
					failed |= workers[i].failed;
				if (!failed &&
				    check_invariants(inv_why, sizeof(inv_why))) {
					inv_failed = true;
					failed = true;
				}
				checks++;
				__atomic_store_n(&next_check,
						 now_ns() + CHECK_EVERY_NS,
						 __ATOMIC_RELAXED);
				if (failed || now_ns() >= stop_at)
					stopping = true;
			}
			pthread_barrier_wait(&barrier);
			if (stopping)
				break;
		}
		if (!w->failed) {
			int op = rnd(&w->s) % NR_OPS;

			/* Creates and loads twice as often as the rest. */
			if (rnd(&w->s) % 3 == 0)
				op = rnd(&w->s) % 2 ? OP_CREATE : OP_LOAD;
			if (!do_op(w, op, &w->slot[rnd(&w->s) % SLOTS]))
				w->ops[op]++;
		}
	}
	return NULL;
}

static int count_reports(int fd)
{
	static const char *const pat[] = {
		"BUG:", "WARNING:", "Oops", "general protection",
		"Call Trace:", "UBSAN:", "KASAN:", "circular locking",
		"inconsistent lock state", "blocked for more than",
	};

	return kmsg_count(fd, pat, ARRAY_SIZE(pat), true);
}

FIXTURE(soak) {
	int unused;
};

FIXTURE_SETUP(soak)
{
}

FIXTURE_TEARDOWN(soak)
{
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
}

TEST_F_TIMEOUT(soak, churn, 7200)
{
	const char *env = getenv("VGPU_SOAK_SECONDS");
	unsigned long long seed, secs = env ? strtoull(env, NULL, 0) : 10;
	long long mem0, eng0, mem1, eng1;
	unsigned long total = 0, created = 0, refused = 0;
	unsigned long per_op[NR_OPS] = { };
	unsigned long long t0;
	int kmsg, i, j;

	env = getenv("VGPU_SOAK_SEED");
	seed = env ? strtoull(env, NULL, 0) : now_ns() ^ getpid();
	TH_LOG("seed %#llx (VGPU_SOAK_SEED to replay), %llu s, %d threads",
	       seed, secs, THREADS);
	vgpu_remove_all();
	if (vgpu_loaded())
		vgpu_unload();
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, vgpu_load(PARAMS));
	mem0 = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	eng0 = sysfs_num(VGPU_PARENT "/engines_free");
	ASSERT_LT(0, mem0);

	memset(workers, 0, sizeof(workers));
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, THREADS));
	t0 = now_ns();
	stop_at = t0 + secs * 1000000000ULL;
	next_check = t0 + CHECK_EVERY_NS;
	for (i = 0; i < THREADS; i++) {
		workers[i].id = i;
		workers[i].s = (seed + 1) * (i + 1) * 0x9e3779b97f4a7c15ULL;
		ASSERT_EQ(0, pthread_create(&workers[i].t, NULL, worker_main,
					    &workers[i]));
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(workers[i].t, NULL);

	for (i = 0; i < THREADS; i++) {
		EXPECT_FALSE(workers[i].failed) TH_LOG("%s", workers[i].why);
		for (j = 0; j < NR_OPS; j++) {
			per_op[j] += workers[i].ops[j];
			total += workers[i].ops[j];
		}
		created += workers[i].created;
		refused += workers[i].refused;
	}
	EXPECT_FALSE(inv_failed) TH_LOG("invariant: %s", inv_why);
	/* Everything away: back to the start. */
	for (i = 0; i < THREADS; i++) {
		for (j = 0; j < SLOTS; j++) {
			struct slot *sl = &workers[i].slot[j];

			if (sl->d)
				vgpu_dev_close(sl->d);
			if (sl->exists)
				EXPECT_EQ(0, vgpu_remove(sl->uuid));
		}
	}
	mem1 = sysfs_num(VGPU_PARENT "/mem_free_bytes");
	eng1 = sysfs_num(VGPU_PARENT "/engines_free");
	TH_LOG("%lu operations in %.1f s, %u invariant checks", total,
	       (now_ns() - t0) / 1e9, checks);
	TH_LOG("%lu vGPUs created, %lu creates refused for room", created,
	       refused);
	for (j = 0; j < NR_OPS; j++)
		TH_LOG("  %-6s %lu", op_names[j], per_op[j]);
	EXPECT_EQ(mem0, mem1);
	EXPECT_EQ(eng0, eng1);
	EXPECT_EQ(0, sysfs_num(VGPU_PARENT "/vgpus"));
	i = count_reports(kmsg);
	TH_LOG("kernel reports: %d", i);
	EXPECT_EQ(0, i);
	EXPECT_LT(0, per_op[OP_LOAD]);
	close(kmsg);
	EXPECT_EQ(0, vgpu_unload());
	pthread_barrier_destroy(&barrier);
}

TEST_HARNESS_MAIN
