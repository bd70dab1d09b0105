/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the host snapshot.  Everything the checks look at is read
 * here, once: procfs and sysctl files, memrun's cgroup and its usage,
 * capabilities, the kernel log, glibc, the profiles; and a test cgroup is
 * created and removed where a job's would go.  What systemd says, where it
 * runs the host, is read in doctor-host-systemd.c.
 */
#include "doctor.h"

#include <fcntl.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "caps.h"
#include "cgroupfs.h"
#include "doctor-internal.h"
#include "kernel-log.h"
#include "plan.h"
#include "profile.h"
#include "util.h"

const char *const doctor_file_path[DOCTOR_FILE_COUNT] = {
	[DOCTOR_FILE_LIMITS] = "/proc/self/limits",
	[DOCTOR_FILE_STATUS] = "/proc/self/status",
	[DOCTOR_FILE_MEMINFO] = "/proc/meminfo",
	[DOCTOR_FILE_MOUNTINFO] = "/proc/self/mountinfo",
	[DOCTOR_FILE_OVERCOMMIT_MEMORY] = "/proc/sys/vm/overcommit_memory",
	[DOCTOR_FILE_OVERCOMMIT_RATIO] = "/proc/sys/vm/overcommit_ratio",
	[DOCTOR_FILE_OVERCOMMIT_KBYTES] = "/proc/sys/vm/overcommit_kbytes",
	[DOCTOR_FILE_PANIC_ON_OOM] = "/proc/sys/vm/panic_on_oom",
	[DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK] = "/proc/sys/vm/oom_kill_allocating_task",
	[DOCTOR_FILE_DMESG_RESTRICT] = "/proc/sys/kernel/dmesg_restrict",
	[DOCTOR_FILE_OOM_SCORE_ADJ] = "/proc/self/oom_score_adj",
	[DOCTOR_FILE_OSRELEASE] = "/proc/sys/kernel/osrelease",
};

static void read_cgroup_usage(struct doctor_host *h)
{
	const struct cgroup_place *place = &h->place;
	const char *dir;
	_cleanup_close_ int fd = -1;

	h->cgroup_usage_err = -ENOENT;
	if (!place->manager)
		return;
	dir = place->enclosing_limit_dir ? place->enclosing_limit_dir : place->own_dir;
	h->cgroup_usage_file = xasprintf("%s/%s", dir, place->manager->usage_file);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	h->cgroup_usage_err =
		fd < 0 ? -errno :
			 cg_read_u64(fd, place->manager->usage_file, &h->cgroup_usage);
}

