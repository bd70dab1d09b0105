/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How the job ended: the evidence gathered by the supervisor (and, as they
 * come, the cgroup watcher and the allocation probe), and the one function
 * that turns evidence into an outcome (contract section 5).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kmsg.h"
#include "probe/probe-abi.h"

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

	/* The main process. */
	pid_t main_pid;
	bool main_exited;		/* exit_code valid */
	int exit_code;
	int signal;			/* 0: not signaled */
	bool core_dumped;
	bool main_killed_in_exec;	/* died inside exec: it never ran (spawn.h) */
	double duration_s;
	uint64_t largest_rss_bytes;	/* largest RSS of any reaped process, 0: unknown */

	/* OOM-killer evidence (cgroup counters, kernel log). */
	struct maybe_count oom_kills;
	/* Why oom_kills is not known though the job had a cgroup (a static
	 * string, NULL: known), and the kills counted all the same. */
	const char *oom_kills_unknown;
	uint64_t oom_kills_at_least;
	enum oom_killer oom_killer;
	bool main_oom_killed_known;
	bool main_oom_killed;

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

	/* Cgroup evidence. */
	int cgroup_version;		/* 0: none; the report's cgroup.version */
	/* Supplied by the cgroup manager, so that the report needs not know
	 * one from another: the limit file's name as people know it
	 * ("memory.max"), and whether memory.high events are counted. */
	const char *memory_max_file;
	bool high_events_counted;
	char *cgroup_dir;
	char *cgroup_error;		/* why the job ran without a cgroup */
	bool limits_not_applied;	/* --best-effort ran it without its cgroup limits */
	uint64_t memory_max, memory_high, swap_max;	/* in force; LIMIT_UNLIMITED: none */
	bool oom_group;
	uint64_t cgroup_oom_events;	/* the job's own limit invoked the OOM killer */
	uint64_t memory_max_events, memory_high_events;
	struct maybe_count peak_memory_bytes;
	bool peak_sampled;

	/* Without a cgroup of its own: OOM kills memrun's cgroup counted
	 * while the job ran, and whether they are known to be the job's. */
	uint64_t enclosing_oom_kills;
	char *enclosing_dir;	/* the events file that counted them */
	bool enclosing_attributed;
};

enum outcome_kind outcome_classify(const struct outcome *o);
/* memrun's exit status for the outcome (contract section 3). */
int outcome_exit_status(const struct outcome *o);
/* "exited", "oom-killed", ... */
const char *outcome_kind_name(enum outcome_kind kind);
const char *oom_killer_name(enum oom_killer killer);	/* NULL for unknown */

void outcome_free(struct outcome *o);
