// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl's model: every parent of /sys/class/vgpu with its types or VFs
 * and its vGPUs, read from sysfs in one pass. A file that vanishes while
 * it is read (a vGPU removed meanwhile) drops that vGPU, not the listing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpuctl.h"

static int read_ull_at(const char *dir, const char *file,
		       unsigned long long *v)
{
	char path[600];

	if (path_fmt(path, sizeof(path), "%s/%s", dir, file))
		return -ENAMETOOLONG;
	return sysfs_read_ull(path, v);
}

static int read_str_at(const char *dir, const char *file, char *buf,
		       size_t len)
{
	char path[600];

	if (path_fmt(path, sizeof(path), "%s/%s", dir, file))
		return -ENAMETOOLONG;
	return sysfs_read_str(path, buf, len);
}

/* Fill @v from v->dir. */
int vgpu_load(struct vgpu_info *v)
{
	static const struct {
		const char *file;
		size_t off;
	} nums[] = {
#define N(f, m) { f, offsetof(struct vgpu_info, m) }
		N("mem_offset_bytes", mem_offset), N("mem_size_bytes", mem_size),
		N("partition", partition), N("partition_users", partition_users),
		N("partition_share", partition_share), N("weight", weight),
		N("timeslice_us", timeslice_us), N("cap_permille", cap),
		N("guarantee_permille", guarantee), N("busy_ns", busy_ns),
		N("slices", slices), N("preemptions", preemptions),
		N("prio_preemptions", prio_preemptions),
		N("share_permille", share_permille), N("commands", commands),
		N("bytes", bytes), N("errors", errors), N("resets", resets),
		N("dma_stalls", dma_stalls),
#undef N
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(nums); i++) {
		ret = read_ull_at(v->dir, nums[i].file,
				  (unsigned long long *)((char *)v + nums[i].off));
		if (ret)
			return ret;
	}
	ret = read_str_at(v->dir, "profile", v->profile, sizeof(v->profile));
	if (!ret)
		ret = read_str_at(v->dir, "state", v->state, sizeof(v->state));
	if (!ret)
		ret = read_str_at(v->dir, "priority", v->priority,
				  sizeof(v->priority));
	if (!ret)
		ret = read_str_at(v->dir, "engines", v->engines,
				  sizeof(v->engines));
	/* Older modules lack it: billing then needs a mark. */
	v->created_known = !ret && !read_ull_at(v->dir, "created_ns",
						 &v->created_ns);
	/* Older modules have no peer groups: in none, nothing copied. */
	if (!ret && read_str_at(v->dir, "peer_id", v->peer_id,
				sizeof(v->peer_id)))
		snprintf(v->peer_id, sizeof(v->peer_id), "none");
	if (!ret && (read_ull_at(v->dir, "peer_group", &v->peer_group) ||
		     read_ull_at(v->dir, "peer_tx_bytes", &v->peer_tx_bytes) ||
		     read_ull_at(v->dir, "peer_rx_bytes", &v->peer_rx_bytes))) {
		v->peer_group = 0;
		v->peer_tx_bytes = 0;
		v->peer_rx_bytes = 0;
	}
	return ret;
}

