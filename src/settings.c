/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "util.h"

/* glibc ignores mmap_threshold above HEAP_MAX_SIZE / 2: 32 MiB on 64-bit. */
#define GLIBC_MMAP_THRESHOLD_MAX (32LL << 20)

const struct setting_desc setting_table[SETTING_COUNT] = {
	[SETTING_AS] = { "as", "as", VALUE_LIMIT, 0, 0, NULL,
			 "RLIMIT_AS, soft and hard (address space)" },
	[SETTING_DATA] = { "data", "data", VALUE_LIMIT, 0, 0, NULL,
			   "RLIMIT_DATA, soft and hard (private writable memory)" },
	[SETTING_LOCK_LIMITS] = { "lock_limits", "lock-limits", VALUE_BOOL, 0, 1, NULL,
				  "the job cannot set RLIMIT_AS, RLIMIT_DATA or RLIMIT_MEMLOCK, "
				  "root or not (seccomp)" },
	[SETTING_OOM_SCORE_ADJ] = { "oom_score_adj", "oom-score-adj", VALUE_INTEGER,
				    -1000, 1000, NULL,
				    "the job's /proc/PID/oom_score_adj" },
	[SETTING_MEMORY_MAX] = { "memory_max", "memory-max", VALUE_LIMIT, 0, 0, NULL,
				 "cgroup memory.max (v1 memory.limit_in_bytes)" },
	[SETTING_MEMORY_HIGH] = { "memory_high", "memory-high", VALUE_LIMIT, 0, 0, NULL,
				  "cgroup memory.high (v1 memory.soft_limit_in_bytes)" },
	[SETTING_SWAP_MAX] = { "swap_max", "swap-max", VALUE_LIMIT, 0, 0, NULL,
			       "cgroup memory.swap.max (v1 memory.memsw.limit_in_bytes)" },
	[SETTING_MALLOC_ARENA_MAX] = { "malloc.arena_max", NULL, VALUE_INTEGER,
				       1, 1LL << 20, "glibc.malloc.arena_max",
				       "most malloc arenas (threads share them)" },
	[SETTING_MALLOC_MMAP_THRESHOLD] = { "malloc.mmap_threshold", NULL, VALUE_BYTES,
					    0, GLIBC_MMAP_THRESHOLD_MAX,
					    "glibc.malloc.mmap_threshold",
					    "requests this large get their own mmap" },
	[SETTING_MALLOC_TRIM_THRESHOLD] = { "malloc.trim_threshold", NULL, VALUE_BYTES,
					    0, INT64_MAX, "glibc.malloc.trim_threshold",
					    "free heap top above this goes back to the kernel" },
	[SETTING_MALLOC_TOP_PAD] = { "malloc.top_pad", NULL, VALUE_BYTES,
				     0, INT64_MAX, "glibc.malloc.top_pad",
				     "extra bytes asked for on each heap growth" },
	[SETTING_MALLOC_MMAP_MAX] = { "malloc.mmap_max", NULL, VALUE_INTEGER,
				      0, INT32_MAX, "glibc.malloc.mmap_max",
				      "most allocations served by mmap at once" },
	[SETTING_MALLOC_TCACHE_COUNT] = { "malloc.tcache_count", NULL, VALUE_INTEGER,
					  0, 65535, "glibc.malloc.tcache_count",
					  "chunks per thread-cache bin" },
	[SETTING_MALLOC_PERTURB] = { "malloc.perturb", NULL, VALUE_INTEGER,
				     0, 255, "glibc.malloc.perturb",
				     "byte that fills allocated and freed memory" },
	[SETTING_MALLOC_HUGETLB] = { "malloc.hugetlb", NULL, VALUE_HUGETLB,
				     0, INT64_MAX, "glibc.malloc.hugetlb",
				     "huge pages: 0 off, 1 THP madvise, 2 or a page size: hugetlbfs" },
	[SETTING_OOM_GROUP] = { "oom_group", "oom-group", VALUE_BOOL, 0, 1, NULL,
				"one OOM kill ends the whole job (v2 memory.oom.group)" },
	[SETTING_WAIT_ALL] = { "wait_all", "wait-all", VALUE_BOOL, 0, 1, NULL,
			       "wait for every job process, not only the main one" },
	[SETTING_BEST_EFFORT] = { "best_effort", "best-effort", VALUE_BOOL, 0, 1, NULL,
				  "run even when a cgroup limit cannot be put in force" },
	[SETTING_CGROUP_PARENT] = { "cgroup_parent", "cgroup-parent", VALUE_PATH, 0, 0, NULL,
				    "the cgroup to create the job's cgroup in" },
	[SETTING_PROBE] = { "probe", "no-probe", VALUE_BOOL, 0, 1, NULL,
			    "load the allocation probe into the job's processes" },
	[SETTING_CGROUP_MANAGER] = { "cgroup_manager", "cgroup-manager", VALUE_CHOICE, 0, 0, NULL,
				     "who makes the job's cgroup: systemd (a transient scope "
				     "over D-Bus) or memrun itself (cgroupfs)",
				     .choices = (const char *const[]){ "auto", "systemd", "cgroupfs",
								       NULL } },
	[SETTING_SLICE] = { "slice", "slice", VALUE_SLICE, 0, 0, NULL,
			    "the systemd slice of the job's scope" },
};

