// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl's pure parts: numbers, names, knobs and their ranges (as the
 * sysfs ABI documents them), and the arithmetic of usage and top. No I/O,
 * so that the unit tests run them directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "vgpuctl.h"

/* A decimal number in [min, max], nothing else (no sign, no blanks). */
int parse_ull(const char *s, unsigned long long min, unsigned long long max,
	      unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

bool uuid_valid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* A version 4 UUID from 16 random bytes. */
void uuid_format(const unsigned char b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		c = b[i];
		if (i == 6)
			c = (c & 0x0f) | 0x40;
		if (i == 8)
			c = (c & 0x3f) | 0x80;
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
}

/* "vgpuN", N decimal without leading zeros. */
bool parent_name_valid(const char *s)
{
	unsigned long long n;

	if (strncmp(s, "vgpu", 4) || (s[4] == '0' && s[5]))
		return false;
	return parse_ull(s + 4, 0, 1000000, &n) == 0;
}

/* "vgpuN/vfK" into its parent and K (1 or more); -EINVAL otherwise. */
int vf_id_parse(const char *s, char *parent, size_t plen, unsigned int *vf)
{
	const char *slash = strchr(s, '/');
	unsigned long long k;
	size_t n;

	if (!slash || strncmp(slash + 1, "vf", 2))
		return -EINVAL;
	n = slash - s;
	if (n >= plen)
		return -EINVAL;
	memcpy(parent, s, n);
	parent[n] = '\0';
	if (!parent_name_valid(parent))
		return -EINVAL;
	if (slash[3] == '0' || parse_ull(slash + 3, 1, MAX_VFS, &k))
		return -EINVAL;
	*vf = k;
	return 0;
}

static const char *const policies[] = {
	"best_effort", "equal_share", "fixed_share", NULL
};

static const char *const priorities[] = { "low", "normal", "high", NULL };

static const char *const states[] = { "pause", "resume", NULL };

static const struct knob knobs[] = {
	{ "policy", "sched_policy", KNOB_PARENT, 0, 0, policies,
	  "scheduling policy of every partition" },
	{ "timeslice_us", "timeslice_us", KNOB_PARENT, 100, 2000000, NULL,
	  "default time slice (us)" },
	{ "job_timeout_ms", "job_timeout_ms", KNOB_PARENT, 0, 600000, NULL,
	  "longest command, 0 for no limit (ms)" },
	{ "preempt_timeout_us", "preempt_timeout_us", KNOB_PARENT, 0,
	  10000000, NULL, "longest work unit, 0 for no limit (us)" },
	{ "weight", "weight", KNOB_VGPU, 1, 100, NULL,
	  "best_effort weight" },
	{ "timeslice_us", "timeslice_us", KNOB_VGPU, 0, 2000000, NULL,
	  "own time slice (us), 0 for the parent's" },
	{ "cap", "cap_permille", KNOB_VGPU, 1, 1000, NULL,
	  "most of the partition's time (per mille)" },
	{ "guarantee", "guarantee_permille", KNOB_VGPU, 0, 1000, NULL,
	  "least of the partition's time when busy (per mille)" },
	{ "priority", "priority", KNOB_VGPU, 0, 0, priorities,
	  "latency priority" },
	{ "state", "state", KNOB_VGPU, 0, 0, states,
	  "pause or resume the vGPU" },
	{ "peer_group", "peer_group", KNOB_VGPU, 0, 65535, NULL,
	  "peer group the vGPU copies within, 0 for none" },
};

#define NKNOBS ARRAY_SIZE(knobs)

const struct knob *knob_table(size_t *n)
{
	*n = NKNOBS;
	return knobs;
}

/* By its name or its sysfs file name (cap_permille for cap). */
const struct knob *knob_find(const char *name, enum knob_scope scope)
{
	size_t i;

	for (i = 0; i < NKNOBS; i++) {
		if (knobs[i].scope != scope)
			continue;
		if (!strcmp(name, knobs[i].name) || !strcmp(name, knobs[i].file))
			return &knobs[i];
	}
	return NULL;
}

int knob_check(const struct knob *k, const char *val, char *err,
	       size_t errlen)
{
	unsigned long long v;
	size_t i;

	if (k->words) {
		for (i = 0; k->words[i]; i++)
			if (!strcmp(val, k->words[i]))
				return 0;
		snprintf(err, errlen, "%s: '%s' is not one of %s%s%s%s%s",
			 k->name, val, k->words[0],
			 k->words[1] ? ", " : "", k->words[1] ? k->words[1] : "",
			 k->words[1] && k->words[2] ? ", " : "",
			 k->words[1] && k->words[2] ? k->words[2] : "");
		return -EINVAL;
	}
	switch (parse_ull(val, k->min, k->max, &v)) {
	case 0:
		break;
	case -ERANGE:
		snprintf(err, errlen, "%s: %s is out of range %llu-%llu",
			 k->name, val, k->min, k->max);
		return -ERANGE;
	default:
		snprintf(err, errlen, "%s: '%s' is not a decimal number",
			 k->name, val);
		return -EINVAL;
	}
	if (!strcmp(k->name, "timeslice_us") && k->scope == KNOB_VGPU &&
	    v && v < 100) {
		snprintf(err, errlen,
			 "timeslice_us: %s is neither 0 nor in 100-2000000",
			 val);
		return -ERANGE;
	}
	return 0;
}

/* "key=value": the key into @key, @val points into @arg. */
int assignment_split(const char *arg, char *key, size_t klen,
		     const char **val)
{
	const char *eq = strchr(arg, '=');
	size_t n;

	if (!eq || eq == arg || !eq[1])
		return -EINVAL;
	n = eq - arg;
	if (n >= klen)
		return -EINVAL;
	memcpy(key, arg, n);
	key[n] = '\0';
	*val = eq + 1;
	return 0;
}

/*
 * Usage from sample @from to sample @to of one vGPU: the engine time it
 * ran and its window held over the wall time between. -EINVAL when time
 * or the counters went backwards (@from is of another vGPU that had the
 * same name, or the clock was set back) or the window changed.
 */
int usage_compute(const struct usage_sample *from,
		  const struct usage_sample *to, struct usage_result *r)
{
	if (to->time_ns < from->time_ns || to->busy_ns < from->busy_ns ||
	    to->commands < from->commands ||
	    to->mem_size_bytes != from->mem_size_bytes)
		return -EINVAL;
	r->seconds = (double)(to->time_ns - from->time_ns) / 1e9;
	r->engine_seconds = (double)(to->busy_ns - from->busy_ns) / 1e9;
	r->mem_mib_seconds = (double)to->mem_size_bytes / 1048576.0 *
			     r->seconds;
	r->commands = to->commands - from->commands;
	return 0;
}

/* Busy per cent of one engine and commands per second between samples. */
int top_compute(const struct usage_sample *a, const struct usage_sample *b,
		struct top_row *r)
{
	struct usage_result u;
	int ret = usage_compute(a, b, &u);

	if (ret)
		return ret;
	if (u.seconds <= 0)
		return -EINVAL;
	r->busy_pct = 100.0 * u.engine_seconds / u.seconds;
	r->cmds_per_s = (double)u.commands / u.seconds;
	return 0;
}

/*
 * A CLOCK_BOOTTIME instant in CLOCK_REALTIME, given both clocks read now;
 * -EINVAL for an instant after now (a bad reading).
 */
int boot_to_real_ns(unsigned long long boot_ns, long long now_boot_ns,
		    long long now_real_ns, long long *real_ns)
{
	if (now_boot_ns < 0 || boot_ns > (unsigned long long)now_boot_ns)
		return -EINVAL;
	*real_ns = now_real_ns - (now_boot_ns - (long long)boot_ns);
	return 0;
}

/*
 * ADDR:PORT of vgpuctl serve: a numeric IPv4 address, or an IPv6 address in
 * brackets ("[::1]:9464"), and a port 1-65535. -EINVAL for anything else.
 */
int listen_parse(const char *s, struct sockaddr_storage *ss,
		 unsigned int *port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	unsigned long long p;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t n;

	colon = s ? strrchr(s, ':') : NULL;
	if (!colon || parse_ull(colon + 1, 1, 65535, &p))
		return -EINVAL;
	n = colon - s;
	if (!n || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		if (n < 3 || host[n - 1] != ']')
			return -EINVAL;
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
	} else {
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
	}
	*port = p;
	return 0;
}
