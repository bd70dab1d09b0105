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

/*
 * As tini does, memrun blocks every signal and reads it from its signalfd,
 * to pass it on to the job, but for these, which stay memrun's own: the
 * synchronous ones, raised by a fault of memrun's (blocked, they would
 * kill it all the same), and SIGTTIN and SIGTTOU, which stop memrun when
 * it reads or writes its terminal from the background.  SIGKILL and
 * SIGSTOP can be neither blocked nor caught: they act on memrun alone
 * (the job dies with memrun, PR_SET_PDEATHSIG; it runs on while memrun
 * is stopped).
 */
static const int memrun_own_signals[] = {
	SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, SIGTTIN, SIGTTOU,
	SIGKILL, SIGSTOP,
};

/* The signals a terminal sends to its whole foreground process group. */
static bool sent_by_terminal_to_group(int sig)
{
	return sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH || sig == SIGHUP ||
	       sig == SIGCONT || sig == SIGTSTP;
}

/* The job-control stops: what Ctrl-Z and a background read or write of
 * the terminal send.  The kernel discards them, where their action is the
 * default, in a process group no shell can continue (an orphaned one). */
static bool is_job_control_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* What a process does with sig by default: anything but end. */
static bool ends_by_default(int sig)
{
	return sig != SIGCHLD && sig != SIGCONT && sig != SIGURG && sig != SIGWINCH &&
	       !is_job_control_stop(sig);
}

/* memrun's own write to a closed pipe (SIGPIPE), past RLIMIT_FSIZE
 * (SIGXFSZ), or its own raise(): not the job's business. */
static bool sent_by_memrun(const struct signalfd_siginfo *si)
{
	return (si->ssi_code == SI_USER || si->ssi_code == SI_TKILL) &&
	       si->ssi_pid == (uint32_t)getpid();
}

/* Sent by the job's main process, or by a process of the job's own group
 * or of memrun's when memrun leads it (then all its members are memrun's
 * descendants): a curses program that restores the terminal on Ctrl-Z
 * and stops its process group (kill(0, SIGTSTP)), as sudo sees it. */
static bool sent_by_the_job(const struct signalfd_siginfo *si, pid_t main_pid)
{
	pid_t sender = (pid_t)si->ssi_pid, group;

	if (si->ssi_code != SI_USER || sender <= 0)
		return false;
	if (sender == main_pid)
		return true;
	group = getpgid(sender);
	return group > 0 && (group == main_pid || (group == getpid() && getpgrp() == getpid()));
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

	/* glibc's full set leaves out the two real-time signals it keeps for
	 * its threads.  Blocked with the rest: SIGPIPE, so that a closed
	 * stderr does not kill memrun before it reports (the job gets the
	 * caller's mask back, so SIGPIPE still works there). */
	sigfillset(&mask);
	for (size_t i = 0; i < ELEMENTSOF(memrun_own_signals); i++)
		sigdelset(&mask, memrun_own_signals[i]);
	s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0)
		return -errno;
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
	/* A manager without memory events to watch (none): s->cgroup stays
	 * NULL, and the job is waited for by its processes alone. */
	if (cg->watch_fd < 0)
		return 0;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, cg->watch_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = cg->watch_fd }) < 0)
		return -errno;
	s->cgroup = cg;
	return 0;
}

int supervisor_watch_notify(struct supervisor *s, struct notify_relay *relay)
{
	if (relay->fd < 0)
		return 0;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, relay->fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = relay->fd }) < 0)
		return -errno;
	s->notify = relay;
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

	if (sent_by_memrun(si))
		return true;
	/* Ctrl-C, Ctrl-Z and friends reach the whole foreground group, the
	 * job too: forwarding would deliver them twice. */
	if (si->ssi_code == SI_KERNEL && sent_by_terminal_to_group(sig) &&
	    getpgid(main_pid) == getpgrp())
		return true;
	if (sig == SIGTSTP && sent_by_the_job(si, main_pid))
		return true;
	if (kill(main_pid, sig) == 0)
		return true;
	if (errno == ESRCH)
		return false;
	log_warning("cannot forward signal %d to pid %d: %s", sig, (int)main_pid,
		    strerror(errno));
	return true;
}

