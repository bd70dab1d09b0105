/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dryrun.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "caps.h"
#include "kernel-log.h"
#include "probe.h"
#include "oomadj.h"
#include "privilege.h"
#include "rlimit.h"
#include "seccomp-lock.h"
#include "util.h"

/* As a shell would need it typed, so the line can be copied. */
static void print_shell_quoted(FILE *out, const char *arg)
{
	fputc(' ', out);
	if (*arg && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789@%+=:,./_-") == strlen(arg)) {
		fputs(arg, out);
		return;
	}
	fputc('\'', out);
	for (const char *p = arg; *p; p++)
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	fputc('\'', out);
}

static void print_row(FILE *out, const char *name, const char *value, const char *from)
{
	fprintf(out, "  %-22s %-30s %s\n", name, value, from);
}

/* What a real run would trip over, said now rather than later. */
static void print_setting_note(FILE *out, const struct plan *plan, enum setting_id id)
{
	const struct setting_value *v = &plan->values[id];
	const char *rl = rlimit_name(id);
	int current;

	if (!v->set)
		return;
	if (id == SETTING_OOM_SCORE_ADJ && oomadj_read_self(&current) == 0 &&
	    v->number < current && !caps_have_sys_resource())
		fprintf(out, "  %-22s ! lowering oom_score_adj below %d %s: a real run stops with "
			"exit 125\n", "", current, caps_sys_resource_lacking());
	if (rl) {
		struct rlimit now;
		int resource = id == SETTING_AS ? RLIMIT_AS : RLIMIT_DATA;
		rlim_t want = plan->limit_bytes[id] == LIMIT_UNLIMITED ? RLIM_INFINITY :
			      (rlim_t)plan->limit_bytes[id];
		if (getrlimit(resource, &now) == 0 && want > now.rlim_max &&
		    !caps_have_sys_resource())
			fprintf(out, "  %-22s ! above the inherited hard limit, and raising a hard "
				"limit %s: a real run stops with exit 125\n", "",
				caps_sys_resource_lacking());
	}
}

static void print_settings(FILE *out, const struct plan *plan)
{
	char value[SETTING_FORMAT_MAX + 64], from[512], tmp[32], fmt[SETTING_FORMAT_MAX];

	print_row(out, "setting", "value", "from");
	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		const struct setting_value *v = &plan->values[i];

		if (!v->set) {
			const char *rl = rlimit_name((enum setting_id)i);
			uint64_t inherited = rl ? rlimit_in_force(plan, (enum setting_id)i) : 0;
			int adj;

			if (rl)
				snprintf(value, sizeof(value), "not set (inherited: %s)",
					 inherited == LIMIT_UNLIMITED ? "unlimited" :
					 size_format(inherited, tmp));
			else if (i == SETTING_OOM_SCORE_ADJ && oomadj_read_self(&adj) == 0)
				snprintf(value, sizeof(value), "not set (inherited: %d)", adj);
			else if (i == SETTING_PROBE)
				snprintf(value, sizeof(value), "yes");	/* on unless turned off */
			else if (setting_table[i].kind == VALUE_BOOL)
				snprintf(value, sizeof(value), "no");
			else
				snprintf(value, sizeof(value), "not set");
			/* Unset malloc keys would only be noise. */
			if (!setting_is_malloc((enum setting_id)i))
				print_row(out, setting_table[i].key, value, "default");
			continue;
		}
		setting_format((enum setting_id)i, v, fmt);
		if (setting_table[i].kind == VALUE_LIMIT && v->size.kind == SIZE_PERCENT)
			snprintf(value, sizeof(value), "%s = %s", fmt,
				 size_format(plan->limit_bytes[i], tmp));
		else
			snprintf(value, sizeof(value), "%s", fmt);
		print_row(out, setting_table[i].key, value,
			  origin_describe(&v->origin, from, sizeof(from)));
		if (plan->policy_asked[i])
			fprintf(out, "  %-22s ! lowered by the policy (clamp = yes) from %s\n", "",
				plan->policy_asked[i]);
		print_setting_note(out, plan, (enum setting_id)i);
	}
}

