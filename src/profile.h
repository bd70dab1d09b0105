/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Profiles: "key = value" files found by name along a search path. */
#pragma once

#include <stddef.h>

#include "settings.h"

#define PROFILE_SUFFIX ".conf"
#define PROFILE_MAX_INHERIT_DEPTH 16
/* A profile is a few lines: more is a mistake, not a profile. */
#define PROFILE_MAX_BYTES (64 << 10)
#define PROFILE_MAX_SIZE_TEXT "64 KiB"

struct loaded_profile {
	char *name;		/* as asked for: "db" or "./x.conf" */
	char *path;		/* the file read */
	char *description;	/* or NULL */
	unsigned depth;		/* 0: named by the user; 1+: through inherit */
	char *text;		/* the file as read, for 'profiles show' */
};

/* Every profile file loaded for one run; owns the strings origins point to. */
struct profile_set {
	struct loaded_profile *items;
	size_t count;
};

void profile_set_free(struct profile_set *set);

/* The directories searched for NAME.conf, in order: a string vector
 * (strv_free). */
char **profile_search_dirs(void);

/* A profile name (no '/'): letters, digits, '.', '_', '-', '+'. */
bool profile_name_is_valid(const char *name);

/*
 * Find the file for NAME along the search path, after the file "skip" when
 * it is on the path and never skip itself (so that a user's db.conf may
 * inherit the system's db, and that one the shipped db).  Returns 0 and a
 * malloc'ed path, or -ENOENT.
 */
int profile_find(const char *name, const char *skip, char **ret_path);

/*
 * Load a profile (a name, or a path when it holds a '/') and its inherit
 * chain over values: inherited values first, the file's own on top.
 * Prints the error (file, line, key, what to do) and returns -errno.
 */
int profile_load(struct profile_set *set, const char *name_or_path,
		 struct setting_value values[SETTING_COUNT]);
/* The same for a profile already found at path (by profile_find); name is
 * the name it was found by, or the path itself. */
int profile_load_file(struct profile_set *set, const char *name, const char *path,
		      struct setting_value values[SETTING_COUNT]);

/* Parse profile text from memory (for tests and for 'profiles show').
 * path names the text in messages and origins. */
int profile_parse_text(struct profile_set *set, const char *path, const char *text,
		       struct setting_value values[SETTING_COUNT]);

struct profile_entry {
	char *name;
	char *path;	/* the file that wins for name: the first along the path */
};

/* Every profile along the search path, each name once, sorted by name.
 * Returns the count; free with profile_entries_free(). */
size_t profile_list_all(struct profile_entry **ret);
void profile_entries_free(struct profile_entry *entries, size_t count);

/*
 * Read a profile file whole: a regular file (never a FIFO, device, socket,
 * nor a file of /proc or /sys, which are opened without blocking or not at
 * all), of at most PROFILE_MAX_BYTES, with no NUL byte.  Returns 0 and the
 * malloc'ed text, or -errno: -EISDIR not a regular file, -EFBIG too large,
 * -EILSEQ a NUL byte; profile_read_strerror() says which.
 */
int profile_read_file(const char *path, char **ret_text);
const char *profile_read_strerror(int err);

/* The description line of a profile file: 0 and a malloc'ed string, or
 * NULL when it has none; -errno as profile_read_file(). */
int profile_read_description(const char *path, char **ret_description);
