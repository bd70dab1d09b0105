/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The none manager: a job that runs without a cgroup of its own (no
 * cgroup setting asked for, or --best-effort).  Nothing to make, watch,
 * kill or remove; its evidence is what memrun's own cgroup counts
 * (cgroup-enclosing.c).
 */
#include "cgroup-enclosing.h"
#include "cgroup-internal.h"
#include "util.h"

void cgroup_none_enter(struct job_cgroup *cg, const struct cgroup_place *place)
{
	struct enclosing_watch *w = xmalloc(sizeof(*w));

	enclosing_watch_start(w, place);
	cg->manager->free_state(cg->state);
	cg->manager = &cgroup_none_manager;
	cg->state = w;
}

static void none_finish(struct job_cgroup *cg, struct outcome *o)
{
	/* What memrun's cgroup counted while the job ran, if it did. */
	if (cg->state && o->started)
		enclosing_watch_finish(cg->state, o);
}

static void none_free_state(void *state)
{
	if (!state)
		return;
	enclosing_watch_free(state);
	free(state);
}

static void none_restore_parent(struct job_cgroup *cg)
{
	(void)cg;
}

static void none_on_event(struct job_cgroup *cg)
{
	(void)cg;	/* no watch_fd: never woken */
}

static bool none_made_cgroups(struct job_cgroup *cg)
{
	(void)cg;
	return false;
}

static int none_read_counters(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	(void)cg;
	(void)ret;
	return -ENOENT;
}

static int none_kill_all(int dir_fd)
{
	(void)dir_fd;
	return -EOPNOTSUPP;
}

static int none_read_local_oom_kills(int dir_fd, uint64_t *ret_kills, bool *ret_limit_hit)
{
	(void)dir_fd;
	(void)ret_kills;
	(void)ret_limit_hit;
	return -ENOENT;
}

static bool none_counters_cover_subtree(void)
{
	return false;
}

static const char *none_self_leaf(const struct job_cgroup *cg, int *ret_parent_fd)
{
	(void)cg;
	(void)ret_parent_fd;
	return NULL;
}

/* Never found by cgroup_locate nor made by cgroup_create: only the job's
 * life is filled in. */
const struct cgroup_manager cgroup_none_manager = {
	.name = "none",
	.version = 0,
	.self_leaf = none_self_leaf,
	.restore_parent = none_restore_parent,
	.on_event = none_on_event,
	.made_cgroups = none_made_cgroups,
	.read_counters = none_read_counters,
	.kill_all = none_kill_all,
	.read_local_oom_kills = none_read_local_oom_kills,
	.counters_cover_subtree = none_counters_cover_subtree,
	.finish = none_finish,
	.free_state = none_free_state,
};
