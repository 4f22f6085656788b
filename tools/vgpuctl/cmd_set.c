// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl set TARGET KNOB=VALUE...: the knobs of a parent (vgpuN) or of a
 * vGPU (UUID or vgpuN/vfK). Every value is checked against the ABI's
 * ranges before anything is written; if the kernel then refuses one, the
 * knobs already written get their old values back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"

#define MAX_ASSIGN 16

struct assign {
	const struct knob *knob;
	const char *val;
	char path[600];
	char old[64];
};

static void set_help(void)
{
	const struct knob *k;
	size_t i, n;

	puts("Usage: vgpuctl set TARGET KNOB=VALUE...\n"
	     "TARGET: a parent vgpuN, or a vGPU (UUID or vgpuN/vfK). Knobs:");
	k = knob_table(&n);
	for (i = 0; i < n; i++) {
		printf("  %-7s %-19s ", k[i].scope == KNOB_PARENT ? "parent" : "vgpu",
		       k[i].name);
		if (k[i].words)
			printf("%s%s%s%s%s", k[i].words[0],
			       k[i].words[1] ? "|" : "", k[i].words[1] ?: "",
			       k[i].words[1] && k[i].words[2] ? "|" : "",
			       k[i].words[1] && k[i].words[2] ? k[i].words[2] : "");
		else
			printf("%llu-%llu", k[i].min, k[i].max);
		printf("  %s\n", k[i].help);
	}
}

/* The value that undoes a write of @a (state reads differently). */
static const char *undo_value(const struct assign *a)
{
	if (strcmp(a->knob->file, "state"))
		return a->old;
	return strcmp(a->old, "paused") ? "resume" : "pause";
}

int cmd_set(int argc, char **argv)
{
	struct assign as[MAX_ASSIGN];
	enum knob_scope scope;
	char key[64], err[160], dir[512];
	const char *target;
	struct vgpu_info *v;
	struct model m;
	int i, n, ret, j;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		set_help();
		return EXIT_OK;
	}
	if (argc < 3) {
		error_msg("set: usage: vgpuctl set TARGET KNOB=VALUE... (see vgpuctl set --help)");
		return EXIT_USAGE;
	}
	if (argc - 2 > MAX_ASSIGN) {
		error_msg("set: at most %d knobs at once", MAX_ASSIGN);
		return EXIT_USAGE;
	}
	target = argv[1];
	scope = parent_name_valid(target) ? KNOB_PARENT : KNOB_VGPU;
	n = argc - 2;
	for (i = 0; i < n; i++) {
		if (assignment_split(argv[i + 2], key, sizeof(key), &as[i].val)) {
			error_msg("set: '%s' is not KNOB=VALUE (nothing changed)",
				  argv[i + 2]);
			return EXIT_USAGE;
		}
		as[i].knob = knob_find(key, scope);
		if (!as[i].knob) {
			error_msg("set: '%s' is not a knob of a %s (nothing changed)",
				  key, scope == KNOB_PARENT ? "parent" : "vGPU");
			return EXIT_USAGE;
		}
		if (knob_check(as[i].knob, as[i].val, err, sizeof(err))) {
			error_msg("set: %s (nothing changed)", err);
			return EXIT_USAGE;
		}
		for (j = 0; j < i; j++)
			if (as[j].knob == as[i].knob) {
				error_msg("set: %s given twice", key);
				return EXIT_USAGE;
			}
	}
	if (load_or_complain(&m))
		return EXIT_FAIL;
	if (scope == KNOB_PARENT) {
		if (!model_parent(&m, target)) {
			error_msg("set: no parent %s", target);
			goto fail;
		}
		ret = path_fmt(dir, sizeof(dir), "%s/class/vgpu/%s", sysfs_root,
			       target);
	} else {
		v = model_vgpu(&m, target);
		if (!v) {
			error_msg("set: no vGPU or parent '%s'", target);
			goto fail;
		}
		ret = path_fmt(dir, sizeof(dir), "%s", v->dir);
	}
	for (i = 0; !ret && i < n; i++) {
		ret = path_fmt(as[i].path, sizeof(as[i].path), "%s/%s", dir,
			       as[i].knob->file);
		ret = ret ?: sysfs_read_str(as[i].path, as[i].old,
					    sizeof(as[i].old));
	}
	if (ret) {
		error_msg("set: cannot read %s: %s", target, errno_hint(-ret));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		ret = sysfs_write_str(as[i].path, as[i].val);
		if (ret) {
			error_msg("set: %s %s=%s: %s%s", target, as[i].knob->name,
				  as[i].val, errno_hint(-ret),
				  i ? " (the knobs before it were restored)" :
				  " (nothing changed)");
			while (i--)
				sysfs_write_str(as[i].path, undo_value(&as[i]));
			goto fail;
		}
	}
	model_free(&m);
	return EXIT_OK;
fail:
	model_free(&m);
	return EXIT_FAIL;
}
