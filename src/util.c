/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util.h"

#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

__attribute__((format(printf, 2, 0)))
static void log_line(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;

	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved;
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("memrun: ", fmt, ap);
	va_end(ap);
}

void log_file_error(const char *path, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *prefix = xasprintf("memrun: %s:%u: ", path, line);
	va_list ap;

	va_start(ap, fmt);
	log_line(prefix, fmt, ap);
	va_end(ap);
}

char *strstrip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

void log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("memrun: warning: ", fmt, ap);
	va_end(ap);
}

void log_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("memrun:   ", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 0)))
static int log_line_errno(const char *prefix, int err, const char *fmt, va_list ap)
{
	int saved = errno;

	if (err < 0)
		err = -err;
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(err));
	errno = saved;
	return -err;
}

int log_error_errno(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_line_errno("memrun: ", err, fmt, ap);
	va_end(ap);
	return r;
}

int log_warning_errno(int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_line_errno("memrun: warning: ", err, fmt, ap);
	va_end(ap);
	return r;
}

void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int bad_usage(const char *subcommand)
{
	if (subcommand)
		fprintf(stderr, "Try 'memrun %s --help' for more information.\n", subcommand);
	else
		fprintf(stderr, "Try 'memrun --help' for more information.\n");
	return MEMRUN_EXIT_FAILURE;
}

static void *oom_abort(void)
{
	fputs("memrun: out of memory in memrun itself\n", stderr);
	_exit(MEMRUN_EXIT_FAILURE);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	return p ? p : oom_abort();
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : oom_abort();
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	return q ? q : oom_abort();
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom_abort();
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : oom_abort();
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? oom_abort() : s;
}

void strv_free(char **strv)
{
	int saved = errno;

	for (char **s = strv; s && *s; s++)
		free(*s);
	free(strv);
	errno = saved;
}

size_t strv_length(char *const *strv)
{
	size_t n = 0;

	while (strv && strv[n])
		n++;
	return n;
}

void strv_push(char ***strv, char *s)
{
	size_t n = strv_length(*strv);

	*strv = xrealloc(*strv, (n + 2) * sizeof(char *));
	(*strv)[n] = s;
	(*strv)[n + 1] = NULL;
}

int find_executable(const char *cmd, char **ret_path)
{
	/* As execvpe finds it: the job is looked up with the caller's PATH. */
	const char *path = getenv("PATH");
	bool denied = false;
	struct stat st;

	if (strchr(cmd, '/')) {
		if (stat(cmd, &st) < 0)
			return -ENOENT;
		if (S_ISDIR(st.st_mode) || access(cmd, X_OK) < 0)
			return -EACCES;
		*ret_path = xstrdup(cmd);
		return 0;
	}
	for (const char *p = path ? path : "/usr/local/bin:/bin:/usr/bin"; *p;) {
		const char *end = strchrnul(p, ':');
		/* An empty entry is the current directory. */
		_cleanup_free_ char *candidate = end == p ? xasprintf("./%s", cmd) :
					    xasprintf("%.*s/%s", (int)(end - p), p, cmd);

		if (stat(candidate, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(candidate, X_OK) == 0) {
				*ret_path = TAKE_PTR(candidate);
				return 0;
			}
			denied = true;
		}
		p = *end ? end + 1 : end;
	}
	return denied ? -EACCES : -ENOENT;
}

/* Read fd until EOF or until buf holds size - 1 bytes, NUL-terminated;
 * *len counts what is in buf.  1 at EOF, 0 when full, or -errno. */
static int read_fill(int fd, char *buf, size_t size, size_t *len)
{
	while (*len < size - 1) {
		ssize_t n = read(fd, buf + *len, size - 1 - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf[*len + (size_t)n] = '\0';
		if (n == 0)
			return 1;
		*len += (size_t)n;
	}
	buf[*len] = '\0';
	return 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	int r;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = read_fill(fd, buf, size, &len);
	return r < 0 ? r : (ssize_t)len;
}

int read_file_alloc(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t size = 16384, len = 0;
	int r;

	if (fd < 0)
		return -errno;
	buf = xmalloc(size);
	/* One read() while it fits: procfs makes its text anew for each. */
	while ((r = read_fill(fd, buf, size, &len)) == 0) {
		size *= 2;
		buf = xrealloc(buf, size);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	return 0;
}

char *self_exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return xstrdup(dirname(exe));
}

bool self_in_build_tree(void)
{
	static int known = -1;	/* asked once per profile search: read once */

	if (known < 0) {
		_cleanup_free_ char *dir = self_exe_dir();
		/* Freed by its cleanup, which clang 14's analyzer does not see:
		 * NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		known = dir && streq(dir, BUILD_TREE_DIR);
	}
	return known;
}

bool list_contains(const char *list, char sep, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p && *p;) {
		const char *end = strchrnul(p, sep);

		if ((size_t)(end - p) == n && strncmp(p, item, n) == 0)
			return true;
		p = *end ? end + 1 : NULL;
	}
	return false;
}

int parse_int64(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	/* strtoll skips leading white space ("\n5" too); here it is junk. */
	if (isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno != 0 || end == s || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int std_fds_ensure_open(void)
{
	for (int fd = 0; fd <= STDERR_FILENO; fd++) {
		int null_fd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free fd: this one, as the lower ones are open.
		 * Read-only, so that memrun's writes to it fail as they would
		 * on the closed fd (`memrun --help >&-` is an error). */
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (null_fd < 0)
			return -errno;
		if (null_fd != fd) {
			int r = dup3(null_fd, fd, O_CLOEXEC) < 0 ? -errno : 0;

			safe_close(null_fd);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int stdout_finish(int status)
{
	bool failed_before = ferror(stdout);
	bool pending = __fpending(stdout) > 0;
	bool failed;
	int err;

	errno = 0;
	/* EBADF with nothing to write: stdout was closed and is not used. */
	failed = (fclose(stdout) != 0 && (pending || failed_before || errno != EBADF)) ||
		 failed_before;
	err = errno;
	if (!failed || err == EPIPE || status == MEMRUN_EXIT_FAILURE)
		return status;
	if (err)
		log_error_errno(err, "cannot write to standard output");
	else
		log_error("cannot write to standard output");
	return MEMRUN_EXIT_FAILURE;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Someone made the file description non-blocking. */
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t random_token(void)
{
	uint64_t token;
	struct timespec ts;

	if (getrandom(&token, sizeof(token), GRND_NONBLOCK) == (ssize_t)sizeof(token))
		return token;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) *
	       0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
}
