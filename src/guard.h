/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guard of a job in a systemd scope: a small process that lives in
 * the scope beside the job, outside memrun's own cgroup and process tree.
 *
 * A scope outlives its creator: were memrun SIGKILLed, the job would run
 * on, unlimited by nothing memrun promised.  The guard holds the scope's
 * cgroup.kill open and waits on a socket only memrun holds the other end
 * of; when that end closes without a word (memrun died), it kills the
 * whole scope, so the job ends and systemd collects the scope.
 *
 * It also keeps the scope populated while memrun reads the job's last
 * evidence: systemd stops a scope and removes its cgroup as soon as it is
 * empty, which a job whose last process was just OOM-killed is.
 */
#pragma once

#include <sys/types.h>

struct guard {
	pid_t pid;	/* -1: none */
	int sock;	/* memrun's end */
};

#define GUARD_INIT ((struct guard){ .pid = -1, .sock = -1 })

/* Start the guard (not a child of memrun's: it is no job process for
 * memrun to reap or wait for). */
int guard_start(struct guard *g);
/* From now on, memrun's death kills every process of the cgroup dir_fd
 * (the scope's). */
int guard_arm(struct guard *g, int dir_fd);
/* memrun is done with the scope: the guard ends without killing, and
 * memrun waits for that a bounded time. */
void guard_release(struct guard *g);
/* memrun has killed the scope, the guard with it: let go of it without a
 * word or a wait (were it still there, it would kill the scope too). */
void guard_forget(struct guard *g);
