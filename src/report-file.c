/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --report FILE: what may be written, and how (contract section 5). */
#include "report.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "util.h"

/*
 * The --report file.  Symlinks of the last component are followed here, one
 * at a time, so that memrun knows the file it writes and can apply the
 * kernel's protected_symlinks rule itself: rename(2), which replaces the
 * file, never follows a link and so never meets that rule.
 */

#define SYMLINK_HOPS_MAX 40	/* the kernel's MAXSYMLINKS */
#define TEMP_NAME_TRIES 100

/* Split path into its directory, opened O_PATH relative to at_fd, and the
 * last name. */
static int open_parent(int at_fd, const char *path, int *ret_dir_fd, char **ret_name)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	_cleanup_free_ char *dir = NULL;
	int fd;

	/* "dir/", "." and ".." name directories. */
	if (!*name || streq(name, ".") || streq(name, ".."))
		return -EISDIR;
	if (!slash)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xasprintf("%.*s", (int)(slash - path), path);
	fd = openat(at_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_dir_fd = fd;
	*ret_name = xstrdup(name);
	return 0;
}

static bool on_procfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* N when dir_fd/name is /proc/<memrun's pid>/fd/N, where /dev/stdout,
 * /dev/fd/N and /proc/self/fd/N lead; else -1. */
static int own_fd_link(int dir_fd, const char *name)
{
	char link[64], dir[PATH_MAX], own[64], own_thread[64];
	long long fd;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", dir_fd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		return -1;
	dir[n] = '\0';
	snprintf(own, sizeof(own), "/proc/%d/fd", (int)getpid());
	snprintf(own_thread, sizeof(own_thread), "/proc/%d/task/%d/fd", (int)getpid(),
		 (int)gettid());
	if (!streq(dir, own) && !streq(dir, own_thread))
		return -1;
	if (parse_int64(name, 0, INT_MAX, &fd) < 0)
		return -1;
	return (int)fd;
}

static uid_t current_fsuid(void)
{
	return (uid_t)setfsuid((uid_t)-1);	/* -1 changes nothing */
}

/*
 * protected_symlinks: a symlink in a sticky world-writable directory is
 * followed only by its owner, or when the directory's owner owns it too.
 * Else anyone could point a name that a privileged memrun writes at any
 * file.
 */
static int check_symlink_owner(int dir_fd, const struct stat *link, const char *link_path,
			       char **why)
{
	struct stat dir;

	if (link->st_uid == current_fsuid())
		return 0;
	if (fstat(dir_fd, &dir) < 0)
		return -errno;
	if ((dir.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH) ||
	    dir.st_uid == link->st_uid)
		return 0;
	*why = xasprintf("the symlink '%s' belongs to uid %u and lies in a sticky "
			 "world-writable directory of another owner, where the kernel's "
			 "protected_symlinks rule does not follow it", link_path,
			 (unsigned)link->st_uid);
	return -EACCES;
}

/* From the symlink dir_fd/name to what it names; *shown follows along. */
static int follow_symlink(int *dir_fd, char **name, char **shown)
{
	_cleanup_free_ char *target = NULL, *next_name = NULL;
	const char *slash;
	int next_dir_fd, r;
	ssize_t n;

	target = xmalloc(PATH_MAX);
	n = readlinkat(*dir_fd, *name, target, PATH_MAX - 1);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENOENT;
	target[n] = '\0';
	r = open_parent(*dir_fd, target, &next_dir_fd, &next_name);
	if (r < 0)
		return r;
	safe_close(*dir_fd);
	*dir_fd = next_dir_fd;
	free(*name);
	*name = TAKE_PTR(next_name);
	slash = strrchr(*shown, '/');
	if (target[0] == '/' || !slash) {
		free(*shown);
		*shown = TAKE_PTR(target);
	} else {
		char *joined = xasprintf("%.*s/%s", (int)(slash - *shown), *shown, target);

		free(*shown);
		*shown = joined;
	}
	return 0;
}

/* A name beside the target that nobody else uses: ".NAME.1a2b3c4d.tmp". */
static char *temp_name_for(const char *name)
{
	uint32_t token;

	if (getrandom(&token, sizeof(token), 0) != sizeof(token))
		token = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	/* NAME shortened so that the whole stays within NAME_MAX. */
	return xasprintf(".%.200s.%08x.tmp", name, token);
}

