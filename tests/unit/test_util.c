/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/util.c: parsing, lists, reading real files, writing
 * to a pipe, the messages, and what a forked child sees of fds 0-2 and
 * stdout once the helpers have run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "util.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/memrun-unit-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(root);
}

/* A file of root holding len bytes of text (repeated), 0 for empty. */
static char *make_file(const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", root, name);
	FILE *f = fopen(path, "we");
	size_t n = strlen(text);

	assert_non_null(f);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(fputc(text[i % n], f), EOF);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void remove_file(char *path)
{
	assert_int_equal(unlink(path), 0);
	free(path);
}

/* ---- parse_int64 ---- */

static const struct {
	const char *text;
	long long min, max;
	int r;			/* 0 or -errno */
	long long value;	/* when r == 0 */
} ints[] = {
	{ "0", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "-0", LLONG_MIN, LLONG_MAX, 0, 0 },
	{ "42", 0, 100, 0, 42 },
	{ "+7", 0, 100, 0, 7 },
	{ "007", 0, 100, 0, 7 },
	{ "-1000", -1000, 1000, 0, -1000 },
	{ "1000", -1000, 1000, 0, 1000 },
	{ "9223372036854775807", LLONG_MIN, LLONG_MAX, 0, LLONG_MAX },
	{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, 0, LLONG_MIN },
	/* Out of the type or of [min, max]: -ERANGE. */
	{ "9223372036854775808", LLONG_MIN, LLONG_MAX, -ERANGE, 0 },
	{ "-9223372036854775809", LLONG_MIN, LLONG_MAX, -ERANGE, 0 },
	{ "99999999999999999999999", LLONG_MIN, LLONG_MAX, -ERANGE, 0 },
	{ "1001", -1000, 1000, -ERANGE, 0 },
	{ "-1001", -1000, 1000, -ERANGE, 0 },
	{ "-1", 0, 10, -ERANGE, 0 },
	/* Not a whole decimal number: -EINVAL. */
	{ "", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "-", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "+", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "abc", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "5x", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "5 ", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ " 5", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "\n5", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "\t-5", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "5\n", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "0x10", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "1e3", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "1.5", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
	{ "--5", LLONG_MIN, LLONG_MAX, -EINVAL, 0 },
};

static void test_parse_int64(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(ints); i++) {
		long long v = 12345;	/* written only on success */
		int r = parse_int64(ints[i].text, ints[i].min, ints[i].max, &v);

		if (r != ints[i].r)
			fail_msg("parse_int64(\"%s\", %lld, %lld) = %d, expected %d", ints[i].text,
				 ints[i].min, ints[i].max, r, ints[i].r);
		if (r == 0 && v != ints[i].value)
			fail_msg("parse_int64(\"%s\") gave %lld, expected %lld", ints[i].text, v,
				 ints[i].value);
		if (r < 0 && v != 12345)
			fail_msg("parse_int64(\"%s\") failed but wrote %lld", ints[i].text, v);
	}
}

static void test_parse_int64_null(void **state)
{
	long long v = 1;

	(void)state;
	assert_int_equal(parse_int64(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(v, 1);
}

/* ---- list_contains ---- */

static const struct {
	const char *list;
	char sep;
	const char *item;
	bool found;
} lists[] = {
	{ NULL, ',', "a", false },
	{ "", ',', "a", false },
	{ "a", ',', "a", true },
	{ "a,b,c", ',', "a", true },
	{ "a,b,c", ',', "b", true },
	{ "a,b,c", ',', "c", true },
	{ "a,b,c", ',', "d", false },
	{ "ab,bc", ',', "b", false },
	{ "ab,bc", ',', "abc", false },
	{ "ab,bc", ',', "ab,bc", false },
	{ "memory,pids", ',', "memory", true },
	{ "memory_recursiveprot,nsdelegate", ',', "memory", false },
	{ "cpu,cpuacct", ',', "cpu", true },
	{ "cpu,cpuacct", ',', "cpuacct", true },
	{ ",,x,,", ',', "x", true },
	{ "a:b", ':', "b", true },
	{ "a:b", ',', "b", false },
	{ "a b", ' ', "a", true },
};

static void test_list_contains(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		if (list_contains(lists[i].list, lists[i].sep, lists[i].item) != lists[i].found)
			fail_msg("list_contains(\"%s\", '%c', \"%s\") is not %s",
				 lists[i].list ? lists[i].list : "(null)", lists[i].sep,
				 lists[i].item, lists[i].found ? "true" : "false");
}

/* ---- read_small_file, read_file_alloc ---- */

static void test_read_small_file(void **state)
{
	char buf[16];
	char *path;

	(void)state;
	path = make_file("small", "hello\n", 6);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(read_small_file(path, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "hello\n");
	/* Exactly one byte short of the buffer: whole. */
	assert_int_equal(read_small_file(path, buf, 7), 6);
	assert_string_equal(buf, "hello\n");
	/* Longer than the buffer: cut at size - 1, always NUL-terminated. */
	assert_int_equal(read_small_file(path, buf, 4), 3);
	assert_string_equal(buf, "hel");
	assert_int_equal(read_small_file(path, buf, 1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(read_small_file(path, buf, 0), -EINVAL);
	remove_file(path);

	path = make_file("empty", "", 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(read_small_file(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	remove_file(path);

	path = make_file("big", "0123456789abcdef", 10000);
	{
		char big[8192];

		assert_int_equal(read_small_file(path, big, sizeof(big)), sizeof(big) - 1);
		assert_int_equal(strlen(big), sizeof(big) - 1);
		assert_memory_equal(big, "0123456789abcdef", 16);
		assert_int_equal(big[8190], "0123456789abcdef"[8190 % 16]);
	}
	remove_file(path);

	assert_int_equal(read_small_file("/nonexistent/memrun-unit", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(read_small_file(root, buf, sizeof(buf)), -EISDIR);
	/* procfs, what it is for. */
	assert_true(read_small_file("/proc/self/stat", buf, sizeof(buf)) == sizeof(buf) - 1);
}

static void test_read_file_alloc(void **state)
{
	/* Empty, a page, a byte over, and many times the first buffer. */
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 16383, 16384, 16385, 300000 };
	static const char pattern[] = "The quick brown fox jumps over the lazy dog.\n";

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		_cleanup_free_ char *text = NULL;
		char *path = make_file("file", pattern, sizes[i]);

		assert_int_equal(read_file_alloc(path, &text), 0);
		assert_non_null(text);
		if (strlen(text) != sizes[i])
			fail_msg("a file of %zu bytes read as %zu", sizes[i], strlen(text));
		for (size_t j = 0; j < sizes[i]; j++)
			if (text[j] != pattern[j % (sizeof(pattern) - 1)])
				fail_msg("a file of %zu bytes differs at byte %zu", sizes[i], j);
		remove_file(path);
	}
}

static void test_read_file_alloc_errors(void **state)
{
	char *text = NULL;

	(void)state;
	assert_int_equal(read_file_alloc("/nonexistent/memrun-unit", &text), -ENOENT);
	assert_null(text);
	assert_int_equal(read_file_alloc(root, &text), -EISDIR);
	assert_null(text);
	/* procfs: whole, up to its last line. */
	assert_int_equal(read_file_alloc("/proc/self/maps", &text), 0);
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	free(text);
}

/* ---- write_all ---- */

/* Read everything from fd; exit 0 when it is len bytes of the pattern. */
static _Noreturn void drain(int fd, size_t len)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	usleep(50 * 1000);	/* let the writer fill the pipe first */
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++, got++)
			if ((unsigned char)buf[i] != (unsigned char)(got * 7))
				_exit(2);
	}
	_exit(n == 0 && got == len ? 0 : 1);
}

static void test_write_all_pipe(void **state)
{
	const size_t len = 1 << 20;	/* many times a pipe's capacity */
	_cleanup_free_ unsigned char *data = xmalloc(len);
	int p[2], status;
	pid_t pid;

	(void)state;
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		drain(p[0], len);
	}
	close(p[0]);
	/* Non-blocking, as a job may leave a shared pipe: write_all waits. */
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(write_all(p[1], data, len), 0);
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_write_all_errors(void **state)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	int p[2];

	(void)state;
	assert_int_equal(write_all(-1, "", 0), 0);	/* nothing to write */
	assert_int_equal(write_all(-1, "x", 1), -EBADF);

	/* The reader gone: EPIPE (with SIGPIPE ignored, as memrun does). */
	assert_int_equal(sigaction(SIGPIPE, &ignore, &old), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	assert_int_equal(sigaction(SIGPIPE, &old, NULL), 0);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write_all(p[0], "x", 1), -EBADF);	/* the read end */
	close(p[0]);
	close(p[1]);
}

/* ---- messages ---- */

struct capture {
	int saved_fd;
	FILE *file;
};

static void capture_stderr(struct capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	assert_non_null(c->file);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_int_equal(dup2(fileno(c->file), STDERR_FILENO), STDERR_FILENO);
}

/* What was written to stderr since capture_stderr(); malloc'ed. */
static char *captured(struct capture *c)
{
	char *text = NULL;
	long len;

	fflush(stderr);
	assert_int_equal(dup2(c->saved_fd, STDERR_FILENO), STDERR_FILENO);
	close(c->saved_fd);
	len = ftell(c->file);
	assert_true(len >= 0);
	text = xcalloc(1, (size_t)len + 1);
	rewind(c->file);
	assert_int_equal(fread(text, 1, (size_t)len, c->file), (size_t)len);
	fclose(c->file);
	return text;
}

static void test_log_error_errno(void **state)
{
	struct capture c;
	_cleanup_free_ char *text = NULL;
	int r1, r2, r3, r4;

	(void)state;
	capture_stderr(&c);
	errno = EXDEV;
	r1 = log_error_errno(ENOENT, "cannot open %s", "/x");
	r2 = log_error_errno(-EACCES, "cannot write %d", 7);
	r3 = log_warning_errno(-ENOSPC, "disk");
	r4 = errno;
	text = captured(&c);
	/* -|err| back, whichever sign it came with; errno kept. */
	assert_int_equal(r1, -ENOENT);
	assert_int_equal(r2, -EACCES);
	assert_int_equal(r3, -ENOSPC);
	assert_int_equal(r4, EXDEV);
	assert_string_equal(text, "memrun: cannot open /x: No such file or directory\n"
				  "memrun: cannot write 7: Permission denied\n"
				  "memrun: warning: disk: No space left on device\n");
}

static void test_log_lines(void **state)
{
	struct capture c;
	_cleanup_free_ char *text = NULL;
	int r1, r2;

	(void)state;
	capture_stderr(&c);
	errno = EXDEV;
	log_error("bad %s", "thing");
	log_warning("odd");
	log_hint("do this");
	r1 = bad_usage(NULL);
	r2 = bad_usage("profiles");
	assert_int_equal(errno, EXDEV);
	text = captured(&c);
	assert_int_equal(r1, MEMRUN_EXIT_FAILURE);
	assert_int_equal(r2, MEMRUN_EXIT_FAILURE);
	assert_string_equal(text, "memrun: bad thing\n"
				  "memrun: warning: odd\n"
				  "memrun:   do this\n"
				  "Try 'memrun --help' for more information.\n"
				  "Try 'memrun profiles --help' for more information.\n");
}

/* ---- in a forked child: fds 0-2 and stdout ---- */

/*
 * Run fn in a child, its stderr into a pipe; returns the child's exit
 * status (or 1000 + signal) and what it wrote to stderr (malloc'ed).
 */
static int in_child(void (*fn)(int arg), int arg, char **ret_err)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);	/* nothing of ours may be written twice */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		fn(arg);
		_exit(99);
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*ret_err = xstrdup(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

/* Exit 0 when fd is /dev/null, read-only and close-on-exec. */
static int check_null_stand_in(int fd)
{
	char link[64], target[64];
	ssize_t n;
	int flags = fcntl(fd, F_GETFL), fd_flags = fcntl(fd, F_GETFD);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 10 + fd;
	target[n] = '\0';
	if (!streq(target, "/dev/null"))
		return 20 + fd;
	if (flags < 0 || (flags & O_ACCMODE) != O_RDONLY)
		return 30 + fd;
	if (fd_flags < 0 || !(fd_flags & FD_CLOEXEC))
		return 40 + fd;
	if (write(fd, "x", 1) >= 0)
		return 50 + fd;
	return 0;
}

/* closed: bit 0 for fd 0, bit 1 for fd 1, bit 2 for fd 2.  Exit 0 when
 * exactly those became /dev/null stand-ins and the others are untouched. */
static void std_fds_child(int closed)
{
	int null_fd, r;

	/* Whatever the test ran with, 0 and 1 open and inherited (fd 2 is
	 * the pipe in_child reads). */
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0)
		_exit(2);
	if (null_fd > 2)
		close(null_fd);
	for (int fd = 0; fd <= 2; fd++)
		if (closed & (1 << fd))
			close(fd);
	r = std_fds_ensure_open();
	if (r < 0)
		_exit(3);
	for (int fd = 0; fd <= 2; fd++) {
		if (closed & (1 << fd)) {
			r = check_null_stand_in(fd);
			if (r)
				_exit(r);
		} else if (fcntl(fd, F_GETFD) != 0 ||
			   (fd < 2 && (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR)) {
			/* Open before, not close-on-exec: left as it was. */
			_exit(60 + fd);
		}
	}
	/* The next file opened is not one of 0-2. */
	r = open("/dev/null", O_RDONLY | O_CLOEXEC);
	_exit(r > 2 ? 0 : 70);
}

static void test_std_fds_ensure_open(void **state)
{
	(void)state;
	for (int closed = 0; closed < 8; closed++) {
		_cleanup_free_ char *err = NULL;
		int status = in_child(std_fds_child, closed, &err);

		if (status != 0)
			fail_msg("fds closed %s%s%s: child exit %d", closed & 1 ? "0 " : "",
				 closed & 2 ? "1 " : "", closed & 4 ? "2 " : "", status);
	}
}

enum stdout_case {
	STDOUT_FULL,		/* /dev/full, something pending */
	STDOUT_FULL_FAILED,	/* the same, status already 125 */
	STDOUT_NULL,		/* /dev/null: fine, status kept */
	STDOUT_CLOSED,		/* fd 1 closed, nothing written */
	STDOUT_CLOSED_WRITTEN,	/* fd 1 closed, something written */
	STDOUT_PIPE_GONE,	/* a pipe nobody reads, SIGPIPE ignored */
};

static void stdout_child(int which)
{
	int fd = -1, p[2];

	switch (which) {
	case STDOUT_FULL:
	case STDOUT_FULL_FAILED:
		fd = open("/dev/full", O_WRONLY);
		break;
	case STDOUT_NULL:
		fd = open("/dev/null", O_WRONLY);
		break;
	case STDOUT_CLOSED:
	case STDOUT_CLOSED_WRITTEN:
		close(STDOUT_FILENO);
		break;
	case STDOUT_PIPE_GONE:
		signal(SIGPIPE, SIG_IGN);
		if (pipe(p) < 0)
			_exit(98);
		close(p[0]);
		fd = p[1];
		break;
	}
	if (fd >= 0 && (dup2(fd, STDOUT_FILENO) < 0 || close(fd) < 0))
		_exit(97);
	if (which != STDOUT_CLOSED)
		fputs("some output", stdout);
	_exit(stdout_finish(which == STDOUT_FULL_FAILED ? MEMRUN_EXIT_FAILURE : 3));
}

static void test_stdout_finish(void **state)
{
	static const struct {
		enum stdout_case which;
		int status;
		const char *err;
	} cases[] = {
		{ STDOUT_FULL, MEMRUN_EXIT_FAILURE,
		  "memrun: cannot write to standard output: No space left on device\n" },
		{ STDOUT_FULL_FAILED, MEMRUN_EXIT_FAILURE, "" },
		{ STDOUT_NULL, 3, "" },
		{ STDOUT_CLOSED, 3, "" },
		{ STDOUT_CLOSED_WRITTEN, MEMRUN_EXIT_FAILURE,
		  "memrun: cannot write to standard output: Bad file descriptor\n" },
		{ STDOUT_PIPE_GONE, 3, "" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *err = NULL;
		int status = in_child(stdout_child, cases[i].which, &err);

		if (status != cases[i].status || !streq(err, cases[i].err))
			fail_msg("case %zu: exit %d, stderr \"%s\"; expected %d, \"%s\"", i, status,
				 err, cases[i].status, cases[i].err);
	}
}

/* ---- the rest ---- */

static void test_random_token(void **state)
{
	uint64_t tokens[16];

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(tokens); i++) {
		tokens[i] = random_token();
		for (size_t j = 0; j < i; j++)
			if (tokens[i] == tokens[j])
				fail_msg("token %zu repeats token %zu: %016llx", i, j,
					 (unsigned long long)tokens[i]);
	}
}

static void test_self_exe_dir(void **state)
{
	_cleanup_free_ char *dir = self_exe_dir();
	char exe[PATH_MAX];
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_non_null(dir);
	assert_true(dir[0] == '/');
	assert_true(startswith(exe, dir));
	assert_string_equal(exe + strlen(dir), "/test_util");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test(test_parse_int64_null),
		cmocka_unit_test(test_list_contains),
		cmocka_unit_test(test_read_small_file),
		cmocka_unit_test(test_read_file_alloc),
		cmocka_unit_test(test_read_file_alloc_errors),
		cmocka_unit_test(test_write_all_pipe),
		cmocka_unit_test(test_write_all_errors),
		cmocka_unit_test(test_log_error_errno),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_std_fds_ensure_open),
		cmocka_unit_test(test_stdout_finish),
		cmocka_unit_test(test_random_token),
		cmocka_unit_test(test_self_exe_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
