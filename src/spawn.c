/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "spawn.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "oomadj.h"
#include "rlimit.h"
#include "util.h"

extern char **environ;

static _Noreturn void child_fail(int fd, enum spawn_stage stage, int err, enum setting_id setting)
{
	struct spawn_failure f = { .stage = stage, .err = err, .setting = setting };
	ssize_t _unused_ n = write(fd, &f, sizeof(f));

	_exit(stage == SPAWN_STAGE_EXEC && err == -ENOENT ? MEMRUN_EXIT_NOT_FOUND :
	      stage == SPAWN_STAGE_EXEC ? MEMRUN_EXIT_CANNOT_EXEC : MEMRUN_EXIT_FAILURE);
}

/* Between fork and exec: only async-signal-safe calls. */
static _Noreturn void child_run(const struct plan *plan, const sigset_t *child_mask,
				int cgroup_join_fd, pid_t parent, int error_fd)
{
	enum setting_id failed = SETTING_COUNT;
	int r;

	/* If memrun dies (even by SIGKILL), the job dies with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		child_fail(error_fd, SPAWN_STAGE_PARENT_GONE, -ESRCH, SETTING_COUNT);

	/* "0" is the writer itself: the job is in its cgroup before it runs. */
	if (cgroup_join_fd >= 0 && write(cgroup_join_fd, "0", 1) != 1)
		child_fail(error_fd, SPAWN_STAGE_CGROUP, -errno, SETTING_COUNT);

	r = rlimit_apply(plan, &failed);
	if (r < 0)
		child_fail(error_fd, SPAWN_STAGE_RLIMIT, r, failed);
	r = oomadj_apply(plan);
	if (r < 0)
		child_fail(error_fd, SPAWN_STAGE_OOM_SCORE_ADJ, r, SETTING_OOM_SCORE_ADJ);

	/* Last, so that nothing above runs with the caller's signals unblocked. */
	sigprocmask(SIG_SETMASK, child_mask, NULL);
	execvpe(plan->command[0], plan->command, plan->environ ? plan->environ : environ);
	child_fail(error_fd, SPAWN_STAGE_EXEC, -errno, SETTING_COUNT);
}

int spawn_job(const struct plan *plan, const sigset_t *child_mask, int cgroup_join_fd,
	      pid_t *ret_pid, struct spawn_failure *ret_failure)
{
	_cleanup_close_ int read_fd = -1, write_fd = -1;
	struct spawn_failure f = { 0 };
	pid_t parent = getpid(), pid;
	int fds[2];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	read_fd = fds[0];
	write_fd = fds[1];

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_run(plan, child_mask, cgroup_join_fd, parent, write_fd);

	write_fd = safe_close(write_fd);
	/* End of file: exec succeeded and closed the pipe. */
	do
		n = read(read_fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	*ret_pid = pid;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(f))
		f = (struct spawn_failure){ .stage = SPAWN_STAGE_EXEC, .err = -EIO };
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	*ret_failure = f;
	return 1;
}

static void explain_exec_failure(const struct plan *plan, int err, struct outcome *o)
{
	const char *cmd = plan->command[0];
	bool has_limit = plan->values[SETTING_AS].set || plan->values[SETTING_DATA].set;

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
	default:
		o->start_error = xasprintf("cannot run '%s': %s", cmd, strerror(-err));
		break;
	}
	log_error("%s", o->start_error);
	if (err == -ENOMEM && has_limit)
		log_hint("the memory limits leave too little room to load the program; "
			 "raise --as/--data");
}

void spawn_explain_failure(const struct plan *plan, const struct spawn_failure *failure,
			   struct outcome *o)
{
	o->started = false;
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
	case SPAWN_STAGE_CGROUP:
		o->start_error = xasprintf("the job could not enter its cgroup: %s",
					   strerror(-failure->err));
		log_error("%s", o->start_error);
		break;
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
