// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl top: per-vGPU busy per cent of an engine, share of its
 * partition, commands per second and errors, from two samples of sysfs an
 * interval apart. Drawn in place with ncurses in a terminal (q quits);
 * --once prints one sample as text or JSON and exits.
 */
#include <errno.h>
#include <getopt.h>
#include <ncurses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vgpuctl.h"

struct top_opts {
	unsigned long long interval_ms;
	bool once, json;
};

struct snap {
	struct model m;
	long long time_ns;
};

static int take(struct snap *s)
{
	struct timespec ts;
	int ret = load_or_complain(&s->m);

	clock_gettime(CLOCK_REALTIME, &ts);
	s->time_ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return ret;
}

static void sample_of(const struct snap *s, const struct vgpu_info *v,
		      struct usage_sample *u)
{
	u->time_ns = s->time_ns;
	u->busy_ns = v->busy_ns;
	u->commands = v->commands;
	u->mem_size_bytes = v->mem_size;
}

/* Calls @emit for each vGPU present in both snapshots. */
static void rows(struct snap *a, struct snap *b,
		 void (*emit)(const struct vgpu_info *v, const struct top_row *r,
			      void *ctx), void *ctx)
{
	struct usage_sample ua, ub;
	struct vgpu_info *va, *vb;
	struct top_row r;
	unsigned int i, j;

	for (i = 0; i < b->m.nparent; i++) {
		for (j = 0; j < b->m.parent[i].nvgpu; j++) {
			vb = &b->m.parent[i].vgpu[j];
			va = model_vgpu(&a->m, vb->id);
			if (!va)
				continue;
			sample_of(a, va, &ua);
			sample_of(b, vb, &ub);
			if (top_compute(&ua, &ub, &r))
				continue;	/* a new vGPU of the same name */
			emit(vb, &r, ctx);
		}
	}
}

static void emit_json(const struct vgpu_info *v, const struct top_row *r,
		      void *ctx)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(v->id));
	json_object_object_add(o, "profile", json_object_new_string(v->profile));
	json_object_object_add(o, "state", json_object_new_string(v->state));
	json_object_object_add(o, "busy_percent",
			       json_object_new_double(r->busy_pct));
	json_object_object_add(o, "share_permille",
			       json_object_new_uint64(v->share_permille));
	json_object_object_add(o, "commands_per_second",
			       json_object_new_double(r->cmds_per_s));
	json_object_object_add(o, "errors", json_object_new_uint64(v->errors));
	json_object_array_add(ctx, o);
}

#define HEADER "%-36s %-10s %-9s %7s %7s %10s %7s"
#define ROW    "%-36s %-10s %-9s %6.1f%% %6.1f%% %10.1f %7llu"

static void emit_text(const struct vgpu_info *v, const struct top_row *r,
		      void *ctx)
{
	(void)ctx;
	printf(ROW "\n", v->id, v->profile, v->state, r->busy_pct,
	       v->share_permille / 10.0, r->cmds_per_s, v->errors);
}

static void emit_curses(const struct vgpu_info *v, const struct top_row *r,
			void *ctx)
{
	(void)ctx;
	printw(ROW "\n", v->id, v->profile, v->state, r->busy_pct,
	       v->share_permille / 10.0, r->cmds_per_s, v->errors);
}

static void draw_parents(const struct snap *s)
{
	const struct parent_info *p;
	unsigned int i;

	for (i = 0; i < s->m.nparent; i++) {
		p = &s->m.parent[i];
		printw("%s %s  policy %s  vgpus %llu  engine use (permille): %s\n",
		       p->name, p->backend, p->policy, p->vgpus, p->utilization);
	}
}

static int once(const struct top_opts *o)
{
	struct snap a, b;
	struct json_object *j, *arr;

	if (take(&a))
		return EXIT_FAIL;
	usleep(o->interval_ms * 1000);
	if (take(&b)) {
		model_free(&a.m);
		return EXIT_FAIL;
	}
	if (o->json) {
		j = json_object_new_object();
		arr = json_object_new_array();
		rows(&a, &b, emit_json, arr);
		json_object_object_add(j, "interval_ms",
				       json_object_new_uint64(o->interval_ms));
		json_object_object_add(j, "vgpus", arr);
		json_print(j);
	} else {
		printf(HEADER "\n", "ID", "PROFILE", "STATE", "BUSY", "SHARE",
		       "CMDS/S", "ERRORS");
		rows(&a, &b, emit_text, NULL);
	}
	model_free(&a.m);
	model_free(&b.m);
	return EXIT_OK;
}

static int live(const struct top_opts *o)
{
	struct snap a, b;
	int ch = 0;

	if (take(&a))
		return EXIT_FAIL;
	if (!initscr()) {
		model_free(&a.m);
		error_msg("top: cannot set up the terminal");
		return EXIT_FAIL;
	}
	cbreak();
	noecho();
	curs_set(0);
	timeout(o->interval_ms);
	while (ch != 'q' && ch != 'Q') {
		ch = getch();
		if (take(&b))
			break;
		erase();
		printw("vgpuctl top   every %llu ms   q quits\n", o->interval_ms);
		draw_parents(&b);
		attron(A_REVERSE);
		printw(HEADER "\n", "ID", "PROFILE", "STATE", "BUSY", "SHARE",
		       "CMDS/S", "ERRORS");
		attroff(A_REVERSE);
		rows(&a, &b, emit_curses, NULL);
		refresh();
		model_free(&a.m);
		a = b;
	}
	endwin();
	model_free(&a.m);
	return EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct top_opts o = { .interval_ms = 1000 };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+1i:jh", opts, NULL)) != -1) {
		switch (c) {
		case '1':
			o.once = true;
			break;
		case 'i':
			if (parse_ull(optarg, 100, 60000, &o.interval_ms)) {
				error_msg("top: --interval '%s' is not 100-60000 ms",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			puts("Usage: vgpuctl top [--once] [--interval MS] [--json]");
			return EXIT_OK;
		default:
			return bad_option(argv);
		}
	}
	if (optind < argc) {
		error_msg("top: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.json && !o.once) {
		error_msg("top: --json needs --once");
		return EXIT_USAGE;
	}
	if (o.once)
		return once(&o);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		error_msg("top: needs a terminal; use --once for one sample");
		return EXIT_USAGE;
	}
	return live(&o);
}
