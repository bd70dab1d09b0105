/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the job's cgroup goes, and its life from creation to removal. */
#include "cgroup.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/inotify.h>
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
/* What the sweep at the start killed is given this long at the end of the
 * job to be gone; what is still there waits for the next run. */
#define STALE_DRAIN_TIMEOUT_MS 100
#define RMDIR_TIMEOUT_MS 1000
/* How deep memrun follows the cgroups a job makes below its own. */
#define TREE_MAX_DEPTH 32
/* Tries at a name for the job's cgroup that no sweeping memrun took. */
#define CREATE_ATTEMPTS 16

/* ---- parsers ---------------------------------------------------------- */

static char *take_line(const char **p)
{
	const char *end = strchrnul(*p, '\n');
	char *line = strndup(*p, (size_t)(end - *p));

	*p = *end ? end + 1 : end;
	return line ? line : xstrdup("");
}

/* Whether item is one of the comma-separated words of list[0, len). */
static bool words_contain(const char *list, size_t len, const char *item)
{
	size_t item_len = strlen(item);

	for (const char *p = list, *end = list + len; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *word_end = comma ? comma : end;

		if ((size_t)(word_end - p) == item_len && memcmp(p, item, item_len) == 0)
			return true;
		p = word_end + 1;
	}
	return false;
}

/*
 * The path of one hierarchy in /proc/self/cgroup text: v2's ("0::PATH")
 * or the v1 one carrying memory, the first such line.  Points into text,
 * *ret_len bytes long, and allocates nothing: the supervisor loop reads
 * it too.
 */