static int add_vgpu(struct parent_info *p, const char *id, unsigned int vf,
		    const char *dir)
{
	struct vgpu_info *n, *v;

	n = realloc(p->vgpu, (p->nvgpu + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->vgpu = n;
	v = &n[p->nvgpu];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	snprintf(v->parent, sizeof(v->parent), "%s", p->name);
	snprintf(v->dir, sizeof(v->dir), "%s", dir);
	v->vf = vf;
	if (vgpu_load(v))
		return 0;	/* gone meanwhile */
	p->nvgpu++;
	return 0;
}

static int cmp_vgpu(const void *a, const void *b)
{
	const struct vgpu_info *x = a, *y = b;

	if (x->vf != y->vf)
		return x->vf < y->vf ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int load_types(struct parent_info *p, const char *pdir)
{
	char tdir[600], path[700];
	struct dirent *e;
	struct type_info *t;
	DIR *d;

	if (path_fmt(tdir, sizeof(tdir), "%s/mdev_supported_types", pdir))
		return -ENAMETOOLONG;
	d = opendir(tdir);
	if (!d)
		return 0;
	while ((e = readdir(d)) && p->ntypes < MAX_TYPES) {
		if (strncmp(e->d_name, "vgpu-", 5))
			continue;
		t = &p->types[p->ntypes];
		if (path_fmt(path, sizeof(path), "%s/%s", tdir, e->d_name))
			continue;
		if (read_str_at(path, "name", t->name, sizeof(t->name)) ||
		    read_ull_at(path, "available_instances", &t->available))
			continue;
		read_str_at(path, "description", t->description,
			    sizeof(t->description));
		p->ntypes++;
	}
	closedir(d);
	return 0;
}

static int load_children(struct parent_info *p, const char *pdir)
{
	char path[700], id[ID_LEN];
	struct dirent *e;
	unsigned long long k;
	struct vf_info *vf;
	int ret = 0;
	DIR *d;

	d = opendir(pdir);
	if (!d)
		return -errno;
	while (!ret && (e = readdir(d))) {
		if (uuid_valid(e->d_name)) {
			if (path_fmt(path, sizeof(path), "%s/%s/vgpu", pdir,
				     e->d_name) || !dir_exists(path))
				continue;
			ret = add_vgpu(p, e->d_name, 0, path);
			continue;
		}
		if (strncmp(e->d_name, "vf", 2) || e->d_name[2] == '0' ||
		    parse_ull(e->d_name + 2, 1, MAX_VFS, &k) ||
		    p->nvfs >= MAX_VFS)
			continue;
		vf = &p->vfs[p->nvfs];
		vf->k = k;
		if (path_fmt(path, sizeof(path), "%s/%s", pdir, e->d_name) ||
		    read_str_at(path, "profile", vf->profile,
				sizeof(vf->profile)))
			continue;
		read_str_at(path, "creatable_profiles", vf->creatable,
			    sizeof(vf->creatable));
		for (char *c = vf->creatable; *c; c++)
			if (*c == '\n')
				*c = ' ';
		p->nvfs++;
		if (path_fmt(path, sizeof(path), "%s/%s/vgpu", pdir,
			     e->d_name) || !dir_exists(path))
			continue;
		snprintf(id, sizeof(id), "%s/vf%llu", p->name, k);
		ret = add_vgpu(p, id, k, path);
	}
	closedir(d);
	qsort(p->vgpu, p->nvgpu, sizeof(*p->vgpu), cmp_vgpu);
	return ret;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct vf_info *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k;
}

static int cmp_type(const void *a, const void *b)
{
	return strcmp(((const struct type_info *)a)->name,
		      ((const struct type_info *)b)->name);
}

static int load_parent(struct parent_info *p, const char *pdir)
{
	int ret;

	ret = read_str_at(pdir, "backend", p->backend, sizeof(p->backend));
	ret = ret ?: read_str_at(pdir, "sched_policy", p->policy,
				 sizeof(p->policy));
	ret = ret ?: read_ull_at(pdir, "mem_total_bytes", &p->mem_total);
	ret = ret ?: read_ull_at(pdir, "mem_free_bytes", &p->mem_free);
	ret = ret ?: read_ull_at(pdir, "engines_total", &p->engines_total);
	ret = ret ?: read_ull_at(pdir, "engines_free", &p->engines_free);
	ret = ret ?: read_ull_at(pdir, "vgpus", &p->vgpus);
	ret = ret ?: read_ull_at(pdir, "timeslice_us", &p->timeslice_us);
	ret = ret ?: read_ull_at(pdir, "job_timeout_ms", &p->job_timeout_ms);
	ret = ret ?: read_ull_at(pdir, "preempt_timeout_us",
				 &p->preempt_timeout_us);
	ret = ret ?: read_str_at(pdir, "engine_utilization_permille",
				 p->utilization, sizeof(p->utilization));
	ret = ret ?: read_str_at(pdir, "partitions", p->partitions,
				 sizeof(p->partitions));
	ret = ret ?: load_types(p, pdir);
	ret = ret ?: load_children(p, pdir);
	qsort(p->vfs, p->nvfs, sizeof(*p->vfs), cmp_vf);
	qsort(p->types, p->ntypes, sizeof(*p->types), cmp_type);
	return ret;
}

static int cmp_parent(const void *a, const void *b)
{
	const struct parent_info *x = a, *y = b;
	unsigned long long i, j;

	parse_ull(x->name + 4, 0, ~0ULL, &i);
	parse_ull(y->name + 4, 0, ~0ULL, &j);
	return i < j ? -1 : i > j;
}

/* -ENOENT when vgpu.ko is not loaded. */
int model_load(struct model *m)
{
	char cdir[512], pdir[700];
	struct parent_info *n;
	struct dirent *e;
	int ret = 0;
	DIR *d;

	memset(m, 0, sizeof(*m));
	if (path_fmt(cdir, sizeof(cdir), "%s/class/vgpu", sysfs_root))
		return -ENAMETOOLONG;
	d = opendir(cdir);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (!parent_name_valid(e->d_name) ||
		    strlen(e->d_name) >= NAME_LEN)
			continue;
		n = realloc(m->parent, (m->nparent + 1) * sizeof(*n));
		if (!n) {
			ret = -ENOMEM;
			break;
		}
		m->parent = n;
		memset(&n[m->nparent], 0, sizeof(*n));
		memcpy(n[m->nparent].name, e->d_name, strlen(e->d_name) + 1);
		if (path_fmt(pdir, sizeof(pdir), "%s/%s", cdir, e->d_name))
			continue;
		ret = load_parent(&n[m->nparent], pdir);
		if (ret == -ENOMEM)
			break;
		if (ret) {	/* going away meanwhile */
			free(n[m->nparent].vgpu);
			ret = 0;
			continue;
		}
		m->nparent++;
	}
	closedir(d);
	if (ret) {
		model_free(m);
		return ret;
	}
	qsort(m->parent, m->nparent, sizeof(*m->parent), cmp_parent);
	return 0;
}

void model_free(struct model *m)
{
	unsigned int i;

	for (i = 0; i < m->nparent; i++)
		free(m->parent[i].vgpu);
	free(m->parent);
	memset(m, 0, sizeof(*m));
}

struct parent_info *model_parent(struct model *m, const char *name)
{
	unsigned int i;

	for (i = 0; i < m->nparent; i++)
		if (!strcmp(m->parent[i].name, name))
			return &m->parent[i];
	return NULL;
}

/* By UUID (any case) or vgpuN/vfK. */
struct vgpu_info *model_vgpu(struct model *m, const char *id)
{
	unsigned int i, j;

	for (i = 0; i < m->nparent; i++)
		for (j = 0; j < m->parent[i].nvgpu; j++)
			if (!strcasecmp(m->parent[i].vgpu[j].id, id))
				return &m->parent[i].vgpu[j];
	return NULL;
}
