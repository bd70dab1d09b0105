/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v1 memory controller: memory.limit_in_bytes, memory.oom_control. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "util.h"

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

static void v1_restore_parent(struct job_cgroup *cg)
{
	(void)cg;
}

static int write_limit(struct job_cgroup *cg, const char *file, uint64_t bytes, char **ret_why)
{
	/* v1 takes -1 for "no limit". */
	int r = bytes == LIMIT_UNLIMITED ? cg_write(cg->dir_fd, file, "-1") :
		cg_write_u64(cg->dir_fd, file, bytes);

	if (r < 0)
		*ret_why = xasprintf("cannot write %s/%s: %s", cg->dir, file,
				     r == -ENOENT ? "no such file (is swap accounting off? "
				     "boot with swapaccount=1)" : strerror(-r));
	return r;
}

static int v1_apply_limits(struct job_cgroup *cg, const struct plan *plan, char **ret_why)
{
	bool has_max = plan_has(plan, SETTING_MEMORY_MAX);
	bool has_swap = plan_has(plan, SETTING_SWAP_MAX);
	uint64_t max = has_max ? plan->limit_bytes[SETTING_MEMORY_MAX] : LIMIT_UNLIMITED;
	uint64_t swap = has_swap ? plan->limit_bytes[SETTING_SWAP_MAX] : LIMIT_UNLIMITED;
	int r;

	if (has_max) {
		r = write_limit(cg, "memory.limit_in_bytes", max, ret_why);
		if (r < 0)
			return r;
	}
	if (plan_has(plan, SETTING_MEMORY_HIGH)) {
		r = write_limit(cg, "memory.soft_limit_in_bytes",
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
		r = write_limit(cg, "memory.memsw.limit_in_bytes",
				max > UINT64_MAX - swap ? LIMIT_UNLIMITED : max + swap, ret_why);
		if (r < 0)
			return r;
	}
	cg->memory_max = max;
	cg->memory_high = plan_has(plan, SETTING_MEMORY_HIGH) ? plan->limit_bytes[SETTING_MEMORY_HIGH] :
			  LIMIT_UNLIMITED;
	cg->swap_max = swap;
	/* v1 has no memory.oom.group: the supervisor ends the job on the first kill. */
	cg->oom_group_emulated = plan->values[SETTING_OOM_GROUP].set &&
				 plan->values[SETTING_OOM_GROUP].number;

	/* Open once: the supervisor reads them again by pread, allocation-free. */
	cg->events_fd = openat(cg->dir_fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	cg->failcnt_fd = openat(cg->dir_fd, "memory.failcnt", O_RDONLY | O_CLOEXEC);
	cg->peak_fd = openat(cg->dir_fd, "memory.max_usage_in_bytes", O_RDONLY | O_CLOEXEC);
	if (cg->events_fd < 0 || cg->failcnt_fd < 0 || cg->peak_fd < 0) {
		int err = errno;

		*ret_why = xasprintf("cannot open the memory counters of %s: %s", cg->dir,
				     strerror(err));
		return -err;
	}
	return 0;
}

static int v1_open_watch(struct job_cgroup *cg)
{
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	char line[64];
	int r;

	if (efd < 0)
		return -errno;
	/* cgroup.event_control: "<eventfd> <fd of memory.oom_control>". */
	snprintf(line, sizeof(line), "%d %d", efd, cg->events_fd);
	r = cg_write(cg->dir_fd, "cgroup.event_control", line);
	if (r < 0)
		return r;
	/* An OOM kill in a cgroup the job makes below its own is counted
	 * there alone: note that the job made one, read at the end. */
	cg->tree_watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	snprintf(line, sizeof(line), "/proc/self/fd/%d", cg->dir_fd);
	if (cg->tree_watch_fd < 0 ||
	    inotify_add_watch(cg->tree_watch_fd, line, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
		cg->tree_watch_fd = safe_close(cg->tree_watch_fd);
		cg->made_cgroups = true;	/* cannot tell: may have */
	}
	return TAKE_FD(efd);
}

static void v1_ack_watch(struct job_cgroup *cg)
{
	uint64_t count;

	while (read(cg->watch_fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
		cg->oom_notifications += count;
}

static int v1_read_counters(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	char buf[256];
	ssize_t n = cg_pread(cg->events_fd, buf, sizeof(buf));
	uint64_t failcnt = 0;

	if (n < 0)
		return (int)n;
	/* oom_kill counts the job's processes any OOM killer killed (4.13+). */
	cg_keyed_u64(buf, "oom_kill", &ret->oom_kill);
	cg_pread_u64(cg->failcnt_fd, &failcnt);
	ret->max = failcnt;
	/* v1 counts no OOM invocations: usage at the job's limit together with
	 * a kill is the job's own limit at work. */
	ret->oom = cg->memory_max != LIMIT_UNLIMITED && failcnt > 0 && ret->oom_kill > 0;
	cg_pread_u64(cg->peak_fd, &ret->peak_bytes);
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

static int v1_kill_all(struct job_cgroup *cg)
{
	(void)cg;
	return -EOPNOTSUPP;	/* no cgroup.kill: the caller kills pid by pid */
}

static uint64_t v1_enclosing_limit(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t v;

	if (fd < 0 || cg_read_u64(fd, "memory.limit_in_bytes", &v) < 0)
		return LIMIT_UNLIMITED;
	return v;
}

const struct cgroup_backend cgroup_v1_backend = {
	.name = "cgroup v1",
	.version = 1,
	.memory_max_file = "memory.limit_in_bytes",
	.memory_high_file = "memory.soft_limit_in_bytes",
	.swap_max_file = "memory.memsw.limit_in_bytes",
	/* The child is one thread when it joins, so moving the thread is
	 * moving the process; and a thread moving itself ("0" to tasks) is
	 * spared the write lock on cgroup_threadgroup_rwsem that cgroup.procs
	 * takes, which waits for an RCU grace period (milliseconds) unless
	 * another move happened just before (Linux 5.19 and later). */
	.join_file = "tasks",
	.events_file = "memory.oom_control",
	.check_parent = v1_check_parent,
	.prepare_parent = v1_prepare_parent,
	.restore_parent = v1_restore_parent,
	.apply_limits = v1_apply_limits,
	.open_watch = v1_open_watch,
	.ack_watch = v1_ack_watch,
	.read_counters = v1_read_counters,
	.kill_all = v1_kill_all,
	.read_local_oom_kills = v1_read_local_oom_kills,
	.counters_cover_subtree = v1_counters_cover_subtree,
	.enclosing_limit = v1_enclosing_limit,
};
