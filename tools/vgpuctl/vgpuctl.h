/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpuctl: the operator's command-line tool for vgpu.ko. Declarations
 * shared by its parts: sysfs access (sysfs.c), the model of parents and
 * vGPUs read from sysfs (model.c), the pure parsing and arithmetic
 * (parse.c), JSON building (json.c) and the commands (cmd_*.c).
 */
#ifndef VGPUCTL_H
#define VGPUCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <json-c/json.h>

/* Exit codes. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the kernel or the system refused */
#define EXIT_USAGE	2	/* bad command line or value */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NAME_LEN	64
#define ID_LEN		80
#define MAX_TYPES	16
#define MAX_VFS		64

/* ---- parse.c: pure helpers, no I/O ---- */

int parse_ull(const char *s, unsigned long long min, unsigned long long max,
	      unsigned long long *out);
bool uuid_valid(const char *s);
void uuid_format(const unsigned char b[16], char out[37]);
bool parent_name_valid(const char *s);
int vf_id_parse(const char *s, char *parent, size_t plen, unsigned int *vf);

enum knob_scope { KNOB_PARENT, KNOB_VGPU };

struct knob {
	const char *name;	/* name on the command line */
	const char *file;	/* sysfs file */
	enum knob_scope scope;
	unsigned long long min, max;	/* for numbers */
	const char *const *words;	/* NULL-terminated, or NULL: a number */
	const char *help;
};

const struct knob *knob_find(const char *name, enum knob_scope scope);
const struct knob *knob_table(size_t *n);
int knob_check(const struct knob *k, const char *val, char *err,
	       size_t errlen);
int assignment_split(const char *arg, char *key, size_t klen,
		     const char **val);

/* What a vGPU consumed over an interval. */
struct usage_sample {
	long long time_ns;		/* CLOCK_REALTIME */
	unsigned long long busy_ns;
	unsigned long long commands;
	unsigned long long mem_size_bytes;
};

struct usage_result {
	double seconds;			/* wall time of the interval */
	double engine_seconds;		/* busy time on engines */
	double mem_mib_seconds;		/* window MiB x seconds */
	unsigned long long commands;
};

int usage_compute(const struct usage_sample *from,
		  const struct usage_sample *to, struct usage_result *r);

struct top_row {
	double busy_pct;		/* of one engine */
	double cmds_per_s;
};

int top_compute(const struct usage_sample *a, const struct usage_sample *b,
		struct top_row *r);
struct sockaddr_storage;
int listen_parse(const char *s, struct sockaddr_storage *ss,
		 unsigned int *port);
int boot_to_real_ns(unsigned long long boot_ns, long long now_boot_ns,
		    long long now_real_ns, long long *real_ns);

/* ---- sysfs.c ---- */

extern const char *sysfs_root;	/* "/sys", or VGPUCTL_SYSFS_ROOT */

int sysfs_read_str(const char *path, char *buf, size_t len);
int sysfs_read_ull(const char *path, unsigned long long *v);
int sysfs_write_str(const char *path, const char *val);
int fmt_fits(int n, size_t len);
/* snprintf() into a path array; -ENAMETOOLONG if it did not fit. */
#define path_fmt(buf, ...) fmt_fits(snprintf(buf, __VA_ARGS__), sizeof(buf))
bool dir_exists(const char *path);

/* ---- model.c ---- */

struct vgpu_info {
	char id[ID_LEN];	/* UUID, or vgpuN/vfK for a VF */
	char parent[NAME_LEN];
	unsigned int vf;	/* 0 for an mdev vGPU */
	char dir[512];		/* its vgpu/ directory */
	char profile[NAME_LEN], state[NAME_LEN], priority[NAME_LEN];
	char engines[NAME_LEN];
	unsigned long long mem_offset, mem_size, partition, partition_users;
	unsigned long long partition_share, weight, timeslice_us, cap, guarantee;
	unsigned long long busy_ns, slices, preemptions, prio_preemptions;
	unsigned long long share_permille, commands, bytes, errors, resets;
	unsigned long long dma_stalls;
	unsigned long long peer_group;	/* 0: in none (or an older module) */
	char peer_id[NAME_LEN];		/* "none" outside a group */
	unsigned long long peer_tx_bytes, peer_rx_bytes;
	unsigned long long created_ns;	/* CLOCK_BOOTTIME */
	bool created_known;		/* the module has created_ns */
};

struct type_info {
	char name[NAME_LEN];
	char description[160];
	unsigned long long available;
};

struct vf_info {
	unsigned int k;
	char profile[NAME_LEN];
	char creatable[256];	/* names, space separated */
};

struct parent_info {
	char name[NAME_LEN];
	char backend[NAME_LEN], policy[NAME_LEN];
	char utilization[512], partitions[4096];
	unsigned long long mem_total, mem_free, engines_total, engines_free;
	unsigned long long vgpus, timeslice_us, job_timeout_ms;
	unsigned long long preempt_timeout_us;
	struct type_info types[MAX_TYPES];
	unsigned int ntypes;
	struct vf_info vfs[MAX_VFS];
	unsigned int nvfs;
	struct vgpu_info *vgpu;
	unsigned int nvgpu;
};

struct model {
	struct parent_info *parent;
	unsigned int nparent;
};

int model_load(struct model *m);
void model_free(struct model *m);
struct parent_info *model_parent(struct model *m, const char *name);
struct vgpu_info *model_vgpu(struct model *m, const char *id);
int vgpu_load(struct vgpu_info *v);

/* ---- json.c ---- */

struct json_object *json_vgpu(const struct vgpu_info *v);
struct json_object *json_parent(const struct parent_info *p);
struct json_object *json_usage(const char *id, const char *since,
			       const struct usage_result *r, bool mem_known);
void json_print(struct json_object *o);

/* ---- metrics.c: the Prometheus text format, pure ---- */

int metrics_escape(FILE *f, const char *s);
int metrics_write(FILE *f, const struct model *m, long long now_boot_ns,
		  long long now_real_ns);
char *metrics_render(const struct model *m, long long now_boot_ns,
		     long long now_real_ns, size_t *len);

/* ---- main.c ---- */

/* One message on stderr: "vgpuctl: ...". */
#define error_msg(fmt, ...) fprintf(stderr, "vgpuctl: " fmt "\n", ##__VA_ARGS__)

/* ---- mark.c: usage marks ---- */

extern const char *mark_dir;	/* /var/lib/vgpu/marks or VGPUCTL_MARK_DIR */

int mark_write(const char *id, const struct usage_sample *s,
	       const char *origin);
int mark_read(const char *id, struct usage_sample *s, char *origin,
	      size_t olen);
void mark_remove(const char *id);
int sample_now(const struct vgpu_info *v, struct usage_sample *s);
long long clock_now_ns(clockid_t clk);
int vgpu_created_real_ns(const struct vgpu_info *v, long long *real_ns);

/* ---- commands ---- */

int load_or_complain(struct model *m);
int bad_option(char **argv);
const char *errno_hint(int err);

int cmd_list(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_usage(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
