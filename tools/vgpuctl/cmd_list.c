// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl list: parents, their types with exact availability or their
 * VFs, and their vGPUs with profile, memory, engines and tenant state.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"

#define MIB(x) ((x) / 1048576ULL)

int load_or_complain(struct model *m)
{
	int ret = model_load(m);

	if (ret == -ENOENT)
		error_msg("no vgpu parents: is vgpu.ko loaded? (%s/class/vgpu is missing)",
			  sysfs_root);
	else if (ret)
		error_msg("cannot read sysfs: %s", strerror(-ret));
	return ret;
}

static void print_vgpu(const struct vgpu_info *v)
{
	printf("  vgpu %s  %s  %llu MiB at %llu MiB  engines %s  partition %llu (%llu/%llu)  %s\n",
	       v->id, v->profile, MIB(v->mem_size), MIB(v->mem_offset),
	       v->engines, v->partition, v->partition_users,
	       v->partition_share, v->state);
	printf("       weight %llu  cap %llu  guarantee %llu  priority %s  timeslice_us %llu\n",
	       v->weight, v->cap, v->guarantee, v->priority, v->timeslice_us);
}

static void print_parent(const struct parent_info *p)
{
	unsigned int i;

	printf("%s  %s  memory %llu/%llu MiB free  engines %llu/%llu free  vgpus %llu\n",
	       p->name, p->backend, MIB(p->mem_free), MIB(p->mem_total),
	       p->engines_free, p->engines_total, p->vgpus);
	printf("  policy %s  timeslice_us %llu  job_timeout_ms %llu  preempt_timeout_us %llu\n",
	       p->policy, p->timeslice_us, p->job_timeout_ms,
	       p->preempt_timeout_us);
	for (i = 0; i < p->ntypes; i++)
		printf("  type %-12s available %-3llu %s\n", p->types[i].name,
		       p->types[i].available, p->types[i].description);
	for (i = 0; i < p->nvfs; i++)
		printf("  vf%-3u profile %-12s creatable: %s\n", p->vfs[i].k,
		       p->vfs[i].profile,
		       p->vfs[i].creatable[0] ? p->vfs[i].creatable : "-");
	for (i = 0; i < p->nvgpu; i++)
		print_vgpu(&p->vgpu[i]);
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct json_object *o, *a;
	const char *only = NULL;
	struct model m;
	bool json = false;
	unsigned int i;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			puts("Usage: vgpuctl list [--json] [PARENT]");
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (argc - optind > 1) {
		error_msg("list: at most one PARENT");
		return EXIT_USAGE;
	}
	if (optind < argc) {
		only = argv[optind];
		if (!parent_name_valid(only)) {
			error_msg("list: '%s' is not a parent name (vgpuN)", only);
			return EXIT_USAGE;
		}
	}
	if (load_or_complain(&m))
		return EXIT_FAIL;
	if (only && !model_parent(&m, only)) {
		error_msg("list: no parent %s", only);
		model_free(&m);
		return EXIT_FAIL;
	}
	if (json) {
		o = json_object_new_object();
		a = json_object_new_array();
		for (i = 0; i < m.nparent; i++)
			if (!only || !strcmp(only, m.parent[i].name))
				json_object_array_add(a, json_parent(&m.parent[i]));
		json_object_object_add(o, "parents", a);
		json_print(o);
	} else {
		for (i = 0; i < m.nparent; i++)
			if (!only || !strcmp(only, m.parent[i].name))
				print_parent(&m.parent[i]);
	}
	model_free(&m);
	return EXIT_OK;
}
