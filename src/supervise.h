/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor: one epoll loop that sleeps until the kernel has news
 * (a signal to forward, a child to reap).  No timers, no polling, and no
 * allocation once the job runs.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "outcome.h"

struct supervisor {
	int epoll_fd;
	int signal_fd;
	sigset_t caller_mask;	/* restored in the job before exec */
	bool mask_changed;
};

/* Before fork: become a child subreaper, block the forwarded signals and
 * SIGCHLD, and open the signalfd they arrive on. */
int supervisor_init(struct supervisor *s);
void supervisor_done(struct supervisor *s);

/* Forward signals to main_pid and reap children until main_pid ends; its
 * status, run time and the largest RSS go into o. */
int supervisor_wait(struct supervisor *s, pid_t main_pid, struct outcome *o);
