/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What memrun tells people and programs when the job ends: the summary
 * line and the JSON report.  They print the outcome as outcome_decide()
 * left it, and the plan; they decide and read nothing themselves.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "outcome.h"
#include "plan.h"
#include "report-file.h"

/* The summary line, "memrun: make exited 0 after 81.2 s; ...". */
void report_print_summary(FILE *out, const struct plan *plan, const struct outcome *o);

/* The JSON report. */
void report_write_json(FILE *out, const struct plan *plan, const struct outcome *o);

/* "1.2 s", "3 min 04 s", "2 h 05 min". */
const char *format_duration(double seconds, char buf[static 32]);
/* "SIGTERM" */
const char *signal_name(int sig, char buf[static 16]);