static char **string_pool;	/* a string vector */

static const char *pool_strdup(const char *s)
{
	char *copy = xstrdup(s);

	strv_push(&string_pool, copy);
	return copy;
}

void settings_free_strings(void)
{
	strv_free(string_pool);
	string_pool = NULL;
}

const struct setting_desc *setting_by_key(const char *key, enum setting_id *ret_id)
{
	for (unsigned i = 0; i < SETTING_COUNT; i++)
		if (streq(setting_table[i].key, key)) {
			if (ret_id)
				*ret_id = (enum setting_id)i;
			return &setting_table[i];
		}
	return NULL;
}

const struct setting_desc *setting_by_malloc_name(const char *name, enum setting_id *ret_id)
{
	for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++)
		if (streq(setting_table[i].key + strlen("malloc."), name)) {
			if (ret_id)
				*ret_id = (enum setting_id)i;
			return &setting_table[i];
		}
	return NULL;
}

const char *setting_malloc_names(void)
{
	static char names[256];

	if (!names[0]) {
		size_t len = 0;
		for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						i == SETTING_MALLOC_FIRST ? "" : ", ",
						setting_table[i].key + strlen("malloc."));
	}
	return names;
}

static int parse_limit(const char *text, struct setting_value *ret, char **ret_why)
{
	int r;

	r = size_parse(text, &ret->size, ret_why);
	if (r < 0)
		return r;
	if (ret->size.kind == SIZE_BYTES && ret->size.bytes == 0) {
		*ret_why = xstrdup("a limit of 0 bytes leaves no room for any program; "
				   "give a positive size, a percentage or 'max'");
		return -ERANGE;
	}
	return 0;
}

static int parse_bytes(const struct setting_desc *d, const char *text,
		       long long *ret, char **ret_why)
{
	struct size_spec spec;
	char buf[32];
	int r;

	r = size_parse(text, &spec, ret_why);
	if (r < 0)
		return r;
	if (spec.kind != SIZE_BYTES) {
		*ret_why = xstrdup("expected a byte count such as 131072 or 128K");
		return -EINVAL;
	}
	if ((long long)spec.bytes < d->min || (long long)spec.bytes > d->max) {
		*ret_why = xasprintf("must be at most %s (glibc ignores larger values)",
				     size_format((uint64_t)d->max, buf));
		return -ERANGE;
	}
	*ret = (long long)spec.bytes;
	return 0;
}

static int parse_integer(const struct setting_desc *d, const char *text,
			 long long *ret, char **ret_why)
{
	int r = parse_int64(text, d->min, d->max, ret);

	if (r == -EINVAL)
		*ret_why = xstrdup("expected a whole number");
	else if (r < 0)
		*ret_why = xasprintf("must be between %lld and %lld", d->min, d->max);
	return r;
}

static int parse_hugetlb(const char *text, long long *ret, char **ret_why)
{
	struct size_spec spec;

	/* glibc: 0 off, 1 THP via madvise, 2 default hugetlb size, else a page size. */
	if (size_parse(text, &spec, NULL) < 0 || spec.kind != SIZE_BYTES ||
	    (spec.bytes > 2 && (spec.bytes & (spec.bytes - 1)) != 0) ||
	    (spec.bytes > 2 && spec.bytes < 4096)) {
		*ret_why = xstrdup("expected 0 (off), 1 (transparent huge pages), "
				   "2 (hugetlbfs, default page size) or a huge page size such as 2M");
		return -EINVAL;
	}
	*ret = (long long)spec.bytes;
	return 0;
}

