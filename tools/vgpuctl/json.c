// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl's JSON output, built with json-c. The shapes are documented in
 * the admin guide ("vgpuctl") and vgpuctl(8); numbers are JSON integers
 * except the derived reals of usage and top.
 */
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"

static void add_u(struct json_object *o, const char *k, unsigned long long v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_s(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

struct json_object *json_vgpu(const struct vgpu_info *v)
{
	struct json_object *o = json_object_new_object();

	add_s(o, "id", v->id);
	add_s(o, "parent", v->parent);
	add_s(o, "kind", v->vf ? "vf" : "mdev");
	if (v->vf)
		add_u(o, "vf", v->vf);
	add_s(o, "profile", v->profile);
	add_s(o, "state", v->state);
	add_u(o, "mem_offset_bytes", v->mem_offset);
	add_u(o, "mem_size_bytes", v->mem_size);
	add_s(o, "engines", v->engines);
	add_u(o, "partition", v->partition);
	add_u(o, "partition_users", v->partition_users);
	add_u(o, "partition_share", v->partition_share);
	add_u(o, "weight", v->weight);
	add_u(o, "timeslice_us", v->timeslice_us);
	add_u(o, "cap_permille", v->cap);
	add_u(o, "guarantee_permille", v->guarantee);
	add_s(o, "priority", v->priority);
	add_u(o, "busy_ns", v->busy_ns);
	add_u(o, "slices", v->slices);
	add_u(o, "preemptions", v->preemptions);
	add_u(o, "prio_preemptions", v->prio_preemptions);
	add_u(o, "share_permille", v->share_permille);
	add_u(o, "commands", v->commands);
	add_u(o, "bytes", v->bytes);
	add_u(o, "errors", v->errors);
	add_u(o, "resets", v->resets);
	add_u(o, "dma_stalls", v->dma_stalls);
	add_u(o, "peer_group", v->peer_group);
	add_s(o, "peer_id", v->peer_id);
	add_u(o, "peer_tx_bytes", v->peer_tx_bytes);
	add_u(o, "peer_rx_bytes", v->peer_rx_bytes);
	if (v->created_known)
		add_u(o, "created_ns", v->created_ns);
	return o;
}

/* Space-separated numbers as an array of integers. */
static struct json_object *num_array(const char *s)
{
	struct json_object *a = json_object_new_array();
	unsigned long long v;
	char word[32];
	size_t n;

	while (*s) {
		n = strcspn(s, "\n ");
		if (n && n < sizeof(word)) {
			memcpy(word, s, n);
			word[n] = '\0';
			if (!parse_ull(word, 0, ~0ULL, &v))
				json_object_array_add(a,
						      json_object_new_uint64(v));
		}
		s += n;
		s += strspn(s, "\n ");
	}
	return a;
}

/* One string per line. */
static struct json_object *line_array(const char *s, const char *sep)
{
	struct json_object *a = json_object_new_array();
	size_t n;

	while (*s) {
		n = strcspn(s, sep);
		if (n)
			json_object_array_add(a, json_object_new_string_len(s, n));
		s += n;
		s += strspn(s, sep);
	}
	return a;
}

struct json_object *json_parent(const struct parent_info *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a, *t;
	unsigned int i;

	add_s(o, "name", p->name);
	add_s(o, "backend", p->backend);
	add_u(o, "mem_total_bytes", p->mem_total);
	add_u(o, "mem_free_bytes", p->mem_free);
	add_u(o, "engines_total", p->engines_total);
	add_u(o, "engines_free", p->engines_free);
	add_u(o, "vgpus", p->vgpus);
	add_s(o, "sched_policy", p->policy);
	add_u(o, "timeslice_us", p->timeslice_us);
	add_u(o, "job_timeout_ms", p->job_timeout_ms);
	add_u(o, "preempt_timeout_us", p->preempt_timeout_us);
	json_object_object_add(o, "engine_utilization_permille",
			       num_array(p->utilization));
	json_object_object_add(o, "partitions",
			       line_array(p->partitions, "\n"));
	a = json_object_new_array();
	for (i = 0; i < p->ntypes; i++) {
		t = json_object_new_object();
		add_s(t, "name", p->types[i].name);
		add_s(t, "description", p->types[i].description);
		add_u(t, "available_instances", p->types[i].available);
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "types", a);
	a = json_object_new_array();
	for (i = 0; i < p->nvfs; i++) {
		t = json_object_new_object();
		add_u(t, "vf", p->vfs[i].k);
		add_s(t, "profile", p->vfs[i].profile);
		json_object_object_add(t, "creatable_profiles",
				       line_array(p->vfs[i].creatable, " "));
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "vfs", a);
	a = json_object_new_array();
	for (i = 0; i < p->nvgpu; i++)
		json_object_array_add(a, json_vgpu(&p->vgpu[i]));
	json_object_object_add(o, "instances", a);
	return o;
}

/* @since: "creation" or "mark"; memory is null when no time base is known. */
struct json_object *json_usage(const char *id, const char *since,
			       const struct usage_result *r, bool mem_known)
{
	struct json_object *o = json_object_new_object();

	add_s(o, "id", id);
	add_s(o, "since", since);
	json_object_object_add(o, "seconds", mem_known ?
			       json_object_new_double(r->seconds) : NULL);
	json_object_object_add(o, "engine_seconds",
			       json_object_new_double(r->engine_seconds));
	json_object_object_add(o, "mem_mib_seconds", mem_known ?
			       json_object_new_double(r->mem_mib_seconds) :
			       NULL);
	add_u(o, "commands", r->commands);
	return o;
}

void json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
