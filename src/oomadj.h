/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job's oom_score_adj. */
#pragma once

#include <stdbool.h>

#include "plan.h"

/* In the forked child, before exec: write the plan's oom_score_adj to
 * /proc/self/oom_score_adj (exec keeps it).  Async-signal-safe. */
int oomadj_apply(const struct plan *plan);

/* Print why oom_score_adj could not be set (err from oomadj_apply). */
void oomadj_explain_failure(const struct plan *plan, int err);

/* The value memrun runs with (the job's when the plan sets none). */
int oomadj_read_self(int *ret);
