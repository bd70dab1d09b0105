/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: parsers for the text it reads from procfs (/proc/PID/limits,
 * /proc/PID/status, one-number sysctls, mountinfo), for version strings and
 * for systemd-oomd's oomd.conf.  Pure functions over text, tested in
 * tests/unit/test_doctor.c.
 */
#include "doctor.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>

#include "util.h"

/* The line of text that starts with prefix, or NULL. */
static const char *find_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *line = text; line && *line;) {
		if (strncmp(line, prefix, n) == 0)
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

static int parse_limit_word(const char *word, size_t len, uint64_t *ret)
{
	unsigned long long v;
	char buf[32], *end;

	if (len == strlen("unlimited") && strncmp(word, "unlimited", len) == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)word[0]))
		return -EINVAL;
	memcpy(buf, word, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int doctor_parse_limits(const char *text, const char *row, uint64_t *ret_soft, uint64_t *ret_hard)
{
	size_t rlen = strlen(row);
	uint64_t values[2];

	for (const char *line = text; line && *line;) {
		const char *p = line;

		line = strchr(line, '\n');
		if (line)
			line++;
		/* "Max address space   unlimited   unlimited   bytes": the row's
		 * name is followed by two blanks at least (fixed columns). */
		if (strncmp(p, row, rlen) != 0 || p[rlen] != ' ' || p[rlen + 1] != ' ')
			continue;
		p += rlen;
		for (int i = 0; i < 2; i++) {
			size_t len;

			p += strspn(p, " \t");
			len = strcspn(p, " \t\n");
			if (parse_limit_word(p, len, &values[i]) < 0)
				return -EINVAL;
			p += len;
		}
		*ret_soft = values[0];
		*ret_hard = values[1];
		return 0;
	}
	return -ENOENT;
}

int doctor_parse_status_hex(const char *text, const char *field, uint64_t *ret)
{
	_cleanup_free_ char *prefix = xasprintf("%s:", field);
	const char *line = find_line(text, prefix);
	unsigned long long v;
	char *end;

	if (!line)
		return -ENOENT;
	line += strlen(prefix);
	line += strspn(line, " \t");
	if (!isxdigit((unsigned char)*line))
		return -EINVAL;
	errno = 0;
	v = strtoull(line, &end, 16);
	if (errno || (*end && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

int doctor_parse_number(const char *text, long long *ret)
{
	char buf[64];
	size_t len = strlen(text);

	/* One number and its newline, as procfs writes it. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return parse_int64(buf, LLONG_MIN, LLONG_MAX, ret);
}

int doctor_parse_version(const char *text, unsigned *ret_major, unsigned *ret_minor)
{
	unsigned long major, minor;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	major = strtoul(text, &end, 10);
	if (errno || *end != '.' || !isdigit((unsigned char)end[1]) || major > UINT_MAX)
		return -EINVAL;
	minor = strtoul(end + 1, &end, 10);
	/* "2.35.9000" (a development snapshot) and "2.36-rc1" are fine. */
	if (errno || isalnum((unsigned char)*end) || minor > UINT_MAX)
		return -EINVAL;
	*ret_major = (unsigned)major;
	*ret_minor = (unsigned)minor;
	return 0;
}

enum doctor_cgroup_layout doctor_cgroup_layout(const char *mountinfo)
{
	bool v1 = false, v2 = false;

	for (const char *line = mountinfo; line && *line;) {
		const char *sep = strstr(line, " - ");
		const char *next = strchr(line, '\n');

		/* "36 35 98:0 ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
		if (sep && (!next || sep < next)) {
			const char *fstype = sep + 3;
			size_t len = strcspn(fstype, " \n");

			v1 |= len == 6 && strncmp(fstype, "cgroup", 6) == 0;
			v2 |= len == 7 && strncmp(fstype, "cgroup2", 7) == 0;
		}
		line = next ? next + 1 : NULL;
	}
	if (v1 && v2)
		return DOCTOR_CGROUP_HYBRID;
	if (v1)
		return DOCTOR_CGROUP_LEGACY;
	return v2 ? DOCTOR_CGROUP_UNIFIED : DOCTOR_CGROUP_NONE;
}

/* systemd.syntax(7): "[Section]" heads, "Key=Value" lines with blanks
 * around both, "#" and ";" comments. */
void doctor_parse_oomd_conf(const char *text, struct doctor_oomd_conf *conf)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{ "SwapUsedLimit", offsetof(struct doctor_oomd_conf, swap_used_limit) },
		{ "DefaultMemoryPressureLimit",
		  offsetof(struct doctor_oomd_conf, default_memory_pressure_limit) },
		{ "DefaultMemoryPressureDurationSec",
		  offsetof(struct doctor_oomd_conf, default_memory_pressure_duration) },
	};
	bool in_oom = false;

	for (const char *line = text; line && *line;) {
		const char *next = strchr(line, '\n');
		const char *end = next ? next : line + strlen(line);
		const char *eq;

		while (line < end && isspace((unsigned char)*line))
			line++;
		while (end > line && isspace((unsigned char)end[-1]))
			end--;
		eq = memchr(line, '=', (size_t)(end - line));
		if (line < end && *line == '[') {
			in_oom = (size_t)(end - line) == strlen("[OOM]") &&
				 strncmp(line, "[OOM]", strlen("[OOM]")) == 0;
		} else if (in_oom && eq && *line != '#' && *line != ';') {
			const char *key_end = eq, *value = eq + 1;

			while (key_end > line && isspace((unsigned char)key_end[-1]))
				key_end--;
			while (value < end && isspace((unsigned char)*value))
				value++;
			for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
				char **field = (char **)((char *)conf + keys[i].offset);

				if ((size_t)(key_end - line) != strlen(keys[i].key) ||
				    strncmp(line, keys[i].key, strlen(keys[i].key)) != 0)
					continue;
				free(*field);
				*field = value < end ? xstrndup(value, (size_t)(end - value)) : NULL;
			}
		}
		line = next ? next + 1 : NULL;
	}
}

void doctor_oomd_conf_free(struct doctor_oomd_conf *conf)
{
	free(conf->swap_used_limit);
	free(conf->default_memory_pressure_limit);
	free(conf->default_memory_pressure_duration);
	*conf = (struct doctor_oomd_conf){ 0 };
}
