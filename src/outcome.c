/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "outcome.h"

#include <signal.h>
#include <stdlib.h>

#include "oomadj.h"
#include "plan.h"
#include "rlimit.h"
#include "util.h"

void outcome_record_limits(struct outcome *o, const struct plan *plan)
{
	const struct setting_value *adj = &plan->values[SETTING_OOM_SCORE_ADJ];

	o->rlimit_as_bytes = rlimit_in_force(plan, SETTING_AS);
	o->rlimit_data_bytes = rlimit_in_force(plan, SETTING_DATA);
	o->lock_limits = setting_enabled(plan->values, SETTING_LOCK_LIMITS);
	if (plan->total.set) {
		o->total_set = true;
		o->total_bytes = plan->total.bytes;
		o->total_file = xstrdup(plan->policy_file);
		o->total_line = plan->total.line;
		o->total_dir = plan->total.dir ? xstrdup(plan->total.dir) : NULL;
		o->total_unit = plan->total.unit ? xstrdup(plan->total.unit) : NULL;
		o->total_cgroup = xstrdup(plan->total.cgroup);
	}
	if (adj->set) {
		o->oom_score_adj = (int)adj->number;
		o->oom_score_adj_known = true;
	} else {
		o->oom_score_adj_known = oomadj_read_self(&o->oom_score_adj) == 0;
	}
}

/* The processes systemd-oomd killed: an action whose count oomd has not
 * written (yet) killed one at least. */
static uint64_t oomd_kills(const struct outcome *o)
{
	return o->oomd.processes + o->oomd.pending;
}

/* Who killed what, from the counters, systemd-oomd's marks and, where
 * readable, the kernel log. */
static void decide_oom(struct outcome *o)
{
	uint64_t counted = o->oom_kills.known ? o->oom_kills.value : o->oom_kills_at_least;
	bool any_kill = counted > 0;
	/* oomd's kills are counted with the kernel's (cgroup_finish): the
	 * kernel's are the rest. */
	bool kernel_kill = counted > oomd_kills(o);
	/* oomd killed the cgroup the main process was in, which died of
	 * SIGKILL: oomd's own signal. */
	bool oomd_main = oomd_kills(o) > 0 && o->oomd_whole_job && o->signal == SIGKILL;

	o->oom_killer = OOM_KILLER_UNKNOWN;
	o->oom_killed_by = OOM_KILLED_BY_NONE;
	o->main_oom_killed = false;
	o->main_oom_killed_known = false;
	if (!o->oom_kills.known && !o->oom_kills_unknown)
		return;	/* no count of the job's OOM kills at all */

	o->main_oom_killed_known = true;
	if (o->victims_known && o->victims.total > 0) {
		bool by_job = false, main_by_kernel = false;

		for (unsigned i = 0; i < o->victims.count; i++) {
			/* A limit the job set below its own is the job's doing too. */
			by_job |= o->victims.list[i].by_job_limit || o->victims.list[i].by_inner_limit;
			main_by_kernel |= o->victims.list[i].pid == o->main_pid;
		}
		o->oom_killer = by_job ? OOM_KILLER_CGROUP : OOM_KILLER_OTHER;
		if (o->oom_kills.value < o->victims.total + oomd_kills(o))
			o->oom_kills.value = o->victims.total + oomd_kills(o);
		/* memrun's oom_group kill (v1) took the main process with it. */
		main_by_kernel |= o->oom_group_killed && o->signal == SIGKILL;
		o->main_oom_killed = main_by_kernel || oomd_main;
		o->oom_killed_by = !main_by_kernel && oomd_main ? OOM_KILLED_BY_OOMD :
								  OOM_KILLED_BY_KERNEL;
		return;
	}
	/* Kills may have gone uncounted, and the main process died of
	 * SIGKILL: whose it was cannot be told. */
	if (!o->oom_kills.known && !any_kill && o->signal == SIGKILL) {
		o->main_oom_killed_known = false;
		return;
	}
	/* No log: the main process died of SIGKILL while the kernel counted
	 * a kill of the job's: that was the OOM killer.  A kill -9 is not. */
	o->main_oom_killed = oomd_main || (kernel_kill && o->signal == SIGKILL);
	if (oomd_main || (!kernel_kill && oomd_kills(o) > 0))
		o->oom_killed_by = OOM_KILLED_BY_OOMD;
	else if (kernel_kill)
		o->oom_killed_by = OOM_KILLED_BY_KERNEL;
	if (kernel_kill)
		o->oom_killer = o->cgroup_oom_events > 0 || o->inner_limit_hit ? OOM_KILLER_CGROUP :
										   OOM_KILLER_OTHER;
	else if (oomd_kills(o) > 0)
		o->oom_killer = OOM_KILLER_OTHER;	/* not the job's own limit */
}

/* The first rule that matches wins. */
static enum outcome_kind classify(const struct outcome *o)
{
	if (!o->started)
		return OUTCOME_FAILED_TO_START;
	/* Any OOM kill in the job, the main process's or not. */
	if ((o->oom_kills.known && o->oom_kills.value > 0) || o->oom_kills_at_least > 0 ||
	    (o->main_oom_killed_known && o->main_oom_killed))
		return OUTCOME_OOM_KILLED;
	/* An unknown count is no evidence; refusals seen where the probe was
	 * (the main program unobserved) are. */
	if ((o->alloc_failures.known && o->alloc_failures.value > 0) ||
	    o->alloc_failures_at_least > 0)
		return OUTCOME_OUT_OF_MEMORY;
	/* Never an OOM kill from SIGKILL alone: a kill -9 is signaled. */
	if (o->signal > 0)
		return OUTCOME_SIGNALED;
	return OUTCOME_EXITED;
}

