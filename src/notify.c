/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "notify.h"

#include <inttypes.h>
#include <stddef.h>
#include <sys/time.h>

#include "util.h"

/* The kernel passes at most this many descriptors in one message
 * (SCM_MAX_FD). */
#define NOTIFY_FDS_MAX 253
/* What memrun passes on after the job has ended, at most: the job's
 * queue holds far fewer. */
#define NOTIFY_FINAL_DRAIN_MAX 1024

enum {
	WARNED_MAIN_PID = 1 << 0,
	WARNED_SENDER = 1 << 1,
	WARNED_TOO_LONG = 1 << 2,
	WARNED_TOO_MANY_FDS = 1 << 3,
	WARNED_RECEIVE = 1 << 4,
	WARNED_SEND = 1 << 5,
	WARNED_BUSY = 1 << 6,
};

/* Static: nothing is allocated once the job runs. */
static char message[NOTIFY_MESSAGE_MAX];
static char passed_on[NOTIFY_MESSAGE_MAX];
static union {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
} control_in;
static union {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
} control_out;

static bool first_time(struct notify_relay *relay, unsigned what)
{
	bool first = !(relay->warned & what);

	relay->warned |= what;
	return first;
}

/* memrun's NOTIFY_SOCKET as an address: "/path", or "@name" in the
 * abstract namespace, as sd_notify(3) reads it.  False for what memrun
 * cannot relay (vsock:, a name too long for an address). */
static bool manager_address(const char *name, struct sockaddr_un *addr, socklen_t *ret_len)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 || len >= sizeof(addr->sun_path))
		return false;
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	memcpy(addr->sun_path, name, len);
	if (name[0] == '@')
		addr->sun_path[0] = '\0';
	/* A path with its NUL; an abstract name is its bytes alone. */
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/'));
	return true;
}

/* WATCHDOG_PID names memrun: the watchdog is the service's, and memrun
 * passes the job's pings on; the job, not told that the pings are for
 * another process, sends them. */
static bool watchdog_is_memruns(void)
{
	/* getenv, not secure_getenv, here and for NOTIFY_SOCKET: an elevated
	 * memrun relays with no capability in effect, as its caller could. */
	const char *value = getenv("WATCHDOG_PID");
	long long pid;

	return value && parse_int64(value, 1, INT32_MAX, &pid) == 0 && pid == (long long)getpid();
}

/*
 * The job's socket is in the abstract namespace, under a random name, and
 * each datagram's sender is checked by the credentials the kernel attaches
 * (SO_PASSCRED): memrun's user, root, or the job's main process (a server
 * started as root that gave up its privileges) may send, no one else.  An
 * abstract socket needs no writable directory (a service may have none:
 * ProtectSystem=strict), and it is gone with its last fd, even when memrun
 * is killed: no file is left behind, ever.  Its name is no secret
 * (/proc/net/unix lists it), so the credentials are what keeps other users
 * out; the user's own processes could signal or trace memrun anyway.  A
 * socket file in a private 0700 directory would need that directory, be
 * left behind by a killed memrun, and shut out a server that gives up
 * root, where the credentials still know it as the main process.
 */
int notify_relay_open(struct notify_relay *relay)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct timeval timeout = {
		.tv_sec = NOTIFY_SEND_TIMEOUT_MS / 1000,
		.tv_usec = (suseconds_t)(NOTIFY_SEND_TIMEOUT_MS % 1000) * 1000,
	};
	_cleanup_close_ int fd = -1;
	int one = 1;

	if (!name || !manager_address(name, &relay->manager, &relay->manager_len))
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Before bind: no datagram ever arrives without credentials.  The
	 * socket stays blocking for sends, as sd_notify's own: a manager
	 * that is slow to read holds memrun up NOTIFY_SEND_TIMEOUT_MS at
	 * most.  Receives never block (MSG_DONTWAIT). */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0)
		return -errno;
	for (int attempt = 0;; attempt++) {
		struct sockaddr_un addr = { .sun_family = AF_UNIX };
		int len = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1,
				   "memrun-notify-%d-%016" PRIx64, (int)getpid(), random_token());

		if (bind(fd, (struct sockaddr *)&addr,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) == 0) {
			relay->env_socket = xasprintf("NOTIFY_SOCKET=@%s", addr.sun_path + 1);
			break;
		}
		if (errno != EADDRINUSE || attempt == 7)
			return -errno;
	}
	relay->manager_name = name;
	relay->unset_watchdog_pid = watchdog_is_memruns();
	relay->uid = getuid();
	relay->euid = geteuid();
	relay->fd = TAKE_FD(fd);
	return 0;
}

