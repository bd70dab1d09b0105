/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "supervise.h"

#include <stdio.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "spawn.h"
#include "util.h"

#define CHILDREN_ROUNDS_MAX 10000

/* Passed on to the job: what a shell, a service manager or a terminal
 * sends to the process it started. */
static const int forwarded_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCONT,
};

/* The signals a terminal sends to its whole foreground process group. */
static bool sent_by_terminal_to_group(int sig)
{
	return sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH || sig == SIGHUP ||
	       sig == SIGCONT;
}

/*
 * SIGCHLD ignored, or SA_NOCLDWAIT, has the kernel reap memrun's children
 * without a word: memrun would wait for its job for ever.  An ignore
 * survives exec, so a caller can hand one down (perl's $SIG{CHLD} =
 * 'IGNORE', then exec).  sa_flags 0 clears SA_NOCLDWAIT too.  The caller's
 * ignore is the job's to inherit: it goes back in the job before exec.
 */
static int take_default_sigchld(sigset_t *caller_ignored)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;

	sigemptyset(caller_ignored);
	if (sigaction(SIGCHLD, &dfl, &old) < 0)
		return -errno;
	if (old.sa_handler == SIG_IGN)
		sigaddset(caller_ignored, SIGCHLD);
	return 0;
}

int supervisor_init(struct supervisor *s)
{
	sigset_t mask;
	int r;

	*s = (struct supervisor){ .epoll_fd = -1, .signal_fd = -1 };

	/* Orphaned grandchildren come to us, so none escapes the report. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -errno;
	r = take_default_sigchld(&s->caller_ignored);
	if (r < 0)
		return r;

	sigemptyset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
		sigaddset(&mask, forwarded_signals[i]);
	sigaddset(&mask, SIGCHLD);
	s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0)
		return -errno;
	/* A closed stderr must not kill memrun before it reports; the job
	 * gets the caller's mask back, so SIGPIPE still works there. */
	sigaddset(&mask, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &mask, &s->caller_mask) < 0)
		return -errno;

	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return -errno;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->signal_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = s->signal_fd }) < 0)
		return -errno;
	return 0;
}

int supervisor_watch_cgroup(struct supervisor *s, struct job_cgroup *cg)
{
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, cg->watch_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = cg->watch_fd }) < 0)
		return -errno;
	s->cgroup = cg;
	return 0;
}

void supervisor_done(struct supervisor *s)
{
	s->epoll_fd = safe_close(s->epoll_fd);
	s->signal_fd = safe_close(s->signal_fd);
	/* The caller's mask is not restored: memrun still writes its summary
	 * (a closed pipe's SIGPIPE) and its report (a second Ctrl-C, a
	 * systemctl stop during the clean-up), and must not die of either
	 * before it has; a signal that arrives now stays pending until exit.
	 * memrun ends itself by its job's signal explicitly (main.c). */
}

/* False when main_pid is gone (ESRCH): it has been reaped. */
static bool forward_signal(const struct signalfd_siginfo *si, pid_t main_pid)
{
	int sig = (int)si->ssi_signo;

	/* Ctrl-C and friends reach the whole foreground group, the job too:
	 * forwarding would deliver them twice. */
	if (si->ssi_code == SI_KERNEL && sent_by_terminal_to_group(sig) &&
	    getpgid(main_pid) == getpgrp())
		return true;
	if (kill(main_pid, sig) == 0)
		return true;
	if (errno == ESRCH)
		return false;
	log_warning("cannot forward signal %d to pid %d: %s", sig, (int)main_pid,
		    strerror(errno));
	return true;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * A look at the main process before anything reaps it (WNOWAIT), one
 * waitid for two rare cases.  Gone: no child of memrun's any more, though
 * memrun never reaped it (a kernel reaping for an ignored SIGCHLD, which
 * memrun takes back to its default, so this does not happen; but memrun
 * must never wait for ever on a process that is gone).  Killed inside
 * exec: its zombie still has the name the child took for exec (spawn.h);
 * a program that ran has its own.
 */
static void look_at_main(pid_t main_pid, bool *ret_gone, bool *ret_killed_in_exec)
{
	siginfo_t si = { 0 };
	char path[64], comm[32];

	if (waitid(P_PID, (id_t)main_pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		*ret_gone = errno == ECHILD;
		return;
	}
	if (si.si_pid != main_pid || si.si_code != CLD_KILLED)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)main_pid);
	if (read_small_file(path, comm, sizeof(comm)) < 0)
		return;
	*strchrnul(comm, '\n') = '\0';
	*ret_killed_in_exec = streq(comm, SPAWN_EXEC_COMM);
}

/* Reap every child that has ended; true once main_pid is among them (or
 * gone: its status lost, the outcome neither exited nor signaled). */
