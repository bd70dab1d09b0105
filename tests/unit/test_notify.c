/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/notify.c: the sd_notify relay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "notify.h"
#include "util.h"

static const struct {
	const char *what;
	const char *message;
	const char *passed_on;
	const char *dropped;	/* the first line dropped, or NULL */
} strips[] = {
	{ "nothing to drop", "READY=1\nSTATUS=up", "READY=1\nSTATUS=up", NULL },
	{ "MAINPID= in the middle", "READY=1\nMAINPID=123\nSTATUS=up", "READY=1\nSTATUS=up",
	  "MAINPID=123\n" },
	{ "MAINPID= last, without a newline", "STATUS=x\nMAINPID=1", "STATUS=x\n", "MAINPID=1" },
	{ "MAINPID= first", "MAINPID=7\nREADY=1\n", "READY=1\n", "MAINPID=7\n" },
	{ "MAINPIDFD=1 too", "MAINPIDFD=1\nREADY=1", "READY=1", "MAINPIDFD=1\n" },
	{ "nothing left", "MAINPID=1\nMAINPID=2\n", "", "MAINPID=1\n" },
	{ "names that only begin alike stay", "MAINPIDX=1\nXMAINPID=2\nMAINPID\n",
	  "MAINPIDX=1\nXMAINPID=2\nMAINPID\n", NULL },
	{ "empty lines stay", "\n\nREADY=1\n", "\n\nREADY=1\n", NULL },
};

static void test_strip_main_pid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(strips); i++) {
		char out[256];
		const char *dropped;
		size_t len = notify_strip_main_pid(strips[i].message, strlen(strips[i].message), out,
						   &dropped);

		if (len != strlen(strips[i].passed_on) || memcmp(out, strips[i].passed_on, len) != 0)
			fail_msg("%s: passed on \"%.*s\", expected \"%s\"", strips[i].what, (int)len,
				 out, strips[i].passed_on);
		if (!strips[i].dropped) {
			if (dropped)
				fail_msg("%s: dropped \"%s\"", strips[i].what, dropped);
			continue;
		}
		if (!dropped || !startswith(dropped, strips[i].dropped))
			fail_msg("%s: dropped \"%s\", expected \"%s\"", strips[i].what,
				 dropped ? dropped : "(nothing)", strips[i].dropped);
	}
}

/* A stand-in for the service manager: an abstract datagram socket that
 * asks for its senders' credentials, named in NOTIFY_SOCKET. */
static int fake_manager(char name[static 64])
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int len;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	len = snprintf(name, 64, "@memrun-test-manager-%016" PRIx64, random_token());
	memcpy(addr.sun_path, name, (size_t)len);
	addr.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&addr,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)len)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	return fd;
}

/* Send text (and fd, unless -1) as the job would, to NOTIFY_SOCKET=@name. */
static int job_send(const char *env_socket, const char *text, int fd)
{
	const char *name = env_socket + strlen("NOTIFY_SOCKET=");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_name = &addr, .msg_iov = &iov, .msg_iovlen = 1,
	};
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	assert_true(s >= 0);
	assert_int_equal(name[0], '@');
	memcpy(addr.sun_path, name, strlen(name));
	addr.sun_path[0] = '\0';
	msg.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	if (fd >= 0) {
		struct cmsghdr *c;

		/* CMSG_SPACE pads past the fd: no uninitialised bytes sent. */
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	n = sendmsg(s, &msg, 0);
	close(s);
	return n < 0 ? -errno : 0;
}

/* One datagram at the fake manager: its text, its sender, its fd (or -1);
 * false when none is waiting. */
static bool manager_receive(int fd, char *text, size_t size, pid_t *ret_pid, int *ret_fd)
{
	struct iovec iov = { .iov_base = text, .iov_len = size - 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return false;
	text[n] = '\0';
	*ret_pid = 0;
	*ret_fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*ret_pid = cred.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
		}
	}
	return true;
}