size_t notify_relay_job_environ(const struct notify_relay *relay, char **entries)
{
	size_t n = 0;

	if (relay->fd < 0)
		return 0;
	entries[n++] = relay->env_socket;
	if (relay->unset_watchdog_pid)
		entries[n++] = "WATCHDOG_PID";
	return n;
}

static bool names_main_pid(const char *line, size_t len)
{
	return (len >= strlen("MAINPID=") && memcmp(line, "MAINPID=", strlen("MAINPID=")) == 0) ||
	       (len >= strlen("MAINPIDFD=") && memcmp(line, "MAINPIDFD=", strlen("MAINPIDFD=")) == 0);
}

/*
 * memrun is the service's main process and stays it: a job that named
 * itself (MAINPID=, or MAINPIDFD=1 with a pidfd) would move the service's
 * main process to the job, which under a scope of its own is outside the
 * service's unit, and memrun would no longer be the process the manager
 * watches and stops.
 */
size_t notify_strip_main_pid(const char *msg, size_t len, char *out, const char **ret_dropped)
{
	size_t n = 0;

	*ret_dropped = NULL;
	for (size_t start = 0; start < len;) {
		const char *newline = memchr(msg + start, '\n', len - start);
		size_t end = newline ? (size_t)(newline - msg) + 1 : len;

		if (!names_main_pid(msg + start, end - start)) {
			memcpy(out + n, msg + start, end - start);
			n += end - start;
		} else if (!*ret_dropped) {
			*ret_dropped = msg + start;
		}
		start = end;
	}
	return n;
}

/* The dropped line for a warning: its name, '=' and what follows as long
 * as it looks like a number or a name. */
static int printable_prefix(const char *line, size_t max)
{
	size_t n = 0;

	while (n < max && n < 64 &&
	       ((line[n] >= '0' && line[n] <= '9') || (line[n] >= 'A' && line[n] <= 'Z') ||
		(line[n] >= 'a' && line[n] <= 'z') || line[n] == '_' || line[n] == '='))
		n++;
	return (int)n;
}

