/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock_limits: a seccomp filter that makes setrlimit and prlimit64 fail
 * with EPERM when they would set RLIMIT_AS, RLIMIT_DATA or RLIMIT_MEMLOCK,
 * in the job and everything it starts, root included; reading a limit and
 * setting any other one keep working.  libseccomp builds the filter and
 * compiles it to BPF in memrun, where it may allocate; the child loads
 * the compiled program with the bare system call, the last thing before
 * exec, which allocates nothing.
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>

struct seccomp_lock {
	struct sock_fprog prog;	/* .filter malloc'ed; .len 0: no lock */
	/* The kernel takes a filter only from a task with no_new_privs or
	 * CAP_SYS_ADMIN: the child sets no_new_privs when memrun lacks it. */
	bool no_new_privs;
};

#define SECCOMP_LOCK_INIT { .prog = { .len = 0, .filter = NULL }, .no_new_privs = false }

/* "x86_64, i386 and x32": the system call ABIs the filter covers. */
const char *seccomp_lock_abis(void);

/* "RLIMIT_AS, RLIMIT_DATA and RLIMIT_MEMLOCK": the limits it locks. */
const char *seccomp_lock_limits(void);

/* Whether the child sets no_new_privs with the lock: memrun lacks
 * CAP_SYS_ADMIN.  (A caller's no_new_privs is inherited either way.) */
bool seccomp_lock_needs_no_new_privs(void);

/*
 * Build and compile the filter into *ret.  On failure returns a negative
 * errno and a malloc'ed reason in *ret_why.
 */
int seccomp_lock_build(struct seccomp_lock *ret, char **ret_why);

/* In the child, between fork and exec: async-signal-safe, no allocation.
 * 0, or a negative errno. */
int seccomp_lock_load(const struct seccomp_lock *lock);

void seccomp_lock_free(struct seccomp_lock *lock);
