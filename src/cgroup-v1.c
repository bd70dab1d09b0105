/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroupfs v1 manager: the memory controller's own hierarchy,
 * memory.limit_in_bytes, memory.oom_control and its eventfd, and
 * memory.oom.group emulated (v1 has none): the first OOM kill ends the job.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/eventfd.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "util.h"

struct v1_state {
	int events_fd;		/* memory.oom_control, read by pread */
	int failcnt_fd;		/* memory.failcnt, read by pread */
	int peak_fd;		/* memory.max_usage_in_bytes */
	/* The job's cgroup's ctime before the job ran (cg_subdirs_mark). */
	struct timespec tree_mark;
	bool made_cgroups;	/* the job made a cgroup below its own, or may have */
	bool oom_group_emulated;	/* memrun ends the job on the first OOM */
	uint64_t oom_notifications;	/* eventfd wake-ups */
};

static void *v1_new_state(void)
{
	struct v1_state *st = xmalloc(sizeof(*st));

	*st = (struct v1_state){ .events_fd = -1, .failcnt_fd = -1, .peak_fd = -1 };
	return st;
}

static void v1_free_state(void *state)
{
	struct v1_state *st = state;

	if (!st)
		return;
	safe_close(st->events_fd);
	safe_close(st->failcnt_fd);
	safe_close(st->peak_fd);
	free(st);
}

/* One hierarchy per set of controllers: the memory one has its files. */
static bool v1_in_memory_hierarchy(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd >= 0 && cg_exists(fd, "memory.limit_in_bytes");
}

static bool v1_memory_enabled(const char *dir)
{
	(void)dir;
	return true;	/* in the memory hierarchy, always */
}

static char *v1_why_no_memory(const char *dir)
{
	(void)dir;
	return NULL;
}

static int v1_check_parent(const char *parent, bool parent_is_own, char **ret_why)
{
	/* v1 has no rule against processes in inner cgroups: nothing to do. */
	(void)parent;
	(void)parent_is_own;
	(void)ret_why;
	return 0;
}

static int v1_prepare_parent(struct job_cgroup *cg, const char *parent, bool parent_is_own,
			     char **ret_why)
{
	(void)cg;
	return v1_check_parent(parent, parent_is_own, ret_why);
}

static const char *v1_self_leaf(const struct job_cgroup *cg, int *ret_parent_fd)
{
	(void)cg;
	(void)ret_parent_fd;
	return NULL;	/* memrun never moves */
}

static void v1_restore_parent(struct job_cgroup *cg)
{
	(void)cg;
}

/* Open a counter once: the supervisor reads it again by pread,
 * allocation-free.  -errno, and why in *ret_why. */
static int open_counter(struct job_cgroup *cg, const char *file, int *ret_fd, char **ret_why)
{
	*ret_fd = openat(cg->dir_fd, file, O_RDONLY | O_CLOEXEC);
	if (*ret_fd < 0) {
		int err = errno;

		*ret_why = xasprintf("cannot open the memory counters of %s: %s", cg->dir,
				     strerror(err));
		return -err;
	}
	return 0;
}

static int v1_apply_limits(struct job_cgroup *cg, const struct plan *plan, char **ret_why)
{
	struct v1_state *st = cg->state;
	bool has_max = plan_has(plan, SETTING_MEMORY_MAX);
	bool has_swap = plan_has(plan, SETTING_SWAP_MAX);
	uint64_t max = has_max ? plan->limit_bytes[SETTING_MEMORY_MAX] : LIMIT_UNLIMITED;
	uint64_t swap = has_swap ? plan->limit_bytes[SETTING_SWAP_MAX] : LIMIT_UNLIMITED;
	int r;

	if (has_max) {
		r = cgroup_write_limit(cg, "memory.limit_in_bytes", max, ret_why);
		if (r < 0)
			return r;
	}
	if (plan_has(plan, SETTING_MEMORY_HIGH)) {
		r = cgroup_write_limit(cg, "memory.soft_limit_in_bytes",
				       plan->limit_bytes[SETTING_MEMORY_HIGH], ret_why);
		if (r < 0)
			return r;
	}
	if (has_swap && swap != LIMIT_UNLIMITED) {
		/* v1 limits memory + swap together: memsw = memory_max + swap_max. */
		if (max == LIMIT_UNLIMITED) {
			*ret_why = xstrdup("cgroup v1 limits swap only together with memory "
					   "(memory.memsw.limit_in_bytes = memory + swap): "
					   "set memory_max too");
			return -EINVAL;
		}
		r = cgroup_write_limit(cg, "memory.memsw.limit_in_bytes",
				       max > UINT64_MAX - swap ? LIMIT_UNLIMITED : max + swap, ret_why);
		if (r < 0)
			return r;
	}
	cg->memory_max = max;
	cg->memory_high = plan_has(plan, SETTING_MEMORY_HIGH) ? plan->limit_bytes[SETTING_MEMORY_HIGH] :
			  LIMIT_UNLIMITED;
	cg->swap_max = swap;
	/* v1 has no memory.oom.group: on_event ends the job on the first kill. */
	st->oom_group_emulated = plan->values[SETTING_OOM_GROUP].set &&
				 plan->values[SETTING_OOM_GROUP].number;
	cg->oom_group = st->oom_group_emulated;

	r = open_counter(cg, "memory.oom_control", &st->events_fd, ret_why);
	if (r >= 0)
		r = open_counter(cg, "memory.failcnt", &st->failcnt_fd, ret_why);
	if (r >= 0)
		r = open_counter(cg, "memory.max_usage_in_bytes", &st->peak_fd, ret_why);
	return r;
}

