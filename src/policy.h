/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The administrator's policy: one root-owned file, SYSCONFDIR/memrun/
 * policy.conf, saying what each user and group may ask for.  It binds
 * every caller but root (memrun.policy(5)).
 *
 *	[default]
 *	max_memory_max = 4G
 *	[group dba]
 *	allowed_profiles = db
 *	[user alice]
 *	total_memory_max = 16G
 *
 * policy_load() reads and checks the file, policy_bind() picks what binds
 * one caller (each key from the most specific section that sets it: the
 * user's, else the last of the caller's groups', else [default]), and
 * policy_enforce() holds a plan to it: a request beyond a cap is refused,
 * or with clamp = yes lowered; a limit nobody asked for becomes the cap.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "settings.h"

#ifndef POLICY_FILE
#define POLICY_FILE "/etc/memrun/policy.conf"
#endif

enum policy_key {
	POLICY_MAX_MEMORY_MAX,
	POLICY_MAX_MEMORY_HIGH,
	POLICY_MAX_SWAP_MAX,
	POLICY_MAX_AS,
	POLICY_MAX_DATA,
	POLICY_MIN_OOM_SCORE_ADJ,
	POLICY_TOTAL_MEMORY_MAX,
	POLICY_ALLOWED_PROFILES,
	POLICY_CLAMP,
	POLICY_KEY_COUNT,
};

struct policy_key_desc {
	const char *key;		/* "max_memory_max" */
	enum setting_id setting;	/* the setting it caps, or SETTING_COUNT */
	const char *what;		/* for memrun policy show and the man-page check */
};

extern const struct policy_key_desc policy_keys[POLICY_KEY_COUNT];

struct policy_value {
	bool set;
	uint64_t bytes;		/* max_*, total_memory_max: UINT64_MAX for max */
	long long number;	/* min_oom_score_adj; clamp: 0 or 1 */
	char **words;		/* allowed_profiles: names, or "*" for every system profile */
	unsigned line;
};

enum policy_section_kind {
	POLICY_SECTION_DEFAULT,
	POLICY_SECTION_GROUP,
	POLICY_SECTION_USER,
};

struct policy_section {
	enum policy_section_kind kind;
	char *name;		/* user or group name (or number); NULL for [default] */
	unsigned line;
	struct policy_value values[POLICY_KEY_COUNT];
};

struct policy {
	char *path;		/* NULL: no policy file */
	struct policy_section *sections;
	size_t count;
};

void policy_free(struct policy *policy);

/*
 * Parse policy text (for tests and the fuzzer).  Prints errors as
 * "path:line: ..." with a hint and returns -EINVAL; 0 on success.
 */
int policy_parse_text(struct policy *policy, const char *path, const char *text);

/*
 * Read and parse the policy file at path.  A missing file is no policy
 * (0, policy->path NULL).  A file that is not a regular file, not owned
 * by root, writable by group or others, or in a directory others could
 * change (policy_path_is_safe) is refused: -EPERM, with the reason printed.
 */
int policy_load(struct policy *policy, const char *path);

/*
 * Whether path is a root-owned regular file that only root can change:
 * the file and every directory above it owned by root and writable by
 * nobody else (a sticky directory such as /tmp only above a root-owned
 * one).  Returns 0, or -EPERM with a malloc'ed reason in *ret_why.
 */
int policy_path_is_safe(const char *path, char **ret_why);

/* Who a binding is for. */
struct policy_caller {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;	/* supplementary groups */
	size_t n_groups;
	const char *user;	/* name, or NULL when uid has none */
};

/* Fill caller from the process's real ids (getuid, getgroups);
 * free with policy_caller_free(). */
int policy_caller_self(struct policy_caller *caller);
/* The same for a user by name or number (memrun policy show USER). */
int policy_caller_lookup(const char *user, struct policy_caller *caller);
void policy_caller_free(struct policy_caller *caller);

/* What binds one caller: each key and the section it came from. */
struct policy_binding {
	const char *path;	/* the policy file; NULL: nothing binds */
	struct policy_value values[POLICY_KEY_COUNT];
	const struct policy_section *from[POLICY_KEY_COUNT];	/* NULL: not set */
};

/* Root (uid 0) and a missing policy: nothing binds (binding->path NULL). */
void policy_bind(const struct policy *policy, const struct policy_caller *caller,
		 struct policy_binding *binding);

/* "[user alice]", "[group dba]", "[default]". */
const char *policy_section_describe(const struct policy_section *section, char *buf,
				    size_t size);

/*
 * Whether the binding lets its caller run system profile name with what
 * needs privilege and beyond the caps (allowed_profiles).  A binding with
 * no path (root, no policy) allows none: an elevated memrun without a
 * policy lends its privilege to nobody.
 */
bool policy_allows_profile(const struct policy_binding *binding, const char *name);

struct origin;

/*
 * Whether a setting's value came from a system profile the binding allows:
 * a profile file in SYSTEM_PROFILE_DIR or the install's PROFILE_DIR that
 * only root can change (policy_path_is_safe), loaded by a name that
 * allowed_profiles lists.  Only such values may go beyond the caps, and,
 * in an elevated memrun, use what needs privilege.
 */
bool policy_allows_origin(const struct policy_binding *binding, const struct origin *origin);
