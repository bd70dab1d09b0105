/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --dry-run: every resolved setting and where it came from. */
#pragma once

#include <stdio.h>

#include "cgroup.h"
#include "plan.h"

/* Print the plan; returns the exit status a dry run ends with: 0, or
 * 126/127 when the command could not be executed. */
int dryrun_print(FILE *out, const struct plan *plan, const struct cgroup_place *place);
