// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl's metrics: the model in the Prometheus text exposition format
 * (version 0.0.4, which OpenMetrics parsers read too). Pure: it formats a
 * model read elsewhere and the two clock readings it is given, so the unit
 * tests can compare its output with a golden text.
 *
 * Every family has HELP and TYPE lines and all its samples together. Names
 * start with vgpu_, counters end in _total, times are in seconds and sizes
 * in bytes; ratios are 0..1 (sysfs' per mille / 1000). The labels of a
 * vGPU are parent, uuid (an mdev vGPU) or vf (a VF, its number) and
 * profile; vgpu_info adds what a vGPU keeps for its life or changes rarely.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vgpuctl.h"

/* The states sysfs shows; vgpu_state has one sample each. */
static const char *const vgpu_states[] = {
	"running", "faulted", "paused", "stopped", "resetting", "removing",
};

/*
 * Write @s as a label value: backslash, double quote and newline escaped
 * as the exposition format asks. Return: 0, or -1 on a write error.
 */
int metrics_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(*s, f);
		}
	}
	return ferror(f) ? -1 : 0;
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void parent_labels(FILE *f, const char *name,
			  const struct parent_info *p)
{
	fprintf(f, "%s{parent=\"", name);
	metrics_escape(f, p->name);
	fputc('"', f);
}

static void vgpu_labels(FILE *f, const char *name, const struct vgpu_info *v)
{
	fprintf(f, "%s{parent=\"", name);
	metrics_escape(f, v->parent);
	if (v->vf) {
		fprintf(f, "\",vf=\"%u", v->vf);
	} else {
		fputs("\",uuid=\"", f);
		metrics_escape(f, v->id);
	}
	fputs("\",profile=\"", f);
	metrics_escape(f, v->profile);
	fputc('"', f);
}

/* @v / @div as an exact decimal with @digits decimals. */
static void put_fixed(FILE *f, unsigned long long v, unsigned long long div,
		      int digits)
{
	fprintf(f, "%llu.%0*llu\n", v / div, digits, v % div);
}

/* How a sysfs number becomes a sample: as is, or / 1e9, 1e6, 1e3. */
enum fmt { AS_INT, AS_NANO, AS_MICRO, AS_MILLI };

static void put_value(FILE *f, unsigned long long v, enum fmt how)
{
	switch (how) {
	case AS_INT:
		fprintf(f, "%llu\n", v);
		break;
	case AS_NANO:
		put_fixed(f, v, 1000000000ULL, 9);
		break;
	case AS_MICRO:
		put_fixed(f, v, 1000000ULL, 6);
		break;
	case AS_MILLI:
		put_fixed(f, v, 1000ULL, 3);
		break;
	}
}

#define P_FIELD(m)	offsetof(struct parent_info, m)
#define V_FIELD(m)	offsetof(struct vgpu_info, m)

