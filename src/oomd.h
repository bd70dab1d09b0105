/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd-oomd's word on the kills it made.  oomd kills a whole cgroup
 * with SIGKILL, which from outside looks like any kill -9; but it marks
 * the cgroup it kills with extended attributes, as PID 1 reads them to set
 * a unit's Result to oom-kill: user.oomd_ooms, one more per kill action,
 * set before the kill, and user.oomd_kill, the processes it killed, added
 * after it.  And it logs the rule that fired, in the system journal
 * (systemd 252, src/oom/oomd-manager.c):
 *
 *   Killed PATH due to memory pressure for UNIT-CGROUP being 82.39% >
 *     50.00% for > 20s with reclaim activity
 *   Killed PATH due to memory used (U) / total (T) and swap used (SU) /
 *     total (ST) being more than 90.00%
 *
 * Whoever may write a cgroup's attributes may write these (a job in its
 * delegated cgroup): memrun takes them at the word PID 1 takes them, and
 * the journal's record, written by the unit systemd-oomd.service, names
 * the rule.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What oomd's marks on the job's cgroups count. */
struct oomd_marks {
	uint64_t actions;	/* user.oomd_ooms: kill actions on them */
	uint64_t processes;	/* user.oomd_kill: processes killed */
	/* Actions whose user.oomd_kill is not written (yet): oomd writes it
	 * once the kill is over, which may be after memrun saw the job die. */
	unsigned pending;
};

/* Add the marks of one cgroup (an fd of its directory, not O_PATH) to
 * *marks: 1 when it has any, 0 when none, -errno.  No allocation. */
int oomd_read_marks(int dir_fd, struct oomd_marks *marks);

enum oomd_rule {
	OOMD_RULE_UNKNOWN,
	OOMD_RULE_PRESSURE,	/* ManagedOOMMemoryPressure= */
	OOMD_RULE_SWAP,		/* ManagedOOMSwap= */
};

/* oomd's record of one kill.  Percentages in hundredths of a percent, as
 * oomd prints them ("82.39%" is 8239). */
struct oomd_record {
	enum oomd_rule rule;
	char *cgroup;		/* the cgroup oomd killed */
	char *monitored;	/* pressure: the unit's cgroup whose pressure was over its limit */
	uint64_t pressure, pressure_limit;
	char *duration;		/* pressure: how long it was, as oomd says it ("20s") */
	double duration_s;	/* the same in seconds */
	/* swap: memory and swap in use and in all (bytes), over swap_limit */
	uint64_t memory_used, memory_total, swap_used, swap_total;
	uint64_t swap_limit;
};

/* "memory-pressure", "swap"; NULL for unknown (the report's oom.oomd.rule). */
const char *oomd_rule_name(enum oomd_rule rule);

/* One MESSAGE (size bytes, not NUL-terminated, without "MESSAGE=") as a
 * record of oomd's kill: true and *ret filled (malloc'ed strings), else
 * false and *ret untouched.  Exposed for the unit tests. */
bool oomd_parse_message(const char *message, size_t size, struct oomd_record *ret);

/* Whether path is the job's cgroup or lies below it: job_suffix
 * ("/memrun-1-a2...", unique to the job) is one of its components. */
bool oomd_path_is_job(const char *path, const char *job_suffix);

/*
 * oomd's record of its kill of the job's cgroup (job_suffix as above)
 * since the job started (CLOCK_MONOTONIC, ns), from the system journal,
 * waited for up to a second (oomd may log after memrun saw the job die).
 * 0 and *ret filled; else -errno and why (malloc'ed): the journal is not
 * readable, or holds no such record (-ENOENT).
 */
int oomd_collect_record(const char *job_suffix, uint64_t job_start_mono_ns,
			struct oomd_record *ret, char **ret_why);

void oomd_record_free(struct oomd_record *r);
