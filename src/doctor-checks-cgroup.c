/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the checks of cgroups: the hierarchy, memrun's cgroup, the
 * limit over it and its usage, and whether a job cgroup with memory limits
 * can be made and joined here.
 */
#include "doctor-internal.h"

#include <errno.h>
#include <string.h>

#include "cgroup.h"
#include "size.h"
#include "util.h"

static const char *layout_words(enum doctor_cgroup_layout layout)
{
	switch (layout) {
	case DOCTOR_CGROUP_LEGACY:
		return "cgroup v1 only (legacy)";
	case DOCTOR_CGROUP_HYBRID:
		return "cgroup v1 and v2 (hybrid)";
	case DOCTOR_CGROUP_UNIFIED:
		return "cgroup v2 only (unified)";
	default:
		return "no cgroup file system";
	}
}

struct doctor_finding check_cgroup_version(const struct doctor_host *h,
					   const struct doctor_check *c)
{
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_MOUNTINFO];
	const char *source = doctor_file_path[DOCTOR_FILE_MOUNTINFO];
	const struct cgroup_place *place = &h->place;
	_cleanup_free_ char *v2_mount = NULL, *v2_root = NULL;
	enum doctor_cgroup_layout layout;

	(void)c;
	if (!f->text)
		return unreadable(DOCTOR_FILE_MOUNTINFO, f->err);
	layout = doctor_cgroup_layout(f->text);
	if (!place->manager)
		return finding(DOCTOR_WARN, source, no_value(),
			       "%s, but no memory controller memrun can use: %s; jobs run without a "
			       "cgroup, and --memory-max, --memory-high and --swap-max stop memrun "
			       "with exit 125 (--best-effort runs the job without them)",
			       layout_words(layout), place->why_none);
	/* v1 mounts a hierarchy per set of controllers, v2 one for all. */
	if (!place->manager->unified && layout == DOCTOR_CGROUP_HYBRID &&
	    cgroup_parse_mountinfo(f->text, true, &v2_mount, &v2_root, NULL) == 0)
		return finding(DOCTOR_OK, source, int_value(1),
			       "cgroup v1 hybrid: the memory controller is on cgroup v1 at %s; the "
			       "cgroup v2 mount at %s has no memory controller, so memrun uses v1",
			       place->mountpoint, v2_mount);
	if (!place->manager->unified)
		return finding(DOCTOR_OK, source, int_value(1),
			       "cgroup v1: the memory controller is at %s", place->mountpoint);
	if (layout == DOCTOR_CGROUP_HYBRID)
		return finding(DOCTOR_OK, source, int_value(2),
			       "cgroup v2 hybrid: the memory controller is on the cgroup v2 mount at "
			       "%s, which memrun uses",
			       place->mountpoint);
	return finding(DOCTOR_OK, source, int_value(2),
		       "cgroup v2 (unified) at %s, with the memory controller", place->mountpoint);
}

struct doctor_finding check_cgroup_path(const struct doctor_host *h, const struct doctor_check *c)
{
	const struct cgroup_place *place = &h->place;

	(void)c;
	if (!place->manager)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "memrun is in no memory cgroup it can use");
	return finding(DOCTOR_OK, "/proc/self/cgroup", string_value(place->own_path),
		       "memrun runs in the %scgroup %s",
		       place->manager->unified ? "" : "memory ", place->own_path);
}

struct doctor_finding check_cgroup_memory_limit(const struct doctor_host *h,
						const struct doctor_check *c)
{
	const struct cgroup_place *place = &h->place;
	_cleanup_free_ char *source = NULL;
	char limit_buf[32];
	uint64_t total;

	(void)c;
	if (!place->manager)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "no memory cgroup, so no cgroup limit applies to memrun");
	if (place->enclosing_limit == LIMIT_UNLIMITED) {
		source = xasprintf("%s/%s", place->own_dir, place->manager->memory_max_file);
		return finding(DOCTOR_OK, source, limit_value(UINT64_MAX),
			       "no memory limit on memrun's cgroup or any cgroup above it (%s is "
			       "unlimited)",
			       place->manager->memory_max_file);
	}
	source = xasprintf("%s/%s", place->enclosing_limit_dir, place->manager->memory_max_file);
	size_format(place->enclosing_limit, limit_buf);
	if (host_meminfo(h, "MemTotal", &total) == 0 && place->enclosing_limit >= total)
		return finding(DOCTOR_OK, source, bytes_value(place->enclosing_limit),
			       "memrun's cgroup is limited to %s by %s, more than MemTotal: the "
			       "machine runs out first",
			       limit_buf, place->enclosing_limit_dir);
	return finding(DOCTOR_NOTE, source, bytes_value(place->enclosing_limit),
		       "memrun's cgroup is limited to %s by %s: its jobs share that, and when it is "
		       "reached the OOM killer kills inside it however much the machine has free; "
		       "percentages (--memory-max 50%%) are of this limit",
		       limit_buf, place->enclosing_limit_dir);
}

