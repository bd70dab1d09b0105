/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of settings: one row per profile key.  It drives the profile
 * parser, the command-line flags, --dry-run, the report's "limits" object
 * and the man-page check, so a new setting is one new row.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "size.h"

enum setting_id {
	SETTING_AS,
	SETTING_DATA,
	SETTING_LOCK_LIMITS,
	SETTING_OOM_SCORE_ADJ,
	SETTING_MEMORY_MAX,
	SETTING_MEMORY_HIGH,
	SETTING_SWAP_MAX,
	SETTING_MALLOC_ARENA_MAX,
	SETTING_MALLOC_MMAP_THRESHOLD,
	SETTING_MALLOC_TRIM_THRESHOLD,
	SETTING_MALLOC_TOP_PAD,
	SETTING_MALLOC_MMAP_MAX,
	SETTING_MALLOC_TCACHE_COUNT,
	SETTING_MALLOC_PERTURB,
	SETTING_MALLOC_HUGETLB,
	SETTING_OOM_GROUP,
	SETTING_WAIT_ALL,
	SETTING_BEST_EFFORT,
	SETTING_CGROUP_PARENT,
	SETTING_PROBE,
	SETTING_CGROUP_MANAGER,
	SETTING_SLICE,
	SETTING_COUNT,
	SETTING_MALLOC_FIRST = SETTING_MALLOC_ARENA_MAX,
	SETTING_MALLOC_LAST = SETTING_MALLOC_HUGETLB,
};

enum value_kind {
	VALUE_LIMIT,		/* SIZE: bytes, percent or max */
	VALUE_INTEGER,		/* whole number in [min, max] */
	VALUE_BYTES,		/* SIZE without percent or max, in [min, max] */
	VALUE_HUGETLB,		/* 0, 1, 2 or a huge page size */
	VALUE_BOOL,		/* yes/no, true/false, on/off, 1/0; a flag takes no argument */
	VALUE_PATH,		/* a file system path */
	VALUE_CHOICE,		/* one word of the row's choices; number is its index */
	VALUE_SLICE,		/* a systemd slice unit name ("batch.slice") */
};

struct setting_desc {
	const char *key;	/* profile key, e.g. "as", "malloc.arena_max" */
	const char *option;	/* long option without "--", or NULL */
	enum value_kind kind;
	long long min, max;	/* VALUE_INTEGER / VALUE_BYTES bounds */
	const char *tunable;	/* GLIBC_TUNABLES name for malloc keys */
	const char *what;	/* short description for --dry-run */
	const char *const *choices;	/* VALUE_CHOICE: the words, NULL-terminated; the first is the default */
};

extern const struct setting_desc setting_table[SETTING_COUNT];

enum origin_kind {
	ORIGIN_DEFAULT,
	ORIGIN_FLAG,
	ORIGIN_PROFILE,
	ORIGIN_POLICY,		/* the administrator's cap (policy.c) */
};

struct origin {
	enum origin_kind kind;
	const char *flag;	/* ORIGIN_FLAG: "--as"; ORIGIN_POLICY: the policy key */
	const char *file;	/* ORIGIN_PROFILE: path, owned by the profile set; ORIGIN_POLICY: the policy file */
	const char *profile;	/* ORIGIN_PROFILE: name it was loaded as */
	unsigned line;
};

struct setting_value {
	bool set;
	struct size_spec size;	/* VALUE_LIMIT */
	long long number;	/* every other kind, normalised; VALUE_BOOL: 0 or 1 */
	const char *text;	/* VALUE_PATH, VALUE_CHOICE, VALUE_SLICE: owned by the settings string pool */
	struct origin origin;
};

static inline bool setting_is_malloc(enum setting_id id)
{
	return id >= SETTING_MALLOC_FIRST && id <= SETTING_MALLOC_LAST;
}

/* Row for a profile key, or NULL. */
const struct setting_desc *setting_by_key(const char *key, enum setting_id *ret_id);
/* Row for a --malloc name ("arena_max"), or NULL. */
const struct setting_desc *setting_by_malloc_name(const char *name, enum setting_id *ret_id);

/*
 * Parse text for a setting into *ret, keeping ret->origin.  On failure
 * returns a negative errno and a malloc'ed reason in *ret_why, for the
 * caller to print with the flag or file and line it came from.
 */
int setting_parse(enum setting_id id, const char *text,
		  struct setting_value *ret, char **ret_why);

/* Value as people read it ("4 GiB", "50%", "-500", "2", a whole path). */
#define SETTING_FORMAT_MAX 4096
const char *setting_format(enum setting_id id, const struct setting_value *v,
			   char buf[static SETTING_FORMAT_MAX]);

/* True for a VALUE_BOOL setting that is set to yes. */
static inline bool setting_enabled(const struct setting_value values[], enum setting_id id)
{
	return values[id].set && values[id].number;
}

/* Free the strings VALUE_PATH values point to (at exit). */
void settings_free_strings(void);

/* "arena_max, mmap_threshold, ..." for error hints. */
const char *setting_malloc_names(void);
