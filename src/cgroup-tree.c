/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tree of cgroups below the job's: signalling and killing every
 * process in it, counting its OOM kills, removing it deepest first, and
 * the sweep of stale job cgroups that killed memruns left.  Nothing here
 * allocates: the supervisor loop kills through it.
 */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "oomd.h"
#include "util.h"

/* What the sweep at the start killed is given this long at the end of the
 * job to be gone; what is still there waits for the next run. */
#define STALE_DRAIN_TIMEOUT_MS 100
#define RMDIR_TIMEOUT_MS 1000
/* How deep memrun follows the cgroups a job makes below its own. */
#define TREE_MAX_DEPTH 32

static void reap_zombies(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Signal a pid listed in a cgroup; whether it counts as one of the job's.
 * memrun itself is neither: root in the job can write memrun's pid into
 * the job's cgroup.  0 stands for a process of another pid namespace (v2
 * lists it so): counted, never signalled, as kill(0) would signal
 * memrun's own process group.
 */
static int signal_pid(long pid, int sig, pid_t self)
{
	if (pid == self)
		return 0;
	if (sig && pid > 0 && pid <= INT32_MAX)
		kill((pid_t)pid, sig);	/* ESRCH: it ended meanwhile */
	return 1;
}

/* Send sig (0: none) to every pid in cgroup.procs but memrun's own;
 * returns how many are listed.  No allocation: it also runs in the
 * supervisor loop. */
static int signal_listed(int dir_fd, int sig)
{
	_cleanup_close_ int fd = openat(dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	pid_t self = getpid();
	char buf[4096];
	long pid = 0;
	bool in_number = false;
	int count = 0, err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				if (pid <= INT32_MAX)
					pid = pid * 10 + (buf[i] - '0');
				in_number = true;
				continue;
			}
			if (in_number)
				count += signal_pid(pid, sig, self);
			pid = 0;
			in_number = false;
		}
	}
	err = n < 0 ? errno : 0;	/* before kill() can change it */
	if (in_number)
		count += signal_pid(pid, sig, self);
	return err ? -err : count;
}

/*
 * Home before anything kills a cgroup whole: root in the job can write
 * memrun's pid into the job's cgroup, or one below it, and cgroup.kill
 * there would end memrun too.  Where memrun is at home, as it is but for
 * such a job, this only reads /proc/self/cgroup: a move costs the kernel
 * an RCU grace period.
 */
int cgroup_ensure_home(struct job_cgroup *cg)
{
	char proc[8192];
	const char *path;
	size_t len = 0;
	ssize_t n;

	if (!cg->home_path)
		return -ENOENT;
	n = read_small_file("/proc/self/cgroup", proc, sizeof(proc));
	if (n < 0)
		return (int)n;
	if ((size_t)n >= sizeof(proc) - 1)
		return -E2BIG;	/* cut short: never act on part of a path */
	path = cgroup_proc_path(proc, cg->manager->unified, &len);
	if (path && len == strlen(cg->home_path) && memcmp(path, cg->home_path, len) == 0)
		return 0;
	/* Elsewhere, or not told in full: back home either way. */
	return cg->home_fd < 0 ? -EBADF : cg_write(cg->home_fd, "cgroup.procs", "0");
}

/*
 * The cgroups below a job's: a job may make its own (a build tool, a
 * memrun inside memrun), and they and their processes are the job's.
 * walk_below() calls visit on each, children before their parent, with
 * the parent's fd and the child's name and fd.  It enters directories of
 * the same file system only, never a symlink or a mount, down to
 * TREE_MAX_DEPTH, and allocates nothing: the supervisor loop kills
 * through it.
 */
struct tree_walk {
	int (*visit)(struct tree_walk *w, int parent_fd, const char *name, int dir_fd);
	dev_t dev;
	int sig;				/* visit_signal */
	const struct cgroup_manager *manager;	/* visit_oom_kills */
	uint64_t oom_kills;
	bool limit_hit;		/* visit_oom_kills: a limit below the job's was reached */
	struct oomd_marks *oomd_marks;	/* visit_oomd_marks */
	bool too_deep;		/* cgroups below TREE_MAX_DEPTH were not visited */
};