struct doctor_finding check_cgroup_memory_usage(const struct doctor_host *h,
						const struct doctor_check *c)
{
	const struct cgroup_place *place = &h->place;
	const char *source = h->cgroup_usage_file;
	char usage_buf[32], limit_buf[32], words[96];
	uint64_t limit = place->enclosing_limit;
	unsigned used;

	(void)c;
	if (!place->manager)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "no memory cgroup, so no cgroup usage to compare");
	if (h->cgroup_usage_err == -ENOENT && streq(place->own_dir, place->mountpoint))
		return finding(DOCTOR_OK, source, no_value(),
			       "memrun runs in the root cgroup, which keeps no %s",
			       place->manager->usage_file);
	if (h->cgroup_usage_err < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell: reading %s failed: %s", source,
			       errno_words(-h->cgroup_usage_err, words));
	size_format(h->cgroup_usage, usage_buf);
	if (limit == LIMIT_UNLIMITED)
		return finding(DOCTOR_OK, source, bytes_value(h->cgroup_usage),
			       "memrun's cgroup uses %s now, with no limit", usage_buf);
	size_format(limit, limit_buf);
	used = percent(h->cgroup_usage, limit);
	if (used >= 100 - LOW_PERCENT)
		return finding(DOCTOR_WARN, source, bytes_value(h->cgroup_usage),
			       "the cgroup limiting memrun uses %s of its %s (%u%%, page cache "
			       "included): what the kernel cannot reclaim there goes to the OOM killer",
			       usage_buf, limit_buf, used);
	return finding(DOCTOR_OK, source, bytes_value(h->cgroup_usage),
		       "the cgroup limiting memrun uses %s of its %s (%u%%)", usage_buf, limit_buf,
		       used);
}

/* What to do when memrun may not create a cgroup, by errno. */
static const char *cgroup_remedy(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "run memrun as root, or under systemd-run --user -p Delegate=yes, or pass "
		       "--cgroup-parent to a cgroup you may write";
	case EROFS:
		return "the cgroup file system is mounted read-only, as in many containers: mount "
		       "it read-write, or run memrun where it is";
	case ENOSPC:
	case EAGAIN:
		return "a limit on cgroups is reached (cgroup.max.descendants or cgroup.max.depth "
		       "of a cgroup above)";
	default:
		return NULL;
	}
}

struct doctor_finding check_cgroup_job(const struct doctor_host *h, const struct doctor_check *c)
{
	const struct doctor_cgroup_probe *p = &h->probe;
	const char *consequence = "jobs run without a cgroup, and --memory-max, --memory-high "
				  "and --swap-max stop memrun with exit 125 (--best-effort runs "
				  "the job without them)";
	const char *remedy;
	char words[96];

	(void)c;
	/* No test cgroup was made (doctor-host.c): the systemd topic says
	 * whether systemd can make the scope. */
	if (h->systemd.manager == CGROUP_BY_SYSTEMD)
		return finding(DOCTOR_OK, "/proc/self/cgroup", no_value(),
			       "memrun makes no job cgroup itself here: a job's cgroup is a "
			       "transient scope that systemd makes (see cgroup_manager)");
	if (!p->parent)
		return finding(DOCTOR_WARN, "/proc/self/cgroup", no_value(),
			       "no job cgroup: %s; %s",
			       p->why_no_parent ? p->why_no_parent : "no place for one",
			       consequence);
	errno_words(-p->err, words);
	remedy = cgroup_remedy(-p->err);
	switch (p->err ? p->failed_step : DOCTOR_PROBE_REMOVE) {
	case DOCTOR_PROBE_OPEN_PARENT:
		return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
			       "cannot open %s, where the job's cgroup would go: %s; %s", p->parent,
			       words, consequence);
	case DOCTOR_PROBE_CREATE:
		return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
			       "memrun cannot create a job cgroup in %s: creating %s failed: %s; "
			       "%s%s%s",
			       p->parent, p->name, words, consequence, remedy ? "; " : "",
			       remedy ? remedy : "");
	case DOCTOR_PROBE_SET_LIMIT:
		return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
			       "memrun can create a job cgroup in %s but not set its %s: %s; memory "
			       "limits cannot be put in force there%s%s",
			       p->parent, p->limit_file, words, remedy ? "; " : "",
			       remedy ? remedy : "");
	case DOCTOR_PROBE_REMOVE:
		if (p->left_behind)
			return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
				       "created the test cgroup %s/%s but could not remove it: %s; "
				       "remove it with rmdir %s/%s",
				       p->parent, p->name, words, p->parent, p->name);
		break;
	}
	if (!p->memory_controller)
		return finding(DOCTOR_NOTE, p->parent, string_value(p->parent),
			       "memrun can create a job cgroup in %s (created and removed %s), but the "
			       "memory controller is not on for cgroups there (not in its "
			       "cgroup.subtree_control): memrun turns it on for a job, which cgroup v2 "
			       "allows only while %s holds no processes",
			       p->parent, p->name, p->parent);
	return finding(DOCTOR_OK, p->parent, string_value(p->parent),
		       "memrun can create a job cgroup in %s, with memory limits: it created %s, "
		       "set its %s and removed it",
		       p->parent, p->name, p->limit_file);
}