static const struct metric_def {
	const char *name, *type, *help;
	size_t off;
	enum fmt how;
} parent_defs[] = {
	{ "vgpu_parent_memory_total_bytes", "gauge",
	  "Device memory of the parent.", P_FIELD(mem_total), AS_INT },
	{ "vgpu_parent_memory_free_bytes", "gauge",
	  "Device memory of the parent in no vGPU's window.",
	  P_FIELD(mem_free), AS_INT },
	{ "vgpu_parent_engines", "gauge", "Engines of the parent.",
	  P_FIELD(engines_total), AS_INT },
	{ "vgpu_parent_engines_free", "gauge",
	  "Engines of the parent in no partition.", P_FIELD(engines_free),
	  AS_INT },
	{ "vgpu_parent_vgpus", "gauge", "vGPUs on the parent.", P_FIELD(vgpus),
	  AS_INT },
	{ "vgpu_parent_timeslice_seconds", "gauge",
	  "Default time slice of the parent's vGPUs.", P_FIELD(timeslice_us),
	  AS_MICRO },
	{ "vgpu_parent_job_timeout_seconds", "gauge",
	  "Watchdog limit of one command, 0 for none.",
	  P_FIELD(job_timeout_ms), AS_MILLI },
	{ "vgpu_parent_preempt_timeout_seconds", "gauge",
	  "Watchdog limit of a preemption, 0 for none.",
	  P_FIELD(preempt_timeout_us), AS_MICRO },
}, vgpu_defs[] = {
	{ "vgpu_busy_seconds_total", "counter",
	  "Time the vGPU ran on an engine.", V_FIELD(busy_ns), AS_NANO },
	{ "vgpu_commands_total", "counter", "Commands the vGPU completed.",
	  V_FIELD(commands), AS_INT },
	{ "vgpu_transferred_bytes_total", "counter",
	  "Bytes the vGPU's commands moved.", V_FIELD(bytes), AS_INT },
	{ "vgpu_errors_total", "counter",
	  "Faults that halted the vGPU's ring.", V_FIELD(errors), AS_INT },
	{ "vgpu_resets_total", "counter", "Resets of the vGPU.",
	  V_FIELD(resets), AS_INT },
	{ "vgpu_slices_total", "counter", "Time slices the vGPU ran.",
	  V_FIELD(slices), AS_INT },
	{ "vgpu_preemptions_total", "counter",
	  "Time slices that ended with the vGPU's work left.",
	  V_FIELD(preemptions), AS_INT },
	{ "vgpu_priority_preemptions_total", "counter",
	  "Time slices cut short for a vGPU of higher priority.",
	  V_FIELD(prio_preemptions), AS_INT },
	{ "vgpu_dma_stalls_total", "counter",
	  "Copies to or from guest memory that gave up their engine.",
	  V_FIELD(dma_stalls), AS_INT },
	{ "vgpu_peer_sent_bytes_total", "counter",
	  "Bytes the vGPU's PEER_COPY commands wrote into its peers' windows.",
	  V_FIELD(peer_tx_bytes), AS_INT },
	{ "vgpu_peer_received_bytes_total", "counter",
	  "Bytes its peers' PEER_COPY commands wrote into the vGPU's window.",
	  V_FIELD(peer_rx_bytes), AS_INT },
	{ "vgpu_peer_group", "gauge",
	  "The vGPU's peer group on its parent, 0 for none.",
	  V_FIELD(peer_group), AS_INT },
	{ "vgpu_memory_window_bytes", "gauge",
	  "Size of the vGPU's memory window.", V_FIELD(mem_size), AS_INT },
	{ "vgpu_weight", "gauge", "Scheduling weight of the vGPU.",
	  V_FIELD(weight), AS_INT },
	{ "vgpu_timeslice_seconds", "gauge",
	  "Time slice of the vGPU, 0 for the parent's default.",
	  V_FIELD(timeslice_us), AS_MICRO },
	{ "vgpu_cap_ratio", "gauge",
	  "Most of its partition's time the vGPU may use.", V_FIELD(cap),
	  AS_MILLI },
	{ "vgpu_guarantee_ratio", "gauge",
	  "Share of its partition's time the vGPU is guaranteed.",
	  V_FIELD(guarantee), AS_MILLI },
	{ "vgpu_share_ratio", "gauge",
	  "The vGPU's share of its partition's time over the last seconds.",
	  V_FIELD(share_permille), AS_MILLI },
	{ "vgpu_partition_users", "gauge",
	  "vGPUs in the vGPU's engine partition.", V_FIELD(partition_users),
	  AS_INT },
};

static unsigned long long field(const void *base, size_t off)
{
	return *(const unsigned long long *)((const char *)base + off);
}

/* The i-th number of a space-separated list; false past its end. */
static bool nth_number(const char *s, unsigned int i, unsigned long long *v)
{
	static const char blanks[] = { ' ', '\n', '\0' };
	char word[32];
	size_t n;

	for (;;) {
		s += strspn(s, blanks);
		if (!*s)
			return false;
		n = strcspn(s, blanks);
		if (!i--) {
			if (n >= sizeof(word))
				return false;
			memcpy(word, s, n);
			word[n] = '\0';
			return !parse_ull(word, 0, ~0ULL, v);
		}
		s += n;
	}
}

static void parents(FILE *f, const struct model *m)
{
	const struct parent_info *p;
	unsigned long long v;
	unsigned int i, j, e;

	family(f, "vgpu_parent_info", "gauge",
	       "A parent device: its backend and scheduling policy.");
	for (i = 0; i < m->nparent; i++) {
		p = &m->parent[i];
		parent_labels(f, "vgpu_parent_info", p);
		fputs(",backend=\"", f);
		metrics_escape(f, p->backend);
		fputs("\",policy=\"", f);
		metrics_escape(f, p->policy);
		fputs("\"} 1\n", f);
	}
	for (j = 0; j < ARRAY_SIZE(parent_defs); j++) {
		family(f, parent_defs[j].name, parent_defs[j].type,
		       parent_defs[j].help);
		for (i = 0; i < m->nparent; i++) {
			parent_labels(f, parent_defs[j].name, &m->parent[i]);
			fputs("} ", f);
			put_value(f, field(&m->parent[i], parent_defs[j].off),
				  parent_defs[j].how);
		}
	}
	family(f, "vgpu_engine_utilization_ratio", "gauge",
	       "Recent busy share of each engine of a parent.");
	for (i = 0; i < m->nparent; i++) {
		p = &m->parent[i];
		for (e = 0; nth_number(p->utilization, e, &v); e++) {
			parent_labels(f, "vgpu_engine_utilization_ratio", p);
			fprintf(f, ",engine=\"%u\"} ", e);
			put_value(f, v, AS_MILLI);
		}
	}
}

