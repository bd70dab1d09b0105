/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroupfs v2 manager: the unified hierarchy, memory.max,
 * memory.events, memory.peak, cgroup.kill, and the rule that only a
 * cgroup without processes hands controllers to its children (memrun
 * moves itself into a leaf of its own cgroup for it).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "util.h"

#define SUPERVISOR_LEAF_PREFIX "memrun-supervisor-"
#define OTHERS_SHOWN 5

struct v2_state {
	int events_fd;		/* memory.events, read by pread */
	int peak_fd;		/* memory.peak; -1: none (before 5.19) */
	struct timespec tree_mark;	/* the job's cgroup's ctime (cg_subdirs_mark) */
	bool made_cgroups;	/* the job made a cgroup below its own, or may have */
	/* memrun's own cgroup, locked while the job's cgroup is made in it,
	 * and the leaf memrun moved itself into there (prepare_parent), which
	 * restore_parent undoes. */
	int parent_lock_fd;
	int own_fd;
	char *leaf_name;
};

static void *v2_new_state(void)
{
	struct v2_state *st = xmalloc(sizeof(*st));

	*st = (struct v2_state){ .events_fd = -1, .peak_fd = -1, .parent_lock_fd = -1,
				 .own_fd = -1 };
	return st;
}

static void v2_free_state(void *state)
{
	struct v2_state *st = state;

	if (!st)
		return;
	safe_close(st->events_fd);
	safe_close(st->peak_fd);
	safe_close(st->parent_lock_fd);
	safe_close(st->own_fd);
	free(st->leaf_name);
	free(st);
}

/* The hierarchy's real root has no cgroup.type; a container's cgroup
 * namespace root does, and obeys the no-internal-processes rule. */
static bool is_hierarchy_root(int dir_fd)
{
	return !cg_exists(dir_fd, "cgroup.type");
}

static bool has_memory(int dir_fd, const char *file)
{
	char buf[512];

	return cg_read(dir_fd, file, buf, sizeof(buf)) >= 0 &&
	       list_contains(strtok(buf, "\n"), ' ', "memory");
}

static bool v2_in_memory_hierarchy(const char *dir)
{
	(void)dir;
	return true;	/* one hierarchy for every controller */
}

/* The memory controller may be off in the hierarchy. */
static bool v2_memory_enabled(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd >= 0 && has_memory(fd, "cgroup.controllers");
}

/*
 * cgroup v2 is there but memrun's cgroup was not given the memory
 * controller: on systemd hosts a user's manager (user@UID.service) gets
 * it only where the admin delegates it (systemd issue 9641).
 */
static char *v2_why_no_memory(const char *dir)
{
	if (strstr(dir, "/user@"))
		return xasprintf("the memory controller is not delegated to memrun's cgroup %s (its "
				 "cgroup.controllers lacks memory), so no memory limit can be set "
				 "below it; as root, delegate it to user managers: 'systemctl edit "
				 "user@.service', add '[Service]' and 'Delegate=pids memory cpu', "
				 "then log in again", dir);
	return xasprintf("the memory controller is not enabled for memrun's cgroup %s (its "
			 "cgroup.controllers lacks memory): the cgroup above it must list memory "
			 "in its cgroup.subtree_control (as root: echo +memory > "
			 "PARENT/cgroup.subtree_control, or Delegate=yes for a systemd unit)", dir);
}

/* The pids in dir's cgroup.procs other than memrun's own (0 stands for a
 * process of another pid namespace); up to max are kept. */
static int other_processes(int dir_fd, pid_t *others, int max)
{
	char buf[4096];
	int n = 0;

	ssize_t r = cg_read(dir_fd, "cgroup.procs", buf, sizeof(buf));

	if (r < 0)
		return (int)r;
	for (char *p = buf, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid == getpid())
			continue;
		if (n < max)
			others[n] = (pid_t)pid;
		n++;
	}
	return n;
}

