/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The job's cgroup from creation to removal, whatever its manager: which
 * manager a job gets (cgroup_enter), making the cgroup and its lock,
 * the supervisor's wake-ups, and the evidence gathered at the end.
 */
#include "cgroup.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "kernel-log.h"
#include "util.h"

#define JOB_PREFIX "memrun-"
#define DRAIN_TIMEOUT_MS 5000
/* systemd-oomd counts the processes it killed once its kill is over,
 * which may be after memrun saw the job die: waited for this long. */
#define OOMD_COUNT_TIMEOUT_MS 1000
/* Tries at a name for the job's cgroup that no sweeping memrun took. */
#define CREATE_ATTEMPTS 16

/* ---- names ------------------------------------------------------------ */

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
	/* strtol takes white space, a sign ("memrun- 1") and leading zeros
	 * ("memrun-01"): not a name memrun makes, so not a cgroup memrun may
	 * remove. */
	if (!isdigit((unsigned char)*name) || *name == '0')
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
int cgroup_make_job_dir(int parent_fd, char **ret_name, int *ret_fd)
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
		.manager = &cgroup_none_manager,
		.dir_fd = -1, .join_fd = -1, .watch_fd = -1, .parent_fd = -1, .home_fd = -1,
		.memory_max = LIMIT_UNLIMITED, .memory_high = LIMIT_UNLIMITED,
		.swap_max = LIMIT_UNLIMITED, .group_killed = -1, .total_watch.fd = -1,
	};
}

void job_cgroup_free(struct job_cgroup *cg)
{
	cg->manager->free_state(cg->state);
	safe_close(cg->dir_fd);
	safe_close(cg->join_fd);
	safe_close(cg->watch_fd);
	safe_close(cg->parent_fd);
	safe_close(cg->home_fd);
	safe_close(cg->total_watch.fd);
	free(cg->home_path);
	free(cg->dir);
	free(cg->path);
	free(cg->log_name);
	job_cgroup_init(cg);
}

/* Where memrun is as the job's cgroup is made, to go back to before
 * anything kills that cgroup whole (cgroup_ensure_home): the leaf of its
 * own cgroup the manager moved it into, else its own cgroup.  Without
 * it, memrun kills the job's processes one by one. */
