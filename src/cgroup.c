/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the job's cgroup goes, and its life from creation to removal. */
#include "cgroup.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "kmsg.h"
#include "util.h"

#define JOB_PREFIX "memrun-"
#define DRAIN_TIMEOUT_MS 5000
/* A stale cgroup is swept while the job starts: the supervisor must not
 * stay away from its job long; what does not die by then waits for the
 * next run. */
#define STALE_DRAIN_TIMEOUT_MS 100
#define RMDIR_TIMEOUT_MS 1000

/* ---- parsers ---------------------------------------------------------- */

static char *take_line(const char **p)
{
	const char *end = strchrnul(*p, '\n');
	char *line = strndup(*p, (size_t)(end - *p));

	*p = *end ? end + 1 : end;
	return line ? line : xstrdup("");
}

int cgroup_parse_proc_cgroup(const char *text, char **ret_v2_path, char **ret_v1_memory_path)
{
	*ret_v2_path = *ret_v1_memory_path = NULL;
	for (const char *p = text; *p;) {
		_cleanup_free_ char *line = take_line(&p);
		char *controllers, *path;

		/* "hierarchy-ID:controller-list:cgroup-path"; the path may hold ':'. */
		controllers = strchr(line, ':');
		if (!controllers)
			continue;
		*controllers++ = '\0';
		path = strchr(controllers, ':');
		if (!path)
			continue;
		*path++ = '\0';
		if (streq(line, "0") && !*controllers && !*ret_v2_path)
			*ret_v2_path = xstrdup(path);
		else if (list_contains(controllers, ',', "memory") && !*ret_v1_memory_path)
			*ret_v1_memory_path = xstrdup(path);
	}
	return *ret_v2_path || *ret_v1_memory_path ? 0 : -ENOENT;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

int cgroup_parse_mountinfo(const char *text, bool v2, char **ret_mountpoint, char **ret_root,
			   char **ret_superopts)
{
	for (const char *p = text; *p;) {
		_cleanup_free_ char *line = take_line(&p);
		char *fields[6] = { NULL }, *save = NULL, *sep, *fstype, *superopts;
		unsigned n = 0;

		/* "36 35 98:0 ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (char *f = strtok_r(line, " ", &save); f && n < 6; f = strtok_r(NULL, " ", &save))
			fields[n++] = f;
		if (n < 5)
			continue;
		save = NULL;
		fstype = strtok_r(sep + 3, " ", &save);
		if (!fstype || !strtok_r(NULL, " ", &save))
			continue;
		superopts = strtok_r(NULL, " ", &save);
		if (v2 ? !streq(fstype, "cgroup2") :
			 !(streq(fstype, "cgroup") && superopts && list_contains(superopts, ',', "memory")))
			continue;
		unescape_octal(fields[3]);
		unescape_octal(fields[4]);
		*ret_root = xstrdup(fields[3]);
		*ret_mountpoint = xstrdup(fields[4]);
		if (ret_superopts)
			*ret_superopts = xstrdup(superopts ? superopts : "");
		return 0;
	}
	return -ENOENT;
}

char *cgroup_path_to_dir(const char *mountpoint, const char *mount_root, const char *path)
{
	size_t rlen = strlen(mount_root);

	if (streq(mount_root, "/"))
		return xasprintf("%s%s", mountpoint, streq(path, "/") ? "" : path);
	if (strncmp(path, mount_root, rlen) != 0 || (path[rlen] != '\0' && path[rlen] != '/'))
		return NULL;
	return xasprintf("%s%s", mountpoint, path + rlen);
}

char *cgroup_job_name(pid_t supervisor, unsigned long long start_time)
{
	return xasprintf(JOB_PREFIX "%d-%llu", (int)supervisor, start_time);
}

bool cgroup_parse_job_name(const char *name, pid_t *ret_pid, unsigned long long *ret_start)
{
	unsigned long long start;
	char *end;
	long pid;

	if (!startswith(name, JOB_PREFIX))
		return false;
	name += strlen(JOB_PREFIX);
	/* strtol and strtoull take white space and a sign ("memrun-1--2"):
	 * not a name memrun makes, so not a cgroup memrun may remove. */
	if (!isdigit((unsigned char)*name))
		return false;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || end == name || *end != '-' || pid <= 0 || pid > INT32_MAX)
		return false;
	name = end + 1;
	if (!isdigit((unsigned char)*name))
		return false;
	start = strtoull(name, &end, 10);
	if (errno || end == name || *end != '\0')
		return false;
	*ret_pid = (pid_t)pid;
	*ret_start = start;
	return true;
}

/* ---- the place -------------------------------------------------------- */

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks
 * since boot.  With the pid it names a process for good. */
static int process_start_time(pid_t pid, unsigned long long *ret)
{
	char path[64], buf[1024], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strrchr(buf, ')');	/* the command name may hold spaces and ')' */
	if (!p)
		return -EINVAL;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", ret) != 1)
		return -EINVAL;
	return 0;
}

static bool dir_has_memory_controller(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[512];

	return fd >= 0 && cg_read(fd, "cgroup.controllers", buf, sizeof(buf)) >= 0 &&
	       list_contains(strtok(buf, "\n"), ' ', "memory");
}

void cgroup_find_enclosing_limit(struct cgroup_place *place)
{
	_cleanup_free_ char *dir = NULL;
	size_t top;

	place->enclosing_limit = LIMIT_UNLIMITED;
	if (!place->backend)
		return;
	dir = xstrdup(place->own_dir);
	top = strlen(place->mountpoint);
	for (;;) {
		uint64_t limit = place->backend->enclosing_limit(dir);
		char *slash;

		if (limit < place->enclosing_limit) {
			place->enclosing_limit = limit;
			free(place->enclosing_limit_dir);
			place->enclosing_limit_dir = xstrdup(dir);
		}
		slash = strrchr(dir, '/');
		if (strlen(dir) <= top || !slash || (size_t)(slash - dir) < top)
			break;
		*slash = '\0';
	}
}

/* Where the hierarchies usually are (the layout systemd mounts). */
#define USUAL_V2_MOUNT "/sys/fs/cgroup"
#define USUAL_V1_MEMORY_MOUNT "/sys/fs/cgroup/memory"

/* Take mountpoint and root (malloc'ed) as the place when memrun's cgroup
 * path resolves there to a cgroup that can carry memory limits. */
static bool take_place(struct cgroup_place *place, bool v2, char *mountpoint, char *root,
		       char **path, bool must_exist)
{
	_cleanup_free_ char *probe = NULL;

	place->mountpoint = mountpoint;
	place->mount_root = root;
	place->own_dir = cgroup_path_to_dir(mountpoint, root, *path);
	if (place->own_dir && !v2 && must_exist)
		probe = xasprintf("%s/memory.limit_in_bytes", place->own_dir);
	/* On v2 the memory controller may be off in the hierarchy. */
	if (place->own_dir && (!v2 || dir_has_memory_controller(place->own_dir)) &&
	    (!probe || access(probe, F_OK) == 0)) {
		place->backend = v2 ? &cgroup_v2_backend : &cgroup_v1_backend;
		place->own_path = TAKE_PTR(*path);
		return true;
	}
	free(place->own_dir), place->own_dir = NULL;
	free(place->mountpoint), place->mountpoint = NULL;
	free(place->mount_root), place->mount_root = NULL;
	return false;
}

/*
 * The usual mount point, when it is a cgroup file system of the right
 * version and memrun's cgroup is there: most hosts, found with a statfs
 * instead of reading mountinfo (the kernel formats every mount for it,
 * the largest part of a launch's set-up).  A container's bind mount of a
 * subtree makes the path not resolve, and mountinfo decides.
 */
static bool locate_usual(struct cgroup_place *place, bool v2, char **path)
{
	const char *mount = v2 ? USUAL_V2_MOUNT : USUAL_V1_MEMORY_MOUNT;
	struct statfs sfs;

	if (!*path || statfs(mount, &sfs) < 0 ||
	    sfs.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
		return false;
	return take_place(place, v2, xstrdup(mount), xstrdup("/"), path, true);
}

static bool locate_mounted(struct cgroup_place *place, const char *mountinfo, bool v2,
			   char **path)
{
	char *mountpoint = NULL, *root = NULL;

	if (!*path || cgroup_parse_mountinfo(mountinfo, v2, &mountpoint, &root, NULL) < 0)
		return false;
	return take_place(place, v2, mountpoint, root, path, false);
}

void cgroup_locate(struct cgroup_place *place)
{
	char proc[4096];
	_cleanup_free_ char *mountinfo = NULL, *v2_path = NULL, *v1_path = NULL;

	*place = (struct cgroup_place){ .enclosing_limit = LIMIT_UNLIMITED };
	if (read_small_file("/proc/self/cgroup", proc, sizeof(proc)) < 0 ||
	    cgroup_parse_proc_cgroup(proc, &v2_path, &v1_path) < 0) {
		place->why_none = xstrdup("/proc/self/cgroup names no cgroup (is /proc mounted?)");
		return;
	}
	/* A controller lives in one hierarchy only: a v1 hierarchy carrying
	 * memory means v2 has none (hybrid hosts); else v2's, if enabled. */
	if (locate_usual(place, false, &v1_path) || locate_usual(place, true, &v2_path))
		return;
	if (read_file_alloc("/proc/self/mountinfo", &mountinfo) < 0) {
		place->why_none = xstrdup("cannot read /proc/self/mountinfo");
		return;
	}
	if (!locate_mounted(place, mountinfo, false, &v1_path) &&
	    !locate_mounted(place, mountinfo, true, &v2_path))
		place->why_none = xstrdup("no cgroup hierarchy with the memory controller is mounted "
					  "where memrun can see it");
}

void cgroup_place_free(struct cgroup_place *place)
{
	free(place->mountpoint);
	free(place->mount_root);
	free(place->own_path);
	free(place->own_dir);
	free(place->enclosing_limit_dir);
	free(place->why_none);
	*place = (struct cgroup_place){ 0 };
}

/* ---- killing and removing --------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void reap_zombies(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Send sig (0: none) to every pid in cgroup.procs; returns how many are
 * listed.  No allocation: it also runs in the supervisor loop. */
static int signal_listed(int dir_fd, int sig)
{
	_cleanup_close_ int fd = openat(dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	char buf[4096];
	long pid = 0;
	bool in_number = false;
	int count = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				in_number = true;
				continue;
			}
			if (in_number) {
				count++;
				if (sig)
					kill((pid_t)pid, sig);	/* ESRCH: it ended meanwhile */
			}
			pid = 0;
			in_number = false;
		}
	}
	if (in_number) {
		count++;
		if (sig)
			kill((pid_t)pid, sig);
	}
	return n < 0 ? -errno : count;
}