struct doctor_finding check_cgroup_swap_accounting(const struct doctor_host *h,
						   const struct doctor_check *c)
{
	const struct doctor_cgroup_probe *p = &h->probe;
	_cleanup_free_ char *source = NULL;

	(void)c;
	if (h->systemd.manager == CGROUP_BY_SYSTEMD)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "cannot tell whether --swap-max works: a job's cgroup is a systemd "
			       "scope, and doctor makes no test cgroup where systemd makes the "
			       "job's");
	if (!p->created || !p->memory_controller)
		return finding(DOCTOR_NOTE, p->parent ? p->parent : "/proc/self/cgroup", no_value(),
			       "cannot tell whether --swap-max works: no test cgroup with the memory "
			       "controller could be made");
	source = xasprintf("%s/%s/%s", p->parent, p->name, p->swap_file);
	if (p->swap_accounting)
		return finding(DOCTOR_OK, source, string_value("on"),
			       "swap accounting is on (a job cgroup has %s): --swap-max can be put in "
			       "force",
			       p->swap_file);
	return finding(DOCTOR_NOTE, source, string_value("off"),
		       "swap accounting is off (a job cgroup has no %s): --swap-max stops memrun "
		       "with exit 125; %s",
		       p->swap_file,
		       p->swap_accounting_remedy);
}

/*
 * How a job gets into its cgroup.  A move of a whole process (cgroup.procs)
 * takes the kernel's cgroup_threadgroup_rwsem for writing, which waits for
 * an RCU grace period unless another move happened a few milliseconds
 * before.  clone3 with CLONE_INTO_CGROUP (v2) moves nothing; on v1 the
 * job, one thread at that moment, moves itself through tasks, which Linux
 * 5.19 and later do without that lock; favordynmods makes every move cheap.
 */
struct doctor_finding check_cgroup_join(const struct doctor_host *h, const struct doctor_check *c)
{
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_MOUNTINFO];
	const struct doctor_file_text *rel = &h->files[DOCTOR_FILE_OSRELEASE];
	const char *source = doctor_file_path[DOCTOR_FILE_MOUNTINFO];
	const struct cgroup_place *place = &h->place;
	_cleanup_free_ char *mount = NULL, *root = NULL, *options = NULL;
	unsigned major = 0, minor = 0;

	(void)c;
	if (!place->manager)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "no job cgroup here, so no job waits to join one");
	if (!f->text)
		return unreadable(DOCTOR_FILE_MOUNTINFO, f->err);
	if (cgroup_parse_mountinfo(f->text, place->manager->unified, &mount, &root, &options) == 0 &&
	    list_contains(options, ',', "favordynmods"))
		return finding(DOCTOR_OK, source, string_value("favordynmods"),
			       "the cgroup hierarchy at %s is mounted with favordynmods: a job joins "
			       "its cgroup without waiting for the kernel",
			       mount);
	if (place->manager->clone_into)
		return finding(DOCTOR_OK, source, string_value("clone3"),
			       "a job starts inside its cgroup (clone3 with CLONE_INTO_CGROUP, "
			       "Linux 5.7 and later): no process is moved, so no launch waits for "
			       "the kernel");
	source = doctor_file_path[DOCTOR_FILE_OSRELEASE];
	if (!rel->text)
		return unreadable(DOCTOR_FILE_OSRELEASE, rel->err);
	if (doctor_parse_version(rel->text, &major, &minor) == 0 &&
	    (major > 5 || (major == 5 && minor >= 19)))
		return finding(DOCTOR_OK, source, string_value("tasks"),
			       "a job joins its v1 cgroup by moving its one thread through tasks "
			       "before exec, which Linux %u.%u does without waiting for other "
			       "processes",
			       major, minor);
	return finding(DOCTOR_NOTE, source, string_value("tasks"),
		       "a job joins its v1 cgroup through tasks, and before Linux 5.19 the kernel "
		       "makes every move wait for an RCU grace period unless another one happened "
		       "a few milliseconds before: a launch after an idle moment can take 4 to 16 "
		       "ms longer");
}
