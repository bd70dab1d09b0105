/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OOM evidence from memrun's own cgroup, for a job that runs without a
 * cgroup of its own (--best-effort, or no cgroup setting asked for): a
 * container's limit killing the job is counted there.  The count is the
 * job's only when memrun was alone in that cgroup, with no cgroup below
 * it, when the job started (a kill is pinned on the job only where it
 * can be known to be the job's): then every process the cgroup holds
 * meanwhile is the job's, or memrun.
 */
#include "cgroup-enclosing.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "util.h"

/* Only memrun's own pid in dir's cgroup.procs. */
static bool holds_only_memrun(int dir_fd)
{
	char buf[256];
	long long pid;

	char *end;

	if (cg_read(dir_fd, "cgroup.procs", buf, sizeof(buf)) < 0)
		return false;
	end = strchrnul(buf, '\n');
	if (*end && end[1])
		return false;	/* a second process */
	*end = '\0';
	return parse_int64(buf, 1, INT32_MAX, &pid) == 0 && pid == getpid();
}

static bool has_subdirectories(int dir_fd)
{
	struct stat st;

	/* A directory of the cgroup file systems counts 2 + its subdirectories. */
	return fstat(dir_fd, &st) < 0 || st.st_nlink > 2;
}

static int read_oom_kills(const struct enclosing_watch *w, uint64_t *ret)
{
	char buf[512];
	ssize_t n = cg_pread(w->events_fd, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return cg_keyed_u64(buf, "oom_kill", ret);
}

void enclosing_watch_start(struct enclosing_watch *w, const struct cgroup_place *place)
{
	_cleanup_close_ int dir_fd = -1;

	*w = (struct enclosing_watch){ .events_fd = -1 };
	if (!place->manager || !place->own_dir)
		return;
	dir_fd = open(place->own_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return;
	w->events_fd = openat(dir_fd, place->manager->events_file, O_RDONLY | O_CLOEXEC);
	if (w->events_fd < 0 || read_oom_kills(w, &w->oom_kills_before) < 0) {
		w->events_fd = safe_close(w->events_fd);
		return;
	}
	w->dir = xstrdup(place->own_dir);
	w->events_file = place->manager->events_file;
	w->job_alone = holds_only_memrun(dir_fd) && !has_subdirectories(dir_fd);
}

void enclosing_watch_finish(struct enclosing_watch *w, struct outcome *o)
{
	uint64_t after;

	if (w->events_fd < 0 || read_oom_kills(w, &after) < 0)
		return;
	o->enclosing_oom_kills = after > w->oom_kills_before ? after - w->oom_kills_before : 0;
	o->enclosing_dir = xasprintf("%s/%s", w->dir, w->events_file);
	if (!w->job_alone)
		return;	/* others' kills may be among them: not the job's evidence */
	/* The job's own count: outcome_decide() puts them down to a limit
	 * around the job ("other"). */
	o->oom_kills = (struct maybe_count){ true, o->enclosing_oom_kills };
	o->enclosing_attributed = true;
}

void enclosing_watch_free(struct enclosing_watch *w)
{
	safe_close(w->events_fd);
	free(w->dir);
	*w = (struct enclosing_watch){ .events_fd = -1 };
}
