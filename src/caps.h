/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What memrun's own capabilities allow. */
#pragma once

#include <stdbool.h>

/* True when memrun has CAP_SYS_RESOURCE in its effective set: needed to
 * lower oom_score_adj below its floor and to raise a hard rlimit. */
bool caps_have_sys_resource(void);
