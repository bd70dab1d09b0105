/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/outcome.c: from evidence to verdict.  The kind of
 * ending, first rule that matches: failed-to-start, oom-killed (any OOM
 * kill in the job), out-of-memory (allocations refused), signaled, exited.
 * And who killed what: the job's own limit, a limit around it, or unknown.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "oomadj.h"
#include "outcome.h"
#include "plan.h"
#include "util.h"

#define KNOWN(n) { .known = true, .value = (n) }
#define UNKNOWN(n) { .known = false, .value = (n) }

#define MAIN 100	/* the main process's pid in the cases */
#define CHILD 101

/* The kernel log's records, as kmsg_collect_oom() leaves them. */
#define VICTIM(p, name, ...) { .pid = (p), .comm = name, __VA_ARGS__ }
#define LOG(n, ...)                                                            \
	.victims_known = true,                                                 \
	.victims = { .list = { __VA_ARGS__ }, .count = (n), .total = (n) }

static const char uncounted[] = "the job made cgroups below its own, uncounted";

/* The kind of ending and memrun's exit status. */
static const struct {
	const char *what;
	struct outcome evidence;
	enum outcome_kind kind;
	int exit_status;
} kinds[] = {
	/* 1. failed-to-start beats everything. */
	{ "setup failed", { .started = false, .start_exit_status = 125 },
	  OUTCOME_FAILED_TO_START, 125 },
	{ "not executable", { .started = false, .start_exit_status = 126 },
	  OUTCOME_FAILED_TO_START, 126 },
	{ "not found", { .started = false, .start_exit_status = 127 },
	  OUTCOME_FAILED_TO_START, 127 },
	{ "no status given is memrun's own failure", { .started = false },
	  OUTCOME_FAILED_TO_START, 125 },
	{ "failed to start, with OOM and alloc evidence",
	  { .started = false, .start_exit_status = 126, .oom_kills = KNOWN(3),
	    .alloc_failures = KNOWN(5), .signal = SIGKILL, .main_pid = MAIN },
	  OUTCOME_FAILED_TO_START, 126 },

	/* 2. oom-killed: any OOM kill in the job, main or not. */
	{ "main OOM-killed", { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(1) },
	  OUTCOME_OOM_KILLED, 137 },
	{ "a child OOM-killed, main exited 0",
	  { .started = true, .main_exited = true, .exit_code = 0, .oom_kills = KNOWN(2) },
	  OUTCOME_OOM_KILLED, 0 },
	{ "a child OOM-killed, main exited 1",
	  { .started = true, .main_exited = true, .exit_code = 1, .oom_kills = KNOWN(1) },
	  OUTCOME_OOM_KILLED, 1 },
	{ "OOM kill beats allocation failures",
	  { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(1),
	    .alloc_failures = KNOWN(7) },
	  OUTCOME_OOM_KILLED, 137 },
	{ "count unknown, the kernel log names the main process",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = UNKNOWN(0),
	    .oom_kills_unknown = uncounted, LOG(1, VICTIM(MAIN, "hog", .by_job_limit = true)) },
	  OUTCOME_OOM_KILLED, 137 },

	/* 3. out-of-memory: no OOM kill, allocations refused. */
	{ "allocations refused, main exited 1",
	  { .started = true, .main_exited = true, .exit_code = 1, .oom_kills = KNOWN(0),
	    .alloc_failures = KNOWN(3) },
	  OUTCOME_OUT_OF_MEMORY, 1 },
	{ "allocations refused, main exited 0 anyway",
	  { .started = true, .main_exited = true, .exit_code = 0, .alloc_failures = KNOWN(1) },
	  OUTCOME_OUT_OF_MEMORY, 0 },
	{ "allocations refused beats signaled (abort after a failed new)",
	  { .started = true, .signal = SIGABRT, .core_dumped = true, .alloc_failures = KNOWN(1) },
	  OUTCOME_OUT_OF_MEMORY, 128 + SIGABRT },
	{ "no OOM kill counted, allocations refused",
	  { .started = true, .main_exited = true, .exit_code = 3, .oom_kills = KNOWN(0),
	    .alloc_failures = KNOWN(1) },
	  OUTCOME_OUT_OF_MEMORY, 3 },

	/* 4. signaled: never guessed as an OOM kill from SIGKILL alone. */
	{ "kill -9 from a user", { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(0),
				   .alloc_failures = KNOWN(0) },
	  OUTCOME_SIGNALED, 137 },
	{ "SIGKILL with no evidence at all", { .started = true, .signal = SIGKILL },
	  OUTCOME_SIGNALED, 137 },
	{ "SIGTERM", { .started = true, .signal = SIGTERM }, OUTCOME_SIGNALED, 143 },
	{ "SIGSEGV with a core", { .started = true, .signal = SIGSEGV, .core_dumped = true },
	  OUTCOME_SIGNALED, 139 },
	{ "SIGHUP", { .started = true, .signal = SIGHUP }, OUTCOME_SIGNALED, 129 },

	/* 5. exited. */
	{ "exited 0", { .started = true, .main_exited = true, .exit_code = 0 },
	  OUTCOME_EXITED, 0 },
	{ "exited 42", { .started = true, .main_exited = true, .exit_code = 42 },
	  OUTCOME_EXITED, 42 },
	{ "exited 255", { .started = true, .main_exited = true, .exit_code = 255 },
	  OUTCOME_EXITED, 255 },
	{ "exited 137 by itself is no signal",
	  { .started = true, .main_exited = true, .exit_code = 137, .oom_kills = KNOWN(0) },
	  OUTCOME_EXITED, 137 },

	/* Unknown counters do not count, whatever value they hold. */
	{ "unknown OOM kill count",
	  { .started = true, .main_exited = true, .exit_code = 0, .oom_kills = UNKNOWN(5) },
	  OUTCOME_EXITED, 0 },
	{ "unknown alloc failure count",
	  { .started = true, .main_exited = true, .exit_code = 2,
	    .alloc_failures = UNKNOWN(5) },
	  OUTCOME_EXITED, 2 },
	{ "a verdict left in the evidence is decided again",
	  { .started = true, .signal = SIGKILL, .main_oom_killed_known = true,
	    .main_oom_killed = true, .oom_killer = OOM_KILLER_CGROUP,
	    .kind = OUTCOME_OOM_KILLED },
	  OUTCOME_SIGNALED, 137 },
	{ "every count unknown, signaled",
	  { .started = true, .signal = SIGKILL, .oom_kills = UNKNOWN(1),
	    .alloc_failures = UNKNOWN(1) },
	  OUTCOME_SIGNALED, 137 },
	{ "main program unobserved, no refusal seen elsewhere",
	  { .started = true, .main_exited = true, .exit_code = 3, .alloc_failures = UNKNOWN(0) },
	  OUTCOME_EXITED, 3 },
	/* Refusals seen in the job's other processes are evidence, though the
	 * count is unknown (a static main program starting dynamic ones). */
	{ "main program unobserved, refusals seen in its children",
	  { .started = true, .main_exited = true, .exit_code = 1, .alloc_failures = UNKNOWN(0),
	    .alloc_failures_at_least = 2 },
	  OUTCOME_OUT_OF_MEMORY, 1 },
	{ "main program unobserved, refusals seen, OOM kill first",
	  { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(1),
	    .alloc_failures_at_least = 2 },
	  OUTCOME_OOM_KILLED, 137 },
	{ "kills unknown, but some counted",
	  { .started = true, .main_exited = true, .exit_code = 0, .oom_kills = UNKNOWN(0),
	    .oom_kills_unknown = uncounted, .oom_kills_at_least = 1 },
	  OUTCOME_OOM_KILLED, 0 },

	/* Started, but the main process's end was never seen (its status
	 * lost): memrun's own failure, never a made-up 0. */
	{ "how the main process ended is unknown", { .started = true },
	  OUTCOME_EXITED, 125 },
};

