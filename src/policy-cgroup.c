/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy-cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "size.h"
#include "util.h"

static bool has_memory(int dir_fd, const char *file)
{
	char buf[512];

	return cg_read(dir_fd, file, buf, sizeof(buf)) >= 0 &&
	       list_contains(strtok(buf, "\n"), ' ', "memory");
}

/* "+memory" into dir's subtree_control file, where the hierarchy has one. */
static int hand_memory_down(const struct cgroup_manager *m, int dir_fd, const char *dir,
			    char **ret_why)
{
	int r;

	if (!m->subtree_control_file || has_memory(dir_fd, m->subtree_control_file))
		return 0;
	r = cg_write(dir_fd, m->subtree_control_file, "+memory");
	if (r == -EBUSY)
		*ret_why = xasprintf("cannot write +memory to %s/%s: processes are in %s itself, "
				     "and cgroup v2 hands controllers down only from a cgroup "
				     "without processes: move them into a cgroup below it first",
				     dir, m->subtree_control_file, dir);
	else if (r < 0)
		*ret_why = xasprintf("cannot write +memory to %s/%s: %s", dir, m->subtree_control_file,
				     strerror(-r));
	return r;
}

int totals_cgroup_prepare(const struct cgroup_place *place, char **ret_why)
{
	const struct cgroup_manager *m = place->manager;
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int top_fd = -1, fd = -1;
	struct stat st;
	int r;

	if (!m) {
		*ret_why = xstrdup(place->why_none);
		return -ENOENT;
	}
	top_fd = open(place->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top_fd < 0) {
		r = -errno;
		*ret_why = xasprintf("cannot open %s: %s", place->mountpoint, strerror(-r));
		return r;
	}
	r = hand_memory_down(m, top_fd, place->mountpoint, ret_why);
	if (r < 0)
		return r;
	dir = xasprintf("%s/" TOTALS_CGROUP, place->mountpoint);
	if (mkdirat(top_fd, TOTALS_CGROUP, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		*ret_why = xasprintf("cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	fd = openat(top_fd, TOTALS_CGROUP, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		*ret_why = xasprintf("cannot open %s: %s", dir, strerror(-r));
		return r;
	}
	/* Only root makes cgroups at the top: another owner is no cgroup
	 * of memrun's, and its users' totals would be that owner's. */
	if (st.st_uid != 0) {
		*ret_why = xasprintf("%s is owned by uid %u, not root: remove it (rmdir) and run "
				     "`memrun policy apply` again", dir, (unsigned)st.st_uid);
		return -EPERM;
	}
	return hand_memory_down(m, fd, dir, ret_why);
}

/* What was done, appended: "created, memory.max 128 MiB". */
static void note(char **done, const char *what)
{
	char *more = xasprintf("%s%s%s", *done ? *done : "", *done ? ", " : "", what);

	free(*done);
	*done = more;
}

static int delegate(const struct total_location *loc, int fd, gid_t gid, bool *ret_changed,
		    char **ret_why)
{
	const struct cgroup_manager *m = loc->manager;
	struct stat st;

	*ret_changed = false;
	if (fstat(fd, &st) < 0 || ((st.st_uid != loc->uid || st.st_gid != gid) &&
				   fchown(fd, loc->uid, gid) < 0)) {
		int err = errno;

		*ret_why = xasprintf("cannot chown %s: %s", loc->dir, strerror(err));
		return -err;
	}
	*ret_changed = st.st_uid != loc->uid || st.st_gid != gid;
	for (const char *const *f = m->delegate_files; f && *f; f++) {
		if (fstatat(fd, *f, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == loc->uid &&
		    st.st_gid == gid)
			continue;
		if (fchownat(fd, *f, loc->uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
			int err = errno;

			*ret_why = xasprintf("cannot chown %s/%s: %s", loc->dir, *f, strerror(err));
			return -err;
		}
		*ret_changed = true;
	}
	return 0;
}

int total_cgroup_apply(const struct total_location *loc, gid_t gid, uint64_t bytes,
		       char **ret_done, char **ret_why)
{
	const struct cgroup_manager *m = loc->manager;
	_cleanup_free_ char *done = NULL;
	_cleanup_close_ int fd = -1;
	struct total_state state;
	char size[32], was[32];
	bool changed;
	int r;

	r = total_read_state(loc, &state);
	if (r < 0) {
		*ret_why = xasprintf("cannot open %s: %s", loc->dir, strerror(-r));
		return r;
	}
	if (!state.exists) {
		if (mkdir(loc->dir, 0755) < 0) {
			r = -errno;
			*ret_why = xasprintf("cannot create %s: %s", loc->dir, strerror(-r));
			return r;
		}
		note(&done, "created");
	}
	fd = open(loc->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		*ret_why = xasprintf("cannot open %s: %s", loc->dir, strerror(-r));
		return r;
	}
	/* The limit first, then the controller, then the user: nothing of
	 * the user's gets in before the total binds it. */
	if (!state.limit_known || state.limit != total_limit_rounded(bytes)) {
		r = cg_write_u64(fd, m->memory_max_file, bytes);
		if (r < 0) {
			*ret_why = xasprintf("cannot write %s to %s/%s: %s%s", size_format(bytes, size),
					     loc->dir, m->memory_max_file, strerror(-r),
					     r == -EBUSY ? " (the user's jobs there use more than "
							   "that now)" : "");
			return r;
		}
		if (state.exists && state.limit_known) {
			char *what = xasprintf("%s %s (was %s)", m->memory_max_file,
					       size_format(bytes, size),
					       state.limit == LIMIT_UNLIMITED ? "max" :
					       size_format(state.limit, was));
			note(&done, what);
			free(what);
		} else {
			char *what = xasprintf("%s %s", m->memory_max_file, size_format(bytes, size));
			note(&done, what);
			free(what);
		}
	}
	r = hand_memory_down(m, fd, loc->dir, ret_why);
	if (r < 0)
		return r;
	if (m->subtree_control_file && !state.memory_below)
		note(&done, "memory controller handed to the jobs' cgroups");
	r = delegate(loc, fd, gid, &changed, ret_why);
	if (r < 0)
		return r;
	if (changed)
		note(&done, "delegated");
	*ret_done = done ? TAKE_PTR(done) : xstrdup("unchanged");
	return 0;
}

int totals_cgroup_list(const struct cgroup_place *place, uid_t **ret, size_t *ret_count)
{
	_cleanup_free_ char *dir = NULL;

	*ret = NULL;
	*ret_count = 0;
	if (!place->manager)
		return 0;
	dir = xasprintf("%s/" TOTALS_CGROUP, place->mountpoint);
	return total_uids_in_dir(dir, "", true, NULL, ret, ret_count);
}

int total_cgroup_remove(const struct total_location *loc, char **ret_why)
{
	int r;

	if (rmdir(loc->dir) == 0 || errno == ENOENT)
		return 0;
	r = -errno;
	if (r == -EBUSY || r == -ENOTEMPTY)
		return -EBUSY;
	*ret_why = xasprintf("cannot remove %s: %s", loc->dir, strerror(-r));
	return r;
}

int totals_cgroup_remove(const struct cgroup_place *place)
{
	_cleanup_free_ char *dir = NULL;

	if (!place->manager)
		return 0;
	dir = xasprintf("%s/" TOTALS_CGROUP, place->mountpoint);
	return rmdir(dir) == 0;
}
