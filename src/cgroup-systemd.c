/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The systemd manager: on a host where systemd owns memrun's cgroup, the
 * job's cgroup is a transient scope that systemd makes over D-Bus, as
 * systemd-run --scope, crun and podman ask for theirs: the system manager
 * as root, the user's own manager otherwise, in memrun's slice.
 *
 *   memrun-PID-TOKEN.scope        MemoryMax, MemoryHigh, MemorySwapMax,
 *   |                             Delegate=memory; its memory.events are the
 *   |                             job's evidence (the limit is here)
 *   +-- memrun-guard              the guard (guard.c)
 *   +-- memrun-PID-TOKEN          the job: what memrun kills and removes
 *
 * The job's main process is forked first and waits on a pipe (spawn.c);
 * systemd moves it and the guard into the new scope (a user's manager may
 * move a process out of the user's session, memrun may not), memrun moves
 * them into their leaves (the scope is delegated) and only then lets the
 * job exec.  The job's own leaf takes the cgroupfs v2 manager's place, so
 * the end of the job is the same: kill, read the evidence, remove.  Then
 * the guard goes, the scope is empty and systemd collects it.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/epoll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "guard.h"
#include "libsystemd.h"
#include "privilege.h"
#include "size.h"
#include "util.h"

#define GUARD_LEAF "memrun-guard"
/* Waits on systemd: a scope starts in milliseconds, but a busy or
 * emulated machine is slow, and systemd-run's own call timeout is 25 s. */
#define JOB_TIMEOUT_USEC (25ULL * 1000000)
#define GONE_TIMEOUT_MS 2000
#define CALL_TIMEOUT_USEC (10ULL * 1000000)
#define DESCRIPTION_MAX 200

struct systemd_state {
	sd_bus *bus;
	bool direct;		/* on the manager's private socket, not the bus */
	pid_t manager_pid;	/* the manager, the private socket's peer (0: unknown) */
	bool user_manager;	/* the user's own manager, not the system's */
	const char *slice;	/* the scope's Slice=, or NULL: the manager's default */
	char *slice_buf;
	char *unit;		/* memrun-PID-TOKEN.scope */
	char *description;
	/* The hierarchy as cgroup_locate found it, and memrun's own cgroup. */
	char *mountpoint, *mount_root, *own_path, *own_dir;
	struct guard guard;
	char *scope_dir;
	int scope_fd;		/* the scope's cgroup, open while the job runs */
	int events_fd, peak_fd;	/* the scope's memory.events and memory.peak */
	int leaf_events_fd;	/* the job's leaf's memory.events */
	struct timespec leaf_mark;	/* the job's leaf's ctime (cg_subdirs_mark) */
	bool made_cgroups;
	bool started;		/* the scope exists */
};

static void *systemd_new_state(void)
{
	struct systemd_state *st = xmalloc(sizeof(*st));

	*st = (struct systemd_state){ .guard = GUARD_INIT, .scope_fd = -1, .events_fd = -1,
				      .peak_fd = -1, .leaf_events_fd = -1 };
	return st;
}

static void systemd_free_state(void *state)
{
	struct systemd_state *st = state;

	if (!st)
		return;
	guard_release(&st->guard);
	/* Closed, not flushed: every call has had its answer, and a flush
	 * would wait (sd-bus: up to 90 s) on a manager that stopped
	 * answering, which is when memrun gives up on it. */
	if (st->bus)
		sym_sd_bus_close_unref(st->bus);
	safe_close(st->scope_fd);
	safe_close(st->events_fd);
	safe_close(st->peak_fd);
	safe_close(st->leaf_events_fd);
	free(st->slice_buf);
	free(st->unit);
	free(st->description);
	free(st->mountpoint);
	free(st->mount_root);
	free(st->own_path);
	free(st->own_dir);
	free(st->scope_dir);
	free(st);
}

/* ---- which manager ----------------------------------------------------- */

static bool is_unit_dir_name(const char *name)
{
	static const char *const suffixes[] = { ".service", ".scope", ".slice", ".socket",
						".mount", ".swap" };

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t n = strlen(name), m = strlen(suffixes[i]);

		if (n > m && streq(name + n - m, suffixes[i]))
			return true;
	}
	return false;
}

/* systemd marks the cgroup of a unit with Delegate=yes (since 251): the
 * system manager with trusted.delegate, a user's with user.delegate. */
static bool delegate_xattr(const char *dir)
{
	char value[8];
	ssize_t n = getxattr(dir, "user.delegate", value, sizeof(value));

	if (n <= 0)
		n = getxattr(dir, "trusted.delegate", value, sizeof(value));
	return n == 1 && value[0] == '1';
}

/* Before systemd 251 no xattr tells: a system unit with User= and
 * Delegate=yes is known by the files systemd hands its user.  (Under a
 * user's manager every cgroup is the user's, delegated or not.) */