static void print_lock_limits(FILE *out, const struct plan *plan)
{
	struct seccomp_lock lock = SECCOMP_LOCK_INIT;
	_cleanup_free_ char *why = NULL;

	if (!setting_enabled(plan->values, SETTING_LOCK_LIMITS)) {
		fprintf(out, "lock_limits: off, the job may set its own rlimits (root: raise them "
			"too)\n");
		return;
	}
	fprintf(out, "lock_limits: on, setrlimit and prlimit64 calls that set %s fail with EPERM "
		"in the job and everything it starts, as root too (a seccomp filter for %s "
		"system calls)\n", seccomp_lock_limits(), seccomp_lock_abis());
	if (seccomp_lock_build(&lock, &why) < 0)
		fprintf(out, "  ! %s: a real run stops with exit 125\n", why);
	seccomp_lock_free(&lock);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		fprintf(out, "  no_new_privs: on already, set by memrun's caller\n");
	else if (seccomp_lock_needs_no_new_privs())
		fprintf(out, "  no_new_privs: on, as memrun lacks CAP_SYS_ADMIN, which a seccomp "
			"filter needs otherwise: setuid and file-capability programs in the job "
			"(sudo, ping) run without their privilege\n");
	else
		fprintf(out, "  no_new_privs: off (memrun has CAP_SYS_ADMIN): the job keeps the "
			"caller's credentials\n");
}

static void print_probe(FILE *out, const struct plan *plan)
{
	const struct setting_value *v = &plan->values[SETTING_PROBE];
	_cleanup_free_ char *library = NULL;
	const char *caller = secure_getenv("LD_PRELOAD");
	char from[512];

	if (v->set && !v->number) {
		fprintf(out, "  no allocation probe (%s)\n",
			origin_describe(&v->origin, from, sizeof(from)));
		if (!plan->glibc_tunables)
			fprintf(out, "  unchanged\n");
		return;
	}
	library = probe_find_library();
	if (!library) {
		fprintf(out, "  ! the allocation probe is not installed: refused allocations will "
			"not be observed\n");
		return;
	}
	fprintf(out, "  LD_PRELOAD=%s%s%s\n", library, caller && *caller ? ":" : "",
		caller && *caller ? caller : "");
	fprintf(out, "  MEMRUN_PROBE=/proc/<memrun's pid>/fd/<n>:<dev>:<ino>  (the probe's shared memory)\n");
}

static void print_cgroup(FILE *out, const struct plan *plan, const struct cgroup_place *place)
{
	const struct cgroup_manager *manager = NULL;
	_cleanup_free_ char *why = NULL, *why_manager = NULL, *parent = NULL;
	bool by_systemd = cgroup_choose_manager(place, plan, &why_manager) == CGROUP_BY_SYSTEMD;
	char buf[32];

	fprintf(out, "cgroup:\n");
	fprintf(out, "  manager: %s (%s)\n", by_systemd ? "systemd, a transient scope" : "cgroupfs, memrun itself",
		why_manager);
	if (place->manager) {
		fprintf(out, "  %s, memory controller at %s\n", place->manager->name, place->mountpoint);
		fprintf(out, "  memrun's cgroup: %s", place->own_path);
		if (place->enclosing_limit != LIMIT_UNLIMITED)
			fprintf(out, " (limited to %s by %s)", size_format(place->enclosing_limit, buf),
				place->enclosing_limit_dir);
		fputc('\n', out);
	} else {
		fprintf(out, "  none usable: %s\n", place->why_none);
	}
	if (by_systemd) {
		fprintf(out, "  the job's cgroup: a scope memrun-<pid>-<token>.scope from %s, in %s\n",
			geteuid() == 0 ? "the system manager" : "your user manager",
			plan->values[SETTING_SLICE].set ? plan->values[SETTING_SLICE].text :
			geteuid() == 0 ? "memrun's own slice" : "its default slice");
		return;
	}
	parent = cgroup_choose_parent(place, plan, &manager, &why);
	if (parent && access(parent, W_OK) == 0)
		fprintf(out, "  the job's cgroup: a new one in %s\n", parent);
	else if (parent)
		fprintf(out, "  ! the job's cgroup would go in %s, which memrun may not write "
			"(%s)\n", parent, strerror(errno));
	else
		fprintf(out, "  ! no cgroup for the job: %s\n", why);
}

