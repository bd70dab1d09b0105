/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor: one epoll loop that sleeps until the kernel has news
 * (a signal to forward, a child to reap, a memory event of the job's
 * cgroup, a notification of the job's for the service manager).  No
 * timers, no polling, and no allocation once the job runs.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "notify.h"
#include "outcome.h"

struct supervisor {
	int epoll_fd;
	int signal_fd;
	sigset_t caller_mask;	/* restored in the job before exec, never in memrun */
	/* Signals the caller left ignored whose disposition memrun reset for
	 * itself: ignored again in the job before exec. */
	sigset_t caller_ignored;
	struct job_cgroup *cgroup;	/* NULL: the job runs without one */
	struct notify_relay *notify;	/* NULL: no sd_notify relay */
	/* memrun was asked to stop (Ctrl-Z, or a SIGTSTP of its own) and
	 * stops once the job's main process has: until then, and never for a
	 * stop of the job that nobody asked of memrun. */
	bool stop_requested;
	struct timespec start;
};

/* Before fork: become a child subreaper, take SIGCHLD back to its default
 * (a caller's SIG_IGN survives exec and would have the kernel reap the job
 * unseen), block every signal but the synchronous ones, SIGTTIN and
 * SIGTTOU, and open the signalfd they arrive on. */
int supervisor_init(struct supervisor *s);
void supervisor_done(struct supervisor *s);

/* Wake up on the memory events of the job's cgroup too (none for a job
 * without a cgroup of its own). */
int supervisor_watch_cgroup(struct supervisor *s, struct job_cgroup *cg);

/* Pass the job's sd_notify messages on as they come (none without a
 * relay: no NOTIFY_SOCKET). */
int supervisor_watch_notify(struct supervisor *s, struct notify_relay *relay);

/* The job starts now: its run time counts from here. */
void supervisor_mark_start(struct supervisor *s, struct outcome *o);

/* Forward signals to main_pid, stop when it stops by a job-control signal,
 * and reap children until main_pid ends; its status and run time go into o. */
int supervisor_wait(struct supervisor *s, pid_t main_pid, struct outcome *o);

/* After the main process: wait until every process of the job has ended
 * (--wait-all).  Signals go to every process of the job's cgroup; without
 * a cgroup, a signal whose default action ends a process ends the wait.
 * SIGTSTP stops memrun too. */
int supervisor_wait_all(struct supervisor *s, struct outcome *o);

/* Kill what is left of the job among memrun's children (grandchildren
 * come to memrun as their parents die) and reap it all. */
void supervisor_end_children(void);

/* The largest RSS of any process reaped, into o. */
void supervisor_collect_rusage(struct outcome *o);