static void send_to_manager(struct notify_relay *relay, size_t len, const int *fds, size_t n_fds)
{
	struct iovec iov = { .iov_base = passed_on, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &relay->manager, .msg_namelen = relay->manager_len,
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	if (n_fds > 0) {
		struct cmsghdr *c;

		msg.msg_control = control_out.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	/* Once the manager let a send time out, no more waiting for it until
	 * it takes one again: a job that floods must not stall memrun. */
	if (sendmsg(relay->fd, &msg, MSG_NOSIGNAL | (relay->manager_busy ? MSG_DONTWAIT : 0)) >= 0) {
		relay->manager_busy = false;
		return;
	}
	if (errno == EAGAIN) {
		relay->manager_busy = true;
		if (first_time(relay, WARNED_BUSY))
			log_warning("the service manager took none of the job's notifications for %d ms "
				    "(its queue at %s is full): they are dropped while it is busy",
				    NOTIFY_SEND_TIMEOUT_MS, relay->manager_name);
		return;
	}
	/* The manager's socket is gone (ECONNREFUSED, ENOENT): the job runs
	 * on, and memrun tries again with each notification. */
	if (first_time(relay, WARNED_SEND))
		log_warning("cannot pass the job's notifications on to the service manager at %s: %s; "
			    "they are dropped", relay->manager_name, strerror(errno));
}

static bool sender_trusted(const struct notify_relay *relay, const struct ucred *cred,
			   pid_t main_pid)
{
	return cred->uid == 0 || cred->uid == relay->uid || cred->uid == relay->euid ||
	       (main_pid > 0 && cred->pid == main_pid);
}

/* One datagram of the job's passed on, or dropped; false when none was
 * waiting. */
static bool relay_one(struct notify_relay *relay, pid_t main_pid)
{
	struct iovec iov = { .iov_base = message, .iov_len = sizeof(message) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control_in.buf, .msg_controllen = sizeof(control_in.buf),
	};
	struct ucred cred;
	bool have_cred = false;
	const char *dropped;
	int *fds = NULL;
	size_t n_fds = 0, len;
	ssize_t n;

	/* Received descriptors are close-on-exec, as every fd of memrun's. */
	n = recvmsg(relay->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR && first_time(relay, WARNED_RECEIVE))
			log_warning("cannot receive the job's notifications: %s", strerror(errno));
		return false;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			fds = (int *)(void *)CMSG_DATA(c);
			n_fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			have_cred = true;
		}
	}

	if (!have_cred || !sender_trusted(relay, &cred, main_pid)) {
		char sender[64] = "an unknown sender";

		if (have_cred)
			snprintf(sender, sizeof(sender), "pid %d (uid %u)", (int)cred.pid,
				 (unsigned)cred.uid);
		if (first_time(relay, WARNED_SENDER))
			log_warning("a notification from %s to the job's NOTIFY_SOCKET was dropped: only "
				    "memrun's user, root and the job's main process may send there", sender);
	} else if (msg.msg_flags & MSG_CTRUNC) {
		/* The descriptors that did not fit are lost: the message
		 * would mean something else without them. */
		if (first_time(relay, WARNED_TOO_MANY_FDS))
			log_warning("a notification of the job's came with more file descriptors than "
				    "memrun could take: it was dropped");
	} else if (msg.msg_flags & MSG_TRUNC) {
		if (first_time(relay, WARNED_TOO_LONG))
			log_warning("a notification of the job's longer than %d bytes was dropped "
				    "(the service manager takes none longer)", NOTIFY_MESSAGE_MAX);
	} else {
		len = notify_strip_main_pid(message, (size_t)n, passed_on, &dropped);
		if (dropped && first_time(relay, WARNED_MAIN_PID))
			log_warning("the job's %.*s was not passed on to the service manager: memrun is "
				    "the service's main process and stays it",
				    printable_prefix(dropped, (size_t)(message + n - dropped)), dropped);
		if (len > 0)
			send_to_manager(relay, len, fds, n_fds);
	}
	/* The manager has its own copies now (FDSTORE=1 keeps them,
	 * BARRIER=1 waits for their close). */
	for (size_t i = 0; i < n_fds; i++)
		safe_close(fds[i]);
	return true;
}

void notify_relay_forward(struct notify_relay *relay, pid_t main_pid)
{
	for (int i = 0; i < NOTIFY_DRAIN_MAX && relay_one(relay, main_pid); i++)
		;
}

void notify_relay_close(struct notify_relay *relay)
{
	/* The job is gone: what it sent last (STOPPING=1, a last STATUS=)
	 * still reaches the manager before memrun ends.  Its main process
	 * has been reaped, so its pid vouches for nothing now. */
	if (relay->fd >= 0)
		for (int i = 0; i < NOTIFY_FINAL_DRAIN_MAX && relay_one(relay, -1); i++)
			;
	relay->fd = safe_close(relay->fd);
	free(relay->env_socket);
	relay->env_socket = NULL;
}