/* Only limits the job set itself on cgroups it made (memrun in memrun)
 * killed, not the job's own. */
static bool killed_by_inner_limit_only(const struct outcome *o)
{
	bool inner = false, own = false;

	for (unsigned i = 0; o->victims_known && i < o->victims.count; i++) {
		inner |= o->victims.list[i].by_inner_limit;
		own |= o->victims.list[i].by_job_limit;
	}
	return inner && !own;
}

/* The limit an OOM kill came from was the user's total: the kernel log
 * names its cgroup, or, where the log names none, the total's own limit
 * was reached while the job ran. */
static bool total_was_hit(const struct outcome *o)
{
	size_t n, m;

	if (!o->total_set)
		return false;
	if (!o->limit_cgroup)
		return o->total_limit_hits > 0;
	/* The log names it from the hierarchy's root, which may lie above
	 * what memrun sees (a cgroup namespace): the end is compared, from
	 * the '/' the total's path begins with. */
	n = strlen(o->limit_cgroup);
	m = strlen(o->total_cgroup);
	return n >= m && streq(o->limit_cgroup + n - m, o->total_cgroup);
}

static enum oom_cause decide_cause(const struct outcome *o)
{
	bool global = false;

	if (o->kind != OUTCOME_OOM_KILLED)
		return OOM_CAUSE_NONE;
	if (o->oom_killed_by == OOM_KILLED_BY_OOMD)
		return OOM_CAUSE_OOMD;
	for (unsigned i = 0; o->victims_known && i < o->victims.count; i++)
		global |= o->victims.list[i].global;
	if (o->oom_killer == OOM_KILLER_CGROUP)
		return killed_by_inner_limit_only(o) ? OOM_CAUSE_INNER_LIMIT : OOM_CAUSE_JOB_LIMIT;
	if (global)
		return OOM_CAUSE_SYSTEM;
	if (total_was_hit(o))
		return OOM_CAUSE_USER_TOTAL;
	if (o->enclosing_attributed)
		return OOM_CAUSE_ENCLOSING;
	if (o->limit_cgroup)
		return OOM_CAUSE_NAMED_LIMIT;
	return OOM_CAUSE_AROUND;
}

void outcome_decide(struct outcome *o)
{
	decide_oom(o);
	o->kind = classify(o);
	o->oom_cause = decide_cause(o);
}

int outcome_exit_status(const struct outcome *o)
{
	if (!o->started)
		return o->start_exit_status ? o->start_exit_status : MEMRUN_EXIT_FAILURE;
	if (o->signal > 0)
		return 128 + o->signal;
	/* Started, but how it ended is unknown (supervision failed): no
	 * status of the job's to pass on, and never a made-up 0. */
	if (!o->main_exited)
		return MEMRUN_EXIT_FAILURE;
	return o->exit_code;
}

const char *outcome_kind_name(enum outcome_kind kind)
{
	static const char *const names[] = {
		[OUTCOME_EXITED] = "exited",
		[OUTCOME_SIGNALED] = "signaled",
		[OUTCOME_OUT_OF_MEMORY] = "out-of-memory",
		[OUTCOME_OOM_KILLED] = "oom-killed",
		[OUTCOME_FAILED_TO_START] = "failed-to-start",
	};
	return names[kind];
}

const char *oom_killer_name(enum oom_killer killer)
{
	switch (killer) {
	case OOM_KILLER_CGROUP:
		return "cgroup";
	case OOM_KILLER_OTHER:
		return "other";
	case OOM_KILLER_UNKNOWN:
	default:
		return NULL;
	}
}

const char *oom_killed_by_name(enum oom_killed_by by)
{
	switch (by) {
	case OOM_KILLED_BY_KERNEL:
		return "kernel";
	case OOM_KILLED_BY_OOMD:
		return "systemd-oomd";
	case OOM_KILLED_BY_NONE:
	default:
		return NULL;
	}
}

void outcome_free(struct outcome *o)
{
	free(o->start_error);
	free(o->cgroup_dir);
	free(o->cgroup_manager_why);
	free(o->cgroup_unit);
	free(o->cgroup_error);
	free(o->alloc_not_observed);
	free(o->hint);
	o->hint = NULL;
	free(o->enclosing_dir);
	free(o->victims_unknown);
	free(o->limit_cgroup);
	free(o->oomd_record_unknown);
	free(o->cgroup_unit_result);
	oomd_record_free(&o->oomd_record);
	free(o->total_file);
	free(o->total_dir);
	free(o->total_unit);
	free(o->total_cgroup);
	o->total_file = o->total_dir = o->total_unit = o->total_cgroup = NULL;
	o->limit_cgroup = o->oomd_record_unknown = o->cgroup_unit_result = NULL;
	o->start_error = o->cgroup_dir = o->cgroup_error = o->alloc_not_observed = NULL;
	o->cgroup_manager_why = o->cgroup_unit = NULL;
	o->enclosing_dir = o->victims_unknown = NULL;
}
