/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun more privileged than its caller: installed for a shared host
 * (make install-shared-host) with the file capabilities cap_sys_resource
 * and cap_setpcap, permitted but not effective (memrun(1), ELEVATED
 * INSTALL).  Such a memrun
 * - never has a capability in its effective set but in the job's child,
 *   where CAP_SYS_RESOURCE sets what needs it and CAP_SETPCAP lowers the
 *   bounding set and locks the securebits, just before exec;
 * - lets only a root-owned system profile that the policy's
 *   allowed_profiles lists for the caller use CAP_SYS_RESOURCE
 *   (privilege_check_plan); the caller's flags and own profiles can only
 *   do what the caller could do without memrun;
 * - finds profiles by name only in SYSTEM_PROFILE_DIR and PROFILE_DIR,
 *   reads no file its caller could not read, and reads the variables
 *   that choose what it trusts with secure_getenv;
 * - hands the job exactly its caller's credentials: no capability in any
 *   set, an empty bounding set, locked securebits, no_new_privs;
 * - and, once the job's child holds its own copy of the capabilities,
 *   drops them all itself (privilege_shed).
 * A setuid or setgid memrun is refused: the file capabilities give what
 * is needed, a setuid root gives everything.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "cgroup.h"
#include "plan.h"
#include "policy.h"

/*
 * First thing in main: refuse a setuid or setgid memrun (returns 125,
 * told), find whether memrun is elevated, and empty its effective set.
 * 0 to go on.
 */
int privilege_init(void);

/* memrun holds capabilities its caller lacks (file capabilities). */
bool privilege_elevated(void);

/* An elevated memrun can raise cap (a CAP_* number) in the job's child:
 * its file capabilities gave it, within the caller's bounding set. */
bool privilege_can_raise(int cap);

/*
 * After plan_resolve() and policy_enforce(), in an elevated memrun (else
 * 0 at once): every setting that needs privilege the caller lacks (an
 * oom_score_adj below what the caller could set, an as or data above the
 * caller's hard limit) must come from a system profile that
 * policy_allows_origin() lets the caller use, and a cgroup_parent must be
 * one the caller could write.  Each refusal is told (setting, origin,
 * what to do); -EPERM then.
 */
int privilege_check_plan(const struct plan *plan, const struct policy_binding *binding,
			 const struct cgroup_place *place);

/*
 * Whether the caller, by its real ids, may read path (faccessat without
 * AT_EACCESS).  An elevated memrun reads no file the caller could not,
 * so no message of memrun's ever quotes a line of one.  Always true when
 * memrun is not elevated.
 */
bool privilege_caller_may_read(const char *path);

/* The steps of the job's credentials, in the child. */
enum privilege_step {
	PRIVILEGE_STEP_DUMPABLE,	/* /proc/self the caller's, for oom_score_adj */
	PRIVILEGE_STEP_RAISE,		/* CAP_SYS_RESOURCE in effect, where needed */
	PRIVILEGE_STEP_SETPCAP,		/* CAP_SETPCAP in effect, for the next two */
	PRIVILEGE_STEP_SECUREBITS,
	PRIVILEGE_STEP_BOUNDING,
	PRIVILEGE_STEP_AMBIENT,
	PRIVILEGE_STEP_CLEAR,		/* effective, permitted, inheritable emptied */
	PRIVILEGE_STEP_NO_NEW_PRIVS,
	PRIVILEGE_STEP_SHED,		/* memrun's own, in the parent */
};

/* Everything the child needs, prepared in memrun (privilege.c). */
struct privilege_child;

/* The job's credentials to set in the child, or NULL when memrun is not
 * elevated (the job then keeps exactly memrun's, the caller's). */
const struct privilege_child *privilege_child(void);

/*
 * In the child, between fork and exec, async-signal-safe, no allocation.
 * privilege_child_raise() before the rlimits (CAP_SYS_RESOURCE in effect
 * if one needs it), privilege_child_for_oom_score_adj() before
 * oom_score_adj, privilege_child_drop() after both, before the seccomp
 * lock.  0, or a negative errno with the step in *ret_step.
 */
int privilege_child_raise(const struct privilege_child *c, enum privilege_step *ret_step);
int privilege_child_for_oom_score_adj(const struct privilege_child *c,
				      enum privilege_step *ret_step);
int privilege_child_drop(const struct privilege_child *c, enum privilege_step *ret_step);

/*
 * In memrun, once the job's child has its own copy: drop every capability
 * of memrun's and become dumpable again, so that the job, with the
 * caller's credentials, reaches memrun's /proc/PID/fd (the probe's
 * region).  0 or a negative errno.
 */
int privilege_shed(void);

/* Why the child's credentials could not be set, and what to do
 * (malloc'ed, the hint may be NULL). */
char *privilege_failure_why(enum privilege_step step, int err, char **ret_hint);

/* --dry-run's lines on it; nothing when memrun is not elevated. */
void privilege_dryrun_print(FILE *out);

/* Why only the system directories are searched, for messages:
 * "memrun is installed with privilege: ...". */
const char *privilege_search_note(void);