static int walk_below(struct tree_walk *w, int dir_fd, int depth)
{
	char buf[1024] __attribute__((aligned(__alignof__(struct dirent64))));
	int total = 0;
	ssize_t n;

	/* The fd may have been listed before (the job's own, again and again). */
	if (lseek(dir_fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = getdents64(dir_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			_cleanup_close_ int child_fd = -1;
			struct stat st;
			int r;

			off += de->d_reclen;
			if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			if (depth >= TREE_MAX_DEPTH) {
				w->too_deep = true;
				continue;
			}
			/* Never into a mount: a job may bind another cgroup here. */
			child_fd = cg_open_subdir(dir_fd, de->d_name);
			if (child_fd < 0 || fstat(child_fd, &st) < 0 || st.st_dev != w->dev)
				continue;
			/* A cgroup removed meanwhile has nothing below it. */
			r = walk_below(w, child_fd, depth + 1);
			total += r > 0 ? r : 0;
			total += w->visit(w, dir_fd, de->d_name, child_fd);
		}
	}
	return n < 0 ? -errno : total;
}

static int walk_tree_below(struct tree_walk *w, int dir_fd)
{
	struct stat st;

	if (fstat(dir_fd, &st) < 0)
		return -errno;
	/* kernfs counts a directory's subdirectories in st_nlink (2 + them):
	 * with none, listing its dozens of files finds nothing (at the end a
	 * job's cgroup is walked three times). */
	if (st.st_nlink == 2)
		return 0;
	w->dev = st.st_dev;
	return walk_below(w, dir_fd, 0);
}

static int visit_signal(struct tree_walk *w, int parent_fd, const char *name, int dir_fd)
{
	int listed = signal_listed(dir_fd, w->sig);

	(void)parent_fd;
	(void)name;
	return listed > 0 ? listed : 0;	/* gone meanwhile: nothing listed */
}

/* Send sig (0: none) to every process in the cgroup and below it; how
 * many are listed.  No allocation. */
static int signal_tree(int dir_fd, int sig)
{
	struct tree_walk w = { .visit = visit_signal, .sig = sig };
	int here = signal_listed(dir_fd, sig), below;

	if (here < 0)
		return here;
	below = walk_tree_below(&w, dir_fd);
	/* Too deep to walk: not empty, as far as memrun can tell. */
	return here + (below > 0 ? below : 0) + w.too_deep;
}

static int visit_remove(struct tree_walk *w, int parent_fd, const char *name, int dir_fd)
{
	(void)w;
	(void)dir_fd;
	return unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : 1;
}

/* Remove every cgroup below dir_fd, deepest first, each once; how many
 * are left, or -errno. */
static int remove_below(int dir_fd)
{
	struct tree_walk w = { .visit = visit_remove };
	int left = walk_tree_below(&w, dir_fd);

	return left < 0 ? left : left + w.too_deep;
}

static int visit_oom_kills(struct tree_walk *w, int parent_fd, const char *name, int dir_fd)
{
	uint64_t kills = 0;
	bool limit_hit = false;

	(void)parent_fd;
	(void)name;
	if (w->manager->read_local_oom_kills(dir_fd, &kills, &limit_hit) == 0)
		w->oom_kills += kills;
	w->limit_hit |= limit_hit;
	return 0;
}

uint64_t cgroup_oom_kills_below(struct job_cgroup *cg, bool *ret_limit_hit)
{
	struct tree_walk w = { .visit = visit_oom_kills, .manager = cg->manager };

	walk_tree_below(&w, cg->dir_fd);
	*ret_limit_hit = w.limit_hit;
	return w.oom_kills;
}

static int visit_oomd_marks(struct tree_walk *w, int parent_fd, const char *name, int dir_fd)
{
	(void)parent_fd;
	(void)name;
	oomd_read_marks(dir_fd, w->oomd_marks);
	return 0;
}

void cgroup_oomd_marks(struct job_cgroup *cg, struct oomd_marks *own, struct oomd_marks *below)
{
	struct tree_walk w = { .visit = visit_oomd_marks, .oomd_marks = below };

	oomd_read_marks(cg->dir_fd, own);
	walk_tree_below(&w, cg->dir_fd);
}

/* The job's processes are memrun's children (it is their subreaper) and
 * are reaped here. */
int cgroup_empty_job(struct job_cgroup *cg, bool at_home, long timeout_ms)
{
	/* cgroup.kill (v2) ends the whole subtree at once, forks in flight
	 * too: not where memrun itself may be among them. */
	bool killed_at_once = at_home && cg->manager->kill_all(cg->dir_fd) == 0;

	for (long waited = 0; waited < timeout_ms; waited++) {
		int listed;

		reap_zombies();
		/* Without cgroup.kill, kill again each round: forks race the lists. */
		listed = signal_tree(cg->dir_fd, killed_at_once ? 0 : SIGKILL);
		if (listed <= 0)
			return listed;
		sleep_ms(1);
	}
	return -EBUSY;
}

/* The job's cgroup and what the job made below it, deepest first. */
static int remove_tree(int parent_fd, const char *name, int dir_fd)
{
	int left;

	for (long waited = 0; (left = remove_below(dir_fd)) > 0 && waited < RMDIR_TIMEOUT_MS;
	     waited++)
		sleep_ms(1);
	if (left != 0)
		return left < 0 ? left : -EBUSY;
	return cg_rmdir(parent_fd, name);
}

/*
 * The job's cgroup when it is not there by its name: a job may rename it
 * (v1 renames within the same parent; v2 renames nothing), and no sweep
 * would ever find it under a name not memrun's.  Its fd knows where it
 * is now; the directory there must be the same one.  *where (size bytes)
 * gets the path it has now, for a message.
 */
static int remove_renamed(struct job_cgroup *cg, char *where, size_t size)
{
	_cleanup_close_ int parent_fd = -1;
	struct stat job, there;
	char link[64], *slash;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", cg->dir_fd);
	n = readlink(link, where, size - 1);
	if (n < 0 || fstat(cg->dir_fd, &job) < 0)
		return -errno;
	where[n] = '\0';
	slash = strrchr(where, '/');
	if (!slash || slash == where)
		return -ENOENT;
	*slash = '\0';
	parent_fd = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (parent_fd < 0)
		return -errno;
	if (fstatat(parent_fd, slash + 1, &there, AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;

		/* Removed, by the job: nothing is left.  (A name that ends so
		 * but is there was found above.) */
		if (err == ENOENT && n >= 10 && streq(where + n - 10, " (deleted)"))
			return 0;
		return -err;
	}
	if (there.st_dev != job.st_dev || there.st_ino != job.st_ino)
		return -ENOENT;	/* renamed again meanwhile */
	return cg_rmdir(parent_fd, slash + 1);
}

int cgroup_remove_job_tree(struct job_cgroup *cg, char *where, size_t size)
{
	int r;

	snprintf(where, size, "%s", cg->dir);
	r = remove_tree(cg->parent_fd, strrchr(cg->dir, '/') + 1, cg->dir_fd);
	return r == -ENOENT ? remove_renamed(cg, where, size) : r;
}

/*
 * A stale cgroup, locked by the caller: kill everything in it and below,
 * without waiting for anything to die, and remove what is empty.  Returns
 * 1 when it is gone, else 0 (*ret_killed: processes were signalled there,
 * and it may go soon).  at_home: memrun is not among them
 * (cgroup_ensure_home), and cgroup.kill may end them all at once.
 */
static int sweep_one(const struct cgroup_manager *manager, int parent_fd, const char *name,
		     int dir_fd, bool at_home, bool *ret_killed)
{
	int listed = signal_tree(dir_fd, at_home && manager->kill_all(dir_fd) == 0 ? 0 : SIGKILL);

	if (remove_below(dir_fd) == 0 && unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
		return 1;
	*ret_killed = listed > 0;
	return 0;
}

/*
 * Remove the memrun cgroups beside the job's whose memrun is gone; what
 * cannot be removed yet is counted in *ret_pending when processes were
 * killed there.  How many were removed, or -errno.  It runs while the job
 * starts and at its end: the listing goes through a buffer on the stack,
 * as walk_below's does, so that nothing is allocated.
 */
static int remove_stale(struct job_cgroup *cg, unsigned *ret_pending)
{
	char buf[1024] __attribute__((aligned(__alignof__(struct dirent64))));
	unsigned pending = 0;
	int removed = 0, home = 1;	/* 1: not looked at yet */
	ssize_t n;

	/* The fd is listed again at the end. */
	if (lseek(cg->parent_fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = getdents64(cg->parent_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			_cleanup_close_ int fd = -1;
			bool killed = false;
			uint64_t token;
			pid_t pid;

			off += de->d_reclen;
			if (de->d_type != DT_DIR || !cgroup_parse_job_name(de->d_name, &pid, &token))
				continue;
			/*
			 * A live memrun holds the lock on its job's cgroup from
			 * before any process joined it until the cgroup is gone,
			 * whatever pid namespace it runs in: a cgroup memrun can
			 * lock is nobody's, and what is in it is left over.  The
			 * lock is held while it is killed and removed (closing fd
			 * releases it).
			 */
			fd = cg_open_subdir(cg->parent_fd, de->d_name);
			if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
				continue;
			/* Its cgroup.kill must not end memrun, if a job moved
			 * memrun there. */
			if (home > 0)
				home = cgroup_ensure_home(cg);
			if (sweep_one(cg->manager, cg->parent_fd, de->d_name, fd, home == 0, &killed))
				removed++;
			else if (killed)
				pending++;
		}
	}
	*ret_pending = pending;
	return n < 0 ? -errno : removed;
}

void cgroup_remove_stale_siblings(struct job_cgroup *cg)
{
	if (cg->parent_fd < 0)
		return;	/* no cgroup of the job's, and none beside it */
	/* While the job starts: nothing here may wait for the leftovers. */
	remove_stale(cg, &cg->stale_pending);
}

/* What the sweep at the start killed has had the job's time to die; a
 * moment more, then it is left for the next run. */
void cgroup_remove_stale_pending(struct job_cgroup *cg)
{
	unsigned pending = cg->stale_pending;

	for (long waited = 0; pending && waited < STALE_DRAIN_TIMEOUT_MS; waited++) {
		if (remove_stale(cg, &pending) < 0)
			break;
		if (pending)
			sleep_ms(1);
	}
	cg->stale_pending = pending;
}

int cgroup_signal_all(struct job_cgroup *cg, int sig)
{
	return signal_tree(cg->dir_fd, sig);
}

int cgroup_kill_now(struct job_cgroup *cg)
{
	if (cgroup_ensure_home(cg) == 0 && cg->manager->kill_all(cg->dir_fd) == 0)
		return 0;
	return signal_tree(cg->dir_fd, SIGKILL);
}
