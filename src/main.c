/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun: run a command under memory limits, supervise it, and report how
 * it ended.  This file is the command line; the work happens in plan.c
 * (what to do), spawn.c (start), supervise.c (wait) and report.c (tell).
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/auxv.h>
#include <sys/resource.h>

#include "cgroup.h"
#include "doctor.h"
#include "dryrun.h"
#include "handover.h"
#include "kmsg.h"
#include "notify.h"
#include "probe.h"
#include "outcome.h"
#include "plan.h"
#include "policy-enforce.h"
#include "policy-total.h"
#include "policy_cmd.h"
#include "privilege.h"
#include "profiles_cmd.h"
#include "report.h"
#include "spawn.h"
#include "supervise.h"
#include "userdb.h"
#include "util.h"

#ifndef MEMRUN_VERSION
#define MEMRUN_VERSION "0.0.0"
#endif

extern char **environ;

enum {
	OPT_MALLOC = CHAR_MAX + 1,
	OPT_REPORT,
	OPT_DRY_RUN,
	OPT_VERSION,
	OPT_NO_PROBE,
	OPT_SETTING,	/* OPT_SETTING + setting id: --as, --data, ... */
};

static const struct option long_options[] = {
	{ "profile",       required_argument, NULL, 'p' },
	{ "as",            required_argument, NULL, OPT_SETTING + SETTING_AS },
	{ "data",          required_argument, NULL, OPT_SETTING + SETTING_DATA },
	{ "lock-limits",   optional_argument, NULL, OPT_SETTING + SETTING_LOCK_LIMITS },
	{ "oom-score-adj", required_argument, NULL, OPT_SETTING + SETTING_OOM_SCORE_ADJ },
	{ "memory-max",    required_argument, NULL, OPT_SETTING + SETTING_MEMORY_MAX },
	{ "memory-high",   required_argument, NULL, OPT_SETTING + SETTING_MEMORY_HIGH },
	{ "swap-max",      required_argument, NULL, OPT_SETTING + SETTING_SWAP_MAX },
	{ "oom-group",     optional_argument, NULL, OPT_SETTING + SETTING_OOM_GROUP },
	{ "wait-all",      optional_argument, NULL, OPT_SETTING + SETTING_WAIT_ALL },
	{ "cgroup-parent", required_argument, NULL, OPT_SETTING + SETTING_CGROUP_PARENT },
	{ "best-effort",   optional_argument, NULL, OPT_SETTING + SETTING_BEST_EFFORT },
	{ "cgroup-manager", required_argument, NULL, OPT_SETTING + SETTING_CGROUP_MANAGER },
	{ "slice",         required_argument, NULL, OPT_SETTING + SETTING_SLICE },
	{ "malloc",        required_argument, NULL, OPT_MALLOC },
	{ "no-probe",      no_argument,       NULL, OPT_NO_PROBE },
	{ "report",        required_argument, NULL, OPT_REPORT },
	{ "quiet",         no_argument,       NULL, 'q' },
	{ "dry-run",       no_argument,       NULL, OPT_DRY_RUN },
	{ "help",          no_argument,       NULL, 'h' },
	{ "version",       no_argument,       NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("Usage: memrun [OPTION]... [--] COMMAND [ARG]...\n"
	       "       memrun profiles [list | show NAME]\n"
	       "       memrun doctor [--json]\n"
	       "       memrun policy [show [USER] | apply]\n"
	       "\n"
	       "Run COMMAND under memory limits, supervise it, and report whether it\n"
	       "exited normally, ran out of memory or was OOM-killed.\n"
	       "\n"
	       "Options:\n"
	       "  -p, --profile NAME|PATH  load a profile; repeatable, later wins\n"
	       "      --as SIZE            RLIMIT_AS (address space), soft and hard\n"
	       "      --data SIZE          RLIMIT_DATA (private writable memory), soft and hard\n"
	       "      --lock-limits[=no]   the job cannot set RLIMIT_AS, RLIMIT_DATA or\n"
	       "                           RLIMIT_MEMLOCK, even as root (a seccomp filter;\n"
	       "                           without CAP_SYS_ADMIN, the job gets no_new_privs)\n"
	       "      --oom-score-adj N    the job's oom_score_adj, -1000..1000\n"
	       "      --memory-max SIZE    cgroup memory.max (v1 memory.limit_in_bytes)\n"
	       "      --memory-high SIZE   cgroup memory.high (v1 memory.soft_limit_in_bytes)\n"
	       "      --swap-max SIZE      cgroup memory.swap.max (v1 memory.memsw.limit_in_bytes)\n"
	       "      --oom-group[=no]     one OOM kill ends the whole job (v2 memory.oom.group)\n"
	       "      --wait-all[=no]      when the main process ends, wait for the job's other\n"
	       "                           processes instead of killing them (daemonizing programs)\n"
	       "      --cgroup-parent PATH create the job's cgroup below PATH (a delegated cgroup)\n"
	       "      --cgroup-manager auto|systemd|cgroupfs\n"
	       "                           who makes the job's cgroup: systemd (a transient\n"
	       "                           scope over D-Bus) or memrun itself; auto: systemd\n"
	       "                           where it owns memrun's cgroup\n"
	       "      --slice NAME         put the job's systemd scope in slice NAME\n"
	       "      --best-effort[=no]   run the job even when a cgroup limit cannot be put in\n"
	       "                           force; the report shows it as not applied\n"
	       "      --malloc KEY=VALUE   glibc malloc tuning, repeatable; KEY is one of\n"
	       "                           %s\n"
	       "      --no-probe           do not load the allocation probe into the job\n"
	       "      --report FILE        write the JSON report to FILE\n"
	       "  -q, --quiet              no summary line on stderr\n"
	       "      --dry-run            show every resolved setting and its origin; run nothing\n"
	       "  -h, --help               show this help and exit\n"
	       "      --version            show the version and exit\n"
	       "\n"
	       "SIZE is a byte count with an optional K, M, G or T suffix (powers of 1024,\n"
	       "optionally followed by iB or B; 1.5G works too), a percentage of the memory\n"
	       "the job could use (50%%: of MemTotal, or of the tightest limit of the cgroups\n"
	       "around memrun when lower), or max (also: unlimited).  Later options win over\n"
	       "profiles, profiles over defaults.\n"
	       "\n"
	       "Exit status: COMMAND's.  When COMMAND was killed by signal N, memrun ends\n"
	       "itself by the same signal once its report is written (a shell shows\n"
	       "128+N), or exits 128+N where it cannot (as PID 1).  125 when memrun itself\n"
	       "failed, 126 when COMMAND could not be executed, 127 when it was not found.\n"
	       "\n"
	       "See memrun(1), memrun.profile(5) and memrun.policy(5).\n",
	       setting_malloc_names());
}

static const char *option_name(enum setting_id id, char buf[static 64])
{
	if (setting_table[id].option)
		snprintf(buf, 64, "--%s", setting_table[id].option);
	else
		snprintf(buf, 64, "--malloc %s", setting_table[id].key + strlen("malloc."));
	return buf;
}

/* One flag value into flags[]; on failure prints why and returns -errno. */
static int parse_setting_flag(enum setting_id id, const char *value,
			      struct setting_value flags[SETTING_COUNT])
{
	static char option_names[SETTING_COUNT][64];
	char *reason = NULL;
	int r;

	flags[id].origin = (struct origin){
		.kind = ORIGIN_FLAG, .flag = option_name(id, option_names[id]),
	};
	r = setting_parse(id, value, &flags[id], &reason);
	if (r < 0) {
		log_error("%s: bad value '%s': %s", option_names[id], value, reason);
		free(reason);
	}
	return r;
}

static int parse_malloc_flag(const char *arg, struct setting_value flags[SETTING_COUNT])
{
	_cleanup_free_ char *key = NULL;
	/* arg is a required argument's optarg, which clang 14's analyzer
	 * takes for NULL past an option without one:
	 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	const char *eq = strchr(arg, '=');
	enum setting_id id;

	if (!eq) {
		log_error("--malloc: expected KEY=VALUE, got '%s'", arg);
		log_hint("KEY is one of: %s", setting_malloc_names());
		return -EINVAL;
	}
	key = strndup(arg, (size_t)(eq - arg));
	if (!key || !setting_by_malloc_name(key, &id)) {
		log_error("--malloc: unknown key '%s'", key ? key : arg);
		log_hint("KEY is one of: %s", setting_malloc_names());
		return -EINVAL;
	}
	/* key is freed by its cleanup, which clang 14's analyzer does not see:
	 * NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	return parse_setting_flag(id, eq + 1, flags);
}

struct options {
	struct setting_value flags[SETTING_COUNT];
	char **profiles;
	size_t profile_count;
	const char *report_path;
	bool quiet;
	bool dry_run;
	char **command;
};

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *opts)
{
	int c;

	/* '+': stop at the command, so 'memrun ls -l' passes -l to ls. */
	while ((c = getopt_long(argc, argv, "+p:qh", long_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts->profiles = xrealloc(opts->profiles,
						  (opts->profile_count + 1) * sizeof(char *));
			opts->profiles[opts->profile_count++] = optarg;
			break;
		case OPT_MALLOC:
			if (parse_malloc_flag(optarg, opts->flags) < 0)
				return bad_usage(NULL);
			break;
		case OPT_NO_PROBE:
			if (parse_setting_flag(SETTING_PROBE, "no", opts->flags) < 0)
				return bad_usage(NULL);
			break;
		case OPT_REPORT:
			/* A required argument (see parse_malloc_flag):
			 * NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
			if (!*optarg) {
				log_error("--report: the file name is empty");
				return bad_usage(NULL);
			}
			opts->report_path = optarg;
			break;
		case 'q':
			opts->quiet = true;
			break;
		case OPT_DRY_RUN:
			opts->dry_run = true;
			break;
		case 'h':
			usage();
			return stdout_finish(0);
		case OPT_VERSION:
			printf("memrun %s\n", MEMRUN_VERSION);
			return stdout_finish(0);
		default:
			if (c >= OPT_SETTING && c < OPT_SETTING + SETTING_COUNT) {
				/* An option without argument turns a yes/no setting on. */
				if (parse_setting_flag((enum setting_id)(c - OPT_SETTING),
						       optarg ? optarg : "yes", opts->flags) < 0)
					return bad_usage(NULL);
				break;
			}
			return bad_usage(NULL);
		}
	}
	opts->command = argv + optind;
	if (!opts->command[0] && !opts->dry_run) {
		log_error("no command given");
		fprintf(stderr, "Usage: memrun [OPTION]... [--] COMMAND [ARG]...\n");
		return bad_usage(NULL);
	}
	return -1;
}

struct adopt_context {
	struct job_cgroup *cg;
	const struct plan *plan;
	struct outcome *o;
};

/* spawn's place_child for a manager that makes the cgroup around the job. */
static int adopt_child(pid_t child, void *data)
{
	struct adopt_context *a = data;

	return cgroup_adopt_child(a->cg, child, a->plan, a->o);
}

static int spawn_in_cgroup(const struct plan *plan, struct supervisor *sup, struct job_cgroup *cg,
			   struct probe_host *probe, const struct seccomp_lock *lock,
			   struct adopt_context *adopt, pid_t *ret_pid,
			   struct spawn_failure *ret_failure)
{
	return spawn_job(plan,
			 &(struct spawn_options){
				 .child_mask = &sup->caller_mask,
				 .child_ignored = &sup->caller_ignored,
				 .cgroup_join_fd = cg->join_fd,
				 .clone_into_cgroup_fd = cgroup_clone_fd(cg),
				 .announce_pid = probe->region ? &probe->region->main_pid : NULL,
				 .lock_limits = lock->prog.len ? lock : NULL,
				 .credentials = privilege_child(),
				 .place_child = cgroup_adopts_child(cg) ? adopt_child : NULL,
				 .place_child_data = adopt,
			 },
			 ret_pid, ret_failure);
}

static int run_job(struct plan *plan, const struct cgroup_place *place, struct outcome *o)
{
	struct supervisor sup;
	struct spawn_failure failure;
	struct job_cgroup cg;
	struct probe_host probe = { .fd = -1 };
	struct seccomp_lock lock = SECCOMP_LOCK_INIT;
	struct adopt_context adopt = { .cg = &cg, .plan = plan, .o = o };
	struct notify_relay relay = NOTIFY_RELAY_INIT;
	char *job_env[NOTIFY_RELAY_ENV_MAX + 4];
	size_t n_env;
	pid_t pid = -1;
	int r;

	job_cgroup_init(&cg);
	r = supervisor_init(&sup);
	if (r < 0) {
		o->start_error = xasprintf("cannot set up supervision: %s", strerror(-r));
		log_error("%s", o->start_error);
		goto out;
	}
	/* Compiled here: the child may not allocate. */
	if (setting_enabled(plan->values, SETTING_LOCK_LIMITS)) {
		_cleanup_free_ char *why = NULL;

		r = seccomp_lock_build(&lock, &why);
		if (r < 0) {
			o->start_error = xasprintf("cannot lock the job's memory rlimits "
						   "(lock_limits): %s", why);
			log_error("%s", o->start_error);
			goto out;
		}
	}
	/* The job's own cgroup, or by policy none (cgroup_enter says which). */
	r = cgroup_enter(&cg, place, plan, o);
	if (r < 0)
		goto out;
	/* The manager's memory events wake the supervisor. */
	r = supervisor_watch_cgroup(&sup, &cg);
	if (r < 0) {
		o->start_error = xasprintf("cannot watch the job's cgroup: %s", strerror(-r));
		log_error("%s", o->start_error);
		goto out;
	}

	/* Under NOTIFY_SOCKET (a Type=notify service) the job's sd_notify
	 * messages go through memrun, the service's main process. */
	r = notify_relay_open(&relay);
	if (r >= 0)
		r = supervisor_watch_notify(&sup, &relay);
	if (r < 0) {
		o->start_error = xasprintf("cannot relay the job's notifications to the service "
					   "manager: %s", strerror(-r));
		log_error("%s", o->start_error);
		goto out;
	}

	probe_setup(&probe, plan);
	n_env = notify_relay_job_environ(&relay, job_env);
	if (probe.enabled) {
		job_env[n_env++] = probe.env_preload;
		job_env[n_env++] = probe.env_probe;
		job_env[n_env++] = probe.env_asan;	/* NULL ends the list early */
	}
	job_env[n_env] = NULL;
	if (job_env[0])
		plan_build_environ(plan, job_env);

	fflush(NULL);	/* nothing buffered may be written twice after fork */
	supervisor_mark_start(&sup, o);
	r = spawn_in_cgroup(plan, &sup, &cg, &probe, &lock, &adopt, &pid, &failure);
	/* The manager could not make the cgroup around the held child, which
	 * never ran: the best-effort policy says whether it runs without. */
	if (r > 0 && failure.stage == SPAWN_STAGE_CGROUP && failure.explained) {
		if (cgroup_adopt_failed(&cg, place, plan, o, failure.err) == 0)
			r = spawn_in_cgroup(plan, &sup, &cg, &probe, &lock, &adopt, &pid, &failure);
		else
			o->started = false;
	}
	if (r < 0) {
		o->start_error = xasprintf("cannot fork: %s", strerror(-r));
		log_error("%s", o->start_error);
	} else if (r > 0) {
		spawn_explain_failure(plan, &failure, o);
	} else {
		o->started = true;
		cgroup_remove_stale_siblings(&cg);
		r = supervisor_wait(&sup, pid, o);
		if (r < 0)
			log_error("supervision failed: %s", strerror(-r));
		/* Killed inside exec (under a memory limit too small to start
		 * in, on v2): the command never ran. */
		if (o->main_killed_in_exec)
			spawn_explain_failure(plan, &(struct spawn_failure){
						      .stage = SPAWN_STAGE_KILLED,
						      .signal = o->signal }, o);
		if (setting_enabled(plan->values, SETTING_WAIT_ALL))
			supervisor_wait_all(&sup, o);
	}
out:
	cgroup_finish(&cg, o);
	cgroup_restore_parent(&cg);
	supervisor_end_children();
	notify_relay_close(&relay);	/* passes on what the job sent last */
	supervisor_collect_rusage(o);
	if (o->started)
		probe_collect(&probe, plan, o);
	probe_free(&probe);
	job_cgroup_free(&cg);
	seccomp_lock_free(&lock);
	supervisor_done(&sup);
	return r;
}

/*
 * The administrator's policy for this caller (root: none) held to the
 * plan.  binding points into policy, which must outlive it.
 */
static int apply_policy(struct plan *plan, struct policy *policy, struct policy_binding *binding)
{
	struct policy_caller caller;
	int r;

	*binding = (struct policy_binding){ 0 };
	if (getuid() == 0)
		return 0;
	r = policy_load(policy, POLICY_FILE);
	if (r < 0 || !policy->path)
		return r;
	r = policy_caller_self(&caller);
	if (r < 0)
		return log_error_errno(r, "cannot tell who you are for the policy %s", POLICY_FILE);
	policy_bind(policy, &caller, binding);
	policy_caller_free(&caller);
	return policy_enforce(binding, plan);
}

/* "exited 0", "was killed by SIGTERM", "did not start (exit status 127)". */
static const char *describe_job_end(const struct outcome *o, char buf[static 64])
{
	char sig[16];

	if (!o->started)
		snprintf(buf, 64, "did not start (exit status %d)", outcome_exit_status(o));
	else if (o->signal > 0)
		snprintf(buf, 64, "was killed by %s", signal_name(o->signal, sig));
	else
		snprintf(buf, 64, "exited %d", o->exit_code);
	return buf;
}

/*
 * End memrun by the signal that ended the job, once the report is written,
 * as sudo, timeout and unshare do: a shell sees 128+N, a service manager or a
 * Python parent a death by the signal.  memrun's own core is not dumped
 * (the job's was, where it dumped one).  Returns where the signal does not
 * end memrun: as PID 1 of a PID namespace, which the kernel spares the
 * signals it does not handle, or for a signal whose default is not to end.
 */
static void die_by_job_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	prctl(PR_SET_DUMPABLE, 0);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	sigaction(sig, &dfl, NULL);	/* fails for SIGKILL, which needs nothing */
	fflush(NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	raise(sig);	/* pending while blocked, delivered on unblocking */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * A run the static memrun handed over (src/handover.c) keeps the name it
 * was started by: ps, pgrep and systemctl status show memrun, not the
 * file memrun-systemd.
 */
static void keep_started_name(const char *argv0)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const char *started;

	if (!execfn || !argv0 || !streq(basename(execfn), MEMRUN_SYSTEMD_NAME))
		return;
	started = basename(argv0);
	if (*started && !streq(started, MEMRUN_SYSTEMD_NAME))
		(void)prctl(PR_SET_NAME, started);
}

int main(int argc, char **argv)
{
	struct options opts = { 0 };
	struct report_file report = REPORT_FILE_INIT;
	struct cgroup_place place = { 0 };
	struct outcome o = { 0 };
	struct policy policy = { 0 };
	struct policy_binding binding = { 0 };
	struct plan plan;
	int r, status, job_signal = 0;
	bool refused_by_policy = false, refused_for_privilege = false;

	/* Before anything is opened, so that nothing of memrun's (a report
	 * file, a cgroup file) becomes a stdout or stderr that was closed. */
	r = std_fds_ensure_open();
	if (r < 0) {
		log_error("cannot open /dev/null for the closed fds 0-2: %s", strerror(-r));
		return MEMRUN_EXIT_FAILURE;
	}
	keep_started_name(argc > 0 ? argv[0] : NULL);
	userdb_init();
	/* Refuses a setuid memrun; takes an elevated one's capabilities out
	 * of effect before anything is read. */
	status = privilege_init();
	if (status)
		return status;
	if (argc > 1 && streq(argv[1], "profiles"))
		return stdout_finish(profiles_command(argc - 1, argv + 1));
	if (argc > 1 && streq(argv[1], "doctor"))
		return stdout_finish(doctor_command(argc - 1, argv + 1));
	if (argc > 1 && streq(argv[1], "policy"))
		return stdout_finish(policy_command(argc - 1, argv + 1));

	plan_init(&plan);
	status = parse_options(argc, argv, &opts);
	if (status >= 0)
		goto out;
	plan.command = opts.command;
	plan.report_path = opts.report_path;
	plan.quiet = opts.quiet;
	plan.dry_run = opts.dry_run;

	/* The report file first: a CI job that asked for one gets one, even
	 * when a profile turns out to be broken. */
	if (plan.report_path && !plan.dry_run) {
		r = report_file_open(&report, plan.report_path);
		if (r < 0) {
			status = MEMRUN_EXIT_FAILURE;
			goto out;
		}
	}

	cgroup_locate(&place);
	r = plan_load_profiles(&plan, opts.profiles, opts.profile_count);
	if (r >= 0) {
		plan_apply_flags(&plan, opts.flags);
		if (plan_needs_budget(&plan))
			cgroup_find_enclosing_limit(&place, &plan);
		r = plan_resolve(&plan, environ, place.enclosing_limit, place.enclosing_limit_dir,
				 cgroup_place_limit_file(&place));
	}
	if (r >= 0) {
		r = apply_policy(&plan, &policy, &binding);
		refused_by_policy = r < 0;
	}
	if (r >= 0)
		policy_total_plan(&binding, getuid(), &place, &plan);
	if (r >= 0) {
		r = privilege_check_plan(&plan, &binding, &place);
		refused_for_privilege = r < 0;
	}
	/* Before exec, and before any setup failure the report tells of. */
	outcome_record_limits(&o, &plan);
	if (r < 0) {
		o.start_error = xstrdup(refused_by_policy ?
					"setup failed: the administrator's policy refuses what was asked (see memrun's messages)" :
					refused_for_privilege ?
					"setup failed: what was asked needs privilege that only a system profile the policy allows you may use (see memrun's messages)" :
					"setup failed: a profile or setting is invalid (see memrun's messages)");
	} else if (plan.dry_run) {
		status = stdout_finish(dryrun_print(stdout, &plan, &place));
		goto out;
	} else {
		run_job(&plan, &place, &o);
	}
	outcome_decide(&o);

	if (o.started && !plan.quiet)
		report_print_summary(stderr, &plan, &o);
	status = outcome_exit_status(&o);
	if (o.started && o.signal > 0)
		job_signal = o.signal;
	if (report.target != REPORT_TARGET_NONE) {
		_cleanup_free_ char *why = NULL;

		r = report_file_write(&report, &plan, &o, &why);
		if (r < 0) {
			char job[64];

			/* memrun's own failure: a CI job must not take a lost
			 * report for success.  The job's status is told. */
			log_error("cannot write the report to '%s': %s; the job %s", plan.report_path,
				  why ? why : strerror(-r), describe_job_end(&o, job));
			status = MEMRUN_EXIT_FAILURE;
			job_signal = 0;
		}
	}
out:
	report_file_discard(&report);
	outcome_free(&o);
	plan_free(&plan);
	policy_free(&policy);
	cgroup_place_free(&place);
	settings_free_strings();
	free(opts.profiles);
	if (job_signal)
		die_by_job_signal(job_signal);
	return status;
}
