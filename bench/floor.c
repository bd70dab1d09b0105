/*
 * floor CGROUP_PARENT PROBE_LIBRARY|- COMMAND [ARG]...
 *
 * The least a launcher can do and still give a job what memrun's contract
 * asks of every launch: its own memory cgroup (created, joined before
 * exec, removed after), a supervising parent that waits, and, unless
 * PROBE_LIBRARY is "-", the allocation probe preloaded with its shared
 * region.  No options, no profiles, no checks, no report: the cost floor
 * that memrun's own launch is measured against (BENCHMARKS.md), built
 * static-pie like memrun.  Not a tool: it cleans up only on success.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/probe/probe-abi.h"

extern char **environ;

static char child_stack[64 * 1024] __attribute__((aligned(16)));
static char **job_argv, **job_envp;
static int join_fd;

static int child(void *arg)
{
	(void)arg;
	if (write(join_fd, "0", 1) != 1)
		_exit(125);
	execve(job_argv[0], job_argv, job_envp);
	_exit(127);
}

int main(int argc, char **argv)
{
	static char preload[4096], probe_env[128], dir[4096], procs[4200];
	size_t n = 0, count = 0;
	int status;
	pid_t pid;

	if (argc < 4)
		return 125;
	job_argv = argv + 3;

	while (environ[count])
		count++;
	job_envp = calloc(count + 3, sizeof(*job_envp));
	if (!job_envp)
		return 125;
	if (strcmp(argv[2], "-") != 0) {
		int fd = memfd_create("floor-probe", MFD_CLOEXEC);
		struct probe_region *r;

		if (fd < 0 || ftruncate(fd, sizeof(*r)) < 0)
			return 125;
		r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (r == MAP_FAILED)
			return 125;
		r->magic = PROBE_MAGIC;
		r->version = PROBE_VERSION;
		r->size = sizeof(*r);
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", argv[2]);
		snprintf(probe_env, sizeof(probe_env), PROBE_ENV "=/proc/%d/fd/%d", (int)getpid(),
			 fd);
		job_envp[n++] = preload;
		job_envp[n++] = probe_env;
	}
	for (size_t i = 0; i < count; i++)
		job_envp[n++] = environ[i];

	snprintf(dir, sizeof(dir), "%s/floor-%d", argv[1], (int)getpid());
	if (mkdir(dir, 0755) < 0)
		return 125;
	/* v1: the one-thread child moves itself through tasks, as memrun's
	 * does (no grace period); v2 has no tasks file. */
	snprintf(procs, sizeof(procs), "%s/tasks", dir);
	join_fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (join_fd < 0) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		join_fd = open(procs, O_WRONLY | O_CLOEXEC);
	}
	if (join_fd < 0)
		return 125;
	pid = clone(child, child_stack + sizeof(child_stack), CLONE_VM | CLONE_VFORK | SIGCHLD,
		    NULL);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 125;
	if (rmdir(dir) < 0)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