static void print_kernel_log(FILE *out)
{
	struct kernel_log_access a;
	_cleanup_free_ char *why = NULL;

	kernel_log_access_check(&a);
	fprintf(out, "kernel log:\n");
	switch (kernel_log_choose(&a)) {
	case KERNEL_LOG_KMSG:
		fprintf(out, "  /dev/kmsg is readable: OOM-killed processes are named in the report "
			"(oom.victims_source \"kmsg\")\n");
		break;
	case KERNEL_LOG_JOURNAL:
		fprintf(out, "  /dev/kmsg is not readable (%s), the system journal is: OOM-killed "
			"processes are named in the report (oom.victims_source \"journal\")\n",
			strerror(-a.kmsg_err));
		if (!a.journal_kernel_records)
			fprintf(out, "  ! the system journal holds no kernel message (systemd-journald "
				"does not read the kernel log here): victims would not be named\n");
		break;
	case KERNEL_LOG_NONE:
		why = kernel_log_unreadable_why(a.kmsg_err, a.journal_err, a.journal_why);
		fprintf(out, "  ! %s: the report's oom.victims stays null; %s\n", why,
			kernel_log_remedy(a.journal_err));
		break;
	}
	kernel_log_access_free(&a);
}

int dryrun_print(FILE *out, const struct plan *plan, const struct cgroup_place *place)
{
	char tmp[32];
	int status = 0;

	fprintf(out, "memrun: dry run, nothing is started\n");
	fprintf(out, "profiles:\n");
	if (plan->profiles.count == 0)
		fprintf(out, "  (none)\n");
	for (size_t i = 0; i < plan->profiles.count; i++) {
		const struct loaded_profile *p = &plan->profiles.items[i];
		fprintf(out, "  %*s%s  %s%s%s\n", (int)(2 * p->depth), "", p->name, p->path,
			p->depth ? "  (inherited)" : "",
			plan->default_profile_loaded && i == 0 ? "  (no --profile given)" : "");
	}

	fprintf(out, "command:\n");
	if (!plan->command || !plan->command[0]) {
		fprintf(out, "  (none given)\n");
	} else {
		_cleanup_free_ char *path = NULL;
		int r = find_executable(plan->command[0], &path);

		fputs(" ", out);
		for (char **a = plan->command; *a; a++)
			print_shell_quoted(out, *a);
		fputc('\n', out);
		if (r == 0)
			fprintf(out, "  runs %s\n", path);
		else if (r == -EACCES)
			fprintf(out, "  ! '%s' is not executable: a real run stops with exit 126\n",
				plan->command[0]);
		else
			fprintf(out, "  ! '%s' is not found: a real run stops with exit 127\n",
				plan->command[0]);
		status = r == 0 ? 0 : r == -EACCES ? MEMRUN_EXIT_CANNOT_EXEC : MEMRUN_EXIT_NOT_FOUND;
	}

	fprintf(out, "policy:\n");
	if (plan->policy_file)
		fprintf(out, "  %s binds you: %s\n", plan->policy_file, plan->policy_sections);
	if (plan->total.set)
		fprintf(out, "  total: %s for all your jobs (total_memory_max, line %u), %s%s\n",
			size_format(plan->total.bytes, tmp), plan->total.line,
			plan->total.unit ? "the MemoryMax of " : "your jobs' cgroups go in ",
			plan->total.unit ? plan->total.unit :
			plan->total.dir ? plan->total.dir : "(no memory cgroup hierarchy here)");
	else if (getuid() == 0)
		fprintf(out, "  none binds root\n");
	else
		fprintf(out, "  none (no %s)\n", POLICY_FILE);

	fprintf(out, "settings (100%% = %s, %s):\n", size_format(plan->memory_budget, tmp),
		plan->memory_budget_source);
	print_settings(out, plan);
	print_lock_limits(out, plan);
	privilege_dryrun_print(out);

	print_cgroup(out, plan, place);
	print_kernel_log(out);
	fprintf(out, "environment:\n");
	if (plan->glibc_tunables)
		fprintf(out, "  GLIBC_TUNABLES=%s\n", plan->glibc_tunables);
	print_probe(out, plan);
	fprintf(out, "report:\n  %s\n", plan->report_path ? plan->report_path : "(no --report)");
	fprintf(out, "summary line:\n  %s\n", plan->quiet ? "off (--quiet)" : "on stderr");
	return status;
}
