/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "supervise.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "util.h"

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

int supervisor_init(struct supervisor *s)
{
	sigset_t mask;

	*s = (struct supervisor){ .epoll_fd = -1, .signal_fd = -1 };

	/* Orphaned grandchildren come to us, so none escapes the report. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -errno;

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
	s->mask_changed = true;

	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return -errno;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->signal_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = s->signal_fd }) < 0)
		return -errno;
	return 0;
}

void supervisor_done(struct supervisor *s)
{
	s->epoll_fd = safe_close(s->epoll_fd);
	s->signal_fd = safe_close(s->signal_fd);
	if (s->mask_changed)
		sigprocmask(SIG_SETMASK, &s->caller_mask, NULL);
	s->mask_changed = false;
}

static void forward_signal(const struct signalfd_siginfo *si, pid_t main_pid)
{
	int sig = (int)si->ssi_signo;

	/* Ctrl-C and friends reach the whole foreground group, the job too:
	 * forwarding would deliver them twice. */
	if (si->ssi_code == SI_KERNEL && sent_by_terminal_to_group(sig) &&
	    getpgid(main_pid) == getpgrp())
		return;
	/* ESRCH: the job ended a moment ago; its SIGCHLD is on the way. */
	if (kill(main_pid, sig) < 0 && errno != ESRCH)
		log_warning("cannot forward signal %d to pid %d: %s", sig, (int)main_pid,
			    strerror(errno));
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Reap every child that has ended; true once main_pid is among them. */
static bool reap_children(pid_t main_pid, const struct timespec *start, struct outcome *o)
{
	bool main_done = false;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != main_pid)
			continue;
		o->duration_s = seconds_since(start);
		if (WIFEXITED(status)) {
			o->main_exited = true;
			o->exit_code = WEXITSTATUS(status);
		} else if (WIFSIGNALED(status)) {
			o->signal = WTERMSIG(status);
			o->core_dumped = WCOREDUMP(status);
		}
		main_done = true;
	}
	return main_done;
}

int supervisor_wait(struct supervisor *s, pid_t main_pid, struct outcome *o)
{
	struct timespec start;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &start);
	o->main_pid = main_pid;

	for (bool main_done = false; !main_done;) {
		struct epoll_event events[4];
		int n = epoll_wait(s->epoll_fd, events, ELEMENTSOF(events), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (events[i].data.fd != s->signal_fd)
				continue;
			while (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					main_done |= reap_children(main_pid, &start, o);
				else
					forward_signal(&si, main_pid);
			}
		}
	}

	/* RUSAGE_CHILDREN's ru_maxrss is the largest single reaped process. */
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		o->largest_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	return 0;
}
