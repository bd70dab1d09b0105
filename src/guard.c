/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guard.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privilege.h"
#include "util.h"

#define GUARD_ARM 'A'
#define GUARD_DONE 'D'
/* How long memrun waits for a released guard to be gone. */
#define GUARD_EXIT_TIMEOUT_MS 2000

/* The guard's life: wait for memrun's word or its death. */
static _Noreturn void guard_main(int sock)
{
	sigset_t none;
	int kill_fd = -1, null_fd;
	int32_t self;

	/* Its own session: a terminal's Ctrl-C or hangup is memrun's to
	 * handle; a `systemctl stop` of the scope (SIGTERM) ends it at once. */
	setsid();
	/* Never the victim of the job's OOM kill where memrun may say so
	 * (CAP_SYS_RESOURCE); not a holder of memrun's directory. */
	null_fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (null_fd >= 0 && write(null_fd, "-1000", 5) < 0)
		errno = 0;
	safe_close(null_fd);
	if (chdir("/") < 0)
		errno = 0;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_NAME, "memrun-guard");
	/* Nothing of memrun's stays open here but the socket: not even its
	 * stdout, which a caller reading memrun's output to the end (a pipe,
	 * $(...), systemd-run --pipe) would otherwise wait on. */
	if (sock != 3 && dup3(sock, 3, O_CLOEXEC) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		if (null_fd < 0 || dup2(null_fd, fd) < 0)
			close(fd);
	if (null_fd > 3)
		close(null_fd);
	sock = 3;
	self = (int32_t)getpid();
	if (send(sock, &self, sizeof(self), MSG_NOSIGNAL) != (ssize_t)sizeof(self))
		_exit(1);

	for (;;) {
		char byte, control[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *cmsg;
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* memrun is gone without a word (end of file, or a reset
			 * with words unread): end the job. */
			if (kill_fd >= 0 && write(kill_fd, "1", 1) < 0)
				_exit(1);
			_exit(0);
		}
		if (byte == GUARD_DONE)
			_exit(0);
		cmsg = CMSG_FIRSTHDR(&msg);
		if (byte == GUARD_ARM && cmsg && cmsg->cmsg_type == SCM_RIGHTS) {
			int dir_fd;

			memcpy(&dir_fd, CMSG_DATA(cmsg), sizeof(int));
			safe_close(kill_fd);
			/* Opened now: at memrun's death there is nothing to look up. */
			kill_fd = openat(dir_fd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
			safe_close(dir_fd);
		}
	}
}

int guard_start(struct guard *g)
{
	int pair[2], was_subreaper = 0, status = 0;
	int32_t pid = 0;
	pid_t middle;
	ssize_t n;

	*g = GUARD_INIT;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return -errno;
	/*
	 * Forked twice, with memrun no subreaper meanwhile, so that the guard
	 * is adopted by init (or whoever reaps for memrun's parent): memrun
	 * reaps and waits for its job's processes, and the guard is none.
	 */
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	middle = fork();
	if (middle == 0) {
		pid_t guard = fork();

		if (guard == 0) {
			close(pair[0]);
			/* An elevated memrun's capabilities are the job's
			 * child's business, not the guard's. */
			privilege_shed();
			guard_main(pair[1]);
		}
		_exit(guard < 0 ? 1 : 0);
	}
	if (middle > 0)
		while (waitpid(middle, &status, 0) < 0 && errno == EINTR)
			;
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper);
	close(pair[1]);
	if (middle < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int err = middle < 0 ? errno : EAGAIN;

		close(pair[0]);
		return -err;
	}
	g->sock = pair[0];
	/* The guard's first word is its pid. */
	while ((n = recv(g->sock, &pid, sizeof(pid), 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(pid) || pid <= 0) {
		int err = n < 0 ? errno : EPROTO;

		g->sock = safe_close(g->sock);
		return -err;
	}
	g->pid = pid;
	return 0;
}

int guard_arm(struct guard *g, int dir_fd)
{
	char byte = GUARD_ARM, control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &dir_fd, sizeof(int));
	if (sendmsg(g->sock, &msg, MSG_NOSIGNAL) != 1)
		return -errno;
	return 0;
}

void guard_release(struct guard *g)
{
	struct pollfd pfd = { .fd = g->sock, .events = POLLIN };
	char byte = GUARD_DONE;

	if (g->sock < 0)
		return;
	/* Its end closes as it exits: that is the wait. */
	if (send(g->sock, &byte, 1, MSG_NOSIGNAL) == 1)
		while (poll(&pfd, 1, GUARD_EXIT_TIMEOUT_MS) < 0 && errno == EINTR)
			;
	g->sock = safe_close(g->sock);
	g->pid = -1;
}

void guard_forget(struct guard *g)
{
	g->sock = safe_close(g->sock);
	g->pid = -1;
}