static int v1_open_watch(struct job_cgroup *cg)
{
	struct v1_state *st = cg->state;
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	char line[64];
	int r;

	if (efd < 0)
		return -errno;
	/* cgroup.event_control: "<eventfd> <fd of memory.oom_control>". */
	snprintf(line, sizeof(line), "%d %d", efd, st->events_fd);
	r = cg_write(cg->dir_fd, "cgroup.event_control", line);
	if (r < 0)
		return r;
	/* An OOM kill in a cgroup the job makes below its own is counted
	 * there alone: whether the job made one is read at the end. */
	if (cg_subdirs_mark(cg->dir_fd, &st->tree_mark) < 0)
		st->made_cgroups = true;	/* cannot tell: may have */
	return TAKE_FD(efd);
}

static void v1_on_event(struct job_cgroup *cg)
{
	struct v1_state *st = cg->state;
	struct cgroup_counters seen;
	uint64_t count;

	while (read(cg->watch_fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
		st->oom_notifications += count;
	if (cgroup_read_evidence(cg, &seen) < 0)
		return;
	/* The first OOM ends the whole job here, as the kernel's group kill
	 * would on v2 (its victims count as OOM kills). */
	if (st->oom_group_emulated && cg->group_killed < 0 &&
	    (seen.oom_kill > 0 || st->oom_notifications > 0))
		cg->group_killed = cgroup_kill_now(cg);
}

static bool v1_made_cgroups(struct job_cgroup *cg)
{
	struct v1_state *st = cg->state;

	return st->made_cgroups || cg_subdirs_changed(cg->dir_fd, &st->tree_mark);
}

static int v1_read_counters(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	struct v1_state *st = cg->state;
	char buf[256];
	ssize_t n = cg_pread(st->events_fd, buf, sizeof(buf));
	uint64_t failcnt = 0;

	if (n < 0)
		return (int)n;
	/* oom_kill counts the job's processes any OOM killer killed (4.13+). */
	cg_keyed_u64(buf, "oom_kill", &ret->oom_kill);
	cg_pread_u64(st->failcnt_fd, &failcnt);
	ret->max = failcnt;
	/* v1 counts no OOM invocations: usage at the job's limit together with
	 * a kill is the job's own limit at work. */
	ret->oom = cg->memory_max != LIMIT_UNLIMITED && failcnt > 0 && ret->oom_kill > 0;
	cg_pread_u64(st->peak_fd, &ret->peak_bytes);
	ret->peak_sampled = false;
	return 0;
}

static int v1_read_local_oom_kills(int dir_fd, uint64_t *ret_kills, bool *ret_limit_hit)
{
	char buf[256];
	ssize_t n = cg_read(dir_fd, "memory.oom_control", buf, sizeof(buf));
	uint64_t failcnt = 0;
	int r;

	if (n < 0)
		return (int)n;
	r = cg_keyed_u64(buf, "oom_kill", ret_kills);
	/* failcnt counts the charges its own limit refused. */
	*ret_limit_hit = cg_read_u64(dir_fd, "memory.failcnt", &failcnt) == 0 && failcnt > 0;
	return r;
}

static bool v1_counters_cover_subtree(void)
{
	return false;	/* memory.oom_control counts its own cgroup's kills */
}

static int v1_kill_all(int dir_fd)
{
	(void)dir_fd;
	return -EOPNOTSUPP;	/* no cgroup.kill: the caller kills pid by pid */
}

/* What a user must own, besides the directory, to put processes in it. */
static const char *const v1_delegate_files[] = { "tasks", "cgroup.procs", NULL };

const struct cgroup_manager cgroup_v1_manager = {
	.name = "cgroup v1",
	.report_name = "cgroupfs",
	.version = 1,
	.memory_max_file = "memory.limit_in_bytes",
	.memory_high_file = "memory.soft_limit_in_bytes",
	.swap_max_file = "memory.memsw.limit_in_bytes",
	.usage_file = "memory.usage_in_bytes",
	.events_file = "memory.oom_control",
	.no_limit_token = "-1",
	.limit_file_missing = "no such file (is swap accounting off? boot with swapaccount=1)",
	.swap_accounting_remedy = "boot with swapaccount=1 to turn it on",
	/* The child is one thread when it joins, so moving the thread is
	 * moving the process; and a thread moving itself ("0" to tasks) is
	 * spared the write lock on cgroup_threadgroup_rwsem that cgroup.procs
	 * takes, which waits for an RCU grace period (milliseconds) unless
	 * another move happened just before (Linux 5.19 and later). */
	.join_file = "tasks",
	.clone_into = false,
	.high_events_counted = false,
	/* failcnt: the charges its own limit refused. */
	.limit_hits_file = "memory.failcnt",
	.limit_hits_key = NULL,
	.delegate_files = v1_delegate_files,
	.subtree_control_file = NULL,
	/* Only the destination's tasks file and the same user are asked. */
	.move_needs_common_ancestor = false,

	.unified = false,
	.fs_magic = CGROUP_SUPER_MAGIC,
	.usual_mount = "/sys/fs/cgroup/memory",
	.in_memory_hierarchy = v1_in_memory_hierarchy,
	.memory_enabled = v1_memory_enabled,
	.why_no_memory = v1_why_no_memory,
	.check_parent = v1_check_parent,

	.new_state = v1_new_state,
	.prepare_parent = v1_prepare_parent,
	.self_leaf = v1_self_leaf,
	.apply_limits = v1_apply_limits,
	.open_watch = v1_open_watch,
	.restore_parent = v1_restore_parent,

	.on_event = v1_on_event,
	.made_cgroups = v1_made_cgroups,
	.read_counters = v1_read_counters,
	.kill_all = v1_kill_all,
	.read_local_oom_kills = v1_read_local_oom_kills,
	.counters_cover_subtree = v1_counters_cover_subtree,
	.finish = NULL,
	.free_state = v1_free_state,
};