static bool reap_children(struct supervisor *s, pid_t main_pid, struct outcome *o)
{
	bool main_done = false, gone = false;
	int status;
	pid_t pid;

	look_at_main(main_pid, &gone, &o->main_killed_in_exec);

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != main_pid)
			continue;
		o->duration_s = seconds_since(&s->start);
		if (WIFEXITED(status)) {
			o->main_exited = true;
			o->exit_code = WEXITSTATUS(status);
		} else if (WIFSIGNALED(status)) {
			o->signal = WTERMSIG(status);
			o->core_dumped = WCOREDUMP(status);
		}
		main_done = true;
	}
	if (!main_done && gone) {
		o->duration_s = seconds_since(&s->start);
		log_error("the job's main process (pid %d) was reaped behind memrun's back: "
			  "its exit status is unknown", (int)main_pid);
		main_done = true;
	}
	return main_done;
}

/* Reap what has ended; true when memrun has no child left at all. */
static bool reap_all_ended(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	return pid < 0 && errno == ECHILD;
}

/* A memory event of the job's cgroup. */
static void on_cgroup_event(struct supervisor *s)
{
	struct job_cgroup *cg = s->cgroup;
	struct cgroup_counters seen;

	cg->backend->ack_watch(cg);
	if (cgroup_read_evidence(cg, &seen) < 0)
		return;
	/* v1 has no memory.oom.group: the first OOM ends the whole job here,
	 * as the kernel's group kill would (its victims count as OOM kills). */
	if (cg->oom_group_emulated && cg->group_killed < 0 &&
	    (seen.oom_kill > 0 || cg->oom_notifications > 0))
		cg->group_killed = cgroup_kill_now(cg);
}

enum wait_until { UNTIL_MAIN_ENDS, UNTIL_ALL_END };

static int run_loop(struct supervisor *s, enum wait_until until, pid_t main_pid,
		    struct outcome *o)
{
	for (bool done = false; !done;) {
		struct epoll_event events[4];
		int n = epoll_wait(s->epoll_fd, events, ELEMENTSOF(events), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (s->cgroup && events[i].data.fd == s->cgroup->watch_fd) {
				on_cgroup_event(s);
				continue;
			}
			/* Once done, what is left stays queued for the next phase. */
			while (!done && read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD && until == UNTIL_MAIN_ENDS) {
					done |= reap_children(s, main_pid, o);
				} else if (si.ssi_signo == SIGCHLD) {
					done |= reap_all_ended();
				} else if (until == UNTIL_MAIN_ENDS) {
					/* A zombie still takes signals: ESRCH is a
					 * main process reaped, maybe unseen. */
					if (!forward_signal(&si, main_pid))
						done |= reap_children(s, main_pid, o);
				} else if (s->cgroup) {
					cgroup_signal_all(s->cgroup, (int)si.ssi_signo);
				} else if (si.ssi_signo != SIGWINCH && si.ssi_signo != SIGCONT) {
					done = true;	/* asked to stop: the rest is killed */
				}
			}
		}
	}
	return 0;
}

void supervisor_mark_start(struct supervisor *s, struct outcome *o)
{
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	o->start_mono_ns = (uint64_t)s->start.tv_sec * 1000000000ULL + (uint64_t)s->start.tv_nsec;
}

int supervisor_wait(struct supervisor *s, pid_t main_pid, struct outcome *o)
{
	o->main_pid = main_pid;
	return run_loop(s, UNTIL_MAIN_ENDS, main_pid, o);
}

int supervisor_wait_all(struct supervisor *s, struct outcome *o)
{
	/* Children that ended before we got here sent no new SIGCHLD. */
	if (reap_all_ended())
		return 0;
	return run_loop(s, UNTIL_ALL_END, -1, o);
}

/* Pids of memrun's children, from /proc/self/task/TID/children. */
static int read_children(pid_t *pids, int max)
{
	char path[64], buf[4096];
	int n = 0;
	char *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -errno;
	for (p = buf; *p && n < max;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		pids[n++] = (pid_t)pid;
		p = end;
	}
	return n;
}

void supervisor_end_children(void)
{
	pid_t pids[256];

	/* The usual end: no child left, nothing to look up in /proc. */
	if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
		return;
	for (int round = 0; round < CHILDREN_ROUNDS_MAX; round++) {
		int n = read_children(pids, ELEMENTSOF(pids));

		if (n < 0) {
			/* No children file (CONFIG_PROC_CHILDREN off): wait for them. */
			while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
				;
			return;
		}
		if (n == 0)
			break;
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		for (int i = 0; i < n; i++)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

void supervisor_collect_rusage(struct outcome *o)
{
	struct rusage ru;

	/* RUSAGE_CHILDREN's ru_maxrss is the largest single reaped process. */
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		o->largest_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
}
