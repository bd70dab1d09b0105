/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting the job: a vfork-style clone (on cgroup v2, clone3 straight
 * into the job's cgroup), apply the plan in the child, exec.  memrun waits
 * until the child has exec'd or exited; a failure in the child before or at
 * exec is written to a shared page (MAP_SHARED, which a copied child writes
 * too), so the parent knows for certain whether the command started, and a
 * child that neither exec'd nor failed was killed on the way.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "outcome.h"
#include "plan.h"
#include "privilege.h"
#include "seccomp-lock.h"

enum spawn_stage {
	SPAWN_STAGE_NONE,
	SPAWN_STAGE_PARENT_GONE,
	SPAWN_STAGE_CGROUP,
	SPAWN_STAGE_RLIMIT,
	SPAWN_STAGE_OOM_SCORE_ADJ,
	SPAWN_STAGE_CREDENTIALS,	/* an elevated memrun's job: its caller's, no more */
	SPAWN_STAGE_LOCK_LIMITS,	/* the seccomp filter of lock_limits */
	SPAWN_STAGE_EXEC,
	SPAWN_STAGE_KILLED,		/* by a signal, before it reached exec */
};

struct spawn_failure {
	enum spawn_stage stage;
	int err;			/* negative errno */
	enum setting_id setting;	/* SPAWN_STAGE_RLIMIT */
	enum privilege_step step;	/* SPAWN_STAGE_CREDENTIALS */
	int signal;			/* SPAWN_STAGE_KILLED */
	bool reached_exec;		/* set by the child as it calls exec */
	bool explained;			/* told, o->start_error set, by whoever failed */
};

/* The name the child takes just before exec; exec replaces it with the
 * program's.  A main process that died with this name (its zombie, or the
 * kernel log, still shows it) was killed inside exec: it never ran. */
#define SPAWN_EXEC_COMM "memrun:exec"

/*
 * Start the job with child_mask as its signal mask and the signals of
 * child_ignored ignored (the caller's dispositions), in its cgroup so that
 * not one allocation of the job escapes its limit: created straight into
 * the cgroup directory clone_into_cgroup_fd (clone3 CLONE_INTO_CGROUP), or
 * else joined by writing "0" to the manager's join file, open as
 * cgroup_join_fd (-1 both: no cgroup).  Returns 0 when the
 * command was exec'd (pid in *ret_pid), 1 when the child failed before
 * exec (reaped; *ret_failure says why), -errno when fork itself failed.
 */
struct spawn_options {
	const sigset_t *child_mask;
	const sigset_t *child_ignored;	/* ignored in the child before exec, or NULL */
	int cgroup_join_fd;
	int clone_into_cgroup_fd;
	int32_t *announce_pid;	/* the child writes its pid here before exec, or NULL */
	/* lock_limits: loaded by the child as the last thing before exec,
	 * or NULL. */
	const struct seccomp_lock *lock_limits;
	/* An elevated memrun (privilege_child()): the child sets the job's
	 * credentials after its limits, and memrun drops its own before
	 * the child goes on (so the child is held, as for place_child).
	 * NULL: the job keeps memrun's, which are its caller's. */
	const struct privilege_child *credentials;
	/* A manager that makes the job's cgroup around its main process
	 * (systemd): the child waits before anything else until this
	 * returns 0 (it goes on: its cgroup, limits, exec); when it returns
	 * -errno, having told why, the child is killed and reaped. */
	int (*place_child)(pid_t child, void *data);
	void *place_child_data;
};

int spawn_job(const struct plan *plan, const struct spawn_options *opts, pid_t *ret_pid,
	      struct spawn_failure *ret_failure);

/* Print the failure for people and record it in the outcome. */
void spawn_explain_failure(const struct plan *plan, const struct spawn_failure *failure,
			   struct outcome *o);
