// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu profile parsing and validation (pure logic).
 */

/**
 * DOC: profile specification
 *
 * The ``profiles`` module parameter is a comma-separated list of
 * ``NAME:MEMORY:ENGINES:SHARE`` entries:
 *
 * - NAME: 1 to 15 characters from [a-z0-9_], unique on the device.
 * - MEMORY: the vGPU's memory window, a whole number with an optional
 *   K, M or G suffix (binary units), a power of two of at least 1M.
 * - ENGINES: engines in one partition of this type, a power of two no larger
 *   than the device's engine count. Partitions are placed naturally aligned.
 * - SHARE: how many vGPUs of this type may share one partition, 1 to 64.
 *   1 gives each vGPU dedicated engines (MIG-like); more time-slices them.
 *
 * Example: ``dedicated:128M:2:1,split:64M:2:4,shared:32M:4:8``.
 */
#include "vgpu_profile.h"

static void vgpu_errf(char *err, size_t errlen, const char *what,
		      unsigned int idx, const char *s, size_t len)
{
	if (!err || !errlen)
		return;
	if (len > 32)
		len = 32;
	snprintf(err, errlen, "profile %u: %s: '%.*s'", idx + 1, what,
		 (int)len, s);
}

static bool vgpu_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parse an unsigned decimal number of exactly @len characters.
 * Return: 0, -EINVAL if not a number, -ERANGE if above @max.
 */
static int vgpu_parse_u64(const char *s, size_t len, u64 max, u64 *out)
{
	u64 v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (!vgpu_isdigit(s[i]))
			return -EINVAL;
		d = s[i] - '0';
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/**
 * vgpu_parse_size() - parse a size such as "64M" into bytes
 * @s: the text, not necessarily NUL-terminated
 * @len: number of characters of @s to parse
 * @out: the size in bytes
 *
 * Accepts a decimal number with an optional K, M or G suffix (either case,
 * binary multiples). A bare number is bytes.
 *
 * Return: 0, -EINVAL if malformed, -ERANGE if it does not fit 2^48.
 */
int vgpu_parse_size(const char *s, size_t len, u64 *out)
{
	const u64 limit = 1ULL << 48;
	unsigned int shift = 0;
	u64 v;
	int ret;

	if (len && !vgpu_isdigit(s[len - 1])) {
		switch (s[len - 1]) {
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		len--;
	}
	ret = vgpu_parse_u64(s, len, limit >> shift, &v);
	if (ret)
		return ret;
	*out = v << shift;
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_parse_size);

static int vgpu_parse_name(const char *s, size_t len, char *name)
{
	size_t i;

	if (!len || len > VGPU_PROFILE_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!(vgpu_isdigit(c) || (c >= 'a' && c <= 'z') || c == '_'))
			return -EINVAL;
	}
	memcpy(name, s, len);
	name[len] = '\0';
	return 0;
}

/* Split one entry into its four fields; Return: 0 or -EINVAL. */
static int vgpu_split_entry(const char *s, size_t len, const char **f,
			    size_t *flen)
{
	unsigned int n = 0;
	size_t i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (n == 4)
			return -EINVAL;
		f[n] = s + start;
		flen[n] = i - start;
		n++;
		start = i + 1;
	}
	return n == 4 ? 0 : -EINVAL;
}

static int vgpu_parse_entry(const char *s, size_t len, unsigned int idx,
			    struct vgpu_profile *p, char *err, size_t errlen)
{
	const char *f[4];
	size_t flen[4];
	u64 v;
	int ret;