static void note_home(struct job_cgroup *cg, const struct cgroup_place *place,
		      const char *parent, int parent_fd)
{
	int own_fd = -1;
	const char *leaf;

	if (!place->own_path || !place->own_dir)
		return;
	leaf = cg->manager->self_leaf(cg, &own_fd);
	if (leaf) {
		cg->home_fd = openat(own_fd, leaf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		cg->home_path = xasprintf("%s/%s", streq(place->own_path, "/") ? "" : place->own_path,
					  leaf);
		return;
	}
	cg->home_fd = streq(parent, place->own_dir) ? fcntl(parent_fd, F_DUPFD_CLOEXEC, 3) :
		      open(place->own_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cg->home_path = xstrdup(place->own_path);
}

/* What to do when the cgroup file system refused memrun; --best-effort
 * is named only where the administrator's policy has not turned it off. */
static char *remedy(int err, const struct plan *plan)
{
	bool best_effort_offered = plan->values[SETTING_BEST_EFFORT].origin.kind != ORIGIN_POLICY;

	if (err == -EROFS)
		return xstrdup("the cgroup file system is mounted read-only, as in a container by "
			       "default: give the container a writable cgroup of its own (podman "
			       "does; docker needs --cgroupns=private with a writable "
			       "/sys/fs/cgroup), or set the limit on the container itself "
			       "(docker run --memory ...) and run memrun with --best-effort");
	if (err == -EACCES || err == -EPERM)
		return xasprintf("memrun may not write there: run it as root, or in a cgroup "
			       "delegated to you (systemd-run --user --scope -p Delegate=yes "
			       "memrun ...), or pass --cgroup-parent to a delegated cgroup inside "
			       "memrun's own%s",
			       best_effort_offered ? " (--best-effort runs the job without the limit)" :
						     "");
	return NULL;
}

/*
 * Create the job's cgroup below the plan's cgroup_parent or memrun's
 * place, and apply the plan's limits.  On failure returns -errno and a
 * malloc'ed reason with the remedy in *ret_why; nothing is left behind.
 */
static int cgroup_create(struct job_cgroup *cg, const struct cgroup_place *place,
			 const struct plan *plan, char **ret_why)
{
	const struct cgroup_manager *manager = NULL;
	_cleanup_free_ char *parent = NULL, *name = NULL, *why = NULL, *fix = NULL;
	_cleanup_close_ int parent_fd = -1, dir_fd = -1;
	int r;

	job_cgroup_init(cg);
	parent = cgroup_choose_parent(place, plan, &manager, &why);
	if (!parent) {
		r = -ENOENT;
		goto fail;
	}
	cg->manager = manager;
	cg->state = manager->new_state();
	r = manager->prepare_parent(cg, parent, streq(parent, place->own_dir ? place->own_dir : ""),
				    &why);
	if (r < 0)
		goto fail;

	/* Readable: the sweep lists it with no allocation once the job runs. */
	parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = parent_fd < 0 ? -errno : cgroup_make_job_dir(parent_fd, &name, &dir_fd);
	if (r < 0) {
		why = xasprintf("cannot create a cgroup in %s: %s", parent, strerror(-r));
		goto fail;
	}
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
	r = manager->apply_limits(cg, plan, &why);
	if (r < 0)
		goto fail_created;
	cg->join_fd = openat(cg->dir_fd, manager->join_file, O_WRONLY | O_CLOEXEC);
	if (cg->join_fd < 0) {
		r = -errno;
		why = xasprintf("cannot open %s/%s: %s", cg->dir, manager->join_file, strerror(-r));
		goto fail_created;
	}
	cg->watch_fd = manager->open_watch(cg);
	if (cg->watch_fd < 0) {
		r = cg->watch_fd;
		why = xasprintf("cannot watch the memory events of %s: %s", cg->dir, strerror(-r));
		goto fail_created;
	}
	cg->parent_fd = TAKE_FD(parent_fd);
	return 0;

fail_created:
	cg_rmdir(parent_fd, name);	/* just made: not renamed */
fail:
	cg->manager->restore_parent(cg);
	job_cgroup_free(cg);
	fix = remedy(r, plan);
	*ret_why = fix ? xasprintf("%s; %s", why, fix) : TAKE_PTR(why);
	return r;
}

/* The first cgroup setting the plan asks for, or SETTING_COUNT. */
static enum setting_id wanted_cgroup_setting(const struct plan *plan)
{
	static const enum setting_id cgroup_settings[] = {
		SETTING_MEMORY_MAX, SETTING_MEMORY_HIGH, SETTING_SWAP_MAX, SETTING_OOM_GROUP,
		SETTING_CGROUP_PARENT, SETTING_SLICE, SETTING_CGROUP_MANAGER,
	};

	for (size_t i = 0; i < ELEMENTSOF(cgroup_settings); i++) {
		const struct setting_value *v = &plan->values[cgroup_settings[i]];
		if (!v->set)
			continue;
		if (setting_table[cgroup_settings[i]].kind == VALUE_LIMIT &&
		    v->size.kind == SIZE_UNLIMITED)
			continue;
		/* A yes/no turned off, the manager left to auto. */
		if ((setting_table[cgroup_settings[i]].kind == VALUE_BOOL ||
		     setting_table[cgroup_settings[i]].kind == VALUE_CHOICE) && !v->number)
			continue;
		return cgroup_settings[i];
	}
	return SETTING_COUNT;
}

/* The best-effort policy, when the job's cgroup cannot be had (why): a
 * job that asked for no cgroup setting runs without one, and so does one
 * with --best-effort, its limits shown as not applied; else 125. */
static int cgroup_unavailable(struct job_cgroup *cg, const struct cgroup_place *place,
			      const struct plan *plan, struct outcome *o, int r, const char *why)
{
	enum setting_id wanted = wanted_cgroup_setting(plan);
	char value[SETTING_FORMAT_MAX], from[512];

	free(o->cgroup_error);
	o->cgroup_error = xstrdup(why);
	/* A total is the administrator's: no job of the user's runs outside
	 * it, whatever the job asked for. */
	if (plan->total.set && !plan->total.unit) {
		log_error("%s", why);
		free(o->start_error);
		o->start_error = xasprintf("the job cannot run under your total: %s", why);
		o->start_exit_status = MEMRUN_EXIT_FAILURE;
		return r;
	}
	if (wanted == SETTING_COUNT) {
		cgroup_none_enter(cg, place);
		return 0;
	}
	setting_format(wanted, &plan->values[wanted], value);
	origin_describe(&plan->values[wanted].origin, from, sizeof(from));
	if (setting_enabled(plan->values, SETTING_BEST_EFFORT)) {
		log_warning("%s = %s (from %s) is not in force: %s", setting_table[wanted].key,
			    value, from, why);
		log_warning("running the job without its cgroup limits (best effort)");
		o->limits_not_applied = true;
		cgroup_none_enter(cg, place);
		return 0;
	}
	log_error("cannot put %s = %s (from %s) in force: %s", setting_table[wanted].key, value,
		  from, why);
	free(o->start_error);
	o->start_error = xasprintf("%s cannot be put in force: %s", setting_table[wanted].key, why);
	o->start_exit_status = MEMRUN_EXIT_FAILURE;
	return r;
}

/* The manager, its cgroup made, or cgroup_unavailable's decision. */
static int cgroup_enter_manager(struct job_cgroup *cg, const struct cgroup_place *place,
				const struct plan *plan, struct outcome *o)
{
	_cleanup_free_ char *why = NULL;
	int r;

	if (cgroup_choose_manager(place, plan, &o->cgroup_manager_why) == CGROUP_BY_SYSTEMD) {
		r = cgroup_systemd_enter(cg, place, plan, &why);
	} else if (plan->values[SETTING_SLICE].set) {
		/* A slice only a scope can go in: never dropped unsaid. */
		r = -EINVAL;
		why = xasprintf("slice = %s is for a systemd scope, and memrun makes the job's "
				"cgroup itself here (%s): drop the slice, or pass "
				"--cgroup-manager=systemd", plan->values[SETTING_SLICE].text,
				o->cgroup_manager_why);
	} else {
		r = cgroup_create(cg, place, plan, &why);
	}
	if (r >= 0)
		return 0;
	return cgroup_unavailable(cg, place, plan, o, r, why);
}

int cgroup_enter(struct job_cgroup *cg, const struct cgroup_place *place,
		 const struct plan *plan, struct outcome *o)
{
	_cleanup_free_ char *why = NULL;
	int r;

	/* A total in a slice binds wherever the job's cgroup goes in it. */
	if (plan->total.set && plan->total.unit && cgroup_total_check_slice(place, plan, &why) < 0) {
		log_error("%s", why);
		o->start_error = xasprintf("the job cannot run under your total: %s", why);
		o->start_exit_status = MEMRUN_EXIT_FAILURE;
		return -ENOENT;
	}
	r = cgroup_enter_manager(cg, place, plan, o);
	if (r >= 0)
		cgroup_total_watch_start(cg, place, plan);
	return r;
}

bool cgroup_adopts_child(const struct job_cgroup *cg)
{
	return cg->manager->adopt != NULL;
}

int cgroup_adopt_child(struct job_cgroup *cg, pid_t child, const struct plan *plan,
		       struct outcome *o)
{
	char *why = NULL;
	int r = cg->manager->adopt(cg, child, plan, &why);

	if (r >= 0)
		return 0;
	/* The child is the caller's to kill; cgroup_adopt_failed() decides. */
	free(o->cgroup_error);
	o->cgroup_error = why ? why : xstrdup(strerror(-r));
	return r;
}

int cgroup_adopt_failed(struct job_cgroup *cg, const struct cgroup_place *place,
			const struct plan *plan, struct outcome *o, int err)
{
	_cleanup_free_ char *why = xstrdup(o->cgroup_error ? o->cgroup_error : strerror(-err));
	int r;

	/* Whatever the manager made goes first (a scope, its guard). */
	cg->manager->restore_parent(cg);
	job_cgroup_free(cg);
	/* The caller stopped memrun before the job started: no fallback,
	 * best effort or not, runs the job after that. */
	if (err == -ECANCELED) {
		log_error("%s", why);
		free(o->start_error);
		o->start_error = xstrdup(why);
		o->start_exit_status = MEMRUN_EXIT_FAILURE;
		return err;
	}
	r = cgroup_unavailable(cg, place, plan, o, err, why);
	if (r >= 0)
		cgroup_total_watch_start(cg, place, plan);
	return r;
}

int cgroup_write_limit(struct job_cgroup *cg, const char *file, uint64_t bytes, char **ret_why)
{
	int r = bytes == LIMIT_UNLIMITED ? cg_write(cg->dir_fd, file, cg->manager->no_limit_token) :
		cg_write_u64(cg->dir_fd, file, bytes);

	if (r < 0)
		*ret_why = xasprintf("cannot write %s/%s: %s", cg->dir, file,
				     r == -ENOENT ? cg->manager->limit_file_missing : strerror(-r));
	return r;
}

int cgroup_clone_fd(const struct job_cgroup *cg)
{
	return cg->manager->clone_into ? cg->dir_fd : -1;
}

void cgroup_restore_parent(struct job_cgroup *cg)
{
	cg->manager->restore_parent(cg);
}

int cgroup_read_evidence(struct job_cgroup *cg, struct cgroup_counters *ret)
{
	/* The cgroup is the job's own since its mkdir: its counters are the
	 * job's, with no baseline to subtract. */
	struct cgroup_counters now = { .peak_bytes = cg->sampled_peak_bytes };
	int r = cg->manager->read_counters(cg, &now);

	if (r < 0)
		return r;
	if (now.peak_sampled)
		cg->sampled_peak_bytes = now.peak_bytes;	/* keep the largest sample */
	*ret = now;
	return 0;
}

void cgroup_on_event(struct job_cgroup *cg)
{
	cg->manager->on_event(cg);
}

/*
 * systemd-oomd kills with a plain SIGKILL, which no counter of the
 * kernel's counts: its marks on the cgroups it killed tell (oomd.c).  On
 * the job's cgroup, or on a cgroup around it that holds only the job (the
 * manager's scope), they mean the whole job, the main process with it;
 * below it, a cgroup the job made.  Its journal record names the rule.
 */
static void gather_oomd(struct job_cgroup *cg, struct outcome *o, const char *job_suffix)
{
	struct oomd_marks own, below, outer = { 0 };
	uint64_t kills;

	for (long waited = 0;; waited += 10) {
		own = below = (struct oomd_marks){ 0 };
		cgroup_oomd_marks(cg, &own, &below);
		if (own.pending + below.pending == 0 || waited >= OOMD_COUNT_TIMEOUT_MS)
			break;
		sleep_ms(10);
	}
	/* The manager's word costs it a round trip (a D-Bus call): asked
	 * only where oomd may have killed the job. */
	if (cg->manager->gather && (o->signal == SIGKILL || own.actions + below.actions > 0))
		cg->manager->gather(cg, &outer, o);
	o->oomd = (struct oomd_marks){
		.actions = own.actions + below.actions + outer.actions,
		.processes = own.processes + below.processes + outer.processes,
		.pending = own.pending + below.pending + outer.pending,
	};
	o->oomd_whole_job = own.processes + own.pending + outer.processes + outer.pending > 0;
	kills = o->oomd.processes + o->oomd.pending;
	if (kills == 0)
		return;
	/* The counters' kills are the kernel's: oomd's are added. */
	if (o->oom_kills.known)
		o->oom_kills.value += kills;
	else
		o->oom_kills_at_least += kills;
	o->oomd_record_known = oomd_collect_record(job_suffix, o->start_mono_ns, &o->oomd_record,
						   &o->oomd_record_unknown) == 0;
}

/*
 * The kernel log names an enclosing cgroup as the one whose limit was hit
 * (a user's slice with the MemoryMax an admin set, a container's): keep
 * it, for the main process's kill if it was one, and read its limit,
 * levels up from the job's cgroup as the log names it (job_suffix: the
 * job's, or the manager's scope around it).
 */
static void note_named_limit(struct job_cgroup *cg, struct outcome *o, const char *job_suffix)
{
	const struct oom_victim *v = NULL;
	_cleanup_free_ char *dir = xstrdup(cg->dir);
	_cleanup_close_ int fd = -1;
	const char *name;
	char *job;
	struct statfs fs;
	uint64_t max;

	for (unsigned i = 0; o->victims_known && i < o->victims.count; i++) {
		const struct oom_victim *w = &o->victims.list[i];

		if (w->limit_cgroup[0] && (!v || w->pid == o->main_pid))
			v = w;
	}
	if (!v)
		return;
	o->limit_cgroup = xstrdup(v->limit_cgroup);
	for (job = strstr(dir, job_suffix); job; job = strstr(job + 1, job_suffix))
		if (job[strlen(job_suffix)] == '\0' || job[strlen(job_suffix)] == '/')
			break;
	if (!job)
		return;
	job[strlen(job_suffix)] = '\0';
	for (unsigned i = 0; i < v->limit_levels_up; i++) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir)
			return;
		*slash = '\0';
	}
	/* The same cgroup, as far as its name tells (a cgroup namespace
	 * shows paths from elsewhere), on the hierarchy's file system. */
	name = strrchr(v->limit_cgroup, '/');
	if (!name || !streq(name, strrchr(dir, '/')))
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &fs) < 0 || (long)fs.f_type != cg->manager->fs_magic)
		return;
	if (cg_read_u64(fd, cg->manager->memory_max_file, &max) == 0)
		o->limit_cgroup_max = (struct maybe_count){ true, max };
}

