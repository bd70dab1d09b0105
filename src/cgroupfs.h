/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small reads and writes of cgroup files, relative to a directory fd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Write value to dir/name; -errno on failure. */
int cg_write(int dir_fd, const char *name, const char *value);
int cg_write_u64(int dir_fd, const char *name, uint64_t value);	/* UINT64_MAX: "max" */
/* Read dir/name into buf (NUL-terminated); length or -errno. */
ssize_t cg_read(int dir_fd, const char *name, char *buf, size_t size);
/* A file of one number ("max" and v1's huge "unlimited" become UINT64_MAX). */
int cg_read_u64(int dir_fd, const char *name, uint64_t *ret);
/* From "key value" lines (memory.events, memory.oom_control): the value of key. */
int cg_keyed_u64(const char *text, const char *key, uint64_t *ret);
/* pread of an open fd from offset 0, no allocation: for the supervisor loop. */
ssize_t cg_pread(int fd, char *buf, size_t size);
bool cg_exists(int dir_fd, const char *name);
/* The cgroup directory name below dir_fd, opened read-only, never through
 * a symlink nor across a mount (a bind mount of another cgroup placed in
 * the job's tree by the job): -errno, -EXDEV for a mount. */
int cg_open_subdir(int dir_fd, const char *name);
/* rmdir of the cgroup name in parent_fd, waiting up to a second while the
 * kernel still counts a process that has just exited (EBUSY). */
int cg_rmdir(int parent_fd, const char *name);
/*
 * Whether cgroups were made (or made and removed) below a directory,
 * without an inotify instance (closing one that had a watch waits for the
 * kernel's mark reaper, milliseconds): kernfs stamps a directory's ctime
 * when a child comes or goes.  cg_subdirs_mark takes the stamp before the
 * job runs (-errno: cannot tell); cg_subdirs_changed is true when a
 * cgroup is there now, one came or went since, or it cannot tell.
 */
int cg_subdirs_mark(int dir_fd, struct timespec *ret_mark);
bool cg_subdirs_changed(int dir_fd, const struct timespec *mark);
/* One number from an open file, by pread (no allocation). */
int cg_pread_u64(int fd, uint64_t *ret);
/* One number from text as the kernel writes it: "max", "123\n". */
int cg_parse_u64(const char *text, uint64_t *ret);

/* v1 writes "unlimited" as the largest page-aligned long. */
#define CG_V1_UNLIMITED_MIN 0x7FFFFFFFFFFFF000ULL