/* Kill what is in the cgroup and wait, briefly, until it is empty.  The
 * job's own processes are memrun's children (it is their subreaper) and
 * are reaped here; a stale cgroup's are not, and while the job runs no
 * waitpid(-1) may take its main process from the supervisor. */
static int empty_cgroup(const struct cgroup_backend *backend, struct job_cgroup *cg, bool reap,
			long timeout_ms)
{
	bool killed_at_once = backend->kill_all(cg) == 0;

	for (long waited = 0; waited < timeout_ms; waited++) {
		int listed;

		if (reap)
			reap_zombies();
		/* Without cgroup.kill, kill again each round: forks race the list. */
		listed = signal_listed(cg->dir_fd, killed_at_once ? 0 : SIGKILL);
		if (listed <= 0)
			return listed;
		sleep_ms(1);
	}
	return -EBUSY;
}

static int remove_dir(int parent_fd, const char *name)
{
	/* A cgroup whose last process has just exited may still be busy. */
	for (long waited = 0;; waited++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || waited >= RMDIR_TIMEOUT_MS)
			return -errno;
		sleep_ms(1);
	}
}

static int open_parent_of(const char *dir, const char **ret_name)
{
	_cleanup_free_ char *copy = xstrdup(dir);
	char *slash = strrchr(copy, '/');

	if (!slash)
		return -EINVAL;
	*ret_name = strrchr(dir, '/') + 1;
	*slash = '\0';
	return open(*copy ? copy : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int cgroup_remove_stale(const struct cgroup_backend *backend, const char *dir)
{
	_cleanup_close_ int parent_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;
	int removed = 0;

	if (parent_fd < 0)
		return -errno;
	d = fdopendir(dup(parent_fd));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned long long start, now_start;
		struct job_cgroup stale;
		pid_t pid;

		if (de->d_type != DT_DIR || !cgroup_parse_job_name(de->d_name, &pid, &start))
			continue;
		/* Its supervisor lives while that pid runs with that start time. */
		if (process_start_time(pid, &now_start) == 0 && now_start == start)
			continue;
		job_cgroup_init(&stale);
		stale.dir = xasprintf("%s/%s", dir, de->d_name);
		stale.dir_fd = openat(parent_fd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (stale.dir_fd >= 0 && empty_cgroup(backend, &stale, false, STALE_DRAIN_TIMEOUT_MS) >= 0 &&
		    remove_dir(parent_fd, de->d_name) == 0)
			removed++;
		job_cgroup_free(&stale);
	}
	closedir(d);
	return removed;
}

void cgroup_remove_stale_siblings(const struct job_cgroup *cg)
{
	_cleanup_free_ char *parent = xstrdup(cg->dir);

	*strrchr(parent, '/') = '\0';
	cgroup_remove_stale(cg->backend, *parent ? parent : "/");
}

/* ---- the job's cgroup -------------------------------------------------- */

void job_cgroup_init(struct job_cgroup *cg)
{
	*cg = (struct job_cgroup){
		.dir_fd = -1, .join_fd = -1, .watch_fd = -1, .events_fd = -1, .failcnt_fd = -1,
		.peak_fd = -1,
		.memory_max = LIMIT_UNLIMITED, .memory_high = LIMIT_UNLIMITED,
		.swap_max = LIMIT_UNLIMITED, .group_killed = -1,
	};
}

void job_cgroup_free(struct job_cgroup *cg)
{
	safe_close(cg->dir_fd);
	safe_close(cg->join_fd);
	safe_close(cg->watch_fd);
	safe_close(cg->events_fd);
	safe_close(cg->failcnt_fd);
	safe_close(cg->peak_fd);
	free(cg->dir);
	free(cg->path);
	job_cgroup_init(cg);
}

static const struct cgroup_backend *backend_of_dir(const char *dir)
{
	struct statfs sfs;

	if (statfs(dir, &sfs) < 0)
		return NULL;
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		return &cgroup_v2_backend;
	if (sfs.f_type == CGROUP_SUPER_MAGIC)
		return &cgroup_v1_backend;
	return NULL;
}

/* The directory a --cgroup-parent names: a directory on a cgroup file
 * system, a path in memrun's hierarchy ("/batch"), or one relative to
 * memrun's own cgroup ("jobs"). */
static char *requested_parent_dir(const struct cgroup_place *place, const char *req)
{
	struct stat st;

	if (req[0] == '/' && (stat(req, &st) == 0 ||
			      (place->mountpoint && startswith(req, place->mountpoint))))
		return xstrdup(req);
	if (!place->backend)
		return NULL;
	if (req[0] == '/')
		return cgroup_path_to_dir(place->mountpoint, place->mount_root, req);
	return xasprintf("%s/%s", place->own_dir, req);
}

char *cgroup_choose_parent(const struct cgroup_place *place, const struct plan *plan,
			   const struct cgroup_backend **ret_backend, char **ret_why)
{
	const struct setting_value *requested = &plan->values[SETTING_CGROUP_PARENT];
	char *dir = NULL;

	if (requested->set) {
		struct stat st;

		dir = requested_parent_dir(place, requested->text);
		if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			*ret_why = dir ? xasprintf("cgroup_parent %s: no such cgroup (looked for %s)",
						   requested->text, dir) :
					 xasprintf("cgroup_parent %s: no such cgroup", requested->text);
			free(dir);
			return NULL;
		}
		*ret_backend = backend_of_dir(dir);
		if (!*ret_backend) {
			*ret_why = xasprintf("cgroup_parent %s: %s is not on a cgroup file system",
					     requested->text, dir);
			free(dir);
			return NULL;
		}
		if (*ret_backend == &cgroup_v1_backend) {
			_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0 || !cg_exists(fd, "memory.limit_in_bytes")) {
				*ret_why = xasprintf("cgroup_parent %s: %s is not in the memory "
						     "controller's hierarchy", requested->text, dir);
				free(dir);
				return NULL;
			}
		}
		return dir;
	}

	if (!place->backend) {
		*ret_why = xstrdup(place->why_none);
		return NULL;
	}
	*ret_backend = place->backend;
	if (place->backend == &cgroup_v1_backend)
		return xstrdup(place->own_dir);

	/*
	 * v2 allows processes only in leaves (the root excepted): below
	 * memrun's own cgroup only if it is the root or already hands memory
	 * down; otherwise beside it, as systemd-run --scope and crun do.
	 */
	{
		_cleanup_close_ int fd = open(place->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		char buf[512];

		if (streq(place->own_dir, place->mountpoint) ||
		    (fd >= 0 && cg_read(fd, "cgroup.subtree_control", buf, sizeof(buf)) >= 0 &&
		     list_contains(strtok(buf, "\n"), ' ', "memory")))
			return xstrdup(place->own_dir);
	}
	dir = xstrdup(place->own_dir);
	*strrchr(dir, '/') = '\0';
	return dir;
}

static char *remedy(void)
{
	return xstrdup("run as root, or under systemd-run --user -p Delegate=yes, or pass "
		       "--cgroup-parent to a delegated cgroup (--best-effort runs the job without "
		       "the limit)");
}

int cgroup_create(struct job_cgroup *cg, const struct cgroup_place *place,
		  const struct plan *plan, char **ret_why)
{
	const struct cgroup_backend *backend = NULL;
	_cleanup_free_ char *parent = NULL, *name = NULL, *why = NULL, *fix = NULL;
	_cleanup_close_ int parent_fd = -1;
	unsigned long long start;
	int r;

	job_cgroup_init(cg);
	parent = cgroup_choose_parent(place, plan, &backend, &why);
	if (!parent) {
		r = -ENOENT;
		goto fail;
	}
	r = backend->prepare_parent(parent, &why);
	if (r < 0)
		goto fail;

	r = process_start_time(getpid(), &start);
	if (r < 0) {
		why = xasprintf("cannot read memrun's start time from /proc/self/stat: %s",
				strerror(-r));
		goto fail;
	}
	name = cgroup_job_name(getpid(), start);
	parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0 || mkdirat(parent_fd, name, 0755) < 0) {
		r = -errno;
		why = xasprintf("cannot create a cgroup in %s: %s", parent, strerror(-r));
		goto fail;
	}
	cg->backend = backend;
	cg->dir = xasprintf("%s/%s", parent, name);
	if (streq(parent, place->own_dir ? place->own_dir : "") && place->own_path)
		cg->path = xasprintf("%s/%s", streq(place->own_path, "/") ? "" : place->own_path, name);
	else
		cg->path = xasprintf("/%s", name);	/* only the tail is matched */
	/* Readable, not O_PATH: clone3(CLONE_INTO_CGROUP) takes it too. */
	cg->dir_fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dir_fd < 0) {
		r = -errno;
		why = xasprintf("cannot open %s: %s", cg->dir, strerror(-r));
		goto fail_created;
	}
	r = backend->apply_limits(cg, plan, &why);
	if (r < 0)
		goto fail_created;
	cg->join_fd = openat(cg->dir_fd, backend->join_file, O_WRONLY | O_CLOEXEC);
	if (cg->join_fd < 0) {
		r = -errno;
		why = xasprintf("cannot open %s/%s: %s", cg->dir, backend->join_file, strerror(-r));
		goto fail_created;
	}
	cg->watch_fd = backend->open_watch(cg);
	if (cg->watch_fd < 0) {
		r = cg->watch_fd;
		why = xasprintf("cannot watch the memory events of %s: %s", cg->dir, strerror(-r));
		goto fail_created;
	}
	return 0;

