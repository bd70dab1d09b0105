/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The job under the caller's total (policy total_memory_max; see
 * policy-total.h for where a total lives).  On a cgroupfs host the job's
 * cgroup goes in the user's total, MOUNT/memrun/user-UID, which `memrun
 * policy apply` delegated to the user: that cgroup stands where a
 * --cgroup-parent would.  It must be in force, or the job does not run.
 * On cgroup v2 a user may move a process into it only from inside it
 * (the kernel's delegation containment, cgroup-v2.rst): memrun says so
 * before it forks rather than fail in the child.  And as for any parent,
 * the job may not leave a limit memrun runs under behind.
 *
 * The evidence: how often the total's own limit was reached while the
 * job ran (v2 memory.events.local "oom", v1 memory.failcnt), for
 * outcome_decide() to name the total as the limit an OOM kill came from.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "policy-total.h"
#include "size.h"
#include "util.h"

/* "a total of 128 MiB (/etc/memrun/policy.conf:5)" */
static char *describe_total(const struct plan *plan)
{
	char size[32];

	return xasprintf("a total of %s for all your jobs (total_memory_max, %s:%u)",
			 size_format(plan->total.bytes, size), plan->policy_file, plan->total.line);
}

static char *not_applied(const struct plan *plan, const char *why_not)
{
	_cleanup_free_ char *total = describe_total(plan);

	return xasprintf("the policy gives you %s but it is not applied: the administrator must "
			 "run `memrun policy apply` (%s)", total, why_not);
}

/* A finite memory limit on dir, as "memory.max = 1 GiB", or NULL. */
static char *limit_on(const struct cgroup_manager *m, const char *dir)
{
	const char *files[] = { m->memory_max_file, m->memory_high_file, m->swap_max_file };
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char size[32];

	for (size_t i = 0; fd >= 0 && i < ELEMENTSOF(files); i++) {
		uint64_t limit;

		if (cg_read_u64(fd, files[i], &limit) == 0 && limit != LIMIT_UNLIMITED)
			return xasprintf("%s = %s", files[i], size_format(limit, size));
	}
	return NULL;
}

/* The first limit on dir or a directory above it below top (exclusive),
 * and where, or NULL. */
static char *limit_below(const struct cgroup_manager *m, const char *dir, const char *top,
			 char **ret_where)
{
	_cleanup_free_ char *d = xstrdup(dir);

	while (!streq(d, top) && cgroup_dir_is_within(d, top)) {
		char *limit = limit_on(m, d), *slash;

		if (limit) {
			*ret_where = xstrdup(d);
			return limit;
		}
		slash = strrchr(d, '/');
		if (!slash || slash == d)
			break;
		*slash = '\0';
	}
	return NULL;
}

/* The deepest directory both a and b are within. */
static char *common_ancestor(const char *a, const char *b)
{
	char *d = xstrdup(a);

	while (!cgroup_dir_is_within(b, d)) {
		char *slash = strrchr(d, '/');

		if (!slash || slash == d) {
			free(d);
			return xstrdup("/");
		}
		*slash = '\0';
	}
	return d;
}

/* cgroup-v2.rst "Delegation Containment": a process moves from own into
 * total only for a writer of cgroup.procs of their common ancestor. */
static int check_containment(const struct plan *plan, const char *own, const char *total,
			     char **ret_why)
{
	_cleanup_free_ char *ancestor = common_ancestor(own, total), *what = NULL;
	_cleanup_close_ int fd = open(ancestor, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || faccessat(fd, "cgroup.procs", W_OK, AT_EACCESS) == 0 || errno != EACCES)
		return 0;
	what = describe_total(plan);
	*ret_why = xasprintf(
		"the policy gives you %s, in force in %s, which is delegated to you; but memrun runs "
		"in %s, outside it, and cgroup v2 lets a user move a process into a delegated "
		"cgroup only from inside the same delegated subtree: the move needs write access to "
		"%s/cgroup.procs, of the cgroup that holds both (cgroup-v2.rst, \"Delegation "
		"Containment\"), which only root has.  Run memrun from a session placed inside your "
		"total: a login manager puts it there, or root, for one shell: mkdir %s/session; "
		"chown %u %s/session; echo SHELL_PID > %s/session/cgroup.procs",
		what, total, own, ancestor, total, (unsigned)getuid(), total, total);
	return -EACCES;
}

int cgroup_total_parent(const struct cgroup_place *place, const struct plan *plan,
			char **ret_dir, const struct cgroup_manager **ret_manager, char **ret_why)
{
	const struct plan_total *t = &plan->total;
	const struct cgroup_manager *m = place->manager;
	_cleanup_free_ char *own = NULL, *total = NULL, *why_not = NULL, *limit = NULL,
			    *where = NULL, *ancestor = NULL, *what = NULL;
	struct total_location loc = { .uid = getuid(), .dir = t->dir, .manager = m };
	struct total_state state;
	int r;

	*ret_dir = NULL;
	if (!m || !t->dir) {
		*ret_why = not_applied(plan, place->why_none ? place->why_none :
					     "no memory cgroup hierarchy is mounted here");
		return -ENOENT;
	}
	r = total_read_state(&loc, &state);
	if (r < 0) {
		why_not = xasprintf("cannot open %s: %s", t->dir, strerror(-r));
		*ret_why = not_applied(plan, why_not);
		return r;
	}
	why_not = total_why_not_in_force(&loc, &state, t->bytes);
	if (why_not) {
		*ret_why = not_applied(plan, why_not);
		return -ENOENT;
	}
	if (!place->own_dir) {
		*ret_why = xstrdup("memrun's own cgroup is not where memrun can see it, so it cannot "
				   "tell whether a job in your total would escape a limit it runs under");
		return -ENOENT;
	}
	own = realpath(place->own_dir, NULL);
	total = own ? realpath(t->dir, NULL) : NULL;
	if (!own || !total) {
		r = -errno;
		*ret_why = xasprintf("cannot resolve %s: %s", own ? t->dir : place->own_dir,
				     strerror(-r));
		return r;
	}

	if (cgroup_dir_is_within(own, total)) {
		/* A session inside the total: the job's cgroup goes in the
		 * total beside it, unless it would leave a limit of the
		 * session's behind, or a --cgroup-parent in it is asked for. */
		limit = limit_below(m, own, total, &where);
		if (plan->values[SETTING_CGROUP_PARENT].set || limit)
			return 0;
	} else {
		if (plan->values[SETTING_CGROUP_PARENT].set) {
			what = describe_total(plan);
			*ret_why = xasprintf("cgroup_parent %s: the policy gives you %s, and your jobs "
					     "go in its cgroup %s, which memrun does not run in (it "
					     "runs in %s): drop the cgroup_parent, or run memrun "
					     "inside %s and name a cgroup there",
					     plan->values[SETTING_CGROUP_PARENT].text, what, total,
					     own, total);
			return -EPERM;
		}
		if (m->move_needs_common_ancestor) {
			r = check_containment(plan, own, total, ret_why);
			if (r < 0)
				return r;
		}
		/* Contract: the job never escapes a limit memrun runs under. */
		ancestor = common_ancestor(own, total);
		limit = limit_below(m, own, ancestor, &where);
		if (limit) {
			what = describe_total(plan);
			*ret_why = xasprintf("memrun runs under %s in %s, which the job's cgroup in "
					     "your total's %s (%s) would not be under: the job "
					     "would escape it.  Run memrun outside that cgroup, or "
					     "in a session inside %s", limit, where, total, what,
					     total);
			return -EPERM;
		}
	}
	r = m->check_parent(total, false, ret_why);
	if (r < 0)
		return r;
	*ret_manager = m;
	*ret_dir = TAKE_PTR(total);
	return 0;
}

int cgroup_total_check_slice(const struct cgroup_place *place, const struct plan *plan,
			     char **ret_why)
{
	const struct plan_total *t = &plan->total;
	struct total_location loc = { .uid = getuid(), .dir = t->dir, .unit = t->unit,
				      .manager = place->manager };
	struct total_state state;
	_cleanup_free_ char *why_not = NULL;

	/* No cgroup yet: the user runs nothing in the slice, and the scope
	 * goes in it (the user's manager) with the limit systemd keeps. */
	if (!place->manager || !t->dir || total_read_state(&loc, &state) < 0 || !state.exists)
		return 0;
	why_not = total_why_not_in_force(&loc, &state, t->bytes);
	if (!why_not)
		return 0;
	*ret_why = not_applied(plan, why_not);
	return -ENOENT;
}

static int read_hits(int fd, const char *key, uint64_t *ret)
{
	char buf[512];
	ssize_t n = cg_pread(fd, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return key ? cg_keyed_u64(buf, key, ret) : cg_parse_u64(buf, ret);
}

void cgroup_total_watch_start(struct job_cgroup *cg, const struct cgroup_place *place,
			      const struct plan *plan)
{
	const struct cgroup_manager *m = place->manager;
	_cleanup_close_ int dir_fd = -1, fd = -1;
	uint64_t before;

	if (cg->total_watch.fd >= 0 || !plan->total.set || !plan->total.dir || !m ||
	    !m->limit_hits_file)
		return;
	dir_fd = open(plan->total.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = dir_fd < 0 ? -1 : openat(dir_fd, m->limit_hits_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_hits(fd, m->limit_hits_key, &before) < 0)
		return;
	cg->total_watch = (struct total_watch){
		.fd = TAKE_FD(fd), .key = m->limit_hits_key, .before = before,
	};
}

void cgroup_total_watch_finish(struct job_cgroup *cg, struct outcome *o)
{
	uint64_t after;

	if (cg->total_watch.fd < 0 || read_hits(cg->total_watch.fd, cg->total_watch.key, &after) < 0)
		return;
	o->total_limit_hits = after > cg->total_watch.before ? after - cg->total_watch.before : 0;
}