static void test_kind_and_exit_status(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		struct outcome o = kinds[i].evidence;
		int status;

		outcome_decide(&o);
		status = outcome_exit_status(&o);
		if (o.kind != kinds[i].kind)
			fail_msg("%s: decided %s, expected %s", kinds[i].what,
				 outcome_kind_name(o.kind), outcome_kind_name(kinds[i].kind));
		if (status != kinds[i].exit_status)
			fail_msg("%s: exit status %d, expected %d", kinds[i].what, status,
				 kinds[i].exit_status);
	}
}

/* Who killed what.  main: 1 killed, 0 not, -1 unknown (null). */
struct attribution {
	const char *what;
	struct outcome evidence;
	int main;
	enum oom_killer killer;
	enum oom_cause cause;
	enum outcome_kind kind;
	uint64_t kills;		/* oom_kills.value after (where known) */
};

static const struct attribution attributions[] = {
	/* No count of the job's OOM kills at all: nothing is claimed. */
	{ "no cgroup, no evidence, exited 0",
	  { .started = true, .main_exited = true, .main_pid = MAIN },
	  -1, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_EXITED, 0 },
	{ "no cgroup, no evidence, SIGKILL",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN },
	  -1, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_SIGNALED, 0 },
	{ "memrun's cgroup counted kills it cannot put down to the job",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .enclosing_oom_kills = 3,
	    .enclosing_dir = (char *)"/sys/fs/cgroup/x/memory.events" },
	  -1, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_SIGNALED, 0 },

	/* The job's cgroup counted, the kernel log read or not. */
	{ "counted none, exited 0",
	  { .started = true, .main_exited = true, .main_pid = MAIN, .oom_kills = KNOWN(0),
	    .victims_known = true },
	  0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_EXITED, 0 },
	{ "kill -9 without an OOM kill is signaled",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(0),
	    .victims_known = true },
	  0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_SIGNALED, 0 },
	{ "counted, no log, SIGKILL, the job's limit invoked the killer",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    .cgroup_oom_events = 1 },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },
	{ "counted, no log, SIGKILL, no event of the job's limit",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1) },
	  1, OOM_KILLER_OTHER, OOM_CAUSE_AROUND, OUTCOME_OOM_KILLED, 1 },
	{ "counted, no log, main exited 1: a child was killed",
	  { .started = true, .main_exited = true, .exit_code = 1, .main_pid = MAIN,
	    .oom_kills = KNOWN(2), .cgroup_oom_events = 1 },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 2 },
	{ "counted, no log, main ended by SIGTERM",
	  { .started = true, .signal = SIGTERM, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    .cgroup_oom_events = 1 },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },
	{ "counted, no log, an inner limit was hit",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    .inner_limit_hit = true },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },

	/* The kernel log names the victims and the limit that killed them. */
	{ "log: the main process, by the job's limit",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    .cgroup_oom_events = 1, LOG(1, VICTIM(MAIN, "hog", .by_job_limit = true)) },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },
	{ "log: a child by the job's limit, main exited 0",
	  { .started = true, .main_exited = true, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    LOG(1, VICTIM(CHILD, "cc1plus", .by_job_limit = true)) },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },
	{ "log: a child, then main killed -9 by someone",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    LOG(1, VICTIM(CHILD, "cc1plus", .by_job_limit = true)) },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },
	{ "log: only an inner limit killed",
	  { .started = true, .main_exited = true, .exit_code = 1, .main_pid = MAIN,
	    .oom_kills = KNOWN(1), .inner_limit_hit = true,
	    LOG(1, VICTIM(CHILD, "inner", .by_inner_limit = true)) },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_INNER_LIMIT, OUTCOME_OOM_KILLED, 1 },
	{ "log: an inner limit and the job's own",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	    LOG(2, VICTIM(CHILD, "inner", .by_inner_limit = true),
		VICTIM(MAIN, "hog", .by_job_limit = true)) },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 2 },
	{ "log: another cgroup's limit killed the main process",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    LOG(1, VICTIM(MAIN, "hog")) },
	  1, OOM_KILLER_OTHER, OOM_CAUSE_AROUND, OUTCOME_OOM_KILLED, 1 },
	{ "log: another cgroup's limit killed a child",
	  { .started = true, .main_exited = true, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    LOG(1, VICTIM(CHILD, "sh")) },
	  0, OOM_KILLER_OTHER, OOM_CAUSE_AROUND, OUTCOME_OOM_KILLED, 1 },
	{ "log: the whole system ran out",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    LOG(1, VICTIM(MAIN, "hog", .global = true)) },
	  1, OOM_KILLER_OTHER, OOM_CAUSE_SYSTEM, OUTCOME_OOM_KILLED, 1 },
	{ "log names more than the counters saw",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    LOG(2, VICTIM(CHILD, "sh", .by_job_limit = true),
		VICTIM(MAIN, "hog", .by_job_limit = true)) },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 2 },
	{ "log: more victims than recorded",
	  { .started = true, .main_exited = true, .main_pid = MAIN, .oom_kills = KNOWN(3),
	    .victims_known = true,
	    .victims = { .list = { VICTIM(CHILD, "w", .by_job_limit = true) }, .count = 1,
			 .total = 12 } },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 12 },

	/* memrun's own oom_group kill (cgroup v1). */
	{ "v1 group kill took the main process with a child's OOM kill",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	    .oom_group_killed = true, LOG(1, VICTIM(CHILD, "w", .by_job_limit = true)) },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 2 },
	{ "v1 group kill, but the main process had exited",
	  { .started = true, .main_exited = true, .exit_code = 3, .main_pid = MAIN,
	    .oom_kills = KNOWN(2), .oom_group_killed = true,
	    LOG(1, VICTIM(CHILD, "w", .by_job_limit = true)) },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 2 },
	{ "v1 group kill counted, no log",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	    .oom_group_killed = true, .cgroup_oom_events = 1 },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 2 },

	/* Kills below the job's cgroup uncounted and the log not readable. */
	{ "uncounted, no log, SIGKILL: cannot be told",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = UNKNOWN(0),
	    .oom_kills_unknown = uncounted },
	  -1, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_SIGNALED, 0 },
	{ "uncounted, no log, exited 0",
	  { .started = true, .main_exited = true, .main_pid = MAIN, .oom_kills = UNKNOWN(0),
	    .oom_kills_unknown = uncounted },
	  0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_EXITED, 0 },
	{ "uncounted, but at least 2 counted, SIGKILL, the job's limit",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = UNKNOWN(0),
	    .oom_kills_unknown = uncounted, .oom_kills_at_least = 2, .cgroup_oom_events = 1 },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 0 },
	{ "uncounted, but at least 1 counted below, an inner limit",
	  { .started = true, .main_exited = true, .exit_code = 1, .main_pid = MAIN,
	    .oom_kills = UNKNOWN(0), .oom_kills_unknown = uncounted, .oom_kills_at_least = 1,
	    .inner_limit_hit = true },
	  0, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 0 },

	/* Without a cgroup of its own: memrun's cgroup held only the job. */
	{ "memrun's cgroup counted a kill of the job's, SIGKILL",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    .enclosing_oom_kills = 1, .enclosing_attributed = true,
	    .enclosing_dir = (char *)"/sys/fs/cgroup/x/memory.events" },
	  1, OOM_KILLER_OTHER, OOM_CAUSE_ENCLOSING, OUTCOME_OOM_KILLED, 1 },
	{ "memrun's cgroup counted a kill of the job's, main exited 0",
	  { .started = true, .main_exited = true, .main_pid = MAIN, .oom_kills = KNOWN(1),
	    .enclosing_oom_kills = 1, .enclosing_attributed = true },
	  0, OOM_KILLER_OTHER, OOM_CAUSE_ENCLOSING, OUTCOME_OOM_KILLED, 1 },
	{ "memrun's cgroup counted none, kill -9",
	  { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(0),
	    .enclosing_attributed = true },
	  0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_SIGNALED, 0 },

	/* Did not start: the attribution stands, the kind does not. */
	{ "killed inside exec by the job's limit",
	  { .started = false, .start_exit_status = 126, .signal = SIGKILL, .main_pid = MAIN,
	    .oom_kills = KNOWN(1), .cgroup_oom_events = 1 },
	  1, OOM_KILLER_CGROUP, OOM_CAUSE_NONE, OUTCOME_FAILED_TO_START, 1 },
	{ "not found, cgroup counted nothing",
	  { .started = false, .start_exit_status = 127, .oom_kills = KNOWN(0) },
	  0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_FAILED_TO_START, 0 },
};