static unsigned open_fds(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void test_relay(void **state)
{
	struct notify_relay relay = NOTIFY_RELAY_INIT;
	char name[64], text[8192], big[NOTIFY_MESSAGE_MAX + 2], watchdog[32];
	char *entries[NOTIFY_RELAY_ENV_MAX];
	int manager, fd, pipe_fds[2];
	unsigned fds_before;
	pid_t pid;

	(void)state;
	manager = fake_manager(name);
	snprintf(watchdog, sizeof(watchdog), "%d", (int)getpid());
	assert_int_equal(setenv("WATCHDOG_PID", watchdog, 1), 0);
	assert_int_equal(notify_relay_open(&relay), 0);
	assert_true(relay.fd >= 0);
	assert_int_equal(notify_relay_job_environ(&relay, entries), 2);
	assert_true(startswith(entries[0], "NOTIFY_SOCKET=@memrun-notify-"));
	assert_string_equal(entries[1], "WATCHDOG_PID");
	fds_before = open_fds();

	assert_int_equal(job_send(relay.env_socket, "READY=1\nMAINPID=99\nSTATUS=up", -1), 0);
	assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
	assert_int_equal(job_send(relay.env_socket, "BARRIER=1", pipe_fds[1]), 0);
	close(pipe_fds[1]);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(job_send(relay.env_socket, big, -1), 0);
	assert_int_equal(job_send(relay.env_socket, "MAINPID=1", -1), 0);
	assert_int_equal(job_send(relay.env_socket, "STATUS=last", -1), 0);
	notify_relay_forward(&relay, -1);

	assert_true(manager_receive(manager, text, sizeof(text), &pid, &fd));
	assert_string_equal(text, "READY=1\nSTATUS=up");
	assert_int_equal(pid, getpid());
	assert_int_equal(fd, -1);
	assert_true(manager_receive(manager, text, sizeof(text), &pid, &fd));
	assert_string_equal(text, "BARRIER=1");
	assert_true(fd >= 0);
	/* The relay kept no copy: the barrier's pipe ends with the manager's. */
	close(fd);
	assert_int_equal(read(pipe_fds[0], text, 1), 0);
	close(pipe_fds[0]);
	/* The one too long and the one with nothing left are not passed on. */
	assert_true(manager_receive(manager, text, sizeof(text), &pid, &fd));
	assert_string_equal(text, "STATUS=last");
	assert_false(manager_receive(manager, text, sizeof(text), &pid, &fd));
	assert_int_equal(open_fds(), fds_before);

	/* What the job sent last reaches the manager when the relay closes,
	 * and then the job's socket is gone. */
	assert_int_equal(job_send(relay.env_socket, "STOPPING=1", -1), 0);
	{
		char env_socket[128];

		snprintf(env_socket, sizeof(env_socket), "%s", relay.env_socket);
		notify_relay_close(&relay);
		assert_int_equal(relay.fd, -1);
		assert_true(manager_receive(manager, text, sizeof(text), &pid, &fd));
		assert_string_equal(text, "STOPPING=1");
		assert_int_equal(job_send(env_socket, "READY=1", -1), -ECONNREFUSED);
	}
	close(manager);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_PID");
}

/* A manager that went away: the relay goes on, the job is not stalled. */
static void test_manager_gone(void **state)
{
	struct notify_relay relay = NOTIFY_RELAY_INIT;
	char name[64];

	(void)state;
	close(fake_manager(name));
	assert_int_equal(notify_relay_open(&relay), 0);
	assert_int_equal(job_send(relay.env_socket, "READY=1", -1), 0);
	assert_int_equal(job_send(relay.env_socket, "STATUS=x", -1), 0);
	notify_relay_forward(&relay, -1);
	assert_int_equal(job_send(relay.env_socket, "STATUS=y", -1), 0);
	notify_relay_close(&relay);
	unsetenv("NOTIFY_SOCKET");
}

static void test_no_relay(void **state)
{
	static const char *const unrelayable[] = { "vsock:2:1234", "", "relative/path", "@",
						   "/" };
	struct notify_relay relay = NOTIFY_RELAY_INIT;
	char *entries[NOTIFY_RELAY_ENV_MAX];
	char long_path[200];

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_relay_open(&relay), 0);
	assert_int_equal(relay.fd, -1);
	assert_int_equal(notify_relay_job_environ(&relay, entries), 0);
	notify_relay_close(&relay);

	for (size_t i = 0; i < ELEMENTSOF(unrelayable); i++) {
		setenv("NOTIFY_SOCKET", unrelayable[i], 1);
		assert_int_equal(notify_relay_open(&relay), 0);
		assert_int_equal(relay.fd, -1);
	}
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	setenv("NOTIFY_SOCKET", long_path, 1);
	assert_int_equal(notify_relay_open(&relay), 0);
	assert_int_equal(relay.fd, -1);
	unsetenv("NOTIFY_SOCKET");
}

/* WATCHDOG_PID of another process is not memrun's to take away. */
static void test_watchdog_of_another_process(void **state)
{
	struct notify_relay relay = NOTIFY_RELAY_INIT;
	char *entries[NOTIFY_RELAY_ENV_MAX];
	char name[64], other[32];
	int manager;

	(void)state;
	manager = fake_manager(name);
	snprintf(other, sizeof(other), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", other, 1);
	assert_int_equal(notify_relay_open(&relay), 0);
	assert_int_equal(notify_relay_job_environ(&relay, entries), 1);
	notify_relay_close(&relay);
	close(manager);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_PID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_main_pid),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_manager_gone),
		cmocka_unit_test(test_no_relay),
		cmocka_unit_test(test_watchdog_of_another_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