static bool delegated_to_caller(const struct cgroup_place *place)
{
	_cleanup_close_ int fd = -1;

	if (geteuid() == 0 || strstr(place->own_path, "/user@"))
		return false;
	fd = open(place->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 && faccessat(fd, "cgroup.procs", W_OK, 0) == 0 &&
	       faccessat(fd, "cgroup.subtree_control", W_OK, 0) == 0;
}

bool cgroup_systemd_running(void)
{
	/* sd_booted(3): what systemd makes when it runs as PID 1. */
	return access("/run/systemd/system", F_OK) == 0;
}

int cgroup_choose_manager(const struct cgroup_place *place, const struct plan *plan,
			  char **ret_why)
{
	const struct setting_value *asked = &plan->values[SETTING_CGROUP_MANAGER];
	const char *last;

	if (asked->set && streq(asked->text, "systemd")) {
		*ret_why = xstrdup("--cgroup-manager=systemd (or cgroup_manager = systemd) asked for it");
		return CGROUP_BY_SYSTEMD;
	}
	if (asked->set && streq(asked->text, "cgroupfs")) {
		*ret_why = xstrdup("--cgroup-manager=cgroupfs (or cgroup_manager = cgroupfs) asked for it");
		return CGROUP_BY_MEMRUN;
	}
	if (plan->values[SETTING_CGROUP_PARENT].set) {
		*ret_why = xstrdup("cgroup_parent names where the job's cgroup goes");
		return CGROUP_BY_MEMRUN;
	}
	if (!cgroup_systemd_running()) {
		*ret_why = xstrdup("systemd does not run this host (no /run/systemd/system)");
		return CGROUP_BY_MEMRUN;
	}
	if (!place->own_path || !place->own_dir) {
		*ret_why = xstrdup("memrun's own cgroup is not where memrun can see it");
		return CGROUP_BY_MEMRUN;
	}
	if (!place->manager || !place->manager->unified) {
		*ret_why = xstrdup("the memory controller is in a cgroup v1 hierarchy, which memrun "
				   "writes itself");
		return CGROUP_BY_MEMRUN;
	}
	last = strrchr(place->own_path, '/');
	last = last ? last + 1 : place->own_path;
	if (!*last) {
		*ret_why = xasprintf("memrun runs in the root of its cgroup namespace (a container's "
				     "own cgroup), which it may write");
		return CGROUP_BY_MEMRUN;
	}
	/* Only a delegate (or root by hand) makes cgroups below a unit's. */
	if (!is_unit_dir_name(last)) {
		*ret_why = xasprintf("memrun's cgroup %s lies below a unit's, in a delegated subtree",
				     place->own_path);
		return CGROUP_BY_MEMRUN;
	}
	if (delegate_xattr(place->own_dir) || delegated_to_caller(place)) {
		*ret_why = xasprintf("memrun's unit %s has Delegate=yes", last);
		return CGROUP_BY_MEMRUN;
	}
	*ret_why = xasprintf("systemd owns memrun's cgroup %s (unit %s)", place->own_path, last);
	return CGROUP_BY_SYSTEMD;
}

/* ---- talking to systemd ------------------------------------------------ */

static char *bus_error_text(const sd_bus_error *error, int r)
{
	if (error && error->message)
		return xstrdup(error->message);
	return xstrdup(strerror(-r));
}

/* Only characters a D-Bus address may hold unescaped. */
static bool address_safe(const char *path)
{
	return path[0] == '/' && path[strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					       "0123456789/_.-")] == '\0';
}

/*
 * The manager's private socket, as systemctl and systemd-run use it: no
 * broker in between, no Hello, and systemd sends its signals to every
 * private client, so no AddMatch either.  Root's is /run/systemd/private;
 * the user manager's is in XDG_RUNTIME_DIR, where sd_bus_open_user looks
 * for the user's bus too.  The peer must be root or the caller.
 */
