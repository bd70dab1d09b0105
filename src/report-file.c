/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --report FILE: what may be written, and how. */
#include "report-file.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include "report.h"
#include "util.h"

/*
 * The --report file.  Its path is resolved here one component at a time,
 * as the kernel would, so that memrun knows the directory and the file it
 * writes and applies the kernel's protected_symlinks rule itself to every
 * symlink on the way, whether or not the rule is enabled: rename(2), which
 * replaces the file, never follows a link and so never meets that rule.
 */

#define SYMLINK_HOPS_MAX 40	/* the kernel's MAXSYMLINKS */
#define TEMP_NAME_TRIES 100

/* Why a target is refused (NULL: strerror says it), as a ret_why would
 * carry it, and the remedy for the hint line. */
struct refusal {
	char *why;
	const char *hint;
};

static void refusal_done(struct refusal *ref)
{
	free(ref->why);
	ref->why = NULL;
}

/* Where a resolution has got to: a directory open O_PATH, its path (for
 * messages), and the symlinks followed so far. */
struct walk {
	int dir_fd;
	char *dir_path;
	int hops;
};

#define WALK_INIT { .dir_fd = -1 }

static void walk_done(struct walk *w)
{
	w->dir_fd = safe_close(w->dir_fd);
	free(w->dir_path);
	w->dir_path = NULL;
}

/* Takes fd and dir_path. */
static void walk_to(struct walk *w, int fd, char *dir_path)
{
	safe_close(w->dir_fd);
	w->dir_fd = fd;
	free(w->dir_path);
	w->dir_path = dir_path;
}

