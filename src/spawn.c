/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spawn.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "oomadj.h"
#include "rlimit.h"
#include "size.h"
#include "util.h"

extern char **environ;

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* What the child needs; it shares the parent's memory or a copy of it. */
struct child_context {
	const struct plan *plan;
	const sigset_t *child_mask;
	const sigset_t *child_ignored;
	int cgroup_join_fd;		/* -1: none, or already in (clone3) */
	int hold_fd;			/* -1, or wait here for a byte before anything */
	int32_t *announce_pid;
	const struct seccomp_lock *lock_limits;	/* NULL: none */
	const struct privilege_child *credentials;	/* NULL: memrun's, the caller's */
	enum privilege_step step;	/* the credentials' step that failed */
	pid_t parent;
	struct spawn_failure *failure;	/* a MAP_SHARED page: seen by the parent either way */
};

static _Noreturn void child_fail(struct child_context *ctx, enum spawn_stage stage, int err,
				 enum setting_id setting)
{
	*ctx->failure = (struct spawn_failure){
		.stage = stage, .err = err, .setting = setting, .step = ctx->step,
	};
	_exit(stage == SPAWN_STAGE_EXEC && err == -ENOENT ? MEMRUN_EXIT_NOT_FOUND :
	      stage == SPAWN_STAGE_EXEC ? MEMRUN_EXIT_CANNOT_EXEC : MEMRUN_EXIT_FAILURE);
}

/* Between clone and exec: only async-signal-safe calls, no allocation. */
static int child_run(void *arg)
{
	struct child_context *ctx = arg;
	const struct plan *plan = ctx->plan;
	enum setting_id failed = SETTING_COUNT;
	int r;

	/* If memrun dies (even by SIGKILL), the job dies with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != ctx->parent)
		child_fail(ctx, SPAWN_STAGE_PARENT_GONE, -ESRCH, SETTING_COUNT);

	/* Held until memrun has put this process in its cgroup (a systemd
	 * scope): the byte says go; end of file says memrun gave up on it. */
	if (ctx->hold_fd >= 0) {
		char go = 0;

		while (read(ctx->hold_fd, &go, 1) < 0 && errno == EINTR)
			;
		if (go != 'g')
			child_fail(ctx, SPAWN_STAGE_CGROUP, -ECANCELED, SETTING_COUNT);
	}

	/* "0" is the writer itself: the job is in its cgroup before it runs. */
	if (ctx->cgroup_join_fd >= 0 && write(ctx->cgroup_join_fd, "0", 1) != 1)
		child_fail(ctx, SPAWN_STAGE_CGROUP, -errno, SETTING_COUNT);

	/* An elevated memrun's child puts CAP_SYS_RESOURCE in effect for
	 * what needs it, and nothing else. */
	if (ctx->credentials) {
		r = privilege_child_raise(ctx->credentials, &ctx->step);
		if (r < 0)
			child_fail(ctx, SPAWN_STAGE_CREDENTIALS, r, SETTING_COUNT);
	}
	r = rlimit_apply(plan, &failed);
	if (r < 0)
		child_fail(ctx, SPAWN_STAGE_RLIMIT, r, failed);
	if (ctx->credentials) {
		r = privilege_child_for_oom_score_adj(ctx->credentials, &ctx->step);
		if (r < 0)
			child_fail(ctx, SPAWN_STAGE_CREDENTIALS, r, SETTING_COUNT);
	}
	r = oomadj_apply(plan);
	if (r < 0)
		child_fail(ctx, SPAWN_STAGE_OOM_SCORE_ADJ, r, SETTING_OOM_SCORE_ADJ);
	/* Then exactly the caller's credentials, before anything else. */
	if (ctx->credentials) {
		r = privilege_child_drop(ctx->credentials, &ctx->step);
		if (r < 0)
			child_fail(ctx, SPAWN_STAGE_CREDENTIALS, r, SETTING_COUNT);
	}

	/* So that the allocation probe knows the main program when it loads. */
	if (ctx->announce_pid)
		__atomic_store_n(ctx->announce_pid, (int32_t)getpid(), __ATOMIC_RELAXED);

	/* The caller's ignores that memrun took back for itself (SIGCHLD): an
	 * ignore survives exec, and the job is to inherit it as it would
	 * without memrun. */
	if (ctx->child_ignored && !sigisemptyset(ctx->child_ignored)) {
		struct sigaction ign = { .sa_handler = SIG_IGN };

		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(ctx->child_ignored, sig) == 1)
				sigaction(sig, &ign, NULL);
	}
	/* Last, so that nothing above runs with the caller's signals unblocked. */
	sigprocmask(SIG_SETMASK, ctx->child_mask, NULL);
	prctl(PR_SET_NAME, SPAWN_EXEC_COMM);
	/* The very last: memrun's own rlimits are set above, and from here
	 * on nothing in the job can set one of the locked ones. */
	if (ctx->lock_limits) {
		r = seccomp_lock_load(ctx->lock_limits);
		if (r < 0)
			child_fail(ctx, SPAWN_STAGE_LOCK_LIMITS, r, SETTING_LOCK_LIMITS);
	}
	ctx->failure->reached_exec = true;
	execvpe(plan->command[0], plan->command, plan->environ ? plan->environ : environ);
	child_fail(ctx, SPAWN_STAGE_EXEC, -errno, SETTING_COUNT);
}