static int create_test_cgroup(int parent_fd, const char *name)
{
	if (mkdirat(parent_fd, name, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* Left by an earlier doctor with the same pid: empty, so it goes. */
	if (cg_rmdir(parent_fd, name) < 0)
		return -EEXIST;
	return mkdirat(parent_fd, name, 0755) == 0 ? 0 : -errno;
}

/*
 * Do what memrun does before a job, on a test cgroup: create it where the
 * job's would go, set its memory limit (to "no limit"), remove it.  The
 * parent's cgroup.subtree_control is never changed.
 */
static void probe_job_cgroup(struct doctor_host *h, const struct plan *plan)
{
	struct doctor_cgroup_probe *p = &h->probe;
	const struct cgroup_manager *manager = NULL;
	_cleanup_close_ int parent_fd = -1, dir_fd = -1;
	sigset_t block, saved;
	int r;

	p->parent = cgroup_choose_parent(&h->place, plan, &manager, &p->why_no_parent);
	if (!p->parent)
		return;
	p->no_limit_token = manager->no_limit_token;
	p->swap_accounting_remedy = manager->swap_accounting_remedy;
	p->limit_file = manager->memory_max_file;
	p->swap_file = manager->swap_max_file;
	p->name = xasprintf(TEST_CGROUP_PREFIX "%d", (int)getpid());

	parent_fd = open(p->parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0) {
		p->err = -errno;
		p->failed_step = DOCTOR_PROBE_OPEN_PARENT;
		return;
	}

	/* No ^C between mkdir and rmdir: the test cgroup must not stay. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);

	r = create_test_cgroup(parent_fd, p->name);
	if (r < 0) {
		p->err = r;
		p->failed_step = DOCTOR_PROBE_CREATE;
		goto out;
	}
	p->created = true;
	dir_fd = openat(parent_fd, p->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		p->err = -errno;
		p->failed_step = DOCTOR_PROBE_SET_LIMIT;
	} else if (cg_exists(dir_fd, p->limit_file)) {
		p->memory_controller = true;
		p->swap_accounting = cg_exists(dir_fd, p->swap_file);
		r = cg_write(dir_fd, p->limit_file, p->no_limit_token);
		if (r < 0) {
			p->err = r;
			p->failed_step = DOCTOR_PROBE_SET_LIMIT;
		}
	}
	/* Read by its cleanup, which clang 14's analyzer does not see:
	 * NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores) */
	dir_fd = safe_close(dir_fd);
	r = cg_rmdir(parent_fd, p->name);
	if (r < 0) {
		p->left_behind = true;
		p->err = r;
		p->failed_step = DOCTOR_PROBE_REMOVE;
	}
out:
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

/* "db (-500)": the profiles found that ask for less than current. */
static char *profiles_lowering_oom_score_adj(long long current)
{
	struct profile_entry *entries;
	size_t n = profile_list_all(&entries);
	char *list = NULL;

	for (size_t i = 0; i < n; i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		const struct setting_value *adj = &values[SETTING_OOM_SCORE_ADJ];
		struct profile_set set = { 0 };

		if (profile_load(&set, entries[i].name, values) == 0 && adj->set &&
		    adj->number < current) {
			char *longer = xasprintf("%s%s%s (%lld)", list ? list : "",
						 list ? ", " : "", entries[i].name, adj->number);
			free(list);
			list = longer;
		}
		profile_set_free(&set);
	}
	profile_entries_free(entries, n);
	return list;
}

void doctor_host_read(struct doctor_host *h)
{
	const struct doctor_file_text *adj_file;
	struct plan plan;
	long long adj = 0;

	*h = (struct doctor_host){ 0 };
	plan_init(&plan);
	/* A site's default profile may name the cgroup_parent or manager. */
	if (plan_load_profiles(&plan, NULL, 0) < 0) {
		plan_free(&plan);
		plan_init(&plan);
	}
	for (unsigned i = 0; i < DOCTOR_FILE_COUNT; i++)
		h->files[i].err = read_file_alloc(doctor_file_path[i], &h->files[i].text);

	cgroup_locate(&h->place);
	cgroup_find_enclosing_limit(&h->place, NULL);
	read_cgroup_usage(h);
	doctor_systemd_read(&h->systemd, &h->place, &plan);
	/* Where systemd makes the job's cgroup, memrun makes none to test. */
	if (h->systemd.manager != CGROUP_BY_SYSTEMD)
		probe_job_cgroup(h, &plan);
	plan_free(&plan);

	h->sys_resource = caps_have_sys_resource();
	h->standing = caps_standing();
	h->root = getuid() == 0;
	kernel_log_access_check(&h->kernel_log);
	h->glibc_version = gnu_get_libc_version();
	h->glibc_tunables = getenv("GLIBC_TUNABLES");	/* what a job would get merged */

	adj_file = &h->files[DOCTOR_FILE_OOM_SCORE_ADJ];
	if (!adj_file->text || doctor_parse_number(adj_file->text, &adj) < 0)
		adj = 0;
	h->profiles_lowering = profiles_lowering_oom_score_adj(adj);
}

void doctor_host_free(struct doctor_host *h)
{
	for (unsigned i = 0; i < DOCTOR_FILE_COUNT; i++)
		free(h->files[i].text);
	cgroup_place_free(&h->place);
	free(h->probe.parent);
	free(h->probe.why_no_parent);
	free(h->probe.name);
	free(h->cgroup_usage_file);
	free(h->profiles_lowering);
	kernel_log_access_free(&h->kernel_log);
	doctor_systemd_free(&h->systemd);
	*h = (struct doctor_host){ 0 };
}
