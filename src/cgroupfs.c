/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cgroupfs.h"

#include <ctype.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "util.h"

#define RMDIR_TIMEOUT_MS 1000

int cg_open_subdir(int dir_fd, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));

	if (fd >= 0)
		return (int)fd;
	/* Before Linux 5.6 there is no openat2: every mount of one cgroup
	 * hierarchy has the same st_dev, so only the mount ids tell. */
	if (errno != ENOSYS)
		return -errno;
	{
		_cleanup_close_ int child = openat(dir_fd, name, (int)how.flags);
		struct statx parent_stx, child_stx;

		if (child < 0)
			return -errno;
		if (statx(dir_fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &parent_stx) < 0 ||
		    statx(child, "", AT_EMPTY_PATH, STATX_MNT_ID, &child_stx) < 0 ||
		    !(parent_stx.stx_mask & child_stx.stx_mask & STATX_MNT_ID))
			return -EXDEV;	/* cannot tell: not entered */
		if (parent_stx.stx_mnt_id != child_stx.stx_mnt_id)
			return -EXDEV;
		return TAKE_FD(child);
	}
}

int cg_rmdir(int parent_fd, const char *name)
{
	for (long waited = 0;; waited++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
			return 0;
		if (errno != EBUSY || waited >= RMDIR_TIMEOUT_MS)
			return -errno;
		sleep_ms(1);
	}
}

int cg_write(int dir_fd, const char *name, const char *value)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int cg_write_u64(int dir_fd, const char *name, uint64_t value)
{
	char buf[32];

	if (value == UINT64_MAX)
		return cg_write(dir_fd, name, "max");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	return cg_write(dir_fd, name, buf);
}

ssize_t cg_pread(int fd, char *buf, size_t size)
{
	ssize_t n;

	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

ssize_t cg_read(int dir_fd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return cg_pread(fd, buf, size);
}

int cg_parse_u64(const char *text, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	if (strncmp(text, "max", 3) == 0 && (!text[3] || isspace((unsigned char)text[3]))) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -errno;
	if (*end && !isspace((unsigned char)*end))
		return -EINVAL;
	*ret = v >= CG_V1_UNLIMITED_MIN ? UINT64_MAX : v;
	return 0;
}

int cg_read_u64(int dir_fd, const char *name, uint64_t *ret)
{
	char buf[64];
	ssize_t n = cg_read(dir_fd, name, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return cg_parse_u64(buf, ret);
}

int cg_keyed_u64(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return cg_parse_u64(line + klen + 1, ret);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

int cg_pread_u64(int fd, uint64_t *ret)
{
	char buf[64];
	ssize_t n = cg_pread(fd, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return cg_parse_u64(buf, ret);
}

bool cg_exists(int dir_fd, const char *name)
{
	return faccessat(dir_fd, name, F_OK, 0) == 0;
}

/*
 * kernfs (kernfs_add_one, __kernfs_remove) stamps a directory's ctime on
 * a child's mkdir and rmdir only once the directory has attributes of its
 * own (kernfs_iattrs), and a cgroup root made has none yet.  listxattr
 * makes them, with a fine-grained ctime, and changes nothing else; a
 * setattr would stamp the coarse clock, which a chmod of the job's in the
 * same tick could match.  The job cannot set ctime: any setattr of its
 * own stamps "now", which only reads as changed.
 */
int cg_subdirs_mark(int dir_fd, struct timespec *ret_mark)
{
	struct stat before, after;

	if (fstat(dir_fd, &before) < 0)
		return -errno;
	(void)flistxattr(dir_fd, NULL, 0);
	if (fstat(dir_fd, &after) < 0)
		return -errno;
	/* Unchanged for root's directory: listxattr made no attributes (one
	 * of another owner has them from its mkdir).  A no-op chmod does. */
	if (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
	    after.st_ctim.tv_nsec == before.st_ctim.tv_nsec && after.st_uid == 0 &&
	    after.st_gid == 0) {
		if (fchmod(dir_fd, after.st_mode & 07777) < 0 || fstat(dir_fd, &after) < 0)
			return -errno;
	}
	*ret_mark = after.st_ctim;
	return 0;
}

bool cg_subdirs_changed(int dir_fd, const struct timespec *mark)
{
	struct stat st;

	if (fstat(dir_fd, &st) < 0)
		return true;
	/* st_nlink: 2 + the subdirectories there now. */
	return st.st_nlink > 2 || st.st_ctim.tv_sec != mark->tv_sec ||
	       st.st_ctim.tv_nsec != mark->tv_nsec;
}
