/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-user totals (total_memory_max, memrun.policy(5) TOTALS): where a
 * user's total lives on this host, what is there now, and whom the
 * policy gives one.
 *
 *   cgroupfs hosts  MOUNT/memrun/user-UID, whose memory.max (v1
 *                   memory.limit_in_bytes) is the total: `memrun policy
 *                   apply` makes it and delegates it to the user
 *                   (policy-cgroup.c), and the user's jobs get their
 *                   cgroups in it (cgroup-total.c)
 *   systemd hosts   user-UID.slice, whose MemoryMax is the total: it holds
 *                   the user's sessions and manager, and so every scope
 *                   memrun asks that manager for (policy-slice.c)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "plan.h"
#include "policy.h"

/* The cgroup at the top of the memory hierarchy that holds the totals. */
#define TOTALS_CGROUP "memrun"
/* Where UID_MIN and UID_MAX come from (login.defs(5)), and their defaults. */
#define LOGIN_DEFS "/etc/login.defs"
#define LOGIN_DEFS_UID_MIN 1000
#define LOGIN_DEFS_UID_MAX 60000

struct total_location {
	uid_t uid;
	char *cgroup;	/* its path in the hierarchy: "/memrun/user-1000" */
	char *dir;	/* its directory; NULL: no memory hierarchy (why_none) */
	char *unit;	/* "user-1000.slice" on a systemd host, else NULL */
	const struct cgroup_manager *manager;	/* of the hierarchy; NULL: none */
	char *why_none;
};

/* Where uid's total lives here (place: as cgroup_locate() found it). */
void total_locate(const struct cgroup_place *place, uid_t uid, struct total_location *ret);
void total_location_free(struct total_location *loc);

/* What the total's cgroup directory holds now. */
struct total_state {
	bool exists;
	bool limit_known;
	uint64_t limit;		/* the limit file's, LIMIT_UNLIMITED: none */
	uid_t owner;		/* of the directory */
	bool delegated;		/* the directory and the delegate_files are uid's */
	bool memory_below;	/* its children get the memory controller */
};

/* 0 (state->exists false where there is no such cgroup), or -errno. */
int total_read_state(const struct total_location *loc, struct total_state *ret);

/* What a limit file shows for bytes: the kernel keeps whole pages. */
uint64_t total_limit_rounded(uint64_t bytes);

/* NULL when state puts a total of bytes in force for loc->uid; else why
 * not, malloc'ed ("/sys/fs/cgroup/memrun/user-1000 does not exist"). */
char *total_why_not_in_force(const struct total_location *loc, const struct total_state *state,
			     uint64_t bytes);

/* The caller's total into plan->total, when the binding gives one. */
void policy_total_plan(const struct policy_binding *binding, uid_t uid,
		       const struct cgroup_place *place, struct plan *plan);

/*
 * UID_MIN and UID_MAX from login.defs text: the defaults where a key is
 * missing; -EINVAL and the line's number in *ret_line for a value that is
 * not a user ID.
 */
int login_defs_uid_range(const char *text, unsigned long *ret_min, unsigned long *ret_max,
			 unsigned *ret_line);

/* A user the policy gives a total. */
struct total_user {
	uid_t uid;
	gid_t gid;
	char *name;
	uint64_t bytes;
	unsigned line;				/* of total_memory_max */
	const struct policy_section *section;	/* that set it */
};

struct total_users {
	struct total_user *list;	/* by uid */
	size_t count;
};

/*
 * The users a total binds: every user a [user] section names and every
 * account with a user ID from uid_min to uid_max, whose binding (with
 * their groups) has a total_memory_max other than max.  A [user] section
 * that names no account is told as a warning.
 */
int total_users_collect(const struct policy *policy, unsigned long uid_min,
			unsigned long uid_max, struct total_users *ret);
void total_users_free(struct total_users *users);

/*
 * The users dir's entries name: "user-UID" followed by suffix ("" for a
 * cgroup, ".slice.d" for a drop-in directory), directories only when
 * dirs_only, and only those keep accepts (NULL: all), sorted.  A missing
 * dir is none (0); else -errno.
 */
int total_uids_in_dir(const char *dir, const char *suffix, bool dirs_only, bool (*keep)(uid_t),
		      uid_t **ret, size_t *ret_count);