static char *holds_processes(const char *parent, bool parent_is_own, const pid_t *others,
			     int count)
{
	char list[160] = "";
	size_t len = 0;

	for (int i = 0; i < count && i < OTHERS_SHOWN && len < sizeof(list); i++) {
		if (others[i])
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%d",
						i ? ", " : "pid ", (int)others[i]);
		else
			len += (size_t)snprintf(list + len, sizeof(list) - len,
						"%sone of another pid namespace", i ? ", " : "");
	}
	if (!parent_is_own)
		return xasprintf("cgroup_parent %s holds processes (%s), and cgroup v2 lets a cgroup "
				 "with processes hand no memory controller to its children: name "
				 "an empty cgroup", parent, list);
	return xasprintf("memrun's cgroup %s also holds other processes (%s, %d in all), and "
			 "cgroup v2 lets a cgroup with processes hand no memory controller to "
			 "its children; memrun will not put the job beside its cgroup, where the "
			 "limits memrun runs under would not bind it.  Start memrun in a cgroup "
			 "of its own (systemd-run --scope -p Delegate=yes memrun ..., with --user "
			 "as a user); in a container, first move the processes of its cgroup into "
			 "a child (mkdir /sys/fs/cgroup/init, then write each pid of "
			 "/sys/fs/cgroup/cgroup.procs into /sys/fs/cgroup/init/cgroup.procs); or "
			 "pass --cgroup-parent to an empty cgroup inside memrun's own "
			 "(--best-effort runs the job in memrun's cgroup, without its own limits)",
			 parent, list, count);
}

static int v2_check_parent(const char *parent, bool parent_is_own, char **ret_why)
{
	_cleanup_close_ int fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	pid_t others[OTHERS_SHOWN];
	int n;

	if (fd < 0) {
		int err = errno;

		*ret_why = xasprintf("cannot open %s: %s", parent, strerror(err));
		return -err;
	}
	if (has_memory(fd, "cgroup.subtree_control"))
		return 0;
	if (!has_memory(fd, "cgroup.controllers")) {
		*ret_why = xasprintf("the memory controller is not available in %s (not in its "
				     "cgroup.controllers): it must be enabled in the parent's "
				     "cgroup.subtree_control first (delegated)", parent);
		return -EOPNOTSUPP;
	}
	if (is_hierarchy_root(fd))
		return 0;
	/* memrun itself may be there: it moves into a leaf (prepare_parent). */
	n = other_processes(fd, others, OTHERS_SHOWN);
	if (n > 0) {
		*ret_why = holds_processes(parent, parent_is_own, others, n);
		return -EBUSY;
	}
	return 0;
}

/* Remove the empty leaves dead memruns left (rmdir fails on one that
 * holds a process; the lock keeps a leaf being made from going). */
