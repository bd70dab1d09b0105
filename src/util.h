/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers shared by every module.
 *
 * The error convention, for every module:
 * - A function returns 0 (or a non-negative count) on success and a
 *   negative errno on failure.
 * - errno is taken right after the call that failed, before any other
 *   call: `int err = errno;`, or that call's negative return.  xasprintf,
 *   free, close, stdio or a directory removal may each change errno on
 *   the way (the cleanups and log_* functions here keep it, but a saved
 *   err does not depend on that).
 * - A reason a person must read, that strerror cannot give, travels up as
 *   a malloc'ed string through a `char **ret_why` out-parameter: no
 *   "memrun:" prefix, no trailing period.  The caller frees it
 *   (_cleanup_free_).
 * - The one function that has the context prints the message, once, as
 *   `return log_error_errno(r, "cannot do what for whom")`, with a
 *   log_hint() line saying what to do; a function that passes a failure
 *   up does not print it too.
 * - memrun's own failures end in exit status 125; a usage error ends in
 *   bad_usage().
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEMRUN_EXIT_FAILURE 125	/* memrun itself failed */
#define MEMRUN_EXIT_CANNOT_EXEC 126
#define MEMRUN_EXIT_NOT_FOUND 127

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))

/* Cleanups do nothing for NULL / -1 and keep errno. */
static inline void freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline int safe_close(int fd)
{
	/* Never retry close() on EINTR: on Linux the fd is gone anyway. */
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

static inline void closep(int *fd)
{
	*fd = safe_close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

/* String vectors: NULL-terminated, malloc'ed arrays of malloc'ed strings. */
void strv_free(char **strv);

static inline void strv_freep(char ***strv)
{
	strv_free(*strv);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hand ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                       \
	({                                                                \
		__typeof__(p) _taken = (p);                               \
		(p) = NULL;                                               \
		_taken;                                                   \
	})
#define TAKE_FD(fd)                                                       \
	({                                                                \
		int _taken = (fd);                                        \
		(fd) = -1;                                                \
		_taken;                                                   \
	})

static inline bool streq(const char *a, const char *b)
{
	/* clang 14's analyzer gets here with NULL only past a -errno it
	 * took for 0:
	 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	return strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* s without its leading blanks, and its trailing ones cut off in place. */
char *strstrip(char *s);

/* Messages go to stderr as "memrun: ...". */
void log_error(const char *fmt, ...) _printf_(1, 2);
void log_warning(const char *fmt, ...) _printf_(1, 2);
/* "memrun: path:line: <message>", for an error in a file memrun reads. */
void log_file_error(const char *path, unsigned line, const char *fmt, ...) _printf_(3, 4);
/* Continuation line ("  hint: ...") under an error, for the remedy. */
void log_hint(const char *fmt, ...) _printf_(1, 2);
/*
 * "memrun: <message>: <strerror(err)>", and -|err| back, so that a failure
 * is told and passed up in one statement:
 *	return log_error_errno(r, "cannot open %s", path);
 * Take err from the failing call at once (int err = errno, or its
 * negative return): any later call, a message or a free, may change errno.
 */
int log_error_errno(int err, const char *fmt, ...) _printf_(2, 3);
int log_warning_errno(int err, const char *fmt, ...) _printf_(2, 3);
/* "Try 'memrun [SUBCOMMAND] --help'" on stderr; returns 125 (a usage error
 * is memrun's failure).  subcommand may be NULL. */
int bad_usage(const char *subcommand);

/* Allocation that cannot fail quietly: memrun aborts with a message. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);

size_t strv_length(char *const *strv);
/* Append s, which the vector takes, keeping it NULL-terminated. */
void strv_push(char ***strv, char *s);

/* Look cmd up as execvp would (PATH, else its default; a name with a '/'
 * as it is): 0 and the malloc'ed path, -ENOENT or -EACCES. */
int find_executable(const char *cmd, char **ret_path);

/* Read a whole small file (procfs, sysfs) into buf; returns length or -errno. */
ssize_t read_small_file(const char *path, char *buf, size_t size);
/* Read a whole file of any size into a malloc'ed, NUL-terminated buffer,
 * in as few read() calls as it takes (procfs regenerates text per call). */
int read_file_alloc(const char *path, char **ret);
/* Whether item is one of the sep-separated words of list (NULL: none). */
bool list_contains(const char *list, char sep, const char *item);

/* The directory memrun's own executable is in (malloc'ed), or NULL. */
char *self_exe_dir(void);
/* Whether memrun runs from the build tree it was built in (not installed):
 * it then also finds what it would find installed in that tree. */
bool self_in_build_tree(void);

/* 64 bits for names that must not clash (across pid namespaces too):
 * getrandom, never waiting for the entropy pool early at boot, where the
 * time and pid stand in (a clash then fails an O_EXCL or mkdir, and the
 * caller tries another). */
uint64_t random_token(void);

/* Sleep ms milliseconds (a signal may end it early). */
void sleep_ms(long ms);

/* Parse a decimal int64 with end, range and errno checks. */
int parse_int64(const char *s, long long min, long long max, long long *ret);

/*
 * Make sure fds 0, 1 and 2 are open, on /dev/null where the caller closed
 * them, before memrun opens anything: else a file memrun opens becomes
 * its stderr.  The stand-ins are close-on-exec, so the job sees the same
 * closed fds as the caller gave memrun, and read-only, so that memrun's
 * own writes to them fail as on a closed fd.
 */
int std_fds_ensure_open(void);

/*
 * End stdout as util-linux's close_stdout() does: status when everything
 * written reached it, else a message and 125, so that `memrun --help
 * >/dev/full` fails.  A reader that went away (EPIPE, with SIGPIPE ignored)
 * is not an error, as util-linux decides.  When status already says that
 * memrun failed, that failure has been told: no second message.
 */
int stdout_finish(int status);

/* Write all of buf, through EINTR, short writes and a non-blocking fd;
 * 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
