/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What memrun's own capabilities allow. */
#pragma once

#include <stdbool.h>

/*
 * True when the kernel lets memrun do what CAP_SYS_RESOURCE allows: lower
 * oom_score_adj below its floor and raise a hard rlimit.  That takes the
 * capability in the effective set, in the host's user namespace: the
 * kernel checks both against the initial one, so root of a rootless
 * container holds the capability in vain.
 */
bool caps_have_sys_resource(void);

/*
 * True when memrun has CAP_SYS_ADMIN in its effective set.  The kernel
 * checks it in memrun's own user namespace for what memrun asks it here
 * (a seccomp filter without no_new_privs), so root of a container counts.
 */
bool caps_have_sys_admin(void);

/* Who memrun is, for what lacking CAP_SYS_RESOURCE means and its remedy. */
enum caps_standing {
	CAPS_STANDING_USER,		/* not root */
	CAPS_STANDING_ROOT,		/* root, the capability dropped */
	CAPS_STANDING_USER_NAMESPACE,	/* in a user namespace: none counts */
};

enum caps_standing caps_standing(void);

/*
 * The one wording, for the run's errors, --dry-run and memrun doctor, of
 * why something CAP_SYS_RESOURCE allows was refused: what memrun lacks, a
 * clause that follows what was refused ("lowering it below 0 " + "needs
 * CAP_SYS_RESOURCE, which memrun does not have").
 */
const char *caps_sys_resource_lacking(void);

/*
 * And how to give memrun what CAP_SYS_RESOURCE allows, for who memrun is,
 * as a clause that can follow "; " or "to allow it, " ("run memrun as root
 * (sudo memrun ...)").
 */
const char *caps_sys_resource_remedy(enum caps_standing standing);