static int walk_start(struct walk *w, bool absolute)
{
	int fd = open(absolute ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	walk_to(w, fd, xstrdup(absolute ? "/" : "."));
	return 0;
}

static char *path_join(const char *dir, const char *name)
{
	if (streq(dir, "."))
		return xstrdup(name);
	if (streq(dir, "/"))
		return xasprintf("/%s", name);
	return xasprintf("%s/%s", dir, name);
}

/* dir/.. as a path for messages. */
static char *path_parent(const char *dir)
{
	/* dir is a walk's: NULL only after walk_start failed with -errno,
	 * which clang 14's analyzer may take for 0:
	 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	const char *slash = strrchr(dir, '/');
	const char *last = slash ? slash + 1 : dir;

	if (streq(dir, "/"))
		return xstrdup("/");
	if (streq(dir, "."))
		return xstrdup("..");
	if (streq(last, ".."))
		return xasprintf("%s/..", dir);
	if (!slash)
		return xstrdup(".");
	if (slash == dir)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - dir), dir);
}

static bool on_procfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static uid_t current_fsuid(void)
{
	return (uid_t)setfsuid((uid_t)-1);	/* -1 changes nothing */
}

static bool sticky_world_writable(const struct stat *dir)
{
	return (dir->st_mode & (S_ISVTX | S_IWOTH)) == (S_ISVTX | S_IWOTH);
}

/*
 * protected_symlinks (the kernel's may_follow_link): a symlink in a sticky
 * world-writable directory is followed only by its owner, or when the
 * directory's owner owns it too.  Else anyone could point a name that a
 * privileged memrun writes, or a directory on its way, at any file.
 */
static int check_symlink_owner(const struct walk *w, const struct stat *link,
			       const char *link_path, struct refusal *ref)
{
	struct stat dir;

	if (link->st_uid == current_fsuid())
		return 0;
	if (fstat(w->dir_fd, &dir) < 0)
		return -errno;
	if (!sticky_world_writable(&dir) || dir.st_uid == link->st_uid)
		return 0;
	ref->why = xasprintf("the symlink '%s' belongs to uid %u and lies in '%s', a sticky "
			     "world-writable directory of uid %u, where the kernel's "
			     "protected_symlinks rule follows a link only for its owner or "
			     "when the directory's owner owns it", link_path,
			     (unsigned)link->st_uid, w->dir_path, (unsigned)dir.st_uid);
	ref->hint = "name the file it points to, or own the link (or have the directory's "
		    "owner own it)";
	return -EACCES;
}

/* The next name of a path being resolved: *ret_len bytes at the returned
 * place, *ret_rest what follows it ("" or "/..."). */
static const char *next_name(const char *path, size_t *ret_len, const char **ret_rest)
{
	const char *name = path + strspn(path, "/");

	*ret_len = strcspn(name, "/");
	*ret_rest = name + *ret_len;
	return name;
}

/*
 * Resolves path as the kernel would, one component at a time, following
 * only the symlinks that protected_symlinks would follow, at most
 * SYMLINK_HOPS_MAX of them.  Leaves w at the directory of the last name
 * and returns that name, with its lstat or *ret_exists false where nothing
 * has it.  A link of procfs comes back unfollowed when it is the last name
 * (its text is no path, "pipe:[1234]": the caller has the kernel open it)
 * and is followed by the kernel on the way (/proc/self, /proc/<pid>/cwd).
 */
static int resolve(struct walk *w, const char *path, char **ret_name, struct stat *ret_st,
		   bool *ret_exists, struct refusal *ref)
{
	_cleanup_free_ char *pending = xstrdup(path);
	int r;

	if (!*path)
		return -ENOENT;
	r = walk_start(w, path[0] == '/');
	if (r < 0)
		return r;
	for (;;) {
		_cleanup_free_ char *target = NULL, *link_path = NULL;
		_cleanup_close_ int fd = -1;
		char name[NAME_MAX + 1], *next;
		const char *start, *rest;
		struct stat st;
		size_t len;
		bool last;
		ssize_t n;

		start = next_name(pending, &len, &rest);
		last = rest[strspn(rest, "/")] == '\0';
		/* "/", "dir/" and a link to "dir/" name directories. */
		if (len == 0 || (last && *rest))
			return -EISDIR;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, start, len);
		name[len] = '\0';

		if (streq(name, ".") || streq(name, "..")) {
			if (last)
				return -EISDIR;
			if (streq(name, "..")) {
				fd = openat(w->dir_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0)
					return -errno;
				walk_to(w, TAKE_FD(fd), path_parent(w->dir_path));
			}
			memmove(pending, rest, strlen(rest) + 1);
			continue;
		}
		if (last) {
			fd = openat(w->dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT) {
				*ret_exists = false;
				*ret_name = xstrdup(name);
				return 0;
			}
		} else {
			/* O_DIRECTORY: an automount point is mounted, as a
			 * lookup on the way would mount it. */
			fd = openat(w->dir_fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0) {
				walk_to(w, TAKE_FD(fd), path_join(w->dir_path, name));
				memmove(pending, rest, strlen(rest) + 1);
				continue;
			}
			if (errno != ENOTDIR)
				return -errno;
			/* A symlink, or no directory at all. */
			fd = openat(w->dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			return -errno;
		/* The link's owner and text are read from the link opened,
		 * not looked up again: the same link. */
		if (fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISLNK(st.st_mode) || (last && on_procfs(w->dir_fd))) {
			if (!last)
				return -ENOTDIR;
			*ret_exists = true;
			*ret_st = st;
			*ret_name = xstrdup(name);
			return 0;
		}
		if (++w->hops > SYMLINK_HOPS_MAX)
			return -ELOOP;
		link_path = path_join(w->dir_path, name);
		if (on_procfs(w->dir_fd)) {
			int dir_fd = openat(w->dir_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (dir_fd < 0)
				return -errno;
			walk_to(w, dir_fd, TAKE_PTR(link_path));
			memmove(pending, rest, strlen(rest) + 1);
			continue;
		}
		r = check_symlink_owner(w, &st, link_path, ref);
		if (r < 0)
			return r;
		target = xmalloc(PATH_MAX);
		n = readlinkat(fd, "", target, PATH_MAX);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOENT;
		if (n == PATH_MAX)
			return -ENAMETOOLONG;
		target[n] = '\0';
		if (target[0] == '/') {
			r = walk_start(w, true);
			if (r < 0)
				return r;
		}
		/* The link's text takes its place in what remains. */
		next = xasprintf("%s%s", target, rest);
		free(pending);
		pending = next;
	}
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

/* A name beside the target that nobody else uses: ".NAME.1a2b3c4d.tmp". */
static char *temp_name_for(const char *name)
{
	/* NAME shortened so that the whole stays within NAME_MAX. */
	return xasprintf(".%.200s.%08x.tmp", name, (uint32_t)random_token());
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

/*
 * protected_regular and protected_fifos (the kernel's may_create_in_sticky):
 * in a sticky world-writable directory nobody, root included, opens with
 * O_CREAT a file or FIFO that belongs neither to them nor to the
 * directory's owner.  Else another user could have a privileged memrun
 * write the command line into a file of theirs, or hand it back to them.
 */
static int check_foreign_in_sticky(const struct walk *w, const struct stat *file,
				   const char *name, struct refusal *ref)
{
	struct stat dir;

	if (file->st_uid == current_fsuid())
		return 0;
	if (fstat(w->dir_fd, &dir) < 0)
		return -errno;
	if (!sticky_world_writable(&dir) || dir.st_uid == file->st_uid)
		return 0;
	ref->why = xasprintf("the %s '%s' belongs to uid %u and lies in '%s', a sticky "
			     "world-writable directory of uid %u, where the kernel's %s rule "
			     "lets nobody else, root included, open it to write",
			     S_ISFIFO(file->st_mode) ? "FIFO" : "file", name, (unsigned)file->st_uid,
			     w->dir_path, (unsigned)dir.st_uid,
			     S_ISFIFO(file->st_mode) ? "protected_fifos" : "protected_regular");
	ref->hint = "name a file of your own, or have its owner remove it first";
	return -EACCES;
}

/* In a sticky directory only the file's owner, the directory's owner or
 * CAP_FOWNER may rename over a file: known now, not when the job ended. */
static int check_sticky_replace(const struct walk *w, const struct stat *file,
				struct refusal *ref)
{
	uid_t fsuid = current_fsuid();
	struct stat dir;

	if (fstat(w->dir_fd, &dir) < 0)
		return -errno;
	if (!(dir.st_mode & S_ISVTX) || file->st_uid == fsuid || dir.st_uid == fsuid ||
	    have_cap_fowner())
		return 0;
	ref->why = xasprintf("it belongs to uid %u in a sticky directory, where memrun may not "
			     "replace it", (unsigned)file->st_uid);
	return -EPERM;
}

/* A regular or new file: its replacement, unnamed until it is complete. */
static int open_replacement(struct report_file *rf, const struct walk *w, const char *name,
			    const struct stat *existing, struct refusal *ref)
{
	int fd, r;

	if (existing) {
		_cleanup_free_ char *file_path = path_join(w->dir_path, name);
		struct stat dir;

		/* Replacing a file the caller may not write would bypass its mode. */
		if (faccessat(w->dir_fd, name, W_OK, AT_EACCESS) < 0)
			return -errno;
		r = check_foreign_in_sticky(w, existing, file_path, ref);
		if (r >= 0)
			r = check_sticky_replace(w, existing, ref);
		if (r < 0)
			return r;
		if (fstat(w->dir_fd, &dir) < 0)
			return -errno;
		rf->keep_mode = true;
		rf->mode = existing->st_mode & 0777;
		/* Where others may put files, the report is given to nobody
		 * but memrun's caller. */
		rf->keep_owner = !sticky_world_writable(&dir);
		rf->uid = existing->st_uid;
		rf->gid = existing->st_gid;
	}
	/* A new file gets 0666 less the caller's umask (and a default ACL)
	 * from the kernel; an existing file's mode is set when complete. */
	fd = openat(w->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, existing ? 0600 : 0666);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* A file system without O_TMPFILE: a hidden name beside the target. */
		fd = open_named_temp(w->dir_fd, name, &rf->temp_name);
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
	rf->dir_fd = fcntl(w->dir_fd, F_DUPFD_CLOEXEC, 3);
	if (rf->dir_fd < 0)
		return -errno;
	rf->name = xstrdup(name);
	return 0;
}

static int refuse_type(mode_t mode, struct refusal *ref)
{
	if (S_ISDIR(mode))
		return -EISDIR;
	if (S_ISBLK(mode)) {
		ref->why = xstrdup("it is a block device, which memrun does not write to");
		return -EINVAL;
	}
	return 0;
}

/* A FIFO, device, socket or terminal: written where it is. */
static int open_in_place(struct report_file *rf, const struct walk *w, const char *name,
			 const struct stat *st, struct refusal *ref)
{
	struct stat opened;
	int fd, r;

	r = refuse_type(st->st_mode, ref);
	if (r < 0)
		return r;
	if (S_ISSOCK(st->st_mode)) {
		ref->why = xstrdup("it is a socket; memrun writes to one only as an open file "
				   "descriptor it was given (/dev/fd/N, /dev/stdout)");
		return -ENXIO;
	}
	if (S_ISFIFO(st->st_mode)) {
		_cleanup_free_ char *fifo_path = path_join(w->dir_path, name);

		r = check_foreign_in_sticky(w, st, fifo_path, ref);
		if (r < 0)
			return r;
	}
	/* A FIFO's open waits for its reader, as a shell's redirection does;
	 * a device's must not wait (a serial line's carrier). */
	fd = openat(w->dir_fd, name, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW |
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
static int open_proc_link(struct report_file *rf, int dir_fd, const char *name,
			  struct refusal *ref)
{
	int own = own_fd_link(dir_fd, name);
	struct stat st;
	int fd, r;

	if (own >= 0) {
		/* The caller's fd N, as memrun was given it: dir_fd is the
		 * only fd memrun holds here, and may have taken the number
		 * of one the caller left closed. */
		int flags = own == dir_fd ? -1 : fcntl(own, F_GETFL);

		if (flags < 0 && (own == dir_fd || errno == EBADF)) {
			ref->why = xasprintf("file descriptor %d is not open", own);
			ref->hint = "give memrun the file descriptor open for writing (in a "
				    "shell, N>FILE), or name a file";
			return -EBADF;
		}
		if (flags < 0)
			return -errno;
		if ((flags & O_PATH) || (flags & O_ACCMODE) == O_RDONLY) {
			ref->why = xasprintf("file descriptor %d is not open for writing", own);
			return -EBADF;
		}
		fd = fcntl(own, F_DUPFD_CLOEXEC, 3);
	} else {
		/* name is resolve's: NULL only after it failed with -errno,
		 * which clang 14's analyzer may take for 0:
		 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
		if (fstatat(dir_fd, name, &st, 0) < 0)
			return -errno;
		r = refuse_type(st.st_mode, ref);
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
	return refuse_type(st.st_mode, ref);
}

int report_file_open(struct report_file *rf, const char *path)
{
	_cleanup_(walk_done) struct walk w = WALK_INIT;
	_cleanup_(refusal_done) struct refusal ref = { 0 };
	_cleanup_free_ char *name = NULL;
	bool exists = false;
	struct stat st;
	int r;

	*rf = (struct report_file)REPORT_FILE_INIT;
	r = resolve(&w, path, &name, &st, &exists, &ref);
	if (r >= 0) {
		/* /proc/self/fd/N names fd N even when it is closed. */
		if (on_procfs(w.dir_fd) && (!exists || S_ISLNK(st.st_mode)))
			r = open_proc_link(rf, w.dir_fd, name, &ref);
		else if (!exists || S_ISREG(st.st_mode))
			r = open_replacement(rf, &w, name, exists ? &st : NULL, &ref);
		else
			r = open_in_place(rf, &w, name, &st, &ref);
	}
	if (r < 0) {
		log_error("cannot write the report to '%s': %s", path,
			  ref.why ? ref.why : strerror(-r));
		if (ref.hint)
			log_hint("%s", ref.hint);
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

/*
 * The report is named only where the caller will look for it: a job that
 * moved its directory away (or put another in its place) would otherwise
 * have it written where nobody looks, and memrun would say all is well.
 * The path is resolved afresh, under the same rules, and must lead to the
 * directory the report was prepared in.
 */
static int check_still_in_place(struct report_file *rf, char **ret_why)
{
	_cleanup_(walk_done) struct walk w = WALK_INIT;
	_cleanup_(refusal_done) struct refusal ref = { 0 };
	_cleanup_free_ char *name = NULL;
	struct stat st, now, prepared;
	char link[64], where[PATH_MAX];
	bool exists;
	ssize_t n;
	int r;

	if (fstat(rf->dir_fd, &prepared) < 0)
		return -errno;
	r = resolve(&w, rf->path, &name, &st, &exists, &ref);
	if (r >= 0 && fstat(w.dir_fd, &now) < 0)
		r = -errno;
	if (r >= 0 && now.st_dev == prepared.st_dev && now.st_ino == prepared.st_ino &&
	    streq(name, rf->name))
		return 0;
	if (ref.why) {
		*ret_why = TAKE_PTR(ref.why);
		return r;
	}
	if (prepared.st_nlink == 0) {
		*ret_why = xstrdup("its directory was removed while the job ran");
		return -ENOENT;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", rf->dir_fd);
	n = readlink(link, where, sizeof(where) - 1);
	if (n > 0) {
		where[n] = '\0';
		*ret_why = xasprintf("its directory was moved or replaced while the job ran "
				     "(that directory is now '%s'); nothing is written there",
				     where);
	} else {
		*ret_why = xstrdup("its directory was moved or replaced while the job ran; "
				   "nothing is written there");
	}
	return -ENOENT;
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

int report_file_write(struct report_file *rf, const struct plan *plan, const struct outcome *o,
		      char **ret_why)
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
	r = check_still_in_place(rf, ret_why);
	if (r < 0)
		return r;	/* discard removes a temp name */
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
