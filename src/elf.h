/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Can the allocation probe see into a program?  Read its ELF header. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum program_kind {
	PROGRAM_DYNAMIC,	/* has PT_INTERP: ld.so loads the probe */
	PROGRAM_STATIC,		/* no PT_INTERP: LD_PRELOAD means nothing to it */
	PROGRAM_SETID,		/* setuid/setgid: ld.so ignores LD_PRELOAD (secure mode) */
	PROGRAM_SCRIPT,		/* #!: the interpreter decides */
	PROGRAM_UNKNOWN,
};

/* What kind of program path is; for a script, its interpreter's kind. */
enum program_kind program_kind(const char *path);

/* Same, from the first bytes of a file (for the unit tests). */
enum program_kind program_kind_from_header(const unsigned char *buf, size_t len);
