/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the job ended.  The supervisor, the cgroup code and the allocation
 * probe only record evidence here (statuses, counters, kernel-log records,
 * the limits in force); outcome_decide() alone turns it into the verdict:
 * the kind of ending, whether the main process was OOM-killed, and by
 * whom.  The report writers print what they are given.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel-log.h"
#include "oomd.h"
#include "probe/probe-abi.h"

struct plan;

enum outcome_kind {
	OUTCOME_EXITED,
	OUTCOME_SIGNALED,
	OUTCOME_OUT_OF_MEMORY,
	OUTCOME_OOM_KILLED,
	OUTCOME_FAILED_TO_START,
};

enum oom_killer {
	OOM_KILLER_UNKNOWN,	/* null: no kill, or no evidence */
	OOM_KILLER_CGROUP,	/* the job's own limit */
	OOM_KILLER_OTHER,	/* an enclosing cgroup or the whole system */
};

/* Which limit the OOM kills are put down to, for people. */
enum oom_cause {
	OOM_CAUSE_NONE,		/* no kill attributed */
	OOM_CAUSE_JOB_LIMIT,	/* the job's cgroup limit */
	OOM_CAUSE_INNER_LIMIT,	/* only limits the job set on cgroups below its own */
	OOM_CAUSE_SYSTEM,	/* the kernel's global OOM killer */
	OOM_CAUSE_ENCLOSING,	/* memrun's own cgroup, which held only the job */
	OOM_CAUSE_NAMED_LIMIT,	/* the limit of an enclosing cgroup the kernel log names */
	OOM_CAUSE_AROUND,	/* some limit around the job's cgroup */
	OOM_CAUSE_OOMD,		/* systemd-oomd, by its rule */
	OOM_CAUSE_USER_TOTAL,	/* the user's total from the policy (total_memory_max) */
};

/* Which OOM killer: the kernel's or systemd-oomd (the report's oom.killed_by). */
enum oom_killed_by {
	OOM_KILLED_BY_NONE,
	OOM_KILLED_BY_KERNEL,
	OOM_KILLED_BY_OOMD,
};

/* A count that may be unknown: the report prints null for it. */
struct maybe_count {
	bool known;
	uint64_t value;
};

struct outcome {
	/* Start. */
	bool started;			/* the command was exec'd */
	int start_exit_status;		/* 125, 126 or 127 when !started */
	char *start_error;		/* why not, for people */
	/* What most likely went wrong and what to do, for people, when the
	 * evidence points past the outcome (the JSON's "hint"), or NULL. */
	char *hint;

	/* The limits the job was started under, recorded before exec
	 * (outcome_record_limits): LIMIT_UNLIMITED for none. */
	uint64_t rlimit_as_bytes, rlimit_data_bytes;
	bool oom_score_adj_known;
	int oom_score_adj;
	/* lock_limits: the job could not set its memory rlimits (seccomp). */
	bool lock_limits;
	/* The caller's total from the policy (plan->total): its size, the
	 * policy file and line, where it is in force (its cgroup directory,
	 * or the user's slice) and its path in the hierarchy, as the kernel
	 * log would name it. */
	bool total_set;
	uint64_t total_bytes;
	char *total_file;
	unsigned total_line;
	char *total_dir, *total_unit, *total_cgroup;
	/* How often the total's own limit was reached while the job ran. */
	uint64_t total_limit_hits;

	/* The main process. */
	pid_t main_pid;
	bool main_exited;		/* exit_code valid */
	int exit_code;
	int signal;			/* 0: not signaled */
	bool core_dumped;
	bool main_killed_in_exec;	/* died inside exec: it never ran (spawn.h) */
	double duration_s;
	uint64_t largest_rss_bytes;	/* largest RSS of any reaped process, 0: unknown */

	/* OOM-killer evidence (cgroup counters, kernel log).  Neither known
	 * nor kills_unknown: memrun had no count of the job's OOM kills. */
	struct maybe_count oom_kills;
	/* Why oom_kills is not known though the job had a cgroup (a static
	 * string, NULL: known), and the kills counted all the same. */
	const char *oom_kills_unknown;
	uint64_t oom_kills_at_least;
	/* memrun's own oom_group kill (cgroup v1 has no memory.oom.group)
	 * ended the job's processes after an OOM kill. */
	bool oom_group_killed;
	/* The limit of a cgroup the job made below its own was reached. */
	bool inner_limit_hit;
	/* The enclosing cgroup whose limit the kernel log names for a kill
	 * of the job's (a victim's limit_cgroup), and its limit at the end. */
	char *limit_cgroup;
	struct maybe_count limit_cgroup_max;