static void check_attribution(const struct attribution *a, const struct outcome *o)
{
	int main_killed = o->main_oom_killed_known ? o->main_oom_killed : -1;

	if (main_killed != a->main)
		fail_msg("%s: main_oom_killed %d, expected %d", a->what, main_killed, a->main);
	if (o->oom_killer != a->killer)
		fail_msg("%s: killer %s, expected %s", a->what, oom_killer_name(o->oom_killer),
			 oom_killer_name(a->killer));
	if (o->oom_cause != a->cause)
		fail_msg("%s: cause %d, expected %d", a->what, o->oom_cause, a->cause);
	if (o->kind != a->kind)
		fail_msg("%s: decided %s, expected %s", a->what, outcome_kind_name(o->kind),
			 outcome_kind_name(a->kind));
	if (o->oom_kills.value != a->kills)
		fail_msg("%s: %llu kills, expected %llu", a->what,
			 (unsigned long long)o->oom_kills.value, (unsigned long long)a->kills);
	/* A verdict, never a guess: unknown when there is nothing to go on. */
	if (!o->oom_kills.known && !o->oom_kills_unknown && o->main_oom_killed_known)
		fail_msg("%s: main_oom_killed known without a count", a->what);
}

static void test_oom_attribution(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(attributions); i++) {
		struct outcome o = attributions[i].evidence;

		outcome_decide(&o);
		check_attribution(&attributions[i], &o);
		/* Deciding again changes nothing. */
		outcome_decide(&o);
		check_attribution(&attributions[i], &o);
	}
}

