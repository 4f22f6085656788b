// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl usage: billing per vGPU. Engine-seconds are its busy_ns, the
 * time it ran on an engine (a vGPU runs on one engine at a time, so at most
 * one engine-second per second). Memory-MiB-seconds are its window size in
 * MiB times the wall time it held the window. Both count from its mark
 * (written by vgpuctl create or usage --mark) or, without a mark, from
 * its creation as the module's created_ns tells (a vGPU made by hand,
 * mdevctl or libvirt). A module without created_ns leaves memory unknown
 * then: engine time and commands still count from creation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"

#define MAX_IDS 256

struct row {
	const struct vgpu_info *v;
	struct usage_sample now;
	struct usage_result r;
	const char *since;	/* "creation" or "mark" */
	bool mem_known;
};

static int one(const struct vgpu_info *v, struct row *row)
{
	struct usage_sample from;
	char origin[32];
	int ret;

	row->v = v;
	sample_now(v, &row->now);
	ret = mark_read(v->id, &from, origin, sizeof(origin));
	if (ret == -ENOENT) {
		memset(&from, 0, sizeof(from));
		from.mem_size_bytes = row->now.mem_size_bytes;
		row->mem_known = !vgpu_created_real_ns(v, &from.time_ns) &&
				 from.time_ns <= row->now.time_ns;
		if (!row->mem_known)
			from.time_ns = row->now.time_ns;
		usage_compute(&from, &row->now, &row->r);
		row->since = "creation";
		return 0;
	}
	if (ret) {
		error_msg("usage: %s: unreadable mark in %s: %s", v->id, mark_dir,
			  ret == -EPROTO ? "not a vgpuctl mark" : strerror(-ret));
		return ret;
	}
	if (usage_compute(&from, &row->now, &row->r)) {
		error_msg("usage: %s: its mark in %s predates this vGPU; mark it again",
			  v->id, mark_dir);
		return -EINVAL;
	}
	row->since = strcmp(origin, "create") ? "mark" : "creation";
	row->mem_known = true;
	return 0;
}

int cmd_usage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mark", no_argument, NULL, 'k' },
		{ "mark-dir", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	static struct row rows[MAX_IDS];
	bool json = false, mark = false;
	struct json_object *o, *a;
	const struct vgpu_info *v;
	unsigned int i, j, n = 0;
	struct model m;
	int c, ret, rc = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+km:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			mark = true;
			break;
		case 'm':
			mark_dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			puts("Usage: vgpuctl usage [--mark] [--mark-dir DIR] [--json] [ID...]");
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (argc - optind > MAX_IDS) {
		error_msg("usage: at most %d IDs", MAX_IDS);
		return EXIT_USAGE;
	}
	if (load_or_complain(&m))
		return EXIT_FAIL;
	for (i = optind; (int)i < argc; i++) {
		if (!model_vgpu(&m, argv[i])) {
			error_msg("usage: no vGPU %s", argv[i]);
			model_free(&m);
			return EXIT_FAIL;
		}
	}
	if (optind < argc) {
		for (i = optind; (int)i < argc && rc == EXIT_OK; i++)
			if (one(model_vgpu(&m, argv[i]), &rows[n++]))
				rc = EXIT_FAIL;
	} else {
		for (i = 0; i < m.nparent && rc == EXIT_OK; i++)
			for (j = 0; j < m.parent[i].nvgpu && n < MAX_IDS; j++)
				if (one(&m.parent[i].vgpu[j], &rows[n++]))
					rc = EXIT_FAIL;
	}
	if (rc != EXIT_OK)
		goto out;
	if (json) {
		o = json_object_new_object();
		a = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(a, json_usage(rows[i].v->id,
							    rows[i].since,
							    &rows[i].r,
							    rows[i].mem_known));
		json_object_object_add(o, "vgpus", a);
		json_object_object_add(o, "marked", json_object_new_boolean(mark));
		json_print(o);
	} else {
		printf("%-36s %-8s %12s %14s %16s %12s\n", "ID", "SINCE",
		       "SECONDS", "ENGINE-S", "MEM-MIB-S", "COMMANDS");
		for (i = 0; i < n; i++) {
			v = rows[i].v;
			if (rows[i].mem_known)
				printf("%-36s %-8s %12.3f %14.6f %16.3f %12llu\n",
				       v->id, rows[i].since, rows[i].r.seconds,
				       rows[i].r.engine_seconds,
				       rows[i].r.mem_mib_seconds,
				       rows[i].r.commands);
			else
				printf("%-36s %-8s %12s %14.6f %16s %12llu\n",
				       v->id, rows[i].since, "-",
				       rows[i].r.engine_seconds, "-",
				       rows[i].r.commands);
		}
	}
	for (i = 0; mark && i < n; i++) {
		ret = mark_write(rows[i].v->id, &rows[i].now, "mark");
		if (ret) {
			error_msg("usage: cannot write the mark of %s in %s: %s",
				  rows[i].v->id, mark_dir, strerror(-ret));
			rc = EXIT_FAIL;
			break;
		}
	}
out:
	model_free(&m);
	return rc;
}
