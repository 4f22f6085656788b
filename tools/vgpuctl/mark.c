// SPDX-License-Identifier: GPL-2.0-only
/*
 * Usage marks: vgpuctl keeps, per vGPU, the time and counters of a moment
 * it saw (its creation by vgpuctl create, or vgpuctl usage --mark) in
 * MARK_DIR/ID, a JSON object written
 * with json-c and replaced atomically. A VF's ID vgpuN/vfK is stored as
 * vgpuN-vfK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vgpuctl.h"

const char *mark_dir = "/var/lib/vgpu/marks";

static int mark_path(const char *id, char *buf, size_t len)
{
	char name[ID_LEN];
	size_t i;

	snprintf(name, sizeof(name), "%s", id);
	for (i = 0; name[i]; i++)
		if (name[i] == '/')
			name[i] = '-';
	return fmt_fits(snprintf(buf, len, "%s/%s", mark_dir, name), len);
}

/* mkdir -p of mark_dir. */
static int mark_mkdir(void)
{
	char path[512];
	size_t i;

	if (path_fmt(path, sizeof(path), "%s", mark_dir))
		return -ENAMETOOLONG;
	for (i = 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		path[i] = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

long long clock_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* When @v was created, in CLOCK_REALTIME; -ENOENT if sysfs does not say. */
int vgpu_created_real_ns(const struct vgpu_info *v, long long *real_ns)
{
	long long boot = clock_now_ns(CLOCK_BOOTTIME);
	long long real = clock_now_ns(CLOCK_REALTIME);

	if (!v->created_known)
		return -ENOENT;
	return boot_to_real_ns(v->created_ns, boot, real, real_ns);
}

int sample_now(const struct vgpu_info *v, struct usage_sample *s)
{
	s->time_ns = clock_now_ns(CLOCK_REALTIME);
	s->busy_ns = v->busy_ns;
	s->commands = v->commands;
	s->mem_size_bytes = v->mem_size;
	return 0;
}

int mark_write(const char *id, const struct usage_sample *s,
	       const char *origin)
{
	char path[600], tmp[640];
	struct json_object *o;
	int ret;

	ret = mark_mkdir();
	if (ret)
		return ret;
	if (mark_path(id, path, sizeof(path)) ||
	    path_fmt(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()))
		return -ENAMETOOLONG;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "origin", json_object_new_string(origin));
	json_object_object_add(o, "time_ns", json_object_new_int64(s->time_ns));
	json_object_object_add(o, "busy_ns", json_object_new_uint64(s->busy_ns));
	json_object_object_add(o, "commands",
			       json_object_new_uint64(s->commands));
	json_object_object_add(o, "mem_size_bytes",
			       json_object_new_uint64(s->mem_size_bytes));
	ret = json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE);
	json_object_put(o);
	if (ret) {
		ret = errno ? -errno : -EIO;
		unlink(tmp);
		return ret;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	return 0;
}

static int get_u(struct json_object *o, const char *k, unsigned long long *v)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, k, &f) ||
	    !json_object_is_type(f, json_type_int))
		return -EPROTO;
	*v = json_object_get_uint64(f);
	return 0;
}

/* -ENOENT: no mark; -EPROTO: a file that is not a mark of @id. */
int mark_read(const char *id, struct usage_sample *s, char *origin,
	      size_t olen)
{
	struct json_object *o, *f;
	unsigned long long t;
	char path[600];
	int ret = 0;

	if (mark_path(id, path, sizeof(path)))
		return -ENAMETOOLONG;
	if (access(path, F_OK))
		return -errno;
	o = json_object_from_file(path);
	if (!o)
		return -EPROTO;
	if (!json_object_object_get_ex(o, "id", &f) ||
	    strcmp(json_object_get_string(f) ?: "", id))
		ret = -EPROTO;
	ret = ret ?: get_u(o, "time_ns", &t);
	ret = ret ?: get_u(o, "busy_ns", &s->busy_ns);
	ret = ret ?: get_u(o, "commands", &s->commands);
	ret = ret ?: get_u(o, "mem_size_bytes", &s->mem_size_bytes);
	if (!ret) {
		s->time_ns = t;
		snprintf(origin, olen, "%s",
			 json_object_object_get_ex(o, "origin", &f) ?
			 json_object_get_string(f) : "mark");
	}
	json_object_put(o);
	return ret;
}

void mark_remove(const char *id)
{
	char path[600];

	if (!mark_path(id, path, sizeof(path)))
		unlink(path);
}