/* systemd-oomd's marks, as cgroup_finish records them: its kills are in
 * oom_kills too.  And the kernel's: which OOM killer, for the report's
 * oom.killed_by. */
#define OOMD(actions_, processes_, pending_)                                   \
	.oomd = { .actions = (actions_), .processes = (processes_), .pending = (pending_) }

static const struct {
	struct attribution a;
	enum oom_killed_by by;
} killers[] = {
	{ { "oomd killed the job's cgroup, the main process with it",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .victims_known = true, OOMD(1, 1, 0), .oomd_whole_job = true },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_OOMD },
	{ { "oomd killed the job's cgroup, its count not written yet",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .victims_known = true, OOMD(1, 0, 1), .oomd_whole_job = true },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_OOMD },
	{ { "oomd killed a cgroup the job made, the main process exited 1",
	    { .started = true, .main_exited = true, .exit_code = 1, .main_pid = MAIN,
	      .oom_kills = KNOWN(2), .victims_known = true, OOMD(1, 2, 0) },
	    0, OOM_KILLER_OTHER, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 2 },
	  OOM_KILLED_BY_OOMD },
	{ { "oomd killed a cgroup the job made, then a kill -9 of the main process",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	      .victims_known = true, OOMD(1, 2, 0) },
	    0, OOM_KILLER_OTHER, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 2 },
	  OOM_KILLED_BY_OOMD },
	{ { "oomd acted on the job's cgroup but killed nothing: a kill -9",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(0),
	      .victims_known = true, OOMD(1, 0, 0), .oomd_whole_job = false },
	    0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_SIGNALED, 0 },
	  OOM_KILLED_BY_NONE },
	{ { "the kernel killed the main process at the job's limit, oomd others",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(3),
	      .cgroup_oom_events = 1, OOMD(1, 2, 0),
	      LOG(1, VICTIM(MAIN, "hog", .by_job_limit = true)) },
	    1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 3 },
	  OOM_KILLED_BY_KERNEL },
	{ { "the kernel killed a child, oomd the job's cgroup and the main process",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	      .cgroup_oom_events = 1, OOMD(1, 1, 0), .oomd_whole_job = true,
	      LOG(1, VICTIM(CHILD, "cc1plus", .by_job_limit = true)) },
	    1, OOM_KILLER_CGROUP, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 2 },
	  OOM_KILLED_BY_OOMD },
	{ { "the kernel log names more than counted, with oomd's kills",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	      OOMD(1, 1, 0), .oomd_whole_job = true,
	      LOG(2, VICTIM(CHILD, "a", .by_job_limit = true),
		  VICTIM(CHILD + 1, "b", .by_job_limit = true)) },
	    1, OOM_KILLER_CGROUP, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 3 },
	  OOM_KILLED_BY_OOMD },
	{ { "no log, the kernel counted one, oomd killed the job's cgroup",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(2),
	      OOMD(1, 1, 0), .oomd_whole_job = true },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 2 },
	  OOM_KILLED_BY_OOMD },
	{ { "uncounted below, no log, oomd killed the job's cgroup",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = UNKNOWN(0),
	      .oom_kills_unknown = uncounted, .oom_kills_at_least = 1, OOMD(1, 1, 0),
	      .oomd_whole_job = true },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_OOMD, OUTCOME_OOM_KILLED, 0 },
	  OOM_KILLED_BY_OOMD },
	{ { "the kernel, at an enclosing cgroup's limit the log names",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .limit_cgroup = (char *)"/user.slice/user-4242.slice",
	      LOG(1, VICTIM(MAIN, "hog", .limit_cgroup = "/user.slice/user-4242.slice",
			    .limit_levels_up = 3)) },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_NAMED_LIMIT, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "the kernel, at the user's total the log names",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .total_set = true, .total_cgroup = (char *)"/memrun/user-4242",
	      .limit_cgroup = (char *)"/memrun/user-4242",
	      LOG(1, VICTIM(MAIN, "hog", .limit_cgroup = "/memrun/user-4242",
			    .limit_levels_up = 1)) },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_USER_TOTAL, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "the kernel, at the user's slice, named from above a cgroup namespace",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .total_set = true, .total_cgroup = (char *)"/user.slice/user-4242.slice",
	      .limit_cgroup = (char *)"/machine/user.slice/user-4242.slice",
	      LOG(1, VICTIM(MAIN, "hog", .limit_cgroup = "/machine/user.slice/user-4242.slice",
			    .limit_levels_up = 3)) },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_USER_TOTAL, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "the log names another cgroup than the user's total",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .total_set = true, .total_cgroup = (char *)"/memrun/user-4242",
	      .total_limit_hits = 1, .limit_cgroup = (char *)"/box/xmemrun/user-4242",
	      LOG(1, VICTIM(MAIN, "hog", .limit_cgroup = "/box/xmemrun/user-4242",
			    .limit_levels_up = 1)) },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_NAMED_LIMIT, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "no log, the user's total reached while the job ran",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .total_set = true, .total_cgroup = (char *)"/memrun/user-4242",
	      .total_limit_hits = 3 },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_USER_TOTAL, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "no log, a total that was not reached",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .total_set = true, .total_cgroup = (char *)"/memrun/user-4242" },
	    1, OOM_KILLER_OTHER, OOM_CAUSE_AROUND, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "the job's own limit, with the total reached too",
	    { .started = true, .signal = SIGKILL, .main_pid = MAIN, .oom_kills = KNOWN(1),
	      .cgroup_oom_events = 1, .total_set = true,
	      .total_cgroup = (char *)"/memrun/user-4242", .total_limit_hits = 1 },
	    1, OOM_KILLER_CGROUP, OOM_CAUSE_JOB_LIMIT, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "the kernel, at the limit of a cgroup the job made",
	    { .started = true, .main_exited = true, .exit_code = 1, .main_pid = MAIN,
	      .oom_kills = KNOWN(1), LOG(1, VICTIM(CHILD, "inner", .by_inner_limit = true)) },
	    0, OOM_KILLER_CGROUP, OOM_CAUSE_INNER_LIMIT, OUTCOME_OOM_KILLED, 1 },
	  OOM_KILLED_BY_KERNEL },
	{ { "no kill at all", { .started = true, .main_exited = true, .main_pid = MAIN,
				.oom_kills = KNOWN(0), .victims_known = true },
	    0, OOM_KILLER_UNKNOWN, OOM_CAUSE_NONE, OUTCOME_EXITED, 0 },
	  OOM_KILLED_BY_NONE },
};