fail_created:
	remove_dir(parent_fd, name);
fail:
	job_cgroup_free(cg);
	fix = (r == -EACCES || r == -EPERM || r == -EROFS) ? remedy() : NULL;
	*ret_why = fix ? xasprintf("%s; %s", why, fix) : TAKE_PTR(why);
	return r;
}

int cgroup_read_evidence(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	/* The cgroup is the job's own since its mkdir: its counters are the
	 * job's, with no baseline to subtract. */
	struct cgroup_counters now = { .peak_bytes = cg->sampled_peak_bytes };
	int r = cg->backend->read_counters(cg, &now);

	if (r < 0)
		return r;
	if (now.peak_sampled)
		cg->sampled_peak_bytes = now.peak_bytes;	/* keep the largest sample */
	*ret = now;
	return 0;
}

int cgroup_signal_all(struct job_cgroup *cg, int sig)
{
	return signal_listed(cg->dir_fd, sig);
}

int cgroup_kill_now(struct job_cgroup *cg)
{
	if (cg->backend->kill_all(cg) == 0)
		return 0;
	return signal_listed(cg->dir_fd, SIGKILL);
}

/* Who killed what, from the counters and, where readable, the kernel log. */
static void conclude_oom(struct outcome *o, bool group_killed)
{
	bool any_kill = o->oom_kills.value > 0;

	o->main_oom_killed_known = true;
	if (o->victims_known && o->victims.total > 0) {
		bool by_job = false;

		o->main_oom_killed = false;
		for (unsigned i = 0; i < o->victims.count; i++) {
			by_job |= o->victims.list[i].by_job_limit;
			o->main_oom_killed |= o->victims.list[i].pid == o->main_pid;
		}
		o->oom_killer = by_job ? OOM_KILLER_CGROUP : OOM_KILLER_OTHER;
		if (o->oom_kills.value < o->victims.total)
			o->oom_kills.value = o->victims.total;
		/* memrun's oom_group kill (v1) took the main process with it. */
		o->main_oom_killed |= group_killed && o->signal == SIGKILL;
		return;
	}
	/* No log: the main process died of SIGKILL while the kernel counted
	 * a kill of the job's: that was the OOM killer.  A kill -9 is not. */
	o->main_oom_killed = any_kill && o->signal == SIGKILL;
	if (any_kill)
		o->oom_killer = o->cgroup_oom_events > 0 ? OOM_KILLER_CGROUP : OOM_KILLER_OTHER;
}

