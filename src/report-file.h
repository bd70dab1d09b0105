/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The --report FILE, prepared before the job starts so that a target that
 * cannot be written stops memrun before anything runs.  A regular or new
 * file is replaced atomically: written unnamed in its directory and
 * renamed over it only when complete, keeping the mode and owner (not in a
 * sticky world-writable directory) of the file it replaces.  A FIFO,
 * character device, socket or terminal, or one of memrun's own fds
 * (/dev/stdout, /dev/fd/N), is written in place and never replaced.
 * Symlinks, in the directories of the path as well as its last name, are
 * followed as the kernel's protected_symlinks rule allows, whether or not
 * it is enabled; another user's file or FIFO in a sticky world-writable
 * directory is refused as protected_regular and protected_fifos refuse it.
 * The report is named only where the path still leads when the job has
 * ended.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "outcome.h"
#include "plan.h"

enum report_target {
	REPORT_TARGET_NONE,
	REPORT_TARGET_REPLACE,
	REPORT_TARGET_IN_PLACE,
};

struct report_file {
	char *path;		/* as given, for messages */
	enum report_target target;
	int fd;			/* the unnamed new file, or the target itself */
	int dir_fd;		/* REPLACE: the directory it is replaced in */
	char *name;		/* REPLACE: its name there */
	char *temp_name;	/* REPLACE, only where O_TMPFILE is unsupported */
	bool keep_mode;		/* REPLACE: give it this mode when complete */
	bool keep_owner;	/* ... and this owner, where possible */
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

#define REPORT_FILE_INIT { .fd = -1, .dir_fd = -1 }

/* 0, or -errno after saying why the report cannot be written there (the
 * path is all the context there is). */
int report_file_open(struct report_file *rf, const char *path);
/*
 * Write the report; 0, or -errno and, where strerror(-r) cannot say why,
 * a malloc'ed reason in *ret_why.  Prints nothing: the caller says so,
 * with the job's status.
 */
int report_file_write(struct report_file *rf, const struct plan *plan, const struct outcome *o,
		      char **ret_why);
void report_file_discard(struct report_file *rf);