static void test_which_oom_killer(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(killers); i++) {
		struct outcome o = killers[i].a.evidence;

		for (int round = 0; round < 2; round++) {	/* again: the same */
			outcome_decide(&o);
			check_attribution(&killers[i].a, &o);
			if (o.oom_killed_by != killers[i].by)
				fail_msg("%s: killed by %s, expected %s", killers[i].a.what,
					 oom_killed_by_name(o.oom_killed_by),
					 oom_killed_by_name(killers[i].by));
		}
	}
}

static void test_record_limits_from_the_plan(void **state)
{
	struct outcome o = { 0 };
	struct plan plan;

	(void)state;
	plan_init(&plan);
	plan.values[SETTING_AS].set = true;
	plan.limit_bytes[SETTING_AS] = 256 << 20;
	plan.values[SETTING_DATA].set = true;
	plan.limit_bytes[SETTING_DATA] = LIMIT_UNLIMITED;
	plan.values[SETTING_OOM_SCORE_ADJ].set = true;
	plan.values[SETTING_OOM_SCORE_ADJ].number = 500;
	outcome_record_limits(&o, &plan);
	assert_int_equal(o.rlimit_as_bytes, 256 << 20);
	assert_true(o.rlimit_data_bytes == LIMIT_UNLIMITED);
	assert_true(o.oom_score_adj_known);
	assert_int_equal(o.oom_score_adj, 500);
	plan_free(&plan);
}