/*
 * cgroup v2: clone3(CLONE_INTO_CGROUP) starts the child inside the job's
 * cgroup, sparing a migration (which waits for an RCU grace period).  The
 * child is a copy (no CLONE_VM: the raw syscall returns on this stack), the
 * parent waits for its exec (CLONE_VFORK).  -ENOSYS etc. before 5.7.
 */
static pid_t clone_into_cgroup(struct child_context *ctx, int cgroup_fd)
{
	struct clone_args args = {
		.flags = CLONE_VFORK | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgroup_fd,
	};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0) {
		ctx->cgroup_join_fd = -1;
		child_run(ctx);
	}
	return pid < 0 ? -errno : (pid_t)pid;
}

/* Elsewhere: a vfork-style clone, as posix_spawn does (no page tables to
 * copy), on a stack of its own big enough for execvpe's script fallback,
 * which copies argv onto it. */
static pid_t clone_vfork(struct child_context *ctx)
{
	size_t argc = 0, size;
	void *stack;
	pid_t pid;

	while (ctx->plan->command[argc])
		argc++;
	size = (64 << 10) + (argc + 2) * sizeof(char *);
	size = (size + 4095) & ~(size_t)4095;
	stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		     -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	pid = clone(child_run, (char *)stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, ctx);
	if (pid < 0)
		pid = -errno;
	munmap(stack, size);
	return pid;
}

/*
 * A copy of memrun for a held child: created in the job's cgroup where
 * clone3 can (no CLONE_VFORK: memrun goes on meanwhile), else forked, and
 * the child joins by cgroup_join_fd.  Returns 0 in the child.
 */
static pid_t fork_copy(struct child_context *ctx, int cgroup_fd)
{
	if (cgroup_fd >= 0) {
		struct clone_args args = {
			.flags = CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgroup_fd,
		};
		long pid = syscall(SYS_clone3, &args, sizeof(args));

		if (pid == 0)
			ctx->cgroup_join_fd = -1;
		if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
			return (pid_t)pid;
	}
	return fork();
}

/*
 * A child that waits on a pipe before anything else, for a manager that
 * makes the job's cgroup around it (systemd moves it into its scope), and
 * for an elevated memrun, which drops its own capabilities once the child
 * has its copy: a copy (a vfork child would keep memrun waiting), let go
 * once place_child() has put it in place.  Its exec, or its end, closes
 * the write end of done_fd, which memrun then reads end of file on.
 */