static void remove_old_leaves(int dir_fd)
{
	_cleanup_close_ int list_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (list_fd < 0 || !(d = fdopendir(TAKE_FD(list_fd))))
		return;
	while ((de = readdir(d))) {
		_cleanup_close_ int leaf_fd = -1;

		if (de->d_type != DT_DIR || !startswith(de->d_name, SUPERVISOR_LEAF_PREFIX))
			continue;
		leaf_fd = openat(dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (leaf_fd >= 0 && flock(leaf_fd, LOCK_EX | LOCK_NB) == 0)
			unlinkat(dir_fd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* flock, waiting at most a second: anyone who may read the directory
 * may lock it, and memrun must not hang on a stranger's lock. */
static int lock_bounded(int fd)
{
	for (int waited = 0;; waited++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK || waited >= 1000)
			return -errno;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000L }, NULL);
	}
}

/*
 * v2 hands controllers only to the children of a cgroup without
 * processes: memrun, alone in its cgroup, moves itself into a leaf of it
 * (as crun and BenchExec do), so the job's cgroup can go beside that
 * leaf, still inside memrun's own cgroup and its limits.
 */
static int move_self_into_leaf(struct v2_state *st, int dir_fd, const char *parent,
			       char **ret_why)
{
	_cleanup_close_ int leaf_fd = -1;
	_cleanup_free_ char *name = NULL;
	int r;

	remove_old_leaves(dir_fd);
	name = xasprintf(SUPERVISOR_LEAF_PREFIX "%d-%016llx", (int)getpid(),
			 (unsigned long long)random_token());
	if (mkdirat(dir_fd, name, 0755) < 0) {
		r = -errno;
		*ret_why = xasprintf("cannot create %s/%s to move memrun into: %s", parent, name,
				     strerror(-r));
		return r;
	}
	leaf_fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Locked until memrun is in it: a sweeping memrun leaves it alone. */
	if (leaf_fd < 0 || flock(leaf_fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		unlinkat(dir_fd, name, AT_REMOVEDIR);
		*ret_why = xasprintf("cannot lock %s/%s: %s", parent, name, strerror(-r));
		return r;
	}
	r = cg_write(leaf_fd, "cgroup.procs", "0");
	if (r < 0) {
		unlinkat(dir_fd, name, AT_REMOVEDIR);
		*ret_why = xasprintf("cannot move memrun into %s/%s: %s", parent, name, strerror(-r));
		return r;
	}
	st->leaf_name = TAKE_PTR(name);
	st->own_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	return 0;
}

static int v2_prepare_parent(struct job_cgroup *cg, const char *parent, bool parent_is_own,
			     char **ret_why)
{
	struct v2_state *st = cg->state;
	_cleanup_close_ int fd = -1;
	int r = v2_check_parent(parent, parent_is_own, ret_why);

	if (r < 0)
		return r;
	/* Readable, not O_PATH: flock needs it. */
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		*ret_why = xasprintf("cannot open %s: %s", parent, strerror(err));
		return -err;
	}
	/*
	 * In memrun's own cgroup, another memrun may be ending and turning
	 * the memory controller off again (restore_parent): the lock, held
	 * until the job's cgroup exists, keeps that from racing this.
	 */
	if (parent_is_own && !is_hierarchy_root(fd)) {
		/* Not the directory: an outer memrun holds that when this one
		 * is its job. */
		int lock_fd = openat(fd, "cgroup.subtree_control", O_RDONLY | O_CLOEXEC);
		r = lock_fd < 0 ? -errno : lock_bounded(lock_fd);
		if (r < 0) {
			safe_close(lock_fd);
			*ret_why = xasprintf("cannot lock %s: %s", parent, strerror(-r));
			return r;
		}
		st->parent_lock_fd = lock_fd;
	}
	if (has_memory(fd, "cgroup.subtree_control"))
		return 0;
	r = cg_write(fd, "cgroup.subtree_control", "+memory");
	if (r == -EBUSY && parent_is_own && !is_hierarchy_root(fd)) {
		r = move_self_into_leaf(st, fd, parent, ret_why);
		if (r < 0)
			return r;
		r = cg_write(fd, "cgroup.subtree_control", "+memory");
	}
	if (r == -EBUSY) {
		pid_t others[OTHERS_SHOWN];
		int n = other_processes(fd, others, OTHERS_SHOWN);

		*ret_why = n > 0 ? holds_processes(parent, parent_is_own, others, n) :
				   xasprintf("%s is busy: %s", parent, strerror(EBUSY));
		return r;
	}
	if (r < 0) {
		*ret_why = xasprintf("cannot enable the memory controller in %s/cgroup.subtree_control: %s",
				     parent, strerror(-r));
		return r;
	}
	return 0;
}

static const char *v2_self_leaf(const struct job_cgroup *cg, int *ret_parent_fd)
{
	const struct v2_state *st = cg->state;

	*ret_parent_fd = st->own_fd;
	return st->leaf_name;
}

/*
 * memrun back into its own cgroup and its leaf gone, so nothing is left
 * behind: possible only with the memory controller off there again, so
 * only when no other cgroup is there (another memrun's job keeps it on;
 * then the leaf stays, and a later memrun removes it).
 */
static void v2_restore_parent(struct job_cgroup *cg)
{
	struct v2_state *st = cg->state;
	_cleanup_close_ int lock_fd = -1;
	struct stat dir;

	if (!st)
		return;
	/* Held only while the job's cgroup is made, and never twice. */
	st->parent_lock_fd = safe_close(st->parent_lock_fd);
	/* A file of the cgroup, not its directory: that may be the lock of an
	 * outer memrun whose job this memrun is. */
	lock_fd = st->own_fd < 0 ? -1 :
		openat(st->own_fd, "cgroup.subtree_control", O_RDONLY | O_CLOEXEC);
	if (!st->leaf_name || lock_fd < 0 || lock_bounded(lock_fd) < 0)
		return;
	/* A directory of the cgroup file system counts 2 + its subdirectories. */
	if (fstat(st->own_fd, &dir) == 0 && dir.st_nlink == 3 &&
	    cg_write(st->own_fd, "cgroup.subtree_control", "-memory") == 0 &&
	    cg_write(st->own_fd, "cgroup.procs", "0") == 0)
		unlinkat(st->own_fd, st->leaf_name, AT_REMOVEDIR);
}

static int v2_apply_limits(struct job_cgroup *cg, const struct plan *plan, char **ret_why)
{
	struct v2_state *st = cg->state;
	static const struct {
		enum setting_id id;
		const char *file;
	} limits[] = {
		{ SETTING_MEMORY_MAX, "memory.max" },
		{ SETTING_MEMORY_HIGH, "memory.high" },
		{ SETTING_SWAP_MAX, "memory.swap.max" },
	};
	int r;

	/* The job's cgroup exists: a memrun ending in the same parent sees
	 * it, and may take the lock prepare_parent held. */
	st->parent_lock_fd = safe_close(st->parent_lock_fd);
	for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
		if (!plan->values[limits[i].id].set)
			continue;
		r = cgroup_write_limit(cg, limits[i].file, plan->limit_bytes[limits[i].id], ret_why);
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
	st->peak_fd = openat(cg->dir_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
	st->events_fd = openat(cg->dir_fd, "memory.events", O_RDONLY | O_CLOEXEC);
	if (st->events_fd < 0) {
		int err = errno;

		*ret_why = xasprintf("cannot open %s/memory.events: %s", cg->dir, strerror(err));
		return -err;
	}
	return 0;
}

static int v2_open_watch(struct job_cgroup *cg)
{
	struct v2_state *st = cg->state;
	_cleanup_close_ int fd = epoll_create1(EPOLL_CLOEXEC);
	int r;

	/* An epoll set, not inotify, whose close waits for the kernel's mark
	 * reaper (milliseconds). */
	if (fd < 0)
		return -errno;
	r = cgroup_v2_watch_events(fd, st->events_fd);
	if (r < 0)
		return r;
	/* A cgroup the job makes below its own: its OOM kills are counted in
	 * memory.events unless the hierarchy is mounted memory_localevents. */
	if (cg_subdirs_mark(cg->dir_fd, &st->tree_mark) < 0)
		st->made_cgroups = true;	/* cannot tell: may have */
	return TAKE_FD(fd);
}

/* kernfs raises EPOLLPRI on a change of memory.events and keeps it until
 * the file is read again; a file just opened reads as changed. */
int cgroup_v2_watch_events(int watch_fd, int events_fd)
{
	char buf[512];

	if (epoll_ctl(watch_fd, EPOLL_CTL_ADD, events_fd,
		      &(struct epoll_event){ .events = EPOLLPRI, .data.fd = events_fd }) < 0)
		return -errno;
	(void)!cg_pread(events_fd, buf, sizeof(buf));
	return 0;
}

void cgroup_v2_events_read(struct job_cgroup *cg, int events_fd)
{
	struct cgroup_counters seen;

	/* The read clears EPOLLPRI.  A file that cannot be read (its cgroup
	 * removed under the job) leaves the set, so as not to wake it again. */
	if (cgroup_read_evidence(cg, &seen) < 0)
		epoll_ctl(cg->watch_fd, EPOLL_CTL_DEL, events_fd, NULL);
}

/* The kernel acts on memory.oom.group itself: an event only feeds the
 * evidence (memory.current sampled where there is no memory.peak). */
static void v2_on_event(struct job_cgroup *cg)
{
	struct v2_state *st = cg->state;

	cgroup_v2_events_read(cg, st->events_fd);
}

static bool v2_made_cgroups(struct job_cgroup *cg)
{
	struct v2_state *st = cg->state;

	return st->made_cgroups || cg_subdirs_changed(cg->dir_fd, &st->tree_mark);
}

int cgroup_v2_read_events(int events_fd, int peak_fd, int dir_fd, struct cgroup_counters *ret)
{
	char buf[512];
	uint64_t current;
	ssize_t n = cg_pread(events_fd, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	/* Hierarchical counts: sub-cgroups the job makes are the job too. */
	cg_keyed_u64(buf, "oom", &ret->oom);
	cg_keyed_u64(buf, "oom_kill", &ret->oom_kill);
	cg_keyed_u64(buf, "oom_group_kill", &ret->oom_group_kill);
	cg_keyed_u64(buf, "max", &ret->max);
	cg_keyed_u64(buf, "high", &ret->high);
	/* memory.peak came with 5.19; before it, the largest usage memrun saw. */
	if (peak_fd >= 0 && cg_pread_u64(peak_fd, &ret->peak_bytes) == 0) {
		ret->peak_sampled = false;
	} else if (cg_read_u64(dir_fd, "memory.current", &current) == 0) {
		if (current > ret->peak_bytes)
			ret->peak_bytes = current;
		ret->peak_sampled = true;
	}
	return 0;
}

static int v2_read_counters(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	struct v2_state *st = cg->state;

	return cgroup_v2_read_events(st->events_fd, st->peak_fd, cg->dir_fd, ret);
}

int cgroup_v2_read_local_oom_kills(int dir_fd, uint64_t *ret_kills, bool *ret_limit_hit)
{
	char buf[512];
	uint64_t ooms = 0;
	ssize_t n = cg_read(dir_fd, "memory.events.local", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	/* "oom": its own limit made the kernel invoke the OOM killer. */
	*ret_limit_hit = cg_keyed_u64(buf, "oom", &ooms) == 0 && ooms > 0;
	return cg_keyed_u64(buf, "oom_kill", ret_kills);
}

/* memory.events counts what happens below too, unless the hierarchy is
 * mounted with memory_localevents (one flag for every mount of it). */
bool cgroup_v2_counters_cover_subtree(void)
{
	_cleanup_free_ char *mountinfo = NULL, *mountpoint = NULL, *root = NULL, *options = NULL;

	if (read_file_alloc("/proc/self/mountinfo", &mountinfo) < 0 ||
	    cgroup_parse_mountinfo(mountinfo, true, &mountpoint, &root, &options) < 0)
		return false;	/* cannot tell: count them one by one */
	return !list_contains(options, ',', "memory_localevents");
}

const char *const cgroup_v2_delegate_files[] = {
	"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", NULL,
};

int cgroup_v2_kill_all(int dir_fd)
{
	/* cgroup.kill (5.14+) ends every process at once, forks in flight too. */
	return cg_write(dir_fd, "cgroup.kill", "1");
}

const struct cgroup_manager cgroup_v2_manager = {
	.name = "cgroup v2",
	.report_name = "cgroupfs",
	/* join_file only before Linux 5.7, without clone3(CLONE_INTO_CGROUP). */
	CGROUP_V2_TABLE_FILES,
	.clone_into = true,

	.in_memory_hierarchy = v2_in_memory_hierarchy,
	.memory_enabled = v2_memory_enabled,
	.why_no_memory = v2_why_no_memory,
	.check_parent = v2_check_parent,

	.new_state = v2_new_state,
	.prepare_parent = v2_prepare_parent,
	.self_leaf = v2_self_leaf,
	.apply_limits = v2_apply_limits,
	.open_watch = v2_open_watch,
	.restore_parent = v2_restore_parent,

	.on_event = v2_on_event,
	.made_cgroups = v2_made_cgroups,
	.read_counters = v2_read_counters,
	.kill_all = cgroup_v2_kill_all,
	.read_local_oom_kills = cgroup_v2_read_local_oom_kills,
	.counters_cover_subtree = cgroup_v2_counters_cover_subtree,
	.finish = NULL,
	.free_state = v2_free_state,
};