/* Nothing set: what memrun has, which the job inherits. */
static void test_record_limits_inherited(void **state)
{
	struct rlimit saved, data;
	struct outcome o = { 0 };
	struct plan plan;
	int adj;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_DATA, &saved), 0);
	data = saved;
	if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max >= (rlim_t)64 << 30)
		data.rlim_cur = (rlim_t)64 << 30;
	assert_int_equal(setrlimit(RLIMIT_DATA, &data), 0);

	plan_init(&plan);
	outcome_record_limits(&o, &plan);
	assert_int_equal(setrlimit(RLIMIT_DATA, &saved), 0);

	if (data.rlim_cur == RLIM_INFINITY)
		assert_true(o.rlimit_data_bytes == LIMIT_UNLIMITED);
	else
		assert_int_equal(o.rlimit_data_bytes, data.rlim_cur);
	assert_int_equal(oomadj_read_self(&adj), 0);
	assert_true(o.oom_score_adj_known);
	assert_int_equal(o.oom_score_adj, adj);
	plan_free(&plan);
}

static void test_names(void **state)
{
	(void)state;
	/* The contract's spellings. */
	assert_string_equal(outcome_kind_name(OUTCOME_EXITED), "exited");
	assert_string_equal(outcome_kind_name(OUTCOME_SIGNALED), "signaled");
	assert_string_equal(outcome_kind_name(OUTCOME_OUT_OF_MEMORY), "out-of-memory");
	assert_string_equal(outcome_kind_name(OUTCOME_OOM_KILLED), "oom-killed");
	assert_string_equal(outcome_kind_name(OUTCOME_FAILED_TO_START), "failed-to-start");
	assert_string_equal(oom_killer_name(OOM_KILLER_CGROUP), "cgroup");
	assert_string_equal(oom_killer_name(OOM_KILLER_OTHER), "other");
	assert_null(oom_killer_name(OOM_KILLER_UNKNOWN));
	assert_string_equal(oom_killed_by_name(OOM_KILLED_BY_KERNEL), "kernel");
	assert_string_equal(oom_killed_by_name(OOM_KILLED_BY_OOMD), "systemd-oomd");
	assert_null(oom_killed_by_name(OOM_KILLED_BY_NONE));
}

static void test_outcome_free(void **state)
{
	struct outcome o = { .start_error = xstrdup("no such file"), .hint = xstrdup("raise it") };

	(void)state;
	outcome_free(&o);
	assert_null(o.start_error);
	assert_null(o.hint);
	outcome_free(&o);	/* twice is harmless */
	assert_null(o.start_error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_and_exit_status),
		cmocka_unit_test(test_oom_attribution),
		cmocka_unit_test(test_which_oom_killer),
		cmocka_unit_test(test_record_limits_from_the_plan),
		cmocka_unit_test(test_record_limits_inherited),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_outcome_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