static pid_t fork_held(struct child_context *ctx, const struct spawn_options *opts)
{
	int hold[2], done[2];
	pid_t pid;
	char end;
	int r;

	if (pipe2(hold, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(done, O_CLOEXEC) < 0) {
		int err = errno;

		close(hold[0]);
		close(hold[1]);
		return -err;
	}
	pid = fork_copy(ctx, opts->clone_into_cgroup_fd);
	if (pid == 0) {
		close(hold[1]);
		close(done[0]);
		ctx->hold_fd = hold[0];
		child_run(ctx);
	}
	close(hold[0]);
	close(done[1]);
	if (pid < 0) {
		int err = errno;

		close(hold[1]);
		close(done[0]);
		return -err;
	}
	r = opts->place_child ? opts->place_child(pid, opts->place_child_data) : 0;
	if (r < 0) {
		/* Told already (place_child): the child never runs. */
		kill(pid, SIGKILL);
		ctx->failure->stage = SPAWN_STAGE_CGROUP;
		ctx->failure->err = r;
		ctx->failure->explained = true;
	} else if (opts->credentials && (r = privilege_shed()) < 0) {
		/* After place_child, which may fail and be tried again: the
		 * next child needs memrun's capabilities to copy. */
		ctx->failure->stage = SPAWN_STAGE_CREDENTIALS;
		ctx->failure->step = PRIVILEGE_STEP_SHED;
		ctx->failure->err = r;
		kill(pid, SIGKILL);
	} else if (write(hold[1], "g", 1) != 1) {
		ctx->failure->stage = SPAWN_STAGE_CGROUP;
		ctx->failure->err = -errno;
		kill(pid, SIGKILL);
	}
	close(hold[1]);
	while (read(done[0], &end, 1) < 0 && errno == EINTR)
		;
	close(done[0]);
	return pid;
}

int spawn_job(const struct plan *plan, const struct spawn_options *opts, pid_t *ret_pid,
	      struct spawn_failure *ret_failure)
{
	struct child_context ctx = {
		.plan = plan, .child_mask = opts->child_mask, .child_ignored = opts->child_ignored,
		.cgroup_join_fd = opts->cgroup_join_fd, .hold_fd = -1,
		.announce_pid = opts->announce_pid, .lock_limits = opts->lock_limits,
		.credentials = opts->credentials, .parent = getpid(),
	};
	int clone_into_cgroup_fd = opts->clone_into_cgroup_fd;
	bool held = opts->place_child || opts->credentials;
	pid_t pid = -ENOSYS;
	int status = 0;

	ctx.failure = mmap(NULL, sizeof(*ctx.failure), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctx.failure == MAP_FAILED)
		return -errno;
	*ctx.failure = (struct spawn_failure){ .stage = SPAWN_STAGE_NONE };

	if (held)
		pid = fork_held(&ctx, opts);
	else if (clone_into_cgroup_fd >= 0)
		pid = clone_into_cgroup(&ctx, clone_into_cgroup_fd);
	if (!held && (pid == -ENOSYS || pid == -E2BIG || pid == -EINVAL))
		pid = clone_vfork(&ctx);	/* a kernel before 5.7: join by cgroup.procs */
	if (pid < 0) {
		munmap(ctx.failure, sizeof(*ctx.failure));
		return pid;
	}

	/* The child has exec'd or exited: CLONE_VFORK (or fork_held) waited for it. */
	*ret_pid = pid;
	*ret_failure = *ctx.failure;
	munmap(ctx.failure, sizeof(*ctx.failure));
	if (ret_failure->stage == SPAWN_STAGE_NONE && ret_failure->reached_exec)
		return 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Neither exec'd nor failed: killed on the way, such as by the OOM
	 * killer under a memory.max too small to start in (v2 starts the
	 * child in the job's cgroup). */
	if (ret_failure->stage == SPAWN_STAGE_NONE)
		*ret_failure = (struct spawn_failure){
			.stage = SPAWN_STAGE_KILLED, .err = -EINTR,
			.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		};
	return 1;
}

/*
 * exec refused for want of memory: the program's image, stack and page
 * tables did not fit under a limit memrun set.  "RLIMIT_AS 1 MiB (flag
 * --as)" for each such limit into limits, "--as" into options; false when
 * memrun set none.
 */
static bool exec_memory_limits(const struct plan *plan, const struct outcome *o, char *limits,
			       size_t limits_size, char *options, size_t options_size)
{
	static const enum setting_id ids[] = { SETTING_MEMORY_MAX, SETTING_AS, SETTING_DATA };
	size_t len = 0, options_len = 0;

	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		const struct setting_value *v = &plan->values[ids[i]];
		char value[32], from[128];

		/* --best-effort ran the job without its cgroup limit. */
		if (!v->set || plan->limit_bytes[ids[i]] == LIMIT_UNLIMITED ||
		    (ids[i] == SETTING_MEMORY_MAX && o->limits_not_applied))
			continue;
		len += (size_t)snprintf(limits + len, len < limits_size ? limits_size - len : 0,
					"%s%s %s (%s)", len ? " and " : "",
					rlimit_name(ids[i]) ? rlimit_name(ids[i]) :
					"the cgroup limit memory_max",
					size_format(plan->limit_bytes[ids[i]], value),
					origin_describe(&v->origin, from, sizeof(from)));
		options_len += (size_t)snprintf(options + options_len,
						options_len < options_size ?
						options_size - options_len : 0,
						"%s--%s", options_len ? " or " : "",
						setting_table[ids[i]].option);
	}
	return len > 0 && len < limits_size && options_len < options_size;
}

/* Bytes execve copies for argv and envp, pointers included. */
static size_t exec_args_size(const struct plan *plan)
{
	char **env = plan->environ ? plan->environ : environ;
	size_t size = 0;

	for (char **a = plan->command; *a; a++)
		size += strlen(*a) + 1 + sizeof(char *);
	for (char **e = env; *e; e++)
		size += strlen(*e) + 1 + sizeof(char *);
	return size;
}

/*
 * E2BIG with arguments far below the kernel's limit: the kernel found no
 * page to copy them into, because the cgroup refused to charge it (exec
 * says "Argument list too long" for any failure to get an argument page).
 */
static bool args_refused_for_memory(const struct plan *plan)
{
	/* The kernel's MAX_ARG_STRLEN: a longer string alone gives E2BIG. */
	size_t string_max = 32 * (size_t)sysconf(_SC_PAGESIZE);
	char **env = plan->environ ? plan->environ : environ;
	long arg_max = sysconf(_SC_ARG_MAX);

	for (char **a = plan->command; *a; a++)
		if (strlen(*a) + 1 >= string_max)
			return false;
	for (char **e = env; *e; e++)
		if (strlen(*e) + 1 >= string_max)
			return false;
	return arg_max > 0 && exec_args_size(plan) < (size_t)arg_max / 2;
}

static void explain_exec_failure(const struct plan *plan, int err, struct outcome *o)
{
	const char *cmd = plan->command[0];
	char limits[384], options[64];

	if (err == -ENOENT) {
		o->start_exit_status = MEMRUN_EXIT_NOT_FOUND;
		if (strchr(cmd, '/'))
			o->start_error = xasprintf("cannot run '%s': no such file", cmd);
		else
			o->start_error = xasprintf("'%s': command not found in PATH", cmd);
		log_error("%s", o->start_error);
		return;
	}
	o->start_exit_status = MEMRUN_EXIT_CANNOT_EXEC;
	switch (err) {
	case -EACCES:
		o->start_error = xasprintf("cannot run '%s': permission denied "
					   "(not executable, a directory, or on a noexec mount)", cmd);
		break;
	case -ENOEXEC:
		o->start_error = xasprintf("cannot run '%s': not an executable format", cmd);
		break;
	case -E2BIG:
		if (args_refused_for_memory(plan) &&
		    exec_memory_limits(plan, o, limits, sizeof(limits), options, sizeof(options))) {
			o->start_error = xasprintf("cannot run '%s': the kernel could not copy its "
						   "%zu bytes of arguments and environment (%s): "
						   "the program does not fit under %s", cmd,
						   exec_args_size(plan), strerror(-err), limits);
			o->hint = xasprintf("raise %s: loading a program takes memory for its "
					    "image, its stack and its page tables", options);
			break;
		}
		o->start_error = xasprintf("cannot run '%s': %s", cmd, strerror(-err));
		break;
	case -ENOMEM:
		if (exec_memory_limits(plan, o, limits, sizeof(limits), options, sizeof(options))) {
			o->start_error = xasprintf("cannot run '%s': %s: the program does not fit "
						   "under %s", cmd, strerror(-err), limits);
			o->hint = xasprintf("raise %s: loading a program takes memory for its "
					    "image, its stack and its page tables", options);
			break;
		}
		/* fall through */
	default:
		o->start_error = xasprintf("cannot run '%s': %s", cmd, strerror(-err));
		break;
	}
	log_error("%s", o->start_error);
	if (o->hint)
		log_hint("%s", o->hint);
}

/* The child was killed before it could exec the command. */
static void explain_killed_before_exec(const struct plan *plan, int sig, struct outcome *o)
{
	const char *cmd = plan->command[0];
	char limits[384], options[64];

	/* SIGKILL under a memory limit: the OOM killer, as the report's
	 * oom evidence shows; the same limit as an exec refused for want of
	 * memory, and the same status. */
	if (sig == SIGKILL &&
	    exec_memory_limits(plan, o, limits, sizeof(limits), options, sizeof(options))) {
		o->start_exit_status = MEMRUN_EXIT_CANNOT_EXEC;
		o->start_error = xasprintf("cannot run '%s': killed (SIGKILL, most likely by the OOM "
					   "killer) before it started: it does not fit under %s",
					   cmd, limits);
		o->hint = xasprintf("raise %s: starting a program takes memory for its image, "
				    "its stack and its page tables", options);
		log_error("%s", o->start_error);
		log_hint("%s", o->hint);
		return;
	}
	o->start_exit_status = MEMRUN_EXIT_FAILURE;
	if (sig > 0)
		o->start_error = xasprintf("the job was killed by signal %d (%s) before it could run "
					   "'%s'", sig, strsignal(sig), cmd);
	else
		o->start_error = xasprintf("the job ended before it could run '%s'", cmd);
	log_error("%s", o->start_error);
}

/* The kernel refused the seccomp filter of lock_limits. */
static void explain_lock_failure(const struct plan *plan, int err, struct outcome *o)
{
	char from[256];

	origin_describe(&plan->values[SETTING_LOCK_LIMITS].origin, from, sizeof(from));
	o->start_error = xasprintf("cannot lock the job's memory rlimits (lock_limits, from %s): "
				   "the kernel refused the seccomp filter: %s", from,
				   strerror(-err));
	if (err == -EINVAL || err == -ENOSYS)
		o->hint = xstrdup("this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER); "
				  "run with --lock-limits=no, or on a kernel that has them");
	else if (err == -EACCES)
		o->hint = xstrdup("the kernel wants no_new_privs or CAP_SYS_ADMIN for a filter "
				  "and memrun could give neither");
	log_error("%s", o->start_error);
	if (o->hint)
		log_hint("%s", o->hint);
}

void spawn_explain_failure(const struct plan *plan, const struct spawn_failure *failure,
			   struct outcome *o)
{
	o->started = false;
	if (failure->explained)
		return;	/* where it failed, with the context to say why */
	switch (failure->stage) {
	case SPAWN_STAGE_EXEC:
		explain_exec_failure(plan, failure->err, o);
		return;
	case SPAWN_STAGE_RLIMIT:
		if (failure->setting < SETTING_COUNT)
			rlimit_explain_failure(plan, failure->setting, failure->err);
		o->start_error = xasprintf("cannot set %s: %s",
					   failure->setting < SETTING_COUNT ?
					   rlimit_name(failure->setting) : "an rlimit",
					   strerror(-failure->err));
		break;
	case SPAWN_STAGE_OOM_SCORE_ADJ:
		oomadj_explain_failure(plan, failure->err);
		o->start_error = xasprintf("cannot set oom_score_adj to %lld: %s",
					   plan->values[SETTING_OOM_SCORE_ADJ].number,
					   strerror(-failure->err));
		break;
	case SPAWN_STAGE_LOCK_LIMITS:
		explain_lock_failure(plan, failure->err, o);
		break;
	case SPAWN_STAGE_CREDENTIALS:
		o->start_error = privilege_failure_why(failure->step, failure->err, &o->hint);
		log_error("%s", o->start_error);
		if (o->hint)
			log_hint("%s", o->hint);
		break;
	case SPAWN_STAGE_CGROUP:
		o->start_error = xasprintf("the job could not enter its cgroup: %s",
					   strerror(-failure->err));
		log_error("%s", o->start_error);
		break;
	case SPAWN_STAGE_KILLED:
		explain_killed_before_exec(plan, failure->signal, o);
		return;
	case SPAWN_STAGE_PARENT_GONE:
	case SPAWN_STAGE_NONE:
	default:
		o->start_error = xasprintf("the job could not be set up: %s",
					   strerror(-failure->err));
		log_error("%s", o->start_error);
		break;
	}
	o->start_exit_status = MEMRUN_EXIT_FAILURE;
}
