/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "outcome.h"

#include <stdlib.h>

#include "util.h"

/* Contract section 5: the first rule that matches wins. */
enum outcome_kind outcome_classify(const struct outcome *o)
{
	if (!o->started)
		return OUTCOME_FAILED_TO_START;
	if ((o->oom_kills.known && o->oom_kills.value > 0) || o->oom_kills_at_least > 0 ||
	    (o->main_oom_killed_known && o->main_oom_killed))
		return OUTCOME_OOM_KILLED;
	/* An unknown count is no evidence; refusals seen where the probe was
	 * (the main program unobserved) are. */
	if ((o->alloc_failures.known && o->alloc_failures.value > 0) ||
	    o->alloc_failures_at_least > 0)
		return OUTCOME_OUT_OF_MEMORY;
	if (o->signal > 0)
		return OUTCOME_SIGNALED;
	return OUTCOME_EXITED;
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

void outcome_free(struct outcome *o)
{
	free(o->start_error);
	free(o->cgroup_dir);
	free(o->cgroup_error);
	free(o->alloc_not_observed);
	free(o->hint);
	o->hint = NULL;
	free(o->enclosing_dir);
	o->start_error = o->cgroup_dir = o->cgroup_error = o->alloc_not_observed = NULL;
	o->enclosing_dir = NULL;
}
