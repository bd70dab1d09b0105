/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "probe.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "elf.h"
#include "rlimit.h"
#include "size.h"
#include "util.h"

#ifndef PROBE_LIBRARY
#define PROBE_LIBRARY "/usr/local/lib/memrun/libmemrun-probe.so"
#endif
#define PROBE_LIBRARY_NAME "libmemrun-probe.so"

const char *probe_function_name(unsigned fn)
{
	static const char *const names[PROBE_FN_COUNT] = {
		[PROBE_FN_NONE] = "unknown",
		[PROBE_FN_MALLOC] = "malloc",
		[PROBE_FN_CALLOC] = "calloc",
		[PROBE_FN_REALLOC] = "realloc",
		[PROBE_FN_REALLOCARRAY] = "reallocarray",
		[PROBE_FN_POSIX_MEMALIGN] = "posix_memalign",
		[PROBE_FN_ALIGNED_ALLOC] = "aligned_alloc",
		[PROBE_FN_MEMALIGN] = "memalign",
		[PROBE_FN_VALLOC] = "valloc",
		[PROBE_FN_PVALLOC] = "pvalloc",
		[PROBE_FN_MMAP] = "mmap",
		[PROBE_FN_BRK] = "brk",
		[PROBE_FN_SBRK] = "sbrk",
	};
	return fn < PROBE_FN_COUNT ? names[fn] : "unknown";
}

const char *probe_cause_name(unsigned cause)
{
	static const char *const names[PROBE_CAUSE_COUNT] = {
		[PROBE_CAUSE_UNKNOWN] = "unknown",
		[PROBE_CAUSE_RLIMIT_AS] = "rlimit-as",
		[PROBE_CAUSE_RLIMIT_DATA] = "rlimit-data",
		[PROBE_CAUSE_COMMIT_LIMIT] = "commit-limit",
		[PROBE_CAUSE_FRAGMENTATION] = "fragmentation",
	};
	return cause < PROBE_CAUSE_COUNT ? names[cause] : "unknown";
}