void cgroup_finish(struct job_cgroup *cg, struct outcome *o)
{
	struct cgroup_counters seen = { 0 };
	const char *name;
	int r;

	r = empty_cgroup(cg->backend, cg, true, DRAIN_TIMEOUT_MS);
	if (r < 0)
		log_warning("processes of the job are still in %s: %s", cg->dir, strerror(-r));

	if (cgroup_read_evidence(cg, &seen) == 0) {
		/* memrun's own group kill (v1) ended processes for the OOM too. */
		if (cg->group_killed > 0 && (uint64_t)cg->group_killed > seen.oom_kill)
			seen.oom_kill = (uint64_t)cg->group_killed;
		if (cg->group_killed > 0 && cg->memory_max != LIMIT_UNLIMITED && seen.max > 0)
			seen.oom = 1;
		o->oom_kills = (struct maybe_count){ true, seen.oom_kill };
		o->cgroup_oom_events = seen.oom;
		o->memory_max_events = seen.max;
		o->memory_high_events = seen.high;
		o->peak_memory_bytes = (struct maybe_count){ seen.peak_bytes > 0, seen.peak_bytes };
		o->peak_sampled = seen.peak_sampled;
	}
	o->cgroup_version = cg->backend->version;
	o->cgroup_dir = xstrdup(cg->dir);
	o->memory_max = cg->memory_max;
	o->memory_high = cg->memory_high;
	o->swap_max = cg->swap_max;
	o->oom_group = cg->oom_group || cg->oom_group_emulated;

	/* The kernel log names the victims; read only when there are some. */
	if (o->oom_kills.known && o->oom_kills.value > 0) {
		_cleanup_close_ int kmsg_fd = kmsg_open();
		char suffix[128];

		snprintf(suffix, sizeof(suffix), "/%s", strrchr(cg->dir, '/') + 1);
		if (kmsg_fd >= 0) {
			kmsg_collect_oom(kmsg_fd, suffix, &o->victims);
			o->victims_known = true;
		}
	} else if (o->oom_kills.known) {
		o->victims_known = true;	/* none to name */
	}
	if (o->oom_kills.known)
		conclude_oom(o, cg->group_killed > 0);

	if (r >= 0) {
		_cleanup_close_ int parent_fd = open_parent_of(cg->dir, &name);
		if (parent_fd < 0 || remove_dir(parent_fd, name) < 0)
			log_warning("cannot remove %s: %s", cg->dir, strerror(errno));
	}
}
