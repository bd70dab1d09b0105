/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What memrun tells people and programs when the job ends (contract section 5). */
#pragma once

#include <stdio.h>

#include "outcome.h"
#include "plan.h"

/* The summary line, "memrun: make exited 0 after 81.2 s; ...". */
void report_print_summary(FILE *out, const struct plan *plan, const struct outcome *o);

/* The JSON report. */
void report_write_json(FILE *out, const struct plan *plan, const struct outcome *o);

/*
 * The --report file: opened (unnamed) before the job starts, so that a
 * path that cannot be written fails before anything runs, and given its
 * name only when complete, so that no reader ever sees half a report.
 */
struct report_file {
	char *path;
	int fd;
	char *temp_path;	/* only where O_TMPFILE is unsupported */
};

int report_file_open(struct report_file *rf, const char *path);
int report_file_commit(struct report_file *rf, const struct plan *plan, const struct outcome *o);
void report_file_discard(struct report_file *rf);

/* "1.2 s", "3 min 04 s", "2 h 05 min". */
const char *format_duration(double seconds, char buf[static 32]);
/* "SIGTERM" */
const char *signal_name(int sig, char buf[static 16]);