char *probe_find_library(void)
{
	_cleanup_free_ char *dir = NULL;
	char *path;

	if (access(PROBE_LIBRARY, R_OK) == 0)
		return xstrdup(PROBE_LIBRARY);
	/* Run from the build tree: the library is built beside memrun. */
	dir = self_exe_dir();
	if (!dir)
		return NULL;
	path = xasprintf("%s/%s", dir, PROBE_LIBRARY_NAME);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *probe_asan_options(const char *existing)
{
	static const char key[] = "verify_asan_link_order=";
	char *merged = xasprintf("ASAN_OPTIONS=%s", existing ? existing : "");
	char *p = merged + strlen("ASAN_OPTIONS="), *out = p;

	/* Drop the caller's own verify_asan_link_order; keep everything else. */
	for (char *item = p; *item;) {
		size_t len = strcspn(item, ":");
		char *next = item + len + (item[len] ? 1 : 0);

		if (len > 0 && strncmp(item, key, strlen(key)) != 0) {
			if (out != p)
				*out++ = ':';
			memmove(out, item, len);
			out += len;
		}
		item = next;
	}
	*out = '\0';
	p = xasprintf("%s%s%s0", merged, out != merged + strlen("ASAN_OPTIONS=") ? ":" : "", key);
	free(merged);
	return p;
}

int probe_region_create(int *ret_fd, struct probe_region **ret_region)
{
	_cleanup_close_ int fd = -1;
	struct probe_region *r;

	fd = memfd_create("memrun-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, sizeof(*r)) < 0)
		return -errno;
	/*
	 * The job reaches the region by path, opened read-write: it could
	 * truncate it, and memrun's loads from a mapping past the end of the
	 * file would die of SIGBUS.  Sealed, its size is fixed for good; the
	 * job still writes the counters.
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED)
		return -errno;
	r->magic = PROBE_MAGIC;
	r->version = PROBE_VERSION;
	r->size = sizeof(*r);
	*ret_fd = TAKE_FD(fd);
	*ret_region = r;
	return 0;
}

int probe_proc_self_pid(const char *proc, pid_t *ret_pid)
{
	char path[PATH_MAX], link[32];
	long long pid;
	ssize_t n;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/self", proc) >= sizeof(path))
		return -ENAMETOOLONG;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	ret = parse_int64(link, 1, INT_MAX, &pid);
	if (ret < 0)
		return -EBADMSG;
	*ret_pid = (pid_t)pid;
	return 0;
}

int probe_env_value(const char *proc, int fd, char **ret_value, char **ret_why)
{
	_cleanup_free_ char *value = NULL;
	struct stat st;
	pid_t pid;
	int ret;

	/*
	 * The pid /proc knows memrun by, which is not getpid() when /proc is
	 * an enclosing pid namespace's (memrun as PID 1 of `unshare -pf`
	 * without --mount-proc, a runtime that mounts the host's /proc):
	 * /proc/1 is then another process, and /proc/self says which pid is
	 * memrun's there.
	 */
	ret = probe_proc_self_pid(proc, &pid);
	if (ret == -ENOENT) {
		*ret_why = xasprintf("memrun is not visible in %s (not mounted, or of a pid "
				     "namespace memrun is not in): the probe cannot reach its "
				     "shared memory region without a %s of memrun's pid "
				     "namespace (unshare --mount-proc)", proc, proc);
		return ret;
	}
	if (ret < 0) {
		*ret_why = xasprintf("cannot tell memrun's pid from %s/self: %s", proc,
				     strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		*ret_why = xasprintf("cannot stat the probe's shared memory region: %s",
				     strerror(-ret));
		return ret;
	}
	/* pid is set unless probe_proc_self_pid failed with -errno, which
	 * clang 14's analyzer may take for 0:
	 * NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
	value = xasprintf("%s/%d/fd/%d:%ju:%ju", proc, (int)pid, fd, (uintmax_t)st.st_dev,
			  (uintmax_t)st.st_ino);
	/* What every process of the job does, done once here: a path that
	 * does not reach the region is said now, not guessed from silence. */
	ret = probe_region_open(value);
	if (ret < 0) {
		*ret_why = xasprintf("the probe cannot reach its shared memory region through "
				     "%s/%d/fd/%d: %s", proc, (int)pid, fd,
				     ret == -ESTALE ? "it names another file" : strerror(-ret));
		return ret;
	}
	safe_close(ret);
	*ret_value = TAKE_PTR(value);
	return 0;
}

void probe_setup(struct probe_host *ph, const struct plan *plan)
{
	/* glibc's secure mode has removed it for an elevated memrun. */
	const char *caller = secure_getenv("LD_PRELOAD");
	_cleanup_free_ char *value = NULL;
	struct probe_region *r;
	int ret;

	*ph = (struct probe_host){ .fd = -1 };
	if (plan->values[SETTING_PROBE].set && !plan->values[SETTING_PROBE].number) {
		char from[512];
		ph->not_observed = xasprintf("the probe is off (%s)",
					     origin_describe(&plan->values[SETTING_PROBE].origin,
							     from, sizeof(from)));
		return;
	}
	ret = probe_region_create(&ph->fd, &r);
	if (ret < 0) {
		ph->not_observed = xasprintf("cannot create the probe's shared memory: %s",
					     strerror(-ret));
		return;
	}
	/* r is set unless probe_region_create failed with -errno, which
	 * clang 14's analyzer may take for 0:
	 * NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
	ph->region = r;
	/* By path, so the job needs no inherited fd (see the probe).  First:
	 * a /proc that does not show memrun also hides where memrun is
	 * (/proc/self/exe), so the library beside it would seem missing. */
	ret = probe_env_value("/proc", ph->fd, &value, &ph->not_observed);
	if (ret < 0)
		return;
	ph->library = probe_find_library();
	if (!ph->library) {
		ph->not_observed = xasprintf("the probe library is not installed (%s)", PROBE_LIBRARY);
		return;
	}
	if (strpbrk(ph->library, ": \t")) {
		ph->not_observed = xasprintf("the probe library's path %s holds a separator "
					     "LD_PRELOAD cannot carry", ph->library);
		return;
	}
	ph->enabled = true;
	ph->env_probe = xasprintf(PROBE_ENV "=%s", value);
	ph->env_preload = caller && *caller ?
			  xasprintf("LD_PRELOAD=%s:%s", ph->library, caller) :
			  xasprintf("LD_PRELOAD=%s", ph->library);
	/* The job's own variable, merged: getenv. */
	ph->env_asan = probe_asan_options(getenv("ASAN_OPTIONS"));
}

/* Beyond this a count is a scribble, not a job's history. */
#define PROBE_COUNT_MAX (1ULL << 48)

/*
 * What the probe writes holds these together; a job that scribbled over
 * the region rarely keeps them.  The counters are bumped in order
 * (failures, by_cause, largest_bytes, then first), so a process killed
 * half-way leaves them consistent too.
 */
static bool region_consistent(const struct probe_region *r)
{
	uint64_t by_cause = 0;

	if (r->magic != PROBE_MAGIC || r->version != PROBE_VERSION || r->size != sizeof(*r))
		return false;
	if (r->processes > PROBE_COUNT_MAX || r->failures > PROBE_COUNT_MAX ||
	    r->main_attached > 1 || r->first_claimed > 1 || r->first.ready > 1)
		return false;
	for (unsigned i = 0; i < PROBE_CAUSE_COUNT; i++) {
		if (r->by_cause[i] > PROBE_COUNT_MAX)
			return false;
		by_cause += r->by_cause[i];
	}
	if (by_cause > r->failures || (r->main_attached && r->processes == 0))
		return false;
	if (r->failures == 0 && (r->largest_bytes || r->first_claimed || r->first.ready))
		return false;
	if (r->first.ready &&
	    (!r->first_claimed || r->first.function >= PROBE_FN_COUNT ||
	     r->first.cause >= PROBE_CAUSE_COUNT || r->first.pid <= 0 ||
	     r->first.bytes > r->largest_bytes))
		return false;
	return true;
}

/* The program that will be the job's main process, found as exec finds it. */
static enum program_kind main_program_kind(const struct plan *plan, char **ret_path)
{
	if (!plan->command || !plan->command[0] || find_executable(plan->command[0], ret_path) < 0)
		return PROGRAM_UNKNOWN;
	return program_kind(*ret_path);
}

static char *main_program_reason(const struct plan *plan)
{
	_cleanup_free_ char *path = NULL;

	switch (main_program_kind(plan, &path)) {
	case PROGRAM_STATIC:
		return xasprintf("%s is statically linked: the probe cannot be loaded into it", path);
	case PROGRAM_SETID:
		return xasprintf("%s is setuid or setgid: the dynamic loader ignores the probe", path);
	default:
		return NULL;	/* exec will say what is wrong */
	}
}

/* "RLIMIT_AS 1 MiB", "RLIMIT_AS 1 MiB and RLIMIT_DATA 2 MiB": what memrun set. */
static bool address_limits_set(const struct plan *plan, char *buf, size_t size)
{
	static const enum setting_id ids[] = { SETTING_AS, SETTING_DATA };
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		char value[32];

		if (!plan->values[ids[i]].set || plan->limit_bytes[ids[i]] == LIMIT_UNLIMITED)
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s %s",
					len ? " and " : "", rlimit_name(ids[i]),
					size_format(plan->limit_bytes[ids[i]], value));
	}
	return len > 0 && len < size;
}

/*
 * Exit status 127 after exec succeeded, from a dynamically linked program
 * under memrun's RLIMIT_AS or RLIMIT_DATA, is most often ld.so: it could
 * not map the program's libraries ("error while loading shared
 * libraries") and exits 127, as a shell does for "command not found".
 * main_silent: the probe was in and the main program never reported to it
 * (its libraries never started); false when memrun cannot know (no probe).
 */
static void diagnose_loader(const struct plan *plan, bool main_silent, struct outcome *o)
{
	_cleanup_free_ char *path = NULL;
	bool as = plan->values[SETTING_AS].set && plan->limit_bytes[SETTING_AS] != LIMIT_UNLIMITED;
	const char *remedy;
	char limits[128];

	if (o->hint || !o->main_exited || o->exit_code != MEMRUN_EXIT_NOT_FOUND ||
	    !address_limits_set(plan, limits, sizeof(limits)) ||
	    main_program_kind(plan, &path) != PROGRAM_DYNAMIC)
		return;
	remedy = as ? "raise --as, or limit with --data or --memory-max instead" :
		      "raise --data, or limit with --memory-max instead";
	if (main_silent) {
		o->hint = xasprintf("the dynamic loader most likely could not map the libraries of "
				    "%s under %s (it exited 127 before they started): %s",
				    path, limits, remedy);
		free(o->alloc_not_observed);
		o->alloc_not_observed = xasprintf("the main program never started: the dynamic "
						  "loader most likely could not map its libraries "
						  "under %s", limits);
	} else {
		o->hint = xasprintf("exit status 127 under %s: if %s said \"error while loading "
				    "shared libraries\", the dynamic loader could not map them under "
				    "that limit: %s", limits, path, remedy);
	}
}

/* The region as the job left it, copied through the fd: never loads from
 * the mapping, which would fault (SIGBUS) past the end of a shrunk file. */
static int read_region(int fd, struct probe_region *ret)
{
	ssize_t n = pread(fd, ret, sizeof(*ret), 0);

	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*ret) ? 0 : -EBADMSG;
}