void cgroup_finish(struct job_cgroup *cg, struct outcome *o)
{
	struct cgroup_counters seen = { 0 };
	char suffix[128];
	bool counted_all = true;	/* the counters saw every OOM kill of the job */
	bool inner_limit_hit = false;
	int home, r;

	/* A manager that makes its cgroup around the child, and did not:
	 * the job never started, and there is nothing to end or read. */
	if (!cg->manager->finish && !cg->dir)
		return;
	cgroup_total_watch_finish(cg, o);
	o->cgroup_version = cg->manager->version;
	o->cgroup_manager = cg->manager->report_name;
	o->memory_max_file = cg->manager->memory_max_file;
	o->high_events_counted = cg->manager->high_events_counted;
	if (cg->manager->finish) {
		cg->manager->finish(cg, o);	/* no cgroup of the job's to end and read */
		return;
	}
	home = cgroup_ensure_home(cg);
	if (home < 0)
		log_warning("memrun cannot make sure it is out of the job's cgroup %s, where the "
			    "job may have moved it: %s; the job's processes are killed one by one",
			    cg->dir, strerror(-home));
	r = cgroup_empty_job(cg, home == 0, DRAIN_TIMEOUT_MS);
	if (r < 0)
		log_warning("processes of the job are still in %s: %s", cg->dir, strerror(-r));

	if (cgroup_read_evidence(cg, &seen) == 0) {
		/* v1 (and v2 mounted with memory_localevents) counts an OOM
		 * kill in the victim's cgroup alone: add the counts of the
		 * cgroups the job made, those it removed are lost. */
		if (cg->manager->made_cgroups(cg) && !cg->manager->counters_cover_subtree()) {
			uint64_t below = cgroup_oom_kills_below(cg, &inner_limit_hit);

			seen.oom_kill += below;
			if (below > 0 && cg->memory_max != LIMIT_UNLIMITED && seen.max > 0 && !seen.oom)
				seen.oom = 1;
			counted_all = false;
		}
		/* The manager's own group kill (v1) ended processes for the OOM too. */
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
	/* The job's cgroup as the kernel log and systemd-oomd name it: its
	 * unique name, or that of the manager's scope around it. */
	snprintf(suffix, sizeof(suffix), "/%s",
		 cg->log_name ? cg->log_name : strrchr(cg->dir, '/') + 1);
	o->cgroup_dir = xstrdup(cg->dir);
	o->memory_max = cg->memory_max;
	o->memory_high = cg->memory_high;
	o->swap_max = cg->swap_max;
	o->oom_group = cg->oom_group;

	/* The kernel log names the victims (in the job's cgroup and below
	 * it): read when there are some, or may be uncounted ones.  A group
	 * kill is one record for all its victims. */
	if (o->oom_kills.known && (o->oom_kills.value > 0 || !counted_all)) {
		uint64_t expected = cg->oom_group && o->oom_kills.value > 0 ? 1 : o->oom_kills.value;

		o->victims_source = kernel_log_collect_oom(suffix, o->start_mono_ns, expected,
							   &o->victims, &o->victims_unknown);
		if (o->victims_source != KERNEL_LOG_NONE) {
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
	/* Evidence for outcome_decide(), which says who killed what. */
	o->oom_group_killed = cg->group_killed > 0;
	o->inner_limit_hit = inner_limit_hit;
	note_named_limit(cg, o, suffix);
	gather_oomd(cg, o, suffix);

	/* The cgroups the job made go too, deepest first. */
	if (r >= 0) {
		char where[PATH_MAX];

		r = cgroup_remove_job_tree(cg, where, sizeof(where));
		if (r < 0)
			log_warning("cannot remove %s: %s", where, strerror(-r));
	}
	cgroup_remove_stale_pending(cg);
	if (cg->manager->describe)
		cg->manager->describe(cg, o);
}
