/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RLIMIT_AS and RLIMIT_DATA for the job. */
#pragma once

#include "plan.h"

/* In the forked child, before exec: set every rlimit the plan names, soft
 * and hard.  Returns 0, or -errno with the failing setting in *ret_failed.
 * Async-signal-safe. */
int rlimit_apply(const struct plan *plan, enum setting_id *ret_failed);

/* Print why setting id could not be set (err from rlimit_apply). */
void rlimit_explain_failure(const struct plan *plan, enum setting_id id, int err);

/* The limit the job runs under: the plan's, else the one inherited from
 * memrun's caller.  LIMIT_UNLIMITED when there is none. */
uint64_t rlimit_in_force(const struct plan *plan, enum setting_id id);

/* "RLIMIT_AS" for SETTING_AS, NULL for settings that are not rlimits. */
const char *rlimit_name(enum setting_id id);