static void not_observed(struct outcome *o, char *why)
{
	o->alloc_observed = false;
	free(o->alloc_not_observed);
	o->alloc_not_observed = why;
}

void probe_collect(const struct probe_host *ph, const struct plan *plan, struct outcome *o)
{
	struct probe_region r;
	int ret;

	/* Unknown until the region says otherwise: never a confident 0. */
	o->alloc_failures = (struct maybe_count){ false, 0 };
	o->alloc_failures_at_least = 0;
	o->alloc_first_known = false;
	o->alloc_observed = false;
	free(o->alloc_not_observed);
	o->alloc_not_observed = ph->not_observed ? xstrdup(ph->not_observed) : NULL;
	if (!ph->enabled || ph->fd < 0) {
		diagnose_loader(plan, false, o);
		return;
	}
	ret = read_region(ph->fd, &r);
	if (ret == -EBADMSG) {
		not_observed(o, xstrdup("the job changed the size of the probe's shared memory "
					"region, so what it counted is lost"));
		return;
	}
	if (ret < 0) {
		not_observed(o, xasprintf("cannot read the probe's shared memory region: %s",
					  strerror(-ret)));
		return;
	}
	if (!region_consistent(&r)) {
		not_observed(o, xstrdup("the job overwrote the probe's shared memory region, "
					"so what it counted cannot be trusted"));
		return;
	}
	if (r.first.ready) {
		o->alloc_first = r.first;
		o->alloc_first.comm[sizeof(o->alloc_first.comm) - 1] = '\0';
		o->alloc_first_known = true;
	}
	if (!r.main_attached) {
		/* Only now, and only when the main program never reported in: why.
		 * What other processes of the job reported is a floor, not a count. */
		o->alloc_failures_at_least = r.failures;
		not_observed(o, main_program_reason(plan));
		diagnose_loader(plan, true, o);
		if (!o->alloc_not_observed)
			o->alloc_not_observed = xstrdup("the main program never reported to the probe "
							"(it ended before its libraries started, or "
							"reset LD_PRELOAD)");
		return;
	}
	o->alloc_observed = true;
	o->alloc_failures = (struct maybe_count){ true, r.failures };
	o->alloc_processes = r.processes;
	o->alloc_largest_bytes = r.largest_bytes;
	for (unsigned i = 0; i < PROBE_CAUSE_COUNT; i++)
		o->alloc_by_cause[i] = r.by_cause[i];
}

void probe_free(struct probe_host *ph)
{
	if (ph->region)
		munmap(ph->region, sizeof(*ph->region));
	safe_close(ph->fd);
	free(ph->library);
	free(ph->env_probe);
	free(ph->env_preload);
	free(ph->env_asan);
	free(ph->not_observed);
	*ph = (struct probe_host){ .fd = -1 };
}