static int connect_private(struct systemd_state *st)
{
	_cleanup_free_ char *address = NULL, *own_runtime = NULL;
	/* secure_getenv: an elevated memrun does not let the caller choose
	 * what it connects to; the user's runtime directory is where
	 * pam_systemd makes it, and the peer is checked either way. */
	const char *runtime = secure_getenv("XDG_RUNTIME_DIR");
	struct ucred peer;
	socklen_t len = sizeof(peer);
	sd_bus *bus = NULL;
	int r;

	if (!runtime && privilege_elevated()) {
		/* own_runtime is read by its cleanup, which clang 14's analyzer
		 * does not see: NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores) */
		runtime = own_runtime = xasprintf("/run/user/%u", (unsigned)getuid());
	}
	if (!st->user_manager)
		address = xstrdup("unix:path=/run/systemd/private");
	else if (runtime && address_safe(runtime))
		address = xasprintf("unix:path=%s/systemd/private", runtime);
	else
		return -ENOENT;
	r = sym_sd_bus_new(&bus);
	if (r >= 0)
		r = sym_sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sym_sd_bus_start(bus);
	if (r >= 0 && getsockopt(sym_sd_bus_get_fd(bus), SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
		r = -errno;
	if (r >= 0 && peer.uid != 0 && peer.uid != geteuid())
		r = -EPERM;
	if (r < 0) {
		if (bus)
			sym_sd_bus_close_unref(bus);
		return r;
	}
	st->bus = bus;
	st->direct = true;
	st->manager_pid = peer.pid;
	return 0;
}

static int connect_bus(struct systemd_state *st, char **ret_why)
{
	int r;

	st->user_manager = geteuid() != 0;
	/* The bus, where the private socket is out of reach (a container
	 * given the bus's socket alone). */
	r = connect_private(st);
	if (r < 0)
		r = st->user_manager ? sym_sd_bus_open_user(&st->bus) : sym_sd_bus_open_system(&st->bus);
	/* No call may hold the job's start or end for sd-bus's 25 s. */
	if (r >= 0)
		r = sym_sd_bus_set_method_call_timeout(st->bus, CALL_TIMEOUT_USEC);
	if (r < 0) {
		if (st->bus)
			sym_sd_bus_close_unref(st->bus);
		st->bus = NULL;
		if (st->user_manager)
			*ret_why = xasprintf("cannot reach your systemd user manager over D-Bus: %s; "
					     "it runs while you are logged in (or always, after "
					     "'loginctl enable-linger'), and memrun finds its bus through "
					     "XDG_RUNTIME_DIR or DBUS_SESSION_BUS_ADDRESS, which sudo and "
					     "su do not set", strerror(-r));
		else
			*ret_why = xasprintf("cannot reach systemd over the system bus: %s (is "
					     "dbus running?)", strerror(-r));
		return r;
	}
	return 0;
}

/* A string property of the manager itself ("ControlGroup"). */
static int manager_property(struct systemd_state *st, const char *name, char **ret, char **ret_why)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sym_sd_bus_get_property_string(st->bus, "org.freedesktop.systemd1",
					       "/org/freedesktop/systemd1",
					       "org.freedesktop.systemd1.Manager", name, &error, ret);

	if (r < 0) {
		_cleanup_free_ char *text = bus_error_text(&error, r);

		*ret_why = xasprintf("cannot ask systemd for its %s: %s", name, text);
	}
	sym_sd_bus_error_free(&error);
	return r;
}

char *cgroup_slice_path(const char *slice)
{
	size_t stem = strlen(slice) - strlen(".slice");
	char *path = xstrdup("");

	if (streq(slice, "-.slice"))
		return path;
	for (size_t i = 0; i <= stem; i++) {
		if (i < stem && slice[i] != '-')
			continue;
		char *more = xasprintf("%s/%.*s.slice", path, (int)i, slice);

		free(path);
		path = more;
	}
	return path;
}

/* ---- limits the scope would escape ------------------------------------- */

static bool path_within(const char *path, const char *ancestor)
{
	size_t n = strlen(ancestor);

	if (streq(ancestor, "") || streq(ancestor, "/"))
		return true;
	return strncmp(path, ancestor, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * A scope goes where the manager puts it, not inside memrun's cgroup: a
 * memory limit on memrun's cgroup, or on an ancestor that is not the
 * scope's too, would not bind the job.  Contract section 7: refuse, and
 * say how to delegate instead.
 */
static int check_left_behind(struct systemd_state *st, const char *target, char **ret_why)
{
	static const char *const files[] = { "memory.max", "memory.high", "memory.swap.max" };
	_cleanup_free_ char *path = xstrdup(st->own_path);

	while (*path && !streq(path, "/") && !path_within(target, path)) {
		_cleanup_free_ char *dir = cgroup_path_to_dir(st->mountpoint, st->mount_root, path);
		_cleanup_close_ int fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		char *slash;

		for (size_t i = 0; fd >= 0 && i < ELEMENTSOF(files); i++) {
			uint64_t limit;
			char size[32];

			if (cg_read_u64(fd, files[i], &limit) < 0 || limit == LIMIT_UNLIMITED)
				continue;
			*ret_why = xasprintf(
				"memrun runs under %s = %s in %s, which the job's systemd scope (in "
				"%s) would not be under: the job would escape it.  Give the unit "
				"memrun runs in Delegate=yes (in its unit file, or systemd-run -p "
				"Delegate=yes ...): then memrun makes the job's cgroup inside its "
				"own, under that limit", files[i], size_format(limit, size), path,
				*target ? target : "/");
			return -EPERM;
		}
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return 0;
}

/* The user manager's own cgroup: that of its init.scope, where the
 * private socket's peer runs (no round trip), else asked over the bus. */
static int user_manager_cgroup(struct systemd_state *st, char **ret, char **ret_why)
{
	if (st->manager_pid > 0) {
		_cleanup_free_ char *proc = xasprintf("/proc/%d/cgroup", (int)st->manager_pid);
		_cleanup_free_ char *text = NULL, *path = NULL, *v1_path = NULL;
		char *last;

		if (read_file_alloc(proc, &text) >= 0 &&
		    cgroup_parse_proc_cgroup(text, &path, &v1_path) >= 0 && path &&
		    (last = strrchr(path, '/')) && last != path && streq(last, "/init.scope")) {
			*last = '\0';
			*ret = TAKE_PTR(path);
			return 0;
		}
	}
	return manager_property(st, "ControlGroup", ret, ret_why);
}

/* The user's manager can put memory limits on its units only where the
 * system manager delegated it the controller (systemd issue 9641). */
static int check_user_memory(struct systemd_state *st, const char *manager_cgroup,
			     char **ret_why)
{
	_cleanup_free_ char *dir = cgroup_path_to_dir(st->mountpoint, st->mount_root, manager_cgroup);
	_cleanup_close_ int fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	char buf[512];

	if (fd >= 0 && cg_read(fd, "cgroup.controllers", buf, sizeof(buf)) >= 0 &&
	    list_contains(strtok(buf, "\n"), ' ', "memory"))
		return 0;
	*ret_why = xasprintf(
		"the memory controller is not delegated to your systemd user manager (%s: its "
		"cgroup.controllers lacks memory), so no memory limit can be put on a scope of "
		"yours.  As root, delegate it: mkdir -p /etc/systemd/system/user@.service.d && "
		"printf '[Service]\\nDelegate=pids memory cpu\\n' > "
		"/etc/systemd/system/user@.service.d/delegate.conf && systemctl daemon-reload, "
		"then log in again (or restart user@%u.service)", manager_cgroup,
		(unsigned)geteuid());
	return -EOPNOTSUPP;
}

/* "memrun: make (3 arguments)": the command by name, never its
 * arguments, which the journal and `systemctl status` would show every
 * user (a password on a command line). */
static char *describe_command(const struct plan *plan)
{
	const char *slash = strrchr(plan->command[0], '/');
	size_t args = 0;
	char *text;

	while (plan->command[args + 1])
		args++;
	text = xasprintf("memrun: %.*s", DESCRIPTION_MAX, slash ? slash + 1 : plan->command[0]);
	/* D-Bus takes valid UTF-8 only, and systemctl prints it on one line:
	 * a name's other bytes are not worth a refused scope. */
	for (char *p = text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (args > 0) {
		char *more = xasprintf("%s (%zu argument%s)", text, args, args == 1 ? "" : "s");

		free(text);
		text = more;
	}
	return text;
}

/* The slice of memrun's own unit, as its cgroup path shows it
 * ("/a.slice/a-b.slice/x.service": a-b.slice), malloc'ed; only a slice of
 * the system manager's, where its name says it is: not a user manager's
 * (app.slice), which the system manager would make anew at its top.
 * NULL: none (the manager's default, system.slice). */
static char *own_slice(const char *own_path)
{
	_cleanup_free_ char *parent = xstrdup(own_path);
	char *slash = strrchr(parent, '/');

	if (slash)
		*slash = '\0';
	if (!*parent)
		return xstrdup("-.slice");
	slash = strrchr(parent, '/');
	if (slash && is_unit_dir_name(slash + 1) && strstr(slash + 1, ".slice")) {
		_cleanup_free_ char *expected = cgroup_slice_path(slash + 1);

		if (streq(expected, parent))
			return xstrdup(slash + 1);
	}
	return NULL;
}

char *cgroup_systemd_scope_parent(const char *own_path, const struct plan *plan, bool user,
				  const char *user_manager_cgroup)
{
	_cleanup_free_ char *slice = NULL;

	if (user)
		return user_manager_cgroup ? xstrdup(user_manager_cgroup) : NULL;
	if (plan->values[SETTING_SLICE].set)
		return cgroup_slice_path(plan->values[SETTING_SLICE].text);
	slice = own_slice(own_path);
	return cgroup_slice_path(slice ? slice : "system.slice");
}

/* The slice the scope goes in: --slice, else memrun's own unit's slice
 * (system manager), else the manager's default. */
static void choose_slice(struct systemd_state *st, const struct plan *plan)
{
	if (plan->values[SETTING_SLICE].set)
		st->slice = plan->values[SETTING_SLICE].text;
	else if (!st->user_manager)
		st->slice = st->slice_buf = own_slice(st->own_path);
}

/* systemd reads the pids memrun hands it in its own pid namespace: it
 * must be PID 1 of memrun's, and /proc must be of that namespace too (a
 * /proc of another names another self). */
static bool systemd_is_our_pid1(void)
{
	char self[32], comm[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
	long pid;
	char *end;

	if (n <= 0)
		return false;
	self[n] = '\0';
	errno = 0;
	pid = strtol(self, &end, 10);
	if (errno || *end || pid != getpid())
		return false;
	if (read_small_file("/proc/1/comm", comm, sizeof(comm)) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	return streq(comm, "systemd");
}

/*
 * What the scope needs of the kernel and of memrun's place: cgroup.kill
 * (5.14), without which the guard could not end the job if memrun died;
 * and the pid namespace systemd sees, since the pids memrun hands it are
 * read in systemd's namespace.
 */
static int check_kernel_and_namespace(const struct cgroup_place *place, char **ret_why)
{
	_cleanup_close_ int fd = open(place->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && !streq(place->own_path, "/") && !cg_exists(fd, "cgroup.kill")) {
		*ret_why = xstrdup("this kernel has no cgroup.kill (it came with Linux 5.14), which "
				   "memrun needs to end the job in its systemd scope if memrun itself "
				   "is killed: run memrun in a unit with Delegate=yes, or pass "
				   "--cgroup-manager=cgroupfs in a cgroup delegated to you");
		return -EOPNOTSUPP;
	}
	if (!systemd_is_our_pid1()) {
		*ret_why = xstrdup("systemd is not PID 1 of memrun's pid namespace, so the pids "
				   "memrun would hand it name other processes: pass "
				   "--cgroup-manager=cgroupfs in a delegated cgroup, or start memrun "
				   "outside the namespace");
		return -EOPNOTSUPP;
	}
	return 0;
}

int cgroup_systemd_enter(struct job_cgroup *cg, const struct cgroup_place *place,
			 const struct plan *plan, char **ret_why)
{
	struct systemd_state *st;
	_cleanup_free_ char *target = NULL, *manager_cgroup = NULL;
	int r;

	if (!cgroup_systemd_running()) {
		*ret_why = xstrdup("systemd does not run this host (no /run/systemd/system), so it "
				   "cannot make the job's scope: use --cgroup-manager=cgroupfs");
		return -EOPNOTSUPP;
	}
	if (!place->manager || !place->manager->unified) {
		*ret_why = xstrdup(place->manager ?
				   "memrun's systemd manager needs the unified cgroup hierarchy (v2), "
				   "and the memory controller is in a v1 hierarchy here" :
				   place->why_none);
		return -EOPNOTSUPP;
	}
	r = check_kernel_and_namespace(place, ret_why);
	if (r < 0)
		return r;
	r = libsystemd_load(ret_why);
	if (r < 0)
		return r;
	job_cgroup_init(cg);
	cg->manager = &cgroup_systemd_manager;
	cg->state = st = systemd_new_state();
	st->mountpoint = xstrdup(place->mountpoint);
	st->mount_root = xstrdup(place->mount_root);
	st->own_path = xstrdup(place->own_path);
	st->own_dir = xstrdup(place->own_dir);
	r = connect_bus(st, ret_why);
	if (r < 0)
		goto fail;
	choose_slice(st, plan);
	if (st->user_manager) {
		r = user_manager_cgroup(st, &manager_cgroup, ret_why);
		if (r < 0)
			goto fail;
		/* Without it the scope would have no memory.events either: no
		 * evidence, so no scope, whether or not a limit is asked for. */
		r = check_user_memory(st, manager_cgroup, ret_why);
		if (r < 0)
			goto fail;
	}
	target = cgroup_systemd_scope_parent(st->own_path, plan, st->user_manager, manager_cgroup);
	r = check_left_behind(st, target, ret_why);
	if (r < 0)
		goto fail;

	st->unit = xasprintf("memrun-%d-%016llx.scope", (int)getpid(),
			     (unsigned long long)random_token());
	st->description = describe_command(plan);
	/* The watch exists before the scope so that the supervisor can wait
	 * on it from the start; the files are added once the scope is there. */
	cg->watch_fd = epoll_create1(EPOLL_CLOEXEC);
	if (cg->watch_fd < 0) {
		r = -errno;
		*ret_why = xasprintf("cannot watch for memory events: %s", strerror(-r));
		goto fail;
	}
	r = guard_start(&st->guard);
	if (r < 0) {
		*ret_why = xasprintf("cannot start the process that guards the job's scope: %s",
				     strerror(-r));
		goto fail;
	}
	cg->home_fd = open(place->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cg->home_path = xstrdup(place->own_path);
	return 0;
fail:
	job_cgroup_free(cg);
	return r;
}

/* ---- the scope ----------------------------------------------------------- */

struct job_wait {
	const char *unit;	/* the scope's name */
	bool replied;		/* StartTransientUnit has answered */
	sd_bus_error error;	/* its error, if it refused */
	int call_errno;
	char *job;		/* the object path it returned */
	char *result;		/* "done", "failed", ...; NULL until removed */
};

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct job_wait *w = userdata;
	const sd_bus_error *refused = sym_sd_bus_message_get_error(m);
	const char *job;

	(void)error;
	w->replied = true;
	if (refused) {
		w->call_errno = sym_sd_bus_message_get_errno(m);
		sym_sd_bus_error_copy(&w->error, refused);
	} else if (sym_sd_bus_message_read(m, "o", &job) >= 0) {
		w->job = xstrdup(job);
	} else {
		w->call_errno = EBADMSG;
	}
	return 0;
}

/* The scope's job, by its unit's name: the signal may be read before the
 * reply that names the job. */
static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct job_wait *w = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	(void)error;
	if (sym_sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
	    streq(unit, w->unit) && (!w->job || streq(path, w->job)) && !w->result)
		w->result = xstrdup(result);
	return 0;
}

/* The caller's signals that end a run (Ctrl-C, Ctrl-\, a hang-up,
 * systemctl stop), pending in memrun's blocked mask; 0 if none. */
static int pending_stop_signal(void)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	sigset_t pending;

	if (sigpending(&pending) == 0)
		for (size_t i = 0; i < ELEMENTSOF(stops); i++)
			if (sigismember(&pending, stops[i]))
				return stops[i];
	return 0;
}

/* Waits up to timeout_usec for the bus, or for the caller to stop memrun
 * (stop_fd, a signalfd of the stop signals; -1: none).  1 when a stop
 * signal is pending, which stays pending for memrun's exit path. */
static int wait_bus_or_stop(sd_bus *bus, int stop_fd, uint64_t timeout_usec)
{
	struct pollfd pfd[2] = {
		{ .fd = sym_sd_bus_get_fd(bus), .events = (short)sym_sd_bus_get_events(bus) },
		{ .fd = stop_fd, .events = POLLIN },
	};
	uint64_t until;
	struct timespec now;
	int timeout_ms;

	if (sym_sd_bus_get_timeout(bus, &until) >= 0 && until != UINT64_MAX) {
		uint64_t now_usec;

		clock_gettime(CLOCK_MONOTONIC, &now);
		now_usec = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
		if (until < now_usec + timeout_usec)
			timeout_usec = until > now_usec ? until - now_usec : 0;
	}
	timeout_ms = (int)((timeout_usec + 999) / 1000);
	if (poll(pfd, stop_fd >= 0 ? 2 : 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return pending_stop_signal() ? 1 : 0;
}

static int append_limit(sd_bus_message *m, const struct plan *plan, enum setting_id id,
			const char *property)
{
	if (!plan_has(plan, id))
		return 0;
	/* LIMIT_UNLIMITED is UINT64_MAX, systemd's "infinity" too. */
	return sym_sd_bus_message_append(m, "(sv)", property, "t", plan->limit_bytes[id]);
}

static int start_scope(struct systemd_state *st, pid_t child, const struct plan *plan,
		       char **ret_why)
{
	sd_bus_message *m = NULL;
	sd_bus_slot *slot = NULL, *call_slot = NULL;
	struct job_wait wait = { .unit = st->unit, .error = SD_BUS_ERROR_NULL };
	struct timespec start, now;
	sigset_t stops;
	_cleanup_close_ int stop_fd = -1;
	int r;

	/* systemd may take seconds (a busy or emulated machine, a stopped
	 * user manager): the caller's Ctrl-C or systemctl stop ends the wait
	 * instead of waiting out the timeout.  The stop signals are blocked
	 * (the supervisor reads them), so a signalfd sees them pending. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGQUIT);
	stop_fd = signalfd(-1, &stops, SFD_CLOEXEC | SFD_NONBLOCK);

	/* Before the call, so that the signal cannot pass unseen. */
	/* Signals on the private socket carry no sender. */
	r = sym_sd_bus_match_signal(st->bus, &slot, st->direct ? NULL : "org.freedesktop.systemd1",
				    "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
				    "JobRemoved", on_job_removed, &wait);
	if (r < 0)
		goto bus_failed;
	r = sym_sd_bus_message_new_method_call(st->bus, &m, "org.freedesktop.systemd1",
					       "/org/freedesktop/systemd1",
					       "org.freedesktop.systemd1.Manager",
					       "StartTransientUnit");
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "ss", st->unit, "fail");
	if (r >= 0)
		r = sym_sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "(sv)(sv)(sv)(sv)",
					      "Description", "s", st->description,
					      /* Delegate=memory: Delegate=yes hands over
					       * every controller, and systemd then enables
					       * them in the slice and realizes every unit in
					       * it again, at the scope's start and stop. */
					      "DelegateControllers", "as", 1, "memory",
					      "CollectMode", "s", "inactive-or-failed",
					      "MemoryAccounting", "b", 1);
	if (r >= 0 && st->slice)
		r = sym_sd_bus_message_append(m, "(sv)", "Slice", "s", st->slice);
	if (r >= 0)
		r = append_limit(m, plan, SETTING_MEMORY_MAX, "MemoryMax");
	if (r >= 0)
		r = append_limit(m, plan, SETTING_MEMORY_HIGH, "MemoryHigh");
	if (r >= 0)
		r = append_limit(m, plan, SETTING_SWAP_MAX, "MemorySwapMax");
	/* The guard and the job's main process; memrun stays where it is. */
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "(sv)", "PIDs", "au", 2,
					      (uint32_t)st->guard.pid, (uint32_t)child);
	if (r >= 0)
		r = sym_sd_bus_message_close_container(m);
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0)
		goto bus_failed;
	r = sym_sd_bus_call_async(st->bus, &call_slot, m, on_start_reply, &wait, JOB_TIMEOUT_USEC);
	if (r < 0)
		goto bus_failed;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!wait.replied || (wait.job && !wait.result)) {
		uint64_t waited;
		int sig;

		r = sym_sd_bus_process(st->bus, NULL);
		if (r < 0)
			goto bus_failed;
		if (r > 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (uint64_t)(now.tv_sec - start.tv_sec) * 1000000 +
			 (uint64_t)((now.tv_nsec - start.tv_nsec) / 1000);
		if (waited >= JOB_TIMEOUT_USEC) {
			r = -ETIMEDOUT;
			*ret_why = xasprintf("systemd did not start the scope %s within %llu s",
					     st->unit, JOB_TIMEOUT_USEC / 1000000);
			goto out;
		}
		r = wait_bus_or_stop(st->bus, stop_fd, JOB_TIMEOUT_USEC - waited);
		if (r < 0)
			goto bus_failed;
		if (r > 0 && (sig = pending_stop_signal()) > 0) {
			/* Whatever systemd makes of the call now, the held job
			 * and the guard are gone by then: a scope with no
			 * process fails to start, and is collected. */
			clock_gettime(CLOCK_MONOTONIC, &now);
			r = -ECANCELED;
			*ret_why = xasprintf("stopped by SIG%s after %.1f s of waiting for systemd "
					     "to start the scope %s; the job did not start",
					     sigabbrev_np(sig),
					     (double)(now.tv_sec - start.tv_sec) +
					     (double)(now.tv_nsec - start.tv_nsec) / 1e9,
					     st->unit);
			goto out;
		}
	}
	if (wait.call_errno || !wait.job) {
		_cleanup_free_ char *text = NULL;

		r = -(wait.call_errno ? abs(wait.call_errno) : EBADMSG);
		text = bus_error_text(&wait.error, r);
		*ret_why = xasprintf("systemd refused the scope %s: %s", st->unit, text);
		goto out;
	}
	/* The scope now exists, whatever became of its job. */
	st->started = true;
	if (!streq(wait.result, "done")) {
		r = -EIO;
		*ret_why = xasprintf("systemd could not start the scope %s (job %s)", st->unit,
				     wait.result);
		goto out;
	}
	r = 0;
	goto out;

bus_failed:
	*ret_why = xasprintf("cannot ask systemd for the scope %s: %s", st->unit, strerror(-r));
out:
	free(wait.job);
	free(wait.result);
	sym_sd_bus_error_free(&wait.error);
	sym_sd_bus_message_unref(m);
	sym_sd_bus_slot_unref(call_slot);
	sym_sd_bus_slot_unref(slot);
	return r;
}

/* The scope's cgroup: where systemd has just moved the held job, as the
 * job's /proc/PID/cgroup says (no round trip to systemd), checked to be
 * the scope's own. */
static int scope_control_group(struct systemd_state *st, pid_t child, char **ret, char **ret_why)
{
	_cleanup_free_ char *proc = NULL, *text = NULL, *v1_path = NULL;
	const char *name;
	int r;

	proc = xasprintf("/proc/%d/cgroup", (int)child);
	r = read_file_alloc(proc, &text);
	if (r >= 0)
		r = cgroup_parse_proc_cgroup(text, ret, &v1_path);
	if (r >= 0 && !*ret)
		r = -ENOENT;
	if (r >= 0) {
		name = strrchr(*ret, '/');
		if (!name || !streq(name + 1, st->unit)) {
			*ret_why = xasprintf("systemd started the scope %s, but the job is in %s, "
					     "not in it", st->unit, *ret);
			free(*ret);
			*ret = NULL;
			return -EIO;
		}
		return 0;
	}
	*ret_why = xasprintf("cannot read %s to find the scope %s: %s", proc, st->unit,
			     strerror(-r));
	return r;
}

/* systemd applies a limit it cannot write (no memory.swap.max where
 * swap accounting is off) as best it can and starts the scope anyway:
 * read back what is in force. */
static int check_limits_applied(struct systemd_state *st, const struct plan *plan,
				char **ret_why)
{
	static const struct {
		enum setting_id id;
		const char *file, *property;
	} limits[] = {
		{ SETTING_MEMORY_MAX, "memory.max", "MemoryMax" },
		{ SETTING_MEMORY_HIGH, "memory.high", "MemoryHigh" },
		{ SETTING_SWAP_MAX, "memory.swap.max", "MemorySwapMax" },
	};
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
		uint64_t want, got = 0;
		char want_text[32], got_text[32];
		int r;

		if (!plan_has(plan, limits[i].id))
			continue;
		want = plan->limit_bytes[limits[i].id];
		r = cg_read_u64(st->scope_fd, limits[i].file, &got);
		/* The kernel keeps whole pages. */
		if (r >= 0 && (got == want || (want != LIMIT_UNLIMITED && got == (want & ~(page - 1)))))
			continue;
		*ret_why = xasprintf("systemd did not put %s=%s on the scope %s: %s/%s %s%s",
				     limits[i].property, size_format(want, want_text), st->unit,
				     st->scope_dir, limits[i].file,
				     r < 0 ? strerror(-r) : "reads ",
				     r < 0 ? (r == -ENOENT ? " (is swap accounting off?)" : "") :
				     size_format(got, got_text));
		return r < 0 ? r : -EIO;
	}
	return 0;
}

static int move_pid(int dir_fd, const char *dir, const char *leaf, pid_t pid, char **ret_why)
{
	char text[16];
	int r;

	snprintf(text, sizeof(text), "%d", (int)pid);
	r = cg_write(dir_fd, "cgroup.procs", text);
	if (r < 0)
		*ret_why = xasprintf("cannot move pid %d into %s/%s: %s", (int)pid, dir, leaf,
				     strerror(-r));
	return r;
}

static int systemd_adopt(struct job_cgroup *cg, pid_t child, const struct plan *plan,
			 char **ret_why)
{
	struct systemd_state *st = cg->state;
	_cleanup_free_ char *cgroup_path = NULL, *name = NULL, *events = NULL, *leaf_dir = NULL;
	_cleanup_close_ int guard_fd = -1, dir_fd = -1;
	int r;

	r = start_scope(st, child, plan, ret_why);
	if (r < 0)
		goto fail;
	r = scope_control_group(st, child, &cgroup_path, ret_why);
	if (r < 0)
		goto fail;
	st->scope_dir = cgroup_path_to_dir(st->mountpoint, st->mount_root, cgroup_path);
	st->scope_fd = st->scope_dir ?
		       open(st->scope_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
	if (st->scope_fd < 0) {
		r = st->scope_dir ? -errno : -ENOENT;
		*ret_why = xasprintf("cannot open the scope's cgroup %s: %s",
				     st->scope_dir ? st->scope_dir : cgroup_path, strerror(-r));
		goto fail;
	}
	r = check_limits_applied(st, plan, ret_why);
	if (r < 0)
		goto fail;
	/* The guard and the job each in a leaf: the scope itself holds no
	 * process, so its memory controller reaches the job's leaf. */
	if (mkdirat(st->scope_fd, GUARD_LEAF, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		*ret_why = xasprintf("cannot create %s/%s: %s", st->scope_dir, GUARD_LEAF,
				     strerror(-r));
		goto fail;
	}
	guard_fd = openat(st->scope_fd, GUARD_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = guard_fd < 0 ? -errno : move_pid(guard_fd, st->scope_dir, GUARD_LEAF, st->guard.pid,
					     ret_why);
	if (r < 0) {
		if (!*ret_why)
			*ret_why = xasprintf("cannot open %s/%s: %s", st->scope_dir, GUARD_LEAF,
					     strerror(-r));
		goto fail;
	}
	r = cgroup_make_job_dir(st->scope_fd, &name, &dir_fd);
	if (r < 0) {
		*ret_why = xasprintf("cannot create the job's cgroup in %s: %s", st->scope_dir,
				     strerror(-r));
		goto fail;
	}
	leaf_dir = xasprintf("%s/%s", st->scope_dir, name);
	r = move_pid(dir_fd, st->scope_dir, name, child, ret_why);
	if (r < 0)
		goto fail_leaf;
	r = cg_write(st->scope_fd, "cgroup.subtree_control", "+memory");
	if (r < 0) {
		*ret_why = xasprintf("cannot enable the memory controller in %s: %s", st->scope_dir,
				     strerror(-r));
		goto fail_leaf;
	}
	if (plan->values[SETTING_OOM_GROUP].set && plan->values[SETTING_OOM_GROUP].number) {
		/* On the job's leaf: an OOM kill takes the job, not the guard. */
		r = cg_write(dir_fd, "memory.oom.group", "1");
		if (r < 0) {
			*ret_why = xasprintf("cannot write %s/memory.oom.group: %s", leaf_dir,
					     strerror(-r));
			goto fail_leaf;
		}
		cg->oom_group = true;
	}
	/* The kills are counted in the job's leaf: the guard's, a victim
	 * too in the rare case, are not the job's. */
	st->leaf_events_fd = openat(dir_fd, "memory.events", O_RDONLY | O_CLOEXEC);
	st->events_fd = openat(st->scope_fd, "memory.events", O_RDONLY | O_CLOEXEC);
	st->peak_fd = openat(st->scope_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
	events = xasprintf("%s/memory.events", st->scope_dir);
	r = st->events_fd < 0 ? -errno : cgroup_v2_watch_events(cg->watch_fd, st->events_fd);
	if (r < 0) {
		*ret_why = xasprintf("cannot watch %s: %s", events, strerror(-r));
		goto fail_leaf;
	}
	/* After the memory controller's files came into the leaf above. */
	if (cg_subdirs_mark(dir_fd, &st->leaf_mark) < 0)
		st->made_cgroups = true;	/* cannot tell: may have */
	r = guard_arm(&st->guard, st->scope_fd);
	if (r < 0) {
		*ret_why = xasprintf("cannot hand the scope to its guard: %s", strerror(-r));
		goto fail_leaf;
	}

	cg->dir = TAKE_PTR(leaf_dir);
	cg->path = xasprintf("%s/%s", cgroup_path, name);
	cg->dir_fd = TAKE_FD(dir_fd);
	cg->parent_fd = fcntl(st->scope_fd, F_DUPFD_CLOEXEC, 3);
	cg->memory_max = plan_has(plan, SETTING_MEMORY_MAX) ? plan->limit_bytes[SETTING_MEMORY_MAX] : LIMIT_UNLIMITED;
	cg->memory_high = plan_has(plan, SETTING_MEMORY_HIGH) ? plan->limit_bytes[SETTING_MEMORY_HIGH] : LIMIT_UNLIMITED;
	cg->swap_max = plan_has(plan, SETTING_SWAP_MAX) ? plan->limit_bytes[SETTING_SWAP_MAX] : LIMIT_UNLIMITED;
	/* The kernel log names the scope as the cgroup whose limit was hit. */
	cg->log_name = xstrdup(st->unit);
	return 0;

fail_leaf:
	unlinkat(st->scope_fd, name, AT_REMOVEDIR);
fail:
	/* What systemd made goes with what is in it; the caller reaps the child. */
	if (st->scope_fd >= 0 && cg_write(st->scope_fd, "cgroup.kill", "1") == 0)
		guard_forget(&st->guard);
	else
		guard_release(&st->guard);
	return r;
}

/* ---- the job's life: as the cgroupfs v2 manager, on the scope's files ---- */

static void systemd_on_event(struct job_cgroup *cg)
{
	struct systemd_state *st = cg->state;

	cgroup_v2_events_read(cg, st->events_fd);
}

static bool systemd_made_cgroups(struct job_cgroup *cg)
{
	struct systemd_state *st = cg->state;

	return st->made_cgroups || cg_subdirs_changed(cg->dir_fd, &st->leaf_mark);
}

static int systemd_read_counters(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	struct systemd_state *st = cg->state;

	char buf[512];
	int r;

	if (st->events_fd < 0)
		return -ENOENT;
	/* The limit is the scope's: its "oom", "max", "high" and peak. */
	r = cgroup_v2_read_events(st->events_fd, st->peak_fd, st->scope_fd, ret);
	if (r < 0 || st->leaf_events_fd < 0 || cg_pread(st->leaf_events_fd, buf, sizeof(buf)) < 0)
		return r;
	ret->oom_kill = ret->oom_group_kill = 0;
	cg_keyed_u64(buf, "oom_kill", &ret->oom_kill);
	cg_keyed_u64(buf, "oom_group_kill", &ret->oom_group_kill);
	return 0;
}

/* Wait, at most timeout_ms, until no process is left in the scope: the
 * kernel raises POLLPRI on cgroup.events when "populated" changes. */
static void wait_scope_empty(struct systemd_state *st, int timeout_ms)
{
	_cleanup_close_ int fd = openat(st->scope_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	struct pollfd pfd = { .fd = fd, .events = POLLPRI };
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (fd >= 0) {
		char buf[128];
		uint64_t populated = 1;
		long left;

		if (cg_pread(fd, buf, sizeof(buf)) < 0 ||
		    cg_keyed_u64(buf, "populated", &populated) < 0 || populated == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR))
			return;
	}
}

/*
 * The job's leaf is gone (cgroup_finish): kill what else is in the scope,
 * the guard too, and wait until nothing of the job's runs.  The
 * empty scope is then systemd's to stop, remove and unload, as for
 * systemd-run --scope: its cgroup goes within milliseconds, the unit when
 * systemd next collects (waiting for that was most of a launch's time).
 */
static void systemd_restore_parent(struct job_cgroup *cg)
{
	struct systemd_state *st = cg->state;

	if (!st || !st->started)
		return;
	/* The guard goes with whatever the job left in the scope's own
	 * cgroup (it may write there: the scope is delegated), all at once;
	 * never memrun, which a root job may have moved there. */
	if (st->scope_fd >= 0 && cgroup_ensure_home(cg) == 0 &&
	    cg_write(st->scope_fd, "cgroup.kill", "1") == 0) {
		guard_forget(&st->guard);
		wait_scope_empty(st, GONE_TIMEOUT_MS);
	} else
		guard_release(&st->guard);
	st->started = false;
}

/* systemd-oomd's marks on the scope itself (a scope it picks dies whole,
 * guard and job), and the scope's Result while the guard still holds it
 * (after, systemd collects the unit). */
static void systemd_gather(struct job_cgroup *cg, struct oomd_marks *outer_marks,
			   struct outcome *o)
{
	struct systemd_state *st = cg->state;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *path = NULL;
	char *result = NULL;

	if (st->scope_fd >= 0)
		oomd_read_marks(st->scope_fd, outer_marks);
	if (st->unit &&
	    sym_sd_bus_path_encode("/org/freedesktop/systemd1/unit", st->unit, &path) >= 0 &&
	    sym_sd_bus_get_property_string(st->bus, "org.freedesktop.systemd1", path,
					   "org.freedesktop.systemd1.Scope", "Result", &error,
					   &result) >= 0) {
		free(o->cgroup_unit_result);
		o->cgroup_unit_result = result;
	}
	sym_sd_bus_error_free(&error);
}

static void systemd_describe(struct job_cgroup *cg, struct outcome *o)
{
	struct systemd_state *st = cg->state;

	free(o->cgroup_unit);
	o->cgroup_unit = st->unit ? xstrdup(st->unit) : NULL;
	if (st->scope_dir) {
		free(o->cgroup_dir);
		o->cgroup_dir = xstrdup(st->scope_dir);
	}
}

const struct cgroup_manager cgroup_systemd_manager = {
	.name = "systemd",
	.report_name = "systemd",
	/* The job moves into its leaf by memrun's hand (adopt). */
	CGROUP_V2_TABLE_FILES,
	.clone_into = false,

	.new_state = systemd_new_state,
	.adopt = systemd_adopt,
	.restore_parent = systemd_restore_parent,
	.describe = systemd_describe,

	.on_event = systemd_on_event,
	.made_cgroups = systemd_made_cgroups,
	.read_counters = systemd_read_counters,
	.kill_all = cgroup_v2_kill_all,
	.read_local_oom_kills = cgroup_v2_read_local_oom_kills,
	.counters_cover_subtree = cgroup_v2_counters_cover_subtree,
	.gather = systemd_gather,
	.finish = NULL,
	.free_state = systemd_free_state,
};
