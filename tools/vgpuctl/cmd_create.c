// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl create and remove. A create of N vGPUs checks the exact
 * availability first and, if the kernel still refuses one of them, removes
 * those it made: it creates all or nothing. On a sim parent a vGPU is an
 * mdev device named by a new UUID; on a PF parent it is a VF without a
 * profile that is given one, named PARENT/vfK.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "vgpuctl.h"

#define MAX_COUNT 64

static int new_uuid(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -EIO;
	uuid_format(b, out);
	return 0;
}

static const struct type_info *find_type(const struct parent_info *p,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < p->ntypes; i++)
		if (!strcmp(p->types[i].name, name))
			return &p->types[i];
	return NULL;
}

/* Whether @word is one of the space-separated words of @list. */
static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		if (!strncmp(list, word, n) && (list[n] == ' ' || !list[n]))
			return true;
		list += strcspn(list, " ");
		list += strspn(list, " ");
	}
	return false;
}

static bool vf_can(const struct vf_info *vf, const char *type)
{
	return !strcmp(vf->profile, "none") && word_in(vf->creatable, type);
}

/* How many of @type the parent can take now (VFs: a lower bound of 1). */
static unsigned long long room(const struct parent_info *p, const char *type,
			       bool *known)
{
	const struct type_info *t = find_type(p, type);
	unsigned long long n = 0;
	unsigned int i;

	*known = true;
	if (t)
		return t->available;
	for (i = 0; i < p->nvfs; i++)
		if (vf_can(&p->vfs[i], type))
			n++;
	*known = false;
	return n;
}

static bool offers(const struct parent_info *p, const char *type)
{
	unsigned int i;

	if (find_type(p, type))
		return true;
	for (i = 0; i < p->nvfs; i++)
		if (word_in(p->vfs[i].creatable, type) ||
		    !strcmp(p->vfs[i].profile, type))
			return true;
	return false;
}

static int remove_one(const char *parent, unsigned int vf, const char *id)
{
	char path[512];

	if (vf) {
		if (path_fmt(path, sizeof(path), "%s/class/vgpu/%s/vf%u/profile",
			     sysfs_root, parent, vf))
			return -ENAMETOOLONG;
		return sysfs_write_str(path, "none");
	}
	if (path_fmt(path, sizeof(path), "%s/bus/mdev/devices/%s/remove",
		     sysfs_root, id))
		return -ENAMETOOLONG;
	return sysfs_write_str(path, "1");
}

static int create_one(const struct parent_info *p, const char *type,
		      unsigned int *vf_next, char *id, size_t idlen)
{
	char path[512], uuid[37];
	unsigned int i;
	int ret;

	if (find_type(p, type)) {
		ret = new_uuid(uuid);
		if (ret)
			return ret;
		if (path_fmt(path, sizeof(path),
			     "%s/class/vgpu/%s/mdev_supported_types/vgpu-%s/create",
			     sysfs_root, p->name, type))
			return -ENAMETOOLONG;
		ret = sysfs_write_str(path, uuid);
		if (!ret)
			snprintf(id, idlen, "%s", uuid);
		return ret;
	}
	for (i = *vf_next; i < p->nvfs; i++) {
		if (strcmp(p->vfs[i].profile, "none"))
			continue;
		*vf_next = i + 1;
		if (path_fmt(path, sizeof(path), "%s/class/vgpu/%s/vf%u/profile",
			     sysfs_root, p->name, p->vfs[i].k))
			return -ENAMETOOLONG;
		ret = sysfs_write_str(path, type);
		if (!ret)
			snprintf(id, idlen, "%s/vf%u", p->name, p->vfs[i].k);
		return ret;
	}
	return -ENOSPC;
}