	if (vgpu_split_entry(s, len, f, flen)) {
		vgpu_errf(err, errlen, "expected NAME:MEMORY:ENGINES:SHARE",
			  idx, s, len);
		return -EINVAL;
	}
	if (vgpu_parse_name(f[0], flen[0], p->name)) {
		vgpu_errf(err, errlen, "name must be 1-15 of [a-z0-9_]", idx,
			  f[0], flen[0]);
		return -EINVAL;
	}
	ret = vgpu_parse_size(f[1], flen[1], &p->mem_size);
	if (ret || !vgpu_is_pow2(p->mem_size) ||
	    p->mem_size < VGPU_MIN_WINDOW) {
		vgpu_errf(err, errlen,
			  "memory must be a power of two >= 1M (e.g. 64M)",
			  idx, f[1], flen[1]);
		return ret == -ERANGE ? -ERANGE : -EINVAL;
	}
	ret = vgpu_parse_u64(f[2], flen[2], VGPU_MAX_ENGINES, &v);
	if (ret || !vgpu_is_pow2(v)) {
		vgpu_errf(err, errlen, "engines must be a power of two <= 64",
			  idx, f[2], flen[2]);
		return ret == -ERANGE ? -ERANGE : -EINVAL;
	}
	p->engines = (u32)v;
	ret = vgpu_parse_u64(f[3], flen[3], VGPU_MAX_SHARE, &v);
	if (ret || !v) {
		vgpu_errf(err, errlen, "share must be 1-64", idx, f[3],
			  flen[3]);
		return ret == -ERANGE ? -ERANGE : -EINVAL;
	}
	p->share = (u32)v;
	return 0;
}

/**
 * vgpu_profiles_parse() - parse a profile list
 * @spec: NUL-terminated "NAME:MEMORY:ENGINES:SHARE[,...]" text; one trailing
 *	newline is ignored
 * @out: array receiving the profiles
 * @max: capacity of @out
 * @count: number of profiles parsed
 * @err: buffer for a human-readable reason on failure (may be NULL)
 * @errlen: size of @err
 *
 * Checks each entry on its own and that names are unique. Limits that depend
 * on the device are checked by vgpu_profiles_check().
 *
 * Return: 0, -EINVAL for malformed text or duplicate names, -ERANGE for a
 * number too large, -E2BIG for more than @max entries.
 */
int vgpu_profiles_parse(const char *spec, struct vgpu_profile *out,
			unsigned int max, unsigned int *count, char *err,
			size_t errlen)
{
	size_t len = strlen(spec), pos = 0;
	unsigned int n = 0, i;
	int ret;

	if (len && spec[len - 1] == '\n')
		len--;
	if (!len) {
		if (err && errlen)
			snprintf(err, errlen, "no profiles given");
		return -EINVAL;
	}
	while (pos <= len) {
		size_t end = pos;

		while (end < len && spec[end] != ',')
			end++;
		if (n == max) {
			if (err && errlen)
				snprintf(err, errlen,
					 "more than %u profiles", max);
			return -E2BIG;
		}
		ret = vgpu_parse_entry(spec + pos, end - pos, n, &out[n], err,
				       errlen);
		if (ret)
			return ret;
		for (i = 0; i < n; i++) {
			if (strcmp(out[i].name, out[n].name))
				continue;
			vgpu_errf(err, errlen, "duplicate name", n,
				  out[n].name, strlen(out[n].name));
			return -EINVAL;
		}
		n++;
		pos = end + 1;
	}
	*count = n;
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_profiles_parse);

/**
 * vgpu_profiles_check() - check profiles against one device's resources
 * @p: parsed profiles
 * @count: number of entries in @p
 * @mem_size: device memory in bytes
 * @num_engines: engines on the device
 * @err: buffer for a human-readable reason on failure (may be NULL)
 * @errlen: size of @err
 *
 * Return: 0 if every profile fits the device at least once, else -EINVAL.
 */
int vgpu_profiles_check(const struct vgpu_profile *p, unsigned int count,
			u64 mem_size, u32 num_engines, char *err,
			size_t errlen)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (p[i].mem_size > mem_size) {
			if (err && errlen)
				snprintf(err, errlen,
					 "profile '%s': memory %llu MiB exceeds device memory %llu MiB",
					 p[i].name,
					 (unsigned long long)(p[i].mem_size >> 20),
					 (unsigned long long)(mem_size >> 20));
			return -EINVAL;
		}
		if (p[i].engines > num_engines) {
			if (err && errlen)
				snprintf(err, errlen,
					 "profile '%s': %u engines exceed the device's %u",
					 p[i].name, p[i].engines, num_engines);
			return -EINVAL;
		}
	}
	return 0;
}
EXPORT_SYMBOL_VGPU(vgpu_profiles_check);