	/* systemd-oomd's kills (oomd.c): the actions and processes its marks
	 * on the job's cgroups count (the processes are in oom_kills too);
	 * whether it killed the job's cgroup whole, the main process with
	 * it, not only a cgroup the job made; its record of the kill in the
	 * journal, or why none was read. */
	struct oomd_marks oomd;
	bool oomd_whole_job;
	bool oomd_record_known;
	struct oomd_record oomd_record;
	char *oomd_record_unknown;

	/* Allocation-failure evidence (the probe). */
	bool alloc_observed;		/* the main program was probed */
	char *alloc_not_observed;	/* why not */
	struct maybe_count alloc_failures;	/* unknown unless the main program was probed */
	uint64_t alloc_failures_at_least;	/* refused where the probe was, when unknown */
	uint64_t alloc_processes;	/* processes the probe attached to */
	uint64_t alloc_largest_bytes;
	uint64_t alloc_by_cause[PROBE_CAUSE_COUNT];
	bool alloc_first_known;
	struct probe_failure alloc_first;
	uint64_t start_mono_ns;		/* CLOCK_MONOTONIC at the start of the job */

	bool victims_known;		/* the kernel log was read */
	struct oom_victims victims;
	enum kernel_log_source victims_source;	/* which log was read */
	/* Why no log was read though OOM kills were to be named, or NULL. */
	char *victims_unknown;

	/* Cgroup evidence. */
	int cgroup_version;		/* 0: none; the report's cgroup.version */
	/* Supplied by the cgroup manager, so that the report needs not know
	 * one from another: the limit file's name as people know it
	 * ("memory.max"), and whether memory.high events are counted. */
	const char *memory_max_file;
	bool high_events_counted;
	char *cgroup_dir;
	const char *cgroup_manager;	/* "cgroupfs", "systemd"; NULL: no cgroup */
	char *cgroup_manager_why;	/* why that manager */
	char *cgroup_unit;		/* the systemd scope, or NULL */
	char *cgroup_unit_result;	/* the scope's Result at the end, as systemd says it */
	char *cgroup_error;		/* why the job ran without a cgroup */
	bool limits_not_applied;	/* --best-effort ran it without its cgroup limits */
	uint64_t memory_max, memory_high, swap_max;	/* in force; LIMIT_UNLIMITED: none */
	bool oom_group;
	uint64_t cgroup_oom_events;	/* the job's own limit invoked the OOM killer */
	uint64_t memory_max_events, memory_high_events;
	struct maybe_count peak_memory_bytes;
	bool peak_sampled;

	/* Without a cgroup of its own: OOM kills memrun's cgroup counted
	 * while the job ran, and whether they are known to be the job's (then
	 * they are oom_kills too). */
	uint64_t enclosing_oom_kills;
	char *enclosing_dir;	/* the events file that counted them */
	bool enclosing_attributed;

	/* The verdict: set by outcome_decide() alone. */
	enum outcome_kind kind;
	enum oom_killer oom_killer;
	enum oom_killed_by oom_killed_by;
	enum oom_cause oom_cause;
	bool main_oom_killed_known;
	bool main_oom_killed;
};

/* Before exec: the rlimits and oom_score_adj the job starts under, the
 * plan's, else those memrun has and the job inherits. */
void outcome_record_limits(struct outcome *o, const struct plan *plan);

/* Once, when all evidence is in and before anything is reported: decide
 * the verdict fields from the evidence (an OOM kill is never guessed from
 * SIGKILL alone).  oom_kills may rise to the victims the kernel log named. */
void outcome_decide(struct outcome *o);

/* memrun's exit status for the outcome: the job's status, 128+N for a
 * signal, or 125/126/127 when it did not start. */
int outcome_exit_status(const struct outcome *o);
/* "exited", "oom-killed", ... */
const char *outcome_kind_name(enum outcome_kind kind);
const char *oom_killer_name(enum oom_killer killer);	/* NULL for unknown */
const char *oom_killed_by_name(enum oom_killed_by by);	/* "kernel", ...; NULL for none */

/* Whether the job ran in a cgroup of its own (a manager other than none). */
static inline bool outcome_had_cgroup(const struct outcome *o)
{
	return o->cgroup_version > 0;
}

void outcome_free(struct outcome *o);
