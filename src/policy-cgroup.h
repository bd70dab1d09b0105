/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `memrun policy apply` on a cgroupfs host: the totals as cgroups memrun
 * makes itself, MOUNT/memrun/user-UID, each delegated to its user as the
 * kernel's cgroup-v2.rst "Delegation" describes (v1: the directory's
 * ownership), with the total as its memory.max (v1
 * memory.limit_in_bytes), which stays root's: a user cannot raise it.
 * Every function prints nothing: what was done, or why not, comes back
 * as text for the command to print.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "policy-total.h"

/*
 * MOUNT/memrun, made where it is missing, with the memory controller
 * handed down to it and from it (v2: both cgroup.subtree_control files).
 * 0, or -errno and why.
 */
int totals_cgroup_prepare(const struct cgroup_place *place, char **ret_why);

/*
 * loc's cgroup made where it is missing, its limit set to bytes, the
 * memory controller handed to its children (v2), and it delegated to
 * loc->uid and gid.  *ret_done says what was done ("created, ...",
 * "unchanged"); 0, or -errno and why.
 */
int total_cgroup_apply(const struct total_location *loc, gid_t gid, uint64_t bytes,
		       char **ret_done, char **ret_why);

/* The user IDs of the user-UID cgroups in MOUNT/memrun, sorted. */
int totals_cgroup_list(const struct cgroup_place *place, uid_t **ret, size_t *ret_count);

/* loc's cgroup removed: 0 (also when it was not there), -EBUSY while
 * jobs are in it, or -errno and why. */
int total_cgroup_remove(const struct total_location *loc, char **ret_why);

/* MOUNT/memrun removed where it is empty: 1 when it was, else 0. */
int totals_cgroup_remove(const struct cgroup_place *place);
