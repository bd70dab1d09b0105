/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Holding a resolved plan to the administrator's policy (policy.h). */
#pragma once

#include "plan.h"
#include "policy.h"

/*
 * After plan_resolve(): every capped setting of the plan within the
 * binding's caps.  A value from a system profile the binding allows is
 * let through, and a flag or the caller's own profile may go up to it; a
 * limit nobody set becomes the cap (origin ORIGIN_POLICY); one beyond
 * is lowered to the cap with clamp = yes (plan->policy_asked says from
 * what), else refused: the message names the request, the policy file,
 * line and key, and -EPERM is returned.  A binding without a path (root,
 * no policy file) changes nothing.
 */
int policy_enforce(const struct policy_binding *binding, struct plan *plan);