/*
 * Job control, as sudo does it: memrun is stopped when its job's main
 * process is, by the same signal, so that the shell that started memrun
 * sees the stop it expects of a pipeline.  Ctrl-Z stops the job (memrun
 * does not pass it on: the job has it from the terminal); a SIGTSTP sent
 * to memrun alone is passed on; either way memrun stops once the main
 * process has stopped, never before (a curses program first restores the
 * terminal), and not at all when the job does not stop.  A stop of the
 * job that nobody asked of memrun (kill -TSTP of the job's pid, a
 * background read of the terminal by a job in a group of its own) is not
 * followed: memrun waits on, as a job continued behind its back still
 * needs it.  fg or bg
 * continues memrun's process group: the job with it, and memrun passes
 * SIGCONT on for a job in a group of its own.  A stop by SIGSTOP (a
 * debugger, kill -STOP) is not followed: nothing but an explicit SIGCONT
 * to memrun would continue it, and meanwhile the job would go unreaped.
 */
static void stop_like_the_job(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigset_t set, mask;

	/* Stopped by sig's default action, whatever the caller left (a
	 * blocked signal is queued even when ignored); returns when continued. */
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigaction(sig, &dfl, &old) < 0)
		return;
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &set, &mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	sigaction(sig, &old, NULL);
}

/* memrun was asked to stop and the main process has stopped: memrun
 * stops too (see above).  Called on the request and on each SIGCHLD, as
 * either may come first.  Consumes the stop report (no WNOWAIT) and reaps
 * nothing (no WEXITED); a stop nobody asked of memrun (a kill -TSTP of
 * the job's pid) is left alone, and memrun waits on. */
static void follow_main_stop(struct supervisor *s, pid_t main_pid)
{
	siginfo_t si = { 0 };

	if (!s->stop_requested)
		return;
	if (waitid(P_PID, (id_t)main_pid, &si, WSTOPPED | WNOHANG) < 0 || si.si_pid != main_pid ||
	    si.si_code != CLD_STOPPED || !is_job_control_stop(si.si_status))
		return;
	s->stop_requested = false;
	stop_like_the_job(si.si_status);
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
	/* The manager's to handle: evidence, and its own oom_group kill. */
	cgroup_on_event(s->cgroup);
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
			if (s->notify && events[i].data.fd == s->notify->fd) {
				/* Once reaped, the main process's pid vouches
				 * for no sender. */
				notify_relay_forward(s->notify, done ? -1 : main_pid);
				continue;
			}
			/* Once done, what is left stays queued for the next phase. */
			while (!done && read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				int sig = (int)si.ssi_signo;

				if (sig == SIGCHLD && until == UNTIL_MAIN_ENDS) {
					follow_main_stop(s, main_pid);
					done |= reap_children(s, main_pid, o);
				} else if (sig == SIGCHLD) {
					done |= reap_all_ended();
				} else if (until == UNTIL_MAIN_ENDS) {
					if (sig == SIGTSTP && !sent_by_memrun(&si))
						s->stop_requested = true;
					else if (sig == SIGCONT)
						s->stop_requested = false;
					/* A zombie still takes signals: ESRCH is a
					 * main process reaped, maybe unseen. */
					if (!forward_signal(&si, main_pid))
						done |= reap_children(s, main_pid, o);
					else
						follow_main_stop(s, main_pid);
				} else if (sent_by_memrun(&si)) {
					continue;
				} else {
					/* No main process to follow: a stop is
					 * passed on and memrun stops at once. */
					if (s->cgroup)
						cgroup_signal_all(s->cgroup, sig);
					if (sig == SIGTSTP)
						stop_like_the_job(sig);
					else if (!s->cgroup && ends_by_default(sig))
						done = true;	/* asked to end: the rest is killed */
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
	ssize_t r;
	char *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return (int)r;
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
