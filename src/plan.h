/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan: everything memrun will do for one job, resolved once from
 * built-in defaults, profiles and flags (in that order, later wins), then
 * applied and reported.  No module changes it after plan_resolve(), with
 * one exception: plan_build_environ() may build `environ` again, once,
 * before the job is spawned, to add the allocation probe's variables and
 * the sd_notify relay's (which exist only once those are set up).
 * Nothing else changes, and nothing changes once the job is spawned.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "profile.h"
#include "settings.h"

#define LIMIT_UNLIMITED UINT64_MAX

/*
 * The memory total the policy gives the caller for all of their jobs
 * together (total_memory_max), and where it is in force: a cgroup that
 * `memrun policy apply` made and delegated (the job's cgroup goes in
 * it), or, on a systemd host, the user's slice (unit).
 */
struct plan_total {
	bool set;
	uint64_t bytes;
	unsigned line;		/* in plan->policy_file */
	char *cgroup;		/* its path in the hierarchy: "/memrun/user-1000" */
	char *dir;		/* its directory; NULL: no memory hierarchy here */
	char *unit;		/* "user-1000.slice" on a systemd host, else NULL */
};

struct plan {
	struct setting_value values[SETTING_COUNT];
	/* What the profiles alone set, before flags went over them: the
	 * policy lets a flag tighten an allowed system profile's value. */
	struct setting_value profile_values[SETTING_COUNT];
	struct profile_set profiles;
	bool default_profile_loaded;

	char **command;			/* argv of the job, NULL-terminated */
	const char *report_path;	/* --report, or NULL */
	bool quiet;
	bool dry_run;

	/* Filled by plan_resolve(). */
	uint64_t memory_budget;			/* what 100% means */
	char *memory_budget_source;		/* "MemTotal in /proc/meminfo" */
	uint64_t limit_bytes[SETTING_COUNT];	/* VALUE_LIMIT settings, or LIMIT_UNLIMITED */
	char *glibc_tunables_entry;		/* "GLIBC_TUNABLES=...", or NULL: unchanged */
	const char *glibc_tunables;		/* its value */
	char **environ;				/* the job's environment, or NULL: memrun's own */
	char **environ_base;			/* the caller's, from plan_resolve */

	/* Filled by policy_enforce(): the administrator's policy file when
	 * one binds the caller, "[default] line 2, [user alice] line 9",
	 * and, for each setting the policy lowered (clamp = yes), what was
	 * asked ("1 GiB, flag --memory-max"). */
	const char *policy_file;
	char *policy_sections;
	char *policy_asked[SETTING_COUNT];
	/* Filled by policy_total_plan(): the caller's total. */
	struct plan_total total;
};

void plan_init(struct plan *plan);
void plan_free(struct plan *plan);

/* Load profiles in order; with none named, the 'default' profile if one exists. */
int plan_load_profiles(struct plan *plan, char **names, size_t count);
/* Put flag values (origin ORIGIN_FLAG) over what profiles set. */
void plan_apply_flags(struct plan *plan, const struct setting_value flags[SETTING_COUNT]);
/* Whether resolving needs the memory budget (a percentage, or dry-run). */
bool plan_needs_budget(const struct plan *plan);
/*
 * Percentages to bytes, GLIBC_TUNABLES, the job's environment.  100% is
 * MemTotal, or the tightest limit of the cgroups enclosing memrun when
 * lower (enclosing_limit, LIMIT_UNLIMITED for none, set in limit_dir).
 */
int plan_resolve(struct plan *plan, char **caller_environ, uint64_t enclosing_limit,
		 const char *limit_dir, const char *limit_file);

/* The job's environment: the caller's with GLIBC_TUNABLES and each
 * "NAME=value" of extra (NULL-terminated) replacing or added, and each
 * "NAME" alone (no '=') removed.  Called by plan_resolve() without extra,
 * and at most once more before the job is spawned; only `environ`
 * changes. */
void plan_build_environ(struct plan *plan, char *const extra[]);

/* Bytes a VALUE_LIMIT value stands for once the budget is known. */
uint64_t plan_value_bytes(const struct plan *plan, const struct setting_value *v);

/* "flag --as", "profile db at /etc/memrun/profiles/db.conf:7", "default",
 * "policy max_as at /etc/memrun/policy.conf:3". */
const char *origin_describe(const struct origin *origin, char *buf, size_t size);

/* True when setting id is set to something the job will feel. */
bool plan_has(const struct plan *plan, enum setting_id id);
