/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup v2: memory.max, memory.events, memory.peak, cgroup.kill. */
#include <fcntl.h>
#include <sys/inotify.h>

#include "cgroup.h"
#include "cgroupfs.h"
#include "util.h"

static int v2_prepare_parent(const char *parent, char **ret_why)
{
	_cleanup_close_ int fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[512];
	int r;

	if (fd < 0) {
		*ret_why = xasprintf("cannot open %s: %s", parent, strerror(errno));
		return -errno;
	}
	if (cg_read(fd, "cgroup.subtree_control", buf, sizeof(buf)) >= 0 &&
	    list_contains(strtok(buf, "\n"), ' ', "memory"))
		return 0;
	if (cg_read(fd, "cgroup.controllers", buf, sizeof(buf)) < 0 ||
	    !list_contains(strtok(buf, "\n"), ' ', "memory")) {
		*ret_why = xasprintf("the memory controller is not available in %s (not in its "
				     "cgroup.controllers): it must be enabled in the parent's "
				     "cgroup.subtree_control first", parent);
		return -EOPNOTSUPP;
	}
	r = cg_write(fd, "cgroup.subtree_control", "+memory");
	if (r == -EBUSY) {
		*ret_why = xasprintf("%s holds processes, and cgroup v2 lets only cgroups without "
				     "processes hand the memory controller to their children", parent);
		return r;
	}
	if (r < 0) {
		*ret_why = xasprintf("cannot enable the memory controller in %s/cgroup.subtree_control: %s",
				     parent, strerror(-r));
		return r;
	}
	return 0;
}

static int write_limit(struct job_cgroup *cg, const char *file, uint64_t bytes, char **ret_why)
{
	int r = cg_write_u64(cg->dir_fd, file, bytes);

	if (r < 0)
		*ret_why = xasprintf("cannot write %s/%s: %s", cg->dir, file,
				     r == -ENOENT ? "no such file (is swap accounting off?)" :
				     strerror(-r));
	return r;
}

static int v2_apply_limits(struct job_cgroup *cg, const struct plan *plan, char **ret_why)
{
	static const struct {
		enum setting_id id;
		const char *file;
	} limits[] = {
		{ SETTING_MEMORY_MAX, "memory.max" },
		{ SETTING_MEMORY_HIGH, "memory.high" },
		{ SETTING_SWAP_MAX, "memory.swap.max" },
	};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
		if (!plan->values[limits[i].id].set)
			continue;
		r = write_limit(cg, limits[i].file, plan->limit_bytes[limits[i].id], ret_why);
		if (r < 0)
			return r;
	}
	cg->memory_max = plan_has(plan, SETTING_MEMORY_MAX) ? plan->limit_bytes[SETTING_MEMORY_MAX] : LIMIT_UNLIMITED;
	cg->memory_high = plan_has(plan, SETTING_MEMORY_HIGH) ? plan->limit_bytes[SETTING_MEMORY_HIGH] : LIMIT_UNLIMITED;
	cg->swap_max = plan_has(plan, SETTING_SWAP_MAX) ? plan->limit_bytes[SETTING_SWAP_MAX] : LIMIT_UNLIMITED;
	if (plan->values[SETTING_OOM_GROUP].set && plan->values[SETTING_OOM_GROUP].number) {
		r = cg_write(cg->dir_fd, "memory.oom.group", "1");
		if (r < 0) {
			*ret_why = xasprintf("cannot write %s/memory.oom.group: %s", cg->dir, strerror(-r));
			return r;
		}
		cg->oom_group = true;
	}
	/* memory.peak came with 5.19; without it memory.current is sampled. */
	cg->peak_fd = openat(cg->dir_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
	cg->events_fd = openat(cg->dir_fd, "memory.events", O_RDONLY | O_CLOEXEC);
	if (cg->events_fd < 0) {
		*ret_why = xasprintf("cannot open %s/memory.events: %s", cg->dir, strerror(errno));
		return -errno;
	}
	return 0;
}

static int v2_open_watch(struct job_cgroup *cg)
{
	_cleanup_close_ int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	_cleanup_free_ char *events = xasprintf("%s/memory.events", cg->dir);

	if (fd < 0)
		return -errno;
	/* The kernel signals a change of memory.events as a modification. */
	if (inotify_add_watch(fd, events, IN_MODIFY) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static void v2_ack_watch(struct job_cgroup *cg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(cg->watch_fd, buf, sizeof(buf)) > 0)
		;
}

static int v2_read_counters(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	char buf[512];
	uint64_t current;
	ssize_t n = cg_pread(cg->events_fd, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	/* Hierarchical counts: sub-cgroups the job makes are the job too. */
	cg_keyed_u64(buf, "oom", &ret->oom);
	cg_keyed_u64(buf, "oom_kill", &ret->oom_kill);
	cg_keyed_u64(buf, "oom_group_kill", &ret->oom_group_kill);
	cg_keyed_u64(buf, "max", &ret->max);
	cg_keyed_u64(buf, "high", &ret->high);
	/* memory.peak came with 5.19; before it, the largest usage memrun saw. */
	if (cg->peak_fd >= 0 && cg_pread_u64(cg->peak_fd, &ret->peak_bytes) == 0) {
		ret->peak_sampled = false;
	} else if (cg_read_u64(cg->dir_fd, "memory.current", &current) == 0) {
		if (current > ret->peak_bytes)
			ret->peak_bytes = current;
		ret->peak_sampled = true;
	}
	return 0;
}

static int v2_kill_all(struct job_cgroup *cg)
{
	/* cgroup.kill (5.14+) ends every process at once, forks in flight too. */
	return cg_write(cg->dir_fd, "cgroup.kill", "1");
}

static uint64_t v2_enclosing_limit(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t v;

	if (fd < 0 || cg_read_u64(fd, "memory.max", &v) < 0)
		return LIMIT_UNLIMITED;
	return v;
}

const struct cgroup_backend cgroup_v2_backend = {
	.name = "cgroup v2",
	.version = 2,
	.memory_max_file = "memory.max",
	.memory_high_file = "memory.high",
	.swap_max_file = "memory.swap.max",
	/* Only before Linux 5.7, without clone3(CLONE_INTO_CGROUP). */
	.join_file = "cgroup.procs",
	.prepare_parent = v2_prepare_parent,
	.apply_limits = v2_apply_limits,
	.open_watch = v2_open_watch,
	.ack_watch = v2_ack_watch,
	.read_counters = v2_read_counters,
	.kill_all = v2_kill_all,
	.enclosing_limit = v2_enclosing_limit,
};
