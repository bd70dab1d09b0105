/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sd_notify relay.  A Type=notify service started as `memrun ...`
 * has memrun as its main process, and the service manager takes
 * notifications (READY=1, STATUS=, WATCHDOG=1, FDSTORE=1) from that
 * process alone, or from its unit's cgroup, which the job may have left
 * for a scope of its own.  So when memrun's environment has
 * NOTIFY_SOCKET, the job gets a socket of memrun's instead, and memrun
 * sends on, as itself, what arrives there, with the file descriptors that
 * came along.  Without NOTIFY_SOCKET nothing of this happens.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* The protocol's datagrams are small: the manager takes no more than
 * PIPE_BUF bytes (systemd's NOTIFY_BUFFER_MAX).  A longer one is dropped. */
#define NOTIFY_MESSAGE_MAX 4096
/* Datagrams relayed per wake-up: a job that floods its socket still
 * leaves memrun its turn at signals and reaping in between. */
#define NOTIFY_DRAIN_MAX 16
/* How long memrun waits for a manager whose queue is full before it drops
 * a notification; then it waits no more until the manager takes one. */
#define NOTIFY_SEND_TIMEOUT_MS 2000
/* Entries notify_relay_job_environ() may add to the job's environment. */
#define NOTIFY_RELAY_ENV_MAX 2

struct notify_relay {
	int fd;				/* -1: no relay */
	struct sockaddr_un manager;	/* memrun's own NOTIFY_SOCKET */
	socklen_t manager_len;
	const char *manager_name;	/* as the environment spells it */
	char *env_socket;		/* "NOTIFY_SOCKET=@memrun-notify-PID-TOKEN" */
	bool unset_watchdog_pid;	/* WATCHDOG_PID names memrun: not the job */
	uid_t uid, euid;		/* memrun's: the senders it trusts, with root */
	bool manager_busy;		/* a send timed out: no more waiting */
	unsigned warned;		/* the warnings given, each once */
};

#define NOTIFY_RELAY_INIT { .fd = -1 }

/*
 * With NOTIFY_SOCKET in memrun's environment (a path, or "@name" in the
 * abstract namespace), open the job's socket; with none, or one memrun
 * cannot relay (vsock:), do nothing and leave the job's environment as
 * it is.  0, or -errno when the relay cannot be set up.
 */
int notify_relay_open(struct notify_relay *relay);

/* The job's NOTIFY_SOCKET, and "WATCHDOG_PID" (to unset, see
 * plan_build_environ) when it names memrun, into entries (room for
 * NOTIFY_RELAY_ENV_MAX); returns how many.  None without a relay. */
size_t notify_relay_job_environ(const struct notify_relay *relay, char **entries);

/*
 * Pass on up to NOTIFY_DRAIN_MAX datagrams waiting on the job's socket.
 * main_pid: the job's main process while memrun has not reaped it (its
 * pid cannot have been reused), else -1.  Never blocks on the job, never
 * allocates; each kind of trouble is told once.
 */
void notify_relay_forward(struct notify_relay *relay, pid_t main_pid);

/* Pass on what the job queued before it ended, and close the socket. */
void notify_relay_close(struct notify_relay *relay);

/* For the unit tests: msg (len bytes) without its MAINPID= and
 * MAINPIDFD= lines, into out (room for len bytes); returns the length
 * left and, through ret_dropped, the first line dropped (or NULL). */
size_t notify_strip_main_pid(const char *msg, size_t len, char *out, const char **ret_dropped);