static const char *proc_cgroup_path(const char *text, bool v2, size_t *ret_len)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		/* "hierarchy-ID:controller-list:cgroup-path"; the path may hold ':'. */
		const char *controllers = memchr(line, ':', (size_t)(end - line));
		const char *path = controllers ?
			memchr(controllers + 1, ':', (size_t)(end - controllers - 1)) : NULL;

		if (path) {
			size_t list_len = (size_t)(path - controllers - 1);
			bool found = v2 ? controllers - line == 1 && line[0] == '0' && list_len == 0 :
					  words_contain(controllers + 1, list_len, "memory");

			if (found) {
				*ret_len = (size_t)(end - path - 1);
				return path + 1;
			}
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static char *copy_of(const char *s, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

int cgroup_parse_proc_cgroup(const char *text, char **ret_v2_path, char **ret_v1_memory_path)
{
	size_t v2_len = 0, v1_len = 0;
	const char *v2 = proc_cgroup_path(text, true, &v2_len);
	const char *v1 = proc_cgroup_path(text, false, &v1_len);

	*ret_v2_path = v2 ? copy_of(v2, v2_len) : NULL;
	*ret_v1_memory_path = v1 ? copy_of(v1, v1_len) : NULL;
	return v2 || v1 ? 0 : -ENOENT;
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

char *cgroup_job_name(pid_t supervisor, uint64_t token)
{
	return xasprintf(JOB_PREFIX "%d-%016" PRIx64, (int)supervisor, token);
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool cgroup_parse_job_name(const char *name, pid_t *ret_pid, uint64_t *ret_token)
{
	uint64_t token = 0;
	char *end;
	long pid;

	if (!startswith(name, JOB_PREFIX))
		return false;
	name += strlen(JOB_PREFIX);
	/* strtol takes white space and a sign ("memrun- 1"): not a name
	 * memrun makes, so not a cgroup memrun may remove. */
	if (!isdigit((unsigned char)*name))
		return false;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || end == name || *end != '-' || pid <= 0 || pid > INT32_MAX)
		return false;
	name = end + 1;
	/* The token begins with a letter: the names of memrun before it
	 * (memrun-PID-STARTTIME, all digits, of memruns that took no lock)
	 * are never taken for one. */
	if (!(*name >= 'a' && *name <= 'f'))
		return false;
	for (int i = 0; i < 16; i++) {
		if (!is_lower_hex(name[i]))
			return false;
		token = token << 4 | (uint64_t)(name[i] <= '9' ? name[i] - '0' : name[i] - 'a' + 10);
	}
	if (name[16] != '\0')
		return false;
	*ret_pid = (pid_t)pid;
	*ret_token = token;
	return true;
}

/* ---- the place -------------------------------------------------------- */

static bool dir_has_memory_controller(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[512];

	return fd >= 0 && cg_read(fd, "cgroup.controllers", buf, sizeof(buf)) >= 0 &&
	       list_contains(strtok(buf, "\n"), ' ', "memory");
}

static char *checked_requested_parent(const struct cgroup_place *place, const char *req,
				      const struct cgroup_backend **ret_backend, char **ret_why);

void cgroup_find_enclosing_limit(struct cgroup_place *place, const struct plan *plan)
{
	_cleanup_free_ char *dir = NULL, *why = NULL;
	const struct cgroup_backend *backend;
	size_t top;

	place->enclosing_limit = LIMIT_UNLIMITED;
	if (!place->backend)
		return;
	/* From where the job's cgroup goes: a --cgroup-parent below memrun's
	 * own cgroup may have limits of its own. */
	if (plan && plan->values[SETTING_CGROUP_PARENT].set)
		dir = checked_requested_parent(place, plan->values[SETTING_CGROUP_PARENT].text,
					       &backend, &why);
	if (!dir)
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
	/* A v2 cgroup without the memory controller: remember it, so that
	 * the reason names the cgroup that was not given it. */
	if (place->own_dir && v2 && !place->v2_without_memory)
		place->v2_without_memory = TAKE_PTR(place->own_dir);
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

/*
 * cgroup v2 is there but memrun's cgroup was not given the memory
 * controller: on systemd hosts a user's manager (user@UID.service) gets
 * it only where the admin delegates it (systemd issue 9641).
 */
static char *memory_not_delegated(const char *dir)
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
		place->why_none = place->v2_without_memory ?
				  memory_not_delegated(place->v2_without_memory) :
				  xstrdup("no cgroup hierarchy with the memory controller is "
					  "mounted where memrun can see it");
}

void cgroup_place_free(struct cgroup_place *place)
{
	free(place->mountpoint);
	free(place->mount_root);
	free(place->own_path);
	free(place->own_dir);
	free(place->enclosing_limit_dir);
	free(place->why_none);
	free(place->v2_without_memory);
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
	int count = 0;
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
	if (in_number)
		count += signal_pid(pid, sig, self);
	return n < 0 ? -errno : count;
}

/*
 * Make sure memrun is in its home cgroup (where it was when the job
 * started) before anything kills a cgroup whole: root in the job can
 * write memrun's pid into the job's cgroup, or one below it, and
 * cgroup.kill there would end memrun too.  Where memrun is at home, as it
 * is but for such a job, this only reads /proc/self/cgroup: a move costs
 * the kernel an RCU grace period.  No allocation (the supervisor loop
 * kills through it).  0, or -errno when memrun may be elsewhere still.
 */
static int ensure_home(struct job_cgroup *cg)
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
	path = proc_cgroup_path(proc, cg->backend->version == 2, &len);
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
	const struct cgroup_backend *backend;	/* visit_oom_kills */
	uint64_t oom_kills;
	bool limit_hit;		/* visit_oom_kills: a limit below the job's was reached */
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
			child_fd = openat(dir_fd, de->d_name,
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
	if (w->backend->read_local_oom_kills(dir_fd, &kills, &limit_hit) == 0)
		w->oom_kills += kills;
	w->limit_hit |= limit_hit;
	return 0;
}

/* The OOM kills counted in the cgroups below the job's, as they are now,
 * and whether a limit there was reached. */
static uint64_t oom_kills_below(struct job_cgroup *cg, bool *ret_limit_hit)
{
	struct tree_walk w = { .visit = visit_oom_kills, .backend = cg->backend };

	walk_tree_below(&w, cg->dir_fd);
	*ret_limit_hit = w.limit_hit;
	return w.oom_kills;
}

/* Kill what is in the job's cgroup and below, and wait, briefly, until
 * it is empty.  The job's processes are memrun's children (it is their
 * subreaper) and are reaped here.  at_home: memrun is out of the job's
 * cgroup (ensure_home). */
static int empty_job(struct job_cgroup *cg, bool at_home, long timeout_ms)
{
	/* cgroup.kill (v2) ends the whole subtree at once, forks in flight
	 * too: not where memrun itself may be among them. */
	bool killed_at_once = at_home && cg->backend->kill_all(cg) == 0;

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

/* -ENOENT: not there by that name. */
static int remove_dir(int parent_fd, const char *name)
{
	/* A cgroup whose last process has just exited may still be busy. */
	for (long waited = 0;; waited++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
			return 0;
		if (errno != EBUSY || waited >= RMDIR_TIMEOUT_MS)
			return -errno;
		sleep_ms(1);
	}
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
	return remove_dir(parent_fd, name);
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
	return remove_dir(parent_fd, slash + 1);
}

/* The job's cgroup and what the job made below it, deepest first, where
 * it is now: *where names it, for a message. */
static int remove_job_tree(struct job_cgroup *cg, char *where, size_t size)
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
 * and it may go soon).  at_home: memrun is not among them (ensure_home),
 * and cgroup.kill may end them all at once.
 */
static int sweep_one(const struct cgroup_backend *backend, int parent_fd, const char *name,
		     int dir_fd, bool at_home, bool *ret_killed)
{
	struct job_cgroup stale;
	int listed;

	job_cgroup_init(&stale);
	stale.backend = backend;
	stale.dir_fd = dir_fd;
	listed = signal_tree(dir_fd, at_home && backend->kill_all(&stale) == 0 ? 0 : SIGKILL);
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
			fd = openat(cg->parent_fd, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
				continue;
			/* Its cgroup.kill must not end memrun, if a job moved
			 * memrun there. */
			if (home > 0)
				home = ensure_home(cg);
			if (sweep_one(cg->backend, cg->parent_fd, de->d_name, fd, home == 0, &killed))
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
	/* While the job starts: nothing here may wait for the leftovers. */
	remove_stale(cg, &cg->stale_pending);
}

/* At the end: what the sweep at the start killed has had the job's time
 * to die; a moment more, then it is left for the next run. */
static void remove_stale_pending(struct job_cgroup *cg)
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

/* A token for the job's cgroup name: 64 random bits, so the name is
 * unique across pid namespaces, the first hex digit a letter
 * (cgroup_parse_job_name). */
static uint64_t job_token(void)
{
	uint64_t token = random_token();

	return (token & ~(0xfULL << 60)) | ((0xaULL + (token >> 60) % 6) << 60);
}

/*
 * Make the job's cgroup below parent_fd, locked before any process can
 * join it, and hold the lock (the returned fd) for the job's life: a
 * sweeping memrun takes a cgroup it can lock for a dead memrun's.  One
 * may have done so between mkdir and flock: then the lock is refused, or
 * the directory is gone by the time memrun holds the lock, and memrun
 * leaves it and tries another name.
 */
static int make_job_dir(int parent_fd, char **ret_name, int *ret_fd)
{
	for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
		_cleanup_free_ char *name = cgroup_job_name(getpid(), job_token());
		_cleanup_close_ int fd = -1;
		struct stat made, there;
		int r;

		if (mkdirat(parent_fd, name, 0755) < 0) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -errno : flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
		/* Gone: a sweeper removed it; locked: a sweeper holds it, and
		 * removes it. */
		if (r == -ENOENT || r == -EWOULDBLOCK)
			continue;
		if (r < 0) {
			unlinkat(parent_fd, name, AT_REMOVEDIR);
			return r;
		}
		if (fstat(fd, &made) < 0 || fstatat(parent_fd, name, &there, AT_SYMLINK_NOFOLLOW) < 0 ||
		    made.st_ino != there.st_ino || made.st_dev != there.st_dev)
			continue;	/* removed by a sweeper before memrun held the lock */
		*ret_name = TAKE_PTR(name);
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	return -EAGAIN;
}

/* ---- the job's cgroup -------------------------------------------------- */

void job_cgroup_init(struct job_cgroup *cg)
{
	*cg = (struct job_cgroup){
		.dir_fd = -1, .join_fd = -1, .watch_fd = -1, .events_fd = -1, .failcnt_fd = -1,
		.peak_fd = -1,
		.memory_max = LIMIT_UNLIMITED, .memory_high = LIMIT_UNLIMITED,
		.swap_max = LIMIT_UNLIMITED, .group_killed = -1,
		.parent_lock_fd = -1, .own_fd = -1, .tree_watch_fd = -1, .parent_fd = -1,
		.home_fd = -1,
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
	safe_close(cg->tree_watch_fd);
	safe_close(cg->parent_lock_fd);
	safe_close(cg->own_fd);
	safe_close(cg->parent_fd);
	safe_close(cg->home_fd);
	free(cg->leaf_name);
	free(cg->home_path);
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

/* dir is inside (or is) ancestor, both resolved: no "..", no symlink. */
static bool dir_is_within(const char *dir, const char *ancestor)
{
	size_t n = strlen(ancestor);

	if (streq(ancestor, "/"))
		return true;
	return strncmp(dir, ancestor, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/*
 * The cgroup a --cgroup-parent names, checked: it exists, is on a cgroup
 * file system carrying memory, and lies within memrun's own cgroup.  A
 * job beside or above memrun's cgroup would escape the limits memrun
 * itself runs under (contract section 7), so "../.." is refused.
 */
static char *checked_requested_parent(const struct cgroup_place *place, const char *req,
				      const struct cgroup_backend **ret_backend, char **ret_why)
{
	_cleanup_free_ char *named = requested_parent_dir(place, req);
	_cleanup_free_ char *own = NULL;
	char *dir;
	struct stat st;

	if (!named || stat(named, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*ret_why = named ? xasprintf("cgroup_parent %s: no such cgroup (looked for %s)", req,
					     named) :
				   xasprintf("cgroup_parent %s: no such cgroup", req);
		return NULL;
	}
	dir = realpath(named, NULL);
	if (!dir) {
		*ret_why = xasprintf("cgroup_parent %s: cannot resolve %s: %s", req, named,
				     strerror(errno));
		return NULL;
	}
	*ret_backend = backend_of_dir(dir);
	if (!*ret_backend) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not on a cgroup file system", req, dir);
		goto fail;
	}
	if (*ret_backend == &cgroup_v1_backend) {
		_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !cg_exists(fd, "memory.limit_in_bytes")) {
			*ret_why = xasprintf("cgroup_parent %s: %s is not in the memory controller's "
					     "hierarchy", req, dir);
			goto fail;
		}
	}
	own = place->own_dir ? realpath(place->own_dir, NULL) : NULL;
	if (!own || *ret_backend != place->backend) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not in the hierarchy memrun runs in "
				     "(%s), so memrun cannot tell whether its own limits would bind "
				     "the job there", req, dir,
				     place->backend ? place->own_dir : "no memory hierarchy");
		goto fail;
	}
	if (!dir_is_within(dir, own)) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not inside memrun's own cgroup %s: a "
				     "job there would escape the limits memrun runs under; name a "
				     "cgroup below %s (a relative path), or start memrun inside "
				     "the cgroup you want", req, dir, own, own);
		goto fail;
	}
	return dir;
fail:
	free(dir);
	return NULL;
}

char *cgroup_choose_parent(const struct cgroup_place *place, const struct plan *plan,
			   const struct cgroup_backend **ret_backend, char **ret_why)
{
	const struct setting_value *requested = &plan->values[SETTING_CGROUP_PARENT];
	char *dir;

	if (requested->set) {
		dir = checked_requested_parent(place, requested->text, ret_backend, ret_why);
		if (dir && (*ret_backend)->check_parent(dir, streq(dir, place->own_dir), ret_why) < 0)
			free(dir), dir = NULL;
		return dir;
	}
	if (!place->backend) {
		*ret_why = xstrdup(place->why_none);
		return NULL;
	}
	/* Always inside memrun's own cgroup, never beside it: the backend
	 * says whether it can be done there (v2's no-internal-processes rule). */
	*ret_backend = place->backend;
	if (place->backend->check_parent(place->own_dir, true, ret_why) < 0)
		return NULL;
	return xstrdup(place->own_dir);
}

/* Where memrun is as the job's cgroup is made, to go back to before
 * anything kills that cgroup whole (ensure_home): v2's leaf when memrun
 * moved into one, else its own cgroup.  Without it, memrun kills the
 * job's processes one by one. */
static void note_home(struct job_cgroup *cg, const struct cgroup_place *place,
		      const char *parent, int parent_fd)
{
	if (!place->own_path || !place->own_dir)
		return;
	if (cg->leaf_name) {
		cg->home_fd = openat(cg->own_fd, cg->leaf_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		cg->home_path = xasprintf("%s/%s", streq(place->own_path, "/") ? "" : place->own_path,
					  cg->leaf_name);
		return;
	}
	cg->home_fd = streq(parent, place->own_dir) ? fcntl(parent_fd, F_DUPFD_CLOEXEC, 3) :
		      open(place->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cg->home_path = xstrdup(place->own_path);
}

/* What to do when the cgroup file system refused memrun. */
static char *remedy(int err)
{
	if (err == -EROFS)
		return xstrdup("the cgroup file system is mounted read-only, as in a container by "
			       "default: give the container a writable cgroup of its own (podman "
			       "does; docker needs --cgroupns=private with a writable "
			       "/sys/fs/cgroup), or set the limit on the container itself "
			       "(docker run --memory ...) and run memrun with --best-effort");
	if (err == -EACCES || err == -EPERM)
		return xstrdup("memrun may not write there: run it as root, or in a cgroup "
			       "delegated to you (systemd-run --user --scope -p Delegate=yes "
			       "memrun ...), or pass --cgroup-parent to a delegated cgroup inside "
			       "memrun's own (--best-effort runs the job without the limit)");
	return NULL;
}

int cgroup_create(struct job_cgroup *cg, const struct cgroup_place *place,
		  const struct plan *plan, char **ret_why)
{
	const struct cgroup_backend *backend = NULL;
	_cleanup_free_ char *parent = NULL, *name = NULL, *why = NULL, *fix = NULL;
	_cleanup_close_ int parent_fd = -1, dir_fd = -1;
	int r;

	job_cgroup_init(cg);
	parent = cgroup_choose_parent(place, plan, &backend, &why);
	if (!parent) {
		r = -ENOENT;
		goto fail;
	}
	r = backend->prepare_parent(cg, parent, streq(parent, place->own_dir ? place->own_dir : ""),
				    &why);
	if (r < 0)
		goto fail;

	/* Readable: the sweep lists it with no allocation once the job runs. */
	parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = parent_fd < 0 ? -errno : make_job_dir(parent_fd, &name, &dir_fd);
	if (r < 0) {
		why = xasprintf("cannot create a cgroup in %s: %s", parent, strerror(-r));
		goto fail;
	}
	cg->backend = backend;
	cg->dir = xasprintf("%s/%s", parent, name);
	/* The parent lies within memrun's own cgroup: its path in the
	 * hierarchy is memrun's own plus what lies between. */
	if (place->own_path && place->own_dir && startswith(parent, place->own_dir))
		cg->path = xasprintf("%s%s/%s", streq(place->own_path, "/") ? "" : place->own_path,
				     parent + strlen(place->own_dir), name);
	else
		cg->path = xasprintf("/%s", name);	/* only the tail is matched */
	/* Locked for the job's life; clone3(CLONE_INTO_CGROUP) takes it too. */
	cg->dir_fd = TAKE_FD(dir_fd);
	note_home(cg, place, parent, parent_fd);
	/* The job's cgroup exists: a memrun ending in the same parent sees it. */
	cg->parent_lock_fd = safe_close(cg->parent_lock_fd);
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
	cg->parent_fd = TAKE_FD(parent_fd);
	return 0;

fail_created:
	remove_dir(parent_fd, name);	/* just made: not renamed */
fail:
	cg->parent_lock_fd = safe_close(cg->parent_lock_fd);
	if (backend)
		backend->restore_parent(cg);
	job_cgroup_free(cg);
	fix = remedy(r);
	*ret_why = fix ? xasprintf("%s; %s", why, fix) : TAKE_PTR(why);
	return r;
}

void cgroup_restore_parent(struct job_cgroup *cg)
{
	if (cg->backend)
		cg->backend->restore_parent(cg);
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
	return signal_tree(cg->dir_fd, sig);
}

int cgroup_kill_now(struct job_cgroup *cg)
{
	if (ensure_home(cg) == 0 && cg->backend->kill_all(cg) == 0)
		return 0;
	return signal_tree(cg->dir_fd, SIGKILL);
}

/* Who killed what, from the counters and, where readable, the kernel log
 * (inner_limit_hit: the limit of a cgroup the job made was reached). */
static void conclude_oom(struct outcome *o, bool group_killed, bool inner_limit_hit)
{
	bool any_kill = o->oom_kills.known ? o->oom_kills.value > 0 : o->oom_kills_at_least > 0;

	o->main_oom_killed_known = true;
	if (o->victims_known && o->victims.total > 0) {
		bool by_job = false;

		o->main_oom_killed = false;
		for (unsigned i = 0; i < o->victims.count; i++) {
			/* A limit the job set below its own is the job's doing too. */
			by_job |= o->victims.list[i].by_job_limit || o->victims.list[i].by_inner_limit;
			o->main_oom_killed |= o->victims.list[i].pid == o->main_pid;
		}
		o->oom_killer = by_job ? OOM_KILLER_CGROUP : OOM_KILLER_OTHER;
		if (o->oom_kills.value < o->victims.total)
			o->oom_kills.value = o->victims.total;
		/* memrun's oom_group kill (v1) took the main process with it. */
		o->main_oom_killed |= group_killed && o->signal == SIGKILL;
		return;
	}
	/* Kills may have gone uncounted, and the main process died of
	 * SIGKILL: whose it was cannot be told. */
	if (!o->oom_kills.known && !any_kill && o->signal == SIGKILL) {
		o->main_oom_killed_known = false;
		return;
	}
	/* No log: the main process died of SIGKILL while the kernel counted
	 * a kill of the job's: that was the OOM killer.  A kill -9 is not. */
	o->main_oom_killed = any_kill && o->signal == SIGKILL;
	if (any_kill)
		o->oom_killer = o->cgroup_oom_events > 0 || inner_limit_hit ? OOM_KILLER_CGROUP :
									    OOM_KILLER_OTHER;
}

/* Whether the job made a cgroup below its own: the watches queued an
 * event for it (or memrun could not watch, and cannot tell). */
static bool job_made_cgroups(struct job_cgroup *cg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	cg->backend->ack_watch(cg);	/* v2 notes them among its wake-ups */
	/* v1: IN_CREATE, or IN_Q_OVERFLOW after very many, which is as good. */
	if (cg->tree_watch_fd >= 0 && read(cg->tree_watch_fd, buf, sizeof(buf)) > 0)
		cg->made_cgroups = true;
	return cg->made_cgroups;
}

void cgroup_finish(struct job_cgroup *cg, struct outcome *o)
{
	struct cgroup_counters seen = { 0 };
	bool counted_all = true;	/* the counters saw every OOM kill of the job */
	bool inner_limit_hit = false;
	int home = ensure_home(cg), r;

	if (home < 0)
		log_warning("memrun cannot make sure it is out of the job's cgroup %s, where the "
			    "job may have moved it: %s; the job's processes are killed one by one",
			    cg->dir, strerror(-home));
	r = empty_job(cg, home == 0, DRAIN_TIMEOUT_MS);
	if (r < 0)
		log_warning("processes of the job are still in %s: %s", cg->dir, strerror(-r));

	if (cgroup_read_evidence(cg, &seen) == 0) {
		/* v1 (and v2 mounted with memory_localevents) counts an OOM
		 * kill in the victim's cgroup alone: add the counts of the
		 * cgroups the job made, those it removed are lost. */
		if (job_made_cgroups(cg) && !cg->backend->counters_cover_subtree()) {
			uint64_t below = oom_kills_below(cg, &inner_limit_hit);

			seen.oom_kill += below;
			if (below > 0 && cg->memory_max != LIMIT_UNLIMITED && seen.max > 0 && !seen.oom)
				seen.oom = 1;
			counted_all = false;
		}
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

	/* The kernel log names the victims (in the job's cgroup and below
	 * it): read when there are some, or may be uncounted ones. */
	if (o->oom_kills.known && (o->oom_kills.value > 0 || !counted_all)) {
		_cleanup_close_ int kmsg_fd = kmsg_open();
		char suffix[128];

		snprintf(suffix, sizeof(suffix), "/%s", strrchr(cg->dir, '/') + 1);
		if (kmsg_fd >= 0) {
			kmsg_collect_oom(kmsg_fd, suffix, &o->victims);
			o->victims_known = true;
		} else if (!counted_all) {
			o->oom_kills_at_least = o->oom_kills.value;
			o->oom_kills = (struct maybe_count){ false, 0 };
			o->oom_kills_unknown =
				"the job made cgroups below its own, whose OOM kills the job's "
				"cgroup does not count (cgroup v1, or v2 mounted with "
				"memory_localevents), and the kernel log that names them is not "
				"readable";
		}
	} else if (o->oom_kills.known) {
		o->victims_known = true;	/* none to name */
	}
	if (o->oom_kills.known || o->oom_kills_unknown)
		conclude_oom(o, cg->group_killed > 0, inner_limit_hit);

	/* The cgroups the job made go too, deepest first. */
	if (r >= 0) {
		char where[PATH_MAX];

		r = remove_job_tree(cg, where, sizeof(where));
		if (r < 0)
			log_warning("cannot remove %s: %s", where, strerror(-r));
	}
	remove_stale_pending(cg);
}
