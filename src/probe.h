/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun's side of the allocation probe (probe/memrun-probe.c): the shared
 * region, the job's LD_PRELOAD and MEMRUN_PROBE, and reading back what the
 * probe saw, trusting none of it.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "outcome.h"
#include "plan.h"
#include "probe/probe-abi.h"

struct probe_host {
	bool enabled;			/* the region exists and the job gets the probe */
	char *library;
	int fd;
	struct probe_region *region;
	char *env_probe;		/* "MEMRUN_PROBE=/proc/PID/fd/N:DEV:INO" */
	char *env_preload;		/* "LD_PRELOAD=probe:caller's" */
	char *env_asan;			/* "ASAN_OPTIONS=caller's:verify_asan_link_order=0" */
	char *not_observed;		/* why the main program is not observed, or NULL */
};

/* Prepare the probe for plan->command.  Never fails the job: without the
 * probe, ph->not_observed says why. */
void probe_setup(struct probe_host *ph, const struct plan *plan);
/*
 * What the probe saw, read through ph->fd and validated, into o.  A region
 * the job shrank or scribbled over, a main program the probe never saw
 * (static, setuid, its libraries never loaded) or no probe at all: the
 * allocations are not observed, the count unknown, and o says why.
 */
void probe_collect(const struct probe_host *ph, const struct plan *plan, struct outcome *o);

/*
 * MEMRUN_PROBE's value for the region at memrun's fd (probe-abi.h):
 * "PROC/PID/fd/FD:DEV:INO", PID memrun's pid as PROC (/proc) numbers it.
 * Checked as the probe will open it.  0, or -errno with *ret_why saying
 * why the job's processes could not reach the region.
 */
int probe_env_value(const char *proc, int fd, char **ret_value, char **ret_why);
/* memrun's pid as PROC numbers it (readlink PROC/self); -ENOENT: PROC
 * does not show memrun (not mounted, or of another pid namespace). */
int probe_proc_self_pid(const char *proc, pid_t *ret_pid);

/* The shared region: a memfd sealed at its size (a job cannot shrink it
 * under memrun), mapped and initialised.  0 or -errno. */
int probe_region_create(int *ret_fd, struct probe_region **ret_region);
void probe_free(struct probe_host *ph);

/* ASAN_OPTIONS with verify_asan_link_order=0 merged in (the caller's other
 * options kept, in order): a preloaded probe comes before the ASan runtime,
 * which ASan otherwise refuses to start with.  Malloc'ed "NAME=value". */
char *probe_asan_options(const char *existing);

/* Where the probe library is: installed, or beside the memrun binary. */
char *probe_find_library(void);

const char *probe_function_name(unsigned fn);
const char *probe_cause_name(unsigned cause);