static int parse_bool(const char *text, long long *ret, char **ret_why)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	*ret_why = xstrdup("expected yes or no");
	return -EINVAL;
}

static int parse_path(const char *text, const char **ret, char **ret_why)
{
	if (!*text) {
		*ret_why = xstrdup("the path is empty");
		return -EINVAL;
	}
	*ret = pool_strdup(text);
	return 0;
}

static int parse_choice(const struct setting_desc *d, const char *text, struct setting_value *v,
			char **ret_why)
{
	for (long long i = 0; d->choices[i]; i++)
		if (streq(text, d->choices[i])) {
			v->number = i;
			v->text = d->choices[i];
			return 0;
		}
	*ret_why = xstrdup("expected one of ");
	for (size_t i = 0; d->choices[i]; i++) {
		char *more = xasprintf("%s%s%s", *ret_why, i ? ", " : "", d->choices[i]);

		free(*ret_why);
		*ret_why = more;
	}
	return -EINVAL;
}

/* A slice unit name as systemd takes it: "-.slice" or dash-separated
 * parts of [A-Za-z0-9:_.\\] ending in .slice, at most 255 bytes. */
static int parse_slice(const char *text, const char **ret, char **ret_why)
{
	size_t len = strlen(text);
	const char *stem_end = len > strlen(".slice") ? text + len - strlen(".slice") : text;
	bool ok = len <= 255 && len > strlen(".slice") && streq(stem_end, ".slice");

	if (ok && !streq(text, "-.slice")) {
		for (const char *p = text; p < stem_end && ok; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr(":_.\\-", *p);
		/* No empty part: "-a.slice", "a--b.slice", "a-.slice". */
		ok = ok && text[0] != '-' && stem_end[-1] != '-' && !strstr(text, "--");
	}
	if (!ok) {
		*ret_why = xstrdup("expected a systemd slice name such as batch.slice or "
				   "user-1000.slice (letters, digits, ':', '_', '.', '\\', "
				   "dash-separated parts, ending in .slice)");
		return -EINVAL;
	}
	*ret = pool_strdup(text);
	return 0;
}

int setting_parse(enum setting_id id, const char *text,
		  struct setting_value *ret, char **ret_why)
{
	const struct setting_desc *d = &setting_table[id];
	struct setting_value v = { .set = true };
	int r;

	*ret_why = NULL;
	switch (d->kind) {
	case VALUE_LIMIT:
		r = parse_limit(text, &v, ret_why);
		break;
	case VALUE_BYTES:
		r = parse_bytes(d, text, &v.number, ret_why);
		break;
	case VALUE_HUGETLB:
		r = parse_hugetlb(text, &v.number, ret_why);
		break;
	case VALUE_BOOL:
		r = parse_bool(text, &v.number, ret_why);
		break;
	case VALUE_PATH:
		r = parse_path(text, &v.text, ret_why);
		break;
	case VALUE_CHOICE:
		r = parse_choice(d, text, &v, ret_why);
		break;
	case VALUE_SLICE:
		r = parse_slice(text, &v.text, ret_why);
		break;
	case VALUE_INTEGER:
	default:
		r = parse_integer(d, text, &v.number, ret_why);
		break;
	}
	if (r < 0)
		return r;
	v.origin = ret->origin;
	*ret = v;
	return 0;
}

const char *setting_format(enum setting_id id, const struct setting_value *v,
			   char buf[static SETTING_FORMAT_MAX])
{
	char tmp[32];

	switch (setting_table[id].kind) {
	case VALUE_LIMIT:
		snprintf(buf, SETTING_FORMAT_MAX, "%s", size_spec_format(&v->size, tmp));
		break;
	case VALUE_BOOL:
		snprintf(buf, SETTING_FORMAT_MAX, "%s", v->number ? "yes" : "no");
		break;
	case VALUE_PATH:
	case VALUE_CHOICE:
	case VALUE_SLICE:
		snprintf(buf, SETTING_FORMAT_MAX, "%s", v->text);
		break;
	case VALUE_BYTES:
		if (v->number >= 1024)
			snprintf(buf, SETTING_FORMAT_MAX, "%lld (%s)", v->number, size_format((uint64_t)v->number, tmp));
		else
			snprintf(buf, SETTING_FORMAT_MAX, "%lld", v->number);
		break;
	default:
		snprintf(buf, SETTING_FORMAT_MAX, "%lld", v->number);
		break;
	}
	return buf;
}