static int open_named_temp(int dir_fd, const char *name, char **ret_temp_name)
{
	for (int i = 0; i < TEMP_NAME_TRIES; i++) {
		_cleanup_free_ char *temp = temp_name_for(name);
		int fd = openat(dir_fd, temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
				0600);

		if (fd >= 0) {
			*ret_temp_name = TAKE_PTR(temp);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static bool have_cap_fowner(void)
{
	cap_flag_value_t value = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (caps) {
		cap_get_flag(caps, CAP_FOWNER, CAP_EFFECTIVE, &value);
		cap_free(caps);
	}
	return value == CAP_SET;
}

/* In a sticky directory only the file's owner, the directory's owner or
 * CAP_FOWNER may rename over a file: known now, not when the job ended. */
static int check_sticky_replace(int dir_fd, const struct stat *file, char **why)
{
	uid_t fsuid = current_fsuid();
	struct stat dir;

	if (fstat(dir_fd, &dir) < 0)
		return -errno;
	if (!(dir.st_mode & S_ISVTX) || file->st_uid == fsuid || dir.st_uid == fsuid ||
	    have_cap_fowner())
		return 0;
	*why = xasprintf("it belongs to uid %u in a sticky directory, where memrun may not "
			 "replace it", (unsigned)file->st_uid);
	return -EPERM;
}

/* A regular or new file: its replacement, unnamed until it is complete. */
static int open_replacement(struct report_file *rf, int dir_fd, const char *name,
			    const struct stat *existing, char **why)
{
	int fd, r;

	if (existing) {
		/* Replacing a file the caller may not write would bypass its mode. */
		if (faccessat(dir_fd, name, W_OK, AT_EACCESS) < 0)
			return -errno;
		r = check_sticky_replace(dir_fd, existing, why);
		if (r < 0)
			return r;
		rf->keep_mode = rf->keep_owner = true;
		rf->mode = existing->st_mode & 0777;
		rf->uid = existing->st_uid;
		rf->gid = existing->st_gid;
	}
	/* A new file gets 0666 less the caller's umask (and a default ACL)
	 * from the kernel; an existing file's mode is set when complete. */
	fd = openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, existing ? 0600 : 0666);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* A file system without O_TMPFILE: a hidden name beside the target. */
		fd = open_named_temp(dir_fd, name, &rf->temp_name);
		if (fd < 0)
			return fd;
		if (!existing) {
			mode_t mask = umask(0);

			umask(mask);
			rf->keep_mode = true;
			rf->mode = 0666 & ~mask;
		}
	}
	if (fd < 0)
		return -errno;
	rf->target = REPORT_TARGET_REPLACE;
	rf->fd = fd;
	rf->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (rf->dir_fd < 0)
		return -errno;
	rf->name = xstrdup(name);
	return 0;
}

static int refuse_type(mode_t mode, char **why)
{
	if (S_ISDIR(mode))
		return -EISDIR;
	if (S_ISBLK(mode)) {
		*why = xstrdup("it is a block device, which memrun does not write to");
		return -EINVAL;
	}
	return 0;
}

/* A FIFO, device, socket or terminal: written where it is. */
static int open_in_place(struct report_file *rf, int dir_fd, const char *name,
			 const struct stat *st, char **why)
{
	struct stat opened;
	int fd, r;

	r = refuse_type(st->st_mode, why);
	if (r < 0)
		return r;
	if (S_ISSOCK(st->st_mode)) {
		*why = xstrdup("it is a socket; memrun writes to one only as an open file "
			       "descriptor it was given (/dev/fd/N, /dev/stdout)");
		return -ENXIO;
	}
	/* A FIFO's open waits for its reader, as a shell's redirection does;
	 * a device's must not wait (a serial line's carrier). */
	fd = openat(dir_fd, name, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW |
		    (S_ISFIFO(st->st_mode) ? 0 : O_NONBLOCK));
	if (fd < 0)
		return -errno;
	rf->fd = fd;
	rf->target = REPORT_TARGET_IN_PLACE;
	if (fstat(fd, &opened) < 0)
		return -errno;
	if (opened.st_dev != st->st_dev || opened.st_ino != st->st_ino)
		return -ESTALE;	/* replaced meanwhile: look again, never write blind */
	if (!S_ISFIFO(st->st_mode) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * A link of procfs (/dev/stdout leads to /proc/self/fd/1): its text is no
 * path ("pipe:[1234]"), it names an open file.  One of memrun's own fds is
 * written through a copy, at its offset (after the job's output when it is
 * the job's stdout too); another process's is opened by the kernel.
 */
static int open_proc_link(struct report_file *rf, int dir_fd, const char *name, char **why)
{
	int own = own_fd_link(dir_fd, name);
	struct stat st;
	int fd, r;

	if (own >= 0) {
		int flags = fcntl(own, F_GETFL);

		if (flags < 0)
			return -errno;
		if ((flags & O_PATH) || (flags & O_ACCMODE) == O_RDONLY) {
			*why = xasprintf("file descriptor %d is not open for writing", own);
			return -EBADF;
		}
		fd = fcntl(own, F_DUPFD_CLOEXEC, 3);
	} else {
		if (fstatat(dir_fd, name, &st, 0) < 0)
			return -errno;
		r = refuse_type(st.st_mode, why);
		if (r < 0)
			return r;
		fd = openat(dir_fd, name, O_WRONLY | O_NOCTTY | O_CLOEXEC |
			    (S_ISREG(st.st_mode) ? O_APPEND : 0));
	}
	if (fd < 0)
		return -errno;
	rf->fd = fd;
	rf->target = REPORT_TARGET_IN_PLACE;
	if (fstat(fd, &st) < 0)
		return -errno;
	return refuse_type(st.st_mode, why);
}

int report_file_open(struct report_file *rf, const char *path)
{
	_cleanup_close_ int dir_fd = -1;
	_cleanup_free_ char *name = NULL, *shown = xstrdup(path), *why = NULL;
	struct stat st;
	int r;

	*rf = (struct report_file)REPORT_FILE_INIT;
	r = open_parent(AT_FDCWD, path, &dir_fd, &name);
	for (int hops = 0; r >= 0; hops++) {
		if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = errno == ENOENT ? open_replacement(rf, dir_fd, name, NULL, &why) : -errno;
			break;
		}
		if (S_ISREG(st.st_mode)) {
			r = open_replacement(rf, dir_fd, name, &st, &why);
			break;
		}
		if (!S_ISLNK(st.st_mode)) {
			r = open_in_place(rf, dir_fd, name, &st, &why);
			break;
		}
		if (hops == SYMLINK_HOPS_MAX) {
			r = -ELOOP;
			break;
		}
		if (on_procfs(dir_fd)) {
			r = open_proc_link(rf, dir_fd, name, &why);
			break;
		}
		r = check_symlink_owner(dir_fd, &st, shown, &why);
		if (r >= 0)
			r = follow_symlink(&dir_fd, &name, &shown);
	}
	if (r < 0) {
		log_error("cannot write the report to '%s': %s", path, why ? why : strerror(-r));
		if (r == -EACCES && why)
			log_hint("name the file it points to, or own the link (or have the "
				 "directory's owner own it)");
		else if (r == -EISDIR)
			log_hint("--report takes the name of a file");
		report_file_discard(rf);
		return r;
	}
	rf->path = xstrdup(path);
	return 0;
}

/* A FIFO whose reader left must not kill memrun with SIGPIPE. */
static int write_in_place(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old_mask, pending;
	bool was_pending;
	int r;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	r = write_all(fd, buf, len);
	if (r == -EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &(struct timespec){ 0 });
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return r;
}

/* Give the complete, unnamed file a name beside the target, then move it
 * over the target. */
static int name_replacement(struct report_file *rf)
{
	char proc_path[64];
	int r;

	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", rf->fd);
	for (int i = 0; i < TEMP_NAME_TRIES && !rf->temp_name; i++) {
		char *temp = temp_name_for(rf->name);

		if (linkat(AT_FDCWD, proc_path, rf->dir_fd, temp, AT_SYMLINK_FOLLOW) == 0) {
			rf->temp_name = temp;
			break;
		}
		r = -errno;
		free(temp);
		if (r != -EEXIST)
			return r;
	}
	if (!rf->temp_name)
		return -EEXIST;
	if (renameat(rf->dir_fd, rf->temp_name, rf->dir_fd, rf->name) < 0)
		return -errno;	/* discard removes the temp name */
	free(rf->temp_name);
	rf->temp_name = NULL;
	return 0;
}

int report_file_commit(struct report_file *rf, const struct plan *plan, const struct outcome *o)
{
	_cleanup_free_ char *json = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	/* Whole in memory first: a target written in place gets it in one go. */
	mem = open_memstream(&json, &len);
	if (!mem)
		return -errno;
	report_write_json(mem, plan, o);
	if (fclose(mem) != 0)
		return -ENOMEM;
	if (rf->target == REPORT_TARGET_IN_PLACE)
		return write_in_place(rf->fd, json, len);

	r = write_all(rf->fd, json, len);
	if (r < 0)
		return r;
	if (rf->keep_owner && fchown(rf->fd, rf->uid, rf->gid) < 0)
		(void)!fchown(rf->fd, (uid_t)-1, rf->gid);	/* where possible */
	if (rf->keep_mode && fchmod(rf->fd, rf->mode) < 0)
		return -errno;
	if (fsync(rf->fd) < 0)
		return -errno;
	if (rf->temp_name) {
		if (renameat(rf->dir_fd, rf->temp_name, rf->dir_fd, rf->name) < 0)
			return -errno;
		free(rf->temp_name);
		rf->temp_name = NULL;
		return 0;
	}
	return name_replacement(rf);
}

void report_file_discard(struct report_file *rf)
{
	if (rf->temp_name && rf->dir_fd >= 0)
		unlinkat(rf->dir_fd, rf->temp_name, 0);
	free(rf->temp_name);
	free(rf->name);
	free(rf->path);
	safe_close(rf->fd);
	safe_close(rf->dir_fd);
	*rf = (struct report_file)REPORT_FILE_INIT;
}