static void vgpus(FILE *f, const struct model *m, long long now_boot_ns,
		  long long now_real_ns)
{
	const struct vgpu_info *v;
	unsigned int i, j, k, s;
	long long t;

	family(f, "vgpu_info", "gauge",
	       "A vGPU: its engine partition, engines and priority.");
	for (i = 0; i < m->nparent; i++) {
		for (j = 0; j < m->parent[i].nvgpu; j++) {
			v = &m->parent[i].vgpu[j];
			vgpu_labels(f, "vgpu_info", v);
			fprintf(f, ",partition=\"%llu\",engines=\"",
				v->partition);
			metrics_escape(f, v->engines);
			fputs("\",priority=\"", f);
			metrics_escape(f, v->priority);
			fputs("\"} 1\n", f);
		}
	}
	for (k = 0; k < ARRAY_SIZE(vgpu_defs); k++) {
		family(f, vgpu_defs[k].name, vgpu_defs[k].type,
		       vgpu_defs[k].help);
		for (i = 0; i < m->nparent; i++) {
			for (j = 0; j < m->parent[i].nvgpu; j++) {
				v = &m->parent[i].vgpu[j];
				vgpu_labels(f, vgpu_defs[k].name, v);
				fputs("} ", f);
				put_value(f, field(v, vgpu_defs[k].off),
					  vgpu_defs[k].how);
			}
		}
	}
	family(f, "vgpu_state", "gauge",
	       "The vGPU's control state: 1 for the state it is in.");
	for (i = 0; i < m->nparent; i++) {
		for (j = 0; j < m->parent[i].nvgpu; j++) {
			v = &m->parent[i].vgpu[j];
			for (s = 0; s < ARRAY_SIZE(vgpu_states); s++) {
				vgpu_labels(f, "vgpu_state", v);
				fprintf(f, ",state=\"%s\"} %d\n", vgpu_states[s],
					!strcmp(v->state, vgpu_states[s]));
			}
		}
	}
	family(f, "vgpu_created_timestamp_seconds", "gauge",
	       "When the vGPU was created (a VF: given its profile), in seconds since the epoch.");
	for (i = 0; i < m->nparent; i++) {
		for (j = 0; j < m->parent[i].nvgpu; j++) {
			v = &m->parent[i].vgpu[j];
			if (!v->created_known ||
			    boot_to_real_ns(v->created_ns, now_boot_ns,
					    now_real_ns, &t) || t < 0)
				continue;
			vgpu_labels(f, "vgpu_created_timestamp_seconds", v);
			fputs("} ", f);
			put_value(f, t, AS_NANO);
		}
	}
}

/**
 * metrics_write() - the metrics of a model in the text exposition format
 * @f: where to write
 * @m: the model, or NULL when vgpu.ko is not loaded
 * @now_boot_ns: CLOCK_BOOTTIME now, to place created_ns in time
 * @now_real_ns: CLOCK_REALTIME now
 *
 * Return: 0, or -EIO if a write to @f failed.
 */
int metrics_write(FILE *f, const struct model *m, long long now_boot_ns,
		  long long now_real_ns)
{
	family(f, "vgpu_module_loaded", "gauge",
	       "1 if vgpu.ko is loaded, else 0 (and no other vgpu_ metrics).");
	fprintf(f, "vgpu_module_loaded %d\n", !!m);
	if (m) {
		parents(f, m);
		vgpus(f, m, now_boot_ns, now_real_ns);
	}
	return ferror(f) ? -EIO : 0;
}

/**
 * metrics_render() - metrics_write() into a new buffer
 * @m: the model, or NULL
 * @now_boot_ns: CLOCK_BOOTTIME now
 * @now_real_ns: CLOCK_REALTIME now
 * @len: set to the text's length
 *
 * Return: the text (free() it), or NULL without memory.
 */
char *metrics_render(const struct model *m, long long now_boot_ns,
		     long long now_real_ns, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int ret;

	if (!f)
		return NULL;
	ret = metrics_write(f, m, now_boot_ns, now_real_ns);
	if (fclose(f) || ret) {
		free(buf);
		return NULL;
	}
	return buf;
}
