// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: list, create, remove, tune, watch, bill and export the vGPUs
 * of vgpu.ko through sysfs. See vgpuctl(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgpuctl.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "list", cmd_list },
	{ "create", cmd_create },
	{ "remove", cmd_remove },
	{ "set", cmd_set },
	{ "top", cmd_top },
	{ "usage", cmd_usage },
	{ "metrics", cmd_metrics },
	{ "serve", cmd_serve },
};

static void print_usage(FILE *f)
{
	fputs("Usage: vgpuctl COMMAND [OPTION...] [ARG...]\n"
	      "  list [--json] [PARENT]\n"
	      "  create --type PROFILE [--count N] [--parent PARENT] [--json]\n"
	      "  remove ID...\n"
	      "  set TARGET KNOB=VALUE...   (vgpuctl set --help lists knobs)\n"
	      "  top [--once] [--interval MS] [--json]\n"
	      "  usage [--mark] [--mark-dir DIR] [--json] [ID...]\n"
	      "  metrics [--output FILE]    (Prometheus text format)\n"
	      "  serve --listen ADDR:PORT   (HTTP GET /metrics)\n"
	      "ID is a vGPU's UUID or PARENT/vfK; PARENT is vgpuN.\n", f);
}

int main(int argc, char **argv)
{
	const char *root = getenv("VGPUCTL_SYSFS_ROOT");
	const char *md = getenv("VGPUCTL_MARK_DIR");
	size_t i;

	if (root && *root)
		sysfs_root = root;
	if (md && *md)
		mark_dir = md;
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	error_msg("unknown command '%s' (try vgpuctl --help)", argv[1]);
	return EXIT_USAGE;
}

/* getopt_long() stopped at a bad option; it printed nothing (opterr 0). */
int bad_option(char **argv)
{
	if (optopt && strchr("tnpmiol", optopt))
		error_msg("%s: option -%c needs a value", argv[0], optopt);
	else if (optopt)
		error_msg("%s: unknown option -%c", argv[0], optopt);
	else
		error_msg("%s: unknown option or missing value: %s", argv[0],
			  argv[optind - 1]);
	return EXIT_USAGE;
}

/* What an errno of a sysfs write means for an operator. */
const char *errno_hint(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied (run as root)";
	case EINVAL:
		return "the kernel rejected the value as invalid";
	case ERANGE:
		return "the kernel rejected the value as out of range";
	case ENOSPC:
		return "no room on the parent (see the kernel log)";
	case EBUSY:
		return "busy: the VF is bound to a driver; unbind it first";
	case EEXIST:
		return "that UUID is already in use";
	case ENOENT:
	case ENODEV:
		return "it is gone (removed meanwhile?)";
	case ENOMEM:
		return "out of host memory";
	default:
		return strerror(err);
	}
}