/* Best effort: a mark at creation makes usage count from it. */
static void mark_created(const char *id)
{
	struct usage_sample s;
	struct vgpu_info *v;
	struct model now;
	int ret;

	if (model_load(&now))
		return;
	v = model_vgpu(&now, id);
	if (v) {
		sample_now(v, &s);
		ret = mark_write(id, &s, "create");
		if (ret)
			error_msg("warning: %s: cannot write its usage mark in %s: %s",
				  id, mark_dir, strerror(-ret));
	}
	model_free(&now);
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "parent", required_argument, NULL, 'p' },
		{ "mark-dir", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *type = NULL, *pname = NULL;
	char ids[MAX_COUNT][ID_LEN], pn[NAME_LEN];
	unsigned long long count = 1, r = 0;
	struct parent_info *p = NULL;
	unsigned int i, made = 0, vf_next = 0;
	struct json_object *o, *a;
	bool json = false, known = true, offered = false;
	struct model m;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+t:n:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 'n':
			if (parse_ull(optarg, 1, MAX_COUNT, &count)) {
				error_msg("create: --count '%s' is not a number in 1-%d",
					  optarg, MAX_COUNT);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			pname = optarg;
			if (!parent_name_valid(pname)) {
				error_msg("create: '%s' is not a parent name (vgpuN)",
					  pname);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			mark_dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			puts("Usage: vgpuctl create --type PROFILE [--count N]\n"
			     "       [--parent vgpuN] [--mark-dir DIR] [--json]");
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (optind < argc) {
		error_msg("create: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!type || !*type || strlen(type) >= NAME_LEN || strchr(type, '/')) {
		error_msg("create: --type PROFILE is required");
		return EXIT_USAGE;
	}
	if (load_or_complain(&m))
		return EXIT_FAIL;
	if (pname) {
		p = model_parent(&m, pname);
		if (!p) {
			error_msg("create: no parent %s", pname);
			goto fail;
		}
		offered = offers(p, type);
		r = room(p, type, &known);
	} else {
		for (i = 0; i < m.nparent; i++) {
			if (!offers(&m.parent[i], type))
				continue;
			offered = true;
			r = room(&m.parent[i], type, &known);
			if (r >= count) {
				p = &m.parent[i];
				break;
			}
		}
	}
	if (!offered) {
		error_msg("create: no parent%s%s offers profile '%s' or has room for it",
			  pname ? " " : "", pname ?: "", type);
		goto fail;
	}
	if (!p || (pname && r < count)) {
		if (pname)
			error_msg("create: %s has room for %llu %s vGPU%s%s, not %llu",
				  pname, r, type, r == 1 ? "" : "s",
				  known ? "" : " (VFs free for it)", count);
		else
			error_msg("create: no parent has room for %llu %s vGPU%s",
				  count, type, count == 1 ? "" : "s");
		goto fail;
	}
	for (made = 0; made < count; made++) {
		ret = create_one(p, type, &vf_next, ids[made], ID_LEN);
		if (ret) {
			error_msg("create: the kernel refused %s vGPU %u of %llu on %s: %s%s",
				  type, made + 1, count, p->name, errno_hint(-ret),
				  made ? "; removed the ones created" : "");
			while (made--) {
				unsigned int vf = 0;

				vf_id_parse(ids[made], pn, sizeof(pn), &vf);
				remove_one(p->name, vf, ids[made]);
			}
			goto fail;
		}
	}
	for (i = 0; i < made; i++)
		mark_created(ids[i]);
	if (json) {
		o = json_object_new_object();
		a = json_object_new_array();
		for (i = 0; i < made; i++)
			json_object_array_add(a, json_object_new_string(ids[i]));
		json_object_object_add(o, "parent", json_object_new_string(p->name));
		json_object_object_add(o, "created", a);
		json_print(o);
	} else {
		for (i = 0; i < made; i++)
			puts(ids[i]);
	}
	model_free(&m);
	return EXIT_OK;
fail:
	model_free(&m);
	return EXIT_FAIL;
}

int cmd_remove(int argc, char **argv)
{
	struct vgpu_info *v;
	struct model m;
	int i, ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		puts("Usage: vgpuctl remove ID...   (ID: UUID or vgpuN/vfK)");
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (load_or_complain(&m))
		return EXIT_FAIL;
	for (i = 1; i < argc; i++) {
		if (!model_vgpu(&m, argv[i])) {
			error_msg("remove: no vGPU %s (nothing removed)", argv[i]);
			model_free(&m);
			return uuid_valid(argv[i]) || strchr(argv[i], '/') ?
			       EXIT_FAIL : EXIT_USAGE;
		}
	}
	for (i = 1; i < argc; i++) {
		v = model_vgpu(&m, argv[i]);
		ret = remove_one(v->parent, v->vf, v->id);
		if (ret) {
			error_msg("remove: %s: %s", v->id, errno_hint(-ret));
			model_free(&m);
			return EXIT_FAIL;
		}
		mark_remove(v->id);
	}
	model_free(&m);
	return EXIT_OK;
}
